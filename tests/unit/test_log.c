/* test_log.c: log lines reach their sink printable and without secrets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compat.h"
#include "log.h"

static char got[4096];
static int got_level;

static void
sink(int level, const char *msg, void *arg)
{
	(void)arg;
	got_level = level;
	strlcpy(got, msg, sizeof(got));
}

static void
test_log_lines_printable(void **state)
{
	(void)state;
	log_set_sink(sink, NULL);
	/* Text quoted from an answer cannot forge a line or drive a
	 * terminal, and a token it echoes is not shown. */
	log_warnx("Scan failed: %s",
	    "bad\r\n2026/01/01 00:00:00 [x]: done"
	    "\x1b[2J X-Amz-Security-Token: FQoGZXIvYXdzEXAMPLE");
	assert_int_equal(got_level, LOG_LVL_WARN);
	assert_string_equal(got,
	    "Scan failed: bad\\r\\n2026/01/01 00:00:00 "
	    "[x]: done\\x1b[2J X-Amz-Security-Token: [redacted]");
	/* log_warn's errno text too; plain text is left alone. */
	errno = ENOENT;
	log_warn("cannot open %s", "/var/lib/ddb-sync/pairs/é\t");
	assert_string_equal(got,
	    "cannot open /var/lib/ddb-sync/pairs/é\\t: "
	    "No such file or directory");
	log_info("Backfill complete. 14301 items written over 5m9s");
	assert_string_equal(got,
	    "Backfill complete. 14301 items written over 5m9s");
	log_set_sink(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_lines_printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

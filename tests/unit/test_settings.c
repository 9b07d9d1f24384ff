/* test_settings.c: the DDB_SYNC_* table: values, bad values, defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control.h"
#include "plan.h"
#include "proto.h"
#include "report.h"
#include "settings.h"
#include "sup.h"
#include "worker.h"

extern char **environ;

/* Every DDB_SYNC_* variable out of the environment, then read. */
static int
clean(void **state)
{
	char name[128];
	int again = 1;

	(void)state;
	while (again) {
		again = 0;
		for (char **e = environ; *e != NULL; e++) {
			size_t n = strcspn(*e, "=");

			if (strncmp(*e, "DDB_SYNC_", 9) != 0 ||
			    n >= sizeof(name))
				continue;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = 1;
			break;
		}
	}
	return settings_init(NULL, 0);
}

static void
test_settings_table_sane(void **state)
{
	const struct setting *s, *t;

	(void)state;
	for (int i = 0; i < SETTING_COUNT; i++) {
		s = settings_get((enum setting_id)i);
		assert_non_null(s);
		/* A gap in the designated initialisers leaves a NULL name. */
		assert_non_null(s->name);
		assert_int_equal(strncmp(s->name, "DDB_SYNC_", 9), 0);
		assert_non_null(s->reader);
		assert_non_null(s->help);
		/* --help gives the text columns 28 to 80. */
		assert_true(strlen(s->help) > 0 && strlen(s->help) <= 52);
		assert_ptr_equal(settings_find(s->name), s);
		for (int j = 0; j < i; j++) {
			t = settings_get((enum setting_id)j);
			assert_string_not_equal(s->name, t->name);
		}
		if (s->kind == SETTING_TEXT) {
			assert_non_null(s->def_text);
			continue;
		}
		assert_null(s->def_text);
		assert_true(s->min >= 0 && s->min <= s->def);
		assert_true(s->def <= s->max && s->max <= SETTING_MAX);
		/* A name that says milliseconds holds milliseconds. */
		if (strstr(s->name, "_MS") != NULL)
			assert_int_equal(s->kind, SETTING_MS);
	}
	assert_null(settings_get(SETTING_COUNT));
	assert_null(settings_find("DDB_SYNC_NO_SUCH"));
}

/* The defaults the headers also name are the table's. */
static void
test_settings_defaults(void **state)
{
	(void)state;
	assert_int_equal(settings_int(SETTING_MAX_INFLIGHT),
	    WORKER_DEFAULT_INFLIGHT);
	assert_int_equal(settings_get(SETTING_MAX_INFLIGHT)->max,
	    PLAN_MAX_INFLIGHT_MAX);
	assert_int_equal(settings_int(SETTING_BUFFER_BYTES),
	    WORKER_BUFFER_BYTES);
	assert_int_equal(settings_int(SETTING_PAGES_PER_SEGMENT),
	    WORKER_PAGES_PER_SEG);
	assert_int_equal(settings_int(SETTING_REPORT_STALL_MS),
	    REPORT_STALL_MS);
	assert_int_equal(settings_int(SETTING_STDOUT_MAX_BYTES),
	    OUTPUT_QUEUE_MAX);
	assert_int_equal(settings_int(SETTING_CONTROL_TIMEOUT_MS),
	    CONTROL_TIMEOUT_MS);
	assert_int_equal(settings_int(SETTING_HELLO_TIMEOUT_MS),
	    PROTO_HELLO_TIMEOUT_MS);
	assert_int_equal(settings_int(SETTING_STOP_GRACE_MS),
	    PROTO_STOP_GRACE_MS);
	/* The documented ones (docs/ddb-sync.1, docs/architecture.md). */
	assert_int_equal(settings_int(SETTING_PREFLIGHT_GIVE_UP_MS), 120000);
	assert_int_equal(settings_int(SETTING_STOP_TIMEOUT_MS), 10000);
	assert_int_equal(settings_int(SETTING_RETRY_NOTICE_MS), 5000);
	assert_int_equal(settings_int(SETTING_CRASH_AFTER), 1);
	assert_null(settings_str(SETTING_STATE_DIR));
	assert_null(settings_str(SETTING_CRASH_AT));
}

static void
test_settings_values(void **state)
{
	char err[256];

	(void)state;
	setenv("DDB_SYNC_POLL_MS", "250", 1);
	setenv("DDB_SYNC_MAX_INFLIGHT", "1024", 1);
	setenv("DDB_SYNC_STATE_DIR", "/srv/state", 1);
	setenv("DDB_SYNC_CRASH_AT", "", 1); /* empty: unset */
	setenv("DDB_SYNC_RETRY_BASE_MS", "0", 1);
	assert_int_equal(settings_init(err, sizeof(err)), 0);
	assert_int_equal(settings_int(SETTING_POLL_MS), 250);
	assert_int_equal(settings_int(SETTING_MAX_INFLIGHT), 1024);
	assert_int_equal(settings_int(SETTING_RETRY_BASE_MS), 0);
	assert_string_equal(settings_str(SETTING_STATE_DIR), "/srv/state");
	assert_null(settings_str(SETTING_CRASH_AT));
	/* Read once: a later change is not seen until the next init. */
	setenv("DDB_SYNC_POLL_MS", "300", 1);
	assert_int_equal(settings_int(SETTING_POLL_MS), 250);
	assert_int_equal(settings_init(err, sizeof(err)), 0);
	assert_int_equal(settings_int(SETTING_POLL_MS), 300);
	/* The largest value, exactly. */
	setenv("DDB_SYNC_RETRY_CAP_MS", "31622400000", 1);
	assert_int_equal(settings_init(err, sizeof(err)), 0);
	assert_int_equal(settings_int(SETTING_RETRY_CAP_MS), SETTING_MAX);
}

static void
test_settings_bad_values(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		const char *says;
	} c[] = {
		{ "DDB_SYNC_POLL_MS", "abc", "not a whole number of ms" },
		{ "DDB_SYNC_POLL_MS", "5s", "not a whole number of ms" },
		{ "DDB_SYNC_POLL_MS", "-1", "not a whole number of ms" },
		{ "DDB_SYNC_POLL_MS", " 5", "not a whole number of ms" },
		{ "DDB_SYNC_POLL_MS", "1.5", "not a whole number of ms" },
		{ "DDB_SYNC_POLL_MS", "31622400001", "out of range" },
		{ "DDB_SYNC_POLL_MS", "99999999999999999999999",
		    "out of range" },
		{ "DDB_SYNC_MAX_INFLIGHT", "0",
		    "out of range (1 to 1024 count)" },
		{ "DDB_SYNC_MAX_INFLIGHT", "1025", "out of range" },
		{ "DDB_SYNC_BUFFER_BYTES", "32M",
		    "not a whole number of bytes" },
		{ "DDB_SYNC_CRASH_AFTER", "0", "out of range" },
	};
	char err[256], want[128];

	(void)state;
	setenv("DDB_SYNC_POLL_MS", "250", 1);
	assert_int_equal(settings_init(err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		setenv(c[i].name, c[i].value, 1);
		memset(err, 0, sizeof(err));
		assert_int_equal(settings_init(err, sizeof(err)), -1);
		/* The message names the variable and shows the value. */
		snprintf(want, sizeof(want), "%s=", c[i].name);
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, c[i].value));
		if (strstr(err, c[i].says) == NULL)
			fail_msg("%s=%s: \"%s\" lacks \"%s\"", c[i].name,
			    c[i].value, err, c[i].says);
		/* A failed init keeps what was read before. */
		assert_int_equal(settings_int(SETTING_POLL_MS), 250);
		unsetenv(c[i].name);
	}
	setenv("DDB_SYNC_POLL_MS", "250", 1);
	/* A hostile value is not echoed raw to a terminal. */
	setenv("DDB_SYNC_POLL_MS", "1\033[2J", 1);
	assert_int_equal(settings_init(err, sizeof(err)), -1);
	assert_null(strchr(err, '\033'));
	/* No room for a message is not a crash. */
	assert_int_equal(settings_init(NULL, 0), -1);
	unsetenv("DDB_SYNC_POLL_MS");
	assert_int_equal(settings_init(NULL, 0), 0);
}

static void
count_cb(const char *name, void *arg)
{
	char *seen = arg;

	assert_string_equal(name, "DDB_SYNC_POL_MS");
	(*seen)++;
}

static void
test_settings_unknown(void **state)
{
	char seen = 0;

	(void)state;
	setenv("DDB_SYNC_POLL_MS", "1", 1);
	assert_int_equal(settings_unknown(NULL, NULL), 0);
	setenv("DDB_SYNC_POL_MS", "1", 1);
	assert_int_equal(settings_unknown(count_cb, &seen), 1);
	assert_int_equal(seen, 1);
	unsetenv("DDB_SYNC_POL_MS");
	unsetenv("DDB_SYNC_POLL_MS");
}

static char *
capture(void (*fn)(FILE *))
{
	/* Static: GCC otherwise fears open_memstream() keeps &text. */
	static char *text;
	static size_t len;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	fn(fp);
	fclose(fp);
	return text;
}

/* --help: every operator setting, no other, within 80 columns. */
static void
test_settings_usage(void **state)
{
	char *text = capture(settings_usage), *line, *save = NULL;
	char want[80];
	const struct setting *s;

	(void)state;
	for (int i = 0; i < SETTING_COUNT; i++) {
		s = settings_get((enum setting_id)i);
		snprintf(want, sizeof(want), "  %s", s->name);
		if (s->audience == SETTING_OPERATOR) {
			assert_non_null(strstr(text, want));
			assert_true(
			    strchr(" \n", strstr(text, want)[strlen(want)]) !=
			    NULL);
		} else
			assert_null(strstr(text, s->name));
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 80);
	free(text);
}

/* --list-settings: every entry, five tab-separated fields. */
static void
test_settings_list(void **state)
{
	char *text = capture(settings_list), *line, *save = NULL;
	int n = 0, tabs;

	(void)state;
	assert_non_null(strstr(text, "DDB_SYNC_CRASH_AT\ttest-hook\ttext\t"));
	assert_non_null(strstr(text,
	    "DDB_SYNC_PREFLIGHT_GIVE_UP_MS\toperator\tms\t120000\t"));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		tabs = 0;
		for (char *p = line; *p != '\0'; p++)
			tabs += *p == '\t';
		assert_int_equal(tabs, 4);
		assert_int_equal(strncmp(line,
				     settings_get((enum setting_id)n)->name,
				     strlen(settings_get((enum setting_id)n)
						->name)),
		    0);
	}
	assert_int_equal(n, SETTING_COUNT);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_settings_table_sane, clean),
		cmocka_unit_test_setup(test_settings_defaults, clean),
		cmocka_unit_test_setup(test_settings_values, clean),
		cmocka_unit_test_setup(test_settings_bad_values, clean),
		cmocka_unit_test_setup(test_settings_unknown, clean),
		cmocka_unit_test_setup(test_settings_usage, clean),
		cmocka_unit_test_setup(test_settings_list, clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

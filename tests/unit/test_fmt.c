/* test_fmt.c: golden strings for durations, sizes and counts; the
 * control-character check; printable text (escapes, redaction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compat.h"
#include "fmt.h"

static void
test_fmt_duration(void **state)
{
	static const struct {
		uint64_t ms;
		const char *want;
	} c[] = {
		{ 0, "0s" },
		{ 1, "1ms" },
		{ 850, "850ms" },
		{ 1000, "1s" },
		{ 59999, "59s" },
		{ 60000, "1m" },
		{ 309000, "5m9s" },
		{ 1201000, "20m1s" },
		{ 3600000, "1h" },
		{ 3660000, "1h1m" },
		{ 3601000, "1h" },
		{ 68220000, "18h57m" },
		{ 86400000, "1d" },
		{ 277200000, "3d5h" },
		{ 90061001, "1d1h" },
		{ UINT64_MAX, "213503982334d14h" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		assert_string_equal(fmt_duration(c[i].ms, buf, sizeof(buf)),
		    c[i].want);
	/* A short buffer truncates, never overflows. */
	assert_string_equal(fmt_duration(309000, buf, 3), "5m");
}

static void
test_fmt_bytes(void **state)
{
	static const struct {
		uint64_t n;
		const char *want;
	} c[] = {
		{ 0, "0B" },
		{ 1023, "1023B" },
		{ 1024, "1.0KiB" },
		{ 1536, "1.5KiB" },
		{ 10239, "9.9KiB" },
		{ 10240, "10KiB" },
		{ 30408704, "29MiB" },
		{ 1610612736, "1.5GiB" },
		{ 3518437208883ULL, "3.1TiB" },
		{ UINT64_MAX, "15EiB" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		assert_string_equal(fmt_bytes(c[i].n, buf, sizeof(buf)),
		    c[i].want);
}

static void
test_fmt_count(void **state)
{
	static const struct {
		uint64_t n;
		const char *want;
	} c[] = {
		{ 0, "0" },
		{ 999, "999" },
		{ 1000, "1.0K" },
		{ 9999, "9.9K" },
		{ 47000, "47K" },
		{ 46512, "46K" },
		{ 1200000, "1.2M" },
		{ 3400000000ULL, "3.4B" },
		{ 999999999999ULL, "999B" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		assert_string_equal(fmt_count(c[i].n, buf, sizeof(buf)),
		    c[i].want);
}

static void
test_fmt_has_control(void **state)
{
	(void)state;
	assert_int_equal(fmt_has_control("", 0), 0);
	assert_int_equal(fmt_has_control("plain é ~", 10), 0);
	assert_int_equal(fmt_has_control("a\tb", 3), 1);
	assert_int_equal(fmt_has_control("a\x7f", 2), 1);
	assert_int_equal(fmt_has_control("\x1b[2J", 4), 1);
	/* Only the first n bytes count; a NUL inside them is a control. */
	assert_int_equal(fmt_has_control("ab\n", 2), 0);
	assert_int_equal(fmt_has_control("a\0b", 3), 1);
}

static void
test_fmt_printable_escapes(void **state)
{
	char out[256];

	(void)state;
	fmt_printable_str(out, sizeof(out), "plain text, é ⇨ ok");
	assert_string_equal(out, "plain text, é ⇨ ok");
	/* A forged log line and a cursor move stay on one harmless line. */
	fmt_printable_str(out, sizeof(out),
	    "bad\r\n2026/01/01 00:00:00 [x]: Backfill complete\x1b[2J\t!");
	assert_string_equal(out,
	    "bad\\r\\n2026/01/01 00:00:00 [x]: Backfill complete\\x1b[2J"
	    "\\t!");
	assert_null(strchr(out, '\n'));
	/* DEL, C1 CSI (U+009B), a right-to-left override, invalid UTF-8. */
	fmt_printable_str(out, sizeof(out),
	    "a\x7f b\xc2\x9b c\xe2\x80\xae d\xff\xc3 e");
	assert_string_equal(out, "a\\x7f b\\u009b c\\u202e d\\xff\\xc3 e");
	/* A NUL inside n is a control too. */
	assert_int_equal(fmt_printable(out, sizeof(out), "a\0b", 3), 6);
	assert_string_equal(out, "a\\x00b");
}

static void
test_fmt_printable_redacts(void **state)
{
	char out[512];

	(void)state;
	fmt_printable_str(out, sizeof(out),
	    "The request echoed "
	    "X-Amz-Security-Token: FwoGZXIvYXdzEabc123 and more");
	assert_string_equal(out,
	    "The request echoed "
	    "X-Amz-Security-Token: [redacted] and more");
	fmt_printable_str(out, sizeof(out),
	    "{\"SessionToken\": \"abc\", \"x\":1}");
	assert_string_equal(out,
	    "{\"SessionToken\": \"[redacted]\", "
	    "\"x\":1}");
	fmt_printable_str(out, sizeof(out),
	    "<SecretAccessKey>s3cr3t</SecretAccessKey>");
	assert_string_equal(out,
	    "<SecretAccessKey>[redacted]</SecretAccessKey>");
	fmt_printable_str(out, sizeof(out),
	    "Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/dynamodb/aws4_request, Signature=5d672d79c15b13162d9279b"
	    "0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	assert_string_equal(out,
	    "Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/dynamodb/aws4_request, Signature=[redacted]");
	/* The name and separator are escaped too (found by fuzz_sts). */
	fmt_printable_str(out, sizeof(out), "x-amz-signature\t\t:\x7f\x04 abc");
	assert_string_equal(out, "x-amz-signature\\t\\t:[redacted] abc");
	/* A bare secret key (has '/' or '+') and a bare session token. */
	fmt_printable_str(out, sizeof(out),
	    "key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY end");
	assert_string_equal(out, "key [redacted] end");
	fmt_printable_str(out, sizeof(out),
	    "tok IQoJb3JpZ2luX2VjEJr0000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000000000000000Aa end");
	assert_string_equal(out, "tok [redacted] end");
	/* Not secrets: a long table name, sequence numbers, hex hashes, a
	 * sentence about a token. */
	fmt_printable_str(out, sizeof(out),
	    "table CustomerOrdersHistorical"
	    "ArchiveTable2019v2xyz seq 49600000000000000000000000000000000001 "
	    "hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852"
	    "b855; The security token included in the request is invalid");
	assert_string_equal(out,
	    "table CustomerOrdersHistorical"
	    "ArchiveTable2019v2xyz seq 49600000000000000000000000000000000001 "
	    "hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852"
	    "b855; The security token included in the request is invalid");
}

static void
test_fmt_printable_truncates(void **state)
{
	char out[8];

	(void)state;
	/* Never half an escape nor half a character. */
	assert_int_equal(fmt_printable(out, sizeof(out), "abcdef\n", 7), 6);
	assert_string_equal(out, "abcdef");
	assert_int_equal(fmt_printable(out, sizeof(out), "abcdef\xc3\xa9", 8),
	    6);
	assert_string_equal(out, "abcdef");
	assert_int_equal(fmt_printable(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
}

static void
test_fmt_withhold_secrets(void **state)
{
	const char *secrets[] = { "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		NULL, "short" };
	char msg[128];

	(void)state;
	strlcpy(msg, "canonical: wJalrXUtnFEMI/K7MDENG", sizeof(msg));
	assert_int_equal(fmt_withhold_secrets(msg, sizeof(msg), secrets, 3), 1);
	assert_string_equal(msg, "(message withheld: it quoted a credential)");
	strlcpy(msg, "short and harmless", sizeof(msg));
	assert_int_equal(fmt_withhold_secrets(msg, sizeof(msg), secrets, 3), 0);
	assert_string_equal(msg, "short and harmless");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_fmt_count),
		cmocka_unit_test(test_fmt_has_control),
		cmocka_unit_test(test_fmt_printable_escapes),
		cmocka_unit_test(test_fmt_printable_redacts),
		cmocka_unit_test(test_fmt_printable_truncates),
		cmocka_unit_test(test_fmt_withhold_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

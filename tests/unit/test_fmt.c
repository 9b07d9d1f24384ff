/* test_fmt.c: golden strings for durations, sizes and counts; the
 * control-character check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fmt.h"

static void
test_fmt_duration(void **state)
{
	static const struct {
		uint64_t ms;
		const char *want;
	} c[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 850, "850ms" }, { 1000, "1s" },
		{ 59999, "59s" }, { 60000, "1m" }, { 309000, "5m9s" },
		{ 1201000, "20m1s" }, { 3600000, "1h" }, { 3660000, "1h1m" },
		{ 3601000, "1h" }, { 68220000, "18h57m" },
		{ 86400000, "1d" }, { 277200000, "3d5h" },
		{ 90061001, "1d1h" }, { UINT64_MAX, "213503982334d14h" },
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
		{ 0, "0B" }, { 1023, "1023B" }, { 1024, "1.0KiB" },
		{ 1536, "1.5KiB" }, { 10239, "9.9KiB" }, { 10240, "10KiB" },
		{ 30408704, "29MiB" }, { 1610612736, "1.5GiB" },
		{ 3518437208883ULL, "3.1TiB" }, { UINT64_MAX, "15EiB" },
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
		{ 0, "0" }, { 999, "999" }, { 1000, "1.0K" }, { 9999, "9.9K" },
		{ 47000, "47K" }, { 46512, "46K" }, { 1200000, "1.2M" },
		{ 3400000000ULL, "3.4B" }, { 999999999999ULL, "999B" },
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_fmt_count),
		cmocka_unit_test(test_fmt_has_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

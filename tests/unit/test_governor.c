/* test_governor.c: token buckets, estimates and the AIMD controller, on a
 * fake clock; the supervisor's shares; plan limits; segment order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget.h"
#include "governor.h"
#include "shares.h"
#include "plan.h"
#include "worker.h"

/* Requests of 25 units sent whenever the bucket is open, for secs: the
 * units taken, per second, after the first second. */
static double
drive(struct gov_bucket *b, int64_t *now, int secs, double cost)
{
	double taken = 0;
	int64_t end = *now + secs * 1000, start = *now + 1000;

	for (; *now < end; (*now)++) {
		while (gov_bucket_open(b, *now)) {
			gov_bucket_take(b, cost, *now);
			if (*now >= start)
				taken += cost;
		}
	}
	return taken / (secs - 1);
}

static void
test_bucket_rate(void **state)
{
	struct gov_bucket b;
	int64_t now = 1000;
	double r;

	gov_bucket_init(&b, 0, now);
	/* No limit: always open. */
	assert_true(gov_bucket_open(&b, now));
	assert_int_equal(gov_bucket_wait_ms(&b, now), 0);
	gov_bucket_set(&b, 300, now);
	r = drive(&b, &now, 61, 25);
	assert_true(r > 300 * 0.98 && r < 300 * 1.02);
	/* A lower rate takes effect at once. */
	gov_bucket_set(&b, 100, now);
	r = drive(&b, &now, 31, 25);
	assert_true(r > 100 * 0.97 && r < 100 * 1.03);
	/* Requests bigger than a second's worth still average the rate. */
	gov_bucket_set(&b, 10, now);
	r = drive(&b, &now, 101, 25);
	assert_true(r > 10 * 0.9 && r < 10 * 1.1);
}

static void
test_bucket_burst_and_wait(void **state)
{
	struct gov_bucket b;
	int64_t now = 0;
	unsigned n = 0;

	gov_bucket_init(&b, 0, now);
	gov_bucket_set(&b, 100, now);
	/* Idle for a minute: at most one second's worth is saved. */
	now += 60000;
	while (gov_bucket_open(&b, now)) {
		gov_bucket_take(&b, 10, now);
		n++;
	}
	assert_int_equal(n, 10);
	/* In debt by 0 (tokens exactly 0): 1 ms to the next token. */
	assert_false(gov_bucket_open(&b, now));
	assert_int_equal(gov_bucket_wait_ms(&b, now), 1);
	gov_bucket_take(&b, 50, now); /* an answer cost more than taken */
	assert_int_equal(gov_bucket_wait_ms(&b, now), 501);
	assert_false(gov_bucket_open(&b, now + 500));
	assert_true(gov_bucket_open(&b, now + 501));
	/* Giving back what was not spent opens it again. */
	gov_bucket_take(&b, -100, now + 501);
	assert_true(gov_bucket_open(&b, now + 501));
}

static void
test_bucket_held(void **state)
{
	struct gov_bucket b;

	gov_bucket_init(&b, 1, 0);
	assert_false(gov_bucket_open(&b, 0));
	assert_int_equal(gov_bucket_wait_ms(&b, 0), -1);
	gov_bucket_take(&b, 5, 10);
	/* The share came: a second's worth at once. */
	gov_bucket_set(&b, 50, 100);
	assert_true(gov_bucket_open(&b, 100));
	gov_bucket_take(&b, 50, 100);
	assert_false(gov_bucket_open(&b, 100));
	/* Back to no limit. */
	gov_bucket_set(&b, 0, 100);
	assert_true(gov_bucket_open(&b, 100));
}

static void
test_estimates(void **state)
{
	assert_true(gov_wcu_estimate(0, 0) == 1);
	assert_true(gov_wcu_estimate(1, 0) == 1);
	assert_true(gov_wcu_estimate(1024, 0) == 1);
	assert_true(gov_wcu_estimate(1025, 0) == 2);
	assert_true(gov_wcu_estimate(400 * 1024, 0) == 400);
	assert_true(gov_wcu_estimate(5000, 1) == 1); /* a delete */
	assert_true(gov_rcu_estimate(0) == 0);
	assert_true(gov_rcu_estimate(1) == 0.5);
	assert_true(gov_rcu_estimate(4096) == 0.5);
	assert_true(gov_rcu_estimate(4097) == 1);
	assert_true(gov_rcu_estimate(1024 * 1024) == 128);
}

static void
test_resolve(void **state)
{
	assert_true(gov_resolve(0, 0, 100, 0) == 0);
	assert_true(gov_resolve(300, 0, 0, 0) == 300);
	assert_true(gov_resolve(0, 40, 1000, 0) == 400);
	assert_true(gov_resolve(0, 20, 0, 5000) == 1000);
	/* On-demand without a maximum: nothing to take a percentage of. */
	assert_true(gov_resolve(0, 40, 0, 0) < 0);
}

/*
 * A closed loop against a model endpoint: round trip rtt_ms, at most
 * ceiling writes/s (0: none), 25 writes a request. Each simulated
 * millisecond completes what the in-flight limit and the ceiling allow.
 * Returns the writes/s of the last 10 s of secs.
 */
static double
loop(struct gov_aimd *a, int64_t *now, int secs, double rtt_ms, double ceiling,
    int throttle_every)
{
	double credit = 0, done = 0, per_ms, rate;
	int64_t end = *now + secs * 1000, last10 = end - 10000;
	unsigned n = 0;

	for (; *now < end; (*now)++) {
		rate = a->limit * 25 * 1000.0 / rtt_ms;
		if (ceiling > 0 && rate > ceiling)
			rate = ceiling;
		per_ms = rate / 1000.0;
		credit += per_ms;
		while (credit >= 25) {
			int thr = throttle_every > 0 &&
			    ++n % (unsigned)throttle_every == 0;

			credit -= 25;
			gov_aimd_answer(a, thr ? 0 : 25, a->limit, thr, 0,
			    *now);
			if (*now >= last10 && !thr)
				done += 25;
		}
	}
	return done / 10;
}

static void
test_aimd_reaches_the_bound(void **state)
{
	struct gov_aimd a;
	int64_t now = 0;
	double r;

	/* 100 ms, no ceiling: slow start reaches the bound in seconds. */
	gov_aimd_init(&a, GOV_START, 256, now);
	r = loop(&a, &now, 30, 100, 0, 0);
	assert_int_equal(a.limit, 256);
	assert_true(r >= 0.9 * 256 * 25 * 10);
	/* A start above the bound is the bound. */
	gov_aimd_init(&a, GOV_START, 4, now);
	assert_int_equal(a.limit, 4);
}

static void
test_aimd_endpoint_ceiling(void **state)
{
	struct gov_aimd a;
	int64_t now = 0;
	double r;

	/* The endpoint takes 20,000 writes/s: 80 in flight at 100 ms. The
	 * controller holds at or above what reaches it. */
	gov_aimd_init(&a, GOV_START, 256, now);
	r = loop(&a, &now, 60, 100, 20000, 0);
	assert_true(r >= 0.9 * 20000);
	/* 10 ms: 8 in flight would do. */
	gov_aimd_init(&a, GOV_START, 256, now);
	r = loop(&a, &now, 60, 10, 20000, 0);
	assert_true(r >= 0.9 * 20000);
}

static void
test_aimd_decrease(void **state)
{
	struct gov_aimd a;
	int64_t now = 1000;

	gov_aimd_init(&a, 100, 256, now);
	/* Throttled: times 0.7, once per window whatever the answers say. */
	assert_int_equal(gov_aimd_answer(&a, 0, 100, 1, 0, now), 70);
	assert_int_equal(gov_aimd_answer(&a, 0, 70, 1, 0, now + 10), 70);
	assert_int_equal(gov_aimd_answer(&a, 0, 70, 0, 1, now + 999), 70);
	assert_int_equal(gov_aimd_answer(&a, 0, 70, 0, 1, now + 1000), 49);
	assert_int_equal(a.decreases, 2);
	assert_int_equal(a.slow_start, 0);
	/* Never below one. */
	for (int i = 0; i < 20; i++)
		gov_aimd_answer(&a, 0, 1, 1, 0, now + 2000 + i * 1000);
	assert_int_equal(a.limit, 1);
	/* After throttling, growth is additive: +1 a round trip (as many
	 * answers as the limit). One answer a window at limit 1: +1. */
	now += 30000;
	for (int w = 0; w < 3; w++)
		gov_aimd_answer(&a, 25, a.limit, 0, 0, now += GOV_WINDOW_MS);
	assert_int_equal(a.limit, 4);
	/* 10 rounds in a window at 10 in flight (100 ms): +10. */
	gov_aimd_init(&a, 10, 256, now);
	a.slow_start = 0;
	for (int i = 0; i < 100; i++)
		gov_aimd_answer(&a, 25, 10, 0, 0, now += 10);
	gov_aimd_answer(&a, 25, 10, 0, 0, now += 10);
	assert_int_equal(a.limit, 20);
}

static void
test_aimd_throttling_converges(void **state)
{
	struct gov_aimd a;
	int64_t now = 0;
	double r;

	/* A third of the answers throttled: the limit comes down and stays
	 * small, the loop goes on. */
	gov_aimd_init(&a, 64, 256, now);
	r = loop(&a, &now, 30, 20, 0, 3);
	assert_true(a.limit <= 3);
	assert_true(r > 0);
}

static void
test_aimd_no_growth_when_gated_or_idle(void **state)
{
	struct gov_aimd a;
	int64_t now = 0;

	gov_aimd_init(&a, 8, 256, now);
	/* The bucket holds requests back: the slots are not the limit. */
	for (int i = 0; i < 50; i++) {
		gov_aimd_gated(&a);
		gov_aimd_answer(&a, 25, 8, 0, 0, now += 100);
	}
	assert_int_equal(a.limit, 8);
	/* Fewer in flight than the limit: no reason to grow. */
	for (int i = 0; i < 50; i++)
		gov_aimd_answer(&a, 25, 3, 0, 0, now += 100);
	assert_int_equal(a.limit, 8);
}

static void
test_aimd_fall_undoes(void **state)
{
	struct gov_aimd a;
	int64_t now = 0;

	gov_aimd_init(&a, 8, 256, now);
	/* A window at 8 in flight: 1000 writes. */
	for (int i = 0; i < 40; i++)
		gov_aimd_answer(&a, 25, 8, 0, 0, now += 25);
	gov_aimd_answer(&a, 25, 8, 0, 0, now += 25);
	assert_int_equal(a.limit, 16);
	/* At 16 it gets much slower: back to 8, slow start over. */
	for (int i = 0; i < 10; i++)
		gov_aimd_answer(&a, 25, 16, 0, 0, now += 100);
	gov_aimd_answer(&a, 25, 16, 0, 0, now += 100);
	assert_int_equal(a.limit, 8);
	assert_int_equal(a.slow_start, 0);
}

static void
test_budget_share(void **state)
{
	struct plan_limit l = { 400, 0 };
	double u, p;

	budget_share(&l, 2, &u, &p);
	assert_true(u == 200 && p == 0);
	budget_share(&l, 0, &u, &p); /* no pair running: all of it */
	assert_true(u == 400 && p == 0);
	l.units = 0;
	l.pct = 40;
	budget_share(&l, 3, &u, &p);
	assert_true(u == 0 && p > 13.33 && p < 13.34);
	l.pct = 0;
	budget_share(&l, 3, &u, &p);
	assert_true(u == 0 && p == 0);
}

static void
test_plan_limit_parse(void **state)
{
	static const struct {
		const char *in;
		const char *err;
	} bad[] = {
		{ "0",
		    "'0' is zero: a limit lets at least 1 capacity unit "
		    "per second (1%) through; leave the key out for no limit" },
		{ "0%",
		    "'0%' is zero: a limit lets at least 1 capacity unit "
		    "per second (1%) through; leave the key out for no limit" },
		{ "-5",
		    "'-5' is negative: a limit is capacity units per "
		    "second (500) or a percentage of the table's capacity "
		    "(40%)" },
		{ "abc",
		    "'abc' is not a limit: give whole capacity units per "
		    "second (500) or a percentage of the table's capacity "
		    "(40%)" },
		{ "12.5",
		    "'12.5' is not a limit: give whole capacity units "
		    "per second (500) or a percentage of the table's capacity "
		    "(40%)" },
		{ "%",
		    "'%' is not a limit: give whole capacity units per "
		    "second (500) or a percentage of the table's capacity "
		    "(40%)" },
		{ "101%", "101 is out of range (0 to 100)" },
		{ "1000000001",
		    "1000000001 is out of range (0 to 1000000000)" },
	};
	struct plan_limit l;
	char err[256], b[16];

	assert_int_equal(plan_limit_parse("500", &l, err, sizeof(err)), 0);
	assert_int_equal(l.units, 500);
	assert_int_equal(l.pct, 0);
	assert_string_equal(plan_limit_str(&l, b, sizeof(b)), "500");
	assert_int_equal(plan_limit_parse("40%", &l, err, sizeof(err)), 0);
	assert_int_equal(l.units, 0);
	assert_int_equal(l.pct, 40);
	assert_string_equal(plan_limit_str(&l, b, sizeof(b)), "40%");
	memset(&l, 0, sizeof(l));
	assert_string_equal(plan_limit_str(&l, b, sizeof(b)), "none");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(plan_limit_parse(bad[i].in, &l, err,
				     sizeof(err)),
		    -1);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("%s: got '%s'", bad[i].in, err);
	}
}

static void
test_plan_limits_per_table(void **state)
{
	static const char yml[] =
	    "plan:\n"
	    "  - input: {table: aaa, region: eu-west-1, read_capacity: 40%}\n"
	    "    output: {table: ccc, write_capacity: 400}\n"
	    "  - input: {table: bbb, region: eu-west-1}\n"
	    "    output: {table: ccc, write_capacity: 300}\n";
	struct plan_errors errs;
	struct plan *p;
	char **argv;
	size_t n, i;
	int seen = 0;

	plan_errors_init(&errs);
	p = plan_load_buffer("t.yml", yml, strlen(yml), &errs);
	assert_non_null(p);
	plan_resolve_defaults(p);
	assert_int_equal(p->pairs[0].read_limit.pct, 40);
	assert_int_equal(p->pairs[0].write_limit.units, 400);
	/* One table, two budgets: refused. */
	assert_int_equal(plan_validate(p, &errs), 1);
	assert_non_null(strstr(errs.msgs[0],
	    "output.write_capacity 300 "
	    "differs from the 400 of plan[0]"));
	/* The worker's argv carries the limits. */
	argv = plan_pair_to_argv(&p->pairs[0], &n);
	for (i = 0; i < n; i++)
		seen += strcmp(argv[i], "--input-read-capacity=40%") == 0 ||
		    strcmp(argv[i], "--output-write-capacity=400") == 0;
	assert_int_equal(seen, 2);
	plan_argv_free(argv);
	plan_free(p);
	plan_errors_clear(&errs);
}

static void
test_parse_capacity(void **state)
{
	static const char prov[] =
	    "{\"Table\":{\"ProvisionedThroughput\":"
	    "{\"ReadCapacityUnits\":100,\"WriteCapacityUnits\":50}}}";
	static const char od[] =
	    "{\"Table\":{\"BillingModeSummary\":"
	    "{\"BillingMode\":\"PAY_PER_REQUEST\"},\"ProvisionedThroughput\":"
	    "{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":5},"
	    "\"OnDemandThroughput\":{\"MaxReadRequestUnits\":-1,"
	    "\"MaxWriteRequestUnits\":2000}}}";
	int64_t r, w, mr, mw;

	assert_int_equal(shares_parse_capacity(prov, strlen(prov), &r, &w, &mr,
			     &mw),
	    0);
	assert_true(r == 100 && w == 50 && mr == 0 && mw == 0);
	/* On-demand: old provisioned figures do not count; -1 is none. */
	assert_int_equal(shares_parse_capacity(od, strlen(od), &r, &w, &mr,
			     &mw),
	    0);
	assert_true(r == 0 && w == 0 && mr == 0 && mw == 2000);
	assert_int_equal(shares_parse_capacity("{}", 2, &r, &w, &mr, &mw), -1);
	assert_int_equal(shares_parse_capacity("nope", 4, &r, &w, &mr, &mw),
	    -1);
}

static void
test_shuffle(void **state)
{
	size_t a[64], b[64], seen[64];
	int moved = 0;

	backfill_shuffle(a, 64, "orders");
	backfill_shuffle(b, 64, "orders");
	/* Deterministic per pair, a permutation, not 0..N-1. */
	assert_memory_equal(a, b, sizeof(a));
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < 64; i++) {
		assert_true(a[i] < 64);
		seen[a[i]]++;
		moved += a[i] != i;
	}
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(seen[i], 1);
	assert_true(moved > 32);
	backfill_shuffle(b, 64, "invoices");
	assert_memory_not_equal(a, b, sizeof(a));
	backfill_shuffle(a, 1, "x");
	assert_int_equal(a[0], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_rate),
		cmocka_unit_test(test_bucket_burst_and_wait),
		cmocka_unit_test(test_bucket_held),
		cmocka_unit_test(test_estimates),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_aimd_reaches_the_bound),
		cmocka_unit_test(test_aimd_endpoint_ceiling),
		cmocka_unit_test(test_aimd_decrease),
		cmocka_unit_test(test_aimd_throttling_converges),
		cmocka_unit_test(test_aimd_no_growth_when_gated_or_idle),
		cmocka_unit_test(test_aimd_fall_undoes),
		cmocka_unit_test(test_budget_share),
		cmocka_unit_test(test_plan_limit_parse),
		cmocka_unit_test(test_plan_limits_per_table),
		cmocka_unit_test(test_parse_capacity),
		cmocka_unit_test(test_shuffle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

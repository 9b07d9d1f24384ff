/* test_status.c: the status table's formatter, rates and frames (no I/O). */
#include <limits.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "buf.h"
#include "status.h"
#include "sup.h"

#define LONG_ERROR \
	"AccessDeniedException: BatchWriteItem on orders-copy: " \
	"not authorized to perform dynamodb:BatchWriteItem on resource " \
	"arn:aws:dynamodb:us-east-1:123456789012:table/orders-copy with an " \
	"explicit deny"

/* A running pair with an estimate and rates; tests change what they need. */
static struct status_row
row(void)
{
	struct status_row r;

	memset(&r, 0, sizeof(r));
	r.table = "dst";
	r.proc = STATUS_PROC_RUNNING;
	r.backfill = PROTO_PS_PENDING;
	r.stream = PROTO_PS_PENDING;
	r.have_est = 1;
	r.items = 46000;
	r.bytes = 27262976;
	r.st_latency_ms = -1;
	r.have_rates = 1;
	r.read_rate = 49;
	r.wcu_rate = 50;
	return r;
}

static char out[1 << 16];

/* The whole table. */
static const char *
table(const struct status_row *r, size_t n, int width)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(status_format(r, n, width, &b), (int)n + 1);
	assert_true(b.len < sizeof(out));
	memcpy(out, b.data, b.len + 1);
	buf_free(&b);
	return out;
}

/* Line i (0 = header) of a table, without its newline. */
static const char *
line_of(const char *text, int i)
{
	static char l[1 << 14];
	const char *p = text, *nl;

	while (i-- > 0) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	nl = strchr(p, '\n');
	assert_non_null(nl);
	assert_true((size_t)(nl - p) < sizeof(l));
	memcpy(l, p, (size_t)(nl - p));
	l[nl - p] = '\0';
	return l;
}

/* The data line of a one-row table. */
static const char *
one(struct status_row r, int width)
{
	return line_of(table(&r, 1, width), 1);
}

static void
test_status_backfill_states(void **state)
{
	struct status_row r = row();

	assert_string_equal(table(&r, 1, 0),
	    "TABLE  DETAILS              BACKFILL   STREAM     RATES & BUFFER\n"
	    "⇨ dst  ~46K items (~26MiB)  -PENDING-  -PENDING-  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s\n");
	r.backfill = PROTO_PS_RUNNING;
	r.bf_written = 267164;
	r.bf_target = 460000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "267164 written (58%)  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* No estimate: no percentage. */
	r.bf_target = 0;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "267164 written  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Past a stale estimate: 99% until the phase says complete. */
	r.bf_target = 46000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "267164 written (99%)  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.bf_written = 45999;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "45999 written (99%)  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.bf_written = 0;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "0 written (0%)  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Stopped mid-way: how far it got. */
	r.backfill = PROTO_PS_STOPPED;
	r.bf_written = 23000;
	r.proc = STATUS_PROC_STOPPED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "23000 written (50%)  -PENDING-  stopped");
	r = row();
	r.backfill = PROTO_PS_COMPLETE;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.backfill = PROTO_PS_SKIPPED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-SKIPPED-  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.backfill = PROTO_PS_FAILED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-FAILED-  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.backfill = (enum proto_phase_state)99;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "?         -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
}

/* TTL skips show in the widest form, and give way on narrow ones. */
static void
test_status_ttl(void **state)
{
	struct status_row r = row();

	r.backfill = PROTO_PS_COMPLETE;
	r.ttl_expired = 12;
	r.stream = PROTO_PS_RUNNING;
	r.st_written = 2019;
	r.caught_up = 1;
	r.ttl_deletes = 3;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-, 12 expired skipped  2019 written (caught up), 3 TTL "
	    "deletes skipped  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	assert_null(strstr(one(r, 80), "skipped"));
	r.backfill = PROTO_PS_RUNNING;
	r.bf_written = 100;
	r.ttl_deletes = 0;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "100 written, 12 expired skipped  2019 written (caught up)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
}

/* A fleet's leases go with the running phase, in the wider forms only. */
static void
test_status_fleet(void **state)
{
	struct status_row r = row();

	r.backfill = PROTO_PS_RUNNING;
	r.bf_written = 100;
	r.fleet = 1;
	r.leases_held = 3;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "100 written, leases 3  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.leases_lost = 1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "100 written, leases 3 (lost 1)  -PENDING-  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Narrower: the short form, then none. */
	assert_non_null(strstr(one(r, 70), "  100 L3 (lost 1)  "));
	assert_null(strstr(one(r, 54), "L3"));
	/* A pair held by other hosts: 0 leases, said. */
	r.leases_held = 0;
	r.leases_lost = 0;
	assert_non_null(strstr(one(r, 0), "100 written, leases 0  "));
	/* A phase in words: only when something is held or lost. */
	r.backfill = PROTO_PS_COMPLETE;
	assert_null(strstr(one(r, 0), "leases"));
	r.leases_lost = 2;
	assert_non_null(strstr(one(r, 0), "-COMPLETE-, leases 0 (lost 2)  "));
	/* The stream's, once it runs. */
	r.leases_lost = 0;
	r.leases_held = 2;
	r.stream = PROTO_PS_RUNNING;
	r.st_written = 5;
	assert_non_null(strstr(one(r, 0), "-COMPLETE-  5 written, leases 2  "));
	/* Not in a fleet: nothing. */
	r.fleet = 0;
	assert_null(strstr(one(r, 0), "leases"));
}

static void
test_status_stream_states(void **state)
{
	struct status_row r = row();

	r.backfill = PROTO_PS_COMPLETE;
	r.stream = PROTO_PS_RUNNING;
	r.st_written = 2019;
	r.st_latency_ms = 68220000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  2019 written (~18h57m latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.st_latency_ms = 850;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  2019 written (~850ms latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.caught_up = 1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  2019 written (caught up)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Nothing applied yet: no latency to show. */
	r.caught_up = 0;
	r.st_latency_ms = -1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  2019 written  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.gap = 1;
	r.st_latency_ms = 60000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  GAP! 2019 written (~1m latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* A gap is shown even when the phase failed because of it. */
	r.stream = PROTO_PS_FAILED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-COMPLETE-  GAP! -FAILED-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r = row();
	r.stream = PROTO_PS_SKIPPED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-PENDING-  -SKIPPED-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.stream = PROTO_PS_COMPLETE;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-PENDING-  -COMPLETE-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
}

static void
test_status_retention_risk(void **state)
{
	struct status_row r = row();

	/* The usual case: a backfill past 20 hours, the stream waiting. */
	r.backfill = PROTO_PS_RUNNING;
	r.bf_written = 5000000;
	r.bf_target = 9000000;
	r.retention_risk = 1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "5.0M written (55%)  -PENDING- RETENTION RISK  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Kept in the shortest form. */
	assert_string_equal(one(r, 50),
	    "⇨ dst ~46K    55%      -PENDING- "
	    "RISK 49/s ○ 50 W…");
	/* A stream that is not wanted cannot lose records. */
	r.stream = PROTO_PS_SKIPPED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "5.0M written (55%)  -SKIPPED-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Once records are lost, the gap is what matters. */
	r.stream = PROTO_PS_RUNNING;
	r.gap = 1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "5.0M written (55%)  GAP! 0 written  49 items/s ⇨ ○ ⇨ 50 WCU/s");
}

static void
test_status_worker_states(void **state)
{
	struct status_row r = row();

	r.proc = STATUS_PROC_STARTING;
	r.have_est = 0;
	assert_string_equal(table(&r, 1, 0),
	    "TABLE  DETAILS  BACKFILL   STREAM     RATES & BUFFER\n"
	    "⇨ dst           -PENDING-  -PENDING-  starting\n");
	r = row();
	r.proc = STATUS_PROC_RESTARTING;
	r.restarts = 3;
	r.backfill = PROTO_PS_RUNNING;
	r.bf_written = 1000;
	/* Rounded up: 3.2 s to go is "in 4s", never "in 0s". */
	r.restart_in_ms = 3200;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "1000 written  -PENDING-  restarting in 4s (restart 3)");
	r.restart_in_ms = 1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "1000 written  -PENDING-  restarting in 1s (restart 3)");
	r.restart_in_ms = 90000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "1000 written  -PENDING-  restarting in 1m30s (restart 3)");
	r.restart_in_ms = -5;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "1000 written  -PENDING-  restarting now (restart 3)");
	r = row();
	r.proc = STATUS_PROC_STOPPED;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-PENDING-  -PENDING-  stopped");
	r.proc = STATUS_PROC_DONE;
	r.backfill = PROTO_PS_COMPLETE;
	r.stream = PROTO_PS_SKIPPED;
	r.items_exact = 1;
	assert_string_equal(one(r, 0),
	    "⇨ dst  46K items (~26MiB)  "
	    "-COMPLETE-  -SKIPPED-  done");
}

static void
test_status_failed(void **state)
{
	struct status_row r[2] = { row(), row() };
	const char *t;

	r[0].proc = STATUS_PROC_FAILED;
	r[0].error = LONG_ERROR;
	r[0].backfill = PROTO_PS_FAILED;
	/* The error spans the phase and rate columns, cut to the line. */
	t = table(r, 1, 80);
	assert_string_equal(t,
	    "TABLE  DETAILS              BACKFILL  STREAM  RATES & BUFFER\n"
	    "⇨ dst  ~46K items (~26MiB)  FAILED: AccessDeniedException: "
	    "BatchWriteItem on or…\n");
	assert_int_equal(status_width(line_of(t, 1)), 80);
	t = table(r, 1, 200);
	assert_string_equal(line_of(t, 1),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "FAILED: AccessDeniedException: BatchWriteItem on orders-copy: "
	    "not authorized to perform dynamodb:BatchWriteItem on resource "
	    "arn:aws:dynamodb:us-east-1:123456789012:table/o…");
	assert_int_equal(status_width(line_of(t, 1)), 200);
	/* Without a width (a log file), all of it. */
	assert_string_equal(one(r[0], 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "FAILED: " LONG_ERROR);
	/* Its length does not widen the other rows' columns. */
	r[1].table = "other";
	t = table(r, 2, 0);
	assert_string_equal(line_of(t, 2),
	    "⇨ other  ~46K items (~26MiB)  "
	    "-PENDING-  -PENDING-  49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r[0].error = "";
	assert_string_equal(one(r[0], 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "FAILED");
	r[0].error = NULL;
	assert_string_equal(one(r[0], 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "FAILED");
}

/* Control characters from a worker's error never reach the terminal. */
static void
test_status_sanitizes(void **state)
{
	struct status_row r = row();
	const char *t;

	r.proc = STATUS_PROC_FAILED;
	r.error = "bad\033[2J\033]0;title\007x\ny\tz\x7f\xc2\x9b"
		  "\xe2\x80\xae"
		  "evil\xff\xc0\xaf end";
	r.table = "t\033[31m";
	t = table(&r, 1, 0);
	assert_null(strchr(t, '\033'));
	assert_null(strchr(t, '\007'));
	/* The error is escaped where it is readable (fmt_printable). */
	assert_string_equal(line_of(t, 1),
	    "⇨ t?[31m  ~46K items (~26MiB)  "
	    "FAILED: bad\\x1b[2J\\x1b]0;title\\x07x\\ny\\tz\\x7f\\u009b"
	    "\\u202eevil\\xff\\xc0\\xaf end");
}

/* A pair whose calls keep failing says why in its row. */
static void
test_status_retrying(void **state)
{
	struct status_row r = row();

	r.proc = STATUS_PROC_STARTING;
	r.retrying = "source DescribeTable at http://127.0.0.1:1 failing for "
		     "5s, still retrying: NetworkError: refused\r\nforged";
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "RETRYING: source DescribeTable at http://127.0.0.1:1 failing for "
	    "5s, still retrying: NetworkError: refused\\r\\nforged");
	r.retrying = "";
	assert_null(strstr(one(r, 0), "RETRYING"));
}

static void
test_status_huge_and_tiny(void **state)
{
	struct status_row r = row();

	r.backfill = PROTO_PS_RUNNING;
	r.items = 3400000000ULL;
	r.bytes = 10555311626649ULL;
	r.bf_written = 1234567890ULL;
	r.bf_target = r.items;
	r.read_rate = 123456;
	r.wcu_rate = 2500000;
	r.buffer_pct = 100;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~3.4B items (~9.5TiB)  "
	    "1.2B written (36%)  -PENDING-  123K items/s ⇨ ● ⇨ 2.5M WCU/s");
	r = row();
	r.backfill = PROTO_PS_COMPLETE;
	r.stream = PROTO_PS_RUNNING;
	r.items = r.bytes = r.st_written = UINT64_MAX;
	r.st_latency_ms = 3 * 86400000LL + 5 * 3600000LL + 59000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~18446Q items (~15EiB)  "
	    "-COMPLETE-  18446Q written (~3d5h latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.st_latency_ms = INT64_MAX;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~18446Q items (~15EiB)  "
	    "-COMPLETE-  18446Q written (~106751991167d7h latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* Exact up to a million, then compact. */
	r.st_written = 999999;
	r.st_latency_ms = 0;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~18446Q items (~15EiB)  "
	    "-COMPLETE-  999999 written (~0s latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r.st_written = 1000000;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~18446Q items (~15EiB)  "
	    "-COMPLETE-  1.0M written (~0s latent)  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	r = row();
	r.items = r.bytes = 0;
	r.backfill = PROTO_PS_RUNNING;
	r.read_rate = 0;
	r.wcu_rate = 0.4;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~0 items (~0B)  0 written  "
	    "-PENDING-  0 items/s ⇨ ○ ⇨ <1 WCU/s");
}

static void
test_status_rate_format(void **state)
{
	static const struct {
		double r;
		const char *want;
	} c[] = {
		{ 0, "0" },
		{ 0.01, "<1" },
		{ 0.99, "<1" },
		{ 1, "1" },
		{ 1.5, "2" },
		{ 12.4, "12" },
		{ 9999.4, "9999" },
		{ 9999.6, "10K" },
		{ 12345, "12K" },
		{ 1.5e6, "1.5M" },
		{ 7e9, "7.0B" },
		{ 1e30, "1000Q" },
		{ -1, "-" },
	};
	struct status_row r = row();
	char want[128];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r.read_rate = c[i].r;
		r.wcu_rate = 0;
		snprintf(want, sizeof(want),
		    "⇨ dst  ~46K items (~26MiB)  "
		    "-PENDING-  -PENDING-  %s items/s ⇨ ○ ⇨ 0 WCU/s",
		    c[i].want);
		assert_string_equal(one(r, 0), want);
	}
	/* Not enough samples yet: unknown, not zero. */
	r.have_rates = 0;
	assert_string_equal(one(r, 0),
	    "⇨ dst  ~46K items (~26MiB)  "
	    "-PENDING-  -PENDING-  - items/s ⇨ ○ ⇨ - WCU/s");
}

static void
test_status_glyph_thresholds(void **state)
{
	static const struct {
		uint32_t pct;
		const char *want;
	} c[] = {
		{ 0, "○" },
		{ 12, "○" },
		{ 13, "◔" },
		{ 25, "◔" },
		{ 37, "◔" },
		{ 38, "◑" },
		{ 50, "◑" },
		{ 62, "◑" },
		{ 63, "◕" },
		{ 75, "◕" },
		{ 87, "◕" },
		{ 88, "●" },
		{ 100, "●" },
		{ 1000, "●" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		assert_string_equal(status_glyph(c[i].pct), c[i].want);
}

/* The rows of README.md's status example ("Output"). */
static void
spec_rows(struct status_row r[3])
{
	r[0] = row();
	r[0].table = "ddb-sync-dest";
	r[0].items = 47000;
	r[0].bytes = 30408704;
	r[0].items_exact = r[0].bytes_exact = 1;
	r[0].backfill = PROTO_PS_COMPLETE;
	r[0].stream = PROTO_PS_RUNNING;
	r[0].st_written = 2019;
	r[0].st_latency_ms = 68220000;
	r[0].read_rate = 12;
	r[0].wcu_rate = 32;
	r[0].buffer_pct = 75;
	r[1] = row();
	r[1].table = "ddb-sync-dest-2";
	r[1].backfill = PROTO_PS_SKIPPED;
	r[1].stream = PROTO_PS_RUNNING;
	r[1].st_written = 789;
	r[1].st_latency_ms = 2795000;
	r[1].read_rate = 9;
	r[1].wcu_rate = 17;
	r[1].buffer_pct = 50;
	r[2] = row();
	r[2].table = "ddb-sync-dest-3";
	r[2].backfill = PROTO_PS_RUNNING;
	r[2].bf_written = 267164;
	r[2].bf_target = 460000;
}

static void
test_status_widths_80_200(void **state)
{
	struct status_row r[3];

	spec_rows(r);
	assert_string_equal(table(r, 3, 200),
	    "TABLE              DETAILS              BACKFILL              "
	    "STREAM                         RATES & BUFFER\n"
	    "⇨ ddb-sync-dest    47K items (29MiB)    -COMPLETE-            "
	    "2019 written (~18h57m latent)  12 items/s ⇨ ◕ ⇨ 32 WCU/s\n"
	    "⇨ ddb-sync-dest-2  ~46K items (~26MiB)  -SKIPPED-             "
	    "789 written (~46m35s latent)   9 items/s ⇨ ◑ ⇨ 17 WCU/s\n"
	    "⇨ ddb-sync-dest-3  ~46K items (~26MiB)  267164 written (58%)  "
	    "-PENDING-                      49 items/s ⇨ ○ ⇨ 50 WCU/s\n");
	/* 80 columns (79 used): the words go first, the figures stay. */
	assert_string_equal(table(r, 3, 79),
	    "TABLE              DETAILS        BACKFILL      STREAM          "
	    "RATES & BUFFER\n"
	    "⇨ ddb-sync-dest    47K (29MiB)    -COMPLETE-    2019 (~18h57m)  "
	    "12/s ◕ 32 WCU/s\n"
	    "⇨ ddb-sync-dest-2  ~46K (~26MiB)  -SKIPPED-     789 (~46m35s)   "
	    "9/s ◑ 17 WCU/s\n"
	    "⇨ ddb-sync-dest-3  ~46K (~26MiB)  267164 (58%)  -PENDING-       "
	    "49/s ○ 50 WCU/s\n");
	/* 118 fits exactly; a little less shortens only the rates. */
	assert_string_equal(line_of(table(r, 3, 118), 1),
	    "⇨ ddb-sync-dest    47K items (29MiB)    -COMPLETE-            "
	    "2019 written (~18h57m latent)  12 items/s ⇨ ◕ ⇨ 32 WCU/s");
	assert_string_equal(line_of(table(r, 3, 117), 1),
	    "⇨ ddb-sync-dest    47K items (29MiB)    -COMPLETE-            "
	    "2019 written (~18h57m latent)  12/s ⇨ ◕ ⇨ 32 WCU/s");
	/* 60: figures only, one space between columns, names cut. */
	assert_string_equal(table(r, 3, 59),
	    "TABLE          DETAILS BACKFILL   STREAM    RATES & BUFFER\n"
	    "⇨ ddb-sync-de… 47K     -COMPLETE- ~18h57m   12/s ◕ 32 WCU/s\n"
	    "⇨ ddb-sync-de… ~46K    -SKIPPED-  ~46m35s   9/s ◑ 17 WCU/s\n"
	    "⇨ ddb-sync-de… ~46K    58%        -PENDING- 49/s ○ 50 WCU/s\n");
	/* 40: table names cut, then the line. */
	assert_string_equal(table(r, 3, 40),
	    "TABLE      DETAILS BACKFILL   STREAM   …\n"
	    "⇨ ddb-syn… 47K     -COMPLETE- ~18h57m  …\n"
	    "⇨ ddb-syn… ~46K    -SKIPPED-  ~46m35s  …\n"
	    "⇨ ddb-syn… ~46K    58%        -PENDING-…\n");
}

static void
test_status_long_table_names(void **state)
{
	struct status_row r[2] = { row(), row() };
	char name[256];
	const char *t;

	memset(name, 'n', 255);
	name[255] = '\0';
	r[0].table = name;
	r[1].table = "short";
	/* Very long names are capped first, the cells keep their words. */
	t = table(r, 2, 119);
	assert_string_equal(line_of(t, 1),
	    "⇨ nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnn…  ~46K items (~26MiB)  -PENDING-  -PENDING-  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	/* 40 columns for the name, then two spaces. */
	assert_string_equal(line_of(t, 2),
	    "⇨ short                        "
	    "           ~46K items (~26MiB)  -PENDING-  -PENDING-  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s");
	assert_int_equal(status_width(line_of(t, 1)), 110);
	/* With room, the whole name. */
	t = table(r, 2, 0);
	assert_int_equal(status_width(line_of(t, 1)),
	    2 + 255 + 2 + 19 + 2 + 9 + 2 + 9 + 2 + 25);
}

/* Wide and multi-byte names are cut on character boundaries. */
static void
test_status_utf8_cut(void **state)
{
	struct status_row r = row();
	const char *l;

	/* 表 is two columns wide: an odd budget leaves one blank. */
	r.table = "表表表表表表表表表表表表表表表表表表表表表表表表表表表表";
	l = line_of(table(&r, 1, 20), 1);
	assert_string_equal(l, "⇨ 表表表…  ~46K    …");
	assert_int_equal(status_width(l), 20);
	r.table = "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81"
		  "e\xcc\x81";
	l = line_of(table(&r, 1, 20), 1);
	assert_string_equal(l,
	    "⇨ \x65\xcc\x81\x65\xcc\x81\x65\xcc\x81"
	    "\x65\xcc\x81\x65\xcc\x81\x65\xcc\x81\x65\xcc\x81… ~46K    …");
}

static int
utf8_width_check(const char *s, size_t *w)
{
	wchar_t ws[4096];
	size_t n = mbstowcs(ws, s, sizeof(ws) / sizeof(ws[0]));
	int cw;

	if (n == (size_t)-1 || n >= sizeof(ws) / sizeof(ws[0]))
		return -1;
	cw = wcswidth(ws, n);
	if (cw < 0)
		return -1;
	*w = (size_t)cw;
	return 0;
}

/*
 * For every width, every line is valid UTF-8 (no character split) whose
 * display width, as glibc's wcswidth() sees it, fits; status_width() agrees.
 */
static void
test_status_never_exceeds_width(void **state)
{
	struct status_row r[9];
	struct buf b;
	const char *p, *nl;
	char line[8192];
	size_t w = 0, lines;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
	    setlocale(LC_CTYPE, "C.utf8") == NULL)
		skip();
	spec_rows(r);
	r[3] = row();
	r[3].table = "表の名前-テーブル-ünïcödé-e\xcc\x81-\xf0\x9f\x98\x80-x";
	r[3].proc = STATUS_PROC_FAILED;
	r[3].error = "Ошибка: 表が見つかりません \xf0\x9f\x98\x80 "
		     "e\xcc\x81\xcc\x81 " LONG_ERROR;
	r[4] = row();
	r[4].proc = STATUS_PROC_RESTARTING;
	r[4].restarts = 12;
	r[4].restart_in_ms = 59000;
	r[5] = row();
	r[5].table = "orders-2024-archive-eu-west-1-replica-copy-for-"
		     "migration-to-new-account";
	r[5].backfill = PROTO_PS_COMPLETE;
	r[5].stream = PROTO_PS_RUNNING;
	r[5].gap = 1;
	r[5].caught_up = 1;
	r[5].st_written = UINT64_MAX;
	r[6] = row();
	r[6].backfill = PROTO_PS_RUNNING;
	r[6].retention_risk = 1;
	r[6].bf_written = 1ULL << 40;
	r[6].bf_target = 1ULL << 41;
	r[6].items = UINT64_MAX;
	r[6].spool = 1;
	r[6].spool_bytes = UINT64_MAX;
	r[6].spool_oldest_ms = INT64_MAX;
	r[6].spool_paused = 1;
	r[7] = row();
	r[7].proc = STATUS_PROC_STOPPED;
	r[7].table = "bad\xff\xfe-utf8\xe2\x87";
	r[8] = row();
	r[8].proc = STATUS_PROC_STARTING;
	r[8].have_est = 0;
	for (int width = 1; width <= 250; width++) {
		buf_init(&b, 0);
		assert_int_equal(status_format(r, 9, width, &b), 10);
		lines = 0;
		for (p = b.data; *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			assert_non_null(nl);
			assert_true((size_t)(nl - p) < sizeof(line));
			memcpy(line, p, (size_t)(nl - p));
			line[nl - p] = '\0';
			if (utf8_width_check(line, &w) == -1)
				fail_msg("width %d: invalid line '%s'", width,
				    line);
			if (w > (size_t)width)
				fail_msg("width %d: line of %zu columns '%s'",
				    width, w, line);
			assert_int_equal(status_width(line), w);
			lines++;
		}
		assert_int_equal(lines, 10);
		/* At 80 and more, every line holds its first two columns. */
		if (width >= 79)
			assert_non_null(strstr(b.data, "⇨ ddb-sync-dest-3"));
		buf_free(&b);
	}
	setlocale(LC_CTYPE, "C");
}

/* The SPOOL cell, and its column only while some row has a spool. */
static void
test_status_spool(void **state)
{
	struct status_row r[3], x = row();
	struct proto_progress pg;
	char b[128];
	const char *t;

	assert_string_equal(status_spool_cell(&x, 0, b, sizeof(b)), "-");
	x.spool = 1;
	x.spool_bytes = 12u << 20;
	x.spool_oldest_ms = 45999;
	assert_string_equal(status_spool_cell(&x, 0, b, sizeof(b)),
	    "12MiB/45s");
	assert_string_equal(status_spool_cell(&x, 1, b, sizeof(b)),
	    "12MiB/45s");
	assert_string_equal(status_spool_cell(&x, 2, b, sizeof(b)), "12MiB");
	x.spool_paused = 1;
	x.spool_oldest_ms = 7384000;
	assert_string_equal(status_spool_cell(&x, 0, b, sizeof(b)),
	    "12MiB/2h3m FULL");
	assert_string_equal(status_spool_cell(&x, 2, b, sizeof(b)), "FULL");
	/* Under a second: whole seconds, no flicker of "ms". */
	x.spool_paused = 0;
	x.spool_oldest_ms = 350;
	assert_string_equal(status_spool_cell(&x, 0, b, sizeof(b)), "12MiB/0s");
	/* No record kept (its age unknown): the size alone. */
	x.spool_oldest_ms = -1;
	assert_string_equal(status_spool_cell(&x, 0, b, sizeof(b)), "12MiB");

	spec_rows(r);
	r[2].spool = 1;
	r[2].spool_bytes = 3u << 30;
	r[2].spool_oldest_ms = 95000;
	r[2].spool_paused = 1;
	assert_string_equal(table(r, 3, 200),
	    "TABLE              DETAILS              BACKFILL              "
	    "STREAM                         SPOOL              "
	    "RATES & BUFFER\n"
	    "⇨ ddb-sync-dest    47K items (29MiB)    -COMPLETE-            "
	    "2019 written (~18h57m latent)  -                  "
	    "12 items/s ⇨ ◕ ⇨ 32 WCU/s\n"
	    "⇨ ddb-sync-dest-2  ~46K items (~26MiB)  -SKIPPED-             "
	    "789 written (~46m35s latent)   -                  "
	    "9 items/s ⇨ ◑ ⇨ 17 WCU/s\n"
	    "⇨ ddb-sync-dest-3  ~46K items (~26MiB)  267164 written (58%)  "
	    "-PENDING-                      3.0GiB/1m35s FULL  "
	    "49 items/s ⇨ ○ ⇨ 50 WCU/s\n");
	/* 80 columns: the age goes, FULL stays. */
	t = table(r, 3, 79);
	assert_non_null(strstr(line_of(t, 0), "SPOOL"));
	assert_non_null(strstr(line_of(t, 1), "⇨ ddb-sync-dest "));
	assert_non_null(strstr(line_of(t, 3), " FULL "));
	assert_null(strstr(t, "1m35s"));
	assert_true(status_width(line_of(t, 3)) <= 79);
	/* The plain (unlimited) form has it too. */
	assert_non_null(strstr(table(r, 3, 0), "3.0GiB/1m35s FULL"));
	/* The progress block's note. */
	memset(&pg, 0, sizeof(pg));
	pg.spool_oldest_ms = -1;
	assert_string_equal(status_spool_note(&pg, b, sizeof(b)), "");
	pg.spool_bytes = 12u << 20;
	assert_string_equal(status_spool_note(&pg, b, sizeof(b)),
	    " (spool 12MiB)");
	pg.spool_oldest_ms = 45999;
	pg.spool_paused = 1;
	assert_string_equal(status_spool_note(&pg, b, sizeof(b)),
	    " (spool 12MiB, oldest record 45s, FULL: reading paused)");
	/* No spool anywhere: no column. */
	r[2].spool = 0;
	assert_null(strstr(table(r, 3, 0), "SPOOL"));
}

static void
test_status_width_fn(void **state)
{
	assert_int_equal(status_width(""), 0);
	assert_int_equal(status_width("abc"), 3);
	assert_int_equal(status_width("⇨ ○◔◑◕● …"), 9);
	assert_int_equal(status_width("表の"), 4);
	assert_int_equal(status_width("e\xcc\x81"), 1);
	assert_int_equal(status_width("\xf0\x9f\x98\x80"), 2);
	/* Shown as '?': one column each. */
	assert_int_equal(status_width("\xff\xe2\x87"), 3);
	assert_int_equal(status_width("\033"), 1);
	/* Overlong and surrogate encodings are invalid bytes. */
	assert_int_equal(status_width("\xc0\xaf"), 2);
	assert_int_equal(status_width("\xed\xa0\x80"), 3);
}

static void
test_status_rate_window(void **state)
{
	struct status_rate r;
	double i, w;
	int64_t t;

	status_rate_reset(&r);
	assert_int_equal(status_rate_get(&r, &i, &w), -1);
	status_rate_add(&r, 1000, 0, 0);
	assert_int_equal(status_rate_get(&r, &i, &w), -1);
	status_rate_add(&r, 2000, 100, 50);
	/* One second is too short to be worth showing. */
	assert_int_equal(status_rate_get(&r, &i, &w), -1);
	status_rate_add(&r, 3000, 200, 100);
	assert_int_equal(status_rate_get(&r, &i, &w), 0);
	assert_true(i == 100.0 && w == 50.0);
	/* Too close to the last sample: ignored. */
	status_rate_add(&r, 3100, 100000, 100000);
	assert_int_equal(r.n, 3);
	/* A sliding window: after a change of speed, only the new speed. */
	for (t = 4000; t <= 13000; t += 1000)
		status_rate_add(&r, t, 200 + (uint64_t)(t - 3000) / 1000 * 10,
		    100);
	assert_int_equal(status_rate_get(&r, &i, &w), 0);
	assert_true(i == 10.0 && w == 0.0);
	/* Within the window: both speeds, averaged over the span. */
	for (t = 14000; t <= 18000; t += 1000)
		status_rate_add(&r, t, 300 + (uint64_t)(t - 13000) / 1000 * 110,
		    100 + (double)(t - 13000) / 1000 * 4);
	assert_int_equal(status_rate_get(&r, &i, &w), 0);
	/* From t=8000 (250) to t=18000 (850): 600 items over 10 s. */
	assert_true(i == 60.0);
	assert_true(w == 2.0);
	/* A counter going backwards is a new worker: start again. */
	status_rate_add(&r, 19000, 5, 200);
	assert_int_equal(r.n, 1);
	assert_int_equal(status_rate_get(&r, &i, &w), -1);
	status_rate_add(&r, 20000, 6, 100);
	assert_int_equal(r.n, 1);
	/* The clock never goes back, but if it did: start again. */
	status_rate_add(&r, 10000, 7, 100);
	assert_int_equal(r.n, 1);
	/* The ring keeps the newest samples. */
	status_rate_reset(&r);
	for (t = 0; t < 200; t++)
		status_rate_add(&r, t * 250, (uint64_t)t * 25, (double)t);
	assert_int_equal(r.n, STATUS_RATE_SAMPLES);
	assert_int_equal(status_rate_get(&r, &i, &w), 0);
	assert_true(i == 100.0 && w == 4.0);
}

/* The summary line of a stopped pair names where it was stopped. */
static void
test_status_stopped_text(void **state)
{
	struct sup sup;
	struct child c;
	char buf[256];

	memset(&sup, 0, sizeof(sup));
	memset(&c, 0, sizeof(c));
	c.sup = &sup;
	c.state = CHILD_STOPPED;
	output_progress_text(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf,
	    "Stopped before copying anything (during the preflight)");
	c.backfill = PROTO_PS_STOPPED;
	c.prog.items_written = 12;
	output_progress_text(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf,
	    "Stopped during the backfill: 12 items "
	    "written");
	c.backfill = PROTO_PS_COMPLETE;
	c.backfill_items = 40;
	output_progress_text(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf,
	    "Stopped after the backfill: 40 items "
	    "written");
	c.stream = PROTO_PS_STOPPED;
	c.prog.stream_written = 7;
	output_progress_text(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf,
	    "Stopped while streaming: 7 changes "
	    "applied");
}

static void
test_status_row_from_child(void **state)
{
	struct plan_pair pp;
	struct child c;
	struct status_row r;
	struct status_rate rate;
	uint32_t segs[1] = { 0 };
	struct sup s;
	char hid[] = "host:1:abcd0123";

	memset(&pp, 0, sizeof(pp));
	pp.output.table = "dst";
	pp.consumed_capacity = 1;
	memset(&c, 0, sizeof(c));
	c.pair = &pp;
	c.state = CHILD_IDLE;
	c.prog.stream_latency_ms = -1;
	status_row_from_child(&r, &c, NULL, 0, 0);
	assert_string_equal(r.table, "dst");
	assert_int_equal(r.proc, STATUS_PROC_STARTING);
	assert_int_equal(r.have_est, 0);
	assert_int_equal(r.have_rates, 0);
	/* Running, but this worker has said nothing yet. */
	c.state = CHILD_RUNNING;
	status_row_from_child(&r, &c, NULL, 0, 0);
	assert_int_equal(r.proc, STATUS_PROC_STARTING);
	c.progress_seen = 1;
	c.backfill = PROTO_PS_RUNNING;
	c.prog.est_items = 46000;
	c.prog.est_bytes = 27262976;
	c.prog.items_written = 1000;
	c.prog.buffer_pct = 40;
	c.prog.stream_latency_ms = 5;
	c.prog.caught_up = 1;
	c.prog.retention_risk = 1;
	status_rate_reset(&rate);
	status_rate_add(&rate, 0, 0, 0);
	status_rate_add(&rate, 4000, 400, 80);
	status_row_from_child(&r, &c, &rate, 1, 0);
	assert_int_equal(r.proc, STATUS_PROC_RUNNING);
	assert_int_equal(r.have_est, 1);
	assert_true(r.items == 46000 && !r.items_exact);
	assert_true(r.bytes == 27262976 && !r.bytes_exact);
	assert_true(r.bf_written == 1000 && r.bf_target == 46000);
	assert_int_equal(r.buffer_pct, 40);
	assert_true(r.st_latency_ms == 5 && r.caught_up && r.retention_risk);
	assert_true(r.have_rates && r.read_rate == 100.0 && r.wcu_rate == 20.0);
	assert_int_equal(r.spool, 0);
	/* A spool: its figures; an age alone (a worker that left 0 there)
	 * is no spool. */
	c.prog.spool_oldest_ms = 0;
	status_row_from_child(&r, &c, &rate, 1, 0);
	assert_int_equal(r.spool, 0);
	c.prog.spool_bytes = 4096;
	c.prog.spool_oldest_ms = 1500;
	status_row_from_child(&r, &c, &rate, 1, 0);
	assert_true(r.spool && r.spool_bytes == 4096 &&
	    r.spool_oldest_ms == 1500 && !r.spool_paused);
	c.prog.spool_bytes = 0;
	c.prog.spool_oldest_ms = -1;
	c.prog.spool_paused = 1;
	status_row_from_child(&r, &c, &rate, 1, 0);
	assert_true(r.spool && r.spool_paused);
	c.prog.spool_paused = 0;
	/* Capacity not asked for: the WCU rate is unknown ("-"), not 0. */
	pp.consumed_capacity = 0;
	status_row_from_child(&r, &c, &rate, 1, 0);
	assert_true(r.have_rates && r.read_rate == 100.0 && r.wcu_rate < 0);
	assert_non_null(strstr(one(r, 0), "100 items/s ⇨ ◑ ⇨ - WCU/s"));
	pp.consumed_capacity = 1;
	/* A complete backfill counted the items; the size stays estimated. */
	c.backfill = PROTO_PS_COMPLETE;
	c.backfill_items = 47123;
	status_row_from_child(&r, &c, NULL, 1, 0);
	assert_true(r.items == 47123 && r.items_exact);
	assert_true(r.bytes == 27262976 && !r.bytes_exact);
	/* ...unless this host scanned only some segments. */
	pp.segments = segs;
	pp.nsegments = 1;
	status_row_from_child(&r, &c, NULL, 1, 0);
	assert_true(r.items == 46000 && !r.items_exact);
	/* The worker's own count wins. */
	c.prog.est_exact = 1;
	c.prog.est_items = 47000;
	status_row_from_child(&r, &c, NULL, 1, 0);
	assert_true(r.items == 47000 && r.items_exact && r.bytes_exact);
	/* A fleet (a host id): the leases held while a worker runs, the
	 * lost ones over its workers. */
	assert_int_equal(r.fleet, 0);
	memset(&s, 0, sizeof(s));
	s.host_id = hid;
	c.sup = &s;
	c.pid = 42;
	c.prog.leases_held = 3;
	c.prog.leases_lost = 1;
	c.acc.leases_lost = 1;
	status_row_from_child(&r, &c, NULL, 1, 0);
	assert_true(r.fleet && r.leases_held == 3 && r.leases_lost == 2);
	c.pid = -1;
	status_row_from_child(&r, &c, NULL, 1, 0);
	assert_true(r.fleet && r.leases_held == 0 && r.leases_lost == 2);
	c.sup = NULL;
	/* Restarting: the time left on the monotonic clock. */
	c.state = CHILD_BACKOFF;
	c.restarts = 3;
	c.next_start_ms = 15000;
	c.progress_seen = 0;
	status_row_from_child(&r, &c, NULL, 0, 11000);
	assert_int_equal(r.proc, STATUS_PROC_RESTARTING);
	assert_int_equal(r.restart_in_ms, 4000);
	assert_int_equal(r.restarts, 3);
	/* The last figures of a dead worker are still shown. */
	assert_int_equal(r.have_est, 1);
	c.state = CHILD_FAILED;
	snprintf(c.last_error, sizeof(c.last_error), "X: y");
	status_row_from_child(&r, &c, NULL, 0, 0);
	assert_int_equal(r.proc, STATUS_PROC_FAILED);
	assert_string_equal(r.error, "X: y");
	c.state = CHILD_STOPPED;
	status_row_from_child(&r, &c, NULL, 0, 0);
	assert_int_equal(r.proc, STATUS_PROC_STOPPED);
	c.state = CHILD_DONE;
	status_row_from_child(&r, &c, NULL, 0, 0);
	assert_int_equal(r.proc, STATUS_PROC_DONE);
}

static void
test_status_frame(void **state)
{
	struct buf b;
	size_t w[3] = { 10, 0, 150 };

	buf_init(&b, 0);
	assert_int_equal(status_frame(&b, "A\nBB\n", 0), 0);
	assert_string_equal(b.data, "A\033[K\nBB\033[K\n\033[J");
	buf_reset(&b);
	assert_int_equal(status_frame(&b, "A\nBB\n", 3), 0);
	assert_string_equal(b.data, "\r\033[3AA\033[K\nBB\033[K\n\033[J");
	buf_free(&b);
	/* A full buffer is an error, never an overflow. */
	buf_init(&b, 8);
	assert_int_equal(status_frame(&b, "AAAAAAAAAAAAAAA\n", 0), -1);
	buf_free(&b);
	/* Erased row by row, the cursor left on the first of them. */
	buf_init(&b, 0);
	assert_int_equal(status_erase(&b, 0), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(status_erase(&b, 1), 0);
	assert_string_equal(b.data, "\r\033[1A\033[2K");
	buf_reset(&b);
	assert_int_equal(status_erase(&b, 3), 0);
	assert_string_equal(b.data,
	    "\r\033[3A\033[2K\033[B\033[2K\033[B"
	    "\033[2K\033[2A");
	/* Never erase-below: tmux moves a screen cleared that way from the
	 * top-left corner into its history. */
	assert_null(strstr(b.data, "\033[J"));
	buf_free(&b);
	assert_int_equal(status_rows_used(w, 3, 200), 3);
	/* After narrowing, a wide line wraps onto more rows. */
	assert_int_equal(status_rows_used(w, 3, 80), 4);
	assert_int_equal(status_rows_used(w, 3, 75), 4);
	assert_int_equal(status_rows_used(w, 3, 74), 5);
	assert_int_equal(status_rows_used(w, 0, 80), 0);
	assert_int_equal(status_rows_used(w, 3, 0), 161);
}

/* A table that does not fit its buffer's maximum fails cleanly. */
static void
test_status_buffer_max(void **state)
{
	struct status_row r[3];
	struct buf b;

	spec_rows(r);
	buf_init(&b, 100);
	assert_int_equal(status_format(r, 3, 200, &b), -1);
	assert_true(b.len <= 100);
	buf_free(&b);
	buf_init(&b, 0);
	assert_int_equal(status_format(r, 0, 80, &b), 1);
	assert_string_equal(b.data,
	    "TABLE  DETAILS  BACKFILL  STREAM  RATES & BUFFER\n");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_backfill_states),
		cmocka_unit_test(test_status_ttl),
		cmocka_unit_test(test_status_fleet),
		cmocka_unit_test(test_status_stream_states),
		cmocka_unit_test(test_status_retention_risk),
		cmocka_unit_test(test_status_worker_states),
		cmocka_unit_test(test_status_failed),
		cmocka_unit_test(test_status_sanitizes),
		cmocka_unit_test(test_status_retrying),
		cmocka_unit_test(test_status_huge_and_tiny),
		cmocka_unit_test(test_status_rate_format),
		cmocka_unit_test(test_status_glyph_thresholds),
		cmocka_unit_test(test_status_widths_80_200),
		cmocka_unit_test(test_status_long_table_names),
		cmocka_unit_test(test_status_utf8_cut),
		cmocka_unit_test(test_status_never_exceeds_width),
		cmocka_unit_test(test_status_spool),
		cmocka_unit_test(test_status_width_fn),
		cmocka_unit_test(test_status_rate_window),
		cmocka_unit_test(test_status_row_from_child),
		cmocka_unit_test(test_status_stopped_text),
		cmocka_unit_test(test_status_frame),
		cmocka_unit_test(test_status_buffer_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

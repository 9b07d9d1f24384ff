/* test_proto.c: the worker -> supervisor protocol codec and line reader. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compat.h"
#include "proto.h"

static char line[PROTO_MAX_LINE + 1];

/* Whether s is valid UTF-8 (independent of the codec's own check). */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			k = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			k = 4;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n - i < k)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
		    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k;
	}
	return 1;
}

/* Encode, check the line's shape, decode; returns the line length. */
static int
roundtrip(const struct proto_msg *in, struct proto_msg *out)
{
	char err[256];
	int n;

	n = proto_encode(in, line, sizeof(line));
	assert_true(n > 0);
	assert_true(n <= PROTO_MAX_LINE);
	assert_int_equal(strlen(line), (size_t)n);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', (size_t)n - 1));
	assert_true(valid_utf8((const unsigned char *)line, (size_t)n));
	assert_memory_equal(line, "{\"v\":2,\"type\":\"", 15);
	err[0] = '\0';
	if (proto_decode(line, (size_t)n, out, err, sizeof(err)) != 0)
		fail_msg("decode: %s: %s", err, line);
	return n;
}

static void
test_proto_roundtrip_hello(void **state)
{
	struct proto_msg a, b;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_HELLO;
	a.u.hello.pid = 4242;
	strlcpy(a.u.hello.pair, "orders \xe2\x87\xa8 orders-copy",
	    sizeof(a.u.hello.pair));
	strlcpy(a.u.hello.version, "0.1.0", sizeof(a.u.hello.version));
	strlcpy(a.u.hello.resume, "backfill 3/16 segments done",
	    sizeof(a.u.hello.resume));
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"pid\":4242"));
}

static void
test_proto_roundtrip_log(void **state)
{
	struct proto_msg a, b;
	int l;

	for (l = 0; l < PROTO_LVL_MAX; l++) {
		memset(&a, 0, sizeof(a));
		a.type = PROTO_LOG;
		a.u.log.level = (enum proto_level)l;
		strlcpy(a.u.log.msg, "Backfill complete. 14301 items written",
		    sizeof(a.u.log.msg));
		roundtrip(&a, &b);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_non_null(strstr(line, proto_level_name(a.u.log.level)));
	}
}

static void
test_proto_roundtrip_phase(void **state)
{
	struct proto_msg a, b;
	int p, s;

	for (p = 0; p < PROTO_PHASE_MAX; p++)
		for (s = 0; s < PROTO_PS_MAX; s++) {
			memset(&a, 0, sizeof(a));
			a.type = PROTO_PHASE;
			a.u.phase.phase = (enum proto_phase)p;
			a.u.phase.state = (enum proto_phase_state)s;
			a.u.phase.items = 14301;
			a.u.phase.duration_ms = 309000;
			strlcpy(a.u.phase.detail, "AccessDeniedException",
			    sizeof(a.u.phase.detail));
			roundtrip(&a, &b);
			assert_memory_equal(&a, &b, sizeof(a));
		}
}

/* from_checkpoint is optional: left out when false, read when true. */
static void
test_proto_phase_from_checkpoint(void **state)
{
	static const char old[] =
	    "{\"v\":2,\"type\":\"phase\",\"phase\":"
	    "\"backfill\",\"state\":\"complete\",\"items\":3,"
	    "\"duration_ms\":4,\"detail\":\"\"}";
	struct proto_msg a, b;
	char err[256];

	memset(&a, 0, sizeof(a));
	a.type = PROTO_PHASE;
	a.u.phase.state = PROTO_PS_COMPLETE;
	a.u.phase.items = 3;
	a.u.phase.duration_ms = 4;
	roundtrip(&a, &b);
	assert_string_equal(line,
	    "{\"v\":2,\"type\":\"phase\",\"phase\":"
	    "\"backfill\",\"state\":\"complete\",\"items\":3,"
	    "\"duration_ms\":4,\"detail\":\"\"}\n");
	a.u.phase.from_checkpoint = 1;
	roundtrip(&a, &b);
	assert_non_null(strstr(line, ",\"from_checkpoint\":true,"));
	assert_memory_equal(&a, &b, sizeof(a));
	/* What an older worker sends still decodes: false. */
	assert_int_equal(proto_decode(old, strlen(old), &b, err, sizeof(err)),
	    0);
	assert_false(b.u.phase.from_checkpoint);
	strlcpy(line,
	    "{\"v\":2,\"type\":\"phase\",\"phase\":\"stream\","
	    "\"state\":\"running\",\"items\":0,\"duration_ms\":0,"
	    "\"detail\":\"\",\"from_checkpoint\":1}",
	    sizeof(line));
	assert_int_equal(proto_decode(line, strlen(line), &b, err, sizeof(err)),
	    -1);
	assert_string_equal(err,
	    "phase: field \"from_checkpoint\" must be "
	    "true or false");
}

static void
fill_progress(struct proto_msg *a)
{
	memset(a, 0, sizeof(*a));
	a->type = PROTO_PROGRESS;
	a->u.progress.phase = PROTO_PHASE_STREAM;
	a->u.progress.est_items = 47000;
	a->u.progress.est_bytes = 29u << 20;
	a->u.progress.est_exact = 1;
	a->u.progress.items_read = 47001;
	a->u.progress.items_written = 47000;
	a->u.progress.bytes_read = 30000000;
	a->u.progress.segments_done = 16;
	a->u.progress.segments_total = 16;
	a->u.progress.rcu = 1234.5;
	a->u.progress.wcu = 0.1;
	a->u.progress.buffer_pct = 75;
	a->u.progress.stream_written = 2019;
	a->u.progress.stream_latency_ms = 68220000;
	a->u.progress.caught_up = 1;
	a->u.progress.shards_active = 4;
	a->u.progress.throttles = 7;
	a->u.progress.retries = 9;
	a->u.progress.elapsed_ms = 1200000;
	a->u.progress.stream_read = 2030;
	a->u.progress.shards_done = 2;
	a->u.progress.shards_total = 6;
	a->u.progress.retention_risk = 1;
	a->u.progress.gap = 1;
}

static void
test_proto_roundtrip_progress(void **state)
{
	struct proto_msg a, b;

	fill_progress(&a);
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"caught_up\":true"));
	assert_non_null(strstr(line, "\"phase\":\"stream\""));
}

/* The TTL counters are optional: absent from an older worker's line. */
static void
test_proto_progress_ttl_optional(void **state)
{
	struct proto_msg a, b;
	char err[256], *cut;

	fill_progress(&a);
	a.u.progress.ttl_expired_skipped = 12;
	a.u.progress.ttl_deletes_skipped = 3;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"ttl_expired_skipped\":12"));
	assert_non_null(cut = strstr(line, ",\"ttl_expired_skipped\""));
	strcpy(cut, "}");
	assert_int_equal(proto_decode(line, strlen(line), &b, err, sizeof(err)),
	    0);
	assert_int_equal(b.u.progress.ttl_expired_skipped, 0);
	assert_int_equal(b.u.progress.ttl_deletes_skipped, 0);
	assert_int_equal(b.u.progress.shards_total, 6);
}

/* The metrics' counters (issue 19) are optional too. */
static void
test_proto_progress_metrics_optional(void **state)
{
	struct proto_msg a, b;
	char err[256], *cut;

	fill_progress(&a);
	a.u.progress.bytes_written = 18446744073709551615ULL;
	a.u.progress.stream_skipped = 7;
	a.u.progress.transient_errors = 5;
	a.u.progress.writes_inflight = 3;
	a.u.progress.writes_limit = 16;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"bytes_written\":18446744073709551615"));
	assert_non_null(strstr(line, "\"writes_limit\":16"));
	assert_non_null(cut = strstr(line, ",\"bytes_written\""));
	strcpy(cut, "}");
	assert_int_equal(proto_decode(line, strlen(line), &b, err, sizeof(err)),
	    0);
	assert_int_equal(b.u.progress.bytes_written, 0);
	assert_int_equal(b.u.progress.stream_skipped, 0);
	assert_int_equal(b.u.progress.transient_errors, 0);
	assert_int_equal(b.u.progress.writes_inflight, 0);
	assert_int_equal(b.u.progress.writes_limit, 0);
}

/* A fleet's lease counts (issue 20): optional, left out when 0. */
static void
test_proto_progress_leases_optional(void **state)
{
	struct proto_msg a, b;
	char err[256], *cut;

	fill_progress(&a);
	roundtrip(&a, &b);
	assert_null(strstr(line, "lease"));
	a.u.progress.leases_held = 4294967295U;
	a.u.progress.leases_lost = 2;
	a.u.progress.lease_conflicts = 18446744073709551615ULL;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"leases_held\":4294967295"));
	assert_non_null(strstr(line, "\"leases_lost\":2"));
	assert_non_null(
	    strstr(line, "\"lease_conflicts\":18446744073709551615"));
	assert_non_null(cut = strstr(line, ",\"leases_held\""));
	strcpy(cut, "}");
	assert_int_equal(proto_decode(line, strlen(line), &b, err, sizeof(err)),
	    0);
	assert_int_equal(b.u.progress.leases_held, 0);
	assert_int_equal(b.u.progress.leases_lost, 0);
	assert_int_equal(b.u.progress.lease_conflicts, 0);
	/* Out of range: a u32 of 2^32. */
	a.u.progress.leases_held = 7;
	roundtrip(&a, &b);
	assert_non_null(cut = strstr(line, "\"leases_held\":7"));
	memmove(cut + strlen("\"leases_held\":4294967296"),
	    cut + strlen("\"leases_held\":7"),
	    strlen(cut + strlen("\"leases_held\":7")) + 1);
	memcpy(cut, "\"leases_held\":4294967296",
	    strlen("\"leases_held\":4294967296"));
	assert_int_equal(proto_decode(line, strlen(line), &b, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "leases_held"));
}

static void
test_proto_roundtrip_checkpoint(void **state)
{
	struct proto_msg a, b;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_CHECKPOINT;
	strlcpy(a.u.checkpoint.kind, "shard", sizeof(a.u.checkpoint.kind));
	strlcpy(a.u.checkpoint.id, "shardId-00000001700000000000-abcdef01",
	    sizeof(a.u.checkpoint.id));
	a.u.checkpoint.items = 12;
	a.u.checkpoint.done = 1;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));

	strlcpy(a.u.checkpoint.kind, "segment", sizeof(a.u.checkpoint.kind));
	memset(a.u.checkpoint.id, 0, sizeof(a.u.checkpoint.id));
	strlcpy(a.u.checkpoint.id, "15", sizeof(a.u.checkpoint.id));
	a.u.checkpoint.done = 0;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_proto_roundtrip_error(void **state)
{
	struct proto_msg a, b;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_ERROR;
	strlcpy(a.u.error.code, "TrimmedDataAccessException",
	    sizeof(a.u.error.code));
	strlcpy(a.u.error.msg, "gap: records trimmed before applied",
	    sizeof(a.u.error.msg));
	a.u.error.fatal = 1;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"fatal\":true"));
}

static void
test_proto_roundtrip_done(void **state)
{
	static const char *st[] = { "complete", "stopped", "failed" };
	struct proto_msg a, b;
	size_t i;

	for (i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		a.type = PROTO_DONE;
		strlcpy(a.u.done.status, st[i], sizeof(a.u.done.status));
		roundtrip(&a, &b);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void
test_proto_roundtrip_warning(void **state)
{
	struct proto_msg a, b;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_WARNING;
	strlcpy(a.u.warning.code, "retention_risk", sizeof(a.u.warning.code));
	strlcpy(a.u.warning.msg, "backfill running for 20h",
	    sizeof(a.u.warning.msg));
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_proto_roundtrip_extremes(void **state)
{
	struct proto_msg a, b;

	fill_progress(&a);
	a.u.progress.est_items = UINT64_MAX;
	a.u.progress.est_bytes = UINT64_MAX - 1;
	a.u.progress.items_read = UINT64_MAX;
	a.u.progress.items_written = (UINT64_C(1) << 53) + 1;
	a.u.progress.bytes_read = 0;
	a.u.progress.segments_done = UINT32_MAX;
	a.u.progress.segments_total = UINT32_MAX;
	a.u.progress.shards_done = 0;
	a.u.progress.shards_total = UINT32_MAX;
	a.u.progress.shards_active = UINT32_MAX;
	a.u.progress.rcu = 1.7976931348623157e308;
	a.u.progress.wcu = 5e-324;
	a.u.progress.buffer_pct = 100;
	a.u.progress.stream_written = UINT64_MAX;
	a.u.progress.stream_latency_ms = -1;
	a.u.progress.throttles = UINT64_MAX;
	a.u.progress.retries = UINT64_MAX;
	a.u.progress.elapsed_ms = UINT64_MAX;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"est_items\":18446744073709551615,"));
	assert_non_null(strstr(line, "\"items_written\":9007199254740993,"));

	a.u.progress.stream_latency_ms = INT64_MAX;
	a.u.progress.rcu = 0;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));

	memset(&a, 0, sizeof(a));
	a.type = PROTO_HELLO;
	a.u.hello.pid = INT64_MAX;
	memset(a.u.hello.pair, 'p', sizeof(a.u.hello.pair) - 1);
	memset(a.u.hello.version, 'v', sizeof(a.u.hello.version) - 1);
	memset(a.u.hello.resume, 'r', sizeof(a.u.hello.resume) - 1);
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_proto_roundtrip_empty_text(void **state)
{
	struct proto_msg a, b;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_LOG;
	a.u.log.level = PROTO_LVL_INFO;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"msg\":\"\"}"));

	memset(&a, 0, sizeof(a));
	a.type = PROTO_HELLO;
	a.u.hello.pid = 1;
	strlcpy(a.u.hello.pair, "p", sizeof(a.u.hello.pair));
	strlcpy(a.u.hello.version, "1", sizeof(a.u.hello.version));
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_proto_roundtrip_escapes(void **state)
{
	struct proto_msg a, b;
	char *p;
	int c;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_LOG;
	a.u.log.level = PROTO_LVL_WARN;
	p = a.u.log.msg;
	for (c = 1; c < 0x20; c++)
		*p++ = (char)c;
	/* quote, backslash, slash, DEL, 2-, 3- and 4-byte UTF-8, U+2028 */
	strlcpy(p, "\"\\/\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8.",
	    sizeof(a.u.log.msg) - 31);
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\\u0001\\u0002"));
	assert_non_null(strstr(line, "\\b\\t\\n\\u000b\\f\\r"));
	assert_non_null(strstr(line, "\\u001f\\\"\\\\/\x7f\xc3\xa9"));
	/* Only escapes and valid UTF-8 on the wire: no raw control bytes. */
	for (p = line; *p != '\n'; p++)
		assert_true((unsigned char)*p >= 0x20);
}

static void
test_proto_invalid_utf8_replaced(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "a\xff"
		  "b",
		    "a\xef\xbf\xbd"
		    "b" },
		{ "\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\x80", "\xef\xbf\xbd" },		    /* stray */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd" }, /* cut */
		{ "\xf5\x80\x80\x80",
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", /* > U+10FFFF */
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "ok\xe2\x82\xac", "ok\xe2\x82\xac" },
	};
	struct proto_msg a, b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.type = PROTO_ERROR;
		strlcpy(a.u.error.code, "X", sizeof(a.u.error.code));
		strlcpy(a.u.error.msg, cases[i].in, sizeof(a.u.error.msg));
		roundtrip(&a, &b);
		assert_string_equal(b.u.error.msg, cases[i].out);
	}

	/* Replacement grows the text: it still fits the receiver's buffer. */
	memset(&a, 0, sizeof(a));
	a.type = PROTO_LOG;
	memset(a.u.log.msg, 0xff, sizeof(a.u.log.msg) - 1);
	roundtrip(&a, &b);
	assert_int_equal(strlen(b.u.log.msg), (PROTO_TEXT_MAX - 1) / 3 * 3);
	assert_memory_equal(b.u.log.msg, "\xef\xbf\xbd\xef\xbf\xbd", 6);
}

static void
test_proto_max_text_fits(void **state)
{
	struct proto_msg a, b;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_PHASE;
	a.u.phase.state = PROTO_PS_FAILED;
	memset(a.u.phase.detail, 'x', sizeof(a.u.phase.detail) - 1);
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_proto_text_truncated_to_line(void **state)
{
	struct proto_msg a, b;
	size_t n, i;
	int len;

	/* Every byte escapes to 6: the line would be ~24K. */
	memset(&a, 0, sizeof(a));
	a.type = PROTO_LOG;
	a.u.log.level = PROTO_LVL_ERROR;
	memset(a.u.log.msg, '\x01', sizeof(a.u.log.msg) - 1);
	len = roundtrip(&a, &b);
	assert_true(len > PROTO_MAX_LINE - 6);
	assert_memory_equal(line + len - 3, "\"}\n", 3);
	n = strlen(b.u.log.msg);
	assert_true(n > 2000 && n < sizeof(a.u.log.msg) - 1);
	for (i = 0; i < n; i++)
		assert_int_equal(b.u.log.msg[i], '\x01');

	/* The cut falls inside a run of 3-byte characters: on a boundary. */
	memset(&a, 0, sizeof(a));
	a.type = PROTO_ERROR;
	strlcpy(a.u.error.code, "E", sizeof(a.u.error.code));
	memset(a.u.error.msg, '\x02', 2500);
	for (i = 2500; i + 3 < sizeof(a.u.error.msg); i += 3)
		memcpy(a.u.error.msg + i, "\xe2\x82\xac", 3);
	len = roundtrip(&a, &b);
	assert_true(len <= PROTO_MAX_LINE);
	n = strlen(b.u.error.msg);
	assert_true(n > 2500 && n < strlen(a.u.error.msg));
	assert_int_equal((n - 2500) % 3, 0);
	assert_memory_equal(a.u.error.msg, b.u.error.msg, n);
	assert_int_equal(b.u.error.fatal, 0);
	assert_string_equal(b.u.error.code, "E");
}

static void
test_proto_encode_small_buffer(void **state)
{
	static const char done[] = "{\"v\":2,\"type\":\"done\","
				   "\"status\":\"complete\"}\n";
	struct proto_msg a, b;
	char small[80], err[128];
	int n;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_LOG;
	a.u.log.level = PROTO_LVL_INFO;
	memset(a.u.log.msg, 'y', 200);
	n = proto_encode(&a, small, sizeof(small));
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(small[n - 1], '\n');
	assert_int_equal(small[n], '\0');
	assert_int_equal(proto_decode(small, (size_t)n, &b, err, sizeof(err)),
	    0);
	assert_int_equal(strlen(b.u.log.msg),
	    sizeof(small) - 1 -
		strlen("{\"v\":2,\"type\":\"log\","
		       "\"level\":\"info\",\"msg\":\"\"}\n"));

	/* Too small for the message without its text. */
	errno = 0;
	assert_int_equal(proto_encode(&a, small, 20), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(proto_encode(&a, small, 1), -1);
	assert_int_equal(proto_encode(&a, small, 0), -1);

	/* An identifier is never cut: no room for it is an error. */
	memset(&a, 0, sizeof(a));
	a.type = PROTO_DONE;
	strlcpy(a.u.done.status, "complete", sizeof(a.u.done.status));
	n = proto_encode(&a, small, strlen(done) + 1);
	assert_int_equal(n, strlen(done));
	assert_string_equal(small, done);
	errno = 0;
	assert_int_equal(proto_encode(&a, small, strlen(done)), -1);
	assert_int_equal(errno, ENOSPC);
}

static void
test_proto_encode_rejects_invalid(void **state)
{
	struct proto_msg a;

	memset(&a, 0, sizeof(a));
	a.type = PROTO_TYPE_MAX;
	errno = 0;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	assert_int_equal(errno, EINVAL);

	fill_progress(&a);
	a.u.progress.buffer_pct = 101;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.rcu = NAN;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.wcu = -0.5;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.rcu = INFINITY;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.segments_done = 17;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.shards_done = 7;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.stream_latency_ms = -2;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	a.u.progress.phase = PROTO_PHASE_MAX;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	fill_progress(&a);
	assert_true(proto_encode(&a, line, sizeof(line)) > 0);

	memset(&a, 0, sizeof(a));
	a.type = PROTO_DONE;
	strlcpy(a.u.done.status, "bogus", sizeof(a.u.done.status));
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);

	memset(&a, 0, sizeof(a));
	a.type = PROTO_CHECKPOINT;
	strlcpy(a.u.checkpoint.kind, "page", sizeof(a.u.checkpoint.kind));
	strlcpy(a.u.checkpoint.id, "1", sizeof(a.u.checkpoint.id));
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	strlcpy(a.u.checkpoint.kind, "segment", sizeof(a.u.checkpoint.kind));
	strlcpy(a.u.checkpoint.id, "x1", sizeof(a.u.checkpoint.id));
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	strlcpy(a.u.checkpoint.id, "1", sizeof(a.u.checkpoint.id));
	assert_true(proto_encode(&a, line, sizeof(line)) > 0);

	memset(&a, 0, sizeof(a));
	a.type = PROTO_HELLO;
	a.u.hello.pid = 0;
	strlcpy(a.u.hello.pair, "p", sizeof(a.u.hello.pair));
	strlcpy(a.u.hello.version, "1", sizeof(a.u.hello.version));
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	a.u.hello.pid = 1;
	a.u.hello.pair[0] = '\0';
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);

	memset(&a, 0, sizeof(a));
	a.type = PROTO_LOG;
	a.u.log.level = (enum proto_level) - 1;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
}

static void
test_proto_decode_rejects(void **state)
{
	static const struct {
		const char *line;
		const char *why;
	} cases[] = {
		{ "", "empty line" },
		{ "\n", "empty line" },
		{ "not json", "not valid JSON" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":\"complete\"",
		    "not valid JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "\"v\"", "not a JSON object" },
		{ "{\"type\":\"done\",\"status\":\"complete\"}",
		    "missing field \"v\"" },
		{ "{\"v\":3,\"type\":\"done\",\"status\":\"complete\"}",
		    "unsupported protocol version 3 (this ddb-sync speaks 2)" },
		{ "{\"v\":0,\"type\":\"done\",\"status\":\"complete\"}",
		    "unsupported protocol version 0" },
		{ "{\"v\":-1,\"type\":\"done\",\"status\":\"complete\"}",
		    "unsupported protocol version -1" },
		{ "{\"v\":\"1\",\"type\":\"done\",\"status\":\"complete\"}",
		    "field \"v\" must be an integer" },
		{ "{\"v\":2.0,\"type\":\"done\",\"status\":\"complete\"}",
		    "field \"v\" must be an integer" },
		{ "{\"v\":2,\"v\":2,\"type\":\"done\",\"status\":\"complete\"}",
		    "duplicate field \"v\"" },
		{ "{\"v\":2}", "missing field \"type\"" },
		{ "{\"v\":2,\"type\":7}", "field \"type\" must be a string" },
		{ "{\"v\":2,\"type\":\"bogus\"}", "unknown message type" },
		{ "{\"v\":2,\"type\":\"Done\",\"status\":\"complete\"}",
		    "unknown message type" },
		{ "{\"v\":2,\"type\":\"done\",\"type\":\"done\","
		  "\"status\":\"complete\"}",
		    "duplicate field \"type\"" },
		{ "{\"v\":2,\"type\":\"done\"}",
		    "done: missing field \"status\"" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":\"bogus\"}",
		    "done: field \"status\" must be" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":\"\"}",
		    "done: field \"status\" is empty" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":7}",
		    "done: field \"status\" must be a string" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":\"complete\","
		  "\"status\":\"failed\"}",
		    "done: duplicate field \"status\"" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":\"complete\"} x",
		    "trailing data after the JSON object at byte 42" },
		{ "{\"v\":2,\"type\":\"done\",\"status\":\"complete\"}{}",
		    "trailing data" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":\"5\",\"done\":false}",
		    "checkpoint: field \"items\" must be an integer" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":-1,\"done\":false}",
		    "checkpoint: field \"items\" must not be negative" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":18446744073709551616,\"done\":false}",
		    "checkpoint: field \"items\" is out of range" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":1.5,\"done\":false}",
		    "checkpoint: field \"items\" must be an integer" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":1e3,\"done\":false}",
		    "checkpoint: field \"items\" must be an integer" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":01,\"done\":false}",
		    "checkpoint: field \"items\" must be an integer" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":1,\"done\":1}",
		    "checkpoint: field \"done\" must be true or false" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"items\":1,\"done\":null}",
		    "checkpoint: field \"done\" must be true or false" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"page\",\"id\":\"s\","
		  "\"items\":1,\"done\":true}",
		    "checkpoint: field \"kind\" must be" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"segment\","
		  "\"id\":\"s\",\"items\":1,\"done\":true}",
		    "checkpoint: a segment id must be a decimal number" },
		{ "{\"v\":2,\"type\":\"checkpoint\",\"kind\":\"shard\",\"id\":\"s\","
		  "\"done\":true}",
		    "checkpoint: missing field \"items\"" },
		{ "{\"v\":2,\"type\":\"phase\",\"phase\":\"sideways\","
		  "\"state\":\"running\",\"items\":0,\"duration_ms\":0,"
		  "\"detail\":\"\"}",
		    "phase: field \"phase\" has an unknown value \"sideways\"" },
		{ "{\"v\":2,\"type\":\"phase\",\"phase\":\"stream\","
		  "\"state\":\"RUNNING\",\"items\":0,\"duration_ms\":0,"
		  "\"detail\":\"\"}",
		    "phase: field \"state\" has an unknown value" },
		{ "{\"v\":2,\"type\":\"phase\",\"phase\":1,"
		  "\"state\":\"running\",\"items\":0,\"duration_ms\":0,"
		  "\"detail\":\"\"}",
		    "phase: field \"phase\" must be a string" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"loud\",\"msg\":\"\"}",
		    "log: field \"level\" has an unknown value" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\",\"msg\":null}",
		    "log: field \"msg\" must be a string" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"a\\u0000b\"}",
		    "log: field \"msg\" contains a NUL" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"\\ud800\"}",
		    "unpaired UTF-16 surrogate" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"\\udc00\\ud800\"}",
		    "unpaired UTF-16 surrogate" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"\\ud800\\u0041\"}",
		    "unpaired UTF-16 surrogate" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"a\xff\"}",
		    "log: field \"msg\" is not valid UTF-8" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"a\xc0\x80\"}",
		    "is not valid UTF-8" },
		{ "{\"v\":2,\"type\":\"log\",\"level\":\"info\","
		  "\"msg\":\"a\tb\"}",
		    "not valid JSON" },
		{ "{\"v\":2,\"type\":\"hello\",\"pid\":1,\"pair\":\"p\","
		  "\"version\":\"0123456789012345678901234567890123456789\"}",
		    "hello: field \"version\" is longer than 31 bytes" },
		{ "{\"v\":2,\"type\":\"hello\",\"pid\":0,\"pair\":\"p\","
		  "\"version\":\"1\"}",
		    "hello: field \"pid\" is 0, must be "
		    "at least 1" },
		{ "{\"v\":2,\"type\":\"hello\",\"pid\":9223372036854775808,"
		  "\"pair\":\"p\",\"version\":\"1\"}",
		    "hello: field \"pid\" is out of range" },
		{ "{\"v\":2,\"type\":\"progress\"}",
		    "progress: missing field \"phase\"" },
	};
	struct proto_msg m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (proto_decode(cases[i].line, strlen(cases[i].line), &m, err,
			sizeof(err)) != -1)
			fail_msg("accepted: %s", cases[i].line);
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].line,
			    err, cases[i].why);
	}
}

/* A valid progress line with one field's value replaced. */
/*
 * The spool's figures (issue 13) are optional; spool_oldest_ms is absent
 * at -1 (none), not 0, and left out of the line at -1.
 */
static void
test_proto_progress_spool_optional(void **state)
{
	struct proto_msg a, b;
	char err[256], *cut;

	fill_progress(&a);
	a.u.progress.spool_oldest_ms = -1;
	a.u.progress.spool_read_lag_ms = -1;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, ",\"spool_bytes\":0"));
	assert_null(strstr(line, "spool_oldest_ms"));
	assert_null(strstr(line, "spool_read_lag_ms"));
	assert_null(strstr(line, "spool_paused"));

	a.u.progress.spool_bytes = 12u << 20;
	a.u.progress.spool_oldest_ms = 45000;
	a.u.progress.spool_paused = 1;
	roundtrip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"spool_bytes\":12582912"));
	assert_non_null(strstr(line, "\"spool_oldest_ms\":45000"));
	assert_non_null(strstr(line, "\"spool_paused\":true"));
	a.u.progress.spool_read_lag_ms = 7000;
	roundtrip(&a, &b);
	assert_int_equal(b.u.progress.spool_read_lag_ms, 7000);
	assert_non_null(strstr(line, "\"spool_read_lag_ms\":7000"));

	/* 0 is an age like any other: sent, and read back as 0. */
	a.u.progress.spool_oldest_ms = 0;
	roundtrip(&a, &b);
	assert_non_null(strstr(line, "\"spool_oldest_ms\":0"));
	assert_int_equal(b.u.progress.spool_oldest_ms, 0);

	/* An older worker's line: none of the three. */
	assert_non_null(cut = strstr(line, ",\"spool_bytes\""));
	strcpy(cut, "}");
	assert_int_equal(proto_decode(line, strlen(line), &b, err, sizeof(err)),
	    0);
	assert_int_equal(b.u.progress.spool_bytes, 0);
	assert_int_equal(b.u.progress.spool_oldest_ms, -1);
	assert_int_equal(b.u.progress.spool_read_lag_ms, -1);
	assert_int_equal(b.u.progress.spool_paused, 0);
	assert_int_equal(b.u.progress.shards_total, 6);

	/* Below -1 is refused (decoding: ..._rejects_progress_ranges). */
	a.u.progress.spool_oldest_ms = -2;
	errno = 0;
	assert_int_equal(proto_encode(&a, line, sizeof(line)), -1);
	assert_int_equal(errno, EINVAL);
}

static void
progress_with(const char *field, const char *value, char *out, size_t outsz)
{
	struct proto_msg a;
	char *p, *q, *e;
	int n;

	fill_progress(&a);
	n = proto_encode(&a, line, sizeof(line));
	assert_true(n > 0);
	p = strstr(line, field);
	assert_non_null(p);
	p += strlen(field);
	q = p;
	while (*q != ',' && *q != '}')
		q++;
	e = out;
	assert_true((size_t)(p - line) + strlen(value) + strlen(q) < outsz);
	memcpy(e, line, (size_t)(p - line));
	e += p - line;
	memcpy(e, value, strlen(value));
	e += strlen(value);
	memcpy(e, q, strlen(q) + 1);
}

static void
test_proto_decode_rejects_progress_ranges(void **state)
{
	static const struct {
		const char *field;
		const char *value;
		const char *why;
	} cases[] = {
		{ "\"buffer_pct\":", "101",
		    "\"buffer_pct\" is 101, out of "
		    "range 0..100" },
		{ "\"segments_total\":", "4294967296",
		    "\"segments_total\" is out of range" },
		{ "\"segments_total\":", "15",
		    "segments_done (16) > "
		    "segments_total (15)" },
		{ "\"shards_total\":", "1",
		    "shards_done (2) > shards_total (1)" },
		{ "\"stream_latency_ms\":", "-2",
		    "\"stream_latency_ms\" is -2, "
		    "must be at least -1" },
		{ "\"spool_oldest_ms\":", "-2",
		    "\"spool_oldest_ms\" is -2, "
		    "must be at least -1" },
		{ "\"rcu\":", "-1", "\"rcu\" must be a finite number >= 0" },
		{ "\"rcu\":", "1e400", "\"rcu\" is not a finite number" },
		{ "\"wcu\":", "\"1\"", "\"wcu\" must be a number" },
		{ "\"gap\":", "\"true\"", "\"gap\" must be true or false" },
		{ "\"est_items\":", "-0",
		    "\"est_items\" must not be negative" },
		{ "\"items_read\":", "[]",
		    "\"items_read\" must be an integer" },
		{ "\"items_read\":", "{}",
		    "\"items_read\" must be an integer" },
	};
	struct proto_msg m;
	char buf[PROTO_MAX_LINE + 64], err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		progress_with(cases[i].field, cases[i].value, buf, sizeof(buf));
		err[0] = '\0';
		if (proto_decode(buf, strlen(buf), &m, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", buf);
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("got \"%s\", want \"%s\"", err, cases[i].why);
	}
	/* Control: the unmodified line decodes. */
	progress_with("\"buffer_pct\":", "100", buf, sizeof(buf));
	assert_int_equal(proto_decode(buf, strlen(buf), &m, err, sizeof(err)),
	    0);
	assert_int_equal(m.u.progress.buffer_pct, 100);
	progress_with("\"rcu\":", "2.5e2", buf, sizeof(buf));
	assert_int_equal(proto_decode(buf, strlen(buf), &m, err, sizeof(err)),
	    0);
	assert_true(m.u.progress.rcu == 250.0);
}

static void
test_proto_decode_nul_and_length(void **state)
{
	static const char ok[] = "{\"v\":2,\"type\":\"done\","
				 "\"status\":\"complete\"}";
	char buf[PROTO_MAX_LINE + 2], err[128];
	struct proto_msg m;
	size_t n;

	memcpy(buf, ok, sizeof(ok));
	buf[10] = '\0';
	assert_int_equal(proto_decode(buf, sizeof(ok) - 1, &m, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "NUL byte"));

	/* Longest accepted line: padded with an unknown field. */
	n = PROTO_MAX_LINE - 1;
	memcpy(buf, ok, sizeof(ok) - 2);
	memcpy(buf + sizeof(ok) - 2, ",\"pad\":\"", 8);
	memset(buf + sizeof(ok) + 6, 'p', n - (sizeof(ok) + 6) - 2);
	memcpy(buf + n - 2, "\"}", 2);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	assert_int_equal(proto_decode(buf, n + 1, &m, err, sizeof(err)), 0);
	assert_string_equal(m.u.done.status, "complete");

	/* One byte more is too long. */
	memset(buf + sizeof(ok) + 6, 'p', n - (sizeof(ok) + 6) - 1);
	memcpy(buf + n - 1, "\"}", 2);
	buf[n + 1] = '\n';
	assert_int_equal(proto_decode(buf, n + 2, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line longer than 16384 bytes"));
}

static void
test_proto_decode_lenient_where_allowed(void **state)
{
	static const char l1[] =
	    " { \"status\" : \"stopped\" , \"x\":{\"y\":"
	    "[1,{\"z\":null}]}, \"type\":\"done\",\"v\":2,\"x\":2 } \r\n";
	static const char l2[] = "{\"\\u0076\":2,\"typ\\u0065\":\"done\","
				 "\"status\":\"fail\\u0065d\"}";
	static const char l3[] =
	    "{\"v\":2,\"type\":\"hello\",\"pid\":7,"
	    "\"pair\":\"\\u00e9\\ud83d\\ude00\",\"version\":\"1\"}";
	struct proto_msg m;
	char err[128];

	assert_int_equal(proto_decode(l1, strlen(l1), &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, PROTO_DONE);
	assert_string_equal(m.u.done.status, "stopped");
	assert_int_equal(proto_decode(l2, strlen(l2), &m, err, sizeof(err)), 0);
	assert_string_equal(m.u.done.status, "failed");
	/* resume is optional; escapes decode to UTF-8 */
	assert_int_equal(proto_decode(l3, strlen(l3), &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, PROTO_HELLO);
	assert_int_equal(m.u.hello.pid, 7);
	assert_string_equal(m.u.hello.pair, "\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(m.u.hello.resume, "");
}

static void
test_proto_numbers_ignore_locale(void **state)
{
	struct proto_msg a, b;
	locale_t loc;

	/* uselocale(), not setlocale(): glibc's setlocale() leaks under
	 * LSan. Both change what printf and strtod take as decimal point. */
	loc = newlocale(LC_NUMERIC_MASK, "de_DE.UTF-8", (locale_t)0);
	if (loc == (locale_t)0)
		loc = newlocale(LC_NUMERIC_MASK, "fr_FR.UTF-8", (locale_t)0);
	if (loc == (locale_t)0) {
		skip();
		return;
	}
	uselocale(loc);
	fill_progress(&a);
	roundtrip(&a, &b);
	uselocale(LC_GLOBAL_LOCALE);
	freelocale(loc);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_non_null(strstr(line, "\"rcu\":1234.5,"));
}

static void
test_proto_names(void **state)
{
	assert_string_equal(proto_type_name(PROTO_HELLO), "hello");
	assert_string_equal(proto_type_name(PROTO_WARNING), "warning");
	assert_string_equal(proto_type_name(PROTO_TYPE_MAX), "unknown");
	assert_string_equal(proto_type_name((enum proto_type) - 1), "unknown");
	assert_string_equal(proto_phase_name(PROTO_PHASE_STREAM), "stream");
	assert_string_equal(proto_phase_name(PROTO_PHASE_MAX), "unknown");
	assert_string_equal(proto_phase_state_name(PROTO_PS_STOPPED),
	    "stopped");
	assert_string_equal(proto_phase_state_name(PROTO_PS_MAX), "unknown");
	assert_string_equal(proto_level_name(PROTO_LVL_DEBUG), "debug");
	assert_string_equal(proto_level_name(PROTO_LVL_MAX), "unknown");
}

/* ----------------------------------------------------------------- reader */

/* Three encoded messages, concatenated. */
static size_t
three_lines(char *out, size_t outsz, size_t *lens)
{
	struct proto_msg a;
	size_t off = 0;
	int n, i;

	for (i = 0; i < 3; i++) {
		if (i == 1)
			fill_progress(&a);
		else {
			memset(&a, 0, sizeof(a));
			a.type = PROTO_LOG;
			a.u.log.level = PROTO_LVL_INFO;
			snprintf(a.u.log.msg, sizeof(a.u.log.msg), "line %d",
			    i);
		}
		n = proto_encode(&a, out + off, outsz - off);
		assert_true(n > 0);
		lens[i] = (size_t)n;
		off += (size_t)n;
	}
	return off;
}

/* Feed in chunks of size step; check the three lines come out intact. */
static void
feed_and_check(const char *data, size_t len, const size_t *lens, size_t step)
{
	struct proto_reader *r;
	const char *l;
	size_t ll, off = 0, got = 0, pos = 0, k;
	int rc;

	r = malloc(sizeof(*r));
	assert_non_null(r);
	proto_reader_init(r);
	while (off < len) {
		k = len - off < step ? len - off : step;
		assert_int_equal(proto_reader_feed(r, data + off, k), 0);
		off += k;
		while ((rc = proto_reader_next(r, &l, &ll)) == 1) {
			assert_true(got < 3);
			assert_int_equal(ll, lens[got] - 1);
			assert_memory_equal(l, data + pos, ll);
			assert_int_equal(l[ll], '\0');
			pos += lens[got];
			got++;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 3);
	assert_int_equal(proto_reader_pending(r), 0);
	assert_string_equal(proto_reader_errstr(r), "");
	free(r);
}

static void
test_proto_reader_byte_by_byte(void **state)
{
	char data[3 * PROTO_MAX_LINE];
	size_t lens[3], len;

	len = three_lines(data, sizeof(data), lens);
	feed_and_check(data, len, lens, 1);
}

static void
test_proto_reader_many_lines_one_feed(void **state)
{
	char data[3 * PROTO_MAX_LINE];
	size_t lens[3], len;

	len = three_lines(data, sizeof(data), lens);
	assert_true(len <= PROTO_READ_MAX);
	feed_and_check(data, len, lens, len);
}

static void
test_proto_reader_split_everywhere(void **state)
{
	char data[3 * PROTO_MAX_LINE];
	size_t lens[3], len, step;

	len = three_lines(data, sizeof(data), lens);
	for (step = 2; step <= len; step++)
		feed_and_check(data, len, lens, step);
}

static void
test_proto_reader_partial_pending(void **state)
{
	struct proto_reader r;
	const char *l;
	size_t ll;

	proto_reader_init(&r);
	assert_int_equal(proto_reader_feed(&r, "abc\nde", 6), 0);
	assert_int_equal(proto_reader_next(&r, &l, &ll), 1);
	assert_string_equal(l, "abc");
	assert_int_equal(proto_reader_next(&r, &l, &ll), 0);
	assert_int_equal(proto_reader_pending(&r), 2);
	assert_int_equal(proto_reader_feed(&r, "f\n\n", 3), 0);
	assert_int_equal(proto_reader_next(&r, &l, &ll), 1);
	assert_string_equal(l, "def");
	assert_int_equal(proto_reader_next(&r, &l, &ll), 1);
	assert_int_equal(ll, 0);
	assert_int_equal(proto_reader_next(&r, &l, &ll), 0);
	assert_int_equal(proto_reader_pending(&r), 0);
}

static void
test_proto_reader_longest_line(void **state)
{
	static char big[PROTO_MAX_LINE + 1];
	struct proto_reader *r;
	const char *l;
	size_t ll;

	r = malloc(sizeof(*r));
	assert_non_null(r);
	/* PROTO_MAX_LINE bytes including the newline: accepted. */
	proto_reader_init(r);
	memset(big, 'a', PROTO_MAX_LINE - 1);
	big[PROTO_MAX_LINE - 1] = '\n';
	assert_int_equal(proto_reader_feed(r, "x\n", 2), 0);
	assert_int_equal(proto_reader_next(r, &l, &ll), 1);
	assert_int_equal(proto_reader_feed(r, big, PROTO_MAX_LINE), 0);
	assert_int_equal(proto_reader_next(r, &l, &ll), 1);
	assert_int_equal(ll, PROTO_MAX_LINE - 1);
	free(r);
}

static void
test_proto_reader_overlong_sticky(void **state)
{
	static char big[PROTO_MAX_LINE + 1];
	struct proto_reader *r;
	const char *l;
	size_t ll;

	r = malloc(sizeof(*r));
	assert_non_null(r);

	/* One byte over, the newline arriving later. */
	proto_reader_init(r);
	memset(big, 'a', PROTO_MAX_LINE);
	assert_int_equal(proto_reader_feed(r, big, 100), 0);
	assert_int_equal(proto_reader_next(r, &l, &ll), 0);
	assert_int_equal(proto_reader_feed(r, big, PROTO_MAX_LINE - 100), 0);
	errno = 0;
	assert_int_equal(proto_reader_next(r, &l, &ll), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_non_null(strstr(proto_reader_errstr(r), "longer than"));
	/* Stays failed: even a good line is not returned. */
	assert_int_equal(proto_reader_feed(r, "\n{}\n", 4), -1);
	assert_int_equal(proto_reader_next(r, &l, &ll), -1);
	assert_int_equal(errno, EMSGSIZE);

	/* Overlong with its newline in the same feed. */
	proto_reader_init(r);
	big[PROTO_MAX_LINE] = '\n';
	assert_int_equal(proto_reader_feed(r, big, PROTO_MAX_LINE), 0);
	assert_int_equal(proto_reader_feed(r, "\n", 1), 0);
	assert_int_equal(proto_reader_next(r, &l, &ll), -1);
	assert_int_equal(errno, EMSGSIZE);
	free(r);
}

static void
test_proto_reader_nul(void **state)
{
	struct proto_reader r;
	const char *l;
	size_t ll;

	proto_reader_init(&r);
	assert_int_equal(proto_reader_feed(&r, "ok\nab\0c\nzz\n", 11), 0);
	assert_int_equal(proto_reader_next(&r, &l, &ll), 1);
	assert_string_equal(l, "ok");
	errno = 0;
	assert_int_equal(proto_reader_next(&r, &l, &ll), -1);
	assert_int_equal(errno, EILSEQ);
	assert_non_null(strstr(proto_reader_errstr(&r), "NUL"));
	assert_int_equal(proto_reader_next(&r, &l, &ll), -1);

	/* A NUL in a line not yet complete is caught at once too. */
	proto_reader_init(&r);
	assert_int_equal(proto_reader_feed(&r, "ab\0", 3), 0);
	assert_int_equal(proto_reader_next(&r, &l, &ll), -1);
	assert_int_equal(errno, EILSEQ);
}

static void
test_proto_reader_overrun(void **state)
{
	static char big[2 * PROTO_MAX_LINE + 1];
	struct proto_reader *r;
	const char *l;
	size_t ll;

	r = malloc(sizeof(*r));
	assert_non_null(r);
	proto_reader_init(r);
	memset(big, '\n', sizeof(big));
	errno = 0;
	assert_int_equal(proto_reader_feed(r, big, sizeof(big)), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(proto_reader_next(r, &l, &ll), -1);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_roundtrip_hello),
		cmocka_unit_test(test_proto_roundtrip_log),
		cmocka_unit_test(test_proto_roundtrip_phase),
		cmocka_unit_test(test_proto_phase_from_checkpoint),
		cmocka_unit_test(test_proto_roundtrip_progress),
		cmocka_unit_test(test_proto_progress_ttl_optional),
		cmocka_unit_test(test_proto_progress_metrics_optional),
		cmocka_unit_test(test_proto_progress_leases_optional),
		cmocka_unit_test(test_proto_progress_spool_optional),
		cmocka_unit_test(test_proto_roundtrip_checkpoint),
		cmocka_unit_test(test_proto_roundtrip_error),
		cmocka_unit_test(test_proto_roundtrip_done),
		cmocka_unit_test(test_proto_roundtrip_warning),
		cmocka_unit_test(test_proto_roundtrip_extremes),
		cmocka_unit_test(test_proto_roundtrip_empty_text),
		cmocka_unit_test(test_proto_roundtrip_escapes),
		cmocka_unit_test(test_proto_invalid_utf8_replaced),
		cmocka_unit_test(test_proto_max_text_fits),
		cmocka_unit_test(test_proto_text_truncated_to_line),
		cmocka_unit_test(test_proto_encode_small_buffer),
		cmocka_unit_test(test_proto_encode_rejects_invalid),
		cmocka_unit_test(test_proto_decode_rejects),
		cmocka_unit_test(test_proto_decode_rejects_progress_ranges),
		cmocka_unit_test(test_proto_decode_nul_and_length),
		cmocka_unit_test(test_proto_decode_lenient_where_allowed),
		cmocka_unit_test(test_proto_numbers_ignore_locale),
		cmocka_unit_test(test_proto_names),
		cmocka_unit_test(test_proto_reader_byte_by_byte),
		cmocka_unit_test(test_proto_reader_many_lines_one_feed),
		cmocka_unit_test(test_proto_reader_split_everywhere),
		cmocka_unit_test(test_proto_reader_partial_pending),
		cmocka_unit_test(test_proto_reader_longest_line),
		cmocka_unit_test(test_proto_reader_overlong_sticky),
		cmocka_unit_test(test_proto_reader_nul),
		cmocka_unit_test(test_proto_reader_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_control.c: the control protocol codec, ctl's parsing and table, and
 * the control socket server driven on its own event loop. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "buf.h"
#include "compat.h"
#include "control.h"
#include "ctl.h"
#include "settings.h"
#include "metrics.h"
#include "sup.h"
#include "xmalloc.h"

static char line[CONTROL_RESPONSE_MAX];

/* ------------------------------------------------------------- requests */

static void
test_control_request_roundtrip(void **state)
{
	static const char *const want[CONTROL_CMD_MAX] = {
		"{\"v\":1,\"cmd\":\"list\"}\n",
		"{\"v\":1,\"cmd\":\"stop\",\"pair\":\"orders \\\"eu\\\"\"}\n",
		"{\"v\":1,\"cmd\":\"start\",\"pair\":\"orders \\\"eu\\\"\"}\n",
		"{\"v\":1,\"cmd\":\"restart\",\"pair\":\"orders \\\"eu\\\"\"}\n",
		"{\"v\":1,\"cmd\":\"status\"}\n",
		"{\"v\":1,\"cmd\":\"limit\",\"pair\":\"orders \\\"eu\\\"\","
		"\"read\":\"40%\",\"write\":\"300\"}\n",
		"{\"v\":1,\"cmd\":\"fleet\",\"pair\":\"orders \\\"eu\\\"\"}\n",
	};
	struct control_request r, d;
	char err[256];
	int n;

	for (int c = 0; c < CONTROL_CMD_MAX; c++) {
		memset(&r, 0, sizeof(r));
		r.cmd = (enum control_cmd)c;
		if (r.cmd != CONTROL_LIST && r.cmd != CONTROL_STATUS)
			strlcpy(r.pair, "orders \"eu\"", sizeof(r.pair));
		if (r.cmd == CONTROL_LIMIT) {
			strlcpy(r.read, "40%", sizeof(r.read));
			strlcpy(r.write, "300", sizeof(r.write));
		}
		n = control_request_encode(&r, line, sizeof(line));
		assert_int_equal(n, (int)strlen(want[c]));
		assert_string_equal(line, want[c]);
		/* With and without its newline. */
		assert_int_equal(control_request_decode(line, (size_t)n, &d,
				     err, sizeof(err)),
		    0);
		assert_int_equal(d.cmd, r.cmd);
		assert_string_equal(d.pair, r.pair);
		assert_string_equal(d.read, r.read);
		assert_string_equal(d.write, r.write);
		assert_int_equal(control_request_decode(line, (size_t)n - 1, &d,
				     err, sizeof(err)),
		    0);
		assert_int_equal(d.cmd, r.cmd);
		assert_string_equal(d.pair, r.pair);
	}
}

static void
test_control_request_longest_pair(void **state)
{
	struct control_request r, d;
	char err[256];
	int n;

	memset(&r, 0, sizeof(r));
	r.cmd = CONTROL_RESTART;
	memset(r.pair, 'x', PLAN_NAME_MAX);
	n = control_request_encode(&r, line, sizeof(line));
	assert_true(n > 0 && n < CONTROL_REQUEST_MAX);
	assert_int_equal(control_request_decode(line, (size_t)n, &d, err,
			     sizeof(err)),
	    0);
	assert_string_equal(d.pair, r.pair);
}

static void
test_control_request_decode_lenient(void **state)
{
	static const struct {
		const char *in;
		enum control_cmd cmd;
		const char *pair;
	} ok[] = {
		{ " { \"cmd\" : \"list\" , \"v\" : 1 } \r\n", CONTROL_LIST,
		    "" },
		{ "{\"v\":1,\"cmd\":\"list\",\"pair\":\"ignored\"}",
		    CONTROL_LIST, "" },
		{ "{\"v\":1,\"cmd\":\"list\",\"pair\":7}", CONTROL_LIST, "" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"a\",\"future\":[1,{}]}",
		    CONTROL_STOP, "a" },
		{ "{\"pair\":\"caf\\u00e9\",\"v\":1,\"cmd\":\"start\"}",
		    CONTROL_START, "caf\xc3\xa9" },
		/* Names are compared unescaped. */
		{ "{\"\\u0076\":1,\"cm\\u0064\":\"list\"}", CONTROL_LIST, "" },
	};
	struct control_request d;
	char err[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(control_request_decode(ok[i].in,
				     strlen(ok[i].in), &d, err, sizeof(err)),
		    0);
		assert_int_equal(d.cmd, ok[i].cmd);
		assert_string_equal(d.pair, ok[i].pair);
	}
}

static void
test_control_request_decode_rejects(void **state)
{
	static const struct {
		const char *in;
		const char *err;
	} bad[] = {
		{ "", "request is not a JSON object" },
		{ "   ", "request is not a JSON object" },
		{ "list", "request is not a JSON object" },
		{ "{", "request is not a JSON object" },
		{ "[1]", "request is not a JSON object" },
		{ "\"list\"", "request is not a JSON object" },
		{ "{\"v\":1,\"cmd\":\"list\",}",
		    "request is not a JSON object" },
		{ "{\"v\":1,\"cmd\":\"list\"} x",
		    "trailing data after the JSON request" },
		{ "{\"v\":1,\"cmd\":\"list\"}{}",
		    "trailing data after the JSON request" },
		{ "{\"cmd\":\"list\"}", "request: missing field \"v\"" },
		{ "{\"v\":\"1\",\"cmd\":\"list\"}",
		    "request: field \"v\" must be an integer" },
		{ "{\"v\":1.0,\"cmd\":\"list\"}",
		    "request: field \"v\" must be an integer" },
		{ "{\"v\":-1,\"cmd\":\"list\"}",
		    "request: field \"v\" must be an integer" },
		{ "{\"v\":2,\"cmd\":\"list\"}",
		    "unsupported control protocol version 2 (this ddb-sync "
		    "speaks 1)" },
		/* The version is checked before anything a v2 may change. */
		{ "{\"v\":2,\"cmd\":7}",
		    "unsupported control protocol version 2 (this ddb-sync "
		    "speaks 1)" },
		{ "{\"v\":0,\"cmd\":\"list\"}",
		    "unsupported control protocol version 0 (this ddb-sync "
		    "speaks 1)" },
		{ "{\"v\":1}", "request: missing field \"cmd\"" },
		{ "{\"v\":1,\"cmd\":1}",
		    "request: field \"cmd\" must be a string" },
		{ "{\"v\":1,\"cmd\":\"\"}", "request: field \"cmd\" is empty" },
		{ "{\"v\":1,\"cmd\":\"kill\",\"pair\":\"a\"}",
		    "unknown command 'kill' (list, status, stop, start, restart, limit, fleet)" },
		{ "{\"v\":1,\"cmd\":\"LIST\"}",
		    "unknown command 'LIST' (list, status, stop, start, restart, limit, fleet)" },
		{ "{\"v\":1,\"cmd\":\"\\u001b[2J\"}",
		    "unknown command '?[2J' (list, status, stop, start, restart, limit, fleet)" },
		{ "{\"v\":1,\"cmd\":\"stop\"}",
		    "stop: missing field \"pair\"" },
		{ "{\"v\":1,\"cmd\":\"start\"}",
		    "start: missing field \"pair\"" },
		{ "{\"v\":1,\"cmd\":\"restart\"}",
		    "restart: missing field \"pair\"" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"\"}",
		    "stop: field \"pair\" is empty" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":null}",
		    "stop: field \"pair\" must be a string" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"a\\u0000b\"}",
		    "stop: field \"pair\" contains a NUL byte" },
		{ "{\"v\":1,\"cmd\":\"list\",\"v\":1}",
		    "request: field \"v\" is given twice" },
		{ "{\"v\":1,\"cmd\":\"list\",\"\\u0076\":1}",
		    "request: field \"v\" is given twice" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"a\xff\"}",
		    "stop: field \"pair\" is not valid UTF-8" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"\\udc00\"}",
		    "stop: field \"pair\" has an unpaired UTF-16 surrogate "
		    "escape" },
		{ "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"a\",\"pair\":\"b\"}",
		    "request: field \"pair\" is given twice" },
	};
	struct control_request d;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (control_request_decode(bad[i].in, strlen(bad[i].in), &d,
			err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].in);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("%s: got '%s', want '%s'", bad[i].in, err,
			    bad[i].err);
	}
}

static void
test_control_request_decode_oversized(void **state)
{
	struct control_request d;
	char err[256], big[CONTROL_REQUEST_MAX + 64];
	int n;

	/* A pair name longer than any plan allows. */
	n = snprintf(big, sizeof(big),
	    "{\"v\":1,\"cmd\":\"stop\",\"pair\":"
	    "\"%0*d\"}",
	    PLAN_NAME_MAX + 1, 0);
	assert_int_equal(control_request_decode(big, (size_t)n, &d, err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err,
	    "stop: field \"pair\" is longer than 200 "
	    "bytes");
	/* A line longer than the maximum, even if valid JSON. */
	n = snprintf(big, sizeof(big),
	    "{\"v\":1,\"cmd\":\"list\",\"x\":"
	    "\"%0*d\"}",
	    CONTROL_REQUEST_MAX, 0);
	assert_int_equal(control_request_decode(big, (size_t)n, &d, err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err, "request longer than 1023 bytes");
	/* Exactly the longest line (newline excluded) is fine. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"v\":1,\"cmd\":\"list\"}", 20);
	assert_int_equal(control_request_decode(big, CONTROL_REQUEST_MAX - 1,
			     &d, err, sizeof(err)),
	    0);
}

static void
test_control_request_encode_rejects(void **state)
{
	struct control_request r;
	char small[16];

	memset(&r, 0, sizeof(r));
	r.cmd = CONTROL_STOP;
	errno = 0;
	assert_int_equal(control_request_encode(&r, line, sizeof(line)), -1);
	assert_int_equal(errno, EINVAL);
	r.cmd = CONTROL_CMD_MAX;
	strlcpy(r.pair, "a", sizeof(r.pair));
	assert_int_equal(control_request_encode(&r, line, sizeof(line)), -1);
	assert_int_equal(errno, EINVAL);
	r.cmd = CONTROL_LIST;
	errno = 0;
	assert_int_equal(control_request_encode(&r, small, sizeof(small)), -1);
	assert_int_equal(errno, ENOSPC);
	assert_null(control_cmd_name(CONTROL_CMD_MAX));
}

/* ------------------------------------------------------------ responses */

static void
sample_pairs(struct control_pair p[2])
{
	memset(p, 0, 2 * sizeof(*p));
	strlcpy(p[0].name, "orders", sizeof(p[0].name));
	strlcpy(p[0].label, "[orders] \xe2\x87\xa8 [orders-copy \"x\"]",
	    sizeof(p[0].label));
	strlcpy(p[0].state, "running", sizeof(p[0].state));
	p[0].pid = 4242;
	p[0].stopping = 1;
	strlcpy(p[0].backfill, "complete", sizeof(p[0].backfill));
	strlcpy(p[0].stream, "running", sizeof(p[0].stream));
	p[0].items_written = UINT64_MAX;
	p[0].stream_written = 9007199254740993ULL; /* not a double */
	p[0].restarts = 3;
	strlcpy(p[1].name, "b", sizeof(p[1].name));
	strlcpy(p[1].label, "[b] \xe2\x87\xa8 [b2]", sizeof(p[1].label));
	strlcpy(p[1].state, "failed", sizeof(p[1].state));
	p[1].pid = -1;
	strlcpy(p[1].backfill, "failed", sizeof(p[1].backfill));
	strlcpy(p[1].stream, "pending", sizeof(p[1].stream));
	strlcpy(p[1].last_error, "AccessDeniedException: no\nway\t\\ \"x\"",
	    sizeof(p[1].last_error));
	/* No spool, no fleet. */
	p[0].spool_bytes = p[1].spool_bytes = -1;
	p[0].spool_oldest_age_s = p[1].spool_oldest_age_s = -1;
	p[0].leases_held = p[1].leases_held = -1;
	p[0].leases_lost = p[1].leases_lost = -1;
}

static void
assert_pair_equal(const struct control_pair *a, const struct control_pair *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->label, b->label);
	assert_string_equal(a->state, b->state);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->stopping, b->stopping);
	assert_string_equal(a->backfill, b->backfill);
	assert_string_equal(a->stream, b->stream);
	assert_true(a->items_written == b->items_written);
	assert_true(a->stream_written == b->stream_written);
	assert_true(a->restarts == b->restarts);
	assert_string_equal(a->last_error, b->last_error);
	assert_int_equal(a->spool_bytes, b->spool_bytes);
	assert_int_equal(a->spool_oldest_age_s, b->spool_oldest_age_s);
	assert_int_equal(a->spool_paused, b->spool_paused);
	assert_int_equal(a->leases_held, b->leases_held);
	assert_int_equal(a->leases_lost, b->leases_lost);
}

/* A fleet's leases (issue 20): null without coordination, absent from an
 * older supervisor's answer; the list's LEASES column only in a fleet. */
static void
test_control_leases(void **state)
{
	struct control_pair p[2];
	struct control_response r;
	struct buf b;
	char err[256], *cut;

	sample_pairs(p);
	buf_init(&b, CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_list(&b, p, 2), 0);
	assert_non_null(
	    strstr(b.data, ",\"leases_held\":null,\"leases_lost\":null}"));
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	assert_null(strstr(b.data, "LEASES"));

	p[0].leases_held = 3;
	p[0].leases_lost = 1;
	p[1].leases_held = 0;
	p[1].leases_lost = 0;
	buf_reset(&b);
	assert_int_equal(control_response_list(&b, p, 2), 0);
	assert_non_null(
	    strstr(b.data, ",\"leases_held\":3,\"leases_lost\":1}"));
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_pair_equal(&r.pairs[0], &p[0]);
	assert_pair_equal(&r.pairs[1], &p[1]);
	control_response_free(&r);
	/* An older supervisor says nothing of leases. */
	buf_reset(&b);
	assert_int_equal(control_response_pair(&b, &p[0]), 0);
	assert_non_null(cut = strstr(b.data, ",\"leases_held\""));
	strcpy(cut, "}}");
	assert_int_equal(control_response_decode(b.data, strlen(b.data), &r,
			     err, sizeof(err)),
	    0);
	assert_int_equal(r.pairs[0].leases_held, -1);
	assert_int_equal(r.pairs[0].leases_lost, -1);
	control_response_free(&r);

	buf_reset(&b);
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	assert_non_null(strstr(b.data, "  LEASES      RCU/S  WCU/S  RESTARTS"));
	assert_non_null(strstr(b.data, "  3 (lost 1)  0 "));
	assert_non_null(strstr(b.data, "  0           0 "));
	buf_free(&b);
}

/* The spool's figures (issue 13): null without a spool, absent from an
 * older supervisor's answer; the list's SPOOL column only when one has. */
static void
test_control_spool(void **state)
{
	struct control_pair p[2];
	struct control_response r;
	struct buf b;
	char err[256], *cut;

	sample_pairs(p);
	buf_init(&b, CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_list(&b, p, 2), 0);
	assert_non_null(strstr(b.data,
	    ",\"spool_bytes\":null,\"spool_oldest_age_s\":null,"
	    "\"spool_paused\":false,"));
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	assert_null(strstr(b.data, "SPOOL"));

	p[0].spool_bytes = 9007199254740993LL;
	p[0].spool_oldest_age_s = 86399;
	p[0].spool_paused = 1;
	p[1].spool_bytes = 4096; /* a spool with no record kept */
	buf_reset(&b);
	assert_int_equal(control_response_list(&b, p, 2), 0);
	assert_non_null(strstr(b.data,
	    ",\"spool_bytes\":9007199254740993,\"spool_oldest_age_s\":86399,"
	    "\"spool_paused\":true,"));
	assert_non_null(strstr(b.data,
	    ",\"spool_bytes\":4096,\"spool_oldest_age_s\":null,"
	    "\"spool_paused\":false,"));
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(r.npairs, 2);
	assert_pair_equal(&r.pairs[0], &p[0]);
	assert_pair_equal(&r.pairs[1], &p[1]);
	control_response_free(&r);

	/* An older supervisor says nothing of a spool. */
	buf_reset(&b);
	assert_int_equal(control_response_pair(&b, &p[0]), 0);
	assert_non_null(cut = strstr(b.data, ",\"spool_bytes\""));
	strcpy(cut, "}}");
	assert_int_equal(control_response_decode(b.data, strlen(b.data), &r,
			     err, sizeof(err)),
	    0);
	assert_int_equal(r.pairs[0].spool_bytes, -1);
	assert_int_equal(r.pairs[0].spool_oldest_age_s, -1);
	assert_int_equal(r.pairs[0].spool_paused, 0);
	control_response_free(&r);
	/* ...and a wrong type is refused. */
	buf_reset(&b);
	assert_int_equal(control_response_pair(&b, &p[0]), 0);
	assert_non_null(cut = strstr(b.data, "\"spool_paused\":true"));
	memcpy(cut + strlen("\"spool_paused\":"), "1234", 4);
	assert_int_equal(control_response_decode(b.data, strlen(b.data), &r,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "\"spool_paused\" must be true or false"));
	control_response_free(&r);

	buf_reset(&b);
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	assert_non_null(
	    strstr(b.data, "  SPOOL               RCU/S  WCU/S  RESTARTS"));
	assert_non_null(strstr(b.data, "  8.0PiB/23h59m FULL  "));
	assert_non_null(
	    strstr(b.data, " 4.0KiB              0      0      0 "));
	p[0].spool_bytes = -1;
	buf_reset(&b);
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	assert_non_null(strstr(b.data, "  SPOOL   RCU/S"));
	assert_non_null(strstr(b.data, "  -       0 "));
	assert_non_null(strstr(b.data, "  4.0KiB  0 "));
	buf_free(&b);
}

static void
test_control_response_list_roundtrip(void **state)
{
	struct control_pair p[2];
	struct control_response r;
	struct buf b;
	char err[256];

	sample_pairs(p);
	buf_init(&b, CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_list(&b, p, 2), 0);
	assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
	assert_null(memchr(b.data, '\n', b.len - 1));
	assert_non_null(strstr(b.data,
	    "\"items_written\":"
	    "18446744073709551615,\"stream_written\":9007199254740993,"));
	assert_non_null(strstr(b.data, "\"pid\":null"));
	assert_int_equal(strncmp(b.data,
			     "{\"v\":1,\"ok\":true,\"pairs\":[{"
			     "\"name\":\"orders\",",
			     40),
	    0);
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.npairs, 2);
	assert_pair_equal(&r.pairs[0], &p[0]);
	assert_pair_equal(&r.pairs[1], &p[1]);
	control_response_free(&r);

	/* An empty list. */
	buf_reset(&b);
	assert_int_equal(control_response_list(&b, p, 0), 0);
	assert_string_equal(b.data, "{\"v\":1,\"ok\":true,\"pairs\":[]}\n");
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(r.npairs, 0);
	control_response_free(&r);
	buf_free(&b);
}

/* status: the metrics' JSON under "status"; ctl sees an ok answer. */
static void
test_control_response_status(void **state)
{
	struct metrics_pair p;
	struct metrics_global g;
	struct control_response r;
	struct buf b;
	const char *bad = "{\"v\":1,\"ok\":true,\"status\":[]}";
	char err[256];

	memset(&p, 0, sizeof(p));
	p.pair = p.source_table = p.destination_table = "t\"x";
	p.state = "running";
	p.last_error = "";
	p.items_written = 5;
	p.backfill_ratio = p.backfill_eta_s = p.stream_latency_s =
	    p.retention_used = -1;
	memset(&g, 0, sizeof(g));
	g.version = "0.1.0";
	g.pairs = 1;
	buf_init(&b, CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_status(&b, &p, 1, &g), 0);
	assert_int_equal(strncmp(b.data, "{\"v\":1,\"ok\":true,\"status\":{",
			     27),
	    0);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_non_null(strstr(b.data, "\"items_written\":5,"));
	assert_int_equal(control_response_decode(b.data, b.len - 1, &r, err,
			     sizeof(err)),
	    0);
	assert_true(r.ok);
	assert_true(r.has_status);
	control_response_free(&r);
	assert_int_equal(control_response_decode(bad, strlen(bad), &r, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "\"status\" must be an object"));
	control_response_free(&r);
	buf_free(&b);
}

static void
test_control_response_pair_and_error(void **state)
{
	struct control_pair p[2];
	struct control_response r;
	struct buf b;
	char err[256], big[CONTROL_TEXT_MAX * 2];

	sample_pairs(p);
	buf_init(&b, CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_pair(&b, &p[1]), 0);
	assert_int_equal(strncmp(b.data, "{\"v\":1,\"ok\":true,\"pair\":{", 25),
	    0);
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(r.npairs, 1);
	assert_pair_equal(&r.pairs[0], &p[1]);
	control_response_free(&r);

	buf_reset(&b);
	assert_int_equal(control_response_error(&b, "no pair named 'x'"), 0);
	assert_string_equal(b.data,
	    "{\"v\":1,\"ok\":false,\"error\":"
	    "\"no pair named 'x'\"}\n");
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "no pair named 'x'");
	assert_null(r.pairs);
	control_response_free(&r);

	/* A long message is cut on a character boundary. */
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof(big) - 2] = '\0';
	buf_reset(&b);
	assert_int_equal(control_response_error(&b, big), 0);
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(strlen(r.error), CONTROL_TEXT_MAX - 2);
	assert_int_equal(strncmp(r.error, big, CONTROL_TEXT_MAX - 2), 0);
	control_response_free(&r);
	buf_free(&b);
}

static void
test_control_response_decode_rejects(void **state)
{
	static const struct {
		const char *in;
		const char *err;
	} bad[] = {
		{ "", "response is not a JSON object" },
		{ "{\"v\":1,\"ok\":true", "response is not a JSON object" },
		{ "{\"ok\":true}", "response: missing field \"v\"" },
		{ "{\"v\":3,\"ok\":true}",
		    "unsupported control protocol "
		    "version 3 (this ddb-sync speaks 1)" },
		{ "{\"v\":1}", "response: missing field \"ok\"" },
		{ "{\"v\":1,\"ok\":1}",
		    "response: field \"ok\" must be true or false" },
		{ "{\"v\":1,\"ok\":false}",
		    "response: missing field \"error\"" },
		{ "{\"v\":1,\"ok\":false,\"error\":5}",
		    "response: field \"error\" must be a string" },
		{ "{\"v\":1,\"ok\":true,\"pairs\":{}}",
		    "response: field \"pairs\" must be an array" },
		{ "{\"v\":1,\"ok\":true,\"pairs\":[1]}",
		    "pair is not a JSON object" },
		{ "{\"v\":1,\"ok\":true,\"pair\":{\"name\":\"a\"}}",
		    "pair: missing field \"label\"" },
	};
	/* A valid pair, then each field spoiled in turn. */
	static const char *const good[] = {
		"\"name\":\"a\"",
		"\"label\":\"\"",
		"\"state\":\"running\"",
		"\"pid\":1",
		"\"stopping\":false",
		"\"backfill\":\"running\"",
		"\"stream\":\"pending\"",
		"\"items_written\":0",
		"\"stream_written\":0",
		"\"restarts\":0",
		"\"last_error\":\"\"",
	};
	static const struct {
		size_t field;
		const char *bad;
	} spoil[] = {
		{ 0, "\"name\":\"\"" },
		{ 2, "\"state\":\"\"" },
		{ 3, "\"pid\":-1" },
		{ 3, "\"pid\":1.5" },
		{ 3, "\"pid\":9223372036854775808" },
		{ 3, "\"pid\":\"1\"" },
		{ 4, "\"stopping\":0" },
		{ 7, "\"items_written\":18446744073709551616" },
		{ 7, "\"items_written\":-1" },
		{ 7, "\"items_written\":01" },
		{ 7, "\"items_written\":1e3" },
		{ 9, "\"restarts\":\"1\"" },
		{ 10, "\"last_error\":null" },
	};
	const size_t ngood = sizeof(good) / sizeof(good[0]);
	struct control_response r;
	struct buf b;
	char err[256];
	int n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (control_response_decode(bad[i].in, strlen(bad[i].in), &r,
			err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].in);
		control_response_free(&r);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("%s: got '%s', want '%s'", bad[i].in, err,
			    bad[i].err);
	}
	buf_init(&b, CONTROL_RESPONSE_MAX);
	for (size_t i = 0; i <= sizeof(spoil) / sizeof(spoil[0]); i++) {
		buf_reset(&b);
		buf_adds(&b, "{\"v\":1,\"ok\":true,\"pair\":{");
		for (size_t k = 0; k < ngood; k++) {
			if (k > 0)
				buf_addc(&b, ',');
			buf_adds(&b,
			    i > 0 && spoil[i - 1].field == k ?
				spoil[i - 1].bad :
				good[k]);
		}
		buf_adds(&b, "}}");
		n = control_response_decode(b.data, b.len, &r, err,
		    sizeof(err));
		control_response_free(&r);
		if (i == 0 && n != 0)
			fail_msg("refused: %s: %s", b.data, err);
		if (i > 0 && n != -1)
			fail_msg("accepted: %s", b.data);
	}
	buf_free(&b);
}

static void
test_control_response_bounds(void **state)
{
	struct control_pair p[2];
	struct control_response r;
	struct buf b;
	char err[256];

	/* The encoder stops at the buffer's maximum. */
	sample_pairs(p);
	buf_init(&b, 300);
	assert_int_equal(control_response_list(&b, p, 2), -1);
	buf_free(&b);

	/* The decoder never allocates for more pairs than a plan holds. */
	buf_init(&b, CONTROL_RESPONSE_MAX);
	buf_adds(&b, "{\"v\":1,\"ok\":true,\"pairs\":[");
	for (int i = 0; i <= PLAN_MAX_PAIRS; i++)
		buf_adds(&b, i > 0 ? ",{}" : "{}");
	buf_adds(&b, "]}");
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err, "response: more than 1000 pairs");
	control_response_free(&r);
	buf_free(&b);
	memset(line, ' ', CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_decode(line, CONTROL_RESPONSE_MAX, &r,
			     err, sizeof(err)),
	    -1);
	assert_string_equal(err, "response longer than 8388607 bytes");
}

static void
test_control_response_largest_list(void **state)
{
	struct control_pair *p;
	struct control_response r;
	struct buf b;
	char err[256];

	/* The longest escapes everywhere: the largest plan still fits. */
	p = xcalloc(PLAN_MAX_PAIRS, sizeof(*p));
	for (size_t i = 0; i < PLAN_MAX_PAIRS; i++) {
		memset(p[i].name, '"', sizeof(p[i].name) - 1);
		memset(p[i].label, '\\', sizeof(p[i].label) - 1);
		memset(p[i].state, 'x', sizeof(p[i].state) - 1);
		memset(p[i].backfill, 'x', sizeof(p[i].backfill) - 1);
		memset(p[i].stream, 'x', sizeof(p[i].stream) - 1);
		memset(p[i].last_error, 1, sizeof(p[i].last_error) - 1);
		p[i].pid = INT64_MAX;
		p[i].items_written = p[i].stream_written = UINT64_MAX;
		p[i].restarts = UINT64_MAX;
		p[i].leases_held = p[i].leases_lost = INT64_MAX;
		p[i].spool_bytes = p[i].spool_oldest_age_s = INT64_MAX;
	}
	buf_init(&b, CONTROL_RESPONSE_MAX - 1);
	assert_int_equal(control_response_list(&b, p, PLAN_MAX_PAIRS), 0);
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_int_equal(r.npairs, PLAN_MAX_PAIRS);
	assert_pair_equal(&r.pairs[PLAN_MAX_PAIRS - 1], &p[PLAN_MAX_PAIRS - 1]);
	control_response_free(&r);
	buf_free(&b);
	free(p);
}

static void
test_control_pair_from_child(void **state)
{
	struct plan_pair pp;
	struct child c;
	struct sup s;
	struct control_pair p;
	char hid[] = "host:1:abcd0123";
	size_t i;

	memset(&s, 0, sizeof(s));
	plan_pair_init(&pp);
	pp.name = xstrdup("orders");
	pp.input.table = xstrdup("orders");
	pp.output.table = xstrdup("orders-copy");
	child_init(&c, &s, &pp);

	control_pair_from_child(&c, &p);
	assert_string_equal(p.name, "orders");
	assert_string_equal(p.label, "[orders] \xe2\x87\xa8 [orders-copy]");
	assert_string_equal(p.state, "idle");
	assert_int_equal(p.pid, -1);
	assert_int_equal(p.stopping, 0);
	assert_string_equal(p.backfill, "pending");
	assert_string_equal(p.stream, "pending");
	assert_string_equal(p.last_error, "");

	c.state = CHILD_RUNNING;
	c.pid = 77;
	c.stop_requested = 1;
	c.backfill = PROTO_PS_COMPLETE;
	c.stream = PROTO_PS_RUNNING;
	c.prog.items_written = 14301;
	c.prog.stream_written = 400;
	c.restarts = 2;
	/* A last error longer than the protocol's text: cut, still UTF-8. */
	for (i = 0; i + 2 < sizeof(c.last_error); i += 2)
		memcpy(c.last_error + i, "\xc3\xa9", 2);
	c.last_error[i] = '\0';
	control_pair_from_child(&c, &p);
	assert_string_equal(p.state, "running");
	assert_int_equal(p.pid, 77);
	assert_int_equal(p.stopping, 1);
	assert_string_equal(p.backfill, "complete");
	assert_string_equal(p.stream, "running");
	assert_true(p.items_written == 14301);
	assert_true(p.stream_written == 400);
	assert_true(p.restarts == 2);
	assert_int_equal(strlen(p.last_error), CONTROL_TEXT_MAX - 2);

	assert_int_equal(p.spool_bytes, -1);
	assert_int_equal(p.spool_oldest_age_s, -1);
	/* A spool while the worker runs; an age alone is none. */
	c.prog.spool_oldest_ms = 0;
	control_pair_from_child(&c, &p);
	assert_int_equal(p.spool_bytes, -1);
	c.prog.spool_bytes = 5u << 20;
	c.prog.spool_oldest_ms = 61999;
	c.prog.spool_paused = 1;
	control_pair_from_child(&c, &p);
	assert_int_equal(p.spool_bytes, 5 << 20);
	assert_int_equal(p.spool_oldest_age_s, 61);
	assert_int_equal(p.spool_paused, 1);

	/* A stop request without a process left is not "stopping". */
	c.state = CHILD_STOPPED;
	c.pid = -1;
	control_pair_from_child(&c, &p);
	assert_string_equal(p.state, "stopped");
	assert_int_equal(p.stopping, 0);
	assert_int_equal(p.pid, -1);
	assert_int_equal(p.spool_bytes, -1);
	assert_int_equal(p.spool_paused, 0);
	/* Leases: none outside a fleet; in one (a host id), held only with
	 * a worker, lost summed over its workers. */
	assert_int_equal(p.leases_held, -1);
	assert_int_equal(p.leases_lost, -1);
	s.host_id = hid;
	c.prog.leases_held = 5;
	c.prog.leases_lost = 2;
	c.acc.leases_lost = 1;
	control_pair_from_child(&c, &p);
	assert_int_equal(p.leases_held, 0);
	assert_int_equal(p.leases_lost, 3);
	c.pid = 77;
	control_pair_from_child(&c, &p);
	assert_int_equal(p.leases_held, 5);
	plan_pair_clear(&pp);
}

static void
test_control_socket_path(void **state)
{
	char path[200], dir[200];

	assert_int_equal(control_socket_path("/var/lib/ddb-sync", path,
			     sizeof(path)),
	    0);
	assert_string_equal(path, "/var/lib/ddb-sync/control.sock");
	/* sun_path holds 108 bytes, the NUL included. */
	memset(dir, 'd', 94);
	dir[94] = '\0';
	assert_int_equal(control_socket_path(dir, path, sizeof(path)), 0);
	dir[94] = 'd';
	dir[95] = '\0';
	assert_int_equal(control_socket_path(dir, path, sizeof(path)), -1);
	assert_int_equal(control_socket_path("/x", path, 8), -1);
}

/* ------------------------------------------------------------------ ctl */

/* ctl's argv: "ctl" then the given words. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int
parse(struct ctl_args *a, char *err, size_t errlen, const char *const *args)
{
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t) "ctl";
	while (*args != NULL && argc < 15)
		argv[argc++] = (char *)(uintptr_t)*args++;
	argv[argc] = NULL;
	err[0] = '\0';
	return ctl_parse_args(argc, argv, a, err, errlen);
}

static void
test_ctl_parse_args(void **state)
{
	struct ctl_args a;
	char err[256];

	unsetenv("DDB_SYNC_STATE_DIR");
	unsetenv("STATE_DIRECTORY");
	settings_init(NULL, 0);
	assert_int_equal(parse(&a, err, sizeof(err), ARGS("list")), 0);
	assert_int_equal(a.req.cmd, CONTROL_LIST);
	assert_string_equal(a.state_dir, "./ddb-sync-state");
	assert_int_equal(a.json, 0);
	ctl_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err),
			     ARGS("--state-dir", "/s", "--json", "stop",
				 "orders")),
	    0);
	assert_int_equal(a.req.cmd, CONTROL_STOP);
	assert_string_equal(a.req.pair, "orders");
	assert_string_equal(a.state_dir, "/s");
	assert_int_equal(a.json, 1);
	ctl_args_free(&a);

	/* After "--" every argument is a word; options may follow words. */
	assert_int_equal(parse(&a, err, sizeof(err),
			     ARGS("restart", "--", "-odd-", "--state-dir=/t")),
	    -1);
	assert_string_equal(err, "restart takes one NAME");
	ctl_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err),
			     ARGS("start", "x", "--state-dir=/t")),
	    0);
	assert_int_equal(a.req.cmd, CONTROL_START);
	assert_string_equal(a.state_dir, "/t");
	ctl_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err),
			     ARGS("restart", "--", "-odd-")),
	    0);
	assert_string_equal(a.req.pair, "-odd-");
	ctl_args_free(&a);

	/* The state directory's defaults, as ddb-sync's. */
	setenv("STATE_DIRECTORY", "/var/lib/ddb-sync:/var/lib/other", 1);
	assert_int_equal(parse(&a, err, sizeof(err), ARGS("list")), 0);
	assert_string_equal(a.state_dir, "/var/lib/ddb-sync");
	ctl_args_free(&a);
	setenv("DDB_SYNC_STATE_DIR", "/srv/state", 1);
	settings_init(NULL, 0);
	assert_int_equal(parse(&a, err, sizeof(err), ARGS("list")), 0);
	assert_string_equal(a.state_dir, "/srv/state");
	ctl_args_free(&a);
	unsetenv("DDB_SYNC_STATE_DIR");
	unsetenv("STATE_DIRECTORY");
	settings_init(NULL, 0);

	assert_int_equal(parse(&a, err, sizeof(err), ARGS("--help")), 0);
	assert_int_equal(a.help, 1);
	ctl_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err), ARGS("bogus", "-h")), 0);
	assert_int_equal(a.help, 1);
	ctl_args_free(&a);
}

/* ctl fleet: its words, its request, and the worker it runs. */
static void
test_ctl_fleet(void **state)
{
	struct ctl_args a;
	struct control_fleet f;
	struct control_request d;
	const char *argv[CTL_FLEET_ARGV_MAX + 1];
	char err[256];
	size_t n;
	int len;

	unsetenv("DDB_SYNC_STATE_DIR");
	unsetenv("STATE_DIRECTORY");
	settings_init(NULL, 0);
	memset(&f, 0, sizeof(f));
	strlcpy(f.table, "fleet-locks", sizeof(f.table));
	strlcpy(f.region, "eu-west-1", sizeof(f.region));
	strlcpy(f.worker, "/usr/libexec/ddb-sync-worker", sizeof(f.worker));

	assert_int_equal(parse(&a, err, sizeof(err), ARGS("fleet", "--json")),
	    0);
	assert_int_equal(a.req.cmd, CONTROL_FLEET);
	assert_int_equal(a.fleet, CTL_FLEET_LIST);
	assert_string_equal(a.req.pair, "");
	len = control_request_encode(&a.req, line, sizeof(line));
	assert_string_equal(line, "{\"v\":1,\"cmd\":\"fleet\"}\n");
	assert_int_equal(control_request_decode(line, (size_t)len, &d, err,
			     sizeof(err)),
	    0);
	assert_int_equal(d.cmd, CONTROL_FLEET);
	assert_string_equal(d.pair, "");
	n = ctl_fleet_argv(&a, &f, argv);
	assert_int_equal(n, 8);
	assert_string_equal(argv[0], "/usr/libexec/ddb-sync-worker");
	assert_string_equal(argv[1], "coordination");
	assert_string_equal(argv[2], "--table");
	assert_string_equal(argv[3], "fleet-locks");
	assert_string_equal(argv[5], "eu-west-1");
	assert_string_equal(argv[6], "--list");
	assert_string_equal(argv[7], "--json");
	assert_null(argv[8]);
	ctl_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err),
			     ARGS("--state-dir", "/s", "fleet", "stop",
				 "orders")),
	    0);
	assert_int_equal(a.fleet, CTL_FLEET_STOP);
	assert_string_equal(a.req.pair, "orders");
	assert_string_equal(a.state_dir, "/s");
	/* Every coordination parameter goes on; never a credential. */
	strlcpy(f.role_arn, "arn:aws:iam::123456789012:role/fleet",
	    sizeof(f.role_arn));
	strlcpy(f.endpoint_url, "http://127.0.0.1:8000",
	    sizeof(f.endpoint_url));
	f.allow_insecure_http = 1;
	n = ctl_fleet_argv(&a, &f, argv);
	assert_int_equal(n, 13);
	assert_string_equal(argv[6], "--role-arn");
	assert_string_equal(argv[8], "--endpoint-url");
	assert_string_equal(argv[9], "http://127.0.0.1:8000");
	assert_string_equal(argv[10], "--allow-insecure-http");
	assert_string_equal(argv[11], "--stop-pair");
	assert_string_equal(argv[12], "orders");
	ctl_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err),
			     ARGS("fleet", "start", "orders")),
	    0);
	assert_int_equal(a.fleet, CTL_FLEET_START);
	len = control_request_encode(&a.req, line, sizeof(line));
	assert_string_equal(line,
	    "{\"v\":1,\"cmd\":\"fleet\",\"pair\":\"orders\"}\n");
	n = ctl_fleet_argv(&a, &f, argv);
	assert_string_equal(argv[n - 2], "--start-pair");
	ctl_args_free(&a);
}

/* The fleet answer: the coordination block, or null without one. */
static void
test_control_fleet_response(void **state)
{
	struct control_fleet f;
	struct control_response r;
	struct plan plan;
	struct plan_coord co;
	struct sup s;
	struct buf b;
	char err[256], *cut;

	memset(&s, 0, sizeof(s));
	memset(&plan, 0, sizeof(plan));
	s.plan = &plan;
	assert_int_equal(control_fleet_from_sup(&s, &f), -1);
	buf_init(&b, CONTROL_RESPONSE_MAX);
	assert_int_equal(control_response_fleet(&b, NULL), 0);
	assert_string_equal(b.data, "{\"v\":1,\"ok\":true,\"fleet\":null}\n");
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_true(r.ok && r.has_fleet && r.fleet == NULL);
	control_response_free(&r);

	memset(&co, 0, sizeof(co));
	co.table = (char *)"fleet \"locks\"";
	co.region = (char *)"eu-west-1";
	plan.coord = &co;
	s.worker_path = (char *)"/opt/ddb-sync/ddb-sync-worker";
	s.host_id = (char *)"web-1:42:0a0b0c0d";
	assert_int_equal(control_fleet_from_sup(&s, &f), 0);
	buf_reset(&b);
	assert_int_equal(control_response_fleet(&b, &f), 0);
	assert_string_equal(b.data,
	    "{\"v\":1,\"ok\":true,\"fleet\":{\"table\":\"fleet \\\"locks\\\"\","
	    "\"region\":\"eu-west-1\",\"role_arn\":null,\"endpoint_url\":null,"
	    "\"allow_insecure_http\":false,\"host_id\":\"web-1:42:0a0b0c0d\","
	    "\"worker\":\"/opt/ddb-sync/ddb-sync-worker\"}}\n");
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_non_null(r.fleet);
	assert_string_equal(r.fleet->table, "fleet \"locks\"");
	assert_string_equal(r.fleet->role_arn, "");
	assert_string_equal(r.fleet->endpoint_url, "");
	assert_string_equal(r.fleet->worker, "/opt/ddb-sync/ddb-sync-worker");
	control_response_free(&r);

	co.role_arn = (char *)"arn:aws:iam::123456789012:role/fleet";
	co.endpoint = (char *)"http://127.0.0.1:8000";
	co.allow_insecure_http = 1;
	assert_int_equal(control_fleet_from_sup(&s, &f), 0);
	buf_reset(&b);
	assert_int_equal(control_response_fleet(&b, &f), 0);
	assert_int_equal(control_response_decode(b.data, b.len, &r, err,
			     sizeof(err)),
	    0);
	assert_string_equal(r.fleet->role_arn,
	    "arn:aws:iam::123456789012:role/fleet");
	assert_string_equal(r.fleet->endpoint_url, "http://127.0.0.1:8000");
	assert_int_equal(r.fleet->allow_insecure_http, 1);
	control_response_free(&r);
	/* A fleet object without its worker is refused. */
	assert_non_null(cut = strstr(b.data, ",\"worker\""));
	strcpy(cut, "}}");
	assert_int_equal(control_response_decode(b.data, strlen(b.data), &r,
			     err, sizeof(err)),
	    -1);
	assert_string_equal(err, "fleet: missing field \"worker\"");
	control_response_free(&r);
	buf_free(&b);
}

static void
test_ctl_parse_args_errors(void **state)
{
	static const struct {
		const char *argv[5];
		const char *err;
	} bad[] = {
		{ { NULL },
		    "no command: give list, status, stop NAME, start "
		    "NAME, restart NAME, limit NAME or fleet" },
		{ { "--json", NULL },
		    "no command: give list, status, stop NAME, "
		    "start NAME, restart NAME, limit NAME or fleet" },
		{ { "fleet", "halt", "a", NULL },
		    "fleet: unknown action 'halt' (fleet, fleet stop NAME, "
		    "fleet start NAME)" },
		{ { "fleet", "stop", NULL },
		    "fleet stop needs the pair's NAME" },
		{ { "fleet", "start", "", NULL },
		    "fleet start needs the pair's NAME" },
		{ { "fleet", "stop", "a", "b", NULL },
		    "unexpected argument 'b'" },
		{ { "fleet", "--read", "5", NULL },
		    "--read and --write go with limit" },
		{ { "status", "a", NULL }, "status takes no argument ('a')" },
		{ { "limit", "a", NULL },
		    "limit needs --read N|P% or --write "
		    "N|P% (or both)" },
		{ { "stop", "a", "--read", "5", NULL },
		    "--read and --write go "
		    "with limit" },
		{ { "limit", "a", "--write", NULL }, "--write needs a value" },
		{ { "kill", "a", NULL },
		    "unknown command 'kill' (list, status, stop, start, restart, "
		    "limit, fleet)" },
		{ { "stop", NULL }, "stop needs the pair's NAME" },
		{ { "start", "", NULL }, "start needs the pair's NAME" },
		{ { "restart", "a", "b", NULL }, "restart takes one NAME" },
		{ { "list", "a", NULL }, "list takes no argument ('a')" },
		{ { "list", "--verbose", NULL }, "unknown option '--verbose'" },
		{ { "list", "--state-dir", NULL },
		    "--state-dir needs a value" },
		{ { "list", "--state-dir=", NULL },
		    "--state-dir: empty value" },
		{ { "--state-dir=a", "--state-dir=b", "list", NULL },
		    "--state-dir: given more than once" },
		{ { "stop", "a", "b", "c", NULL }, "unexpected argument 'c'" },
	};
	struct ctl_args a;
	char *argv[8], err[256];
	int argc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argc = 0;
		argv[argc++] = (char *)"ctl";
		for (int k = 0; bad[i].argv[k] != NULL; k++)
			argv[argc++] = (char *)(uintptr_t)bad[i].argv[k];
		argv[argc] = NULL;
		err[0] = '\0';
		assert_int_equal(ctl_parse_args(argc, argv, &a, err,
				     sizeof(err)),
		    -1);
		ctl_args_free(&a);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err,
			    bad[i].err);
	}
	/* A name longer than any plan's. */
	memset(line, 'n', PLAN_NAME_MAX + 1);
	line[PLAN_NAME_MAX + 1] = '\0';
	argv[0] = (char *)"ctl";
	argv[1] = (char *)"stop";
	argv[2] = line;
	argv[3] = NULL;
	assert_int_equal(ctl_parse_args(3, argv, &a, err, sizeof(err)), -1);
	assert_string_equal(err, "stop: NAME is longer than 200 bytes");
	ctl_args_free(&a);
}

static void
test_ctl_format_list(void **state)
{
	struct control_pair p[2];
	struct buf b;

	sample_pairs(p);
	/* Non-ASCII names align by character, not byte. */
	strlcpy(p[1].name, "b\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    sizeof(p[1].name));
	p[0].items_written = 10;
	p[0].stream_written = 5;
	buf_init(&b, 0);
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	/* Consumed capacity next to the share, a limit, or alone. */
	p[0].rcu_per_s = 12;
	strlcpy(p[0].read_limit, "40%", sizeof(p[0].read_limit));
	p[0].wcu_per_s = 298;
	p[0].write_share = 300;
	p[1].rcu_per_s = p[1].wcu_per_s = -1;
	assert_string_equal(b.data,
	    "NAME    STATE     PID   BACKFILL  STREAM   WRITTEN  RCU/S  "
	    "WCU/S  RESTARTS  LAST-ERROR\n"
	    "orders  stopping  4242  complete  running  15       0      "
	    "0      3         -\n"
	    "b\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9   failed    -     failed    "
	    "pending  0        0      0      0         "
	    "AccessDeniedException: no?way?\\ \"x\"\n");
	buf_reset(&b);
	assert_int_equal(ctl_format_list(p, 2, &b), 0);
	assert_non_null(strstr(b.data, " 12/40%  298/300 "));
	assert_non_null(strstr(b.data, " -       -        0 "));
	/* WRITTEN saturates rather than wraps. */
	p[0].items_written = UINT64_MAX;
	buf_reset(&b);
	assert_int_equal(ctl_format_list(p, 1, &b), 0);
	assert_non_null(strstr(b.data, " 18446744073709551615 "));
	/* Only the header for no pairs. */
	buf_reset(&b);
	assert_int_equal(ctl_format_list(p, 0, &b), 0);
	assert_string_equal(b.data,
	    "NAME  STATE  PID  BACKFILL  STREAM  "
	    "WRITTEN  RCU/S  WCU/S  RESTARTS  LAST-ERROR\n");
	buf_free(&b);
}

static void
test_ctl_format_result(void **state)
{
	struct control_pair p[2];
	struct buf b;

	sample_pairs(p);
	buf_init(&b, 0);
	assert_int_equal(ctl_format_result(CONTROL_STOP, &p[0], &b), 0);
	assert_string_equal(b.data,
	    "orders: stopping: worker 4242 writes its "
	    "checkpoint and exits\n");
	buf_reset(&b);
	assert_int_equal(ctl_format_result(CONTROL_RESTART, &p[0], &b), 0);
	assert_string_equal(b.data,
	    "orders: restarting: worker 4242 writes "
	    "its checkpoint and exits, then a new worker starts\n");
	buf_reset(&b);
	p[0].stopping = 0;
	assert_int_equal(ctl_format_result(CONTROL_START, &p[0], &b), 0);
	assert_string_equal(b.data, "orders: running (worker 4242)\n");
	buf_reset(&b);
	strlcpy(p[1].state, "stopped", sizeof(p[1].state));
	assert_int_equal(ctl_format_result(CONTROL_STOP, &p[1], &b), 0);
	assert_string_equal(b.data, "b: stopped\n");
	buf_free(&b);
}

/* --------------------------------------------------------------- server */

struct fixture {
	struct sup s;
	struct plan_pair *pairs;
	char dir[64];
	char sock[128];
};

static void
fixture_init(struct fixture *f, size_t n, const char *last_error)
{
	memset(f, 0, sizeof(*f));
	strlcpy(f->dir, "/tmp/test_control.XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/control.sock", f->dir);
	f->s.state_dir = f->dir;
	f->s.lock_fd = -1;
	assert_non_null(f->s.base = event_base_new());
	f->pairs = xcalloc(n, sizeof(*f->pairs));
	f->s.children = xcalloc(n, sizeof(*f->s.children));
	f->s.nchildren = n;
	for (size_t i = 0; i < n; i++) {
		plan_pair_init(&f->pairs[i]);
		if (i < 2)
			f->pairs[i].name = xstrdup(i == 0 ? "A" : "B");
		else
			xasprintf(&f->pairs[i].name, "pair-%zu", i);
		xasprintf(&f->pairs[i].input.table, "src-%zu", i);
		xasprintf(&f->pairs[i].output.table, "dst-%zu", i);
		child_init(&f->s.children[i], &f->s, &f->pairs[i]);
		if (last_error != NULL)
			strlcpy(f->s.children[i].last_error, last_error,
			    sizeof(f->s.children[i].last_error));
	}
}

static void
fixture_free(struct fixture *f, size_t n)
{
	sup_free(&f->s);
	for (size_t i = 0; i < n; i++)
		plan_pair_clear(&f->pairs[i]);
	free(f->pairs);
	unlink(f->sock);
	assert_int_equal(rmdir(f->dir), 0);
}

/* Run the supervisor's loop for about ms milliseconds. */
static void
loop_ms(struct fixture *f, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->s.base, &tv);
	event_base_dispatch(f->s.base);
}

static int
client_connect(struct fixture *f)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, f->sock, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/*
 * Run the loop and read what the server sends until it closes the
 * connection (or ms pass). Returns the bytes read into out (NUL ended).
 */
static size_t
client_read_all(struct fixture *f, int fd, char *out, size_t len, int ms)
{
	size_t got = 0;
	ssize_t n;

	for (int t = 0; t < ms; t += 5) {
		loop_ms(f, 5);
		while ((n = read(fd, out + got, len - 1 - got)) > 0)
			got += (size_t)n;
		if (n == 0 || (n == -1 && errno != EAGAIN))
			break;
	}
	out[got] = '\0';
	return got;
}

/* One request, the decoded answer. */
static void
ask(struct fixture *f, const char *req, struct control_response *r)
{
	char err[256];
	size_t n;
	int fd = client_connect(f);

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	n = client_read_all(f, fd, line, sizeof(line), 2000);
	close(fd);
	assert_true(n > 0 && line[n - 1] == '\n');
	if (control_response_decode(line, n - 1, r, err, sizeof(err)) == -1)
		fail_msg("%s: %s", err, line);
}

static void
test_control_server_commands(void **state)
{
	struct fixture f;
	struct control_response r;
	struct stat st;

	fixture_init(&f, 2, NULL);
	assert_int_equal(control_init(&f.s), 0);
	assert_int_equal(lstat(f.sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	ask(&f, "{\"v\":1,\"cmd\":\"list\"}\n", &r);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.npairs, 2);
	assert_string_equal(r.pairs[0].name, "A");
	assert_string_equal(r.pairs[0].label, "[src-0] \xe2\x87\xa8 [dst-0]");
	assert_string_equal(r.pairs[1].name, "B");
	assert_string_equal(r.pairs[1].state, "idle");
	control_response_free(&r);

	/* stop acts on that pair only. */
	ask(&f, "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"B\"}\n", &r);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.npairs, 1);
	assert_string_equal(r.pairs[0].name, "B");
	assert_string_equal(r.pairs[0].state, "stopped");
	control_response_free(&r);
	assert_int_equal(f.s.children[1].state, CHILD_STOPPED);
	assert_int_equal(f.s.children[0].state, CHILD_IDLE);

	/* The supervisor's refusal comes back as the error. */
	ask(&f, "{\"v\":1,\"cmd\":\"stop\",\"pair\":\"B\"}\n", &r);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "pair B is not running (stopped)");
	control_response_free(&r);
	ask(&f, "{\"v\":1,\"cmd\":\"restart\",\"pair\":\"nosuch\"}\n", &r);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error,
	    "no pair named 'nosuch' ('ddb-sync ctl "
	    "list' shows the pairs)");
	control_response_free(&r);
	/* fleet: null without a coordination block; a pair it names must
	 * be one of the plan's. */
	ask(&f, "{\"v\":1,\"cmd\":\"fleet\"}\n", &r);
	assert_true(r.ok && r.has_fleet && r.fleet == NULL);
	control_response_free(&r);
	ask(&f, "{\"v\":1,\"cmd\":\"fleet\",\"pair\":\"nosuch\"}\n", &r);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error,
	    "no pair named 'nosuch' ('ddb-sync ctl list' shows the pairs)");
	control_response_free(&r);
	f.s.shutting_down = 1;
	ask(&f, "{\"v\":1,\"cmd\":\"start\",\"pair\":\"A\"}\n", &r);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "ddb-sync is shutting down");
	control_response_free(&r);
	f.s.shutting_down = 0;

	/* Bad requests get the decoder's reason. */
	ask(&f, "{\"v\":2,\"cmd\":\"list\"}\n", &r);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error,
	    "unsupported control protocol version 2 "
	    "(this ddb-sync speaks 1)");
	control_response_free(&r);
	ask(&f, "hello\n", &r);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "request is not a JSON object");
	control_response_free(&r);

	/* Removed at exit. */
	control_free(&f.s);
	assert_int_equal(lstat(f.sock, &st), -1);
	fixture_free(&f, 2);
}

static void
test_control_server_framing(void **state)
{
	struct fixture f;
	struct control_response r;
	char big[3000], err[256];
	size_t n;
	int fd;

	fixture_init(&f, 2, NULL);
	assert_int_equal(control_init(&f.s), 0);

	/* A request ended by EOF (shutdown) rather than a newline. */
	fd = client_connect(&f);
	assert_int_equal(write(fd, "{\"v\":1,\"cmd\":\"list\"}", 20), 20);
	shutdown(fd, SHUT_WR);
	n = client_read_all(&f, fd, line, sizeof(line), 2000);
	close(fd);
	assert_true(n > 0);
	assert_int_equal(control_response_decode(line, n, &r, err, sizeof(err)),
	    0);
	assert_int_equal(r.npairs, 2);
	control_response_free(&r);

	/* Byte by byte, across several reads. */
	fd = client_connect(&f);
	for (const char *p = "{\"v\":1,\"cmd\":\"list\"}\n"; *p != '\0'; p++) {
		assert_int_equal(write(fd, p, 1), 1);
		loop_ms(&f, 1);
	}
	n = client_read_all(&f, fd, line, sizeof(line), 2000);
	close(fd);
	assert_true(n > 0 && line[n - 1] == '\n');
	assert_int_equal(strncmp(line, "{\"v\":1,\"ok\":true,", 17), 0);

	/* Oversized: answered, then closed; the server stays up. */
	memset(big, 'x', sizeof(big));
	fd = client_connect(&f);
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	n = client_read_all(&f, fd, line, sizeof(line), 2000);
	close(fd);
	assert_string_equal(line,
	    "{\"v\":1,\"ok\":false,\"error\":\"request "
	    "longer than 1023 bytes\"}\n");

	/* Exactly the longest request, newline included, is read. */
	memset(big, ' ', CONTROL_REQUEST_MAX);
	memcpy(big, "{\"v\":1,\"cmd\":\"list\"}", 20);
	big[CONTROL_REQUEST_MAX - 1] = '\n';
	fd = client_connect(&f);
	assert_int_equal(write(fd, big, CONTROL_REQUEST_MAX),
	    CONTROL_REQUEST_MAX);
	n = client_read_all(&f, fd, line, sizeof(line), 2000);
	close(fd);
	assert_int_equal(strncmp(line, "{\"v\":1,\"ok\":true,", 17), 0);

	/* A connection closed without a request costs nothing. */
	fd = client_connect(&f);
	close(fd);
	loop_ms(&f, 10);
	ask(&f, "{\"v\":1,\"cmd\":\"list\"}\n", &r);
	assert_int_equal(r.ok, 1);
	control_response_free(&r);
	fixture_free(&f, 2);
}

static void
test_control_server_busy(void **state)
{
	struct fixture f;
	struct control_response r;
	int fds[CONTROL_MAX_CLIENTS], fd;

	fixture_init(&f, 2, NULL);
	assert_int_equal(control_init(&f.s), 0);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		fds[i] = client_connect(&f);
		loop_ms(&f, 2);
	}
	fd = client_connect(&f);
	client_read_all(&f, fd, line, sizeof(line), 2000);
	close(fd);
	assert_string_equal(line,
	    "{\"v\":1,\"ok\":false,\"error\":\"busy: too "
	    "many control connections at once; try again\"}\n");
	/* Once they go, a new one is served. */
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	loop_ms(&f, 10);
	ask(&f, "{\"v\":1,\"cmd\":\"list\"}\n", &r);
	assert_int_equal(r.ok, 1);
	control_response_free(&r);
	fixture_free(&f, 2);
}

static void
test_control_server_timeouts(void **state)
{
	struct fixture f;
	char err[CONTROL_TEXT_MAX];
	size_t n;
	int slow, deaf, rcv = 4096;

	/* Big answers: a thousand pairs with long errors, over 1 MB. */
	memset(err, 'e', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	setenv("DDB_SYNC_CONTROL_TIMEOUT_MS", "300", 1);
	settings_init(NULL, 0);
	fixture_init(&f, PLAN_MAX_PAIRS, err);
	assert_int_equal(control_init(&f.s), 0);
	unsetenv("DDB_SYNC_CONTROL_TIMEOUT_MS");
	settings_init(NULL, 0);

	/* One never finishes its request, one never reads its answer. */
	slow = client_connect(&f);
	assert_int_equal(write(slow, "{\"v\":1,", 7), 7);
	deaf = client_connect(&f);
	setsockopt(deaf, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	assert_int_equal(write(deaf, "{\"v\":1,\"cmd\":\"list\"}\n", 21), 21);
	loop_ms(&f, 600);
	/* Both were dropped: EOF, and only part of the answer arrived. */
	n = client_read_all(&f, slow, line, sizeof(line), 50);
	assert_int_equal(n, 0);
	n = client_read_all(&f, deaf, line, sizeof(line), 200);
	assert_true(n > 0 && n < 1000 * 1000);
	assert_int_equal(read(deaf, line, 1), 0);
	close(slow);
	close(deaf);

	/* A reader gets all of it. */
	deaf = client_connect(&f);
	assert_int_equal(write(deaf, "{\"v\":1,\"cmd\":\"list\"}\n", 21), 21);
	n = client_read_all(&f, deaf, line, sizeof(line), 2000);
	close(deaf);
	assert_true(n > 1000 * 1000 && line[n - 1] == '\n');
	fixture_free(&f, PLAN_MAX_PAIRS);
}

static void
test_control_server_stale_socket(void **state)
{
	struct fixture f;
	struct control_response r;
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	fixture_init(&f, 2, NULL);
	/* A socket nobody listens on, as a killed run leaves it. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, f.sock, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(chmod(f.sock, 0666), 0);
	assert_int_equal(control_init(&f.s), 0);
	assert_int_equal(lstat(f.sock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	ask(&f, "{\"v\":1,\"cmd\":\"list\"}\n", &r);
	assert_int_equal(r.ok, 1);
	control_response_free(&r);
	/* A later run's socket in its place is not ours to remove. */
	unlink(f.sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	control_free(&f.s);
	assert_int_equal(lstat(f.sock, &st), 0);
	unlink(f.sock);

	/* Something else at that path: left alone, and init fails. */
	fd = open(f.sock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(control_init(&f.s), -1);
	assert_null(f.s.control);
	assert_int_equal(lstat(f.sock, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	fixture_free(&f, 2);
}

static void
test_control_server_other_uid(void **state)
{
	struct fixture f;
	struct sockaddr_un sun;
	pid_t pid;
	int st = -1, fd;
	ssize_t n;

	if (geteuid() != 0)
		skip(); /* only root can become another user */
	fixture_init(&f, 2, NULL);
	assert_int_equal(control_init(&f.s), 0);
	/* Let the other user reach the socket: SO_PEERCRED must stop it. */
	assert_int_equal(chmod(f.dir, 0711), 0);
	assert_int_equal(chmod(f.sock, 0666), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		char buf[512];
		size_t got = 0;

		alarm(10);
		/* The refusal may come before the request is sent. */
		signal(SIGPIPE, SIG_IGN);
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strlcpy(sun.sun_path, f.sock, sizeof(sun.sun_path));
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			_exit(3);
		(void)write(fd, "{\"v\":1,\"cmd\":\"list\"}\n", 21);
		while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		_exit(strstr(buf,
			  "\"ok\":false,\"error\":\"permission denied"
			  ": only uid 0 may control this ddb-sync\"") != NULL ?
			0 :
			4);
	}
	for (int t = 0; t < 1000 && waitpid(pid, &st, WNOHANG) == 0; t++)
		loop_ms(&f, 10);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	fixture_free(&f, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_request_roundtrip),
		cmocka_unit_test(test_control_request_longest_pair),
		cmocka_unit_test(test_control_request_decode_lenient),
		cmocka_unit_test(test_control_request_decode_rejects),
		cmocka_unit_test(test_control_request_decode_oversized),
		cmocka_unit_test(test_control_request_encode_rejects),
		cmocka_unit_test(test_control_response_list_roundtrip),
		cmocka_unit_test(test_control_response_pair_and_error),
		cmocka_unit_test(test_control_response_status),
		cmocka_unit_test(test_control_response_decode_rejects),
		cmocka_unit_test(test_control_spool),
		cmocka_unit_test(test_control_response_bounds),
		cmocka_unit_test(test_control_response_largest_list),
		cmocka_unit_test(test_control_pair_from_child),
		cmocka_unit_test(test_control_socket_path),
		cmocka_unit_test(test_ctl_parse_args),
		cmocka_unit_test(test_ctl_parse_args_errors),
		cmocka_unit_test(test_ctl_format_list),
		cmocka_unit_test(test_control_leases),
		cmocka_unit_test(test_ctl_fleet),
		cmocka_unit_test(test_control_fleet_response),
		cmocka_unit_test(test_ctl_format_result),
		cmocka_unit_test(test_control_server_commands),
		cmocka_unit_test(test_control_server_framing),
		cmocka_unit_test(test_control_server_busy),
		cmocka_unit_test(test_control_server_timeouts),
		cmocka_unit_test(test_control_server_stale_socket),
		cmocka_unit_test(test_control_server_other_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

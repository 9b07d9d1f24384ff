/* test_session.c: the protocol's session rules (proto/session.c): hello
 * first and once, nothing after done, a line cut short, exits without done
 * or without a fatal error, the hello timeout, the stop grace, directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exitcode.h"
#include "session.h"

#define PID	 4242
#define T0	 1000000 /* a monotonic clock's ms */
#define HELLO_MS 10000

static struct proto_msg
msg(enum proto_type t)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	switch (t) {
	case PROTO_HELLO:
		m.u.hello.pid = PID;
		strcpy(m.u.hello.pair, "orders");
		strcpy(m.u.hello.version, "0.1.0");
		break;
	case PROTO_DONE:
		strcpy(m.u.done.status, "complete");
		break;
	case PROTO_ERROR:
		strcpy(m.u.error.code, "AccessDeniedException");
		break;
	default:
		break;
	}
	return m;
}

static void
start(struct proto_session *s)
{
	proto_session_init(s, PID, "orders", T0, HELLO_MS);
}

static enum proto_verdict
send(struct proto_session *s, enum proto_type t, char *why)
{
	struct proto_msg m = msg(t);

	why[0] = '\0';
	return proto_session_message(s, PROTO_DIR_WORKER, &m, why, 256);
}

/* The whole well-behaved session: hello, anything, done, EOF, exit 0. */
static void
test_session_good(void **state)
{
	struct proto_session s;
	char why[256];

	start(&s);
	assert_int_equal(send(&s, PROTO_HELLO, why), PROTO_VERDICT_OK);
	for (int t = PROTO_LOG; t < PROTO_TYPE_MAX; t++)
		if (t != PROTO_DONE && t != PROTO_LIMITS)
			assert_int_equal(send(&s, (enum proto_type)t, why),
			    PROTO_VERDICT_OK);
	assert_int_equal(send(&s, PROTO_DONE, why), PROTO_VERDICT_OK);
	assert_int_equal(proto_session_eof(&s, 0, why, sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_int_equal(proto_session_exit(&s, WORKER_EXIT_OK, why,
			     sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_true(proto_session_deadline(&s) == INT64_MAX);
}

static void
test_session_hello_rules(void **state)
{
	struct proto_session s;
	struct proto_msg m;
	char why[256];

	start(&s);
	assert_int_equal(send(&s, PROTO_LOG, why), PROTO_VERDICT_ERROR);
	assert_string_equal(why, "first message is not hello (it is log)");
	/* One error per session: later ones are its echoes. */
	assert_int_equal(send(&s, PROTO_LOG, why), PROTO_VERDICT_OK);
	assert_int_equal(proto_session_exit(&s, 0, why, sizeof(why)),
	    PROTO_VERDICT_OK);

	start(&s);
	assert_int_equal(send(&s, PROTO_HELLO, why), PROTO_VERDICT_OK);
	assert_int_equal(send(&s, PROTO_HELLO, why), PROTO_VERDICT_ERROR);
	assert_string_equal(why, "second hello");

	start(&s);
	m = msg(PROTO_HELLO);
	m.u.hello.pid = 1;
	assert_int_equal(proto_session_message(&s, PROTO_DIR_WORKER, &m, why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why,
	    "hello from pid 1, but the worker started "
	    "is pid 4242");

	start(&s);
	m = msg(PROTO_HELLO);
	strcpy(m.u.hello.pair, "other\x1b[2J");
	assert_int_equal(proto_session_message(&s, PROTO_DIR_WORKER, &m, why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why, "hello for another pair (other?[2J)");
}

static void
test_session_after_done(void **state)
{
	struct proto_session s;
	char why[256];

	start(&s);
	send(&s, PROTO_HELLO, why);
	assert_int_equal(send(&s, PROTO_DONE, why), PROTO_VERDICT_OK);
	assert_int_equal(send(&s, PROTO_PROGRESS, why), PROTO_VERDICT_ERROR);
	assert_string_equal(why, "progress after done");

	start(&s);
	send(&s, PROTO_HELLO, why);
	send(&s, PROTO_DONE, why);
	assert_int_equal(send(&s, PROTO_DONE, why), PROTO_VERDICT_ERROR);
	assert_string_equal(why, "done after done");
}

static void
test_session_eof_and_lines(void **state)
{
	struct proto_session s;
	char why[256];

	start(&s);
	send(&s, PROTO_HELLO, why);
	assert_int_equal(proto_session_eof(&s, 17, why, sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why,
	    "the channel closed in the middle of a "
	    "line (17 bytes without a newline)");

	start(&s);
	assert_int_equal(proto_session_bad_line(&s, "not valid JSON: x", why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why, "not valid JSON: x");
	assert_int_equal(proto_session_bad_line(&s, "again", why, sizeof(why)),
	    PROTO_VERDICT_OK);

	/* A worker that never spoke and ended is a crash, not an error. */
	start(&s);
	assert_int_equal(proto_session_eof(&s, 0, why, sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_int_equal(proto_session_exit(&s, 127, why, sizeof(why)),
	    PROTO_VERDICT_OK);
}

static void
test_session_exit_rules(void **state)
{
	struct proto_session s;
	struct proto_msg m;
	char why[256];

	start(&s);
	send(&s, PROTO_HELLO, why);
	assert_int_equal(proto_session_exit(&s, WORKER_EXIT_OK, why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why, "exited with status 0 without sending done");

	for (int st = WORKER_EXIT_CONFIG; st <= WORKER_EXIT_PERMANENT; st++) {
		start(&s);
		send(&s, PROTO_HELLO, why);
		send(&s, PROTO_ERROR, why); /* not fatal */
		assert_int_equal(proto_session_exit(&s, st, why, sizeof(why)),
		    PROTO_VERDICT_ERROR);
		assert_non_null(strstr(why,
		    "without reporting a fatal "
		    "error"));

		start(&s);
		send(&s, PROTO_HELLO, why);
		m = msg(PROTO_ERROR);
		m.u.error.fatal = 1;
		assert_int_equal(proto_session_message(&s, PROTO_DIR_WORKER, &m,
				     why, sizeof(why)),
		    PROTO_VERDICT_OK);
		assert_int_equal(proto_session_exit(&s, st, why, sizeof(why)),
		    PROTO_VERDICT_OK);
	}
	/* A crash or a signal says nothing about the protocol. */
	start(&s);
	send(&s, PROTO_HELLO, why);
	assert_int_equal(proto_session_exit(&s, WORKER_EXIT_CRASH, why,
			     sizeof(why)),
	    PROTO_VERDICT_OK);
	start(&s);
	send(&s, PROTO_HELLO, why);
	assert_int_equal(proto_session_exit(&s, -1, why, sizeof(why)),
	    PROTO_VERDICT_OK);
}

static void
test_session_hello_timeout(void **state)
{
	struct proto_session s;
	char why[256];

	start(&s);
	assert_true(proto_session_deadline(&s) == T0 + HELLO_MS);
	assert_int_equal(proto_session_tick(&s, T0 + HELLO_MS - 1, why,
			     sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_int_equal(proto_session_tick(&s, T0 + HELLO_MS, why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why, "sent no hello within 10s of its start");
	assert_true(proto_session_deadline(&s) == INT64_MAX);

	/* A hello in time cancels it. */
	start(&s);
	send(&s, PROTO_HELLO, why);
	assert_true(proto_session_deadline(&s) == INT64_MAX);
	assert_int_equal(proto_session_tick(&s, T0 + 2 * HELLO_MS, why,
			     sizeof(why)),
	    PROTO_VERDICT_OK);
}

static void
test_session_stop_grace(void **state)
{
	struct proto_session s;
	char why[256];

	start(&s);
	send(&s, PROTO_HELLO, why);
	proto_session_stop(&s, T0 + 5, 1000);
	/* A second stop does not push the deadline back. */
	proto_session_stop(&s, T0 + 500, 1000);
	assert_true(proto_session_deadline(&s) == T0 + 1005);
	assert_int_equal(proto_session_tick(&s, T0 + 1004, why, sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_int_equal(proto_session_tick(&s, T0 + 1005, why, sizeof(why)),
	    PROTO_VERDICT_KILL);
	/* Once. */
	assert_int_equal(proto_session_tick(&s, T0 + 9999, why, sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_true(proto_session_deadline(&s) == INT64_MAX);

	/* Stopped before its hello: the kill comes first, no hello error. */
	start(&s);
	proto_session_stop(&s, T0, 100);
	assert_true(proto_session_deadline(&s) == T0 + 100);
	assert_int_equal(proto_session_tick(&s, T0 + 100, why, sizeof(why)),
	    PROTO_VERDICT_KILL);

	/* The caller's own deadline (the shutdown's): none here. */
	start(&s);
	send(&s, PROTO_HELLO, why);
	proto_session_stop(&s, T0, -1);
	assert_true(proto_session_deadline(&s) == INT64_MAX);

	/* Gone: nothing to kill. */
	start(&s);
	send(&s, PROTO_HELLO, why);
	proto_session_stop(&s, T0, 100);
	proto_session_exit(&s, -1, why, sizeof(why));
	assert_true(proto_session_deadline(&s) == INT64_MAX);
	assert_int_equal(proto_session_tick(&s, T0 + 100, why, sizeof(why)),
	    PROTO_VERDICT_OK);
}

static void
test_session_directions(void **state)
{
	struct proto_session s;
	struct proto_msg m;
	char why[256];

	start(&s);
	send(&s, PROTO_HELLO, why);
	/* Version 2: limits go from the supervisor, and only from it. */
	m = msg(PROTO_LIMITS);
	assert_int_equal(proto_session_message(&s, PROTO_DIR_SUPERVISOR, &m,
			     why, sizeof(why)),
	    PROTO_VERDICT_OK);
	assert_int_equal(proto_session_message(&s, PROTO_DIR_WORKER, &m, why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why,
	    "the worker sent a limits message, which "
	    "only the supervisor sends");

	start(&s);
	send(&s, PROTO_HELLO, why);
	m = msg(PROTO_LOG);
	assert_int_equal(proto_session_message(&s, PROTO_DIR_SUPERVISOR, &m,
			     why, sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why,
	    "the supervisor sent a log message, which "
	    "only the worker sends");

	/* Not before the worker's hello, not after its done. */
	start(&s);
	m = msg(PROTO_LIMITS);
	assert_int_equal(proto_session_message(&s, PROTO_DIR_SUPERVISOR, &m,
			     why, sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why,
	    "the supervisor sent limits before the "
	    "worker's hello");
	start(&s);
	send(&s, PROTO_HELLO, why);
	send(&s, PROTO_DONE, why);
	assert_int_equal(proto_session_message(&s, PROTO_DIR_SUPERVISOR, &m,
			     why, sizeof(why)),
	    PROTO_VERDICT_ERROR);
	assert_string_equal(why, "limits after done");

	start(&s);
	m = msg(PROTO_HELLO);
	m.type = PROTO_TYPE_MAX;
	assert_int_equal(proto_session_message(&s, PROTO_DIR_WORKER, &m, why,
			     sizeof(why)),
	    PROTO_VERDICT_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_good),
		cmocka_unit_test(test_session_hello_rules),
		cmocka_unit_test(test_session_after_done),
		cmocka_unit_test(test_session_eof_and_lines),
		cmocka_unit_test(test_session_exit_rules),
		cmocka_unit_test(test_session_hello_timeout),
		cmocka_unit_test(test_session_stop_grace),
		cmocka_unit_test(test_session_directions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

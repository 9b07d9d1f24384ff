/*
 * fuzz_session.c: the session checker fed with any sequence of lines (as
 * the supervisor decodes them) and events (EOF, exit, stop, time passing):
 * one protocol error per session at most, SIGKILL at most once and only
 * after a stop with a grace, nothing due before its deadline, nothing at
 * all once the worker is gone, and reasons fit for a log line.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"
#include "session.h"

#define PID	 1234
#define PAIR	 "p"
#define HELLO_MS 1000

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

struct run {
	struct proto_session s;
	int64_t now;
	int errors;
	int kills;
	int stopped; /* with a grace */
};

/* A verdict, and what must hold after it. */
static void
check(struct run *r, enum proto_verdict v, const char *why, int from_tick)
{
	FUZZ_CHECK(v == PROTO_VERDICT_OK || v == PROTO_VERDICT_ERROR ||
	    v == PROTO_VERDICT_KILL);
	if (v == PROTO_VERDICT_ERROR) {
		FUZZ_CHECK(++r->errors == 1);
		FUZZ_CHECK(r->s.failed);
		FUZZ_CHECK(why[0] != '\0');
		/* A worker's bytes never reach the log raw. */
		for (const char *p = why; *p != '\0'; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	if (v == PROTO_VERDICT_KILL) {
		FUZZ_CHECK(from_tick && r->stopped && !r->s.exited);
		FUZZ_CHECK(++r->kills == 1);
	}
	if (r->s.exited)
		FUZZ_CHECK(proto_session_deadline(&r->s) == INT64_MAX);
	if (r->s.hello && !r->stopped)
		FUZZ_CHECK(proto_session_deadline(&r->s) == INT64_MAX);
}

static void
line(struct run *r, const char *p, size_t n, enum proto_dir dir)
{
	struct proto_msg m;
	char err[256], why[256];
	enum proto_verdict v;
	int failed = r->s.failed;

	why[0] = '\0';
	if (proto_decode(p, n, &m, err, sizeof(err)) == -1)
		v = proto_session_bad_line(&r->s, err, why, sizeof(why));
	else
		v = proto_session_message(&r->s, dir, &m, why, sizeof(why));
	/* Once failed, nothing more is reported. */
	if (failed)
		FUZZ_CHECK(v == PROTO_VERDICT_OK);
	check(r, v, why, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	char why[256];
	const uint8_t *end = data + size, *nl;
	enum proto_verdict v;
	int64_t d, step;
	uint8_t op, arg;

	memset(&r, 0, sizeof(r));
	r.now = 1000;
	proto_session_init(&r.s, PID, PAIR, r.now, HELLO_MS);
	while (data < end) {
		op = *data++;
		why[0] = '\0';
		switch (op % 6) {
		case 0:
		case 1:
			nl = memchr(data, '\n', (size_t)(end - data));
			if (nl == NULL)
				nl = end;
			line(&r, (const char *)data, (size_t)(nl - data),
			    op % 6 == 0 ? PROTO_DIR_WORKER :
					  PROTO_DIR_SUPERVISOR);
			data = nl < end ? nl + 1 : end;
			break;
		case 2:
			arg = data < end ? *data++ : 0;
			check(&r,
			    proto_session_eof(&r.s, arg, why, sizeof(why)), why,
			    0);
			break;
		case 3:
			arg = data < end ? *data++ : 0;
			check(&r,
			    proto_session_exit(&r.s, arg == 255 ? -1 : arg, why,
				sizeof(why)),
			    why, 0);
			break;
		case 4:
			arg = data < end ? *data++ : 0;
			proto_session_stop(&r.s, r.now,
			    arg == 0 ? -1 : (int64_t)arg * 10);
			if (arg != 0 && !r.s.exited)
				r.stopped = 1;
			check(&r, PROTO_VERDICT_OK, why, 0);
			break;
		default:
			step = data < end ? (int64_t)*data++ * 16 : 0;
			d = proto_session_deadline(&r.s);
			r.now += step;
			v = proto_session_tick(&r.s, r.now, why, sizeof(why));
			/* Nothing is due before its deadline. */
			if (r.now < d)
				FUZZ_CHECK(v == PROTO_VERDICT_OK);
			check(&r, v, why, 1);
			break;
		}
	}
	return 0;
}

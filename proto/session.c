/* session.c: the worker protocol's session rules as a pure state machine. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "exitcode.h"
#include "fmt.h"
#include "json.h"
#include "session.h"

/* Which side may send each type (a bit per enum proto_dir). */
#define W (1u << PROTO_DIR_WORKER)
#define S (1u << PROTO_DIR_SUPERVISOR)

static const unsigned type_dirs[PROTO_TYPE_MAX] = {
	[PROTO_HELLO] = W,
	[PROTO_LOG] = W,
	[PROTO_PHASE] = W,
	[PROTO_PROGRESS] = W,
	[PROTO_CHECKPOINT] = W,
	[PROTO_ERROR] = W,
	[PROTO_DONE] = W,
	[PROTO_WARNING] = W,
	[PROTO_LIMITS] = S,
};

static const char *const dir_names[] = {
	[PROTO_DIR_WORKER] = "the worker",
	[PROTO_DIR_SUPERVISOR] = "the supervisor",
};

void
proto_session_init(struct proto_session *s, int64_t pid, const char *pair,
    int64_t now_ms, int64_t hello_timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	strlcpy(s->pair, pair, sizeof(s->pair));
	s->hello_timeout_ms = hello_timeout_ms;
	s->hello_deadline_ms = hello_timeout_ms > INT64_MAX - now_ms ?
	    INT64_MAX :
	    now_ms + hello_timeout_ms;
	s->kill_deadline_ms = INT64_MAX;
}

/* The first error of a session is reported; later ones are its echoes. */
static enum proto_verdict fail(struct proto_session *s, char *why, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum proto_verdict
fail(struct proto_session *s, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return PROTO_VERDICT_OK;
	s->failed = 1;
	if (why != NULL && len > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return PROTO_VERDICT_ERROR;
}

enum proto_verdict
proto_session_message(struct proto_session *s, enum proto_dir dir,
    const struct proto_msg *m, char *why, size_t len)
{
	const char *name = proto_type_name(m->type);
	char q[JSON_SHOW_MAX];

	if (s->failed)
		return PROTO_VERDICT_OK;
	if ((unsigned)dir > PROTO_DIR_SUPERVISOR ||
	    (unsigned)m->type >= PROTO_TYPE_MAX)
		return fail(s, why, len,
		    "a message of no known type or "
		    "direction");
	if (!(type_dirs[m->type] & (1u << dir)))
		return fail(s, why, len,
		    "%s sent a %s message, which only "
		    "%s sends",
		    dir_names[dir], name,
		    dir_names[dir == PROTO_DIR_WORKER ? PROTO_DIR_SUPERVISOR :
							PROTO_DIR_WORKER]);
	if (s->done)
		return fail(s, why, len, "%s after done", name);
	if (dir == PROTO_DIR_SUPERVISOR) {
		if (!s->hello)
			return fail(s, why, len,
			    "the supervisor sent %s "
			    "before the worker's hello",
			    name);
		return PROTO_VERDICT_OK;
	}
	if (!s->hello && m->type != PROTO_HELLO)
		return fail(s, why, len,
		    "first message is not hello (it is "
		    "%s)",
		    name);
	switch (m->type) {
	case PROTO_HELLO:
		if (s->hello)
			return fail(s, why, len, "second hello");
		if (strcmp(m->u.hello.pair, s->pair) != 0)
			return fail(s, why, len, "hello for another pair (%s)",
			    json_show(m->u.hello.pair, strlen(m->u.hello.pair),
				q, sizeof(q)));
		if (m->u.hello.pid != s->pid)
			return fail(s, why, len,
			    "hello from pid %" PRId64
			    ", but the worker started is pid %" PRId64,
			    m->u.hello.pid, s->pid);
		s->hello = 1;
		s->hello_deadline_ms = INT64_MAX;
		break;
	case PROTO_ERROR:
		if (m->u.error.fatal)
			s->fatal_error = 1;
		break;
	case PROTO_DONE:
		s->done = 1;
		break;
	default:
		break;
	}
	return PROTO_VERDICT_OK;
}

enum proto_verdict
proto_session_bad_line(struct proto_session *s, const char *err, char *why,
    size_t len)
{
	return fail(s, why, len, "%s", err);
}

enum proto_verdict
proto_session_eof(struct proto_session *s, size_t pending, char *why,
    size_t len)
{
	s->eof = 1;
	if (pending > 0)
		return fail(s, why, len,
		    "the channel closed in the middle of "
		    "a line (%zu bytes without a newline)",
		    pending);
	return PROTO_VERDICT_OK;
}

enum proto_verdict
proto_session_exit(struct proto_session *s, int status, char *why, size_t len)
{
	s->exited = 1;
	s->hello_deadline_ms = s->kill_deadline_ms = INT64_MAX;
	if (status == WORKER_EXIT_OK && !s->done)
		return fail(s, why, len,
		    "exited with status 0 without "
		    "sending done");
	if ((status == WORKER_EXIT_CONFIG || status == WORKER_EXIT_PERMANENT) &&
	    !s->fatal_error)
		return fail(s, why, len,
		    "exited with status %d without "
		    "reporting a fatal error",
		    status);
	return PROTO_VERDICT_OK;
}

void
proto_session_stop(struct proto_session *s, int64_t now_ms, int64_t grace_ms)
{
	if (s->exited || grace_ms < 0 || s->kill_deadline_ms != INT64_MAX)
		return;
	s->kill_deadline_ms = grace_ms > INT64_MAX - now_ms ? INT64_MAX - 1 :
							      now_ms + grace_ms;
}

int64_t
proto_session_deadline(const struct proto_session *s)
{
	int64_t d = INT64_MAX;

	if (s->exited)
		return INT64_MAX;
	if (!s->hello && !s->failed)
		d = s->hello_deadline_ms;
	if (!s->killed && s->kill_deadline_ms < d)
		d = s->kill_deadline_ms;
	return d;
}

enum proto_verdict
proto_session_tick(struct proto_session *s, int64_t now_ms, char *why,
    size_t len)
{
	char dur[32];

	if (s->exited)
		return PROTO_VERDICT_OK;
	if (!s->killed && now_ms >= s->kill_deadline_ms) {
		s->killed = 1;
		if (why != NULL && len > 0)
			(void)snprintf(why, len,
			    "did not stop in time after "
			    "SIGTERM");
		return PROTO_VERDICT_KILL;
	}
	if (!s->hello && !s->failed && now_ms >= s->hello_deadline_ms) {
		s->hello_deadline_ms = INT64_MAX;
		return fail(s, why, len, "sent no hello within %s of its start",
		    fmt_duration((uint64_t)s->hello_timeout_ms, dur,
			sizeof(dur)));
	}
	return PROTO_VERDICT_OK;
}

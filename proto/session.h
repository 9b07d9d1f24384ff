/* session.h: the session rules of the worker protocol (PROTOCOL.md 3, 5, 7),
 * a pure state machine fed with messages and events, returning verdicts. */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * Who sent a message. Each type is allowed in one direction (version 2:
 * limits from the supervisor, every other type from the worker), and
 * nothing travels before the worker's hello or after its done.
 */
enum proto_dir {
	PROTO_DIR_WORKER = 0, /* worker -> supervisor */
	PROTO_DIR_SUPERVISOR, /* supervisor -> worker */
};

enum proto_verdict {
	PROTO_VERDICT_OK = 0, /* nothing to do */
	/*
	 * A protocol error, explained in why: stop reading the channel, send
	 * SIGTERM (then proto_session_stop()), count the worker's end as a
	 * crash. The first error of a session is the one reported: after it,
	 * every event returns OK.
	 */
	PROTO_VERDICT_ERROR,
	/* The grace after SIGTERM is over and the worker is still there:
	 * SIGKILL. Returned once. */
	PROTO_VERDICT_KILL,
};

struct proto_session {
	int64_t pid; /* the process the supervisor forked */
	char pair[PROTO_NAME_MAX];
	int64_t hello_timeout_ms;
	int64_t hello_deadline_ms; /* while no hello has come */
	int64_t kill_deadline_ms;  /* INT64_MAX until a stop with grace */
	int hello;
	int done;
	int fatal_error; /* an error with "fatal": true */
	int eof;
	int exited;
	int failed; /* a protocol error was reported */
	int killed;
};

/*
 * A session starts when the supervisor forks the worker (pid) for a pair,
 * at now_ms (a monotonic clock); hello_timeout_ms is PROTO_HELLO_TIMEOUT_MS
 * or what a test made of it.
 */
void proto_session_init(struct proto_session *, int64_t pid, const char *pair,
    int64_t now_ms, int64_t hello_timeout_ms);

/*
 * A decoded message: the rules of section 3 (hello first and once, for
 * this pair and this pid; nothing after done; each type in its direction).
 */
enum proto_verdict proto_session_message(struct proto_session *, enum proto_dir,
    const struct proto_msg *, char *why, size_t);
/* A line that did not frame or decode (err says why): always an error. */
enum proto_verdict proto_session_bad_line(struct proto_session *,
    const char *err, char *why, size_t);
/* End of file on the channel, pending bytes of a line left unfinished. */
enum proto_verdict proto_session_eof(struct proto_session *, size_t pending,
    char *why, size_t);
/*
 * The worker's end: status is its exit status (0..255), or -1 if a signal
 * killed it. Exit 0 without done, or 2/3 without a fatal error, is an
 * error (section 7); the process is gone, so it is only reported.
 */
enum proto_verdict proto_session_exit(struct proto_session *, int status,
    char *why, size_t);
/*
 * SIGTERM was sent at now_ms: SIGKILL is due grace_ms later (the first
 * call sets the deadline; grace_ms < 0: no deadline, the caller has its
 * own).
 */
void proto_session_stop(struct proto_session *, int64_t now_ms,
    int64_t grace_ms);
/* When proto_session_tick() must next be called; INT64_MAX: never. */
int64_t proto_session_deadline(const struct proto_session *);
/* Time passed: no hello in time is an error; a grace over is KILL. */
enum proto_verdict proto_session_tick(struct proto_session *, int64_t now_ms,
    char *why, size_t);

#endif

/* control.h: the operator control socket (docs/control-protocol.md). */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct buf;
struct child;
struct sup;

#define CONTROL_VERSION 1
/* In the state directory, created by the supervisor that holds its lock. */
#define CONTROL_SOCKET_NAME "control.sock"
/* Longest request line the supervisor reads, newline included. */
#define CONTROL_REQUEST_MAX 1024
/*
 * Longest response line either side handles, newline included: a list of
 * PLAN_MAX_PAIRS pairs fits even if every text is escaped at its longest
 * (test_control_response_bounds checks it).
 */
#define CONTROL_RESPONSE_MAX (8 * 1024 * 1024)
/* Connections served at once; more are answered "busy" and closed. */
#define CONTROL_MAX_CLIENTS 16
/* A connection must be done (request read, answer written) within this. */
#define CONTROL_TIMEOUT_MS 10000
/* Text fields (last_error, error) are cut to this many bytes, NUL included. */
#define CONTROL_TEXT_MAX  1024
#define CONTROL_LABEL_MAX 600 /* as struct child's label */
#define CONTROL_WORD_MAX  32  /* state names */

enum control_cmd {
	CONTROL_LIST = 0,
	CONTROL_STOP,
	CONTROL_START,
	CONTROL_RESTART,
	CONTROL_STATUS, /* the numbers of /metrics (metrics.c) */
	CONTROL_LIMIT,	/* new capacity limits for a pair's tables */
	CONTROL_FLEET,	/* where the fleet's coordination table is */
	CONTROL_CMD_MAX
};

#define CONTROL_LIMIT_MAX 16 /* "1000000000", "40%" */

struct control_request {
	enum control_cmd cmd;
	char pair[PLAN_NAME_MAX + 1]; /* "" for list */
	/* limit: "500" or "40%"; "" leaves that side as it is (one of the
	 * two is given). */
	char read[CONTROL_LIMIT_MAX];
	char write[CONTROL_LIMIT_MAX];
};

/* One pair as the protocol shows it. */
struct control_pair {
	char name[PLAN_NAME_MAX + 1];
	char label[CONTROL_LABEL_MAX];	 /* "[src] ⇨ [dst]" */
	char state[CONTROL_WORD_MAX];	 /* child_state_name() */
	int64_t pid;			 /* -1: no worker process */
	int stopping;			 /* asked to stop, not gone yet */
	char backfill[CONTROL_WORD_MAX]; /* proto_phase_state_name() */
	char stream[CONTROL_WORD_MAX];
	uint64_t items_written; /* backfill */
	uint64_t stream_written;
	uint64_t restarts;
	char last_error[CONTROL_TEXT_MAX]; /* "" if none */
	/* The capacity governor: the tables' limits ("500", "40%", "none"),
	 * the pair's share in units/s (0: none) and what it consumes
	 * (-1: not known: no figures yet, or consumed_capacity false).
	 * Optional on the wire (absent: "none", 0, -1). */
	char read_limit[CONTROL_LIMIT_MAX];
	char write_limit[CONTROL_LIMIT_MAX];
	int64_t read_share;
	int64_t write_share;
	int64_t rcu_per_s;
	int64_t wcu_per_s;
	/* The stream spool (issue 13), while a worker runs: bytes on disk
	 * and the age of its oldest record in seconds (-1: no spool; the
	 * age also when no record is kept), reading paused (spool full).
	 * Optional on the wire (absent or null: -1; false). */
	int64_t spool_bytes;
	int64_t spool_oldest_age_s;
	int spool_paused;
	/* A fleet (docs/fleet.md): this host's leases of the pair now and
	 * those it lost; -1 when the plan has no coordination block.
	 * Optional on the wire (absent or null: -1). */
	int64_t leases_held;
	int64_t leases_lost;
};

/*
 * fleet: what "ctl fleet" needs to read the coordination table itself
 * (the supervisor has no AWS client and never blocks on one): the plan's
 * coordination block, this host's id and the worker binary. Never
 * credentials. Empty strings: not set.
 */
#define CONTROL_ARN_MAX	 2049 /* an IAM role ARN: 2048 bytes */
#define CONTROL_PATH_MAX 4096
struct control_fleet {
	char table[CONTROL_TEXT_MAX];
	char region[CONTROL_TEXT_MAX];
	char role_arn[CONTROL_ARN_MAX];
	char endpoint_url[CONTROL_TEXT_MAX];
	int allow_insecure_http;
	char host_id[CONTROL_TEXT_MAX];
	char worker[CONTROL_PATH_MAX];
};

struct control_response {
	int ok;
	char error[CONTROL_TEXT_MAX]; /* when !ok */
	/* list: every pair; stop/start/restart: the pair acted on. */
	struct control_pair *pairs;
	size_t npairs;
	int has_status; /* status: a "status" object came */
	/* fleet: the "fleet" member came (has_fleet); fleet is NULL when
	 * it was null (the plan has no coordination block). */
	int has_fleet;
	struct control_fleet *fleet;
};

/* Wire names of the commands; NULL out of range. */
const char *control_cmd_name(enum control_cmd);

/*
 * The codec: pure functions of their inputs.
 *
 * control_request_encode: one line, '\n' and a NUL (not counted) into buf.
 * Returns its length, or -1: EINVAL (no pair for a command that needs one,
 * pair too long) or ENOSPC.
 */
int control_request_encode(const struct control_request *, char *buf,
    size_t len);
/*
 * Decode one request line (with or without its '\n'). 0, or -1 with a
 * reason in err: too long, not one JSON object, "v" missing or not
 * CONTROL_VERSION, unknown or missing "cmd", "pair" missing, empty or too
 * long where needed, a field twice or of the wrong type. Unknown fields are
 * ignored.
 */
int control_request_decode(const char *line, size_t len,
    struct control_request *, char *err, size_t errlen);

/* What the protocol shows of a child (pure: reads the struct only). */
void control_pair_from_child(const struct child *, struct control_pair *);
/*
 * Append a response line: ok with every pair ("pairs", for list) or one
 * ("pair", for the other commands), or an error. 0, or -1 if b's maximum
 * was reached (b is then unspecified).
 */
int control_response_list(struct buf *, const struct control_pair *, size_t n);
int control_response_pair(struct buf *, const struct control_pair *);
int control_response_error(struct buf *, const char *msg);
/* status: {"v":1,"ok":true,"status":{...}} (metrics_render_json). */
struct metrics_pair;
struct metrics_global;
int control_response_status(struct buf *, const struct metrics_pair *, size_t n,
    const struct metrics_global *);
/* What "fleet" answers of a supervisor: 0, or -1 when its plan has no
 * coordination block (pure). */
int control_fleet_from_sup(const struct sup *, struct control_fleet *);
/* fleet: {"v":1,"ok":true,"fleet":{...}}, or "fleet":null for NULL. */
int control_response_fleet(struct buf *, const struct control_fleet *);

/*
 * Decode a response line. 0, or -1 with a reason in err. On 0, free with
 * control_response_free() (also safe after -1).
 */
int control_response_decode(const char *line, size_t len,
    struct control_response *, char *err, size_t errlen);
void control_response_free(struct control_response *);

/* "<state_dir>/control.sock" into buf; -1 if it does not fit (sun_path). */
int control_socket_path(const char *state_dir, char *buf, size_t len);

/*
 * The server, on the supervisor's event loop. control_init() replaces a
 * stale socket left by a dead run (the caller holds the state directory's
 * lock) and listens; 0, or -1 after logging why. control_free() closes
 * every connection and removes the socket; safe if init was not called.
 */
int control_init(struct sup *);
void control_free(struct sup *);

#endif

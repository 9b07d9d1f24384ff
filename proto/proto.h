/* proto.h: supervisor <-> worker messages (newline-delimited JSON), see PROTOCOL.md. */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION	1
/* Longest line (including the newline) either side accepts. */
#define PROTO_MAX_LINE	16384
/* The worker's end of the channel: a fixed fd, as in smtpd. */
#define PROTO_FD	3

enum proto_type {
	PROTO_HELLO = 0,	/* first message: pid, pair name */
	PROTO_LOG,		/* a log line for stdout and the per-worker log */
	PROTO_PHASE,		/* a phase changed state */
	PROTO_PROGRESS,		/* counters, sent about once a second */
	PROTO_CHECKPOINT,	/* a checkpoint was written */
	PROTO_ERROR,		/* an error; fatal=1 means the pair stops */
	PROTO_DONE,		/* the worker is about to exit */
	PROTO_TYPE_MAX
};

enum proto_phase {
	PROTO_PHASE_BACKFILL = 0,
	PROTO_PHASE_STREAM,
};

enum proto_phase_state {
	PROTO_PS_PENDING = 0,
	PROTO_PS_RUNNING,
	PROTO_PS_COMPLETE,
	PROTO_PS_SKIPPED,
	PROTO_PS_FAILED,
	PROTO_PS_STOPPED,	/* interrupted by a stop request; resumable */
};

enum proto_level {
	PROTO_LVL_ERROR = 0,
	PROTO_LVL_WARN,
	PROTO_LVL_INFO,
	PROTO_LVL_DEBUG,
};

#define PROTO_NAME_MAX	256
#define PROTO_TEXT_MAX	4096

struct proto_hello {
	int64_t	pid;
	char	pair[PROTO_NAME_MAX];
	char	version[32];		/* worker software version */
};

struct proto_log {
	enum proto_level level;
	char	msg[PROTO_TEXT_MAX];
};

struct proto_phase_msg {
	enum proto_phase phase;
	enum proto_phase_state state;
	uint64_t items;			/* items written in this phase */
	uint64_t duration_ms;		/* time spent in this phase */
	char	detail[PROTO_TEXT_MAX];	/* e.g. the error for FAILED */
};

struct proto_progress {
	enum proto_phase phase;
	/* Source estimate from DescribeTable (est_exact=0) or counted (1). */
	uint64_t est_items;
	uint64_t est_bytes;
	int	 est_exact;
	uint64_t items_read;		/* backfill: items scanned */
	uint64_t items_written;		/* backfill: items acknowledged */
	uint64_t bytes_read;
	uint32_t segments_done;
	uint32_t segments_total;
	double	 rcu;			/* consumed capacity, cumulative */
	double	 wcu;
	uint32_t buffer_pct;		/* in-flight buffer fill, 0..100 */
	uint64_t stream_written;	/* stream: changes applied */
	int64_t	 stream_latency_ms;	/* age of newest applied change, -1 unknown */
	int	 caught_up;		/* every open shard at its tip */
	uint32_t shards_active;
	uint64_t throttles;		/* throttled requests, cumulative */
	uint64_t retries;		/* retried requests, cumulative */
};

struct proto_checkpoint {
	char	kind[16];		/* "segment" or "shard" */
	char	id[PROTO_NAME_MAX];	/* segment number or shard id */
	uint64_t items;			/* items covered so far */
	int	done;			/* segment / shard finished */
};

struct proto_error {
	char	code[128];		/* e.g. AccessDeniedException */
	char	msg[PROTO_TEXT_MAX];
	int	fatal;			/* the pair cannot go on */
};

struct proto_done {
	char	status[32];		/* "complete", "stopped", "failed" */
};

struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello	hello;
		struct proto_log	log;
		struct proto_phase_msg	phase;
		struct proto_progress	progress;
		struct proto_checkpoint	checkpoint;
		struct proto_error	error;
		struct proto_done	done;
	} u;
};

/*
 * Encode one message as a single JSON line ending in '\n' into buf.
 * Returns the line length, or -1 if it does not fit in len (or in
 * PROTO_MAX_LINE): text fields are truncated to fit, never split lines.
 */
int	proto_encode(const struct proto_msg *, char *buf, size_t len);

/*
 * Decode one line (without or with its trailing '\n'). Returns 0, or -1 with
 * a reason in err: bad JSON, missing/wrong "v", unknown "type", a required
 * field missing or of the wrong type. Unknown fields are ignored.
 */
int	proto_decode(const char *line, size_t len, struct proto_msg *,
	    char *err, size_t errlen);

const char *proto_type_name(enum proto_type);
const char *proto_phase_name(enum proto_phase);
const char *proto_phase_state_name(enum proto_phase_state);

/*
 * Line framing for a non-blocking reader: feed bytes, get complete lines.
 * A line longer than PROTO_MAX_LINE is an error (the worker is misbehaving).
 */
struct proto_reader {
	char	buf[PROTO_MAX_LINE + 1];
	size_t	len;
};

void	proto_reader_init(struct proto_reader *);
/*
 * Returns 1 and sets *line and *linelen (without '\n', NUL-terminated) when a
 * complete line is available, 0 when more input is needed, -1 on an overlong
 * line. Call proto_reader_feed() to add bytes, proto_reader_next() in a loop.
 */
int	proto_reader_feed(struct proto_reader *, const char *, size_t);
int	proto_reader_next(struct proto_reader *, const char **line,
	    size_t *linelen);

#endif

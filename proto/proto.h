/* proto.h: supervisor <-> worker messages (newline-delimited JSON), see PROTOCOL.md. */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 2
/* Longest line (including the newline) either side accepts. */
#define PROTO_MAX_LINE 16384
/* The worker's end of the channel: a fixed fd, as in smtpd. */
#define PROTO_FD 3

/* Worker exit statuses: WORKER_EXIT_* in common/exitcode.h. */

/*
 * After SIGTERM/SIGINT the worker checkpoints and exits within this time;
 * the supervisor may SIGKILL it afterwards.
 */
#define PROTO_STOP_GRACE_MS 10000
/* The supervisor may treat a worker that sent no hello this long after it
 * was started as hung. */
#define PROTO_HELLO_TIMEOUT_MS 10000

enum proto_type {
	PROTO_HELLO = 0,  /* first message: pid, pair name */
	PROTO_LOG,	  /* a log line for stdout and the per-worker log */
	PROTO_PHASE,	  /* a phase changed state */
	PROTO_PROGRESS,	  /* counters, sent about once a second */
	PROTO_CHECKPOINT, /* a checkpoint was written */
	PROTO_ERROR,	  /* an error; fatal=1 means the pair stops */
	PROTO_DONE,	  /* the worker is about to exit */
	PROTO_WARNING,	  /* a condition the operator should see */
	PROTO_LIMITS,	  /* supervisor -> worker: capacity shares */
	PROTO_TYPE_MAX
};

enum proto_phase {
	PROTO_PHASE_BACKFILL = 0,
	PROTO_PHASE_STREAM,
	PROTO_PHASE_MAX
};

enum proto_phase_state {
	PROTO_PS_PENDING = 0,
	PROTO_PS_RUNNING,
	PROTO_PS_COMPLETE,
	PROTO_PS_SKIPPED,
	PROTO_PS_FAILED,
	PROTO_PS_STOPPED, /* interrupted by a stop request; resumable */
	PROTO_PS_MAX
};

enum proto_level {
	PROTO_LVL_ERROR = 0,
	PROTO_LVL_WARN,
	PROTO_LVL_INFO,
	PROTO_LVL_DEBUG,
	PROTO_LVL_MAX
};

#define PROTO_NAME_MAX 256
#define PROTO_TEXT_MAX 4096
#define PROTO_CODE_MAX 128

/*
 * Strings are NUL-terminated UTF-8. Fields marked "text" are free-form and
 * are truncated (on a character boundary) when a line would otherwise be
 * longer than PROTO_MAX_LINE; the others are identifiers and never are.
 */
struct proto_hello {
	int64_t pid;
	char pair[PROTO_NAME_MAX];
	char version[32]; /* worker software version */
	/* text, optional: the checkpoint resumed from ("" = fresh start) */
	char resume[PROTO_NAME_MAX];
};

struct proto_log {
	enum proto_level level;
	char msg[PROTO_TEXT_MAX]; /* text */
};

struct proto_phase_msg {
	enum proto_phase phase;
	enum proto_phase_state state;
	uint64_t items;	      /* items written in this phase */
	uint64_t duration_ms; /* time spent in this phase */
	/* optional: the state comes from the checkpoint (an earlier run
	 * reached it); the supervisor updates, but does not announce it */
	int from_checkpoint;
	char detail[PROTO_TEXT_MAX]; /* text: e.g. the error for FAILED */
};

struct proto_progress {
	enum proto_phase phase;
	/* Source estimate from DescribeTable (est_exact=0) or counted (1). */
	uint64_t est_items;
	uint64_t est_bytes;
	int est_exact;
	uint64_t items_read;	/* backfill: items scanned */
	uint64_t items_written; /* backfill: items acknowledged */
	uint64_t bytes_read;
	uint32_t segments_done; /* <= segments_total */
	uint32_t segments_total;
	double rcu; /* consumed capacity, cumulative */
	double wcu;
	uint32_t buffer_pct;	 /* in-flight buffer fill, 0..100 */
	uint64_t stream_written; /* stream: changes applied */
	int64_t
	    stream_latency_ms; /* age of newest applied change, -1 unknown */
	int caught_up;	       /* every open shard at its tip */
	uint32_t shards_active;
	uint64_t throttles; /* throttled requests, cumulative */
	uint64_t retries;   /* retried requests, cumulative */
	/* Added for the status table and progress log (PROTOCOL.md). */
	uint64_t elapsed_ms;   /* time in the current phase, all runs */
	uint64_t stream_read;  /* stream: records read */
	uint32_t shards_done;  /* stream: shards fully applied */
	uint32_t shards_total; /* stream: shards known; >= done */
	int retention_risk;    /* stream records may expire unapplied */
	int gap;	       /* records were lost: copy incomplete */
	/* Optional (absent = 0): TTL (issue 18). */
	uint64_t ttl_expired_skipped; /* backfill: expired items not copied */
	uint64_t ttl_deletes_skipped; /* stream: TTL deletes not applied */
	/* Optional (absent = 0): metrics (issue 19). */
	uint64_t bytes_written;	   /* item bytes in acknowledged writes */
	uint64_t stream_skipped;   /* stream: records before the handoff */
	uint64_t transient_errors; /* requests failed and retried (5xx,
					   network, timeout), cumulative */
	uint32_t writes_inflight;  /* BatchWriteItem requests in flight */
	uint32_t writes_limit;	   /* ...and the most allowed at once */
	/* Optional (absent = 0, no limit): the capacity governor's share in
	 * force, units per second (issue 16). */
	double read_limit;
	double write_limit;
	/* Optional: the stream spool (issue 13). A pair that spools
	 * nothing sends the defaults, which the encoder leaves out. */
	uint64_t spool_bytes;	 /* on disk now; absent = 0 */
	int64_t spool_oldest_ms; /* age of the oldest record kept;
				    absent = -1: none, or no spool */
	int spool_paused;	 /* reading paused: the spool is full */
	/* How far reading the stream into the spool is behind: the age
	 * of the oldest change it may not have read (an estimate); -1 =
	 * not reading into a spool, absent = -1. */
	int64_t spool_read_lag_ms;
	/* Optional (absent = 0): a fleet's leases (issue 20, docs/fleet.md),
	 * this host's worker of the pair. */
	uint32_t leases_held;	  /* segment/shard leases held now */
	uint64_t leases_lost;	  /* lost: taken by another host or
				     expired, cumulative */
	uint64_t lease_conflicts; /* lease writes refused by a failed
				     condition, cumulative */
};

struct proto_checkpoint {
	char kind[16];		 /* "segment" or "shard" */
	char id[PROTO_NAME_MAX]; /* segment number or shard id */
	uint64_t items;		 /* items covered so far */
	int done;		 /* segment / shard finished */
};

struct proto_error {
	char code[PROTO_CODE_MAX]; /* e.g. AccessDeniedException */
	char msg[PROTO_TEXT_MAX];  /* text */
	int fatal;		   /* the pair cannot go on */
};

struct proto_done {
	char status[32]; /* "complete", "stopped", "failed" */
};

struct proto_warning {
	char code[PROTO_CODE_MAX]; /* e.g. "retention_risk", "throttled" */
	char msg[PROTO_TEXT_MAX];  /* text */
};

/*
 * Supervisor -> worker (version 2): the pair's share of its tables' limits,
 * in units per second or in percent of the table's capacity (one of the
 * two, or both 0: no limit).
 */
struct proto_limits {
	double read;
	double read_pct;
	double write;
	double write_pct;
};

struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello hello;
		struct proto_log log;
		struct proto_phase_msg phase;
		struct proto_progress progress;
		struct proto_checkpoint checkpoint;
		struct proto_error error;
		struct proto_done done;
		struct proto_warning warning;
		struct proto_limits limits;
	} u;
};

/*
 * Encode one message as a single JSON line ending in '\n' into buf, followed
 * by a NUL (not counted). Returns the line length, or -1: EINVAL if the
 * message is invalid (the checks proto_decode() makes), ENOSPC if it does
 * not fit in len (or in PROTO_MAX_LINE) even with its text field emptied.
 * Text fields are truncated to fit, never split into several lines; invalid
 * UTF-8 is replaced by U+FFFD. What proto_encode() produces, proto_decode()
 * accepts.
 */
int proto_encode(const struct proto_msg *, char *buf, size_t len);

/*
 * Decode one line (without or with its trailing '\n'). Returns 0, or -1 with
 * a reason in err: bad JSON, missing/wrong "v", unknown "type", a required
 * field missing, duplicated, of the wrong type or out of range, trailing
 * data. Unknown fields are ignored. On -1 the message is unspecified.
 */
int proto_decode(const char *line, size_t len, struct proto_msg *, char *err,
    size_t errlen);

/* Wire names; "unknown" for a value out of range. */
const char *proto_type_name(enum proto_type);
const char *proto_phase_name(enum proto_phase);
const char *proto_phase_state_name(enum proto_phase_state);
const char *proto_level_name(enum proto_level);
/*
 * Whether a progress shows a spool (PROTOCOL.md 4.4): bytes on disk, or
 * reading paused. An age without either means nothing: a worker that
 * never set spool_oldest_ms to -1 sends 0.
 */
int proto_spool_shown(const struct proto_progress *);

/*
 * Line framing for a non-blocking reader: feed bytes, get complete lines.
 * A line longer than PROTO_MAX_LINE (newline included) or holding a NUL byte
 * is an error (the worker is misbehaving); the reader then stays in that
 * error state. Use:
 *
 *	n = read(fd, tmp, sizeof(tmp));		(at most PROTO_READ_MAX)
 *	if (proto_reader_feed(&r, tmp, n) == -1) -> worker failed
 *	while ((rc = proto_reader_next(&r, &line, &linelen)) == 1)
 *		proto_decode(line, linelen, ...)
 *	if (rc == -1) -> worker failed, proto_reader_errstr(&r) says why
 */
#define PROTO_READ_MAX PROTO_MAX_LINE

struct proto_reader {
	char buf[2 * PROTO_MAX_LINE];
	size_t off;  /* first byte not yet returned */
	size_t len;  /* bytes held */
	size_t scan; /* bytes after off known to hold no newline */
	int error;   /* 0 or an errno value; sticky */
};

void proto_reader_init(struct proto_reader *);
/*
 * Add bytes: 0, or -1 with errno (and the reader in its error state). At
 * most PROTO_READ_MAX bytes per call, after draining proto_reader_next();
 * more than fits is an error (ENOBUFS).
 */
int proto_reader_feed(struct proto_reader *, const char *, size_t);
/*
 * Returns 1 and sets *line and *linelen (without '\n', NUL-terminated; valid
 * until the next feed) when a complete line is available, 0 when more input
 * is needed, -1 with errno on an overlong line (EMSGSIZE), a NUL byte
 * (EILSEQ) or an earlier error.
 */
int proto_reader_next(struct proto_reader *, const char **line,
    size_t *linelen);
/* Bytes of an incomplete line held (non-zero at EOF = truncated line). */
size_t proto_reader_pending(const struct proto_reader *);
/* Why the reader is in its error state; "" if it is not. */
const char *proto_reader_errstr(const struct proto_reader *);

#endif

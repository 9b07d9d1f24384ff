/* metrics.h: /metrics for Prometheus and "ctl status" (docs/metrics.md). */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct buf;
struct child;
struct sup;

/* Off unless asked for (docs/metrics.md says why); the usual port. */
#define METRICS_PORT_DEFAULT 9464
/* Connections served at once; more wait in the listen backlog. */
#define METRICS_MAX_CONNS 64
/* A connection idle this long is closed (evhttp_set_timeout)... */
#define METRICS_IDLE_TIMEOUT_S 10
/* ...and any connection, however busy, after this long. */
#define METRICS_CONN_MAX_MS 30000
/* Request line and headers: a scrape's are a few hundred bytes. */
#define METRICS_MAX_HEADERS 4096
/* Largest page (a plan of PLAN_MAX_PAIRS pairs fits). */
#define METRICS_PAGE_MAX (16 * 1024 * 1024)
/* A stream record older than this is trimmed (DynamoDB Streams). */
#define METRICS_RETENTION_MS ((int64_t)24 * 3600 * 1000)

/*
 * Counters the supervisor keeps across a pair's workers. Some progress
 * fields count one worker's run (PROTOCOL.md, *run*), and one phase even:
 * when one goes backwards, or a new worker reports, what the old one had
 * counted is added to the base, so the sums only ever grow. Those that
 * count the whole pair (*pair*) are kept at their highest.
 */
struct metrics_acc {
	uint64_t bytes_read;
	uint64_t bytes_written;
	double rcu;
	double wcu;
	uint64_t throttles;
	uint64_t retries;
	uint64_t transient;
	uint64_t stream_read;
	uint64_t stream_skipped;
	uint64_t ttl_expired;
	uint64_t ttl_deletes;
	uint64_t leases_lost;	  /* a fleet's */
	uint64_t lease_conflicts; /* ...likewise */
	/* *pair* counters: the highest seen. */
	uint64_t items_read;
	uint64_t items_written;
	uint64_t stream_written;
	/* Counted by the supervisor. */
	uint64_t errors_fatal;	  /* "error" messages, fatal */
	uint64_t errors_nonfatal; /* ...and not */
	uint64_t errors_protocol; /* protocol errors of its workers */
};

/* Fold a progress message in: old is the last one (zeroes at first). */
void metrics_acc_progress(struct metrics_acc *,
    const struct proto_progress *old, const struct proto_progress *cur,
    int new_worker);

/* One pair as /metrics and "ctl status" show it: plain data. */
struct metrics_pair {
	const char *pair;
	const char *source_table;
	const char *destination_table;
	const char *state; /* child_state_name() */
	int worker_up;	   /* a worker process exists */
	enum proto_phase_state backfill;
	enum proto_phase_state stream;
	unsigned restarts;
	const char *last_error; /* "" if none */

	uint64_t items_scanned;
	uint64_t items_written;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t stream_read;
	uint64_t stream_applied;
	uint64_t stream_skipped_handoff;
	uint64_t stream_skipped_ttl;
	uint64_t backfill_skipped_ttl;
	double rcu;
	double wcu;
	uint64_t throttled;
	uint64_t retried;
	uint64_t errors_transient;
	uint64_t errors_fatal;
	uint64_t errors_nonfatal;
	uint64_t errors_protocol;

	uint64_t est_items; /* 0: unknown */
	int est_exact;
	double backfill_ratio;	 /* < 0: unknown */
	double backfill_eta_s;	 /* < 0: unknown */
	double stream_latency_s; /* < 0: unknown */
	int caught_up;
	double retention_used; /* < 0: unknown */
	int gap;
	uint32_t writes_inflight;
	uint32_t writes_limit; /* 0: not reported yet */
	/* The pair's share of its tables' capacity limits (budget.c), in
	 * units per second or as a share of the table's capacity; < 0:
	 * no such limit. */
	double read_limit;
	double read_limit_ratio;
	double write_limit;
	double write_limit_ratio;
	/* The stream spool (issue 13) of a running worker: bytes on disk
	 * and the age of its oldest record (< 0: no spool; the age also
	 * when no record is kept), and reading paused (the spool is full). */
	double spool_bytes;
	double spool_oldest_age_s;
	uint32_t spool_paused;
	/* A fleet (a plan with coordination:, docs/fleet.md): this host's
	 * leases of the pair now, those lost and the lease writes refused by
	 * their condition, over its workers. Shown only when fleet is set. */
	int fleet;
	uint32_t leases_held;
	uint64_t leases_lost;
	uint64_t lease_conflicts;
};

/* The supervisor itself. */
struct metrics_global {
	const char *version;
	double cpu_s;	     /* user + system */
	uint64_t rss_bytes;  /* 0: unknown */
	double start_time_s; /* Unix time */
	size_t workers_up;
	size_t pairs;
};

/* Items the backfill wrote, for the whole pair, whatever the phase. */
uint64_t metrics_items_written(const struct child *);
/* What a child shows (pure: reads the struct only). */
void metrics_pair_from_child(const struct child *, struct metrics_pair *);

/*
 * The Prometheus text exposition format (version 0.0.4): HELP and TYPE
 * for every family, label values escaped. 0, or -1 if b's maximum was
 * reached.
 */
int metrics_render(const struct metrics_pair *, size_t n,
    const struct metrics_global *, struct buf *b);
/* The same as one JSON object (docs/control-protocol.md, "status"). */
int metrics_render_json(const struct metrics_pair *, size_t n,
    const struct metrics_global *, struct buf *b);
/* A label value: \ " and newline escaped as the format says. */
int metrics_label_value(struct buf *, const char *);

/*
 * "ADDR:PORT": an IPv4 address, "[IPv6]" or "localhost", and a port from
 * 1 to 65535. 0, or -1 with the reason in err.
 */
int metrics_parse_listen(const char *, char *host, size_t hostlen,
    uint16_t *port, char *err, size_t errlen);

/* Snapshot of the whole supervisor into pairs[] (s->nchildren) and g. */
void metrics_collect(struct sup *, struct metrics_pair *pairs,
    struct metrics_global *g);

/*
 * The HTTP server on the supervisor's loop: listen on s->metrics_listen
 * (when set). 0, or -1 after logging why (bad address, port in use).
 */
int metrics_init(struct sup *);
void metrics_free(struct sup *);

#endif

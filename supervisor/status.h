/* status.h: the live status table on stderr (README.md, "Output"). */
#ifndef STATUS_H
#define STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "proto.h"

struct buf;
struct child;
struct sup;

/*
 * The driver (status.c). status_init() only records the mode: libevent
 * events are created on the first status_update(), once sup_start() has made
 * s->base. Writes to stderr never block: a frame that cannot be written at
 * once is dropped (its unwritten tail is kept and sent first next time).
 */
void status_init(struct sup *, enum options_status, int64_t plain_interval_ms);
/* Redraw soon (called after state changes; rate-limited). */
void status_update(struct sup *);
/* Around every write to stdout, so the log never tears the table. */
void status_before_output(void);
void status_after_output(void);
/* Final table at exit (kept on screen). */
void status_final(struct sup *);
void status_shutdown(void);

/* Pure part: everything below is a function of its arguments. */

/* Redraws: steady rate, and the least time between two of them. */
#define STATUS_TICK_MS	     1000
#define STATUS_MIN_REDRAW_MS 250
/* Rates are averaged over this sliding window. */
#define STATUS_RATE_WINDOW_MS 10000
/* ...and shown only once the samples span this much. */
#define STATUS_RATE_MIN_SPAN_MS 2000
/* Samples closer than this to the newest one are ignored. */
#define STATUS_RATE_SPACING_MS 250
#define STATUS_RATE_SAMPLES    64

/* What the worker process is doing (struct child's state, simplified). */
enum status_proc {
	STATUS_PROC_STARTING = 0, /* not started, or no progress yet */
	STATUS_PROC_RUNNING,
	STATUS_PROC_RESTARTING, /* died; next attempt scheduled */
	STATUS_PROC_STOPPED,
	STATUS_PROC_DONE,
	STATUS_PROC_FAILED,
};

/* One row of the table as plain data, so formatting needs no process. */
struct status_row {
	const char *table; /* destination table */
	enum status_proc proc;
	unsigned restarts;
	int64_t restart_in_ms; /* RESTARTING: until the next attempt */
	const char *error;     /* FAILED: the last error, may be "" */
	const char *retrying;  /* STARTING/RUNNING: why a call is
					   being retried, or NULL */
	enum proto_phase_state backfill;
	enum proto_phase_state stream;
	int have_est;	       /* DETAILS known (a progress arrived) */
	uint64_t items;	       /* source items... */
	int items_exact;       /* ...counted (no "~") */
	uint64_t bytes;	       /* source size... */
	int bytes_exact;       /* ...counted (no "~") */
	uint64_t bf_written;   /* backfill: items written */
	int verify;	       /* ddb-sync verify: items checked */
	uint64_t bf_target;    /* expected items; 0: no percentage */
	uint64_t st_written;   /* stream: changes applied */
	int64_t st_latency_ms; /* age of newest applied; -1 unknown */
	int caught_up;
	int retention_risk;
	int gap;
	int have_rates;	      /* read_rate/wcu_rate are meaningful */
	double read_rate;     /* items (stream: records) read per s */
	double wcu_rate;      /* WCU consumed per s; < 0: unknown */
	uint32_t buffer_pct;  /* 0..100 */
	uint64_t ttl_expired; /* backfill: expired items skipped */
	uint64_t ttl_deletes; /* stream: TTL deletes skipped */
	/* The capacity governor (0: no limit): the pair's shares in
	 * units/s, and the RCU consumed per s (< 0: unknown). */
	double read_limit;
	double write_limit;
	double rcu_rate;
	/* The stream spool (issue 13); spool = 0: none shown. */
	int spool;
	uint64_t spool_bytes;
	int64_t spool_oldest_ms; /* -1: no record kept */
	int spool_paused;	 /* full: reading paused */
	/* A fleet (docs/fleet.md): this host's leases of the pair now, and
	 * those it lost; fleet = 0: none shown. */
	int fleet;
	uint32_t leases_held;
	uint64_t leases_lost;
};

/*
 * A sliding window of cumulative counters (items read, WCU) sampled on a
 * monotonic clock; rates are the difference between the newest sample and
 * the oldest one inside the window.
 */
struct status_rate {
	int64_t t[STATUS_RATE_SAMPLES];
	uint64_t items[STATUS_RATE_SAMPLES];
	double wcu[STATUS_RATE_SAMPLES];
	size_t first; /* oldest sample */
	size_t n;
};

void status_rate_reset(struct status_rate *);
/* Counters that went backwards (a new worker) restart the window. */
void status_rate_add(struct status_rate *, int64_t now_ms, uint64_t items,
    double wcu);
/* 0 and the rates per second, or -1 while the samples span too little. */
int status_rate_get(const struct status_rate *, double *items_s, double *wcu_s);

/*
 * Fill a row from a child. rate may be NULL (no rates); seen says a progress
 * message arrived from some worker of this pair (c->prog is meaningful).
 */
void status_row_from_child(struct status_row *, const struct child *,
    const struct status_rate *rate, int seen, int64_t now_ms);

/*
 * Append the table (header, then one line per row, each ending in '\n') to
 * out. width > 0: no line is wider than width columns (cells shrink, then
 * are cut, UTF-8 aware); width <= 0: no limit. No escape sequences; control
 * characters in names and errors are shown as '?'. Returns the number of
 * lines, or -1 if out's maximum was reached.
 */
int status_format(const struct status_row *, size_t n, int width,
    struct buf *out);

/*
 * A terminal frame: move up over the up_rows rows of the previous frame,
 * then each line of text overwritten in place (erase to end of line), then
 * erase below. -1 if out's maximum was reached.
 */
int status_frame(struct buf *out, const char *text, size_t up_rows);
/*
 * Erase the rows rows above the cursor and leave it on the first of them.
 * Line by line, not with erase-below: a terminal may save the whole screen
 * to its history when erase-below starts at the top-left corner (tmux does).
 */
int status_erase(struct buf *out, size_t rows);
/* Rows that lines of these display widths occupy on a cols-wide terminal
 * that re-wraps long lines (after a resize). */
size_t status_rows_used(const size_t *widths, size_t n, int cols);

/*
 * A spool's figures at level 0..2 (widest first): "12MiB/45s" (bytes on
 * disk / age of the oldest record, none if oldest_ms < 0), " FULL" after
 * it while reading is paused; level 2 keeps "12MiB" or "FULL". Also for
 * ctl list.
 */
const char *status_spool_str(uint64_t bytes, int64_t oldest_ms, int paused,
    int level, char *, size_t);
/* The SPOOL cell: the above, or "-" without a spool. */
const char *status_spool_cell(const struct status_row *, int level, char *,
    size_t);

/* The same for the progress block on stdout: " (spool 12MiB, oldest
 * record 45s, FULL: reading paused)", or "" without a spool. */
const char *status_spool_note(const struct proto_progress *, char *, size_t);

/* Columns s takes on a terminal (invalid bytes and controls count 1). */
size_t status_width(const char *s);
/* The buffer glyph: ○ 0-12%, ◔ 13-37%, ◑ 38-62%, ◕ 63-87%, ● 88-100%. */
const char *status_glyph(uint32_t pct);

#endif

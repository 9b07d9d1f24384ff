/* sup.h: the supervisor's state: one child per pair, one libevent loop. */
#ifndef SUP_H
#define SUP_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#include "metrics.h"
#include "options.h"
#include "plan.h"
#include "proto.h"
#include "session.h"

struct control;
struct event;
struct metrics;
struct event_base;

enum child_state {
	CHILD_IDLE = 0, /* not started yet */
	CHILD_RUNNING,	/* a worker process exists */
	CHILD_BACKOFF,	/* died; restart scheduled */
	CHILD_STOPPED,	/* stopped by the operator or shutdown */
	CHILD_DONE,	/* finished its phases */
	CHILD_FAILED,	/* permanent failure: no more restarts */
};

/* What to do after a worker exits (child_decide, pure). */
enum child_action {
	CHILD_ACT_DONE = 0, /* it finished: nothing more to do */
	CHILD_ACT_STOPPED,  /* it stopped because we asked */
	CHILD_ACT_RESTART,  /* crashed: start again after a delay */
	CHILD_ACT_FAIL,	    /* give up on this pair */
};

struct restart_policy {
	int64_t base_ms;    /* first delay */
	int64_t max_ms;	    /* delay cap */
	int64_t quick_ms;   /* a death this soon without progress... */
	unsigned max_quick; /* ...this many times in a row: FAILED */
};

struct child {
	struct sup *sup;
	struct plan_pair *pair;
	char label[600]; /* "[src] ⇨ [dst]" */
	enum child_state state;

	pid_t pid;
	int fd;	   /* protocol channel (worker's fd 3) */
	int errfd; /* worker's stderr */
	struct event *ev_read;
	struct event *ev_err;
	struct event *ev_timer; /* restart backoff */
	struct event *ev_proto; /* the session's next deadline */
	struct proto_reader reader;
	struct proto_session sess; /* the protocol's rules (session.c) */
	char errbuf[4096];	   /* partial stderr line */
	size_t errlen;
	int exited; /* waitpid() reported it */
	int eof;    /* its channel closed */
	int status; /* wait status */
	int stop_requested;
	int restart_pending; /* start again once it exits */
	int restart_note;    /* "Worker restarted" not said yet */

	/* What the worker reported. */
	struct proto_progress prog;
	enum proto_phase_state backfill;
	enum proto_phase_state stream;
	uint64_t backfill_items;
	uint64_t backfill_ms;
	char done_status[32];
	char last_error[PROTO_TEXT_MAX + 160]; /* code: msg */
	/* A "retrying" warning's text until "recovered": the row shows it. */
	char retrying[PROTO_TEXT_MAX];
	int fatal_error;
	int config_error;	     /* failed its preflight (exit 2) */
	int differs;		     /* verify: the tables differ (exit 4) */
	char resume[PROTO_NAME_MAX]; /* hello.resume */
	int64_t ckpt_wall_ms;	     /* its last checkpoint message */

	/* Restarts. */
	unsigned restarts;
	unsigned quick_deaths; /* in a row */
	int64_t started_ms;
	int64_t next_start_ms;
	uint64_t written_at_start; /* first progress of this worker */
	int progress_seen;
	int64_t phase_started_ms; /* wall clock, for progress */
	struct metrics_acc acc;	  /* counters across workers */

	/* The capacity governor (budget.c): the share last sent, and a
	 * limits line the channel has not taken yet. */
	struct proto_limits lim_sent;
	int lim_valid;
	int lim_pending; /* a newer share waits for lim_out */
	char lim_out[512];
	size_t lim_outlen;
	/* Consumed capacity per second, from progress 5 s or more apart. */
	int64_t cap_t;
	double cap_rcu, cap_wcu;
	double rcu_rate, wcu_rate; /* < 0: not known yet */

	FILE *logf; /* per-worker log file */
	char *log_path;
};

struct sup {
	struct event_base *base;
	struct plan *plan;
	struct child *children;
	size_t nchildren;
	char *state_dir;
	char *worker_path;
	int verbose;
	int check_config;	      /* preflight only: no restarts */
	struct options_verify verify; /* ddb-sync verify */
	int lock_fd;
	int shutting_down; /* first SIGINT/SIGTERM seen */
	int exit_code;
	struct restart_policy policy;
	int64_t hello_timeout_ms; /* PROTO_HELLO_TIMEOUT_MS */
	int64_t stop_grace_ms;	  /* PROTO_STOP_GRACE_MS */
	int64_t progress_ms;	  /* progress block interval */
	struct event *ev_progress;
	struct event *ev_shutdown; /* escalate to SIGKILL */
	struct control *control;   /* control socket (control.c) */
	char *metrics_listen;	   /* ADDR:PORT, or NULL: off */
	struct metrics *metrics;   /* its HTTP server (metrics.c) */
	int64_t started_wall_ms;
	char *host_id; /* a fleet: this host's id; NULL: one host */
};

/* child.c */
void child_init(struct child *, struct sup *, struct plan_pair *);
int child_spawn(struct child *);
/* SIGTERM; with escalate, SIGKILL if it is still there after the grace. */
void child_stop(struct child *, int escalate);
void child_kill(struct child *);
void child_reap_all(struct sup *);
void child_free(struct child *);
int child_active(const struct child *);
enum child_action child_decide(const struct restart_policy *, int wstatus,
    const char *done_status, int stop_requested, int64_t ran_ms,
    int made_progress, unsigned *quick_deaths, int64_t *delay_ms);
const char *child_state_name(enum child_state);
/* "exited with status 1", "killed by signal 9 (Killed)" */
void child_describe_status(int wstatus, char *buf, size_t len);

/* output.c: the timestamped log on stdout and per-worker log files. */
#define OUTPUT_QUEUE_MAX      (1024 * 1024) /* DDB_SYNC_STDOUT_MAX_BYTES */
#define OUTPUT_DRAIN_STALL_MS 60000	    /* at exit, if nobody reads */
/* stdout without blocking, from now on (the loop exists). */
void output_init(struct sup *);
/* At exit: the queued lines out, then back to plain writes. */
void output_shutdown(void);
void output_line(struct child *, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void output_global(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void output_progress_block(struct sup *);
int output_open_log(struct child *);
void output_reopen_logs(struct sup *);
/* "2026/11/23 11:05:27" for a wall clock time in ms (local time). */
void output_timestamp(int64_t wall_ms, char *buf, size_t len);
/* One progress line ("Backfill in progress: 822 items written over 1m1s"). */
void output_progress_text(const struct child *, int64_t now_wall_ms, char *buf,
    size_t len);

/* sup.c */
int sup_start(struct sup *); /* lock, spawn; -1 if it cannot */
int sup_run(struct sup *);   /* the loop; returns the exit code */
void sup_free(struct sup *);
void sup_child_exited(struct child *);
/*
 * Operator control of one pair while the others run (the control socket).
 * 0, or -1 with a reason in err ("pair is not running", ...).
 */
int sup_pair_stop(struct child *, char *err, size_t errlen);
int sup_pair_start(struct child *, char *err, size_t errlen);
int sup_pair_restart(struct child *, char *err, size_t errlen);
struct child *sup_find_pair(struct sup *, const char *name);
void sup_check_done(struct sup *);

#endif

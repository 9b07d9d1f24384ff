/* sup.c: the supervisor's event loop: signals, restarts, shutdown, exit. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "atomicfile.h"
#include "control.h"
#include "exitcode.h"
#include "fmt.h"
#include "log.h"
#include "settings.h"
#include "metrics.h"
#include "status.h"
#include "sup.h"
#include "xmalloc.h"
#include "xtime.h"

static struct event *ev_sigint, *ev_sigterm, *ev_sighup, *ev_sigchld;

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	if (c->state != CHILD_BACKOFF || c->sup->shutting_down)
		return;
	if (child_spawn(c) == -1) {
		c->state = CHILD_FAILED;
		sup_check_done(c->sup);
		return;
	}
	/* Said when its hello tells what it resumes from. */
	c->restart_note = 1;
	status_update(c->sup);
}

/*
 * " (at most 3s old)": how old the checkpoint a restart resumes from is,
 * when this worker reported one (a later save may not have been reported
 * yet, so this bounds it); else "".
 */
static const char *
ckpt_age(const struct child *c, char *buf, size_t len)
{
	char dur[32];
	int64_t now = wall_ms();

	if (c->ckpt_wall_ms == 0) {
		buf[0] = '\0';
		return buf;
	}
	fmt_duration((uint64_t)(now > c->ckpt_wall_ms ? now - c->ckpt_wall_ms :
							0),
	    dur, sizeof(dur));
	snprintf(buf, len, " (at most %s old)", dur);
	return buf;
}

void
sup_child_exited(struct child *c)
{
	struct sup *s = c->sup;
	char how[128], dur[32], age[64];
	enum child_action act;
	int64_t delay, ran = clock_ms() - c->started_ms;
	int progress;
	struct timeval tv;

	c->pid = -1;
	if (c->restart_pending && !s->shutting_down) {
		c->restart_pending = 0;
		c->quick_deaths = 0;
		if (child_spawn(c) == -1)
			c->state = CHILD_FAILED;
		else
			output_line(c, LOG_LVL_INFO,
			    "Worker restarted by the "
			    "operator (pid %ld)",
			    (long)c->pid);
		status_update(s);
		return;
	}
	progress = c->progress_seen &&
	    c->prog.items_written + c->prog.stream_written >
		c->written_at_start;
	child_describe_status(c->status, how, sizeof(how));
	act = child_decide(&s->policy, c->status, c->done_status,
	    c->stop_requested || s->shutting_down, ran, progress,
	    &c->quick_deaths, &delay);
	if (s->check_config && act == CHILD_ACT_RESTART)
		act = CHILD_ACT_FAIL; /* a check reports, never retries */
	switch (act) {
	case CHILD_ACT_DONE:
		c->state = CHILD_DONE;
		c->differs = WIFEXITED(c->status) &&
		    WEXITSTATUS(c->status) == WORKER_EXIT_DIFFERENT;
		log_debug("%s: worker finished", c->pair->name);
		break;
	case CHILD_ACT_STOPPED:
		c->state = CHILD_STOPPED;
		if (!s->shutting_down)
			output_line(c, LOG_LVL_INFO, "Worker stopped");
		break;
	case CHILD_ACT_FAIL:
		c->state = CHILD_FAILED;
		if (c->last_error[0] == '\0')
			snprintf(c->last_error, sizeof(c->last_error),
			    "worker %s %u times in a row soon after starting",
			    how, c->quick_deaths);
		c->config_error = WIFEXITED(c->status) &&
		    WEXITSTATUS(c->status) == WORKER_EXIT_CONFIG;
		output_line(c, LOG_LVL_ERROR,
		    "Pair FAILED (worker %s)%s; the "
		    "other pairs carry on",
		    how,
		    c->config_error ?
			": fix the configuration and start it again" :
			"");
		break;
	case CHILD_ACT_RESTART:
		c->state = CHILD_BACKOFF;
		c->restarts++;
		c->next_start_ms = clock_ms() + delay;
		output_line(c, LOG_LVL_WARN,
		    "Worker crashed (%s); restarting "
		    "in %s from its checkpoint%s",
		    how, fmt_duration((uint64_t)delay, dur, sizeof(dur)),
		    ckpt_age(c, age, sizeof(age)));
		if (c->ev_timer == NULL)
			c->ev_timer = evtimer_new(s->base, restart_cb, c);
		tv.tv_sec = delay / 1000;
		tv.tv_usec = (delay % 1000) * 1000;
		evtimer_add(c->ev_timer, &tv);
		break;
	}
	status_update(s);
	sup_check_done(s);
}

/* Success, a pair's configuration or preflight failed, or another failure. */
static int
sup_exit_code(struct sup *s)
{
	int rc = SUP_EXIT_OK;

	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];

		/* A verify says "equal" only when every pair finished so. */
		if (s->verify.on && (c->state != CHILD_DONE || c->differs))
			rc = SUP_EXIT_FAILURE;
		if (c->state != CHILD_FAILED)
			continue;
		if (c->config_error)
			return SUP_EXIT_USAGE;
		rc = SUP_EXIT_FAILURE;
	}
	return rc;
}

void
sup_check_done(struct sup *s)
{
	size_t done = 0, failed = 0, running = 0;

	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];

		if (child_active(c))
			running++;
		if (c->state == CHILD_DONE)
			done++;
		else if (c->state == CHILD_FAILED)
			failed++;
	}
	if (s->shutting_down) {
		/* A stop on request is a success only for pairs that did not
		 * fail (a FAILED pair must not vanish into exit 0 under
		 * systemd); a verify stopped part-way is no verdict. */
		if (running == 0 && s->exit_code == 0)
			s->exit_code = sup_exit_code(s);
		if (running == 0)
			event_base_loopbreak(s->base);
		return;
	}
	/* Backfill-only plans end on their own; streams run until stopped. */
	if (done + failed == s->nchildren) {
		s->exit_code = sup_exit_code(s);
		event_base_loopbreak(s->base);
	}
}

struct child *
sup_find_pair(struct sup *s, const char *name)
{
	for (size_t i = 0; i < s->nchildren; i++)
		if (strcmp(s->children[i].pair->name, name) == 0)
			return &s->children[i];
	return NULL;
}

int
sup_pair_stop(struct child *c, char *err, size_t errlen)
{
	if (c->sup->shutting_down) {
		snprintf(err, errlen, "ddb-sync is shutting down");
		return -1;
	}
	switch (c->state) {
	case CHILD_RUNNING:
		if (c->stop_requested) {
			snprintf(err, errlen, "pair %s is already stopping",
			    c->pair->name);
			return -1;
		}
		c->restart_pending = 0;
		output_line(c, LOG_LVL_INFO,
		    "Stopping worker (operator "
		    "request)");
		child_stop(c, 1);
		return 0;
	case CHILD_BACKOFF:
	case CHILD_IDLE:
		if (c->ev_timer != NULL)
			evtimer_del(c->ev_timer);
		c->state = CHILD_STOPPED;
		output_line(c, LOG_LVL_INFO, "Stopped (operator request)");
		status_update(c->sup);
		return 0;
	default:
		snprintf(err, errlen, "pair %s is not running (%s)",
		    c->pair->name, child_state_name(c->state));
		return -1;
	}
}

int
sup_pair_start(struct child *c, char *err, size_t errlen)
{
	if (c->sup->shutting_down) {
		snprintf(err, errlen, "ddb-sync is shutting down");
		return -1;
	}
	if (c->state == CHILD_RUNNING) {
		snprintf(err, errlen, "pair %s is already running (pid %ld)",
		    c->pair->name, (long)c->pid);
		return -1;
	}
	if (c->ev_timer != NULL)
		evtimer_del(c->ev_timer);
	/* An operator's start is a fresh chance: forget past crashes. */
	c->quick_deaths = 0;
	c->last_error[0] = '\0';
	c->fatal_error = 0;
	if (child_spawn(c) == -1) {
		snprintf(err, errlen, "cannot start the worker of pair %s",
		    c->pair->name);
		return -1;
	}
	output_line(c, LOG_LVL_INFO,
	    "Worker started by the operator (pid "
	    "%ld)",
	    (long)c->pid);
	status_update(c->sup);
	return 0;
}

int
sup_pair_restart(struct child *c, char *err, size_t errlen)
{
	if (c->state != CHILD_RUNNING)
		return sup_pair_start(c, err, errlen);
	if (c->sup->shutting_down) {
		snprintf(err, errlen, "ddb-sync is shutting down");
		return -1;
	}
	c->restart_pending = 1;
	output_line(c, LOG_LVL_INFO, "Restarting worker (operator request)");
	child_stop(c, 1);
	return 0;
}

static void
escalate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sup *s = arg;

	output_global("Workers did not stop in time; killing them");
	for (size_t i = 0; i < s->nchildren; i++)
		child_kill(&s->children[i]);
}

static void
begin_shutdown(struct sup *s, const char *why)
{
	struct timeval tv;
	int64_t ms = settings_int(SETTING_SHUTDOWN_TIMEOUT_MS);

	s->shutting_down = 1;
	output_global("%s: stopping workers (they write their checkpoints; "
		      "send SIGINT again to stop at once)",
	    why);
	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];

		if (c->ev_timer != NULL)
			evtimer_del(c->ev_timer);
		if (c->state == CHILD_BACKOFF || c->state == CHILD_IDLE)
			c->state = CHILD_STOPPED;
		/* The shutdown has its own deadline (escalate_cb). */
		if (child_active(c))
			child_stop(c, 0);
	}
	s->ev_shutdown = evtimer_new(s->base, escalate_cb, s);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->ev_shutdown, &tv);
	sup_check_done(s);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct sup *s = arg;

	switch (sig) {
	case SIGCHLD:
		child_reap_all(s);
		break;
	case SIGHUP:
		output_reopen_logs(s);
		output_global("SIGHUP: per-worker log files reopened");
		break;
	case SIGINT:
	case SIGTERM:
		if (!s->shutting_down) {
			begin_shutdown(s, sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		/* Second signal: stop now. Checkpoints are written
		 * atomically, so whatever is on disk is consistent. */
		output_global("Stopping at once");
		for (size_t i = 0; i < s->nchildren; i++)
			child_kill(&s->children[i]);
		s->exit_code = SUP_EXIT_INTERRUPTED;
		event_base_loopbreak(s->base);
		break;
	}
}

static void
progress_cb(evutil_socket_t fd, short what, void *arg)
{
	output_progress_block(arg);
}

/* One supervisor per state directory: a second one would race the first
 * for the same checkpoints. */
static int
lock_state_dir(struct sup *s)
{
	char *path, pid[32], err[1024];
	int n;

	if (atomicfile_mkdirs(s->state_dir, 0700) == -1) {
		log_warn("cannot create state directory %s", s->state_dir);
		return -1;
	}
	/* Nobody else may write where checkpoints and logs live. */
	xasprintf(&path, "%s/pairs", s->state_dir);
	if (atomicfile_check_dir(s->state_dir, 1, err, sizeof(err)) == -1 ||
	    atomicfile_check_dir(path, 0, err, sizeof(err)) == -1) {
		log_warnx("state directory refused: %s", err);
		free(path);
		return -1;
	}
	free(path);
	/* A verify runs beside the copy, one verify at a time. */
	xasprintf(&path, "%s/%s", s->state_dir,
	    s->verify.on ? "verify.lock" : "supervisor.lock");
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (s->lock_fd == -1) {
		log_warn("%s", path);
		free(path);
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		char other[32] = "";
		ssize_t r = pread(s->lock_fd, other, sizeof(other) - 1, 0);

		if (r > 0)
			other[strcspn(other, "\n")] = '\0';
		log_warnx("state directory %s is in use by another ddb-sync%s "
			  "(pid %s); use another --state-dir",
		    s->state_dir, s->verify.on ? " verify" : "",
		    r > 0 ? other : "unknown");
		free(path);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) == -1 ||
	    pwrite(s->lock_fd, pid, (size_t)n, 0) != n)
		log_warn("%s", path);
	free(path);
	return 0;
}

int
sup_start(struct sup *s)
{
	struct timeval tv;

	s->hello_timeout_ms = settings_int(SETTING_HELLO_TIMEOUT_MS);
	s->stop_grace_ms = settings_int(SETTING_STOP_GRACE_MS);
	/* A configuration check may run beside a live migration. */
	if (!s->check_config && lock_state_dir(s) == -1)
		return -1;
	if ((s->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	ev_sigint = evsignal_new(s->base, SIGINT, signal_cb, s);
	ev_sigterm = evsignal_new(s->base, SIGTERM, signal_cb, s);
	ev_sighup = evsignal_new(s->base, SIGHUP, signal_cb, s);
	ev_sigchld = evsignal_new(s->base, SIGCHLD, signal_cb, s);
	evsignal_add(ev_sigint, NULL);
	evsignal_add(ev_sigterm, NULL);
	evsignal_add(ev_sighup, NULL);
	evsignal_add(ev_sigchld, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A configuration check reports and ends: plain writes suffice. */
	if (!s->check_config)
		output_init(s);
	/* The control socket: only with the state directory's lock. */
	if (!s->check_config && !s->verify.on && control_init(s) == -1)
		return -1;
	/* /metrics: a bad address or a port in use ends the run (exit 2). */
	s->started_wall_ms = wall_ms();
	if (!s->check_config && metrics_init(s) == -1)
		return -1;

	for (size_t i = 0; i < s->nchildren && !s->check_config; i++) {
		struct child *c = &s->children[i];
		char *dir;

		xasprintf(&dir, "%s/pairs/%s", s->state_dir, c->pair->name);
		if (atomicfile_mkdirs(dir, 0700) == -1)
			log_warn("cannot create %s", dir);
		free(dir);
		output_open_log(c);
	}
	if (s->progress_ms > 0) {
		s->ev_progress = event_new(s->base, -1, EV_PERSIST, progress_cb,
		    s);
		tv.tv_sec = s->progress_ms / 1000;
		tv.tv_usec = (s->progress_ms % 1000) * 1000;
		evtimer_add(s->ev_progress, &tv);
	}
	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];

		if (child_spawn(c) == -1)
			c->state = CHILD_FAILED;
	}
	status_update(s);
	sup_check_done(s);
	return 0;
}

int
sup_run(struct sup *s)
{
	event_base_dispatch(s->base);
	/* Reap what exited while the loop was ending. */
	child_reap_all(s);
	status_final(s);
	return s->exit_code;
}

void
sup_free(struct sup *s)
{
	metrics_free(s);
	control_free(s);
	for (size_t i = 0; i < s->nchildren; i++)
		child_free(&s->children[i]);
	if (s->ev_progress != NULL)
		event_free(s->ev_progress);
	if (s->ev_shutdown != NULL)
		event_free(s->ev_shutdown);
	if (ev_sigint != NULL) {
		event_free(ev_sigint);
		event_free(ev_sigterm);
		event_free(ev_sighup);
		event_free(ev_sigchld);
	}
	/* After the signal events: a Ctrl-C now ends a wait for a reader. */
	output_shutdown();
	if (s->base != NULL)
		event_base_free(s->base);
	if (s->lock_fd != -1)
		close(s->lock_fd);
	free(s->children);
}

/* child.c: fork/exec one worker per pair, read its channel, reap, restart. */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "budget.h"
#include "compat.h"
#include "exitcode.h"
#include "fmt.h"
#include "log.h"
#include "status.h"
#include "sup.h"
#include "xmalloc.h"
#include "xtime.h"

const char *
child_state_name(enum child_state s)
{
	switch (s) {
	case CHILD_IDLE:
		return "idle";
	case CHILD_RUNNING:
		return "running";
	case CHILD_BACKOFF:
		return "restarting";
	case CHILD_STOPPED:
		return "stopped";
	case CHILD_DONE:
		return "done";
	case CHILD_FAILED:
		return "failed";
	}
	return "unknown";
}

void
child_describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", st);
}

enum child_action
child_decide(const struct restart_policy *p, int st, const char *done_status,
    int stop_requested, int64_t ran_ms, int made_progress,
    unsigned *quick_deaths, int64_t *delay_ms)
{
	int64_t d;
	unsigned n;

	*delay_ms = 0;
	if (WIFEXITED(st)) {
		int code = WEXITSTATUS(st);

		if (code == WORKER_EXIT_CONFIG || code == WORKER_EXIT_PERMANENT)
			return CHILD_ACT_FAIL;
		if ((code == 0 || code == WORKER_EXIT_DIFFERENT) &&
		    strcmp(done_status, "complete") == 0)
			return CHILD_ACT_DONE;
		if (code == 0 &&
		    (stop_requested || strcmp(done_status, "stopped") == 0))
			return CHILD_ACT_STOPPED;
	}
	/* Any other end is a crash, unless we were stopping it anyway. */
	if (stop_requested)
		return CHILD_ACT_STOPPED;
	if (!made_progress && ran_ms < p->quick_ms)
		(*quick_deaths)++;
	else
		*quick_deaths = 0;
	if (*quick_deaths >= p->max_quick)
		return CHILD_ACT_FAIL;
	d = p->base_ms;
	for (n = 0; n < *quick_deaths && d < p->max_ms; n++)
		d *= 2;
	*delay_ms = d > p->max_ms ? p->max_ms : d;
	return CHILD_ACT_RESTART;
}

void
child_init(struct child *c, struct sup *s, struct plan_pair *p)
{
	memset(c, 0, sizeof(*c));
	c->sup = s;
	c->pair = p;
	c->fd = c->errfd = -1;
	c->pid = -1;
	c->state = CHILD_IDLE;
	c->backfill = PROTO_PS_PENDING;
	c->stream = PROTO_PS_PENDING;
	plan_pair_label(p, c->label, sizeof(c->label));
	c->prog.stream_latency_ms = -1;
	c->prog.spool_oldest_ms = -1;
	c->prog.spool_read_lag_ms = -1;
}

int
child_active(const struct child *c)
{
	return c->pid != -1;
}

static void
close_channel(struct child *c)
{
	if (c->ev_read != NULL) {
		event_free(c->ev_read);
		c->ev_read = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->eof = 1;
}

static void
close_stderr(struct child *c)
{
	if (c->errlen > 0) {
		output_line(c, LOG_LVL_WARN, "worker: %.*s", (int)c->errlen,
		    c->errbuf);
		c->errlen = 0;
	}
	if (c->ev_err != NULL) {
		event_free(c->ev_err);
		c->ev_err = NULL;
	}
	if (c->errfd != -1) {
		close(c->errfd);
		c->errfd = -1;
	}
}

/* "Worker restarted", once per restart: with what it resumes from when
 * its hello says, else when it ends without one. */
static void
announce_restart(struct child *c, const char *resume)
{
	if (!c->restart_note)
		return;
	c->restart_note = 0;
	if (resume != NULL && resume[0] != '\0')
		output_line(c, LOG_LVL_INFO,
		    "Worker restarted (restart %u, "
		    "pid %ld) from its checkpoint: %s",
		    c->restarts, (long)c->pid, resume);
	else
		output_line(c, LOG_LVL_INFO,
		    "Worker restarted (restart %u, "
		    "pid %ld)",
		    c->restarts, (long)c->pid);
}

/* The timer follows the session's next deadline (hello, SIGKILL). */
static void
arm_proto_timer(struct child *c)
{
	int64_t d = proto_session_deadline(&c->sess), now = clock_ms();
	struct timeval tv;

	if (c->ev_proto == NULL)
		return;
	if (d == INT64_MAX || c->exited) {
		evtimer_del(c->ev_proto);
		return;
	}
	d = d > now ? d - now : 0;
	tv.tv_sec = d / 1000;
	tv.tv_usec = (d % 1000) * 1000;
	evtimer_add(c->ev_proto, &tv);
}

static void
report_protocol_error(struct child *c, const char *why)
{
	announce_restart(c, NULL);
	output_line(c, LOG_LVL_ERROR,
	    "protocol error from worker (pid %ld):"
	    " %s",
	    (long)c->pid, why);
	snprintf(c->last_error, sizeof(c->last_error), "protocol error: %s",
	    why);
	c->acc.errors_protocol++;
	/* A done it sent no longer counts: its end is a crash. */
	c->done_status[0] = '\0';
}

/* Both the exit status and the channel EOF are in: the child is gone. */
static void
maybe_finished(struct child *c)
{
	char why[256];
	int st;

	if (!c->exited || !c->eof)
		return;
	st = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
	if (proto_session_exit(&c->sess, st, why, sizeof(why)) ==
	    PROTO_VERDICT_ERROR)
		report_protocol_error(c, why);
	announce_restart(c, NULL);
	arm_proto_timer(c);
	close_stderr(c);
	sup_child_exited(c);
	/* Its share goes to the pairs left on its tables. */
	budget_rebalance(c->sup);
}

/*
 * A worker that breaks the protocol is stopped and handled as crashed
 * (PROTOCOL.md 5): SIGTERM now, SIGKILL after the grace if it is still
 * there; its channel is not read any more.
 */
static void
protocol_error(struct child *c, const char *why)
{
	report_protocol_error(c, why);
	if (c->pid != -1 && !c->exited) {
		kill(c->pid, SIGTERM);
		proto_session_stop(&c->sess, clock_ms(), c->sup->stop_grace_ms);
		arm_proto_timer(c);
	}
	close_channel(c);
	maybe_finished(c);
}

static void
proto_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	char why[256], dur[32];

	/* Reaped: its pid may already be another process's. */
	if (c->exited)
		return;
	switch (proto_session_tick(&c->sess, clock_ms(), why, sizeof(why))) {
	case PROTO_VERDICT_ERROR:
		protocol_error(c, why);
		return;
	case PROTO_VERDICT_KILL:
		output_line(c, LOG_LVL_WARN,
		    "Worker (pid %ld) did not stop "
		    "within %s of SIGTERM; killing it",
		    (long)c->pid,
		    fmt_duration((uint64_t)c->sup->stop_grace_ms, dur,
			sizeof(dur)));
		if (c->pid != -1)
			kill(c->pid, SIGKILL);
		break;
	default:
		break;
	}
	arm_proto_timer(c);
}

static void
handle_phase(struct child *c, const struct proto_phase_msg *m)
{
	char dur[32];
	int verify = c->sup->verify.on;
	const char *what = m->phase == PROTO_PHASE_BACKFILL ?
	    verify ? "Verify" : "Backfill" :
	    "Stream";
	int64_t now = wall_ms();

	if (m->phase == PROTO_PHASE_BACKFILL)
		c->backfill = m->state;
	else
		c->stream = m->state;
	/* A backfill over reads no more: the others' read shares grow. */
	budget_rebalance(c->sup);
	switch (m->state) {
	case PROTO_PS_RUNNING:
		if (m->from_checkpoint)
			break;
		c->phase_started_ms = now - (int64_t)m->duration_ms;
		if (m->phase == PROTO_PHASE_STREAM)
			output_line(c, LOG_LVL_INFO, "Streaming started");
		break;
	case PROTO_PS_COMPLETE:
		if (m->phase == PROTO_PHASE_BACKFILL) {
			c->backfill_items = m->items;
			c->backfill_ms = m->duration_ms;
		}
		/* A resumed worker restates it; the log said so before. */
		if (m->from_checkpoint)
			break;
		output_line(c, LOG_LVL_INFO,
		    "%s complete. %llu items %s "
		    "over %s",
		    what, (unsigned long long)m->items,
		    verify ? "checked" : "written",
		    fmt_duration(m->duration_ms, dur, sizeof(dur)));
		break;
	case PROTO_PS_SKIPPED:
		if (!verify)
			output_line(c, LOG_LVL_INFO,
			    "%s skipped (disabled for "
			    "this pair)",
			    what);
		break;
	case PROTO_PS_FAILED:
		output_line(c, LOG_LVL_ERROR, "%s failed: %s", what, m->detail);
		break;
	default:
		break;
	}
}

/* Consumed capacity per second for ctl list and the status table, over
 * 5 s or more (the counters are the worker's run's). */
static void
capacity_rates(struct child *c)
{
	int64_t now = clock_ms();
	double dt;

	if (c->cap_t == 0 || c->prog.rcu < c->cap_rcu ||
	    c->prog.wcu < c->cap_wcu) {
		c->cap_t = now;
		c->cap_rcu = c->prog.rcu;
		c->cap_wcu = c->prog.wcu;
		return;
	}
	if (now - c->cap_t < 5000)
		return;
	dt = (double)(now - c->cap_t) / 1000.0;
	c->rcu_rate = (c->prog.rcu - c->cap_rcu) / dt;
	c->wcu_rate = (c->prog.wcu - c->cap_wcu) / dt;
	c->cap_t = now;
	c->cap_rcu = c->prog.rcu;
	c->cap_wcu = c->prog.wcu;
}

static void
handle_msg(struct child *c, const struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_HELLO:
		/* The session checked its pair and pid. */
		strlcpy(c->resume, m->u.hello.resume, sizeof(c->resume));
		announce_restart(c, c->resume);
		/* Its share of the tables' limits, first thing. */
		c->lim_valid = 0;
		budget_rebalance(c->sup);
		break;
	case PROTO_LOG:
		if (m->u.log.level == PROTO_LVL_DEBUG && !c->sup->verbose)
			break;
		output_line(c, (int)m->u.log.level, "%s", m->u.log.msg);
		break;
	case PROTO_PHASE:
		handle_phase(c, &m->u.phase);
		status_update(c->sup);
		break;
	case PROTO_PROGRESS:
		/* Counters of the run, summed over runs (metrics.c). */
		metrics_acc_progress(&c->acc, &c->prog, &m->u.progress,
		    !c->progress_seen);
		c->prog = m->u.progress;
		capacity_rates(c);
		if (c->lim_outlen > 0)
			budget_flush(c);
		/* What it resumed with: progress is measured from here. */
		if (!c->progress_seen) {
			c->progress_seen = 1;
			c->written_at_start = c->prog.items_written +
			    c->prog.stream_written;
		}
		break;
	case PROTO_CHECKPOINT:
		/* The restart line says how old the last checkpoint was. */
		c->ckpt_wall_ms = wall_ms();
		if (m->u.checkpoint.done && c->sup->verbose)
			output_line(c, LOG_LVL_DEBUG,
			    "checkpoint: %s %s "
			    "finished, %llu items",
			    m->u.checkpoint.kind, m->u.checkpoint.id,
			    (unsigned long long)m->u.checkpoint.items);
		break;
	case PROTO_ERROR:
		snprintf(c->last_error, sizeof(c->last_error), "%s: %s",
		    m->u.error.code, m->u.error.msg);
		c->fatal_error = m->u.error.fatal;
		if (m->u.error.fatal)
			c->acc.errors_fatal++;
		else
			c->acc.errors_nonfatal++;
		output_line(c, LOG_LVL_ERROR, "%s", m->u.error.msg);
		break;
	case PROTO_WARNING:
		/* A call retrying for a while: its reason stays in the row
		 * until the worker says it recovered. */
		if (strcmp(m->u.warning.code, "recovered") == 0) {
			c->retrying[0] = '\0';
			output_line(c, LOG_LVL_INFO, "%s", m->u.warning.msg);
			status_update(c->sup);
			break;
		}
		if (strcmp(m->u.warning.code, "retrying") == 0) {
			strlcpy(c->retrying, m->u.warning.msg,
			    sizeof(c->retrying));
			status_update(c->sup);
		}
		output_line(c, LOG_LVL_WARN, "%s", m->u.warning.msg);
		break;
	case PROTO_DONE:
		strlcpy(c->done_status, m->u.done.status,
		    sizeof(c->done_status));
		break;
	default:
		break;
	}
}

/* Why the reader stopped, in words a log reader understands. */
static const char *
reader_why(const struct proto_reader *r)
{
	if (r->error == EMSGSIZE || r->error == ENOBUFS)
		return "line longer than the protocol maximum (16384 bytes)";
	return proto_reader_errstr(r);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	char buf[PROTO_READ_MAX], err[256], why[256];
	struct proto_msg m;
	const char *line;
	size_t linelen;
	ssize_t n;
	int r;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* A line cut short is the last thing it wrote. */
			if (proto_session_eof(&c->sess,
				proto_reader_pending(&c->reader), err,
				sizeof(err)) == PROTO_VERDICT_ERROR) {
				protocol_error(c, err);
				return;
			}
			close_channel(c);
			maybe_finished(c);
			return;
		}
		if (proto_reader_feed(&c->reader, buf, (size_t)n) == -1)
			goto bad;
		while (
		    (r = proto_reader_next(&c->reader, &line, &linelen)) == 1) {
			if (proto_decode(line, linelen, &m, err, sizeof(err)) ==
			    -1) {
				if (proto_session_bad_line(&c->sess, err, why,
					sizeof(why)) == PROTO_VERDICT_ERROR)
					protocol_error(c, why);
				return;
			}
			if (proto_session_message(&c->sess, PROTO_DIR_WORKER,
				&m, err, sizeof(err)) == PROTO_VERDICT_ERROR) {
				protocol_error(c, err);
				return;
			}
			handle_msg(c, &m);
			arm_proto_timer(c);
			if (c->fd == -1)
				return;
		}
		if (r == -1)
			goto bad;
	}
bad:
	if (proto_session_bad_line(&c->sess, reader_why(&c->reader), err,
		sizeof(err)) == PROTO_VERDICT_ERROR)
		protocol_error(c, err);
}

static void
err_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	ssize_t n;
	char *nl;

	for (;;) {
		n = read(fd, c->errbuf + c->errlen,
		    sizeof(c->errbuf) - c->errlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_stderr(c);
			return;
		}
		c->errlen += (size_t)n;
		/* Whatever a worker prints outside the protocol (a sanitizer
		 * report, a libc abort) goes to the logs, line by line. */
		while ((nl = memchr(c->errbuf, '\n', c->errlen)) != NULL) {
			size_t l = (size_t)(nl - c->errbuf);

			output_line(c, LOG_LVL_WARN, "worker: %.*s", (int)l,
			    c->errbuf);
			memmove(c->errbuf, nl + 1, c->errlen - l - 1);
			c->errlen -= l + 1;
		}
		if (c->errlen == sizeof(c->errbuf)) {
			output_line(c, LOG_LVL_WARN, "worker: %.*s",
			    (int)c->errlen, c->errbuf);
			c->errlen = 0;
		}
	}
}

static char **
worker_argv(struct child *c)
{
	struct sup *s = c->sup;
	char **pa, **argv;
	size_t n, i = 0, k;
	int v;

	pa = plan_pair_to_argv(c->pair, &n);
	argv = xcalloc(n + 18 + (size_t)(s->verbose > 0 ? s->verbose : 0),
	    sizeof(*argv));
	argv[i++] = xstrdup(s->worker_path);
	for (k = 0; k < n; k++)
		argv[i++] = xstrdup(pa[k]);
	plan_argv_free(pa);
	xasprintf(&argv[i++], "--state-dir=%s", s->state_dir);
	argv[i++] = xstrdup("--supervised");
	if (s->check_config)
		argv[i++] = xstrdup("--check-config");
	/* A fleet: the coordination table and this host (docs/fleet.md). */
	if (s->host_id != NULL) {
		const struct plan_coord *co = s->plan->coord;

		xasprintf(&argv[i++], "--coord-table=%s", co->table);
		xasprintf(&argv[i++], "--coord-region=%s", co->region);
		if (co->role_arn != NULL)
			xasprintf(&argv[i++], "--coord-role-arn=%s",
			    co->role_arn);
		if (co->endpoint != NULL)
			xasprintf(&argv[i++], "--coord-endpoint-url=%s",
			    co->endpoint);
		if (co->allow_insecure_http)
			argv[i++] = xstrdup("--coord-allow-insecure-http");
		xasprintf(&argv[i++], "--host-id=%s", s->host_id);
	}
	if (s->verify.on) {
		argv[i++] = xstrdup("--verify");
		if (s->verify.sample_ppm != 0)
			xasprintf(&argv[i++], "--verify-sample-ppm=%u",
			    s->verify.sample_ppm);
		if (s->verify.repair)
			argv[i++] = xstrdup("--verify-repair");
		if (s->verify.delete_extra)
			argv[i++] = xstrdup("--verify-delete-extra");
		if (s->verify.report != NULL)
			xasprintf(&argv[i++], "--verify-report=%s",
			    s->verify.report);
		if (s->verify.recheck_ms >= 0)
			xasprintf(&argv[i++], "--verify-recheck-ms=%lld",
			    (long long)s->verify.recheck_ms);
	}
	for (v = 0; v < s->verbose; v++)
		argv[i++] = xstrdup("-v");
	argv[i] = NULL;
	return argv;
}

static void
argv_free(char **argv)
{
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
child_spawn(struct child *c)
{
	struct sup *s = c->sup;
	int chan[2] = { -1, -1 }, errp[2] = { -1, -1 }, devnull;
	char **argv;
	sigset_t all, old;
	pid_t pid;

	/* Both ways: the worker reports, the supervisor sends its shares. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1) {
		output_line(c, LOG_LVL_ERROR, "cannot start worker: %s: %s",
		    chan[0] == -1 ? "socketpair" : "pipe", strerror(errno));
		goto fail;
	}
	argv = worker_argv(c);
	/*
	 * As tmux's job.c: no signal is handled between fork and exec. Until
	 * the child resets them, it has the supervisor's handlers, and
	 * libevent's would report a signal the child gets (a Ctrl-C before
	 * its setpgid) to the parent a second time, as "stop at once".
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		output_line(c, LOG_LVL_ERROR, "cannot start worker: fork: %s",
		    strerror(errno));
		argv_free(argv);
		goto fail;
	}
	if (pid == 0) {
		/* A terminal's signals that reached us before the setpgid
		 * are the supervisor's to act on: ignoring drops them. */
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTSTP, SIG_IGN);
		/* Own process group: a terminal's Ctrl-C reaches only the
		 * supervisor, which decides how workers stop. */
		setpgid(0, 0);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		/* The worker starts with no signal blocked, whatever the
		 * supervisor's own mask. */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		devnull = open("/dev/null", O_RDONLY);
		if (devnull != -1)
			dup2(devnull, 0);
		/* The channel on fd 3, as in smtpd; nothing else open. */
		if (dup2(chan[1], 3) == -1 || dup2(errp[1], 2) == -1 ||
		    dup2(errp[1], 1) == -1)
			_exit(127);
		closefrom(4);
		execv(argv[0], argv);
		dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	argv_free(argv);
	close(chan[1]);
	close(errp[1]);
	c->pid = pid;
	c->fd = chan[0];
	c->errfd = errp[0];
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
	proto_reader_init(&c->reader);
	c->errlen = 0;
	c->exited = c->eof = 0;
	c->stop_requested = 0;
	c->done_status[0] = '\0';
	c->resume[0] = '\0';
	c->ckpt_wall_ms = 0;
	c->retrying[0] = '\0';
	c->lim_valid = c->lim_pending = 0;
	c->lim_outlen = 0;
	c->cap_t = 0;
	c->rcu_rate = c->wcu_rate = -1;
	c->ev_read = event_new(s->base, c->fd, EV_READ | EV_PERSIST, read_cb,
	    c);
	c->ev_err = event_new(s->base, c->errfd, EV_READ | EV_PERSIST, err_cb,
	    c);
	if (c->ev_read == NULL || c->ev_err == NULL)
		fatalx("event_new");
	event_add(c->ev_read, NULL);
	event_add(c->ev_err, NULL);
	c->state = CHILD_RUNNING;
	c->started_ms = clock_ms();
	proto_session_init(&c->sess, (int64_t)pid, c->pair->name, c->started_ms,
	    s->hello_timeout_ms);
	if (c->ev_proto == NULL &&
	    (c->ev_proto = evtimer_new(s->base, proto_timer_cb, c)) == NULL)
		fatalx("evtimer_new");
	arm_proto_timer(c);
	c->progress_seen = 0;
	log_debug("%s: worker started, pid %ld", c->pair->name, (long)pid);
	/* One more pair on its tables: the others' shares shrink now, before
	 * it sends anything. */
	budget_rebalance(s);
	return 0;
fail:
	if (chan[0] != -1) {
		close(chan[0]);
		close(chan[1]);
	}
	if (errp[0] != -1) {
		close(errp[0]);
		close(errp[1]);
	}
	return -1;
}

void
child_stop(struct child *c, int escalate)
{
	c->stop_requested = 1;
	if (c->pid == -1 || c->exited)
		return;
	/* It sends nothing new from now: its share goes to the others. */
	budget_rebalance(c->sup);
	kill(c->pid, SIGTERM);
	if (escalate) {
		proto_session_stop(&c->sess, clock_ms(), c->sup->stop_grace_ms);
		arm_proto_timer(c);
	}
}

void
child_kill(struct child *c)
{
	c->stop_requested = 1;
	if (c->pid != -1)
		kill(c->pid, SIGKILL);
}

void
child_reap_all(struct sup *s)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < s->nchildren; i++) {
			struct child *c = &s->children[i];

			if (c->pid != pid)
				continue;
			c->exited = 1;
			c->status = st;
			arm_proto_timer(c);
			/* Leftovers of its process group, if any. */
			kill(-pid, SIGKILL);
			maybe_finished(c);
			break;
		}
	}
}

void
child_free(struct child *c)
{
	close_channel(c);
	close_stderr(c);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	if (c->ev_proto != NULL)
		event_free(c->ev_proto);
	if (c->logf != NULL)
		fclose(c->logf);
	free(c->log_path);
}

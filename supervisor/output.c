/* output.c: the timestamped log (stdout), per-worker log files, progress. */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "fmt.h"
#include "log.h"
#include "outfd.h"
#include "settings.h"
#include "status.h"
#include "sup.h"
#include "xmalloc.h"
#include "xtime.h"

void
output_timestamp(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y/%m/%d %H:%M:%S", &tm) == 0 && len > 0)
		buf[0] = '\0';
}

static const char *
level_prefix(int level)
{
	switch (level) {
	case LOG_LVL_ERROR:
		return "error: ";
	case LOG_LVL_WARN:
		return "warning: ";
	default:
		return "";
	}
}

/*
 * stdout never blocks the supervisor (a paused pager, a terminal at XOFF, a
 * slow journald would otherwise stall every worker and the control socket).
 * Lines wait in a queue of at most OUTPUT_QUEUE_MAX bytes and leave as the
 * descriptor takes them (outfd.c, an EV_WRITE event). When the queue is
 * full the oldest lines not yet started are dropped, and a line saying how
 * many takes their place; the per-pair worker.log files, written directly,
 * keep every line of their pair. Until output_init() (and for a
 * configuration check) lines are written the plain, blocking way.
 */
struct oline {
	TAILQ_ENTRY(oline) entry;
	size_t len;
	uint64_t lines; /* a notice: the lines it counts */
	int notice;
	char text[];
};

static struct {
	int on;
	struct outfd out;
	struct event *ev_write;
	TAILQ_HEAD(olines, oline) q;
	size_t bytes; /* queued, the head's sent part too */
	size_t max;
	size_t off;	  /* bytes of the head written */
	uint64_t dropped; /* lines dropped, not yet said */
	int broken;
} so;

static struct oline *
oline_new(const char *text, size_t len)
{
	struct oline *l = xmalloc(sizeof(*l) + len);

	memcpy(l->text, text, len);
	l->len = len;
	l->lines = 0;
	l->notice = 0;
	for (size_t i = 0; i < len; i++)
		l->lines += text[i] == '\n';
	return l;
}

static void
oline_remove(struct oline *l)
{
	TAILQ_REMOVE(&so.q, l, entry);
	so.bytes -= l->len;
	free(l);
}

/* Drop the oldest line not being written; -1 if there is none. */
static int
drop_oldest(void)
{
	struct oline *l = TAILQ_FIRST(&so.q);

	if (l != NULL && so.off > 0)
		l = TAILQ_NEXT(l, entry);
	if (l == NULL)
		return -1;
	so.dropped += l->lines;
	oline_remove(l);
	return 0;
}

/* Where lines were dropped, a line says so (itself droppable: it then
 * adds its count to the next one). */
static void
add_notice(void)
{
	char ts[32], *text;
	struct oline *l;
	int n;

	output_timestamp(wall_ms(), ts, sizeof(ts));
	n = xasprintf(&text,
	    "%s %llu log line%s dropped: stdout was not read "
	    "fast enough (each pair's worker.log has all of its lines)\n",
	    ts, (unsigned long long)so.dropped, so.dropped == 1 ? "" : "s");
	l = oline_new(text, (size_t)n);
	free(text);
	l->notice = 1;
	l->lines = so.dropped;
	so.dropped = 0;
	TAILQ_INSERT_HEAD(&so.q, l, entry);
	so.bytes += l->len;
}

/* Write what stdout takes now; wait for EV_WRITE for the rest. */
static void
flush_queue(void)
{
	struct oline *l;
	ssize_t n;

	while (!so.broken) {
		if (so.off == 0 && so.dropped > 0)
			add_notice();
		if ((l = TAILQ_FIRST(&so.q)) == NULL)
			break;
		n = outfd_write(&so.out, l->text + so.off, l->len - so.off);
		if (n == -1) {
			/* Nobody will read stdout again (EPIPE): the logs
			 * files still get everything. */
			so.broken = 1;
			while ((l = TAILQ_FIRST(&so.q)) != NULL)
				oline_remove(l);
			so.off = 0;
			break;
		}
		if (n == 0) {
			if (so.ev_write != NULL)
				event_add(so.ev_write, NULL);
			return;
		}
		so.off += (size_t)n;
		if (so.off == l->len) {
			so.off = 0;
			oline_remove(l);
		}
	}
	if (so.ev_write != NULL)
		event_del(so.ev_write);
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	flush_queue();
}

static void
enqueue(const char *text)
{
	size_t len = strlen(text);
	struct oline *l;

	if (so.broken)
		return;
	l = oline_new(text, len);
	while (so.bytes + len > so.max && drop_oldest() == 0)
		;
	if (so.bytes + len > so.max && so.bytes > 0) {
		/* Only a line on its way is left: this one goes. */
		so.dropped += l->lines;
		free(l);
	} else {
		TAILQ_INSERT_TAIL(&so.q, l, entry);
		so.bytes += len;
	}
	flush_queue();
}

void
output_init(struct sup *s)
{
	memset(&so, 0, sizeof(so));
	TAILQ_INIT(&so.q);
	so.max = (size_t)settings_int(SETTING_STDOUT_MAX_BYTES);
	/* Room for a line and the notice, whatever a test asks. */
	if (so.max < 4096)
		so.max = 4096;
	fflush(stdout);
	outfd_open(&so.out, STDOUT_FILENO);
	if (so.out.fd == -1)
		return;
	so.ev_write = event_new(s->base, so.out.fd, EV_WRITE, write_cb, NULL);
	if (so.ev_write == NULL)
		fatalx("event_new");
	so.on = 1;
}

void
output_shutdown(void)
{
	struct pollfd pfd;
	struct oline *l;
	int64_t quiet = 0;
	size_t before;

	if (!so.on)
		return;
	if (so.ev_write != NULL) {
		event_free(so.ev_write);
		so.ev_write = NULL;
	}
	/* The last lines too, unless nobody reads for a minute. */
	while (!so.broken && (so.dropped > 0 || !TAILQ_EMPTY(&so.q)) &&
	    quiet < OUTPUT_DRAIN_STALL_MS) {
		before = so.bytes - so.off;
		flush_queue();
		if (so.bytes - so.off == before && !TAILQ_EMPTY(&so.q)) {
			pfd.fd = so.out.fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, 100);
			quiet += 100;
		} else
			quiet = 0;
	}
	while ((l = TAILQ_FIRST(&so.q)) != NULL)
		oline_remove(l);
	outfd_close(&so.out);
	so.on = 0;
}

/* Write a whole line to stdout without tearing the status table. */
static void
emit(const char *line)
{
	status_before_output();
	if (so.on)
		enqueue(line);
	else {
		fputs(line, stdout);
		fflush(stdout);
	}
	status_after_output();
}

void
output_line(struct child *c, int level, const char *fmt, ...)
{
	char raw[PROTO_TEXT_MAX + 256], msg[PROTO_TEXT_MAX + 256], ts[32];
	char *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* One line per event: a worker's text can neither forge a line, nor
	 * drive the terminal, nor show a credential. */
	fmt_printable_str(msg, sizeof(msg), raw);
	output_timestamp(wall_ms(), ts, sizeof(ts));
	xasprintf(&line, "%s %s: %s%s\n", ts, c->label, level_prefix(level),
	    msg);
	emit(line);
	free(line);
	if (c->logf != NULL) {
		fprintf(c->logf, "%s %s%s\n", ts, level_prefix(level), msg);
		fflush(c->logf);
	}
}

void
output_global(const char *fmt, ...)
{
	char msg[2048], ts[32], *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	output_timestamp(wall_ms(), ts, sizeof(ts));
	xasprintf(&line, "%s %s\n", ts, msg);
	emit(line);
	free(line);
}

void
output_progress_text(const struct child *c, int64_t now, char *buf, size_t len)
{
	char dur[32];
	uint64_t since = c->phase_started_ms > 0 && now > c->phase_started_ms ?
	    (uint64_t)(now - c->phase_started_ms) :
	    0;

	fmt_duration(since, dur, sizeof(dur));
	if (c->state == CHILD_FAILED) {
		char err[sizeof(c->last_error)];

		snprintf(buf, len, "FAILED: %s",
		    c->last_error[0] ?
			fmt_printable_str(err, sizeof(err), c->last_error) :
			"worker kept crashing");
		return;
	}
	if (c->state == CHILD_BACKOFF) {
		snprintf(buf, len, "Restarting (restart %u)", c->restarts);
		return;
	}
	if (c->sup->verify.on) {
		/* The counts of each kind are in the worker's last line. */
		if (c->state == CHILD_DONE)
			snprintf(buf, len,
			    "Verify complete: %llu items checked "
			    "over %s: %s",
			    (unsigned long long)c->backfill_items,
			    fmt_duration(c->backfill_ms, dur, sizeof(dur)),
			    c->differs ? "the tables DIFFER (see "
					 "the log and the report)" :
					 "the tables are equal");
		else
			snprintf(buf, len, "Verify %s: %llu items checked",
			    c->state == CHILD_STOPPED ? "stopped (run it again "
							"to resume)" :
							"in progress",
			    (unsigned long long)c->prog.items_written);
		return;
	}
	if (c->state == CHILD_STOPPED) {
		if (c->stream == PROTO_PS_RUNNING ||
		    c->stream == PROTO_PS_STOPPED)
			snprintf(buf, len,
			    "Stopped while streaming: %llu "
			    "changes applied",
			    (unsigned long long)c->prog.stream_written);
		else if (c->backfill == PROTO_PS_RUNNING ||
		    c->backfill == PROTO_PS_STOPPED)
			snprintf(buf, len,
			    "Stopped during the backfill: %llu "
			    "items written",
			    (unsigned long long)c->prog.items_written);
		else if (c->backfill == PROTO_PS_COMPLETE)
			snprintf(buf, len,
			    "Stopped after the backfill: %llu "
			    "items written",
			    (unsigned long long)c->backfill_items);
		else
			snprintf(buf, len,
			    "Stopped before copying anything "
			    "(during the preflight)");
		return;
	}
	if (c->stream == PROTO_PS_RUNNING) {
		snprintf(buf, len, "Streaming: %llu items written over %s",
		    (unsigned long long)c->prog.stream_written, dur);
		return;
	}
	switch (c->backfill) {
	case PROTO_PS_RUNNING:
		snprintf(buf, len,
		    "Backfill in progress: %llu items written "
		    "over %s",
		    (unsigned long long)c->prog.items_written, dur);
		return;
	case PROTO_PS_COMPLETE:
		snprintf(buf, len,
		    "Backfill complete: %llu items written over "
		    "%s",
		    (unsigned long long)c->backfill_items,
		    fmt_duration(c->backfill_ms, dur, sizeof(dur)));
		return;
	case PROTO_PS_SKIPPED:
		snprintf(buf, len, "Backfill skipped");
		return;
	default:
		snprintf(buf, len, "Pending");
		return;
	}
}

/* What TTL kept out of the copy, so it is never silent: "" if nothing. */
static const char *
ttl_note(const struct child *c, char *buf, size_t len)
{
	const struct proto_progress *p = &c->prog;

	buf[0] = '\0';
	if (p->ttl_expired_skipped > 0 && p->ttl_deletes_skipped > 0)
		snprintf(buf, len,
		    " (TTL: %llu expired items skipped, %llu "
		    "TTL deletes skipped)",
		    (unsigned long long)p->ttl_expired_skipped,
		    (unsigned long long)p->ttl_deletes_skipped);
	else if (p->ttl_expired_skipped > 0)
		snprintf(buf, len, " (TTL: %llu expired items skipped)",
		    (unsigned long long)p->ttl_expired_skipped);
	else if (p->ttl_deletes_skipped > 0)
		snprintf(buf, len, " (TTL: %llu TTL deletes skipped)",
		    (unsigned long long)p->ttl_deletes_skipped);
	return buf;
}

void
output_progress_block(struct sup *s)
{
	char ts[32], text[PROTO_TEXT_MAX + 256], ttl[128], spool[128];
	struct buf b;
	int64_t now = wall_ms();

	buf_init(&b, 0);
	output_timestamp(now, ts, sizeof(ts));
	buf_printf(&b,
	    "%s\n================= Progress Update "
	    "==================\n",
	    ts);
	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];

		output_progress_text(c, now, text, sizeof(text));
		buf_printf(&b, "%s: %s%s%s\n", c->label, text,
		    ttl_note(c, ttl, sizeof(ttl)),
		    c->state == CHILD_RUNNING ?
			status_spool_note(&c->prog, spool, sizeof(spool)) :
			"");
	}
	buf_adds(&b, "====================================================\n");
	emit(b.data);
	buf_free(&b);
}

int
output_open_log(struct child *c)
{
	int fd;

	if (c->logf != NULL) {
		fclose(c->logf);
		c->logf = NULL;
	}
	if (c->log_path == NULL)
		xasprintf(&c->log_path, "%s/pairs/%s/%s", c->sup->state_dir,
		    c->pair->name,
		    c->sup->verify.on ? "verify.log" : "worker.log");
	/* A link planted there must not redirect the pair's lines. */
	fd = open(c->log_path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 && errno == ELOOP) {
		log_warnx(
		    "%s is a symbolic link: refused; the pair's lines go "
		    "to the main log only until it is replaced by a file (and "
		    "SIGHUP)",
		    c->log_path);
		return -1;
	}
	if (fd == -1 || (c->logf = fdopen(fd, "a")) == NULL) {
		log_warn("%s", c->log_path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return 0;
}

void
output_reopen_logs(struct sup *s)
{
	for (size_t i = 0; i < s->nchildren; i++)
		output_open_log(&s->children[i]);
}

/* output.c: the timestamped log (stdout), per-worker log files, progress. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fmt.h"
#include "log.h"
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

/* Write a whole line to stdout without tearing the status table. */
static void
emit(const char *line)
{
	status_before_output();
	fputs(line, stdout);
	fflush(stdout);
	status_after_output();
}

void
output_line(struct child *c, int level, const char *fmt, ...)
{
	char msg[PROTO_TEXT_MAX + 256], ts[32], *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line per event: a worker's message cannot break the format. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
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
output_progress_text(const struct child *c, int64_t now, char *buf,
    size_t len)
{
	char dur[32];
	uint64_t since = c->phase_started_ms > 0 && now > c->phase_started_ms ?
	    (uint64_t)(now - c->phase_started_ms) : 0;

	fmt_duration(since, dur, sizeof(dur));
	if (c->state == CHILD_FAILED) {
		snprintf(buf, len, "FAILED: %s", c->last_error[0] ?
		    c->last_error : "worker kept crashing");
		return;
	}
	if (c->state == CHILD_BACKOFF) {
		snprintf(buf, len, "Restarting (restart %u)", c->restarts);
		return;
	}
	if (c->state == CHILD_STOPPED) {
		if (c->stream == PROTO_PS_RUNNING ||
		    c->stream == PROTO_PS_STOPPED)
			snprintf(buf, len, "Stopped while streaming: %llu "
			    "changes applied", (unsigned long long)
			    c->prog.stream_written);
		else
			snprintf(buf, len, "Stopped during the backfill: %llu "
			    "items written", (unsigned long long)
			    c->prog.items_written);
		return;
	}
	if (c->stream == PROTO_PS_RUNNING) {
		snprintf(buf, len, "Streaming: %llu items written over %s",
		    (unsigned long long)c->prog.stream_written, dur);
		return;
	}
	switch (c->backfill) {
	case PROTO_PS_RUNNING:
		snprintf(buf, len, "Backfill in progress: %llu items written "
		    "over %s", (unsigned long long)c->prog.items_written, dur);
		return;
	case PROTO_PS_COMPLETE:
		snprintf(buf, len, "Backfill complete: %llu items written over "
		    "%s", (unsigned long long)c->backfill_items,
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
		snprintf(buf, len, " (TTL: %llu expired items skipped, %llu "
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
	char ts[32], text[PROTO_TEXT_MAX + 256], ttl[128];
	struct buf b;
	int64_t now = wall_ms();

	buf_init(&b, 0);
	output_timestamp(now, ts, sizeof(ts));
	buf_printf(&b, "%s\n================= Progress Update "
	    "==================\n", ts);
	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];

		output_progress_text(c, now, text, sizeof(text));
		buf_printf(&b, "%s: %s%s\n", c->label, text,
		    ttl_note(c, ttl, sizeof(ttl)));
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
		xasprintf(&c->log_path, "%s/pairs/%s/worker.log",
		    c->sup->state_dir, c->pair->name);
	fd = open(c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
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

/* report.c: send protocol messages to the supervisor; route log lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "report.h"

static int report_fd = -1;
static int report_broken;

static void
report_log_sink(int level, const char *msg, void *arg)
{
	struct proto_msg m;

	if (report_fd == -1 || report_broken) {
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s: %s\n", ts, log_level_name(level), msg);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_LOG;
	m.u.log.level = (enum proto_level)level;
	strlcpy(m.u.log.msg, msg, sizeof(m.u.log.msg));
	report_send(&m);
}

void
report_init(int fd, const char *pair)
{
	struct proto_msg m;

	report_fd = fd;
	log_set_sink(report_log_sink, NULL);
	if (fd == -1)
		return;
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.u.hello.pid = getpid();
	strlcpy(m.u.hello.pair, pair, sizeof(m.u.hello.pair));
	strlcpy(m.u.hello.version, DDB_SYNC_VERSION,
	    sizeof(m.u.hello.version));
	report_send(&m);
}

int
report_active(void)
{
	return report_fd != -1 && !report_broken;
}

int
report_send(const struct proto_msg *m)
{
	static char line[PROTO_MAX_LINE + 1];
	ssize_t w;
	size_t off = 0;
	int n;

	if (report_fd == -1 || report_broken)
		return report_broken ? -1 : 0;
	if ((n = proto_encode(m, line, sizeof(line))) < 0) {
		/* A bug of ours, not the supervisor's: say so on stderr,
		 * which the supervisor copies into the logs. */
		fprintf(stderr, "ddb-sync-worker: cannot encode a %s message: "
		    "%s\n", proto_type_name(m->type), strerror(errno));
		return 0;
	}
	while (off < (size_t)n) {
		w = write(report_fd, line + off, (size_t)n - off);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			report_broken = 1;	/* supervisor gone */
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

void
report_phase(enum proto_phase phase, enum proto_phase_state state,
    uint64_t items, uint64_t duration_ms, const char *detail)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_PHASE;
	m.u.phase.phase = phase;
	m.u.phase.state = state;
	m.u.phase.items = items;
	m.u.phase.duration_ms = duration_ms;
	if (detail != NULL)
		strlcpy(m.u.phase.detail, detail, sizeof(m.u.phase.detail));
	report_send(&m);
}

void
report_error(const char *code, const char *msg, int fatal_)
{
	struct proto_msg m;

	if (report_fd == -1) {
		log_error("%s: %s", code, msg);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_ERROR;
	strlcpy(m.u.error.code, code, sizeof(m.u.error.code));
	strlcpy(m.u.error.msg, msg, sizeof(m.u.error.msg));
	m.u.error.fatal = fatal_;
	report_send(&m);
}

void
report_warning(const char *code, const char *msg)
{
	struct proto_msg m;

	if (report_fd == -1) {
		log_warnx("%s", msg);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_WARNING;
	strlcpy(m.u.warning.code, code, sizeof(m.u.warning.code));
	strlcpy(m.u.warning.msg, msg, sizeof(m.u.warning.msg));
	report_send(&m);
}

void
report_checkpoint(const char *kind, const char *id, uint64_t items, int done)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_CHECKPOINT;
	strlcpy(m.u.checkpoint.kind, kind, sizeof(m.u.checkpoint.kind));
	strlcpy(m.u.checkpoint.id, id, sizeof(m.u.checkpoint.id));
	m.u.checkpoint.items = items;
	m.u.checkpoint.done = done;
	report_send(&m);
}

void
report_done(const char *status)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_DONE;
	strlcpy(m.u.done.status, status, sizeof(m.u.done.status));
	report_send(&m);
}

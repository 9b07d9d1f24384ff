/* ctl.c: "ddb-sync ctl": one request to the control socket, its answer shown. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "control.h"
#include "ctl.h"
#include "fmt.h"
#include "options.h"
#include "status.h"
#include "xmalloc.h"

void
ctl_usage(FILE *fp)
{
	fputs(
	    "usage: ddb-sync ctl [--state-dir DIR] [--json] list|status\n"
	    "       ddb-sync ctl [--state-dir DIR] [--json] "
	    "stop|start|restart NAME\n"
	    "       ddb-sync ctl [--state-dir DIR] [--json] limit NAME "
	    "[--read N|P%] [--write N|P%]\n"
	    "       ddb-sync ctl [--state-dir DIR] [--json] fleet "
	    "[stop|start NAME]\n"
	    "\n"
	    "Ask the ddb-sync running on a state directory about its pairs, "
	    "or stop,\nstart or restart one pair while the others run.\n"
	    "  list                      every pair: state, worker pid, phases, "
	    "items\n"
	    "                            written, restarts, last error\n"
	    "  status                    the numbers /metrics shows, as one "
	    "JSON line\n"
	    "                            (always JSON: it is for scripts)\n"
	    "  stop NAME                 stop the pair's worker (it writes its "
	    "checkpoint)\n"
	    "  start NAME                start it again; it resumes from its "
	    "checkpoint\n"
	    "  restart NAME              stop it, then start it\n"
	    "  limit NAME --read N|P% --write N|P%\n"
	    "                            new capacity limits for the tables "
	    "of the pair\n"
	    "                            (units per second or percent of the "
	    "table's\n"
	    "                            capacity; shared by every pair on "
	    "the table),\n"
	    "                            in force within 5 seconds\n"
	    "  fleet                     a fleet (a plan with coordination:): "
	    "every host,\n"
	    "                            pair and unit of the coordination "
	    "table, with\n"
	    "                            owners and progress (read with this "
	    "user's AWS\n"
	    "                            credentials, not the supervisor's)\n"
	    "  fleet stop NAME           set the pair's fleet-wide stop flag: "
	    "every host\n"
	    "                            releases its leases of the pair and "
	    "none claims\n"
	    "                            them\n"
	    "  fleet start NAME          clear it\n"
	    "  --state-dir DIR           the running ddb-sync's state directory\n"
	    "                            (default: $DDB_SYNC_STATE_DIR, else\n"
	    "                            $STATE_DIRECTORY, else ./ddb-sync-state)\n"
	    "  --json                    print the supervisor's JSON answer as "
	    "it is\n"
	    "                            (docs/control-protocol.md)\n"
	    "Exit status: 0 done, 1 refused or no ddb-sync running there, "
	    "2 usage error\n(also: fleet of a ddb-sync whose plan has no "
	    "coordination block).\n",
	    fp);
}

int
ctl_parse_args(int argc, char **argv, struct ctl_args *a, char *err,
    size_t errlen)
{
	const char *words[3], *v, *cmd;
	char q[PLAN_QUOTE_LEN];
	int i, nw = 0, dashdash = 0, c;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!dashdash && strcmp(arg, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (dashdash || arg[0] != '-' || arg[1] == '\0') {
			if (nw == (int)(sizeof(words) / sizeof(words[0]))) {
				snprintf(err, errlen,
				    "unexpected argument "
				    "'%s'",
				    plan_quote(q, arg));
				return -1;
			}
			words[nw++] = arg;
			continue;
		}
		if (strcmp(arg, "--json") == 0)
			a->json = 1;
		else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			a->help = 1;
		else if ((strncmp(arg, "--read", 6) == 0 &&
			     (arg[6] == '\0' || arg[6] == '=')) ||
		    (strncmp(arg, "--write", 7) == 0 &&
			(arg[7] == '\0' || arg[7] == '='))) {
			int rd = arg[2] == 'r';
			size_t fl = rd ? 6 : 7;
			char *dst = rd ? a->req.read : a->req.write;

			if (arg[fl] == '=')
				v = arg + fl + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				snprintf(err, errlen, "%s needs a value", arg);
				return -1;
			}
			if (*v == '\0' || *dst != '\0') {
				snprintf(err, errlen, "%.7s: %s", arg,
				    *v == '\0' ? "empty value" :
						 "given more than once");
				return -1;
			}
			if (strlen(v) >= sizeof(a->req.read)) {
				snprintf(err, errlen,
				    "%.7s: '%s' is not a "
				    "limit (units per second, such as 500, or "
				    "a percentage, such as 40%%)",
				    arg, plan_quote(q, v));
				return -1;
			}
			strlcpy(dst, v, sizeof(a->req.read));
		} else if (strcmp(arg, "--state-dir") == 0 ||
		    strncmp(arg, "--state-dir=", 12) == 0) {
			if (arg[11] == '=')
				v = arg + 12;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				snprintf(err, errlen,
				    "--state-dir needs a "
				    "value");
				return -1;
			}
			if (*v == '\0' || a->state_dir != NULL) {
				snprintf(err, errlen, "--state-dir: %s",
				    *v == '\0' ? "empty value" :
						 "given more than once");
				return -1;
			}
			a->state_dir = xstrdup(v);
		} else {
			snprintf(err, errlen, "unknown option '%s'",
			    plan_quote(q, arg));
			return -1;
		}
	}
	if (a->help)
		return 0;
	if (nw == 0) {
		snprintf(err, errlen,
		    "no command: give list, status, stop "
		    "NAME, start NAME, restart NAME, limit NAME or fleet");
		return -1;
	}
	for (c = 0; c < CONTROL_CMD_MAX; c++)
		if (strcmp(words[0], control_cmd_name(c)) == 0)
			break;
	if (c == CONTROL_CMD_MAX) {
		snprintf(err, errlen,
		    "unknown command '%s' (list, status, stop, "
		    "start, restart, limit, fleet)",
		    plan_quote(q, words[0]));
		return -1;
	}
	cmd = words[0];
	a->req.cmd = (enum control_cmd)c;
	if (a->req.cmd == CONTROL_FLEET) {
		if (a->req.read[0] != '\0' || a->req.write[0] != '\0') {
			snprintf(err, errlen,
			    "--read and --write go with limit");
			return -1;
		}
		if (nw > 1 && strcmp(words[1], "stop") == 0)
			a->fleet = CTL_FLEET_STOP;
		else if (nw > 1 && strcmp(words[1], "start") == 0)
			a->fleet = CTL_FLEET_START;
		else if (nw > 1) {
			snprintf(err, errlen,
			    "fleet: unknown action '%s' (fleet, fleet stop "
			    "NAME, fleet start NAME)",
			    plan_quote(q, words[1]));
			return -1;
		}
		if (nw > 1 && (nw != 3 || *words[2] == '\0')) {
			snprintf(err, errlen, "fleet %s needs the pair's NAME",
			    words[1]);
			return -1;
		}
		if (nw == 3 && strlen(words[2]) > PLAN_NAME_MAX) {
			snprintf(err, errlen,
			    "fleet %s: NAME is longer than %d bytes", words[1],
			    PLAN_NAME_MAX);
			return -1;
		}
		if (nw == 3)
			strlcpy(a->req.pair, words[2], sizeof(a->req.pair));
		if (a->state_dir == NULL)
			a->state_dir = options_state_dir_default();
		return 0;
	}
	if (a->req.cmd == CONTROL_LIMIT && a->req.read[0] == '\0' &&
	    a->req.write[0] == '\0') {
		snprintf(err, errlen,
		    "limit needs --read N|P%% or --write "
		    "N|P%% (or both)");
		return -1;
	}
	if (a->req.cmd != CONTROL_LIMIT &&
	    (a->req.read[0] != '\0' || a->req.write[0] != '\0')) {
		snprintf(err, errlen, "--read and --write go with limit");
		return -1;
	}
	if ((a->req.cmd == CONTROL_LIST || a->req.cmd == CONTROL_STATUS) &&
	    nw > 1) {
		snprintf(err, errlen, "%s takes no argument ('%s')", cmd,
		    plan_quote(q, words[1]));
		return -1;
	}
	/* status is for scripts: its answer is JSON, with or without --json */
	if (a->req.cmd == CONTROL_STATUS)
		a->json = 1;
	if (a->req.cmd != CONTROL_LIST && a->req.cmd != CONTROL_STATUS) {
		if (nw != 2 || *words[1] == '\0') {
			snprintf(err, errlen,
			    nw < 2 || *words[1] == '\0' ?
				"%s needs the pair's NAME" :
				"%s takes one NAME",
			    cmd);
			return -1;
		}
		if (strlen(words[1]) > PLAN_NAME_MAX) {
			snprintf(err, errlen,
			    "%s: NAME is longer than %d "
			    "bytes",
			    cmd, PLAN_NAME_MAX);
			return -1;
		}
		strlcpy(a->req.pair, words[1], sizeof(a->req.pair));
	}
	if (a->state_dir == NULL)
		a->state_dir = options_state_dir_default();
	return 0;
}

void
ctl_args_free(struct ctl_args *a)
{
	free(a->state_dir);
	a->state_dir = NULL;
}

/* ------------------------------------------------------------ formatting */

enum {
	COL_NAME,
	COL_STATE,
	COL_PID,
	COL_BACKFILL,
	COL_STREAM,
	COL_WRITTEN,
	COL_SPOOL,  /* only while some pair has a spool */
	COL_LEASES, /* only in a fleet */
	COL_RCU,
	COL_WCU,
	COL_RESTARTS,
	COL_ERROR,
	COL_N
};

static const char *const ctl_headers[COL_N] = {
	"NAME",
	"STATE",
	"PID",
	"BACKFILL",
	"STREAM",
	"WRITTEN",
	"SPOOL",
	"LEASES",
	"RCU/S",
	"WCU/S",
	"RESTARTS",
	"LAST-ERROR",
};

/* Consumed per second next to the limit: "298/300" (the pair's share in
 * force), "298/40%" (a limit, no share known yet), "298" (no limit), "-"
 * for a figure not known. */
static void
ctl_capacity(int64_t rate, int64_t share, const char *limit, char *buf,
    size_t len)
{
	char r[24];

	if (rate >= 0)
		snprintf(r, sizeof(r), "%lld", (long long)rate);
	else
		strlcpy(r, "-", sizeof(r));
	if (share > 0)
		snprintf(buf, len, "%s/%lld", r, (long long)share);
	else if (strcmp(limit, "none") != 0 && limit[0] != '\0')
		snprintf(buf, len, "%s/%s", r, limit);
	else
		strlcpy(buf, r, len);
}

/* Nothing from the wire reaches the terminal as a control character. */
static void
ctl_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void
ctl_cell(const struct control_pair *p, int col, char *buf, size_t len)
{
	uint64_t w;
	int64_t age;

	switch (col) {
	case COL_NAME:
		strlcpy(buf, p->name, len);
		break;
	case COL_STATE:
		strlcpy(buf, p->stopping ? "stopping" : p->state, len);
		break;
	case COL_PID:
		if (p->pid > 0)
			snprintf(buf, len, "%lld", (long long)p->pid);
		else
			strlcpy(buf, "-", len);
		break;
	case COL_BACKFILL:
		strlcpy(buf, p->backfill, len);
		break;
	case COL_STREAM:
		strlcpy(buf, p->stream, len);
		break;
	case COL_WRITTEN:
		/* Everything written to the destination, both phases. */
		w = p->items_written + p->stream_written;
		if (w < p->items_written)
			w = UINT64_MAX;
		snprintf(buf, len, "%llu", (unsigned long long)w);
		break;
	case COL_SPOOL:
		/* As in the status table: "12MiB/45s", "FULL" when paused. */
		age = p->spool_oldest_age_s;
		if (age > INT64_MAX / 1000)
			age = INT64_MAX / 1000;
		if (p->spool_bytes >= 0)
			status_spool_str((uint64_t)p->spool_bytes,
			    age >= 0 ? age * 1000 : -1, p->spool_paused, 0, buf,
			    len);
		else
			strlcpy(buf, "-", len);
		break;
	case COL_LEASES:
		/* This host's leases of the pair: "3", "3 (lost 1)". */
		if (p->leases_held < 0)
			strlcpy(buf, "-", len);
		else if (p->leases_lost > 0)
			snprintf(buf, len, "%lld (lost %lld)",
			    (long long)p->leases_held,
			    (long long)p->leases_lost);
		else
			snprintf(buf, len, "%lld", (long long)p->leases_held);
		break;
	case COL_RCU:
		ctl_capacity(p->rcu_per_s, p->read_share, p->read_limit, buf,
		    len);
		break;
	case COL_WCU:
		ctl_capacity(p->wcu_per_s, p->write_share, p->write_limit, buf,
		    len);
		break;
	case COL_RESTARTS:
		snprintf(buf, len, "%llu", (unsigned long long)p->restarts);
		break;
	default:
		strlcpy(buf, p->last_error[0] != '\0' ? p->last_error : "-",
		    len);
		break;
	}
	ctl_clean(buf);
}

static int
ctl_row(struct buf *b, const char *const *cells, const size_t *width, int spool,
    int fleet)
{
	int rc = 0;

	for (int col = 0; col < COL_N; col++) {
		if ((col == COL_SPOOL && !spool) ||
		    (col == COL_LEASES && !fleet))
			continue;
		rc |= buf_adds(b, cells[col]);
		if (col == COL_N - 1)
			break;
		for (size_t w = fmt_columns(cells[col]); w < width[col] + 2;
		     w++)
			rc |= buf_addc(b, ' ');
	}
	rc |= buf_addc(b, '\n');
	return rc;
}

int
ctl_format_list(const struct control_pair *p, size_t n, struct buf *b)
{
	char cell[COL_N][CONTROL_TEXT_MAX];
	const char *cells[COL_N];
	size_t width[COL_N], i, w;
	int col, rc, spool = 0, fleet = 0;

	for (col = 0; col < COL_N; col++) {
		width[col] = fmt_columns(ctl_headers[col]);
		cells[col] = cell[col];
	}
	for (i = 0; i < n; i++) {
		if (p[i].spool_bytes >= 0)
			spool = 1;
		if (p[i].leases_held >= 0)
			fleet = 1;
		for (col = 0; col < COL_N; col++) {
			ctl_cell(&p[i], col, cell[col], sizeof(cell[col]));
			if ((w = fmt_columns(cell[col])) > width[col])
				width[col] = w;
		}
	}
	rc = ctl_row(b, ctl_headers, width, spool, fleet);
	for (i = 0; i < n && rc == 0; i++) {
		for (col = 0; col < COL_N; col++)
			ctl_cell(&p[i], col, cell[col], sizeof(cell[col]));
		rc |= ctl_row(b, cells, width, spool, fleet);
	}
	return rc;
}

int
ctl_format_result(enum control_cmd cmd, const struct control_pair *p,
    struct buf *b)
{
	char name[sizeof(p->name)], state[sizeof(p->state)];

	strlcpy(name, p->name, sizeof(name));
	strlcpy(state, p->state, sizeof(state));
	ctl_clean(name);
	ctl_clean(state);
	if (cmd == CONTROL_LIMIT) {
		char rl[sizeof(p->read_limit)], wl[sizeof(p->write_limit)];

		strlcpy(rl, p->read_limit, sizeof(rl));
		strlcpy(wl, p->write_limit, sizeof(wl));
		ctl_clean(rl);
		ctl_clean(wl);
		return buf_printf(b,
		    "%s: limits now read %s, write %s, "
		    "shared by the pairs on each table; in force within 5 "
		    "seconds\n",
		    name, rl, wl);
	}
	if (p->stopping && cmd == CONTROL_RESTART)
		return buf_printf(b,
		    "%s: restarting: worker %lld writes its "
		    "checkpoint and exits, then a new worker starts\n",
		    name, (long long)p->pid);
	if (p->stopping)
		return buf_printf(b,
		    "%s: stopping: worker %lld writes its "
		    "checkpoint and exits\n",
		    name, (long long)p->pid);
	if (p->pid > 0)
		return buf_printf(b, "%s: %s (worker %lld)\n", name, state,
		    (long long)p->pid);
	return buf_printf(b, "%s: %s\n", name, state);
}

/* ----------------------------------------------------------------- fleet */

size_t
ctl_fleet_argv(const struct ctl_args *a, const struct control_fleet *f,
    const char **argv)
{
	size_t n = 0;

	argv[n++] = f->worker;
	argv[n++] = "coordination";
	argv[n++] = "--table";
	argv[n++] = f->table;
	argv[n++] = "--region";
	argv[n++] = f->region;
	if (f->role_arn[0] != '\0') {
		argv[n++] = "--role-arn";
		argv[n++] = f->role_arn;
	}
	if (f->endpoint_url[0] != '\0') {
		argv[n++] = "--endpoint-url";
		argv[n++] = f->endpoint_url;
	}
	if (f->allow_insecure_http)
		argv[n++] = "--allow-insecure-http";
	switch (a->fleet) {
	case CTL_FLEET_STOP:
		argv[n++] = "--stop-pair";
		argv[n++] = a->req.pair;
		break;
	case CTL_FLEET_START:
		argv[n++] = "--start-pair";
		argv[n++] = a->req.pair;
		break;
	default:
		argv[n++] = "--list";
		if (a->json)
			argv[n++] = "--json";
		break;
	}
	argv[n] = NULL;
	return n;
}

/*
 * The supervisor has no AWS client and never blocks on one: ctl reads and
 * writes the coordination table itself, with the worker binary the
 * supervisor runs and this process's credentials. The worker says what
 * went wrong on stderr. Returns ctl's exit status.
 */
static int
ctl_fleet_run(const struct ctl_args *a, const struct control_fleet *f)
{
	const char *argv[CTL_FLEET_ARGV_MAX + 1];
	pid_t pid;
	int status;

	ctl_fleet_argv(a, f, argv);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "ddb-sync ctl: fork: %s\n", strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	if (pid == 0) {
		execv(f->worker, (char *const *)(uintptr_t)argv);
		fprintf(stderr, "ddb-sync ctl: cannot run %s: %s\n", f->worker,
		    strerror(errno));
		_exit(127);
	}
	/* A terminal's Ctrl-C reaches the worker too (same process group):
	 * it stops, then so does ctl. */
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			fprintf(stderr, "ddb-sync ctl: waitpid: %s\n",
			    strerror(errno));
			return CTL_EXIT_FAILURE;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CTL_EXIT_OK;
	if (WIFSIGNALED(status))
		fprintf(stderr,
		    "ddb-sync ctl: %s coordination was killed by signal %d\n",
		    f->worker, WTERMSIG(status));
	return CTL_EXIT_FAILURE;
}

/* ------------------------------------------------------------------- I/O */

static int
ctl_connect(const char *state_dir, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv = { CTL_TIMEOUT_MS / 1000,
		(CTL_TIMEOUT_MS % 1000) * 1000 };
	struct stat st;
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (control_socket_path(state_dir, sun.sun_path,
		sizeof(sun.sun_path)) == -1) {
		snprintf(err, errlen,
		    "state directory %s: its path is too "
		    "long for a control socket",
		    state_dir);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Also bounds connect() when the listener's backlog is full. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	saved = errno;
	close(fd);
	if (saved == ENOENT && stat(state_dir, &st) == -1)
		snprintf(err, errlen,
		    "no ddb-sync is running with state "
		    "directory %s (it does not exist; give --state-dir)",
		    state_dir);
	else if (saved == ENOENT)
		snprintf(err, errlen,
		    "no ddb-sync is running with state "
		    "directory %s (no %s)",
		    state_dir, sun.sun_path);
	else if (saved == ECONNREFUSED)
		snprintf(err, errlen,
		    "no ddb-sync is running with state "
		    "directory %s (%s is left from a run that ended)",
		    state_dir, sun.sun_path);
	else if (saved == EACCES || saved == EPERM)
		snprintf(err, errlen,
		    "%s: permission denied (only the user "
		    "ddb-sync runs as may control it)",
		    sun.sun_path);
	else if (saved == EAGAIN || saved == EINPROGRESS)
		snprintf(err, errlen,
		    "%s: ddb-sync did not accept the "
		    "connection within %ds",
		    sun.sun_path, CTL_TIMEOUT_MS / 1000);
	else
		snprintf(err, errlen, "%s: %s", sun.sun_path, strerror(saved));
	return -1;
}

/* One exchange: the request out, the answer line (without '\n') in. */
static int
ctl_exchange(int fd, const char *req, size_t reqlen, struct buf *resp,
    char *err, size_t errlen)
{
	char tmp[4096], *nl;
	size_t off = 0;
	ssize_t n;

	while (off < reqlen) {
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		/* Refused at once (busy, another uid): read why. */
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (n == -1) {
			snprintf(err, errlen, "sending the request: %s",
			    errno == EAGAIN ? "timed out" : strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			snprintf(err, errlen,
			    "no answer from ddb-sync within "
			    "%ds",
			    CTL_TIMEOUT_MS / 1000);
			return -1;
		}
		if (n == -1) {
			snprintf(err, errlen, "reading the answer: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (buf_add(resp, tmp, (size_t)n) == -1) {
			snprintf(err, errlen,
			    "the answer is longer than %d "
			    "bytes",
			    CONTROL_RESPONSE_MAX);
			return -1;
		}
		if ((nl = memchr(resp->data, '\n', resp->len)) != NULL) {
			resp->len = (size_t)(nl - resp->data);
			resp->data[resp->len] = '\0';
			return 0;
		}
	}
	if (resp->len == 0) {
		snprintf(err, errlen,
		    "ddb-sync closed the connection without "
		    "answering");
		return -1;
	}
	return 0;
}

int
ctl_main(int argc, char **argv)
{
	struct ctl_args a;
	struct control_response r;
	struct buf resp, out;
	char line[CONTROL_REQUEST_MAX + 1], err[1024];
	int fd = -1, n, rc = CTL_EXIT_FAILURE;

	buf_init(&resp, CONTROL_RESPONSE_MAX);
	buf_init(&out, 0);
	memset(&r, 0, sizeof(r));
	if (ctl_parse_args(argc, argv, &a, err, sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync ctl: %s\n", err);
		fputs("usage: ddb-sync ctl [--state-dir DIR] [--json] "
		      "list|status|stop NAME|start NAME|restart NAME|\n"
		      "       limit NAME [--read N|P%] [--write N|P%]|"
		      "fleet [stop|start NAME]\n"
		      "Try 'ddb-sync ctl --help' for more information.\n",
		    stderr);
		rc = CTL_EXIT_USAGE;
		goto done;
	}
	if (a.help) {
		ctl_usage(stdout);
		rc = CTL_EXIT_OK;
		goto done;
	}
	if ((n = control_request_encode(&a.req, line, sizeof(line))) == -1) {
		fprintf(stderr, "ddb-sync ctl: cannot encode the request: %s\n",
		    strerror(errno));
		rc = CTL_EXIT_USAGE;
		goto done;
	}
	if ((fd = ctl_connect(a.state_dir, err, sizeof(err))) == -1 ||
	    ctl_exchange(fd, line, (size_t)n, &resp, err, sizeof(err)) == -1 ||
	    control_response_decode(resp.data, resp.len, &r, err,
		sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync ctl: %s\n", err);
		goto done;
	}
	if (a.json && a.req.cmd != CONTROL_FLEET)
		printf("%s\n", resp.data);
	if (!r.ok) {
		ctl_clean(r.error);
		fprintf(stderr, "ddb-sync ctl: %s\n", r.error);
		goto done;
	}
	if (a.req.cmd == CONTROL_FLEET) {
		close(fd);
		fd = -1;
		if (!r.has_fleet) {
			fprintf(stderr,
			    "ddb-sync ctl: the ddb-sync running with state "
			    "directory %s does not know 'fleet' (an older "
			    "version)\n",
			    a.state_dir);
			goto done;
		}
		if (r.fleet == NULL) {
			fprintf(stderr,
			    "ddb-sync ctl: fleet: the plan of the ddb-sync "
			    "running with state directory %s has no "
			    "coordination block: it copies from this host "
			    "alone (docs/fleet.md)\n",
			    a.state_dir);
			rc = CTL_EXIT_USAGE;
			goto done;
		}
		rc = ctl_fleet_run(&a, r.fleet);
		goto done;
	}
	rc = CTL_EXIT_OK;
	if (a.json)
		goto done;
	if (a.req.cmd == CONTROL_LIST)
		ctl_format_list(r.pairs, r.npairs, &out);
	else if (r.npairs == 1)
		ctl_format_result(a.req.cmd, &r.pairs[0], &out);
	if (out.len > 0)
		fputs(out.data, stdout);
done:
	if (fflush(stdout) == EOF && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_FAILURE;
	if (fd != -1)
		close(fd);
	control_response_free(&r);
	buf_free(&resp);
	buf_free(&out);
	ctl_args_free(&a);
	return rc;
}

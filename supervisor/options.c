/* options.c: ddb-sync's command line: a plan (file or flags) and settings. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "metrics.h"
#include "options.h"
#include "plan.h"
#include "settings.h"
#include "xmalloc.h"

#ifndef DDB_SYNC_VERSION
#define DDB_SYNC_VERSION "unknown"
#endif

/* Shortest non-zero interval: smaller ones would flood the output. */
#define OPTIONS_INTERVAL_MIN_MS 100

enum options_id {
	OPT_CONFIG_FILE,
	OPT_STATE_DIR,
	OPT_CHECK_CONFIG,
	OPT_STATUS,
	OPT_NO_STATUS,
	OPT_STATUS_INTERVAL,
	OPT_PROGRESS_INTERVAL,
	OPT_ALLOW_INSECURE_HTTP,
	OPT_METRICS_LISTEN,
	OPT_CREATE_COORD,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
	/* ddb-sync verify only. */
	OPT_SAMPLE,
	OPT_REPAIR,
	OPT_DELETE_EXTRA,
	OPT_REPORT,
	OPT_RECHECK_DELAY,
};

/* Long options; -v, -h and -V are handled by options_short(). */
struct options_def {
	const char *name;
	enum options_id id;
	int has_arg;
};

static const struct options_def options_defs[] = {
	{ "config-file", OPT_CONFIG_FILE, 1 },
	{ "state-dir", OPT_STATE_DIR, 1 },
	{ "check-config", OPT_CHECK_CONFIG, 0 },
	{ "status", OPT_STATUS, 1 },
	{ "no-status", OPT_NO_STATUS, 0 },
	{ "status-interval", OPT_STATUS_INTERVAL, 1 },
	{ "progress-interval", OPT_PROGRESS_INTERVAL, 1 },
	{ "allow-insecure-http", OPT_ALLOW_INSECURE_HTTP, 0 },
	{ "metrics-listen", OPT_METRICS_LISTEN, 1 },
	{ "create-coordination-table", OPT_CREATE_COORD, 0 },
	{ "verbose", OPT_VERBOSE, 0 },
	{ "help", OPT_HELP, 0 },
	{ "version", OPT_VERSION, 0 },
	{ "sample", OPT_SAMPLE, 1 },
	{ "repair", OPT_REPAIR, 0 },
	{ "delete-extra", OPT_DELETE_EXTRA, 0 },
	{ "report", OPT_REPORT, 1 },
	{ "recheck-delay", OPT_RECHECK_DELAY, 1 },
};

#define OPTIONS_NDEFS (sizeof(options_defs) / sizeof(options_defs[0]))
/* Distinct flags one command line can hold: all pair and ddb-sync flags. */
#define OPTIONS_MAX_SEEN 64

struct options_state {
	struct options *o;
	struct plan_errors *errs;
	int nerr;
	struct plan_pair pair; /* from pair flags */
	int npairflags;
	char first_pair_flag[72]; /* "--" and a name */
	char seen[OPTIONS_MAX_SEEN][64];
	size_t nseen;
	int help;
	int version;
};

static const char options_help[] =
    "usage: ddb-sync --config-file FILE [options]\n"
    "       ddb-sync --input-table TABLE [--input-region REGION]\n"
    "                [--input-role-arn ARN] [--output-table TABLE]\n"
    "                [--output-region REGION] [--output-role-arn ARN]\n"
    "                [--backfill=BOOL] [--stream=BOOL] [options]\n"
    "       ddb-sync verify (--config-file FILE | pair flags) [--sample RATE]\n"
    "                [--repair] [--delete-extra] [--report PATH]\n"
    "                [--recheck-delay DURATION] [options]\n"
    "       ddb-sync ctl [--state-dir DIR] [--json] list | status |\n"
    "                stop NAME | start NAME | restart NAME |\n"
    "                limit NAME [--read LIMIT] [--write LIMIT] |\n"
    "                fleet [stop NAME | start NAME]\n"
    "       ddb-sync --help | --version\n"
    "\n"
    "Copy DynamoDB tables (parallel Scan, then BatchWriteItem) and keep them in\n"
    "sync from the source's DynamoDB Stream, one worker process per table pair.\n"
    "\n"
    "The plan: a YAML file, or one pair given by flags (not both).\n"
    "  --config-file FILE        the plan: a list of table pairs\n"
    "                            (see docs/plan-format.md)\n"
    "  --input-table TABLE       source table (required without --config-file)\n"
    "  --input-region REGION     source region\n"
    "                            (default: $AWS_REGION, else $AWS_DEFAULT_REGION)\n"
    "  --input-role-arn ARN      IAM role assumed for the source\n"
    "                            (default: the base credentials)\n"
    "  --input-endpoint-url URL  source DynamoDB endpoint\n"
    "  --input-streams-endpoint-url URL\n"
    "                            source DynamoDB Streams endpoint (default:\n"
    "                            the input endpoint URL, when one is set)\n"
    "  --input-sts-endpoint-url URL\n"
    "                            STS endpoint used to assume the source role\n"
    "  --output-table TABLE      destination table (default: the input table)\n"
    "  --output-region REGION    destination region (default: the input region)\n"
    "  --output-role-arn ARN     IAM role assumed for the destination\n"
    "  --output-endpoint-url URL destination DynamoDB endpoint\n"
    "  --output-sts-endpoint-url URL\n"
    "                            STS endpoint used to assume the destination role\n"
    "  --input-allow-insecure-http[=BOOL], --output-allow-insecure-http[=BOOL]\n"
    "                            accept plain http to that side's endpoints on a\n"
    "                            host that is not loopback (default: false;\n"
    "                            signed requests would travel in cleartext)\n"
    "  --backfill[=BOOL], --no-backfill\n"
    "                            copy every item with a Scan (default: true)\n"
    "  --stream[=BOOL], --no-stream\n"
    "                            then apply the stream's changes (default: true)\n"
    "  --pair-name NAME          the pair's name in logs, control commands and\n"
    "                            the state directory (default: the input table)\n"
    "  --total-segments N        parallel Scan segments, 1 to 1000000\n"
    "                            (default: from the table's size)\n"
    "  --segments LIST           scan only these segments on this host, such as\n"
    "                            0,1,2 (needs --total-segments)\n"
    "  --page-size N             Scan Limit, items per page, 1 to 10000\n"
    "                            (default: automatic)\n"
    "  --max-inflight N          the most BatchWriteItem requests in flight, 1 to\n"
    "                            1024; under it the number adapts to throughput\n"
    "                            and throttling (default: 256)\n"
    "  --input-read-capacity LIMIT\n"
    "                            the Scan's read capacity limit for the input\n"
    "                            table, shared by the pairs reading it\n"
    "                            (default: none)\n"
    "  --output-write-capacity LIMIT\n"
    "                            the write capacity limit for the output table\n"
    "                            (backfill and stream), shared by the pairs\n"
    "                            writing it (default: none)\n"
    "  --consumed-capacity[=BOOL], --no-consumed-capacity\n"
    "                            ask for ReturnConsumedCapacity, shown as WCU/s\n"
    "                            (default: true; false spares emulators work)\n"
    "  --spool[=BOOL], --no-spool\n"
    "                            read the stream into a durable spool on disk\n"
    "                            while the backfill runs, so a backfill may\n"
    "                            outlast the stream's 24 hours (default: true)\n"
    "  --spool-max-bytes SIZE    the spool's size bound, such as 20G (64K to\n"
    "                            1024T; default: 25% of the state directory's\n"
    "                            free space, at least 1G, at most 256G)\n"
    "  --create-output[=BOOL]    create the destination from the source when it\n"
    "                            does not exist: keys, indexes, capacity, class,\n"
    "                            encryption, deletion protection, tags, then TTL\n"
    "                            and PITR; when it exists, warn about what\n"
    "                            differs (default: false)\n"
    "  --output-billing-mode MODE\n"
    "                            with --create-output: PROVISIONED or\n"
    "                            PAY_PER_REQUEST (default: the source's)\n"
    "  --output-provisioned-read-capacity N\n"
    "  --output-provisioned-write-capacity N\n"
    "                            with --create-output: provisioned read and\n"
    "                            write capacity (both or neither; default:\n"
    "                            the source's)\n"
    "  --output-index-capacity LIST\n"
    "                            with --create-output: GSI capacities as\n"
    "                            INDEX:READ:WRITE,... (default: the source's)\n"
    "  --output-sse MODE         with --create-output: default (AWS owned key)\n"
    "                            or kms (default: as the source; its KMS key\n"
    "                            cannot cross accounts or regions)\n"
    "  --output-sse-kms-key KEY  with --create-output: the KMS key to use\n"
    "  --output-stream-view VIEW with --create-output: a stream of the\n"
    "                            destination's own, such as NEW_AND_OLD_IMAGES\n"
    "  --ttl-skip-expired[=BOOL] backfill: skip items whose TTL has passed\n"
    "                            (default: true when the source has TTL on)\n"
    "  --ttl-apply-deletes[=BOOL]\n"
    "                            stream: apply the TTL service's deletes\n"
    "                            (default: true; false keeps expired items)\n"
    "  LIMIT is capacity units per second (500) or a percentage of the table's\n"
    "  capacity (40%; provisioned, or the on-demand maximum).\n"
    "  BOOL is true/false, yes/no or on/off. The input and output must differ\n"
    "  by table, region, role ARN or endpoint.\n"
    "\n"
    "Running:\n"
    "  --state-dir DIR           checkpoints, worker logs and the control socket\n"
    "                            (default: $DDB_SYNC_STATE_DIR, else\n"
    "                            $STATE_DIRECTORY, else ./ddb-sync-state)\n"
    "  --check-config            check the plan, credentials and tables (the\n"
    "                            preflight), print \"configuration OK\" and exit;\n"
    "                            copy nothing\n"
    "  --status MODE, --no-status\n"
    "                            the status table on stderr: auto (tty when\n"
    "                            stderr is a terminal, else plain; the default),\n"
    "                            tty (redrawn in place), plain (snapshots), off\n"
    "  --status-interval DURATION\n"
    "                            time between plain snapshots (default: 60s)\n"
    "  --progress-interval DURATION\n"
    "                            time between progress blocks in the log\n"
    "                            (default: 20m; 0: none)\n"
    "  --allow-insecure-http     the same for both sides of every pair, plan\n"
    "                            files included (and the coordination table)\n"
    "  --metrics-listen ADDR:PORT\n"
    "                            serve /metrics for Prometheus there, such as\n"
    "                            127.0.0.1:9464 ([IPv6]:PORT; default: off, or\n"
    "                            the plan's metrics.listen)\n"
    "  --create-coordination-table\n"
    "                            create the plan's coordination table (on-demand)\n"
    "                            when it does not exist, check it and exit\n"
    "                            (docs/fleet.md)\n"
    "  -v, --verbose             log more detail; repeat for more\n"
    "  -h, --help                print this help and exit\n"
    "  -V, --version             print the version and exit\n"
    "  DURATION is whole numbers with units, largest first: 500ms, 90s, 20m,\n"
    "  1h30m. A value follows its flag as --flag=VALUE or --flag VALUE (BOOL\n"
    "  only as --flag=BOOL).\n"
    "\n"
    "Verify (ddb-sync verify, the same plan or flags):\n"
    "  Scans both tables of each pair in parallel segments and looks each\n"
    "  page's keys up on the other side (BatchGetItem, strongly consistent):\n"
    "  items missing from the destination, extra in it, or different (as\n"
    "  DynamoDB compares: sets in any order, 1.0 equal to 1). Prints the counts,\n"
    "  writes a JSONL report of the keys; resumes from its own checkpoint; may\n"
    "  run beside a copy under the same state directory.\n"
    "  --sample RATE             check a random sample of the source's items,\n"
    "                            such as 0.01 or 1% (default: every item)\n"
    "  --repair                  put the source's item (read again, strongly\n"
    "                            consistent) where one is missing or different\n"
    "  --delete-extra            delete the destination's extra items\n"
    "  --report PATH             the JSONL report (one pair only; default:\n"
    "                            <state dir>/pairs/<pair>/verify-report.jsonl)\n"
    "  --recheck-delay DURATION  read both sides of a difference again after\n"
    "                            this long; only what still differs counts\n"
    "                            (default: 30s for a pair with a stream, else 0)\n"
    "\n"
    "Control of a running ddb-sync (through <state dir>/control.sock):\n"
    "  ddb-sync ctl list         every pair: state, worker pid, phases, items\n"
    "                            written, restarts, last error\n"
    "  ddb-sync ctl status       the numbers of /metrics, as JSON for scripts\n"
    "  ddb-sync ctl stop|start|restart NAME\n"
    "                            stop, start or restart one pair's worker while\n"
    "                            the others run; it resumes from its checkpoint\n"
    "  ddb-sync ctl limit NAME --read LIMIT --write LIMIT\n"
    "                            new capacity limits for the pair's tables,\n"
    "                            in force within 5 seconds\n"
    "  ddb-sync ctl fleet        a fleet: every host, pair, unit and owner of\n"
    "                            the coordination table\n"
    "  ddb-sync ctl fleet stop|start NAME\n"
    "                            set or clear the pair's fleet-wide stop flag\n"
    "  --json                    (ctl) print the supervisor's JSON answer\n"
    "  --read LIMIT, --write LIMIT\n"
    "                            (ctl limit) the new read or write limit\n"
    "  See 'ddb-sync ctl --help' and docs/control-protocol.md.\n"
    "\n"
    "Environment:\n"
    "  AWS_REGION, AWS_DEFAULT_REGION\n"
    "                            the input region when none is given\n"
    "  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB,\n"
    "  AWS_ENDPOINT_URL_DYNAMODB_STREAMS, AWS_ENDPOINT_URL_STS\n"
    "                            endpoints where the plan sets none (https, or\n"
    "                            http to loopback unless allowed as above)\n"
    "  AWS_CA_BUNDLE             a PEM file of CAs to trust instead of the\n"
    "                            system's (a private CA, a TLS proxy)\n"
    "  AWS_ACCESS_KEY_ID, AWS_PROFILE, ...\n"
    "                            base credentials, found as the AWS CLI does\n"
    "                            (ending with EC2 instance metadata, IMDSv2)\n"
    "  STATE_DIRECTORY           the state directory after DDB_SYNC_STATE_DIR\n"
    "                            (systemd's StateDirectory=)\n";

/* After the settings (settings_usage()). */
static const char options_help_tail[] =
    "  docs/settings.md lists every DDB_SYNC_* setting, those for tests too.\n"
    "\n"
    "Exit status:\n"
    "  0  success; --check-config: the configuration is OK\n"
    "  1  runtime failure (a pair failed)\n"
    "  2  usage or configuration error (bad flag, bad plan, failed preflight)\n"
    "  verify: 0 the tables are equal, 1 they differ (even if repaired) or the\n"
    "  verify did not finish, 2 as above\n";

void
options_usage(FILE *fp)
{
	fputs(options_help, fp);
	settings_usage(fp);
	fputs(options_help_tail, fp);
}

void
options_usage_short(FILE *fp)
{
	fputs("usage: ddb-sync --config-file FILE [options]\n"
	      "       ddb-sync --input-table TABLE [--output-table TABLE] "
	      "[options]\n"
	      "Try 'ddb-sync --help' for more information.\n",
	    fp);
}

void
options_version(FILE *fp)
{
	fputs("ddb-sync " DDB_SYNC_VERSION "\n", fp);
}

void
options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->status = OPTIONS_STATUS_AUTO;
	o->status_interval_ms = OPTIONS_STATUS_INTERVAL_MS;
	o->progress_interval_ms = OPTIONS_PROGRESS_INTERVAL_MS;
	o->verify.recheck_ms = -1;
}

void
options_free(struct options *o)
{
	plan_free(o->plan);
	free(o->config_file);
	free(o->state_dir);
	free(o->metrics_listen);
	free(o->verify.report);
	options_init(o);
}

int
options_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{ "h", 3600 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
		{ "ms", 1 },
	};
	const size_t nunits = sizeof(units) / sizeof(units[0]);
	int64_t total = 0, n;
	size_t next = 0, len, u;

	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			n = n * 10 + (*s - '0');
			if (n > OPTIONS_DURATION_MAX_MS)
				return -1;
		}
		len = strspn(s, "hms");
		/* Each unit once, largest first: "1h30m", not "30m1h". */
		for (u = next; u < nunits; u++)
			if (strlen(units[u].unit) == len &&
			    strncmp(s, units[u].unit, len) == 0)
				break;
		if (u == nunits)
			return -1;
		total += n * units[u].ms;
		if (total > OPTIONS_DURATION_MAX_MS)
			return -1;
		next = u + 1;
		s += len;
	}
	*ms = total;
	return 0;
}

static void options_err(struct options_state *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
options_err(struct options_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_errors_vadd(st->errs, fmt, ap);
	va_end(ap);
	st->nerr++;
}

/*
 * Refuse a flag given twice ("--no-x" counts as "--x"): on a migration
 * that runs for days, a repeated flag is more likely a mistake than an
 * override. Returns 0 the first time.
 */
static int
options_once(struct options_state *st, const char *canon)
{
	size_t i;

	for (i = 0; i < st->nseen; i++) {
		if (strcmp(st->seen[i], canon) == 0) {
			options_err(st, "--%s is given more than once", canon);
			return -1;
		}
	}
	if (st->nseen < OPTIONS_MAX_SEEN)
		strlcpy(st->seen[st->nseen++], canon, sizeof(st->seen[0]));
	return 0;
}

static int
options_interval(struct options_state *st, const char *flag, const char *value,
    int zero_ok, int64_t *out)
{
	char q[PLAN_QUOTE_LEN];
	int64_t ms;

	if (options_parse_duration(value, &ms) == -1) {
		options_err(st,
		    "--%s: '%s' is not a duration such as 90s, 20m "
		    "or 1h30m (at most 168h)",
		    flag, plan_quote(q, value));
		return -1;
	}
	if ((ms == 0 && !zero_ok) ||
	    (ms != 0 && ms < OPTIONS_INTERVAL_MIN_MS)) {
		options_err(st, "--%s: '%s' is too short (at least %dms)", flag,
		    plan_quote(q, value), OPTIONS_INTERVAL_MIN_MS);
		return -1;
	}
	*out = ms;
	return 0;
}

int
options_parse_rate(const char *s, uint32_t *ppm)
{
	char *end;
	double d;

	if (*s == '\0' || *s == ' ' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	if (*end == '%') {
		d /= 100;
		end++;
	}
	if (*end != '\0' || !(d > 0) || d > 1)
		return -1;
	d = d * 1000000 + 0.5;
	*ppm = d < 1 ? 1 : (uint32_t)d;
	return 0;
}

/* The flags of ddb-sync verify (refused without it, see options_parse). */
static void
options_apply_verify(struct options_state *st, const struct options_def *d,
    const char *value)
{
	struct options_verify *v = &st->o->verify;
	char q[PLAN_QUOTE_LEN];
	int64_t ms;

	if (!v->on) {
		options_err(st, "--%s is a flag of 'ddb-sync verify'", d->name);
		return;
	}
	switch (d->id) {
	case OPT_SAMPLE:
		if (options_parse_rate(value, &v->sample_ppm) == -1)
			options_err(st,
			    "--sample: '%s' is not a rate such as "
			    "0.1 or 10%% (more than 0, at most 1)",
			    plan_quote(q, value));
		break;
	case OPT_REPAIR:
		v->repair = 1;
		break;
	case OPT_DELETE_EXTRA:
		v->delete_extra = 1;
		break;
	case OPT_REPORT:
		if (*value == '\0') {
			options_err(st, "--report: empty value");
			return;
		}
		free(v->report);
		v->report = xstrdup(value);
		break;
	case OPT_RECHECK_DELAY:
		if (options_parse_duration(value, &ms) == -1)
			options_err(st,
			    "--recheck-delay: '%s' is not a "
			    "duration such as 90s, 20m or 1h30m (at most "
			    "168h)",
			    plan_quote(q, value));
		else
			v->recheck_ms = ms;
		break;
	default:
		break;
	}
}

static void
options_apply(struct options_state *st, const struct options_def *d,
    const char *value)
{
	struct options *o = st->o;
	char q[PLAN_QUOTE_LEN];
	char **sp;

	if (d->has_arg && value == NULL)
		fatalx("options_apply: --%s without a value", d->name);
	switch (d->id) {
	case OPT_CONFIG_FILE:
	case OPT_STATE_DIR:
		if (*value == '\0') {
			options_err(st, "--%s: empty value", d->name);
			return;
		}
		sp = d->id == OPT_CONFIG_FILE ? &o->config_file : &o->state_dir;
		free(*sp);
		*sp = xstrdup(value);
		break;
	case OPT_CHECK_CONFIG:
		o->check_config = 1;
		break;
	case OPT_STATUS:
		if (strcmp(value, "auto") == 0)
			o->status = OPTIONS_STATUS_AUTO;
		else if (strcmp(value, "tty") == 0)
			o->status = OPTIONS_STATUS_TTY;
		else if (strcmp(value, "plain") == 0)
			o->status = OPTIONS_STATUS_PLAIN;
		else if (strcmp(value, "off") == 0)
			o->status = OPTIONS_STATUS_OFF;
		else
			options_err(st,
			    "--status: '%s' is not one of auto, "
			    "tty, plain, off",
			    plan_quote(q, value));
		break;
	case OPT_NO_STATUS:
		o->status = OPTIONS_STATUS_OFF;
		break;
	case OPT_STATUS_INTERVAL:
		(void)options_interval(st, d->name, value, 0,
		    &o->status_interval_ms);
		break;
	case OPT_PROGRESS_INTERVAL:
		(void)options_interval(st, d->name, value, 1,
		    &o->progress_interval_ms);
		break;
	case OPT_ALLOW_INSECURE_HTTP:
		o->allow_insecure_http = 1;
		break;
	case OPT_METRICS_LISTEN:
		free(o->metrics_listen);
		o->metrics_listen = xstrdup(value);
		break;
	case OPT_CREATE_COORD:
		o->create_coord = 1;
		break;
	case OPT_VERBOSE:
		o->verbose++;
		break;
	case OPT_HELP:
		st->help = 1;
		break;
	case OPT_VERSION:
		st->version = 1;
		break;
	case OPT_SAMPLE:
	case OPT_REPAIR:
	case OPT_DELETE_EXTRA:
	case OPT_REPORT:
	case OPT_RECHECK_DELAY:
		options_apply_verify(st, d, value);
		break;
	}
}

static const struct options_def *
options_def_find(const char *name)
{
	size_t i;

	for (i = 0; i < OPTIONS_NDEFS; i++)
		if (strcmp(options_defs[i].name, name) == 0)
			return &options_defs[i];
	return NULL;
}

/* argv[*ip] is "--name[=value]"; may consume the next argument. */
static void
options_long(struct options_state *st, int argc, char **argv, int *ip)
{
	const struct options_def *d;
	const char *arg = argv[*ip] + 2, *eq, *value = NULL, *canon;
	char name[64], q[PLAN_QUOTE_LEN], err[256];
	size_t len;
	int needs;

	eq = strchr(arg, '=');
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if (eq != NULL)
		value = eq + 1;
	if (len == 0 || len >= sizeof(name)) {
		options_err(st, "unknown option '%s'",
		    plan_quote(q, argv[*ip]));
		return;
	}
	memcpy(name, arg, len);
	name[len] = '\0';

	if ((d = options_def_find(name)) != NULL) {
		needs = d->has_arg;
		canon = d->id == OPT_NO_STATUS ? "status" : d->name;
	} else if ((needs = plan_pair_flag_needs_value(name)) != -1) {
		canon = strncmp(name, "no-", 3) == 0 ? name + 3 : name;
	} else {
		options_err(st, "unknown option '--%s'", plan_quote(q, name));
		return;
	}
	if (needs && value == NULL) {
		if (*ip + 1 >= argc) {
			options_err(st, "--%s needs a value", name);
			return;
		}
		value = argv[++*ip];
	}
	if (d != NULL && !needs && value != NULL) {
		options_err(st, "--%s takes no value", name);
		return;
	}
	if (d == NULL ||
	    (d->id != OPT_VERBOSE && d->id != OPT_HELP &&
		d->id != OPT_VERSION)) {
		if (options_once(st, canon) == -1)
			return;
	}
	if (d != NULL) {
		options_apply(st, d, value);
		return;
	}
	if (plan_pair_set_flag(&st->pair, name, value, err, sizeof(err)) ==
	    -1) {
		options_err(st, "--%s: %s", name, err);
		return;
	}
	if (st->npairflags++ == 0)
		(void)snprintf(st->first_pair_flag, sizeof(st->first_pair_flag),
		    "--%s", name);
}

/* "-vvh": single-letter flags, none takes a value. */
static void
options_short(struct options_state *st, const char *arg)
{
	char q[PLAN_QUOTE_LEN];
	size_t i;

	for (i = 1; arg[i] != '\0'; i++) {
		switch (arg[i]) {
		case 'v':
			st->o->verbose++;
			break;
		case 'h':
			st->help = 1;
			break;
		case 'V':
			st->version = 1;
			break;
		default:
			options_err(st, "unknown option '%s'",
			    plan_quote(q, arg));
			return;
		}
	}
}

char *
options_state_dir_default(void)
{
	const char *e;

	if ((e = settings_str(SETTING_STATE_DIR)) != NULL)
		return xstrdup(e);
	/* systemd lists one path per StateDirectory=, ':'-separated. */
	if ((e = getenv("STATE_DIRECTORY")) != NULL && *e != '\0' && *e != ':')
		return xstrndup(e, strcspn(e, ":"));
	return xstrdup(OPTIONS_STATE_DIR_DEFAULT);
}

static void
options_default_state_dir(struct options *o)
{
	if (o->state_dir == NULL)
		o->state_dir = options_state_dir_default();
}

int
options_parse(int argc, char **argv, struct options *o,
    struct plan_errors *errs)
{
	struct options_state st;
	struct plan *plan = NULL;
	struct plan_pair *p;
	char q[PLAN_QUOTE_LEN], host[64], err[256];
	uint16_t port;
	int i, rc = OPTIONS_USAGE_ERROR;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.errs = errs;
	plan_pair_init(&st.pair);

	/* "ddb-sync verify ...": the same plan, compared instead of copied. */
	i = 1;
	if (argc > 1 && strcmp(argv[1], "verify") == 0) {
		o->verify.on = 1;
		i = 2;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc; i++)
				options_err(&st, "unexpected argument '%s'",
				    plan_quote(q, argv[i]));
			break;
		}
		if (strncmp(argv[i], "--", 2) == 0)
			options_long(&st, argc, argv, &i);
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			options_short(&st, argv[i]);
		else
			options_err(&st, "unexpected argument '%s'",
			    plan_quote(q, argv[i]));
	}
	if (st.help) {
		rc = OPTIONS_HELP;
		goto done;
	}
	if (st.version) {
		rc = OPTIONS_VERSION;
		goto done;
	}

	if (argc <= 1 + o->verify.on)
		options_err(&st,
		    "no arguments: give --config-file FILE, or "
		    "--input-table TABLE and the other pair flags");
	else if (o->config_file != NULL && st.npairflags > 0)
		options_err(&st,
		    "--config-file and %s cannot be used together:"
		    " put the pair in the plan file",
		    st.first_pair_flag);
	else if (o->config_file == NULL && st.npairflags == 0 && st.nerr == 0)
		options_err(&st,
		    "nothing to copy: give --config-file FILE or "
		    "--input-table TABLE");
	else if (o->config_file == NULL && st.npairflags > 0 &&
	    st.pair.input.table == NULL)
		options_err(&st,
		    "--input-table is required (or use "
		    "--config-file)");

	if (o->config_file != NULL && st.npairflags == 0) {
		/* Load even after flag errors: report every problem at once. */
		if ((plan = plan_load_file(o->config_file, errs)) == NULL)
			goto done;
	} else if (st.nerr == 0) {
		plan = plan_new();
		p = plan_add_pair(plan);
		*p = st.pair;
		plan_pair_init(&st.pair);
	}
	if (plan == NULL || st.nerr > 0)
		goto done;
	for (size_t k = 0; o->allow_insecure_http && k < plan->npairs; k++)
		plan->pairs[k].input.allow_insecure_http =
		    plan->pairs[k].output.allow_insecure_http = 1;
	if (o->allow_insecure_http && plan->coord != NULL)
		plan->coord->allow_insecure_http = 1;
	if (o->create_coord && plan->coord == NULL) {
		options_err(&st,
		    "--create-coordination-table: the plan has no "
		    "coordination block (docs/fleet.md)");
		goto done;
	}
	plan_resolve_defaults(plan);
	if (plan_validate(plan, errs) > 0)
		goto done;
	/* One report file per pair: a path given applies to one pair. */
	if (o->verify.report != NULL && plan->npairs > 1) {
		plan_errors_add(errs,
		    "--report names one file, but the plan "
		    "has %zu pairs: leave it out (each pair's report is then "
		    "<state dir>/pairs/<pair>/verify-report.jsonl)",
		    plan->npairs);
		goto done;
	}
	if (o->metrics_listen == NULL && plan->metrics_listen != NULL)
		o->metrics_listen = xstrdup(plan->metrics_listen);
	if (o->metrics_listen != NULL &&
	    metrics_parse_listen(o->metrics_listen, host, sizeof(host), &port,
		err, sizeof(err)) == -1) {
		options_err(&st, "%s: %s",
		    plan->metrics_listen != NULL &&
			    strcmp(plan->metrics_listen, o->metrics_listen) ==
				0 ?
			"metrics.listen" :
			"--metrics-listen",
		    err);
		goto done;
	}

	options_default_state_dir(o);
	o->plan = plan;
	plan = NULL;
	rc = OPTIONS_RUN;
done:
	plan_free(plan);
	plan_pair_clear(&st.pair);
	return rc;
}

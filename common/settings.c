/* settings.c: the table of DDB_SYNC_* settings, read once at start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "json.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

#define S_MIN  (60LL * 1000)
#define S_HOUR (60 * S_MIN)
#define S_MAX  SETTING_MAX

#define SUP "ddb-sync"
#define WRK "ddb-sync-worker"

#define MS(id, aud, who, def, min, help) \
	[SETTING_##id] = { "DDB_SYNC_" #id, SETTING_MS, aud, who, def, min, \
		S_MAX, NULL, help }
#define NUM(id, kind, aud, who, def, min, max, help) \
	[SETTING_##id] = { "DDB_SYNC_" #id, kind, aud, who, def, min, max, \
		NULL, help }
#define TEXT(id, aud, who, def, help) \
	[SETTING_##id] = { "DDB_SYNC_" #id, SETTING_TEXT, aud, who, 0, 0, 0, \
		def, help }

#define OP   SETTING_OPERATOR
#define TST  SETTING_TEST
#define HOOK SETTING_HOOK

/*
 * The defaults here are the only ones; test_settings checks those that a
 * header also names (WORKER_DEFAULT_INFLIGHT, PROTO_STOP_GRACE_MS, ...).
 * docs/settings.md says more about each.
 */
static const struct setting settings_table[SETTING_COUNT] = {
	TEXT(STATE_DIR, OP, SUP, "$STATE_DIRECTORY, else ./ddb-sync-state",
	    "the state directory when --state-dir is not given"),
	TEXT(WORKER, OP, SUP, "next to ddb-sync, else $PATH",
	    "the ddb-sync-worker program to run"),
	MS(SHUTDOWN_TIMEOUT_MS, OP, SUP, 30000, 0,
	    "how long a shutdown waits for checkpoints"),
	MS(RESTART_BASE_MS, TST, SUP, 1000, 0,
	    "first restart delay after a worker crash"),
	MS(RESTART_MAX_MS, TST, SUP, 60000, 0, "longest restart delay"),
	MS(QUICK_DEATH_MS, TST, SUP, 30000, 0,
	    "a worker dying sooner, without progress, is quick"),
	NUM(MAX_QUICK_DEATHS, SETTING_NUMBER, TST, SUP, 5, 1, 1000,
	    "quick deaths in a row that fail a pair"),
	MS(HELLO_TIMEOUT_MS, TST, SUP, 10000, 1,
	    "a worker's time to say hello"),
	MS(STOP_GRACE_MS, TST, SUP, 10000, 0,
	    "SIGTERM to SIGKILL for a stopping worker"),
	MS(CONTROL_TIMEOUT_MS, TST, SUP, 10000, 1,
	    "a control connection's time to be served"),
	NUM(STDOUT_MAX_BYTES, SETTING_BYTES, TST, SUP, 1024 * 1024, 0,
	    1024LL * 1024 * 1024, "log lines queued for a slow stdout"),

	MS(PREFLIGHT_GIVE_UP_MS, OP, WRK, 120000, 0,
	    "how long a preflight call may keep failing"),
	NUM(MAX_INFLIGHT, SETTING_NUMBER, OP, WRK, 256, 1, 1024,
	    "bound on writes in flight (plan: max_inflight)"),
	NUM(ADAPTIVE_INFLIGHT, SETTING_NUMBER, TST, WRK, 1, 0, 1,
	    "1: adapt writes in flight; 0: fixed at the bound"),
	MS(CAPACITY_REFRESH_MS, TST, WRK, 5 * 60 * 1000, 1000,
	    "time between DescribeTable reads for P% limits"),
	NUM(BUFFER_BYTES, SETTING_BYTES, OP, WRK, 32LL * 1024 * 1024, 1,
	    16LL * 1024 * 1024 * 1024,
	    "scanned, unwritten bytes a backfill holds"),
	MS(REQUEST_TIMEOUT_MS, OP, WRK, 60000, 1,
	    "one AWS request's time limit"),
	MS(CONNECT_TIMEOUT_MS, OP, WRK, 10000, 1,
	    "one connection's time limit"),
	MS(RETRY_BUDGET_MS, OP, WRK, 600000, 0,
	    "how long a failing call is retried"),
	MS(CREATE_TIMEOUT_MS, OP, WRK, 30 * S_MIN, 1,
	    "wait for a created table to become ACTIVE"),
	NUM(MAX_ATTEMPTS, SETTING_NUMBER, TST, WRK, 0, 0, 1000000,
	    "attempts per call (0: until the retry budget)"),
	MS(RETRY_BASE_MS, TST, WRK, 25, 0, "first retry delay after an error"),
	MS(THROTTLE_BASE_MS, TST, WRK, 500, 0,
	    "first retry delay after a throttle"),
	MS(RETRY_CAP_MS, TST, WRK, 20000, 0, "longest retry delay"),
	MS(RETRY_NOTICE_MS, TST, WRK, 5000, 0,
	    "a call failing this long is reported"),
	MS(THROTTLE_WARN_MS, TST, WRK, 5 * S_MIN, 0,
	    "at most one throttling warning per this"),
	NUM(THROTTLE_WARN_COUNT, SETTING_NUMBER, TST, WRK, 30, 0, 1000000,
	    "throttles in a minute that warn"),
	MS(STOP_TIMEOUT_MS, TST, WRK, 10000, 0,
	    "how long a stopping worker drains its writes"),
	MS(REPORT_STALL_MS, TST, WRK, 60000, 0,
	    "how long a worker waits for a stalled supervisor"),
	MS(CHECKPOINT_INTERVAL_MS, TST, WRK, 500, 0,
	    "time between checkpoint writes"),
	MS(PROGRESS_INTERVAL_MS, TST, WRK, 1000, 0,
	    "time between progress messages"),
	NUM(PAGES_PER_SEGMENT, SETTING_NUMBER, TST, WRK, 2, 1, 1000,
	    "Scan pages a backfill segment may hold"),
	MS(RETENTION_WARN_MS, TST, WRK, 20 * S_HOUR, 0,
	    "a backfill this long warns of the stream's retention"),
	MS(CREATE_POLL_MS, TST, WRK, 2000, 1,
	    "time between DescribeTable calls while creating"),
	MS(POLL_MS, TST, WRK, 1000, 0, "wait after an empty GetRecords"),
	MS(SHARD_REFRESH_MS, TST, WRK, 10000, 0,
	    "time between DescribeStream calls"),
	NUM(STREAM_AHEAD_RECORDS, SETTING_NUMBER, TST, WRK, 8000, 1, 1000000,
	    "stream records read ahead per shard"),
	NUM(SPOOL_APPLY_RECORDS, SETTING_NUMBER, TST, WRK, 20000, 1, 1000000,
	    "spooled records applied per batch"),
	MS(STREAM_RETENTION_MS, TST, WRK, 24 * S_HOUR, 0,
	    "how long the stream keeps records"),
	MS(HANDOFF_MARGIN_MS, TST, WRK, 5 * S_MIN, 0,
	    "stream records this much older than the scan replay"),
	MS(VERIFY_RECHECK_MS, TST, WRK, 30000, 0,
	    "verify's default recheck delay beside a stream"),
	MS(STS_TIMEOUT_MS, TST, WRK, 10000, 1,
	    "one STS AssumeRole attempt's time limit"),
	MS(STS_RETRY_BASE_MS, TST, WRK, 200, 0,
	    "first delay between STS attempts"),
	MS(CONTAINER_TIMEOUT_MS, TST, WRK, 2000, 1,
	    "one container credentials attempt's time limit"),
	MS(CONTAINER_RETRY_DELAY_MS, TST, WRK, 1000, 0,
	    "delay between container credentials attempts"),
	/* The fleet's lease timers (lease.h, docs/fleet.md "Timeouts"). */
	MS(LEASE_MS, TST, WRK, 40000, 100, "fleet: a lease expires unrenewed"),
	MS(LEASE_RENEW_MS, TST, WRK, 5000, 10,
	    "fleet: a held lease is renewed"),
	MS(LEASE_MARGIN_MS, TST, WRK, 15000, 10,
	    "fleet: owner stops writing before expiry"),
	MS(LEASE_ROUND_MS, TST, WRK, 10000, 10,
	    "fleet: time between balancing rounds"),

	TEXT(CRASH_AT, HOOK, WRK, "unset: no crash",
	    "the crash point where the worker kills itself"),
	NUM(CRASH_AFTER, SETTING_NUMBER, HOOK, WRK, 1, 1, 1000000000,
	    "crash the nth time the point is passed"),
	TEXT(CRASH_FILE, HOOK, WRK, "unset: no crash",
	    "created at the crash: a restarted worker goes on"),
	TEXT(TEST_CONTAINER_HOST, HOOK, WRK, "http://169.254.170.2",
	    "the container credentials host, for tests"),
	TEXT(FAKE_PIDDIR, HOOK, "tests/fakes/fakeworker.sh", "unset",
	    "where the fake worker records its pids"),
	TEXT(CACHE, TST, "scripts/ddblocal.sh, bench/run.sh",
	    "$XDG_CACHE_HOME/ddb-sync, else ~/.cache/ddb-sync",
	    "where DynamoDB Local is downloaded to"),
};

static int64_t settings_val[SETTING_COUNT];
static char *settings_txt[SETTING_COUNT]; /* copies */
static int settings_ready;

/* A number setting's value: digits only, within [min, max]. */
static int
settings_parse(const struct setting *s, const char *v, int64_t *out, char *err,
    size_t errlen)
{
	char q[64];
	const char *p;
	int64_t n = 0;

	for (p = v; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - 9) / 10) {
			n = INT64_MAX;
			continue;
		}
		n = n * 10 + (*p - '0');
	}
	if (p == v || *p != '\0')
		return json_err(err, errlen,
		    "%s='%s': not a whole number "
		    "of %s",
		    s->name, fmt_printable_str(q, sizeof(q), v),
		    settings_unit(s));
	if (n < s->min || n > s->max)
		return json_err(err, errlen,
		    "%s=%s: out of range (%lld to "
		    "%lld %s)",
		    s->name, fmt_printable_str(q, sizeof(q), v),
		    (long long)s->min, (long long)s->max, settings_unit(s));
	*out = n;
	return 0;
}

int
settings_init(char *err, size_t errlen)
{
	int64_t val[SETTING_COUNT];
	const char *txt[SETTING_COUNT];
	const struct setting *s;
	const char *v;
	size_t i;

	for (i = 0; i < SETTING_COUNT; i++) {
		s = &settings_table[i];
		val[i] = s->def;
		txt[i] = NULL;
		if ((v = getenv(s->name)) == NULL || *v == '\0')
			continue;
		if (s->kind == SETTING_TEXT)
			txt[i] = v;
		else if (settings_parse(s, v, &val[i], err, errlen) == -1)
			return -1;
	}
	memcpy(settings_val, val, sizeof(val));
	for (i = 0; i < SETTING_COUNT; i++) {
		free(settings_txt[i]);
		settings_txt[i] = txt[i] != NULL ? xstrdup(txt[i]) : NULL;
	}
	settings_ready = 1;
	return 0;
}

static void
settings_ensure(void)
{
	char err[256];

	if (!settings_ready && settings_init(err, sizeof(err)) == -1)
		fatalx("%s", err);
}

int64_t
settings_int(enum setting_id id)
{
	if ((unsigned)id >= SETTING_COUNT ||
	    settings_table[id].kind == SETTING_TEXT)
		fatalx("settings_int: %d is not a number setting", (int)id);
	settings_ensure();
	return settings_val[id];
}

const char *
settings_str(enum setting_id id)
{
	if ((unsigned)id >= SETTING_COUNT ||
	    settings_table[id].kind != SETTING_TEXT)
		fatalx("settings_str: %d is not a text setting", (int)id);
	settings_ensure();
	return settings_txt[id];
}

const struct setting *
settings_get(enum setting_id id)
{
	return (unsigned)id < SETTING_COUNT ? &settings_table[id] : NULL;
}

const struct setting *
settings_find(const char *name)
{
	for (size_t i = 0; i < SETTING_COUNT; i++)
		if (strcmp(settings_table[i].name, name) == 0)
			return &settings_table[i];
	return NULL;
}

const char *
settings_unit(const struct setting *s)
{
	switch (s->kind) {
	case SETTING_MS:
		return "ms";
	case SETTING_BYTES:
		return "bytes";
	case SETTING_NUMBER:
		return "count";
	default:
		return "text";
	}
}

const char *
settings_audience_name(enum setting_audience a)
{
	switch (a) {
	case SETTING_OPERATOR:
		return "operator";
	case SETTING_TEST:
		return "test";
	default:
		return "test-hook";
	}
}

size_t
settings_unknown(void (*fn)(const char *, void *), void *arg)
{
	char name[128];
	size_t n = 0, len;

	for (char **e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "DDB_SYNC_", 9) != 0)
			continue;
		len = strcspn(*e, "=");
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, *e, len);
		name[len] = '\0';
		if (settings_find(name) != NULL)
			continue;
		n++;
		if (fn != NULL)
			fn(name, arg);
	}
	return n;
}

/* The default as --help and --list-settings show it. */
static const char *
settings_default(const struct setting *s, char *buf, size_t len)
{
	if (s->kind == SETTING_TEXT)
		return s->def_text;
	snprintf(buf, len, "%lld", (long long)s->def);
	return buf;
}

void
settings_usage(FILE *fp)
{
	const struct setting *s;
	char def[32];

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		s = &settings_table[i];
		if (s->audience != SETTING_OPERATOR)
			continue;
		if (strlen(s->name) < 26)
			fprintf(fp, "  %-26s%s\n", s->name, s->help);
		else
			fprintf(fp, "  %s\n%28s%s\n", s->name, "", s->help);
		if (s->kind == SETTING_TEXT)
			fprintf(fp, "%28s(default: %s)\n", "",
			    settings_default(s, def, sizeof(def)));
		else
			fprintf(fp, "%28s(%s; default: %s)\n", "",
			    settings_unit(s),
			    settings_default(s, def, sizeof(def)));
	}
}

void
settings_list(FILE *fp)
{
	const struct setting *s;
	char def[32];

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		s = &settings_table[i];
		fprintf(fp, "%s\t%s\t%s\t%s\t%s\n", s->name,
		    settings_audience_name(s->audience), settings_unit(s),
		    settings_default(s, def, sizeof(def)), s->help);
	}
}

/* settings.h: every DDB_SYNC_* environment variable, in one table. */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Each process reads the table once at start (settings_init(), which
 * refuses a bad value naming the variable), then asks settings_int() or
 * settings_str() by id. The table (settings.c) is the only place that
 * names a DDB_SYNC_* variable or its default; docs/settings.md describes
 * every entry, docs/ddb-sync.1 and --help the operator ones, and the
 * manpage scenario checks all three against "ddb-sync --list-settings".
 *
 * Test hooks (crash points and the like) stay in the release build,
 * marked SETTING_HOOK: the scenarios then test the very binaries that
 * ship, and an unset hook costs one comparison.
 */
enum setting_id {
	/* ddb-sync */
	SETTING_STATE_DIR,
	SETTING_WORKER,
	SETTING_SHUTDOWN_TIMEOUT_MS,
	SETTING_RESTART_BASE_MS,
	SETTING_RESTART_MAX_MS,
	SETTING_QUICK_DEATH_MS,
	SETTING_MAX_QUICK_DEATHS,
	SETTING_HELLO_TIMEOUT_MS,
	SETTING_STOP_GRACE_MS,
	SETTING_CONTROL_TIMEOUT_MS,
	SETTING_STDOUT_MAX_BYTES,
	/* ddb-sync-worker */
	SETTING_PREFLIGHT_GIVE_UP_MS,
	SETTING_MAX_INFLIGHT,
	SETTING_ADAPTIVE_INFLIGHT,
	SETTING_CAPACITY_REFRESH_MS,
	SETTING_BUFFER_BYTES,
	SETTING_REQUEST_TIMEOUT_MS,
	SETTING_CONNECT_TIMEOUT_MS,
	SETTING_RETRY_BUDGET_MS,
	SETTING_CREATE_TIMEOUT_MS,
	SETTING_MAX_ATTEMPTS,
	SETTING_RETRY_BASE_MS,
	SETTING_THROTTLE_BASE_MS,
	SETTING_RETRY_CAP_MS,
	SETTING_RETRY_NOTICE_MS,
	SETTING_THROTTLE_WARN_MS,
	SETTING_THROTTLE_WARN_COUNT,
	SETTING_STOP_TIMEOUT_MS,
	SETTING_REPORT_STALL_MS,
	SETTING_CHECKPOINT_INTERVAL_MS,
	SETTING_PROGRESS_INTERVAL_MS,
	SETTING_PAGES_PER_SEGMENT,
	SETTING_RETENTION_WARN_MS,
	SETTING_CREATE_POLL_MS,
	SETTING_POLL_MS,
	SETTING_SHARD_REFRESH_MS,
	SETTING_STREAM_AHEAD_RECORDS,
	SETTING_SPOOL_APPLY_RECORDS,
	SETTING_STREAM_RETENTION_MS,
	SETTING_HANDOFF_MARGIN_MS,
	SETTING_VERIFY_RECHECK_MS,
	SETTING_STS_TIMEOUT_MS,
	SETTING_STS_RETRY_BASE_MS,
	SETTING_CONTAINER_TIMEOUT_MS,
	SETTING_CONTAINER_RETRY_DELAY_MS,
	SETTING_LEASE_MS,
	SETTING_LEASE_RENEW_MS,
	SETTING_LEASE_MARGIN_MS,
	SETTING_LEASE_ROUND_MS,
	/* test hooks */
	SETTING_CRASH_AT,
	SETTING_CRASH_AFTER,
	SETTING_CRASH_FILE,
	SETTING_TEST_CONTAINER_HOST,
	/* read by the test and build scripts only */
	SETTING_FAKE_PIDDIR,
	SETTING_CACHE,
	SETTING_COUNT
};

enum setting_kind {
	SETTING_MS,	/* whole milliseconds */
	SETTING_NUMBER, /* a whole number (a count) */
	SETTING_BYTES,	/* whole bytes */
	SETTING_TEXT,	/* a path, name or URL, as given */
};

enum setting_audience {
	SETTING_OPERATOR, /* documented in the man page and --help */
	SETTING_TEST,	  /* a timer or limit tests shrink */
	SETTING_HOOK,	  /* changes behaviour for a test: never set */
};

struct setting {
	const char *name; /* DDB_SYNC_... */
	enum setting_kind kind;
	enum setting_audience audience;
	const char *reader; /* which program reads it */
	int64_t def;	    /* numbers: unset or empty */
	int64_t min;
	int64_t max;
	const char *def_text; /* the default, as words */
	const char *help;     /* one line, at most 50 bytes */
};

/* The largest number a setting takes: a year in milliseconds. */
#define SETTING_MAX (366LL * 24 * 3600 * 1000)

/*
 * (Re)read every setting from the environment. 0, or -1 with err saying
 * which variable is wrong and why (err may be NULL). Empty counts as
 * unset. On failure the previous values stay.
 */
int settings_init(char *err, size_t errlen);

/* The value of a number setting, or of a text one (NULL when unset).
 * The first use without settings_init() reads them (fatal if bad). */
int64_t settings_int(enum setting_id);
const char *settings_str(enum setting_id);

/* The table: its entry for id, or the entry named name (else NULL). */
const struct setting *settings_get(enum setting_id);
const struct setting *settings_find(const char *name);
const char *settings_unit(const struct setting *);
const char *settings_audience_name(enum setting_audience);

/* DDB_SYNC_* variables in the environment that are not in the table
 * (a typo): calls fn for each, returns how many. */
size_t settings_unknown(void (*fn)(const char *name, void *), void *arg);

/* --help's lines for the operator settings; the hidden "ddb-sync
 * --list-settings": every entry, NAME<TAB>AUDIENCE<TAB>UNIT<TAB>DEFAULT
 * <TAB>HELP, one a line. */
void settings_usage(FILE *);
void settings_list(FILE *);

#endif

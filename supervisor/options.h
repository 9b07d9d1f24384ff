/* options.h: the ddb-sync command line, parsed into a plan and settings. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "exitcode.h"
#include "plan.h"

#define OPTIONS_STATE_DIR_DEFAULT    "./ddb-sync-state"
#define OPTIONS_STATUS_INTERVAL_MS   (60 * 1000)
#define OPTIONS_PROGRESS_INTERVAL_MS (20 * 60 * 1000)
/* Longest accepted duration: one week. */
#define OPTIONS_DURATION_MAX_MS ((int64_t)7 * 24 * 3600 * 1000)

enum options_status {
	OPTIONS_STATUS_AUTO = 0, /* tty on a terminal, else plain */
	OPTIONS_STATUS_TTY,	 /* redrawn table */
	OPTIONS_STATUS_PLAIN,	 /* snapshots every status_interval_ms */
	OPTIONS_STATUS_OFF,
};

/* What main should do after options_parse(). */
enum options_result {
	OPTIONS_RUN = 0,     /* run (or check, if check_config) opts->plan */
	OPTIONS_HELP,	     /* print options_usage() to stdout, exit 0 */
	OPTIONS_VERSION,     /* print options_version() to stdout, exit 0 */
	OPTIONS_USAGE_ERROR, /* print errors, short usage; exit 2 */
};

/* ddb-sync verify: compare each pair's tables (worker/verify.c). */
struct options_verify {
	int on;
	uint32_t sample_ppm; /* parts per million; 0: every item */
	int repair;	     /* --repair */
	int delete_extra;    /* --delete-extra */
	char *report;	     /* --report PATH; NULL: in the pair's dir */
	int64_t recheck_ms;  /* --recheck-delay; -1: the default */
};

struct options {
	struct plan *plan; /* validated, defaults resolved */
	char *config_file; /* NULL: the pair came from flags */
	char *state_dir;   /* never NULL after OPTIONS_RUN */
	int check_config;  /* validate + preflight, copy nothing */
	enum options_status status;
	int64_t status_interval_ms;   /* plain snapshots */
	int64_t progress_interval_ms; /* progress blocks; 0 = off */
	int verbose;		      /* -v count */
	/* --allow-insecure-http: set on both sides of every pair. */
	int allow_insecure_http;
	/* --metrics-listen, else the plan's metrics.listen; NULL: off. */
	char *metrics_listen;
	struct options_verify verify;
	/* --create-coordination-table: the plan's coordination table. */
	int create_coord;
};

/* "0.1", "10%", "0.5%": a sample rate in (0, 1], parts per million
 * (at least 1). 0, or -1 if malformed or out of range. */
int options_parse_rate(const char *, uint32_t *ppm);

void options_init(struct options *);
void options_free(struct options *);

/*
 * Parse ddb-sync's argv (argv[0] is skipped). Reads the plan file, when
 * given, and the environment (AWS_REGION, AWS_DEFAULT_REGION,
 * DDB_SYNC_STATE_DIR, STATE_DIRECTORY); nothing else. Every problem found
 * goes into errs. Returns an enum options_result; --help wins over
 * --version, both over errors.
 */
int options_parse(int argc, char **argv, struct options *,
    struct plan_errors *errs);

/* "90s", "20m", "1h30m", "500ms": units h, m, s, ms, largest first. */
int options_parse_duration(const char *, int64_t *ms);

/* $DDB_SYNC_STATE_DIR, else $STATE_DIRECTORY (systemd), else the default;
 * allocated. */
char *options_state_dir_default(void);

void options_usage(FILE *);	  /* the full --help text */
void options_usage_short(FILE *); /* synopsis and "see --help" */
void options_version(FILE *);

#endif

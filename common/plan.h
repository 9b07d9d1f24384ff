/* plan.h: the plan model (pairs of tables), its YAML loader, flags and checks. */
#ifndef PLAN_H
#define PLAN_H

#include <stddef.h>
#include <stdint.h>

struct plan_side {
	char	*table;
	char	*region;
	char	*role_arn;		/* NULL: base credentials */
	char	*endpoint;		/* DynamoDB endpoint URL override */
	char	*streams_endpoint;	/* Streams endpoint URL override */
	char	*sts_endpoint;		/* STS endpoint URL override */
	int	 line;			/* line in the plan file, 0 for flags */
};

struct plan_pair {
	char	*name;		/* unique; default: the input table name */
	struct plan_side input;
	struct plan_side output;
	int	 backfill;	/* 1 = phase enabled (default) */
	int	 stream;	/* 1 = phase enabled (default) */
	uint32_t total_segments;	/* 0 = automatic */
	uint32_t *segments;	/* subset scanned by this host; NULL = all */
	size_t	 nsegments;
	uint32_t page_size;	/* Scan Limit; 0 = automatic */
	uint32_t max_inflight;	/* BatchWriteItem requests in flight; 0 = default */
	int	 line;
};

struct plan {
	struct plan_pair *pairs;
	size_t	 npairs;
	char	*path;		/* NULL when built from flags */
};

/* Problems found while loading or validating; every one is kept. */
struct plan_errors {
	char	**msgs;
	size_t	 n;
};

void	plan_errors_init(struct plan_errors *);
void	plan_errors_add(struct plan_errors *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	plan_errors_clear(struct plan_errors *);

struct plan *plan_new(void);
void	plan_free(struct plan *);
void	plan_pair_init(struct plan_pair *);
void	plan_pair_clear(struct plan_pair *);
struct plan_pair *plan_add_pair(struct plan *);

/*
 * Load a YAML plan. Reports every problem as "FILE:LINE: message" (unknown
 * key, wrong type, missing table, ...). Returns NULL if any was found.
 * Regions missing in the file are filled from AWS_REGION/AWS_DEFAULT_REGION
 * (input) and the input region (output) by plan_resolve_defaults().
 */
struct plan *plan_load_file(const char *path, struct plan_errors *);
struct plan *plan_load_buffer(const char *name, const char *text,
	    size_t len, struct plan_errors *);

/* Fill defaults (names, regions from env, output table from input). */
void	plan_resolve_defaults(struct plan *);

/*
 * Whole-plan checks after defaults: input != output, duplicate pairs,
 * duplicate names, segments vs total_segments, regions present, name
 * characters safe for file names. Returns the number of problems added.
 */
int	plan_validate(const struct plan *, struct plan_errors *);

/*
 * Pair flags shared by ddb-sync and ddb-sync-worker: "input-table",
 * "input-region", "input-role-arn", "input-endpoint-url",
 * "input-streams-endpoint-url", "input-sts-endpoint-url", the same with
 * "output-", "backfill", "stream" (value "true"/"false"/NULL = true),
 * "no-backfill", "no-stream", "pair-name", "total-segments", "segments"
 * ("0,1,2"), "page-size", "max-inflight".
 * Returns 1 if name is a pair flag and was applied, 0 if not a pair flag,
 * -1 on a bad value (err says why).
 */
int	plan_pair_set_flag(struct plan_pair *, const char *name,
	    const char *value, char *err, size_t errlen);
/* Whether the pair flag takes a value ("input-table") or not ("no-stream"). */
int	plan_pair_flag_needs_value(const char *name);

/*
 * The pair as ddb-sync-worker arguments ("--input-table=T", ...), for exec.
 * Returns a NULL-terminated array; free with plan_argv_free().
 */
char	**plan_pair_to_argv(const struct plan_pair *, size_t *argc);
void	 plan_argv_free(char **);

/* "[src] ⇨ [dst]" label used in log lines. */
const char *plan_pair_label(const struct plan_pair *, char *buf, size_t len);

#endif

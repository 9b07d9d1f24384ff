/* plan.h: the plan model (pairs of tables), YAML loader, flags and checks. */
#ifndef PLAN_H
#define PLAN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what a plan may contain; see docs/plan-format.md. */
#define PLAN_MAX_FILE	  (1024 * 1024) /* bytes of YAML */
#define PLAN_MAX_DEPTH	  16		/* nested mappings/sequences */
#define PLAN_MAX_NODES	  100000	/* YAML nodes in one file */
#define PLAN_MAX_PAIRS	  1000
#define PLAN_MAX_VALUE	  2048 /* bytes in one string value */
#define PLAN_MAX_SEGMENTS 4096 /* entries in a segments list */
#define PLAN_MAX_ERRORS	  100  /* kept; then one saying "stopped" */

#define PLAN_TOTAL_SEGMENTS_MAX 1000000 /* DynamoDB's TotalSegments limit */
#define PLAN_PAGE_SIZE_MAX	10000
#define PLAN_MAX_INFLIGHT_MAX	1024
#define PLAN_NAME_MAX		200	   /* pair names are file names */
#define PLAN_CAPACITY_MAX	1000000000 /* read/write capacity units */
/* spool_max_bytes: 64 KiB (tests) to 1 PiB; 0 = the worker's default. */
#define PLAN_SPOOL_BYTES_MIN (64ULL << 10)
#define PLAN_SPOOL_BYTES_MAX (1ULL << 50)
#define PLAN_MAX_INDEX_CAPS  25 /* GSIs: 20 by default, raisable */

struct plan_side {
	char *table;
	char *region;
	char *role_arn;		/* NULL: base credentials */
	char *endpoint;		/* DynamoDB endpoint URL override */
	char *streams_endpoint; /* Streams endpoint URL override */
	char *sts_endpoint;	/* STS endpoint URL override */
	/* Plain http to a host that is not loopback is refused unless 1. */
	int allow_insecure_http;
	int line; /* line in the plan file, 0 for flags */
};

/*
 * input.read_capacity, output.write_capacity: the capacity governor's limit
 * for a table, units per second or a percentage of the table's capacity
 * (docs/plan-format.md); both 0: no limit.
 */
struct plan_limit {
	uint32_t units; /* 1 .. PLAN_CAPACITY_MAX */
	uint32_t pct;	/* 1 .. 100 */
};

/* output.index_capacity: one GSI's provisioned throughput. */
struct plan_index_cap {
	char *name;
	uint32_t read;
	uint32_t write;
};

struct plan_pair {
	char *name;	  /* unique; default: the input table name */
	int name_derived; /* 1 if plan_resolve_defaults chose name */
	int load_errors;  /* the loader already reported this pair */
	struct plan_side input;
	struct plan_side output;
	int backfill;		 /* 1 = phase enabled (default) */
	int stream;		 /* 1 = phase enabled (default) */
	uint32_t total_segments; /* 0 = automatic */
	uint32_t *segments;	 /* sorted subset this host scans; NULL = all */
	size_t nsegments;
	uint32_t page_size;	  /* Scan Limit; 0 = automatic */
	uint32_t max_inflight;	  /* BatchWriteItems in flight; 0 = default */
	int consumed_capacity;	  /* ask for ReturnConsumedCapacity (default) */
	int spool;		  /* 1 = spool the stream during the backfill */
	uint64_t spool_max_bytes; /* 0 = a share of the free space */
	struct plan_limit read_limit;  /* input.read_capacity (the Scan) */
	struct plan_limit write_limit; /* output.write_capacity */

	/*
	 * output.create and what it may override (docs/plan-format.md);
	 * NULL or 0 means "as the source".
	 */
	int create_output;
	char *billing_mode; /* PROVISIONED or PAY_PER_REQUEST */
	uint32_t prov_rcu;
	uint32_t prov_wcu;
	struct plan_index_cap *index_caps;
	size_t nindex_caps;
	char *sse; /* "default" or "kms" */
	char *sse_kms_key;
	char *stream_view; /* the destination's own stream */

	/* ttl: skip_expired -1 = when the source has TTL enabled. */
	int ttl_skip_expired;
	int ttl_apply_deletes; /* default 1 */
	int line;
};

/*
 * The plan-level coordination block: the DynamoDB table through which a
 * fleet of hosts shares the work (docs/fleet.md). Every host runs the same
 * plan against the same table, so region has no default from the
 * environment: two hosts with different AWS_REGION would coordinate
 * through two tables and copy everything twice.
 */
struct plan_coord {
	char *table;
	char *region;
	char *role_arn; /* NULL: base credentials */
	char *endpoint; /* endpoint_url; NULL: the region's */
	int allow_insecure_http;
	int line; /* of the 'coordination' key */
};

struct plan {
	struct plan_pair *pairs;
	size_t npairs;
	char *path;		  /* NULL when built from flags */
	char *metrics_listen;	  /* top-level metrics.listen, or NULL */
	struct plan_coord *coord; /* NULL: one host, state directory */
};

/*
 * Problems found while loading or validating; every one is kept, up to
 * PLAN_MAX_ERRORS, after which one last message says the list stopped.
 */
struct plan_errors {
	char **msgs;
	size_t n;
};

void plan_errors_init(struct plan_errors *);
void plan_errors_add(struct plan_errors *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void plan_errors_vadd(struct plan_errors *, const char *fmt, va_list)
    __attribute__((format(printf, 2, 0)));
void plan_errors_clear(struct plan_errors *);
/* 1 once PLAN_MAX_ERRORS messages are kept (callers may stop looking). */
int plan_errors_full(const struct plan_errors *);

struct plan *plan_new(void);
void plan_free(struct plan *);
void plan_pair_init(struct plan_pair *);
void plan_pair_clear(struct plan_pair *);
/* A new initialised pair; earlier pair pointers may move. */
struct plan_pair *plan_add_pair(struct plan *);

/*
 * Load a YAML plan. Reports every problem as "FILE:LINE: message" (unknown
 * key, wrong type, missing table, ...). Returns NULL if any was found.
 * Regions missing in the file are filled from AWS_REGION/AWS_DEFAULT_REGION
 * (input) and the input region (output) by plan_resolve_defaults().
 * Refused outright: more than PLAN_MAX_FILE bytes, invalid UTF-8 or control
 * characters, anchors/aliases, tags, several documents, nesting deeper than
 * PLAN_MAX_DEPTH.
 */
struct plan *plan_load_file(const char *path, struct plan_errors *);
struct plan *plan_load_buffer(const char *name, const char *text, size_t len,
    struct plan_errors *);

/*
 * Fill defaults: output table = input table; input region from AWS_REGION,
 * then AWS_DEFAULT_REGION; output region = input region; pair name = input
 * table, or, where that would not be unique, "<input>-<output>", then
 * "<input>-<output>-<output region>", then that plus "-<n>" (n counts the
 * pairs still alike, in plan order). Explicit names are never changed.
 */
void plan_resolve_defaults(struct plan *);

/*
 * Whole-plan checks after defaults: table names, pair names (file-name
 * safe), regions, role ARNs, endpoint URLs, numeric ranges, segments vs
 * total_segments, at least one phase, input != output, duplicate pairs,
 * duplicate names. Returns the number of problems added.
 */
int plan_validate(const struct plan *, struct plan_errors *);

/*
 * Pair flags shared by ddb-sync and ddb-sync-worker: "input-table",
 * "input-region", "input-role-arn", "input-endpoint-url",
 * "input-streams-endpoint-url", "input-sts-endpoint-url",
 * "input-allow-insecure-http" (a boolean, NULL = true), the same with
 * "output-" (no streams endpoint), "backfill", "stream" (value a boolean,
 * NULL = true), "no-backfill", "no-stream", "pair-name", "total-segments",
 * "segments" ("0,1,2"), "page-size", "max-inflight", "consumed-capacity"
 * (a boolean, NULL = true), "no-consumed-capacity", "create-output" (a
 * boolean), "output-billing-mode", "output-provisioned-read-capacity",
 * "output-provisioned-write-capacity", "output-index-capacity" ("NAME:R:W,..."),
 * "output-sse", "output-sse-kms-key", "output-stream-view",
 * "ttl-skip-expired", "ttl-apply-deletes" (booleans).
 * Returns 1 if name is a pair flag and was applied, 0 if not a pair flag,
 * -1 on a bad value (err says why, without the flag name).
 */
int plan_pair_set_flag(struct plan_pair *, const char *name, const char *value,
    char *err, size_t errlen);
/*
 * Whether the pair flag needs a value: 1 ("input-table": "--f=v" or
 * "--f v"), 0 if it takes none or only an optional "=value" ("no-stream",
 * "stream"), -1 if name is not a pair flag.
 */
int plan_pair_flag_needs_value(const char *name);

/*
 * The pair as ddb-sync-worker arguments ("--input-table=T", ...; no argv[0]),
 * for exec. Every set field is included (a side's allow-insecure-http only
 * when true), and --backfill/--stream always, so
 * plan_pair_set_flag() on each item rebuilds the same pair. Returns a
 * NULL-terminated array; free with plan_argv_free().
 */
char **plan_pair_to_argv(const struct plan_pair *, size_t *argc);
void plan_argv_free(char **);

/*
 * "[src] ⇨ [dst]" label used in log lines: the table names, each followed by
 * "@region" when both tables have the same name but regions differ.
 * Truncated (on a UTF-8 boundary) to fit len.
 */
const char *plan_pair_label(const struct plan_pair *, char *buf, size_t len);

/*
 * A value fit to echo in a message: at most PLAN_QUOTE_LEN - 4 bytes, then
 * "...", control characters and invalid UTF-8 shown as '?', so a hostile
 * plan or argument cannot send escape sequences to the operator's terminal.
 */
#define PLAN_QUOTE_LEN 68
const char *plan_quote(char buf[PLAN_QUOTE_LEN], const char *);

/* A pair's capacity override for GSI name, or NULL. */
const struct plan_index_cap *plan_index_cap_find(const struct plan_pair *,
    const char *name);

/*
 * A capacity limit: "500" (units per second) or "40%" (of the table's
 * capacity). 0, or -1 with err saying what is wrong (zero, negative,
 * fractions, anything else).
 */
int plan_limit_parse(const char *, struct plan_limit *, char *err,
    size_t errlen);
/* "500", "40%" or "none"; buf of at least 16 bytes. */
const char *plan_limit_str(const struct plan_limit *, char *buf, size_t len);
/* The table a side names, for budgets shared per table: 1 if a and b are
 * one table (name, region, endpoint). */
int plan_side_same_table(const struct plan_side *a, const struct plan_side *b);

/* true/false/yes/no/on/off, any case. 0 and *b set, or -1. */
int plan_parse_bool(const char *, int *b);

#endif

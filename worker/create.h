/* create.h: create the destination table from the source, or check it. */
#ifndef CREATE_H
#define CREATE_H

#include <stddef.h>

#include "ddb.h"
#include "plan.h"

struct worker;

/* What the source told: DescribeTable, DescribeTimeToLive,
 * DescribeContinuousBackups, ListTagsOfResource. */
struct create_src {
	struct ddb_tdef tab;
	struct ddb_ttl ttl;
	int pitr; /* -1: not known (not supported) */
	struct ddb_tags tags;
	int tags_known;
};

/* The destination to make: requests, in order, and a summary. */
struct create_spec {
	char *create_body; /* CreateTable */
	char *ttl_body;	   /* UpdateTimeToLive after ACTIVE, or NULL */
	char *pitr_body;   /* UpdateContinuousBackups after, or NULL */
	char *summary;	   /* one line for the log */
};

/*
 * Pure: the destination for pair p from the source, with the plan's
 * overrides (billing mode, capacities, encryption, stream). 0, or -1 with
 * err naming the key to set (a provisioned copy of an on-demand table
 * without capacities, a KMS key that cannot cross accounts or regions,
 * an index_capacity for an index the source lacks).
 */
int create_build(const struct plan_pair *, const struct create_src *,
    struct create_spec *, char *err, size_t errlen);
void create_spec_clear(struct create_spec *);
void create_src_clear(struct create_src *);

/*
 * Encryption for the copy. Returns 0 for AWS-owned encryption (the
 * default), 1 for KMS with *key (NULL: the destination account's AWS
 * managed key), -1 with err. The source's KMS key is reused only within
 * its own account and region: a key cannot be used from elsewhere.
 */
int create_sse(const struct plan_pair *, const struct ddb_tdef *src,
    const char **key, char *err, size_t errlen);

/*
 * Pure: an existing destination against the source (and the plan's
 * overrides). Differences a copy survives (a missing index, another
 * billing mode, TTL off, ...) become warnings; different key schemas an
 * error. dst_ttl NULL: the destination's TTL could not be read.
 */
struct create_diff {
	char **warnings;
	size_t nwarnings;
	char *error;
};
void create_compare(const struct plan_pair *, const struct create_src *,
    const struct ddb_tdef *dst, const struct ddb_ttl *dst_ttl,
    struct create_diff *);
void create_diff_clear(struct create_diff *);

/*
 * The preflight of a pair with output.create: read the destination;
 * create it (and wait until it is ACTIVE, then turn on TTL and PITR) when
 * it does not exist, or compare it. With --check-config, only say what
 * would be created. Fills w->dst_tab. 0, 1 if stopped, -1 after
 * worker_fail().
 */
int create_preflight(struct worker *);

#endif

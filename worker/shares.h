/* shares.h: the pair's capacity limits: shares from the supervisor, the
 * tables' capacity for percentages, the buckets the writer and Scan obey. */
#ifndef SHARES_H
#define SHARES_H

#include <stdint.h>

#include "aws.h"
#include "governor.h"
#include "proto.h"

struct worker;

/*
 * The supervisor owns each table's budget and sends each worker its share
 * (a limits message on fd 3, PROTOCOL.md 4.9); running alone, the share is
 * the plan's limit. A percentage is resolved against the table's capacity
 * (DescribeTable: provisioned, or the on-demand maximum), read again every
 * DDB_SYNC_CAPACITY_REFRESH_MS (5 minutes) so autoscaling is followed.
 */
struct worker_limits {
	struct proto_limits share; /* in force */
	double read_rate;	   /* resolved units/s; 0: no limit */
	double write_rate;
	struct gov_bucket rb; /* Scan */
	struct gov_bucket wb; /* BatchWriteItem */

	/* Capacities, for percentages; -1 until read. */
	int64_t src_cap, src_max; /* read capacity, on-demand max */
	int64_t dst_cap, dst_max; /* write capacity, on-demand max */
	int64_t refresh_ms;
	int64_t next_describe_ms;
	struct aws_call desc;
	int desc_busy;
	int desc_dst; /* the call describes the output */

	int ready; /* shares_init() has run */
	int fd;	   /* the channel; -1 alone */
	struct proto_reader rd;
	int waiting; /* no share from the supervisor yet */
	int64_t wait_until_ms;
};

/*
 * Before the phases: buckets from the plan (held until the supervisor's
 * share comes, when supervised), capacities read where a percentage needs
 * them. A percentage on an on-demand table without a maximum is a
 * configuration error (worker_fail, exit 2). 0 or -1.
 */
int shares_init(struct worker *);
/* Every turn of the loop: the supervisor's messages, the refresh. */
void shares_poll(struct worker *);
void shares_free(struct worker *);

/*
 * Pure, for tests: capacities from a DescribeTable answer (the table's
 * provisioned read and write units, its on-demand maxima; 0 where not
 * told). 0 or -1 (not a table description).
 */
int shares_parse_capacity(const char *body, size_t len, int64_t *rcu,
    int64_t *wcu, int64_t *max_rru, int64_t *max_wru);

#endif

/* ddb.h: DynamoDB request bodies and response parsing (pure). */
#ifndef DDB_H
#define DDB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

struct ddb_key {
	char	name[256];
	char	type[2];	/* "S", "N" or "B" */
};

struct ddb_table {
	char	 status[40];
	struct ddb_key hash;
	struct ddb_key range;	/* name "" when the table has no sort key */
	int64_t	 item_count;
	int64_t	 size_bytes;
	int	 stream_enabled;
	char	 stream_view[40];
	char	*stream_arn;	/* LatestStreamArn or NULL */
};

void	ddb_table_clear(struct ddb_table *);

/* DescribeTable response -> table. 0 or -1 with err. */
int	ddb_parse_describe(const char *body, size_t len, struct ddb_table *,
	    char *err, size_t errlen);

/* Compare key schemas; 0 if equal, else -1 with a message. */
int	ddb_keys_compare(const struct ddb_table *src,
	    const struct ddb_table *dst, char *err, size_t errlen);

/* Request bodies. start_key: compact JSON or NULL. */
int	ddb_scan_body(struct buf *, const char *table, uint32_t segment,
	    uint32_t total, uint32_t limit, const char *start_key);

struct ddb_page {
	struct jspan *items;	/* spans into the response body */
	size_t	 nitems;
	size_t	 cap;
	struct jspan lek;	/* LastEvaluatedKey; len 0 if absent */
	double	 capacity;	/* ConsumedCapacity.CapacityUnits */
	size_t	 item_bytes;	/* sum of item JSON lengths */
};

/* Scan response -> item spans (no copies). 0 or -1 (malformed). */
int	ddb_parse_scan(const char *body, size_t len, struct ddb_page *);
void	ddb_page_free(struct ddb_page *);

/* {"RequestItems":{table:[{"PutRequest":{"Item":...}}...]},...}. */
int	ddb_batch_put_body(struct buf *, const char *table,
	    const struct jspan *items, size_t n);

/* A BatchWriteItem body resending an UnprocessedItems map verbatim. */
int	ddb_batch_resend_body(struct buf *, const struct jspan *unprocessed);

/*
 * BatchWriteItem response: *unprocessed is the UnprocessedItems object
 * span (len 0 if absent), *nunprocessed how many requests it holds, *wcu
 * the consumed capacity summed over tables. 0 or -1.
 */
int	ddb_parse_batch(const char *body, size_t len,
	    struct jspan *unprocessed, long *nunprocessed, double *wcu);

#endif

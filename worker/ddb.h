/* ddb.h: DynamoDB request bodies and response parsing (pure). */
#ifndef DDB_H
#define DDB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

struct ddb_key {
	char name[256];
	char type[2]; /* "S", "N" or "B" */
};

struct ddb_table {
	char status[40];
	struct ddb_key hash;
	struct ddb_key range; /* name "" when the table has no sort key */
	int64_t item_count;
	int64_t size_bytes;
	int stream_enabled;
	char stream_view[40];
	char *stream_arn; /* LatestStreamArn or NULL */
};

void ddb_table_clear(struct ddb_table *);

/* DescribeTable response -> table. 0 or -1 with err. */
int ddb_parse_describe(const char *body, size_t len, struct ddb_table *,
    char *err, size_t errlen);

/* Compare key schemas; 0 if equal, else -1 with a message. */
int ddb_keys_compare(const struct ddb_table *src, const struct ddb_table *dst,
    char *err, size_t errlen);

/*
 * The whole definition of a table, as DescribeTable (or CreateTable)
 * tells it: what creating a copy of it needs (worker/create.c).
 */
struct ddb_index {
	char *name;
	char *hash;	     /* key attribute names */
	char *range;	     /* NULL without a sort key */
	char projection[16]; /* ALL, KEYS_ONLY or INCLUDE */
	char **nonkey;	     /* INCLUDE's NonKeyAttributes */
	size_t nnonkey;
	int64_t rcu, wcu;	  /* provisioned; 0 if none */
	int64_t max_rru, max_wru; /* OnDemandThroughput; 0 if none */
	char status[24];	  /* IndexStatus; "" for an LSI */
};

struct ddb_tdef {
	char *name;
	char *arn;
	char status[24];
	struct ddb_key *attrs; /* AttributeDefinitions */
	size_t nattrs;
	struct ddb_key hash;
	struct ddb_key range; /* name "" without a sort key */
	struct ddb_index *gsis;
	size_t ngsis;
	struct ddb_index *lsis;
	size_t nlsis;
	char billing[24];	  /* PROVISIONED or PAY_PER_REQUEST */
	int64_t rcu, wcu;	  /* provisioned throughput */
	int64_t max_rru, max_wru; /* OnDemandThroughput; 0 if none */
	char table_class[48];	  /* "" when not told: STANDARD */
	int sse_kms;		  /* encrypted with a KMS key */
	char *sse_key;		  /* its ARN, NULL if not told */
	int deletion_protection;
	int stream_enabled;
	char stream_view[24];
};

/*
 * A DescribeTable ("Table") or CreateTable ("TableDescription") answer.
 * 0, or -1 with err (malformed, or a definition that cannot be copied).
 */
int ddb_parse_tdef(const char *body, size_t len, const char *member,
    struct ddb_tdef *, char *err, size_t errlen);
void ddb_tdef_clear(struct ddb_tdef *);
/* The type of attribute name in the definitions, or NULL. */
const char *ddb_tdef_attr_type(const struct ddb_tdef *, const char *name);

/* DescribeTimeToLive. status: ENABLED, ENABLING, DISABLED, DISABLING. */
struct ddb_ttl {
	char status[16];
	char attr[256]; /* "" when none */
};
int ddb_parse_ttl(const char *body, size_t len, struct ddb_ttl *, char *err,
    size_t errlen);
/* Whether TTL is on (or being turned on) for an attribute. */
int ddb_ttl_on(const struct ddb_ttl *);

/* DescribeContinuousBackups: *pitr 1 if point-in-time recovery is on. */
int ddb_parse_pitr(const char *body, size_t len, int *pitr, char *err,
    size_t errlen);

/* ListTagsOfResource, one page: tags appended; *next NULL on the last. */
struct ddb_tag {
	char *key;
	char *value;
};
struct ddb_tags {
	struct ddb_tag *v;
	size_t n;
};
int ddb_parse_tags(const char *body, size_t len, struct ddb_tags *, char **next,
    char *err, size_t errlen);
void ddb_tags_clear(struct ddb_tags *);

/* {"TableName":T}: DescribeTable, DescribeTimeToLive, ... */
int ddb_table_body(struct buf *, const char *table);
int ddb_list_tags_body(struct buf *, const char *arn, const char *next);
int ddb_update_ttl_body(struct buf *, const char *table, const char *attr);
int ddb_update_pitr_body(struct buf *, const char *table);

/*
 * Request bodies. start_key: compact JSON or NULL. capacity: 1 asks for
 * ReturnConsumedCapacity TOTAL (the pair's consumed_capacity, default on).
 */
int ddb_scan_body(struct buf *, const char *table, uint32_t segment,
    uint32_t total, uint32_t limit, const char *start_key, int capacity);

struct ddb_page {
	struct jspan *items; /* spans into the response body */
	size_t nitems;
	size_t cap;
	struct jspan lek;  /* LastEvaluatedKey; len 0 if absent */
	double capacity;   /* ConsumedCapacity.CapacityUnits */
	size_t item_bytes; /* sum of item JSON lengths */
};

/* Scan response -> item spans (no copies). 0 or -1 (malformed). */
int ddb_parse_scan(const char *body, size_t len, struct ddb_page *);
void ddb_page_free(struct ddb_page *);

/* A write of a BatchWriteItem: a put of an item or a delete of a key. */
struct ddb_op {
	int del;
	struct jspan span;
};

/*
 * A BatchWriteItem body built write by write, each span copied verbatim:
 * begin, add (first: no comma before it), end. A write adds exactly
 * ddb_batch_op_len() bytes, plus 1 for the comma of every write but the
 * first, so a caller can pack requests to a byte limit before copying.
 */
int ddb_batch_begin(struct buf *, const char *table);
int ddb_batch_add(struct buf *, int del, const struct jspan *, int first);
int ddb_batch_end(struct buf *, int capacity);
size_t ddb_batch_op_len(int del, size_t span_len);

/* {"RequestItems":{table:[{"PutRequest":{"Item":...}}...]},...}. */
int ddb_batch_put_body(struct buf *, const char *table,
    const struct jspan *items, size_t n, int capacity);

/* A BatchWriteItem body resending an UnprocessedItems map verbatim. */
int ddb_batch_resend_body(struct buf *, const struct jspan *unprocessed,
    int capacity);

/*
 * BatchWriteItem response: *unprocessed is the UnprocessedItems object
 * span (len 0 if absent), *nunprocessed how many requests it holds, *wcu
 * the consumed capacity summed over tables. 0 or -1.
 */
int ddb_parse_batch(const char *body, size_t len, struct jspan *unprocessed,
    long *nunprocessed, double *wcu);

/* Streams. */
struct ddb_shard {
	struct jspan id;     /* JSON string spans (with quotes) */
	struct jspan parent; /* len 0 if none */
	struct jspan start_seq;
	struct jspan end_seq; /* len 0 while the shard is open */
};

struct ddb_shard_page {
	struct ddb_shard *shards;
	size_t n;
	size_t cap;
	struct jspan last_shard_id; /* len 0 on the last page */
	char status[24];	    /* StreamStatus */
};

/* DescribeStream response. 0 or -1 (malformed). */
int ddb_parse_describe_stream(const char *body, size_t len,
    struct ddb_shard_page *);
void ddb_shard_page_free(struct ddb_shard_page *);

enum ddb_event {
	DDB_EV_INSERT = 0,
	DDB_EV_MODIFY,
	DDB_EV_REMOVE,
};

struct ddb_record {
	enum ddb_event event;
	struct jspan keys;	/* Keys object */
	struct jspan new_image; /* NewImage object; len 0 if none */
	struct jspan seq;	/* SequenceNumber string (quoted) */
	double created;		/* ApproximateCreationDateTime, s */
	int ttl;		/* userIdentity: the TTL service */
	struct jspan raw;	/* the whole record object, as read
					   (what the spool stores) */
};

struct ddb_records {
	struct ddb_record *recs;
	size_t n;
	size_t cap;
	struct jspan next_iter; /* len 0: the shard is finished */
};

/*
 * GetRecords response. Every record must have a known eventName, Keys, a
 * SequenceNumber, and a NewImage unless it is a REMOVE. 0 or -1.
 */
int ddb_parse_records(const char *body, size_t len, struct ddb_records *);
/* One record object of a GetRecords answer (as the spool keeps it), with
 * the rules above; the spans point into obj. 0 or -1. */
int ddb_parse_record(const char *obj, size_t len, struct ddb_record *);
/* GetShardIterator's answer: 0 and the iterator (len 0: null or absent,
 * the shard has nothing more), -1 if malformed. */
int ddb_parse_shard_iterator(const char *body, size_t len, struct jspan *);
void ddb_records_free(struct ddb_records *);

int ddb_describe_stream_body(struct buf *, const char *arn,
    const char *start_shard);
/* type: "TRIM_HORIZON" or "AFTER_SEQUENCE_NUMBER" (seq given). */
int ddb_shard_iterator_body(struct buf *, const char *arn, const char *shard,
    const char *type, const char *seq);
int ddb_get_records_body(struct buf *, const char *iter, unsigned limit);

/*
 * An item's (or a Keys object's) key: the value spans of the attributes
 * hash and range (range "" or NULL: none), whatever their order. 0 or -1.
 */
int ddb_item_key(const struct jspan *item, const char *hash, const char *range,
    struct jspan out[2]);
/* {"hash":v,"range":v}: a key object from ddb_item_key's spans. */
int ddb_key_json(struct buf *, const char *hash, const char *range,
    const struct jspan k[2]);

/*
 * A BatchGetItem body, strongly consistent: begin, then the key objects
 * separated by commas (at most 100), then end.
 */
int ddb_batch_get_begin(struct buf *, const char *table);
int ddb_batch_get_end(struct buf *, int capacity);

struct ddb_get_page {
	struct jspan *items; /* Responses' items (any table) */
	size_t nitems, icap;
	struct jspan *unprocessed; /* UnprocessedKeys' key objects */
	size_t nunprocessed, ucap;
	double capacity;
};
/* BatchGetItem response -> spans. 0 or -1 (malformed). */
int ddb_parse_batch_get(const char *body, size_t len, struct ddb_get_page *);
void ddb_get_page_free(struct ddb_get_page *);

/* A BatchWriteItem of puts (item spans) and deletes (key spans). */
int ddb_batch_ops_body(struct buf *, const char *table, const struct ddb_op *,
    size_t n, int capacity);

/*
 * Reduce records [from, n) to one write per item, its last change (a put
 * of NewImage, or a delete of Keys), so a page can go out as batches that
 * never name one key twice. Keys are compared by the values of the key
 * attributes hash (and range, "" or NULL if none), whatever their order in
 * the Keys object. Returns the number of ops written to ops (room for
 * n - from), or -1 if a record lacks a key attribute.
 */
long ddb_collapse(const struct ddb_record *, size_t from, size_t n,
    const char *hash, const char *range, struct ddb_op *ops);

#endif

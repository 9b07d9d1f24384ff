/* test_ddb.c: DynamoDB request bodies and response parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "compat.h"
#include "ddb.h"
#include "fixture.h"

static const char describe_json[] =
    "{\"Table\":{\"TableName\":\"src\",\"TableStatus\":\"ACTIVE\","
    "\"ItemCount\":12345,\"TableSizeBytes\":9876543210,"
    "\"KeySchema\":[{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"},"
    "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
    "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
    "\"AttributeType\":\"N\"}],"
    "\"StreamSpecification\":{\"StreamEnabled\":true,"
    "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
    "\"LatestStreamArn\":\"arn:aws:dynamodb:ddblocal:000000000000:"
    "table/src/stream/2026-11-24T00:00:00.000\"}}";

static void
test_ddb_parse_describe(void **state)
{
	struct ddb_table t;
	char err[256];

	assert_int_equal(ddb_parse_describe(describe_json,
			     strlen(describe_json), &t, err, sizeof(err)),
	    0);
	assert_string_equal(t.status, "ACTIVE");
	assert_string_equal(t.hash.name, "pk");
	assert_string_equal(t.hash.type, "S");
	assert_string_equal(t.range.name, "sk");
	assert_string_equal(t.range.type, "N");
	assert_int_equal(t.item_count, 12345);
	assert_true(t.size_bytes == 9876543210LL);
	assert_int_equal(t.stream_enabled, 1);
	assert_string_equal(t.stream_view, "NEW_AND_OLD_IMAGES");
	assert_non_null(t.stream_arn);
	ddb_table_clear(&t);

	assert_int_equal(ddb_parse_describe("{", 1, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed"));
	assert_int_equal(ddb_parse_describe("{}", 2, &t, err, sizeof(err)), -1);
	ddb_table_clear(&t);
}

static void
test_ddb_keys_compare(void **state)
{
	struct ddb_table a, b;
	char err[512];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	strlcpy(a.hash.name, "pk", sizeof(a.hash.name));
	strlcpy(a.hash.type, "S", sizeof(a.hash.type));
	b = a;
	assert_int_equal(ddb_keys_compare(&a, &b, err, sizeof(err)), 0);
	strlcpy(b.hash.type, "B", sizeof(b.hash.type));
	assert_int_equal(ddb_keys_compare(&a, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pk (S)"));
	assert_non_null(strstr(err, "pk (B)"));
	b = a;
	strlcpy(b.range.name, "sk", sizeof(b.range.name));
	strlcpy(b.range.type, "N", sizeof(b.range.type));
	assert_int_equal(ddb_keys_compare(&a, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "RANGE sk"));
}

static void
test_ddb_scan_body(void **state)
{
	struct buf b;
	cJSON *j;

	buf_init(&b, 0);
	assert_int_equal(ddb_scan_body(&b, "t\"x", 3, 8, 500,
			     "{\"pk\":{\"S\":\"a\"}}", 1),
	    0);
	j = cJSON_Parse(b.data);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "TableName")->valuestring,
	    "t\"x");
	assert_int_equal(cJSON_GetObjectItem(j, "Segment")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(j, "TotalSegments")->valueint, 8);
	assert_int_equal(cJSON_GetObjectItem(j, "Limit")->valueint, 500);
	assert_non_null(cJSON_GetObjectItem(j, "ExclusiveStartKey"));
	assert_string_equal(cJSON_GetObjectItem(j, "ReturnConsumedCapacity")
				->valuestring,
	    "TOTAL");
	cJSON_Delete(j);
	assert_int_equal(ddb_scan_body(&b, "t", 0, 1, 10, NULL, 1), 0);
	assert_null(strstr(b.data, "ExclusiveStartKey"));
	/* consumed_capacity: false leaves the request out entirely. */
	assert_int_equal(ddb_scan_body(&b, "t", 0, 1, 10,
			     "{\"pk\":{\"S\":\"a\"}}", 0),
	    0);
	assert_string_equal(b.data,
	    "{\"TableName\":\"t\",\"Segment\":0,"
	    "\"TotalSegments\":1,\"Limit\":10,"
	    "\"ExclusiveStartKey\":{\"pk\":{\"S\":\"a\"}}}");
	buf_free(&b);
}

static const char scan_json[] =
    "{\"Items\":[{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":"
    "\"12345678901234567890123456789012345678\"}},"
    "{\"pk\":{\"S\":\"b\\u00e9\"},\"l\":{\"L\":[{\"NULL\":true},"
    "{\"BOOL\":false},{\"B\":\"AAEC\"}]},\"m\":{\"M\":{\"x\":{\"SS\":"
    "[\"1\",\"2\"]}}}}],"
    "\"Count\":2,\"ScannedCount\":2,"
    "\"LastEvaluatedKey\":{\"pk\":{\"S\":\"b\\u00e9\"}},"
    "\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":2.5}}";

static void
test_ddb_parse_scan_spans(void **state)
{
	struct ddb_page pg;

	memset(&pg, 0, sizeof(pg));
	assert_int_equal(ddb_parse_scan(scan_json, strlen(scan_json), &pg), 0);
	assert_int_equal(pg.nitems, 2);
	/* Spans point into the body: items pass through byte for byte. */
	assert_true(pg.items[0].p > scan_json &&
	    pg.items[0].p < scan_json + sizeof(scan_json));
	assert_int_equal(strncmp(pg.items[0].p, "{\"pk\":{\"S\":\"a\"}", 15),
	    0);
	assert_int_equal(pg.items[0].p[pg.items[0].len - 1], '}');
	assert_int_equal(pg.lek.len, strlen("{\"pk\":{\"S\":\"b\\u00e9\"}}"));
	assert_true(pg.capacity == 2.5);
	assert_int_equal(pg.item_bytes, pg.items[0].len + pg.items[1].len);

	/* Last page: no LastEvaluatedKey. */
	assert_int_equal(ddb_parse_scan("{\"Items\":[],\"Count\":0}", 22, &pg),
	    0);
	assert_int_equal(pg.nitems, 0);
	assert_int_equal(pg.lek.len, 0);
	ddb_page_free(&pg);
}

static void
test_ddb_parse_scan_rejects(void **state)
{
	const char *bad[] = {
		"",
		"{",
		"{\"Count\":0}",
		"{\"Items\":[1]}",
		"{\"Items\":[{}]} trailing",
		"{\"Items\":{}}",
		"{\"Items\":[],\"LastEvaluatedKey\":\"x\"}",
		"{\"Items\":[{\"a\":}]}",
	};
	struct ddb_page pg;

	memset(&pg, 0, sizeof(pg));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ddb_parse_scan(bad[i], strlen(bad[i]), &pg) != -1)
			fail_msg("accepted '%s'", bad[i]);
	/* Every truncation of a valid page is rejected. */
	for (size_t n = 0; n < strlen(scan_json); n++)
		if (ddb_parse_scan(scan_json, n, &pg) != -1)
			fail_msg("accepted a page truncated at %zu", n);
	ddb_page_free(&pg);
}

static void
test_ddb_batch_bodies(void **state)
{
	struct ddb_page pg;
	struct buf b;
	cJSON *j, *reqs, *first, *item, *orig;

	memset(&pg, 0, sizeof(pg));
	buf_init(&b, 0);
	assert_int_equal(ddb_parse_scan(scan_json, strlen(scan_json), &pg), 0);
	assert_int_equal(ddb_batch_put_body(&b, "dst", pg.items, pg.nitems, 1),
	    0);
	j = cJSON_Parse(b.data);
	assert_non_null(j);
	reqs = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "RequestItems"),
	    "dst");
	assert_int_equal(cJSON_GetArraySize(reqs), 2);
	first = cJSON_GetArrayItem(reqs, 1);
	item = cJSON_GetObjectItem(cJSON_GetObjectItem(first, "PutRequest"),
	    "Item");
	/* The written item equals the scanned one. */
	orig = cJSON_ParseWithLength(pg.items[1].p, pg.items[1].len);
	assert_true(cJSON_Compare(item, orig, 1));
	cJSON_Delete(orig);
	assert_string_equal(cJSON_GetObjectItem(j, "ReturnConsumedCapacity")
				->valuestring,
	    "TOTAL");
	cJSON_Delete(j);

	/* Without consumed capacity: the same requests, nothing else. */
	assert_int_equal(ddb_batch_put_body(&b, "dst", pg.items, pg.nitems, 0),
	    0);
	j = cJSON_Parse(b.data);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	reqs = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "RequestItems"),
	    "dst");
	assert_int_equal(cJSON_GetArraySize(reqs), 2);
	cJSON_Delete(j);

	{
		struct jspan un = {
			"{\"dst\":[{\"PutRequest\":{\"Item\":{}}}]}", 0
		};

		un.len = strlen(un.p);
		assert_int_equal(ddb_batch_resend_body(&b, &un, 1), 0);
		assert_string_equal(b.data,
		    "{\"RequestItems\":{\"dst\":[{"
		    "\"PutRequest\":{\"Item\":{}}}]},"
		    "\"ReturnConsumedCapacity\":\"TOTAL\"}");
		assert_int_equal(ddb_batch_resend_body(&b, &un, 0), 0);
		assert_string_equal(b.data,
		    "{\"RequestItems\":{\"dst\":[{"
		    "\"PutRequest\":{\"Item\":{}}}]}}");
	}
	{
		struct ddb_op ops[2] = {
			{ 0,
			    { "{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}",
				0 } },
			{ 1, { "{\"pk\":{\"S\":\"b\"}}", 0 } },
		};

		ops[0].span.len = strlen(ops[0].span.p);
		ops[1].span.len = strlen(ops[1].span.p);
		assert_int_equal(ddb_batch_ops_body(&b, "dst", ops, 2, 1), 0);
		assert_string_equal(b.data,
		    "{\"RequestItems\":{\"dst\":["
		    "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"},"
		    "\"v\":{\"N\":\"1\"}}}},{\"DeleteRequest\":{\"Key\":"
		    "{\"pk\":{\"S\":\"b\"}}}}]},"
		    "\"ReturnConsumedCapacity\":\"TOTAL\"}");
		assert_int_equal(ddb_batch_ops_body(&b, "dst", ops, 2, 0), 0);
		assert_string_equal(b.data,
		    "{\"RequestItems\":{\"dst\":["
		    "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"},"
		    "\"v\":{\"N\":\"1\"}}}},{\"DeleteRequest\":{\"Key\":"
		    "{\"pk\":{\"S\":\"b\"}}}}]}}");
	}
	buf_free(&b);
	ddb_page_free(&pg);
}

/* The lengths a packer predicts are the bytes the builder writes. */
static void
test_ddb_batch_op_len(void **state)
{
	struct jspan item = { "{\"pk\":{\"S\":\"a\\u0001\"}}", 0 };
	struct buf b;
	size_t empty, before;

	item.len = strlen(item.p);
	buf_init(&b, 0);
	for (int capacity = 0; capacity <= 1; capacity++) {
		assert_int_equal(ddb_batch_begin(&b, "t\"x"), 0);
		assert_int_equal(ddb_batch_end(&b, capacity), 0);
		empty = b.len;
		assert_int_equal(ddb_batch_begin(&b, "t\"x"), 0);
		for (int i = 0; i < 3; i++) {
			before = b.len;
			assert_int_equal(ddb_batch_add(&b, i == 1, &item,
					     i == 0),
			    0);
			assert_int_equal(b.len - before,
			    ddb_batch_op_len(i == 1, item.len) + (i > 0));
		}
		assert_int_equal(ddb_batch_end(&b, capacity), 0);
		assert_int_equal(b.len,
		    empty + 2 + 2 * ddb_batch_op_len(0, item.len) +
			ddb_batch_op_len(1, item.len));
		assert_non_null(strstr(b.data,
		    ",{\"DeleteRequest\":{\"Key\":"
		    "{\"pk\":{\"S\":\"a\\u0001\"}}}},{\"PutRequest\""));
	}
	/* A put and a delete wrap their spans differently. */
	assert_int_not_equal(ddb_batch_op_len(0, 10), ddb_batch_op_len(1, 10));
	buf_free(&b);
}

static void
test_ddb_parse_batch(void **state)
{
	const char *all = "{\"UnprocessedItems\":{},\"ConsumedCapacity\":"
			  "[{\"TableName\":\"dst\",\"CapacityUnits\":25.0}]}";
	const char *part =
	    "{\"UnprocessedItems\":{\"dst\":[{\"PutRequest\":"
	    "{\"Item\":{\"pk\":{\"S\":\"a\"}}}},{\"DeleteRequest\":{\"Key\":"
	    "{\"pk\":{\"S\":\"b\"}}}}],\"other\":[{\"PutRequest\":{\"Item\":"
	    "{}}}]},\"ConsumedCapacity\":[{\"CapacityUnits\":1},"
	    "{\"CapacityUnits\":2}]}";
	struct jspan un;
	long n;
	double wcu;

	assert_int_equal(ddb_parse_batch(all, strlen(all), &un, &n, &wcu), 0);
	assert_int_equal(n, 0);
	assert_int_equal(un.len, 0);
	assert_true(wcu == 25.0);
	assert_int_equal(ddb_parse_batch(part, strlen(part), &un, &n, &wcu), 0);
	assert_int_equal(n, 3);
	assert_true(un.len > 0 && un.p[0] == '{');
	assert_true(wcu == 3.0);
	assert_int_equal(ddb_parse_batch("{\"UnprocessedItems\":{\"x\":1}}", 28,
			     &un, &n, &wcu),
	    -1);
	assert_int_equal(ddb_parse_batch("nope", 4, &un, &n, &wcu), -1);
}

/* A literal and its length. */
#define SL(s) (s), strlen(s)

static void
test_ddb_parse_tdef(void **state)
{
	struct ddb_tdef t;
	char err[256], *bad;
	const char *on_demand =
	    "{\"TableDescription\":{\"TableName\":\"x\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
	    "\"AttributeType\":\"N\"}],\"KeySchema\":[{\"AttributeName\":"
	    "\"id\",\"KeyType\":\"HASH\"}],\"ProvisionedThroughput\":"
	    "{\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0},"
	    "\"OnDemandThroughput\":{\"MaxReadRequestUnits\":100,"
	    "\"MaxWriteRequestUnits\":-1}}}";

	assert_int_equal(ddb_parse_tdef(fixture_table_json,
			     strlen(fixture_table_json), "Table", &t, err,
			     sizeof(err)),
	    0);
	assert_string_equal(t.name, "src");
	assert_string_equal(t.status, "ACTIVE");
	assert_non_null(strstr(t.arn, ":111122223333:"));
	assert_int_equal(t.nattrs, 5);
	assert_string_equal(t.hash.name, "pk");
	assert_string_equal(t.hash.type, "S");
	assert_string_equal(t.range.name, "sk");
	assert_string_equal(t.range.type, "N");
	assert_string_equal(ddb_tdef_attr_type(&t, "ts"), "N");
	assert_null(ddb_tdef_attr_type(&t, "nope"));
	assert_int_equal(t.ngsis, 2);
	assert_string_equal(t.gsis[0].name, "by_email");
	assert_string_equal(t.gsis[0].hash, "email");
	assert_null(t.gsis[0].range);
	assert_string_equal(t.gsis[0].projection, "INCLUDE");
	assert_int_equal(t.gsis[0].nnonkey, 2);
	assert_string_equal(t.gsis[0].nonkey[1], "age");
	assert_int_equal(t.gsis[0].rcu, 2);
	assert_int_equal(t.gsis[0].wcu, 1);
	assert_string_equal(t.gsis[0].status, "ACTIVE");
	assert_string_equal(t.gsis[1].range, "pk");
	assert_string_equal(t.gsis[1].projection, "KEYS_ONLY");
	assert_int_equal(t.gsis[1].nnonkey, 0);
	assert_int_equal(t.nlsis, 1);
	assert_string_equal(t.lsis[0].range, "lsk");
	assert_string_equal(t.lsis[0].projection, "ALL");
	assert_string_equal(t.lsis[0].status, "");
	/* Always provisioned: no BillingModeSummary, capacity set. */
	assert_string_equal(t.billing, "PROVISIONED");
	assert_int_equal(t.rcu, 7);
	assert_int_equal(t.wcu, 3);
	assert_string_equal(t.table_class, "STANDARD_INFREQUENT_ACCESS");
	assert_int_equal(t.sse_kms, 1);
	assert_string_equal(t.sse_key,
	    "arn:aws:kms:us-east-1:111122223333:key/k1");
	assert_int_equal(t.deletion_protection, 1);
	assert_int_equal(t.stream_enabled, 1);
	assert_string_equal(t.stream_view, "NEW_AND_OLD_IMAGES");
	ddb_tdef_clear(&t);
	ddb_tdef_clear(&t);

	/* CreateTable's answer; on-demand told by zero capacity. */
	assert_int_equal(ddb_parse_tdef(on_demand, strlen(on_demand),
			     "TableDescription", &t, err, sizeof(err)),
	    0);
	assert_string_equal(t.billing, "PAY_PER_REQUEST");
	assert_int_equal(t.max_rru, 100);
	assert_int_equal(t.max_wru, -1);
	assert_string_equal(t.range.name, "");
	assert_int_equal(t.sse_kms, 0);
	assert_string_equal(t.table_class, "");
	ddb_tdef_clear(&t);

	assert_int_equal(ddb_parse_tdef(fixture_table_json,
			     strlen(fixture_table_json), "TableDescription", &t,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "TableDescription"));
	/* A key attribute without a definition cannot be copied. */
	bad = strdup(fixture_table_json);
	memcpy(strstr(bad, "\"pk\",\"AttributeType\""), "\"px\"", 4);
	assert_int_equal(ddb_parse_tdef(bad, strlen(bad), "Table", &t, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "definition"));
	free(bad);
	/* Nor an index of an unknown projection. */
	bad = strdup(fixture_table_json);
	memcpy(strstr(bad, "KEYS_ONLY"), "KEYS_SOME", 9);
	assert_int_equal(ddb_parse_tdef(bad, strlen(bad), "Table", &t, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "by_ts"));
	free(bad);
	assert_int_equal(ddb_parse_tdef("[", 1, "Table", &t, err, sizeof(err)),
	    -1);
}

static void
test_ddb_parse_ttl_pitr_tags(void **state)
{
	struct ddb_ttl ttl;
	struct ddb_tags tags;
	char err[256], *next;
	const char *p1 =
	    "{\"Tags\":[{\"Key\":\"team\",\"Value\":\"a\"},"
	    "{\"Key\":\"aws:cloudformation:stack\",\"Value\":\"s\"}],"
	    "\"NextToken\":\"t2\"}";
	const char *p2 = "{\"Tags\":[{\"Key\":\"env\",\"Value\":\"\"}]}";
	int pitr;

	assert_int_equal(
	    ddb_parse_ttl(
		SL("{\"TimeToLiveDescription\":{"
		   "\"TimeToLiveStatus\":\"ENABLED\",\"AttributeName\":\"exp\"}}"),
		&ttl, err, sizeof(err)),
	    0);
	assert_string_equal(ttl.attr, "exp");
	assert_true(ddb_ttl_on(&ttl));
	strlcpy(ttl.status, "DISABLING", sizeof(ttl.status));
	assert_false(ddb_ttl_on(&ttl));
	assert_int_equal(
	    ddb_parse_ttl(SL("{\"TimeToLiveDescription\":{"
			     "\"TimeToLiveStatus\":\"DISABLED\"}}"),
		&ttl, err, sizeof(err)),
	    0);
	assert_false(ddb_ttl_on(&ttl));
	assert_int_equal(ddb_parse_ttl(SL("{}"), &ttl, err, sizeof(err)), -1);

	assert_int_equal(
	    ddb_parse_pitr(SL("{\"ContinuousBackupsDescription\":{"
			      "\"ContinuousBackupsStatus\":\"ENABLED\","
			      "\"PointInTimeRecoveryDescription\":{"
			      "\"PointInTimeRecoveryStatus\":\"ENABLED\"}}}"),
		&pitr, err, sizeof(err)),
	    0);
	assert_int_equal(pitr, 1);
	assert_int_equal(
	    ddb_parse_pitr(SL("{\"ContinuousBackupsDescription\":{"
			      "\"ContinuousBackupsStatus\":\"ENABLED\"}}"),
		&pitr, err, sizeof(err)),
	    0);
	assert_int_equal(pitr, 0);
	assert_int_equal(ddb_parse_pitr(SL("{}"), &pitr, err, sizeof(err)), -1);

	memset(&tags, 0, sizeof(tags));
	assert_int_equal(ddb_parse_tags(p1, strlen(p1), &tags, &next, err,
			     sizeof(err)),
	    0);
	assert_string_equal(next, "t2");
	free(next);
	assert_int_equal(ddb_parse_tags(p2, strlen(p2), &tags, &next, err,
			     sizeof(err)),
	    0);
	assert_null(next);
	assert_int_equal(tags.n, 3);
	assert_string_equal(tags.v[2].key, "env");
	assert_string_equal(tags.v[2].value, "");
	assert_int_equal(ddb_parse_tags(SL("{\"Tags\":[{\"Key\":\"x\"}]}"),
			     &tags, &next, err, sizeof(err)),
	    -1);
	ddb_tags_clear(&tags);
	assert_int_equal(tags.n, 0);
}

static void
test_ddb_control_bodies(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(ddb_table_body(&b, "t\"x"), 0);
	assert_string_equal(b.data, "{\"TableName\":\"t\\\"x\"}");
	assert_int_equal(ddb_update_ttl_body(&b, "t", "exp"), 0);
	assert_string_equal(b.data,
	    "{\"TableName\":\"t\","
	    "\"TimeToLiveSpecification\":{\"Enabled\":true,"
	    "\"AttributeName\":\"exp\"}}");
	assert_int_equal(ddb_update_pitr_body(&b, "t"), 0);
	assert_string_equal(b.data,
	    "{\"TableName\":\"t\","
	    "\"PointInTimeRecoverySpecification\":"
	    "{\"PointInTimeRecoveryEnabled\":true}}");
	assert_int_equal(ddb_list_tags_body(&b, "arn:x", NULL), 0);
	assert_string_equal(b.data, "{\"ResourceArn\":\"arn:x\"}");
	assert_int_equal(ddb_list_tags_body(&b, "arn:x", "n"), 0);
	assert_string_equal(b.data,
	    "{\"ResourceArn\":\"arn:x\","
	    "\"NextToken\":\"n\"}");
	buf_free(&b);
}

/* A REMOVE made by the TTL service carries its userIdentity. */
static void
test_ddb_records_ttl(void **state)
{
	const char *body =
	    "{\"Records\":["
	    "{\"eventName\":\"REMOVE\",\"userIdentity\":{\"type\":\"Service\","
	    "\"principalId\":\"dynamodb.amazonaws.com\"},\"dynamodb\":{"
	    "\"Keys\":{\"pk\":{\"S\":\"a\"}},\"SequenceNumber\":\"1\"}},"
	    "{\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\"b\"}},"
	    "\"SequenceNumber\":\"2\"},\"eventName\":\"REMOVE\"},"
	    "{\"eventName\":\"REMOVE\",\"userIdentity\":{\"type\":\"User\","
	    "\"principalId\":\"dynamodb.amazonaws.com\"},\"dynamodb\":{"
	    "\"Keys\":{\"pk\":{\"S\":\"c\"}},\"SequenceNumber\":\"3\"}},"
	    "{\"eventName\":\"INSERT\",\"userIdentity\":{\"principalId\":"
	    "\"someone\",\"type\":\"Service\"},\"dynamodb\":{\"Keys\":{\"pk\":"
	    "{\"S\":\"d\"}},\"NewImage\":{\"pk\":{\"S\":\"d\"}},"
	    "\"ApproximateCreationDateTime\":1700000000,"
	    "\"SequenceNumber\":\"4\"}}],\"NextShardIterator\":\"it\"}";
	struct ddb_records rs;

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(ddb_parse_records(body, strlen(body), &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.recs[0].ttl, 1);
	assert_int_equal(rs.recs[0].event, DDB_EV_REMOVE);
	assert_int_equal(rs.recs[1].ttl, 0);
	assert_int_equal(rs.recs[1].event, DDB_EV_REMOVE);
	assert_true(rs.recs[1].seq.len == 3);
	assert_int_equal(rs.recs[2].ttl, 0);
	assert_int_equal(rs.recs[3].ttl, 0);
	assert_true(rs.recs[3].created == 1700000000.0);
	assert_true(rs.recs[3].new_image.len > 0);
	assert_true(rs.next_iter.len == 4);
	/* Still refused: no eventName, no dynamodb. */
	assert_int_equal(ddb_parse_records(SL("{\"Records\":[{\"userIdentity\":"
					      "{}}]}"),
			     &rs),
	    -1);
	assert_int_equal(ddb_parse_records(SL("{\"Records\":[{\"eventName\":"
					      "\"INSERT\"}]}"),
			     &rs),
	    -1);
	/* The API model's spelling, as the wire has it. */
	assert_int_equal(
	    ddb_parse_records(
		SL("{\"Records\":[{\"eventName\":"
		   "\"REMOVE\",\"userIdentity\":{\"PrincipalId\":"
		   "\"dynamodb.amazonaws.com\",\"Type\":\"Service\"},\"dynamodb\":"
		   "{\"Keys\":{\"pk\":{\"S\":\"a\"}},\"SequenceNumber\":\"1\"}}]}"),
		&rs),
	    0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.recs[0].ttl, 1);
	ddb_records_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ddb_parse_describe),
		cmocka_unit_test(test_ddb_keys_compare),
		cmocka_unit_test(test_ddb_scan_body),
		cmocka_unit_test(test_ddb_parse_scan_spans),
		cmocka_unit_test(test_ddb_parse_scan_rejects),
		cmocka_unit_test(test_ddb_batch_bodies),
		cmocka_unit_test(test_ddb_batch_op_len),
		cmocka_unit_test(test_ddb_parse_batch),
		cmocka_unit_test(test_ddb_parse_tdef),
		cmocka_unit_test(test_ddb_parse_ttl_pitr_tags),
		cmocka_unit_test(test_ddb_control_bodies),
		cmocka_unit_test(test_ddb_records_ttl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

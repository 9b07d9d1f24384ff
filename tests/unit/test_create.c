/* test_create.c: the destination made from the source, or compared to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "compat.h"
#include "create.h"
#include "fixture.h"

/* The same keys, on-demand, one GSI, nothing else. */
static const char od_json[] =
    "{\"Table\":{\"TableName\":\"od\",\"TableStatus\":\"ACTIVE\","
    "\"TableArn\":\"arn:aws:dynamodb:us-east-1:111122223333:table/od\","
    "\"AttributeDefinitions\":["
    "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
    "{\"AttributeName\":\"email\",\"AttributeType\":\"S\"}],"
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\"},"
    "\"OnDemandThroughput\":{\"MaxReadRequestUnits\":500,"
    "\"MaxWriteRequestUnits\":-1},"
    "\"GlobalSecondaryIndexes\":["
    "{\"IndexName\":\"by_email\",\"KeySchema\":[{\"AttributeName\":"
    "\"email\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":"
    "\"ALL\"},\"IndexStatus\":\"ACTIVE\"}]}}";

static void
load_src(struct create_src *s, const char *json)
{
	char err[256];

	memset(s, 0, sizeof(*s));
	s->pitr = -1;
	if (ddb_parse_tdef(json, strlen(json), "Table", &s->tab, err,
		sizeof(err)) == -1)
		fail_msg("fixture: %s", err);
}

static void
full_src(struct create_src *s)
{
	load_src(s, fixture_table_json);
	strlcpy(s->ttl.status, "ENABLED", sizeof(s->ttl.status));
	strlcpy(s->ttl.attr, "expires_at", sizeof(s->ttl.attr));
	s->pitr = 1;
	s->tags.v = calloc(2, sizeof(*s->tags.v));
	s->tags.v[0].key = strdup("team");
	s->tags.v[0].value = strdup("data");
	s->tags.v[1].key = strdup("aws:cloudformation:stack-name");
	s->tags.v[1].value = strdup("s");
	s->tags.n = 2;
	s->tags_known = 1;
}

static void
pair(struct plan_pair *p, const char *out_region)
{
	plan_pair_init(p);
	p->input.table = strdup("src");
	p->input.region = strdup("us-east-1");
	p->output.table = strdup("dst");
	p->output.region = strdup(out_region);
	p->create_output = 1;
}

static cJSON *
item(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (v == NULL)
		fail_msg("no %s in %s", name, cJSON_PrintUnformatted(o));
	return (cJSON *)(uintptr_t)v;
}

static const cJSON *
gsi(const cJSON *body, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e,
	    item(body,
		"GlobalSecondaryIndexes")) if (strcmp(item(e, "IndexName")
							  ->valuestring,
						   name) == 0) return e;
	fail_msg("no GSI %s", name);
	return NULL;
}

static int
num(const cJSON *o, const char *a, const char *b)
{
	return (int)item(item(o, a), b)->valuedouble;
}

static void
test_create_build_copy(void **state)
{
	struct create_src s;
	struct create_spec sp;
	struct plan_pair p;
	char err[512];
	cJSON *j, *e;

	(void)state;
	full_src(&s);
	pair(&p, "us-east-1");
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), 0);
	assert_non_null(j = cJSON_Parse(sp.create_body));
	assert_string_equal(item(j, "TableName")->valuestring, "dst");
	assert_int_equal(cJSON_GetArraySize(item(j, "AttributeDefinitions")),
	    5);
	e = cJSON_GetArrayItem(item(j, "KeySchema"), 1);
	assert_string_equal(item(e, "AttributeName")->valuestring, "sk");
	assert_string_equal(item(e, "KeyType")->valuestring, "RANGE");
	assert_string_equal(item(j, "BillingMode")->valuestring, "PROVISIONED");
	assert_int_equal(num(j, "ProvisionedThroughput", "ReadCapacityUnits"),
	    7);
	assert_int_equal(num(j, "ProvisionedThroughput", "WriteCapacityUnits"),
	    3);
	/* Each GSI with its projection and its own throughput. */
	e = item(item((cJSON *)(uintptr_t)gsi(j, "by_email"), "Projection"),
	    "NonKeyAttributes");
	assert_int_equal(cJSON_GetArraySize(e), 2);
	assert_string_equal(item(item((cJSON *)(uintptr_t)gsi(j, "by_email"),
				     "Projection"),
				"ProjectionType")
				->valuestring,
	    "INCLUDE");
	assert_string_equal(item(item((cJSON *)(uintptr_t)gsi(j, "by_ts"),
				     "Projection"),
				"ProjectionType")
				->valuestring,
	    "KEYS_ONLY");
	assert_int_equal(num(gsi(j, "by_ts"), "ProvisionedThroughput",
			     "WriteCapacityUnits"),
	    5);
	assert_int_equal(num(gsi(j, "by_email"), "ProvisionedThroughput",
			     "ReadCapacityUnits"),
	    2);
	e = cJSON_GetArrayItem(item(j, "LocalSecondaryIndexes"), 0);
	assert_string_equal(item(e, "IndexName")->valuestring, "by_lsk");
	assert_null(cJSON_GetObjectItem(e, "ProvisionedThroughput"));
	assert_string_equal(item(j, "TableClass")->valuestring,
	    "STANDARD_INFREQUENT_ACCESS");
	/* Same account and region: the source's key is reused. */
	assert_string_equal(item(item(j, "SSESpecification"), "KMSMasterKeyId")
				->valuestring,
	    "arn:aws:kms:us-east-1:111122223333:key/k1");
	assert_true(cJSON_IsTrue(item(j, "DeletionProtectionEnabled")));
	/* No stream unless asked for, though the source has one. */
	assert_null(cJSON_GetObjectItem(j, "StreamSpecification"));
	/* Tags, without AWS's own. */
	e = item(j, "Tags");
	assert_int_equal(cJSON_GetArraySize(e), 1);
	assert_string_equal(item(cJSON_GetArrayItem(e, 0), "Key")->valuestring,
	    "team");
	cJSON_Delete(j);
	assert_string_equal(sp.ttl_body,
	    "{\"TableName\":\"dst\","
	    "\"TimeToLiveSpecification\":{\"Enabled\":true,"
	    "\"AttributeName\":\"expires_at\"}}");
	assert_non_null(strstr(sp.pitr_body,
	    "\"PointInTimeRecoveryEnabled\""
	    ":true"));
	assert_non_null(strstr(sp.summary,
	    "GSI by_email (email; INCLUDE "
	    "name, age; 2/1 RCU/WCU)"));
	assert_non_null(strstr(sp.summary, "LSI by_lsk (pk, lsk; ALL)"));
	assert_non_null(strstr(sp.summary, "TTL on expires_at"));
	assert_non_null(strstr(sp.summary, "1 tag"));
	create_spec_clear(&sp);

	/* Without TTL or PITR on the source: no follow-up calls. */
	s.ttl.status[0] = '\0';
	s.pitr = -1;
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), 0);
	assert_null(sp.ttl_body);
	assert_null(sp.pitr_body);
	create_spec_clear(&sp);
	plan_pair_clear(&p);
	create_src_clear(&s);
}

static void
test_create_build_overrides(void **state)
{
	struct create_src s;
	struct create_spec sp;
	struct plan_pair p;
	char err[512];
	cJSON *j;

	(void)state;
	full_src(&s);
	/* On-demand, AWS-owned encryption, a stream of its own. */
	pair(&p, "eu-west-1");
	p.billing_mode = strdup("PAY_PER_REQUEST");
	p.sse = strdup("default");
	p.stream_view = strdup("NEW_IMAGE");
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), 0);
	j = cJSON_Parse(sp.create_body);
	assert_string_equal(item(j, "BillingMode")->valuestring,
	    "PAY_PER_REQUEST");
	assert_null(cJSON_GetObjectItem(j, "ProvisionedThroughput"));
	assert_null(
	    cJSON_GetObjectItem(gsi(j, "by_ts"), "ProvisionedThroughput"));
	assert_null(cJSON_GetObjectItem(j, "OnDemandThroughput"));
	assert_null(cJSON_GetObjectItem(j, "SSESpecification"));
	assert_string_equal(item(item(j, "StreamSpecification"),
				"StreamViewType")
				->valuestring,
	    "NEW_IMAGE");
	cJSON_Delete(j);
	create_spec_clear(&sp);
	plan_pair_clear(&p);

	/* Provisioned with the table's and one index's capacity set. */
	pair(&p, "us-east-1");
	p.prov_rcu = 100;
	p.prov_wcu = 50;
	p.index_caps = calloc(1, sizeof(*p.index_caps));
	p.index_caps[0].name = strdup("by_ts");
	p.index_caps[0].read = 9;
	p.index_caps[0].write = 8;
	p.nindex_caps = 1;
	p.sse = strdup("kms");
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), 0);
	j = cJSON_Parse(sp.create_body);
	assert_int_equal(num(j, "ProvisionedThroughput", "ReadCapacityUnits"),
	    100);
	assert_int_equal(num(gsi(j, "by_ts"), "ProvisionedThroughput",
			     "ReadCapacityUnits"),
	    9);
	/* The other keeps the source's. */
	assert_int_equal(num(gsi(j, "by_email"), "ProvisionedThroughput",
			     "ReadCapacityUnits"),
	    2);
	/* sse: kms without a key: the AWS managed key. */
	assert_string_equal(item(item(j, "SSESpecification"), "SSEType")
				->valuestring,
	    "KMS");
	assert_null(
	    cJSON_GetObjectItem(item(j, "SSESpecification"), "KMSMasterKeyId"));
	cJSON_Delete(j);
	create_spec_clear(&sp);
	plan_pair_clear(&p);
	create_src_clear(&s);
}

static void
test_create_build_on_demand(void **state)
{
	struct create_src s;
	struct create_spec sp;
	struct plan_pair p;
	char err[512];
	cJSON *j;

	(void)state;
	load_src(&s, od_json);
	pair(&p, "us-east-1");
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), 0);
	j = cJSON_Parse(sp.create_body);
	assert_string_equal(item(j, "BillingMode")->valuestring,
	    "PAY_PER_REQUEST");
	/* The source's on-demand maximum comes along; -1 is "none". */
	assert_int_equal(num(j, "OnDemandThroughput", "MaxReadRequestUnits"),
	    500);
	assert_int_equal(num(j, "OnDemandThroughput", "MaxWriteRequestUnits"),
	    -1);
	assert_null(cJSON_GetObjectItem(j, "SSESpecification"));
	assert_null(cJSON_GetObjectItem(j, "TableClass"));
	assert_null(cJSON_GetObjectItem(j, "DeletionProtectionEnabled"));
	assert_null(cJSON_GetObjectItem(j, "Tags"));
	cJSON_Delete(j);
	create_spec_clear(&sp);

	/* Provisioned from on-demand needs capacities, named. */
	p.billing_mode = strdup("PROVISIONED");
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "output.provisioned_read_capacity"));
	assert_non_null(strstr(err, "on-demand"));
	/* The table's capacities then serve the GSIs too. */
	p.prov_rcu = 10;
	p.prov_wcu = 20;
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), 0);
	j = cJSON_Parse(sp.create_body);
	assert_int_equal(num(gsi(j, "by_email"), "ProvisionedThroughput",
			     "WriteCapacityUnits"),
	    20);
	assert_null(cJSON_GetObjectItem(j, "OnDemandThroughput"));
	cJSON_Delete(j);
	create_spec_clear(&sp);
	plan_pair_clear(&p);

	/* index_capacity alone on an on-demand source. */
	pair(&p, "us-east-1");
	p.index_caps = calloc(1, sizeof(*p.index_caps));
	p.index_caps[0].name = strdup("by_email");
	p.index_caps[0].read = p.index_caps[0].write = 1;
	p.nindex_caps = 1;
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), -1);
	assert_non_null(strstr(err,
	    "index_capacity needs billing_mode "
	    "PROVISIONED"));
	/* An index the source does not have. */
	free(p.index_caps[0].name);
	p.index_caps[0].name = strdup("by_nothing");
	assert_int_equal(create_build(&p, &s, &sp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "by_nothing"));
	plan_pair_clear(&p);
	create_src_clear(&s);
}

static void
test_create_sse(void **state)
{
	struct create_src s;
	struct plan_pair p;
	const char *key;
	char err[1024];

	(void)state;
	load_src(&s, fixture_table_json);
	/* Another region: the key cannot follow. */
	pair(&p, "us-west-2");
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sse_kms_key"));
	assert_non_null(strstr(err, "sse: default"));
	assert_non_null(strstr(err, "key/k1"));
	assert_non_null(strstr(err, "a table in us-west-2"));
	/* sse_kms_key or sse: default settle it. */
	p.sse_kms_key = strdup("alias/dst");
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), 1);
	assert_string_equal(key, "alias/dst");
	free(p.sse_kms_key);
	p.sse_kms_key = NULL;
	p.sse = strdup("default");
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), 0);
	plan_pair_clear(&p);

	/* Another account, told by the destination's role. */
	pair(&p, "us-east-1");
	p.output.role_arn = strdup("arn:aws:iam::999988887777:role/w");
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a table of account 999988887777"));
	free(p.output.role_arn);
	/* The same account through a role: reused. */
	p.output.role_arn = strdup("arn:aws:iam::111122223333:role/w");
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), 1);
	assert_string_equal(key, s.tab.sse_key);
	/* The source through a role, the destination not: unknown. */
	free(p.output.role_arn);
	p.output.role_arn = NULL;
	p.input.role_arn = strdup("arn:aws:iam::111122223333:role/r");
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not known"));
	plan_pair_clear(&p);

	/* AWS-owned on the source: AWS-owned, wherever. */
	pair(&p, "ap-south-1");
	s.tab.sse_kms = 0;
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), 0);
	/* KMS with the key not told: the managed key of the destination. */
	s.tab.sse_kms = 1;
	free(s.tab.sse_key);
	s.tab.sse_key = NULL;
	assert_int_equal(create_sse(&p, &s.tab, &key, err, sizeof(err)), 1);
	assert_null(key);
	plan_pair_clear(&p);
	create_src_clear(&s);
}

static int
has_warning(const struct create_diff *d, const char *a, const char *b)
{
	for (size_t i = 0; i < d->nwarnings; i++)
		if (strstr(d->warnings[i], a) != NULL &&
		    (b == NULL || strstr(d->warnings[i], b) != NULL))
			return 1;
	return 0;
}

static void
test_create_compare(void **state)
{
	struct create_src s;
	struct ddb_tdef dst;
	struct ddb_ttl dttl;
	struct create_diff d;
	struct plan_pair p;
	char err[256];

	(void)state;
	full_src(&s);
	pair(&p, "us-east-1");
	/* The same definition: nothing to say. */
	assert_int_equal(ddb_parse_tdef(fixture_table_json,
			     strlen(fixture_table_json), "Table", &dst, err,
			     sizeof(err)),
	    0);
	dttl = s.ttl;
	create_compare(&p, &s, &dst, &dttl, &d);
	assert_null(d.error);
	assert_int_equal(d.nwarnings, 0);
	create_diff_clear(&d);
	/* A plan asking for another billing mode than the table's. */
	p.billing_mode = strdup("PAY_PER_REQUEST");
	create_compare(&p, &s, &dst, &dttl, &d);
	assert_true(has_warning(&d, "PROVISIONED",
	    "plan asks for "
	    "PAY_PER_REQUEST"));
	create_diff_clear(&d);
	ddb_tdef_clear(&dst);
	plan_pair_clear(&p);
	pair(&p, "us-east-1");

	/* On-demand, one GSI of the source and its LSI missing, TTL off. */
	assert_int_equal(ddb_parse_tdef(od_json, strlen(od_json), "Table", &dst,
			     err, sizeof(err)),
	    0);
	strlcpy(dttl.status, "DISABLED", sizeof(dttl.status));
	dttl.attr[0] = '\0';
	create_compare(&p, &s, &dst, &dttl, &d);
	assert_null(d.error);
	assert_true(has_warning(&d, "GSI by_ts", "missing"));
	/* Present but not alike: another projection. */
	assert_true(has_warning(&d, "GSI by_email differs", NULL));
	assert_true(has_warning(&d, "LSI by_lsk", "missing"));
	assert_true(has_warning(&d, "PAY_PER_REQUEST",
	    "source is "
	    "PROVISIONED"));
	assert_true(has_warning(&d, "TTL is off", "expires_at"));
	assert_int_equal(d.nwarnings, 5);
	create_diff_clear(&d);
	/* The destination's TTL unknown: said, not guessed. */
	create_compare(&p, &s, &dst, NULL, &d);
	assert_true(has_warning(&d, "could not be read", "expires_at"));
	create_diff_clear(&d);

	/* Other keys: an error, nothing else. */
	strlcpy(dst.range.type, "S", sizeof(dst.range.type));
	create_compare(&p, &s, &dst, &dttl, &d);
	assert_non_null(d.error);
	assert_non_null(strstr(d.error, "RANGE sk (N)"));
	assert_non_null(strstr(d.error, "RANGE sk (S)"));
	assert_int_equal(d.nwarnings, 0);
	create_diff_clear(&d);
	ddb_tdef_clear(&dst);
	plan_pair_clear(&p);
	create_src_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_build_copy),
		cmocka_unit_test(test_create_build_overrides),
		cmocka_unit_test(test_create_build_on_demand),
		cmocka_unit_test(test_create_sse),
		cmocka_unit_test(test_create_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

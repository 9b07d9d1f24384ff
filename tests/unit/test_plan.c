/* test_plan.c: the plan loader, defaults, validation, flags and labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan.h"
#include "planmsg.h"

/* README.md's example plan, with backfill.disabled spelled out. */
static const char spec_plan[] =
    "plan:\n"
    "  - input:\n"
    "      table: ddb-sync-source\n"
    "      region: us-west-2\n"
    "      role_arn: arn:aws:iam::111111111111:role/ddb-sync-read-source\n"
    "    output:\n"
    "      table: ddb-sync-dest\n"
    "      region: us-east-2\n"
    "      role_arn: arn:aws:iam::222222222222:role/ddb-sync-write-dest\n"
    "    stream:\n"
    "      disabled: true\n"
    "    backfill:\n"
    "      disabled: false\n"
    "  - input:  {table: ddb-sync-source-2, region: us-west-2}\n"
    "    output: {table: ddb-sync-dest-2, region: us-east-2}\n";

static void
clear_env(void)
{
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
}

static int
setup(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

static struct plan *
load(const char *text, struct plan_errors *e)
{
	plan_errors_init(e);
	return plan_load_buffer("t.yml", text, strlen(text), e);
}

/* Load text, expect failure with a message holding a and b. */
static void
expect_error(const char *text, const char *a, const char *b)
{
	struct plan_errors e;
	struct plan *plan;

	plan = load(text, &e);
	if (plan != NULL) {
		plan_free(plan);
		fail_msg("plan loaded, expected an error with '%s'", a);
	}
	assert_msg(&e, a, b);
	plan_errors_clear(&e);
}

/* Load, resolve and validate text that must be fine. */
static struct plan *
load_ok(const char *text)
{
	struct plan_errors e;
	struct plan *plan;

	plan = load(text, &e);
	if (plan == NULL) {
		planmsg_dump(&e);
		fail_msg("plan did not load");
	}
	plan_resolve_defaults(plan);
	if (plan_validate(plan, &e) != 0) {
		planmsg_dump(&e);
		fail_msg("plan did not validate");
	}
	plan_errors_clear(&e);
	return plan;
}

/* Load and resolve text that loads, expect validation to name a and b. */
static void
expect_invalid(const char *text, const char *a, const char *b)
{
	struct plan_errors e;
	struct plan *plan;

	plan = load(text, &e);
	if (plan == NULL) {
		planmsg_dump(&e);
		fail_msg("plan did not load");
	}
	plan_resolve_defaults(plan);
	assert_true(plan_validate(plan, &e) > 0);
	assert_msg(&e, a, b);
	plan_errors_clear(&e);
	plan_free(plan);
}

static void
test_plan_spec_example(void **state)
{
	struct plan *plan = load_ok(spec_plan);
	struct plan_pair *p;

	(void)state;
	assert_int_equal(plan->npairs, 2);
	assert_string_equal(plan->path, "t.yml");
	p = &plan->pairs[0];
	assert_int_equal(p->line, 2);
	assert_string_equal(p->input.table, "ddb-sync-source");
	assert_string_equal(p->input.region, "us-west-2");
	assert_string_equal(p->input.role_arn,
	    "arn:aws:iam::111111111111:role/ddb-sync-read-source");
	assert_int_equal(p->input.line, 2);
	assert_string_equal(p->output.table, "ddb-sync-dest");
	assert_string_equal(p->output.region, "us-east-2");
	assert_string_equal(p->output.role_arn,
	    "arn:aws:iam::222222222222:role/ddb-sync-write-dest");
	assert_int_equal(p->output.line, 6);
	assert_int_equal(p->stream, 0);
	assert_int_equal(p->backfill, 1);
	assert_int_equal(p->consumed_capacity, 1);
	assert_null(p->input.endpoint);
	assert_int_equal(p->total_segments, 0);
	assert_string_equal(p->name, "ddb-sync-source");

	p = &plan->pairs[1];
	assert_int_equal(p->line, 14);
	assert_string_equal(p->input.table, "ddb-sync-source-2");
	assert_string_equal(p->input.region, "us-west-2");
	assert_null(p->input.role_arn);
	assert_string_equal(p->output.table, "ddb-sync-dest-2");
	assert_string_equal(p->output.region, "us-east-2");
	assert_int_equal(p->output.line, 15);
	assert_int_equal(p->stream, 1);
	assert_int_equal(p->backfill, 1);
	assert_string_equal(p->name, "ddb-sync-source-2");
	plan_free(plan);
}

static void
test_plan_config_files(void **state)
{
	struct plan_errors e;
	struct plan *plan;

	(void)state;
	/* Unit tests run from the repository root (tests/run-units.sh). */
	plan_errors_init(&e);
	plan = plan_load_file("configs/example.yml", &e);
	if (plan == NULL)
		planmsg_dump(&e);
	assert_non_null(plan);
	assert_int_equal(plan->npairs, 2);
	assert_string_equal(plan->path, "configs/example.yml");
	assert_string_equal(plan->pairs[1].output.table, "ddb-sync-dest-2");
	plan_resolve_defaults(plan);
	assert_int_equal(plan_validate(plan, &e), 0);
	plan_free(plan);

	plan = plan_load_file("configs/local.yml", &e);
	if (plan == NULL)
		planmsg_dump(&e);
	assert_non_null(plan);
	assert_true(plan->npairs >= 2);
	assert_string_equal(plan->pairs[0].input.endpoint,
	    "http://127.0.0.1:8000");
	plan_resolve_defaults(plan);
	assert_int_equal(plan_validate(plan, &e), 0);
	plan_free(plan);
	assert_int_equal(e.n, 0);
}

static void
test_plan_flow_form(void **state)
{
	struct plan *plan;

	(void)state;
	plan = load_ok("{plan: [{input: {table: src, region: eu-west-1}, "
		       "output: {table: dst}, backfill: {disabled: yes}, "
		       "segments: [2, 0], total_segments: 3}]}");
	assert_int_equal(plan->npairs, 1);
	assert_string_equal(plan->pairs[0].input.table, "src");
	assert_string_equal(plan->pairs[0].output.table, "dst");
	/* The output region follows the input region. */
	assert_string_equal(plan->pairs[0].output.region, "eu-west-1");
	assert_int_equal(plan->pairs[0].backfill, 0);
	assert_int_equal(plan->pairs[0].stream, 1);
	assert_int_equal(plan->pairs[0].nsegments, 2);
	assert_int_equal(plan->pairs[0].segments[0], 0);
	assert_int_equal(plan->pairs[0].segments[1], 2);
	plan_free(plan);
}

static void
test_plan_all_keys(void **state)
{
	struct plan *plan;
	struct plan_pair *p;

	(void)state;
	plan = load_ok(
	    "plan:\n"
	    "  - name: orders.v2\n"
	    "    input:\n"
	    "      table: orders\n"
	    "      region: us-east-1\n"
	    "      role_arn: arn:aws-us-gov:iam::123456789012:role/a/b-c\n"
	    "      endpoint_url: https://dynamodb.example\n"
	    "      streams_endpoint_url: https://streams.example:8443/\n"
	    "      sts_endpoint_url: https://sts.example\n"
	    "    output:\n"
	    "      table: orders-copy\n"
	    "      region: eu-central-1\n"
	    "      role_arn: arn:aws:iam::210987654321:role/w\n"
	    "      endpoint_url: http://localhost:8000\n"
	    "      sts_endpoint_url: "
	    "\"https://sts.eu-central-1.amazonaws.com\"\n"
	    "    total_segments: 8\n"
	    "    segments:\n"
	    "      - 7\n"
	    "      - 1\n"
	    "    page_size: 500\n"
	    "    max_inflight: 16\n"
	    "    consumed_capacity: no\n"
	    "    stream: {disabled: off}\n"
	    "    backfill: {disabled: NO}\n");
	p = &plan->pairs[0];
	assert_string_equal(p->name, "orders.v2");
	assert_int_equal(p->name_derived, 0);
	assert_string_equal(p->input.role_arn,
	    "arn:aws-us-gov:iam::123456789012:role/a/b-c");
	assert_string_equal(p->input.endpoint, "https://dynamodb.example");
	assert_string_equal(p->input.streams_endpoint,
	    "https://streams.example:8443/");
	assert_string_equal(p->input.sts_endpoint, "https://sts.example");
	assert_string_equal(p->output.endpoint, "http://localhost:8000");
	assert_string_equal(p->output.sts_endpoint,
	    "https://sts.eu-central-1.amazonaws.com");
	assert_string_equal(p->output.region, "eu-central-1");
	assert_int_equal(p->total_segments, 8);
	assert_int_equal(p->nsegments, 2);
	assert_int_equal(p->segments[0], 1);
	assert_int_equal(p->segments[1], 7);
	assert_int_equal(p->page_size, 500);
	assert_int_equal(p->max_inflight, 16);
	assert_int_equal(p->consumed_capacity, 0);
	assert_int_equal(p->stream, 1);
	assert_int_equal(p->backfill, 1);
	plan_free(plan);
}

static void
test_plan_unknown_keys(void **state)
{
	(void)state;
	expect_error("plan:\n  - input:\n      tabel: x\n",
	    "t.yml:3: plan[0].input: unknown key 'tabel'",
	    "did you mean 'table'?");
	expect_error("plan:\n  - input: {table: abc}\n    ouput: {}\n",
	    "t.yml:3: plan[0]: unknown key 'ouput'", "'output'");
	expect_error("plans:\n  - input: {table: abc}\n",
	    "t.yml:1: top level: unknown key 'plans'", "'plan'");
	expect_error("plan:\n  - input: {table: abc}\n    stream: {enabled: "
		     "true}\n",
	    "t.yml:3: plan[0].stream: unknown key 'enabled'", NULL);
	/* Only the input side reads a stream. */
	expect_error("plan:\n  - input: {table: abc}\n    output:\n"
		     "      streams_endpoint_url: http://x\n",
	    "t.yml:4: plan[0].output: unknown key 'streams_endpoint_url'",
	    NULL);
	/* No far-fetched suggestion. */
	expect_error("plan:\n  - input: {table: abc}\n    zzzzzz: 1\n",
	    "unknown key 'zzzzzz'", NULL);
}

static void
test_plan_every_problem_reported(void **state)
{
	struct plan_errors e;
	struct plan *plan;

	(void)state;
	plan = load("plan:\n"
		    "  - input:\n"
		    "      table: a1b\n"
		    "      colour: blue\n"
		    "    page_size: yes\n"
		    "  - output: {table: x}\n"
		    "  - input: {table: {nested: map}}\n"
		    "    backfill: {disabled: maybe}\n"
		    "    extra: 1\n",
	    &e);
	assert_null(plan);
	assert_msg(&e, "t.yml:4: plan[0].input: unknown key 'colour'", NULL);
	assert_msg(&e,
	    "t.yml:5: plan[0].page_size: 'yes' is not a whole "
	    "number",
	    NULL);
	assert_msg(&e, "t.yml:6: plan[1]: missing 'input'", NULL);
	assert_msg(&e,
	    "t.yml:7: plan[2].input.table: expected a single value, "
	    "got a mapping",
	    NULL);
	assert_msg(&e,
	    "t.yml:8: plan[2].backfill.disabled: 'maybe' is not a "
	    "boolean",
	    NULL);
	assert_msg(&e, "t.yml:9: plan[2]: unknown key 'extra'", NULL);
	assert_int_equal(e.n, 6);
	plan_errors_clear(&e);
}

static void
test_plan_wrong_types(void **state)
{
	(void)state;
	expect_error("plan: {input: {table: abc}}\n",
	    "t.yml:1: 'plan' must be a list of table pairs, got a mapping",
	    NULL);
	expect_error("plan: abc\n", "'plan' must be a list", "a single value");
	expect_error("plan:\n  - just-a-string\n",
	    "t.yml:2: plan[0]: expected a mapping", "got a single value");
	expect_error("plan:\n  - input: abc\n",
	    "t.yml:2: plan[0].input: expected a mapping", NULL);
	expect_error("plan:\n  - input: {table: abc, region: [us-east-1]}\n",
	    "t.yml:2: plan[0].input.region: expected a single value, got a "
	    "list",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    stream: false\n",
	    "t.yml:3: plan[0].stream: expected a mapping such as {disabled: "
	    "true}",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    stream: {disabled: "
		     "[1]}\n",
	    "plan[0].stream.disabled: expected true or false, got "
	    "a list",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    stream: {disabled: "
		     "1}\n",
	    "plan[0].stream.disabled: '1' is not a boolean", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    consumed_capacity: "
		     "0\n",
	    "t.yml:3: plan[0].consumed_capacity: '0' is not a boolean "
	    "(true/false, yes/no, on/off)",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    consumed_capacity: "
		     "{disabled: true}\n",
	    "t.yml:3: plan[0].consumed_capacity: "
	    "expected a single value, got a mapping",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    total_segments: "
		     "4.5\n",
	    "t.yml:3: plan[0].total_segments: '4.5' is not a whole "
	    "number",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    max_inflight: -1\n",
	    "plan[0].max_inflight: '-1' is negative", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    page_size: 0x10\n",
	    "plan[0].page_size: '0x10' is not a whole number", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    segments: 1\n",
	    "plan[0].segments: expected a list of segment numbers", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    segments: [1, a]\n",
	    "plan[0].segments[1]: 'a' is not a whole number", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    segments: [1, "
		     "{a: 1}]\n",
	    "plan[0].segments[1]: expected a segment number", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    ? [a]\n    : 1\n",
	    "t.yml:3: plan[0]: keys must be plain words", NULL);
	expect_error("- a\n- b\n",
	    "t.yml:1: expected a mapping with a 'plan' "
	    "key, got a list",
	    NULL);
}

static void
test_plan_empty_values(void **state)
{
	(void)state;
	expect_error("plan:\n  - input:\n      table:\n",
	    "t.yml:3: plan[0].input.table: empty value", NULL);
	expect_error("plan:\n  - input: {table: \"\"}\n",
	    "plan[0].input.table: empty value", NULL);
	expect_error("plan:\n  - input: {table: abc, region: ~}\n",
	    "plan[0].input.region: empty value", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    name: null\n",
	    "t.yml:3: plan[0].name: empty value", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    page_size:\n",
	    "plan[0].page_size: empty value", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    stream:\n"
		     "      disabled:\n",
	    "plan[0].stream.disabled: expected true or false, got an empty "
	    "value",
	    NULL);
	/* The string "null" quoted is a name, not an empty value. */
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abc, region: \"null\"}\n",
	    "output region 'null' does not look like an AWS region", NULL);
}

static void
test_plan_missing_parts(void **state)
{
	(void)state;
	expect_error("", "t.yml:1: empty plan", NULL);
	expect_error("# only a comment\n", "empty plan", NULL);
	expect_error("---\n", "empty plan", NULL);
	expect_error("other: 1\n", "t.yml:1: missing 'plan'", NULL);
	expect_error("plan:\n", "t.yml:1: 'plan' must be a list",
	    "empty value");
	expect_error("plan: []\n", "t.yml:1: 'plan' has no pairs", NULL);
	expect_error("plan:\n  - output: {table: abc}\n",
	    "t.yml:2: plan[0]: missing 'input'", NULL);
	expect_error("plan:\n  - input:\n      region: us-east-1\n",
	    "t.yml:3: plan[0].input: missing 'table'", NULL);
}

static void
test_plan_bool_spellings(void **state)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
		"on", "ON" };
	static const char *const no[] = { "false", "False", "no", "NO", "off",
		"Off" };
	char text[256];
	struct plan *plan;
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text),
		    "plan:\n  - input: {table: abc, "
		    "region: us-east-1}\n    output: {table: abd}\n"
		    "    stream: {disabled: %s}\n",
		    yes[i]);
		plan = load_ok(text);
		assert_int_equal(plan->pairs[0].stream, 0);
		plan_free(plan);
		assert_int_equal(plan_parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text),
		    "plan:\n  - input: {table: abc, "
		    "region: us-east-1}\n    output: {table: abd}\n"
		    "    stream: {disabled: %s}\n",
		    no[i]);
		plan = load_ok(text);
		assert_int_equal(plan->pairs[0].stream, 1);
		plan_free(plan);
		assert_int_equal(plan_parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
	assert_int_equal(plan_parse_bool("y", &b), -1);
	assert_int_equal(plan_parse_bool("1", &b), -1);
	assert_int_equal(plan_parse_bool("", &b), -1);
	assert_int_equal(plan_parse_bool("truee", &b), -1);
}

static void
test_plan_duplicate_key(void **state)
{
	(void)state;
	expect_error("plan:\n  - input:\n      table: abc\n      table: abd\n",
	    "t.yml:4: plan[0].input: key 'table' is repeated (first at line "
	    "3)",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\nplan: []\n",
	    "t.yml:3: top level: key 'plan' is repeated", NULL);
}

static void
test_plan_anchors_aliases_refused(void **state)
{
	struct plan_errors e;
	struct plan *plan;
	char *bomb;
	size_t i, off = 0, cap = 8192;

	(void)state;
	expect_error("plan:\n  - input: &src {table: abc}\n    output: *src\n",
	    "t.yml:2: YAML anchors and aliases are not supported (&src)", NULL);
	expect_error("plan:\n  - input: &src {table: abc}\n    output: *src\n",
	    "t.yml:3: YAML anchors and aliases are not supported (*src)", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    <<: *x\n",
	    "YAML anchors and aliases are not supported", NULL);

	/* A billion laughs: refused quickly, nothing expanded. */
	bomb = malloc(cap);
	assert_non_null(bomb);
	off += (size_t)snprintf(bomb + off, cap - off,
	    "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (i = 1; i < 10; i++)
		off += (size_t)snprintf(bomb + off, cap - off,
		    "a%zu: &a%zu [*a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, "
		    "*a%zu, *a%zu, *a%zu]\n",
		    i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1);
	off += (size_t)snprintf(bomb + off, cap - off, "plan: *a9\n");
	assert_true(off < cap);
	plan = load(bomb, &e);
	assert_null(plan);
	assert_msg(&e, "aliases are not supported", NULL);
	plan_errors_clear(&e);
	free(bomb);
}

static void
test_plan_tags_refused(void **state)
{
	(void)state;
	expect_error("plan:\n  - input: {table: !!str abc}\n",
	    "t.yml:2: YAML tags are not supported (tag:yaml.org,2002:str)",
	    NULL);
	expect_error("plan: !custom\n  - input: {table: abc}\n",
	    "YAML tags are not supported (!custom)", NULL);
}

static void
test_plan_multiple_documents(void **state)
{
	(void)state;
	expect_error("plan:\n  - input: {table: abc}\n---\nplan: []\n",
	    "t.yml:3: a second YAML document", NULL);
}

static void
test_plan_syntax_error(void **state)
{
	(void)state;
	expect_error("plan:\n  - input: {table: abc\n",
	    "t.yml:3: YAML syntax error", NULL);
	expect_error("plan:\n  - input:\n      table: a\n     region: b\n",
	    "t.yml:4: YAML syntax error", NULL);
	expect_error("plan:\n\t- input: {table: abc}\n",
	    "t.yml:2: YAML syntax error", NULL);
}

static void
test_plan_oversized_refused(void **state)
{
	struct plan_errors e;
	char path[] = "/tmp/test_plan.XXXXXX";
	char *big;
	size_t len = PLAN_MAX_FILE + 1;
	int fd;

	(void)state;
	big = malloc(len);
	assert_non_null(big);
	memset(big, '#', len);
	plan_errors_init(&e);
	assert_null(plan_load_buffer("big.yml", big, len, &e));
	assert_msg(&e, "big.yml: larger than 1048576 bytes", NULL);
	plan_errors_clear(&e);

	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, big, len), (ssize_t)len);
	close(fd);
	assert_null(plan_load_file(path, &e));
	assert_msg(&e, path, "larger than 1048576 bytes");
	plan_errors_clear(&e);
	unlink(path);
	free(big);
}

static void
test_plan_binary_refused(void **state)
{
	static const char nul[] = "plan:\n  - input: {table: a\0b}\n";
	struct plan_errors e;
	unsigned char junk[4096];
	uint32_t x = 12345;
	size_t i;

	(void)state;
	expect_error("plan:\n  - input: {table: \xff\xfe}\n",
	    "t.yml:2: not a UTF-8 text plan", "byte 0xff");
	expect_error("plan:\n  - input: {table: caf\xc3}\n",
	    "t.yml:2: not a UTF-8 text plan", NULL);
	expect_error("\x7f"
		     "ELF\x02\x01\x01",
	    "t.yml:1: not a UTF-8 text "
	    "plan: control characters are not allowed",
	    NULL);
	plan_errors_init(&e);
	assert_null(plan_load_buffer("t.yml", nul, sizeof(nul) - 1, &e));
	assert_msg(&e, "t.yml:2: not a UTF-8 text plan", NULL);
	plan_errors_clear(&e);
	/* A NUL from an escape reaches the value: refused, not truncated. */
	expect_error("plan:\n  - input: {table: \"ab\\0c\"}\n",
	    "plan[0].input.table: value contains a NUL byte", NULL);
	expect_error("plan:\n  - input: {table: \"ab\\tc\"}\n",
	    "plan[0].input.table: value contains a control character", NULL);

	for (i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (unsigned char)(x >> 16);
	}
	assert_null(
	    plan_load_buffer("junk", (const char *)junk, sizeof(junk), &e));
	assert_true(e.n >= 1);
	plan_errors_clear(&e);
}

static void
test_plan_depth_limited(void **state)
{
	char text[256];
	size_t i, n = 0;

	(void)state;
	n += (size_t)snprintf(text, sizeof(text), "plan: ");
	for (i = 0; i < 40; i++)
		text[n++] = '[';
	text[n] = '\0';
	expect_error(text, "t.yml:1: nested more than 16 levels deep", NULL);
}

static void
test_plan_hostile_text_quoted(void **state)
{
	struct plan_errors e;
	struct plan *plan;

	(void)state;
	plan = load("plan:\n  - input: {table: abc}\n    \"\\e[31mred\": 1\n",
	    &e);
	assert_null(plan);
	assert_msg(&e, "unknown key '?[31mred'", NULL);
	assert_null(strchr(e.msgs[0], '\x1b'));
	plan_errors_clear(&e);
}

static void
test_plan_errors_capped(void **state)
{
	char *text;
	size_t i, off = 0, cap = 64 * 1024;
	struct plan_errors e;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	off += (size_t)snprintf(text, cap, "plan:\n  - input: {table: abc}\n");
	for (i = 0; i < 500; i++)
		off += (size_t)snprintf(text + off, cap - off, "    k%zu: 1\n",
		    i);
	assert_null(load(text, &e));
	assert_int_equal(e.n, PLAN_MAX_ERRORS + 1);
	assert_string_equal(e.msgs[PLAN_MAX_ERRORS],
	    "too many problems; stopped listing them");
	plan_errors_clear(&e);
	free(text);
}

static void
test_plan_segments_checked(void **state)
{
	(void)state;
	expect_error("plan:\n  - input: {table: abc}\n    total_segments: 4\n"
		     "    segments: [1, 2, 1]\n",
	    "t.yml:4: plan[0].segments: segment 1 is listed twice", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    segments: []\n",
	    "plan[0].segments: empty list of segments", NULL);
	expect_error("plan:\n  - input: {table: abc}\n"
		     "    segments: [1000000]\n",
	    "plan[0].segments[0]: 1000000 is out of range (0 to 999999)", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd}\n    segments: [1]\n",
	    "t.yml:2: plan[0] (abc): 'segments' needs 'total_segments'", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd}\n    total_segments: 4\n"
		       "    segments: [0, 4]\n",
	    "plan[0] (abc): segment 4 is out of range: total_segments is 4",
	    NULL);
}

static void
test_plan_numeric_ranges(void **state)
{
	(void)state;
	expect_error("plan:\n  - input: {table: abc}\n    total_segments: 0\n",
	    "t.yml:3: plan[0].total_segments: 0 is out of range (1 to "
	    "1000000)",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    total_segments: "
		     "1000001\n",
	    "1000001 is out of range (1 to 1000000)", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    page_size: 10001\n",
	    "plan[0].page_size: 10001 is out of range (1 to 10000)", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    max_inflight: 1025\n",
	    "plan[0].max_inflight: 1025 is out of range (1 to 1024)", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    max_inflight: "
		     "99999999999999999999\n",
	    "is out of range (1 to 1024)", NULL);
	/* The edges are fine. */
	plan_free(
	    load_ok("plan:\n  - input: {table: abc, region: us-east-1}\n"
		    "    output: {table: abd}\n    total_segments: 1000000\n"
		    "    segments: [999999]\n    page_size: 10000\n"
		    "    max_inflight: 1024\n"));
	plan_free(load_ok("plan:\n  - input: {table: abc, region: us-east-1}\n"
			  "    output: {table: abd}\n    total_segments: 1\n"
			  "    page_size: 1\n    max_inflight: \"1\"\n"));
}

static void
test_plan_defaults_regions_from_env(void **state)
{
	static const char text[] =
	    "plan:\n  - input: {table: abc}\n"
	    "    output: {table: abd}\n  - input: {table: xyz, region: "
	    "eu-west-1}\n    output: {region: eu-west-2}\n";
	struct plan_errors e;
	struct plan *plan;

	(void)state;
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	plan = load(text, &e);
	assert_non_null(plan);
	plan_resolve_defaults(plan);
	assert_string_equal(plan->pairs[0].input.region, "ap-south-1");
	assert_string_equal(plan->pairs[0].output.region, "ap-south-1");
	/* Explicit regions win; the output table defaults to the input's. */
	assert_string_equal(plan->pairs[1].input.region, "eu-west-1");
	assert_string_equal(plan->pairs[1].output.region, "eu-west-2");
	assert_string_equal(plan->pairs[1].output.table, "xyz");
	assert_int_equal(plan_validate(plan, &e), 0);
	plan_free(plan);

	setenv("AWS_REGION", "us-west-1", 1);
	plan = load(text, &e);
	plan_resolve_defaults(plan);
	assert_string_equal(plan->pairs[0].input.region, "us-west-1");
	plan_free(plan);

	setenv("AWS_REGION", "", 1);
	plan = load(text, &e);
	plan_resolve_defaults(plan);
	assert_string_equal(plan->pairs[0].input.region, "ap-south-1");
	plan_free(plan);

	clear_env();
	plan = load(text, &e);
	plan_resolve_defaults(plan);
	assert_null(plan->pairs[0].input.region);
	assert_null(plan->pairs[0].output.region);
	assert_int_equal(plan_validate(plan, &e), 1);
	assert_msg(&e, "t.yml:2: plan[0] (abc): the input region is missing",
	    "AWS_REGION");
	plan_free(plan);
	plan_errors_clear(&e);
}

static void
test_plan_default_names_unique(void **state)
{
	struct plan *plan;

	(void)state;
	/* Same source into two tables: "<input>-<output>". */
	plan = load_ok("plan:\n"
		       "  - input: {table: src, region: us-east-1}\n"
		       "    output: {table: dst1}\n"
		       "  - input: {table: src, region: us-east-1}\n"
		       "    output: {table: dst2}\n"
		       "  - input: {table: other, region: us-east-1}\n"
		       "    output: {table: dst3}\n");
	assert_string_equal(plan->pairs[0].name, "src-dst1");
	assert_string_equal(plan->pairs[1].name, "src-dst2");
	assert_string_equal(plan->pairs[2].name, "other");
	assert_int_equal(plan->pairs[0].name_derived, 1);
	plan_free(plan);

	/* One table into many regions: the output region is added. */
	plan = load_ok("plan:\n"
		       "  - input: {table: t1x, region: us-east-1}\n"
		       "    output: {region: eu-west-1}\n"
		       "  - input: {table: t1x, region: us-east-1}\n"
		       "    output: {region: ap-south-1}\n");
	assert_string_equal(plan->pairs[0].name, "t1x-t1x-eu-west-1");
	assert_string_equal(plan->pairs[1].name, "t1x-t1x-ap-south-1");
	plan_free(plan);

	/* Alike but for the role: numbered in plan order. */
	plan = load_ok(
	    "plan:\n"
	    "  - input: {table: t1x, region: us-east-1}\n"
	    "    output: {role_arn: 'arn:aws:iam::111111111111:role/a'}\n"
	    "  - input: {table: t1x, region: us-east-1}\n"
	    "    output: {role_arn: 'arn:aws:iam::222222222222:role/a'}\n");
	assert_string_equal(plan->pairs[0].name, "t1x-t1x-us-east-1-1");
	assert_string_equal(plan->pairs[1].name, "t1x-t1x-us-east-1-2");
	plan_free(plan);

	/* An explicit name is kept; the default steps aside. */
	plan = load_ok("plan:\n"
		       "  - name: abc\n"
		       "    input: {table: xyz, region: us-east-1}\n"
		       "    output: {table: xyw}\n"
		       "  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd}\n");
	assert_string_equal(plan->pairs[0].name, "abc");
	assert_string_equal(plan->pairs[1].name, "abc-abd");
	plan_free(plan);
}

static void
test_plan_validate_names(void **state)
{
	char text[1024], longname[300];

	(void)state;
	expect_invalid("plan:\n  - input: {table: ab, region: us-east-1}\n"
		       "    output: {table: abd}\n",
	    "t.yml:2: plan[0] (ab): input table 'ab' is not a valid DynamoDB "
	    "table name",
	    NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: 'a b c'}\n",
	    "t.yml:3: plan[0] (abc): output table 'a b c' is not a valid",
	    NULL);
	expect_invalid("plan:\n  - name: ..\n    input: {table: abc, region: "
		       "us-east-1}\n    output: {table: abd}\n",
	    "plan[0] (..): pair name '..' is not allowed", NULL);
	expect_invalid("plan:\n  - name: a/b\n    input: {table: abc, region: "
		       "us-east-1}\n    output: {table: abd}\n",
	    "pair name 'a/b' is not usable", "state directory");
	/* A 255-character table is valid but too long as a default name. */
	memset(longname, 'x', 255);
	longname[255] = '\0';
	snprintf(text, sizeof(text),
	    "plan:\n  - input: {table: %s, region: "
	    "us-east-1}\n    output: {table: abc}\n",
	    longname);
	expect_invalid(text, "the default pair name", "set 'name'");
	plan_free(load_ok("plan:\n  - name: a\n    input: {table: abc, region: "
			  "us-east-1}\n    output: {table: abd}\n"));
}

/* A bad table is reported once, not again as a bad default name. */
static void
test_plan_validate_bad_table_once(void **state)
{
	struct plan_errors e;
	struct plan *plan;

	(void)state;
	plan = load("plan:\n  - input: {table: a/b, region: us-east-1}\n"
		    "    output: {table: abd}\n",
	    &e);
	assert_non_null(plan);
	plan_resolve_defaults(plan);
	assert_string_equal(plan->pairs[0].name, "a/b");
	assert_int_equal(plan_validate(plan, &e), 1);
	assert_msg(&e, "input table 'a/b' is not a valid", NULL);
	plan_errors_clear(&e);
	plan_free(plan);
}

static void
test_plan_validate_regions_arns_urls(void **state)
{
	(void)state;
	expect_invalid("plan:\n  - input: {table: abc, region: us_east_1}\n"
		       "    output: {table: abd}\n",
	    "input region 'us_east_1' does not look like an AWS region", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: US-EAST-1}\n"
		       "    output: {table: abd}\n",
	    "input region 'US-EAST-1'", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east}\n"
		       "    output: {table: abd}\n",
	    "input region 'us-east'", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: local}\n"
		       "    output: {table: abd}\n",
	    "input region 'local'", NULL);
	/* With an endpoint (DynamoDB Local) any short word will do. */
	plan_free(load_ok(
	    "plan:\n  - input: {table: abc, region: local, "
	    "endpoint_url: 'http://127.0.0.1:8000'}\n    output: {table: abd, "
	    "endpoint_url: 'http://127.0.0.1:8000'}\n"));
	plan_free(load_ok(
	    "plan:\n  - input: {table: abc, region: "
	    "us-gov-west-1}\n    output: {table: abd, region: cn-north-1}\n"));

	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1, "
		       "role_arn: 'arn:aws:iam::12345:role/x'}\n"
		       "    output: {table: abd}\n",
	    "t.yml:2: plan[0] (abc): input role ARN "
	    "'arn:aws:iam::12345:role/x' is not an IAM role ARN",
	    NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd, role_arn: "
		       "'arn:aws:iam::123456789012:user/x'}\n",
	    "output role ARN", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd, role_arn: "
		       "'arn:aws:iam::123456789012:role/'}\n",
	    "output role ARN", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1, "
		       "endpoint_url: 'ftp://x'}\n    output: {table: abd}\n",
	    "input endpoint URL 'ftp://x' is not an http:// or https:// URL",
	    NULL);
	expect_invalid(
	    "plan:\n  - input: {table: abc, region: us-east-1, "
	    "streams_endpoint_url: 'http://'}\n    output: {table: abd}\n",
	    "input Streams endpoint URL", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd, sts_endpoint_url: "
		       "'https://user:pw@sts'}\n",
	    "output STS endpoint URL", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: abd, endpoint_url: 'http://a b'}\n",
	    "output endpoint URL", NULL);
}

static void
test_plan_validate_pairs(void **state)
{
	(void)state;
	expect_invalid(
	    "plan:\n  - input: {table: abc, region: us-east-1}\n"
	    "    output: {table: abd}\n    stream: {disabled: true}\n"
	    "    backfill: {disabled: true}\n",
	    "t.yml:2: plan[0] (abc): both backfill and stream are disabled: "
	    "nothing to do",
	    NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n",
	    "plan[0] (abc): input and output are the same table", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {region: us-east-1}\n",
	    "the same table", NULL);
	/* Differ by region, by role (account) or by endpoint: fine. */
	plan_free(load_ok("plan:\n  - input: {table: abc, region: us-east-1}\n"
			  "    output: {region: us-east-2}\n"));
	plan_free(load_ok(
	    "plan:\n  - input: {table: abc, region: us-east-1}\n"
	    "    output: {role_arn: 'arn:aws:iam::123456789012:role/w'}\n"));
	plan_free(
	    load_ok("plan:\n  - input: {table: abc, region: us-east-1}\n"
		    "    output: {endpoint_url: 'http://localhost:8000'}\n"));

	expect_invalid(
	    "plan:\n"
	    "  - name: one\n    input: {table: abc, region: us-east-1}\n"
	    "    output: {table: abd}\n"
	    "  - name: two\n    input: {table: abc, region: us-east-1}\n"
	    "    output: {table: abd}\n",
	    "t.yml:5: plan[1] (two): same input and output as plan[0] (line 2)",
	    NULL);
	expect_invalid(
	    "plan:\n"
	    "  - name: one\n    input: {table: abc, region: us-east-1}\n"
	    "    output: {table: abd}\n"
	    "  - name: one\n    input: {table: xyz, region: us-east-1}\n"
	    "    output: {table: abd}\n",
	    "t.yml:5: plan[1] (one): the pair name is also used by plan[0] "
	    "(line 2)",
	    NULL);
}

static void
test_plan_validate_reports_all(void **state)
{
	struct plan_errors e;
	struct plan *plan;

	(void)state;
	plan = load("plan:\n"
		    "  - input: {table: a, region: nowhere}\n"
		    "    output: {table: b!}\n"
		    "    stream: {disabled: true}\n"
		    "    backfill: {disabled: true}\n"
		    "  - input: {table: abc, region: us-east-1}\n",
	    &e);
	assert_non_null(plan);
	plan_resolve_defaults(plan);
	if (plan_validate(plan, &e) != 5) {
		planmsg_dump(&e);
		fail();
	}
	assert_msg(&e, "t.yml:2: plan[0] (a): input table 'a'", NULL);
	assert_msg(&e, "t.yml:2: plan[0] (a): input region 'nowhere'", NULL);
	assert_msg(&e, "t.yml:3: plan[0] (a): output table 'b!'", NULL);
	assert_msg(&e, "t.yml:2: plan[0] (a): both backfill and stream", NULL);
	assert_msg(&e, "t.yml:6: plan[1] (abc): input and output are the same",
	    NULL);
	plan_free(plan);
	plan_errors_clear(&e);
}

static void
test_plan_validate_without_file(void **state)
{
	struct plan_errors e;
	struct plan *plan = plan_new();
	struct plan_pair *p = plan_add_pair(plan);
	char err[128];

	(void)state;
	plan_errors_init(&e);
	assert_int_equal(plan_pair_set_flag(p, "input-table", "abc", err,
			     sizeof(err)),
	    1);
	assert_int_equal(plan_pair_set_flag(p, "input-region", "us-east-1", err,
			     sizeof(err)),
	    1);
	plan_resolve_defaults(plan);
	assert_int_equal(plan_validate(plan, &e), 1);
	assert_string_equal(e.msgs[0],
	    "pair 'abc': input and output are the "
	    "same table (same name, region, role ARN and endpoint)");
	plan_errors_clear(&e);
	/* Programmatic values out of range are caught too. */
	plan->pairs[0].page_size = 20000;
	free(plan->pairs[0].output.table);
	plan->pairs[0].output.table = strdup("abd");
	assert_int_equal(plan_validate(plan, &e), 1);
	assert_msg(&e, "page_size 20000 is out of range (1 to 10000)", NULL);
	plan_errors_clear(&e);
	plan_free(plan);
}

static void
test_plan_set_flag(void **state)
{
	struct plan_pair p;
	char err[128];

	(void)state;
	plan_pair_init(&p);
	assert_int_equal(plan_pair_set_flag(&p, "input-table", "t1", err,
			     sizeof(err)),
	    1);
	assert_string_equal(p.input.table, "t1");
	assert_int_equal(plan_pair_set_flag(&p, "input-table", "t2", err,
			     sizeof(err)),
	    1);
	assert_string_equal(p.input.table, "t2");
	assert_int_equal(plan_pair_set_flag(&p, "input-table", "", err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err, "empty value");
	assert_int_equal(plan_pair_set_flag(&p, "input-table", NULL, err,
			     sizeof(err)),
	    -1);
	assert_int_equal(plan_pair_set_flag(&p, "input-table", "a\nb", err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err, "value contains a control character");
	assert_int_equal(plan_pair_set_flag(&p, "config-file", "x", err,
			     sizeof(err)),
	    0);
	assert_int_equal(plan_pair_set_flag(&p, "input_table", "x", err,
			     sizeof(err)),
	    0);

	assert_int_equal(plan_pair_set_flag(&p, "no-stream", NULL, err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.stream, 0);
	assert_int_equal(plan_pair_set_flag(&p, "stream", NULL, err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.stream, 1);
	assert_int_equal(plan_pair_set_flag(&p, "stream", "off", err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.stream, 0);
	assert_int_equal(plan_pair_set_flag(&p, "backfill", "maybe", err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err,
	    "'maybe' is not a boolean (true/false, "
	    "yes/no, on/off)");
	assert_int_equal(plan_pair_set_flag(&p, "no-backfill", "true", err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err, "takes no value");
	assert_int_equal(p.backfill, 1);

	assert_int_equal(plan_pair_set_flag(&p, "total-segments", "16", err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.total_segments, 16);
	assert_int_equal(plan_pair_set_flag(&p, "total-segments", "0", err,
			     sizeof(err)),
	    -1);
	assert_int_equal(plan_pair_set_flag(&p, "page-size", " 5", err,
			     sizeof(err)),
	    -1);
	assert_int_equal(plan_pair_set_flag(&p, "segments", "3,1,2", err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.nsegments, 3);
	assert_int_equal(p.segments[0], 1);
	assert_int_equal(p.segments[2], 3);
	assert_int_equal(plan_pair_set_flag(&p, "segments", "1,,2", err,
			     sizeof(err)),
	    -1);
	assert_int_equal(plan_pair_set_flag(&p, "segments", "1,2,", err,
			     sizeof(err)),
	    -1);
	assert_int_equal(plan_pair_set_flag(&p, "segments", "2,2", err,
			     sizeof(err)),
	    -1);
	assert_string_equal(err, "segment 2 is listed twice");
	assert_int_equal(p.nsegments, 3);

	assert_int_equal(plan_pair_flag_needs_value("input-table"), 1);
	assert_int_equal(plan_pair_flag_needs_value("segments"), 1);
	assert_int_equal(plan_pair_flag_needs_value("page-size"), 1);
	assert_int_equal(plan_pair_flag_needs_value("stream"), 0);
	assert_int_equal(plan_pair_flag_needs_value("no-backfill"), 0);
	assert_int_equal(plan_pair_flag_needs_value("output-streams-endpoint-"
						    "url"),
	    -1);
	assert_int_equal(plan_pair_flag_needs_value("state-dir"), -1);
	plan_pair_clear(&p);
}

/* Apply "--name=value" items to a pair, as the worker will. */
static void
apply_argv(struct plan_pair *p, char **argv)
{
	char name[64], err[128];
	const char *eq;
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		assert_true(strncmp(argv[i], "--", 2) == 0);
		eq = strchr(argv[i], '=');
		assert_non_null(eq);
		assert_true((size_t)(eq - argv[i] - 2) < sizeof(name));
		memcpy(name, argv[i] + 2, (size_t)(eq - argv[i] - 2));
		name[eq - argv[i] - 2] = '\0';
		if (plan_pair_set_flag(p, name, eq + 1, err, sizeof(err)) != 1)
			fail_msg("%s: %s", argv[i], err);
	}
}

static void
test_plan_argv_round_trip(void **state)
{
	struct plan *plan;
	struct plan_pair *a, b;
	char **argv;
	size_t argc, i;

	(void)state;
	plan = load_ok(
	    "plan:\n"
	    "  - name: orders.v2\n"
	    "    input:\n"
	    "      table: orders\n"
	    "      region: us-east-1\n"
	    "      role_arn: arn:aws:iam::123456789012:role/r=x,y@z\n"
	    "      endpoint_url: https://ddb.example/?a=b\n"
	    "      streams_endpoint_url: https://streams.example\n"
	    "      sts_endpoint_url: https://sts.example\n"
	    "      allow_insecure_http: yes\n"
	    "    output:\n"
	    "      table: orders-copy\n"
	    "      region: eu-central-1\n"
	    "      role_arn: arn:aws:iam::210987654321:role/w\n"
	    "      endpoint_url: http://localhost:8000\n"
	    "      sts_endpoint_url: https://sts.eu\n"
	    "    total_segments: 8\n"
	    "    segments: [7, 1, 3]\n"
	    "    page_size: 500\n"
	    "    max_inflight: 16\n"
	    "    consumed_capacity: off\n"
	    "    stream: {disabled: true}\n");
	a = &plan->pairs[0];
	argv = plan_pair_to_argv(a, &argc);
	assert_int_equal(argc, 22); /* with --spool=true */
	assert_null(argv[argc]);
	assert_string_equal(argv[0], "--pair-name=orders.v2");
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--segments=1,3,7") == 0)
			break;
	assert_true(i < argc);

	plan_pair_init(&b);
	b.stream = 1;
	apply_argv(&b, argv);
	assert_string_equal(b.name, a->name);
	assert_string_equal(b.input.table, a->input.table);
	assert_string_equal(b.input.region, a->input.region);
	assert_string_equal(b.input.role_arn, a->input.role_arn);
	assert_string_equal(b.input.endpoint, a->input.endpoint);
	assert_string_equal(b.input.streams_endpoint,
	    a->input.streams_endpoint);
	assert_string_equal(b.input.sts_endpoint, a->input.sts_endpoint);
	assert_string_equal(b.output.table, a->output.table);
	assert_string_equal(b.output.region, a->output.region);
	assert_string_equal(b.output.role_arn, a->output.role_arn);
	assert_string_equal(b.output.endpoint, a->output.endpoint);
	assert_string_equal(b.output.sts_endpoint, a->output.sts_endpoint);
	assert_null(b.output.streams_endpoint);
	assert_int_equal(b.input.allow_insecure_http, 1);
	assert_int_equal(b.output.allow_insecure_http, 0);
	assert_int_equal(b.backfill, 1);
	assert_int_equal(b.stream, 0);
	assert_int_equal(b.total_segments, 8);
	assert_int_equal(b.nsegments, 3);
	assert_memory_equal(b.segments, a->segments, 3 * sizeof(uint32_t));
	assert_int_equal(b.page_size, 500);
	assert_int_equal(b.max_inflight, 16);
	assert_int_equal(b.consumed_capacity, 0);
	plan_pair_clear(&b);
	plan_argv_free(argv);

	/* A bare pair: only what is set, and the booleans. */
	plan_pair_init(&b);
	b.input.table = strdup("abc");
	b.backfill = 0;
	argv = plan_pair_to_argv(&b, &argc);
	assert_int_equal(argc, 6);
	assert_string_equal(argv[0], "--input-table=abc");
	assert_string_equal(argv[1], "--backfill=false");
	assert_string_equal(argv[2], "--stream=true");
	assert_string_equal(argv[3], "--consumed-capacity=true");
	assert_string_equal(argv[4], "--spool=true");
	assert_string_equal(argv[5], "--ttl-apply-deletes=true");
	plan_argv_free(argv);
	plan_pair_clear(&b);
	plan_argv_free(NULL);
	plan_free(plan);
}

/* output.create and its overrides, ttl: loaded, passed on, checked. */
static void
test_plan_create_ttl(void **state)
{
	struct plan *plan;
	struct plan_pair *a, b;
	char **argv, err[256];
	size_t argc;

	(void)state;
	plan = load_ok(
	    "plan:\n"
	    "  - input: {table: orders, region: us-east-1}\n"
	    "    output:\n"
	    "      table: orders-copy\n"
	    "      create: true\n"
	    "      billing_mode: provisioned\n"
	    "      provisioned_read_capacity: 10\n"
	    "      provisioned_write_capacity: 5\n"
	    "      index_capacity:\n"
	    "        by_email: {read_capacity: 3, write_capacity: 2}\n"
	    "        by.date: {write_capacity: 7, read_capacity: 1}\n"
	    "      sse: KMS\n"
	    "      sse_kms_key: arn:aws:kms:us-east-1:1:key/k\n"
	    "      stream_view: new_and_old_images\n"
	    "    ttl: {skip_expired: false, apply_deletes: no}\n");
	a = &plan->pairs[0];
	assert_int_equal(a->create_output, 1);
	/* Enumerations are stored as AWS spells them. */
	assert_string_equal(a->billing_mode, "PROVISIONED");
	assert_string_equal(a->sse, "kms");
	assert_string_equal(a->stream_view, "NEW_AND_OLD_IMAGES");
	assert_int_equal(a->prov_rcu, 10);
	assert_int_equal(a->prov_wcu, 5);
	assert_int_equal(a->nindex_caps, 2);
	assert_non_null(plan_index_cap_find(a, "by.date"));
	assert_int_equal(plan_index_cap_find(a, "by.date")->write, 7);
	assert_null(plan_index_cap_find(a, "by_nothing"));
	assert_int_equal(a->ttl_skip_expired, 0);
	assert_int_equal(a->ttl_apply_deletes, 0);

	argv = plan_pair_to_argv(a, &argc);
	plan_pair_init(&b);
	apply_argv(&b, argv);
	assert_int_equal(b.create_output, 1);
	assert_string_equal(b.billing_mode, "PROVISIONED");
	assert_string_equal(b.sse, "kms");
	assert_string_equal(b.sse_kms_key, a->sse_kms_key);
	assert_string_equal(b.stream_view, "NEW_AND_OLD_IMAGES");
	assert_int_equal(b.prov_rcu, 10);
	assert_int_equal(b.prov_wcu, 5);
	assert_int_equal(b.nindex_caps, 2);
	assert_string_equal(b.index_caps[0].name, "by_email");
	assert_int_equal(b.index_caps[0].read, 3);
	assert_int_equal(b.index_caps[0].write, 2);
	assert_int_equal(b.index_caps[1].read, 1);
	assert_int_equal(b.ttl_skip_expired, 0);
	assert_int_equal(b.ttl_apply_deletes, 0);
	plan_pair_clear(&b);
	plan_argv_free(argv);
	plan_free(plan);

	/* skip_expired unset is not passed on: the worker decides. */
	plan_pair_init(&b);
	assert_int_equal(b.ttl_skip_expired, -1);
	assert_int_equal(b.ttl_apply_deletes, 1);
	assert_int_equal(plan_pair_set_flag(&b, "output-index-capacity",
			     "gi1:1:2,gee:3:4", err, sizeof(err)),
	    1);
	assert_int_equal(b.nindex_caps, 2);
	assert_int_equal(plan_pair_set_flag(&b, "output-index-capacity",
			     "gi1:1", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "INDEX:READ:WRITE"));
	assert_int_equal(b.nindex_caps, 0);
	assert_int_equal(plan_pair_set_flag(&b, "output-index-capacity",
			     "gix:1:2,gix:1:2", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "listed twice"));
	assert_int_equal(plan_pair_set_flag(&b,
			     "output-provisioned-read-capacity", "-3", err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "negative"));
	assert_int_equal(plan_pair_set_flag(&b, "output-billing-mode",
			     "ON_DEMAND", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "PROVISIONED, PAY_PER_REQUEST"));
	assert_int_equal(plan_pair_set_flag(&b, "ttl-skip-expired", NULL, err,
			     sizeof(err)),
	    1);
	assert_int_equal(b.ttl_skip_expired, 1);
	assert_int_equal(plan_pair_flag_needs_value("ttl-skip-expired"), 0);
	assert_int_equal(plan_pair_flag_needs_value("output-sse"), 1);
	plan_pair_clear(&b);

	/* Bad values name the key and the line. */
	expect_error("plan:\n  - input: {table: abc}\n    output:\n"
		     "      create: true\n      billing_mode: ON_DEMAND\n",
	    "t.yml:5: plan[0].output.billing_mode: 'ON_DEMAND' is not one of "
	    "PROVISIONED, PAY_PER_REQUEST",
	    NULL);
	expect_error(
	    "plan:\n  - input: {table: abc}\n    output:\n"
	    "      create: true\n      provisioned_read_capacity: -5\n",
	    "t.yml:5: plan[0].output.provisioned_read_capacity: '-5' is "
	    "negative",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    output:\n"
		     "      create: true\n      index_capacity:\n"
		     "        gix: {read_capacity: 0, write_capacity: 1}\n",
	    "t.yml:6: plan[0].output.index_capacity.gix.read_capacity", "0");
	expect_error("plan:\n  - input: {table: abc}\n    output:\n"
		     "      create: true\n      index_capacity:\n"
		     "        gix: {read_capacity: 1}\n",
	    "plan[0].output.index_capacity.gix: missing 'write_capacity'",
	    NULL);
	expect_error("plan:\n  - input: {table: abc}\n    output:\n"
		     "      create: true\n      index_capacity: [gix]\n",
	    "plan[0].output.index_capacity: expected a mapping", NULL);
	expect_error("plan:\n  - input: {table: abc}\n    output:\n"
		     "      create: maybe\n",
	    "plan[0].output.create: 'maybe'", NULL);
	expect_error("plan:\n  - input: {table: abc}\n"
		     "    ttl: {skip_expird: true}\n",
	    "unknown key 'skip_expird'", "skip_expired");
	expect_error("plan:\n  - input: {table: abc}\n    ttl: true\n",
	    "plan[0].ttl: expected a mapping", NULL);
	/* Combinations. */
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: dst, billing_mode: PROVISIONED}\n",
	    "billing_mode", "only applies with output.create: true");
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: dst, create: true,\n"
		       "      provisioned_read_capacity: 5}\n",
	    "read_capacity and output.provisioned_write_capacity go together",
	    NULL);
	expect_invalid(
	    "plan:\n  - input: {table: abc, region: us-east-1}\n"
	    "    output: {table: dst, create: true, provisioned_read_capacity: 5,\n"
	    "      provisioned_write_capacity: 5, billing_mode: PAY_PER_REQUEST}\n",
	    "needs billing_mode PROVISIONED", NULL);
	expect_invalid("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {table: dst, create: true, sse: default,\n"
		       "      sse_kms_key: alias/x}\n",
	    "sse_kms_key contradicts", NULL);
}

static void
test_plan_label(void **state)
{
	struct plan *plan;
	char buf[128], small[12];

	(void)state;
	plan = load_ok(spec_plan);
	assert_string_equal(plan_pair_label(&plan->pairs[0], buf, sizeof(buf)),
	    "[ddb-sync-source] \xe2\x87\xa8 [ddb-sync-dest]");
	/* Cut on a UTF-8 boundary: "[ddb-sync-source] " is 18 bytes. */
	plan_pair_label(&plan->pairs[0], small, sizeof(small));
	assert_string_equal(small, "[ddb-sync-s");
	plan_free(plan);

	plan = load_ok("plan:\n  - input: {table: abc, region: us-east-1}\n"
		       "    output: {region: eu-west-1}\n");
	assert_string_equal(plan_pair_label(&plan->pairs[0], buf, sizeof(buf)),
	    "[abc@us-east-1] \xe2\x87\xa8 [abc@eu-west-1]");
	plan_free(plan);

	plan = plan_new();
	plan_add_pair(plan)->input.table = strdup("abc");
	assert_string_equal(plan_pair_label(&plan->pairs[0], buf, sizeof(buf)),
	    "[abc] \xe2\x87\xa8 [abc]");
	/* 7 bytes: "[abc] " and the first byte of the arrow: dropped. */
	plan_pair_label(&plan->pairs[0], small, 8);
	assert_string_equal(small, "[abc] ");
	plan_free(plan);
}

static void
test_plan_quote(void **state)
{
	char q[PLAN_QUOTE_LEN], in[200];

	(void)state;
	assert_string_equal(plan_quote(q, "plain"), "plain");
	assert_string_equal(plan_quote(q,
				"a\x1b[0m\x7f"
				"b"),
	    "a?[0m?b");
	assert_string_equal(plan_quote(q, "caf\xc3\xa9"), "caf\xc3\xa9");
	assert_string_equal(plan_quote(q,
				"\xc2\x9b"
				"x\xff"),
	    "?x?");
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	plan_quote(q, in);
	assert_int_equal(strlen(q), PLAN_QUOTE_LEN - 1);
	assert_string_equal(q + PLAN_QUOTE_LEN - 4, "...");
}

static void
test_plan_load_file_errors(void **state)
{
	struct plan_errors e;

	(void)state;
	plan_errors_init(&e);
	assert_null(plan_load_file("/nonexistent/plan.yml", &e));
	assert_msg(&e, "/nonexistent/plan.yml: No such file or directory",
	    NULL);
	assert_null(plan_load_file("/", &e));
	assert_msg(&e, "/: Is a directory", NULL);
	assert_int_equal(e.n, 2);
	plan_errors_clear(&e);
}

/* Every prefix and many byte flips of a full plan: no crash, no leak. */
static void
test_plan_mangled_input_survives(void **state)
{
	static const char full[] =
	    "plan:\n"
	    "  - name: n1\n"
	    "    input: {table: abc, region: us-east-1, role_arn: "
	    "'arn:aws:iam::123456789012:role/r', endpoint_url: 'http://x'}\n"
	    "    output:\n"
	    "      table: abd\n"
	    "      sts_endpoint_url: \"https://sts\\u00e9\"\n"
	    "    stream: {disabled: yes}\n"
	    "    total_segments: 4\n"
	    "    segments: [0, 3]\n"
	    "  - input: {table: xyz}\n";
	static const char flips[] = "{}[]:,-&*!|>'\"#\n \t\\?0";
	char buf[sizeof(full)];
	struct plan_errors e;
	struct plan *plan;
	size_t len, i, j;

	(void)state;
	plan_errors_init(&e);
	for (len = 0; len < sizeof(full); len++) {
		plan = plan_load_buffer("m", full, len, &e);
		if (plan != NULL) {
			plan_resolve_defaults(plan);
			(void)plan_validate(plan, &e);
		}
		plan_free(plan);
		plan_errors_clear(&e);
	}
	for (i = 0; i < sizeof(full) - 1; i++) {
		for (j = 0; j < sizeof(flips) - 1; j++) {
			memcpy(buf, full, sizeof(full));
			buf[i] = flips[j];
			plan = plan_load_buffer("m", buf, sizeof(full) - 1, &e);
			if (plan != NULL) {
				plan_resolve_defaults(plan);
				(void)plan_validate(plan, &e);
			} else
				assert_true(e.n > 0);
			plan_free(plan);
			plan_errors_clear(&e);
		}
	}
}

/* A key error in one pair does not hide the checks of the others. */
static void
test_plan_load_and_check_errors_together(void **state)
{
	struct plan_errors e;
	struct plan *p;

	p = load("plan:\n"
		 "  - input: {table: src, region: us-east-1}\n"
		 "    output: {table: dst, colour: blue}\n"
		 "  - input: {table: xx1, region: us-east-1}\n"
		 "    output: {table: yy1}\n"
		 "    segments: [1]\n",
	    &e);
	assert_null(p);
	assert_msg(&e, "t.yml:3:", "colour");
	assert_msg(&e, "segments", NULL);
	/* The pair with the key error is not reported twice. */
	assert_false(planmsg_has(&e, "plan[0]", "missing"));
	plan_errors_clear(&e);
}

/* The plan-level coordination block (docs/fleet.md). */
static void
test_plan_coordination(void **state)
{
	struct plan *plan;
	const char *pair = "plan:\n"
			   "  - input: {table: src, region: us-east-1}\n"
			   "    output: {table: dst}\n";
	char text[1024];

	(void)state;
	plan = load_ok(pair);
	assert_null(plan->coord);
	plan_free(plan);

	snprintf(text, sizeof(text),
	    "coordination:\n"
	    "  table: ddb-sync-leases\n"
	    "  region: eu-west-1\n"
	    "  role_arn: arn:aws:iam::123456789012:role/leases\n"
	    "  endpoint_url: http://127.0.0.1:8000\n"
	    "  allow_insecure_http: yes\n%s",
	    pair);
	plan = load_ok(text);
	assert_non_null(plan->coord);
	assert_string_equal(plan->coord->table, "ddb-sync-leases");
	assert_string_equal(plan->coord->region, "eu-west-1");
	assert_string_equal(plan->coord->role_arn,
	    "arn:aws:iam::123456789012:role/leases");
	assert_string_equal(plan->coord->endpoint, "http://127.0.0.1:8000");
	assert_int_equal(plan->coord->allow_insecure_http, 1);
	assert_int_equal(plan->coord->line, 1);
	plan_free(plan);

	/* After the pairs, in flow style: the same. */
	snprintf(text, sizeof(text),
	    "%scoordination: {table: leases, "
	    "region: us-east-1}\n",
	    pair);
	plan = load_ok(text);
	assert_string_equal(plan->coord->table, "leases");
	assert_null(plan->coord->role_arn);
	assert_int_equal(plan->coord->allow_insecure_http, 0);
	assert_int_equal(plan->coord->line, 4);
	plan_free(plan);

	/* Loader errors: with the line, naming the key. */
	snprintf(text, sizeof(text), "coordination: {region: us-east-1}\n%s",
	    pair);
	expect_error(text, "t.yml:1:", "coordination: missing 'table'");
	/* No region from AWS_REGION: every host must name the same. */
	setenv("AWS_REGION", "us-east-1", 1);
	snprintf(text, sizeof(text), "coordination: {table: leases}\n%s", pair);
	expect_error(text, "coordination: missing 'region'", "no default");
	clear_env();
	snprintf(text, sizeof(text),
	    "coordination:\n  table: leases\n"
	    "  region: us-east-1\n  tabel: x\n%s",
	    pair);
	expect_error(text, "t.yml:4:",
	    "unknown key 'tabel' (did you mean "
	    "'table'?)");
	snprintf(text, sizeof(text), "coordination: leases\n%s", pair);
	expect_error(text, "coordination: expected a mapping",
	    "a single value");
	snprintf(text, sizeof(text),
	    "coordination: {table: [a], region: "
	    "us-east-1}\n%s",
	    pair);
	expect_error(text, "coordination.table: expected a single value", NULL);
	snprintf(text, sizeof(text),
	    "coordination: {table: leases, region: "
	    "us-east-1, allow_insecure_http: maybe}\n%s",
	    pair);
	expect_error(text, "coordination.allow_insecure_http", "not a boolean");
	snprintf(text, sizeof(text),
	    "coordination: {table: leases, region: "
	    "us-east-1}\ncoordination: {table: l2, region: us-east-1}\n%s",
	    pair);
	expect_error(text, "t.yml:2:", "'coordination' is repeated");
	/* A coordination block alone is not a plan. */
	expect_error("coordination: {table: leases, region: us-east-1}\n",
	    "missing 'plan'", NULL);

	/* Validation: each field checked, with the block's line. */
	snprintf(text, sizeof(text),
	    "coordination: {table: 'a b', region: "
	    "us-east-1}\n%s",
	    pair);
	expect_invalid(text, "t.yml:1: coordination: table 'a b'",
	    "not a valid DynamoDB table name");
	snprintf(text, sizeof(text),
	    "coordination: {table: leases, region: "
	    "nowhere}\n%s",
	    pair);
	expect_invalid(text, "coordination: region 'nowhere'",
	    "does not look like an AWS region");
	snprintf(text, sizeof(text),
	    "coordination: {table: leases, region: "
	    "us-east-1, role_arn: leases-role}\n%s",
	    pair);
	expect_invalid(text, "coordination: role ARN 'leases-role'",
	    "not an IAM role ARN");
	snprintf(text, sizeof(text),
	    "coordination: {table: leases, region: "
	    "us-east-1, endpoint_url: 'ftp://x'}\n%s",
	    pair);
	expect_invalid(text, "coordination: endpoint URL 'ftp://x'", NULL);
	/* Not a table the plan copies. */
	snprintf(text, sizeof(text),
	    "coordination: {table: dst, region: "
	    "us-east-1}\n%s",
	    pair);
	expect_invalid(text, "coordination: table 'dst' is plan[0]'s output",
	    "a table of its own");
	/* Another region's table of that name is another table. */
	snprintf(text, sizeof(text),
	    "coordination: {table: dst, region: "
	    "eu-west-1}\n%s",
	    pair);
	plan = load_ok(text);
	plan_free(plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_plan_spec_example, setup),
		cmocka_unit_test_setup(test_plan_load_and_check_errors_together,
		    setup),
		cmocka_unit_test_setup(test_plan_config_files, setup),
		cmocka_unit_test_setup(test_plan_flow_form, setup),
		cmocka_unit_test_setup(test_plan_all_keys, setup),
		cmocka_unit_test_setup(test_plan_unknown_keys, setup),
		cmocka_unit_test_setup(test_plan_every_problem_reported, setup),
		cmocka_unit_test_setup(test_plan_wrong_types, setup),
		cmocka_unit_test_setup(test_plan_empty_values, setup),
		cmocka_unit_test_setup(test_plan_missing_parts, setup),
		cmocka_unit_test_setup(test_plan_bool_spellings, setup),
		cmocka_unit_test_setup(test_plan_duplicate_key, setup),
		cmocka_unit_test_setup(test_plan_anchors_aliases_refused,
		    setup),
		cmocka_unit_test_setup(test_plan_tags_refused, setup),
		cmocka_unit_test_setup(test_plan_multiple_documents, setup),
		cmocka_unit_test_setup(test_plan_syntax_error, setup),
		cmocka_unit_test_setup(test_plan_oversized_refused, setup),
		cmocka_unit_test_setup(test_plan_binary_refused, setup),
		cmocka_unit_test_setup(test_plan_depth_limited, setup),
		cmocka_unit_test_setup(test_plan_hostile_text_quoted, setup),
		cmocka_unit_test_setup(test_plan_errors_capped, setup),
		cmocka_unit_test_setup(test_plan_segments_checked, setup),
		cmocka_unit_test_setup(test_plan_numeric_ranges, setup),
		cmocka_unit_test_setup(test_plan_defaults_regions_from_env,
		    setup),
		cmocka_unit_test_setup(test_plan_default_names_unique, setup),
		cmocka_unit_test_setup(test_plan_validate_names, setup),
		cmocka_unit_test_setup(test_plan_validate_bad_table_once,
		    setup),
		cmocka_unit_test_setup(test_plan_validate_regions_arns_urls,
		    setup),
		cmocka_unit_test_setup(test_plan_validate_pairs, setup),
		cmocka_unit_test_setup(test_plan_validate_reports_all, setup),
		cmocka_unit_test_setup(test_plan_validate_without_file, setup),
		cmocka_unit_test_setup(test_plan_set_flag, setup),
		cmocka_unit_test_setup(test_plan_argv_round_trip, setup),
		cmocka_unit_test_setup(test_plan_create_ttl, setup),
		cmocka_unit_test_setup(test_plan_label, setup),
		cmocka_unit_test_setup(test_plan_quote, setup),
		cmocka_unit_test_setup(test_plan_load_file_errors, setup),
		cmocka_unit_test_setup(test_plan_mangled_input_survives, setup),
		cmocka_unit_test_setup(test_plan_coordination, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

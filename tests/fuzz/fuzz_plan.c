/* fuzz_plan.c: YAML plans through load, defaults, validation and argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan.h"

static const char *const str_flags[] = {
	"pair-name",
	"input-table",
	"input-region",
	"input-role-arn",
	"input-endpoint-url",
	"input-streams-endpoint-url",
	"input-sts-endpoint-url",
	"output-table",
	"output-region",
	"output-role-arn",
	"output-endpoint-url",
	"output-sts-endpoint-url",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* plan_resolve_defaults() reads these: make every run alike. */
	setenv("AWS_REGION", "us-east-1", 1);
	unsetenv("AWS_DEFAULT_REGION");
	fuzz_quiet();
	return 0;
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
side_equal(const struct plan_side *a, const struct plan_side *b)
{
	return streq(a->table, b->table) && streq(a->region, b->region) &&
	    streq(a->role_arn, b->role_arn) &&
	    streq(a->endpoint, b->endpoint) &&
	    streq(a->streams_endpoint, b->streams_endpoint) &&
	    streq(a->sts_endpoint, b->sts_endpoint);
}

/* What the loader may hand out: short printable strings. */
static void
check_value(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return;
	n = strlen(s);
	FUZZ_CHECK(n > 0 && n <= PLAN_MAX_VALUE);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void
check_loaded(const struct plan_pair *p)
{
	size_t i;

	FUZZ_CHECK(p->input.table != NULL);
	check_value(p->name);
	check_value(p->input.table);
	check_value(p->input.region);
	check_value(p->input.role_arn);
	check_value(p->input.endpoint);
	check_value(p->input.streams_endpoint);
	check_value(p->input.sts_endpoint);
	check_value(p->output.table);
	check_value(p->output.region);
	check_value(p->output.role_arn);
	check_value(p->output.endpoint);
	check_value(p->output.streams_endpoint);
	check_value(p->output.sts_endpoint);
	FUZZ_CHECK(p->total_segments <= PLAN_TOTAL_SEGMENTS_MAX);
	FUZZ_CHECK(p->page_size <= PLAN_PAGE_SIZE_MAX);
	FUZZ_CHECK(p->max_inflight <= PLAN_MAX_INFLIGHT_MAX);
	FUZZ_CHECK((p->segments == NULL) == (p->nsegments == 0));
	FUZZ_CHECK(p->nsegments <= PLAN_MAX_SEGMENTS);
	for (i = 0; i < p->nsegments; i++) {
		FUZZ_CHECK(p->segments[i] < PLAN_TOTAL_SEGMENTS_MAX);
		FUZZ_CHECK(i == 0 || p->segments[i - 1] < p->segments[i]);
	}
}

/* plan_pair_to_argv() + plan_pair_set_flag() must rebuild the pair. */
static void
check_argv(const struct plan_pair *p)
{
	struct plan_pair q;
	char **argv, *arg, *eq, err[256];
	size_t argc, i;

	argv = plan_pair_to_argv(p, &argc);
	FUZZ_CHECK(argv[argc] == NULL);
	plan_pair_init(&q);
	for (i = 0; i < argc; i++) {
		FUZZ_CHECK(strncmp(argv[i], "--", 2) == 0);
		arg = strdup(argv[i] + 2);
		FUZZ_CHECK(arg != NULL);
		eq = strchr(arg, '=');
		FUZZ_CHECK(eq != NULL);
		*eq = '\0';
		FUZZ_CHECK(plan_pair_flag_needs_value(arg) != -1);
		FUZZ_CHECK(
		    plan_pair_set_flag(&q, arg, eq + 1, err, sizeof(err)) == 1);
		free(arg);
	}
	FUZZ_CHECK(streq(p->name, q.name));
	FUZZ_CHECK(side_equal(&p->input, &q.input));
	FUZZ_CHECK(side_equal(&p->output, &q.output));
	FUZZ_CHECK(p->backfill == q.backfill && p->stream == q.stream);
	FUZZ_CHECK(p->total_segments == q.total_segments);
	FUZZ_CHECK(p->page_size == q.page_size);
	FUZZ_CHECK(p->max_inflight == q.max_inflight);
	FUZZ_CHECK(p->consumed_capacity == q.consumed_capacity);
	FUZZ_CHECK(p->nsegments == q.nsegments);
	FUZZ_CHECK(p->nsegments == 0 ||
	    memcmp(p->segments, q.segments,
		p->nsegments * sizeof(*p->segments)) == 0);
	plan_pair_clear(&q);
	plan_argv_free(argv);
}

static void
check_label(const struct plan_pair *p)
{
	static const size_t sizes[] = { 1, 2, 7, 16, 64, 600 };
	char buf[600], q[PLAN_QUOTE_LEN];
	size_t i, n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		plan_pair_label(p, buf, sizes[i]);
		n = strlen(buf);
		FUZZ_CHECK(n < sizes[i]);
		FUZZ_CHECK(fuzz_utf8_valid(buf, n));
	}
	if (p->name != NULL) {
		plan_quote(q, p->name);
		n = strlen(q);
		FUZZ_CHECK(n < PLAN_QUOTE_LEN);
		FUZZ_CHECK(fuzz_utf8_valid(q, n));
		for (i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)q[i] >= 0x20 && q[i] != 0x7f);
	}
}

/* The flags share plan_field_set() with the YAML keys: feed them too. */
static void
check_flags(const uint8_t *data, size_t size)
{
	struct plan_pair p;
	char *s, err[256];
	size_t i;
	int r;

	s = fuzz_strndup(data, size);
	plan_pair_init(&p);
	for (i = 0; i < sizeof(str_flags) / sizeof(str_flags[0]); i++) {
		r = plan_pair_set_flag(&p, str_flags[i], s, err, sizeof(err));
		FUZZ_CHECK(r == 1 || (r == -1 && strlen(err) < sizeof(err)));
	}
	r = plan_pair_set_flag(&p, "segments", s, err, sizeof(err));
	FUZZ_CHECK(r == 1 || r == -1);
	if (r == 1)
		for (i = 1; i < p.nsegments; i++)
			FUZZ_CHECK(p.segments[i - 1] < p.segments[i]);
	r = plan_pair_set_flag(&p, "total-segments", s, err, sizeof(err));
	FUZZ_CHECK(r == 1 || r == -1);
	r = plan_pair_set_flag(&p, "stream", s, err, sizeof(err));
	FUZZ_CHECK(r == 1 || r == -1);
	plan_pair_clear(&p);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_errors errs;
	struct plan *plan;
	size_t i, j;
	int n;

	plan_errors_init(&errs);
	plan = plan_load_buffer("fuzz.yml", (const char *)data, size, &errs);
	FUZZ_CHECK(errs.n <= PLAN_MAX_ERRORS + 1);
	for (i = 0; i < errs.n; i++)
		FUZZ_CHECK(errs.msgs[i] != NULL);
	if (plan == NULL) {
		FUZZ_CHECK(errs.n > 0);
		goto out;
	}
	/* A plan is returned only when nothing was wrong with it. */
	FUZZ_CHECK(errs.n == 0);
	FUZZ_CHECK(plan->npairs >= 1 && plan->npairs <= PLAN_MAX_PAIRS);
	for (i = 0; i < plan->npairs; i++)
		check_loaded(&plan->pairs[i]);

	plan_resolve_defaults(plan);
	for (i = 0; i < plan->npairs; i++) {
		const struct plan_pair *p = &plan->pairs[i];

		FUZZ_CHECK(p->name != NULL && p->output.table != NULL);
		FUZZ_CHECK(p->input.region != NULL && p->output.region != NULL);
		/* A default name never collides with any other name. */
		if (p->name_derived)
			for (j = 0; j < plan->npairs; j++)
				FUZZ_CHECK(j == i ||
				    strcmp(p->name, plan->pairs[j].name) != 0);
		check_label(p);
	}

	n = plan_validate(plan, &errs);
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK((size_t)n == errs.n ||
	    (n > PLAN_MAX_ERRORS && errs.n == PLAN_MAX_ERRORS + 1));
	if (n == 0) {
		for (i = 0; i < plan->npairs; i++) {
			for (j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(plan->pairs[i].name,
					       plan->pairs[j].name) != 0);
			check_argv(&plan->pairs[i]);
		}
	}
	plan_free(plan);
out:
	plan_errors_clear(&errs);
	if (size <= PLAN_MAX_VALUE + 16)
		check_flags(data, size);
	return 0;
}

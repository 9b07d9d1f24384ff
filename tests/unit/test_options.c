/* test_options.c: the ddb-sync command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "options.h"
#include "planmsg.h"
#include "plan.h"
#include "settings.h"

#define MAXARGS 64

static void
clear_env(void)
{
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("DDB_SYNC_STATE_DIR");
	unsetenv("STATE_DIRECTORY");
	settings_init(NULL, 0);
}

static int
setup(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

/* Parse a NULL-terminated list of arguments (argv[0] is added). */
static int
parse(struct options *o, struct plan_errors *e, ...)
{
	char *argv[MAXARGS + 2];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t) "ddb-sync";
	va_start(ap, e);
	while ((a = va_arg(ap, const char *)) != NULL) {
		assert_true(argc <= MAXARGS);
		argv[argc++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	options_init(o);
	plan_errors_init(e);
	return options_parse(argc, argv, o, e);
}

static void
assert_run(int rc, const struct plan_errors *e)
{
	if (rc != OPTIONS_RUN) {
		planmsg_dump(e);
		fail_msg("options_parse returned %d, not OPTIONS_RUN", rc);
	}
	assert_int_equal(e->n, 0);
}

/* Expect a usage error whose messages hold a and b. */
static void
expect_usage(struct options *o, struct plan_errors *e, int rc, const char *a,
    const char *b)
{
	assert_int_equal(rc, OPTIONS_USAGE_ERROR);
	assert_null(o->plan);
	assert_msg(e, a, b);
	options_free(o);
	plan_errors_clear(e);
}

static void
test_options_no_arguments(void **state)
{
	struct options o;
	struct plan_errors e;
	char *argv[] = { (char *)(uintptr_t) "ddb-sync", NULL };

	(void)state;
	options_init(&o);
	plan_errors_init(&e);
	expect_usage(&o, &e, options_parse(1, argv, &o, &e), "no arguments",
	    NULL);
	expect_usage(&o, &e, parse(&o, &e, "--state-dir=x", NULL),
	    "nothing to copy: give --config-file FILE or --input-table", NULL);
}

static void
test_options_help_and_version(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	assert_int_equal(parse(&o, &e, "--help", NULL), OPTIONS_HELP);
	options_free(&o);
	plan_errors_clear(&e);
	assert_int_equal(parse(&o, &e, "-h", NULL), OPTIONS_HELP);
	options_free(&o);
	plan_errors_clear(&e);
	assert_int_equal(parse(&o, &e, "--version", NULL), OPTIONS_VERSION);
	options_free(&o);
	plan_errors_clear(&e);
	assert_int_equal(parse(&o, &e, "-V", NULL), OPTIONS_VERSION);
	options_free(&o);
	plan_errors_clear(&e);
	/* Help wins over version and over bad flags. */
	assert_int_equal(parse(&o, &e, "--bogus", "-V", "--input-table", "x",
			     "-h", NULL),
	    OPTIONS_HELP);
	assert_null(o.plan);
	options_free(&o);
	plan_errors_clear(&e);
	assert_int_equal(parse(&o, &e, "-vV", NULL), OPTIONS_VERSION);
	options_free(&o);
	plan_errors_clear(&e);
	assert_int_equal(parse(&o, &e, "--help=yes", "--version", NULL),
	    OPTIONS_VERSION);
	assert_msg(&e, "--help takes no value", NULL);
	options_free(&o);
	plan_errors_clear(&e);
}

static void
test_options_usage_text(void **state)
{
	static const char *const flags[] = { "--config-file", "--input-table",
		"--input-region", "--input-role-arn", "--input-endpoint-url",
		"--input-streams-endpoint-url", "--input-sts-endpoint-url",
		"--output-table", "--output-region", "--output-role-arn",
		"--output-endpoint-url", "--output-sts-endpoint-url",
		"--backfill", "--no-backfill", "--stream", "--no-stream",
		"--pair-name", "--total-segments", "--segments", "--page-size",
		"--max-inflight", "--consumed-capacity",
		"--no-consumed-capacity", "--state-dir", "--check-config",
		"--status", "--no-status", "--status-interval",
		"--progress-interval", "--verbose", "--help", "--version",
		"AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "DDB_SYNC_STATE_DIR",
		"STATE_DIRECTORY", "Exit status", "  0  success",
		"  1  runtime failure",
		"  2  usage or "
		"configuration error" };
	char *text = NULL, *line;
	size_t len = 0, i;
	FILE *fp;

	(void)state;
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	options_usage(fp);
	fclose(fp);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strstr(text, flags[i]) == NULL)
			fail_msg("--help does not mention %s", flags[i]);
	/* Fits 80 columns (it becomes the man page synopsis). */
	for (line = text; *line != '\0'; line += strcspn(line, "\n") + 1)
		assert_true(strcspn(line, "\n") <= 79);
	free(text);

	fp = open_memstream(&text, &len);
	options_usage_short(fp);
	options_version(fp);
	fclose(fp);
	assert_non_null(strstr(text, "usage: ddb-sync --config-file FILE"));
	assert_non_null(strstr(text, "ddb-sync --help"));
	assert_non_null(strstr(text, "ddb-sync " DDB_SYNC_VERSION "\n"));
	free(text);
}

static void
test_options_every_pair_flag(void **state)
{
	struct options o;
	struct plan_errors e;
	struct plan_pair *p;

	(void)state;
	assert_run(parse(&o, &e, "--input-table=src", "--input-region",
		       "us-west-2",
		       "--input-role-arn=arn:aws:iam::111111111111:role/r",
		       "--input-endpoint-url=https://ddb.in",
		       "--input-streams-endpoint-url=https://streams.in",
		       "--input-sts-endpoint-url=https://sts.in",
		       "--output-table", "dst", "--output-region=us-east-2",
		       "--output-role-arn=arn:aws:iam::222222222222:role/w",
		       "--output-endpoint-url=https://ddb.out",
		       "--output-sts-endpoint-url=https://sts.out",
		       "--pair-name=copy", "--total-segments=10",
		       "--segments=9,0", "--page-size=250", "--max-inflight",
		       "32", "--no-stream", "--backfill=true",
		       "--no-consumed-capacity", NULL),
	    &e);
	assert_non_null(o.plan);
	assert_null(o.plan->path);
	assert_null(o.config_file);
	assert_int_equal(o.plan->npairs, 1);
	p = &o.plan->pairs[0];
	assert_string_equal(p->name, "copy");
	assert_string_equal(p->input.table, "src");
	assert_string_equal(p->input.region, "us-west-2");
	assert_string_equal(p->input.role_arn,
	    "arn:aws:iam::111111111111:role/r");
	assert_string_equal(p->input.endpoint, "https://ddb.in");
	assert_string_equal(p->input.streams_endpoint, "https://streams.in");
	assert_string_equal(p->input.sts_endpoint, "https://sts.in");
	assert_string_equal(p->output.table, "dst");
	assert_string_equal(p->output.region, "us-east-2");
	assert_string_equal(p->output.role_arn,
	    "arn:aws:iam::222222222222:role/w");
	assert_string_equal(p->output.endpoint, "https://ddb.out");
	assert_string_equal(p->output.sts_endpoint, "https://sts.out");
	assert_int_equal(p->total_segments, 10);
	assert_int_equal(p->nsegments, 2);
	assert_int_equal(p->segments[0], 0);
	assert_int_equal(p->segments[1], 9);
	assert_int_equal(p->page_size, 250);
	assert_int_equal(p->max_inflight, 32);
	assert_int_equal(p->consumed_capacity, 0);
	assert_int_equal(p->stream, 0);
	assert_int_equal(p->backfill, 1);
	/* Settings left at their defaults. */
	assert_string_equal(o.state_dir, OPTIONS_STATE_DIR_DEFAULT);
	assert_int_equal(o.check_config, 0);
	assert_int_equal(o.status, OPTIONS_STATUS_AUTO);
	assert_int_equal(o.status_interval_ms, 60000);
	assert_int_equal(o.progress_interval_ms, 20 * 60000);
	assert_int_equal(o.verbose, 0);
	options_free(&o);
	assert_null(o.plan);
}

static void
test_options_bool_spellings(void **state)
{
	static const struct {
		const char *arg;
		int backfill;
	} cases[] = {
		{ "--backfill", 1 },
		{ "--backfill=true", 1 },
		{ "--backfill=TRUE", 1 },
		{ "--backfill=yes", 1 },
		{ "--backfill=on", 1 },
		{ "--backfill=false", 0 },
		{ "--backfill=False", 0 },
		{ "--backfill=no", 0 },
		{ "--backfill=off", 0 },
		{ "--no-backfill", 0 },
	};
	struct options o;
	struct plan_errors e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_run(parse(&o, &e, "--input-table=abc",
			       "--input-region=us-east-1", "--output-table=abd",
			       cases[i].arg, NULL),
		    &e);
		assert_int_equal(o.plan->pairs[0].backfill, cases[i].backfill);
		assert_int_equal(o.plan->pairs[0].stream, 1);
		options_free(&o);
	}
	assert_run(parse(&o, &e, "--input-table=abc",
		       "--input-region=us-east-1", "--output-table=abd",
		       "--stream=false", NULL),
	    &e);
	assert_int_equal(o.plan->pairs[0].stream, 0);
	options_free(&o);

	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		"--output-table=abd", "--backfill=maybe", NULL),
	    "--backfill: 'maybe' is not a boolean", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		"--output-table=abd", "--stream=", NULL),
	    "--stream: '' is not a boolean", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		"--output-table=abd", "--no-stream=false", NULL),
	    "--no-stream: takes no value", NULL);
	/* The value of an optional-value flag never comes from the next one. */
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		"--output-table=abd", "--backfill", "false", NULL),
	    "unexpected argument 'false'", NULL);
	/* Both phases off: nothing to do. */
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		"--output-table=abd", "--no-stream", "--backfill=no", NULL),
	    "both backfill and stream are disabled", NULL);
}

static void
test_options_config_file(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	/* Unit tests run from the repository root (tests/run-units.sh). */
	assert_run(parse(&o, &e, "--config-file", "configs/example.yml",
		       "--check-config", NULL),
	    &e);
	assert_string_equal(o.config_file, "configs/example.yml");
	assert_string_equal(o.plan->path, "configs/example.yml");
	assert_int_equal(o.plan->npairs, 2);
	assert_int_equal(o.check_config, 1);
	assert_string_equal(o.plan->pairs[0].name, "ddb-sync-source");
	options_free(&o);

	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=/nonexistent.yml", NULL),
	    "/nonexistent.yml: No such file or directory", NULL);
	expect_usage(&o, &e, parse(&o, &e, "--config-file=", NULL),
	    "--config-file: empty value", NULL);
	expect_usage(&o, &e, parse(&o, &e, "--config-file", NULL),
	    "--config-file needs a value", NULL);
}

static void
test_options_config_file_problems_reported(void **state)
{
	char path[] = "/tmp/test_options.XXXXXX";
	struct options o;
	struct plan_errors e;
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd != -1);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("plan:\n  - input: {table: abc, regoin: us-east-1}\n", fp);
	fclose(fp);
	/* Plan problems and flag problems, all in one go. */
	assert_int_equal(parse(&o, &e, "--config-file", path, "--status=loud",
			     NULL),
	    OPTIONS_USAGE_ERROR);
	assert_msg(&e, path, ":2: plan[0].input: unknown key 'regoin'");
	assert_msg(&e, "--status: 'loud' is not one of auto, tty, plain, off",
	    NULL);
	options_free(&o);
	plan_errors_clear(&e);

	/* Loads, but does not validate. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("plan:\n  - input: {table: abc, region: us-east-1}\n", fp);
	fclose(fp);
	expect_usage(&o, &e, parse(&o, &e, "--config-file", path, NULL),
	    ":2: plan[0] (abc): input and output are the same table", NULL);
	remove(path);
}

static void
test_options_config_and_flags_conflict(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--output-region=us-east-1", NULL),
	    "--config-file and --output-region cannot be used together", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--no-stream", "--config-file=configs/example.yml",
		NULL),
	    "--config-file and --no-stream cannot be used together", NULL);
}

static void
test_options_input_required(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	expect_usage(&o, &e,
	    parse(&o, &e, "--output-table=abc", "--input-region=us-east-1",
		NULL),
	    "--input-table is required", NULL);
	expect_usage(&o, &e, parse(&o, &e, "--input-table=", NULL),
	    "--input-table: empty value", NULL);
	expect_usage(&o, &e, parse(&o, &e, "--input-table", NULL),
	    "--input-table needs a value", NULL);
}

static void
test_options_same_input_output(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		NULL),
	    "pair 'abc': input and output are the same table", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-region=us-east-1",
		"--output-table=abc", "--output-region=us-east-1", NULL),
	    "the same table", NULL);
	/* Differ by table, region or role ARN: fine. */
	assert_run(parse(&o, &e, "--input-table=abc",
		       "--input-region=us-east-1", "--output-region=eu-west-1",
		       NULL),
	    &e);
	assert_string_equal(o.plan->pairs[0].output.table, "abc");
	options_free(&o);
	assert_run(parse(&o, &e, "--input-table=abc",
		       "--input-region=us-east-1",
		       "--output-role-arn=arn:aws:iam::123456789012:role/w",
		       NULL),
	    &e);
	assert_string_equal(o.plan->pairs[0].output.region, "us-east-1");
	options_free(&o);
}

static void
test_options_regions_from_env(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--output-table=abd", NULL),
	    "the input region is missing", "--input-region");
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	assert_run(parse(&o, &e, "--input-table=abc", "--output-table=abd",
		       NULL),
	    &e);
	assert_string_equal(o.plan->pairs[0].input.region, "eu-north-1");
	assert_string_equal(o.plan->pairs[0].output.region, "eu-north-1");
	assert_string_equal(o.plan->pairs[0].name, "abc");
	options_free(&o);
	setenv("AWS_REGION", "sa-east-1", 1);
	assert_run(parse(&o, &e, "--input-table=abc", "--output-table=abd",
		       NULL),
	    &e);
	assert_string_equal(o.plan->pairs[0].input.region, "sa-east-1");
	options_free(&o);
	clear_env();
}

static void
test_options_durations(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{ "0", 0 },
		{ "500ms", 500 },
		{ "90s", 90000 },
		{ "20m", 1200000 },
		{ "1h", 3600000 },
		{ "1h30m", 5400000 },
		{ "2h3m4s5ms", 7384005 },
		{ "168h", 604800000 },
		{ "1m30s", 90000 },
	};
	static const char *const bad[] = { "", "10", "1x", "m", "1h1h", "30m1h",
		"1s1m", "1ms1s", "1.5h", "-1s", " 1s", "1s ", "1hm", "169h",
		"99999999999999999999s", "1 s", "1S" };
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = -1;
		if (options_parse_duration(good[i].s, &ms) != 0)
			fail_msg("'%s' refused", good[i].s);
		assert_int_equal(ms, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (options_parse_duration(bad[i], &ms) != -1)
			fail_msg("'%s' accepted", bad[i]);
}

static void
test_options_settings(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--state-dir", "/var/lib/ddb-sync", "--status=plain",
		       "--status-interval=90s", "--progress-interval", "1h30m",
		       "-vv", "--verbose", "-v", NULL),
	    &e);
	assert_string_equal(o.state_dir, "/var/lib/ddb-sync");
	assert_int_equal(o.status, OPTIONS_STATUS_PLAIN);
	assert_int_equal(o.status_interval_ms, 90000);
	assert_int_equal(o.progress_interval_ms, 5400000);
	assert_int_equal(o.verbose, 4);
	options_free(&o);

	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--status", "tty", "--progress-interval=0", NULL),
	    &e);
	assert_int_equal(o.status, OPTIONS_STATUS_TTY);
	assert_int_equal(o.progress_interval_ms, 0);
	options_free(&o);
	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--status=off", NULL),
	    &e);
	assert_int_equal(o.status, OPTIONS_STATUS_OFF);
	options_free(&o);
	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--no-status", NULL),
	    &e);
	assert_int_equal(o.status, OPTIONS_STATUS_OFF);
	options_free(&o);
	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--status=auto", NULL),
	    &e);
	assert_int_equal(o.status, OPTIONS_STATUS_AUTO);
	assert_int_equal(o.plan->pairs[0].input.allow_insecure_http, 0);
	options_free(&o);
	/* --allow-insecure-http: both sides of every pair of a plan... */
	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--allow-insecure-http", NULL),
	    &e);
	for (size_t i = 0; i < o.plan->npairs; i++) {
		assert_int_equal(o.plan->pairs[i].input.allow_insecure_http, 1);
		assert_int_equal(o.plan->pairs[i].output.allow_insecure_http,
		    1);
	}
	options_free(&o);
	/* ...or of the pair given by flags; the per-side flags too. */
	assert_run(parse(&o, &e, "--input-table=abc", "--output-table=abd",
		       "--input-region=us-east-1",
		       "--output-allow-insecure-http", NULL),
	    &e);
	assert_int_equal(o.plan->pairs[0].input.allow_insecure_http, 0);
	assert_int_equal(o.plan->pairs[0].output.allow_insecure_http, 1);
	options_free(&o);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--allow-insecure-http=yes", NULL),
	    "--allow-insecure-http takes no value", NULL);

	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--status-interval=0", NULL),
	    "--status-interval: '0' is too short (at least 100ms)", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--progress-interval=10ms", NULL),
	    "--progress-interval: '10ms' is too short", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--progress-interval=20", NULL),
	    "--progress-interval: '20' is not a duration", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "--status=TTY",
		NULL),
	    "--status: 'TTY' is not one of", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--state-dir=", NULL),
	    "--state-dir: empty value", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--check-config=yes", NULL),
	    "--check-config takes no value", NULL);
}

static void
test_options_state_dir_from_env(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	setenv("STATE_DIRECTORY", "/var/lib/ddb-sync:/var/lib/other", 1);
	assert_run(parse(&o, &e, "--config-file=configs/example.yml", NULL),
	    &e);
	assert_string_equal(o.state_dir, "/var/lib/ddb-sync");
	options_free(&o);
	setenv("DDB_SYNC_STATE_DIR", "/srv/state", 1);
	settings_init(NULL, 0);
	assert_run(parse(&o, &e, "--config-file=configs/example.yml", NULL),
	    &e);
	assert_string_equal(o.state_dir, "/srv/state");
	options_free(&o);
	/* The flag wins over both. */
	assert_run(parse(&o, &e, "--config-file=configs/example.yml",
		       "--state-dir=here", NULL),
	    &e);
	assert_string_equal(o.state_dir, "here");
	options_free(&o);
	clear_env();
}

static void
test_options_bad_arguments(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "--bogus", NULL),
	    "unknown option '--bogus'", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "-x", NULL),
	    "unknown option '-x'", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "plan.yml",
		NULL),
	    "unexpected argument 'plan.yml'", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "--", "--help",
		NULL),
	    "unexpected argument '--help'", NULL);
	assert_run(parse(&o, &e, "--config-file=configs/example.yml", "--",
		       NULL),
	    &e);
	options_free(&o);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "--=x", NULL),
	    "unknown option '--=x'", NULL);
	/* Abbreviations are not accepted. */
	expect_usage(&o, &e,
	    parse(&o, &e, "--config=configs/example.yml", NULL),
	    "unknown option '--config'", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml",
		"--unknown-\x1b[2J", NULL),
	    "unknown option '--unknown-?[2J'", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--input-table=abd",
		"--input-region=us-east-1", NULL),
	    "--input-table is given more than once", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--output-table=abd",
		"--input-region=us-east-1", "--backfill", "--no-backfill",
		NULL),
	    "--backfill is given more than once", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file=configs/example.yml", "--status=tty",
		"--no-status", NULL),
	    "--status is given more than once", NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--output-table=abd",
		"--input-region=us-east-1", "--page-size=0", NULL),
	    "--page-size: 0 is out of range (1 to "
	    "10000)",
	    NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table=abc", "--output-table=abd",
		"--input-region=us-east-1", "--segments=1", NULL),
	    "'segments' needs 'total_segments'", NULL);
}

static void
test_options_every_problem_reported(void **state)
{
	struct options o;
	struct plan_errors e;

	(void)state;
	assert_int_equal(parse(&o, &e, "--input-table=abc", "--bogus",
			     "--status=x", "--page-size=big", "stray", NULL),
	    OPTIONS_USAGE_ERROR);
	assert_msg(&e, "unknown option '--bogus'", NULL);
	assert_msg(&e, "--status: 'x' is not one of", NULL);
	assert_msg(&e, "--page-size: 'big' is not a whole number", NULL);
	assert_msg(&e, "unexpected argument 'stray'", NULL);
	assert_int_equal(e.n, 4);
	assert_null(o.plan);
	options_free(&o);
	plan_errors_clear(&e);
}

/* ddb-sync verify: the same plan, its own flags. */
static void
test_options_verify(void **state)
{
	struct options o;
	struct plan_errors e;
	uint32_t ppm;

	assert_run(parse(&o, &e, "verify", "--input-table", "src",
		       "--input-region", "us-east-1", "--output-table", "dst",
		       "--sample", "1%", "--repair", "--delete-extra",
		       "--report", "/tmp/r.jsonl", "--recheck-delay", "10s",
		       NULL),
	    &e);
	assert_true(o.verify.on);
	assert_int_equal(o.verify.sample_ppm, 10000);
	assert_true(o.verify.repair);
	assert_true(o.verify.delete_extra);
	assert_string_equal(o.verify.report, "/tmp/r.jsonl");
	assert_int_equal(o.verify.recheck_ms, 10000);
	assert_string_equal(o.plan->pairs[0].input.table, "src");
	options_free(&o);
	plan_errors_clear(&e);

	assert_run(parse(&o, &e, "verify", "--input-table", "src",
		       "--input-region", "us-east-1", "--output-table", "dst",
		       NULL),
	    &e);
	assert_int_equal(o.verify.sample_ppm, 0);
	assert_int_equal(o.verify.recheck_ms, -1);
	assert_false(o.verify.repair);
	options_free(&o);
	plan_errors_clear(&e);

	/* Its flags without it; nothing but "verify". */
	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table", "src", "--delete-extra", NULL),
	    "--delete-extra is a flag of 'ddb-sync "
	    "verify'",
	    NULL);
	expect_usage(&o, &e, parse(&o, &e, "verify", NULL), "no arguments",
	    NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "verify", "--input-table", "src", "--input-region",
		"us-east-1", "--output-table", "dst", "--recheck-delay", "soon",
		NULL),
	    "--recheck-delay: 'soon'", NULL);

	assert_int_equal(options_parse_rate("0.1", &ppm), 0);
	assert_int_equal(ppm, 100000);
	assert_int_equal(options_parse_rate("1", &ppm), 0);
	assert_int_equal(ppm, 1000000);
	assert_int_equal(options_parse_rate("0.5%", &ppm), 0);
	assert_int_equal(ppm, 5000);
	assert_int_equal(options_parse_rate("1e-9", &ppm), 0);
	assert_int_equal(ppm, 1); /* never nothing */
	assert_int_equal(options_parse_rate("0", &ppm), -1);
	assert_int_equal(options_parse_rate("1.5", &ppm), -1);
	assert_int_equal(options_parse_rate("101%", &ppm), -1);
	assert_int_equal(options_parse_rate("-0.1", &ppm), -1);
	assert_int_equal(options_parse_rate("nan", &ppm), -1);
	assert_int_equal(options_parse_rate("0.1x", &ppm), -1);
	assert_int_equal(options_parse_rate("", &ppm), -1);
}

/* --create-coordination-table: with a plan's coordination block only. */
static void
test_options_create_coordination_table(void **state)
{
	char path[] = "/tmp/test_options.XXXXXX";
	static const char text[] =
	    "coordination: {table: leases, region: "
	    "us-east-1}\nplan:\n  - input: {table: src, region: us-east-1}\n"
	    "    output: {table: dst}\n";
	struct options o;
	struct plan_errors e;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_run(parse(&o, &e, "--config-file", path,
		       "--create-coordination-table", "--allow-insecure-http",
		       NULL),
	    &e);
	assert_int_equal(o.create_coord, 1);
	assert_non_null(o.plan->coord);
	/* --allow-insecure-http reaches the coordination table too. */
	assert_int_equal(o.plan->coord->allow_insecure_http, 1);
	options_free(&o);
	assert_run(parse(&o, &e, "--config-file", path, NULL), &e);
	assert_int_equal(o.create_coord, 0);
	assert_int_equal(o.plan->coord->allow_insecure_http, 0);
	options_free(&o);
	unlink(path);

	expect_usage(&o, &e,
	    parse(&o, &e, "--input-table", "src", "--input-region", "us-east-1",
		"--output-table", "dst", "--create-coordination-table", NULL),
	    "--create-coordination-table: the plan has no coordination block",
	    NULL);
	expect_usage(&o, &e,
	    parse(&o, &e, "--config-file", "x.yml",
		"--create-coordination-table=yes", NULL),
	    "--create-coordination-table takes no value", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_options_verify, setup),
		cmocka_unit_test_setup(test_options_no_arguments, setup),
		cmocka_unit_test_setup(test_options_help_and_version, setup),
		cmocka_unit_test_setup(test_options_usage_text, setup),
		cmocka_unit_test_setup(test_options_every_pair_flag, setup),
		cmocka_unit_test_setup(test_options_bool_spellings, setup),
		cmocka_unit_test_setup(test_options_config_file, setup),
		cmocka_unit_test_setup(test_options_create_coordination_table,
		    setup),
		cmocka_unit_test_setup(
		    test_options_config_file_problems_reported, setup),
		cmocka_unit_test_setup(test_options_config_and_flags_conflict,
		    setup),
		cmocka_unit_test_setup(test_options_input_required, setup),
		cmocka_unit_test_setup(test_options_same_input_output, setup),
		cmocka_unit_test_setup(test_options_regions_from_env, setup),
		cmocka_unit_test_setup(test_options_durations, setup),
		cmocka_unit_test_setup(test_options_settings, setup),
		cmocka_unit_test_setup(test_options_state_dir_from_env, setup),
		cmocka_unit_test_setup(test_options_bad_arguments, setup),
		cmocka_unit_test_setup(test_options_every_problem_reported,
		    setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

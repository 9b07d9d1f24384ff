/* test_aws.c: AWS calls against a loopback fake: printable error messages,
 * response caps, the preflight's bound, interruption, retry notices. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws.h"
#include "compat.h"
#include "creds.h"
#include "fakehttp.h"
#include "log.h"
#include "xmalloc.h"
#include "xtime.h"

struct fx {
	struct fakehttp *fk;
	struct http *http;
	struct creds_provider *creds;
	struct aws_client cl;
};

static char logged[8192];

static void
capture_sink(int level, const char *msg, void *arg)
{
	(void)arg;
	(void)level;
	strlcat(logged, msg, sizeof(logged));
	strlcat(logged, "\n", sizeof(logged));
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char err[256];

	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLETOKEN0123456789abcdef",
	    1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	f->fk = fakehttp_start();
	assert_non_null(f->fk);
	f->http = http_new();
	f->creds = creds_chain_new();
	assert_int_equal(aws_client_init(&f->cl, f->http, ENDPOINT_DYNAMODB,
			     "us-east-1", fakehttp_url(f->fk), f->creds, NULL,
			     err, sizeof(err)),
	    0);
	strlcpy(f->cl.label, "source", sizeof(f->cl.label));
	f->cl.policy.base_ms = 1;
	f->cl.policy.cap_ms = 5;
	logged[0] = '\0';
	log_set_sink(capture_sink, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	log_set_sink(NULL, NULL);
	http_set_interrupt(NULL);
	aws_client_clear(&f->cl);
	creds_provider_free(f->creds);
	http_free(f->http);
	fakehttp_stop(f->fk);
	free(f);
	return 0;
}

static enum aws_status
call(struct fx *f, struct aws_call *c, const char *op)
{
	aws_call_init(c, &f->cl, op);
	assert_int_equal(buf_adds(&c->req, "{}"), 0);
	return aws_call_sync(c);
}

static void
test_aws_response_cap(void **state)
{
	(void)state;
	assert_int_equal(aws_response_cap("Scan", 100), AWS_CAP_PAGE);
	assert_int_equal(aws_response_cap("GetRecords", 100), AWS_CAP_PAGE);
	assert_int_equal(aws_response_cap("DescribeTable", 100), AWS_CAP_TABLE);
	assert_int_equal(aws_response_cap("DescribeStream", 100),
	    AWS_CAP_SMALL);
	assert_int_equal(aws_response_cap("GetShardIterator", 100),
	    AWS_CAP_SMALL);
	assert_int_equal(aws_response_cap("PutItem", 100), AWS_CAP_ITEM);
	/* UnprocessedItems can hand a whole batch back. */
	assert_int_equal(aws_response_cap("BatchWriteItem", 16u << 20),
	    (16u << 20) + AWS_CAP_SMALL);
	/* An operation not listed gets the largest cap, never none. */
	assert_int_equal(aws_response_cap("SomethingNew", 1), AWS_CAP_PAGE);
}

/* A hostile message cannot forge a log line, move a cursor or show a
 * token; the code is printable too. */
static void
test_aws_error_text_printable(void **state)
{
	struct fx *f = *state;
	struct aws_call c;

	fakehttp_add(f->fk, "POST", "/", 400,
	    "{\"__type\":\"com.amazon."
	    "coral.validate#Validation\\u001bException\",\"message\":"
	    "\"bad\\r\\n2026/01/01 00:00:00 [a]: Backfill complete\\u001b[2J "
	    "X-Amz-Security-Token: FQoGZXIvYXdzEXAMPLETOKEN0123456789abcdef "
	    "\\u202e\"}");
	assert_int_equal(call(f, &c, "DescribeTable"), AWS_FATAL);
	assert_string_equal(c.code, "Validation\\x1bException");
	assert_null(strpbrk(c.msg, "\r\n\x1b"));
	assert_non_null(strstr(c.msg, "bad\\r\\n2026/01/01"));
	assert_non_null(strstr(c.msg, "\\x1b[2J"));
	assert_non_null(strstr(c.msg, "\\u202e"));
	assert_null(strstr(c.msg, "FQoGZXIvYXdz"));
	aws_call_cleanup(&c);

	/* A message that quotes our secret key is withheld whole. */
	fakehttp_reset(f->fk);
	fakehttp_add(f->fk, "POST", "/", 400,
	    "{\"__type\":\"Invalid"
	    "SignatureException\",\"message\":\"string to sign: "
	    "wJalrXUtnFEMI/K7MDENG end\"}");
	assert_int_equal(call(f, &c, "DescribeTable"), AWS_DENIED);
	assert_null(strstr(c.msg, "wJalrXUtnFEMI/"));
	assert_non_null(strstr(c.msg, "withheld"));
	aws_call_cleanup(&c);
}

/* An answer longer than the operation's cap is cut off and retried as a
 * transient error; nothing past the cap is kept. */
static void
test_aws_response_over_cap(void **state)
{
	struct fx *f = *state;
	struct aws_call c;
	size_t n = AWS_CAP_SMALL + 4096;
	char *big = xmalloc(n + 1);

	memset(big, 'x', n);
	big[0] = '{';
	big[n] = '\0';
	fakehttp_add(f->fk, "POST", "/", 200, big);
	f->cl.policy.max_attempts = 2;
	assert_int_equal(call(f, &c, "DescribeStream"), AWS_TRANSIENT);
	assert_string_equal(c.code, "ResponseTooLarge");
	assert_non_null(strstr(c.msg, "DescribeStream"));
	assert_true(c.xfer.resp.len <= AWS_CAP_SMALL);
	assert_int_equal(fakehttp_count(f->fk), 2);
	aws_call_cleanup(&c);
	free(big);
}

/* give_up_ms bounds every kind of retry, throttling included. */
static void
test_aws_give_up(void **state)
{
	struct fx *f = *state;
	struct aws_call c;
	int64_t t0 = clock_ms();

	fakehttp_add(f->fk, "POST", "/", 400,
	    "{\"__type\":\"Throttling"
	    "Exception\",\"message\":\"slow down\"}");
	f->cl.policy.throttle_base_ms = 1;
	aws_call_init(&c, &f->cl, "DescribeTable");
	assert_int_equal(buf_adds(&c.req, "{}"), 0);
	c.give_up_ms = 300;
	f->cl.policy.notice_ms = 50;
	assert_int_equal(aws_call_sync(&c), AWS_THROTTLED);
	/* Throttling in a bounded (preflight) call is said too. */
	assert_non_null(strstr(logged, "still retrying: ThrottlingException"));
	assert_true(clock_ms() - t0 >= 300);
	assert_true(fakehttp_count(f->fk) >= 2);
	aws_call_cleanup(&c);
}

/* SIGINT/SIGTERM: a synchronous call gives up at once. */
static void
test_aws_sync_interrupted(void **state)
{
	struct fx *f = *state;
	static volatile sig_atomic_t stop = 1;
	struct aws_call c;

	fakehttp_add_full(f->fk, "POST", "/", 200, NULL, "{}", 5000);
	http_set_interrupt(&stop);
	assert_int_equal(call(f, &c, "DescribeTable"), AWS_STOPPED);
	assert_string_equal(c.code, "Stopped");
	aws_call_cleanup(&c);
	http_set_interrupt(NULL);
}

/* A call failing for notice_ms says so, why and since when; when it
 * succeeds, the recovery is said too. */
static void
test_aws_retry_notice(void **state)
{
	struct fx *f = *state;
	struct aws_call c;

	fakehttp_add_full(f->fk, "POST", "/", 503, NULL,
	    "{\"__type\":"
	    "\"ServiceUnavailable\",\"message\":\"try later\"}",
	    30);
	fakehttp_add_full(f->fk, "POST", "/", 503, NULL,
	    "{\"__type\":"
	    "\"ServiceUnavailable\",\"message\":\"try later\"}",
	    30);
	fakehttp_add(f->fk, "POST", "/", 200, "{}");
	f->cl.policy.notice_ms = 20;
	assert_int_equal(call(f, &c, "DescribeTable"), AWS_OK);
	aws_call_cleanup(&c);
	assert_non_null(strstr(logged,
	    "source DescribeTable at http://"
	    "127.0.0.1:"));
	assert_non_null(strstr(logged,
	    "still retrying: ServiceUnavailable: "
	    "try later"));
	assert_non_null(strstr(logged, "recovered after"));
	assert_int_equal(f->cl.noticed, 0);

	/* An episode that ends in an error clears the row too. */
	logged[0] = '\0';
	fakehttp_reset(f->fk);
	fakehttp_add_full(f->fk, "POST", "/", 503, NULL,
	    "{\"__type\":"
	    "\"ServiceUnavailable\",\"message\":\"try later\"}",
	    30);
	fakehttp_add(f->fk, "POST", "/", 400,
	    "{\"__type\":\"Validation"
	    "Exception\",\"message\":\"no such thing\"}");
	assert_int_equal(call(f, &c, "DescribeTable"), AWS_FATAL);
	aws_call_cleanup(&c);
	assert_non_null(strstr(logged, "still retrying: ServiceUnavailable"));
	assert_non_null(strstr(logged, "no longer retrying after"));
	assert_non_null(strstr(logged, "ValidationException: no such thing"));
	assert_int_equal(f->cl.noticed, 0);

	/* Quick failures say nothing. */
	logged[0] = '\0';
	fakehttp_reset(f->fk);
	fakehttp_add(f->fk, "POST", "/", 503, "{}");
	fakehttp_add(f->fk, "POST", "/", 200, "{}");
	f->cl.policy.notice_ms = 60000;
	assert_int_equal(call(f, &c, "DescribeTable"), AWS_OK);
	aws_call_cleanup(&c);
	assert_string_equal(logged, "");
}

/* An endpoint that refuses connections is a transient network error. */
static void
test_aws_unreachable(void **state)
{
	struct fx *f = *state;
	struct aws_client cl;
	struct aws_call c;
	char err[256];

	assert_int_equal(aws_client_init(&cl, f->http, ENDPOINT_DYNAMODB,
			     "us-east-1", "http://127.0.0.1:1", f->creds, NULL,
			     err, sizeof(err)),
	    0);
	cl.policy.max_attempts = 1;
	aws_call_init(&c, &cl, "DescribeTable");
	assert_int_equal(buf_adds(&c.req, "{}"), 0);
	assert_int_equal(aws_call_sync(&c), AWS_TRANSIENT);
	assert_string_equal(c.code, "NetworkError");
	assert_true(c.msg[0] != '\0');
	aws_call_cleanup(&c);
	aws_client_clear(&cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_response_cap),
		cmocka_unit_test_setup_teardown(test_aws_error_text_printable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_response_over_cap,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_give_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aws_sync_interrupted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_retry_notice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aws_unreachable, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

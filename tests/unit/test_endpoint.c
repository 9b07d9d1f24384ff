/* test_endpoint.c: endpoint resolution and URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint.h"

static const char *envs[] = {
	"AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_DYNAMODB",
	"AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
	"AWS_ENDPOINT_URL_STS",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

static int
clean_env(void **state)
{
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++)
		unsetenv(envs[i]);
	return 0;
}

static void
check(enum endpoint_service svc, const char *region, const char *ovr,
    const char *want)
{
	char *got = endpoint_resolve(svc, region, ovr);

	assert_string_equal(got, want);
	free(got);
}

static void
test_endpoint_regional_defaults(void **state)
{
	check(ENDPOINT_DYNAMODB, "us-west-2", NULL,
	    "https://dynamodb.us-west-2.amazonaws.com");
	check(ENDPOINT_STREAMS, "eu-central-1", NULL,
	    "https://streams.dynamodb.eu-central-1.amazonaws.com");
	check(ENDPOINT_STS, "ap-south-1", NULL,
	    "https://sts.ap-south-1.amazonaws.com");
	check(ENDPOINT_DYNAMODB, "cn-north-1", NULL,
	    "https://dynamodb.cn-north-1.amazonaws.com.cn");
	assert_string_equal(endpoint_signing_name(ENDPOINT_STREAMS),
	    "dynamodb");
	assert_string_equal(endpoint_signing_name(ENDPOINT_STS), "sts");
}

static void
test_endpoint_env_precedence(void **state)
{
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/", 1);
	check(ENDPOINT_DYNAMODB, "us-east-1", NULL, "http://127.0.0.1:1");
	check(ENDPOINT_STS, "us-east-1", NULL, "http://127.0.0.1:1");
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2", 1);
	setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "http://127.0.0.1:3", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4", 1);
	check(ENDPOINT_DYNAMODB, "us-east-1", NULL, "http://127.0.0.1:2");
	check(ENDPOINT_STREAMS, "us-east-1", NULL, "http://127.0.0.1:3");
	check(ENDPOINT_STS, "us-east-1", NULL, "http://127.0.0.1:4");
	/* The plan's own override wins over the environment. */
	check(ENDPOINT_DYNAMODB, "us-east-1", "http://localhost:9",
	    "http://localhost:9");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	check(ENDPOINT_DYNAMODB, "us-east-1", NULL,
	    "https://dynamodb.us-east-1.amazonaws.com");
	clean_env(state);
}

static void
test_endpoint_parse(void **state)
{
	struct endpoint_url eu;

	assert_int_equal(endpoint_parse("http://127.0.0.1:8000", &eu), 0);
	assert_string_equal(eu.scheme, "http");
	assert_string_equal(eu.host, "127.0.0.1");
	assert_int_equal(eu.port, 8000);
	assert_string_equal(eu.hosthdr, "127.0.0.1:8000");
	assert_string_equal(eu.path, "/");

	assert_int_equal(
	    endpoint_parse("https://DynamoDB.us-east-1.amazonaws.com", &eu), 0);
	assert_string_equal(eu.host, "dynamodb.us-east-1.amazonaws.com");
	assert_int_equal(eu.port, 443);
	/* Default port: curl sends the bare host, so that is signed. */
	assert_string_equal(eu.hosthdr, "dynamodb.us-east-1.amazonaws.com");

	assert_int_equal(endpoint_parse("https://h:443/x", &eu), 0);
	assert_string_equal(eu.hosthdr, "h");
	assert_string_equal(eu.path, "/x");
	assert_int_equal(endpoint_parse("http://[::1]:8000", &eu), 0);
	assert_string_equal(eu.hosthdr, "[::1]:8000");

	assert_int_equal(endpoint_parse("ftp://h", &eu), -1);
	assert_int_equal(endpoint_parse("http://", &eu), -1);
	assert_int_equal(endpoint_parse("http://h:0", &eu), -1);
	assert_int_equal(endpoint_parse("http://h:70000", &eu), -1);
	assert_int_equal(endpoint_parse("http://h:12x", &eu), -1);
	assert_int_equal(endpoint_parse("http://user:pw@h", &eu), -1);
	assert_int_equal(endpoint_parse("h:80", &eu), -1);
}

static int
secure(const char *url, int allow)
{
	struct endpoint_url eu;
	char err[512];

	assert_int_equal(endpoint_parse(url, &eu), 0);
	err[0] = '\0';
	if (endpoint_check_secure(&eu, url, "source DynamoDB", allow, err,
		sizeof(err)) == 0)
		return 1;
	/* The refusal names the endpoint and the way out. */
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, "allow_insecure_http"));
	return 0;
}

static void
test_endpoint_plain_http(void **state)
{
	(void)state;
	/* Loopback and https are always fine. */
	assert_true(secure("http://localhost:8000", 0));
	assert_true(secure("http://127.0.0.1:8000", 0));
	assert_true(secure("http://127.1.2.3", 0));
	assert_true(secure("http://[::1]:8000", 0));
	assert_true(secure("http://[0:0:0:0:0:0:0:1]:8000", 0));
	assert_true(secure("https://dynamodb.us-east-1.amazonaws.com", 0));
	assert_true(secure("https://10.0.0.5:8443", 0));
	/* Anything else over plain http only when allowed. */
	assert_false(secure("http://10.0.0.5:8000", 0));
	assert_false(secure("http://dynamodb.us-east-1.amazonaws.com", 0));
	assert_false(secure("http://127.0.0.1.nip.io", 0));
	assert_false(secure("http://localhost.example.com", 0));
	assert_false(secure("http://128.0.0.1", 0));
	assert_false(secure("http://[::2]", 0));
	assert_false(secure("http://[::ffff:127.0.0.1]", 0));
	assert_true(secure("http://10.0.0.5:8000", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_endpoint_regional_defaults,
		    clean_env),
		cmocka_unit_test_setup(test_endpoint_env_precedence, clean_env),
		cmocka_unit_test(test_endpoint_parse),
		cmocka_unit_test(test_endpoint_plain_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_retry.c: error classification, code sanitising and backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include "retry.h"

static void
test_retry_classify_codes(void **state)
{
	static const struct {
		long http;
		const char *code;
		enum aws_status want;
	} cases[] = {
		{ 200, "", AWS_OK },
		{ 400, "ProvisionedThroughputExceededException",
		    AWS_THROTTLED },
		{ 400, "ThrottlingException", AWS_THROTTLED },
		{ 400, "RequestLimitExceeded", AWS_THROTTLED },
		{ 400, "LimitExceededException", AWS_THROTTLED },
		{ 400, "Throttling", AWS_THROTTLED },
		{ 500, "InternalServerError", AWS_TRANSIENT },
		{ 503, "ServiceUnavailable", AWS_TRANSIENT },
		{ 502, "HTTP502", AWS_TRANSIENT },
		{ 504, "", AWS_TRANSIENT },
		{ 400, "RequestTimeoutException", AWS_TRANSIENT },
		{ 400, "ExpiredTokenException", AWS_EXPIRED_CREDS },
		{ 403, "ExpiredToken", AWS_EXPIRED_CREDS },
		{ 400, "AccessDeniedException", AWS_DENIED },
		{ 400, "UnrecognizedClientException", AWS_DENIED },
		{ 403, "InvalidSignatureException", AWS_DENIED },
		{ 403, "HTTP403", AWS_DENIED },
		{ 400, "ResourceNotFoundException", AWS_NOT_FOUND },
		{ 400, "ValidationException", AWS_FATAL },
		{ 400, "SerializationException", AWS_FATAL },
		{ 400, "ItemCollectionSizeLimitExceededException", AWS_FATAL },
		{ 400, "ExpiredIteratorException", AWS_STATE },
		{ 400, "TrimmedDataAccessException", AWS_STATE },
		{ 429, "HTTP429", AWS_THROTTLED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum aws_status got = retry_classify(cases[i].http, 0, 0,
		    cases[i].code);

		if (got != cases[i].want)
			fail_msg("%ld %s: got %s, want %s", cases[i].http,
			    cases[i].code, aws_status_name(got),
			    aws_status_name(cases[i].want));
	}
}

static void
test_retry_classify_transport_and_crc(void **state)
{
	/* A network failure or a corrupted body is retried whatever else. */
	assert_int_equal(retry_classify(0, 1, 0, ""), AWS_TRANSIENT);
	assert_int_equal(retry_classify(200, 0, 1, ""), AWS_TRANSIENT);
	assert_int_equal(retry_classify(400, 1, 0, "ValidationException"),
	    AWS_TRANSIENT);
}

static void
test_retry_classify_tls(void **state)
{
	(void)state;
	/* An untrusted certificate is not an outage: fail at once. */
	assert_int_equal(retry_classify_transport(
			     CURLE_PEER_FAILED_VERIFICATION),
	    AWS_FATAL);
	assert_int_equal(retry_classify_transport(CURLE_SSL_CACERT), AWS_FATAL);
	assert_int_equal(retry_classify_transport(CURLE_SSL_ISSUER_ERROR),
	    AWS_FATAL);
	assert_int_equal(retry_classify_transport(CURLE_SSL_CACERT_BADFILE),
	    AWS_FATAL);
	assert_true(retry_tls_untrusted(CURLE_PEER_FAILED_VERIFICATION));
	assert_false(retry_tls_untrusted(CURLE_SSL_CACERT_BADFILE));
	/* Outages heal: refused, DNS, timeouts, resets, a cut handshake. */
	assert_int_equal(retry_classify_transport(CURLE_COULDNT_CONNECT),
	    AWS_TRANSIENT);
	assert_int_equal(retry_classify_transport(CURLE_COULDNT_RESOLVE_HOST),
	    AWS_TRANSIENT);
	assert_int_equal(retry_classify_transport(CURLE_OPERATION_TIMEDOUT),
	    AWS_TRANSIENT);
	assert_int_equal(retry_classify_transport(CURLE_RECV_ERROR),
	    AWS_TRANSIENT);
	assert_int_equal(retry_classify_transport(CURLE_SSL_CONNECT_ERROR),
	    AWS_TRANSIENT);
	assert_int_equal(retry_classify_transport(CURLE_WRITE_ERROR),
	    AWS_TRANSIENT);
	assert_string_equal(aws_status_name(AWS_STOPPED), "stopped");
	/* The hint follows OpenSSL's verify result. */
	assert_non_null(strstr(retry_tls_hint(X509_V_ERR_CERT_HAS_EXPIRED),
	    "validity period"));
	assert_non_null(
	    strstr(retry_tls_hint(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
		"AWS_CA_BUNDLE"));
	assert_non_null(strstr(retry_tls_hint(X509_V_OK), "host name"));
	assert_non_null(
	    strstr(retry_tls_hint(X509_V_ERR_UNSPECIFIED), "host name"));
}

static void
test_retry_sanitize_code(void **state)
{
	char out[64];
	const char *in;

	in = "com.amazon.coral.service#ExpiredTokenException";
	retry_sanitize_code(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, "ExpiredTokenException");
	in = "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException";
	retry_sanitize_code(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, "ResourceNotFoundException");
	in = "ValidationException:http://internal.amazon.com/coral/";
	retry_sanitize_code(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, "ValidationException");
	in = "Plain";
	retry_sanitize_code(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, "Plain");
	/* Truncation keeps the output NUL-terminated. */
	in = "com.x#AVeryLongErrorCodeName";
	retry_sanitize_code(in, strlen(in), out, 6);
	assert_string_equal(out, "AVery");
}

static void
test_retry_backoff_full_jitter_capped(void **state)
{
	/* r scales the whole ceiling: full jitter. */
	assert_int_equal(retry_backoff_ms(1, 25, 20000, 0.0), 0);
	assert_int_equal(retry_backoff_ms(1, 25, 20000, 0.5), 12);
	assert_int_equal(retry_backoff_ms(2, 25, 20000, 0.5), 25);
	assert_int_equal(retry_backoff_ms(3, 25, 20000, 0.5), 50);
	assert_int_equal(retry_backoff_ms(5, 500, 20000, 0.5), 4000);
	/* The ceiling never passes the cap, however many attempts. */
	for (unsigned a = 1; a < 200; a++) {
		uint64_t d = retry_backoff_ms(a, 25, 20000, 0.999999);

		assert_true(d < 20000);
		if (a >= 12)
			assert_true(d >= 19900);
	}
	/* Out-of-range r is clamped, attempt 0 treated as 1. */
	assert_true(retry_backoff_ms(1, 100, 20000, 7.0) < 100);
	assert_int_equal(retry_backoff_ms(0, 100, 20000, 0.5), 50);
}

static void
test_retry_random_range(void **state)
{
	double lo = 1, hi = 0;

	for (int i = 0; i < 10000; i++) {
		double r = retry_random();

		assert_true(r >= 0 && r < 1);
		if (r < lo)
			lo = r;
		if (r > hi)
			hi = r;
	}
	/* Spread over the range, not stuck. */
	assert_true(lo < 0.01 && hi > 0.99);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_classify_codes),
		cmocka_unit_test(test_retry_classify_transport_and_crc),
		cmocka_unit_test(test_retry_classify_tls),
		cmocka_unit_test(test_retry_sanitize_code),
		cmocka_unit_test(test_retry_backoff_full_jitter_capped),
		cmocka_unit_test(test_retry_random_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

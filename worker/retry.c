/* retry.c: which AWS errors to retry, and how long to wait. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include "compat.h"
#include "retry.h"

const char *
aws_status_name(enum aws_status s)
{
	switch (s) {
	case AWS_OK:
		return "ok";
	case AWS_TRANSIENT:
		return "transient";
	case AWS_THROTTLED:
		return "throttled";
	case AWS_EXPIRED_CREDS:
		return "expired-credentials";
	case AWS_DENIED:
		return "denied";
	case AWS_NOT_FOUND:
		return "not-found";
	case AWS_FATAL:
		return "fatal";
	case AWS_STATE:
		return "state";
	case AWS_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static int
in_list(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

static const char *const throttle_codes[] = {
	"ProvisionedThroughputExceededException", "ThrottlingException",
	"Throttling", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown", "TransactionInProgressException", "EC2ThrottledException",
	NULL
};

static const char *const transient_codes[] = { "RequestTimeout",
	"RequestTimeoutException", "PriorRequestNotComplete",
	"InternalServerError", "InternalFailure", "ServiceUnavailable",
	"ReplicatedWriteConflictException", "IDPCommunicationError",
	"CRC32CheckFailed", NULL };

static const char *const expired_codes[] = { "ExpiredTokenException",
	"ExpiredToken", "RequestExpired", NULL };

static const char *const denied_codes[] = { "AccessDeniedException",
	"AccessDenied", "UnrecognizedClientException", "InvalidClientTokenId",
	"InvalidSignatureException", "SignatureDoesNotMatch",
	"IncompleteSignatureException", "MissingAuthenticationTokenException",
	"MissingAuthenticationToken", NULL };

static const char *const state_codes[] = { "ExpiredIteratorException",
	"TrimmedDataAccessException", NULL };

enum aws_status
retry_classify(long http_status, int transport_err, int crc_bad,
    const char *code)
{
	if (transport_err || crc_bad)
		return AWS_TRANSIENT;
	if (code == NULL)
		code = "";
	if (http_status >= 200 && http_status < 300 && *code == '\0')
		return AWS_OK;
	if (in_list(code, throttle_codes))
		return AWS_THROTTLED;
	if (in_list(code, expired_codes))
		return AWS_EXPIRED_CREDS;
	if (in_list(code, state_codes))
		return AWS_STATE;
	if (in_list(code, transient_codes))
		return AWS_TRANSIENT;
	if (in_list(code, denied_codes))
		return AWS_DENIED;
	if (strcmp(code, "ResourceNotFoundException") == 0)
		return AWS_NOT_FOUND;
	if (http_status == 429)
		return AWS_THROTTLED;
	if (http_status >= 500 || http_status == 408)
		return AWS_TRANSIENT;
	if (http_status == 403 || http_status == 401)
		return AWS_DENIED;
	return AWS_FATAL;
}

int
retry_tls_untrusted(int curl_code)
{
	switch (curl_code) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return 1;
	default:
		return 0;
	}
}

const char *
retry_tls_hint(long verify_result)
{
	switch (verify_result) {
	case X509_V_OK:
	case X509_V_ERR_UNSPECIFIED: /* what curl 7.88 leaves after its
					   own host name check failed */
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "the certificate is for another host name: check the "
		       "endpoint URL";
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "the certificate is outside its validity period, or "
		       "this host's clock is wrong";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "its CA is not trusted here: if the endpoint uses a "
		       "private CA, name its PEM file in AWS_CA_BUNDLE";
	default:
		return "see the TLS library's reason";
	}
}

enum aws_status
retry_classify_transport(int curl_code)
{
	if (retry_tls_untrusted(curl_code))
		return AWS_FATAL;
	switch (curl_code) {
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return AWS_FATAL;
	default:
		return AWS_TRANSIENT;
	}
}

void
retry_sanitize_code(const char *in, size_t len, char *out, size_t outlen)
{
	const char *colon, *hash;
	size_t n;

	colon = memchr(in, ':', len);
	if (colon != NULL)
		len = (size_t)(colon - in);
	hash = memchr(in, '#', len);
	if (hash != NULL) {
		len -= (size_t)(hash + 1 - in);
		in = hash + 1;
	}
	if (outlen == 0)
		return;
	n = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

uint64_t
retry_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms, double r)
{
	uint64_t ceiling = base_ms;

	if (attempt == 0)
		attempt = 1;
	for (unsigned i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	if (r < 0)
		r = 0;
	if (r >= 1)
		r = 0.999999;
	return (uint64_t)(r * (double)ceiling);
}

double
retry_random(void)
{
	static int seeded;

	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		srandom((unsigned)(ts.tv_nsec ^ getpid()));
		seeded = 1;
	}
	return (double)random() / ((double)RAND_MAX + 1.0);
}

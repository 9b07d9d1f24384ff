/* retry.h: AWS error classification and backoff (pure functions). */
#ifndef RETRY_H
#define RETRY_H

#include <stddef.h>
#include <stdint.h>

enum aws_status {
	AWS_OK = 0,
	AWS_TRANSIENT,	   /* 5xx, network, bad CRC: retry */
	AWS_THROTTLED,	   /* throttling codes: retry, slower */
	AWS_EXPIRED_CREDS, /* refresh credentials, retry once */
	AWS_DENIED,	   /* access denied / bad credentials: fatal */
	AWS_NOT_FOUND,	   /* ResourceNotFoundException: fatal here */
	AWS_FATAL,	   /* validation, serialization, ...: fatal */
	AWS_STATE,	   /* stream iterator expired / data trimmed */
	AWS_STOPPED,	   /* abandoned: the worker is stopping */
};

const char *aws_status_name(enum aws_status);

/*
 * Classify a finished HTTP exchange. transport_err: curl failed (no HTTP
 * answer); crc_bad: x-amz-crc32 mismatch; code: sanitised error code or "".
 */
enum aws_status retry_classify(long http_status, int transport_err, int crc_bad,
    const char *code);

/*
 * Classify a transport failure (curl_code: a CURLcode other than CURLE_OK).
 * What retrying cannot cure is AWS_FATAL: a certificate that failed
 * verification (unknown CA, wrong host name, expired; CURLE_PEER_FAILED_
 * VERIFICATION, CURLE_SSL_ISSUER_ERROR, ...), a CA file that cannot be
 * read (CURLE_SSL_CACERT_BADFILE), a URL curl cannot use. Everything else
 * (refused, DNS failure, timeout, reset, TLS handshake cut short) is
 * AWS_TRANSIENT.
 */
enum aws_status retry_classify_transport(int curl_code);

/* 1 if curl_code says the server's certificate was not trusted. */
int retry_tls_untrusted(int curl_code);

/*
 * What an operator can do about an untrusted certificate, from OpenSSL's
 * verify result (CURLINFO_SSL_VERIFYRESULT; 0 or X509_V_ERR_UNSPECIFIED
 * when the chain was fine but the name was not, which curl checks itself).
 */
const char *retry_tls_hint(long verify_result);

/*
 * "com.amazon.coral.service#ExpiredTokenException:http://..." ->
 * "ExpiredTokenException": cut at the first ':', keep what follows '#'.
 */
void retry_sanitize_code(const char *in, size_t len, char *out, size_t outlen);

/*
 * Full-jitter exponential backoff: r * min(cap, base * 2^(attempt-1)),
 * attempt being the 1-based number of the attempt that just failed, r in
 * [0, 1). Returns milliseconds.
 */
uint64_t retry_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
    double r);

/* A uniform random double in [0, 1) (not for secrets). */
double retry_random(void);

#endif

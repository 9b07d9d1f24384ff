/* sigv4.h: AWS Signature Version 4 (header and presigned forms), OpenSSL. */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* Limits on what the signer accepts; larger inputs fail with -1. */
#define SIGV4_MAX_HEADERS   64
#define SIGV4_MAX_SECRET    256
#define SIGV4_MAX_CANONICAL (1024 * 1024) /* canonical request bytes */
#define SIGV4_MAX_EXPIRES   604800	  /* presign: 7 days, AWS's cap */

struct sigv4_header {
	const char *name;  /* any case; canonicalised by the signer */
	const char *value; /* raw; trimmed and space-squeezed when signed */
};

struct sigv4_request {
	const char *method; /* "POST" */
	const char *path;   /* as sent, e.g. "/" (not yet encoded) */
	/* Raw query without '?', or NULL. Keys and values may be raw or
	 * percent-encoded: %XX escapes are decoded before re-encoding, so
	 * both spellings sign the same. */
	const char *query;
	/* Every header to sign, including host, x-amz-date and, with
	 * temporary credentials, x-amz-security-token. Duplicate names are
	 * joined with ',' in the given order. Folded values (a line break
	 * followed by white space) count as one value. */
	const struct sigv4_header *headers;
	size_t nheaders;
	const void *body; /* may be NULL when bodylen is 0 */
	size_t bodylen;
	int normalize_path; /* 1 except for S3-style signing */
};

struct sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	/* NULL if none. sigv4_sign ignores it (the caller puts it in the
	 * headers); sigv4_presign signs it as X-Amz-Security-Token. */
	const char *session_token;
};

/* Intermediate results, for tests and debugging (never logged: safe, but
 * noisy). Any pointer may be NULL; buffers are reset, then filled. */
struct sigv4_debug {
	struct buf *canonical_request;
	struct buf *string_to_sign;
	char signature[65];
};

/* "YYYYMMDDTHHMMSSZ" for t (UTC); "" if t is outside years 1000-9999. */
void sigv4_amz_date(time_t t, char out[17]);

/*
 * Sign req for region/service at amz_date ("20150830T123600Z") and write the
 * Authorization header value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=
 * ..., Signature=...") into authz (NUL-terminated). Returns 0, or -1 if a
 * buffer is too small or an input is malformed (authz is then "").
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *creds,
    const char *region, const char *service, const char *amz_date, char *authz,
    size_t authzlen, struct sigv4_debug *dbg);

/*
 * Presign req (query-string form) valid for expires seconds (1 to
 * SIGV4_MAX_EXPIRES). req->headers are the headers to sign (at least host;
 * not x-amz-date, which travels in the query). Appends to query the
 * parameters to add after req->query (joined with '&'):
 * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders,
 * X-Amz-Expires, X-Amz-Security-Token (if creds has one) and
 * X-Amz-Signature, all percent-encoded. The payload hash is that of the
 * body. Returns 0, or -1 (query is then left as it was).
 */
int sigv4_presign(const struct sigv4_request *req,
    const struct sigv4_creds *creds, const char *region, const char *service,
    const char *amz_date, unsigned int expires, struct buf *query,
    struct sigv4_debug *dbg);

/* Pieces, exposed for unit tests. All return 0, or -1 on malformed input,
 * a full buffer or an OpenSSL failure. */
/* Appends the canonical request to out and the signed-headers list
 * ("host;x-amz-date") to signed_headers (may be NULL). */
int sigv4_canonical_request(const struct sigv4_request *, struct buf *out,
    struct buf *signed_headers);
/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date8), region), service),
 * "aws4_request"). */
int sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char key[32]);
int sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* RFC 3986 encoding as SigV4 wants it (keep A-Za-z0-9-_.~; %XX upper).
 * '/' is kept unless encode_slash. Appends to out. */
int sigv4_uri_encode(struct buf *out, const char *s, size_t len,
    int encode_slash);

#endif

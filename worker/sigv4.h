/* sigv4.h: AWS Signature Version 4 (header form), OpenSSL based. */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

struct sigv4_header {
	const char *name;	/* any case; canonicalised by the signer */
	const char *value;	/* raw; trimmed and space-squeezed when signed */
};

struct sigv4_request {
	const char *method;		/* "POST" */
	const char *path;		/* as sent, e.g. "/" (not yet encoded) */
	const char *query;		/* raw query without '?', or NULL */
	/* Every header to sign, including host, x-amz-date and, with
	 * temporary credentials, x-amz-security-token. Duplicate names are
	 * joined with ',' in the given order. */
	const struct sigv4_header *headers;
	size_t	 nheaders;
	const void *body;
	size_t	 bodylen;
	int	 normalize_path;	/* 1 except for S3-style signing */
};

struct sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL if none (not used here: the
					 * caller puts it in the headers) */
};

/* Intermediate results, for tests and debugging (never logged: safe, but
 * noisy). Any pointer may be NULL. */
struct sigv4_debug {
	struct buf *canonical_request;
	struct buf *string_to_sign;
	char	    signature[65];
};

/* "YYYYMMDDTHHMMSSZ" for t (UTC). */
void	sigv4_amz_date(time_t t, char out[17]);

/*
 * Sign req for region/service at amz_date ("20150830T123600Z") and write the
 * Authorization header value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=
 * ..., Signature=...") into authz (NUL-terminated). Returns 0, or -1 if a
 * buffer is too small or an input is malformed.
 */
int	sigv4_sign(const struct sigv4_request *req,
	    const struct sigv4_creds *creds, const char *region,
	    const char *service, const char *amz_date, char *authz,
	    size_t authzlen, struct sigv4_debug *dbg);

/* Pieces, exposed for unit tests. */
int	sigv4_canonical_request(const struct sigv4_request *, struct buf *out,
	    struct buf *signed_headers);
void	sigv4_signing_key(const char *secret, const char *date8,
	    const char *region, const char *service, unsigned char key[32]);
void	sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* RFC 3986 encoding as SigV4 wants it (keep A-Za-z0-9-_.~; %XX upper). */
int	sigv4_uri_encode(struct buf *out, const char *s, size_t len,
	    int encode_slash);

#endif

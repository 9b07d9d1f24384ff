/* sigv4.c: AWS Signature Version 4, header and presigned-URL forms. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "sigv4.h"
#include "xmalloc.h"

#define SIGV4_ALGORITHM	 "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
/* Access key ids are at most 128 characters; regions and services far less. */
#define SIGV4_MAX_SCOPE_PART 128
#define SIGV4_SCOPE_LEN	     (8 + 3 * (1 + SIGV4_MAX_SCOPE_PART) + 1)

/* One query parameter, percent-encoded and NUL-terminated. */
struct sigv4_qparam {
	const char *key;
	const char *value;
};

/* One header, name lower-cased; idx keeps arrival order among duplicates. */
struct sigv4_hent {
	const char *name;
	const char *value;
	size_t idx;
};

static int
sigv4_unreserved(unsigned char c)
{
	/* Spelled out rather than isalnum() so the locale cannot matter. */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

/* RFC 9110 token characters: what a header name or method may hold. */
static int
sigv4_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
sigv4_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
sigv4_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
sigv4_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
sigv4_hmac(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[32])
{
	unsigned int olen = 0;

	if (keylen > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &olen) ==
		NULL ||
	    olen != 32)
		return -1;
	return 0;
}

void
sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	out[0] = '\0';
	/* Outside 1000-9999 the format would not be 16 characters. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 1000 - 1900 ||
	    tm.tm_year > 9999 - 1900)
		return;
	if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		out[0] = '\0';
}

int
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (data == NULL) {
		if (len > 0)
			return -1;
		data = "";
	}
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	sigv4_hex(md, 32, out);
	return 0;
}

int
sigv4_uri_encode(struct buf *out, const char *s, size_t len, int encode_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	char esc[3];
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (sigv4_unreserved(c) || (c == '/' && !encode_slash)) {
			if (buf_addc(out, (char)c) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = digits[c >> 4];
		esc[2] = digits[c & 0x0f];
		if (buf_add(out, esc, sizeof(esc)) == -1)
			return -1;
	}
	return 0;
}

/* Undo %XX escapes; a '%' not followed by two hex digits stays literal. */
static int
sigv4_uri_decode(struct buf *out, const char *s, size_t len)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && len - i > 2 &&
		    (hi = sigv4_hexval((unsigned char)s[i + 1])) != -1 &&
		    (lo = sigv4_hexval((unsigned char)s[i + 2])) != -1) {
			if (buf_addc(out, (char)(hi << 4 | lo)) == -1)
				return -1;
			i += 2;
			continue;
		}
		if (buf_addc(out, s[i]) == -1)
			return -1;
	}
	return 0;
}

int
sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char key[32])
{
	unsigned char k[4 + SIGV4_MAX_SECRET], a[32], b[32];
	size_t slen;
	int rv = -1;

	if (secret == NULL || date8 == NULL || region == NULL ||
	    service == NULL)
		goto fail;
	slen = strlen(secret);
	if (slen == 0 || slen > SIGV4_MAX_SECRET)
		goto fail;
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, slen);
	if (sigv4_hmac(k, 4 + slen, date8, strlen(date8), a) == -1 ||
	    sigv4_hmac(a, sizeof(a), region, strlen(region), b) == -1 ||
	    sigv4_hmac(b, sizeof(b), service, strlen(service), a) == -1 ||
	    sigv4_hmac(a, sizeof(a), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR),
		key) == -1)
		goto fail;
	rv = 0;
fail:
	/* Every intermediate key is as good as the secret for a day. */
	if (rv == -1)
		OPENSSL_cleanse(key, 32);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return rv;
}

/*
 * Canonical URI. With normalize, RFC 3986 dot segments are removed and empty
 * segments (duplicate slashes) dropped; a trailing slash survives.
 */
static int
sigv4_path_append(struct buf *out, const char *path, int normalize)
{
	const char *seg, *slash;
	size_t start, seglen, i;
	int trailing = 0;

	if (path[0] == '\0')
		return buf_addc(out, '/');
	if (path[0] != '/')
		return -1;
	if (!normalize)
		return sigv4_uri_encode(out, path, strlen(path), 0);

	start = out->len;
	for (seg = path;; seg = slash + 1) {
		slash = strchr(seg, '/');
		seglen = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		trailing = 1;
		if (seglen == 0 || (seglen == 1 && seg[0] == '.')) {
			/* nothing */
		} else if (seglen == 2 && seg[0] == '.' && seg[1] == '.') {
			/* Output is "/seg/seg"; drop the last "/seg". */
			i = out->len;
			while (i > start && out->data[i - 1] != '/')
				i--;
			if (i > start) {
				out->len = i - 1;
				out->data[out->len] = '\0';
			}
		} else {
			trailing = 0;
			if (buf_addc(out, '/') == -1 ||
			    sigv4_uri_encode(out, seg, seglen, 1) == -1)
				return -1;
		}
		if (slash == NULL)
			break;
	}
	if (out->len == start || trailing)
		return buf_addc(out, '/');
	return 0;
}

/* Append one key or value to pool, percent-encoded and NUL-terminated. */
static int
sigv4_qpart_add(struct buf *pool, struct buf *tmp, const char *s, size_t len,
    int decode, size_t *off)
{
	*off = pool->len;
	if (decode) {
		buf_reset(tmp);
		if (sigv4_uri_decode(tmp, s, len) == -1)
			return -1;
		s = tmp->data != NULL ? tmp->data : "";
		len = tmp->len;
	}
	if (sigv4_uri_encode(pool, s, len, 1) == -1 ||
	    buf_addc(pool, '\0') == -1)
		return -1;
	return 0;
}

static int
sigv4_qparam_cmp(const void *a, const void *b)
{
	const struct sigv4_qparam *x = a, *y = b;
	int c;

	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

/*
 * Canonical query: every key and value encoded (after undoing any escapes in
 * the raw query, so "%E1%88%B4" and the raw UTF-8 bytes agree), then sorted
 * by key and value. extra holds raw (unencoded) parameters to add.
 */
static int
sigv4_query_append(struct buf *out, const char *query,
    const struct sigv4_qparam *extra, size_t nextra)
{
	struct buf pool, tmp;
	struct sigv4_qparam *qp = NULL;
	size_t *off = NULL, max, n = 0, i, plen, klen;
	const char *p, *amp, *eq, *v;
	int rv = -1;

	buf_init_secret(&pool, SIGV4_MAX_CANONICAL);
	buf_init_secret(&tmp, SIGV4_MAX_CANONICAL);
	if (query == NULL)
		query = "";
	if (strlen(query) > SIGV4_MAX_CANONICAL)
		goto fail;
	max = nextra + 1;
	for (p = query; *p != '\0'; p++)
		if (*p == '&')
			max++;
	off = xcalloc(max, 2 * sizeof(*off));

	for (p = query; *p != '\0'; p = amp != NULL ? amp + 1 : p + plen) {
		amp = strchr(p, '&');
		plen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (plen == 0)
			continue; /* "a=1&&b=2" */
		eq = memchr(p, '=', plen);
		klen = eq != NULL ? (size_t)(eq - p) : plen;
		v = eq != NULL ? eq + 1 : p + plen;
		if (sigv4_qpart_add(&pool, &tmp, p, klen, 1, &off[2 * n]) ==
			-1 ||
		    sigv4_qpart_add(&pool, &tmp, v, (size_t)(p + plen - v), 1,
			&off[2 * n + 1]) == -1)
			goto fail;
		n++;
	}
	for (i = 0; i < nextra; i++) {
		if (sigv4_qpart_add(&pool, &tmp, extra[i].key,
			strlen(extra[i].key), 0, &off[2 * n]) == -1 ||
		    sigv4_qpart_add(&pool, &tmp, extra[i].value,
			strlen(extra[i].value), 0, &off[2 * n + 1]) == -1)
			goto fail;
		n++;
	}
	if (n == 0) {
		rv = 0;
		goto fail;
	}

	/* The pool no longer moves: offsets can become pointers. */
	qp = xcalloc(n, sizeof(*qp));
	for (i = 0; i < n; i++) {
		qp[i].key = pool.data + off[2 * i];
		qp[i].value = pool.data + off[2 * i + 1];
	}
	qsort(qp, n, sizeof(*qp), sigv4_qparam_cmp);
	for (i = 0; i < n; i++) {
		if ((i > 0 && buf_addc(out, '&') == -1) ||
		    buf_adds(out, qp[i].key) == -1 ||
		    buf_addc(out, '=') == -1 ||
		    buf_adds(out, qp[i].value) == -1)
			goto fail;
	}
	rv = 0;
fail:
	free(qp);
	free(off);
	buf_free(&tmp);
	buf_free(&pool);
	return rv;
}

/*
 * Canonical header value: trimmed, runs of white space squeezed to one space.
 * A line break is accepted only as folding (followed by a space or tab);
 * anything else would let a value smuggle a header past the signer.
 */
static int
sigv4_value_append(struct buf *out, const char *v)
{
	unsigned char c;
	int pending = 0, any = 0;

	for (; *v != '\0'; v++) {
		c = (unsigned char)*v;
		if (c == '\r' && v[1] == '\n')
			continue;
		if ((c == '\r' || c == '\n') && v[1] != ' ' && v[1] != '\t')
			return -1;
		if (sigv4_space(c)) {
			pending = 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if ((pending && any && buf_addc(out, ' ') == -1) ||
		    buf_addc(out, (char)c) == -1)
			return -1;
		pending = 0;
		any = 1;
	}
	return 0;
}

static int
sigv4_hent_cmp(const void *a, const void *b)
{
	const struct sigv4_hent *x = a, *y = b;
	int c;

	/* qsort is not stable; idx keeps duplicates in arrival order. */
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Canonical headers ("name:value\n" each) to out, "a;b;c" to signed_hdrs. */
static int
sigv4_headers_append(struct buf *out, struct buf *signed_hdrs,
    const struct sigv4_header *h, size_t n)
{
	struct buf names;
	struct sigv4_hent *e = NULL;
	size_t *off = NULL, i, j;
	const char *s;
	char c;
	int rv = -1;

	buf_init_secret(&names, SIGV4_MAX_CANONICAL);
	if (h == NULL || n == 0 || n > SIGV4_MAX_HEADERS)
		goto fail;
	off = xcalloc(n, sizeof(*off));
	for (i = 0; i < n; i++) {
		if (h[i].name == NULL || h[i].name[0] == '\0' ||
		    h[i].value == NULL)
			goto fail;
		off[i] = names.len;
		for (s = h[i].name; *s != '\0'; s++) {
			c = *s;
			if (!sigv4_tchar((unsigned char)c))
				goto fail;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (buf_addc(&names, c) == -1)
				goto fail;
		}
		if (buf_addc(&names, '\0') == -1)
			goto fail;
	}
	e = xcalloc(n, sizeof(*e));
	for (i = 0; i < n; i++) {
		e[i].name = names.data + off[i];
		e[i].value = h[i].value;
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), sigv4_hent_cmp);

	for (i = 0; i < n; i = j) {
		if (buf_adds(out, e[i].name) == -1 ||
		    buf_addc(out, ':') == -1 ||
		    (i > 0 && buf_addc(signed_hdrs, ';') == -1) ||
		    buf_adds(signed_hdrs, e[i].name) == -1)
			goto fail;
		for (j = i; j < n && strcmp(e[j].name, e[i].name) == 0; j++) {
			if ((j > i && buf_addc(out, ',') == -1) ||
			    sigv4_value_append(out, e[j].value) == -1)
				goto fail;
		}
		if (buf_addc(out, '\n') == -1)
			goto fail;
	}
	rv = 0;
fail:
	free(e);
	free(off);
	buf_free(&names);
	return rv;
}

static int
sigv4_canon_build(const struct sigv4_request *req,
    const struct sigv4_qparam *extra, size_t nextra, struct buf *out,
    struct buf *signed_hdrs)
{
	struct buf sh;
	char hash[65];
	const char *s;
	int rv = -1;

	buf_init_secret(&sh, SIGV4_MAX_CANONICAL);
	if (req == NULL || req->method == NULL || req->method[0] == '\0' ||
	    req->path == NULL || (req->body == NULL && req->bodylen > 0))
		goto fail;
	for (s = req->method; *s != '\0'; s++)
		if (!sigv4_tchar((unsigned char)*s))
			goto fail;
	if (sigv4_sha256_hex(req->body, req->bodylen, hash) == -1)
		goto fail;
	if (buf_adds(out, req->method) == -1 || buf_addc(out, '\n') == -1 ||
	    sigv4_path_append(out, req->path, req->normalize_path) == -1 ||
	    buf_addc(out, '\n') == -1 ||
	    sigv4_query_append(out, req->query, extra, nextra) == -1 ||
	    buf_addc(out, '\n') == -1 ||
	    sigv4_headers_append(out, &sh, req->headers, req->nheaders) == -1 ||
	    buf_addc(out, '\n') == -1 || buf_add(out, sh.data, sh.len) == -1 ||
	    buf_addc(out, '\n') == -1 || buf_adds(out, hash) == -1)
		goto fail;
	if (signed_hdrs != NULL && buf_add(signed_hdrs, sh.data, sh.len) == -1)
		goto fail;
	rv = 0;
fail:
	buf_free(&sh);
	return rv;
}

int
sigv4_canonical_request(const struct sigv4_request *req, struct buf *out,
    struct buf *signed_headers)
{
	return sigv4_canon_build(req, NULL, 0, out, signed_headers);
}

/* Scope parts end up in the Authorization header; keep them unambiguous. */
static int
sigv4_scope_part_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		if ((unsigned char)s[n] <= ' ' || (unsigned char)s[n] >= 0x7f ||
		    strchr("/,;=", s[n]) != NULL)
			return 0;
	}
	return n > 0 && n <= SIGV4_MAX_SCOPE_PART;
}

static int
sigv4_amz_date_ok(const char *d)
{
	size_t i;

	if (d == NULL || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return 0;
	return 1;
}

/* Validate the signing inputs and write "date8/region/service/aws4_request". */
static int
sigv4_scope(const struct sigv4_creds *creds, const char *region,
    const char *service, const char *amz_date, char *scope, size_t len)
{
	int r;

	if (creds == NULL || !sigv4_scope_part_ok(creds->access_key_id) ||
	    creds->secret_access_key == NULL || !sigv4_scope_part_ok(region) ||
	    !sigv4_scope_part_ok(service) || !sigv4_amz_date_ok(amz_date))
		return -1;
	r = snprintf(scope, len, "%.8s/%s/%s/" SIGV4_TERMINATOR, amz_date,
	    region, service);
	if (r < 0 || (size_t)r >= len)
		return -1;
	return 0;
}

/* String to sign over creq into sts, and the hex signature over that. */
static int
sigv4_signature(const struct sigv4_creds *creds, const char *region,
    const char *service, const char *amz_date, const char *scope,
    const struct buf *creq, struct buf *sts, char sig[65])
{
	unsigned char key[32], mac[32];
	char date8[9], hash[65];
	int rv = -1;

	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	if (sigv4_sha256_hex(creq->data, creq->len, hash) == -1 ||
	    buf_printf(sts, SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date, scope,
		hash) == -1)
		goto fail;
	if (sigv4_signing_key(creds->secret_access_key, date8, region, service,
		key) == -1 ||
	    sigv4_hmac(key, sizeof(key), sts->data, sts->len, mac) == -1)
		goto fail;
	sigv4_hex(mac, sizeof(mac), sig);
	rv = 0;
fail:
	OPENSSL_cleanse(key, sizeof(key));
	return rv;
}

static int
sigv4_debug_fill(struct sigv4_debug *dbg, const struct buf *creq,
    const struct buf *sts, const char *sig)
{
	if (dbg == NULL)
		return 0;
	memcpy(dbg->signature, sig, sizeof(dbg->signature));
	if (dbg->canonical_request != NULL) {
		buf_reset(dbg->canonical_request);
		if (buf_add(dbg->canonical_request, creq->data, creq->len) ==
		    -1)
			return -1;
	}
	if (dbg->string_to_sign != NULL) {
		buf_reset(dbg->string_to_sign);
		if (buf_add(dbg->string_to_sign, sts->data, sts->len) == -1)
			return -1;
	}
	return 0;
}

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *creds,
    const char *region, const char *service, const char *amz_date, char *authz,
    size_t authzlen, struct sigv4_debug *dbg)
{
	struct buf creq, sts, sh;
	char scope[SIGV4_SCOPE_LEN], sig[65];
	int r, rv = -1;

	buf_init_secret(&creq, SIGV4_MAX_CANONICAL);
	buf_init_secret(&sts, SIGV4_MAX_CANONICAL);
	buf_init_secret(&sh, SIGV4_MAX_CANONICAL);
	if (dbg != NULL)
		dbg->signature[0] = '\0';
	if (authz == NULL || authzlen == 0)
		goto fail;
	authz[0] = '\0';
	if (sigv4_scope(creds, region, service, amz_date, scope,
		sizeof(scope)) == -1 ||
	    sigv4_canon_build(req, NULL, 0, &creq, &sh) == -1 ||
	    sigv4_signature(creds, region, service, amz_date, scope, &creq,
		&sts, sig) == -1 ||
	    sigv4_debug_fill(dbg, &creq, &sts, sig) == -1)
		goto fail;
	r = snprintf(authz, authzlen,
	    SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
	    creds->access_key_id, scope, sh.data, sig);
	if (r < 0 || (size_t)r >= authzlen)
		goto fail;
	rv = 0;
fail:
	if (rv == -1 && authz != NULL && authzlen > 0)
		authz[0] = '\0';
	buf_free(&sh);
	buf_free(&sts);
	buf_free(&creq);
	return rv;
}

int
sigv4_presign(const struct sigv4_request *req, const struct sigv4_creds *creds,
    const char *region, const char *service, const char *amz_date,
    unsigned int expires, struct buf *query, struct sigv4_debug *dbg)
{
	struct sigv4_qparam x[6];
	struct buf creq, sts, sh, scratch, cred;
	char scope[SIGV4_SCOPE_LEN], sig[65], exp[16];
	size_t nx = 0, i, len0 = 0;
	int r, rv = -1;

	buf_init_secret(&creq, SIGV4_MAX_CANONICAL);
	buf_init_secret(&sts, SIGV4_MAX_CANONICAL);
	buf_init_secret(&sh, SIGV4_MAX_CANONICAL);
	buf_init_secret(&scratch, SIGV4_MAX_CANONICAL);
	buf_init_secret(&cred, SIGV4_MAX_CANONICAL);
	if (dbg != NULL)
		dbg->signature[0] = '\0';
	if (query == NULL)
		goto fail;
	len0 = query->len;
	if (req == NULL || expires == 0 || expires > SIGV4_MAX_EXPIRES ||
	    sigv4_scope(creds, region, service, amz_date, scope,
		sizeof(scope)) == -1 ||
	    (creds->session_token != NULL && creds->session_token[0] == '\0'))
		goto fail;

	/* The signed-headers list is itself a signed query parameter. */
	if (sigv4_headers_append(&scratch, &sh, req->headers, req->nheaders) ==
		-1 ||
	    buf_printf(&cred, "%s/%s", creds->access_key_id, scope) == -1)
		goto fail;
	r = snprintf(exp, sizeof(exp), "%u", expires);
	if (r < 0 || (size_t)r >= sizeof(exp))
		goto fail;
	x[nx++] = (struct sigv4_qparam){ "X-Amz-Algorithm", SIGV4_ALGORITHM };
	x[nx++] = (struct sigv4_qparam){ "X-Amz-Credential", cred.data };
	x[nx++] = (struct sigv4_qparam){ "X-Amz-Date", amz_date };
	x[nx++] = (struct sigv4_qparam){ "X-Amz-SignedHeaders", sh.data };
	x[nx++] = (struct sigv4_qparam){ "X-Amz-Expires", exp };
	if (creds->session_token != NULL)
		x[nx++] = (struct sigv4_qparam){ "X-Amz-Security-Token",
			creds->session_token };

	if (sigv4_canon_build(req, x, nx, &creq, NULL) == -1 ||
	    sigv4_signature(creds, region, service, amz_date, scope, &creq,
		&sts, sig) == -1 ||
	    sigv4_debug_fill(dbg, &creq, &sts, sig) == -1)
		goto fail;
	for (i = 0; i < nx; i++) {
		if ((i > 0 && buf_addc(query, '&') == -1) ||
		    buf_adds(query, x[i].key) == -1 ||
		    buf_addc(query, '=') == -1 ||
		    sigv4_uri_encode(query, x[i].value, strlen(x[i].value),
			1) == -1)
			goto fail;
	}
	if (buf_printf(query, "&X-Amz-Signature=%s", sig) == -1)
		goto fail;
	rv = 0;
fail:
	if (rv == -1 && query != NULL && query->data != NULL) {
		query->len = len0;
		query->data[len0] = '\0';
	}
	buf_free(&cred);
	buf_free(&scratch);
	buf_free(&sh);
	buf_free(&sts);
	buf_free(&creq);
	return rv;
}

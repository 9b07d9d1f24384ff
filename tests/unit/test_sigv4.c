/* test_sigv4.c: SigV4 against the vendored AWS suites and DynamoDB vectors. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "compat.h"
#include "sigv4.h"

/* Paths are relative to the repository root, where tests run. */
#define DATA_AWS "tests/data/sigv4"
#define DATA_DDB "tests/data/sigv4-dynamodb"

/*
 * What the vendored folders hold (see their READMEs: 38 C header + 38 C query
 * + 34 L = the 110 triples; 4 DynamoDB-shaped cases). Counting protects
 * against a folder or file set silently disappearing.
 */
#define AWS_C_HEADER_CASES 38
#define AWS_C_QUERY_CASES  38
#define AWS_L_CASES	   34
#define DDB_C_HEADER_CASES 4
#define AWS_SUMS_LINES	   553
#define DDB_SUMS_LINES	   28

#define MAX_FILE	(1024 * 1024)
#define MAX_REQ_HEADERS 32
#define MAX_PATH	1024

/* The suite's published example inputs (not secrets). */
#define EX_AKID	   "AKIDEXAMPLE"
#define EX_SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EX_DATE	   "20150830T123600Z"
#define EX_REGION  "us-east-1"
#define EX_SERVICE "service"

/* A parsed request.txt or .req; pointers go into text. */
struct vreq {
	char *text;
	const char *method;
	const char *path;
	const char *query; /* NULL without '?' */
	const char *version;
	struct sigv4_header h[MAX_REQ_HEADERS + 4];
	size_t nh;
	const char *body;
	size_t bodylen;
};

/* A parsed context.json. */
struct vctx {
	cJSON *json;
	const char *akid;
	const char *secret;
	const char *token; /* NULL if none */
	const char *region;
	const char *service;
	char amz_date[17];
	unsigned int expires;
	int normalize;
	int sign_body;
	int omit_token;
};

struct vcount {
	int c_header;
	int c_query;
	int l;
	int failed;
};

static int pathf(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return (r < 0 || (size_t)r >= len) ? -1 : 0;
}

static int
read_file(const char *path, struct buf *b)
{
	char chunk[4096];
	size_t n;
	FILE *f;
	int rv = -1;

	buf_init(b, MAX_FILE);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) == -1)
			goto fail;
	if (ferror(f))
		goto fail;
	/* An empty file still gets a NUL-terminated buffer. */
	if (buf_reserve(b, 0) == -1)
		goto fail;
	b->data[b->len] = '\0';
	rv = 0;
fail:
	fclose(f);
	if (rv == -1)
		buf_free(b);
	return rv;
}

static int
file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/*
 * Request line, "Name:value" lines (split at the first ':'; lines starting
 * with white space continue the previous value, kept verbatim so the signer
 * does the folding), an empty line, the body.
 */
static int
vreq_parse(struct vreq *r, struct buf *raw)
{
	char *t, *end, *eol, *next, *sp1, *sp2, *colon, *q, *p;
	size_t len;

	memset(r, 0, sizeof(*r));
	if ((t = buf_steal(raw, &len)) == NULL)
		return -1;
	r->text = t;
	end = t + len;
	if ((eol = memchr(t, '\n', len)) == NULL)
		eol = end;
	*eol = '\0';
	sp1 = strchr(t, ' ');
	sp2 = strrchr(t, ' ');
	if (sp1 == NULL || sp1 == sp2)
		return -1;
	*sp1 = *sp2 = '\0';
	r->method = t;
	r->version = sp2 + 1;
	r->path = sp1 + 1;
	if ((q = strchr(sp1 + 1, '?')) != NULL) {
		*q = '\0';
		r->query = q + 1;
	}

	for (p = eol < end ? eol + 1 : end; p < end; p = next) {
		if (*p == '\n') {
			r->body = p + 1;
			r->bodylen = (size_t)(end - r->body);
			break;
		}
		if (*p == ' ' || *p == '\t' || r->nh == MAX_REQ_HEADERS)
			return -1;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
			next = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
			eol = next != NULL ? next : end;
		}
		if ((colon = memchr(p, ':', (size_t)(eol - p))) == NULL)
			return -1;
		next = eol < end ? eol + 1 : end;
		*colon = '\0';
		*eol = '\0';
		r->h[r->nh].name = p;
		r->h[r->nh].value = colon + 1;
		r->nh++;
	}
	return 0;
}

static void
vreq_free(struct vreq *r)
{
	free(r->text);
	r->text = NULL;
}

static const char *
vreq_find(const struct vreq *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

static void
vreq_add(struct vreq *r, const char *name, const char *value)
{
	assert_true(r->nh < sizeof(r->h) / sizeof(r->h[0]));
	r->h[r->nh].name = name;
	r->h[r->nh].value = value;
	r->nh++;
}

static const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
vctx_load(struct vctx *c, const char *dir)
{
	struct buf raw;
	const cJSON *cr, *ex;
	const char *ts;
	char path[MAX_PATH];
	struct tm tm;
	char *rest;

	memset(c, 0, sizeof(*c));
	if (pathf(path, sizeof(path), "%s/context.json", dir) == -1 ||
	    read_file(path, &raw) == -1)
		return -1;
	c->json = cJSON_ParseWithLength(raw.data, raw.len);
	buf_free(&raw);
	if (c->json == NULL)
		return -1;
	cr = cJSON_GetObjectItemCaseSensitive(c->json, "credentials");
	c->akid = json_str(cr, "access_key_id");
	c->secret = json_str(cr, "secret_access_key");
	c->token = json_str(cr, "token");
	c->region = json_str(c->json, "region");
	c->service = json_str(c->json, "service");
	c->normalize = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(c->json, "normalize"));
	c->sign_body = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(c->json, "sign_body"));
	c->omit_token = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(c->json, "omit_session_token"));
	ex = cJSON_GetObjectItemCaseSensitive(c->json, "expiration_in_seconds");
	if (cJSON_IsNumber(ex) && ex->valuedouble >= 0 &&
	    ex->valuedouble <= SIGV4_MAX_EXPIRES)
		c->expires = (unsigned int)ex->valuedouble;
	if (c->akid == NULL || c->secret == NULL || c->region == NULL ||
	    c->service == NULL || (ts = json_str(c->json, "timestamp")) == NULL)
		return -1;
	/* Through time_t and back, so sigv4_amz_date is exercised too. */
	memset(&tm, 0, sizeof(tm));
	rest = strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (rest == NULL || *rest != '\0')
		return -1;
	sigv4_amz_date(timegm(&tm), c->amz_date);
	return c->amz_date[0] != '\0' ? 0 : -1;
}

static void
vctx_free(struct vctx *c)
{
	cJSON_Delete(c->json);
	c->json = NULL;
}

/* Record stage as differing unless dir/file holds exactly got. */
static void
check_file(struct buf *fails, const char *dir, const char *file,
    const char *stage, const char *got, size_t gotlen)
{
	struct buf want;
	char path[MAX_PATH];

	if (pathf(path, sizeof(path), "%s/%s", dir, file) == -1 ||
	    read_file(path, &want) == -1) {
		buf_printf(fails, " %s(cannot read %s)", stage, file);
		return;
	}
	if (want.len != gotlen || memcmp(want.data, got, gotlen) != 0)
		buf_printf(fails, " %s", stage);
	buf_free(&want);
}

/* The rest of the line in text that starts with prefix, or NULL. */
static const char *
line_value(const char *text, const char *prefix, size_t *len)
{
	const char *p = text, *e;
	size_t plen = strlen(prefix);

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, prefix, plen) == 0) {
			*len = (e != NULL ? (size_t)(e - p) : strlen(p)) - plen;
			return p + plen;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return NULL;
}

/* Compare got with the value of the prefix line of dir/file. */
static void
check_line(struct buf *fails, const char *dir, const char *file,
    const char *prefix, const char *stage, const char *got)
{
	struct buf want;
	char path[MAX_PATH];
	const char *v;
	size_t vlen = 0;

	if (pathf(path, sizeof(path), "%s/%s", dir, file) == -1 ||
	    read_file(path, &want) == -1) {
		buf_printf(fails, " %s(cannot read %s)", stage, file);
		return;
	}
	v = line_value(want.data, prefix, &vlen);
	if (v == NULL || vlen != strlen(got) || memcmp(v, got, vlen) != 0)
		buf_printf(fails, " %s", stage);
	buf_free(&want);
}

static void
report(struct vcount *n, struct buf *fails, const char *dir, const char *kind)
{
	if (fails->len == 0)
		return;
	print_error("sigv4 vector %s [%s] differs:%s\n", dir, kind,
	    fails->data);
	n->failed++;
}

static int
load_request(const char *dir, const char *file, struct vreq *r)
{
	struct buf raw;
	char path[MAX_PATH];

	if (pathf(path, sizeof(path), "%s/%s", dir, file) == -1 ||
	    read_file(path, &raw) == -1)
		return -1;
	if (vreq_parse(r, &raw) == -1) {
		vreq_free(r);
		buf_free(&raw);
		return -1;
	}
	return 0;
}

static void
c_header_case(const char *dir, struct vctx *c, struct vreq *r, struct vcount *n)
{
	struct buf fails, creq, sts;
	struct sigv4_debug dbg;
	struct sigv4_request sr;
	struct sigv4_creds sc;
	char hash[65], authz[4096], path[MAX_PATH];
	size_t nh0 = r->nh;

	buf_init(&fails, 0);
	buf_init(&creq, 0);
	buf_init(&sts, 0);
	vreq_add(r, "X-Amz-Date", c->amz_date);
	if (c->token != NULL && !c->omit_token)
		vreq_add(r, "X-Amz-Security-Token", c->token);
	if (c->sign_body) {
		assert_int_equal(sigv4_sha256_hex(r->body, r->bodylen, hash),
		    0);
		vreq_add(r, "x-amz-content-sha256", hash);
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = r->method;
	sr.path = r->path;
	sr.query = r->query;
	sr.headers = r->h;
	sr.nheaders = r->nh;
	sr.body = r->body;
	sr.bodylen = r->bodylen;
	sr.normalize_path = c->normalize;
	sc.access_key_id = c->akid;
	sc.secret_access_key = c->secret;
	sc.session_token = c->token;
	dbg.canonical_request = &creq;
	dbg.string_to_sign = &sts;

	if (sigv4_sign(&sr, &sc, c->region, c->service, c->amz_date, authz,
		sizeof(authz), &dbg) == -1) {
		buf_adds(&fails, " sign-failed");
	} else {
		check_file(&fails, dir, "header-canonical-request.txt",
		    "canonical-request", creq.data, creq.len);
		check_file(&fails, dir, "header-string-to-sign.txt",
		    "string-to-sign", sts.data, sts.len);
		check_file(&fails, dir, "header-signature.txt", "signature",
		    dbg.signature, strlen(dbg.signature));
		check_line(&fails, dir, "header-signed-request.txt",
		    "Authorization:", "authorization", authz);
		if (pathf(path, sizeof(path), "%s/authorization.txt", dir) ==
			0 &&
		    file_exists(path))
			check_file(&fails, dir, "authorization.txt",
			    "authorization.txt", authz, strlen(authz));
	}
	n->c_header++;
	report(n, &fails, dir, "C header");
	r->nh = nh0;
	buf_free(&sts);
	buf_free(&creq);
	buf_free(&fails);
}

/* Drop "&X-Amz-Security-Token=..." from a presigned request line. */
static void
strip_token_param(struct buf *b)
{
	char *p, *e;

	if ((p = strstr(b->data, "&X-Amz-Security-Token=")) == NULL)
		return;
	e = strpbrk(p + 1, "& ");
	if (e == NULL)
		e = b->data + b->len;
	memmove(p, e, (size_t)(b->data + b->len - e) + 1);
	b->len -= (size_t)(e - p);
}

static void
c_query_case(const char *dir, struct vctx *c, struct vreq *r, struct vcount *n)
{
	struct buf fails, creq, sts, q, line, want;
	struct sigv4_debug dbg;
	struct sigv4_request sr;
	struct sigv4_creds sc;
	char path[MAX_PATH];
	const char *nl;

	buf_init(&fails, 0);
	buf_init(&creq, 0);
	buf_init(&sts, 0);
	buf_init(&q, 0);
	buf_init(&line, 0);
	memset(&sr, 0, sizeof(sr));
	sr.method = r->method;
	sr.path = r->path;
	sr.query = r->query;
	sr.headers = r->h;
	sr.nheaders = r->nh;
	sr.body = r->body;
	sr.bodylen = r->bodylen;
	sr.normalize_path = c->normalize;
	sc.access_key_id = c->akid;
	sc.secret_access_key = c->secret;
	/* "omit" = the token is added after signing, outside the signature. */
	sc.session_token = c->omit_token ? NULL : c->token;
	dbg.canonical_request = &creq;
	dbg.string_to_sign = &sts;

	if (sigv4_presign(&sr, &sc, c->region, c->service, c->amz_date,
		c->expires, &q, &dbg) == -1) {
		buf_adds(&fails, " presign-failed");
		goto done;
	}
	check_file(&fails, dir, "query-canonical-request.txt",
	    "query-canonical-request", creq.data, creq.len);
	check_file(&fails, dir, "query-string-to-sign.txt",
	    "query-string-to-sign", sts.data, sts.len);
	check_file(&fails, dir, "query-signature.txt", "query-signature",
	    dbg.signature, strlen(dbg.signature));

	/* The request line: the original query, then ours. */
	buf_printf(&line, "%s %s?%s%s%s %s", r->method, r->path,
	    r->query != NULL ? r->query : "",
	    r->query != NULL && r->query[0] != '\0' ? "&" : "", q.data,
	    r->version);
	if (pathf(path, sizeof(path), "%s/query-signed-request.txt", dir) ==
		-1 ||
	    read_file(path, &want) == -1) {
		buf_adds(&fails, " query-request-line(cannot read)");
		goto done;
	}
	if ((nl = strchr(want.data, '\n')) != NULL) {
		want.len = (size_t)(nl - want.data);
		want.data[want.len] = '\0';
	}
	if (c->omit_token)
		strip_token_param(&want);
	if (want.len != line.len || memcmp(want.data, line.data, line.len) != 0)
		buf_adds(&fails, " query-request-line");
	buf_free(&want);
done:
	n->c_query++;
	report(n, &fails, dir, "C query");
	buf_free(&line);
	buf_free(&q);
	buf_free(&sts);
	buf_free(&creq);
	buf_free(&fails);
}

static void
c_case(const char *dir, struct vcount *n)
{
	struct vctx c;
	struct vreq r;
	char path[MAX_PATH];

	memset(&r, 0, sizeof(r));
	if (vctx_load(&c, dir) == -1 ||
	    load_request(dir, "request.txt", &r) == -1) {
		print_error("sigv4 vector %s [C]: cannot load context.json "
			    "or request.txt\n",
		    dir);
		n->failed++;
		goto done;
	}
	c_header_case(dir, &c, &r, n);
	if (pathf(path, sizeof(path), "%s/query-canonical-request.txt", dir) ==
		0 &&
	    file_exists(path))
		c_query_case(dir, &c, &r, n);
done:
	vreq_free(&r);
	vctx_free(&c);
}

static void
l_case(const char *dir, const char *stem, struct vcount *n)
{
	struct buf fails, creq, sts;
	struct sigv4_debug dbg;
	struct sigv4_request sr;
	struct sigv4_creds sc;
	struct vctx c;
	struct vreq r;
	char file[MAX_PATH], path[MAX_PATH], authz[4096];
	const char *date;
	int have_ctx = 0;

	buf_init(&fails, 0);
	buf_init(&creq, 0);
	buf_init(&sts, 0);
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	if (pathf(file, sizeof(file), "%s.req", stem) == -1 ||
	    load_request(dir, file, &r) == -1 ||
	    (date = vreq_find(&r, "X-Amz-Date")) == NULL) {
		buf_adds(&fails, " cannot-load-req");
		goto done;
	}
	/* get-vanilla-with-session-token: the .req lacks the token its
	 * .creq signs; the folder's context.json has it (README). */
	if (pathf(path, sizeof(path), "%s/context.json", dir) == 0 &&
	    file_exists(path)) {
		if (vctx_load(&c, dir) == -1) {
			buf_adds(&fails, " cannot-load-context");
			goto done;
		}
		have_ctx = 1;
	}
	if (have_ctx && c.token != NULL && !c.omit_token &&
	    vreq_find(&r, "X-Amz-Security-Token") == NULL)
		vreq_add(&r, "X-Amz-Security-Token", c.token);

	memset(&sr, 0, sizeof(sr));
	sr.method = r.method;
	sr.path = r.path;
	sr.query = r.query;
	sr.headers = r.h;
	sr.nheaders = r.nh;
	sr.body = r.body;
	sr.bodylen = r.bodylen;
	sr.normalize_path = 1;
	sc.access_key_id = EX_AKID;
	sc.secret_access_key = EX_SECRET;
	sc.session_token = NULL;
	dbg.canonical_request = &creq;
	dbg.string_to_sign = &sts;
	if (sigv4_sign(&sr, &sc, EX_REGION, EX_SERVICE, date, authz,
		sizeof(authz), &dbg) == -1) {
		buf_adds(&fails, " sign-failed");
		goto done;
	}
	if (pathf(file, sizeof(file), "%s.creq", stem) == 0)
		check_file(&fails, dir, file, "creq", creq.data, creq.len);
	if (pathf(file, sizeof(file), "%s.sts", stem) == 0)
		check_file(&fails, dir, file, "sts", sts.data, sts.len);
	if (pathf(file, sizeof(file), "%s.authz", stem) == 0)
		check_file(&fails, dir, file, "authz", authz, strlen(authz));
	/* Upstream's get-vanilla-with-session-token.sreq carries
	 * get-vanilla's signature (5fa00f...) beside the token's
	 * SignedHeaders; its .authz, its .sts and the C set all agree on
	 * 07ec16..., so only that .sreq line is skipped. */
	if (strcmp(stem, "get-vanilla-with-session-token") != 0 &&
	    pathf(file, sizeof(file), "%s.sreq", stem) == 0)
		check_line(&fails, dir, file,
		    "Authorization: ", "sreq-authorization", authz);
done:
	n->l++;
	if (pathf(path, sizeof(path), "L %s", stem) == 0)
		report(n, &fails, dir, path);
	vreq_free(&r);
	vctx_free(&c);
	buf_free(&sts);
	buf_free(&creq);
	buf_free(&fails);
}

static int
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
has_req_suffix(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 4 && strcmp(d->d_name + len - 4, ".req") == 0;
}

/* Run every case folder under base. */
static void
run_dir(const char *base, struct vcount *n)
{
	struct dirent **ents = NULL, **reqs = NULL;
	char dir[MAX_PATH], path[MAX_PATH], stem[MAX_PATH];
	int i, j, ne, nr, found;

	ne = scandir(base, &ents, NULL, alphasort);
	if (ne == -1)
		fail_msg("cannot list %s: %s", base, strerror(errno));
	for (i = 0; i < ne; i++) {
		if (ents[i]->d_name[0] == '.' ||
		    pathf(dir, sizeof(dir), "%s/%s", base, ents[i]->d_name) ==
			-1 ||
		    !is_dir(dir))
			goto next;
		found = 0;
		if (pathf(path, sizeof(path), "%s/context.json", dir) == 0 &&
		    file_exists(path)) {
			c_case(dir, n);
			found = 1;
		}
		nr = scandir(dir, &reqs, has_req_suffix, alphasort);
		for (j = 0; j < nr; j++) {
			if (pathf(stem, sizeof(stem), "%.*s",
				(int)(strlen(reqs[j]->d_name) - 4),
				reqs[j]->d_name) == 0)
				l_case(dir, stem, n);
			found = 1;
			free(reqs[j]);
		}
		free(reqs);
		reqs = NULL;
		if (!found) {
			print_error("sigv4 vector %s: no case files\n", dir);
			n->failed++;
		}
next:
		free(ents[i]);
	}
	free(ents);
}

static void
test_sigv4_aws_suite(void **state)
{
	struct vcount n = { 0, 0, 0, 0 };

	run_dir(DATA_AWS, &n);
	print_message("sigv4: %s: %d C header, %d C query, %d L cases, "
		      "%d failed\n",
	    DATA_AWS, n.c_header, n.c_query, n.l, n.failed);
	assert_int_equal(n.failed, 0);
	assert_int_equal(n.c_header, AWS_C_HEADER_CASES);
	assert_int_equal(n.c_query, AWS_C_QUERY_CASES);
	assert_int_equal(n.l, AWS_L_CASES);
}

static void
test_sigv4_dynamodb_vectors(void **state)
{
	struct vcount n = { 0, 0, 0, 0 };

	run_dir(DATA_DDB, &n);
	print_message("sigv4: %s: %d C header cases, %d failed\n", DATA_DDB,
	    n.c_header, n.failed);
	assert_int_equal(n.failed, 0);
	assert_int_equal(n.c_header, DDB_C_HEADER_CASES);
	assert_int_equal(n.c_query, 0);
	assert_int_equal(n.l, 0);
}

/* Every vendored file still has the bytes its SHA256SUMS records. */
static void
check_sums(const char *base, int want_lines)
{
	struct buf sums, f;
	char path[MAX_PATH], got[65], *line, *next, *name;
	int lines = 0, bad = 0;

	assert_int_equal(pathf(path, sizeof(path), "%s/SHA256SUMS", base), 0);
	assert_int_equal(read_file(path, &sums), 0);
	for (line = sums.data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		/* "<64 hex>  <path>" */
		assert_true(strlen(line) > 66 && line[64] == ' ');
		name = line + 66;
		lines++;
		if (pathf(path, sizeof(path), "%s/%s", base, name) == -1 ||
		    read_file(path, &f) == -1) {
			print_error("sigv4 data %s/%s: cannot read\n", base,
			    name);
			bad++;
			continue;
		}
		assert_int_equal(sigv4_sha256_hex(f.data, f.len, got), 0);
		if (strncmp(got, line, 64) != 0) {
			print_error("sigv4 data %s/%s: checksum differs\n",
			    base, name);
			bad++;
		}
		buf_free(&f);
	}
	buf_free(&sums);
	assert_int_equal(bad, 0);
	assert_int_equal(lines, want_lines);
}

static void
test_sigv4_vector_checksums(void **state)
{
	check_sums(DATA_AWS, AWS_SUMS_LINES);
	check_sums(DATA_DDB, DDB_SUMS_LINES);
}

static void
hex32(const unsigned char *k, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[k[i] >> 4];
		out[2 * i + 1] = digits[k[i] & 0x0f];
	}
	out[64] = '\0';
}

static void
hmac(const void *key, size_t keylen, const char *data, unsigned char out[32])
{
	unsigned int len = 0;

	assert_non_null(HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)data, strlen(data), out, &len));
	assert_int_equal(len, 32);
}

static void
test_sigv4_signing_key(void **state)
{
	unsigned char key[32], a[32], b[32];
	char hex[65], big[SIGV4_MAX_SECRET + 2];
	struct buf sts, sig;

	/* AWS documentation's worked example (service iam). */
	assert_int_equal(sigv4_signing_key(EX_SECRET, "20150830", EX_REGION,
			     "iam", key),
	    0);
	hex32(key, hex);
	assert_string_equal(hex,
	    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

	/* The README's chain, step by step, for the suite's inputs. */
	hmac("AWS4" EX_SECRET, strlen("AWS4" EX_SECRET), "20150830", a);
	hmac(a, 32, EX_REGION, b);
	hmac(b, 32, EX_SERVICE, a);
	hmac(a, 32, "aws4_request", b);
	assert_int_equal(sigv4_signing_key(EX_SECRET, "20150830", EX_REGION,
			     EX_SERVICE, key),
	    0);
	assert_memory_equal(key, b, 32);
	hex32(key, hex);
	assert_string_equal(hex,
	    "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");

	/* That key signs get-vanilla's string to sign into its signature. */
	assert_int_equal(read_file(DATA_AWS
			     "/get-vanilla/header-string-to-sign.txt",
			     &sts),
	    0);
	assert_int_equal(read_file(DATA_AWS "/get-vanilla/header-signature.txt",
			     &sig),
	    0);
	hmac(key, 32, sts.data, a);
	hex32(a, hex);
	assert_int_equal(sig.len, 64);
	assert_string_equal(hex, sig.data);
	buf_free(&sts);
	buf_free(&sig);

	assert_int_equal(sigv4_signing_key("", "20150830", EX_REGION,
			     EX_SERVICE, key),
	    -1);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sigv4_signing_key(big, "20150830", EX_REGION,
			     EX_SERVICE, key),
	    -1);
	big[SIGV4_MAX_SECRET] = '\0';
	assert_int_equal(sigv4_signing_key(big, "20150830", EX_REGION,
			     EX_SERVICE, key),
	    0);
}

static void
test_sigv4_uri_encode(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int slash;
		const char *want;
	} cases[] = {
		{ "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
		  "tuvwxyz",
		    66, 1,
		    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
		    "tuvwxyz" },
		{ "\xe1\x88\xb4", 3, 0, "%E1%88%B4" },
		{ "/a b/c", 6, 0, "/a%20b/c" },
		{ "/a b/c", 6, 1, "%2Fa%20b%2Fc" },
		{ "+=%&$;,*", 8, 1, "%2B%3D%25%26%24%3B%2C%2A" },
		{ "a\0b", 3, 1, "a%00b" },
		{ "\x7f\xff", 2, 1, "%7F%FF" },
		{ "", 0, 1, "" },
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(sigv4_uri_encode(&b, cases[i].in, cases[i].len,
				     cases[i].slash),
		    0);
		assert_int_equal(b.len, strlen(cases[i].want));
		if (b.len > 0)
			assert_string_equal(b.data, cases[i].want);
		buf_free(&b);
	}
	/* The buffer's maximum is honoured. */
	buf_init(&b, 4);
	assert_int_equal(sigv4_uri_encode(&b, "ab c", 4, 1), -1);
	buf_free(&b);
}

static void
test_sigv4_amz_date(void **state)
{
	static const struct {
		time_t t;
		const char *want;
	} cases[] = {
		{ 1440938160, EX_DATE },
		{ 0, "19700101T000000Z" },
		{ 951782400, "20000229T000000Z" },
		{ 253402300799, "99991231T235959Z" },
		{ 253402300800, "" },
	};
	char out[17];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		sigv4_amz_date(cases[i].t, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_sigv4_sha256_hex(void **state)
{
	char out[65];

	assert_int_equal(sigv4_sha256_hex("", 0, out), 0);
	assert_string_equal(out,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sigv4_sha256_hex(NULL, 0, out), 0);
	assert_string_equal(out,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sigv4_sha256_hex("abc", 3, out), 0);
	assert_string_equal(out,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sigv4_sha256_hex(NULL, 1, out), -1);
}

/* Line idx (0-based) of the canonical request for req, or NULL on error. */
static char *
canon_line(const struct sigv4_request *req, int idx, struct buf *b)
{
	char *p, *e;

	buf_init(b, 0);
	if (sigv4_canonical_request(req, b, NULL) == -1)
		return NULL;
	for (p = b->data; idx > 0; idx--) {
		assert_non_null(p = strchr(p, '\n'));
		p++;
	}
	if ((e = strchr(p, '\n')) != NULL)
		*e = '\0';
	return p;
}

static void
test_sigv4_path_normalize(void **state)
{
	static const struct sigv4_header h[] = { { "host", "h" } };
	static const struct {
		const char *path;
		int normalize;
		const char *want; /* NULL: rejected */
	} cases[] = {
		{ "/a/b/..", 1, "/a/" },
		{ "/a/./b/../c", 1, "/a/c" },
		{ "/a/.", 1, "/a/" },
		{ "/../../x", 1, "/x" },
		{ "/a//b//", 1, "/a/b/" },
		{ "/a//b//", 0, "/a//b//" },
		{ "/a/..b/.../c.", 1, "/a/..b/.../c." },
		{ "/a/../..", 0, "/a/../.." },
		{ "/a b/\xc3\xbc", 1, "/a%20b/%C3%BC" },
		{ "/$x", 0, "/%24x" },
		{ "", 1, "/" },
		{ "", 0, "/" },
		{ "a/b", 1, NULL },
		{ "*", 0, NULL },
	};
	struct sigv4_request req;
	struct buf b;
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.path = cases[i].path;
		req.headers = h;
		req.nheaders = 1;
		req.normalize_path = cases[i].normalize;
		got = canon_line(&req, 1, &b);
		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
		buf_free(&b);
	}
}

static void
test_sigv4_query_canonical(void **state)
{
	static const struct sigv4_header h[] = { { "host", "h" } };
	static const struct {
		const char *query;
		const char *want;
	} cases[] = {
		{ NULL, "" },
		{ "", "" },
		{ "b=2&a=1", "a=1&b=2" },
		{ "a=2&a=10&A=3", "A=3&a=10&a=2" },
		{ "a=%41&%e1%88%b4=x", "%E1%88%B4=x&a=A" },
		{ "a+b=c d", "a%2Bb=c%20d" },
		{ "k", "k=" },
		{ "a=1&&b=&", "a=1&b=" },
		{ "a=%zz&b=%4", "a=%25zz&b=%254" },
		{ "=v", "=v" },
		{ "a=b=c", "a=b%3Dc" },
		{ "p=/x/y", "p=%2Fx%2Fy" },
	};
	struct sigv4_request req;
	struct buf b;
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.path = "/";
		req.query = cases[i].query;
		req.headers = h;
		req.nheaders = 1;
		got = canon_line(&req, 2, &b);
		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		buf_free(&b);
	}
}

static void
test_sigv4_header_canonical(void **state)
{
	static const struct sigv4_header h[] = {
		{ "x-a", "1" },
		{ "Host", "example.com" },
		{ "X-B", " \t a \t b   " },
		{ "X-A", "  2 " },
		{ "x-b2", "l1\r\n  l2\n\tl3" },
		{ "X-Empty", "" },
	};
	static const struct sigv4_header bad[][2] = {
		{ { "host", "h" }, { "bad name", "v" } },
		{ { "host", "h" }, { "", "v" } },
		{ { "host", "h" }, { "bad:name", "v" } },
		{ { "host", "h" }, { "x", "a\nb" } },
		{ { "host", "h" }, { "x", "a\n" } },
		{ { "host", "h" }, { "x", "a\rb" } },
		{ { "host", "h" }, { "x", "a\001b" } },
		{ { "host", "h" }, { "x", NULL } },
	};
	struct sigv4_header many[SIGV4_MAX_HEADERS + 1];
	struct sigv4_request req;
	struct buf b, sh;
	size_t i;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = "/";
	req.headers = h;
	req.nheaders = sizeof(h) / sizeof(h[0]);
	buf_init(&b, 0);
	buf_init(&sh, 0);
	assert_int_equal(sigv4_canonical_request(&req, &b, &sh), 0);
	assert_string_equal(b.data,
	    "GET\n/\n\n"
	    "host:example.com\n"
	    "x-a:1,2\n"
	    "x-b:a b\n"
	    "x-b2:l1 l2 l3\n"
	    "x-empty:\n"
	    "\n"
	    "host;x-a;x-b;x-b2;x-empty\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(sh.data, "host;x-a;x-b;x-b2;x-empty");
	buf_free(&sh);
	buf_free(&b);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.headers = bad[i];
		req.nheaders = 2;
		buf_init(&b, 0);
		assert_int_equal(sigv4_canonical_request(&req, &b, NULL), -1);
		buf_free(&b);
	}

	req.nheaders = 0;
	buf_init(&b, 0);
	assert_int_equal(sigv4_canonical_request(&req, &b, NULL), -1);
	buf_free(&b);
	for (i = 0; i < SIGV4_MAX_HEADERS + 1; i++)
		many[i] = (struct sigv4_header){ "x", "y" };
	req.headers = many;
	req.nheaders = SIGV4_MAX_HEADERS;
	buf_init(&b, 0);
	assert_int_equal(sigv4_canonical_request(&req, &b, NULL), 0);
	buf_free(&b);
	req.nheaders = SIGV4_MAX_HEADERS + 1;
	buf_init(&b, 0);
	assert_int_equal(sigv4_canonical_request(&req, &b, NULL), -1);
	buf_free(&b);
}

/* The shape worker/aws.c call_send signs: same names, order and values. */
static void
test_sigv4_dynamodb_request_shape(void **state)
{
	static const struct {
		const char *dir;
		const char *prefix; /* NULL: STS form request */
		const char *op;
	} cases[] = {
		{ "dynamodb-scan", "DynamoDB_20120810", "Scan" },
		{ "dynamodb-batchwriteitem-session-token", "DynamoDB_20120810",
		    "BatchWriteItem" },
		{ "streams-getrecords", "DynamoDBStreams_20120810",
		    "GetRecords" },
		{ "sts-assumerole", NULL, NULL },
	};
	struct sigv4_header h[5];
	struct sigv4_request sr;
	struct sigv4_creds sc;
	struct vctx c;
	struct vreq r;
	struct buf want;
	char dir[MAX_PATH], path[MAX_PATH], target[128], authz[1024];
	const char *ctype, *host;
	size_t i, nh;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pathf(dir, sizeof(dir), "%s/%s", DATA_DDB,
				     cases[i].dir),
		    0);
		assert_int_equal(vctx_load(&c, dir), 0);
		assert_int_equal(load_request(dir, "request.txt", &r), 0);
		host = vreq_find(&r, "Host");
		assert_non_null(host);

		ctype = cases[i].prefix != NULL ?
		    "application/x-amz-json-1.0" :
		    "application/x-www-form-urlencoded; charset=utf-8";
		/* The vector must be the request the product sends. */
		assert_string_equal(vreq_find(&r, "Content-Type"), ctype);
		nh = 0;
		h[nh++] = (struct sigv4_header){ "content-type", ctype };
		h[nh++] = (struct sigv4_header){ "host", host };
		h[nh++] = (struct sigv4_header){ "x-amz-date", c.amz_date };
		if (c.token != NULL)
			h[nh++] = (struct sigv4_header){ "x-amz-security-token",
				c.token };
		if (cases[i].prefix != NULL) {
			assert_int_equal(pathf(target, sizeof(target), "%s.%s",
					     cases[i].prefix, cases[i].op),
			    0);
			assert_string_equal(vreq_find(&r, "X-Amz-Target"),
			    target);
			h[nh++] = (struct sigv4_header){ "x-amz-target",
				target };
		} else
			assert_null(vreq_find(&r, "X-Amz-Target"));
		assert_int_equal(r.nh + 1 + (c.token != NULL), nh);

		memset(&sr, 0, sizeof(sr));
		sr.method = "POST";
		sr.path = "/";
		sr.headers = h;
		sr.nheaders = nh;
		sr.body = r.body != NULL ? r.body : "";
		sr.bodylen = r.bodylen;
		sr.normalize_path = 1;
		sc.access_key_id = c.akid;
		sc.secret_access_key = c.secret;
		sc.session_token = c.token;
		assert_int_equal(sigv4_sign(&sr, &sc, c.region, c.service,
				     c.amz_date, authz, sizeof(authz), NULL),
		    0);
		assert_int_equal(pathf(path, sizeof(path),
				     "%s/authorization.txt", dir),
		    0);
		assert_int_equal(read_file(path, &want), 0);
		assert_string_equal(authz, want.data);
		buf_free(&want);
		vreq_free(&r);
		vctx_free(&c);
	}
}

static void
vanilla(struct sigv4_request *req, struct sigv4_header h[2])
{
	h[0] = (struct sigv4_header){ "Host", "example.amazonaws.com" };
	h[1] = (struct sigv4_header){ "X-Amz-Date", EX_DATE };
	memset(req, 0, sizeof(*req));
	req->method = "GET";
	req->path = "/";
	req->headers = h;
	req->nheaders = 2;
	req->normalize_path = 1;
}

static void
test_sigv4_rejects_bad_input(void **state)
{
	static const char *dates[] = { "2015-08-30", "20150830T123600",
		"20150830X123600Z", "20150830T12360aZ", "20150830T123600ZZ", "",
		NULL };
	static const char *names[] = { "us/east-1", "us east", "", "a,b",
		NULL };
	struct sigv4_header h[2];
	struct sigv4_request req;
	struct sigv4_creds sc = { EX_AKID, EX_SECRET, NULL };
	struct sigv4_creds nosecret = { EX_AKID, NULL, NULL };
	struct sigv4_creds badakid = { "AKID/X", EX_SECRET, NULL };
	struct sigv4_creds emptytok = { EX_AKID, EX_SECRET, "" };
	char authz[512];
	struct buf q;
	size_t i;

	vanilla(&req, h);
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		strlcpy(authz, "junk", sizeof(authz));
		assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE,
				     dates[i], authz, sizeof(authz), NULL),
		    -1);
		assert_string_equal(authz, "");
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(sigv4_sign(&req, &sc, names[i], EX_SERVICE,
				     EX_DATE, authz, sizeof(authz), NULL),
		    -1);
		assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, names[i],
				     EX_DATE, authz, sizeof(authz), NULL),
		    -1);
	}
	assert_int_equal(sigv4_sign(&req, NULL, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), NULL),
	    -1);
	assert_int_equal(sigv4_sign(&req, &nosecret, EX_REGION, EX_SERVICE,
			     EX_DATE, authz, sizeof(authz), NULL),
	    -1);
	assert_int_equal(sigv4_sign(&req, &badakid, EX_REGION, EX_SERVICE,
			     EX_DATE, authz, sizeof(authz), NULL),
	    -1);
	assert_int_equal(sigv4_sign(NULL, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), NULL),
	    -1);
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     NULL, 0, NULL),
	    -1);

	req.method = "GE T";
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), NULL),
	    -1);
	req.method = "";
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), NULL),
	    -1);
	vanilla(&req, h);
	req.bodylen = 5;
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), NULL),
	    -1);

	/* Presign: bad expiry or token leaves the caller's query alone. */
	vanilla(&req, h);
	req.nheaders = 1;
	buf_init(&q, 0);
	buf_adds(&q, "keep");
	assert_int_equal(sigv4_presign(&req, &sc, EX_REGION, EX_SERVICE,
			     EX_DATE, 0, &q, NULL),
	    -1);
	assert_int_equal(sigv4_presign(&req, &sc, EX_REGION, EX_SERVICE,
			     EX_DATE, SIGV4_MAX_EXPIRES + 1, &q, NULL),
	    -1);
	assert_int_equal(sigv4_presign(&req, &emptytok, EX_REGION, EX_SERVICE,
			     EX_DATE, 60, &q, NULL),
	    -1);
	assert_int_equal(sigv4_presign(&req, &sc, EX_REGION, EX_SERVICE, "bad",
			     60, &q, NULL),
	    -1);
	assert_string_equal(q.data, "keep");
	assert_int_equal(q.len, 4);
	/* A full output buffer also restores it. */
	q.max = 64;
	assert_int_equal(sigv4_presign(&req, &sc, EX_REGION, EX_SERVICE,
			     EX_DATE, 60, &q, NULL),
	    -1);
	assert_string_equal(q.data, "keep");
	q.max = 0;
	assert_int_equal(sigv4_presign(&req, &sc, EX_REGION, EX_SERVICE,
			     EX_DATE, SIGV4_MAX_EXPIRES, &q, NULL),
	    0);
	assert_true(strncmp(q.data, "keepX-Amz-Algorithm=", 20) == 0);
	buf_free(&q);
}

static void
test_sigv4_authz_buffer_exact_fit(void **state)
{
	static const char want[] =
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
	    "20150830/us-east-1/service/aws4_request, SignedHeaders=host;"
	    "x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2"
	    "260956d9b8aae1d763fbf31";
	struct sigv4_header h[2];
	struct sigv4_request req;
	struct sigv4_creds sc = { EX_AKID, EX_SECRET, NULL };
	char authz[sizeof(want)];

	vanilla(&req, h);
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), NULL),
	    0);
	assert_string_equal(authz, want);
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz) - 1, NULL),
	    -1);
	assert_string_equal(authz, "");
}

static void
test_sigv4_secret_not_in_outputs(void **state)
{
	struct sigv4_header h[3];
	struct sigv4_request req;
	struct sigv4_creds sc = { EX_AKID, EX_SECRET, "TOKEN" };
	struct sigv4_debug dbg;
	struct buf creq, sts, q;
	char authz[512];

	vanilla(&req, h);
	h[2] = (struct sigv4_header){ "x-amz-security-token", "TOKEN" };
	req.nheaders = 3;
	buf_init(&creq, 0);
	buf_init(&sts, 0);
	buf_init(&q, 0);
	dbg.canonical_request = &creq;
	dbg.string_to_sign = &sts;
	assert_int_equal(sigv4_sign(&req, &sc, EX_REGION, EX_SERVICE, EX_DATE,
			     authz, sizeof(authz), &dbg),
	    0);
	assert_null(strstr(creq.data, "wJalr"));
	assert_null(strstr(sts.data, "wJalr"));
	assert_null(strstr(authz, "wJalr"));
	assert_null(strstr(authz, "TOKEN"));
	req.nheaders = 1;
	assert_int_equal(sigv4_presign(&req, &sc, EX_REGION, EX_SERVICE,
			     EX_DATE, 60, &q, &dbg),
	    0);
	assert_null(strstr(q.data, "wJalr"));
	assert_null(strstr(creq.data, "wJalr"));
	assert_non_null(strstr(q.data, "&X-Amz-Security-Token=TOKEN&"));
	buf_free(&q);
	buf_free(&sts);
	buf_free(&creq);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_vector_checksums),
		cmocka_unit_test(test_sigv4_aws_suite),
		cmocka_unit_test(test_sigv4_dynamodb_vectors),
		cmocka_unit_test(test_sigv4_dynamodb_request_shape),
		cmocka_unit_test(test_sigv4_signing_key),
		cmocka_unit_test(test_sigv4_uri_encode),
		cmocka_unit_test(test_sigv4_amz_date),
		cmocka_unit_test(test_sigv4_sha256_hex),
		cmocka_unit_test(test_sigv4_path_normalize),
		cmocka_unit_test(test_sigv4_query_canonical),
		cmocka_unit_test(test_sigv4_header_canonical),
		cmocka_unit_test(test_sigv4_rejects_bad_input),
		cmocka_unit_test(test_sigv4_authz_buffer_exact_fit),
		cmocka_unit_test(test_sigv4_secret_not_in_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

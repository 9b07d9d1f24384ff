/* creds.c: the AWS credential provider chain, STS AssumeRole and caching. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "creds.h"
#include "endpoint.h"
#include "fmt.h"
#include "http.h"
#include "log.h"
#include "profile.h"
#include "report.h"
#include "retry.h"
#include "settings.h"
#include "sigv4.h"
#include "sts.h"
#include "xmalloc.h"
#include "xtime.h"

/* Refresh windows before expiry (botocore's advisory / mandatory). */
#define CREDS_ADVISORY_S  (15 * 60)
#define CREDS_MANDATORY_S (10 * 60)
/* After a failed advisory refresh, do not try again on every request. */
#define CREDS_RETRY_AFTER_S 60
/* Token files (web identity JWT, container authorization) are small. */
#define CREDS_TOKEN_MAX (64 * 1024)
#define CREDS_RESP_MAX	(1024 * 1024)
/* source_profile hops before we call it a loop. */
#define CREDS_PROFILE_DEPTH	 8
#define CREDS_STS_ATTEMPTS	 3
#define CREDS_CONTAINER_ATTEMPTS 3

enum creds_kind {
	CREDS_CHAIN,
	CREDS_ROLE,
};

enum creds_src {
	SRC_NONE = -1,
	SRC_ENV = 0,
	SRC_PROFILE,
	SRC_WEB_IDENTITY,
	SRC_CONTAINER,
	SRC_IMDS,
	SRC_COUNT
};

struct creds_provider {
	enum creds_kind kind;
	struct http *http; /* private: never the caller's loop */
	struct creds cur;
	int have;
	int64_t retry_at;   /* no advisory refresh before */
	enum creds_src src; /* chain: the source that answered */
	int allow_insecure; /* http to a non-loopback STS */

	/* CREDS_ROLE */
	struct creds_provider *base;
	char *role_arn;
	char *region;
	char *sts_url;
	char *session_name;
};

static int64_t
creds_default_now(void)
{
	return wall_ms() / 1000;
}

static int64_t (*creds_now)(void) = creds_default_now;

void
creds_set_clock(int64_t (*now)(void))
{
	creds_now = now != NULL ? now : creds_default_now;
}

void
creds_clear(struct creds *c)
{
	if (c == NULL)
		return;
	xfree_secret(c->access_key_id);
	xfree_secret(c->secret_access_key);
	xfree_secret(c->session_token);
	memset(c, 0, sizeof(*c));
}

static void set_source(struct creds *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An operator label; a cut one ends in "..." so it is not misread. */
static void
set_source(struct creds *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->source, sizeof(c->source), fmt, ap);
	va_end(ap);
	if (n < 0)
		strlcpy(c->source, "?", sizeof(c->source));
	else if ((size_t)n >= sizeof(c->source))
		memcpy(c->source + sizeof(c->source) - 4, "...", 4);
}

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

static int
env_true(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

static const char *
env_region(void)
{
	const char *r = env_get("AWS_REGION");

	return r != NULL ? r : env_get("AWS_DEFAULT_REGION");
}

static void
default_session_name(char out[STS_SESSION_NAME_MAX + 1])
{
	char s[32];

	snprintf(s, sizeof(s), "ddb-sync-%ld", (long)getpid());
	sts_session_name(s, out);
}

/* Header-safe: what goes into a header line has no control character. */
static int
header_safe(const char *s)
{
	return !fmt_has_control(s, strlen(s));
}

/* Keys must be usable: non-empty, and nothing that breaks a header. */
static int
creds_check(const struct creds *c, int64_t now, char *err, size_t errlen)
{
	const char *p;

	for (p = c->access_key_id; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			break;
	if (*c->access_key_id == '\0' || *p != '\0' ||
	    *c->secret_access_key == '\0' ||
	    (c->session_token != NULL && !header_safe(c->session_token))) {
		snprintf(err, errlen, "credentials contain invalid characters");
		return -1;
	}
	if (c->expiration != 0 && c->expiration <= now) {
		snprintf(err, errlen, "credentials already expired");
		return -1;
	}
	return 0;
}

/*
 * Read a whole small file (opened O_CLOEXEC) into b, whose maximum bounds
 * it. Returns 0, 1 if it does not exist, or -1 with err naming the file.
 * b may then hold a secret: free it with buf_wipe().
 */
static int
read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
	struct stat st;
	char chunk[4096];
	ssize_t r;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto fail;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (buf_add(b, chunk, (size_t)r) == -1) {
			snprintf(err, errlen, "%s is larger than %zu bytes",
			    path, b->max);
			goto fail;
		}
	}
	rc = 0;
fail:
	close(fd);
	explicit_bzero(chunk, sizeof(chunk));
	return rc;
}

/*
 * Read a token file (web identity, container authorization): at most
 * CREDS_TOKEN_MAX bytes, surrounding whitespace dropped, no control
 * characters inside. Sets *out (a secret). 0, or -1 with err.
 */
static int
read_token_file(const char *path, char **out, char *err, size_t errlen)
{
	struct buf b;
	size_t s = 0, e;
	int r, rc = -1;

	buf_init(&b, CREDS_TOKEN_MAX);
	if ((r = read_file(path, &b, err, errlen)) != 0) {
		if (r == 1)
			snprintf(err, errlen, "token file %s does not exist",
			    path);
		goto fail;
	}
	e = b.len;
	while (s < e && isspace((unsigned char)b.data[s]))
		s++;
	while (e > s && isspace((unsigned char)b.data[e - 1]))
		e--;
	if (s == e) {
		snprintf(err, errlen, "token file %s is empty", path);
		goto fail;
	}
	b.data[e] = '\0';
	if (memchr(b.data + s, '\0', e - s) != NULL ||
	    !header_safe(b.data + s)) {
		snprintf(err, errlen, "token file %s holds control characters",
		    path);
		goto fail;
	}
	*out = xstrndup(b.data + s, e - s);
	rc = 0;
fail:
	buf_wipe(&b);
	return rc;
}

/* Append "Name: value" to a header list (http_header_add wipes its copy). */
static void
hdr_add(struct curl_slist **l, const char *name, const char *value)
{
	if (http_header_add(l, name, value) == -1)
		fatalx("creds: out of memory");
}

static struct curl_slist *
hdr_base(void)
{
	struct curl_slist *l = NULL;

	hdr_add(&l, "User-Agent", "ddb-sync/" DDB_SYNC_VERSION);
	/* No 100-continue round trip for a long web identity token. */
	if ((l = curl_slist_append(l, "Expect:")) == NULL)
		fatalx("creds: out of memory");
	return l;
}

static void
xfer_wipe(struct http_xfer *x)
{
	if (x->resp.data != NULL)
		explicit_bzero(x->resp.data, x->resp.cap);
	http_xfer_cleanup(x);
}

static void
sync_done_cb(struct http_xfer *x, void *arg)
{
	int *done = arg;

	*done = 1;
}

/*
 * One request, run to completion on the provider's own http instance (so
 * a refresh never re-enters the caller's loop); curl's timeout bounds it.
 * method NULL: GET, or POST with a body. 0 when an HTTP answer arrived (any
 * status), -1 on a transport failure (x->curl_err says why). The caller
 * frees x with xfer_wipe().
 */
static int
http_sync(struct creds_provider *p, struct http_xfer *x, const char *method,
    const char *url, struct curl_slist *hdrs, const char *body, size_t bodylen,
    long timeout_ms, int noproxy)
{
	int done = 0;

	if (p->http == NULL)
		p->http = http_new();
	memset(x, 0, sizeof(*x));
	x->url = url;
	x->headers = hdrs;
	x->body = body;
	x->bodylen = bodylen;
	x->method = method;
	x->timeout_ms = timeout_ms;
	x->connect_timeout_ms = timeout_ms;
	x->max_response = CREDS_RESP_MAX;
	/* Metadata tokens and credentials never go through a proxy. */
	x->noproxy = noproxy;
	if (http_start(p->http, x, sync_done_cb, &done) == -1) {
		strlcpy(x->curl_err, "cannot start the transfer",
		    sizeof(x->curl_err));
		return -1;
	}
	while (!done) {
		/* SIGINT/SIGTERM: a stopping worker waits for nobody. */
		if (http_interrupted()) {
			http_abort(p->http, x);
			x->curl_code = CURLE_ABORTED_BY_CALLBACK;
			strlcpy(x->curl_err,
			    "interrupted: the worker is "
			    "stopping",
			    sizeof(x->curl_err));
			return -1;
		}
		http_run(p->http, 100);
	}
	if (x->curl_code != 0 && x->overflow)
		strlcpy(x->curl_err, "answer too large", sizeof(x->curl_err));
	return x->curl_code == 0 ? 0 : -1;
}

/* Sleep, in slices, so that a stopping worker is not held up. */
static void
sleep_ms(int64_t ms)
{
	int64_t end = clock_ms() + ms, left;
	struct timespec ts;

	while (!http_interrupted() && (left = end - clock_ms()) > 0) {
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

struct sts_req {
	const char *action;   /* "AssumeRole", ... */
	const char *role_arn; /* for messages */
	const char *url;
	const char *region;	    /* signing region */
	const struct creds *signer; /* NULL: unsigned (web identity) */
	const struct buf *body;
	const char *secrets[3]; /* must not come back in a message */
};

/*
 * POST a Query-protocol STS request, retrying transient failures and
 * throttling. 0 with out filled, or -1 with err and *st (AWS_EXPIRED_CREDS
 * tells the caller its signing credentials have expired).
 */
static int
sts_post(struct creds_provider *p, const struct sts_req *rq, struct creds *out,
    enum aws_status *st, char *err, size_t errlen)
{
	static const char ctype[] =
	    "application/x-www-form-urlencoded; charset=utf-8";
	struct endpoint_url eu;
	struct curl_slist *hdrs = NULL;
	struct http_xfer x;
	char code[96], msg[512], amzdate[17], authz[1024];
	long timeout = (long)settings_int(SETTING_STS_TIMEOUT_MS);
	uint64_t base_ms = (uint64_t)settings_int(SETTING_STS_RETRY_BASE_MS);
	int attempt, rc = -1, warned = 0;

	*st = AWS_FATAL;
	if (endpoint_parse(rq->url, &eu) == -1) {
		snprintf(err, errlen, "bad STS endpoint URL '%s'", rq->url);
		return -1;
	}
	if (endpoint_check_secure(&eu, rq->url, "STS", p->allow_insecure, err,
		errlen) == -1)
		return -1;
	memset(&x, 0, sizeof(x));
	for (attempt = 1;; attempt++) {
		hdrs = hdr_base();
		hdr_add(&hdrs, "Content-Type", ctype);
		if (rq->signer != NULL) {
			const struct creds *c = rq->signer;
			struct sigv4_header h[4];
			struct sigv4_request sr;
			struct sigv4_creds sc;
			size_t nh = 0;

			sigv4_amz_date(time(NULL), amzdate);
			h[nh++] = (struct sigv4_header){ "content-type",
				ctype };
			h[nh++] = (struct sigv4_header){ "host", eu.hosthdr };
			h[nh++] = (struct sigv4_header){ "x-amz-date",
				amzdate };
			if (c->session_token != NULL)
				h[nh++] = (struct sigv4_header){
					"x-amz-security-token", c->session_token
				};
			memset(&sr, 0, sizeof(sr));
			sr.method = "POST";
			sr.path = eu.path;
			sr.headers = h;
			sr.nheaders = nh;
			sr.body = rq->body->data;
			sr.bodylen = rq->body->len;
			sr.normalize_path = 1;
			sc.access_key_id = c->access_key_id;
			sc.secret_access_key = c->secret_access_key;
			sc.session_token = c->session_token;
			if (sigv4_sign(&sr, &sc, rq->region, "sts", amzdate,
				authz, sizeof(authz), NULL) == -1) {
				snprintf(err, errlen,
				    "%s: cannot sign the "
				    "request",
				    rq->action);
				goto fail;
			}
			hdr_add(&hdrs, "X-Amz-Date", amzdate);
			if (c->session_token != NULL)
				hdr_add(&hdrs, "X-Amz-Security-Token",
				    c->session_token);
			hdr_add(&hdrs, "Authorization", authz);
		}
		if (http_sync(p, &x, NULL, rq->url, hdrs, rq->body->data,
			rq->body->len, timeout, 0) == -1) {
			/* An untrusted certificate is not an outage. */
			*st = retry_classify_transport(x.curl_code);
			snprintf(err, errlen, "%s %s at %s: %s", rq->action,
			    rq->role_arn, eu.hosthdr, x.curl_err);
		} else if (x.status == 200) {
			if (sts_parse_response(x.resp.data != NULL ?
				    x.resp.data :
				    "",
				x.resp.len, rq->action, out, msg,
				sizeof(msg)) == 0) {
				*st = AWS_OK;
				rc = 0;
				goto fail;
			}
			*st = AWS_FATAL;
			fmt_withhold_secrets(msg, sizeof(msg), rq->secrets, 3);
			snprintf(err, errlen, "%s %s at %s: bad answer: %s",
			    rq->action, rq->role_arn, eu.hosthdr, msg);
		} else {
			if (sts_parse_error(x.resp.data != NULL ? x.resp.data :
								  "",
				x.resp.len, code, sizeof(code), msg,
				sizeof(msg)) == -1) {
				snprintf(code, sizeof(code), "HTTP%ld",
				    x.status);
				snprintf(msg, sizeof(msg), "HTTP status %ld",
				    x.status);
			}
			fmt_withhold_secrets(msg, sizeof(msg), rq->secrets, 3);
			*st = retry_classify(x.status, 0, 0, code);
			snprintf(err, errlen, "%s %s at %s: %s: %s", rq->action,
			    rq->role_arn, eu.hosthdr, code, msg);
		}
		xfer_wipe(&x);
		http_headers_free(hdrs);
		hdrs = NULL;
		if ((*st != AWS_TRANSIENT && *st != AWS_THROTTLED) ||
		    attempt >= CREDS_STS_ATTEMPTS)
			break;
		/* Each attempt may take the whole timeout: say so at once,
		 * in the log and the pair's row, not after all of them. */
		report_warning("retrying",
		    "credentials: %s failing, still "
		    "retrying (attempt %d of %d): %s",
		    rq->action, attempt + 1, CREDS_STS_ATTEMPTS, err);
		warned = 1;
		sleep_ms((int64_t)retry_backoff_ms((unsigned)attempt, base_ms,
		    5000, retry_random()));
	}
fail:
	if (warned)
		report_warning("recovered",
		    rc == 0 ? "credentials: %s "
			      "succeeded after %d attempts" :
			      "credentials: %s no "
			      "longer retrying after %d attempts",
		    rq->action, attempt);
	explicit_bzero(authz, sizeof(authz));
	xfer_wipe(&x);
	http_headers_free(hdrs);
	return rc;
}

/* AssumeRole with signer's credentials. */
static int
assume_role(struct creds_provider *p, const struct creds *signer,
    const char *url, const char *region, const char *role_arn,
    const char *session, int duration, const char *external_id,
    struct creds *out, enum aws_status *st, char *err, size_t errlen)
{
	struct sts_req rq;
	struct buf body;
	int rc;

	buf_init(&body, 64 * 1024);
	if (sts_assume_role_body(&body, role_arn, session, duration,
		external_id) == -1) {
		snprintf(err, errlen, "AssumeRole: parameters too long");
		buf_free(&body);
		*st = AWS_FATAL;
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.action = "AssumeRole";
	rq.role_arn = role_arn;
	rq.url = url;
	rq.region = region != NULL ? region : "us-east-1";
	rq.signer = signer;
	rq.body = &body;
	rq.secrets[0] = signer->secret_access_key;
	rq.secrets[1] = signer->session_token;
	rc = sts_post(p, &rq, out, st, err, errlen);
	buf_free(&body);
	if (rc == 0)
		set_source(out, "assume-role:%s", role_arn);
	return rc;
}

/* AssumeRoleWithWebIdentity: unsigned, the token file read every time. */
static int
web_identity(struct creds_provider *p, const char *role_arn,
    const char *token_file, const char *session, const char *region,
    struct creds *out, char *err, size_t errlen)
{
	struct sts_req rq;
	struct buf body;
	enum aws_status st;
	char *token = NULL, *url;
	int rc = -1;

	buf_init(&body, 2 * CREDS_TOKEN_MAX);
	url = endpoint_resolve(ENDPOINT_STS, region, NULL);
	if (read_token_file(token_file, &token, err, errlen) == -1)
		goto fail;
	if (sts_web_identity_body(&body, role_arn, session, token) == -1) {
		snprintf(err, errlen,
		    "AssumeRoleWithWebIdentity: parameters "
		    "too long");
		goto fail;
	}
	memset(&rq, 0, sizeof(rq));
	rq.action = "AssumeRoleWithWebIdentity";
	rq.role_arn = role_arn;
	rq.url = url;
	rq.region = region != NULL ? region : "us-east-1";
	rq.body = &body;
	rq.secrets[0] = token;
	if ((rc = sts_post(p, &rq, out, &st, err, errlen)) == 0)
		set_source(out, "web-identity:%s", role_arn);
fail:
	if (body.data != NULL)
		explicit_bzero(body.data, body.cap);
	buf_free(&body);
	xfree_secret(token);
	free(url);
	return rc;
}

/*
 * Chain sources: 0 with out filled, 1 not configured (note says why, in a
 * few words), -1 configured but failing (err).
 */

static int
src_env(struct creds_provider *p, struct creds *out, char *note, size_t notelen)
{
	const char *akid = env_get("AWS_ACCESS_KEY_ID");
	const char *secret = env_get("AWS_SECRET_ACCESS_KEY");
	const char *token = env_get("AWS_SESSION_TOKEN");
	const char *exp = env_get("AWS_CREDENTIAL_EXPIRATION");
	int64_t when = 0;

	if (token == NULL)
		token = env_get("AWS_SECURITY_TOKEN");
	if (akid == NULL && secret == NULL) {
		snprintf(note, notelen, "not set");
		return 1;
	}
	if (akid == NULL || secret == NULL) {
		snprintf(note, notelen, "%s is set but %s is not",
		    akid != NULL ? "AWS_ACCESS_KEY_ID" :
				   "AWS_SECRET_ACCESS_KEY",
		    akid != NULL ? "AWS_SECRET_ACCESS_KEY" :
				   "AWS_ACCESS_KEY_ID");
		return -1;
	}
	if (exp != NULL && sts_parse_time(exp, &when) == -1) {
		snprintf(note, notelen,
		    "AWS_CREDENTIAL_EXPIRATION is not an "
		    "ISO-8601 time");
		return -1;
	}
	out->access_key_id = xstrdup(akid);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token != NULL ? xstrdup(token) : NULL;
	out->expiration = when;
	set_source(out, "environment");
	return 0;
}

static int src_container(struct creds_provider *, struct creds *, char *,
    size_t);
static int src_imds(struct creds_provider *, struct creds *, char *, size_t);

/* Both shared files; a key in the credentials file wins. */
struct profiles {
	struct profile_file cred;
	struct profile_file conf;
	char *cred_path;
	char *conf_path;
};

static const char *
pget(const struct profiles *ps, const char *name, const char *key)
{
	const char *v = profile_get(&ps->cred, name, key);

	return v != NULL ? v : profile_get(&ps->conf, name, key);
}

static int
pexists(const struct profiles *ps, const char *name)
{
	return profile_exists(&ps->cred, name) ||
	    profile_exists(&ps->conf, name);
}

/* env, or ~/.aws/<file>; "~/" expanded. NULL without HOME. */
static char *
shared_path(const char *env, const char *file)
{
	const char *v = env_get(env), *home = env_get("HOME");
	char *s;

	if (v != NULL && strncmp(v, "~/", 2) != 0)
		return xstrdup(v);
	if (home == NULL)
		return v != NULL ? xstrdup(v) : NULL;
	if (v != NULL)
		xasprintf(&s, "%s%s", home, v + 1);
	else
		xasprintf(&s, "%s/.aws/%s", home, file);
	return s;
}

static void
profiles_clear(struct profiles *ps)
{
	profile_clear(&ps->cred);
	profile_clear(&ps->conf);
	free(ps->cred_path);
	free(ps->conf_path);
}

/* Read and parse one shared file; a missing one is empty. */
static int
profile_read(struct profile_file *pf, const char *path, enum profile_kind kind,
    char *err, size_t errlen)
{
	struct buf b;
	char perr[128];
	int r;

	buf_init(&b, PROFILE_FILE_MAX);
	if ((r = read_file(path, &b, err, errlen)) == 0 &&
	    (r = profile_parse(pf, b.data != NULL ? b.data : "", b.len, kind,
		 perr, sizeof(perr))) == -1)
		snprintf(err, errlen, "%s: %s", path, perr);
	buf_wipe(&b);
	return r == -1 ? -1 : 0;
}

static int
profiles_load(struct profiles *ps, char *err, size_t errlen)
{
	memset(ps, 0, sizeof(*ps));
	ps->cred_path = shared_path("AWS_SHARED_CREDENTIALS_FILE",
	    "credentials");
	ps->conf_path = shared_path("AWS_CONFIG_FILE", "config");
	if ((ps->cred_path != NULL &&
		profile_read(&ps->cred, ps->cred_path, PROFILE_CREDENTIALS, err,
		    errlen) == -1) ||
	    (ps->conf_path != NULL &&
		profile_read(&ps->conf, ps->conf_path, PROFILE_CONFIG, err,
		    errlen) == -1))
		return -1;
	return 0;
}

static int profile_resolve(struct creds_provider *, const struct profiles *,
    const char *, int, struct creds *, char *, size_t);

/* A profile with role_arn: its source credentials, then STS. */
static int
profile_role(struct creds_provider *p, const struct profiles *ps,
    const char *name, int depth, struct creds *out, char *err, size_t errlen)
{
	const char *role = pget(ps, name, "role_arn");
	const char *srcp = pget(ps, name, "source_profile");
	const char *csrc = pget(ps, name, "credential_source");
	const char *wif = pget(ps, name, "web_identity_token_file");
	const char *sess = pget(ps, name, "role_session_name");
	const char *dur = pget(ps, name, "duration_seconds");
	const char *region = pget(ps, name, "region");
	char session[STS_SESSION_NAME_MAX + 1], *url = NULL, *end;
	struct creds src;
	enum aws_status st;
	long duration = STS_DURATION_DEFAULT;
	int r, rc = -1;

	memset(&src, 0, sizeof(src));
	if (region == NULL)
		region = env_region();
	if (sess != NULL)
		sts_session_name(sess, session);
	else
		default_session_name(session);
	if (srcp != NULL && csrc != NULL) {
		snprintf(err, errlen,
		    "profile %s: both source_profile and "
		    "credential_source are set",
		    name);
		return -1;
	}
	if (srcp == NULL && csrc == NULL) {
		if (wif != NULL)
			return web_identity(p, role, wif, session, region, out,
			    err, errlen);
		snprintf(err, errlen,
		    "profile %s: role_arn needs "
		    "source_profile, credential_source or "
		    "web_identity_token_file",
		    name);
		return -1;
	}
	if (pget(ps, name, "mfa_serial") != NULL) {
		snprintf(err, errlen,
		    "profile %s: mfa_serial is not supported "
		    "(no one to type the code)",
		    name);
		return -1;
	}
	if (dur != NULL) {
		errno = 0;
		duration = strtol(dur, &end, 10);
		if (errno != 0 || *end != '\0' || duration < STS_DURATION_MIN ||
		    duration > STS_DURATION_MAX) {
			snprintf(err, errlen,
			    "profile %s: duration_seconds "
			    "must be %d-%d",
			    name, STS_DURATION_MIN, STS_DURATION_MAX);
			return -1;
		}
	}
	if (srcp != NULL && strcmp(srcp, name) == 0) {
		/* botocore: a profile may be its own source via its keys. */
		const char *akid = pget(ps, name, "aws_access_key_id");
		const char *sk = pget(ps, name, "aws_secret_access_key");
		const char *tok = pget(ps, name, "aws_session_token");

		if (akid == NULL || sk == NULL) {
			snprintf(err, errlen,
			    "profile %s: is its own "
			    "source_profile but has no static keys",
			    name);
			return -1;
		}
		src.access_key_id = xstrdup(akid);
		src.secret_access_key = xstrdup(sk);
		src.session_token = tok != NULL ? xstrdup(tok) : NULL;
	} else if (srcp != NULL) {
		if (!pexists(ps, srcp)) {
			snprintf(err, errlen,
			    "profile %s: source_profile %s "
			    "does not exist",
			    name, srcp);
			return -1;
		}
		if (depth >= CREDS_PROFILE_DEPTH) {
			snprintf(err, errlen,
			    "profile %s: source_profile "
			    "chain too long or circular",
			    name);
			return -1;
		}
		r = profile_resolve(p, ps, srcp, depth + 1, &src, err, errlen);
		if (r == 1)
			snprintf(err, errlen,
			    "profile %s: source_profile %s "
			    "has no credentials",
			    name, srcp);
		if (r != 0)
			goto fail;
	} else {
		char note[512];

		if (strcmp(csrc, "Environment") == 0)
			r = src_env(p, &src, note, sizeof(note));
		else if (strcmp(csrc, "Ec2InstanceMetadata") == 0)
			r = src_imds(p, &src, note, sizeof(note));
		else if (strcmp(csrc, "EcsContainer") == 0)
			r = src_container(p, &src, note, sizeof(note));
		else {
			snprintf(err, errlen,
			    "profile %s: unknown "
			    "credential_source %s",
			    name, csrc);
			return -1;
		}
		if (r != 0) {
			snprintf(err, errlen,
			    "profile %s: credential_source "
			    "%s: %s",
			    name, csrc, note);
			goto fail;
		}
	}
	url = endpoint_resolve(ENDPOINT_STS, region, NULL);
	if (assume_role(p, &src, url, region, role, session, (int)duration,
		pget(ps, name, "external_id"), out, &st, err, errlen) == -1)
		goto fail;
	rc = 0;
fail:
	creds_clear(&src);
	free(url);
	return rc;
}

/* 0 with out filled, 1 if the profile holds no credentials, -1 + err. */
static int
profile_resolve(struct creds_provider *p, const struct profiles *ps,
    const char *name, int depth, struct creds *out, char *err, size_t errlen)
{
	const char *akid, *sk, *tok;

	if (pget(ps, name, "role_arn") != NULL)
		return profile_role(p, ps, name, depth, out, err, errlen);
	akid = pget(ps, name, "aws_access_key_id");
	sk = pget(ps, name, "aws_secret_access_key");
	if (akid != NULL && sk != NULL && *akid != '\0' && *sk != '\0') {
		tok = pget(ps, name, "aws_session_token");
		if (tok == NULL)
			tok = pget(ps, name, "aws_security_token");
		out->access_key_id = xstrdup(akid);
		out->secret_access_key = xstrdup(sk);
		out->session_token = tok != NULL && *tok != '\0' ?
		    xstrdup(tok) :
		    NULL;
		out->expiration = 0;
		set_source(out, "%s:%s",
		    profile_get(&ps->cred, name, "aws_access_key_id") != NULL ?
			"shared-credentials-file" :
			"config-file",
		    name);
		return 0;
	}
	if (akid != NULL || sk != NULL) {
		snprintf(err, errlen,
		    "profile %s: aws_access_key_id and "
		    "aws_secret_access_key must both be set",
		    name);
		return -1;
	}
	if (pget(ps, name, "credential_process") != NULL) {
		snprintf(err, errlen,
		    "profile %s: credential_process is not "
		    "supported",
		    name);
		return -1;
	}
	if (pget(ps, name, "sso_session") != NULL ||
	    pget(ps, name, "sso_start_url") != NULL) {
		snprintf(err, errlen,
		    "profile %s: IAM Identity Center (SSO) "
		    "is not supported",
		    name);
		return -1;
	}
	return 1;
}

static int
src_profile(struct creds_provider *p, struct creds *out, char *note,
    size_t notelen)
{
	const char *name = env_get("AWS_PROFILE");
	struct profiles ps;
	int r = -1;

	if (name == NULL)
		name = env_get("AWS_DEFAULT_PROFILE");
	if (profiles_load(&ps, note, notelen) == -1)
		goto out;
	if (!pexists(&ps, name != NULL ? name : "default")) {
		if (name == NULL) {
			snprintf(note, notelen, "no [default] profile");
			r = 1;
		} else
			snprintf(note, notelen,
			    "profile '%s' not found in %s "
			    "or %s",
			    name,
			    ps.cred_path != NULL ? ps.cred_path :
						   "(no credentials file)",
			    ps.conf_path != NULL ? ps.conf_path :
						   "(no config file)");
		goto out;
	}
	if (name == NULL)
		name = "default";
	r = profile_resolve(p, &ps, name, 0, out, note, notelen);
	if (r == 1)
		snprintf(note, notelen, "profile %s has no credentials", name);
out:
	profiles_clear(&ps);
	return r;
}

static int
src_web_identity(struct creds_provider *p, struct creds *out, char *note,
    size_t notelen)
{
	const char *file = env_get("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = env_get("AWS_ROLE_ARN");
	const char *sess = env_get("AWS_ROLE_SESSION_NAME");
	char session[STS_SESSION_NAME_MAX + 1];

	if (file == NULL || role == NULL) {
		snprintf(note, notelen,
		    file == NULL ? "not set" : "AWS_ROLE_ARN not set");
		return 1;
	}
	if (sess != NULL)
		sts_session_name(sess, session);
	else
		default_session_name(session);
	if (web_identity(p, role, file, session, env_region(), out, note,
		notelen) == -1)
		return -1;
	set_source(out, "web-identity");
	return 0;
}

/*
 * Hosts a plain-http credentials URL may name, as for the AWS SDKs:
 * loopback, the ECS and EKS Pod Identity link-local addresses.
 */
static int
container_host_ok(const struct endpoint_url *eu)
{
	static const char *const ok[] = { "169.254.170.2", "169.254.170.23",
		"[fd00:ec2::23]", NULL };

	if (strcmp(eu->scheme, "https") == 0 || endpoint_is_loopback(eu))
		return 1;
	for (int i = 0; ok[i] != NULL; i++)
		if (strcmp(eu->host, ok[i]) == 0)
			return 1;
	return 0;
}

static int
src_container(struct creds_provider *p, struct creds *out, char *note,
    size_t notelen)
{
	const char *rel = env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tokfile = env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *host = settings_str(SETTING_TEST_CONTAINER_HOST);
	long timeout = (long)settings_int(SETTING_CONTAINER_TIMEOUT_MS);
	int64_t delay = settings_int(SETTING_CONTAINER_RETRY_DELAY_MS);
	struct curl_slist *hdrs = NULL;
	struct endpoint_url eu;
	struct http_xfer x;
	char *url = NULL, *token = NULL, msg[256];
	int rc = -1;

	memset(&x, 0, sizeof(x));
	if (rel == NULL && full == NULL) {
		snprintf(note, notelen, "not set");
		return 1;
	}
	if (rel != NULL) {
		if (*rel != '/') {
			snprintf(note, notelen,
			    "AWS_CONTAINER_CREDENTIALS_"
			    "RELATIVE_URI does not start with '/'");
			return -1;
		}
		xasprintf(&url, "%s%s",
		    host != NULL ? host : "http://169.254.170.2", rel);
	} else
		url = xstrdup(full);
	if (endpoint_parse(url, &eu) == -1 || !container_host_ok(&eu)) {
		/* The URL may carry a capability: name the variable only. */
		snprintf(note, notelen,
		    "%s is not https and not a loopback "
		    "or container metadata address",
		    rel != NULL ? "DDB_SYNC_TEST_CONTAINER_HOST" :
				  "AWS_CONTAINER_CREDENTIALS_FULL_URI");
		goto fail;
	}
	if (tokfile != NULL) {
		if (read_token_file(tokfile, &token, note, notelen) == -1)
			goto fail;
	} else if (env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN") != NULL) {
		token = xstrdup(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
		if (!header_safe(token)) {
			snprintf(note, notelen,
			    "AWS_CONTAINER_AUTHORIZATION_"
			    "TOKEN holds control characters");
			goto fail;
		}
	}
	hdrs = hdr_base();
	hdr_add(&hdrs, "Accept", "application/json");
	if (token != NULL)
		hdr_add(&hdrs, "Authorization", token);
	for (int attempt = 1;; attempt++) {
		if (http_sync(p, &x, NULL, url, hdrs, NULL, 0, timeout, 1) ==
		    -1)
			snprintf(note, notelen, "%s://%s: %s", eu.scheme,
			    eu.hosthdr, x.curl_err);
		else if (x.status != 200)
			snprintf(note, notelen, "%s://%s: HTTP status %ld",
			    eu.scheme, eu.hosthdr, x.status);
		else if (sts_parse_creds_json(x.resp.data, x.resp.len, out, msg,
			     sizeof(msg)) == -1)
			snprintf(note, notelen, "%s://%s: %s", eu.scheme,
			    eu.hosthdr, msg);
		else {
			set_source(out, "container");
			rc = 0;
			break;
		}
		xfer_wipe(&x);
		if (attempt >= CREDS_CONTAINER_ATTEMPTS)
			break;
		sleep_ms(delay);
	}
fail:
	xfer_wipe(&x);
	http_headers_free(hdrs);
	xfree_secret(token);
	free(url);
	return rc;
}

/* One IMDS request, with the configured timeout and attempts. */
static int
imds_request(struct creds_provider *p, struct http_xfer *x, const char *method,
    const char *url, struct curl_slist *hdrs)
{
	const char *t = env_get("AWS_METADATA_SERVICE_TIMEOUT");
	long timeout = 1000, attempts;
	double secs;
	char *end;
	int r = -1;

	if (t != NULL && (secs = strtod(t, &end)) > 0 && *end == '\0' &&
	    secs < 3600)
		timeout = (long)(secs * 1000);
	attempts = (long)env_ms("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1);
	if (attempts < 1)
		attempts = 1;
	for (long i = 0; i < attempts; i++) {
		xfer_wipe(x);
		/* A PUT with an empty body: curl sends Content-Length: 0. */
		r = http_sync(p, x, method, url, hdrs,
		    method != NULL ? "" : NULL, 0, timeout, 1);
		if (r == 0 && x->status < 500)
			break;
	}
	return r;
}

/* Role names go into the URL path: AWS's own character set only. */
static int
imds_role_ok(const char *s, size_t n)
{
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("_+=,.@-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
src_imds(struct creds_provider *p, struct creds *out, char *note,
    size_t notelen)
{
	const char *ep = env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	struct curl_slist *hdrs = NULL;
	struct http_xfer x;
	char *base, *url = NULL, *token = NULL, *role = NULL, msg[256];
	size_t n;
	int64_t now;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	if (env_true("AWS_EC2_METADATA_DISABLED")) {
		snprintf(note, notelen,
		    "disabled by AWS_EC2_METADATA_DISABLED");
		return 1;
	}
	if (ep == NULL)
		ep = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    "http://[fd00:ec2::254]" :
		    "http://169.254.169.254";
	base = xstrdup(ep);
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';

	/* IMDSv2 session token. */
	hdrs = hdr_base();
	hdr_add(&hdrs, "X-aws-ec2-metadata-token-ttl-seconds", "21600");
	/* No body: drop the form Content-Type curl adds to a POST. */
	if ((hdrs = curl_slist_append(hdrs, "Content-Type:")) == NULL)
		fatalx("creds: out of memory");
	xasprintf(&url, "%s/latest/api/token", base);
	if (imds_request(p, &x, "PUT", url, hdrs) == -1) {
		snprintf(note, notelen, "token request: %s", x.curl_err);
		goto fail;
	}
	while (x.resp.len > 0 &&
	    isspace((unsigned char)x.resp.data[x.resp.len - 1]))
		x.resp.data[--x.resp.len] = '\0';
	if (x.status == 200 && x.resp.len > 0 && x.resp.len < 4096 &&
	    header_safe(x.resp.data))
		token = xstrdup(x.resp.data);
	else if (x.status == 403 || x.status == 404 || x.status == 405) {
		if (env_true("AWS_EC2_METADATA_V1_DISABLED")) {
			snprintf(note, notelen,
			    "token request: HTTP status "
			    "%ld and IMDSv1 is disabled",
			    x.status);
			goto fail;
		}
		log_info("imds: token request: HTTP status %ld, using IMDSv1",
		    x.status);
	} else {
		snprintf(note, notelen, "token request: %s %ld",
		    x.status == 200 ? "bad token in answer, status" :
				      "HTTP status",
		    x.status);
		goto fail;
	}
	xfer_wipe(&x);
	http_headers_free(hdrs);
	hdrs = hdr_base();
	if (token != NULL)
		hdr_add(&hdrs, "X-aws-ec2-metadata-token", token);

	/* The instance profile's role name. */
	free(url);
	xasprintf(&url, "%s/latest/meta-data/iam/security-credentials/", base);
	if (imds_request(p, &x, NULL, url, hdrs) == -1) {
		snprintf(note, notelen, "role name: %s", x.curl_err);
		goto fail;
	}
	if (x.status != 200) {
		snprintf(note, notelen,
		    x.status == 404 ?
			"no IAM role "
			"attached to this instance (HTTP status %ld)" :
			"role name: HTTP status %ld",
		    x.status);
		goto fail;
	}
	n = x.resp.len > 0 ? strcspn(x.resp.data, "\r\n") : 0;
	if (!imds_role_ok(x.resp.data, n)) {
		snprintf(note, notelen, "role name: malformed answer");
		goto fail;
	}
	role = xstrndup(x.resp.data, n);
	xfer_wipe(&x);

	/* The role's credentials. */
	free(url);
	xasprintf(&url, "%s/latest/meta-data/iam/security-credentials/%s", base,
	    role);
	if (imds_request(p, &x, NULL, url, hdrs) == -1) {
		snprintf(note, notelen, "role %s: %s", role, x.curl_err);
		goto fail;
	}
	if (x.status != 200) {
		snprintf(note, notelen, "role %s: HTTP status %ld", role,
		    x.status);
		goto fail;
	}
	if (sts_parse_creds_json(x.resp.data, x.resp.len, out, msg,
		sizeof(msg)) == -1) {
		snprintf(note, notelen, "role %s: %s", role, msg);
		goto fail;
	}
	/*
	 * Static stability, as in the AWS SDKs: credentials already inside
	 * the refresh window (IMDS keeps serving old ones during an outage)
	 * are used for 17-25 more minutes instead of failing every call.
	 */
	now = creds_now();
	if (out->expiration != 0 && out->expiration - now < CREDS_ADVISORY_S) {
		out->expiration = now + CREDS_ADVISORY_S + 120 +
		    (int64_t)(retry_random() * 480);
		log_warnx("imds: credentials expire within %d minutes; "
			  "using them until %lld and asking again then",
		    CREDS_ADVISORY_S / 60, (long long)out->expiration);
	}
	set_source(out, "imds");
	rc = 0;
fail:
	xfer_wipe(&x);
	http_headers_free(hdrs);
	xfree_secret(token);
	free(role);
	free(url);
	free(base);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(struct creds_provider *, struct creds *, char *, size_t);
} chain_src[SRC_COUNT] = {
	[SRC_ENV] = { "environment", src_env },
	[SRC_PROFILE] = { "shared files", src_profile },
	[SRC_WEB_IDENTITY] = { "web identity", src_web_identity },
	[SRC_CONTAINER] = { "container", src_container },
	[SRC_IMDS] = { "IMDS", src_imds },
};

/*
 * The first source that has credentials, or, once one has answered, that
 * source again (as botocore refreshes the credentials it resolved).
 */
static int
chain_fetch(struct creds_provider *p, struct creds *out, char *err,
    size_t errlen)
{
	char note[768];
	struct buf tried;
	int r, i;

	if (p->src != SRC_NONE) {
		r = chain_src[p->src].fn(p, out, note, sizeof(note));
		if (r == 0)
			return 0;
		snprintf(err, errlen, "%s: %s", chain_src[p->src].name,
		    r == 1 ? "no longer configured" : note);
		return -1;
	}
	buf_init(&tried, 4096);
	for (i = 0; i < SRC_COUNT; i++) {
		note[0] = '\0';
		r = chain_src[i].fn(p, out, note, sizeof(note));
		if (r == 0) {
			p->src = (enum creds_src)i;
			buf_free(&tried);
			return 0;
		}
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", chain_src[i].name,
			    note);
			buf_free(&tried);
			return -1;
		}
		buf_printf(&tried, "%s%s (%s)", i > 0 ? ", " : "",
		    chain_src[i].name, note);
	}
	snprintf(err, errlen, "no credentials found; tried %s",
	    tried.data != NULL ? tried.data : "nothing");
	buf_free(&tried);
	return -1;
}

static int
role_fetch(struct creds_provider *p, struct creds *out, char *err,
    size_t errlen)
{
	const struct creds *b;
	enum aws_status st;
	char berr[512];

	for (int tries = 0;; tries++) {
		if (creds_get(p->base, &b, berr, sizeof(berr)) == -1) {
			snprintf(err, errlen,
			    "assume-role %s: base "
			    "credentials: %s",
			    p->role_arn, berr);
			return -1;
		}
		if (assume_role(p, b, p->sts_url, p->region, p->role_arn,
			p->session_name, STS_DURATION_DEFAULT, NULL, out, &st,
			err, errlen) == 0)
			return 0;
		/* The base session ran out under us: renew it once. */
		if (st != AWS_EXPIRED_CREDS || tries > 0)
			return -1;
		log_info("assume-role %s: base credentials expired, "
			 "refreshing them",
		    p->role_arn);
		if (creds_refresh(p->base, berr, sizeof(berr)) == -1) {
			snprintf(err, errlen,
			    "assume-role %s: base "
			    "credentials expired and refresh failed: %s",
			    p->role_arn, berr);
			return -1;
		}
	}
}

/* Fetch new credentials and, if good, make them the current ones. */
static int
provider_update(struct creds_provider *p, char *err, size_t errlen)
{
	struct creds c;
	char msg[1024];
	int r;

	memset(&c, 0, sizeof(c));
	if (p->kind == CREDS_CHAIN)
		r = chain_fetch(p, &c, msg, sizeof(msg));
	else
		r = role_fetch(p, &c, msg, sizeof(msg));
	if (r == -1) {
		strlcpy(err, msg, errlen);
		goto fail;
	}
	if (creds_check(&c, creds_now(), msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", c.source, msg);
		goto fail;
	}
	creds_clear(&p->cur);
	p->cur = c;
	p->have = 1;
	if (c.expiration != 0)
		log_info("credentials from %s, valid for %lld min", c.source,
		    (long long)(c.expiration - creds_now()) / 60);
	else
		log_info("credentials from %s", c.source);
	return 0;
fail:
	creds_clear(&c);
	return -1;
}

int
creds_get(struct creds_provider *p, const struct creds **cp, char *err,
    size_t errlen)
{
	int64_t now = creds_now(), left;
	char msg[1024];

	if (p->have) {
		left = p->cur.expiration - now;
		if (p->cur.expiration == 0 || left >= CREDS_ADVISORY_S)
			goto ok;
		if (left >= CREDS_MANDATORY_S) {
			/* Advisory: a failure keeps the current ones. */
			if (now < p->retry_at)
				goto ok;
			if (provider_update(p, msg, sizeof(msg)) == -1)
				log_warnx("credentials from %s expire in %lld "
					  "s; refresh failed, keeping them: %s",
				    p->cur.source, (long long)left, msg);
			if (p->cur.expiration != 0 &&
			    p->cur.expiration - now < CREDS_ADVISORY_S)
				p->retry_at = now + CREDS_RETRY_AFTER_S;
			goto ok;
		}
	}
	if (provider_update(p, err, errlen) == -1)
		return -1;
ok:
	*cp = &p->cur;
	return 0;
}

int
creds_refresh(struct creds_provider *p, char *err, size_t errlen)
{
	creds_clear(&p->cur);
	p->have = 0;
	p->retry_at = 0;
	return provider_update(p, err, errlen);
}

struct creds_provider *
creds_chain_new(void)
{
	struct creds_provider *p = xcalloc(1, sizeof(*p));

	p->kind = CREDS_CHAIN;
	p->src = SRC_NONE;
	return p;
}

struct creds_provider *
creds_assume_role_new(struct creds_provider *base, const char *role_arn,
    const char *region, const char *sts_endpoint, const char *session_name)
{
	struct creds_provider *p = xcalloc(1, sizeof(*p));
	char s[STS_SESSION_NAME_MAX + 1];

	p->kind = CREDS_ROLE;
	p->src = SRC_NONE;
	p->base = base;
	p->role_arn = xstrdup(role_arn);
	p->region = xstrdup(
	    region != NULL && *region != '\0' ? region : "us-east-1");
	p->sts_url = endpoint_resolve(ENDPOINT_STS, p->region, sts_endpoint);
	if (session_name != NULL)
		sts_session_name(session_name, s);
	else
		default_session_name(s);
	p->session_name = xstrdup(s);
	return p;
}

void
creds_allow_insecure_http(struct creds_provider *p, int allow)
{
	p->allow_insecure = allow;
}

void
creds_provider_free(struct creds_provider *p)
{
	if (p == NULL)
		return;
	creds_clear(&p->cur);
	http_free(p->http);
	free(p->role_arn);
	free(p->region);
	free(p->sts_url);
	free(p->session_name);
	free(p);
}

/* aws.c: build, sign, send, verify and retry AWS JSON 1.0 requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <zlib.h>

#include "aws.h"
#include "creds.h"
#include "fmt.h"
#include "log.h"
#include "report.h"
#include "settings.h"
#include "sigv4.h"
#include "xmalloc.h"
#include "xtime.h"

#define AWS_MAX_REQUEST (16u * 1024 * 1024 + 65536)

void
aws_policy_default(struct aws_policy *p)
{
	p->max_attempts = (unsigned)settings_int(SETTING_MAX_ATTEMPTS);
	p->base_ms = (uint64_t)settings_int(SETTING_RETRY_BASE_MS);
	p->throttle_base_ms = (uint64_t)settings_int(SETTING_THROTTLE_BASE_MS);
	p->cap_ms = (uint64_t)settings_int(SETTING_RETRY_CAP_MS);
	/* Long migrations ride out short outages; a restart follows. */
	p->budget_ms = (uint64_t)settings_int(SETTING_RETRY_BUDGET_MS);
	p->timeout_ms = (long)settings_int(SETTING_REQUEST_TIMEOUT_MS);
	p->connect_timeout_ms = (long)settings_int(SETTING_CONNECT_TIMEOUT_MS);
	/* A pair retrying in silence looks hung: say why after 5 s. */
	p->notice_ms = (uint64_t)settings_int(SETTING_RETRY_NOTICE_MS);
}

size_t
aws_response_cap(const char *op, size_t reqlen)
{
	static const char *const small[] = { "DescribeStream",
		"GetShardIterator", "ListTables", "ListStreams",
		"DescribeLimits", NULL };
	static const char *const table[] = { "DescribeTable", "CreateTable",
		"UpdateTable", "DeleteTable", NULL };
	static const char *const item[] = { "GetItem", "PutItem", "DeleteItem",
		"UpdateItem", NULL };
	size_t i;

	/* UnprocessedItems is at most the request itself, in its JSON. */
	if (strcmp(op, "BatchWriteItem") == 0)
		return reqlen + AWS_CAP_SMALL;
	for (i = 0; small[i] != NULL; i++)
		if (strcmp(op, small[i]) == 0)
			return AWS_CAP_SMALL;
	for (i = 0; table[i] != NULL; i++)
		if (strcmp(op, table[i]) == 0)
			return AWS_CAP_TABLE;
	for (i = 0; item[i] != NULL; i++)
		if (strcmp(op, item[i]) == 0)
			return AWS_CAP_ITEM;
	return AWS_CAP_PAGE;
}

int
aws_client_init(struct aws_client *cl, struct http *http,
    enum endpoint_service svc, const char *region, const char *override,
    struct creds_provider *creds, struct aws_stats *stats, char *err,
    size_t errlen)
{
	memset(cl, 0, sizeof(*cl));
	cl->http = http;
	cl->svc = svc;
	cl->url = endpoint_resolve(svc, region, override);
	if (endpoint_parse(cl->url, &cl->eu) == -1) {
		snprintf(err, errlen, "bad endpoint URL '%s'", cl->url);
		free(cl->url);
		cl->url = NULL;
		return -1;
	}
	cl->region = xstrdup(region);
	cl->target_prefix = svc == ENDPOINT_STREAMS ?
	    "DynamoDBStreams_20120810" :
	    "DynamoDB_20120810";
	cl->creds = creds;
	cl->stats = stats;
	aws_policy_default(&cl->policy);
	return 0;
}

void
aws_client_clear(struct aws_client *cl)
{
	free(cl->url);
	free(cl->region);
	cl->url = cl->region = NULL;
}

void
aws_call_init(struct aws_call *c, struct aws_client *cl, const char *op)
{
	memset(c, 0, sizeof(*c));
	c->cl = cl;
	c->op = op;
	buf_init(&c->req, AWS_MAX_REQUEST);
}

void
aws_call_cleanup(struct aws_call *c)
{
	if (c->busy)
		aws_call_abort(c);
	buf_free(&c->req);
	http_xfer_cleanup(&c->xfer);
	http_headers_free(c->hdrs);
	c->hdrs = NULL;
}

static void call_send(struct aws_call *);
static void call_done_cb(struct http_xfer *, void *);

/*
 * The message of a call that has been failing for policy.notice_ms: on the
 * log and, through a "retrying" warning, in the pair's status row; again at
 * growing intervals (10 s, doubling, at most AWS_NOTICE_GAP_MAX_MS) while
 * any call of this client keeps failing.
 */
static void
notice_retry(struct aws_call *c, uint64_t elapsed)
{
	struct aws_client *cl = c->cl;
	int64_t now = clock_ms();
	char dur[32], line[1024];

	if (cl->policy.notice_ms == 0 || elapsed < cl->policy.notice_ms)
		return;
	if (!c->noticed) {
		c->noticed = 1;
		if (cl->noticed++ == 0 && !cl->notice_sent)
			cl->notice_since_ms = now - (int64_t)elapsed;
	}
	if (cl->notice_sent && now < cl->notice_next_ms)
		return;
	cl->notice_gap_ms = cl->notice_gap_ms == 0 ? 10000 :
						     cl->notice_gap_ms * 2;
	if (cl->notice_gap_ms > AWS_NOTICE_GAP_MAX_MS)
		cl->notice_gap_ms = AWS_NOTICE_GAP_MAX_MS;
	cl->notice_next_ms = now + (int64_t)cl->notice_gap_ms;
	cl->notice_sent = 1;
	fmt_duration(elapsed, dur, sizeof(dur));
	snprintf(line, sizeof(line),
	    "%s %s at %s failing for %s, still "
	    "retrying: %s: %s",
	    cl->label, c->op, cl->url, dur, c->code, c->msg);
	report_warning("retrying", "%s", line);
}

/*
 * The call no longer retries: when it was the client's last noticed call,
 * the episode is over, and the row must not keep saying "retrying": say
 * it recovered, or gave up (the error itself follows). aborted: the worker
 * is stopping or dropped the call; nothing to say.
 */
static void
notice_end(struct aws_call *c, int aborted)
{
	struct aws_client *cl = c->cl;
	char dur[32], line[1024];

	if (!c->noticed)
		return;
	c->noticed = 0;
	if (--cl->noticed > 0)
		return;
	if (cl->notice_sent && !aborted) {
		fmt_duration((uint64_t)(clock_ms() - cl->notice_since_ms), dur,
		    sizeof(dur));
		if (c->status == AWS_OK)
			snprintf(line, sizeof(line),
			    "%s %s at %s: recovered "
			    "after %s",
			    cl->label, c->op, cl->url, dur);
		else
			snprintf(line, sizeof(line),
			    "%s %s at %s: no longer "
			    "retrying after %s: %s: %s",
			    cl->label, c->op, cl->url, dur, c->code, c->msg);
		report_warning("recovered", "%s", line);
	}
	cl->notice_sent = 0;
	cl->notice_gap_ms = 0;
	cl->notice_next_ms = 0;
}

static void
call_finish(struct aws_call *c)
{
	notice_end(c, 0);
	c->busy = 0;
	c->body = c->xfer.resp.data != NULL ? c->xfer.resp.data : "";
	c->bodylen = c->xfer.resp.len;
	c->done(c, c->arg);
}

static void
call_retry_cb(void *arg)
{
	call_send(arg);
}

/* Sign and send one attempt. */
static void
call_send(struct aws_call *c)
{
	struct aws_client *cl = c->cl;
	const struct creds *cr;
	struct sigv4_header h[5];
	struct sigv4_request sr;
	struct sigv4_creds sc;
	char target[128], amzdate[17], authz[1024], err[512];
	size_t nh = 0;
	int r;

	/* A fleet's fence: nothing goes for a unit whose lease is lost. */
	if (c->fence != NULL &&
	    (r = c->fence(c->fence_arg)) != AWS_FENCE_SEND) {
		if (r == AWS_FENCE_HOLD) {
			http_timer_set(cl->http, &c->timer, 100, call_retry_cb,
			    c);
			return;
		}
		c->status = AWS_STOPPED;
		strlcpy(c->code, "LeaseLost", sizeof(c->code));
		snprintf(c->msg, sizeof(c->msg),
		    "not sent: the lease of its unit was lost");
		call_finish(c);
		return;
	}
	http_headers_free(c->hdrs);
	c->hdrs = NULL;
	http_xfer_cleanup(&c->xfer);
	c->attempt++;
	if (cl->stats != NULL)
		cl->stats->requests++;

	if (creds_get(cl->creds, &cr, err, sizeof(err)) == -1) {
		c->status = http_interrupted() ? AWS_STOPPED : AWS_DENIED;
		strlcpy(c->code, "CredentialsError", sizeof(c->code));
		snprintf(c->msg, sizeof(c->msg), "no credentials: %.480s", err);
		call_finish(c);
		return;
	}
	r = snprintf(target, sizeof(target), "%s.%s", cl->target_prefix, c->op);
	if (r < 0 || (size_t)r >= sizeof(target))
		fatalx("aws: operation name too long");
	sigv4_amz_date(time(NULL), amzdate);

	h[nh++] = (struct sigv4_header){ "content-type",
		"application/x-amz-json-1.0" };
	h[nh++] = (struct sigv4_header){ "host", cl->eu.hosthdr };
	h[nh++] = (struct sigv4_header){ "x-amz-date", amzdate };
	if (cr->session_token != NULL)
		h[nh++] = (struct sigv4_header){ "x-amz-security-token",
			cr->session_token };
	h[nh++] = (struct sigv4_header){ "x-amz-target", target };

	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.path = "/";
	sr.headers = h;
	sr.nheaders = nh;
	sr.body = c->req.data != NULL ? c->req.data : "";
	sr.bodylen = c->req.len;
	sr.normalize_path = 1;
	sc.access_key_id = cr->access_key_id;
	sc.secret_access_key = cr->secret_access_key;
	sc.session_token = cr->session_token;
	if (sigv4_sign(&sr, &sc, cl->region, endpoint_signing_name(cl->svc),
		amzdate, authz, sizeof(authz), NULL) == -1)
		fatalx("aws: signing failed");

	if (http_header_add(&c->hdrs, "Content-Type",
		"application/x-amz-json-1.0") == -1 ||
	    http_header_add(&c->hdrs, "X-Amz-Date", amzdate) == -1 ||
	    http_header_add(&c->hdrs, "X-Amz-Target", target) == -1 ||
	    (cr->session_token != NULL &&
		http_header_add(&c->hdrs, "X-Amz-Security-Token",
		    cr->session_token) == -1) ||
	    http_header_add(&c->hdrs, "Host", cl->eu.hosthdr) == -1 ||
	    http_header_add(&c->hdrs, "Authorization", authz) == -1 ||
	    http_header_add(&c->hdrs, "Accept-Encoding", "identity") == -1 ||
	    http_header_add(&c->hdrs, "User-Agent",
		"ddb-sync/" DDB_SYNC_VERSION) == -1 ||
	    (c->hdrs = curl_slist_append(c->hdrs, "Expect:")) == NULL)
		fatalx("aws: cannot build headers");
	explicit_bzero(authz, sizeof(authz));
	/* Host is set explicitly so that what is sent is what was signed. */

	c->xfer.url = cl->url;
	c->xfer.headers = c->hdrs;
	c->xfer.body = c->req.data != NULL ? c->req.data : "";
	c->xfer.bodylen = c->req.len;
	c->xfer.method = NULL;
	c->xfer.timeout_ms = cl->policy.timeout_ms;
	c->xfer.connect_timeout_ms = cl->policy.connect_timeout_ms;
	c->xfer.max_response = aws_response_cap(c->op, c->req.len);
	if (http_start(cl->http, &c->xfer, call_done_cb, c) == -1) {
		c->status = AWS_TRANSIENT;
		strlcpy(c->code, "ClientError", sizeof(c->code));
		strlcpy(c->msg, "cannot start HTTP transfer", sizeof(c->msg));
		http_timer_set(cl->http, &c->timer, 1000, call_retry_cb, c);
	}
}

/* Error code and message from headers and a JSON error body. */
static void
parse_error(struct aws_call *c)
{
	cJSON *j, *t, *m;
	const char *raw = NULL;
	char code[sizeof(c->code)];

	c->code[0] = '\0';
	c->msg[0] = '\0';
	j = cJSON_ParseWithLength(c->xfer.resp.data ? c->xfer.resp.data : "",
	    c->xfer.resp.len);
	if (c->xfer.errtype[0] != '\0')
		raw = c->xfer.errtype;
	else if (j != NULL) {
		t = cJSON_GetObjectItemCaseSensitive(j, "code");
		if (!cJSON_IsString(t))
			t = cJSON_GetObjectItemCaseSensitive(j, "__type");
		if (cJSON_IsString(t))
			raw = t->valuestring;
	}
	if (raw != NULL) {
		retry_sanitize_code(raw, strlen(raw), code, sizeof(code));
		fmt_printable_str(c->code, sizeof(c->code), code);
	}
	if (j != NULL) {
		m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(m))
			m = cJSON_GetObjectItemCaseSensitive(j, "Message");
		if (cJSON_IsString(m))
			fmt_printable_str(c->msg, sizeof(c->msg),
			    m->valuestring);
	}
	cJSON_Delete(j);
	if (c->code[0] == '\0')
		snprintf(c->code, sizeof(c->code), "HTTP%ld", c->http_status);
	if (c->msg[0] == '\0')
		snprintf(c->msg, sizeof(c->msg), "HTTP status %ld",
		    c->http_status);
}

static int
crc_ok(struct http_xfer *x)
{
	unsigned long want, got;
	char *end;

	if (x->crc32[0] == '\0')
		return 1; /* absent: nothing to check */
	want = strtoul(x->crc32, &end, 10);
	if (*end != '\0')
		return 0;
	got = crc32(0L, (const Bytef *)(x->resp.data ? x->resp.data : ""),
	    (uInt)x->resp.len);
	return want == got;
}

/* What a transport failure means, for the operator: code and message. */
static void
transport_error(struct aws_call *c, struct http_xfer *x)
{
	struct aws_client *cl = c->cl;
	char raw[1024];

	if (x->overflow) {
		strlcpy(c->code, "ResponseTooLarge", sizeof(c->code));
		snprintf(raw, sizeof(raw),
		    "the answer to %s from %s was "
		    "longer than %zu bytes, the most this operation can "
		    "return; not read further",
		    c->op, cl->url, x->max_response);
	} else if (retry_tls_untrusted(x->curl_code)) {
		strlcpy(c->code, "TLSCertificateNotTrusted", sizeof(c->code));
		snprintf(raw, sizeof(raw),
		    "the TLS certificate of %s was "
		    "refused: %s (%s)",
		    cl->url, x->curl_err, retry_tls_hint(x->tls_verify));
	} else if (retry_classify_transport(x->curl_code) == AWS_FATAL) {
		strlcpy(c->code, "TLSSetupError", sizeof(c->code));
		snprintf(raw, sizeof(raw), "cannot talk to %s: %s", cl->url,
		    x->curl_err);
	} else {
		strlcpy(c->code, "NetworkError", sizeof(c->code));
		snprintf(raw, sizeof(raw), "%s", x->curl_err);
	}
	fmt_printable_str(c->msg, sizeof(c->msg), raw);
}

/* An error message may quote the request, token included (a signature
 * mismatch): never let one of ours through. */
static void
withhold_secrets(struct aws_call *c)
{
	const struct creds *cr;
	const char *secrets[2];
	char err[256];

	if (creds_get(c->cl->creds, &cr, err, sizeof(err)) == -1)
		return;
	secrets[0] = cr->secret_access_key;
	secrets[1] = cr->session_token;
	fmt_withhold_secrets(c->msg, sizeof(c->msg), secrets, 2);
}

int64_t
aws_server_ms(const struct aws_client *cl)
{
	return wall_ms() + cl->server_offset_ms;
}

int
aws_server_offset(const struct aws_client *cl, int64_t *offset_ms)
{
	*offset_ms = cl->server_offset_ms;
	return cl->server_offset_known;
}

/* Date is the server's second, truncated: its middle is the estimate. */
static void
server_clock(struct aws_client *cl, const struct http_xfer *x)
{
	int64_t d;

	if (x->date[0] == '\0' || http_date_parse(x->date, &d) == -1)
		return;
	cl->server_offset_ms = d + 500 - wall_ms();
	cl->server_offset_known = 1;
}

static void
call_done_cb(struct http_xfer *x, void *arg)
{
	struct aws_call *c = arg;
	struct aws_client *cl = c->cl;
	struct aws_policy *p = &cl->policy;
	int transport = x->curl_code != CURLE_OK;
	int crcbad = 0;
	uint64_t delay, elapsed;
	char err[256];

	c->http_status = x->status;
	c->code[0] = c->msg[0] = '\0';
	if (x->status != 0)
		server_clock(cl, x);
	if (transport)
		transport_error(c, x);
	else if (x->status != 200) {
		parse_error(c);
		withhold_secrets(c);
	} else if (!crc_ok(x)) {
		crcbad = 1;
		strlcpy(c->code, "CRC32CheckFailed", sizeof(c->code));
		strlcpy(c->msg, "response x-amz-crc32 does not match the body",
		    sizeof(c->msg));
	}
	/* An answer over its cap is an outage (a broken proxy, a hostile
	 * endpoint), not a reason to allocate more. */
	c->status = transport ? retry_classify_transport(x->curl_code) :
				retry_classify(x->status, 0, crcbad, c->code);
	if (transport && x->overflow && c->overflow_to_caller)
		c->status = AWS_STATE;

	switch (c->status) {
	case AWS_OK:
		call_finish(c);
		return;
	case AWS_EXPIRED_CREDS:
		log_info("%s %s: credentials expired, refreshing", cl->label,
		    c->op);
		if (creds_refresh(cl->creds, err, sizeof(err)) == -1)
			snprintf(c->msg, sizeof(c->msg),
			    "credentials expired and refresh failed: %s", err);
		else if (!c->refreshed) {
			/* The usual case: new credentials, retry at once. */
			c->refreshed = 1;
			if (cl->stats != NULL)
				cl->stats->retries++;
			c->attempt--; /* a refresh is not a failed attempt */
			call_send(c);
			return;
		}
		/* Still expired, or no fresh ones yet: a credentials source
		 * that lags heals with time, so back off like an outage. */
		/* FALLTHROUGH */
	case AWS_THROTTLED:
	case AWS_TRANSIENT:
		elapsed = (uint64_t)(clock_ms() - c->first_ms);
		if (c->give_up_ms > 0 && elapsed >= c->give_up_ms)
			break;
		if (c->status != AWS_THROTTLED &&
		    ((p->max_attempts > 0 && c->attempt >= p->max_attempts) ||
			elapsed >= p->budget_ms))
			break;
		if (c->status == AWS_THROTTLED)
			c->throttled++;
		else
			c->transient++;
		if (cl->stats != NULL) {
			cl->stats->retries++;
			if (c->status == AWS_THROTTLED)
				cl->stats->throttles++;
			else
				cl->stats->transient++;
		}
		delay = retry_backoff_ms(c->attempt,
		    c->status == AWS_THROTTLED ? p->throttle_base_ms :
						 p->base_ms,
		    p->cap_ms, retry_random());
		if (c->give_up_ms > 0 && elapsed + delay > c->give_up_ms)
			delay = c->give_up_ms - elapsed;
		/* Try again when the notice is due, so it comes on time and
		 * with a fresh reason. */
		if ((c->status != AWS_THROTTLED || c->give_up_ms > 0) &&
		    p->notice_ms > 0 && elapsed < p->notice_ms &&
		    elapsed + delay > p->notice_ms)
			delay = p->notice_ms - elapsed;
		log_debug("%s %s: %s (%s), retry %u in %llu ms", cl->label,
		    c->op, c->code, c->msg, c->attempt,
		    (unsigned long long)delay);
		/* Throttling has its own warning (worker.c), except in
		 * the preflight, where nothing else would say it. */
		if (c->status != AWS_THROTTLED || c->give_up_ms > 0)
			notice_retry(c, elapsed);
		http_timer_set(cl->http, &c->timer, (int64_t)delay,
		    call_retry_cb, c);
		return;
	default:
		break;
	}
	call_finish(c);
}

void
aws_call_start(struct aws_call *c, aws_done_fn done, void *arg)
{
	c->done = done;
	c->arg = arg;
	c->attempt = 0;
	c->throttled = c->transient = 0;
	c->refreshed = 0;
	c->busy = 1;
	c->first_ms = clock_ms();
	c->status = AWS_OK;
	call_send(c);
}

void
aws_call_abort(struct aws_call *c)
{
	if (!c->busy)
		return;
	notice_end(c, 1);
	http_timer_cancel(c->cl->http, &c->timer);
	http_abort(c->cl->http, &c->xfer);
	c->busy = 0;
}

static void
sync_done_cb(struct aws_call *c, void *arg)
{
	int *flag = arg;

	*flag = 1;
}

enum aws_status
aws_call_sync(struct aws_call *c)
{
	int done = 0;

	aws_call_start(c, sync_done_cb, &done);
	while (!done) {
		if (http_interrupted()) {
			aws_call_abort(c);
			c->status = AWS_STOPPED;
			strlcpy(c->code, "Stopped", sizeof(c->code));
			strlcpy(c->msg, "interrupted: the worker is stopping",
			    sizeof(c->msg));
			break;
		}
		http_run(c->cl->http, 100);
	}
	return c->status;
}

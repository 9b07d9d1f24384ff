/* http.c: drive many HTTP transfers with one libcurl multi handle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "log.h"
#include "xmalloc.h"
#include "xtime.h"

#define HTTP_POOL_MAX 128

struct http {
	CURLM *multi;
	int running;
	struct http_timer *timers; /* sorted by due */
	CURL *pool[HTTP_POOL_MAX]; /* idle easy handles */
	int npool;
	const char *ca_bundle;
};

static int http_global_init;
static volatile sig_atomic_t *http_interrupt;

void
http_set_interrupt(volatile sig_atomic_t *flag)
{
	http_interrupt = flag;
}

int
http_interrupted(void)
{
	return http_interrupt != NULL && *http_interrupt;
}

int
http_header_add(struct curl_slist **l, const char *name, const char *value)
{
	struct curl_slist *n;
	char *line;
	int len;

	len = xasprintf(&line, "%s: %s", name, value);
	n = curl_slist_append(*l, line);
	explicit_bzero(line, (size_t)len);
	free(line);
	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

void
http_headers_free(struct curl_slist *l)
{
	for (struct curl_slist *s = l; s != NULL; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(l);
}

struct http *
http_new(void)
{
	struct http *h;
	const char *ca;

	if (!http_global_init) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatalx("curl_global_init failed");
		http_global_init = 1;
	}
	h = xcalloc(1, sizeof(*h));
	if ((h->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	/* Keep idle connections for reuse across many in-flight requests. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 256L);
	ca = getenv("AWS_CA_BUNDLE");
	if (ca != NULL && *ca != '\0')
		h->ca_bundle = ca;
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	for (int i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	curl_multi_cleanup(h->multi);
	free(h);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	if (buf_add(&x->resp, ptr, n) == -1) {
		/* Over the cap: stop reading rather than grow (an endless or
		 * hostile body); curl fails the transfer. */
		x->overflow = 1;
		return 0;
	}
	return n;
}

static void
copy_header_value(char *dst, size_t dstlen, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (
	    n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;
	const char *colon = memchr(ptr, ':', n);
	size_t nl;

	if (colon == NULL)
		return n;
	nl = (size_t)(colon - ptr);
	colon++;
	if (nl == 11 && strncasecmp(ptr, "x-amz-crc32", 11) == 0)
		copy_header_value(x->crc32, sizeof(x->crc32), colon,
		    n - nl - 1);
	else if (nl == 16 && strncasecmp(ptr, "x-amzn-ErrorType", 16) == 0)
		copy_header_value(x->errtype, sizeof(x->errtype), colon,
		    n - nl - 1);
	else if (nl == 16 && strncasecmp(ptr, "x-amzn-RequestId", 16) == 0)
		copy_header_value(x->reqid, sizeof(x->reqid), colon,
		    n - nl - 1);
	else if (nl == 4 && strncasecmp(ptr, "Date", 4) == 0)
		copy_header_value(x->date, sizeof(x->date), colon, n - nl - 1);
	return n;
}

/* An easy handle back to the pool, reset; freed when the pool is full. */
static void
pool_put(struct http *h, CURL *e)
{
	curl_easy_reset(e);
	if (h->npool < HTTP_POOL_MAX)
		h->pool[h->npool++] = e;
	else
		curl_easy_cleanup(e);
}

int
http_date_parse(const char *s, int64_t *ms)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4], gmt[4];
	int d, y, hh, mm, ss, n = 0;
	const char *m;
	struct tm tm;
	time_t t;

	/* Not strptime: its %b follows the locale. */
	if (strlen(s) < 29 || s[3] != ',' ||
	    sscanf(s + 4, " %2d %3s %4d %2d:%2d:%2d %3s%n", &d, mon, &y, &hh,
		&mm, &ss, gmt, &n) != 7 ||
	    s[4 + n] != '\0' || strcmp(gmt, "GMT") != 0 || strlen(mon) != 3 ||
	    (m = strstr(months, mon)) == NULL || (m - months) % 3 != 0 ||
	    d < 1 || d > 31 || y < 1970 || hh > 23 || mm > 59 || ss > 60 ||
	    hh < 0 || mm < 0 || ss < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

int
http_start(struct http *h, struct http_xfer *x, http_done_fn done, void *arg)
{
	CURL *e;

	if (h->npool > 0)
		e = h->pool[--h->npool];
	else if ((e = curl_easy_init()) == NULL)
		return -1;
	x->done = done;
	x->arg = arg;
	x->status = 0;
	x->curl_code = 0;
	x->curl_err[0] = '\0';
	x->crc32[0] = x->errtype[0] = x->reqid[0] = x->date[0] = '\0';
	x->overflow = 0;
	buf_init(&x->resp,
	    x->max_response ? x->max_response : HTTP_DEFAULT_MAX_RESPONSE);
	x->easy = e;

	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (x->noproxy)
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	if (h->ca_bundle != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_bundle);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    x->timeout_ms > 0 ? x->timeout_ms : 60000L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    x->connect_timeout_ms > 0 ? x->connect_timeout_ms : 10000L);
	if (x->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->bodylen);
	}
	if (x->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		pool_put(h, e);
		x->easy = NULL;
		buf_free(&x->resp);
		return -1;
	}
	x->active = 1;
	h->running++;
	return 0;
}

static void
release_easy(struct http *h, struct http_xfer *x)
{
	CURL *e = x->easy;

	curl_multi_remove_handle(h->multi, e);
	pool_put(h, e);
	x->easy = NULL;
	x->active = 0;
	h->running--;
}

void
http_abort(struct http *h, struct http_xfer *x)
{
	if (!x->active)
		return;
	release_easy(h, x);
	buf_free(&x->resp);
}

void
http_xfer_cleanup(struct http_xfer *x)
{
	buf_free(&x->resp);
}

void
http_timer_set(struct http *h, struct http_timer *t, int64_t delay_ms,
    http_timer_fn fn, void *arg)
{
	struct http_timer **pp;

	if (t->armed)
		http_timer_cancel(h, t);
	t->due = clock_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->arg = arg;
	for (pp = &h->timers; *pp != NULL && (*pp)->due <= t->due;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = 1;
}

void
http_timer_cancel(struct http *h, struct http_timer *t)
{
	struct http_timer **pp;

	if (!t->armed)
		return;
	for (pp = &h->timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = 0;
	t->next = NULL;
}

static void
run_timers(struct http *h)
{
	int64_t now = clock_ms();
	struct http_timer *t;

	while ((t = h->timers) != NULL && t->due <= now) {
		h->timers = t->next;
		t->next = NULL;
		t->armed = 0;
		t->fn(t->arg);
	}
}

int
http_run(struct http *h, int max_wait_ms)
{
	CURLMsg *m;
	int still, left, wait = max_wait_ms;

	if (h->timers != NULL) {
		int64_t d = h->timers->due - clock_ms();

		if (d < 0)
			d = 0;
		if (d < wait)
			wait = (int)d;
	}
	if (h->running > 0) {
		long ct = -1;

		curl_multi_perform(h->multi, &still);
		curl_multi_timeout(h->multi, &ct);
		if (ct >= 0 && ct < wait)
			wait = (int)ct;
		/*
		 * A transfer that just finished waits in the info queue: hand
		 * it over now, or its successor would only start after some
		 * other socket's activity or the whole wait (a fast endpoint
		 * showed 250 ms stalls between bursts).
		 */
		if (still < h->running)
			wait = 0;
		if (wait > 0)
			curl_multi_poll(h->multi, NULL, 0, wait, NULL);
		curl_multi_perform(h->multi, &still);
	} else if (wait > 0) {
		/* Nothing on the network: just wait for the next timer. */
		curl_multi_poll(h->multi, NULL, 0, wait, NULL);
	}
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		x->curl_code = (int)m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
		    &x->status);
		x->tls_verify = 0;
		if (x->curl_code != CURLE_OK)
			curl_easy_getinfo(m->easy_handle,
			    CURLINFO_SSL_VERIFYRESULT, &x->tls_verify);
		if (x->curl_code != CURLE_OK && x->curl_err[0] == '\0')
			strlcpy(x->curl_err, curl_easy_strerror(m->data.result),
			    sizeof(x->curl_err));
		release_easy(h, x);
		x->done(x, x->arg);
	}
	run_timers(h);
	return h->running;
}

int
http_running(struct http *h)
{
	return h->running;
}

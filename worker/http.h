/* http.h: libcurl multi driver: many transfers in flight, plus timers. */
#ifndef HTTP_H
#define HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct http;
struct curl_slist;

struct http_xfer;
typedef void (*http_done_fn)(struct http_xfer *, void *arg);

struct http_xfer {
	/* Request, set by the caller; must stay valid until done. */
	const char *url;
	struct curl_slist *headers;
	const char *body; /* POST body, sent as is (not copied) */
	size_t bodylen;
	const char *method; /* NULL = POST when body, else GET */
	long timeout_ms;
	long connect_timeout_ms;
	size_t max_response; /* 0: the default cap */
	int noproxy;	     /* never through a proxy (metadata) */

	/* Response. */
	struct buf resp;
	long status;   /* HTTP status, 0 if none */
	int curl_code; /* CURLE_OK or the failure */
	char curl_err[256];
	long tls_verify;   /* CURLINFO_SSL_VERIFYRESULT */
	char crc32[16];	   /* x-amz-crc32, "" if absent */
	char errtype[128]; /* x-amzn-ErrorType */
	char reqid[96];	   /* x-amzn-RequestId */
	char date[40];	   /* Date: the server's clock, "" if
					   absent */
	int overflow;	   /* response exceeded max_response:
					   curl_code is then CURLE_WRITE_ERROR
					   and no more of it was kept */

	/* Internal. */
	void *easy;
	http_done_fn done;
	void *arg;
	int active;
};

struct http_timer;
typedef void (*http_timer_fn)(void *arg);
struct http_timer {
	int64_t due; /* clock_ms() */
	http_timer_fn fn;
	void *arg;
	struct http_timer *next;
	int armed;
};

/* The response cap when a transfer sets none. */
#define HTTP_DEFAULT_MAX_RESPONSE (16u * 1024 * 1024)

struct http *http_new(void);
void http_free(struct http *);

/* Start a transfer; done(xfer, arg) is called from http_run(). 0 or -1. */
int http_start(struct http *, struct http_xfer *, http_done_fn, void *);
/* Abort a running transfer without calling done. */
void http_abort(struct http *, struct http_xfer *);
/* Release a transfer's response memory. */
void http_xfer_cleanup(struct http_xfer *);

void http_timer_set(struct http *, struct http_timer *, int64_t delay_ms,
    http_timer_fn, void *);
void http_timer_cancel(struct http *, struct http_timer *);

/*
 * Wait up to max_wait_ms for network activity or a timer, then run
 * callbacks of finished transfers and due timers. Returns the number of
 * transfers still running.
 */
int http_run(struct http *, int max_wait_ms);
int http_running(struct http *);

/*
 * A flag (the worker's SIGINT/SIGTERM flag) that synchronous waits on the
 * network poll: aws_call_sync(), the credential fetches and their backoff
 * sleeps give up within about 100 ms once it is set. NULL: never.
 */
void http_set_interrupt(volatile sig_atomic_t *);
int http_interrupted(void);

/*
 * An HTTP Date (RFC 7231 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT")
 * in epoch ms: 0, or -1 if it is not one.
 */
int http_date_parse(const char *, int64_t *ms);

/*
 * Header lists: append "name: value" (the temporary line is wiped; 0 or -1),
 * and free a list after wiping every line, since lists carry Authorization
 * and X-Amz-Security-Token.
 */
int http_header_add(struct curl_slist **, const char *name, const char *value);
void http_headers_free(struct curl_slist *);

#endif

/* fakehttp.h: a scripted HTTP/1.1 server on 127.0.0.1 for unit tests. */
#ifndef FAKEHTTP_H
#define FAKEHTTP_H

#include <stddef.h>

/*
 * One thread accepts connections on 127.0.0.1:<ephemeral>, answers each
 * request from a script keyed by method and path (query included), records
 * what it received, and closes the connection after every answer
 * ("Connection: close"), so clients holding idle connections never block
 * it. Requests without a scripted route get 404.
 */
struct fakehttp;

struct fakehttp_req {
	char method[16];
	char path[1024];
	char *head; /* "Name: value\r\n" lines, NUL-terminated */
	char *body; /* NUL-terminated */
	size_t bodylen;
};

#define FAKEHTTP_CLOSE (-1) /* status: close without answering */

struct fakehttp *fakehttp_start(void);
void fakehttp_stop(struct fakehttp *);
/* "http://127.0.0.1:<port>" */
const char *fakehttp_url(const struct fakehttp *);

/*
 * Script an answer for method + path. Answers for one route are given in
 * the order queued; the last one is then repeated. headers: extra lines
 * ("Name: value\r\n") or NULL. delay_ms: wait before answering.
 */
void fakehttp_add(struct fakehttp *, const char *method, const char *path,
    int status, const char *body);
void fakehttp_add_full(struct fakehttp *, const char *method, const char *path,
    int status, const char *headers, const char *body, int delay_ms);
/*
 * Requests to method + path lacking header "name: value" are answered 401
 * and still recorded (the IMDSv2 session-token rule).
 */
void fakehttp_require(struct fakehttp *, const char *method, const char *path,
    const char *name, const char *value);
/*
 * A handler answers in place of the script when it returns 1, from the
 * request as received (on the server thread, outside the fake's lock):
 * status, a body (malloc'd; the fake frees it) and a delay. Returning 0
 * leaves the request to the script. NULL removes it.
 */
struct fakehttp_reply {
	int status;
	char *body;
	int delay_ms;
};
typedef int (*fakehttp_handler_fn)(const struct fakehttp_req *,
    struct fakehttp_reply *, void *arg);
void fakehttp_set_handler(struct fakehttp *, fakehttp_handler_fn, void *arg);
/* Forget the script and the recorded requests. */
void fakehttp_reset(struct fakehttp *);

/* Recorded requests; call only while no request is in flight. */
size_t fakehttp_count(struct fakehttp *);
const struct fakehttp_req *fakehttp_req(struct fakehttp *, size_t i);
/* Requests recorded for method + path. */
size_t fakehttp_count_route(struct fakehttp *, const char *method,
    const char *path);
/* The value of header name in r (copied to out), or NULL if absent. */
const char *fakehttp_header(const struct fakehttp_req *, const char *name,
    char *out, size_t outlen);

#endif

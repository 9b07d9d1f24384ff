/* fakehttp.c: scripted loopback HTTP server thread for unit tests. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fakehttp.h"

#define FAKE_MAX_ROUTES	 32
#define FAKE_MAX_ANSWERS 16
#define FAKE_MAX_REQS	 256
#define FAKE_MAX_HEAD	 (64 * 1024)
/* BatchWriteItem bodies reach the 16 MB limit. */
#define FAKE_MAX_BODY	   (24 * 1024 * 1024)
#define FAKE_IO_TIMEOUT_MS 5000

struct fake_answer {
	int status;
	char *headers;
	char *body;
	int delay_ms;
};

struct fake_route {
	char *method;
	char *path;
	char *req_name; /* required header, or NULL */
	char *req_value;
	struct fake_answer ans[FAKE_MAX_ANSWERS];
	int nans;
	int next;
};

struct fakehttp {
	int lfd;
	int wake[2];
	char url[64];
	pthread_t thread;
	pthread_mutex_t mu;
	struct fake_route routes[FAKE_MAX_ROUTES];
	int nroutes;
	struct fakehttp_req reqs[FAKE_MAX_REQS];
	size_t nreqs;
	fakehttp_handler_fn handler;
	void *handler_arg;
};

static void *
xalloc(size_t n)
{
	void *p = calloc(1, n);

	if (p == NULL)
		abort();
	return p;
}

static char *
dupstr(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();
	return p;
}

/* Wait until fd is readable, or the stop pipe fires. 1 ready, 0 not. */
static int
wait_readable(struct fakehttp *f, int fd, int timeout_ms)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { f->wake[0], POLLIN, 0 } };

	if (poll(p, 2, timeout_ms) <= 0 || (p[1].revents & POLLIN))
		return 0;
	return 1;
}

static void
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return; /* the client gave up; nothing to tell */
		}
		s += w;
		n -= (size_t)w;
	}
}

static const char *
find_header(const char *head, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = head;

	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			*vlen = (size_t)(p + ll - v);
			while (*vlen > 0 &&
			    (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
				(*vlen)--;
			return v;
		}
		if (eol == NULL)
			break;
		p = eol + 2;
	}
	return NULL;
}

const char *
fakehttp_header(const struct fakehttp_req *r, const char *name, char *out,
    size_t outlen)
{
	size_t n;
	const char *v = find_header(r->head, name, &n);

	if (v == NULL || outlen == 0)
		return NULL;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

static struct fake_route *
route_get(struct fakehttp *f, const char *method, const char *path, int create)
{
	struct fake_route *r;

	for (int i = 0; i < f->nroutes; i++) {
		r = &f->routes[i];
		if (strcmp(r->method, method) == 0 &&
		    strcmp(r->path, path) == 0)
			return r;
	}
	if (!create)
		return NULL;
	if (f->nroutes == FAKE_MAX_ROUTES)
		abort();
	r = &f->routes[f->nroutes++];
	memset(r, 0, sizeof(*r));
	r->method = dupstr(method);
	r->path = dupstr(path);
	return r;
}

/* Read one request, record it, answer it from the script. */
static void
serve(struct fakehttp *f, int fd)
{
	char *head = xalloc(FAKE_MAX_HEAD + 1), *body = NULL, *eoh = NULL;
	size_t hl = 0, bl = 0, clen = 0, vl;
	struct fakehttp_req *rq = NULL, cur;
	struct fakehttp_reply rep;
	fakehttp_handler_fn handler;
	void *handler_arg;
	struct fake_route *rt;
	struct fake_answer ans = { 404, NULL, NULL, 0 };
	char method[16], path[1024], line[512], *resp = NULL;
	const char *v;
	ssize_t r;
	int n;

	while (eoh == NULL) {
		if (hl == FAKE_MAX_HEAD ||
		    !wait_readable(f, fd, FAKE_IO_TIMEOUT_MS))
			goto out;
		if ((r = recv(fd, head + hl, FAKE_MAX_HEAD - hl, 0)) <= 0)
			goto out;
		hl += (size_t)r;
		head[hl] = '\0';
		eoh = strstr(head, "\r\n\r\n");
	}
	if (sscanf(head, "%15s %1023s", method, path) != 2)
		goto out;
	if ((v = find_header(head, "Content-Length", &vl)) != NULL)
		clen = strtoul(v, NULL, 10);
	if (clen > FAKE_MAX_BODY)
		goto out;
	body = xalloc(clen + 1);
	bl = hl - (size_t)(eoh + 4 - head);
	if (bl > clen)
		bl = clen;
	memcpy(body, eoh + 4, bl);
	if (bl < clen && (v = find_header(head, "Expect", &vl)) != NULL &&
	    vl == 12 && strncasecmp(v, "100-continue", 12) == 0)
		send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	while (bl < clen) {
		if (!wait_readable(f, fd, FAKE_IO_TIMEOUT_MS))
			goto out;
		if ((r = recv(fd, body + bl, clen - bl, 0)) <= 0)
			goto out;
		bl += (size_t)r;
	}
	eoh[2] = '\0'; /* keep the header lines, drop the blank line */

	memset(&cur, 0, sizeof(cur));
	snprintf(cur.method, sizeof(cur.method), "%s", method);
	snprintf(cur.path, sizeof(cur.path), "%s", path);
	cur.head = strstr(head, "\r\n");
	cur.head = cur.head != NULL ? cur.head + 2 : eoh + 2;
	cur.body = body;
	cur.bodylen = bl;
	pthread_mutex_lock(&f->mu);
	handler = f->handler;
	handler_arg = f->handler_arg;
	if (f->nreqs < FAKE_MAX_REQS) {
		const char *h1 = strstr(head, "\r\n");

		rq = &f->reqs[f->nreqs++];
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		snprintf(rq->path, sizeof(rq->path), "%s", path);
		rq->head = dupstr(h1 != NULL ? h1 + 2 : "");
		rq->body = body;
		rq->bodylen = bl;
		body = NULL;
	}
	if ((rt = route_get(f, method, path, 0)) != NULL && rt->nans > 0) {
		size_t have = 0;

		v = rt->req_name != NULL ?
		    find_header(head, rt->req_name, &have) :
		    NULL;
		if (rt->req_name != NULL &&
		    (v == NULL || have != strlen(rt->req_value) ||
			memcmp(v, rt->req_value, have) != 0)) {
			ans.status = 401;
		} else {
			struct fake_answer *a = &rt->ans[rt->next];

			if (rt->next + 1 < rt->nans)
				rt->next++;
			ans.status = a->status;
			ans.headers = dupstr(a->headers);
			ans.body = dupstr(a->body);
			ans.delay_ms = a->delay_ms;
		}
	}
	pthread_mutex_unlock(&f->mu);
	/* The body is the recorded one, kept until fakehttp_reset(). */
	if (rq != NULL)
		cur.body = rq->body;
	memset(&rep, 0, sizeof(rep));
	if (handler != NULL && handler(&cur, &rep, handler_arg)) {
		free(ans.headers);
		free(ans.body);
		ans.status = rep.status;
		ans.headers = NULL;
		ans.body = rep.body;
		ans.delay_ms = rep.delay_ms;
	}

	if (ans.delay_ms > 0) {
		struct pollfd w = { f->wake[0], POLLIN, 0 };

		if (poll(&w, 1, ans.delay_ms) > 0)
			goto out; /* stopping */
	}
	if (ans.status == FAKEHTTP_CLOSE)
		goto out;
	{
		const char *b = ans.body != NULL ? ans.body : "";
		size_t blen = strlen(b);

		n = snprintf(line, sizeof(line),
		    "HTTP/1.1 %d Scripted\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n",
		    ans.status, blen);
		if (n < 0 || (size_t)n >= sizeof(line))
			goto out;
		resp = xalloc((size_t)n +
		    (ans.headers != NULL ? strlen(ans.headers) : 0) + 2 + blen +
		    1);
		memcpy(resp, line, (size_t)n);
		if (ans.headers != NULL) {
			memcpy(resp + n, ans.headers, strlen(ans.headers));
			n += (int)strlen(ans.headers);
		}
		memcpy(resp + n, "\r\n", 2);
		memcpy(resp + n + 2, b, blen);
		send_all(fd, resp, (size_t)n + 2 + blen);
	}
out:
	shutdown(fd, SHUT_WR);
	free(resp);
	free(ans.headers);
	free(ans.body);
	free(body);
	free(head);
}

static void *
server_main(void *arg)
{
	struct fakehttp *f = arg;
	int fd;

	for (;;) {
		if (!wait_readable(f, f->lfd, -1))
			break;
		fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		serve(f, fd);
		close(fd);
	}
	return NULL;
}

struct fakehttp *
fakehttp_start(void)
{
	struct fakehttp *f = xalloc(sizeof(*f));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
		-1 ||
	    bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(f->lfd, 16) == -1 ||
	    getsockname(f->lfd, (struct sockaddr *)&sin, &sl) == -1 ||
	    pipe2(f->wake, O_CLOEXEC) == -1)
		abort();
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d",
	    ntohs(sin.sin_port));
	pthread_mutex_init(&f->mu, NULL);
	if (pthread_create(&f->thread, NULL, server_main, f) != 0)
		abort();
	return f;
}

void
fakehttp_reset(struct fakehttp *f)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->nroutes; i++) {
		struct fake_route *r = &f->routes[i];

		for (int j = 0; j < r->nans; j++) {
			free(r->ans[j].headers);
			free(r->ans[j].body);
		}
		free(r->method);
		free(r->path);
		free(r->req_name);
		free(r->req_value);
	}
	f->nroutes = 0;
	for (size_t i = 0; i < f->nreqs; i++) {
		free(f->reqs[i].head);
		free(f->reqs[i].body);
	}
	f->nreqs = 0;
	pthread_mutex_unlock(&f->mu);
}

void
fakehttp_stop(struct fakehttp *f)
{
	if (f == NULL)
		return;
	if (write(f->wake[1], "x", 1) != 1)
		abort();
	pthread_join(f->thread, NULL);
	fakehttp_reset(f);
	pthread_mutex_destroy(&f->mu);
	close(f->lfd);
	close(f->wake[0]);
	close(f->wake[1]);
	free(f);
}

const char *
fakehttp_url(const struct fakehttp *f)
{
	return f->url;
}

void
fakehttp_add_full(struct fakehttp *f, const char *method, const char *path,
    int status, const char *headers, const char *body, int delay_ms)
{
	struct fake_route *r;
	struct fake_answer *a;

	pthread_mutex_lock(&f->mu);
	r = route_get(f, method, path, 1);
	if (r->nans == FAKE_MAX_ANSWERS)
		abort();
	a = &r->ans[r->nans++];
	a->status = status;
	a->headers = dupstr(headers);
	a->body = dupstr(body);
	a->delay_ms = delay_ms;
	pthread_mutex_unlock(&f->mu);
}

void
fakehttp_add(struct fakehttp *f, const char *method, const char *path,
    int status, const char *body)
{
	fakehttp_add_full(f, method, path, status, NULL, body, 0);
}

void
fakehttp_set_handler(struct fakehttp *f, fakehttp_handler_fn fn, void *arg)
{
	pthread_mutex_lock(&f->mu);
	f->handler = fn;
	f->handler_arg = arg;
	pthread_mutex_unlock(&f->mu);
}

void
fakehttp_require(struct fakehttp *f, const char *method, const char *path,
    const char *name, const char *value)
{
	struct fake_route *r;

	pthread_mutex_lock(&f->mu);
	r = route_get(f, method, path, 1);
	free(r->req_name);
	free(r->req_value);
	r->req_name = dupstr(name);
	r->req_value = dupstr(value);
	pthread_mutex_unlock(&f->mu);
}

size_t
fakehttp_count(struct fakehttp *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->nreqs;
	pthread_mutex_unlock(&f->mu);
	return n;
}

const struct fakehttp_req *
fakehttp_req(struct fakehttp *f, size_t i)
{
	const struct fakehttp_req *r = NULL;

	pthread_mutex_lock(&f->mu);
	if (i < f->nreqs)
		r = &f->reqs[i];
	pthread_mutex_unlock(&f->mu);
	return r;
}

size_t
fakehttp_count_route(struct fakehttp *f, const char *method, const char *path)
{
	size_t n = 0;

	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->nreqs; i++)
		if (strcmp(f->reqs[i].method, method) == 0 &&
		    strcmp(f->reqs[i].path, path) == 0)
			n++;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* fakeddb.c: a fast in-memory DynamoDB endpoint that answers after a delay. */
#include <sys/types.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/*
 * Shows what ddb-sync does against a distant service: real AWS is
 * milliseconds away, DynamoDB Local microseconds. It stores nothing: Scan
 * serves a virtual table of N items of about 1 KB in pages of the requested
 * Limit, BatchWriteItem counts the puts it receives and answers that all
 * were written. Written in C with libevent so that the endpoint, not the
 * client under test, is never the bottleneck.
 *
 *   fakeddb PORTFILE DELAY_MS ITEMS [WRITE_CEILING]
 *   GET /__stats -> {"written":n,"scanned":n,"requests":n}
 *
 * WRITE_CEILING (items/s, 0 or absent: none) makes BatchWriteItem a
 * server of that rate behind the delay: requests queue for their turn, so
 * more in flight than the ceiling needs only adds latency, as on a real
 * endpoint (the capacity governor's benchmark, bench/governor.sh).
 */

static struct event_base *base;
static long delay_ms;
static long nitems;
static double ceiling;	  /* writes/s, 0: none */
static double busy_until; /* ms, monotonic: the writer's queue */
static unsigned long long written, scanned, requests;
static const char pad[] =
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnop"
    "qrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdef"
    "ghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv"
    "wxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
    "mnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab"
    "cdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr"
    "stuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh"
    "ijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx";

struct pending {
	struct evhttp_request *req;
	struct evbuffer *body;
	int status;
};

static void
send_cb(evutil_socket_t fd __attribute__((unused)),
    short what __attribute__((unused)), void *arg)
{
	struct pending *p = arg;

	evhttp_add_header(evhttp_request_get_output_headers(p->req),
	    "Content-Type", "application/x-amz-json-1.0");
	evhttp_send_reply(p->req, p->status,
	    p->status == 200 ? "OK" : "Bad Request", p->body);
	evbuffer_free(p->body);
	free(p);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
reply_after(struct evhttp_request *req, struct evbuffer *body, int status,
    long ms)
{
	struct pending *p = malloc(sizeof(*p));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (p == NULL)
		abort();
	p->req = req;
	p->body = body;
	p->status = status;
	event_base_once(base, -1, EV_TIMEOUT, send_cb, p, &tv);
}

static void
reply_later(struct evhttp_request *req, struct evbuffer *body, int status)
{
	reply_after(req, body, status, delay_ms);
}

static long
json_long(const char *s, const char *key, long def)
{
	const char *p = strstr(s, key);

	return p != NULL ? strtol(p + strlen(key), NULL, 10) : def;
}

static void
add_items(struct evbuffer *out, long seg, long from, long to)
{
	for (long i = from; i < to; i++)
		evbuffer_add_printf(out,
		    "%s{\"pk\":{\"S\":\"s%ld-%ld\"},"
		    "\"n\":{\"N\":\"%ld\"},\"m\":{\"M\":{\"a\":{\"L\":[{\"S\":"
		    "\"x\"},{\"BOOL\":true}]}}},\"b\":{\"B\":\"AAECAwQFBgcICQ==\"},"
		    "\"pad\":{\"S\":\"%s\"}}",
		    i > from ? "," : "", seg, i, i, pad);
}

/*
 * Full pages are one prebuilt run of items sent by reference, so the fake
 * spends next to nothing per page (their keys repeat from page to page,
 * which a copy into this fake does not mind); only LastEvaluatedKey moves.
 */
static void
scan(struct evhttp_request *req, const char *body)
{
	static char *page;
	static size_t pagelen;
	static long pagecount;
	long total = json_long(body, "\"TotalSegments\":", 1);
	long seg = json_long(body, "\"Segment\":", 0);
	long limit = json_long(body, "\"Limit\":", 1000);
	long per = (nitems + total - 1) / total, start = 0, end;
	const char *k = strstr(body, "\"ExclusiveStartKey\"");
	struct evbuffer *out = evbuffer_new();

	if (k != NULL && (k = strchr(k, '-')) != NULL)
		start = strtol(k + 1, NULL, 10) + 1;
	end = start + limit < per ? start + limit : per;
	evbuffer_add_printf(out, "{\"Items\":[");
	if (end - start == limit && limit > 0) {
		if (page == NULL || pagecount != limit) {
			struct evbuffer *b = evbuffer_new();

			add_items(b, 0, 0, limit);
			free(page);
			pagelen = evbuffer_get_length(b);
			page = malloc(pagelen);
			if (page == NULL)
				abort();
			evbuffer_copyout(b, page, pagelen);
			evbuffer_free(b);
			pagecount = limit;
		}
		evbuffer_add_reference(out, page, pagelen, NULL, NULL);
	} else
		add_items(out, seg, start, end);
	scanned += (unsigned long long)(end - start);
	evbuffer_add_printf(out,
	    "],\"Count\":%ld,\"ScannedCount\":%ld,"
	    "\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":%ld}",
	    end - start, end - start, (end - start) / 4);
	if (end < per)
		evbuffer_add_printf(out,
		    ",\"LastEvaluatedKey\":{\"pk\":{\"S\":"
		    "\"s%ld-%ld\"}}",
		    seg, end - 1);
	evbuffer_add_printf(out, "}");
	reply_later(req, out, 200);
}

static void
handle(struct evhttp_request *req, void *arg __attribute__((unused)))
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *target, *op;
	size_t len = evbuffer_get_length(in);
	struct evbuffer *out;
	char *body;

	if (strcmp(evhttp_request_get_uri(req), "/__stats") == 0) {
		out = evbuffer_new();
		evbuffer_add_printf(out,
		    "{\"written\":%llu,\"scanned\":%llu,"
		    "\"requests\":%llu}",
		    written, scanned, requests);
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	requests++;
	target = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Amz-Target");
	op = target != NULL && strchr(target, '.') != NULL ?
	    strchr(target, '.') + 1 :
	    "";
	body = malloc(len + 1);
	if (body == NULL)
		abort();
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	out = evbuffer_new();
	if (strcmp(op, "DescribeTable") == 0) {
		evbuffer_add_printf(out,
		    "{\"Table\":{\"TableName\":\"t\","
		    "\"TableStatus\":\"ACTIVE\",\"ItemCount\":%ld,"
		    "\"TableSizeBytes\":%ld,\"KeySchema\":[{\"AttributeName\":"
		    "\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
		    "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}}",
		    nitems, nitems * 1000);
		reply_later(req, out, 200);
	} else if (strcmp(op, "Scan") == 0) {
		evbuffer_free(out);
		scan(req, body);
	} else if (strcmp(op, "BatchWriteItem") == 0) {
		const char *p = body;
		long n = 0;

		while ((p = strstr(p, "\"PutRequest\"")) != NULL) {
			n++;
			p++;
		}
		written += (unsigned long long)n;
		evbuffer_add_printf(out,
		    "{\"UnprocessedItems\":{},"
		    "\"ConsumedCapacity\":[{\"TableName\":\"t\","
		    "\"CapacityUnits\":%ld}]}",
		    n);
		if (ceiling > 0) {
			double t = now_ms(),
			       start = busy_until > t ? busy_until : t;

			busy_until = start + n * 1000.0 / ceiling;
			reply_after(req, out, 200,
			    delay_ms + (long)(busy_until - t));
		} else
			reply_later(req, out, 200);
	} else {
		evbuffer_add_printf(out,
		    "{\"__type\":"
		    "\"UnknownOperationException\"}");
		reply_later(req, out, 400);
	}
	free(body);
}

int
main(int argc, char **argv)
{
	struct event_config *cfg;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	FILE *f;

	if (argc != 4 && argc != 5) {
		fprintf(stderr,
		    "usage: fakeddb PORTFILE DELAY_MS ITEMS "
		    "[WRITE_CEILING]\n");
		return 2;
	}
	delay_ms = strtol(argv[2], NULL, 10);
	nitems = strtol(argv[3], NULL, 10);
	ceiling = argc == 5 ? strtod(argv[4], NULL) : 0;
	/* The coarse clock libevent uses by default ticks every few ms:
	 * far too rough for a 10 ms delay. */
	cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	http = evhttp_new(base);
	evhttp_set_max_body_size(http, 17 * 1024 * 1024);
	evhttp_set_gencb(http, handle, NULL);
	sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (sock == NULL)
		return 1;
	getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss,
	    &sl);
	if ((f = fopen(argv[1], "w")) == NULL)
		return 1;
	fprintf(f, "%d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fclose(f);
	event_base_dispatch(base);
	return 0;
}

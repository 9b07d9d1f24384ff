/* ddb-sync-load: write N test items with every attribute type into a table. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "creds.h"
#include "ddb.h"
#include "log.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * For demos, tests and benchmarks: deterministic items (a seed and the item
 * number give the same bytes every time) covering S, N (38 digits), B, SS,
 * NS, BS, M, L, NULL, BOOL, non-ASCII text and binary with every byte value,
 * padded to a target size; many BatchWriteItem requests in flight.
 */

struct load {
	struct aws_client cl;
	struct ddb_table tab;
	const char *table;
	const char *prefix;
	uint64_t count;
	uint64_t start;
	uint64_t next; /* next item number to write */
	uint64_t written;
	size_t size;
	uint32_t seed;
	int failed;
	unsigned inflight;
};

struct slot {
	struct load *ld;
	struct aws_call call;
	int busy;
	unsigned rounds;
	unsigned n;
	struct http_timer timer;
};

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
add_b64(struct buf *b, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];
		char o[4] = { b64[v >> 18], b64[(v >> 12) & 63],
			b64[(v >> 6) & 63], b64[v & 63] };

		buf_add(b, o, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;
		char o[4];

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		o[0] = b64[v >> 18];
		o[1] = b64[(v >> 12) & 63];
		o[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		o[3] = '=';
		buf_add(b, o, 4);
	}
}

static uint32_t
mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* The key attribute value for item i, typed as the schema says. */
static void
add_key(struct buf *b, const struct ddb_key *k, const char *prefix, uint64_t i,
    int range)
{
	unsigned char raw[16];

	buf_printf(b, "\"%s\":{\"%s\":", k->name, k->type);
	if (strcmp(k->type, "N") == 0)
		buf_printf(b, "\"%" PRIu64 "\"}", range ? i % 7 : i);
	else if (strcmp(k->type, "B") == 0) {
		/* Binary keys with bytes a text key could not hold. */
		for (int j = 0; j < 8; j++)
			raw[j] = (unsigned char)(i >> (8 * (7 - j)));
		raw[8] = 0x00;
		raw[9] = 0xff;
		raw[10] = (unsigned char)range;
		buf_addc(b, '"');
		add_b64(b, raw, 11);
		buf_adds(b, "\"}");
	} else
		buf_printf(b, "\"%s%s%" PRIu64 "\"}", prefix, range ? "r-" : "",
		    range ? i % 7 : i);
}

static void
add_item(struct buf *b, struct load *ld, uint64_t i)
{
	uint32_t r = mix((uint32_t)i ^ mix(ld->seed));
	unsigned char bin[32];
	size_t start = b->len, pad;

	buf_addc(b, '{');
	add_key(b, &ld->tab.hash, ld->prefix, i, 0);
	if (ld->tab.range.name[0] != '\0') {
		buf_addc(b, ',');
		add_key(b, &ld->tab.range, ld->prefix, i, 1);
	}
	for (int j = 0; j < 32; j++)
		bin[j] = (unsigned char)(r + (uint32_t)j * 37u);
	buf_printf(b,
	    ",\"s\":{\"S\":\"Gr\\u00fc\\u00dfe \\u4e16\\u754c "
	    "\\ud83c\\udf0d #%" PRIu64 "\"}",
	    i);
	buf_printf(b,
	    ",\"n38\":{\"N\":\"%u2345678901234567890123456789012345678\"}",
	    1 + r % 9);
	buf_printf(b,
	    ",\"neg\":{\"N\":\"-%u.000000000000000000000000000000001\"}",
	    r % 1000);
	buf_adds(b, ",\"bin\":{\"B\":\"");
	add_b64(b, bin, sizeof(bin));
	buf_printf(b, "\"},\"ss\":{\"SS\":[\"a\",\"b%u\",\"\\u00e9\"]}",
	    r % 97);
	buf_printf(b, ",\"ns\":{\"NS\":[\"1\",\"%u\",\"-3.5\"]}", 2 + r % 1000);
	buf_adds(b, ",\"bs\":{\"BS\":[\"AA==\",\"/wD/\"]}");
	buf_printf(b,
	    ",\"m\":{\"M\":{\"inner\":{\"M\":{\"deep\":{\"L\":"
	    "[{\"S\":\"x\"},{\"N\":\"%u\"},{\"NULL\":true}]}}},"
	    "\"flag\":{\"BOOL\":%s},\"empty\":{\"S\":\"\"}}}",
	    r % 13, (r & 1) ? "true" : "false");
	buf_adds(b,
	    ",\"l\":{\"L\":[{\"BOOL\":false},{\"M\":{}},{\"L\":[]},"
	    "{\"B\":\"\"}]},\"nul\":{\"NULL\":true}");
	/* Pad with text to reach the requested size. */
	pad = b->len - start + 16 < ld->size ?
	    ld->size - (b->len - start) - 16 :
	    0;
	buf_adds(b, ",\"pad\":{\"S\":\"");
	for (size_t k = 0; k < pad; k++)
		buf_addc(b, (char)('a' + (r + k) % 26));
	buf_adds(b, "\"}}");
}

static void slot_send(struct slot *);
static void done_cb(struct aws_call *, void *);

static void
retry_cb(void *arg)
{
	struct slot *s = arg;

	aws_call_start(&s->call, done_cb, s);
}

static void
done_cb(struct aws_call *c, void *arg)
{
	struct slot *s = arg;
	struct load *ld = s->ld;
	struct jspan un;
	long nun;
	double wcu;

	if (c->status != AWS_OK ||
	    ddb_parse_batch(c->body, c->bodylen, &un, &nun, &wcu) == -1) {
		fprintf(stderr, "ddb-sync-load: BatchWriteItem: %s: %s\n",
		    c->code, c->msg);
		ld->failed = 1;
		s->busy = 0;
		ld->inflight--;
		return;
	}
	if (nun > 0) {
		ddb_batch_resend_body(&c->req, &un, 0);
		s->rounds++;
		http_timer_set(c->cl->http, &s->timer,
		    (int64_t)retry_backoff_ms(s->rounds, 50, 5000,
			retry_random()),
		    retry_cb, s);
		return;
	}
	ld->written += s->n;
	s->busy = 0;
	ld->inflight--;
	slot_send(s);
}

static void
slot_send(struct slot *s)
{
	struct load *ld = s->ld;
	struct buf *b = &s->call.req;
	uint64_t end = ld->start + ld->count;

	if (ld->failed || ld->next >= end)
		return;
	buf_reset(b);
	buf_adds(b, "{\"RequestItems\":{");
	buf_json_str(b, ld->table);
	buf_adds(b, ":[");
	s->n = 0;
	while (s->n < 25 && ld->next < end) {
		if (s->n > 0)
			buf_addc(b, ',');
		buf_adds(b, "{\"PutRequest\":{\"Item\":");
		add_item(b, ld, ld->next++);
		buf_adds(b, "}}");
		s->n++;
	}
	buf_adds(b, "]}}");
	s->busy = 1;
	s->rounds = 0;
	ld->inflight++;
	aws_call_start(&s->call, done_cb, s);
}

static __attribute__((noreturn)) void
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
	    "usage: ddb-sync-load --table T --count N [--size BYTES] "
	    "[--seed S]\n"
	    "                     [--start I] [--prefix P] [--inflight K]\n"
	    "                     [--region R] [--endpoint-url URL]\n"
	    "       ddb-sync-load --template [--size BYTES] [--seed S] [--start I]\n"
	    "Writes N deterministic items with every DynamoDB attribute "
	    "type;\nthe key schema is read from the table.\n");
	exit(rc);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { { "table", required_argument,
						      NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'i' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "inflight", required_argument, NULL, 'k' },
		{ "region", required_argument, NULL, 'r' },
		{ "endpoint-url", required_argument, NULL, 'e' },
		{ "template", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct load ld;
	struct http *http;
	struct creds_provider *cp;
	struct aws_stats stats;
	struct aws_call dc;
	struct slot *slots;
	const char *region = getenv("AWS_REGION"), *endpoint = NULL;
	unsigned k = 16;
	int ch, rc = 1, template = 0;
	char err[512];
	int64_t t0;

	log_init("ddb-sync-load", 0);
	memset(&ld, 0, sizeof(ld));
	ld.size = 1000;
	ld.seed = 1;
	ld.prefix = "item-";
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			ld.table = optarg;
			break;
		case 'n':
			ld.count = strtoull(optarg, NULL, 10);
			break;
		case 's':
			ld.size = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			ld.seed = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			ld.start = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			ld.prefix = optarg;
			break;
		case 'k':
			k = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			region = optarg;
			break;
		case 'e':
			endpoint = optarg;
			break;
		case 'T':
			template = 1;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (template) {
		struct buf b;

		/* One item (number --start, key attribute "pk" of type S),
		 * for load generators that need the same items (bench/). */
		buf_init(&b, 0);
		strlcpy(ld.tab.hash.name, "pk", sizeof(ld.tab.hash.name));
		strlcpy(ld.tab.hash.type, "S", sizeof(ld.tab.hash.type));
		add_item(&b, &ld, ld.start);
		printf("%s\n", b.data);
		buf_free(&b);
		return 0;
	}
	if (ld.table == NULL || ld.count == 0 || k == 0 || k > 1024 ||
	    ld.size > 390000 || region == NULL)
		usage(2);
	http = http_new();
	cp = creds_chain_new();
	memset(&stats, 0, sizeof(stats));
	if (aws_client_init(&ld.cl, http, ENDPOINT_DYNAMODB, region, endpoint,
		cp, &stats, err, sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync-load: %s\n", err);
		return 2;
	}
	aws_call_init(&dc, &ld.cl, "DescribeTable");
	buf_adds(&dc.req, "{\"TableName\":");
	buf_json_str(&dc.req, ld.table);
	buf_addc(&dc.req, '}');
	if (aws_call_sync(&dc) != AWS_OK ||
	    ddb_parse_describe(dc.body, dc.bodylen, &ld.tab, err,
		sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync-load: DescribeTable %s: %s %s\n",
		    ld.table, dc.code, dc.msg);
		return 1;
	}
	aws_call_cleanup(&dc);
	ld.next = ld.start;
	slots = xcalloc(k, sizeof(*slots));
	t0 = clock_ms();
	for (unsigned i = 0; i < k; i++) {
		slots[i].ld = &ld;
		aws_call_init(&slots[i].call, &ld.cl, "BatchWriteItem");
		slots[i].call.done = done_cb;
		slots[i].call.arg = &slots[i];
		slot_send(&slots[i]);
	}
	while (ld.inflight > 0)
		http_run(http, 1000);
	if (!ld.failed) {
		int64_t ms = clock_ms() - t0;

		fprintf(stderr,
		    "ddb-sync-load: wrote %" PRIu64 " items to %s "
		    "in %.1fs (%.0f items/s)\n",
		    ld.written, ld.table, (double)ms / 1000.0,
		    ms > 0 ? (double)ld.written * 1000.0 / (double)ms : 0.0);
		rc = 0;
	}
	for (unsigned i = 0; i < k; i++)
		aws_call_cleanup(&slots[i].call);
	free(slots);
	ddb_table_clear(&ld.tab);
	aws_client_clear(&ld.cl);
	creds_provider_free(cp);
	http_free(http);
	return rc;
}

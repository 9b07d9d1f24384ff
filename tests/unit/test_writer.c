/* test_writer.c: the BatchWriteItem engine against a loopback fake DynamoDB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "compat.h"
#include "creds.h"
#include "fakehttp.h"
#include "settings.h"
#include "worker.h"
#include "writer.h"
#include "xtime.h"

#define TW_MAX_UNITS  8
#define TW_MAX_SERVED 64

enum fake_mode {
	FAKE_OK = 0,	  /* everything written */
	FAKE_UNPROCESSED, /* the scripted unprocessed counts, then 0 */
	FAKE_MALFORMED,	  /* malformed answers first, then written */
};

struct tw;

struct tw_lane {
	struct tw *t;
	int id;
	struct writer_lane *lane;
};

struct tw {
	struct fakehttp *fk;
	struct plan_pair pair;
	struct worker w;
	struct writer *wr;
	size_t body_max; /* 0: the engine's own */

	/* The items, their spans and how often each was acknowledged. */
	char **text;
	struct jspan *spans;
	unsigned *acked;
	size_t nitems;
	struct writer_unit units[TW_MAX_UNITS];
	size_t base[TW_MAX_UNITS]; /* first item of each unit */
	size_t nunits;
	struct tw_lane lanes[2];
	unsigned ack_calls;
	int ack_lane[TW_MAX_SERVED];

	/* What the answer hook saw. */
	unsigned answers;
	unsigned max_inflight;
	unsigned rounds[TW_MAX_SERVED];
	int watch_limit; /* inflight seen <= 1 since lowered */
	int over_limit;

	/* The fake's side (server thread). */
	pthread_mutex_t mu;
	enum fake_mode mode;
	int delay_ms;
	long unprocessed[TW_MAX_SERVED]; /* per answer */
	int malformed;			 /* answers to spoil first */
	unsigned served;
	char *un_json[TW_MAX_SERVED]; /* maps returned */
};

/* Writes in a request body (items hold neither marker). */
static long
count_writes(const char *body, size_t len)
{
	const char *marks[] = { "{\"PutRequest\":", "{\"DeleteRequest\":" };
	long n = 0;

	for (size_t m = 0; m < 2; m++) {
		const char *p = body, *end = body + len;
		size_t ml = strlen(marks[m]);

		while (
		    (p = memmem(p, (size_t)(end - p), marks[m], ml)) != NULL) {
			n++;
			p += ml;
		}
	}
	return n;
}

/* UnprocessedItems of the last k items of the first request (items 0..). */
static char *
unprocessed_map(struct tw *t, long from, long k)
{
	size_t len = 32;
	char *s;

	for (long i = from; i < from + k; i++)
		len += strlen(t->text[i]) + 32;
	s = calloc(1, len);
	strcat(s, "{\"dst\":[");
	for (long i = from; i < from + k; i++) {
		if (i > from)
			strcat(s, ",");
		strcat(s, "{\"PutRequest\":{\"Item\":");
		strcat(s, t->text[i]);
		strcat(s, "}}");
	}
	strcat(s, "]}");
	return s;
}

static int
fake_cb(const struct fakehttp_req *r, struct fakehttp_reply *rep, void *arg)
{
	struct tw *t = arg;
	long n = count_writes(r->body, r->bodylen), un = 0;
	unsigned k;
	char *map = NULL;

	pthread_mutex_lock(&t->mu);
	k = t->served++;
	rep->status = 200;
	rep->delay_ms = t->delay_ms;
	if (t->mode == FAKE_MALFORMED && (int)k < t->malformed) {
		rep->body = strdup("{\"UnprocessedItems\":{\"dst\":[");
		pthread_mutex_unlock(&t->mu);
		return 1;
	}
	if (t->mode == FAKE_UNPROCESSED && k < TW_MAX_SERVED)
		un = t->unprocessed[k];
	if (un > 0) {
		/* The first request holds items 0..24: the last un of them. */
		map = unprocessed_map(t, 25 - un, un);
		t->un_json[k] = strdup(map);
	}
	pthread_mutex_unlock(&t->mu);
	if (asprintf(&rep->body,
		"{\"UnprocessedItems\":%s,"
		"\"ConsumedCapacity\":[{\"TableName\":\"dst\","
		"\"CapacityUnits\":%ld}]}",
		map != NULL ? map : "{}", n - un) == -1)
		abort();
	free(map);
	return 1;
}

static void
answer_cb(const struct writer_answer *a, void *arg)
{
	struct tw *t = arg;

	if (t->answers < TW_MAX_SERVED)
		t->rounds[t->answers] = a->rounds;
	t->answers++;
	if (a->inflight > t->max_inflight)
		t->max_inflight = a->inflight;
	/* Once lowered, the limit holds when the excess has drained. */
	if (!t->watch_limit && a->inflight > writer_limit(t->wr))
		t->over_limit = 1;
	if (t->watch_limit && a->inflight <= 1)
		t->watch_limit = 2;
	else if (t->watch_limit == 2 && a->inflight > 1)
		t->over_limit = 1;
}

static void
ack_cb(const struct writer_part *parts, unsigned nparts, void *arg)
{
	struct tw_lane *l = arg;
	struct tw *t = l->t;

	assert_true(nparts >= 1 && nparts <= WRITER_BATCH_MAX);
	for (unsigned i = 0; i < nparts; i++) {
		size_t u = (size_t)(parts[i].unit - t->units);

		assert_true(u < t->nunits);
		assert_true(parts[i].n > 0);
		assert_true(parts[i].off + parts[i].n <= t->units[u].n);
		for (size_t k = parts[i].off; k < parts[i].off + parts[i].n;
		     k++)
			t->acked[t->base[u] + k]++;
	}
	if (t->ack_calls < TW_MAX_SERVED)
		t->ack_lane[t->ack_calls] = l->id;
	t->ack_calls++;
}

static int
setup(void **state)
{
	struct tw *t = calloc(1, sizeof(*t));
	char err[256];

	assert_non_null(t);
	pthread_mutex_init(&t->mu, NULL);
	t->fk = fakehttp_start();
	fakehttp_set_handler(t->fk, fake_cb, t);
	plan_pair_init(&t->pair);
	t->pair.output.table = strdup("dst");
	t->pair.consumed_capacity = 1;
	t->pair.max_inflight = 4;
	t->w.pair = &t->pair;
	t->w.http = http_new();
	t->w.base_creds = creds_chain_new();
	assert_int_equal(aws_client_init(&t->w.dst, t->w.http,
			     ENDPOINT_DYNAMODB, "us-east-1",
			     fakehttp_url(t->fk), t->w.base_creds, &t->w.stats,
			     err, sizeof(err)),
	    0);
	strlcpy(t->w.dst_tab.hash.name, "pk", sizeof(t->w.dst_tab.hash.name));
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tw *t = *state;

	writer_free(t->wr);
	fakehttp_stop(t->fk);
	aws_client_clear(&t->w.dst);
	creds_provider_free(t->w.base_creds);
	http_free(t->w.http);
	for (size_t i = 0; i < t->nitems; i++)
		free(t->text[i]);
	for (size_t i = 0; i < TW_MAX_SERVED; i++)
		free(t->un_json[i]);
	free(t->text);
	free(t->spans);
	free(t->acked);
	free(t->pair.output.table);
	pthread_mutex_destroy(&t->mu);
	free(t);
	return 0;
}

/*
 * Items {"pk":{"S":"<key>"},"v":{"S":"<pad>"}}: pad is padlen copies of
 * unit (one JSON character, or an escape such as \u0001).
 */
static size_t
add_item(struct tw *t, const char *key, const char *unit, size_t padlen)
{
	size_t ul = strlen(unit), kl = strlen(key);
	size_t len = kl + ul * padlen + 32;
	char *s = malloc(len), *p;

	assert_non_null(s);
	p = s + snprintf(s, len, "{\"pk\":{\"S\":\"%s\"},\"v\":{\"S\":\"", key);
	for (size_t i = 0; i < padlen; i++, p += ul)
		memcpy(p, unit, ul);
	strcpy(p, "\"}}");
	t->text = realloc(t->text, (t->nitems + 1) * sizeof(*t->text));
	t->text[t->nitems] = s;
	return t->nitems++;
}

static void
make_items(struct tw *t, size_t n, const char *unit, size_t padlen)
{
	char key[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%05zu", t->nitems);
		add_item(t, key, unit, padlen);
	}
}

/* Spans over every item, acks zeroed; units cut at the given sizes (NULL:
 * one unit of every item). */
static void
make_units(struct tw *t, const size_t *sizes, size_t nunits)
{
	size_t at = 0, all = t->nitems;

	if (sizes == NULL) {
		sizes = &all;
		nunits = 1;
	}
	t->spans = calloc(t->nitems, sizeof(*t->spans));
	t->acked = calloc(t->nitems, sizeof(*t->acked));
	for (size_t i = 0; i < t->nitems; i++) {
		t->spans[i].p = t->text[i];
		t->spans[i].len = strlen(t->text[i]);
	}
	for (size_t u = 0; u < nunits; u++) {
		t->units[u].items = &t->spans[at];
		t->units[u].n = sizes[u];
		t->base[u] = at;
		at += sizes[u];
	}
	assert_int_equal(at, t->nitems);
	t->nunits = nunits;
}

/* An engine with the given lanes; unit u goes to lane u % lanes; sent. */
static void
start(struct tw *t, int lanes)
{
	t->wr = writer_new(&t->w);
	writer_set_answer_hook(t->wr, answer_cb, t);
	if (t->body_max > 0)
		writer_set_body_max(t->wr, t->body_max);
	for (int i = 0; i < lanes; i++) {
		t->lanes[i].t = t;
		t->lanes[i].id = i;
		t->lanes[i].lane = writer_lane_new(t->wr, ack_cb, &t->lanes[i]);
	}
	for (size_t u = 0; u < t->nunits; u++)
		writer_submit(t->lanes[u % (size_t)lanes].lane, &t->units[u]);
	writer_pump(t->wr);
}

static int
all_acked(struct tw *t)
{
	for (size_t i = 0; i < t->nitems; i++)
		if (t->acked[i] == 0)
			return 0;
	return 1;
}

/* Run the loop until every item is acknowledged or the writer failed. */
static void
run(struct tw *t)
{
	int64_t end = clock_ms() + 60000;

	while (!all_acked(t) && !writer_failed(t->wr) && clock_ms() < end)
		http_run(t->w.http, 50);
	assert_true(clock_ms() < end);
}

/* Run the loop for a while, so that what should not happen can. */
static void
run_for(struct tw *t, int64_t ms)
{
	int64_t end = clock_ms() + ms;

	while (clock_ms() < end)
		http_run(t->w.http, 20);
}

static void
assert_acked_once(struct tw *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (t->acked[i] != 1)
			fail_msg("item %zu acknowledged %u times", i,
			    t->acked[i]);
}

static long
req_writes(struct tw *t, size_t i)
{
	const struct fakehttp_req *r = fakehttp_req(t->fk, i);

	assert_non_null(r);
	return count_writes(r->body, r->bodylen);
}

/* 60 items in units of 35 and 25: requests of 25, 25 and 10 writes, each
 * item copied verbatim, acknowledged once, capacity summed. */
static void
test_writer_batches_of_25(void **state)
{
	struct tw *t = *state;
	size_t sizes[2] = { 35, 25 };
	long n[3];

	make_items(t, 60, "x", 40);
	make_units(t, sizes, 2);
	start(t, 1);
	run(t);
	assert_false(writer_failed(t->wr));
	assert_acked_once(t, 0, 60);
	assert_int_equal(fakehttp_count(t->fk), 3);
	assert_int_equal(t->ack_calls, 3);
	for (size_t i = 0; i < 3; i++)
		n[i] = req_writes(t, i);
	/* Sent in packing order, answered in any: 25 + 25 + 10. */
	assert_int_equal(n[0] + n[1] + n[2], 60);
	assert_true((n[0] == 25) + (n[1] == 25) + (n[2] == 25) == 2);
	for (size_t i = 0; i < 3; i++) {
		const struct fakehttp_req *r = fakehttp_req(t->fk, i);

		assert_non_null(strstr(r->body, "\"RequestItems\":{\"dst\":["));
		assert_non_null(
		    strstr(r->body, "\"ReturnConsumedCapacity\":\"TOTAL\""));
	}
	for (size_t i = 0; i < 60; i++) {
		int found = 0;

		for (size_t k = 0; k < 3; k++)
			found += strstr(fakehttp_req(t->fk, k)->body,
				     t->text[i]) != NULL;
		assert_int_equal(found, 1);
	}
	assert_true(t->w.prog.wcu > 59.9 && t->w.prog.wcu < 60.1);
	assert_int_equal(t->w.unprocessed, 0);
	assert_int_equal(writer_inflight(t->wr), 0);
}

/* A small body limit: as many writes per request as fit, never more. */
static void
test_writer_packs_by_bytes(void **state)
{
	struct tw *t = *state;
	size_t body_max = 4096, empty, per, fit;
	struct buf b;

	make_items(t, 20, "y", 900);
	make_units(t, NULL, 0);
	buf_init(&b, 0);
	assert_int_equal(ddb_batch_begin(&b, "dst"), 0);
	assert_int_equal(ddb_batch_end(&b, 1), 0);
	empty = b.len;
	buf_free(&b);
	per = ddb_batch_op_len(0, t->spans[0].len) + 1;
	fit = (body_max - empty + 1) / per;
	assert_true(fit >= 2 && fit < 20);
	t->pair.max_inflight = 1; /* requests in packing order */
	t->body_max = body_max;
	start(t, 1);
	run(t);
	assert_acked_once(t, 0, 20);
	assert_int_equal(fakehttp_count(t->fk), (20 + fit - 1) / fit);
	for (size_t i = 0; i < fakehttp_count(t->fk); i++) {
		const struct fakehttp_req *r = fakehttp_req(t->fk, i);

		assert_true(r->bodylen <= body_max);
		if (i + 1 < fakehttp_count(t->fk))
			assert_int_equal(req_writes(t, i), fit);
	}
}

/*
 * 25 legal items of about 390 KB stored, every character a control
 * character that JSON escapes as \u0001 (six bytes for one): 58 MB of
 * JSON. Once fatalx("batch body too large"); now split into requests that
 * each stay under 16 MB, every item written once.
 */
static void
test_writer_escape_heavy_items_split(void **state)
{
	struct tw *t = *state;
	size_t total = 0;

	make_items(t, 25, "\\u0001", 390000);
	make_units(t, NULL, 0);
	start(t, 1);
	run(t);
	assert_false(writer_failed(t->wr));
	assert_int_equal(t->w.exit_code, 0);
	assert_acked_once(t, 0, 25);
	assert_true(fakehttp_count(t->fk) >= 4);
	for (size_t i = 0; i < fakehttp_count(t->fk); i++) {
		const struct fakehttp_req *r = fakehttp_req(t->fk, i);

		assert_true(r->bodylen <= WRITER_BODY_MAX);
		assert_true(r->bodylen < 16u * 1024 * 1024);
		total += r->bodylen;
	}
	/* One request could not have held them all. */
	assert_true(total > 16u * 1024 * 1024);
}

/* The items as one unit, one request at a time, until the pair stops. */
static void
fails_with(struct tw *t, int exit_code)
{
	make_units(t, NULL, 0);
	t->pair.max_inflight = 1;
	start(t, 1);
	run(t);
	assert_true(writer_failed(t->wr));
	assert_int_equal(t->w.exit_code, exit_code);
}

/*
 * A write whose PutRequest alone is over the limit: a permanent error
 * naming its key (a long value shortened), and nothing sent after it.
 */
static void
test_writer_unfit_item_fails(void **state)
{
	struct tw *t = *state;
	size_t huge;
	char key[256];

	strlcpy(t->w.dst_tab.range.name, "pk2",
	    sizeof(t->w.dst_tab.range.name));
	make_items(t, 1, "x", 10);
	memset(key, 'h', 200);
	key[200] = '\0';
	huge = add_item(t, key, "z", WRITER_BODY_MAX);
	make_items(t, 1, "x", 10);
	fails_with(t, WORKER_EXIT_PERMANENT);
	assert_non_null(strstr(t->w.error, "dst"));
	assert_non_null(strstr(t->w.error, "pk={\"S\":\"hhhh"));
	assert_non_null(strstr(t->w.error, "... (208 bytes)"));
	assert_non_null(strstr(t->w.error, "pk2=?"));
	assert_null(strstr(t->w.error, key)); /* shortened */
	assert_non_null(strstr(t->w.error, "never be written"));
	run_for(t, 300);
	assert_int_equal(fakehttp_count(t->fk), 1);
	assert_int_equal(req_writes(t, 0), 1);
	assert_int_equal(t->acked[0], 1);
	assert_int_equal(t->acked[huge], 0);
	assert_int_equal(t->acked[2], 0);
	assert_int_equal(writer_inflight(t->wr), 0);
}

/*
 * UnprocessedItems are resent verbatim until none is left; a round that
 * writes something resets the backoff (rounds 1, 2, then 1 again).
 */
static void
test_writer_unprocessed_resent(void **state)
{
	struct tw *t = *state;
	const char *tail = ",\"ReturnConsumedCapacity\":\"TOTAL\"}";

	setenv("DDB_SYNC_THROTTLE_BASE_MS", "8", 1);
	settings_init(NULL, 0);
	t->mode = FAKE_UNPROCESSED;
	t->unprocessed[0] = 20;
	t->unprocessed[1] = 20; /* no progress */
	t->unprocessed[2] = 10; /* progress */
	make_items(t, 25, "u", 30);
	make_units(t, NULL, 0);
	aws_policy_default(&t->w.dst.policy);
	start(t, 1);
	run(t);
	unsetenv("DDB_SYNC_THROTTLE_BASE_MS");
	settings_init(NULL, 0);
	assert_false(writer_failed(t->wr));
	assert_acked_once(t, 0, 25);
	assert_int_equal(t->ack_calls, 1);
	assert_int_equal(fakehttp_count(t->fk), 4);
	assert_int_equal(t->answers, 4);
	assert_int_equal(t->rounds[0], 1);
	assert_int_equal(t->rounds[1], 2);
	assert_int_equal(t->rounds[2], 1);
	assert_int_equal(t->w.unprocessed, 3);
	/* Each resend is the map the previous answer returned, as is. */
	for (size_t i = 1; i < 4; i++) {
		const struct fakehttp_req *r = fakehttp_req(t->fk, i);
		const char *un = t->un_json[i - 1];
		size_t ul = strlen(un);

		assert_non_null(un);
		assert_int_equal(r->bodylen, 16 + ul + strlen(tail));
		assert_memory_equal(r->body, "{\"RequestItems\":", 16);
		assert_memory_equal(r->body + 16, un, ul);
		assert_string_equal(r->body + 16 + ul, tail);
	}
}

/*
 * spoil unreadable answers in a row, then good ones: resent up to the one
 * limit (WRITER_MALFORMED_RETRIES) and written, or, beyond it, the pair
 * stops (a restart may heal it).
 */
static void
malformed(struct tw *t, int spoil)
{
	int fails = spoil > WRITER_MALFORMED_RETRIES;

	t->mode = FAKE_MALFORMED;
	t->malformed = spoil;
	make_items(t, 5, "m", 10);
	make_units(t, NULL, 0);
	start(t, 1);
	run(t);
	run_for(t, 200);
	assert_int_equal(fakehttp_count(t->fk), WRITER_MALFORMED_RETRIES + 1);
	assert_int_equal(writer_failed(t->wr), fails);
	assert_int_equal(t->ack_calls, !fails);
	if (!fails) {
		assert_acked_once(t, 0, 5);
		return;
	}
	assert_int_equal(t->w.exit_code, WORKER_EXIT_CRASH);
	assert_non_null(strstr(t->w.error, "dst"));
	assert_non_null(strstr(t->w.error, "malformed"));
}

static void
test_writer_malformed_limit(void **state)
{
	malformed(*state, 1000);
}

static void
test_writer_malformed_recovers(void **state)
{
	malformed(*state, WRITER_MALFORMED_RETRIES);
}

/* A ValidationException stops the pair at once: nothing more is sent. */
static void
test_writer_validation_fails(void **state)
{
	struct tw *t = *state;

	fakehttp_set_handler(t->fk, NULL, NULL);
	fakehttp_add(t->fk, "POST", "/", 400,
	    "{\"__type\":\"com.amazon.coral."
	    "validate#ValidationException\",\"message\":\"Item size has "
	    "exceeded the maximum allowed size\"}");
	make_items(t, 100, "v", 10);
	fails_with(t, WORKER_EXIT_PERMANENT);
	assert_non_null(strstr(t->w.error, "BatchWriteItem to dst failed"));
	assert_non_null(strstr(t->w.error, "Item size has exceeded"));
	run_for(t, 300);
	assert_int_equal(fakehttp_count(t->fk), 1);
	assert_int_equal(t->ack_calls, 0);
	/* Asking again changes nothing: the engine has stopped. */
	writer_pump(t->wr);
	run_for(t, 100);
	assert_int_equal(fakehttp_count(t->fk), 1);
}

/*
 * Stop with 100 items, two requests in flight answered after delay_ms:
 * they finish and are acknowledged within the stop timeout (timeout_ms),
 * or are abandoned after it, unacknowledged; no new request is sent.
 */
static void
stop(struct tw *t, int delay_ms, const char *timeout_ms)
{
	int64_t end = clock_ms() + 30000;
	int abandon = delay_ms > atoi(timeout_ms);

	setenv("DDB_SYNC_STOP_TIMEOUT_MS", timeout_ms, 1);
	settings_init(NULL, 0);
	t->delay_ms = delay_ms;
	make_items(t, 100, "s", 10);
	make_units(t, NULL, 0);
	t->pair.max_inflight = 2;
	start(t, 1);
	unsetenv("DDB_SYNC_STOP_TIMEOUT_MS");
	settings_init(NULL, 0);
	assert_int_equal(writer_inflight(t->wr), 2);
	writer_stop(t->wr);
	assert_false(writer_drained(t->wr));
	while (!writer_drained(t->wr) && clock_ms() < end)
		http_run(t->w.http, 20);
	assert_int_equal(writer_inflight(t->wr), abandon ? 2 : 0);
	if (abandon) {
		writer_free(t->wr);
		t->wr = NULL;
	} else
		run_for(t, 200);
	assert_int_equal(t->ack_calls, abandon ? 0 : 2);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(t->acked[i], !abandon && i < 50);
	if (!abandon) {
		assert_int_equal(fakehttp_count(t->fk), 2);
		assert_false(writer_failed(t->wr));
	}
}

static void
test_writer_stop_drains(void **state)
{
	stop(*state, 300, "30000");
}

static void
test_writer_stop_abandons(void **state)
{
	stop(*state, 5000, "100");
}

/* Never more requests in flight than the limit, which can change while
 * the engine runs. */
static void
test_writer_concurrency_limit(void **state)
{
	struct tw *t = *state;
	int64_t end = clock_ms() + 60000;

	t->delay_ms = 10;
	make_items(t, 500, "c", 10);
	make_units(t, NULL, 0);
	t->pair.max_inflight = 3;
	start(t, 1);
	while (t->ack_calls < 6 && clock_ms() < end)
		http_run(t->w.http, 20);
	assert_int_equal(t->max_inflight, 3);
	assert_false(t->over_limit);
	t->watch_limit = 1;
	writer_set_limit(t->wr, 1);
	assert_int_equal(writer_limit(t->wr), 1);
	run(t);
	assert_acked_once(t, 0, 500);
	assert_int_equal(t->watch_limit, 2);
	assert_false(t->over_limit);
	assert_int_equal(fakehttp_count(t->fk), 20);
}

/* Two lanes share one slot in turns while both have work. */
static void
test_writer_lanes_round_robin(void **state)
{
	struct tw *t = *state;
	size_t sizes[2] = { 100, 100 };

	make_items(t, 200, "r", 10);
	make_units(t, sizes, 2);
	t->pair.max_inflight = 1;
	start(t, 2);
	run(t);
	assert_acked_once(t, 0, 200);
	assert_int_equal(t->ack_calls, 8);
	for (unsigned i = 1; i < t->ack_calls; i++)
		assert_int_not_equal(t->ack_lane[i], t->ack_lane[i - 1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writer_batches_of_25,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_packs_by_bytes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_escape_heavy_items_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_unfit_item_fails,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_unprocessed_resent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_malformed_limit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_malformed_recovers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_validation_fails,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_stop_drains, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_stop_abandons,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_concurrency_limit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_lanes_round_robin,
		    setup, teardown),
	};

	/* AWS's documented example keys, nothing else. */
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SESSION_TOKEN");
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("DDB_SYNC_RETRY_CAP_MS", "50", 1);
	unsetenv("DDB_SYNC_MAX_INFLIGHT");
	settings_init(NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

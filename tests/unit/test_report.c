/* test_report.c: the worker's channel: the bounded queue (progress
 * coalesced, nothing else ever dropped), the non-blocking channel over a
 * pipe nobody reads, checkpoint messages, the hello's resume text. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "report.h"
#include "settings.h"
#include "worker.h"
#include "xmalloc.h"

static char out[1 << 20];

/* A pipe whose write end is non-blocking and already full. */
static void
full_pipe(int p[2])
{
	char junk[4096];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	memset(junk, 'j', sizeof(junk));
	do
		n = write(p[1], junk, sizeof(junk));
	while (n > 0);
	assert_int_equal(errno, EAGAIN);
}

/* Everything readable now, junk ('j' bytes) removed. */
static size_t
drain(int fd)
{
	char tmp[4096];
	size_t o = 0;
	ssize_t n;

	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (tmp[i] != 'j' && o < sizeof(out) - 1)
				out[o++] = tmp[i];
	out[o] = '\0';
	return o;
}

static void
test_report_queue_coalesces_progress(void **state)
{
	struct report_queue q;
	char line[64];
	int p[2];

	full_pipe(p);
	report_queue_init(&q, 4096);
	assert_int_equal(report_queue_push(&q, "P1\n", 3, 1), 0);
	assert_int_equal(report_queue_push(&q, "E1\n", 3, 0), 0);
	for (int i = 2; i <= 100; i++) {
		snprintf(line, sizeof(line), "P%d\n", i);
		assert_int_equal(report_queue_push(&q, line, strlen(line), 1),
		    0);
	}
	assert_int_equal(report_queue_push(&q, "D\n", 2, 0), 0);
	assert_int_equal(q.replaced, 99);
	/* The pipe is full: nothing leaves, nothing is lost. */
	assert_int_equal(report_queue_flush(&q, p[1]), 0);
	drain(p[0]);
	assert_int_equal(report_queue_flush(&q, p[1]), 1);
	drain(p[0]);
	/* In order; only the newest progress, after what preceded it. */
	assert_string_equal(out, "E1\nP100\nD\n");
	assert_int_equal(report_queue_pending(&q), 0);
	report_queue_free(&q);
	close(p[0]);
	close(p[1]);
}

static void
test_report_queue_never_drops(void **state)
{
	struct report_queue q;
	char line[100];
	int n = 0;

	report_queue_init(&q, 1000);
	memset(line, 'x', sizeof(line));
	line[99] = '\n';
	while (report_queue_push(&q, line, sizeof(line), 0) == 0)
		n++;
	assert_int_equal(n, 10);
	assert_int_equal(errno, ENOBUFS);
	/* A full queue takes no partial line and drops a progress. */
	assert_int_equal(report_queue_pending(&q), 1000);
	assert_int_equal(report_queue_push(&q, "P\n", 2, 1), 0);
	assert_int_equal(q.dropped, 1);
	assert_int_equal(report_queue_pending(&q), 1000);
	report_queue_free(&q);
}

static void
test_report_queue_partial_progress(void **state)
{
	struct report_queue q;
	char big[6000], *nl;
	int p[2];

	/* An empty pipe of one page: a longer line goes out in part. */
	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	report_queue_init(&q, 16384);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(report_queue_push(&q, big, sizeof(big), 1), 0);
	assert_int_equal(report_queue_flush(&q, p[1]), 0);
	assert_true(report_queue_pending(&q) > 0);
	assert_true(report_queue_pending(&q) < sizeof(big));
	/* It is on its way: a newer one follows it, never cuts it. */
	assert_int_equal(report_queue_push(&q, "P2\n", 3, 1), 0);
	assert_int_equal(q.replaced, 0);
	drain(p[0]);
	assert_int_equal(report_queue_flush(&q, p[1]), 1);
	drain(p[0]);
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "P2\n");
	report_queue_free(&q);
	close(p[0]);
	close(p[1]);
}

static void
test_report_queue_epipe(void **state)
{
	struct report_queue q;
	int p[2];

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	report_queue_init(&q, 4096);
	assert_int_equal(report_queue_push(&q, "D\n", 2, 0), 0);
	assert_int_equal(report_queue_flush(&q, p[1]), -1);
	assert_int_equal(errno, EPIPE);
	report_queue_free(&q);
	close(p[1]);
}

/* Decode every line of out; the types in order into types[]. */
static size_t
decode_all(struct proto_msg *msgs, size_t max)
{
	char *line = out, *nl, err[256];
	size_t n = 0;

	while (n < max && (nl = strchr(line, '\n')) != NULL) {
		if (proto_decode(line, (size_t)(nl - line), &msgs[n], err,
			sizeof(err)) == -1)
			fail_msg("bad line from the worker: %s (%.*s)", err,
			    (int)(nl - line), line);
		n++;
		line = nl + 1;
	}
	return n;
}

static void
test_report_channel_stalled(void **state)
{
	static struct proto_msg msgs[64];
	struct proto_progress pg;
	struct proto_msg m;
	int p[2], found_done = 0, progress = 0;
	size_t n;

	full_pipe(p);
	worker_stop = 0;
	setenv("DDB_SYNC_REPORT_STALL_MS", "300", 1);
	settings_init(NULL, 0);
	report_init(p[1], "orders", "backfill: 1/4 segments done, 7 items");
	assert_true(report_active());
	/* Progress about a thousand times: coalesced, never blocking. */
	memset(&m, 0, sizeof(m));
	m.type = PROTO_PROGRESS;
	memset(&pg, 0, sizeof(pg));
	for (int i = 0; i < 1000; i++) {
		pg.items_read = (uint64_t)i;
		m.u.progress = pg;
		assert_int_equal(report_send(&m), 0);
	}
	report_error("Thing", "went wrong", 0);
	report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_STOPPED, 7, 5, "why");
	m.u.progress.items_read = 1000;
	assert_int_equal(report_send(&m), 0);
	/* The reader wakes up: everything but stale progress arrives. */
	drain(p[0]);
	report_done("stopped");
	n = drain(p[0]);
	assert_true(n > 0);
	n = decode_all(msgs, 64);
	assert_true(n >= 4);
	assert_int_equal(msgs[0].type, PROTO_HELLO);
	assert_string_equal(msgs[0].u.hello.resume,
	    "backfill: 1/4 segments done, 7 items");
	for (size_t i = 1; i < n; i++) {
		if (msgs[i].type == PROTO_PROGRESS)
			progress++;
		if (msgs[i].type == PROTO_DONE)
			found_done = 1;
	}
	assert_true(progress <= 3);
	assert_int_equal(msgs[n - 1].type, PROTO_DONE);
	assert_int_equal(msgs[n - 2].type, PROTO_PROGRESS);
	assert_true(msgs[n - 2].u.progress.items_read == 1000);
	assert_int_equal(msgs[n - 3].type, PROTO_PHASE);
	assert_int_equal(msgs[n - 4].type, PROTO_ERROR);
	assert_true(found_done);
	assert_int_equal(worker_stop, 0);

	/* Nobody reads: the must-deliver lines fill the queue, the worker
	 * waits 300 ms (DDB_SYNC_REPORT_STALL_MS), then gives up and stops. */
	for (int i = 0; i < 20000 && report_active(); i++)
		report_error("Thing",
		    "a line that has to reach the "
		    "supervisor, never dropped",
		    0);
	assert_false(report_active());
	assert_int_equal(worker_stop, 1);
	assert_int_equal(report_send(&m), -1);
	worker_stop = 0;
	unsetenv("DDB_SYNC_REPORT_STALL_MS");
	settings_init(NULL, 0);
	report_init(-1, "orders", "");
	close(p[0]);
	close(p[1]);
}

static void
test_report_checkpoints(void **state)
{
	static struct proto_msg msgs[256];
	struct checkpoint ck;
	struct ckpt_segment *sg;
	struct ckpt_shard *sh;
	size_t n, nck = 0;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	report_init(p[1], "orders", "");
	checkpoint_init(&ck);
	for (uint32_t i = 0; i < 100; i++)
		checkpoint_add_segment(&ck, i)->items = i; /* 0 unchanged */
	sh = checkpoint_add_shard(&ck, "shardId-1", NULL);
	sh->items = 5;
	sh->done = 1;
	report_checkpoints(&ck, 1);
	drain(p[0]);
	n = decode_all(msgs, 256);
	for (size_t i = 0; i < n; i++)
		if (msgs[i].type == PROTO_CHECKPOINT)
			nck++;
	/* At most a round's worth, only changed entries. */
	assert_int_equal(nck, REPORT_CKPT_PER_ROUND);
	assert_string_equal(msgs[1].u.checkpoint.kind, "segment");
	assert_string_equal(msgs[1].u.checkpoint.id, "1");
	/* Within the round interval nothing goes, unless forced. */
	report_checkpoints(&ck, 0);
	assert_int_equal(drain(p[0]), 0);
	report_checkpoints(&ck, 1);
	drain(p[0]);
	n = decode_all(msgs, 256);
	/* The rest: segments 65..99 and the shard. */
	assert_int_equal(n, 36);
	assert_string_equal(msgs[n - 1].u.checkpoint.kind, "shard");
	assert_string_equal(msgs[n - 1].u.checkpoint.id, "shardId-1");
	assert_true(msgs[n - 1].u.checkpoint.done);
	/* Unchanged since: nothing more; a change: that entry. */
	report_checkpoints(&ck, 1);
	assert_int_equal(drain(p[0]), 0);
	sg = checkpoint_segment(&ck, 7);
	sg->done = 1;
	report_checkpoints(&ck, 1);
	drain(p[0]);
	assert_int_equal(decode_all(msgs, 256), 1);
	assert_string_equal(msgs[0].u.checkpoint.id, "7");
	assert_true(msgs[0].u.checkpoint.done);
	checkpoint_clear(&ck);
	report_init(-1, "orders", "");
	close(p[0]);
	close(p[1]);
}

static void
test_report_resume_text(void **state)
{
	struct checkpoint ck;
	struct ckpt_shard *sh;
	char buf[PROTO_NAME_MAX];

	checkpoint_init(&ck);
	report_resume_text(&ck, buf, sizeof(buf));
	assert_string_equal(buf, "");
	ck.total_segments = 16;
	checkpoint_add_segment(&ck, 0)->items = 100;
	checkpoint_add_segment(&ck, 3)->done = 1;
	checkpoint_segment(&ck, 3)->items = 20;
	report_resume_text(&ck, buf, sizeof(buf));
	assert_string_equal(buf, "backfill: 1/16 segments done, 120 items");
	ck.backfill_started_ms = 1;
	ck.backfill_completed_ms = 2;
	report_resume_text(&ck, buf, sizeof(buf));
	assert_string_equal(buf, "backfill complete, 120 items");
	ck.stream_arn = xstrdup("arn:aws:dynamodb:x");
	sh = checkpoint_add_shard(&ck, "s1", NULL);
	sh->done = 1;
	checkpoint_add_shard(&ck, "s2", "s1");
	ck.stream_items = 400;
	report_resume_text(&ck, buf, sizeof(buf));
	assert_string_equal(buf,
	    "stream: 2 shards, 1 done, 400 changes "
	    "applied (backfill complete, 120 items)");
	checkpoint_clear(&ck);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_queue_coalesces_progress),
		cmocka_unit_test(test_report_queue_never_drops),
		cmocka_unit_test(test_report_queue_partial_progress),
		cmocka_unit_test(test_report_queue_epipe),
		cmocka_unit_test(test_report_channel_stalled),
		cmocka_unit_test(test_report_checkpoints),
		cmocka_unit_test(test_report_resume_text),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

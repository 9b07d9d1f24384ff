/* fuzz_proto.c: protocol lines: what decodes must encode and decode alike. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/*
 * A text field after a round trip: equal, or (only when the line was at
 * its maximum) a prefix cut on a character boundary.
 */
static void
check_text(const char *a, const char *b, int full)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na == nb) {
		FUZZ_CHECK(memcmp(a, b, na) == 0);
		return;
	}
	FUZZ_CHECK(full);
	FUZZ_CHECK(nb < na && memcmp(a, b, nb) == 0);
	FUZZ_CHECK(fuzz_utf8_valid(b, nb));
}

static void
check_same(const struct proto_msg *a, const struct proto_msg *b, int full)
{
	const struct proto_progress *p = &a->u.progress, *q = &b->u.progress;

	FUZZ_CHECK(a->type == b->type);
	switch (a->type) {
	case PROTO_HELLO:
		FUZZ_CHECK(a->u.hello.pid == b->u.hello.pid);
		FUZZ_CHECK(strcmp(a->u.hello.pair, b->u.hello.pair) == 0);
		FUZZ_CHECK(strcmp(a->u.hello.version, b->u.hello.version) == 0);
		check_text(a->u.hello.resume, b->u.hello.resume, full);
		break;
	case PROTO_LOG:
		FUZZ_CHECK(a->u.log.level == b->u.log.level);
		check_text(a->u.log.msg, b->u.log.msg, full);
		break;
	case PROTO_PHASE:
		FUZZ_CHECK(a->u.phase.phase == b->u.phase.phase);
		FUZZ_CHECK(a->u.phase.state == b->u.phase.state);
		FUZZ_CHECK(a->u.phase.items == b->u.phase.items);
		FUZZ_CHECK(a->u.phase.duration_ms == b->u.phase.duration_ms);
		FUZZ_CHECK(
		    a->u.phase.from_checkpoint == b->u.phase.from_checkpoint);
		check_text(a->u.phase.detail, b->u.phase.detail, full);
		break;
	case PROTO_PROGRESS:
		FUZZ_CHECK(p->phase == q->phase);
		FUZZ_CHECK(p->est_items == q->est_items);
		FUZZ_CHECK(p->est_bytes == q->est_bytes);
		FUZZ_CHECK(p->est_exact == q->est_exact);
		FUZZ_CHECK(p->items_read == q->items_read);
		FUZZ_CHECK(p->items_written == q->items_written);
		FUZZ_CHECK(p->bytes_read == q->bytes_read);
		FUZZ_CHECK(p->segments_done == q->segments_done);
		FUZZ_CHECK(p->segments_total == q->segments_total);
		/* %.17g round-trips a double exactly (-0 becomes 0). */
		FUZZ_CHECK(p->rcu == q->rcu);
		FUZZ_CHECK(p->wcu == q->wcu);
		FUZZ_CHECK(p->buffer_pct == q->buffer_pct);
		FUZZ_CHECK(p->stream_written == q->stream_written);
		FUZZ_CHECK(p->stream_latency_ms == q->stream_latency_ms);
		FUZZ_CHECK(p->caught_up == q->caught_up);
		FUZZ_CHECK(p->shards_active == q->shards_active);
		FUZZ_CHECK(p->throttles == q->throttles);
		FUZZ_CHECK(p->retries == q->retries);
		FUZZ_CHECK(p->elapsed_ms == q->elapsed_ms);
		FUZZ_CHECK(p->stream_read == q->stream_read);
		FUZZ_CHECK(p->shards_done == q->shards_done);
		FUZZ_CHECK(p->shards_total == q->shards_total);
		FUZZ_CHECK(p->retention_risk == q->retention_risk);
		FUZZ_CHECK(p->gap == q->gap);
		FUZZ_CHECK(p->spool_bytes == q->spool_bytes);
		FUZZ_CHECK(p->spool_oldest_ms == q->spool_oldest_ms);
		FUZZ_CHECK(p->spool_paused == q->spool_paused);
		FUZZ_CHECK(p->spool_read_lag_ms == q->spool_read_lag_ms);
		FUZZ_CHECK(p->leases_held == q->leases_held);
		FUZZ_CHECK(p->leases_lost == q->leases_lost);
		FUZZ_CHECK(p->lease_conflicts == q->lease_conflicts);
		break;
	case PROTO_CHECKPOINT:
		FUZZ_CHECK(
		    strcmp(a->u.checkpoint.kind, b->u.checkpoint.kind) == 0);
		FUZZ_CHECK(strcmp(a->u.checkpoint.id, b->u.checkpoint.id) == 0);
		FUZZ_CHECK(a->u.checkpoint.items == b->u.checkpoint.items);
		FUZZ_CHECK(a->u.checkpoint.done == b->u.checkpoint.done);
		break;
	case PROTO_ERROR:
		FUZZ_CHECK(strcmp(a->u.error.code, b->u.error.code) == 0);
		FUZZ_CHECK(a->u.error.fatal == b->u.error.fatal);
		check_text(a->u.error.msg, b->u.error.msg, full);
		break;
	case PROTO_DONE:
		FUZZ_CHECK(strcmp(a->u.done.status, b->u.done.status) == 0);
		break;
	case PROTO_WARNING:
		FUZZ_CHECK(strcmp(a->u.warning.code, b->u.warning.code) == 0);
		check_text(a->u.warning.msg, b->u.warning.msg, full);
		break;
	default:
		FUZZ_CHECK(!"decoded an unknown type");
	}
}

/* A line proto_encode() wrote: one JSON line, terminated, in bounds. */
static void
check_line(const char *buf, int n)
{
	FUZZ_CHECK(n > 1 && n <= PROTO_MAX_LINE);
	FUZZ_CHECK(buf[n - 1] == '\n' && buf[n] == '\0');
	FUZZ_CHECK(memchr(buf, '\n', (size_t)n - 1) == NULL);
	FUZZ_CHECK(fuzz_utf8_valid(buf, (size_t)n));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_msg m, m2, m3;
	static char buf[PROTO_MAX_LINE + 1], buf2[PROTO_MAX_LINE + 1];
	char err[256];
	int n, n2, full;

	err[0] = '\0';
	if (proto_decode((const char *)data, size, &m, err, sizeof(err)) ==
	    -1) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK((unsigned)m.type < PROTO_TYPE_MAX);
	FUZZ_CHECK(strcmp(proto_type_name(m.type), "unknown") != 0);

	/* Every decoded message is valid, so it encodes. */
	n = proto_encode(&m, buf, sizeof(buf));
	FUZZ_CHECK(n != -1);
	check_line(buf, n);
	/* Text may only have been cut when the line hit its maximum. */
	full = n >= PROTO_MAX_LINE - 8;
	FUZZ_CHECK(proto_decode(buf, (size_t)n, &m2, err, sizeof(err)) == 0);
	check_same(&m, &m2, full);

	/* Encoding is a fixed point after one round. */
	n2 = proto_encode(&m2, buf2, sizeof(buf2));
	FUZZ_CHECK(n2 == n && memcmp(buf, buf2, (size_t)n) == 0);
	FUZZ_CHECK(proto_decode(buf2, (size_t)n2, &m3, NULL, 0) == 0);
	check_same(&m2, &m3, 0);

	/* A buffer too short by one byte is ENOSPC, never an overflow. */
	if (n > 2) {
		char *small = malloc((size_t)n);

		FUZZ_CHECK(small != NULL);
		errno = 0;
		n2 = proto_encode(&m2, small, (size_t)n);
		FUZZ_CHECK(n2 == -1 ? errno == ENOSPC : n2 < n);
		if (n2 != -1) {
			check_line(small, n2);
			FUZZ_CHECK(
			    proto_decode(small, (size_t)n2, &m3, NULL, 0) == 0);
		}
		free(small);
	}
	return 0;
}

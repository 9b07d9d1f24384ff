/*
 * fuzz_proto_encode.c: messages built from the input bytes (any numbers,
 * any bytes in strings, any buffer size): what proto_encode() writes,
 * proto_decode() accepts, with the same values.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t
take(struct in *in, size_t bytes)
{
	uint64_t v = 0;

	while (bytes-- > 0 && in->n > 0) {
		v = v << 8 | *in->p++;
		in->n--;
	}
	return v;
}

/* A length byte, then that many bytes (cut to the field, NUL-terminated). */
static void
take_str(struct in *in, char *dst, size_t dstsz)
{
	size_t len = (size_t)take(in, 2);

	if (len > in->n)
		len = in->n;
	if (len > dstsz - 1)
		len = dstsz - 1;
	memcpy(dst, in->p, len);
	dst[len] = '\0';
	in->p += len;
	in->n -= len;
}

/* Small values are the interesting ones for enums; keep some invalid. */
static int
take_enum(struct in *in, int max)
{
	return (int)(take(in, 1) % (unsigned)(max + 2)) - 1;
}

static double
take_double(struct in *in)
{
	uint64_t u = take(in, 8);
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static void
build(struct in *in, struct proto_msg *m)
{
	struct proto_progress *p = &m->u.progress;

	memset(m, 0, sizeof(*m));
	m->type = (enum proto_type)(take(in, 1) % (PROTO_TYPE_MAX + 1));
	switch (m->type) {
	case PROTO_HELLO:
		m->u.hello.pid = (int64_t)take(in, 8);
		take_str(in, m->u.hello.pair, sizeof(m->u.hello.pair));
		take_str(in, m->u.hello.version, sizeof(m->u.hello.version));
		take_str(in, m->u.hello.resume, sizeof(m->u.hello.resume));
		break;
	case PROTO_LOG:
		m->u.log.level = (enum proto_level)take_enum(in, PROTO_LVL_MAX);
		take_str(in, m->u.log.msg, sizeof(m->u.log.msg));
		break;
	case PROTO_PHASE:
		m->u.phase.phase = (enum proto_phase)take_enum(in,
		    PROTO_PHASE_MAX);
		m->u.phase.state = (enum proto_phase_state)take_enum(in,
		    PROTO_PS_MAX);
		m->u.phase.items = take(in, 8);
		m->u.phase.duration_ms = take(in, 8);
		take_str(in, m->u.phase.detail, sizeof(m->u.phase.detail));
		m->u.phase.from_checkpoint = (int)take(in, 1);
		break;
	case PROTO_PROGRESS:
		p->phase = (enum proto_phase)take_enum(in, PROTO_PHASE_MAX);
		p->est_items = take(in, 8);
		p->est_bytes = take(in, 8);
		p->est_exact = (int)take(in, 1);
		p->items_read = take(in, 8);
		p->items_written = take(in, 8);
		p->bytes_read = take(in, 8);
		p->segments_done = (uint32_t)take(in, 4);
		p->segments_total = (uint32_t)take(in, 4);
		p->rcu = take_double(in);
		p->wcu = take_double(in);
		p->buffer_pct = (uint32_t)take(in, 1);
		p->stream_written = take(in, 8);
		p->stream_latency_ms = (int64_t)take(in, 8);
		p->caught_up = (int)take(in, 1);
		p->shards_active = (uint32_t)take(in, 4);
		p->throttles = take(in, 8);
		p->retries = take(in, 8);
		p->elapsed_ms = take(in, 8);
		p->stream_read = take(in, 8);
		p->shards_done = (uint32_t)take(in, 4);
		p->shards_total = (uint32_t)take(in, 4);
		p->retention_risk = (int)take(in, 1);
		p->gap = (int)take(in, 1);
		/* The spool's optional fields; -1 (no record) is left out of
		 * the line and must still come back as -1. */
		p->spool_bytes = take(in, 8);
		p->spool_oldest_ms = (int64_t)take(in, 8);
		if (take(in, 1) & 1)
			p->spool_oldest_ms = -1;
		p->spool_paused = (int)take(in, 1);
		p->spool_read_lag_ms = (int64_t)take(in, 8);
		if (take(in, 1) & 1)
			p->spool_read_lag_ms = -1;
		/* A fleet's lease counts: 0 is left out of the line. */
		p->leases_held = (uint32_t)take(in, 1);
		p->leases_lost = take(in, 8);
		p->lease_conflicts = take(in, 1);
		break;
	case PROTO_CHECKPOINT:
		take_str(in, m->u.checkpoint.kind,
		    sizeof(m->u.checkpoint.kind));
		take_str(in, m->u.checkpoint.id, sizeof(m->u.checkpoint.id));
		m->u.checkpoint.items = take(in, 8);
		m->u.checkpoint.done = (int)take(in, 1);
		break;
	case PROTO_ERROR:
		take_str(in, m->u.error.code, sizeof(m->u.error.code));
		m->u.error.fatal = (int)take(in, 1);
		take_str(in, m->u.error.msg, sizeof(m->u.error.msg));
		break;
	case PROTO_DONE:
		take_str(in, m->u.done.status, sizeof(m->u.done.status));
		break;
	case PROTO_WARNING:
		take_str(in, m->u.warning.code, sizeof(m->u.warning.code));
		take_str(in, m->u.warning.msg, sizeof(m->u.warning.msg));
		break;
	case PROTO_LIMITS:
		m->u.limits.read = take_double(in);
		m->u.limits.read_pct = take_double(in);
		m->u.limits.write = take_double(in);
		m->u.limits.write_pct = take_double(in);
		break;
	default:
		break;
	}
}

/* Identifiers come back as they were (when they were valid UTF-8). */
static void
check_ident(const char *a, const char *b)
{
	if (fuzz_utf8_valid(a, strlen(a)))
		FUZZ_CHECK(strcmp(a, b) == 0);
}

/* Text comes back whole or cut, when it was valid UTF-8. */
static void
check_text(const char *a, const char *b)
{
	size_t nb = strlen(b);

	FUZZ_CHECK(fuzz_utf8_valid(b, nb));
	if (fuzz_utf8_valid(a, strlen(a)))
		FUZZ_CHECK(strncmp(a, b, nb) == 0);
}

static void
check_same(const struct proto_msg *a, const struct proto_msg *b)
{
	const struct proto_progress *p = &a->u.progress, *q = &b->u.progress;

	FUZZ_CHECK(a->type == b->type);
	switch (a->type) {
	case PROTO_HELLO:
		FUZZ_CHECK(a->u.hello.pid == b->u.hello.pid);
		check_ident(a->u.hello.pair, b->u.hello.pair);
		check_ident(a->u.hello.version, b->u.hello.version);
		check_text(a->u.hello.resume, b->u.hello.resume);
		break;
	case PROTO_LOG:
		FUZZ_CHECK(a->u.log.level == b->u.log.level);
		check_text(a->u.log.msg, b->u.log.msg);
		break;
	case PROTO_PHASE:
		FUZZ_CHECK(a->u.phase.phase == b->u.phase.phase);
		FUZZ_CHECK(a->u.phase.state == b->u.phase.state);
		FUZZ_CHECK(a->u.phase.items == b->u.phase.items);
		FUZZ_CHECK(a->u.phase.duration_ms == b->u.phase.duration_ms);
		FUZZ_CHECK(
		    !a->u.phase.from_checkpoint == !b->u.phase.from_checkpoint);
		check_text(a->u.phase.detail, b->u.phase.detail);
		break;
	case PROTO_PROGRESS:
		FUZZ_CHECK(p->phase == q->phase);
		FUZZ_CHECK(p->est_items == q->est_items);
		FUZZ_CHECK(p->est_bytes == q->est_bytes);
		FUZZ_CHECK(!p->est_exact == !q->est_exact);
		FUZZ_CHECK(p->items_read == q->items_read);
		FUZZ_CHECK(p->items_written == q->items_written);
		FUZZ_CHECK(p->bytes_read == q->bytes_read);
		FUZZ_CHECK(p->segments_done == q->segments_done);
		FUZZ_CHECK(p->segments_total == q->segments_total);
		FUZZ_CHECK(p->rcu == q->rcu && p->wcu == q->wcu);
		FUZZ_CHECK(p->buffer_pct == q->buffer_pct);
		FUZZ_CHECK(p->stream_written == q->stream_written);
		FUZZ_CHECK(p->stream_latency_ms == q->stream_latency_ms);
		FUZZ_CHECK(!p->caught_up == !q->caught_up);
		FUZZ_CHECK(p->shards_active == q->shards_active);
		FUZZ_CHECK(p->throttles == q->throttles);
		FUZZ_CHECK(p->retries == q->retries);
		FUZZ_CHECK(p->elapsed_ms == q->elapsed_ms);
		FUZZ_CHECK(p->stream_read == q->stream_read);
		FUZZ_CHECK(p->shards_done == q->shards_done);
		FUZZ_CHECK(p->shards_total == q->shards_total);
		FUZZ_CHECK(!p->retention_risk == !q->retention_risk);
		FUZZ_CHECK(!p->gap == !q->gap);
		FUZZ_CHECK(p->spool_bytes == q->spool_bytes);
		FUZZ_CHECK(p->spool_oldest_ms == q->spool_oldest_ms);
		FUZZ_CHECK(!p->spool_paused == !q->spool_paused);
		FUZZ_CHECK(p->spool_read_lag_ms == q->spool_read_lag_ms);
		FUZZ_CHECK(p->leases_held == q->leases_held);
		FUZZ_CHECK(p->leases_lost == q->leases_lost);
		FUZZ_CHECK(p->lease_conflicts == q->lease_conflicts);
		break;
	case PROTO_CHECKPOINT:
		check_ident(a->u.checkpoint.kind, b->u.checkpoint.kind);
		check_ident(a->u.checkpoint.id, b->u.checkpoint.id);
		FUZZ_CHECK(a->u.checkpoint.items == b->u.checkpoint.items);
		FUZZ_CHECK(!a->u.checkpoint.done == !b->u.checkpoint.done);
		break;
	case PROTO_ERROR:
		check_ident(a->u.error.code, b->u.error.code);
		FUZZ_CHECK(!a->u.error.fatal == !b->u.error.fatal);
		check_text(a->u.error.msg, b->u.error.msg);
		break;
	case PROTO_DONE:
		check_ident(a->u.done.status, b->u.done.status);
		break;
	case PROTO_WARNING:
		check_ident(a->u.warning.code, b->u.warning.code);
		check_text(a->u.warning.msg, b->u.warning.msg);
		break;
	case PROTO_LIMITS:
		FUZZ_CHECK(a->u.limits.read == b->u.limits.read);
		FUZZ_CHECK(a->u.limits.read_pct == b->u.limits.read_pct);
		FUZZ_CHECK(a->u.limits.write == b->u.limits.write);
		FUZZ_CHECK(a->u.limits.write_pct == b->u.limits.write_pct);
		break;
	default:
		FUZZ_CHECK(!"encoded an unknown type");
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_msg m, d;
	struct in in = { data, size };
	char err[256], *buf;
	size_t len;
	int n;

	if (size < 2)
		return 0;
	/* The output buffer: tiny, medium or the full line, exactly sized. */
	len = (size_t)take(&in, 2);
	if (len & 0x8000)
		len = PROTO_MAX_LINE + 1 + (len & 0xff);
	else
		len &= 0x7fff;
	build(&in, &m);
	buf = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(buf != NULL);
	errno = 0;
	n = proto_encode(&m, buf, len);
	if (n == -1) {
		FUZZ_CHECK(errno == EINVAL || errno == ENOSPC);
		/* Nothing this harness builds is too long for a full line. */
		FUZZ_CHECK(errno != ENOSPC || len <= PROTO_MAX_LINE);
		free(buf);
		return 0;
	}
	FUZZ_CHECK(n > 1 && (size_t)n < len && n <= PROTO_MAX_LINE);
	FUZZ_CHECK(buf[n - 1] == '\n' && buf[n] == '\0');
	FUZZ_CHECK(memchr(buf, '\n', (size_t)n - 1) == NULL);
	FUZZ_CHECK(fuzz_utf8_valid(buf, (size_t)n));
	/* PROTOCOL.md: what proto_encode() produces, proto_decode() accepts. */
	err[0] = '\0';
	if (proto_decode(buf, (size_t)n, &d, err, sizeof(err)) == -1) {
		fprintf(stderr, "decode of encoded line failed: %s\n%s", err,
		    buf);
		FUZZ_CHECK(!"encoded line does not decode");
	}
	check_same(&m, &d);
	free(buf);
	return 0;
}

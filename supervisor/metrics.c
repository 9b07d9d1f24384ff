/* metrics.c: /metrics for Prometheus (evhttp) and the data of "ctl status". */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "buf.h"
#include "compat.h"
#include "log.h"
#include "metrics.h"
#include "sup.h"
#include "xmalloc.h"
#include "xtime.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ counters */

/* A run counter: what the old value counted joins the base when the new
 * one restarted (a new worker, a new phase). */
static void
acc_u64(uint64_t *base, uint64_t old, uint64_t cur, int restarted)
{
	if (restarted || cur < old)
		*base += old;
}

static void
acc_max(uint64_t *hi, uint64_t cur)
{
	if (cur > *hi)
		*hi = cur;
}

void
metrics_acc_progress(struct metrics_acc *a, const struct proto_progress *o,
    const struct proto_progress *c, int new_worker)
{
	acc_u64(&a->bytes_read, o->bytes_read, c->bytes_read, new_worker);
	acc_u64(&a->bytes_written, o->bytes_written, c->bytes_written,
	    new_worker);
	acc_u64(&a->throttles, o->throttles, c->throttles, new_worker);
	acc_u64(&a->retries, o->retries, c->retries, new_worker);
	acc_u64(&a->transient, o->transient_errors, c->transient_errors,
	    new_worker);
	acc_u64(&a->stream_read, o->stream_read, c->stream_read, new_worker);
	acc_u64(&a->stream_skipped, o->stream_skipped, c->stream_skipped,
	    new_worker);
	acc_u64(&a->ttl_expired, o->ttl_expired_skipped, c->ttl_expired_skipped,
	    new_worker);
	acc_u64(&a->ttl_deletes, o->ttl_deletes_skipped, c->ttl_deletes_skipped,
	    new_worker);
	acc_u64(&a->leases_lost, o->leases_lost, c->leases_lost, new_worker);
	acc_u64(&a->lease_conflicts, o->lease_conflicts, c->lease_conflicts,
	    new_worker);
	if (new_worker || c->rcu < o->rcu)
		a->rcu += o->rcu;
	if (new_worker || c->wcu < o->wcu)
		a->wcu += o->wcu;
	acc_max(&a->items_read, c->items_read);
	acc_max(&a->items_written, c->items_written);
	acc_max(&a->stream_written, c->stream_written);
}

/* -------------------------------------------------------- per-pair data */

uint64_t
metrics_items_written(const struct child *c)
{
	uint64_t n = c->acc.items_written > c->prog.items_written ?
	    c->acc.items_written :
	    c->prog.items_written;

	/* A backfill that completed counted what it wrote (the stream
	 * phase's progress starts its counters from zero). */
	if (c->backfill == PROTO_PS_COMPLETE && c->backfill_items > n)
		n = c->backfill_items;
	return n;
}

void
metrics_pair_from_child(const struct child *c, struct metrics_pair *m)
{
	const struct proto_progress *p = &c->prog;
	const struct metrics_acc *a = &c->acc;
	uint64_t target, done;

	memset(m, 0, sizeof(*m));
	m->pair = c->pair->name;
	m->source_table = c->pair->input.table;
	m->destination_table = c->pair->output.table;
	m->state = child_state_name(c->state);
	m->worker_up = c->pid != -1;
	m->backfill = c->backfill;
	m->stream = c->stream;
	m->restarts = c->restarts;
	m->last_error = c->last_error;

	m->items_scanned = a->items_read > p->items_read ? a->items_read :
							   p->items_read;
	m->items_written = metrics_items_written(c);
	m->stream_applied = a->stream_written > p->stream_written ?
	    a->stream_written :
	    p->stream_written;
	m->bytes_read = a->bytes_read + p->bytes_read;
	m->bytes_written = a->bytes_written + p->bytes_written;
	m->stream_read = a->stream_read + p->stream_read;
	m->stream_skipped_handoff = a->stream_skipped + p->stream_skipped;
	m->stream_skipped_ttl = a->ttl_deletes + p->ttl_deletes_skipped;
	m->backfill_skipped_ttl = a->ttl_expired + p->ttl_expired_skipped;
	m->rcu = a->rcu + p->rcu;
	m->wcu = a->wcu + p->wcu;
	m->throttled = a->throttles + p->throttles;
	m->retried = a->retries + p->retries;
	m->errors_transient = a->transient + p->transient_errors;
	m->errors_fatal = a->errors_fatal;
	m->errors_nonfatal = a->errors_nonfatal;
	m->errors_protocol = a->errors_protocol;

	m->est_items = p->est_items;
	m->est_exact = p->est_exact;
	m->writes_inflight = m->worker_up ? p->writes_inflight : 0;
	m->writes_limit = p->writes_limit;
	m->read_limit = c->lim_sent.read > 0 ? c->lim_sent.read : -1;
	m->read_limit_ratio = c->lim_sent.read_pct > 0 ?
	    c->lim_sent.read_pct / 100 :
	    -1;
	m->write_limit = c->lim_sent.write > 0 ? c->lim_sent.write : -1;
	m->write_limit_ratio = c->lim_sent.write_pct > 0 ?
	    c->lim_sent.write_pct / 100 :
	    -1;
	/* A fleet: only its workers send lease counts (verify has no
	 * host id: it takes no lease). */
	m->fleet = c->sup != NULL && c->sup->host_id != NULL;
	m->leases_held = m->worker_up ? p->leases_held : 0;
	m->leases_lost = a->leases_lost + p->leases_lost;
	m->lease_conflicts = a->lease_conflicts + p->lease_conflicts;
	m->gap = p->gap;
	m->caught_up = p->caught_up && c->stream == PROTO_PS_RUNNING;
	m->spool_bytes = m->spool_oldest_age_s = -1;
	if (m->worker_up && proto_spool_shown(p)) {
		m->spool_bytes = (double)p->spool_bytes;
		if (p->spool_oldest_ms >= 0)
			m->spool_oldest_age_s = (double)p->spool_oldest_ms /
			    1000.0;
		m->spool_paused = p->spool_paused != 0;
	}

	/* Backfill: the share of the estimate written, and the time left
	 * at the phase's average pace so far. The estimate may be hours
	 * old: the ratio reaches 1 only when the phase says it is done. */
	m->backfill_ratio = m->backfill_eta_s = -1;
	target = p->est_items;
	done = m->items_written;
	if (c->backfill == PROTO_PS_COMPLETE) {
		m->backfill_ratio = 1;
		m->backfill_eta_s = 0;
	} else if (target > 0 && c->pair->backfill) {
		m->backfill_ratio = done >= target ?
		    0.99 :
		    (double)done / (double)target;
		if (m->backfill_ratio > 0.99)
			m->backfill_ratio = 0.99;
		if (c->backfill == PROTO_PS_RUNNING && done > 0 &&
		    p->phase == PROTO_PHASE_BACKFILL && p->elapsed_ms > 0)
			m->backfill_eta_s = done >= target ?
			    0 :
			    (double)(target - done) * (double)p->elapsed_ms /
				(double)done / 1000.0;
	}

	/* Stream: lag is nothing when caught up, else the age of the newest
	 * change applied. The oldest change not yet applied is older than
	 * the backfill while the backfill runs (changes since its start are
	 * kept for the stream), and about the lag during the stream. */
	m->stream_latency_s = m->retention_used = -1;
	if (c->stream == PROTO_PS_RUNNING && p->phase == PROTO_PHASE_STREAM) {
		if (m->caught_up)
			m->stream_latency_s = 0;
		else if (p->stream_latency_ms >= 0)
			m->stream_latency_s = (double)p->stream_latency_ms /
			    1000.0;
		if (m->stream_latency_s >= 0)
			m->retention_used = m->stream_latency_s * 1000.0 /
			    (double)METRICS_RETENTION_MS;
	} else if (c->pair->stream && c->backfill == PROTO_PS_RUNNING &&
	    p->phase == PROTO_PHASE_BACKFILL)
		m->retention_used = (double)p->elapsed_ms /
		    (double)METRICS_RETENTION_MS;
	/* With the spool, what the retention threatens is what is not
	 * read yet: the reader's lag, in either phase. */
	if (p->spool_read_lag_ms >= 0 && m->worker_up)
		m->retention_used = (double)p->spool_read_lag_ms /
		    (double)METRICS_RETENTION_MS;
	if (m->gap)
		m->retention_used = 1;
	if (m->retention_used > 1)
		m->retention_used = 1;
}

/* ------------------------------------------------------------ rendering */

int
metrics_label_value(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		switch (*s) {
		case '\\':
			rc = buf_adds(b, "\\\\");
			break;
		case '"':
			rc = buf_adds(b, "\\\"");
			break;
		case '\n':
			rc = buf_adds(b, "\\n");
			break;
		default:
			rc = buf_addc(b, *s);
			break;
		}
	}
	return rc;
}

static int
family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* name{pair=...,source_table=...,destination_table=...[,k="v"]...} */
static int
series(struct buf *b, const char *name, const struct metrics_pair *p,
    const char *k1, const char *v1, const char *k2, const char *v2)
{
	int rc = 0;

	rc |= buf_adds(b, name);
	rc |= buf_adds(b, "{pair=\"");
	rc |= metrics_label_value(b, p->pair);
	rc |= buf_adds(b, "\",source_table=\"");
	rc |= metrics_label_value(b, p->source_table);
	rc |= buf_adds(b, "\",destination_table=\"");
	rc |= metrics_label_value(b, p->destination_table);
	if (k1 != NULL) {
		rc |= buf_printf(b, "\",%s=\"", k1);
		rc |= metrics_label_value(b, v1);
	}
	if (k2 != NULL) {
		rc |= buf_printf(b, "\",%s=\"", k2);
		rc |= metrics_label_value(b, v2);
	}
	rc |= buf_adds(b, "\"} ");
	return rc;
}

static int
num(struct buf *b, double v)
{
	return buf_printf(b, "%.15g\n", v);
}

static int
u64(struct buf *b, uint64_t v)
{
	return buf_printf(b, "%" PRIu64 "\n", v);
}

/* Counters and plain gauges, one per pair, read from struct fields. */
enum mkind {
	MK_U64,
	MK_DBL,
	MK_U32,
	MK_OPT
}; /* MK_OPT: < 0 absent */

static const struct mdef {
	const char *name;
	const char *type;
	enum mkind kind;
	size_t off;
	const char *help;
} mdefs[] = {
#define F(f) offsetof(struct metrics_pair, f)
	{ "ddb_sync_items_scanned_total", "counter", MK_U64, F(items_scanned),
	    "Items received from the source's Scan (backfill)." },
	{ "ddb_sync_items_written_total", "counter", MK_U64, F(items_written),
	    "Items the backfill wrote to the destination (acknowledged)." },
	{ "ddb_sync_read_bytes_total", "counter", MK_U64, F(bytes_read),
	    "Bytes of Scan pages received (backfill)." },
	{ "ddb_sync_written_bytes_total", "counter", MK_U64, F(bytes_written),
	    "Bytes of items and keys in acknowledged writes, both phases." },
	{ "ddb_sync_stream_records_read_total", "counter", MK_U64,
	    F(stream_read), "Stream records received from GetRecords." },
	{ "ddb_sync_stream_records_applied_total", "counter", MK_U64,
	    F(stream_applied), "Stream changes applied to the destination." },
	{ "ddb_sync_consumed_read_capacity_units_total", "counter", MK_DBL,
	    F(rcu),
	    "Read capacity consumed (0 with consumed_capacity: false)." },
	{ "ddb_sync_consumed_write_capacity_units_total", "counter", MK_DBL,
	    F(wcu),
	    "Write capacity consumed (0 with consumed_capacity: false)." },
	{ "ddb_sync_throttled_requests_total", "counter", MK_U64, F(throttled),
	    "Requests throttled, and writes left unprocessed." },
	{ "ddb_sync_retried_requests_total", "counter", MK_U64, F(retried),
	    "Requests retried for any reason." },
	{ "ddb_sync_source_items_estimate", "gauge", MK_U64, F(est_items),
	    "Source items: DescribeTable's estimate, or counted by a complete "
	    "backfill." },
	{ "ddb_sync_backfill_progress_ratio", "gauge", MK_OPT,
	    F(backfill_ratio),
	    "Backfill items written over the source's "
	    "estimate, 0 to 1 (1 only once complete)." },
	{ "ddb_sync_backfill_eta_seconds", "gauge", MK_OPT, F(backfill_eta_s),
	    "Backfill time left at its average pace so far." },
	{ "ddb_sync_stream_latency_seconds", "gauge", MK_OPT,
	    F(stream_latency_s),
	    "Stream lag: 0 when caught up, else the age "
	    "of the newest change applied." },
	{ "ddb_sync_stream_retention_used_ratio", "gauge", MK_OPT,
	    F(retention_used),
	    "Share of the stream's 24 h retention used by "
	    "the oldest change not yet applied (estimate; 1 after a gap)." },
	{ "ddb_sync_writes_inflight", "gauge", MK_U32, F(writes_inflight),
	    "BatchWriteItem requests in flight." },
	{ "ddb_sync_writes_inflight_limit", "gauge", MK_U32, F(writes_limit),
	    "The most BatchWriteItem requests in flight at once." },
	{ "ddb_sync_read_capacity_limit", "gauge", MK_OPT, F(read_limit),
	    "The pair's share of its source's read capacity limit, units "
	    "per second (absent: no such limit)." },
	{ "ddb_sync_read_capacity_limit_ratio", "gauge", MK_OPT,
	    F(read_limit_ratio),
	    "The pair's share of its source's read capacity limit, as a "
	    "share of the table's capacity (absent: no such limit)." },
	{ "ddb_sync_write_capacity_limit", "gauge", MK_OPT, F(write_limit),
	    "The pair's share of its destination's write capacity limit, "
	    "units per second (absent: no such limit)." },
	{ "ddb_sync_write_capacity_limit_ratio", "gauge", MK_OPT,
	    F(write_limit_ratio),
	    "The pair's share of its destination's write capacity limit, "
	    "as a share of the table's capacity (absent: no such limit)." },
	{ "ddb_sync_spool_bytes", "gauge", MK_OPT, F(spool_bytes),
	    "Bytes the pair's stream spool holds on disk (absent: no "
	    "spool)." },
	{ "ddb_sync_spool_oldest_age_seconds", "gauge", MK_OPT,
	    F(spool_oldest_age_s),
	    "Age of the oldest record the stream spool keeps (absent: no "
	    "spool, or no record in it)." },
	{ "ddb_sync_spool_paused", "gauge", MK_U32, F(spool_paused),
	    "1 while reading the stream into the spool is paused because "
	    "the spool is full." },
#undef F
};

static int
render_def(struct buf *b, const struct mdef *d, const struct metrics_pair *p,
    size_t n)
{
	int rc = family(b, d->name, d->type, d->help);

	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *f = (const char *)&p[i] + d->off;
		double v;

		switch (d->kind) {
		case MK_U64:
			rc |= series(b, d->name, &p[i], NULL, NULL, NULL, NULL);
			rc |= u64(b, *(const uint64_t *)(const void *)f);
			break;
		case MK_U32:
			rc |= series(b, d->name, &p[i], NULL, NULL, NULL, NULL);
			rc |= u64(b, *(const uint32_t *)(const void *)f);
			break;
		case MK_DBL:
		case MK_OPT:
			v = *(const double *)(const void *)f;
			if (d->kind == MK_OPT && v < 0)
				break;
			rc |= series(b, d->name, &p[i], NULL, NULL, NULL, NULL);
			rc |= num(b, v);
			break;
		}
	}
	return rc;
}

static const char *const pair_states[] = {
	"idle",
	"running",
	"restarting",
	"stopped",
	"done",
	"failed",
};

/* A fleet's lease counts: only pairs in a fleet, no family without one. */
static int
render_fleet(const struct metrics_pair *p, size_t n, struct buf *b)
{
	static const struct {
		const char *name;
		const char *type;
		const char *help;
	} fams[] = {
		{ "ddb_sync_fleet_leases_held", "gauge",
		    "Segment and shard leases of the pair this host holds "
		    "now (a fleet)." },
		{ "ddb_sync_fleet_leases_lost_total", "counter",
		    "Leases of the pair this host lost: taken by another host, "
		    "or expired before a renewal succeeded (a fleet)." },
		{ "ddb_sync_fleet_lease_conflicts_total", "counter",
		    "Lease writes of this host refused by their condition "
		    "(ConditionalCheckFailed; a fleet)." },
	};
	size_t i, k;
	int any = 0, rc = 0;

	for (i = 0; i < n; i++)
		any |= p[i].fleet;
	for (k = 0; any && k < nitems(fams) && rc == 0; k++) {
		rc |= family(b, fams[k].name, fams[k].type, fams[k].help);
		for (i = 0; i < n && rc == 0; i++) {
			if (!p[i].fleet)
				continue;
			rc |= series(b, fams[k].name, &p[i], NULL, NULL, NULL,
			    NULL);
			rc |= u64(b,
			    k == 0     ? p[i].leases_held :
				k == 1 ? p[i].leases_lost :
					 p[i].lease_conflicts);
		}
	}
	return rc;
}

static int
render_pairs(const struct metrics_pair *p, size_t n, struct buf *b)
{
	static const char *const fams[] = {
		"ddb_sync_stream_records_skipped_total", "ddb_sync_errors_total"
	};
	const char *ph;
	size_t i, k;
	int s, rc = 0;

	for (k = 0; k < nitems(mdefs) && rc == 0; k++)
		rc |= render_def(b, &mdefs[k], p, n);

	rc |= family(b, fams[0], "counter",
	    "Stream records not applied, by "
	    "reason: older than the backfill's start (before_handoff), or "
	    "the TTL service's deletes with ttl.apply_deletes: false "
	    "(ttl_delete).");
	for (i = 0; i < n && rc == 0; i++) {
		rc |= series(b, fams[0], &p[i], "reason", "before_handoff",
		    NULL, NULL);
		rc |= u64(b, p[i].stream_skipped_handoff);
		rc |= series(b, fams[0], &p[i], "reason", "ttl_delete", NULL,
		    NULL);
		rc |= u64(b, p[i].stream_skipped_ttl);
	}
	rc |= family(b, "ddb_sync_backfill_items_skipped_total", "counter",
	    "Source items the backfill did not copy, by reason (ttl_expired: "
	    "their TTL had passed).");
	for (i = 0; i < n && rc == 0; i++) {
		rc |= series(b, "ddb_sync_backfill_items_skipped_total", &p[i],
		    "reason", "ttl_expired", NULL, NULL);
		rc |= u64(b, p[i].backfill_skipped_ttl);
	}
	rc |= family(b, fams[1], "counter",
	    "Errors by class: transient "
	    "(a request failed and was retried: 5xx, network, timeout), "
	    "nonfatal and fatal (reported by the worker), protocol (a worker "
	    "broke the protocol).");
	for (i = 0; i < n && rc == 0; i++) {
		rc |= series(b, fams[1], &p[i], "class", "transient", NULL,
		    NULL);
		rc |= u64(b, p[i].errors_transient);
		rc |= series(b, fams[1], &p[i], "class", "nonfatal", NULL,
		    NULL);
		rc |= u64(b, p[i].errors_nonfatal);
		rc |= series(b, fams[1], &p[i], "class", "fatal", NULL, NULL);
		rc |= u64(b, p[i].errors_fatal);
		rc |= series(b, fams[1], &p[i], "class", "protocol", NULL,
		    NULL);
		rc |= u64(b, p[i].errors_protocol);
	}
	rc |= render_fleet(p, n, b);
	rc |= family(b, "ddb_sync_worker_restarts_total", "counter",
	    "Times the supervisor restarted the pair's worker after a crash.");
	for (i = 0; i < n && rc == 0; i++) {
		rc |= series(b, "ddb_sync_worker_restarts_total", &p[i], NULL,
		    NULL, NULL, NULL);
		rc |= u64(b, p[i].restarts);
	}
	rc |= family(b, "ddb_sync_stream_caught_up", "gauge",
	    "1 while every "
	    "open shard of the stream is read and applied to its tip.");
	for (i = 0; i < n && rc == 0; i++) {
		rc |= series(b, "ddb_sync_stream_caught_up", &p[i], NULL, NULL,
		    NULL, NULL);
		rc |= u64(b, (uint64_t)p[i].caught_up);
	}
	rc |= family(b, "ddb_sync_stream_gap", "gauge",
	    "1 when stream "
	    "records were trimmed before they were applied: the destination "
	    "is incomplete.");
	for (i = 0; i < n && rc == 0; i++) {
		rc |= series(b, "ddb_sync_stream_gap", &p[i], NULL, NULL, NULL,
		    NULL);
		rc |= u64(b, (uint64_t)p[i].gap);
	}
	rc |= family(b, "ddb_sync_pair_state", "gauge",
	    "The pair's worker "
	    "as the supervisor sees it: 1 for the current state.");
	for (i = 0; i < n && rc == 0; i++)
		for (k = 0; k < nitems(pair_states); k++) {
			rc |= series(b, "ddb_sync_pair_state", &p[i], "state",
			    pair_states[k], NULL, NULL);
			rc |= u64(b, strcmp(p[i].state, pair_states[k]) == 0);
		}
	rc |= family(b, "ddb_sync_phase_state", "gauge",
	    "Each phase's state "
	    "as the worker reported it: 1 for the current state.");
	for (i = 0; i < n && rc == 0; i++)
		for (k = 0; k < 2; k++) {
			ph = proto_phase_name((enum proto_phase)k);
			for (s = 0; s < PROTO_PS_MAX; s++) {
				rc |= series(b, "ddb_sync_phase_state", &p[i],
				    "phase", ph, "state",
				    proto_phase_state_name(s));
				rc |= u64(b,
				    (k == 0 ? p[i].backfill : p[i].stream) ==
					(enum proto_phase_state)s);
			}
		}
	return rc;
}

int
metrics_render(const struct metrics_pair *p, size_t n,
    const struct metrics_global *g, struct buf *b)
{
	int rc = 0;

	rc |= family(b, "ddb_sync_build_info", "gauge",
	    "The running "
	    "ddb-sync's version, as a label.");
	rc |= buf_adds(b, "ddb_sync_build_info{version=\"");
	rc |= metrics_label_value(b, g->version);
	rc |= buf_adds(b, "\"} 1\n");
	rc |= family(b, "ddb_sync_pairs", "gauge", "Table pairs in the plan.");
	rc |= buf_printf(b, "ddb_sync_pairs %zu\n", g->pairs);
	rc |= family(b, "ddb_sync_workers_up", "gauge",
	    "Worker processes "
	    "running now.");
	rc |= buf_printf(b, "ddb_sync_workers_up %zu\n", g->workers_up);
	rc |= family(b, "process_cpu_seconds_total", "counter",
	    "CPU time of "
	    "the supervisor process, user and system.");
	rc |= buf_printf(b, "process_cpu_seconds_total %.15g\n", g->cpu_s);
	if (g->rss_bytes > 0) {
		rc |= family(b, "process_resident_memory_bytes", "gauge",
		    "Resident memory of the supervisor process.");
		rc |= buf_printf(b,
		    "process_resident_memory_bytes %" PRIu64 "\n",
		    g->rss_bytes);
	}
	rc |= family(b, "process_start_time_seconds", "gauge",
	    "When the "
	    "supervisor started, in seconds since the Unix epoch.");
	rc |= buf_printf(b, "process_start_time_seconds %.3f\n",
	    g->start_time_s);
	if (rc == 0)
		rc |= render_pairs(p, n, b);
	return rc == 0 ? 0 : -1;
}

/* A number for JSON, or null when unknown (< 0). */
static int
jopt(struct buf *b, const char *key, double v)
{
	if (v < 0)
		return buf_printf(b, ",\"%s\":null", key);
	return buf_printf(b, ",\"%s\":%.15g", key, v);
}

static int
json_pair(struct buf *b, const struct metrics_pair *p)
{
	int rc = 0;

	rc |= buf_adds(b, "{\"name\":");
	rc |= buf_json_str(b, p->pair);
	rc |= buf_adds(b, ",\"source_table\":");
	rc |= buf_json_str(b, p->source_table);
	rc |= buf_adds(b, ",\"destination_table\":");
	rc |= buf_json_str(b, p->destination_table);
	rc |= buf_adds(b, ",\"state\":");
	rc |= buf_json_str(b, p->state);
	rc |= buf_printf(b,
	    ",\"worker_up\":%s,\"backfill\":\"%s\","
	    "\"stream\":\"%s\",\"restarts\":%u",
	    p->worker_up ? "true" : "false",
	    proto_phase_state_name(p->backfill),
	    proto_phase_state_name(p->stream), p->restarts);
	rc |= buf_printf(b,
	    ",\"items_scanned\":%" PRIu64 ",\"items_written\":%" PRIu64
	    ",\"read_bytes\":%" PRIu64 ",\"written_bytes\":%" PRIu64
	    ",\"stream_records_read\":%" PRIu64
	    ",\"stream_records_applied\":%" PRIu64
	    ",\"stream_records_skipped\":{\"before_handoff\":%" PRIu64
	    ",\"ttl_delete\":%" PRIu64 "}"
	    ",\"backfill_items_skipped\":{\"ttl_expired\":%" PRIu64 "}",
	    p->items_scanned, p->items_written, p->bytes_read, p->bytes_written,
	    p->stream_read, p->stream_applied, p->stream_skipped_handoff,
	    p->stream_skipped_ttl, p->backfill_skipped_ttl);
	rc |= buf_printf(b,
	    ",\"consumed_read_capacity_units\":%.15g"
	    ",\"consumed_write_capacity_units\":%.15g"
	    ",\"throttled_requests\":%" PRIu64 ",\"retried_requests\":%" PRIu64
	    ",\"errors\":{\"transient\":%" PRIu64 ",\"nonfatal\":%" PRIu64
	    ",\"fatal\":%" PRIu64 ",\"protocol\":%" PRIu64 "}",
	    p->rcu, p->wcu, p->throttled, p->retried, p->errors_transient,
	    p->errors_nonfatal, p->errors_fatal, p->errors_protocol);
	if (p->est_items > 0)
		rc |= buf_printf(b, ",\"source_items_estimate\":%" PRIu64,
		    p->est_items);
	else
		rc |= buf_adds(b, ",\"source_items_estimate\":null");
	rc |= jopt(b, "backfill_progress_ratio", p->backfill_ratio);
	rc |= jopt(b, "backfill_eta_seconds", p->backfill_eta_s);
	rc |= jopt(b, "stream_latency_seconds", p->stream_latency_s);
	rc |= jopt(b, "stream_retention_used_ratio", p->retention_used);
	rc |= jopt(b, "read_capacity_limit", p->read_limit);
	rc |= jopt(b, "read_capacity_limit_ratio", p->read_limit_ratio);
	rc |= jopt(b, "write_capacity_limit", p->write_limit);
	rc |= jopt(b, "write_capacity_limit_ratio", p->write_limit_ratio);
	rc |= jopt(b, "spool_bytes", p->spool_bytes);
	rc |= jopt(b, "spool_oldest_age_seconds", p->spool_oldest_age_s);
	rc |= buf_printf(b, ",\"spool_paused\":%s",
	    p->spool_paused ? "true" : "false");
	rc |= buf_printf(b,
	    ",\"stream_caught_up\":%s,\"stream_gap\":%s"
	    ",\"writes_inflight\":%" PRIu32
	    ",\"writes_inflight_limit\":%" PRIu32 ",\"last_error\":",
	    p->caught_up ? "true" : "false", p->gap ? "true" : "false",
	    p->writes_inflight, p->writes_limit);
	rc |= buf_json_str(b, p->last_error);
	/* A fleet's lease counts; null for a pair copied by this host
	 * alone. */
	if (p->fleet)
		rc |= buf_printf(b,
		    ",\"leases_held\":%" PRIu32 ",\"leases_lost\":%" PRIu64
		    ",\"lease_conflicts\":%" PRIu64,
		    p->leases_held, p->leases_lost, p->lease_conflicts);
	else
		rc |= buf_adds(b,
		    ",\"leases_held\":null,\"leases_lost\":null,"
		    "\"lease_conflicts\":null");
	rc |= buf_addc(b, '}');
	return rc;
}

int
metrics_render_json(const struct metrics_pair *p, size_t n,
    const struct metrics_global *g, struct buf *b)
{
	int rc = 0;

	rc |= buf_adds(b, "{\"version\":");
	rc |= buf_json_str(b, g->version);
	rc |= buf_printf(b,
	    ",\"pairs_total\":%zu,\"workers_up\":%zu,"
	    "\"process_cpu_seconds\":%.15g,\"process_resident_memory_bytes\":"
	    "%" PRIu64 ",\"process_start_time_seconds\":%.3f,\"pairs\":[",
	    g->pairs, g->workers_up, g->cpu_s, g->rss_bytes, g->start_time_s);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc |= buf_addc(b, ',');
		rc |= json_pair(b, &p[i]);
	}
	rc |= buf_adds(b, "]}");
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------- address */

int
metrics_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port,
    char *err, size_t errlen)
{
	const char *colon, *h, *ps;
	struct in6_addr a6;
	struct in_addr a4;
	char tmp[64], *end;
	size_t hl;
	unsigned long v;

	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL) {
			snprintf(err, errlen,
			    "'%s' is not ADDR:PORT ([IPv6]:"
			    "PORT for IPv6)",
			    s);
			return -1;
		}
		h = s + 1;
		hl = (size_t)(colon - h);
		ps = colon + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    strchr(s, ':') != colon) {
			snprintf(err, errlen,
			    "'%s' is not ADDR:PORT, such as "
			    "127.0.0.1:%d ([IPv6]:PORT for IPv6)",
			    s, METRICS_PORT_DEFAULT);
			return -1;
		}
		h = s;
		hl = (size_t)(colon - s);
		ps = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(tmp)) {
		snprintf(err, errlen, "'%s': %s address", s,
		    hl == 0 ? "no" : "too long an");
		return -1;
	}
	memcpy(tmp, h, hl);
	tmp[hl] = '\0';
	if (strcmp(tmp, "localhost") == 0)
		strlcpy(tmp, "127.0.0.1", sizeof(tmp));
	if ((*s == '[' && inet_pton(AF_INET6, tmp, &a6) != 1) ||
	    (*s != '[' && inet_pton(AF_INET, tmp, &a4) != 1)) {
		snprintf(err, errlen, "'%s': '%s' is not an IP%s address", s,
		    tmp, *s == '[' ? "v6" : "v4");
		return -1;
	}
	errno = 0;
	v = strtoul(ps, &end, 10);
	if (*ps < '0' || *ps > '9' || *end != '\0' || errno != 0 || v == 0 ||
	    v > 65535) {
		snprintf(err, errlen,
		    "'%s': the port must be a number from 1 "
		    "to 65535",
		    s);
		return -1;
	}
	if (strlcpy(host, tmp, hostlen) >= hostlen) {
		snprintf(err, errlen, "'%s': address too long", s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

/* ---------------------------------------------------------------- data */

static uint64_t
rss_bytes(void)
{
	unsigned long long size, res;
	FILE *fp;
	long page = sysconf(_SC_PAGESIZE);
	int n;

	if ((fp = fopen("/proc/self/statm", "re")) == NULL)
		return 0;
	n = fscanf(fp, "%llu %llu", &size, &res);
	fclose(fp);
	return n == 2 && page > 0 ? (uint64_t)res * (uint64_t)page : 0;
}

void
metrics_collect(struct sup *s, struct metrics_pair *pairs,
    struct metrics_global *g)
{
	struct rusage ru;

	memset(g, 0, sizeof(*g));
	g->version = DDB_SYNC_VERSION;
	g->pairs = s->nchildren;
	g->start_time_s = (double)s->started_wall_ms / 1000.0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		g->cpu_s = (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	g->rss_bytes = rss_bytes();
	for (size_t i = 0; i < s->nchildren; i++) {
		metrics_pair_from_child(&s->children[i], &pairs[i]);
		if (pairs[i].worker_up)
			g->workers_up++;
	}
}

/* -------------------------------------------------------------- server */

struct metrics_conn {
	LIST_ENTRY(metrics_conn) entry;
	struct bufferevent *bev; /* evhttp's; one reference ours */
	int64_t born_ms;
};

struct metrics {
	struct sup *sup;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	LIST_HEAD(, metrics_conn) conns;
	size_t nconns;
	int paused; /* at METRICS_MAX_CONNS */
	struct event *ev_sweep;
};

static void
listener_pause(struct metrics *m, int pause)
{
	struct evconnlistener *l;

	if (m->bound == NULL || pause == m->paused ||
	    (l = evhttp_bound_socket_get_listener(m->bound)) == NULL)
		return;
	m->paused = pause;
	if (pause)
		evconnlistener_disable(l);
	else
		evconnlistener_enable(l);
}

/* evhttp still uses it: bufferevent_free() clears the callbacks, which
 * evhttp sets as soon as it takes a connection. */
static int
conn_alive(const struct metrics_conn *c)
{
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;

	bufferevent_getcb(c->bev, &r, &w, &e, NULL);
	return r != NULL || w != NULL || e != NULL;
}

/*
 * Once a second while there are connections: forget those evhttp is done
 * with, and end those older than METRICS_CONN_MAX_MS (a client that
 * trickles its request in, or never reads the answer): their socket is
 * shut down, evhttp sees the end and frees them.
 */
static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	struct metrics_conn *c, *next;
	struct timeval tv = { 1, 0 };
	int64_t now = clock_ms();
	evutil_socket_t s;

	for (c = LIST_FIRST(&m->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (!conn_alive(c)) {
			LIST_REMOVE(c, entry);
			m->nconns--;
			bufferevent_decref(c->bev);
			free(c);
			continue;
		}
		if (now - c->born_ms >= METRICS_CONN_MAX_MS &&
		    (s = bufferevent_getfd(c->bev)) != -1)
			shutdown(s, SHUT_RDWR);
	}
	if (m->nconns < METRICS_MAX_CONNS)
		listener_pause(m, 0);
	if (m->nconns > 0)
		evtimer_add(m->ev_sweep, &tv);
}

/*
 * Every connection evhttp accepts gets its bufferevent here (evhttp of
 * libevent 2.1 has no limit of its own): counted, and given a deadline.
 * Without BEV_OPT_CLOSE_ON_FREE evhttp closes the socket itself when it
 * frees the connection; the reference kept here only keeps the struct.
 */
static struct bufferevent *
conn_new_cb(struct event_base *base, void *arg)
{
	struct metrics *m = arg;
	struct metrics_conn *c = xcalloc(1, sizeof(*c));
	struct timeval tv = { 1, 0 };

	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		fatalx("metrics: bufferevent_socket_new");
	bufferevent_incref(c->bev);
	c->born_ms = clock_ms();
	LIST_INSERT_HEAD(&m->conns, c, entry);
	if (++m->nconns >= METRICS_MAX_CONNS)
		listener_pause(m, 1);
	if (!evtimer_pending(m->ev_sweep, NULL))
		evtimer_add(m->ev_sweep, &tv);
	return c->bev;
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	struct sup *s = m->sup;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct metrics_pair *pairs;
	struct metrics_global g;
	struct evkeyvalq *hdr;
	struct evbuffer *out;
	struct buf b;
	size_t plen;

	plen = strcspn(uri, "?");
	if (plen != strlen("/metrics") || strncmp(uri, "/metrics", plen) != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND,
		    "Not Found: the only page "
		    "is /metrics");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		/* evhttp_send_error() would drop the Allow header. */
		hdr = evhttp_request_get_output_headers(req);
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
		evhttp_add_header(hdr, "Content-Type", "text/plain");
		evhttp_add_header(hdr, "Connection", "close");
		if ((out = evbuffer_new()) == NULL)
			fatalx("evbuffer_new");
		evbuffer_add_printf(out,
		    "405 Method Not Allowed: /metrics "
		    "takes GET or HEAD\n");
		evhttp_send_reply(req, 405, "Method Not Allowed", out);
		evbuffer_free(out);
		return;
	}
	pairs = xcalloc(s->nchildren + 1, sizeof(*pairs));
	metrics_collect(s, pairs, &g);
	buf_init(&b, METRICS_PAGE_MAX);
	if (metrics_render(pairs, s->nchildren, &g, &b) == -1) {
		free(pairs);
		buf_free(&b);
		evhttp_send_error(req, HTTP_INTERNAL, "page too large");
		return;
	}
	free(pairs);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	out = evbuffer_new();
	if (out == NULL)
		fatalx("evbuffer_new");
	if (cmd == EVHTTP_REQ_GET)
		evbuffer_add(out, b.data, b.len);
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
	buf_free(&b);
}

/* A listening socket made here, so that a bad address or a port in use
 * is said in words. */
static int
listen_socket(const char *host, uint16_t port, const char *spec)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, af = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, host, &sin->sin_addr);
		len = sizeof(*sin);
	}
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("--metrics-listen %s: socket", spec);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		if (errno == EADDRINUSE)
			log_warnx(
			    "--metrics-listen %s: the port is in use (by "
			    "another program, or another ddb-sync); choose "
			    "another",
			    spec);
		else if (errno == EADDRNOTAVAIL)
			log_warnx("--metrics-listen %s: no interface of this "
				  "host has that address",
			    spec);
		else
			log_warn("--metrics-listen %s: bind", spec);
		close(fd);
		return -1;
	}
	if (listen(fd, 128) == -1) {
		log_warn("--metrics-listen %s: listen", spec);
		close(fd);
		return -1;
	}
	return fd;
}

int
metrics_init(struct sup *s)
{
	struct metrics *m;
	char host[64], err[256];
	uint16_t port;
	int fd, v6;

	if (s->metrics_listen == NULL)
		return 0;
	if (metrics_parse_listen(s->metrics_listen, host, sizeof(host), &port,
		err, sizeof(err)) == -1) {
		log_warnx("--metrics-listen: %s", err);
		return -1;
	}
	if ((fd = listen_socket(host, port, s->metrics_listen)) == -1)
		return -1;
	m = xcalloc(1, sizeof(*m));
	m->sup = s;
	LIST_INIT(&m->conns);
	if ((m->ev_sweep = evtimer_new(s->base, sweep_cb, m)) == NULL)
		fatalx("evtimer_new");
	if ((m->http = evhttp_new(s->base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_timeout(m->http, METRICS_IDLE_TIMEOUT_S);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_allowed_methods(m->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(m->http, conn_new_cb, m);
	evhttp_set_gencb(m->http, request_cb, m);
	if ((m->bound = evhttp_accept_socket_with_handle(m->http, fd)) ==
	    NULL) {
		log_warnx("--metrics-listen %s: evhttp cannot serve it",
		    s->metrics_listen);
		close(fd);
		evhttp_free(m->http);
		event_free(m->ev_sweep);
		free(m);
		return -1;
	}
	s->metrics = m;
	v6 = strchr(host, ':') != NULL;
	output_global("Metrics for Prometheus at http://%s%s%s:%u/metrics",
	    v6 ? "[" : "", host, v6 ? "]" : "", port);
	return 0;
}

void
metrics_free(struct sup *s)
{
	struct metrics *m = s->metrics;
	struct metrics_conn *c;

	if (m == NULL)
		return;
	/* Frees the listener and every connection; then our references. */
	m->bound = NULL;
	evhttp_free(m->http);
	while ((c = LIST_FIRST(&m->conns)) != NULL) {
		LIST_REMOVE(c, entry);
		bufferevent_decref(c->bev);
		free(c);
	}
	event_free(m->ev_sweep);
	free(m);
	s->metrics = NULL;
}

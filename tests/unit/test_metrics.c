/* test_metrics.c: /metrics rendering, counters across workers, addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"
#include "plan.h"
#include "sup.h"

static struct metrics_pair
mpair(const char *name)
{
	struct metrics_pair p;

	memset(&p, 0, sizeof(p));
	p.pair = name;
	p.source_table = "orders";
	p.destination_table = "orders-copy";
	p.state = "running";
	p.worker_up = 1;
	p.backfill = PROTO_PS_RUNNING;
	p.stream = PROTO_PS_PENDING;
	p.last_error = "";
	p.items_scanned = 120;
	p.items_written = 100;
	p.bytes_written = 4096;
	p.wcu = 12.5;
	p.restarts = 2;
	p.backfill_ratio = 0.25;
	p.backfill_eta_s = 30;
	p.stream_latency_s = -1;
	p.retention_used = -1;
	p.writes_inflight = 3;
	p.writes_limit = 16;
	p.read_limit = p.write_limit_ratio = -1;
	p.read_limit_ratio = 0.4;
	p.write_limit = 250;
	p.spool_bytes = p.spool_oldest_age_s = -1; /* no spool */
	return p;
}

static struct metrics_global
mglobal(void)
{
	struct metrics_global g;

	memset(&g, 0, sizeof(g));
	g.version = "0.1.0";
	g.cpu_s = 1.5;
	g.rss_bytes = 1 << 20;
	g.start_time_s = 1700000000;
	g.workers_up = 1;
	g.pairs = 1;
	return g;
}

static char *
render(const struct metrics_pair *p, size_t n)
{
	struct metrics_global g = mglobal();
	struct buf b;

	buf_init(&b, METRICS_PAGE_MAX);
	assert_int_equal(metrics_render(p, n, &g, &b), 0);
	return buf_steal(&b, NULL);
}

/* Every family has HELP then TYPE, once, before its samples; counters end
 * in _total; every sample line is "name{labels} value" or "name value". */
static void
test_metrics_format(void **state)
{
	struct metrics_pair p = mpair("orders");
	char *t = render(&p, 1), *line, *save = NULL, *copy;
	char last_type[128] = "", name[128];
	int samples = 0;

	copy = strdup(t);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char type[32];

			assert_int_equal(sscanf(line + 7, "%127s %31s", name,
					     type),
			    2);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(name, "_total"));
			else
				assert_string_equal(type, "gauge");
			snprintf(last_type, sizeof(last_type), "%s", name);
			continue;
		}
		/* A sample of the family just declared. */
		assert_int_equal(strncmp(line, last_type, strlen(last_type)),
		    0);
		assert_true(line[strlen(last_type)] == '{' ||
		    line[strlen(last_type)] == ' ');
		samples++;
	}
	assert_true(samples > 20);
	free(copy);

	assert_non_null(strstr(t,
	    "# TYPE ddb_sync_items_written_total counter"
	    "\nddb_sync_items_written_total{pair=\"orders\",source_table="
	    "\"orders\",destination_table=\"orders-copy\"} 100\n"));
	assert_non_null(strstr(t,
	    "ddb_sync_written_bytes_total{pair=\"orders\""
	    ",source_table=\"orders\",destination_table=\"orders-copy\"} "
	    "4096\n"));
	assert_non_null(strstr(t, "destination_table=\"orders-copy\"} 12.5\n"));
	/* The governor's limits: those set, and only those. */
	assert_non_null(strstr(t,
	    "\nddb_sync_write_capacity_limit{pair=\"orders\",source_table="
	    "\"orders\",destination_table=\"orders-copy\"} 250\n"));
	assert_non_null(strstr(t,
	    "\nddb_sync_read_capacity_limit_ratio{pair=\"orders\","
	    "source_table=\"orders\",destination_table=\"orders-copy\"} "
	    "0.4\n"));
	assert_null(strstr(t, "\nddb_sync_read_capacity_limit{"));
	assert_null(strstr(t, "\nddb_sync_write_capacity_limit_ratio{"));
	assert_non_null(strstr(t,
	    "ddb_sync_worker_restarts_total{pair="
	    "\"orders\",source_table=\"orders\",destination_table="
	    "\"orders-copy\"} 2\n"));
	assert_non_null(
	    strstr(t, "ddb_sync_build_info{version=\"0.1.0\"} 1\n"));
	assert_non_null(strstr(t, "ddb_sync_workers_up 1\n"));
	assert_non_null(strstr(t, "process_resident_memory_bytes 1048576\n"));
	/* The enum gauges: one sample per state, 1 for the current one. */
	assert_non_null(strstr(t, "phase=\"backfill\",state=\"running\"} 1\n"));
	assert_non_null(strstr(t, "phase=\"backfill\",state=\"pending\"} 0\n"));
	assert_non_null(strstr(t, "phase=\"stream\",state=\"pending\"} 1\n"));
	assert_non_null(strstr(t,
	    "ddb_sync_pair_state{pair=\"orders\","
	    "source_table=\"orders\",destination_table=\"orders-copy\","
	    "state=\"running\"} 1\n"));
	assert_non_null(strstr(t, "state=\"failed\"} 0\n"));
	assert_non_null(strstr(t, "class=\"transient\"} 0\n"));
	/* Unknown values are left out, not shown as 0. */
	assert_null(strstr(t, "ddb_sync_stream_latency_seconds{"));
	assert_null(strstr(t, "ddb_sync_stream_retention_used_ratio{"));
	assert_non_null(strstr(t,
	    "ddb_sync_backfill_eta_seconds{pair=\"orders\""
	    ",source_table=\"orders\",destination_table=\"orders-copy\"} 30\n"));
	free(t);
}

/* Label values: backslash, double quote and newline escaped; nothing else
 * changed (UTF-8 passes). */
static void
test_metrics_label_escape(void **state)
{
	struct metrics_pair p = mpair("a\\b\"c\nd");
	struct buf b;
	char *t;

	buf_init(&b, 0);
	assert_int_equal(metrics_label_value(&b, "x\\y\"z\nw \xe2\x87\xa8"), 0);
	assert_string_equal(b.data, "x\\\\y\\\"z\\nw \xe2\x87\xa8");
	buf_free(&b);

	p.source_table = "t\"1";
	p.destination_table = "t\n2";
	t = render(&p, 1);
	assert_non_null(strstr(t,
	    "{pair=\"a\\\\b\\\"c\\nd\",source_table="
	    "\"t\\\"1\",destination_table=\"t\\n2\"}"));
	/* No raw newline inside a sample line. */
	assert_null(strstr(t, "a\\b\"c\nd"));
	free(t);
}

static void
test_metrics_two_pairs(void **state)
{
	struct metrics_pair p[2] = { mpair("one"), mpair("two") };
	char *t, *a, *b;

	p[1].items_written = 7;
	p[1].stream = PROTO_PS_RUNNING;
	p[1].stream_latency_s = 1.25;
	p[1].retention_used = 0.5;
	t = render(p, 2);
	a = strstr(t, "ddb_sync_items_written_total{pair=\"one\"");
	b = strstr(t, "ddb_sync_items_written_total{pair=\"two\"");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(b > a);
	assert_non_null(strstr(b, "} 7\n"));
	assert_non_null(strstr(t,
	    "ddb_sync_stream_latency_seconds{pair=\"two\""
	    ",source_table=\"orders\",destination_table=\"orders-copy\"} "
	    "1.25\n"));
	assert_null(strstr(t, "ddb_sync_stream_latency_seconds{pair=\"one\""));
	assert_non_null(strstr(t,
	    "ddb_sync_stream_retention_used_ratio{pair="
	    "\"two\",source_table=\"orders\",destination_table="
	    "\"orders-copy\"} 0.5\n"));
	/* One HELP per family, whatever the number of pairs. */
	a = strstr(t, "# HELP ddb_sync_items_written_total");
	assert_non_null(a);
	assert_null(strstr(a + 1, "# HELP ddb_sync_items_written_total"));
	free(t);
}

/* The spool's gauges (issue 13): bytes and age absent without a spool,
 * paused always there. */
static void
test_metrics_spool(void **state)
{
	struct metrics_pair p[2] = { mpair("one"), mpair("two") };
	struct metrics_global g = mglobal();
	struct buf b;
	char *t;

	t = render(p, 2);
	assert_non_null(strstr(t, "# TYPE ddb_sync_spool_bytes gauge\n"));
	assert_null(strstr(t, "\nddb_sync_spool_bytes{"));
	assert_null(strstr(t, "\nddb_sync_spool_oldest_age_seconds{"));
	assert_non_null(strstr(t,
	    "\nddb_sync_spool_paused{pair=\"one\",source_table=\"orders\","
	    "destination_table=\"orders-copy\"} 0\n"));
	free(t);

	p[1].spool_bytes = 12582912;
	p[1].spool_oldest_age_s = 45.5;
	p[1].spool_paused = 1;
	t = render(p, 2);
	assert_null(strstr(t, "\nddb_sync_spool_bytes{pair=\"one\""));
	assert_non_null(strstr(t,
	    "\nddb_sync_spool_bytes{pair=\"two\",source_table=\"orders\","
	    "destination_table=\"orders-copy\"} 12582912\n"));
	assert_non_null(strstr(t,
	    "\nddb_sync_spool_oldest_age_seconds{pair=\"two\",source_table="
	    "\"orders\",destination_table=\"orders-copy\"} 45.5\n"));
	assert_non_null(strstr(t,
	    "\nddb_sync_spool_paused{pair=\"two\",source_table=\"orders\","
	    "destination_table=\"orders-copy\"} 1\n"));
	free(t);
	/* A spool that keeps no record: its size, no age. */
	p[1].spool_oldest_age_s = -1;
	t = render(p, 2);
	assert_non_null(strstr(t, "\nddb_sync_spool_bytes{pair=\"two\""));
	assert_null(strstr(t, "\nddb_sync_spool_oldest_age_seconds{"));
	free(t);

	buf_init(&b, 0);
	assert_int_equal(metrics_render_json(p, 2, &g, &b), 0);
	assert_non_null(strstr(b.data,
	    ",\"spool_bytes\":null,\"spool_oldest_age_seconds\":null,"
	    "\"spool_paused\":false,"));
	assert_non_null(strstr(b.data,
	    ",\"spool_bytes\":12582912,\"spool_oldest_age_seconds\":null,"
	    "\"spool_paused\":true,"));
	buf_free(&b);
}

static void
test_metrics_json(void **state)
{
	struct metrics_pair p = mpair("or\"ders");
	struct metrics_global g = mglobal();
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(metrics_render_json(&p, 1, &g, &b), 0);
	assert_non_null(strstr(b.data, "\"name\":\"or\\\"ders\""));
	assert_non_null(strstr(b.data, "\"items_written\":100,"));
	assert_non_null(strstr(b.data, "\"written_bytes\":4096,"));
	assert_non_null(strstr(b.data, "\"stream_latency_seconds\":null"));
	assert_non_null(strstr(b.data, "\"backfill_progress_ratio\":0.25"));
	assert_non_null(strstr(b.data, "\"workers_up\":1,"));
	assert_int_equal(b.data[0], '{');
	assert_int_equal(b.data[b.len - 1], '}');
	buf_free(&b);
}

/* A fleet's lease counts (issue 20): only for pairs in a fleet, and no
 * family at all without one; null in the JSON. */
static void
test_metrics_fleet(void **state)
{
	struct metrics_pair p[2] = { mpair("one"), mpair("two") };
	struct metrics_global g = mglobal();
	struct buf b;
	char *t;

	t = render(p, 2);
	assert_null(strstr(t, "ddb_sync_fleet_"));
	free(t);
	buf_init(&b, 0);
	assert_int_equal(metrics_render_json(p, 2, &g, &b), 0);
	assert_non_null(strstr(b.data,
	    ",\"leases_held\":null,\"leases_lost\":null,"
	    "\"lease_conflicts\":null}"));
	buf_free(&b);

	p[1].fleet = 1;
	p[1].leases_held = 3;
	p[1].leases_lost = 1;
	p[1].lease_conflicts = 18446744073709551615ULL;
	t = render(p, 2);
	assert_non_null(strstr(t,
	    "# TYPE ddb_sync_fleet_leases_held gauge\n"
	    "ddb_sync_fleet_leases_held{pair=\"two\",source_table=\"orders\","
	    "destination_table=\"orders-copy\"} 3\n"));
	assert_non_null(strstr(t,
	    "# TYPE ddb_sync_fleet_leases_lost_total counter\n"
	    "ddb_sync_fleet_leases_lost_total{pair=\"two\",source_table="
	    "\"orders\",destination_table=\"orders-copy\"} 1\n"));
	assert_non_null(strstr(t,
	    "ddb_sync_fleet_lease_conflicts_total{pair=\"two\",source_table="
	    "\"orders\",destination_table=\"orders-copy\"} "
	    "18446744073709551615\n"));
	assert_null(strstr(t, "ddb_sync_fleet_leases_held{pair=\"one\""));
	free(t);
	buf_init(&b, 0);
	assert_int_equal(metrics_render_json(p, 2, &g, &b), 0);
	assert_non_null(strstr(b.data,
	    ",\"leases_held\":3,\"leases_lost\":1,"
	    "\"lease_conflicts\":18446744073709551615}"));
	buf_free(&b);
}

/* Run counters survive a new worker and a phase that starts from zero;
 * pair counters keep their highest value. */
static void
test_metrics_acc(void **state)
{
	struct metrics_acc a;
	struct proto_progress o, c;

	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	c.bytes_written = 100;
	c.items_written = 10;
	c.wcu = 5;
	metrics_acc_progress(&a, &o, &c, 1); /* first worker */
	assert_int_equal(a.bytes_written, 0);
	o = c;
	c.bytes_written = 150;
	metrics_acc_progress(&a, &o, &c, 0);
	assert_int_equal(a.bytes_written, 0);
	o = c;
	/* The stream phase starts its counters again. */
	c.bytes_written = 20;
	c.items_written = 0;
	c.wcu = 1;
	metrics_acc_progress(&a, &o, &c, 0);
	assert_int_equal(a.bytes_written + c.bytes_written, 170);
	assert_int_equal(a.items_written, 10);
	assert_true(a.wcu + c.wcu == 6);
	o = c;
	/* A new worker, whose first figure is already above the old one. */
	c.bytes_written = 30;
	metrics_acc_progress(&a, &o, &c, 1);
	assert_int_equal(a.bytes_written + c.bytes_written, 200);

	/* Lost leases and conflicts count one worker's run: summed. */
	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	c = o;
	c.leases_lost = 2;
	c.lease_conflicts = 5;
	metrics_acc_progress(&a, &o, &c, 1);
	o = c;
	c.leases_lost = 3;
	metrics_acc_progress(&a, &o, &c, 0);
	o = c;
	c.leases_lost = 1;
	c.lease_conflicts = 1;
	metrics_acc_progress(&a, &o, &c, 1);
	assert_int_equal(a.leases_lost + c.leases_lost, 4);
	assert_int_equal(a.lease_conflicts + c.lease_conflicts, 6);
}

static void
test_metrics_from_child(void **state)
{
	struct plan_pair pp;
	struct child c;
	struct metrics_pair m;
	struct sup s;
	char hid[] = "host:1:abcd0123";

	memset(&pp, 0, sizeof(pp));
	pp.name = "p";
	pp.input.table = "src";
	pp.output.table = "dst";
	pp.backfill = pp.stream = 1;
	memset(&c, 0, sizeof(c));
	c.pair = &pp;
	c.pid = 42;
	c.state = CHILD_RUNNING;
	c.backfill = PROTO_PS_RUNNING;
	c.stream = PROTO_PS_PENDING;
	c.prog.phase = PROTO_PHASE_BACKFILL;
	c.prog.est_items = 1000;
	c.prog.items_written = 250;
	c.prog.elapsed_ms = 10000;
	c.prog.stream_latency_ms = -1;
	c.prog.spool_read_lag_ms = -1;
	c.prog.bytes_written = 7;
	c.acc.bytes_written = 3;
	metrics_pair_from_child(&c, &m);
	assert_string_equal(m.state, "running");
	assert_true(m.worker_up);
	assert_true(m.backfill_ratio == 0.25);
	/* 750 left at 25 items/s. */
	assert_true(m.backfill_eta_s == 30);
	assert_int_equal(m.bytes_written, 10);
	assert_true(m.stream_latency_s < 0);
	/* The backfill has run 10 s of the stream's 24 h. */
	assert_true(m.retention_used > 0 && m.retention_used < 0.001);
	/* With the spool it is the reader's lag that counts: 12 h. */
	c.prog.spool_read_lag_ms = 12 * 3600 * 1000LL;
	metrics_pair_from_child(&c, &m);
	assert_true(m.retention_used == 0.5);
	c.prog.spool_read_lag_ms = -1;
	/* No capacity limit sent: none shown. */
	assert_true(m.read_limit < 0 && m.read_limit_ratio < 0);
	assert_true(m.write_limit < 0 && m.write_limit_ratio < 0);
	c.lim_sent.write = 250;
	c.lim_sent.read_pct = 40;
	metrics_pair_from_child(&c, &m);
	assert_true(m.write_limit == 250 && m.write_limit_ratio < 0);
	assert_true(m.read_limit < 0 && m.read_limit_ratio == 0.4);

	/* Stream: zeroed backfill counters do not lower items written;
	 * caught up is no lag. */
	c.backfill = PROTO_PS_COMPLETE;
	c.backfill_items = 1000;
	c.stream = PROTO_PS_RUNNING;
	c.prog.phase = PROTO_PHASE_STREAM;
	c.prog.items_written = 0;
	c.prog.caught_up = 1;
	c.prog.stream_latency_ms = 600000;
	metrics_pair_from_child(&c, &m);
	assert_int_equal(m.items_written, 1000);
	assert_true(m.backfill_ratio == 1);
	assert_true(m.stream_latency_s == 0);
	c.prog.caught_up = 0;
	metrics_pair_from_child(&c, &m);
	assert_true(m.stream_latency_s == 600);
	assert_true(m.retention_used > 0.0069 && m.retention_used < 0.0070);
	c.prog.gap = 1;
	metrics_pair_from_child(&c, &m);
	assert_true(m.retention_used == 1);

	/* The spool: none until it holds bytes or pauses (an age alone, a
	 * worker's 0 left there, is none); only while a worker runs. */
	assert_true(m.spool_bytes < 0 && m.spool_oldest_age_s < 0);
	assert_int_equal(m.spool_paused, 0);
	c.prog.spool_oldest_ms = 0;
	metrics_pair_from_child(&c, &m);
	assert_true(m.spool_bytes < 0 && m.spool_oldest_age_s < 0);
	c.prog.spool_bytes = 1 << 20;
	c.prog.spool_oldest_ms = 2500;
	c.prog.spool_paused = 1;
	metrics_pair_from_child(&c, &m);
	assert_true(m.spool_bytes == 1 << 20);
	assert_true(m.spool_oldest_age_s == 2.5);
	assert_int_equal(m.spool_paused, 1);
	c.prog.spool_oldest_ms = -1;
	metrics_pair_from_child(&c, &m);
	assert_true(m.spool_bytes == 1 << 20 && m.spool_oldest_age_s < 0);
	c.pid = -1;
	metrics_pair_from_child(&c, &m);
	assert_true(m.spool_bytes < 0 && m.spool_oldest_age_s < 0);
	assert_int_equal(m.spool_paused, 0);

	/* A fleet: the host id says so; leases held only with a worker,
	 * the lost ones summed over workers. */
	assert_int_equal(m.fleet, 0);
	memset(&s, 0, sizeof(s));
	c.sup = &s;
	metrics_pair_from_child(&c, &m);
	assert_int_equal(m.fleet, 0);
	s.host_id = hid;
	c.prog.leases_held = 4;
	c.prog.leases_lost = 1;
	c.prog.lease_conflicts = 2;
	c.acc.leases_lost = 2;
	metrics_pair_from_child(&c, &m);
	assert_int_equal(m.fleet, 1);
	assert_int_equal(m.leases_held, 0);
	assert_int_equal(m.leases_lost, 3);
	assert_int_equal(m.lease_conflicts, 2);
	c.pid = 42;
	metrics_pair_from_child(&c, &m);
	assert_int_equal(m.leases_held, 4);
}

static void
test_metrics_parse_listen(void **state)
{
	char host[64], err[256];
	uint16_t port;

	assert_int_equal(metrics_parse_listen("127.0.0.1:9464", host,
			     sizeof(host), &port, err, sizeof(err)),
	    0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9464);
	assert_int_equal(metrics_parse_listen("localhost:1", host, sizeof(host),
			     &port, err, sizeof(err)),
	    0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(metrics_parse_listen("[::1]:65535", host, sizeof(host),
			     &port, err, sizeof(err)),
	    0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(metrics_parse_listen("0.0.0.0:9464", host,
			     sizeof(host), &port, err, sizeof(err)),
	    0);

	assert_int_equal(metrics_parse_listen("9464", host, sizeof(host), &port,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "ADDR:PORT"));
	assert_int_equal(metrics_parse_listen("127.0.0.1:0", host, sizeof(host),
			     &port, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "1 to 65535"));
	assert_int_equal(metrics_parse_listen("127.0.0.1:65536", host,
			     sizeof(host), &port, err, sizeof(err)),
	    -1);
	assert_int_equal(metrics_parse_listen("127.0.0.1:9x", host,
			     sizeof(host), &port, err, sizeof(err)),
	    -1);
	assert_int_equal(metrics_parse_listen("example.com:80", host,
			     sizeof(host), &port, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not an IPv4 address"));
	assert_int_equal(metrics_parse_listen("::1:80", host, sizeof(host),
			     &port, err, sizeof(err)),
	    -1);
	assert_int_equal(metrics_parse_listen("[nope]:80", host, sizeof(host),
			     &port, err, sizeof(err)),
	    -1);
	assert_int_equal(metrics_parse_listen(":80", host, sizeof(host), &port,
			     err, sizeof(err)),
	    -1);
	assert_int_equal(metrics_parse_listen("1.2.3.4:+80", host, sizeof(host),
			     &port, err, sizeof(err)),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_format),
		cmocka_unit_test(test_metrics_label_escape),
		cmocka_unit_test(test_metrics_two_pairs),
		cmocka_unit_test(test_metrics_spool),
		cmocka_unit_test(test_metrics_json),
		cmocka_unit_test(test_metrics_fleet),
		cmocka_unit_test(test_metrics_acc),
		cmocka_unit_test(test_metrics_from_child),
		cmocka_unit_test(test_metrics_parse_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

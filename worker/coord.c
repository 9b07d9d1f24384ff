/* coord.c: "ddb-sync-worker coordination": check, create, list the lease table. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "coord.h"
#include "creds.h"
#include "ddb.h"
#include "exitcode.h"
#include "fmt.h"
#include "lease.h"
#include "log.h"
#include "settings.h"
#include "worker.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * The supervisor has no AWS client (no libcurl in it, by design), so it
 * runs this once, before any worker, for a plan with a coordination
 * block: one check per host, instead of one per pair racing to create
 * the table. Messages go to stderr as ddb-sync's, since that is who the
 * operator ran.
 */

/* What was asked: the check (the default), or one of ctl fleet's. */
enum coord_mode {
	COORD_CHECK = 0,
	COORD_LIST,  /* --list: hosts, pairs, units and owners */
	COORD_STOP,  /* --stop-pair NAME: the fleet-wide stop flag */
	COORD_START, /* --start-pair NAME: clear it */
};

struct coord {
	enum coord_mode mode;
	char *pair; /* COORD_STOP, COORD_START */
	int json;   /* COORD_LIST: one JSON object */
	long limit; /* COORD_LIST: items per Scan page (tests); 0: DynamoDB's */
	char *table;
	char *region;
	char *role_arn;
	char *endpoint;
	int allow_insecure_http;
	int create;
	int64_t give_up_ms;

	struct http *http;
	struct creds_provider *base;
	struct creds_provider *creds;
	struct aws_stats stats;
	struct aws_client cl;
	char err[1024];
};

static void
coord_on_signal(int sig)
{
	worker_stop = 1;
}

static __attribute__((noreturn)) void
coord_usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr,
	    "usage: ddb-sync-worker "
	    "coordination --table T --region R [--role-arn ARN]\n"
	    "                       [--endpoint-url URL] "
	    "[--allow-insecure-http] [-v]\n"
	    "                       [--create | --list [--json] | "
	    "--stop-pair NAME | --start-pair NAME]\n"
	    "                       [--page-limit N (with --list)]\n"
	    "Checks the fleet's coordination table (docs/fleet.md): it exists "
	    "(or is created\nwith --create), has the key schema HASH pair (S), "
	    "RANGE unit (S), and\nthese credentials may use it. --list prints "
	    "its hosts, pairs, units and owners\n(ddb-sync ctl fleet); "
	    "--stop-pair and --start-pair set and clear a pair's\nfleet-wide "
	    "stop flag. Exit status: 0 OK, 2 not usable, 1 other failure.\n");
	exit(rc);
}

static void
coord_args(int argc, char **argv, struct coord *co)
{
	static const char *const names[] = { "table", "region", "role-arn",
		"endpoint-url" };
	char **slots[4];
	int i;
	size_t k;

	slots[0] = &co->table;
	slots[1] = &co->region;
	slots[2] = &co->role_arn;
	slots[3] = &co->endpoint;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			coord_usage(0);
		if (strcmp(a, "-v") == 0) {
			log_set_verbose(log_get_verbose() + 1);
			continue;
		}
		if (strcmp(a, "--create") == 0) {
			co->create = 1;
			continue;
		}
		if (strcmp(a, "--allow-insecure-http") == 0) {
			co->allow_insecure_http = 1;
			continue;
		}
		if (strcmp(a, "--list") == 0 && co->mode == COORD_CHECK) {
			co->mode = COORD_LIST;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			co->json = 1;
			continue;
		}
		if (strcmp(a, "--page-limit") == 0 && i + 1 < argc &&
		    (co->limit = strtol(argv[i + 1], NULL, 10)) > 0 &&
		    co->limit <= 1000) {
			i++;
			continue;
		}
		if ((strcmp(a, "--stop-pair") == 0 ||
			strcmp(a, "--start-pair") == 0) &&
		    co->mode == COORD_CHECK && i + 1 < argc &&
		    *argv[i + 1] != '\0') {
			co->mode = strcmp(a, "--stop-pair") == 0 ? COORD_STOP :
								   COORD_START;
			co->pair = xstrdup(argv[++i]);
			continue;
		}
		for (k = 0; k < 4; k++)
			if (strncmp(a, "--", 2) == 0 &&
			    strcmp(a + 2, names[k]) == 0)
				break;
		if (k == 4 || i + 1 >= argc || *argv[i + 1] == '\0') {
			fprintf(stderr,
			    "ddb-sync-worker coordination: bad "
			    "argument '%s'\n",
			    a);
			coord_usage(WORKER_EXIT_CONFIG);
		}
		free(*slots[k]);
		*slots[k] = xstrdup(argv[++i]);
	}
	if (co->table == NULL || co->region == NULL ||
	    (co->create && co->mode != COORD_CHECK) ||
	    ((co->json || co->limit > 0) && co->mode != COORD_LIST))
		coord_usage(WORKER_EXIT_CONFIG);
}

/*
 * One call, given up after give_up_ms of failing. AWS_OK, or the status
 * with co->err filled (what, the table, the reason).
 */
static enum aws_status
coord_call(struct coord *co, struct aws_call *c, const char *what)
{
	enum aws_status st;
	char dur[32];

	c->give_up_ms = (uint64_t)co->give_up_ms;
	st = aws_call_sync(c);
	switch (st) {
	case AWS_OK:
	case AWS_STOPPED:
		break;
	case AWS_NOT_FOUND:
		(void)snprintf(co->err, sizeof(co->err),
		    "coordination table "
		    "%s not found in %s (%s)",
		    co->table, co->region, co->cl.url);
		break;
	case AWS_DENIED:
		if (strcmp(c->code, "CredentialsError") == 0) {
			(void)snprintf(co->err, sizeof(co->err),
			    "coordination "
			    "table %s: %s",
			    co->table, c->msg);
			break;
		}
		(void)snprintf(co->err, sizeof(co->err),
		    "coordination table "
		    "%s: %s is not allowed: %s: %s (every host needs the "
		    "permissions listed in the README, \"Fleet\")",
		    co->table, what, c->code, c->msg);
		break;
	case AWS_TRANSIENT:
	case AWS_THROTTLED:
	case AWS_EXPIRED_CREDS:
		fmt_duration((uint64_t)co->give_up_ms, dur, sizeof(dur));
		(void)snprintf(co->err, sizeof(co->err),
		    "coordination table "
		    "%s: %s at %s kept failing for %s, giving up: %s",
		    co->table, what, co->cl.url, dur, c->msg);
		break;
	default:
		(void)snprintf(co->err, sizeof(co->err),
		    "coordination table "
		    "%s: %s failed: %s: %s",
		    co->table, what, c->code, c->msg);
		break;
	}
	return st;
}

/* DescribeTable into t. */
static enum aws_status
coord_describe(struct coord *co, struct ddb_table *t)
{
	struct aws_call c;
	enum aws_status st;
	char perr[256];

	aws_call_init(&c, &co->cl, "DescribeTable");
	if (ddb_table_body(&c.req, co->table) == -1)
		fatalx("DescribeTable body");
	if ((st = coord_call(co, &c, "DescribeTable")) == AWS_OK) {
		ddb_table_clear(t);
		if (ddb_parse_describe(c.body, c.bodylen, t, perr,
			sizeof(perr)) == -1) {
			(void)snprintf(co->err, sizeof(co->err),
			    "coordination "
			    "table %s: DescribeTable: %s",
			    co->table, perr);
			st = AWS_FATAL;
		}
	}
	aws_call_cleanup(&c);
	return st;
}

static int
coord_create(struct coord *co)
{
	struct aws_call c;
	enum aws_status st;

	aws_call_init(&c, &co->cl, "CreateTable");
	if (lease_create_table_body(&c.req, co->table) == -1)
		fatalx("CreateTable body");
	st = coord_call(co, &c, "CreateTable");
	/* Another host created it at the same moment: as good. */
	if (st != AWS_OK && strcmp(c.code, "ResourceInUseException") == 0)
		st = AWS_OK;
	aws_call_cleanup(&c);
	if (st == AWS_OK)
		log_info("coordination table %s: created in %s (on-demand, "
			 "HASH " LEASE_HASH ", RANGE " LEASE_RANGE ")",
		    co->table, co->region);
	return st == AWS_OK ? 0 : -1;
}

#define COORD_KEY \
	"{\"" LEASE_HASH "\":{\"S\":\"" LEASE_HOSTS "\"},\"" LEASE_RANGE \
	"\":{\"S\":\"#probe\"}}"
#define COORD_NEVER \
	",\"ConditionExpression\":\"attribute_exists(#u) AND " \
	"attribute_not_exists(#u)\",\"ExpressionAttributeNames\":{\"#u\":\"" LEASE_RANGE \
	"\""

/*
 * Every action a host uses on the table, without changing it: reads of an
 * item that does not exist, and writes whose condition cannot hold (IAM
 * is checked before the condition, so ConditionalCheckFailed means
 * allowed).
 */
static int
coord_probe(struct coord *co)
{
	static const struct {
		const char *op;
		const char *rest; /* the body after the table name */
	} probes[] = {
		{ "GetItem", ",\"Key\":" COORD_KEY "}" },
		{ "Scan", ",\"Limit\":1}" },
		{ "Query",
		    ",\"Limit\":1,\"KeyConditionExpression\":\"#p = :p\","
		    "\"ExpressionAttributeNames\":{\"#p\":\"" LEASE_HASH "\"},"
		    "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"" LEASE_HOSTS
		    "\"}}}" },
		{ "PutItem", ",\"Item\":" COORD_KEY COORD_NEVER "}}" },
		{ "UpdateItem",
		    ",\"Key\":" COORD_KEY ",\"UpdateExpression\":"
		    "\"REMOVE #z\"" COORD_NEVER ",\"#z\":\"probe\"}}" },
		{ "DeleteItem", ",\"Key\":" COORD_KEY COORD_NEVER "}}" },
	};
	struct aws_call c;
	enum aws_status st;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]) && rc == 0; i++) {
		aws_call_init(&c, &co->cl, probes[i].op);
		if (buf_adds(&c.req, "{\"TableName\":") == -1 ||
		    buf_json_str(&c.req, co->table) == -1 ||
		    buf_adds(&c.req, probes[i].rest) == -1)
			fatalx("probe body");
		st = coord_call(co, &c, probes[i].op);
		if (st == AWS_STOPPED)
			rc = 1;
		else if (st == AWS_FATAL &&
		    strcmp(c.code, "ConditionalCheckFailedException") == 0)
			co->err[0] = '\0';
		else if (st != AWS_OK)
			rc = -1;
		aws_call_cleanup(&c);
	}
	return rc;
}

/* 0 usable, 1 stopped, -1 with co->err. */
static int
coord_check(struct coord *co)
{
	struct ddb_table t;
	enum aws_status st;
	int64_t until;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	st = coord_describe(co, &t);
	if (st == AWS_NOT_FOUND && co->create) {
		co->err[0] = '\0';
		if (coord_create(co) == -1)
			goto done;
		st = coord_describe(co, &t);
	} else if (st == AWS_NOT_FOUND) {
		size_t n = strlen(co->err);

		(void)snprintf(co->err + n, sizeof(co->err) - n,
		    ": create it "
		    "with --create-coordination-table (on-demand, HASH " LEASE_HASH
		    ", RANGE " LEASE_RANGE "), or name an existing "
		    "one in coordination.table");
		goto done;
	}
	/* A table being created is ACTIVE within seconds to minutes. */
	until = clock_ms() + co->give_up_ms;
	while (st == AWS_OK && strcmp(t.status, "CREATING") == 0 &&
	    clock_ms() < until && !worker_stop) {
		usleep(500 * 1000);
		st = coord_describe(co, &t);
	}
	if (st == AWS_STOPPED || worker_stop) {
		rc = 1;
		goto done;
	}
	if (st != AWS_OK)
		goto done;
	if (lease_check_schema(&t, co->table, co->err, sizeof(co->err)) == -1)
		goto done;
	if (strcmp(t.status, "ACTIVE") != 0 &&
	    strcmp(t.status, "UPDATING") != 0) {
		(void)snprintf(co->err, sizeof(co->err),
		    "coordination table "
		    "%s is %s, not ACTIVE",
		    co->table, t.status);
		goto done;
	}
	rc = coord_probe(co);
done:
	ddb_table_clear(&t);
	return rc;
}

/* ------------------------------------------------------------------------
 * ctl fleet: the table as it is, and the fleet-wide stop flag
 */

/* Every item, page after page (strongly consistent: an operator asked). 0,
 * 1 stopped, -1 with co->err. */
static int
coord_scan(struct coord *co, struct lease_set *set)
{
	struct aws_call c;
	enum aws_status st;
	struct jspan lek;
	char *from = NULL, perr[256];
	int rc = 0;

	do {
		aws_call_init(&c, &co->cl, "Scan");
		if (buf_adds(&c.req, "{\"TableName\":") == -1 ||
		    buf_json_str(&c.req, co->table) == -1 ||
		    buf_adds(&c.req, ",\"ConsistentRead\":true") == -1 ||
		    (co->limit > 0 &&
			buf_printf(&c.req, ",\"Limit\":%ld", co->limit) ==
			    -1) ||
		    (from != NULL &&
			buf_printf(&c.req, ",\"ExclusiveStartKey\":%s", from) ==
			    -1) ||
		    buf_addc(&c.req, '}') == -1)
			fatalx("Scan body");
		free(from);
		from = NULL;
		st = coord_call(co, &c, "Scan");
		if (st == AWS_STOPPED || worker_stop)
			rc = 1;
		else if (st != AWS_OK)
			rc = -1;
		else if (lease_parse_page(set, c.body, c.bodylen, &lek, perr,
			     sizeof(perr)) == -1) {
			(void)snprintf(co->err, sizeof(co->err),
			    "coordination table %s: a Scan answer: %s",
			    co->table, perr);
			rc = -1;
		} else if (lek.len > 0)
			from = xstrndup(lek.p, lek.len);
		aws_call_cleanup(&c);
	} while (rc == 0 && from != NULL);
	free(from);
	lease_set_sort(set);
	return rc;
}

/* A wall clock time of some host, shown: "2026-12-04T21:00:01Z", "-". */
static const char *
coord_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "-");
	return buf;
}

/* A table's text for a terminal: controls escaped, secrets withheld. */
static const char *
coord_text(const char *s, char *buf, size_t len)
{
	return fmt_printable_str(buf, len, s != NULL ? s : "-");
}

/* Rows of cells printed in aligned columns. */
struct coord_tab {
	char **cell;
	size_t n, cap;
	size_t ncols;
};

static void coord_tab_add(struct coord_tab *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
coord_tab_add(struct coord_tab *t, const char *fmt, ...)
{
	va_list ap;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cell = xrealloc(t->cell, t->cap * sizeof(*t->cell));
	}
	va_start(ap, fmt);
	if (vasprintf(&t->cell[t->n], fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	t->n++;
}

static void
coord_tab_print(struct coord_tab *t, const char *indent)
{
	size_t w[16] = { 0 }, i, k, c;

	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if ((k = fmt_columns(t->cell[i])) > w[c])
			w[c] = k;
	}
	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if (c == 0)
			fputs(indent, stdout);
		fputs(t->cell[i], stdout);
		if (c + 1 == t->ncols)
			putchar('\n');
		else
			for (k = fmt_columns(t->cell[i]); k < w[c] + 2; k++)
				putchar(' ');
		free(t->cell[i]);
	}
	free(t->cell);
	memset(t, 0, sizeof(*t));
}

/* Units (segments, shards) not done that owner holds. */
static unsigned
coord_holds(const struct lease_set *set, const char *owner)
{
	unsigned n = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct lease *l = &set->v[i];

		if ((l->kind == LEASE_SEGMENT || l->kind == LEASE_SHARD) &&
		    !l->done && l->owner != NULL &&
		    strcmp(l->owner, owner) == 0)
			n++;
	}
	return n;
}

/* The end of the run of items of set->v[i]'s pair (the set is sorted). */
static size_t
coord_pair_end(const struct lease_set *set, size_t i)
{
	size_t j = i;

	while (j < set->n && strcmp(set->v[j].pair, set->v[i].pair) == 0)
		j++;
	return j;
}

/* Whether id is a host with a heartbeat item. */
static int
coord_is_host(const struct lease_set *set, const char *id)
{
	return lease_set_find(set, LEASE_HOSTS, id) != NULL;
}

static void
coord_print_text(struct coord *co, const struct lease_set *set)
{
	struct coord_tab t = { .ncols = 5 };
	char a[512], b[512], c[64];
	size_t i, j, npairs = 0, nhosts = 0;
	const struct lease *l, *pi;
	unsigned done, units;

	for (i = 0; i < set->n; i++) {
		l = &set->v[i];
		if (l->kind == LEASE_HOST)
			nhosts++;
		else if (i == 0 || strcmp(l->pair, set->v[i - 1].pair) != 0)
			npairs++;
	}
	printf("coordination table %s (%s): %zu host%s, %zu pair%s\n",
	    coord_text(co->table, a, sizeof(a)), co->region, nhosts,
	    nhosts == 1 ? "" : "s", npairs, npairs == 1 ? "" : "s");

	/* Hosts: those with a heartbeat, then owners without one (a host
	 * of an older version, or one whose heartbeat was removed). */
	coord_tab_add(&t, "HOST");
	coord_tab_add(&t, "HOSTNAME");
	coord_tab_add(&t, "RENEWED");
	coord_tab_add(&t, "LEASE");
	coord_tab_add(&t, "HOLDS");
	for (i = 0; i < set->n; i++) {
		l = &set->v[i];
		if (l->kind != LEASE_HOST)
			continue;
		coord_tab_add(&t, "%s", coord_text(l->unit, a, sizeof(a)));
		coord_tab_add(&t, "%s", coord_text(l->hostname, b, sizeof(b)));
		coord_tab_add(&t, "%s", coord_time(l->renewed, c, sizeof(c)));
		if (l->lease_ms > 0)
			coord_tab_add(&t, "%s",
			    fmt_duration((uint64_t)l->lease_ms, c, sizeof(c)));
		else
			coord_tab_add(&t, "-");
		coord_tab_add(&t, "%u", coord_holds(set, l->unit));
	}
	for (i = 0; i < set->n; i++) {
		l = &set->v[i];
		if (l->kind == LEASE_HOST || l->owner == NULL ||
		    coord_is_host(set, l->owner))
			continue;
		for (j = 0; j < i; j++)
			if (set->v[j].kind != LEASE_HOST &&
			    set->v[j].owner != NULL &&
			    strcmp(set->v[j].owner, l->owner) == 0)
				break;
		if (j < i)
			continue;
		coord_tab_add(&t, "%s", coord_text(l->owner, a, sizeof(a)));
		coord_tab_add(&t, "(no heartbeat)");
		coord_tab_add(&t, "-");
		coord_tab_add(&t, "-");
		coord_tab_add(&t, "%u", coord_holds(set, l->owner));
	}
	coord_tab_print(&t, "");

	for (i = 0; i < set->n; i = j) {
		j = coord_pair_end(set, i);
		if (set->v[i].kind == LEASE_HOST)
			continue;
		pi = lease_set_find(set, set->v[i].pair, LEASE_PAIR_UNIT);
		done = units = 0;
		for (size_t k = i; k < j; k++)
			if (set->v[k].kind == LEASE_SEGMENT ||
			    set->v[k].kind == LEASE_SHARD) {
				units++;
				done += set->v[k].done != 0;
			}
		printf("\npair %s: ", coord_text(set->v[i].pair, a, sizeof(a)));
		if (pi == NULL)
			printf("no pair item yet; ");
		else {
			printf("%u segment%s, backfill started %s, ",
			    pi->total_segments,
			    pi->total_segments == 1 ? "" : "s",
			    coord_time(pi->backfill_started, c, sizeof(c)));
			printf("stop flag %s; ", pi->stop ? "SET" : "not set");
		}
		printf("%u of %u unit%s done\n", done, units,
		    units == 1 ? "" : "s");
		if (pi != NULL && pi->src != NULL && pi->dst != NULL)
			printf("  %s -> %s\n",
			    coord_text(pi->src, a, sizeof(a)),
			    coord_text(pi->dst, b, sizeof(b)));
		if (units == 0)
			continue;
		t.ncols = 7;
		coord_tab_add(&t, "UNIT");
		coord_tab_add(&t, "OWNER");
		coord_tab_add(&t, "DONE");
		coord_tab_add(&t, "ITEMS");
		coord_tab_add(&t, "COUNTER");
		coord_tab_add(&t, "SWITCHES");
		coord_tab_add(&t, "RENEWED");
		for (size_t k = i; k < j; k++) {
			l = &set->v[k];
			if (l->kind != LEASE_SEGMENT && l->kind != LEASE_SHARD)
				continue;
			coord_tab_add(&t, "%s",
			    coord_text(l->unit, a, sizeof(a)));
			coord_tab_add(&t, "%s",
			    coord_text(l->owner, b, sizeof(b)));
			coord_tab_add(&t, "%s", l->done ? "yes" : "no");
			coord_tab_add(&t, "%" PRIu64, l->items);
			coord_tab_add(&t, "%" PRIu64, l->counter);
			coord_tab_add(&t, "%" PRIu64, l->switches);
			coord_tab_add(&t, "%s",
			    coord_time(l->renewed, c, sizeof(c)));
		}
		coord_tab_print(&t, "  ");
	}
}

/* An optional string member: the value, or null. */
static int
coord_jstr(struct buf *b, const char *key, const char *v)
{
	if (buf_printf(b, ",\"%s\":", key) == -1)
		return -1;
	return v != NULL ? buf_json_str(b, v) : buf_adds(b, "null");
}

static int
coord_print_json(struct coord *co, const struct lease_set *set)
{
	struct buf b;
	const struct lease *l, *pi;
	size_t i, j, k;
	int rc = 0, first = 1;

	buf_init(&b, 0);
	rc |= buf_adds(&b, "{\"table\":");
	rc |= buf_json_str(&b, co->table);
	rc |= coord_jstr(&b, "region", co->region);
	rc |= buf_adds(&b, ",\"hosts\":[");
	for (i = 0; i < set->n; i++) {
		l = &set->v[i];
		if (l->kind != LEASE_HOST)
			continue;
		rc |= buf_adds(&b, first ? "{\"host_id\":" : ",{\"host_id\":");
		first = 0;
		rc |= buf_json_str(&b, l->unit);
		rc |= coord_jstr(&b, "hostname", l->hostname);
		rc |= buf_printf(&b,
		    ",\"renewed_ms\":%" PRId64 ",\"lease_ms\":%" PRId64
		    ",\"holds\":%u}",
		    l->renewed, l->lease_ms, coord_holds(set, l->unit));
	}
	rc |= buf_adds(&b, "],\"pairs\":[");
	first = 1;
	for (i = 0; i < set->n; i = j) {
		j = coord_pair_end(set, i);
		if (set->v[i].kind == LEASE_HOST)
			continue;
		pi = lease_set_find(set, set->v[i].pair, LEASE_PAIR_UNIT);
		rc |= buf_adds(&b, first ? "{\"name\":" : ",{\"name\":");
		first = 0;
		rc |= buf_json_str(&b, set->v[i].pair);
		if (pi != NULL)
			rc |= buf_printf(&b,
			    ",\"pair_item\":true,\"total_segments\":%u,"
			    "\"backfill_started_ms\":%" PRId64 ",\"stop\":%s",
			    pi->total_segments, pi->backfill_started,
			    pi->stop ? "true" : "false");
		else
			rc |= buf_adds(&b, ",\"pair_item\":false");
		rc |= coord_jstr(&b, "src", pi != NULL ? pi->src : NULL);
		rc |= coord_jstr(&b, "dst", pi != NULL ? pi->dst : NULL);
		rc |= buf_adds(&b, ",\"units\":[");
		for (k = i; k < j; k++) {
			l = &set->v[k];
			if (l->kind != LEASE_SEGMENT && l->kind != LEASE_SHARD)
				continue;
			rc |= buf_adds(&b,
			    b.data[b.len - 1] == '[' ? "{\"unit\":" :
						       ",{\"unit\":");
			rc |= buf_json_str(&b, l->unit);
			rc |= coord_jstr(&b, "owner", l->owner);
			rc |= coord_jstr(&b, "next", l->next);
			rc |= buf_printf(&b,
			    ",\"done\":%s,\"items\":%" PRIu64
			    ",\"counter\":%" PRIu64 ",\"switches\":%" PRIu64
			    ",\"renewed_ms\":%" PRId64 "}",
			    l->done ? "true" : "false", l->items, l->counter,
			    l->switches, l->renewed);
		}
		rc |= buf_adds(&b, "]}");
	}
	rc |= buf_adds(&b, "]}\n");
	if (rc == 0)
		fputs(b.data, stdout);
	buf_free(&b);
	return rc == 0 ? 0 : -1;
}

/* --list: 0, 1 stopped, -1 with co->err. */
static int
coord_list(struct coord *co)
{
	struct lease_set set = { 0 };
	int rc;

	if ((rc = coord_scan(co, &set)) == 0) {
		if (co->json)
			rc = coord_print_json(co, &set);
		else
			coord_print_text(co, &set);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			(void)snprintf(co->err, sizeof(co->err),
			    "writing the list: %s", strerror(errno));
			rc = -1;
		}
	}
	lease_set_clear(&set);
	return rc;
}

/* --stop-pair, --start-pair: 0, 1 stopped, -1 with co->err. */
static int
coord_stop_flag(struct coord *co, int stop)
{
	struct aws_call c;
	enum aws_status st;
	char q[512];
	int rc = 0;

	aws_call_init(&c, &co->cl, "UpdateItem");
	if (lease_stop_body(&c.req, co->table, co->pair, stop) == -1)
		fatalx("UpdateItem body");
	st = coord_call(co, &c, "UpdateItem");
	if (st == AWS_STOPPED)
		rc = 1;
	else if (st == AWS_FATAL &&
	    strcmp(c.code, "ConditionalCheckFailedException") == 0) {
		(void)snprintf(co->err, sizeof(co->err),
		    "coordination table %s has no item for pair %s: no host "
		    "has started it yet, so there is no flag to %s",
		    co->table, coord_text(co->pair, q, sizeof(q)),
		    stop ? "set" : "clear");
		rc = -1;
	} else if (st != AWS_OK)
		rc = -1;
	aws_call_cleanup(&c);
	if (rc != 0)
		return rc;
	coord_text(co->pair, q, sizeof(q));
	if (stop)
		printf("%s: fleet-wide stop flag set in coordination table "
		       "%s: every host releases its leases of the pair after "
		       "their last checkpoint, and none claims them until "
		       "'ddb-sync ctl fleet start %s'\n",
		    q, co->table, q);
	else
		printf("%s: fleet-wide stop flag cleared in coordination "
		       "table %s: hosts claim its units again\n",
		    q, co->table);
	return 0;
}

/* ctl fleet's output is the listing or one line: the notes of the check
 * ("credentials from environment") only with -v. */
static void
coord_quiet_sink(int level, const char *msg, void *arg)
{
	if (level <= LOG_LVL_WARN || log_get_verbose() > 0)
		fprintf(stderr, "ddb-sync: %s\n", msg);
}

int
coord_main(int argc, char **argv)
{
	struct coord co;
	struct sigaction sa;
	char err[512];
	int rc = WORKER_EXIT_CONFIG, r;

	memset(&co, 0, sizeof(co));
	coord_args(argc, argv, &co);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = coord_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	http_set_interrupt(&worker_stop);
	log_init("ddb-sync", log_get_verbose());
	if (co.mode != COORD_CHECK)
		log_set_sink(coord_quiet_sink, NULL);
	co.give_up_ms = settings_int(SETTING_PREFLIGHT_GIVE_UP_MS);

	co.http = http_new();
	co.base = co.creds = creds_chain_new();
	if (co.role_arn != NULL)
		co.creds = creds_assume_role_new(co.base, co.role_arn,
		    co.region, NULL, NULL);
	creds_allow_insecure_http(co.base, co.allow_insecure_http);
	if (co.creds != co.base)
		creds_allow_insecure_http(co.creds, co.allow_insecure_http);
	if (aws_client_init(&co.cl, co.http, ENDPOINT_DYNAMODB, co.region,
		co.endpoint, co.creds, &co.stats, err, sizeof(err)) == -1) {
		log_error("coordination: %s", err);
		goto out;
	}
	strlcpy(co.cl.label, "coordination", sizeof(co.cl.label));
	if (endpoint_check_secure(&co.cl.eu, co.cl.url,
		"coordination "
		"DynamoDB",
		co.allow_insecure_http, err, sizeof(err)) == -1) {
		log_error("coordination: %s", err);
		goto clients;
	}
	switch (co.mode) {
	case COORD_LIST:
		r = coord_list(&co);
		break;
	case COORD_STOP:
	case COORD_START:
		r = coord_stop_flag(&co, co.mode == COORD_STOP);
		break;
	default:
		r = coord_check(&co);
		if (r == 0)
			log_info("coordination table %s (%s): key schema and "
				 "access OK",
			    co.table, co.region);
		break;
	}
	if (r == 0)
		rc = WORKER_EXIT_OK;
	else if (r == 1)
		rc = WORKER_EXIT_OK; /* interrupted: the caller knows */
	else
		log_error("%s", co.err);
clients:
	aws_client_clear(&co.cl);
out:
	if (co.creds != co.base)
		creds_provider_free(co.creds);
	creds_provider_free(co.base);
	http_free(co.http);
	free(co.table);
	free(co.region);
	free(co.role_arn);
	free(co.endpoint);
	free(co.pair);
	return rc;
}

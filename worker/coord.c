/* coord.c: "ddb-sync-worker coordination": check or create the lease table. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct coord {
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
	    "[--allow-insecure-http] [--create] [-v]\n"
	    "Checks the fleet's coordination table (docs/fleet.md): it exists "
	    "(or is created\nwith --create), has the key schema HASH pair (S), "
	    "RANGE unit (S), and\nthese credentials may use it. Exit status: 0 "
	    "OK, 2 not usable, 1 other failure.\n");
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
	if (co->table == NULL || co->region == NULL)
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
	r = coord_check(&co);
	if (r == 0) {
		log_info("coordination table %s (%s): key schema and access OK",
		    co.table, co.region);
		rc = WORKER_EXIT_OK;
	} else if (r == 1)
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
	return rc;
}

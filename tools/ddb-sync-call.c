/* ddb-sync-call: one signed DynamoDB / Streams call through ddb-sync's client. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "aws.h"
#include "creds.h"
#include "log.h"
#include "xmalloc.h"

/*
 * A debugging and test tool: it exercises exactly the code path the worker
 * uses (credentials chain, optional AssumeRole, SigV4, retries, CRC check),
 * so an operator can check access from the migration host and the tests can
 * drive every API call against DynamoDB Local.
 */

#define CALL_MAX_BODY (16u * 1024 * 1024)

static __attribute__((noreturn)) void
usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr,
	    "usage: ddb-sync-call [--region R] [--endpoint-url URL] [--streams]\n"
	    "                     [--role-arn ARN] [--sts-endpoint-url URL]\n"
	    "                     [--creds-info] [-v] OPERATION [BODY | @FILE | -]\n"
	    "Sends one DynamoDB (or, with --streams, DynamoDB Streams) API call\n"
	    "and prints the JSON response. BODY defaults to {}.\n"
	    "Exit status: 0 success, 1 the call failed, 2 usage error.\n");
	exit(rc);
}

static char *
read_body(const char *arg)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	char *data;

	if (arg == NULL)
		return xstrdup("{}");
	if (arg[0] == '@') {
		size_t len;

		if (atomicfile_read(arg + 1, CALL_MAX_BODY, &data, &len) == -1)
			fatal("%s", arg + 1);
		return data;
	}
	if (strcmp(arg, "-") != 0)
		return xstrdup(arg);
	buf_init(&b, CALL_MAX_BODY);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(&b, chunk, n) == -1)
			fatalx("request body larger than %u bytes",
			    CALL_MAX_BODY);
	if (buf_addc(&b, '\0') == -1)
		fatalx("request body too large");
	return buf_steal(&b, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { { "region", required_argument,
						      NULL, 'r' },
		{ "endpoint-url", required_argument, NULL, 'e' },
		{ "streams", no_argument, NULL, 's' },
		{ "role-arn", required_argument, NULL, 'R' },
		{ "sts-endpoint-url", required_argument, NULL, 'S' },
		{ "creds-info", no_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *region = NULL, *endpoint = NULL, *role = NULL;
	const char *sts_endpoint = NULL;
	int streams = 0, info = 0, verbose = 0, ch, rc = 1;
	struct creds_provider *base, *prov;
	const struct creds *cr;
	struct aws_client cl;
	struct aws_call call;
	struct aws_stats stats;
	struct http *http;
	char err[512], *body;

	log_init("ddb-sync-call", 0);
	while (
	    (ch = getopt_long(argc, argv, "r:e:svh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			region = optarg;
			break;
		case 'e':
			endpoint = optarg;
			break;
		case 's':
			streams = 1;
			break;
		case 'R':
			role = optarg;
			break;
		case 'S':
			sts_endpoint = optarg;
			break;
		case 'c':
			info = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		usage(2);
	log_set_verbose(verbose);
	if (region == NULL)
		region = getenv("AWS_REGION");
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (region == NULL || *region == '\0') {
		fprintf(stderr,
		    "ddb-sync-call: no region: use --region or "
		    "set AWS_REGION\n");
		return 2;
	}
	body = read_body(argc == 2 ? argv[1] : NULL);

	http = http_new();
	base = creds_chain_new();
	prov = base;
	if (role != NULL)
		prov = creds_assume_role_new(base, role, region, sts_endpoint,
		    NULL);
	if (info) {
		if (creds_get(prov, &cr, err, sizeof(err)) == -1) {
			fprintf(stderr, "ddb-sync-call: credentials: %s\n",
			    err);
			goto done;
		}
		if (cr->expiration != 0)
			fprintf(stderr,
			    "credentials: source=%s expires_in=%llds\n",
			    cr->source,
			    (long long)(cr->expiration - time(NULL)));
		else
			fprintf(stderr, "credentials: source=%s\n", cr->source);
	}
	memset(&stats, 0, sizeof(stats));
	if (aws_client_init(&cl, http,
		streams ? ENDPOINT_STREAMS : ENDPOINT_DYNAMODB, region,
		endpoint, prov, &stats, err, sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync-call: %s\n", err);
		rc = 2;
		goto done;
	}
	strlcpy(cl.label, streams ? "streams" : "dynamodb", sizeof(cl.label));
	aws_call_init(&call, &cl, argv[0]);
	if (buf_adds(&call.req, body) == -1)
		fatalx("request body too large");
	if (aws_call_sync(&call) == AWS_OK) {
		fwrite(call.body, 1, call.bodylen, stdout);
		fputc('\n', stdout);
		rc = 0;
	} else
		fprintf(stderr,
		    "ddb-sync-call: %s: %s: %s (HTTP %ld, %s, "
		    "%u attempts)\n",
		    argv[0], call.code, call.msg, call.http_status,
		    aws_status_name(call.status), call.attempt);
	if (verbose)
		fprintf(stderr, "requests=%llu retries=%llu throttles=%llu\n",
		    (unsigned long long)stats.requests,
		    (unsigned long long)stats.retries,
		    (unsigned long long)stats.throttles);
	aws_call_cleanup(&call);
	aws_client_clear(&cl);
done:
	if (prov != base)
		creds_provider_free(prov);
	creds_provider_free(base);
	http_free(http);
	free(body);
	return rc;
}

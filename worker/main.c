/* main.c: ddb-sync-worker, the process that runs one pair (backfill, stream). */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "coord.h"
#include "create.h"
#include "creds.h"
#include "fmt.h"
#include "log.h"
#include "report.h"
#include "settings.h"
#include "testhook.h"
#include "ttl.h"
#include "verify.h"
#include "worker.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * The supervisor execs this with the pair as flags and the channel on fd 3
 * (--supervised). It also runs alone, given the same flags and a state
 * directory, which is how the scenarios test it without a supervisor.
 */

static __attribute__((noreturn)) void
usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr,
	    "usage: ddb-sync-worker --state-dir DIR [--supervised] "
	    "[--check-config] [-v]\n"
	    "                       --input-table T [--input-region R] "
	    "[pair flags ...]\n"
	    "       ddb-sync-worker --verify [--verify-report PATH] "
	    "[--verify-sample-ppm N]\n"
	    "                       [--verify-repair] [--verify-delete-extra] "
	    "[--verify-recheck-ms MS] ...\n"
	    "Runs one pair of ddb-sync (see ddb-sync --help for the pair "
	    "flags), or verifies it.\n"
	    "Exit status: 0 done or stopped, 1 failed (restart), 2 "
	    "configuration or\npreflight error, 3 permanent failure, 4 "
	    "verified: the tables differ.\n");
	exit(rc);
}

/* ddb-sync verify's flags (--verify-*), kept out of the pair's plan. */
static struct verify_opts vopts = {
	.sample_ppm = VERIFY_SAMPLE_ALL,
	.recheck_ms = -1,
};

/* A --verify* flag: 1 taken, 0 not one, -1 bad value (said). */
static int
verify_flag(const char *name, const char *val)
{
	char *end;
	double d;
	long long ms;

	if (strcmp(name, "verify") == 0)
		vopts.on = 1;
	else if (strcmp(name, "verify-repair") == 0)
		vopts.repair = 1;
	else if (strcmp(name, "verify-delete-extra") == 0)
		vopts.delete_extra = 1;
	else if (strcmp(name, "verify-report") == 0) {
		if (val == NULL || *val == '\0')
			goto bad;
		free(vopts.report);
		vopts.report = xstrdup(val);
	} else if (strcmp(name, "verify-sample-ppm") == 0) {
		if (val == NULL)
			goto bad;
		errno = 0;
		d = strtod(val, &end);
		if (errno != 0 || *end != '\0' || !(d >= 1) ||
		    d > VERIFY_SAMPLE_ALL)
			goto bad;
		vopts.sample_ppm = (uint32_t)d;
	} else if (strcmp(name, "verify-recheck-ms") == 0) {
		if (val == NULL)
			goto bad;
		errno = 0;
		ms = strtoll(val, &end, 10);
		if (errno != 0 || *end != '\0' || ms < 0)
			goto bad;
		vopts.recheck_ms = ms;
	} else
		return 0;
	return 1;
bad:
	fprintf(stderr, "ddb-sync-worker: --%s: bad value\n", name);
	return -1;
}

static void
on_signal(int sig)
{
	worker_stop = 1;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Every wait on the network gives up on it (aws_call_sync, the
	 * credential fetches, their backoff sleeps). */
	http_set_interrupt(&worker_stop);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* The supervisor reopens the per-worker log files. */
	sigaction(SIGHUP, &sa, NULL);
}

static void
parse_args(int argc, char **argv, struct worker *w, struct plan_pair *p)
{
	char err[256];
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i], *name, *val = NULL, *eq;
		int r;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			usage(0);
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("ddb-sync-worker %s\n", DDB_SYNC_VERSION);
			exit(0);
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			log_set_verbose(log_get_verbose() + 1);
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr,
			    "ddb-sync-worker: unexpected argument "
			    "'%s'\n",
			    a);
			usage(2);
		}
		name = xstrdup(a + 2);
		if ((eq = strchr(name, '=')) != NULL) {
			*eq = '\0';
			val = eq + 1;
		}
		if (strcmp(name, "supervised") == 0)
			w->supervised = 1;
		else if (strcmp(name, "check-config") == 0)
			w->check_config = 1;
		else if (strcmp(name, "state-dir") == 0) {
			if (val == NULL && i + 1 < argc)
				val = argv[++i];
			if (val == NULL || *val == '\0') {
				fprintf(stderr,
				    "ddb-sync-worker: --state-dir "
				    "needs a directory\n");
				usage(2);
			}
			free(w->state_dir);
			w->state_dir = xstrdup(val);
		} else if ((r = member_conf_flag(&w->mconf, name, val)) != 0) {
			if (r == -1)
				exit(WORKER_EXIT_CONFIG);
		} else if ((r = verify_flag(name, val)) != 0) {
			if (r == -1)
				exit(WORKER_EXIT_CONFIG);
		} else {
			if (val == NULL &&
			    plan_pair_flag_needs_value(name) == 1 &&
			    i + 1 < argc)
				val = argv[++i];
			r = plan_pair_set_flag(p, name, val, err, sizeof(err));
			if (r == 0) {
				fprintf(stderr,
				    "ddb-sync-worker: unknown "
				    "option '--%s'\n",
				    name);
				usage(2);
			}
			if (r == -1) {
				fprintf(stderr, "ddb-sync-worker: --%s: %s\n",
				    name, err);
				exit(WORKER_EXIT_CONFIG);
			}
		}
		free(name);
	}
	if (w->state_dir == NULL) {
		fprintf(stderr, "ddb-sync-worker: --state-dir is required\n");
		usage(2);
	}
}

/* Take the pair's lock so two workers never run one pair. */
static int
lock_pair(struct worker *w)
{
	char *path, pid[32];
	int fd, n;

	/* A verify has a lock of its own: it may run beside the copy. */
	xasprintf(&path, "%s/%s", w->pair_dir,
	    vopts.on ? "verify.lock" : "lock");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "StateDirError",
		    "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "PairLocked",
		    "pair %s is already being %s by another worker (%s is "
		    "locked)",
		    w->pair->name, vopts.on ? "verified" : "run", path);
		close(fd);
		free(path);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && write(fd, pid, (size_t)n) != n)
		log_warn("%s", path);
	free(path);
	w->lock_fd = fd;
	return 0;
}

/* DescribeTable for one side; classifies failures for the operator. */
static int
describe(struct worker *w, struct aws_client *cl, const char *side,
    const struct plan_side *s, struct ddb_table *out)
{
	struct aws_call c;
	char err[512], dur[32];
	int rc = -1;

	aws_call_init(&c, cl, "DescribeTable");
	if (buf_adds(&c.req, "{\"TableName\":") == -1 ||
	    buf_json_str(&c.req, s->table) == -1 || buf_addc(&c.req, '}') == -1)
		fatalx("DescribeTable body");
	/* Nothing has started yet: an endpoint that stays unreachable is a
	 * configuration to fix, not an outage to wait out. */
	c.give_up_ms = (uint64_t)w->preflight_ms;
	switch (aws_call_sync(&c)) {
	case AWS_OK:
		break;
	case AWS_STOPPED:
		goto done; /* SIGINT/SIGTERM: not a failure */
	case AWS_TRANSIENT:
	case AWS_THROTTLED:
	case AWS_EXPIRED_CREDS:
		fmt_duration((uint64_t)w->preflight_ms, dur, sizeof(dur));
		worker_fail(w, WORKER_EXIT_CONFIG, c.code,
		    "%s table %s: "
		    "DescribeTable at %s kept failing for %s, giving up: %s",
		    side, s->table, cl->url, dur, c.msg);
		goto done;
	case AWS_NOT_FOUND:
		worker_fail(w, WORKER_EXIT_CONFIG, c.code,
		    "%s table %s not "
		    "found in %s (%s)",
		    side, s->table, s->region, cl->url);
		goto done;
	case AWS_DENIED:
		worker_fail(w, WORKER_EXIT_CONFIG, c.code, "%s table %s: %s%s",
		    side, s->table,
		    strcmp(c.code, "CredentialsError") == 0 ? "" :
							      "access denied: ",
		    c.msg);
		goto done;
	case AWS_FATAL:
		worker_fail(w, WORKER_EXIT_CONFIG, c.code, "%s table %s: %s",
		    side, s->table, c.msg);
		goto done;
	default:
		worker_fail(w, WORKER_EXIT_CRASH, c.code,
		    "%s table %s: "
		    "DescribeTable failed: %s",
		    side, s->table, c.msg);
		goto done;
	}
	if (ddb_parse_describe(c.body, c.bodylen, out, err, sizeof(err)) ==
	    -1) {
		worker_fail(w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "%s table %s: %s", side, s->table, err);
		goto done;
	}
	if (strcmp(out->status, "ACTIVE") != 0 &&
	    strcmp(out->status, "UPDATING") != 0) {
		/* CREATING will pass; DELETING, ARCHIVED... will not, but a
		 * restart with backoff reports it again without harm. */
		worker_fail(w, WORKER_EXIT_CRASH, "TableNotActive",
		    "%s table %s is %s, not ACTIVE", side, s->table,
		    out->status);
		goto done;
	}
	rc = 0;
done:
	aws_call_cleanup(&c);
	return rc;
}

/* 0, 1 if stopped (creating the destination), -1 on failure. */
static int
preflight(struct worker *w)
{
	struct plan_pair *p = w->pair;
	char err[1200];
	int r;

	if (describe(w, &w->src, "source", &p->input, &w->src_tab) == -1)
		return -1;
	/* output.create: made from the source, or compared with it (a
	 * verify compares tables that exist). */
	if (p->create_output && !vopts.on && (r = create_preflight(w)) != 0)
		return r;
	if ((!p->create_output || vopts.on) &&
	    describe(w, &w->dst, "destination", &p->output, &w->dst_tab) == -1)
		return -1;
	if (ddb_keys_compare(&w->src_tab, &w->dst_tab, err, sizeof(err)) ==
	    -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "KeySchemaMismatch",
		    "%s -> %s: %s", p->input.table, p->output.table, err);
		return -1;
	}
	if (vopts.on)
		return verify_preflight(w, &vopts);
	if (p->stream &&
	    (!w->src_tab.stream_enabled ||
		(strcmp(w->src_tab.stream_view, "NEW_IMAGE") != 0 &&
		    strcmp(w->src_tab.stream_view, "NEW_AND_OLD_IMAGES") !=
			0))) {
		if (w->src_tab.stream_enabled)
			worker_fail(w, WORKER_EXIT_CONFIG, "StreamNotUsable",
			    "source table %s has a stream of view type %s: "
			    "the stream phase needs NEW_IMAGE or "
			    "NEW_AND_OLD_IMAGES. A stream's view type cannot "
			    "be changed: disable the stream, then enable it "
			    "with StreamViewType=NEW_AND_OLD_IMAGES; or set "
			    "stream: {disabled: true} for this pair",
			    p->input.table, w->src_tab.stream_view);
		else
			worker_fail(w, WORKER_EXIT_CONFIG, "StreamNotUsable",
			    "source table %s has no stream enabled: enable one "
			    "(aws dynamodb update-table --table-name %s "
			    "--stream-specification StreamEnabled=true,"
			    "StreamViewType=NEW_AND_OLD_IMAGES) or set "
			    "stream: {disabled: true} for this pair",
			    p->input.table, p->input.table);
		return -1;
	}
	w->prog.est_items = (uint64_t)(w->src_tab.item_count > 0 ?
		w->src_tab.item_count :
		0);
	w->prog.est_bytes = (uint64_t)(w->src_tab.size_bytes > 0 ?
		w->src_tab.size_bytes :
		0);
	return ttl_preflight(w);
}

static int
load_checkpoint(struct worker *w)
{
	struct plan_pair *p = w->pair;
	struct checkpoint *ck = &w->ckpt;
	char err[1024];
	int r;

	r = checkpoint_load(w->ckpt_path, ck, err, sizeof(err));
	if (r == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "CheckpointRefused", "%s",
		    err);
		return -1;
	}
	if (r == 1) {
		ck->pair = xstrdup(p->name);
		ck->src_table = xstrdup(p->input.table);
		ck->src_region = xstrdup(p->input.region);
		ck->dst_table = xstrdup(p->output.table);
		ck->dst_region = xstrdup(p->output.region);
		return 0;
	}
	if (checkpoint_match(ck, p->name, p->input.table, p->input.region,
		p->output.table, p->output.region, p->total_segments, err,
		sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "CheckpointMismatch",
		    "%s (%s)", err, w->ckpt_path);
		return -1;
	}
	return 0;
}

static int
setup_clients(struct worker *w)
{
	struct plan_pair *p = w->pair;
	const char *streams_url;
	char err[512];

	/* An emulator (or a proxy) serves both APIs on one endpoint: the
	 * Streams calls follow the input's endpoint unless told otherwise. */
	streams_url = p->input.streams_endpoint != NULL ?
	    p->input.streams_endpoint :
	    p->input.endpoint;
	w->http = http_new();
	w->base_creds = creds_chain_new();
	w->src_creds = w->dst_creds = w->base_creds;
	if (p->input.role_arn != NULL)
		w->src_creds = creds_assume_role_new(w->base_creds,
		    p->input.role_arn, p->input.region, p->input.sts_endpoint,
		    NULL);
	if (p->output.role_arn != NULL)
		w->dst_creds = creds_assume_role_new(w->base_creds,
		    p->output.role_arn, p->output.region,
		    p->output.sts_endpoint, NULL);
	if (aws_client_init(&w->src, w->http, ENDPOINT_DYNAMODB,
		p->input.region, p->input.endpoint, w->src_creds, &w->stats,
		err, sizeof(err)) == -1 ||
	    aws_client_init(&w->dst, w->http, ENDPOINT_DYNAMODB,
		p->output.region, p->output.endpoint, w->dst_creds, &w->stats,
		err, sizeof(err)) == -1 ||
	    aws_client_init(&w->streams, w->http, ENDPOINT_STREAMS,
		p->input.region, streams_url, w->src_creds, &w->stats, err,
		sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "BadEndpoint", "%s", err);
		return -1;
	}
	strlcpy(w->src.label, "source", sizeof(w->src.label));
	strlcpy(w->dst.label, "destination", sizeof(w->dst.label));
	strlcpy(w->streams.label, "source stream", sizeof(w->streams.label));
	if (endpoint_check_secure(&w->src.eu, w->src.url, "source DynamoDB",
		p->input.allow_insecure_http, err, sizeof(err)) == -1 ||
	    (p->stream &&
		endpoint_check_secure(&w->streams.eu, w->streams.url,
		    "source DynamoDB Streams", p->input.allow_insecure_http,
		    err, sizeof(err)) == -1) ||
	    endpoint_check_secure(&w->dst.eu, w->dst.url,
		"destination DynamoDB", p->output.allow_insecure_http, err,
		sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "InsecureEndpoint", "%s",
		    err);
		return -1;
	}
	/* STS: the base credentials serve both sides, a role its own. */
	creds_allow_insecure_http(w->base_creds,
	    p->input.allow_insecure_http && p->output.allow_insecure_http);
	if (w->src_creds != w->base_creds)
		creds_allow_insecure_http(w->src_creds,
		    p->input.allow_insecure_http);
	if (w->dst_creds != w->base_creds)
		creds_allow_insecure_http(w->dst_creds,
		    p->output.allow_insecure_http);
	return 0;
}

/*
 * The state directory and its pairs/ directory: nobody else may write
 * there, or they could change checkpoints or plant links.
 */
static int
check_state_dirs(struct worker *w)
{
	char *pairs, err[1024];
	int rc = 0;

	xasprintf(&pairs, "%s/pairs", w->state_dir);
	if (atomicfile_check_dir(w->state_dir, 1, err, sizeof(err)) == -1 ||
	    atomicfile_check_dir(pairs, 0, err, sizeof(err)) == -1 ||
	    atomicfile_check_dir(w->pair_dir, 0, err, sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "StateDirUnsafe",
		    "state directory refused: %s", err);
		rc = -1;
	}
	free(pairs);
	return rc;
}

static void
teardown(struct worker *w)
{
	stream_free(w);
	member_free(w);
	member_conf_clear(&w->mconf);
	shares_free(w);
	aws_client_clear(&w->src);
	aws_client_clear(&w->dst);
	aws_client_clear(&w->streams);
	if (w->dst_creds != w->base_creds)
		creds_provider_free(w->dst_creds);
	if (w->src_creds != w->base_creds)
		creds_provider_free(w->src_creds);
	creds_provider_free(w->base_creds);
	http_free(w->http);
	ddb_table_clear(&w->src_tab);
	ddb_table_clear(&w->dst_tab);
	free(w->ttl_attr);
	checkpoint_clear(&w->ckpt);
	if (w->lock_fd != -1)
		close(w->lock_fd);
	free(w->ckpt_path);
	free(w->pair_dir);
	if (w->verify_report_fd != -1)
		close(w->verify_report_fd);
	free(vopts.report);
	free(w->state_dir);
}

static int
run(struct worker *w)
{
	struct plan_pair *p = w->pair;
	int r;

	if (check_state_dirs(w) == -1)
		return -1;
	/* A check reads the checkpoint but writes nothing. */
	if (!w->check_config && atomicfile_mkdirs(w->pair_dir, 0700) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "StateDirError",
		    "cannot create %s: %s", w->pair_dir, strerror(errno));
		return -1;
	}
	if (!w->check_config) {
		if (lock_pair(w) == -1)
			return -1;
		/* Leftovers of a write that a crash interrupted. */
		if (atomicfile_clean_temps(w->ckpt_path) > 0)
			log_info("removed an unfinished checkpoint write");
	}
	if (setup_clients(w) == -1)
		return -1;
	if ((r = preflight(w)) != 0)
		return r;
	if (vopts.on) {
		if (w->check_config) {
			log_info("configuration OK: %s (%s) and %s (%s) can "
				 "be verified, key schema matches, report %s",
			    p->input.table, p->input.region, p->output.table,
			    p->output.region, vopts.report);
			return 0;
		}
		worker_progress(w, 1);
		return verify_run(w, &vopts);
	}
	if (w->mconf.table != NULL) {
		/* A fleet: the progress is in the coordination table. */
		if (member_open(w) == -1)
			return -1;
		w->ckpt.pair = xstrdup(p->name);
		w->ckpt.src_table = xstrdup(p->input.table);
		w->ckpt.src_region = xstrdup(p->input.region);
		w->ckpt.dst_table = xstrdup(p->output.table);
		w->ckpt.dst_region = xstrdup(p->output.region);
	} else if (load_checkpoint(w) == -1)
		return -1;
	if (shares_init(w) == -1)
		return -1;
	if (w->check_config) {
		log_info("configuration OK: %s (%s) -> %s (%s), key schema "
			 "matches%s",
		    p->input.table, p->input.region, p->output.table,
		    p->output.region, p->stream ? ", stream usable" : "");
		return 0;
	}
	worker_progress(w, 1);
	if (!p->backfill)
		report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_SKIPPED, 0, 0,
		    NULL);
	else if (w->ckpt.backfill_completed_ms != 0) {
		uint64_t total = 0;

		for (size_t i = 0; i < w->ckpt.nsegments; i++)
			total += w->ckpt.segments[i].items;
		w->prog.items_written = total;
		log_info("Backfill already complete (%llu items)",
		    (unsigned long long)total);
		report_phase_from_checkpoint(PROTO_PHASE_BACKFILL,
		    PROTO_PS_COMPLETE, total,
		    (uint64_t)(w->ckpt.backfill_completed_ms -
			w->ckpt.backfill_started_ms));
	} else if ((r = backfill_run(w)) != 0)
		return r;
	if (!p->stream) {
		report_phase(PROTO_PHASE_STREAM, PROTO_PS_SKIPPED, 0, 0, NULL);
		return 0;
	}
	/* A fleet's pair without a backfill: its item and the stream's
	 * start, agreed once (with a backfill, backfill_run did it). */
	if (w->member != NULL && !p->backfill &&
	    (r = member_backfill_setup(w, 0, NULL)) != 0)
		return r == 1 ? 1 : -1;
	return stream_run(w);
}

int
main(int argc, char **argv)
{
	struct worker w;
	struct plan *plan;
	struct plan_pair *p;
	struct plan_errors errs;
	/* Who started us: compared after PR_SET_PDEATHSIG (PROTOCOL.md §6). */
	pid_t parent = getppid();
	char resume[PROTO_NAME_MAX], err[256];
	const char *status;
	int r;

	log_init("ddb-sync-worker", 0);
	/* Credentials live in this process for days: no core file, no
	 * ptrace or /proc/pid/mem by other processes of the same user. */
	if (prctl(PR_SET_DUMPABLE, 0) == -1 ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }) == -1)
		fatal("cannot disable core dumps");
	/* The fleet's coordination table, checked once per host (coord.c). */
	if (argc > 1 && strcmp(argv[1], "coordination") == 0)
		return coord_main(argc - 1, argv + 1);
	memset(&w, 0, sizeof(w));
	w.lock_fd = -1;
	w.verify_report_fd = -1;
	w.prog.spool_oldest_ms = -1; /* no spool (yet) */
	w.prog.spool_read_lag_ms = -1;
	plan = plan_new();
	p = plan_add_pair(plan);
	parse_args(argc, argv, &w, p);
	plan_errors_init(&errs);
	plan_resolve_defaults(plan);
	if (plan_validate(plan, &errs) > 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "ddb-sync-worker: %s\n", errs.msgs[i]);
		return WORKER_EXIT_CONFIG;
	}
	plan_errors_clear(&errs);
	if (settings_init(err, sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync-worker: %s\n", err);
		return WORKER_EXIT_CONFIG;
	}
	w.pair = p = &plan->pairs[0];

	setup_signals();
	testhook_init();
	xasprintf(&w.pair_dir, "%s/pairs/%s", w.state_dir, p->name);
	xasprintf(&w.ckpt_path, "%s/%s", w.pair_dir,
	    vopts.on ? VERIFY_CKPT_NAME : "checkpoint.json");
	if (w.supervised) {
		/* Die with the supervisor; its SIGTERM means checkpoint and
		 * exit, like an operator's. It may have died before the
		 * prctl: then our parent is no longer the one that started
		 * us (not necessarily pid 1: a subreaper, or a supervisor
		 * that is itself pid 1 in a container). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent || fcntl(PROTO_FD, F_GETFD) == -1)
			return WORKER_EXIT_CRASH;
		fcntl(PROTO_FD, F_SETFD, FD_CLOEXEC);
		resume[0] = '\0';
		if (!vopts.on)
			report_resume_for(p, w.ckpt_path, resume,
			    sizeof(resume));
		report_init(PROTO_FD, p->name, resume);
	} else
		report_init(-1, p->name, "");
	w.ckpt_interval_ms = settings_int(SETTING_CHECKPOINT_INTERVAL_MS);
	w.prog_interval_ms = settings_int(SETTING_PROGRESS_INTERVAL_MS);
	/* How long a preflight call may keep failing before the pair fails
	 * (exit 2): an outage at start-up is more often a wrong endpoint. */
	w.preflight_ms = settings_int(SETTING_PREFLIGHT_GIVE_UP_MS);
	checkpoint_init(&w.ckpt);

	r = run(&w);
	/* A stop during the preflight is a stop, not a failure. */
	if (r == -1 && w.exit_code == 0 && worker_stop)
		r = 0;
	if (r == -1 || w.exit_code != 0) {
		status = "failed";
		r = w.exit_code != 0 ? w.exit_code : WORKER_EXIT_CRASH;
	} else if (worker_stop) {
		status = "stopped";
		r = WORKER_EXIT_OK;
	} else {
		status = "complete";
		r = w.verify_differs ? WORKER_EXIT_DIFFERENT : WORKER_EXIT_OK;
	}
	worker_progress(&w, 1);
	report_done(status);
	teardown(&w);
	plan_free(plan);
	return r;
}

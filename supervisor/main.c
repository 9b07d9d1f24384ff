/* main.c: ddb-sync, the supervisor: reads the plan, runs one worker per pair. */
#include <sys/resource.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "fleet.h"
#include "log.h"
#include "options.h"
#include "status.h"
#include "sup.h"
#include "xmalloc.h"
#include "xtime.h"

/* The worker binary: $DDB_SYNC_WORKER, next to this binary, or $PATH. */
static char *
find_worker(void)
{
	char self[PATH_MAX], *dir, *path;
	const char *env = getenv("DDB_SYNC_WORKER");
	ssize_t n;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = dirname(self);
		xasprintf(&path, "%s/ddb-sync-worker", dir);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	return xstrdup("ddb-sync-worker");
}

static char *
search_path(const char *name)
{
	const char *p = getenv("PATH");
	char *copy, *dir, *save = NULL, *path;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	if (p == NULL)
		return NULL;
	copy = xstrdup(p);
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		xasprintf(&path, "%s/%s", *dir ? dir : ".", name);
		if (access(path, X_OK) == 0) {
			free(copy);
			return path;
		}
		free(path);
	}
	free(copy);
	return NULL;
}

/* What the run cost, for operators sizing a host (and for bench/). */
static void
report_resources(void)
{
	struct rusage self, kids;

	if (getrusage(RUSAGE_SELF, &self) == -1 ||
	    getrusage(RUSAGE_CHILDREN, &kids) == -1)
		return;
	output_global("Resources: supervisor %.2fs CPU, peak %ld KiB; "
	    "workers %.2fs CPU, largest peak %ld KiB",
	    (double)self.ru_utime.tv_sec + (double)self.ru_stime.tv_sec +
	    (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6,
	    self.ru_maxrss,
	    (double)kids.ru_utime.tv_sec + (double)kids.ru_stime.tv_sec +
	    (double)(kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6,
	    kids.ru_maxrss);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct plan_errors errs;
	struct sup s;
	char *worker;
	int r;

	/* "ddb-sync ctl ...": a client of a running ddb-sync (ctl.c). */
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	log_init("ddb-sync", 0);
	options_init(&o);
	plan_errors_init(&errs);
	r = options_parse(argc, argv, &o, &errs);
	switch (r) {
	case OPTIONS_HELP:
		options_usage(stdout);
		return 0;
	case OPTIONS_VERSION:
		options_version(stdout);
		return 0;
	case OPTIONS_USAGE_ERROR:
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "ddb-sync: %s\n", errs.msgs[i]);
		options_usage_short(stderr);
		plan_errors_clear(&errs);
		options_free(&o);
		return SUP_EXIT_USAGE;
	default:
		break;
	}
	plan_errors_clear(&errs);
	log_set_verbose(o.verbose);
	/* Whole lines, in order, even when stdout is a pipe or a file. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	worker = find_worker();
	memset(&s, 0, sizeof(s));
	s.worker_path = search_path(worker);
	free(worker);
	if (s.worker_path == NULL) {
		fprintf(stderr, "ddb-sync: cannot find ddb-sync-worker next to "
		    "ddb-sync or in $PATH (set DDB_SYNC_WORKER)\n");
		options_free(&o);
		return SUP_EXIT_FAILURE;
	}
	/* A fleet: its coordination table first, once for this host. */
	if (o.plan->coord != NULL) {
		r = fleet_preflight(s.worker_path, o.plan->coord,
		    o.create_coord, o.verbose);
		if (r == SUP_EXIT_OK && !o.check_config && !o.create_coord) {
			fprintf(stderr, "ddb-sync: the plan has a coordination "
			    "block, but the fleet mode cannot copy yet "
			    "(docs/fleet.md, \"Status\"): remove "
			    "'coordination' to copy from this host alone, with "
			    "its state directory; --check-config and "
			    "--create-coordination-table work\n");
			r = SUP_EXIT_USAGE;
		}
		/* Only the table was asked for: nothing to copy. */
		if (r != SUP_EXIT_OK || !o.check_config) {
			free(s.worker_path);
			options_free(&o);
			return r;
		}
	}
	s.plan = o.plan;
	s.state_dir = o.state_dir;
	s.verbose = o.verbose;
	s.check_config = o.check_config;
	s.lock_fd = -1;
	s.progress_ms = o.check_config ? 0 : o.progress_interval_ms;
	s.policy.base_ms = env_ms("DDB_SYNC_RESTART_BASE_MS", 1000);
	s.policy.max_ms = env_ms("DDB_SYNC_RESTART_MAX_MS", 60000);
	s.policy.quick_ms = env_ms("DDB_SYNC_QUICK_DEATH_MS", 30000);
	s.policy.max_quick = (unsigned)env_ms("DDB_SYNC_MAX_QUICK_DEATHS", 5);
	s.nchildren = o.plan->npairs;
	s.children = xcalloc(s.nchildren, sizeof(*s.children));
	for (size_t i = 0; i < s.nchildren; i++)
		child_init(&s.children[i], &s, &o.plan->pairs[i]);

	status_init(&s, o.check_config ? OPTIONS_STATUS_OFF : o.status,
	    o.status_interval_ms);
	if (sup_start(&s) == -1) {
		r = SUP_EXIT_USAGE;
		goto done;
	}
	r = sup_run(&s);
	if (s.check_config) {
		if (r == 0)
			printf("configuration OK: %zu pair%s checked\n",
			    s.nchildren, s.nchildren == 1 ? "" : "s");
		else
			r = SUP_EXIT_USAGE;
	} else {
		output_progress_block(&s);
		report_resources();
	}
done:
	status_shutdown();
	sup_free(&s);
	free(s.worker_path);
	options_free(&o);
	return r;
}

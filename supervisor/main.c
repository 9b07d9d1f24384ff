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
#include "settings.h"
#include "status.h"
#include "sup.h"
#include "xmalloc.h"
#include "xtime.h"

/* The worker binary: $DDB_SYNC_WORKER, next to this binary, or $PATH. */
static char *
find_worker(void)
{
	char self[PATH_MAX], *dir, *path;
	const char *env = settings_str(SETTING_WORKER);
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

static void
unknown_setting(const char *name, void *arg)
{
	fprintf(stderr,
	    "ddb-sync: warning: %s is not a setting (see "
	    "docs/settings.md); ignored\n",
	    name);
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
	char *worker, err[256];
	int r;

	/* "ddb-sync ctl ...": a client of a running ddb-sync (ctl.c). */
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	log_init("ddb-sync", 0);
	/* Hidden: the settings table, for the manpage scenario. */
	if (argc == 2 && strcmp(argv[1], "--list-settings") == 0) {
		settings_list(stdout);
		return 0;
	}
	/* The workers' settings too: a bad one fails here, once. */
	if (settings_init(err, sizeof(err)) == -1) {
		fprintf(stderr, "ddb-sync: %s\n", err);
		return SUP_EXIT_USAGE;
	}
	settings_unknown(unknown_setting, NULL);
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
		fprintf(stderr,
		    "ddb-sync: cannot find ddb-sync-worker next to "
		    "ddb-sync or in $PATH (set DDB_SYNC_WORKER)\n");
		options_free(&o);
		return SUP_EXIT_FAILURE;
	}
	/* A fleet: its coordination table first, once for this host. */
	if (o.plan->coord != NULL) {
		r = fleet_preflight(s.worker_path, o.plan->coord,
		    o.create_coord, o.verbose);
		/* Only the table was asked for: nothing to copy. */
		if (r != SUP_EXIT_OK || o.create_coord) {
			free(s.worker_path);
			options_free(&o);
			return r;
		}
		if (!o.verify.on)
			s.host_id = fleet_host_id();
	}
	s.plan = o.plan;
	s.state_dir = o.state_dir;
	s.verbose = o.verbose;
	s.check_config = o.check_config;
	s.verify = o.verify;
	s.lock_fd = -1;
	s.metrics_listen = o.metrics_listen;
	s.progress_ms = o.check_config ? 0 : o.progress_interval_ms;
	s.policy.base_ms = settings_int(SETTING_RESTART_BASE_MS);
	s.policy.max_ms = settings_int(SETTING_RESTART_MAX_MS);
	s.policy.quick_ms = settings_int(SETTING_QUICK_DEATH_MS);
	s.policy.max_quick = (unsigned)settings_int(SETTING_MAX_QUICK_DEATHS);
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
	free(s.host_id);
	free(s.worker_path);
	options_free(&o);
	return r;
}

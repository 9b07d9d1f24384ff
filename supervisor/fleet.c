/* fleet.c: the supervisor's side of a fleet: the coordination preflight. */
#include <sys/types.h>
#include <sys/wait.h>

#include <sys/random.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "fleet.h"
#include "log.h"
#include "xmalloc.h"

int
fleet_preflight(const char *worker_path, const struct plan_coord *co,
    int create, int verbose)
{
	const char *argv[16];
	size_t n = 0;
	pid_t pid;
	int status;

	argv[n++] = worker_path;
	argv[n++] = "coordination";
	argv[n++] = "--table";
	argv[n++] = co->table;
	argv[n++] = "--region";
	argv[n++] = co->region;
	if (co->role_arn != NULL) {
		argv[n++] = "--role-arn";
		argv[n++] = co->role_arn;
	}
	if (co->endpoint != NULL) {
		argv[n++] = "--endpoint-url";
		argv[n++] = co->endpoint;
	}
	if (co->allow_insecure_http)
		argv[n++] = "--allow-insecure-http";
	if (create)
		argv[n++] = "--create";
	if (verbose)
		argv[n++] = "-v";
	argv[n] = NULL;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		log_warn("fork");
		return SUP_EXIT_FAILURE;
	}
	if (pid == 0) {
		execv(worker_path, (char *const *)(uintptr_t)argv);
		fprintf(stderr, "ddb-sync: cannot run %s: %s\n", worker_path,
		    strerror(errno));
		_exit(WORKER_EXIT_CRASH);
	}
	/* Before the loop exists: a plain wait. A terminal's Ctrl-C reaches
	 * the check as well (same process group), which then stops. */
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_warn("waitpid");
			return SUP_EXIT_FAILURE;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_OK)
		return SUP_EXIT_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_CONFIG)
		return SUP_EXIT_USAGE;
	if (WIFSIGNALED(status))
		log_warnx("the coordination check was killed by signal %d",
		    WTERMSIG(status));
	else
		log_warnx("the coordination check failed (exit status %d)",
		    WEXITSTATUS(status));
	return SUP_EXIT_FAILURE;
}

char *
fleet_host_id(void)
{
	char host[256], *id;
	unsigned char r[4];

	if (gethostname(host, sizeof(host)) == -1)
		(void)snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatal("getrandom");
	xasprintf(&id, "%s:%ld:%02x%02x%02x%02x", host, (long)getpid(), r[0],
	    r[1], r[2], r[3]);
	return id;
}

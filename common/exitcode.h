/* exitcode.h: every exit status of ddb-sync's programs, in one place. */
#ifndef EXITCODE_H
#define EXITCODE_H

/*
 * ddb-sync-worker: the status the supervisor acts on (proto/PROTOCOL.md,
 * "Exit status"). Any other status, or death by a signal, is a crash.
 */
#define WORKER_EXIT_OK	      0 /* done or stopped cleanly */
#define WORKER_EXIT_CRASH     1 /* crashed or gave up: restart me */
#define WORKER_EXIT_CONFIG    2 /* usage/config/preflight: do not */
#define WORKER_EXIT_PERMANENT 3 /* permanent failure: do not */
#define WORKER_EXIT_DIFFERENT 4 /* verify: done, the tables differ */

/* ddb-sync (--help and docs/ddb-sync.1, EXIT STATUS). */
#define SUP_EXIT_OK 0 /* success */
#define SUP_EXIT_FAILURE \
	1			 /* runtime failure: a pair failed;
					   verify: a difference, or a
					   verify that did not finish */
#define SUP_EXIT_USAGE	     2	 /* usage, configuration or preflight */
#define SUP_EXIT_INTERRUPTED 130 /* stopped at once by a second signal */

/* ddb-sync ctl (as ddb-sync's own). */
#define CTL_EXIT_OK	 0 /* done */
#define CTL_EXIT_FAILURE 1 /* refused, or no ddb-sync to ask */
#define CTL_EXIT_USAGE	 2 /* bad command line */

#endif

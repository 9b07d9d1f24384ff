/* ctl.h: "ddb-sync ctl", the operator's client of the control socket. */
#ifndef CTL_H
#define CTL_H

#include <stddef.h>
#include <stdio.h>

#include "control.h"
#include "exitcode.h"

struct buf;

/* How long ctl waits to connect, send and get its answer. */
#define CTL_TIMEOUT_MS 10000

/* ctl fleet: list, or set or clear a pair's fleet-wide stop flag. */
enum ctl_fleet_action {
	CTL_FLEET_LIST = 0,
	CTL_FLEET_STOP,
	CTL_FLEET_START,
};

struct ctl_args {
	char *state_dir; /* never NULL after a successful parse */
	int json;	 /* print the raw response line */
	int help;
	struct control_request req;
	enum ctl_fleet_action fleet; /* req.cmd CONTROL_FLEET */
};

/*
 * Parse "ctl [--state-dir DIR] [--json] list|stop NAME|start NAME|
 * restart NAME|limit NAME ...|fleet [stop|start NAME]" (argv[0] is "ctl"). The state directory defaults as for
 * ddb-sync: $DDB_SYNC_STATE_DIR, $STATE_DIRECTORY, ./ddb-sync-state.
 * 0 (a->help set for --help), or -1 with a reason in err. Free with
 * ctl_args_free() in both cases.
 */
int ctl_parse_args(int argc, char **argv, struct ctl_args *, char *err,
    size_t errlen);
void ctl_args_free(struct ctl_args *);

/* The aligned table "list" prints (pure). 0, or -1 if b is full. */
int ctl_format_list(const struct control_pair *, size_t n, struct buf *);
/* The line stop/start/restart print about the pair acted on (pure). */
int ctl_format_result(enum control_cmd, const struct control_pair *,
    struct buf *);

/*
 * The argv of "ddb-sync-worker coordination" that ctl fleet runs, from
 * the supervisor's answer (pure; pointers into f and a, NULL-terminated).
 * Returns the number of arguments.
 */
#define CTL_FLEET_ARGV_MAX 16
size_t ctl_fleet_argv(const struct ctl_args *, const struct control_fleet *,
    const char **argv);

void ctl_usage(FILE *);
/* "ddb-sync ctl ...": argv[0] is "ctl". Returns the exit status. */
int ctl_main(int argc, char **argv);

#endif

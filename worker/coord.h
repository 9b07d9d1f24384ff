/* coord.h: "ddb-sync-worker coordination": check or create the lease table. */
#ifndef COORD_H
#define COORD_H

/*
 * argv[0] is "coordination". Checks the coordination table of a fleet
 * (docs/fleet.md): it exists (created with --create when missing), has
 * the key schema of lease.h, is ACTIVE, and every action a host needs is
 * allowed. Returns the exit status: WORKER_EXIT_OK, or WORKER_EXIT_CONFIG
 * with the reason on stderr.
 */
int coord_main(int argc, char **argv);

#endif

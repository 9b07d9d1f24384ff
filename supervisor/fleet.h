/* fleet.h: the supervisor's side of a fleet (a plan with coordination:). */
#ifndef FLEET_H
#define FLEET_H

#include "plan.h"

/*
 * Check the coordination table once, before any worker starts, by running
 * "ddb-sync-worker coordination" (the supervisor has no AWS client);
 * create it first when create is set. The worker says what is wrong on
 * stderr. Returns an exit status for ddb-sync: SUP_EXIT_OK, SUP_EXIT_USAGE
 * (missing table, wrong key schema, no access, ...) or SUP_EXIT_FAILURE.
 */
int fleet_preflight(const char *worker_path, const struct plan_coord *,
    int create, int verbose);

/* A new host id, "<hostname>:<pid>:<8 random hex>": never reused, so a
 * paused old process and its restarted self are two owners. */
char *fleet_host_id(void);

#endif

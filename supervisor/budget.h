/* budget.h: the capacity budgets the supervisor owns, one per table. */
#ifndef BUDGET_H
#define BUDGET_H

#include "plan.h"
#include "proto.h"

struct child;
struct sup;

/*
 * A table (name, region, endpoint: plan_side_same_table) has one limit per
 * side, read (input.read_capacity, the Scan) and write
 * (output.write_capacity), set by whichever of its pairs gives one (the
 * plan refuses two different values). Its pairs share it evenly: share =
 * limit / the pairs using the table now (running and not stopping; for
 * reads, still in their backfill). A percentage is shared as a smaller
 * percentage, which each worker resolves against the table's capacity.
 * Shares are not lent: a pair that uses less than its share leaves the
 * rest unused (the limit is a ceiling, never exceeded).
 */

/* limit / n as units or a percentage (pure). */
void budget_share(const struct plan_limit *, unsigned n, double *units,
    double *pct);
/* c's table on one side: its limit and how many pairs use it now. */
void budget_table(const struct sup *, const struct child *, int write,
    struct plan_limit *, unsigned *active);
/*
 * Send every worker that said hello its share when it changed (a limits
 * message, PROTOCOL.md 4.9). Called when a pair starts, says hello,
 * changes phase, is asked to stop, ends, and on ctl limit.
 */
void budget_rebalance(struct sup *);
/* What is left of a limits line the socket did not take. */
void budget_flush(struct child *);
/*
 * ctl limit: new limits ("500", "40%"; NULL keeps one) for the tables of
 * pair c, so for every pair on them. 0, or -1 with err.
 */
int budget_set(struct sup *, struct child *, const char *read,
    const char *write, char *err, size_t errlen);

#endif

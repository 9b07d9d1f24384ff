/* xtime.h: clocks (monotonic for timers, wall for logs and checkpoints). */
#ifndef XTIME_H
#define XTIME_H

#include <stdint.h>

int64_t clock_ms(void); /* monotonic milliseconds */
/* Milliseconds that also count while the machine is suspended
 * (CLOCK_BOOTTIME): a fleet's lease deadlines must not stand still. */
int64_t clock_boot_ms(void);
int64_t wall_ms(void); /* epoch milliseconds */

/* A whole number from the environment, def if unset or bad (for AWS_*
 * variables: DDB_SYNC_* ones are settings, common/settings.h). */
int64_t env_ms(const char *name, int64_t def);

#endif

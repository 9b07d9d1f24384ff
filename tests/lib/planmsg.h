/* planmsg.h: a message among a plan's errors, for unit tests. */
#ifndef PLANMSG_H
#define PLANMSG_H

#include "plan.h"

/* Print every message (shown when an assertion fails). */
void planmsg_dump(const struct plan_errors *);
/* Whether one message holds both substrings (b may be NULL). */
int planmsg_has(const struct plan_errors *, const char *a, const char *b);

#define assert_msg(e, a, b) \
	do { \
		if (!planmsg_has((e), (a), (b))) { \
			planmsg_dump(e); \
			fail_msg("no message with '%s' and '%s'", (a), \
			    (b) != NULL ? (const char *)(b) : ""); \
		} \
	} while (0)

#endif

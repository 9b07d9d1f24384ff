/* planmsg.c: a message among a plan's errors, for unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "planmsg.h"

void
planmsg_dump(const struct plan_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_message("  msg[%zu]: %s\n", i, e->msgs[i]);
}

int
planmsg_has(const struct plan_errors *e, const char *a, const char *b)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->msgs[i], a) != NULL &&
		    (b == NULL || strstr(e->msgs[i], b) != NULL))
			return 1;
	return 0;
}

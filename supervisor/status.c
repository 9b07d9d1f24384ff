/* status.c: the live status table on stderr (SPEC 3.2). */
#include "status.h"
#include "sup.h"

/* Placeholder until the table lands: the log alone. */
void
status_init(struct sup *s, enum options_status mode, int64_t plain_interval_ms)
{
}

void
status_update(struct sup *s)
{
}

void
status_before_output(void)
{
}

void
status_after_output(void)
{
}

void
status_final(struct sup *s)
{
}

void
status_shutdown(void)
{
}

/* status.h: the live status table on stderr (SPEC 3.2). */
#ifndef STATUS_H
#define STATUS_H

#include <stdint.h>

#include "options.h"

struct sup;

void	status_init(struct sup *, enum options_status, int64_t plain_interval_ms);
/* Redraw now (called on a timer and after state changes). */
void	status_update(struct sup *);
/* Around every write to stdout, so the log never tears the table. */
void	status_before_output(void);
void	status_after_output(void);
/* Final table at exit (kept on screen). */
void	status_final(struct sup *);
void	status_shutdown(void);

#endif

/* status.h: the live status table on stderr (SPEC 3.2). */
#ifndef STATUS_H
#define STATUS_H

struct sup;

enum status_mode {
	STATUS_AUTO = 0,	/* redraw in place on a terminal, else plain */
	STATUS_TTY,		/* force in-place redraw */
	STATUS_PLAIN,		/* plain snapshots, no escape codes */
	STATUS_OFF,
};

void	status_init(struct sup *, enum status_mode, long plain_interval_ms);
/* Redraw now (called on a timer and after state changes). */
void	status_update(struct sup *);
/* Around every write to stdout, so the log never tears the table. */
void	status_before_output(void);
void	status_after_output(void);
/* Final table at exit (kept on screen). */
void	status_final(struct sup *);
void	status_shutdown(void);

#endif

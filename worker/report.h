/* report.h: the worker's side of the protocol (fd 3) and its log sink. */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

#include "proto.h"

/* fd: the channel (PROTO_FD) or -1 when running alone (stderr logging). */
void	report_init(int fd, const char *pair);
int	report_active(void);
/* 0, or -1 if the supervisor is gone (EPIPE). */
int	report_send(const struct proto_msg *);
void	report_phase(enum proto_phase, enum proto_phase_state,
	    uint64_t items, uint64_t duration_ms, const char *detail);
void	report_error(const char *code, const char *msg, int fatal);
/* A warning for the log and the pair's status row (alone: the log). */
void	report_warning(const char *code, const char *msg);
void	report_checkpoint(const char *kind, const char *id, uint64_t items,
	    int done);
void	report_done(const char *status);

#endif

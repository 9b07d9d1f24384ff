/* outfd.h: writing to a descriptor shared with others (stdout, stderr)
 * without ever blocking the supervisor. */
#ifndef OUTFD_H
#define OUTFD_H

#include <sys/types.h>

#include <stddef.h>

struct outfd {
	int fd;	      /* where to write; -1: nowhere */
	int own;      /* fd is our own open file description */
	int sock;     /* a socket: send(MSG_DONTWAIT) */
	int use_poll; /* fd may block: poll() first, small writes */
};

/*
 * Setting O_NONBLOCK on fd 1 or 2 would change the open file description
 * that the shell and every other process on the terminal or pipe share
 * (they would start getting EAGAIN), so a terminal or a pipe is opened
 * again through /proc: a private description of the same device that may
 * be non-blocking. A socket gets send(MSG_DONTWAIT); a regular file never
 * blocks for long and keeps fd (and its shared offset). If the reopen
 * fails, fd is written after a zero-timeout poll() for POLLOUT, at most
 * PIPE_BUF bytes at a time: a pipe then never blocks, a terminal can.
 */
void outfd_open(struct outfd *, int fd);
/* Bytes written, 0 if it would block, -1 on a lasting error (EPIPE). */
ssize_t outfd_write(struct outfd *, const char *, size_t);
void outfd_close(struct outfd *);

#endif

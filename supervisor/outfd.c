/* outfd.c: non-blocking writes to a shared stdout or stderr (see outfd.h). */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "outfd.h"

void
outfd_open(struct outfd *o, int fd)
{
	struct stat sb, nsb;
	char path[32];
	int nfd;

	o->fd = -1;
	o->own = o->sock = o->use_poll = 0;
	if (fstat(fd, &sb) == -1)
		return;
	o->fd = fd;
	if (S_ISSOCK(sb.st_mode)) {
		o->sock = 1;
		return;
	}
	if (!S_ISCHR(sb.st_mode) && !S_ISFIFO(sb.st_mode))
		return;
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (nfd != -1 && fstat(nfd, &nsb) == 0 && nsb.st_mode == sb.st_mode &&
	    (S_ISCHR(sb.st_mode) ?
		    nsb.st_rdev == sb.st_rdev :
		    nsb.st_ino == sb.st_ino && nsb.st_dev == sb.st_dev)) {
		o->fd = nfd;
		o->own = 1;
		return;
	}
	if (nfd != -1)
		close(nfd);
	o->use_poll = 1;
}

ssize_t
outfd_write(struct outfd *o, const char *p, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	if (o->fd == -1)
		return -1;
	for (;;) {
		if (o->use_poll) {
			pfd.fd = o->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 0) == 0)
				return 0;
			if (len > PIPE_BUF)
				len = PIPE_BUF;
		}
		if (o->sock)
			n = send(o->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(o->fd, p, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

void
outfd_close(struct outfd *o)
{
	if (o->own && o->fd != -1)
		close(o->fd);
	o->fd = -1;
	o->own = 0;
}

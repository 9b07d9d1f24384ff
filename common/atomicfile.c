/* atomicfile.c: crash-safe file replacement (redis rdbSave + fsyncFileDir). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xmalloc.h"

/*
 * Split path into its directory (or ".") and check it names a file.
 * Returns 0, or -1 with errno.
 */
static int
split_dir(const char *path, char *dir, size_t dirsz, const char **base)
{
	const char *slash;
	size_t n;
	int r;

	if (path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((slash = strrchr(path, '/')) == NULL) {
		r = snprintf(dir, dirsz, ".");
		*base = path;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		r = snprintf(dir, dirsz, "%.*s", (int)n, path);
		*base = slash + 1;
	}
	if (r < 0 || (size_t)r >= dirsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (**base == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0) {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

/*
 * fsync a directory so a rename or mkdir in it is durable. Some file
 * systems cannot fsync directories (EINVAL, EBADF): as redis, accept that.
 */
static int
fsync_dir(const char *dir)
{
	int fd, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) == -1 && errno != EINVAL && errno != EBADF) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	(void)close(fd);
	return 0;
}

int
atomicfile_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void (*atomicfile_test_hook)(const char *stage);

int
atomicfile_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	int fd = -1, saved, r;

	tmp[0] = '\0';
	if (split_dir(path, dir, sizeof(dir), &base) == -1)
		return -1;
	/* Hidden, in the same directory (rename must not cross devices). */
	r = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.XXXXXX", dir, base);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		tmp[0] = '\0';
		errno = ENAMETOOLONG;
		goto fail;
	}
	/* mkostemp: O_CREAT|O_EXCL, a unique name, mode 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		tmp[0] = '\0';
		goto fail;
	}
	if (fchmod(fd, mode) == -1)
		goto fail;
	if (atomicfile_write_all(fd, data, len) == -1)
		goto fail;
	while ((r = fsync(fd)) == -1 && errno == EINTR)
		;
	if (r == -1)
		goto fail;
	/* Linux closes the fd even when close() fails: do not retry. */
	r = close(fd);
	fd = -1;
	if (r == -1)
		goto fail;
	if (atomicfile_test_hook != NULL)
		atomicfile_test_hook("before-rename");
	if (rename(tmp, path) == -1)
		goto fail;
	tmp[0] = '\0';
	/*
	 * The new file is in place; if the directory cannot be synced it
	 * may not survive a power loss, and the caller must hear of it.
	 */
	if (fsync_dir(dir) == -1)
		return -1;
	return 0;

fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	errno = saved;
	return -1;
}

int
atomicfile_read(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, n = 0;
	ssize_t r;
	int fd, saved;

	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO in the way must not hang us; O_NOFOLLOW: nor a
	 * link lead us elsewhere. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)) ==
	    -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	/* One byte more than the size, to see a file that grew. */
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		if ((r = read(fd, buf + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		errno = EFBIG;
		goto fail;
	}
	(void)close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;

fail:
	saved = errno;
	free(buf);
	(void)close(fd);
	errno = saved;
	return -1;
}

int
atomicfile_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	size_t n, i;
	char *slash;
	int r;

	if (path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	/* Each prefix ending before a '/', then the whole path. */
	for (i = 1; i <= n; i++) {
		if (i < n && (buf[i] != '/' || buf[i - 1] == '/'))
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) == 0) {
			/* Exactly mode, whatever the umask. */
			if (chmod(buf, mode) == -1)
				return -1;
			/* Make the new entry durable in its parent. */
			if ((slash = strrchr(buf, '/')) == NULL)
				r = snprintf(parent, sizeof(parent), ".");
			else if (slash == buf)
				r = snprintf(parent, sizeof(parent), "/");
			else
				r = snprintf(parent, sizeof(parent), "%.*s",
				    (int)(slash - buf), buf);
			if (r < 0 || (size_t)r >= sizeof(parent)) {
				errno = ENAMETOOLONG;
				return -1;
			}
			if (fsync_dir(parent) == -1)
				return -1;
		} else if (errno == EEXIST) {
			if (stat(buf, &st) == -1)
				return -1;
			if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				return -1;
			}
		} else
			return -1;
		if (i < n)
			buf[i] = '/';
	}
	return 0;
}

int
atomicfile_check_dir(const char *path, int follow, char *err, size_t errlen)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) == -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
		    "%s is a symbolic link: refused (make it "
		    "a directory of its own, mode 0700)",
		    path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen,
		    "%s is owned by uid %ld, not by this "
		    "user (uid %ld): refused, since its owner could change the "
		    "checkpoints or plant links in it; chown it or use another "
		    "state directory",
		    path, (long)st.st_uid, (long)geteuid());
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen,
		    "%s is writable by %s (mode %04o): "
		    "refused, since others could change the checkpoints or "
		    "plant links in it; chmod 700 it",
		    path, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
atomicfile_clean_temps(const char *path)
{
	char dir[PATH_MAX], prefix[PATH_MAX];
	const char *base;
	struct dirent *de;
	DIR *d;
	int n = 0, r;

	if (split_dir(path, dir, sizeof(dir), &base) == -1)
		return -1;
	r = snprintf(prefix, sizeof(prefix), ".%s.tmp.", base);
	if (r < 0 || (size_t)r >= sizeof(prefix))
		return -1;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		char full[PATH_MAX];

		if (strncmp(de->d_name, prefix, (size_t)r) != 0)
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(full))
			continue;
		if (unlink(full) == 0)
			n++;
	}
	closedir(d);
	return n;
}

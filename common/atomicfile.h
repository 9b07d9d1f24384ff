/* atomicfile.h: crash-safe whole-file replacement and bounded reads. */
#ifndef ATOMICFILE_H
#define ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace path with data: temp file in the same directory, write all, fsync,
 * close (checked), rename, fsync the directory. On failure the old file is
 * intact and errno is set. Returns 0 or -1.
 */
int	atomicfile_write(const char *path, const void *data, size_t len,
	    mode_t mode);

/*
 * Read a whole file of at most max bytes into a NUL-terminated allocation.
 * Returns 0, or -1 with errno (ENOENT: missing, EFBIG: larger than max).
 */
int	atomicfile_read(const char *path, size_t max, char **data,
	    size_t *len);

/* mkdir -p with the given mode for created directories; 0 or -1. */
int	atomicfile_mkdirs(const char *path, mode_t mode);

#endif

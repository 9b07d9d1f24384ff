/* atomicfile.h: crash-safe whole-file replacement and bounded reads. */
#ifndef ATOMICFILE_H
#define ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace path with data: temp file in the same directory (O_EXCL,
 * O_CLOEXEC), write all, fsync, close (checked), rename, fsync the
 * directory. The file gets exactly mode (the umask does not apply).
 * Returns 0, or -1 with errno: the temp file is removed and the old file is
 * intact, except when only the final directory fsync failed: the new file
 * is then in place but may not survive a power loss.
 */
int atomicfile_write(const char *path, const void *data, size_t len,
    mode_t mode);

/* write() all of data, again after EINTR and short writes. 0 or -1. */
int atomicfile_write_all(int fd, const void *data, size_t len);

/*
 * Read a whole file of at most max bytes into a NUL-terminated allocation.
 * A symbolic link is not followed. Returns 0, or -1 with errno (ENOENT:
 * missing, EFBIG: larger than max, ELOOP: a symbolic link).
 */
int atomicfile_read(const char *path, size_t max, char **data, size_t *len);

/*
 * mkdir -p: directories created get exactly mode and are fsynced into their
 * parents; existing ones are left as they are. 0, or -1 with errno (ENOTDIR
 * when a non-directory is in the way).
 */
int atomicfile_mkdirs(const char *path, mode_t mode);

/*
 * A directory that holds state must be safe from other users: a directory
 * (for follow = 0, not a symbolic link to one), owned by this user, not
 * writable by group or others; else another user could plant files or
 * links in it. Returns 0, 1 if it does not exist, or -1 with err saying
 * what is wrong and how to fix it.
 */
int atomicfile_check_dir(const char *path, int follow, char *err,
    size_t errlen);

/*
 * Remove temp files a crash left beside path (".<name>.tmp.*"); only the
 * file's single writer may call it. Returns how many, or -1.
 */
int atomicfile_clean_temps(const char *path);

/* Tests only: called at named stages of atomicfile_write ("before-rename"),
 * so a test can kill the process in the middle of a write. */
extern void (*atomicfile_test_hook)(const char *stage);

#endif

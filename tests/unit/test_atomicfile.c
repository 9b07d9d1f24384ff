/* test_atomicfile.c: atomic replacement, bounded reads, mkdir -p. */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomicfile.h"

/* A fresh directory per test, removed afterwards. */
static int
tmpdir_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char *d;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (asprintf(&d, "%s/ddb-sync-test.XXXXXX", t) == -1)
		return -1;
	if (mkdtemp(d) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP || flag == FTW_D)
		(void)chmod(p, 0700);
	return remove(p);
}

static int
tmpdir_teardown(void **state)
{
	char *d = *state;

	(void)chmod(d, 0700);
	(void)nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

static char *
path_in(void **state, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", (char *)*state, name) != -1);
	return p;
}

static void
put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
assert_contents(const char *path, const char *want)
{
	char *data;
	size_t len;

	assert_int_equal(atomicfile_read(path, 1 << 20, &data, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	assert_int_equal(data[len], '\0');
	free(data);
}

static void
test_atomicfile_write_creates_with_mode(void **state)
{
	char *p = path_in(state, "ckpt.json");
	struct stat st;
	mode_t old;

	assert_int_equal(atomicfile_write(p, "hello\n", 6, 0600), 0);
	assert_contents(p, "hello\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* The mode is exact whatever the umask. */
	old = umask(077);
	assert_int_equal(atomicfile_write(p, "x", 1, 0644), 0);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(entries(*state), 1);
	free(p);
}

static void
test_atomicfile_write_replaces(void **state)
{
	char *p = path_in(state, "f");
	struct stat a, b;
	static char big[300000];

	put(p, "old contents");
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(atomicfile_write(p, "new", 3, 0600), 0);
	assert_contents(p, "new");
	assert_int_equal(stat(p, &b), 0);
	/* Replaced by rename, not rewritten in place. */
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(entries(*state), 1);

	/* Empty and large files. */
	assert_int_equal(atomicfile_write(p, "", 0, 0600), 0);
	assert_contents(p, "");
	memset(big, 'b', sizeof(big) - 1);
	assert_int_equal(atomicfile_write(p, big, sizeof(big) - 1, 0600), 0);
	assert_contents(p, big);
	assert_int_equal(entries(*state), 1);
	free(p);
}

static void
test_atomicfile_write_missing_dir(void **state)
{
	char *p = path_in(state, "nodir/f");
	int fds = open_fds();

	errno = 0;
	assert_int_equal(atomicfile_write(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(entries(*state), 0);
	assert_int_equal(open_fds(), fds);
	free(p);
}

static void
test_atomicfile_write_file_as_dir(void **state)
{
	char *f = path_in(state, "file");
	char *p = path_in(state, "file/x");

	put(f, "keep");
	errno = 0;
	assert_int_equal(atomicfile_write(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_contents(f, "keep");
	assert_int_equal(entries(*state), 1);
	free(f);
	free(p);
}

static void
test_atomicfile_write_bad_paths(void **state)
{
	char *p = path_in(state, "d/");

	errno = 0;
	assert_int_equal(atomicfile_write("", "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(atomicfile_write(p, "x", 1, 0600), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(entries(*state), 0);
	free(p);
}

/* A failure after the temp file was made: the rename onto a directory. */
static void
test_atomicfile_write_rename_fails(void **state)
{
	char *d = path_in(state, "target");
	char *inside = path_in(state, "target/keep");
	int fds = open_fds();

	assert_int_equal(mkdir(d, 0700), 0);
	put(inside, "keep");
	errno = 0;
	assert_int_equal(atomicfile_write(d, "new", 3, 0600), -1);
	assert_int_equal(errno, EISDIR);
	assert_contents(inside, "keep");
	/* The temp file is gone: only the directory is left. */
	assert_int_equal(entries(*state), 1);
	assert_int_equal(open_fds(), fds);
	free(d);
	free(inside);
}

/* A failure in the middle of writing (file size limit): old file intact. */
static void
test_atomicfile_write_short_fails_keeps_old(void **state)
{
	static char big[64 * 1024];
	char *p = path_in(state, "f");
	struct rlimit old, lim;
	void (*oldsig)(int);
	int rc, e, fds = open_fds();

	put(p, "old contents");
	memset(big, 'z', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	rc = atomicfile_write(p, big, sizeof(big), 0600);
	e = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(rc, -1);
	assert_int_equal(e, EFBIG);
	assert_contents(p, "old contents");
	assert_int_equal(entries(*state), 1);
	assert_int_equal(open_fds(), fds);
	free(p);
}

static void
test_atomicfile_write_readonly_dir(void **state)
{
	char *p;

	if (geteuid() == 0) {
		skip(); /* root writes anywhere */
		return;
	}
	p = path_in(state, "f");
	put(p, "old");
	assert_int_equal(chmod(*state, 0500), 0);
	errno = 0;
	assert_int_equal(atomicfile_write(p, "new", 3, 0600), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(chmod(*state, 0700), 0);
	assert_contents(p, "old");
	assert_int_equal(entries(*state), 1);
	free(p);
}

static void
test_atomicfile_read_limits(void **state)
{
	char *p = path_in(state, "f");
	char *q = path_in(state, "missing");
	char *data = (char *)1;
	size_t len = 7;

	put(p, "0123456789");
	assert_int_equal(atomicfile_read(p, 10, &data, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	free(data);
	errno = 0;
	assert_int_equal(atomicfile_read(p, 9, &data, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(data);
	errno = 0;
	assert_int_equal(atomicfile_read(q, 10, &data, &len), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(atomicfile_read(*state, 10, &data, &len), -1);
	assert_int_equal(errno, EISDIR);

	put(p, "");
	assert_int_equal(atomicfile_read(p, 0, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(data[0], '\0');
	free(data);
	free(p);
	free(q);
}

static void
test_atomicfile_read_binary_and_fifo(void **state)
{
	static const char bin[] = { 'a', '\0', 'b', '\n', '\0' };
	char *p = path_in(state, "bin");
	char *f = path_in(state, "fifo");
	char *data;
	size_t len;

	assert_int_equal(atomicfile_write(p, bin, sizeof(bin), 0600), 0);
	assert_int_equal(atomicfile_read(p, 100, &data, &len), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(data, bin, sizeof(bin));
	free(data);

	/* Not a regular file: refused, without blocking on the open. */
	assert_int_equal(mkfifo(f, 0600), 0);
	errno = 0;
	assert_int_equal(atomicfile_read(f, 100, &data, &len), -1);
	assert_int_equal(errno, EINVAL);
	free(p);
	free(f);
}

static void
test_atomicfile_mkdirs_modes(void **state)
{
	char *p = path_in(state, "a/b/c");
	char *a = path_in(state, "a");
	char *q = path_in(state, "x//y///");
	char *y = path_in(state, "x/y");
	struct stat st;
	mode_t old;

	old = umask(022);
	assert_int_equal(atomicfile_mkdirs(p, 0700), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	/* Existing directories are fine and keep their mode. */
	assert_int_equal(chmod(a, 0755), 0);
	assert_int_equal(atomicfile_mkdirs(p, 0700), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(atomicfile_mkdirs(*state, 0700), 0);

	/* The mode is exact whatever the umask; odd slashes are fine. */
	umask(077);
	assert_int_equal(atomicfile_mkdirs(q, 0750), 0);
	umask(old);
	assert_int_equal(stat(y, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	free(p);
	free(a);
	free(q);
	free(y);
}

static void
test_atomicfile_mkdirs_file_in_the_way(void **state)
{
	char *f = path_in(state, "f");
	char *under = path_in(state, "f/sub");

	put(f, "keep");
	errno = 0;
	assert_int_equal(atomicfile_mkdirs(f, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(atomicfile_mkdirs(under, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_contents(f, "keep");
	errno = 0;
	assert_int_equal(atomicfile_mkdirs("", 0700), -1);
	assert_int_equal(errno, ENOENT);
	free(f);
	free(under);
}

/* A link where a state file goes is refused, not followed. */
static void
test_atomicfile_read_no_follow(void **state)
{
	char *target = path_in(state, "target");
	char *link = path_in(state, "link");
	char *data;
	size_t len;

	put(target, "elsewhere");
	assert_int_equal(symlink(target, link), 0);
	errno = 0;
	assert_int_equal(atomicfile_read(link, 100, &data, &len), -1);
	assert_int_equal(errno, ELOOP);
	free(target);
	free(link);
}

static void
test_atomicfile_check_dir(void **state)
{
	char *d = path_in(state, "d");
	char *link = path_in(state, "l");
	char *f = path_in(state, "f");
	char err[512];

	assert_int_equal(atomicfile_check_dir(d, 0, err, sizeof(err)), 1);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(atomicfile_check_dir(d, 0, err, sizeof(err)), 0);
	/* Group- or world-writable: anyone there could plant a link. */
	assert_int_equal(chmod(d, 0770), 0);
	assert_int_equal(atomicfile_check_dir(d, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by its group (mode 0770)"));
	assert_int_equal(chmod(d, 0757), 0);
	assert_int_equal(atomicfile_check_dir(d, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by everyone"));
	assert_non_null(strstr(err, "chmod 700"));
	/* Readable is fine: nothing secret is in there. */
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(atomicfile_check_dir(d, 0, err, sizeof(err)), 0);
	/* A link: followed only when asked (the state directory itself). */
	assert_int_equal(symlink(d, link), 0);
	assert_int_equal(atomicfile_check_dir(link, 1, err, sizeof(err)), 0);
	assert_int_equal(atomicfile_check_dir(link, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	put(f, "x");
	assert_int_equal(atomicfile_check_dir(f, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	/* Another owner (only root can make one here). */
	if (geteuid() == 0) {
		assert_int_equal(chown(d, 65534, 65534), 0);
		assert_int_equal(atomicfile_check_dir(d, 0, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "owned by uid 65534"));
	}
	free(d);
	free(link);
	free(f);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_atomicfile_write_creates_with_mode),
		T(test_atomicfile_write_replaces),
		T(test_atomicfile_write_missing_dir),
		T(test_atomicfile_write_file_as_dir),
		T(test_atomicfile_write_bad_paths),
		T(test_atomicfile_write_rename_fails),
		T(test_atomicfile_write_short_fails_keeps_old),
		T(test_atomicfile_write_readonly_dir),
		T(test_atomicfile_read_limits),
		T(test_atomicfile_read_binary_and_fifo),
		T(test_atomicfile_mkdirs_modes),
		T(test_atomicfile_mkdirs_file_in_the_way),
		T(test_atomicfile_read_no_follow),
		T(test_atomicfile_check_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

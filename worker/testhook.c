/* testhook.c: crash on demand at named points, for the crash-point tests. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "settings.h"
#include "testhook.h"

static const char *crash_at;
static const char *crash_file;
static long crash_after;
static long crash_seen;

void
testhook_init(void)
{
	crash_at = settings_str(SETTING_CRASH_AT);
	crash_file = settings_str(SETTING_CRASH_FILE);
	if (crash_at == NULL || crash_file == NULL) {
		crash_at = NULL;
		return;
	}
	crash_after = (long)settings_int(SETTING_CRASH_AFTER);
	atomicfile_test_hook = testhook;
}

void
testhook(const char *point)
{
	int fd;

	if (crash_at == NULL || strcmp(point, crash_at) != 0)
		return;
	if (++crash_seen < crash_after)
		return;
	/* Once per file: the restarted worker must get through. */
	fd = open(crash_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return;
	close(fd);
	kill(getpid(), SIGKILL);
}

int
testhook_armed(const char *point)
{
	return crash_at != NULL && strcmp(point, crash_at) == 0;
}

/* log.c: log_* and fatal*, written to a pluggable sink. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "log.h"

static const char *log_progname = "ddb-sync";
static int log_verbose;
static log_sink_fn log_sink;
static void *log_sink_arg;

void
log_init(const char *progname, int verbose)
{
	log_progname = progname;
	log_verbose = verbose;
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

const char *
log_level_name(int level)
{
	switch (level) {
	case LOG_LVL_ERROR:
		return "error";
	case LOG_LVL_WARN:
		return "warn";
	case LOG_LVL_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void log_emit(int, const char *);

void
log_vlog(int level, const char *fmt, va_list ap)
{
	char raw[2048], msg[2048];
	int saved = errno;

	if (level == LOG_LVL_DEBUG && !log_verbose)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* Lines often quote what came from the network: one line each,
	 * nothing a terminal would act on, no credential. */
	fmt_printable_str(msg, sizeof(msg), raw);
	log_emit(level, msg);
	errno = saved;
}

static void
log_emit(int level, const char *msg)
{
	if (level == LOG_LVL_DEBUG && !log_verbose)
		return;
	if (log_sink != NULL)
		log_sink(level, msg, log_sink_arg);
	else
		fprintf(stderr, "%s: %s\n", log_progname, msg);
}

static void
log_errno(int level, const char *fmt, va_list ap)
{
	char raw[2048], msg[2048];
	size_t n;
	int saved = errno;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = strlen(raw);
	snprintf(raw + n, sizeof(raw) - n, ": %s", strerror(saved));
	fmt_printable_str(msg, sizeof(msg), raw);
	log_emit(level, msg);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

/* log.h: the small logging API shared by the supervisor and the worker. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/*
 * A sink receives every formatted line (without newline). The worker installs
 * one that forwards lines to the supervisor; the default writes to stderr.
 */
typedef void (*log_sink_fn)(int level, const char *msg, void *arg);

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_init(const char *progname, int verbose);
void log_set_sink(log_sink_fn fn, void *arg);
void log_set_verbose(int verbose);
int log_get_verbose(void);
const char *log_level_name(int level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void log_vlog(int level, const char *fmt, va_list ap);

#endif

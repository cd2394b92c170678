#include "etl/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_job = "svod";
static enum log_level log_level = LOG_INFO;

void
log_set_job(const char *job)
{
	log_job = job;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_line(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
log_line(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
	char stamp[32];
	struct tm tm;
	time_t now;

	if (level < log_level)
		return;
	/* The wall clock stamps log lines only; data never reads it. */
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s %s ", stamp, names[level], log_job);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, level)                          \
	void name(const char *fmt, ...)              \
	{                                            \
		va_list ap;                          \
		va_start(ap, fmt);                   \
		log_line(level, fmt, ap);            \
		va_end(ap);                          \
	}

LOG_FN(log_debug, LOG_DEBUG)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_error, LOG_ERROR)

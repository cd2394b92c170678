/*
 * log: one line per event on stderr,
 *   2025-01-31T12:00:00Z INFO check rent.csv:118:4 rejected: bad_date
 * with the job name and, when set, the locus (file:line:column) of the
 * record being read. Lines never carry personal data: name records by
 * line, reason code and pseudonym only.
 */
#ifndef SVOD_LOG_H
#define SVOD_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_QUIET };

/* Name the job that prefixes each line ("check", "nightly"). Borrowed. */
void	 log_set_job(const char *job);
/* Print lines at 'level' and above. Default LOG_INFO. */
void	 log_set_level(enum log_level level);
enum log_level log_get_level(void);
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

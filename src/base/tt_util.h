/* tt_util: errors as values, checked allocation, small string helpers. */
#ifndef TT_UTIL_H
#define TT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* An error message travels up as a value. Functions that can fail return 0 on
 * success and -1 on failure after filling *err (err may be NULL). Loaders put
 * "file:line: " in front of the message themselves; the session adds the
 * script position of the command. */
typedef struct tt_err {
    char msg[1024];
} tt_err;

int tt_err_set(tt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tt_err_vset(tt_err *err, const char *fmt, va_list ap);
/* Prefix the existing message: "prefix: old message". Returns -1. */
int tt_err_prefix(tt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Largest single allocation the engine will attempt (bytes). Requests above it
 * are refused with a message before malloc is called. Default 16 GiB; the
 * session may lower it. */
extern size_t tt_alloc_limit;

/* Allocation that reports failure in *err ("out of memory: cannot allocate
 * 12.3 GiB for what") instead of crashing. n = count * size, checked for
 * overflow and against tt_alloc_limit. Memory is zeroed. */
void *tt_alloc(size_t count, size_t size, const char *what, tt_err *err);
/* Aligned (64 bytes), zeroed; free with free(). */
void *tt_alloc_aligned(size_t count, size_t size, const char *what, tt_err *err);
/* 1 if a*b overflows size_t, else 0 and *out = a*b. */
int tt_mul_overflow(size_t a, size_t b, size_t *out);
/* Human-readable byte count into buf ("1.5 GiB"). */
const char *tt_fmt_bytes(double bytes, char *buf, size_t n);

char *tt_strdup(const char *s);  /* NULL on OOM */
/* Edit distance, for "did you mean" suggestions. */
int tt_levenshtein(const char *a, const char *b);
/* Monotonic seconds. */
double tt_now(void);
/* CPU seconds used so far by the whole process (every thread, user and
 * system; CLOCK_PROCESS_CPUTIME_ID) and by the calling thread alone
 * (CLOCK_THREAD_CPUTIME_ID). Differences of these are what a piece of work
 * cost, whatever else the machine was running; 0 when the clock is missing. */
double tt_cpu_now(void);
double tt_thread_cpu_now(void);

#define TT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TT_MAX(a, b) ((a) > (b) ? (a) : (b))
#define TT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif

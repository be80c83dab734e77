/* tt_util: errors as values, checked allocation, small string helpers. */
#include "tt_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t tt_alloc_limit = (size_t)16 << 30;

int tt_err_vset(tt_err *err, const char *fmt, va_list ap)
{
    if (err)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int tt_err_set(tt_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_err_vset(err, fmt, ap);
    va_end(ap);
    return -1;
}

int tt_err_prefix(tt_err *err, const char *fmt, ...)
{
    char pre[512], old[sizeof err->msg];
    va_list ap;
    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(pre);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t m = strlen(old);
    if (m > sizeof err->msg - n - 3)
        m = sizeof err->msg - n - 3;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = 0;
    return -1;
}

int tt_mul_overflow(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

const char *tt_fmt_bytes(double bytes, char *buf, size_t n)
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 6) {
        bytes /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%.0f B", bytes);
    else
        snprintf(buf, n, "%.1f %s", bytes, unit[u]);
    return buf;
}

static int check_size(size_t count, size_t size, const char *what, tt_err *err,
                      size_t *bytes)
{
    char b[32];
    if (tt_mul_overflow(count, size, bytes))
        return tt_err_set(err, "cannot allocate %zu x %zu bytes for %s: size overflows",
                          count, size, what);
    if (*bytes > tt_alloc_limit)
        return tt_err_set(err, "refusing to allocate %s for %s: over the limit of %s",
                          tt_fmt_bytes((double)*bytes, b, sizeof b), what,
                          tt_fmt_bytes((double)tt_alloc_limit, (char[32]){0}, 32));
    return 0;
}

void *tt_alloc(size_t count, size_t size, const char *what, tt_err *err)
{
    size_t bytes;
    void *p;
    char b[32];
    if (check_size(count, size, what, err, &bytes))
        return NULL;
    p = calloc(bytes ? bytes : 1, 1);
    if (!p)
        tt_err_set(err, "out of memory: cannot allocate %s for %s",
                   tt_fmt_bytes((double)bytes, b, sizeof b), what);
    return p;
}

void *tt_alloc_aligned(size_t count, size_t size, const char *what, tt_err *err)
{
    size_t bytes;
    void *p = NULL;
    char b[32];
    if (check_size(count, size, what, err, &bytes))
        return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) {
        tt_err_set(err, "out of memory: cannot allocate %s for %s",
                   tt_fmt_bytes((double)bytes, b, sizeof b), what);
        return NULL;
    }
    memset(p, 0, bytes);
    return p;
}

char *tt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int tt_levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[64], i, j;
    if (lb >= 63 || la >= 63)
        return 99;
    for (j = 0; j <= (int)lb; j++)
        row[j] = j;
    for (i = 1; i <= (int)la; i++) {
        int prev = row[0];
        row[0] = i;
        for (j = 1; j <= (int)lb; j++) {
            int cur = row[j];
            int cost = a[i - 1] != b[j - 1];
            int v = prev + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            prev = cur;
        }
    }
    return row[lb];
}

double tt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double clock_seconds(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts))
        return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double tt_cpu_now(void)
{
    return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

double tt_thread_cpu_now(void)
{
    return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

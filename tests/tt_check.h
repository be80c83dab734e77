/* tt_check: the one harness of the C tests (tests/unit, tests/bad): a check
 * counter, checks that print file:line on failure, fixtures, and the exit
 * status. A test file declares no counters or check macros of its own. */
#ifndef TT_CHECK_H
#define TT_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tt_fails, tt_checks;

/* Count one check. When !ok print "file:line: FAIL what: message" (what may
 * be NULL) on stderr and count a failure. Returns ok. */
static int tt_check_(int ok, const char *file, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6), unused));
static int tt_check_(int ok, const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;
    tt_checks++;
    if (ok)
        return 1;
    tt_fails++;
    fprintf(stderr, "%s:%d: FAIL", file, line);
    if (what)
        fprintf(stderr, " %s:", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 0;
}

/* CHECK(cond) or CHECK(cond, "format", ...): the message says what was seen.
 * An expression: its value is whether the check passed. */
#define CHECK(c, ...) tt_check_(!!(c), __FILE__, __LINE__, #c, " " __VA_ARGS__)
/* A failure found by the test's own logic: FAIL("format", ...). */
#define FAIL(...) tt_check_(0, __FILE__, __LINE__, NULL, " " __VA_ARGS__)
/* Setup that the checks need failed: report like FAIL and exit 1. */
#define DIE(...) do { tt_check_(0, __FILE__, __LINE__, "setup", " " __VA_ARGS__); exit(1); } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
    CHECK(a_ && b_ && strcmp(a_, b_) == 0, "'%s' != '%s'", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
/* err contains every needle (a file:line and the gist of the message). */
#define CHECK_ERR(msg, ...) do { const char *n_[] = {__VA_ARGS__}; \
    for (size_t i_ = 0; i_ < sizeof n_ / sizeof *n_; i_++) \
        CHECK(strstr((msg), n_[i_]) != NULL, "message '%s' lacks '%s'", (msg), n_[i_]); } while (0)

/* Path of a fixture under $top_srcdir/datasets/fixtures. */
static inline const char *fixture(const char *rel)
{
    static char buf[8][4096];
    static int k;
    const char *top = getenv("top_srcdir");
    char *b = buf[k++ % 8];
    snprintf(b, 4096, "%s/datasets/fixtures/%s", top && *top ? top : ".", rel);
    return b;
}

/* The MovieLens-100K folder: $TTLAB_SHARED/data/ml-100k, else
 * $top_srcdir/../shared/data/ml-100k. NULL, after a SKIP line, when its
 * u.data is absent: the test then exits 77 (skipped). */
static inline const char *ml100k_dir(void)
{
    static char dir[4096];
    char file[4200];
    const char *shared = getenv("TTLAB_SHARED"), *top = getenv("top_srcdir");
    if (shared && *shared)
        snprintf(dir, sizeof dir, "%s/data/ml-100k", shared);
    else
        snprintf(dir, sizeof dir, "%s/../shared/data/ml-100k", top ? top : ".");
    snprintf(file, sizeof file, "%s/u.data", dir);
    if (access(file, R_OK) != 0) {
        printf("SKIP: %s absent (set TTLAB_SHARED)\n", file);
        return NULL;
    }
    return dir;
}

/* The end of a test's main: one summary line, exit status 1 on any failure. */
static inline int tt_check_done(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, tt_checks, tt_fails);
    return tt_fails ? 1 : 0;
}

#endif

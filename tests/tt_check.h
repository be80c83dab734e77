/* tt_check: tiny assertion helpers shared by the data area's tests. */
#ifndef TT_CHECK_H
#define TT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tt_fails;
#define CHECK(c, ...) do { if (!(c)) { tt_fails++; fprintf(stderr, "%s:%d: FAIL %s: ", \
    __FILE__, __LINE__, #c); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
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

static inline int tt_check_done(const char *name)
{
    if (tt_fails)
        fprintf(stderr, "%s: %d failures\n", name, tt_fails);
    return tt_fails ? 1 : 0;
}

#endif

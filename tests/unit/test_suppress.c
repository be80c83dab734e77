/* test_suppress: the "suppressed" rule shared by `weights` and the dashboard,
 * on the cases FINDINGS.md measured. */
#include <stdio.h>
#include "tt_inspect.h"
#include "tt_check.h"


static void check(const char *what, const double *m, int n, const int *want)
{
    int got[64];
    tt_inspect_suppressed(m, n, got);
    for (int j = 0; j < n; j++)
        if (got[j] != want[j]) {
            FAIL("%s: feature %d (mean %.3f) suppressed=%d, want %d",
                   what, j, m[j], got[j], want[j]);
        }
}

int main(void)
{
    /* ML-100K user tower: graded, nothing clearly suppressed */
    const double ml_user[] = { 0.91, 0.51, 0.46, 0.39, 0.35, 0.28 };
    const int ml_user_w[] = { 0, 0, 0, 0, 0, 0 };
    check("ml-100k user", ml_user, 6, ml_user_w);
    /* synthetic: per-interaction noise at 0.075 among 0.39-0.70 */
    const double syn[] = { 0.70, 0.55, 0.075, 0.42, 0.39 };
    const int syn_w[] = { 0, 0, 1, 0, 0 };
    check("synthetic", syn, 5, syn_w);
    /* relu gate: scale-free */
    const double relu[] = { 7.0, 5.5, 0.75, 4.2, 3.9 };
    check("relu scale", relu, 5, syn_w);
    /* one feature never; two: a < b/3 */
    const double one[] = { 0.01 };
    const int zero[] = { 0 };
    check("single", one, 1, zero);
    const double two[] = { 0.2, 0.7 }, two2[] = { 0.3, 0.7 };
    const int two_w[] = { 1, 0 }, two2_w[] = { 0, 0 };
    check("two apart", two, 2, two_w);
    check("two close", two2, 2, two2_w);
    /* all zero: median 0 flags nothing */
    const double z[] = { 0, 0, 0 };
    const int zw[] = { 0, 0, 0 };
    check("zeros", z, 3, zw);
    if (tt_inspect_suppressed(syn, 5, (int[5]){ 0 }) != 1) {
        FAIL("count");
    }
    return tt_check_done("test_suppress");
}

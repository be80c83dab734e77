/* tt_inspect_rule: the one rule that calls a SENet feature "suppressed", kept
 * apart from tt_inspect.c so that the dashboard can use it without linking the
 * model code. */
#include "tt_inspect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Why relative to the median of the tower's own features, and why 0.5:
 * - excitation weights have no absolute scale: a sigmoid gate starts near
 *   0.5 for every field, a relu gate is unbounded, and the whole tower's level
 *   drifts with training (the next layer absorbs a common factor), so a fixed
 *   threshold (say 0.3) would flag everything in one model and nothing in
 *   another;
 * - the median, not the mean, so that one dominant feature (hist at 0.91 on
 *   ML-100K) does not drag the others under the bar;
 * - 0.5 x median separates the cases FINDINGS.md measured: a per-interaction
 *   noise column at 0.075 against 0.39-0.70 for the rest is flagged (median
 *   ~0.5, threshold ~0.25), while the graded ML-100K user tower (0.28 .. 0.91,
 *   median 0.43, threshold 0.21) flags nothing: there age is the least used
 *   feature but the model still uses it (ablate it to see). The rule is meant
 *   to mark clear suppression, not to rank: the ranking is printed anyway. */
double tt_inspect_suppress_threshold(const double *mean, int n)
{
    double tmp[64];
    double *v = n <= 64 ? tmp : malloc((size_t)n * sizeof *v);
    if (n <= 1 || !v) {   /* no memory for the median: no threshold rather than a guess */
        if (v && v != tmp)
            free(v);
        return NAN;
    }
    for (int j = 0; j < n; j++)
        v[j] = mean[j];
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    if (v != tmp)
        free(v);
    return med > 0 ? 0.5 * med : NAN;
}

int tt_inspect_suppressed(const double *mean, int n, int *flags)
{
    double thr = tt_inspect_suppress_threshold(mean, n);
    int count = 0;
    for (int j = 0; j < n; j++) {
        flags[j] = isfinite(thr) && mean[j] < thr;
        count += flags[j];
    }
    return count;
}

/* Why 1e-3 of the mean: a gate that does its job moves by whole percent
 * across examples (the ML-100K user tower: std 0.002-0.03 on means 0.4-0.9,
 * i.e. 0.5-3%), while the collapsed item tower of the protocol's `senet r=2`
 * measured std < 0.0005 on means 0.39-0.60 (min and max equal to 3
 * decimals). The printed tables round to 3 decimals, so below 1e-3 of the
 * mean nothing a learner can read varies. */
int tt_inspect_constant(const double *mean, const double *std, int n,
                        double inactive)
{
    if (n <= 0)
        return 0;
    if (inactive >= 1.0)
        return 1;
    for (int j = 0; j < n; j++)
        if (!isfinite(mean[j]) || !isfinite(std[j]) || std[j] > TT_CONST_REL * fabs(mean[j]))
            return 0;
    return 1;
}

const char *tt_inspect_constant_why(const tt_excitation *x, const char *rows,
                                    char *buf, size_t n)
{
    if (!n)
        return buf;
    buf[0] = 0;
    if (!x->constant)
        return buf;
    char width[96], act[160];
    if (x->hidden <= 0) {   /* Light-SE: softmax(W z), no hidden layer */
        snprintf(buf, n, "constant: every %s gets the same weights (std < %g x mean), a fixed "
                 "per-field scale, not a gate; why: its softmax over W z does not move "
                 "with the %s", rows, TT_CONST_REL, rows);
        return buf;
    }
    snprintf(width, sizeof width, "hidden width max(1, %d fields / r=%d) = %d", x->fields, x->r,
             x->hidden);
    const char *one = x->hidden == 1 ? "its one hidden unit" : "all its hidden units";
    if (x->inactive >= 1.0)
        snprintf(act, sizeof act, "%s %s 0 for every %s (dead ReLU), so the weights come from "
                 "the bias b2 alone", one, x->hidden == 1 ? "is" : "are", rows);
    else if (x->inactive > 0.5)
        snprintf(act, sizeof act, "%s %s 0 (inactive ReLU) for %.1f%% of %ss and barely moves "
                 "for the rest", one, x->hidden == 1 ? "is" : "are", 100.0 * x->inactive, rows);
    else if (x->dead_units > 0)
        snprintf(act, sizeof act, "%d of its hidden units are 0 for every %s (dead ReLU), the "
                 "rest barely vary", x->dead_units, rows);
    else
        snprintf(act, sizeof act, "its hidden unit%s barely var%s across %ss",
                 x->hidden == 1 ? "" : "s", x->hidden == 1 ? "ies" : "y", rows);
    snprintf(buf, n, "constant: every %s gets the same weights (std < %g x mean), a fixed "
             "per-field scale, not a gate; why: %s; %s", rows, TT_CONST_REL, width, act);
    return buf;
}

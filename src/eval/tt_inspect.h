/* tt_inspect: what a trained model does with its features: SENet excitation
 * weight statistics and ablations. Engine code: computes, prints nothing. */
#ifndef TT_INSPECT_H
#define TT_INSPECT_H

#include "tt_model.h"
#include "tt_eval.h"

/* The suppressed rule, shared by `weights` and the dashboard: feature j of a
 * tower is suppressed when mean[j] < 0.5 x the median of the tower's n
 * feature means (and the median is > 0). Relative, so it holds for sigmoid
 * and relu gates alike; a tower of one feature never suppresses it. flags:
 * (n) output, 1 = suppressed. Returns how many are suppressed. Why this rule:
 * see tt_inspect_rule.c. */
int tt_inspect_suppressed(const double *mean, int n, int *flags);
/* The rule's threshold, 0.5 x the median of the n means; NAN when there is
 * none (fewer than 2 features, or a median <= 0). */
double tt_inspect_suppress_threshold(const double *mean, int n);

/* The constant rule, shared by `weights`, the dashboard and `plot weights`:
 * a tower's excitation is constant (the block has become a fixed per-field
 * scale, not a per-example gate) when every row has every hidden unit at 0
 * (inactive = 1: the output is sigmoid(b2) for all), or when every feature's
 * std across rows is below TT_CONST_REL x |mean|. Returns 1 when constant. */
#define TT_CONST_REL 1e-3
int tt_inspect_constant(const double *mean, const double *std, int n,
                        double inactive);

/* What the excitation MLP of a tower is and does over rows. */
typedef struct tt_excitation {
    int fields, hidden, r;    /* f, hidden width max(1, f / r), r */
    int constant;             /* tt_inspect_constant over the rows */
    double inactive;          /* share of rows whose every hidden unit is 0 */
    int dead_units;           /* hidden units at 0 on every row; -1 unknown */
} tt_excitation;

/* Why a constant excitation is constant, in a learner's words, into buf
 * (a sentence without a final period; "" when x is not constant). rows names
 * what varies ("item", "example"). Returns buf. */
const char *tt_inspect_constant_why(const tt_excitation *x, const char *rows,
                                    char *buf, size_t n);

typedef struct tt_weight_stat {
    const char *feature;      /* dataset feature name */
    double mean, std, min, max;
    int suppressed;           /* by the documented rule (see tt_inspect.c) */
} tt_weight_stat;

/* Per-feature statistics of a tower's excitation weights over a split part
 * (side 0: over the part's examples, one per interaction; side 1: over all
 * items, part ignored). Population std. Ranked by mean, highest first (ties
 * by name); writes min(f, max_out) entries. feature points at the model's
 * field names (valid while m lives). Returns the number of features f (0:
 * the tower has no SENet), -1 on error. */
int tt_inspect_weights(tt_model *m, int side, const tt_dataset *d,
                       const tt_split *sp, enum tt_part part,
                       tt_weight_stat *out, int max_out, tt_err *err);

/* The excitation of a tower over the same rows as tt_inspect_weights:
 * shape, the constant verdict (from st, n: that call's output), hidden
 * activity. Returns 0 (x->fields = 0: no SENet) or -1. */
int tt_inspect_excitation(tt_model *m, int side, const tt_dataset *d,
                          const tt_split *sp, enum tt_part part,
                          const tt_weight_stat *st, int n, tt_excitation *x,
                          tt_err *err);

/* The same broken down by the values of a categorical (or numeric, bucketed)
 * feature, or by activity decile when by = "activity". User side: a user,
 * context or item feature (read through the example's user, interaction or
 * target item); a set feature (genres) puts a row in each of its values'
 * groups. Item side: item features only. Activity: deciles of the number
 * of training interactions (users present in the part; items: their training
 * count), cut at the values of ranks n/10, 2n/10, ..., equal activities in
 * the same group (so at most ten groups, fewer when cuts coincide). Row g
 * holds group g's stats (n_feat entries each, feature order as the tower's,
 * not ranked; suppressed by the rule within the group); labels[g] names the
 * group ("F", "12-18 train interactions"); groups without rows are left out,
 * the rest kept in id (or activity) order. Returns the number of groups or
 * -1 (out is then empty). Free with tt_weight_groups_free. */
typedef struct tt_weight_groups {
    int n_groups, n_feat;
    char **labels;            /* (n_groups) */
    int64_t *count;           /* (n_groups) rows in the group */
    tt_weight_stat *stat;     /* (n_groups, n_feat) */
} tt_weight_groups;
int tt_inspect_weights_by(tt_model *m, int side, const tt_dataset *d,
                          const tt_split *sp, enum tt_part part,
                          const char *by, tt_weight_groups *out, tt_err *err);
void tt_weight_groups_free(tt_weight_groups *g);

/* Metrics with the feature (dataset index) zeroed or shuffled across rows
 * (seed) against the intact model, both on the same part, through
 * tt_model_set_ablation + encode + tt_eval. The ablation is always cleared
 * on return. Errors: a popularity model, a feature the model does not use.
 * Returns 0 or -1. */
int tt_inspect_ablate(tt_model *m, const tt_dataset *d, const tt_split *sp,
                      enum tt_part part, int feat, enum tt_ablate_mode mode,
                      uint64_t seed, const int *ks, int n_k,
                      tt_metrics *base, tt_metrics *ablated, tt_err *err);

/* ---- multi-interest user towers (the interests stage) ----
 * Over part p's examples (one per user under l2o): for each interest index k,
 * active[k] = examples whose user has interest k active (MIND's K'u >= k + 1;
 * attention: all K, one for an empty history), wins[k] = examples whose
 * target item is scored best by interest k (the evaluator's max rule: first
 * k on ties). For example e (-1: none): e_active its active interests, and
 * for each k < e_active its top `top` items (the user's earlier items left
 * out as the evaluator leaves them out, ties to the lower id) into
 * items/scores (K, top) rows, e_got[k] how many; e_win the interest that
 * scores e's target best. Errors: a model without an interests stage.
 * Returns K or -1. */
typedef struct tt_interest_report {
    int K;
    int64_t n;                        /* examples in the part */
    int64_t active[TT_MI_MAXK], wins[TT_MI_MAXK];
    int e_active, e_win;
    int e_got[TT_MI_MAXK];
} tt_interest_report;
int tt_inspect_interests(tt_model *m, const tt_dataset *d, const tt_split *sp,
                         enum tt_part p, int64_t e, int top, int32_t *items,
                         float *scores, tt_interest_report *out, tt_err *err);

#endif

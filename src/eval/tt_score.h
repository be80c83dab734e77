/* tt_score: a model's ranks and metrics on a part of the split through the
 * exact evaluator, whichever way the model scores (query and item vectors,
 * or tiles from the history: tt_model_scores_tiles). */
#ifndef TT_SCORE_H
#define TT_SCORE_H

#include "tt_eval.h"
#include "tt_model.h"

/* Ranks of part p's targets (ranks: (sp->part[p].n)), as tt_eval_rank. */
int tt_score_ranks(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                   int64_t *ranks, tt_err *err);
/* Metrics of part p at the cut-offs ks, as tt_eval. */
int tt_score_eval(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                  const int *ks, int n_k, tt_metrics *out, tt_err *err);

#endif

/* ---- Slices: the metrics of a part split into three groups ----
 * item_pop: by the target's training popularity. Items sorted by training
 * interactions (most first, ties to the lower id): head = the items that
 * hold the first third of the training interactions, torso the next third,
 * tail the rest. user_activity: by the user's training interactions; the
 * users with examples in the part, sorted by that count (ties to the lower
 * id), cut into three equal thirds: light, medium, heavy. */
enum tt_slice_by { TT_SLICE_ITEM_POP = 0, TT_SLICE_USER_ACTIVITY = 1 };
#define TT_SLICES 3
/* "head", "torso", "tail" / "light", "medium", "heavy". */
const char *tt_slice_name(enum tt_slice_by by, int s);
/* slice (sp->part[p].n): the slice of every example. Returns 0 or -1. */
int tt_slice_assign(const tt_split *sp, enum tt_part p, enum tt_slice_by by, uint8_t *slice,
                    tt_err *err);
/* Metrics of the examples e with slice[e] == s, from ranks (tt_score_ranks),
 * computed as tt_eval_metrics computes them for the whole part. */
int tt_slice_metrics(const int64_t *ranks, const tt_split *sp, enum tt_part p,
                     const uint8_t *slice, int s, const int *ks, int n_k, tt_metrics *out,
                     tt_err *err);

/* ---- Beyond accuracy ----
 * Each user with examples in part p gets a top-K list (the largest K of ks)
 * from everything known before the part, the user's earlier items excluded,
 * ties to the lower id. For every k: coverage = share of the catalogue in
 * anyone's top k; gini = Gini coefficient of the items' recommendation
 * counts in the top k (0: every item recommended equally often, 1: one item
 * only); pop = mean training interactions of the recommended items. */
typedef struct tt_beyond {
    int n_k;
    int k[TT_MAX_K];
    double coverage[TT_MAX_K], gini[TT_MAX_K], pop[TT_MAX_K];
    int32_t n_users;
} tt_beyond;
int tt_score_beyond(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                    const int *ks, int n_k, tt_beyond *out, tt_err *err);

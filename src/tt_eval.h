/* tt_eval: exact retrieval evaluation. Every model scores by an inner product
 * between a query vector per example and a vector per item (a cosine model's
 * vectors are normalised; a popularity model is d = 1). */
#ifndef TT_EVAL_H
#define TT_EVAL_H

#include <stdint.h>
#include "tt_split.h"

#define TT_MAX_K 8

typedef struct tt_metrics {
    int n_k;
    int k[TT_MAX_K];
    double recall[TT_MAX_K];   /* mean over users of (hits / held-out items) */
    double hitrate[TT_MAX_K];  /* mean over users of [any hit] */
    double ndcg[TT_MAX_K];
    double mrr;
    int64_t n_examples;
    int32_t n_users;
    double seconds;
} tt_metrics;

/* Rank of each example's target among the non-excluded items:
 * rank = 1 + #{j not excluded : s_j > s_t or (s_j == s_t and j < t)}.
 * Excluded for part p: the user's items in the parts before p (train for
 * valid; train and valid for test) and the user's other targets in p.
 * Q: (ex->n, d) query vectors; V: (n_items, d) item vectors.
 * Scores come from tt_gemm in blocks of users, memory bounded.
 * ranks: (ex->n) output, may be NULL. */
int tt_eval_rank(const float *Q, const float *V, int32_t n_items, int d,
                 const tt_split *sp, enum tt_part p, int64_t *ranks,
                 tt_err *err);
/* Metrics from ranks, for the cut-offs ks (ascending, at most TT_MAX_K). */
void tt_eval_metrics(const int64_t *ranks, const tt_split *sp, enum tt_part p,
                     const int *ks, int n_k, tt_metrics *out);
/* Both in one call. */
int tt_eval(const float *Q, const float *V, int32_t n_items, int d,
            const tt_split *sp, enum tt_part p, const int *ks, int n_k,
            tt_metrics *out, tt_err *err);

/* Top-k items for one query (heap selection, never a full sort), best first,
 * excluding the sorted list excl. Ties go to the lower index. */
int tt_topk(const float *q, const float *V, int32_t n_items, int d,
            const int32_t *excl, int64_t n_excl, int k, int32_t *out_items,
            float *out_scores);

/* Naive reference (full scoring with plain loops): the tests' oracle. */
int tt_eval_rank_ref(const float *Q, const float *V, int32_t n_items, int d,
                     const tt_split *sp, enum tt_part p, int64_t *ranks);

#endif

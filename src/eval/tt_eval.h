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

/* The selection metric: valid Recall@TT_SELECT_K. Training keeps its best
 * epoch and stops early by it; the train report, the dashboard, compare's
 * curves and plots show it. This is the one place that finds it. */
#define TT_SELECT_K 20
/* Recall@TT_SELECT_K of m, or NAN when m was not evaluated at that k. */
double tt_metrics_select(const tt_metrics *m);

/* Rank of each example's target among the non-excluded items:
 * rank = 1 + #{j not excluded : s_j > s_t or (s_j == s_t and j < t)}.
 * Excluded for part p: the user's items in the parts before p (train for
 * valid; train and valid for test) and the user's other targets in p.
 * Q: (ex->n, d) query vectors; V: (n_items, d) item vectors.
 * Scores come from tt_gemm in tiles of examples x items, memory bounded
 * (1 MiB of scores per worker whatever the corpus; two workers on the
 * shared pool when tt_blas_par_threads(0) >= 2, each with one BLAS thread
 * for the call).
 * A NaN target score ranks last; NaN scores of other items never beat it.
 * ranks: (ex->n) output, may be NULL. Returns 0, or -1 with *err set (an
 * item or an excluded item outside [0, n_items), or no memory). */
int tt_eval_rank(const float *Q, const float *V, int32_t n_items, int d,
                 const tt_split *sp, enum tt_part p, int64_t *ranks,
                 tt_err *err);
/* Metrics from ranks, for the cut-offs ks (ascending, at most TT_MAX_K).
 * Per example: hit@K = [rank <= K], ndcg@K = 1/log2(1 + rank) if rank <= K,
 * rr = 1/rank. Per user (over the user's examples in part p): recall@K =
 * hits / examples, hitrate@K = [hits > 0], ndcg and mrr the means; then each
 * metric is averaged over the users that have examples. seconds = 0. */
void tt_eval_metrics(const int64_t *ranks, const tt_split *sp, enum tt_part p,
                     const int *ks, int n_k, tt_metrics *out);
/* Both in one call; seconds = wall time of the call. ks must be ascending
 * and positive, 1 <= n_k <= TT_MAX_K (else -1 with *err set). */
int tt_eval(const float *Q, const float *V, int32_t n_items, int d,
            const tt_split *sp, enum tt_part p, const int *ks, int n_k,
            tt_metrics *out, tt_err *err);

/* Scores from a function instead of vectors (models that score from the
 * history, tt_model_score_tile): fn(ctx, idx, n, base, w, tile) fills tile
 * (n, w) with the scores of items [base, base + w) for the examples
 * idx[0..n) of part p. It must give the same bits for the same call (a
 * target's score is read from one call and compared in another) and be safe
 * to call from two threads at once. Everything else as tt_eval_rank/tt_eval. */
typedef void (*tt_tile_fn)(const void *ctx, const int64_t *idx, int n, int64_t base, int w,
                           float *tile);
int tt_eval_rank_fn(tt_tile_fn fn, const void *ctx, int32_t n_items, const tt_split *sp,
                    enum tt_part p, int64_t *ranks, tt_err *err);
int tt_eval_fn(tt_tile_fn fn, const void *ctx, int32_t n_items, const tt_split *sp,
               enum tt_part p, const int *ks, int n_k, tt_metrics *out, tt_err *err);

/* Top-k items for one query (heap selection, never a full sort), best first,
 * excluding the sorted list excl (repeats allowed). Ties go to the lower
 * index; items with a NaN score are left out. Returns the number written:
 * k, or fewer when fewer items remain. No allocation. */
int tt_topk(const float *q, const float *V, int32_t n_items, int d,
            const int32_t *excl, int64_t n_excl, int k, int32_t *out_items,
            float *out_scores);

/* Top-k of each of nq queries Q: (nq, d) over every item (no exclusions),
 * into out_items/out_scores: (nq, k), best first, with tt_topk's rules
 * (ties to the lower index, NaN scores left out); a row with fewer than k
 * items is padded with item -1 and score NaN, and out_count (nq, may be
 * NULL) gets each row's count. Scores come from tt_gemm in tiles of a
 * block of 128 to 512 queries x W items (the evaluator's 1 MiB of scores per
 * worker, whatever the corpus); blocks of queries go to `threads` workers
 * of the shared pool (<= 0: the user's count; at most TT_TOPK_MAX_THREADS;
 * tt_blas_par_threads decides), each with one BLAS thread when there are
 * several; one worker (threads = 1, or a single block) keeps BLAS's own
 * count, so a caller timing "one thread" pins BLAS itself. Which worker
 * takes a block does not change its rows. Returns 0, or -1 with *err set
 * (no memory, an empty model). From the main thread (the shared pool). */
#define TT_TOPK_MAX_THREADS 64
int tt_topk_batch(const float *Q, int64_t nq, const float *V, int32_t n_items, int d, int k,
                  int threads, int32_t *out_items, float *out_scores, int *out_count,
                  tt_err *err);
/* Its naive reference (double sums rounded to float, selection by repeated
 * scans): the tests' oracle. Returns 0, or -1 without memory. */
int tt_topk_batch_ref(const float *Q, int64_t nq, const float *V, int32_t n_items, int d, int k,
                      int32_t *out_items, float *out_scores, int *out_count);

/* Multi-vector queries (a multi-interest user tower, an item side of several
 * vectors): Q (ex->n, nq, d); example e scores item j by the largest of
 * Q[e, k] . V[j] over its active vectors k < qn[e] (qn NULL: all nq), taken
 * in order k = 0, 1, ... with s = v_k > s ? v_k : s. Ranks, exclusions, the
 * tie rule and memory as tt_eval_rank (plus one more tile per worker when
 * nq > 1); nq = 1 is tt_eval_rank exactly. 1 <= nq <= TT_EVAL_MAX_VECTORS,
 * 1 <= qn[e] <= nq (else -1 with *err set). */
#define TT_EVAL_MAX_VECTORS 64
int tt_eval_rank_multi(const float *Q, int nq, const int32_t *qn, const float *V,
                       int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                       int64_t *ranks, tt_err *err);
int tt_eval_multi(const float *Q, int nq, const int32_t *qn, const float *V,
                  int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                  const int *ks, int n_k, tt_metrics *out, tt_err *err);
/* The naive reference of tt_eval_rank_multi (the same max rule). */
int tt_eval_rank_multi_ref(const float *Q, int nq, const int32_t *qn, const float *V,
                           int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                           int64_t *ranks);

/* FE-Block scoring (IntTower, interact=fe): Q (ex->n, nq, d) the query's
 * nq heads, V (n_items, nv, d) each item's nv vectors; example e scores item
 * j by sum over k = 0, 1, ... (in float, in that order) of the max over
 * g = 0, 1, ... of Q[e, k] . V[j, g] (s = v_g > s ? v_g : s: the first vector
 * kept on ties and when NaN). Ranks, exclusions, the tie rule and memory as
 * tt_eval_rank (plus two more tiles per worker). 1 <= nq, nv <=
 * TT_EVAL_MAX_VECTORS (else -1 with *err set). */
int tt_eval_rank_summax(const float *Q, int nq, const float *V, int nv, int32_t n_items,
                        int d, const tt_split *sp, enum tt_part p, int64_t *ranks, tt_err *err);
int tt_eval_summax(const float *Q, int nq, const float *V, int nv, int32_t n_items, int d,
                   const tt_split *sp, enum tt_part p, const int *ks, int n_k,
                   tt_metrics *out, tt_err *err);
/* One query's naive reference scores of every item, s (n_items): q holds nq
 * vectors, V nv per item (n_items, nv, d); every product a double sum
 * rounded to float. summax = 0: the best of the query's vectors (nv = 1,
 * the multi-vector rule); summax = 1: the sum over the query's vectors of
 * the max over the item's (the FE-Block rule; first vector wins ties). */
void tt_eval_scores_ref(const float *q, int nq, const float *V, int nv, int32_t n_items,
                        int d, int summax, float *s);
/* Its naive reference (every product a double sum rounded to float, the
 * same max and sum rules). */
int tt_eval_rank_summax_ref(const float *Q, int nq, const float *V, int nv, int32_t n_items,
                            int d, const tt_split *sp, enum tt_part p, int64_t *ranks);

/* Naive reference (full scoring with plain loops, exclusion tested per item):
 * the tests' oracle. Scores are double sums rounded to float, so they equal
 * tt_gemm's exactly on small-integer data. Returns 0, or -1 without memory. */
int tt_eval_rank_ref(const float *Q, const float *V, int32_t n_items, int d,
                     const tt_split *sp, enum tt_part p, int64_t *ranks);

#endif

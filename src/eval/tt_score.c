/* tt_score: evaluating a model, by vectors or by history tiles. */
#include "tt_score.h"

#include <stdlib.h>

typedef struct tile_ctx {
    const tt_model *m;
    const tt_split *sp;
    enum tt_part p;
} tile_ctx;

static void tile_fn(const void *ctx, const int64_t *idx, int n, int64_t base, int w,
                    float *tile)
{
    const tile_ctx *c = ctx;
    tt_model_score_tile(c->m, c->sp, c->p, idx, n, base, w, tile);
}

/* Vectors: V (n_items, D) and Q (n, D); the caller frees both. */
static int vectors(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                   float **Vp, float **Qp, tt_err *err)
{
    int D = tt_model_dim(m);
    int64_t n = sp->part[p].n;
    float *V = tt_alloc_aligned((size_t)d->n_items * (size_t)D, sizeof(float), "item vectors", err);
    float *Q = V ? tt_alloc_aligned((size_t)TT_MAX(n, 1) * (size_t)D, sizeof(float),
                                    "query vectors", err) : NULL;
    *Vp = V;
    *Qp = Q;
    if (!Q || tt_model_encode_items(m, d, V, err) || tt_model_encode_part(m, d, sp, p, Q, err))
        return -1;
    return 0;
}

int tt_score_ranks(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                   int64_t *ranks, tt_err *err)
{
    if (tt_model_scores_tiles(m)) {
        tile_ctx c = {m, sp, p};
        return tt_eval_rank_fn(tile_fn, &c, d->n_items, sp, p, ranks, err);
    }
    float *V = NULL, *Q = NULL;
    int rc = vectors(m, d, sp, p, &V, &Q, err) ||
             tt_eval_rank(Q, V, d->n_items, tt_model_dim(m), sp, p, ranks, err) ? -1 : 0;
    free(V);
    free(Q);
    return rc;
}

int tt_score_eval(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                  const int *ks, int n_k, tt_metrics *out, tt_err *err)
{
    if (tt_model_scores_tiles(m)) {
        tile_ctx c = {m, sp, p};
        return tt_eval_fn(tile_fn, &c, d->n_items, sp, p, ks, n_k, out, err);
    }
    float *V = NULL, *Q = NULL;
    int rc = vectors(m, d, sp, p, &V, &Q, err) ||
             tt_eval(Q, V, d->n_items, tt_model_dim(m), sp, p, ks, n_k, out, err) ? -1 : 0;
    free(V);
    free(Q);
    return rc;
}

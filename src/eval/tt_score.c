/* tt_score: evaluating a model, by vectors or by history tiles. */
#include "tt_score.h"

#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_layers.h"
#include "tt_mkind.h"

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

/* Vectors: V (n_items, D) and Q (n, nq, D), nq the model's vectors per
 * query (a multi-interest user tower: its K, with qn (n) the active ones;
 * else 1 and qn NULL); the caller frees all three. An FE-Block model's V is
 * (n_items, G, dh) (tt_model_fe_shape). */
static int vectors(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                   float **Vp, float **Qp, int32_t **qnp, tt_err *err)
{
    int D = tt_model_dim(m), nq = tt_model_query_vectors(m), H, G, dh;
    int fe = tt_model_fe_shape(m, &H, &G, &dh);
    int64_t n = sp->part[p].n;
    float *V = tt_alloc_aligned((size_t)d->n_items * (size_t)(fe ? G * dh : D), sizeof(float),
                                "item vectors", err);
    float *Q = V ? tt_alloc_aligned((size_t)TT_MAX(n, 1) * (size_t)nq * (size_t)D, sizeof(float),
                                    "query vectors", err) : NULL;
    int32_t *qn = Q && nq > 1 ? tt_alloc((size_t)TT_MAX(n, 1), sizeof(int32_t), "active interests", err)
                              : NULL;
    *Vp = V;
    *Qp = Q;
    *qnp = qn;
    if (!Q || (nq > 1 && !qn) ||
        (fe ? tt_model_encode_item_vectors(m, d, V, err) : tt_model_encode_items(m, d, V, err)))
        return -1;
    if (nq > 1)
        return tt_model_encode_queries_multi(m, d, &sp->part[p], Q, qn, err);
    return tt_model_encode_part(m, d, sp, p, Q, err);
}

/* Ranks (ranks != NULL) or metrics from the vectors, by the model's rule:
 * the best of the query's vectors (one, or a multi-interest tower's), or the
 * FE-Block's sum over heads of the max over item vectors. */
static int vector_eval(const tt_model *m, const float *Q, const int32_t *qn, const float *V,
                       const tt_dataset *d, const tt_split *sp, enum tt_part p, int64_t *ranks,
                       const int *ks, int n_k, tt_metrics *out, tt_err *err)
{
    int H, G, dh, nq = tt_model_query_vectors(m), D = tt_model_dim(m);
    if (tt_model_fe_shape(m, &H, &G, &dh))
        return ranks ? tt_eval_rank_summax(Q, H, V, G, d->n_items, dh, sp, p, ranks, err)
                     : tt_eval_summax(Q, H, V, G, d->n_items, dh, sp, p, ks, n_k, out, err);
    return ranks ? tt_eval_rank_multi(Q, nq, qn, V, d->n_items, D, sp, p, ranks, err)
                 : tt_eval_multi(Q, nq, qn, V, d->n_items, D, sp, p, ks, n_k, out, err);
}

/* A kind that scores from training interactions cannot rank items (users)
 * that have none: refused, never scored as zeros. */
static int cold_check(const tt_model *m, const tt_split *sp, tt_err *err)
{
    if (!tt_split_is_cold(sp) || tt_model_scores_cold(m))
        return 0;
    int users = !strcmp(sp->method, "cold-users");
    return tt_err_set(err,
                      "model %s (%s) cannot score %s it never saw in training: on this %s split "
                      "they have no interactions to score from; a two-tower model with %s features can",
                      tt_model_get_def(m)->name, tt_mkind_get(tt_model_get_def(m)->kind)->name,
                      users ? "users" : "items", sp->method, users ? "user" : "item");
}

int tt_score_ranks(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                   int64_t *ranks, tt_err *err)
{
    if (cold_check(m, sp, err))
        return -1;
    if (tt_model_scores_tiles(m)) {
        tile_ctx c = {m, sp, p};
        return tt_eval_rank_fn(tile_fn, &c, d->n_items, sp, p, ranks, err);
    }
    float *V = NULL, *Q = NULL;
    int32_t *qn = NULL;
    int rc = vectors(m, d, sp, p, &V, &Q, &qn, err) ||
             vector_eval(m, Q, qn, V, d, sp, p, ranks, NULL, 0, NULL, err) ? -1 : 0;
    free(V);
    free(Q);
    free(qn);
    return rc;
}

int tt_score_eval(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                  const int *ks, int n_k, tt_metrics *out, tt_err *err)
{
    if (cold_check(m, sp, err))
        return -1;
    if (tt_model_scores_tiles(m)) {
        tile_ctx c = {m, sp, p};
        return tt_eval_fn(tile_fn, &c, d->n_items, sp, p, ks, n_k, out, err);
    }
    float *V = NULL, *Q = NULL;
    int32_t *qn = NULL;
    int rc = vectors(m, d, sp, p, &V, &Q, &qn, err) ||
             vector_eval(m, Q, qn, V, d, sp, p, NULL, ks, n_k, out, err) ? -1 : 0;
    free(V);
    free(Q);
    free(qn);
    return rc;
}

/* ---- slices ---- */

const char *tt_slice_name(enum tt_slice_by by, int s)
{
    static const char *const names[2][TT_SLICES] = {{"head", "torso", "tail"},
                                                   {"light", "medium", "heavy"}};
    return (int)by >= 0 && (int)by < 2 && s >= 0 && s < TT_SLICES ? names[by][s] : "?";
}

static const int64_t *sort_keys;   /* qsort has no context argument */
static int by_key_desc(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (sort_keys[x] != sort_keys[y])
        return sort_keys[x] > sort_keys[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}
static int by_key_asc(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (sort_keys[x] != sort_keys[y])
        return sort_keys[x] < sort_keys[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

int tt_slice_assign(const tt_split *sp, enum tt_part p, enum tt_slice_by by, uint8_t *slice,
                    tt_err *err)
{
    const tt_examples *ex = &sp->part[p];
    int32_t n_items = 0, n_users = 0;
    for (int64_t e = 0; e < ex->n; e++) {
        n_items = TT_MAX(n_items, ex->item[e] + 1);
        n_users = TT_MAX(n_users, ex->user[e] + 1);
    }
    if (by == TT_SLICE_ITEM_POP) {
        /* item_freq covers the whole catalogue; its length is unknown here,
         * so take the items the split names: targets and training items. */
        for (int64_t r = 0; sp->off[TT_TRAIN] && r < sp->off[TT_TRAIN][n_users]; r++)
            n_items = TT_MAX(n_items, sp->items[TT_TRAIN][r] + 1);
    }
    int32_t n = by == TT_SLICE_ITEM_POP ? n_items : n_users;
    int32_t *ord = tt_alloc((size_t)TT_MAX(n, 1), sizeof *ord, "slices", err);
    int64_t *key = tt_alloc((size_t)TT_MAX(n, 1), sizeof *key, "slices", err);
    uint8_t *grp = tt_alloc((size_t)TT_MAX(n, 1), 1, "slices", err);
    if (!ord || !key || !grp) {
        free(ord), free(key), free(grp);
        return -1;
    }
    int32_t m = 0;
    if (by == TT_SLICE_ITEM_POP) {
        int64_t total = 0, run = 0;
        for (int32_t j = 0; j < n; j++) {
            key[j] = sp->item_freq[j];
            total += key[j];
            ord[m++] = j;
        }
        sort_keys = key;
        qsort(ord, (size_t)m, sizeof *ord, by_key_desc);
        for (int32_t q = 0; q < m; q++) {
            /* the item's slice: where its interactions start in the mass */
            grp[ord[q]] = (uint8_t)(3 * run < total ? 0 : 3 * run < 2 * total ? 1 : 2);
            run += key[ord[q]];
        }
    } else {
        /* users with examples in the part, by training interactions */
        memset(grp, 0xff, (size_t)n);
        for (int64_t e = 0; e < ex->n; e++)
            if (grp[ex->user[e]] == 0xff) {
                int32_t u = ex->user[e];
                grp[u] = 0;
                key[u] = sp->off[TT_TRAIN] ? sp->off[TT_TRAIN][u + 1] - sp->off[TT_TRAIN][u] : 0;
                ord[m++] = u;
            }
        sort_keys = key;
        qsort(ord, (size_t)m, sizeof *ord, by_key_asc);
        for (int32_t q = 0; q < m; q++)
            grp[ord[q]] = (uint8_t)((int64_t)3 * q / TT_MAX(m, 1));
    }
    for (int64_t e = 0; e < ex->n; e++)
        slice[e] = grp[by == TT_SLICE_ITEM_POP ? ex->item[e] : ex->user[e]];
    free(ord);
    free(key);
    free(grp);
    return 0;
}

int tt_slice_metrics(const int64_t *ranks, const tt_split *sp, enum tt_part p,
                     const uint8_t *slice, int s, const int *ks, int n_k, tt_metrics *out,
                     tt_err *err)
{
    const tt_examples *ex = &sp->part[p];
    int64_t n = 0;
    for (int64_t e = 0; e < ex->n; e++)
        n += slice[e] == s;
    /* The slice as a part of its own: a shallow copy of the split whose
     * part p holds the slice's examples (the metrics read users and ranks). */
    tt_split sub = *sp;
    tt_examples *sx = &sub.part[p];
    memset(sx, 0, sizeof *sx);
    sx->user = tt_alloc((size_t)TT_MAX(n, 1), sizeof *sx->user, "slice", err);
    sx->item = tt_alloc((size_t)TT_MAX(n, 1), sizeof *sx->item, "slice", err);
    int64_t *r = tt_alloc((size_t)TT_MAX(n, 1), sizeof *r, "slice", err);
    if (!sx->user || !sx->item || !r) {
        free(sx->user), free(sx->item), free(r);
        return -1;
    }
    for (int64_t e = 0; e < ex->n; e++)
        if (slice[e] == s) {
            sx->user[sx->n] = ex->user[e];
            sx->item[sx->n] = ex->item[e];
            r[sx->n++] = ranks[e];
        }
    tt_eval_metrics(r, &sub, p, ks, n_k, out);
    free(sx->user);
    free(sx->item);
    free(r);
    return 0;
}

/* ---- beyond accuracy ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int tt_score_beyond(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                    const int *ks, int n_k, tt_beyond *out, tt_err *err)
{
    const tt_examples *ex = &sp->part[p];
    int32_t n = d->n_items;
    int K = 0, rc = -1, tiles = tt_model_scores_tiles(m), D = tt_model_dim(m);
    memset(out, 0, sizeof *out);
    if (cold_check(m, sp, err))
        return -1;
    int fH, fG, fdh;
    const int fe = !tiles && tt_model_fe_shape(m, &fH, &fG, &fdh);
    if (n_k < 1 || n_k > TT_MAX_K)
        return tt_err_set(err, "between 1 and %d cut-offs K, not %d", TT_MAX_K, n_k);
    for (int i = 0; i < n_k; i++)
        K = TT_MAX(K, ks[i]);
    K = TT_MIN(K, n);
    float *V = NULL, *Q = NULL, *row = NULL, *tsc = NULL, *kr = NULL, one = 1.0f;
    int32_t *top = NULL, *excl = NULL, *qn = NULL;
    const int nq = tiles ? 1 : tt_model_query_vectors(m);
    int64_t *cnt = NULL, *sorted = NULL;
    uint8_t *seen = NULL;
    row = tt_alloc((size_t)n, sizeof *row, "scores", err);
    top = tt_alloc((size_t)TT_MAX(K, 1), sizeof *top, "top-k", err);
    tsc = tt_alloc((size_t)TT_MAX(K, 1), sizeof *tsc, "top-k", err);
    excl = tt_alloc((size_t)n, sizeof *excl, "exclusions", err);
    cnt = tt_alloc((size_t)n_k * n, sizeof *cnt, "recommendation counts", err);
    sorted = tt_alloc((size_t)n, sizeof *sorted, "recommendation counts", err);
    seen = tt_alloc((size_t)TT_MAX(d->n_users, 1), 1, "users", err);
    kr = nq > 1 ? tt_alloc((size_t)n, sizeof *kr, "scores", err)
       : fe ? tt_alloc((size_t)tt_fe_scratch((int)n, fG, fdh), sizeof *kr,
                       "item vectors by coordinate", err)
            : row;
    if (!row || !top || !tsc || !excl || !cnt || !sorted || !seen || !kr)
        goto out;
    if (!tiles && vectors(m, d, sp, p, &V, &Q, &qn, err))
        goto out;
    double popsum[TT_MAX_K] = {0};
    int64_t slots[TT_MAX_K] = {0};
    for (int64_t e = 0; e < ex->n; e++) {
        int32_t u = ex->user[e];
        if (seen[u])
            continue;
        seen[u] = 1;
        out->n_users++;
        if (tiles)
            tt_model_score_tile(m, sp, p, &e, 1, 0, n, row);
        else if (fe)   /* row (1, n): the FE-Block rule, kr its scratch */
            tt_fe_scores(row, n, NULL, kr, Q + e * D, D, fdh, V, 1, n, fH, fG, fdh);
        else   /* row (1, n) = Q[e] (1, D) . V (n, D)^T; several interests:
                * the largest, k in order (the evaluator's max rule) */
            for (int k = 0; k < (qn ? qn[e] : 1); k++) {
                tt_gemm(0, 1, 1, n, D, 1.0f, Q + (e * nq + k) * D, D, V, D, 0.0f,
                        k ? kr : row, n);
                for (int32_t j = 0; k && j < n; j++)
                    row[j] = kr[j] > row[j] ? kr[j] : row[j];
            }
        tt_hist h;
        tt_hist_init(&h, sp, p, u);
        int64_t ne = 0;
        for (int32_t j; (j = tt_hist_next(&h)) >= 0;)
            excl[ne++] = j;
        /* scores are the row itself: q = 1, V = row as (n, 1) */
        int got = tt_topk(&one, row, n, 1, excl, ne, K, top, tsc);
        for (int i = 0; i < n_k; i++)
            for (int r = 0; r < got && r < ks[i]; r++) {
                cnt[(int64_t)i * n + top[r]]++;
                popsum[i] += (double)sp->item_freq[top[r]];
                slots[i]++;
            }
    }
    out->n_k = n_k;
    for (int i = 0; i < n_k; i++) {
        const int64_t *c = cnt + (int64_t)i * n;
        int64_t covered = 0, total = 0;
        for (int32_t j = 0; j < n; j++) {
            covered += c[j] > 0;
            total += c[j];
            sorted[j] = c[j];
        }
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_i64);
        double g = 0;
        for (int32_t j = 0; j < n; j++)   /* G = sum (2i - n - 1) c_(i) / (n sum c) */
            g += (2.0 * (j + 1) - n - 1) * (double)sorted[j];
        out->k[i] = ks[i];
        out->coverage[i] = (double)covered / n;
        out->gini[i] = total > 0 ? g / ((double)n * (double)total) : 0;
        out->pop[i] = slots[i] > 0 ? popsum[i] / (double)slots[i] : 0;
    }
    rc = 0;
out:
    free(V), free(Q), free(row), free(top), free(tsc), free(excl), free(cnt), free(sorted), free(seen);
    if (kr != row)
        free(kr);
    free(qn);
    return rc;
}

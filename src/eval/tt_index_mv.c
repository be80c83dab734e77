/* tt_index_mv: models with several vectors on a side, through an index:
 * candidates from the index (each query vector asks it), rescored exactly
 * by the model's rule (tt_index.h has the contracts). */
#include "tt_index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"

typedef struct cand {
    float s;
    int32_t j;
} cand;

/* Best first; NaN last; ties to the lower item (the evaluator's rule). */
static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int xn = isnan(x->s), yn = isnan(y->s);
    if (xn != yn)
        return xn - yn;
    if (!xn && x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* One score as the naive references compute it: each inner product summed
 * in double and rounded to float; the max over query vectors taken in
 * order (s = v > s ? v : s), or FE's sum over heads (in order, in float)
 * of the max over the item's vectors. Qe: (qe, d) the active vectors. */
static float mv_score(const tt_index_mv *mv, const float *Qe, int qe, int32_t j)
{
    const int d = mv->d, nv = mv->nv;
    const float *v = mv->V + (int64_t)j * nv * d;
    float s = 0;
    for (int k = 0; k < qe; k++) {
        float best = 0;
        for (int g = 0; g < nv; g++) {
            double acc = 0;
            for (int i = 0; i < d; i++)
                acc += (double)Qe[k * d + i] * v[g * d + i];
            float x = (float)acc;
            best = g == 0 || x > best ? x : best;
        }
        if (mv->summax)
            s = k == 0 ? best : s + best;
        else
            s = k == 0 || best > s ? best : s;
    }
    return s;
}

static int active(const tt_index_mv *mv, int64_t e)
{
    int a = mv->qn ? mv->qn[e] : mv->nq;
    return a < 1 ? 1 : a > mv->nq ? mv->nq : a;
}

/* Scratch of one search: the index's rows, candidates and marks. */
typedef struct mv_work {
    int64_t *ids;      /* (cells) */
    float *dist;       /* (cells) */
    float *Qx;         /* (rows, d + 1): transformed queries (IP2L2) */
    cand *c;           /* (cells) */
    char *seen;        /* (n_items) */
    int64_t cells;
} mv_work;

enum { MV_CELLS = 1 << 19 };   /* ids + distances + candidates per batch: 8 MiB */

static void work_free(mv_work *w)
{
    free(w->ids), free(w->dist), free(w->Qx), free(w->c), free(w->seen);
}

/* Buffers of cells (<= MV_CELLS) rows: what the search at hand needs, so
 * that one query alone (the latency loop, recommend) does not map and fault
 * 8 MiB. */
static int work_init(mv_work *w, const tt_index_mv *mv, int64_t cells, tt_err *err)
{
    memset(w, 0, sizeof *w);
    w->cells = cells;
    w->ids = tt_alloc((size_t)w->cells, sizeof(int64_t), "index results", err);
    w->dist = w->ids ? tt_alloc((size_t)w->cells, sizeof(float), "index results", err) : NULL;
    w->c = w->dist ? tt_alloc((size_t)w->cells, sizeof(cand), "candidates", err) : NULL;
    w->seen = w->c ? tt_alloc((size_t)mv->n_items, 1, "candidate marks", err) : NULL;
    if (!w->seen) {
        work_free(w);
        return -1;
    }
    return 0;
}

/* Ask the index for kq rows nearest to each vector of queries [b, e):
 * (e - b) * nq rows of ids in w->ids. */
static int mv_search(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t b,
                     int64_t e, int64_t kq, mv_work *w, tt_err *err)
{
    int64_t nr = (e - b) * mv->nq;
    const float *X = Q + b * mv->nq * mv->d;
    if (ie->metric == TT_IM_IP2L2) {
        float *T = realloc(w->Qx, sizeof(float) * (size_t)nr * (size_t)(mv->d + 1));
        if (!T)
            return tt_err_set(err, "out of memory for %lld transformed queries", (long long)nr);
        w->Qx = T;
        tt_index_ip2l2_queries(X, nr, mv->d, T);
        X = T;
    }
    return tt_ann_search(ie->ann, X, nr, (int)kq, w->dist, w->ids, err);
}

/* The candidates of query e (its rows of the last mv_search, from batch
 * start b): the items of the rows its active vectors got, each once, those
 * marked in excl (may be NULL) left out, rescored and sorted best first.
 * Returns their count. */
static int64_t mv_merge(const tt_index_mv *mv, const float *Q, int64_t b, int64_t e, int64_t kq,
                        const char *excl, mv_work *w)
{
    const int qe = active(mv, e);
    const float *Qe = Q + e * mv->nq * mv->d;
    int64_t nc = 0;
    for (int k = 0; k < qe; k++) {
        const int64_t *row = w->ids + ((e - b) * mv->nq + k) * kq;
        for (int64_t i = 0; i < kq; i++) {
            if (row[i] < 0 || row[i] >= (int64_t)mv->n_items * mv->nv)
                continue;
            int32_t j = (int32_t)(row[i] / mv->nv);
            if (w->seen[j])
                continue;
            w->seen[j] = 1;
            w->c[nc++].j = j;
        }
    }
    int64_t kept = 0;
    for (int64_t i = 0; i < nc; i++) {
        int32_t j = w->c[i].j;
        w->seen[j] = 0;
        if (excl && excl[j])
            continue;
        w->c[kept].j = j;
        w->c[kept++].s = mv_score(mv, Qe, qe, j);
    }
    qsort(w->c, (size_t)kept, sizeof *w->c, cand_cmp);
    return kept;
}

/* Rows each query vector asks for when a query wants `want` items: want
 * items, each up to nv rows (FE), within the index's rows. */
static int64_t rows_for(const tt_index_mv *mv, int64_t want)
{
    return TT_MIN((int64_t)mv->n_items * mv->nv, want * mv->nv);
}

int tt_index_mv_rank(tt_indexent *ie, const tt_index_mv *mv, const float *Q, const tt_split *sp,
                     enum tt_part p, int kmax, int64_t *ranks, tt_err *err)
{
    const tt_examples *ex = &sp->part[p];
    mv_work w;
    char *mark = tt_alloc((size_t)mv->n_items, 1, "exclusion marks", err);
    if (!mark || work_init(&w, mv, MV_CELLS, err)) {
        free(mark);
        return -1;
    }
    int rc = 0;
    tt_ann_set_threads(0);
    for (int64_t b = 0; rc == 0 && b < ex->n;) {
        /* A batch whose widest over-fetch still fits the buffers. */
        int64_t e = b, kq = 0;
        while (e < ex->n) {
            int64_t c = tt_index_excl_count(sp, p, ex->user[e]);
            int64_t kk = TT_MAX(kq, rows_for(mv, kmax + c));
            if (e > b && (e - b + 1) * mv->nq * kk > w.cells)
                break;
            kq = kk;
            e++;
        }
        if ((e - b) * mv->nq * kq > w.cells)   /* one query wider than the buffers */
            kq = w.cells / mv->nq;
        if (mv_search(ie, mv, Q, b, e, kq, &w, err)) {
            rc = -1;
            break;
        }
        for (int64_t i = b; i < e; i++) {
            int32_t u = ex->user[i], t = ex->item[i];
            tt_index_mark_excl(sp, p, u, t, mark, 1);
            int64_t nc = mv_merge(mv, Q, b, i, kq, mark, &w), rank = (int64_t)mv->n_items + 1;
            for (int64_t r = 0; r < nc && r < kmax; r++)
                if (w.c[r].j == t) {
                    rank = r + 1;
                    break;
                }
            ranks[i] = rank;
            tt_index_mark_excl(sp, p, u, t, mark, 0);
        }
        b = e;
    }
    free(mark);
    work_free(&w);
    return rc;
}

int tt_index_mv_topk(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t n, int k,
                     const int32_t *excl, int64_t n_excl, int32_t *items, float *scores,
                     int *count, tt_err *err)
{
    mv_work w;
    char *mark = NULL;
    int64_t kq = TT_MIN(rows_for(mv, k + n_excl), MV_CELLS / mv->nq);
    if (work_init(&w, mv, TT_MIN((int64_t)MV_CELLS, TT_MAX((int64_t)1, n) * mv->nq * kq), err))
        return -1;
    if (n_excl > 0) {
        if (!(mark = tt_alloc((size_t)mv->n_items, 1, "exclusion marks", err))) {
            work_free(&w);
            return -1;
        }
        for (int64_t i = 0; i < n_excl; i++)
            if (excl[i] >= 0 && excl[i] < mv->n_items)
                mark[excl[i]] = 1;
    }
    int64_t B = TT_MAX((int64_t)1, w.cells / (mv->nq * kq));
    int rc = 0;
    for (int64_t b = 0; rc == 0 && b < n; b += B) {
        int64_t e = TT_MIN(n, b + B);
        if (mv_search(ie, mv, Q, b, e, kq, &w, err)) {
            rc = -1;
            break;
        }
        for (int64_t i = b; i < e; i++) {
            int64_t nc = mv_merge(mv, Q, b, i, kq, mark, &w);
            int got = (int)TT_MIN(nc, (int64_t)k);
            for (int r = 0; r < k; r++) {
                items[i * k + r] = r < got ? w.c[r].j : -1;
                scores[i * k + r] = r < got ? w.c[r].s : NAN;
            }
            if (count)
                count[i] = got;
        }
    }
    free(mark);
    work_free(&w);
    return rc;
}

/* Put (s, j) into the sorted top list c of *n <= k entries. */
static void top_insert(cand *c, int *n, int k, float s, int32_t j)
{
    cand x = {s, j};
    if (*n == k && cand_cmp(&x, &c[k - 1]) >= 0)
        return;
    int i = *n < k ? (*n)++ : k - 1;
    while (i > 0 && cand_cmp(&x, &c[i - 1]) < 0) {
        c[i] = c[i - 1];
        i--;
    }
    c[i] = x;
}

int tt_index_mv_exact_topk(const tt_index_mv *mv, const float *Q, int64_t n, int k,
                           int32_t *items, float *scores, tt_err *err)
{
    const int d = mv->d, nv = mv->nv, nq = mv->nq;
    enum { W = 1024 };          /* items per tile */
    float *S = tt_alloc((size_t)nq * W * (size_t)nv, sizeof(float), "scores", err);
    cand *top = S ? tt_alloc((size_t)(k > 0 ? k : 1), sizeof(cand), "top k", err) : NULL;
    if (!top) {
        free(S);
        return -1;
    }
    for (int64_t e = 0; e < n; e++) {
        const int qe = active(mv, e);
        int nt = 0;
        for (int32_t base = 0; base < mv->n_items; base += W) {
            int w = (int)TT_MIN((int32_t)W, mv->n_items - base);
            /* S (qe, w nv) = Q_e (qe, d) . V[base .. base + w) (w nv, d)^T */
            tt_gemm(0, 1, qe, w * nv, d, 1.0f, Q + e * nq * d, d, mv->V + (int64_t)base * nv * d,
                    d, 0.0f, S, w * nv);
            for (int j = 0; j < w; j++) {
                float s = 0;
                for (int h = 0; h < qe; h++) {
                    const float *row = S + (int64_t)h * w * nv + (int64_t)j * nv;
                    float best = row[0];
                    for (int g = 1; g < nv; g++)
                        best = row[g] > best ? row[g] : best;
                    if (mv->summax)
                        s = h == 0 ? best : s + best;
                    else
                        s = h == 0 || best > s ? best : s;
                }
                top_insert(top, &nt, k, s, base + j);
            }
        }
        for (int r = 0; r < k; r++) {
            items[e * k + r] = r < nt ? top[r].j : -1;
            scores[e * k + r] = r < nt ? top[r].s : NAN;
        }
    }
    free(S);
    free(top);
    return 0;
}

int tt_index_mv_recall(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t n,
                       const int *ks, int n_k, double *rec, tt_err *err)
{
    int K = (int)TT_MIN((int64_t)ks[n_k - 1], (int64_t)mv->n_items);
    size_t cells = (size_t)(n > 0 ? n : 1) * (size_t)K;
    int32_t *ex = tt_alloc(cells, sizeof(int32_t), "exact top k", err);
    int32_t *ix = ex ? tt_alloc(cells, sizeof(int32_t), "index top k", err) : NULL;
    float *sc = ix ? tt_alloc(cells, sizeof(float), "top k scores", err) : NULL;
    char *in = sc ? tt_alloc((size_t)mv->n_items, 1, "exact top k", err) : NULL;
    int rc = in ? 0 : -1;
    for (int i = 0; i < n_k; i++)
        rec[i] = 0;
    if (rc == 0)
        rc = tt_index_mv_exact_topk(mv, Q, n, K, ex, sc, err);
    if (rc == 0)
        rc = tt_index_mv_topk(ie, mv, Q, n, K, NULL, 0, ix, sc, NULL, err);
    for (int64_t q = 0; rc == 0 && q < n; q++)
        for (int c = 0; c < n_k; c++) {
            int k = TT_MIN(ks[c], K), got = 0, hit = 0;
            const int32_t *te = ex + q * K, *ti = ix + q * K;
            while (got < k && te[got] >= 0)
                in[te[got++]] = 1;
            for (int j = 0; j < got; j++)
                hit += ti[j] >= 0 && in[ti[j]];
            for (int j = 0; j < got; j++)
                in[te[j]] = 0;
            rec[c] += got ? (double)hit / got : 1.0;
        }
    for (int i = 0; rc == 0 && i < n_k && n > 0; i++)
        rec[i] /= (double)n;
    free(ex), free(ix), free(sc), free(in);
    return rc;
}

typedef struct mv_batch {
    tt_indexent *ie;
    const tt_index_mv *mv;
    const float *Q;
    int64_t n;
    int k;
    int32_t *items;
    float *scores;
} mv_batch;

/* Queries [i, i + n) of the batch. */
static int mv_run(const mv_batch *b, int64_t i, int64_t n, tt_err *err)
{
    const float *Q = b->Q + i * b->mv->nq * b->mv->d;
    if (b->ie)
        return tt_index_mv_topk(b->ie, b->mv, Q, n, b->k, NULL, 0, b->items, b->scores, NULL,
                                err);
    return tt_index_mv_exact_topk(b->mv, Q, n, b->k, b->items, b->scores, err);
}

static int mv_batch_run(void *ctx, tt_err *err)
{
    mv_batch *b = ctx;
    return mv_run(b, 0, b->n, err);
}

static int mv_one_run(void *ctx, int64_t i, tt_err *err)
{
    return mv_run(ctx, i, 1, err);
}

int tt_index_mv_speed(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t n, int k,
                      int threads, tt_index_speed *out, int latency, tt_err *err)
{
    memset(out, 0, sizeof *out);
    k = (int)TT_MIN((int64_t)k, (int64_t)mv->n_items);
    if (n <= 0 || k <= 0)
        return 0;
    size_t cells = (size_t)n * (size_t)k;
    int32_t *items = tt_alloc(cells, sizeof(int32_t), "top k", err);
    float *scores = items ? tt_alloc(cells, sizeof(float), "top k", err) : NULL;
    int rc = scores ? 0 : -1, keep = tt_blas_get_threads();
    if (rc == 0) {
        mv_batch b = {ie, mv, Q, n, k, items, scores};
        if (ie)
            tt_ann_set_threads(threads);
        else if (threads == 1)
            tt_blas_set_threads(1);
        rc = tt_index_time_batches(mv_batch_run, &b, n, threads == 1, out, err);
        if (rc == 0 && latency) {   /* one request at a time, one thread */
            if (ie)
                tt_ann_set_threads(1);
            tt_blas_set_threads(1);
            rc = tt_index_time_queries(mv_one_run, &b, n, out, err);
        }
    }
    tt_blas_set_threads(keep);
    tt_ann_set_threads(0);
    free(items);
    free(scores);
    return rc;
}

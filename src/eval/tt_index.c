/* tt_index: a model's item vectors in an approximate index, and the
 * protocol's measures taken through it (tt_index.h has the contracts). */
#include "tt_index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_eval.h"

void tt_indexent_init(tt_indexent *ie)
{
    memset(ie, 0, sizeof *ie);
    ie->p.kind = TT_ANN_FLAT;
    ie->metric = TT_IM_AUTO;
    ie->p.nprobe = 8;
    ie->p.M = 16;
    ie->p.efSearch = 64;
    ie->p.efConstruction = 40;
    ie->p.nbits = 8;
    ie->p.refine = 4;
}

uint64_t tt_index_fingerprint(tt_model *m)
{
    /* FNV-1a over the parameter block's bytes and the vector width. */
    uint64_t h = 1469598103934665603ull;
    const unsigned char *b = (const unsigned char *)tt_model_params(m);
    size_t n = (size_t)tt_model_param_count(m) * sizeof(float);
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    h = (h ^ (uint64_t)tt_model_dim(m)) * 1099511628211ull;
    return h;
}

float tt_index_ip2l2_items(const float *V, int64_t n, int d, float *out)
{
    double M2 = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++)
            s += (double)V[i * d + j] * V[i * d + j];
        if (s > M2)
            M2 = s;
    }
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            out[i * (d + 1) + j] = V[i * d + j];
            s += (double)V[i * d + j] * V[i * d + j];
        }
        out[i * (d + 1) + d] = (float)sqrt(M2 - s > 0 ? M2 - s : 0);
    }
    return (float)sqrt(M2);
}

void tt_index_ip2l2_queries(const float *Q, int64_t n, int d, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        memcpy(out + i * (d + 1), Q + i * d, sizeof(float) * (size_t)d);
        out[i * (d + 1) + d] = 0;
    }
}

int tt_index_build(tt_indexent *ie, const float *V, int32_t n_items, int d, uint64_t seed,
                   tt_err *err)
{
    const float *X = V;
    float *T = NULL;
    int dx = d;
    ie->d = d;
    ie->n_items = n_items;
    ie->max_norm = 0;
    ie->p.metric = ie->metric == TT_IM_IP ? TT_ANN_IP : TT_ANN_L2;
    if (ie->metric == TT_IM_IP2L2) {
        T = tt_alloc((size_t)n_items * (size_t)(d + 1), sizeof(float), "transformed item vectors", err);
        if (!T)
            return -1;
        ie->max_norm = tt_index_ip2l2_items(V, n_items, d, T);
        X = T;
        dx = d + 1;
    }
    double t0 = tt_now();
    /* Builds run on one thread: an HNSW graph built on several threads
     * depends on their timing (the same command would give another index),
     * and OpenMP's barriers can cost more than the work on a busy machine
     * (0.8 s instead of 0.01 s for k-means over 500 items on 2 loaded cores;
     * an IVF-PQ build 10 times slower). Searches use every thread. */
    tt_ann_set_threads(1);
    int rc = tt_ann_build(&ie->p, X, n_items, dx, seed, &ie->ann, err);
    ie->build_s = tt_now() - t0;
    free(T);
    if (rc)
        return -1;
    ie->bytes = tt_ann_bytes(ie->ann);
    return 0;
}

void tt_index_free(tt_indexent *ie)
{
    tt_ann_free(ie->ann);
    ie->ann = NULL;
}

const float *tt_index_queries(const tt_indexent *ie, const float *Q, int64_t n, float *out)
{
    if (ie->metric != TT_IM_IP2L2)
        return Q;
    tt_index_ip2l2_queries(Q, n, ie->d, out);
    return out;
}

static int dx_of(const tt_indexent *ie)
{
    return ie->metric == TT_IM_IP2L2 ? ie->d + 1 : ie->d;
}

int64_t tt_index_excl_count(const tt_split *sp, enum tt_part p, int32_t u)
{
    int64_t c = 0;
    for (int q = 0; q <= (int)p; q++)
        if (sp->off[q])
            c += sp->off[q][u + 1] - sp->off[q][u];
    return c;
}

int64_t tt_index_mark_excl(const tt_split *sp, enum tt_part p, int32_t u, int32_t t, char *mark,
                           char v)
{
    int64_t c = 0;
    for (int q = 0; q <= (int)p; q++) {
        if (!sp->off[q] || !sp->items[q])
            continue;
        for (int64_t i = sp->off[q][u]; i < sp->off[q][u + 1]; i++) {
            int32_t j = sp->items[q][i];
            if (j != t)
                mark[j] = v;
            c++;
        }
    }
    return c;
}

int tt_index_rank(tt_indexent *ie, const float *Qx, const tt_split *sp, enum tt_part p,
                  int kmax, int64_t *ranks, tt_err *err)
{
    const tt_examples *ex = &sp->part[p];
    const int32_t n = ie->n_items;
    const int dx = dx_of(ie);
    enum { CELLS = 1 << 19 };   /* ids + distances per batch: 6 MiB */
    char *mark = tt_alloc((size_t)n, 1, "exclusion marks", err);
    int64_t *ids = mark ? tt_alloc(CELLS, sizeof(int64_t), "index results", err) : NULL;
    float *dist = ids ? tt_alloc(CELLS, sizeof(float), "index results", err) : NULL;
    int rc = dist ? 0 : -1;
    tt_ann_set_threads(0);
    for (int64_t b = 0; rc == 0 && b < ex->n;) {
        /* A batch whose widest over-fetch still fits the buffers. */
        int64_t e = b, kq = 0;
        while (e < ex->n) {
            int64_t k = TT_MIN((int64_t)n, kmax + tt_index_excl_count(sp, p, ex->user[e]));
            int64_t kk = TT_MAX(kq, k);
            if (e > b && (e - b + 1) * kk > CELLS)
                break;
            kq = kk;
            e++;
        }
        if ((e - b) * kq > CELLS)   /* a single example wider than the buffers */
            kq = CELLS;
        if (tt_ann_search(ie->ann, Qx + b * dx, e - b, (int)kq, dist, ids, err)) {
            rc = -1;
            break;
        }
        for (int64_t i = b; i < e; i++) {
            int32_t u = ex->user[i], t = ex->item[i];
            tt_index_mark_excl(sp, p, u, t, mark, 1);
            int64_t r = 0, rank = (int64_t)n + 1;
            const int64_t *row = ids + (i - b) * kq;
            for (int64_t j = 0; j < kq && r < kmax; j++) {
                if (row[j] < 0 || row[j] >= n || mark[row[j]])
                    continue;
                r++;
                if (row[j] == t) {
                    rank = r;
                    break;
                }
            }
            ranks[i] = rank;
            tt_index_mark_excl(sp, p, u, t, mark, 0);
        }
        b = e;
    }
    free(mark);
    free(ids);
    free(dist);
    return rc;
}

int tt_index_recall_of(tt_indexent *ie, const float *Qx, int64_t nq, const int32_t *exact,
                       int K, const int *ks, int n_k, double *rec, tt_err *err)
{
    enum { B = 256 };
    int kq = TT_MIN(ks[n_k - 1], K);
    int64_t *ids = tt_alloc((size_t)B * (size_t)(kq ? kq : 1), sizeof(int64_t), "index results", err);
    float *dist = ids ? tt_alloc((size_t)B * (size_t)(kq ? kq : 1), sizeof(float), "index results", err) : NULL;
    char *in = dist ? tt_alloc((size_t)ie->n_items, 1, "exact top k", err) : NULL;
    int rc = in ? 0 : -1;
    for (int i = 0; i < n_k; i++)
        rec[i] = 0;
    tt_ann_set_threads(0);
    for (int64_t b = 0; rc == 0 && b < nq && kq > 0; b += B) {
        int64_t m = TT_MIN((int64_t)B, nq - b);
        if (tt_ann_search(ie->ann, Qx + b * dx_of(ie), m, kq, dist, ids, err)) {
            rc = -1;
            break;
        }
        for (int64_t q = 0; q < m; q++) {
            const int32_t *tq = exact + (b + q) * K;
            for (int c = 0; c < n_k; c++) {
                int k = TT_MIN(ks[c], kq), got = 0;
                while (got < k && tq[got] >= 0)
                    got++;
                for (int j = 0; j < got; j++)
                    in[tq[j]] = 1;
                int hit = 0;
                for (int j = 0; j < got; j++) {
                    int64_t id = ids[q * kq + j];
                    hit += id >= 0 && id < ie->n_items && in[id];
                }
                for (int j = 0; j < got; j++)
                    in[tq[j]] = 0;
                rec[c] += got ? (double)hit / got : 1.0;
            }
        }
    }
    for (int i = 0; i < n_k && nq > 0; i++)
        rec[i] /= (double)nq;
    free(ids);
    free(dist);
    free(in);
    return rc;
}

int tt_index_recall(tt_indexent *ie, const float *Q, const float *Qx, int64_t nq,
                    const float *V, const int *ks, int n_k, double *rec, tt_err *err)
{
    int K = TT_MIN(ks[n_k - 1], ie->n_items);
    int32_t *top = tt_alloc((size_t)(nq > 0 ? nq : 1) * (size_t)K, sizeof(int32_t), "exact top k", err);
    float *sc = top ? tt_alloc((size_t)(nq > 0 ? nq : 1) * (size_t)K, sizeof(float), "exact top k", err) : NULL;
    int rc = sc ? 0 : -1;
    if (rc == 0)
        rc = tt_topk_batch(Q, nq, V, ie->n_items, ie->d, K, 0, top, sc, NULL, err);
    if (rc == 0)
        rc = tt_index_recall_of(ie, Qx, nq, top, K, ks, n_k, rec, err);
    free(top);
    free(sc);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wall latencies t and CPU times c (seconds, n each) into the percentiles
 * of out; both arrays are sorted in place. */
static void percentiles(double *t, double *c, int n, tt_index_speed *out)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    out->p50_ms = 1e3 * t[(int)(0.50 * (n - 1) + 0.5)];
    out->p99_ms = 1e3 * t[(int)(0.99 * (n - 1) + 0.5)];
    out->cpu_p50_ms = 1e3 * c[(int)(0.50 * (n - 1) + 0.5)];
}

enum { LAT_MAX = 2000 };

/* The batched-speed window: repeat a batch until it has used this much CPU
 * (enough to time on a loaded machine, where 0.25 s of wall clock may hold
 * a few milliseconds of work) or this much wall clock, at most BATCH_REPS
 * times. */
#define BATCH_CPU_S 0.25
#define BATCH_WALL_S 2.0
#define BATCH_REPS 100

int tt_index_time_batches(tt_index_batch_fn fn, void *ctx, int64_t nq, int one_thread,
                          tt_index_speed *out, tt_err *err)
{
    double (*cpu)(void) = one_thread ? tt_thread_cpu_now : tt_cpu_now;
    double w0 = tt_now(), c0 = cpu(), dw = 0, dc = 0;
    int64_t done = 0;
    int rc = 0;
    for (int rep = 0; rc == 0 && rep < BATCH_REPS && dc < BATCH_CPU_S && dw < BATCH_WALL_S;
         rep++) {
        rc = fn(ctx, err);
        done += nq;
        dw = tt_now() - w0;
        dc = cpu() - c0;
    }
    out->qps = dw > 0 ? (double)done / dw : 0;
    out->cpu_us = done > 0 ? 1e6 * dc / (double)done : 0;
    return rc;
}

int tt_index_time_queries(tt_index_one_fn fn, void *ctx, int64_t nq, tt_index_speed *out,
                          tt_err *err)
{
    int n = (int)TT_MIN((int64_t)LAT_MAX, nq);
    if (n <= 0)
        return 0;
    double *lat = tt_alloc(2 * (size_t)n, sizeof(double), "latencies", err);
    if (!lat)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        double t0 = tt_now(), c0 = tt_thread_cpu_now();
        rc = fn(ctx, i, err);
        lat[i] = tt_now() - t0;
        lat[n + i] = tt_thread_cpu_now() - c0;
    }
    if (rc == 0)
        percentiles(lat, lat + n, n, out);
    free(lat);
    return rc;
}

typedef struct {
    tt_indexent *ie;
    const float *Qx;   /* nq queries, dx floats apart */
    int64_t nq;
    int dx, k;
    float *dist;
    int64_t *ids;
} ann_batch;

static int ann_batch_run(void *ctx, tt_err *err)
{
    ann_batch *b = ctx;
    return tt_ann_search(b->ie->ann, b->Qx, b->nq, b->k, b->dist, b->ids, err);
}

typedef struct {
    const float *Q, *V;
    int64_t nq;
    int32_t n_items;
    int d, k, threads;
    int32_t *top;
    float *sc;
} exact_batch;

static int exact_batch_run(void *ctx, tt_err *err)
{
    exact_batch *b = ctx;
    return tt_topk_batch(b->Q, b->nq, b->V, b->n_items, b->d, b->k, b->threads, b->top, b->sc,
                         NULL, err);
}

/* Query i alone (the latency loop): tt_topk of its row on this thread. */
static int exact_one_run(void *ctx, int64_t i, tt_err *err)
{
    (void)err;
    exact_batch *b = ctx;
    tt_topk(b->Q + i * b->d, b->V, b->n_items, b->d, NULL, 0, b->k, b->top, b->sc);
    return 0;
}

/* Query i alone (the latency loop). */
static int ann_one_run(void *ctx, int64_t i, tt_err *err)
{
    ann_batch *b = ctx;
    return tt_ann_search(b->ie->ann, b->Qx + i * b->dx, 1, b->k, b->dist, b->ids, err);
}

int tt_index_speed_of(tt_indexent *ie, const float *Qx, int64_t nq, int k, int threads,
                      tt_index_speed *out, int latency, tt_err *err)
{
    int dx = dx_of(ie);
    k = TT_MIN(k, ie->n_items);
    memset(out, 0, sizeof *out);
    int64_t *ids = tt_alloc((size_t)nq * (size_t)k, sizeof(int64_t), "index results", err);
    float *dist = ids ? tt_alloc((size_t)nq * (size_t)k, sizeof(float), "index results", err) : NULL;
    int rc = dist ? 0 : -1;
    ann_batch b = {ie, Qx, nq, dx, k, dist, ids};
    if (rc == 0) {
        /* One pass over a few hundred queries is too short to time on a
         * busy machine: the batch again (tt_index_time_batches). */
        tt_ann_set_threads(threads);
        rc = tt_index_time_batches(ann_batch_run, &b, nq, threads == 1, out, err);
    }
    if (rc == 0 && latency) {
        /* One OpenMP thread: Faiss searches on the calling thread, whose
         * CPU clock then holds the query's whole cost. */
        tt_ann_set_threads(1);
        rc = tt_index_time_queries(ann_one_run, &b, nq, out, err);
    }
    tt_ann_set_threads(0);
    free(ids);
    free(dist);
    return rc;
}

int tt_index_exact_speed(const float *Q, int64_t nq, const float *V, int32_t n_items, int d,
                         int k, int threads, tt_index_speed *out, int latency, tt_err *err)
{
    k = (int)TT_MIN((int64_t)k, (int64_t)n_items);
    memset(out, 0, sizeof *out);
    if (nq <= 0 || k <= 0)
        return 0;
    int32_t *top = tt_alloc((size_t)nq * (size_t)k, sizeof(int32_t), "exact top k", err);
    float *sc = top ? tt_alloc((size_t)nq * (size_t)k, sizeof(float), "exact top k", err) : NULL;
    int rc = sc ? 0 : -1;
    /* On one thread BLAS is pinned to one thread too: tt_topk_batch with one
     * worker leaves BLAS its own count, and the "one thread" figure would
     * then be BLAS's threads' (and so would the latency loop's). */
    int nt = threads > 0 ? threads : tt_ann_max_threads(), keep = tt_blas_get_threads();
    if (rc == 0 && nt == 1)
        tt_blas_set_threads(1);
    exact_batch b = {Q, V, nq, n_items, d, k, nt, top, sc};
    if (rc == 0) {
        /* As tt_index_speed_of: the batch again (tt_index_time_batches). */
        rc = tt_index_time_batches(exact_batch_run, &b, nq, nt == 1, out, err);
    }
    if (rc == 0 && latency) {
        /* One request at a time on one thread: one query's scores (a GEMV
         * in tiles), as a server answers a request that arrives alone; the
         * calling thread's CPU clock holds it all. */
        tt_blas_set_threads(1);
        rc = tt_index_time_queries(exact_one_run, &b, nq, out, err);
    }
    tt_blas_set_threads(keep);
    free(top);
    free(sc);
    return rc;
}

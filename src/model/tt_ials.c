/* tt_ials: implicit alternating least squares (Hu, Koren and Volinsky 2008)
 * in the form and with the settings Rendle et al. ("Revisiting the
 * Performance of iALS on Item Recommendation Benchmarks", RecSys 2022) tune:
 *   L = sum over observed (u, i) of (1 - w_u.h_i)^2
 *     + w0 * sum over all (u, i) of (w_u.h_i)^2
 *     + lambda * (sum_u nu_u |w_u|^2 + sum_i nu_i |h_i|^2),
 *   nu_u = (|I_u| + w0 * n_items)^nu  (nu = 0: plain L2; nu = 1: scaled by
 *   frequency, their recommended choice).
 * Each half-step solves, per user, (w0 G + sum_{i in I_u} h_i h_i^T + lambda
 * nu_u I) w_u = sum_{i in I_u} h_i with G = H^T H (the Gramian trick), by
 * Cholesky (LAPACK); then the same for the items. Factors start N(0,
 * std / sqrt(dim)). Users are scored by folding in their history with the
 * same solve (train for valid, train + valid for test): queries are w_u,
 * items h_i, score w_u.h_i. Parameters: W (n_users, dim), H (n_items, dim). */
#include "tt_model_impl.h"
#include "tt_mkind.h"
#include "tt_blas.h"
#include "tt_lapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { O_DIM = 0, O_ITERS = 1, O_LAMBDA = 2, O_W0 = 3, O_NU = 4, O_STD = 5 };

static int ials_build(tt_model *m, const tt_dataset *d, tt_err *err)
{
    int k = (int)m->def.kopt[O_DIM];
    if (tt_model_add_tensor(m, "ials.W", "user factors", d->n_users, k, 0, 1, err) < 0 ||
        tt_model_add_tensor(m, "ials.H", "item factors", d->n_items, k, 0, 1, err) < 0)
        return -1;
    m->D = k;
    return 0;
}

/* One side's half-step: rows X (n_rows, k) from the other side's factors Y
 * (n_other, k) and the rows' lists (CSR off/idx, sorted, repeats skipped). */
typedef struct als_job {
    const tt_model *m;
    int k;
    double lambda, w0, nu;
    int32_t n_other;
    const float *Y, *G;      /* (n_other, k), (k, k) = Y^T Y */
    float *X;
    int64_t n_rows;
    /* rows' lists: either CSR or, for fold-in, a split's history */
    const int64_t *off;
    const int32_t *idx;
    const tt_split *sp;      /* fold-in: history of part p's example users */
    enum tt_part p;
    int64_t max_len;
    float *buf[16];          /* per thread: (max_len, k) gathered rows, (k, k), (k) */
    int fail;                /* a solve failed (not positive definite) */
} als_job;

/* Solve one row: x = (w0 G + Yi^T Yi + lambda nu_r I)^-1 Yi^T 1. */
static int solve_row(const als_job *j, float *buf, const int32_t *list, int64_t n, float *x)
{
    int k = j->k;
    float *Yi = buf, *A = buf + j->max_len * k;
    tt_err e;
    for (int64_t q = 0; q < n; q++)
        memcpy(Yi + q * k, j->Y + (int64_t)list[q] * k, (size_t)k * sizeof(float));
    double reg = j->lambda * pow((double)n + j->w0 * (double)j->n_other, j->nu);
    for (int a = 0; a < k * k; a++)
        A[a] = (float)(j->w0 * j->G[a]);
    for (int a = 0; a < k; a++)
        A[a * k + a] += (float)reg;
    /* A += Yi^T Yi */
    if (n > 0)
        tt_gemm(1, 0, k, k, (int)n, 1.0f, Yi, k, Yi, k, 1.0f, A, k);
    /* b = Yi^T 1 */
    memset(x, 0, (size_t)k * sizeof(float));
    for (int64_t q = 0; q < n; q++)
        for (int a = 0; a < k; a++)
            x[a] += Yi[q * k + a];
    return tt_spd_solve(A, k, x, 1, &e);
}

static void als_part(void *ctx, int tid, int nt)
{
    als_job *j = ctx;
    long r0, r1;
    int32_t *list = (int32_t *)(j->buf[tid] + j->max_len * j->k + j->k * j->k);
    tt_par_range(j->n_rows, tid, nt, &r0, &r1);
    for (long r = r0; r < r1; r++) {
        int64_t n = 0;
        if (j->sp) {
            tt_hist h;
            tt_hist_init(&h, j->sp, j->p, j->sp->part[j->p].user[r]);
            for (int32_t i; (i = tt_hist_next(&h)) >= 0 && n < j->max_len;)
                list[n++] = i;
        } else {
            for (int64_t q = j->off[r]; q < j->off[r + 1]; q++)
                if (q == j->off[r] || j->idx[q - 1] != j->idx[q])
                    list[n++] = j->idx[q];
        }
        if (solve_row(j, j->buf[tid], list, n, j->X + (int64_t)r * j->k))
            j->fail = 1;
    }
}

/* G = Y^T Y (k, k) */
static void gram(const float *Y, int64_t n, int k, float *G)
{
    tt_gemm(1, 0, k, k, (int)n, 1.0f, Y, k, Y, k, 0.0f, G, k);
}

/* Run a half-step with nt threads; buffers sized for max_len. */
static int als_run(als_job *j, int nt, tt_pool *pool, tt_err *err)
{
    int k = j->k, rc = 0;
    for (int t = 0; t < nt; t++) {
        size_t fl = (size_t)j->max_len * k + (size_t)k * k + (size_t)k;
        j->buf[t] = tt_alloc(fl + (size_t)j->max_len + 1, sizeof(float), "ials buffers", err);
        if (!j->buf[t])
            rc = -1;
    }
    if (!rc) {
        int bt = tt_blas_get_threads();
        if (nt > 1)
            tt_blas_set_threads(1);   /* our threads call BLAS side by side */
        j->fail = 0;
        tt_pool_run(pool, als_part, j);
        if (nt > 1)
            tt_blas_set_threads(bt);
        if (j->fail)
            rc = tt_err_set(err, "model %s: a least-squares system is not positive definite; "
                            "raise lambda", j->m->def.name);
    }
    for (int t = 0; t < nt; t++) {
        free(j->buf[t]);
        j->buf[t] = NULL;
    }
    return rc;
}

static int ials_fit(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
                    volatile sig_atomic_t *stop, tt_err *err)
{
    (void)d;
    int k = (int)m->def.kopt[O_DIM], iters = (int)m->def.kopt[O_ITERS];
    int nt = TT_MIN(TT_MAX(n_threads, 1), 16), rc = -1;
    int32_t n = m->n_items, nu = m->n_users;
    const int64_t *off = sp->off[TT_TRAIN];
    const int32_t *it = sp->items[TT_TRAIN];
    float *W = m->param + m->par[0].off, *H = m->param + m->par[1].off;
    float *G = tt_alloc((size_t)k * k, sizeof(float), "ials Gramian", err);
    int64_t *ioff = tt_alloc((size_t)n + 1, sizeof *ioff, "ials item users", err);
    int32_t *iu = tt_alloc((size_t)TT_MAX(off[nu], 1), sizeof *iu, "ials item users", err);
    int64_t *fill = tt_alloc((size_t)n + 1, sizeof *fill, "ials item users", err);
    tt_pool *pool = NULL;
    if (!G || !ioff || !iu || !fill || (nt > 1 && tt_pool_create(&pool, nt, err)))
        goto out;
    /* Users of each item: the transposed training lists. */
    int64_t umax = 0, imax = 0;
    for (int32_t u = 0; u < nu; u++) {
        umax = TT_MAX(umax, off[u + 1] - off[u]);
        for (int64_t r = off[u]; r < off[u + 1]; r++)
            ioff[it[r] + 1]++;
    }
    for (int32_t i = 0; i < n; i++) {
        imax = TT_MAX(imax, ioff[i + 1]);
        ioff[i + 1] += ioff[i];
    }
    for (int32_t u = 0; u < nu; u++)
        for (int64_t r = off[u]; r < off[u + 1]; r++)
            iu[ioff[it[r]] + fill[it[r]]++] = u;
    /* Initialisation: N(0, std / sqrt(k)), from the model's seed. */
    double sd = m->def.kopt[O_STD] / sqrt((double)k);
    for (int64_t q = 0; q < m->n_param; q++)
        m->param[q] = (float)(sd * tt_rng_normal(&m->rng));
    als_job j = {.m = m, .k = k, .lambda = m->def.kopt[O_LAMBDA], .w0 = m->def.kopt[O_W0],
                 .nu = m->def.kopt[O_NU]};
    for (int t = 0; t < iters && !(stop && *stop); t++) {
        /* users from items */
        gram(H, n, k, G);
        j.n_other = n, j.Y = H, j.G = G, j.X = W, j.n_rows = nu, j.off = off, j.idx = it;
        j.max_len = TT_MAX(umax, 1);
        if (als_run(&j, nt, pool, err))
            goto out;
        /* items from users */
        gram(W, nu, k, G);
        j.n_other = nu, j.Y = W, j.X = H, j.n_rows = n, j.off = ioff, j.idx = iu;
        j.max_len = TT_MAX(imax, 1);
        if (als_run(&j, nt, pool, err))
            goto out;
    }
    rc = 0;
out:
    tt_pool_free(pool);
    free(G);
    free(ioff);
    free(iu);
    free(fill);
    return rc;
}

static int ials_items(tt_model *m, const tt_dataset *d, float *V, tt_err *err)
{
    (void)d, (void)err;
    memcpy(V, m->param + m->par[1].off, (size_t)m->par[1].n * sizeof(float));
    return 0;
}

/* Queries: each example's user folded in from the history before p. */
static int ials_part(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                     float *Q, tt_err *err)
{
    (void)d;
    int k = (int)m->D;
    const tt_examples *ex = &sp->part[p];
    int64_t hmax = 1;
    for (int64_t e = 0; e < ex->n; e++) {
        tt_hist h;
        tt_hist_init(&h, sp, p, ex->user[e]);
        int64_t c = 0;
        for (int q = 0; q < h.n; q++)
            c += h.e[q] - h.a[q];
        hmax = TT_MAX(hmax, c);
    }
    float *G = tt_alloc((size_t)k * k, sizeof(float), "ials Gramian", err);
    if (!G)
        return -1;
    const float *H = m->param + m->par[1].off;
    gram(H, m->n_items, k, G);
    als_job j = {.m = m, .k = k, .lambda = m->def.kopt[O_LAMBDA], .w0 = m->def.kopt[O_W0],
                 .nu = m->def.kopt[O_NU], .n_other = m->n_items, .Y = H, .G = G, .X = Q,
                 .n_rows = ex->n, .sp = sp, .p = p, .max_len = hmax};
    int rc = als_run(&j, 1, NULL, err);
    free(G);
    return rc;
}

const tt_mkind tt_mkind_ials = {
    .name = "ials",
    .code = 4,
    .summary = "implicit ALS (Hu et al. 2008; Rendle et al. 2022's form): user and item factors",
    .opts = {
        {"dim", 64, 1, 1024, 1, 0, "factors per user and item"},
        {"iters", 10, 1, 1000, 1, 0, "alternating iterations (users, then items)"},
        {"lambda", 0.01, 0, 1e9, 0, 1, "L2 penalty, scaled per row by nu"},
        {"w0", 0.1, 0, 1e9, 0, 0, "weight of the unobserved pairs"},
        {"nu", 1, 0, 1, 0, 0, "frequency scaling of the penalty, (|I_u| + w0 n)^nu"},
        {"std", 0.1, 0, 10, 0, 1, "initial factors N(0, std / sqrt(dim))"},
    },
    .fitted = 1,
    .iterative = 1,
    .build = ials_build,
    .fit = ials_fit,
    .encode_items = ials_items,
    .encode_part = ials_part,
};

/* tt_ease: EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse
 * Data", WWW 2019). With X the binary user x item training matrix,
 *   P = (X^T X + lambda I)^-1,   B = I - P diagMat(1 / diag(P)),
 * i.e. B_ij = -P_ij / P_jj off the diagonal and B_jj = 0: the closed form of
 * min ||X - X B||^2 + lambda ||B||^2 subject to diag(B) = 0. A user's scores
 * are x_u B, x_u the user's history. The inverse is LAPACK's (spotrf,
 * spotri); the item x item matrix is the one parameter tensor, so a
 * catalogue whose matrix does not fit in memory is refused up front. */
#include "tt_model_impl.h"
#include "tt_mkind.h"
#include "tt_lapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { O_LAMBDA = 0 };

/* Memory EASE may take: half the machine's physical memory. */
static double ease_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? 0.5 * (double)pages * (double)psz : 4e9;
}

static int ease_build(tt_model *m, const tt_dataset *d, tt_err *err)
{
    double n = d->n_items, need = n * n * sizeof(float), lim = ease_limit();
    if (need > lim || n > 46340)
        return tt_err_set(err,
                          "ease needs the %d x %d item matrix, %.1f GiB, more than the %.1f GiB "
                          "it may use (half of this machine's memory); use itemknn or ials for a "
                          "catalogue of %d items",
                          d->n_items, d->n_items, need / 1073741824.0,
                          lim / 1073741824.0, d->n_items);
    if (tt_model_add_tensor(m, "ease.B", "item x item weights B (row: from, column: to)",
                            d->n_items, d->n_items, 0, 1, err) < 0)
        return -1;
    m->D = d->n_items;
    return 0;
}

typedef struct gram_job {
    const tt_split *sp;
    int32_t n_users, n;
    float *G;            /* (n, n) row-major; upper triangle written */
} gram_job;

/* G += X^T X over rows [r0, r1) of G: each thread owns a band of rows, so
 * no two threads write the same element; a user's items are sorted, so the
 * band's items are a contiguous slice of the user's list. */
static void gram_part(void *ctx, int tid, int nt)
{
    gram_job *g = ctx;
    long r0, r1;
    tt_par_range(g->n, tid, nt, &r0, &r1);
    const int64_t *off = g->sp->off[TT_TRAIN];
    const int32_t *it = g->sp->items[TT_TRAIN];
    for (int32_t u = 0; u < g->n_users; u++) {
        const int32_t *a = it + off[u], *e = it + off[u + 1];
        for (const int32_t *p = a; p < e; p++) {
            if (*p < r0 || (p > a && p[-1] == *p))
                continue;
            if (*p >= r1)
                break;
            float *row = g->G + (size_t)*p * g->n;
            for (const int32_t *q = p; q < e; q++)
                if (q == p || q[-1] != *q)
                    row[*q] += 1.0f;
        }
    }
}

static int ease_fit(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
                    volatile sig_atomic_t *stop, tt_err *err)
{
    (void)d, (void)stop;
    int32_t n = m->n_items;
    float *G = m->param;
    double lambda = m->def.kopt[O_LAMBDA];
    memset(G, 0, (size_t)n * n * sizeof(float));
    gram_job g = {sp, m->n_users, n, G};
    tt_pool *pool = NULL;
    if (n_threads > 1 && tt_pool_create(&pool, n_threads, err))
        return -1;
    tt_pool_run(pool, gram_part, &g);
    tt_pool_free(pool);
    for (int32_t i = 0; i < n; i++)
        G[(size_t)i * n + i] += (float)lambda;
    /* P = (X^T X + lambda I)^-1 in place */
    if (tt_spd_inverse(G, n, n, err))
        return tt_err_prefix(err, "model %s: ease with lambda=%g", m->def.name, lambda);
    /* B_ij = -P_ij / P_jj, B_jj = 0, in place: a column scaling by the
     * reciprocal diagonal, kept aside first. */
    float *rd = tt_alloc((size_t)n, sizeof(float), "ease diagonal", err);
    if (!rd)
        return -1;
    for (int32_t j = 0; j < n; j++)
        rd[j] = -1.0f / G[(size_t)j * n + j];
    for (int32_t i = 0; i < n; i++) {
        float *row = G + (size_t)i * n;
        for (int32_t j = 0; j < n; j++)
            row[j] *= rd[j];
        row[i] = 0.0f;
    }
    free(rd);
    return 0;
}

/* tile row r = sum over the user's history h of B[h, base:base+w]. */
static void ease_tile(const tt_model *m, const tt_split *sp, enum tt_part p,
                      const int64_t *idx, int n, int64_t base, int w, float *tile)
{
    const float *B = m->param;
    int64_t N = m->n_items;
    for (int r = 0; r < n; r++) {
        float *t = tile + (int64_t)r * w;
        memset(t, 0, (size_t)w * sizeof(float));
        tt_hist h;
        tt_hist_init(&h, sp, p, sp->part[p].user[idx[r]]);
        for (int32_t j; (j = tt_hist_next(&h)) >= 0;) {
            const float *b = B + j * N + base;
            for (int c = 0; c < w; c++)
                t[c] += b[c];
        }
    }
}

const tt_mkind tt_mkind_ease = {
    .name = "ease",
    .code = 2,
    .summary = "EASE (Steck 2019): closed-form item x item weights with a zero diagonal",
    .opts = {
        {"lambda", 100.0, 0.0, 1e12, 0, 1, "L2 penalty (X^T X + lambda I)"},
    },
    .fitted = 1,
    .build = ease_build,
    .fit = ease_fit,
    .score_tile = ease_tile,
};

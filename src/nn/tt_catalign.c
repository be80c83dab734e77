/* tt_catalign: DAT's category alignment loss (Yu et al., "A Dual Augmented
 * Two-tower Model for Online Large-scale Recommendation", DLP-KDD 2021): the
 * covariance of the item vectors of each category is pulled towards that of
 * the batch's major category (Frobenius norm), so that the few items of a
 * small category are not left in a region of their own. */
#include "tt_loss.h"

#include <stdlib.h>
#include <string.h>

static int by_cat(const void *a, const void *b, void *ctx)
{
    const int32_t *cat = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (cat[x] != cat[y])
        return cat[x] < cat[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* mu (D) and C (D, D) = 1/(m-1) sum (x - mu)(x - mu)^T over the rows
 * ord[0..m) of X; m >= 2. */
static void covariance(float *C, float *mu, const float *X, const int64_t *rows,
                       const int32_t *ord, int m, int D)
{
    memset(mu, 0, (size_t)D * sizeof(float));
    memset(C, 0, (size_t)D * D * sizeof(float));
    for (int i = 0; i < m; i++) {
        const float *x = X + rows[ord[i]] * D;
        for (int a = 0; a < D; a++)
            mu[a] += x[a];
    }
    for (int a = 0; a < D; a++)
        mu[a] /= (float)m;
    for (int i = 0; i < m; i++) {
        const float *x = X + rows[ord[i]] * D;
        for (int a = 0; a < D; a++) {
            float xa = x[a] - mu[a];
            float *c = C + (long)a * D;
            for (int b = 0; b < D; b++)
                c[b] += xa * (x[b] - mu[b]);
        }
    }
    for (long j = 0; j < (long)D * D; j++)
        C[j] /= (float)(m - 1);
}

/* dX[rows] += s G (x - mu) for the rows ord[0..m), G (D, D) symmetric. */
static void spread(float *dX, const float *X, const int64_t *rows, const int32_t *ord, int m,
                   const float *mu, const float *G, float s, int D)
{
    for (int i = 0; i < m; i++) {
        const float *x = X + rows[ord[i]] * D;
        float *dx = dX + rows[ord[i]] * D;
        for (int a = 0; a < D; a++) {
            const float *g = G + (long)a * D;
            float v = 0;
            for (int b = 0; b < D; b++)
                v += g[b] * (x[b] - mu[b]);
            dx[a] += s * v;
        }
    }
}

double tt_catalign(float *dX, const float *X, const int64_t *rows, const int32_t *cat, int n,
                   int D, float w, float *scratch, int32_t *order)
{
    float *Cm = scratch, *Cc = Cm + (long)D * D, *Gm = Cc + (long)D * D;
    float *mum = Gm + (long)D * D, *muc = mum + D;
    int32_t *cr = order + n;   /* (n) the category of each row, by row */
    if (n < 2)
        return 0;
    for (int r = 0; r < n; r++) {
        order[r] = r;
        cr[r] = cat[r];
    }
    qsort_r(order, (size_t)n, sizeof *order, by_cat, cr);
    /* the major category: the longest run (the first, i.e. lowest id, on ties) */
    int m0 = 0, mn = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && cr[order[j]] == cr[order[i]])
            j++;
        if (j - i > mn) {
            mn = j - i;
            m0 = i;
        }
        i = j;
    }
    if (mn < 2)
        return 0;
    covariance(Cm, mum, X, rows, order + m0, mn, D);
    memset(Gm, 0, (size_t)D * D * sizeof(float));
    double L = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && cr[order[j]] == cr[order[i]])
            j++;
        int m = j - i;
        if (i != m0 && m >= 2) {
            covariance(Cc, muc, X, rows, order + i, m, D);
            /* A = C_major - C_c, into Cc; L += ||A||^2 */
            for (long q = 0; q < (long)D * D; q++) {
                float a = Cm[q] - Cc[q];
                Cc[q] = a;
                L += (double)a * a;
                Gm[q] += a;
            }
            /* dL/dC_c = -2 w A;  dx_r = 2 / (m - 1) (dL/dC_c) (x_r - mu_c) */
            if (dX)
                spread(dX, X, rows, order + i, m, muc, Cc, -4.0f * w / (float)(m - 1), D);
        }
        i = j;
    }
    /* dL/dC_major = 2 w sum_c A_c */
    if (dX)
        spread(dX, X, rows, order + m0, mn, mum, Gm, 4.0f * w / (float)(mn - 1), D);
    return w * L;
}

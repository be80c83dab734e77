/* test_baselines: EASE, ItemKNN and iALS against naive references (plain
 * loops in double, Gaussian elimination) on small random data: parameters,
 * scores (to 1e-4) and ranks through the exact evaluator; EASE's normal
 * equations with a zero diagonal; the same fit with one and two threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_check.h"
#include "tt_dataset.h"
#include "tt_eval.h"
#include "tt_mkind.h"
#include "tt_model.h"
#include "tt_score.h"
#include "tt_split.h"

/* Solve A x = b (n x n, row-major, double) by Gaussian elimination with
 * partial pivoting; A and b are overwritten, x in b. */
static void gauss(double *A, double *b, int n)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[r * n + c]) > fabs(A[p * n + c]))
                p = r;
        for (int k = 0; k < n; k++) {
            double t = A[c * n + k];
            A[c * n + k] = A[p * n + k];
            A[p * n + k] = t;
        }
        double t = b[c];
        b[c] = b[p];
        b[p] = t;
        for (int r = c + 1; r < n; r++) {
            double f = A[r * n + c] / A[c * n + c];
            for (int k = c; k < n; k++)
                A[r * n + k] -= f * A[c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        for (int k = c + 1; k < n; k++)
            b[c] -= A[c * n + k] * b[k];
        b[c] /= A[c * n + c];
    }
}

/* X (n_users, n_items) binary from the parts before p (train for p = TT_TRAIN). */
static double *matrix(const tt_split *sp, int32_t nu, int32_t n, enum tt_part p)
{
    double *X = calloc((size_t)nu * n, sizeof *X);
    int last = p == TT_TRAIN ? 0 : (int)p - 1;
    for (int q = 0; q <= last; q++)
        for (int32_t u = 0; u < nu; u++)
            for (int64_t r = sp->off[q][u]; r < sp->off[q][u + 1]; r++)
                X[(size_t)u * n + sp->items[q][r]] = 1.0;
    return X;
}

static tt_model *fitted(const tt_dataset *d, const tt_split *sp, enum tt_model_kind k,
                        const char *opts, int threads)
{
    tt_model_def md;
    tt_model_def_init(&md);
    md.kind = k;
    snprintf(md.name, sizeof md.name, "%s", tt_mkind_get(k)->name);
    tt_mkind_defaults(&md);
    /* opts: "name=value name=value" */
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", opts);
    for (char *t = strtok_r(buf, " ", &save); t && *t; t = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(t, '=');
        *eq = 0;
        int o = tt_mkind_opt(k, t);
        CHECK(o >= 0, "option %s", t);
        if (o >= 0)
            md.kopt[o] = atof(eq + 1);
    }
    tt_model *m = NULL;
    tt_err err;
    if (tt_model_create(&md, NULL, NULL, d, 7, &m, &err) ||
        tt_model_fit(m, d, sp, threads, NULL, &err)) {
        CHECK(0, "%s: %s", tt_mkind_get(k)->name, err.msg);
        tt_model_free(m);
        return NULL;
    }
    return m;
}

/* Fitted on two threads with opts, kind k gives the parameters of m (fitted
 * on one) bit for bit. */
static void check_two_threads(tt_model *m, const tt_dataset *d, const tt_split *sp,
                              enum tt_model_kind k, const char *opts)
{
    tt_model *m2 = fitted(d, sp, k, opts, 2);
    CHECK(m2 && !memcmp(tt_model_params(m2), tt_model_params(m),
                        (size_t)tt_model_param_count(m) * sizeof(float)),
          "%s with two threads differs", tt_mkind_get(k)->name);
    tt_model_free(m2);
}

/* Scores of part p's examples for every item, from the model (tiles or
 * vectors): S (n_ex, n_items). */
/* Every test example's score of every item, by each model's rule: tiles, or
 * the naive reference scores (tt_eval_scores_ref) of the FE-Block's sum of
 * maxima or of query . item vectors (the best of a multi-interest user's). */
static float *model_scores(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p)
{
    int H, G, dh;
    int64_t ne = sp->part[p].n;
    int32_t n = d->n_items;
    float *S = calloc((size_t)ne * n, sizeof *S);
    tt_err err;
    if (tt_model_scores_tiles(m)) {
        int64_t *idx = malloc((size_t)ne * sizeof *idx);
        for (int64_t e = 0; e < ne; e++)
            idx[e] = e;
        /* in two uneven tiles, as the evaluator cuts them */
        int w0 = n / 3;
        float *t = malloc((size_t)ne * n * sizeof *t);
        tt_model_score_tile(m, sp, p, idx, (int)ne, 0, w0, t);
        for (int64_t e = 0; e < ne; e++)
            memcpy(S + e * n, t + e * w0, (size_t)w0 * sizeof(float));
        tt_model_score_tile(m, sp, p, idx, (int)ne, w0, n - w0, t);
        for (int64_t e = 0; e < ne; e++)
            memcpy(S + e * n + w0, t + e * (n - w0), (size_t)(n - w0) * sizeof(float));
        free(t);
        free(idx);
    } else if (tt_model_fe_shape(m, &H, &G, &dh)) {
        /* the FE-Block's rule by plain loops: sum over heads of the max over
         * the item's G vectors (first vector wins ties) */
        float *V = malloc((size_t)n * G * dh * sizeof *V), *Q = malloc((size_t)ne * H * dh * sizeof *Q);
        CHECK(!tt_model_encode_item_vectors(m, d, V, &err) &&
              !tt_model_encode_queries(m, d, &sp->part[p], Q, &err), "encode fe: %s", err.msg);
        for (int64_t e = 0; e < ne; e++)
            tt_eval_scores_ref(Q + e * H * dh, H, V, G, n, dh, 1, S + e * n);
        free(V);
        free(Q);
    } else {
        /* one query vector, or several (multi-interest): the best one */
        int D = tt_model_dim(m), nq = tt_model_query_vectors(m);
        float *V = malloc((size_t)n * D * sizeof *V), *Q = malloc((size_t)ne * nq * D * sizeof *Q);
        int32_t *qn = malloc((size_t)ne * sizeof *qn);
        CHECK(!tt_model_encode_items(m, d, V, &err) &&
              !(nq > 1 ? tt_model_encode_queries_multi(m, d, &sp->part[p], Q, qn, &err)
                       : tt_model_encode_part(m, d, sp, p, Q, &err)), "encode: %s", err.msg);
        for (int64_t e = 0; e < ne; e++)
            tt_eval_scores_ref(Q + e * nq * D, nq > 1 ? qn[e] : 1, V, 1, n, D, 0, S + e * n);
        free(V);
        free(Q);
        free(qn);
    }
    return S;
}

/* Ranks through the evaluator equal the naive ranks of the naive scores R
 * (double, rounded to float like the model's). */
static void check_ranks(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                        const float *S, const char *what)
{
    int64_t ne = sp->part[p].n;
    int32_t n = d->n_items;
    int64_t *r1 = malloc((size_t)ne * sizeof *r1), *r2 = malloc((size_t)ne * sizeof *r2);
    tt_err err;
    /* the naive evaluator over one-hot queries: Q = I, V = S^T */
    float *Q = calloc((size_t)ne * ne, sizeof *Q), *V = malloc((size_t)n * ne * sizeof *V);
    for (int64_t e = 0; e < ne; e++) {
        Q[e * ne + e] = 1.0f;
        for (int32_t j = 0; j < n; j++)
            V[(size_t)j * ne + e] = S[e * n + j];
    }
    CHECK(!tt_score_ranks(m, d, sp, p, r1, &err), "%s: %s", what, err.msg);
    CHECK(!tt_eval_rank_ref(Q, V, n, (int)ne, sp, p, r2), "%s: ref", what);
    int bad = 0;
    for (int64_t e = 0; e < ne; e++)
        bad += r1[e] != r2[e];
    CHECK(bad == 0, "%s: %d of %lld ranks differ from the naive evaluator's", what, bad,
          (long long)ne);
    free(Q);
    free(V);
    free(r1);
    free(r2);
}

/* Item-item models (EASE, ItemKNN): scores of valid and test are x_u W,
 * x_u the user's items before the part, W (n, n) in double or float. */
static void check_item_item(tt_model *m, const tt_dataset *d, const tt_split *sp,
                            const double *Wd, const float *Wf, const char *what)
{
    int32_t n = d->n_items, nu = d->n_users;
    for (enum tt_part p = TT_VALID; p <= TT_TEST; p++) {
        float *S = model_scores(m, d, sp, p);
        double *Xp = matrix(sp, nu, n, p), sw = 0;
        const tt_examples *ex = &sp->part[p];
        for (int64_t e = 0; e < ex->n; e++)
            for (int32_t j = 0; j < n; j++) {
                double s = 0;
                for (int32_t i = 0; i < n; i++)
                    s += Xp[(size_t)ex->user[e] * n + i] *
                         (Wd ? Wd[(size_t)i * n + j] : Wf[(size_t)i * n + j]);
                sw = fmax(sw, fabs(s - S[e * n + j]));
            }
        CHECK(sw < 1e-4, "%s %s scores off by %g", what, tt_part_name(p), sw);
        check_ranks(m, d, sp, p, S, what);
        free(S);
        free(Xp);
    }
}

static void test_ease(const tt_dataset *d, const tt_split *sp)
{
    int32_t n = d->n_items, nu = d->n_users;
    double lambda = 3.0;
    tt_model *m = fitted(d, sp, TT_MODEL_EASE, "lambda=3", 1);
    if (!m)
        return;
    const float *B = tt_model_params(m);
    /* naive: P = (X^T X + lambda I)^-1 column by column */
    double *X = matrix(sp, nu, n, TT_TRAIN);
    double *G = calloc((size_t)n * n, sizeof *G), *A = malloc((size_t)n * n * sizeof *A);
    double *P = malloc((size_t)n * n * sizeof *P), *col = malloc((size_t)n * sizeof *col);
    for (int32_t u = 0; u < nu; u++)
        for (int32_t i = 0; i < n; i++)
            for (int32_t j = 0; j < n; j++)
                G[(size_t)i * n + j] += X[(size_t)u * n + i] * X[(size_t)u * n + j];
    for (int32_t c = 0; c < n; c++) {
        for (int64_t q = 0; q < (int64_t)n * n; q++)
            A[q] = G[q] + (q / n == q % n ? lambda : 0);
        for (int32_t r = 0; r < n; r++)
            col[r] = r == c;
        gauss(A, col, n);
        for (int32_t r = 0; r < n; r++)
            P[(size_t)r * n + c] = col[r];
    }
    double worst = 0, ne_worst = 0, diag = 0;
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < n; j++) {
            double ref = i == j ? 0 : -P[(size_t)i * n + j] / P[(size_t)j * n + j];
            worst = fmax(worst, fabs(ref - B[(size_t)i * n + j]));
        }
    /* normal equations: ((X^T X + lambda I) B - X^T X)_ij = 0 off the diagonal */
    for (int32_t i = 0; i < n; i++) {
        diag = fmax(diag, fabs(B[(size_t)i * n + i]));
        for (int32_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            double s = -G[(size_t)i * n + j];
            for (int32_t k = 0; k < n; k++)
                s += (G[(size_t)i * n + k] + (i == k ? lambda : 0)) * B[(size_t)k * n + j];
            ne_worst = fmax(ne_worst, fabs(s));
        }
    }
    CHECK(worst < 1e-4, "EASE B differs from the naive inverse by %g", worst);
    CHECK(ne_worst < 1e-3, "EASE normal equations off by %g", ne_worst);
    CHECK(diag == 0, "EASE diagonal not zero (%g)", diag);
    /* scores: x_u B from the history before the part */
    check_item_item(m, d, sp, NULL, B, "ease");
    /* two threads: the same bits */
    check_two_threads(m, d, sp, TT_MODEL_EASE, "lambda=3");
    free(X);
    free(G);
    free(A);
    free(P);
    free(col);
    tt_model_free(m);
}

static void test_itemknn(const tt_dataset *d, const tt_split *sp)
{
    int32_t n = d->n_items, nu = d->n_users;
    int K = 5;
    double shrink = 2;
    tt_model *m = fitted(d, sp, TT_MODEL_ITEMKNN, "k=5 shrink=2", 1);
    if (!m)
        return;
    double *X = matrix(sp, nu, n, TT_TRAIN);
    double *W = calloc((size_t)n * n, sizeof *W);   /* W[i][j] = sim(i, j) if i in N(j) */
    double *sim = malloc((size_t)n * sizeof *sim);
    for (int32_t j = 0; j < n; j++) {
        double nj = 0;
        for (int32_t u = 0; u < nu; u++)
            nj += X[(size_t)u * n + j];
        for (int32_t i = 0; i < n; i++) {
            double c = 0, ni = 0;
            for (int32_t u = 0; u < nu; u++) {
                c += X[(size_t)u * n + i] * X[(size_t)u * n + j];
                ni += X[(size_t)u * n + i];
            }
            sim[i] = i == j ? 0 : c / (sqrt(ni * nj) + shrink);
        }
        for (int q = 0; q < K; q++) {   /* the K best: higher sim, then lower index */
            int best = -1;
            for (int32_t i = 0; i < n; i++)
                if (sim[i] > 0 && (best < 0 || sim[i] > sim[best]))
                    best = i;
            if (best < 0)
                break;
            W[(size_t)best * n + j] = sim[best];
            sim[best] = 0;
        }
    }
    check_item_item(m, d, sp, W, NULL, "itemknn");
    check_two_threads(m, d, sp, TT_MODEL_ITEMKNN, "k=5 shrink=2");
    free(X);
    free(W);
    free(sim);
    tt_model_free(m);
}

/* The naive solve of one row: (w0 Y^T Y + sum_{i in L} y_i y_i^T + reg I) x = sum y_i. */
static void als_ref(const float *Y, int32_t ny, int k, const double *mask, double lambda, double w0,
                    double nu, double *x)
{
    double *A = calloc((size_t)k * k, sizeof *A), cnt = 0;
    for (int32_t i = 0; i < ny; i++)
        cnt += mask[i];
    double reg = lambda * pow(cnt + w0 * ny, nu);
    memset(x, 0, (size_t)k * sizeof *x);
    for (int32_t i = 0; i < ny; i++)
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++)
                A[a * k + b] += (w0 + mask[i]) * (double)Y[(size_t)i * k + a] * Y[(size_t)i * k + b];
            x[a] += mask[i] * Y[(size_t)i * k + a];
        }
    for (int a = 0; a < k; a++)
        A[a * k + a] += reg;
    gauss(A, x, k);
    free(A);
}

static void test_ials(const tt_dataset *d, const tt_split *sp)
{
    int32_t n = d->n_items, nu = d->n_users;
    int k = 6;
    double lambda = 0.5, w0 = 0.2, nuexp = 1;
    tt_model *m = fitted(d, sp, TT_MODEL_IALS, "dim=6 iters=3 lambda=0.5 w0=0.2 nu=1", 1);
    if (!m)
        return;
    const float *W = tt_model_params(m), *H = W + (size_t)nu * k;
    double *X = matrix(sp, nu, n, TT_TRAIN), *x = malloc((size_t)k * sizeof *x);
    double *mask = malloc((size_t)TT_MAX(n, nu) * sizeof *mask), worst = 0;
    /* The last half-step solved the items from W: H is its naive solution. */
    for (int32_t i = 0; i < n; i++) {
        for (int32_t u = 0; u < nu; u++)
            mask[u] = X[(size_t)u * n + i];
        als_ref(W, nu, k, mask, lambda, w0, nuexp, x);
        for (int a = 0; a < k; a++)
            worst = fmax(worst, fabs(x[a] - H[(size_t)i * k + a]));
    }
    CHECK(worst < 1e-4, "iALS item factors off the naive solve by %g", worst);
    /* Queries fold in the history before the part; scores are q.h. */
    for (enum tt_part p = TT_VALID; p <= TT_TEST; p++) {
        float *S = model_scores(m, d, sp, p);
        double *Xp = matrix(sp, nu, n, p), sw = 0;
        const tt_examples *ex = &sp->part[p];
        for (int64_t e = 0; e < ex->n; e++) {
            for (int32_t i = 0; i < n; i++)
                mask[i] = Xp[(size_t)ex->user[e] * n + i];
            als_ref(H, n, k, mask, lambda, w0, nuexp, x);
            for (int32_t j = 0; j < n; j++) {
                double s = 0;
                for (int a = 0; a < k; a++)
                    s += x[a] * H[(size_t)j * k + a];
                sw = fmax(sw, fabs(s - S[e * n + j]));
            }
        }
        CHECK(sw < 1e-4, "iALS %s scores off by %g", tt_part_name(p), sw);
        check_ranks(m, d, sp, p, S, "ials");
        free(S);
        free(Xp);
    }
    check_two_threads(m, d, sp, TT_MODEL_IALS, "dim=6 iters=3 lambda=0.5 w0=0.2 nu=1");
    free(X);
    free(x);
    free(mask);
    tt_model_free(m);
}

/* Options out of range are refused with the option's own words. */
static void test_options(const tt_dataset *d)
{
    tt_model_def md;
    tt_err err;
    tt_model_def_init(&md);
    md.kind = TT_MODEL_EASE;
    tt_mkind_defaults(&md);
    CHECK(tt_mkind_check_opt(&md, tt_mkind_opt(md.kind, "lambda"), 0, &err) < 0, "lambda=0");
    CHECK_STR(err.msg, "lambda=0 must be > 0");
    md.kind = TT_MODEL_ITEMKNN;
    tt_mkind_defaults(&md);
    CHECK(tt_mkind_check_opt(&md, tt_mkind_opt(md.kind, "k"), 0, &err) < 0, "k=0");
    CHECK_STR(err.msg, "k=0 must be >= 1");
    CHECK(tt_mkind_check_opt(&md, tt_mkind_opt(md.kind, "k"), 2.5, &err) < 0, "k=2.5");
    CHECK_STR(err.msg, "k=2.5 must be a whole number");
    md.kopt[0] = 0;   /* create checks the options too */
    tt_model *m = NULL;
    CHECK(tt_model_create(&md, NULL, NULL, d, 1, &m, &err) < 0, "create with k=0");
    tt_model_free(m);
    CHECK(tt_mkind_find("ease") == TT_MODEL_EASE && tt_mkind_find("nope") < 0, "find");
}

/* Beyond accuracy at every k against a naive reference: each user's first
 * example of the part, all items scored (model_scores), earlier items
 * excluded, sorted by (score desc, id asc); counts per item per k; Gini as
 * the mean absolute difference sum_ij |c_i - c_j| / (2 n sum c), a formula
 * other than the evaluator's sorted one; pop the mean training count of the
 * recommended slots. */
static const float *cmp_row;   /* qsort's context: the row being sorted */
static int by_score(const void *a, const void *b)
{
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    if (cmp_row[i] != cmp_row[j])
        return cmp_row[i] > cmp_row[j] ? -1 : 1;
    return (i > j) - (i < j);
}

static void check_beyond(tt_model *m, const tt_dataset *d, const tt_split *sp, const char *what)
{
    enum tt_part p = TT_TEST;
    const int ks[3] = {1, 5, 12};
    const int nk = 3;
    int32_t n = d->n_items;
    const tt_examples *ex = &sp->part[p];
    float *S = model_scores(m, d, sp, p);
    int64_t *cnt = calloc((size_t)nk * n, sizeof *cnt);
    double popsum[3] = {0}, slots[3] = {0};
    uint8_t *seen = calloc((size_t)d->n_users, 1), *hist = malloc((size_t)n);
    int32_t *order = malloc((size_t)n * sizeof *order);
    for (int64_t e = 0; e < ex->n; e++) {
        int32_t u = ex->user[e];
        if (seen[u])
            continue;
        seen[u] = 1;
        memset(hist, 0, (size_t)n);
        tt_hist h;
        tt_hist_init(&h, sp, p, u);
        for (int32_t j; (j = tt_hist_next(&h)) >= 0;)
            hist[j] = 1;
        int32_t m_ok = 0;
        for (int32_t j = 0; j < n; j++)
            if (!hist[j])
                order[m_ok++] = j;
        cmp_row = S + e * n;
        qsort(order, (size_t)m_ok, sizeof *order, by_score);
        for (int q = 0; q < nk; q++)
            for (int r = 0; r < ks[q] && r < m_ok; r++) {
                cnt[(int64_t)q * n + order[r]]++;
                popsum[q] += (double)sp->item_freq[order[r]];
                slots[q]++;
            }
    }
    tt_beyond b;
    tt_err err;
    if (tt_score_beyond(m, d, sp, p, ks, nk, &b, &err)) {
        FAIL("%s beyond: %s", what, err.msg);
    } else {
        for (int q = 0; q < nk; q++) {
            const int64_t *c = cnt + (int64_t)q * n;
            double tot = 0, mad = 0, cov = 0;
            for (int32_t i = 0; i < n; i++) {
                tot += (double)c[i];
                cov += c[i] > 0;
                for (int32_t j = 0; j < n; j++)
                    mad += fabs((double)c[i] - (double)c[j]);
            }
            double gini = tot > 0 ? mad / (2.0 * n * tot) : 0, pop = slots[q] > 0 ? popsum[q] / slots[q] : 0;
            CHECK(b.k[q] == ks[q] && fabs(b.coverage[q] - cov / n) < 1e-12 &&
                      fabs(b.gini[q] - gini) < 1e-9 && fabs(b.pop[q] - pop) < 1e-9,
                  "%s beyond@%d: coverage %g gini %g pop %g, naive %g %g %g", what, ks[q],
                  b.coverage[q], b.gini[q], b.pop[q], cov / n, gini, pop);
        }
        /* the figures move with k (a cut-off reported with another's value fails) */
        CHECK(b.gini[0] != b.gini[2] && b.pop[0] != b.pop[2], "%s: gini/pop the same at k=1 and 12", what);
    }
    free(S);
    free(cnt);
    free(seen);
    free(hist);
    free(order);
}

/* split cold: no cold item (user) in training, every held-out example's
 * item (user) cold, valid and test disjoint, the cold ones first seen at or
 * after the cut; the baselines refuse to score them. */
static void test_cold(const tt_dataset *d)
{
    for (int users = 0; users <= 1; users++) {
        tt_split sp;
        tt_err err;
        if (tt_split_cold(d, users, 0.2, 5, &sp, &err)) {
            CHECK(0, "cold split: %s", err.msg);
            continue;
        }
        CHECK(tt_split_is_cold(&sp), "cold split flagged");
        int32_t nk = users ? d->n_users : d->n_items;
        uint8_t *where = calloc((size_t)nk, 1);   /* bit p: seen in part p */
        for (int p = 0; p < 3; p++) {
            const tt_examples *ex = &sp.part[p];
            for (int64_t e = 0; e < ex->n; e++)
                where[users ? ex->user[e] : ex->item[e]] |= (uint8_t)(1 << p);
        }
        int mixed = 0, n_cold = 0;
        for (int32_t k = 0; k < nk; k++) {
            mixed += (where[k] & 1) && (where[k] & 6);
            mixed += (where[k] & 2) && (where[k] & 4);
            n_cold += (where[k] & 6) != 0;
        }
        CHECK(mixed == 0, "cold %s: %d in training and held out, or in valid and test",
              users ? "users" : "items", mixed);
        CHECK(n_cold >= 2 && sp.part[TT_VALID].n > 0 && sp.part[TT_TEST].n > 0,
              "cold %s: %d cold, %lld valid, %lld test", users ? "users" : "items", n_cold,
              (long long)sp.part[TT_VALID].n, (long long)sp.part[TT_TEST].n);
        /* every interaction of a cold one is held out */
        int64_t held = 0, want = 0;
        for (int64_t r = 0; r < d->n_inter; r++)
            want += (where[users ? d->iu[r] : d->ii[r]] & 6) != 0;
        held = sp.part[TT_VALID].n + sp.part[TT_TEST].n;
        CHECK(held == want, "cold: %lld held out, %lld interactions of cold ones", (long long)held,
              (long long)want);
        if (!users)
            for (int32_t k = 0; k < nk; k++)
                if (where[k] & 6)
                    CHECK(sp.item_freq[k] == 0, "cold item %d has training interactions", k);
        for (enum tt_model_kind k = TT_MODEL_POP; k < TT_MODEL_NKINDS; k++) {
            if (k == TT_MODEL_TWOTOWER)
                continue;
            tt_model *m = fitted(d, &sp, k, k == TT_MODEL_IALS ? "dim=4 iters=1" : "", 1);
            int ks[1] = {10};
            tt_metrics mt;
            CHECK(m && tt_score_eval(m, d, &sp, TT_TEST, ks, 1, &mt, &err) < 0 &&
                      strstr(err.msg, "cannot score") != NULL,
                  "%s scored a cold split", tt_mkind_get(k)->name);
            tt_model_free(m);
        }
        free(where);
        tt_split_free(&sp);
    }
}

int main(void)
{
    tt_dataset d;
    tt_split sp;
    tt_err err;
    tt_synth_opts o;
    tt_blas_set_threads(1);
    tt_synth_opts_init(&o);
    o.users = 50;
    o.items = 30;
    o.per_user = 8;
    o.clusters = 3;
    if (tt_synth_generate(&o, &d, &err) || tt_split_l2o(&d, 5, &sp, &err)) {
        fprintf(stderr, "data: %s\n", err.msg);
        return 1;
    }
    for (enum tt_model_kind k = TT_MODEL_POP; k < TT_MODEL_NKINDS; k++) {
        if (k == TT_MODEL_TWOTOWER)
            continue;
        tt_model *m = fitted(&d, &sp, k, k == TT_MODEL_IALS ? "dim=4 iters=2" : "", 1);
        if (m)
            check_beyond(m, &d, &sp, tt_mkind_get(k)->name);
        tt_model_free(m);
    }
    /* the two-tower's multi-vector rules (untrained: any scores will do) */
    {
        static const int w[1] = {8};
        tt_tower_def u, i, mi;
        tt_tower_def_mlp(&u, "u", 4, w, 1, 1);
        tt_tower_def_mlp(&i, "i", 4, w, 1, 1);
        tt_tower_def_init(&mi);
        snprintf(mi.name, sizeof mi.name, "mi");
        mi.dim = 4;
        mi.interests = 1;
        mi.mi_k = 3;
        mi.mi_out = 8;
        mi.l2norm = 1;
        tt_model_def md;
        tt_model_def_init(&md);
        for (int kind = 0; kind < 2; kind++) {
            snprintf(md.name, sizeof md.name, "%s", kind ? "interests" : "fe");
            md.interact = kind ? TT_INTERACT_NONE : TT_INTERACT_FE;
            md.heads = kind ? 0 : 2;
            tt_model *m;
            if (tt_model_create(&md, kind ? &mi : &u, &i, &d, 3, &m, &err)) {
                FAIL("%s: %s", md.name, err.msg);
                continue;
            }
            check_beyond(m, &d, &sp, md.name);
            tt_model_free(m);
        }
    }
    test_ease(&d, &sp);
    test_itemknn(&d, &sp);
    test_ials(&d, &sp);
    test_options(&d);
    /* cold start needs items first seen late: a catalogue larger than the
     * interactions' reach */
    tt_dataset dc;
    o.users = 60;
    o.items = 400;
    o.per_user = 6;
    if (tt_synth_generate(&o, &dc, &err) == 0) {
        test_cold(&dc);
        tt_dataset_free(&dc);
    } else {
        CHECK(0, "cold data: %s", err.msg);
    }
    tt_split_free(&sp);
    tt_dataset_free(&d);
    return tt_check_done("test_baselines");
}

/* test_grad: finite-difference gradient checks of every layer and loss, the
 * accumulate/overwrite contracts of backward, and hand-computed forward
 * values. Prints one line per check; exits 1 on any failure.
 *
 * Method. Each check is a problem: a forward pass reduced to a scalar in
 * double, L = sum_i R_i out_i with a fixed random R (so dL/dout = R is the
 * dout handed to backward), or the loss value itself for losses; and the
 * tensors (inputs and parameters) with their analytic gradients. For each
 * element x_i (all of them, or 300 at random in large tensors) and for a few
 * random directions d over all tensors at once, the central difference
 *     D(h) = (L(x + h d) - L(x - h d)) / 2h
 * is compared with the analytic prediction for the SAME float steps
 *     A(h) = g . ((x + h d) - (x - h d)) / 2h        (summed in double)
 * so rounding of the perturbed float inputs cancels. The discrepancy D - A is
 * O(h^2) truncation plus noise; Richardson's (4 e(h/2) - e(h)) / 3 removes the
 * h^2 term, so the truncation left is O(h^4), far below the tolerances.
 *
 * Tolerances. Layers compute in float (eps 6e-8): an output carries a
 * relative error of a few eps, and only outputs that depend on the perturbed
 * element change (the rest are recomputed bit-identically and cancel), so the
 * noise of D is about 1e-7 * sum|R_i out_i| over the affected outputs / h:
 * ~1e-5 absolute with h = 1e-2. Losses take their logits as S / temp in
 * float, whose rounding (ulp(20) = 2e-6 at temp 0.05) is the noise there, so
 * their step is h = 4e-2 * temp (0.04 on the logits). Halving h doubles the
 * "use" printed below, confirming noise, not truncation, is what is left.
 * Element check: |e| <= 1e-3 * max(|g|, |fd|) + 1e-4 * max|g| over the
 * problem. Direction check: |e| <= 1e-4 * sum_i |g_i d_i|. "use" is the
 * worst fraction of the tolerance taken; it stays below ~0.4, while a
 * gradient off by 1% in any element with |g| > 1.3% of the largest fails.
 * The self-test (first lines) feeds the checker gradients scaled by 1.01 and
 * gradients with one element perturbed, and requires it to report failure.
 *
 * Kinks (ReLU, max squeeze, ReLU gate) would make the difference meaningless
 * if a step crossed one: inputs are drawn away from 0, and SENet problems are
 * redrawn until every ReLU pre-activation and every gap between the two
 * largest of a max is at least 0.2, more than a step can move it (a
 * direction step moves a pre-activation by at most h (|dW1| |z| + |W1| |dz|
 * + |db1|) <= 1e-2 * (8 + 6.4 + 1) = 0.15 for S = 8). */
#include "tt_blas.h"
#include "tt_layers.h"
#include "tt_loss.h"
#include "tt_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int quiet; /* the self-test silences its expected failures */

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) * 0x1p-53;
}
static float frand(float lo, float hi) { return lo + (hi - lo) * (float)urand(); }
static void fill(float *x, long n, float lo, float hi)
{
    for (long i = 0; i < n; i++)
        x[i] = frand(lo, hi);
}
/* uniform in +-[lo, hi]: away from 0 (ReLU kinks) */
static void fill_away(float *x, long n, float lo, float hi)
{
    for (long i = 0; i < n; i++)
        x[i] = (urand() < 0.5 ? -1 : 1) * frand(lo, hi);
}
static double dot(const float *a, const float *b, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}
static float *fa(long n) { return calloc(n > 0 ? n : 1, sizeof(float)); }

static void report(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int ok, const char *fmt, ...)
{
    va_list ap;
    tt_checks++;
    if (!ok)
        tt_fails++;
    if (quiet)
        return;
    printf("%s ", ok ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* ---- the checker ---- */

typedef struct tensor {
    const char *name;
    float *x, *g;
    long n;
} tensor;

typedef struct problem {
    const char *name;
    double (*obj)(void *);  /* forward; returns the objective */
    void (*grad)(void *);   /* backward after obj: += into g (layer) or = (loss) */
    void *ctx;
    tensor t[8];
    int nt;
    double h;               /* step */
    int is_loss;            /* gradient is written, not accumulated */
} problem;

/* self-test hooks: 1 scales every gradient by 1.01, 2 perturbs one element */
static int tamper;

static void analytic(problem *p)
{
    for (int i = 0; i < p->nt; i++)
        memset(p->t[i].g, 0, sizeof(float) * p->t[i].n);
    p->obj(p->ctx);
    p->grad(p->ctx);
    if (tamper == 1)
        for (int i = 0; i < p->nt; i++)
            for (long j = 0; j < p->t[i].n; j++)
                p->t[i].g[j] *= 1.01f;
    if (tamper == 2) {
        /* the smallest nonzero-gradient element that still matters, so the
         * test shows that a single wrong element is caught */
        tensor *t = &p->t[0];
        float gmax = 0;
        for (long j = 0; j < t->n; j++)
            gmax = fmaxf(gmax, fabsf(t->g[j]));
        long n = t->n / 2;
        t->g[n] += 0.005f * gmax;
    }
}

/* Richardson-extrapolated discrepancy between the central difference and
 * the analytic prediction, along direction dir (NULL dir: unit vector on
 * element (ti, ei)). *scale gets sum |g_i d_i|, *ana g . d. */
static double discrepancy(problem *p, float **save, float **dir, int ti,
                          long ei, double *ana, double *scale)
{
    double e[2];
    for (int s = 0; s < 2; s++) {
        double h = s == 0 ? p->h : p->h / 2, pred = 0;
        for (int pass = 0; pass < 2; pass++) {
            double sign = pass == 0 ? 1 : -1;
            for (int i = 0; i < p->nt; i++) {
                if (dir) {
                    for (long j = 0; j < p->t[i].n; j++)
                        p->t[i].x[j] = (float)(save[i][j] + sign * h * dir[i][j]);
                } else if (i == ti) {
                    p->t[i].x[ei] = (float)(save[i][ei] + sign * h);
                }
            }
            double L = p->obj(p->ctx);
            for (int i = 0; i < p->nt; i++) {
                if (dir) {
                    for (long j = 0; j < p->t[i].n; j++)
                        pred += sign * (double)p->t[i].g[j] * p->t[i].x[j];
                } else if (i == ti) {
                    pred += sign * (double)p->t[i].g[ei] * p->t[i].x[ei];
                }
            }
            e[s] = pass == 0 ? L : (e[s] - L);
        }
        /* restore */
        for (int i = 0; i < p->nt; i++)
            memcpy(p->t[i].x, save[i], sizeof(float) * p->t[i].n);
        e[s] = (e[s] - pred) / (2 * h);
    }
    *ana = 0;
    *scale = 0;
    for (int i = 0; i < p->nt; i++) {
        if (dir) {
            for (long j = 0; j < p->t[i].n; j++) {
                *ana += (double)p->t[i].g[j] * dir[i][j];
                *scale += fabs((double)p->t[i].g[j] * dir[i][j]);
            }
        } else if (i == ti) {
            *ana = p->t[i].g[ei];
            *scale = fabs(*ana);
        }
    }
    return (4 * e[1] - e[0]) / 3;
}

#define RTOL 1e-3
#define ATOL 1e-4
#define DTOL 1e-4
#define MAXEL 300

/* Runs the element and direction checks; returns 1 if all passed. */
static int gradcheck(problem *p)
{
    float *save[8], *dir[8];
    double gmax = 0;
    analytic(p);
    for (int i = 0; i < p->nt; i++) {
        save[i] = fa(p->t[i].n);
        dir[i] = fa(p->t[i].n);
        memcpy(save[i], p->t[i].x, sizeof(float) * p->t[i].n);
        for (long j = 0; j < p->t[i].n; j++)
            gmax = fmax(gmax, fabs(p->t[i].g[j]));
    }
    int all = 1;
    for (int i = 0; i < p->nt; i++) {
        tensor *t = &p->t[i];
        double use = 0, worst_fd = 0, worst_g = 0;
        long worst = -1, m = t->n < MAXEL ? t->n : MAXEL;
        for (long c = 0; c < m; c++) {
            long j = t->n <= MAXEL ? c : (long)(urand() * t->n);
            double ana, scale;
            double e = discrepancy(p, save, NULL, i, j, &ana, &scale);
            double fd = ana + e;
            double tol = RTOL * fmax(fabs(fd), fabs(ana)) + ATOL * gmax;
            if (tol == 0)
                tol = 1e-30;   /* an all-zero gradient must be matched exactly */
            double u = fabs(e) / tol;
            if (u > use || worst < 0) {
                use = u;
                worst = j;
                worst_fd = fd;
                worst_g = ana;
            }
        }
        int ok = use <= 1;
        all &= ok;
        report(ok, "grad %-28s %-4s n=%-5ld use %.3f%s", p->name, t->name,
               t->n, use,
               ok ? "" : " <- worst element");
        if (!ok && !quiet)
            printf("     element %ld: analytic %.8g  finite-difference %.8g\n",
                   worst, worst_g, worst_fd);
    }
    double use = 0;
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < p->nt; i++)
            for (long j = 0; j < p->t[i].n; j++)
                dir[i][j] = frand(-1, 1);
        double ana, scale;
        double e = discrepancy(p, save, dir, -1, -1, &ana, &scale);
        double tol = DTOL * scale;
        use = fmax(use, tol > 0 ? fabs(e) / tol : (e == 0 ? 0 : INFINITY));
    }
    all &= use <= 1;
    report(use <= 1, "grad %-28s dir  3 random directions use %.3f", p->name, use);
    p->obj(p->ctx);   /* leave the forward caches of the unperturbed point */
    for (int i = 0; i < p->nt; i++) {
        free(save[i]);
        free(dir[i]);
    }
    return all;
}

/* Backward accumulates: a second call adds the same gradient again. Losses
 * overwrite: a second call over garbage gives the same gradient. */
static void accumcheck(problem *p)
{
    float *first[8];
    analytic(p);
    for (int i = 0; i < p->nt; i++) {
        first[i] = fa(p->t[i].n);
        memcpy(first[i], p->t[i].g, sizeof(float) * p->t[i].n);
        if (p->is_loss)
            for (long j = 0; j < p->t[i].n; j++)
                p->t[i].g[j] = 777.0f;
    }
    p->obj(p->ctx);
    p->grad(p->ctx);
    /* the second sum is rounded differently (g + r1 + r2 ... rather than
     * 2 (r1 + r2 ...)), so the tolerance is a few float eps of the tensor's
     * largest gradient; an overwrite instead of += misses by |g| itself */
    double worst = 0;
    for (int i = 0; i < p->nt; i++) {
        double gmax = 0;
        for (long j = 0; j < p->t[i].n; j++)
            gmax = fmax(gmax, fabs(first[i][j]));
        for (long j = 0; j < p->t[i].n; j++) {
            double want = p->is_loss ? first[i][j] : 2.0 * first[i][j];
            double err = fabs(p->t[i].g[j] - want);
            if (err > 0)
                worst = fmax(worst, err / (1e-6 * (fabs(want) + gmax)));
        }
        free(first[i]);
    }
    report(worst <= 1, "%s %-28s (err %.2f of tolerance)",
           p->is_loss ? "overwrite " : "accumulate", p->name, worst);
}

static void check(problem *p)
{
    gradcheck(p);
    accumcheck(p);
}

/* ---- embeddings ---- */

typedef struct {
    float *T, *dT, *out, *R;
    int card, k, ldo, slot, B;
    int32_t *ids;
    int64_t *off;
    int32_t *vals;
} emb_ctx;

static double emb_obj(void *v)
{
    emb_ctx *c = v;
    memset(c->out, 0, sizeof(float) * c->B * c->ldo);
    if (c->off)
        tt_embed_bag_forward(c->out + c->slot * c->k, c->ldo, c->T, c->k,
                             c->off, c->vals, c->B);
    else
        tt_embed_forward(c->out + c->slot * c->k, c->ldo, c->T, c->k, c->ids, c->B);
    return dot(c->out, c->R, (long)c->B * c->ldo);
}

static void emb_grad(void *v)
{
    emb_ctx *c = v;
    if (c->off)
        tt_embed_bag_backward(c->dT, c->R + c->slot * c->k, c->ldo, c->k,
                              c->off, c->vals, c->B);
    else
        tt_embed_backward(c->dT, c->R + c->slot * c->k, c->ldo, c->k, c->ids, c->B);
}

static void test_embed(void)
{
    enum { card = 7, k = 4, f = 3, B = 5 };
    int32_t ids[B] = {2, 0, 2, 6, 5};                 /* 2 repeated, 1,3,4 unused */
    int64_t off[B + 1] = {0, 3, 3, 4, 8, 10};         /* bag 1 empty */
    int32_t vals[10] = {1, 4, 1, 6, 0, 2, 2, 3, 5, 6};
    emb_ctx c = {fa(card * k), fa(card * k), fa(B * f * k), fa(B * f * k),
                 card, k, f * k, 1, B, ids, NULL, NULL};
    fill(c.T, card * k, -1, 1);
    fill(c.R, B * f * k, -1, 1);
    problem p = {"embed single", emb_obj, emb_grad, &c, {{"T", c.T, c.dT, card * k}},
                 1, 1e-2, 0};
    check(&p);
    /* forward values: the right rows in the right slot, other slots untouched */
    emb_obj(&c);
    int ok = 1;
    for (int b = 0; b < B; b++)
        for (int s = 0; s < f; s++)
            for (int j = 0; j < k; j++) {
                float want = s == 1 ? c.T[ids[b] * k + j] : 0.0f;
                ok &= c.out[b * f * k + s * k + j] == want;
            }
    report(ok, "value embed single: rows copied into slot 1 of (B, 3, k)");
    /* unused rows get exactly nothing */
    analytic(&p);
    ok = 1;
    for (int j = 0; j < k; j++)
        ok &= c.dT[1 * k + j] == 0 && c.dT[3 * k + j] == 0 && c.dT[4 * k + j] == 0;
    report(ok, "value embed single: unused rows have zero gradient");

    c.off = off;
    c.vals = vals;
    c.slot = 2;
    problem q = {"embed bag (mean, empty bag)", emb_obj, emb_grad, &c,
                 {{"T", c.T, c.dT, card * k}}, 1, 1e-2, 0};
    check(&q);
    emb_obj(&c);
    ok = 1;
    for (int j = 0; j < k; j++) {
        double m0 = (2.0 * c.T[1 * k + j] + c.T[4 * k + j]) / 3;   /* {1,4,1} */
        ok &= fabs(c.out[0 * f * k + 2 * k + j] - m0) < 1e-6;
        ok &= c.out[1 * f * k + 2 * k + j] == 0.0f;                 /* empty */
        ok &= c.out[2 * f * k + 2 * k + j] == c.T[6 * k + j];       /* {6} */
    }
    report(ok, "value embed bag: mean with repeats, empty bag is zeros");
    free(c.T); free(c.dT); free(c.out); free(c.R);
}

/* ---- dense, relu, l2norm ---- */

typedef struct {
    int B, I, O;
    float *inp, *W, *b, *out, *R, *dinp, *dW, *db;
} dense_ctx;

static double dense_obj(void *v)
{
    dense_ctx *c = v;
    tt_dense_forward(c->out, c->inp, c->W, c->b, c->B, c->I, c->O);
    return dot(c->out, c->R, (long)c->B * c->O);
}
static void dense_grad(void *v)
{
    dense_ctx *c = v;
    tt_dense_backward(c->dinp, c->dW, c->db, c->R, c->inp, c->W, c->B, c->I, c->O);
}

static void dense_setup(dense_ctx *c, int B, int I, int O)
{
    *c = (dense_ctx){B, I, O, fa(B * I), fa(O * I), fa(O), fa(B * O), fa(B * O),
                     fa(B * I), fa(O * I), fa(O)};
    fill(c->inp, B * I, -1, 1);
    fill(c->W, O * I, -0.5, 0.5);
    fill(c->b, O, -0.5, 0.5);
    fill(c->R, B * O, -1, 1);
}
static void dense_free(dense_ctx *c)
{
    free(c->inp); free(c->W); free(c->b); free(c->out); free(c->R);
    free(c->dinp); free(c->dW); free(c->db);
}
static problem dense_problem(dense_ctx *c)
{
    return (problem){"dense", dense_obj, dense_grad, c,
                     {{"inp", c->inp, c->dinp, (long)c->B * c->I},
                      {"W", c->W, c->dW, (long)c->O * c->I},
                      {"b", c->b, c->db, c->O}}, 3, 1e-2, 0};
}

static void test_dense(void)
{
    dense_ctx c;
    dense_setup(&c, 4, 6, 5);
    problem p = dense_problem(&c);
    check(&p);
    /* forward against the double reference */
    dense_obj(&c);
    double worst = 0;
    for (int r = 0; r < c.B; r++)
        for (int o = 0; o < c.O; o++) {
            double s = c.b[o];
            for (int i = 0; i < c.I; i++)
                s += (double)c.inp[r * c.I + i] * c.W[o * c.I + i];
            worst = fmax(worst, fabs(s - c.out[r * c.O + o]));
        }
    report(worst < 1e-5, "value dense: inp W^T + b (max err %.2g)", worst);
    /* dinp NULL skips the input gradient and leaves dW, db the same */
    analytic(&p);
    float dW0 = c.dW[3], db0 = c.db[1];
    memset(c.dW, 0, sizeof(float) * c.O * c.I);
    memset(c.db, 0, sizeof(float) * c.O);
    tt_dense_backward(NULL, c.dW, c.db, c.R, c.inp, c.W, c.B, c.I, c.O);
    report(c.dW[3] == dW0 && c.db[1] == db0, "value dense: dinp NULL skipped");
    /* a larger shape goes through the BLAS path with real blocking */
    dense_ctx d;
    dense_setup(&d, 33, 40, 24);
    problem q = dense_problem(&d);
    q.name = "dense 33x40->24";
    check(&q);
    dense_free(&c);
    dense_free(&d);
}

typedef struct {
    long n;
    int B, D;
    float *inp, *out, *R, *dinp, *norm;
} ew_ctx;

static double relu_obj(void *v)
{
    ew_ctx *c = v;
    tt_relu_forward(c->out, c->inp, c->n);
    return dot(c->out, c->R, c->n);
}
static void relu_grad(void *v)
{
    ew_ctx *c = v;
    tt_relu_backward(c->dinp, c->R, c->out, c->n);
}
static double l2_obj(void *v)
{
    ew_ctx *c = v;
    tt_l2norm_forward(c->out, c->norm, c->inp, c->B, c->D);
    return dot(c->out, c->R, c->n);
}
static void l2_grad(void *v)
{
    ew_ctx *c = v;
    tt_l2norm_backward(c->dinp, c->R, c->out, c->norm, c->B, c->D);
}

static void test_relu_l2(void)
{
    enum { B = 4, D = 6, n = B * D };
    ew_ctx c = {n, B, D, fa(n), fa(n), fa(n), fa(n), fa(B)};
    fill_away(c.inp, n, 0.1f, 1.0f);
    fill(c.R, n, -1, 1);
    problem p = {"relu", relu_obj, relu_grad, &c, {{"inp", c.inp, c.dinp, n}},
                 1, 1e-2, 0};
    check(&p);
    /* in place forward */
    float x[4] = {-1, 0, 2, -0.5f};
    tt_relu_forward(x, x, 4);
    report(x[0] == 0 && x[1] == 0 && x[2] == 2 && x[3] == 0,
           "value relu: in place, negatives to 0");

    fill(c.inp, n, -1, 1);
    problem q = {"l2norm", l2_obj, l2_grad, &c, {{"inp", c.inp, c.dinp, n}},
                 1, 1e-2, 0};
    check(&q);
    l2_obj(&c);
    double worst = 0;
    for (int r = 0; r < B; r++)
        worst = fmax(worst, fabs(sqrt(dot(c.out + r * D, c.out + r * D, D)) - 1));
    report(worst < 1e-6, "value l2norm: output rows have norm 1 (err %.2g)", worst);
    /* a zero row stays zero (no NaN), forward and backward */
    memset(c.inp, 0, sizeof(float) * D);
    l2_obj(&c);
    memset(c.dinp, 0, sizeof(float) * n);
    l2_grad(&c);
    int ok = 1;
    for (int j = 0; j < D; j++)
        ok &= c.out[j] == 0 && isfinite(c.dinp[j]);
    report(ok, "value l2norm: zero row gives zeros and a finite gradient");
    free(c.inp); free(c.out); free(c.R); free(c.dinp); free(c.norm);
}

/* ---- SENet ---- */

typedef struct {
    tt_senet_cfg cfg;
    int B, S, A;
    float *E, *W1, *b1, *W2, *b2, *out, *z, *hid, *pre, *a, *R;
    float *dE, *dW1, *db1, *dW2, *db2, *scratch;
} se_ctx;

static double se_obj(void *v)
{
    se_ctx *c = v;
    tt_senet_forward(c->out, c->z, c->hid, c->pre, c->a, c->E, c->W1, c->b1,
                     c->W2, c->b2, &c->cfg, c->B);
    return dot(c->out, c->R, (long)c->B * c->cfg.f * c->cfg.k);
}
static void se_grad(void *v)
{
    se_ctx *c = v;
    tt_senet_backward(c->dE, c->dW1, c->db1, c->dW2, c->db2, c->R, c->E, c->z,
                      c->hid, c->pre, c->a, c->W1, c->W2, &c->cfg, c->B,
                      c->scratch);
}

/* Double reference of the squeeze and excitation: fills z, hidden
 * pre-activation hp (B, h), gate input gp (B, A); returns the smallest
 * distance of any kink to the current point (pre-activations of ReLUs, gap
 * between the two largest of a max), and whether every row has a live
 * hidden unit (so the check exercises the excitation path). */
static double se_reference(se_ctx *c, double *z, double *hp, double *gp, int *live)
{
    tt_senet_cfg *g = &c->cfg;
    int f = g->f, k = g->k, h = g->h, S = c->S, A = c->A;
    double margin = INFINITY;
    *live = 1;
    for (int b = 0; b < c->B; b++) {
        const float *e = c->E + b * f * k;
        double *zb = z + b * S;
        for (int i = 0; i < f; i++) {
            if (g->groups > 0) {
                int kg = k / g->groups;
                for (int q = 0; q < g->groups; q++) {
                    double s = 0;
                    for (int j = 0; j < kg; j++)
                        s += e[i * k + q * kg + j];
                    zb[i * g->groups + q] = s / kg;
                }
                continue;
            }
            double s = 0, m1 = -INFINITY, m2 = -INFINITY;
            for (int j = 0; j < k; j++) {
                double v = e[i * k + j];
                s += v;
                if (v > m1) { m2 = m1; m1 = v; } else if (v > m2) m2 = v;
            }
            if (g->squeeze != TT_SQ_MEAN)
                margin = fmin(margin, m1 - m2);
            if (g->squeeze == TT_SQ_MEAN) zb[i] = s / k;
            if (g->squeeze == TT_SQ_MAX) zb[i] = m1;
            if (g->squeeze == TT_SQ_MEANMAX) { zb[i] = s / k; zb[f + i] = m1; }
        }
        int any = 0;
        for (int u = 0; u < h; u++) {
            double s = c->b1[u];
            for (int i = 0; i < S; i++)
                s += (double)c->W1[u * S + i] * zb[i];
            hp[b * h + u] = s;
            margin = fmin(margin, fabs(s));
            any |= s > 0;
        }
        *live &= any;
        int anyg = 0;
        for (int a = 0; a < A; a++) {
            double s = c->b2[a];
            for (int u = 0; u < h; u++)
                s += (double)c->W2[a * h + u] * fmax(hp[b * h + u], 0);
            gp[b * A + a] = s;
            if (g->gate == TT_GATE_RELU) {
                margin = fmin(margin, fabs(s));
                anyg |= s > 0;
            } else {
                anyg = 1;
            }
        }
        *live &= anyg;
    }
    return margin;
}

static void se_setup(se_ctx *c, tt_senet_cfg cfg, int B)
{
    c->cfg = cfg;
    c->B = B;
    c->S = tt_senet_squeeze_width(&cfg);
    c->A = tt_senet_weight_width(&cfg);
    int fk = cfg.f * cfg.k, S = c->S, A = c->A, h = cfg.h;
    c->E = fa(B * fk); c->W1 = fa(h * S); c->b1 = fa(h); c->W2 = fa(A * h);
    c->b2 = fa(A); c->out = fa(B * fk); c->z = fa(B * S); c->hid = fa(B * h);
    c->pre = fa(B * A); c->a = fa(B * A); c->R = fa(B * fk);
    c->dE = fa(B * fk); c->dW1 = fa(h * S); c->db1 = fa(h); c->dW2 = fa(A * h);
    c->db2 = fa(A); c->scratch = fa(B * (S + h + A));
    double *z = calloc(B * S, sizeof(double)), *hp = calloc(B * h, sizeof(double));
    double *gp = calloc(B * A, sizeof(double));
    for (int tries = 0;; tries++) {
        fill(c->E, B * fk, -1, 1);
        fill(c->W1, h * S, -0.8f, 0.8f);
        fill(c->b1, h, -0.3f, 0.3f);
        fill(c->W2, A * h, -1, 1);
        fill(c->b2, A, -0.3f, 0.5f);
        int live;
        if (se_reference(c, z, hp, gp, &live) >= 0.2 && live)
            break;
        if (tries > 100000) {
            report(0, "senet setup: no kink-free draw found");
            break;
        }
    }
    fill(c->R, B * fk, -1, 1);
    free(z); free(hp); free(gp);
}

static void se_free(se_ctx *c)
{
    float *p[] = {c->E, c->W1, c->b1, c->W2, c->b2, c->out, c->z, c->hid, c->pre,
                  c->a, c->R, c->dE, c->dW1, c->db1, c->dW2, c->db2, c->scratch};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        free(p[i]);
}

static void test_senet_one(tt_senet_cfg cfg, const char *name)
{
    se_ctx c;
    int B = 3;
    se_setup(&c, cfg, B);
    int S = c.S, A = c.A, h = cfg.h, fk = cfg.f * cfg.k;
    problem p = {name, se_obj, se_grad, &c,
                 {{"E", c.E, c.dE, B * fk}, {"W1", c.W1, c.dW1, h * S},
                  {"b1", c.b1, c.db1, h}, {"W2", c.W2, c.dW2, A * h},
                  {"b2", c.b2, c.db2, A}}, 5, 1e-2, 0};
    check(&p);
    /* forward against the double reference: z, gate weights, re-weighting */
    double *z = calloc(B * S, sizeof(double)), *hp = calloc(B * h, sizeof(double));
    double *gp = calloc(B * A, sizeof(double));
    int live;
    se_reference(&c, z, hp, gp, &live);
    se_obj(&c);
    double worst = 0;
    int range = 1;
    for (int i = 0; i < B * S; i++)
        worst = fmax(worst, fabs(z[i] - c.z[i]));
    for (int i = 0; i < B * A; i++) {
        double want = cfg.gate == TT_GATE_SIGMOID ? 1 / (1 + exp(-gp[i]))
                                                  : fmax(gp[i], 0);
        worst = fmax(worst, fabs(want - c.a[i]));
        range &= cfg.gate == TT_GATE_SIGMOID ? (c.a[i] > 0 && c.a[i] < 1)
                                             : c.a[i] >= 0;
    }
    for (int b = 0; b < B; b++)
        for (int i = 0; i < fk; i++) {
            double w = cfg.groups > 0 ? c.a[b * A + i] : c.a[b * A + i / cfg.k];
            worst = fmax(worst, fabs(w * c.E[b * fk + i] - c.out[b * fk + i]));
        }
    report(worst < 1e-5 && range,
           "value %-28s S=%d A=%d, weights in range, matches reference (%.2g)",
           name, S, A, worst);
    free(z); free(hp); free(gp);
    se_free(&c);
}

static void test_senet(void)
{
    static const char *sq[] = {"mean", "max", "meanmax"};
    static const char *gt[] = {"sigmoid", "relu"};
    char name[64];
    for (int s = 0; s < 3; s++)
        for (int g = 0; g < 2; g++) {
            snprintf(name, sizeof name, "senet %s/%s", sq[s], gt[g]);
            test_senet_one((tt_senet_cfg){4, 4, 2, s, g, 0}, name);
        }
    test_senet_one((tt_senet_cfg){3, 4, 1, TT_SQ_MEAN, TT_GATE_SIGMOID, 2},
                   "senet bit-wise G=2/sigmoid");
    test_senet_one((tt_senet_cfg){3, 4, 2, TT_SQ_MEAN, TT_GATE_RELU, 4},
                   "senet bit-wise G=4/relu");
    test_senet_one((tt_senet_cfg){3, 4, 2, TT_SQ_MEAN, TT_GATE_SIGMOID, 1},
                   "senet bit-wise G=1/sigmoid");
    /* widths */
    tt_senet_cfg a = {5, 8, 2, TT_SQ_MEANMAX, TT_GATE_SIGMOID, 0};
    tt_senet_cfg b = {5, 8, 2, TT_SQ_MAX, TT_GATE_SIGMOID, 4};
    report(tt_senet_squeeze_width(&a) == 10 && tt_senet_weight_width(&a) == 5 &&
           tt_senet_squeeze_width(&b) == 20 && tt_senet_weight_width(&b) == 40,
           "value senet widths: mean+max S=2f, grouped S=f*G, A=f*k");
}

/* ---- Light-SE ---- */

typedef struct {
    int B, f, k;
    float *E, *W, *out, *z, *a, *R, *dE, *dW, *scratch;
} lse_ctx;

static double lse_obj(void *v)
{
    lse_ctx *c = v;
    tt_lightse_forward(c->out, c->z, c->a, c->E, c->W, c->B, c->f, c->k);
    return dot(c->out, c->R, (long)c->B * c->f * c->k);
}
static void lse_grad(void *v)
{
    lse_ctx *c = v;
    tt_lightse_backward(c->dE, c->dW, c->R, c->E, c->z, c->a, c->W, c->B, c->f,
                        c->k, c->scratch);
}

/* Smooth everywhere (mean, linear map, softmax): no kinks to avoid. The
 * forward is compared with a double reference of the paper's code:
 * out = E + E * softmax(W mean(E)). */
static void test_lightse(void)
{
    int dims[][3] = {{3, 4, 4}, {2, 7, 3}, {4, 1, 5}};   /* B, f, k */
    for (size_t t = 0; t < sizeof dims / sizeof *dims; t++) {
        int B = dims[t][0], f = dims[t][1], k = dims[t][2], fk = f * k;
        lse_ctx c = {B, f, k, fa(B * fk), fa(f * f), fa(B * fk), fa(B * f),
                     fa(B * f), fa(B * fk), fa(B * fk), fa(f * f), fa(B * 2 * f)};
        fill(c.E, B * fk, -1, 1);
        fill(c.W, f * f, -1.5f, 1.5f);
        fill(c.R, B * fk, -1, 1);
        char name[64];
        snprintf(name, sizeof name, "lightse B=%d f=%d k=%d", B, f, k);
        problem p = {name, lse_obj, lse_grad, &c,
                     {{"E", c.E, c.dE, B * fk}, {"W", c.W, c.dW, f * f}}, 2, 1e-2, 0};
        check(&p);
        lse_obj(&c);
        double worst = 0, sum_err = 0;
        for (int b = 0; b < B; b++) {
            double z[8], pz[8], mx = -INFINITY, s = 0, sa = 0;
            for (int i = 0; i < f; i++) {
                z[i] = 0;
                for (int j = 0; j < k; j++)
                    z[i] += c.E[b * fk + i * k + j];
                z[i] /= k;
            }
            for (int i = 0; i < f; i++) {
                pz[i] = 0;
                for (int j = 0; j < f; j++)
                    pz[i] += (double)c.W[i * f + j] * z[j];
                mx = fmax(mx, pz[i]);
            }
            for (int i = 0; i < f; i++)
                s += exp(pz[i] - mx);
            for (int i = 0; i < f; i++) {
                double a = exp(pz[i] - mx) / s;
                sa += c.a[b * f + i];
                worst = fmax(worst, fabs(a - c.a[b * f + i]));
                for (int j = 0; j < k; j++) {
                    double e = c.E[b * fk + i * k + j];
                    worst = fmax(worst, fabs(e + e * a - c.out[b * fk + i * k + j]));
                }
            }
            sum_err = fmax(sum_err, fabs(sa - 1));
        }
        report(worst < 1e-5 && sum_err < 1e-5,
               "value %-28s matches E + E*softmax(W mean E) (%.2g), weights sum to 1",
               name, worst);
        float *p2[] = {c.E, c.W, c.out, c.z, c.a, c.R, c.dE, c.dW, c.scratch};
        for (size_t i = 0; i < sizeof p2 / sizeof *p2; i++)
            free(p2[i]);
    }
}

/* ---- FM ---- */

typedef struct {
    int B, f, k;
    float *E, *out, *R, *dE;
} fm_ctx;

static double fm_obj(void *v)
{
    fm_ctx *c = v;
    tt_fm_forward(c->out, c->E, c->B, c->f, c->k);
    return dot(c->out, c->R, (long)c->B * c->k);
}
static void fm_grad(void *v)
{
    fm_ctx *c = v;
    tt_fm_backward(c->dE, c->R, c->E, c->B, c->f, c->k);
}

static void test_fm(void)
{
    enum { B = 3, f = 4, k = 5 };
    fm_ctx c = {B, f, k, fa(B * f * k), fa(B * k), fa(B * k), fa(B * f * k)};
    fill(c.E, B * f * k, -1, 1);
    fill(c.R, B * k, -1, 1);
    problem p = {"fm", fm_obj, fm_grad, &c, {{"E", c.E, c.dE, B * f * k}}, 1, 1e-2, 0};
    check(&p);
    /* hand case: e1 = (1, 2), e2 = (3, -1), e3 = (0.5, 0): sum of pairwise
     * products = (1*3 + 1*.5 + 3*.5, 2*-1 + 0 + 0) = (5, -2) */
    float E[6] = {1, 2, 3, -1, 0.5f, 0}, out[2];
    tt_fm_forward(out, E, 1, 3, 2);
    report(out[0] == 5.0f && out[1] == -2.0f, "value fm: hand case (5, -2), got (%g, %g)",
           out[0], out[1]);
    free(c.E); free(c.out); free(c.R); free(c.dE);
}

/* ---- DCN cross ---- */

typedef struct {
    int B, D, L;
    float *x0, *W, *b, *xs, *pre, *R, *dx0, *dW, *db, *scratch;
} cross_ctx;

static double cross_obj(void *v)
{
    cross_ctx *c = v;
    tt_cross_forward(c->xs, c->pre, c->x0, c->W, c->b, c->B, c->D, c->L);
    long BD = (long)c->B * c->D;
    return dot(c->xs + c->L * BD, c->R, BD);
}
static void cross_grad(void *v)
{
    cross_ctx *c = v;
    tt_cross_backward(c->dx0, c->dW, c->db, c->R, c->xs, c->pre, c->W, c->B,
                      c->D, c->L, c->scratch);
}

static void test_cross(void)
{
    for (int L = 1; L <= 3; L++) {
        int B = 3, D = 5, BD = B * D;
        cross_ctx c = {B, D, L, fa(BD), fa(L * D * D), fa(L * D), fa((L + 1) * BD),
                       fa(L * BD), fa(BD), fa(BD), fa(L * D * D), fa(L * D), fa(2 * BD)};
        fill(c.x0, BD, -1, 1);
        fill(c.W, L * D * D, -0.5, 0.5);
        fill(c.b, L * D, -0.5, 0.5);
        fill(c.R, BD, -1, 1);
        char name[32];
        snprintf(name, sizeof name, "cross L=%d", L);
        problem p = {name, cross_obj, cross_grad, &c,
                     {{"x0", c.x0, c.dx0, BD}, {"W", c.W, c.dW, L * D * D},
                      {"b", c.b, c.db, L * D}}, 3, 1e-2, 0};
        check(&p);
        /* forward against the double reference of the recurrence */
        cross_obj(&c);
        double worst = 0;
        for (int r = 0; r < B; r++) {
            double x[8], xn[8];
            for (int j = 0; j < D; j++)
                x[j] = c.x0[r * D + j];
            for (int l = 0; l < L; l++) {
                for (int i = 0; i < D; i++) {
                    double s = c.b[l * D + i];
                    for (int j = 0; j < D; j++)
                        s += (double)c.W[l * D * D + i * D + j] * x[j];
                    xn[i] = c.x0[r * D + i] * s + x[i];
                }
                memcpy(x, xn, sizeof x);
            }
            for (int j = 0; j < D; j++)
                worst = fmax(worst, fabs(x[j] - c.xs[L * BD + r * D + j]));
        }
        report(worst < 1e-5, "value %-28s x0*(W x + b) + x (err %.2g)", name, worst);
        float *ps[] = {c.x0, c.W, c.b, c.xs, c.pre, c.R, c.dx0, c.dW, c.db, c.scratch};
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
            free(ps[i]);
    }
}

/* ---- losses ---- */

typedef struct {
    int B, N;
    float *S, *dS, *tmp, temp, *logq;
    int32_t *target;
    uint8_t *mask;
} sm_ctx;

static double sm_obj(void *v)
{
    sm_ctx *c = v;
    return tt_softmax_xent(c->tmp, c->S, c->B, c->N, c->target, c->temp, c->logq,
                           c->mask);
}
static void sm_grad(void *v)
{
    sm_ctx *c = v;
    tt_softmax_xent(c->dS, c->S, c->B, c->N, c->target, c->temp, c->logq, c->mask);
}

/* double reference of the softmax loss */
static double sm_reference(sm_ctx *c)
{
    double loss = 0;
    for (int b = 0; b < c->B; b++) {
        double mx = -INFINITY, s = 0, lt = 0;
        for (int j = 0; j < c->N; j++) {
            double l = (double)c->S[b * c->N + j] / c->temp -
                       (c->logq ? c->logq[b * c->N + j] : 0);
            if (j == c->target[b])
                lt = l;
            if (!(c->mask && c->mask[b * c->N + j]) || j == c->target[b])
                mx = fmax(mx, l);
        }
        for (int j = 0; j < c->N; j++) {
            double l = (double)c->S[b * c->N + j] / c->temp -
                       (c->logq ? c->logq[b * c->N + j] : 0);
            if (!(c->mask && c->mask[b * c->N + j]) || j == c->target[b])
                s += exp(l - mx);
        }
        loss += log(s) + mx - lt;
    }
    return loss / c->B;
}

static void test_softmax_case(int B, int N, float temp, int with_logq,
                              int with_mask)
{
    sm_ctx c = {B, N, fa(B * N), fa(B * N), fa(B * N), temp,
                with_logq ? fa(B * N) : NULL, calloc(B, sizeof(int32_t)),
                with_mask ? calloc(B * N, 1) : NULL};
    fill(c.S, B * N, -1, 1);
    for (int b = 0; b < B; b++)
        c.target[b] = (int32_t)(urand() * N);
    if (with_logq)
        fill(c.logq, B * N, -6, -1);
    if (with_mask)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < N; j++)
                c.mask[b * N + j] = j != c.target[b] && urand() < 0.3;
    char name[64];
    snprintf(name, sizeof name, "softmax %dx%d T=%g%s%s", B, N, temp,
             with_logq ? " logq" : "", with_mask ? " mask" : "");
    problem p = {name, sm_obj, sm_grad, &c, {{"S", c.S, c.dS, B * N}}, 1,
                 4e-2 * temp, 1};
    check(&p);
    double want = sm_reference(&c), got = sm_obj(&c);
    int ok = fabs(want - got) <= 1e-5 * fmax(1, fabs(want));
    if (with_mask) {
        sm_grad(&c);
        for (int i = 0; i < B * N; i++)
            if (c.mask[i])
                ok &= c.dS[i] == 0.0f;
    }
    report(ok, "value %-28s loss %.6f vs double %.6f%s", name, got, want,
           with_mask ? ", dS = 0 where masked" : "");
    free(c.S); free(c.dS); free(c.tmp); free(c.logq); free(c.target); free(c.mask);
}

static void test_softmax_values(void)
{
    /* row slices: two calls over halves equal one call over the batch */
    {
        enum { B = 6, N = 41 };
        float *S = fa(B * N), *d1 = fa(B * N), *d2 = fa(B * N), *lq = fa(B * N);
        uint8_t *m = calloc(B * N, 1);
        int32_t t[B] = {0, 40, 7, 13, 20, 33};
        fill(S, B * N, -1, 1);
        fill(lq, B * N, -5, -1);
        for (int i = 0; i < B * N; i++)
            m[i] = i % 5 == 1;
        double l = tt_softmax_xent(d1, S, B, N, t, 0.1f, lq, m);
        double a = tt_softmax_xent_rows(d2, S, 2, N, t, 0.1f, lq, m, B);
        double b = tt_softmax_xent_rows(d2 + 2 * N, S + 2 * N, B - 2, N, t + 2,
                                        0.1f, lq + 2 * N, m + 2 * N, B);
        report(fabs((a + b) / B - l) < 1e-9 * l && !memcmp(d1, d2, sizeof(float) * B * N),
               "value softmax rows: halves sum to the batch loss, same dS");
        free(S); free(d1); free(d2); free(lq); free(m);
    }
    /* logQ sign: logit = S/T - logq, so a column with a large log q (a
     * popular item) gets a LOWER logit; with S equal, the row's probability
     * goes to the rarer column */
    float S[2] = {0, 0}, lq[2] = {logf(0.5f), logf(0.01f)}, dS[2];
    int32_t t = 0;
    double loss = tt_softmax_xent(dS, S, 1, 2, &t, 1.0f, lq, NULL);
    double p0 = 0.01 / 0.51;   /* exp(-log .5) / (exp(-log .5) + exp(-log .01)) */
    report(fabs(loss + log(p0)) < 1e-5 && fabs(dS[0] - (p0 - 1)) < 1e-6,
           "value softmax logQ: loss -log(%.4f) = %.5f, got %.5f", p0, -log(p0), loss);
    /* huge logits stay finite (max subtraction) */
    float S2[3] = {1e4f, -1e4f, 3e3f}, d2[3];
    int32_t t2 = 1;
    loss = tt_softmax_xent(d2, S2, 1, 3, &t2, 0.05f, NULL, NULL);
    report(isfinite(loss) && fabs(loss - 4e5) < 1 && isfinite(d2[0]),
           "value softmax stable: logits +-2e5 give loss %.1f (want 4e5)", loss);
    /* a mask on the target is ignored: finite */
    uint8_t m[3] = {1, 1, 1};
    loss = tt_softmax_xent(d2, S2, 1, 3, &t2, 1.0f, NULL, m);
    report(loss == 0 && d2[1] == 0 && d2[0] == 0,
           "value softmax: all masked but the target gives loss 0 (%g)", loss);
}

typedef struct {
    long n;
    float *S, *y, *dS, *tmp, *neg, *dneg, *tmp2, temp;
} bin_ctx;

static double bce_obj(void *v)
{
    bin_ctx *c = v;
    return tt_bce(c->tmp, c->S, c->y, c->n, c->temp);
}
static void bce_grad(void *v)
{
    bin_ctx *c = v;
    tt_bce(c->dS, c->S, c->y, c->n, c->temp);
}
static double bpr_obj(void *v)
{
    bin_ctx *c = v;
    return tt_bpr(c->tmp, c->tmp2, c->S, c->neg, c->n, c->temp);
}
static void bpr_grad(void *v)
{
    bin_ctx *c = v;
    tt_bpr(c->dS, c->dneg, c->S, c->neg, c->n, c->temp);
}

static void test_bce_bpr(void)
{
    enum { n = 24 };
    for (int ti = 0; ti < 2; ti++) {
        float temp = ti ? 0.1f : 1.0f;
        bin_ctx c = {n, fa(n), fa(n), fa(n), fa(n), fa(n), fa(n), fa(n), temp};
        fill(c.S, n, -1, 1);
        fill(c.neg, n, -1, 1);
        for (int i = 0; i < n; i++)
            c.y[i] = i % 3 == 0;
        char name[32];
        snprintf(name, sizeof name, "bce T=%g", temp);
        problem p = {name, bce_obj, bce_grad, &c, {{"S", c.S, c.dS, n}}, 1,
                     4e-2 * temp, 1};
        check(&p);
        snprintf(name, sizeof name, "bpr T=%g", temp);
        problem q = {name, bpr_obj, bpr_grad, &c,
                     {{"pos", c.S, c.dS, n}, {"neg", c.neg, c.dneg, n}}, 2,
                     4e-2 * temp, 1};
        check(&q);
        float *ps[] = {c.S, c.y, c.dS, c.tmp, c.neg, c.dneg, c.tmp2};
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
            free(ps[i]);
    }
    /* values and stability at extreme scores */
    float S[4] = {0, 2, 1000, -1000}, y[4] = {1, 0, 0, 1}, d[4];
    double want = (log(2) + (2 + log1p(exp(-2))) + 1000 + 1000) / 4;
    double got = tt_bce(d, S, y, 4, 1.0f);
    report(fabs(got - want) < 1e-9 * want && isfinite(d[2]) && isfinite(d[3]) &&
           fabs(d[2] - 0.25f) < 1e-7 && fabs(d[3] + 0.25f) < 1e-7,
           "value bce: stable at +-1000, loss %.6f (want %.6f)", got, want);
    float pos[2] = {1, -500}, neg[2] = {0, 500}, dp[2], dn[2];
    want = (log1p(exp(-1)) + 1000) / 2;
    got = tt_bpr(dp, dn, pos, neg, 2, 1.0f);
    report(fabs(got - want) < 1e-9 * want && fabs(dp[1] + 0.5f) < 1e-7 &&
           dn[1] == -dp[1], "value bpr: stable at a -1000 margin, loss %.6f", got);
}

/* ---- vectorised exp ---- */

static void test_vexpf(void)
{
    enum { n = 20001 };
    float *x = fa(n), *y = fa(n);
    for (int i = 0; i < n; i++)
        x[i] = -87.0f + 175.0f * i / (n - 1);
    tt_vexpf(y, x, n);
    double worst = 0;
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(y[i] / exp((double)x[i]) - 1));
    float ext[3] = {-INFINITY, -1000, 1000};
    tt_vexpf(ext, ext, 3);
    report(worst < 2e-7 && ext[0] >= 0 && ext[0] < 1.2e-38f && isfinite(ext[2]),
           "value vexpf: max relative error %.3g on [-87, 88], clamped outside", worst);
    free(x);
    free(y);
}

/* ---- FE-Block score ---- */

typedef struct {
    int B, N, H, G, d, lds;
    float *Q, *V, *S, *R, *P, *dQ, *dV;
    uint8_t *arg;
} fe_ctx;

static double fe_obj(void *v)
{
    fe_ctx *c = v;
    tt_fe_forward(c->S, c->lds, c->arg, c->P, c->Q, c->V, c->B, c->N, c->H, c->G, c->d);
    double L = 0;
    for (int b = 0; b < c->B; b++)
        L += dot(c->S + (long)b * c->lds, c->R + (long)b * c->lds, c->N);
    return L;
}
static void fe_grad(void *v)
{
    fe_ctx *c = v;
    tt_fe_backward(c->dQ, c->dV, 1.0f, c->R, c->lds, c->arg, c->Q, c->V, c->B, c->N, c->H, c->G,
                   c->d);
}

/* The smallest gap between the best and second-best product of any
 * (user, item, head): a step must not cross it (the max has a kink there). */
static double fe_gap(const fe_ctx *c)
{
    double gap = INFINITY;
    for (int b = 0; b < c->B; b++)
        for (int n = 0; n < c->N; n++)
            for (int h = 0; h < c->H; h++) {
                double p1 = -INFINITY, p2 = -INFINITY;
                for (int g = 0; g < c->G; g++) {
                    double p = dot(c->Q + ((long)b * c->H + h) * c->d,
                                   c->V + ((long)n * c->G + g) * c->d, c->d);
                    if (p > p1) {
                        p2 = p1;
                        p1 = p;
                    } else if (p > p2) {
                        p2 = p;
                    }
                }
                gap = fmin(gap, p1 - p2);
            }
    return gap;
}

/* Reference: the double sum of the heads' maxima over plain loops, the first
 * vector winning ties. Returns the worst difference from S. */
static double fe_reference(const fe_ctx *c)
{
    double worst = 0;
    for (int b = 0; b < c->B; b++)
        for (int n = 0; n < c->N; n++) {
            double s = 0;
            for (int h = 0; h < c->H; h++) {
                double best = -INFINITY;
                for (int g = 0; g < c->G; g++)
                    best = fmax(best, dot(c->Q + ((long)b * c->H + h) * c->d,
                                          c->V + ((long)n * c->G + g) * c->d, c->d));
                s += best;
            }
            worst = fmax(worst, fabs(s - c->S[(long)b * c->lds + n]));
        }
    return worst;
}

static void fe_setup(fe_ctx *c, int B, int N, int H, int G, int d)
{
    c->B = B, c->N = N, c->H = H, c->G = G, c->d = d, c->lds = N + 2;
    c->Q = fa(B * H * d), c->V = fa(N * G * d), c->S = fa(B * c->lds);
    c->R = fa(B * c->lds), c->P = fa(tt_fe_scratch(N, G, d));
    c->dQ = fa(B * H * d), c->dV = fa(N * G * d);
    c->arg = calloc((size_t)B * c->lds * H, 1);
}

static void fe_free(fe_ctx *c)
{
    float *ps[] = {c->Q, c->V, c->S, c->R, c->P, c->dQ, c->dV};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        free(ps[i]);
    free(c->arg);
}

static void test_fe(void)
{
    /* gradients: sizes small enough that a draw whose every max is 0.15
     * clear of the runner-up is found (a step moves a product by at most
     * h d (|q| + |v|) <= 0.06) */
    int dims[][5] = {{2, 3, 2, 3, 3}, {3, 2, 1, 2, 4}, {1, 4, 3, 1, 2}};   /* B N H G d */
    for (size_t t = 0; t < sizeof dims / sizeof *dims; t++) {
        fe_ctx c;
        fe_setup(&c, dims[t][0], dims[t][1], dims[t][2], dims[t][3], dims[t][4]);
        int tries = 0;
        do {
            fill(c.Q, (long)c.B * c.H * c.d, -1, 1);
            fill(c.V, (long)c.N * c.G * c.d, -1, 1);
        } while (fe_gap(&c) < 0.15 && ++tries < 100000);
        fill(c.R, (long)c.B * c.lds, -1, 1);
        char name[64];
        snprintf(name, sizeof name, "fe B=%d N=%d H=%d G=%d d=%d", c.B, c.N, c.H, c.G, c.d);
        problem p = {name, fe_obj, fe_grad, &c,
                     {{"Q", c.Q, c.dQ, (long)c.B * c.H * c.d},
                      {"V", c.V, c.dV, (long)c.N * c.G * c.d}}, 2, 1e-2, 0};
        report(tries < 100000, "value %-28s a draw with every max 0.15 clear (%d tries)", name,
               tries);
        check(&p);
        fe_obj(&c);
        double w = fe_reference(&c);
        report(w < 1e-5, "value %-28s = sum of heads' max (%.2g)", name, w);
        fe_free(&c);
    }
    /* values on a block larger than the GEMM's (17 users), and exact ties:
     * small integers, so every product is exact; the first vector wins a tie */
    fe_ctx c;
    fe_setup(&c, 19, 7, 4, 3, 2);
    for (long i = 0; i < 19L * 4 * 2; i++)
        c.Q[i] = (float)((int)(urand() * 5) - 2);
    for (long i = 0; i < 7L * 3 * 2; i++)
        c.V[i] = (float)((int)(urand() * 3) - 1);
    fe_obj(&c);
    double w = fe_reference(&c);
    int first = 1;
    for (int b = 0; b < 19; b++)
        for (int n = 0; n < 7; n++)
            for (int h = 0; h < 4; h++) {
                int a = c.arg[((long)b * 4 + h) * c.lds + n], want = 0;
                const float *q = c.Q + ((long)b * 4 + h) * 2;
                double best = dot(q, c.V + (long)n * 3 * 2, 2);
                for (int g = 1; g < 3; g++) {
                    double p = dot(q, c.V + ((long)n * 3 + g) * 2, 2);
                    if (p > best)
                        best = p, want = g;
                }
                first &= a == want;
            }
    report(w == 0 && first, "value fe 19 users, integer ties: exact (%.2g), first vector wins ties",
           w);
    fe_free(&c);
    /* the vector paths (head widths 8, 16, 24, 32; 75 items: one block of
     * 64, one of 8, three one by one; G = 2, 3, 4 and the loop for other G;
     * backward by all heads at once for H = 2, 4, 8 and head by head for
     * H = 1, 3; 200 items: three backward item blocks) against plain double
     * loops through the winners the forward kept: values, winners, both
     * backward halves */
    int vd[][5] = {{3, 75, 2, 3, 8}, {2, 75, 4, 2, 16}, {2, 75, 1, 4, 24}, {2, 75, 2, 2, 32},
                   {2, 75, 2, 3, 5}, {3, 75, 4, 3, 8}, {2, 75, 8, 3, 8}, {2, 75, 3, 5, 8},
                   {3, 200, 4, 3, 8}, {2, 75, 4, 1, 8}};
    for (size_t t = 0; t < sizeof vd / sizeof *vd; t++) {
        fe_setup(&c, vd[t][0], vd[t][1], vd[t][2], vd[t][3], vd[t][4]);
        fill(c.Q, (long)c.B * c.H * c.d, -1, 1);
        fill(c.V, (long)c.N * c.G * c.d, -1, 1);
        fill(c.R, (long)c.B * c.lds, -1, 1);
        fill(c.dQ, (long)c.B * c.H * c.d, -1, 1);   /* backward accumulates */
        fill(c.dV, (long)c.N * c.G * c.d, -1, 1);
        float *q0 = fa((long)c.B * c.H * c.d), *v0 = fa((long)c.N * c.G * c.d);
        memcpy(q0, c.dQ, sizeof(float) * c.B * c.H * c.d);
        memcpy(v0, c.dV, sizeof(float) * c.N * c.G * c.d);
        fe_obj(&c);
        double wv = fe_reference(&c), wa = 0;
        int wrong = 0;
        for (int b = 0; b < c.B; b++)
            for (int n = 0; n < c.N; n++)
                for (int h = 0; h < c.H; h++) {
                    const float *q = c.Q + ((long)b * c.H + h) * c.d;
                    int a = c.arg[((long)b * c.H + h) * c.lds + n];
                    double pa = dot(q, c.V + ((long)n * c.G + a) * c.d, c.d);
                    for (int g = 0; g < c.G; g++)   /* no product clearly above the winner's */
                        wrong += dot(q, c.V + ((long)n * c.G + g) * c.d, c.d) > pa + 1e-5;
                    double gs = 0.5 * c.R[(long)b * c.lds + n];
                    for (int j = 0; j < c.d; j++) {
                        q0[((long)b * c.H + h) * c.d + j] += (float)(gs * c.V[((long)n * c.G + a) * c.d + j]);
                        v0[((long)n * c.G + a) * c.d + j] += (float)(gs * q[j]);
                    }
                }
        tt_fe_backward(c.dQ, c.dV, 0.5f, c.R, c.lds, c.arg, c.Q, c.V, c.B, c.N, c.H, c.G, c.d);
        for (long i = 0; i < (long)c.B * c.H * c.d; i++)
            wa = fmax(wa, fabs(c.dQ[i] - q0[i]));
        for (long i = 0; i < (long)c.N * c.G * c.d; i++)
            wa = fmax(wa, fabs(c.dV[i] - v0[i]));
        report(wv < 1e-4 && !wrong && wa < 1e-4,
               "value fe B=%d N=%d H=%d G=%d d=%d: sums (%.2g), winners (%d wrong), "
               "dQ and dV through them (%.2g)", c.B, c.N, c.H, c.G, c.d, wv, wrong, wa);
        free(q0);
        free(v0);
        fe_free(&c);
    }
}

/* ---- DAT category alignment ---- */

typedef struct {
    int n, D, nx;
    float *X, *dX, *scr, w;
    int64_t *rows;
    int32_t *cat, *ord;
} ca_ctx;

static double ca_obj(void *v)
{
    ca_ctx *c = v;
    return tt_catalign(NULL, c->X, c->rows, c->cat, c->n, c->D, c->w, c->scr, c->ord);
}
static void ca_grad(void *v)
{
    ca_ctx *c = v;
    tt_catalign(c->dX, c->X, c->rows, c->cat, c->n, c->D, c->w, c->scr, c->ord);
}

/* Reference in double: covariances by their definition, Frobenius norms. */
static double ca_reference(const ca_ctx *c, const int32_t *cats, int ncat, int major)
{
    double Cm[64], Cc[64], L = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < ncat; k++) {
            if ((pass == 0) != (cats[k] == major))
                continue;
            double mu[8] = {0}, *C = pass ? Cc : Cm;
            int m = 0;
            for (int r = 0; r < c->n; r++)
                if (c->cat[r] == cats[k]) {
                    m++;
                    for (int a = 0; a < c->D; a++)
                        mu[a] += c->X[c->rows[r] * c->D + a];
                }
            if (m < 2)
                continue;
            for (int a = 0; a < c->D; a++)
                mu[a] /= m;
            memset(C, 0, sizeof Cm);
            for (int r = 0; r < c->n; r++)
                if (c->cat[r] == cats[k])
                    for (int a = 0; a < c->D; a++)
                        for (int b = 0; b < c->D; b++)
                            C[a * c->D + b] += (c->X[c->rows[r] * c->D + a] - mu[a]) *
                                               (c->X[c->rows[r] * c->D + b] - mu[b]) / (m - 1);
            if (pass)
                for (int q = 0; q < c->D * c->D; q++)
                    L += (Cm[q] - Cc[q]) * (Cm[q] - Cc[q]);
        }
    return c->w * L;
}

static void test_catalign(void)
{
    /* 9 rows of 12 vectors (rows scattered, repeated row 4); categories: 2
     * the major (4 rows), 0 and 5 (2 each), 7 alone (left out) */
    enum { n = 9, D = 3, nx = 12 };
    int64_t rows[n] = {3, 0, 7, 4, 4, 11, 9, 1, 5};
    int32_t cat[n] = {2, 0, 5, 2, 7, 2, 0, 5, 2}, cats[4] = {2, 0, 5, 7};
    ca_ctx c = {n, D, nx, fa(nx * D), fa(nx * D), fa(3 * D * D + 2 * D), 0.7f, rows, cat,
                calloc(2 * n, sizeof(int32_t))};
    fill(c.X, nx * D, -1, 1);
    problem p = {"catalign n=9 D=3 4 categories", ca_obj, ca_grad, &c,
                 {{"X", c.X, c.dX, nx * D}}, 1, 1e-2, 0};
    check(&p);
    double L = ca_obj(&c), want = ca_reference(&c, cats, 4, 2);
    report(fabs(L - want) < 1e-5 * fmax(1, want) && want > 0,
           "value catalign = w sum ||C_major - C_c||_F^2 (%.6g, want %.6g)", L, want);
    int64_t r2[3] = {0, 1, 2};
    int32_t c2[3] = {1, 2, 3};
    report(tt_catalign(c.dX, c.X, r2, c2, 3, D, 1, c.scr, c.ord) == 0,
           "value catalign: no category with 2 rows gives 0");
    free(c.X), free(c.dX), free(c.scr), free(c.ord);
}

/* ---- the checker can fail ---- */

static void selftest(void)
{
    int saved_fail = tt_fails, saved_check = tt_checks;
    dense_ctx c;
    dense_setup(&c, 4, 6, 5);
    problem p = dense_problem(&c);
    sm_ctx s = {8, 12, fa(96), fa(96), fa(96), 0.05f, NULL, calloc(8, 4), NULL};
    fill(s.S, 96, -1, 1);
    problem q = {"softmax", sm_obj, sm_grad, &s, {{"S", s.S, s.dS, 96}}, 1, 2e-3, 1};
    int caught[4];
    quiet = 1;
    for (int m = 1; m <= 2; m++) {
        tamper = m;
        caught[2 * (m - 1)] = !gradcheck(&p);
        caught[2 * (m - 1) + 1] = !gradcheck(&q);
    }
    tamper = 0;
    quiet = 0;
    tt_fails = saved_fail;
    tt_checks = saved_check;
    report(caught[0] && caught[1], "selftest: gradients scaled by 1.01 are caught (dense %d, softmax %d)",
           caught[0], caught[1]);
    report(caught[2] && caught[3], "selftest: one perturbed element is caught (dense %d, softmax %d)",
           caught[2], caught[3]);
    dense_free(&c);
    free(s.S); free(s.dS); free(s.tmp); free(s.target);
}

/* ---- multi-interest: ComiRec-SA attention, MIND routing, the pick ---- */

typedef struct {
    int B, L, d, h, K, via;   /* via 0 attention, 1 routing */
    int T;                    /* routing iterations */
    int32_t *len, *kk;
    float *H, *W1, *W2, *S, *b0, *V, *P, *A, *C, *Wr, *Z, *U, *R;
    float *dH, *dW1, *dW2, *dS, *s1, *s2, *fs;
} mi_ctx;

static double mi_obj(void *v)
{
    mi_ctx *c = v;
    if (c->via == 0)
        tt_iattn_forward(c->V, c->P, c->A, c->H, c->len, c->W1, c->W2, c->B, c->L,
                         c->d, c->h, c->K);
    else
        tt_iroute_forward(c->V, c->C, c->Wr, c->Z, c->U, c->H, c->len, c->kk, c->S,
                          c->b0, c->B, c->L, c->d, c->K, c->T, c->fs);
    return dot(c->V, c->R, (long)c->B * c->K * c->d);
}
static void mi_grad(void *v)
{
    mi_ctx *c = v;
    if (c->via == 0)
        tt_iattn_backward(c->dH, c->dW1, c->dW2, c->R, c->H, c->len, c->P, c->A, c->W1,
                          c->W2, c->B, c->L, c->d, c->h, c->K, c->s1, c->s2);
    else
        tt_iroute_backward(c->dH, c->dS, c->R, c->H, c->C, c->Wr, c->Z, c->U, c->len,
                           c->kk, c->S, c->B, c->L, c->d, c->K, c->T, c->s1, c->s2);
}

/* Smooth (tanh, softmax, squash away from 0): no kinks. Lengths include an
 * empty history, a full one and partial ones; routing's active counts are
 * K'u of those lengths (so inactive interests are exercised too). Padding
 * positions are filled with values (not zeros): the check then also shows
 * they neither change the output nor receive a gradient. */
static void test_interests_via(int via, int B, int L, int d, int h, int K, int T)
{
    mi_ctx c = {B, L, d, h, K, via, T, calloc(B, 4), calloc(B, 4),
                fa(B * L * d), fa(h * d), fa(K * h), fa(d * d), fa(L * K), fa(B * K * d),
                fa(B * L * h), fa(B * L * K), fa(B * L * d), fa(B * T * L * K),
                fa(B * T * K * d), fa(B * T * K * d), fa(B * K * d),
                fa(B * L * d), fa(h * d), fa(K * h), fa(d * d),
                fa(B * L * (K > d ? K : d) + B * (L * K + 2 * K * d)),
                fa(B * L * (h > K ? h : K) + B * (L * K + 2 * K * d)), fa(B * L * K)};
    for (int b = 0; b < B; b++) {
        c.len[b] = b == 0 ? L : b == 1 ? 0 : 1 + (b * 5) % L;
        c.kk[b] = tt_interest_count(c.len[b], K);
    }
    fill(c.H, B * L * d, -1, 1);
    fill(c.W1, h * d, -1, 1);
    fill(c.W2, K * h, -1.5f, 1.5f);
    fill(c.S, d * d, -0.8f, 0.8f);
    fill(c.R, B * K * d, -1, 1);
    tt_iroute_logits(c.b0, L, K);
    char name[64];
    snprintf(name, sizeof name, "%s B=%d L=%d d=%d K=%d T=%d", via ? "routing" : "attention", B,
             L, d, K, T);
    problem p = via == 0
        ? (problem){name, mi_obj, mi_grad, &c,
                    {{"H", c.H, c.dH, B * L * d}, {"W1", c.W1, c.dW1, h * d},
                     {"W2", c.W2, c.dW2, K * h}}, 3, 1e-2, 0}
        : (problem){name, mi_obj, mi_grad, &c,
                    {{"H", c.H, c.dH, B * L * d}, {"S", c.S, c.dS, d * d}}, 2, 1e-2, 0};
    check(&p);
    /* forward values against a double reference of the papers' formulas */
    mi_obj(&c);
    double worst = 0;
    for (int b = 0; b < B; b++) {
        const int n = c.len[b];
        const float *hb = c.H + (long)b * L * d;
        double V[8][16] = {{0}};
        if (via == 0) {
            for (int k = 0; k < K; k++) {
                double lg[32], mx = -INFINITY, s = 0;
                for (int i = 0; i < n; i++) {
                    lg[i] = 0;
                    for (int q = 0; q < h; q++) {
                        double pq = 0;
                        for (int j = 0; j < d; j++)
                            pq += (double)c.W1[q * d + j] * hb[i * d + j];
                        lg[i] += (double)c.W2[k * h + q] * tanh(pq);
                    }
                    mx = fmax(mx, lg[i]);
                }
                for (int i = 0; i < n; i++)
                    s += exp(lg[i] - mx);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < d; j++)
                        V[k][j] += exp(lg[i] - mx) / s * hb[i * d + j];
            }
        } else {
            double cc[32][16], lg[32][8], u[8][16] = {{0}};
            const int kb = c.kk[b];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    cc[i][j] = 0;
                    for (int q = 0; q < d; q++)
                        cc[i][j] += (double)c.S[j * d + q] * hb[i * d + q];
                }
                for (int k = 0; k < K; k++)
                    lg[i][k] = c.b0[i * K + k];
            }
            for (int t = 0; t < T; t++) {
                double z[8][16] = {{0}};
                for (int i = 0; i < n; i++) {
                    double mx = -INFINITY, s = 0;
                    for (int k = 0; k < kb; k++)
                        mx = fmax(mx, lg[i][k]);
                    for (int k = 0; k < kb; k++)
                        s += exp(lg[i][k] - mx);
                    for (int k = 0; k < kb; k++)
                        for (int j = 0; j < d; j++)
                            z[k][j] += exp(lg[i][k] - mx) / s * cc[i][j];
                }
                for (int k = 0; k < kb; k++) {
                    double n2 = 0;
                    for (int j = 0; j < d; j++)
                        n2 += z[k][j] * z[k][j];
                    for (int j = 0; j < d; j++)
                        u[k][j] = n2 / (1 + n2) / sqrt(n2 > 0 ? n2 : 1) * z[k][j];
                }
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < kb; k++)
                        for (int j = 0; j < d; j++)
                            lg[i][k] += u[k][j] * cc[i][j];
            }
            for (int k = 0; k < kb; k++)
                for (int j = 0; j < d; j++)
                    V[k][j] = u[k][j];
        }
        for (int k = 0; k < K; k++)
            for (int j = 0; j < d; j++)
                worst = fmax(worst, fabs(V[k][j] - c.V[((long)b * K + k) * d + j]));
    }
    report(worst < 1e-5, "value %s forward = double reference (max |diff| %.2g)", name, worst);
    float *all[] = {c.H, c.W1, c.W2, c.S, c.b0, c.V, c.P, c.A, c.C, c.Wr, c.Z, c.U, c.R,
                    c.dH, c.dW1, c.dW2, c.dS, c.s1, c.s2, c.fs};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]);
    free(c.len);
    free(c.kk);
}

typedef struct {
    int B, K, D;
    int32_t *kk, *sel;
    int64_t *trow;
    float *I, *T, *out, *R, *dI;
} pick_ctx;

static double pick_obj(void *v)
{
    pick_ctx *c = v;
    tt_interest_pick_forward(c->out, c->sel, c->I, c->kk, c->T, c->D, c->trow, c->B, c->K,
                             c->D);
    return dot(c->out, c->R, (long)c->B * c->D);
}
static void pick_grad(void *v)
{
    pick_ctx *c = v;
    tt_interest_pick_backward(c->dI, c->R, c->sel, c->B, c->K, c->D);
}

/* label-aware attention: I and the target rows T (two users share row 1) */
typedef struct {
    int B, K, D;
    float p;
    int32_t *kk;
    int64_t *trow;
    float *I, *T, *out, *R, *aw, *dI, *dT;
} attend_ctx;

static double attend_obj(void *v)
{
    attend_ctx *c = v;
    tt_interest_attend_forward(c->out, c->aw, c->I, c->kk, c->T, c->D, c->trow, c->p, c->B,
                               c->K, c->D);
    return dot(c->out, c->R, (long)c->B * c->D);
}
static void attend_grad(void *v)
{
    attend_ctx *c = v;
    tt_interest_attend_backward(c->dI, c->dT, c->R, c->aw, c->I, c->kk, c->T, c->D, c->trow,
                                c->p, c->B, c->K, c->D);
}

static void test_interest_attend(float p)
{
    int B = 5, K = 4, D = 6, NT = 4;
    attend_ctx c = {B, K, D, p, calloc(B, 4), calloc(B, 8), fa(B * K * D), fa(NT * D),
                    fa(B * D), fa(B * D), fa(B * K), fa(B * K * D), fa(NT * D)};
    fill(c.I, B * K * D, -1, 1);
    fill(c.T, NT * D, -1, 1);
    fill(c.R, B * D, -1, 1);
    for (int b = 0; b < B; b++) {
        c.kk[b] = 1 + b % K;
        c.trow[b] = b == 4 ? 1 : b;
    }
    char name[64];
    snprintf(name, sizeof name, "interest label-aware attention p=%g", (double)p);
    problem pr = {name, attend_obj, attend_grad, &c,
                  {{"I", c.I, c.dI, B * K * D}, {"T", c.T, c.dT, NT * D}}, 2, 1e-2, 0};
    check(&pr);
    /* inactive interests weigh 0; the weights of each row sum to 1; a large
     * p approaches the hard pick */
    attend_obj(&c);
    int ok = 1;
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int k = 0; k < K; k++) {
            s += c.aw[b * K + k];
            ok &= k < c.kk[b] || c.aw[b * K + k] == 0;
        }
        ok &= fabs(s - 1) < 1e-5;
    }
    float o2[6], a2[4], o3[6];
    int32_t kk2 = 4, s3;
    int64_t r0 = 0;
    tt_interest_attend_forward(o2, a2, c.I, &kk2, c.T, D, &r0, 1000.0f, 1, K, D);
    tt_interest_pick_forward(o3, &s3, c.I, &kk2, c.T, D, &r0, 1, K, D);
    for (int j = 0; j < D; j++)
        ok &= fabsf(o2[j] - o3[j]) < 1e-3f;
    report(ok, "value label-aware attention p=%g: weights sum to 1, inactive 0, p=1000 is the hard pick",
           (double)p);
    free(c.kk); free(c.trow); free(c.I); free(c.T); free(c.out); free(c.R); free(c.aw);
    free(c.dI); free(c.dT);
}

static void test_interests(void)
{
    /* MIND's K'u = max(1, min(K, floor(log2 n))), by hand for K = 4 */
    static const int n[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 100};
    static const int want[] = {1, 1, 1, 1, 2, 2, 3, 3, 4, 4};
    int ok = 1;
    char got[128];
    int o = 0;
    for (size_t i = 0; i < sizeof n / sizeof *n; i++) {
        int k = tt_interest_count(n[i], 4);
        ok &= k == want[i];
        o += snprintf(got + o, sizeof got - (size_t)o, "%s%d->%d", i ? " " : "", n[i], k);
    }
    report(ok, "value MIND K'u (K=4): %s", got);
    report(tt_interest_count(100, 2) == 2 && tt_interest_count(1 << 20, 64) == 20 &&
           tt_interest_count(5, 1) == 1,
           "value MIND K'u is capped by K and grows as floor(log2 n)");
    test_interests_via(0, 4, 6, 5, 7, 3, 1);
    test_interests_via(0, 3, 9, 4, 16, 4, 1);
    test_interests_via(1, 4, 6, 5, 0, 3, TT_ROUTE_ITERS);
    test_interests_via(1, 5, 9, 4, 0, 4, TT_ROUTE_ITERS);
    test_interests_via(1, 5, 9, 4, 0, 4, 1);   /* iters=1: the fixed logits alone */
    test_interests_via(1, 4, 6, 5, 0, 3, 6);
    /* the pick: a hard argmax (gaps kept wide so no step crosses a tie) */
    int B = 5, K = 4, D = 6, NT = 7;
    pick_ctx c = {B, K, D, calloc(B, 4), calloc(B, 4), calloc(B, 8), fa(B * K * D),
                  fa(NT * D), fa(B * D), fa(B * D), fa(B * K * D)};
    fill(c.I, B * K * D, -1, 1);
    fill(c.T, NT * D, -1, 1);
    fill(c.R, B * D, -1, 1);
    for (int b = 0; b < B; b++) {
        c.kk[b] = 1 + b % K;
        c.trow[b] = (b * 3) % NT;
        /* make interest (b % kk) the clear winner */
        int w = b % c.kk[b];
        for (int j = 0; j < D; j++)
            c.I[(b * K + w) * D + j] = 3.0f * c.T[c.trow[b] * D + j];
    }
    problem p = {"interest pick", pick_obj, pick_grad, &c,
                 {{"I", c.I, c.dI, B * K * D}}, 1, 1e-2, 0};
    check(&p);
    pick_obj(&c);
    int sel_ok = 1;
    for (int b = 0; b < B; b++)
        sel_ok &= c.sel[b] == b % c.kk[b];
    /* ties go to the first interest; inactive interests never win */
    float I2[2 * 4] = {1, 0, 1, 0, 5, 5, 0, 0}, T2[2] = {1, 0}, o2[2];
    int32_t kk2 = 2, s2 = -1;
    int64_t r2 = 0;
    tt_interest_pick_forward(o2, &s2, I2, &kk2, T2, 2, &r2, 1, 4, 2);
    int tie_ok = s2 == 0;
    kk2 = 1;
    float I3[2 * 2] = {0, 1, 9, 9};
    tt_interest_pick_forward(o2, &s2, I3, &kk2, T2, 2, &r2, 1, 2, 2);
    tie_ok &= s2 == 0;
    report(sel_ok && tie_ok, "value interest pick: argmax with the target, ties to the first, inactive never");
    free(c.kk); free(c.sel); free(c.trow); free(c.I); free(c.T); free(c.out); free(c.R);
    free(c.dI);
    test_interest_attend(1.0f);
    test_interest_attend(8.0f);
}

int main(void)
{
    tt_blas_set_threads(1);
    selftest();
    test_embed();
    test_dense();
    test_relu_l2();
    test_senet();
    test_lightse();
    test_fe();
    test_catalign();
    test_interests();
    test_fm();
    test_cross();
    test_softmax_case(4, 7, 1.0f, 0, 0);
    test_softmax_case(4, 7, 0.05f, 0, 0);
    test_softmax_case(5, 19, 0.05f, 1, 0);
    test_softmax_case(5, 19, 0.05f, 0, 1);
    test_softmax_case(6, 37, 0.2f, 1, 1);
    test_softmax_case(16, 100, 0.05f, 1, 1);
    test_softmax_values();
    test_bce_bpr();
    test_vexpf();
    return tt_check_done("test_grad");
}

/* tt_losses: the training losses, one row each (tt_losses.h): full softmax
 * over the whole corpus, in-batch softmax (logQ, accidental-hit masking),
 * sampled softmax (shared negatives, logQ), BCE and BPR with random
 * negatives. Q (B, D) are the user tower's outputs, V (nv, D) the item
 * tower's; the kernels (tt_softmax_xent, tt_bce, tt_bpr) are in nn.
 * To add a loss: write its shape, items, forward and backward below and
 * append its row to `losses` (ids are stored in model files: append only). */
#include "tt_model_impl.h"
#include "tt_blas.h"
#include "tt_loss.h"
#include "tt_par.h"
#include "tt_dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline float dotf(const float *a, const float *b, int D)
{
    float s = 0;
    for (int i = 0; i < D; i++)
        s += a[i] * b[i];
    return s;
}

static inline void axpy(float *y, float a, const float *x, int D)
{
    for (int i = 0; i < D; i++)
        y[i] += a * x[i];
}

/* ---- softmax over item columns, shared by full and in-batch softmax:
 * phases run on every thread over fixed ranges, on the score rows
 * [lr0, lr1) this process computes (all B alone, its share across ranks:
 * TT_SHARD_ROWS) ---- */

static void ph_scores(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, R = (int)(c->lr1 - c->lr0), N = (int)c->nv;
    long j0, j1;
    tt_par_range(N, tid, nt, &j0, &j1);
    if (m->fe.on) {
        interact_scores(m, c, tid, j0, j1);
        return;
    }
    /* S[r, j0:j1] (R, Nj) = Q[r] (R, D) V[j0:j1]^T, r = the rows lr0..lr1 */
    if (j1 > j0 && R > 0)
        tt_gemm(0, 1, R, (int)(j1 - j0), D, 1.0f, m->tw[0].out + (size_t)c->lr0 * D, D,
                m->tw[1].out + (size_t)j0 * D, D, 0.0f, m->S + (size_t)c->lr0 * N + j0, N);
}

static void ph_softmax(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int N = (int)c->nv;
    long r0, r1;
    tt_par_range(c->lr1 - c->lr0, tid, nt, &r0, &r1);
    r0 += c->lr0, r1 += c->lr0;
    int Bt = (int)(r1 - r0);
    if (Bt <= 0) {
        c->part_loss[tid] = 0;
        return;
    }
    size_t o = (size_t)r0 * N;
    if (c->inbatch) {
        const int64_t *ir = c->ir;
        for (long b = r0; b < r1; b++) {
            if (c->lq) {
                float *row = m->logq_m + (size_t)b * N;
                for (int j = 0; j < N; j++)
                    row[j] = m->logq_item[ir[j]];
            }
            if (c->mk) {
                uint8_t *row = m->mask + (size_t)b * N;
                for (int j = 0; j < N; j++)
                    row[j] = (j != b && ir[j] == ir[b]);
            }
        }
    }
    c->part_loss[tid] = tt_softmax_xent(m->dS + o, m->S + o, Bt, N, c->tgt + r0,
                                        m->def.temp, c->lq ? c->lq + o : NULL,
                                        c->mk ? c->mk + o : NULL);
}

static void ph_dq(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, N = (int)c->nv;
    long r0, r1;
    tt_par_range(c->lr1 - c->lr0, tid, nt, &r0, &r1);
    r0 += c->lr0, r1 += c->lr0;
    int Bt = (int)(r1 - r0);
    if (Bt <= 0)
        return;
    size_t o = (size_t)r0 * N;
    /* Each thread's loss is the mean over its Bt rows: alpha turns its 1/Bt
     * into the batch's 1/B. dQ rows (Bt, D) = alpha dS rows (Bt, N) V (N, D). */
    float alpha = (float)Bt / (float)c->B;
    if (!m->fe.on)   /* FE: after its backward (ph_fe_dq) */
        tt_gemm(0, 0, Bt, D, N, alpha, m->dS + o, N, m->tw[1].out, D, 0.0f,
                m->tw[0].dout + (size_t)r0 * D, D);
    /* Q rows scaled by alpha for dV = dS^T Qs. */
    const float *q = m->tw[0].out + (size_t)r0 * D;
    float *qs = m->Qs + (size_t)r0 * D;
    for (size_t i = 0; i < (size_t)Bt * D; i++)
        qs[i] = alpha * q[i];
}

static void ph_dv(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, R = (int)(c->lr1 - c->lr0), N = (int)c->nv;
    long j0, j1;
    tt_par_range(N, tid, nt, &j0, &j1);
    if (m->fe.on) {   /* into the FE item vectors' gradient and dQ's parts */
        interact_dv(m, c, tid, j0, j1);
        return;
    }
    /* dV[j0:j1] (Nj, D) = dS[r, j0:j1]^T (Nj, R) Qs[r] (R, D), r = lr0..lr1:
     * across ranks this rank's part of dV, summed after backward */
    if (j1 > j0)
        tt_gemm(1, 0, (int)(j1 - j0), D, R, 1.0f, m->dS + (size_t)c->lr0 * N + j0, N,
                m->Qs + (size_t)c->lr0 * D, D, 0.0f, m->tw[1].dout + (size_t)j0 * D, D);
}

/* S = Q V^T by item columns; softmax by batch rows. */
static double softmax_forward(tt_model *m, tt_loss_step *c)
{
    tt_pool_run(m->pool, ph_scores, c);
    tt_pool_run(m->pool, ph_softmax, c);
    double loss = 0;
    int nt = tt_pool_size(m->pool);
    for (int t = 0; t < nt; t++) {
        long r0, r1;
        tt_par_range(c->lr1 - c->lr0, t, nt, &r0, &r1);
        loss += c->part_loss[t] * (double)(r1 - r0) / c->B;
    }
    return loss;
}

/* FE: dQ rows from the threads' parts (ph_dv), scaled as in ph_dq. */
static void ph_fe_dq(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    long r0, r1;
    tt_par_range(c->lr1 - c->lr0, tid, nt, &r0, &r1);
    r0 += c->lr0, r1 += c->lr0;
    if (r1 > r0)
        interact_dq(c->m, r0, r1, (float)(r1 - r0) / (float)c->B, nt);
}

/* dQ by batch rows, then dV by item columns (the FE-Block: both by item
 * columns, then dQ's parts summed by rows). */
static void softmax_backward(tt_model *m, tt_loss_step *c)
{
    tt_pool_run(m->pool, ph_dq, c);
    tt_pool_run(m->pool, ph_dv, c);
    if (m->fe.on)
        tt_pool_run(m->pool, ph_fe_dq, c);
}

/* ---- full softmax: every item is a column ---- */

static void full_shape(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols)
{
    (void)B, (void)neg;
    *nv = n_items;
    *ncols = n_items;
}

/* ---- full softmax across ranks (TT_SHARD_ITEMS): every batch row against
 * this rank's item rows [lo[1], hi[1]), nl of them; S and dS (B, nl). Each
 * rank's (max, sum of exponentials, target logit) per row are gathered and
 * combined in rank order, so every rank has each row's logsumexp; the
 * softmax's gradient of its columns follows, then its items' dV exactly and
 * its part of dQ (summed over the ranks after backward). ---- */

/* Batch row b's target as a column of this rank's part, or -1. */
static inline int32_t part_col(const tt_loss_step *c, int b)
{
    int64_t t = c->tgt[b];
    return t >= c->lo[1] && t < c->hi[1] ? (int32_t)(t - c->lo[1]) : -1;
}

/* Thread tid's columns [*j0, *j1) of this rank's nl item rows; returns nl. */
static int part_cols(const tt_loss_step *c, int tid, int nt, long *j0, long *j1)
{
    int nl = (int)(c->hi[1] - c->lo[1]);
    tt_par_range(nl, tid, nt, j0, j1);
    return nl;
}

static void ph_xscores(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    long j0, j1;
    const int nl = part_cols(c, tid, nt, &j0, &j1), D = m->D;
    /* S[:, j0:j1] (B, nj) = Q (B, D) V[lo + j0 : lo + j1]^T */
    if (j1 > j0)
        tt_gemm(0, 1, c->B, (int)(j1 - j0), D, 1.0f, m->tw[0].out, D,
                m->tw[1].out + (size_t)(c->lo[1] + j0) * D, D, 0.0f, m->S + j0, nl);
}

static void ph_xparts(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int nl = (int)(c->hi[1] - c->lo[1]);
    double *st = m->xstat + (size_t)3 * c->B * tt_dist_rank();
    long r0, r1;
    tt_par_range(c->B, tid, nt, &r0, &r1);
    for (long b = r0; b < r1; b++) {
        int32_t col = part_col(c, (int)b);
        tt_softmax_part_rows(m->dS + (size_t)b * nl, st + 3 * b, m->S + (size_t)b * nl, 1, nl,
                             &col, m->def.temp);
    }
}

/* dS[b, :] = g (exp(logit - lse_b) - [target]): the part's exp(logit - mx)
 * times the row's scale g exp(mx - max) / Z, left by combine in st[3b]. */
static void ph_xgrad(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int nl = (int)(c->hi[1] - c->lo[1]);
    const double *st = m->xstat + (size_t)3 * c->B * tt_dist_rank();
    const float g = (float)(1.0 / ((double)c->B * m->def.temp));
    long r0, r1;
    tt_par_range(c->B, tid, nt, &r0, &r1);
    for (long b = r0; b < r1; b++) {
        float *p = m->dS + (size_t)b * nl, f = (float)st[3 * b];
        for (int j = 0; j < nl; j++)
            p[j] *= f;
        int32_t col = part_col(c, (int)b);
        if (col >= 0)
            p[col] -= g;
    }
}

static double xfull_forward(tt_model *m, tt_loss_step *c)
{
    const int B = c->B, N = tt_dist_size(), me = tt_dist_rank();
    size_t need = (size_t)3 * B * N;
    if ((int64_t)need > m->xstat_cap) {   /* the first step (the batch only shrinks) */
        double *x = realloc(m->xstat, need * sizeof(double));
        if (!x)
            tt_dist_die("out of memory for the sharded softmax's row statistics");
        m->xstat = x;
        m->xstat_cap = (int64_t)need;
    }
    tt_pool_run(m->pool, ph_xscores, c);
    tt_pool_run(m->pool, ph_xparts, c);
    tt_err err;
    if (tt_dist_gather_ranges(m->xstat, N, (size_t)3 * B * sizeof(double), &err))
        tt_dist_die(err.msg);
    const double g = 1.0 / ((double)B * m->def.temp);
    double loss = 0;
    for (int b = 0; b < B; b++) {
        /* the row over the ranks' parts, in rank order */
        double mx = -INFINITY, z = 0, lt = 0;
        for (int r = 0; r < N; r++) {
            const double *s = m->xstat + (size_t)3 * (B * (size_t)r + b);
            if (s[1] > 0 && s[0] > mx)
                mx = s[0];
        }
        for (int r = 0; r < N; r++) {
            const double *s = m->xstat + (size_t)3 * (B * (size_t)r + b);
            if (s[1] > 0)
                z += s[1] * exp(s[0] - mx);
            lt += s[2];
        }
        if (b >= c->lr0 && b < c->lr1)
            loss += mx + log(z) - lt;
        double *own = m->xstat + (size_t)3 * (B * (size_t)me + b);
        own[0] = own[1] > 0 ? g * exp(own[0] - mx) / z : 0.0;
    }
    tt_pool_run(m->pool, ph_xgrad, c);
    return loss / B;
}

static void ph_xdv(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    long j0, j1;
    const int nl = part_cols(c, tid, nt, &j0, &j1), D = c->m->D;
    tt_model *m = c->m;
    /* dV[lo + j0 : lo + j1] (nj, D) = dS[:, j0:j1]^T (nj, B) Q (B, D) */
    if (j1 > j0)
        tt_gemm(1, 0, (int)(j1 - j0), D, c->B, 1.0f, m->dS + j0, nl, m->tw[0].out, D, 0.0f,
                m->tw[1].dout + (size_t)(c->lo[1] + j0) * D, D);
}

static void ph_xdq(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, nl = (int)(c->hi[1] - c->lo[1]);
    long r0, r1;
    tt_par_range(c->B, tid, nt, &r0, &r1);
    if (r1 <= r0)
        return;
    float *dq = m->tw[0].dout + (size_t)r0 * D;
    /* this rank's part of dQ[r0:r1] (Bt, D) = dS[r0:r1] (Bt, nl) V[lo:hi] (nl, D) */
    if (nl == 0)
        memset(dq, 0, (size_t)(r1 - r0) * D * sizeof(float));
    else
        tt_gemm(0, 0, (int)(r1 - r0), D, nl, 1.0f, m->dS + (size_t)r0 * nl, nl,
                m->tw[1].out + (size_t)c->lo[1] * D, D, 0.0f, dq, D);
}

static double full_forward(tt_model *m, tt_loss_step *c)
{
    return c->shard == TT_SHARD_ITEMS ? xfull_forward(m, c) : softmax_forward(m, c);
}

static void full_backward(tt_model *m, tt_loss_step *c)
{
    if (c->shard != TT_SHARD_ITEMS) {
        softmax_backward(m, c);
        return;
    }
    tt_pool_run(m->pool, ph_xdv, c);
    tt_pool_run(m->pool, ph_xdq, c);
}

/* ---- in-batch softmax: the batch's positives are the columns; row b targets
 * column b; logQ and accidental-hit rows are filled by each thread ---- */

static void inbatch_shape(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols)
{
    (void)neg, (void)n_items;
    *nv = B;
    *ncols = B;
}

static void inbatch_items(tt_model *m, tt_loss_step *c)
{
    (void)m;
    for (int b = 0; b < c->B; b++) {
        c->ir[b] = c->tgt[b];
        c->tgt[b] = b;
    }
}

static double inbatch_forward(tt_model *m, tt_loss_step *c)
{
    c->inbatch = 1;
    c->lq = c->logq ? m->logq_m : NULL;
    c->mk = c->mask ? m->mask : NULL;
    return softmax_forward(m, c);
}

/* ---- sampled softmax: column 0 is the positive, then neg negatives shared
 * by the batch ---- */

static void sampled_shape(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols)
{
    (void)n_items;
    *nv = B + neg;
    *ncols = 1 + neg;
}

static void sampled_items(tt_model *m, tt_loss_step *c)
{
    for (int b = 0; b < c->B; b++)
        c->ir[b] = c->tgt[b];
    for (int j = 0; j < c->neg; j++)
        c->ir[c->B + j] = model_draw(m);
}

/* The score rows r = [lr0, lr1) (all B alone, this rank's share across
 * ranks: TT_SHARD_ROWS); the negatives' dV is then this rank's part. */
static double sampled_forward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg, C = 1 + neg;
    const int r0 = (int)c->lr0, r1 = (int)c->lr1, R = r1 - r0;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    const float *Vn = V + (size_t)B * D;   /* (neg, D) shared negatives */
    const int64_t *ir = c->ir;
    float *S = m->S;
    /* S[r, 1:] (R, neg) = Q[r] Vn^T; S[b, 0] = <q_b, v_b> */
    if (R > 0)
        tt_gemm(0, 1, R, neg, D, 1.0f, Q + (size_t)r0 * D, D, Vn, D, 0.0f, S + (size_t)r0 * C + 1, C);
    for (int b = 0; b < B; b++)
        c->tgt[b] = 0;
    for (int b = r0; b < r1; b++)
        S[(size_t)b * C] = dotf(Q + (size_t)b * D, V + (size_t)b * D, D);
    if (c->logq) {
        for (int b = r0; b < r1; b++) {
            float *row = m->logq_m + (size_t)b * C;
            row[0] = m->logq_samp[ir[b]];
            for (int j = 0; j < neg; j++)
                row[1 + j] = m->logq_samp[ir[B + j]];
        }
        c->lq = m->logq_m;
    }
    if (c->mask) {
        for (int b = r0; b < r1; b++) {
            uint8_t *row = m->mask + (size_t)b * C;
            row[0] = 0;
            for (int j = 0; j < neg; j++)
                row[1 + j] = ir[B + j] == ir[b];
        }
        c->mk = m->mask;
    }
    size_t o = (size_t)r0 * C;
    return tt_softmax_xent_rows(m->dS + o, S + o, R, C, c->tgt + r0, m->def.temp,
                                c->lq ? c->lq + o : NULL, c->mk ? c->mk + o : NULL, B) / B;
}

static void sampled_backward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg, C = 1 + neg;
    const int r0 = (int)c->lr0, r1 = (int)c->lr1, R = r1 - r0;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    const float *Vn = V + (size_t)B * D;
    float *dQ = m->tw[0].dout, *dV = m->tw[1].dout, *dS = m->dS + (size_t)r0 * C;
    /* over the rows r: dQ[r] = dS[r, 1:] Vn + dS[r, 0] v_r;  dVn = dS[r, 1:]^T Q[r];
     * dv_b = dS[b, 0] q_b (zero for the other ranks' rows b: they add theirs) */
    if (R > 0) {
        tt_gemm(0, 0, R, D, neg, 1.0f, dS + 1, C, Vn, D, 0.0f, dQ + (size_t)r0 * D, D);
        tt_gemm(1, 0, neg, D, R, 1.0f, dS + 1, C, Q + (size_t)r0 * D, D, 0.0f, dV + (size_t)B * D, D);
    } else {
        memset(dV + (size_t)B * D, 0, (size_t)neg * D * sizeof(float));
    }
    memset(dV, 0, (size_t)r0 * D * sizeof(float));
    memset(dV + (size_t)r1 * D, 0, (size_t)(B - r1) * D * sizeof(float));
    dS = m->dS;
    for (int b = r0; b < r1; b++) {
        float g = dS[(size_t)b * C];
        axpy(dQ + (size_t)b * D, g, V + (size_t)b * D, D);
        float *dv = dV + (size_t)b * D;
        const float *q = Q + (size_t)b * D;
        for (int i = 0; i < D; i++)
            dv[i] = g * q[i];
    }
}

/* ---- BCE and BPR: each example's own neg negatives; item rows are the B
 * positives, then B blocks of neg ---- */

static void pointwise_shape(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols)
{
    (void)n_items;
    *nv = B * (1 + neg);
    *ncols = 1 + neg;
}

static void pairwise_shape(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols)
{
    (void)n_items;
    *nv = B * (1 + neg);
    *ncols = neg;
}

/* Negatives drawn per example, redrawn (up to 8 times) when they hit the
 * example's positive. */
static void own_negatives_items(tt_model *m, tt_loss_step *c)
{
    const int B = c->B, neg = c->neg;
    for (int b = 0; b < B; b++) {
        c->ir[b] = c->tgt[b];
        for (int j = 0; j < neg; j++) {
            int32_t v = model_draw(m);
            for (int tries = 0; v == c->tgt[b] && tries < 8; tries++)
                v = model_draw(m);
            c->ir[B + (int64_t)b * neg + j] = v;
        }
    }
}

/* Item row of example b's column j (0: the positive, then its negatives). */
static inline size_t own_row(int B, int neg, int b, int j)
{
    return j == 0 ? (size_t)b : (size_t)B + (size_t)b * neg + j - 1;
}

static double bce_forward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg, C = 1 + neg;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    for (int b = 0; b < B; b++) {
        const float *q = Q + (size_t)b * D;
        for (int j = 0; j < C; j++) {
            m->S[(size_t)b * C + j] = dotf(q, V + own_row(B, neg, b, j) * D, D);
            m->lab[(size_t)b * C + j] = j == 0 ? 1.0f : 0.0f;
        }
    }
    return tt_bce(m->dS, m->S, m->lab, (long)B * C, m->def.temp);
}

static void bce_backward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg, C = 1 + neg;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    float *dQ = m->tw[0].dout, *dV = m->tw[1].dout;
    memset(dQ, 0, (size_t)B * D * sizeof(float));
    for (int b = 0; b < B; b++) {
        const float *q = Q + (size_t)b * D;
        float *dq = dQ + (size_t)b * D;
        for (int j = 0; j < C; j++) {
            size_t row = own_row(B, neg, b, j);
            float g = m->dS[(size_t)b * C + j];
            axpy(dq, g, V + row * D, D);
            float *dv = dV + row * D;
            for (int i = 0; i < D; i++)
                dv[i] = g * q[i];
        }
    }
}

static double bpr_forward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    for (int b = 0; b < B; b++) {
        const float *q = Q + (size_t)b * D;
        float sp = dotf(q, V + (size_t)b * D, D);
        for (int j = 0; j < neg; j++) {
            m->pos[(size_t)b * neg + j] = sp;
            m->negs[(size_t)b * neg + j] = dotf(q, V + own_row(B, neg, b, 1 + j) * D, D);
        }
    }
    return tt_bpr(m->dpos, m->dneg, m->pos, m->negs, (long)B * neg, m->def.temp);
}

static void bpr_backward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    float *dQ = m->tw[0].dout, *dV = m->tw[1].dout;
    memset(dQ, 0, (size_t)B * D * sizeof(float));
    memset(dV, 0, (size_t)B * D * sizeof(float));
    for (int b = 0; b < B; b++) {
        const float *q = Q + (size_t)b * D;
        float *dq = dQ + (size_t)b * D;
        float gp = 0;
        for (int j = 0; j < neg; j++) {
            size_t i = (size_t)b * neg + j, row = own_row(B, neg, b, 1 + j);
            float gn = m->dneg[i];
            gp += m->dpos[i];
            axpy(dq, gn, V + row * D, D);
            float *dv = dV + row * D;
            for (int e = 0; e < D; e++)
                dv[e] = gn * q[e];
        }
        axpy(dq, gp, V + (size_t)b * D, D);
        axpy(dV + (size_t)b * D, gp, q, D);
    }
}

/* ---- the table: ids are the row numbers (TT_LOSS_* in tt_model.h) ---- */

static const tt_loss_op losses[] = {
    /* name      neg  logq mask  shape            items                forward          backward          across ranks */
    {"softmax",   0,   0,   0,   full_shape,      NULL,                full_forward,    full_backward,    TT_SHARD_ITEMS},
    {"inbatch",   0,   1,   1,   inbatch_shape,   inbatch_items,       inbatch_forward, softmax_backward, TT_SHARD_ROWS},
    {"sampled", 128,   1,   1,   sampled_shape,   sampled_items,       sampled_forward, sampled_backward, TT_SHARD_ROWS},
    {"bce",       4,   0,   0,   pointwise_shape, own_negatives_items, bce_forward,     bce_backward,     TT_SHARD_NONE},
    {"bpr",       4,   0,   0,   pairwise_shape,  own_negatives_items, bpr_forward,     bpr_backward,     TT_SHARD_NONE},
};
#define N_LOSSES ((int)(sizeof losses / sizeof losses[0]))

int tt_loss_count(void)
{
    return N_LOSSES;
}

const tt_loss_op *tt_loss_by_id(int id)
{
    return id >= 0 && id < N_LOSSES ? &losses[id] : NULL;
}

int tt_loss_by_name(const char *name)
{
    for (int i = 0; i < N_LOSSES; i++)
        if (!strcmp(losses[i].name, name))
            return i;
    return -1;
}

const char *tt_loss_names(void)
{
    static char buf[N_LOSSES * 32];
    if (!buf[0]) {
        int j = 0;
        for (int i = 0; i < N_LOSSES; i++)
            j += snprintf(buf + j, sizeof buf - (size_t)j, "%s%s", i ? "|" : "", losses[i].name);
    }
    return buf;
}

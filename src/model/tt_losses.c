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

#include <stdio.h>
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
 * phases run on every thread over fixed ranges ---- */

static void ph_scores(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, B = c->B, N = (int)c->nv;
    long j0, j1;
    tt_par_range(N, tid, nt, &j0, &j1);
    if (m->fe.on) {
        interact_scores(m, c, j0, j1);
        return;
    }
    /* S[:, j0:j1] (B, Nj) = Q (B, D) V[j0:j1]^T */
    if (j1 > j0)
        tt_gemm(0, 1, B, (int)(j1 - j0), D, 1.0f, m->tw[0].out, D,
                m->tw[1].out + (size_t)j0 * D, D, 0.0f, m->S + j0, N);
}

static void ph_softmax(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    const int N = (int)c->nv;
    long r0, r1;
    tt_par_range(c->B, tid, nt, &r0, &r1);
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
    const int D = m->D, B = c->B, N = (int)c->nv;
    long r0, r1;
    tt_par_range(B, tid, nt, &r0, &r1);
    int Bt = (int)(r1 - r0);
    if (Bt <= 0)
        return;
    size_t o = (size_t)r0 * N;
    /* Each thread's loss is the mean over its Bt rows: alpha turns its 1/Bt
     * into the batch's 1/B. dQ rows (Bt, D) = alpha dS rows (Bt, N) V (N, D). */
    float alpha = (float)Bt / (float)B;
    if (m->fe.on)
        interact_dq(m, c, r0, r1, alpha);
    else
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
    const int D = m->D, B = c->B, N = (int)c->nv;
    long j0, j1;
    tt_par_range(N, tid, nt, &j0, &j1);
    if (m->fe.on && j1 > j0) {
        interact_dv(m, c, j0, j1);   /* into the FE item vectors' gradient */
        return;
    }
    /* dV[j0:j1] (Nj, D) = dS[:, j0:j1]^T (Nj, B) Qs (B, D) */
    if (j1 > j0)
        tt_gemm(1, 0, (int)(j1 - j0), D, B, 1.0f, m->dS + j0, N, m->Qs, D, 0.0f,
                m->tw[1].dout + (size_t)j0 * D, D);
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
        tt_par_range(c->B, t, nt, &r0, &r1);
        loss += c->part_loss[t] * (double)(r1 - r0) / c->B;
    }
    return loss;
}

/* dQ by batch rows, then dV by item columns. */
static void softmax_backward(tt_model *m, tt_loss_step *c)
{
    tt_pool_run(m->pool, ph_dq, c);
    tt_pool_run(m->pool, ph_dv, c);
}

/* ---- full softmax: every item is a column ---- */

static void full_shape(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols)
{
    (void)B, (void)neg;
    *nv = n_items;
    *ncols = n_items;
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

static double sampled_forward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg, C = 1 + neg;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    const float *Vn = V + (size_t)B * D;   /* (neg, D) shared negatives */
    const int64_t *ir = c->ir;
    float *S = m->S;
    /* S[:, 1:] (B, neg) = Q Vn^T; S[:, 0] = <q_b, v_b> */
    tt_gemm(0, 1, B, neg, D, 1.0f, Q, D, Vn, D, 0.0f, S + 1, C);
    for (int b = 0; b < B; b++) {
        S[(size_t)b * C] = dotf(Q + (size_t)b * D, V + (size_t)b * D, D);
        c->tgt[b] = 0;
    }
    if (c->logq) {
        for (int b = 0; b < B; b++) {
            float *row = m->logq_m + (size_t)b * C;
            row[0] = m->logq_samp[ir[b]];
            for (int j = 0; j < neg; j++)
                row[1 + j] = m->logq_samp[ir[B + j]];
        }
        c->lq = m->logq_m;
    }
    if (c->mask) {
        for (int b = 0; b < B; b++) {
            uint8_t *row = m->mask + (size_t)b * C;
            row[0] = 0;
            for (int j = 0; j < neg; j++)
                row[1 + j] = ir[B + j] == ir[b];
        }
        c->mk = m->mask;
    }
    return tt_softmax_xent(m->dS, S, B, C, c->tgt, m->def.temp, c->lq, c->mk);
}

static void sampled_backward(tt_model *m, tt_loss_step *c)
{
    const int D = m->D, B = c->B, neg = c->neg, C = 1 + neg;
    const float *Q = m->tw[0].out, *V = m->tw[1].out;
    const float *Vn = V + (size_t)B * D;
    float *dQ = m->tw[0].dout, *dV = m->tw[1].dout, *dS = m->dS;
    /* dQ = dS[:, 1:] Vn + dS[:, 0] v_b;  dVn = dS[:, 1:]^T Q;  dv_b = dS[:, 0] q_b */
    tt_gemm(0, 0, B, D, neg, 1.0f, dS + 1, C, Vn, D, 0.0f, dQ, D);
    tt_gemm(1, 0, neg, D, B, 1.0f, dS + 1, C, Q, D, 0.0f, dV + (size_t)B * D, D);
    for (int b = 0; b < B; b++) {
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
    /* name      neg  logq mask  shape            items               forward          backward */
    {"softmax",   0,   0,   0,   full_shape,      NULL,               softmax_forward, softmax_backward},
    {"inbatch",   0,   1,   1,   inbatch_shape,   inbatch_items,      inbatch_forward, softmax_backward},
    {"sampled", 128,   1,   1,   sampled_shape,   sampled_items,      sampled_forward, sampled_backward},
    {"bce",       4,   0,   0,   pointwise_shape, own_negatives_items, bce_forward,    bce_backward},
    {"bpr",       4,   0,   0,   pairwise_shape,  own_negatives_items, bpr_forward,    bpr_backward},
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

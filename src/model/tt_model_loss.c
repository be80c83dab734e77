/* tt_model_loss: the training losses wired through both towers: full softmax
 * over the whole corpus, in-batch softmax (logQ, accidental-hit masking),
 * sampled softmax (shared negatives, uniform or popularity^alpha via an alias
 * table, logQ), BCE and BPR with random negatives. */
#include "tt_model_impl.h"
#include "tt_mkind.h"
#include "tt_blas.h"
#include "tt_loss.h"
#include "tt_par.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int tt_model_negatives(const tt_model_def *md)
{
    if (md->neg > 0)
        return md->neg;
    switch (md->loss) {
    case TT_LOSS_SAMPLED: return 128;
    case TT_LOSS_BCE: return 4;
    case TT_LOSS_BPR: return 4;
    default: return 0;
    }
}

/* Rows the item tower sees per batch of B, and score columns per example. */
static void loss_shape(const tt_model *m, int64_t B, int64_t *nv, int64_t *ncols)
{
    int64_t neg = m->neg;
    switch (m->def.loss) {
    case TT_LOSS_SOFTMAX: *nv = m->n_items; *ncols = m->n_items; break;
    case TT_LOSS_INBATCH: *nv = B; *ncols = B; break;
    case TT_LOSS_SAMPLED: *nv = B + neg; *ncols = 1 + neg; break;
    case TT_LOSS_BCE: *nv = B * (1 + neg); *ncols = 1 + neg; break;
    case TT_LOSS_BPR: *nv = B * (1 + neg); *ncols = neg; break;
    default: *nv = B; *ncols = B; break;
    }
}

/* logQ tables and the popularity^alpha alias table from training counts. */
static int build_sampler(tt_model *m, const tt_split *sp, tt_err *err)
{
    int32_t N = m->n_items;
    if (!m->logq_item) {
        m->logq_item = tt_alloc((size_t)N, sizeof(float), "logQ table", err);
        m->logq_samp = tt_alloc((size_t)N, sizeof(float), "sampler logQ", err);
        m->alias_p = tt_alloc((size_t)N, sizeof(float), "alias table", err);
        m->alias_j = tt_alloc((size_t)N, sizeof(int32_t), "alias table", err);
        if (!m->logq_item || !m->logq_samp || !m->alias_p || !m->alias_j)
            return -1;
    }
    double tot = 0;
    for (int32_t j = 0; j < N; j++)
        tot += (double)sp->item_freq[j];
    if (tot <= 0)
        tot = 1;
    /* q(item) = its share of the training interactions: the probability that
     * an in-batch negative is that item. Unseen items never appear in a batch;
     * give them one count so the table stays finite. */
    for (int32_t j = 0; j < N; j++)
        m->logq_item[j] = (float)log((sp->item_freq[j] > 0 ? (double)sp->item_freq[j] : 1.0) / tot);
    if (m->def.sampler == TT_SAMPLE_UNIFORM) {
        for (int32_t j = 0; j < N; j++) {
            m->logq_samp[j] = (float)-log((double)N);
            m->alias_p[j] = 1.0f;
            m->alias_j[j] = j;
        }
        return 0;
    }
    /* Vose's alias method over w_j = freq_j^alpha. */
    double *w = tt_alloc((size_t)N, sizeof(double), "sampler weights", err);
    int32_t *small = tt_alloc((size_t)N * 2, sizeof(int32_t), "alias work", err);
    if (!w || !small) {
        free(w);
        free(small);
        return -1;
    }
    int32_t *large = small + N;
    double sw = 0;
    for (int32_t j = 0; j < N; j++) {
        w[j] = sp->item_freq[j] > 0 ? pow((double)sp->item_freq[j], m->def.alpha) : 0.0;
        sw += w[j];
    }
    if (sw <= 0) {   /* no counts: uniform */
        for (int32_t j = 0; j < N; j++)
            w[j] = 1.0;
        sw = N;
    }
    int32_t ns = 0, nl = 0;
    for (int32_t j = 0; j < N; j++) {
        double p = w[j] / sw;
        m->logq_samp[j] = p > 0 ? (float)log(p) : -1e30f;
        w[j] = p * N;
        if (w[j] < 1.0)
            small[ns++] = j;
        else
            large[nl++] = j;
    }
    while (ns > 0 && nl > 0) {
        int32_t s = small[--ns], l = large[nl - 1];
        m->alias_p[s] = (float)w[s];
        m->alias_j[s] = l;
        w[l] = (w[l] + w[s]) - 1.0;
        if (w[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl > 0) {
        int32_t l = large[--nl];
        m->alias_p[l] = 1.0f;
        m->alias_j[l] = l;
    }
    while (ns > 0) {
        int32_t s = small[--ns];
        m->alias_p[s] = 1.0f;
        m->alias_j[s] = s;
    }
    free(w);
    free(small);
    return 0;
}

static inline int32_t draw(tt_model *m)
{
    int32_t i = (int32_t)tt_rng_below(&m->rng, (uint32_t)m->n_items);
    if (m->def.sampler == TT_SAMPLE_UNIFORM)
        return i;
    return tt_rng_uniform(&m->rng) < m->alias_p[i] ? i : m->alias_j[i];
}

void tt_model_seed(tt_model *m, uint64_t seed)
{
    tt_rng_seed(&m->rng, seed ^ 0x5eed5a3b1e5ULL);
}

int tt_model_reserve(tt_model *m, const tt_dataset *d, const tt_split *sp,
                     int batch, tt_err *err)
{
    (void)d;
    if (m->K->fitted)
        return 0;
    if (batch < 1)
        return tt_err_set(err, "batch=%d must be >= 1", batch);
    m->neg = tt_model_negatives(&m->def);
    int32_t H = 0;
    for (int p = 0; p < 3; p++)
        H = TT_MAX(H, sp->part[p].H);
    if (model_ensure_hist(m, H, err))
        return -1;
    int64_t B = batch, nv, nc;
    loss_shape(m, B, &nv, &nc);
    if (tower_reserve(m, &m->tw[0], TT_MAX(B, 256), err) ||
        tower_reserve(m, &m->tw[1], TT_MAX(nv, 256), err))
        return -1;
    m->full_items_loaded = 0;
    if (B > m->cap_b || nv > m->irows_cap) {
        size_t sbn = (size_t)(B * nc);
        size_t pn = (size_t)(B * TT_MAX(m->neg, 1));
        size_t nf = 4 * ((sbn + 15) & ~(size_t)15)          /* S, dS, logq, lab */
                    + 4 * ((pn + 15) & ~(size_t)15)         /* pos, negs, dpos, dneg */
                    + (size_t)B * m->D + 16;                /* Qs */
        float *fb = tt_alloc_aligned(nf, sizeof(float), "loss buffers", err);
        size_t ni = ((sbn + 63) & ~(size_t)63) + (size_t)B * sizeof(int32_t) + 64
                    + (size_t)nv * sizeof(int64_t) + 64;
        char *ib = fb ? tt_alloc_aligned(ni, 1, "loss index buffers", err) : NULL;
        if (!fb || !ib) {
            free(fb);
            return -1;
        }
        free(m->lbuf);
        free(m->libuf);
        m->lbuf = fb;
        m->libuf = ib;
        size_t a = (sbn + 15) & ~(size_t)15, b = (pn + 15) & ~(size_t)15;
        m->S = fb;
        m->dS = fb + a;
        m->logq_m = fb + 2 * a;
        m->lab = fb + 3 * a;
        m->pos = fb + 4 * a;
        m->negs = m->pos + b;
        m->dpos = m->negs + b;
        m->dneg = m->dpos + b;
        m->Qs = m->dneg + b;
        m->mask = (uint8_t *)ib;
        m->target = (int32_t *)(ib + ((sbn + 63) & ~(size_t)63));
        m->irow64 = (int64_t *)(ib + ((sbn + 63) & ~(size_t)63)
                                + (((size_t)B * sizeof(int32_t) + 63) & ~(size_t)63));
        m->cap_b = B;
        m->irows_cap = nv;
    }
    if (m->sp_seen != sp) {
        if (build_sampler(m, sp, err))
            return -1;
        m->sp_seen = sp;
    }
    return 0;
}

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

/* ---- the phases of a step, each run on every thread over fixed ranges ---- */

typedef struct step_ctx {
    tt_model *m;
    int B;
    int64_t nv;
    const float *lq;
    const uint8_t *mk;
    const int64_t *ir;          /* item rows of the item tower */
    int inbatch;                /* fill lq / mk rows from ir */
    double part_loss[TT_MAX_THREADS];
} step_ctx;

static void ph_forward(void *ctx, int tid, int nt)
{
    step_ctx *c = ctx;
    for (int s = 0; s < 2; s++) {
        tower *t = &c->m->tw[s], v;
        long r0, r1;
        tt_par_range(s ? c->nv : c->B, tid, nt, &r0, &r1);
        if (r1 <= r0)
            continue;
        tower_view(t, &v, r0);
        tower_forward(&v, r1 - r0, -1);
    }
}

static void ph_scores(void *ctx, int tid, int nt)
{
    step_ctx *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, B = c->B, N = (int)c->nv;
    long j0, j1;
    tt_par_range(N, tid, nt, &j0, &j1);
    /* S[:, j0:j1] (B, Nj) = Q (B, D) V[j0:j1]^T */
    if (j1 > j0)
        tt_gemm(0, 1, B, (int)(j1 - j0), D, 1.0f, m->tw[0].out, D,
                m->tw[1].out + (size_t)j0 * D, D, 0.0f, m->S + j0, N);
}

static void ph_softmax(void *ctx, int tid, int nt)
{
    step_ctx *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, B = c->B, N = (int)c->nv;
    long r0, r1;
    tt_par_range(B, tid, nt, &r0, &r1);
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
    c->part_loss[tid] = tt_softmax_xent(m->dS + o, m->S + o, Bt, N, m->target + r0,
                                        m->def.temp, c->lq ? c->lq + o : NULL,
                                        c->mk ? c->mk + o : NULL);
    /* The loss averaged over this thread's Bt rows: alpha turns its 1/Bt into
     * the batch's 1/B. dQ rows (Bt, D) = alpha dS rows (Bt, N) V (N, D). */
    float alpha = (float)Bt / (float)B;
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
    step_ctx *c = ctx;
    tt_model *m = c->m;
    const int D = m->D, B = c->B, N = (int)c->nv;
    long j0, j1;
    tt_par_range(N, tid, nt, &j0, &j1);
    /* dV[j0:j1] (Nj, D) = dS[:, j0:j1]^T (Nj, B) Qs (B, D) */
    if (j1 > j0)
        tt_gemm(1, 0, (int)(j1 - j0), D, B, 1.0f, m->dS + j0, N, m->Qs, D, 0.0f,
                m->tw[1].dout + (size_t)j0 * D, D);
}

static void ph_backward(void *ctx, int tid, int nt)
{
    step_ctx *c = ctx;
    tt_model *m = c->m;
    for (int s = 0; s < 2; s++) {
        tower *t = &m->tw[s], v;
        long r0, r1;
        tt_par_range(s ? c->nv : c->B, tid, nt, &r0, &r1);
        if (r1 <= r0)
            continue;
        tower_view(t, &v, r0);
        if (tid > 0)
            tower_view_grads(&v, m->gw[tid], m->poff);
        tower_backward_dense(&v, r1 - r0);
    }
}

/* Scatter into the embedding tables, one table per thread at a time: fields
 * that share a table (hist and item_id) go to the same thread, so no two
 * threads write one table. */
static void ph_embed(void *ctx, int tid, int nt)
{
    step_ctx *c = ctx;
    tt_model *m = c->m;
    for (int s = 0; s < 2; s++) {
        tower *t = &m->tw[s];
        int64_t R = s ? c->nv : c->B;
        for (int fi = 0; fi < t->nf; fi++) {
            tw_field *f = &t->fld[fi];
            if (f->table % nt != tid)
                continue;
            const float *de = t->dE + (size_t)fi * t->k;
            if (f->bag)
                tt_embed_bag_backward(f->dT, de, t->F, t->k, f->off, f->vals, (int)R);
            else
                tt_embed_backward(f->dT, de, t->F, t->k, f->ids, (int)R);
        }
    }
}

double tt_model_batch_loss(tt_model *m, const tt_dataset *d, const tt_split *sp,
                           const int64_t *idx, int n, int backward, tt_err *err)
{
    if (m->K->fitted) {
        tt_err_set(err, "model %s: a %s model has no training loss", m->def.name, m->K->name);
        return NAN;
    }
    if (n < 1) {
        tt_err_set(err, "empty batch");
        return NAN;
    }
    if (n > m->cap_b || m->sp_seen != sp) {
        if (tt_model_reserve(m, d, sp, TT_MAX(n, (int)m->cap_b), err))
            return NAN;
    }
    const tt_examples *ex = &sp->part[TT_TRAIN];
    tower *tu = &m->tw[0], *ti = &m->tw[1];
    const int D = m->D, B = n, neg = m->neg;
    const float temp = m->def.temp;
    int64_t nv, nc;
    loss_shape(m, B, &nv, &nc);
    int32_t *tgt = m->target;
    int64_t *ir = m->irow64;
    for (int b = 0; b < B; b++)
        tgt[b] = ex->item[idx[b]];

    /* Which items the item tower sees. */
    switch (m->def.loss) {
    case TT_LOSS_SOFTMAX:
        break;
    case TT_LOSS_INBATCH:
        for (int b = 0; b < B; b++)
            ir[b] = tgt[b];
        break;
    case TT_LOSS_SAMPLED:
        for (int b = 0; b < B; b++)
            ir[b] = tgt[b];
        for (int j = 0; j < neg; j++)
            ir[B + j] = draw(m);
        break;
    case TT_LOSS_BCE:
    case TT_LOSS_BPR:
        for (int b = 0; b < B; b++) {
            ir[b] = tgt[b];
            for (int j = 0; j < neg; j++) {
                int32_t v = draw(m);
                for (int tries = 0; v == tgt[b] && tries < 8; tries++)
                    v = draw(m);
                ir[B + (int64_t)b * neg + j] = v;
            }
        }
        break;
    }

    tower_inputs(m, tu, d, ex, idx, NULL, -1, B);
    if (m->def.loss == TT_LOSS_SOFTMAX) {
        if (!m->full_items_loaded) {
            for (int64_t j = 0; j < nv; j++)
                ir[j] = j;
            tower_inputs(m, ti, d, NULL, ir, NULL, -1, nv);
            m->full_items_loaded = 1;
        }
    } else {
        tower_inputs(m, ti, d, NULL, ir, NULL, -1, nv);
    }
    if (m->track && backward) {
        tower_mark_rows(m, tu, B);
        tower_mark_rows(m, ti, nv);
    }
    /* In-batch: every row targets its own column; the logQ and accidental-hit
     * rows are filled by each thread for its rows in ph_softmax. */
    const float *lq = NULL;
    const uint8_t *mk = NULL;
    if (m->def.loss == TT_LOSS_INBATCH) {
        for (int b = 0; b < B; b++)
            tgt[b] = b;
        if (m->def.logq)
            lq = m->logq_m;
        if (m->def.mask_hits)
            mk = m->mask;
    }
    step_ctx c = {m, B, nv, lq, mk, ir, m->def.loss == TT_LOSS_INBATCH, {0}};
    tt_pool_run(m->pool, ph_forward, &c);
    if (backward) {
        if (tu->senet)
            tower_senet_accumulate(m, tu, B);
        if (ti->senet)
            tower_senet_accumulate(m, ti, nv);
    }

    const float *Q = tu->out, *V = ti->out;   /* (B, D), (nv, D) */
    float *dQ = tu->dout, *dV = ti->dout;
    float *S = m->S, *dS = m->dS;
    double loss = 0;
    switch (m->def.loss) {
    case TT_LOSS_SOFTMAX:
    case TT_LOSS_INBATCH: {
        /* S = Q V^T by item columns; softmax and dQ by batch rows; dV by items */
        tt_pool_run(m->pool, ph_scores, &c);
        tt_pool_run(m->pool, ph_softmax, &c);
        int nt = tt_pool_size(m->pool);
        for (int t = 0; t < nt; t++) {
            long r0, r1;
            tt_par_range(B, t, nt, &r0, &r1);
            loss += c.part_loss[t] * (double)(r1 - r0) / B;
        }
        if (backward)
            tt_pool_run(m->pool, ph_dv, &c);
        break;
    }
    case TT_LOSS_SAMPLED: {
        const int C = 1 + neg;
        const float *Vn = V + (size_t)B * D;   /* (neg, D) shared negatives */
        /* S[:, 1:] (B, neg) = Q Vn^T; S[:, 0] = <q_b, v_b> */
        tt_gemm(0, 1, B, neg, D, 1.0f, Q, D, Vn, D, 0.0f, S + 1, C);
        for (int b = 0; b < B; b++) {
            S[(size_t)b * C] = dotf(Q + (size_t)b * D, V + (size_t)b * D, D);
            tgt[b] = 0;
        }
        const float *lq = NULL;
        const uint8_t *mk = NULL;
        if (m->def.logq) {
            for (int b = 0; b < B; b++) {
                float *row = m->logq_m + (size_t)b * C;
                row[0] = m->logq_samp[ir[b]];
                for (int j = 0; j < neg; j++)
                    row[1 + j] = m->logq_samp[ir[B + j]];
            }
            lq = m->logq_m;
        }
        if (m->def.mask_hits) {
            for (int b = 0; b < B; b++) {
                uint8_t *row = m->mask + (size_t)b * C;
                row[0] = 0;
                for (int j = 0; j < neg; j++)
                    row[1 + j] = ir[B + j] == ir[b];
            }
            mk = m->mask;
        }
        loss = tt_softmax_xent(dS, S, B, C, tgt, temp, lq, mk);
        if (backward) {
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
        break;
    }
    case TT_LOSS_BCE: {
        const int C = 1 + neg;
        for (int b = 0; b < B; b++) {
            const float *q = Q + (size_t)b * D;
            S[(size_t)b * C] = dotf(q, V + (size_t)b * D, D);
            m->lab[(size_t)b * C] = 1.0f;
            for (int j = 0; j < neg; j++) {
                S[(size_t)b * C + 1 + j] = dotf(q, V + ((size_t)B + (size_t)b * neg + j) * D, D);
                m->lab[(size_t)b * C + 1 + j] = 0.0f;
            }
        }
        loss = tt_bce(dS, S, m->lab, (long)B * C, temp);
        if (backward) {
            memset(dQ, 0, (size_t)B * D * sizeof(float));
            for (int b = 0; b < B; b++) {
                const float *q = Q + (size_t)b * D;
                float *dq = dQ + (size_t)b * D;
                for (int j = 0; j < C; j++) {
                    size_t row = j == 0 ? (size_t)b : (size_t)B + (size_t)b * neg + j - 1;
                    float g = dS[(size_t)b * C + j];
                    axpy(dq, g, V + row * D, D);
                    float *dv = dV + row * D;
                    for (int i = 0; i < D; i++)
                        dv[i] = g * q[i];
                }
            }
        }
        break;
    }
    case TT_LOSS_BPR: {
        for (int b = 0; b < B; b++) {
            const float *q = Q + (size_t)b * D;
            float sp_ = dotf(q, V + (size_t)b * D, D);
            for (int j = 0; j < neg; j++) {
                m->pos[(size_t)b * neg + j] = sp_;
                m->negs[(size_t)b * neg + j] =
                    dotf(q, V + ((size_t)B + (size_t)b * neg + j) * D, D);
            }
        }
        loss = tt_bpr(m->dpos, m->dneg, m->pos, m->negs, (long)B * neg, temp);
        if (backward) {
            memset(dQ, 0, (size_t)B * D * sizeof(float));
            memset(dV, 0, (size_t)B * D * sizeof(float));
            for (int b = 0; b < B; b++) {
                const float *q = Q + (size_t)b * D;
                float *dq = dQ + (size_t)b * D;
                float gp = 0;
                for (int j = 0; j < neg; j++) {
                    size_t i = (size_t)b * neg + j, row = (size_t)B + i;
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
        break;
    }
    }
    if (backward) {
        tt_pool_run(m->pool, ph_backward, &c);
        /* Fold the workers' private dense gradients in, in thread order. */
        for (int t = 1; t < tt_pool_size(m->pool); t++) {
            float *gw = m->gw[t];
            for (int i = 0; i < m->nt; i++) {
                if (m->par[i].table)
                    continue;
                float *restrict g = m->grad + m->par[i].off;
                float *restrict w = gw + m->poff[i];
                for (int64_t j = 0; j < m->par[i].n; j++) {
                    g[j] += w[j];
                    w[j] = 0.0f;
                }
            }
        }
        tt_pool_run(m->pool, ph_embed, &c);
    }
    return loss;
}

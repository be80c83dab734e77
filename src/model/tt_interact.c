/* tt_interact: IntTower's FE-Block between the towers and the loss (Li et
 * al., CIKM 2022; archersama/IntTower), its contrastive interaction
 * regulariser (CIR), and DAT's category alignment loss (Yu et al. 2021).
 *
 * FE-Block. The user tower's output q (D) is read as H heads of width
 * dh = D / H; the item tower's output p (D) is projected by one dense layer
 * into G = (item fields) vectors of width dh, L2-normalised under sim=cos;
 * s(u, i) = sum_h max_g <q_h, v_g> (tt_fe_forward). The item vectors depend
 * on the item alone, so they are precomputed per item and evaluation scores
 * every item exactly (tt_eval_summax). Only losses that score every column
 * with the softmax phases (softmax, inbatch) take it.
 * CIR. An in-batch softmax (the model's temperature, accidental hits masked)
 * of the user output q against the batch's positives' item outputs p.
 * Category alignment. tt_catalign over the batch's positives' item outputs,
 * with the categories of an item field. */
#include "tt_model_impl.h"
#include "tt_blas.h"
#include "tt_loss.h"
#include "tt_par.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tt_model_fe_shape(const tt_model *m, int *H, int *G, int *dh)
{
    if (!m->fe.on)
        return 0;
    *H = m->fe.H;
    *G = m->fe.G;
    *dh = m->fe.dh;
    return 1;
}

/* The divisors of D as "1, 2, 4, ...". */
static const char *divisors(int D, char *buf, size_t n)
{
    size_t j = 0;
    buf[0] = 0;
    for (int h = 1; h <= D && j < n; h++)
        if (D % h == 0)
            j += (size_t)snprintf(buf + j, n - j, "%s%d", j ? ", " : "", h);
    return buf;
}

static int category_field(tt_model *m, const tt_dataset *d, tt_err *err)
{
    const tt_model_def *md = &m->def;
    const tower *t = &m->tw[1];
    const char *want = md->dat_cat[0] ? md->dat_cat : "category";
    char list[256];
    size_t j = 0;
    list[0] = 0;
    for (int fi = 0; fi < t->nf; fi++) {
        const tt_feature *f = &d->feat[t->fld[fi].feat];
        if (!strcmp(f->name, want)) {
            if (t->fld[fi].bag)
                return tt_err_set(err, "model %s: dat_cat=%s is a set of values per item; the category alignment needs one category per item (a categorical field)",
                                  md->name, want);
            m->fe.ca_fi = fi;
            return 0;
        }
        if (j < sizeof list)
            j += (size_t)snprintf(list + j, sizeof list - j, "%s%s", j ? ", " : "", f->name);
    }
    if (md->dat_cat[0])
        return tt_err_set(err, "model %s: dat_cat=%s is not a field of item tower %s (its fields: %s)",
                          md->name, want, t->def.name, list);
    return tt_err_set(err, "model %s: dat_ca needs an item category field: tower %s has no field 'category' (its fields: %s); name one with dat_cat=FIELD",
                      md->name, t->def.name, list);
}

int interact_build(tt_model *m, const tt_dataset *d, tt_err *err)
{
    const tt_model_def *md = &m->def;
    fe_state *f = &m->fe;
    char buf[128];
    f->ca_fi = -1;
    if (md->dat_ca > 0 && category_field(m, d, err))
        return -1;
    if (md->interact != TT_INTERACT_FE)
        return 0;
    if (md->heads < 1 || m->D % md->heads)
        return tt_err_set(err, "model %s: interact=fe heads=%d: the heads split the towers' output width %d, so their number must divide it (%s)",
                          md->name, md->heads, m->D, divisors(m->D, buf, sizeof buf));
    if (tt_model_query_vectors(m) > 1)
        return tt_err_set(err, "model %s: interact=fe reads the user tower's one output as its heads; tower %s has several interests: drop one of the two",
                          md->name, m->tw[0].def.name);
    if (md->loss != TT_LOSS_SOFTMAX && md->loss != TT_LOSS_INBATCH)
        return tt_err_set(err, "model %s: interact=fe scores every column by the FE-Block: loss=softmax or loss=inbatch, not loss=%s",
                          md->name, tt_loss_by_id(md->loss)->name);
    f->on = 1;
    f->H = md->heads;
    f->dh = m->D / md->heads;
    f->G = m->tw[1].nf;
    f->norm = md->sim == TT_SIM_COS;
    int GD = f->G * f->dh;
    f->pW = tt_model_add_tensor(m, "fe.item.W", "FE-Block item field vectors weights", GD, m->D,
                                0, m->D, err);
    if (f->pW < 0 || tt_model_add_tensor(m, "fe.item.b", "FE-Block item field vectors bias", GD,
                                         1, 0, m->D, err) < 0)
        return -1;
    return 0;
}

void interact_bind(tt_model *m)
{
    fe_state *f = &m->fe;
    if (!f->on)
        return;
    f->W = m->param + m->par[f->pW].off;
    f->b = m->param + m->par[f->pW + 1].off;
    f->dW = m->grad + m->par[f->pW].off;
    f->db = m->grad + m->par[f->pW + 1].off;
}

void interact_free(tt_model *m)
{
    fe_state *f = &m->fe;
    void *p[] = {f->Vr, f->V == f->Vr ? NULL : f->V, f->nrm, f->dV, f->dVr, f->P, f->arg,
                 f->dQp, f->Pg, f->dPg, f->Sc, f->dSc, f->mk, f->tg, f->cat, f->ord, f->rows, f->scr};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        free(p[i]);
}

/* The most by which a thread's part of the FE scratch exceeds GD floats per
 * item (tt_fe_scratch pads rows to 16 floats and adds 16). */
static int64_t fe_pad(int64_t GD)
{
    return 16 * GD + 16;
}

/* (Re)allocate *pp to n elements of sz bytes. */
static int grow(void *pp, size_t n, size_t sz, const char *what, tt_err *err)
{
    void **p = pp;
    free(*p);
    *p = tt_alloc(n ? n : 1, sz, what, err);
    return *p ? 0 : -1;
}

int interact_reserve(tt_model *m, int64_t B, int64_t nv, int64_t nc, tt_err *err)
{
    fe_state *f = &m->fe;
    const int64_t D = m->D;
    int aux = m->def.cir > 0 || f->ca_fi >= 0;
    if (f->on && (nv > f->cap_v || B > f->cap_b || nc > f->cap_c)) {
        int64_t GD = (int64_t)f->G * f->dh;
        nv = TT_MAX(nv, f->cap_v);
        nc = TT_MAX(nc, f->cap_c);
        int64_t b = TT_MAX(B, f->cap_b);
        if (f->V != f->Vr)
            free(f->V);
        f->V = NULL;
        if (grow(&f->Vr, (size_t)(nv * GD), sizeof(float), "FE item vectors", err) ||
            (f->norm && grow(&f->V, (size_t)(nv * GD), sizeof(float), "FE item vectors", err)) ||
            grow(&f->nrm, (size_t)(nv * f->G), sizeof(float), "FE norms", err) ||
            grow(&f->dV, (size_t)(nv * GD), sizeof(float), "FE gradients", err) ||
            grow(&f->dVr, (size_t)(nv * GD), sizeof(float), "FE gradients", err) ||
            grow(&f->P, (size_t)(nv * GD + TT_MAX_THREADS * fe_pad(GD)), sizeof(float),
                 "FE item vectors by coordinate", err) ||
            grow(&f->arg, (size_t)(b * nc * f->H), 1, "FE winners", err) ||
            grow(&f->dQp, (size_t)(TT_MAX_THREADS * b * D), sizeof(float), "FE gradients", err))
            return -1;
        if (!f->norm)
            f->V = f->Vr;
        f->cap_v = nv;
        f->cap_c = nc;
    }
    if (aux && B > f->cap_b) {
        if (grow(&f->Pg, (size_t)(B * D), sizeof(float), "CIR buffers", err) ||
            grow(&f->dPg, (size_t)(B * D), sizeof(float), "CIR buffers", err) ||
            grow(&f->Sc, (size_t)(B * B), sizeof(float), "CIR buffers", err) ||
            grow(&f->dSc, (size_t)(B * B), sizeof(float), "CIR buffers", err) ||
            grow(&f->mk, (size_t)(B * B), 1, "CIR buffers", err) ||
            grow(&f->tg, (size_t)B, sizeof(int32_t), "CIR buffers", err) ||
            grow(&f->cat, (size_t)B, sizeof(int32_t), "category buffers", err) ||
            grow(&f->ord, (size_t)(2 * B), sizeof(int32_t), "category buffers", err) ||
            grow(&f->rows, (size_t)B, sizeof(int64_t), "category buffers", err) ||
            (!f->scr && grow(&f->scr, (size_t)(3 * D * D + 2 * D), sizeof(float),
                             "category buffers", err)))
            return -1;
    }
    if (B > f->cap_b && (f->on || aux))
        f->cap_b = B;
    return 0;
}

void interact_project(const tt_model *m, const float *X, int64_t R, float *Vr, float *out,
                      float *nrm)
{
    const fe_state *f = &m->fe;
    /* Vr (R, G dh) = X (R, D) W^T + b */
    tt_dense_forward(Vr, X, f->W, f->b, (int)R, m->D, f->G * f->dh);
    /* each of the R G vectors to unit length */
    if (f->norm)
        tt_l2norm_forward(out, nrm, Vr, (int)(R * f->G), f->dh);
}

/* The item rows [r0, r1) split over the model's threads. */
typedef struct items_job {
    tt_model *m;
    int64_t r0, r1;
} items_job;

static void items_forward_part(void *ctx, int tid, int nt)
{
    items_job *jb = ctx;
    tt_model *m = jb->m;
    fe_state *f = &m->fe;
    const size_t GD = (size_t)f->G * f->dh;
    long r0, r1;
    tt_par_range(jb->r1 - jb->r0, tid, nt, &r0, &r1);
    if (r1 > r0)
        interact_project(m, m->tw[1].out + (size_t)r0 * m->D, r1 - r0, f->Vr + r0 * GD,
                         f->V + r0 * GD, f->nrm + (size_t)r0 * f->G);
}

void interact_items_forward(tt_model *m, int64_t nv)
{
    items_job jb = {m, 0, nv};
    tt_pool_run(m->pool, items_forward_part, &jb);
}

/* A thread's item rows; its parts of dW and db in its own gradient block
 * (thread 0: the model's), folded with the towers' after backward. */
static void items_backward_part(void *ctx, int tid, int nt)
{
    items_job *jb = ctx;
    tt_model *m = jb->m;
    fe_state *f = &m->fe;
    tower *ti = &m->tw[1];
    const int GD = f->G * f->dh;
    long a, z;
    tt_par_range(jb->r1 - jb->r0, tid, nt, &a, &z);
    const int64_t r0 = jb->r0 + a, n = z - a;
    if (n <= 0)
        return;
    const size_t o = (size_t)r0 * GD;
    const float *dVr = f->dV + o;
    if (f->norm) {
        memset(f->dVr + o, 0, (size_t)n * GD * sizeof(float));
        tt_l2norm_backward(f->dVr + o, f->dV + o, f->V + o, f->nrm + (size_t)r0 * f->G,
                           (int)(n * f->G), f->dh);
        dVr = f->dVr + o;
    }
    float *dW = tid ? m->gw[tid] + m->poff[f->pW] : f->dW;
    float *db = tid ? m->gw[tid] + m->poff[f->pW + 1] : f->db;
    /* dout[r] (n, D) = dVr[r] W;  dW += dVr[r]^T out[r];  db += sum dVr[r] */
    float *dout = ti->dout + (size_t)r0 * m->D;
    memset(dout, 0, (size_t)n * m->D * sizeof(float));
    tt_dense_backward(dout, dW, db, dVr, ti->out + (size_t)r0 * m->D, f->W, (int)n, m->D, GD);
}

void interact_items_backward(tt_model *m, int64_t r0, int64_t r1)
{
    items_job jb = {m, r0, r1};
    tt_pool_run(m->pool, items_backward_part, &jb);
}

void interact_scores(tt_model *m, const tt_loss_step *c, int tid, long j0, long j1)
{
    fe_state *f = &m->fe;
    const int N = (int)c->nv, GD = f->G * f->dh;
    if (j1 <= j0)
        return;
    /* S[:, j0:j1] = sum_h max_g <q_h, v_g> of those items; each thread
     * lays its items out by coordinate in its own part of P, which holds
     * tt_fe_scratch(j1 - j0, G, dh) <= (j1 - j0) GD + fe_pad(GD) floats */
    float *P = f->P + (size_t)j0 * GD + (size_t)tid * fe_pad(GD);
    tt_fe_forward(m->S + j0, N, f->arg + (size_t)j0, P, m->tw[0].out,
                  f->V + (size_t)j0 * GD, c->B, (int)(j1 - j0), f->H, f->G, f->dh);
}

void interact_dv(tt_model *m, const tt_loss_step *c, int tid, long j0, long j1)
{
    fe_state *f = &m->fe;
    const int N = (int)c->nv, GD = f->G * f->dh;
    float *dv = f->dV + (size_t)j0 * GD, *dq = f->dQp + (size_t)tid * f->cap_b * m->D;
    memset(dv, 0, (size_t)(j1 - j0) * GD * sizeof(float));
    memset(dq, 0, (size_t)c->B * m->D * sizeof(float));
    if (j1 > j0)
        tt_fe_backward(dq, dv, 1.0f, m->dS + j0, N, f->arg + (size_t)j0, m->Qs,
                       f->V + (size_t)j0 * GD, c->B, (int)(j1 - j0), f->H, f->G, f->dh);
}

void interact_dq(tt_model *m, long r0, long r1, float alpha, int nt)
{
    fe_state *f = &m->fe;
    const int D = m->D;
    /* dQ rows = alpha sum over the threads' parts, in thread order */
    for (long b = r0; b < r1; b++) {
        float *dq = m->tw[0].dout + (size_t)b * D;
        for (int j = 0; j < D; j++) {
            float s = 0;
            for (int t = 0; t < nt; t++)
                s += f->dQp[((size_t)t * f->cap_b + b) * D + j];
            dq[j] = alpha * s;
        }
    }
}

/* The positives' item rows and item ids. */
static void positives(tt_model *m, const tt_loss_step *c, int rows_first)
{
    for (int b = 0; b < c->B; b++)
        m->fe.rows[b] = rows_first ? b : c->tgt[b];
}

/* CIR's batch, split over the model's threads: rows of Sc (scores, the hit
 * mask, the softmax, dQ) in the first phase, columns (dPg) in the second. */
typedef struct cir_job {
    tt_model *m;
    const tt_loss_step *c;
    int rows_first, backward;
    double part[TT_MAX_THREADS];   /* each thread's sum of its rows' losses */
} cir_job;

static void cir_rows(void *ctx, int tid, int nt)
{
    cir_job *jb = ctx;
    tt_model *m = jb->m;
    fe_state *f = &m->fe;
    const tt_loss_step *c = jb->c;
    const int B = c->B, D = m->D;
    long r0, r1;
    tt_par_range(B, tid, nt, &r0, &r1);
    jb->part[tid] = 0;
    if (r1 <= r0)
        return;
    const int R = (int)(r1 - r0);
    /* the same item twice in a batch is no negative of itself */
    for (long b = r0; b < r1; b++) {
        uint8_t *mk = f->mk + (size_t)b * B;
        if (jb->rows_first)
            for (int j = 0; j < B; j++)
                mk[j] = c->ir[j] == c->ir[b];
        else
            for (int j = 0; j < B; j++)
                mk[j] = c->tgt[j] == c->tgt[b];
        mk[b] = 0;
    }
    /* Sc rows (R, B) = Q rows Pg^T */
    const float *Q = m->tw[0].out + (size_t)r0 * D;
    tt_gemm(0, 1, R, B, D, 1.0f, Q, D, f->Pg, D, 0.0f, f->Sc + (size_t)r0 * B, B);
    jb->part[tid] = tt_softmax_xent_rows(f->dSc + (size_t)r0 * B, f->Sc + (size_t)r0 * B, R, B,
                                         f->tg + r0, m->def.temp, NULL,
                                         f->mk + (size_t)r0 * B, B);
    /* dQ rows += w dSc rows Pg */
    if (jb->backward)
        tt_gemm(0, 0, R, D, B, m->def.cir, f->dSc + (size_t)r0 * B, B, f->Pg, D, 1.0f,
                m->tw[0].dout + (size_t)r0 * D, D);
}

static void cir_cols(void *ctx, int tid, int nt)
{
    cir_job *jb = ctx;
    tt_model *m = jb->m;
    fe_state *f = &m->fe;
    const int B = jb->c->B, D = m->D;
    long j0, j1;
    tt_par_range(B, tid, nt, &j0, &j1);
    /* dPg[j0:j1] (Bj, D) = w dSc[:, j0:j1]^T Q */
    if (j1 > j0)
        tt_gemm(1, 0, (int)(j1 - j0), D, B, m->def.cir, f->dSc + j0, B, m->tw[0].out, D, 0.0f,
                f->dPg + (size_t)j0 * D, D);
}

double interact_cir(tt_model *m, const tt_loss_step *c, int rows_first, int backward)
{
    fe_state *f = &m->fe;
    const int B = c->B, D = m->D;
    const float *V = m->tw[1].out;
    positives(m, c, rows_first);
    for (int b = 0; b < B; b++) {
        memcpy(f->Pg + (size_t)b * D, V + (size_t)f->rows[b] * D, (size_t)D * sizeof(float));
        f->tg[b] = b;
    }
    cir_job jb = {.m = m, .c = c, .rows_first = rows_first, .backward = backward};
    tt_pool_run(m->pool, cir_rows, &jb);
    double loss = 0;
    for (int t = 0; t < tt_pool_size(m->pool); t++)
        loss += jb.part[t];
    if (backward) {
        tt_pool_run(m->pool, cir_cols, &jb);
        /* dPg added to the positives' rows (one thread: rows repeat) */
        for (int b = 0; b < B; b++) {
            float *dv = m->tw[1].dout + (size_t)f->rows[b] * D;
            const float *g = f->dPg + (size_t)b * D;
            for (int j = 0; j < D; j++)
                dv[j] += g[j];
        }
    }
    return m->def.cir * (loss / B);
}

double interact_catalign(tt_model *m, const tt_loss_step *c, int rows_first, int backward)
{
    fe_state *f = &m->fe;
    tower *ti = &m->tw[1];
    const int32_t *ids = ti->fld[f->ca_fi].ids;
    positives(m, c, rows_first);
    for (int b = 0; b < c->B; b++)
        f->cat[b] = ids[f->rows[b]];
    return tt_catalign(backward ? ti->dout : NULL, ti->out, f->rows, f->cat, c->B, m->D,
                       m->def.dat_ca, f->scr, f->ord);
}

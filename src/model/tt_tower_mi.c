/* tt_tower_mi: the interests stage of a user tower: K interest vectors per
 * user from the history field's items (ComiRec-SA attention or MIND routing,
 * tt_interest.c), each concatenated with the user's other field embeddings
 * and projected to the item tower's width, then L2-normalised per interest;
 * and the pick of one interest per training target. */
#include "tt_model_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tower_mi_build(tt_model *m, tower *t, tt_err *err)
{
    const tt_tower_def *td = &t->def;
    tw_mi *mi = &t->mi;
    char avail[512];
    size_t o = 0;
    avail[0] = 0;
    if (t->side)
        return tt_err_set(err, "tower %s: interests is a user-tower stage (it reads the user's history), but %s is the item tower here",
                          td->name, td->name);
    mi->hist_fi = -1;
    for (int fi = 0; fi < t->nf; fi++) {
        if (t->fld[fi].src == SRC_HIST && mi->hist_fi < 0)
            mi->hist_fi = fi;
        int w = snprintf(avail + o, sizeof avail - o, "%s%s", fi ? ", " : "", t->fname[fi]);
        if (w > 0 && (size_t)w < sizeof avail - o)
            o += (size_t)w;
    }
    if (mi->hist_fi < 0)
        return tt_err_set(err, "tower %s: interests reads the user's history, but the tower has no history field (its fields: %s); keep a sequence field such as hist in embed fields=",
                          td->name, avail);
    if (td->n_chan > 0)
        return tt_err_set(err, "tower %s: interests gives the tower's output; it cannot follow mlp or channels",
                          td->name);
    if (td->senet)
        return tt_err_set(err, "tower %s: interests does not take a %s stage before it",
                          td->name, tt_reweight_name(td->senet));
    if (td->mi_k < 1 || td->mi_k > TT_MI_MAXK)
        return tt_err_set(err, "tower %s: interests k=%d out of range (1..%d)", td->name,
                          td->mi_k, TT_MI_MAXK);
    if (td->mi_out < 0 || td->mi_out > 4096 || td->mi_hidden < 0 || td->mi_hidden > 4096)
        return tt_err_set(err, "tower %s: interests out= and hidden= must be 1..4096", td->name);
    if ((unsigned)td->mi_via > TT_MI_ROUTING)
        return tt_err_set(err, "tower %s: interests via=%d unknown", td->name, td->mi_via);
    if (!(td->mi_pow >= 0 && td->mi_pow <= 1000))
        return tt_err_set(err, "tower %s: interests pow=%g out of range (0..1000)", td->name,
                          (double)td->mi_pow);
    if (td->mi_iters < 1 || td->mi_iters > TT_MI_MAXITERS)
        return tt_err_set(err, "tower %s: interests iters=%d out of range (1..%d)", td->name,
                          td->mi_iters, TT_MI_MAXITERS);
    if ((unsigned)td->mi_proj > TT_MI_PROJ_NONE)
        return tt_err_set(err, "tower %s: interests proj=%d unknown", td->name, td->mi_proj);
    if (td->mi_proj == TT_MI_PROJ_NONE && t->nf > 1)
        return tt_err_set(err, "tower %s: interests proj=none keeps the interests in the item embedding space, so the tower must read the history alone; its fields are %s: use embed fields=%s",
                          td->name, avail, t->fname[mi->hist_fi]);
    if (td->mi_proj == TT_MI_PROJ_NONE && td->mi_out > 0 && td->mi_out != t->k)
        return tt_err_set(err, "tower %s: interests proj=none gives vectors of the embedding width %d, not out=%d (leave out= off or set it to %d)",
                          td->name, t->k, td->mi_out, t->k);
    mi->on = 1;
    mi->proj = td->mi_proj;
    mi->T = td->mi_iters;
    mi->via = td->mi_via;
    mi->pw = td->mi_pow;
    mi->K = td->mi_k;
    mi->d = t->k;
    mi->out = td->mi_out > 0 ? td->mi_out : t->k;
    mi->h = td->mi_hidden > 0 ? td->mi_hidden : 4 * t->k;   /* ComiRec's 4 d */
    mi->Fo = (t->nf - 1) * t->k;
    mi->Dx = mi->d + mi->Fo;
    const int d = mi->d;
    if (mi->via == TT_MI_ATTENTION) {
        mi->pa = tt_model_add_tensor(m, "user.interests.W1", "user tower interests attention W1",
                                     mi->h, d, 0, d, err);
        if (mi->pa < 0 || tt_model_add_tensor(m, "user.interests.W2",
                                              "user tower interests attention W2", mi->K,
                                              mi->h, 0, mi->h, err) < 0)
            return -1;
    } else if (mi->proj == TT_MI_PROJ_NONE) {
        mi->pa = -1;   /* no map: routing over the item embeddings themselves */
    } else {
        mi->pa = tt_model_add_tensor(m, "user.interests.S", "user tower interests routing map S",
                                     d, d, 0, d, err);
        if (mi->pa < 0)
            return -1;
    }
    t->nch = 0;
    t->D = mi->out;
    if (mi->proj == TT_MI_PROJ_NONE) {
        mi->pW = -1;
        return 0;
    }
    mi->pW = tt_model_add_tensor(m, "user.interests.proj.W", "user tower interests projection weights",
                                 mi->out, mi->Dx, 0, mi->Dx, err);
    if (mi->pW < 0 || tt_model_add_tensor(m, "user.interests.proj.b",
                                          "user tower interests projection bias", mi->out, 1, 0,
                                          mi->Dx, err) < 0)
        return -1;
    return 0;
}

void tower_mi_bind(tt_model *m, tower *t)
{
    tw_mi *mi = &t->mi;
#define PT(i) (m->param + m->par[i].off)
#define GT(i) (m->grad + m->par[i].off)
    if (mi->via == TT_MI_ATTENTION) {
        mi->W1 = PT(mi->pa);
        mi->W2 = PT(mi->pa + 1);
        mi->dW1 = GT(mi->pa);
        mi->dW2 = GT(mi->pa + 1);
    } else if (mi->pa >= 0) {
        mi->S = PT(mi->pa);
        mi->dS = GT(mi->pa);
    }
    if (mi->pW < 0)
        return;
    mi->W = PT(mi->pW);
    mi->b = PT(mi->pW + 1);
    mi->dW = GT(mi->pW);
    mi->db = GT(mi->pW + 1);
#undef PT
#undef GT
}

void tower_mi_view_grads(tower *v, float *gw, const int64_t *poff)
{
    tw_mi *mi = &v->mi;
    if (mi->via == TT_MI_ATTENTION) {
        mi->dW1 = gw + poff[mi->pa];
        mi->dW2 = gw + poff[mi->pa + 1];
    } else if (mi->pa >= 0) {
        mi->dS = gw + poff[mi->pa];
    }
    if (mi->pW < 0)
        return;
    mi->dW = gw + poff[mi->pW];
    mi->db = gw + poff[mi->pW + 1];
}

/* ---- buffers: per row widths, one block, carved twice (count, then place) ---- */

#define TF(n) tw_take(c, (size_t)(n) * sizeof(float))

static void mi_layout(tw_mi *mi, int64_t cap, tw_carve *c)
{
    const size_t R = (size_t)cap, L = (size_t)mi->L, K = (size_t)mi->K, d = (size_t)mi->d;
    const size_t T = (size_t)mi->T;
    mi->b0 = TF(L * K);
    mi->H = TF(R * L * d);
    mi->dH = TF(R * L * d);
    mi->V = TF(R * K * d);
    mi->dV = TF(R * K * d);
    mi->X = TF(R * K * mi->Dx);
    mi->Y = TF(R * K * mi->out);
    mi->nrm = TF(R * K);
    mi->I = TF(R * K * mi->out);
    mi->Xs = TF(R * mi->Dx);
    mi->dXs = TF(R * mi->Dx);
    mi->dYs = TF(R * mi->out);
    mi->ns = TF(R);
    if (mi->pw > 0) {
        mi->aw = TF(R * K);
        mi->dI = TF(R * K * mi->out);
        mi->dY = TF(R * K * mi->out);
        mi->dX = TF(R * K * mi->Dx);
    }
    if (mi->via == TT_MI_ATTENTION) {
        mi->P = TF(R * L * mi->h);
        mi->aP = TF(R * L * mi->h);
        mi->A = TF(R * L * K);
        mi->aS = TF(R * L * K);
    } else {
        mi->C = TF(R * L * d);
        mi->dC = TF(R * L * d);
        mi->Wr = TF(R * T * L * K);
        mi->Z = TF(R * T * K * d);
        mi->U = TF(R * T * K * d);
        mi->fs = TF(R * L * K);
        mi->rs = TF(R * (L * K + 2 * K * d));
    }
    mi->len = tw_take(c, R * sizeof(int32_t));
    mi->kk = tw_take(c, R * sizeof(int32_t));
    mi->sel = tw_take(c, R * sizeof(int32_t));
    mi->trow = tw_take(c, R * sizeof(int64_t));
}

void tower_mi_free(tower *t)
{
    free(t->mi.buf);
    t->mi.buf = NULL;
    t->mi.cap = 0;
}

int tower_mi_reserve(tower *t, int64_t cap, tt_err *err)
{
    tw_mi *mi = &t->mi;
    int L = t->fld[mi->hist_fi].maxlen;
    if (L < 1)
        L = 1;
    if (mi->buf && cap <= mi->cap && L == mi->L)
        return 0;
    mi->L = L;
    tw_carve c = {NULL, 0};
    mi_layout(mi, cap, &c);
    char *buf = tt_alloc_aligned(c.used, 1, "interest buffers", err);
    if (!buf)
        return -1;
    tower_mi_free(t);
    mi->buf = buf;
    c.base = buf;
    c.used = 0;
    mi_layout(mi, cap, &c);
    mi->cap = cap;
    if (mi->via == TT_MI_ROUTING)
        tt_iroute_logits(mi->b0, mi->L, mi->K);
    return 0;
}

void tower_mi_view(const tower *t, tower *v, int64_t r0)
{
    const tw_mi *s = &t->mi;
    tw_mi *mi = &v->mi;
    const size_t r = (size_t)r0, L = (size_t)s->L, K = (size_t)s->K, d = (size_t)s->d;
    const size_t T = (size_t)s->T;
    mi->H = s->H + r * L * d;
    mi->dH = s->dH + r * L * d;
    mi->V = s->V + r * K * d;
    mi->dV = s->dV + r * K * d;
    mi->X = s->X + r * K * s->Dx;
    mi->Y = s->Y + r * K * s->out;
    mi->nrm = s->nrm + r * K;
    mi->I = s->I + r * K * s->out;
    mi->Xs = s->Xs + r * s->Dx;
    mi->dXs = s->dXs + r * s->Dx;
    mi->dYs = s->dYs + r * s->out;
    mi->ns = s->ns + r;
    if (s->pw > 0) {
        mi->aw = s->aw + r * K;
        mi->dI = s->dI + r * K * s->out;
        mi->dY = s->dY + r * K * s->out;
        mi->dX = s->dX + r * K * s->Dx;
    }
    if (s->via == TT_MI_ATTENTION) {
        mi->P = s->P + r * L * s->h;
        mi->aP = s->aP + r * L * s->h;
        mi->A = s->A + r * L * K;
        mi->aS = s->aS + r * L * K;
    } else {
        mi->C = s->C + r * L * d;
        mi->dC = s->dC + r * L * d;
        mi->Wr = s->Wr + r * T * L * K;
        mi->Z = s->Z + r * T * K * d;
        mi->U = s->U + r * T * K * d;
        mi->fs = s->fs + r * L * K;
        mi->rs = s->rs + r * (L * K + 2 * K * d);
    }
    mi->len = s->len + r;
    mi->kk = s->kk + r;
    mi->sel = s->sel + r;
    mi->trow = s->trow + r;
}

/* ---- forward and backward ---- */

void tower_mi_forward(tower *t, int64_t R, int zero_hist)
{
    tw_mi *mi = &t->mi;
    const tw_field *f = &t->fld[mi->hist_fi];
    const int L = mi->L, K = mi->K, d = mi->d, F = t->F, Dx = mi->Dx, Do = mi->out;
    /* H (R, L, d): the history's item embeddings, zero padding */
    for (int64_t b = 0; b < R; b++) {
        int64_t s = f->off[b], n = f->off[b + 1] - s;
        if (n > L)
            n = L;
        if (zero_hist)
            n = 0;
        float *h = mi->H + b * L * d;
        for (int64_t i = 0; i < n; i++)
            memcpy(h + i * d, f->T + (size_t)f->vals[s + i] * d, (size_t)d * sizeof(float));
        memset(h + n * d, 0, (size_t)(L - n) * d * sizeof(float));
        mi->len[b] = (int32_t)n;
        mi->kk[b] = mi->via == TT_MI_ROUTING ? tt_interest_count((int)n, K) : n > 0 ? K : 1;
    }
    if (mi->via == TT_MI_ATTENTION)
        tt_iattn_forward(mi->V, mi->P, mi->A, mi->H, mi->len, mi->W1, mi->W2, (int)R, L, d,
                         mi->h, K);
    else
        tt_iroute_forward(mi->V, mi->C, mi->Wr, mi->Z, mi->U, mi->H, mi->len, mi->kk, mi->S,
                          mi->b0, (int)R, L, d, K, mi->T, mi->fs);
    /* X (R*K, Dx) = [V[b, k] | E[b] without the history field] */
    for (int64_t b = 0; b < R; b++)
        for (int k = 0; k < K; k++) {
            float *x = mi->X + (b * K + k) * Dx;
            memcpy(x, mi->V + (b * K + k) * d, (size_t)d * sizeof(float));
            x += d;
            for (int fi = 0; fi < t->nf; fi++) {
                if (fi == mi->hist_fi)
                    continue;
                memcpy(x, t->E + b * F + fi * d, (size_t)d * sizeof(float));
                x += d;
            }
        }
    /* Y (R*K, Do) = X W^T + b (proj=none: Y = X = V); I = Y per-interest
     * normalised (cos) */
    if (mi->proj == TT_MI_PROJ_NONE)
        memcpy(mi->Y, mi->X, (size_t)R * K * Do * sizeof(float));
    else
        tt_dense_forward(mi->Y, mi->X, mi->W, mi->b, (int)(R * K), Dx, Do);
    if (t->norm)
        tt_l2norm_forward(mi->I, mi->nrm, mi->Y, (int)(R * K), Do);
    else
        memcpy(mi->I, mi->Y, (size_t)R * K * Do * sizeof(float));
    for (int64_t b = 0; b < R; b++) {
        for (int k = mi->kk[b]; k < K; k++)   /* inactive interests read as zeros */
            memset(mi->I + (b * K + k) * Do, 0, (size_t)Do * sizeof(float));
        mi->sel[b] = 0;
        memcpy(t->out + b * Do, mi->I + b * K * Do, (size_t)Do * sizeof(float));
    }
}

void tower_mi_pick(tower *tu, const tower *ti, const int32_t *tgt, int rows_first, int64_t B)
{
    tw_mi *mi = &tu->mi;
    for (int64_t b = 0; b < B; b++)
        mi->trow[b] = rows_first ? b : tgt[b];
    if (mi->pw > 0)
        tt_interest_attend_forward(tu->out, mi->aw, mi->I, mi->kk, ti->out, ti->D, mi->trow,
                                   mi->pw, (int)B, mi->K, mi->out);
    else
        tt_interest_pick_forward(tu->out, mi->sel, mi->I, mi->kk, ti->out, ti->D, mi->trow,
                                 (int)B, mi->K, mi->out);
}

void tower_mi_pick_backward(tower *tu, tower *ti, int64_t B)
{
    tw_mi *mi = &tu->mi;
    if (mi->pw <= 0)
        return;   /* the hard pick: tower_mi_backward_dense routes dout itself */
    memset(mi->dI, 0, (size_t)B * mi->K * mi->out * sizeof(float));
    tt_interest_attend_backward(mi->dI, ti->dout, tu->dout, mi->aw, mi->I, mi->kk, ti->out,
                                ti->D, mi->trow, mi->pw, (int)B, mi->K, mi->out);
}

/* The projection and the norm backward over n interest rows: dY, the
 * projection's output gradient (through the norm when the tower has one),
 * dX = dY W, dW += dY^T X, db += sum dY (proj=none: dX = dY). */
static void mi_project_backward(tower *t, int64_t n, const float *dout, const float *out,
                                const float *nrm, const float *X, float *dY, float *dX)
{
    tw_mi *mi = &t->mi;
    const int Dx = mi->Dx, Do = mi->out;
    if (t->norm) {
        memset(dY, 0, (size_t)n * Do * sizeof(float));
        tt_l2norm_backward(dY, dout, out, nrm, (int)n, Do);
    } else {
        memcpy(dY, dout, (size_t)n * Do * sizeof(float));
    }
    if (mi->proj == TT_MI_PROJ_NONE) {
        memcpy(dX, dY, (size_t)n * Dx * sizeof(float));
        return;
    }
    memset(dX, 0, (size_t)n * Dx * sizeof(float));
    tt_dense_backward(dX, mi->dW, mi->db, dY, X, mi->W, (int)n, Dx, Do);
}

/* One row of dX split: its interest's part into dv, the other fields'
 * parts added into de (the user's field gradients, (nf, d)). */
static void mi_split(const tower *t, const float *dx, float *dv, float *de)
{
    const int d = t->mi.d;
    memcpy(dv, dx, (size_t)d * sizeof(float));
    dx += d;
    for (int fi = 0; fi < t->nf; fi++) {
        if (fi == t->mi.hist_fi)
            continue;
        for (int j = 0; j < d; j++)
            de[fi * d + j] += dx[j];
        dx += d;
    }
}

/* Label-aware attention: every active interest has a gradient (dI, from
 * tower_mi_pick_backward), so the norm and the projection run backward over
 * all R K rows; dV gets each interest's share, dE the other fields' sum. */
static void mi_backward_all(tower *t, int64_t R)
{
    tw_mi *mi = &t->mi;
    const int K = mi->K, d = mi->d;
    mi_project_backward(t, R * K, mi->dI, mi->I, mi->nrm, mi->X, mi->dY, mi->dX);
    for (int64_t r = 0; r < R * K; r++)
        mi_split(t, mi->dX + r * mi->Dx, mi->dV + r * d, t->dE + (r / K) * t->F);
}

static void mi_backward_picked(tower *t, int64_t R)
{
    tw_mi *mi = &t->mi;
    const int K = mi->K, d = mi->d, Dx = mi->Dx;
    /* Only each row's picked interest has a gradient (the hard pick puts
     * dout there and nothing elsewhere), so the norm and the projection
     * run backward over the R picked rows, not all R K: their inputs
     * gathered into Xs, their norms into ns; t->out holds their outputs. */
    for (int64_t b = 0; b < R; b++) {
        const int64_t r = b * K + mi->sel[b];
        memcpy(mi->Xs + b * Dx, mi->X + r * Dx, (size_t)Dx * sizeof(float));
        mi->ns[b] = mi->nrm[r];
    }
    mi_project_backward(t, R, t->dout, t->out, mi->ns, mi->Xs, mi->dYs, mi->dXs);
    /* split dXs: the picked interest's dV, and the other fields' dE */
    memset(mi->dV, 0, (size_t)R * K * d * sizeof(float));
    for (int64_t b = 0; b < R; b++)
        mi_split(t, mi->dXs + b * Dx, mi->dV + (b * K + mi->sel[b]) * d, t->dE + b * t->F);
}

void tower_mi_backward_dense(tower *t, int64_t R)
{
    tw_mi *mi = &t->mi;
    const int L = mi->L, K = mi->K, d = mi->d;
    if (mi->pw > 0)
        mi_backward_all(t, R);
    else
        mi_backward_picked(t, R);
    memset(mi->dH, 0, (size_t)R * L * d * sizeof(float));
    if (mi->via == TT_MI_ATTENTION)
        tt_iattn_backward(mi->dH, mi->dW1, mi->dW2, mi->dV, mi->H, mi->len, mi->P, mi->A,
                          mi->W1, mi->W2, (int)R, L, d, mi->h, K, mi->aS, mi->aP);
    else
        tt_iroute_backward(mi->dH, mi->dS, mi->dV, mi->H, mi->C, mi->Wr, mi->Z, mi->U,
                           mi->len, mi->kk, mi->S, (int)R, L, d, K, mi->T, mi->dC, mi->rs);
}

void tower_mi_scatter(tower *t, int64_t R)
{
    tw_mi *mi = &t->mi;
    const tw_field *f = &t->fld[mi->hist_fi];
    const int L = mi->L, d = mi->d;
    for (int64_t b = 0; b < R; b++) {
        const float *g = mi->dH + b * L * d;
        const int32_t *v = f->vals + f->off[b];
        for (int i = 0; i < mi->len[b]; i++) {
            float *restrict dst = f->dT + (size_t)v[i] * d;
            for (int j = 0; j < d; j++)
                dst[j] += g[i * d + j];
        }
    }
}

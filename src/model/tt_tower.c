/* tt_tower: one tower's forward and backward over R rows: field embeddings ->
 * [SENet or Light-SE] -> channels (MLP, FM, cross + projection) -> [per-channel or whole
 * L2 norm] -> output (R, D). Buffers are carved once for a row capacity. */
#include "tt_model_impl.h"

#include <stdlib.h>
#include <string.h>

/* Carve float buffers from one block; pass 1 counts (base NULL). Every
 * buffer starts on a 64-byte boundary. */
typedef struct carve {
    float *base;
    size_t used;
} carve;

static float *take(carve *c, size_t n)
{
    float *p = c->base ? c->base + c->used : NULL;
    c->used += (n + 15) & ~(size_t)15;
    return p;
}

static void tower_layout(tower *t, int64_t cap, carve *c, tw_carve *ic)
{
    size_t R = (size_t)cap, F = (size_t)t->F;
    t->E = take(c, R * F);
    t->dE = take(c, R * F);
    if (t->senet == TT_RW_LIGHTSE) {
        t->Es = take(c, R * F);
        t->dEs = take(c, R * F);
        t->z = take(c, R * (size_t)t->nf);
        t->a = take(c, R * (size_t)t->nf);
        t->sescr = take(c, R * 2 * (size_t)t->nf);
    } else if (t->senet) {
        int h = t->se.h;
        t->Es = take(c, R * F);
        t->dEs = take(c, R * F);
        t->z = take(c, R * (size_t)t->S);
        t->hid = take(c, R * (size_t)h);
        t->pre = take(c, R * (size_t)t->A);
        t->a = take(c, R * (size_t)t->A);
        t->sescr = take(c, R * (size_t)(t->S + h + t->A));
    } else {
        t->Es = t->E;
        t->dEs = t->dE;
    }
    if (t->aug) {
        t->X = take(c, R * (F + (size_t)t->Da));
        t->dX = take(c, R * (F + (size_t)t->Da));
    }
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        if (ch->kind == TT_CH_CROSS) {
            ch->xs = take(c, (size_t)(ch->cl + 1) * R * F);
            ch->pre = take(c, (size_t)ch->cl * R * F);
            ch->dxl = take(c, R * F);
            ch->cscr = take(c, 2 * R * F);
        }
        for (int l = 0; l < ch->nl; l++) {
            tw_dense *L = &ch->l[l];
            L->act = take(c, R * (size_t)L->out);
            L->dact = take(c, R * (size_t)L->out);
        }
        if (ch->nl > 0) {
            ch->y = ch->l[ch->nl - 1].act;
            ch->dy = ch->l[ch->nl - 1].dact;
        } else if (ch->kind == TT_CH_FM) {
            ch->y = take(c, R * (size_t)ch->out);
            ch->dy = take(c, R * (size_t)ch->out);
        } else { /* identity: the (re-weighted) concatenated embeddings */
            ch->y = t->Es;
            ch->dy = take(c, R * (size_t)ch->out);
        }
    }
    t->cat = take(c, R * (size_t)t->D);
    t->nrm = take(c, R * (size_t)t->nch);
    t->out = take(c, R * (size_t)t->D);
    t->dout = take(c, R * (size_t)t->D);
    t->dcat = take(c, R * (size_t)t->D);
    for (int fi = 0; fi < t->nf; fi++) {
        tw_field *f = &t->fld[fi];
        f->ids = tw_take(ic, R * sizeof(int32_t));
        if (f->bag) {
            f->off = tw_take(ic, (R + 1) * sizeof(int64_t));
            f->vals = tw_take(ic, R * (size_t)(f->maxlen > 0 ? f->maxlen : 1) * sizeof(int32_t));
        }
    }
}

void tower_free_bufs(tower *t)
{
    tower_mi_free(t);
    free(t->fbuf);
    free(t->ibuf);
    t->fbuf = NULL;
    t->ibuf = NULL;
    t->cap = 0;
}

int tower_reserve(tt_model *m, tower *t, int64_t cap, tt_err *err)
{
    (void)m;
    if (cap <= t->cap && t->fbuf)
        return 0;
    carve c = {NULL, 0};
    tw_carve ic = {NULL, 0};
    tower_layout(t, cap, &c, &ic);
    float *fb = tt_alloc_aligned(c.used, sizeof(float), "tower activations", err);
    if (!fb)
        return -1;
    char *ib = tt_alloc_aligned(ic.used ? ic.used : 1, 1, "tower inputs", err);
    if (!ib) {
        free(fb);
        return -1;
    }
    tower_free_bufs(t);
    t->fbuf = fb;
    t->ibuf = ib;
    c.base = fb;
    c.used = 0;
    ic.base = ib;
    ic.used = 0;
    tower_layout(t, cap, &c, &ic);
    t->cap = cap;
    return t->mi.on ? tower_mi_reserve(t, cap, err) : 0;
}

/* One field's inputs for one row. */
static void field_row(tw_field *f, const tt_feature *ft, const tt_examples *ex,
                      int64_t r, int64_t b, int64_t *pos)
{
    int64_t row = 0;
    switch (f->src) {
    case SRC_USER: row = ex->user[r]; break;
    case SRC_ITEM: row = r; break;
    case SRC_INTER: row = ex->inter[r]; break;
    case SRC_HIST: {
        const int32_t *h = ex->hist + r * (int64_t)ex->H;
        int64_t p = *pos;
        int lim = ex->H < f->maxlen ? ex->H : f->maxlen;
        f->off[b] = p;
        for (int j = 0; j < lim; j++)
            if (h[j] >= 0)
                f->vals[p++] = h[j] + 1;   /* item_id's row = item index + 1 */
        *pos = p;
        return;
    }
    }
    if (!f->bag) {
        f->ids[b] = ft->ids[row];
        return;
    }
    int64_t p = *pos, s = ft->off[row], e = ft->off[row + 1];
    if (e - s > f->maxlen)
        e = s + f->maxlen;
    f->off[b] = p;
    for (int64_t j = s; j < e; j++)
        f->vals[p++] = ft->vals[j];
    *pos = p;
}

void tower_inputs(tt_model *m, tower *t, const tt_dataset *d,
                  const tt_examples *ex, const int64_t *rows,
                  const int64_t *rows2, int abl, int64_t R)
{
    (void)m;
    for (int fi = 0; fi < t->nf; fi++) {
        tw_field *f = &t->fld[fi];
        const tt_feature *ft = &d->feat[f->feat];
        const int64_t *rr = (rows2 && f->feat == abl) ? rows2 : rows;
        int64_t pos = 0;
        for (int64_t b = 0; b < R; b++)
            field_row(f, ft, ex, rr[b], b, &pos);
        if (f->bag)
            f->off[R] = pos;
    }
}

void tower_mark_rows(tt_model *m, tower *t, int64_t R)
{
    for (int fi = 0; fi < t->nf; fi++) {
        tw_field *f = &t->fld[fi];
        int ti = f->table;
        uint8_t *mk = m->mark + m->tbase[ti];
        int32_t *tr = m->trow + m->tbase[ti];
        int64_t nt = m->ntouched[ti];
        const int32_t *v = f->bag ? f->vals : f->ids;
        int64_t n = f->bag ? f->off[R] : R;
        for (int64_t j = 0; j < n; j++) {
            int32_t r = v[j];
            if (!mk[r]) {
                mk[r] = 1;
                tr[nt++] = r;
            }
        }
        m->ntouched[ti] = nt;
    }
    if (t->aug) {   /* the augmented vectors: one row per id, like the id's table */
        int ti = t->paug;
        uint8_t *mk = m->mark + m->tbase[ti];
        int32_t *tr = m->trow + m->tbase[ti];
        int64_t nt = m->ntouched[ti];
        const int32_t *v = t->fld[t->aug_fi].ids;
        for (int64_t j = 0; j < R; j++)
            if (!mk[v[j]]) {
                mk[v[j]] = 1;
                tr[nt++] = v[j];
            }
        m->ntouched[ti] = nt;
    }
}

/* ReLU written branch-free here with vector extensions, fused in place: the
 * plain loop compiles to a branch per element at -O2, which mispredicts
 * about half the time on activations (13% of a dssm epoch in perf before
 * this). Same math as tt_relu_forward/backward (NaN maps to 0 as there). */
typedef float v4f __attribute__((vector_size(16)));   /* SSE2 width: the */
typedef int32_t v4i __attribute__((vector_size(16))); /* baseline target */

static void relu_inplace(float *x, size_t n)
{
    size_t i = 0;
    const v4f zero = {0};
    for (; i + 4 <= n; i += 4) {
        v4f v;
        memcpy(&v, x + i, sizeof v);
        v = (v4f)((v4i)v & (v > zero));
        memcpy(x + i, &v, sizeof v);
    }
    for (; i < n; i++)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* g *= [out > 0] */
static void relu_grad_inplace(float *g, const float *out, size_t n)
{
    size_t i = 0;
    const v4f zero = {0};
    for (; i + 4 <= n; i += 4) {
        v4f v, o;
        memcpy(&v, g + i, sizeof v);
        memcpy(&o, out + i, sizeof o);
        v = (v4f)((v4i)v & (o > zero));
        memcpy(g + i, &v, sizeof v);
    }
    for (; i < n; i++)
        g[i] = out[i] > 0.0f ? g[i] : 0.0f;
}

void tower_forward(tower *t, int64_t R, int zero_feat)
{
    const int F = t->F, k = t->k;
    for (int fi = 0; fi < t->nf; fi++) {
        tw_field *f = &t->fld[fi];
        float *e = t->E + (size_t)fi * k;   /* (R, nf, k) slice of field fi */
        if (f->bag)
            tt_embed_bag_forward(e, F, f->T, k, f->off, f->vals, (int)R);
        else
            tt_embed_forward(e, F, f->T, k, f->ids, (int)R);
        if (f->feat == zero_feat)
            for (int64_t b = 0; b < R; b++)
                memset(e + b * F, 0, (size_t)k * sizeof(float));
    }
    if (t->mi.on) {   /* the interests stage makes the output (tt_tower_mi.c) */
        tower_mi_forward(t, R, zero_feat >= 0 && zero_feat == t->fld[t->mi.hist_fi].feat);
        return;
    }
    if (t->senet == TT_RW_LIGHTSE)
        tt_lightse_forward(t->Es, t->z, t->a, t->E, t->W1, (int)R, t->nf, k);
    else if (t->senet)
        tt_senet_forward(t->Es, t->z, t->hid, t->pre, t->a, t->E, t->W1, t->b1,
                         t->W2, t->b2, &t->se, (int)R);
    if (t->aug) {
        /* X (R, F + Da) = [Es | Ta[id]]: DAT's augmented vector after the
         * (re-weighted) field embeddings */
        const int FX = F + t->Da;
        const int32_t *ids = t->fld[t->aug_fi].ids;
        for (int64_t b = 0; b < R; b++) {
            memcpy(t->X + b * FX, t->Es + b * F, (size_t)F * sizeof(float));
            memcpy(t->X + b * FX + F, t->Ta + (size_t)ids[b] * t->Da,
                   (size_t)t->Da * sizeof(float));
        }
    }
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        const float *x = t->aug ? t->X : t->Es;
        switch (ch->kind) {
        case TT_CH_MLP:
            break;
        case TT_CH_FM:
            tt_fm_forward(ch->y, t->Es, (int)R, t->nf, k);
            break;
        case TT_CH_CROSS:
            tt_cross_forward(ch->xs, ch->pre, t->Es, ch->cW, ch->cb, (int)R, F, ch->cl);
            x = ch->xs + (size_t)ch->cl * R * F;
            break;
        default:
            break;
        }
        for (int l = 0; l < ch->nl; l++) {
            tw_dense *L = &ch->l[l];
            /* act (R, out) = x (R, in) W^T + b */
            tt_dense_forward(L->act, x, L->W, L->b, (int)R, L->in, L->out);
            if (l < ch->nl - 1)
                relu_inplace(L->act, (size_t)R * L->out);
            x = L->act;
        }
    }
    /* Output: per-channel normalised blocks, or the normalised concat. */
    const int D = t->D;
    if (t->nch == 1) {
        tw_chan *ch = &t->ch[0];
        if (t->norm)
            tt_l2norm_forward(t->out, t->nrm, ch->y, (int)R, D);
        else
            memcpy(t->out, ch->y, (size_t)R * D * sizeof(float));
        return;
    }
    if (t->norm == 1) {
        for (int ci = 0; ci < t->nch; ci++) {
            tw_chan *ch = &t->ch[ci];
            float *blk = t->cat + (size_t)R * ch->col;   /* (R, out) block */
            tt_l2norm_forward(blk, t->nrm + (size_t)ci * R, ch->y, (int)R, ch->out);
            for (int64_t b = 0; b < R; b++)
                memcpy(t->out + b * D + ch->col, blk + b * ch->out,
                       (size_t)ch->out * sizeof(float));
        }
        return;
    }
    float *dst = t->norm ? t->cat : t->out;
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        for (int64_t b = 0; b < R; b++)
            memcpy(dst + b * D + ch->col, ch->y + b * ch->out,
                   (size_t)ch->out * sizeof(float));
    }
    if (t->norm)
        tt_l2norm_forward(t->out, t->nrm, t->cat, (int)R, D);
}

static void zero(float *p, size_t n)
{
    memset(p, 0, n * sizeof(float));
}

void tower_backward_dense(tower *t, int64_t R)
{
    const int F = t->F, k = t->k, D = t->D;
    zero(t->dE, (size_t)R * F);
    if (t->mi.on) {
        tower_mi_backward_dense(t, R);
        return;
    }
    if (t->senet)
        zero(t->dEs, (size_t)R * F);
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        for (int l = 0; l < ch->nl; l++) {
            zero(ch->l[l].dact, (size_t)R * ch->l[l].out);
        }
        zero(ch->dy, (size_t)R * ch->out);
        if (ch->kind == TT_CH_CROSS)
            zero(ch->dxl, (size_t)R * F);
    }
    if (t->aug)
        zero(t->dX, (size_t)R * (F + t->Da));
    /* dout (R, D) -> dy of every channel */
    if (t->nch == 1) {
        tw_chan *ch = &t->ch[0];
        if (t->norm)
            tt_l2norm_backward(ch->dy, t->dout, t->out, t->nrm, (int)R, D);
        else
            memcpy(ch->dy, t->dout, (size_t)R * D * sizeof(float));
    } else if (t->norm == 1) {
        for (int ci = 0; ci < t->nch; ci++) {
            tw_chan *ch = &t->ch[ci];
            float *blk = t->cat + (size_t)R * ch->col;
            float *dblk = t->dcat + (size_t)R * ch->col;
            for (int64_t b = 0; b < R; b++)
                memcpy(dblk + b * ch->out, t->dout + b * D + ch->col,
                       (size_t)ch->out * sizeof(float));
            tt_l2norm_backward(ch->dy, dblk, blk, t->nrm + (size_t)ci * R, (int)R,
                               ch->out);
        }
    } else {
        const float *src = t->dout;
        if (t->norm) {
            zero(t->dcat, (size_t)R * D);
            tt_l2norm_backward(t->dcat, t->dout, t->out, t->nrm, (int)R, D);
            src = t->dcat;
        }
        for (int ci = 0; ci < t->nch; ci++) {
            tw_chan *ch = &t->ch[ci];
            for (int64_t b = 0; b < R; b++)
                memcpy(ch->dy + b * ch->out, src + b * D + ch->col,
                       (size_t)ch->out * sizeof(float));
        }
    }
    /* channels -> dEs */
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        for (int l = ch->nl - 1; l >= 0; l--) {
            tw_dense *L = &ch->l[l];
            const float *g = L->dact;
            if (l < ch->nl - 1)
                relu_grad_inplace(L->dact, L->act, (size_t)R * L->out);
            const float *inp;
            float *dinp;
            if (l > 0) {
                inp = ch->l[l - 1].act;
                dinp = ch->l[l - 1].dact;
            } else if (ch->kind == TT_CH_CROSS) {
                inp = ch->xs + (size_t)ch->cl * R * F;
                dinp = ch->dxl;
            } else if (t->aug) {
                inp = t->X;
                dinp = t->dX;
            } else {
                inp = t->Es;
                dinp = t->dEs;
            }
            tt_dense_backward(dinp, L->dW, L->db, g, inp, L->W, (int)R, L->in, L->out);
        }
        if (t->aug) {
            /* dEs += dX[:, :F]; the augmented part goes to the table in
             * tower_aug_scatter (with the embedding scatter) */
            const int FX = F + t->Da;
            for (int64_t b = 0; b < R; b++) {
                float *restrict de = t->dEs + b * F;
                const float *restrict dx = t->dX + b * FX;
                for (int j = 0; j < F; j++)
                    de[j] += dx[j];
            }
        }
        switch (ch->kind) {
        case TT_CH_FM:
            tt_fm_backward(t->dEs, ch->dy, t->Es, (int)R, t->nf, k);
            break;
        case TT_CH_CROSS:
            tt_cross_backward(t->dEs, ch->dcW, ch->dcb, ch->dxl, ch->xs, ch->pre,
                              ch->cW, (int)R, F, ch->cl, ch->cscr);
            break;
        case CH_IDENT: {
            float *restrict dst = t->dEs;
            const float *restrict src = ch->dy;
            for (size_t i = 0; i < (size_t)R * F; i++)
                dst[i] += src[i];
            break;
        }
        default:
            break;
        }
    }
    if (t->senet == TT_RW_LIGHTSE)
        tt_lightse_backward(t->dE, t->dW1, t->dEs, t->E, t->z, t->a, t->W1,
                            (int)R, t->nf, k, t->sescr);
    else if (t->senet)
        tt_senet_backward(t->dE, t->dW1, t->db1, t->dW2, t->db2, t->dEs, t->E,
                          t->z, t->hid, t->pre, t->a, t->W1, t->W2, &t->se,
                          (int)R, t->sescr);
}

void tower_aug_scatter(tower *t, int64_t R)
{
    const int FX = t->F + t->Da;
    const int32_t *ids = t->fld[t->aug_fi].ids;
    for (int64_t b = 0; b < R; b++) {
        float *restrict g = t->dTa + (size_t)ids[b] * t->Da;
        const float *restrict dx = t->dX + b * FX + t->F;
        for (int j = 0; j < t->Da; j++)
            g[j] += dx[j];
    }
}

void tower_backward_embed(tower *t, int64_t R)
{
    const int F = t->F, k = t->k;
    if (t->aug)
        tower_aug_scatter(t, R);
    if (t->mi.on)
        tower_mi_scatter(t, R);
    for (int fi = 0; fi < t->nf; fi++) {
        tw_field *f = &t->fld[fi];
        const float *de = t->dE + (size_t)fi * k;
        if (f->bag)
            tt_embed_bag_backward(f->dT, de, F, k, f->off, f->vals, (int)R);
        else
            tt_embed_backward(f->dT, de, F, k, f->ids, (int)R);
    }
}

void tower_backward(tower *t, int64_t R)
{
    tower_backward_dense(t, R);
    tower_backward_embed(t, R);
}

/* A view of rows [r0, r0 + R) of t: every buffer is (rows, per-row width)
 * with a layout that depends only on the row count, so offsetting each by
 * r0 rows gives an independent tower over those rows. */
void tower_view(const tower *t, tower *v, int64_t r0)
{
    const size_t F = (size_t)t->F, r = (size_t)r0;
    *v = *t;
    v->E = t->E + r * F;
    v->dE = t->dE + r * F;
    if (t->senet == TT_RW_LIGHTSE) {
        size_t f = (size_t)t->nf;
        v->Es = t->Es + r * F;
        v->dEs = t->dEs + r * F;
        v->z = t->z + r * f;
        v->a = t->a + r * f;
        v->sescr = t->sescr + r * 2 * f;
    } else if (t->senet) {
        size_t h = (size_t)t->se.h;
        v->Es = t->Es + r * F;
        v->dEs = t->dEs + r * F;
        v->z = t->z + r * t->S;
        v->hid = t->hid + r * h;
        v->pre = t->pre + r * t->A;
        v->a = t->a + r * t->A;
        v->sescr = t->sescr + r * (t->S + h + t->A);
    } else {
        v->Es = v->E;
        v->dEs = v->dE;
    }
    if (t->aug) {
        v->X = t->X + r * (F + (size_t)t->Da);
        v->dX = t->dX + r * (F + (size_t)t->Da);
    }
    for (int ci = 0; ci < t->nch; ci++) {
        const tw_chan *c = &t->ch[ci];
        tw_chan *d = &v->ch[ci];
        if (c->kind == TT_CH_CROSS) {
            d->xs = c->xs + r * (c->cl + 1) * F;
            d->pre = c->pre + r * c->cl * F;
            d->dxl = c->dxl + r * F;
            d->cscr = c->cscr + r * 2 * F;
        }
        for (int l = 0; l < c->nl; l++) {
            d->l[l].act = c->l[l].act + r * c->l[l].out;
            d->l[l].dact = c->l[l].dact + r * c->l[l].out;
        }
        if (c->nl > 0) {
            d->y = d->l[c->nl - 1].act;
            d->dy = d->l[c->nl - 1].dact;
        } else if (c->kind == TT_CH_FM) {
            d->y = c->y + r * c->out;
            d->dy = c->dy + r * c->out;
        } else {
            d->y = v->Es;
            d->dy = c->dy + r * c->out;
        }
    }
    if (t->mi.on)
        tower_mi_view(t, v, r0);
    v->cat = t->cat + r * t->D;
    v->nrm = t->nrm + r * t->nch;
    v->out = t->out + r * t->D;
    v->dout = t->dout + r * t->D;
    v->dcat = t->dcat + r * t->D;
    for (int fi = 0; fi < t->nf; fi++) {
        v->fld[fi].ids = t->fld[fi].ids + r;
        if (t->fld[fi].bag)
            v->fld[fi].off = t->fld[fi].off + r;
    }
}

/* Point the view's dense-parameter gradients into a private block (laid out
 * by poff: offset of each dense tensor, -1 for tables), so that threads can
 * run backward over disjoint rows without sharing gradient memory. */
void tower_view_grads(tower *v, float *gw, const int64_t *poff)
{
#define GW(i) (gw + poff[i])
    if (v->mi.on)
        tower_mi_view_grads(v, gw, poff);
    if (v->senet == TT_RW_LIGHTSE) {
        v->dW1 = GW(v->pse);
    } else if (v->senet) {
        v->dW1 = GW(v->pse);
        v->db1 = GW(v->pse + 1);
        v->dW2 = GW(v->pse + 2);
        v->db2 = GW(v->pse + 3);
    }
    for (int ci = 0; ci < v->nch; ci++) {
        tw_chan *c = &v->ch[ci];
        for (int l = 0; l < c->nl; l++) {
            c->l[l].dW = GW(c->l[l].pW);
            c->l[l].db = GW(c->l[l].pW + 1);
        }
        if (c->kind == TT_CH_CROSS) {
            c->dcW = GW(c->pcW);
            c->dcb = GW(c->pcW + 1);
        }
    }
#undef GW
}

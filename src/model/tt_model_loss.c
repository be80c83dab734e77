/* tt_model_loss: one training step through both towers, whatever the loss:
 * buffers sized by the loss's shape, the negative sampler (uniform or
 * popularity^alpha via an alias table) and the logQ tables, and
 * tt_model_batch_loss, a straight line through the loss's row (tt_losses.c):
 * item rows, tower inputs, forward, loss, backward, gradient folding. */
#include "tt_model_impl.h"
#include "tt_mkind.h"
#include "tt_par.h"
#include "tt_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int tt_model_negatives(const tt_model_def *md)
{
    if (md->neg > 0)
        return md->neg;
    const tt_loss_op *op = tt_loss_by_id(md->loss);
    return op ? op->default_neg : 0;
}

/* The training corpus of split sp (tt_model_impl.h): every item, or on a
 * cold split the items with training interactions. */
static int build_corpus(tt_model *m, const tt_split *sp, tt_err *err)
{
    int32_t N = m->n_items, n = 0;
    free(m->corpus);
    free(m->corpus_col);
    m->corpus = m->corpus_col = NULL;
    m->n_corpus = N;
    if (!tt_split_is_cold(sp))
        return 0;
    m->corpus = tt_alloc((size_t)N, sizeof(int32_t), "training corpus", err);
    m->corpus_col = tt_alloc((size_t)N, sizeof(int32_t), "training corpus", err);
    if (!m->corpus || !m->corpus_col)
        return -1;
    for (int32_t j = 0; j < N; j++) {
        m->corpus_col[j] = sp->item_freq[j] > 0 ? n : -1;
        if (sp->item_freq[j] > 0)
            m->corpus[n++] = j;
    }
    m->n_corpus = n;
    if (n == 0)
        return tt_err_set(err, "model %s: the cold split leaves no item to train on", m->def.name);
    return 0;
}

/* logQ tables and the popularity^alpha alias table from training counts,
 * the alias table over the corpus's places (model_draw maps them to items). */
static int build_sampler(tt_model *m, const tt_split *sp, tt_err *err)
{
    if (build_corpus(m, sp, err))
        return -1;
    int32_t N = m->n_items, NC = m->n_corpus;
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
            m->logq_samp[j] = (float)-log((double)NC);
            m->alias_p[j] = 1.0f;
            m->alias_j[j] = j;
        }
        return 0;
    }
    /* Vose's alias method over w_c = freq^alpha of the corpus's place c. */
    double *w = tt_alloc((size_t)NC, sizeof(double), "sampler weights", err);
    int32_t *small = tt_alloc((size_t)NC * 2, sizeof(int32_t), "alias work", err);
    if (!w || !small) {
        free(w);
        free(small);
        return -1;
    }
    int32_t *large = small + NC;
    double sw = 0;
    for (int32_t c = 0; c < NC; c++) {
        int32_t j = m->corpus ? m->corpus[c] : c;
        w[c] = sp->item_freq[j] > 0 ? pow((double)sp->item_freq[j], m->def.alpha) : 0.0;
        sw += w[c];
    }
    if (sw <= 0) {   /* no counts: uniform */
        for (int32_t c = 0; c < NC; c++)
            w[c] = 1.0;
        sw = NC;
    }
    for (int32_t j = 0; j < N; j++)   /* held-out items: never drawn */
        m->logq_samp[j] = -1e30f;
    int32_t ns = 0, nl = 0;
    for (int32_t c = 0; c < NC; c++) {
        double p = w[c] / sw;
        m->logq_samp[m->corpus ? m->corpus[c] : c] = p > 0 ? (float)log(p) : -1e30f;
        w[c] = p * NC;
        if (w[c] < 1.0)
            small[ns++] = c;
        else
            large[nl++] = c;
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

void tt_model_seed(tt_model *m, uint64_t seed)
{
    tt_rng_seed(&m->rng, seed ^ 0x5eed5a3b1e5ULL);
}

void tt_model_set_dist(tt_model *m, int on)
{
    m->dist = on;
    /* TTLAB_DIST_LOSS=whole: every rank computes the whole batch's loss, as
     * before the loss was split (for measuring what the split saves) */
    const char *e = getenv("TTLAB_DIST_LOSS");
    m->dist_whole = on && e && !strcmp(e, "whole");
}

int tt_model_reserve(tt_model *m, const tt_dataset *d, const tt_split *sp,
                     int batch, tt_err *err)
{
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
    const tt_loss_op *op = tt_loss_by_id(m->def.loss);
    if (!op)
        return tt_err_set(err, "model %s: unknown loss %d", m->def.name, (int)m->def.loss);
    int64_t B = batch, nv, nc;
    op->shape(B, m->neg, m->n_items, &nv, &nc);
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
    if (interact_reserve(m, B, nv, nc, err))
        return -1;
    if (m->sp_seen != sp || m->sp_gen != sp->gen) {
        if (build_sampler(m, sp, err))
            return -1;
        tt_model_cold_ids(m, d, sp);   /* cold split: held-out ids get the OOV rows */
        m->sp_seen = sp;
        m->sp_gen = sp->gen;
    }
    return 0;
}

/* ---- the phases around a loss, each run on every thread over fixed ranges ---- */

static void ph_forward(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    for (int s = 0; s < 2; s++) {
        tower *t = &c->m->tw[s], v;
        long r0, r1;
        tt_par_range(c->hi[s] - c->lo[s], tid, nt, &r0, &r1);
        if (r1 <= r0)
            continue;
        tower_view(t, &v, c->lo[s] + r0);
        tower_forward(&v, r1 - r0, -1);
    }
}

static void ph_backward(void *ctx, int tid, int nt)
{
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    for (int s = 0; s < 2; s++) {
        tower *t = &m->tw[s], v;
        long r0, r1;
        tt_par_range(c->hi[s] - c->lo[s], tid, nt, &r0, &r1);
        if (r1 <= r0)
            continue;
        tower_view(t, &v, c->lo[s] + r0);
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
    tt_loss_step *c = ctx;
    tt_model *m = c->m;
    for (int s = 0; s < 2; s++) {
        tower v;   /* this rank's rows (all of them in one process) */
        tower_view(&m->tw[s], &v, c->lo[s]);
        int64_t R = c->hi[s] - c->lo[s];
        if (v.aug && v.paug % nt == tid)
            tower_aug_scatter(&v, R);
        for (int fi = 0; fi < v.nf; fi++) {
            tw_field *f = &v.fld[fi];
            if (f->table % nt != tid)
                continue;
            if (v.mi.on && fi == v.mi.hist_fi)
                tower_mi_scatter(&v, R);   /* the interests' history items */
            const float *de = v.dE + (size_t)fi * v.k;
            if (f->bag)
                tt_embed_bag_backward(f->dT, de, v.F, v.k, f->off, f->vals, (int)R);
            else
                tt_embed_backward(f->dT, de, v.F, v.k, f->ids, (int)R);
        }
    }
}

/* Fold the workers' private dense gradients into the gradient block, in
 * thread order, and zero them for the next step. */
static void fold_worker_grads(tt_model *m)
{
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
}

/* DAT's adaptive-mimic loss over the batch, added to the model's loss:
 *   w / B * sum_b ( ||a_u(b) - p_v(pos b)||^2 + ||a_v(pos b) - p_u(b)||^2 )
 * with the tower outputs p held constant (no gradient into the towers), so
 * the gradient goes to the augmented vectors only:
 *   d a_u += 2 w / B (a_u - p_v),   d a_v += 2 w / B (a_v - p_u).
 * pos b: the positive's row in the item tower: b for losses with item rows
 * (they put the positives first), its item id when the tower sees the whole
 * corpus. */
static double dat_mimic(tt_model *m, const tt_loss_step *c, int rows_first, int backward)
{
    tower *tu = &m->tw[0], *ti = &m->tw[1];
    const int D = m->D;
    const int32_t *uid = tu->fld[tu->aug_fi].ids, *iid = ti->fld[ti->aug_fi].ids;
    const double w = m->def.dat_w;
    const float g = (float)(2.0 * w / c->B);
    double sum = 0;
    for (int b = 0; b < c->B; b++) {
        /* across ranks each rank adds the gradient of its own rows only */
        int mine = b >= c->lo[0] && b < c->hi[0];
        int64_t r = rows_first ? b : c->tgt[b];
        const float *pu = tu->out + (size_t)b * D, *pv = ti->out + (size_t)r * D;
        const float *au = tu->Ta + (size_t)uid[b] * D, *av = ti->Ta + (size_t)iid[r] * D;
        float *dau = tu->dTa + (size_t)uid[b] * D, *dav = ti->dTa + (size_t)iid[r] * D;
        for (int j = 0; j < D; j++) {
            float eu = au[j] - pv[j], ev = av[j] - pu[j];
            sum += (double)eu * eu + (double)ev * ev;
            if (backward && mine) {
                dau[j] += g * eu;
                dav[j] += g * ev;
            }
        }
    }
    return w * sum / c->B;
}

/* Auxiliary losses, added to the main loss after its backward has written
 * the towers' output gradients: each returns its weighted value and, with
 * backward, accumulates its gradient (tt_model_impl.h). A new one is a row. */
typedef struct aux_loss {
    const char *name;
    int (*on)(const tt_model *m);
    double (*run)(tt_model *m, const tt_loss_step *c, int rows_first, int backward);
} aux_loss;

static int dat_on(const tt_model *m) { return m->def.augment == TT_AUG_DAT; }
static int cir_on(const tt_model *m) { return m->def.cir > 0; }
static int ca_on(const tt_model *m) { return m->fe.ca_fi >= 0; }
static double dat_run(tt_model *m, const tt_loss_step *c, int rows_first, int backward)
{
    return dat_mimic(m, c, rows_first, backward);
}

static const aux_loss aux_losses[] = {
    {"dat mimic", dat_on, dat_run},
    {"cir", cir_on, interact_cir},
    {"dat_ca", ca_on, interact_catalign},
};

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
    if (n > m->cap_b || m->sp_seen != sp || m->sp_gen != sp->gen) {
        if (tt_model_reserve(m, d, sp, TT_MAX(n, (int)m->cap_b), err))
            return NAN;
    }
    const tt_loss_op *op = tt_loss_by_id(m->def.loss);   /* reserve checked it */
    const tt_examples *ex = &sp->part[TT_TRAIN];
    tower *tu = &m->tw[0], *ti = &m->tw[1];
    tt_loss_step c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.B = n;
    c.neg = m->neg;
    op->shape(n, m->neg, m->n_items, &c.nv, &c.nc);
    c.logq = op->logq && m->def.logq;
    c.mask = op->mask && m->def.mask_hits;
    c.tgt = m->target;
    c.ir = m->irow64;
    for (int b = 0; b < n; b++)
        c.tgt[b] = ex->item[idx[b]];

    /* The towers' inputs: the batch's users, the items the loss scores. */
    if (op->items) {
        op->items(m, &c);
    } else {   /* the whole training corpus; targets become its columns */
        c.nv = m->n_corpus;
        for (int b = 0; m->corpus_col && b < n; b++)
            c.tgt[b] = m->corpus_col[c.tgt[b]];
    }
    tower_inputs(m, tu, d, ex, idx, NULL, -1, n);
    if (op->items) {
        tower_inputs(m, ti, d, NULL, c.ir, NULL, -1, c.nv);
    } else if (!m->full_items_loaded) {
        for (int64_t j = 0; j < c.nv; j++)
            c.ir[j] = m->corpus ? m->corpus[j] : j;
        tower_inputs(m, ti, d, NULL, c.ir, NULL, -1, c.nv);
        m->full_items_loaded = 1;
    }
    if (m->track && backward) {
        tower_mark_rows(m, tu, n);
        tower_mark_rows(m, ti, c.nv);
    }

    /* Across the ranks of an MPI job (tt_model_set_dist), each rank runs
     * the towers over its share of the rows, forward and backward, and the
     * loss over its share of the scores (op->shard, tt_losses.h): its batch
     * rows against every item (ROWS: the item outputs gathered, the partial
     * dV reduce-scattered), or every batch row against its items (ITEMS:
     * the user outputs gathered, the partial dQ reduce-scattered); each sum
     * in rank order, so the same bits on every rank whatever the timing.
     * The parameter gradients of each rank's rows are then summed by the
     * trainer (tt_train_dist). Losses that do not split (BCE, BPR) and the
     * stages whose loss terms read every row (interaction, auxiliary losses)
     * gather both towers' outputs and compute the whole batch's loss on
     * every rank. One process: all rows. */
    c.lo[0] = 0, c.hi[0] = n, c.lo[1] = 0, c.hi[1] = c.nv;
    const int nr = m->dist ? tt_dist_size() : 1;
    if (nr > 1)
        for (int s = 0; s < 2; s++)
            tt_dist_range(s ? c.nv : n, tt_dist_rank(), nr, &c.lo[s], &c.hi[s]);
    c.shard = nr > 1 ? op->shard : TT_SHARD_NONE;
    for (size_t a = 0; a < sizeof aux_losses / sizeof *aux_losses; a++)
        if (aux_losses[a].on(m))
            c.shard = TT_SHARD_NONE;
    if (m->fe.on || tu->mi.on || m->dist_whole)
        c.shard = TT_SHARD_NONE;
    c.lr0 = c.shard == TT_SHARD_NONE ? 0 : c.lo[0];
    c.lr1 = c.shard == TT_SHARD_NONE ? n : c.hi[0];
    tt_pool_run(m->pool, ph_forward, &c);
    /* the item outputs first: the interaction stage projects every item
     * row, the interests' pick reads the targets' rows */
    if (nr > 1 && c.shard != TT_SHARD_ITEMS &&
        tt_dist_gather_ranges(ti->out, c.nv, (size_t)ti->D * sizeof(float), err))
        tt_dist_die(err->msg);   /* the other ranks are inside the exchange */
    if (m->fe.on)
        interact_items_forward(m, c.nv);
    if (tu->mi.on) {
        /* each target's interest (ComiRec / MIND: hard, by the target). Across
         * ranks every rank gathers the batch's interests and their active
         * counts and picks for every row: the same picks, outputs and (for
         * label-aware attention) item-side gradients on every rank, so the
         * whole batch's loss needs nothing more; each rank's tower backward
         * then reads its own rows. */
        tw_mi *mi = &tu->mi;
        if (nr > 1 &&
            (tt_dist_gather_ranges(mi->I, n, (size_t)mi->K * mi->out * sizeof(float), err) ||
             tt_dist_gather_ranges(mi->kk, n, sizeof *mi->kk, err)))
            tt_dist_die(err->msg);
        tower_mi_pick(tu, ti, c.tgt, op->items != NULL, n);
    }
    if (nr > 1 && c.shard != TT_SHARD_ROWS && !tu->mi.on &&
        tt_dist_gather_ranges(tu->out, n, (size_t)tu->D * sizeof(float), err))
        tt_dist_die(err->msg);
    if (backward) {
        for (int s = 0; s < 2; s++) {
            tower v;
            if (!m->tw[s].senet)
                continue;
            tower_view(&m->tw[s], &v, c.lo[s]);
            tower_senet_accumulate(m, &v, c.hi[s] - c.lo[s]);
        }
    }
    double loss = op->forward(m, &c);
    if (c.shard != TT_SHARD_NONE && tt_dist_sum_f64(&loss, 1, err))
        tt_dist_die(err->msg);
    if (backward) {
        op->backward(m, &c);
        if (tu->mi.on)
            tower_mi_pick_backward(tu, ti, n);
        if (m->fe.on)   /* its projection's gradients: this rank's item rows */
            interact_items_backward(m, c.lo[1], c.hi[1]);
        /* this rank's output rows: the sum of every rank's part */
        if ((c.shard == TT_SHARD_ROWS && tt_dist_reduce_rows_f32(ti->dout, c.nv, ti->D, err)) ||
            (c.shard == TT_SHARD_ITEMS && tt_dist_reduce_rows_f32(tu->dout, n, tu->D, err)))
            tt_dist_die(err->msg);
    }
    for (size_t a = 0; a < sizeof aux_losses / sizeof *aux_losses; a++)
        if (aux_losses[a].on(m))
            loss += aux_losses[a].run(m, &c, op->items != NULL, backward);
    if (backward) {
        tt_pool_run(m->pool, ph_backward, &c);
        fold_worker_grads(m);
        tt_pool_run(m->pool, ph_embed, &c);
    }
    return loss;
}

/* tt_model: tower and model definitions, building the runtime two-tower and
 * popularity models (field resolution, parameter layout, PyTorch-default
 * initialisation), threads and lazy-update bookkeeping. Reading a built
 * model out (encodings, ablation, SENet statistics) is tt_model_read.c. */
#include "tt_model_impl.h"
#include "tt_mkind.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tt_tower_def_init(tt_tower_def *t)
{
    memset(t, 0, sizeof *t);
    t->dim = 16;
    t->se_r = 2;
    t->se_squeeze = TT_SQ_MEAN;
    t->se_gate = TT_GATE_SIGMOID;
    t->se_groups = 0;
    t->mi_k = 4;
    t->mi_iters = TT_ROUTE_ITERS;
}

void tt_tower_def_mlp(tt_tower_def *t, const char *name, int dim, const int *w, int n,
                      int l2norm)
{
    tt_tower_def_init(t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dim = dim;
    t->n_chan = 1;
    tt_chan_def_init(&t->chan[0], TT_CH_MLP);
    t->chan[0].n_widths = n < TT_MAX_LAYERS ? n : TT_MAX_LAYERS;
    for (int k = 0; k < t->chan[0].n_widths; k++)
        t->chan[0].widths[k] = w[k];
    t->l2norm = l2norm;
}

void tt_chan_def_init(tt_chan_def *c, enum tt_chan_kind k)
{
    memset(c, 0, sizeof *c);
    c->kind = k;
    if (k == TT_CH_CROSS)
        c->out = 32;
}

void tt_model_def_init(tt_model_def *m)
{
    memset(m, 0, sizeof *m);
    m->kind = TT_MODEL_TWOTOWER;
    m->sim = TT_SIM_COS;
    m->temp = 0.05f;
    m->fusion = TT_FUSE_SUM;
    m->loss = TT_LOSS_SOFTMAX;
    m->mask_hits = 1;
    m->neg = 0;                /* 0: the loss's default (see tt_model_negatives) */
    m->sampler = TT_SAMPLE_UNIFORM;
    m->alpha = 0.75f;
    m->augment = TT_AUG_NONE;
    m->dat_w = 0.5f;
    m->interact = TT_INTERACT_NONE;
    m->heads = 4;
    tt_mkind_defaults(m);
}

/* ---- parameter layout ---- */

int tt_model_add_tensor(tt_model *m, const char *name, const char *desc, int64_t rows,
                        int cols, int table, int64_t fan_in, tt_err *err)
{
    if (m->nt >= TT_MAX_TENSORS)
        return tt_err_set(err, "model too large: more than %d parameter tensors",
                          TT_MAX_TENSORS);
    tt_param_info *p = &m->par[m->nt];
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->desc, sizeof p->desc, "%s", desc);
    p->off = m->n_param;
    p->rows = rows;
    p->cols = cols;
    p->n = rows * cols;
    p->table = table;
    m->fan_in[m->nt] = fan_in;
    m->n_param += p->n;
    return m->nt++;
}

/* Which side of the model a dataset feature feeds: sequences (hist) and
 * context go to the user side, item features to the item side. */
static int feature_side(const tt_feature *f)
{
    if (f->kind == TT_SEQ)
        return 0;
    return f->side == TT_ITEM ? 1 : 0;
}

static void list_side(const tt_dataset *d, int side, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < d->n_feat; i++) {
        if (feature_side(&d->feat[i]) != side)
            continue;
        int w = snprintf(buf + o, n - o, "%s%s", o ? ", " : "", d->feat[i].name);
        if (w < 0 || (size_t)w >= n - o)
            break;
        o += (size_t)w;
    }
}

static int64_t set_maxlen(const tt_feature *f)
{
    int64_t mx = 0;
    for (int64_t r = 0; r < f->n_rows; r++)
        if (f->off[r + 1] - f->off[r] > mx)
            mx = f->off[r + 1] - f->off[r];
    return mx;
}

/* Resolve the fields of tower t (side) and create or share their tables. */
static int tower_fields(tt_model *m, tower *t, const tt_dataset *d,
                        int *feat_table, tt_err *err)
{
    const tt_tower_def *td = &t->def;
    int list[TT_MAX_FIELDS], nf = 0;
    char avail[1024];
    if (td->n_fields == 0) {
        for (int i = 0; i < d->n_feat && nf < TT_MAX_FIELDS; i++)
            if (feature_side(&d->feat[i]) == t->side)
                list[nf++] = i;
    } else {
        for (int j = 0; j < td->n_fields; j++) {
            int i = tt_dataset_find(d, td->fields[j]);
            if (i < 0 || feature_side(&d->feat[i]) != t->side) {
                list_side(d, t->side, avail, sizeof avail);
                if (i < 0)
                    return tt_err_set(err, "tower %s: unknown field '%s'; the %s side's fields are: %s",
                                      td->name, td->fields[j], side_name(t->side), avail);
                return tt_err_set(err, "tower %s: field '%s' belongs to the %s side; the %s side's fields are: %s",
                                  td->name, td->fields[j], side_name(!t->side),
                                  side_name(t->side), avail);
            }
            for (int q = 0; q < nf; q++)
                if (list[q] == i)
                    return tt_err_set(err, "tower %s: field '%s' listed twice",
                                      td->name, td->fields[j]);
            list[nf++] = i;
        }
    }
    if (nf == 0)
        return tt_err_set(err, "tower %s: the dataset has no %s-side fields",
                          td->name, side_name(t->side));
    if (td->dim < 1 || td->dim > 4096)
        return tt_err_set(err, "tower %s: dim=%d out of range (1..4096)", td->name, td->dim);
    t->nf = nf;
    t->k = td->dim;
    t->F = nf * td->dim;
    for (int j = 0; j < nf; j++) {
        const tt_feature *ft = &d->feat[list[j]];
        tw_field *f = &t->fld[j];
        f->feat = list[j];
        snprintf(t->fname[j], TT_NAME_MAX, "%s", ft->name);
        t->fname_p[j] = t->fname[j];
        int tf = list[j];
        if (ft->kind == TT_SEQ) {
            if (ft->share < 0 || ft->share >= d->n_feat)
                return tt_err_set(err, "tower %s: field '%s' shares the item_id embedding table, but the dataset has no item_id",
                                  td->name, ft->name);
            tf = ft->share;
            f->bag = 1;
            f->src = SRC_HIST;
            f->maxlen = 0;   /* set from the examples' H by reserve / encode */
        } else if (ft->kind == TT_SET) {
            f->bag = 1;
            f->src = t->side ? SRC_ITEM : (ft->side == TT_CTX ? SRC_INTER : SRC_USER);
            f->maxlen = (int)set_maxlen(ft);
        } else {
            f->src = t->side ? SRC_ITEM : (ft->side == TT_CTX ? SRC_INTER : SRC_USER);
        }
        if (feat_table[tf] < 0) {
            char name[48], desc[96];
            snprintf(name, sizeof name, "emb.%s", d->feat[tf].name);
            snprintf(desc, sizeof desc, "%s embedding table", d->feat[tf].name);
            int ti = tt_model_add_tensor(m, name, desc, d->feat[tf].card, t->k, 1, 0, err);
            if (ti < 0)
                return -1;
            feat_table[tf] = ti;
        } else if (m->par[feat_table[tf]].cols != t->k) {
            return tt_err_set(err, "tower %s: field '%s' uses the %s embedding table, which the other tower already uses with dim %d (hist shares item_id's table, so both towers need the same dim; this one has %d)",
                              td->name, ft->name, d->feat[tf].name,
                              m->par[feat_table[tf]].cols, t->k);
        }
        f->table = feat_table[tf];
    }
    return 0;
}

static int add_dense(tt_model *m, tower *t, tw_dense *L, const char *what,
                     const char *what_desc, int in, int out, tt_err *err)
{
    char name[48], desc[96];
    L->in = in;
    L->out = out;
    snprintf(name, sizeof name, "%s.%s.W", side_name(t->side), what);
    snprintf(desc, sizeof desc, "%s tower %s weights", side_name(t->side), what_desc);
    L->pW = tt_model_add_tensor(m, name, desc, out, in, 0, in, err);
    if (L->pW < 0)
        return -1;
    snprintf(name, sizeof name, "%s.%s.b", side_name(t->side), what);
    snprintf(desc, sizeof desc, "%s tower %s bias", side_name(t->side), what_desc);
    return tt_model_add_tensor(m, name, desc, out, 1, 0, in, err) < 0 ? -1 : 0;
}

static int tower_build(tt_model *m, tower *t, tt_err *err)
{
    const tt_tower_def *td = &t->def;
    const char *sn = side_name(t->side);
    char name[48], desc[96];
    if (td->senet == TT_RW_LIGHTSE) {
        t->senet = TT_RW_LIGHTSE;
        t->S = t->A = t->nf;
        snprintf(name, sizeof name, "%s.lightse.W", sn);
        snprintf(desc, sizeof desc, "%s tower light-se weights", sn);
        t->pse = tt_model_add_tensor(m, name, desc, t->nf, t->nf, 0, t->nf, err);
        if (t->pse < 0)
            return -1;
    } else if (td->senet == TT_RW_SENET) {
        if (td->se_r < 1)
            return tt_err_set(err, "tower %s: senet r=%d must be >= 1", td->name, td->se_r);
        if (td->se_groups < 0 || (td->se_groups > 0 && t->k % td->se_groups))
            return tt_err_set(err, "tower %s: senet groups=%d must divide dim=%d",
                              td->name, td->se_groups, t->k);
        t->senet = TT_RW_SENET;
        t->se.f = t->nf;
        t->se.k = t->k;
        t->se.h = TT_MAX(1, t->nf / td->se_r);
        t->se.squeeze = td->se_squeeze;
        t->se.gate = td->se_gate;
        t->se.groups = td->se_groups;
        t->S = tt_senet_squeeze_width(&t->se);
        t->A = tt_senet_weight_width(&t->se);
        int h = t->se.h;
        snprintf(name, sizeof name, "%s.senet.W1", sn);
        snprintf(desc, sizeof desc, "%s tower senet layer 1 weights", sn);
        t->pse = tt_model_add_tensor(m, name, desc, h, t->S, 0, t->S, err);
        if (t->pse < 0)
            return -1;
        snprintf(name, sizeof name, "%s.senet.b1", sn);
        snprintf(desc, sizeof desc, "%s tower senet layer 1 bias", sn);
        if (tt_model_add_tensor(m, name, desc, h, 1, 0, t->S, err) < 0)
            return -1;
        snprintf(name, sizeof name, "%s.senet.W2", sn);
        snprintf(desc, sizeof desc, "%s tower senet layer 2 weights", sn);
        if (tt_model_add_tensor(m, name, desc, t->A, h, 0, h, err) < 0)
            return -1;
        snprintf(name, sizeof name, "%s.senet.b2", sn);
        snprintf(desc, sizeof desc, "%s tower senet layer 2 bias", sn);
        if (tt_model_add_tensor(m, name, desc, t->A, 1, 0, h, err) < 0)
            return -1;
    }
    if (td->interests)   /* K interest vectors instead of channels */
        return tower_mi_build(m, t, err);
    int nch = td->n_chan;
    if (nch < 0 || nch > TT_MAX_CHAN)
        return tt_err_set(err, "tower %s: %d channels (at most %d)", td->name, nch, TT_MAX_CHAN);
    t->nch = nch ? nch : 1;
    int col = 0;
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        char pre[24], pdesc[32];
        if (nch > 1) {
            snprintf(pre, sizeof pre, "ch%d.", ci + 1);
            snprintf(pdesc, sizeof pdesc, "channel %d ", ci + 1);
        } else {
            pre[0] = pdesc[0] = 0;
        }
        if (nch == 0) {
            ch->kind = CH_IDENT;
            ch->out = t->F;
        } else {
            const tt_chan_def *cd = &td->chan[ci];
            ch->kind = cd->kind;
            switch (cd->kind) {
            case TT_CH_MLP: {
                if (cd->n_widths < 1 || cd->n_widths > TT_MAX_LAYERS)
                    return tt_err_set(err, "tower %s: mlp needs 1 to %d widths",
                                      td->name, TT_MAX_LAYERS);
                int in = t->F + (t->aug ? t->Da : 0);   /* DAT: [E | a] */
                for (int l = 0; l < cd->n_widths; l++) {
                    if (cd->widths[l] < 1)
                        return tt_err_set(err, "tower %s: mlp width %d must be >= 1",
                                          td->name, cd->widths[l]);
                    char w[32], wd[48];
                    snprintf(w, sizeof w, "%smlp.%d", pre, l);
                    snprintf(wd, sizeof wd, "%smlp layer %d", pdesc, l + 1);
                    if (add_dense(m, t, &ch->l[l], w, wd, in, cd->widths[l], err))
                        return -1;
                    in = cd->widths[l];
                }
                ch->nl = cd->n_widths;
                ch->out = in;
                break;
            }
            case TT_CH_FM:
                ch->out = t->k;
                break;
            case TT_CH_CROSS: {
                if (cd->n_layers < 1 || cd->n_layers > TT_MAX_LAYERS)
                    return tt_err_set(err, "tower %s: cross needs 1 to %d layers",
                                      td->name, TT_MAX_LAYERS);
                ch->cl = cd->n_layers;
                ch->out = cd->out > 0 ? cd->out : t->F;
                snprintf(name, sizeof name, "%s.%scross.W", sn, pre);
                snprintf(desc, sizeof desc, "%s tower %scross weights", sn, pdesc);
                ch->pcW = tt_model_add_tensor(m, name, desc, (int64_t)ch->cl * t->F, t->F, 0,
                                     t->F, err);
                if (ch->pcW < 0)
                    return -1;
                snprintf(name, sizeof name, "%s.%scross.b", sn, pre);
                snprintf(desc, sizeof desc, "%s tower %scross bias", sn, pdesc);
                if (tt_model_add_tensor(m, name, desc, ch->cl, t->F, 0, t->F, err) < 0)
                    return -1;
                char w[32], wd[48];
                snprintf(w, sizeof w, "%scross.proj", pre);
                snprintf(wd, sizeof wd, "%scross projection", pdesc);
                if (add_dense(m, t, &ch->l[0], w, wd, t->F, ch->out, err))
                    return -1;
                ch->nl = 1;
                break;
            }
            default:
                return tt_err_set(err, "tower %s: unknown channel kind %d", td->name,
                                  (int)cd->kind);
            }
        }
        ch->col = col;
        col += ch->out;
    }
    t->D = col;
    if (t->aug) {
        const tw_field *f = &t->fld[t->aug_fi];
        snprintf(name, sizeof name, "%s.dat.aug", sn);
        snprintf(desc, sizeof desc, "%s tower DAT augmented vectors", sn);
        t->paug = tt_model_add_tensor(m, name, desc, m->par[f->table].rows, t->Da, 1, 0, err);
        if (t->paug < 0)
            return -1;
    }
    return 0;
}

/* DAT's conditions on a tower: its id field (user_id or item_id) and a
 * single mlp stage, whose input gains the augmented vector (Da = its output
 * width, which is the other tower's too). */
static int tower_dat(tower *t, tt_err *err)
{
    const tt_tower_def *td = &t->def;
    const char *id = t->side ? "item_id" : "user_id";
    t->aug_fi = -1;
    for (int fi = 0; fi < t->nf; fi++)
        if (!strcmp(t->fname[fi], id) && !t->fld[fi].bag)
            t->aug_fi = fi;
    if (t->aug_fi < 0)
        return tt_err_set(err, "augment=dat keeps one augmented vector per %s, but tower %s has no %s field (add it to fields=, or drop augment=dat)",
                          id, td->name, id);
    if (td->n_chan != 1 || td->chan[0].kind != TT_CH_MLP)
        return tt_err_set(err, "augment=dat feeds the augmented vector into the mlp stage, but tower %s has %s",
                          td->name, td->n_chan == 0 ? "no mlp stage" : "channels");
    t->aug = 1;
    t->Da = td->chan[0].widths[td->chan[0].n_widths - 1];
    return 0;
}

/* Pointers into the parameter and gradient blocks (they never move). */
static void tower_bind(tt_model *m, tower *t)
{
    float *P = m->param, *G = m->grad;
#define PT(i) (P + m->par[i].off)
#define GT(i) (G + m->par[i].off)
    for (int fi = 0; fi < t->nf; fi++) {
        t->fld[fi].T = PT(t->fld[fi].table);
        t->fld[fi].dT = GT(t->fld[fi].table);
    }
    if (t->mi.on)
        tower_mi_bind(m, t);
    if (t->aug) {
        t->Ta = PT(t->paug);
        t->dTa = GT(t->paug);
    }
    if (t->senet == TT_RW_LIGHTSE) {
        t->W1 = PT(t->pse);
        t->dW1 = GT(t->pse);
    } else if (t->senet) {
        t->W1 = PT(t->pse);
        t->b1 = PT(t->pse + 1);
        t->W2 = PT(t->pse + 2);
        t->b2 = PT(t->pse + 3);
        t->dW1 = GT(t->pse);
        t->db1 = GT(t->pse + 1);
        t->dW2 = GT(t->pse + 2);
        t->db2 = GT(t->pse + 3);
    }
    for (int ci = 0; ci < t->nch; ci++) {
        tw_chan *ch = &t->ch[ci];
        for (int l = 0; l < ch->nl; l++) {
            tw_dense *L = &ch->l[l];
            L->W = PT(L->pW);
            L->b = PT(L->pW + 1);
            L->dW = GT(L->pW);
            L->db = GT(L->pW + 1);
        }
        if (ch->kind == TT_CH_CROSS) {
            ch->cW = PT(ch->pcW);
            ch->cb = PT(ch->pcW + 1);
            ch->dcW = GT(ch->pcW);
            ch->dcb = GT(ch->pcW + 1);
        }
    }
#undef PT
#undef GT
}

/* PyTorch defaults: nn.Embedding N(0, 1); nn.Linear weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)). In tensor order from one stream. */
static void init_params(tt_model *m, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    for (int i = 0; i < m->nt; i++) {
        tt_param_info *p = &m->par[i];
        float *w = m->param + p->off;
        if (p->table) {
            for (int64_t j = 0; j < p->n; j++)
                w[j] = (float)tt_rng_normal(&r);
        } else {
            double bound = 1.0 / sqrt((double)m->fan_in[i]);
            for (int64_t j = 0; j < p->n; j++)
                w[j] = (float)((2.0 * tt_rng_uniform(&r) - 1.0) * bound);
        }
    }
}

int tt_model_create(const tt_model_def *md, const tt_tower_def *u,
                    const tt_tower_def *i, const tt_dataset *d, uint64_t seed,
                    tt_model **out, tt_err *err)
{
    tt_model *m = tt_alloc(1, sizeof *m, "model", err);
    int *feat_table = NULL;
    if (!m)
        return -1;
    m->def = *md;
    m->n_items = d->n_items;
    m->n_users = d->n_users;
    m->n_feat = d->n_feat;
    m->abl_feat = -1;
    tt_rng_seed(&m->rng, seed ^ 0x5eed5a3b1e5ULL);
    m->K = tt_mkind_get(md->kind);
    if (!m->K) {
        tt_err_set(err, "model %s: unknown model kind %d", md->name, (int)md->kind);
        goto fail;
    }
    if (m->K->build) {
        for (int o = 0; o < TT_KOPT_MAX && m->K->opts[o].name; o++)
            if (tt_mkind_check_opt(md, o, md->kopt[o], err)) {
                tt_err_prefix(err, "model %s", md->name);
                goto fail;
            }
        if (m->K->build(m, d, err))
            goto fail;
    } else {
        if (!(md->temp > 0.0f) || !isfinite(md->temp)) {
            tt_err_set(err, "model %s: temp=%g must be > 0", md->name, (double)md->temp);
            goto fail;
        }
        feat_table = tt_alloc((size_t)d->n_feat + 1, sizeof(int), "field tables", err);
        if (!feat_table)
            goto fail;
        for (int f = 0; f < d->n_feat; f++)
            feat_table[f] = -1;
        m->tdef[0] = *u;
        m->tdef[1] = *i;
        for (int s = 0; s < 2; s++) {
            tower *t = &m->tw[s];
            t->side = s;
            t->def = m->tdef[s];
            if (tower_fields(m, t, d, feat_table, err))
                goto fail;
        }
        for (int s = 0; s < 2; s++) {
            tower *t = &m->tw[s];
            if (md->augment == TT_AUG_DAT && tower_dat(t, err))
                goto fail;
            if (tower_build(m, t, err))
                goto fail;
            t->norm = (md->sim == TT_SIM_COS || t->def.l2norm)
                          ? (md->fusion == TT_FUSE_SUM ? 1 : 2) : 0;
        }
        tower *tu = &m->tw[0], *ti = &m->tw[1];
        if (tu->D != ti->D) {
            tt_err_set(err, "model %s: tower %s outputs %d values but tower %s outputs %d; their widths must match",
                       md->name, u->name, tu->D, i->name, ti->D);
            goto fail;
        }
        if (md->fusion == TT_FUSE_SUM && tu->nch > 1) {
            if (tu->nch != ti->nch) {
                tt_err_set(err, "model %s: fusion=sum needs the same number of channels in both towers (%d vs %d)",
                           md->name, tu->nch, ti->nch);
                goto fail;
            }
            for (int c = 0; c < tu->nch; c++)
                if (tu->ch[c].out != ti->ch[c].out) {
                    tt_err_set(err, "model %s: channel %d has size %d in tower %s but %d in tower %s",
                               md->name, c + 1, tu->ch[c].out, u->name, ti->ch[c].out,
                               i->name);
                    goto fail;
                }
        }
        m->D = tu->D;
        if (interact_build(m, d, err))
            goto fail;
    }
    m->param = tt_alloc_aligned((size_t)TT_MAX(m->n_param, 1), sizeof(float), "parameters", err);
    /* Fitted kinds take no gradient steps: no gradient block. */
    m->grad = tt_alloc_aligned(m->K->fitted ? 1 : (size_t)TT_MAX(m->n_param, 1), sizeof(float),
                               "gradients", err);
    if (!m->param || !m->grad)
        goto fail;
    /* Row bookkeeping for lazy updates: one mark byte and one slot per table row. */
    int64_t trows = 0;
    for (int t = 0; t < m->nt; t++) {
        m->tbase[t] = trows;
        if (m->par[t].table)
            trows += m->par[t].rows;
    }
    m->mark = tt_alloc((size_t)TT_MAX(trows, 1), 1, "touched-row marks", err);
    m->trow = tt_alloc((size_t)TT_MAX(trows, 1), sizeof(int32_t), "touched rows", err);
    if (!m->mark || !m->trow)
        goto fail;
    for (int t = 0; t < m->nt; t++) {
        m->poff[t] = m->par[t].table ? -1 : m->n_dense;
        if (!m->par[t].table)
            m->n_dense += m->par[t].n;
    }
    if (!m->K->fitted) {
        tower_bind(m, &m->tw[0]);
        tower_bind(m, &m->tw[1]);
        interact_bind(m);
        init_params(m, seed);
        /* DAT's augmented vectors start N(0, 1/Da): about unit length, the
         * length of the (normalised) tower outputs they are pulled to */
        for (int s = 0; s < 2; s++) {
            tower *t = &m->tw[s];
            if (!t->aug)
                continue;
            const tt_param_info *p = &m->par[t->paug];
            float sc = 1.0f / sqrtf((float)t->Da);
            for (int64_t j = 0; j < p->n; j++)
                m->param[p->off + j] *= sc;
        }
    }
    free(feat_table);
    *out = m;
    return 0;
fail:
    free(feat_table);
    tt_model_free(m);
    return -1;
}

void tt_model_free(tt_model *m)
{
    if (!m)
        return;
    if (m->K && m->K->release)
        m->K->release(m);
    tt_pool_free(m->pool);
    for (int t = 0; t < TT_MAX_THREADS; t++)
        free(m->gw[t]);
    tower_free_bufs(&m->tw[0]);
    tower_free_bufs(&m->tw[1]);
    interact_free(m);
    free(m->param);
    free(m->grad);
    free(m->mark);
    free(m->trow);
    free(m->lbuf);
    free(m->libuf);
    free(m->xstat);
    free(m->logq_item);
    free(m->logq_samp);
    free(m->alias_p);
    free(m->alias_j);
    free(m->corpus);
    free(m->corpus_col);
    free(m);
}

const tt_model_def *tt_model_get_def(const tt_model *m) { return &m->def; }

const tt_tower_def *tt_model_get_tower(const tt_model *m, int side)
{
    if (m->K->fitted || side < 0 || side > 1)
        return NULL;
    return &m->tdef[side];
}

int64_t tt_model_param_count(const tt_model *m) { return m->n_param; }
float *tt_model_params(tt_model *m) { return m->param; }
int tt_model_dim(const tt_model *m) { return m->D; }
int tt_model_n_tensors(const tt_model *m) { return m->nt; }

const tt_param_info *tt_model_tensor(const tt_model *m, int i)
{
    return i >= 0 && i < m->nt ? &m->par[i] : NULL;
}

float *tt_model_grads(tt_model *m) { return m->grad; }

void tt_model_zero_grad(tt_model *m)
{
    if (!m->K->fitted)
        memset(m->grad, 0, (size_t)m->n_param * sizeof(float));
}

int tt_model_fit(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
                 volatile sig_atomic_t *stop, tt_err *err)
{
    if (!m->K->fitted)
        return tt_err_set(err, "model %s is trained, not fitted: use train", m->def.name);
    if (m->K->release)
        m->K->release(m);
    m->fitted = 0;
    if (m->K->fit(m, d, sp, TT_MAX(n_threads, 1), stop, err) ||
        (m->K->prepare && m->K->prepare(m, err)))
        return -1;
    m->fitted = 1;
    return 0;
}

int tt_model_is_fitted(const tt_model *m) { return m->fitted; }
int tt_model_fitted_kind(const tt_model *m) { return m->K->fitted; }
int tt_model_scores_cold(const tt_model *m) { return m->K->cold; }

int tt_model_prepare(tt_model *m, tt_err *err)
{
    if (!m->K->fitted)
        return 0;
    if (m->K->release)
        m->K->release(m);
    if (m->K->prepare && m->K->prepare(m, err))
        return -1;
    m->fitted = 1;
    return 0;
}

int tt_model_scores_tiles(const tt_model *m) { return m->K->score_tile != NULL; }

void tt_model_score_tile(const tt_model *m, const tt_split *sp, enum tt_part p,
                         const int64_t *idx, int n, int64_t base, int w, float *tile)
{
    m->K->score_tile(m, sp, p, idx, n, base, w, tile);
}

int tt_model_set_threads(tt_model *m, int n, tt_err *err)
{
    if (n < 1)
        n = 1;
    if (n > TT_MAX_THREADS)
        n = TT_MAX_THREADS;
    if (n == tt_pool_size(m->pool))
        return 0;
    tt_pool_free(m->pool);
    m->pool = NULL;
    for (int t = 0; t < TT_MAX_THREADS; t++) {
        free(m->gw[t]);
        m->gw[t] = NULL;
    }
    for (int t = 1; t < n; t++) {
        m->gw[t] = tt_alloc_aligned((size_t)TT_MAX(m->n_dense, 1), sizeof(float),
                                    "per-thread gradients", err);
        if (!m->gw[t])
            return -1;
    }
    return tt_pool_create(&m->pool, n, err);
}

int tt_model_get_threads(const tt_model *m) { return tt_pool_size(m->pool); }
struct tt_pool *tt_model_pool(tt_model *m) { return m->pool; }

/* ---- encodings ---- */

/* Make sure sequence fields can hold H entries per row. */
int model_ensure_hist(tt_model *m, int32_t H, tt_err *err)
{
    tower *t = &m->tw[0];
    int grow = 0;
    for (int fi = 0; fi < t->nf; fi++)
        if (t->fld[fi].src == SRC_HIST && t->fld[fi].maxlen < H) {
            t->fld[fi].maxlen = H;
            grow = 1;
        }
    if (grow && t->fbuf) {
        int64_t cap = t->cap;
        tower_free_bufs(t);
        return tower_reserve(m, t, cap, err);
    }
    return 0;
}

/* ---- lazy-update row tracking ---- */

void tt_model_track_rows(tt_model *m, int on)
{
    m->track = on;
    tt_model_clear_touched(m);
}

int64_t tt_model_touched_rows(const tt_model *m, int i, const int32_t **rows)
{
    if (i < 0 || i >= m->nt || !m->par[i].table)
        return -1;
    if (rows)
        *rows = m->trow + m->tbase[i];
    return m->ntouched[i];
}

void tt_model_clear_touched(tt_model *m)
{
    for (int i = 0; i < m->nt; i++) {
        if (!m->par[i].table)
            continue;
        uint8_t *mk = m->mark + m->tbase[i];
        const int32_t *tr = m->trow + m->tbase[i];
        for (int64_t j = 0; j < m->ntouched[i]; j++)
            mk[tr[j]] = 0;
        m->ntouched[i] = 0;
    }
}

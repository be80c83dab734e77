/* tt_model_read: reading a built model out: the evaluation encodings of
 * users and items (in chunks through the towers), ablation of a feature
 * (zeroed or shuffled), and the SENet statistics (per-row weights, running
 * means over the training batches). Building is tt_model.c. */
#include "tt_model_impl.h"
#include "tt_dist.h"
#include "tt_mkind.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_field(const tower *t, int feat)
{
    for (int fi = 0; fi < t->nf; fi++)
        if (t->fld[fi].feat == feat)
            return 1;
    return 0;
}

/* Rows and shuffled rows for an encoding pass over n rows. */
static int64_t *ablation_perm(tt_model *m, const tower *t, int64_t n, tt_err *err)
{
    if (m->abl_feat < 0 || m->abl_mode != TT_ABLATE_SHUFFLE || !has_field(t, m->abl_feat))
        return NULL;
    int64_t *p = tt_alloc((size_t)n, sizeof(int64_t), "ablation permutation", err);
    if (!p)
        return NULL;
    for (int64_t j = 0; j < n; j++)
        p[j] = j;
    tt_rng r;
    tt_rng_seed(&r, m->abl_seed);
    tt_rng_shuffle_i64(&r, p, (size_t)n);
    return p;
}

/* Run tower `side` over rows [0, n) in chunks; after each chunk's forward,
 * sink(ud, first row, rows) reads t->out / t->a. */
typedef void (*chunk_sink)(tt_model *m, tower *t, int64_t s, int64_t R, void *ud);

static int encode_pass(tt_model *m, int side, const tt_dataset *d,
                       const tt_examples *ex, int64_t n, int ablate,
                       chunk_sink sink, void *ud, tt_err *err)
{
    tower *t = &m->tw[side];
    if (side == 0 && ex && model_ensure_hist(m, ex->H, err))
        return -1;
    if (t->cap < 256 && tower_reserve(m, t, 1024, err))
        return -1;
    int64_t chunk = t->cap;
    int64_t *rows = tt_alloc((size_t)chunk, sizeof(int64_t), "encoding rows", err);
    if (!rows)
        return -1;
    int64_t *perm = NULL, *rows2 = NULL;
    if (ablate) {
        perm = ablation_perm(m, t, n, err);
        if (perm) {
            rows2 = tt_alloc((size_t)chunk, sizeof(int64_t), "encoding rows", err);
            if (!rows2) {
                free(perm);
                free(rows);
                return -1;
            }
        }
    }
    int zero_feat = (ablate && m->abl_mode == TT_ABLATE_ZERO) ? m->abl_feat : -1;
    for (int64_t s = 0; s < n; s += chunk) {
        int64_t R = TT_MIN(chunk, n - s);
        for (int64_t b = 0; b < R; b++) {
            rows[b] = s + b;
            if (rows2)
                rows2[b] = perm[s + b];
        }
        tower_inputs(m, t, d, ex, rows, rows2, m->abl_feat, R);
        tower_forward(t, R, zero_feat);
        sink(m, t, s, R, ud);
    }
    m->full_items_loaded = 0;
    free(rows);
    free(rows2);
    free(perm);
    return 0;
}

static void sink_out(tt_model *m, tower *t, int64_t s, int64_t R, void *ud)
{
    (void)m;
    float *dst = ud;
    memcpy(dst + s * t->D, t->out, (size_t)R * t->D * sizeof(float));
}

int tt_model_encode_items(tt_model *m, const tt_dataset *d, float *V, tt_err *err)
{
    if (m->K->fitted) {
        if (!m->K->encode_items)
            return tt_err_set(err, "model %s (%s) scores from histories, not item vectors",
                              m->def.name, m->K->name);
        return m->K->encode_items(m, d, V, err);
    }
    if (m->fe.on)
        return tt_err_set(err, "model %s scores items by the FE-Block (several vectors per item, interact=fe): it has no single item vector for this command",
                          m->def.name);
    return encode_pass(m, 1, d, NULL, m->n_items, 1, sink_out, V, err);
}

/* FE item vectors of a chunk: the projection of the item tower's outputs. */
typedef struct fe_sink {
    float *V, *tmp, *nrm;
} fe_sink;

static void sink_fe(tt_model *m, tower *t, int64_t s, int64_t R, void *ud)
{
    fe_sink *k = ud;
    int64_t GD = (int64_t)m->fe.G * m->fe.dh;
    float *dst = k->V + s * GD;
    interact_project(m, t->out, R, m->fe.norm ? k->tmp : dst, dst, k->nrm);
}

int tt_model_encode_item_vectors(tt_model *m, const tt_dataset *d, float *V, tt_err *err)
{
    if (!m->fe.on)
        return tt_err_set(err, "model %s has one vector per item (no interact=fe)", m->def.name);
    tower *t = &m->tw[1];
    if (t->cap < 256 && tower_reserve(m, t, 1024, err))
        return -1;
    int64_t GD = (int64_t)m->fe.G * m->fe.dh;
    fe_sink k = {V, tt_alloc((size_t)(t->cap * GD), sizeof(float), "FE item vectors", err),
                 tt_alloc((size_t)(t->cap * m->fe.G), sizeof(float), "FE norms", err)};
    int rc = !k.tmp || !k.nrm ? -1 : encode_pass(m, 1, d, NULL, m->n_items, 1, sink_fe, &k, err);
    free(k.tmp);
    free(k.nrm);
    return rc;
}

int tt_model_encode_queries(tt_model *m, const tt_dataset *d,
                            const tt_examples *ex, float *Q, tt_err *err)
{
    if (m->K->fitted && m->K->encode_examples)
        return m->K->encode_examples(m, d, ex, Q, err);
    if (m->K->fitted)
        return tt_err_set(err, "model %s (%s) encodes the queries of a part of the split",
                          m->def.name, m->K->name);
    if (m->tw[0].mi.on && m->tw[0].mi.K > 1)   /* K = 1: out is interest 1 */
        return tt_err_set(err, "model %s encodes %d interest vectors per user, not one; this reads one vector per user",
                          m->def.name, m->tw[0].mi.K);
    return encode_pass(m, 0, d, ex, ex->n, 1, sink_out, Q, err);
}

int tt_model_query_vectors(const tt_model *m)
{
    return !m->K->fitted && m->tw[0].mi.on ? m->tw[0].mi.K : 1;
}

typedef struct multi_sink {
    float *Q;
    int32_t *qn;
} multi_sink;

static void sink_multi(tt_model *m, tower *t, int64_t s, int64_t R, void *ud)
{
    (void)m;
    multi_sink *u = ud;
    const size_t w = (size_t)t->mi.K * t->mi.out;
    memcpy(u->Q + s * w, t->mi.I, (size_t)R * w * sizeof(float));
    if (u->qn)
        memcpy(u->qn + s, t->mi.kk, (size_t)R * sizeof(int32_t));
}

int tt_model_encode_queries_multi(tt_model *m, const tt_dataset *d,
                                  const tt_examples *ex, float *Q, int32_t *qn,
                                  tt_err *err)
{
    if (tt_model_query_vectors(m) == 1) {
        for (int64_t e = 0; qn && e < ex->n; e++)
            qn[e] = 1;
        return tt_model_encode_queries(m, d, ex, Q, err);
    }
    multi_sink u = {Q, qn};
    return encode_pass(m, 0, d, ex, ex->n, 1, sink_multi, &u, err);
}

int tt_model_encode_part(tt_model *m, const tt_dataset *d, const tt_split *sp,
                         enum tt_part p, float *Q, tt_err *err)
{
    if (m->K->encode_part)
        return m->K->encode_part(m, d, sp, p, Q, err);
    return tt_model_encode_queries(m, d, &sp->part[p], Q, err);
}

void tt_model_set_ablation(tt_model *m, int feat, enum tt_ablate_mode mode,
                           uint64_t seed)
{
    m->abl_feat = feat;
    m->abl_mode = mode;
    m->abl_seed = seed;
}

int tt_model_reweight(const tt_model *m, int side)
{
    if (m->K->fitted || side < 0 || side > 1)
        return TT_RW_NONE;
    return m->tw[side].senet;
}

int tt_model_senet_fields(const tt_model *m, int side, const char **names)
{
    if (m->K->fitted || side < 0 || side > 1 || !m->tw[side].senet)
        return 0;
    const tower *t = &m->tw[side];
    if (names)
        for (int f = 0; f < t->nf; f++)
            names[f] = t->fname_p[f];
    return t->nf;
}

/* Field-wise weights of rows [0, R) of the last forward into W (R, f). */
static void senet_field_weights(const tower *t, int64_t R, float *W)
{
    const int f = t->nf, A = t->A;
    if (A == f) {
        memcpy(W, t->a, (size_t)R * f * sizeof(float));
        return;
    }
    const int per = A / f;   /* bit-wise: k weights per field */
    for (int64_t b = 0; b < R; b++)
        for (int i = 0; i < f; i++) {
            double s = 0;
            for (int j = 0; j < per; j++)
                s += t->a[b * A + i * per + j];
            W[b * f + i] = (float)(s / per);
        }
}

static void sink_se(tt_model *m, tower *t, int64_t s, int64_t R, void *ud)
{
    (void)m;
    senet_field_weights(t, R, (float *)ud + s * t->nf);
}

/* One read-out pass of a tower's re-weighting stage over its rows (the
 * part's examples, or all items): sink copies what it reads. */
static int senet_readout(tt_model *m, int side, const tt_dataset *d, const tt_examples *ex,
                         chunk_sink sink, float *out,
                         const char *what, tt_err *err)
{
    if (side == 0 && !ex)
        return tt_err_set(err, "%s of the user tower need examples", what);
    return encode_pass(m, side, d, side ? NULL : ex, side ? m->n_items : ex->n, 0,
                       sink, out, err);
}

int tt_model_senet_weights(tt_model *m, int side, const tt_dataset *d,
                           const tt_examples *ex, float *W, tt_err *err)
{
    if (tt_model_senet_fields(m, side, NULL) == 0)
        return tt_err_set(err, "model %s: the %s tower has no SENet or Light-SE stage",
                          m->def.name, side_name(side));
    return senet_readout(m, side, d, ex, sink_se, W, "field weights", err);
}

int tt_model_senet_shape(const tt_model *m, int side, int *hidden, int *r)
{
    int f = tt_model_senet_fields(m, side, NULL);
    const tower *t = f ? &m->tw[side] : NULL;
    if (hidden)
        *hidden = t ? t->se.h : 0;
    if (r)
        *r = t ? t->def.se_r : 0;
    return f;
}

static void sink_hid(tt_model *m, tower *t, int64_t s, int64_t R, void *ud)
{
    (void)m;
    memcpy((float *)ud + s * t->se.h, t->hid, (size_t)R * (size_t)t->se.h * sizeof(float));
}

int tt_model_senet_hidden(tt_model *m, int side, const tt_dataset *d,
                          const tt_examples *ex, float *H, tt_err *err)
{
    if (tt_model_senet_fields(m, side, NULL) == 0 || m->tw[side].se.h <= 0)
        return tt_err_set(err, "model %s: the %s tower has no SENet hidden layer",
                          m->def.name, side_name(side));
    return senet_readout(m, side, d, ex, sink_hid, H, "senet activations", err);
}

void tower_senet_accumulate(tt_model *m, tower *t, int64_t R)
{
    const int f = t->nf, A = t->A, per = A / f, h = t->se.h;
    double bsum[TT_MAX_FIELDS] = { 0 }, bsq[TT_MAX_FIELDS] = { 0 };
    for (int64_t b = 0; b < R; b++) {
        for (int i = 0; i < f; i++) {
            const float *a = t->a + b * A + i * per;
            double s = 0;
            for (int j = 0; j < per; j++)
                s += a[j];
            s /= per;
            bsum[i] += s;
            bsq[i] += s * s;
        }
        if (h > 0) {   /* a SENet MLP; Light-SE has no hidden layer */
            const float *hr = t->hid + b * h;
            int active = 0;
            for (int u = 0; u < h; u++)
                active |= hr[u] > 0.0f;
            m->se_dead[t->side] += !active;
        }
    }
    /* squared deviations from this batch's own mean */
    for (int i = 0; i < f && R > 0; i++) {
        m->se_sum[t->side][i] += bsum[i];
        m->se_dev[t->side][i] += fmax(0.0, bsq[i] - bsum[i] * bsum[i] / (double)R);
    }
    m->se_cnt[t->side] += (double)R;
}

int tt_model_senet_running_spread(const tt_model *m, int side, float *std,
                                  float *inactive)
{
    if (tt_model_senet_fields(m, side, NULL) == 0)
        return 0;
    const tower *t = &m->tw[side];
    double n = m->se_cnt[side];
    for (int i = 0; i < t->nf; i++)
        std[i] = n > 0 ? (float)sqrt(m->se_dev[side][i] / n) : NAN;   /* no rows: unknown */
    *inactive = n > 0 ? (float)(m->se_dead[side] / n) : 0.0f;
    return t->nf;
}

int tt_model_senet_running(const tt_model *m, int side, float *mean)
{
    if (tt_model_senet_fields(m, side, NULL) == 0)
        return 0;
    const tower *t = &m->tw[side];
    for (int i = 0; i < t->nf; i++)
        mean[i] = m->se_cnt[side] > 0 ? (float)(m->se_sum[side][i] / m->se_cnt[side]) : 0.0f;
    return t->nf;
}

void tt_model_senet_dist_sum(tt_model *m)
{
    /* sums and counts, one block: (2 sides) x (sum, dev per field) + cnt, dead */
    double buf[2 * (2 * TT_MAX_FIELDS + 2)];
    double *p = buf;
    tt_err err;
    if (tt_dist_size() == 1)
        return;
    for (int s = 0; s < 2; s++) {
        memcpy(p, m->se_sum[s], sizeof m->se_sum[s]);
        memcpy(p + TT_MAX_FIELDS, m->se_dev[s], sizeof m->se_dev[s]);
        p[2 * TT_MAX_FIELDS] = m->se_cnt[s];
        p[2 * TT_MAX_FIELDS + 1] = m->se_dead[s];
        p += 2 * TT_MAX_FIELDS + 2;
    }
    if (tt_dist_sum_f64(buf, (int)TT_ARRAY_LEN(buf), &err))
        tt_dist_die(err.msg);
    p = buf;
    for (int s = 0; s < 2; s++) {
        memcpy(m->se_sum[s], p, sizeof m->se_sum[s]);
        memcpy(m->se_dev[s], p + TT_MAX_FIELDS, sizeof m->se_dev[s]);
        m->se_cnt[s] = p[2 * TT_MAX_FIELDS];
        m->se_dead[s] = p[2 * TT_MAX_FIELDS + 1];
        p += 2 * TT_MAX_FIELDS + 2;
    }
}

void tt_model_senet_reset(tt_model *m)
{
    memset(m->se_sum, 0, sizeof m->se_sum);
    memset(m->se_cnt, 0, sizeof m->se_cnt);
    memset(m->se_dev, 0, sizeof m->se_dev);
    memset(m->se_dead, 0, sizeof m->se_dead);
}

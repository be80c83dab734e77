/* test_model: end-to-end checks of the runtime models: finite-difference
 * gradients of the whole model loss (DSSM, SENet variants, parallel towers
 * with sum and concat fusion, every loss kind), overfitting a tiny dataset,
 * bit-identical reruns, the popularity model, divergence detection, lazy
 * updates and the optimizers' formulas. Datasets are built by hand. */
#include "tt_model.h"
#include "tt_losses.h"
#include "tt_train.h"
#include "tt_eval.h"
#include "tt_blas.h"
#include "tt_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_check.h"


/* ---- a hand-built dataset with cluster structure ---- */

static tt_feature *addf(tt_dataset *d, const char *name, enum tt_kind kind,
                        enum tt_side side, int32_t card, int64_t n_rows)
{
    d->feat = realloc(d->feat, (size_t)(d->n_feat + 1) * sizeof *d->feat);
    tt_feature *f = &d->feat[d->n_feat++];
    memset(f, 0, sizeof *f);
    f->name = strdup(name);
    f->kind = kind;
    f->side = side;
    f->card = card;
    f->n_rows = n_rows;
    f->share = -1;
    return f;
}

/* U users in C clusters, each with P interactions drawn mostly from its
 * cluster's items; features: age (user), hour (context), genres (item set),
 * decade (item), plus user_id, item_id and hist added by the data module. */
static void make_data(tt_dataset *d, int U, int I, int C, int P, uint64_t seed)
{
    tt_err err;
    tt_rng r;
    tt_rng_seed(&r, seed);
    memset(d, 0, sizeof *d);
    d->name = strdup("test");
    d->source = strdup("test_model");
    d->n_users = U;
    d->n_items = I;
    d->user_key = calloc((size_t)U, sizeof(char *));
    d->item_key = calloc((size_t)I, sizeof(char *));
    for (int u = 0; u < U; u++) {
        char b[16];
        snprintf(b, sizeof b, "%d", u + 1);
        d->user_key[u] = strdup(b);
    }
    for (int i = 0; i < I; i++) {
        char b[16];
        snprintf(b, sizeof b, "%d", i + 1);
        d->item_key[i] = strdup(b);
    }
    d->n_inter = (int64_t)U * P;
    d->iu = malloc((size_t)d->n_inter * sizeof(int32_t));
    d->ii = malloc((size_t)d->n_inter * sizeof(int32_t));
    d->it = malloc((size_t)d->n_inter * sizeof(int64_t));
    int per = I / C;
    for (int u = 0, k = 0; u < U; u++) {
        int c = u % C;
        for (int p = 0; p < P; p++, k++) {
            int item;
            int again;
            do {   /* distinct items per user */
                if (tt_rng_uniform(&r) < 0.85)
                    item = c + C * (int)tt_rng_below(&r, (uint32_t)per);
                else
                    item = (int)tt_rng_below(&r, (uint32_t)I);
                again = 0;
                for (int q = k - p; q < k; q++)
                    if (d->ii[q] == item)
                        again = 1;
            } while (again);
            d->iu[k] = u;
            d->ii[k] = item;
            d->it[k] = 1000 + p * 10 + (int64_t)tt_rng_below(&r, 5);
        }
    }
    tt_feature *f = addf(d, "age", TT_CAT, TT_USER, 4, U);
    f->ids = malloc((size_t)U * sizeof(int32_t));
    for (int u = 0; u < U; u++)
        f->ids[u] = 1 + (u / C) % 3;
    f = addf(d, "hour", TT_CAT, TT_CTX, 3, d->n_inter);
    f->ids = malloc((size_t)d->n_inter * sizeof(int32_t));
    for (int64_t k = 0; k < d->n_inter; k++)
        f->ids[k] = 1 + (int32_t)tt_rng_below(&r, 2);
    f = addf(d, "genres", TT_SET, TT_ITEM, 5, I);
    f->off = malloc((size_t)(I + 1) * sizeof(int64_t));
    f->vals = malloc((size_t)2 * I * sizeof(int32_t));
    f->off[0] = 0;
    for (int i = 0; i < I; i++) {
        int64_t o = f->off[i];
        f->vals[o++] = 1 + (i % C) % 4;
        if (i % 3 == 0)
        {
            int32_t g2 = 1 + (i / 5) % 4;
            if (g2 == f->vals[o - 1])
                g2 = 1 + (i / 5 + 1) % 4;
            f->vals[o++] = g2;
        }
        if (i % 7 == 6)   /* some items have no genre */
            o = f->off[i];
        f->off[i + 1] = o;
    }
    f = addf(d, "decade", TT_CAT, TT_ITEM, 4, I);
    f->ids = malloc((size_t)I * sizeof(int32_t));
    for (int i = 0; i < I; i++)
        f->ids[i] = i % 5 == 4 ? 0 : 1 + i % 3;   /* some unknown */
    if (tt_dataset_add_id_features(d, &err) || tt_dataset_finish(d, &err))
        DIE("dataset: %s", err.msg);
}

/* ---- model helpers ---- */

static tt_tower_def tower_mlp(const char *name, int dim, int w1, int w2)
{
    tt_tower_def t;
    tt_tower_def_mlp(&t, name, dim, (const int[]){w1, w2}, 2, 1);
    return t;
}

static tt_tower_def tower_par(const char *name, int dim)
{
    tt_tower_def t;
    tt_tower_def_init(&t);
    snprintf(t.name, sizeof t.name, "%s", name);
    t.dim = dim;
    t.n_chan = 3;
    t.chan[0].kind = TT_CH_MLP;
    t.chan[0].n_widths = 2;
    t.chan[0].widths[0] = 8;
    t.chan[0].widths[1] = dim;
    t.chan[1].kind = TT_CH_FM;
    t.chan[2].kind = TT_CH_CROSS;
    t.chan[2].n_layers = 2;
    t.chan[2].out = dim;
    return t;
}

static tt_model *make_model(const tt_model_def *md, const tt_tower_def *u,
                            const tt_tower_def *i, const tt_dataset *d, uint64_t seed)
{
    tt_model *m;
    tt_err err;
    if (tt_model_create(md, u, i, d, seed, &m, &err))
        DIE("model %s: %s", md->name, err.msg);
    return m;
}

/* ---- finite differences of the whole model loss ---- */

static double loss_at(tt_model *m, const tt_dataset *d, const tt_split *sp,
                      const int64_t *idx, int n)
{
    tt_err err;
    tt_model_seed(m, 7);   /* same negatives for every evaluation */
    double l = tt_model_batch_loss(m, d, sp, idx, n, 0, &err);
    if (isnan(l))
        DIE("batch loss: %s", err.msg);
    return l;
}

/* Directional derivatives along random directions, one per tensor (so that a
 * failure names the tensor) and one over all parameters, against central
 * differences. The loss is float; eps is chosen for float round-off. */
static void gradcheck(const char *label, tt_model *m, const tt_dataset *d,
                      const tt_split *sp, int n)
{
    tt_err err;
    int64_t np = tt_model_param_count(m);
    float *P = tt_model_params(m);
    int64_t *idx = malloc((size_t)n * sizeof(int64_t));
    for (int b = 0; b < n; b++)
        idx[b] = ((int64_t)b * 7 + 3) % sp->part[TT_TRAIN].n;
    tt_model_zero_grad(m);
    tt_model_seed(m, 7);
    double l0 = tt_model_batch_loss(m, d, sp, idx, n, 1, &err);
    if (isnan(l0))
        DIE("%s: %s", label, err.msg);
    float *G = malloc((size_t)np * sizeof(float));
    memcpy(G, tt_model_grads(m), (size_t)np * sizeof(float));
    double *v = malloc((size_t)np * sizeof(double));
    float *save = malloc((size_t)np * sizeof(float));
    memcpy(save, P, (size_t)np * sizeof(float));
    tt_rng r;
    tt_rng_seed(&r, 99);
    int nt = tt_model_n_tensors(m), checked = 0;
    double worst = 0;
    for (int ti = -1; ti < nt; ti++) {
        int64_t off = 0, cnt = np;
        const char *name = "all parameters";
        if (ti >= 0) {
            const tt_param_info *pi = tt_model_tensor(m, ti);
            off = pi->off;
            cnt = pi->n;
            name = pi->name;
        }
        /* A ReLU kink crossed by the step spoils one direction now and then;
         * a wrong gradient spoils every direction: pass on any of three. */
        int ok = 0;
        double an = 0, fd = 0, e = 0, tol = 1;
        for (int attempt = 0; attempt < 3 && !ok; attempt++) {
            double nv = 0;
            an = 0;
            for (int64_t j = 0; j < np; j++)
                v[j] = 0;
            for (int64_t j = off; j < off + cnt; j++) {
                v[j] = tt_rng_normal(&r);
                nv += v[j] * v[j];
            }
            nv = sqrt(nv);
            for (int64_t j = off; j < off + cnt; j++) {
                v[j] /= nv;
                an += v[j] * G[j];
            }
            const double eps = 1e-3;
            for (int64_t j = off; j < off + cnt; j++)
                P[j] = (float)(save[j] + eps * v[j]);
            double lp = loss_at(m, d, sp, idx, n);
            for (int64_t j = off; j < off + cnt; j++)
                P[j] = (float)(save[j] - eps * v[j]);
            double lm = loss_at(m, d, sp, idx, n);
            memcpy(P + off, save + off, (size_t)cnt * sizeof(float));
            fd = (lp - lm) / (2 * eps);
            e = fabs(fd - an);
            tol = 2e-2 * fmax(fabs(fd), fabs(an)) + 5e-4;
            ok = e <= tol;
        }
        if (e / tol > worst)
            worst = e / tol;
        CHECK(ok, "%s: %s: analytic %.6g vs finite difference %.6g", label,
              name, an, fd);
        if (fabs(an) > 1e-3)
            checked++;
    }
    CHECK(checked >= nt / 2, "%s: only %d of %d tensors have a gradient to check",
          label, checked, nt);
    if (getenv("TT_VERBOSE"))
        fprintf(stderr, "gradcheck %-28s loss %.4f  %d tensors  worst err/tol %.3f\n",
                label, l0, nt, worst);
    free(idx);
    free(G);
    free(v);
    free(save);
}

/* Build md over towers u and i (seed; on threads threads when > 1),
 * gradient-check its loss over n examples under label, free it. */
static void check_def(const char *label, const tt_model_def *md, const tt_tower_def *u,
                      const tt_tower_def *i, const tt_dataset *d, const tt_split *sp,
                      uint64_t seed, int threads, int n)
{
    tt_err err;
    tt_model *m = make_model(md, u, i, d, seed);
    if (threads > 1 && tt_model_set_threads(m, threads, &err))
        DIE("threads: %s", err.msg);
    gradcheck(label, m, d, sp, n);
    tt_model_free(m);
}

static void test_gradients(const tt_dataset *d, const tt_split *sp)
{
    tt_model_def md;
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    tt_model *m;

    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "dssm");
    md.temp = 0.2f;
    check_def("dssm full softmax", &md, &u, &i, d, sp, 1, 1, 12);

    tt_tower_def us = u, is = i;
    us.senet = is.senet = 1;
    check_def("senet sigmoid", &md, &us, &is, d, sp, 2, 1, 12);
    us.se_gate = is.se_gate = TT_GATE_RELU;
    us.se_squeeze = is.se_squeeze = TT_SQ_MEANMAX;
    check_def("senet relu meanmax", &md, &us, &is, d, sp, 3, 1, 12);
    us.se_gate = is.se_gate = TT_GATE_SIGMOID;
    us.se_squeeze = is.se_squeeze = TT_SQ_MEAN;
    us.se_groups = is.se_groups = 2;
    check_def("senet bit-wise groups=2", &md, &us, &is, d, sp, 4, 1, 12);

    /* Light-SE (IntTower) on both sides, and on the user side of a
     * parallel tower below (single and two threads) */
    {
        tt_tower_def lu = u, li = i;
        lu.senet = li.senet = TT_RW_LIGHTSE;
        check_def("lightse full softmax", &md, &lu, &li, d, sp, 8, 1, 12);
        tt_err e3;
        m = make_model(&md, &lu, &li, d, 9);
        if (tt_model_set_threads(m, 2, &e3))
            DIE("threads: %s", e3.msg);
        gradcheck("2 threads lightse", m, d, sp, 13);
        /* the read-out: softmax weights over the fields, summing to 1 */
        const char *names[TT_MAX_FIELDS];
        int f = tt_model_senet_fields(m, 1, names);
        float *W = malloc((size_t)d->n_items * (size_t)(f > 0 ? f : 1) * sizeof(float));
        CHECK(f > 1 && tt_model_reweight(m, 1) == TT_RW_LIGHTSE, "lightse read-out: %d fields", f);
        if (tt_model_senet_weights(m, 1, d, NULL, W, &e3))
            DIE("lightse weights: %s", e3.msg);
        double worst = 0;
        for (int32_t it = 0; it < d->n_items; it++) {
            double s = 0;
            for (int j = 0; j < f; j++)
                s += W[(size_t)it * f + j];
            worst = fmax(worst, fabs(s - 1));
        }
        CHECK(worst < 1e-5, "lightse item weights sum to 1 per item (off by %g)", worst);
        free(W);
        tt_model_free(m);
    }

    tt_tower_def pu = tower_par("pu", 4), pi = tower_par("pi", 4);
    pu.senet = 1;
    check_def("parallel fusion=sum", &md, &pu, &pi, d, sp, 5, 1, 12);
    md.fusion = TT_FUSE_CONCAT;
    check_def("parallel fusion=concat", &md, &pu, &pi, d, sp, 6, 1, 12);
    md.fusion = TT_FUSE_SUM;
    md.sim = TT_SIM_DOT;
    pu.l2norm = pi.l2norm = 0;
    check_def("parallel sim=dot", &md, &pu, &pi, d, sp, 7, 1, 12);
    md.sim = TT_SIM_COS;

    /* two threads: the step's row split and the private gradients, with an
     * odd batch so that the halves differ */
    {
        tt_model_def m2 = md;
        m2.fusion = TT_FUSE_SUM;
        m2.sim = TT_SIM_COS;
        check_def("2 threads senet full softmax", &m2, &us, &is, d, sp, 21, 2, 13);
        m2.loss = TT_LOSS_INBATCH;
        m2.logq = 1;
        pu.l2norm = pi.l2norm = 1;
        check_def("2 threads parallel in-batch", &m2, &pu, &pi, d, sp, 22, 2, 15);
        m2.loss = TT_LOSS_SAMPLED;
        m2.neg = 5;
        check_def("2 threads sampled", &m2, &u, &i, d, sp, 23, 2, 11);
    }

    /* every loss kind */
    md.loss = TT_LOSS_INBATCH;
    md.logq = 1;
    md.mask_hits = 1;
    check_def("in-batch logq mask", &md, &u, &i, d, sp, 8, 1, 16);
    md.loss = TT_LOSS_SAMPLED;
    md.neg = 6;
    md.sampler = TT_SAMPLE_POP;
    check_def("sampled pop logq mask", &md, &us, &is, d, sp, 9, 1, 12);
    md.sampler = TT_SAMPLE_UNIFORM;
    md.logq = 0;
    md.loss = TT_LOSS_BCE;
    md.neg = 3;
    check_def("bce", &md, &u, &i, d, sp, 10, 1, 12);
    md.loss = TT_LOSS_BPR;
    check_def("bpr parallel", &md, &pu, &pi, d, sp, 11, 1, 12);

    /* every row of the loss table, whatever it is: a new loss is checked here
     * with logQ and masking where they apply, and the lookups agree */
    CHECK(tt_loss_count() >= 5, "%d losses", tt_loss_count());
    for (int id = 0; id < tt_loss_count(); id++) {
        const tt_loss_op *op = tt_loss_by_id(id);
        char label[64];
        if (!op || tt_loss_by_name(op->name) != id || !strstr(tt_loss_names(), op->name))
            DIE("loss %d: the lookups by id, by name and the name list disagree", id);
        md.loss = (enum tt_loss_kind)id;
        md.logq = op->logq;
        md.mask_hits = op->mask;
        md.neg = op->default_neg ? 3 : 0;
        CHECK(tt_model_negatives(&md) == md.neg, "%s: %d negatives", op->name,
              tt_model_negatives(&md));
        m = make_model(&md, &u, &i, d, 40 + (uint64_t)id);
        snprintf(label, sizeof label, "loss table row %s", op->name);
        gradcheck(label, m, d, sp, 9);
        tt_model_free(m);
    }
    CHECK(tt_loss_by_id(tt_loss_count()) == NULL && tt_loss_by_id(-1) == NULL,
          "loss ids out of range have rows");
    CHECK(tt_loss_by_name("nosuchloss") == -1, "an unknown loss name has an id");
    md.neg = 0;
    md.loss = TT_LOSS_SAMPLED;
    CHECK(tt_model_negatives(&md) == 128, "sampled: %d negatives", tt_model_negatives(&md));
    md.loss = TT_LOSS_BPR;
    md.neg = 3;
    md.logq = 0;
    md.mask_hits = 1;

    /* a tower without channels: the concatenated embeddings, dot product */
    tt_tower_def eu, ei;
    tt_tower_def_init(&eu);
    tt_tower_def_init(&ei);
    snprintf(eu.name, sizeof eu.name, "eu");
    snprintf(ei.name, sizeof ei.name, "ei");
    eu.dim = ei.dim = 3;
    eu.n_fields = 2;
    snprintf(eu.fields[0], TT_NAME_MAX, "hist");
    snprintf(eu.fields[1], TT_NAME_MAX, "hour");
    ei.n_fields = 2;
    snprintf(ei.fields[0], TT_NAME_MAX, "item_id");
    snprintf(ei.fields[1], TT_NAME_MAX, "genres");
    tt_model_def_init(&md);
    md.sim = TT_SIM_DOT;
    md.temp = 1.0f;
    m = make_model(&md, &eu, &ei, d, 12);
    CHECK(tt_model_dim(m) == 6, "identity tower dim %d", tt_model_dim(m));
    gradcheck("embeddings only, dot", m, d, sp, 12);
    tt_model_free(m);
}

/* ---- field resolution errors ---- */

/* ---- DAT (augment=dat) ---- */

static int tensor_named(tt_model *m, const char *name)
{
    for (int t = 0; t < tt_model_n_tensors(m); t++)
        if (!strcmp(tt_model_tensor(m, t)->name, name))
            return t;
    DIE("no tensor %s", name);
    return -1;
}

/* Loss and gradient of one batch (gradient copied out). */
static double loss_grad(tt_model *m, const tt_dataset *d, const tt_split *sp,
                        const int64_t *idx, int n, float *G)
{
    tt_err err;
    tt_model_zero_grad(m);
    tt_model_seed(m, 7);
    double l = tt_model_batch_loss(m, d, sp, idx, n, 1, &err);
    if (isnan(l))
        DIE("batch loss: %s", err.msg);
    memcpy(G, tt_model_grads(m), (size_t)tt_model_param_count(m) * sizeof(float));
    return l;
}

/* The towers (with the augmented vectors in their inputs) are checked by
 * finite differences with the mimic weight 0. The mimic term holds the tower
 * outputs constant, so its gradient is not the derivative of the loss; it is
 * checked against its definition instead: with weight w, loss and gradient
 * change by exactly
 *   w/B sum_b ||a_u - p_v||^2 + ||a_v - p_u||^2,  2w/B (a_u - p_v), 2w/B (a_v - p_u)
 * with p_u, p_v the encodings of the batch's users and positives. */
static void test_dat(const tt_dataset *d, const tt_split *sp)
{
    tt_model_def md;
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    tt_err err;
    tt_model *m;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "dat");
    md.temp = 0.2f;
    md.augment = TT_AUG_DAT;
    md.dat_w = 0;
    check_def("dat (mimic weight 0) softmax", &md, &u, &i, d, sp, 31, 1, 12);
    md.loss = TT_LOSS_INBATCH;
    check_def("2 threads dat in-batch", &md, &u, &i, d, sp, 32, 2, 13);

    for (int loss = 0; loss < 2; loss++) {
        const int n = 12;
        const double w = 0.7;
        md.loss = loss ? TT_LOSS_INBATCH : TT_LOSS_SOFTMAX;
        md.dat_w = 0;
        tt_model *m0 = make_model(&md, &u, &i, d, 33);
        md.dat_w = (float)w;
        tt_model *m1 = make_model(&md, &u, &i, d, 33);
        int64_t np = tt_model_param_count(m1);
        float *G0 = malloc((size_t)np * sizeof(float)), *G1 = malloc((size_t)np * sizeof(float));
        int64_t idx[12];
        for (int b = 0; b < n; b++)
            idx[b] = ((int64_t)b * 5 + 1) % sp->part[TT_TRAIN].n;
        double l0 = loss_grad(m0, d, sp, idx, n, G0), l1 = loss_grad(m1, d, sp, idx, n, G1);
        const tt_examples *ex = &sp->part[TT_TRAIN];
        int D = tt_model_dim(m1);
        float *V = malloc((size_t)d->n_items * D * sizeof(float));
        float *Q = malloc((size_t)ex->n * D * sizeof(float));
        if (tt_model_encode_items(m1, d, V, &err) || tt_model_encode_queries(m1, d, ex, Q, &err))
            DIE("encode: %s", err.msg);
        int tu = tensor_named(m1, "user.dat.aug"), ti = tensor_named(m1, "item.dat.aug");
        const tt_param_info *pu = tt_model_tensor(m1, tu), *pi = tt_model_tensor(m1, ti);
        const float *P = tt_model_params(m1);
        const tt_feature *fu = &d->feat[tt_dataset_find(d, "user_id")];
        const tt_feature *fi = &d->feat[tt_dataset_find(d, "item_id")];
        double *want = calloc((size_t)np, sizeof(double)), lw = 0;
        for (int b = 0; b < n; b++) {
            int32_t us = ex->user[idx[b]], it = ex->item[idx[b]];
            int64_t ou = pu->off + (int64_t)fu->ids[us] * D, oi = pi->off + (int64_t)fi->ids[it] * D;
            for (int j = 0; j < D; j++) {
                double eu = P[ou + j] - V[(size_t)it * D + j];
                double ev = P[oi + j] - Q[(size_t)idx[b] * D + j];
                lw += w / n * (eu * eu + ev * ev);
                want[ou + j] += 2 * w / n * eu;
                want[oi + j] += 2 * w / n * ev;
            }
        }
        double worst = 0, scale = 0;
        for (int64_t j = 0; j < np; j++) {
            worst = fmax(worst, fabs((G1[j] - G0[j]) - want[j]));
            scale = fmax(scale, fabs(want[j]));
        }
        CHECK(fabs((l1 - l0) - lw) < 1e-4 * fmax(1, lw), "dat %s: mimic loss %.6g, want %.6g",
              loss ? "in-batch" : "softmax", l1 - l0, lw);
        CHECK(scale > 1e-3 && worst < 1e-5 + 1e-4 * scale,
              "dat %s: mimic gradient off by %.3g (largest %.3g)", loss ? "in-batch" : "softmax",
              worst, scale);
        free(want); free(V); free(Q); free(G0); free(G1);
        tt_model_free(m0);
        tt_model_free(m1);
    }

    /* refused: a tower without its id field, a tower without an mlp */
    tt_tower_def nu = u;
    nu.n_fields = 1;
    snprintf(nu.fields[0], TT_NAME_MAX, "%s", "age");
    md.dat_w = 0.5f;
    CHECK(tt_model_create(&md, &nu, &i, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "augment=dat keeps one augmented vector per user_id, but tower u has no user_id field"),
          "dat without user_id: %s", err.msg);
    tt_tower_def ni = i;
    ni.n_chan = 0;
    CHECK(tt_model_create(&md, &u, &ni, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "tower i has no mlp stage"), "dat without mlp: %s", err.msg);
}

/* ---- IntTower FE-Block, CIR, DAT category alignment ---- */

/* The full-softmax loss of one example recomputed from the evaluation
 * encodings (query heads and item vectors, the evaluator's rule): training
 * and evaluation score the same function. */
static double fe_loss_from_encodings(tt_model *m, const tt_dataset *d, const tt_split *sp,
                                     int64_t e)
{
    tt_err err;
    int H, G, dh;
    CHECK(tt_model_fe_shape(m, &H, &G, &dh) == 1, "fe shape");
    const tt_examples *ex = &sp->part[TT_TRAIN];
    float *V = malloc((size_t)d->n_items * G * dh * sizeof(float));
    float *Q = malloc((size_t)ex->n * H * dh * sizeof(float));
    if (tt_model_encode_item_vectors(m, d, V, &err) || tt_model_encode_queries(m, d, ex, Q, &err))
        DIE("encode: %s", err.msg);
    double mx = -INFINITY, *s = malloc((size_t)d->n_items * sizeof(double));
    for (int32_t j = 0; j < d->n_items; j++) {
        s[j] = 0;
        for (int h = 0; h < H; h++) {
            double best = -INFINITY;
            for (int g = 0; g < G; g++) {
                double p = 0;
                for (int k = 0; k < dh; k++)
                    p += (double)Q[(e * H + h) * dh + k] * V[((int64_t)j * G + g) * dh + k];
                best = fmax(best, p);
            }
            s[j] += best;
        }
        s[j] /= tt_model_get_def(m)->temp;
        mx = fmax(mx, s[j]);
    }
    double z = 0;
    for (int32_t j = 0; j < d->n_items; j++)
        z += exp(s[j] - mx);
    double l = mx + log(z) - s[ex->item[e]];
    free(s), free(V), free(Q);
    return l;
}

static void test_interact(const tt_dataset *d, const tt_split *sp)
{
    tt_model_def md;
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    tt_err err;
    tt_model *m;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "fe");
    md.temp = 0.2f;
    md.interact = TT_INTERACT_FE;
    md.heads = 2;
    m = make_model(&md, &u, &i, d, 41);
    gradcheck("fe heads=2 softmax", m, d, sp, 12);
    int64_t one = 5;
    tt_model_seed(m, 7);
    double l1 = tt_model_batch_loss(m, d, sp, &one, 1, 0, &err);
    double le = fe_loss_from_encodings(m, d, sp, one);
    CHECK(fabs(l1 - le) < 1e-4 * fmax(1, fabs(le)),
          "fe: training's loss %.6f equals the one from the evaluation encodings %.6f", l1, le);
    tt_model_free(m);
    md.heads = 3;
    md.sim = TT_SIM_DOT;
    m = make_model(&md, &u, &i, d, 42);
    gradcheck("fe heads=3 sim=dot", m, d, sp, 12);
    tt_model_free(m);
    md.sim = TT_SIM_COS;
    md.heads = 3;
    md.loss = TT_LOSS_INBATCH;
    md.cir = 0.3f;
    m = make_model(&md, &u, &i, d, 43);
    if (tt_model_set_threads(m, 2, &err))
        DIE("threads: %s", err.msg);
    gradcheck("2 threads fe heads=3 in-batch cir", m, d, sp, 13);
    tt_model_free(m);
    /* CIR and the category alignment on their own, and with the FE-Block */
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "aux");
    md.temp = 0.2f;
    md.cir = 0.5f;
    md.dat_ca = 2.0f;
    snprintf(md.dat_cat, sizeof md.dat_cat, "decade");
    m = make_model(&md, &u, &i, d, 44);
    gradcheck("cir + dat_ca softmax", m, d, sp, 16);
    tt_model_free(m);
    md.interact = TT_INTERACT_FE;
    md.heads = 2;
    md.loss = TT_LOSS_INBATCH;
    md.augment = TT_AUG_DAT;
    md.dat_w = 0;
    m = make_model(&md, &u, &i, d, 45);
    gradcheck("fe + cir + dat_ca + dat in-batch", m, d, sp, 16);
    tt_model_free(m);
    /* each auxiliary loss adds to the loss: off vs on */
    {
        int64_t idx[16];
        for (int b = 0; b < 16; b++)
            idx[b] = ((int64_t)b * 5 + 2) % sp->part[TT_TRAIN].n;
        tt_model_def_init(&md);
        md.temp = 0.2f;
        tt_model *m0 = make_model(&md, &u, &i, d, 46);
        md.dat_ca = 2.0f;
        snprintf(md.dat_cat, sizeof md.dat_cat, "decade");
        tt_model *m1 = make_model(&md, &u, &i, d, 46);
        double a = loss_at(m0, d, sp, idx, 16), b = loss_at(m1, d, sp, idx, 16);
        CHECK(b > a, "dat_ca adds to the loss (%.6f -> %.6f)", a, b);
        tt_model_free(m0);
        tt_model_free(m1);
    }

    /* refused */
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "b");
    md.interact = TT_INTERACT_FE;
    md.heads = 4;
    CHECK(tt_model_create(&md, &u, &i, d, 1, &m, &err) != 0 &&
              !strcmp(err.msg, "model b: interact=fe heads=4: the heads split the towers' output width 6, so their number must divide it (1, 2, 3, 6)"),
          "fe heads=4 on width 6: %s", err.msg);
    md.heads = 2;
    md.loss = TT_LOSS_SAMPLED;
    CHECK(tt_model_create(&md, &u, &i, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "interact=fe scores every column by the FE-Block: loss=softmax or loss=inbatch, not loss=sampled"),
          "fe with sampled: %s", err.msg);
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "b");
    md.dat_ca = 1;
    CHECK(tt_model_create(&md, &u, &i, d, 1, &m, &err) != 0 &&
              !strcmp(err.msg, "model b: dat_ca needs an item category field: tower i has no field 'category' (its fields: item_id, genres, decade); name one with dat_cat=FIELD"),
          "dat_ca without a category: %s", err.msg);
    snprintf(md.dat_cat, sizeof md.dat_cat, "genres");
    CHECK(tt_model_create(&md, &u, &i, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "dat_cat=genres is a set of values per item"),
          "dat_cat on a set: %s", err.msg);
}

/* ---- multi-interest user towers (interests stage) ---- */

static tt_tower_def tower_mi(const char *name, int dim, int via, int K, int out)
{
    tt_tower_def t;
    tt_tower_def_init(&t);
    snprintf(t.name, sizeof t.name, "%s", name);
    t.dim = dim;
    t.interests = 1;
    t.mi_via = via;
    t.mi_k = K;
    t.mi_out = out;
    t.l2norm = 1;
    return t;
}

/* proj=none: no map S, no projection, the interests in the item_id table's
 * space. Whole-model finite differences (both extractors, the hard pick and
 * label-aware attention, one and two threads); k=1 routing encodes exactly
 * the mean-pool tower `embed fields=hist | l2norm` of the same table; and
 * the refusals (other fields beside the history; out= not the dim). */
static void test_interests_noproj(const tt_dataset *d, const tt_split *sp)
{
    tt_model_def md;
    tt_tower_def ie, mp;
    tt_err err;
    tt_model *m, *m1;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "mn");
    md.temp = 0.2f;
    tt_tower_def_init(&ie);
    snprintf(ie.name, sizeof ie.name, "ie");
    ie.dim = 4;
    ie.n_fields = 1;
    snprintf(ie.fields[0], TT_NAME_MAX, "item_id");
    ie.l2norm = 1;
    mp = ie;
    snprintf(mp.name, sizeof mp.name, "mp");
    snprintf(mp.fields[0], TT_NAME_MAX, "hist");
    for (int c = 0; c < 6; c++) {
        const int via = c & 1 ? TT_MI_ROUTING : TT_MI_ATTENTION;
        tt_tower_def un = tower_mi("un", 4, via, 3, 0);
        char label[80];
        un.n_fields = 1;
        snprintf(un.fields[0], TT_NAME_MAX, "hist");
        un.mi_proj = TT_MI_PROJ_NONE;
        un.mi_pow = c >= 2 ? 40.0f : 0.0f;
        un.mi_iters = c == 1 ? 6 : TT_ROUTE_ITERS;   /* routing, hard pick: 6 iterations */
        md.loss = c >= 4 ? TT_LOSS_INBATCH : TT_LOSS_SOFTMAX;
        m = make_model(&md, &un, &ie, d, (uint64_t)(60 + c));
        CHECK(tt_model_n_tensors(m) == (via == TT_MI_ATTENTION ? 3 : 1),
              "proj=none %s: %d tensors (item_id, and W1 W2 for attention)",
              via == TT_MI_ROUTING ? "routing" : "attention", tt_model_n_tensors(m));
        if (c >= 4 && tt_model_set_threads(m, 2, &err))
            DIE("threads: %s", err.msg);
        snprintf(label, sizeof label, "%sinterests %s proj=none%s%s", c >= 4 ? "2 threads " : "",
                 c == 1 ? "routing iters=6" : via == TT_MI_ROUTING ? "routing" : "attention",
                 c >= 2 ? " pow=40" : "",
                 c >= 4 ? " in-batch" : "");
        gradcheck(label, m, d, sp, 12);
        tt_model_free(m);
    }
    md.loss = TT_LOSS_SOFTMAX;
    /* k=1 routing, no map: squash(sum of the history) normalised, the
     * mean-pool tower's direction (same seed, same one table) */
    tt_tower_def u1 = tower_mi("u1", 4, TT_MI_ROUTING, 1, 0);
    u1.n_fields = 1;
    snprintf(u1.fields[0], TT_NAME_MAX, "hist");
    u1.mi_proj = TT_MI_PROJ_NONE;
    m = make_model(&md, &u1, &ie, d, 70);
    m1 = make_model(&md, &mp, &ie, d, 70);
    const tt_examples *ex = &sp->part[TT_TEST];
    int D = tt_model_dim(m);
    float *Q = malloc((size_t)ex->n * D * sizeof(float));
    float *Q1 = malloc((size_t)ex->n * D * sizeof(float));
    int32_t *qn = malloc((size_t)ex->n * sizeof(int32_t));
    if (tt_model_encode_queries_multi(m, d, ex, Q, qn, &err) ||
        tt_model_encode_queries(m1, d, ex, Q1, &err))
        DIE("encode: %s", err.msg);
    double worst = 0;
    for (int64_t j = 0; j < ex->n * D; j++)
        worst = fmax(worst, fabs((double)Q[j] - Q1[j]));
    CHECK(D == 4 && tt_model_query_vectors(m) == 1 && worst < 1e-5,
          "k=1 routing proj=none vs the mean-pool tower: width %d, worst difference %.3g", D,
          worst);
    free(Q);
    free(Q1);
    free(qn);
    tt_model_free(m);
    tt_model_free(m1);
    /* refused */
    tt_tower_def bad = tower_mi("un", 4, TT_MI_ROUTING, 3, 0);
    bad.mi_proj = TT_MI_PROJ_NONE;
    CHECK(tt_model_create(&md, &bad, &ie, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "tower un: interests proj=none keeps the interests in the item embedding space, so the tower must read the history alone; its fields are user_id, ") &&
              strstr(err.msg, ": use embed fields=hist"),
          "proj=none with other fields: %s", err.msg);
    bad.n_fields = 1;
    snprintf(bad.fields[0], TT_NAME_MAX, "hist");
    bad.mi_out = 8;
    CHECK(tt_model_create(&md, &bad, &ie, d, 1, &m, &err) != 0 &&
              !strcmp(err.msg, "tower un: interests proj=none gives vectors of the embedding width 4, not out=8 (leave out= off or set it to 4)"),
          "proj=none with out=8: %s", err.msg);
}

/* Whole-model finite differences through both extractors and the three
 * losses (the pick is a hard argmax: a step never crosses a tie here, and
 * gradcheck retries a direction that does); MIND's K'u on the encoded
 * examples against the count of each one's history; inactive interests
 * encoded as zeros; the evaluator's multi-vector path on the encodings
 * equal to its naive reference; and the refusals. */
static void test_interests(const tt_dataset *d, const tt_split *sp)
{
    tt_model_def md;
    tt_tower_def i = tower_mlp("i", 4, 8, 6);
    tt_err err;
    tt_model *m;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "mi");
    md.temp = 0.2f;
    tt_tower_def ua = tower_mi("ua", 4, TT_MI_ATTENTION, 3, 6);
    tt_tower_def ur = tower_mi("ur", 4, TT_MI_ROUTING, 3, 6);
    m = make_model(&md, &ua, &i, d, 41);
    gradcheck("interests attention softmax", m, d, sp, 12);
    tt_model_free(m);
    m = make_model(&md, &ur, &i, d, 42);
    gradcheck("interests routing softmax", m, d, sp, 12);
    tt_model_free(m);
    md.loss = TT_LOSS_INBATCH;
    m = make_model(&md, &ua, &i, d, 43);
    if (tt_model_set_threads(m, 2, &err))
        DIE("threads: %s", err.msg);
    gradcheck("2 threads interests attn in-batch", m, d, sp, 13);
    tt_model_free(m);
    md.loss = TT_LOSS_SAMPLED;
    md.neg = 5;
    m = make_model(&md, &ur, &i, d, 44);
    gradcheck("interests routing sampled", m, d, sp, 12);
    tt_model_free(m);
    md.loss = TT_LOSS_SOFTMAX;
    md.neg = 0;
    /* the interest per target by the hard pick and by label-aware attention
     * (whose gradient also reaches the item tower through the weights; p 40
     * makes that share large enough that leaving it out fails these checks:
     * at p 3 it hid within the 2% tolerance). Seed 47 puts an item ReLU on
     * its kink (the hard pick fails there too): 46 and 50. */
    ua.mi_pow = ur.mi_pow = 0;
    m = make_model(&md, &ua, &i, d, 46);
    gradcheck("interests attention hard pick", m, d, sp, 12);
    tt_model_free(m);
    ua.mi_pow = ur.mi_pow = 40;
    m = make_model(&md, &ua, &i, d, 50);
    gradcheck("interests attention pow=40", m, d, sp, 12);
    tt_model_free(m);
    md.loss = TT_LOSS_INBATCH;
    m = make_model(&md, &ur, &i, d, 48);
    if (tt_model_set_threads(m, 2, &err))
        DIE("threads: %s", err.msg);
    gradcheck("2 threads interests routing pow=40 in-batch", m, d, sp, 13);
    tt_model_free(m);
    md.loss = TT_LOSS_SAMPLED;
    md.neg = 5;
    m = make_model(&md, &ua, &i, d, 49);
    gradcheck("interests attention pow=40 sampled", m, d, sp, 12);
    tt_model_free(m);
    md.loss = TT_LOSS_SOFTMAX;
    md.neg = 0;
    test_interests_noproj(d, sp);

    /* encodings: K'u per example, zeros for the inactive, exact evaluation */
    for (int via = TT_MI_ATTENTION; via <= TT_MI_ROUTING; via++) {
        tt_tower_def u = tower_mi("u", 4, via, 4, 6);
        m = make_model(&md, &u, &i, d, 45);
        CHECK(tt_model_query_vectors(m) == 4, "interests: %d vectors per query",
              tt_model_query_vectors(m));
        const tt_examples *ex = &sp->part[TT_TRAIN];
        int D = tt_model_dim(m), nq = 4;
        float *Q = malloc((size_t)ex->n * nq * D * sizeof(float));
        float *Q1 = malloc((size_t)ex->n * D * sizeof(float));
        float *V = malloc((size_t)d->n_items * D * sizeof(float));
        int32_t *qn = malloc((size_t)ex->n * sizeof(int32_t));
        if (tt_model_encode_queries_multi(m, d, ex, Q, qn, &err) ||
            tt_model_encode_items(m, d, V, &err))
            DIE("encode: %s", err.msg);
        CHECK(tt_model_encode_queries(m, d, ex, Q1, &err) != 0 &&
                  strstr(err.msg, "encodes 4 interest vectors per user, not one"),
              "single-vector encoding of an interests model: %s", err.msg);
        int bad_count = 0, bad_zero = 0, seen[5] = {0};
        for (int64_t e = 0; e < ex->n; e++) {
            int n = 0;
            for (int j = 0; j < ex->H; j++)
                n += ex->hist[e * ex->H + j] >= 0;
            int want = via == TT_MI_ROUTING ? tt_interest_count(n, 4) : n > 0 ? 4 : 1;
            bad_count += qn[e] != want;
            seen[qn[e]] = 1;
            for (int k = qn[e]; k < nq; k++)
                for (int j = 0; j < D; j++)
                    bad_zero += Q[(e * nq + k) * D + j] != 0.0f;
        }
        CHECK(!bad_count, "%s: %d examples with the wrong active count",
              via == TT_MI_ROUTING ? "routing" : "attention", bad_count);
        CHECK(!bad_zero, "inactive interests not zero: %d values", bad_zero);
        if (via == TT_MI_ROUTING)   /* histories of 0..5 items: K'u 1 and 2 both occur */
            CHECK(seen[1] && seen[2], "routing K'u values seen: 1 %d, 2 %d", seen[1], seen[2]);
        for (int p = TT_VALID; p <= TT_TEST; p++) {
            const tt_examples *pe = &sp->part[p];
            float *Qp = malloc((size_t)pe->n * nq * D * sizeof(float));
            int32_t *qp = malloc((size_t)pe->n * sizeof(int32_t));
            int64_t *r1 = malloc((size_t)pe->n * sizeof(int64_t));
            int64_t *r2 = malloc((size_t)pe->n * sizeof(int64_t));
            if (tt_model_encode_queries_multi(m, d, pe, Qp, qp, &err) ||
                tt_eval_rank_multi(Qp, nq, qp, V, d->n_items, D, sp, (enum tt_part)p, r1, &err) ||
                tt_eval_rank_multi_ref(Qp, nq, qp, V, d->n_items, D, sp, (enum tt_part)p, r2))
                DIE("rank: %s", err.msg);
            int diff = 0;
            for (int64_t e = 0; e < pe->n; e++)
                diff += r1[e] != r2[e];
            CHECK(!diff, "interests part %d: %d ranks differ from the naive reference", p, diff);
            free(Qp); free(qp); free(r1); free(r2);
        }
        free(Q); free(Q1); free(V); free(qn);
        tt_model_free(m);
    }

    /* refused: no history field; a stage before or after the interests */
    tt_tower_def nh = ua;
    nh.n_fields = 2;
    snprintf(nh.fields[0], TT_NAME_MAX, "%s", "user_id");
    snprintf(nh.fields[1], TT_NAME_MAX, "%s", "age");
    CHECK(tt_model_create(&md, &nh, &i, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "tower ua: interests reads the user's history, but the tower has no history field (its fields: user_id, age)"),
          "interests without hist: %s", err.msg);
    tt_tower_def ws = ua;
    ws.senet = TT_RW_LIGHTSE;
    CHECK(tt_model_create(&md, &ws, &i, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "interests does not take a lightse stage before it"),
          "interests after lightse: %s", err.msg);
    tt_tower_def wo = ua;
    wo.mi_out = 5;
    CHECK(tt_model_create(&md, &wo, &i, d, 1, &m, &err) != 0 &&
              strstr(err.msg, "tower ua outputs 5 values but tower i outputs 6"),
          "interests out= against the item width: %s", err.msg);
}

static void test_fields(const tt_dataset *d)
{
    tt_model_def md;
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    tt_model *m = NULL;
    tt_err err;
    tt_model_def_init(&md);
    u.n_fields = 2;
    snprintf(u.fields[0], TT_NAME_MAX, "age");
    snprintf(u.fields[1], TT_NAME_MAX, "agee");
    int rc = tt_model_create(&md, &u, &i, d, 1, &m, &err);
    CHECK(rc == -1 && strstr(err.msg, "'agee'") && strstr(err.msg, "user_id") &&
          strstr(err.msg, "hist") && strstr(err.msg, "hour"),
          "unknown field error: %s", err.msg);
    snprintf(u.fields[1], TT_NAME_MAX, "decade");
    rc = tt_model_create(&md, &u, &i, d, 1, &m, &err);
    CHECK(rc == -1 && strstr(err.msg, "'decade'") && strstr(err.msg, "item side"),
          "wrong side error: %s", err.msg);
    u = tower_mlp("u", 8, 8, 6);   /* hist shares item_id's table of dim 4 */
    rc = tt_model_create(&md, &u, &i, d, 1, &m, &err);
    CHECK(rc == -1 && strstr(err.msg, "hist"), "shared table dim error: %s", err.msg);
    u = tower_mlp("u", 4, 8, 5);
    rc = tt_model_create(&md, &u, &i, d, 1, &m, &err);
    CHECK(rc == -1 && strstr(err.msg, "widths must match"), "width error: %s", err.msg);
    u = tower_mlp("u", 4, 8, 6);
    rc = tt_model_create(&md, &u, &i, d, 1, &m, &err);
    CHECK(rc == 0, "create: %s", err.msg);
    /* hist shares item_id's table: one table, rows = items + 1 */
    int n_tab = 0;
    for (int t = 0; t < tt_model_n_tensors(m); t++)
        if (tt_model_tensor(m, t)->table) {
            n_tab++;
            if (strcmp(tt_model_tensor(m, t)->name, "emb.item_id") == 0)
                CHECK(tt_model_tensor(m, t)->rows == d->n_items + 1, "item table rows");
            CHECK(strcmp(tt_model_tensor(m, t)->name, "emb.hist") != 0, "hist has its own table");
        }
    CHECK(n_tab == 6, "tables %d (user_id age hour item_id genres decade)", n_tab);
    /* initialisation: dense within +-1/sqrt(fan_in), embeddings ~ N(0, 1) */
    for (int t = 0; t < tt_model_n_tensors(m); t++) {
        const tt_param_info *pi = tt_model_tensor(m, t);
        const float *w = tt_model_params(m) + pi->off;
        if (strcmp(pi->name, "user.mlp.0.W") == 0 || strcmp(pi->name, "user.mlp.0.b") == 0) {
            double bound = 1.0 / sqrt(tt_model_tensor(m, t - (pi->name[11] == 'b'))->cols);
            for (int64_t j = 0; j < pi->n; j++)
                CHECK(fabs(w[j]) <= bound, "%s out of init bound", pi->name);
        }
    }
    tt_model_free(m);
}

/* ---- training ---- */

static void train_opts(tt_train_opts *o, int epochs)
{
    tt_train_opts_init(o);
    o->epochs = epochs;
    o->batch = 32;
    o->lr = 0.01f;
    o->threads = 1;
}

static void test_overfit(void)
{
    tt_dataset d;
    tt_split sp;
    tt_err err;
    make_data(&d, 12, 24, 4, 8, 5);
    if (tt_split_l2o(&d, 4, &sp, &err))
        DIE("split: %s", err.msg);
    tt_model_def md;
    tt_model_def_init(&md);
    md.temp = 0.1f;
    tt_tower_def u = tower_mlp("u", 8, 32, 16), i = tower_mlp("i", 8, 32, 16);
    tt_model *m = make_model(&md, &u, &i, &d, 3);
    tt_train_opts o;
    train_opts(&o, 150);
    o.eval_every = 0;
    o.keep_best = 0;
    tt_train_result res;
    if (tt_train(m, &d, &sp, &o, NULL, NULL, &res, &err))
        DIE("train: %s", err.msg);
    double first = res.h.loss[0], last = res.h.loss[res.n_epochs - 1];
    tt_train_result_free(&res);
    CHECK(last < 0.05 * first && last < 0.15, "overfit: loss %.4f -> %.4f", first, last);
    /* every training target above every item the user never had */
    const tt_examples *ex = &sp.part[TT_TRAIN];
    int D = tt_model_dim(m);
    float *V = malloc((size_t)d.n_items * D * sizeof(float));
    float *Q = malloc((size_t)ex->n * D * sizeof(float));
    int64_t *rk = malloc((size_t)ex->n * sizeof(int64_t));
    if (tt_model_encode_items(m, &d, V, &err) || tt_model_encode_queries(m, &d, ex, Q, &err) ||
        tt_eval_rank(Q, V, d.n_items, D, &sp, TT_TRAIN, rk, &err))
        DIE("encode: %s", err.msg);
    int64_t top1 = 0;
    for (int64_t j = 0; j < ex->n; j++)
        top1 += rk[j] == 1;
    CHECK(top1 >= ex->n * 95 / 100, "overfit: train recall@1 %lld / %lld",
          (long long)top1, (long long)ex->n);
    if (getenv("TT_VERBOSE"))
        fprintf(stderr, "overfit: loss %.4f -> %.4f, train recall@1 %lld/%lld\n", first,
                last, (long long)top1, (long long)ex->n);
    free(V);
    free(Q);
    free(rk);
    tt_model_free(m);
    tt_split_free(&sp);
    tt_dataset_free(&d);
}

typedef struct cb_state {
    int calls, epoch_ends;
    int inject_at;        /* step at which to write a NaN into a parameter */
    tt_model *m;
    int64_t last_step;
    int monotone;
    int se_seen;
} cb_state;

static int cb(const tt_snapshot *s, void *ud)
{
    cb_state *c = ud;
    c->calls++;
    if (s->epoch_end)
        c->epoch_ends++;
    else if (s->step != c->last_step + 1)
        c->monotone = 0;
    else
        c->last_step = s->step;
    if (s->n_se[0] > 0 && s->se_mean[0][0] > 0 && s->se_mean[0][0] < 1)
        c->se_seen = 1;
    if (c->inject_at && s->step == c->inject_at && !s->epoch_end) {
        for (int t = 0; t < tt_model_n_tensors(c->m); t++) {
            const tt_param_info *pi = tt_model_tensor(c->m, t);
            if (strcmp(pi->name, "user.mlp.0.W") == 0)
                tt_model_params(c->m)[pi->off + 5] = NAN;
        }
    }
    return 0;
}

static int all_finite(tt_model *m)
{
    const float *p = tt_model_params(m);
    for (int64_t j = 0; j < tt_model_param_count(m); j++)
        if (!isfinite(p[j]))
            return 0;
    return 1;
}

static void test_train(const tt_dataset *d, const tt_split *sp)
{
    tt_err err;
    tt_model_def md;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "senet");
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    u.senet = i.senet = 1;
    tt_train_opts o;
    train_opts(&o, 4);
    tt_train_result r1, r2;
    cb_state c = {0};
    c.monotone = 1;

    /* same seed, same everything: bit-identical parameters and metrics */
    tt_model *a = make_model(&md, &u, &i, d, 1), *b = make_model(&md, &u, &i, d, 1);
    if (tt_train(a, d, sp, &o, cb, &c, &r1, &err) || tt_train(b, d, sp, &o, NULL, NULL, &r2, &err))
        DIE("train: %s", err.msg);
    CHECK(memcmp(tt_model_params(a), tt_model_params(b),
                 (size_t)tt_model_param_count(a) * sizeof(float)) == 0,
          "same seed gives different parameters");
    CHECK(r1.n_epochs == 4 && r2.n_epochs == 4, "epochs %d %d", r1.n_epochs, r2.n_epochs);
    for (int e = 0; e < r1.n_epochs; e++) {
        CHECK(r1.h.loss[e] == r2.h.loss[e], "epoch %d loss differs", e + 1);
        CHECK(memcmp(r1.h.valid[e].recall, r2.h.valid[e].recall,
                     sizeof r1.h.valid[e].recall) == 0, "epoch %d metrics differ", e + 1);
    }
    CHECK(r1.best_epoch >= 1 && r1.best_epoch <= 4, "best epoch %d", r1.best_epoch);
    CHECK(r1.h.loss[3] < r1.h.loss[0], "loss did not fall: %g -> %g",
          r1.h.loss[0], r1.h.loss[3]);
    CHECK(r1.h.valid[0].n_k == 3 && r1.h.valid[0].k[1] == 20, "valid metrics ks");
    CHECK(r1.h.n == 4 && r1.h.seconds[3] >= r1.h.seconds[0] && r1.h.n_smooth > 0,
          "history: %d epochs, %d smoothed samples", r1.h.n, r1.h.n_smooth);
    int64_t nb = (sp->part[TT_TRAIN].n + 31) / 32;
    CHECK(c.calls == 4 * nb + 4 && c.epoch_ends == 4 && c.monotone,
          "snapshots: %d calls, %d epoch ends (%lld batches per epoch)", c.calls,
          c.epoch_ends, (long long)nb);
    CHECK(c.se_seen, "snapshot carried no SENet means");
    CHECK(r1.h.se[0][0] > 0 && r1.h.se[1][3 * TT_MAX_FIELDS] > 0, "SENet history empty");
    CHECK(r1.seconds > 0 && r1.ex_per_s > 0, "timing %g %g", r1.seconds, r1.ex_per_s);
    /* the best epoch's parameters are what the model holds: its valid metrics */
    {
        int D = tt_model_dim(a);
        float *V = malloc((size_t)d->n_items * D * sizeof(float));
        float *Q = malloc((size_t)sp->part[TT_VALID].n * D * sizeof(float));
        int ks[3] = {10, 20, 50};
        tt_metrics mt;
        if (tt_model_encode_items(a, d, V, &err) ||
            tt_model_encode_queries(a, d, &sp->part[TT_VALID], Q, &err) ||
            tt_eval(Q, V, d->n_items, D, sp, TT_VALID, ks, 3, &mt, &err))
            DIE("eval: %s", err.msg);
        CHECK(mt.recall[1] == r1.h.valid[r1.best_epoch - 1].recall[1],
              "restored parameters give valid recall@20 %g, best epoch had %g",
              mt.recall[1], r1.h.valid[r1.best_epoch - 1].recall[1]);
        /* SENet read-out: weights in (0, 1), one row per example / item */
        float *W = malloc((size_t)d->n_items * 8 * sizeof(float));
        const char *names[TT_MAX_FIELDS];
        int f = tt_model_senet_fields(a, 1, names);
        CHECK(f == 3 && strcmp(names[0], "item_id") == 0, "item senet fields %d", f);
        if (tt_model_senet_weights(a, 1, d, NULL, W, &err))
            DIE("senet weights: %s", err.msg);
        for (int64_t j = 0; j < (int64_t)d->n_items * f; j++)
            CHECK(W[j] > 0 && W[j] < 1, "senet weight %g", W[j]);
        /* ablation: zeroing hist changes the queries, clearing restores them */
        float *Q2 = malloc((size_t)sp->part[TT_VALID].n * D * sizeof(float));
        tt_model_set_ablation(a, tt_dataset_find(d, "hist"), TT_ABLATE_ZERO, 0);
        tt_model_encode_queries(a, d, &sp->part[TT_VALID], Q2, &err);
        CHECK(memcmp(Q, Q2, (size_t)sp->part[TT_VALID].n * D * sizeof(float)) != 0,
              "ablation changed nothing");
        tt_model_set_ablation(a, tt_dataset_find(d, "age"), TT_ABLATE_SHUFFLE, 3);
        tt_model_encode_queries(a, d, &sp->part[TT_VALID], Q2, &err);
        CHECK(memcmp(Q, Q2, (size_t)sp->part[TT_VALID].n * D * sizeof(float)) != 0,
              "shuffle ablation changed nothing");
        tt_model_set_ablation(a, -1, TT_ABLATE_ZERO, 0);
        tt_model_encode_queries(a, d, &sp->part[TT_VALID], Q2, &err);
        CHECK(memcmp(Q, Q2, (size_t)sp->part[TT_VALID].n * D * sizeof(float)) == 0,
              "clearing the ablation does not restore the encodings");
        free(Q2);
        free(W);
        free(V);
        free(Q);
    }
    tt_model_free(b);
    /* two threads: deterministic too (fixed row split, BLAS single-threaded) */
    {
        tt_train_opts o2 = o;
        o2.threads = 2;
        tt_train_result q1, q2;
        tt_model *x = make_model(&md, &u, &i, d, 1), *y = make_model(&md, &u, &i, d, 1);
        tt_blas_set_threads(3);   /* the session's count: threads=2 is this run's only */
        if (tt_train(x, d, sp, &o2, NULL, NULL, &q1, &err) ||
            tt_train(y, d, sp, &o2, NULL, NULL, &q2, &err))
            DIE("train: %s", err.msg);
        CHECK(memcmp(tt_model_params(x), tt_model_params(y),
                     (size_t)tt_model_param_count(x) * sizeof(float)) == 0,
              "threads=2: same seed gives different parameters");
        CHECK(fabs(q1.h.loss[3] - r1.h.loss[3]) < 1e-3 * fabs(r1.h.loss[3]),
              "threads=2 trains differently: loss %g vs %g", q1.h.loss[3], r1.h.loss[3]);
        CHECK(q1.threads == 2, "threads recorded: %d", q1.threads);
        CHECK(tt_blas_get_threads() == 3, "train threads=2 left BLAS at %d threads, not the "
              "session's 3", tt_blas_get_threads());
        tt_train_result_free(&q1);
        tt_train_result_free(&q2);
        tt_model_free(x);
        tt_model_free(y);
        tt_blas_set_threads(1);
    }
    /* another seed: different parameters */
    b = make_model(&md, &u, &i, d, 2);
    o.seed = 2;
    tt_train_result_free(&r2);
    tt_train(b, d, sp, &o, NULL, NULL, &r2, &err);
    tt_train_result_free(&r2);
    CHECK(memcmp(tt_model_params(a), tt_model_params(b),
                 (size_t)tt_model_param_count(a) * sizeof(float)) != 0,
          "another seed gives the same parameters");
    tt_model_free(a);
    tt_model_free(b);

    /* divergence: an injected NaN is caught, named, parameters restored */
    a = make_model(&md, &u, &i, d, 1);
    train_opts(&o, 3);
    memset(&c, 0, sizeof c);
    c.inject_at = 5;
    c.m = a;
    tt_train_result_free(&r1);
    if (tt_train(a, d, sp, &o, cb, &c, &r1, &err))
        DIE("train: %s", err.msg);
    CHECK(r1.diverged && strstr(r1.diverged_what, "user tower mlp layer 1 weights"),
          "injected NaN: diverged %d what '%s'", r1.diverged, r1.diverged_what);
    CHECK(all_finite(a), "parameters not restored after an injected NaN");
    tt_model_free(a);
    /* divergence by a huge learning rate */
    a = make_model(&md, &u, &i, d, 1);
    train_opts(&o, 3);
    o.opt = TT_OPT_SGD;
    o.lr = 1e30f;
    o.momentum = 0;
    tt_train_result_free(&r1);
    if (tt_train(a, d, sp, &o, NULL, NULL, &r1, &err))
        DIE("train: %s", err.msg);
    CHECK(r1.diverged && r1.diverged_what[0], "lr=1e30: diverged %d what '%s'",
          r1.diverged, r1.diverged_what);
    CHECK(all_finite(a), "parameters not finite after divergence");
    if (getenv("TT_VERBOSE"))
        fprintf(stderr, "divergence at lr=1e30: %s\n", r1.diverged_what);
    tt_model_free(a);

    /* stop request and early stopping */
    a = make_model(&md, &u, &i, d, 1);
    train_opts(&o, 5);
    volatile sig_atomic_t stop = 1;
    o.stop = &stop;
    tt_train_result_free(&r1);
    tt_train(a, d, sp, &o, NULL, NULL, &r1, &err);
    CHECK(r1.stopped && r1.n_epochs == 0, "stop request: stopped %d epochs %d",
          r1.stopped, r1.n_epochs);
    tt_train_result_free(&r1);
    tt_model_free(a);
}

/* ---- popularity ---- */

static void test_popularity(const tt_dataset *d, const tt_split *sp)
{
    tt_err err;
    tt_model_def md;
    tt_model_def_init(&md);
    md.kind = TT_MODEL_POP;
    tt_model *m;
    if (tt_model_create(&md, NULL, NULL, d, 1, &m, &err))
        DIE("pop: %s", err.msg);
    CHECK(tt_model_dim(m) == 1, "pop dim");
    tt_train_opts o;
    train_opts(&o, 1);
    tt_train_result r;
    if (tt_train(m, d, sp, &o, NULL, NULL, &r, &err))
        DIE("pop train: %s", err.msg);
    float *V = malloc((size_t)d->n_items * sizeof(float));
    float *Q = malloc((size_t)sp->part[TT_VALID].n * sizeof(float));
    tt_model_encode_items(m, d, V, &err);
    tt_model_encode_part(m, d, sp, TT_VALID, Q, &err);
    for (int32_t j = 0; j < d->n_items; j++)
        CHECK(V[j] == (float)sp->item_freq[j], "pop V[%d]", j);
    CHECK(Q[0] == 1.0f, "pop Q");
    int ks[3] = {10, 20, 50};
    tt_metrics mt;
    tt_eval(Q, V, d->n_items, 1, sp, TT_VALID, ks, 3, &mt, &err);
    CHECK(r.h.n == 1 && mt.recall[1] == r.h.valid[0].recall[1], "pop valid metrics");
    tt_train_result_free(&r);
    free(V);
    free(Q);
    tt_model_free(m);
}

/* ---- optimizers and lazy updates ---- */

/* One parameter at 1 after two steps of optimizer k (lr 0.1, momentum mom)
 * with gradient 0.5. */
static double two_steps(enum tt_opt_kind k, float mom)
{
    tt_err err;
    tt_optim o;
    float p = 1.0f, g = 0.5f;
    if (tt_optim_init(&o, k, 1, 0.1f, mom, 0, 0, 0, 0, &err))
        DIE("optim: %s", err.msg);
    for (int t = 0; t < 2; t++) {
        tt_optim_begin(&o);
        tt_optim_update(&o, &p, &g, NULL, 0, 1, 1.0f);
    }
    tt_optim_free(&o);
    return p;
}

static void test_optim(const tt_dataset *d, const tt_split *sp)
{
    tt_err err;
    tt_optim o;
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, 0.25f};
    /* Adam, two steps, against the formula in double */
    tt_optim_init(&o, TT_OPT_ADAM, 2, 0.1f, 0, 0.9f, 0.999f, 1e-8f, 0.01f, &err);
    double P[2] = {1, -2}, M[2] = {0}, Vv[2] = {0};
    for (int t = 1; t <= 2; t++) {
        tt_optim_begin(&o);
        tt_optim_update(&o, p, g, NULL, 0, 2, 1.0f);
        for (int j = 0; j < 2; j++) {
            double gj = g[j] + 0.01 * P[j];
            M[j] = 0.9 * M[j] + 0.1 * gj;
            Vv[j] = 0.999 * Vv[j] + 0.001 * gj * gj;
            double mh = M[j] / (1 - pow(0.9, t)), vh = Vv[j] / (1 - pow(0.999, t));
            P[j] -= 0.1 * mh / (sqrt(vh) + 1e-8);
        }
    }
    CHECK(fabs(p[0] - P[0]) < 1e-6 && fabs(p[1] - P[1]) < 1e-6, "adam %g %g vs %g %g",
          p[0], p[1], P[0], P[1]);
    tt_optim_free(&o);
    /* SGD with momentum */
    double x = two_steps(TT_OPT_SGD, 0.9f);
    CHECK(fabs(x - (1 - 0.1 * 0.5 - 0.1 * (0.9 * 0.5 + 0.5))) < 1e-6, "sgd %g", x);
    /* Adagrad */
    x = two_steps(TT_OPT_ADAGRAD, 0);
    CHECK(fabs(x - (1 - 0.1 - 0.1 * 0.5 / sqrt(0.5))) < 1e-6, "adagrad %g", x);

    /* lazy: rows a batch never touches stay exactly as they were */
    tt_model_def md;
    tt_model_def_init(&md);
    md.loss = TT_LOSS_INBATCH;
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    tt_model *m = make_model(&md, &u, &i, d, 1);
    int64_t np = tt_model_param_count(m);
    float *before = malloc((size_t)np * sizeof(float));
    memcpy(before, tt_model_params(m), (size_t)np * sizeof(float));
    tt_train_opts to;
    train_opts(&to, 1);
    to.lazy = 1;
    to.batch = 4;
    to.eval_every = 0;
    volatile sig_atomic_t stop = 0;
    to.stop = &stop;
    /* one batch only: stop from the callback */
    tt_train_result r;
    struct { int n; } st = {0};
    (void)st;
    to.epochs = 1;
    tt_train_opts one = to;
    int ntr = (int)sp->part[TT_TRAIN].n;
    (void)ntr;
    if (tt_train(m, d, sp, &one, NULL, NULL, &r, &err))
        DIE("lazy train: %s", err.msg);
    tt_train_result_free(&r);
    /* user_id rows of users without training examples never move */
    int ut = -1;
    for (int t = 0; t < tt_model_n_tensors(m); t++)
        if (strcmp(tt_model_tensor(m, t)->name, "emb.user_id") == 0)
            ut = t;
    const tt_param_info *pi = tt_model_tensor(m, ut);
    CHECK(memcmp(before + pi->off, tt_model_params(m) + pi->off, (size_t)pi->cols * sizeof(float)) == 0,
          "lazy: the unknown-user row 0 moved");
    CHECK(memcmp(before + pi->off + pi->cols, tt_model_params(m) + pi->off + pi->cols,
                 (size_t)pi->cols * sizeof(float)) != 0,
          "lazy: a trained user's row did not move");
    free(before);
    tt_model_free(m);
}

/* A split made again at the same address under an existing model (a re-split
 * in place): the model's logQ and sampler tables follow the new split, so its
 * loss equals a fresh model's. The model once compared addresses only. */
static void test_resplit(const tt_dataset *d)
{
    tt_model_def md;
    tt_tower_def u = tower_mlp("u", 4, 8, 6), i = tower_mlp("i", 4, 8, 6);
    tt_split sp;
    tt_err err;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "resplit");
    md.loss = TT_LOSS_SAMPLED;
    md.neg = 5;
    md.logq = 1;
    md.sampler = TT_SAMPLE_POP;
    if (tt_split_l2o(d, 5, &sp, &err))
        DIE("split: %s", err.msg);
    int64_t idx[8] = {0, 3, 5, 8, 13, 21, 34, 40};
    tt_model *a = make_model(&md, &u, &i, d, 5);
    loss_at(a, d, &sp, idx, 8);
    tt_split_free(&sp);
    if (tt_split_random(d, 0.3, 0.3, 9, 5, &sp, &err))
        DIE("split: %s", err.msg);
    tt_model *b = make_model(&md, &u, &i, d, 5);
    double la = loss_at(a, d, &sp, idx, 8), lb = loss_at(b, d, &sp, idx, 8);
    CHECK(la == lb, "after a re-split in place the model's loss %.9g differs from a fresh "
          "model's %.9g: its sampler tables are the old split's", la, lb);
    tt_model_free(a);
    tt_model_free(b);
    tt_split_free(&sp);
}

int main(void)
{
    tt_dataset d;
    tt_split sp;
    tt_err err;
    tt_blas_set_threads(1);
    make_data(&d, 40, 60, 4, 10, 1);
    if (tt_split_l2o(&d, 5, &sp, &err))
        DIE("split: %s", err.msg);
    test_fields(&d);
    test_gradients(&d, &sp);
    test_dat(&d, &sp);
    test_interact(&d, &sp);
    test_interests(&d, &sp);
    test_optim(&d, &sp);
    test_popularity(&d, &sp);
    test_train(&d, &sp);
    test_overfit();
    test_resplit(&d);
    tt_split_free(&sp);
    tt_dataset_free(&d);
    return tt_check_done("test_model");
}

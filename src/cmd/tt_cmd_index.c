/* tt_cmd_index: serving. index (a model's item vectors in a Faiss index),
 * eval through an index, sweep, recommend, similar and export of an index:
 * what a two-tower model is for, measured against exact search. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_index.h"

static const char *kind_names[] = {"flat", "ivf", "hnsw", "ivfpq"};
static const char *metric_names[] = {"ip", "l2", "ip2l2"};

/* The item and query vectors of a model, as eval computes them. */
typedef struct vecs {
    float *V;          /* (n_items, d) */
    float *Q;          /* (nq, d) */
    float *Qx;         /* (nq, d + 1) scratch for IP2L2 queries */
    int64_t nq;
    int d;
} vecs;

static void vecs_free(vecs *v)
{
    free(v->V);
    free(v->Q);
    free(v->Qx);
    memset(v, 0, sizeof *v);
}

/* A model an index can be built from: trained, two-tower. */
static int servable(tt_session *s, tt_modelent *me, tt_dsent **d)
{
    if (me->def.kind == TT_MODEL_POP)
        return tt_fail(s, 0, "model '%s' is a popularity model: its score is one number per "
                       "item whatever the user, so there is nothing to search by neighbours "
                       "(index needs a two-tower model)", me->def.name);
    return tt_model_ready(s, me, d);
}

static int item_vectors(tt_session *s, tt_modelent *me, tt_dsent *d, vecs *v)
{
    v->d = tt_model_dim(me->m);
    v->V = tt_alloc_aligned((size_t)d->d.n_items * (size_t)v->d, sizeof(float), "item vectors",
                            &s->err);
    if (!v->V || tt_model_encode_items(me->m, &d->d, v->V, &s->err)) {
        s->err_col = 0;
        return -1;
    }
    return 0;
}

static int query_vectors(tt_session *s, tt_modelent *me, tt_dsent *d, const tt_examples *ex,
                         vecs *v)
{
    v->nq = ex->n;
    v->Q = tt_alloc_aligned((size_t)ex->n * (size_t)v->d, sizeof(float), "query vectors", &s->err);
    v->Qx = v->Q ? tt_alloc((size_t)ex->n * (size_t)(v->d + 1), sizeof(float), "query vectors",
                            &s->err) : NULL;
    if (!v->Qx || tt_model_encode_queries(me->m, &d->d, ex, v->Q, &s->err)) {
        s->err_col = 0;
        return -1;
    }
    return 0;
}

/* ---- index NAME = MODEL kind=... ---- */

/* Smallest and largest item vector norm. */
static void norm_range(const float *V, int32_t n, int d, double *lo, double *hi)
{
    *lo = INFINITY, *hi = 0;
    for (int32_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++)
            s += (double)V[(int64_t)i * d + j] * V[(int64_t)i * d + j];
        s = sqrt(s);
        *lo = s < *lo ? s : *lo;
        *hi = s > *hi ? s : *hi;
    }
}

/* The metric for the model, and the warning when the one asked for does not
 * rank as the model scores. Returns the metric. */
static enum tt_index_metric choose_metric(tt_session *s, const char *iname, tt_modelent *me,
                                          enum tt_ann_kind kind, int asked, const vecs *v,
                                          int32_t n_items)
{
    int dot = me->def.sim == TT_SIM_DOT;
    double lo, hi;
    norm_range(v->V, n_items, v->d, &lo, &hi);
    int equal_norms = hi - lo <= 1e-3 * (hi > 0 ? hi : 1);
    if (asked == TT_IM_AUTO)
        return dot && kind == TT_ANN_HNSW && !equal_norms ? TT_IM_IP2L2 : TT_IM_IP;
    enum tt_index_metric m = (enum tt_index_metric)asked;
    if (m == TT_IM_L2 && !equal_norms)
        tt_session_warn(s, "index '%s' searches by L2 distance, but model '%s' scores by %s "
                        "and its item vectors' norms range from %.3g to %.3g: L2 favours "
                        "items near the query, the model items with a large inner product, "
                        "so the index ranks differently (metric=ip, or metric=ip2l2 for a "
                        "graph index)", iname, me->def.name,
                        dot ? "inner product (sim=dot)" : "cosine", lo, hi);
    if (m == TT_IM_IP && kind == TT_ANN_HNSW && !equal_norms)
        tt_session_warn(s, "index '%s' is a graph (HNSW) searched by inner product over item "
                        "vectors whose norms range from %.3g to %.3g: inner product is not a "
                        "metric, so the graph's neighbourhoods can miss the best items; "
                        "metric=ip2l2 (Bachrach et al. 2014) searches by L2 with the same "
                        "ranking", iname, lo, hi);
    return m;
}

int tt_cmd_index(tt_session *s, tt_args *a)
{
    if (strcmp(a->pos[1]->s, "="))
        return tt_fail(s, a->pos[1]->col, "expected '=' after the index name: usage: %s",
                       a->cmd->usage);
    if (tt_check_name(s, a->pos[0], "index"))
        return -1;
    if (!tt_ann_available())
        return tt_fail(s, 0, "%s", tt_ann_missing());
    tt_modelent *me = tt_need_model(s, a->pos[2]);
    tt_dsent *d;
    if (!me || servable(s, me, &d))
        return -1;
    vecs v = {0};
    if (item_vectors(s, me, d, &v))
        return -1;
    int32_t n = d->d.n_items;
    tt_indexent ie;
    memset(&ie, 0, sizeof ie);
    snprintf(ie.name, sizeof ie.name, "%s", a->pos[0]->s);
    snprintf(ie.model, sizeof ie.model, "%s", me->def.name);
    snprintf(ie.dataset, sizeof ie.dataset, "%s", d->name);
    ie.p.kind = (enum tt_ann_kind)tt_arg(a, "kind")->i;
    int nlist = tt_arg(a, "nlist")->set ? (int)tt_arg(a, "nlist")->i
                                        : (int)TT_MAX(1.0, floor(sqrt((double)n) + 0.5));
    ie.p.nlist = nlist;
    ie.p.nprobe = TT_MIN((int)tt_arg(a, "nprobe")->i, nlist);
    ie.p.M = (int)tt_arg(a, "M")->i;
    ie.p.efSearch = (int)tt_arg(a, "efSearch")->i;
    ie.p.efConstruction = (int)tt_arg(a, "efConstruction")->i;
    ie.p.nbits = (int)tt_arg(a, "nbits")->i;
    ie.p.m = tt_arg(a, "m")->set ? (int)tt_arg(a, "m")->i : (v.d % 2 ? v.d : v.d / 2);
    int rc = -1;
    if ((ie.p.kind == TT_ANN_IVF || ie.p.kind == TT_ANN_IVFPQ) && nlist > n) {
        tt_fail(s, 0, "nlist=%d is larger than the %d items of '%s': each inverted list needs "
                "at least one item (at most nlist=%d)", nlist, n, d->name, n);
        goto out;
    }
    if (ie.p.kind == TT_ANN_IVFPQ && v.d % ie.p.m) {
        tt_fail(s, 0, "m=%d must divide the vector width %d of model '%s'", ie.p.m, v.d,
                me->def.name);
        goto out;
    }
    if (ie.p.kind == TT_ANN_IVFPQ && n < (1 << ie.p.nbits)) {
        tt_fail(s, 0, "nbits=%d needs at least %d items to train its codebooks ('%s' has %d)",
                ie.p.nbits, 1 << ie.p.nbits, d->name, n);
        goto out;
    }
    ie.metric = choose_metric(s, ie.name, me, ie.p.kind, (int)tt_arg(a, "metric")->i, &v, n);
    if (tt_index_build(&ie, v.V, n, v.d, s->seed, &s->err))
        goto out;
    ie.fingerprint = tt_index_fingerprint(me->m);
    tt_indexent *old = tt_session_index(s, ie.name);
    if (old) {
        tt_index_free(old);
        *old = ie;
    } else {
        tt_indexent *na = realloc(s->indexes, (size_t)(s->n_indexes + 1) * sizeof *na);
        if (!na) {
            tt_index_free(&ie);
            tt_fail(s, 0, "out of memory");
            goto out;
        }
        s->indexes = na;
        s->indexes[s->n_indexes++] = ie;
    }
    tt_rec r;
    char human[512], mem[32], params[96];
    switch (ie.p.kind) {
    case TT_ANN_IVF: snprintf(params, sizeof params, "nlist=%d nprobe=%d", ie.p.nlist, ie.p.nprobe); break;
    case TT_ANN_HNSW: snprintf(params, sizeof params, "M=%d efConstruction=%d efSearch=%d", ie.p.M, ie.p.efConstruction, ie.p.efSearch); break;
    case TT_ANN_IVFPQ: snprintf(params, sizeof params, "nlist=%d nprobe=%d m=%d nbits=%d", ie.p.nlist, ie.p.nprobe, ie.p.m, ie.p.nbits); break;
    default: params[0] = 0;
    }
    tt_rec_init(&r);
    tt_rec_str(&r, "index", ie.name);
    tt_rec_str(&r, "model", ie.model);
    tt_rec_str(&r, "kind", kind_names[ie.p.kind]);
    tt_rec_str(&r, "metric", metric_names[ie.metric]);
    tt_rec_str(&r, "params", params);
    tt_rec_int(&r, "items", n);
    tt_rec_int(&r, "dim", ie.metric == TT_IM_IP2L2 ? v.d + 1 : v.d);
    tt_rec_num(&r, "build_s", ie.build_s, 3);
    if (ie.bytes >= 0)
        tt_rec_int(&r, "bytes", ie.bytes);
    else
        tt_rec_null(&r, "bytes");
    snprintf(human, sizeof human, "index %s: %s (%s%s%s) over %d items of model %s, dim %d: built "
             "in %.3f s, %s", ie.name, kind_names[ie.p.kind], metric_names[ie.metric],
             params[0] ? ", " : "", params, n, ie.model, ie.metric == TT_IM_IP2L2 ? v.d + 1 : v.d,
             ie.build_s, ie.bytes >= 0 ? tt_fmt_bytes((double)ie.bytes, mem, sizeof mem) : "size unknown");
    tt_out_info(&s->out, "index", &r, human);
    tt_rec_free(&r);
    rc = 0;
out:
    vecs_free(&v);
    return rc;
}

/* The index NAME, usable with its model: present, model trained, not stale. */
static tt_indexent *need_index(tt_session *s, const char *name, tt_modelent **mep, tt_dsent **dp)
{
    tt_indexent *ie = tt_session_index(s, name);
    if (!ie) {
        if (s->n_indexes == 0)
            tt_fail(s, 0, "no index '%s' (no indexes built yet: see 'help index')", name);
        else
            tt_fail(s, 0, "no index '%s' (see 'list indexes')", name);
        return NULL;
    }
    tt_modelent *me = tt_session_model(s, ie->model);
    if (!me) {
        tt_fail(s, 0, "index '%s' was built from model '%s', which no longer exists", name,
                ie->model);
        return NULL;
    }
    if (servable(s, me, dp))
        return NULL;
    if (strcmp((*dp)->name, ie->dataset) || (*dp)->d.n_items != ie->n_items ||
        tt_index_fingerprint(me->m) != ie->fingerprint) {
        tt_fail(s, 0, "index '%s' is stale: model '%s' changed (trained or opened again) after "
                "the index was built; rebuild it with 'index %s = %s ...'", name, ie->model, name,
                ie->model);
        return NULL;
    }
    *mep = me;
    return ie;
}

/* ---- eval MODEL index=NAME ---- */

int tt_eval_index(tt_session *s, tt_modelent *me, const char *iname, enum tt_part p,
                  const int *ks, int n_k)
{
    tt_modelent *im;
    tt_dsent *d;
    tt_indexent *ie = need_index(s, iname, &im, &d);
    if (!ie)
        return -1;
    if (im != me)
        return tt_fail(s, 0, "index '%s' holds the items of model '%s', not '%s'", iname,
                       ie->model, me->def.name);
    const tt_examples *ex = &d->sp.part[p];
    if (ex->n == 0)
        return tt_fail(s, 0, "the %s part of '%s' is empty", tt_part_name(p), d->name);
    vecs v = {0};
    int64_t *ranks = NULL;
    int rc = -1;
    tt_metrics exact, via;
    double irec[TT_MAX_K];
    tt_index_speed e1, i1, iall;
    int kmax = ks[n_k - 1];
    if (item_vectors(s, me, d, &v) || query_vectors(s, me, d, ex, &v))
        goto out;
    ranks = tt_alloc((size_t)ex->n, sizeof *ranks, "ranks", &s->err);
    if (!ranks)
        goto out;
    const float *Qx = tt_index_queries(ie, v.Q, v.nq, v.Qx);
    if (tt_eval(v.Q, v.V, d->d.n_items, v.d, &d->sp, p, ks, n_k, &exact, &s->err) ||
        tt_index_rank(ie, Qx, &d->sp, p, kmax, ranks, &s->err) ||
        tt_index_recall(ie, v.Q, Qx, v.nq, v.V, ks, n_k, irec, &s->err) ||
        tt_index_speed_of(ie, Qx, v.nq, kmax, 1, &i1, 1, &s->err) ||
        tt_index_speed_of(ie, Qx, v.nq, kmax, 0, &iall, 0, &s->err))
        goto out;
    tt_eval_metrics(ranks, &d->sp, p, ks, n_k, &via);
    tt_index_exact_speed(v.Q, v.nq, v.V, d->d.n_items, v.d, kmax, &e1);
    tt_rec r[2];
    for (int row = 0; row < 2; row++) {
        const tt_metrics *m = row ? &via : &exact;
        const tt_index_speed *sp1 = row ? &i1 : &e1;
        char key[48];
        tt_rec_init(&r[row]);
        tt_rec_str(&r[row], "model", me->def.name);
        tt_rec_str(&r[row], "split", tt_part_name(p));
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_str(&r[row], "protocol", tt_model_protocol(s, me));
        tt_rec_str(&r[row], "index", row ? ie->name : "exact");
        tt_rec_str(&r[row], "kind", row ? kind_names[ie->p.kind] : "exact");
        for (int i = 0; i < n_k; i++) {
            snprintf(key, sizeof key, "recall@%d", ks[i]);
            tt_rec_num(&r[row], key, m->recall[i], 4);
        }
        for (int i = 0; i < n_k; i++) {
            snprintf(key, sizeof key, "ndcg@%d", ks[i]);
            tt_rec_num(&r[row], key, m->ndcg[i], 4);
        }
        if (s->out.mode != TT_OUT_TABLE)
            for (int i = 0; i < n_k; i++) {
                snprintf(key, sizeof key, "hitrate@%d", ks[i]);
                tt_rec_num(&r[row], key, m->hitrate[i], 4);
            }
        for (int i = 0; i < n_k; i++) {
            snprintf(key, sizeof key, "index_recall@%d", ks[i]);
            tt_rec_num(&r[row], key, row ? irec[i] : 1.0, 4);
        }
        tt_rec_num(&r[row], "qps_1", sp1->qps, 0);
        if (row)
            tt_rec_num(&r[row], "qps", iall.qps, 0);
        else
            tt_rec_null(&r[row], "qps");
        tt_rec_num(&r[row], "p50_ms", sp1->p50_ms, 3);
        tt_rec_num(&r[row], "p99_ms", sp1->p99_ms, 3);
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_int(&r[row], "users", m->n_users);
    }
    char foot[256];
    snprintf(foot, sizeof foot, "protocol: %s; through '%s' the held-out item counts only when "
             "among the index's top %d after exclusion (MRR not shown); qps_1 on one thread, "
             "qps on %d", tt_model_protocol(s, me), ie->name, kmax, tt_ann_max_threads());
    tt_out_rows(&s->out, "eval", r, 2, s->out.mode == TT_OUT_JSON ? NULL : foot);
    tt_rec_free(&r[0]);
    tt_rec_free(&r[1]);
    rc = 0;
out:
    vecs_free(&v);
    free(ranks);
    return rc;
}

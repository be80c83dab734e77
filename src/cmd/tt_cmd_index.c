/* tt_cmd_index: serving. index (a model's item vectors in a Faiss index),
 * eval through an index, sweep, recommend, similar and export of an index:
 * what a two-tower model is for, measured against exact search. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_file.h"
#include "tt_index.h"
#include "tt_plot.h"

static const char *kind_names[] = {"flat", "ivf", "hnsw", "ivfpq"};
static const char *metric_names[] = {"ip", "l2", "ip2l2"};

/* The item and query vectors of a model, as eval computes them. A
 * multi-interest user tower has nqv vectors per query (qn active), an
 * FE-Block model nqv heads per query and nv vectors per item: both are
 * searched through tt_index_mv. */
typedef struct vecs {
    float *V;          /* (n_items, nv, d) */
    float *Q;          /* (nq, nqv, d) */
    float *Qx;         /* (nq, d + 1) scratch for IP2L2 queries (one vector each) */
    int32_t *qn;       /* (nq) active interests, or NULL */
    int64_t nq;
    int d;             /* width of each vector */
    int nv, nqv;       /* vectors per item, per query: 1 and 1 for one each */
    int summax;        /* FE's sum over heads of the max over item vectors */
} vecs;

static void vecs_free(vecs *v)
{
    free(v->V);
    free(v->Q);
    free(v->Qx);
    free(v->qn);
    memset(v, 0, sizeof *v);
}

/* Several vectors on a side: search through tt_index_mv. */
static int multi(const vecs *v)
{
    return v->summax || v->nqv > 1;
}

static tt_index_mv mv_of(const vecs *v, int32_t n_items)
{
    return (tt_index_mv){v->summax, v->nqv, v->qn, v->nv, v->d, v->V, n_items};
}

/* A model an index can be built from: trained, two-tower. */
static int servable(tt_session *s, tt_modelent *me, tt_dsent **d)
{
    if (me->def.kind == TT_MODEL_POP)
        return tt_fail(s, 0, "model '%s' is a popularity model: its score is one number per "
                       "item whatever the user, so there is nothing to search by neighbours "
                       "(index needs a two-tower model)", me->def.name);
    if (me->def.kind != TT_MODEL_TWOTOWER)
        return tt_fail(s, 0, "model '%s' is a %s model: index needs a two-tower model", me->def.name,
                       tt_mkind_get(me->def.kind)->name);
    return tt_model_ready(s, me, d);
}

/* (Again) the item vectors into v->V, by the shape item_vectors found. */
static int encode_items(tt_session *s, tt_modelent *me, tt_dsent *d, vecs *v)
{
    return v->summax ? tt_model_encode_item_vectors(me->m, &d->d, v->V, &s->err)
                     : tt_model_encode_items(me->m, &d->d, v->V, &s->err);
}

/* The model's item vectors, and its shape: one vector per item and query,
 * K interests per query, or FE's H heads and G vectors per item. */
static int item_vectors(tt_session *s, tt_modelent *me, tt_dsent *d, vecs *v)
{
    int H, G, dh;
    int fe = tt_model_fe_shape(me->m, &H, &G, &dh);
    v->summax = fe;
    v->d = fe ? dh : tt_model_dim(me->m);
    v->nv = fe ? G : 1;
    v->nqv = fe ? H : tt_model_query_vectors(me->m);
    v->V = tt_alloc_aligned((size_t)d->d.n_items * (size_t)v->nv * (size_t)v->d, sizeof(float),
                            "item vectors", &s->err);
    if (!v->V || encode_items(s, me, d, v)) {
        s->err_col = 0;
        return -1;
    }
    return 0;
}

/* Query vectors of ex, after item_vectors: (n, nqv, d); an FE model's one
 * query vector is its H heads side by side. */
static int query_vectors(tt_session *s, tt_modelent *me, tt_dsent *d, const tt_examples *ex,
                         vecs *v)
{
    int many = v->nqv > 1 && !v->summax;
    v->nq = ex->n;
    v->Q = tt_alloc_aligned((size_t)TT_MAX(ex->n, 1) * (size_t)v->nqv * (size_t)v->d,
                            sizeof(float), "query vectors", &s->err);
    v->Qx = v->Q ? tt_alloc((size_t)TT_MAX(ex->n, 1) * (size_t)(v->d + 1), sizeof(float),
                            "query vectors", &s->err) : NULL;
    v->qn = v->Qx && many ? tt_alloc((size_t)TT_MAX(ex->n, 1), sizeof(int32_t),
                                     "active interests", &s->err) : NULL;
    if (!v->Qx || (many && !v->qn) ||
        (many ? tt_model_encode_queries_multi(me->m, &d->d, ex, v->Q, v->qn, &s->err)
              : tt_model_encode_queries(me->m, &d->d, ex, v->Q, &s->err))) {
        s->err_col = 0;
        return -1;
    }
    return 0;
}

/* ---- index NAME = MODEL kind=... ---- */

/* Results as session variables, so that a lesson's narration quotes what
 * this run measured: NAME_key (NAME with characters other than letters,
 * digits and '_' as '_'). */
static void set_result(tt_session *s, const char *name, const char *key, const char *fmt, double v)
{
    char var[TT_NAME_MAX + 32], val[64];
    snprintf(var, sizeof var, "%s_%s", name, key);
    for (char *c = var; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            *c = '_';
    snprintf(val, sizeof val, fmt, v);
    tt_session_set_var(s, var, val);
}


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

/* The parameters an index was built with, as typed ("" for flat). */
static void index_params(const tt_indexent *ie, char *buf, size_t n)
{
    const tt_ann_params *p = &ie->p;
    switch (p->kind) {
    case TT_ANN_IVF: snprintf(buf, n, "nlist=%d nprobe=%d", p->nlist, p->nprobe); break;
    case TT_ANN_HNSW: snprintf(buf, n, "M=%d efConstruction=%d efSearch=%d", p->M, p->efConstruction, p->efSearch); break;
    case TT_ANN_IVFPQ: snprintf(buf, n, "nlist=%d nprobe=%d m=%d nbits=%d refine=%d", p->nlist, p->nprobe, p->m, p->nbits, p->refine); break;
    default: buf[0] = 0;
    }
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
    /* n rows: the items, or every item's G vectors for an FE model */
    int32_t n = d->d.n_items * v.nv;
    tt_indexent ie;
    tt_indexent_init(&ie);
    tt_args_apply(a, &tt_bind_index, &ie);
    snprintf(ie.name, sizeof ie.name, "%s", a->pos[0]->s);
    snprintf(ie.model, sizeof ie.model, "%s", me->def.name);
    snprintf(ie.dataset, sizeof ie.dataset, "%s", d->name);
    /* nlist and m: from the item count and the vector width unless given */
    int nlist = tt_arg(a, "nlist")->set ? (int)tt_arg(a, "nlist")->i
                                        : (int)TT_MAX(1.0, floor(sqrt((double)n) + 0.5));
    ie.p.nlist = nlist;
    ie.p.nprobe = TT_MIN(ie.p.nprobe, nlist);
    if (ie.p.kind != TT_ANN_IVFPQ)
        ie.p.refine = 0;
    ie.p.m = tt_arg(a, "m")->set ? (int)tt_arg(a, "m")->i : (v.d % 2 ? v.d : v.d / 2);
    int rc = -1;
    if ((ie.p.kind == TT_ANN_IVF || ie.p.kind == TT_ANN_IVFPQ) && nlist > n) {
        tt_fail(s, 0, "nlist=%d is larger than the %d %ss of '%s': each inverted list needs "
                "at least one %s (at most nlist=%d)", nlist, n, v.nv > 1 ? "item vector" : "item",
                d->name, v.nv > 1 ? "item vector" : "item", n);
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
    ie.metric = choose_metric(s, ie.name, me, ie.p.kind, (int)ie.metric, &v, n);
    if (tt_index_build(&ie, v.V, n, v.d, s->seed, &s->err))
        goto out;
    ie.n_items = d->d.n_items;
    ie.nv = v.nv;
    ie.fingerprint = tt_index_fingerprint(me->m);
    set_result(s, ie.name, "build_s", "%.3f", ie.build_s);
    set_result(s, ie.name, "mib", "%.2f", ie.bytes / 1048576.0);
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
    index_params(&ie, params, sizeof params);
    tt_rec_init(&r);
    tt_rec_str(&r, "index", ie.name);
    tt_rec_str(&r, "model", ie.model);
    tt_rec_str(&r, "kind", kind_names[ie.p.kind]);
    tt_rec_str(&r, "metric", metric_names[ie.metric]);
    tt_rec_str(&r, "params", params);
    tt_rec_int(&r, "items", ie.n_items);
    tt_rec_int(&r, "vectors", n);
    tt_rec_int(&r, "dim", ie.metric == TT_IM_IP2L2 ? v.d + 1 : v.d);
    tt_rec_num(&r, "build_s", ie.build_s, 3);
    if (ie.bytes >= 0)
        tt_rec_int(&r, "bytes", ie.bytes);
    else
        tt_rec_null(&r, "bytes");
    char each[64] = "";
    if (v.nv > 1)
        snprintf(each, sizeof each, " (%d vectors each: FE-Block)", v.nv);
    snprintf(human, sizeof human, "index %s: %s (%s%s%s) over %d items%s of model %s, dim %d: "
             "built in %.3f s, %s", ie.name, kind_names[ie.p.kind], metric_names[ie.metric],
             params[0] ? ", " : "", params, ie.n_items, each, ie.model,
             ie.metric == TT_IM_IP2L2 ? v.d + 1 : v.d, ie.build_s,
             ie.bytes >= 0 ? tt_fmt_bytes((double)ie.bytes, mem, sizeof mem) : "size unknown");
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

/* ---- list indexes, drop index NAME ---- */

/* Why index ie cannot be used now ("" when it can): its model is gone, no
 * longer trained as a two-tower model, or changed since the build. */
static const char *index_state(tt_session *s, const tt_indexent *ie)
{
    tt_modelent *me = tt_session_model(s, ie->model);
    if (!me)
        return "model gone";
    if (me->def.kind != TT_MODEL_TWOTOWER || !me->m)
        return "model not trained";
    if (strcmp(me->dataset, ie->dataset) || tt_index_fingerprint(me->m) != ie->fingerprint)
        return "stale";
    return "";
}

void tt_index_about(tt_session *s, const tt_indexent *ie, char *buf, size_t n)
{
    char params[96], mem[32];
    const char *st = index_state(s, ie);
    index_params(ie, params, sizeof params);
    snprintf(buf, n, "%s (%s%s%s) over %d items of model %s, %.3f s to build, %s%s%s",
             kind_names[ie->p.kind], metric_names[ie->metric], params[0] ? ", " : "", params,
             ie->n_items, ie->model, ie->build_s,
             ie->bytes >= 0 ? tt_fmt_bytes((double)ie->bytes, mem, sizeof mem) : "size unknown",
             *st ? "; " : "", st);
}

int tt_index_drop(tt_session *s, const char *name)
{
    tt_indexent *ie = tt_session_index(s, name);
    if (!ie) {
        if (s->n_indexes == 0)
            return tt_fail(s, 0, "no index '%s' (no indexes built yet)", name);
        return tt_fail(s, 0, "no index '%s' (see 'list indexes')", name);
    }
    int i = (int)(ie - s->indexes);
    tt_index_free(ie);
    memmove(&s->indexes[i], &s->indexes[i + 1], (size_t)(s->n_indexes - i - 1) * sizeof *ie);
    s->n_indexes--;
    return 0;
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
    tt_metrics exact, via, deep;
    /* MRR through the index: every item asked for (see TT_INDEX_MRR_CELLS). */
    int with_mrr = ex->n * (int64_t)d->d.n_items <= TT_INDEX_MRR_CELLS;
    double irec[TT_MAX_K], exact_irec[TT_MAX_K];   /* exact search: 1 at every k */
    for (int i = 0; i < TT_MAX_K; i++)
        exact_irec[i] = 1.0;
    tt_index_speed e1, eall, i1, iall;
    int kmax = ks[n_k - 1];
    /* A model whose sides interact early runs its network over every item
     * for each request: at least what the item tower over all items costs.
     * The best of three passes: one pass is at the mercy of the load. */
    if (item_vectors(s, me, d, &v))
        goto out;
    double t_items = HUGE_VAL, c_items = HUGE_VAL;   /* wall, CPU (every thread) */
    for (int rep = 0; rep < 3; rep++) {
        double t0 = tt_now(), c0 = tt_cpu_now();
        if (encode_items(s, me, d, &v)) {
            s->err_col = 0;
            goto out;
        }
        t_items = TT_MIN(t_items, tt_now() - t0);
        c_items = TT_MIN(c_items, tt_cpu_now() - c0);
    }
    if (query_vectors(s, me, d, ex, &v))
        goto out;
    ranks = tt_alloc((size_t)ex->n, sizeof *ranks, "ranks", &s->err);
    if (!ranks)
        goto out;
    int64_t ns = TT_MIN(v.nq, (int64_t)TT_INDEX_SAMPLE);  /* recall and speed */
    const int mv = multi(&v);
    const tt_index_mv M = mv_of(&v, d->d.n_items);
    const float *Qx = mv ? NULL : tt_index_queries(ie, v.Q, v.nq, v.Qx);
    if (mv) {
        /* Several vectors a side: exact by the model's rule, and through
         * the index candidates rescored by it (tt_index_mv). */
        if ((v.summax ? tt_eval_summax(v.Q, v.nqv, v.V, v.nv, d->d.n_items, v.d, &d->sp, p, ks,
                                       n_k, &exact, &s->err)
                      : tt_eval_multi(v.Q, v.nqv, v.qn, v.V, d->d.n_items, v.d, &d->sp, p, ks,
                                      n_k, &exact, &s->err)) ||
            tt_index_mv_rank(ie, &M, v.Q, &d->sp, p, kmax, ranks, &s->err) ||
            tt_index_mv_recall(ie, &M, v.Q, ns, ks, n_k, irec, &s->err) ||
            tt_index_mv_speed(ie, &M, v.Q, ns, kmax, 1, &i1, 1, &s->err) ||
            tt_index_mv_speed(ie, &M, v.Q, ns, kmax, 0, &iall, 0, &s->err) ||
            tt_index_mv_speed(NULL, &M, v.Q, ns, kmax, 1, &e1, 1, &s->err) ||
            tt_index_mv_speed(NULL, &M, v.Q, ns, kmax, 0, &eall, 0, &s->err))
            goto out;
    } else if (tt_eval(v.Q, v.V, d->d.n_items, v.d, &d->sp, p, ks, n_k, &exact, &s->err) ||
               tt_index_rank(ie, Qx, &d->sp, p, kmax, ranks, &s->err) ||
               tt_index_recall(ie, v.Q, Qx, ns, v.V, ks, n_k, irec, &s->err) ||
               tt_index_speed_of(ie, Qx, ns, kmax, 1, &i1, 1, &s->err) ||
               tt_index_speed_of(ie, Qx, ns, kmax, 0, &iall, 0, &s->err) ||
               tt_index_exact_speed(v.Q, ns, v.V, d->d.n_items, v.d, kmax, 1, &e1, 1, &s->err) ||
               tt_index_exact_speed(v.Q, ns, v.V, d->d.n_items, v.d, kmax, 0, &eall, 0, &s->err))
        goto out;
    tt_eval_metrics(ranks, &d->sp, p, ks, n_k, &via);
    if (with_mrr) {
        if (mv ? tt_index_mv_rank(ie, &M, v.Q, &d->sp, p, d->d.n_items, ranks, &s->err)
               : tt_index_rank(ie, Qx, &d->sp, p, d->d.n_items, ranks, &s->err))
            goto out;
        tt_eval_metrics(ranks, &d->sp, p, ks, n_k, &deep);
        via.mrr = deep.mrr;
    }
    tt_rec r[2];
    for (int row = 0; row < 2; row++) {
        const tt_metrics *m = row ? &via : &exact;
        const tt_index_speed *sp1 = row ? &i1 : &e1;
        tt_rec_init(&r[row]);
        tt_rec_str(&r[row], "model", me->def.name);
        tt_rec_str(&r[row], "split", tt_part_name(p));
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_str(&r[row], "protocol", tt_model_protocol(s, me));
        tt_rec_str(&r[row], "index", row ? ie->name : "exact");
        tt_rec_str(&r[row], "kind", row ? kind_names[ie->p.kind] : "exact");
        tt_rec_at_k(&r[row], "recall", ks, n_k, m->recall);
        tt_rec_at_k(&r[row], "ndcg", ks, n_k, m->ndcg);
        if (row && !with_mrr)
            tt_rec_null(&r[row], "mrr");
        else
            tt_rec_num(&r[row], "mrr", m->mrr, 4);
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_at_k(&r[row], "hitrate", ks, n_k, m->hitrate);
        tt_rec_at_k(&r[row], "index_recall", ks, n_k, row ? irec : exact_irec);
        tt_rec_num(&r[row], "qps_1", sp1->qps, 0);
        tt_rec_num(&r[row], "qps", row ? iall.qps : eall.qps, 0);
        tt_rec_num(&r[row], "p50_ms", sp1->p50_ms, 3);
        tt_rec_num(&r[row], "p99_ms", sp1->p99_ms, 3);
        tt_rec_num(&r[row], "cpu_us_1", sp1->cpu_us, 1);
        tt_rec_num(&r[row], "cpu_us", row ? iall.cpu_us : eall.cpu_us, 1);
        tt_rec_num(&r[row], "cpu_p50_ms", sp1->cpu_p50_ms, 3);
        tt_rec_prio(&r[row], "p99_ms", TT_COL_OPTIONAL);
        tt_rec_prio(&r[row], "cpu_us", TT_COL_OPTIONAL);
        tt_rec_prio(&r[row], "cpu_p50_ms", TT_COL_OPTIONAL);
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_int(&r[row], "users", m->n_users);
    }
    char foot[2048], mrr_note[200];
    if (with_mrr)
        snprintf(mrr_note, sizeof mrr_note, "its MRR from the index asked for all %d items (one "
                 "never returned ranks last)", d->d.n_items);
    else
        snprintf(mrr_note, sizeof mrr_note, "no MRR through it: %lld queries x %d items is more "
                 "than asking the index for every item allows here",
                 (long long)ex->n, d->d.n_items);
    char mv_note[300] = "";
    if (mv)
        snprintf(mv_note, sizeof mv_note, "; %s: each of the %d %s asks the index, the union of "
                 "the items is rescored exactly (%s)", me->def.name, v.nqv,
                 v.summax ? "user heads" : "interest vectors",
                 v.summax ? "sum over heads of the max over each item's field vectors; the "
                            "index holds every item's vectors"
                          : "the best interest's inner product");
    /* One request's CPU through the index: the median of single queries. */
    double req_ms = i1.cpu_p50_ms;
    snprintf(foot, sizeof foot, "protocol: %s; through '%s' the held-out item counts only when "
             "among the index's top %d after exclusion, %s%s; index recall and speed over the "
             "first %lld queries (exact: ttlab's top-K in GEMM tiles of %s), qps_1 "
             "on one thread, qps on %d (wall clock); cpu_us_1 and cpu_us: CPU microseconds per "
             "query (all threads' CPU summed)%s.\nScoring "
             "every item with a network per request (a model whose sides interact early) costs "
             "at least the item tower over all %d items: %.2f ms CPU (%.2f wall) here, against "
             "%.3f ms CPU (%s) through '%s'", tt_model_protocol(s, me), ie->name,
             kmax, mrr_note, mv_note, (long long)ns, mv ? "one query's vectors x items" :
             "queries x items", tt_ann_max_threads(),
             ", cpu_p50_ms: CPU of one query alone", d->d.n_items, 1e3 * c_items,
             1e3 * t_items, req_ms, "median query", ie->name);
    set_result(s, ie->name, "recall", "%.4f", via.recall[0]);
    set_result(s, ie->name, "exact_recall", "%.4f", exact.recall[0]);
    set_result(s, ie->name, "index_recall", "%.4f", irec[0]);
    set_result(s, ie->name, "index_recall_pct", "%.1f", 100 * irec[0]);
    set_result(s, ie->name, "qps_1", "%.0f", i1.qps);
    set_result(s, ie->name, "qps", "%.0f", iall.qps);
    set_result(s, ie->name, "exact_qps_1", "%.0f", e1.qps);
    set_result(s, ie->name, "speedup", "%.1f", e1.qps > 0 ? i1.qps / e1.qps : 0);
    set_result(s, ie->name, "exact_qps", "%.0f", eall.qps);
    set_result(s, ie->name, "speedup_all", "%.1f", eall.qps > 0 ? iall.qps / eall.qps : 0);
    set_result(s, ie->name, "p50_ms", "%.3f", i1.p50_ms);
    set_result(s, ie->name, "p99_ms", "%.3f", i1.p99_ms);
    set_result(s, ie->name, "cpu_us_1", "%.1f", i1.cpu_us);
    set_result(s, ie->name, "exact_cpu_us_1", "%.1f", e1.cpu_us);
    set_result(s, ie->name, "speedup_cpu", "%.1f", i1.cpu_us > 0 ? e1.cpu_us / i1.cpu_us : 0);
    set_result(s, ie->name, "cpu_p50_ms", "%.3f", i1.cpu_p50_ms);
    set_result(s, ie->name, "rescore_ms", "%.2f", 1e3 * t_items);
    set_result(s, ie->name, "rescore_x", "%.0f", i1.p50_ms > 0 ? 1e3 * t_items / i1.p50_ms : 0);
    set_result(s, ie->name, "rescore_cpu_ms", "%.2f", 1e3 * c_items);
    set_result(s, ie->name, "request_cpu_ms", "%.3f", req_ms);
    set_result(s, ie->name, "rescore_x_cpu", "%.0f", req_ms > 0 ? 1e3 * c_items / req_ms : 0);
    set_result(s, "k", "first", "%.0f", ks[0]);
    tt_out_rows(&s->out, "eval", r, 2, s->out.mode == TT_OUT_JSON ? NULL : foot);
    tt_rec_free(&r[0]);
    tt_rec_free(&r[1]);
    rc = 0;
out:
    vecs_free(&v);
    free(ranks);
    return rc;
}

/* ---- sweep INDEX nprobe=... | efSearch=... ---- */

int tt_cmd_sweep(tt_session *s, tt_args *a)
{
    tt_modelent *me;
    tt_dsent *d;
    tt_indexent *ie = need_index(s, a->pos[0]->s, &me, &d);
    if (!ie)
        return -1;
    const tt_optval *np = tt_arg(a, "nprobe"), *ef = tt_arg(a, "efSearch"), *rf = tt_arg(a, "refine");
    int ivf = ie->p.kind == TT_ANN_IVF || ie->p.kind == TT_ANN_IVFPQ;
    const tt_optval *kv = rf->set ? rf : ivf ? np : ef;
    const char *knob = rf->set ? "refine" : ivf ? "nprobe" : "efSearch";
    if (ie->p.kind == TT_ANN_FLAT)
        return tt_fail(s, 0, "index '%s' is flat (exact): it has no knob to sweep", ie->name);
    if ((ivf ? ef : np)->set)
        return tt_fail(s, 0, "index '%s' is %s: sweep %s=..., not %s", ie->name,
                       kind_names[ie->p.kind], ivf ? "nprobe" : "efSearch", ivf ? "efSearch" : "nprobe");
    if (rf->set && ie->p.refine <= 0)
        return tt_fail(s, 0, "index '%s' has no re-ranking step to sweep (refine= is for an ivfpq "
                       "index built with refine=1 or more)", ie->name);
    if (rf->set && np->set)
        return tt_fail(s, 0, "sweep one knob at a time: nprobe= or refine=");
    if (!kv->set)
        return tt_fail(s, 0, "sweep needs the values of %s: sweep %s %s=1,2,4,8", knob, ie->name,
                       knob);
    enum tt_part p = tt_arg(a, "split")->i == 0 ? TT_VALID : TT_TEST;
    const tt_examples *ex = &d->sp.part[p];
    if (ex->n == 0)
        return tt_fail(s, 0, "the %s part of '%s' is empty", tt_part_name(p), d->name);
    int k = (int)tt_arg(a, "k")->i;
    vecs v = {0};
    int64_t *ranks = NULL;
    tt_rec *rows = calloc((size_t)kv->n, sizeof *rows);
    int rc = -1, n_rows = 0;
    int keep_np = ie->p.nprobe, keep_ef = ie->p.efSearch, keep_rf = ie->p.refine;
    if (!rows) {
        tt_fail(s, 0, "out of memory");
        goto out;
    }
    if (item_vectors(s, me, d, &v) || query_vectors(s, me, d, ex, &v))
        goto out;
    ranks = tt_alloc((size_t)ex->n, sizeof *ranks, "ranks", &s->err);
    if (!ranks)
        goto out;
    const int mv = multi(&v);
    const tt_index_mv M = mv_of(&v, d->d.n_items);
    const float *Qx = mv ? NULL : tt_index_queries(ie, v.Q, v.nq, v.Qx);
    snprintf(ie->sweep_knob, sizeof ie->sweep_knob, "%s", knob);
    ie->sweep_k = k;
    ie->n_sweep = 0;
    for (int i = 0; i < kv->n; i++) {
        int val = (int)kv->list[i];
        if (kv == np && val > ie->p.nlist) {
            tt_fail(s, 0, "nprobe=%d is more than the %d lists of index '%s'", val, ie->p.nlist,
                    ie->name);
            goto out;
        }
        tt_ann_set_search(ie->ann, kv == np ? val : 0, kv == ef ? val : 0, kv == rf ? val : 0);
        double rec;
        tt_index_speed one, all;
        tt_metrics m;
        int64_t ns = TT_MIN(v.nq, (int64_t)TT_INDEX_SAMPLE);
        if (mv ? tt_index_mv_recall(ie, &M, v.Q, ns, &k, 1, &rec, &s->err) ||
                     tt_index_mv_speed(ie, &M, v.Q, ns, k, 1, &one, 1, &s->err) ||
                     tt_index_mv_speed(ie, &M, v.Q, ns, k, 0, &all, 0, &s->err) ||
                     tt_index_mv_rank(ie, &M, v.Q, &d->sp, p, k, ranks, &s->err)
               : tt_index_recall(ie, v.Q, Qx, ns, v.V, &k, 1, &rec, &s->err) ||
                     tt_index_speed_of(ie, Qx, ns, k, 1, &one, 1, &s->err) ||
                     tt_index_speed_of(ie, Qx, ns, k, 0, &all, 0, &s->err) ||
                     tt_index_rank(ie, Qx, &d->sp, p, k, ranks, &s->err))
            goto out;
        tt_eval_metrics(ranks, &d->sp, p, &k, 1, &m);
        char key[48];
        tt_rec *r = &rows[n_rows++];
        tt_rec_init(r);
        tt_rec_str(r, "index", ie->name);
        tt_rec_int(r, knob, val);
        snprintf(key, sizeof key, "index_recall@%d", k);
        tt_rec_num(r, key, rec, 4);
        snprintf(key, sizeof key, "recall@%d", k);
        tt_rec_num(r, key, m.recall[0], 4);
        tt_rec_num(r, "qps_1", one.qps, 0);
        tt_rec_num(r, "qps", all.qps, 0);
        tt_rec_num(r, "p50_ms", one.p50_ms, 3);
        tt_rec_num(r, "p99_ms", one.p99_ms, 3);
        tt_rec_num(r, "cpu_us_1", one.cpu_us, 1);
        tt_rec_num(r, "cpu_us", all.cpu_us, 1);
        tt_rec_prio(r, "p99_ms", TT_COL_OPTIONAL);
        tt_rec_prio(r, "cpu_us", TT_COL_OPTIONAL);
        if (ie->n_sweep < TT_INDEX_SWEEP_MAX) {
            ie->sweep_val[ie->n_sweep] = val;
            ie->sweep_recall[ie->n_sweep] = rec;
            ie->sweep_qps[ie->n_sweep++] = all.qps;
        }
    }
    char foot[512];
    snprintf(foot, sizeof foot, "%s queries of %s (%lld; index recall and speed over the first "
             "%lld); recall@%d through the index on the protocol %s; qps wall clock, cpu_us "
             "CPU microseconds per query (all threads summed); 'plot sweep %s' draws "
             "recall against qps", tt_part_name(p), d->name, (long long)ex->n,
             (long long)TT_MIN(ex->n, (int64_t)TT_INDEX_SAMPLE), k, tt_model_protocol(s, me),
             ie->name);
    tt_out_rows(&s->out, "sweep", rows, n_rows, s->out.mode == TT_OUT_JSON ? NULL : foot);
    rc = 0;
out:
    tt_ann_set_search(ie->ann, keep_np, keep_ef, keep_rf);
    for (int i = 0; i < n_rows; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    free(ranks);
    vecs_free(&v);
    return rc;
}

/* plot sweep [INDEX ...]: one curve per swept index (all swept ones when
 * none is named), queries per second against index recall. */
int tt_plot_sweep(tt_session *s, tt_tok **names, int n, tt_plot_req *req, tt_series *ser,
                  int max_series)
{
    int ns = 0;
    for (int i = 0; i < n; i++) {
        tt_indexent *ie = tt_session_index(s, names[i]->s);
        if (!ie)
            return tt_fail(s, 0, "no index '%s'", names[i]->s);
        if (!ie->n_sweep)
            return tt_fail(s, 0, "index '%s' has not been swept: run 'sweep %s %s=...' first",
                           ie->name, ie->name, ie->p.kind == TT_ANN_HNSW ? "efSearch" : "nprobe");
    }
    for (int i = 0; i < s->n_indexes && ns < max_series; i++) {
        tt_indexent *ie = &s->indexes[i];
        int listed = n == 0;
        for (int j = 0; j < n; j++)
            listed |= !strcmp(names[j]->s, ie->name);
        if (listed && ie->n_sweep)
            ser[ns++] = (tt_series){ie->name, ie->n_sweep, ie->sweep_recall, ie->sweep_qps, 0, 0};
    }
    if (!ns)
        return tt_fail(s, 0, "no swept index to plot: run 'sweep INDEX nprobe=...' first");
    req->title = "queries per second against index recall (up and right is better)";
    req->xlabel = "index recall (top K against exact top K)";
    req->ylabel = "queries per second (all threads)";
    return ns;
}

/* ---- recommend and similar ---- */

/* The row of the dataset's user or item whose original id is key. */
static int32_t find_key(char **keys, int32_t n, const char *key)
{
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(keys[i], key))
            return i;
    return -1;
}

/* Sort and deduplicate a list of item rows; returns the new length. */
static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

static int64_t uniq(int32_t *a, int64_t n)
{
    qsort(a, (size_t)n, sizeof *a, cmp_i32);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || a[i] != a[m - 1])
            a[m++] = a[i];
    return m;
}

/* The top k items for q with the sorted list excl left out: exactly
 * (tt_topk), or through ie asking for k + n_excl neighbours. Scores are the
 * model's (q . v) either way. Returns the count, or -1 with s->err. */
static int top_items(tt_session *s, tt_indexent *ie, const float *q, const float *V, int32_t n,
                     int d, const int32_t *excl, int64_t n_excl, int k, int32_t *items,
                     float *scores)
{
    if (!ie)
        return tt_topk(q, V, n, d, excl, n_excl, k, items, scores);
    int64_t kq = TT_MIN((int64_t)n, k + n_excl);
    int64_t *ids = tt_alloc((size_t)kq, sizeof *ids, "index results", &s->err);
    float *dist = ids ? tt_alloc((size_t)kq, sizeof *dist, "index results", &s->err) : NULL;
    float qx[TT_INDEX_QMAX + 1];
    int got = -1;
    if (dist && !tt_ann_search(ie->ann, tt_index_queries(ie, q, 1, qx), 1, (int)kq, dist, ids,
                               &s->err)) {
        got = 0;
        for (int64_t j = 0; j < kq && got < k; j++) {
            int32_t id = (int32_t)ids[j];
            if (ids[j] < 0 || ids[j] >= n ||
                bsearch(&id, excl, (size_t)n_excl, sizeof *excl, cmp_i32))
                continue;
            double sc = 0;
            for (int c = 0; c < d; c++)
                sc += (double)q[c] * V[(int64_t)id * d + c];
            items[got] = id;
            scores[got++] = (float)sc;
        }
    }
    free(ids);
    free(dist);
    return got;
}

static void item_rows(tt_session *s, const char *event, const tt_dataset *ds, const int32_t *items,
                      const float *scores, int n, const char *foot)
{
    tt_rec *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows)
        return;
    for (int i = 0; i < n; i++) {
        tt_rec_init(&rows[i]);
        tt_rec_int(&rows[i], "rank", i + 1);
        tt_rec_str(&rows[i], "item", ds->item_key[items[i]]);
        if (ds->item_title && ds->item_title[items[i]])
            tt_rec_str(&rows[i], "title", ds->item_title[items[i]]);
        else
            tt_rec_null(&rows[i], "title");
        tt_rec_num(&rows[i], "score", scores[i], 4);
    }
    tt_out_rows(&s->out, event, rows, n, s->out.mode == TT_OUT_JSON ? NULL : foot);
    for (int i = 0; i < n; i++)
        tt_rec_free(&rows[i]);
    free(rows);
}

/* The top k items for q (the sorted list excl left out), exactly or through
 * ie, printed as rows of event under a footer of what, then how they were
 * searched. Returns 0 or -1 with s->err. */
static int serve_top(tt_session *s, tt_indexent *ie, const char *event, const float *q,
                     const float *V, const tt_dataset *ds, int D, const int32_t *excl,
                     int64_t n_excl, int k, const char *what)
{
    int32_t *items = tt_alloc((size_t)(k ? k : 1), sizeof *items, "top items", &s->err);
    float *scores = items ? tt_alloc((size_t)(k ? k : 1), sizeof *scores, "top items", &s->err) : NULL;
    int got = scores ? top_items(s, ie, q, V, ds->n_items, D, excl, n_excl, k, items, scores) : -1;
    if (got >= 0) {
        char foot[512];
        snprintf(foot, sizeof foot, "%s; %s%s%s", what, ie ? "through index '" : "exact search",
                 ie ? ie->name : "", ie ? "'" : "");
        item_rows(s, event, ds, items, scores, got, foot);
    }
    free(items);
    free(scores);
    return got >= 0 ? 0 : -1;
}

/* serve_top for a model with several vectors a side (v: the query's, one
 * query): exactly (the top k + n_excl by the model's rule, the excluded
 * ones dropped) or through ie (tt_index_mv_topk). */
static int serve_top_mv(tt_session *s, tt_indexent *ie, const vecs *v, const tt_dataset *ds,
                        const int32_t *excl, int64_t n_excl, int k, const char *what)
{
    tt_index_mv M = mv_of(v, ds->n_items);
    int kq = (int)TT_MIN((int64_t)ds->n_items, k + n_excl), got = 0;
    int32_t *items = tt_alloc((size_t)(kq ? kq : 1), sizeof *items, "top items", &s->err);
    float *scores = items ? tt_alloc((size_t)(kq ? kq : 1), sizeof *scores, "top items", &s->err)
                          : NULL;
    int rc = scores ? 0 : -1;
    if (rc == 0 && ie) {
        tt_ann_set_threads(0);
        rc = tt_index_mv_topk(ie, &M, v->Q, 1, k, excl, n_excl, items, scores, &got, &s->err);
    } else if (rc == 0) {
        rc = tt_index_mv_exact_topk(&M, v->Q, 1, kq, items, scores, &s->err);
        for (int i = 0; rc == 0 && i < kq && got < k; i++)
            if (items[i] >= 0 && !bsearch(&items[i], excl, (size_t)n_excl, sizeof *excl, cmp_i32)) {
                items[got] = items[i];
                scores[got++] = scores[i];
            }
    }
    if (rc == 0) {
        char foot[600];
        snprintf(foot, sizeof foot, "%s; %s%s%s; scored by %s", what,
                 ie ? "through index '" : "exact search", ie ? ie->name : "", ie ? "'" : "",
                 v->summax ? "the sum over the user's heads of the max over the item's vectors"
                           : "the user's best interest");
        item_rows(s, "recommend", ds, items, scores, got, foot);
    }
    free(items);
    free(scores);
    return rc;
}

/* The model and, with index=NAME, its index; the dataset. */
static int serve_setup(tt_session *s, tt_args *a, tt_modelent **mep, tt_indexent **iep,
                       tt_dsent **dp)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    if (!me)
        return -1;
    *mep = me;
    *iep = NULL;
    const tt_optval *iv = tt_arg(a, "index");
    if (!iv->set)
        return tt_model_ready(s, me, dp);
    tt_modelent *im;
    tt_indexent *ie = need_index(s, iv->s, &im, dp);
    if (!ie)
        return -1;
    if (im != me)
        return tt_fail(s, 0, "index '%s' holds the items of model '%s', not '%s'", ie->name,
                       ie->model, me->def.name);
    if (ie->d > TT_INDEX_QMAX)
        return tt_fail(s, 0, "index '%s': vectors wider than %d", ie->name, TT_INDEX_QMAX);
    *iep = ie;
    return 0;
}

int tt_cmd_recommend(tt_session *s, tt_args *a)
{
    tt_modelent *me;
    tt_indexent *ie;
    tt_dsent *d;
    if (serve_setup(s, a, &me, &ie, &d))
        return -1;
    const tt_dataset *ds = &d->d;
    if (!tt_arg(a, "user")->set)
        return tt_fail(s, 0, "recommend needs the user: recommend %s user=ID", me->def.name);
    const char *key = tt_arg(a, "user")->s;
    int32_t u = find_key(ds->user_key, ds->n_users, key);
    if (u < 0)
        return tt_fail(s, 0, "no user '%s' in dataset '%s' (%d users, ids from '%s' to '%s')", key,
                       d->name, ds->n_users, ds->user_key[0], ds->user_key[ds->n_users - 1]);
    /* The user's interactions: rows [lo, hi) (sorted by user, time, item). */
    int64_t lo = 0, hi = ds->n_inter;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ds->iu[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    hi = lo;
    while (hi < ds->n_inter && ds->iu[hi] == u)
        hi++;
    int k = (int)TT_MIN(tt_arg(a, "k")->i, (int64_t)ds->n_items);
    int D = tt_model_dim(me->m), H = d->sp.part[TT_TEST].H;
    /* One query now: the user's last H items, most recent first, and the
     * context of the last interaction. */
    int32_t hist[1024], hn = 0, user = u, item = hi > lo ? ds->ii[hi - 1] : 0;
    int64_t inter = hi > lo ? hi - 1 : 0;
    for (int64_t r = hi - 1; r >= lo && hn < H && hn < 1024; r--)
        hist[hn++] = ds->ii[r];
    for (int j = hn; j < H && j < 1024; j++)
        hist[j] = -1;
    tt_examples one = {1, &user, &item, &inter, H, hist, &hn};
    int64_t n_seen = hi - lo;
    int32_t *seen = tt_alloc((size_t)(n_seen ? n_seen : 1), sizeof *seen, "seen items", &s->err);
    vecs v = {0};
    int rc = -1;
    if (H > 1024)
        tt_fail(s, 0, "history longer than 1024 items");
    else if (seen && !item_vectors(s, me, d, &v) && !query_vectors(s, me, d, &one, &v)) {
        for (int64_t r = lo; r < hi; r++)
            seen[r - lo] = ds->ii[r];
        n_seen = uniq(seen, n_seen);
        char what[256];
        snprintf(what, sizeof what, "user %s of %s: %lld items seen, left out", key, d->name,
                 (long long)n_seen);
        rc = multi(&v) ? serve_top_mv(s, ie, &v, ds, seen, n_seen, k, what)
                       : serve_top(s, ie, "recommend", v.Q, v.V, ds, D, seen, n_seen, k, what);
    }
    s->err_col = 0;
    free(seen);
    vecs_free(&v);
    return rc;
}

int tt_cmd_similar(tt_session *s, tt_args *a)
{
    tt_modelent *me;
    tt_indexent *ie;
    tt_dsent *d;
    if (serve_setup(s, a, &me, &ie, &d))
        return -1;
    if (me->def.kind == TT_MODEL_POP)
        return tt_fail(s, 0, "model '%s' is a popularity model: its items have no vectors to "
                       "compare (similar needs a two-tower model)", me->def.name);
    const tt_dataset *ds = &d->d;
    if (!tt_arg(a, "item")->set)
        return tt_fail(s, 0, "similar needs the item: similar %s item=ID", me->def.name);
    const char *key = tt_arg(a, "item")->s;
    int32_t it = find_key(ds->item_key, ds->n_items, key);
    if (it < 0)
        return tt_fail(s, 0, "no item '%s' in dataset '%s' (%d items, ids from '%s' to '%s')", key,
                       d->name, ds->n_items, ds->item_key[0], ds->item_key[ds->n_items - 1]);
    int k = (int)TT_MIN(tt_arg(a, "k")->i, (int64_t)ds->n_items - 1);
    int D = tt_model_dim(me->m);
    float *V = tt_alloc_aligned((size_t)ds->n_items * (size_t)D, sizeof(float), "item vectors", &s->err);
    int rc = -1;
    if (V && !tt_model_encode_items(me->m, ds, V, &s->err)) {
        char what[256];
        snprintf(what, sizeof what, "items nearest to %s%s%s%s by model %s's item vectors", key,
                 ds->item_title ? " (" : "", ds->item_title ? ds->item_title[it] : "",
                 ds->item_title ? ")" : "", me->def.name);
        rc = serve_top(s, ie, "similar", V + (int64_t)it * D, V, ds, D, &it, 1, k, what);
    }
    s->err_col = 0;
    free(V);
    return rc;
}

/* ---- export MODEL index FILE [index=NAME] ---- */

int tt_export_index(tt_session *s, tt_modelent *me, const char *path, const char *iname)
{
    tt_dsent *d;
    tt_indexent tmp, *ie;
    int own = 0;
    memset(&tmp, 0, sizeof tmp);
    if (!tt_ann_available())
        return tt_fail(s, 0, "%s", tt_ann_missing());
    if (iname) {
        tt_modelent *im;
        if (!(ie = need_index(s, iname, &im, &d)))
            return -1;
        if (im != me)
            return tt_fail(s, 0, "index '%s' holds the items of model '%s', not '%s'", iname,
                           ie->model, me->def.name);
        if (ie->nv > 1)
            return tt_fail(s, 0, "index '%s' holds %d vectors per item (model '%s' scores by the "
                           "FE-Block): export writes indexes of one vector per item", iname,
                           ie->nv, me->def.name);
    } else {
        /* No index named: an exact (flat) one in the model's metric. */
        if (servable(s, me, &d))
            return -1;
        vecs v = {0};
        if (item_vectors(s, me, d, &v))
            return -1;
        ie = &tmp;
        ie->p.kind = TT_ANN_FLAT;
        ie->metric = TT_IM_IP;
        int rc = tt_index_build(ie, v.V, d->d.n_items, v.d, s->seed, &s->err);
        vecs_free(&v);
        if (rc)
            return -1;
        own = 1;
    }
    char ids[4096 + 8];
    snprintf(ids, sizeof ids, "%s.ids.tsv", path);
    tt_wfile w, wi;
    int rc = -1;
    if (tt_file_begin(&w, path, &s->err))
        goto out;
    /* Faiss writes the index itself, under the temporary name. */
    fclose(w.f);
    w.f = NULL;
    if (tt_ann_write(ie->ann, w.tmp, &s->err)) {
        tt_file_abort(&w);
        goto out;
    }
    if (tt_file_begin(&wi, ids, &s->err)) {
        tt_file_abort(&w);
        goto out;
    }
    const tt_dataset *ds = &d->d;
    fprintf(wi.f, "row\titem\ttitle\n");
    for (int32_t i = 0; i < ds->n_items; i++)
        fprintf(wi.f, "%d\t%s\t%s\n", i, ds->item_key[i],
                ds->item_title && ds->item_title[i] ? ds->item_title[i] : "");
    if (tt_file_commit(&wi, &s->err)) {
        tt_file_abort(&w);
        goto out;
    }
    if (tt_file_commit(&w, &s->err))
        goto out;
    tt_rec r;
    char human[9000];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    tt_rec_str(&r, "what", "index");
    tt_rec_str(&r, "index", own ? "flat" : ie->name);
    tt_rec_str(&r, "kind", kind_names[ie->p.kind]);
    tt_rec_str(&r, "metric", metric_names[ie->metric]);
    tt_rec_str(&r, "file", path);
    tt_rec_str(&r, "ids", ids);
    tt_rec_int(&r, "rows", ds->n_items);
    snprintf(human, sizeof human, "exported %s index (%s, %d items) to %s; row -> item id in %s%s",
             kind_names[ie->p.kind], metric_names[ie->metric], ds->n_items, path, ids,
             ie->metric == TT_IM_IP2L2 ? " (queries take one more coordinate, 0)" : "");
    tt_out_info(&s->out, "export", &r, human);
    tt_rec_free(&r);
    rc = 0;
out:
    s->err_col = 0;
    if (own)
        tt_index_free(&tmp);
    return rc;
}

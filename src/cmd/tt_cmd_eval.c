/* tt_cmd_eval: eval, compare, weights, ablate and plot: reading results out
 * of models, in the session's output mode. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_inspect.h"
#include "tt_plot.h"

const char *tt_model_protocol(tt_session *s, tt_modelent *me)
{
    tt_dsent *d = tt_session_dataset(s, me->dataset);
    return d && d->has_split ? d->sp.protocol : "-";
}

/* The model's dataset, defaulting to the current one for models defined
 * before any dataset was loaded. */
static int model_data(tt_session *s, tt_modelent *me, tt_dsent **d)
{
    if (!me->dataset[0]) {
        if (!tt_session_current(s))
            return tt_fail(s, 0, "no dataset loaded: use 'load' first");
        snprintf(me->dataset, sizeof me->dataset, "%s", tt_session_current(s)->name);
    }
    return tt_need_data(s, me, d, 1);
}

/* Fit (popularity) or check (trained) the runtime model of an entry. */
int tt_model_ready(tt_session *s, tt_modelent *me, tt_dsent **dp)
{
    tt_dsent *d;
    if (model_data(s, me, &d))
        return -1;
    *dp = d;
    if (me->def.kind == TT_MODEL_POP) {
        if (me->m && me->split_gen == d->split_gen)
            return 0;
        tt_model *m = NULL;
        if (tt_model_create(&me->def, NULL, NULL, &d->d, s->seed, &m, &s->err))
            return -1;
        if (tt_model_fit_popularity(m, &d->sp, &s->err)) {
            tt_model_free(m);
            return -1;
        }
        if (me->m)
            tt_model_free(me->m);
        me->m = m;
        me->split_gen = d->split_gen;
        return 0;
    }
    if (!me->m)
        return tt_fail(s, 0, "model '%s' is not trained yet: run 'train %s'", me->def.name,
                       me->def.name);
    if (me->split_gen != d->split_gen && me->trained == 1)
        tt_session_warn(s, "model '%s' was trained on an earlier split of '%s'", me->def.name,
                        d->name);
    return 0;
}

static int sort_ks(tt_session *s, const tt_optval *v, int *ks, int *n_k)
{
    if (!v || !v->set) {
        memcpy(ks, s->ks, sizeof(int) * (size_t)s->n_k);
        *n_k = s->n_k;
        return 0;
    }
    int64_t l[TT_LIST_MAX];
    int n = v->n, m = 0;
    memcpy(l, v->list, sizeof l[0] * (size_t)n);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (l[j] < l[i]) {
                int64_t t = l[i];
                l[i] = l[j];
                l[j] = t;
            }
    for (int i = 0; i < n; i++)
        if (i == 0 || l[i] != l[i - 1]) {
            if (m == TT_MAX_K)
                return tt_fail(s, 0, "k takes at most %d cut-offs", TT_MAX_K);
            ks[m++] = (int)l[i];
        }
    *n_k = m;
    return 0;
}

int tt_eval_model(tt_session *s, tt_modelent *me, enum tt_part p, const int *ks, int n_k,
                  tt_metrics *out)
{
    tt_dsent *d;
    if (tt_model_ready(s, me, &d))
        return -1;
    const tt_examples *ex = &d->sp.part[p];
    if (ex->n == 0)
        return tt_fail(s, 0, "the %s part of '%s' is empty", tt_part_name(p), d->name);
    int D = tt_model_dim(me->m);
    float *V = tt_alloc_aligned((size_t)d->d.n_items * (size_t)D, sizeof(float), "item vectors", &s->err);
    float *Q = V ? tt_alloc_aligned((size_t)ex->n * (size_t)D, sizeof(float), "query vectors", &s->err) : NULL;
    int rc = -1;
    if (Q && !tt_model_encode_items(me->m, &d->d, V, &s->err) &&
        !tt_model_encode_queries(me->m, &d->d, ex, Q, &s->err) &&
        !tt_eval(Q, V, d->d.n_items, D, &d->sp, p, ks, n_k, out, &s->err))
        rc = 0;
    free(V);
    free(Q);
    if (rc)
        s->err_col = 0;
    return rc;
}

/* The figures people read: recall and NDCG at every k, and MRR (HitRate
 * equals Recall with one held-out item per user). */
static void metrics_people(tt_rec *r, const tt_metrics *m)
{
    char k[32];
    for (int i = 0; i < m->n_k; i++) {
        snprintf(k, sizeof k, "recall@%d", m->k[i]);
        tt_rec_num(r, k, m->recall[i], 4);
    }
    for (int i = 0; i < m->n_k; i++) {
        snprintf(k, sizeof k, "ndcg@%d", m->k[i]);
        tt_rec_num(r, k, m->ndcg[i], 4);
    }
    tt_rec_num(r, "mrr", m->mrr, 4);
}

void tt_metrics_rec(tt_rec *r, const tt_metrics *m)
{
    char k[32];
    for (int i = 0; i < m->n_k; i++) {
        snprintf(k, sizeof k, "recall@%d", m->k[i]);
        tt_rec_num(r, k, m->recall[i], 4);
    }
    for (int i = 0; i < m->n_k; i++) {
        snprintf(k, sizeof k, "ndcg@%d", m->k[i]);
        tt_rec_num(r, k, m->ndcg[i], 4);
    }
    for (int i = 0; i < m->n_k; i++) {
        snprintf(k, sizeof k, "hitrate@%d", m->k[i]);
        tt_rec_num(r, k, m->hitrate[i], 4);
    }
    tt_rec_num(r, "mrr", m->mrr, 4);
}

int tt_cmd_eval(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    int ks[TT_MAX_K], n_k;
    tt_metrics m;
    if (!me || sort_ks(s, tt_arg(a, "k"), ks, &n_k))
        return -1;
    enum tt_part p = tt_arg(a, "split")->i == 0 ? TT_VALID : TT_TEST;
    if (tt_eval_model(s, me, p, ks, n_k, &m))
        return -1;
    me->has_eval = 1;
    me->last_eval = m;
    snprintf(me->last_eval_split, sizeof me->last_eval_split, "%s", tt_part_name(p));
    tt_rec r;
    char foot[128];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    tt_rec_str(&r, "split", tt_part_name(p));
    if (s->out.mode != TT_OUT_TABLE)
        tt_rec_str(&r, "protocol", tt_model_protocol(s, me));
    if (s->out.mode == TT_OUT_TABLE) {
        metrics_people(&r, &m);     /* machines get every figure */
    } else {
        tt_metrics_rec(&r, &m);
        tt_rec_int(&r, "users", m.n_users);
    }
    snprintf(foot, sizeof foot, "protocol: %s", tt_model_protocol(s, me));
    tt_out_rows(&s->out, "eval", &r, 1, s->out.mode == TT_OUT_JSON ? NULL : foot);
    tt_rec_free(&r);
    return 0;
}

/* ---- compare ---- */

static void mean_std(const double *x, int n, double *mean, double *sd)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(v / (n - 1)) : 0;
}

int tt_cmd_compare(tt_session *s, tt_args *a)
{
    int ks[TT_MAX_K], n_k, rc = 0;
    if (sort_ks(s, tt_arg(a, "k"), ks, &n_k))
        return -1;
    enum tt_part p = tt_arg(a, "split")->i == 0 ? TT_VALID : TT_TEST;
    for (int i = 0; i < a->npos; i++) {
        if (!tt_need_model(s, a->pos[i]))
            return -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(a->pos[i]->s, a->pos[j]->s))
                return tt_fail(s, 0, "model '%s' is listed twice", a->pos[i]->s);
    }
    tt_rec *rows = calloc((size_t)a->npos, sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    const char *proto = NULL;
    int mixed = 0;
    for (int i = 0; i < a->npos && rc == 0; i++) {
        tt_modelent *me = tt_session_model(s, a->pos[i]->s);
        tt_rec *r = &rows[i];
        tt_rec_init(r);
        /* Several seeds: the stored per-seed test metrics give mean ± std,
         * when they were taken at the same cut-offs. */
        int use_runs = me->n_runs > 1 && p == TT_TEST && me->runs[0].test.n_k == n_k &&
                       !memcmp(me->runs[0].test.k, ks, sizeof(int) * (size_t)n_k);
        tt_metrics m;
        if (!use_runs && tt_eval_model(s, me, p, ks, n_k, &m)) {
            rc = -1;
            break;
        }
        const char *pr = tt_model_protocol(s, me);
        if (proto && strcmp(proto, pr))
            mixed = 1;
        proto = pr;
        tt_rec_str(r, "model", me->def.name);
        tt_rec_int(r, "params", me->m ? tt_model_param_count(me->m) : 0);
        tt_rec_int(r, "seeds", use_runs ? me->n_runs : 1);
        double sec = 0;
        for (int q = 0; q < me->n_runs; q++)
            sec += me->runs[q].seconds;
        if (me->n_runs)
            tt_rec_num(r, "train_s", sec / me->n_runs, 1);
        else
            tt_rec_null(r, "train_s");
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_str(r, "protocol", pr);
        for (int part = 0; part < 3; part++) {
            for (int k = 0; k < n_k; k++) {
                if (part == 2 && k > 0)
                    break;
                char key[48], cell[64];
                double vals[TT_MAX_RUNS], mean, sd;
                int nv = use_runs ? me->n_runs : 1;
                for (int q = 0; q < nv; q++) {
                    const tt_metrics *mm = use_runs ? &me->runs[q].test : &m;
                    vals[q] = part == 0 ? mm->recall[k] : part == 1 ? mm->ndcg[k] : mm->mrr;
                }
                mean_std(vals, nv, &mean, &sd);
                if (part == 2)
                    snprintf(key, sizeof key, "mrr");
                else
                    snprintf(key, sizeof key, "%s@%d", part ? "ndcg" : "recall", ks[k]);
                if (s->out.mode == TT_OUT_TABLE && nv > 1) {
                    snprintf(cell, sizeof cell, "%.4f ± %.4f", mean, sd);
                    tt_rec_str(r, key, cell);
                } else {
                    tt_rec_num(r, key, mean, 4);
                    if (s->out.mode != TT_OUT_TABLE) {
                        char sk[64];
                        snprintf(sk, sizeof sk, "%s_std", key);
                        if (nv > 1)
                            tt_rec_num(r, sk, sd, 4);
                        else
                            tt_rec_null(r, sk);
                    }
                }
            }
        }
    }
    if (rc == 0) {
        char foot[160];
        snprintf(foot, sizeof foot, "split: %s, protocol: %s%s", tt_part_name(p),
                 mixed ? "mixed" : proto ? proto : "-",
                 mixed ? " (the models were evaluated under different protocols)" : "");
        /* Mixing text cells (mean ± std) and numbers in a column would
         * misalign: in tables every metric column of a multi-seed compare
         * is text, right-aligned by padding below. */
        tt_out_rows(&s->out, "compare", rows, a->npos,
                    s->out.mode == TT_OUT_JSON ? NULL : foot);
    }
    for (int i = 0; i < a->npos; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    return rc;
}

/* ---- weights and ablate ---- */

static int side_of(const char *w)
{
    return !strcmp(w, "user") ? 0 : !strcmp(w, "item") ? 1 : 2;
}

int tt_cmd_weights(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    if (!me || tt_model_ready(s, me, &d))
        return -1;
    if (me->def.kind == TT_MODEL_POP || (!me->u.senet && !me->i.senet))
        return tt_fail(s, 0, "model '%s' has no SENet stage: no excitation weights to show",
                       me->def.name);
    int side = side_of(tt_arg(a, "tower")->s);
    enum tt_part part = (enum tt_part)tt_arg(a, "split")->i;    /* train|valid|test */
    const char *by = tt_arg(a, "by")->s;
    for (int sd = 0; sd < 2; sd++) {
        if (side != 2 && side != sd)
            continue;
        if (!(sd ? me->i.senet : me->u.senet)) {
            if (side != 2)
                return tt_fail(s, 0, "the %s tower of '%s' has no SENet stage", sd ? "item" : "user",
                               me->def.name);
            continue;
        }
        char foot[1024];
        snprintf(foot, sizeof foot, "%s tower of %s, %s (suppressed: mean below half the tower's median)",
                 sd ? "item" : "user", me->def.name, sd ? "over all items" : tt_part_name(part));
        if (!by) {
            tt_weight_stat st[TT_MAX_FIELDS];
            tt_excitation x;
            int n = tt_inspect_weights(me->m, sd, &d->d, &d->sp, part, st, TT_MAX_FIELDS, &s->err);
            if (n < 0 || tt_inspect_excitation(me->m, sd, &d->d, &d->sp, part, st, n, &x, &s->err))
                return -1;
            if (x.constant) {   /* said in place: on the rows and under them */
                char why[640];
                tt_inspect_constant_why(&x, sd ? "item" : "example", why, sizeof why);
                snprintf(foot, sizeof foot, "%s tower of %s, %s: %s", sd ? "item" : "user",
                         me->def.name, sd ? "over all items" : tt_part_name(part), why);
                if (s->out.mode == TT_OUT_TABLE)
                    tt_wrap_words(foot, 79);
            }
            tt_rec rows[TT_MAX_FIELDS];
            for (int i = 0; i < n; i++) {
                tt_rec_init(&rows[i]);
                tt_rec_str(&rows[i], "model", me->def.name);
                tt_rec_str(&rows[i], "side", sd ? "item" : "user");
                tt_rec_str(&rows[i], "feature", st[i].feature);
                tt_rec_num(&rows[i], "mean", st[i].mean, 3);
                tt_rec_num(&rows[i], "std", st[i].std, 3);
                tt_rec_num(&rows[i], "min", st[i].min, 3);
                tt_rec_num(&rows[i], "max", st[i].max, 3);
                tt_rec_bool(&rows[i], "suppressed", st[i].suppressed);
                tt_rec_str(&rows[i], "excitation", x.constant ? "constant" : "varies");
            }
            tt_out_rows(&s->out, "weights", rows, n, s->out.mode == TT_OUT_JSON ? NULL : foot);
            for (int i = 0; i < n; i++)
                tt_rec_free(&rows[i]);
        } else {
            tt_weight_groups g;
            memset(&g, 0, sizeof g);
            if (tt_inspect_weights_by(me->m, sd, &d->d, &d->sp, part, by, &g, &s->err) < 0)
                return -1;
            tt_rec *rows = calloc((size_t)(g.n_groups ? g.n_groups : 1), sizeof *rows);
            if (!rows) {
                tt_weight_groups_free(&g);
                return tt_fail(s, 0, "out of memory");
            }
            for (int i = 0; i < g.n_groups; i++) {
                tt_rec_init(&rows[i]);
                tt_rec_str(&rows[i], by, g.labels[i]);
                tt_rec_int(&rows[i], "count", g.count[i]);
                for (int f = 0; f < g.n_feat && f < TT_REC_MAX - 3; f++)
                    tt_rec_num(&rows[i], g.stat[(size_t)i * (size_t)g.n_feat + (size_t)f].feature,
                               g.stat[(size_t)i * (size_t)g.n_feat + (size_t)f].mean, 3);
            }
            tt_out_rows(&s->out, "weights_by", rows, g.n_groups, s->out.mode == TT_OUT_JSON ? NULL : foot);
            for (int i = 0; i < g.n_groups; i++)
                tt_rec_free(&rows[i]);
            free(rows);
            tt_weight_groups_free(&g);
        }
    }
    return 0;
}

/* Dataset feature indexes a model's tower reads (its fields, or its side's). */
static int tower_features(const tt_dataset *d, const tt_tower_def *t, int side, int *out, int max)
{
    int n = 0;
    if (t->n_fields) {
        for (int i = 0; i < t->n_fields && n < max; i++) {
            int f = tt_dataset_find(d, t->fields[i]);
            if (f >= 0)
                out[n++] = f;
        }
        return n;
    }
    for (int f = 0; f < d->n_feat && n < max; f++) {
        enum tt_side sd = d->feat[f].side;
        if ((side == 0 && (sd == TT_USER || sd == TT_CTX)) || (side == 1 && sd == TT_ITEM))
            out[n++] = f;
    }
    return n;
}

int tt_cmd_ablate(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    int ks[TT_MAX_K], n_k;
    if (!me || sort_ks(s, tt_arg(a, "k"), ks, &n_k) || tt_model_ready(s, me, &d))
        return -1;
    if (me->def.kind == TT_MODEL_POP)
        return tt_fail(s, 0, "a popularity model reads no features");
    int feats[2 * TT_MAX_FIELDS + TT_POS_MAX], nf = 0;
    if (a->npos > 1) {
        for (int i = 1; i < a->npos; i++) {
            int f = tt_dataset_find(&d->d, a->pos[i]->s);
            if (f < 0) {
                const char *c[256];
                int n = 0;
                for (int q = 0; q < d->d.n_feat && n < 256; q++)
                    c[n++] = d->d.feat[q].name;
                const char *sug = tt_suggest(a->pos[i]->s, c, n);
                if (sug)
                    return tt_fail(s, 0, "no feature '%s' in '%s': did you mean '%s'?", a->pos[i]->s,
                                   d->name, sug);
                return tt_fail(s, 0, "no feature '%s' in '%s' (see 'features')", a->pos[i]->s, d->name);
            }
            feats[nf++] = f;
        }
    } else {
        nf = tower_features(&d->d, &me->u, 0, feats, TT_MAX_FIELDS);
        nf += tower_features(&d->d, &me->i, 1, feats + nf, TT_MAX_FIELDS);
    }
    enum tt_part p = tt_arg(a, "split")->i == 0 ? TT_VALID : TT_TEST;
    enum tt_ablate_mode mode = (enum tt_ablate_mode)tt_arg(a, "mode")->i;
    uint64_t seed = tt_arg(a, "seed")->set ? (uint64_t)tt_arg(a, "seed")->i : s->seed;
    tt_rec *rows = calloc((size_t)nf + 1, sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    int rc = 0, kk = n_k > 1 ? 1 : 0, nr = 0;
    char dk[48];
    snprintf(dk, sizeof dk, "delta_recall@%d", ks[kk]);
    for (int i = 0; i < nf; i++) {
        tt_metrics base, abl;
        if (tt_inspect_ablate(me->m, &d->d, &d->sp, p, feats[i], mode, seed, ks, n_k, &base, &abl,
                              &s->err)) {
            rc = -1;
            break;
        }
        if (i == 0) {
            tt_rec_init(&rows[nr]);
            tt_rec_str(&rows[nr], "model", me->def.name);
            tt_rec_str(&rows[nr], "feature", "(none)");
            tt_rec_str(&rows[nr], "side", "-");
            (s->out.mode == TT_OUT_TABLE ? metrics_people : tt_metrics_rec)(&rows[nr], &base);
            tt_rec_num(&rows[nr], dk, 0, 4);
            nr++;
        }
        tt_rec_init(&rows[nr]);
        tt_rec_str(&rows[nr], "model", me->def.name);
        tt_rec_str(&rows[nr], "feature", d->d.feat[feats[i]].name);
        tt_rec_str(&rows[nr], "side", tt_side_name(d->d.feat[feats[i]].side));
        (s->out.mode == TT_OUT_TABLE ? metrics_people : tt_metrics_rec)(&rows[nr], &abl);
        tt_rec_num(&rows[nr], dk, abl.recall[kk] - base.recall[kk], 4);
        nr++;
    }
    if (rc == 0) {
        char foot[160];
        snprintf(foot, sizeof foot, "%s features on %s (protocol: %s)",
                 mode == TT_ABLATE_ZERO ? "zeroed" : "shuffled", tt_part_name(p),
                 tt_model_protocol(s, me));
        tt_out_rows(&s->out, "ablate", rows, nr, s->out.mode == TT_OUT_JSON ? NULL : foot);
    }
    for (int i = 0; i < nr; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    return rc;
}

/* ---- plot ---- */

int tt_cmd_plot(tt_session *s, tt_args *a)
{
    static const char *what[] = {"recall", "loss", "weights", "weights-history"};
    const char *w = a->pos[0]->s;
    int kind = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(w, what[i]))
            kind = i;
    if (kind < 0) {
        const char *sug = tt_suggest(w, what, 4);
        if (sug)
            return tt_fail(s, 0, "cannot plot '%s': did you mean '%s'?", w, sug);
        return tt_fail(s, 0, "cannot plot '%s' (expected loss, recall, weights or weights-history)", w);
    }
    /* `to FILE` at the end writes a file (as file=FILE does). */
    int npos = a->npos;
    const char *to = NULL;
    if (npos >= 2 && !strcmp(a->pos[npos - 2]->s, "to")) {
        to = a->pos[npos - 1]->s;
        npos -= 2;
    } else if (npos >= 1 && !strcmp(a->pos[npos - 1]->s, "to")) {
        return tt_fail(s, 0, "'to' needs a file: plot %s ... to FILE.png", w);
    }
    tt_plot_req r;
    memset(&r, 0, sizeof r);
    r.term = s->plot_term;
    if (tt_arg(a, "term")->set)
        r.term = (enum tt_plot_term)tt_arg(a, "term")->i;
    r.file = r.term == TT_PLOT_FILE ? s->plot_file : NULL;
    if (tt_arg(a, "file")->set || to) {
        r.term = TT_PLOT_FILE;
        r.file = to ? to : tt_arg(a, "file")->s;
    }
    tt_modelent *ms[TT_POS_MAX];
    int nm = 0;
    for (int i = 1; i < npos; i++)
        if (!(ms[nm++] = tt_need_model(s, a->pos[i])))
            return -1;
    if (nm == 0 && kind < 2)
        for (int i = 0; i < s->n_models && nm < TT_POS_MAX; i++)
            if (s->models[i].res)
                ms[nm++] = &s->models[i];
    if (kind >= 2 && nm != 1)
        return tt_fail(s, 0, "plot %s takes one model: plot %s MODEL", w, w);
    if (nm == 0)
        return tt_fail(s, 0, "nothing to plot: no model has been trained yet");
    /* One series per model, or per seed of a model trained with seeds=. */
    enum { NSER = TT_POS_MAX * TT_MAX_RUNS };
    tt_series ser[NSER];
    char (*label)[TT_NAME_MAX + 32] = calloc(NSER, sizeof *label);
    double (*y)[TT_SNAP_MAX_EPOCHS] = calloc(NSER, sizeof *y);
    if (!y || !label) {
        free(y);
        free(label);
        return tt_fail(s, 0, "out of memory");
    }
    int ns = 0, rc = 0;
    if (kind < 2) {
        r.title = kind == 0 ? "valid Recall@20 per epoch" : "training loss per epoch";
        r.xlabel = "epoch";
        r.ylabel = kind == 0 ? "Recall@20" : "loss";
        for (int i = 0; i < nm; i++) {
            tt_train_result *res = ms[i]->res;
            if (!res) {
                rc = tt_fail(s, 0, "model '%s' has no training history", ms[i]->def.name);
                break;
            }
            if (ms[i]->n_runs > 1 && ms[i]->runs[0].n_curve > 0) {
                for (int q = 0; q < ms[i]->n_runs && ns < NSER; q++) {
                    const tt_run *ru = &ms[i]->runs[q];
                    for (int e = 0; e < ru->n_curve; e++)
                        y[ns][e] = kind == 0 ? ru->recall20[e] : ru->loss[e];
                    snprintf(label[ns], sizeof label[ns], "%s seed %llu", ms[i]->def.name,
                             (unsigned long long)ru->seed);
                    ser[ns] = (tt_series){label[ns], ru->n_curve, NULL, y[ns]};
                    ns++;
                }
                continue;
            }
            for (int e = 0; e < res->n_epochs; e++) {
                const tt_metrics *m = &res->epoch_valid[e];
                int k = 0;
                for (int q = 0; q < m->n_k; q++)
                    if (m->k[q] == 20)
                        k = q;
                y[ns][e] = kind == 0 ? (m->n_k ? m->recall[k] : NAN) : res->epoch_loss[e];
            }
            ser[ns] = (tt_series){ms[i]->def.name, res->n_epochs, NULL, y[ns]};
            ns++;
        }
    } else {
        tt_modelent *me = ms[0];
        tt_dsent *d;
        int side = side_of(tt_arg(a, "tower")->s);
        if (tt_model_ready(s, me, &d)) {
            free(y);
            free(label);
            return -1;
        }
        if (kind == 2) {
            tt_weight_stat st[TT_MAX_FIELDS];
            int n = tt_inspect_weights(me->m, side, &d->d, &d->sp, TT_VALID, st, TT_MAX_FIELDS, &s->err);
            if (n <= 0)
                rc = n < 0 ? -1 : tt_fail(s, 0, "the %s tower of '%s' has no SENet stage",
                                          side ? "item" : "user", me->def.name);
            for (int i = 0; i < n; i++) {
                y[i][0] = st[i].mean;
                ser[ns++] = (tt_series){st[i].feature, 1, NULL, y[i]};
            }
            r.bars = 1;
            r.title = "mean SENet excitation weight per feature";
            r.ylabel = "weight";
        } else {
            const char *names[TT_MAX_FIELDS];
            int f = tt_model_senet_fields(me->m, side, names);
            if (!me->res || f == 0)
                rc = tt_fail(s, 0, "model '%s' has no SENet weight history (train it with a senet stage)",
                             me->def.name);
            for (int i = 0; rc == 0 && i < f; i++) {
                for (int e = 0; e < me->res->n_epochs; e++)
                    y[i][e] = me->res->se_hist[side][e][i];
                ser[ns++] = (tt_series){names[i], me->res->n_epochs, NULL, y[i]};
            }
            r.title = "SENet weight per feature over training";
            r.xlabel = "epoch";
            r.ylabel = "mean weight";
        }
    }
    if (rc == 0) {
        r.n_series = ns;
        r.series = ser;
        /* Text plots go to stdout, except when stdout carries JSON. */
        if (tt_plot(&r, s->out.mode == TT_OUT_JSON ? stderr : s->out.f, &s->err))
            rc = -1;
        else if (r.term == TT_PLOT_FILE) {
            tt_rec rec;
            char human[700];
            tt_rec_init(&rec);
            tt_rec_str(&rec, "file", r.file);
            snprintf(human, sizeof human, "plot written to %s", r.file);
            tt_out_info(&s->out, "plot", &rec, human);
            tt_rec_free(&rec);
        }
    }
    free(y);
    free(label);
    return rc;
}

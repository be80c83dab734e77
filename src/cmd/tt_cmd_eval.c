/* tt_cmd_eval: eval and compare: the ranking metrics of models on a split,
 * in the session's output mode (weights and ablate are in tt_cmd_weights.c,
 * plot in tt_cmd_plot.c). */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_score.h"

void tt_dataref_fill(tt_dataref *r, const tt_dsent *d)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", d->name);
    snprintf(r->source, sizeof r->source, "%s", d->d.source ? d->d.source : "");
    snprintf(r->split, sizeof r->split, "%s", d->has_split ? d->sp.desc : "");
    snprintf(r->protocol, sizeof r->protocol, "%s", d->has_split ? d->sp.protocol : "-");
}

void tt_model_dataref(tt_session *s, const tt_modelent *me, tt_dataref *out)
{
    tt_dsent *d = tt_session_dataset(s, me->dataset);
    if (me->data.name[0] && !tt_mkind_get(me->def.kind)->auto_fit)
        *out = me->data;
    else if (d)
        tt_dataref_fill(out, d);
    else {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", me->dataset);
    }
}

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
    if (tt_mkind_get(me->def.kind)->auto_fit) {
        /* Cheap to fit (popularity): fitted here, on the current split. */
        if (me->m && me->split_gen == d->split_gen)
            return 0;
        tt_model *m = NULL;
        if (tt_model_create(&me->def, NULL, NULL, &d->d, s->seed, &m, &s->err))
            return -1;
        if (tt_model_fit(m, &d->d, &d->sp, 1, NULL, &s->err)) {
            tt_model_free(m);
            return -1;
        }
        if (me->m)
            tt_model_free(me->m);
        me->m = m;
        me->split_gen = d->split_gen;
        tt_dataref_fill(&me->data, d);
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

int tt_ks_arg(tt_session *s, const tt_optval *v, int *ks, int *n_k)
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

/* The model ready to score part p of its dataset, which has examples. */
static int ready_part(tt_session *s, tt_modelent *me, enum tt_part p, tt_dsent **dp)
{
    if (tt_model_ready(s, me, dp))
        return -1;
    if ((*dp)->sp.part[p].n == 0)
        return tt_fail(s, 0, "the %s part of '%s' is empty", tt_part_name(p), (*dp)->name);
    return 0;
}

int tt_eval_model(tt_session *s, tt_modelent *me, enum tt_part p, const int *ks, int n_k,
                  tt_metrics *out)
{
    tt_dsent *d;
    if (ready_part(s, me, p, &d))
        return -1;
    int rc = tt_score_eval(me->m, &d->d, &d->sp, p, ks, n_k, out, &s->err);
    if (rc)
        s->err_col = 0;
    return rc;
}

void tt_rec_at_k(tt_rec *r, const char *name, const int *ks, int n_k, const double *v)
{
    char key[48];
    for (int i = 0; i < n_k; i++) {
        snprintf(key, sizeof key, "%s@%d", name, ks[i]);
        tt_rec_num(r, key, v[i], 4);
    }
}

void tt_rec_headline(tt_rec *r)
{
    const char *head = NULL;
    for (int i = 0; i < r->n && !head; i++)
        if (!strcmp(r->f[i].key, "recall@20"))
            head = r->f[i].key;
    for (int i = 0; i < r->n && !head; i++)
        if (!strncmp(r->f[i].key, "recall@", 7))
            head = r->f[i].key;
    for (int i = 0; i < r->n && !head; i++)
        if (strstr(r->f[i].key, "recall@"))
            head = r->f[i].key;
    if (head)
        tt_rec_prio(r, head, TT_COL_KEY);
    tt_rec_prio(r, "ndcg@20", TT_COL_WANT);
}

/* Recall and NDCG at every k, HitRate when all or when it differs from
 * Recall anywhere, then MRR. */
static void metrics_fields(tt_rec *r, const tt_metrics *m, int all)
{
    tt_rec_at_k(r, "recall", m->k, m->n_k, m->recall);
    tt_rec_at_k(r, "ndcg", m->k, m->n_k, m->ndcg);
    int differs = all;
    for (int i = 0; !differs && i < m->n_k; i++)
        differs = fabs(m->hitrate[i] - m->recall[i]) > 5e-5;
    if (differs)
        tt_rec_at_k(r, "hitrate", m->k, m->n_k, m->hitrate);
    tt_rec_num(r, "mrr", m->mrr, 4);
}

void tt_metrics_people(tt_rec *r, const tt_metrics *m)
{
    /* HitRate equals Recall when each user holds out one item (l2o): shown
     * only where it says something (several held-out items per user). */
    metrics_fields(r, m, 0);
}

void tt_metrics_rec(tt_rec *r, const tt_metrics *m)
{
    metrics_fields(r, m, 1);
}

/* The beyond-accuracy fields of r, for every k of ks[0..n_k): coverage@k,
 * then gini@k, then pop@k, from b, or null when b is NULL (a model that
 * cannot score the split). */
static void beyond_fields(tt_rec *r, const tt_beyond *b, const int *ks, int n_k)
{
    static const char *what[3] = {"coverage", "gini", "pop"};
    char k[32];
    for (int w = 0; w < 3; w++)
        for (int i = 0; i < n_k; i++) {
            snprintf(k, sizeof k, "%s@%d", what[w], ks[i]);
            if (!b)
                tt_rec_null(r, k);
            else
                tt_rec_num(r, k, w == 0 ? b->coverage[i] : w == 1 ? b->gini[i] : b->pop[i],
                           w == 2 ? 1 : 4);
        }
}

/* Beyond-accuracy figures of a model into r: coverage, Gini and mean
 * popularity at every k. */
static int beyond_rec(tt_session *s, tt_modelent *me, enum tt_part p, const int *ks, int n_k,
                      tt_rec *r)
{
    tt_dsent *d;
    tt_beyond b;
    if (tt_model_ready(s, me, &d) ||
        tt_score_beyond(me->m, &d->d, &d->sp, p, ks, n_k, &b, &s->err))
        return -1;
    beyond_fields(r, &b, b.k, b.n_k);
    return 0;
}

/* eval MODEL by=item_pop|user_activity: one row per slice, with its count. */
static int eval_slices(tt_session *s, tt_modelent *me, enum tt_part p, const int *ks, int n_k,
                       enum tt_slice_by by)
{
    tt_dsent *d;
    if (ready_part(s, me, p, &d))
        return -1;
    const tt_examples *ex = &d->sp.part[p];
    int64_t *ranks = tt_alloc((size_t)ex->n, sizeof *ranks, "ranks", &s->err);
    uint8_t *slice = tt_alloc((size_t)ex->n, 1, "slices", &s->err);
    tt_rec rows[TT_SLICES];
    int rc = -1, nr = 0;
    if (!ranks || !slice || tt_score_ranks(me->m, &d->d, &d->sp, p, ranks, &s->err) ||
        tt_slice_assign(&d->sp, p, by, slice, &s->err))
        goto out;
    for (int q = 0; q < TT_SLICES; q++) {
        tt_metrics m;
        int64_t cnt = 0;
        for (int64_t e = 0; e < ex->n; e++)
            cnt += slice[e] == q;
        if (tt_slice_metrics(ranks, &d->sp, p, slice, q, ks, n_k, &m, &s->err))
            goto out;
        tt_rec *r = &rows[nr++];
        tt_rec_init(r);
        tt_rec_str(r, "model", me->def.name);
        tt_rec_str(r, "split", tt_part_name(p));
        tt_rec_str(r, "slice", tt_slice_name(by, q));
        tt_rec_int(r, "count", cnt);
        if (s->out.mode != TT_OUT_TABLE)
            tt_rec_str(r, "protocol", tt_model_protocol(s, me));
        if (s->out.mode == TT_OUT_TABLE) {
            tt_metrics_people(r, &m);
        } else {
            tt_metrics_rec(r, &m);
            tt_rec_int(r, "users", m.n_users);
        }
        tt_rec_prio(r, "model", TT_COL_KEY);
        tt_rec_prio(r, "slice", TT_COL_KEY);
        tt_rec_prio(r, "count", TT_COL_WANT);
        tt_rec_headline(r);
    }
    char foot[256];
    snprintf(foot, sizeof foot, "protocol: %s; %s", tt_model_protocol(s, me),
             by == TT_SLICE_ITEM_POP
                 ? "head, torso, tail: targets among the items holding the first, second and last third of training interactions"
                 : "light, medium, heavy: thirds of the users by training interactions");
    tt_out_rows(&s->out, "eval", rows, nr, s->out.mode == TT_OUT_JSON ? NULL : foot);
    rc = 0;
out:
    for (int q = 0; q < nr; q++)
        tt_rec_free(&rows[q]);
    free(ranks);
    free(slice);
    if (rc)
        s->err_col = 0;
    return rc;
}

int tt_cmd_eval(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    int ks[TT_MAX_K], n_k;
    tt_metrics m;
    tt_eval_args o;
    if (!me || tt_ks_arg(s, tt_arg(a, "k"), ks, &n_k))
        return -1;
    tt_bind_eval.init(&o);
    tt_args_apply(a, &tt_bind_eval, &o);
    enum tt_part p = tt_args_part(o.split);
    if (o.index)
        return tt_eval_index(s, me, o.index, p, ks, n_k);
    if (tt_arg(a, "by")->set)
        return eval_slices(s, me, p, ks, n_k, (enum tt_slice_by)tt_arg(a, "by")->i);
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
        tt_metrics_people(&r, &m);     /* machines get every figure */
    } else {
        tt_metrics_rec(&r, &m);
        tt_rec_int(&r, "users", m.n_users);
    }
    if (o.beyond && beyond_rec(s, me, p, ks, n_k, &r)) {
        tt_rec_free(&r);
        return -1;
    }
    snprintf(foot, sizeof foot, "protocol: %s", tt_model_protocol(s, me));
    tt_rec_prio(&r, "model", TT_COL_KEY);
    tt_rec_headline(&r);
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

/* compare's row for a model that cannot score a cold split: its metrics null. */
static void cold_row(tt_session *s, tt_modelent *me, tt_rec *r, const int *ks, int n_k,
                     const char *method, int tt_arg_beyond)
{
    char key[48];
    tt_rec_str(r, "model", me->def.name);
    tt_rec_int(r, "params", me->m ? tt_model_param_count(me->m) : 0);
    tt_rec_int(r, "seeds", 0);
    tt_rec_null(r, "train_s");
    if (s->out.mode != TT_OUT_TABLE)
        tt_rec_str(r, "protocol", tt_model_protocol(s, me));
    for (int part = 0; part < 3; part++)
        for (int k = 0; k < n_k && !(part == 2 && k > 0); k++) {
            if (part == 2)
                snprintf(key, sizeof key, "mrr");
            else
                snprintf(key, sizeof key, "%s@%d", part ? "ndcg" : "recall", ks[k]);
            tt_rec_null(r, key);
            if (s->out.mode != TT_OUT_TABLE) {
                char sk[64];
                snprintf(sk, sizeof sk, "%s_std", key);
                tt_rec_null(r, sk);
            }
        }
    if (tt_arg_beyond)
        beyond_fields(r, NULL, ks, n_k);
    if (s->out.mode == TT_OUT_JSON)
        tt_rec_str(r, "cannot_score", method);
}

/* 1 when me's dataset holds a cold split that me's kind cannot score. */
static int cold_refused(tt_session *s, const tt_modelent *me)
{
    tt_dsent *dd = tt_session_dataset(s, me->dataset);
    return dd && dd->has_split && tt_split_is_cold(&dd->sp) && !tt_mkind_get(me->def.kind)->cold;
}

int tt_cmd_compare(tt_session *s, tt_args *a)
{
    int ks[TT_MAX_K], n_k, rc = 0;
    tt_eval_args o;
    if (tt_ks_arg(s, tt_arg(a, "k"), ks, &n_k))
        return -1;
    tt_bind_eval.init(&o);
    tt_args_apply(a, &tt_bind_eval, &o);
    enum tt_part p = tt_args_part(o.split);
    for (int i = 0; i < a->npos; i++) {
        if (!tt_need_model(s, a->pos[i]))
            return -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(a->pos[i]->s, a->pos[j]->s))
                return tt_fail(s, 0, "model '%s' is listed twice", a->pos[i]->s);
    }
    /* Metrics of different datasets or splits do not compare: refuse, naming
     * both, unless asked to show them with their dataset. */
    int show_ds = o.datasets;
    /* (models that cannot score the current cold split get an empty row,
     * whatever they were fitted on: they take no part in this check) */
    int first = 0;
    while (first < a->npos && cold_refused(s, tt_session_model(s, a->pos[first]->s)))
        first++;
    for (int i = first + 1; i < a->npos && !show_ds; i++) {
        tt_dataref r0, ri;
        tt_modelent *m0 = tt_session_model(s, a->pos[first]->s), *mi = tt_session_model(s, a->pos[i]->s);
        if (cold_refused(s, mi))
            continue;
        tt_model_dataref(s, m0, &r0);
        tt_model_dataref(s, mi, &ri);
        /* the same source and split are the same data, whatever the name */
        if (strcmp(r0.source, ri.source) || strcmp(r0.split, ri.split))
            return tt_fail(s, 0, "'%s' belongs to dataset '%s' (%s; split %s) and '%s' to dataset '%s' (%s; split %s): "
                           "their metrics do not compare (datasets=on lists them anyway, with a dataset column)",
                           m0->def.name, r0.name, r0.source[0] ? r0.source : "?", r0.split[0] ? r0.split : "none",
                           mi->def.name, ri.name, ri.source[0] ? ri.source : "?", ri.split[0] ? ri.split : "none");
    }
    tt_rec *rows = calloc((size_t)a->npos, sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    const char *proto = NULL;
    int mixed = 0, j_cold = 0;
    char cold[256] = "", notes[600] = "";
    for (int i = 0; i < a->npos && rc == 0; i++) {
        tt_modelent *me = tt_session_model(s, a->pos[i]->s);
        tt_rec *r = &rows[i];
        tt_rec_init(r);
        /* Several seeds: the stored per-seed test metrics give mean ± std at
         * every cut-off they were taken at (the session's k when trained);
         * kix maps the asked cut-offs onto them. Only the last seed's model
         * is kept, so other cut-offs or the valid part can only be of it:
         * then the table says so. */
        int kix[TT_MAX_K], use_runs = me->n_runs > 1 && p == TT_TEST;
        for (int k = 0; k < n_k && use_runs; k++) {
            kix[k] = tt_history_k(&me->runs[0].test, ks[k]);
            use_runs = kix[k] >= 0;
        }
        if (me->n_runs > 1 && !use_runs) {
            size_t j = strlen(notes);
            char kept[64] = "";
            for (int k = 0, w = 0; k < me->runs[0].test.n_k; k++)
                w += snprintf(kept + w, sizeof kept - (size_t)w, "%s%d", k ? "," : "",
                              me->runs[0].test.k[k]);
            snprintf(notes + j, sizeof notes - j,
                     "\n%s: trained with %d seeds, but only the last seed's model (seed %llu) is kept: "
                     "these metrics are of it alone (mean ± std needs split=test and k among %s)",
                     me->def.name, me->n_runs, (unsigned long long)me->runs[me->n_runs - 1].seed, kept);
        }
        tt_metrics m;
        tt_dsent *dd = tt_session_dataset(s, me->dataset);
        if (cold_refused(s, me)) {
            /* A kind that scores from interactions cannot rank what has none:
             * a row saying so, never zeros. */
            cold_row(s, me, r, ks, n_k, dd->sp.method, o.beyond);
            j_cold += snprintf(cold + j_cold, sizeof cold - (size_t)j_cold, "%s%s",
                               j_cold ? ", " : "", me->def.name);
            continue;
        }
        if (!use_runs && tt_eval_model(s, me, p, ks, n_k, &m)) {
            rc = -1;
            break;
        }
        const char *pr = tt_model_protocol(s, me);
        if (proto && strcmp(proto, pr))
            mixed = 1;
        proto = pr;
        tt_rec_str(r, "model", me->def.name);
        if (show_ds || s->out.mode != TT_OUT_TABLE) {
            tt_dataref dr;
            tt_model_dataref(s, me, &dr);
            tt_rec_str(r, "dataset", dr.name);
            if (s->out.mode != TT_OUT_TABLE) {
                tt_rec_str(r, "dataset_source", dr.source);
                tt_rec_str(r, "dataset_split", dr.split);
            }
        }
        tt_rec_int(r, "params", me->m ? tt_model_param_count(me->m) : 0);
        if (s->out.mode != TT_OUT_TABLE) {
            /* results depend on the thread count: machines get it */
            int thr = me->n_runs ? me->runs[me->n_runs - 1].threads : 0;
            if (thr > 0)
                tt_rec_int(r, "threads", thr);
            else
                tt_rec_null(r, "threads");
        }
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
                    int kk = use_runs ? kix[k] : k;
                    vals[q] = part == 0 ? mm->recall[kk] : part == 1 ? mm->ndcg[kk] : mm->mrr;
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
        /* narrow tables keep the model and its headline figure */
        tt_rec_prio(r, "model", TT_COL_KEY);
        tt_rec_headline(r);
        tt_rec_prio(r, "dataset", TT_COL_WANT);
        tt_rec_prio(r, "seeds", TT_COL_WANT);
        tt_rec_prio(r, "params", TT_COL_OPTIONAL);
        tt_rec_prio(r, "train_s", TT_COL_OPTIONAL);
        /* beyond=on: the last run's model (the one the session keeps) */
        if (o.beyond && beyond_rec(s, me, p, ks, n_k, r)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        char foot[1200];
        int jf = snprintf(foot, sizeof foot, "split: %s, protocol: %s%s%s", tt_part_name(p),
                          mixed ? "mixed" : proto ? proto : "-",
                          mixed ? " (the models were evaluated under different protocols)" : "",
                          notes);
        if (j_cold && jf < (int)sizeof foot)
            snprintf(foot + jf, sizeof foot - (size_t)jf,
                     "\n%s: cannot score cold items or users (they score from training interactions, and these have none)",
                     cold);
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

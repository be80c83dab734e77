/* tt_cmd_tune: tune MODEL PARAM=v1,v2,... [PARAM2=...] [metric=recall@20]:
 * a grid over a baseline's options or a two-tower's knobs and model options
 * (numbers, or words: loss=softmax,inbatch, user=u,us), each setting fitted
 * or trained on the training part and scored on valid only; the best by
 * valid becomes the model, and its test metrics are reported once. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_score.h"

#define TUNE_PARAMS 4
#define TUNE_VALUES TT_LIST_MAX
#define TUNE_GRID 256

/* The knobs of a two-tower a grid may turn: model, training and tower. */
static const char *const tower_knobs[] = {"temp", "lr", "epochs", "batch", "wd", "dim", "r"};
#define N_TOWER_KNOBS ((int)(sizeof tower_knobs / sizeof *tower_knobs))

/* A parameter and its values. A two-tower's model option (anything `with`
 * takes: loss, sim, user, item, sampler, neg ...) keeps its values as words
 * and is applied as `with` would (word = 1); the numeric knobs (temp, lr,
 * epochs, batch, wd, dim, r) and a baseline's options are numbers. */
typedef struct tune_param {
    char key[32];
    int n, word;
    double v[TUNE_VALUES];
    char w[TUNE_VALUES][TT_NAME_MAX];
} tune_param;

/* 1 when key is one of the two-tower's numeric knobs. */
static int is_knob(const char *key)
{
    for (int i = 0; i < N_TOWER_KNOBS; i++)
        if (!strcmp(tower_knobs[i], key))
            return 1;
    return 0;
}

/* Apply value q of word parameter tp to two-tower entry e, as `with`. */
static int apply_word(tt_session *s, const tune_param *tp, int q, tt_modelent *e)
{
    char kv[sizeof tp->key + TT_NAME_MAX + 2];
    int eq = snprintf(kv, sizeof kv, "%s=", tp->key) - 1;
    snprintf(kv + eq + 1, sizeof kv - (size_t)eq - 1, "%s", tp->w[q]);
    tt_tok tk = {TT_TOK_WORD, kv, 0, 0, eq};
    return tt_model_with_opts(s, e, &tk, 1);
}

/* The parameter's name for model me, or an error that lists what it takes. */
static int check_param(tt_session *s, const tt_modelent *me, const char *key)
{
    const char *names[TT_KOPT_MAX + N_TOWER_KNOBS + TT_OPT_MAX];
    int n = 0;
    if (me->def.kind == TT_MODEL_TWOTOWER) {
        for (int i = 0; i < N_TOWER_KNOBS; i++)
            names[n++] = tower_knobs[i];
        for (const tt_optspec *o = tt_model_opts; o->key && n < (int)(sizeof names / sizeof *names); o++)
            if (!is_knob(o->key))
                names[n++] = o->key;
    } else {
        const tt_mkind *K = tt_mkind_get(me->def.kind);
        for (; n < TT_KOPT_MAX && K->opts[n].name; n++)
            names[n] = K->opts[n].name;
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], key))
            return 0;
    const char *kind = tt_mkind_get(me->def.kind)->name;
    const char *sug = tt_suggest(key, names, n);
    if (sug)
        return tt_fail(s, 0, "tune: unknown parameter '%s' for %s: did you mean '%s'?", key, kind,
                       sug);
    char list[512];
    int j = 0;
    list[0] = 0;
    for (int i = 0; i < n && j < (int)sizeof list; i++)
        j += snprintf(list + j, sizeof list - (size_t)j, "%s%s", i ? ", " : "", names[i]);
    return tt_fail(s, 0, "tune: unknown parameter '%s' for %s (it takes %s)", key, kind,
                   n ? list : "nothing to tune");
}

/* One setting applied to copies of the model's definitions and to o. */
static int apply(tt_session *s, const tt_modelent *me, const tune_param *tp, int np,
                 const int *at, tt_modelent *e, tt_train_opts *o)
{
    tt_err err;
    *e = *me;
    for (int q = 0; q < np; q++) {
        const char *k = tp[q].key;
        double v = tp[q].v[at[q]];
        if (tp[q].word) {
            if (apply_word(s, &tp[q], at[q], e))
                return -1;
        } else if (me->def.kind != TT_MODEL_TWOTOWER) {
            int i = tt_mkind_opt(me->def.kind, k);
            if (tt_mkind_check_opt(&e->def, i, v, &err))
                return tt_fail(s, 0, "tune: %s", err.msg);
            e->def.kopt[i] = v;
        } else if (!strcmp(k, "temp")) {
            e->def.temp = (float)v;
        } else if (!strcmp(k, "lr")) {
            o->lr = (float)v;
        } else if (!strcmp(k, "epochs")) {
            o->epochs = (int)v;
        } else if (!strcmp(k, "batch")) {
            o->batch = (int)v;
        } else if (!strcmp(k, "wd")) {
            o->wd = (float)v;
        } else if (!strcmp(k, "dim")) {
            e->u.dim = e->i.dim = (int)v;
        } else if (!strcmp(k, "r")) {
            e->u.se_r = e->i.se_r = (int)v;
        }
    }
    return 0;
}

/* Fit or train one setting and score it on valid. */
static int run_setting(tt_session *s, tt_dsent *d, tt_modelent *e, const tt_train_opts *o,
                       int k, tt_model **out, tt_metrics *valid, double *secs)
{
    tt_model *m = NULL;
    int ks[1] = {k > 0 ? k : 20};
    double t0 = tt_now();
    if (tt_model_create(&e->def, &e->u, &e->i, &d->d, s->seed, &m, &s->err))
        return -1;
    if (tt_model_fitted_kind(m)) {
        if (tt_model_fit(m, &d->d, &d->sp, o->threads > 0 ? o->threads : tt_blas_get_threads(),
                         &s->stop, &s->err))
            goto fail;
    } else {
        tt_train_result *res = calloc(1, sizeof *res);
        if (!res) {
            tt_fail(s, 0, "out of memory");
            goto fail;
        }
        int rc = tt_train(m, &d->d, &d->sp, o, NULL, NULL, res, &s->err);
        int div = res->diverged;
        tt_train_result_free(res);
        free(res);
        if (rc)
            goto fail;
        if (div) {
            tt_fail(s, 0, "tune: %s diverged at this setting", e->def.name);
            goto fail;
        }
    }
    *secs = tt_now() - t0;
    /* valid only: the test part is never read while choosing */
    if (tt_score_eval(m, &d->d, &d->sp, TT_VALID, ks, 1, valid, &s->err))
        goto fail;
    *out = m;
    return 0;
fail:
    tt_model_free(m);
    return -1;
}

static void setting_rec(tt_rec *r, const tune_param *tp, int np, const int *at)
{
    for (int q = 0; q < np; q++) {
        if (tp[q].word)
            tt_rec_str(r, tp[q].key, tp[q].w[at[q]]);
        else
            tt_rec_num(r, tp[q].key, tp[q].v[at[q]], 6);
    }
}

/* " key=value" of each parameter at setting at into buf (j written). */
static int setting_text(char *buf, int j, int size, const tune_param *tp, int np, const int *at)
{
    for (int q = 0; q < np && j < size; q++) {
        if (tp[q].word)
            j += snprintf(buf + j, (size_t)(size - j), " %s=%s", tp[q].key, tp[q].w[at[q]]);
        else
            j += snprintf(buf + j, (size_t)(size - j), " %s=%g", tp[q].key, tp[q].v[at[q]]);
    }
    return j;
}

int tt_cmd_tune(tt_session *s, tt_args *a)
{
    tune_param tp[TUNE_PARAMS];
    int np = 0, which = 0, mk = 20;
    char mname[32] = "recall@20";
    if (a->npos < 2)
        return tt_fail(s, 0, "tune needs a model and a grid: tune MODEL PARAM=v1,v2,... [metric=recall@20]");
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    if (!me || tt_train_data(s, me, &d))
        return -1;
    for (int i = 1; i < a->npos; i++) {
        const tt_tok *t = a->pos[i];
        char key[32];
        if (t->kind != TT_TOK_WORD || !tt_tok_is_kv(t))
            return tt_fail(s, t->col, "tune: expected PARAM=v1,v2,... or metric=..., got '%s'", t->s);
        tt_tok_key(t, key, sizeof key);
        const char *v = tt_tok_val(t);
        if (!strcmp(key, "metric")) {
            if (tt_metric_arg(s, v, &which, &mk))
                return -1;
            snprintf(mname, sizeof mname, "%s", v);
            continue;
        }
        if (check_param(s, me, key))
            return -1;
        for (int q = 0; q < np; q++)
            if (!strcmp(tp[q].key, key))
                return tt_fail(s, t->col, "tune: parameter '%s' given twice", key);
        if (np == TUNE_PARAMS)
            return tt_fail(s, t->col, "tune: at most %d parameters", TUNE_PARAMS);
        tune_param *p = &tp[np++];
        snprintf(p->key, sizeof p->key, "%s", key);
        p->n = 0;
        p->word = me->def.kind == TT_MODEL_TWOTOWER && !is_knob(key);
        for (const char *c = v; p->word && *c;) {
            /* words, each checked now as `with` would take it */
            const char *end = strchr(c, ',');
            size_t len = end ? (size_t)(end - c) : strlen(c);
            if (p->n == TUNE_VALUES)
                return tt_fail(s, t->col, "tune: at most %d values for %s", TUNE_VALUES, key);
            if (len == 0 || len >= TT_NAME_MAX)
                return tt_fail(s, t->col, "tune: %s=%s: expected values separated by commas", key, v);
            memcpy(p->w[p->n], c, len);
            p->w[p->n][len] = 0;
            tt_modelent scratch = *me;
            if (apply_word(s, p, p->n, &scratch))
                return tt_err_prefix(&s->err, "tune");
            p->n++;
            c = end ? end + 1 : c + len;
        }
        for (const char *c = v; !p->word && *c;) {
            char *end;
            double x = strtod(c, &end);
            if (end == c || (*end && *end != ',') || !isfinite(x))
                return tt_fail(s, t->col, "tune: %s=%s: expected numbers separated by commas", key, v);
            if (p->n == TUNE_VALUES)
                return tt_fail(s, t->col, "tune: at most %d values for %s", TUNE_VALUES, key);
            p->v[p->n++] = x;
            c = *end ? end + 1 : end;
        }
        if (p->n == 0)
            return tt_fail(s, t->col, "tune: %s= has no values", key);
    }
    if (np == 0)
        return tt_fail(s, 0, "tune: nothing to tune: give PARAM=v1,v2,...");
    int total = 1;
    for (int q = 0; q < np; q++) {
        total *= tp[q].n;
        if (total > TUNE_GRID)
            return tt_fail(s, 0, "tune: the grid has more than %d settings", TUNE_GRID);
    }
    if (d->sp.part[TT_VALID].n == 0)
        return tt_fail(s, 0, "tune chooses on valid, and the valid part of '%s' is empty", d->name);

    tt_train_opts o;
    tt_train_opts_init(&o);
    o.threads = s->threads;
    o.stop = &s->stop;
    o.eval_every = 1;
    tt_model *best = NULL;
    tt_modelent best_e;
    double best_v = -1, best_secs = 0;
    tt_metrics best_valid;
    int at[TUNE_PARAMS] = {0}, done = 0, rc = 0, best_at[TUNE_PARAMS] = {0};
    s->stop = 0;
    s->training = 1;   /* Ctrl-C stops the grid and keeps the best so far */
    for (int g = 0; g < total && !s->stop; g++) {
        for (int q = np - 1, r = g; q >= 0; q--) {   /* the g-th setting, last fastest */
            at[q] = r % tp[q].n;
            r /= tp[q].n;
        }
        tt_modelent e;
        tt_train_opts os = o;
        tt_model *m = NULL;
        tt_metrics valid;
        double secs = 0;
        if (apply(s, me, tp, np, at, &e, &os) ||
            run_setting(s, d, &e, &os, mk, &m, &valid, &secs)) {
            rc = -1;
            break;
        }
        if (s->stop && !(tt_model_fitted_kind(m) && !tt_mkind_get(e.def.kind)->iterative)) {
            tt_model_free(m);     /* a run cut short is not this setting's result */
            break;
        }
        double v = tt_metric_value(&valid, which, mk);
        tt_rec r;
        char human[512];
        int j = snprintf(human, sizeof human, "tune %s %d/%d:", me->def.name, g + 1, total);
        tt_rec_init(&r);
        tt_rec_str(&r, "model", me->def.name);
        tt_rec_int(&r, "setting", g + 1);
        tt_rec_int(&r, "settings", total);
        setting_rec(&r, tp, np, at);
        j = setting_text(human, j, (int)sizeof human, tp, np, at);
        char key[48];
        snprintf(key, sizeof key, "valid_%s", mname);
        tt_rec_num(&r, key, v, 4);
        tt_rec_num(&r, "seconds", secs, 2);
        snprintf(human + j, sizeof human - (size_t)j, "  valid %s %.4f (%.2f s)%s", mname, v, secs,
                 v > best_v ? "  best so far" : "");
        tt_out_info(&s->out, "tune", &r, human);
        tt_rec_free(&r);
        done++;
        if (v > best_v) {   /* ties keep the earlier setting */
            tt_model_free(best);
            best = m;
            best_e = e;
            best_v = v;
            best_valid = valid;
            best_secs = secs;
            memcpy(best_at, at, sizeof at);
        } else {
            tt_model_free(m);
        }
    }
    s->training = 0;
    int stopped = s->stop != 0;
    s->stop = 0;
    if (!best)
        return rc ? -1 : tt_fail(s, 0, "tune: stopped before any setting finished");
    /* The best setting becomes the model; its test metrics, once. */
    if (me->m)
        tt_model_free(me->m);
    if (me->res)
        tt_train_result_free(me->res);
    free(me->res);
    me->res = NULL;
    tt_entry_clear_runs(me);
    me->def = best_e.def;
    me->u = best_e.u;
    me->i = best_e.i;
    me->m = best;
    me->trained = 1;
    me->origin[0] = 0;
    me->split_gen = d->split_gen;
    tt_run run;
    memset(&run, 0, sizeof run);
    run.seed = s->seed;
    run.seconds = best_secs;
    run.epochs = run.best_epoch = 1;
    if (tt_eval_model(s, me, TT_TEST, s->ks, s->n_k, &run.test))
        return -1;
    me->n_runs = 1;
    me->runs[0] = run;
    (void)best_valid;
    tt_rec r;
    char human[1024], def[TT_DEF_MAX];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    setting_rec(&r, tp, np, best_at);
    char key[48];
    snprintf(key, sizeof key, "valid_%s", mname);
    tt_rec_num(&r, key, best_v, 4);
    tt_rec_int(&r, "settings", done);
    if (stopped || rc)
        tt_rec_int(&r, "stopped", 1);
    tt_rec_str(&r, "split", "test");
    tt_metrics_rec(&r, &run.test);
    int j = snprintf(human, sizeof human, "best of %d setting%s%s: %s (valid %s %.4f); test:",
                     done, done == 1 ? "" : "s", stopped || rc ? " (stopped)" : "",
                     tt_model_format(&me->def, def, sizeof def), mname, best_v);
    for (int i = 0; i < run.test.n_k && j < (int)sizeof human; i++)
        j += snprintf(human + j, sizeof human - (size_t)j, " recall@%d %.4f", run.test.k[i],
                      run.test.recall[i]);
    tt_out_info(&s->out, "tune_best", &r, human);
    tt_rec_free(&r);
    return rc;
}

/* tt_cmd_data: load, split and features: the data side of the language. */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A preset name of the generator (tt_synth_preset: the engine's table, which
 * datasets/README.md documents) into *o. */
static int presets(tt_session *s, const tt_tok *t, tt_synth_opts *o)
{
    const char *names[16];
    int n = 0;
    if (tt_synth_preset(t->s, o) == 0)
        return 0;
    for (const char *nm; n < 16 && (nm = tt_synth_preset_info(n, NULL)); n++)
        names[n] = nm;
    const char *sug = tt_suggest(t->s, names, n);
    if (sug)
        return tt_fail(s, 0, "unknown synthetic preset '%s': did you mean '%s'?", t->s, sug);
    char list[256];
    size_t w = 0;
    for (int k = 0; k < n && w < sizeof list; k++)
        w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", k ? (k == n - 1 ? " or " : ", ") : "",
                              names[k]);
    return tt_fail(s, 0, "unknown synthetic preset '%s' (expected %s)", t->s, list);
}

/* Physical memory in bytes, or 0 when unknown. */
static double phys_mem(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (double)pages * (double)psz : 0;
}

static int add_dataset(tt_session *s, tt_dataset *d, const char *as)
{
    char name[TT_NAME_MAX];
    snprintf(name, sizeof name, "%s", as ? as : d->name ? d->name : "data");
    if (!as) {
        /* Keep earlier datasets (models may be built on them): number new ones. */
        for (int k = 2; tt_session_dataset(s, name); k++) {
            char base[TT_NAME_MAX - 12];
            snprintf(base, sizeof base, "%s", d->name ? d->name : "data");
            snprintf(name, sizeof name, "%s-%d", base, k % 100000);
        }
    } else {
        tt_dsent *old = tt_session_dataset(s, as);
        if (old) {
            for (int i = 0; i < s->n_models; i++)
                if (!strcmp(s->models[i].dataset, as) && s->models[i].m)
                    return tt_fail(s, 0, "dataset '%s' is used by model '%s': drop the model or load with another name",
                                   as, s->models[i].def.name);
            if (old->has_split)
                tt_split_free(&old->sp);
            tt_dataset_free(&old->d);
            old->d = *d;
            old->has_split = 0;
            old->split_gen++;
            s->cur_ds = (int)(old - s->ds);
            return 0;
        }
    }
    tt_dsent *nd = realloc(s->ds, (size_t)(s->n_ds + 1) * sizeof *nd);
    if (!nd)
        return tt_fail(s, 0, "out of memory");
    s->ds = nd;
    memset(&nd[s->n_ds], 0, sizeof nd[0]);
    snprintf(nd[s->n_ds].name, sizeof nd[0].name, "%s", name);
    nd[s->n_ds].d = *d;
    s->cur_ds = s->n_ds++;
    return 0;
}

static void dataset_info(tt_session *s, tt_dsent *e)
{
    tt_rec r;
    char human[512];
    tt_rec_init(&r);
    tt_rec_str(&r, "dataset", e->name);
    tt_rec_str(&r, "source", e->d.source ? e->d.source : "");
    tt_rec_int(&r, "users", e->d.n_users);
    tt_rec_int(&r, "items", e->d.n_items);
    tt_rec_int(&r, "interactions", e->d.n_inter);
    tt_rec_int(&r, "features", e->d.n_feat);
    snprintf(human, sizeof human,
             "dataset %s: %d users, %d items, %lld interactions, %d features", e->name,
             e->d.n_users, e->d.n_items, (long long)e->d.n_inter, e->d.n_feat);
    tt_out_info(&s->out, "load", &r, human);
    tt_rec_free(&r);
}

/* The loader's notes (ignored columns, users without interactions), said
 * once: they are freed here. */
static void load_notes(tt_session *s, tt_dsent *e)
{
    char *p = e->d.notes;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        tt_rec r;
        char human[1100];
        tt_rec_init(&r);
        tt_rec_str(&r, "dataset", e->name);
        tt_rec_str(&r, "note", p);
        snprintf(human, sizeof human, "note: %s", p);
        tt_out_info(&s->out, "note", &r, human);
        tt_rec_free(&r);
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(e->d.notes);
    e->d.notes = NULL;
}

int tt_cmd_load(tt_session *s, tt_args *a)
{
    static const char *kinds[] = {"movielens", "csv", "synthetic"};
    const char *kind = a->pos[0]->s;
    const char *as = tt_arg(a, "as")->s;
    tt_dataset d;
    memset(&d, 0, sizeof d);
    /* `... as NAME` at the end, as `open FILE as NAME` takes it */
    if (a->npos >= 3 && !strcmp(a->pos[a->npos - 2]->s, "as")) {
        if (as)
            return tt_fail(s, 0, "give the name once: 'as NAME' or as=NAME");
        as = a->pos[a->npos - 1]->s;
        a->npos -= 2;
    } else if (a->npos >= 2 && !strcmp(a->pos[a->npos - 1]->s, "as")) {
        return tt_fail(s, 0, "'as' needs a name: load ... as NAME");
    }
    if (as) {
        tt_tok t = {TT_TOK_WORD, (char *)as, 0, 0, -1};
        if (tt_check_name(s, &t, "dataset"))
            return -1;
    }
    if (!strcmp(kind, "movielens")) {
        if (a->npos < 2)
            return tt_fail(s, 0, "load movielens needs the folder: load movielens PATH");
        if (tt_load_movielens(a->pos[1]->s, &d, &s->err))
            return -1;
    } else if (!strcmp(kind, "csv")) {
        if (a->npos < 2)
            return tt_fail(s, 0, "load csv needs the interactions file: load csv FILE [key=value ...]");
        tt_csv_opts o;
        tt_csv_opts_init(&o);
        o.inter_path = a->pos[1]->s;
        /* Files, columns, kinds and buckets are bound to tt_csv_opts; the
         * time column only when given (the loader knows it is optional). */
        tt_args_apply(a, &tt_bind_csv, &o);
        if (tt_arg(a, "time")->set)
            o.time_col = tt_arg(a, "time")->s;
        const char *sep = tt_arg(a, "sep")->s, *multi = tt_arg(a, "multi")->s;
        if (!strcmp(sep, "tab") || !strcmp(sep, "\\t"))
            o.sep = '\t';
        else if (strlen(sep) == 1)
            o.sep = sep[0];
        else
            return tt_fail(s, 0, "sep is one character or 'tab', got '%s'", sep);
        if (strlen(multi) != 1)
            return tt_fail(s, 0, "multi is one character, got '%s'", multi);
        o.multi_sep = multi[0];
        if (tt_load_csv(&o, &d, &s->err))
            return -1;
    } else if (!strcmp(kind, "synthetic")) {
        tt_synth_opts o;
        tt_synth_opts_init(&o);
        if (a->npos > 1 && presets(s, a->pos[1], &o))
            return -1;
        tt_args_apply(a, &tt_bind_synth, &o);     /* options given override the preset */
        double need = tt_synth_bytes(&o), have = phys_mem();
        char b1[32], b2[32];
        if (have > 0 && need > have / 2)
            return tt_fail(s, 0, "synthetic dataset too large: it needs about %s and this machine has %s",
                           tt_fmt_bytes(need, b1, sizeof b1), tt_fmt_bytes(have, b2, sizeof b2));
        if (tt_synth_generate(&o, &d, &s->err))
            return -1;
    } else {
        const char *sug = tt_suggest(kind, kinds, 3);
        if (sug)
            return tt_fail(s, 0, "unknown dataset kind '%s': did you mean '%s'?", kind, sug);
        return tt_fail(s, 0, "unknown dataset kind '%s' (expected movielens, csv or synthetic)",
                       kind);
    }
    if (a->npos > 1 && strcmp(kind, "synthetic") && a->npos > 2) {
        tt_dataset_free(&d);
        return tt_fail(s, 0, "too many arguments: usage: %s", a->cmd->usage);
    }
    if (add_dataset(s, &d, as)) {
        tt_dataset_free(&d);
        return -1;
    }
    dataset_info(s, tt_session_current(s));
    load_notes(s, tt_session_current(s));
    return 0;
}

int tt_cmd_split(tt_session *s, tt_args *a)
{
    tt_dsent *e = tt_use_data(s, tt_session_current(s));
    const char *how = a->pos[0]->s;
    tt_split sp;
    int hist = tt_arg(a, "hist")->set ? (int)tt_arg(a, "hist")->i : s->hist;
    memset(&sp, 0, sizeof sp);
    if (strcmp(how, "l2o") && strcmp(how, "random") && strcmp(how, "cold")) {
        static const char *m[] = {"l2o", "random", "cold"};
        const char *sug = tt_suggest(how, m, 3);
        if (sug)
            return tt_fail(s, 0, "unknown split '%s': did you mean '%s'?", how, sug);
        return tt_fail(s, 0, "unknown split '%s' (expected l2o, random or cold)", how);
    }
    if (!e)
        return tt_fail(s, 0, "no dataset loaded: use 'load' first (e.g. load synthetic)");
    if (!strcmp(how, "l2o")) {
        if (tt_split_l2o(&e->d, hist, &sp, &s->err))
            return -1;
    } else if (!strcmp(how, "cold")) {
        const tt_optval *it = tt_arg(a, "items"), *us = tt_arg(a, "users");
        if (it->set == us->set)
            return tt_fail(s, 0, "split cold takes items=P or users=P (the share of the interactions, by time, whose new items or users are held out)");
        if (tt_split_cold(&e->d, us->set, us->set ? us->d : it->d, hist, &sp, &s->err))
            return -1;
    } else {
        tt_split_args o;
        tt_bind_split.init(&o);
        tt_args_apply(a, &tt_bind_split, &o);
        double v = o.valid, t = o.test;
        if (v + t >= 0.95)
            return tt_fail(s, 0, "valid + test must leave some training data (got %g + %g)", v, t);
        uint64_t seed = tt_arg(a, "seed")->set ? (uint64_t)tt_arg(a, "seed")->i : s->seed;
        if (tt_split_random(&e->d, v, t, seed, hist, &sp, &s->err))
            return -1;
    }
    if (e->has_split)
        tt_split_free(&e->sp);
    e->sp = sp;
    e->has_split = 1;
    e->split_gen++;
    tt_rec r;
    char human[512];
    tt_rec_init(&r);
    tt_rec_str(&r, "dataset", e->name);
    tt_rec_str(&r, "method", sp.method);
    tt_rec_str(&r, "protocol", sp.protocol);
    tt_rec_int(&r, "train", sp.part[TT_TRAIN].n);
    tt_rec_int(&r, "valid", sp.part[TT_VALID].n);
    tt_rec_int(&r, "test", sp.part[TT_TEST].n);
    snprintf(human, sizeof human, "split %s of %s: %lld train, %lld valid, %lld test examples (protocol: %s)",
             sp.method, e->name, (long long)sp.part[TT_TRAIN].n,
             (long long)sp.part[TT_VALID].n, (long long)sp.part[TT_TEST].n, sp.protocol);
    tt_out_info(&s->out, "split", &r, human);
    tt_rec_free(&r);
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

int tt_cmd_features(tt_session *s, tt_args *a)
{
    (void)a;
    tt_dsent *e = tt_use_data(s, tt_session_current(s));
    if (!e)
        return tt_fail(s, 0, "no dataset loaded: use 'load' first");
    /* A label-like context column (allowed with allow_label=) is flagged:
     * it is known only after the recommendation. */
    int any_label = 0;
    for (int f = 0; f < e->d.n_feat; f++)
        any_label |= e->d.feat[f].label_like;
    tt_rec *rows = calloc(e->d.n_feat > 0 ? (size_t)e->d.n_feat : 1, sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    for (int f = 0; f < e->d.n_feat; f++) {
        const tt_feature *ft = &e->d.feat[f];
        tt_rec *r = &rows[f];
        tt_rec_init(r);
        tt_rec_str(r, "feature", ft->name);
        tt_rec_str(r, "side", tt_side_name(ft->side));
        tt_rec_str(r, "kind", tt_kind_name(ft->kind));
        tt_rec_int(r, "values", ft->card > 0 ? ft->card - 1 : 0);
        /* Frequency profile over real values (id 0 is unknown/padding): share
         * of rows held by the most frequent value and by the top 10%, and
         * how many values occur once (the long tail). */
        double top1 = 0, top10 = 0;
        int64_t once = 0;
        if (ft->freq && ft->card > 1) {
            int64_t *c = malloc((size_t)(ft->card - 1) * sizeof *c);
            if (c) {
                int64_t tot = 0;
                for (int32_t v = 1; v < ft->card; v++) {
                    c[v - 1] = ft->freq[v];
                    tot += ft->freq[v];
                    once += ft->freq[v] == 1;
                }
                qsort(c, (size_t)(ft->card - 1), sizeof *c, cmp_desc);
                int n10 = (ft->card - 1 + 9) / 10;
                int64_t s10 = 0;
                for (int i = 0; i < n10; i++)
                    s10 += c[i];
                if (tot > 0) {
                    top1 = (double)c[0] / (double)tot;
                    top10 = (double)s10 / (double)tot;
                }
                free(c);
            }
        }
        tt_rec_num(r, "top1", top1, 3);
        tt_rec_num(r, "top10pct", top10, 3);
        tt_rec_int(r, "once", once);
        if (e->d.planted)
            tt_rec_str(r, "planted", e->d.planted[f] ? e->d.planted[f] : "-");
        if (any_label)
            tt_rec_str(r, "leak", ft->label_like ? "label-like" : "-");
        tt_rec_prio(r, "feature", TT_COL_KEY);
        tt_rec_prio(r, "planted", TT_COL_WANT);
        tt_rec_prio(r, "leak", TT_COL_WANT);
        tt_rec_prio(r, "top10pct", TT_COL_OPTIONAL);
        tt_rec_prio(r, "once", TT_COL_OPTIONAL);
    }
    char foot[256];
    snprintf(foot, sizeof foot, "dataset: %s (top1/top10pct: share of rows of the most frequent value / top 10%% of values; once: values seen once)", e->name);
    tt_out_rows(&s->out, "feature", rows, e->d.n_feat, foot);
    for (int f = 0; f < e->d.n_feat; f++)
        tt_rec_free(&rows[f]);
    free(rows);
    return 0;
}

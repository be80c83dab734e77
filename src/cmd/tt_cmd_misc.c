/* tt_cmd_misc: settings, narration and housekeeping commands. */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "tt_blas.h"
#include "tt_file.h"

int tt_setting_apply(tt_session *s, const char *key, const char *val, int col)
{
    const tt_optspec *o = tt_optspec_find(tt_settings, key);
    tt_optval v;
    if (!o) {
        const char *cands[64];
        int n = tt_optspec_count(tt_settings);
        for (int i = 0; i < n; i++)
            cands[i] = tt_settings[i].key;
        const char *sug = tt_suggest(key, cands, n);
        if (sug)
            return tt_fail(s, col, "unknown setting '%s': did you mean '%s'?", key, sug);
        return tt_fail(s, col, "unknown setting '%s' (type 'show' for the list)", key);
    }
    memset(&v, 0, sizeof v);
    if (tt_opt_parse_value(s, o, val, &v))
        return -1;
    if (!strcmp(key, "k")) {
        int n = 0;
        int64_t *l = v.list;
        for (int i = 0; i < v.n; i++) {          /* ascending, no repeats */
            for (int j = i + 1; j < v.n; j++)
                if (l[j] < l[i]) {
                    int64_t t = l[i];
                    l[i] = l[j];
                    l[j] = t;
                }
        }
        for (int i = 0; i < v.n; i++)
            if (i == 0 || l[i] != l[i - 1]) {
                if (n == TT_MAX_K)
                    return tt_fail(s, col, "k takes at most %d cut-offs", TT_MAX_K);
                l[n++] = l[i];
            }
        v.n = n;
    }
    tt_opt_store(o, &v, s);
    if (!strcmp(key, "threads"))       /* 0: the default, every core (as `make bench` runs) */
        tt_blas_set_threads(v.i > 0 ? (int)v.i : tt_blas_default_threads());
    return 0;
}

int tt_cmd_set(tt_session *s, tt_args *a)
{
    char key[64];
    tt_tok *t = a->pos[0];
    if (a->npos == 1) {
        if (!tt_tok_is_kv(t))
            return tt_fail(s, 0, "set needs a value: set %s VALUE", t->s);
        return tt_setting_apply(s, tt_tok_key(t, key, sizeof key), tt_tok_val(t), 0);
    }
    if (tt_tok_is_kv(t) || a->pos[1]->kind != TT_TOK_WORD)
        return tt_fail(s, 0, "usage: %s", a->cmd->usage);
    return tt_setting_apply(s, t->s, a->pos[1]->s, 0);
}

static void show_line(tt_session *s, const char *event, const char *name, const char *line)
{
    tt_rec r;
    tt_rec_init(&r);
    tt_rec_str(&r, "name", name);
    tt_rec_str(&r, "definition", line);
    if (s->out.mode == TT_OUT_JSON)
        tt_json_rec(s->out.f, event, &r);
    else
        fprintf(s->out.f, "%s\n", line);
    tt_rec_free(&r);
}

/* A model as the lines that recreate it: its towers first when the
 * session's towers of those names are not the ones the model was built
 * with (a model keeps copies of its towers). */
static void show_model(tt_session *s, tt_modelent *m)
{
    char line[TT_DEF_MAX + 200], def[TT_DEF_MAX];
    for (int side = 0; side < 2 && m->def.kind == TT_MODEL_TWOTOWER; side++) {
        const tt_tower_def *t = side ? &m->i : &m->u;
        const tt_tower_def *cur = tt_session_tower(s, t->name);
        if (side == 1 && !strcmp(m->u.name, m->i.name))
            break;
        if (cur && !memcmp(cur, t, sizeof *t))
            continue;
        snprintf(line, sizeof line, "tower %s = %s", t->name, tt_tower_format(t, def, sizeof def));
        show_line(s, "tower", t->name, line);
    }
    show_line(s, "model", m->def.name, tt_model_format(&m->def, line, sizeof line));
    if (m->n_runs == 0 && !m->data.name[0])
        return;
    /* What it was trained on and how: a comment, so the lines still run. */
    const tt_run *last = m->n_runs ? &m->runs[m->n_runs - 1] : NULL;
    tt_rec r;
    tt_rec_init(&r);
    tt_rec_str(&r, "name", m->def.name);
    tt_rec_str(&r, "dataset", m->data.name);
    tt_rec_str(&r, "source", m->data.source);
    tt_rec_str(&r, "split", m->data.split);
    tt_rec_str(&r, "protocol", m->data.protocol);
    tt_rec_int(&r, "seeds", m->n_runs);
    if (last) {
        tt_rec_int(&r, "epochs", last->epochs);
        tt_rec_int(&r, "best_epoch", last->best_epoch);
        if (last->threads > 0)
            tt_rec_int(&r, "threads", last->threads);
        else
            tt_rec_null(&r, "threads");
    }
    int j = snprintf(line, sizeof line, "# %s on %s (%s; split %s)", m->trained == 2 ? "opened, trained" : "trained",
                     m->data.name, m->data.source, m->data.split[0] ? m->data.split : "none");
    if (last && j > 0 && (size_t)j < sizeof line)
        snprintf(line + j, sizeof line - (size_t)j, ": %d seed%s, %d epochs, best %d, %s threads", m->n_runs,
                 m->n_runs == 1 ? "" : "s", last->epochs, last->best_epoch,
                 last->threads > 0 ? (snprintf(def, sizeof def, "%d", last->threads), def) : "unrecorded");
    if (s->out.mode == TT_OUT_JSON)
        tt_json_rec(s->out.f, "model_record", &r);
    else   /* broken at words, each line still a comment */
        tt_put_words(s->out.f, line, tt_out_cols(&s->out), "#   ");
    tt_rec_free(&r);
}

static int show_settings(tt_session *s, const char *only)
{
    int n = tt_optspec_count(tt_settings), k = 0;
    tt_rec rows[64];
    char v[512];
    for (int i = 0; i < n; i++) {
        if (only && strcmp(only, tt_settings[i].key))
            continue;
        tt_rec_init(&rows[k]);
        tt_rec_str(&rows[k], "setting", tt_settings[i].key);
        tt_rec_str(&rows[k], "value", tt_opt_text(&tt_settings[i], s, v, sizeof v));
        tt_rec_str(&rows[k], "about", tt_settings[i].help);
        tt_rec_prio(&rows[k], "value", TT_COL_KEY);
        tt_rec_prio(&rows[k], "setting", TT_COL_KEY);
        k++;
    }
    tt_out_rows(&s->out, "setting", rows, k, NULL);
    for (int i = 0; i < k; i++)
        tt_rec_free(&rows[i]);
    return 0;
}

static int show_dataset(tt_session *s, int split)
{
    tt_dsent *e = tt_use_data(s, tt_session_current(s));
    char line[512];
    if (!e)
        return tt_fail(s, 0, "no dataset loaded");
    if (split) {
        if (!e->has_split)
            return tt_fail(s, 0, "dataset '%s' has no split yet", e->name);
        snprintf(line, sizeof line, "split %s of %s: %lld train, %lld valid, %lld test examples, hist %d (protocol: %s)",
                 e->sp.method, e->name, (long long)e->sp.part[0].n, (long long)e->sp.part[1].n,
                 (long long)e->sp.part[2].n, e->sp.part[0].H, e->sp.protocol);
    } else {
        snprintf(line, sizeof line, "dataset %s (%s): %d users, %d items, %lld interactions, %d features%s",
                 e->name, e->d.source ? e->d.source : "", e->d.n_users, e->d.n_items,
                 (long long)e->d.n_inter, e->d.n_feat, e->has_split ? ", split" : "");
    }
    show_line(s, split ? "split" : "dataset", e->name, line);
    return 0;
}

int tt_cmd_show(tt_session *s, tt_args *a)
{
    char line[TT_DEF_MAX + 200], def[TT_DEF_MAX];
    if (a->npos == 0)
        return show_settings(s, NULL);
    const char *w = a->pos[0]->s;
    if (!strcmp(w, "tower") || !strcmp(w, "model")) {
        if (a->npos < 2)
            return tt_fail(s, 0, "show %s needs a name: show %s NAME", w, w);
        if (!strcmp(w, "tower")) {
            tt_tower_def *t = tt_need_tower(s, a->pos[1]);
            if (!t)
                return -1;
            s->err_col = 0;
            snprintf(line, sizeof line, "tower %s = %s", t->name, tt_tower_format(t, def, sizeof def));
            show_line(s, "tower", t->name, line);
        } else {
            tt_modelent *m = tt_need_model(s, a->pos[1]);
            if (!m)
                return -1;
            show_model(s, m);
        }
        return 0;
    }
    if (a->npos > 1)
        return tt_fail(s, 0, "too many arguments: usage: %s", a->cmd->usage);
    if (!strcmp(w, "towers")) {
        for (int i = 0; i < s->n_towers; i++) {
            snprintf(line, sizeof line, "tower %s = %s", s->towers[i].name,
                     tt_tower_format(&s->towers[i], def, sizeof def));
            show_line(s, "tower", s->towers[i].name, line);
        }
        return 0;
    }
    if (!strcmp(w, "models")) {
        for (int i = 0; i < s->n_models; i++)
            show_line(s, "model", s->models[i].def.name,
                      tt_model_format(&s->models[i].def, line, sizeof line));
        return 0;
    }
    if (!strcmp(w, "dataset") || !strcmp(w, "split"))
        return show_dataset(s, !strcmp(w, "split"));
    if (tt_optspec_find(tt_settings, w))
        return show_settings(s, w);
    if (tt_session_model(s, w))
        return show_model(s, tt_session_model(s, w)), 0;
    if (tt_session_tower(s, w)) {
        tt_tower_def *t = tt_session_tower(s, w);
        snprintf(line, sizeof line, "tower %s = %s", t->name, tt_tower_format(t, def, sizeof def));
        show_line(s, "tower", w, line);
        return 0;
    }
    const char *cands[80];
    int n = 0;
    const char *fixed[] = {"tower", "model", "towers", "models", "dataset", "split"};
    for (int i = 0; i < 6; i++)
        cands[n++] = fixed[i];
    for (int i = 0; tt_settings[i].key && n < 80; i++)
        cands[n++] = tt_settings[i].key;
    const char *sug = tt_suggest(w, cands, n);
    if (sug)
        return tt_fail(s, 0, "nothing called '%s' to show: did you mean '%s'?", w, sug);
    return tt_fail(s, 0, "nothing called '%s' to show (settings, tower NAME, model NAME, towers, models, dataset, split)", w);
}

int tt_cmd_source(tt_session *s, tt_args *a)
{
    if (s->depth >= TT_SOURCE_DEPTH)
        return tt_fail(s, 0, "source nested too deeply (more than %d levels): a file sourcing itself?",
                       TT_SOURCE_DEPTH);
    /* Checked here too, so that the message carries this command's place. */
    FILE *f = tt_file_open_read(a->pos[0]->s, &s->err);
    if (!f)
        s->err_col = 0;
    /* in an MPI job: every rank runs the file, or none */
    if (tt_session_dist_failure(s, !f) >= 0) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    if (!s->run_file)
        return tt_fail(s, 0, "source needs an input loop (none in this host)");
    /* A sourced script's settings last until it ends (a walkthrough that
     * sets `dashboard off` or `output csv` leaves the session as it was);
     * datasets, towers, models and variables it defines stay. */
    tt_session saved = *s;
    int rc = s->run_file(s, a->pos[0]->s);
    for (const tt_optspec *o = tt_settings; o->key; o++)
        if (strcmp(o->key, "threads"))
            memcpy((char *)s + o->off, (const char *)&saved + o->off, o->size);
    if (s->threads != saved.threads) {
        char v[16];
        snprintf(v, sizeof v, "%d", saved.threads);
        tt_setting_apply(s, "threads", v, 0);
    }
    return rc ? -2 : 0;
}

/* The words of a raw command joined by single spaces. */
static void join_words(tt_session *s, tt_args *a, char *buf, int n)
{
    int j = 0;
    buf[0] = 0;
    if (s->raw_text) {
        /* One pair of quotes around the whole text is taken off. */
        size_t l = strlen(s->raw_text);
        while (l && (s->raw_text[l - 1] == ' ' || s->raw_text[l - 1] == '\t'))
            l--;
        if (l >= 2 && (s->raw_text[0] == '"' || s->raw_text[0] == '\'') &&
            s->raw_text[l - 1] == s->raw_text[0] && !memchr(s->raw_text + 1, s->raw_text[0], l - 2))
            snprintf(buf, (size_t)n, "%.*s", (int)(l - 2), s->raw_text + 1);
        else
            snprintf(buf, (size_t)n, "%.*s", (int)l, s->raw_text);
        return;
    }
    for (int i = 0; i < a->npos && j < n; i++)
        j += snprintf(buf + j, (size_t)(n - j), i ? " %s" : "%s", a->pos[i]->s);
}

static void text_event(tt_session *s, const char *event, tt_args *a, int quiet_ok)
{
    char text[4096];
    join_words(s, a, text, sizeof text);
    if (s->out.mode == TT_OUT_JSON) {
        tt_rec r;
        tt_rec_init(&r);
        tt_rec_str(&r, "text", text);
        tt_json_rec(s->out.f, event, &r);
        tt_rec_free(&r);
    } else if (!(quiet_ok && s->out.quiet)) {
        fprintf(s->out.f, s->out.mode == TT_OUT_CSV ? "# %s\n" : "%s\n", text);
    }
    fflush(s->out.f);
}

int tt_cmd_note(tt_session *s, tt_args *a)
{
    text_event(s, "note", a, 1);
    return 0;
}

int tt_cmd_echo(tt_session *s, tt_args *a)
{
    text_event(s, "echo", a, 0);
    return 0;
}

int tt_cmd_pause(tt_session *s, tt_args *a)
{
    char text[4096];
    /* Only a person at a terminal can press Enter; scripts run through. */
    if (!s->tty)
        return 0;
    join_words(s, a, text, sizeof text);
    fprintf(stderr, "%s%s[press Enter] ", text, *text ? " " : "");
    fflush(stderr);
    int c;
    while ((c = getchar()) != EOF && c != '\n')
        ;
    if (c == EOF) {
        /* Ctrl-D: as at the prompt, leave (the script stops here) */
        fputs("\n", stderr);
        clearerr(stdin);
        s->quit = 1;
    }
    return 0;
}

int tt_cmd_list(tt_session *s, tt_args *a)
{
    const char *what = a->npos ? a->pos[0]->s : NULL;
    static const char *kinds[] = {"datasets", "towers", "models", "indexes"};
    if (what && strcmp(what, "datasets") && strcmp(what, "towers") && strcmp(what, "models") &&
        strcmp(what, "indexes")) {
        const char *sug = tt_suggest(what, kinds, 4);
        if (sug)
            return tt_fail(s, 0, "cannot list '%s': did you mean '%s'?", what, sug);
        return tt_fail(s, 0, "cannot list '%s' (expected datasets, towers, models or indexes)", what);
    }
    int n = s->n_ds + s->n_towers + s->n_models + s->n_indexes, k = 0;
    tt_rec *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    char buf[TT_DEF_MAX + 200], def[TT_DEF_MAX];
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    if (!what || !strcmp(what, "datasets"))
        for (int i = 0; i < s->n_ds; i++, k++) {
            tt_dsent *e = &s->ds[i];
            tt_rec_init(&rows[k]);
            tt_rec_str(&rows[k], "kind", "dataset");
            tt_rec_str(&rows[k], "name", e->name);
            snprintf(buf, sizeof buf, "%d users, %d items, %lld interactions%s%s%s",
                     e->d.n_users, e->d.n_items, (long long)e->d.n_inter,
                     e->has_split ? ", split " : "", e->has_split ? e->sp.protocol : "",
                     i == s->cur_ds ? " (current)" : "");
            tt_rec_str(&rows[k], "about", buf);
        }
    if (!what || !strcmp(what, "towers"))
        for (int i = 0; i < s->n_towers; i++, k++) {
            tt_rec_init(&rows[k]);
            tt_rec_str(&rows[k], "kind", "tower");
            tt_rec_str(&rows[k], "name", s->towers[i].name);
            tt_rec_str(&rows[k], "about", tt_tower_format(&s->towers[i], def, sizeof def));
        }
    if (!what || !strcmp(what, "models"))
        for (int i = 0; i < s->n_models; i++, k++) {
            tt_modelent *m = &s->models[i];
            tt_rec_init(&rows[k]);
            tt_rec_str(&rows[k], "kind", "model");
            tt_rec_str(&rows[k], "name", m->def.name);
            const char *state = m->trained == 2 ? "opened" : m->trained ? "trained"
                              : m->m ? "fitted" : "not trained";
            if (tt_mkind_get(m->def.kind)->auto_fit)
                snprintf(buf, sizeof buf, "%s (%s)", tt_mkind_get(m->def.kind)->name,
                         m->m ? "fitted" : "fitted at eval");
            else if (m->def.kind != TT_MODEL_TWOTOWER)
                snprintf(buf, sizeof buf, "%s, %s%s%s", tt_mkind_get(m->def.kind)->name,
                         m->m ? (m->trained == 2 ? "opened" : "fitted") : "not trained",
                         m->origin[0] ? " from " : "", m->origin);
            else
                snprintf(buf, sizeof buf, "twotower %s %s, %s%s%s", m->def.user_tower,
                         m->def.item_tower, state, m->origin[0] ? " from " : "", m->origin);
            if (m->data.name[0] && !tt_mkind_get(m->def.kind)->auto_fit) {
                size_t j = strlen(buf);
                snprintf(buf + j, sizeof buf - j, ", on %s (%s)", m->data.name, m->data.protocol);
            } else if (m->dataset[0]) {
                size_t j = strlen(buf);
                snprintf(buf + j, sizeof buf - j, ", for %s", m->dataset);
            }
            tt_rec_str(&rows[k], "about", buf);
        }
    if (!what || !strcmp(what, "indexes"))
        for (int i = 0; i < s->n_indexes; i++, k++) {
            tt_rec_init(&rows[k]);
            tt_rec_str(&rows[k], "kind", "index");
            tt_rec_str(&rows[k], "name", s->indexes[i].name);
            tt_index_about(s, &s->indexes[i], buf, sizeof buf);
            tt_rec_str(&rows[k], "about", buf);
        }
    if (k == 0) {
        tt_rec r;
        tt_rec_init(&r);
        tt_out_info(&s->out, "list", &r, what ? "(none)" : "(empty session: try 'load synthetic')");
    } else {
        tt_rec_prio(&rows[0], "kind", TT_COL_KEY);
        tt_rec_prio(&rows[0], "name", TT_COL_KEY);
        tt_rec_prio(&rows[0], "about", TT_COL_WANT);
        tt_out_rows(&s->out, "list", rows, k, NULL);
    }
    for (int i = 0; i < k; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    return 0;
}

int tt_cmd_drop(tt_session *s, tt_args *a)
{
    if (a->npos < 2) {
        /* `drop u`: the kind is missing; say which one u is, when it is one */
        const char *w = a->pos[0]->s, *is = NULL;
        for (int i = 0; i < s->n_towers && !is; i++)
            if (!strcmp(s->towers[i].name, w))
                is = "tower";
        for (int i = 0; i < s->n_models && !is; i++)
            if (!strcmp(s->models[i].def.name, w))
                is = "model";
        if (!is && tt_session_dataset(s, w))
            is = "dataset";
        if (!is && tt_session_index(s, w))
            is = "index";
        if (is)
            return tt_fail(s, 0, "drop needs the kind of thing before its name: did you mean 'drop %s %s'?",
                           is, w);
        return tt_fail(s, 0, "drop needs the kind of thing and its name: drop dataset|tower|model|index NAME");
    }
    const char *kind = a->pos[0]->s, *name = a->pos[1]->s;
    if (!strcmp(kind, "model")) {
        tt_modelent *m = tt_need_model(s, a->pos[1]);
        if (!m)
            return -1;
        tt_session_drop_model(s, (int)(m - s->models));
    } else if (!strcmp(kind, "tower")) {
        tt_tower_def *t = tt_need_tower(s, a->pos[1]);
        if (!t)
            return -1;
        s->err_col = 0;
        int i = (int)(t - s->towers);
        memmove(&s->towers[i], &s->towers[i + 1], (size_t)(s->n_towers - i - 1) * sizeof *t);
        s->n_towers--;
    } else if (!strcmp(kind, "dataset")) {
        tt_dsent *d = tt_session_dataset(s, name);
        if (!d)
            return tt_fail(s, 0, "no dataset '%s' (see 'list datasets')", name);
        for (int i = 0; i < s->n_models; i++)
            if (!strcmp(s->models[i].dataset, name) && s->models[i].m)
                return tt_fail(s, 0, "dataset '%s' is used by model '%s': drop the model first",
                               name, s->models[i].def.name);
        int i = (int)(d - s->ds);
        if (d->has_split)
            tt_split_free(&d->sp);
        tt_dataset_free(&d->d);
        memmove(&s->ds[i], &s->ds[i + 1], (size_t)(s->n_ds - i - 1) * sizeof *d);
        s->n_ds--;
        if (s->cur_ds == i)
            s->cur_ds = s->n_ds - 1;
        else if (s->cur_ds > i)
            s->cur_ds--;
    } else if (!strcmp(kind, "index")) {
        return tt_index_drop(s, name);
    } else {
        const char *k3[] = {"dataset", "tower", "model", "index"};
        const char *sug = tt_suggest(kind, k3, 4);
        if (sug)
            return tt_fail(s, 0, "cannot drop a '%s': did you mean '%s'?", kind, sug);
        return tt_fail(s, 0, "drop what? usage: %s", a->cmd->usage);
    }
    return 0;
}

int tt_cmd_help(tt_session *s, tt_args *a)
{
    return tt_help(s, s->out.f, a->npos ? a->pos[0]->s : NULL);
}

int tt_cmd_quit(tt_session *s, tt_args *a)
{
    (void)a;
    s->quit = 1;
    return 0;
}

int tt_cmd_let(tt_session *s, tt_args *a)
{
    char val[4096];
    if (a->npos == 0) {
        int n = s->n_vars;
        tt_rec *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
        if (!rows)
            return tt_fail(s, 0, "out of memory");
        for (int i = 0; i < n; i++) {
            tt_rec_init(&rows[i]);
            tt_rec_str(&rows[i], "name", s->vars[i].name);
            tt_rec_str(&rows[i], "value", s->vars[i].value);
        }
        if (n)
            tt_out_rows(&s->out, "variable", rows, n, NULL);
        for (int i = 0; i < n; i++)
            tt_rec_free(&rows[i]);
        free(rows);
        return 0;
    }
    tt_tok *name = a->pos[0];
    if (name->kind != TT_TOK_WORD || tt_check_name(s, name, "variable")) {
        s->err_col = 0;
        return -1;
    }
    for (const char *p = name->s; *p; p++)
        if (*p == '-' || *p == '.')
            return tt_fail(s, 0, "bad variable name '%s': use letters, digits and '_'", name->s);
    if (a->npos == 1) {
        const char *v = tt_session_var(s, name->s);
        if (!v)
            return tt_fail(s, 0, "undefined variable '%s'", name->s);
        tt_rec r;
        char human[4200];
        tt_rec_init(&r);
        tt_rec_str(&r, "name", name->s);
        tt_rec_str(&r, "value", v);
        snprintf(human, sizeof human, "%s = %s", name->s, v);
        if (s->out.mode == TT_OUT_JSON)
            tt_json_rec(s->out.f, "variable", &r);
        else
            fprintf(s->out.f, "%s\n", human);
        tt_rec_free(&r);
        return 0;
    }
    if (strcmp(a->pos[1]->s, "=") || a->pos[1]->kind != TT_TOK_WORD)
        return tt_fail(s, 0, "usage: let NAME = VALUE");
    int j = 0;
    val[0] = 0;
    for (int i = 2; i < a->npos && j < (int)sizeof val; i++)
        j += snprintf(val + j, sizeof val - (size_t)j, i > 2 ? " %s" : "%s", a->pos[i]->s);
    if (tt_session_set_var(s, name->s, val))
        return tt_fail(s, 0, "out of memory");
    return 0;
}

int tt_cmd_require(tt_session *s, tt_args *a)
{
    char msg[4096];
    const char *path = a->pos[0]->s;
    if (access(path, F_OK) == 0)
        return 0;
    int j = 0;
    msg[0] = 0;
    for (int i = 1; i < a->npos && j < (int)sizeof msg; i++)
        j += snprintf(msg + j, sizeof msg - (size_t)j, i > 1 ? " %s" : "%s", a->pos[i]->s);
    if (j)
        return tt_fail(s, 0, "%s", msg);
    return tt_fail(s, 0, "required '%s' not found", path);
}

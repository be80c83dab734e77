/* tt_cmd_complete: tab completion of commands, option keys, option values and
 * object names, read from the command table (help is in tt_cmd_help.c). */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct clist {
    int n, cap;
    char **v;
} clist;

static void cadd(clist *l, const char *word, const char *pre, const char *s, const char *suffix)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s%s", pre, s, suffix);
    if (strncmp(buf, word, strlen(word)))
        return;
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], buf))
            return;
    if (l->n + 1 >= l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return;
        l->v = v;
        l->cap = cap;
    }
    char *d = tt_strdup(buf);
    if (d)
        l->v[l->n++] = d;
}

static void add_list(clist *l, const char *word, const char *pre, const char *bar)
{
    char tmp[512];
    char *save = NULL;
    snprintf(tmp, sizeof tmp, "%s", bar);
    for (char *w = strtok_r(tmp, "|", &save); w; w = strtok_r(NULL, "|", &save))
        cadd(l, word, pre, w, "");
}

static void add_names(tt_session *s, clist *l, const char *word, const char *what)
{
    if (!strcmp(what, "@model") || !strcmp(what, "@any"))
        for (int i = 0; i < s->n_models; i++)
            cadd(l, word, "", s->models[i].def.name, "");
    if (!strcmp(what, "@tower") || !strcmp(what, "@any"))
        for (int i = 0; i < s->n_towers; i++)
            cadd(l, word, "", s->towers[i].name, "");
    if (!strcmp(what, "@index") || !strcmp(what, "@any"))
        for (int i = 0; i < s->n_indexes; i++)
            cadd(l, word, "", s->indexes[i].name, "");
    if (!strcmp(what, "@any"))
        for (int i = 0; i < s->n_ds; i++)
            cadd(l, word, "", s->ds[i].name, "");
    if (!strcmp(what, "@feature")) {
        tt_dsent *d = tt_session_current(s);
        for (int i = 0; d && i < d->d.n_feat; i++)
            cadd(l, word, "", d->d.feat[i].name, "");
    }
    if (!strcmp(what, "@setting"))
        for (int i = 0; tt_settings[i].key; i++)
            cadd(l, word, "", tt_settings[i].key, "");
    if (!strcmp(what, "@command")) {
        for (int i = 0; i < tt_n_cmds; i++)
            cadd(l, word, "", tt_cmds[i].name, "");
        for (int i = 0; i < tt_n_stages; i++)
            cadd(l, word, "", tt_stages[i].name, "");
    }
}

/* Values of option o for a word "key=partial". */
static void add_values(tt_session *s, clist *l, const char *word, const tt_optspec *o)
{
    char pre[80];
    snprintf(pre, sizeof pre, "%s=", o->key);
    if (o->type == TT_O_ENUM)
        add_list(l, word, pre, tt_opt_values(o));
    else if (o->type == TT_O_BOOL)
        add_list(l, word, pre, "on|off");
    else if (!strcmp(o->key, "user") || !strcmp(o->key, "item")) {
        for (int i = 0; i < s->n_towers; i++)
            cadd(l, word, pre, s->towers[i].name, "");
    } else if (o->type == TT_O_STR && o->values) {   /* text with suggested values */
        add_list(l, word, pre, tt_opt_values(o));
    } else if (!strcmp(o->key, "fields") || !strcmp(o->key, "by")) {
        /* fields= is a comma list: complete its last element */
        const char *comma = strrchr(word, ',');
        if (comma && !strcmp(o->key, "fields"))
            snprintf(pre, sizeof pre, "%.*s", (int)(comma - word + 1), word);
        tt_dsent *d = tt_session_current(s);
        for (int i = 0; d && i < d->d.n_feat; i++)
            /* by= groups by values: a sequence (hist) has none, and
             * `weights` refuses it, so it is not offered */
            if (strcmp(o->key, "by") || d->d.feat[i].kind != TT_SEQ)
                cadd(l, word, pre, d->d.feat[i].name, "");
        if (!strcmp(o->key, "by"))
            cadd(l, word, pre, "activity", "");
    }
}

static void add_keys(clist *l, const char *word, const tt_optspec *o, const char *first)
{
    for (; o && o->key; o++)
        if (!o->sub || (first && !strcmp(o->sub, first)))
            cadd(l, word, "", o->key, "=");
}

static void complete_kv(tt_session *s, clist *l, const char *word, const tt_optspec *specs)
{
    char key[64];
    const char *eq = strchr(word, '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - word), word);
    const tt_optspec *o = tt_optspec_find(specs, key);
    if (o)
        add_values(s, l, word, o);
}

static void complete_tower(tt_session *s, clist *l, tt_tok *t, int n, const char *word)
{
    char names[256];
    if (n == 1) {
        add_names(s, l, word, "@tower");
        return;
    }
    if (n == 2) {
        cadd(l, word, "", "=", "");
        return;
    }
    /* the current stage: from the last '|' or '(' */
    int st = n - 1;
    while (st > 2 && t[st].kind != TT_TOK_PIPE && t[st].kind != TT_TOK_LPAREN &&
           t[st].kind != TT_TOK_RPAREN)
        st--;
    if (st == n - 1 && (t[st].kind == TT_TOK_PIPE || !strcmp(t[st].s, "=") ||
                        t[st].kind == TT_TOK_LPAREN || !strcmp(t[st].s, "with") ||
                        !strcmp(t[st].s, "no"))) {
        add_list(l, word, "", tt_stage_names(t[st].kind == TT_TOK_LPAREN, names, sizeof names));
        if (!strcmp(t[st].s, "="))
            add_names(s, l, word, "@tower");
        /* `no STAGE` removes a stage of the tower derived from: only in
         * `tower NAME = BASE with ...` */
        int derived = n > 4 && !strcmp(t[4].s, "with");
        if (!strcmp(t[st].s, "with") || (t[st].kind == TT_TOK_PIPE && derived))
            cadd(l, word, "", "no", "");
        return;
    }
    const char *stage = t[st + (st == n - 1 ? 0 : 1)].s;
    if (st < n - 1 && !strcmp(stage, "no") && st + 2 < n)
        stage = t[st + 2].s;
    if (!strcmp(t[n - 1].s, "with")) {
        add_list(l, word, "", tt_stage_names(0, names, sizeof names));
        cadd(l, word, "", "no", "");
        return;
    }
    for (int i = 0; i < tt_n_stages; i++)
        if (!strcmp(tt_stages[i].name, stage) && tt_stages[i].opts) {
            if (strchr(word, '='))
                complete_kv(s, l, word, tt_stages[i].opts);
            else
                add_keys(l, word, tt_stages[i].opts, NULL);
        }
}

static void complete_model(tt_session *s, clist *l, tt_tok *t, int n, const char *word)
{
    if (n == 1) {
        add_names(s, l, word, "@model");
        return;
    }
    if (n == 2) {
        cadd(l, word, "", "=", "");
        return;
    }
    if (n == 3) {
        /* the kinds, from the kind table */
        for (int k = 0; k < tt_mkind_count(); k++)
            cadd(l, word, "", tt_mkind_get(k)->name, "");
        add_names(s, l, word, "@model");
        return;
    }
    if (!strcmp(t[3].s, "twotower") && (n == 4 || n == 5) && !strchr(word, '=')) {
        add_names(s, l, word, "@tower");
        return;
    }
    int kk = tt_mkind_find(t[3].s);
    if (kk >= 0 && tt_mkind_get(kk)->fitted) {
        /* a baseline: its options */
        const tt_mkind *K = tt_mkind_get(kk);
        for (int o = 0; o < TT_KOPT_MAX && K->opts[o].name && !strchr(word, '='); o++)
            cadd(l, word, "", K->opts[o].name, "=");
        return;
    }
    if (n == 4 && strcmp(t[3].s, "twotower")) {
        cadd(l, word, "", "with", "");
        return;
    }
    if (strchr(word, '='))
        complete_kv(s, l, word, tt_model_opts);
    else
        for (const tt_optspec *o = tt_model_opts; o->key; o++)
            if (strcmp(t[3].s, "twotower") || (strcmp(o->key, "user") && strcmp(o->key, "item")))
                cadd(l, word, "", o->key, "=");
}

char **tt_complete(tt_session *s, const char *before, const char *word, int *files)
{
    clist l = {0, 0, NULL};
    tt_toks tk = {0, 0, NULL};
    tt_err err;
    int ec = 0;
    *files = 0;
    const char *dl = strrchr(word, '$');
    if (dl && !strchr(dl, '}')) {
        /* a variable being typed anywhere in the word: epochs=$EP, ${EP */
        char pre[256];
        int brace = dl[1] == '{';
        snprintf(pre, sizeof pre, "%.*s%s", (int)(dl - word), word, brace ? "${" : "$");
        for (int i = 0; i < s->n_vars; i++)
            cadd(&l, word, pre, s->vars[i].name, brace ? "}" : "");
    } else if (tt_lex(before, 1, &tk, &err, &ec) == 0) {
        int b = 0;
        for (int i = 0; i < tk.n; i++)
            if (tk.v[i].kind == TT_TOK_SEMI)
                b = i + 1;
        tt_tok *t = tk.v ? tk.v + b : NULL;
        int n = tk.n - b;
        const tt_cmd *c = n ? tt_cmd_find(t[0].s) : NULL;
        if (n == 0) {
            for (int i = 0; i < tt_n_cmds; i++)
                cadd(&l, word, "", tt_cmds[i].name, "");
        } else if (c && !strcmp(c->name, "tower")) {
            complete_tower(s, &l, t, n, word);
        } else if (c && !strcmp(c->name, "model")) {
            complete_model(s, &l, t, n, word);
        } else if (c && !strcmp(c->name, "set")) {
            if (n == 1) {
                add_names(s, &l, word, "@setting");
            } else if (n == 2) {
                const tt_optspec *o = tt_optspec_find(tt_settings, t[1].s);
                if (o && o->type == TT_O_ENUM)
                    add_list(&l, word, "", tt_opt_values(o));
                else if (o && o->type == TT_O_BOOL)
                    add_list(&l, word, "", "on|off");
            }
        } else if (c) {
            int npos = 0;
            const char *first = NULL;
            const char *form = NULL;
            for (int i = 1; i < n; i++)
                if (!tt_tok_is_kv(&t[i])) {
                    if (!npos)
                        first = t[i].s;
                    npos++;
                    for (const tt_optspec *o = c->opts; o && o->key; o++)
                        if (o->sub && !strcmp(o->sub, t[i].s))
                            form = o->sub;
                }
            if (strchr(word, '=')) {
                complete_kv(s, &l, word, c->opts);
            } else {
                /* the positional slot being typed, from the table's args */
                char args[256], *save = NULL, *slot = NULL, *last = NULL;
                int k = 0;
                snprintf(args, sizeof args, "%s", c->args ? c->args : "");
                for (char *w = strtok_r(args, " ", &save); w; w = strtok_r(NULL, " ", &save), k++) {
                    last = w;
                    if (k == npos)
                        slot = w;
                }
                if (!slot && last && strstr(last, "..."))
                    slot = last;
                if (slot && (c->max < 0 || npos < c->max)) {
                    char one[128];
                    snprintf(one, sizeof one, "%s", slot);
                    char *dots = strstr(one, "...");
                    if (dots)
                        *dots = 0;
                    if (!strcmp(c->name, "load") && npos == 1 && first && !strcmp(first, "synthetic")) {
                        /* the generator's presets, from its table */
                        const char *nm;
                        for (int k = 0; (nm = tt_synth_preset_info(k, NULL)); k++)
                            cadd(&l, word, "", nm, "");
                    }
                    else if (!strcmp(one, "@file"))
                        *files = 1;
                    else if (one[0] == '@')
                        add_names(s, &l, word, one);
                    else if (strchr(one, '|')) {
                        /* words, and names of a kind (@setting) among them */
                        char *sv = NULL;
                        for (char *w = strtok_r(one, "|", &sv); w; w = strtok_r(NULL, "|", &sv))
                            if (w[0] == '@')
                                add_names(s, &l, word, w);
                            else
                                cadd(&l, word, "", w, "");
                    }
                    else if (*one)
                        cadd(&l, word, "", one, "");
                }
                add_keys(&l, word, c->opts, form ? form : first);
                if (!strcmp(c->name, "show") && npos == 1 && first &&
                    (!strcmp(first, "tower") || !strcmp(first, "model"))) {
                    for (int i = 0; i < l.n; i++)
                        free(l.v[i]);
                    l.n = 0;
                    add_names(s, &l, word, !strcmp(first, "tower") ? "@tower" : "@model");
                }
            }
        }
    }
    tt_toks_free(&tk);
    if (!l.v)
        l.v = calloc(1, sizeof *l.v);
    else
        l.v[l.n] = NULL;
    return l.v;
}

void tt_complete_free(char **c)
{
    for (char **p = c; p && *p; p++)
        free(*p);
    free(c);
}

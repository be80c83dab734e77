/* tt_session: session state, lookups, and the one place errors are
 * formatted with their position (after Lua's luaG_addinfo). */
#include "tt_session.h"
#include "tt_dist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tt_session_init(tt_session *s)
{
    memset(s, 0, sizeof *s);
    s->out.mode = TT_OUT_TABLE;
    s->out.f = stdout;
    s->seed = 1;
    s->dashboard = 1;
    s->progress = 1;
    s->plot_term = 0;           /* auto (TT_PLOT_AUTO) */
    snprintf(s->plot_file, sizeof s->plot_file, "plot.png");
    s->hist = 20;
    s->n_k = 3;
    s->ks[0] = 10;
    s->ks[1] = 20;
    s->ks[2] = 50;
    s->cur_ds = -1;
}

static void model_free(tt_modelent *m)
{
    tt_entry_free(m);
}

void tt_session_free(tt_session *s)
{
    for (int i = 0; i < s->n_models; i++)
        model_free(&s->models[i]);
    free(s->models);
    for (int i = 0; i < s->n_ds; i++) {
        if (s->ds[i].has_split)
            tt_split_free(&s->ds[i].sp);
        tt_dataset_free(&s->ds[i].d);
    }
    free(s->ds);
    free(s->towers);
    for (int i = 0; i < s->n_vars; i++)
        free(s->vars[i].value);
    free(s->vars);
    s->vars = NULL;
    for (int i = 0; i < s->n_indexes; i++)
        tt_index_free(&s->indexes[i]);
    free(s->indexes);
    s->indexes = NULL;
    s->n_indexes = 0;
    s->n_vars = 0;
    s->models = NULL;
    s->ds = NULL;
    s->towers = NULL;
    s->n_models = s->n_ds = s->n_towers = 0;
}

void tt_session_drop_model(tt_session *s, int idx)
{
    model_free(&s->models[idx]);
    memmove(&s->models[idx], &s->models[idx + 1],
            (size_t)(s->n_models - idx - 1) * sizeof *s->models);
    s->n_models--;
}

static void where(tt_session *s, char *buf, size_t n)
{
    if (s->file && s->err_col > 0 && s->line > 0)
        snprintf(buf, n, "%s:%d:%d: ", s->file, s->line, s->err_col);
    else if (s->file && s->line > 0)
        snprintf(buf, n, "%s:%d: ", s->file, s->line);
    else if (s->file)
        snprintf(buf, n, "%s: ", s->file);
    else
        buf[0] = 0;
}

/* An error or warning as a JSON event: where (file, line, column when col >
 * 0) and the message. */
static void json_event(tt_session *s, const char *event, int col, const char *msg)
{
    tt_rec r;
    tt_rec_init(&r);
    if (s->file)
        tt_rec_str(&r, "file", s->file);
    if (s->line > 0)
        tt_rec_int(&r, "line", s->line);
    if (col > 0)
        tt_rec_int(&r, "column", col);
    tt_rec_str(&r, "message", msg);
    tt_json_rec(s->out.f, event, &r);
    tt_rec_free(&r);
}

void tt_session_report(tt_session *s)
{
    char pos[600], one[sizeof s->err.msg];
    const char *msg = s->err.msg[0] ? s->err.msg : "failed";
    /* Messages quote what was typed or read, and a quoted word may hold a
     * newline ("a\nb"): print them on one line, as file:line: error: says. */
    for (size_t k = 0; k < sizeof one; k++)
        if (!(one[k] = (unsigned char)msg[k] < 0x20 && msg[k] ? '?' : msg[k]))
            break;
    one[sizeof one - 1] = 0;
    msg = one;
    s->n_errors++;
    fflush(s->out.f);             /* results before the error, in order */
    where(s, pos, sizeof pos);
    if (s->interactive && s->err_col > 0 && s->cur_text) {
        /* Point at the offending stage under the line just typed. */
        fprintf(stderr, "%*s^\n", s->prompt_width + s->err_col - 1, "");
        fprintf(stderr, "error: column %d: %s\n", s->err_col, msg);
    } else {
        fprintf(stderr, "%serror: %s\n", pos, msg);
    }
    fflush(stderr);
    if (s->out.mode == TT_OUT_JSON) {
        json_event(s, "error", s->err_col, msg);
        fflush(s->out.f);
    }
}

int tt_session_dist_failure(tt_session *s, int failed)
{
    int first = tt_dist_first_rank(failed);
    if (first < 0 || tt_dist_size() == 1)
        return first;
    tt_err e;
    memcpy(&e, &s->err, sizeof e);
    if (tt_dist_bcast(e.msg, sizeof e.msg, first, &s->err))
        tt_dist_die(s->err.msg);
    if (!failed) {
        tt_err_set(&s->err, "rank %d: %s", first, e.msg);
        s->err_col = 0;
    }
    return first;
}

int tt_fail(tt_session *s, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_err_vset(&s->err, fmt, ap);
    va_end(ap);
    s->err_col = col;
    return -1;
}

int tt_session_check_output(tt_session *s)
{
    if (s->out_failed)
        return 0;
    errno = 0;
    if (fflush(s->out.f) == 0 && !ferror(s->out.f))
        return 0;
    int e = errno ? errno : EIO;
    if (e == EPIPE) {
        s->out_failed = 2;
        s->quit = 1;
        return 0;
    }
    s->out_failed = 1;
    s->err_col = 0;
    return tt_err_set(&s->err, "cannot write results to standard output: %s", strerror(e));
}

const char *tt_session_unnamed_ds(const tt_session *s, const char *msg)
{
    char q[TT_NAME_MAX + 4], w[TT_NAME_MAX + 12];
    if (!s->err_ds[0] || s->n_ds < 2 || !msg[0])
        return NULL;
    snprintf(q, sizeof q, "'%s'", s->err_ds);
    snprintf(w, sizeof w, "dataset %s ", s->err_ds);
    if (strstr(msg, q) || strstr(msg, w))
        return NULL;
    return s->err_ds;
}

void tt_session_warn(tt_session *s, const char *fmt, ...)
{
    char msg[1024], pos[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *ds = tt_session_unnamed_ds(s, msg);   /* as errors do */
    if (ds) {
        char named[sizeof msg + TT_NAME_MAX + 16];
        snprintf(named, sizeof named, "dataset '%s': %s", ds, msg);
        snprintf(msg, sizeof msg, "%.1000s", named);
    }
    int col = s->err_col;
    s->err_col = 0;
    where(s, pos, sizeof pos);
    s->err_col = col;
    fflush(s->out.f);
    fprintf(stderr, "%swarning: %s\n", pos, msg);
    if (s->out.mode == TT_OUT_JSON)
        json_event(s, "warning", 0, msg);
}

tt_dsent *tt_session_dataset(tt_session *s, const char *name)
{
    for (int i = 0; i < s->n_ds; i++)
        if (strcmp(s->ds[i].name, name) == 0)
            return &s->ds[i];
    return NULL;
}

tt_dsent *tt_session_current(tt_session *s)
{
    return s->cur_ds >= 0 && s->cur_ds < s->n_ds ? &s->ds[s->cur_ds] : NULL;
}

tt_tower_def *tt_session_tower(tt_session *s, const char *name)
{
    for (int i = 0; i < s->n_towers; i++)
        if (strcmp(s->towers[i].name, name) == 0)
            return &s->towers[i];
    return NULL;
}

tt_modelent *tt_session_model(tt_session *s, const char *name)
{
    for (int i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].def.name, name) == 0)
            return &s->models[i];
    return NULL;
}

tt_indexent *tt_session_index(tt_session *s, const char *name)
{
    for (int i = 0; i < s->n_indexes; i++)
        if (strcmp(s->indexes[i].name, name) == 0)
            return &s->indexes[i];
    return NULL;
}

const char *tt_session_var(tt_session *s, const char *name)
{
    for (int i = 0; i < s->n_vars; i++)
        if (strcmp(s->vars[i].name, name) == 0)
            return s->vars[i].value;
    return getenv(name);
}

int tt_session_set_var(tt_session *s, const char *name, const char *value)
{
    char *v = tt_strdup(value);
    if (!v)
        return -1;
    for (int i = 0; i < s->n_vars; i++)
        if (strcmp(s->vars[i].name, name) == 0) {
            free(s->vars[i].value);
            s->vars[i].value = v;
            return 0;
        }
    tt_var *nv = realloc(s->vars, (size_t)(s->n_vars + 1) * sizeof *nv);
    if (!nv) {
        free(v);
        return -1;
    }
    s->vars = nv;
    snprintf(nv[s->n_vars].name, sizeof nv[0].name, "%s", name);
    nv[s->n_vars++].value = v;
    return 0;
}

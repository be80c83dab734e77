/* tt_output: the three output modes over one record type. */
#include "tt_output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tt_util.h"

const char *tt_outmode_name(enum tt_outmode m)
{
    return m == TT_OUT_CSV ? "csv" : m == TT_OUT_JSON ? "json" : "table";
}

void tt_rec_init(tt_rec *r)
{
    memset(r, 0, sizeof *r);
}

void tt_rec_free(tt_rec *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->f[i].s);
    r->n = 0;
}

static tt_field *add(tt_rec *r, const char *key, enum tt_val_kind kind)
{
    if (r->n >= TT_REC_MAX)
        return NULL;
    tt_field *f = &r->f[r->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", key);
    f->kind = kind;
    return f;
}

void tt_rec_str(tt_rec *r, const char *key, const char *s)
{
    tt_field *f = add(r, key, TT_V_STR);
    if (f)
        f->s = tt_strdup(s ? s : "");
}

void tt_rec_int(tt_rec *r, const char *key, int64_t v)
{
    tt_field *f = add(r, key, TT_V_INT);
    if (f)
        f->i = v;
}

void tt_rec_num(tt_rec *r, const char *key, double v, int prec)
{
    tt_field *f = add(r, key, TT_V_NUM);
    if (f) {
        f->d = v;
        f->prec = prec;
    }
}

void tt_rec_null(tt_rec *r, const char *key)
{
    add(r, key, TT_V_NULL);
}

void tt_rec_bool(tt_rec *r, const char *key, int v)
{
    tt_field *f = add(r, key, TT_V_BOOL);
    if (f)
        f->i = v != 0;
}

const tt_field *tt_rec_get(const tt_rec *r, const char *key)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->f[i].key, key) == 0)
            return &r->f[i];
    return NULL;
}

void tt_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void tt_json_rec(FILE *f, const char *event, const tt_rec *r)
{
    int first = 1;
    fputc('{', f);
    if (event) {
        fputs("\"event\":", f);
        tt_json_str(f, event);
        first = 0;
    }
    for (int i = 0; i < r->n; i++) {
        const tt_field *fl = &r->f[i];
        if (!first)
            fputc(',', f);
        first = 0;
        tt_json_str(f, fl->key);
        fputc(':', f);
        switch (fl->kind) {
        case TT_V_STR: tt_json_str(f, fl->s ? fl->s : ""); break;
        case TT_V_INT: fprintf(f, "%lld", (long long)fl->i); break;
        case TT_V_NUM:
            /* JSON has no NaN or infinity. */
            if (isfinite(fl->d))
                fprintf(f, "%.10g", fl->d);
            else
                fputs("null", f);
            break;
        case TT_V_NULL: fputs("null", f); break;
        case TT_V_BOOL: fputs(fl->i ? "true" : "false", f); break;
        }
    }
    fputs("}\n", f);
}

const char *tt_field_text(const tt_field *fl, char *buf, int n)
{
    switch (fl->kind) {
    case TT_V_STR: snprintf(buf, (size_t)n, "%s", fl->s ? fl->s : ""); break;
    case TT_V_INT: snprintf(buf, (size_t)n, "%lld", (long long)fl->i); break;
    case TT_V_NUM:
        if (isfinite(fl->d))
            snprintf(buf, (size_t)n, "%.*f", fl->prec, fl->d);
        else
            snprintf(buf, (size_t)n, "%s", isnan(fl->d) ? "nan" : "inf");
        break;
    case TT_V_NULL: snprintf(buf, (size_t)n, "-"); break;
    case TT_V_BOOL: snprintf(buf, (size_t)n, "%s", fl->i ? "yes" : "no"); break;
    }
    return buf;
}

static void csv_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void tt_out_rows(const tt_out *o, const char *event, const tt_rec *rows, int n,
                 const char *footer)
{
    char buf[1024];
    if (n <= 0)
        return;
    const tt_rec *h = &rows[0];
    if (o->mode == TT_OUT_JSON) {
        for (int r = 0; r < n; r++)
            tt_json_rec(o->f, event, &rows[r]);
    } else if (o->mode == TT_OUT_CSV) {
        for (int c = 0; c < h->n; c++) {
            if (c)
                fputc(',', o->f);
            csv_cell(o->f, h->f[c].key);
        }
        fputc('\n', o->f);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < rows[r].n; c++) {
                const tt_field *fl = &rows[r].f[c];
                if (c)
                    fputc(',', o->f);
                if (fl->kind == TT_V_NUM && isfinite(fl->d))
                    snprintf(buf, sizeof buf, "%.10g", fl->d);
                else
                    tt_field_text(fl, buf, sizeof buf);
                csv_cell(o->f, buf);
            }
            fputc('\n', o->f);
        }
        if (footer)
            fprintf(o->f, "# %s\n", footer);
    } else {
        int w[TT_REC_MAX];
        for (int c = 0; c < h->n; c++)
            w[c] = (int)strlen(h->f[c].key);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < rows[r].n && c < h->n; c++) {
                int l = (int)strlen(tt_field_text(&rows[r].f[c], buf, sizeof buf));
                if (l > w[c])
                    w[c] = l;
            }
        /* A column is numeric (right-aligned) when its first non-null
         * value is a number. */
        int isnum[TT_REC_MAX];
        for (int c = 0; c < h->n; c++) {
            isnum[c] = 0;
            for (int r = 0; r < n; r++)
                if (c < rows[r].n && rows[r].f[c].kind != TT_V_NULL) {
                    isnum[c] = rows[r].f[c].kind == TT_V_NUM || rows[r].f[c].kind == TT_V_INT;
                    break;
                }
        }
        for (int c = 0; c < h->n; c++) {
            int num = isnum[c];
            if (c == h->n - 1 && !num)
                fprintf(o->f, c ? "  %s" : "%s", h->f[c].key);   /* no trailing blanks */
            else
                fprintf(o->f, c ? "  %*s" : "%*s", num ? w[c] : -w[c], h->f[c].key);
        }
        fputc('\n', o->f);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < rows[r].n && c < h->n; c++) {
                const tt_field *fl = &rows[r].f[c];
                int num = isnum[c];
                tt_field_text(fl, buf, sizeof buf);
                if (c == h->n - 1 && !num)
                    fprintf(o->f, c ? "  %s" : "%s", buf);   /* no trailing blanks */
                else
                    fprintf(o->f, c ? "  %*s" : "%*s", num ? w[c] : -w[c], buf);
            }
            fputc('\n', o->f);
        }
        if (footer)
            fprintf(o->f, "%s\n", footer);
    }
    fflush(o->f);
}

void tt_out_info(const tt_out *o, const char *event, const tt_rec *rec,
                 const char *human)
{
    if (o->mode == TT_OUT_JSON) {
        tt_json_rec(o->f, event, rec);
    } else if (!o->quiet && human) {
        fprintf(o->f, o->mode == TT_OUT_CSV ? "# %s\n" : "%s\n", human);
    }
    fflush(o->f);
}

/* Break s in place at spaces so that no line is longer than width (a word
 * longer than width keeps its own line): footers that fit 80 columns. */
void tt_wrap_words(char *s, int width)
{
    char *line = s, *last_space = NULL;
    for (char *p = s; *p; p++) {
        if (*p == '\n') {
            line = p + 1;
            last_space = NULL;
            continue;
        }
        if (*p == ' ')
            last_space = p;
        if (p - line >= width && last_space) {
            *last_space = '\n';
            line = last_space + 1;
            last_space = NULL;
        }
    }
}

/* tt_output: the three output modes over one record type. */
#include "tt_output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

/* Columns a table may use: o->width when set, else the terminal's width
 * when o->f is a terminal (80 when it cannot say); files and pipes take
 * whole tables (0: no limit). */
static int out_width(const tt_out *o)
{
    struct winsize ws;
    if (o->width > 0)
        return o->width;
    if (!isatty(fileno(o->f)))
        return 0;
    if (ioctl(fileno(o->f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Columns s takes on a terminal: UTF-8 continuation bytes take none. */
static int text_cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s in a cell of w columns, right- or left-aligned, after two blanks unless
 * first; last: no trailing blanks. */
static void cell(FILE *f, const char *s, int w, int right, int first, int last)
{
    int pad = w - text_cols(s);
    if (!first)
        fputs("  ", f);
    for (int i = 0; right && i < pad; i++)
        fputc(' ', f);
    fputs(s, f);
    for (int i = 0; !right && !last && i < pad; i++)
        fputc(' ', f);
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
            w[c] = text_cols(h->f[c].key);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < rows[r].n && c < h->n; c++) {
                int l = text_cols(tt_field_text(&rows[r].f[c], buf, sizeof buf));
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
        /* Fit the width: a trailing text column (a description) may run
         * on; otherwise columns are left out from the right (never the
         * first two), whole, and the table says which. Never a cut cell. */
        int show[TT_REC_MAX], nc = h->n, text_tail = nc > 1 && !isnum[nc - 1] && w[nc - 1] > 30;
        int limit = out_width(o), total = 0;
        if (limit <= 0)
            limit = 1 << 30;
        for (int c = 0; c < nc; c++) {
            show[c] = 1;
            if (!(text_tail && c == nc - 1))
                total += w[c] + (c ? 2 : 0);
        }
        char dropped[512] = "";
        for (int c = nc - 1 - text_tail; c >= 2 && total > limit; c--) {
            show[c] = 0;
            total -= w[c] + 2;
        }
        for (int c = 0; c < nc; c++)
            if (!show[c]) {
                size_t j = strlen(dropped);
                snprintf(dropped + j, sizeof dropped - j, "%s%s", j ? ", " : "", h->f[c].key);
            }
        int lastc = nc - 1;
        while (lastc > 0 && !show[lastc])
            lastc--;
        for (int c = 0, first = 1; c < nc; c++)
            if (show[c]) {
                cell(o->f, h->f[c].key, w[c], isnum[c], first, c == lastc);
                first = 0;
            }
        fputc('\n', o->f);
        for (int r = 0; r < n; r++) {
            for (int c = 0, first = 1; c < rows[r].n && c < nc; c++)
                if (show[c]) {
                    cell(o->f, tt_field_text(&rows[r].f[c], buf, sizeof buf), w[c], isnum[c], first,
                         c == lastc);
                    first = 0;
                }
            fputc('\n', o->f);
        }
        if (footer)
            fprintf(o->f, "%s\n", footer);
        if (dropped[0]) {
            /* the note wraps at the width too, between names */
            char note[700];
            snprintf(note, sizeof note, "not shown in %d columns: %s", limit, dropped);
            int col = 0;
            for (char *p = note, *sp; *p; p = sp) {
                sp = strchr(p, ' ');
                sp = sp ? sp + 1 : p + strlen(p);
                int len = (int)(sp - p);
                if (col > 0 && col + len > limit) {
                    fputc('\n', o->f);
                    col = 0;
                }
                fwrite(p, 1, (size_t)len, o->f);
                col += len;
            }
            fputc('\n', o->f);
        }
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

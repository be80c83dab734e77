/* tt_output: the three output modes over one record type. */
#include "tt_output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tt_term.h"
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
    f->prio = TT_COL_NORMAL;
    return f;
}

void tt_rec_prio(tt_rec *r, const char *key, enum tt_col_prio prio)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->f[i].key, key) == 0)
            r->f[i].prio = (int)prio;
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

int tt_cols_of(FILE *f, int width)
{
    int rows, cols;
    if (width > 0)
        return width;
    if (f && tt_term_size(fileno(f), &rows, &cols) && cols >= 20)
        return cols;
    return 80;
}

int tt_out_cols(const tt_out *o)
{
    return tt_cols_of(o->f, o->width);
}

/* Columns s takes on a terminal: UTF-8 continuation bytes take none. */
static int text_cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int span_cols(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

void tt_put_words(FILE *f, const char *s, int width, const char *indent)
{
    int ind = text_cols(indent);
    if (!*s)
        fputc('\n', f);
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        const char *p = s, *end = s + len;
        int col = 0, words = 0;
        while (p < end) {
            const char *sp = p;
            while (p < end && *p == ' ')
                p++;
            const char *w = p;
            while (p < end && *p != ' ')
                p++;
            if (w == p) {   /* trailing blanks: dropped */
                break;
            }
            int sc = span_cols(sp, (size_t)(w - sp)), wc = span_cols(w, (size_t)(p - w));
            if (words > 0 && col + sc + wc > width) {
                fputc('\n', f);
                fputs(indent, f);
                col = ind;
                sc = 0;
                sp = w;
            }
            fwrite(sp, 1, (size_t)(p - sp), f);
            col += sc + wc;
            words++;
        }
        fputc('\n', f);
        s = eol ? eol + 1 : end;
    }
}

/* Break s at blanks into lines of at most w columns (a longer word keeps a
 * line of its own): the start and byte length of each line into st, ln;
 * returns the count (at least 1, at most max; the last takes the rest). */
static int cell_lines(const char *s, int w, const char **st, size_t *ln, int max)
{
    int n = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    if (!*p) {
        st[0] = s;
        ln[0] = 0;
        return 1;
    }
    while (*p) {
        const char *line = p, *end = p;
        int col = 0;
        while (*p) {
            const char *wd = p;
            while (*p && *p != ' ')
                p++;
            int gap = span_cols(end, (size_t)(wd - end)), add = span_cols(wd, (size_t)(p - wd));
            if (end != line && (col + gap + add > w) && n < max - 1) {
                p = wd;
                break;
            }
            col += gap + add;
            end = p;
            while (*p == ' ')
                p++;
        }
        st[n] = line;
        ln[n] = (size_t)(end - line);
        n++;
    }
    return n;
}

/* Width of the widest blank-separated word of s. */
static int widest_word(const char *s)
{
    int best = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        best = TT_MAX(best, span_cols(w, (size_t)(s - w)));
    }
    return best;
}

/* n bytes of s in a cell of w columns, right- or left-aligned, after two
 * blanks unless first; last: no trailing blanks. */
static void cell(FILE *f, const char *s, size_t n, int w, int right, int first, int last)
{
    int pad = w - span_cols(s, n);
    if (!first)
        fputs("  ", f);
    for (int i = 0; right && i < pad; i++)
        fputc(' ', f);
    fwrite(s, 1, n, f);
    for (int i = 0; !right && !last && i < pad; i++)
        fputc(' ', f);
}

static void csv_rows(const tt_out *o, const tt_rec *rows, int n, const char *footer)
{
    char buf[1024];
    const tt_rec *h = &rows[0];
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
}

/* One block per row: "key  value" lines, values wrapped at words beside
 * their keys; a blank line between blocks. */
static void vertical_rows(const tt_out *o, const tt_rec *rows, int n, int limit)
{
    char buf[1024];
    const tt_rec *h = &rows[0];
    int kw = 1;
    for (int c = 0; c < h->n; c++)
        kw = TT_MAX(kw, text_cols(h->f[c].key));
    int vw = TT_MAX(limit - kw - 2, 8);
    for (int r = 0; r < n; r++) {
        if (r)
            fputc('\n', o->f);
        for (int c = 0; c < rows[r].n && c < h->n; c++) {
            const char *st[64];
            size_t ln[64];
            int nl = cell_lines(tt_field_text(&rows[r].f[c], buf, sizeof buf), vw, st, ln, 64);
            for (int l = 0; l < nl; l++) {
                cell(o->f, l ? "" : h->f[c].key, l ? 0 : strlen(h->f[c].key), kw, 0, 1, 0);
                cell(o->f, st[l], ln[l], vw, 0, 0, 1);
                fputc('\n', o->f);
            }
        }
    }
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
        fflush(o->f);
        return;
    }
    if (o->mode == TT_OUT_CSV) {
        csv_rows(o, rows, n, footer);
        fflush(o->f);
        return;
    }
    int nc = h->n, limit = tt_out_cols(o);
    int w[TT_REC_MAX], isnum[TT_REC_MAX], prio[TT_REC_MAX], show[TT_REC_MAX], keys = 0;
    for (int c = 0; c < nc; c++) {
        w[c] = text_cols(h->f[c].key);
        prio[c] = h->f[c].prio;
        keys += prio[c] == TT_COL_KEY;
        show[c] = 1;
    }
    if (!keys)
        prio[0] = TT_COL_KEY;
    for (int r = 0; r < n; r++)
        for (int c = 0; c < rows[r].n && c < nc; c++)
            w[c] = TT_MAX(w[c], text_cols(tt_field_text(&rows[r].f[c], buf, sizeof buf)));
    /* A column is numeric (right-aligned) when its first non-null value is a
     * number. */
    for (int c = 0; c < nc; c++) {
        isnum[c] = 0;
        for (int r = 0; r < n; r++)
            if (c < rows[r].n && rows[r].f[c].kind != TT_V_NULL) {
                isnum[c] = rows[r].f[c].kind == TT_V_NUM || rows[r].f[c].kind == TT_V_INT;
                break;
            }
    }
    /* A long text column last (a description) may wrap at words inside its
     * column: it needs only its widest word (at least 20 columns). */
    int tail = nc > 1 && !isnum[nc - 1] && w[nc - 1] > 30 ? nc - 1 : -1, tmin = 0;
    if (tail >= 0) {
        tmin = TT_MIN(w[tail], 20);
        for (int r = 0; r < n; r++)
            if (tail < rows[r].n)
                tmin = TT_MAX(tmin, widest_word(tt_field_text(&rows[r].f[tail], buf, sizeof buf)));
    }
    int total = 0;
    for (int c = 0; c < nc; c++)
        total += (c == tail ? tmin : w[c]) + (c ? 2 : 0);
    /* Leave out whole columns by priority, the least needed first, each
     * priority from the right, never a key column. Never a cut cell. */
    while (total > limit) {
        int drop = -1;
        for (int c = nc - 1; c >= 0; c--)
            if (show[c] && prio[c] != TT_COL_KEY && (drop < 0 || prio[c] > prio[drop]))
                drop = c;
        if (drop < 0)
            break;
        show[drop] = 0;
        total -= (drop == tail ? tmin : w[drop]) + 2;
    }
    if (total > limit) {   /* not even the key columns fit: vertical */
        vertical_rows(o, rows, n, limit);
    } else {
        int first_shown = -1, lastc = -1;
        for (int c = 0; c < nc; c++)
            if (show[c]) {
                lastc = c;
                if (first_shown < 0)
                    first_shown = c;
            }
        if (tail >= 0 && show[tail])
            w[tail] = TT_MIN(w[tail], limit - (total - tmin));
        int tail_x = 0;   /* where continuation lines of the tail start */
        for (int c = 0; c < tail && tail >= 0; c++)
            if (show[c])
                tail_x += w[c] + 2;
        for (int r = -1; r < n; r++) {
            const char *st[64];
            size_t ln[64];
            int nl = 1;
            for (int c = 0; c < nc; c++) {
                if (!show[c])
                    continue;
                const char *t = r < 0 ? h->f[c].key
                                      : c < rows[r].n ? tt_field_text(&rows[r].f[c], buf, sizeof buf)
                                                      : "";
                if (c == tail && r >= 0) {
                    nl = cell_lines(t, w[c], st, ln, 64);
                    cell(o->f, st[0], ln[0], w[c], 0, c == first_shown, 1);
                } else {
                    cell(o->f, t, strlen(t), w[c], isnum[c], c == first_shown, c == lastc);
                }
            }
            fputc('\n', o->f);
            for (int l = 1; l < nl; l++) {
                fprintf(o->f, "%*s", tail_x, "");
                fwrite(st[l], 1, ln[l], o->f);
                fputc('\n', o->f);
            }
        }
    }
    if (footer)
        tt_put_words(o->f, footer, limit, "");
    char dropped[700] = "";
    for (int c = 0; c < nc; c++)
        if (!show[c] && total <= limit) {
            size_t j = strlen(dropped);
            snprintf(dropped + j, sizeof dropped - j, "%s%s", j ? ", " : "", h->f[c].key);
        }
    if (dropped[0]) {
        char note[800];
        snprintf(note, sizeof note, "not shown in %d columns: %s (set output csv has every column)",
                 limit, dropped);
        tt_put_words(o->f, note, limit, "");
    }
    fflush(o->f);
}

static void out_info(const tt_out *o, const char *event, const tt_rec *rec, const char *human,
                     int wrap)
{
    if (o->mode == TT_OUT_JSON) {
        tt_json_rec(o->f, event, rec);
    } else if (!o->quiet && human) {
        if (o->mode == TT_OUT_CSV)
            fprintf(o->f, "# %s\n", human);
        else if (wrap)
            tt_put_words(o->f, human, tt_out_cols(o), "  ");
        else
            fprintf(o->f, "%s\n", human);
    }
    fflush(o->f);
}

void tt_out_info(const tt_out *o, const char *event, const tt_rec *rec,
                 const char *human)
{
    out_info(o, event, rec, human, 1);
}

void tt_out_line(const tt_out *o, const char *event, const tt_rec *rec,
                 const char *human)
{
    out_info(o, event, rec, human, 0);
}

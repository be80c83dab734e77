/* tt_load_csv: generic delimited text (RFC 4180 quoting) into a dataset: an
 * interactions file plus optional user and item feature files. */
#include "tt_dataset.h"
#include "tt_dsb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tt_csv_opts_init(tt_csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->user_col = "user";
    o->item_col = "item";
    o->time_col = NULL; /* "time" when the header has it, else file order */
    o->sep = ',';
    o->multi_sep = '|';
    o->context = NULL;
    o->kinds = NULL;
    o->num_buckets = 10;
}

/* ---- the record reader ---- */

typedef struct csvr {
    const char *path;
    char *buf;
    size_t len, pos;
    char sep;
    int64_t line;        /* line at pos */
    int64_t rec_line;    /* first line of the current record */
    char *scratch;       /* field bytes, NUL-separated */
    size_t scap, sn;
    size_t *fo;          /* (fcap) field offsets into scratch */
    int fcap;
    int nf;
    char **f;            /* (fcap) fields of the current record */
    int32_t *flen;       /* (fcap) their lengths */
    tt_strmap hdr;       /* the header's names: index = column */
} csvr;

static void csvr_free(csvr *r)
{
    free(r->buf);
    free(r->scratch);
    free(r->fo);
    free(r->f);
    free(r->flen);
    tt_strmap_free(&r->hdr);
}

static int csvr_open(csvr *r, const char *path, char sep, tt_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->sep = sep;
    r->line = 1;
    if (tt_file_read_all(path, &r->buf, &r->len, err))
        return -1;
    int64_t ln, bad = tt_dsb_utf8_check(r->buf, r->len, &ln);
    if (bad >= 0)
        return tt_err_set(err, "%s:%lld: expected UTF-8 text, found the byte 0x%02X "
                          "(convert the file to UTF-8)", path, (long long)ln,
                          (unsigned char)r->buf[bad]);
    /* Fields are used as C strings: a NUL would cut a key short and merge
     * distinct ids ("m\0x" and "m\0y" both became "m"). */
    const char *nul = memchr(r->buf, 0, r->len);
    if (nul) {
        ln = 1;
        for (const char *q = r->buf; q < nul; q++)
            ln += *q == '\n';
        return tt_err_set(err, "%s:%lld: expected text, found a NUL byte", path, (long long)ln);
    }
    if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    return 0;
}

static int push_byte(csvr *r, char c, tt_err *err)
{
    if (r->sn == r->scap) {
        size_t nc = r->scap ? r->scap * 2 : 1024;
        char *s = realloc(r->scratch, nc);
        if (!s)
            return tt_err_set(err, "%s: out of memory reading a record", r->path);
        r->scratch = s;
        r->scap = nc;
    }
    r->scratch[r->sn++] = c;
    return 0;
}

static int push_field(csvr *r, tt_err *err)
{
    if (r->nf == r->fcap) {
        int nc = r->fcap ? r->fcap * 2 : 16;
        size_t *fo = realloc(r->fo, (size_t)nc * sizeof *fo);
        if (!fo)
            return tt_err_set(err, "%s: out of memory reading a record", r->path);
        r->fo = fo;
        char **f = realloc(r->f, (size_t)nc * sizeof *f);
        if (!f)
            return tt_err_set(err, "%s: out of memory reading a record", r->path);
        r->f = f;
        int32_t *fl = realloc(r->flen, (size_t)nc * sizeof *fl);
        if (!fl)
            return tt_err_set(err, "%s: out of memory reading a record", r->path);
        r->flen = fl;
        r->fcap = nc;
    }
    r->fo[r->nf++] = r->sn;
    return 0;
}

/* Next record: 1, 0 at the end of the file, -1 on error. Empty lines are
 * skipped. Unquoted fields lose surrounding spaces; quoted ones are exact. */
static int csvr_next(csvr *r, tt_err *err)
{
    const char *b = r->buf;
    size_t n = r->len;
    for (;;) {
        /* Line ends: "\n", "\r\n", and a lone "\r" (old Mac files, or
         * a mixture), all counted as one line. */
        while (r->pos < n && (b[r->pos] == '\n' || b[r->pos] == '\r')) {
            if (b[r->pos] == '\r' && r->pos + 1 < n && b[r->pos + 1] == '\n')
                r->pos++;
            r->pos++;
            r->line++;
        }
        if (r->pos >= n)
            return 0;
        break;
    }
    r->nf = 0;
    r->sn = 0;
    r->rec_line = r->line;
    for (;;) {
        if (push_field(r, err))
            return -1;
        size_t p = r->pos;
        while (p < n && b[p] == ' ')
            p++;
        if (p < n && b[p] == '"') {
            int64_t open = r->line;
            p++;
            for (;;) {
                if (p >= n)
                    return tt_err_set(err, "%s:%lld: expected a closing quote for the field "
                                      "opened on this line, found the end of the file",
                                      r->path, (long long)open);
                if (b[p] == '"') {
                    if (p + 1 < n && b[p + 1] == '"') {
                        if (push_byte(r, '"', err))
                            return -1;
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (b[p] == '\n' || (b[p] == '\r' && (p + 1 >= n || b[p + 1] != '\n')))
                    r->line++;
                if (push_byte(r, b[p++], err))
                    return -1;
            }
            while (p < n && b[p] == ' ')
                p++;
            if (p < n && b[p] != r->sep && b[p] != '\n' && b[p] != '\r')
                return tt_err_set(err, "%s:%lld: expected a separator after a closing quote, "
                                  "found '%s'", r->path, (long long)r->line,
                                  TT_SHOW(((char[2]){b[p], 0})));
        } else {
            p = r->pos;
            size_t s = p;
            while (p < n && b[p] != r->sep && b[p] != '\n' && b[p] != '\r')
                p++;
            size_t e = p;
            while (s < e && b[s] == ' ')
                s++;
            while (e > s && b[e - 1] == ' ')
                e--;
            for (size_t k = s; k < e; k++)
                if (push_byte(r, b[k], err))
                    return -1;
        }
        if (push_byte(r, 0, err))
            return -1;
        r->pos = p;
        if (p < n && b[p] == r->sep) {
            r->pos++;
            continue;
        }
        if (p < n && (b[p] == '\r' || b[p] == '\n')) {
            if (b[p] == '\r' && p + 1 < n && b[p + 1] == '\n')
                p++;
            p++;
            r->line++;
        }
        r->pos = p;
        break;
    }
    for (int k = 0; k < r->nf; k++) {
        r->f[k] = r->scratch + r->fo[k];
        r->flen[k] = (int32_t)strlen(r->f[k]);
    }
    return 1;
}

/* ---- raw columns: distinct values first, the kind decided at the end ---- */

typedef struct rawcol {
    char *name;
    const char *path;     /* file it came from */
    enum tt_side side;
    int src;              /* column in its file */
    int forced;           /* kind set by opts->kinds */
    enum tt_kind kind;
    tt_colb b;            /* CAT over the raw strings */
    int64_t *first_line;  /* (b.map.n) line of each value's first occurrence */
    int32_t lcap;
} rawcol;

typedef struct csvl {
    const tt_csv_opts *o;
    tt_strmap users, items;
    int64_t *user_line, *item_line; /* (n) line in the feature file, 0 = not listed */
    int32_t ucap, icap;
    char **title;                   /* (items) from an item file column "title" */
    int32_t tcap;
    tt_interb inter;
    rawcol *col;
    int ncol;
    tt_strmap names;                /* the names of col, same order */
    char *notes;                    /* for d->notes */
} csvl;

static void csvl_free(csvl *c)
{
    tt_strmap_free(&c->users);
    tt_strmap_free(&c->items);
    free(c->user_line);
    free(c->item_line);
    for (int32_t i = 0; i < c->tcap; i++)
        free(c->title[i]);
    free(c->title);
    tt_interb_free(&c->inter);
    for (int k = 0; k < c->ncol; k++) {
        free(c->col[k].name);
        tt_colb_free(&c->col[k].b);
        free(c->col[k].first_line);
    }
    free(c->col);
    tt_strmap_free(&c->names);
    free(c->notes);
}

static rawcol *add_col(csvl *c, const char *name, const char *path, enum tt_side side,
                       int src, tt_err *err)
{
    rawcol *nc = realloc(c->col, (size_t)(c->ncol + 1) * sizeof *nc);
    if (!nc) {
        tt_err_set(err, "out of memory for columns");
        return NULL;
    }
    c->col = nc;
    rawcol *rc = &c->col[c->ncol++];
    memset(rc, 0, sizeof *rc);
    int added;
    if (tt_strmap_put(&c->names, name, strlen(name), &added, err) < 0) {
        c->ncol--;
        return NULL;
    }
    rc->path = path;
    rc->side = side;
    rc->src = src;
    tt_colb_init(&rc->b, TT_CAT);
    if (!(rc->name = tt_strdup(name))) {
        tt_err_set(err, "out of memory for columns");
        return NULL;
    }
    return rc;
}

static int raw_add(rawcol *rc, int64_t row, const char *s, size_t len, int64_t line,
                   tt_err *err)
{
    int32_t before = rc->b.map.n;
    if (tt_colb_add_str(&rc->b, row, s, len, err))
        return -1;
    if (rc->b.map.n > before) {
        if (rc->b.map.n > rc->lcap) {
            int32_t nc = rc->lcap ? rc->lcap * 2 : 64;
            int64_t *l = realloc(rc->first_line, (size_t)nc * sizeof *l);
            if (!l)
                return tt_err_set(err, "out of memory for a column");
            rc->first_line = l;
            rc->lcap = nc;
        }
        rc->first_line[rc->b.map.n - 1] = line;
    }
    return 0;
}

/* Line array grown with a strmap of keys. */
static int grow_lines(int64_t **lines, int32_t *cap, int32_t need, tt_err *err)
{
    if (need <= *cap)
        return 0;
    int32_t nc = *cap ? *cap : 256;
    while (nc < need)
        nc *= 2;
    int64_t *l = realloc(*lines, (size_t)nc * sizeof *l);
    if (!l)
        return tt_err_set(err, "out of memory for keys");
    memset(l + *cap, 0, (size_t)(nc - *cap) * sizeof *l);
    *lines = l;
    *cap = nc;
    return 0;
}

/* "a, b, c" list of header names for messages. */
static void list_names(const csvr *r, char *out, size_t n)
{
    out[0] = 0;
    for (int k = 0; k < r->nf; k++) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s%s", k ? ", " : "", r->f[k]);
    }
}

/* Column of the header named name, or -1 (after read_header). */
static int find_col(const csvr *r, const char *name)
{
    return tt_strmap_get(&r->hdr, name, strlen(name));
}

static int unknown_col(const csvr *r, const char *name, const char *role, tt_err *err)
{
    char names[512], hint[160] = "";
    int best = -1, bd = 4;
    for (int k = 0; k < r->nf; k++) {
        int dd = tt_levenshtein(name, r->f[k]);
        if (dd < bd) {
            bd = dd;
            best = k;
        }
    }
    /* A hint only when at most half the letters differ ('when' is not a
     * typo of 'user', 'usr' is). */
    if (best >= 0 && 2 * bd <= (int)strlen(name))
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", r->f[best]);
    list_names(r, names, sizeof names);
    return tt_err_set(err, "%s:%lld: expected a column named '%s' (%s), found columns %s%s",
                      r->path, (long long)r->rec_line, TT_SHOW(name), role, names, hint);
}

/* Header: required, non-empty names, no repeats, none of the reserved names. */
static int read_header(csvr *r, tt_err *err)
{
    int rc = csvr_next(r, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return tt_err_set(err, "%s:1: expected a header line, found an empty file", r->path);
    /* Names go into a hash (kept for find_col): repeats are found in linear
     * time (40,000 columns took 15 s with the pairwise comparison). */
    for (int k = 0; k < r->nf; k++) {
        int added;
        if (!r->flen[k])
            return tt_err_set(err, "%s:%lld: expected a name for column %d, found an empty "
                              "field", r->path, (long long)r->rec_line, k + 1);
        int32_t j = tt_strmap_put(&r->hdr, r->f[k], (size_t)r->flen[k], &added, err);
        if (j < 0)
            return -1;
        if (!added)
            return tt_err_set(err, "%s:%lld: expected distinct column names, found '%s' "
                              "twice (columns %d and %d)", r->path, (long long)r->rec_line,
                              TT_SHOW(r->f[k]), j + 1, k + 1);
    }
    return 0;
}

static int check_count(const csvr *r, int want, tt_err *err)
{
    if (r->nf != want)
        return tt_err_set(err, "%s:%lld: expected %d fields as in the header, found %d",
                          r->path, (long long)r->rec_line, want, r->nf);
    return 0;
}

/* A feature column name must not clash with the standard features or another file's. */
static int check_feature_name(const csvl *c, const csvr *r, const char *name, tt_err *err)
{
    if (!strcmp(name, "user_id") || !strcmp(name, "item_id") || !strcmp(name, "hist"))
        return tt_err_set(err, "%s:%lld: expected a feature name other than user_id, item_id "
                          "and hist (reserved), found '%s'", r->path, (long long)r->rec_line,
                          TT_SHOW(name));
    int32_t k = tt_strmap_get(&c->names, name, strlen(name));
    if (k >= 0)
        return tt_err_set(err, "%s:%lld: expected a new feature name, found '%s', already "
                          "a column of %s", r->path, (long long)r->rec_line, TT_SHOW(name),
                          c->col[k].path);
    return 0;
}

static int parse_time(const char *s, size_t len, int64_t *t)
{
    double v;
    if (tt_dsb_parse_int(s, len, t))
        return 1;
    if (tt_dsb_parse_num(s, len, &v) && fabs(v) < 9e18) {
        *t = (int64_t)floor(v);
        return 1;
    }
    return tt_dsb_parse_iso8601(s, len, t);
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == n && strncmp(p, name, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* The names of context= (o->context), each checked against the header:
 * an unknown column, the user, item or time column, or a label-like column
 * not in allow_label= is an error naming it. The names go into *names. */
static int check_context(const csvr *r, const tt_csv_opts *o, int ucol, int icol, int tcol,
                         tt_strmap *names, tt_err *err)
{
    const char *p = o->context;
    while (p && *p) {
        char nm[256];
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = 0;
        while (*p && *p != ',' && k < sizeof nm - 1)
            nm[k++] = *p++;
        while (k > 0 && nm[k - 1] == ' ')
            k--;
        nm[k] = 0;
        if (!k)
            continue;
        int added;
        if (tt_strmap_put(names, nm, k, &added, err) < 0)
            return -1;
        int col = find_col(r, nm);
        if (col < 0)
            return unknown_col(r, nm, "a context column", err);
        if (col == ucol || col == icol || col == tcol)
            return tt_err_set(err, "%s:%lld: expected context columns other than the user, item "
                              "and time columns, found '%s' (the %s column) in context=",
                              r->path, (long long)r->rec_line, TT_SHOW(nm),
                              col == ucol ? "user" : col == icol ? "item" : "time");
        if (tt_dataset_label_like(nm) && !(o->allow_label && in_list(o->allow_label, nm)))
            return tt_err_set(err, "%s:%lld: '%s' looks like the label of the interaction (known "
                              "only after the recommendation): as a context feature it leaks "
                              "the target; add allow_label=%s to use it anyway",
                              r->path, (long long)r->rec_line, TT_SHOW(nm), TT_SHOW(nm));
    }
    return 0;
}

static int read_inter(csvl *c, tt_err *err)
{
    const tt_csv_opts *o = c->o;
    csvr r;
    tt_strmap ctx;                  /* the names of context= */
    int rc = -1, ucol, icol, tcol = -1;
    memset(&ctx, 0, sizeof ctx);
    const char *tname = o->time_col ? o->time_col : "time";
    if (csvr_open(&r, o->inter_path, o->sep, err) || read_header(&r, err))
        goto out;
    if ((ucol = find_col(&r, o->user_col)) < 0) {
        unknown_col(&r, o->user_col, "the user column", err);
        goto out;
    }
    if ((icol = find_col(&r, o->item_col)) < 0) {
        unknown_col(&r, o->item_col, "the item column", err);
        goto out;
    }
    if (*tname && (tcol = find_col(&r, tname)) < 0 && o->time_col) {
        unknown_col(&r, tname, "the time column", err);
        goto out;
    }
    if (ucol == icol) {
        tt_err_set(err, "%s:1: expected different user and item columns, found '%s' for both",
                   r.path, o->user_col);
        goto out;
    }
    /* Context features: only the columns named in context=. Every other
     * column used to become one, and on MovieLens-like files that made the
     * interaction's own rating an input of the user tower: a value known
     * only after the recommendation. */
    if (check_context(&r, o, ucol, icol, tcol, &ctx, err))
        goto out;
    int first = c->ncol, n_ignored = 0;
    char ignored[512] = "";
    for (int k = 0; k < r.nf; k++) {
        if (k == ucol || k == icol || k == tcol)
            continue;
        if (tt_strmap_get(&ctx, r.f[k], (size_t)r.flen[k]) < 0) {
            /* listed once, in the notes: the first few by name */
            size_t l = strlen(ignored);
            if (n_ignored < 8)
                snprintf(ignored + l, sizeof ignored - l, "%s%s", n_ignored ? ", " : "",
                         TT_SHOW(r.f[k]));
            n_ignored++;
            continue;
        }
        if (check_feature_name(c, &r, r.f[k], err) ||
            !add_col(c, r.f[k], o->inter_path, TT_CTX, k, err))
            goto out;
    }
    if (n_ignored > 8) {
        size_t l = strlen(ignored);
        snprintf(ignored + l, sizeof ignored - l, " and %d more", n_ignored - 8);
    }
    if (n_ignored && tt_dataset_note(&c->notes, "%s: %s not used (name %s in context= to use "
                                     "%s as %s of the user tower)", r.path, ignored,
                                     n_ignored > 1 ? "them" : "it", n_ignored > 1 ? "them" : "it",
                                     n_ignored > 1 ? "context features" : "a context feature")) {
        tt_err_set(err, "out of memory");
        goto out;
    }
    int want = r.nf, got;
    int64_t row = 0;
    while ((got = csvr_next(&r, err)) == 1) {
        int added;
        int64_t t = row;
        if (check_count(&r, want, err))
            goto out;
        if (!r.flen[ucol] || !r.flen[icol]) {
            tt_err_set(err, "%s:%lld: expected %s id in column '%s', found an empty field",
                       r.path, (long long)r.rec_line, r.flen[ucol] ? "an item" : "a user",
                       r.flen[ucol] ? o->item_col : o->user_col);
            goto out;
        }
        if (tcol >= 0 && !parse_time(r.f[tcol], (size_t)r.flen[tcol], &t)) {
            tt_err_set(err, "%s:%lld: expected a numeric time or an ISO-8601 date in column "
                       "'%s', found '%s'", r.path, (long long)r.rec_line, tname, TT_SHOW(r.f[tcol]));
            goto out;
        }
        int32_t u = tt_strmap_put(&c->users, r.f[ucol], (size_t)r.flen[ucol], &added, err);
        int32_t i = u < 0 ? -1 : tt_strmap_put(&c->items, r.f[icol], (size_t)r.flen[icol],
                                               &added, err);
        if (i < 0 || tt_interb_push(&c->inter, u, i, t, err))
            goto out;
        for (int k = first; k < c->ncol; k++) {
            rawcol *rc2 = &c->col[k];
            if (raw_add(rc2, row, r.f[rc2->src], (size_t)r.flen[rc2->src], r.rec_line, err))
                goto out;
        }
        row++;
    }
    if (got < 0)
        goto out;
    if (row == 0) {
        tt_err_set(err, "%s:%lld: expected interaction rows after the header, found none",
                   r.path, (long long)r.line);
        goto out;
    }
    rc = 0;
out:
    tt_strmap_free(&ctx);
    csvr_free(&r);
    return rc;
}

/* A user or item feature file: first column the key, the others features. */
static int read_side(csvl *c, const char *path, enum tt_side side, tt_err *err)
{
    csvr r;
    int rc = -1, tcol = -1;
    tt_strmap *keys = side == TT_USER ? &c->users : &c->items;
    int64_t **lines = side == TT_USER ? &c->user_line : &c->item_line;
    int32_t *lcap = side == TT_USER ? &c->ucap : &c->icap;
    const char *what = side == TT_USER ? "user" : "item";
    if (csvr_open(&r, path, c->o->sep, err) || read_header(&r, err))
        goto out;
    int first = c->ncol;
    for (int k = 1; k < r.nf; k++) {
        if (side == TT_ITEM && tcol < 0 && (!strcmp(r.f[k], "title") || !strcmp(r.f[k], "name"))) {
            tcol = k; /* titles are for display, not a feature */
            continue;
        }
        if (check_feature_name(c, &r, r.f[k], err) || !add_col(c, r.f[k], path, side, k, err))
            goto out;
    }
    int want = r.nf, got;
    /* The key column's name, kept for messages: reading a row reuses r.f. */
    char keycol[64];
    snprintf(keycol, sizeof keycol, "%s", r.f[0]);
    while ((got = csvr_next(&r, err)) == 1) {
        int added;
        if (check_count(&r, want, err))
            goto out;
        if (!r.flen[0]) {
            tt_err_set(err, "%s:%lld: expected %s id in column '%s', found an empty field",
                       path, (long long)r.rec_line, side == TT_USER ? "a user" : "an item",
                       keycol);
            goto out;
        }
        int32_t key = tt_strmap_put(keys, r.f[0], (size_t)r.flen[0], &added, err);
        if (key < 0 || grow_lines(lines, lcap, keys->n, err))
            goto out;
        if ((*lines)[key]) {
            tt_err_set(err, "%s:%lld: expected each %s once, found '%s' again (first on "
                       "line %lld)", path, (long long)r.rec_line, what, TT_SHOW(r.f[0]),
                       (long long)(*lines)[key]);
            goto out;
        }
        (*lines)[key] = r.rec_line;
        for (int k = first; k < c->ncol; k++) {
            rawcol *rc2 = &c->col[k];
            if (raw_add(rc2, key, r.f[rc2->src], (size_t)r.flen[rc2->src], r.rec_line, err))
                goto out;
        }
        if (tcol >= 0) {
            if (key >= c->tcap) {
                int32_t nc = c->tcap ? c->tcap : 256;
                while (nc <= key)
                    nc *= 2;
                char **t = realloc(c->title, (size_t)nc * sizeof *t);
                if (!t) {
                    tt_err_set(err, "out of memory for titles");
                    goto out;
                }
                memset(t + c->tcap, 0, (size_t)(nc - c->tcap) * sizeof *t);
                c->title = t;
                c->tcap = nc;
            }
            if (!(c->title[key] = tt_strdup(r.f[tcol]))) {
                tt_err_set(err, "out of memory for titles");
                goto out;
            }
        }
    }
    if (got < 0)
        goto out;
    rc = 0;
out:
    csvr_free(&r);
    return rc;
}

/* opts->kinds: "name:kind,..." with kind categorical|cat, set, numeric|num. */
static int apply_kinds(csvl *c, tt_err *err)
{
    const char *p = c->o->kinds;
    if (!p)
        return 0;
    while (*p) {
        char item[256], *colon;
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = 0;
        while (*p && *p != ',' && k < sizeof item - 1)
            item[k++] = *p++;
        item[k] = 0;
        if (!k)
            continue;
        if (!(colon = strchr(item, ':')))
            return tt_err_set(err, "kinds: expected name:kind, found '%s'", item);
        *colon = 0;
        const char *kind = colon + 1;
        enum tt_kind kd;
        if (!strcmp(kind, "categorical") || !strcmp(kind, "cat"))
            kd = TT_CAT;
        else if (!strcmp(kind, "set"))
            kd = TT_SET;
        else if (!strcmp(kind, "numeric") || !strcmp(kind, "num"))
            kd = TT_NUM;
        else
            return tt_err_set(err, "kinds: expected categorical, set or numeric for '%s', "
                              "found '%s'", item, kind);
        int hit = -1, best = -1, bd = 4;
        for (int j = 0; j < c->ncol; j++) {
            if (!strcmp(c->col[j].name, item))
                hit = j;
            int dd = tt_levenshtein(item, c->col[j].name);
            if (dd < bd) {
                bd = dd;
                best = j;
            }
        }
        if (hit < 0) {
            char hint[300] = "";
            if (best >= 0 && 2 * bd <= (int)strlen(item))
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", c->col[best].name);
            return tt_err_set(err, "kinds: expected the name of a feature column, found '%s'%s",
                              item, hint);
        }
        c->col[hit].kind = kd;
        c->col[hit].forced = 1;
    }
    return 0;
}

/* Inferred kind: a value holding multi_sep makes a set; numbers with many
 * distinct values are numeric (bucketed); anything else is categorical. */
static void infer_kind(const csvl *c, rawcol *rc)
{
    const tt_strmap *m = &rc->b.map;
    int numeric = m->n > 0;
    if (rc->forced)
        return;
    for (int32_t k = 0; k < m->n; k++) {
        double v;
        if (strchr(m->keys[k], c->o->multi_sep)) {
            rc->kind = TT_SET;
            return;
        }
        if (numeric && !tt_dsb_parse_num(m->keys[k], strlen(m->keys[k]), &v))
            numeric = 0;
    }
    int nb = c->o->num_buckets > 0 ? c->o->num_buckets : 10;
    rc->kind = numeric && m->n > 2 * nb ? TT_NUM : TT_CAT;
}

/* Turn a raw column into its feature of the chosen kind. */
static int finish_col(csvl *c, rawcol *rc, tt_dataset *d, const int32_t *rowmap,
                      int64_t n_rows, tt_err *err)
{
    int nb = c->o->num_buckets > 0 ? c->o->num_buckets : 10;
    if (rc->kind == TT_CAT)
        return tt_colb_finish(&rc->b, d, rc->name, rc->side, rowmap, n_rows, NULL, 0, nb,
                              NULL, err);
    tt_colb nb2;
    tt_colb_init(&nb2, rc->kind);
    const tt_strmap *m = &rc->b.map;
    double *val = NULL;
    int ret = -1;
    if (rc->kind == TT_NUM) {
        val = tt_alloc((size_t)m->n + 1, sizeof *val, rc->name, err);
        if (!val)
            goto out;
        for (int32_t k = 0; k < m->n; k++)
            if (!tt_dsb_parse_num(m->keys[k], strlen(m->keys[k]), &val[k])) {
                tt_err_set(err, "%s:%lld: expected a number in numeric column '%s', found "
                           "'%s'", rc->path, (long long)rc->first_line[k], rc->name,
                           TT_SHOW(m->keys[k]));
                goto out;
            }
    }
    for (int64_t r = 0; r < rc->b.n_rows; r++) {
        int32_t id = rc->b.ids[r];
        if (rc->kind == TT_NUM) {
            if (tt_colb_add_num(&nb2, r, id ? val[id - 1] : NAN, err))
                goto out;
            continue;
        }
        if (!id)
            continue;
        const char *s = m->keys[id - 1];
        while (*s) {
            const char *e = strchr(s, c->o->multi_sep);
            size_t len = e ? (size_t)(e - s) : strlen(s);
            const char *a = s, *z = s + len;
            while (a < z && *a == ' ')
                a++;
            while (z > a && z[-1] == ' ')
                z--;
            if (z > a && tt_colb_add_str(&nb2, r, a, (size_t)(z - a), err))
                goto out;
            s = e ? e + 1 : s + len;
        }
    }
    ret = tt_colb_finish(&nb2, d, rc->name, rc->side, rowmap, n_rows, NULL, 0, nb, NULL, err);
out:
    free(val);
    tt_colb_free(&nb2);
    return ret;
}

/* The dataset's source: the interactions path, then every option that changes
 * what is loaded and differs from its default, so two loads of one file with
 * other kinds=, buckets=, feature files or columns are different data (compare
 * and the model files tell them apart). Allocated; NULL when out of memory. */
static char *csv_source(const tt_csv_opts *o)
{
    tt_csv_opts def;
    tt_csv_opts_init(&def);
    size_t n = 64 + strlen(o->inter_path);
    const char *strs[] = {o->user_path, o->item_path, o->user_col, o->item_col, o->time_col,
                          o->context, o->allow_label, o->kinds};
    for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
        n += strs[k] ? strlen(strs[k]) + 16 : 0;
    char *s = malloc(n);
    if (!s)
        return NULL;
    size_t w = (size_t)snprintf(s, n, "%s", o->inter_path);
#define PUT(...) (w += (size_t)snprintf(s + w, n - w, __VA_ARGS__))
    if (o->user_path)
        PUT(" user_file=%s", o->user_path);
    if (o->item_path)
        PUT(" item_file=%s", o->item_path);
    if (o->user_col && strcmp(o->user_col, def.user_col))
        PUT(" user=%s", o->user_col);
    if (o->item_col && strcmp(o->item_col, def.item_col))
        PUT(" item=%s", o->item_col);
    if (o->time_col && strcmp(o->time_col, "time"))
        PUT(" time=%s", *o->time_col ? o->time_col : "''");
    if (o->sep != def.sep)
        PUT(" sep=%c", o->sep == '\t' ? 't' : o->sep);
    if (o->multi_sep != def.multi_sep)
        PUT(" multi=%c", o->multi_sep);
    if (o->context && *o->context)
        PUT(" context=%s", o->context);
    if (o->allow_label && *o->allow_label)
        PUT(" allow_label=%s", o->allow_label);
    if (o->kinds && *o->kinds)
        PUT(" kinds=%s", o->kinds);
    if (o->num_buckets != def.num_buckets)
        PUT(" buckets=%d", o->num_buckets);
#undef PUT
    return s;
}

static const char *base_name(const char *path, char *buf, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, n, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
    return buf;
}

static int build(csvl *c, tt_dataset *d, tt_err *err)
{
    int32_t nu = c->users.n, ni = c->items.n;
    int32_t *ur = tt_alloc((size_t)nu + 1, sizeof *ur, "user order", err);
    int32_t *ir = tt_alloc((size_t)ni + 1, sizeof *ir, "item order", err);
    int rc = -1;
    char nm[256];
    if (!ur || !ir || tt_dsb_take_keys(&c->users, &c->items, d, ur, ir, err))
        goto out;
    if (c->title) {
        d->item_title = tt_alloc((size_t)ni + 1, sizeof *d->item_title, "titles", err);
        if (!d->item_title)
            goto out;
        for (int32_t i = 0; i < TT_MIN(ni, c->tcap); i++) {
            d->item_title[ir[i]] = c->title[i];
            c->title[i] = NULL;
        }
    }
    d->n_inter = c->inter.n;
    d->iu = c->inter.u;
    d->ii = c->inter.i;
    d->it = c->inter.t;
    memset(&c->inter, 0, sizeof c->inter);
    for (int64_t r = 0; r < d->n_inter; r++) {
        d->iu[r] = ur[d->iu[r]];
        d->ii[r] = ir[d->ii[r]];
    }
    if (apply_kinds(c, err))
        goto out;
    for (int k = 0; k < c->ncol; k++) {
        rawcol *x = &c->col[k];
        infer_kind(c, x);
        const int32_t *map = x->side == TT_USER ? ur : x->side == TT_ITEM ? ir : NULL;
        int64_t n = x->side == TT_USER ? nu : x->side == TT_ITEM ? ni : d->n_inter;
        if (finish_col(c, x, d, map, n, err))
            goto out;
    }
    if (tt_dataset_add_id_features(d, err) || tt_dataset_finish(d, err))
        goto out;
    for (int f = 0; f < d->n_feat; f++)
        d->feat[f].label_like = d->feat[f].side == TT_CTX && tt_dataset_label_like(d->feat[f].name);
    d->notes = c->notes;
    c->notes = NULL;
    if (tt_dataset_note_unused(d, c->o->user_path, c->o->item_path)) {
        tt_err_set(err, "out of memory");
        goto out;
    }
    if (!(d->name = tt_strdup(base_name(c->o->inter_path, nm, sizeof nm))) ||
        !(d->source = csv_source(c->o))) {
        tt_err_set(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(ur);
    free(ir);
    return rc;
}

int tt_load_csv(const tt_csv_opts *opts, tt_dataset *out, tt_err *err)
{
    tt_csv_opts o = *opts;
    csvl c;
    tt_dataset d;
    int rc = -1;
    if (!o.inter_path)
        return tt_err_set(err, "expected an interactions file, found none");
    if (!o.user_col || !*o.user_col)
        o.user_col = "user";
    if (!o.item_col || !*o.item_col)
        o.item_col = "item";
    if (!o.sep)
        o.sep = ',';
    if (!o.multi_sep)
        o.multi_sep = '|';
    if (o.sep == '"' || o.sep == '\n' || o.sep == '\r' || o.multi_sep == o.sep)
        return tt_err_set(err, "expected a separator other than a quote, a newline or the "
                          "multi-value separator, found '%c'", o.sep);
    if (o.num_buckets <= 0 || o.num_buckets > 1000)
        o.num_buckets = 10;
    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    c.o = &o;
    if (read_inter(&c, err) ||
        (o.user_path && *o.user_path && read_side(&c, o.user_path, TT_USER, err)) ||
        (o.item_path && *o.item_path && read_side(&c, o.item_path, TT_ITEM, err)) ||
        build(&c, &d, err))
        goto out;
    *out = d;
    rc = 0;
out:
    if (rc) {
        tt_dataset_free(&d);
        /* Messages quote fields, and a quoted field may hold a newline: keep
         * the message on one line (the session prints file:line: error: it). */
        for (char *q = err ? err->msg : NULL; q && *q; q++)
            if ((unsigned char)*q < 0x20)
                *q = ' ';
    }
    csvl_free(&c);
    return rc;
}

/* tt_dsb: building blocks of the loaders (strings, columns, keys). */
#include "tt_dsb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t tt_dsb_utf8_check(const char *buf, size_t len, int64_t *line)
{
    const unsigned char *s = (const unsigned char *)buf;
    int64_t ln = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        uint32_t cp;
        if (c < 0x80) {
            ln += c == '\n';
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
        else goto bad;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= len || (s[i + j] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += k + 1;
    }
    return -1;
bad:
    *line = ln;
    return (int64_t)i;
}

const char *tt_dsb_show(const char *s, char *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, shown = 0;
    while (*p && shown < 40 && w + 8 < n) {
        size_t k = 1;
        if (*p >= 0x80) {
            int64_t line;
            size_t len = 1;
            while (len < 4 && p[len] && (p[len] & 0xC0) == 0x80)
                len++;
            /* the longest valid prefix starting here, if any */
            for (k = len; k > 0; k--)
                if (tt_dsb_utf8_check((const char *)p, k, &line) < 0)
                    break;
        }
        if (k == 0 || *p < 0x20 || *p == 0x7F) {
            w += (size_t)snprintf(buf + w, n - w, "\\x%02X", *p);
            p++;
        } else {
            memcpy(buf + w, p, k);
            w += k;
            p += k;
        }
        shown++;
    }
    buf[w] = 0;
    if (*p && w + 4 < n)
        memcpy(buf + w, "...", 4);
    return buf;
}

char *tt_dsb_latin1_to_utf8(const char *s, size_t len)
{
    char *o = malloc(2 * len + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            *p++ = (char)c;
        } else {
            *p++ = (char)(0xC0 | (c >> 6));
            *p++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *p = 0;
    return o;
}

/* ---- string map (FNV-1a, open addressing) ---- */

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

void tt_strmap_free(tt_strmap *m)
{
    for (int32_t i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->hash);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

int32_t tt_strmap_get(const tt_strmap *m, const char *s, size_t len)
{
    if (!m->nslot)
        return -1;
    uint32_t full = hash_bytes(s, len), mask = m->nslot - 1, h = full & mask;
    for (;;) {
        int32_t v = m->slot[h];
        if (!v)
            return -1;
        const char *k = m->keys[v - 1];
        if (m->hash[v - 1] == full && memcmp(k, s, len) == 0 && k[len] == 0)
            return v - 1;
        h = (h + 1) & mask;
    }
}

static int strmap_rehash(tt_strmap *m, uint32_t nslot, tt_err *err)
{
    int32_t *sl = tt_alloc(nslot, sizeof *sl, "string table", err);
    if (!sl)
        return -1;
    for (int32_t i = 0; i < m->n; i++) {
        uint32_t h = m->hash[i] & (nslot - 1);
        while (sl[h])
            h = (h + 1) & (nslot - 1);
        sl[h] = i + 1;
    }
    free(m->slot);
    m->slot = sl;
    m->nslot = nslot;
    return 0;
}

int32_t tt_strmap_put(tt_strmap *m, const char *s, size_t len, int *added, tt_err *err)
{
    int32_t v = tt_strmap_get(m, s, len);
    if (added)
        *added = 0;
    if (v >= 0)
        return v;
    if (m->n == INT32_MAX - 1)
        return tt_err_set(err, "more than %d distinct values", INT32_MAX - 1);
    if ((uint64_t)(m->n + 1) * 2 > m->nslot &&
        strmap_rehash(m, m->nslot ? m->nslot * 2 : 64, err))
        return -1;
    if (m->n == m->cap) {
        int32_t nc = m->cap ? m->cap * 2 : 64;
        char **k = realloc(m->keys, (size_t)nc * sizeof *k);
        if (!k)
            return tt_err_set(err, "out of memory for a string table");
        m->keys = k;
        uint32_t *hs = realloc(m->hash, (size_t)nc * sizeof *hs);
        if (!hs)
            return tt_err_set(err, "out of memory for a string table");
        m->hash = hs;
        m->cap = nc;
    }
    char *c = malloc(len + 1);
    if (!c)
        return tt_err_set(err, "out of memory for a string table");
    memcpy(c, s, len);
    c[len] = 0;
    m->keys[m->n] = c;
    m->hash[m->n] = hash_bytes(s, len);
    uint32_t mask = m->nslot - 1, h = m->hash[m->n] & mask;
    while (m->slot[h])
        h = (h + 1) & mask;
    m->slot[h] = ++m->n;
    if (added)
        *added = 1;
    return m->n - 1;
}

/* ---- numbers ---- */

int tt_dsb_parse_num(const char *s, size_t len, double *v)
{
    char tmp[64], *end;
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    /* strtod accepts "inf", "nan", hex and leading spaces: data means decimals. */
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", tmp[i]))
            return 0;
    errno = 0;
    double x = strtod(tmp, &end);
    if (end != tmp + len || errno == ERANGE || !isfinite(x))
        return 0;
    *v = x;
    return 1;
}

int tt_dsb_parse_int(const char *s, size_t len, int64_t *v)
{
    char tmp[32], *end;
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    if (!(tmp[0] == '-' || tmp[0] == '+' || (tmp[0] >= '0' && tmp[0] <= '9')))
        return 0;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    if (end != tmp + len || errno == ERANGE)
        return 0;
    *v = x;
    return 1;
}

/* ---- key ordering ---- */

typedef struct { char *const *keys; const double *val; } rank_ctx;

static int cmp_num(const void *a, const void *b, void *c)
{
    const rank_ctx *x = c;
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    if (x->val[i] != x->val[j])
        return x->val[i] < x->val[j] ? -1 : 1;
    return strcmp(x->keys[i], x->keys[j]);
}

static int cmp_str(const void *a, const void *b, void *c)
{
    const rank_ctx *x = c;
    return strcmp(x->keys[*(const int32_t *)a], x->keys[*(const int32_t *)b]);
}

int tt_dsb_rank_keys(char *const *keys, int32_t n, int32_t *rank, tt_err *err)
{
    int32_t *ord = tt_alloc((size_t)n, sizeof *ord, "key order", err);
    double *val = tt_alloc((size_t)n, sizeof *val, "key order", err);
    int numeric = 1;
    if (!ord || !val) {
        free(ord);
        free(val);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        ord[i] = i;
        if (numeric && !tt_dsb_parse_num(keys[i], strlen(keys[i]), &val[i]))
            numeric = 0;
    }
    rank_ctx c = {keys, val};
    qsort_r(ord, (size_t)n, sizeof *ord, numeric ? cmp_num : cmp_str, &c);
    for (int32_t i = 0; i < n; i++)
        rank[ord[i]] = i;
    free(ord);
    free(val);
    return 0;
}

/* ---- column builder ---- */

void tt_colb_init(tt_colb *b, enum tt_kind kind)
{
    memset(b, 0, sizeof *b);
    b->kind = kind;
}

void tt_colb_free(tt_colb *b)
{
    tt_strmap_free(&b->map);
    free(b->ids);
    free(b->num);
    free(b->prow);
    free(b->pval);
    memset(b, 0, sizeof *b);
}

static int colb_reserve(tt_colb *b, int64_t row, tt_err *err)
{
    if (row < b->cap) {
        if (row >= b->n_rows)
            b->n_rows = row + 1;
        return 0;
    }
    int64_t nc = b->cap ? b->cap : 256;
    while (nc <= row)
        nc *= 2;
    if (b->kind == TT_CAT) {
        int32_t *p = realloc(b->ids, (size_t)nc * sizeof *p);
        if (!p)
            return tt_err_set(err, "out of memory for a column");
        memset(p + b->cap, 0, (size_t)(nc - b->cap) * sizeof *p);
        b->ids = p;
    } else if (b->kind == TT_NUM) {
        double *p = realloc(b->num, (size_t)nc * sizeof *p);
        if (!p)
            return tt_err_set(err, "out of memory for a column");
        for (int64_t i = b->cap; i < nc; i++)
            p[i] = NAN;
        b->num = p;
    }
    b->cap = nc;
    b->n_rows = row + 1;
    return 0;
}

int tt_colb_add_str(tt_colb *b, int64_t row, const char *s, size_t len, tt_err *err)
{
    int32_t id = 0;
    if (colb_reserve(b, row, err))
        return -1;
    if (len > 0) {
        id = tt_strmap_put(&b->map, s, len, NULL, err);
        if (id < 0)
            return -1;
        id++;
    }
    if (b->kind == TT_CAT) {
        b->ids[row] = id;
        return 0;
    }
    if (!id)
        return 0;
    if (b->n_pairs == b->cap_pairs) {
        int64_t nc = b->cap_pairs ? b->cap_pairs * 2 : 1024;
        int64_t *r = realloc(b->prow, (size_t)nc * sizeof *r);
        if (!r)
            return tt_err_set(err, "out of memory for a column");
        b->prow = r;
        int32_t *v = realloc(b->pval, (size_t)nc * sizeof *v);
        if (!v)
            return tt_err_set(err, "out of memory for a column");
        b->pval = v;
        b->cap_pairs = nc;
    }
    b->prow[b->n_pairs] = row;
    b->pval[b->n_pairs++] = id;
    return 0;
}

int tt_colb_add_num(tt_colb *b, int64_t row, double v, tt_err *err)
{
    if (colb_reserve(b, row, err))
        return -1;
    b->num[row] = v;
    return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int32_t tt_dsb_bucket(double v, const double *edges, int n_edges)
{
    if (isnan(v))
        return 0;
    int lo = 0, hi = n_edges; /* count of edges <= v */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (edges[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 1 + lo;
}

int tt_dsb_num_vocab(tt_feature *f, tt_err *err)
{
    char buf[96];
    f->card = f->n_edges + 2;
    f->vocab = tt_alloc((size_t)f->card, sizeof *f->vocab, "numeric labels", err);
    if (!f->vocab)
        return -1;
    for (int32_t k = 0; k < f->card; k++) {
        if (k == 0)
            snprintf(buf, sizeof buf, "<unk>");
        else if (f->n_edges == 0)
            snprintf(buf, sizeof buf, "all");
        else if (k == 1)
            snprintf(buf, sizeof buf, "<%g", f->edges[0]);
        else if (k == f->card - 1)
            snprintf(buf, sizeof buf, ">=%g", f->edges[f->n_edges - 1]);
        else
            snprintf(buf, sizeof buf, "[%g,%g)", f->edges[k - 2], f->edges[k - 1]);
        if (!(f->vocab[k] = tt_strdup(buf)))
            return tt_err_set(err, "out of memory for labels");
    }
    return 0;
}

tt_feature *tt_dsb_add_feature(tt_dataset *d, const char *name, enum tt_kind kind,
                               enum tt_side side, const char *planted, tt_err *err)
{
    if (tt_dataset_find(d, name) >= 0) {
        tt_err_set(err, "duplicated feature name '%s'", name);
        return NULL;
    }
    tt_feature *nf = realloc(d->feat, (size_t)(d->n_feat + 1) * sizeof *nf);
    if (!nf) {
        tt_err_set(err, "out of memory for features");
        return NULL;
    }
    d->feat = nf;
    if (planted || d->planted) {
        char **np = realloc(d->planted, (size_t)(d->n_feat + 1) * sizeof *np);
        if (!np) {
            tt_err_set(err, "out of memory for features");
            return NULL;
        }
        if (!d->planted)
            memset(np, 0, (size_t)d->n_feat * sizeof *np);
        d->planted = np;
        d->planted[d->n_feat] = NULL;
        if (planted && !(d->planted[d->n_feat] = tt_strdup(planted))) {
            tt_err_set(err, "out of memory for features");
            return NULL;
        }
    }
    tt_feature *f = &d->feat[d->n_feat];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->side = side;
    f->share = -1;
    if (!(f->name = tt_strdup(name))) {
        if (d->planted) {
            free(d->planted[d->n_feat]);
            d->planted[d->n_feat] = NULL;
        }
        tt_err_set(err, "out of memory for features");
        return NULL;
    }
    d->n_feat++;
    return f;
}

/* Vocabulary in key order: vocab[0] = "<unk>", remap[label] = final id. */
static int finish_vocab(tt_colb *b, tt_feature *f, int32_t **remap, tt_err *err)
{
    int32_t n = b->map.n;
    int32_t *rank = tt_alloc((size_t)n + 1, sizeof *rank, "vocabulary", err);
    if (!rank)
        return -1;
    if (tt_dsb_rank_keys(b->map.keys, n, rank, err)) {
        free(rank);
        return -1;
    }
    f->card = n + 1;
    f->vocab = tt_alloc((size_t)n + 1, sizeof *f->vocab, "vocabulary", err);
    if (!f->vocab || !(f->vocab[0] = tt_strdup("<unk>"))) {
        free(rank);
        return tt_err_set(err, "out of memory for a vocabulary");
    }
    for (int32_t i = 0; i < n; i++) {
        f->vocab[rank[i] + 1] = b->map.keys[i]; /* moved from the map */
        b->map.keys[i] = NULL;
        rank[i] += 1;
    }
    *remap = rank;
    return 0;
}

int tt_colb_finish(tt_colb *b, tt_dataset *d, const char *name, enum tt_side side,
                   const int32_t *rowmap, int64_t n_rows, const double *edges,
                   int n_edges, int nb, const char *planted, tt_err *err)
{
    tt_feature *f = tt_dsb_add_feature(d, name, b->kind, side, planted, err);
    int32_t *remap = NULL;
    if (!f)
        return -1;
    f->n_rows = n_rows;
    if (b->kind == TT_CAT) {
        if (finish_vocab(b, f, &remap, err))
            return -1;
        f->ids = tt_alloc((size_t)n_rows, sizeof *f->ids, name, err);
        if (!f->ids)
            goto fail;
        for (int64_t r = 0; r < b->n_rows; r++) {
            int64_t fr = rowmap ? rowmap[r] : r;
            if (fr >= 0 && fr < n_rows && b->ids[r])
                f->ids[fr] = remap[b->ids[r] - 1];
        }
    } else if (b->kind == TT_SET) {
        if (finish_vocab(b, f, &remap, err))
            return -1;
        f->off = tt_alloc((size_t)n_rows + 1, sizeof *f->off, name, err);
        f->vals = tt_alloc((size_t)b->n_pairs, sizeof *f->vals, name, err);
        if (!f->off || !f->vals)
            goto fail;
        for (int64_t p = 0; p < b->n_pairs; p++) {
            int64_t fr = rowmap ? rowmap[b->prow[p]] : b->prow[p];
            if (fr >= 0 && fr < n_rows)
                f->off[fr + 1]++;
        }
        for (int64_t r = 0; r < n_rows; r++)
            f->off[r + 1] += f->off[r];
        int64_t *pos = tt_alloc((size_t)n_rows + 1, sizeof *pos, name, err);
        if (!pos)
            goto fail;
        memcpy(pos, f->off, (size_t)(n_rows + 1) * sizeof *pos);
        for (int64_t p = 0; p < b->n_pairs; p++) {
            int64_t fr = rowmap ? rowmap[b->prow[p]] : b->prow[p];
            if (fr >= 0 && fr < n_rows)
                f->vals[pos[fr]++] = remap[b->pval[p] - 1];
        }
        /* Sort each row's values and drop repeats ("a|a" is the set {a}). */
        int64_t w = 0;
        for (int64_t r = 0; r < n_rows; r++) {
            int64_t s = f->off[r], e = f->off[r + 1];
            qsort(f->vals + s, (size_t)(e - s), sizeof *f->vals, cmp_i32);
            f->off[r] = w;
            for (int64_t k = s; k < e; k++)
                if (k == s || f->vals[k] != f->vals[k - 1])
                    f->vals[w++] = f->vals[k];
        }
        f->off[n_rows] = w;
        free(pos);
    } else if (b->kind == TT_NUM) {
        double *v = tt_alloc((size_t)n_rows, sizeof *v, name, err);
        if (!v)
            goto fail;
        for (int64_t r = 0; r < n_rows; r++)
            v[r] = NAN;
        for (int64_t r = 0; r < b->n_rows; r++) {
            int64_t fr = rowmap ? rowmap[r] : r;
            if (fr >= 0 && fr < n_rows)
                v[fr] = b->num[r];
        }
        if (n_edges > 0) {
            f->edges = tt_alloc((size_t)n_edges, sizeof *f->edges, name, err);
            if (!f->edges) {
                free(v);
                goto fail;
            }
            memcpy(f->edges, edges, (size_t)n_edges * sizeof *edges);
            f->n_edges = n_edges;
        } else {
            /* Quantile edges: the values at q/nb of the sorted non-missing
             * values, strictly increasing and above the minimum so that no
             * bucket is empty by construction. */
            int64_t m = 0;
            double *s = tt_alloc((size_t)n_rows + 1, sizeof *s, name, err);
            f->edges = tt_alloc((size_t)(nb > 1 ? nb : 1), sizeof *f->edges, name, err);
            if (!s || !f->edges) {
                free(s);
                free(v);
                goto fail;
            }
            for (int64_t r = 0; r < n_rows; r++)
                if (!isnan(v[r]))
                    s[m++] = v[r];
            qsort(s, (size_t)m, sizeof *s, cmp_dbl);
            for (int q = 1; q < nb && m > 0; q++) {
                double e = s[(int64_t)((double)q * (double)m / nb)];
                if (e > s[0] && (f->n_edges == 0 || e > f->edges[f->n_edges - 1]))
                    f->edges[f->n_edges++] = e;
            }
            free(s);
        }
        f->ids = tt_alloc((size_t)n_rows, sizeof *f->ids, name, err);
        if (!f->ids) {
            free(v);
            goto fail;
        }
        for (int64_t r = 0; r < n_rows; r++)
            f->ids[r] = tt_dsb_bucket(v[r], f->edges, f->n_edges);
        free(v);
        if (tt_dsb_num_vocab(f, err))
            goto fail;
    }
    free(remap);
    return 0;
fail:
    free(remap);
    return -1;
}

/* ---- interactions ---- */

int tt_interb_push(tt_interb *b, int32_t u, int32_t i, int64_t t, tt_err *err)
{
    if (b->n == b->cap) {
        int64_t nc = b->cap ? b->cap * 2 : 4096;
        int32_t *nu = realloc(b->u, (size_t)nc * sizeof *nu);
        if (!nu)
            return tt_err_set(err, "out of memory for interactions");
        b->u = nu;
        int32_t *ni = realloc(b->i, (size_t)nc * sizeof *ni);
        if (!ni)
            return tt_err_set(err, "out of memory for interactions");
        b->i = ni;
        int64_t *nt = realloc(b->t, (size_t)nc * sizeof *nt);
        if (!nt)
            return tt_err_set(err, "out of memory for interactions");
        b->t = nt;
        b->cap = nc;
    }
    b->u[b->n] = u;
    b->i[b->n] = i;
    b->t[b->n++] = t;
    return 0;
}

void tt_interb_free(tt_interb *b)
{
    free(b->u);
    free(b->i);
    free(b->t);
    memset(b, 0, sizeof *b);
}

int tt_dsb_split(char *line, const char *sep, char **f, int max)
{
    size_t sl = strlen(sep);
    int n = 0;
    char *p = line;
    for (;;) {
        char *q = sl == 1 ? strchr(p, sep[0]) : strstr(p, sep);
        if (n < max)
            f[n] = p;
        n++;
        if (!q)
            break;
        *q = 0;
        p = q + sl;
    }
    return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t len, size_t at, int n, int *v)
{
    int x = 0;
    if (at + (size_t)n > len)
        return 0;
    for (int k = 0; k < n; k++) {
        char c = s[at + (size_t)k];
        if (c < '0' || c > '9')
            return 0;
        x = x * 10 + (c - '0');
    }
    *v = x;
    return 1;
}

int tt_dsb_parse_iso8601(const char *s, size_t len, int64_t *t)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    size_t p = 10;
    if (!digits(s, len, 0, 4, &y) || len < 10 || s[4] != '-' || s[7] != '-' ||
        !digits(s, len, 5, 2, &mo) || !digits(s, len, 8, 2, &d))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return 0;
    if (p < len) {
        if ((s[p] != 'T' && s[p] != ' ') || !digits(s, len, p + 1, 2, &h) ||
            p + 3 >= len || s[p + 3] != ':' || !digits(s, len, p + 4, 2, &mi))
            return 0;
        p += 6;
        if (p < len && s[p] == ':') {
            if (!digits(s, len, p + 1, 2, &se))
                return 0;
            p += 3;
            if (p < len && s[p] == '.') {
                p++;
                while (p < len && s[p] >= '0' && s[p] <= '9')
                    p++;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return 0;
        if (p < len && s[p] == 'Z') {
            p++;
        } else if (p < len && (s[p] == '+' || s[p] == '-')) {
            sign = s[p] == '-' ? -1 : 1;
            if (!digits(s, len, p + 1, 2, &oh))
                return 0;
            p += 3;
            if (p < len && s[p] == ':')
                p++;
            if (p < len) {
                if (!digits(s, len, p, 2, &om))
                    return 0;
                p += 2;
            }
        }
        if (p != len)
            return 0;
    }
    *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
         sign * (oh * 3600 + om * 60);
    return 1;
}

int tt_dsb_take_keys(tt_strmap *users, tt_strmap *items, tt_dataset *d, int32_t *ur,
                     int32_t *ir, tt_err *err)
{
    int32_t nu = users->n, ni = items->n;
    if (tt_dsb_rank_keys(users->keys, nu, ur, err) || tt_dsb_rank_keys(items->keys, ni, ir, err))
        return -1;
    d->n_users = nu;
    d->n_items = ni;
    d->user_key = tt_alloc((size_t)nu + 1, sizeof *d->user_key, "user ids", err);
    d->item_key = tt_alloc((size_t)ni + 1, sizeof *d->item_key, "item ids", err);
    if (!d->user_key || !d->item_key)
        return -1;
    for (int32_t u = 0; u < nu; u++) {
        d->user_key[ur[u]] = users->keys[u];
        users->keys[u] = NULL;
    }
    for (int32_t i = 0; i < ni; i++) {
        d->item_key[ir[i]] = items->keys[i];
        items->keys[i] = NULL;
    }
    return 0;
}

/* tt_colb: the column builders of the loaders (feature columns, NUM buckets
 * and their labels, the growable interaction list). Part of the loaders'
 * building blocks (tt_dsb.h). */
#include "tt_dsb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

/* Past this many features the names are indexed (d->names), so a loader adding
 * n features checks each name in O(1) instead of O(n). */
enum { NAME_INDEX_FROM = 64 };

/* Keeps d->names in step with d->feat[0..n_feat) once it is worth it. */
static int index_names(tt_dataset *d, tt_err *err)
{
    if (!d->names) {
        if (d->n_feat < NAME_INDEX_FROM)
            return 0;
        if (!(d->names = calloc(1, sizeof *d->names)))
            return tt_err_set(err, "out of memory for features");
    }
    for (int f = d->names->n; f < d->n_feat; f++) {
        int added;
        if (tt_strmap_put(d->names, d->feat[f].name, strlen(d->feat[f].name), &added, err) < 0)
            return -1;
    }
    return 0;
}

int tt_dsb_reindex_names(tt_dataset *d, tt_err *err)
{
    if (d->names) {
        tt_strmap_free(d->names);
        free(d->names);
        d->names = NULL;
    }
    return index_names(d, err);
}

tt_feature *tt_dsb_add_feature(tt_dataset *d, const char *name, enum tt_kind kind,
                               enum tt_side side, const char *planted, tt_err *err)
{
    if (tt_dataset_find(d, name) >= 0) {
        tt_err_set(err, "duplicated feature name '%s'", name);
        return NULL;
    }
    /* capacity doubles: n_feat a power of two (or 0) is when the array is full */
    int n = d->n_feat;
    if (n == 0 || (n & (n - 1)) == 0) {
        size_t cap = n ? 2 * (size_t)n : 1;
        tt_feature *nf = realloc(d->feat, cap * sizeof *nf);
        if (!nf) {
            tt_err_set(err, "out of memory for features");
            return NULL;
        }
        d->feat = nf;
        if (d->planted) {
            char **np = realloc(d->planted, cap * sizeof *np);
            if (!np) {
                tt_err_set(err, "out of memory for features");
                return NULL;
            }
            d->planted = np;
        }
    }
    if (planted && !d->planted) {
        size_t cap = 1;
        while (cap < (size_t)n + 1)
            cap *= 2;
        if (!(d->planted = calloc(cap, sizeof *d->planted))) {
            tt_err_set(err, "out of memory for features");
            return NULL;
        }
    }
    if (d->planted) {
        d->planted[n] = NULL;
        if (planted && !(d->planted[n] = tt_strdup(planted))) {
            tt_err_set(err, "out of memory for features");
            return NULL;
        }
    }
    tt_feature *f = &d->feat[n];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->side = side;
    f->share = -1;
    if (!(f->name = tt_strdup(name))) {
        if (d->planted) {
            free(d->planted[n]);
            d->planted[n] = NULL;
        }
        tt_err_set(err, "out of memory for features");
        return NULL;
    }
    d->n_feat++;
    if (index_names(d, err)) {
        d->n_feat--;
        free(f->name);
        f->name = NULL;
        return NULL;
    }
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

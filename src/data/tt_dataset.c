/* tt_dataset: names, freeing, the standard id features and the final sort. */
#include "tt_dataset.h"
#include "tt_dsb.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *tt_kind_name(enum tt_kind k)
{
    switch (k) {
    case TT_CAT: return "categorical";
    case TT_SET: return "set";
    case TT_NUM: return "numeric";
    case TT_SEQ: return "sequence";
    }
    return "?";
}

const char *tt_side_name(enum tt_side s)
{
    switch (s) {
    case TT_USER: return "user";
    case TT_ITEM: return "item";
    case TT_CTX: return "context";
    }
    return "?";
}

static void free_feature(tt_feature *f)
{
    if (f->vocab)
        for (int32_t k = 0; k < f->card; k++)
            free(f->vocab[k]);
    free(f->vocab);
    free(f->name);
    free(f->ids);
    free(f->off);
    free(f->vals);
    free(f->edges);
    free(f->freq);
}

void tt_dataset_free(tt_dataset *d)
{
    if (!d)
        return;
    for (int32_t u = 0; d->user_key && u < d->n_users; u++)
        free(d->user_key[u]);
    for (int32_t i = 0; d->item_key && i < d->n_items; i++)
        free(d->item_key[i]);
    for (int32_t i = 0; d->item_title && i < d->n_items; i++)
        free(d->item_title[i]);
    for (int f = 0; f < d->n_feat; f++) {
        free_feature(&d->feat[f]);
        if (d->planted)
            free(d->planted[f]);
    }
    free(d->name);
    free(d->source);
    free(d->user_key);
    free(d->item_key);
    free(d->item_title);
    free(d->iu);
    free(d->ii);
    free(d->it);
    free(d->feat);
    free(d->planted);
    free(d->notes);
    if (d->names) {
        tt_strmap_free(d->names);
        free(d->names);
    }
    memset(d, 0, sizeof *d);
}

int tt_dataset_find(const tt_dataset *d, const char *name)
{
    if (d->names && d->names->n == d->n_feat)
        return tt_strmap_get(d->names, name, strlen(name));
    for (int f = 0; f < d->n_feat; f++)
        if (strcmp(d->feat[f].name, name) == 0)
            return f;
    return -1;
}

int tt_dataset_note(char **notes, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t have = *notes ? strlen(*notes) : 0, add = strlen(line);
    char *n = realloc(*notes, have + add + 2);
    if (!n)
        return -1;
    memcpy(n + have, line, add);
    n[have + add] = '\n';
    n[have + add + 1] = 0;
    *notes = n;
    return 0;
}

int tt_dataset_note_unused(tt_dataset *d, const char *user_src, const char *item_src)
{
    int32_t nu = 0, ni = 0;
    char *u_seen = calloc((size_t)d->n_users + 1, 1), *i_seen = calloc((size_t)d->n_items + 1, 1);
    int rc = 0;
    if (!u_seen || !i_seen) {
        free(u_seen);
        free(i_seen);
        return -1;
    }
    for (int64_t r = 0; r < d->n_inter; r++) {
        u_seen[d->iu[r]] = 1;
        i_seen[d->ii[r]] = 1;
    }
    for (int32_t u = 0; u < d->n_users; u++)
        nu += !u_seen[u];
    for (int32_t i = 0; i < d->n_items; i++)
        ni += !i_seen[i];
    if (nu)
        rc |= tt_dataset_note(&d->notes, "%s lists %d of the %d users without any interaction: "
                              "kept (nothing to train or test on; evaluation skips them)",
                              user_src ? user_src : "the user file", nu, d->n_users);
    if (ni)
        rc |= tt_dataset_note(&d->notes, "%s lists %d of the %d items without any interaction: "
                              "kept (candidates nobody chose; their embeddings stay as "
                              "initialised)", item_src ? item_src : "the item file", ni, d->n_items);
    free(u_seen);
    free(i_seen);
    return rc;
}

int tt_dataset_label_like(const char *name)
{
    static const char *const words[] = {
        "rating", "ratings", "rated", "score", "scores", "label", "click", "clicks",
        "clicked", "target", "reward", "relevance", "stars", "liked", "purchased",
        "watched", "outcome", "y"};
    const char *p = name;
    while (*p) {
        /* each word of the name, separated by '_', '-', '.' or ' ' */
        const char *e = p;
        while (*e && *e != '_' && *e != '-' && *e != '.' && *e != ' ')
            e++;
        for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
            size_t n = strlen(words[w]);
            if ((size_t)(e - p) == n && strncasecmp(p, words[w], n) == 0)
                return 1;
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

static int add_id(tt_dataset *d, const char *name, enum tt_side side, int32_t n,
                  char **keys, tt_err *err)
{
    tt_feature *f = tt_dsb_add_feature(d, name, TT_CAT, side, d->planted ? "id" : NULL, err);
    if (!f)
        return -1;
    f->card = n + 1;
    f->n_rows = n;
    f->vocab = tt_alloc((size_t)n + 1, sizeof *f->vocab, name, err);
    f->ids = tt_alloc((size_t)n, sizeof *f->ids, name, err);
    if (!f->vocab || !f->ids || !(f->vocab[0] = tt_strdup("<unk>")))
        return tt_err_set(err, "out of memory for %s", name);
    for (int32_t r = 0; r < n; r++) {
        f->ids[r] = r + 1;
        if (!(f->vocab[r + 1] = tt_strdup(keys[r])))
            return tt_err_set(err, "out of memory for %s", name);
    }
    return 0;
}

/* Rank of a feature in the standard order: user_id, user features, hist,
 * context features, item_id, item features. Stable within a rank. */
static int feat_rank(const tt_feature *f)
{
    if (f->side == TT_USER)
        return strcmp(f->name, "user_id") == 0 ? 0 : f->kind == TT_SEQ ? 2 : 1;
    if (f->side == TT_CTX)
        return 3;
    return strcmp(f->name, "item_id") == 0 ? 4 : 5;
}

int tt_dataset_add_id_features(tt_dataset *d, tt_err *err)
{
    int need_hist = tt_dataset_find(d, "hist") < 0;
    if (tt_dataset_find(d, "user_id") < 0 &&
        add_id(d, "user_id", TT_USER, d->n_users, d->user_key, err))
        return -1;
    if (tt_dataset_find(d, "item_id") < 0 &&
        add_id(d, "item_id", TT_ITEM, d->n_items, d->item_key, err))
        return -1;
    if (need_hist) {
        tt_feature *h = tt_dsb_add_feature(d, "hist", TT_SEQ, TT_USER,
                                           d->planted ? "history" : NULL, err);
        if (!h)
            return -1;
        h->card = d->n_items + 1;
    }
    /* Stable reorder by rank (insertion sort: a handful of features). */
    for (int a = 1; a < d->n_feat; a++) {
        tt_feature f = d->feat[a];
        char *p = d->planted ? d->planted[a] : NULL;
        int b = a;
        while (b > 0 && feat_rank(&d->feat[b - 1]) > feat_rank(&f)) {
            d->feat[b] = d->feat[b - 1];
            if (d->planted)
                d->planted[b] = d->planted[b - 1];
            b--;
        }
        d->feat[b] = f;
        if (d->planted)
            d->planted[b] = p;
    }
    if (tt_dsb_reindex_names(d, err))
        return -1;
    int item = tt_dataset_find(d, "item_id");
    for (int f = 0; f < d->n_feat; f++)
        if (d->feat[f].kind == TT_SEQ)
            d->feat[f].share = item;
    return 0;
}

typedef struct { const tt_dataset *d; } sort_ctx;

static int cmp_inter(const void *a, const void *b, void *c)
{
    const tt_dataset *d = ((const sort_ctx *)c)->d;
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (d->iu[x] != d->iu[y])
        return d->iu[x] < d->iu[y] ? -1 : 1;
    if (d->it[x] != d->it[y])
        return d->it[x] < d->it[y] ? -1 : 1;
    if (d->ii[x] != d->ii[y])
        return d->ii[x] < d->ii[y] ? -1 : 1;
    return (x > y) - (x < y); /* file order last: the sort is deterministic */
}

/* Apply perm (new row r = old row perm[r]) to an array of elem-size items. */
static int permute(void *arr, size_t elem, const int64_t *perm, int64_t n, tt_err *err)
{
    char *tmp = tt_alloc((size_t)n, elem, "interaction order", err), *a = arr;
    if (!tmp)
        return -1;
    for (int64_t r = 0; r < n; r++)
        memcpy(tmp + (size_t)r * elem, a + (size_t)perm[r] * elem, elem);
    memcpy(a, tmp, (size_t)n * elem);
    free(tmp);
    return 0;
}

static int permute_set(tt_feature *f, const int64_t *perm, int64_t n, tt_err *err)
{
    int64_t *off = tt_alloc((size_t)n + 1, sizeof *off, f->name, err);
    int32_t *vals = tt_alloc((size_t)f->off[n] + 1, sizeof *vals, f->name, err);
    if (!off || !vals) {
        free(off);
        free(vals);
        return -1;
    }
    for (int64_t r = 0; r < n; r++) {
        int64_t s = f->off[perm[r]], e = f->off[perm[r] + 1];
        off[r + 1] = off[r] + (e - s);
        memcpy(vals + off[r], f->vals + s, (size_t)(e - s) * sizeof *vals);
    }
    free(f->off);
    free(f->vals);
    f->off = off;
    f->vals = vals;
    return 0;
}

int tt_dataset_finish(tt_dataset *d, tt_err *err)
{
    int64_t n = d->n_inter;
    for (int64_t r = 0; r < n; r++)
        if (d->iu[r] < 0 || d->iu[r] >= d->n_users || d->ii[r] < 0 || d->ii[r] >= d->n_items)
            return tt_err_set(err, "interaction %lld: user or item index out of range",
                              (long long)r);
    int64_t *perm = tt_alloc((size_t)n + 1, sizeof *perm, "interaction order", err);
    if (!perm)
        return -1;
    int sorted = 1;
    for (int64_t r = 0; r < n; r++) {
        perm[r] = r;
        if (r > 0 && sorted) {
            int64_t a = r - 1;
            if (d->iu[a] > d->iu[r] ||
                (d->iu[a] == d->iu[r] && (d->it[a] > d->it[r] ||
                 (d->it[a] == d->it[r] && d->ii[a] > d->ii[r]))))
                sorted = 0;
        }
    }
    if (!sorted) {
        sort_ctx c = {d};
        qsort_r(perm, (size_t)n, sizeof *perm, cmp_inter, &c);
        if (permute(d->iu, sizeof *d->iu, perm, n, err) ||
            permute(d->ii, sizeof *d->ii, perm, n, err) ||
            permute(d->it, sizeof *d->it, perm, n, err))
            goto fail;
        for (int f = 0; f < d->n_feat; f++) {
            tt_feature *x = &d->feat[f];
            if (x->side != TT_CTX)
                continue;
            if (x->kind == TT_SET ? permute_set(x, perm, n, err)
                                  : permute(x->ids, sizeof *x->ids, perm, n, err))
                goto fail;
        }
    }
    free(perm);
    perm = NULL;
    /* Frequencies: rows per id; SET each value; SEQ (hist) interactions per item. */
    for (int f = 0; f < d->n_feat; f++) {
        tt_feature *x = &d->feat[f];
        free(x->freq);
        x->freq = tt_alloc((size_t)x->card + 1, sizeof *x->freq, x->name, err);
        if (!x->freq)
            return -1;
        if (x->kind == TT_SEQ) {
            for (int64_t r = 0; r < n; r++)
                x->freq[d->ii[r] + 1]++;
        } else if (x->kind == TT_SET) {
            for (int64_t k = 0; k < x->off[x->n_rows]; k++)
                x->freq[x->vals[k]]++;
        } else {
            for (int64_t r = 0; r < x->n_rows; r++)
                x->freq[x->ids[r]]++;
        }
    }
    return 0;
fail:
    free(perm);
    return -1;
}

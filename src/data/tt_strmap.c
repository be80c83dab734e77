/* tt_strmap: the string map that interns keys and labels (FNV-1a, open
 * addressing), and the ordering of user/item keys into a dataset. Part of the
 * loaders' building blocks (tt_dsb.h). */
#include "tt_dsb.h"

#include <stdlib.h>
#include <string.h>

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

/* tt_split: leave-last-two-out and random splits, their examples (with the
 * history feature at each interaction) and the per-user exclusion lists. */
#include "tt_split.h"
#include "tt_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tt_part_name(enum tt_part p)
{
    switch (p) {
    case TT_TRAIN: return "train";
    case TT_VALID: return "valid";
    case TT_TEST: return "test";
    }
    return "?";
}

static void free_examples(tt_examples *e)
{
    free(e->user);
    free(e->item);
    free(e->inter);
    free(e->hist);
    free(e->hist_n);
    memset(e, 0, sizeof *e);
}

void tt_split_free(tt_split *s)
{
    if (!s)
        return;
    for (int p = 0; p < 3; p++) {
        free_examples(&s->part[p]);
        free(s->off[p]);
        free(s->items[p]);
    }
    free(s->item_freq);
    memset(s, 0, sizeof *s);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Build everything from a part label per interaction (0 train, 1 valid, 2 test).
 * Interactions are sorted by (user, time, item), so each user's rows are
 * contiguous and in time order; "earlier" below means earlier in that order. */
static int build(const tt_dataset *d, const uint8_t *part, int32_t H, tt_split *s,
                 tt_err *err)
{
    static uint64_t splits_made;   /* splits are made by the session's thread only */
    s->gen = ++splits_made;
    int64_t n = d->n_inter, cnt[3] = {0, 0, 0}, at[3] = {0, 0, 0};
    int32_t nu = d->n_users, maxlen = 0;
    int32_t *tr = NULL, *tv = NULL; /* one user's visible items so far */
    for (int64_t r = 0; r < n; r++)
        cnt[part[r]]++;
    for (int p = 0; p < 3; p++) {
        tt_examples *e = &s->part[p];
        size_t m = (size_t)cnt[p] + 1, hn;
        e->n = cnt[p];
        e->H = H;
        if (tt_mul_overflow(m, (size_t)(H > 0 ? H : 1), &hn))
            return tt_err_set(err, "history of %lld examples x %d items overflows",
                              (long long)cnt[p], H);
        e->user = tt_alloc(m, sizeof *e->user, "examples", err);
        e->item = tt_alloc(m, sizeof *e->item, "examples", err);
        e->inter = tt_alloc(m, sizeof *e->inter, "examples", err);
        e->hist = tt_alloc(hn, sizeof *e->hist, "history", err);
        e->hist_n = tt_alloc(m, sizeof *e->hist_n, "history", err);
        s->off[p] = tt_alloc((size_t)nu + 1, sizeof *s->off[p], "exclusion lists", err);
        s->items[p] = tt_alloc(m, sizeof *s->items[p], "exclusion lists", err);
        if (!e->user || !e->item || !e->inter || !e->hist || !e->hist_n || !s->off[p] ||
            !s->items[p])
            return -1;
    }
    s->item_freq = tt_alloc((size_t)d->n_items + 1, sizeof *s->item_freq, "item counts", err);
    if (!s->item_freq)
        return -1;
    for (int64_t r = 0, a = 0; r <= n; r++)
        if (r == n || (r > 0 && d->iu[r] != d->iu[r - 1])) {
            maxlen = TT_MAX(maxlen, (int32_t)(r - a));
            a = r;
        }
    tr = tt_alloc((size_t)maxlen + 1, sizeof *tr, "history", err);
    tv = tt_alloc((size_t)maxlen + 1, sizeof *tv, "history", err);
    if (!tr || !tv)
        goto fail;
    int64_t r = 0;
    for (int32_t u = 0; u < nu; u++) {
        int32_t ntr = 0, ntv = 0;
        for (int p = 0; p < 3; p++)
            s->off[p][u] = at[p];
        for (; r < n && d->iu[r] == u; r++) {
            int p = part[r];
            tt_examples *e = &s->part[p];
            int64_t k = at[p]++;
            /* train and valid see train; test sees train and valid */
            const int32_t *vis = p == TT_TEST ? tv : tr;
            int32_t nvis = p == TT_TEST ? ntv : ntr, h = TT_MIN(nvis, H);
            e->user[k] = u;
            e->item[k] = d->ii[r];
            e->inter[k] = r;
            e->hist_n[k] = h;
            for (int32_t j = 0; j < H; j++)
                e->hist[k * H + j] = j < h ? vis[nvis - 1 - j] : -1;
            s->items[p][k] = d->ii[r];
            if (p == TT_TRAIN) {
                tr[ntr++] = d->ii[r];
                s->item_freq[d->ii[r]]++;
            }
            if (p != TT_TEST)
                tv[ntv++] = d->ii[r];
        }
    }
    if (r != n) {
        tt_err_set(err, "interactions are not sorted by user (call tt_dataset_finish)");
        goto fail;
    }
    /* Exclusion lists: sort each user's items and drop repeats (compacting). */
    for (int p = 0; p < 3; p++) {
        int64_t w = 0;
        s->off[p][nu] = at[p];
        for (int32_t u = 0; u < nu; u++) {
            int64_t a = s->off[p][u], b = s->off[p][u + 1];
            qsort(s->items[p] + a, (size_t)(b - a), sizeof(int32_t), cmp_i32);
            s->off[p][u] = w;
            for (int64_t k = a; k < b; k++)
                if (k == a || s->items[p][k] != s->items[p][k - 1])
                    s->items[p][w++] = s->items[p][k];
        }
        s->off[p][nu] = w;
    }
    free(tr);
    free(tv);
    return 0;
fail:
    free(tr);
    free(tv);
    return -1;
}

static int check_args(const tt_dataset *d, int32_t H, tt_err *err)
{
    if (H < 0 || H > 100000)
        return tt_err_set(err, "expected a history length between 0 and 100000, found %d", H);
    if (!d || d->n_inter <= 0)
        return tt_err_set(err, "expected a dataset with interactions, found none");
    return 0;
}

/* The label of a dataset in protocol names: its name, and for a generated
 * one its parameters (read back from the generator's source line), so that
 * datasets of different sizes never share a label. */
static void data_label(const tt_dataset *d, char *buf, size_t n)
{
    int u, i, c, p, at = 0;
    unsigned long long seed;
    if (d->source && sscanf(d->source, "synthetic users=%d items=%d clusters=%d per_user=%d seed=%llu%n",
                            &u, &i, &c, &p, &seed, &at) == 5) {
        int w = snprintf(buf, n, "synthetic-%dx%d-c%d-p%d-s%llu", u, i, c, p, seed);
        /* the structures that are on (tt_synth.c writes them in this order):
         * tastes=K -> -tK, cross=G -> -xG, tails=N -> -nN, cast=G -> -aG */
        static const char *const opt[][2] = {{" tastes=", "t"}, {" cross=", "x"}, {" tails=", "n"},
                                             {" cast=", "a"}};
        for (size_t k = 0; k < sizeof opt / sizeof opt[0]; k++) {
            const char *q = strstr(d->source + at, opt[k][0]);
            if (q && w > 0 && (size_t)w < n)
                w += snprintf(buf + w, n - (size_t)w, "-%s%d", opt[k][1],
                              atoi(q + strlen(opt[k][0])));
        }
    } else
        snprintf(buf, n, "%.40s", d->name ? d->name : "data");
}

static void set_protocol(const tt_dataset *d, const char *method, int32_t H, tt_split *s,
                         double valid, double test)
{
    char label[72], hs[16] = "", ss[32] = "";
    snprintf(s->method, sizeof s->method, "%s", method);
    if (strcmp(method, "l2o") == 0)
        snprintf(s->desc, sizeof s->desc, "l2o hist=%d", H);
    else
        snprintf(s->desc, sizeof s->desc, "random valid=%g test=%g seed=%llu hist=%d", valid, test,
                 (unsigned long long)s->seed, H);
    /* The reference protocol is ML-100K itself, not any folder in its format. */
    if (strcmp(method, "l2o") == 0 && H == 20 && d->name && strcmp(d->name, "ml-100k") == 0 &&
        d->n_users == 943 && d->n_items == 1682 && d->n_inter == 100000) {
        snprintf(s->protocol, sizeof s->protocol, "ml100k-l2o");
        return;
    }
    data_label(d, label, sizeof label);
    if (H != 20)
        snprintf(hs, sizeof hs, "-h%d", H);
    if (strcmp(method, "random") == 0)
        snprintf(ss, sizeof ss, "-s%llu", (unsigned long long)s->seed);
    snprintf(s->protocol, sizeof s->protocol, "%s-%s%s%s", label, method, ss, hs);
}

int tt_split_l2o(const tt_dataset *d, int32_t H, tt_split *out, tt_err *err)
{
    tt_split s;
    if (check_args(d, H, err))
        return -1;
    int64_t n = d->n_inter;
    uint8_t *part = tt_alloc((size_t)n, 1, "split labels", err);
    if (!part)
        return -1;
    memset(&s, 0, sizeof s);
    for (int64_t a = 0, r = 1; r <= n; r++)
        if (r == n || d->iu[r] != d->iu[a]) {
            if (r - a >= 3) {
                part[r - 1] = TT_TEST;
                part[r - 2] = TT_VALID;
            }
            a = r;
        }
    set_protocol(d, "l2o", H, &s, 0, 0);
    int rc = build(d, part, H, &s, err);
    free(part);
    if (rc) {
        tt_split_free(&s);
        return -1;
    }
    *out = s;
    return 0;
}

int tt_split_random(const tt_dataset *d, double valid_frac, double test_frac,
                    uint64_t seed, int32_t H, tt_split *out, tt_err *err)
{
    tt_split s;
    tt_rng rng;
    if (check_args(d, H, err))
        return -1;
    if (!(valid_frac >= 0 && test_frac >= 0 && valid_frac + test_frac < 1))
        return tt_err_set(err, "expected valid and test fractions >= 0 with a sum below 1, "
                          "found %g and %g", valid_frac, test_frac);
    int64_t n = d->n_inter;
    int64_t nt = llround((double)n * test_frac), nv = llround((double)n * valid_frac);
    uint8_t *part = tt_alloc((size_t)n, 1, "split labels", err);
    int64_t *idx = tt_alloc((size_t)n, sizeof *idx, "split order", err);
    if (!part || !idx) {
        free(part);
        free(idx);
        return -1;
    }
    for (int64_t r = 0; r < n; r++)
        idx[r] = r;
    tt_rng_seed(&rng, seed);
    tt_rng_shuffle_i64(&rng, idx, (size_t)n);
    for (int64_t k = 0; k < nt + nv && k < n; k++)
        part[idx[k]] = k < nt ? TT_TEST : TT_VALID;
    free(idx);
    memset(&s, 0, sizeof s);
    s.seed = seed;
    set_protocol(d, "random", H, &s, valid_frac, test_frac);
    int rc = build(d, part, H, &s, err);
    free(part);
    if (rc) {
        tt_split_free(&s);
        return -1;
    }
    *out = s;
    return 0;
}

/* Cold start: the items (or users) first seen in the last frac of the
 * interactions by time are held out with all their interactions. The cut is
 * the time of the interaction at (1 - frac) of the time order; an item (user)
 * whose first interaction is at or after the cut is cold. Cold items sorted by
 * (first seen, index): the earlier half goes to valid, the later half to test
 * (disjoint, so tuning on valid never sees a test item); everything else
 * trains. */
typedef struct first_seen {
    int64_t t;
    int32_t id;
} first_seen;

static int cmp_first(const void *a, const void *b)
{
    const first_seen *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int tt_split_cold(const tt_dataset *d, int users, double frac, int32_t H, tt_split *out,
                  tt_err *err)
{
    tt_split s;
    if (check_args(d, H, err))
        return -1;
    if (!(frac > 0 && frac < 1))
        return tt_err_set(err, "expected a cold fraction between 0 and 1 (exclusive), found %g", frac);
    int64_t n = d->n_inter;
    int32_t nk = users ? d->n_users : d->n_items;
    int64_t *ts = tt_alloc((size_t)n, sizeof *ts, "split times", err);
    first_seen *fs = tt_alloc((size_t)nk, sizeof *fs, "first seen", err);
    uint8_t *part = tt_alloc((size_t)n, 1, "split labels", err);
    uint8_t *side = tt_alloc((size_t)nk, 1, "cold sides", err);
    int rc = -1;
    memset(&s, 0, sizeof s);
    if (!ts || !fs || !part || !side)
        goto out;
    for (int32_t k = 0; k < nk; k++)
        fs[k] = (first_seen){INT64_MAX, k};
    for (int64_t r = 0; r < n; r++) {
        int32_t k = users ? d->iu[r] : d->ii[r];
        ts[r] = d->it[r];
        if (d->it[r] < fs[k].t)
            fs[k].t = d->it[r];
    }
    qsort(ts, (size_t)n, sizeof *ts, cmp_i64);
    int64_t cut = ts[(int64_t)((double)n * (1.0 - frac)) < n ? (int64_t)((double)n * (1.0 - frac)) : n - 1];
    qsort(fs, (size_t)nk, sizeof *fs, cmp_first);
    int32_t first_cold = nk;
    for (int32_t q = 0; q < nk; q++)
        if (fs[q].t != INT64_MAX && fs[q].t >= cut) {
            first_cold = q;
            break;
        }
    int32_t n_cold = 0;
    for (int32_t q = first_cold; q < nk; q++)
        n_cold += fs[q].t != INT64_MAX;
    if (n_cold < 2) {
        tt_err_set(err, "no cold %s: fewer than 2 %s are first seen in the last %g of the interactions",
                   users ? "users" : "items", users ? "users" : "items", frac);
        goto out;
    }
    if (first_cold == 0) {
        tt_err_set(err, "every %s is first seen in the last %g of the interactions: nothing left to train on",
                   users ? "user" : "item", frac);
        goto out;
    }
    memset(side, TT_TRAIN, (size_t)nk);
    for (int32_t q = first_cold, c = 0; q < nk; q++)
        if (fs[q].t != INT64_MAX)
            side[fs[q].id] = (uint8_t)(c++ < n_cold / 2 ? TT_VALID : TT_TEST);
    for (int64_t r = 0; r < n; r++)
        part[r] = side[users ? d->iu[r] : d->ii[r]];
    snprintf(s.method, sizeof s.method, "cold-%s", users ? "users" : "items");
    snprintf(s.protocol, sizeof s.protocol, "%.20s-cold-%s", d->name ? d->name : "data",
             users ? "users" : "items");
    if (build(d, part, H, &s, err))
        goto out;
    *out = s;
    rc = 0;
out:
    if (rc)
        tt_split_free(&s);
    free(ts);
    free(fs);
    free(part);
    free(side);
    return rc;
}

int tt_split_is_cold(const tt_split *s)
{
    return !strncmp(s->method, "cold", 4);
}

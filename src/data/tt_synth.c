/* tt_synth: the embedded default dataset, generated from latent clusters with
 * planted informative and noise features (datasets/README.md documents every
 * formula here; keep the two in step). */
#include "tt_dataset.h"
#include "tt_dsb.h"
#include "tt_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The generator's constants (README: "What is planted"). */
#define P_IN_CLUSTER 0.8   /* an interaction picks from the user's cluster */
#define POP_EXPONENT 0.9   /* item weight 1/(1 + rank in its cluster)^a */
#define P_TASTE 0.7        /* taste = the user's cluster, else uniform */
#define P_CATEGORY 0.8     /* category = the item's cluster, else uniform */
#define P_TAG 0.7          /* each tag from the cluster's 3, else any of 3C */
#define P_MODE 0.6         /* mode = target cluster mod 4, else uniform */
#define N_REGION 5
#define N_COLOR 12
#define N_SLOT 50
#define N_MODE 4
#define ZIPF_S 1.1
#define P_CROSS 0.8        /* an in-cluster draw must have the mood's style */
#define N_TAIL 1000        /* values of each long-tailed noise field */
#define P_CAST 0.8         /* an interaction is an item holding the user's fan value */
#define N_CAST 100         /* values shared by the cast fields */
#define T0 1704067200      /* 2024-01-01T00:00:00Z */

static const double age_edges[] = {18, 25, 35, 45, 50, 56};

static const struct preset {
    const char *name, *summary;
    tt_synth_opts o;
} presets[] = {
    {"tiny", "300 users, 200 items, 4 clusters, 20 per user (tests)",
     {300, 200, 4, 20, 42, 1, 0, 0, 0}},
    {"small", "1,000 users, 500 items, 8 clusters, 30 per user", {1000, 500, 8, 30, 42, 1, 0, 0, 0}},
    {"default", "2,000 users, 1,000 items, 8 clusters, 40 per user (80,000 interactions)",
     {2000, 1000, 8, 40, 42, 1, 0, 0, 0}},
    {"large", "25,000 users, 100,000 items, 32 clusters, 40 per user (1,000,000 "
              "interactions; the scale benchmark)", {25000, 100000, 32, 40, 42, 1, 0, 0, 0}},
    /* the structures of the models after SENet */
    {"tastes", "2,000 users, 640 items, 64 clusters, 20 per user, 4 taste clusters per "
               "user (multi-interest; more clusters than a 32-wide vector has dimensions)",
     {2000, 640, 64, 20, 42, 4, 0, 0, 0}},
    {"cross", "1,000 users, 500 items, 8 clusters, 30 per user, mood x style over 4 values "
              "(early interaction)", {1000, 500, 8, 30, 42, 1, 4, 0, 0}},
    {"tails", "2,000 users, 1,000 items, 8 clusters, 40 per user, 4 long-tailed noise fields "
              "(SE blocks; the size of default, where they sink below every informative "
              "field)", {2000, 1000, 8, 40, 42, 1, 0, 4, 0}},
    {"cast", "2,000 users, 2,000 items, 8 clusters, 30 per user, 4 cast fields over 100 "
             "shared values, a favourite one per user (early interaction)",
     {2000, 2000, 8, 30, 42, 1, 0, 0, 4}},
};

void tt_synth_opts_init(tt_synth_opts *o)
{
    *o = presets[2].o;
}

int tt_synth_preset(const char *name, tt_synth_opts *o)
{
    for (size_t k = 0; k < TT_ARRAY_LEN(presets); k++)
        if (strcmp(presets[k].name, name) == 0) {
            *o = presets[k].o;
            return 0;
        }
    return -1;
}

const char *tt_synth_preset_info(int k, const char **summary)
{
    if (k < 0 || (size_t)k >= TT_ARRAY_LEN(presets))
        return NULL;
    if (summary)
        *summary = presets[k].summary;
    return presets[k].name;
}

static int32_t zip_card(const tt_synth_opts *o)
{
    return TT_MAX(5, (int32_t)((int64_t)o->users * 3 / 4));
}

double tt_synth_bytes(const tt_synth_opts *o)
{
    double n = (double)o->users * (double)o->per_user;
    /* per interaction: user, item, time, 2 context ids, the sort's permutation
     * and its scratch copy; per user: key, 5 feature ids, sampling state; per
     * item: key, title, 3 ids, 2 tags, weights, cast ids and their index;
     * tables of each vocabulary. */
    return n * (4 + 4 + 8 + (2.0 + TT_MAX(o->tails, 0)) * 4 + 8 + 8) +
           (double)o->users * (40 + 6 * 4 + 8 + 4.0 * TT_MAX(o->tastes, 1)) +
           (double)o->items * (40 + 48 + 3 * 4 + 2 * 4 + 8 + 16 + 8 +
                               16.0 * TT_MAX(o->cast, 0)) +
           (double)zip_card(o) * 48 + 4096;
}

static int check_opts(const tt_synth_opts *o, tt_err *err)
{
    char b1[32], b2[32];
    if (o->users < 1 || o->items < 2 || o->clusters < 1 || o->per_user < 1)
        return tt_err_set(err, "synthetic: expected users >= 1, items >= 2, clusters >= 1 "
                          "and per_user >= 1, found users=%d items=%d clusters=%d per_user=%d",
                          o->users, o->items, o->clusters, o->per_user);
    if (o->tastes < 1 || o->tastes > o->clusters)
        return tt_err_set(err, "synthetic: expected 1 <= tastes <= clusters (a user's taste "
                          "clusters are distinct), found tastes=%d clusters=%d",
                          o->tastes, o->clusters);
    if (o->cross == 1 || o->cross < 0 || o->tails < 0 || o->tails > 16)
        return tt_err_set(err, "synthetic: expected cross = 0 (off) or >= 2, and 0 <= tails "
                          "<= 16, found cross=%d tails=%d", o->cross, o->tails);
    if (o->cast < 0 || o->cast > 16)
        return tt_err_set(err, "synthetic: expected 0 <= cast <= 16 (item fields over %d shared "
                          "values; 0 off), found cast=%d", N_CAST, o->cast);
    if (o->clusters > o->items)
        return tt_err_set(err, "synthetic: expected at most one cluster per item, found "
                          "clusters=%d for items=%d", o->clusters, o->items);
    if (o->per_user > o->items)
        return tt_err_set(err, "synthetic: expected per_user <= items (each user's items are "
                          "distinct), found per_user=%d items=%d", o->per_user, o->items);
    double n = (double)o->users * (double)o->per_user, bytes = tt_synth_bytes(o);
    if (bytes > (double)tt_alloc_limit)
        return tt_err_set(err, "synthetic: refusing %d users x %d items: needs about %s, over "
                          "the allocation limit of %s", o->users, o->items,
                          tt_fmt_bytes(bytes, b1, sizeof b1),
                          tt_fmt_bytes((double)tt_alloc_limit, b2, sizeof b2));
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0 && bytes > 0.8 * (double)pages * (double)psz)
        return tt_err_set(err, "synthetic: refusing %d users x %d items: needs about %s, more "
                          "than this machine's memory (%s)", o->users, o->items,
                          tt_fmt_bytes(bytes, b1, sizeof b1),
                          tt_fmt_bytes((double)pages * (double)psz, b2, sizeof b2));
    if (n > (double)INT32_MAX)
        return tt_err_set(err, "synthetic: expected at most %d interactions, found %.0f "
                          "(users x per_user)", INT32_MAX, n);
    return 0;
}

/* Index in a cumulative table: the first k with cdf[k] > u * cdf[n-1]. */
static int32_t draw_cdf(tt_rng *r, const double *cdf, int32_t n)
{
    double u = tt_rng_uniform(r) * cdf[n - 1];
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A CAT feature with labels "<prefix><k>" for values k = 0..nv-1 (id = k + 1).
 * Returns its index: pointers into d->feat move when a feature is added. */
static int cat_feature(tt_dataset *d, const char *name, enum tt_side side,
                               int32_t nv, const char *prefix, int64_t n_rows,
                               const char *planted, tt_err *err)
{
    tt_feature *f = tt_dsb_add_feature(d, name, TT_CAT, side, planted, err);
    char buf[64];
    if (!f)
        return -1;
    f->card = nv + 1;
    f->n_rows = n_rows;
    f->vocab = tt_alloc((size_t)nv + 1, sizeof *f->vocab, name, err);
    f->ids = tt_alloc((size_t)n_rows + 1, sizeof *f->ids, name, err);
    if (!f->vocab || !f->ids)
        return -1;
    for (int32_t k = 0; k <= nv; k++) {
        if (k == 0)
            snprintf(buf, sizeof buf, "<unk>");
        else
            snprintf(buf, sizeof buf, "%s%d", prefix, k - 1);
        if (!(f->vocab[k] = tt_strdup(buf))) {
            tt_err_set(err, "out of memory for %s", name);
            return -1;
        }
    }
    return d->n_feat - 1;
}

typedef struct gen {
    const tt_synth_opts *o;
    tt_rng rng;
    int32_t *ucl, *icl;      /* (users, tastes), (items) latent clusters; a
                                user's first taste cluster is c_u */
    const int32_t *mood, *style; /* (users), (items) ids 1..G when cross > 0 */
    const int32_t *fan;      /* (users) ids 1..V when cast > 0 */
    int32_t *poff, *pitems;  /* items holding each value, CSR over the V values */
    double *pcdf;            /* (cast items) cumulative weights within each value */
    int32_t *members, *moff; /* items of each cluster, CSR over clusters */
    double *ccdf;            /* (items) cumulative weights within each cluster */
    double *gcdf;            /* (items) cumulative weights over all items */
    double *w;               /* (items) item weights */
    int32_t *seen;           /* (items) last user + 1 that took the item */
} gen;

static void gen_free(gen *g)
{
    free(g->ucl);
    free(g->icl);
    free(g->members);
    free(g->moff);
    free(g->ccdf);
    free(g->gcdf);
    free(g->w);
    free(g->seen);
    free(g->poff);
    free(g->pitems);
    free(g->pcdf);
}

/* Latent structure: clusters of users and items, item weights by rank. */
static int gen_latent(gen *g, tt_err *err)
{
    const tt_synth_opts *o = g->o;
    int32_t C = o->clusters, ni = o->items;
    const int32_t K = o->tastes;
    g->ucl = tt_alloc((size_t)o->users * (size_t)K, sizeof *g->ucl, "clusters", err);
    g->icl = tt_alloc((size_t)ni, sizeof *g->icl, "clusters", err);
    g->members = tt_alloc((size_t)ni, sizeof *g->members, "clusters", err);
    g->moff = tt_alloc((size_t)C + 1, sizeof *g->moff, "clusters", err);
    g->ccdf = tt_alloc((size_t)ni, sizeof *g->ccdf, "weights", err);
    g->gcdf = tt_alloc((size_t)ni, sizeof *g->gcdf, "weights", err);
    g->w = tt_alloc((size_t)ni, sizeof *g->w, "weights", err);
    g->seen = tt_alloc((size_t)ni, sizeof *g->seen, "sampling", err);
    if (!g->ucl || !g->icl || !g->members || !g->moff || !g->ccdf || !g->gcdf || !g->w ||
        !g->seen)
        return -1;
    /* Items: cluster i mod C over a shuffled order, so every cluster gets
     * items; users: uniform clusters. */
    for (int32_t i = 0; i < ni; i++)
        g->members[i] = i;
    tt_rng_shuffle_i32(&g->rng, g->members, (size_t)ni);
    for (int32_t k = 0; k < ni; k++)
        g->icl[g->members[k]] = k % C;
    for (int32_t u = 0; u < o->users; u++)
        g->ucl[(size_t)u * K] = (int32_t)tt_rng_below(&g->rng, (uint32_t)C);
    /* Further taste clusters (tastes > 1): distinct, uniform over the rest. */
    for (int32_t u = 0; u < o->users && K > 1; u++) {
        int32_t *t = g->ucl + (size_t)u * K;
        for (int32_t k = 1; k < K; k++) {
            int32_t c, dup;
            do {
                c = (int32_t)tt_rng_below(&g->rng, (uint32_t)C);
                dup = 0;
                for (int32_t j = 0; j < k; j++)
                    dup |= t[j] == c;
            } while (dup);
            t[k] = c;
        }
    }
    /* CSR of members by cluster, in item order; rank within the cluster sets
     * the weight, so low item ids are the popular ones in every cluster. */
    for (int32_t i = 0; i < ni; i++)
        g->moff[g->icl[i] + 1]++;
    for (int32_t c = 0; c < C; c++)
        g->moff[c + 1] += g->moff[c];
    int32_t *pos = tt_alloc((size_t)C, sizeof *pos, "clusters", err);
    if (!pos)
        return -1;
    for (int32_t i = 0; i < ni; i++) {
        int32_t c = g->icl[i], rank = pos[c]++;
        g->members[g->moff[c] + rank] = i;
        g->w[i] = 1.0 / pow(1.0 + rank, POP_EXPONENT);
    }
    free(pos);
    for (int32_t c = 0; c < C; c++) {
        double s = 0;
        for (int32_t k = g->moff[c]; k < g->moff[c + 1]; k++)
            g->ccdf[k] = (s += g->w[g->members[k]]);
    }
    double s = 0;
    for (int32_t i = 0; i < ni; i++)
        g->gcdf[i] = (s += g->w[i]);
    return 0;
}

/* An item of cluster c by weight; with cross > 0, with p = P_CROSS one whose
 * style is (mood + c) mod G (redrawn up to 64 times). */
static int32_t draw_in_cluster(gen *g, int32_t u, int32_t c)
{
    int32_t a = g->moff[c], n = g->moff[c + 1] - a;
    int32_t i = g->members[a + draw_cdf(&g->rng, g->ccdf + a, n)];
    const int32_t G = g->o->cross;
    if (G > 0 && tt_rng_uniform(&g->rng) < P_CROSS) {
        int32_t want = 1 + (g->mood[u] - 1 + c) % G;
        for (int t = 0; t < 64 && g->style[i] != want; t++)
            i = g->members[a + draw_cdf(&g->rng, g->ccdf + a, n)];
    }
    return i;
}

/* The items holding each of the V values in any of the GC cast fields (CSR,
 * in item order), with cumulative weights within each value. */
static int cast_index(gen *g, tt_feature *const *cast, int GC, int32_t V, tt_err *err)
{
    int32_t ni = g->o->items;
    g->poff = tt_alloc((size_t)V + 1, sizeof *g->poff, "cast", err);
    g->pitems = tt_alloc((size_t)ni * GC, sizeof *g->pitems, "cast", err);
    g->pcdf = tt_alloc((size_t)ni * GC, sizeof *g->pcdf, "cast", err);
    int32_t *pos = tt_alloc((size_t)V, sizeof *pos, "cast", err);
    if (!g->poff || !g->pitems || !g->pcdf || !pos) {
        free(pos);
        return -1;
    }
    for (int32_t i = 0; i < ni; i++)
        for (int k = 0; k < GC; k++)
            g->poff[cast[k]->ids[i]]++;
    for (int32_t v = 0; v < V; v++)
        g->poff[v + 1] += g->poff[v];
    for (int32_t i = 0; i < ni; i++)
        for (int k = 0; k < GC; k++) {
            int32_t v = cast[k]->ids[i] - 1;
            g->pitems[g->poff[v] + pos[v]++] = i;
        }
    for (int32_t v = 0; v < V; v++) {
        double s = 0;
        for (int32_t k = g->poff[v]; k < g->poff[v + 1]; k++)
            g->pcdf[k] = (s += g->w[g->pitems[k]]);
    }
    free(pos);
    return 0;
}

/* One item for user u: with cast > 0, with P_CAST one holding the user's fan
 * value in any cast field, by weight; else from one of the user's taste
 * clusters (uniform over them) with P_IN_CLUSTER, else from all items by
 * weight; never an item u already has. */
static int32_t draw_item(gen *g, int32_t u)
{
    const int32_t K = g->o->tastes;
    int32_t ni = g->o->items;
    for (int attempt = 0; attempt < 32; attempt++) {
        int32_t i, c = g->ucl[(size_t)u * K];
        if (K > 1)
            c = g->ucl[(size_t)u * K + tt_rng_below(&g->rng, (uint32_t)K)];
        int32_t v = g->fan ? g->fan[u] - 1 : 0;
        if (g->fan && g->poff[v + 1] > g->poff[v] && tt_rng_uniform(&g->rng) < P_CAST) {
            int32_t a = g->poff[v];
            i = g->pitems[a + draw_cdf(&g->rng, g->pcdf + a, g->poff[v + 1] - a)];
        } else if (tt_rng_uniform(&g->rng) < P_IN_CLUSTER) {
            i = draw_in_cluster(g, u, c);
        } else {
            i = draw_cdf(&g->rng, g->gcdf, ni);
        }
        if (g->seen[i] != u + 1)
            return i;
    }
    /* Saturated: the next item not yet taken, from a random start. */
    int32_t i = (int32_t)tt_rng_below(&g->rng, (uint32_t)ni);
    while (g->seen[i] == u + 1)
        i = (i + 1) % ni;
    return i;
}

static int generate(gen *g, tt_dataset *d, tt_err *err)
{
    const tt_synth_opts *o = g->o;
    int32_t nu = o->users, ni = o->items, C = o->clusters;
    int64_t n = (int64_t)nu * o->per_user;
    char buf[64];
    tt_rng_seed(&g->rng, o->seed);
    if (gen_latent(g, err))
        return -1;
    d->n_users = nu;
    d->n_items = ni;
    d->n_inter = n;
    d->user_key = tt_alloc((size_t)nu, sizeof *d->user_key, "user ids", err);
    d->item_key = tt_alloc((size_t)ni, sizeof *d->item_key, "item ids", err);
    d->item_title = tt_alloc((size_t)ni, sizeof *d->item_title, "titles", err);
    d->iu = tt_alloc((size_t)n, sizeof *d->iu, "interactions", err);
    d->ii = tt_alloc((size_t)n, sizeof *d->ii, "interactions", err);
    d->it = tt_alloc((size_t)n, sizeof *d->it, "interactions", err);
    if (!d->user_key || !d->item_key || !d->item_title || !d->iu || !d->ii || !d->it)
        return -1;
    for (int32_t u = 0; u < nu; u++) {
        snprintf(buf, sizeof buf, "%d", u + 1);
        if (!(d->user_key[u] = tt_strdup(buf)))
            return tt_err_set(err, "out of memory for user ids");
    }
    for (int32_t i = 0; i < ni; i++) {
        snprintf(buf, sizeof buf, "%d", i + 1);
        if (!(d->item_key[i] = tt_strdup(buf)))
            return tt_err_set(err, "out of memory for item ids");
        snprintf(buf, sizeof buf, "item %d (cluster %d)", i + 1, g->icl[i]);
        if (!(d->item_title[i] = tt_strdup(buf)))
            return tt_err_set(err, "out of memory for titles");
    }

    /* All features first (indices), then pointers: adding one moves d->feat. */
    int32_t nz = zip_card(o), ntag = 3 * C;
    int x_taste = cat_feature(d, "taste", TT_USER, C, "c", nu, "informative", err);
    tt_feature *f = x_taste < 0 ? NULL
                  : tt_dsb_add_feature(d, "age", TT_NUM, TT_USER, "informative-weak", err);
    if (!f)
        return -1;
    int x_age = d->n_feat - 1;
    f->n_rows = nu;
    f->n_edges = (int)TT_ARRAY_LEN(age_edges);
    f->edges = tt_alloc(TT_ARRAY_LEN(age_edges), sizeof *f->edges, "age", err);
    f->ids = tt_alloc((size_t)nu, sizeof *f->ids, "age", err);
    if (!f->edges || !f->ids)
        return -1;
    memcpy(f->edges, age_edges, sizeof age_edges);
    if (tt_dsb_num_vocab(f, err))
        return -1;
    int x_region = cat_feature(d, "region", TT_USER, N_REGION, "r", nu, "noise-user", err);
    int x_zip = x_region < 0 ? -1 : cat_feature(d, "zip", TT_USER, nz, "z", nu, "noise-user", err);
    int x_cat = x_zip < 0 ? -1 : cat_feature(d, "category", TT_ITEM, C, "c", ni, "informative", err);
    int x_color = x_cat < 0 ? -1 : cat_feature(d, "color", TT_ITEM, N_COLOR, "k", ni, "noise-item", err);
    f = x_color < 0 ? NULL : tt_dsb_add_feature(d, "tags", TT_SET, TT_ITEM, "informative", err);
    if (!f)
        return -1;
    int x_tags = d->n_feat - 1;
    f->card = ntag + 1;
    f->n_rows = ni;
    f->vocab = tt_alloc((size_t)ntag + 1, sizeof *f->vocab, "tags", err);
    f->off = tt_alloc((size_t)ni + 1, sizeof *f->off, "tags", err);
    f->vals = tt_alloc((size_t)ni * 2, sizeof *f->vals, "tags", err);
    if (!f->vocab || !f->off || !f->vals)
        return -1;
    for (int32_t k = 0; k <= ntag; k++) {
        if (k == 0)
            snprintf(buf, sizeof buf, "<unk>");
        else
            snprintf(buf, sizeof buf, "tag%d", k - 1);
        if (!(f->vocab[k] = tt_strdup(buf)))
            return tt_err_set(err, "out of memory for tags");
    }
    int x_mode = cat_feature(d, "mode", TT_CTX, N_MODE, "m", n, "informative-context", err);
    int x_slot = x_mode < 0 ? -1 : cat_feature(d, "slot", TT_CTX, N_SLOT, "s", n, "noise-context", err);
    if (x_slot < 0)
        return -1;
    /* The optional structures (off: no feature, no draw). */
    const int32_t G = o->cross, NT = TT_MIN(o->tails, 16);
    int x_mood = -1, x_style = -1, x_tail[16];
    if (G > 0) {
        x_mood = cat_feature(d, "mood", TT_USER, G, "o", nu, "cross-user", err);
        x_style = x_mood < 0 ? -1 : cat_feature(d, "style", TT_ITEM, G, "y", ni, "cross-item", err);
        if (x_style < 0)
            return -1;
    }
    for (int k = 0; k < NT; k++) {
        snprintf(buf, sizeof buf, "tail%d", k + 1);
        if ((x_tail[k] = cat_feature(d, buf, TT_CTX, N_TAIL, "t", n, "noise-context-tail", err)) < 0)
            return -1;
    }
    const int32_t GC = TT_MIN(o->cast, 16), V = N_CAST;
    int x_fan = -1, x_cast[16];
    if (GC > 0 && (x_fan = cat_feature(d, "fan", TT_USER, V, "p", nu, "cast-user", err)) < 0)
        return -1;
    for (int k = 0; k < GC; k++) {
        snprintf(buf, sizeof buf, "cast%d", k + 1);
        if ((x_cast[k] = cat_feature(d, buf, TT_ITEM, V, "p", ni, "cast-item", err)) < 0)
            return -1;
    }
    tt_feature *taste = &d->feat[x_taste], *age = &d->feat[x_age];
    tt_feature *region = &d->feat[x_region], *zip = &d->feat[x_zip];
    tt_feature *cat = &d->feat[x_cat], *color = &d->feat[x_color], *tags = &d->feat[x_tags];
    tt_feature *mode = &d->feat[x_mode], *slot = &d->feat[x_slot];
    tt_feature *mood = G > 0 ? &d->feat[x_mood] : NULL, *style = G > 0 ? &d->feat[x_style] : NULL;
    tt_feature *tail[16];
    for (int k = 0; k < NT; k++)
        tail[k] = &d->feat[x_tail[k]];
    tt_feature *fan = GC > 0 ? &d->feat[x_fan] : NULL, *cast[16];
    for (int k = 0; k < GC; k++)
        cast[k] = &d->feat[x_cast[k]];

    /* User features. */
    double *zcdf = tt_alloc((size_t)nz, sizeof *zcdf, "zip", err);
    if (!zcdf)
        return -1;
    double s = 0;
    for (int32_t k = 0; k < nz; k++)
        zcdf[k] = (s += 1.0 / pow(k + 1.0, ZIPF_S));
    for (int32_t u = 0; u < nu; u++) {
        int32_t c = g->ucl[(size_t)u * o->tastes];
        taste->ids[u] = 1 + (tt_rng_uniform(&g->rng) < P_TASTE
                                 ? c : (int32_t)tt_rng_below(&g->rng, (uint32_t)C));
        /* age: a cluster's band 18 + 40 c / C, plus uniform noise of +-8 years */
        double a = 18.0 + 40.0 * c / C + (double)tt_rng_below(&g->rng, 17) - 8.0;
        age->ids[u] = tt_dsb_bucket(a, age_edges, age->n_edges);
        region->ids[u] = 1 + (int32_t)tt_rng_below(&g->rng, N_REGION);
        zip->ids[u] = 1 + draw_cdf(&g->rng, zcdf, nz);
        if (mood)
            mood->ids[u] = 1 + (int32_t)tt_rng_below(&g->rng, (uint32_t)G);
        if (fan)
            fan->ids[u] = 1 + (int32_t)tt_rng_below(&g->rng, (uint32_t)V);
    }

    /* Item features. */
    for (int32_t i = 0; i < ni; i++) {
        int32_t c = g->icl[i], t[2];
        cat->ids[i] = 1 + (tt_rng_uniform(&g->rng) < P_CATEGORY
                               ? c : (int32_t)tt_rng_below(&g->rng, (uint32_t)C));
        color->ids[i] = 1 + (int32_t)tt_rng_below(&g->rng, N_COLOR);
        for (int k = 0; k < 2; k++)
            t[k] = 1 + (tt_rng_uniform(&g->rng) < P_TAG
                            ? 3 * c + (int32_t)tt_rng_below(&g->rng, 3)
                            : (int32_t)tt_rng_below(&g->rng, (uint32_t)ntag));
        int64_t w = tags->off[i];
        tags->vals[w++] = TT_MIN(t[0], t[1]);
        if (t[0] != t[1])
            tags->vals[w++] = TT_MAX(t[0], t[1]);
        tags->off[i + 1] = w;
        if (style)
            style->ids[i] = 1 + (int32_t)tt_rng_below(&g->rng, (uint32_t)G);
        /* GC distinct values of the shared vocabulary */
        for (int k = 0; k < GC; k++) {
            int32_t v, dup;
            do {
                v = 1 + (int32_t)tt_rng_below(&g->rng, (uint32_t)V);
                dup = 0;
                for (int j = 0; j < k; j++)
                    dup |= cast[j]->ids[i] == v;
            } while (dup);
            cast[k]->ids[i] = v;
        }
    }
    if (G > 0) {
        g->mood = mood->ids;
        g->style = style->ids;
    }
    if (GC > 0 && cast_index(g, cast, GC, V, err)) {
        free(zcdf);
        return -1;
    }
    if (GC > 0)
        g->fan = fan->ids;
    /* the long-tailed noise fields share one Zipf table over N_TAIL values */
    double *tcdf = NT > 0 ? tt_alloc(N_TAIL, sizeof *tcdf, "tails", err) : NULL;
    if (NT > 0 && !tcdf) {
        free(zcdf);
        return -1;
    }
    s = 0;
    for (int32_t k = 0; k < N_TAIL && tcdf; k++)
        tcdf[k] = (s += 1.0 / pow(k + 1.0, ZIPF_S));

    /* Interactions and their context. */
    int64_t r = 0;
    for (int32_t u = 0; u < nu; u++) {
        /* a start within the first 30 days, then gaps of 1 minute to 2 hours:
         * strictly increasing, so leave-last-two-out has no ties */
        int64_t t = T0 + (int64_t)tt_rng_below(&g->rng, 30 * 86400);
        for (int32_t k = 0; k < o->per_user; k++, r++) {
            int32_t i = draw_item(g, u);
            g->seen[i] = u + 1;
            t += 60 + (int64_t)tt_rng_below(&g->rng, 7141);
            d->iu[r] = u;
            d->ii[r] = i;
            d->it[r] = t;
            mode->ids[r] = 1 + (tt_rng_uniform(&g->rng) < P_MODE
                                    ? g->icl[i] % N_MODE
                                    : (int32_t)tt_rng_below(&g->rng, N_MODE));
            slot->ids[r] = 1 + (int32_t)tt_rng_below(&g->rng, N_SLOT);
            for (int k = 0; k < NT; k++)
                tail[k]->ids[r] = 1 + draw_cdf(&g->rng, tcdf, N_TAIL);
        }
    }
    free(zcdf);
    free(tcdf);
    if (tt_dataset_add_id_features(d, err) || tt_dataset_finish(d, err))
        return -1;
    snprintf(buf, sizeof buf, "synthetic");
    d->name = tt_strdup(buf);
    /* The parameters, read back by the split for the protocol label; the
     * structures only when on, so the default's label is unchanged. */
    char src[200];
    int w = snprintf(src, sizeof src, "synthetic users=%d items=%d clusters=%d per_user=%d "
                     "seed=%llu", o->users, o->items, o->clusters, o->per_user,
                     (unsigned long long)o->seed);
    if (o->tastes > 1)
        w += snprintf(src + w, sizeof src - (size_t)w, " tastes=%d", o->tastes);
    if (G > 0)
        w += snprintf(src + w, sizeof src - (size_t)w, " cross=%d", G);
    if (NT > 0)
        w += snprintf(src + w, sizeof src - (size_t)w, " tails=%d", NT);
    if (GC > 0)
        snprintf(src + w, sizeof src - (size_t)w, " cast=%d", GC);
    d->source = tt_strdup(src);
    if (!d->name || !d->source)
        return tt_err_set(err, "out of memory");
    return 0;
}

int tt_synth_generate(const tt_synth_opts *o, tt_dataset *out, tt_err *err)
{
    gen g;
    tt_dataset d;
    if (check_opts(o, err))
        return -1;
    memset(&g, 0, sizeof g);
    memset(&d, 0, sizeof d);
    g.o = o;
    int rc = generate(&g, &d, err);
    gen_free(&g);
    if (rc) {
        tt_dataset_free(&d);
        return -1;
    }
    *out = d;
    return 0;
}

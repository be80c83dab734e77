/* tt_inspect: what a trained model does with its features: statistics of the
 * SENet excitation weights (over a split part, or by groups) and ablations
 * (metrics with one feature zeroed or shuffled). Engine code: no I/O. The
 * "suppressed" rule lives in tt_inspect_rule.c. */
#include "tt_inspect.h"
#include "tt_score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Weights are computed in chunks of rows so that memory stays bounded on
 * large parts (ML-1M's train part has a million examples). */
#define CHUNK 16384

typedef struct acc {
    double sum, sq, min, max;
} acc;

static void acc_init(acc *a, int n)
{
    for (int i = 0; i < n; i++) {
        a[i].sum = a[i].sq = 0;
        a[i].min = INFINITY;
        a[i].max = -INFINITY;
    }
}

static void acc_add(acc *a, const float *w, int f)
{
    for (int i = 0; i < f; i++) {
        double v = w[i];
        a[i].sum += v;
        a[i].sq += v * v;
        a[i].min = fmin(a[i].min, v);
        a[i].max = fmax(a[i].max, v);
    }
}

/* Population statistics of n rows into st (feature order), with the
 * suppressed flag of the rule over the means. */
static void acc_finish(const acc *a, int f, int64_t n, const char **names,
                       tt_weight_stat *st)
{
    double mean[TT_MAX_FIELDS] = { 0 };
    int supp[TT_MAX_FIELDS] = { 0 };
    for (int i = 0; i < f; i++) {
        st[i].feature = names[i];
        if (n <= 0) {
            st[i].mean = st[i].std = st[i].min = st[i].max = NAN;
            mean[i] = 0;
            continue;
        }
        st[i].mean = a[i].sum / n;
        double var = a[i].sq / n - st[i].mean * st[i].mean;
        st[i].std = var > 0 ? sqrt(var) : 0;
        st[i].min = a[i].min;
        st[i].max = a[i].max;
        mean[i] = st[i].mean;
    }
    tt_inspect_suppressed(mean, f, supp);
    for (int i = 0; i < f; i++)
        st[i].suppressed = n > 0 && supp[i];
}

/* Rows of a side: the examples of a part (user side) or all items. */
typedef struct rows_src {
    int side;
    const tt_examples *ex;
    int64_t n;
} rows_src;

static int rows_open(tt_model *m, int side, const tt_dataset *d,
                     const tt_split *sp, enum tt_part part, rows_src *r,
                     tt_err *err)
{
    if (side != 0 && side != 1)
        return tt_err_set(err, "tower side must be user (0) or item (1), not %d", side);
    if ((int)part < TT_TRAIN || (int)part > TT_TEST)
        return tt_err_set(err, "unknown split part %d", (int)part);
    r->side = side;
    r->ex = side ? NULL : &sp->part[part];
    r->n = side ? d->n_items : sp->part[part].n;
    if (r->n <= 0)
        return tt_err_set(err, "model %s: the %s part has no examples",
                          tt_model_get_def(m)->name, tt_part_name(part));
    return 0;
}

/* The excitation weights of rows [s, s+R) into W (R, f). A chunk of a part
 * is the same examples seen through shifted pointers. */
static int rows_weights(tt_model *m, const tt_dataset *d, const rows_src *r,
                        int64_t s, int64_t R, float *W, int hidden, tt_err *err)
{
    int (*read)(tt_model *, int, const tt_dataset *, const tt_examples *, float *, tt_err *) =
        hidden ? tt_model_senet_hidden : tt_model_senet_weights;
    if (r->side == 1) {
        /* items come as one pass over all of them; the caller asks once */
        return read(m, 1, d, NULL, W, err);
    }
    const tt_examples *ex = r->ex;
    tt_examples c = *ex;
    c.n = R;
    c.user = ex->user + s;
    c.item = ex->item + s;
    c.inter = ex->inter ? ex->inter + s : NULL;
    c.hist = ex->hist ? ex->hist + s * ex->H : NULL;
    c.hist_n = ex->hist_n ? ex->hist_n + s : NULL;
    return read(m, 0, d, &c, W, err);
}

/* Call fn for each row with its weights (f of them), or with its hidden
 * activations (hidden != 0; f is then the hidden width). */
typedef void (*row_fn)(int64_t row, const float *w, int f, void *ud);

static int for_each_row_of(tt_model *m, const tt_dataset *d, const rows_src *r,
                           int f, int hidden, row_fn fn, void *ud, tt_err *err)
{
    int64_t chunk = r->side ? r->n : TT_MIN(r->n, (int64_t)CHUNK);
    float *W = tt_alloc((size_t)chunk * (size_t)f, sizeof(float), "excitation weights", err);
    if (!W)
        return -1;
    for (int64_t s = 0; s < r->n; s += chunk) {
        int64_t R = TT_MIN(chunk, r->n - s);
        if (rows_weights(m, d, r, s, R, W, hidden, err) != 0) {
            free(W);
            return -1;
        }
        for (int64_t b = 0; b < R; b++)
            fn(s + b, W + b * f, f, ud);
    }
    free(W);
    return 0;
}

static int for_each_row(tt_model *m, const tt_dataset *d, const rows_src *r,
                        int f, row_fn fn, void *ud, tt_err *err)
{
    return for_each_row_of(m, d, r, f, 0, fn, ud, err);
}

static void add_all(int64_t row, const float *w, int f, void *ud)
{
    (void)row;
    acc_add(ud, w, f);
}

static int cmp_stat(const void *a, const void *b)
{
    const tt_weight_stat *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean < y->mean ? 1 : -1;
    return strcmp(x->feature, y->feature);
}

int tt_inspect_weights(tt_model *m, int side, const tt_dataset *d,
                       const tt_split *sp, enum tt_part part,
                       tt_weight_stat *out, int max_out, tt_err *err)
{
    const char *names[TT_MAX_FIELDS];
    if (side != 0 && side != 1)
        return tt_err_set(err, "tower side must be user (0) or item (1), not %d", side);
    int f = tt_model_senet_fields(m, side, names);
    if (f <= 0)
        return 0;
    rows_src r;
    if (rows_open(m, side, d, sp, part, &r, err) != 0)
        return -1;
    acc a[TT_MAX_FIELDS];
    acc_init(a, f);
    if (for_each_row(m, d, &r, f, add_all, a, err) != 0)
        return -1;
    tt_weight_stat st[TT_MAX_FIELDS];
    acc_finish(a, f, r.n, names, st);
    qsort(st, (size_t)f, sizeof *st, cmp_stat);
    for (int i = 0; i < f && i < max_out; i++)
        out[i] = st[i];
    return f;
}

/* Hidden activity: rows with every unit at 0, and rows each unit is on. */
typedef struct activity {
    int64_t all_off;
    int64_t on[TT_MAX_FIELDS];
} activity;

static void add_activity(int64_t row, const float *h, int n, void *ud)
{
    (void)row;
    activity *a = ud;
    int any = 0;
    for (int u = 0; u < n; u++) {
        a->on[u] += h[u] > 0.0f;
        any |= h[u] > 0.0f;
    }
    a->all_off += !any;
}

int tt_inspect_excitation(tt_model *m, int side, const tt_dataset *d,
                          const tt_split *sp, enum tt_part part,
                          const tt_weight_stat *st, int n, tt_excitation *x,
                          tt_err *err)
{
    memset(x, 0, sizeof *x);
    x->dead_units = -1;
    if (side != 0 && side != 1)
        return tt_err_set(err, "tower side must be user (0) or item (1), not %d", side);
    x->fields = tt_model_senet_shape(m, side, &x->hidden, &x->r);
    if (x->fields <= 0)
        return 0;
    rows_src r;
    if (rows_open(m, side, d, sp, part, &r, err) != 0)
        return -1;
    activity act;
    memset(&act, 0, sizeof act);
    /* the hidden width is at most the squeeze width: 2 f fields (mean+max) */
    if (x->hidden > 0 && x->hidden <= TT_MAX_FIELDS) {   /* Light-SE: no hidden layer */
        if (for_each_row_of(m, d, &r, x->hidden, 1, add_activity, &act, err) != 0)
            return -1;
        x->inactive = (double)act.all_off / (double)r.n;
        x->dead_units = 0;
        for (int u = 0; u < x->hidden; u++)
            x->dead_units += act.on[u] == 0;
    }
    double mean[TT_MAX_FIELDS], sd[TT_MAX_FIELDS];
    for (int i = 0; i < n && i < TT_MAX_FIELDS; i++) {
        mean[i] = st[i].mean;
        sd[i] = st[i].std;
    }
    x->constant = tt_inspect_constant(mean, sd, TT_MIN(n, TT_MAX_FIELDS), x->inactive);
    return 0;
}

/* ---- by groups ------------------------------------------------------------- */

/* How each row maps to groups: a categorical id column read through the
 * user, the target item or the interaction of the row; a set column (a row in
 * each of its values' groups); or a precomputed group per user / item
 * (activity deciles). */
typedef struct grouping {
    const tt_feature *ft;
    int via;                 /* 0 user, 1 item, 2 interaction */
    const int32_t *pre;      /* activity: group per user (side 0) or item (side 1) */
    int n_groups;
    acc *a;                  /* (n_groups, f) */
    int64_t *count;          /* (n_groups) */
    const rows_src *r;
} grouping;

static void add_group(grouping *g, int grp, const float *w, int f)
{
    if (grp < 0 || grp >= g->n_groups)
        return;
    acc_add(g->a + (size_t)grp * f, w, f);
    g->count[grp]++;
}

static void add_by(int64_t row, const float *w, int f, void *ud)
{
    grouping *g = ud;
    const rows_src *r = g->r;
    int64_t key;   /* the user, item or interaction the group is read from */
    if (r->side == 1)
        key = row;
    else if (g->pre || g->via == 0)
        key = r->ex->user[row];
    else if (g->via == 1)
        key = r->ex->item[row];
    else
        key = r->ex->inter[row];
    if (g->pre) {
        add_group(g, g->pre[key], w, f);
        return;
    }
    const tt_feature *ft = g->ft;
    if (key < 0 || key >= ft->n_rows)
        return;
    if (ft->kind == TT_SET) {
        for (int64_t k = ft->off[key]; k < ft->off[key + 1]; k++)
            add_group(g, ft->vals[k], w, f);
        if (ft->off[key] == ft->off[key + 1])
            add_group(g, 0, w, f);   /* no value: "<unk>" */
    } else {
        add_group(g, ft->ids[key], w, f);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Activity deciles: users (side 0) by their number of training
 * interactions, or items (side 1) by their training count. The cuts are the
 * activity values at ranks n/10, 2n/10, ... of the population (the users
 * present in the part, or all items), and equal activities always share a
 * group: on data where every user has the same activity there is a single
 * group rather than ten arbitrary ones. So there are at most ten groups,
 * fewer when cuts coincide; labels give each group's range. */
static int activity_groups(const tt_dataset *d, const tt_split *sp,
                           const rows_src *r, int32_t **pre_out,
                           char **labels, tt_err *err)
{
    int64_t n_keys = r->side ? d->n_items : d->n_users;
    int32_t *pre = tt_alloc((size_t)n_keys, sizeof *pre, "activity groups", err);
    int64_t *act = tt_alloc((size_t)n_keys, sizeof *act, "activity", err);
    int64_t *sorted = tt_alloc((size_t)n_keys, sizeof *sorted, "activity ranks", err);
    if (!pre || !act || !sorted) {
        free(pre);
        free(act);
        free(sorted);
        return -1;
    }
    for (int64_t i = 0; i < n_keys; i++) {
        act[i] = r->side ? sp->item_freq[i]
                         : sp->off[TT_TRAIN][i + 1] - sp->off[TT_TRAIN][i];
        pre[i] = r->side ? 0 : -1;   /* -1: user not in the part */
    }
    if (!r->side)
        for (int64_t j = 0; j < r->ex->n; j++)
            pre[r->ex->user[j]] = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < n_keys; i++)
        if (pre[i] == 0)
            sorted[n++] = act[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_i64);
    int64_t cut[9];
    int n_cut = 0;
    for (int g = 1; g < 10 && n > 0; g++) {
        int64_t c = sorted[g * n / 10];
        if (c > sorted[0] && (n_cut == 0 || c > cut[n_cut - 1]))
            cut[n_cut++] = c;
    }
    int n_groups = n_cut + 1;
    int64_t lo[10], hi[10];
    for (int g = 0; g < n_groups; g++) {
        lo[g] = INT64_MAX;
        hi[g] = INT64_MIN;
    }
    for (int64_t i = 0; i < n_keys; i++) {
        if (pre[i] < 0)
            continue;
        int g = 0;
        while (g < n_cut && act[i] >= cut[g])
            g++;
        pre[i] = g;
        lo[g] = TT_MIN(lo[g], act[i]);
        hi[g] = TT_MAX(hi[g], act[i]);
    }
    for (int g = 0; g < n_groups; g++) {
        char buf[96];
        snprintf(buf, sizeof buf, "%lld-%lld train interactions",
                 (long long)lo[g], (long long)hi[g]);
        labels[g] = tt_strdup(buf);
        if (!labels[g]) {
            for (int k = 0; k < g; k++)
                free(labels[k]);
            free(pre);
            free(act);
            free(sorted);
            return tt_err_set(err, "out of memory for group labels");
        }
    }
    free(act);
    free(sorted);
    *pre_out = pre;
    return n_groups;
}

void tt_weight_groups_free(tt_weight_groups *g)
{
    if (!g)
        return;
    if (g->labels)
        for (int i = 0; i < g->n_groups; i++)
            free(g->labels[i]);
    free(g->labels);
    free(g->count);
    free(g->stat);
    memset(g, 0, sizeof *g);
}

int tt_inspect_weights_by(tt_model *m, int side, const tt_dataset *d,
                          const tt_split *sp, enum tt_part part,
                          const char *by, tt_weight_groups *out, tt_err *err)
{
    const char *names[TT_MAX_FIELDS];
    memset(out, 0, sizeof *out);
    if (side != 0 && side != 1)
        return tt_err_set(err, "tower side must be user (0) or item (1), not %d", side);
    int f = tt_model_senet_fields(m, side, names);
    if (f <= 0)
        return tt_err_set(err, "model %s: the %s tower has no SENet stage",
                          tt_model_get_def(m)->name, side ? "item" : "user");
    rows_src r;
    if (rows_open(m, side, d, sp, part, &r, err) != 0)
        return -1;
    grouping g;
    memset(&g, 0, sizeof g);
    g.r = &r;
    char *act_labels[10] = { 0 };
    int32_t *pre = NULL;
    if (by && !strcmp(by, "activity")) {
        int n = activity_groups(d, sp, &r, &pre, act_labels, err);
        if (n < 0)
            return -1;
        g.pre = pre;
        g.n_groups = n;
    } else {
        int fi = by ? tt_dataset_find(d, by) : -1;
        if (fi < 0)
            return tt_err_set(err, "by=%s: no such feature (a categorical feature, or 'activity')",
                              by ? by : "");
        const tt_feature *ft = &d->feat[fi];
        if (ft->kind == TT_SEQ)
            return tt_err_set(err, "by=%s: a sequence feature has no groups; use a categorical feature or 'activity'", by);
        if (ft->kind == TT_SET && !ft->off)
            return tt_err_set(err, "by=%s: the set feature has no values", by);
        if (ft->kind != TT_SET && !ft->ids)
            return tt_err_set(err, "by=%s: the feature has no values", by);
        if (side == 1 && ft->side != TT_ITEM)
            return tt_err_set(err, "by=%s: a %s feature cannot group items", by,
                              tt_side_name(ft->side));
        g.ft = ft;
        g.via = ft->side == TT_ITEM ? 1 : ft->side == TT_CTX ? 2 : 0;
        if (g.via == 2 && !r.ex->inter)
            return tt_err_set(err, "by=%s: the examples carry no interaction rows", by);
        g.n_groups = ft->card;
    }
    int rc = -1;
    g.a = tt_alloc((size_t)g.n_groups * (size_t)f, sizeof *g.a, "group statistics", err);
    g.count = tt_alloc((size_t)g.n_groups, sizeof *g.count, "group counts", err);
    if (!g.a || !g.count)
        goto done;
    acc_init(g.a, g.n_groups * f);
    if (for_each_row(m, d, &r, f, add_by, &g, err) != 0)
        goto done;
    /* keep the groups that have rows, in id (or decile) order */
    int n_out = 0;
    for (int k = 0; k < g.n_groups; k++)
        n_out += g.count[k] > 0;
    out->n_feat = f;
    out->labels = tt_alloc((size_t)TT_MAX(n_out, 1), sizeof *out->labels, "group labels", err);
    out->count = tt_alloc((size_t)TT_MAX(n_out, 1), sizeof *out->count, "group counts", err);
    out->stat = tt_alloc((size_t)TT_MAX(n_out, 1) * (size_t)f, sizeof *out->stat, "group statistics", err);
    if (!out->labels || !out->count || !out->stat) {
        tt_weight_groups_free(out);
        goto done;
    }
    for (int k = 0, o = 0; k < g.n_groups; k++) {
        if (!g.count[k])
            continue;
        char buf[160];
        const char *lab = buf;
        if (g.pre)
            lab = act_labels[k];
        else if (g.ft->vocab && g.ft->vocab[k])
            lab = g.ft->vocab[k];
        else
            snprintf(buf, sizeof buf, "%s=%d", g.ft->name, k);
        out->labels[o] = tt_strdup(lab);
        if (!out->labels[o]) {
            out->n_groups = o;
            tt_weight_groups_free(out);
            tt_err_set(err, "out of memory for group labels");
            goto done;
        }
        out->count[o] = g.count[k];
        acc_finish(g.a + (size_t)k * f, f, g.count[k], names, out->stat + (size_t)o * f);
        o++;
        out->n_groups = o;
    }
    rc = out->n_groups;
done:
    for (int k = 0; k < 10; k++)
        free(act_labels[k]);
    free(pre);
    free(g.a);
    free(g.count);
    return rc;
}

/* ---- ablation -------------------------------------------------------------- */

/* Queries and items encoded with the current ablation, then evaluated. */
static int encode_eval(tt_model *m, const tt_dataset *d, const tt_split *sp,
                       enum tt_part part, const int *ks, int n_k, float *Q,
                       float *V, tt_metrics *out, tt_err *err)
{
    int D = tt_model_dim(m), H, G, dh;
    /* interests (K vectors per user), the FE-Block (G vectors per item):
     * the evaluator's rule for the model */
    if (tt_model_query_vectors(m) > 1 || tt_model_fe_shape(m, &H, &G, &dh))
        return tt_score_eval(m, d, sp, part, ks, n_k, out, err);
    if (tt_model_encode_items(m, d, V, err) != 0)
        return -1;
    if (tt_model_encode_queries(m, d, &sp->part[part], Q, err) != 0)
        return -1;
    return tt_eval(Q, V, d->n_items, D, sp, part, ks, n_k, out, err);
}

/* Is dataset feature fi one of the model's fields? Sequences and context go
 * to the user tower, item features to the item tower (as tt_model resolves
 * them); a tower with no field list takes every feature of its side. */
static int model_uses(const tt_model *m, const tt_dataset *d, int fi)
{
    const tt_feature *ft = &d->feat[fi];
    int side = ft->kind == TT_SEQ ? 0 : ft->side == TT_ITEM ? 1 : 0;
    const tt_tower_def *t = tt_model_get_tower(m, side);
    if (!t)
        return 0;
    if (t->n_fields == 0)
        return 1;
    for (int j = 0; j < t->n_fields; j++)
        if (!strcmp(t->fields[j], ft->name))
            return 1;
    return 0;
}

int tt_inspect_ablate(tt_model *m, const tt_dataset *d, const tt_split *sp,
                      enum tt_part part, int feat, enum tt_ablate_mode mode,
                      uint64_t seed, const int *ks, int n_k,
                      tt_metrics *base, tt_metrics *ablated, tt_err *err)
{
    const tt_model_def *md = tt_model_get_def(m);
    if (md->kind != TT_MODEL_TWOTOWER)
        return tt_err_set(err, "model %s is not a two-tower model: it uses no feature", md->name);
    if (feat < 0 || feat >= d->n_feat)
        return tt_err_set(err, "ablate: feature index %d out of range", feat);
    if (!model_uses(m, d, feat))
        return tt_err_set(err, "model %s does not use feature '%s'", md->name, d->feat[feat].name);
    if ((int)part < TT_TRAIN || (int)part > TT_TEST || sp->part[part].n <= 0)
        return tt_err_set(err, "model %s: the %s part has no examples", md->name,
                          (int)part >= TT_TRAIN && (int)part <= TT_TEST ? tt_part_name(part) : "?");
    if (mode != TT_ABLATE_ZERO && mode != TT_ABLATE_SHUFFLE)
        return tt_err_set(err, "ablate: unknown mode %d", (int)mode);
    int D = tt_model_dim(m);
    float *V = tt_alloc((size_t)d->n_items * (size_t)D, sizeof(float), "item vectors", err);
    float *Q = V ? tt_alloc((size_t)sp->part[part].n * (size_t)D, sizeof(float),
                            "query vectors", err) : NULL;
    int rc = -1;
    if (!V || !Q)
        goto done;
    tt_model_set_ablation(m, -1, TT_ABLATE_ZERO, 0);
    if (encode_eval(m, d, sp, part, ks, n_k, Q, V, base, err) != 0)
        goto done;
    tt_model_set_ablation(m, feat, mode, seed);
    if (encode_eval(m, d, sp, part, ks, n_k, Q, V, ablated, err) != 0)
        goto done;
    rc = 0;
done:
    tt_model_set_ablation(m, -1, TT_ABLATE_ZERO, 0);   /* never leave it on */
    free(Q);
    free(V);
    return rc;
}

/* tt_itemknn: item-based k-nearest-neighbours (Sarwar et al. 2001; the
 * ItemKNN-CF of Dacrema et al. 2019). Cosine similarity of the items'
 * binary user columns with shrinkage,
 *   sim(i, j) = c_ij / (sqrt(n_i n_j) + shrink),
 * c_ij the users who have both, n_i the users who have i; each item j keeps
 * its k most similar items N(j) (ties to the lower index, only sim > 0), and
 *   score(u, j) = sum over i in history(u) and N(j) of sim(i, j).
 * Parameters: the neighbour lists, (n_items, k) indices (exact in float below
 * 2^24 items; -1 pads) and (n_items, k) similarities. prepare turns them
 * into the transposed sparse rows (for each item i, the items j it is a
 * neighbour of, sorted), which scoring walks. */
#include "tt_model_impl.h"
#include "tt_mkind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { O_K = 0, O_SHRINK = 1 };

typedef struct knn_rows {
    int64_t *off;        /* (n_items + 1) */
    int32_t *to;         /* (nnz) item j, ascending within a row */
    float *w;            /* (nnz) sim(i, j) */
} knn_rows;

static int knn_k(const tt_model *m) { return (int)m->par[0].cols; }

static int knn_build(tt_model *m, const tt_dataset *d, tt_err *err)
{
    int k = (int)m->def.kopt[O_K];
    if (d->n_items >= (1 << 24))
        return tt_err_set(err, "model %s: itemknn handles at most %d items, not %d", m->def.name,
                          (1 << 24) - 1, d->n_items);
    if (k > d->n_items - 1)
        k = TT_MAX(d->n_items - 1, 1);
    if (tt_model_add_tensor(m, "knn.nbr", "neighbour items of each item (-1: none)", d->n_items,
                            k, 0, 1, err) < 0 ||
        tt_model_add_tensor(m, "knn.sim", "their cosine similarities", d->n_items, k, 0, 1,
                            err) < 0)
        return -1;
    m->D = 1;
    return 0;
}

typedef struct knn_job {
    tt_model *m;
    const tt_split *sp;
    const int64_t *uoff;     /* (n_items + 1) users of each item: CSR */
    const int32_t *users;
    const int64_t *cnt;      /* (n_items) distinct users per item */
    double shrink;
    float *acc[16];          /* per thread (n_items) co-occurrence counts */
    int32_t *touch[16];      /* per thread (n_items) items touched */
} knn_job;

/* Better neighbour: higher similarity, then lower index. */
static int knn_better(double s, int32_t i, double t, int32_t j)
{
    return s > t || (s == t && i < j);
}

static void knn_part(void *ctx, int tid, int nt)
{
    knn_job *jb = ctx;
    tt_model *m = jb->m;
    int K = knn_k(m);
    int32_t n = m->n_items;
    float *acc = jb->acc[tid];
    int32_t *touch = jb->touch[tid];
    float *nbr = m->param + m->par[0].off, *sim = m->param + m->par[1].off;
    const int64_t *off = jb->sp->off[TT_TRAIN];
    const int32_t *it = jb->sp->items[TT_TRAIN];
    double best_s[512];
    int32_t best_i[512];
    long j0, j1;
    tt_par_range(n, tid, nt, &j0, &j1);
    for (int32_t j = (int32_t)j0; j < j1; j++) {
        int nt_ = 0;
        int64_t nb = 0;
        for (int64_t q = jb->uoff[j]; q < jb->uoff[j + 1]; q++) {
            int32_t u = jb->users[q];
            for (int64_t r = off[u]; r < off[u + 1]; r++) {
                int32_t i = it[r];
                if (i == j || (r > off[u] && it[r - 1] == i))
                    continue;
                if (acc[i] == 0.0f)
                    touch[nt_++] = i;
                acc[i] += 1.0f;
            }
        }
        /* Top K of the touched items by (sim desc, index asc): an insertion
         * into a sorted list of at most K (K is small next to the touched). */
        int kk = TT_MIN(K, 512);
        for (int t = 0; t < nt_; t++) {
            int32_t i = touch[t];
            double s = acc[i] / (sqrt((double)jb->cnt[i] * (double)jb->cnt[j]) + jb->shrink);
            acc[i] = 0.0f;
            if (!(s > 0))
                continue;
            if (nb == kk && !knn_better(s, i, best_s[nb - 1], best_i[nb - 1]))
                continue;
            int64_t p = nb < kk ? nb++ : nb - 1;
            while (p > 0 && knn_better(s, i, best_s[p - 1], best_i[p - 1])) {
                best_s[p] = best_s[p - 1];
                best_i[p] = best_i[p - 1];
                p--;
            }
            best_s[p] = s;
            best_i[p] = i;
        }
        for (int q = 0; q < K; q++) {
            nbr[(int64_t)j * K + q] = q < nb ? (float)best_i[q] : -1.0f;
            sim[(int64_t)j * K + q] = q < nb ? (float)best_s[q] : 0.0f;
        }
    }
}

static int knn_fit(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
                   volatile sig_atomic_t *stop, tt_err *err)
{
    (void)d, (void)stop;
    int32_t n = m->n_items, nu = m->n_users;
    const int64_t *off = sp->off[TT_TRAIN];
    const int32_t *it = sp->items[TT_TRAIN];
    int nt = TT_MIN(TT_MAX(n_threads, 1), 16), rc = -1;
    knn_job jb;
    memset(&jb, 0, sizeof jb);
    if (knn_k(m) > 512)
        return tt_err_set(err, "model %s: itemknn keeps at most 512 neighbours, not k=%d",
                          m->def.name, knn_k(m));
    int64_t *uoff = tt_alloc((size_t)n + 1, sizeof *uoff, "item users", err);
    int64_t *cnt = tt_alloc((size_t)n + 1, sizeof *cnt, "item users", err);
    int32_t *users = tt_alloc((size_t)TT_MAX(off[nu], 1), sizeof *users, "item users", err);
    tt_pool *pool = NULL;
    if (!uoff || !cnt || !users)
        goto out;
    /* Users of each item (distinct), ascending: the transposed training matrix. */
    for (int32_t u = 0; u < nu; u++)
        for (int64_t r = off[u]; r < off[u + 1]; r++)
            if (r == off[u] || it[r - 1] != it[r])
                cnt[it[r]]++;
    for (int32_t j = 0; j < n; j++)
        uoff[j + 1] = uoff[j] + cnt[j];
    memset(cnt, 0, (size_t)n * sizeof *cnt);
    for (int32_t u = 0; u < nu; u++)
        for (int64_t r = off[u]; r < off[u + 1]; r++)
            if (r == off[u] || it[r - 1] != it[r])
                users[uoff[it[r]] + cnt[it[r]]++] = u;
    jb.m = m;
    jb.sp = sp;
    jb.uoff = uoff;
    jb.users = users;
    jb.cnt = cnt;
    jb.shrink = m->def.kopt[O_SHRINK];
    for (int t = 0; t < nt; t++) {
        jb.acc[t] = tt_alloc((size_t)n, sizeof(float), "itemknn counts", err);
        jb.touch[t] = tt_alloc((size_t)n, sizeof(int32_t), "itemknn counts", err);
        if (!jb.acc[t] || !jb.touch[t])
            goto out;
    }
    if (nt > 1 && tt_pool_create(&pool, nt, err))
        goto out;
    tt_pool_run(pool, knn_part, &jb);
    rc = 0;
out:
    tt_pool_free(pool);
    for (int t = 0; t < nt; t++) {
        free(jb.acc[t]);
        free(jb.touch[t]);
    }
    free(uoff);
    free(cnt);
    free(users);
    return rc;
}

static void knn_release(tt_model *m)
{
    knn_rows *r = m->kst;
    if (r) {
        free(r->off);
        free(r->to);
        free(r->w);
        free(r);
    }
    m->kst = NULL;
}

/* The transposed lists: row i holds (j, sim(i, j)) for every j with i in N(j),
 * j ascending (filled in j order). */
static int knn_prepare(tt_model *m, tt_err *err)
{
    int K = knn_k(m);
    int32_t n = m->n_items;
    const float *nbr = m->param + m->par[0].off, *sim = m->param + m->par[1].off;
    knn_rows *r = tt_alloc(1, sizeof *r, "itemknn rows", err);
    if (!r)
        return -1;
    m->kst = r;
    r->off = tt_alloc((size_t)n + 1, sizeof *r->off, "itemknn rows", err);
    if (!r->off)
        return -1;
    for (int64_t q = 0; q < (int64_t)n * K; q++) {
        int64_t i = (int64_t)nbr[q];
        if (nbr[q] >= 0 && i < n)
            r->off[i + 1]++;
    }
    for (int32_t i = 0; i < n; i++)
        r->off[i + 1] += r->off[i];
    r->to = tt_alloc((size_t)TT_MAX(r->off[n], 1), sizeof *r->to, "itemknn rows", err);
    r->w = tt_alloc((size_t)TT_MAX(r->off[n], 1), sizeof *r->w, "itemknn rows", err);
    int64_t *fill = tt_alloc((size_t)n, sizeof *fill, "itemknn rows", err);
    if (!r->to || !r->w || !fill) {
        free(fill);
        return -1;
    }
    for (int32_t j = 0; j < n; j++)
        for (int q = 0; q < K; q++) {
            float f = nbr[(int64_t)j * K + q];
            int64_t i = (int64_t)f;
            if (f < 0 || i >= n)
                continue;
            int64_t at = r->off[i] + fill[i]++;
            r->to[at] = j;
            r->w[at] = sim[(int64_t)j * K + q];
        }
    free(fill);
    return 0;
}

static void knn_tile(const tt_model *m, const tt_split *sp, enum tt_part p, const int64_t *idx,
                     int n, int64_t base, int w, float *tile)
{
    const knn_rows *R = m->kst;
    for (int r = 0; r < n; r++) {
        float *t = tile + (int64_t)r * w;
        memset(t, 0, (size_t)w * sizeof(float));
        tt_hist h;
        tt_hist_init(&h, sp, p, sp->part[p].user[idx[r]]);
        for (int32_t i; (i = tt_hist_next(&h)) >= 0;) {
            int64_t a = R->off[i], e = R->off[i + 1];
            while (a < e) {   /* first entry with j >= base */
                int64_t mid = a + (e - a) / 2;
                if (R->to[mid] < base)
                    a = mid + 1;
                else
                    e = mid;
            }
            for (e = R->off[i + 1]; a < e && R->to[a] < base + w; a++)
                t[R->to[a] - base] += R->w[a];
        }
    }
}

const tt_mkind tt_mkind_itemknn = {
    .name = "itemknn",
    .code = 3,
    .summary = "item k-nearest neighbours: cosine with shrinkage, k per item, sparse",
    .opts = {
        {"k", 100, 1, 512, 1, 0, "neighbours kept per item"},
        {"shrink", 0, 0, 1e9, 0, 0, "shrinkage added to the cosine's denominator"},
    },
    .fitted = 1,
    .build = knn_build,
    .fit = knn_fit,
    .prepare = knn_prepare,
    .release = knn_release,
    .score_tile = knn_tile,
};

/* tt_eval: exact retrieval evaluation (ranks of held-out items among all
 * non-excluded items, then Recall/HitRate/NDCG@K and MRR), blocked over
 * examples so that memory stays bounded whatever the corpus size. */
#include "tt_eval.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"

/* Scratch per worker: at most TT_EVAL_BLOCK_FLOATS scores (4 MiB), whatever
 * the corpus. A block holds the full score rows of B = BLOCK / n_items
 * consecutive examples (B >= 1), so the target's score is read from the very
 * row it is compared against (a separately computed dot product could differ
 * from the GEMM's value in the last bit and break exact ties). When one row
 * does not fit (n_items > BLOCK), each example is scored in item tiles of
 * BLOCK, the target's tile first for the same reason. With W workers the
 * total is W * 4 MiB. 4 MiB keeps a block in this machine's L2+L3 while the
 * GEMM still gets enough rows (about 10 for 100k items) to amortise its
 * packing of V; measured in bench/bench_eval. */
#ifndef TT_EVAL_BLOCK_FLOATS
#define TT_EVAL_BLOCK_FLOATS (1 << 20)
#endif

/* ---------------------------------------------------------------------------
 * Counting kernels. rank - 1 = #{j < t : s_j >= s_t} + #{j > t : s_j > s_t},
 * counted over all items; the excluded items are subtracted afterwards (a
 * short list) instead of testing exclusion per item. GCC/clang vector
 * extensions keep the loops branch-free and vectorised at any -O level and
 * on any target (the compiler splits the 8 lanes into what the ISA has). */
typedef float tt_v8f __attribute__((vector_size(32)));
typedef int32_t tt_v8i __attribute__((vector_size(32)));

/* One clone per vector width, chosen at load time (ifunc); not under the
 * sanitizers, whose start-up runs after ifunc resolvers. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TT_NO_CLONES
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define TT_NO_CLONES
#endif
#if defined(__x86_64__) && defined(__linux__) && !defined(TT_NO_CLONES)
#define TT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TT_CLONES
#endif

/* #{j in [0, n) : r[j] >= s} when ge, else #{j : r[j] > s}. */
TT_CLONES
static int64_t count_above(const float *r, int64_t n, float s, int ge)
{
    tt_v8f sv = {s, s, s, s, s, s, s, s};
    tt_v8i a0 = {0}, a1 = {0};
    int64_t j = 0, c = 0;
    /* Two accumulators; each lane counts at most n / 16 < 2^31. */
    if (ge) {
        for (; j + 16 <= n; j += 16) {
            tt_v8f x, y;
            memcpy(&x, r + j, sizeof x);
            memcpy(&y, r + j + 8, sizeof y);
            a0 -= (tt_v8i)(x >= sv);
            a1 -= (tt_v8i)(y >= sv);
        }
        for (; j < n; j++)
            c += r[j] >= s;
    } else {
        for (; j + 16 <= n; j += 16) {
            tt_v8f x, y;
            memcpy(&x, r + j, sizeof x);
            memcpy(&y, r + j + 8, sizeof y);
            a0 -= (tt_v8i)(x > sv);
            a1 -= (tt_v8i)(y > sv);
        }
        for (; j < n; j++)
            c += r[j] > s;
    }
    a0 += a1;
    for (int l = 0; l < 8; l++)
        c += a0[l];
    return c;
}

/* Items that beat target t (score s) within r[0..n), whose first item has
 * global index base; t may lie outside the range. */
static int64_t count_beating(const float *r, int64_t n, int64_t base, int64_t t,
                             float s)
{
    int64_t lo = t - base;   /* items before t count on >=, from t on on > */
    if (lo <= 0)
        return count_above(r, n, s, 0);
    if (lo >= n)
        return count_above(r, n, s, 1);
    return count_above(r, lo, s, 1) + count_above(r + lo, n - lo, s, 0);
}

/* ---------------------------------------------------------------------------
 * Exclusions: the union of the user's sorted item lists of parts 0..p, minus
 * the target. Walked as a merge (lists can overlap when a user repeats an
 * item), each distinct item once. */
typedef struct excl_iter {
    const int32_t *a[3], *end[3];
    int n;
    int32_t last;
} excl_iter;

static void excl_init(excl_iter *it, const tt_split *sp, enum tt_part p, int32_t u)
{
    it->n = 0;
    it->last = -1;
    for (int q = 0; q <= (int)p; q++) {
        if (!sp->off[q] || !sp->items[q])
            continue;
        it->a[it->n] = sp->items[q] + sp->off[q][u];
        it->end[it->n] = sp->items[q] + sp->off[q][u + 1];
        if (it->a[it->n] < it->end[it->n])
            it->n++;
    }
}

/* Next distinct excluded item, or -1 at the end. */
static int32_t excl_next(excl_iter *it)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < it->n; i++)
            if (it->a[i] < it->end[i] && (best < 0 || *it->a[i] < *it->a[best]))
                best = i;
        if (best < 0)
            return -1;
        int32_t v = *it->a[best]++;
        if (v != it->last) {
            it->last = v;
            return v;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Blocked ranking. Workers take blocks of consecutive examples (rows of Q)
 * round-robin; each owns its scratch and writes disjoint ranks. */
typedef struct rank_job {
    const float *Q, *V;
    int32_t n_items;
    int d;
    const tt_split *sp;
    enum tt_part p;
    int64_t *ranks;
    int64_t bu;          /* examples per block */
    int64_t n_blocks;
    int n_workers;
    int bad;             /* first error seen: 1 item, 2 exclusion out of range */
    int64_t bad_ex;
} rank_job;

typedef struct rank_worker {
    rank_job *job;
    int id;
    float *buf;          /* (TT_EVAL_BLOCK_FLOATS) */
    int bad;
    int64_t bad_ex;
} rank_worker;

/* Rank one example from its full score row r (n_items). */
static int64_t rank_row(const float *r, int32_t n_items, int32_t t,
                        const tt_split *sp, enum tt_part p, int32_t u, int *bad)
{
    float s = r[t];
    excl_iter it;
    int64_t c, n_ex = 0;
    int32_t j;
    excl_init(&it, sp, p, u);
    if (isnan(s)) {
        /* A NaN target ranks last among the non-excluded items. */
        while ((j = excl_next(&it)) >= 0)
            n_ex += j != t && j < n_items;
        return (int64_t)n_items - n_ex;
    }
    c = count_beating(r, n_items, 0, t, s);
    while ((j = excl_next(&it)) >= 0) {
        if (j == t)
            continue;
        if (j >= n_items) {
            *bad = 2;
            return 0;
        }
        c -= j < t ? r[j] >= s : r[j] > s;
    }
    return c + 1;
}

/* Rank one example whose row does not fit: item tiles, the target's first. */
static int64_t rank_tiled(const float *q, const float *V, int32_t n_items, int d,
                          int32_t t, float *buf, const tt_split *sp,
                          enum tt_part p, int32_t u, int *bad)
{
    const int64_t T = TT_EVAL_BLOCK_FLOATS;
    int64_t n_tiles = (n_items + T - 1) / T, t0 = t / T, c = 0, n_ex = 0;
    float s = 0;
    excl_iter it;
    int32_t j;
    for (int64_t k = 0; k < n_tiles; k++) {
        int64_t ti = (t0 + k) % n_tiles, base = ti * T;
        int64_t n = TT_MIN(T, n_items - base);
        /* buf (1, n) = q (1, d) . V[base:base+n]^T */
        tt_gemm(0, 1, 1, (int)n, d, 1.0f, q, d, V + base * d, d, 0.0f, buf, (int)n);
        if (k == 0) {
            s = buf[t - base];
            if (isnan(s))
                break;
        }
        c += count_beating(buf, n, base, t, s);
        /* Exclusions that fall in this tile. */
        excl_init(&it, sp, p, u);
        while ((j = excl_next(&it)) >= 0) {
            if (j >= n_items) {
                *bad = 2;
                return 0;
            }
            if (j == t || j < base || j >= base + n)
                continue;
            c -= j < t ? buf[j - base] >= s : buf[j - base] > s;
        }
    }
    if (isnan(s)) {
        excl_init(&it, sp, p, u);
        while ((j = excl_next(&it)) >= 0)
            n_ex += j != t && j < n_items;
        return (int64_t)n_items - n_ex;
    }
    return c + 1;
}

/* Local, so that the evaluation does not need the split module linked. */
static const char *part_name(enum tt_part p)
{
    return p == TT_TRAIN ? "train" : p == TT_VALID ? "valid" : "test";
}

static void *rank_work(void *arg)
{
    rank_worker *w = arg;
    rank_job *jb = w->job;
    const tt_examples *ex = &jb->sp->part[jb->p];
    int64_t n = ex->n, bu = jb->bu;
    int d = jb->d;
    for (int64_t b = w->id; b < jb->n_blocks; b += jb->n_workers) {
        int64_t e0 = b * bu, m = TT_MIN(bu, n - e0);
        if (jb->n_items > TT_EVAL_BLOCK_FLOATS) {
            for (int64_t e = e0; e < e0 + m; e++) {
                int64_t r = rank_tiled(jb->Q + e * d, jb->V, jb->n_items, d,
                                       ex->item[e], w->buf, jb->sp, jb->p,
                                       ex->user[e], &w->bad);
                if (w->bad) {
                    w->bad_ex = e;
                    return NULL;
                }
                if (jb->ranks)
                    jb->ranks[e] = r;
            }
            continue;
        }
        /* buf (m, n_items) = Q[e0:e0+m] (m, d) . V (n_items, d)^T */
        tt_gemm(0, 1, (int)m, jb->n_items, d, 1.0f, jb->Q + e0 * d, d, jb->V, d,
                0.0f, w->buf, jb->n_items);
        for (int64_t i = 0; i < m; i++) {
            int64_t e = e0 + i;
            int64_t r = rank_row(w->buf + i * jb->n_items, jb->n_items,
                                 ex->item[e], jb->sp, jb->p, ex->user[e], &w->bad);
            if (w->bad) {
                w->bad_ex = e;
                return NULL;
            }
            if (jb->ranks)
                jb->ranks[e] = r;
        }
    }
    return NULL;
}

/* Worker threads for the ranking: 1 unless the user allowed more BLAS threads
 * and there is enough work; capped at 2 (this machine's cores). */
static int rank_workers(int64_t n_blocks)
{
    int w = tt_blas_get_threads();
    if (w > 2)
        w = 2;
    if (n_blocks < 2 * w)
        w = 1;
    return w < 1 ? 1 : w;
}

int tt_eval_rank(const float *Q, const float *V, int32_t n_items, int d,
                 const tt_split *sp, enum tt_part p, int64_t *ranks,
                 tt_err *err)
{
    const tt_examples *ex;
    rank_job jb;
    rank_worker wk[2];
    pthread_t th[2];
    int nw, rc = 0, blas_threads;

    if (!sp || (int)p < 0 || (int)p > 2)
        return tt_err_set(err, "eval: no split or bad part");
    ex = &sp->part[p];
    if (ex->n == 0)
        return 0;
    if (!Q || !V || n_items <= 0 || d <= 0)
        return tt_err_set(err, "eval: empty model (%d items, dimension %d)",
                          (int)n_items, d);
    for (int64_t e = 0; e < ex->n; e++)
        if (ex->item[e] < 0 || ex->item[e] >= n_items)
            return tt_err_set(err, "eval: %s example %lld has item %d outside the "
                              "%d scored items", part_name(p), (long long)e,
                              (int)ex->item[e], (int)n_items);

    memset(&jb, 0, sizeof jb);
    jb.Q = Q;
    jb.V = V;
    jb.n_items = n_items;
    jb.d = d;
    jb.sp = sp;
    jb.p = p;
    jb.ranks = ranks;
    jb.bu = n_items > TT_EVAL_BLOCK_FLOATS ? 1 : TT_EVAL_BLOCK_FLOATS / n_items;
    if (jb.bu > ex->n)
        jb.bu = ex->n;
    jb.n_blocks = (ex->n + jb.bu - 1) / jb.bu;
    nw = rank_workers(jb.n_blocks);
    jb.n_workers = nw;

    for (int i = 0; i < nw; i++) {
        wk[i] = (rank_worker){.job = &jb, .id = i};
        wk[i].buf = tt_alloc_aligned(TT_EVAL_BLOCK_FLOATS, sizeof(float),
                                     "evaluation scores", err);
        if (!wk[i].buf) {
            for (int k = 0; k < i; k++)
                free(wk[k].buf);
            return -1;
        }
    }
    /* Several workers each run a one-thread GEMM on its own block: the scan
     * then overlaps the other worker's GEMM and reads the block from the
     * cache of the core that wrote it. */
    blas_threads = tt_blas_get_threads();
    if (nw > 1)
        tt_blas_set_threads(1);
    int started = 1;
    for (int i = 1; i < nw; i++) {
        if (pthread_create(&th[i], NULL, rank_work, &wk[i]) != 0)
            break;
        started++;
    }
    /* Blocks of a worker that could not start are done here. */
    for (int i = started; i < nw; i++)
        rank_work(&wk[i]);
    rank_work(&wk[0]);
    for (int i = 1; i < started; i++)
        pthread_join(th[i], NULL);
    if (nw > 1)
        tt_blas_set_threads(blas_threads);

    for (int i = 0; i < nw; i++) {
        if (wk[i].bad && !rc)
            rc = tt_err_set(err, "eval: user %d of %s example %lld has an earlier "
                            "item outside the %d scored items",
                            (int)ex->user[wk[i].bad_ex], part_name(p),
                            (long long)wk[i].bad_ex, (int)n_items);
        free(wk[i].buf);
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * Metrics. Per example: hit@K = [rank <= K], ndcg@K = 1/log2(1 + rank) if
 * rank <= K, rr = 1/rank. Per user: recall@K = hits / examples, hitrate@K =
 * [hits > 0], ndcg and rr averaged over the user's examples; then averaged
 * over users. With one held-out item per user, recall = hitrate. */
typedef struct user_acc {
    int64_t n;
    int64_t hits[TT_MAX_K];
    double ndcg[TT_MAX_K];
    double rr;
} user_acc;

static void acc_add(user_acc *a, int64_t rank, const int *ks, int n_k)
{
    double g = 1.0 / log2(1.0 + (double)rank);
    a->n++;
    a->rr += 1.0 / (double)rank;
    for (int i = 0; i < n_k; i++)
        if (rank <= ks[i]) {
            a->hits[i]++;
            a->ndcg[i] += g;
        }
}

static void acc_flush(user_acc *a, int n_k, tt_metrics *out)
{
    if (a->n == 0)
        return;
    for (int i = 0; i < n_k; i++) {
        out->recall[i] += (double)a->hits[i] / (double)a->n;
        out->hitrate[i] += a->hits[i] > 0;
        out->ndcg[i] += a->ndcg[i] / (double)a->n;
    }
    out->mrr += a->rr / (double)a->n;
    out->n_users++;
    memset(a, 0, sizeof *a);
}

static int cmp_by_user(const void *a, const void *b, void *arg)
{
    const tt_examples *ex = arg;
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    int32_t ux = ex->user[x], uy = ex->user[y];
    if (ux != uy)
        return ux < uy ? -1 : 1;
    return x < y ? -1 : x > y;
}

void tt_eval_metrics(const int64_t *ranks, const tt_split *sp, enum tt_part p,
                     const int *ks, int n_k, tt_metrics *out)
{
    const tt_examples *ex = &sp->part[p];
    user_acc a;
    int64_t *order = NULL;
    int sorted = 1;

    memset(out, 0, sizeof *out);
    memset(&a, 0, sizeof a);
    if (n_k > TT_MAX_K)
        n_k = TT_MAX_K;
    if (n_k < 0)
        n_k = 0;
    out->n_k = n_k;
    for (int i = 0; i < n_k; i++)
        out->k[i] = ks[i];
    out->n_examples = ex->n;
    for (int64_t e = 1; e < ex->n && sorted; e++)
        sorted = ex->user[e] >= ex->user[e - 1];
    if (!sorted) {
        /* Group a user's examples; without memory, runs of equal users are
         * taken as users (the splits store examples sorted by user). */
        order = malloc((size_t)ex->n * sizeof *order);
        if (order) {
            for (int64_t e = 0; e < ex->n; e++)
                order[e] = e;
            qsort_r(order, (size_t)ex->n, sizeof *order, cmp_by_user,
                    (void *)ex);
        }
    }
    for (int64_t i = 0; i < ex->n; i++) {
        int64_t e = order ? order[i] : i;
        if (a.n && ex->user[e] != ex->user[order ? order[i - 1] : i - 1])
            acc_flush(&a, n_k, out);
        acc_add(&a, ranks[e], ks, n_k);
    }
    acc_flush(&a, n_k, out);
    free(order);
    if (out->n_users) {
        for (int i = 0; i < n_k; i++) {
            out->recall[i] /= out->n_users;
            out->hitrate[i] /= out->n_users;
            out->ndcg[i] /= out->n_users;
        }
        out->mrr /= out->n_users;
    }
}

int tt_eval(const float *Q, const float *V, int32_t n_items, int d,
            const tt_split *sp, enum tt_part p, const int *ks, int n_k,
            tt_metrics *out, tt_err *err)
{
    double t0 = tt_now();
    int64_t *ranks;
    if (n_k < 1 || n_k > TT_MAX_K)
        return tt_err_set(err, "eval: between 1 and %d cut-offs K, not %d",
                          TT_MAX_K, n_k);
    for (int i = 0; i < n_k; i++)
        if (ks[i] < 1 || (i && ks[i] <= ks[i - 1]))
            return tt_err_set(err, "eval: cut-offs K must be positive and "
                              "ascending (got %d after %d)", ks[i],
                              i ? ks[i - 1] : 0);
    ranks = tt_alloc(sp->part[p].n ? (size_t)sp->part[p].n : 1, sizeof *ranks,
                     "evaluation ranks", err);
    if (!ranks)
        return -1;
    if (tt_eval_rank(Q, V, n_items, d, sp, p, ranks, err)) {
        free(ranks);
        return -1;
    }
    tt_eval_metrics(ranks, sp, p, ks, n_k, out);
    free(ranks);
    out->seconds = tt_now() - t0;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Top-k. A heap of the k best so far with the worst at the root; items are
 * scanned in index order, so a later item enters only with a strictly higher
 * score than the root (an equal score loses the tie to the lower index). */
static int worse(float sa, int32_t ia, float sb, int32_t ib)
{
    return sa < sb || (sa == sb && ia > ib);
}

static void sift_down(int32_t *it, float *sc, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(sc[l], it[l], sc[m], it[m]))
            m = l;
        if (r < n && worse(sc[r], it[r], sc[m], it[m]))
            m = r;
        if (m == i)
            return;
        int32_t ti = it[i];
        float ts = sc[i];
        it[i] = it[m], sc[i] = sc[m];
        it[m] = ti, sc[m] = ts;
        i = m;
    }
}

static void sift_up(int32_t *it, float *sc, int i)
{
    while (i > 0) {
        int par = (i - 1) / 2;
        if (!worse(sc[i], it[i], sc[par], it[par]))
            return;
        int32_t ti = it[i];
        float ts = sc[i];
        it[i] = it[par], sc[i] = sc[par];
        it[par] = ti, sc[par] = ts;
        i = par;
    }
}

int tt_topk(const float *q, const float *V, int32_t n_items, int d,
            const int32_t *excl, int64_t n_excl, int k, int32_t *out_items,
            float *out_scores)
{
    /* Scores in item tiles on the stack: no allocation, bounded memory. */
    enum { TILE = 2048 };
    float buf[TILE];
    int n = 0;
    int64_t x = 0;
    if (k <= 0 || n_items <= 0 || d <= 0)
        return 0;
    for (int64_t base = 0; base < n_items; base += TILE) {
        int m = (int)TT_MIN((int64_t)TILE, n_items - base);
        /* buf (1, m) = q (1, d) . V[base:base+m]^T */
        tt_gemm(0, 1, 1, m, d, 1.0f, q, d, V + base * d, d, 0.0f, buf, m);
        for (int i = 0; i < m; i++) {
            int32_t j = (int32_t)(base + i);
            float s = buf[i];
            while (x < n_excl && excl[x] < j)
                x++;
            if ((x < n_excl && excl[x] == j) || isnan(s))
                continue;
            if (n < k) {
                out_items[n] = j;
                out_scores[n] = s;
                sift_up(out_items, out_scores, n++);
            } else if (s > out_scores[0]) {
                out_items[0] = j;
                out_scores[0] = s;
                sift_down(out_items, out_scores, n, 0);
            }
        }
    }
    /* Heap sort of the k kept: the root (worst) goes to the end each time. */
    for (int m = n - 1; m > 0; m--) {
        int32_t ti = out_items[0];
        float ts = out_scores[0];
        out_items[0] = out_items[m], out_scores[0] = out_scores[m];
        out_items[m] = ti, out_scores[m] = ts;
        sift_down(out_items, out_scores, m, 0);
    }
    return n;
}

/* ---------------------------------------------------------------------------
 * Naive reference: every score by a plain double loop (rounded to float like
 * tt_gemm_ref), exclusion tested per item from a marked array. */
int tt_eval_rank_ref(const float *Q, const float *V, int32_t n_items, int d,
                     const tt_split *sp, enum tt_part p, int64_t *ranks)
{
    const tt_examples *ex = &sp->part[p];
    float *s;
    char *excl;
    if (n_items <= 0 || d <= 0)
        return -1;
    s = malloc((size_t)n_items * sizeof *s);
    excl = malloc((size_t)n_items);
    if (!s || !excl) {
        free(s);
        free(excl);
        return -1;
    }
    for (int64_t e = 0; e < ex->n; e++) {
        int32_t u = ex->user[e], t = ex->item[e];
        int64_t c = 0;
        for (int32_t j = 0; j < n_items; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++)
                acc += (double)Q[e * d + k] * V[(int64_t)j * d + k];
            s[j] = (float)acc;
        }
        memset(excl, 0, (size_t)n_items);
        for (int q = 0; q <= (int)p; q++)
            if (sp->off[q] && sp->items[q])
                for (int64_t i = sp->off[q][u]; i < sp->off[q][u + 1]; i++)
                    if (sp->items[q][i] >= 0 && sp->items[q][i] < n_items)
                        excl[sp->items[q][i]] = 1;
        for (int32_t j = 0; j < n_items; j++) {
            if (j == t || excl[j])
                continue;
            if (isnan(s[t]) || s[j] > s[t] || (s[j] == s[t] && j < t))
                c++;
        }
        ranks[e] = c + 1;
    }
    free(s);
    free(excl);
    return 0;
}

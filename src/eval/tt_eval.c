/* tt_eval: exact retrieval evaluation (ranks of held-out items among all
 * non-excluded items, then Recall/HitRate/NDCG@K and MRR), tiled over
 * examples and items so that memory stays bounded whatever the corpus. */
#include "tt_eval.h"
#include "tt_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_layers.h"
#include "tt_par.h"

/* Memory: each worker scores one tile of at most TT_EVAL_TILE_FLOATS floats
 * (1 MiB: a block of up to TT_EVAL_ROWS examples x W items), whatever the
 * corpus, plus the gathered queries of its block; with two workers 2 MiB of
 * scores in all. Tiles small enough to stay in a core's L2 between the GEMM
 * that writes them and the scan that reads them are what makes the
 * evaluation cheaper than the bare product, whose (users x items) output
 * goes to memory (bench/bench_eval measures both). */
#ifndef TT_EVAL_TILE_FLOATS
#define TT_EVAL_TILE_FLOATS (1 << 18)
#endif
#define TT_EVAL_ROWS 128   /* examples per block: enough rows for the GEMM */
#define TT_EVAL_MIN_W 512  /* items per tile at least */

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
 * Exclusions: the union of the user's sorted item lists of parts 0..p. Each
 * list is walked with its own cursor in a tight loop; an item repeated within
 * a list (a user who repeats an item) or present in an earlier list (found by
 * binary search; later lists are the short ones) is skipped, so every
 * distinct item is corrected once. */
typedef struct excl_cur {
    const int32_t *beg[3], *cur[3], *end[3];
    int n;
} excl_cur;

static void excl_init(excl_cur *x, const tt_split *sp, enum tt_part p, int32_t u)
{
    x->n = 0;
    for (int q = 0; q <= (int)p; q++) {
        if (!sp->off[q] || !sp->items[q])
            continue;
        const int32_t *a = sp->items[q] + sp->off[q][u];
        const int32_t *e = sp->items[q] + sp->off[q][u + 1];
        if (a < e) {
            x->beg[x->n] = x->cur[x->n] = a;
            x->end[x->n++] = e;
        }
    }
}

static const int32_t *lower_bound(const int32_t *a, const int32_t *e, int64_t v)
{
    while (a < e) {
        const int32_t *m = a + (e - a) / 2;
        if (*m < v)
            a = m + 1;
        else
            e = m;
    }
    return a;
}

static int in_list(const int32_t *a, const int32_t *e, int32_t j)
{
    while (a < e) {
        const int32_t *m = a + (e - a) / 2;
        if (*m < j)
            a = m + 1;
        else if (*m > j)
            e = m;
        else
            return 1;
    }
    return 0;
}

/* 1 if the item at a in list q was already met (earlier in q, or in a list
 * before q). */
static int excl_seen(const excl_cur *x, int q, const int32_t *a)
{
    if (a > x->beg[q] && a[-1] == *a)
        return 1;
    for (int k = 0; k < q; k++)
        if (in_list(x->beg[k], x->end[k], *a))
            return 1;
    return 0;
}

/* Excluded items in [lo, hi), other than t, that beat t (score s); r holds
 * the scores of items from base. Advances the cursors to hi. */
static int64_t excl_beating(excl_cur *x, int64_t lo, int64_t hi, const float *r,
                            int64_t base, int32_t t, float s)
{
    int64_t c = 0;
    for (int q = 0; q < x->n; q++) {
        const int32_t *a = x->cur[q], *e = x->end[q];
        for (; a < e && *a < hi; a++) {
            int32_t j = *a;
            if (j < lo || j == t || excl_seen(x, q, a))
                continue;
            float v = r[j - base];
            c += (v > s) | ((v == s) & (j < t));
        }
        x->cur[q] = a;
    }
    return c;
}

/* Distinct excluded items other than t. */
static int64_t excl_count(const excl_cur *x, int32_t t)
{
    int64_t c = 0;
    for (int q = 0; q < x->n; q++)
        for (const int32_t *a = x->beg[q]; a < x->end[q]; a++)
            c += *a != t && !excl_seen(x, q, a);
    return c;
}

/* ---------------------------------------------------------------------------
 * Blocked ranking. The items are cut into tiles of W; examples are grouped by
 * the tile of their target and cut into blocks of at most bu examples of one
 * group. For a block, the group's tile is scored first, which gives every
 * target's score from the very GEMM tile it is compared in (a separately
 * computed dot product could differ from the GEMM's value in the last bit and
 * break exact ties), then the other tiles in order. Each tile's row is
 * counted in one vectorised pass and corrected for the excluded items in it.
 * Workers take blocks from a shared counter; each writes its own ranks. */
typedef struct rank_job {
    const float *Q, *V;
    int nq;              /* vectors per query: Q is (n, nq, d) */
    const int32_t *qn;   /* (n) active vectors of each example, NULL: nq */
    int nv;              /* 0: one vector per item, the max over the query's
                            vectors; >= 1: V is (n_items, nv, d) and the
                            score is the sum over the query's vectors of
                            the max over the item's (FE-Block) */
    tt_tile_fn fn;       /* scores from fn(fn_ctx, ...) instead of Q V^T when set */
    const void *fn_ctx;
    int32_t n_items;
    int d;
    const tt_split *sp;
    enum tt_part p;
    int64_t *ranks;
    int32_t W, n_tiles;  /* items per tile, tiles */
    int bu;              /* examples per block at most; bu * W <= TILE_FLOATS */
    int64_t *order;      /* (n) examples sorted by the tile of their target */
    int64_t *blk;        /* (n_blocks + 1) block offsets into order */
    int64_t n_blocks;
    int64_t next;        /* next block to take (atomic) */
} rank_job;

typedef struct rank_worker {
    rank_job *job;
    float *tile;         /* (bu, W) scores */
    float *qb;           /* (nq, bu, d) the block's queries, vector k of
                            every example together */
    float *tile2;        /* (bu, W) one vector's scores (nq > 1), or (nv, d, W)
                            the tile's item vectors by coordinate (nv >= 1) */
    int *qn;             /* (bu) active vectors of the block's examples */
    float *s;            /* (bu) target scores */
    int64_t *c;          /* (bu) items beating the target so far */
    excl_cur *x;         /* (bu) exclusions not yet applied */
} rank_worker;

static void rank_finish(rank_worker *w, const int64_t *ord, int m);

/* The FE-Block rule: tile (m, n) = sum over query vectors k (in order) of the
 * max over item vectors g (in order, the first kept on ties) of
 * <qb[k] row, V[item, g]>, by tt_fe_scores (one fused pass: no product
 * tiles), tile2 holding the tile's item vectors by coordinate. */
static void score_tile_summax(rank_worker *w, int m, int64_t base, int n)
{
    rank_job *jb = w->job;
    const int d = jb->d, G = jb->nv;
    tt_fe_scores(w->tile, n, NULL, w->tile2, w->qb, d, (long)jb->bu * d,
                 jb->V + base * G * d, m, n, jb->nq, G, d);
}

/* tile (m, n) = scores of items [base, base + n) for the block's examples
 * ord[0..m): qb (m, d) . V[base:end] (n, d)^T, or the job's function. */
static void score_tile(rank_worker *w, const int64_t *ord, int m, int64_t base, int n)
{
    rank_job *jb = w->job;
    if (jb->fn) {
        jb->fn(jb->fn_ctx, ord, m, base, n, w->tile);
        return;
    }
    int d = jb->d;
    if (jb->nv) {
        score_tile_summax(w, m, base, n);
        return;
    }
    const float *Vb = jb->V + base * d;
    tt_gemm(0, 1, m, n, d, 1.0f, w->qb, d, Vb, d, 0.0f, w->tile, n);
    /* With nq vectors per query, each example's score of an item is the
     * largest of its active vectors' scores (s = v_k > s ? v_k : s, k
     * ascending: the first vector's NaN stays, a later NaN never replaces a
     * number). Every score is a GEMM value, so a target is compared with the
     * very bits it is ranked among. */
    for (int k = 1; k < jb->nq; k++) {
        /* tile2 (m, n) = qb[k] (m, d) . Vb (n, d)^T */
        tt_gemm(0, 1, m, n, d, 1.0f, w->qb + (size_t)k * jb->bu * d, d, Vb, d, 0.0f,
                w->tile2, n);
        for (int i = 0; i < m; i++) {
            if (k >= w->qn[i])
                continue;
            float *restrict r = w->tile + (int64_t)i * n;
            const float *restrict r2 = w->tile2 + (int64_t)i * n;
            for (int j = 0; j < n; j++)
                r[j] = r2[j] > r[j] ? r2[j] : r[j];
        }
    }
}

/* A block whose targets lie in several tiles (small groups merged, when the
 * corpus has many more tiles than blocks of examples). First pass: each
 * target tile of the block is scored by the very GEMM call of the second
 * pass (same queries, same items, same sizes: the same bits), and only the
 * targets' scores are read. Second pass: every tile in ascending order is
 * scored and counted. The first pass costs (target tiles) / (all tiles)
 * more GEMM work, small since the tiles are many here. */
static void rank_mixed(rank_worker *w, const int64_t *ord, int m)
{
    rank_job *jb = w->job;
    const tt_examples *ex = &jb->sp->part[jb->p];
    int32_t W = jb->W;
    for (int i = 0; i < m;) {
        int32_t g = ex->item[ord[i]] / W;
        int64_t base = (int64_t)g * W, end = TT_MIN(base + W, (int64_t)jb->n_items);
        int n = (int)(end - base);
        score_tile(w, ord, m, base, n);
        for (; i < m && ex->item[ord[i]] / W == g; i++) {
            w->s[i] = w->tile[(int64_t)i * n + ex->item[ord[i]] - base];
            w->c[i] = 0;
            excl_init(&w->x[i], jb->sp, jb->p, ex->user[ord[i]]);
        }
    }
    for (int32_t k = 0; k < jb->n_tiles; k++) {
        int64_t base = (int64_t)k * W, end = TT_MIN(base + W, (int64_t)jb->n_items);
        int n = (int)(end - base);
        score_tile(w, ord, m, base, n);
        for (int i = 0; i < m; i++) {
            const float *r = w->tile + (int64_t)i * n;
            int32_t t = ex->item[ord[i]];
            float s = w->s[i];
            if (isnan(s))
                continue;
            w->c[i] += count_beating(r, n, base, t, s) -
                       excl_beating(&w->x[i], base, end, r, base, t, s);
        }
    }
    rank_finish(w, ord, m);
}

static void rank_block(rank_worker *w, int64_t b)
{
    rank_job *jb = w->job;
    const tt_examples *ex = &jb->sp->part[jb->p];
    const int64_t *ord = jb->order + jb->blk[b];
    int m = (int)(jb->blk[b + 1] - jb->blk[b]), d = jb->d;
    int32_t W = jb->W, g = ex->item[ord[0]] / W;

    for (int k = 0; k < jb->nq && !jb->fn; k++)
        for (int i = 0; i < m; i++)
            memcpy(w->qb + ((int64_t)k * jb->bu + i) * d, jb->Q + (ord[i] * jb->nq + k) * d,
                   (size_t)d * sizeof(float));
    for (int i = 0; i < m; i++)
        w->qn[i] = jb->qn ? jb->qn[ord[i]] : jb->nq;
    if (ex->item[ord[m - 1]] / W != g) {
        rank_mixed(w, ord, m);
        return;
    }
    for (int32_t k = 0; k < jb->n_tiles; k++) {
        /* The group's tile first, then the others in ascending order. */
        int32_t ti = k == 0 ? g : k <= g ? k - 1 : k;
        int64_t base = (int64_t)ti * W, end = TT_MIN(base + W, (int64_t)jb->n_items);
        int n = (int)(end - base);
        score_tile(w, ord, m, base, n);
        for (int i = 0; i < m; i++) {
            const float *r = w->tile + (int64_t)i * n;
            int32_t t = ex->item[ord[i]];
            excl_cur *x = &w->x[i];
            float s;
            if (k == 0) {
                w->s[i] = r[t - base];
                w->c[i] = 0;
                excl_init(x, jb->sp, jb->p, ex->user[ord[i]]);
            }
            s = w->s[i];
            if (isnan(s))
                continue;
            w->c[i] += count_beating(r, n, base, t, s);
            if (k == 0) {
                /* This tile's exclusions, with cursors of their own, started
                 * at base by binary search. */
                excl_cur y = *x;
                for (int q = 0; q < y.n; q++)
                    y.cur[q] = lower_bound(y.beg[q], y.end[q], base);
                w->c[i] -= excl_beating(&y, base, end, r, base, t, s);
            } else {
                /* Ascending: the cursors pass the group's tile (items below
                 * base), whose exclusions were applied first. */
                w->c[i] -= excl_beating(x, base, end, r, base, t, s);
            }
        }
    }
    rank_finish(w, ord, m);
}

/* Ranks from the counts; a NaN target ranks last among the non-excluded. */
static void rank_finish(rank_worker *w, const int64_t *ord, int m)
{
    rank_job *jb = w->job;
    const tt_examples *ex = &jb->sp->part[jb->p];
    for (int i = 0; i < m; i++) {
        int64_t rank = w->c[i] + 1;
        if (isnan(w->s[i])) {
            excl_cur x;
            excl_init(&x, jb->sp, jb->p, ex->user[ord[i]]);
            rank = (int64_t)jb->n_items - excl_count(&x, ex->item[ord[i]]);
        }
        if (jb->ranks)
            jb->ranks[ord[i]] = rank;
    }
}

/* Worker tid of the pool: takes blocks until none is left (which worker
 * ranks a block does not change its ranks). */
static void rank_work(void *ctx, int tid, int nt)
{
    rank_worker *w = (rank_worker *)ctx + tid;
    (void)nt;
    for (;;) {
        int64_t b = __atomic_fetch_add(&w->job->next, 1, __ATOMIC_RELAXED);
        if (b >= w->job->n_blocks)
            return;
        rank_block(w, b);
    }
}

/* Local, so that the evaluation does not need the split module linked. */
static const char *part_name(enum tt_part p)
{
    return p == TT_TRAIN ? "train" : p == TT_VALID ? "valid" : "test";
}

/* Tile width: about one block of bu = TT_EVAL_ROWS examples (enough rows for
 * the GEMM) per group of examples sharing a target tile, within the budget
 * bu * W <= TT_EVAL_TILE_FLOATS. On a corpus too large for that the groups
 * are small and get merged into mixed blocks (rank_mixed). */
static void rank_geometry(rank_job *jb, int64_t n)
{
    int64_t groups = TT_MAX(n / TT_EVAL_ROWS, 1);
    int64_t W = (jb->n_items + groups - 1) / groups;
    W = TT_MAX(W, TT_EVAL_MIN_W);
    W = (W + 15) / 16 * 16;
    W = TT_MIN(W, TT_EVAL_TILE_FLOATS / TT_EVAL_ROWS);
    W = TT_MIN(W, (int64_t)jb->n_items);
    jb->W = (int32_t)W;
    jb->n_tiles = (int32_t)((jb->n_items + W - 1) / W);
    jb->bu = TT_EVAL_ROWS;
}

/* Score tile (floats), not zeroed: every GEMM writes it whole (beta = 0),
 * and zeroing it costs as much as a small evaluation's scan. */
static float *scratch(size_t n, tt_err *err)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n * sizeof(float) + 64) != 0) {
        tt_err_set(err, "out of memory: cannot allocate %zu KiB for evaluation scores",
                   n * sizeof(float) / 1024);
        return NULL;
    }
    return p;
}

/* Counting sort of the examples by target tile, then blocks of at most bu
 * examples. */
static int rank_blocks(rank_job *jb, const tt_examples *ex, tt_err *err)
{
    int64_t *cnt = tt_alloc((size_t)jb->n_tiles + 1, sizeof *cnt, "evaluation groups", err);
    int64_t nb = 0, mixed = -1;   /* start of the open mixed block */
    if (!cnt)
        return -1;
    jb->order = tt_alloc((size_t)ex->n, sizeof *jb->order, "evaluation order", err);
    jb->blk = tt_alloc((size_t)(ex->n / jb->bu + jb->n_tiles + 2), sizeof *jb->blk,
                       "evaluation blocks", err);
    if (!jb->order || !jb->blk) {
        free(cnt);
        return -1;
    }
    for (int64_t e = 0; e < ex->n; e++)
        cnt[ex->item[e] / jb->W + 1]++;
    for (int32_t k = 0; k < jb->n_tiles; k++)
        cnt[k + 1] += cnt[k];
    for (int64_t e = 0; e < ex->n; e++)
        jb->order[cnt[ex->item[e] / jb->W]++] = e;
    /* cnt[k] is now the end of group k. A group of at least bu/2 examples
     * gets blocks of its own (split evenly); smaller ones are merged, in tile
     * order, into mixed blocks of at most bu. */
    for (int32_t k = 0; k < jb->n_tiles; k++) {
        int64_t lo = k ? cnt[k - 1] : 0, hi = cnt[k], gs = hi - lo;
        if (gs == 0)
            continue;
        if (2 * gs >= jb->bu) {
            int64_t parts = (gs + jb->bu - 1) / jb->bu;
            for (int64_t q = 0; q < parts; q++)
                jb->blk[nb++] = lo + gs * q / parts;
            mixed = -1;
        } else if (mixed < 0 || hi - mixed > jb->bu) {
            jb->blk[nb++] = mixed = lo;
        }
    }
    jb->blk[nb] = ex->n;
    jb->n_blocks = nb;
    free(cnt);
    return 0;
}

/* Across MPI ranks: every rank has ranked blocks [b0, b1) (their examples
 * are order[blk[b0] .. blk[b1]), contiguous in order); gather them so that
 * every rank holds every example's rank. rc: this rank's status so far; a
 * failure on any rank fails all (they agree before exchanging). */
static int shard_gather(rank_job *jb, int64_t n, int64_t b0, int64_t b1, int rc, tt_err *err)
{
    int64_t *tmp = rc ? NULL : tt_alloc((size_t)n, sizeof *tmp, "evaluation ranks", err);
    int bad = tt_dist_first_rank(rc || !tmp);
    if (bad >= 0) {
        free(tmp);
        if (!rc && !tmp)
            return -1;
        return rc ? rc : tt_err_set(err, "eval: rank %d failed", bad);
    }
    int64_t lo = jb->blk[b0], hi = jb->blk[b1];
    for (int64_t i = lo; i < hi; i++)
        tmp[i] = jb->ranks[jb->order[i]];
    if (tt_dist_gather_parts(tmp, lo, hi, sizeof *tmp, err))
        tt_dist_die(err->msg);
    for (int64_t i = 0; i < n; i++)
        jb->ranks[jb->order[i]] = tmp[i];
    free(tmp);
    return 0;
}

static int rank_run(const float *Q, int nq, const int32_t *qn, const float *V, int nv,
                    tt_tile_fn fn, const void *fn_ctx, int32_t n_items, int d,
                    const tt_split *sp, enum tt_part p, int64_t *ranks, tt_err *err)
{
    const tt_examples *ex;
    rank_job jb;
    rank_worker wk[2];
    tt_pool *pool = NULL;
    int nw, rc = 0;

    if (!sp || (int)p < 0 || (int)p > 2)
        return tt_err_set(err, "eval: no split or bad part");
    ex = &sp->part[p];
    if (ex->n == 0)
        return 0;
    if ((!fn && (!Q || !V)) || n_items <= 0 || d <= 0)
        return tt_err_set(err, "eval: empty model (%d items, dimension %d)",
                          (int)n_items, d);
    for (int64_t e = 0; e < ex->n; e++)
        if (ex->item[e] < 0 || ex->item[e] >= n_items)
            return tt_err_set(err, "eval: %s example %lld has item %d outside the "
                              "%d scored items", part_name(p), (long long)e,
                              (int)ex->item[e], (int)n_items);
    for (int q = 0; q <= (int)p; q++) {
        if (!sp->off[q] || !sp->items[q])
            continue;
        for (int64_t e = 0; e < ex->n; e++) {
            int32_t u = ex->user[e];
            if (e && u == ex->user[e - 1])
                continue;   /* a user's examples are usually consecutive */
            for (int64_t i = sp->off[q][u]; i < sp->off[q][u + 1]; i++)
                if (sp->items[q][i] < 0 || sp->items[q][i] >= n_items)
                    return tt_err_set(err, "eval: user %d has an earlier item %d "
                                      "outside the %d scored items", (int)u,
                                      (int)sp->items[q][i], (int)n_items);
        }
    }

    memset(&jb, 0, sizeof jb);
    jb.Q = Q;
    jb.nq = nq;
    jb.qn = qn;
    jb.nv = nv;
    jb.V = V;
    jb.fn = fn;
    jb.fn_ctx = fn_ctx;
    jb.n_items = n_items;
    jb.d = d;
    jb.sp = sp;
    jb.p = p;
    jb.ranks = ranks;
    rank_geometry(&jb, ex->n);
    if (rank_blocks(&jb, ex, err)) {
        free(jb.order);
        free(jb.blk);
        return -1;
    }
    /* In an MPI job each rank ranks a contiguous share of the blocks (the
     * same blocks as one process, so the same GEMM calls and the same bits)
     * and the ranks are gathered: exact, whatever the number of ranks. */
    int64_t b0 = 0, b1 = jb.n_blocks;
    const int shard = tt_dist_size() > 1 && ranks;
    if (shard) {
        tt_dist_range(jb.n_blocks, tt_dist_rank(), tt_dist_size(), &b0, &b1);
        jb.next = b0;
        jb.n_blocks = b1;
    }
    /* Two workers when the user allowed two threads and there is work for
     * both: each runs a one-thread GEMM on its own tile and scans it from the
     * cache of the core that wrote it (measured: about 1.7x the speed of one
     * worker over a two-thread GEMM). They run on the shared pool, under the
     * BLAS thread policy (tt_blas.h). */
    nw = b1 - b0 >= 2 ? TT_MIN(tt_blas_par_threads(0), 2) : 1;
    memset(wk, 0, sizeof wk);
    for (int i = 0; i < nw && !rc; i++) {
        int bu = jb.bu;
        wk[i].job = &jb;
        wk[i].tile = scratch((size_t)bu * jb.W, err);
        /* FE-Block: tile2 holds a tile's item vectors by coordinate */
        wk[i].tile2 = nv ? scratch((size_t)tt_fe_scratch(jb.W, nv, d), err)
                         : nq > 1 ? scratch((size_t)bu * jb.W, err) : NULL;
        wk[i].qn = tt_alloc((size_t)bu, sizeof(int), "evaluation", err);
        if ((nq > 1 || nv) && !wk[i].tile2)
            rc = -1;
        wk[i].qb = tt_alloc_aligned((size_t)nq * bu * d, sizeof(float),
                                    "evaluation queries", err);
        wk[i].s = tt_alloc((size_t)bu, sizeof(float), "evaluation", err);
        wk[i].c = tt_alloc((size_t)bu, sizeof(int64_t), "evaluation", err);
        wk[i].x = tt_alloc((size_t)bu, sizeof(excl_cur), "evaluation", err);
        if (!wk[i].tile || !wk[i].qb || !wk[i].s || !wk[i].c || !wk[i].x || !wk[i].qn)
            rc = -1;
    }
    if (!rc && tt_pool_shared(&pool, nw, err))
        rc = -1;
    if (!rc) {
        tt_blas_par_begin(nw);
        tt_pool_run(pool, rank_work, wk);
        tt_blas_par_end(nw);
    }
    for (int i = 0; i < nw; i++) {
        free(wk[i].tile);
        free(wk[i].qb);
        free(wk[i].tile2);
        free(wk[i].qn);
        free(wk[i].s);
        free(wk[i].c);
        free(wk[i].x);
    }
    if (shard)
        rc = shard_gather(&jb, ex->n, b0, b1, rc, err);
    free(jb.order);
    free(jb.blk);
    return rc;
}

int tt_eval_rank(const float *Q, const float *V, int32_t n_items, int d,
                 const tt_split *sp, enum tt_part p, int64_t *ranks,
                 tt_err *err)
{
    return rank_run(Q, 1, NULL, V, 0, NULL, NULL, n_items, d, sp, p, ranks, err);
}

/* The multi-vector arguments: 1 <= nq <= TT_EVAL_MAX_VECTORS, every
 * example's active count in [1, nq]. */
static int check_vectors(int nq, const int32_t *qn, const tt_split *sp, enum tt_part p,
                         tt_err *err)
{
    if (nq < 1 || nq > TT_EVAL_MAX_VECTORS)
        return tt_err_set(err, "eval: %d vectors per query (1 to %d)", nq, TT_EVAL_MAX_VECTORS);
    if (sp && (int)p >= 0 && (int)p <= 2 && qn)
        for (int64_t e = 0; e < sp->part[p].n; e++)
            if (qn[e] < 1 || qn[e] > nq)
                return tt_err_set(err, "eval: example %lld has %d active vectors (1 to %d)",
                                  (long long)e, (int)qn[e], nq);
    return 0;
}

int tt_eval_rank_multi(const float *Q, int nq, const int32_t *qn, const float *V,
                       int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                       int64_t *ranks, tt_err *err)
{
    if (check_vectors(nq, qn, sp, p, err))
        return -1;
    return rank_run(Q, nq, qn, V, 0, NULL, NULL, n_items, d, sp, p, ranks, err);
}

int tt_eval_rank_fn(tt_tile_fn fn, const void *ctx, int32_t n_items, const tt_split *sp,
                    enum tt_part p, int64_t *ranks, tt_err *err)
{
    return rank_run(NULL, 1, NULL, NULL, 0, fn, ctx, n_items, 1, sp, p, ranks, err);
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

static int eval_run(const float *Q, int nq, const int32_t *qn, const float *V, int nv,
                    tt_tile_fn fn, const void *ctx,
                    int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                    const int *ks, int n_k, tt_metrics *out, tt_err *err)
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
    if (rank_run(Q, nq, qn, V, nv, fn, ctx, n_items, d, sp, p, ranks, err)) {
        free(ranks);
        return -1;
    }
    tt_eval_metrics(ranks, sp, p, ks, n_k, out);
    free(ranks);
    out->seconds = tt_now() - t0;
    return 0;
}

int tt_eval(const float *Q, const float *V, int32_t n_items, int d,
            const tt_split *sp, enum tt_part p, const int *ks, int n_k,
            tt_metrics *out, tt_err *err)
{
    return eval_run(Q, 1, NULL, V, 0, NULL, NULL, n_items, d, sp, p, ks, n_k, out, err);
}

int tt_eval_multi(const float *Q, int nq, const int32_t *qn, const float *V,
                  int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                  const int *ks, int n_k, tt_metrics *out, tt_err *err)
{
    if (check_vectors(nq, qn, sp, p, err))
        return -1;
    return eval_run(Q, nq, qn, V, 0, NULL, NULL, n_items, d, sp, p, ks, n_k, out, err);
}

/* The FE-Block arguments: 1 <= nq, nv <= TT_EVAL_MAX_VECTORS. */
static int check_summax(int nq, int nv, tt_err *err)
{
    if (nq < 1 || nq > TT_EVAL_MAX_VECTORS || nv < 1 || nv > TT_EVAL_MAX_VECTORS)
        return tt_err_set(err, "eval: %d query and %d item vectors (1 to %d each)", nq, nv,
                          TT_EVAL_MAX_VECTORS);
    return 0;
}

int tt_eval_rank_summax(const float *Q, int nq, const float *V, int nv, int32_t n_items,
                        int d, const tt_split *sp, enum tt_part p, int64_t *ranks, tt_err *err)
{
    if (check_summax(nq, nv, err))
        return -1;
    return rank_run(Q, nq, NULL, V, nv, NULL, NULL, n_items, d, sp, p, ranks, err);
}

int tt_eval_summax(const float *Q, int nq, const float *V, int nv, int32_t n_items, int d,
                   const tt_split *sp, enum tt_part p, const int *ks, int n_k,
                   tt_metrics *out, tt_err *err)
{
    if (check_summax(nq, nv, err))
        return -1;
    return eval_run(Q, nq, NULL, V, nv, NULL, NULL, n_items, d, sp, p, ks, n_k, out, err);
}

int tt_eval_fn(tt_tile_fn fn, const void *ctx, int32_t n_items, const tt_split *sp,
               enum tt_part p, const int *ks, int n_k, tt_metrics *out, tt_err *err)
{
    return eval_run(NULL, 1, NULL, NULL, 0, fn, ctx, n_items, 1, sp, p, ks, n_k, out, err);
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

/* Offer item j with score s to the heap (it, sc) of *n kept of at most k. */
static inline void heap_offer(int32_t *it, float *sc, int *n, int k, int32_t j, float s)
{
    if (*n < k) {
        it[*n] = j;
        sc[*n] = s;
        sift_up(it, sc, (*n)++);
    } else if (s > sc[0]) {
        it[0] = j;
        sc[0] = s;
        sift_down(it, sc, *n, 0);
    }
}

/* Heap sort of the n kept: the root (worst) goes to the end each time. */
static void heap_finish(int32_t *it, float *sc, int n)
{
    for (int m = n - 1; m > 0; m--) {
        int32_t ti = it[0];
        float ts = sc[0];
        it[0] = it[m], sc[0] = sc[m];
        it[m] = ti, sc[m] = ts;
        sift_down(it, sc, m, 0);
    }
}

/* Offer items base .. base + w - 1 with scores r to the heap, as heap_offer
 * one by one would. Once the heap is full an item enters only above the
 * root, and most runs of 32 scores have none above it (a NaN is never
 * above): each run is first tested whole, in a loop the compiler turns into
 * vector compares, and only a run with a score above the root is walked. */
static void heap_scan(int32_t *it, float *sc, int *n, int k, int32_t base, const float *r,
                      int w)
{
    enum { RUN = 32 };
    int j = 0;
    for (; j < w && *n < k; j++)
        if (!isnan(r[j]))
            heap_offer(it, sc, n, k, base + j, r[j]);
    for (; j + RUN <= w; j += RUN) {
        const float t = sc[0];
        int above = 0;
        for (int x = 0; x < RUN; x++)
            above |= r[j + x] > t;
        if (above)
            for (int x = 0; x < RUN; x++)
                if (r[j + x] > sc[0])
                    heap_offer(it, sc, n, k, base + j + x, r[j + x]);
    }
    for (; j < w; j++)
        if (r[j] > sc[0])
            heap_offer(it, sc, n, k, base + j, r[j]);
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
        /* the runs of items between the excluded ones (excl ascending) */
        for (int i = 0; i < m;) {
            while (x < n_excl && excl[x] < base + i)
                x++;
            int e = x < n_excl && excl[x] < base + m ? (int)(excl[x] - base) : m;
            heap_scan(out_items, out_scores, &n, k, (int32_t)(base + i), buf + i, e - i);
            i = e + 1;
        }
    }
    heap_finish(out_items, out_scores, n);
    return n;
}

/* Batched top-k: blocks of `rows` queries, each scored against item tiles
 * of W in ascending order (the heaps see items in index order, as in
 * tt_topk), one tile of scores per worker (rows x W = the evaluator's 1 MiB);
 * workers take blocks from a shared counter and write their blocks' rows
 * only. Every block streams the whole item table through the product, so
 * blocks are as tall as TOPK_ROWS_MAX while every worker still gets one
 * (100,000 x 64 items, 2,000 queries, one thread: 512 rows cost 0.87 of 128
 * rows' CPU time), and never shorter than TT_EVAL_ROWS. */
#define TOPK_ROWS_MAX 512
typedef struct topk_job {
    const float *Q, *V;
    int64_t nq;
    int32_t n_items;
    int d, k, rows, W;
    int32_t *items;      /* (nq, k) */
    float *scores;       /* (nq, k) */
    int *count;          /* (nq) or NULL */
    int64_t next;        /* next block (atomic) */
    float *tile[TT_TOPK_MAX_THREADS];   /* (rows, W) per worker */
} topk_job;

static void topk_work(void *ctx, int tid, int nt)
{
    topk_job *jb = ctx;
    float *tile = jb->tile[tid];
    int n[TOPK_ROWS_MAX];
    (void)nt;
    for (;;) {
        int64_t b = __atomic_fetch_add(&jb->next, 1, __ATOMIC_RELAXED) * jb->rows;
        if (b >= jb->nq)
            return;
        int m = (int)TT_MIN((int64_t)jb->rows, jb->nq - b);
        for (int i = 0; i < m; i++)
            n[i] = 0;
        for (int64_t base = 0; base < jb->n_items; base += jb->W) {
            int w = (int)TT_MIN((int64_t)jb->W, jb->n_items - base);
            /* tile (m, w) = Q[b:b+m] (m, d) . V[base:base+w] (w, d)^T */
            tt_gemm(0, 1, m, w, jb->d, 1.0f, jb->Q + b * jb->d, jb->d, jb->V + base * jb->d,
                    jb->d, 0.0f, tile, w);
            for (int i = 0; i < m; i++) {
                int32_t *it = jb->items + (b + i) * jb->k;
                float *sc = jb->scores + (b + i) * jb->k;
                heap_scan(it, sc, &n[i], jb->k, (int32_t)base, tile + (int64_t)i * w, w);
            }
        }
        for (int i = 0; i < m; i++) {
            int32_t *it = jb->items + (b + i) * jb->k;
            float *sc = jb->scores + (b + i) * jb->k;
            heap_finish(it, sc, n[i]);
            for (int j = n[i]; j < jb->k; j++)
                it[j] = -1, sc[j] = NAN;
            if (jb->count)
                jb->count[b + i] = n[i];
        }
    }
}

int tt_topk_batch(const float *Q, int64_t nq, const float *V, int32_t n_items, int d, int k,
                  int threads, int32_t *out_items, float *out_scores, int *out_count,
                  tt_err *err)
{
    topk_job jb;
    tt_pool *pool = NULL;
    int rc = 0;
    if (nq <= 0 || k <= 0)
        return 0;
    if (n_items <= 0 || d <= 0)
        return tt_err_set(err, "top-k: empty model (%d items, dimension %d)", (int)n_items, d);
    memset(&jb, 0, sizeof jb);
    jb.Q = Q, jb.V = V, jb.nq = nq, jb.n_items = n_items, jb.d = d, jb.k = k;
    jb.items = out_items, jb.scores = out_scores, jb.count = out_count;
    int nw = TT_MIN(tt_blas_par_threads(threads), TT_TOPK_MAX_THREADS);
    jb.rows = (int)TT_MAX(TT_MIN((nq + nw - 1) / nw, (int64_t)TOPK_ROWS_MAX), TT_EVAL_ROWS);
    jb.W = (int)TT_MIN((int64_t)TT_EVAL_TILE_FLOATS / jb.rows, (int64_t)n_items);
    int64_t blocks = (nq + jb.rows - 1) / jb.rows;
    nw = (int)TT_MAX(TT_MIN((int64_t)nw, blocks), 1);
    for (int i = 0; i < nw && !rc; i++)
        if (!(jb.tile[i] = scratch((size_t)jb.rows * jb.W, err)))
            rc = -1;
    if (!rc && tt_pool_shared(&pool, nw, err))
        rc = -1;
    if (!rc) {
        tt_blas_par_begin(nw);
        tt_pool_run(pool, topk_work, &jb);
        tt_blas_par_end(nw);
    }
    for (int i = 0; i < nw; i++)
        free(jb.tile[i]);
    return rc;
}

int tt_topk_batch_ref(const float *Q, int64_t nq, const float *V, int32_t n_items, int d, int k,
                      int32_t *out_items, float *out_scores, int *out_count)
{
    float *s = malloc((size_t)(n_items > 0 ? n_items : 1) * sizeof *s);
    char *taken = malloc((size_t)(n_items > 0 ? n_items : 1));
    if (!s || !taken) {
        free(s);
        free(taken);
        return -1;
    }
    for (int64_t q = 0; q < nq; q++) {
        for (int32_t j = 0; j < n_items; j++) {
            double acc = 0;
            for (int c = 0; c < d; c++)
                acc += (double)Q[q * d + c] * V[(int64_t)j * d + c];
            s[j] = (float)acc;
            taken[j] = isnan(s[j]);
        }
        /* Selection: k times the best untaken item, the lower index on a tie. */
        int n = 0;
        for (; n < k; n++) {
            int32_t best = -1;
            for (int32_t j = 0; j < n_items; j++)
                if (!taken[j] && (best < 0 || s[j] > s[best]))
                    best = j;
            if (best < 0)
                break;
            taken[best] = 1;
            out_items[q * k + n] = best;
            out_scores[q * k + n] = s[best];
        }
        for (int j = n; j < k; j++)
            out_items[q * k + j] = -1, out_scores[q * k + j] = NAN;
        if (out_count)
            out_count[q] = n;
    }
    free(s);
    free(taken);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Naive reference: every score by a plain double loop (rounded to float like
 * tt_gemm_ref), exclusion tested per item from a marked array. */
int tt_eval_rank_ref(const float *Q, const float *V, int32_t n_items, int d,
                     const tt_split *sp, enum tt_part p, int64_t *ranks)
{
    return tt_eval_rank_multi_ref(Q, 1, NULL, V, n_items, d, sp, p, ranks);
}

/* The references' rank of target t of user u from every item's score s:
 * exclusion tested per item from a marked array (excl: n_items bytes). */
static int64_t ref_rank(const float *s, char *excl, int32_t n_items, const tt_split *sp,
                        enum tt_part p, int32_t u, int32_t t)
{
    int64_t c = 0;
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
    return c + 1;
}

/* What the references share: per example of part p, every item's score from
 * score(ctx, e, s) (s: n_items floats), then ref_rank. */
typedef void (*ref_scorer)(const void *ctx, int64_t e, int32_t n_items, float *s);

static int ref_ranks(ref_scorer score, const void *ctx, int32_t n_items, const tt_split *sp,
                     enum tt_part p, int64_t *ranks)
{
    const tt_examples *ex = &sp->part[p];
    float *s = malloc((size_t)n_items * sizeof *s);
    char *excl = malloc((size_t)n_items);
    if (!s || !excl) {
        free(s);
        free(excl);
        return -1;
    }
    for (int64_t e = 0; e < ex->n; e++) {
        score(ctx, e, n_items, s);
        ranks[e] = ref_rank(s, excl, n_items, sp, p, ex->user[e], ex->item[e]);
    }
    free(s);
    free(excl);
    return 0;
}

/* <q, v> by a plain double loop, rounded to float like tt_gemm_ref. */
static float ref_dot(const float *q, const float *v, int d)
{
    double acc = 0;
    for (int k = 0; k < d; k++)
        acc += (double)q[k] * v[k];
    return (float)acc;
}

void tt_eval_scores_ref(const float *q, int nq, const float *V, int nv, int32_t n_items,
                        int d, int summax, float *s)
{
    for (int32_t j = 0; j < n_items; j++) {
        float acc = 0;
        for (int k = 0; k < nq; k++) {
            float best = 0;
            for (int g = 0; g < nv; g++) {
                float sv = ref_dot(q + (int64_t)k * d, V + ((int64_t)j * nv + g) * d, d);
                best = g == 0 || sv > best ? sv : best;
            }
            acc = k == 0 ? best : summax ? acc + best : best > acc ? best : acc;
        }
        s[j] = acc;
    }
}

typedef struct {
    const float *Q, *V;
    const int32_t *qn;
    int nq, nv, d;
} ref_ctx;

/* Best of the example's active query vectors per item. */
static void ref_score_multi(const void *ctx, int64_t e, int32_t n_items, float *s)
{
    const ref_ctx *c = ctx;
    tt_eval_scores_ref(c->Q + e * c->nq * c->d, c->qn ? c->qn[e] : c->nq, c->V, 1, n_items,
                       c->d, 0, s);
}

int tt_eval_rank_multi_ref(const float *Q, int nq, const int32_t *qn, const float *V,
                           int32_t n_items, int d, const tt_split *sp, enum tt_part p,
                           int64_t *ranks)
{
    if (n_items <= 0 || d <= 0)
        return -1;
    const ref_ctx c = {Q, V, qn, nq, 1, d};
    return ref_ranks(ref_score_multi, &c, n_items, sp, p, ranks);
}

double tt_metrics_select(const tt_metrics *m)
{
    for (int i = 0; i < m->n_k; i++)
        if (m->k[i] == TT_SELECT_K)
            return m->recall[i];
    return NAN;
}

/* Sum over query vectors of the best item vector per item. */
static void ref_score_summax(const void *ctx, int64_t e, int32_t n_items, float *s)
{
    const ref_ctx *c = ctx;
    tt_eval_scores_ref(c->Q + e * c->nq * c->d, c->nq, c->V, c->nv, n_items, c->d, 1, s);
}

int tt_eval_rank_summax_ref(const float *Q, int nq, const float *V, int nv, int32_t n_items,
                            int d, const tt_split *sp, enum tt_part p, int64_t *ranks)
{
    if (n_items <= 0 || d <= 0 || nq < 1 || nv < 1)
        return -1;
    const ref_ctx c = {Q, V, NULL, nq, nv, d};
    return ref_ranks(ref_score_summax, &c, n_items, sp, p, ranks);
}

/* test_eval: metric definitions on hand-computed cases, the blocked ranking
 * against the naive reference on random data with exact ties and exclusions,
 * tt_topk against a sorted reference, and edge cases. Splits are built by hand
 * so that the test does not depend on the loaders. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_eval.h"
#include "tt_rng.h"
#include "tt_check.h"



static void near(double got, double want, const char *what)
{
    CHECK(fabs(got - want) < 1e-9, "%s = %.12f, want %.12f", what, got, want);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* A split from per-part, per-user item lists (any order; stored sorted). One
 * example per listed item, grouped by user, in the order given. */
typedef struct hand {
    int n_users;
    int n[3][1024];
    int32_t it[3][1024][48];
} hand;

static void build(const hand *h, tt_split *sp)
{
    memset(sp, 0, sizeof *sp);
    for (int p = 0; p < 3; p++) {
        int64_t tot = 0;
        for (int u = 0; u < h->n_users; u++)
            tot += h->n[p][u];
        tt_examples *ex = &sp->part[p];
        ex->n = tot;
        ex->user = calloc(tot + 1, sizeof *ex->user);
        ex->item = calloc(tot + 1, sizeof *ex->item);
        sp->off[p] = calloc(h->n_users + 1, sizeof *sp->off[p]);
        sp->items[p] = calloc(tot + 1, sizeof *sp->items[p]);
        int64_t e = 0;
        for (int u = 0; u < h->n_users; u++) {
            sp->off[p][u] = e;
            for (int i = 0; i < h->n[p][u]; i++, e++) {
                ex->user[e] = u;
                ex->item[e] = h->it[p][u][i];
                sp->items[p][e] = h->it[p][u][i];
            }
            qsort(sp->items[p] + sp->off[p][u], h->n[p][u], sizeof(int32_t), cmp_i32);
        }
        sp->off[p][h->n_users] = e;
    }
}

static void unbuild(tt_split *sp)
{
    for (int p = 0; p < 3; p++) {
        free(sp->part[p].user);
        free(sp->part[p].item);
        free(sp->off[p]);
        free(sp->items[p]);
    }
}

/* Metrics from ranks given by hand (no scoring). Users: u0 one example at
 * rank 1; u1 one at rank 3; u2 two at ranks 2 and 15. K = 1, 5, 10.
 *   recall@1  = (1 + 0 + 0/2) / 3            = 1/3
 *   recall@5  = (1 + 1 + 1/2) / 3            = 0.833333...
 *   recall@10 = same as @5 (15 > 10)         = 0.833333...
 *   hitrate@1 = 1/3, hitrate@5 = hitrate@10  = 1
 *   ndcg@1    = (1 + 0 + 0) / 3              = 1/3
 *   ndcg@5    = (1 + 1/log2(4) + (1/log2(3) + 0)/2) / 3
 *             = (1 + 0.5 + 0.315464877) / 3  = 0.605154959
 *   mrr       = (1 + 1/3 + (1/2 + 1/15)/2) / 3 = 0.538888889 */
static void test_metrics_hand(void)
{
    static hand h;
    memset(&h, 0, sizeof h);
    h.n_users = 3;
    tt_split sp;
    tt_metrics m;
    int ks[] = {1, 5, 10};
    h.n[2][0] = 1, h.it[2][0][0] = 0;
    h.n[2][1] = 1, h.it[2][1][0] = 1;
    h.n[2][2] = 2, h.it[2][2][0] = 2, h.it[2][2][1] = 3;
    build(&h, &sp);
    int64_t ranks[] = {1, 3, 2, 15};
    tt_eval_metrics(ranks, &sp, TT_TEST, ks, 3, &m);
    double ndcg5 = (1 + 0.5 + (1 / log2(3.0)) / 2) / 3;
    CHECK(m.n_users == 3 && m.n_examples == 4 && m.n_k == 3, "counts %d %lld %d",
          m.n_users, (long long)m.n_examples, m.n_k);
    near(m.recall[0], 1.0 / 3, "recall@1");
    near(m.recall[1], 2.5 / 3, "recall@5");
    near(m.recall[2], 2.5 / 3, "recall@10");
    near(m.hitrate[0], 1.0 / 3, "hitrate@1");
    near(m.hitrate[1], 1.0, "hitrate@5");
    near(m.hitrate[2], 1.0, "hitrate@10");
    near(m.ndcg[0], 1.0 / 3, "ndcg@1");
    near(m.ndcg[1], ndcg5, "ndcg@5");
    near(ndcg5, 0.605154959, "ndcg@5 written out");
    near(m.ndcg[2], ndcg5, "ndcg@10");
    near(m.mrr, (1 + 1.0 / 3 + (0.5 + 1.0 / 15) / 2) / 3, "mrr");
    CHECK(fabs(m.mrr - 0.538888889) < 1e-9, "mrr written out %.9f", m.mrr);

    /* Same examples stored out of user order: the metrics must not change. */
    int32_t u[] = {2, 0, 1, 2}, it[] = {2, 0, 1, 3};
    int64_t r2[] = {2, 1, 3, 15};
    memcpy(sp.part[2].user, u, sizeof u);
    memcpy(sp.part[2].item, it, sizeof it);
    tt_metrics m2;
    tt_eval_metrics(r2, &sp, TT_TEST, ks, 3, &m2);
    CHECK(m2.n_users == 3, "unsorted: %d users", m2.n_users);
    near(m2.recall[1], m.recall[1], "unsorted recall@5");
    near(m2.ndcg[1], m.ndcg[1], "unsorted ndcg@5");
    near(m2.mrr, m.mrr, "unsorted mrr");
    unbuild(&sp);
}

/* Ranks by hand, with ties and exclusions. d = 2, every query (1, 0), item
 * vectors (s, 7) so that the scores are s = [3, 5, 5, 2, 5, 1].
 * u0: train {1}, valid {4}, test {2}
 *   valid t=4 (5): excl {1}; beaten by 2 (tie, lower id)         -> rank 2
 *   test  t=2 (5): excl {1, 4}; 1 excluded, 4 loses the tie       -> rank 1
 * u1: train {0, 2}, valid {5}, test {3, 4}
 *   valid t=5 (1): excl {0, 2}; beaten by 1, 3, 4                 -> rank 4
 *   test  t=3 (2): excl {0, 2, 5} and the other target 4; by 1   -> rank 2
 *   test  t=4 (5): excl {0, 2, 5, 3}; beaten by 1 (tie, lower id) -> rank 2
 * test, K = 1, 2: recall@1 = (1 + 0)/2 = 0.5, recall@2 = 1,
 *   ndcg@2 = (1 + (1/log2 3 + 1/log2 3)/2)/2 = 0.815464877, mrr = (1 + 0.5)/2 */
static void test_ranks_hand(void)
{
    static hand h;
    memset(&h, 0, sizeof h);
    h.n_users = 2;
    tt_split sp;
    tt_err err = {{0}};
    float V[] = {3, 7, 5, 7, 5, 7, 2, 7, 5, 7, 1, 7};
    float Q[] = {1, 0, 1, 0, 1, 0};
    int64_t r[3], rr[3];
    int ks[] = {1, 2};
    tt_metrics m;
    h.n[0][0] = 1, h.it[0][0][0] = 1;
    h.n[1][0] = 1, h.it[1][0][0] = 4;
    h.n[2][0] = 1, h.it[2][0][0] = 2;
    h.n[0][1] = 2, h.it[0][1][0] = 2, h.it[0][1][1] = 0;
    h.n[1][1] = 1, h.it[1][1][0] = 5;
    h.n[2][1] = 2, h.it[2][1][0] = 3, h.it[2][1][1] = 4;
    build(&h, &sp);
    CHECK(tt_eval_rank(Q, V, 6, 2, &sp, TT_VALID, r, &err) == 0, "%s", err.msg);
    CHECK(r[0] == 2 && r[1] == 4, "valid ranks %lld %lld, want 2 4", (long long)r[0],
          (long long)r[1]);
    CHECK(tt_eval_rank_ref(Q, V, 6, 2, &sp, TT_VALID, rr) == 0, "ref");
    CHECK(rr[0] == 2 && rr[1] == 4, "ref valid ranks %lld %lld", (long long)rr[0],
          (long long)rr[1]);
    CHECK(tt_eval_rank(Q, V, 6, 2, &sp, TT_TEST, r, &err) == 0, "%s", err.msg);
    CHECK(r[0] == 1 && r[1] == 2 && r[2] == 2, "test ranks %lld %lld %lld, want 1 2 2",
          (long long)r[0], (long long)r[1], (long long)r[2]);
    CHECK(tt_eval_rank_ref(Q, V, 6, 2, &sp, TT_TEST, rr) == 0, "ref");
    CHECK(rr[0] == 1 && rr[1] == 2 && rr[2] == 2, "ref test ranks");
    CHECK(tt_eval(Q, V, 6, 2, &sp, TT_TEST, ks, 2, &m, &err) == 0, "%s", err.msg);
    near(m.recall[0], 0.5, "hand recall@1");
    near(m.recall[1], 1.0, "hand recall@2");
    near(m.hitrate[0], 0.5, "hand hitrate@1");
    near(m.ndcg[1], (1 + 1 / log2(3.0)) / 2, "hand ndcg@2");
    near(m.ndcg[1], 0.815464877, "hand ndcg@2 written out");
    near(m.mrr, 0.75, "hand mrr");
    CHECK(m.seconds >= 0, "seconds");

    /* K larger than the corpus: everything is a hit. */
    int kbig[] = {100};
    CHECK(tt_eval(Q, V, 6, 2, &sp, TT_VALID, kbig, 1, &m, &err) == 0, "%s", err.msg);
    near(m.recall[0], 1.0, "recall@100 of 6 items");
    near(m.ndcg[0], (1 / log2(3.0) + 1 / log2(5.0)) / 2, "ndcg@100");

    /* Bad input is an error, not a crash. */
    int kbad[] = {5, 2};
    CHECK(tt_eval(Q, V, 6, 2, &sp, TT_TEST, kbad, 2, &m, &err) == -1, "descending K");
    CHECK(tt_eval_rank(Q, V, 4, 2, &sp, TT_TEST, r, &err) == -1 &&
              strstr(err.msg, "outside"), "item out of range: %s", err.msg);
    sp.items[0][0] = 9;  /* u0's train item beyond the corpus */
    CHECK(tt_eval_rank(Q, V, 6, 2, &sp, TT_TEST, r, &err) == -1 &&
              strstr(err.msg, "earlier item"), "excluded item out of range: %s", err.msg);
    unbuild(&sp);
}

/* A user whose every other item is excluded ranks 1; a NaN target ranks last. */
static void test_edges(void)
{
    static hand h;
    memset(&h, 0, sizeof h);
    h.n_users = 2;
    tt_split sp;
    tt_err err = {{0}};
    float V[] = {4, 3, 2, 1};
    float Q[] = {1, NAN};
    int64_t r[2], rr[2];
    h.n[0][0] = 3, h.it[0][0][0] = 0, h.it[0][0][1] = 1, h.it[0][0][2] = 3;
    h.n[1][0] = 1, h.it[1][0][0] = 2;
    h.n[0][1] = 1, h.it[0][1][0] = 1;
    h.n[1][1] = 1, h.it[1][1][0] = 0;
    build(&h, &sp);
    CHECK(tt_eval_rank(Q, V, 4, 1, &sp, TT_VALID, r, &err) == 0, "%s", err.msg);
    CHECK(tt_eval_rank_ref(Q, V, 4, 1, &sp, TT_VALID, rr) == 0, "ref");
    CHECK(r[0] == 1 && rr[0] == 1, "all excluded: rank %lld ref %lld, want 1",
          (long long)r[0], (long long)rr[0]);
    CHECK(r[1] == 3 && rr[1] == 3, "NaN target: rank %lld ref %lld, want 3",
          (long long)r[1], (long long)rr[1]);
    /* An empty part evaluates to nothing. */
    tt_split empty;
    memset(&empty, 0, sizeof empty);
    tt_metrics m;
    int ks[] = {10};
    CHECK(tt_eval(Q, V, 4, 1, &empty, TT_TEST, ks, 1, &m, &err) == 0, "%s", err.msg);
    CHECK(m.n_users == 0 && m.recall[0] == 0, "empty part");
    unbuild(&sp);
}

/* Random splits with small-integer vectors (exact scores, many exact ties),
 * overlapping lists and several targets per user; blocked == reference. */
static void test_random(tt_rng *g, int n_users, int32_t n_items, int d, int range,
                        int threads)
{
    hand *h = calloc(1, sizeof *h);
    tt_split sp;
    tt_err err = {{0}};
    h->n_users = n_users;
    for (int u = 0; u < n_users; u++)
        for (int p = 0; p < 3; p++) {
            int n = p == 0 ? (int)tt_rng_below(g, 40) : 1 + (int)tt_rng_below(g, p == 2 ? 3 : 1);
            if (p == 2 && tt_rng_below(g, 5) == 0)
                n = 0;   /* some users have no test example */
            h->n[p][u] = n;
            for (int i = 0; i < n; i++)
                h->it[p][u][i] = (int32_t)tt_rng_below(g, (uint32_t)n_items);
        }
    build(h, &sp);
    float *V = malloc((size_t)n_items * d * sizeof *V);
    for (int64_t i = 0; i < (int64_t)n_items * d; i++)
        V[i] = (float)((int)tt_rng_below(g, 2 * range + 1) - range);
    tt_blas_set_threads(threads);
    for (int p = 1; p < 3; p++) {
        int64_t n = sp.part[p].n;
        float *Q = malloc((n + 1) * d * sizeof *Q);
        int64_t *r = malloc((n + 1) * sizeof *r), *rr = malloc((n + 1) * sizeof *rr);
        for (int64_t i = 0; i < n * d; i++)
            Q[i] = (float)((int)tt_rng_below(g, 2 * range + 1) - range);
        if (n > 2)
            Q[d] = NAN;   /* one NaN query */
        CHECK(tt_eval_rank(Q, V, n_items, d, &sp, p, r, &err) == 0, "%s", err.msg);
        CHECK(tt_eval_rank_ref(Q, V, n_items, d, &sp, p, rr) == 0, "ref");
        int64_t bad = 0;
        for (int64_t e = 0; e < n; e++) {
            if (r[e] != rr[e] && bad++ < 5)
                printf("  example %lld (user %d, item %d): rank %lld ref %lld\n",
                       (long long)e, sp.part[p].user[e], sp.part[p].item[e],
                       (long long)r[e], (long long)rr[e]);
        }
        CHECK(bad == 0, "random %d users x %d items d=%d threads=%d part %d: %lld of "
              "%lld ranks differ", n_users, n_items, d, threads, p, (long long)bad,
              (long long)n);
        free(Q), free(r), free(rr);
    }
    tt_blas_set_threads(1);
    free(V);
    unbuild(&sp);
    free(h);
}

/* Multi-vector queries (nq vectors, qn[e] active) against the naive
 * reference, small integers so that ties are exact and frequent; then a hand
 * case: d = 1, vectors +1 and -1 score |v|. */
static void test_multi(tt_rng *g, int n_users, int32_t n_items, int d, int nq, int threads)
{
    hand *h = calloc(1, sizeof *h);
    tt_split sp;
    tt_err err = {{0}};
    h->n_users = n_users;
    for (int u = 0; u < n_users; u++)
        for (int p = 0; p < 3; p++) {
            int n = p == 0 ? (int)tt_rng_below(g, 30) : 1;
            h->n[p][u] = n;
            for (int i = 0; i < n; i++)
                h->it[p][u][i] = (int32_t)tt_rng_below(g, (uint32_t)n_items);
        }
    build(h, &sp);
    float *V = malloc((size_t)n_items * d * sizeof *V);
    for (int64_t i = 0; i < (int64_t)n_items * d; i++)
        V[i] = (float)((int)tt_rng_below(g, 5) - 2);
    tt_blas_set_threads(threads);
    int64_t n = sp.part[TT_TEST].n;
    float *Q = malloc((size_t)(n + 1) * nq * d * sizeof *Q);
    int32_t *qn = malloc((size_t)(n + 1) * sizeof *qn);
    int64_t *r = malloc((n + 1) * sizeof *r), *rr = malloc((n + 1) * sizeof *rr);
    for (int64_t i = 0; i < n * nq * d; i++)
        Q[i] = (float)((int)tt_rng_below(g, 5) - 2);
    for (int64_t e = 0; e < n; e++)
        qn[e] = 1 + (int32_t)tt_rng_below(g, (uint32_t)nq);
    CHECK(tt_eval_rank_multi(Q, nq, qn, V, n_items, d, &sp, TT_TEST, r, &err) == 0, "%s", err.msg);
    CHECK(tt_eval_rank_multi_ref(Q, nq, qn, V, n_items, d, &sp, TT_TEST, rr) == 0, "ref");
    int64_t bad = 0;
    for (int64_t e = 0; e < n; e++)
        bad += r[e] != rr[e];
    CHECK(bad == 0, "multi %d users x %d items d=%d nq=%d threads=%d: %lld of %lld ranks differ",
          n_users, n_items, d, nq, threads, (long long)bad, (long long)n);
    /* all vectors active (qn NULL) */
    CHECK(tt_eval_rank_multi(Q, nq, NULL, V, n_items, d, &sp, TT_TEST, r, &err) == 0, "%s", err.msg);
    CHECK(tt_eval_rank_multi_ref(Q, nq, NULL, V, n_items, d, &sp, TT_TEST, rr) == 0, "ref");
    bad = 0;
    for (int64_t e = 0; e < n; e++)
        bad += r[e] != rr[e];
    CHECK(bad == 0, "multi (all active) nq=%d: %lld ranks differ", nq, (long long)bad);
    tt_blas_set_threads(1);
    free(Q), free(qn), free(r), free(rr), free(V);
    unbuild(&sp);
    free(h);
}

static void test_multi_hand(void)
{
    static hand h;
    memset(&h, 0, sizeof h);
    tt_split sp;
    tt_err err = {{0}};
    int64_t r[1];
    /* items 0..4 with v = 3, -3, 1, -2, 3; queries +1 and -1: scores |v| =
     * 3, 3, 1, 2, 3. Target item 1 (score 3): item 0 ties and is lower ->
     * beats it; item 4 ties and is higher -> does not: rank 2. With only
     * the first vector active the scores are v: rank 5 (-3 is last). */
    float V[] = {3, -3, 1, -2, 3}, Q[] = {1, -1};
    int32_t two[] = {2}, one[] = {1};
    h.n_users = 1;
    h.n[1][0] = 1, h.it[1][0][0] = 1;
    build(&h, &sp);
    CHECK(tt_eval_rank_multi(Q, 2, two, V, 5, 1, &sp, TT_VALID, r, &err) == 0 && r[0] == 2,
          "multi hand: rank %lld, want 2", (long long)r[0]);
    CHECK(tt_eval_rank_multi(Q, 2, one, V, 5, 1, &sp, TT_VALID, r, &err) == 0 && r[0] == 5,
          "multi hand, one active: rank %lld, want 5", (long long)r[0]);
    int32_t zero[] = {0};
    CHECK(tt_eval_rank_multi(Q, 2, zero, V, 5, 1, &sp, TT_VALID, r, &err) != 0 &&
              strstr(err.msg, "0 active vectors"), "multi: 0 active refused (%s)", err.msg);
    unbuild(&sp);
}

/* The FE-Block rule (sum over nq query vectors of the max over nv item
 * vectors) against its naive reference: small integers, so that products
 * are exact and ties frequent (both in the max and between items); one NaN
 * query. Then a hand case. */
static void test_summax(tt_rng *g, int n_users, int32_t n_items, int d, int nq, int nv,
                        int threads)
{
    hand *h = calloc(1, sizeof *h);
    tt_split sp;
    tt_err err = {{0}};
    h->n_users = n_users;
    for (int u = 0; u < n_users; u++)
        for (int p = 0; p < 3; p++) {
            int n = p == 0 ? (int)tt_rng_below(g, 30) : 1;
            h->n[p][u] = n;
            for (int i = 0; i < n; i++)
                h->it[p][u][i] = (int32_t)tt_rng_below(g, (uint32_t)n_items);
        }
    build(h, &sp);
    float *V = malloc((size_t)n_items * nv * d * sizeof *V);
    for (int64_t i = 0; i < (int64_t)n_items * nv * d; i++)
        V[i] = (float)((int)tt_rng_below(g, 5) - 2);
    tt_blas_set_threads(threads);
    int64_t n = sp.part[TT_TEST].n;
    float *Q = malloc((size_t)(n + 1) * nq * d * sizeof *Q);
    int64_t *r = malloc((n + 1) * sizeof *r), *rr = malloc((n + 1) * sizeof *rr);
    for (int64_t i = 0; i < n * nq * d; i++)
        Q[i] = (float)((int)tt_rng_below(g, 5) - 2);
    if (n > 3)
        Q[(int64_t)2 * nq * d] = NAN;
    CHECK(tt_eval_rank_summax(Q, nq, V, nv, n_items, d, &sp, TT_TEST, r, &err) == 0, "%s",
          err.msg);
    CHECK(tt_eval_rank_summax_ref(Q, nq, V, nv, n_items, d, &sp, TT_TEST, rr) == 0, "ref");
    int64_t bad = 0;
    for (int64_t e = 0; e < n; e++)
        bad += r[e] != rr[e];
    CHECK(bad == 0, "summax %d users x %d items d=%d nq=%d nv=%d threads=%d: %lld of %lld ranks differ",
          n_users, n_items, d, nq, nv, threads, (long long)bad, (long long)n);
    tt_blas_set_threads(1);
    free(Q), free(r), free(rr), free(V);
    unbuild(&sp);
    free(h);
}

static void test_summax_hand(void)
{
    static hand h;
    memset(&h, 0, sizeof h);
    tt_split sp;
    tt_err err = {{0}};
    int64_t r[1];
    /* d = 1, two heads +1 and -1, two vectors per item: item j scores
     * max(a, b) + max(-a, -b) = max - min = |a - b|. Items (a, b): (0, 3) 3,
     * (1, 1) 0, (2, -1) 3, (5, 4) 1, (-3, 0) 3. Target item 2 (3): item 0
     * ties and is lower, beats it; item 4 ties and is higher: rank 2. */
    float V[] = {0, 3, 1, 1, 2, -1, 5, 4, -3, 0}, Q[] = {1, -1};
    h.n_users = 1;
    h.n[1][0] = 1, h.it[1][0][0] = 2;
    build(&h, &sp);
    CHECK(tt_eval_rank_summax(Q, 2, V, 2, 5, 1, &sp, TT_VALID, r, &err) == 0 && r[0] == 2,
          "summax hand: rank %lld, want 2", (long long)r[0]);
    CHECK(tt_eval_rank_summax(Q, 2, V, 0, 5, 1, &sp, TT_VALID, r, &err) != 0 &&
              strstr(err.msg, "0 item vectors"), "summax: 0 item vectors refused (%s)", err.msg);
    unbuild(&sp);
}

/* A corpus too large for one score row in the block: the tiled path. */
static void test_tiled(tt_rng *g)
{
    static hand h;
    memset(&h, 0, sizeof h);
    h.n_users = 3;
    tt_split sp;
    tt_err err = {{0}};
    int32_t n_items = (1 << 20) + 4099;
    float *V = malloc((size_t)n_items * sizeof *V);
    float Q[] = {1, -1, 1};
    int64_t r[3], rr[3];
    for (int32_t i = 0; i < n_items; i++)
        V[i] = (float)((int)tt_rng_below(g, 2001) - 1000);
    /* Targets in the first, last and middle tiles; exclusions on both sides. */
    int32_t tg[] = {17, n_items - 3, (1 << 20) + 5};
    for (int u = 0; u < 3; u++) {
        h.n[1][u] = 1, h.it[1][u][0] = tg[u];
        h.n[0][u] = 4;
        h.it[0][u][0] = 3, h.it[0][u][1] = 1 << 19, h.it[0][u][2] = (1 << 20) + 7;
        h.it[0][u][3] = n_items - 1;
        V[h.it[0][u][1]] = V[tg[u]];   /* an excluded exact tie */
    }
    build(&h, &sp);
    CHECK(tt_eval_rank(Q, V, n_items, 1, &sp, TT_VALID, r, &err) == 0, "%s", err.msg);
    CHECK(tt_eval_rank_ref(Q, V, n_items, 1, &sp, TT_VALID, rr) == 0, "ref");
    for (int e = 0; e < 3; e++)
        CHECK(r[e] == rr[e], "tiled example %d: rank %lld ref %lld", e,
              (long long)r[e], (long long)rr[e]);
    free(V);
    unbuild(&sp);
}

/* tt_topk against a full sort of the non-excluded items. */
typedef struct sc {
    float s;
    int32_t i;
} sc;
static int cmp_sc(const void *a, const void *b)
{
    const sc *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void test_topk(tt_rng *g, int32_t n_items, int d, int n_excl, int k)
{
    float *V = malloc((size_t)n_items * d * sizeof *V), *q = malloc(d * sizeof *q);
    int32_t *ex = malloc((n_excl + 1) * sizeof *ex), *oi = malloc((k + 1) * sizeof *oi);
    float *os = malloc((k + 1) * sizeof *os);
    sc *all = malloc(n_items * sizeof *all);
    int n = 0, got, want;
    for (int64_t i = 0; i < (int64_t)n_items * d; i++)
        V[i] = (float)((int)tt_rng_below(g, 7) - 3);
    for (int i = 0; i < d; i++)
        q[i] = (float)((int)tt_rng_below(g, 5) - 2);
    for (int i = 0; i < n_excl; i++)   /* duplicates allowed */
        ex[i] = (int32_t)tt_rng_below(g, (uint32_t)n_items);
    qsort(ex, n_excl, sizeof *ex, cmp_i32);
    for (int32_t j = 0, x = 0; j < n_items; j++) {
        double s = 0;
        while (x < n_excl && ex[x] < j)
            x++;
        if (x < n_excl && ex[x] == j)
            continue;
        for (int c = 0; c < d; c++)
            s += (double)q[c] * V[(int64_t)j * d + c];
        all[n++] = (sc){(float)s, j};
    }
    qsort(all, n, sizeof *all, cmp_sc);
    want = k < n ? k : n;
    got = tt_topk(q, V, n_items, d, ex, n_excl, k, oi, os);
    CHECK(got == want, "topk %d items d=%d excl=%d k=%d: returned %d, want %d", n_items,
          d, n_excl, k, got, want);
    for (int i = 0; i < want && i < got; i++)
        if (oi[i] != all[i].i || os[i] != all[i].s) {
            CHECK(0, "topk %d items k=%d: position %d has %d (%g), want %d (%g)",
                  n_items, k, i, oi[i], os[i], all[i].i, all[i].s);
            break;
        }
    free(V), free(q), free(ex), free(oi), free(os), free(all);
}

/* tt_topk_batch against its naive reference and against tt_topk, rank for
 * rank, on small-integer data (exact scores, many ties), with NaN rows and
 * items, over several query blocks and item tiles, on 1 and 2 workers. With
 * rise, scores grow with the item's index (its first coordinate floor(j/4),
 * the queries' first 1 or 2), so items keep entering the full heap to the
 * end of every tile: the scan's runs of scores above the root are walked,
 * not only skipped. */
static void test_topk_batch(tt_rng *g, int64_t nq, int32_t n_items, int d, int k, int threads,
                            int rise)
{
    float *V = malloc((size_t)n_items * d * sizeof *V), *Q = malloc((size_t)nq * d * sizeof *Q);
    int32_t *oi = malloc((size_t)nq * k * sizeof *oi), *ri = malloc((size_t)nq * k * sizeof *ri);
    float *os = malloc((size_t)nq * k * sizeof *os), *rs = malloc((size_t)nq * k * sizeof *rs);
    int32_t *ti = malloc((size_t)k * sizeof *ti);
    float *ts = malloc((size_t)k * sizeof *ts);
    int *oc = malloc((size_t)nq * sizeof *oc), *rc = malloc((size_t)nq * sizeof *rc);
    tt_err err;
    for (int64_t i = 0; i < (int64_t)n_items * d; i++)
        V[i] = (float)((int)tt_rng_below(g, 5) - 2);
    for (int64_t i = 0; i < nq * d; i++)
        Q[i] = (float)((int)tt_rng_below(g, 5) - 2);
    for (int32_t j = 0; rise && j < n_items; j++)
        V[(int64_t)j * d] = (float)(j / 4);
    for (int64_t q = 0; rise && q < nq; q++)
        Q[q * d] = (float)(1 + (int)tt_rng_below(g, 2));
    if (n_items > 3)
        V[(int64_t)(n_items / 2) * d] = NAN;   /* an item no query may return */
    if (nq > 2)
        Q[d] = NAN;                            /* a query that returns nothing */
    CHECK(tt_topk_batch(Q, nq, V, n_items, d, k, threads, oi, os, oc, &err) == 0, "%s", err.msg);
    CHECK(tt_topk_batch_ref(Q, nq, V, n_items, d, k, ri, rs, rc) == 0, "reference");
    int64_t bad = 0, filled = 0;
    for (int64_t q = 0; q < nq; q++) {
        int n1 = tt_topk(Q + q * d, V, n_items, d, NULL, 0, k, ti, ts);
        bad += oc[q] != rc[q] || n1 != rc[q];
        filled += rc[q];
        for (int j = 0; j < k; j++) {
            int same = oi[q * k + j] == ri[q * k + j] &&
                       (os[q * k + j] == rs[q * k + j] || (isnan(os[q * k + j]) && isnan(rs[q * k + j])));
            if (j < n1)
                same &= ti[j] == ri[q * k + j] && ts[j] == rs[q * k + j];
            if (!same && bad < 3)
                printf("topk_batch query %lld position %d: %d (%g), reference %d (%g)\n", (long long)q,
                       j, oi[q * k + j], os[q * k + j], ri[q * k + j], rs[q * k + j]);
            bad += !same;
        }
    }
    CHECK(bad == 0, "topk_batch %lld queries x %d items d=%d k=%d threads=%d: %lld differences",
          (long long)nq, n_items, d, k, threads, (long long)bad);
    CHECK(filled > 0, "topk_batch: nothing returned, the test says little");
    if (nq > 2)
        CHECK(oc[1] == 0 && oi[k - 1 + k] == -1, "a NaN query returned %d items", oc[1]);
    free(V), free(Q), free(oi), free(ri), free(os), free(rs), free(ti), free(ts), free(oc), free(rc);
}

int main(void)
{
    tt_rng g;
    tt_rng_seed(&g, 7);
    test_metrics_hand();
    test_ranks_hand();
    test_edges();
    /* Small corpora, one block; then several blocks (1M floats / 3000 items =
     * 349 examples a block) with one and two workers. */
    test_random(&g, 20, 1, 1, 2, 1);
    test_random(&g, 30, 17, 1, 2, 1);
    test_random(&g, 40, 300, 3, 2, 1);
    test_random(&g, 50, 1000, 8, 1, 2);
    test_random(&g, 64, 3001, 4, 2, 1);
    test_random(&g, 64, 3001, 4, 2, 2);
    /* Enough examples to group them by target tile (1000 examples over about
     * 3000 items: several tiles and blocks, targets' tiles first). */
    test_random(&g, 600, 3001, 4, 1, 1);
    test_random(&g, 1000, 3001, 2, 2, 2);
    test_random(&g, 900, 700, 1, 3, 2);
    /* Many more tiles (2048 items) than examples: small groups merged into
     * mixed blocks whose targets lie in several tiles. */
    test_random(&g, 150, 20000, 2, 1, 1);
    test_random(&g, 400, 30011, 3, 1, 2);
    test_tiled(&g);
    test_multi_hand();
    test_multi(&g, 30, 17, 1, 2, 1);
    test_multi(&g, 200, 3001, 3, 4, 1);
    test_multi(&g, 600, 3001, 2, 4, 2);   /* several tiles and blocks, two workers */
    test_multi(&g, 150, 20000, 2, 3, 1);  /* mixed blocks */
    test_summax_hand();
    test_summax(&g, 30, 17, 1, 2, 3, 1);
    test_summax(&g, 200, 3001, 2, 4, 3, 1);
    test_summax(&g, 600, 3001, 2, 4, 2, 2);   /* several tiles and blocks, two workers */
    test_summax(&g, 150, 20000, 2, 3, 1, 1);  /* mixed blocks, one item vector */
    test_summax(&g, 100, 900, 3, 1, 4, 1);    /* one head */
    test_summax(&g, 200, 1000, 8, 4, 3, 2);   /* the fused kernel's unrolled widths */
    test_summax(&g, 100, 700, 16, 2, 2, 1);
    test_topk(&g, 1, 1, 0, 1);
    test_topk(&g, 10, 2, 3, 4);
    test_topk(&g, 10, 2, 0, 25);      /* k larger than the corpus */
    test_topk(&g, 10, 2, 10, 25);
    test_topk(&g, 5000, 3, 100, 50);  /* several tiles, many ties */
    test_topk(&g, 5000, 1, 4000, 5000);
    test_topk_batch(&g, 1, 1, 1, 1, 1, 0);
    test_topk_batch(&g, 5, 7, 2, 10, 1, 0);       /* k larger than the corpus */
    /* Blocks are as tall as 512 queries while every worker gets one, tiles
     * 1 MiB of scores: one block of 300 and 6 item tiles (873 wide) on one
     * worker, two of 150 and 3 tiles on two; three blocks (512, 512, 76) on
     * one worker; on two, blocks of 129 and 128 and tiles of 2032 and 17
     * items. Every case has ties and NaN rows and items. */
    test_topk_batch(&g, 300, 5000, 3, 20, 1, 0);
    test_topk_batch(&g, 300, 5000, 3, 20, 2, 0);
    test_topk_batch(&g, 1100, 3000, 2, 15, 1, 0);
    test_topk_batch(&g, 257, 2049, 1, 7, 2, 0);
    test_topk_batch(&g, 300, 5000, 3, 20, 1, 1);
    test_topk_batch(&g, 257, 2049, 2, 7, 2, 1);
    {
        /* Everything excluded: nothing returned. */
        float V[] = {1, 2, 3}, q[] = {1}, os[3];
        int32_t ex[] = {0, 1, 2}, oi[3];
        CHECK(tt_topk(q, V, 3, 1, ex, 3, 3, oi, os) == 0, "topk all excluded");
    }
    return tt_check_done("test_eval");
}

/* test_eval_ml100k: the popularity baseline on MovieLens-100K under the
 * protocol reproduces PROTOCOL.md to 4 decimals (valid and test), and the
 * blocked ranking equals the naive reference on the real exclusion lists.
 * Skips (77) when the data is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tt_blas.h"
#include "tt_dataset.h"
#include "tt_eval.h"
#include "tt_rng.h"
#include "tt_split.h"
#include "tt_check.h"


/* Equal when printed to 4 decimals, as the protocol's table is. */
static void fig(const char *what, double got, const char *want)
{
    char b[32];
    snprintf(b, sizeof b, "%.4f", got);
    if (CHECK(strcmp(b, want) == 0, "%s = %s (%.6f), protocol %s", what, b, got, want))
        printf("ok   %s = %s\n", what, b);
}

/* Blocked ranks == naive reference ranks for the model (Q, V). */
static void same_as_ref(const char *what, const float *Q, const float *V, int32_t ni,
                        int d, const tt_split *s, enum tt_part p)
{
    int64_t n = s->part[p].n, bad = 0;
    int64_t *r = malloc(n * sizeof *r), *rr = malloc(n * sizeof *rr);
    tt_err err;
    if (tt_eval_rank(Q, V, ni, d, s, p, r, &err) || tt_eval_rank_ref(Q, V, ni, d, s, p, rr)) {
        FAIL("%s: %s", what, err.msg);
    } else {
        for (int64_t e = 0; e < n; e++)
            bad += r[e] != rr[e];
        CHECK(bad == 0, "%s: %lld of %lld ranks differ from the reference", what,
              (long long)bad, (long long)n);
    }
    free(r);
    free(rr);
}

int main(void)
{
    const char *dir = ml100k_dir();
    tt_dataset d;
    tt_split s;
    tt_err err;
    tt_metrics m;
    int ks[] = {10, 20, 50};

    if (!dir)
        return 77;
    memset(&d, 0, sizeof d);
    memset(&s, 0, sizeof s);
    if (tt_load_movielens(dir, &d, &err) || tt_split_l2o(&d, 20, &s, &err)) {
        DIE("load/split: %s", err.msg);
    }
    int32_t ni = d.n_items;
    int64_t nmax = TT_MAX(s.part[TT_VALID].n, s.part[TT_TEST].n);
    /* Popularity: d = 1, Q = 1 for every example, V = training frequency. */
    float *Q = malloc(nmax * 8 * sizeof *Q), *V = malloc((size_t)ni * 8 * sizeof *V);
    for (int64_t e = 0; e < nmax; e++)
        Q[e] = 1;
    for (int32_t j = 0; j < ni; j++)
        V[j] = (float)s.item_freq[j];

    tt_blas_set_threads(2);
    if (tt_eval(Q, V, ni, 1, &s, TT_TEST, ks, 3, &m, &err)) {
        DIE("eval test: %s", err.msg);
    }
    fig("test recall@10", m.recall[0], "0.0498");
    fig("test recall@20", m.recall[1], "0.0795");
    fig("test recall@50", m.recall[2], "0.1410");
    fig("test ndcg@10", m.ndcg[0], "0.0254");
    fig("test mrr", m.mrr, "0.0258");
    for (int i = 0; i < 3; i++)
        if (m.hitrate[i] != m.recall[i]) {
            FAIL("hitrate@%d %.6f != recall %.6f with one held-out item", ks[i],
                   m.hitrate[i], m.recall[i]);
        }
    if (m.n_users != 943 || m.n_examples != 943) {
        FAIL("%d users, %lld examples", m.n_users, (long long)m.n_examples);
    }
    if (tt_eval(Q, V, ni, 1, &s, TT_VALID, ks, 3, &m, &err)) {
        DIE("eval valid: %s", err.msg);
    }
    fig("valid recall@10", m.recall[0], "0.0636");
    fig("valid recall@20", m.recall[1], "0.1007");
    fig("valid recall@50", m.recall[2], "0.1994");
    same_as_ref("popularity test ranks", Q, V, ni, 1, &s, TT_TEST);
    same_as_ref("popularity valid ranks", Q, V, ni, 1, &s, TT_VALID);

    /* A small-integer d = 8 model on the real exclusion lists (exact ties). */
    tt_rng g;
    tt_rng_seed(&g, 3);
    for (int64_t k = 0; k < nmax * 8; k++)
        Q[k] = (float)((int)tt_rng_below(&g, 5) - 2);
    for (int64_t k = 0; k < (int64_t)ni * 8; k++)
        V[k] = (float)((int)tt_rng_below(&g, 5) - 2);
    same_as_ref("integer d=8 test ranks", Q, V, ni, 8, &s, TT_TEST);
    tt_blas_set_threads(1);
    same_as_ref("integer d=8 valid ranks, one thread", Q, V, ni, 8, &s, TT_VALID);

    free(Q);
    free(V);
    tt_split_free(&s);
    tt_dataset_free(&d);
    return tt_check_done("test_eval_ml100k");
}

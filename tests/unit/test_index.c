/* test_index: the serving engine. The inner-product-to-L2 transform ranks as
 * the inner product (brute force, and through a Faiss L2 index); a flat
 * index gives the exact evaluator's ranks (exclusions by over-fetch and
 * filter), within kmax and, asked for every item, all of them (the MRR);
 * ttlab's batched exact top-K is the reference of index recall; IVF and HNSW keep their recall above a floor on clustered data.
 * Without Faiss the Faiss parts are skipped and the stub's message checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_check.h"
#include "tt_eval.h"
#include "tt_index.h"
#include "tt_rng.h"
#include "tt_split.h"

static float *gauss(tt_rng *r, int64_t n, int d, double scale_spread)
{
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    for (int64_t i = 0; i < n; i++) {
        double sc = 1 + scale_spread * tt_rng_uniform(r);   /* norms differ */
        for (int j = 0; j < d; j++)
            x[i * d + j] = (float)(sc * tt_rng_normal(r));
    }
    return x;
}

/* Clustered vectors: centres N(0, 1), points centre + 0.3 N(0, 1). */
static float *clustered(tt_rng *r, int64_t n, int d, int c, const float *cent)
{
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    for (int64_t i = 0; i < n; i++) {
        int k = (int)tt_rng_below(r, (uint32_t)c);
        for (int j = 0; j < d; j++)
            x[i * d + j] = cent[k * d + j] + 0.3f * (float)tt_rng_normal(r);
    }
    return x;
}

/* How many of the (nq, k) ids are the inner product's exact top k, rank for rank. */
static int agree(const int64_t *ids, const float *Q, int nq, const float *V, int n, int d, int k)
{
    int32_t top[16];
    float sc[16];
    int same = 0;
    for (int q = 0; q < nq; q++) {
        tt_topk(Q + q * d, V, n, d, NULL, 0, k, top, sc);
        for (int j = 0; j < k; j++)
            same += ids[q * k + j] == top[j];
    }
    return same;
}

static void test_transform(void)
{
    enum { N = 500, D = 8, NQ = 50, K = 10 };
    tt_rng r;
    tt_rng_seed(&r, 7);
    float *V = gauss(&r, N, D, 3.0), *Q = gauss(&r, NQ, D, 0.0);
    float *Vt = malloc(sizeof(float) * N * (D + 1)), *Qt = malloc(sizeof(float) * NQ * (D + 1));
    float M = tt_index_ip2l2_items(V, N, D, Vt);
    tt_index_ip2l2_queries(Q, NQ, D, Qt);
    CHECK(M > 0, "M = %g", M);
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j <= D; j++)
            s += (double)Vt[i * (D + 1) + j] * Vt[i * (D + 1) + j];
        CHECK(fabs(sqrt(s) - M) < 1e-4 * M, "item %d: transformed norm %g, not M %g", i, sqrt(s), M);
    }
    for (int q = 0; q < NQ; q++) {
        int32_t top[K];
        float sc[K];
        tt_topk(Q + q * D, V, N, D, NULL, 0, K, top, sc);
        /* L2 on the transformed vectors, brute force in double. */
        int32_t l2[K];
        double l2d[K];
        for (int k = 0; k < K; k++)
            l2d[k] = INFINITY, l2[k] = -1;
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (int j = 0; j <= D; j++) {
                double e = (double)Qt[q * (D + 1) + j] - Vt[i * (D + 1) + j];
                s += e * e;
            }
            for (int k = 0; k < K; k++)
                if (s < l2d[k]) {
                    memmove(l2d + k + 1, l2d + k, sizeof(double) * (K - k - 1));
                    memmove(l2 + k + 1, l2 + k, sizeof(int32_t) * (K - k - 1));
                    l2d[k] = s, l2[k] = i;
                    break;
                }
        }
        for (int k = 0; k < K; k++)
            CHECK(top[k] == l2[k], "query %d rank %d: inner product gives %d, transformed L2 %d",
                  q, k + 1, top[k], l2[k]);
        /* Plain L2 on the untransformed vectors does not (norms differ). */
    }
    if (tt_ann_available()) {
        /* The same through a Faiss flat L2 index over the transformed items. */
        tt_indexent ie;
        tt_err err;
        memset(&ie, 0, sizeof ie);
        ie.p.kind = TT_ANN_FLAT;
        ie.metric = TT_IM_IP2L2;
        CHECK(tt_index_build(&ie, V, N, D, 1, &err) == 0, "%s", err.msg);
        int64_t ids[NQ * K];
        float dist[NQ * K];
        CHECK(tt_ann_search(ie.ann, Qt, NQ, K, dist, ids, &err) == 0, "%s", err.msg);
        int same = agree(ids, Q, NQ, V, N, D, K);
        CHECK(same == NQ * K, "Faiss L2 over transformed items: %d of %d ranks as inner product",
              same, NQ * K);
        /* Without the transform, L2 ranks differently on these vectors. */
        tt_indexent pl;
        memset(&pl, 0, sizeof pl);
        pl.p.kind = TT_ANN_FLAT;
        pl.metric = TT_IM_L2;
        CHECK(tt_index_build(&pl, V, N, D, 1, &err) == 0, "%s", err.msg);
        CHECK(tt_ann_search(pl.ann, Q, NQ, K, dist, ids, &err) == 0, "%s", err.msg);
        int plain = agree(ids, Q, NQ, V, N, D, K);
        CHECK(plain < NQ * K / 2, "plain L2 agreed with inner product on %d of %d (the test "
              "data should tell them apart)", plain, NQ * K);
        tt_index_free(&ie);
        tt_index_free(&pl);
    }
    free(V), free(Q), free(Vt), free(Qt);
}

/* A flat index gives the exact evaluator's ranks within kmax. */
static void test_flat_equals_exact(void)
{
    tt_synth_opts so;
    tt_dataset d;
    tt_split sp;
    tt_err err;
    tt_synth_opts_init(&so);
    so.users = 400, so.items = 300;
    CHECK(tt_synth_generate(&so, &d, &err) == 0, "%s", err.msg);
    CHECK(tt_split_l2o(&d, 5, &sp, &err) == 0, "%s", err.msg);
    enum { D = 16, KMAX = 20 };
    tt_rng r;
    tt_rng_seed(&r, 3);
    const tt_examples *ex = &sp.part[TT_TEST];
    float *V = gauss(&r, d.n_items, D, 1.0), *Q = gauss(&r, ex->n, D, 0.0);
    int64_t *re = malloc(sizeof(int64_t) * (size_t)ex->n), *ri = malloc(sizeof(int64_t) * (size_t)ex->n);
    CHECK(tt_eval_rank(Q, V, d.n_items, D, &sp, TT_TEST, re, &err) == 0, "%s", err.msg);
    tt_indexent ie;
    memset(&ie, 0, sizeof ie);
    ie.p.kind = TT_ANN_FLAT;
    ie.metric = TT_IM_IP;
    if (tt_index_build(&ie, V, d.n_items, D, 1, &err) == 0) {
        CHECK(tt_index_rank(&ie, Q, &sp, TT_TEST, KMAX, ri, &err) == 0, "%s", err.msg);
        int64_t within = 0;
        for (int64_t i = 0; i < ex->n; i++) {
            int64_t want = re[i] <= KMAX ? re[i] : d.n_items + 1;
            within += re[i] <= KMAX;
            CHECK(ri[i] == want, "example %lld: flat index rank %lld, exact %lld", (long long)i,
                  (long long)ri[i], (long long)re[i]);
        }
        CHECK(within > 10, "only %lld targets within the top %d: the test says little",
              (long long)within, KMAX);
        int ks[2] = {10, 20};
        tt_metrics me, mi;
        tt_eval_metrics(re, &sp, TT_TEST, ks, 2, &me);
        tt_eval_metrics(ri, &sp, TT_TEST, ks, 2, &mi);
        for (int k = 0; k < 2; k++)
            CHECK(me.recall[k] == mi.recall[k] && me.ndcg[k] == mi.ndcg[k],
                  "@%d: exact %g/%g, flat %g/%g", ks[k], me.recall[k], me.ndcg[k], mi.recall[k],
                  mi.ndcg[k]);
        /* Asked for every item, the flat index ranks every target as the
         * exact evaluator does: the same MRR, to the bit. */
        CHECK(tt_index_rank(&ie, Q, &sp, TT_TEST, d.n_items, ri, &err) == 0, "%s", err.msg);
        int64_t differ = 0;
        for (int64_t i = 0; i < ex->n; i++)
            differ += ri[i] != re[i];
        CHECK(differ == 0, "full depth: %lld of %lld flat index ranks differ from exact",
              (long long)differ, (long long)ex->n);
        tt_eval_metrics(ri, &sp, TT_TEST, ks, 2, &mi);
        CHECK(me.mrr == mi.mrr && me.mrr > 0, "MRR exact %.17g, through a flat index %.17g",
              me.mrr, mi.mrr);
        tt_index_free(&ie);
    } else {
        CHECK(!tt_ann_available(), "%s", err.msg);
        CHECK(strstr(err.msg, "libfaiss-dev") != NULL, "'%s' does not name the package", err.msg);
    }
    free(V), free(Q), free(re), free(ri);
    tt_split_free(&sp);
    tt_dataset_free(&d);
}

/* The CPU figures of a one-thread measurement beside its wall figures: on
 * one thread the CPU a query took cannot exceed the wall time it took (1.5x
 * and a microsecond of slack for the clocks' granularity), and on a
 * machine shared by others it is at most some hundred times less. */
static void cpu_sane(const char *what, const tt_index_speed *sp)
{
    double wall_us = sp->qps > 0 ? 1e6 / sp->qps : 0;
    printf("%s: one thread %.2f us/query wall, %.2f CPU; p50 %.4f ms wall, %.4f CPU\n", what,
           wall_us, sp->cpu_us, sp->p50_ms, sp->cpu_p50_ms);
    CHECK(sp->cpu_us > 0 && sp->cpu_us <= 1.5 * wall_us + 1.0 && sp->cpu_us >= wall_us / 200,
          "%s: %.3f us CPU per query against %.3f wall", what, sp->cpu_us, wall_us);
    CHECK(sp->cpu_p50_ms > 0 && sp->cpu_p50_ms <= 1.5 * sp->p50_ms + 1e-3 &&
              sp->cpu_p50_ms >= sp->p50_ms / 200,
          "%s: p50 %.4f ms CPU against %.4f wall", what, sp->cpu_p50_ms, sp->p50_ms);
}

static void recall_floor(enum tt_ann_kind kind, int nprobe, double floor_)
{
    enum { N = 20000, D = 32, C = 64, NQ = 500 };
    tt_rng r;
    tt_rng_seed(&r, 11);
    float *cent = gauss(&r, C, D, 0.0);
    float *V = clustered(&r, N, D, C, cent), *Q = clustered(&r, NQ, D, C, cent);
    tt_indexent ie;
    tt_err err;
    memset(&ie, 0, sizeof ie);
    ie.p.kind = kind;
    ie.p.nlist = 128, ie.p.nprobe = nprobe;
    ie.p.M = 16, ie.p.efConstruction = 40, ie.p.efSearch = 64;
    ie.metric = TT_IM_IP;
    CHECK(tt_index_build(&ie, V, N, D, 1, &err) == 0, "%s", err.msg);
    int ks[2] = {1, 10};
    double rec[2] = {0, 0};
    CHECK(tt_index_recall(&ie, Q, Q, NQ, V, ks, 2, rec, &err) == 0, "%s", err.msg);
    printf("%s: index recall@1 %.4f, @10 %.4f (floor %.2f)\n", kind == TT_ANN_HNSW ? "hnsw" : "ivf",
           rec[0], rec[1], floor_);
    CHECK(rec[1] >= floor_, "index recall@10 %.4f below the floor %.2f", rec[1], floor_);
    CHECK(rec[1] <= 1.0, "recall %.4f above 1", rec[1]);
    tt_index_speed sp;
    CHECK(tt_index_speed_of(&ie, Q, NQ, 10, 1, &sp, 1, &err) == 0, "%s", err.msg);
    CHECK(sp.qps > 0 && sp.p50_ms > 0 && sp.p99_ms >= sp.p50_ms, "qps %g p50 %g p99 %g", sp.qps,
          sp.p50_ms, sp.p99_ms);
    cpu_sane("index", &sp);
    tt_index_speed ex, all;
    CHECK(tt_index_exact_speed(Q, NQ, V, N, D, 10, 1, &ex, 1, &err) == 0, "%s", err.msg);
    cpu_sane("exact", &ex);
    /* On all threads: CPU summed over them, so per query at least the wall
     * time spread over the threads' count (a thread's CPU <= wall). */
    CHECK(tt_index_speed_of(&ie, Q, NQ, 10, 0, &all, 0, &err) == 0, "%s", err.msg);
    CHECK(all.qps > 0 && all.cpu_us > 0 && all.cpu_us <= 1.5 * tt_ann_max_threads() * 1e6 / all.qps + 1.0,
          "all threads: %.3f us CPU per query, %.0f qps on %d", all.cpu_us, all.qps,
          tt_ann_max_threads());
    tt_index_free(&ie);
    free(cent), free(V), free(Q);
}

/* IVF-PQ with the re-ranking step: nprobe reaches the base index (the
 * result changes with it), re-ranking lifts index recall over the codes
 * alone, and refine is a search-time knob. */
static void test_refine(void)
{
    enum { N = 20000, D = 32, C = 64, NQ = 300 };
    tt_rng r;
    tt_rng_seed(&r, 13);
    float *cent = gauss(&r, C, D, 0.0);
    float *V = clustered(&r, N, D, C, cent), *Q = clustered(&r, NQ, D, C, cent);
    tt_indexent codes, re;
    tt_err err;
    memset(&codes, 0, sizeof codes);
    codes.p.kind = TT_ANN_IVFPQ;
    codes.p.nlist = 256, codes.p.nprobe = 1;
    codes.p.m = 16, codes.p.nbits = 8;
    codes.metric = TT_IM_IP;
    re = codes;
    re.p.refine = 4;
    CHECK(tt_index_build(&codes, V, N, D, 1, &err) == 0, "%s", err.msg);
    CHECK(tt_index_build(&re, V, N, D, 1, &err) == 0, "%s", err.msg);
    CHECK(re.bytes > codes.bytes + (int64_t)N * D * 4 / 2, "re-ranked index %lld bytes, codes "
          "%lld: the full vectors are not kept", (long long)re.bytes, (long long)codes.bytes);
    int ks[1] = {10};
    double r1, r64, c64, rf1;
    CHECK(tt_index_recall(&re, Q, Q, NQ, V, ks, 1, &r1, &err) == 0, "%s", err.msg);
    tt_ann_set_search(re.ann, 64, 0, 0);
    CHECK(tt_index_recall(&re, Q, Q, NQ, V, ks, 1, &r64, &err) == 0, "%s", err.msg);
    tt_ann_set_search(codes.ann, 64, 0, 0);
    CHECK(tt_index_recall(&codes, Q, Q, NQ, V, ks, 1, &c64, &err) == 0, "%s", err.msg);
    tt_ann_set_search(re.ann, 0, 0, 1);
    CHECK(tt_index_recall(&re, Q, Q, NQ, V, ks, 1, &rf1, &err) == 0, "%s", err.msg);
    printf("ivfpq: index recall@10 codes %.4f (nprobe=64); re-ranked x4 %.4f (nprobe=1), %.4f "
           "(nprobe=64), x1 %.4f\n", c64, r1, r64, rf1);
    CHECK(r64 > r1 + 0.05, "nprobe did not reach the re-ranked index's lists: %.4f at 1, %.4f "
          "at 64", r1, r64);
    CHECK(r64 >= 0.95, "re-ranked IVF-PQ index recall@10 %.4f below 0.95", r64);
    CHECK(r64 > c64 + 0.05, "re-ranking %.4f, codes alone %.4f", r64, c64);
    CHECK(rf1 < r64, "refine=1 (%.4f) is not below refine=4 (%.4f): the knob does nothing", rf1, r64);
    tt_index_free(&codes);
    tt_index_free(&re);
    free(cent), free(V), free(Q);
}

/* Multi-vector models through a flat index. The max rule (multi-interest:
 * K vectors per query, some inactive) ranks every target within kmax as the
 * naive reference and the exact evaluator do, by inner product and through
 * the IP2L2 transform alike; the FE rule (H heads, G vectors per item) asked
 * for every item ranks exactly, and at a shallow depth never ranks a target
 * worse than exact (candidates it misses can only lift it); the top-k leaves
 * out excluded items; index recall through a flat index is 1 for the max
 * rule. */
static void test_multi_vector(void)
{
    tt_synth_opts so;
    tt_dataset d;
    tt_split sp;
    tt_err err;
    tt_synth_opts_init(&so);
    so.users = 300, so.items = 250;
    CHECK(tt_synth_generate(&so, &d, &err) == 0, "%s", err.msg);
    CHECK(tt_split_l2o(&d, 5, &sp, &err) == 0, "%s", err.msg);
    enum { D = 12, KI = 3, KMAX = 20, H = 2, G = 3 };
    tt_rng r;
    tt_rng_seed(&r, 17);
    const tt_examples *ex = &sp.part[TT_TEST];
    const int32_t n = d.n_items;
    float *V = gauss(&r, n, D, 1.0), *Q = gauss(&r, ex->n * KI, D, 0.0);
    int32_t *qn = malloc(sizeof(int32_t) * (size_t)ex->n);
    for (int64_t e = 0; e < ex->n; e++)
        qn[e] = 1 + (int32_t)tt_rng_below(&r, KI);
    int64_t *ref = malloc(sizeof(int64_t) * (size_t)ex->n), *ev = malloc(sizeof(int64_t) * (size_t)ex->n),
            *ri = malloc(sizeof(int64_t) * (size_t)ex->n);
    CHECK(tt_eval_rank_multi_ref(Q, KI, qn, V, n, D, &sp, TT_TEST, ref) == 0, "reference");
    CHECK(tt_eval_rank_multi(Q, KI, qn, V, n, D, &sp, TT_TEST, ev, &err) == 0, "%s", err.msg);
    tt_index_mv mv = {0, KI, qn, 1, D, V, n};
    enum tt_index_metric metrics[2] = {TT_IM_IP, TT_IM_IP2L2};
    for (int mi = 0; mi < 2; mi++) {
        tt_indexent ie;
        memset(&ie, 0, sizeof ie);
        ie.p.kind = TT_ANN_FLAT;
        ie.metric = metrics[mi];
        CHECK(tt_index_build(&ie, V, n, D, 1, &err) == 0, "%s", err.msg);
        CHECK(tt_index_mv_rank(&ie, &mv, Q, &sp, TT_TEST, KMAX, ri, &err) == 0, "%s", err.msg);
        int64_t within = 0, bad = 0, bad_ev = 0;
        for (int64_t i = 0; i < ex->n; i++) {
            within += ref[i] <= KMAX;
            bad += ri[i] != (ref[i] <= KMAX ? ref[i] : n + 1);
            bad_ev += ri[i] != (ev[i] <= KMAX ? ev[i] : n + 1);
        }
        CHECK(bad == 0 && bad_ev == 0, "metric %d: %lld ranks differ from the reference, %lld "
              "from tt_eval_rank_multi", mi, (long long)bad, (long long)bad_ev);
        CHECK(within > 20, "only %lld targets within the top %d", (long long)within, KMAX);
        int ks[2] = {1, 10};
        double rec[2];
        CHECK(tt_index_mv_recall(&ie, &mv, Q, 200, ks, 2, rec, &err) == 0, "%s", err.msg);
        CHECK(rec[0] >= 0.995 && rec[1] >= 0.995, "max rule through flat: index recall %.4f %.4f",
              rec[0], rec[1]);
        /* Excluded items never come back; the rest is the exact top-k. */
        int32_t excl[3] = {5, 0, 17}, top[10], top2[10];
        float sc[10], sc2[10];
        CHECK(tt_index_mv_topk(&ie, &mv, Q, 1, 10, excl, 3, top, sc, NULL, &err) == 0, "%s", err.msg);
        CHECK(tt_index_mv_exact_topk(&mv, Q, 1, 10, top2, sc2, &err) == 0, "%s", err.msg);
        int j2 = 0;
        for (int j = 0; j < 10; j++) {
            CHECK(top[j] != 5 && top[j] != 0 && top[j] != 17, "excluded item %d returned", top[j]);
            while (j2 < 10 && (top2[j2] == 5 || top2[j2] == 0 || top2[j2] == 17))
                j2++;
            if (j2 < 10) {
                CHECK(top[j] == top2[j2], "top %d: %d through the index, %d exact", j, top[j],
                      top2[j2]);
                j2++;
            }
        }
        tt_index_free(&ie);
    }
    /* FE: H heads against G vectors per item. */
    float *VG = gauss(&r, (int64_t)n * G, D, 1.0), *QH = gauss(&r, ex->n * H, D, 0.0);
    CHECK(tt_eval_rank_summax_ref(QH, H, VG, G, n, D, &sp, TT_TEST, ref) == 0, "reference");
    tt_index_mv fe = {1, H, NULL, G, D, VG, n};
    tt_indexent ie;
    memset(&ie, 0, sizeof ie);
    ie.p.kind = TT_ANN_FLAT;
    ie.metric = TT_IM_IP;
    CHECK(tt_index_build(&ie, VG, n * G, D, 1, &err) == 0, "%s", err.msg);
    CHECK(tt_index_mv_rank(&ie, &fe, QH, &sp, TT_TEST, n, ri, &err) == 0, "%s", err.msg);
    int64_t bad = 0, found = 0, worse = 0;
    for (int64_t i = 0; i < ex->n; i++)
        bad += ri[i] != ref[i];
    CHECK(bad == 0, "FE asked for every item: %lld of %lld ranks differ from the reference",
          (long long)bad, (long long)ex->n);
    CHECK(tt_index_mv_rank(&ie, &fe, QH, &sp, TT_TEST, 5, ri, &err) == 0, "%s", err.msg);
    for (int64_t i = 0; i < ex->n; i++)
        if (ri[i] <= 5)
            found++, worse += ri[i] > ref[i];
    CHECK(found > 5 && worse == 0, "FE at depth 5: %lld found, %lld ranked below exact",
          (long long)found, (long long)worse);
    int ks[1] = {10};
    double rec;
    CHECK(tt_index_mv_recall(&ie, &fe, QH, 200, ks, 1, &rec, &err) == 0, "%s", err.msg);
    printf("FE through a flat index over %d x %d item vectors: index recall@10 %.4f\n", n, G, rec);
    CHECK(rec > 0.5 && rec <= 1.0, "FE index recall@10 %.4f", rec);
    tt_index_free(&ie);
    free(V), free(Q), free(qn), free(ref), free(ev), free(ri), free(VG), free(QH);
    tt_split_free(&sp);
    tt_dataset_free(&d);
}

int main(void)
{
    test_transform();
    test_flat_equals_exact();
    if (tt_ann_available()) {
        recall_floor(TT_ANN_HNSW, 0, 0.90);
        recall_floor(TT_ANN_IVF, 4, 0.80);
        test_refine();
        test_multi_vector();
    }
    return tt_check_done("test_index");
}

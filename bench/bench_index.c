/* bench_index: queries per second of each Faiss index kind at 95% index
 * recall@10 on 100,000 items x 64 dimensions (clustered, as item vectors
 * are), next to ttlab's own exact top-K (tt_topk_batch: GEMM tiles of
 * queries x items, on one thread and on all) on the same queries.
 * For each kind the search knob is raised until index recall@10 reaches
 * 0.95; the table gives the setting, the recall reached, qps on one thread
 * and on all, and the ratios to the exact search's qps on as many threads,
 * all from this one run, then the run's wall and CPU time and peak memory.
 * BENCH_ITEMS and BENCH_QUERIES change the sizes (1,000,000 items when
 * memory allows: about 0.25 GiB of vectors, twice that with the re-ranked
 * IVF-PQ's copy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "tt_eval.h"
#include "tt_index.h"
#include "tt_rng.h"

static float *clustered(tt_rng *r, int64_t n, int d, int c, const float *cent)
{
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)d);
    if (!x)
        return NULL;
    for (int64_t i = 0; i < n; i++) {
        int k = (int)tt_rng_below(r, (uint32_t)c);
        double s = 0;
        for (int j = 0; j < d; j++) {
            x[i * d + j] = cent[k * d + j] + 0.5f * (float)tt_rng_normal(r);
            s += (double)x[i * d + j] * x[i * d + j];
        }
        for (int j = 0; j < d; j++)   /* normalised, as a sim=cos model's */
            x[i * d + j] = (float)(x[i * d + j] / sqrt(s));
    }
    return x;
}

int main(void)
{
    const int64_t N = atol(envs("BENCH_ITEMS", "100000")), NQ = atol(envs("BENCH_QUERIES", "1000"));
    double wall0 = tt_now(), cpu0 = cpu_seconds();
    enum { D = 64, C = 256, K = 10 };
    if (!tt_ann_available()) {
        printf("bench_index: %s\n", tt_ann_missing());
        return 0;
    }
    tt_rng r;
    tt_rng_seed(&r, 5);
    float *cent = malloc(sizeof(float) * C * D);
    for (int i = 0; i < C * D; i++)
        cent[i] = (float)tt_rng_normal(&r);
    float *V = clustered(&r, N, D, C, cent), *Q = clustered(&r, NQ, D, C, cent);
    if (!V || !Q) {
        printf("bench_index: not enough memory for %lld items\n", (long long)N);
        return 1;
    }
    printf("%lld items x %d dims (%d clusters, normalised), %lld queries, top %d; %d threads\n",
           (long long)N, D, C, (long long)NQ, K, tt_ann_max_threads());
    tt_index_speed ex1, exall;
    tt_err err;
    if (tt_index_exact_speed(Q, NQ, V, (int32_t)N, D, K, 1, &ex1, 0, &err) ||
        tt_index_exact_speed(Q, NQ, V, (int32_t)N, D, K, 0, &exall, 0, &err)) {
        printf("bench_index: exact search failed: %s\n", err.msg);
        return 1;
    }
    printf("%-7s %-28s %9s %10s %10s %9s %9s %10s %9s\n", "kind", "setting", "recall@10", "qps_1",
           "qps", "x exact_1", "x exact", "build_s", "MiB");
    printf("%-7s %-28s %9.4f %10.0f %10.0f %9.2f %9.2f %10s %9.1f\n", "exact", "ttlab tt_topk_batch",
           1.0, ex1.qps, exall.qps, 1.0, 1.0, "-", (double)N * D * 4 / 1048576.0);
    /* The exact top K of every query, once: the reference of every step. */
    int32_t *top = malloc(sizeof(int32_t) * (size_t)NQ * K);
    float *tsc = malloc(sizeof(float) * (size_t)NQ * K);
    if (!top || !tsc || tt_topk_batch(Q, NQ, V, (int32_t)N, D, K, 0, top, tsc, NULL, &err)) {
        printf("bench_index: exact top-K failed\n");
        return 1;
    }
    int nlist = (int)sqrt((double)N);        /* the index command's default */
    struct { enum tt_ann_kind kind; const char *name; } kinds[] = {
        {TT_ANN_FLAT, "flat"}, {TT_ANN_IVF, "ivf"}, {TT_ANN_HNSW, "hnsw"}, {TT_ANN_IVFPQ, "ivfpq"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        tt_indexent ie;
        double row_wall = tt_now(), row_cpu = cpu_seconds();
        memset(&ie, 0, sizeof ie);
        ie.p.kind = kinds[k].kind;
        ie.metric = TT_IM_IP;
        ie.p.nlist = nlist, ie.p.nprobe = 1;
        ie.p.M = 32, ie.p.efConstruction = 40, ie.p.efSearch = 16;
        ie.p.m = D / 2, ie.p.nbits = 8, ie.p.refine = 4;
        if (tt_index_build(&ie, V, (int32_t)N, D, 1, &err)) {
            printf("%-7s build failed: %s\n", kinds[k].name, err.msg);
            continue;
        }
        /* Raise the knob (nprobe or efSearch doubling) until 0.95. */
        int ks[1] = {K}, val = 1, ok = 0;
        double rec = 0;
        char setting[64] = "exact";
        for (int step = 0; step < 14; step++) {
            if (kinds[k].kind == TT_ANN_IVF || kinds[k].kind == TT_ANN_IVFPQ) {
                val = 1 << step;
                if (val > nlist)
                    break;
                tt_ann_set_search(ie.ann, val, 0, 0);
                snprintf(setting, sizeof setting, "nlist=%d nprobe=%d%s", nlist, val,
                         kinds[k].kind == TT_ANN_IVFPQ ? " refine=4" : "");
            } else if (kinds[k].kind == TT_ANN_HNSW) {
                val = 16 << step;
                tt_ann_set_search(ie.ann, 0, val, 0);
                snprintf(setting, sizeof setting, "M=32 efSearch=%d", val);
            }
            if (tt_index_recall_of(&ie, Q, NQ, top, K, ks, 1, &rec, &err)) {
                printf("%-7s search failed: %s\n", kinds[k].name, err.msg);
                break;
            }
            if (rec >= 0.95 || kinds[k].kind == TT_ANN_FLAT) {
                ok = 1;
                break;
            }
        }
        if (kinds[k].kind == TT_ANN_IVFPQ && !ok)
            snprintf(setting, sizeof setting, "m=%d refine=4: not reached", D / 2);
        tt_index_speed one, all;
        tt_index_speed_of(&ie, Q, NQ, K, 1, &one, 0, &err);
        tt_index_speed_of(&ie, Q, NQ, K, 0, &all, 0, &err);
        printf("%-7s %-28s %9.4f %10.0f %10.0f %9.2f %9.2f %10.2f %9.1f%s\n", kinds[k].name, setting,
               rec, one.qps, all.qps, ex1.qps > 0 ? one.qps / ex1.qps : 0,
               exall.qps > 0 ? all.qps / exall.qps : 0, ie.build_s,
               ie.bytes >= 0 ? ie.bytes / 1048576.0 : -1.0, ok ? "" : "  (0.95 not reached)");
        printf("        (this row: %.1f s wall, %.1f s CPU; build %.1f s wall)\n", tt_now() - row_wall,
               cpu_seconds() - row_cpu, ie.build_s);
        tt_index_free(&ie);
    }
    printf("x exact_1: qps on one thread over ttlab's exact top-K on one thread; x exact: both on "
           "%d threads; same queries, this run\n", tt_ann_max_threads());
    printf("run: %.1f s wall, %.1f s CPU (all threads), peak RSS %.0f MiB\n", tt_now() - wall0,
           cpu_seconds() - cpu0, peak_rss_mib());
    free(cent), free(V), free(Q), free(top), free(tsc);
    return 0;
}

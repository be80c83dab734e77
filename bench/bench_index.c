/* bench_index: queries per second of each Faiss index kind at 95% index
 * recall@10 on 100,000 items x 64 dimensions (clustered, as item vectors
 * are), next to ttlab's own exact top-K (tt_topk_batch: GEMM tiles of
 * queries x items, on one thread and on all) on the same queries.
 * For each kind the search knob is raised (doubling, then halving the last
 * step) to the smallest value whose index recall@10 reaches 0.95; the table
 * gives the setting, the recall reached, qps on one thread and on all (wall
 * clock), the CPU microseconds per query on one thread, and the ratios to
 * the exact search by wall clock and by CPU time, all from this one run,
 * then each row's and the run's wall and CPU time and peak memory. The CPU
 * ratio is the one a shared machine cannot spoil.
 * BENCH_ITEMS and BENCH_QUERIES change the sizes; BENCH_KINDS the kinds run
 * (a comma list of flat, ivf, hnsw, ivfpq; all by default); BENCH_HNSW_M and
 * BENCH_EFC the graph's M and efConstruction (its build is the longest step:
 * at 1,000,000 items about 0.25 GiB of vectors, as much again for the graph
 * and for the re-ranked IVF-PQ's copy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "tt_eval.h"
#include "tt_index.h"
#include "tt_rng.h"

enum { D = 64, C = 256, K = 10 };
#define TARGET 0.95

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

typedef struct {
    tt_indexent *ie;
    const float *Q;
    int64_t nq;
    const int32_t *top;
    int searches;     /* recall measurements made */
} tuning;

/* Index recall@K at knob value val (nprobe for the IVF kinds, efSearch for
 * HNSW); -1 when the search failed. */
static double recall_at(tuning *t, int val)
{
    int ks[1] = {K};
    double rec = 0;
    tt_err err;
    int ivf = t->ie->p.kind == TT_ANN_IVF || t->ie->p.kind == TT_ANN_IVFPQ;
    tt_ann_set_search(t->ie->ann, ivf ? val : 0, ivf ? 0 : val, 0);
    t->searches++;
    if (tt_index_recall_of(t->ie, t->Q, t->nq, t->top, K, ks, 1, &rec, &err)) {
        printf("  search failed: %s\n", err.msg);
        return -1;
    }
    return rec;
}

/* The smallest knob value in [lo, hi] reaching TARGET: doubling from lo,
 * then bisecting between the last value below and the first at or above.
 * Leaves the index set to it (or to hi when none reaches it) and returns
 * it; *rec gets its recall, *ok whether it reached TARGET. */
static int tune(tuning *t, int lo, int hi, double *rec, int *ok)
{
    int below = lo - 1, at = lo;
    double r_at = 0;
    *ok = 0;
    for (int v = lo;; v = v * 2 > hi ? hi : v * 2) {
        double r = recall_at(t, v);
        if (r < 0)
            return v;
        r_at = r, at = v;
        if (r >= TARGET) {
            *ok = 1;
            break;
        }
        below = v;
        if (v >= hi)
            break;
    }
    if (!*ok) {
        *rec = r_at;
        return at;
    }
    while (at - below > 1) {
        int mid = below + (at - below) / 2;
        double r = recall_at(t, mid);
        if (r < 0)
            break;
        if (r >= TARGET)
            at = mid, r_at = r;
        else
            below = mid;
    }
    recall_at(t, at);    /* leave the index at the chosen value */
    *rec = r_at;
    return at;
}

int main(void)
{
    const int64_t N = atol(envs("BENCH_ITEMS", "100000")), NQ = atol(envs("BENCH_QUERIES", "1000"));
    const int hnsw_m = atoi(envs("BENCH_HNSW_M", "16")), efc = atoi(envs("BENCH_EFC", "40"));
    double wall0 = tt_now(), cpu0 = cpu_seconds();
    struct { enum tt_ann_kind kind; const char *name; } kinds[] = {
        {TT_ANN_FLAT, "flat"}, {TT_ANN_IVF, "ivf"}, {TT_ANN_HNSW, "hnsw"}, {TT_ANN_IVFPQ, "ivfpq"}};
    /* BENCH_KINDS: the kinds run, every word one of them */
    const size_t nk = sizeof kinds / sizeof kinds[0];
    const char *only = envs("BENCH_KINDS", "flat,ivf,hnsw,ivfpq");
    int run[sizeof kinds / sizeof kinds[0]] = {0};
    for (const char *p = only; *p;) {
        size_t w = strcspn(p, ","), k = 0;
        while (k < nk && (strlen(kinds[k].name) != w || strncmp(p, kinds[k].name, w)))
            k++;
        if (k == nk) {
            printf("bench_index: BENCH_KINDS=%s: '%.*s' is not a kind (flat, ivf, hnsw, ivfpq)\n",
                   only, (int)w, p);
            return 1;
        }
        run[k] = 1;
        p += w + (p[w] == ',');
    }
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
    int nlist = (int)sqrt((double)N);        /* the index command's default */
    printf("%lld items x %d dims (%d clusters, normalised), %lld queries, top %d; %d threads\n",
           (long long)N, D, C, (long long)NQ, K, tt_ann_max_threads());
    printf("settings: IVF and IVF-PQ nlist=%d (sqrt of the items), k-means on Faiss's sample of "
           "at most 256 x nlist = %lld vectors (PQ: 256 x 256 per sub-quantizer), IVF-PQ "
           "m=%d nbits=8 refine=4; HNSW M=%d efConstruction=%d (BENCH_HNSW_M, BENCH_EFC); "
           "each kind's knob (nprobe, efSearch) tuned to the smallest value reaching index "
           "recall@%d %.2f on these queries\n",
           nlist, (long long)TT_MIN((int64_t)256 * nlist, N), D / 2, hnsw_m, efc, K, TARGET);
    fflush(stdout);
    tt_index_speed ex1, exall;
    tt_err err;
    double row_wall = tt_now(), row_cpu = cpu_seconds();
    if (tt_index_exact_speed(Q, NQ, V, (int32_t)N, D, K, 1, &ex1, 0, &err) ||
        tt_index_exact_speed(Q, NQ, V, (int32_t)N, D, K, 0, &exall, 0, &err)) {
        printf("bench_index: exact search failed: %s\n", err.msg);
        return 1;
    }
    /* The exact top K of every query, once: the reference of every step. */
    int32_t *top = malloc(sizeof(int32_t) * (size_t)NQ * K);
    float *tsc = malloc(sizeof(float) * (size_t)NQ * K);
    if (!top || !tsc || tt_topk_batch(Q, NQ, V, (int32_t)N, D, K, 0, top, tsc, NULL, &err)) {
        printf("bench_index: exact top-K failed\n");
        return 1;
    }
    printf("%-6s %-27s %9s %9s %9s %9s %8s %8s %8s %9s %7s\n", "kind", "setting", "recall@10",
           "qps_1", "qps", "cpu_us_1", "x ex_1", "x ex", "x ex_cpu", "build_s", "MiB");
    printf("%-6s %-27s %9.4f %9.0f %9.0f %9.1f %8.2f %8.2f %8.2f %9s %7.1f\n", "exact",
           "ttlab tt_topk_batch", 1.0, ex1.qps, exall.qps, ex1.cpu_us, 1.0, 1.0, 1.0, "-",
           (double)N * D * 4 / 1048576.0);
    printf("       (this row: %.1f s wall, %.1f s CPU)\n", tt_now() - row_wall,
           cpu_seconds() - row_cpu);
    fflush(stdout);
    for (size_t k = 0; k < nk; k++) {
        if (!run[k])
            continue;
        tt_indexent ie;
        row_wall = tt_now(), row_cpu = cpu_seconds();
        memset(&ie, 0, sizeof ie);
        ie.p.kind = kinds[k].kind;
        ie.metric = TT_IM_IP;
        ie.p.nlist = nlist, ie.p.nprobe = 1;
        ie.p.M = hnsw_m, ie.p.efConstruction = efc, ie.p.efSearch = 16;
        ie.p.m = D / 2, ie.p.nbits = 8, ie.p.refine = 4;
        double build_cpu = cpu_seconds();
        if (tt_index_build(&ie, V, (int32_t)N, D, 1, &err)) {
            printf("%-6s build failed: %s\n", kinds[k].name, err.msg);
            continue;
        }
        build_cpu = cpu_seconds() - build_cpu;
        tuning t = {&ie, Q, NQ, top, 0};
        double rec = 1;
        int ok = 1, val = 0;
        char setting[64] = "exact";
        if (kinds[k].kind == TT_ANN_IVF || kinds[k].kind == TT_ANN_IVFPQ) {
            val = tune(&t, 1, nlist, &rec, &ok);
            snprintf(setting, sizeof setting, "nlist=%d nprobe=%d%s", nlist, val,
                     kinds[k].kind == TT_ANN_IVFPQ ? " refine=4" : "");
        } else if (kinds[k].kind == TT_ANN_HNSW) {
            val = tune(&t, 16, 4096, &rec, &ok);
            snprintf(setting, sizeof setting, "M=%d efSearch=%d", hnsw_m, val);
        } else if ((rec = recall_at(&t, 0)) < 0) {
            tt_index_free(&ie);
            continue;
        }
        tt_index_speed one, all;
        tt_index_speed_of(&ie, Q, NQ, K, 1, &one, 0, &err);
        tt_index_speed_of(&ie, Q, NQ, K, 0, &all, 0, &err);
        printf("%-6s %-27s %9.4f %9.0f %9.0f %9.1f %8.2f %8.2f %8.2f %9.2f %7.1f%s\n",
               kinds[k].name, setting, rec, one.qps, all.qps, one.cpu_us,
               ex1.qps > 0 ? one.qps / ex1.qps : 0, exall.qps > 0 ? all.qps / exall.qps : 0,
               one.cpu_us > 0 ? ex1.cpu_us / one.cpu_us : 0, ie.build_s,
               ie.bytes >= 0 ? ie.bytes / 1048576.0 : -1.0, ok ? "" : "  (0.95 not reached)");
        printf("       (this row: %.1f s wall, %.1f s CPU; build %.1f s wall, %.1f s CPU; "
               "%d recall searches while tuning)\n", tt_now() - row_wall, cpu_seconds() - row_cpu,
               ie.build_s, build_cpu, t.searches);
        fflush(stdout);
        tt_index_free(&ie);
    }
    printf("qps_1, qps: queries per second (wall clock) on one thread and on %d; cpu_us_1: CPU "
           "microseconds per query on one thread; x ex_1, x ex: qps over ttlab's exact top-K's "
           "on one thread and on %d; x ex_cpu: exact's CPU per query over the index's (one "
           "thread): same queries, this run\n", tt_ann_max_threads(), tt_ann_max_threads());
    printf("run: %.1f s wall, %.1f s CPU (all threads), peak RSS %.0f MiB\n", tt_now() - wall0,
           cpu_seconds() - cpu0, peak_rss_mib());
    free(cent), free(V), free(Q), free(top), free(tsc);
    return 0;
}

/* tt_index: a model's item vectors in an approximate index (tt_ann), and
 * what ttlab measures through it: the protocol's ranks with the exact
 * evaluator's exclusions, the index's recall against exact top-K, its
 * speed. The inner-product-to-L2 transform for graph indexes lives here. */
#ifndef TT_INDEX_H
#define TT_INDEX_H

#include <stdint.h>

#include "tt_ann.h"
#include "tt_model.h"
#include "tt_split.h"

/* How the model's inner product is searched. IP: the index's inner product
 * on the vectors as encoded (a cos model's are normalised, so this is
 * cosine). L2: squared L2 on the same vectors (the same ranking only when
 * every item vector has the same norm). IP2L2: the transform of Bachrach et
 * al. 2014 (tt_index_ip2l2_*), an L2 search that ranks as the inner product. */
enum tt_index_metric { TT_IM_IP = 0, TT_IM_L2 = 1, TT_IM_IP2L2 = 2,
                       TT_IM_AUTO = 3 /* asked for: the model's (never built) */ };

#define TT_INDEX_SWEEP_MAX 16
/* Queries over which eval and sweep measure index recall and speed (the
 * first ones of the part; every query counts in the protocol's metrics):
 * exact top-K per query is the reference, and it is the slow side. */
#define TT_INDEX_SAMPLE 2000
#define TT_INDEX_QMAX 4096     /* widest vector recommend/similar search with */
/* MRR through an index needs each target's rank among all items: the index
 * is asked for every item (tt_index_rank with kmax = n_items), affordable
 * while examples x items stays within this many cells; beyond it eval
 * index= shows no MRR for the index (ML-100K: 1.6 million; the generated
 * large set: 2.5 billion). */
#define TT_INDEX_MRR_CELLS ((int64_t)1 << 27)

/* One index of the session (`index NAME = MODEL kind=...`). */
typedef struct tt_indexent {
    char name[TT_NAME_MAX];
    char model[TT_NAME_MAX];
    char dataset[TT_NAME_MAX];
    tt_ann_params p;
    enum tt_index_metric metric;
    int d;                      /* the model's vector width (index: d + 1 for IP2L2) */
    int32_t n_items;
    int nv;                     /* vectors per item (an FE model's G: the index holds
                                   n_items x nv rows, tt_index_mv); 0 or 1: one */
    float max_norm;             /* IP2L2: the largest item norm (the M of the transform) */
    uint64_t fingerprint;       /* tt_index_fingerprint of the model when built */
    double build_s;
    int64_t bytes;              /* serialised size, -1 unknown */
    tt_ann *ann;
    /* The last `sweep` (for `plot sweep`): the knob, its values, and the
     * index recall and queries per second (all threads) at each. */
    char sweep_knob[16];
    int sweep_k, n_sweep;
    double sweep_val[TT_INDEX_SWEEP_MAX], sweep_recall[TT_INDEX_SWEEP_MAX],
        sweep_qps[TT_INDEX_SWEEP_MAX];
} tt_indexent;

/* An entry with the defaults of `index`'s options (kind flat, metric auto,
 * nprobe 8, M 16, efSearch 64, efConstruction 40, nbits 8, refine 4 (ivfpq
 * only); nlist and m 0:
 * from the item count and the vector width). */
void tt_indexent_init(tt_indexent *ie);

/* A hash of the model's parameters (and vector width): equal hashes mean
 * the item vectors an index was built from are still the model's. */
uint64_t tt_index_fingerprint(tt_model *m);

/* The transform: items x -> [x, sqrt(M^2 - |x|^2)] with M the largest item
 * norm, queries q -> [q, 0]. Then |q' - x'|^2 = |q|^2 + M^2 - 2 q.x, so L2
 * order on the transformed vectors is inner-product order on the originals.
 * out: (n, d + 1). Returns M. */
float tt_index_ip2l2_items(const float *V, int64_t n, int d, float *out);
void tt_index_ip2l2_queries(const float *Q, int64_t n, int d, float *out);

/* Build ie->ann from item vectors V: (n_items, d) (transformed first for
 * IP2L2; a scratch of n_items x (d + 1) floats is allocated for it), timing
 * the build into ie->build_s and measuring ie->bytes. */
int tt_index_build(tt_indexent *ie, const float *V, int32_t n_items, int d,
                   uint64_t seed, tt_err *err);
void tt_index_free(tt_indexent *ie);

/* Queries as the index takes them: Q (n, d) itself, or transformed into
 * the caller's out (n, d + 1) for IP2L2 (returned). */
const float *tt_index_queries(const tt_indexent *ie, const float *Q, int64_t n,
                              float *out);

/* Ranks of the examples of part p through the index, with the exact
 * evaluator's exclusions (the user's items of the parts before p and the
 * user's other targets in p): the index is asked for kmax + (the user's
 * exclusions) neighbours, the excluded ones are dropped, and the target's
 * position among the rest is its rank when <= kmax; a target not among
 * them gets rank n_items + 1. Qx: queries as the index takes them
 * (tt_index_queries). Memory bounded by batching (a few MiB). */
/* With kmax = n_items every target the index returns at all gets its rank
 * (a flat index: the exact evaluator's ranks, hence its MRR); HNSW then
 * searches with efSearch raised to n_items (Faiss takes the larger). */
int tt_index_rank(tt_indexent *ie, const float *Qx, const tt_split *sp,
                  enum tt_part p, int kmax, int64_t *ranks, tt_err *err);
/* The exclusions of user u for part p: the user's items in parts 0..p (the
 * user's targets in p among them), as counted for the over-fetch, and
 * marked (v = 1) or unmarked (v = 0) in mark (n_items bytes), target t left
 * unmarked. Both return the count. */
int64_t tt_index_excl_count(const tt_split *sp, enum tt_part p, int32_t u);
int64_t tt_index_mark_excl(const tt_split *sp, enum tt_part p, int32_t u, int32_t t, char *mark,
                           char v);

/* Index recall@k for each of ks: the mean over the nq queries of
 * |index top k  &  exact top k| / k, with no exclusion (the index's own
 * quality, apart from the protocol). Q: (nq, d) raw queries, Qx as the
 * index takes them, V the item vectors. rec: (n_k). */
int tt_index_recall(tt_indexent *ie, const float *Q, const float *Qx, int64_t nq,
                    const float *V, const int *ks, int n_k, double *rec,
                    tt_err *err);

/* The same against a given exact top K: exact (nq, K) item rows, best
 * first, -1 padded (tt_topk_batch's output), for callers that measure one
 * index at several settings against one reference (K >= the largest k). */
int tt_index_recall_of(tt_indexent *ie, const float *Qx, int64_t nq, const int32_t *exact,
                       int K, const int *ks, int n_k, double *rec, tt_err *err);

/* Speed of top-k search over the nq queries Qx: queries per second of
 * batched searches on `threads` threads (0 = all; the batch is repeated
 * until it has used 0.25 s of CPU or 2 s of wall clock, at most 100 times),
 * and, when latency is set, the per-query latency percentiles p50 and p99
 * (milliseconds, one query at a time on one thread) of at most 2,000
 * queries.
 * Wall-clock figures (qps, p50_ms, p99_ms) are what a user waits for, and
 * on a shared machine they also count the time others held the cores. The
 * CPU figures are what the search cost, whatever else ran: cpu_us is the
 * CPU time over the same batches divided by the queries answered: on one
 * thread the calling thread's clock (the whole search runs there; other
 * threads' idle spinning is left out), so that on one idle core 1e6 /
 * cpu_us is qps; on several the process's clock (every thread, user and
 * system), the CPU per query summed across the threads, their idle
 * spinning included. cpu_p50_ms is the median of the calling thread's CPU
 * time per single query (the latency loop). */
typedef struct tt_index_speed {
    double qps;
    double p50_ms, p99_ms;
    double cpu_us;
    double cpu_p50_ms;
} tt_index_speed;
int tt_index_speed_of(tt_indexent *ie, const float *Qx, int64_t nq, int k, int threads,
                      tt_index_speed *out, int latency, tt_err *err);
/* The same measures for ttlab's exact top-k: qps of tt_topk_batch (GEMM
 * tiles of queries x items) on `threads` threads (0 = as many as the index
 * searches on, tt_ann_max_threads; with 1, BLAS too runs on one thread
 * meanwhile), and with latency the percentiles of tt_topk one query at a
 * time on one thread. Q: (nq, d) raw queries. */
int tt_index_exact_speed(const float *Q, int64_t nq, const float *V, int32_t n_items, int d,
                         int k, int threads, tt_index_speed *out, int latency, tt_err *err);
/* The timing window both use, for other searches: fn(ctx) answers nq
 * queries a call and is called until it has used 0.25 s of CPU or 2 s of
 * wall clock (at most 100 times); out->qps and out->cpu_us from it, the CPU
 * from the calling thread's clock when one_thread, else the process's. */
typedef int (*tt_index_batch_fn)(void *ctx, tt_err *err);
int tt_index_time_batches(tt_index_batch_fn fn, void *ctx, int64_t nq, int one_thread,
                          tt_index_speed *out, tt_err *err);
/* The latency loop they use: fn(ctx, i) answers query i alone, for each of
 * the first min(2,000, nq) queries, on the calling thread (the caller pins
 * the search to one thread first); out->p50_ms, p99_ms (wall) and
 * cpu_p50_ms (the calling thread's clock) from it. */
typedef int (*tt_index_one_fn)(void *ctx, int64_t i, tt_err *err);
int tt_index_time_queries(tt_index_one_fn fn, void *ctx, int64_t nq, tt_index_speed *out,
                          tt_err *err);

/* ---- Models with several vectors on a side (tt_index_mv.c) ----
 * A multi-interest user tower (K vectors u_k per query; an item scores
 * max_k <u_k, v>) and an FE-Block model (H heads q_h per query, G vectors
 * v_g per item; an item scores sum_h max_g <q_h, v_g>) have no single query
 * vector. Through an index over the item vectors (FE: over all items' G
 * vectors, row j G + g of item j) each active query vector asks the index
 * for its nearest rows; the union of their items is the candidate set,
 * rescored exactly by the model's rule (each inner product summed in double
 * and rounded to float, as the naive references tt_eval_rank_multi_ref and
 * tt_eval_rank_summax_ref do) and ranked best first, ties to the lower item.
 * The max rule is exact through a flat index when each vector asks for
 * want + (the exclusions) rows: an item of the true top `want` is reached
 * through its best vector, above which fewer than that many items score.
 * For summax the index is a candidate generator (an item can score high by
 * the sum without being near any one head): each head asks for (want +
 * exclusions) x G rows, and the index recall against the exact top K says
 * what it misses; asked for every item it ranks exactly. */
typedef struct tt_index_mv {
    int summax;          /* 0: max over the query vectors; 1: FE's sum of maxima */
    int nq;              /* vectors per query (K interests, H heads) */
    const int32_t *qn;   /* (n) active vectors of each query (1..nq), or NULL: all */
    int nv;              /* vectors per item (G for summax, else 1): the index's
                            rows are n_items x nv */
    int d;               /* width of each vector (the index's, before IP2L2) */
    const float *V;      /* (n_items, nv, d): the rescoring's item vectors */
    int32_t n_items;
} tt_index_mv;

/* Ranks of part p's examples through the index with the exact evaluator's
 * exclusions, as tt_index_rank: Q (ex->n, nq, d) raw query vectors (the
 * index's transform is applied here). A target not among the top kmax
 * candidates after exclusion gets n_items + 1. Memory bounded by batching
 * (about 8 MiB and n_items bytes). */
int tt_index_mv_rank(tt_indexent *ie, const tt_index_mv *mv, const float *Q, const tt_split *sp,
                     enum tt_part p, int kmax, int64_t *ranks, tt_err *err);
/* Top k items of each of n queries Q (n, nq, d) through the index, the
 * items of excl (n_excl, any order; may be NULL) left out for every query:
 * items/scores (n, k) best first, padded with -1 / NaN; count (n, may be
 * NULL) the number found. Scores by the model's rule as above. The index
 * searches on the threads tt_ann_set_threads last set. */
int tt_index_mv_topk(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t n, int k,
                     const int32_t *excl, int64_t n_excl, int32_t *items, float *scores,
                     int *count, tt_err *err);
/* The exact top k over every item by the same rule (scores from tt_gemm in
 * tiles of 1,024 items, so they may differ from the rescoring's in the last
 * bit), no exclusions: the reference of the index recall. */
int tt_index_mv_exact_topk(const tt_index_mv *mv, const float *Q, int64_t n, int k,
                           int32_t *items, float *scores, tt_err *err);
/* Index recall@k for each of ks over the n queries: |index top k & exact
 * top k| / k averaged, no exclusions (tt_index_recall's measure). */
int tt_index_mv_recall(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t n,
                       const int *ks, int n_k, double *rec, tt_err *err);
/* Queries per second and CPU per query of top-k for the n queries Q on
 * `threads` threads (1 or 0 = all): through ie, or with ie NULL the exact
 * top-k above (BLAS on one thread when threads is 1); with latency also
 * p50/p99 and cpu_p50_ms of one query at a time (all its vectors: the
 * index asked once per vector, the union rescored) on one thread. */
int tt_index_mv_speed(tt_indexent *ie, const tt_index_mv *mv, const float *Q, int64_t n, int k,
                      int threads, tt_index_speed *out, int latency, tt_err *err);

#endif

/* tt_ann: approximate nearest-neighbour indexes over item vectors, behind a
 * plain C interface and an opaque handle. The one implementation is Faiss
 * (tt_ann_faiss.cpp, C++, built when configure finds libfaiss); without it
 * tt_ann_none.c gives the same functions, each failing with a message that
 * names the Debian package. Nothing else in ttlab knows Faiss is C++. */
#ifndef TT_ANN_H
#define TT_ANN_H

#include <stdint.h>
#include "tt_util.h"

enum tt_ann_kind { TT_ANN_FLAT = 0, TT_ANN_IVF = 1, TT_ANN_HNSW = 2, TT_ANN_IVFPQ = 3 };
/* The distance the index itself searches by: inner product (larger is
 * nearer) or squared L2 (smaller is nearer). */
enum tt_ann_metric { TT_ANN_IP = 0, TT_ANN_L2 = 1 };

typedef struct tt_ann_params {
    enum tt_ann_kind kind;
    enum tt_ann_metric metric;
    int nlist, nprobe;                 /* IVF, IVF-PQ */
    int M, efSearch, efConstruction;   /* HNSW */
    int m, nbits;                      /* IVF-PQ: sub-quantizers, bits each */
    int refine;                        /* IVF-PQ: 0, or re-rank refine * k candidates of
                                          the codes by exact distance (Faiss ",RFlat":
                                          the full vectors are kept beside the codes) */
} tt_ann_params;

typedef struct tt_ann tt_ann;          /* opaque */

/* 1 when ttlab was built with Faiss. */
int tt_ann_available(void);
/* Why an index cannot be used in this build ("" when it can). */
const char *tt_ann_missing(void);

/* Build an index of n vectors of dimension d (X: (n, d), row i has id i),
 * training it first when the kind needs it (IVF: k-means with seed).
 * Returns 0 and *out, or -1 with *err set (parameters the kind cannot take,
 * Faiss's own refusal, no memory). X is not kept. */
int tt_ann_build(const tt_ann_params *p, const float *X, int64_t n, int d,
                 uint64_t seed, tt_ann **out, tt_err *err);
void tt_ann_free(tt_ann *a);

/* Search-time knobs: nprobe (IVF kinds, the re-ranked IVF-PQ's base index
 * included), efSearch (HNSW) and refine (a re-ranked IVF-PQ's candidates
 * per result, k_factor); a value <= 0 leaves the knob as it is; a knob the
 * index does not have is ignored. */
void tt_ann_set_search(tt_ann *a, int nprobe, int efSearch, int refine);

/* k nearest ids for each of nq queries Q: (nq, d) into ids: (nq, k) and
 * dist: (nq, k), nearest first, in the index's metric (IP: larger first).
 * Missing results (fewer than k reachable) have id -1. Runs on the threads
 * set by tt_ann_set_threads. Returns 0, or -1 with *err set. */
int tt_ann_search(tt_ann *a, const float *Q, int64_t nq, int k, float *dist,
                  int64_t *ids, tt_err *err);

/* Threads of later searches and builds (OpenMP; a search splits its
 * queries over them, BLAS single-threaded); 0 = all cores. */
void tt_ann_set_threads(int n);
int tt_ann_max_threads(void);

/* Bytes of the index as serialised (the memory it takes, to within the
 * allocator's overhead); -1 when it cannot be measured. */
int64_t tt_ann_bytes(const tt_ann *a);
/* Write the index in Faiss's own file format (readable by faiss.read_index)
 * to path, as is (the caller writes to a temporary name and renames). */
int tt_ann_write(const tt_ann *a, const char *path, tt_err *err);

#endif

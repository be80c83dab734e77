/* tt_ann_faiss: the tt_ann interface over Faiss's C++ API (index_factory,
 * search, write_index). The only C++ file of ttlab: Debian's libfaiss-dev
 * ships the C API's headers but not its compiled symbols, so this file is
 * the C API ttlab needs. No exception leaves it: each becomes a tt_err. */
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <faiss/Index.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <omp.h>   /* libgomp or libomp, whichever Faiss links with */

extern "C" {
#include "tt_ann.h"
#include "tt_blas.h"
#include "tt_par.h"
}

struct tt_ann {
    faiss::Index *ix;
    tt_ann_params p;
};

static int fail(tt_err *err, const char *what, const std::exception &e)
{
    /* Faiss messages carry a long "Error in ... at file:line:" prefix; keep
     * the reason after the last ": " of its first line. */
    std::string m = e.what();
    size_t nl = m.find('\n');
    if (nl != std::string::npos)
        m = m.substr(0, nl);
    size_t c = m.rfind("': ");
    if (c != std::string::npos)
        m = m.substr(c + 3);
    return tt_err_set(err, "%s: %s", what, m.c_str());
}

extern "C" int tt_ann_available(void) { return 1; }
extern "C" const char *tt_ann_missing(void) { return ""; }

extern "C" int tt_ann_build(const tt_ann_params *p, const float *X, int64_t n, int d,
                            uint64_t seed, tt_ann **out, tt_err *err)
{
    char desc[64];
    switch (p->kind) {
    case TT_ANN_FLAT: snprintf(desc, sizeof desc, "Flat"); break;
    case TT_ANN_IVF: snprintf(desc, sizeof desc, "IVF%d,Flat", p->nlist); break;
    case TT_ANN_HNSW: snprintf(desc, sizeof desc, "HNSW%d", p->M); break;
    case TT_ANN_IVFPQ:
        snprintf(desc, sizeof desc, "IVF%d,PQ%dx%d%s", p->nlist, p->m, p->nbits,
                 p->refine > 0 ? ",RFlat" : "");
        break;
    default: return tt_err_set(err, "unknown index kind %d", (int)p->kind);
    }
    tt_ann *a = new (std::nothrow) tt_ann;
    if (!a)
        return tt_err_set(err, "out of memory building an index");
    a->p = *p;
    a->ix = nullptr;
    try {
        a->ix = faiss::index_factory(d, desc, p->metric == TT_ANN_IP ? faiss::METRIC_INNER_PRODUCT
                                                                     : faiss::METRIC_L2);
        if (auto *h = dynamic_cast<faiss::IndexHNSW *>(a->ix))
            h->hnsw.efConstruction = p->efConstruction;
        /* A re-ranked index's training and knobs are its base index's. */
        faiss::Index *base = a->ix;
        if (auto *r = dynamic_cast<faiss::IndexRefine *>(a->ix))
            base = r->base_index;
        if (auto *v = dynamic_cast<faiss::IndexIVF *>(base)) {
            /* Seeded k-means, and no warning on stderr for fewer than
             * 39 points per list: the caller checks nlist <= n. */
            v->cp.seed = (int)(seed & 0x7fffffff);
            v->cp.min_points_per_centroid = 1;
        }
        if (auto *q = dynamic_cast<faiss::IndexIVFPQ *>(base)) {
            q->pq.cp.seed = (int)(seed & 0x7fffffff);
            q->pq.cp.min_points_per_centroid = 1;
            /* Polysemous training (codes ordered for Hamming filtering)
             * costs minutes by simulated annealing and serves nothing here. */
            q->do_polysemous_training = false;
        }
        tt_ann_set_search(a, p->nprobe, p->efSearch, p->refine);
        if (!a->ix->is_trained)
            a->ix->train(n, X);
        a->ix->add(n, X);
    } catch (const std::bad_alloc &) {
        tt_ann_free(a);
        return tt_err_set(err, "out of memory building a %s index of %lld vectors", desc,
                          (long long)n);
    } catch (const std::exception &e) {
        tt_ann_free(a);
        return fail(err, "Faiss refused the index", e);
    }
    *out = a;
    return 0;
}

extern "C" void tt_ann_free(tt_ann *a)
{
    if (!a)
        return;
    delete a->ix;
    delete a;
}

extern "C" void tt_ann_set_search(tt_ann *a, int nprobe, int efSearch, int refine)
{
    /* Faiss 1.7.3's IndexRefine takes no search parameters: the base
     * index's own fields are the knobs (nprobe reaches the IVF-PQ codes). */
    faiss::Index *base = a->ix;
    if (auto *r = dynamic_cast<faiss::IndexRefine *>(a->ix)) {
        base = r->base_index;
        if (refine > 0) {
            r->k_factor = (float)refine;
            a->p.refine = refine;
        }
    }
    if (auto *v = dynamic_cast<faiss::IndexIVF *>(base)) {
        if (nprobe > 0) {
            v->nprobe = (size_t)nprobe;
            a->p.nprobe = nprobe;
        }
    }
    if (auto *h = dynamic_cast<faiss::IndexHNSW *>(a->ix)) {
        if (efSearch > 0) {
            h->hnsw.efSearch = efSearch;
            a->p.efSearch = efSearch;
        }
    }
}

/* A search's queries are split into contiguous slices, one per thread of an
 * OpenMP region of our own, with nested regions off (Faiss's inside it run
 * on one thread each) and BLAS single-threaded. Left to Faiss, a flat search
 * alternates a BLAS product on the calling thread with OpenMP loops, and
 * OpenMP's threads and OpenBLAS's spun against each other (100,000 x 64
 * items, 2,000 queries, 2 cores: about 2,500 queries/s on two threads
 * against 6,300 on one). Faiss switches a flat search to BLAS from 20
 * queries on (distance_compute_blas_threshold): its slices keep at least
 * that many. */
static int ann_threads = 0;   /* tt_ann_set_threads; 0: every core */
enum { FLAT_BLAS_MIN = 20 };  /* Faiss 1.7.3's distance_compute_blas_threshold */

static int search_slice(tt_ann *a, const float *Q, int64_t nq, int k, float *dist, int64_t *ids,
                        tt_err *err)
{
    static_assert(sizeof(faiss::Index::idx_t) == sizeof(int64_t), "Faiss ids are 64-bit");
    try {
        a->ix->search(nq, Q, k, dist, reinterpret_cast<faiss::Index::idx_t *>(ids));
    } catch (const std::bad_alloc &) {
        return tt_err_set(err, "out of memory searching the index");
    } catch (const std::exception &e) {
        return fail(err, "index search failed", e);
    }
    return 0;
}

extern "C" int tt_ann_search(tt_ann *a, const float *Q, int64_t nq, int k, float *dist,
                             int64_t *ids, tt_err *err)
{
    int want = ann_threads > 0 ? ann_threads : omp_get_num_procs();
    int64_t slices = a->p.kind == TT_ANN_FLAT ? nq / FLAT_BLAS_MIN : nq;
    int parts = (int)TT_MAX(TT_MIN(slices, (int64_t)want), 1);
    int keep = tt_blas_get_threads(), levels = omp_get_max_active_levels(), failed = 0;
    if (parts > 1)
        tt_blas_par_begin(parts);
    else if (want == 1)
        tt_blas_set_threads(1);   /* one thread means one, BLAS's too */
    omp_set_max_active_levels(1);
#pragma omp parallel num_threads(parts)
    {
        const int t = omp_get_thread_num(), n = omp_get_num_threads();
        long q0, q1;
        tt_err e;
        tt_par_range((long)nq, t, n, &q0, &q1);
        if (q1 > q0 && search_slice(a, Q + q0 * a->ix->d, q1 - q0, k, dist + q0 * k,
                                    ids + q0 * k, &e)) {
#pragma omp critical(tt_ann_search_err)
            if (!failed++)
                *err = e;
        }
    }
    omp_set_max_active_levels(levels);
    if (parts > 1)
        tt_blas_par_end(parts);
    else if (want == 1)
        tt_blas_set_threads(keep);
    return failed ? -1 : 0;
}

extern "C" void tt_ann_set_threads(int n)
{
    ann_threads = n > 0 ? n : 0;
    omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
}

extern "C" int tt_ann_max_threads(void) { return omp_get_num_procs(); }

extern "C" int64_t tt_ann_bytes(const tt_ann *a)
{
    try {
        faiss::VectorIOWriter w;
        faiss::write_index(a->ix, &w);
        return (int64_t)w.data.size();
    } catch (const std::exception &) {
        return -1;
    }
}

extern "C" int tt_ann_write(const tt_ann *a, const char *path, tt_err *err)
{
    try {
        faiss::write_index(a->ix, path);
    } catch (const std::exception &e) {
        return fail(err, path, e);
    }
    return 0;
}

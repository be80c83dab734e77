/* tt_dist: the ranks of an MPI job (tt_dist.h). With HAVE_MPI the
 * collectives are MPI calls that only move data (all-to-all, all-gather,
 * broadcast); every sum is done here in rank order so that the result does
 * not depend on the library's algorithm. Without HAVE_MPI nothing of MPI is
 * compiled: one rank, collectives return at once. */
#include "config.h"
#include "tt_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MPI
#include <limits.h>
#include <mpi.h>
#include <unistd.h>
#endif

static int g_rank = 0, g_size = 1;
static tt_dist_stats g_st;

void tt_dist_range(int64_t n, int r, int size, int64_t *lo, int64_t *hi)
{
    *lo = n * r / size;
    *hi = n * (r + 1) / size;
}

static int g_local;

int tt_dist_rank(void) { return g_local ? 0 : g_rank; }
int tt_dist_size(void) { return g_local ? 1 : g_size; }
void tt_dist_set_local(int on) { g_local = on; }

void tt_dist_stats_get(tt_dist_stats *st) { *st = g_st; }
void tt_dist_stats_reset(void) { memset(&g_st, 0, sizeof g_st); }

const char *tt_dist_kind_name(int kind)
{
    static const char *names[TT_COLL_KINDS] = {"allgather", "reduce_scatter", "allreduce",
                                               "rows", "small"};
    return kind >= 0 && kind < TT_COLL_KINDS ? names[kind] : "?";
}

#ifndef HAVE_MPI

int tt_dist_init(int *argc, char ***argv, tt_err *err)
{
    (void)argc, (void)argv, (void)err;
    return 0;
}
void tt_dist_finalize(void) {}
int tt_dist_built(void) { return 0; }
int tt_dist_in_job(void) { return 0; }
const char *tt_dist_info(void) { return "no MPI (build with ./configure --with-mpi)"; }
int tt_dist_gather_ranges(void *x, int64_t n, size_t elem, tt_err *err)
{
    (void)x, (void)n, (void)elem, (void)err;
    return 0;
}
int tt_dist_gather_parts(void *x, int64_t lo, int64_t hi, size_t elem, tt_err *err)
{
    (void)x, (void)lo, (void)hi, (void)elem, (void)err;
    return 0;
}
int tt_dist_sum_f32(float *x, int64_t n, tt_err *err)
{
    (void)x, (void)n, (void)err;
    return 0;
}
int tt_dist_sum_f64(double *x, int n, tt_err *err)
{
    (void)x, (void)n, (void)err;
    return 0;
}
int tt_dist_reduce_rows_f32(float *x, int64_t rows, int cols, tt_err *err)
{
    (void)x, (void)rows, (void)cols, (void)err;
    return 0;
}
int tt_dist_sum_rows(float *G, int cols, const int32_t *rows, int64_t nr, tt_err *err)
{
    (void)G, (void)cols, (void)rows, (void)nr, (void)err;
    return 0;
}
int tt_dist_max_int(int v) { return v; }
int tt_dist_first_rank(int v) { return v ? 0 : -1; }
int tt_dist_bcast(void *buf, size_t n, int root, tt_err *err)
{
    (void)buf, (void)n, (void)root, (void)err;
    return 0;
}
void tt_dist_die(const char *msg)
{
    fprintf(stderr, "ttlab: error: %s\n", msg);
    exit(1);
}

#else /* HAVE_MPI */

static int g_mpi;        /* MPI_Init was called */

/* Scratch of the collectives, grown on demand and kept: training calls the
 * same sizes every step, so only the first step allocates. */
static char *g_buf;
static size_t g_cap;
static int g_errfd = 2;  /* the job's standard error, kept on every rank */
static int *g_cnt;       /* (4 * size) counts and displacements */

static void *scratch(size_t bytes, tt_err *err)
{
    if (bytes <= g_cap)
        return g_buf;
    char *b = realloc(g_buf, bytes);
    if (!b) {
        tt_err_set(err, "out of memory for the MPI exchange buffers (%zu bytes)", bytes);
        return NULL;
    }
    g_buf = b;
    g_cap = bytes;
    return g_buf;
}

/* The accounting of one collective (tt_dist_stats): coll_begin before it,
 * coll_end after it with its kind, the vector's bytes n, the bytes this
 * rank sent and the MPI calls made. */
static double g_t0, g_c0;

static void coll_begin(void)
{
    g_t0 = tt_now();
    g_c0 = tt_cpu_now();
}

static void coll_end(int kind, double n, double sent, int calls)
{
    g_st.seconds += tt_now() - g_t0;
    g_st.cpu += tt_cpu_now() - g_c0;
    g_st.bytes += sent;
    g_st.calls += calls;
    g_st.kind_bytes[kind] += n;
    g_st.kind_calls[kind]++;
}

static int started_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int tt_dist_init(int *argc, char ***argv, tt_err *err)
{
    if (!started_by_mpirun())
        return 0;
    int prov;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &prov) != MPI_SUCCESS)
        return tt_err_set(err, "MPI_Init failed");
    g_mpi = 1;
    g_errfd = dup(STDERR_FILENO);   /* main sends ranks > 0's stderr to /dev/null */
    if (g_errfd < 0)
        g_errfd = STDERR_FILENO;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_cnt = calloc((size_t)g_size * 4, sizeof *g_cnt);
    if (!g_cnt)
        return tt_err_set(err, "out of memory");
    return 0;
}

void tt_dist_finalize(void)
{
    if (g_mpi)
        MPI_Finalize();
    g_mpi = 0;
    free(g_buf);
    free(g_cnt);
    g_buf = NULL;
    g_cnt = NULL;
    g_cap = 0;
}

int tt_dist_built(void) { return 1; }
int tt_dist_in_job(void) { return g_mpi; }

const char *tt_dist_info(void)
{
    static char buf[MPI_MAX_LIBRARY_VERSION_STRING + 32];
    if (!g_mpi)
        return "MPI, 1 rank (not started by mpirun)";
    char ver[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(ver, &len);
    ver[strcspn(ver, ",\n")] = 0;
    snprintf(buf, sizeof buf, "%s, %d rank%s", ver, g_size, g_size == 1 ? "" : "s");
    return buf;
}

static int too_big(int64_t n, tt_err *err)
{
    if (n > INT_MAX)
        return tt_err_set(err, "MPI exchange of %lld elements: more than MPI's int counts", (long long)n);
    return 0;
}

int tt_dist_gather_ranges(void *x, int64_t n, size_t elem, tt_err *err)
{
    if (tt_dist_size() == 1)
        return 0;
    int *cnt = g_cnt, *dsp = g_cnt + g_size;
    for (int r = 0; r < g_size; r++) {
        int64_t lo, hi;
        tt_dist_range(n, r, g_size, &lo, &hi);
        if (too_big(hi * (int64_t)elem, err))
            return -1;
        cnt[r] = (int)((hi - lo) * (int64_t)elem);
        dsp[r] = (int)(lo * (int64_t)elem);
    }
    coll_begin();
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, cnt, dsp, MPI_BYTE, MPI_COMM_WORLD);
    coll_end(TT_COLL_ALLGATHER, (double)n * (double)elem, (double)cnt[g_rank] * (g_size - 1), 1);
    return 0;
}

int tt_dist_gather_parts(void *x, int64_t lo, int64_t hi, size_t elem, tt_err *err)
{
    if (tt_dist_size() == 1)
        return 0;
    int64_t part[2] = {lo, hi}, *all = scratch((size_t)g_size * sizeof part, err);
    if (!all)
        return -1;
    coll_begin();
    MPI_Allgather(part, 2, MPI_INT64_T, all, 2, MPI_INT64_T, MPI_COMM_WORLD);
    int *cnt = g_cnt, *dsp = g_cnt + g_size;
    for (int r = 0; r < g_size; r++) {
        if (too_big(all[2 * r + 1] * (int64_t)elem, err))
            return -1;
        cnt[r] = (int)((all[2 * r + 1] - all[2 * r]) * (int64_t)elem);
        dsp[r] = (int)(all[2 * r] * (int64_t)elem);
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, cnt, dsp, MPI_BYTE, MPI_COMM_WORLD);
    coll_end(TT_COLL_ALLGATHER, (double)all[2 * g_size - 1] * (double)elem,
             (double)cnt[g_rank] * (g_size - 1), 2);
    return 0;
}

/* The reduce-scatter under tt_dist_sum_f32 and tt_dist_reduce_rows_f32: x
 * holds rows rows of cols floats; rank r's rows (tt_dist_range) become the
 * sum over the ranks, in rank order. Leaves the send counts and
 * displacements (in floats) in g_cnt[0..2N) for an all-gather after it. */
static int reduce_scatter(float *x, int64_t rows, int cols, tt_err *err)
{
    if (too_big(rows * (int64_t)cols, err))
        return -1;
    const int N = g_size;
    int *cnt = g_cnt, *dsp = g_cnt + N, *rcnt = g_cnt + 2 * N, *rdsp = g_cnt + 3 * N;
    int64_t lo, hi;
    tt_dist_range(rows, g_rank, N, &lo, &hi);
    const int mine = (int)((hi - lo) * cols);
    float *in = scratch((size_t)N * (size_t)(mine + 1) * sizeof(float), err);
    if (!in)
        return -1;
    /* Segment r of everyone's x goes to rank r (send counts), and rank r
     * receives N copies of its own segment, one per rank, in rank order. */
    for (int r = 0; r < N; r++) {
        int64_t a, b;
        tt_dist_range(rows, r, N, &a, &b);
        cnt[r] = (int)((b - a) * cols);
        dsp[r] = (int)(a * cols);
        rcnt[r] = mine;
        rdsp[r] = r * mine;
    }
    MPI_Alltoallv(x, cnt, dsp, MPI_FLOAT, in, rcnt, rdsp, MPI_FLOAT, MPI_COMM_WORLD);
    /* The sum of the segment, rank 0 first. */
    float *seg = x + lo * cols;
    memcpy(seg, in, (size_t)mine * sizeof(float));
    for (int r = 1; r < N; r++) {
        const float *restrict p = in + (size_t)r * mine;
        for (int i = 0; i < mine; i++)
            seg[i] += p[i];
    }
    return 0;
}

int tt_dist_reduce_rows_f32(float *x, int64_t rows, int cols, tt_err *err)
{
    if (tt_dist_size() == 1 || rows == 0)
        return 0;
    int64_t lo, hi;
    tt_dist_range(rows, g_rank, g_size, &lo, &hi);
    coll_begin();
    if (reduce_scatter(x, rows, cols, err))
        return -1;
    coll_end(TT_COLL_REDUCE_SCATTER, (double)rows * cols * sizeof(float),
             (double)(rows - (hi - lo)) * cols * sizeof(float), 1);
    return 0;
}

int tt_dist_sum_f32(float *x, int64_t n, tt_err *err)
{
    if (tt_dist_size() == 1 || n == 0)
        return 0;
    int64_t lo, hi;
    tt_dist_range(n, g_rank, g_size, &lo, &hi);
    coll_begin();
    if (reduce_scatter(x, n, 1, err))
        return -1;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, g_cnt, g_cnt + g_size, MPI_FLOAT,
                   MPI_COMM_WORLD);
    coll_end(TT_COLL_ALLREDUCE, (double)n * sizeof(float),
             (double)(n - (hi - lo)) * sizeof(float) + (double)(hi - lo) * sizeof(float) * (g_size - 1), 2);
    return 0;
}

int tt_dist_sum_f64(double *x, int n, tt_err *err)
{
    if (tt_dist_size() == 1 || n == 0)
        return 0;
    double *all = scratch((size_t)g_size * (size_t)n * sizeof(double), err);
    if (!all)
        return -1;
    coll_begin();
    MPI_Allgather(x, n, MPI_DOUBLE, all, n, MPI_DOUBLE, MPI_COMM_WORLD);
    for (int i = 0; i < n; i++) {
        double s = all[i];
        for (int r = 1; r < g_size; r++)
            s += all[(size_t)r * n + i];
        x[i] = s;
    }
    coll_end(TT_COLL_SMALL, (double)n * sizeof(double), (double)n * sizeof(double) * (g_size - 1), 1);
    return 0;
}

static int row_zero(const float *g, int cols)
{
    for (int j = 0; j < cols; j++)
        if (g[j] != 0.0f)
            return 0;
    return 1;
}

int tt_dist_sum_rows(float *G, int cols, const int32_t *rows, int64_t nr, tt_err *err)
{
    if (tt_dist_size() == 1 || nr == 0)
        return 0;
    const int N = g_size;
    const size_t rec = sizeof(int32_t) + (size_t)cols * sizeof(float);   /* (index, row) */
    if (too_big((int64_t)(nr * (int64_t)rec) * N, err))
        return -1;
    /* own pairs first in the scratch, everyone's after them */
    size_t own_max = (size_t)nr * rec;
    char *buf = scratch(own_max * (size_t)(N + 1), err);
    if (!buf)
        return -1;
    char *own = buf, *all = buf + own_max;
    int nown = 0;
    for (int64_t i = 0; i < nr; i++) {
        float *g = G + (size_t)rows[i] * cols;
        if (row_zero(g, cols))
            continue;
        char *p = own + (size_t)nown * rec;
        int32_t idx = (int32_t)i;
        memcpy(p, &idx, sizeof idx);
        memcpy(p + sizeof idx, g, (size_t)cols * sizeof(float));
        nown++;
    }
    int *cnt = g_cnt, *dsp = g_cnt + N;
    coll_begin();
    MPI_Allgather(&nown, 1, MPI_INT, cnt, 1, MPI_INT, MPI_COMM_WORLD);
    int64_t tot = 0;
    for (int r = 0; r < N; r++) {
        dsp[r] = (int)(tot * (int64_t)rec);
        tot += cnt[r];
        cnt[r] = (int)((size_t)cnt[r] * rec);
    }
    MPI_Allgatherv(own, (int)((size_t)nown * rec), MPI_BYTE, all, cnt, dsp, MPI_BYTE,
                   MPI_COMM_WORLD);
    coll_end(TT_COLL_ROWS, (double)tot * (double)rec,
             (double)nown * (double)rec * (N - 1) + sizeof(int) * (N - 1), 2);
    for (int64_t i = 0; i < nr; i++)
        memset(G + (size_t)rows[i] * cols, 0, (size_t)cols * sizeof(float));
    /* rank order: the gathered records are rank 0's, then rank 1's, ... */
    for (int64_t k = 0; k < tot; k++) {
        const char *p = all + (size_t)k * rec;
        int32_t idx;
        memcpy(&idx, p, sizeof idx);
        float *restrict g = G + (size_t)rows[idx] * cols;
        const float *src = (const float *)(const void *)(p + sizeof idx);
        for (int j = 0; j < cols; j++) {
            float v;
            memcpy(&v, src + j, sizeof v);   /* records are not float-aligned */
            g[j] += v;
        }
    }
    return 0;
}

int tt_dist_max_int(int v)
{
    if (tt_dist_size() == 1)
        return v;
    int out;
    coll_begin();
    MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    coll_end(TT_COLL_SMALL, sizeof(int), sizeof(int), 1);
    return out;
}

int tt_dist_first_rank(int v)
{
    if (tt_dist_size() == 1)
        return v ? 0 : -1;
    int mine = v ? g_rank : INT_MAX, out;
    coll_begin();
    MPI_Allreduce(&mine, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    coll_end(TT_COLL_SMALL, sizeof(int), sizeof(int), 1);
    return out == INT_MAX ? -1 : out;
}

int tt_dist_bcast(void *buf, size_t n, int root, tt_err *err)
{
    if (tt_dist_size() == 1)
        return 0;
    if (too_big((int64_t)n, err))
        return -1;
    coll_begin();
    MPI_Bcast(buf, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
    coll_end(TT_COLL_SMALL, (double)n, g_rank == root ? (double)n : 0, 1);
    return 0;
}

void tt_dist_die(const char *msg)
{
    if (g_mpi && g_size > 1) {
        dprintf(g_errfd, "ttlab: rank %d: error: %s\n", g_rank, msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    fprintf(stderr, "ttlab: error: %s\n", msg);
    exit(1);
}

#endif /* HAVE_MPI */

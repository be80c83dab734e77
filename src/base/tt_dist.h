/* tt_dist: the ranks of an MPI job behind one small interface, so that the
 * engine calls the same functions whether ttlab was built with MPI
 * (./configure --with-mpi) or not. Without MPI, or when the program was not
 * started by mpirun, there is one rank and every collective is a no-op.
 *
 * Rules every caller relies on:
 *  - Collectives (everything below tt_dist_size) must be called by every rank
 *    in the same order with the same sizes; a rank that skips one hangs the
 *    job, so a rank-local error inside a collective section ends the job
 *    with tt_dist_die (a message naming the rank, exit status 1).
 *  - Sums are deterministic: each element is added in rank order
 *    0, 1, ..., N-1, whatever the timing or the MPI library's algorithm, and
 *    every rank receives the same bits. (MPI_Allreduce promises neither for
 *    floats: its reduction order may differ between ranks and message sizes.)
 *  - The split of n things over the ranks is tt_dist_range: contiguous,
 *    rank r holds [n r / N, n (r + 1) / N). */
#ifndef TT_DIST_H
#define TT_DIST_H

#include <stddef.h>
#include <stdint.h>
#include "tt_util.h"

/* Join the MPI job when the program was started by mpirun (Open MPI's
 * OMPI_COMM_WORLD_SIZE or PMIx's PMIX_RANK in the environment); otherwise,
 * and in a build without MPI, one rank. Call once, first thing in main.
 * Returns 0, or -1 with a message when MPI refused to start. */
int tt_dist_init(int *argc, char ***argv, tt_err *err);
/* Leave the job (every rank, at exit). */
void tt_dist_finalize(void);
int tt_dist_rank(void);           /* 0 without MPI */
int tt_dist_size(void);           /* 1 without MPI */
/* on != 0: this process acts alone (rank 0 of 1) until called with 0; the
 * tests train a one-process reference inside an MPI job with it. */
void tt_dist_set_local(int on);
int tt_dist_built(void);          /* 1 when built with MPI */
/* "Open MPI v4.1.4, 2 ranks", or "no MPI (build with ./configure --with-mpi)"
 * or "MPI, 1 rank (not started by mpirun)". */
const char *tt_dist_info(void);

/* Rank r's part [*lo, *hi) of n things split over size ranks. */
void tt_dist_range(int64_t n, int r, int size, int64_t *lo, int64_t *hi);

/* ---- collectives ---- */

/* x holds n elements of elem bytes; on entry rank r has filled its range
 * (tt_dist_range(n, r, N)); on return every rank holds all n. */
int tt_dist_gather_ranges(void *x, int64_t n, size_t elem, tt_err *err);
/* The same with the parts chosen by the caller: rank r has filled
 * elements [lo, hi) of x, the ranks' parts follow each other in rank order
 * and cover x (rank 0's lo is 0, the last rank's hi is x's length). */
int tt_dist_gather_parts(void *x, int64_t lo, int64_t hi, size_t elem, tt_err *err);
/* x (n) <- the sum over ranks of x, in rank order, identical on every rank
 * (a reduce-scatter by segments then an all-gather: 2 (N-1)/N of n floats
 * sent and received per rank). */
int tt_dist_sum_f32(float *x, int64_t n, tt_err *err);
/* Reduce-scatter by rows: x holds rows rows of cols floats on every rank;
 * on return rank r's rows (tt_dist_range(rows, r, N)) hold the sum over
 * the ranks of those rows, added in rank order (the same bits whatever the
 * timing); the other rows are left as they were. (N-1)/N of the rows sent
 * and received per rank. */
int tt_dist_reduce_rows_f32(float *x, int64_t rows, int cols, tt_err *err);
/* The same for a few doubles (losses, counts, metric sums). */
int tt_dist_sum_f64(double *x, int n, tt_err *err);
/* Sparse sum of a table's gradient G (rows of cols floats): rows[0..nr) are
 * the candidate rows, the same list on every rank (the rows the global batch
 * touched). Each rank sends the (index, row) pairs of its candidates that
 * are not all zero (deduplicated: the list has each row once) to all
 * (MPI_Allgatherv); every rank then sets each candidate row to the sum of
 * the rows received, in rank order. Same bits as tt_dist_sum_f32 over the
 * whole table (adding a zero row changes nothing). Rows not in the list are
 * left as they are (zero, in training). */
int tt_dist_sum_rows(float *G, int cols, const int32_t *rows, int64_t nr, tt_err *err);
/* The largest v over the ranks. */
int tt_dist_max_int(int v);
/* Which rank is the lowest with v != 0, or -1 when none. */
int tt_dist_first_rank(int v);
/* n bytes of buf from rank root to every rank. */
int tt_dist_bcast(void *buf, size_t n, int root, tt_err *err);

/* End the whole job from one rank: "ttlab: rank R: error: MSG" on stderr,
 * then MPI_Abort with status 1 (exit(1) without MPI). For errors after which
 * the ranks can no longer meet in the same collective. */
void tt_dist_die(const char *msg) __attribute__((noreturn));

/* 1 when this process is one rank of an MPI job (started by mpirun, one
 * rank included); 0 alone. */
int tt_dist_in_job(void);

/* Communication counted since the last reset: bytes this rank sent (what
 * the algorithms above move; the library's own headers not counted), calls,
 * and the seconds (wall, waiting for slower ranks included) and CPU seconds
 * (this process; Open MPI polls while it waits) spent inside collectives.
 * By kind, for the cost model (bench/mpi_model.awk): calls and the bytes of
 * the whole vector each call combines (n, not what this rank sent; a
 * gather's result, a sum's input), which for a fixed global batch does not
 * depend on the number of ranks. */
enum {
    TT_COLL_ALLGATHER,       /* tt_dist_gather_*: tower outputs, eval ranks */
    TT_COLL_REDUCE_SCATTER,  /* tt_dist_reduce_rows_f32: the loss's item-side gradients */
    TT_COLL_ALLREDUCE,       /* tt_dist_sum_f32: dense gradients (reduce-scatter + all-gather) */
    TT_COLL_ROWS,            /* tt_dist_sum_rows: (row, gradient) pairs, all-gatherv */
    TT_COLL_SMALL,           /* a few numbers: losses, flags, counts (latency only) */
    TT_COLL_KINDS
};
/* "allgather", "reduce_scatter", "allreduce", "rows", "small" */
const char *tt_dist_kind_name(int kind);
typedef struct tt_dist_stats {
    double bytes;
    double seconds;
    double cpu;
    int64_t calls;
    double kind_bytes[TT_COLL_KINDS];
    int64_t kind_calls[TT_COLL_KINDS];
} tt_dist_stats;
void tt_dist_stats_get(tt_dist_stats *st);
void tt_dist_stats_reset(void);

#endif

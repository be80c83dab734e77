/* tt_train_dist: the gradient exchange of data-parallel training over the
 * ranks of an MPI job (tt_dist.h). After a step's backward pass each rank
 * holds the gradients of its share of the batch's rows (tt_model_set_dist);
 * tt_train_dist_reduce replaces them by their sum over the ranks, the same
 * bits on every rank, so every rank's optimizer (lazy Adam included) makes
 * the same update from the same state.
 *
 * Dense tensors (MLP, SENet, cross, FM parameters) are packed into one
 * buffer and summed (tt_dist_sum_f32). Embedding tables are summed either
 * densely (the whole table in the same sum) or sparsely (the rows the
 * global batch touched, as deduplicated (row, gradient) pairs,
 * tt_dist_sum_rows). The two give the same bits; which one is used is
 * measured: steps 1-3 dense, 4-6 sparse (the first of each a warm-up), then
 * the faster of the two on rank 0, broadcast. TTLAB_DIST_EXCHANGE=dense or
 * sparse fixes the choice (tests, benchmarks). */
#ifndef TT_TRAIN_DIST_H
#define TT_TRAIN_DIST_H

#include <stdint.h>
#include "tt_model.h"

enum { TT_XCH_TRYING = 0, TT_XCH_DENSE = 1, TT_XCH_SPARSE = 2 };

typedef struct tt_train_dist {
    tt_model *m;
    int on;               /* more than one rank: the exchange runs */
    int lazy;             /* the caller updates touched rows only (keeps the marks) */
    float *pack;          /* (n_dense) the dense tensors' gradients, packed */
    int64_t n_dense;
    int mode;             /* TT_XCH_*: chosen, or still measuring */
    int forced;           /* fixed by TTLAB_DIST_EXCHANGE */
    int64_t steps;
    double t_dense, t_sparse;   /* seconds of the timed trial steps */
    double bytes_step;          /* bytes this rank sent in the last step */
    double bytes_grad;          /* in the gradient sums, all steps */
} tt_train_dist;

/* Set up the exchange for m (on = 1 only with more than one rank); turns
 * row tracking on (the touched rows are the sparse candidates). */
int tt_train_dist_init(tt_train_dist *x, tt_model *m, int lazy, tt_err *err);
void tt_train_dist_free(tt_train_dist *x);
/* Sum the step's gradients over the ranks (a collective). Without lazy
 * updates it also forgets the touched rows. Ends the job (tt_dist_die) when
 * a buffer cannot be had: the other ranks are inside the exchange. */
void tt_train_dist_reduce(tt_train_dist *x);
/* "dense" or "sparse" (or "measuring") for reports. */
const char *tt_train_dist_mode(const tt_train_dist *x);

#endif

/* tt_loss: the training losses, each returning the mean loss over the batch
 * and writing (overwriting, not accumulating) the gradient with respect to the
 * raw similarity scores S, the temperature's 1/T and the 1/B mean included. */
#ifndef TT_LOSS_H
#define TT_LOSS_H

#include <stdint.h>

/* Softmax cross-entropy over rows of S (B, N):
 *   logit_bj = S_bj / temp - logq_bj          (logq may be NULL: 0)
 *   loss = mean_b [ logsumexp_{j not masked} logit_bj - logit_{b,target_b} ]
 * mask (B, N) may be NULL; mask_bj = 1 removes j from row b's softmax (used
 * for accidental hits; never set it on the target). dS gets 0 where masked.
 * Full softmax: N = items, target = item index. In-batch: N = B, target_b = b,
 * logq_bj = log q(item_j) (subtracting it is the logQ correction).
 * Sampled: column 0 the row's positive, 1..n shared negatives, target 0.
 * A mask set on the target itself is ignored (the row stays finite). */
double tt_softmax_xent(float *dS, const float *S, int B, int N,
                       const int32_t *target, float temp, const float *logq,
                       const uint8_t *mask);

/* The same for `rows` consecutive rows of a B-row batch (S, dS, target,
 * logq and mask pointing at the first of them): the gradient scale is still
 * 1 / (B temp), and the SUM of the rows' losses is returned. Threads can
 * split a batch by rows with it; tt_softmax_xent is rows = B, divided by B. */
double tt_softmax_xent_rows(float *dS, const float *S, int rows, int N,
                            const int32_t *target, float temp,
                            const float *logq, const uint8_t *mask, int B);

/* A part of each softmax row, for a softmax whose columns are split over
 * processes (the item-sharded full softmax across MPI ranks): for `rows`
 * rows of S (rows, N), logit = S / temp, P (rows, N) gets exp(logit - mx)
 * and st (rows, 3) gets (mx, the sum of P's row, the target's logit or 0
 * when target_b < 0: not in this part). N = 0 gives (-inf, 0, 0). The
 * parts combine into the row's logsumexp as max_r mx_r + log sum_r
 * sum_r exp(mx_r - max). */
void tt_softmax_part_rows(float *P, double *st, const float *S, int rows, int N,
                          const int32_t *target, float temp);

/* Pointwise binary cross-entropy on n scores with labels in {0, 1}:
 *   loss = mean_i [ softplus(x_i) - y_i x_i ],  x_i = S_i / temp */
double tt_bce(float *dS, const float *S, const float *label, long n, float temp);

/* Pairwise BPR: loss = mean_i softplus(-(pos_i - neg_i) / temp) */
double tt_bpr(float *dpos, float *dneg, const float *pos, const float *neg,
              long n, float temp);

/* y[i] = exp(x[i]) for n floats (y == x allowed): the vectorised exp of the
 * softmax, relative error below 2e-7 for x in [-87.3, 88] (clamped
 * outside, so never inf or NaN for finite x). */
void tt_vexpf(float *y, const float *x, long n);

/* DAT's category alignment loss (Yu et al. 2021) over n item vectors
 * x_r = X[rows[r]] (D) with categories cat[r]:
 *   L = w sum_{c != major, n_c >= 2} || C_major - C_c ||_F^2
 *   C_c = 1/(n_c - 1) sum_{r in c} (x_r - mean_c)(x_r - mean_c)^T   (D, D)
 * major: the category with the most rows (the lower id on ties); a category
 * of one row has no covariance and is left out; L = 0 when the major has
 * fewer than 2 rows. dX (may be NULL) ACCUMULATES dL/dx_r at X's rows.
 * scratch: 3 D D + 2 D floats; order: 2 n ints. Returns L. No allocation. */
double tt_catalign(float *dX, const float *X, const int64_t *rows, const int32_t *cat,
                   int n, int D, float w, float *scratch, int32_t *order);

#endif

/* tt_lapack: the LAPACK routines ttlab uses (Cholesky factorisation, inverse
 * and solve of a symmetric positive definite matrix), from the LAPACK that
 * OpenBLAS ships. Row-major storage; the matrices are symmetric, so the
 * row-major upper triangle is LAPACK's column-major lower one. */
#ifndef TT_LAPACK_H
#define TT_LAPACK_H

#include "tt_util.h"

/* A (n, n) symmetric positive definite, row stride lda, full storage in;
 * out: A^-1, full (both triangles written). Returns 0, or -1 with *err set
 * when A is not positive definite (LAPACK's info names the failing minor). */
int tt_spd_inverse(float *A, int n, int lda, tt_err *err);
/* Solves A x = b for nrhs right-hand sides B (nrhs, n) in place, A (n, n)
 * symmetric positive definite; A is overwritten by its Cholesky factor.
 * Returns 0, or -1 with *err set when A is not positive definite. */
int tt_spd_solve(float *A, int n, float *B, int nrhs, tt_err *err);

#endif

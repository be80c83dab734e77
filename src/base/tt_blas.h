/* tt_blas: the one place BLAS is called. Row-major everywhere.
 * C (M, N) = alpha * op(A) (M, K) * op(B) (K, N) + beta * C
 * op(X) = X or X^T as trans_x says; lda/ldb/ldc are row strides as stored. */
#ifndef TT_BLAS_H
#define TT_BLAS_H

void tt_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta,
             float *C, int ldc);
/* Plain-loop reference with double accumulation: the test oracle. */
void tt_gemm_ref(int trans_a, int trans_b, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc);
/* The one BLAS thread policy. The user's thread count (`set threads`,
 * train threads=) is BLAS's outside our own parallel sections. Inside one
 * (a training step on the model's threads, the evaluation's workers) our
 * threads call BLAS concurrently, so BLAS runs single-threaded there. */
void tt_blas_set_threads(int n);   /* the user's count (n >= 1) */
int tt_blas_get_threads(void);     /* the user's count; until set, the default */
/* The default count: OPENBLAS_NUM_THREADS when set, else every online core
 * (what `make bench` runs with on the 2-core build machine). */
int tt_blas_default_threads(void);
/* Threads a parallel section may run: want (<= 0: the user's count), or 1
 * when BLAS's own threading cannot be turned off (a plain CBLAS build,
 * unless OPENBLAS_NUM_THREADS=1 pins it). */
int tt_blas_par_threads(int want);
/* Enter and leave a section of n of our threads: with n > 1, BLAS is
 * single-threaded until the outermost section is left, then has the user's
 * count again. Sections nest (evaluation inside training). */
void tt_blas_par_begin(int n);
void tt_blas_par_end(int n);
/* Build-time description of the BLAS in use ("OpenBLAS 0.3.21 ..."). */
const char *tt_blas_info(void);

#endif

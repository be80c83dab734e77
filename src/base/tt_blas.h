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
/* Threads OpenBLAS may use (n >= 1). */
void tt_blas_set_threads(int n);
int tt_blas_get_threads(void);
/* Build-time description of the BLAS in use ("OpenBLAS 0.3.21 ..."). */
const char *tt_blas_info(void);

#endif

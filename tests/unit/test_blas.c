/* test_blas: tt_gemm against the plain-loop tt_gemm_ref for every transpose
 * combination, odd sizes, padded strides, alpha and beta. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_rng.h"
#include "tt_check.h"


/* One product with op(A) (M, K), op(B) (K, N), C (M, N); each matrix stored
 * with a row stride padded by a few elements whose values must survive. */
static void check(tt_rng *r, int ta, int tb, int M, int N, int K, float alpha,
                  float beta, int pad)
{
    int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    int lda = ac + pad, ldb = bc + pad, ldc = N + pad;
    size_t na = (size_t)ar * lda + 1, nb = (size_t)br * ldb + 1, nc = (size_t)M * ldc + 1;
    float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B);
    float *C = malloc(nc * sizeof *C), *R = malloc(nc * sizeof *R);
    double worst = 0;
    for (size_t i = 0; i < na; i++)
        A[i] = (float)(tt_rng_uniform(r) * 2 - 1);
    for (size_t i = 0; i < nb; i++)
        B[i] = (float)(tt_rng_uniform(r) * 2 - 1);
    for (size_t i = 0; i < nc; i++)
        C[i] = R[i] = (float)(tt_rng_uniform(r) * 2 - 1);
    tt_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    tt_gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) {
            size_t x = (size_t)i * ldc + j;
            double e = fabs((double)C[x] - R[x]);
            if (j >= N && C[x] != R[x]) {
                FAIL("ta=%d tb=%d %dx%dx%d: padding C[%d][%d] overwritten",
                       ta, tb, M, N, K, i, j);
            }
            /* |error| <= K * eps * sum |a||b| <= K * 1.2e-7 * K; loose. */
            if (e > 1e-5 * (K + 1) + 1e-6 * fabs((double)R[x]) && j < N)
                worst = e > worst ? e : worst;
        }
    CHECK(worst == 0, "ta=%d tb=%d %dx%dx%d alpha=%g beta=%g: error %g", ta, tb, M, N, K,
          alpha, beta, worst);
    free(A), free(B), free(C), free(R);
}

int main(void)
{
    static const int sizes[][3] = {{1, 1, 1},  {1, 7, 3},   {5, 1, 9},  {3, 5, 1},
                                   {17, 13, 11}, {33, 65, 31}, {64, 64, 64},
                                   {129, 3, 257}, {7, 300, 32}, {100, 101, 17}};
    tt_rng r;
    int n = 0;
    tt_rng_seed(&r, 42);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                const int *z = sizes[s];
                check(&r, ta, tb, z[0], z[1], z[2], 1.0f, 0.0f, 0);
                check(&r, ta, tb, z[0], z[1], z[2], -0.5f, 1.0f, 3);
                check(&r, ta, tb, z[0], z[1], z[2], 2.0f, 0.25f, 1);
                n += 3;
            }
    /* The reference itself on a case worked by hand:
     * [1 2; 3 4] . [5 6; 7 8] = [19 22; 43 50]; with alpha 2, beta -1, C0 = 1. */
    {
        float A[] = {1, 2, 3, 4}, B[] = {5, 6, 7, 8}, C[] = {1, 1, 1, 1}, D[4];
        float want[] = {37, 43, 85, 99};
        for (int i = 0; i < 4; i++)
            D[i] = C[i];
        tt_gemm_ref(0, 0, 2, 2, 2, 2.0f, A, 2, B, 2, -1.0f, C, 2);
        tt_gemm(0, 0, 2, 2, 2, 2.0f, A, 2, B, 2, -1.0f, D, 2);
        for (int i = 0; i < 4; i++)
            if (C[i] != want[i] || D[i] != want[i]) {
                FAIL("hand case [%d]: ref %g gemm %g want %g", i, C[i], D[i],
                       want[i]);
            }
        /* A^T . B^T = [1 3; 2 4] . [5 7; 6 8] = [23 31; 34 46]. */
        float E[4], want2[] = {23, 31, 34, 46};
        tt_gemm(1, 1, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, E, 2);
        for (int i = 0; i < 4; i++)
            if (E[i] != want2[i]) {
                FAIL("hand case A^T B^T [%d]: %g want %g", i, E[i], want2[i]);
            }
    }
    /* Two threads give the same results. */
    tt_blas_set_threads(2);
    if (tt_blas_get_threads() != 2) {
        FAIL("tt_blas_get_threads %d after set 2", tt_blas_get_threads());
    }
    check(&r, 0, 1, 300, 500, 32, 1.0f, 0.0f, 2);
    /* The thread policy: sections nest, the user's count stays the user's
     * and survives them; a parallel section is one thread on plain CBLAS. */
    int par = tt_blas_par_threads(0);
    if (par != 2 && !(par == 1 && strcmp(tt_blas_info(), "CBLAS") == 0))
        FAIL("tt_blas_par_threads(0) %d with 2 threads set (%s)", par, tt_blas_info());
    if (par == 2 && tt_blas_par_threads(3) != 3)
        FAIL("tt_blas_par_threads(3) %d", tt_blas_par_threads(3));
    tt_blas_par_begin(2);
    tt_blas_par_begin(2);
    check(&r, 1, 0, 77, 130, 19, 1.0f, 0.0f, 1);
    tt_blas_par_end(2);
    tt_blas_set_threads(3);                  /* inside a section: recorded */
    tt_blas_par_end(2);
    if (tt_blas_get_threads() != 3)
        FAIL("tt_blas_get_threads %d after sections and set 3", tt_blas_get_threads());
    tt_blas_par_end(2);                      /* unbalanced: no effect */
    check(&r, 0, 1, 300, 500, 32, 1.0f, 0.0f, 2);
    tt_blas_set_threads(1);
    printf("%d products checked\n", n + 1);
    return tt_check_done("test_blas");
}

/* tt_blas: cblas_sgemm behind one wrapper, with a reference for the tests. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "tt_blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tt_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta,
             float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
}

void tt_gemm_ref(int trans_a, int trans_b, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                float a = trans_a ? A[(long)k * lda + i] : A[(long)i * lda + k];
                float b = trans_b ? B[(long)j * ldb + k] : B[(long)k * ldb + j];
                s += (double)a * b;
            }
            float *c = &C[(long)i * ldc + j];
            *c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
}

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
#endif

static int blas_threads;       /* the user's count; 0 until set: the default */
static int par_depth;          /* open parallel sections of more than one thread */

static void blas_apply(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

void tt_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
    blas_threads = n;
    blas_apply(par_depth > 0 ? 1 : n);
}

int tt_blas_default_threads(void)
{
    const char *obt = getenv("OPENBLAS_NUM_THREADS");
    long n = obt && atoi(obt) > 0 ? atoi(obt) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int tt_blas_get_threads(void) { return blas_threads ? blas_threads : tt_blas_default_threads(); }

int tt_blas_par_threads(int want)
{
    int n = want > 0 ? want : tt_blas_get_threads();
    const char *obt = getenv("OPENBLAS_NUM_THREADS");
    if (strcmp(tt_blas_info(), "CBLAS") == 0 && !(obt && atoi(obt) == 1))
        return 1;
    return n;
}

void tt_blas_par_begin(int n)
{
    if (n > 1 && par_depth++ == 0)
        blas_apply(1);
}

void tt_blas_par_end(int n)
{
    if (n > 1 && par_depth > 0 && --par_depth == 0)
        blas_apply(tt_blas_get_threads());
}

const char *tt_blas_info(void)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    return openblas_get_config();
#else
    return "CBLAS";
#endif
}

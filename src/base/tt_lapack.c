/* tt_lapack: Cholesky (spotrf), inverse (spotri) and solve (spotrs) through
 * the Fortran LAPACK symbols OpenBLAS exports (configure checks for them). */
#include "tt_lapack.h"

#include <stddef.h>

/* Fortran interfaces; the trailing size_t is the hidden length of each
 * character argument (gfortran's calling convention). */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a,
             const int *lda, float *b, const int *ldb, int *info, size_t);

int tt_spd_inverse(float *A, int n, int lda, tt_err *err)
{
    int info = 0;
    /* Row-major upper = column-major 'L'. */
    spotrf_("L", &n, A, &lda, &info, 1);
    if (info > 0)
        return tt_err_set(err, "the matrix is not positive definite (minor %d)", info);
    if (info < 0)
        return tt_err_set(err, "spotrf: bad argument %d", -info);
    spotri_("L", &n, A, &lda, &info, 1);
    if (info != 0)
        return tt_err_set(err, "spotri: the matrix is singular (%d)", info);
    /* Mirror the computed triangle (row-major upper: j >= i) into the other. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            A[(size_t)j * lda + i] = A[(size_t)i * lda + j];
    return 0;
}

int tt_spd_solve(float *A, int n, float *B, int nrhs, tt_err *err)
{
    int info = 0;
    spotrf_("L", &n, A, &n, &info, 1);
    if (info > 0)
        return tt_err_set(err, "the matrix is not positive definite (minor %d)", info);
    if (info < 0)
        return tt_err_set(err, "spotrf: bad argument %d", -info);
    /* B (nrhs, n) row-major is the column-major (n, nrhs) right-hand side. */
    spotrs_("L", &n, &nrhs, A, &n, B, &n, &info, 1);
    if (info != 0)
        return tt_err_set(err, "spotrs: bad argument %d", -info);
    return 0;
}

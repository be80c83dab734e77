/* tt_fe: IntTower's FE-Block score (Li et al., CIKM 2022): H user heads
 * against G item vectors, each head taking its best item vector, the heads'
 * best summed (archersama/IntTower, preprocessing/utils.py, fe_score:
 * (user @ item^T).max(2).sum(1)). The products come from one GEMM per block
 * of users; the maxima are kept (as the index of the winning item vector)
 * for backward, which routes each score's gradient through its winners. */
#include "tt_layers.h"
#include "tt_blas.h"

#include <string.h>

#define FE_ROWS 16   /* users per GEMM block: P stays within a core's cache */

long tt_fe_scratch(int B, int N, int H, int G)
{
    int rb = B < FE_ROWS ? B : FE_ROWS;
    return (long)rb * H * N * G;
}

void tt_fe_forward(float *S, int lds, uint8_t *arg, float *P, const float *Q,
                   const float *V, int B, int N, int H, int G, int d)
{
    const long NG = (long)N * G;
    for (int b0 = 0; b0 < B; b0 += FE_ROWS) {
        int rb = B - b0 < FE_ROWS ? B - b0 : FE_ROWS;
        /* P (rb H, N G) = Q[b0:b0+rb] (rb H, d) . V (N G, d)^T */
        tt_gemm(0, 1, rb * H, (int)NG, d, 1.0f, Q + (long)b0 * H * d, d, V, d, 0.0f, P,
                (int)NG);
        for (int r = 0; r < rb; r++) {
            float *s = S + (long)(b0 + r) * lds;
            uint8_t *a = arg + (long)(b0 + r) * lds * H;
            for (int h = 0; h < H; h++) {
                const float *p = P + ((long)r * H + h) * NG;
                for (int n = 0; n < N; n++) {
                    /* the first vector wins ties; a NaN first vector stays */
                    const float *pn = p + (long)n * G;
                    float best = pn[0];
                    int bg = 0;
                    for (int g = 1; g < G; g++)
                        if (pn[g] > best) {
                            best = pn[g];
                            bg = g;
                        }
                    a[(long)n * H + h] = (uint8_t)bg;
                    s[n] = h ? s[n] + best : best;
                }
            }
        }
    }
}

void tt_fe_backward_q(float *dQ, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *V, int B, int N, int H, int G, int d)
{
    for (int b = 0; b < B; b++) {
        const float *ds = dS + (long)b * lds;
        const uint8_t *a = arg + (long)b * lds * H;
        float *dq = dQ + (long)b * H * d;
        for (int n = 0; n < N; n++) {
            float gs = alpha * ds[n];
            if (gs == 0)
                continue;
            for (int h = 0; h < H; h++) {
                const float *v = V + ((long)n * G + a[(long)n * H + h]) * d;
                float *q = dq + (long)h * d;
                for (int j = 0; j < d; j++)
                    q[j] += gs * v[j];
            }
        }
    }
}

void tt_fe_backward_v(float *dV, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *Q, int B, int N, int H, int G, int d)
{
    for (int b = 0; b < B; b++) {
        const float *ds = dS + (long)b * lds;
        const uint8_t *a = arg + (long)b * lds * H;
        const float *q = Q + (long)b * H * d;
        for (int n = 0; n < N; n++) {
            float gs = alpha * ds[n];
            if (gs == 0)
                continue;
            for (int h = 0; h < H; h++) {
                float *v = dV + ((long)n * G + a[(long)n * H + h]) * d;
                const float *qh = q + (long)h * d;
                for (int j = 0; j < d; j++)
                    v[j] += gs * qh[j];
            }
        }
    }
}

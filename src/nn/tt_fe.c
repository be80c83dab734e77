/* tt_fe: IntTower's FE-Block score (Li et al., CIKM 2022): H user heads
 * against G item vectors, each head taking its best item vector, the heads'
 * best summed (archersama/IntTower, preprocessing/utils.py, fe_score:
 * (user @ item^T).max(2).sum(1)). The products come from G GEMMs (one per
 * item vector) per block of users, the maxima from vector compares; the
 * winners are kept (the index of the item vector) for backward, which routes
 * each score's gradient through them. */
#include "tt_layers.h"
#include "tt_blas.h"

#include <string.h>

#define FE_ROWS 16   /* users per GEMM block: P stays within a core's cache */

long tt_fe_scratch(int B, int N, int H, int G)
{
    int rb = B < FE_ROWS ? B : FE_ROWS;
    return (long)rb * H * N * G;
}

/* 8-float vectors (GCC/clang vector extensions): one AVX register in the
 * x86-64-v3/v4 clones (as tt_loss.c), two SSE ones on the baseline; loads and
 * stores as memcpy (no alignment assumed). No vector crosses a call, so the
 * note about the AVX calling convention does not apply. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunknown-warning-option"
#endif
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(TT_NO_CLONES)
#define FE_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FE_CLONES
#endif
typedef float fe_v4 __attribute__((vector_size(32)));
typedef int32_t fe_i4 __attribute__((vector_size(32)));
#define LD4(x, p) memcpy(&(x), (p), sizeof(x))
#define ST4(p, x) memcpy((p), &(x), sizeof(x))

/* best (n) = max over g of P[g] (n) (rows N apart), the first g kept on ties
 * and NaN, its g into a; s = best (first head) or s += best. */
FE_CLONES
static void head_max(float *s, uint8_t *a, const float *P, long pstride, int N, int G, int first)
{
    int n = 0;
    for (; n + 8 <= N; n += 8) {
        fe_v4 best, x, o;
        LD4(best, P + n);
        fe_i4 ag = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int g = 1; g < G; g++) {
            LD4(x, P + g * pstride + n);
            fe_i4 m = x > best;
            best = (fe_v4)((m & (fe_i4)x) | (~m & (fe_i4)best));
            ag = (m & g) | (~m & ag);
        }
        if (!first) {
            LD4(o, s + n);
            best += o;
        }
        ST4(s + n, best);
        for (int l = 0; l < 8; l++)
            a[n + l] = (uint8_t)ag[l];
    }
    for (; n < N; n++) {
        float best = P[n];
        int bg = 0;
        for (int g = 1; g < G; g++)
            if (P[g * pstride + n] > best) {
                best = P[g * pstride + n];
                bg = g;
            }
        a[n] = (uint8_t)bg;
        s[n] = first ? best : s[n] + best;
    }
}

void tt_fe_forward(float *S, int lds, uint8_t *arg, float *P, const float *Q,
                   const float *V, int B, int N, int H, int G, int d)
{
    for (int b0 = 0; b0 < B; b0 += FE_ROWS) {
        int rb = B - b0 < FE_ROWS ? B - b0 : FE_ROWS;
        long ps = (long)rb * H * N;   /* one item vector's block */
        /* P[g] (rb H, N) = Q[b0:b0+rb] (rb H, d) . V[:, g] (N, d)^T */
        for (int g = 0; g < G; g++)
            tt_gemm(0, 1, rb * H, N, d, 1.0f, Q + (long)b0 * H * d, d, V + (long)g * d, G * d,
                    0.0f, P + g * ps, N);
        for (int r = 0; r < rb; r++)
            for (int h = 0; h < H; h++)
                head_max(S + (long)(b0 + r) * lds, arg + ((long)(b0 + r) * H + h) * lds,
                         P + ((long)r * H + h) * N, ps, N, G, h == 0);
    }
}

/* The backward loops: d-vectors of 8 floats (the head width d a multiple of
 * 8 and a constant in the cases below, so that the loops unroll), since the
 * compiler's own vectoriser leaves these short loops scalar at -O2. Other
 * widths take the generic scalar instance. dQ keeps each head's sum in
 * registers over the items (an update through memory per item waits on the
 * store of the one before). */
#define FE_INLINE static inline __attribute__((always_inline))

FE_INLINE void bq_vec(float *dQ, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *V, int B, int N, int H, int G, const int d)
{
    enum { MAXC = 4 };   /* d / 8 <= MAXC */
    const int c8 = d / 8;
    for (int b = 0; b < B; b++) {
        const float *ds = dS + (long)b * lds;
        for (int h = 0; h < H; h++) {
            const uint8_t *a = arg + ((long)b * H + h) * lds;
            /* two sums (even and odd items): two chains of adds */
            fe_v4 acc[MAXC], ac2[MAXC], x, y;
            for (int c = 0; c < c8; c++)
                acc[c] = ac2[c] = (fe_v4){0, 0, 0, 0, 0, 0, 0, 0};
            int n = 0;
            for (; n + 2 <= N; n += 2) {
                float gs = alpha * ds[n], gt = alpha * ds[n + 1];
                const float *v = V + ((long)n * G + a[n]) * d;
                const float *w = V + ((long)(n + 1) * G + a[n + 1]) * d;
                fe_v4 g8 = {gs, gs, gs, gs, gs, gs, gs, gs};
                fe_v4 t8 = {gt, gt, gt, gt, gt, gt, gt, gt};
                for (int c = 0; c < c8; c++) {
                    LD4(x, v + 8 * c);
                    LD4(y, w + 8 * c);
                    acc[c] += g8 * x;
                    ac2[c] += t8 * y;
                }
            }
            for (; n < N; n++) {
                float gs = alpha * ds[n];
                const float *v = V + ((long)n * G + a[n]) * d;
                fe_v4 g8 = {gs, gs, gs, gs, gs, gs, gs, gs};
                for (int c = 0; c < c8; c++) {
                    LD4(x, v + 8 * c);
                    acc[c] += g8 * x;
                }
            }
            float *q = dQ + ((long)b * H + h) * d;
            for (int c = 0; c < c8; c++) {
                LD4(x, q + 8 * c);
                x += acc[c] + ac2[c];
                ST4(q + 8 * c, x);
            }
        }
    }
}

FE_INLINE void bv_vec(float *dV, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *Q, int B, int N, int H, int G, const int d)
{
    const int c8 = d / 8;
    for (int b = 0; b < B; b++) {
        const float *ds = dS + (long)b * lds;
        const uint8_t *a = arg + (long)b * H * lds;
        const float *q = Q + (long)b * H * d;
        for (int n = 0; n < N; n++) {
            float gs = alpha * ds[n];
            fe_v4 g8 = {gs, gs, gs, gs, gs, gs, gs, gs}, x, y;
            float *vn = dV + (long)n * G * d;
            for (int h = 0; h < H; h++) {
                float *v = vn + a[(long)h * lds + n] * d;
                const float *qh = q + (long)h * d;
                for (int c = 0; c < c8; c++) {
                    LD4(x, v + 8 * c);
                    LD4(y, qh + 8 * c);
                    x += g8 * y;
                    ST4(v + 8 * c, x);
                }
            }
        }
    }
}

static void bq_any(float *dQ, float alpha, const float *dS, int lds, const uint8_t *arg,
                   const float *V, int B, int N, int H, int G, int d)
{
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n++) {
            float gs = alpha * dS[(long)b * lds + n];
            for (int h = 0; h < H; h++) {
                const float *v = V + ((long)n * G + arg[((long)b * H + h) * lds + n]) * d;
                float *q = dQ + ((long)b * H + h) * d;
                for (int j = 0; j < d; j++)
                    q[j] += gs * v[j];
            }
        }
}

static void bv_any(float *dV, float alpha, const float *dS, int lds, const uint8_t *arg,
                   const float *Q, int B, int N, int H, int G, int d)
{
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n++) {
            float gs = alpha * dS[(long)b * lds + n];
            for (int h = 0; h < H; h++) {
                float *v = dV + ((long)n * G + arg[((long)b * H + h) * lds + n]) * d;
                const float *q = Q + ((long)b * H + h) * d;
                for (int j = 0; j < d; j++)
                    v[j] += gs * q[j];
            }
        }
}

FE_CLONES
void tt_fe_backward_q(float *dQ, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *V, int B, int N, int H, int G, int d)
{
    switch (d) {
    case 8: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 8); break;
    case 16: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 16); break;
    case 32: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 32); break;
    default: bq_any(dQ, alpha, dS, lds, arg, V, B, N, H, G, d); break;
    }
}

FE_CLONES
void tt_fe_backward_v(float *dV, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *Q, int B, int N, int H, int G, int d)
{
    switch (d) {
    case 8: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 8); break;
    case 16: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 16); break;
    case 32: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 32); break;
    default: bv_any(dV, alpha, dS, lds, arg, Q, B, N, H, G, d); break;
    }
}

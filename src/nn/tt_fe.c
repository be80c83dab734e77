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

/* 4-float vectors (GCC/clang vector extensions): one SSE register on the
 * x86-64 baseline; loads and stores as memcpy (no alignment assumed) */
typedef float fe_v4 __attribute__((vector_size(16)));
typedef int32_t fe_i4 __attribute__((vector_size(16)));
#define LD4(x, p) memcpy(&(x), (p), sizeof(x))
#define ST4(p, x) memcpy((p), &(x), sizeof(x))

/* best (n) = max over g of P[g] (n) (rows N apart), the first g kept on ties
 * and NaN, its g into a; s = best (first head) or s += best. */
static void head_max(float *s, uint8_t *a, const float *P, long pstride, int N, int G, int first)
{
    int n = 0;
    for (; n + 4 <= N; n += 4) {
        fe_v4 best, x, o;
        LD4(best, P + n);
        fe_i4 ag = {0, 0, 0, 0};
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
        for (int l = 0; l < 4; l++)
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

/* The backward loops: d-vectors as GCC/clang vector extensions (4 floats;
 * the head width d a multiple of 4 in the cases below, a constant so that
 * the loops unroll), since the compiler's own vectoriser leaves these short
 * loops scalar at -O2. Other widths take the generic scalar instance. dQ
 * keeps each head's sum in registers over the items (an update through
 * memory per item waits on the store of the one before). */
#define FE_INLINE static inline __attribute__((always_inline))
FE_INLINE fe_v4 ld4(const float *p)
{
    fe_v4 x;
    memcpy(&x, p, sizeof x);
    return x;
}

FE_INLINE void st4(float *p, fe_v4 x) { memcpy(p, &x, sizeof x); }

FE_INLINE void bq_vec(float *dQ, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *V, int B, int N, int H, int G, const int d)
{
    enum { MAXC = 8 };   /* d / 4 <= MAXC */
    const int c4 = d / 4;
    for (int b = 0; b < B; b++) {
        const float *ds = dS + (long)b * lds;
        for (int h = 0; h < H; h++) {
            const uint8_t *a = arg + ((long)b * H + h) * lds;
            fe_v4 acc[MAXC];
            for (int c = 0; c < c4; c++)
                acc[c] = (fe_v4){0, 0, 0, 0};
            for (int n = 0; n < N; n++) {
                float gs = alpha * ds[n];
                const float *v = V + ((long)n * G + a[n]) * d;
                fe_v4 g4 = {gs, gs, gs, gs};
                for (int c = 0; c < c4; c++)
                    acc[c] += g4 * ld4(v + 4 * c);
            }
            float *q = dQ + ((long)b * H + h) * d;
            for (int c = 0; c < c4; c++)
                st4(q + 4 * c, ld4(q + 4 * c) + acc[c]);
        }
    }
}

FE_INLINE void bv_vec(float *dV, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *Q, int B, int N, int H, int G, const int d)
{
    const int c4 = d / 4;
    for (int b = 0; b < B; b++) {
        const float *ds = dS + (long)b * lds;
        const uint8_t *a = arg + (long)b * H * lds;
        const float *q = Q + (long)b * H * d;
        for (int n = 0; n < N; n++) {
            float gs = alpha * ds[n];
            fe_v4 g4 = {gs, gs, gs, gs};
            float *vn = dV + (long)n * G * d;
            for (int h = 0; h < H; h++) {
                float *v = vn + a[(long)h * lds + n] * d;
                const float *qh = q + (long)h * d;
                for (int c = 0; c < c4; c++)
                    st4(v + 4 * c, ld4(v + 4 * c) + g4 * ld4(qh + 4 * c));
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

void tt_fe_backward_q(float *dQ, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *V, int B, int N, int H, int G, int d)
{
    switch (d) {
    case 4: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 4); break;
    case 8: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 8); break;
    case 16: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 16); break;
    case 32: bq_vec(dQ, alpha, dS, lds, arg, V, B, N, H, G, 32); break;
    default: bq_any(dQ, alpha, dS, lds, arg, V, B, N, H, G, d); break;
    }
}

void tt_fe_backward_v(float *dV, float alpha, const float *dS, int lds, const uint8_t *arg,
                      const float *Q, int B, int N, int H, int G, int d)
{
    switch (d) {
    case 4: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 4); break;
    case 8: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 8); break;
    case 16: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 16); break;
    case 32: bv_vec(dV, alpha, dS, lds, arg, Q, B, N, H, G, 32); break;
    default: bv_any(dV, alpha, dS, lds, arg, Q, B, N, H, G, d); break;
    }
}

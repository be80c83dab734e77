/* tt_fe: IntTower's FE-Block score (Li et al., CIKM 2022): H user heads
 * against G item vectors, each head taking its best item vector, the heads'
 * best summed (archersama/IntTower, preprocessing/utils.py, fe_score:
 * (user @ item^T).max(2).sum(1)). Forward is one fused pass: the item
 * vectors are first laid out by coordinate (VT (G, d, N), items along a row),
 * so that 8 items fill one vector register; each head's products with 64
 * items are summed in registers, compared, and only the sum over heads and
 * the winners (the index of the item vector, for backward) are stored. (The
 * products as a GEMM per item vector wrote and re-read 20 MB per ML-100K
 * batch: that GEMM's zeroing, writes and the max pass were 3/4 of the
 * FE-Block's time.) Backward routes each score's gradient through the
 * winners, dQ's and dV's halves in one pass over them (two passes read the
 * gradient and the winners twice and found each winner's row twice). */
#include "tt_layers.h"

#include <string.h>

/* VT's rows of N items, padded to whole 64-byte lines: a row starting
 * anywhere in a line made most of the forward's 64-byte loads straddle two
 * lines (N = 1682: 7 rows in 8), which halves the loads' rate. */
static long vt_stride(int N)
{
    return ((long)N + 15) / 16 * 16;
}

long tt_fe_scratch(int N, int G, int d)
{
    return (long)G * d * vt_stride(N) + 16;   /* + the shift to a line */
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
#define FE_INLINE static inline __attribute__((always_inline))
/* Loops over a block's registers unrolled whole, so that their arrays of
 * vectors live in registers (-O2 would leave a loop of 8 rolled, and the
 * arrays on the stack). */
#if defined(__clang__)
#define FE_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define FE_UNROLL _Pragma("GCC unroll 8")
#else
#define FE_UNROLL
#endif
typedef float fe_v4 __attribute__((vector_size(32)));
typedef int32_t fe_i4 __attribute__((vector_size(32)));
typedef uint8_t fe_u8 __attribute__((vector_size(8)));
#define LD4(x, p) memcpy(&(x), (p), sizeof(x))
#define ST4(p, x) memcpy((p), &(x), sizeof(x))
#define SPLAT(s) ((fe_v4){(s), (s), (s), (s), (s), (s), (s), (s)})

/* The forward's vectors: 16 floats (one AVX-512 register in the v4 clone,
 * two AVX ones in the v3 clone). */
typedef float fe_w __attribute__((vector_size(64)));
typedef int32_t fe_wi __attribute__((vector_size(64)));
typedef uint8_t fe_w8 __attribute__((vector_size(16)));
#define W 16
#define WSPLAT(s) ((fe_w){(s), (s), (s), (s), (s), (s), (s), (s), \
                          (s), (s), (s), (s), (s), (s), (s), (s)})

/* x[k] = <qh, item vectors of items n + W k ... n + W k + W - 1> from VT's
 * rows of one item vector (d rows ldv apart): NB independent FMA chains. */
FE_INLINE void products(fe_w *x, const float *qh, const float *vt, long ldv, const int d,
                        const int NB)
{
    fe_w y;
    FE_UNROLL
    for (int k = 0; k < NB; k++)
        x[k] = WSPLAT(0.0f);
    for (int j = 0; j < d; j++) {
        fe_w qj = WSPLAT(qh[j]);
        FE_UNROLL
        for (int k = 0; k < NB; k++) {
            LD4(y, vt + (long)j * ldv + W * k);
            x[k] += qj * y;
        }
    }
}

/* x replaces best where it is larger (not on ties, not for NaN), and g the
 * winner there. */
FE_INLINE void keep_max(fe_w *best, fe_wi *ag, fe_w x, int g)
{
    fe_wi m = x > *best;
    *best = (fe_w)((m & (fe_wi)x) | (~m & (fe_wi)*best));
    *ag = (m & g) | (~m & *ag);
}

/* A head's best of W items added to their sums, its winners stored (arg
 * not NULL; g <= 255). */
FE_INLINE void head_done(fe_w *sum, fe_w best, fe_wi ag, uint8_t *arg)
{
    *sum += best;
    fe_w8 a8 = __builtin_convertvector(ag, fe_w8);
    if (arg)
        memcpy(arg, &a8, sizeof a8);
}

/* Items [n, n + W NB) of user row q (H, d): s = sum_h max_g <q_h, v_g>, the
 * winners into arg (H rows lds apart). The first g is kept on ties and NaN
 * (x > best is false). Any G: one item vector's products at a time (NB
 * chains of FMAs). */
FE_INLINE void fwd_block_loop(float *s, uint8_t *arg, long lds, const float *q, long hs,
                              const float *VT, long ldv, int n, int H, int G, const int d,
                              const int NB)
{
    fe_w sum[8], best[8], x[8];
    fe_wi ag[8];
    FE_UNROLL
    for (int k = 0; k < NB; k++)
        sum[k] = WSPLAT(0.0f);   /* 0 + the first head's best: that best (but -0 -> +0) */
    for (int h = 0; h < H; h++) {
        const float *qh = q + h * hs;
        products(best, qh, VT + n, ldv, d, NB);
        FE_UNROLL
        for (int k = 0; k < NB; k++)
            ag[k] = (fe_wi){0};
        for (int g = 1; g < G; g++) {
            products(x, qh, VT + (long)g * d * ldv + n, ldv, d, NB);
            FE_UNROLL
            for (int k = 0; k < NB; k++)
                keep_max(&best[k], &ag[k], x[k], g);
        }
        FE_UNROLL
        for (int k = 0; k < NB; k++)
            head_done(&sum[k], best[k], ag[k], arg ? arg + h * lds + n + W * k : NULL);
    }
    FE_UNROLL
    for (int k = 0; k < NB; k++)
        ST4(s + n + W * k, sum[k]);
}

/* The same for a constant G <= 4: every item vector's products of a head in
 * one pass over its d coordinates, G NB chains of FMAs in flight (one item
 * vector's NB chains left the FMA units waiting on their latency: 4 chains
 * of 4-cycle FMAs where two units want 8). Each product is the same chain of
 * FMAs as in fwd_block_loop, compared in the same order: the same bits. */
FE_INLINE void fwd_block_g(float *s, uint8_t *arg, long lds, const float *q, long hs,
                           const float *VT, long ldv, int n, int H, const int G, const int d,
                           const int NB)
{
    fe_w sum[4], x[4][4], y;
    fe_wi ag[4];
    FE_UNROLL
    for (int k = 0; k < NB; k++)
        sum[k] = WSPLAT(0.0f);
    for (int h = 0; h < H; h++) {
        const float *qh = q + h * hs;
        FE_UNROLL
        for (int g = 0; g < G; g++)
            FE_UNROLL
            for (int k = 0; k < NB; k++)
                x[g][k] = WSPLAT(0.0f);
        for (int j = 0; j < d; j++) {
            fe_w qj = WSPLAT(qh[j]);
            FE_UNROLL
            for (int g = 0; g < G; g++)
                FE_UNROLL
                for (int k = 0; k < NB; k++) {
                    LD4(y, VT + ((long)g * d + j) * ldv + n + W * k);
                    x[g][k] += qj * y;
                }
        }
        FE_UNROLL
        for (int k = 0; k < NB; k++) {
            fe_w best = x[0][k];
            ag[k] = (fe_wi){0};
            FE_UNROLL
            for (int g = 1; g < G; g++)
                keep_max(&best, &ag[k], x[g][k], g);
            head_done(&sum[k], best, ag[k], arg ? arg + h * lds + n + W * k : NULL);
        }
    }
    FE_UNROLL
    for (int k = 0; k < NB; k++)
        ST4(s + n + W * k, sum[k]);
}

FE_INLINE void fwd_block(float *s, uint8_t *arg, long lds, const float *q, long hs,
                         const float *VT, long ldv, int n, int H, int G, const int d,
                         const int NB)
{
    switch (G) {
    case 2: fwd_block_g(s, arg, lds, q, hs, VT, ldv, n, H, 2, d, NB); break;
    case 3: fwd_block_g(s, arg, lds, q, hs, VT, ldv, n, H, 3, d, NB); break;
    case 4: fwd_block_g(s, arg, lds, q, hs, VT, ldv, n, H, 4, d, NB); break;
    default: fwd_block_loop(s, arg, lds, q, hs, VT, ldv, n, H, G, d, NB); break;
    }
}

/* Item n alone, from V itself (same sums, same tie rule). */
static void fwd_one(float *s, uint8_t *arg, long lds, const float *q, long hs, const float *V,
                    int n, int H, int G, int d)
{
    float sum = 0;
    for (int h = 0; h < H; h++) {
        float best = 0;
        int bg = 0;
        for (int g = 0; g < G; g++) {
            const float *v = V + ((long)n * G + g) * d, *qh = q + h * hs;
            float x = 0;
            for (int j = 0; j < d; j++)
                x += qh[j] * v[j];
            if (g == 0 || x > best) {
                best = x;
                bg = g;
            }
        }
        if (arg)
            arg[h * lds + n] = (uint8_t)bg;
        sum += best;
    }
    s[n] = sum;
}

/* Blocks of 4 W items, then of W, then one by one; users inside a block, so
 * that the block's item vectors (G d 4 W floats) are read from the
 * first-level cache by every user. User b's head h at Q + b bs + h hs. */
FE_INLINE void fwd_all(float *S, int lds, uint8_t *arg, const float *VT, long ldv, const float *Q,
                       long bs, long hs, const float *V, int B, int N, int H, int G,
                       const int d)
{
#define FE_ROW(b) S + (long)(b) * lds, arg ? arg + (long)(b) * H * lds : NULL, lds, \
                  Q + (long)(b) * bs, hs
    int n = 0;
    for (; n + 4 * W <= N; n += 4 * W)
        for (int b = 0; b < B; b++)
            fwd_block(FE_ROW(b), VT, ldv, n, H, G, d, 4);
    for (; n + W <= N; n += W)
        for (int b = 0; b < B; b++)
            fwd_block(FE_ROW(b), VT, ldv, n, H, G, d, 1);
    for (; n < N; n++)
        for (int b = 0; b < B; b++)
            fwd_one(FE_ROW(b), V, n, H, G, d);
#undef FE_ROW
}

FE_CLONES
void tt_fe_scores(float *S, int lds, uint8_t *arg, float *VT, const float *Q, long bs, long hs,
                  const float *V, int B, int N, int H, int G, int d)
{
    /* VT (G, d, ldv) = V (N, G, d) by coordinate, from the first 64-byte
     * line boundary of the scratch */
    const long ldv = vt_stride(N);
    VT += (16 - (uintptr_t)VT / sizeof(float) % 16) % 16;
    for (int n = 0; n < N; n++)
        for (int g = 0; g < G; g++)
            for (int j = 0; j < d; j++)
                VT[((long)g * d + j) * ldv + n] = V[((long)n * G + g) * d + j];
    switch (d) {
    case 8: fwd_all(S, lds, arg, VT, ldv, Q, bs, hs, V, B, N, H, G, 8); break;
    case 16: fwd_all(S, lds, arg, VT, ldv, Q, bs, hs, V, B, N, H, G, 16); break;
    case 32: fwd_all(S, lds, arg, VT, ldv, Q, bs, hs, V, B, N, H, G, 32); break;
    default: fwd_all(S, lds, arg, VT, ldv, Q, bs, hs, V, B, N, H, G, d); break;
    }
}

void tt_fe_forward(float *S, int lds, uint8_t *arg, float *VT, const float *Q,
                   const float *V, int B, int N, int H, int G, int d)
{
    tt_fe_scores(S, lds, arg, VT, Q, (long)H * d, d, V, B, N, H, G, d);
}

/* The backward loops: d-vectors of 8 floats (the head width d a multiple of
 * 8, a constant in the common cases so that the loops unroll), since the
 * compiler's own vectoriser leaves these short loops scalar at -O2. Other
 * widths take the scalar loop (back_any). */

/* Items in blocks whose vectors and gradient rows (2 G d floats each) fill
 * about half the first-level cache, so that every user reads them from
 * there. */
static int item_block(int G, int d)
{
    int blk = 2048 / (G * d);
    return blk > 8 ? blk : 8;
}

/* One head of one user over items [n0, n1), both halves in one pass (ds:
 * the user's gradient row, a: the head's winners, q: its row of Q):
 * dq += alpha sum_n ds[n] V[n, a[n]] and dV[n, a[n]] += alpha ds[n] q. The
 * winner's row is found once for both; items innermost, so that consecutive
 * dV updates go to different items (two heads picking the same item vector
 * would chain store -> load); two chains of sums for dq. */
FE_INLINE void back_row(float *dq, float *dV, fe_v4 al, const float *ds, const uint8_t *a,
                        const float *q, const float *V, int n0, int n1, int G, const int d)
{
    enum { MAXC = 4, U = 2 };   /* d / 8 <= MAXC */
    const int c8 = d / 8;
    fe_v4 acc[U][MAXC], qa[MAXC], x;
    FE_UNROLL
    for (int c = 0; c < c8; c++) {
        LD4(x, q + 8 * c);
        qa[c] = al * x;
        FE_UNROLL
        for (int u = 0; u < U; u++)
            acc[u][c] = SPLAT(0.0f);
    }
    int n = n0;
    for (; n < n1; n += U)
        FE_UNROLL
        for (int u = 0; u < U; u++) {
            if (u && n + u >= n1)
                break;
            fe_v4 g8 = SPLAT(ds[n + u]);
            long o = ((long)(n + u) * G + a[n + u]) * d;
            FE_UNROLL
            for (int c = 0; c < c8; c++) {
                LD4(x, V + o + 8 * c);
                acc[u][c] += g8 * x;
                LD4(x, dV + o + 8 * c);
                x += g8 * qa[c];
                ST4(dV + o + 8 * c, x);
            }
        }
    FE_UNROLL
    for (int c = 0; c < c8; c++) {
        LD4(x, dq + 8 * c);
        x += al * (acc[0][c] + acc[1][c]);
        ST4(dq + 8 * c, x);
    }
}

/* One user over items [n0, n1), every head of an item at once (a constant
 * H, H d <= 64: its sums and scaled row in registers): the user's gradient
 * and the item's rows found once for all heads. Two heads that pick the
 * same item vector chain store -> load, but the next item's updates do
 * not wait on them. */
FE_INLINE void back_user(float *dq, float *dV, fe_v4 al, const float *ds, const uint8_t *a,
                         long lda, const float *q, const float *V, int n0, int n1,
                         const int H, int G, const int d)
{
    enum { MAXC = 4, MAXH = 8 };   /* H d / 8 <= MAXH */
    const int c8 = d / 8;
    fe_v4 acc[MAXH][MAXC], qa[MAXH][MAXC], x;
    FE_UNROLL
    for (int h = 0; h < H; h++)
        FE_UNROLL
        for (int c = 0; c < c8; c++) {
            LD4(x, q + h * d + 8 * c);
            qa[h][c] = al * x;
            acc[h][c] = SPLAT(0.0f);
        }
    /* the item's rows by pointers that step, a winner's row by its offset
     * alone (size_t: no sign extension in the loop) */
    const float *vn = V + (size_t)n0 * G * d;
    float *dvn = dV + (size_t)n0 * G * d;
    const size_t Gd = (size_t)G * d;
    for (int n = n0; n < n1; n++, vn += Gd, dvn += Gd) {
        fe_v4 g8 = SPLAT(ds[n]);
        FE_UNROLL
        for (int h = 0; h < H; h++) {
            size_t o = (size_t)a[h * lda + n] * d;
            FE_UNROLL
            for (int c = 0; c < c8; c++) {
                LD4(x, vn + o + 8 * c);
                acc[h][c] += g8 * x;
                LD4(x, dvn + o + 8 * c);
                x += g8 * qa[h][c];
                ST4(dvn + o + 8 * c, x);
            }
        }
    }
    FE_UNROLL
    for (int h = 0; h < H; h++)
        FE_UNROLL
        for (int c = 0; c < c8; c++) {
            LD4(x, dq + h * d + 8 * c);
            x += al * acc[h][c];
            ST4(dq + h * d + 8 * c, x);
        }
}

/* By item blocks whose rows stay in the first-level cache, then users, then
 * heads (back_user when H is a constant it takes, back_row otherwise). */
FE_INLINE void back_vec(float *dQ, float *dV, float alpha, const float *dS, int lds,
                        const uint8_t *arg, const float *Q, const float *V, int B, int N,
                        int H, int G, const int d)
{
    const int blk = item_block(G, d);
    const fe_v4 al = SPLAT(alpha);
    for (int n0 = 0; n0 < N; n0 += blk) {
        int n1 = N - n0 < blk ? N : n0 + blk;
        for (int b = 0; b < B; b++) {
            const float *ds = dS + (long)b * lds, *q = Q + (long)b * H * d;
            const uint8_t *a = arg + (long)b * H * lds;
            float *dq = dQ + (long)b * H * d;
            if (H == 4 && d <= 16)
                back_user(dq, dV, al, ds, a, lds, q, V, n0, n1, 4, G, d);
            else if (H == 2 && d <= 32)
                back_user(dq, dV, al, ds, a, lds, q, V, n0, n1, 2, G, d);
            else if (H == 8 && d == 8)
                back_user(dq, dV, al, ds, a, lds, q, V, n0, n1, 8, G, d);
            else
                for (int h = 0; h < H; h++)
                    back_row(dq + h * d, dV, al, ds, a + h * lds, q + h * d, V, n0, n1, G, d);
        }
    }
}

/* Any width, plain loops. */
static void back_any(float *dQ, float *dV, float alpha, const float *dS, int lds,
                     const uint8_t *arg, const float *Q, const float *V, int B, int N, int H,
                     int G, int d)
{
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n++) {
            float gs = alpha * dS[(long)b * lds + n];
            for (int h = 0; h < H; h++) {
                long qr = ((long)b * H + h) * d;
                long vr = ((long)n * G + arg[((long)b * H + h) * lds + n]) * d;
                for (int j = 0; j < d; j++) {
                    dQ[qr + j] += gs * V[vr + j];
                    dV[vr + j] += gs * Q[qr + j];
                }
            }
        }
}

FE_CLONES
void tt_fe_backward(float *dQ, float *dV, float alpha, const float *dS, int lds,
                    const uint8_t *arg, const float *Q, const float *V, int B, int N, int H,
                    int G, int d)
{
    switch (d) {   /* the widths the vector loops take, a constant each */
    case 8: back_vec(dQ, dV, alpha, dS, lds, arg, Q, V, B, N, H, G, 8); break;
    case 16: back_vec(dQ, dV, alpha, dS, lds, arg, Q, V, B, N, H, G, 16); break;
    case 24: back_vec(dQ, dV, alpha, dS, lds, arg, Q, V, B, N, H, G, 24); break;
    case 32: back_vec(dQ, dV, alpha, dS, lds, arg, Q, V, B, N, H, G, 32); break;
    default: back_any(dQ, dV, alpha, dS, lds, arg, Q, V, B, N, H, G, d); break;
    }
}

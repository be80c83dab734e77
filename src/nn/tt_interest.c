/* tt_interest: multi-interest extraction from a user's history, as layer
 * pairs: ComiRec-SA's self-attention (Cen et al., KDD 2020; THUDM/ComiRec,
 * src/model.py, Model_ComiRec_SA), MIND's behaviour-to-interest dynamic
 * routing with the per-user interest count (Li et al., CIKM 2019), and the
 * interest of each training target: a hard selection (ComiRec) or MIND's
 * label-aware attention. */
/* The per-row loops run over d (or K) of any size: -O2's vectoriser needs
 * its usual cost model here, as in tt_layers.c. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include "tt_layers.h"
#include "tt_reduce.h"
#include "tt_loss.h"
#include "tt_blas.h"
#include "tt_rng.h"

#include <math.h>
#include <string.h>

int tt_interest_count(int n, int K)
{
    /* floor(log2 n) for n >= 1 by shifts: exact, no libm rounding at powers
     * of two (log2(8) must give 3, not 2.9999) */
    int lg = 0;
    while (n >= 2) {
        n >>= 1;
        lg++;
    }
    int k = lg < K ? lg : K;
    return k > 1 ? k : 1;
}

/* ---- ComiRec-SA ---- */

void tt_iattn_forward(float *V, float *P, float *A, const float *H,
                      const int32_t *len, const float *W1, const float *W2,
                      int B, int L, int d, int h, int K)
{
    const int BL = B * L;
    /* P (B*L, h) = H (B*L, d) W1^T (d, h), then tanh */
    tt_gemm(0, 1, BL, h, d, 1.0f, H, d, W1, d, 0.0f, P, h);
    /* tanh x = 1 - 2 / (1 + e^{2x}) through the vectorised exp: libm's
     * tanhf was a third of an epoch (B L h calls per batch) */
    const long nP = (long)BL * h;
    for (long i = 0; i < nP; i++)
        P[i] *= 2.0f;
    tt_vexpf(P, P, nP);
    for (long i = 0; i < nP; i++)
        P[i] = 1.0f - 2.0f / (1.0f + P[i]);
    /* logits A (B*L, K) = P (B*L, h) W2^T (h, K) */
    tt_gemm(0, 1, BL, K, h, 1.0f, P, h, W2, h, 0.0f, A, K);
    for (int b = 0; b < B; b++) {
        float *a = A + (long)b * L * K;        /* (L, K) */
        const float *hb = H + (long)b * L * d; /* (L, d) */
        float *v = V + (long)b * K * d;        /* (K, d) */
        const int n = len[b];
        memset(v, 0, (size_t)K * d * sizeof(float));
        /* softmax over the n real positions for each interest; padding 0 */
        for (int k = 0; k < K; k++) {
            float mx = -INFINITY, s = 0;
            for (int i = 0; i < n; i++)
                mx = a[i * K + k] > mx ? a[i * K + k] : mx;
            for (int i = 0; i < n; i++) {
                a[i * K + k] = expf(a[i * K + k] - mx);
                s += a[i * K + k];
            }
            for (int i = 0; i < n; i++)
                a[i * K + k] /= s;
        }
        for (int i = n; i < L; i++)
            memset(a + i * K, 0, (size_t)K * sizeof(float));
        /* V (K, d) = A^T (K, n) H (n, d) */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < K; k++) {
                float w = a[i * K + k];
                for (int j = 0; j < d; j++)
                    v[k * d + j] += w * hb[i * d + j];
            }
    }
}

void tt_iattn_backward(float *dH, float *dW1, float *dW2, const float *dV,
                       const float *H, const int32_t *len, const float *P,
                       const float *A, const float *W1, const float *W2,
                       int B, int L, int d, int h, int K, float *dS, float *dP)
{
    const int BL = B * L;
    for (int b = 0; b < B; b++) {
        const float *a = A + (long)b * L * K, *hb = H + (long)b * L * d;
        const float *gv = dV + (long)b * K * d;
        float *dh = dH + (long)b * L * d, *ds = dS + (long)b * L * K;
        const int n = len[b];
        memset(ds, 0, (size_t)L * K * sizeof(float));
        /* dA[i, k] = dV[k] . H[i];  dH[i] += sum_k A[i, k] dV[k] */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < K; k++) {
                ds[i * K + k] = dot4(gv + k * d, hb + i * d, d);
                float w = a[i * K + k];
                for (int j = 0; j < d; j++)
                    dh[i * d + j] += w * gv[k * d + j];
            }
        /* softmax over positions: dS[i, k] = A (dA - sum_i' A dA) */
        for (int k = 0; k < K; k++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += (double)a[i * K + k] * ds[i * K + k];
            for (int i = 0; i < n; i++)
                ds[i * K + k] = a[i * K + k] * (ds[i * K + k] - (float)s);
        }
    }
    /* dW2 (K, h) += dS^T (K, B*L) P (B*L, h) */
    tt_gemm(1, 0, K, h, BL, 1.0f, dS, K, P, h, 1.0f, dW2, h);
    /* dP (B*L, h) = dS (B*L, K) W2 (K, h); through tanh: dP *= 1 - P^2 */
    tt_gemm(0, 0, BL, h, K, 1.0f, dS, K, W2, h, 0.0f, dP, h);
    for (long i = 0; i < (long)BL * h; i++)
        dP[i] *= 1.0f - P[i] * P[i];
    /* dW1 (h, d) += dP^T (h, B*L) H (B*L, d); dH (B*L, d) += dP W1 (h, d).
     * Padding rows of dP are 0 (dS is 0 there), so padding gets nothing. */
    tt_gemm(1, 0, h, d, BL, 1.0f, dP, h, H, d, 1.0f, dW1, d);
    tt_gemm(0, 0, BL, d, h, 1.0f, dP, h, W1, d, 1.0f, dH, d);
}

/* ---- MIND's dynamic routing ---- */

void tt_iroute_logits(float *b0, int L, int K)
{
    tt_rng r;
    tt_rng_seed(&r, 0x4d494e44u);   /* "MIND": the same draws in every run */
    for (long i = 0; i < (long)L * K; i++)
        b0[i] = (float)tt_rng_normal(&r);
}

/* u = squash(z) = |z|^2 / (1 + |z|^2) z / |z| = z |z| / (1 + |z|^2) */
static void squash(float *u, const float *z, int d)
{
    float s2 = dot4(z, z, d), s = sqrtf(s2), g = s / (1.0f + s2);
    for (int j = 0; j < d; j++)
        u[j] = g * z[j];
}

/* dz = g(s) du + (z . du) g'(s) / s z,  g(s) = s / (1 + s^2),
 * g'(s) = (1 - s^2) / (1 + s^2)^2 (overwrites dz) */
static void squash_backward(float *dz, const float *du, const float *z, int d)
{
    float s2 = dot4(z, z, d), s = sqrtf(s2);
    float g = s / (1.0f + s2);
    float c = s > 1e-12f ? dot4(z, du, d) * (1.0f - s2) / ((1.0f + s2) * (1.0f + s2) * s) : 0.0f;
    for (int j = 0; j < d; j++)
        dz[j] = g * du[j] + c * z[j];
}

void tt_iroute_forward(float *V, float *C, float *Wr, float *Z, float *U,
                       const float *H, const int32_t *len, const int32_t *kk,
                       const float *S, const float *b0, int B, int L, int d,
                       int K, int T, float *scratch)
{
    /* C (B*L, d) = H (B*L, d) S^T: every behaviour through the shared map
     * (S NULL: the identity, C = H) */
    if (S)
        tt_gemm(0, 1, B * L, d, d, 1.0f, H, d, S, d, 0.0f, C, d);
    else
        memcpy(C, H, (size_t)B * L * d * sizeof(float));
    for (int b = 0; b < B; b++) {
        const float *c = C + (long)b * L * d;
        float *lg = scratch + (long)b * L * K;      /* (L, K) logits b_ij */
        float *v = V + (long)b * K * d;
        const int n = len[b], kb = kk[b];
        memcpy(lg, b0, (size_t)L * K * sizeof(float));
        for (int t = 0; t < T; t++) {
            float *w = Wr + ((long)b * T + t) * L * K;   /* (L, K) */
            float *z = Z + ((long)b * T + t) * K * d;    /* (K, d) */
            float *u = U + ((long)b * T + t) * K * d;
            memset(w, 0, (size_t)L * K * sizeof(float));
            memset(z, 0, (size_t)K * d * sizeof(float));
            memset(u, 0, (size_t)K * d * sizeof(float));
            /* w_i = softmax over the kb active interests of b_i */
            for (int i = 0; i < n; i++) {
                const float *li = lg + i * K;
                float *wi = w + i * K, mx = -INFINITY, s = 0;
                for (int k = 0; k < kb; k++)
                    mx = li[k] > mx ? li[k] : mx;
                for (int k = 0; k < kb; k++) {
                    wi[k] = expf(li[k] - mx);
                    s += wi[k];
                }
                for (int k = 0; k < kb; k++)
                    wi[k] /= s;
            }
            /* z_k = sum_i w_ik c_i;  u_k = squash(z_k) */
            for (int i = 0; i < n; i++)
                for (int k = 0; k < kb; k++) {
                    float wk = w[i * K + k];
                    for (int j = 0; j < d; j++)
                        z[k * d + j] += wk * c[i * d + j];
                }
            for (int k = 0; k < kb; k++)
                squash(u + k * d, z + k * d, d);
            /* b_ik += u_k . c_i */
            if (t < T - 1)
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < kb; k++)
                        lg[i * K + k] += dot4(u + k * d, c + i * d, d);
        }
        memcpy(v, U + ((long)b * T + T - 1) * K * d, (size_t)K * d * sizeof(float));
    }
}

void tt_iroute_backward(float *dH, float *dS, const float *dV, const float *H,
                        const float *C, const float *Wr, const float *Z,
                        const float *U, const int32_t *len, const int32_t *kk,
                        const float *S, int B, int L, int d, int K, int T, float *dC,
                        float *scratch)
{
    for (int b = 0; b < B; b++) {
        const float *c = C + (long)b * L * d;
        float *dc = dC + (long)b * L * d;
        float *db = scratch + (long)b * (L * K + 2 * K * d);   /* (L, K) */
        float *du = db + L * K;                               /* (K, d) */
        float *dz = du + K * d;                               /* (K, d) */
        const int n = len[b], kb = kk[b];
        memset(dc, 0, (size_t)L * d * sizeof(float));
        memset(db, 0, (size_t)L * K * sizeof(float));
        memcpy(du, dV + (long)b * K * d, (size_t)K * d * sizeof(float));
        for (int t = T - 1; t >= 0; t--) {
            const float *w = Wr + ((long)b * T + t) * L * K;
            const float *z = Z + ((long)b * T + t) * K * d;
            for (int k = 0; k < kb; k++)
                squash_backward(dz + k * d, du + k * d, z + k * d, d);
            /* z_k = sum_i w_ik c_i: dc_i += w_ik dz_k; dw_ik = dz_k . c_i;
             * the softmax turns dw into the logits' gradient, added to what
             * the later iterations sent back through b^{t+1} = b^t + ... */
            for (int i = 0; i < n; i++) {
                const float *wi = w + i * K;
                float dw[TT_IROUTE_MAXK];
                double sw = 0;
                for (int k = 0; k < kb; k++) {
                    dw[k] = dot4(dz + k * d, c + i * d, d);
                    sw += (double)wi[k] * dw[k];
                    for (int j = 0; j < d; j++)
                        dc[i * d + j] += wi[k] * dz[k * d + j];
                }
                for (int k = 0; k < kb; k++)
                    db[i * K + k] += wi[k] * (dw[k] - (float)sw);
            }
            if (t == 0)
                break;   /* b^0 is a constant */
            /* b^t = b^{t-1} + c_i . u^{t-1}_k: du^{t-1}_k = sum_i db_ik c_i,
             * dc_i += sum_k db_ik u^{t-1}_k (db passes on to b^{t-1} as is) */
            const float *up = U + ((long)b * T + t - 1) * K * d;
            memset(du, 0, (size_t)K * d * sizeof(float));
            for (int i = 0; i < n; i++)
                for (int k = 0; k < kb; k++) {
                    float g = db[i * K + k];
                    for (int j = 0; j < d; j++) {
                        du[k * d + j] += g * c[i * d + j];
                        dc[i * d + j] += g * up[k * d + j];
                    }
                }
        }
    }
    /* C = H S^T: dS (d, d) += dC^T (d, B*L) H (B*L, d); dH += dC S
     * (S NULL: C = H, dH += dC) */
    if (!S) {
        for (long i = 0; i < (long)B * L * d; i++)
            dH[i] += dC[i];
        return;
    }
    tt_gemm(1, 0, d, d, B * L, 1.0f, dC, d, H, d, 1.0f, dS, d);
    tt_gemm(0, 0, B * L, d, d, 1.0f, dC, d, S, d, 1.0f, dH, d);
}

/* ---- the interest of each training target ---- */

void tt_interest_pick_forward(float *out, int32_t *sel, const float *I,
                              const int32_t *kk, const float *T, int ldt,
                              const int64_t *trow, int B, int K, int D)
{
    for (int b = 0; b < B; b++) {
        const float *ib = I + (long)b * K * D, *t = T + trow[b] * (long)ldt;
        const int kb = kk ? kk[b] : K;
        int best = 0;
        float bs = dot4(ib, t, D);
        for (int k = 1; k < kb; k++) {
            float s = dot4(ib + k * D, t, D);
            if (s > bs) {
                bs = s;
                best = k;
            }
        }
        sel[b] = best;
        memcpy(out + (long)b * D, ib + best * D, (size_t)D * sizeof(float));
    }
}

void tt_interest_pick_backward(float *dI, const float *dout, const int32_t *sel,
                               int B, int K, int D)
{
    for (int b = 0; b < B; b++) {
        float *g = dI + ((long)b * K + sel[b]) * D;
        const float *s = dout + (long)b * D;
        for (int j = 0; j < D; j++)
            g[j] += s[j];
    }
}

void tt_interest_attend_forward(float *out, float *aw, const float *I, const int32_t *kk,
                                const float *T, int ldt, const int64_t *trow, float p, int B,
                                int K, int D)
{
    for (int b = 0; b < B; b++) {
        const float *ib = I + (long)b * K * D, *t = T + trow[b] * (long)ldt;
        float *a = aw + (long)b * K, *o = out + (long)b * D, mx = -INFINITY, s = 0;
        const int kb = kk ? kk[b] : K;
        for (int k = 0; k < kb; k++) {
            a[k] = p * dot4(ib + k * D, t, D);
            mx = a[k] > mx ? a[k] : mx;
        }
        for (int k = 0; k < kb; k++) {
            a[k] = expf(a[k] - mx);
            s += a[k];
        }
        memset(o, 0, (size_t)D * sizeof(float));
        for (int k = 0; k < K; k++) {
            if (k >= kb) {
                a[k] = 0;
                continue;
            }
            a[k] /= s;
            for (int j = 0; j < D; j++)
                o[j] += a[k] * ib[k * D + j];
        }
    }
}

void tt_interest_attend_backward(float *dI, float *dT, const float *dout, const float *aw,
                                 const float *I, const int32_t *kk, const float *T, int ldt,
                                 const int64_t *trow, float p, int B, int K, int D)
{
    for (int b = 0; b < B; b++) {
        const float *ib = I + (long)b * K * D, *t = T + trow[b] * (long)ldt;
        const float *a = aw + (long)b * K, *g = dout + (long)b * D;
        float *di = dI + (long)b * K * D, *dt = dT + trow[b] * (long)ldt, gk[TT_MI_PICK_MAXK];
        const int kb = kk ? kk[b] : K;
        double gm = 0;
        /* out = sum_k a_k I_k, a = softmax(p s), s_k = I_k . t:
         * ds_k = p a_k (g . I_k - sum_k' a_k' g . I_k') */
        for (int k = 0; k < kb; k++) {
            gk[k] = dot4(g, ib + k * D, D);
            gm += (double)a[k] * gk[k];
        }
        for (int k = 0; k < kb; k++) {
            const float ds = p * a[k] * (gk[k] - (float)gm);
            for (int j = 0; j < D; j++) {
                di[k * D + j] += a[k] * g[j] + ds * t[j];
                dt[j] += ds * ib[k * D + j];
            }
        }
    }
}

/* tt_layers: dense, ReLU, L2 normalisation, FM (vector form) and DCN cross
 * layers as forward/backward pairs (embeddings in tt_embed.c, SENet in
 * tt_senet.c). */
/* GCC's -O2 vectorises only loops whose trip count is a known multiple of
 * the vector width; these element-wise loops run over k or D of any size,
 * so the vectoriser gets its usual cost model here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include "tt_layers.h"
#include "tt_reduce.h"
#include "tt_blas.h"

#include <math.h>
#include <string.h>

/* ---- Dense ---- */

void tt_dense_forward(float *out, const float *inp, const float *W,
                      const float *b, int B, int I, int O)
{
    /* out (B, O) = b broadcast, then out += inp (B, I) W^T (I, O) */
    for (int r = 0; r < B; r++) {
        if (b)
            memcpy(out + (long)r * O, b, sizeof(float) * O);
        else
            memset(out + (long)r * O, 0, sizeof(float) * O);
    }
    tt_gemm(0, 1, B, O, I, 1.0f, inp, I, W, I, 1.0f, out, O);
}

void tt_dense_backward(float *dinp, float *dW, float *db, const float *dout,
                       const float *inp, const float *W, int B, int I, int O)
{
    /* dW (O, I) += dout^T (O, B) inp (B, I) */
    tt_gemm(1, 0, O, I, B, 1.0f, dout, O, inp, I, 1.0f, dW, I);
    /* db (O) += sum_b dout[b] */
    if (db)
        for (int r = 0; r < B; r++) {
            const float *g = dout + (long)r * O;
            for (int o = 0; o < O; o++)
                db[o] += g[o];
        }
    /* dinp (B, I) += dout (B, O) W (O, I) */
    if (dinp)
        tt_gemm(0, 0, B, I, O, 1.0f, dout, O, W, I, 1.0f, dinp, I);
}

/* ---- ReLU ---- */

void tt_relu_forward(float *out, const float *inp, long n)
{
    for (long i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

/* the derivative at 0 is taken as 0 (out == 0 there) */
void tt_relu_backward(float *dinp, const float *dout, const float *out, long n)
{
    for (long i = 0; i < n; i++)
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

/* ---- L2 normalisation ---- */

/* Below this norm the row is divided by TT_L2_EPS instead (as torch's
 * F.normalize): a zero row stays zero, never NaN. */
#define TT_L2_EPS 1e-12f

void tt_l2norm_forward(float *out, float *norm, const float *inp, int B, int D)
{
    for (int r = 0; r < B; r++) {
        const float *x = inp + (long)r * D;
        float *y = out + (long)r * D;
        float n = sqrtf(dot4(x, x, D));
        norm[r] = n;
        float inv = 1.0f / (n > TT_L2_EPS ? n : TT_L2_EPS);
        for (int j = 0; j < D; j++)
            y[j] = x[j] * inv;
    }
}

/* y = x / n:  dx = (dy - y (y . dy)) / n;  in the clamped region y = x / eps
 * is linear: dx = dy / eps. */
void tt_l2norm_backward(float *dinp, const float *dout, const float *out,
                        const float *norm, int B, int D)
{
    for (int r = 0; r < B; r++) {
        const float *y = out + (long)r * D, *g = dout + (long)r * D;
        float *dx = dinp + (long)r * D;
        if (norm[r] > TT_L2_EPS) {
            float dot = dot4(y, g, D);
            float inv = 1.0f / norm[r];
            for (int j = 0; j < D; j++)
                dx[j] += (g[j] - y[j] * dot) * inv;
        } else {
            for (int j = 0; j < D; j++)
                dx[j] += g[j] / TT_L2_EPS;
        }
    }
}

/* ---- FM, vector form ---- */

void tt_fm_forward(float *out, const float *E, int B, int f, int k)
{
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * f * k;
        float *o = out + (long)r * k;
        for (int j = 0; j < k; j++) {
            float s = 0, q = 0;
            for (int i = 0; i < f; i++) {
                float v = e[i * k + j];
                s += v;
                q += v * v;
            }
            o[j] = 0.5f * (s * s - q);
        }
    }
}

/* d out_j / d e_ij = s_j - e_ij */
void tt_fm_backward(float *dE, const float *dout, const float *E, int B,
                    int f, int k)
{
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * f * k;
        float *de = dE + (long)r * f * k;
        const float *g = dout + (long)r * k;
        for (int j = 0; j < k; j++) {
            float s = 0;
            for (int i = 0; i < f; i++)
                s += e[i * k + j];
            for (int i = 0; i < f; i++)
                de[i * k + j] += g[j] * (s - e[i * k + j]);
        }
    }
}

/* ---- DCN cross layers ---- */

void tt_cross_forward(float *xs, float *pre, const float *x0, const float *W,
                      const float *b, int B, int D, int L)
{
    long BD = (long)B * D;
    memcpy(xs, x0, sizeof(float) * BD);
    for (int l = 0; l < L; l++) {
        const float *xl = xs + l * BD;
        float *xn = xs + (l + 1) * BD, *p = pre + l * BD;
        const float *Wl = W + (long)l * D * D, *bl = b + (long)l * D;
        for (int r = 0; r < B; r++)
            memcpy(p + (long)r * D, bl, sizeof(float) * D);
        /* pre_l (B, D) += x_l (B, D) W_l^T (D, D) */
        tt_gemm(0, 1, B, D, D, 1.0f, xl, D, Wl, D, 1.0f, p, D);
        for (long i = 0; i < BD; i++)
            xn[i] = x0[i] * p[i] + xl[i];
    }
}

/* With g = dL/dx_{l+1} and t = g * x0:
 *   dx0 += g * pre_l,  db_l += sum_b t,  dW_l += t^T x_l,
 *   dL/dx_l = g + t W_l;  at the end x_0 is x0 itself: dx0 += dL/dx_0. */
void tt_cross_backward(float *dx0, float *dW, float *db, const float *dout,
                       const float *xs, const float *pre, const float *W,
                       int B, int D, int L, float *scratch)
{
    long BD = (long)B * D;
    float *g = scratch, *t = scratch + BD;   /* (B, D) each */
    const float *x0 = xs;
    memcpy(g, dout, sizeof(float) * BD);
    for (int l = L - 1; l >= 0; l--) {
        const float *xl = xs + l * BD, *p = pre + l * BD;
        const float *Wl = W + (long)l * D * D;
        float *dWl = dW + (long)l * D * D, *dbl = db + (long)l * D;
        for (long i = 0; i < BD; i++) {
            t[i] = g[i] * x0[i];
            dx0[i] += g[i] * p[i];
        }
        for (int r = 0; r < B; r++)
            for (int j = 0; j < D; j++)
                dbl[j] += t[(long)r * D + j];
        /* dW_l (D, D) += t^T (D, B) x_l (B, D) */
        tt_gemm(1, 0, D, D, B, 1.0f, t, D, xl, D, 1.0f, dWl, D);
        /* g (B, D) += t (B, D) W_l (D, D) */
        tt_gemm(0, 0, B, D, D, 1.0f, t, D, Wl, D, 1.0f, g, D);
    }
    for (long i = 0; i < BD; i++)
        dx0[i] += g[i];
}

/* tt_lightse: IntTower's Light-SE block (Li et al., CIKM 2022) over a tower's
 * field embeddings: one linear map between the field means and a softmax over
 * the fields, applied as a residual re-weighting (archersama/IntTower,
 * layers/interaction.py, class LightSE). */
#include "tt_layers.h"
#include "tt_reduce.h"

#include <math.h>
#include <string.h>

void tt_lightse_forward(float *out, float *z, float *a, const float *E,
                        const float *W, int B, int f, int k)
{
    const int fk = f * k;
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * fk;
        float *zr = z + (long)r * f, *ar = a + (long)r * f;
        float *o = out + (long)r * fk;
        /* z (f) = mean over each field's k dims */
        for (int i = 0; i < f; i++)
            zr[i] = sum4(e + i * k, k) / (float)k;
        /* p (f) = W (f, f) z; a = softmax(p) over the fields */
        float mx = -INFINITY;
        for (int i = 0; i < f; i++) {
            const float *w = W + (long)i * f;
            float v = 0;
            for (int j = 0; j < f; j++)
                v += w[j] * zr[j];
            ar[i] = v;
            mx = v > mx ? v : mx;
        }
        float s = 0;
        for (int i = 0; i < f; i++) {
            ar[i] = expf(ar[i] - mx);
            s += ar[i];
        }
        for (int i = 0; i < f; i++)
            ar[i] /= s;
        /* out[i, :] = E[i, :] + a_i E[i, :] */
        for (int i = 0; i < f; i++) {
            float g = 1.0f + ar[i];
            for (int j = 0; j < k; j++)
                o[i * k + j] = g * e[i * k + j];
        }
    }
}

void tt_lightse_backward(float *dE, float *dW, const float *dout,
                         const float *E, const float *z, const float *a,
                         const float *W, int B, int f, int k, float *scratch)
{
    const int fk = f * k;
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * fk, *g = dout + (long)r * fk;
        const float *zr = z + (long)r * f, *ar = a + (long)r * f;
        float *de = dE + (long)r * fk;
        float *dp = scratch + (long)r * 2 * f;  /* (f) gradient of p */
        float *dz = dp + f;                     /* (f) gradient of z */
        /* direct path: dE += dout (1 + a); da_i = dout[i, :] . E[i, :] */
        double sda = 0;
        for (int i = 0; i < f; i++) {
            float w = 1.0f + ar[i];
            for (int j = 0; j < k; j++)
                de[i * k + j] += g[i * k + j] * w;
            dp[i] = dot4(g + i * k, e + i * k, k);
            sda += (double)ar[i] * dp[i];
        }
        /* softmax: dp_i = a_i (da_i - sum_l a_l da_l) */
        for (int i = 0; i < f; i++)
            dp[i] = ar[i] * (dp[i] - (float)sda);
        /* dW (f, f) += dp^T z;  dz (f) = dp W */
        memset(dz, 0, (size_t)f * sizeof(float));
        for (int i = 0; i < f; i++) {
            const float *w = W + (long)i * f;
            float *dw = dW + (long)i * f, gi = dp[i];
            for (int j = 0; j < f; j++) {
                dw[j] += gi * zr[j];
                dz[j] += gi * w[j];
            }
        }
        /* squeeze: the mean spreads dz_i / k over field i */
        for (int i = 0; i < f; i++) {
            float v = dz[i] / (float)k;
            for (int j = 0; j < k; j++)
                de[i * k + j] += v;
        }
    }
}

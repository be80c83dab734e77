/* tt_senet: squeeze-and-excitation over a tower's field embeddings, field-wise
 * (one weight per field) or bit-wise grouped (one weight per element). */
#include "tt_layers.h"
#include "tt_blas.h"

#include <math.h>
#include <string.h>

int tt_senet_squeeze_width(const tt_senet_cfg *c)
{
    if (c->groups > 0)
        return c->f * c->groups;
    return c->squeeze == TT_SQ_MEANMAX ? 2 * c->f : c->f;
}

int tt_senet_weight_width(const tt_senet_cfg *c)
{
    return c->groups > 0 ? c->f * c->k : c->f;
}

/* z (S) of one example's E (f, k). Mean+max lays out the f means, then the f
 * maxima. */
static void squeeze_row(float *z, const float *e, const tt_senet_cfg *c)
{
    int f = c->f, k = c->k;
    if (c->groups > 0) {
        int G = c->groups, kg = k / G;
        for (int i = 0; i < f; i++)
            for (int g = 0; g < G; g++) {
                float s = 0;
                for (int j = 0; j < kg; j++)
                    s += e[i * k + g * kg + j];
                z[i * G + g] = s / (float)kg;
            }
        return;
    }
    for (int i = 0; i < f; i++) {
        const float *v = e + i * k;
        float s = 0, m = v[0];
        for (int j = 0; j < k; j++) {
            s += v[j];
            m = v[j] > m ? v[j] : m;
        }
        switch (c->squeeze) {
        case TT_SQ_MEAN: z[i] = s / (float)k; break;
        case TT_SQ_MAX: z[i] = m; break;
        case TT_SQ_MEANMAX: z[i] = s / (float)k; z[f + i] = m; break;
        }
    }
}

void tt_senet_forward(float *out, float *z, float *hid, float *pre, float *a,
                      const float *E, const float *W1, const float *b1,
                      const float *W2, const float *b2, const tt_senet_cfg *c,
                      int B)
{
    int f = c->f, k = c->k, h = c->h, fk = f * k;
    int S = tt_senet_squeeze_width(c), A = tt_senet_weight_width(c);
    for (int r = 0; r < B; r++)
        squeeze_row(z + (long)r * S, E + (long)r * fk, c);
    /* hid (B, h) = relu(z (B, S) W1^T (S, h) + b1) */
    for (int r = 0; r < B; r++)
        memcpy(hid + (long)r * h, b1, sizeof(float) * h);
    tt_gemm(0, 1, B, h, S, 1.0f, z, S, W1, S, 1.0f, hid, h);
    for (long i = 0; i < (long)B * h; i++)
        hid[i] = hid[i] > 0.0f ? hid[i] : 0.0f;
    /* pre (B, A) = hid (B, h) W2^T (h, A) + b2 */
    for (int r = 0; r < B; r++)
        memcpy(pre + (long)r * A, b2, sizeof(float) * A);
    tt_gemm(0, 1, B, A, h, 1.0f, hid, h, W2, h, 1.0f, pre, A);
    long BA = (long)B * A;
    if (c->gate == TT_GATE_SIGMOID)
        for (long i = 0; i < BA; i++)
            a[i] = 1.0f / (1.0f + expf(-pre[i]));
    else
        for (long i = 0; i < BA; i++)
            a[i] = pre[i] > 0.0f ? pre[i] : 0.0f;
    /* re-weight: field-wise a (B, f) or element-wise a (B, f*k) */
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * fk, *w = a + (long)r * A;
        float *o = out + (long)r * fk;
        if (c->groups > 0)
            for (int i = 0; i < fk; i++)
                o[i] = w[i] * e[i];
        else
            for (int i = 0; i < f; i++)
                for (int j = 0; j < k; j++)
                    o[i * k + j] = w[i] * e[i * k + j];
    }
}

void tt_senet_backward(float *dE, float *dW1, float *db1, float *dW2,
                       float *db2, const float *dout, const float *E,
                       const float *z, const float *hid, const float *pre,
                       const float *a, const float *W1, const float *W2,
                       const tt_senet_cfg *c, int B, float *scratch)
{
    int f = c->f, k = c->k, h = c->h, fk = f * k;
    int S = tt_senet_squeeze_width(c), A = tt_senet_weight_width(c);
    float *dz = scratch;                     /* (B, S) */
    float *dhid = dz + (long)B * S;          /* (B, h) */
    float *dpre = dhid + (long)B * h;        /* (B, A) */

    /* re-weight: dE += dout * a (direct path); da = dout . E per weight */
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * fk, *g = dout + (long)r * fk;
        const float *w = a + (long)r * A;
        float *de = dE + (long)r * fk, *da = dpre + (long)r * A;
        if (c->groups > 0)
            for (int i = 0; i < fk; i++) {
                de[i] += g[i] * w[i];
                da[i] = g[i] * e[i];
            }
        else
            for (int i = 0; i < f; i++) {
                float s = 0;
                for (int j = 0; j < k; j++) {
                    de[i * k + j] += g[i * k + j] * w[i];
                    s += g[i * k + j] * e[i * k + j];
                }
                da[i] = s;
            }
    }
    /* gate: dpre = da * gate'(pre) */
    long BA = (long)B * A;
    if (c->gate == TT_GATE_SIGMOID)
        for (long i = 0; i < BA; i++)
            dpre[i] *= a[i] * (1.0f - a[i]);
    else
        for (long i = 0; i < BA; i++)
            dpre[i] = pre[i] > 0.0f ? dpre[i] : 0.0f;
    /* db2 (A) += sum_b dpre;  dW2 (A, h) += dpre^T (A, B) hid (B, h) */
    for (int r = 0; r < B; r++)
        for (int i = 0; i < A; i++)
            db2[i] += dpre[(long)r * A + i];
    tt_gemm(1, 0, A, h, B, 1.0f, dpre, A, hid, h, 1.0f, dW2, h);
    /* dhid (B, h) = (dpre (B, A) W2 (A, h)) * [hid > 0] */
    tt_gemm(0, 0, B, h, A, 1.0f, dpre, A, W2, h, 0.0f, dhid, h);
    for (long i = 0; i < (long)B * h; i++)
        dhid[i] = hid[i] > 0.0f ? dhid[i] : 0.0f;
    /* db1 (h) += sum_b dhid;  dW1 (h, S) += dhid^T (h, B) z (B, S) */
    for (int r = 0; r < B; r++)
        for (int i = 0; i < h; i++)
            db1[i] += dhid[(long)r * h + i];
    tt_gemm(1, 0, h, S, B, 1.0f, dhid, h, z, S, 1.0f, dW1, S);
    /* dz (B, S) = dhid (B, h) W1 (h, S) */
    tt_gemm(0, 0, B, S, h, 1.0f, dhid, h, W1, S, 0.0f, dz, S);
    /* squeeze: mean spreads dz / k over the field (or group); max routes it
     * to the first element equal to the maximum (as forward picked it). */
    for (int r = 0; r < B; r++) {
        const float *e = E + (long)r * fk, *g = dz + (long)r * S;
        const float *zr = z + (long)r * S;
        float *de = dE + (long)r * fk;
        if (c->groups > 0) {
            int G = c->groups, kg = k / G;
            for (int i = 0; i < f; i++)
                for (int q = 0; q < G; q++) {
                    float v = g[i * G + q] / (float)kg;
                    for (int j = 0; j < kg; j++)
                        de[i * k + q * kg + j] += v;
                }
            continue;
        }
        for (int i = 0; i < f; i++) {
            float gmean = 0, gmax = 0, zmax = 0;
            switch (c->squeeze) {
            case TT_SQ_MEAN: gmean = g[i]; break;
            case TT_SQ_MAX: gmax = g[i]; zmax = zr[i]; break;
            case TT_SQ_MEANMAX: gmean = g[i]; gmax = g[f + i]; zmax = zr[f + i]; break;
            }
            if (c->squeeze != TT_SQ_MAX) {
                float v = gmean / (float)k;
                for (int j = 0; j < k; j++)
                    de[i * k + j] += v;
            }
            if (c->squeeze != TT_SQ_MEAN) {
                for (int j = 0; j < k; j++)
                    if (e[i * k + j] == zmax) {
                        de[i * k + j] += gmax;
                        break;
                    }
            }
        }
    }
}

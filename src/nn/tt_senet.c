/* tt_senet: squeeze-and-excitation over a tower's field embeddings, field-wise
 * (one weight per field) or bit-wise grouped (one weight per element). */
/* GCC's -O2 vectorises only loops whose trip count is a known multiple of
 * the vector width; these element-wise loops run over k or D of any size,
 * so the vectoriser gets its usual cost model here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include "tt_layers.h"
#include "tt_reduce.h"

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
            for (int g = 0; g < G; g++)
                z[i * G + g] = sum4(e + i * k + g * kg, kg) / (float)kg;
        return;
    }
    for (int i = 0; i < f; i++) {
        const float *v = e + i * k;
        switch (c->squeeze) {
        case TT_SQ_MEAN: z[i] = sum4(v, k) / (float)k; break;
        case TT_SQ_MAX: z[i] = max_of(v, k); break;
        case TT_SQ_MEANMAX:
            z[i] = sum4(v, k) / (float)k;
            z[f + i] = max_of(v, k);
            break;
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
    /* hid (B, h) = relu(z (B, S) W1^T (S, h) + b1)
     * pre (B, A) = hid (B, h) W2^T (h, A) + b2
     * Plain loops, not tt_gemm: S, h and A are a few fields wide, and a BLAS
     * call per product cost ten times the arithmetic (measured on the
     * 1682-row item tower). */
    for (int r = 0; r < B; r++) {
        const float *zr = z + (long)r * S;
        float *hr = hid + (long)r * h, *pr = pre + (long)r * A;
        for (int u = 0; u < h; u++) {
            const float *w = W1 + (long)u * S;
            float v = b1[u];
            for (int i = 0; i < S; i++)
                v += w[i] * zr[i];
            hr[u] = v > 0.0f ? v : 0.0f;
        }
        for (int i = 0; i < A; i++)
            pr[i] = b2[i];
        for (int u = 0; u < h; u++) {
            float hv = hr[u];
            if (hv == 0.0f)
                continue;
            for (int i = 0; i < A; i++)
                pr[i] += W2[(long)i * h + u] * hv;
        }
    }
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
                for (int j = 0; j < k; j++)
                    de[i * k + j] += g[i * k + j] * w[i];
                da[i] = dot4(g + i * k, e + i * k, k);
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
    /* per example, with plain loops (see forward):
     *   db2 (A) += dpre;  dW2 (A, h) += dpre^T hid
     *   dhid (h) = (dpre W2) * [hid > 0]
     *   db1 (h) += dhid;  dW1 (h, S) += dhid^T z;  dz (S) = dhid W1 */
    for (int r = 0; r < B; r++) {
        const float *dp = dpre + (long)r * A, *hr = hid + (long)r * h;
        const float *zr = z + (long)r * S;
        float *dh = dhid + (long)r * h, *dzr = dz + (long)r * S;
        for (int i = 0; i < A; i++)
            db2[i] += dp[i];
        for (int u = 0; u < h; u++) {
            float hv = hr[u], g = 0;
            if (hv == 0.0f) {       /* relu closed: no dW2 term, no dhid */
                dh[u] = 0.0f;
                continue;
            }
            for (int i = 0; i < A; i++) {
                dW2[(long)i * h + u] += dp[i] * hv;
                g += dp[i] * W2[(long)i * h + u];
            }
            dh[u] = g;
        }
        for (int i = 0; i < S; i++)
            dzr[i] = 0.0f;
        for (int u = 0; u < h; u++) {
            float g = dh[u];
            if (g == 0.0f)
                continue;
            const float *w = W1 + (long)u * S;
            float *dw = dW1 + (long)u * S;
            db1[u] += g;
            for (int i = 0; i < S; i++) {
                dw[i] += g * zr[i];
                dzr[i] += g * w[i];
            }
        }
    }
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

/* tt_embed: embedding lookups (single id, bag mean) and their sparse backward. */
/* GCC's -O2 vectorises only loops whose trip count is a known multiple of
 * the vector width; these element-wise loops run over k or D of any size,
 * so the vectoriser gets its usual cost model here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include "tt_layers.h"

#include <string.h>

/* out (B, k) rows at stride ldo: out[b] = T[ids[b]]. */
void tt_embed_forward(float *out, int ldo, const float *T, int k,
                      const int32_t *ids, int B)
{
    for (int b = 0; b < B; b++)
        memcpy(out + (long)b * ldo, T + (long)ids[b] * k, sizeof(float) * k);
}

/* dT[ids[b]] += dout[b]; only the rows used are touched. */
void tt_embed_backward(float *dT, const float *dout, int ldo, int k,
                       const int32_t *ids, int B)
{
    for (int b = 0; b < B; b++) {
        float *d = dT + (long)ids[b] * k;
        const float *g = dout + (long)b * ldo;
        for (int j = 0; j < k; j++)
            d[j] += g[j];
    }
}

/* out[b] = mean of T[vals[off[b] .. off[b+1])], zeros for an empty bag. */
void tt_embed_bag_forward(float *out, int ldo, const float *T, int k,
                          const int64_t *off, const int32_t *vals, int B)
{
    for (int b = 0; b < B; b++) {
        float *o = out + (long)b * ldo;
        int64_t n = off[b + 1] - off[b];
        memset(o, 0, sizeof(float) * k);
        if (n <= 0)
            continue;
        for (int64_t v = off[b]; v < off[b + 1]; v++) {
            const float *t = T + (long)vals[v] * k;
            for (int j = 0; j < k; j++)
                o[j] += t[j];
        }
        float inv = 1.0f / (float)n;
        for (int j = 0; j < k; j++)
            o[j] *= inv;
    }
}

/* dT[vals[v]] += dout[b] / |bag b| for each v in bag b; an empty bag gives
 * nothing (its output was the constant 0). */
void tt_embed_bag_backward(float *dT, const float *dout, int ldo, int k,
                           const int64_t *off, const int32_t *vals, int B)
{
    for (int b = 0; b < B; b++) {
        int64_t n = off[b + 1] - off[b];
        if (n <= 0)
            continue;
        const float *g = dout + (long)b * ldo;
        float inv = 1.0f / (float)n;
        for (int64_t v = off[b]; v < off[b + 1]; v++) {
            float *d = dT + (long)vals[v] * k;
            for (int j = 0; j < k; j++)
                d[j] += g[j] * inv;
        }
    }
}

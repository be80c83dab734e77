/* tt_optim: element-wise optimizer updates (PyTorch's torch.optim formulas). */
#include "tt_optim.h"

#include <math.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

const char *tt_opt_name(enum tt_opt_kind k)
{
    switch (k) {
    case TT_OPT_SGD: return "sgd";
    case TT_OPT_ADAGRAD: return "adagrad";
    case TT_OPT_ADAM: return "adam";
    }
    return "?";
}

int tt_optim_init(tt_optim *o, enum tt_opt_kind kind, int64_t n, float lr,
                  float momentum, float beta1, float beta2, float eps, float wd,
                  tt_err *err)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->lr = lr;
    o->momentum = momentum;
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = kind == TT_OPT_ADAGRAD ? 1e-10f : eps;
    o->wd = wd;
    o->n = n;
    o->m = tt_alloc_aligned((size_t)(n > 0 ? n : 1), sizeof(float),
                            "optimizer moments", err);
    if (!o->m)
        return -1;
    if (kind == TT_OPT_ADAM) {
        o->v = tt_alloc_aligned((size_t)(n > 0 ? n : 1), sizeof(float),
                                "optimizer second moments", err);
        if (!o->v) {
            free(o->m);
            o->m = NULL;
            return -1;
        }
    }
    return 0;
}

void tt_optim_free(tt_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void tt_optim_reset(tt_optim *o)
{
    if (o->m)
        memset(o->m, 0, (size_t)o->n * sizeof(float));
    if (o->v)
        memset(o->v, 0, (size_t)o->n * sizeof(float));
    o->t = 0;
}

void tt_optim_begin(tt_optim *o)
{
    o->t++;
    if (o->kind == TT_OPT_ADAM) {
        /* torch.optim.Adam: step_size = lr / (1 - b1^t),
         * denom = sqrt(v) / sqrt(1 - b2^t) + eps */
        double bc1 = 1.0 - pow(o->beta1, (double)o->t);
        double bc2 = 1.0 - pow(o->beta2, (double)o->t);
        o->step_size = (float)(o->lr / bc1);
        o->bc2_sqrt = (float)sqrt(bc2);
    }
}

void tt_optim_update(tt_optim *o, float *p, const float *g, float *prev,
                     int64_t off, int64_t n, float gscale)
{
    float *restrict P = p + off;
    const float *restrict G = g + off;
    float *restrict M = o->m + off;
    const float wd = o->wd, lr = o->lr;
    if (prev)
        memcpy(prev + off, P, (size_t)n * sizeof(float));
    switch (o->kind) {
    case TT_OPT_SGD: {
        /* buf = momentum * buf + g (the first step's buf is g: buf starts at 0) */
        const float mu = o->momentum;
        for (int64_t i = 0; i < n; i++) {
            float gi = gscale * G[i] + wd * P[i];
            float b = mu * M[i] + gi;
            M[i] = b;
            P[i] -= lr * (mu != 0.0f ? b : gi);
        }
        break;
    }
    case TT_OPT_ADAGRAD: {
        const float eps = o->eps;
        for (int64_t i = 0; i < n; i++) {
            float gi = gscale * G[i] + wd * P[i];
            float s = M[i] + gi * gi;
            M[i] = s;
            P[i] -= lr * gi / (sqrtf(s) + eps);
        }
        break;
    }
    case TT_OPT_ADAM: {
        float *restrict V = o->v + off;
        const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
        const float ss = o->step_size, inv_bc2 = 1.0f / o->bc2_sqrt;
        int64_t i = 0;
#ifdef __SSE__
        /* Four at a time: sqrtf with errno semantics keeps the compiler from
         * vectorising the plain loop. Same operations, same order. */
        const __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2),
                     vc1 = _mm_set1_ps(1.0f - b1), vc2 = _mm_set1_ps(1.0f - b2),
                     vwd = _mm_set1_ps(wd), vgs = _mm_set1_ps(gscale),
                     vss = _mm_set1_ps(ss), vib = _mm_set1_ps(inv_bc2),
                     veps = _mm_set1_ps(eps);
        for (; i + 4 <= n; i += 4) {
            __m128 p = _mm_loadu_ps(P + i);
            __m128 gi = _mm_add_ps(_mm_mul_ps(vgs, _mm_loadu_ps(G + i)), _mm_mul_ps(vwd, p));
            __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(M + i)), _mm_mul_ps(vc1, gi));
            __m128 vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(V + i)),
                                   _mm_mul_ps(_mm_mul_ps(vc2, gi), gi));
            _mm_storeu_ps(M + i, mi);
            _mm_storeu_ps(V + i, vi);
            __m128 den = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), vib), veps);
            _mm_storeu_ps(P + i, _mm_sub_ps(p, _mm_div_ps(_mm_mul_ps(vss, mi), den)));
        }
#endif
        for (; i < n; i++) {
            float gi = gscale * G[i] + wd * P[i];
            float mi = b1 * M[i] + (1.0f - b1) * gi;
            float vi = b2 * V[i] + (1.0f - b2) * gi * gi;
            M[i] = mi;
            V[i] = vi;
            P[i] -= ss * mi / (sqrtf(vi) * inv_bc2 + eps);
        }
        break;
    }
    }
}

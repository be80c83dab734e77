/* tt_loss: softmax cross-entropy (temperature, logQ, masking), BCE and BPR,
 * numerically stable, with a vectorised expf for the softmax hot loop. */
#include "tt_loss.h"

#include <math.h>
#include <string.h>

/* ---- Vectorised expf ----
 * The full softmax exponentiates B x items logits per step (256 x 1682 on
 * ML-100K), so expf dominates the loss. GCC's -O2 cost model does not
 * vectorise loops of unknown trip count and glibc's expf is a scalar call, so
 * the loop is written with GCC/Clang vector extensions: 8 lanes, compiled as
 * two SSE halves by default and as one AVX2+FMA register in the x86-64-v3
 * clone picked at load time. Cephes' expf polynomial: relative error about
 * 1.5e-7 (a couple of ulp) on the clamped range. */
/* the 8-lane helpers are always inlined: no vector crosses a call boundary,
 * so the compilers' note about the AVX calling convention does not apply */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunknown-warning-option"
#endif
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef unsigned char v8u8 __attribute__((vector_size(8)));

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(TT_NO_CLONES)
#if defined(__clang__)
#if __has_feature(address_sanitizer)
#define TT_CLONES
#else
#define TT_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#else
#define TT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#else
#define TT_CLONES
#endif

static inline __attribute__((always_inline)) v8f v8_load(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void v8_store(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

static inline __attribute__((always_inline)) v8f v8_splat(float x)
{
    return (v8f){x, x, x, x, x, x, x, x};
}

static inline __attribute__((always_inline)) v8f v8_max(v8f a, v8f b)
{
    v8i gt = a > b;
    return (v8f)((gt & (v8i)a) | (~gt & (v8i)b));
}

#define EXP_HI 88.0f               /* exp(88) = 1.65e38 < FLT_MAX, and n <= 127 */
#define EXP_LO -87.3365478515625f   /* exp(EXP_LO) is about FLT_MIN */

/* exp(x) lane-wise; x is clamped to [EXP_LO, EXP_HI]. */
static inline __attribute__((always_inline)) v8f v8_exp(v8f x)
{
    const v8f magic = v8_splat(12582912.0f);   /* 1.5 * 2^23: round to int */
    x = v8_max(x, v8_splat(EXP_LO));
    x = -v8_max(-x, v8_splat(-EXP_HI));
    /* x = n ln2 + r, |r| <= ln2 / 2, ln2 split in two for exactness */
    v8f t = x * v8_splat(1.44269504088896341f) + magic;
    v8f n = t - magic;
    v8i ni = (v8i)t - (v8i)magic;
    v8f r = x - n * v8_splat(0.693359375f);
    r = r - n * v8_splat(-2.12194440e-4f);
    v8f p = v8_splat(1.9875691500e-4f);
    p = p * r + v8_splat(1.3981999507e-3f);
    p = p * r + v8_splat(8.3334519073e-3f);
    p = p * r + v8_splat(4.1665795894e-2f);
    p = p * r + v8_splat(1.6666665459e-1f);
    p = p * r + v8_splat(5.0000001201e-1f);
    p = p * (r * r) + r + v8_splat(1.0f);
    v8i scale = (ni + 127) << 23;                 /* 2^n */
    return p * (v8f)scale;
}

static inline __attribute__((always_inline)) float s_exp(float x)
{
    float in[8] = {x}, out[8];
    v8_store(out, v8_exp(v8_load(in)));
    return out[0];
}

TT_CLONES
void tt_vexpf(float *y, const float *x, long n)
{
    long i = 0;
    for (; i + 8 <= n; i += 8)
        v8_store(y + i, v8_exp(v8_load(x + i)));
    for (; i < n; i++)
        y[i] = s_exp(x[i]);
}

/* One row of the softmax: p (N) gets scale * the softmax probabilities (0
 * where masked); returns the row's loss logsumexp - logit_target.
 * logit_j = s_j * invT - lq_j. The target column is never masked. */
TT_CLONES
static double softmax_row(float *p, const float *s, const float *lq,
                          const uint8_t *mk, int N, float invT, int tgt,
                          double scale)
{
    const v8f vinv = v8_splat(invT), ninf = v8_splat(-INFINITY);
    v8f vmax = ninf;
    int j = 0;
    /* pass 1: logits into p (masked -> -inf), running max */
    for (; j + 8 <= N; j += 8) {
        v8f l = v8_load(s + j) * vinv;
        if (lq)
            l -= v8_load(lq + j);
        if (mk) {
            v8u8 m8;
            memcpy(&m8, mk + j, 8);
            v8i keep = __builtin_convertvector(m8, v8i) == 0;
            l = (v8f)((keep & (v8i)l) | (~keep & (v8i)ninf));
        }
        v8_store(p + j, l);
        vmax = v8_max(vmax, l);
    }
    float mx = -INFINITY;
    for (int q = 0; q < 8; q++)
        mx = vmax[q] > mx ? vmax[q] : mx;
    for (; j < N; j++) {
        float l = s[j] * invT - (lq ? lq[j] : 0.0f);
        if (mk && mk[j])
            l = -INFINITY;
        p[j] = l;
        mx = l > mx ? l : mx;
    }
    float lt = s[tgt] * invT - (lq ? lq[tgt] : 0.0f);
    p[tgt] = lt;
    mx = lt > mx ? lt : mx;
    /* pass 2: p = exp(logit - max), exactly 0 where masked; sum in 8 lanes */
    v8f vm = v8_splat(mx), vsum = v8_splat(0.0f);
    j = 0;
    for (; j + 8 <= N; j += 8) {
        v8f l = v8_load(p + j);
        v8f e = v8_exp(l - vm);
        v8i live = l != ninf;
        e = (v8f)(live & (v8i)e);
        v8_store(p + j, e);
        vsum += e;
    }
    double sum = 0;
    for (int q = 0; q < 8; q++)
        sum += vsum[q];
    for (; j < N; j++) {
        float e = p[j] == -INFINITY ? 0.0f : s_exp(p[j] - mx);
        p[j] = e;
        sum += e;
    }
    /* pass 3: normalise and scale */
    float f = (float)(scale / sum);
    const v8f vf = v8_splat(f);
    j = 0;
    for (; j + 8 <= N; j += 8)
        v8_store(p + j, v8_load(p + j) * vf);
    for (; j < N; j++)
        p[j] *= f;
    return log(sum) + (double)mx - (double)lt;
}

/* dS_bj = (p_bj - [j == target_b]) / (B * temp) */
double tt_softmax_xent(float *dS, const float *S, int B, int N,
                       const int32_t *target, float temp, const float *logq,
                       const uint8_t *mask)
{
    float invT = 1.0f / temp;
    double g = 1.0 / ((double)B * temp);
    double loss = 0;
    for (int b = 0; b < B; b++) {
        long o = (long)b * N;
        loss += softmax_row(dS + o, S + o, logq ? logq + o : NULL,
                            mask ? mask + o : NULL, N, invT, target[b], g);
        dS[o + target[b]] -= (float)g;
    }
    return loss / B;
}

/* softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow */
static inline double softplus(double x)
{
    return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
}

static inline double sigmoid(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* d/dS = (sigmoid(x) - y) / (n temp) */
double tt_bce(float *dS, const float *S, const float *label, long n, float temp)
{
    double loss = 0, g = 1.0 / ((double)n * temp);
    for (long i = 0; i < n; i++) {
        double x = (double)S[i] / temp;
        loss += softplus(x) - label[i] * x;
        dS[i] = (float)((sigmoid(x) - label[i]) * g);
    }
    return loss / n;
}

/* d = (pos - neg) / temp; loss = softplus(-d); dloss/dd = -sigmoid(-d) */
double tt_bpr(float *dpos, float *dneg, const float *pos, const float *neg,
              long n, float temp)
{
    double loss = 0, g = 1.0 / ((double)n * temp);
    for (long i = 0; i < n; i++) {
        double d = ((double)pos[i] - neg[i]) / temp;
        loss += softplus(-d);
        double s = sigmoid(-d) * g;
        dpos[i] = (float)-s;
        dneg[i] = (float)s;
    }
    return loss / n;
}

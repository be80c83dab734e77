/* tt_loss: softmax cross-entropy (temperature, logQ, masking), BCE and BPR,
 * numerically stable, with a vectorised expf for the softmax hot loop. */
#include "tt_loss.h"

#include <math.h>
#include <string.h>

/* ---- Vectorised expf ----
 * The full softmax exponentiates B x items logits per step (256 x 1682 on
 * ML-100K), so expf dominates the loss. GCC's -O2 cost model does not
 * vectorise loops of unknown trip count and glibc's expf is a scalar call, so
 * the loops are written with GCC/Clang vector extensions, VL = 8 lanes, the
 * exp loop unrolled twice: AVX-512VL (x86-64-v4) or AVX2+FMA (x86-64-v3)
 * clones picked at load time, SSE2 pairs otherwise. Measured on the 256 x
 * 1682 step (tests/unit/bench_softmax): 0.28 ms (v4), 0.32 ms (v3), 1.3 ms
 * (SSE2) against 1.7-1.9 ms for the libm expf loop. 16 lanes was 10% faster
 * with AVX-512 but 4x slower with AVX2 (register spills), so 8 it is.
 * Cephes' expf polynomial: relative error below 1e-7 on the clamped
 * range (measured in test_grad). */
/* the lane helpers are always inlined: no vector crosses a call boundary,
 * so the compilers' note about the AVX calling convention does not apply */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunknown-warning-option"
#endif
#pragma GCC diagnostic ignored "-Wpsabi"
#define VL 8
typedef float vf __attribute__((vector_size(4 * VL)));
typedef int vi __attribute__((vector_size(4 * VL)));
typedef unsigned char vu8 __attribute__((vector_size(VL)));

/* ifunc clones, with GCC only: Clang checks the vector calling convention
 * before inlining and rejects the 16-lane helpers in a clone; and not under
 * AddressSanitizer (its interceptors and ifunc resolvers do not mix). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(TT_NO_CLONES)
#define TT_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TT_CLONES
#endif

#define INL static inline __attribute__((always_inline))

INL vf v_load(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

INL void v_store(float *p, vf v) { memcpy(p, &v, sizeof v); }

INL vf v_splat(float x) { return (vf){0} + x; }

INL vf v_select(vi m, vf a, vf b) /* m ? a : b, m lanes all-ones or zero */
{
    return (vf)((m & (vi)a) | (~m & (vi)b));
}

/* lanes of mask bytes, all-ones where the byte is nonzero */
INL vi v_maskbytes(const uint8_t *m)
{
    vu8 b;
    memcpy(&b, m, sizeof b);
    return __builtin_convertvector(b, vi) != 0;
}

INL float v_hmax(vf v)
{
    float m = v[0];
    for (int q = 1; q < VL; q++)
        m = v[q] > m ? v[q] : m;
    return m;
}

#define EXP_HI 88.0f               /* exp(88) = 1.65e38 < FLT_MAX, and n <= 127 */
#define EXP_LO -87.3365478515625f  /* exp(EXP_LO) is about FLT_MIN */

/* exp(x) lane-wise for x <= EXP_HI (callers clamp from above if needed);
 * below EXP_LO it is clamped (about 1.2e-38 instead of 0). */
INL vf v_exp_hi(vf x)
{
    const vf magic = v_splat(12582912.0f);   /* 1.5 * 2^23: round to int */
    x = v_select(x < EXP_LO, v_splat(EXP_LO), x);
    /* x = n ln2 + r, |r| <= ln2 / 2, ln2 split in two for exactness */
    vf t = x * 1.44269504088896341f + magic;
    vf n = t - magic;
    vi ni = (vi)t - (vi)magic;
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = v_splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    vi scale = (ni + 127) << 23;                 /* 2^n, n in [-126, 127] */
    return p * (vf)scale;
}

INL vf v_exp(vf x)
{
    return v_exp_hi(v_select(x > EXP_HI, v_splat(EXP_HI), x));
}

INL float s_exp(float x)
{
    float in[VL] = {x}, out[VL];
    v_store(out, v_exp(v_load(in)));
    return out[0];
}

TT_CLONES
void tt_vexpf(float *y, const float *x, long n)
{
    long i = 0;
    for (; i + VL <= n; i += VL)
        v_store(y + i, v_exp(v_load(x + i)));
    for (; i < n; i++)
        y[i] = s_exp(x[i]);
}

/* One row of the softmax: p (N) gets scale * the softmax probabilities (0
 * where masked); returns the row's loss logsumexp - logit_target.
 * logit_j = s_j * invT - lq_j. The target column is never masked. Three
 * passes over a row that stays in L1: max (read only), exp and sum, scale. */
TT_CLONES
static double softmax_row(float *p, const float *s, const float *lq,
                          const uint8_t *mk, int N, float invT, int tgt,
                          double scale)
{
    const vf ninf = v_splat(-INFINITY);
    float lt = s[tgt] * invT - (lq ? lq[tgt] : 0.0f);
    /* pass 1: max of the unmasked logits (and of the target's) */
    vf vmax = ninf;
    int j = 0;
    if (!lq && !mk) {
        /* invT > 0: the max logit is invT * max s */
        for (; j + VL <= N; j += VL) {
            vf l = v_load(s + j);
            vmax = v_select(l > vmax, l, vmax);
        }
        vmax *= invT;
    } else {
        for (; j + VL <= N; j += VL) {
            vf l = v_load(s + j) * invT;
            if (lq)
                l -= v_load(lq + j);
            if (mk)
                l = v_select(v_maskbytes(mk + j), ninf, l);
            vmax = v_select(l > vmax, l, vmax);
        }
    }
    float mx = v_hmax(vmax);
    for (; j < N; j++) {
        float l = s[j] * invT - (lq ? lq[j] : 0.0f);
        if (!(mk && mk[j]))
            mx = l > mx ? l : mx;
    }
    mx = lt > mx ? lt : mx;
    /* pass 2: p = exp(logit - max), exactly 0 where masked; sum in lanes */
    const vf vm = v_splat(mx);
    vf vsum = v_splat(0.0f);
    j = 0;
    vf vsum2 = v_splat(0.0f);
    for (; j + 2 * VL <= N; j += 2 * VL) {
        vf l = v_load(s + j) * invT, l2 = v_load(s + j + VL) * invT;
        if (lq) {
            l -= v_load(lq + j);
            l2 -= v_load(lq + j + VL);
        }
        vf e = v_exp_hi(l - vm), e2 = v_exp_hi(l2 - vm);
        if (mk) {
            e = v_select(v_maskbytes(mk + j), v_splat(0.0f), e);
            e2 = v_select(v_maskbytes(mk + j + VL), v_splat(0.0f), e2);
        }
        v_store(p + j, e);
        v_store(p + j + VL, e2);
        vsum += e;
        vsum2 += e2;
    }
    vsum += vsum2;
    for (; j + VL <= N; j += VL) {
        vf l = v_load(s + j) * invT;
        if (lq)
            l -= v_load(lq + j);
        vf e = v_exp_hi(l - vm);
        if (mk)
            e = v_select(v_maskbytes(mk + j), v_splat(0.0f), e);
        v_store(p + j, e);
        vsum += e;
    }
    double sum = 0;
    for (int q = 0; q < VL; q++)
        sum += vsum[q];
    for (; j < N; j++) {
        float l = s[j] * invT - (lq ? lq[j] : 0.0f);
        float e = mk && mk[j] ? 0.0f : s_exp(l - mx);
        p[j] = e;
        sum += e;
    }
    if (mk && mk[tgt]) {
        p[tgt] = s_exp(lt - mx);
        sum += p[tgt];
    }
    /* pass 3: normalise and scale */
    float f = (float)(scale / sum);
    j = 0;
    for (; j + VL <= N; j += VL)
        v_store(p + j, v_load(p + j) * f);
    for (; j < N; j++)
        p[j] *= f;
    return log(sum) + (double)mx - (double)lt;
}

/* dS_bj = (p_bj - [j == target_b]) / (B * temp) for the rows given */
double tt_softmax_xent_rows(float *dS, const float *S, int rows, int N,
                            const int32_t *target, float temp,
                            const float *logq, const uint8_t *mask, int B)
{
    float invT = 1.0f / temp;
    double g = 1.0 / ((double)B * temp);
    double loss = 0;
    for (int b = 0; b < rows; b++) {
        long o = (long)b * N;
        loss += softmax_row(dS + o, S + o, logq ? logq + o : NULL,
                            mask ? mask + o : NULL, N, invT, target[b], g);
        dS[o + target[b]] -= (float)g;
    }
    return loss;
}

void tt_softmax_part_rows(float *P, double *st, const float *S, int rows, int N,
                          const int32_t *target, float temp)
{
    const float invT = 1.0f / temp;
    for (int b = 0; b < rows; b++) {
        const float *s = S + (long)b * N;
        float *p = P + (long)b * N, mx = -INFINITY;
        for (int j = 0; j < N; j++) {
            p[j] = s[j] * invT;
            mx = p[j] > mx ? p[j] : mx;
        }
        for (int j = 0; j < N; j++)
            p[j] -= mx;
        tt_vexpf(p, p, N);
        double sum = 0;
        for (int j = 0; j < N; j++)
            sum += p[j];
        st[3 * b] = mx;
        st[3 * b + 1] = sum;
        st[3 * b + 2] = target[b] >= 0 ? (double)(s[target[b]] * invT) : 0.0;
    }
}

double tt_softmax_xent(float *dS, const float *S, int B, int N,
                       const int32_t *target, float temp, const float *logq,
                       const uint8_t *mask)
{
    return tt_softmax_xent_rows(dS, S, B, N, target, temp, logq, mask, B) / B;
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

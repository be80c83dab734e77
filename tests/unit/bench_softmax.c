/* bench_softmax: times the full-softmax loss on the ML-100K step shape
 * (256 x 1682 logits) against a plain expf loop, and tt_vexpf against expf.
 * Not a test: `make tests/unit/bench_softmax && tests/unit/bench_softmax [reps]`. */
#include "tt_loss.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* The straightforward version: same math, libm expf, scalar loops. */
static double naive_xent(float *dS, const float *S, int B, int N,
                         const int32_t *target, float temp)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float *s = S + (long)b * N;
        float *p = dS + (long)b * N, mx = -INFINITY, sum = 0;
        for (int j = 0; j < N; j++)
            mx = fmaxf(mx, s[j] / temp);
        for (int j = 0; j < N; j++) {
            p[j] = expf(s[j] / temp - mx);
            sum += p[j];
        }
        float g = 1.0f / (sum * B * temp);
        for (int j = 0; j < N; j++)
            p[j] *= g;
        p[target[b]] -= 1.0f / (B * temp);
        loss += logf(sum) + mx - s[target[b]] / temp;
    }
    return loss / B;
}

int main(int argc, char **argv)
{
    int B = 256, N = 1682, reps = argc > 1 ? atoi(argv[1]) : 200;
    long n = (long)B * N;
    float *S = malloc(sizeof(float) * n), *d1 = malloc(sizeof(float) * n);
    float *d2 = malloc(sizeof(float) * n);
    int32_t *t = malloc(sizeof(int32_t) * B);
    unsigned x = 12345;
    for (long i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        S[i] = (float)(x >> 8) / 16777216.0f * 2 - 1;   /* cosines in [-1, 1) */
    }
    for (int b = 0; b < B; b++)
        t[b] = (b * 7) % N;
    double l1 = 0, l2 = 0, t0, tn, tv, te, tx;
    naive_xent(d1, S, B, N, t, 0.05f);
    tt_softmax_xent(d2, S, B, N, t, 0.05f, NULL, NULL);
    t0 = now();
    for (int r = 0; r < reps; r++)
        l1 += naive_xent(d1, S, B, N, t, 0.05f);
    tn = (now() - t0) / reps;
    t0 = now();
    for (int r = 0; r < reps; r++)
        l2 += tt_softmax_xent(d2, S, B, N, t, 0.05f, NULL, NULL);
    tv = (now() - t0) / reps;
    double dmax = 0;
    for (long i = 0; i < n; i++)
        dmax = fmax(dmax, fabs(d1[i] - d2[i]));
    /* exp alone on softmax-range inputs (x <= 0) */
    for (long i = 0; i < n; i++)
        S[i] = -40.0f * (S[i] + 1);
    t0 = now();
    for (int r = 0; r < reps; r++)
        for (long i = 0; i < n; i++)
            d1[i] = expf(S[i]);
    te = (now() - t0) / reps;
    t0 = now();
    for (int r = 0; r < reps; r++)
        tt_vexpf(d2, S, n);
    tx = (now() - t0) / reps;
    printf("softmax xent %dx%d, T=0.05, %d reps\n", B, N, reps);
    printf("  naive (libm expf)   %7.3f ms/step  %5.2f ns/logit  %6.3f s/epoch (384 steps)\n",
           tn * 1e3, tn * 1e9 / n, tn * 384);
    printf("  tt_softmax_xent     %7.3f ms/step  %5.2f ns/logit  %6.3f s/epoch  (%.1fx)\n",
           tv * 1e3, tv * 1e9 / n, tv * 384, tn / tv);
    printf("  loss %.6f vs %.6f, max |dS diff| %.2g\n", l1 / reps, l2 / reps, dmax);
    printf("exp alone: expf loop %.2f ns/elem, tt_vexpf %.2f ns/elem (%.1fx)\n",
           te * 1e9 / n, tx * 1e9 / n, te / tx);
    free(S); free(d1); free(d2); free(t);
    return 0;
}

/* tt_reduce: short float reductions for the layers (internal).
 * Four accumulators: a single running sum is a chain of dependent adds (4
 * cycles each), which made SENet's squeeze and the L2 norm cost more than
 * their arithmetic on the 1682-row item tower. */
#ifndef TT_REDUCE_H
#define TT_REDUCE_H

static inline float sum4(const float *v, int n)
{
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        a0 += v[j];
        a1 += v[j + 1];
        a2 += v[j + 2];
        a3 += v[j + 3];
    }
    for (; j < n; j++)
        a0 += v[j];
    return (a0 + a1) + (a2 + a3);
}

static inline float dot4(const float *u, const float *v, int n)
{
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        a0 += u[j] * v[j];
        a1 += u[j + 1] * v[j + 1];
        a2 += u[j + 2] * v[j + 2];
        a3 += u[j + 3] * v[j + 3];
    }
    for (; j < n; j++)
        a0 += u[j] * v[j];
    return (a0 + a1) + (a2 + a3);
}

/* the maximum; forward and backward agree on the first element equal to it */
static inline float max_of(const float *v, int n)
{
    float m = v[0];
    for (int j = 1; j < n; j++)
        m = v[j] > m ? v[j] : m;
    return m;
}

#endif

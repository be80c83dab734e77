/* tt_rng: a small, fast, seedable generator (xoshiro256**), so that the same
 * seed gives the same run on every machine. */
#ifndef TT_RNG_H
#define TT_RNG_H

#include <stdint.h>
#include <stddef.h>

typedef struct tt_rng {
    uint64_t s[4];
} tt_rng;

void tt_rng_seed(tt_rng *r, uint64_t seed);
uint64_t tt_rng_next(tt_rng *r);
double tt_rng_uniform(tt_rng *r);            /* [0, 1) */
uint32_t tt_rng_below(tt_rng *r, uint32_t n); /* [0, n), unbiased */
double tt_rng_normal(tt_rng *r);             /* N(0, 1) */
void tt_rng_shuffle_i32(tt_rng *r, int32_t *a, size_t n);
void tt_rng_shuffle_i64(tt_rng *r, int64_t *a, size_t n);

#endif

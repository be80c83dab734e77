/* tt_split: train/valid/test splits and the examples built from them. */
#ifndef TT_SPLIT_H
#define TT_SPLIT_H

#include <stdint.h>
#include "tt_dataset.h"

enum tt_part { TT_TRAIN = 0, TT_VALID = 1, TT_TEST = 2 };
const char *tt_part_name(enum tt_part p);   /* "train", "valid", "test" */

/* One example per interaction of a part, in interaction order. hist holds,
 * most recent first, up to H items the user had strictly before this
 * interaction in the user's (time, item) order, in the parts visible to it
 * (train for train and valid examples, train+valid for test): never the target
 * or anything after it. As the protocol says, valid sees the last H training
 * items even when one shares the valid item's timestamp. */
typedef struct tt_examples {
    int64_t n;
    int32_t *user;       /* (n) */
    int32_t *item;       /* (n) target item */
    int64_t *inter;      /* (n) row in the dataset's interactions (context) */
    int32_t H;           /* hist capacity */
    int32_t *hist;       /* (n, H) item index, -1 = padding (masked) */
    int32_t *hist_n;     /* (n) number of real entries */
} tt_examples;

typedef struct tt_split {
    char method[16];     /* "l2o" or "random" */
    char protocol[96];   /* "ml100k-l2o" when the dataset is ML-100K, l2o, H=20;
                            otherwise "<dataset>-<method>", where a generated
                            dataset names its parameters
                            ("synthetic-2000x1000-c8-p40-s42-l2o"), a random
                            split its seed and a history length other than 20
                            its H ("-h10") */
    char desc[96];       /* the split and its parameters: "l2o hist=20",
                            "random valid=0.1 test=0.1 seed=1 hist=20" */
    uint64_t seed;
    tt_examples part[3];
    /* Items each user has in each part, sorted ascending: CSR over users.
     * Used to exclude earlier items when ranking. */
    int64_t *off[3];     /* (n_users + 1) */
    int32_t *items[3];
    int64_t *item_freq;  /* (n_items) training interactions per item */
    uint64_t gen;        /* unique per split made in this process (from 1): tells a
                          * split made again at the same address from the one a
                          * model built its tables from */
} tt_split;

/* Leave-last-two-out by time: per user, sorted by (time, item), the last
 * interaction is test, the one before valid, the rest train. Users with fewer
 * than 3 interactions only train. */
int tt_split_l2o(const tt_dataset *d, int32_t H, tt_split *out, tt_err *err);
/* Random split of interactions by ratio with a seed. */
int tt_split_random(const tt_dataset *d, double valid_frac, double test_frac,
                    uint64_t seed, int32_t H, tt_split *out, tt_err *err);
/* Cold start (users = 0: items; 1: users): the items (users) first seen in
 * the last frac of the interactions by time are held out with every
 * interaction of theirs; the earlier-seen half of them goes to valid, the
 * later half to test; the training part never holds one. method
 * "cold-items" / "cold-users". Errors when fewer than 2 are cold, or all. */
int tt_split_cold(const tt_dataset *d, int users, double frac, int32_t H, tt_split *out,
                  tt_err *err);
/* 1 when the split is a cold-start split (scorers need features, not history). */
int tt_split_is_cold(const tt_split *s);
void tt_split_free(tt_split *s);

#endif

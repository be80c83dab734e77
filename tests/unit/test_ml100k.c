/* test_ml100k: the real MovieLens-100K under the protocol (skips when absent). */
#include "tt_dataset.h"
#include "tt_split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tt_check.h"


static int32_t card(const tt_dataset *d, const char *name)
{
    int f = tt_dataset_find(d, name);
    return f < 0 ? -1 : d->feat[f].card;
}

int main(void)
{
    const char *dir = ml100k_dir();
    if (!dir)
        return 77;
    tt_dataset d;
    tt_split s;
    tt_err err;
    memset(&d, 0, sizeof d);
    if (tt_load_movielens(dir, &d, &err)) {
        fprintf(stderr, "load: %s\n", err.msg);
        return 1;
    }
    CHECK(strcmp(d.name, "ml-100k") == 0, "name %s", d.name);
    CHECK(d.n_users == 943, "%d users", d.n_users);
    CHECK(d.n_items == 1682, "%d items", d.n_items);
    CHECK(d.n_inter == 100000, "%lld interactions", (long long)d.n_inter);
    /* The protocol's feature table, in its order. */
    static const char *order[] = {"user_id", "age", "gender", "occupation", "zip3", "hist",
                                  "item_id", "genres", "decade"};
    CHECK(d.n_feat == 9, "%d features", d.n_feat);
    for (int f = 0; f < 9 && f < d.n_feat; f++)
        CHECK(strcmp(d.feat[f].name, order[f]) == 0, "feature %d is %s", f, d.feat[f].name);
    CHECK(card(&d, "user_id") == 944, "user_id card %d", card(&d, "user_id"));
    CHECK(card(&d, "age") == 8, "age card %d", card(&d, "age"));
    CHECK(card(&d, "gender") == 3, "gender card %d", card(&d, "gender"));
    CHECK(card(&d, "occupation") == 22, "occupation card %d", card(&d, "occupation"));
    CHECK(card(&d, "zip3") == 383, "zip3 card %d (382 values + unknown)", card(&d, "zip3"));
    CHECK(card(&d, "item_id") == 1683, "item_id card %d", card(&d, "item_id"));
    CHECK(card(&d, "genres") == 20, "genres card %d", card(&d, "genres"));
    CHECK(card(&d, "decade") == 10, "decade card %d (9 values + unknown)", card(&d, "decade"));
    CHECK(card(&d, "hist") == 1683, "hist card %d", card(&d, "hist"));
    CHECK(d.feat[5].share == 6, "hist shares feature %d", d.feat[5].share);
    /* Items in numeric id order: index 0 is movie 1, a UTF-8 title. */
    CHECK(strcmp(d.item_key[0], "1") == 0 && strcmp(d.item_key[1681], "1682") == 0,
          "item keys %s..%s", d.item_key[0], d.item_key[1681]);
    CHECK(strcmp(d.item_title[0], "Toy Story (1995)") == 0, "title %s", d.item_title[0]);
    /* User 1: 24, M, technician, 85711 -> age bucket [18,25) = id 2. */
    int fa = tt_dataset_find(&d, "age"), fz = tt_dataset_find(&d, "zip3");
    CHECK(d.feat[fa].ids[0] == 2, "user 1 age id %d", d.feat[fa].ids[0]);
    CHECK(strcmp(d.feat[fz].vocab[d.feat[fz].ids[0]], "857") == 0, "user 1 zip3 %s",
          d.feat[fz].vocab[d.feat[fz].ids[0]]);
    int64_t total = 0;
    for (int32_t i = 1; i <= d.n_items; i++)
        total += d.feat[5].freq[i];
    CHECK(total == 100000, "hist freq total %lld", (long long)total);

    if (tt_split_l2o(&d, 20, &s, &err)) {
        fprintf(stderr, "split: %s\n", err.msg);
        return 1;
    }
    CHECK(s.part[TT_TRAIN].n == 98114, "train %lld", (long long)s.part[TT_TRAIN].n);
    CHECK(s.part[TT_VALID].n == 943, "valid %lld", (long long)s.part[TT_VALID].n);
    CHECK(s.part[TT_TEST].n == 943, "test %lld", (long long)s.part[TT_TEST].n);
    CHECK(strcmp(s.protocol, "ml100k-l2o") == 0, "protocol %s", s.protocol);
    /* Valid hist = the last 20 training items; test hist starts with the valid item. */
    for (int64_t k = 0; k < s.part[TT_TEST].n; k++) {
        const tt_examples *v = &s.part[TT_VALID], *t = &s.part[TT_TEST];
        CHECK(v->user[k] == t->user[k], "user order");
        CHECK(t->hist[k * 20] == v->item[k], "test hist[0] is the valid item");
        int64_t ntr = s.off[TT_TRAIN][v->user[k] + 1] - s.off[TT_TRAIN][v->user[k]];
        CHECK(v->hist_n[k] == TT_MIN(20, ntr) && t->hist_n[k] == TT_MIN(20, ntr + 1),
              "hist lengths %d %d with %lld training items", v->hist_n[k], t->hist_n[k],
              (long long)ntr);
        if (tt_fails > 20)
            break;
    }
    tt_split_free(&s);
    tt_dataset_free(&d);
    return tt_check_done("test_ml100k");
}

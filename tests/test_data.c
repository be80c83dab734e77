/* test_data: every loader on its hand-written fixtures, every bad input with
 * its file:line message, and load atomicity. */
#include "tt_dataset.h"
#include "tt_check.h"

static const tt_feature *feat(const tt_dataset *d, const char *name)
{
    int f = tt_dataset_find(d, name);
    CHECK(f >= 0, "no feature %s", name);
    return f >= 0 ? &d->feat[f] : NULL;
}

/* Label of row r's value of a CAT/NUM feature. */
static const char *label(const tt_dataset *d, const char *name, int64_t r)
{
    const tt_feature *f = feat(d, name);
    return f ? f->vocab[f->ids[r]] : "";
}

/* Row r's set as "a,b,c". */
static const char *set_str(const tt_dataset *d, const char *name, int64_t r)
{
    static char buf[512];
    const tt_feature *f = feat(d, name);
    buf[0] = 0;
    if (!f)
        return buf;
    for (int64_t k = f->off[r]; k < f->off[r + 1]; k++) {
        if (k > f->off[r])
            strcat(buf, ",");
        strcat(buf, f->vocab[f->vals[k]]);
    }
    return buf;
}

static void test_ml100k_tiny(void)
{
    tt_dataset d;
    tt_err err;
    memset(&d, 0, sizeof d);
    if (tt_load_movielens(fixture("ml100k-tiny"), &d, &err)) {
        CHECK(0, "load: %s", err.msg);
        return;
    }
    CHECK_STR(d.name, "ml-100k");
    CHECK(d.n_users == 5 && d.n_items == 6 && d.n_inter == 19, "%d %d %lld", d.n_users,
          d.n_items, (long long)d.n_inter);
    static const char *order[] = {"user_id", "age", "gender", "occupation", "zip3", "hist",
                                  "item_id", "genres", "decade"};
    CHECK(d.n_feat == 9, "%d features", d.n_feat);
    for (int f = 0; f < 9 && f < d.n_feat; f++)
        CHECK_STR(d.feat[f].name, order[f]);
    /* Numeric id order: user 10 comes after 4, item 12 last. */
    static const char *ukeys[] = {"1", "2", "3", "4", "10"};
    static const char *ikeys[] = {"1", "2", "3", "4", "5", "12"};
    for (int u = 0; u < 5; u++)
        CHECK_STR(d.user_key[u], ukeys[u]);
    for (int i = 0; i < 6; i++)
        CHECK_STR(d.item_key[i], ikeys[i]);
    CHECK_STR(d.item_title[2], "Caf\xc3\xa9 Imaginaire (1962)");
    /* Ages 17, 30, 56, 25, 44 against edges 18, 25, 35, 45, 50, 56. */
    static const int32_t age[] = {1, 3, 7, 3, 4};
    const tt_feature *fa = feat(&d, "age");
    CHECK(fa->card == 8 && fa->kind == TT_NUM && fa->n_edges == 6, "age card %d", fa->card);
    for (int u = 0; u < 5; u++)
        CHECK(fa->ids[u] == age[u], "user %d age id %d", u, fa->ids[u]);
    CHECK_STR(fa->vocab[1], "<18");
    CHECK_STR(fa->vocab[2], "[18,25)");
    CHECK_STR(fa->vocab[7], ">=56");
    CHECK_STR(label(&d, "gender", 0), "F");
    CHECK_STR(label(&d, "gender", 4), "M");
    CHECK(feat(&d, "gender")->card == 3, "gender card");
    CHECK_STR(label(&d, "occupation", 0), "student");
    CHECK_STR(label(&d, "occupation", 4), "engineer");
    CHECK(feat(&d, "occupation")->card == 5, "occupation card");
    static const char *zip3[] = {"021", "941", "T8H", "021", "943"};
    for (int u = 0; u < 5; u++)
        CHECK_STR(label(&d, "zip3", u), zip3[u]);
    CHECK(feat(&d, "zip3")->card == 5, "zip3 card %d", feat(&d, "zip3")->card);
    CHECK(feat(&d, "zip3")->freq[1] == 2, "zip3 021 freq");
    /* The 19 genres are the vocabulary whether used or not. */
    CHECK(feat(&d, "genres")->card == 20, "genres card %d", feat(&d, "genres")->card);
    CHECK_STR(set_str(&d, "genres", 0), "Action,Comedy");
    CHECK_STR(set_str(&d, "genres", 3), "Action,Adventure,Sci-Fi,Thriller");
    CHECK_STR(set_str(&d, "genres", 4), "unknown");
    CHECK_STR(set_str(&d, "genres", 5), "Animation,Children's,Comedy");
    static const char *dec[] = {"1990", "1980", "1960", "1990", "unknown", "1990"};
    for (int i = 0; i < 6; i++)
        CHECK_STR(label(&d, "decade", i), dec[i]);
    CHECK(feat(&d, "decade")->card == 5, "decade card %d", feat(&d, "decade")->card);
    /* Sorted by (user, time, item): user 1's two ratings at time 200 go item 2, item 3. */
    static const int32_t iu[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4};
    static const int32_t ii[] = {0, 1, 2, 3, 5, 0, 1, 4, 3, 5, 0, 3, 5, 0, 2, 3, 4, 0, 1};
    for (int r = 0; r < 19; r++)
        CHECK(d.iu[r] == iu[r] && d.ii[r] == ii[r], "row %d: %d %d", r, d.iu[r], d.ii[r]);
    CHECK(d.it[1] == 200 && d.it[2] == 200, "times");
    const tt_feature *h = feat(&d, "hist"), *id = feat(&d, "item_id");
    CHECK(h->kind == TT_SEQ && h->card == 7 && d.feat[h->share].name == id->name, "hist");
    CHECK(h->freq[1] == 5 && h->freq[6] == 3, "hist freq %lld %lld", (long long)h->freq[1],
          (long long)h->freq[6]);
    CHECK(id->ids[5] == 6 && feat(&d, "user_id")->ids[4] == 5, "id features");
    CHECK(d.planted == NULL, "no planted");
    tt_dataset_free(&d);
}

int main(void)
{
    test_ml100k_tiny();
    return tt_check_done("test_data");
}

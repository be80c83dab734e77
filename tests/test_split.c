/* test_split: leave-last-two-out and random splits: counts, history rule,
 * exclusion lists, item counts, on fixtures and on generated data. */
#include "tt_split.h"
#include "tt_check.h"

/* Hist of example k as "a,b" (item indexes). */
static const char *hist_str(const tt_examples *e, int64_t k)
{
    static char buf[256];
    buf[0] = 0;
    for (int32_t j = 0; j < e->hist_n[k]; j++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d", j ? "," : "",
                 e->hist[k * e->H + j]);
    return buf;
}

static void test_l2o_tiny(void)
{
    tt_dataset d;
    tt_split s;
    tt_err err;
    memset(&d, 0, sizeof d);
    if (tt_load_movielens(fixture("ml100k-tiny"), &d, &err)) {
        CHECK(0, "load: %s", err.msg);
        return;
    }
    if (tt_split_l2o(&d, 20, &s, &err)) {
        CHECK(0, "split: %s", err.msg);
        tt_dataset_free(&d);
        return;
    }
    CHECK_STR(s.method, "l2o");
    CHECK_STR(s.protocol, "ml-100k-l2o"); /* a tiny folder is not the reference protocol */
    CHECK(s.part[0].n == 11 && s.part[1].n == 4 && s.part[2].n == 4, "%lld %lld %lld",
          (long long)s.part[0].n, (long long)s.part[1].n, (long long)s.part[2].n);
    /* valid/test: users 1, 2, 4, 10 (user 3 has two interactions: train only) */
    static const int32_t vu[] = {0, 1, 3, 4}, vi[] = {3, 4, 5, 0}, ti[] = {5, 3, 0, 1};
    for (int k = 0; k < 4; k++) {
        CHECK(s.part[1].user[k] == vu[k] && s.part[1].item[k] == vi[k], "valid %d", k);
        CHECK(s.part[2].user[k] == vu[k] && s.part[2].item[k] == ti[k], "test %d", k);
    }
    CHECK_STR(hist_str(&s.part[1], 0), "2,1,0");
    CHECK_STR(hist_str(&s.part[2], 0), "3,2,1,0");
    CHECK_STR(hist_str(&s.part[0], 0), "");
    CHECK_STR(hist_str(&s.part[0], 2), "1,0");
    CHECK(s.part[0].hist[0] == -1, "padding is -1");
    CHECK(s.part[0].inter[2] == 2 && s.part[2].inter[0] == 4, "inter rows");
    static const int64_t freq[] = {3, 2, 2, 2, 1, 1};
    for (int i = 0; i < 6; i++)
        CHECK(s.item_freq[i] == freq[i], "item_freq[%d] = %lld", i, (long long)s.item_freq[i]);
    /* exclusion lists: user 1 trained on items 0,1,2; user 10 on 2,3,4 */
    CHECK(s.off[0][1] - s.off[0][0] == 3 && s.items[0][0] == 0 && s.items[0][2] == 2, "excl u0");
    CHECK(s.off[0][5] - s.off[0][4] == 3 && s.items[0][s.off[0][4]] == 2, "excl u4");
    CHECK(s.off[1][3] - s.off[1][2] == 0, "user 3 has no valid item");
    tt_split_free(&s);
    /* H caps the history, most recent first. */
    if (tt_split_l2o(&d, 2, &s, &err) == 0) {
        CHECK_STR(hist_str(&s.part[1], 0), "2,1");
        CHECK_STR(hist_str(&s.part[2], 0), "3,2");
        tt_split_free(&s);
    } else {
        CHECK(0, "split H=2: %s", err.msg);
    }
    tt_dataset_free(&d);
}

int main(void)
{
    test_l2o_tiny();
    return tt_check_done("test_split");
}

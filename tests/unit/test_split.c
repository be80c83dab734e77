/* test_split: leave-last-two-out and random splits: counts, history rule,
 * exclusion lists, item counts, on fixtures and on generated data. */
#include "tt_split.h"
#include "tt_check.h"

#include <math.h>

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


/* Every invariant of a split, checked against a brute-force reference. */
static void check_invariants(const tt_dataset *d, const tt_split *s, const char *what)
{
    int64_t n = d->n_inter, tot = 0;
    int32_t H = s->part[0].H;
    uint8_t *hits = calloc((size_t)n, 1), *part = calloc((size_t)n, 1);
    int64_t *freq = calloc((size_t)d->n_items, sizeof *freq);
    int bad = 0;
    for (int p = 0; p < 3; p++) {
        const tt_examples *e = &s->part[p];
        tot += e->n;
        CHECK(e->H == H, "%s: H differs", what);
        for (int64_t k = 0; k < e->n; k++) {
            int64_t r = e->inter[k];
            if (r < 0 || r >= n || hits[r]++ || d->iu[r] != e->user[k] || d->ii[r] != e->item[k])
                bad++;
            else
                part[r] = (uint8_t)p;
            if (k > 0 && e->inter[k] <= e->inter[k - 1])
                bad++; /* examples in interaction order */
        }
    }
    CHECK(tot == n && bad == 0, "%s: %lld examples for %lld interactions, %d bad", what,
          (long long)tot, (long long)n, bad);
    for (int64_t r = 0; r < n; r++)
        if (hits[r] != 1) {
            CHECK(0, "%s: interaction %lld in %d parts", what, (long long)r, hits[r]);
            break;
        }
    /* hist: exactly the H most recent earlier interactions of the user in the
     * visible parts, most recent first; never the target, nothing after it. */
    int32_t *ref = malloc(((size_t)H + 1) * sizeof *ref);
    for (int p = 0; p < 3 && !bad; p++) {
        const tt_examples *e = &s->part[p];
        for (int64_t k = 0; k < e->n; k++) {
            int64_t r = e->inter[k];
            int32_t m = 0;
            for (int64_t q = r - 1; q >= 0 && d->iu[q] == d->iu[r] && m < H; q--) {
                int vis = p == TT_TEST ? part[q] != TT_TEST : part[q] == TT_TRAIN;
                if (vis) {
                    CHECK(d->it[q] <= d->it[r], "%s: history after the target", what);
                    ref[m++] = d->ii[q];
                }
            }
            if (e->hist_n[k] != m)
                bad++;
            for (int32_t j = 0; j < H; j++) {
                int32_t h = e->hist[k * H + j];
                if (j < m ? h != ref[j] : h != -1)
                    bad++;
                if (j < m && h == e->item[k] && ref[j] != e->item[k])
                    bad++;
            }
            if (bad) {
                CHECK(0, "%s: %s example %lld hist differs from the reference", what,
                      tt_part_name(p), (long long)k);
                break;
            }
        }
    }
    free(ref);
    /* exclusion lists: each user's distinct items per part, ascending */
    for (int p = 0; p < 3; p++) {
        CHECK(s->off[p][0] == 0, "%s: off starts at 0", what);
        int32_t *mark = calloc((size_t)d->n_items, sizeof *mark);
        for (int32_t u = 0; u < d->n_users && !bad; u++) {
            int64_t cnt = 0;
            for (int64_t r = 0; r < n; r++)
                if (d->iu[r] == u && part[r] == p && mark[d->ii[r]] != u + 1) {
                    mark[d->ii[r]] = u + 1;
                    cnt++;
                }
            if (s->off[p][u + 1] - s->off[p][u] != cnt)
                bad++;
            for (int64_t a = s->off[p][u]; a < s->off[p][u + 1]; a++)
                if (mark[s->items[p][a]] != u + 1 || (a > s->off[p][u] && s->items[p][a] <= s->items[p][a - 1]))
                    bad++;
            if (bad)
                CHECK(0, "%s: %s exclusion list of user %d", what, tt_part_name(p), u);
        }
        free(mark);
    }
    for (int64_t r = 0; r < n; r++)
        if (part[r] == TT_TRAIN)
            freq[d->ii[r]]++;
    CHECK(memcmp(freq, s->item_freq, (size_t)d->n_items * sizeof *freq) == 0,
          "%s: item_freq is not the training count", what);
    free(freq);
    free(hits);
    free(part);
}

static void test_synthetic_splits(void)
{
    tt_synth_opts o;
    tt_dataset d;
    tt_split s, s2;
    tt_err err;
    tt_synth_preset("small", &o);
    if (tt_synth_generate(&o, &d, &err)) {
        CHECK(0, "synth: %s", err.msg);
        return;
    }
    if (tt_split_l2o(&d, 20, &s, &err) == 0) {
        CHECK(s.part[1].n == d.n_users && s.part[2].n == d.n_users, "l2o counts");
        CHECK_STR(s.protocol, "synthetic-1000x500-c8-p30-s42-l2o");   /* the generator's parameters */
        CHECK_STR(s.desc, "l2o hist=20");
        check_invariants(&d, &s, "synthetic l2o");
        /* the latest interaction of each user is its test example */
        for (int64_t k = 0; k < s.part[2].n; k++) {
            int64_t r = s.part[2].inter[k];
            CHECK(r + 1 == d.n_inter || d.iu[r + 1] != d.iu[r], "test is the last");
            CHECK(s.part[1].inter[k] == r - 1, "valid is the one before");
            /* times strictly increase here, so history is strictly earlier in time */
            CHECK(d.it[r - 1] < d.it[r], "tie");
        }
        tt_split_free(&s);
    } else {
        CHECK(0, "l2o: %s", err.msg);
    }
    if (tt_split_l2o(&d, 3, &s, &err) == 0) {
        check_invariants(&d, &s, "synthetic l2o H=3");
        tt_split_free(&s);
    }
    if (tt_split_random(&d, 0.1, 0.2, 5, 10, &s, &err) == 0) {
        int64_t n = d.n_inter;
        CHECK(s.part[2].n == llround(n * 0.2) && s.part[1].n == llround(n * 0.1), "random counts");
        CHECK_STR(s.method, "random");
        CHECK_STR(s.protocol, "synthetic-1000x500-c8-p30-s42-random-s5-h10");
        CHECK_STR(s.desc, "random valid=0.1 test=0.2 seed=5 hist=10");
        CHECK(s.seed == 5, "seed");
        check_invariants(&d, &s, "synthetic random");
        if (tt_split_random(&d, 0.1, 0.2, 5, 10, &s2, &err) == 0) {
            CHECK(memcmp(s.part[2].inter, s2.part[2].inter, (size_t)s.part[2].n * 8) == 0,
                  "same seed, different split");
            tt_split_free(&s2);
        }
        if (tt_split_random(&d, 0.1, 0.2, 6, 10, &s2, &err) == 0) {
            CHECK(memcmp(s.part[2].inter, s2.part[2].inter, (size_t)s.part[2].n * 8) != 0,
                  "different seeds, same split");
            tt_split_free(&s2);
        }
        tt_split_free(&s);
    } else {
        CHECK(0, "random: %s", err.msg);
    }
    CHECK(tt_split_random(&d, 0.6, 0.5, 1, 20, &s, &err) == -1, "fractions over 1");
    CHECK_ERR(err.msg, "expected valid and test fractions", "found 0.6 and 0.5");
    CHECK(tt_split_l2o(&d, -1, &s, &err) == -1, "negative H");
    CHECK_ERR(err.msg, "expected a history length", "found -1");
    tt_dataset_free(&d);
}

/* Ties in time (ML-100K has many): the order is (time, item) and history is
 * what came before in that order. */
static void test_tiny_invariants(void)
{
    tt_dataset d;
    tt_split s;
    tt_err err;
    if (tt_load_movielens(fixture("ml100k-tiny"), &d, &err)) {
        CHECK(0, "load: %s", err.msg);
        return;
    }
    for (int32_t H = 1; H <= 5; H++)
        if (tt_split_l2o(&d, H, &s, &err) == 0) {
            check_invariants(&d, &s, "tiny l2o");
            tt_split_free(&s);
        }
    for (uint64_t seed = 1; seed <= 5; seed++)
        if (tt_split_random(&d, 0.2, 0.2, seed, 4, &s, &err) == 0) {
            check_invariants(&d, &s, "tiny random");
            tt_split_free(&s);
        }
    tt_dataset_free(&d);
}

/* The generator's structure is learnable: users' clusters, estimated from
 * their training items' planted category, predict test items far better than
 * popularity (what a two-tower model has to find). */
static void test_learnable(void)
{
    tt_synth_opts o;
    tt_dataset d;
    tt_split s;
    tt_err err;
    tt_synth_opts_init(&o);
    if (tt_synth_generate(&o, &d, &err) || tt_split_l2o(&d, 20, &s, &err)) {
        CHECK(0, "%s", err.msg);
        return;
    }
    const tt_feature *cat = &d.feat[tt_dataset_find(&d, "category")];
    const tt_feature *taste = &d.feat[tt_dataset_find(&d, "taste")];
    int32_t C = cat->card, ni = d.n_items;
    int32_t *maj = calloc((size_t)d.n_users, sizeof *maj), *stamp = calloc((size_t)ni, sizeof *stamp);
    double *cf = calloc((size_t)C * ni, sizeof *cf);
    int agree = 0;
    for (int32_t u = 0; u < d.n_users; u++) {
        int cnt[64] = {0}, b = 1;
        for (int64_t a = s.off[0][u]; a < s.off[0][u + 1]; a++)
            cnt[cat->ids[s.items[0][a]]]++;
        for (int c = 2; c < C && c < 64; c++)
            if (cnt[c] > cnt[b])
                b = c;
        maj[u] = b;
        agree += taste->ids[u] == b;
    }
    for (int64_t k = 0; k < s.part[0].n; k++)
        cf[(size_t)maj[s.part[0].user[k]] * ni + s.part[0].item[k]] += 1;
    const tt_examples *x = &s.part[2];
    double rp = 0, rc = 0;
    for (int64_t k = 0; k < x->n; k++) {
        int32_t u = x->user[k], t = x->item[k], r1 = 1, r2 = 1;
        const double *sc = cf + (size_t)maj[u] * ni;
        for (int q = 0; q < 2; q++)
            for (int64_t a = s.off[q][u]; a < s.off[q][u + 1]; a++)
                stamp[s.items[q][a]] = u + 1;
        for (int32_t j = 0; j < ni; j++) {
            if (j == t || stamp[j] == u + 1)
                continue;
            r1 += s.item_freq[j] > s.item_freq[t] || (s.item_freq[j] == s.item_freq[t] && j < t);
            r2 += sc[j] > sc[t] || (sc[j] == sc[t] && j < t);
        }
        rp += r1 <= 20;
        rc += r2 <= 20;
    }
    rp /= x->n;
    rc /= x->n;
    CHECK(rc > 2 * rp && rc > 0.2, "cluster model recall@20 %.3f vs popularity %.3f", rc, rp);
    /* taste (informative) agrees with the estimated cluster far above chance 1/8 */
    CHECK(agree > d.n_users / 2, "taste agrees for %d of %d users", agree, d.n_users);
    free(maj);
    free(stamp);
    free(cf);
    tt_split_free(&s);
    tt_dataset_free(&d);
}

int main(void)
{
    test_l2o_tiny();
    test_tiny_invariants();
    test_synthetic_splits();
    test_learnable();
    return tt_check_done("test_split");
}

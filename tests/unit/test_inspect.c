/* test_inspect: SENet weight statistics and ablations on a small trained
 * SENet two-tower model: every feature of each tower is named once, the
 * statistics are consistent, groups add up, ablating changes what it should
 * and leaves the model intact.
 *   test_inspect            the generated default data (seed 42), fixed seed
 *   test_inspect DIR        a MovieLens folder instead (for a manual check)
 * Prints the tables it checked, so a run shows what the weights say. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_inspect.h"
#include "tt_train.h"
#include "tt_check.h"


static int feature_side(const tt_feature *f)
{
    return f->kind == TT_SEQ ? 0 : f->side == TT_ITEM ? 1 : 0;
}

static void check_weights(tt_model *m, const tt_dataset *d, const tt_split *sp,
                          int side)
{
    tt_weight_stat st[TT_MAX_FIELDS];
    tt_err err = { "" };
    int f = tt_inspect_weights(m, side, d, sp, TT_VALID, st, TT_MAX_FIELDS, &err);
    CHECK(f > 0, "weights side %d: %d (%s)", side, f, err.msg);
    if (f <= 0)
        return;
    int want = 0;
    for (int i = 0; i < d->n_feat; i++)
        want += feature_side(&d->feat[i]) == side;
    CHECK(f == want, "side %d: %d features, the dataset has %d on that side", side, f, want);
    printf("%s tower, %s: %-12s %6s %6s %6s %6s  %s\n", side ? "item" : "user",
           side ? "all items" : "valid", "feature", "mean", "std", "min", "max", "planted");
    for (int i = 0; i < d->n_feat; i++) {
        if (feature_side(&d->feat[i]) != side)
            continue;
        int seen = 0;
        for (int j = 0; j < f; j++)
            seen += !strcmp(st[j].feature, d->feat[i].name);
        CHECK(seen == 1, "side %d: feature %s named %d times", side, d->feat[i].name, seen);
    }
    for (int j = 0; j < f; j++) {
        printf("  %-12s %6.3f %6.3f %6.3f %6.3f %s %s\n", st[j].feature, st[j].mean,
               st[j].std, st[j].min, st[j].max, st[j].suppressed ? "S" : " ",
               d->planted ? (d->planted[tt_dataset_find(d, st[j].feature)]
                             ? d->planted[tt_dataset_find(d, st[j].feature)] : "")
                          : "");
        CHECK(st[j].min <= st[j].mean + 1e-9 && st[j].mean <= st[j].max + 1e-9,
              "%s: mean %g outside [%g, %g]", st[j].feature, st[j].mean, st[j].min, st[j].max);
        CHECK(st[j].min >= 0 && st[j].max <= 1, "%s: sigmoid weight out of [0,1]", st[j].feature);
        CHECK(st[j].std >= 0 && st[j].std <= 0.5 + 1e-9, "%s: std %g", st[j].feature, st[j].std);
        if (j)
            CHECK(st[j - 1].mean >= st[j].mean, "not ranked at %d", j);
    }
    /* what the generator planted as per-interaction noise must sit below
     * the tower's median (FINDINGS.md: it is suppressed clearly) */
    for (int j = 0; d->planted && j < f; j++) {
        const char *pl = d->planted[tt_dataset_find(d, st[j].feature)];
        if (pl && !strcmp(pl, "noise-context"))
            CHECK(j >= f / 2, "planted context noise %s ranked %d of %d", st[j].feature, j + 1, f);
    }
    /* the rule, applied to what was returned */
    double mean[TT_MAX_FIELDS];
    int supp[TT_MAX_FIELDS];
    for (int j = 0; j < f; j++)
        mean[j] = st[j].mean;
    tt_inspect_suppressed(mean, f, supp);
    for (int j = 0; j < f; j++)
        CHECK(supp[j] == st[j].suppressed, "%s: suppressed flag disagrees with the rule",
              st[j].feature);
    /* max_out smaller than f: the first ones, same return */
    tt_weight_stat two[2];
    CHECK(tt_inspect_weights(m, side, d, sp, TT_VALID, two, 2, &err) == f, "max_out 2");
    CHECK(!strcmp(two[0].feature, st[0].feature) && two[1].mean == st[1].mean, "max_out 2 order");
}

static void check_groups(tt_model *m, const tt_dataset *d, const tt_split *sp,
                         int side, const char *by, int64_t rows, int min_groups)
{
    tt_weight_groups g;
    tt_err err = { "" };
    int n = tt_inspect_weights_by(m, side, d, sp, TT_VALID, by, &g, &err);
    CHECK(n >= min_groups, "by=%s side %d: %d groups (%s)", by, side, n, err.msg);
    if (n < 0)
        return;
    int64_t total = 0;
    int f = tt_model_senet_fields(m, side, NULL);
    CHECK(g.n_feat == f, "by=%s: n_feat %d != %d", by, g.n_feat, f);
    for (int k = 0; k < g.n_groups; k++) {
        total += g.count[k];
        CHECK(g.count[k] > 0, "by=%s: empty group %s", by, g.labels[k]);
        for (int j = 0; j < g.n_feat; j++) {
            const tt_weight_stat *s = &g.stat[k * g.n_feat + j];
            CHECK(s->feature && s->min <= s->mean + 1e-9 && s->mean <= s->max + 1e-9,
                  "by=%s group %s feature %d", by, g.labels[k], j);
        }
    }
    const tt_feature *ft = strcmp(by, "activity") ? &d->feat[tt_dataset_find(d, by)] : NULL;
    if (ft && ft->kind == TT_SET)
        CHECK(total >= rows, "by=%s: %lld rows in groups < %lld", by, (long long)total, (long long)rows);
    else
        CHECK(total == rows, "by=%s: %lld rows in groups != %lld", by, (long long)total, (long long)rows);
    printf("by=%s (%s tower): %d groups, first '%s' (%lld rows), last '%s'\n", by,
           side ? "item" : "user", g.n_groups, g.n_groups ? g.labels[0] : "",
           g.n_groups ? (long long)g.count[0] : 0LL, g.n_groups ? g.labels[g.n_groups - 1] : "");
    tt_weight_groups_free(&g);
}

int main(int argc, char **argv)
{
    tt_dataset d;
    tt_split sp;
    tt_err err = { "" };
    memset(&d, 0, sizeof d);
    memset(&sp, 0, sizeof sp);
    if (argc > 1) {
        if (tt_load_movielens(argv[1], &d, &err) != 0) {
            printf("SKIP: %s\n", err.msg);
            return 77;
        }
    } else {
        tt_synth_opts so;
        tt_synth_opts_init(&so);
        if (tt_synth_generate(&so, &d, &err) != 0) {
            DIE("generate: %s", err.msg);
        }
    }
    if (tt_split_l2o(&d, 20, &sp, &err) != 0) {
        DIE("split: %s", err.msg);
    }
    tt_tower_def u, it;
    tt_model_def md;
    tt_tower_def_mlp(&u, "U", 16, (const int[]){32}, 1, 0);
    tt_tower_def_mlp(&it, "I", 16, (const int[]){32}, 1, 0);
    u.senet = it.senet = 1;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "se");
    md.kind = TT_MODEL_TWOTOWER;
    snprintf(md.user_tower, sizeof md.user_tower, "U");
    snprintf(md.item_tower, sizeof md.item_tower, "I");
    tt_model *m = NULL;
    if (tt_model_create(&md, &u, &it, &d, 1, &m, &err) != 0) {
        DIE("create: %s", err.msg);
    }
    tt_train_opts o;
    tt_train_opts_init(&o);
    o.epochs = 2;
    o.batch = 256;
    o.lr = 0.005f;
    o.seed = 1;
    o.eval_every = 0;
    o.keep_best = 0;
    static tt_train_result res;
    if (tt_train(m, &d, &sp, &o, NULL, NULL, &res, &err) != 0) {
        DIE("train: %s", err.msg);
    }

    tt_train_result_free(&res);
    check_weights(m, &d, &sp, 0);
    check_weights(m, &d, &sp, 1);

    /* the generated users all have the same activity: one group there */
    check_groups(m, &d, &sp, 0, "activity", sp.part[TT_VALID].n, 1);
    check_groups(m, &d, &sp, 1, "activity", d.n_items, 2);
    for (int i = 0; i < d.n_feat; i++) {   /* every categorical/set column */
        const tt_feature *ft = &d.feat[i];
        if (ft->kind == TT_SEQ || ft->card > 5000)
            continue;
        if (ft->side == TT_ITEM)
            check_groups(m, &d, &sp, 1, ft->name, d.n_items, 1);
        check_groups(m, &d, &sp, 0, ft->name, sp.part[TT_VALID].n, 1);
    }
    tt_weight_groups g;
    int hist = tt_dataset_find(&d, "hist");
    if (hist >= 0)
        CHECK(tt_inspect_weights_by(m, 0, &d, &sp, TT_VALID, "hist", &g, &err) < 0 &&
              strstr(err.msg, "sequence"), "by=hist should fail: %s", err.msg);
    CHECK(tt_inspect_weights_by(m, 0, &d, &sp, TT_VALID, "nosuch", &g, &err) < 0 &&
          strstr(err.msg, "nosuch"), "by=nosuch should fail: %s", err.msg);
    CHECK(g.n_groups == 0 && !g.labels, "failed by= leaves groups empty");

    /* ablate every feature of the model on valid: names, changes, intact */
    int ks[2] = { 10, 20 };
    tt_metrics base0 = { 0 }, base, abl;
    printf("ablate (valid): %-12s %8s %8s %8s\n", "feature", "R@20", "zeroed", "shuffled");
    int changed = 0, n_abl = 0;
    for (int i = 0; i < d.n_feat; i++) {
        if (tt_inspect_ablate(m, &d, &sp, TT_VALID, i, TT_ABLATE_ZERO, 7, ks, 2,
                              &base, &abl, &err) != 0) {
            CHECK(0, "ablate %s: %s", d.feat[i].name, err.msg);
            continue;
        }
        tt_metrics sb, sh;
        CHECK(tt_inspect_ablate(m, &d, &sp, TT_VALID, i, TT_ABLATE_SHUFFLE, 7, ks, 2,
                                &sb, &sh, &err) == 0, "shuffle %s: %s", d.feat[i].name, err.msg);
        if (!n_abl++)
            base0 = base;
        CHECK(base.recall[1] == base0.recall[1] && base.ndcg[1] == base0.ndcg[1],
              "base metrics moved after ablating (ablation left on?)");
        CHECK(base.n_k == 2 && base.k[1] == 20 && abl.n_users == base.n_users, "metrics shape");
        changed += abl.recall[1] != base.recall[1] || abl.ndcg[1] != base.ndcg[1];
        printf("  %-12s %8.4f %8.4f %8.4f\n", d.feat[i].name, base.recall[1], abl.recall[1],
               sh.recall[1]);
    }
    CHECK(n_abl == d.n_feat, "ablated %d of %d features", n_abl, d.n_feat);
    CHECK(changed >= d.n_feat / 2, "zeroing changed the metrics for only %d features", changed);
    CHECK(base0.recall[1] > 0, "the trained model recalls nothing");
    CHECK(tt_inspect_ablate(m, &d, &sp, TT_VALID, -1, TT_ABLATE_ZERO, 1, ks, 2, &base, &abl, &err) < 0,
          "feature -1 accepted");
    CHECK(tt_inspect_ablate(m, &d, &sp, TT_VALID, d.n_feat, TT_ABLATE_ZERO, 1, ks, 2, &base, &abl, &err) < 0,
          "feature n_feat accepted");

    tt_model_free(m);
    tt_split_free(&sp);
    tt_dataset_free(&d);
    return tt_check_done("test_inspect");
}

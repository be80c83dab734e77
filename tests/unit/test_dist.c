/* test_dist: data-parallel training over MPI ranks against one process.
 * Run under mpirun (tests/script/test_mpi.sh runs it on 2 and 3 ranks);
 * exits 77 (skip) in a build without MPI or on one rank.
 *
 * For each loss (full softmax, in-batch softmax with logQ, sampled softmax
 * with lazy Adam, in-batch with SENet towers, BCE, in-batch with IntTower's
 * FE-Block), every rank trains
 *   - a reference as one process (tt_dist_set_local), and
 *   - the same model across the ranks, with the dense, the sparse and the
 *     measured ("auto") exchange of the embedding gradients;
 * and checks: each of the first 100 steps' loss within 1e-4 relative of the
 * reference; final parameters close to the reference's; the same bits on
 * every rank; the same bits for dense, sparse and auto (deterministic
 * reruns); valid and test metrics close to the reference's; the softmax
 * losses split over the ranks (tt_losses.h: TT_SHARD_*), BCE not, and
 * TTLAB_DIST_LOSS=whole (no split) follows the split loss's steps; and the
 * sharded evaluator's ranks equal to the one-process evaluator's exactly. */
#include "config.h"
#include "tt_check.h"
#include "tt_dist.h"
#include "tt_train.h"
#include "tt_score.h"

#include <math.h>

#define MAX_STEPS 4096

typedef struct steps {
    double loss[MAX_STEPS];
    int n;
} steps;

static int on_step(const tt_snapshot *s, void *ud)
{
    steps *st = ud;
    if (!s->epoch_end && st->n < MAX_STEPS)
        st->loss[st->n++] = s->loss;
    return 0;
}

typedef struct cfg {
    const char *name;
    int loss, neg, lazy, senet, logq, fe;
    int mi;               /* user tower: 1 ComiRec-SA, hard pick; 2 MIND, label-aware pow=20 */
} cfg;

typedef struct outcome {
    steps st;
    float *P;             /* final parameters */
    int64_t np;
    tt_metrics valid, test;
    int64_t *ranks_local, *ranks_shard;   /* test ranks of the final model */
    int n_se;             /* SENet fields of the user tower */
    int64_t steps, split_calls;   /* steps; the loss's reduce-scatters (split loss) */
    float se[TT_MAX_FIELDS];   /* their mean excitation weight, last epoch */
} outcome;

/* embed dim=8 | [senet |] mlp 16 8 | l2norm */
static tt_tower_def tower(const char *name, int senet)
{
    static const int w[2] = {16, 8};
    tt_tower_def t;
    tt_tower_def_mlp(&t, name, 8, w, 2, 1);
    t.senet = senet ? TT_RW_SENET : TT_RW_NONE;
    return t;
}

/* Train c on d/sp alone (local) or across the ranks with the given
 * exchange ("dense", "sparse", NULL: measured). */
static void train_one(const cfg *c, const tt_dataset *d, const tt_split *sp, int local,
                      const char *exchange, outcome *out)
{
    tt_err err;
    tt_model_def md;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "%s", c->name);
    md.loss = c->loss;
    md.neg = c->neg;
    md.logq = c->logq;
    md.temp = 0.1f;
    if (c->fe) {   /* IntTower's FE-Block: every item row projected, the whole batch's loss */
        md.interact = TT_INTERACT_FE;
        md.heads = 2;
    }
    tt_tower_def u = tower("u", c->senet), i = tower("i", c->senet);
    if (c->mi) {   /* embed dim=8 | interests k=3 via=... out=8 [pow=20] | l2norm */
        tt_tower_def_init(&u);
        snprintf(u.name, sizeof u.name, "u");
        u.dim = 8;
        u.interests = 1;
        u.mi_via = c->mi == 1 ? TT_MI_ATTENTION : TT_MI_ROUTING;
        u.mi_k = 3;
        u.mi_out = 8;
        u.mi_pow = c->mi == 2 ? 20.0f : 0.0f;
        u.l2norm = 1;
    }
    tt_model *m;
    if (tt_model_create(&md, &u, &i, d, 7, &m, &err))
        DIE("model %s: %s", c->name, err.msg);
    tt_train_opts o;
    tt_train_opts_init(&o);
    o.epochs = 2;
    o.batch = 64;
    o.lr = 0.01f;
    o.threads = 1;
    o.lazy = c->lazy;
    o.seed = 3;
    if (exchange)
        setenv("TTLAB_DIST_EXCHANGE", exchange, 1);
    else
        unsetenv("TTLAB_DIST_EXCHANGE");
    tt_dist_set_local(local);
    memset(out, 0, sizeof *out);
    tt_train_result res;
    if (tt_train(m, d, sp, &o, on_step, &out->st, &res, &err))
        DIE("train %s: %s", c->name, err.msg);
    CHECK(!res.diverged, "%s diverged: %s", c->name, res.diverged_what);
    out->valid = res.h.valid[res.best_epoch - 1];
    out->steps = res.steps;
    out->split_calls = res.kind_calls[TT_COLL_REDUCE_SCATTER];
    out->n_se = res.h.n_se[0];
    if (out->n_se > 0)
        memcpy(out->se, res.h.se[0] + (size_t)(res.n_epochs - 1) * TT_MAX_FIELDS,
               (size_t)out->n_se * sizeof(float));
    tt_train_result_free(&res);
    static const int ks[3] = {10, 20, 50};
    if (tt_score_eval(m, d, sp, TT_TEST, ks, 3, &out->test, &err))
        DIE("eval %s: %s", c->name, err.msg);
    int64_t n = sp->part[TT_TEST].n;
    out->ranks_local = malloc((size_t)n * sizeof(int64_t));
    out->ranks_shard = malloc((size_t)n * sizeof(int64_t));
    tt_dist_set_local(1);
    int rc = tt_score_ranks(m, d, sp, TT_TEST, out->ranks_local, &err);
    tt_dist_set_local(0);
    rc |= tt_score_ranks(m, d, sp, TT_TEST, out->ranks_shard, &err);
    if (rc)
        DIE("ranks %s: %s", c->name, err.msg);
    out->np = tt_model_param_count(m);
    out->P = malloc((size_t)out->np * sizeof(float));
    memcpy(out->P, tt_model_params(m), (size_t)out->np * sizeof(float));
    tt_model_free(m);
}

static void outcome_free(outcome *o)
{
    free(o->P);
    free(o->ranks_local);
    free(o->ranks_shard);
}

static double max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t j = 0; j < n; j++)
        m = fmax(m, fabs((double)a[j] - b[j]));
    return m;
}

/* ||a - b|| / ||b|| */
static double rel_l2(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t j = 0; j < n; j++) {
        num += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
        den += (double)b[j] * b[j];
    }
    return sqrt(num / fmax(den, 1e-30));
}

static void metrics_close(const char *what, const tt_metrics *a, const tt_metrics *b, double tol)
{
    for (int k = 0; k < a->n_k; k++) {
        CHECK(fabs(a->recall[k] - b->recall[k]) <= tol, "%s recall@%d %.4f vs %.4f", what,
              a->k[k], a->recall[k], b->recall[k]);
        CHECK(fabs(a->ndcg[k] - b->ndcg[k]) <= tol, "%s ndcg@%d %.4f vs %.4f", what, a->k[k],
              a->ndcg[k], b->ndcg[k]);
    }
}

static void check_cfg(const cfg *c, const tt_dataset *d, const tt_split *sp)
{
    outcome ref, dn, spr, au;
    train_one(c, d, sp, 1, NULL, &ref);
    train_one(c, d, sp, 0, "dense", &dn);
    train_one(c, d, sp, 0, "sparse", &spr);
    /* the measured choice runs both in its trial: once is enough */
    if (c->loss == TT_LOSS_INBATCH && !c->senet)
        train_one(c, d, sp, 0, NULL, &au);
    else
        au = spr, au.P = NULL, au.ranks_local = au.ranks_shard = NULL;
    int rank = tt_dist_rank();
    /* TTLAB_DIST_LOSS=whole (every rank the whole batch's loss, as before
     * the split) follows the same trajectory; it computes no reduce-scatter */
    if (c->loss == TT_LOSS_INBATCH && !c->senet) {
        outcome wh;
        setenv("TTLAB_DIST_LOSS", "whole", 1);
        train_one(c, d, sp, 0, "dense", &wh);
        unsetenv("TTLAB_DIST_LOSS");
        CHECK(wh.split_calls == 0, "%s: whole loss: %lld reduce-scatters", c->name,
              (long long)wh.split_calls);
        double w = 0;
        for (int s = 0; s < TT_MIN(wh.st.n, dn.st.n) && s < 100; s++)
            w = fmax(w, fabs(wh.st.loss[s] - dn.st.loss[s]) / fmax(fabs(dn.st.loss[s]), 1e-12));
        CHECK(wh.st.n == dn.st.n && w <= 1e-4, "%s: whole loss: %d steps, worst step %.2e "
              "relative from the split loss", c->name, wh.st.n, w);
        outcome_free(&wh);
    }
    /* the softmax losses split their scores over the ranks (one reduce-
     * scatter of the partial output gradients per step), BCE does not */
    int64_t want = c->loss == TT_LOSS_BCE || c->fe || c->mi ? 0 : dn.steps;
    CHECK(dn.split_calls == want, "%s: %lld reduce-scatters of the loss in %lld steps, want %lld",
          c->name, (long long)dn.split_calls, (long long)dn.steps, (long long)want);

    /* the loss of each step, against one process */
    CHECK(dn.st.n == ref.st.n && dn.st.n >= 100, "%s: %d steps vs %d", c->name, dn.st.n, ref.st.n);
    double worst = 0;
    int at = -1;
    for (int s = 0; s < TT_MIN(dn.st.n, ref.st.n) && s < 100; s++) {
        double rel = fabs(dn.st.loss[s] - ref.st.loss[s]) / fmax(fabs(ref.st.loss[s]), 1e-12);
        if (rel > worst)
            worst = rel, at = s;
    }
    CHECK(worst <= 1e-4, "%s: step %d loss %.8f vs one process %.8f (relative %.2e)", c->name,
          at + 1, dn.st.loss[at], ref.st.loss[at], worst);
    /* the final parameters, against one process. Training amplifies the
     * float-order differences over the steps, most under full softmax: every
     * item row gets a tiny gradient every step, which Adam scales to a full
     * step (seen with the whole batch's loss on every rank: 2.5e-4 relative
     * after 114 steps, the other losses 1e-6 to 1e-5; with the split loss
     * about 1e-7 for all) */
    double pd = max_abs_diff(dn.P, ref.P, ref.np), prel = rel_l2(dn.P, ref.P, ref.np);
    /* FE-Block: each score is a max over an item's G vectors, so a float-
     * order difference that flips a winner moves that vector's whole
     * gradient (seen: 2.6e-4 relative, steps' losses within 1.1e-5) */
    double tol = c->loss == TT_LOSS_SOFTMAX || c->fe ? 1e-3 : 1e-4;
    CHECK(prel <= tol && pd <= 100 * tol, "%s: final parameters differ from one process by %.3g "
          "(relative L2) and %.3g (largest)", c->name, prel, pd);
    /* metrics within rounding (a few users' ranks may flip) */
    metrics_close(c->name, &dn.valid, &ref.valid, 0.02);
    metrics_close(c->name, &dn.test, &ref.test, 0.02);
    /* the SENet read-out (mean excitation weight per field) over all rows */
    CHECK(dn.n_se == ref.n_se, "%s: %d SENet fields vs %d", c->name, dn.n_se, ref.n_se);
    for (int f = 0; f < dn.n_se && f < ref.n_se; f++)
        CHECK(fabs(dn.se[f] - ref.se[f]) <= 1e-4, "%s: SENet field %d mean %.6f vs one process %.6f",
              c->name, f, dn.se[f], ref.se[f]);
    /* reruns: dense, sparse and measured exchange give the same bits */
    CHECK(memcmp(dn.P, spr.P, (size_t)dn.np * sizeof(float)) == 0, "%s: sparse exchange differs from dense", c->name);
    CHECK(memcmp(dn.P, au.P ? au.P : spr.P, (size_t)dn.np * sizeof(float)) == 0,
          "%s: measured exchange differs from dense", c->name);
    CHECK(memcmp(dn.st.loss, spr.st.loss, (size_t)dn.st.n * sizeof(double)) == 0,
          "%s: losses of the sparse rerun differ", c->name);
    /* every rank holds the same parameters as rank 0 */
    float *r0 = malloc((size_t)dn.np * sizeof(float));
    tt_err err;
    memcpy(r0, dn.P, (size_t)dn.np * sizeof(float));
    if (tt_dist_bcast(r0, (size_t)dn.np * sizeof(float), 0, &err))
        DIE("bcast: %s", err.msg);
    CHECK(memcmp(r0, dn.P, (size_t)dn.np * sizeof(float)) == 0, "%s: rank %d's parameters differ from rank 0's",
          c->name, rank);
    free(r0);
    /* the sharded evaluator equals the one-process evaluator exactly */
    int64_t n = sp->part[TT_TEST].n;
    CHECK(memcmp(dn.ranks_local, dn.ranks_shard, (size_t)n * sizeof(int64_t)) == 0,
          "%s: sharded ranks differ from one process's", c->name);
    if (rank == 0 && getenv("TT_VERBOSE"))
        fprintf(stderr, "%s on %d ranks: %d steps, worst step loss rel %.2e, params rel %.2e max %.2e, "
                "test recall@20 %.4f vs %.4f\n", c->name, tt_dist_size(), dn.st.n, worst, prel, pd,
                dn.test.recall[1], ref.test.recall[1]);
    outcome_free(&ref);
    outcome_free(&dn);
    outcome_free(&spr);
    outcome_free(&au);
}

int main(int argc, char **argv)
{
    tt_err err;
    if (!tt_dist_built()) {
        fprintf(stderr, "SKIP: built without MPI (./configure --with-mpi)\n");
        return 77;
    }
    if (tt_dist_init(&argc, &argv, &err))
        DIE("%s", err.msg);
    if (tt_dist_size() < 2) {
        fprintf(stderr, "SKIP: run under mpirun with 2 or more ranks\n");
        tt_dist_finalize();
        return 77;
    }
    tt_synth_opts so;
    tt_synth_opts_init(&so);
    so.users = 200;
    so.items = 150;
    so.per_user = 20;
    so.seed = 5;
    tt_dataset d;
    tt_split sp;
    if (tt_synth_generate(&so, &d, &err) || tt_split_l2o(&d, 10, &sp, &err))
        DIE("data: %s", err.msg);
    static const cfg cfgs[] = {
        {"full", TT_LOSS_SOFTMAX, 0, 0, 0, 0, 0, 0},
        {"inbatch", TT_LOSS_INBATCH, 0, 0, 0, 1, 0, 0},
        {"sampled_lazy", TT_LOSS_SAMPLED, 32, 1, 0, 1, 0, 0},
        {"senet", TT_LOSS_INBATCH, 0, 0, 1, 1, 0, 0},
        {"bce", TT_LOSS_BCE, 4, 0, 0, 0, 0, 0},   /* not split: the whole batch on every rank */
        {"fe", TT_LOSS_INBATCH, 0, 0, 0, 1, 1, 0},   /* not split either */
        /* multi-interest: every rank picks for the whole batch (nor split) */
        {"comirec", TT_LOSS_INBATCH, 0, 0, 0, 1, 0, 1},
        {"mind_pow", TT_LOSS_SOFTMAX, 0, 0, 0, 0, 0, 2},
    };
    for (size_t k = 0; k < TT_ARRAY_LEN(cfgs); k++)
        check_cfg(&cfgs[k], &d, &sp);
    tt_split_free(&sp);
    tt_dataset_free(&d);
    /* every rank's verdict: the job fails if any rank's checks did */
    int bad = tt_dist_max_int(tt_fails > 0);
    if (tt_dist_rank() == 0)
        fprintf(stderr, "test_dist on %d ranks: %d checks on rank 0, %s\n", tt_dist_size(),
                tt_checks, bad ? "FAILED" : "ok");
    tt_dist_finalize();
    return bad ? 1 : 0;
}

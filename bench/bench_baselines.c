/* bench_baselines: the baselines' fitting time and memory. EASE on ML-100K
 * (fit time, test Recall@20), then on the generated 1,000,000-interaction,
 * 100,000-item set (the scale set of bench_train): ItemKNN (k=100) and iALS
 * (dim 64, 10 iterations) fitted, EASE refusing with the memory it would
 * need, and one epoch of the in-batch two-tower beside them.
 * Environment: TTLAB_SHARED (default ../shared), TT_BENCH_THREADS (2),
 * TT_BENCH_SCALE (1; 0 skips the generated set). */
#include "bench_util.h"
#include "tt_blas.h"
#include "tt_mkind.h"
#include "tt_model.h"
#include "tt_score.h"
#include "tt_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Fit kind k with its defaults (and opt=val when given); prints the time. */
static tt_model *fit(const tt_dataset *d, const tt_split *sp, enum tt_model_kind k,
                     const char *opt, double val, int threads, const char *label)
{
    tt_model_def md;
    tt_err err;
    tt_model *m = NULL;
    tt_model_def_init(&md);
    md.kind = k;
    tt_mkind_defaults(&md);
    snprintf(md.name, sizeof md.name, "%s", tt_mkind_get(k)->name);
    if (opt)
        md.kopt[tt_mkind_opt(k, opt)] = val;
    double t0 = tt_now(), c0 = cpu_seconds();
    if (tt_model_create(&md, NULL, NULL, d, 1, &m, &err) ||
        tt_model_fit(m, d, sp, threads, NULL, &err)) {
        printf("%-34s refused: %s\n", label, err.msg);
        tt_model_free(m);
        return NULL;
    }
    double secs = tt_now() - t0, cpu = cpu_seconds() - c0;
    int ks[1] = {20};
    tt_metrics mt;
    if (tt_score_eval(m, d, sp, TT_VALID, ks, 1, &mt, &err)) {
        printf("%-34s eval: %s\n", label, err.msg);
        tt_model_free(m);
        return NULL;
    }
    printf("%-34s fit %.2f s wall, %.2f s CPU, valid recall@20 %.4f, %lld parameters (%.0f MiB), peak RSS %.0f MiB\n",
           label, secs, cpu, mt.recall[0], (long long)tt_model_param_count(m),
           tt_model_param_count(m) * 4.0 / 1048576.0, peak_rss_mib());
    return m;
}

int main(void)
{
    int threads = atoi(envs("TT_BENCH_THREADS", "2"));
    tt_blas_set_threads(threads);
    tt_err err;
    tt_dataset d;
    tt_split sp;
    char path[4096];
    snprintf(path, sizeof path, "%s/data/ml-100k", envs("TTLAB_SHARED", "../shared"));
    printf("bench_baselines: %d threads\n", threads);
    if (tt_load_movielens(path, &d, &err) == 0) {
        if (tt_split_l2o(&d, 20, &sp, &err) == 0) {
            for (int r = 0; r < 3; r++) {   /* three fits: the spread of the time */
                tt_model_free(fit(&d, &sp, TT_MODEL_EASE, NULL, 0, threads, "ml-100k ease lambda=100"));
            }
            tt_model_free(fit(&d, &sp, TT_MODEL_ITEMKNN, NULL, 0, threads, "ml-100k itemknn k=100"));
            tt_model_free(fit(&d, &sp, TT_MODEL_IALS, NULL, 0, threads, "ml-100k ials dim=64 iters=10"));
            tt_split_free(&sp);
        }
        tt_dataset_free(&d);
    } else {
        printf("ml-100k: skipped (%s)\n", err.msg);
    }
    if (!atoi(envs("TT_BENCH_SCALE", "1")))
        return 0;
    tt_synth_opts so;
    tt_synth_opts_init(&so);
    so.users = 25000;   /* x 40 per user = 1,000,000 interactions, as bench_train's scale run */
    so.items = 100000;
    so.per_user = 40;
    so.clusters = 64;
    double t0 = tt_now();
    if (tt_synth_generate(&so, &d, &err) || tt_split_l2o(&d, 20, &sp, &err)) {
        fprintf(stderr, "bench_baselines: %s\n", err.msg);
        return 1;
    }
    printf("\nscale: generated %lld interactions, %d users, %d items in %.1f s (peak RSS %.0f MiB)\n",
           (long long)d.n_inter, d.n_users, d.n_items, tt_now() - t0, peak_rss_mib());
    tt_model_free(fit(&d, &sp, TT_MODEL_EASE, NULL, 0, threads, "scale ease lambda=100"));
    tt_model_free(fit(&d, &sp, TT_MODEL_ITEMKNN, NULL, 0, threads, "scale itemknn k=100"));
    tt_model_free(fit(&d, &sp, TT_MODEL_IALS, NULL, 0, threads, "scale ials dim=64 iters=10"));
    /* beside them: one epoch of the in-batch two-tower (bench_train's setting) */
    tt_model_def md;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "inbatch");
    md.loss = TT_LOSS_INBATCH;
    md.logq = 1;
    tt_tower_def u = tower("u", 0), i = tower("i", 0);
    tt_model *m;
    if (tt_model_create(&md, &u, &i, &d, 1, &m, &err) == 0) {
        tt_train_opts o = one_epoch_opts();
        o.threads = threads;
        tt_train_result r;
        memset(&r, 0, sizeof r);
        if (tt_train(m, &d, &sp, &o, NULL, NULL, &r, &err) == 0)
            printf("%-34s one epoch %.2f s, valid recall@20 %.4f, %lld parameters, peak RSS %.0f MiB\n",
                   "scale twotower in-batch (logQ)", r.seconds, r.h.valid[0].recall[1],
                   (long long)tt_model_param_count(m), peak_rss_mib());
        tt_train_result_free(&r);
        tt_model_free(m);
    }
    tt_split_free(&sp);
    tt_dataset_free(&d);
    return 0;
}

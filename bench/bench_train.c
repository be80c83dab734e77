/* bench_train: quality and speed of the protocol models on ML-100K (dssm,
 * senet, dssm-inbatch; PROTOCOL.md; dat, dssm with augment=dat; fe, dssm with
 * IntTower's FE-Block and CIR, interact=fe heads=4 cir=0.1, its epoch's CPU
 * time against dssm's, issue 13 asks <= 2x; comirec, the user tower `embed
 * dim=16 | interests k=4 via=attention out=32 | l2norm`, its GFLOP/s counted
 * on DSSM's shapes), GFLOP/s next to sgemm on the same
 * shapes, and a scale run on a generated dataset (1M interactions, 100k
 * items, the project's generator) with in-batch and sampled softmax: time per
 * epoch and peak memory.
 * Environment: TTLAB_SHARED (default ../shared), TT_BENCH_SEEDS ("1,2,3"),
 * TT_BENCH_MODELS ("dssm,senet,dssm-inbatch,dat,comirec"; fe when named), TT_BENCH_EPOCHS (20),
 * TT_BENCH_THREADS (2), TT_BENCH_SCALE (1; 0 skips the scale run),
 * TT_BENCH_TORCH (1: time bench/reference_torch.py side by side, found via
 * TTLAB_SRCDIR or next to this program), TT_BENCH_TORCH_EPOCHS (1). */
#include "bench_util.h"
#include "tt_model.h"
#include "tt_train.h"
#include "tt_eval.h"
#include "tt_blas.h"
#include "tt_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

/* GEMM floating-point work of one training step (the dense layers and the
 * score matrix, forward and backward), from the shapes. */
static double step_flops(int B, int nv, int ncols, int fu, int fi)
{
    double f = 0;
    int k = 16, h = 64, o = 32;
    /* forward 2 M N K; backward 4 M N K (dW and dX) per dense layer */
    f += 6.0 * B * (fu * k) * h + 6.0 * B * h * o;
    f += 6.0 * nv * (fi * k) * h + 6.0 * nv * h * o;
    f += 6.0 * B * ncols * o;   /* S = Q V^T, dQ, dV */
    return f;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* sgemm alone on the step's shapes, repeated: GFLOP/s one thread reaches,
 * per CPU-second (other jobs on the machine do not lower it). */
static double sgemm_rate(int B, int nv, int ncols, int fu, int fi)
{
    int k = 16, h = 64, o = 32;
    size_t big = (size_t)(nv > B ? nv : B) * 256 + (size_t)B * ncols + 1024;
    float *A = calloc(big, sizeof(float)), *Bm = calloc(big, sizeof(float)),
          *C = calloc(big, sizeof(float));
    for (size_t j = 0; j < big; j++) {
        A[j] = (float)((j * 7) % 13) * 0.01f;
        Bm[j] = (float)((j * 5) % 11) * 0.01f;
    }
    double t0 = cpu_now(), flops = 0;
    int reps = 0;
    while (cpu_now() - t0 < 1.0 || reps < 3) {
        int sh[2][3] = {{B, fu * k, h}, {nv, fi * k, h}};
        for (int s = 0; s < 2; s++) {
            int M = sh[s][0], K = sh[s][1];
            tt_gemm(0, 1, M, h, K, 1, A, K, Bm, K, 0, C, h);         /* fwd 1 */
            tt_gemm(1, 0, h, K, M, 1, C, h, A, K, 0, Bm, K);         /* dW 1 */
            tt_gemm(0, 0, M, K, h, 1, C, h, Bm, K, 0, A, K);         /* dX 1 */
            tt_gemm(0, 1, M, o, h, 1, C, h, Bm, h, 0, A, o);         /* fwd 2 */
            tt_gemm(1, 0, o, h, M, 1, A, o, C, h, 0, Bm, h);         /* dW 2 */
            tt_gemm(0, 0, M, h, o, 1, A, o, Bm, h, 0, C, h);         /* dX 2 */
            flops += 6.0 * M * K * h + 6.0 * M * h * o;
        }
        tt_gemm(0, 1, B, ncols, o, 1, A, o, Bm, o, 0, C, ncols);     /* S */
        tt_gemm(0, 0, B, o, ncols, 1, C, ncols, Bm, o, 0, A, o);     /* dQ */
        tt_gemm(1, 0, ncols, o, B, 1, C, ncols, A, o, 0, Bm, o);     /* dV */
        flops += 6.0 * B * ncols * o;
        reps++;
    }
    double el = cpu_now() - t0;
    free(A);
    free(Bm);
    free(C);
    return flops / el / 1e9;
}

typedef struct run {
    double r10, r20, r50, ndcg10, spe, exps, gflops, cpu_spe;
    int best;
} run;

/* Process CPU seconds of the training batches (evaluation excluded): from the
 * first batch's snapshot to the last one's in every epoch. On a machine
 * shared with other jobs this is what the epoch costs; wall time also
 * counts the waiting. */
typedef struct cpu_track {
    double t_first, sum;
    int64_t batches;
    int epochs;
} cpu_track;

static int cpu_cb(const tt_snapshot *s, void *ud)
{
    cpu_track *c = ud;
    if (s->epoch_end)
        return 0;
    if (s->batch == 1)
        c->t_first = cpu_now();
    if (s->batch == s->batches && s->batches > 1) {
        c->sum += (cpu_now() - c->t_first) * (double)s->batches / (double)(s->batches - 1);
        c->epochs++;
    }
    return 0;
}

static int train_one(const char *name, const tt_dataset *d, const tt_split *sp,
                     uint64_t seed, int epochs, run *out)
{
    tt_err err;
    tt_model_def md;
    tt_model_def_init(&md);
    snprintf(md.name, sizeof md.name, "%s", name);
    md.temp = 0.05f;
    int senet = strcmp(name, "senet") == 0;
    if (strcmp(name, "dat") == 0)
        md.augment = TT_AUG_DAT;   /* dat_w 0.5, the default */
    if (strcmp(name, "fe") == 0) {
        md.interact = TT_INTERACT_FE;
        md.heads = 4;
        md.cir = 0.1f;
    }
    if (strcmp(name, "dssm-inbatch") == 0) {
        md.loss = TT_LOSS_INBATCH;
        md.logq = 0;
        md.mask_hits = 0;   /* the protocol's reference: plain in-batch softmax */
    }
    tt_tower_def u = tower("u", senet), i = tower("i", senet);
    if (strcmp(name, "comirec") == 0) {   /* embed dim=16 | interests k=4 via=attention out=32 | l2norm */
        u.n_chan = 0;
        u.interests = 1;
        u.mi_via = TT_MI_ATTENTION;
        u.mi_k = 4;
        u.mi_out = 32;
    }
    tt_model *m;
    if (tt_model_create(&md, &u, &i, d, seed, &m, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return -1;
    }
    tt_train_opts o;
    tt_train_opts_init(&o);
    o.epochs = epochs;
    o.batch = 256;
    o.lr = 0.001f;
    o.seed = seed;
    tt_train_result r;
    cpu_track ct = {0, 0, 0, 0};
    if (tt_train(m, d, sp, &o, cpu_cb, &ct, &r, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        tt_model_free(m);
        return -1;
    }
    out->cpu_spe = ct.epochs ? ct.sum / ct.epochs : 0;
    int D = tt_model_dim(m), nq = tt_model_query_vectors(m);
    const tt_examples *te = &sp->part[TT_TEST];
    int H = 1, G = 1, dh = D;
    int fe = tt_model_fe_shape(m, &H, &G, &dh);
    float *V = malloc((size_t)d->n_items * G * dh * sizeof(float));
    float *Q = malloc((size_t)te->n * nq * D * sizeof(float));
    int32_t *qn = malloc((size_t)te->n * sizeof(int32_t));
    int ks[3] = {10, 20, 50};
    tt_metrics mt;
    /* fe: user heads against per-item field vectors; otherwise an item scores
     * by the user's best vector (one, or a multi-interest tower's K) */
    if ((fe ? tt_model_encode_item_vectors(m, d, V, &err) : tt_model_encode_items(m, d, V, &err)) ||
        (fe ? tt_model_encode_queries(m, d, te, Q, &err)
            : tt_model_encode_queries_multi(m, d, te, Q, qn, &err)) ||
        (fe ? tt_eval_summax(Q, H, V, G, d->n_items, dh, sp, TT_TEST, ks, 3, &mt, &err)
            : tt_eval_multi(Q, nq, qn, V, d->n_items, D, sp, TT_TEST, ks, 3, &mt, &err))) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return -1;
    }
    out->r10 = mt.recall[0];
    out->r20 = mt.recall[1];
    out->r50 = mt.recall[2];
    out->ndcg10 = mt.ndcg[0];
    out->spe = r.seconds / r.n_epochs;
    out->exps = r.ex_per_s;
    out->best = r.best_epoch;
    tt_train_result_free(&r);
    int nf_u = 0, nf_i = 0;
    for (int f = 0; f < d->n_feat; f++) {
        if (d->feat[f].side == TT_ITEM && d->feat[f].kind != TT_SEQ)
            nf_i++;
        else
            nf_u++;
    }
    if (md.augment == TT_AUG_DAT) {   /* the augmented vector: 32 = 2 x 16 more inputs */
        nf_u += 2;
        nf_i += 2;
    }
    int64_t n = sp->part[TT_TRAIN].n, nb = (n + 255) / 256;
    int inb = md.loss == TT_LOSS_INBATCH;
    double fl = step_flops(256, inb ? 256 : d->n_items, inb ? 256 : d->n_items, nf_u, nf_i);
    out->gflops = fl * (double)nb / out->spe / 1e9;
    free(V);
    free(Q);
    free(qn);
    tt_model_free(m);
    return 0;
}

/* The independent PyTorch reference (bench/reference_torch.py) on the same
 * model, timed in this run so that the speed-up is a ratio measured under the
 * same machine load, at PyTorch's fastest setting on this machine
 * (OPENBLAS_NUM_THREADS=1: PROTOCOL.md). Returns its seconds per epoch, or
 * -1 when torch or the script is unavailable; its test recall@20 (at its
 * best valid epoch) in *r20. */
static double torch_reference(const char *dir, const char *model, int epochs,
                              int threads, const char *argv0, double *r20, double *cpu)
{
    char script[4096], cmd[16384];
    const char *src = getenv("TTLAB_SRCDIR");
    struct stat st;
    if (src)
        snprintf(script, sizeof script, "%s/bench/reference_torch.py", src);
    else {
        const char *slash = strrchr(argv0, '/');
        int n = slash ? (int)(slash - argv0) : 1;
        snprintf(script, sizeof script, "%.*s/reference_torch.py", n, slash ? argv0 : ".");
    }
    if (stat(script, &st) != 0)
        return -1;
    const char *py = stat("/usr/bin/python3", &st) == 0 ? "/usr/bin/python3" : "python3";
    snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 %s '%s' '%s' %s %d 1 %d 2>/dev/null", py,
             script, dir, model, epochs, threads);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[1024];
    double spe = -1;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "sec_per_epoch=");
        if (p)
            spe = atof(p + strlen("sec_per_epoch="));
        if ((p = strstr(line, "test_recall@20=")))
            *r20 = atof(p + strlen("test_recall@20="));
        if ((p = strstr(line, "cpu_sec_per_epoch=")))
            *cpu = atof(p + strlen("cpu_sec_per_epoch="));
    }
    pclose(f);
    return spe;
}

static void scale_run(void)
{
    tt_err err;
    tt_dataset d;
    tt_split sp;
    double t0 = tt_now();
    tt_synth_opts so;
    tt_synth_opts_init(&so);
    so.users = 25000;      /* x 40 per user = 1,000,000 interactions */
    so.items = 100000;
    so.per_user = 40;
    so.clusters = 64;
    if (tt_synth_generate(&so, &d, &err) || tt_split_l2o(&d, 20, &sp, &err)) {
        fprintf(stderr, "bench_train: scale data: %s\n", err.msg);
        return;
    }
    double rss_data = peak_rss_mib();
    printf("\nscale: generated %lld interactions, %d users, %d items in %.1f s (peak RSS %.0f MiB)\n",
           (long long)d.n_inter, d.n_users, d.n_items, tt_now() - t0, rss_data);
    const char *loss_name[2] = {"in-batch", "sampled(128, pop^0.75, logQ)"};
    for (int v = 0; v < 2; v++) {
        tt_model_def md;
        tt_model_def_init(&md);
        snprintf(md.name, sizeof md.name, "scale-%d", v);
        if (v == 0) {
            md.loss = TT_LOSS_INBATCH;
            md.logq = 1;
        } else {
            md.loss = TT_LOSS_SAMPLED;
            md.sampler = TT_SAMPLE_POP;
            md.logq = 1;
        }
        tt_tower_def u = tower("u", 0), i = tower("i", 0);
        tt_model *m;
        if (tt_model_create(&md, &u, &i, &d, 1, &m, &err)) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            break;
        }
        tt_train_opts o = one_epoch_opts();
        tt_train_result r;
        if (tt_train(m, &d, &sp, &o, NULL, NULL, &r, &err)) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            tt_model_free(m);
            break;
        }
        printf("scale %-30s batch 1024 lazy adam: %.2f s/epoch, %.0f examples/s, "
               "valid recall@20 %.4f, %lld parameters (%.0f MiB), peak RSS %.0f MiB\n",
               loss_name[v], r.seconds / r.n_epochs, r.ex_per_s,
               r.h.valid[0].recall[1], (long long)tt_model_param_count(m),
               tt_model_param_count(m) * 4.0 / 1048576.0, peak_rss_mib());
        tt_train_result_free(&r);
        tt_model_free(m);
    }
    printf("scale: memory = parameters x 4 blocks (parameters, gradients, 2 Adam moments)\n"
           "       + last-finite copy + best copy + data; activations are per batch.\n");
    tt_split_free(&sp);
    tt_dataset_free(&d);
}

int main(int argc, char **argv)
{
    tt_err err;
    (void)argc;
    /* The step runs its own threads with BLAS single-threaded inside them;
     * make sure OpenBLAS starts that way whatever tt_blas_set_threads can do
     * in this build (its pool size is read from the environment at load). */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    char dir[4096];
    int threads = atoi(envs("TT_BENCH_THREADS", "2"));
    int epochs = atoi(envs("TT_BENCH_EPOCHS", "20"));
    tt_blas_set_threads(threads);
    snprintf(dir, sizeof dir, "%s/data/ml-100k", envs("TTLAB_SHARED", "../shared"));
    struct stat st;
    printf("bench_train: %d training threads (BLAS single-threaded inside them); %s\n",
           threads, tt_blas_info());
    if (stat(dir, &st) != 0) {
        printf("bench_train: %s is absent: skipping the ML-100K runs\n", dir);
    } else {
        tt_dataset d;
        tt_split sp;
        if (tt_load_movielens(dir, &d, &err) || tt_split_l2o(&d, 20, &sp, &err)) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            return 1;
        }
        double la[3];
        if (getloadavg(la, 3) == 3)
            printf("load average before the runs: %.2f (2 cores; other jobs inflate wall "
                   "time, cpu-s is the process CPU time of an epoch's batches)\n", la[0]);
        printf("protocol: %s  (%lld training examples, %d items; batch 256, Adam 1e-3, "
               "temp 0.05, dim 16, MLP 64 32, %d epochs, test at the best valid epoch)\n",
               sp.protocol, (long long)sp.part[TT_TRAIN].n, d.n_items, epochs);
        char models[256], seeds[256];
        snprintf(models, sizeof models, "%s", envs("TT_BENCH_MODELS", "dssm,senet,dssm-inbatch,dat,comirec"));
        snprintf(seeds, sizeof seeds, "%s", envs("TT_BENCH_SEEDS", "1,2,3"));
        printf("%-13s %4s %5s %8s %8s %8s %8s %7s %7s %9s %8s\n", "model", "seed", "best",
               "R@10", "R@20", "R@50", "NDCG@10", "s/epoch", "cpu-s", "ex/s", "GFLOP/s");
        char *sv1 = NULL;
        double dssm_cpu = 0;   /* dssm's mean CPU seconds per epoch, when it ran */
        for (char *mn = strtok_r(models, ",", &sv1); mn; mn = strtok_r(NULL, ",", &sv1)) {
            double sum20 = 0, sumspe = 0, sumex = 0, sumgf = 0, sumcpu = 0;
            int ns = 0;
            char sc[256], *sv2 = NULL;
            snprintf(sc, sizeof sc, "%s", seeds);
            for (char *s = strtok_r(sc, ",", &sv2); s; s = strtok_r(NULL, ",", &sv2)) {
                run r;
                if (train_one(mn, &d, &sp, strtoull(s, NULL, 10), epochs, &r))
                    return 1;
                printf("%-13s %4s %5d %8.4f %8.4f %8.4f %8.4f %7.3f %7.3f %9.0f %8.1f\n", mn, s,
                       r.best, r.r10, r.r20, r.r50, r.ndcg10, r.spe, r.cpu_spe, r.exps,
                       r.gflops);
                fflush(stdout);
                sum20 += r.r20;
                sumspe += r.spe;
                sumex += r.exps;
                sumgf += r.gflops;
                sumcpu += r.cpu_spe;
                ns++;
            }
            int inb = strcmp(mn, "dssm-inbatch") == 0;
            if (strcmp(mn, "dssm") == 0)
                dssm_cpu = sumcpu / ns;
            if (strcmp(mn, "fe") == 0) {   /* no PyTorch reference, no GEMM-only bound */
                if (dssm_cpu > 0)
                    printf("%-13s mean R@20 %.4f; %.3f cpu-s/epoch = %.2fx dssm's %.3f "
                           "(same towers; issue 13 asks <= 2x)\n", mn, sum20 / ns,
                           sumcpu / ns, sumcpu / ns / dssm_cpu, dssm_cpu);
                else
                    printf("%-13s mean R@20 %.4f; %.3f cpu-s/epoch (add dssm to "
                           "TT_BENCH_MODELS for the ratio)\n", mn, sum20 / ns, sumcpu / ns);
                fflush(stdout);
                continue;
            }
            if (strcmp(mn, "comirec") == 0 && dssm_cpu > 0)
                printf("%-13s %.3f cpu-s/epoch = %.2fx dssm's %.3f (issue 13 asks <= 2x)\n", mn,
                       sumcpu / ns, sumcpu / ns / dssm_cpu, dssm_cpu);
            if (atoi(envs("TT_BENCH_TORCH", "1"))) {
                int te = atoi(envs("TT_BENCH_TORCH_EPOCHS", "1"));
                double t0 = tt_now();
                double tr20 = -1, tcpu = -1;
                double tspe = torch_reference(dir, mn, te, threads, argv[0], &tr20, &tcpu);
                if (tspe > 0)
                    printf("%-13s PyTorch reference (bench/reference_torch.py, %d epoch, %d "
                           "threads, OPENBLAS_NUM_THREADS=1, seed 1, this run): %.2f s/epoch, "
                           "%.2f cpu-s/epoch, test R@20 %.4f -> ttlab is %.1fx faster by wall "
                           "clock, %.1fx by CPU time (same load)\n",
                           mn, te, threads, tspe, tcpu, tr20, tspe / (sumspe / ns),
                           tcpu / (sumcpu / ns));
                else if (tt_now() - t0 < 30)
                    printf("%-13s PyTorch reference not run (python3-torch or "
                           "bench/reference_torch.py not found)\n", mn);
            }
            /* PROTOCOL.md's PyTorch figures; dat and comirec have none
             * there: they are held to dssm's (the augmented vectors should
             * not cost recall; comirec's own PyTorch run is the line above) */
            int dat = strcmp(mn, "dat") == 0 || strcmp(mn, "comirec") == 0;
            double ref20 = strcmp(mn, "dssm") == 0 || dat ? 0.164 : strcmp(mn, "senet") == 0 ? 0.163 : 0.111;
            double refspe = strcmp(mn, "dssm") == 0 || dat ? 6.5 : strcmp(mn, "senet") == 0 ? 7.5 : 3.1;
            int nf = d.n_items;
            /* sgemm alone, one thread, on the step's shapes; the step splits
             * them over `threads` threads, so threads x this is the ceiling. */
            double sg = sgemm_rate(256, inb ? 256 : nf, inb ? 256 : nf, 6, 3);
            /* GEMM CPU-seconds of an epoch at sgemm's own rate, against the
             * epoch's CPU-seconds: robust to other jobs on the machine. */
            double gemm_share = (sumgf / ns) * (sumspe / ns) / sg / (sumcpu / ns);
            printf("%-13s mean R@20 %.4f (reference %.3f%s, floor %.3f: %s); %.3f s/epoch = "
                   "%.1fx the reference's fastest %.1f s; %.0f ex/s; %.1f GFLOP/s achieved vs "
                   "sgemm %.1f GFLOP/s per thread on the same shapes (x%d threads)\n",
                   mn, sum20 / ns, ref20, dat ? " of dssm" : "", ref20 - 0.01,
                   sum20 / ns >= ref20 - 0.01 ? "met" : "NOT met", sumspe / ns,
                   refspe / (sumspe / ns), refspe, sumex / ns, sumgf / ns, sg, threads);
            printf("%-13s bound: GEMMs at sgemm's own rate would take %.0f%% of the epoch's CPU time; "
                   "the rest is %s\n", mn, 100 * gemm_share,
                   inb ? "the towers' element-wise work, embedding gathers/scatters, the "
                         "optimizer and the in-batch softmax (perf: GEMM kernels+packing "
                         "about half of the samples)"
                       : "the full softmax's exp over 256 x 1682 logits per step, element-wise "
                         "layers, memsets of accumulated gradients and the optimizer (perf: "
                         "GEMM kernels+packing ~60%, softmax ~8%, ReLU/L2/copies ~10%)");
            fflush(stdout);
        }
        tt_split_free(&sp);
        tt_dataset_free(&d);
    }
    if (atoi(envs("TT_BENCH_SCALE", "1")))
        scale_run();
    return 0;
}

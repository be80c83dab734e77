/* tui_driver: feeds the dashboard synthetic snapshots (a falling loss, SENet
 * weights drifting apart, one feature sinking to suppression, valid recall
 * per epoch) so that the tmux test can drive the TUI without training.
 *   tui_driver [--epochs E] [--batches B] [--delay-ms D] [--exit-at STEP]
 *              [--host-sigint] [--constant-items] [--run SEED/R/N] [--steep]
 *              [--no-senet]
 * Prints how it ended after the dashboard is closed; exit status 0. With
 * --exit-at it calls exit(3) at that step without closing the dashboard, to
 * check that the atexit path restores the terminal. With --host-sigint it
 * installs its own SIGINT handler first, as the session does, and reports how
 * often it was called. With --constant-items the item tower's excitation
 * does not vary across items (hidden width 1, its unit off for 99% of them),
 * the case the SENet panel must name as constant. --run names the seed and
 * the run of a seeds= run; --steep starts the loss ten times above its
 * plateau (the loss panel turns logarithmic); --no-senet feeds no SENet
 * weights (w must say why nothing opens). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tt_tui.h"
#include "tt_util.h"

static volatile sig_atomic_t host_calls;
static void host_handler(int sig)
{
    (void)sig;
    host_calls++;
}

static const char *user_f[] = { "user_id", "age", "gender", "occupation", "zip3",
                                "hist", "ctx_noise" };
static const double user_w[] = { 0.51, 0.28, 0.39, 0.35, 0.46, 0.91, 0.07 };
static const char *item_f[] = { "item_id", "genres", "decade", "item_noise" };
static const double item_w[] = { 0.66, 0.61, 0.41, 0.30 };

int main(int argc, char **argv)
{
    int epochs = 20, batches = 100, delay_ms = 10;
    long exit_at = -1;
    int host = 0, constant_items = 0, steep = 0, no_senet = 0;
    unsigned long long run_seed = 0;
    int run_r = 0, run_n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc)
            batches = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
            delay_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--exit-at") && i + 1 < argc)
            exit_at = atol(argv[++i]);
        else if (!strcmp(argv[i], "--host-sigint"))
            host = 1;
        else if (!strcmp(argv[i], "--constant-items"))
            constant_items = 1;
        else if (!strcmp(argv[i], "--steep"))
            steep = 1;
        else if (!strcmp(argv[i], "--no-senet"))
            no_senet = 1;
        else if (!strcmp(argv[i], "--run") && i + 1 < argc)
            sscanf(argv[++i], "%llu/%d/%d", &run_seed, &run_r, &run_n);
        else {
            fprintf(stderr, "usage: tui_driver [--epochs E] [--batches B] [--delay-ms D] [--exit-at STEP] [--host-sigint] [--constant-items] [--run SEED/R/N] [--steep] [--no-senet]\n");
            return 2;
        }
    }
    enum { MAX_E = 4096 };
    static double el[MAX_E], vr[MAX_E];   /* the per-epoch arrays a snapshot points to */
    if (epochs < 1 || epochs > MAX_E || batches < 1) {
        fprintf(stderr, "tui_driver: bad sizes\n");
        return 2;
    }
    static const double dssm[] = { 0.05, 0.09, 0.12, 0.14, 0.15, 0.155, 0.16, 0.162 };
    static const double r4[] = { 0.04, 0.08, 0.11, 0.13, 0.145, 0.15 };
    tt_curve past[2] = { { "dssm", 8, dssm }, { "senet-r4", 6, r4 } };
    if (host)
        signal(SIGINT, host_handler);
    tt_tui *t = tt_tui_open(past, 2);
    if (!t)
        fprintf(stderr, "tui_driver: no terminal: plain progress lines\n");
    if (run_n > 0)
        tt_tui_set_run(t, run_seed, run_r, run_n);

    static tt_snapshot s;   /* large: keep it off the stack */
    memset(&s, 0, sizeof s);
    s.model = "senet-demo";
    s.epochs = epochs;
    s.epoch_loss = el;
    s.valid_recall20 = vr;
    s.batches = batches;
    s.n_se[0] = (int)TT_ARRAY_LEN(user_f);
    s.n_se[1] = (int)TT_ARRAY_LEN(item_f);
    if (no_senet)
        s.n_se[0] = s.n_se[1] = 0;
    for (int f = 0; f < s.n_se[0]; f++)
        s.se_name[0][f] = user_f[f];
    for (int f = 0; f < s.n_se[1]; f++)
        s.se_name[1][f] = item_f[f];
    s.se_hidden[0] = 3;
    s.se_r[0] = s.se_r[1] = 2;
    s.se_hidden[1] = constant_items ? 1 : 2;
    s.se_inactive[1] = constant_items ? 0.99f : 0.0f;
    double t0 = tt_now();
    long total = (long)epochs * batches;
    int stopped = 0;
    struct timespec ts = { 0, (long)delay_ms * 1000000L };
    for (int e = 1; e <= epochs && !stopped; e++) {
        for (int b = 1; b <= batches; b++) {
            s.step++;
            s.epoch = e;
            s.batch = b;
            s.epoch_end = b == batches;
            double k = (double)s.step;
            s.loss = steep ? 40.0 * exp(-k / 30.0) + 1.5 + 0.1 * sin(k * 0.7)
                           : 4.0 * exp(-k / 400.0) + 1.5 + 0.3 * sin(k * 0.7);
            s.loss_smooth = s.step == 1 ? s.loss : 0.95 * s.loss_smooth + 0.05 * s.loss;
            for (int f = 0; f < s.n_se[0]; f++)
                s.se_mean[0][f] = (float)(user_w[f] + (0.5 - user_w[f]) * exp(-k / 300.0)
                                          + 0.01 * sin(k / 50.0 + f));
            for (int f = 0; f < s.n_se[1]; f++)
                s.se_mean[1][f] = (float)(item_w[f] + (0.5 - item_w[f]) * exp(-k / 300.0));
            for (int f = 0; f < s.n_se[0]; f++)
                s.se_std[0][f] = 0.05f;
            for (int f = 0; f < s.n_se[1]; f++)
                s.se_std[1][f] = constant_items ? 1e-5f : 0.04f;
            s.elapsed = tt_now() - t0;
            s.ex_per_s = s.step * 256.0 / (s.elapsed > 0 ? s.elapsed : 1e-9);
            s.eta = s.elapsed / s.step * (total - s.step);
            if (s.epoch_end) {
                el[s.n_done] = s.loss_smooth;
                vr[s.n_done] = 0.17 * (1 - exp(-e / 3.0));
                s.n_done++;
                s.best_epoch = e;
            }
            if (s.step == exit_at) {
                printf("tui_driver: exit at step %ld without closing\n", exit_at);
                exit(3);
            }
            if (t) {
                if (tt_tui_update(t, &s) == TT_TUI_STOP) {
                    stopped = 1;
                    break;
                }
            } else if (s.epoch_end) {
                fprintf(stderr, "epoch %d/%d loss %.4f valid R@20 %.4f\n", e, epochs,
                        s.loss_smooth, s.valid_recall20[s.n_done - 1]);
            }
            if (delay_ms > 0)
                nanosleep(&ts, NULL);
        }
    }
    tt_tui_close(t);
    if (host) {
        struct sigaction cur;
        sigaction(SIGINT, NULL, &cur);
        printf("tui_driver: host handler called %d times, %s\n", (int)host_calls,
               cur.sa_handler == host_handler ? "back in place" : "NOT back in place");
    }
    if (stopped)
        printf("tui_driver: stopped at step %lld\n", (long long)s.step);
    else
        printf("tui_driver: finished %lld steps\n", (long long)s.step);
    return 0;
}

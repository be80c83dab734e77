/* bench_util: what the bench programs share: environment knobs, peak
 * memory, and the protocol's tower (embed dim=16 | [senet r=2 |] mlp 64 32 |
 * l2norm). Header-only: each bench is one program of its own. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "tt_model.h"
#include "tt_train.h"

/* The environment variable k, or dflt when unset or empty. */
static inline const char *envs(const char *k, const char *dflt)
{
    const char *v = getenv(k);
    return v && *v ? v : dflt;
}

/* Peak resident memory of this process so far, MiB. */
static inline double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* CPU seconds this process has used so far, every thread's, user and
 * system: on a loaded machine the cost of a piece of work, where the wall
 * clock also counts the time others held the cores. */
static inline double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The protocol tower, with a SENet stage (r=2) when senet is set. */
static inline tt_tower_def tower(const char *name, int senet)
{
    tt_tower_def t;
    tt_tower_def_mlp(&t, name, 16, (const int[]){64, 32}, 2, 1);
    t.senet = senet;
    t.se_r = 2;
    return t;
}

/* The protocol's training options for one timed epoch: batch 1024, lr 0.001,
 * lazy embedding updates, valid evaluated after it. */
static inline tt_train_opts one_epoch_opts(void)
{
    tt_train_opts o;
    tt_train_opts_init(&o);
    o.epochs = 1;
    o.batch = 1024;
    o.lr = 0.001f;
    o.lazy = 1;
    o.eval_every = 1;
    return o;
}

#endif

/* tt_train: the training loop. Prints nothing: it publishes a snapshot to a
 * callback at batch boundaries and at the end of every epoch. */
#ifndef TT_TRAIN_H
#define TT_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include "tt_model.h"
#include "tt_dist.h"
#include "tt_eval.h"
#include "tt_optim.h"   /* enum tt_opt_kind */
#include "tt_history.h"

typedef struct tt_train_opts {
    int epochs;            /* 20 */
    int batch;             /* 256 */
    float lr;              /* 0.001 */
    enum tt_opt_kind opt;  /* adam */
    float momentum;        /* sgd: 0.9 */
    float beta1, beta2, eps;  /* adam: 0.9, 0.999, 1e-8 */
    float wd;              /* weight decay (L2 added to the gradient), 0 */
    float clip;            /* clip the global gradient norm, 0 = off */
    int lazy;              /* row-wise updates of embedding tables, 0 */
    int patience;          /* early stopping on valid Recall@20, 0 = off */
    int keep_best;         /* restore the best valid epoch at the end, 1 */
    int eval_every;        /* evaluate valid every epoch (1), 0 = never */
    uint64_t seed;         /* 1 */
    int threads;           /* N: the step runs on N threads of its own (fixed row
                              split, deterministic for a given N) with BLAS
                              single-threaded inside, and BLAS gets N threads for
                              evaluation and afterwards; 0 = tt_blas_get_threads() */
    int dist;              /* 1: in an MPI job of N ranks, each batch is split
                              over the ranks (same results as one process up
                              to the order of float sums); 0: this process
                              trains alone. 1 by default; no effect with one rank */
    volatile sig_atomic_t *stop;   /* set to 1 to stop at the next batch boundary */
    const double *paused;  /* seconds the front end has held training paused
                              inside the callback so far (it updates the value
                              there); excluded from seconds, examples/s and
                              ETA. NULL: no pauses */
} tt_train_opts;
void tt_train_opts_init(tt_train_opts *o);

/* What a front end may read. Copied out to the callback: numbers only, no
 * pointer to parameters or activations. The name strings (model, se_name)
 * point into the model's definition and stay valid while the model exists;
 * the two per-epoch arrays point into the result's history (valid while the
 * result lives). */
typedef struct tt_snapshot {
    const char *model;             /* model name */
    int epoch, epochs;             /* current epoch (1-based), total */
    int64_t batch, batches;        /* batch within the epoch, batches per epoch */
    int64_t step;                  /* global step */
    double loss;                   /* this batch's loss */
    double loss_smooth;            /* exponential moving average */
    double ex_per_s;               /* training examples per second so far */
    double elapsed, eta;           /* seconds */
    int epoch_end;                 /* 1 when called at the end of an epoch */
    int n_done;                    /* epochs finished */
    const double *epoch_loss;      /* (n_done) mean loss per finished epoch */
    const double *valid_recall20;  /* (n_done) -1 if not evaluated; both point into
                                      the run's history, valid during the callback */
    tt_metrics valid;              /* last epoch's valid metrics */
    int best_epoch;
    int n_se[2];                   /* SENet / Light-SE fields per side (0 = none) */
    int se_kind[2];                /* the side's re-weighting stage, TT_RW_* */
    const char *se_name[2][TT_MAX_FIELDS];
    float se_mean[2][TT_MAX_FIELDS];   /* running mean of the excitation weight */
    float se_std[2][TT_MAX_FIELDS];    /* its within-batch std (tt_model_senet_running_spread) */
    float se_inactive[2];              /* share of rows with every hidden unit at 0 */
    int se_hidden[2], se_r[2];         /* hidden width of the excitation MLP, and r */
} tt_snapshot;

/* Returning nonzero from the callback asks training to stop (same as *stop). */
typedef int (*tt_train_cb)(const tt_snapshot *s, void *ud);

typedef struct tt_train_result {
    int epochs;            /* epochs run */
    int best_epoch;        /* epoch whose parameters the model holds (keep_best) */
    double seconds;        /* training time: evaluation and pauses excluded */
    double ex_per_s;
    int stopped;           /* stopped by request */
    int diverged;          /* NaN/Inf found; parameters restored */
    char diverged_what[128];   /* "loss", "gradient of user.mlp.0.W", ... */
    int n_epochs;          /* epochs in h */
    int threads;           /* threads the run used (results depend on it) */
    int ranks;             /* MPI ranks the batches were split over (1: alone) */
    int64_t steps;         /* steps run */
    double comm_bytes;     /* across ranks: bytes this rank sent, all steps */
    double comm_bytes_grad;    /* of which the gradient sums */
    double comm_seconds;   /* seconds inside the exchanges (waits included) */
    int64_t comm_calls;    /* collective calls, all steps */
    const char *exchange;  /* the embedding gradients' sum: "dense", "sparse" */
    int in_job;            /* run inside an MPI job (mpirun, one rank included) */
    double table_bytes;    /* the embedding tables' size (a dense exchange sums them) */
    double step_cpu;       /* CPU seconds of a step (mean) outside the collectives:
                              the towers, the loss, the optimiser */
    double kind_bytes[TT_COLL_KINDS];  /* by collective: bytes of the vectors combined */
    int64_t kind_calls[TT_COLL_KINDS]; /* and calls, all steps (tt_dist.h) */
    tt_history h;          /* per-epoch record (owned; tt_train_result_free) */
} tt_train_result;

/* Free what res owns (its history); res is zero afterwards. */
void tt_train_result_free(tt_train_result *res);

/* Train m on sp's train part; valid metrics every epoch (k = 10, 20, 50).
 * res is overwritten (its old history must have been freed or moved out):
 * its history is sized for o->epochs before the first batch.
 * Returns 0 (also when stopped or diverged: see res), -1 on error (res then
 * owns nothing). */
int tt_train(tt_model *m, const tt_dataset *d, const tt_split *sp,
             const tt_train_opts *o, tt_train_cb cb, void *ud,
             tt_train_result *res, tt_err *err);

#endif

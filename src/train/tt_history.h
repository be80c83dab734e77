/* tt_history: the record of one training run, epoch by epoch: what the
 * dashboard showed while it ran, kept for `history`, plots and model files.
 * Growable: its size is set before training starts (tt_history_reserve),
 * never inside the per-batch loop. */
#ifndef TT_HISTORY_H
#define TT_HISTORY_H

#include <stdint.h>

#include "tt_eval.h"
#include "tt_model.h"
#include "tt_util.h"

#define TT_HISTORY_SMOOTH 512   /* smoothed-loss samples kept (the whole run,
                                   at a resolution that halves when full) */

typedef struct tt_history {
    int n, cap;                 /* epochs recorded, epochs allocated */
    double *loss;               /* (cap) mean training loss of the epoch */
    double *r20;                /* (cap) valid Recall@20, -1 when not evaluated */
    tt_metrics *valid;          /* (cap) valid metrics; n_k 0 when not evaluated */
    double *seconds;            /* (cap) training seconds at the epoch's end:
                                   evaluation and paused time excluded */
    int n_se[2];                /* SENet fields per side (0: none) */
    float *se[2];               /* (cap, TT_MAX_FIELDS) mean excitation weight of
                                   each field over the epoch */
    int n_smooth;               /* smoothed-loss samples in smooth */
    int64_t smooth_stride;      /* training steps per sample */
    float *smooth;              /* (TT_HISTORY_SMOOTH) smoothed loss */
    double smooth_acc;          /* pending sum and count of the next sample */
    int64_t smooth_pend;
} tt_history;

/* Room for epochs epochs (kept data stays). 0, or -1 with *err (no memory). */
int tt_history_reserve(tt_history *h, int epochs, tt_err *err);
/* Free the arrays; h is empty (all zero) afterwards. */
void tt_history_free(tt_history *h);
/* A deep copy of src into dst (dst's old arrays are not freed). */
int tt_history_copy(tt_history *dst, const tt_history *src, tt_err *err);
/* Append epoch n+1 (needs n < cap): metrics may be NULL (not evaluated). */
void tt_history_add_epoch(tt_history *h, double loss, const tt_metrics *valid,
                          double seconds);
/* One smoothed-loss value per training step; averaged into samples, the
 * resolution halving when TT_HISTORY_SMOOTH samples are full. No allocation. */
void tt_history_push_smooth(tt_history *h, double x);
/* Index of cut-off k in m (k=20: Recall@20), or -1 when m has no such k. */
int tt_history_k(const tt_metrics *m, int k);
/* Index of the best epoch by valid Recall@20 (0-based), or -1. */
int tt_history_best(const tt_history *h);

#endif

/* tt_losses: the training losses as a table of operations (after kann's op
 * list and llm.c's forward/backward pairs). A row says what a loss needs
 * (negatives, item rows, score columns, whether logQ and hit masking apply)
 * and holds its steps; tt_model_batch_loss runs a row top to bottom, and the
 * command table, the model-file reader and the option checks read the rows.
 * A new loss is one row and its functions in tt_losses.c; its id is its
 * place in the table, stored in model files, so rows are only appended. */
#ifndef TT_LOSSES_H
#define TT_LOSSES_H

#include <stdint.h>

typedef struct tt_model tt_model;
typedef struct tt_loss_step tt_loss_step;  /* one batch's state (tt_model_impl.h) */

/* How a loss splits over the ranks of an MPI job (tt_model_set_dist); the
 * towers' rows are always split, each rank running its share.
 *  NONE:  the towers' outputs are gathered and every rank computes the
 *         whole batch's loss and output gradients (BCE, BPR: cheap).
 *  ROWS:  each rank scores its own batch rows against every item row (the
 *         item outputs gathered): its part of the loss (summed over the
 *         ranks after forward), its rows' dQ exactly, and a partial dV over
 *         every item row, reduce-scattered (rank order) after backward so
 *         that each rank gets the dV of its own item rows.
 *  ITEMS: each rank scores every batch row against its own item rows (the
 *         user outputs gathered); forward combines the rows' softmax
 *         statistics over the ranks (max, sum of exponentials, the
 *         target's logit); its item rows' dV exactly, and a partial dQ over
 *         every batch row, reduce-scattered after backward. */
enum { TT_SHARD_NONE = 0, TT_SHARD_ROWS = 1, TT_SHARD_ITEMS = 2 };

typedef struct tt_loss_op {
    const char *name;          /* as typed: loss=NAME */
    int default_neg;           /* negatives when neg=0; 0: the loss draws none
                                  (neg is then only a buffer size, sampler unused) */
    int logq;                  /* the logQ correction applies */
    int mask;                  /* accidental-hit masking applies */
    /* For a batch of B with neg negatives over n_items: rows the item tower
     * sees (*nv) and score columns per example (*ncols). */
    void (*shape)(int64_t B, int64_t neg, int64_t n_items, int64_t *nv, int64_t *ncols);
    /* The item rows c->ir[0..nv) for the item tower, from the targets
     * c->tgt[0..B) (the positives' item ids); may rewrite c->tgt into columns.
     * NULL: the item tower sees the whole training corpus (every item, or on
     * a cold split only those with training interactions: m->corpus),
     * loaded once, and c->tgt holds the positives' columns in it. */
    void (*items)(tt_model *m, tt_loss_step *c);
    /* Scores from the tower outputs, the loss (returned, mean over the batch)
     * and its gradient with respect to the scores. Sharded (c->shard): the
     * scores of this rank's part, and its part of the loss (the sum over the
     * ranks is the batch's mean). */
    double (*forward)(tt_model *m, tt_loss_step *c);
    /* Tower output gradients dQ (B, D) and dV (nv, D) from the scores'
     * gradient; written, not accumulated. Sharded: ROWS writes dQ of rows
     * [lr0, lr1) and this rank's partial dV of every item row; ITEMS dV of
     * its item rows [lo[1], hi[1]) and its partial dQ of every batch row. */
    void (*backward)(tt_model *m, tt_loss_step *c);
    int shard;                 /* TT_SHARD_*: how it splits across ranks */
} tt_loss_op;

/* Number of losses; ids run 0..count-1 (TT_LOSS_* name the first ones). */
int tt_loss_count(void);
/* The row of a loss id, or NULL when id is out of range. */
const tt_loss_op *tt_loss_by_id(int id);
/* The id of a loss name, or -1. */
int tt_loss_by_name(const char *name);
/* The names in id order as "softmax|inbatch|...", for option value lists;
 * a static string, built on the first call. */
const char *tt_loss_names(void);

#endif

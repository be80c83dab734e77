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
     * and its gradient with respect to the scores. */
    double (*forward)(tt_model *m, tt_loss_step *c);
    /* Tower output gradients dQ (B, D) and dV (nv, D) from the scores'
     * gradient; written, not accumulated. */
    void (*backward)(tt_model *m, tt_loss_step *c);
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

/* tt_score: a model's ranks and metrics on a part of the split through the
 * exact evaluator, whichever way the model scores (query and item vectors,
 * or tiles from the history: tt_model_scores_tiles). */
#ifndef TT_SCORE_H
#define TT_SCORE_H

#include "tt_eval.h"
#include "tt_model.h"

/* Ranks of part p's targets (ranks: (sp->part[p].n)), as tt_eval_rank. */
int tt_score_ranks(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                   int64_t *ranks, tt_err *err);
/* Metrics of part p at the cut-offs ks, as tt_eval. */
int tt_score_eval(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                  const int *ks, int n_k, tt_metrics *out, tt_err *err);

#endif

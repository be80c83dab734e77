/* tt_optim: SGD with momentum, Adagrad and Adam with PyTorch's semantics, as
 * element-wise updates over ranges of one parameter block. The optimizer owns
 * one moment block per moment (same offsets as the parameters); the caller
 * decides which ranges to update (all of them, or only the touched rows of
 * embedding tables for lazy updates). */
#ifndef TT_OPTIM_H
#define TT_OPTIM_H

#include <stdint.h>
#include "tt_util.h"

enum tt_opt_kind { TT_OPT_SGD = 0, TT_OPT_ADAGRAD = 1, TT_OPT_ADAM = 2 };
const char *tt_opt_name(enum tt_opt_kind k);   /* "sgd", "adagrad", "adam" */

typedef struct tt_optim {
    enum tt_opt_kind kind;
    float lr, momentum, beta1, beta2, eps, wd;
    int64_t n;          /* parameters */
    float *m;           /* (n) sgd: momentum buffer; adagrad: sum of g^2; adam: 1st moment */
    float *v;           /* (n) adam: 2nd moment; NULL otherwise */
    int64_t t;          /* steps begun */
    /* per step, set by tt_optim_begin */
    float step_size, bc2_sqrt;
} tt_optim;

/* Allocates the moment blocks (zeroed) for n parameters. eps: adam's (1e-8);
 * adagrad uses 1e-10 as PyTorch does. */
int tt_optim_init(tt_optim *o, enum tt_opt_kind kind, int64_t n, float lr,
                  float momentum, float beta1, float beta2, float eps, float wd,
                  tt_err *err);
void tt_optim_free(tt_optim *o);
/* Zero the moments and the step count (a fresh optimizer, same settings). */
void tt_optim_reset(tt_optim *o);
/* Start a step: advances t and fixes Adam's bias corrections for it. */
void tt_optim_begin(tt_optim *o);
/* Update p[off .. off+n) from g[off .. off+n) scaled by gscale (clipping):
 *   g' = gscale * g + wd * p, then the optimizer's rule.
 * prev (may be NULL) receives p's values before the update, so that a step
 * that produced non-finite values can be undone. */
void tt_optim_update(tt_optim *o, float *p, const float *g, float *prev,
                     int64_t off, int64_t n, float gscale);

#endif

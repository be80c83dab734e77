/* tt_par: a tiny fork-join pool for the training step. The caller is thread 0;
 * n - 1 workers wait (spinning briefly, then sleeping) for the next job. Work
 * is split by fixed row ranges, so results do not depend on timing. */
#ifndef TT_PAR_H
#define TT_PAR_H

#include "tt_util.h"

typedef struct tt_pool tt_pool;
/* fn(ctx, part, nt) runs once for every part in [0, nt), on whichever
 * thread claims it first; part 0 usually on the caller. */
typedef void (*tt_par_fn)(void *ctx, int tid, int nt);

/* n total threads including the caller; n <= 1 creates no workers. */
int tt_pool_create(tt_pool **out, int n, tt_err *err);
int tt_pool_size(const tt_pool *p);   /* 1 for NULL */
/* Run fn's parts and return when all are done. p may be NULL. */
void tt_pool_run(tt_pool *p, tt_par_fn fn, void *ctx);
void tt_pool_free(tt_pool *p);
/* The process's shared pool of n threads, for work outside a model's
 * training step (the evaluation): made on first use, remade when n changes,
 * freed at exit. *out = NULL for n <= 1 (tt_pool_run then runs inline).
 * From the main thread only, and not while a job of it runs. */
int tt_pool_shared(tt_pool **out, int n, tt_err *err);

/* Rows [*r0, *r1) of R for thread tid of nt. */
static inline void tt_par_range(long R, int tid, int nt, long *r0, long *r1)
{
    *r0 = R * tid / nt;
    *r1 = R * (tid + 1) / nt;
}

#endif

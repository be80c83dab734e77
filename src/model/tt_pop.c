/* tt_pop: the popularity baseline. Every user gets the same list, items by
 * training interactions: item vector = count, query = 1 (so d = 1). */
#include "tt_model_impl.h"
#include "tt_mkind.h"

#include <string.h>

static int pop_build(tt_model *m, const tt_dataset *d, tt_err *err)
{
    if (tt_model_add_tensor(m, "pop.count", "popularity counts", d->n_items, 1, 0, 1, err) < 0)
        return -1;
    m->D = 1;
    return 0;
}

static int pop_fit(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
                   volatile sig_atomic_t *stop, tt_err *err)
{
    (void)d, (void)n_threads, (void)stop, (void)err;
    for (int32_t j = 0; j < m->n_items; j++)
        m->param[j] = (float)sp->item_freq[j];
    return 0;
}

static int pop_items(tt_model *m, const tt_dataset *d, float *V, tt_err *err)
{
    (void)d, (void)err;
    memcpy(V, m->param, (size_t)m->n_items * sizeof(float));
    return 0;
}

/* Every query is 1: the score of an item is its count. */
static int pop_examples(tt_model *m, const tt_dataset *d, const tt_examples *ex, float *Q,
                        tt_err *err)
{
    (void)m, (void)d, (void)err;
    for (int64_t j = 0; j < ex->n; j++)
        Q[j] = 1.0f;
    return 0;
}

static int pop_queries(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part p,
                       float *Q, tt_err *err)
{
    return pop_examples(m, d, &sp->part[p], Q, err);
}

const tt_mkind tt_mkind_pop = {
    .name = "popularity",
    .code = 0,
    .summary = "every user gets the items by training popularity (ties to the lower id)",
    .fitted = 1,
    .auto_fit = 1,
    .build = pop_build,
    .fit = pop_fit,
    .encode_items = pop_items,
    .encode_part = pop_queries,
    .encode_examples = pop_examples,
};

/* tt_inspect_mi: what a multi-interest user tower does: how many interests
 * its users have active, which interest wins the held-out targets, and one
 * user's interests read out as their top items. */
#include "tt_inspect.h"
#include "tt_mkind.h"

#include <stdlib.h>
#include <string.h>

int tt_inspect_interests(tt_model *m, const tt_dataset *d, const tt_split *sp,
                         enum tt_part p, int64_t e, int top, int32_t *items,
                         float *scores, tt_interest_report *out, tt_err *err)
{
    const tt_examples *ex = &sp->part[p];
    const int K = tt_model_query_vectors(m), D = tt_model_dim(m);
    const int32_t n_items = d->n_items;
    memset(out, 0, sizeof *out);
    if (K < 2 && !(tt_model_get_tower(m, 0) && tt_model_get_tower(m, 0)->interests))
        return tt_err_set(err, "model %s has no interests stage: one vector per user",
                          tt_model_get_def(m)->name);
    out->K = K;
    out->n = ex->n;
    float *V = tt_alloc_aligned((size_t)n_items * D, sizeof(float), "item vectors", err);
    float *Q = V ? tt_alloc_aligned((size_t)TT_MAX(ex->n, 1) * K * D, sizeof(float),
                                    "interest vectors", err) : NULL;
    int32_t *qn = Q ? tt_alloc((size_t)TT_MAX(ex->n, 1), sizeof(int32_t), "active interests", err)
                    : NULL;
    int32_t *excl = qn ? tt_alloc((size_t)TT_MAX(n_items, 1), sizeof(int32_t), "exclusions", err)
                       : NULL;
    int rc = -1;
    if (!excl || tt_model_encode_items(m, d, V, err) ||
        tt_model_encode_queries_multi(m, d, ex, Q, qn, err))
        goto done;
    for (int64_t x = 0; x < ex->n; x++) {
        const float *v = V + (size_t)ex->item[x] * D;
        int best = 0;
        float bs = 0;
        for (int k = 0; k < qn[x]; k++) {
            const float *q = Q + ((size_t)x * K + k) * D;
            float s = 0;
            for (int j = 0; j < D; j++)   /* in order, as tt_eval_rank_multi_ref */
                s += q[j] * v[j];
            if (k == 0 || s > bs) {
                bs = s;
                best = k;
            }
            out->active[k]++;
        }
        out->wins[best]++;
        if (x == e)
            out->e_win = best;
    }
    if (e >= 0 && e < ex->n) {
        tt_hist h;
        int64_t ne = 0;
        tt_hist_init(&h, sp, p, ex->user[e]);
        for (int32_t j; (j = tt_hist_next(&h)) >= 0;)
            excl[ne++] = j;
        out->e_active = qn[e];
        for (int k = 0; k < qn[e]; k++)
            out->e_got[k] = tt_topk(Q + ((size_t)e * K + k) * D, V, n_items, D, excl, ne, top,
                                    items + (size_t)k * top, scores + (size_t)k * top);
    }
    rc = K;
done:
    free(V);
    free(Q);
    free(qn);
    free(excl);
    return rc;
}

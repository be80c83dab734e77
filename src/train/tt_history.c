/* tt_history: the per-epoch record of a training run (see tt_history.h). */
#include "tt_history.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

/* *p grown to n elements of size sz; 0, or -1 with *p unchanged. */
static int grow(void *p, size_t n, size_t sz)
{
    void *q = realloc(*(void **)p, n * sz);
    if (!q)
        return -1;
    *(void **)p = q;
    return 0;
}

int tt_history_reserve(tt_history *h, int epochs, tt_err *err)
{
    if (!h->smooth) {
        h->smooth = calloc(TT_HISTORY_SMOOTH, sizeof *h->smooth);
        if (!h->smooth)
            return tt_err_set(err, "out of memory for the training history");
        h->smooth_stride = 1;
    }
    if (epochs <= h->cap)
        return 0;
    size_t c = (size_t)epochs;
    /* each array keeps its old block when growing it fails: h stays valid */
    if (grow(&h->loss, c, sizeof *h->loss) || grow(&h->r20, c, sizeof *h->r20) ||
        grow(&h->valid, c, sizeof *h->valid) || grow(&h->seconds, c, sizeof *h->seconds) ||
        grow(&h->se[0], c * TT_MAX_FIELDS, sizeof *h->se[0]) ||
        grow(&h->se[1], c * TT_MAX_FIELDS, sizeof *h->se[1]))
        return tt_err_set(err, "out of memory for the training history of %d epochs", epochs);
    h->cap = epochs;
    return 0;
}

void tt_history_free(tt_history *h)
{
    free(h->loss);
    free(h->r20);
    free(h->valid);
    free(h->seconds);
    free(h->se[0]);
    free(h->se[1]);
    free(h->smooth);
    memset(h, 0, sizeof *h);
}

int tt_history_copy(tt_history *dst, const tt_history *src, tt_err *err)
{
    memset(dst, 0, sizeof *dst);
    if (tt_history_reserve(dst, src->n, err)) {
        tt_history_free(dst);
        return -1;
    }
    size_t n = (size_t)src->n;
    if (n) {
        memcpy(dst->loss, src->loss, n * sizeof *dst->loss);
        memcpy(dst->r20, src->r20, n * sizeof *dst->r20);
        memcpy(dst->valid, src->valid, n * sizeof *dst->valid);
        memcpy(dst->seconds, src->seconds, n * sizeof *dst->seconds);
        memcpy(dst->se[0], src->se[0], n * TT_MAX_FIELDS * sizeof *dst->se[0]);
        memcpy(dst->se[1], src->se[1], n * TT_MAX_FIELDS * sizeof *dst->se[1]);
    }
    if (src->smooth)
        memcpy(dst->smooth, src->smooth, TT_HISTORY_SMOOTH * sizeof *dst->smooth);
    dst->n = src->n;
    dst->n_se[0] = src->n_se[0];
    dst->n_se[1] = src->n_se[1];
    dst->n_smooth = src->n_smooth;
    dst->smooth_stride = src->smooth ? src->smooth_stride : 1;
    dst->smooth_acc = src->smooth_acc;
    dst->smooth_pend = src->smooth_pend;
    return 0;
}

int tt_history_k(const tt_metrics *m, int k)
{
    for (int i = 0; i < m->n_k; i++)
        if (m->k[i] == k)
            return i;
    return -1;
}

void tt_history_add_epoch(tt_history *h, double loss, const tt_metrics *valid, double seconds)
{
    if (h->n >= h->cap)
        return;
    int e = h->n++;
    h->loss[e] = loss;
    h->seconds[e] = seconds;
    memset(&h->valid[e], 0, sizeof h->valid[e]);
    h->r20[e] = -1;
    if (valid && valid->n_k) {
        h->valid[e] = *valid;
        double r = tt_metrics_select(valid);
        if (!isnan(r))
            h->r20[e] = r;
    }
    memset(h->se[0] + (size_t)e * TT_MAX_FIELDS, 0, TT_MAX_FIELDS * sizeof(float));
    memset(h->se[1] + (size_t)e * TT_MAX_FIELDS, 0, TT_MAX_FIELDS * sizeof(float));
}

void tt_history_push_smooth(tt_history *h, double x)
{
    if (!h->smooth)
        return;
    h->smooth_acc += x;
    if (++h->smooth_pend < h->smooth_stride)
        return;
    h->smooth[h->n_smooth++] = (float)(h->smooth_acc / (double)h->smooth_pend);
    h->smooth_acc = 0;
    h->smooth_pend = 0;
    if (h->n_smooth == TT_HISTORY_SMOOTH) {
        for (int i = 0; i < TT_HISTORY_SMOOTH / 2; i++)
            h->smooth[i] = 0.5f * (h->smooth[2 * i] + h->smooth[2 * i + 1]);
        h->n_smooth = TT_HISTORY_SMOOTH / 2;
        h->smooth_stride *= 2;
    }
}

int tt_history_best(const tt_history *h)
{
    int b = -1;
    for (int e = 0; e < h->n; e++)
        if (h->r20[e] >= 0 && (b < 0 || h->r20[e] > h->r20[b]))
            b = e;
    return b;
}

/* ---- the runs of a model entry (tt_entry.h) ---- */
#include "tt_entry.h"

void tt_entry_clear_runs(tt_modelent *me)
{
    for (int k = 0; k < me->n_runs; k++)
        tt_history_free(&me->runs[k].h);
    me->n_runs = 0;
}

const tt_history *tt_entry_history(const tt_modelent *me)
{
    if (me->n_runs > 0 && me->runs[me->n_runs - 1].h.n > 0)
        return &me->runs[me->n_runs - 1].h;
    if (me->res && me->res->h.n > 0)
        return &me->res->h;
    return NULL;
}

void tt_entry_free(tt_modelent *me)
{
    if (me->m)
        tt_model_free(me->m);
    me->m = NULL;
    tt_train_result_free(me->res);
    free(me->res);
    me->res = NULL;
    tt_entry_clear_runs(me);
}

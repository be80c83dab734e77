/* tt_train_dist: summing a step's gradients over the MPI ranks
 * (tt_train_dist.h): dense tensors packed and summed, tables summed densely
 * or as (row, gradient) pairs, whichever measured faster. */
#include "tt_train_dist.h"
#include "tt_dist.h"

#include <stdlib.h>
#include <string.h>

int tt_train_dist_init(tt_train_dist *x, tt_model *m, int lazy, tt_err *err)
{
    memset(x, 0, sizeof *x);
    x->m = m;
    x->lazy = lazy;
    x->on = tt_dist_size() > 1;
    if (!x->on)
        return 0;
    for (int i = 0; i < tt_model_n_tensors(m); i++)
        if (!tt_model_tensor(m, i)->table)
            x->n_dense += tt_model_tensor(m, i)->n;
    x->pack = tt_alloc_aligned((size_t)TT_MAX(x->n_dense, 1), sizeof(float),
                               "gradient exchange buffer", err);
    if (!x->pack)
        return -1;
    const char *e = getenv("TTLAB_DIST_EXCHANGE");
    if (e && !strcmp(e, "dense"))
        x->mode = TT_XCH_DENSE, x->forced = 1;
    else if (e && !strcmp(e, "sparse"))
        x->mode = TT_XCH_SPARSE, x->forced = 1;
    tt_model_track_rows(m, 1);
    return 0;
}

void tt_train_dist_free(tt_train_dist *x)
{
    free(x->pack);
    x->pack = NULL;
}

const char *tt_train_dist_mode(const tt_train_dist *x)
{
    return x->mode == TT_XCH_DENSE ? "dense" : x->mode == TT_XCH_SPARSE ? "sparse" : "measuring";
}

/* Pack (dir 0) or unpack (dir 1) the dense tensors' gradients. */
static void pack_dense(tt_train_dist *x, float *G, int dir)
{
    int64_t o = 0;
    for (int i = 0; i < tt_model_n_tensors(x->m); i++) {
        const tt_param_info *pi = tt_model_tensor(x->m, i);
        if (pi->table)
            continue;
        size_t nb = (size_t)pi->n * sizeof(float);
        if (dir == 0)
            memcpy(x->pack + o, G + pi->off, nb);
        else
            memcpy(G + pi->off, x->pack + o, nb);
        o += pi->n;
    }
}

static void exchange(tt_train_dist *x, int sparse)
{
    tt_model *m = x->m;
    float *G = tt_model_grads(m);
    tt_err err;
    if (!sparse) {
        /* one sum over the whole block: dense tensors and tables */
        if (tt_dist_sum_f32(G, tt_model_param_count(m), &err))
            tt_dist_die(err.msg);
        return;
    }
    pack_dense(x, G, 0);
    if (tt_dist_sum_f32(x->pack, x->n_dense, &err))
        tt_dist_die(err.msg);
    pack_dense(x, G, 1);
    for (int i = 0; i < tt_model_n_tensors(m); i++) {
        const tt_param_info *pi = tt_model_tensor(m, i);
        if (!pi->table)
            continue;
        const int32_t *rows;
        int64_t nr = tt_model_touched_rows(m, i, &rows);
        if (nr > 0 && tt_dist_sum_rows(G + pi->off, pi->cols, rows, nr, &err))
            tt_dist_die(err.msg);
    }
}

void tt_train_dist_reduce(tt_train_dist *x)
{
    if (!x->on)
        return;
    x->steps++;
    tt_dist_stats st0, st1;
    tt_dist_stats_get(&st0);
    int sparse;
    if (x->mode != TT_XCH_TRYING) {
        sparse = x->mode == TT_XCH_SPARSE;
        exchange(x, sparse);
    } else {
        /* the trial: steps 1-3 dense, 4-6 sparse, the first of each untimed */
        sparse = x->steps > 3;
        double t0 = tt_now();
        exchange(x, sparse);
        double dt = tt_now() - t0;
        if (x->steps == 2 || x->steps == 3)
            x->t_dense += dt;
        else if (x->steps == 5 || x->steps == 6)
            x->t_sparse += dt;
        if (x->steps == 6) {
            /* rank 0's measurement decides for everyone */
            int pick = x->t_sparse < x->t_dense ? TT_XCH_SPARSE : TT_XCH_DENSE;
            tt_err err;
            if (tt_dist_bcast(&pick, sizeof pick, 0, &err))
                tt_dist_die(err.msg);
            x->mode = pick;
        }
    }
    tt_dist_stats_get(&st1);
    x->bytes_step = st1.bytes - st0.bytes;
    x->bytes_grad += x->bytes_step;
    if (!x->lazy)
        tt_model_clear_touched(x->m);
}

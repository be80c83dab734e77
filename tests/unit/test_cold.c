/* test_cold: cold start for the two-tower. After training on a cold split,
 * with every loss of the loss table (lazy and dense updates, weight decay
 * on), each held-out item (user) still has the out-of-vocabulary id's rows
 * bit for bit, so the tower's vector for it is exactly the one it gives the
 * same item (user) with its id unknown (id 0): it is scored from its other
 * features, never from an id embedding that the training pushed around. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_blas.h"
#include "tt_check.h"
#include "tt_dataset.h"
#include "tt_losses.h"
#include "tt_model.h"
#include "tt_split.h"
#include "tt_train.h"

/* The id table's rows of the held-out ones that differ from row 0. */
static int rows_off_oov(tt_model *m, const char *tensor, const uint8_t *cold, int32_t n)
{
    int bad = 0;
    for (int t = 0; t < tt_model_n_tensors(m); t++) {
        const tt_param_info *p = tt_model_tensor(m, t);
        if (strcmp(p->name, tensor))
            continue;
        const float *T = tt_model_params(m) + p->off;
        for (int32_t k = 0; k < n; k++)   /* id of index k is k + 1 */
            if (cold[k] && memcmp(T + (size_t)(k + 1) * p->cols, T, (size_t)p->cols * sizeof(float)))
                bad++;
        return bad;
    }
    FAIL("no tensor %s", tensor);
    return 1;
}

/* Rows of the vectors of the held-out ones that differ, bit for bit, from
 * the vectors of the same rows with the id feature set to 0 (unknown). */
static int vectors_off_oov(tt_model *m, tt_dataset *d, const tt_split *sp, int users,
                           const uint8_t *cold)
{
    tt_err err;
    int D = tt_model_dim(m), bad = 0;
    const tt_examples *ex = &sp->part[TT_TEST];
    int64_t n = users ? ex->n : d->n_items;
    float *A = malloc((size_t)n * D * sizeof(float)), *B = malloc((size_t)n * D * sizeof(float));
    int32_t *ids = d->feat[tt_dataset_find(d, users ? "user_id" : "item_id")].ids;
    int32_t nk = users ? d->n_users : d->n_items;
    int32_t *keep = malloc((size_t)nk * sizeof(int32_t));
    memcpy(keep, ids, (size_t)nk * sizeof(int32_t));
    int rc = users ? tt_model_encode_queries(m, d, ex, A, &err) : tt_model_encode_items(m, d, A, &err);
    for (int32_t k = 0; k < nk; k++)
        if (cold[k])
            ids[k] = 0;
    rc = rc || (users ? tt_model_encode_queries(m, d, ex, B, &err) : tt_model_encode_items(m, d, B, &err));
    memcpy(ids, keep, (size_t)nk * sizeof(int32_t));
    if (rc) {
        FAIL("encode: %s", err.msg);
        bad = 1;
    }
    for (int64_t r = 0; !rc && r < n; r++) {
        int32_t k = users ? ex->user[r] : (int32_t)r;
        if (cold[k] && memcmp(A + r * D, B + r * D, (size_t)D * sizeof(float)))
            bad++;
    }
    free(A);
    free(B);
    free(keep);
    return bad;
}

static void test_cold_oov(tt_dataset *d)
{
    for (int users = 0; users <= 1; users++) {
        tt_split sp;
        tt_err err;
        if (tt_split_cold(d, users, 0.2, 5, &sp, &err))
            DIE("cold split: %s", err.msg);
        int32_t nk = users ? d->n_users : d->n_items;
        uint8_t *cold = calloc((size_t)nk, 1);
        int n_cold = 0;
        for (int p = TT_VALID; p <= TT_TEST; p++)
            for (int64_t e = 0; e < sp.part[p].n; e++)
                cold[users ? sp.part[p].user[e] : sp.part[p].item[e]] = 1;
        for (int32_t k = 0; k < nk; k++)
            n_cold += cold[k];
        CHECK(n_cold >= 2, "%d cold", n_cold);
        for (int loss = 0; loss < tt_loss_count(); loss++) {
            for (int lazy = 0; lazy <= 1; lazy++) {
                tt_model_def md;
                tt_tower_def u, i;
                tt_model_def_init(&md);
                tt_tower_def_mlp(&u, "u", 8, (const int[]){16, 8}, 2, 0);
                tt_tower_def_mlp(&i, "i", 8, (const int[]){16, 8}, 2, 0);
                md.loss = loss;
                md.temp = 0.1f;
                md.neg = loss == TT_LOSS_SAMPLED ? 16 : 0;
                md.sampler = lazy ? TT_SAMPLE_POP : TT_SAMPLE_UNIFORM;
                tt_model *m;
                if (tt_model_create(&md, &u, &i, d, 3, &m, &err))
                    DIE("model: %s", err.msg);
                tt_train_opts o;
                tt_train_opts_init(&o);
                o.epochs = 2;
                o.batch = 32;
                o.lr = 0.05f;
                o.wd = 1e-3f;
                o.lazy = lazy;
                o.threads = 1 + lazy;
                tt_train_result res;
                if (tt_train(m, d, &sp, &o, NULL, NULL, &res, &err)) {
                    FAIL("%s train: %s", tt_loss_by_id(loss)->name, err.msg);
                } else {
                    const char *what = users ? "user" : "item";
                    int rows = rows_off_oov(m, users ? "emb.user_id" : "emb.item_id", cold, nk);
                    CHECK(rows == 0, "loss=%s lazy=%d: %d of %d cold %ss' id rows are not the OOV row",
                          tt_loss_by_id(loss)->name, lazy, rows, n_cold, what);
                    int vecs = vectors_off_oov(m, d, &sp, users, cold);
                    CHECK(vecs == 0, "loss=%s lazy=%d: %d cold %s vectors differ from the OOV one",
                          tt_loss_by_id(loss)->name, lazy, vecs, what);
                    tt_train_result_free(&res);
                }
                tt_model_free(m);
            }
        }
        free(cold);
        tt_split_free(&sp);
    }
}

int main(void)
{
    tt_dataset d;
    tt_err err;
    tt_synth_opts o;
    tt_blas_set_threads(1);
    tt_synth_opts_init(&o);
    /* cold start needs items first seen late: a catalogue larger than the
     * interactions' reach (as test_baselines) */
    o.users = 60;
    o.items = 400;
    o.per_user = 6;
    o.clusters = 3;
    if (tt_synth_generate(&o, &d, &err))
        DIE("data: %s", err.msg);
    test_cold_oov(&d);
    tt_dataset_free(&d);
    return tt_check_done("test_cold");
}

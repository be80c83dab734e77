/* tt_cmd_weights: weights and ablate: what a trained model learned about its
 * features (field weights of the SENet stage, the recall lost when a feature
 * is removed). */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_inspect.h"

int tt_cmd_weights(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    if (!me)
        return -1;
    if (me->def.kind != TT_MODEL_TWOTOWER || (!me->u.senet && !me->i.senet))
        return tt_fail(s, 0, "model '%s' has no SENet or Light-SE stage: no field weights to show",
                       me->def.name);
    if (tt_model_ready(s, me, &d))
        return -1;
    tt_weights_args o;
    tt_bind_weights.init(&o);
    tt_args_apply(a, &tt_bind_weights, &o);
    int side = o.side;
    enum tt_part part = (enum tt_part)o.part;
    const char *by = o.by;
    for (int sd = 0; sd < 2; sd++) {
        if (side != 2 && side != sd)
            continue;
        if (!(sd ? me->i.senet : me->u.senet)) {
            if (side != 2)
                return tt_fail(s, 0, "the %s tower of '%s' has no SENet or Light-SE stage", sd ? "item" : "user",
                               me->def.name);
            continue;
        }
        char foot[1024];
        const char *stage = tt_reweight_title(tt_model_reweight(me->m, sd));
        const char *stage_key = tt_reweight_name(tt_model_reweight(me->m, sd));
        snprintf(foot, sizeof foot, "%s weights of the %s tower of %s, %s (suppressed: mean below half the tower's median)",
                 stage ? stage : "SENet", sd ? "item" : "user", me->def.name,
                 sd ? "over all items" : tt_part_name(part));
        if (!by) {
            tt_weight_stat st[TT_MAX_FIELDS];
            tt_excitation x;
            int n = tt_inspect_weights(me->m, sd, &d->d, &d->sp, part, st, TT_MAX_FIELDS, &s->err);
            if (n < 0 || tt_inspect_excitation(me->m, sd, &d->d, &d->sp, part, st, n, &x, &s->err))
                return -1;
            /* said in place: on the rows and under them (in JSON, on each
             * row, in the same words) */
            char why[640];
            tt_inspect_constant_why(&x, sd ? "item" : "example", why, sizeof why);
            if (x.constant) {
                snprintf(foot, sizeof foot, "%s weights of the %s tower of %s, %s: %s",
                         stage ? stage : "SENet", sd ? "item" : "user", me->def.name,
                         sd ? "over all items" : tt_part_name(part), why);
            }
            tt_rec rows[TT_MAX_FIELDS];
            for (int i = 0; i < n; i++) {
                tt_rec_init(&rows[i]);
                tt_rec_str(&rows[i], "model", me->def.name);
                tt_rec_str(&rows[i], "side", sd ? "item" : "user");
                if (s->out.mode == TT_OUT_JSON)   /* the stage, as the tower names it
                                                     (tables: the footer says it) */
                    tt_rec_str(&rows[i], "stage", stage_key ? stage_key : "senet");
                tt_rec_str(&rows[i], "feature", st[i].feature);
                tt_rec_num(&rows[i], "mean", st[i].mean, 3);
                tt_rec_num(&rows[i], "std", st[i].std, 3);
                tt_rec_num(&rows[i], "min", st[i].min, 3);
                tt_rec_num(&rows[i], "max", st[i].max, 3);
                tt_rec_bool(&rows[i], "suppressed", st[i].suppressed);
                tt_rec_str(&rows[i], "excitation", x.constant ? "constant" : "varies");
                /* narrow: the feature and its weight stay; the footer names
                 * the model and tower */
                tt_rec_prio(&rows[i], "feature", TT_COL_KEY);
                tt_rec_prio(&rows[i], "mean", TT_COL_KEY);
                tt_rec_prio(&rows[i], "excitation", TT_COL_WANT);
                tt_rec_prio(&rows[i], "suppressed", TT_COL_WANT);
                tt_rec_prio(&rows[i], "model", TT_COL_OPTIONAL);
                tt_rec_prio(&rows[i], "side", TT_COL_OPTIONAL);
                if (s->out.mode == TT_OUT_JSON) {
                    if (x.constant)
                        tt_rec_str(&rows[i], "excitation_why", why);
                    else
                        tt_rec_null(&rows[i], "excitation_why");
                }
            }
            tt_out_rows(&s->out, "weights", rows, n, s->out.mode == TT_OUT_JSON ? NULL : foot);
            for (int i = 0; i < n; i++)
                tt_rec_free(&rows[i]);
        } else {
            tt_weight_groups g;
            memset(&g, 0, sizeof g);
            if (tt_inspect_weights_by(me->m, sd, &d->d, &d->sp, part, by, &g, &s->err) < 0)
                return -1;
            tt_rec *rows = calloc((size_t)(g.n_groups ? g.n_groups : 1), sizeof *rows);
            if (!rows) {
                tt_weight_groups_free(&g);
                return tt_fail(s, 0, "out of memory");
            }
            for (int i = 0; i < g.n_groups; i++) {
                tt_rec_init(&rows[i]);
                tt_rec_str(&rows[i], by, g.labels[i]);
                tt_rec_int(&rows[i], "count", g.count[i]);
                for (int f = 0; f < g.n_feat && f < TT_REC_MAX - 3; f++)
                    tt_rec_num(&rows[i], g.stat[(size_t)i * (size_t)g.n_feat + (size_t)f].feature,
                               g.stat[(size_t)i * (size_t)g.n_feat + (size_t)f].mean, 3);
            }
            tt_out_rows(&s->out, "weights_by", rows, g.n_groups, s->out.mode == TT_OUT_JSON ? NULL : foot);
            for (int i = 0; i < g.n_groups; i++)
                tt_rec_free(&rows[i]);
            free(rows);
            tt_weight_groups_free(&g);
        }
    }
    return 0;
}

/* Dataset feature indexes a model's tower reads (its fields, or its side's). */
static int tower_features(const tt_dataset *d, const tt_tower_def *t, int side, int *out, int max)
{
    int n = 0;
    if (t->n_fields) {
        for (int i = 0; i < t->n_fields && n < max; i++) {
            int f = tt_dataset_find(d, t->fields[i]);
            if (f >= 0)
                out[n++] = f;
        }
        return n;
    }
    for (int f = 0; f < d->n_feat && n < max; f++) {
        enum tt_side sd = d->feat[f].side;
        if ((side == 0 && (sd == TT_USER || sd == TT_CTX)) || (side == 1 && sd == TT_ITEM))
            out[n++] = f;
    }
    return n;
}

int tt_cmd_ablate(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    int ks[TT_MAX_K], n_k;
    if (!me || tt_ks_arg(s, tt_arg(a, "k"), ks, &n_k))
        return -1;
    if (me->def.kind != TT_MODEL_TWOTOWER)
        return tt_fail(s, 0, "model '%s' (%s) reads no features: nothing to ablate", me->def.name,
                       tt_mkind_get(me->def.kind)->name);
    if (tt_model_ready(s, me, &d))
        return -1;
    int feats[2 * TT_MAX_FIELDS + TT_POS_MAX], nf = 0;
    if (a->npos > 1) {
        for (int i = 1; i < a->npos; i++) {
            int f = tt_dataset_find(&d->d, a->pos[i]->s);
            if (f < 0) {
                const char *c[256];
                int n = 0;
                for (int q = 0; q < d->d.n_feat && n < 256; q++)
                    c[n++] = d->d.feat[q].name;
                const char *sug = tt_suggest(a->pos[i]->s, c, n);
                if (sug)
                    return tt_fail(s, 0, "no feature '%s' in dataset '%s': did you mean '%s'?", a->pos[i]->s,
                                   d->name, sug);
                return tt_fail(s, 0, "no feature '%s' in dataset '%s' (see 'features')", a->pos[i]->s, d->name);
            }
            feats[nf++] = f;
        }
    } else {
        nf = tower_features(&d->d, &me->u, 0, feats, TT_MAX_FIELDS);
        nf += tower_features(&d->d, &me->i, 1, feats + nf, TT_MAX_FIELDS);
    }
    tt_ablate_args o;
    tt_bind_ablate.init(&o);
    tt_args_apply(a, &tt_bind_ablate, &o);
    enum tt_part p = tt_args_part(o.split);
    enum tt_ablate_mode mode = (enum tt_ablate_mode)o.mode;
    uint64_t seed = tt_arg(a, "seed")->set ? (uint64_t)tt_arg(a, "seed")->i : s->seed;
    tt_rec *rows = calloc((size_t)nf + 1, sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    int rc = 0, kk = n_k > 1 ? 1 : 0, nr = 0;
    char dk[48];
    snprintf(dk, sizeof dk, "delta_recall@%d", ks[kk]);
    for (int i = 0; i < nf; i++) {
        tt_metrics base, abl;
        if (tt_inspect_ablate(me->m, &d->d, &d->sp, p, feats[i], mode, seed, ks, n_k, &base, &abl,
                              &s->err)) {
            rc = -1;
            break;
        }
        if (i == 0) {
            tt_rec_init(&rows[nr]);
            tt_rec_str(&rows[nr], "model", me->def.name);
            tt_rec_str(&rows[nr], "feature", "(none)");
            tt_rec_str(&rows[nr], "side", "-");
            (s->out.mode == TT_OUT_TABLE ? tt_metrics_people : tt_metrics_rec)(&rows[nr], &base);
            tt_rec_num(&rows[nr], dk, 0, 4);
            tt_rec_prio(&rows[nr], "feature", TT_COL_KEY);
            tt_rec_prio(&rows[nr], dk, TT_COL_KEY);
            tt_rec_prio(&rows[nr], "model", TT_COL_WANT);
            tt_rec_headline(&rows[nr]);
            nr++;
        }
        tt_rec_init(&rows[nr]);
        tt_rec_str(&rows[nr], "model", me->def.name);
        tt_rec_str(&rows[nr], "feature", d->d.feat[feats[i]].name);
        tt_rec_str(&rows[nr], "side", tt_side_name(d->d.feat[feats[i]].side));
        (s->out.mode == TT_OUT_TABLE ? tt_metrics_people : tt_metrics_rec)(&rows[nr], &abl);
        tt_rec_num(&rows[nr], dk, abl.recall[kk] - base.recall[kk], 4);
        tt_rec_prio(&rows[nr], "feature", TT_COL_KEY);
        tt_rec_prio(&rows[nr], dk, TT_COL_KEY);
        tt_rec_prio(&rows[nr], "model", TT_COL_WANT);
        tt_rec_headline(&rows[nr]);
        nr++;
    }
    if (rc == 0) {
        char foot[160];
        snprintf(foot, sizeof foot, "%s features on %s (protocol: %s)",
                 mode == TT_ABLATE_ZERO ? "zeroed" : "shuffled", tt_part_name(p),
                 tt_model_protocol(s, me));
        tt_out_rows(&s->out, "ablate", rows, nr, s->out.mode == TT_OUT_JSON ? NULL : foot);
    }
    for (int i = 0; i < nr; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    return rc;
}

/* tt_cmd_plot: plot: training curves and field weights drawn by gnuplot
 * (ui/tt_plot) from the session's models. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_inspect.h"
#include "tt_plot.h"

int tt_cmd_plot(tt_session *s, tt_args *a)
{
    static const char *what[] = {"recall", "loss", "weights", "weights-history"};
    const char *w = a->pos[0]->s;
    int kind = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(w, what[i]))
            kind = i;
    if (kind < 0) {
        const char *sug = tt_suggest(w, what, 4);
        if (sug)
            return tt_fail(s, 0, "cannot plot '%s': did you mean '%s'?", w, sug);
        return tt_fail(s, 0, "cannot plot '%s' (expected loss, recall, weights or weights-history)", w);
    }
    /* `to FILE` at the end writes a file (as file=FILE does). */
    int npos = a->npos;
    const char *to = NULL;
    if (npos >= 2 && !strcmp(a->pos[npos - 2]->s, "to")) {
        to = a->pos[npos - 1]->s;
        npos -= 2;
    } else if (npos >= 1 && !strcmp(a->pos[npos - 1]->s, "to")) {
        return tt_fail(s, 0, "'to' needs a file: plot %s ... to FILE.png", w);
    }
    tt_plot_req r;
    memset(&r, 0, sizeof r);
    r.term = s->plot_term;
    if (tt_arg(a, "term")->set)
        r.term = (enum tt_plot_term)tt_arg(a, "term")->i;
    r.file = r.term == TT_PLOT_FILE ? s->plot_file : NULL;
    if (tt_arg(a, "file")->set || to) {
        r.term = TT_PLOT_FILE;
        r.file = to ? to : tt_arg(a, "file")->s;
    }
    tt_modelent *ms[TT_POS_MAX];
    int nm = 0;
    for (int i = 1; i < npos; i++)
        if (!(ms[nm++] = tt_need_model(s, a->pos[i])))
            return -1;
    if (nm == 0 && kind < 2)
        for (int i = 0; i < s->n_models && nm < TT_POS_MAX; i++)
            if (s->models[i].res)
                ms[nm++] = &s->models[i];
    if (kind >= 2 && nm != 1)
        return tt_fail(s, 0, "plot %s takes one model: plot %s MODEL", w, w);
    if (nm == 0)
        return tt_fail(s, 0, "nothing to plot: no model has been trained yet");
    /* One series per model, or per seed of a model trained with seeds=. */
    enum { NSER = TT_POS_MAX * TT_MAX_RUNS };
    tt_series ser[NSER];
    char (*label)[TT_NAME_MAX + 32] = calloc(NSER, sizeof *label);
    double (*y)[TT_SNAP_MAX_EPOCHS] = calloc(NSER, sizeof *y);
    if (!y || !label) {
        free(y);
        free(label);
        return tt_fail(s, 0, "out of memory");
    }
    int ns = 0, rc = 0;
    if (kind < 2) {
        r.title = kind == 0 ? "valid Recall@20 per epoch" : "training loss per epoch";
        r.xlabel = "epoch";
        r.ylabel = kind == 0 ? "Recall@20" : "loss";
        for (int i = 0; i < nm; i++) {
            tt_train_result *res = ms[i]->res;
            if (!res) {
                rc = tt_fail(s, 0, "model '%s' has no training history", ms[i]->def.name);
                break;
            }
            if (ms[i]->n_runs > 1 && ms[i]->runs[0].n_curve > 0) {
                for (int q = 0; q < ms[i]->n_runs && ns < NSER; q++) {
                    const tt_run *ru = &ms[i]->runs[q];
                    for (int e = 0; e < ru->n_curve; e++)
                        y[ns][e] = kind == 0 ? ru->recall20[e] : ru->loss[e];
                    snprintf(label[ns], sizeof label[ns], "%s seed %llu", ms[i]->def.name,
                             (unsigned long long)ru->seed);
                    ser[ns] = (tt_series){label[ns], ru->n_curve, NULL, y[ns]};
                    ns++;
                }
                continue;
            }
            for (int e = 0; e < res->n_epochs; e++) {
                const tt_metrics *m = &res->epoch_valid[e];
                int k = 0;
                for (int q = 0; q < m->n_k; q++)
                    if (m->k[q] == 20)
                        k = q;
                y[ns][e] = kind == 0 ? (m->n_k ? m->recall[k] : NAN) : res->epoch_loss[e];
            }
            ser[ns] = (tt_series){ms[i]->def.name, res->n_epochs, NULL, y[ns]};
            ns++;
        }
    } else {
        tt_modelent *me = ms[0];
        tt_dsent *d;
        int side = tt_tower_side(tt_arg(a, "tower")->s);
        if (tt_model_ready(s, me, &d)) {
            free(y);
            free(label);
            return -1;
        }
        if (kind == 2) {
            tt_weight_stat st[TT_MAX_FIELDS];
            int n = tt_inspect_weights(me->m, side, &d->d, &d->sp, TT_VALID, st, TT_MAX_FIELDS, &s->err);
            if (n <= 0)
                rc = n < 0 ? -1 : tt_fail(s, 0, "the %s tower of '%s' has no SENet stage",
                                          side ? "item" : "user", me->def.name);
            for (int i = 0; i < n; i++) {
                y[i][0] = st[i].mean;
                ser[ns++] = (tt_series){st[i].feature, 1, NULL, y[i]};
            }
            r.bars = 1;
            r.title = "mean SENet excitation weight per feature";
            r.ylabel = "weight";
        } else {
            const char *names[TT_MAX_FIELDS];
            int f = tt_model_senet_fields(me->m, side, names);
            if (!me->res || f == 0)
                rc = tt_fail(s, 0, "model '%s' has no SENet weight history (train it with a senet stage)",
                             me->def.name);
            for (int i = 0; rc == 0 && i < f; i++) {
                for (int e = 0; e < me->res->n_epochs; e++)
                    y[i][e] = me->res->se_hist[side][e][i];
                ser[ns++] = (tt_series){names[i], me->res->n_epochs, NULL, y[i]};
            }
            r.title = "SENet weight per feature over training";
            r.xlabel = "epoch";
            r.ylabel = "mean weight";
        }
    }
    if (rc == 0) {
        r.n_series = ns;
        r.series = ser;
        /* Text plots go to stdout, except when stdout carries JSON. */
        if (tt_plot(&r, s->out.mode == TT_OUT_JSON ? stderr : s->out.f, &s->err))
            rc = -1;
        else if (r.term == TT_PLOT_FILE) {
            tt_rec rec;
            char human[700];
            tt_rec_init(&rec);
            tt_rec_str(&rec, "file", r.file);
            snprintf(human, sizeof human, "plot written to %s", r.file);
            tt_out_info(&s->out, "plot", &rec, human);
            tt_rec_free(&rec);
        }
    }
    free(y);
    free(label);
    return rc;
}

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
    static const char *what[] = {"recall", "loss", "weights", "weights-history", "sweep"};
    const char *w = a->pos[0]->s;
    int kind = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(w, what[i]))
            kind = i;
    if (kind < 0) {
        const char *sug = tt_suggest(w, what, 5);
        if (sug)
            return tt_fail(s, 0, "cannot plot '%s': did you mean '%s'?", w, sug);
        return tt_fail(s, 0, "cannot plot '%s' (expected loss, recall, weights, weights-history or sweep)", w);
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
    r.term = (enum tt_plot_term)s->plot_term;
    if (tt_arg(a, "term")->set)
        r.term = (enum tt_plot_term)tt_arg(a, "term")->i;
    r.file = r.term == TT_PLOT_FILE ? s->plot_file : NULL;
    if (tt_arg(a, "file")->set || to) {
        r.term = TT_PLOT_FILE;
        r.file = to ? to : tt_arg(a, "file")->s;
    }
    tt_modelent *ms[TT_POS_MAX];
    int nm = 0;
    for (int i = 1; i < npos && kind != 4; i++)   /* sweep names indexes */
        if (!(ms[nm++] = tt_need_model(s, a->pos[i])))
            return -1;
    if (nm == 0 && kind < 2)
        for (int i = 0; i < s->n_models && nm < TT_POS_MAX; i++)
            if (tt_entry_history(&s->models[i]))
                ms[nm++] = &s->models[i];
    if (kind >= 2 && kind != 4 && nm != 1)
        return tt_fail(s, 0, "plot %s takes one model: plot %s MODEL", w, w);
    if (nm == 0 && kind != 4)
        return tt_fail(s, 0, "nothing to plot: no model has been trained yet");
    /* One series per model, or per seed of a model trained with seeds=. */
    enum { NSER = TT_POS_MAX * TT_MAX_RUNS };
    tt_series ser[NSER];
    char title[96];             /* r.title points here until tt_plot has drawn */
    int maxe = 1;
    for (int i = 0; i < nm; i++)
        for (int q = 0; q < ms[i]->n_runs; q++)
            maxe = TT_MAX(maxe, ms[i]->runs[q].h.n);
    char (*label)[TT_NAME_MAX + 32] = calloc(NSER, sizeof *label);
    double *ybuf = calloc((size_t)NSER * (size_t)maxe, sizeof *ybuf);
#define y(i) (ybuf + (size_t)(i) * (size_t)maxe)
    if (!ybuf || !label) {
        free(ybuf);
        free(label);
        return tt_fail(s, 0, "out of memory");
    }
    int ns = 0, rc = 0;
    if (kind < 2) {
        r.title = kind == 0 ? "valid Recall@20 per epoch" : "training loss per epoch";
        r.xlabel = "epoch";
        r.ylabel = kind == 0 ? "Recall@20" : "loss";
        for (int i = 0; i < nm && rc == 0; i++) {
            if (!tt_entry_history(ms[i])) {
                rc = tt_history_absent(s, ms[i]);
                break;
            }
            for (int q = 0; q < ms[i]->n_runs && ns < NSER; q++) {
                const tt_history *h = &ms[i]->runs[q].h;
                for (int e = 0; e < h->n; e++)
                    y(ns)[e] = kind == 1 ? h->loss[e] : h->r20[e] >= 0 ? h->r20[e] : NAN;
                if (ms[i]->n_runs > 1)
                    snprintf(label[ns], sizeof label[ns], "%s seed %llu", ms[i]->def.name,
                             (unsigned long long)ms[i]->runs[q].seed);
                else
                    snprintf(label[ns], sizeof label[ns], "%s", ms[i]->def.name);
                ser[ns] = (tt_series){label[ns], h->n, NULL, y(ns)};
                ns++;
            }
        }
    } else if (kind == 4) {
        if ((ns = tt_plot_sweep(s, a->pos + 1, npos - 1, &r, ser, NSER)) < 0)
            rc = -1;
    } else {
        tt_modelent *me = ms[0];
        tt_dsent *d;
        int side = tt_tower_side(tt_arg(a, "tower")->s);
        if (tt_model_ready(s, me, &d)) {
            free(ybuf);
            free(label);
            return -1;
        }
        /* the title names the side's stage: SENet or Light-SE */
        const char *stage = tt_reweight_title(tt_model_reweight(me->m, side));
        if (!stage)
            stage = "SENet";
        if (kind == 2) {
            tt_weight_stat st[TT_MAX_FIELDS];
            int n = tt_inspect_weights(me->m, side, &d->d, &d->sp, TT_VALID, st, TT_MAX_FIELDS, &s->err);
            if (n <= 0)
                rc = n < 0 ? -1 : tt_fail(s, 0, "the %s tower of '%s' has no SENet or Light-SE stage",
                                          side ? "item" : "user", me->def.name);
            for (int i = 0; i < n; i++) {
                y(i)[0] = st[i].mean;
                ser[ns++] = (tt_series){st[i].feature, 1, NULL, y(i)};
            }
            r.bars = 1;
            snprintf(title, sizeof title, "mean %s excitation weight per feature", stage);
            r.title = title;
            r.ylabel = "weight";
        } else {
            const char *names[TT_MAX_FIELDS];
            int f = tt_model_senet_fields(me->m, side, names);
            const tt_history *h = tt_entry_history(me);
            if (f > 0 && !h)
                rc = tt_history_absent(s, me);
            else if (f == 0 || h->n_se[side] != f)
                rc = tt_fail(s, 0, "model '%s' has no SENet or Light-SE weight history (train it with a senet or lightse stage)",
                             me->def.name);
            for (int i = 0; rc == 0 && i < f; i++) {
                for (int e = 0; e < h->n; e++)
                    y(i)[e] = h->se[side][(size_t)e * TT_MAX_FIELDS + i];
                ser[ns++] = (tt_series){names[i], h->n, NULL, y(i)};
            }
            snprintf(title, sizeof title, "%s weight per feature over training", stage);
            r.title = title;
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
#undef y
    free(ybuf);
    free(label);
    return rc;
}

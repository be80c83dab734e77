/* tt_cmd_plot: plot: training curves and field weights drawn by gnuplot
 * (ui/tt_plot) from the session's models. One function per kind of plot
 * (curves, weights, weights-history); tt_cmd_plot parses and dispatches.
 * Every title names what is drawn: the models (and seeds), or the model, its
 * tower and the seed of the run it holds. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_inspect.h"
#include "tt_plot.h"

enum { NSER = TT_POS_MAX * TT_MAX_RUNS };

/* The series' storage, shared by the kinds: y(i) has room for maxe values. */
typedef struct plot_buf {
    tt_series ser[NSER];
    char (*label)[TT_NAME_MAX + 48];
    double *ybuf;
    int maxe;
    char title[512];
    int ns;
} plot_buf;

static double *yrow(plot_buf *b, int i)
{
    return b->ybuf + (size_t)i * (size_t)b->maxe;
}

/* The seed of the run a model holds now ("" if it was never trained). */
static const char *held_seed(const tt_modelent *me, char *buf, size_t n)
{
    buf[0] = 0;
    if (me->n_runs > 0)
        snprintf(buf, n, "seed %llu", (unsigned long long)me->runs[me->n_runs - 1].seed);
    return buf;
}

/* loss (kind 1) or valid Recall@20 (kind 0) per epoch: one colour per model,
 * one dash type per seed of a seeds= run. */
static int plot_curves(tt_session *s, tt_modelent **ms, int nm, int kind, tt_plot_req *r,
                       plot_buf *b)
{
    size_t t = (size_t)snprintf(b->title, sizeof b->title, "%s per epoch\n",
                                kind == 0 ? "valid Recall@20" : "training loss");
    r->xlabel = "epoch";
    r->ylabel = kind == 0 ? "Recall@20" : "loss";
    for (int i = 0; i < nm; i++) {
        if (!tt_entry_history(ms[i]))
            return tt_history_absent(s, ms[i]);
        if (kind == 1 && tt_mkind_get(ms[i]->def.kind)->fitted)
            return tt_fail(s, 0, "model '%s' (%s) has no training loss: it is fitted, not trained by steps (plot recall shows its valid Recall@20)",
                           ms[i]->def.name, tt_mkind_get(ms[i]->def.kind)->name);
        if (t < sizeof b->title)
            t += (size_t)snprintf(b->title + t, sizeof b->title - t, "%s%s", i ? ", " : "",
                                  ms[i]->def.name);
        if (ms[i]->n_runs > 1 && t < sizeof b->title)
            t += (size_t)snprintf(b->title + t, sizeof b->title - t, " (%d seeds)", ms[i]->n_runs);
        for (int q = 0; q < ms[i]->n_runs && b->ns < NSER; q++) {
            const tt_history *h = &ms[i]->runs[q].h;
            double *y = yrow(b, b->ns);
            for (int e = 0; e < h->n; e++)
                y[e] = kind == 1 ? h->loss[e] : h->r20[e] >= 0 ? h->r20[e] : NAN;
            snprintf(b->label[b->ns], sizeof b->label[b->ns], "%s seed %llu", ms[i]->def.name,
                     (unsigned long long)ms[i]->runs[q].seed);
            b->ser[b->ns] = (tt_series){b->label[b->ns], h->n, NULL, y, i + 1, q + 1};
            b->ns++;
        }
    }
    r->title = b->title;
    return 0;
}

/* The mean excitation weight of each feature of one tower, with the
 * suppression threshold drawn; a constant excitation says so in the title. */
static int plot_weights(tt_session *s, tt_modelent *me, tt_dsent *d, int side, const char *stage,
                        tt_plot_req *r, plot_buf *b)
{
    tt_weight_stat st[TT_MAX_FIELDS];
    int n = tt_inspect_weights(me->m, side, &d->d, &d->sp, TT_VALID, st, TT_MAX_FIELDS, &s->err);
    if (n < 0)
        return -1;
    if (n == 0)
        return tt_fail(s, 0, "the %s tower of '%s' has no SENet or Light-SE stage",
                       side ? "item" : "user", me->def.name);
    tt_excitation x;
    if (tt_inspect_excitation(me->m, side, &d->d, &d->sp, TT_VALID, st, n, &x, &s->err))
        return -1;
    double mean[TT_MAX_FIELDS];
    for (int i = 0; i < n; i++) {
        yrow(b, i)[0] = mean[i] = st[i].mean;
        b->ser[b->ns++] = (tt_series){st[i].feature, 1, NULL, yrow(b, i), 0, 0};
    }
    char seed[48];
    snprintf(b->title, sizeof b->title, "mean %s excitation weight per feature\nmodel %s, %s tower, %s%s",
             stage, me->def.name, side ? "item" : "user", held_seed(me, seed, sizeof seed),
             x.constant ? "\nCONSTANT: the same weights for every row, a fixed scale, not a gate" : "");
    r->title = b->title;
    r->bars = 1;
    r->ylabel = "weight";
    r->line_y = tt_inspect_suppress_threshold(mean, n);
    r->has_line = isfinite(r->line_y);
    snprintf(b->label[NSER - 1], sizeof b->label[NSER - 1], "suppressed below %.3f (half the median)",
             r->line_y);
    r->line_label = b->label[NSER - 1];
    return 0;
}

/* The running mean of each feature's weight, epoch by epoch. */
static int plot_weights_history(tt_session *s, tt_modelent *me, int side, const char *stage,
                                tt_plot_req *r, plot_buf *b)
{
    const char *names[TT_MAX_FIELDS];
    int f = tt_model_senet_fields(me->m, side, names);
    const tt_history *h = tt_entry_history(me);
    if (f > 0 && !h)
        return tt_history_absent(s, me);
    if (f == 0 || h->n_se[side] != f)
        return tt_fail(s, 0, "model '%s' has no SENet or Light-SE weight history (train it with a senet or lightse stage)",
                       me->def.name);
    for (int i = 0; i < f; i++) {
        double *y = yrow(b, i);
        for (int e = 0; e < h->n; e++)
            y[e] = h->se[side][(size_t)e * TT_MAX_FIELDS + i];
        b->ser[b->ns++] = (tt_series){names[i], h->n, NULL, y, 0, 0};
    }
    char seed[48];
    snprintf(b->title, sizeof b->title, "%s weight per feature over training\nmodel %s, %s tower, %s",
             stage, me->def.name, side ? "item" : "user", held_seed(me, seed, sizeof seed));
    r->title = b->title;
    r->xlabel = "epoch";
    r->ylabel = "mean weight";
    return 0;
}

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
    tt_plot_args o;
    tt_bind_plot.init(&o);
    tt_args_apply(a, &tt_bind_plot, &o);
    tt_plot_req r;
    memset(&r, 0, sizeof r);
    r.term = (enum tt_plot_term)s->plot_term;
    if (tt_arg(a, "term")->set)
        r.term = (enum tt_plot_term)tt_arg(a, "term")->i;
    r.file = r.term == TT_PLOT_FILE ? s->plot_file : NULL;
    if (o.file || to) {
        r.term = TT_PLOT_FILE;
        r.file = to ? to : o.file;
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
    plot_buf *b = calloc(1, sizeof *b);
    if (!b)
        return tt_fail(s, 0, "out of memory");
    b->maxe = 1;
    for (int i = 0; i < nm; i++)
        for (int q = 0; q < ms[i]->n_runs; q++)
            b->maxe = TT_MAX(b->maxe, ms[i]->runs[q].h.n);
    b->label = calloc(NSER, sizeof *b->label);
    b->ybuf = calloc((size_t)NSER * (size_t)b->maxe, sizeof *b->ybuf);
    if (!b->ybuf || !b->label) {
        free(b->ybuf);
        free(b->label);
        free(b);
        return tt_fail(s, 0, "out of memory");
    }
    int rc;
    if (kind < 2) {
        rc = plot_curves(s, ms, nm, kind, &r, b);
    } else if (kind == 4) {   /* an index's sweep (serving) */
        rc = (b->ns = tt_plot_sweep(s, a->pos + 1, npos - 1, &r, b->ser, NSER)) < 0 ? -1 : 0;
    } else {
        tt_dsent *d;
        int side = o.side;
        rc = tt_model_ready(s, ms[0], &d);
        /* the title names the side's stage: SENet or Light-SE */
        const char *stage = rc == 0 ? tt_reweight_title(tt_model_reweight(ms[0]->m, side)) : NULL;
        if (!stage)
            stage = "SENet";
        if (rc == 0)
            rc = kind == 2 ? plot_weights(s, ms[0], d, side, stage, &r, b)
                           : plot_weights_history(s, ms[0], side, stage, &r, b);
    }
    if (rc == 0) {
        r.n_series = b->ns;
        r.series = b->ser;
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
    free(b->ybuf);
    free(b->label);
    free(b);
    return rc;
}

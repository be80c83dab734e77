/* tt_cmd_train: `train`: options, the dashboard or plain progress as the
 * training callback, several seeds, and the train_end result. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tt_plot.h"
#include "tt_tui.h"

typedef struct progress {
    tt_session *s;
    tt_tui *tui;
    tt_plot_live *live;   /* set plot window, without the dashboard */
    const tt_curve *past;
    int n_past;
    double last;          /* time of the last progress line */
    int tty_err;          /* stderr is a terminal: redraw one line */
    uint64_t seed;
    int run, n_seeds;     /* run r (1-based) of n_seeds */
    double paused;        /* seconds the dashboard held training paused */
} progress;

static int on_snapshot(const tt_snapshot *sn, void *ud)
{
    progress *p = ud;
    tt_session *s = p->s;
    if (p->tui) {
        int st = tt_tui_update(p->tui, sn);
        p->paused = tt_tui_paused(p->tui);
        if (st == TT_TUI_STOP)
            return 1;
        return s->stop != 0;
    }
    if (sn->epoch_end && p->live && sn->n_done > 0) {
        /* The live window: this run's valid Recall@20 over earlier runs'. */
        tt_series ser[17];
        int ns = 0;
        for (int i = 0; i < p->n_past && ns < 16; i++)
            ser[ns++] = (tt_series){p->past[i].model, p->past[i].n, NULL, p->past[i].recall20, i + 1, 1};
        ser[ns] = (tt_series){sn->model, sn->n_done, NULL, sn->valid_recall20, ns + 1, 1};
        ns++;
        tt_plot_req r = {.title = "valid Recall@20 per epoch", .xlabel = "epoch",
                         .ylabel = "Recall@20", .term = TT_PLOT_WINDOW, .n_series = ns,
                         .series = ser};
        if (tt_plot_live_update(p->live, &r)) {
            /* Said once; the run goes on (closing the window is allowed). */
            tt_plot_live_close(p->live);
            p->live = NULL;
            tt_session_warn(s, "the live gnuplot window has gone (writing to it failed); training goes on");
        }
    }
    if (sn->epoch_end) {
        int k = tt_history_k(&sn->valid, TT_SELECT_K);   /* ndcg beside the selection metric */
        double r20 = sn->n_done > 0 ? sn->valid_recall20[sn->n_done - 1] : -1;
        if (s->out.mode == TT_OUT_JSON) {
            tt_rec r;
            tt_rec_init(&r);
            tt_rec_str(&r, "model", sn->model);
            if (p->n_seeds > 1)
                tt_rec_int(&r, "seed", (int64_t)p->seed);
            tt_rec_int(&r, "epoch", sn->epoch);
            tt_rec_int(&r, "epochs", sn->epochs);
            double loss = sn->n_done > 0 ? sn->epoch_loss[sn->n_done - 1] : sn->loss_smooth;
            if (!isnan(loss))   /* a fitted baseline has no loss */
                tt_rec_num(&r, "loss", loss, 6);
            if (r20 >= 0) {
                tt_rec_num(&r, "valid_recall@20", r20, 4);
                if (k >= 0)
                    tt_rec_num(&r, "valid_ndcg@20", sn->valid.ndcg[k], 4);
            }
            tt_rec_int(&r, "best_epoch", sn->best_epoch);
            tt_rec_num(&r, "seconds", sn->elapsed, 3);
            tt_json_rec(s->out.f, "epoch", &r);
            fflush(s->out.f);
            tt_rec_free(&r);
        }
        if (s->progress && !s->out.quiet) {
            if (p->tty_err)
                fputs("\r\033[K", stderr);
            double loss = sn->n_done > 0 ? sn->epoch_loss[sn->n_done - 1] : sn->loss_smooth;
            char line[512];
            int j;
            if (isnan(loss))
                j = snprintf(line, sizeof line, "%s fitted", sn->model);
            else
                j = snprintf(line, sizeof line, "%s epoch %d/%d: loss %.4f", sn->model, sn->epoch,
                             sn->epochs, loss);
            if (r20 >= 0 && j > 0 && (size_t)j < sizeof line)
                j += snprintf(line + j, sizeof line - (size_t)j, ", valid recall@20 %.4f", r20);
            if (j > 0 && (size_t)j < sizeof line) {
                if (isnan(loss))
                    snprintf(line + j, sizeof line - (size_t)j, " (%.2f s)", sn->elapsed);
                else
                    snprintf(line + j, sizeof line - (size_t)j, " (%.1f s, %.0f ex/s)", sn->elapsed,
                             sn->ex_per_s);
            }
            /* a line that fits (80 columns off a terminal), as results do */
            tt_put_words(stderr, line, tt_cols_of(stderr, s->out.width), "  ");
        }
    } else if (p->tty_err && s->progress && !s->out.quiet && sn->elapsed - p->last > 0.5) {
        p->last = sn->elapsed;
        /* one line the terminal does not wrap (\r returns to its start):
         * whole words up to the width */
        char line[256];
        int n = snprintf(line, sizeof line, "%s epoch %d/%d batch %lld/%lld loss %.4f", sn->model,
                         sn->epoch, sn->epochs, (long long)sn->batch, (long long)sn->batches,
                         sn->loss_smooth);
        int cols = tt_cols_of(stderr, 0) - 1;
        if (n > cols && cols > 0 && n < (int)sizeof line) {
            line[cols] = 0;
            char *sp = strrchr(line, ' ');
            if (sp)
                *sp = 0;
        }
        fprintf(stderr, "\r\033[K%s", line);
    }
    return s->stop != 0;
}

/* Curves of earlier runs for the dashboard's overlay (the dashboard copies
 * them: they point into the models' histories). */
static int past_curves(tt_session *s, tt_modelent *skip, tt_curve *c, int max)
{
    int n = 0;
    for (int i = 0; i < s->n_models && n < max; i++) {
        tt_modelent *m = &s->models[i];
        const tt_history *h = tt_entry_history(m);
        if (m == skip || !h)
            continue;
        c[n].model = m->def.name;
        c[n].n = h->n;
        c[n].recall20 = h->r20;
        n++;
    }
    return n;
}

static void train_end(tt_session *s, tt_modelent *me, const tt_train_result *res, uint64_t seed,
                      int n_seeds)
{
    tt_rec r;
    char human[512];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    if (n_seeds > 1)
        tt_rec_int(&r, "seed", (int64_t)seed);
    tt_rec_int(&r, "epochs", res->epochs);
    tt_rec_int(&r, "best_epoch", res->best_epoch);
    tt_rec_num(&r, "seconds", res->seconds, 3);
    tt_rec_num(&r, "examples_per_s", res->ex_per_s, 0);
    tt_rec_int(&r, "threads", res->threads);
    if (res->ranks > 1) {   /* across MPI ranks: what the exchanges cost */
        tt_rec_int(&r, "ranks", res->ranks);
        tt_rec_str(&r, "exchange", res->exchange);
        tt_rec_int(&r, "steps", res->steps);
        tt_rec_num(&r, "comm_mib", res->comm_bytes / 1048576.0, 3);
        tt_rec_num(&r, "comm_grad_mib", res->comm_bytes_grad / 1048576.0, 3);
        tt_rec_num(&r, "comm_seconds", res->comm_seconds, 3);
        tt_rec_int(&r, "comm_calls", res->comm_calls);
        tt_rec_num(&r, "table_mib", res->table_bytes / 1048576.0, 3);
        for (int k = 0; k < TT_COLL_KINDS; k++) {   /* the cost model's inputs, by collective */
            char key[64];
            snprintf(key, sizeof key, "comm_%s_mib", tt_dist_kind_name(k));
            tt_rec_num(&r, key, res->kind_bytes[k] / 1048576.0, 4);
            snprintf(key, sizeof key, "comm_%s_calls", tt_dist_kind_name(k));
            tt_rec_int(&r, key, res->kind_calls[k]);
        }
    }
    if (res->in_job) {   /* under mpirun, one rank too: the compute of a step */
        if (res->ranks == 1)
            tt_rec_int(&r, "steps", res->steps);
        tt_rec_num(&r, "step_cpu_ms", res->step_cpu * 1e3, 3);
    }
    int be = res->best_epoch - 1;
    double r20 = -1;
    if (be >= 0 && be < res->h.n && res->h.r20[be] >= 0) {
        r20 = res->h.r20[be];
        tt_rec_num(&r, "valid_recall@20", r20, 4);
    }
    if (res->stopped)
        tt_rec_int(&r, "stopped", 1);
    if (res->diverged)
        tt_rec_str(&r, "diverged", res->diverged_what);
    if (me->def.kind != TT_MODEL_TWOTOWER) {
        /* A fitted kind: one fit, timed like an epoch. */
        int j = snprintf(human, sizeof human, "fitted %s (%s) in %.2f s", me->def.name,
                         tt_mkind_get(me->def.kind)->name, res->seconds);
        if (r20 >= 0)
            snprintf(human + j, sizeof human - (size_t)j, " (valid recall@20 %.4f)", r20);
        tt_out_info(&s->out, "train_end", &r, human);
        tt_rec_free(&r);
        return;
    }
    int j = snprintf(human, sizeof human, "trained %s", me->def.name);
    if (n_seeds > 1)
        j += snprintf(human + j, sizeof human - (size_t)j, " (seed %llu)", (unsigned long long)seed);
    j += snprintf(human + j, sizeof human - (size_t)j, ": %d epoch%s, best epoch %d", res->epochs,
                  res->epochs == 1 ? "" : "s", res->best_epoch);
    if (r20 >= 0)
        j += snprintf(human + j, sizeof human - (size_t)j, " (valid recall@20 %.4f)", r20);
    snprintf(human + j, sizeof human - (size_t)j, ", %.1f s, %.0f examples/s%s", res->seconds,
             res->ex_per_s, res->diverged ? " (diverged)" : res->stopped ? " (stopped)" : "");
    tt_out_info(&s->out, "train_end", &r, human);
    tt_rec_free(&r);
}

int tt_train_data(tt_session *s, tt_modelent *me, tt_dsent **d)
{
    if (!me->dataset[0] && tt_session_current(s))
        snprintf(me->dataset, sizeof me->dataset, "%s", tt_session_current(s)->name);
    if (!me->dataset[0])
        return tt_fail(s, 0, "no dataset loaded: use 'load' first");
    return tt_need_data(s, me, d, 1);
}

/* The model entry to train and its dataset, which must have a split. */
static int train_target(tt_session *s, tt_args *a, tt_modelent **mep, tt_dsent **dp)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    if (!me || tt_train_data(s, me, dp))
        return -1;
    *mep = me;
    return 0;
}

/* The training options (bound to tt_train_opts) and the seeds: seed=, one
 * per seeds= value, or the session's seed. A fitted kind (fitted = 1) takes
 * no batches, so the batch size is not checked against the examples. */
static int train_options(tt_session *s, tt_args *a, const tt_dsent *d, int fitted,
                         tt_train_opts *o, uint64_t *seeds, int *n_seeds)
{
    tt_train_opts_init(o);
    tt_args_apply(a, &tt_bind_train, o);
    o->threads = tt_arg(a, "threads")->set ? (int)tt_arg(a, "threads")->i : s->threads;
    o->stop = &s->stop;
    if (!fitted && o->batch > d->sp.part[TT_TRAIN].n && d->sp.part[TT_TRAIN].n > 0)
        tt_session_warn(s, "batch %d is larger than the %lld training examples", o->batch,
                        (long long)d->sp.part[TT_TRAIN].n);
    if (tt_arg(a, "seed")->set && tt_arg(a, "seeds")->set)
        return tt_fail(s, 0, "give seed= or seeds=, not both");
    *n_seeds = 1;
    seeds[0] = tt_arg(a, "seed")->set ? (uint64_t)tt_arg(a, "seed")->i : s->seed;
    if (tt_arg(a, "seeds")->set) {
        const tt_optval *v = tt_arg(a, "seeds");
        *n_seeds = v->n;
        for (int i = 0; i < v->n; i++)
            seeds[i] = (uint64_t)v->list[i];
    }
    return 0;
}

/* What shows the run: the dashboard on a terminal, else the live plot
 * window (plot=window; kept open across seeds), else progress lines. */
static void front_open(tt_session *s, tt_modelent *me, progress *p, tt_curve *past, int max)
{
    int np = past_curves(s, me, past, max);
    if (s->tty && s->dashboard && s->out.mode != TT_OUT_JSON) {
        p->tui = tt_tui_open(past, np);
        if (p->tui) {
            tt_tui_set_stop(p->tui, &s->stop);    /* Ctrl-C also while paused */
            tt_tui_set_run(p->tui, p->seed, p->run, p->n_seeds);
        }
    }
    if (!p->tui && s->plot_term == TT_PLOT_WINDOW && !p->live) {
        tt_err perr;
        p->live = tt_plot_live_open(&perr);
        if (!p->live)
            tt_session_warn(s, "no live plot: %s", perr.msg);
    }
    p->past = past;
    p->n_past = np;
}

/* Close the dashboard (the live plot stays for the next seed); returns
 * whether one was open. */
static int front_close(progress *p)
{
    int had_tui = p->tui != NULL;
    if (p->tui) {
        tt_tui_close(p->tui);
        p->tui = NULL;
    }
    if (p->tty_err)
        fputs("\r\033[K", stderr);
    return had_tui;
}

/* The trained model and its result replace the entry's. */
static void keep_model(tt_modelent *me, const tt_dsent *d, tt_model *m, tt_train_result *res)
{
    if (me->m)
        tt_model_free(me->m);
    tt_train_result_free(me->res);
    free(me->res);
    me->m = m;
    me->res = res;
    me->trained = 1;
    me->origin[0] = 0;
    me->split_gen = d->split_gen;
    tt_dataref_fill(&me->data, d);
}

/* The record of one run for compare and plots; it takes res's history. */
static void run_record(tt_run *run, uint64_t seed, tt_train_result *res)
{
    memset(run, 0, sizeof *run);
    run->seed = seed;
    run->seconds = res->seconds;
    run->ex_per_s = res->ex_per_s;
    run->epochs = res->epochs;
    run->best_epoch = res->best_epoch;
    run->threads = res->threads;
    run->h = res->h;          /* the run owns the history from here */
    memset(&res->h, 0, sizeof res->h);
}

/* One seed: a new model, trained with the run shown, kept in the entry,
 * reported, recorded in *run (*recorded = 1) and evaluated on test. A failed
 * training leaves the entry's model as it was. */
static int train_seed(tt_session *s, tt_modelent *me, tt_dsent *d, tt_train_opts *o,
                      uint64_t seed, int n_seeds, progress *p, tt_run *run, int *recorded)
{
    tt_curve past[16];
    tt_model *m = NULL;
    *recorded = 0;
    tt_train_result *res = calloc(1, sizeof *res);
    if (!res)
        return tt_fail(s, 0, "out of memory");
    if (tt_model_create(&me->def, &me->u, &me->i, &d->d, seed, &m, &s->err)) {
        free(res);
        return -1;
    }
    o->seed = seed;
    p->seed = seed;
    front_open(s, me, p, past, 16);
    s->stop = 0;
    s->training = 1;
    p->paused = 0;
    o->paused = &p->paused;
    int tr = tt_train(m, &d->d, &d->sp, o, on_snapshot, p, res, &s->err);
    s->training = 0;
    int had_tui = front_close(p);
    if (tr) {
        tt_model_free(m);
        tt_train_result_free(res);
        free(res);
        return -1;
    }
    keep_model(me, d, m, res);
    if (had_tui && res->h.n > 0) {
        /* What the dashboard showed stays in the scrollback. */
        tt_run tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.seed = seed;
        tmp.best_epoch = res->best_epoch;
        tmp.h = res->h;
        tt_history_print(s, me->def.name, &tmp, 1, n_seeds > 1, tt_mkind_get(me->def.kind)->fitted);
    }
    train_end(s, me, res, seed, n_seeds);
    if (res->diverged)
        return tt_fail(s, 0, "training of %s diverged (%s is not finite): the parameters are back to their last finite values; try a smaller lr",
                       me->def.name, res->diverged_what);
    run_record(run, seed, res);
    *recorded = 1;
    return tt_eval_model(s, me, TT_TEST, s->ks, s->n_k, &run->test);
}

int tt_cmd_train(tt_session *s, tt_args *a)
{
    tt_modelent *me = NULL;
    tt_dsent *d = NULL;
    if (train_target(s, a, &me, &d))
        return -1;
    tt_train_opts o;
    uint64_t seeds[TT_LIST_MAX];
    int n_seeds = 0;
    if (train_options(s, a, d, tt_mkind_get(me->def.kind)->fitted, &o, seeds, &n_seeds))
        return -1;

    progress p = {s, NULL, NULL, NULL, 0, 0, isatty(STDERR_FILENO) && !s->tty, 0, 0, n_seeds, 0};
    if (me->m && !tt_mkind_get(me->def.kind)->auto_fit)
        tt_session_warn(s, "%s is already %s: training starts again from new parameters and replaces it",
                        me->def.name, me->trained == 2 ? "opened from a file" : "trained");
    int rc = 0;
    tt_run runs[TT_LIST_MAX];
    int n_runs = 0;
    for (int r = 0; r < n_seeds; r++) {
        int recorded;
        p.run = r + 1;
        rc = train_seed(s, me, d, &o, seeds[r], n_seeds, &p, &runs[n_runs], &recorded);
        n_runs += recorded;
        if (rc || me->res->stopped || s->stop)
            break;
    }
    if (p.live)
        tt_plot_live_close(p.live);
    if (n_runs > 0) {
        tt_entry_clear_runs(me);
        me->n_runs = n_runs;
        me->no_history = 0;
        memcpy(me->runs, runs, sizeof runs[0] * (size_t)n_runs);
    }
    s->stop = 0;
    return rc;
}

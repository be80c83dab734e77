/* tt_train: epochs of shuffled batches, validation every epoch, keeping the
 * best epoch's parameters, early stopping, stop requests, divergence
 * detection with restore, and snapshots for front ends. Prints nothing. */
#include "tt_train.h"
#include "tt_score.h"
#include "tt_blas.h"
#include "tt_rng.h"
#include "tt_par.h"
#include "tt_dist.h"
#include "tt_train_dist.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tt_train_opts_init(tt_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 20;
    o->batch = 256;
    o->lr = 0.001f;
    o->opt = TT_OPT_ADAM;
    o->momentum = 0.9f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->keep_best = 1;
    o->eval_every = 1;
    o->seed = 1;
    o->dist = 1;
}

/* Sum of squares with partial sums (NaN/Inf propagate into the result). */
static double sumsq(const float *x, int64_t n)
{
    float s[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            s[j] += x[i + j] * x[i + j];
    double t = 0;
    for (; i < n; i++)
        t += (double)x[i] * x[i];
    for (int j = 0; j < 8; j++)
        t += s[j];
    return t;
}

/* 0 when every value is finite: x * 0 is NaN exactly for NaN and Inf. */
static int nonfinite(const float *x, int64_t n)
{
    float s[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            s[j] += x[i + j] * 0.0f;
    float t = 0;
    for (; i < n; i++)
        t += x[i] * 0.0f;
    for (int j = 0; j < 8; j++)
        t += s[j];
    return t != 0.0f || t != t;
}

/* The ranges a step updates: every tensor whole, or for tables under lazy
 * updates only the rows the batch touched. fn(ud, off, n) per range. */
typedef struct step_ctx {
    tt_model *m;
    int lazy;
} step_ctx;

#define FOR_RANGES(sc, ti, OFF, N, BODY)                                          \
    do {                                                                          \
        for (int ti = 0; ti < tt_model_n_tensors((sc)->m); ti++) {                \
            const tt_param_info *pi_ = tt_model_tensor((sc)->m, ti);              \
            if ((sc)->lazy && pi_->table) {                                       \
                const int32_t *rows_;                                             \
                int64_t nr_ = tt_model_touched_rows((sc)->m, ti, &rows_);         \
                for (int64_t r_ = 0; r_ < nr_; r_++) {                            \
                    int64_t OFF = pi_->off + (int64_t)rows_[r_] * pi_->cols;      \
                    int64_t N = pi_->cols;                                        \
                    BODY;                                                         \
                }                                                                 \
            } else {                                                              \
                int64_t OFF = pi_->off, N = pi_->n;                               \
                BODY;                                                             \
            }                                                                     \
        }                                                                         \
    } while (0)

/* Truncation of the message is fine: it is a label. */
static void set_what(tt_train_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_what(tt_train_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->diverged_what, sizeof res->diverged_what, fmt, ap);
    va_end(ap);
}

/* The dense (non-lazy) optimizer step over the whole block, split across the
 * step's threads: phase 0 partial sums of g^2, phase 1 update, finiteness
 * check and zeroing of the gradients. Partial sums are added in thread order. */
typedef struct opt_ctx {
    tt_optim *opt;
    float *P, *G, *prev;
    int64_t np;
    float gscale;
    int phase;
    double g2[64];
    int bad[64];
} opt_ctx;

static void opt_phase(void *ctx, int tid, int nt)
{
    opt_ctx *c = ctx;
    int64_t r0 = (c->np * tid / nt) & ~(int64_t)15, r1 = (c->np * (tid + 1) / nt) & ~(int64_t)15;
    if (tid == nt - 1)
        r1 = c->np;
    if (tid == 0)
        r0 = 0;
    if (c->phase == 0) {
        c->g2[tid] = sumsq(c->G + r0, r1 - r0);
        return;
    }
    tt_optim_update(c->opt, c->P, c->G, c->prev, r0, r1 - r0, c->gscale);
    c->bad[tid] = nonfinite(c->P + r0, r1 - r0);
    memset(c->G + r0, 0, (size_t)(r1 - r0) * sizeof(float));
}

/* A run's fixed parts: what one step reads and writes. */
typedef struct train_run {
    tt_model *m;
    const tt_dataset *d;
    const tt_split *sp;
    const tt_train_opts *o;
    tt_train_result *res;
    tt_optim *opt;
    float *P, *G, *prev;      /* parameters, gradients, last finite parameters */
    int64_t np;
    step_ctx sc;
    /* the end of an epoch */
    tt_snapshot *s;
    tt_train_cb cb;
    void *ud;
    float *V, *Qv;            /* validation encodings */
    float *best;              /* the best epoch's parameters, or NULL */
    int par;                  /* threads of the BLAS policy's section */
    double best_r20;          /* the selection metric at the best epoch */
    int best_epoch, since_best;
    int stop;                 /* early stopping asked for */
    tt_train_dist *dx;        /* across MPI ranks: the gradient exchange */
    int want_stop;            /* across ranks: this rank's callback asked to stop */
} train_run;

/* After a step whose loss or gradient norm is not finite: name the first
 * place that is not, a parameter (e.g. overwritten from outside), else the
 * loss, else a gradient; the parameters go back to their last finite values
 * when they are the culprit. */
static void name_nonfinite(train_run *r, double loss, int e, int64_t bi)
{
    tt_model *m = r->m;
    tt_train_result *res = r->res;
    int bad = -1;
    for (int ti = 0; ti < tt_model_n_tensors(m) && bad < 0; ti++)
        if (nonfinite(r->P + tt_model_tensor(m, ti)->off, tt_model_tensor(m, ti)->n))
            bad = ti;
    if (bad >= 0)
        set_what(res,
                 "%s (non-finite values before epoch %d batch %lld)",
                 tt_model_tensor(m, bad)->desc, e, (long long)bi + 1);
    else if (!isfinite(loss))
        set_what(res,
                 "loss (epoch %d, batch %lld)", e, (long long)bi + 1);
    else
        for (int ti = 0; ti < tt_model_n_tensors(m); ti++) {
            const tt_param_info *pi = tt_model_tensor(m, ti);
            if (nonfinite(r->G + pi->off, pi->n)) {
                set_what(res,
                         "gradient of %s (epoch %d, batch %lld)", pi->desc,
                         e, (long long)bi + 1);
                break;
            }
        }
    /* prev holds every value from before its last update: finite. */
    if (bad >= 0)
        memcpy(r->P, r->prev, (size_t)r->np * sizeof(float));
    res->diverged = 1;
}

/* One step on the training examples idx[0..n) (batch bi of epoch e): loss
 * and gradients, their norm, clipping, the update and its finiteness check.
 * Returns 0 with the batch's loss in *loss_out; 1 when training diverged
 * (res->diverged_what says where, the parameters are finite again); -1 on
 * an error (err). */
static int train_step(train_run *r, const int64_t *idx, int n, int e, int64_t bi,
                      double *loss_out, tt_err *err)
{
    tt_model *m = r->m;
    const tt_train_opts *o = r->o;
    step_ctx *sc = &r->sc;
    float *P = r->P, *G = r->G, *prev = r->prev;
    const int64_t np = r->np;
    tt_err lerr;
    lerr.msg[0] = 0;
    double loss = tt_model_batch_loss(m, r->d, r->sp, idx, n, 1, &lerr);
    if (isnan(loss) && lerr.msg[0]) {   /* an error, not a divergence */
        tt_err_set(err, "%s", lerr.msg);
        if (r->dx->on)   /* the other ranks are waiting in the exchange */
            tt_dist_die(err->msg);
        return -1;
    }
    tt_train_dist_reduce(r->dx);   /* across ranks: the sum of every rank's rows */
    /* Gradient norm over what this step updates (NaN/Inf propagate). */
    double g2 = 0;
    tt_pool *pool = tt_model_pool(m);
    int nt = tt_pool_size(pool);
    opt_ctx oc = {r->opt, P, G, prev, np, 1.0f, 0, {0}, {0}};
    if (isfinite(loss) && !o->lazy) {
        tt_pool_run(pool, opt_phase, &oc);
        for (int t = 0; t < nt; t++)
            g2 += oc.g2[t];
    } else if (isfinite(loss)) {
        FOR_RANGES(sc, ti, off, cnt, g2 += sumsq(G + off, cnt));
    }
    if (!isfinite(loss) || !isfinite(g2)) {
        name_nonfinite(r, loss, e, bi);
        return 1;
    }
    float gscale = 1.0f;
    if (o->clip > 0 && sqrt(g2) > o->clip)
        gscale = (float)(o->clip / sqrt(g2));
    tt_optim_begin(r->opt);
    int bad = -1;
    if (!o->lazy) {
        oc.phase = 1;
        oc.gscale = gscale;
        tt_pool_run(pool, opt_phase, &oc);   /* also zeroes the gradients */
        int any = 0;
        for (int t = 0; t < nt; t++)
            any |= oc.bad[t];
        if (any)
            for (int ti = 0; ti < tt_model_n_tensors(m) && bad < 0; ti++)
                if (nonfinite(P + tt_model_tensor(m, ti)->off, tt_model_tensor(m, ti)->n))
                    bad = ti;
    } else {
        FOR_RANGES(sc, ti, off, cnt, tt_optim_update(r->opt, P, G, prev, off, cnt, gscale));
        FOR_RANGES(sc, ti, off, cnt, if (bad < 0 && nonfinite(P + off, cnt)) bad = ti);
    }
    if (bad >= 0) {
        set_what(r->res,
                 "%s after the update (epoch %d, batch %lld)",
                 tt_model_tensor(m, bad)->desc, e, (long long)bi + 1);
        FOR_RANGES(sc, ti, off, cnt,
                   memcpy(P + off, prev + off, (size_t)cnt * sizeof(float)));
        r->res->diverged = 1;
        return 1;
    }
    /* Zero what this step wrote, then forget the touched rows. */
    if (o->lazy) {
        FOR_RANGES(sc, ti, off, cnt, memset(G + off, 0, (size_t)cnt * sizeof(float)));
        tt_model_clear_touched(m);
    }
    *loss_out = loss;
    return 0;
}

static void fill_se(tt_model *m, tt_snapshot *s)
{
    for (int side = 0; side < 2; side++) {
        s->n_se[side] = tt_model_senet_fields(m, side, s->se_name[side]);
        s->se_kind[side] = tt_model_reweight(m, side);
        if (s->n_se[side]) {
            tt_model_senet_running(m, side, s->se_mean[side]);
            tt_model_senet_running_spread(m, side, s->se_std[side], &s->se_inactive[side]);
            tt_model_senet_shape(m, side, &s->se_hidden[side], &s->se_r[side]);
        }
    }
}

void tt_train_result_free(tt_train_result *res)
{
    if (!res)
        return;
    tt_history_free(&res->h);
    memset(res, 0, sizeof *res);
}

/* Seconds the front end has held training paused so far. */
static double paused_s(const tt_train_opts *o)
{
    return o->paused ? *o->paused : 0;
}

static int valid_eval(tt_model *m, const tt_dataset *d, const tt_split *sp,
                      float *V, float *Q, tt_metrics *out, tt_err *err)
{
    static const int ks[3] = {10, TT_SELECT_K, 50};
    const tt_examples *ex = &sp->part[TT_VALID];
    int H, G, dh;
    /* several vectors per user or per item: buffers of their own */
    if (tt_model_query_vectors(m) > 1 || tt_model_fe_shape(m, &H, &G, &dh))
        return tt_score_eval(m, d, sp, TT_VALID, ks, 3, out, err);
    if (tt_model_encode_items(m, d, V, err) ||
        tt_model_encode_queries(m, d, ex, Q, err))
        return -1;
    return tt_eval(Q, V, d->n_items, tt_model_dim(m), sp, TT_VALID, ks, 3, out, err);
}

/* The end of epoch e, whose batches are done (mean loss eloss, train_s
 * seconds of training so far): the loss and SENet means into the history,
 * validation (not timed) with the selection metric, the best epoch and early
 * stopping, and the epoch's snapshot. Returns 0, or -1 on an error (err);
 * stopping is left in res->stopped, res->diverged and r->stop. */
static int end_epoch(train_run *r, int e, double eloss, double train_s, tt_err *err)
{
    tt_model *m = r->m;
    tt_train_result *res = r->res;
    tt_snapshot *s = r->s;
    const tt_train_opts *o = r->o;
    int ei = e - 1;
    tt_history *h = &res->h;
    tt_history_add_epoch(h, eloss, NULL, train_s);
    res->n_epochs = e;
    res->epochs = e;
    s->n_done = e;
    if (r->dx->on)   /* the epoch's SENet read-out over every rank's rows */
        tt_model_senet_dist_sum(m);
    for (int side = 0; side < 2; side++)
        h->n_se[side] = tt_model_senet_running(m, side, h->se[side] + (size_t)ei * TT_MAX_FIELDS);
    if (res->diverged)
        return 0;
    if (o->eval_every > 0 && r->sp->part[TT_VALID].n > 0 && e % o->eval_every == 0) {
        tt_metrics *mv = &h->valid[ei];
        tt_blas_par_end(r->par);
        int erc = valid_eval(m, r->d, r->sp, r->V, r->Qv, mv, err);
        tt_blas_par_begin(r->par);
        if (erc)
            return -1;
        double r20 = tt_metrics_select(mv);
        s->valid = *mv;
        h->r20[ei] = r20;
        if (r20 > r->best_r20) {
            r->best_r20 = r20;
            r->best_epoch = e;
            r->since_best = 0;
            if (r->best)
                memcpy(r->best, r->P, (size_t)r->np * sizeof(float));
        } else {
            r->since_best++;
            if (o->patience > 0 && r->since_best >= o->patience)
                r->stop = 1;
        }
    }
    s->best_epoch = r->best_epoch;
    s->epoch_end = 1;
    if (r->cb) {
        fill_se(m, s);
        if (r->cb(s, r->ud))
            res->stopped = 1;
    }
    if (r->dx->on)   /* one rank asked (Ctrl-C, the dashboard): all stop here */
        res->stopped = tt_dist_max_int(res->stopped || (o->stop && *o->stop) || r->want_stop);
    return 0;
}

/* Stop before the next batch? Across ranks the ranks agree (any rank's
 * request stops all at the same batch boundary). */
static int stop_asked(train_run *r)
{
    int local = (r->o->stop && *r->o->stop) || r->want_stop;
    return r->dx->on ? tt_dist_max_int(local) : local;
}

int tt_train(tt_model *m, const tt_dataset *d, const tt_split *sp,
             const tt_train_opts *o, tt_train_cb cb, void *ud,
             tt_train_result *res, tt_err *err)
{
    const tt_model_def *md = tt_model_get_def(m);
    const tt_examples *ex = &sp->part[TT_TRAIN];
    const int64_t np = tt_model_param_count(m);
    const int D = tt_model_dim(m);
    float *P = tt_model_params(m), *G = tt_model_grads(m);
    float *prev = NULL, *best = NULL, *V = NULL, *Qv = NULL;
    int64_t *order = NULL;
    tt_optim opt;
    tt_snapshot *s = NULL;
    int rc = -1, have_opt = 0;
    tt_train_dist dx;

    memset(&dx, 0, sizeof dx);

    memset(res, 0, sizeof *res);
    if (o->epochs < 0)
        return tt_err_set(err, "epochs=%d out of range (0 or more)", o->epochs);
    if (o->batch < 1)
        return tt_err_set(err, "batch=%d must be >= 1", o->batch);
    if (!(o->lr > 0.0f))
        return tt_err_set(err, "lr=%g must be > 0", (double)o->lr);
    /* threads=N: N threads for the step's own split (fixed row ranges,
     * deterministic), a parallel section of the BLAS thread policy
     * (tt_blas.h); BLAS gets the N threads for the evaluations inside this
     * run, and the session's count back when it ends (out:). */
    const int blas_before = tt_blas_get_threads();
    int nthr = tt_blas_par_threads(o->threads), par = 0;
    if (o->threads > 0)
        tt_blas_set_threads(o->threads);
    res->threads = nthr;

    int64_t nvalid = sp->part[TT_VALID].n;
    s = tt_alloc(1, sizeof *s, "training snapshot", err);
    if (!s || tt_history_reserve(&res->h, TT_MAX(o->epochs, 1), err))
        goto out;
    s->model = md->name;
    s->epoch_loss = res->h.loss;
    s->valid_recall20 = res->h.r20;
    s->epochs = o->epochs;
    s->best_epoch = 0;

    if (tt_model_fitted_kind(m)) {
        /* Fitted in one call (popularity, EASE, ItemKNN, iALS): the fit is
         * reported as one epoch, timed, then valid is evaluated once. */
        double t0 = tt_now();
        if (tt_model_fit(m, d, sp, nthr, o->stop, err))
            goto out;
        res->seconds = tt_now() - t0;
        res->ex_per_s = res->seconds > 0 ? (double)ex->n / res->seconds : 0;
        res->epochs = res->best_epoch = 1;
        res->stopped = o->stop && *o->stop;
        s->epochs = s->epoch = s->n_done = s->best_epoch = 1;
        s->elapsed = res->seconds;
        s->loss = s->loss_smooth = NAN;   /* no loss: fitted, not trained */
        int valid = o->eval_every && nvalid > 0;
        if (valid) {
            static const int ks[3] = {10, 20, 50};
            if (tt_score_eval(m, d, sp, TT_VALID, ks, 3, &s->valid, err))
                goto out;
        }
        tt_history_add_epoch(&res->h, NAN, valid ? &s->valid : NULL, res->seconds);
        s->epoch_end = 1;
        if (cb)
            cb(s, ud);
        rc = 0;
        goto out;
    }
    V = tt_alloc((size_t)d->n_items * D, sizeof(float), "item encodings", err);
    Qv = tt_alloc((size_t)TT_MAX(nvalid, 1) * D, sizeof(float), "query encodings", err);
    if (!V || !Qv)
        goto out;
    if (ex->n < 1) {
        tt_err_set(err, "the split has no training examples");
        goto out;
    }
    const int B = (int)TT_MIN((int64_t)o->batch, ex->n);
    if (tt_model_reserve(m, d, sp, B, err) || tt_model_set_threads(m, nthr, err))
        goto out;
    tt_blas_par_begin(nthr);
    par = nthr;
    if (tt_optim_init(&opt, o->opt, np, o->lr, o->momentum, o->beta1, o->beta2,
                      o->eps, o->wd, err))
        goto out;
    have_opt = 1;
    prev = tt_alloc_aligned((size_t)TT_MAX(np, 1), sizeof(float), "last finite parameters", err);
    best = o->keep_best ? tt_alloc_aligned((size_t)TT_MAX(np, 1), sizeof(float),
                                           "best parameters", err) : NULL;
    order = tt_alloc((size_t)ex->n, sizeof(int64_t), "batch order", err);
    if (!prev || (o->keep_best && !best) || !order)
        goto out;
    memcpy(prev, P, (size_t)np * sizeof(float));
    for (int64_t j = 0; j < ex->n; j++)
        order[j] = j;

    tt_rng rng;
    tt_rng_seed(&rng, o->seed);
    tt_model_seed(m, o->seed);
    tt_model_track_rows(m, o->lazy);
    /* dist: each batch split over the MPI ranks (tt_train_dist.h) */
    tt_model_set_dist(m, o->dist && tt_dist_size() > 1);
    if (o->dist && tt_train_dist_init(&dx, m, o->lazy, err))
        goto out;
    tt_model_zero_grad(m);
    tt_dist_stats_reset();
    train_run run = {m, d, sp, o, res, &opt, P, G, prev, np, {m, o->lazy},
                     s, cb, ud, V, Qv, best, par, -1, 0, 0, 0, &dx, 0};

    const int64_t nb = (ex->n + B - 1) / B;
    const int64_t total_batches = nb * o->epochs;
    double train_s = 0, step_cpu = 0;
    int64_t step = 0, seen = 0;
    int stop = 0;
    s->batches = nb;

    for (int e = 1; e <= o->epochs && !stop; e++) {
        tt_rng_shuffle_i64(&rng, order, (size_t)ex->n);
        tt_model_senet_reset(m);
        double t0 = tt_now(), p0 = paused_s(o), eloss = 0;
        int64_t ebatches = 0;
        s->epoch = e;
        s->epoch_end = 0;
        for (int64_t bi = 0; bi < nb; bi++) {
            if (stop_asked(&run)) {
                res->stopped = 1;
                stop = 1;
                break;
            }
            int64_t first = bi * B;
            int n = (int)TT_MIN((int64_t)B, ex->n - first);
            double loss = 0;
            tt_dist_stats c0, c1;
            tt_dist_stats_get(&c0);
            double cpu0 = tt_cpu_now();
            int st = train_step(&run, order + first, n, e, bi, &loss, err);
            tt_dist_stats_get(&c1);
            step_cpu += tt_cpu_now() - cpu0 - (c1.cpu - c0.cpu);
            if (st < 0)
                goto out;
            if (st > 0) {
                stop = 1;
                break;
            }
            step++;
            seen += n;
            ebatches++;
            eloss += loss;
            double now = tt_now();
            double el = train_s + (now - t0) - (paused_s(o) - p0);
            s->batch = bi + 1;
            s->step = step;
            s->loss = loss;
            s->loss_smooth = step == 1 ? loss : 0.98 * s->loss_smooth + 0.02 * loss;
            tt_history_push_smooth(&res->h, s->loss_smooth);
            s->ex_per_s = el > 0 ? (double)seen / el : 0;
            s->elapsed = el;
            s->eta = step > 0 ? el / (double)step * (double)(total_batches - step) : 0;
            if (cb) {
                fill_se(m, s);
                if (cb(s, ud)) {
                    if (run.dx->on) {
                        run.want_stop = 1;   /* said to all at the next boundary */
                        continue;
                    }
                    res->stopped = 1;
                    stop = 1;
                    break;
                }
            }
        }
        train_s += tt_now() - t0 - (paused_s(o) - p0);
        if (ebatches == 0)
            break;
        if (end_epoch(&run, e, eloss / (double)ebatches, train_s, err) < 0)
            goto out;
        stop |= res->stopped || res->diverged || run.stop;
    }
    if (best && run.best_epoch > 0) {
        memcpy(P, best, (size_t)np * sizeof(float));
        res->best_epoch = run.best_epoch;
    } else {
        /* No evaluated epoch to go back to: the parameters are the last
         * ones, or after a divergence the last finite ones, which belong to
         * no finished epoch (0). */
        res->best_epoch = res->diverged ? 0 : res->epochs;
    }
    res->seconds = train_s;
    res->ex_per_s = train_s > 0 ? (double)seen / train_s : 0;
    res->steps = step;
    res->ranks = dx.on ? tt_dist_size() : 1;
    res->in_job = tt_dist_in_job();
    res->step_cpu = step > 0 ? step_cpu / (double)step : 0;
    if (dx.on) {
        tt_dist_stats st;
        tt_dist_stats_get(&st);
        memcpy(res->kind_bytes, st.kind_bytes, sizeof st.kind_bytes);
        memcpy(res->kind_calls, st.kind_calls, sizeof st.kind_calls);
        res->table_bytes = (double)(np - dx.n_dense) * sizeof(float);
        res->comm_bytes = st.bytes;
        res->comm_seconds = st.seconds;
        res->comm_calls = st.calls;
        res->comm_bytes_grad = dx.bytes_grad;
        res->exchange = tt_train_dist_mode(&dx);
    }
    rc = 0;
out:
    if (rc)
        tt_history_free(&res->h);
    tt_blas_par_end(par);
    if (o->threads > 0)
        tt_blas_set_threads(blas_before);
    tt_model_track_rows(m, 0);
    tt_model_set_dist(m, 0);
    tt_train_dist_free(&dx);
    if (have_opt)
        tt_optim_free(&opt);
    free(prev);
    free(best);
    free(order);
    free(V);
    free(Qv);
    free(s);
    return rc;
}

/* tt_cmd_rank: `rank`, a ranking stated from measured numbers, so that a
 * walkthrough's narration never has to assert an order that a different knob
 * (size, epochs, seeds) could turn around. Reads what compare and train
 * measured; prints one row per model, best first, and a sentence. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    tt_modelent *me;
    double mean, sd;
    int n;                     /* values behind mean (seeds), 0: none */
} ranked;

static void mean_sd(const double *x, int n, double *mean, double *sd)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m = n ? m / n : NAN;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(v / (n - 1)) : 0;
}

/* What `by` names: 0 recall@K, 1 ndcg@K, 2 mrr, 3 loss (final training
 * loss), 4 train_s. Lower is better for 3 and 4. */
static int parse_by(const char *by, int *k)
{
    *k = 0;
    if (!strcmp(by, "mrr"))
        return 2;
    if (!strcmp(by, "loss"))
        return 3;
    if (!strcmp(by, "train_s"))
        return 4;
    int kind = !strncmp(by, "recall@", 7) ? 0 : !strncmp(by, "ndcg@", 5) ? 1 : -1;
    if (kind < 0)
        return -1;
    char *end;
    long v = strtol(strchr(by, '@') + 1, &end, 10);
    if (*end || v < 1 || v > 1000000)
        return -1;
    *k = (int)v;
    return kind;
}

static int measure(tt_session *s, ranked *r, int kind, int k, enum tt_part p)
{
    tt_modelent *me = r->me;
    double v[TT_MAX_RUNS];
    int n = 0;
    if (kind == 3 || kind == 4) {
        for (int q = 0; q < me->n_runs; q++) {
            const tt_run *ru = &me->runs[q];
            if (kind == 4)
                v[n++] = ru->seconds;
            else if (ru->h.n > 0)
                v[n++] = ru->h.loss[ru->h.n - 1];
        }
    } else {
        int q0 = -1;   /* per-seed test metrics taken at cut-off k */
        if (me->n_runs > 1 && p == TT_TEST)
            for (int j = 0; j < me->runs[0].test.n_k; j++)
                if (me->runs[0].test.k[j] == k || kind == 2)
                    q0 = j;
        if (q0 >= 0) {
            for (int q = 0; q < me->n_runs; q++) {
                const tt_metrics *m = &me->runs[q].test;
                v[n++] = kind == 0 ? m->recall[q0] : kind == 1 ? m->ndcg[q0] : m->mrr;
            }
        } else {
            tt_metrics m;
            int ks[1] = { kind == 2 ? 10 : k };
            if (tt_eval_model(s, me, p, ks, 1, &m))
                return -1;
            v[n++] = kind == 0 ? m.recall[0] : kind == 1 ? m.ndcg[0] : m.mrr;
        }
    }
    r->n = n;
    mean_sd(v, n, &r->mean, &r->sd);
    return 0;
}

static int lower_better;
static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (!x->n || !y->n)
        return y->n - x->n;   /* unmeasured last */
    if (x->mean == y->mean)
        return strcmp(x->me->def.name, y->me->def.name);
    return (x->mean < y->mean) == lower_better ? -1 : 1;
}

int tt_cmd_rank(tt_session *s, tt_args *a)
{
    const char *by = tt_arg(a, "by")->s;
    int k, kind = parse_by(by, &k);
    if (kind < 0)
        return tt_fail(s, 0, "rank by '%s': expected recall@K, ndcg@K, mrr, loss or train_s", by);
    enum tt_part p = tt_arg(a, "split")->i == 0 ? TT_VALID : TT_TEST;
    ranked r[TT_POS_MAX];
    int n = 0;
    for (int i = 0; i < a->npos; i++) {
        tt_modelent *me = tt_need_model(s, a->pos[i]);
        if (!me)
            return -1;
        for (int j = 0; j < n; j++)
            if (r[j].me == me)
                return tt_fail(s, 0, "model '%s' is listed twice", me->def.name);
        r[n].me = me;
        if (measure(s, &r[n], kind, k, p))
            return -1;
        if (r[n].n == 0 && kind >= 3)
            return tt_fail(s, 0, "model '%s' has no %s: it was never trained",
                           me->def.name, kind == 3 ? "training loss" : "training time");
        n++;
    }
    lower_better = kind >= 3;
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    /* The sentence: "a > b" when the gap is larger than either side's std
     * over seeds, "a ~ b" when it is not (the order is then noise). */
    char what[96], sent[2048];
    if (kind >= 3)
        snprintf(what, sizeof what, "%s", kind == 3 ? "final training loss (lower first)"
                                                    : "training seconds (lower first)");
    else
        snprintf(what, sizeof what, "%s %s", tt_part_name(p), by);
    size_t b = (size_t)snprintf(sent, sizeof sent, "by %s: ", what);
    int within = 0;
    for (int i = 0; i < n; i++) {
        const char *rel = "";
        if (i > 0) {
            int close = fabs(r[i].mean - r[i - 1].mean) <= fmax(r[i].sd, r[i - 1].sd);
            within |= close && r[i].mean != r[i - 1].mean;
            rel = r[i].mean == r[i - 1].mean ? " = " : close ? " ~ " : lower_better ? " < " : " > ";
        }
        if (b < sizeof sent)
            b += (size_t)snprintf(sent + b, sizeof sent - b, "%s%s %.*f", rel, r[i].me->def.name,
                                  kind == 4 ? 1 : 4, r[i].mean);
    }
    /* rows, then the sentence as their footer */
    tt_rec *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    for (int i = 0; i < n; i++) {
        tt_rec_init(&rows[i]);
        tt_rec_int(&rows[i], "rank", i + 1);
        tt_rec_str(&rows[i], "model", r[i].me->def.name);
        tt_rec_num(&rows[i], by, r[i].mean, kind == 4 ? 1 : 4);
        if (r[i].n > 1)
            tt_rec_num(&rows[i], "std", r[i].sd, 4);
        else
            tt_rec_null(&rows[i], "std");
        tt_rec_int(&rows[i], "seeds", r[i].n);
    }
    if (within && b < sizeof sent)
        b += (size_t)snprintf(sent + b, sizeof sent - b, " (~: the gap is within the std over seeds)");
    tt_dsent *d;
    if (kind == 3 && n > 0 && tt_need_data(s, r[0].me, &d, 0) == 0 && d->d.n_items > 1) {
        /* the loss of a uniform guess over the N items: a model above it
         * ranks worse than chance on its own training data */
        double logn = log((double)d->d.n_items);
        int above = 0;
        for (int i = 0; i < n; i++)
            above += r[i].mean > logn;
        if (b < sizeof sent)
            b += (size_t)snprintf(sent + b, sizeof sent - b, "; log N = %.4f (a uniform guess over %lld items): %s",
                                  logn, (long long)d->d.n_items,
                                  above == 0 ? "every model ends below it" : above == n ? "every model ends above it"
                                                                                       : "above it:");
        for (int i = 0; i < n && above > 0 && above < n && b < sizeof sent; i++)
            if (r[i].mean > logn)
                b += (size_t)snprintf(sent + b, sizeof sent - b, " %s", r[i].me->def.name);
    }
    if (s->out.mode == TT_OUT_TABLE)
        tt_wrap_words(sent, 79);
    tt_out_rows(&s->out, "rank", rows, n, s->out.mode == TT_OUT_JSON ? NULL : sent);
    for (int i = 0; i < n; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    return 0;
}

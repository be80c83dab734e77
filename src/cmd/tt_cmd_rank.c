/* tt_cmd_rank: rank MODEL MODEL ... [metric=recall@20] [split=test]
 * [by=item_pop|user_activity]: the models ordered by one metric, and the
 * sentence a lesson's narration needs, computed from the numbers (who leads,
 * by how much, and whether the lead stands clear of the spread over seeds),
 * so that no script states a ranking its run did not measure. */
#include "tt_cmd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_score.h"

#define RANK_MAX 16

typedef struct ranked {
    const char *model;
    double mean, sd;
    int n;                   /* runs behind the mean (1: one evaluation) */
    int det;                 /* a deterministic fit (no seed changes it) */
} ranked;

double tt_metric_value(const tt_metrics *x, int which, int k)
{
    if (which == 3)
        return x->mrr;
    for (int i = 0; i < x->n_k; i++)
        if (x->k[i] == k)
            return which == 0 ? x->recall[i] : which == 1 ? x->ndcg[i] : x->hitrate[i];
    return NAN;
}

int tt_metric_arg(tt_session *s, const char *v, int *which, int *k)
{
    static const char *const names[] = {"recall", "ndcg", "hitrate", "mrr"};
    const char *at = strchr(v, '@');
    size_t l = at ? (size_t)(at - v) : strlen(v);
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == l && !strncmp(v, names[i], l)) {
            char *end = NULL;
            *which = i;
            *k = at ? (int)strtol(at + 1, &end, 10) : 20;
            if ((i == 3) == (at != NULL) || (at && (*end || *k < 1)))
                break;
            return 0;
        }
    return tt_fail(s, 0, "metric=%s: expected recall@K, ndcg@K, hitrate@K or mrr", v);
}

/* Popularity, EASE and ItemKNN: fitted without any randomness. */
static int deterministic(const tt_modelent *me)
{
    const tt_mkind *K = tt_mkind_get(me->def.kind);
    return K->fitted && !K->iterative;
}

/* Highest mean first; ties keep the order the models were given in. */
static void sort_ranked(ranked *r, int n)
{
    for (int i = 1; i < n; i++) {
        ranked t = r[i];
        int j = i;
        for (; j > 0 && r[j - 1].mean < t.mean; j--)
            r[j] = r[j - 1];
        r[j] = t;
    }
}

/* The sentence: leader, runner-up and the gap against the spread. */
static void verdict(tt_session *s, const char *where, const char *mname, ranked *r, int n,
                    const char *slice)
{
    char human[1024];
    tt_rec rec;
    int j = snprintf(human, sizeof human, "%s%s%s %s: %s leads with %.4f", where,
                     slice ? ", " : "", slice ? slice : "", mname, r[0].model, r[0].mean);
    tt_rec_init(&rec);
    if (slice)
        tt_rec_str(&rec, "slice", slice);
    tt_rec_str(&rec, "leader", r[0].model);
    tt_rec_num(&rec, mname, r[0].mean, 4);
    if (n > 1) {
        double gap = r[0].mean - r[1].mean, spread = fmax(r[0].sd, r[1].sd);
        int tie = gap == 0;
        tt_rec_str(&rec, "second", r[1].model);
        tt_rec_num(&rec, "gap", gap, 4);
        if (tie)
            j += snprintf(human + j, sizeof human - (size_t)j, ", tied with %s", r[1].model);
        else
            j += snprintf(human + j, sizeof human - (size_t)j, ", %.4f ahead of %s (%.4f)", gap,
                          r[1].model, r[1].mean);
        if (r[0].det && r[1].det && !tie) {
            tt_rec_str(&rec, "against_spread", "exact");
            j += snprintf(human + j, sizeof human - (size_t)j,
                          "; both are deterministic fits, so no seed would change the gap");
        } else if (r[0].n > 1 || r[1].n > 1) {
            const char *clear = gap > 2 * spread ? "clear of" : gap > spread ? "beyond, but within twice," : "within";
            tt_rec_str(&rec, "against_spread", gap > 2 * spread ? "clear" : gap > spread ? "beyond" : "within");
            j += snprintf(human + j, sizeof human - (size_t)j,
                          "; the gap is %s the spread over seeds (std up to %.4f)", clear, spread);
        } else if (!tie) {
            tt_rec_str(&rec, "against_spread", "unknown");
            j += snprintf(human + j, sizeof human - (size_t)j,
                          "; one run each, so the spread over seeds is unknown");
        }
        if (n > 2)
            j += snprintf(human + j, sizeof human - (size_t)j, "; last is %s (%.4f)",
                          r[n - 1].model, r[n - 1].mean);
    }
    tt_out_info(&s->out, "verdict", &rec, human);
    tt_rec_free(&rec);
}

static void rank_rows(tt_session *s, const char *mname, const ranked *r, int n, const char *slice,
                      const char *split)
{
    tt_rec rows[RANK_MAX];
    char sd[48];
    snprintf(sd, sizeof sd, "%s_std", mname);
    for (int i = 0; i < n; i++) {
        tt_rec_init(&rows[i]);
        tt_rec_int(&rows[i], "rank", i + 1);
        tt_rec_str(&rows[i], "model", r[i].model);
        tt_rec_str(&rows[i], "split", split);
        if (slice)
            tt_rec_str(&rows[i], "slice", slice);
        tt_rec_num(&rows[i], mname, r[i].mean, 4);
        if (r[i].n > 1)
            tt_rec_num(&rows[i], sd, r[i].sd, 4);
        else
            tt_rec_null(&rows[i], sd);
        tt_rec_int(&rows[i], "runs", r[i].n);
        tt_rec_num(&rows[i], "behind", r[0].mean - r[i].mean, 4);
        tt_rec_prio(&rows[i], "rank", TT_COL_KEY);
        tt_rec_prio(&rows[i], "model", TT_COL_KEY);
        tt_rec_prio(&rows[i], mname, TT_COL_KEY);
        tt_rec_prio(&rows[i], "slice", TT_COL_WANT);
        tt_rec_prio(&rows[i], "split", TT_COL_OPTIONAL);
    }
    tt_out_rows(&s->out, "rank", rows, n, NULL);
    for (int i = 0; i < n; i++)
        tt_rec_free(&rows[i]);
}

int tt_cmd_rank(tt_session *s, tt_args *a)
{
    int which = 0, k = 20;
    const char *mname = tt_arg(a, "metric")->set ? tt_arg(a, "metric")->s : "recall@20";
    if (tt_metric_arg(s, mname, &which, &k))
        return -1;
    if (a->npos > RANK_MAX)
        return tt_fail(s, 0, "rank takes at most %d models", RANK_MAX);
    enum tt_part p = tt_arg(a, "split")->i == 0 ? TT_VALID : TT_TEST;
    int ks[1] = {k > 0 ? k : 20};
    tt_modelent *me[RANK_MAX];
    for (int i = 0; i < a->npos; i++) {
        if (!(me[i] = tt_need_model(s, a->pos[i])))
            return -1;
        for (int j = 0; j < i; j++)
            if (me[j] == me[i])
                return tt_fail(s, 0, "model '%s' is listed twice", a->pos[i]->s);
    }
    if (!tt_arg(a, "by")->set) {
        ranked r[RANK_MAX];
        for (int i = 0; i < a->npos; i++) {
            double x[TT_MAX_RUNS];
            int n = 0;
            /* test: the runs' test metrics (mean over seeds), as compare */
            for (int q = 0; p == TT_TEST && q < me[i]->n_runs; q++) {
                double v = tt_metric_value(&me[i]->runs[q].test, which, k);
                if (isnan(v))
                    break;
                x[n++] = v;
            }
            if (n < me[i]->n_runs || n == 0) {
                tt_metrics m;
                if (tt_eval_model(s, me[i], p, ks, 1, &m))
                    return -1;
                x[0] = tt_metric_value(&m, which, k);
                n = 1;
            }
            double mean = 0, v = 0;
            for (int q = 0; q < n; q++)
                mean += x[q] / n;
            for (int q = 0; q < n; q++)
                v += (x[q] - mean) * (x[q] - mean);
            r[i] = (ranked){me[i]->def.name, mean, n > 1 ? sqrt(v / (n - 1)) : 0, n,
                            deterministic(me[i])};
        }
        sort_ranked(r, a->npos);
        rank_rows(s, mname, r, a->npos, NULL, tt_part_name(p));
        verdict(s, tt_part_name(p), mname, r, a->npos, NULL);
        return 0;
    }
    /* by slice: one evaluation per model, then one ranking per slice */
    enum tt_slice_by by = (enum tt_slice_by)tt_arg(a, "by")->i;
    ranked r[TT_SLICES][RANK_MAX];
    for (int i = 0; i < a->npos; i++) {
        tt_dsent *d;
        if (tt_model_ready(s, me[i], &d))
            return -1;
        const tt_examples *ex = &d->sp.part[p];
        int64_t *ranks = tt_alloc((size_t)TT_MAX(ex->n, 1), sizeof *ranks, "ranks", &s->err);
        uint8_t *slice = tt_alloc((size_t)TT_MAX(ex->n, 1), 1, "slices", &s->err);
        int rc = !ranks || !slice ||
                 tt_score_ranks(me[i]->m, &d->d, &d->sp, p, ranks, &s->err) ||
                 tt_slice_assign(&d->sp, p, by, slice, &s->err);
        for (int q = 0; q < TT_SLICES && !rc; q++) {
            tt_metrics m;
            rc = tt_slice_metrics(ranks, &d->sp, p, slice, q, ks, 1, &m, &s->err);
            r[q][i] = (ranked){me[i]->def.name, tt_metric_value(&m, which, k), 0, 1,
                               deterministic(me[i])};
        }
        free(ranks);
        free(slice);
        if (rc)
            return -1;
    }
    for (int q = 0; q < TT_SLICES; q++) {
        sort_ranked(r[q], a->npos);
        rank_rows(s, mname, r[q], a->npos, tt_slice_name(by, q), tt_part_name(p));
        verdict(s, tt_part_name(p), mname, r[q], a->npos, tt_slice_name(by, q));
    }
    return 0;
}

/* tt_cmd_history: `history MODEL`, the per-epoch record of a model's training
 * runs, and the same table left in the scrollback when a dashboard closes. */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tt_history_absent(tt_session *s, const tt_modelent *me)
{
    if (me->no_history)
        return tt_fail(s, 0, "model '%s' has no training history: '%s' was saved before model files kept it (train it again and save to keep one)",
                       me->def.name, me->origin);
    if (tt_mkind_get(me->def.kind)->auto_fit)
        return tt_fail(s, 0, "model '%s' has no training history: a %s model is fitted, not trained",
                       me->def.name, tt_mkind_get(me->def.kind)->name);
    if (!me->m)
        return tt_fail(s, 0, "model '%s' has no training history: it has not been trained yet (train %s)",
                       me->def.name, me->def.name);
    return tt_fail(s, 0, "model '%s' has no training history", me->def.name);
}

/* Block characters need a UTF-8 terminal; the locale's environment says. */
static int utf8_env(void)
{
    const char *v = getenv("LC_ALL");
    if (!v || !*v)
        v = getenv("LC_CTYPE");
    if (!v || !*v)
        v = getenv("LANG");
    return v && (strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") || strstr(v, "utf-8"));
}

/* A sparkline of x[0..n) (values < 0 are gaps) into buf, at most w cells. */
static void sparkline(const double *x, int n, int w, char *buf, size_t size)
{
    static const char *bars[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    double lo = 0, hi = 0;
    int any = 0;
    for (int i = 0; i < n; i++)
        if (x[i] >= 0) {
            lo = any ? (x[i] < lo ? x[i] : lo) : x[i];
            hi = any ? (x[i] > hi ? x[i] : hi) : x[i];
            any = 1;
        }
    size_t j = 0;
    buf[0] = 0;
    int cells = n < w ? n : w;
    for (int c = 0; c < cells && j + 4 < size; c++) {
        /* cell c averages the epochs that fall into it */
        int a = (int)((int64_t)c * n / cells), b = (int)((int64_t)(c + 1) * n / cells);
        double sum = 0;
        int m = 0;
        for (int i = a; i < b; i++)
            if (x[i] >= 0) {
                sum += x[i];
                m++;
            }
        const char *g = " ";
        if (m) {
            int lv = hi > lo ? (int)((sum / m - lo) / (hi - lo) * 7.0 + 0.5) : 3;
            g = bars[lv < 0 ? 0 : lv > 7 ? 7 : lv];
        }
        size_t gl = strlen(g);
        memcpy(buf + j, g, gl);
        j += gl;
        buf[j] = 0;
    }
}

int tt_history_print(tt_session *s, const char *model, const tt_run *runs, int n_runs,
                     int show_seed, int fitted)
{
    int total = 0;
    for (int q = 0; q < n_runs; q++)
        total += runs[q].h.n;
    if (total == 0)
        return tt_fail(s, 0, "model '%s' has no training history", model);
    tt_rec *rows = calloc((size_t)total, sizeof *rows);
    if (!rows)
        return tt_fail(s, 0, "out of memory");
    int nr = 0, seeds = show_seed;
    for (int q = 0; q < n_runs; q++) {
        const tt_run *ru = &runs[q];
        const tt_history *h = &ru->h;
        for (int e = 0; e < h->n; e++) {
            tt_rec *r = &rows[nr++];
            tt_rec_init(r);
            tt_rec_str(r, "model", model);
            if (seeds)
                tt_rec_int(r, "seed", (int64_t)ru->seed);
            tt_rec_int(r, "epoch", e + 1);
            if (!fitted)   /* a fitted model minimises no loss by steps */
                tt_rec_num(r, "loss", h->loss[e], 4);
            int k = tt_history_k(&h->valid[e], TT_SELECT_K);
            if (k >= 0) {
                tt_rec_num(r, "valid_recall@20", h->valid[e].recall[k], 4);
                tt_rec_num(r, "valid_ndcg@20", h->valid[e].ndcg[k], 4);
            } else {
                tt_rec_null(r, "valid_recall@20");
                tt_rec_null(r, "valid_ndcg@20");
            }
            tt_rec_num(r, "seconds", h->seconds[e], 1);
            if (!fitted)
                tt_rec_str(r, "best", e + 1 == ru->best_epoch ? "*" : "");
            tt_rec_prio(r, "epoch", TT_COL_KEY);
            tt_rec_prio(r, "loss", TT_COL_KEY);
            tt_rec_prio(r, "valid_recall@20", TT_COL_KEY);
            tt_rec_prio(r, "seed", TT_COL_WANT);
            tt_rec_prio(r, "best", TT_COL_WANT);
            tt_rec_prio(r, "model", TT_COL_OPTIONAL);   /* the command named it */
        }
    }
    /* Under the table: a sparkline of loss and recall per run, when it fits. */
    char foot[2048] = "";
    size_t j = 0;
    if (s->out.mode == TT_OUT_TABLE && utf8_env()) {
        for (int q = 0; q < n_runs && j + 400 < sizeof foot; q++) {
            const tt_history *h = &runs[q].h;
            char sl[200], sr[200];
            if (h->n < 2 || fitted)
                continue;
            sparkline(h->loss, h->n, 30, sl, sizeof sl);
            sparkline(h->r20, h->n, 30, sr, sizeof sr);
            char who[64] = "";
            if (seeds)
                snprintf(who, sizeof who, "seed %llu: ", (unsigned long long)runs[q].seed);
            j += (size_t)snprintf(foot + j, sizeof foot - j, "%s%sloss %s  recall %s", j ? "\n" : "",
                                  who, sl, sr);
        }
    }
    if (s->out.mode == TT_OUT_TABLE && fitted)
        snprintf(foot + j, sizeof foot - j, "%sa fitted model: no training loss; seconds: fitting time, evaluation excluded",
                 j ? "\n" : "");
    else if (s->out.mode == TT_OUT_TABLE)
        snprintf(foot + j, sizeof foot - j, "%s* best epoch (kept); seconds: training time, evaluation and pauses excluded",
                 j ? "\n" : "");
    tt_out_rows(&s->out, "history", rows, nr, foot[0] ? foot : NULL);
    for (int i = 0; i < nr; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    return 0;
}

int tt_cmd_history(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    if (!me)
        return -1;
    if (!tt_entry_history(me))
        return tt_history_absent(s, me);
    return tt_history_print(s, me->def.name, me->runs, me->n_runs, me->n_runs > 1,
                            tt_mkind_get(me->def.kind)->fitted);
}

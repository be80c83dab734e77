/* tt_cmd_interests: `interests MODEL [user=ID] [top=5] [split=test]`, the
 * read-out of a multi-interest user tower: over a part, how many users have
 * each interest active and which interest wins their held-out items; for one
 * user, each active interest's top items. */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_inspect.h"

static void summary_rows(tt_session *s, const tt_modelent *me, enum tt_part part,
                         const tt_interest_report *r)
{
    tt_rec rows[TT_MI_MAXK];
    char foot[512];
    for (int k = 0; k < r->K; k++) {
        tt_rec_init(&rows[k]);
        tt_rec_str(&rows[k], "model", me->def.name);
        tt_rec_int(&rows[k], "interest", k + 1);
        tt_rec_int(&rows[k], "active", r->active[k]);
        tt_rec_num(&rows[k], "active_share", r->n ? (double)r->active[k] / r->n : 0, 3);
        tt_rec_int(&rows[k], "wins", r->wins[k]);
        tt_rec_num(&rows[k], "win_share", r->n ? (double)r->wins[k] / r->n : 0, 3);
    }
    snprintf(foot, sizeof foot,
             "%s, %s: %lld users; active: users with the interest active (%s); wins: users "
             "whose held-out item the interest scores best",
             me->def.name, tt_part_name(part), (long long)r->n,
             me->u.mi_via == TT_MI_ROUTING
                 ? "MIND: K'u = max(1, min(K, floor(log2 |history|)))"
                 : "attention: all K, one for an empty history");
    tt_out_rows(&s->out, "interests", rows, r->K, s->out.mode == TT_OUT_JSON ? NULL : foot);
    for (int k = 0; k < r->K; k++)
        tt_rec_free(&rows[k]);
}

static void user_rows(tt_session *s, const tt_dataset *ds, const tt_examples *ex, int64_t e,
                      const char *key, enum tt_part part, int top, const int32_t *items,
                      const float *scores, const tt_interest_report *r)
{
    int n = 0;
    for (int k = 0; k < r->e_active; k++)
        n += r->e_got[k];
    tt_rec *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows)
        return;
    int i = 0;
    for (int k = 0; k < r->e_active; k++)
        for (int j = 0; j < r->e_got[k]; j++, i++) {
            int32_t it = items[(size_t)k * top + j];
            tt_rec_init(&rows[i]);
            tt_rec_str(&rows[i], "user", key);
            tt_rec_int(&rows[i], "interest", k + 1);
            tt_rec_int(&rows[i], "rank", j + 1);
            tt_rec_str(&rows[i], "item", ds->item_key[it]);
            if (ds->item_title && ds->item_title[it])
                tt_rec_str(&rows[i], "title", ds->item_title[it]);
            else
                tt_rec_null(&rows[i], "title");
            tt_rec_num(&rows[i], "score", scores[(size_t)k * top + j], 4);
        }
    char foot[768];
    int32_t t = ex->item[e];
    snprintf(foot, sizeof foot,
             "user %s: %d of %d interests active (history of %d items); interest %d scores "
             "the held-out %s item %s%s%s%s best; the user's earlier items left out",
             key, r->e_active, r->K, ex->hist_n ? (int)ex->hist_n[e] : -1, r->e_win + 1,
             tt_part_name(part), ds->item_key[t], ds->item_title ? " (" : "",
             ds->item_title && ds->item_title[t] ? ds->item_title[t] : "",
             ds->item_title ? ")" : "");
    tt_out_rows(&s->out, "interests", rows, n, s->out.mode == TT_OUT_JSON ? NULL : foot);
    for (int j = 0; j < n; j++)
        tt_rec_free(&rows[j]);
    free(rows);
}

int tt_cmd_interests(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    if (!me || tt_model_ready(s, me, &d))
        return -1;
    if (me->def.kind != TT_MODEL_TWOTOWER || !me->u.interests)
        return tt_fail(s, 0, "model '%s' has no interests stage: its user tower gives one vector "
                       "(tower NAME = embed dim=16 | interests k=4 via=attention out=32 | l2norm)",
                       me->def.name);
    const tt_dataset *ds = &d->d;
    enum tt_part part = tt_arg(a, "split")->i ? TT_TEST : TT_VALID;
    const tt_examples *ex = &d->sp.part[part];
    int top = (int)TT_MIN(tt_arg(a, "top")->i, (int64_t)ds->n_items);
    const tt_optval *uv = tt_arg(a, "user");
    int64_t e = -1;
    if (uv->set) {
        int32_t u = -1;
        for (int32_t j = 0; j < ds->n_users && u < 0; j++)
            if (!strcmp(ds->user_key[j], uv->s))
                u = j;
        if (u < 0)
            return tt_fail(s, 0, "no user '%s' in dataset '%s' (%d users, ids from '%s' to '%s')",
                           uv->s, d->name, ds->n_users, ds->user_key[0],
                           ds->user_key[ds->n_users - 1]);
        for (int64_t x = 0; x < ex->n && e < 0; x++)
            if (ex->user[x] == u)
                e = x;
        if (e < 0)
            return tt_fail(s, 0, "user '%s' has no %s example in the split (too few interactions)",
                           uv->s, tt_part_name(part));
    }
    tt_interest_report r;
    size_t cap = (size_t)TT_MI_MAXK * (size_t)(top > 0 ? top : 1);
    int32_t *items = tt_alloc(cap, sizeof *items, "top items", &s->err);
    float *scores = items ? tt_alloc(cap, sizeof *scores, "top items", &s->err) : NULL;
    int rc = -1;
    if (scores && tt_inspect_interests(me->m, ds, &d->sp, part, e, top, items, scores, &r,
                                       &s->err) >= 0) {
        if (e < 0)
            summary_rows(s, me, part, &r);
        else
            user_rows(s, ds, ex, e, uv->s, part, top, items, scores, &r);
        rc = 0;
    }
    free(items);
    free(scores);
    return rc;
}

/* tt_mkind: the table of model kinds and the helpers that read it (options,
 * defaults, ranges, formatting, the history a baseline scores from). */
#include "tt_mkind.h"
#include "tt_model_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* In the order of enum tt_model_kind (model files store each row's code, not
 * its place here). */
static const tt_mkind *const kinds[TT_MODEL_NKINDS] = {
    &tt_mkind_pop, &tt_mkind_twotower, &tt_mkind_ease, &tt_mkind_itemknn, &tt_mkind_ials,
};

const tt_mkind *tt_mkind_get(int k)
{
    return k >= 0 && k < TT_MODEL_NKINDS ? kinds[k] : NULL;
}

int tt_mkind_count(void) { return TT_MODEL_NKINDS; }

int tt_mkind_find(const char *name)
{
    for (int k = 0; k < TT_MODEL_NKINDS; k++)
        if (!strcmp(kinds[k]->name, name))
            return k;
    return -1;
}

int tt_mkind_by_code(int code)
{
    for (int k = 0; k < TT_MODEL_NKINDS; k++)
        if (kinds[k]->code == code)
            return k;
    return -1;
}

int tt_mkind_names(const char **names, int max)
{
    int n = 0;
    for (int k = 0; k < TT_MODEL_NKINDS && n < max; k++)
        names[n++] = kinds[k]->name;
    return n;
}

int tt_mkind_opt(int k, const char *name)
{
    const tt_mkind *K = tt_mkind_get(k);
    for (int i = 0; K && i < TT_KOPT_MAX && K->opts[i].name; i++)
        if (!strcmp(K->opts[i].name, name))
            return i;
    return -1;
}

void tt_mkind_defaults(tt_model_def *md)
{
    const tt_mkind *K = tt_mkind_get(md->kind);
    for (int i = 0; i < TT_KOPT_MAX; i++)
        md->kopt[i] = K && K->opts[i].name ? K->opts[i].def : 0.0;
}

int tt_mkind_check_opt(const tt_model_def *md, int i, double v, tt_err *err)
{
    const tt_mkind *K = tt_mkind_get(md->kind);
    if (!K || i < 0 || i >= TT_KOPT_MAX || !K->opts[i].name)
        return tt_err_set(err, "no such option");
    const tt_kopt *o = &K->opts[i];
    if (!isfinite(v))
        return tt_err_set(err, "%s=%g must be a finite number", o->name, v);
    if (o->integer && v != floor(v))
        return tt_err_set(err, "%s=%g must be a whole number", o->name, v);
    if (o->min_open ? !(v > o->min) : !(v >= o->min))
        return tt_err_set(err, "%s=%g must be %s %g", o->name, v, o->min_open ? ">" : ">=", o->min);
    if (v > o->max)
        return tt_err_set(err, "%s=%g must be <= %g", o->name, v, o->max);
    return 0;
}

double tt_mkind_val(const tt_model_def *md, const char *name)
{
    int i = tt_mkind_opt(md->kind, name);
    return i < 0 ? NAN : md->kopt[i];
}

const char *tt_mkind_format(const tt_model_def *md, char *buf, int n)
{
    const tt_mkind *K = tt_mkind_get(md->kind);
    int j = snprintf(buf, (size_t)n, "%s", K ? K->name : "?");
    for (int i = 0; K && i < TT_KOPT_MAX && K->opts[i].name && j < n; i++)
        j += snprintf(buf + j, (size_t)(n - j), " %s=%g", K->opts[i].name, md->kopt[i]);
    return buf;
}

void tt_hist_init(tt_hist *h, const tt_split *sp, enum tt_part p, int32_t u)
{
    int last = p == TT_TRAIN ? 0 : (int)p - 1;
    h->n = 0;
    for (int q = 0; q <= last && q < 3; q++) {
        if (!sp->off[q] || !sp->items[q])
            continue;
        h->a[h->n] = sp->items[q] + sp->off[q][u];
        h->e[h->n++] = sp->items[q] + sp->off[q][u + 1];
    }
}

int64_t tt_hist_count(const tt_hist *h)
{
    tt_hist c = *h;
    int64_t n = 0;
    while (tt_hist_next(&c) >= 0)
        n++;
    return n;
}

/* The two-tower: built from its towers by tt_model_create, trained by
 * gradient steps (tt_train), scored by query and item vectors. */
const tt_mkind tt_mkind_twotower = {
    .name = "twotower",
    .code = 1,
    .summary = "two towers (user and item) trained by gradient steps",
    .fitted = 0,
    .cold = 1,
};

/* Cold start for the two-tower: the users (items) a cold split holds out
 * have no training interactions. They get the out-of-vocabulary id's rows
 * (row 0, the id of an unknown user or item) in the id table and in DAT's
 * augmented vectors, so the tower scores them as it would any unknown id:
 * from their other features. Training never touches those rows (held-out
 * items are outside the training corpus, held-out users in no batch, and
 * row 0 is no one's id), so they stay equal to row 0 bit for bit. */
static void copy_oov(float *T, int64_t k, int32_t id)
{
    if (id > 0)
        memcpy(T + (int64_t)id * k, T, (size_t)k * sizeof(float));
}

void tt_model_cold_ids(tt_model *m, const tt_dataset *d, const tt_split *sp)
{
    if (m->K->fitted || !tt_split_is_cold(sp))
        return;
    for (int s = 0; s < 2; s++) {
        tower *t = &m->tw[s];
        for (int f = 0; f < t->nf; f++) {
            tw_field *fl = &t->fld[f];
            int user = !strcmp(t->fname[f], "user_id"), item = !strcmp(t->fname[f], "item_id");
            if ((!user && !item) || !fl->T || fl->bag)
                continue;
            int32_t n = user ? m->n_users : m->n_items;
            for (int32_t k = 0; k < n; k++) {
                int unseen = user ? sp->off[TT_TRAIN][k + 1] == sp->off[TT_TRAIN][k]
                                  : sp->item_freq[k] == 0;
                if (!unseen)
                    continue;
                int32_t id = d->feat[fl->feat].ids[k];   /* index + 1 */
                copy_oov(fl->T, t->k, id);
                if (t->aug && t->aug_fi == f)
                    copy_oov(t->Ta, t->Da, id);
            }
        }
    }
}

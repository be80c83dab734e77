/* tt_cmd_file: save, open and export: the files ttlab writes and reads. */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_export.h"
#include "tt_modelfile.h"

int tt_cmd_save(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    if (!me || tt_model_ready(s, me, &d))
        return -1;
    const char *path = a->pos[1]->s;
    /* The file and its messages name the dataset as the session does. */
    tt_dataset view = d->d;
    view.name = d->name;
    if (!me->data.name[0])
        tt_dataref_fill(&me->data, d);
    if (tt_modelfile_save(path, me, me->m, &view, &s->err))
        return -1;
    tt_rec r;
    char human[700];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    tt_rec_str(&r, "file", path);
    tt_rec_int(&r, "params", tt_model_param_count(me->m));
    snprintf(human, sizeof human, "saved %s to %s (%lld parameters)", me->def.name, path,
             (long long)tt_model_param_count(me->m));
    tt_out_info(&s->out, "save", &r, human);
    tt_rec_free(&r);
    return 0;
}

static int add_tower_if_free(tt_session *s, const tt_tower_def *t)
{
    if (tt_session_tower(s, t->name) || !t->name[0])
        return 0;
    tt_tower_def *nt = realloc(s->towers, (size_t)(s->n_towers + 1) * sizeof *nt);
    if (!nt)
        return -1;
    s->towers = nt;
    nt[s->n_towers++] = *t;
    return 0;
}

int tt_cmd_open(tt_session *s, tt_args *a)
{
    const char *path = a->pos[0]->s, *as = NULL;
    if (a->npos == 2 || (a->npos == 3 && strcmp(a->pos[1]->s, "as")))
        return tt_fail(s, 0, "usage: %s", a->cmd->usage);
    if (a->npos == 3) {
        as = a->pos[2]->s;
        if (tt_check_name(s, a->pos[2], "model"))
            return -1;
        s->err_col = 0;
    }
    tt_dsent *d = tt_session_current(s);   /* its messages name it (view) */
    if (!d) {   /* name the dataset the file was trained on */
        tt_dataref dr;
        if (tt_modelfile_dataset(path, &dr, &s->err))
            return -1;
        if (dr.source[0])
            return tt_fail(s, 0, "open needs the dataset '%s' the model was trained on (%s; split %s): load it first",
                           dr.name, dr.source, dr.split[0] ? dr.split : "none");
        return tt_fail(s, 0, "open needs the dataset '%s' the model was trained on: load it first",
                       dr.name);
    }
    tt_modelent e;
    /* Messages name the dataset as the session does ('synthetic-2', not the
     * generator's 'synthetic'). */
    tt_dataset view = d->d;
    view.name = d->name;
    if (tt_modelfile_open(path, &view, &e, &s->err))
        return -1;
    if (!e.data.name[0])   /* a file from before models recorded their data */
        tt_dataref_fill(&e.data, d);
    else
        snprintf(e.data.name, sizeof e.data.name, "%s", d->name);
    if (as)
        snprintf(e.def.name, sizeof e.def.name, "%s", as);
    tt_modelent *old = tt_session_model(s, e.def.name);
    if (old && old->m && !tt_mkind_get(old->def.kind)->auto_fit) {
        tt_entry_free(&e);
        return tt_fail(s, 0, "a trained model '%s' is already in the session: open %s as NEWNAME",
                       e.def.name, path);
    }
    if (old)
        tt_session_drop_model(s, (int)(old - s->models));
    snprintf(e.dataset, sizeof e.dataset, "%s", d->name);
    e.trained = 2;
    e.split_gen = d->split_gen;
    snprintf(e.origin, sizeof e.origin, "%s", path);
    tt_modelent *nm = realloc(s->models, (size_t)(s->n_models + 1) * sizeof *nm);
    if (!nm) {
        tt_entry_free(&e);
        return tt_fail(s, 0, "out of memory");
    }
    s->models = nm;
    nm[s->n_models++] = e;
    if (e.def.kind == TT_MODEL_TWOTOWER) {
        add_tower_if_free(s, &e.u);
        add_tower_if_free(s, &e.i);
    }
    tt_rec r;
    char human[900], line[1024];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", e.def.name);
    tt_rec_str(&r, "file", path);
    tt_rec_str(&r, "definition", tt_model_format(&e.def, line, sizeof line));
    tt_rec_int(&r, "params", tt_model_param_count(e.m));
    snprintf(human, sizeof human, "opened %s from %s (%lld parameters, dataset %s)", e.def.name, path,
             (long long)tt_model_param_count(e.m), d->name);
    tt_out_info(&s->out, "open", &r, human);
    tt_rec_free(&r);
    return 0;
}

static int export_metrics(tt_session *s, tt_modelent *me, const char *path)
{
    const char *ext = tt_export_ext(path);
    int json = !strcmp(ext, "json");
    if (!json && strcmp(ext, "csv"))
        return tt_fail(s, 0, "export metrics writes .csv or .json, not '%s'", path);
    tt_metrics test;
    if (tt_eval_model(s, me, TT_TEST, s->ks, s->n_k, &test))
        return -1;
    tt_wfile at;
    if (tt_file_begin(&at, path, &s->err))
        return -1;
    const tt_history *h = tt_entry_history(me);
    int ne = h ? h->n : 0;
    int best = me->n_runs > 0 ? me->runs[me->n_runs - 1].best_epoch : 0;
    tt_rec *rows = calloc((size_t)ne + 1, sizeof *rows);
    if (!rows) {
        tt_file_abort(&at);
        return tt_fail(s, 0, "out of memory");
    }
    for (int e = 0; e < ne; e++) {
        tt_rec_init(&rows[e]);
        tt_rec_str(&rows[e], "model", me->def.name);
        tt_rec_str(&rows[e], "part", "valid");
        tt_rec_int(&rows[e], "epoch", e + 1);
        tt_rec_num(&rows[e], "loss", h->loss[e], 6);
        if (h->valid[e].n_k)
            tt_metrics_rec(&rows[e], &h->valid[e]);
    }
    tt_rec_init(&rows[ne]);
    tt_rec_str(&rows[ne], "model", me->def.name);
    tt_rec_str(&rows[ne], "part", "test");
    tt_rec_int(&rows[ne], "epoch", best);
    tt_rec_null(&rows[ne], "loss");
    tt_metrics_rec(&rows[ne], &test);
    if (json) {
        fprintf(at.f, "{\"model\":");
        tt_json_str(at.f, me->def.name);
        fprintf(at.f, ",\"protocol\":");
        tt_json_str(at.f, tt_model_protocol(s, me));
        fprintf(at.f, ",\"rows\":[\n");
        for (int i = 0; i <= ne; i++) {
            if (i)
                fprintf(at.f, ",\n");
            tt_json_rec(at.f, NULL, &rows[i]);
            fseek(at.f, -1, SEEK_CUR);          /* drop tt_json_rec's newline */
        }
        fprintf(at.f, "\n]}\n");
    } else {
        tt_out o = {TT_OUT_CSV, at.f, 0, 0};
        /* Epoch rows may lack metrics (valid=off): write the test row's
         * columns as the header by putting it first only when needed. */
        if (ne > 0 && rows[0].n == rows[ne].n)
            tt_out_rows(&o, NULL, rows, ne + 1, NULL);
        else
            tt_out_rows(&o, NULL, rows + ne, 1, NULL);
    }
    for (int i = 0; i <= ne; i++)
        tt_rec_free(&rows[i]);
    free(rows);
    if (tt_file_commit(&at, &s->err))
        return -1;
    tt_rec r;
    char human[700];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    tt_rec_str(&r, "what", "metrics");
    tt_rec_str(&r, "file", path);
    tt_rec_int(&r, "rows", ne + 1);
    snprintf(human, sizeof human, "exported the metrics of %s to %s (%d epoch row%s and the test row)",
             me->def.name, path, ne, ne == 1 ? "" : "s");
    tt_out_info(&s->out, "export", &r, human);
    tt_rec_free(&r);
    return 0;
}

int tt_cmd_export(tt_session *s, tt_args *a)
{
    tt_modelent *me = tt_need_model(s, a->pos[0]);
    tt_dsent *d;
    const char *what = a->pos[1]->s, *path = a->pos[2]->s;
    static const char *whats[] = {"items", "users", "metrics", "index"};
    if (!me)
        return -1;
    if (strcmp(what, "items") && strcmp(what, "users") && strcmp(what, "metrics") &&
        strcmp(what, "index")) {
        const char *sug = tt_suggest(what, whats, 4);
        if (sug)
            return tt_fail(s, 0, "cannot export '%s': did you mean '%s'?", what, sug);
        return tt_fail(s, 0, "cannot export '%s' (expected items, users, metrics or index)", what);
    }
    if (tt_arg(a, "split")->set && strcmp(what, "users"))
        return tt_fail(s, 0, "option 'split' applies to 'export MODEL users' only");
    if (!strcmp(what, "metrics"))
        return export_metrics(s, me, path);
    tt_export_args o;
    tt_bind_export.init(&o);
    tt_args_apply(a, &tt_bind_export, &o);
    if (!strcmp(what, "index"))
        return tt_export_index(s, me, path, o.index);
    const char *ext = tt_export_ext(path);
    int npy = !strcmp(ext, "npy");
    if (!npy && strcmp(ext, "tsv"))
        return tt_fail(s, 0, "export %s writes .npy or .tsv, not '%s'", what, path);
    if (tt_model_ready(s, me, &d))
        return -1;
    int items = !strcmp(what, "items");
    enum tt_part p = tt_args_part(o.split);
    const tt_examples *ex = &d->sp.part[p];
    /* A multi-interest user tower: nq rows per user, row e nq + k its
     * interest k (an inactive one all zeros; the .tsv metadata says which) */
    int nq = items ? 1 : tt_model_query_vectors(me->m);
    int64_t rows = items ? d->d.n_items : ex->n * nq;
    int D = tt_model_dim(me->m);
    float *X = tt_alloc_aligned((size_t)rows * (size_t)D, sizeof(float), "embeddings", &s->err);
    int32_t *qn = X && nq > 1 ? tt_alloc((size_t)ex->n + 1, sizeof *qn, "active interests", &s->err)
                              : NULL;
    if (!X || (nq > 1 && !qn)) {
        free(X);
        return -1;
    }
    int rc = items ? tt_model_encode_items(me->m, &d->d, X, &s->err)
             : nq > 1 ? tt_model_encode_queries_multi(me->m, &d->d, ex, X, qn, &s->err)
                      : tt_model_encode_part(me->m, &d->d, &d->sp, p, X, &s->err);
    if (rc == 0 && npy) {
        rc = tt_export_npy(path, X, rows, D, &s->err);
    } else if (rc == 0) {
        char meta[4096];
        tt_export_meta_path(path, meta, sizeof meta);
        const int nl = nq > 1 ? 4 : 2;
        const char **labels = calloc((size_t)rows * nl + 1, sizeof *labels);
        char *nums = items ? NULL : calloc((size_t)rows * 2 + 1, 12);
        if (!labels || (!items && !nums)) {
            rc = tt_fail(s, 0, "out of memory");
        } else {
            for (int64_t r = 0; r < rows; r++) {
                if (items) {
                    labels[2 * r] = d->d.item_key ? d->d.item_key[r] : "";
                    labels[2 * r + 1] = d->d.item_title && d->d.item_title[r] ? d->d.item_title[r] : "";
                } else {
                    int64_t e = r / nq;
                    int k = (int)(r % nq);
                    const char **l = labels + nl * r;
                    *l++ = d->d.user_key ? d->d.user_key[ex->user[e]] : "";
                    if (nq > 1) {
                        snprintf(nums + 24 * r + 12, 12, "%d", k + 1);
                        *l++ = nums + 24 * r + 12;
                        *l++ = k < qn[e] ? "yes" : "no";
                    }
                    snprintf(nums + 24 * r, 12, "%d", ex->hist_n ? ex->hist_n[e] : 0);
                    *l = nums + 24 * r;
                }
            }
            const char *hdr2[2] = {items ? "item" : "user", items ? "title" : "history"};
            const char *hdr4[4] = {"user", "interest", "active", "history"};
            rc = tt_export_tsv(path, X, rows, D, meta, nq > 1 ? hdr4 : hdr2, nl, labels,
                               &s->err);
        }
        free(labels);
        free(nums);
    }
    free(X);
    free(qn);
    if (rc)
        return -1;
    tt_rec r;
    char human[700];
    tt_rec_init(&r);
    tt_rec_str(&r, "model", me->def.name);
    tt_rec_str(&r, "what", what);
    tt_rec_str(&r, "file", path);
    tt_rec_int(&r, "rows", rows);
    tt_rec_int(&r, "dim", D);
    if (nq > 1)
        snprintf(human, sizeof human,
                 "exported %lld user vectors of dim %d to %s (%d interests per user, in order; "
                 "inactive ones are zeros)", (long long)rows, D, path, nq);
    else
        snprintf(human, sizeof human, "exported %lld %s vectors of dim %d to %s", (long long)rows,
                 items ? "item" : "user", D, path);
    tt_out_info(&s->out, "export", &r, human);
    tt_rec_free(&r);
    return 0;
}

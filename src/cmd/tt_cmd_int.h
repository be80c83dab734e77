/* tt_cmd_int: what the command handler files share (not a public API). */
#ifndef TT_CMD_INT_H
#define TT_CMD_INT_H

#include "tt_cmd.h"
#include "tt_mkind.h"
#include "tt_plot.h"

/* Word k (0-based) of an ENUM value list "a|b|c" into buf; "?" past its end. */
const char *tt_enum_word(const char *values, int64_t k, char *buf, size_t n);

/* Names for the model and tower lookups with a suggestion in the error. */
tt_modelent *tt_need_model(tt_session *s, const tt_tok *t);
tt_tower_def *tt_need_tower(tt_session *s, const tt_tok *t);
/* The model's dataset, with its split; -1 and an error when missing. */
int tt_need_data(tt_session *s, tt_modelent *me, tt_dsent **out, int need_split);
/* Note d (may be NULL) as the dataset the running command works on, so that
 * its error names it when several are loaded; returns d. */
tt_dsent *tt_use_data(tt_session *s, tt_dsent *d);
/* A valid object name: letters, digits, '_', '-', '.', starting with a letter. */
int tt_check_name(tt_session *s, const tt_tok *t, const char *what);

/* What the options of split, eval (and compare), weights, ablate, plot and
 * export fill:
 * their rows bind to these (TT_BIND) and the *_init functions (tt_cmd.c) hold
 * each default once. Options whose default is a session setting (seed=, k=,
 * hist=, term=) or that have none (by=, items=, users=) are read with tt_arg,
 * as train's seed= and threads= are. split= of eval, ablate and export is
 * valid|test: 0 valid, 1 test (tt_args_part). */
typedef struct tt_split_args { double valid, test; } tt_split_args;
typedef struct tt_eval_args {
    int split;                /* valid|test */
    const char *index;        /* index=NAME, or NULL */
    int beyond;
    int datasets;             /* compare: models of other data allowed */
} tt_eval_args;
typedef struct tt_weights_args {
    int side;                 /* tower=user|item|both: 0, 1, 2 */
    int part;                 /* split=train|valid|test: enum tt_part */
    const char *by;
} tt_weights_args;
typedef struct tt_ablate_args { int mode; int split; } tt_ablate_args;
typedef struct tt_plot_args { int side; const char *file; } tt_plot_args;
typedef struct tt_export_args { int split; const char *index; } tt_export_args;
extern const tt_optbind tt_bind_split, tt_bind_eval, tt_bind_weights, tt_bind_ablate,
    tt_bind_plot, tt_bind_export, tt_bind_index;
/* The part named by a valid|test split= option's place (0 or 1). */
static inline enum tt_part tt_args_part(int split) { return split == 0 ? TT_VALID : TT_TEST; }

/* Tower and model definitions printed back as the line that recreates them. */
/* Room for a definition printed back: every field named (TT_MAX_FIELDS names
 * of up to TT_NAME_MAX bytes, quoted) plus the stages. */
#define TT_DEF_MAX (TT_MAX_FIELDS * (TT_NAME_MAX + 3) + 1024)
const char *tt_tower_format(const tt_tower_def *t, char *buf, int n);
const char *tt_model_format(const tt_model_def *m, char *buf, int n);
/* A baseline kind's key=value options t[0..n) into d (tt_mkind.h's table). */
int tt_mkind_opts_parse(tt_session *s, tt_model_def *d, const tt_tok *t, int n);
/* The key=value options of `MODEL with ...` (t[0..n)) applied to two-tower
 * entry e: model options (tt_model_opts), and user=/item= towers by name. */
int tt_model_with_opts(tt_session *s, tt_modelent *e, tt_tok *t, int n);
/* Parse a tower definition from toks (after "tower NAME ="); col errors. */
int tt_tower_parse(tt_session *s, tt_tok *t, int n, tt_tower_def *out);
/* Names of the tower stages (channels = 0) or of the channels (1) from the
 * stage table, as "a|b|c"; into buf, returned. */
const char *tt_stage_names(int channels, char *buf, int n);
/* "a|b|c" -> "a, b or c" into buf, returned. */
const char *tt_list_words(const char *values, char *buf, int n);

/* Make the runtime model usable: fit a popularity model on the current
 * split, or check that a two-tower model is trained. */
int tt_model_ready(tt_session *s, tt_modelent *me, tt_dsent **dp);
/* Evaluate a model entry (fitting a popularity model first if needed). */
int tt_eval_model(tt_session *s, tt_modelent *me, enum tt_part p, const int *ks,
                  int n_k, tt_metrics *out);
/* Fill rec with an eval result (event fields of the eval JSON line). */
void tt_metrics_rec(tt_rec *r, const tt_metrics *m);
/* The figures people read: recall and NDCG at every k, and MRR (HitRate
 * equals Recall with one held-out item per user). */
void tt_metrics_people(tt_rec *r, const tt_metrics *m);
/* One field per cut-off: "NAME@k" = v[i] for the n_k cut-offs ks (4 decimals). */
void tt_rec_at_k(tt_rec *r, const char *name, const int *ks, int n_k, const double *v);
/* Mark r's headline figure for narrow tables: recall@20 (else the first
 * recall@ column, else the first *recall@ one) is a key column, ndcg@20 a
 * wanted one. */
void tt_rec_headline(tt_rec *r);
/* The cut-offs of a k= option, sorted and without repeats, into ks (room for
 * TT_MAX_K); the session's default cut-offs when v is unset. */
int tt_ks_arg(tt_session *s, const tt_optval *v, int *ks, int *n_k);
/* Record in r the dataset d (its session name, source) and its current
 * split: what a model was trained or fitted on. */
void tt_dataref_fill(tt_dataref *r, const tt_dsent *d);
/* The dataset and split a model belongs to: what it was trained on when
 * recorded, else its dataset's current split. */
void tt_model_dataref(tt_session *s, const tt_modelent *me, tt_dataref *out);
/* Protocol name of the model's split ("ml100k-l2o"). */
const char *tt_model_protocol(tt_session *s, tt_modelent *me);

/* A model has no history: fail with the reason, by name (not trained, a
 * popularity model, or opened from a file saved before histories). */
int tt_history_absent(tt_session *s, const tt_modelent *me);
/* The per-epoch table of runs[0..n_runs) (through the output records, with
 * a seed column when show_seed): `history` and the end of a dashboard run.
 * fitted (a fitted kind: EASE, ItemKNN, iALS, popularity): no loss column,
 * since such a model has no training loss. */
int tt_history_print(tt_session *s, const char *model, const tt_run *runs, int n_runs,
                     int show_seed, int fitted);

/* Handlers, by theme file. */
int tt_cmd_load(tt_session *s, tt_args *a);       /* tt_cmd_data.c */
int tt_cmd_split(tt_session *s, tt_args *a);
int tt_cmd_features(tt_session *s, tt_args *a);
int tt_cmd_tower(tt_session *s, tt_args *a);      /* tt_cmd_model.c */
int tt_cmd_model(tt_session *s, tt_args *a);
int tt_cmd_train(tt_session *s, tt_args *a);      /* tt_cmd_train.c */
int tt_cmd_eval(tt_session *s, tt_args *a);       /* tt_cmd_eval.c */
int tt_cmd_compare(tt_session *s, tt_args *a);
int tt_cmd_tune(tt_session *s, tt_args *a);
int tt_cmd_rank(tt_session *s, tt_args *a);
/* metric=recall@K|ndcg@K|hitrate@K|mrr: *which 0..3 and *k (0 for mrr;
 * recall and friends default to K = 20); tune and rank read it this way. */
int tt_metric_arg(tt_session *s, const char *v, int *which, int *k);
/* That metric of x, or NAN when x lacks the cut-off k. */
double tt_metric_value(const tt_metrics *x, int which, int k);
/* The dataset a model is trained on (the current one for a model defined
 * before any), with its split: train and tune start here. */
int tt_train_data(tt_session *s, tt_modelent *me, tt_dsent **d);
int tt_cmd_weights(tt_session *s, tt_args *a);    /* tt_cmd_weights.c */
int tt_cmd_ablate(tt_session *s, tt_args *a);
int tt_cmd_interests(tt_session *s, tt_args *a); /* tt_cmd_interests.c */
int tt_cmd_plot(tt_session *s, tt_args *a);       /* tt_cmd_plot.c */
int tt_cmd_history(tt_session *s, tt_args *a);    /* tt_cmd_history.c */
int tt_cmd_index(tt_session *s, tt_args *a);      /* tt_cmd_index.c */
/* eval MODEL index=NAME: exact and through-the-index rows. */
int tt_eval_index(tt_session *s, tt_modelent *me, const char *iname, enum tt_part p,
                  const int *ks, int n_k);
int tt_cmd_sweep(tt_session *s, tt_args *a);
int tt_cmd_recommend(tt_session *s, tt_args *a);
int tt_cmd_similar(tt_session *s, tt_args *a);
/* export MODEL index FILE [index=NAME]: the Faiss file and FILE.ids.tsv. */
int tt_export_index(tt_session *s, tt_modelent *me, const char *path, const char *iname);
/* list indexes: one line of what index ie is (kind, metric, parameters,
 * model, build time, size, and why it cannot be used now, if so). */
void tt_index_about(tt_session *s, const tt_indexent *ie, char *buf, size_t n);
/* drop index NAME: frees the index and removes it from the session. */
int tt_index_drop(tt_session *s, const char *name);
/* plot sweep [INDEX ...]: fills req's titles and ser (qps against index
 * recall of each swept index); returns the series count or -1. */
int tt_plot_sweep(tt_session *s, tt_tok **names, int n, tt_plot_req *req, tt_series *ser,
                  int max_series);
int tt_cmd_save(tt_session *s, tt_args *a);       /* tt_cmd_file.c */
int tt_cmd_open(tt_session *s, tt_args *a);
int tt_cmd_export(tt_session *s, tt_args *a);
int tt_cmd_set(tt_session *s, tt_args *a);        /* tt_cmd_misc.c */
int tt_cmd_show(tt_session *s, tt_args *a);
int tt_cmd_source(tt_session *s, tt_args *a);
int tt_cmd_let(tt_session *s, tt_args *a);
int tt_cmd_require(tt_session *s, tt_args *a);
int tt_cmd_note(tt_session *s, tt_args *a);
int tt_cmd_pause(tt_session *s, tt_args *a);
int tt_cmd_echo(tt_session *s, tt_args *a);
int tt_cmd_list(tt_session *s, tt_args *a);
int tt_cmd_drop(tt_session *s, tt_args *a);
int tt_cmd_help(tt_session *s, tt_args *a);
int tt_cmd_quit(tt_session *s, tt_args *a);

/* Apply one setting (key, value text); used by `set` and by main's flags. */
int tt_setting_apply(tt_session *s, const char *key, const char *val, int col);

#endif

/* tt_stub: weak stand-ins for engine functions that have not landed yet,
 * so the session builds and its parser, help and error paths can be tested
 * while the other areas are written in parallel. They live in their own
 * archive (libttstub.a) linked AFTER libttlab.a: the linker only takes a
 * stand-in for a symbol libttlab does not define, so the real function
 * always wins. Each one fails with a message; none computes anything.
 * Remove this file once every area has landed. */
#include <stdio.h>
#include <string.h>

#include "tt_dataset.h"
#include "tt_eval.h"
#include "tt_inspect.h"
#include "tt_model.h"
#include "tt_plot.h"
#include "tt_split.h"
#include "tt_train.h"
#include "tt_tui.h"

#define WEAK __attribute__((weak))
static int missing(tt_err *err, const char *what)
{
    if (err)
        snprintf(err->msg, sizeof err->msg, "%s is not implemented in this build yet", what);
    return -1;
}

WEAK const char *tt_kind_name(enum tt_kind k) { (void)k; return "?"; }
WEAK const char *tt_side_name(enum tt_side s) { (void)s; return "?"; }
WEAK void tt_dataset_free(tt_dataset *d) { (void)d; }
WEAK int tt_dataset_find(const tt_dataset *d, const char *name) { (void)d; (void)name; return -1; }
WEAK int tt_load_movielens(const char *dir, tt_dataset *out, tt_err *err)
{ (void)dir; (void)out; return missing(err, "load movielens"); }
WEAK void tt_csv_opts_init(tt_csv_opts *o) { memset(o, 0, sizeof *o); }
WEAK int tt_load_csv(const tt_csv_opts *o, tt_dataset *out, tt_err *err)
{ (void)o; (void)out; return missing(err, "load csv"); }
WEAK void tt_synth_opts_init(tt_synth_opts *o) { memset(o, 0, sizeof *o); }
WEAK double tt_synth_bytes(const tt_synth_opts *o) { (void)o; return 0; }
WEAK int tt_synth_generate(const tt_synth_opts *o, tt_dataset *out, tt_err *err)
{ (void)o; (void)out; return missing(err, "load synthetic"); }
WEAK const char *tt_part_name(enum tt_part p)
{ return p == TT_TRAIN ? "train" : p == TT_VALID ? "valid" : "test"; }
WEAK int tt_split_l2o(const tt_dataset *d, int32_t H, tt_split *out, tt_err *err)
{ (void)d; (void)H; (void)out; return missing(err, "split l2o"); }
WEAK int tt_split_random(const tt_dataset *d, double v, double t, uint64_t seed, int32_t H,
                         tt_split *out, tt_err *err)
{ (void)d; (void)v; (void)t; (void)seed; (void)H; (void)out; return missing(err, "split random"); }
WEAK void tt_split_free(tt_split *s) { (void)s; }
WEAK int tt_eval(const float *Q, const float *V, int32_t n_items, int d, const tt_split *sp,
                 enum tt_part p, const int *ks, int n_k, tt_metrics *out, tt_err *err)
{ (void)Q; (void)V; (void)n_items; (void)d; (void)sp; (void)p; (void)ks; (void)n_k; (void)out;
  return missing(err, "evaluation"); }
WEAK void tt_tower_def_init(tt_tower_def *t) { memset(t, 0, sizeof *t); }
WEAK void tt_model_def_init(tt_model_def *m) { memset(m, 0, sizeof *m); }
WEAK int tt_model_create(const tt_model_def *md, const tt_tower_def *u, const tt_tower_def *i,
                         const tt_dataset *d, uint64_t seed, tt_model **out, tt_err *err)
{ (void)md; (void)u; (void)i; (void)d; (void)seed; *out = NULL; return missing(err, "model creation"); }
WEAK void tt_model_free(tt_model *m) { (void)m; }
WEAK int64_t tt_model_param_count(const tt_model *m) { (void)m; return 0; }
WEAK float *tt_model_params(tt_model *m) { (void)m; return NULL; }
WEAK int tt_model_dim(const tt_model *m) { (void)m; return 1; }
WEAK int tt_model_fit_popularity(tt_model *m, const tt_split *sp, tt_err *err)
{ (void)m; (void)sp; return missing(err, "the popularity model"); }
WEAK int tt_model_encode_items(tt_model *m, const tt_dataset *d, float *V, tt_err *err)
{ (void)m; (void)d; (void)V; return missing(err, "item encoding"); }
WEAK int tt_model_encode_queries(tt_model *m, const tt_dataset *d, const tt_examples *ex,
                                 float *Q, tt_err *err)
{ (void)m; (void)d; (void)ex; (void)Q; return missing(err, "query encoding"); }
WEAK int tt_model_senet_fields(const tt_model *m, int side, const char **names)
{ (void)m; (void)side; (void)names; return 0; }
WEAK void tt_train_opts_init(tt_train_opts *o) { memset(o, 0, sizeof *o); }
WEAK int tt_train(tt_model *m, const tt_dataset *d, const tt_split *sp, const tt_train_opts *o,
                  tt_train_cb cb, void *ud, tt_train_result *res, tt_err *err)
{ (void)m; (void)d; (void)sp; (void)o; (void)cb; (void)ud; (void)res; return missing(err, "training"); }
WEAK int tt_inspect_weights(tt_model *m, int side, const tt_dataset *d, const tt_split *sp,
                            enum tt_part part, tt_weight_stat *out, int max_out, tt_err *err)
{ (void)m; (void)side; (void)d; (void)sp; (void)part; (void)out; (void)max_out;
  return missing(err, "weights"); }
WEAK int tt_inspect_weights_by(tt_model *m, int side, const tt_dataset *d, const tt_split *sp,
                               enum tt_part part, const char *by, tt_weight_groups *out, tt_err *err)
{ (void)m; (void)side; (void)d; (void)sp; (void)part; (void)by; (void)out;
  return missing(err, "weights by"); }
WEAK void tt_weight_groups_free(tt_weight_groups *g) { (void)g; }
WEAK int tt_inspect_ablate(tt_model *m, const tt_dataset *d, const tt_split *sp, enum tt_part part,
                           int feat, enum tt_ablate_mode mode, uint64_t seed, const int *ks, int n_k,
                           tt_metrics *base, tt_metrics *ablated, tt_err *err)
{ (void)m; (void)d; (void)sp; (void)part; (void)feat; (void)mode; (void)seed; (void)ks; (void)n_k;
  (void)base; (void)ablated; return missing(err, "ablate"); }
WEAK tt_tui *tt_tui_open(const tt_curve *past, int n_past) { (void)past; (void)n_past; return NULL; }
WEAK int tt_tui_update(tt_tui *t, const tt_snapshot *s) { (void)t; (void)s; return TT_TUI_GO; }
WEAK void tt_tui_close(tt_tui *t) { (void)t; }
WEAK void tt_tui_emergency_restore(void) {}
WEAK int tt_plot(const tt_plot_req *r, FILE *out, tt_err *err)
{ (void)r; (void)out; return missing(err, "plot"); }
WEAK const tt_model_def *tt_model_get_def(const tt_model *m) { (void)m; return NULL; }
WEAK const tt_tower_def *tt_model_get_tower(const tt_model *m, int side) { (void)m; (void)side; return NULL; }
WEAK void tt_model_set_ablation(tt_model *m, int feat, enum tt_ablate_mode mode, uint64_t seed)
{ (void)m; (void)feat; (void)mode; (void)seed; }
WEAK int tt_model_senet_weights(tt_model *m, int side, const tt_dataset *d, const tt_examples *ex,
                                float *W, tt_err *err)
{ (void)m; (void)side; (void)d; (void)ex; (void)W; return missing(err, "SENet weights"); }

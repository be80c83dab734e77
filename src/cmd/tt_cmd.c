/* tt_cmd: the command table, the option specs and the one place where a
 * command's name, arity and options are checked before its handler runs. */
#include "tt_cmd_int.h"
#include "tt_losses.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG 1e18

/* ---- the structs options fill: their *_init holds the defaults ---- */

static void init_train(void *p) { tt_train_opts_init(p); }
static void init_model(void *p) { tt_model_def_init(p); }
static void init_synth(void *p) { tt_synth_opts_init(p); }
static void init_csv(void *p) { tt_csv_opts_init(p); }
static void init_tower(void *p) { tt_tower_def_init(p); }
static void init_cross(void *p) { tt_chan_def_init(p, TT_CH_CROSS); }
static void init_session(void *p) { tt_session_init(p); }
static void init_index(void *p) { tt_indexent_init(p); }
/* The commands' own option structs (tt_cmd_int.h): their defaults. */
static void init_split(void *p) { *(tt_split_args *)p = (tt_split_args){.valid = 0.1, .test = 0.1}; }
static void init_eval(void *p) { *(tt_eval_args *)p = (tt_eval_args){.split = 1}; }
static void init_weights(void *p)
{
    *(tt_weights_args *)p = (tt_weights_args){.side = 2, .part = TT_VALID};
}
static void init_ablate(void *p)
{
    *(tt_ablate_args *)p = (tt_ablate_args){.mode = TT_ABLATE_ZERO, .split = 1};
}
static void init_plot(void *p) { *(tt_plot_args *)p = (tt_plot_args){.side = 0}; }
static void init_export(void *p) { *(tt_export_args *)p = (tt_export_args){.split = 1}; }
const tt_optbind tt_bind_train = {"tt_train_opts", sizeof(tt_train_opts), init_train};
const tt_optbind tt_bind_model = {"tt_model_def", sizeof(tt_model_def), init_model};
const tt_optbind tt_bind_synth = {"tt_synth_opts", sizeof(tt_synth_opts), init_synth};
const tt_optbind tt_bind_csv = {"tt_csv_opts", sizeof(tt_csv_opts), init_csv};
const tt_optbind tt_bind_tower = {"tt_tower_def", sizeof(tt_tower_def), init_tower};
const tt_optbind tt_bind_cross = {"tt_chan_def (cross)", sizeof(tt_chan_def), init_cross};
const tt_optbind tt_bind_session = {"tt_session", sizeof(tt_session), init_session};
const tt_optbind tt_bind_index = {"tt_indexent", sizeof(tt_indexent), init_index};
#define ARGS_BIND(N, T) const tt_optbind tt_bind_##N = {#T, sizeof(T), init_##N}
ARGS_BIND(split, tt_split_args);
ARGS_BIND(eval, tt_eval_args);
ARGS_BIND(weights, tt_weights_args);
ARGS_BIND(ablate, tt_ablate_args);
ARGS_BIND(plot, tt_plot_args);
ARGS_BIND(export, tt_export_args);
#undef ARGS_BIND
const tt_optbind *const tt_optbinds[] = {&tt_bind_train, &tt_bind_model, &tt_bind_synth,
                                         &tt_bind_csv, &tt_bind_tower, &tt_bind_cross,
                                         &tt_bind_session, &tt_bind_index, &tt_bind_split,
                                         &tt_bind_eval, &tt_bind_weights, &tt_bind_ablate,
                                         &tt_bind_plot, &tt_bind_export};
const int tt_n_optbinds = (int)TT_ARRAY_LEN(tt_optbinds);
#define TRAIN(F) TT_BIND(tt_bind_train, tt_train_opts, F)
#define MODEL(F) TT_BIND(tt_bind_model, tt_model_def, F)
#define SYNTH(F) TT_BIND(tt_bind_synth, tt_synth_opts, F)
#define CSV(F) TT_BIND(tt_bind_csv, tt_csv_opts, F)
#define SESSION(F) TT_BIND(tt_bind_session, tt_session, F)

/* ---- option specs (data read by help, completion, checks, the man page) ---- */

/* An unbound option row leaves the binding fields (bind, off, size) out, a
 * command row without flags its flags. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static const tt_optspec load_opts[] = {
    {"as", TT_O_STR, NULL, NULL, 0, 0, NULL, "name of the dataset in the session"},
    {"users", TT_O_INT, NULL, NULL, 2, 10000000, "synthetic", "number of users", SYNTH(users)},
    {"items", TT_O_INT, NULL, NULL, 2, 10000000, "synthetic", "number of items", SYNTH(items)},
    {"clusters", TT_O_INT, NULL, NULL, 1, 10000, "synthetic", "latent clusters", SYNTH(clusters)},
    {"per_user", TT_O_INT, NULL, NULL, 3, 100000, "synthetic", "interactions per user", SYNTH(per_user)},
    {"seed", TT_O_INT, NULL, NULL, 0, BIG, "synthetic", "generator seed", SYNTH(seed)},
    {"tastes", TT_O_INT, NULL, NULL, 1, 10000, "synthetic", "taste clusters per user (multi-interest; at most clusters)", SYNTH(tastes)},
    {"cross", TT_O_INT, NULL, NULL, 0, 10000, "synthetic", "G >= 2: user mood x item style over G values picks within a cluster (early interaction); 0 off", SYNTH(cross)},
    {"tails", TT_O_INT, NULL, NULL, 0, 16, "synthetic", "long-tailed noise fields drawn per interaction (SE blocks); 0 off", SYNTH(tails)},
    {"cast", TT_O_INT, NULL, NULL, 0, 16, "synthetic", "G item fields over one shared vocabulary; users take items holding their favourite value in any of them (early interaction); 0 off", SYNTH(cast)},
    {"user_file", TT_O_STR, NULL, NULL, 0, 0, "csv", "user features file (first column: user key)", CSV(user_path)},
    {"item_file", TT_O_STR, NULL, NULL, 0, 0, "csv", "item features file (first column: item key)", CSV(item_path)},
    {"user", TT_O_STR, NULL, NULL, 0, 0, "csv", "user column of the interactions file", CSV(user_col)},
    {"item", TT_O_STR, NULL, NULL, 0, 0, "csv", "item column of the interactions file", CSV(item_col)},
    {"time", TT_O_STR, "time", NULL, 0, 0, "csv", "time column (optional)"},
    {"sep", TT_O_STR, ",", NULL, 0, 0, "csv", "field separator: a character, or tab"},
    {"multi", TT_O_STR, "|", NULL, 0, 0, "csv", "separator of multi-valued cells"},
    {"context", TT_O_NAMES, NULL, NULL, 0, 0, "csv", "interaction columns used as context features (default none; the others are listed as ignored)", CSV(context)},
    {"allow_label", TT_O_NAMES, NULL, NULL, 0, 0, "csv", "label-like columns (rating, score, click...) that context may name anyway: they leak the target", CSV(allow_label)},
    {"kinds", TT_O_STR, NULL, NULL, 0, 0, "csv", "kind overrides: age:numeric,genres:set", CSV(kinds)},
    {"buckets", TT_O_INT, NULL, NULL, 1, 1000, "csv", "quantile buckets of numeric columns", CSV(num_buckets)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

/* split's hist= shows the hist setting's default (tt_session_init); when it
 * is not given, split uses the setting's current value. */
static const tt_optspec split_opts[] = {
    {"hist", TT_O_INT, NULL, NULL, 0, 1000, NULL, "history length (items before each interaction)", SESSION(hist)},
    {"valid", TT_O_NUM, NULL, NULL, 0, 0.9, "random", "validation fraction", TT_BIND(tt_bind_split, tt_split_args, valid)},
    {"test", TT_O_NUM, NULL, NULL, 0, 0.9, "random", "test fraction", TT_BIND(tt_bind_split, tt_split_args, test)},
    {"seed", TT_O_INT, NULL, NULL, 0, BIG, "random", "split seed (default: the session seed)"},
    {"items", TT_O_NUM, NULL, NULL, 0, 0.9, "cold", "cold items: those first seen in the last P of the interactions (by time), held out"},
    {"users", TT_O_NUM, NULL, NULL, 0, 0.9, "cold", "cold users: those first seen in the last P of the interactions (by time), held out"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

const tt_optspec tt_model_opts[] = {
    {"sim", TT_O_ENUM, NULL, "cos|dot", 0, 0, NULL, "similarity: cosine (towers L2-normalised) or inner product", MODEL(sim)},
    {"temp", TT_O_NUM, NULL, NULL, 1e-4, 100, NULL, "softmax temperature", MODEL(temp)},
    {"loss", TT_O_ENUM, NULL, "@loss", 0, 0, NULL, "training loss", MODEL(loss)},
    {"logq", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "logQ correction (inbatch, sampled)", MODEL(logq)},
    {"mask", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "mask accidental hits (inbatch, sampled)", MODEL(mask_hits)},
    {"neg", TT_O_INT, NULL, NULL, 0, 100000, NULL, "negatives per example (sampled, bce, bpr; 0: the loss's default, 128 or 4)", MODEL(neg)},
    {"sampler", TT_O_ENUM, NULL, "uniform|pop", 0, 0, NULL, "negative sampler", MODEL(sampler)},
    {"alpha", TT_O_NUM, NULL, NULL, 0, 2, NULL, "exponent of the popularity sampler", MODEL(alpha)},
    {"fusion", TT_O_ENUM, NULL, "sum|concat", 0, 0, NULL, "channels: sum of per-channel scores, or concatenation", MODEL(fusion)},
    {"user", TT_O_STR, NULL, NULL, 0, 0, NULL, "user tower (with `with`)"},
    {"item", TT_O_STR, NULL, NULL, 0, 0, NULL, "item tower (with `with`)"},
    {"augment", TT_O_ENUM, NULL, "none|dat", 0, 0, NULL, "dat: DAT's augmented vector per user_id and item_id (Yu et al. 2021)", MODEL(augment)},
    {"dat_w", TT_O_NUM, NULL, NULL, 0, 100, NULL, "augment=dat: weight of the adaptive-mimic loss", MODEL(dat_w)},
    {"interact", TT_O_ENUM, NULL, "none|fe", 0, 0, NULL, "fe: IntTower's FE-Block, user heads against per-item field vectors (Li et al. 2022)", MODEL(interact)},
    {"heads", TT_O_INT, NULL, NULL, 1, 64, NULL, "interact=fe: user heads (must divide the towers' width)", MODEL(heads)},
    {"cir", TT_O_NUM, NULL, NULL, 0, 100, NULL, "weight of IntTower's contrastive interaction regulariser (0 off)", MODEL(cir)},
    {"dat_ca", TT_O_NUM, NULL, NULL, 0, 100, NULL, "weight of DAT's category alignment loss (0 off; needs an item category field)", MODEL(dat_ca)},
    {"dat_cat", TT_O_STR, NULL, NULL, 0, 0, NULL, "dat_ca: the item field of the categories (default: category)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec train_opts[] = {
    {"epochs", TT_O_INT, NULL, NULL, 1, INT_MAX, NULL, "passes over the training examples (as many as memory allows)", TRAIN(epochs)},
    {"batch", TT_O_INT, NULL, NULL, 1, 1000000, NULL, "examples per batch", TRAIN(batch)},
    {"lr", TT_O_NUM, NULL, NULL, 1e-12, 1000, NULL, "learning rate", TRAIN(lr)},
    {"opt", TT_O_ENUM, NULL, "sgd|adagrad|adam", 0, 0, NULL, "optimizer", TRAIN(opt)},
    {"momentum", TT_O_NUM, NULL, NULL, 0, 0.999999, NULL, "SGD momentum", TRAIN(momentum)},
    {"wd", TT_O_NUM, NULL, NULL, 0, 10, NULL, "weight decay", TRAIN(wd)},
    {"clip", TT_O_NUM, NULL, NULL, 0, 1e9, NULL, "clip the global gradient norm (0 off)", TRAIN(clip)},
    {"lazy", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "row-wise (lazy) updates of embedding tables", TRAIN(lazy)},
    {"patience", TT_O_INT, NULL, NULL, 0, INT_MAX, NULL, "early stopping after N epochs without gain (0 off)", TRAIN(patience)},
    {"keep_best", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "keep the epoch with the best valid Recall@20", TRAIN(keep_best)},
    {"valid", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "evaluate on valid after every epoch", TRAIN(eval_every)},
    {"seed", TT_O_INT, NULL, NULL, 0, BIG, NULL, "initialisation and shuffling seed (default: the session seed)"},
    {"seeds", TT_O_INTS, NULL, NULL, 0, BIG, NULL, "train once per seed (1,2,3): compare shows mean ± std"},
    {"threads", TT_O_INT, NULL, NULL, 0, 256, NULL, "threads for this run only (default: the session setting)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

#define EVAL(F) TT_BIND(tt_bind_eval, tt_eval_args, F)
static const tt_optspec eval_opts[] = {
    {"split", TT_O_ENUM, NULL, "valid|test", 0, 0, NULL, "part to evaluate", EVAL(split)},
    {"k", TT_O_INTS, NULL, NULL, 1, 1000000, NULL, "cut-offs (default: the session's k, 10,20,50)"},
    {"index", TT_O_STR, NULL, NULL, 0, 0, NULL, "also through this index: its metrics, recall against exact top-K, speed", EVAL(index)},
    {"by", TT_O_ENUM, NULL, "item_pop|user_activity", 0, 0, NULL, "one row per slice: targets by item popularity, or users by activity (thirds)"},
    {"beyond", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "also coverage@k, Gini and mean popularity of the recommended items", EVAL(beyond)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec rank_opts[] = {
    {"metric", TT_O_STR, "recall@20", NULL, 0, 0, NULL, "recall@K, ndcg@K, hitrate@K or mrr"},
    {"split", TT_O_ENUM, "test", "valid|test", 0, 0, NULL, "part to evaluate"},
    {"by", TT_O_ENUM, NULL, "item_pop|user_activity", 0, 0, NULL, "one ranking per slice (see eval)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

#define WEIGHTS(F) TT_BIND(tt_bind_weights, tt_weights_args, F)
static const tt_optspec weights_opts[] = {
    {"tower", TT_O_ENUM, NULL, "user|item|both", 0, 0, NULL, "which tower", WEIGHTS(side)},
    {"split", TT_O_ENUM, NULL, "train|valid|test", 0, 0, NULL, "examples whose weights are read (user tower)", WEIGHTS(part)},
    {"by", TT_O_STR, NULL, NULL, 0, 0, NULL, "break down by a categorical feature, or by activity", WEIGHTS(by)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec interests_cmd_opts[] = {
    {"user", TT_O_STR, NULL, NULL, 0, 0, NULL, "one user's interests and their top items (the id in the data)"},
    {"top", TT_O_INT, "5", NULL, 1, 1000, NULL, "items shown per interest"},
    {"split", TT_O_ENUM, "test", "valid|test", 0, 0, NULL, "the part whose examples (histories, held-out items) are read"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec ablate_opts[] = {
    {"mode", TT_O_ENUM, NULL, "zero|shuffle", 0, 0, NULL, "replace the feature by zeros, or shuffle it across rows",
     TT_BIND(tt_bind_ablate, tt_ablate_args, mode)},
    {"split", TT_O_ENUM, NULL, "valid|test", 0, 0, NULL, "part to evaluate", TT_BIND(tt_bind_ablate, tt_ablate_args, split)},
    {"k", TT_O_INTS, NULL, NULL, 1, 1000000, NULL, "cut-offs (default: the session's k)"},
    {"seed", TT_O_INT, NULL, NULL, 0, BIG, NULL, "shuffle seed (default: the session seed)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec plot_opts[] = {
    {"tower", TT_O_ENUM, NULL, "user|item", 0, 0, NULL, "tower (weights, weights-history)", TT_BIND(tt_bind_plot, tt_plot_args, side)},
    {"term", TT_O_ENUM, NULL, "auto|window|dumb|file", 0, 0, NULL, "where to draw (default: the plot setting)"},
    {"file", TT_O_STR, NULL, NULL, 0, 0, NULL, "output file (.png, .svg, .pdf); implies term=file", TT_BIND(tt_bind_plot, tt_plot_args, file)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec export_opts[] = {
    {"split", TT_O_ENUM, NULL, "valid|test", 0, 0, "users", "examples whose user vectors are written", TT_BIND(tt_bind_export, tt_export_args, split)},
    {"index", TT_O_STR, NULL, NULL, 0, 0, "index", "the index to write (default: an exact one in the model's metric)", TT_BIND(tt_bind_export, tt_export_args, index)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec compare_opts[] = {
    {"split", TT_O_ENUM, NULL, "valid|test", 0, 0, NULL, "part to evaluate", EVAL(split)},
    {"k", TT_O_INTS, NULL, NULL, 1, 1000000, NULL, "cut-offs (default: the session's k)"},
    {"datasets", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "allow models of different datasets or splits, with a dataset column", EVAL(datasets)},
    {"beyond", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "also coverage@k, Gini and mean popularity (of each model as kept)", EVAL(beyond)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec sweep_opts[] = {
    {"nprobe", TT_O_INTS, NULL, NULL, 1, 10000000, NULL, "values of nprobe (ivf, ivfpq): 1,2,4,8"},
    {"efSearch", TT_O_INTS, NULL, NULL, 1, 1000000, NULL, "values of efSearch (hnsw): 16,32,64"},
    {"refine", TT_O_INTS, NULL, NULL, 1, 1000, NULL, "values of refine (ivfpq built with refine): 1,2,4,8"},
    {"k", TT_O_INT, "10", NULL, 1, 100000, NULL, "K of index recall@K and recall@K"},
    {"split", TT_O_ENUM, "test", "valid|test", 0, 0, NULL, "queries: the part's examples"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec recommend_opts[] = {
    {"user", TT_O_STR, NULL, NULL, 0, 0, NULL, "the user's id in the data"},
    {"k", TT_O_INT, "10", NULL, 1, 100000, NULL, "how many items"},
    {"index", TT_O_STR, NULL, NULL, 0, 0, NULL, "search through this index (default: exact)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

static const tt_optspec similar_opts[] = {
    {"item", TT_O_STR, NULL, NULL, 0, 0, NULL, "the item's id in the data"},
    {"k", TT_O_INT, "10", NULL, 1, 100000, NULL, "how many items"},
    {"index", TT_O_STR, NULL, NULL, 0, 0, NULL, "search through this index (default: exact)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

/* nlist= and m= have no fixed default (from the item count, the vector width). */
#define INDEX(F) TT_BIND(tt_bind_index, tt_indexent, F)
static const tt_optspec index_opts[] = {
    {"kind", TT_O_ENUM, NULL, "flat|ivf|hnsw|ivfpq", 0, 0, NULL, "exact (flat), inverted lists, graph, or inverted lists of product codes", INDEX(p.kind)},
    {"metric", TT_O_ENUM, NULL, "ip|l2|ip2l2|auto", 0, 0, NULL, "search metric (auto: the model's; ip2l2: inner product as L2 for graphs)", INDEX(metric)},
    {"nlist", TT_O_INT, NULL, NULL, 1, 10000000, NULL, "ivf, ivfpq: inverted lists (default: the square root of the item count)"},
    {"nprobe", TT_O_INT, NULL, NULL, 1, 10000000, NULL, "ivf, ivfpq: lists visited per query", INDEX(p.nprobe)},
    {"M", TT_O_INT, NULL, NULL, 2, 1024, NULL, "hnsw: neighbours per node", INDEX(p.M)},
    {"efSearch", TT_O_INT, NULL, NULL, 1, 1000000, NULL, "hnsw: candidates kept while searching", INDEX(p.efSearch)},
    {"efConstruction", TT_O_INT, NULL, NULL, 1, 1000000, NULL, "hnsw: candidates kept while building", INDEX(p.efConstruction)},
    {"m", TT_O_INT, NULL, NULL, 1, 4096, NULL, "ivfpq: sub-quantizers (default: half the vector width)"},
    {"nbits", TT_O_INT, NULL, NULL, 1, 16, NULL, "ivfpq: bits per sub-quantizer code", INDEX(p.nbits)},
    {"refine", TT_O_INT, NULL, NULL, 0, 1000, NULL, "ivfpq: re-rank refine x K candidates by the exact score (0: codes only)", INDEX(p.refine)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};


const tt_optspec tt_settings[] = {
    {"seed", TT_O_INT, NULL, NULL, 0, BIG, NULL, "default seed of train, split random and ablate", SESSION(seed)},
    {"threads", TT_O_INT, NULL, NULL, 0, 256, NULL, "threads for training and BLAS (0: every core, or OPENBLAS_NUM_THREADS)", SESSION(threads)},
    {"output", TT_O_ENUM, NULL, "table|csv|json", 0, 0, NULL, "result format", SESSION(out.mode)},
    {"plot", TT_O_ENUM, NULL, "auto|window|dumb|file", 0, 0, NULL, "gnuplot terminal (auto: a window with a display, else text)", SESSION(plot_term)},
    {"plotfile", TT_O_STR, NULL, NULL, 0, 0, NULL, "file of plot=file (.png, .svg, .pdf)", SESSION(plot_file)},
    {"dashboard", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "live dashboard while training (terminals only)", SESSION(dashboard)},
    {"progress", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "progress lines on stderr when there is no dashboard", SESSION(progress)},
    {"hist", TT_O_INT, NULL, NULL, 0, 1000, NULL, "history length used by split", SESSION(hist)},
    {"k", TT_O_INTS, NULL, NULL, 1, 1000000, NULL, "default cut-offs of eval and compare",
     TT_BIND_INTS(tt_bind_session, tt_session, n_k, ks)},
    {"quiet", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "suppress informational lines", SESSION(out.quiet)},
    {"width", TT_O_INT, NULL, NULL, 0, 1000, NULL, "columns tables and lines fit (0: the terminal's, else 80)", SESSION(out.width)},
    {"keep_going", TT_O_BOOL, NULL, NULL, 0, 0, NULL, "continue a script after an error", SESSION(keep_going)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};

/* ---- the command table ---- */

const tt_cmd tt_cmds[] = {
    {"load", tt_cmd_load, 1, 4,
     "load movielens PATH | load csv FILE [key=value ...] | load synthetic [PRESET] [key=value ...]  (each may end with: as NAME)",
     "load a dataset (MovieLens folder, delimited text, or the generator)", load_opts,
     "movielens|csv|synthetic @file", 0,
     "The loaded dataset becomes the current one; datasets loaded earlier stay.\n"
     "Presets of synthetic (users x items, interactions): tiny (300 x 200, 6,000),\n"
     "small (1000 x 500, 30,000), default (2000 x 1000, 80,000), large\n"
     "(25,000 x 100,000, 1,000,000); and the structures of the models after SENet:\n"
     "tastes (1000 x 500, 4 taste clusters per user, for multi-interest towers),\n"
     "cross (1000 x 500, mood x style, for early interaction), tails (2000 x 1000,\n"
     "4 long-tailed noise fields, for SE blocks), cast (2000 x 2000, a favourite\n"
     "value in any of 4 item fields, for early interaction). Options override them\n"
     "(datasets/README.md)."},
    {"split", tt_cmd_split, 1, 1, "split l2o [hist=20] | split random [valid=0.1] [test=0.1] [seed=N] [hist=20] | split cold items=P|users=P",
     "split the current dataset: leave-last-two-out by time, random, or cold start", split_opts,
     "l2o|random|cold", 0,
     "l2o on MovieLens-100K with hist=20 is the protocol ml100k-l2o.\n"
     "cold holds out the items (users) first seen in the last P of the interactions by\n"
     "time, with all their interactions: the earlier-seen half is valid, the rest test;\n"
     "training never holds one. Two-towers score them from features; the baselines,\n"
     "which score from training interactions, refuse."},
    {"features", tt_cmd_features, 0, 0, "features",
     "each feature of the current dataset: side, kind, cardinality, frequency profile",
     NULL, "", 0, NULL},
    {"tower", tt_cmd_tower, 2, -1,
     "tower NAME = STAGE | STAGE ...  |  tower NAME = TOWER with STAGE ...",
     "define a tower (embed | senet or lightse | mlp, channels or interests | l2norm)", NULL, "", 1,
     "Examples:\n"
     "  tower u = embed dim=16 | mlp 64 32 | l2norm\n"
     "  tower us = embed dim=16 | senet r=2 | mlp 64 32 | l2norm\n"
     "  tower ul = embed dim=16 | lightse | mlp 64 32 | l2norm   (IntTower's Light-SE)\n"
     "  tower up = embed dim=16 fields=user_id,age | channels (mlp 64 32) (fm) (cross 2 out=16) | l2norm\n"
     "  tower us2 = u with senet r=2          (a copy of u with a SENet stage)\n"
     "  tower u3 = us with no senet | mlp 128 32\n"
     "Stages of `with` replace the stage of the same kind, or are inserted.\n"
     "A stage the tower has keeps the options not given (us with senet groups=4).", TT_CMD_SAFE},
    {"model", tt_cmd_model, 2, -1,
     "model NAME = twotower USER ITEM [key=value ...] | model NAME = popularity|ease|itemknn|ials [key=value ...] | model NAME = MODEL with key=value ...",
     "define a model: a two-tower model over two towers, or a baseline",
     tt_model_opts, "", 1,
     "Examples:\n"
     "  model dssm = twotower u i sim=cos temp=0.05 loss=softmax\n"
     "  model pop = popularity\n"
     "  model e = ease lambda=100           (baselines: see BASELINES in ttlab(1))\n"
     "  model k = itemknn k=50 shrink=10\n"
     "  model a = ials dim=64 iters=10 lambda=0.01 w0=0.1\n"
     "  model m2 = dssm with temp=0.1 loss=inbatch\n"
     "  model senet = dssm with user=us item=is\n"
     "  model dat = dssm with augment=dat dat_w=0.5\n"
     "With augment=dat each user_id and item_id has a learned augmented vector of the\n"
     "towers' output width, concatenated to its own tower's mlp input; the\n"
     "adaptive-mimic loss w/B sum ||a_u - p_v||^2 + ||a_v - p_u||^2 (over each\n"
     "example and its positive, the tower outputs p held constant) pulls it towards\n"
     "the other tower's output. Both towers need their id field and one mlp stage.\n"
     "A model keeps copies of its towers as they were when it was defined, and is\n"
     "built for the dataset that was current then.", TT_CMD_SAFE},
    {"train", tt_cmd_train, 1, 1, "train MODEL [key=value ...]",
     "train a model on the training part (valid metrics every epoch)", train_opts, "@model", 0,
     "On a terminal the dashboard shows the run (set dashboard off for plain lines);\n"
     "Ctrl-C stops at the next batch and keeps the model."},
    {"eval", tt_cmd_eval, 1, 1, "eval MODEL [split=test] [k=10,20,50] [index=NAME]",
     "exact retrieval metrics: Recall, HitRate, NDCG at k, and MRR", eval_opts, "@model", 0,
     "Tables show HitRate@k only where it differs from Recall@k (several held-out items\n"
     "per user, as after split random): with one held-out item per user (l2o) the two\n"
     "are equal. CSV and JSON always carry every figure.\n"
     "With index=NAME two rows: exact search, and search through the index (the same\n"
     "exclusions: the index is asked for more neighbours and the user's earlier items\n"
     "are dropped), with index_recall@K (overlap of the index's top K with the exact\n"
     "top K), queries per second on one thread (qps_1) and on all (qps), and the\n"
     "latency p50/p99 of one query on one thread: wall clock, which on a shared machine\n"
     "also counts others' time. Beside them the CPU cost, which it does not: cpu_us_1\n"
     "and cpu_us, CPU microseconds per query on one thread and on all (summed over the\n"
     "threads), and cpu_p50_ms, one query's CPU alone. The exact row's speed is ttlab's\n"
     "own top-K (queries x items in GEMM tiles, on the shared thread pool). MRR\n"
     "through the index asks it for every item (a target it never returns ranks\n"
     "last); above 2^27 examples x items it is not computed (null).\n"
     "A multi-interest model: each interest vector asks the index and the items are\n"
     "rescored by the best interest (a flat index gives the exact ranks). An FE-Block\n"
     "model: each user head asks the index of all items' field vectors, the union is\n"
     "rescored by the sum of maxima (index_recall says what it misses). For both\n"
     "p50/p99 and cpu_p50_ms are of one user alone: all its vectors ask the index\n"
     "and the union is rescored, on one thread."},
    {"index", tt_cmd_index, 3, 3,
     "index NAME = MODEL [kind=flat|ivf|hnsw|ivfpq] [metric=auto] [key=value ...]",
     "a Faiss index over a two-tower model's item vectors (build time and memory reported)",
     index_opts, "", 0,
     "Examples:\n"
     "  index f = m kind=flat              (exact: the reference)\n"
     "  index v = m kind=ivf nlist=32 nprobe=4\n"
     "  index h = m kind=hnsw M=16 efSearch=64\n"
     "  index q = m kind=ivfpq nlist=32 m=8 nbits=8\n"
     "ivfpq keeps each item as a short code (m bytes with nbits=8); with refine=R\n"
     "(default 4) it also keeps the full vectors, takes R x K candidates from the\n"
     "codes and re-ranks them by the exact score (Faiss's IndexRefineFlat), which\n"
     "lifts its index recall at the cost of that memory; nprobe still sets the lists\n"
     "the codes are searched in. refine=0: codes only.\n"
     "metric=auto searches as the model scores: inner product (a sim=cos model's vectors\n"
     "are normalised, so this is cosine); for hnsw over a sim=dot model whose item norms\n"
     "differ, ip2l2 (Bachrach et al. 2014: items get one more coordinate\n"
     "sqrt(M^2 - |x|^2), queries a 0, and L2 then ranks as the inner product). Asking\n"
     "for a metric that ranks differently from the model is warned about, with why.\n"
     "An index remembers the model's parameters: after the model is trained or opened\n"
     "again, commands refuse it as stale until it is rebuilt.\n"
     "An FE-Block model's index holds all G vectors of every item (nlist, m and the\n"
     "metric then apply to those vectors); a multi-interest model's, the item vectors."},
    {"sweep", tt_cmd_sweep, 1, 1, "sweep INDEX nprobe=1,2,4,... | sweep INDEX efSearch=16,32,64,... | sweep INDEX refine=1,2,4,... [k=10] [split=test]",
     "index recall, recall and speed of an index at each value of its search knob", sweep_opts,
     "@index", 0,
     "One row per value: index_recall@K (overlap with the exact top K), the protocol's\n"
     "recall@K through the index, queries per second on one thread and on all, latency\n"
     "p50/p99 (wall clock), and cpu_us_1, cpu_us: CPU microseconds per query on one\n"
     "thread and on all. 'plot sweep' then draws queries per second against index recall."},
    {"recommend", tt_cmd_recommend, 1, 1, "recommend MODEL user=ID [k=10] [index=NAME]",
     "a user's top items now (titles and scores), leaving out the items the user has seen",
     recommend_opts, "@model", 0,
     "The user's query is built from the user's last interactions (the history the\n"
     "model reads) in the whole dataset; every item the user has interacted with is\n"
     "left out. user= is the id in the data (u.data's user id for MovieLens)."},
    {"similar", tt_cmd_similar, 1, 1, "similar MODEL item=ID [k=10] [index=NAME]",
     "the items nearest to an item by the model's item vectors", similar_opts, "@model", 0,
     "Scores are the model's similarity between item vectors (cosine for sim=cos)."},
    {"weights", tt_cmd_weights, 1, 1, "weights MODEL [tower=both] [split=valid] [by=FEATURE|activity]",
     "SENet or Light-SE field weights per feature (mean, std, min, max)", weights_opts, "@model", 0,
     "Features are ranked by mean weight. A feature is marked suppressed when its mean\n"
     "is below half the median of its tower's features (a tower of one feature never\n"
     "suppresses it)."},
    {"interests", tt_cmd_interests, 1, 1, "interests MODEL [user=ID] [top=5] [split=test]",
     "a multi-interest model's interests: active counts and wins, or one user's top items per interest",
     interests_cmd_opts, "@model", 0,
     "Without user=: one row per interest: how many users have it active (MIND's K'u\n"
     "or all K for attention) and how many held-out items it scores best. With user=:\n"
     "each active interest's top items (titles where the dataset has them), the user's\n"
     "earlier items left out, and which interest scores the held-out item best."},
    {"ablate", tt_cmd_ablate, 1, -1, "ablate MODEL [FEATURE ...] [mode=zero|shuffle] [split=test]",
     "metrics with a feature zeroed or shuffled, against the intact model", ablate_opts,
     "@model @feature...", 0, "Without FEATURE every feature of the model is ablated in turn."},
    {"compare", tt_cmd_compare, 1, -1, "compare MODEL ... [split=test] [k=...]",
     "models side by side: metrics (mean ± std over seeds), parameters, training time",
     compare_opts, "@model...", 0, NULL},
    {"tune", tt_cmd_tune, 2, -1, "tune MODEL PARAM=v1,v2,... [PARAM2=...] [metric=recall@20]",
     "grid search on valid: the best setting becomes the model, its test metrics reported once",
     NULL, "@model", 1,
     "Each setting is fitted or trained on the training part and scored on valid only\n"
     "(metric: recall@K, ndcg@K, hitrate@K or mrr); one line per setting; Ctrl-C stops\n"
     "the grid and keeps the best so far. Baselines take their options (ease: lambda;\n"
     "itemknn: k, shrink; ials: dim, iters, lambda, w0, nu, std), two-towers temp, lr,\n"
     "epochs, batch, wd, dim (both towers) and r (SENet), and any model option, words\n"
     "too: loss=softmax,inbatch sim=cos,dot user=u,us (as `with` takes them)."},
    {"rank", tt_cmd_rank, 2, -1, "rank MODEL MODEL ... [metric=recall@20] [split=test] [by=...]",
     "models ordered by one metric, and who leads by how much, computed from the numbers",
     rank_opts, "@model...", 0,
     "The verdict line says which model leads, by how much over the next, and whether\n"
     "the gap stands clear of the spread over seeds (models trained with seeds=);\n"
     "a lesson's narration reads it instead of stating a ranking itself. Trained\n"
     "models are ranked by their runs' test metrics (mean over seeds); others, and\n"
     "split=valid or by=, by a fresh evaluation."},
    {"history", tt_cmd_history, 1, 1, "history MODEL",
     "the model's training record: loss, valid Recall@20 and NDCG@20, seconds per epoch",
     NULL, "@model", 0,
     "One row per epoch (every seed after seeds=), * on the epoch the model keeps.\n"
     "seconds is the training time at the end of the epoch: evaluation and pauses\n"
     "excluded. The history is saved in model files, so it works after open.\n"
     "A fitted model (EASE, ItemKNN, iALS) has one row and no loss column: it is\n"
     "fitted, not trained by steps, so it has no training loss."},
    {"plot", tt_cmd_plot, 1, -1,
     "plot loss|recall [MODEL ...] [to FILE] | plot weights|weights-history MODEL [tower=user] [to FILE] | plot sweep [INDEX ...] [to FILE]",
     "plot training loss, valid recall or SENet/Light-SE weights with gnuplot", plot_opts,
     "loss|recall|weights|weights-history|sweep @model...", 0,
     "loss and recall draw one curve per model, one per seed after seeds= (default:\n"
     "every trained model);\n"
     "weights draws the mean excitation weight of each feature, weights-history\n"
     "each feature's weight over the epochs. 'to FILE' (.png, .svg, .pdf) writes a\n"
     "file; otherwise the plot setting decides (a window, or text in the terminal)."},
    {"save", tt_cmd_save, 2, 2, "save MODEL FILE",
     "write a model file (schema, vocabularies, definitions, parameters, checksum)", NULL,
     "@model @file", 0, NULL},
    {"open", tt_cmd_open, 1, 3, "open FILE [as NAME]",
     "read a model file saved by save, checking every part", NULL, "@file as", 0, NULL},
    {"export", tt_cmd_export, 3, 3, "export MODEL items|users|metrics|index FILE [index=NAME]",
     "write embeddings (.npy, or .tsv with a metadata .tsv), metrics (.csv, .json) or a Faiss index",
     export_opts, "@model items|users|metrics|index @file", 0,
     "export M index FILE writes a Faiss index file (faiss.read_index reads it) and\n"
     "FILE.ids.tsv beside it: row, item id and title of every row of the index."},
    {"set", tt_cmd_set, 1, 2, "set NAME VALUE | set NAME=VALUE", "change a setting", NULL,
     "@setting", 1, NULL, TT_CMD_SAFE},
    {"show", tt_cmd_show, 0, 2, "show [SETTING] | show tower T | show model M | show towers|models|dataset|split",
     "show settings, or a definition as the line that recreates it", NULL,
     "tower|model|towers|models|dataset|split|@setting @any", 0,
     "Without an argument, every setting (see 'help set'); a tower or model is printed\n"
     "as the line that recreates it.", TT_CMD_SAFE},
    {"let", tt_cmd_let, 0, -1, "let NAME = VALUE ... | let NAME | let",
     "define a variable, used as $NAME or ${NAME:-default} in later commands", NULL, "", 1,
     "Variables are expanded in every command (not inside single quotes); the\n"
     "environment and -D NAME=VALUE define them too. ${NAME:-default} gives the\n"
     "default when NAME is unset or empty, e.g. train m epochs=${EPOCHS:-20}.\n"
     "let NAME prints a value; let alone lists the session's variables.", TT_CMD_SAFE},
    {"require", tt_cmd_require, 1, -1, "require PATH [MESSAGE ...]",
     "stop with MESSAGE (an error) unless the file or folder PATH exists", NULL, "@file", 1,
     "For scripts that need data: require ${ML100K:-../shared/data/ml-100k}/u.data\n"
     "\"MovieLens-100K not found: run datasets/fetch-movielens.sh\"", TT_CMD_SAFE},
    {"source", tt_cmd_source, 1, 1, "source FILE", "run the commands of a file", NULL, "@file", 0,
     "Settings the file changes (set ...) last until it ends: the session's come back.\n"
     "Its datasets, towers, models and variables stay."},
    {"note", tt_cmd_note, 0, -1, "note TEXT", "print narration (walkthroughs)", NULL, "", 1, NULL, TT_CMD_SAFE},
    {"pause", tt_cmd_pause, 0, -1, "pause [TEXT]", "wait for Enter on a terminal; nothing in scripts",
     NULL, "", 1, "Ctrl-D at the pause leaves ttlab, as at the prompt (the script stops there)."},
    {"echo", tt_cmd_echo, 0, -1, "echo TEXT", "print text", NULL, "", 1, NULL, TT_CMD_SAFE},
    {"list", tt_cmd_list, 0, 1, "list [datasets|towers|models|indexes]", "list what the session holds",
     NULL, "datasets|towers|models|indexes", 0, NULL, TT_CMD_SAFE},
    {"drop", tt_cmd_drop, 1, 2, "drop dataset|tower|model|index NAME", "remove something from the session",
     NULL, "dataset|tower|model|index @any", 0, NULL, TT_CMD_SAFE},
    {"help", tt_cmd_help, 0, 1, "help [COMMAND|PREFIX|STAGE|SETTING]",
     "list commands, or show one command's usage and options", NULL, "@command", 0, NULL, TT_CMD_SAFE},
    {"quit", tt_cmd_quit, 0, 0, "quit", "leave ttlab (Ctrl-D too)", NULL, "", 0, NULL, TT_CMD_SAFE},
};
const int tt_n_cmds = (int)TT_ARRAY_LEN(tt_cmds);
#pragma GCC diagnostic pop

/* ---- helpers ---- */

const char *tt_cmd_suggest(const char *name)
{
    const char *cands[TT_ARRAY_LEN(tt_cmds)];  /* one per row, however many rows */
    for (int i = 0; i < tt_n_cmds; i++)
        cands[i] = tt_cmds[i].name;
    return tt_suggest(name, cands, tt_n_cmds);
}

const tt_cmd *tt_cmd_find(const char *name)
{
    for (int i = 0; i < tt_n_cmds; i++)
        if (strcmp(tt_cmds[i].name, name) == 0)
            return &tt_cmds[i];
    return NULL;
}

int tt_optspec_count(const tt_optspec *o)
{
    int n = 0;
    while (o && o[n].key)
        n++;
    return n;
}

const tt_optspec *tt_optspec_find(const tt_optspec *o, const char *key)
{
    for (; o && o->key; o++)
        if (strcmp(o->key, key) == 0)
            return o;
    return NULL;
}

const char *tt_opt_values(const tt_optspec *o)
{
    if (o->values && !strcmp(o->values, "@loss"))
        return tt_loss_names();
    return o->values;
}

/* ---- options bound to struct fields ---- */

/* Room for any bound struct's defaults (tt_opts_check_binds checks sizes). */
#define BIND_ROOM 4096

static void bound_bug(const tt_optspec *o)
{
    fprintf(stderr, "ttlab: bug: option '%s' is bound to %zu bytes at %zu of %s, which its type cannot hold\n",
            o->key, o->size, o->off, o->bind->name);
    abort();
}

/* Read (to != 0: write) the field of bound option o in the struct at p. */
static void bound_io(const tt_optspec *o, unsigned char *p, tt_optval *v, int to)
{
    unsigned char *f = p + o->off;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    const char *str;
#define IO(var, get, put) do { if (to) { var = put; memcpy(f, &var, sizeof var); } \
                               else { memcpy(&var, f, sizeof var); get; } } while (0)
    if (o->bind->size > BIND_ROOM || o->off + o->size > o->bind->size)
        bound_bug(o);
    switch (o->type) {
    case TT_O_INT:
        if (o->size == 4)
            IO(i32, v->i = i32, (int32_t)v->i);
        else if (o->size == 8)
            IO(i64, v->i = i64, v->i);
        else
            bound_bug(o);
        v->d = (double)v->i;
        break;
    case TT_O_NUM:
        if (o->size == 4)
            IO(f32, v->d = f32, (float)v->d);
        else if (o->size == 8)
            IO(f64, v->d = f64, v->d);
        else
            bound_bug(o);
        break;
    case TT_O_ENUM:
    case TT_O_BOOL:
        if (o->size != sizeof(int32_t))
            bound_bug(o);
        IO(i32, v->i = i32, (int32_t)v->i);
        break;
    case TT_O_STR:
    case TT_O_NAMES:
        if (o->size > sizeof(const char *)) {          /* a char array */
            if (!to)
                v->s = (const char *)f;
            else if (v->s)
                snprintf((char *)f, o->size, "%s", v->s);
            break;
        }
        if (o->size != sizeof(const char *))
            bound_bug(o);
        IO(str, v->s = str, v->s);
        break;
    case TT_O_INTS: {                                  /* int count, then the array */
        int cap = (int)(o->size / sizeof(int32_t)) - 1;
        if (o->size % sizeof(int32_t) || cap < 1 || cap > TT_LIST_MAX)
            bound_bug(o);
        if (to) {
            i32 = v->n < cap ? v->n : cap;
            memcpy(f, &i32, sizeof i32);
            for (int k = 0; k < i32; k++) {
                int32_t x = (int32_t)v->list[k];
                memcpy(f + sizeof(int32_t) * (size_t)(k + 1), &x, sizeof x);
            }
        } else {
            memcpy(&i32, f, sizeof i32);
            v->n = i32 < 0 ? 0 : i32 < cap ? i32 : cap;
            for (int k = 0; k < v->n; k++) {
                int32_t x;
                memcpy(&x, f + sizeof(int32_t) * (size_t)(k + 1), sizeof x);
                v->list[k] = x;
            }
        }
        break;
    }
    default:
        bound_bug(o);
    }
#undef IO
}

/* The default value of a bound option: its field after the struct's init
 * (buf, BIND_ROOM bytes). */
static void bound_init_read(const tt_optspec *o, tt_optval *v, unsigned char *buf)
{
    if (o->bind->size > BIND_ROOM)
        bound_bug(o);
    o->bind->init(buf);
    memset(v, 0, sizeof *v);
    bound_io(o, buf, v, 0);
}

/* ... as a value to keep: a char array's text would point into the gone
 * struct, so it reads as NULL (applying NULL leaves init's text). */
static void bound_default(const tt_optspec *o, tt_optval *v)
{
    _Alignas(16) unsigned char buf[BIND_ROOM];
    bound_init_read(o, v, buf);
    if ((o->type == TT_O_STR || o->type == TT_O_NAMES) && o->size > sizeof(const char *))
        v->s = NULL;
}

void tt_opts_apply(const tt_optspec *specs, const tt_optval *vals, const tt_optbind *b,
                   void *dst, int all)
{
    for (int i = 0; specs && specs[i].key; i++)
        if (specs[i].bind == b && (all || vals[i].set))
            bound_io(&specs[i], dst, (tt_optval *)&vals[i], 1);
}

void tt_opt_store(const tt_optspec *o, const tt_optval *v, void *dst)
{
    bound_io(o, dst, (tt_optval *)(uintptr_t)v, 1);
}

void tt_args_apply(const tt_args *a, const tt_optbind *b, void *dst)
{
    tt_opts_apply(a->cmd->opts, a->opt, b, dst, 0);
}

const char *tt_enum_word(const char *values, int64_t k, char *buf, size_t n)
{
    const char *p = values;
    for (int64_t i = 0; p && i < k; i++) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (!p || k < 0)
        return snprintf(buf, n, "?"), buf;
    const char *e = strchr(p, '|');
    snprintf(buf, n, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
    return buf;
}

/* A bound option's value v as it would be typed, into buf; NULL for none. */
static const char *bound_text(const tt_optspec *o, const tt_optval *v, char *buf, size_t n)
{
    switch (o->type) {
    case TT_O_INT:
        snprintf(buf, n, "%lld", (long long)v->i);
        break;
    case TT_O_NUM:
        snprintf(buf, n, "%g", v->d);
        break;
    case TT_O_ENUM:
        tt_enum_word(tt_opt_values(o), v->i, buf, n);
        break;
    case TT_O_BOOL:
        snprintf(buf, n, "%s", v->i ? "on" : "off");
        break;
    case TT_O_STR:
    case TT_O_NAMES:
        if (!v->s)
            return NULL;
        snprintf(buf, n, "%s", v->s);
        break;
    case TT_O_INTS: {
        size_t j = 0;
        buf[0] = 0;
        for (int i = 0; i < v->n && j < n; i++)
            j += (size_t)snprintf(buf + j, n - j, i ? ",%lld" : "%lld", (long long)v->list[i]);
        break;
    }
    default:
        return NULL;
    }
    return buf;
}

const char *tt_opt_default(const tt_optspec *o, char *buf, size_t n)
{
    _Alignas(16) unsigned char st[BIND_ROOM];
    tt_optval v;
    if (!o->bind)
        return o->def;
    bound_init_read(o, &v, st);
    return bound_text(o, &v, buf, n);
}

const char *tt_opt_text(const tt_optspec *o, const void *p, char *buf, size_t n)
{
    tt_optval v;
    memset(&v, 0, sizeof v);
    bound_io(o, (unsigned char *)(uintptr_t)p, &v, 0);
    return bound_text(o, &v, buf, n);
}

/* "a|b|c" -> "a, b or c" */
const char *tt_list_words(const char *values, char *buf, int n)
{
    int j = 0;
    int bars = 0, seen = 0;
    for (const char *p = values; *p; p++)
        bars += *p == '|';
    for (const char *p = values; *p && j < n - 5; p++) {
        if (*p == '|') {
            seen++;
            j += snprintf(buf + j, (size_t)(n - j), seen == bars ? " or " : ", ");
        } else {
            buf[j++] = *p;
        }
    }
    buf[j < n ? j : n - 1] = 0;
    return buf;
}

/* A whole number: 0, -1 when it is not one, -2 when it is one but beyond
 * the 64-bit range (a range error, not a "needs a whole number"). */
static int parse_int(const char *t, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (!*t || *end)
        return -1;
    if (errno == ERANGE)
        return -2;
    if (errno)
        return -1;
    *out = v;
    return 0;
}

static int range_fail(tt_session *s, const tt_optspec *o, double v, const char *text)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, o->type == TT_O_NUM ? "%g" : "%.0f", o->min);
    snprintf(hi, sizeof hi, o->type == TT_O_NUM ? "%g" : "%.0f", o->max);
    if (v < o->min) {
        if (o->type == TT_O_NUM && o->min > 0 && o->min < 1e-6)
            return tt_fail(s, 0, "%s must be greater than 0 (got %s)", o->key, text);
        return tt_fail(s, 0, "%s must be at least %s (got %s)", o->key, lo, text);
    }
    return tt_fail(s, 0, "%s must be at most %s (got %s)", o->key, hi, text);
}

int tt_opt_parse_value(tt_session *s, const tt_optspec *o, const char *text,
                       tt_optval *v)
{
    char buf[256], sug[64];
    switch (o->type) {
    case TT_O_INT: {
        int pr = parse_int(text, &v->i);
        if (pr == -2)
            return range_fail(s, o, text[0] == '-' ? -1e300 : 1e300, text);
        if (pr)
            return tt_fail(s, 0, "%s needs a whole number, got '%s'", o->key, text);
        if ((double)v->i < o->min || (double)v->i > o->max)
            return range_fail(s, o, (double)v->i, text);
        v->d = (double)v->i;
        break;
    }
    case TT_O_NUM: {
        char *end;
        errno = 0;
        double d = strtod(text, &end);
        if (!*text || *end || errno || !isfinite(d))
            return tt_fail(s, 0, "%s needs a number, got '%s'", o->key, text);
        if (d < o->min || d > o->max)
            return range_fail(s, o, d, text);
        v->d = d;
        break;
    }
    case TT_O_ENUM: {
        int idx = 0;
        const char *p = tt_opt_values(o);
        size_t tl = strlen(text);
        while (p && *p) {
            const char *e = strchr(p, '|');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (l == tl && strncmp(p, text, l) == 0) {
                v->i = idx;
                v->s = text;
                return 0;
            }
            idx++;
            p = e ? e + 1 : NULL;
        }
        if (tt_suggest_list(text, tt_opt_values(o), sug, sizeof sug))
            return tt_fail(s, 0, "unknown %s '%s' (expected %s): did you mean '%s'?",
                           o->key, text, tt_list_words(tt_opt_values(o), buf, sizeof buf), sug);
        return tt_fail(s, 0, "unknown %s '%s' (expected %s)", o->key, text,
                       tt_list_words(tt_opt_values(o), buf, sizeof buf));
    }
    case TT_O_INTS: {
        v->n = 0;
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", text);
        char *save = NULL;
        if (!*text)
            return tt_fail(s, 0, "%s needs a comma list of whole numbers", o->key);
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int64_t x;
            if (parse_int(t, &x))
                return tt_fail(s, 0, "%s needs a comma list of whole numbers, got '%s'",
                               o->key, text);
            if ((double)x < o->min || (double)x > o->max)
                return range_fail(s, o, (double)x, t);
            if (v->n == TT_LIST_MAX)
                return tt_fail(s, 0, "%s takes at most %d values", o->key, TT_LIST_MAX);
            v->list[v->n++] = x;
        }
        if (text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,"))
            return tt_fail(s, 0, "%s needs a comma list of whole numbers, got '%s'",
                           o->key, text);
        break;
    }
    case TT_O_STR:
        if (!*text)
            return tt_fail(s, 0, "%s needs a value", o->key);
        v->s = text;
        break;
    case TT_O_NAMES:
        v->s = strcmp(text, "none") ? text : "";
        break;
    case TT_O_BOOL:
        if (!strcmp(text, "on") || !strcmp(text, "1") || !strcmp(text, "yes") ||
            !strcmp(text, "true"))
            v->i = 1;
        else if (!strcmp(text, "off") || !strcmp(text, "0") || !strcmp(text, "no") ||
                 !strcmp(text, "false"))
            v->i = 0;
        else
            return tt_fail(s, 0, "%s is on or off, got '%s'", o->key, text);
        break;
    }
    return 0;
}

int tt_opts_parse(tt_session *s, const char *what, const tt_optspec *specs,
                  tt_tok *tok, int n, const char *first, tt_optval *vals)
{
    int ns = tt_optspec_count(specs);
    for (int i = 0; i < ns; i++) {
        memset(&vals[i], 0, sizeof vals[i]);
        if (specs[i].bind)
            bound_default(&specs[i], &vals[i]);
        else if (specs[i].def && tt_opt_parse_value(s, &specs[i], specs[i].def, &vals[i]))
            return -1;                 /* a bad default is a bug in the table */
    }
    for (int t = 0; t < n; t++) {
        char key[64];
        if (!tt_tok_is_kv(&tok[t]))
            continue;
        tt_tok_key(&tok[t], key, sizeof key);
        const tt_optspec *o = tt_optspec_find(specs, key);
        if (!o) {
            const char *cands[TT_OPT_MAX];
            for (int i = 0; i < ns && i < TT_OPT_MAX; i++)
                cands[i] = specs[i].sub && first && strcmp(specs[i].sub, first) ? NULL
                                                                                  : specs[i].key;
            const char *sug = tt_suggest(key, cands, ns < TT_OPT_MAX ? ns : TT_OPT_MAX);
            if (sug)
                return tt_fail(s, 0, "unknown option '%s' for %s: did you mean '%s'?",
                               key, what, sug);
            if (ns == 0)
                return tt_fail(s, 0, "%s takes no options (got '%s')", what, key);
            return tt_fail(s, 0, "unknown option '%s' for %s (see 'help %s')", key, what,
                           what);
        }
        int idx = (int)(o - specs);
        if (o->sub && (!first || strcmp(o->sub, first)))
            return tt_fail(s, 0, "option '%s' applies to '%s %s' only", key, what, o->sub);
        if (vals[idx].set)
            return tt_fail(s, 0, "option '%s' given twice", key);
        tt_optval nv;
        memset(&nv, 0, sizeof nv);
        if (tt_opt_parse_value(s, o, tt_tok_val(&tok[t]), &nv))
            return -1;
        nv.set = 1;
        nv.col = tok[t].col;
        vals[idx] = nv;
    }
    return 0;
}

const tt_optval *tt_arg(const tt_args *a, const char *key)
{
    const tt_optspec *o = tt_optspec_find(a->cmd->opts, key);
    if (!o) {
        fprintf(stderr, "ttlab: bug: the handler of '%s' asks for option '%s', which its table lacks\n",
                a->cmd->name, key);
        abort();
    }
    return &a->opt[o - a->cmd->opts];
}

tt_dsent *tt_use_data(tt_session *s, tt_dsent *d)
{
    if (d)
        snprintf(s->err_ds, sizeof s->err_ds, "%s", d->name);
    return d;
}

/* Every error names the dataset it means: when several datasets are loaded
 * and the failed command worked on one (tt_use_data) that its message does
 * not name, the message starts with "dataset 'NAME': ". */
static void name_dataset(tt_session *s)
{
    const char *ds = tt_session_unnamed_ds(s, s->err.msg);
    if (ds)
        tt_err_prefix(&s->err, "dataset '%s'", ds);
}

int tt_cmd_run(tt_session *s, tt_tok *toks, int n)
{
    tt_args *a;
    int rc;
    if (n <= 0)
        return 0;
    s->err_col = 0;
    s->err.msg[0] = 0;
    s->err_ds[0] = 0;
    if (toks[0].kind != TT_TOK_WORD)
        return tt_fail(s, toks[0].col, "expected a command, got '%s'", toks[0].s);
    const tt_cmd *c = tt_cmd_find(toks[0].s);
    if (!c) {
        const char *sug = tt_cmd_suggest(toks[0].s);
        if (!strcmp(toks[0].s, "exit") || !strcmp(toks[0].s, ".quit") ||
            !strcmp(toks[0].s, "q"))
            sug = "quit";
        if (sug)
            return tt_fail(s, 0, "unknown command '%s': did you mean '%s'?", toks[0].s, sug);
        return tt_fail(s, 0, "unknown command '%s' (type 'help' for the list)", toks[0].s);
    }
    a = calloc(1, sizeof *a);
    if (!a)
        return tt_fail(s, 0, "out of memory");
    a->cmd = c;
    a->tok = toks;
    a->n = n;
    for (int i = 1; i < n; i++) {
        if (!c->raw && (toks[i].kind != TT_TOK_WORD)) {
            rc = tt_fail(s, toks[i].col, "unexpected '%s' in %s", toks[i].s, c->name);
            s->err_col = 0;
            goto out;
        }
        if (c->raw || !tt_tok_is_kv(&toks[i])) {
            if (a->npos == TT_POS_MAX) {
                rc = tt_fail(s, 0, "too many words for %s", c->name);
                goto out;
            }
            a->pos[a->npos++] = &toks[i];
        }
    }
    if (a->npos < c->min) {
        rc = tt_fail(s, 0, "%s needs %s: usage: %s", c->name,
                     c->min - a->npos == 1 ? "an argument" : "more arguments", c->usage);
        goto out;
    }
    if (c->max >= 0 && a->npos > c->max) {
        rc = tt_fail(s, 0, "too many arguments for %s ('%s'): usage: %s", c->name,
                     a->pos[c->max]->s, c->usage);
        goto out;
    }
    /* Options limited to a form of the command ("load synthetic", "export
     * M users") are checked against the positional word naming that form. */
    const char *form = a->npos ? a->pos[0]->s : NULL;
    for (int i = 0; c->opts && i < a->npos; i++)
        for (const tt_optspec *o = c->opts; o->key; o++)
            if (o->sub && !strcmp(o->sub, a->pos[i]->s))
                form = o->sub;
    if (!c->raw && tt_opts_parse(s, c->name, c->opts, toks + 1, n - 1, form, a->opt)) {
        rc = -1;
        goto out;
    }
    if (s->sandbox && !(c->flags & TT_CMD_SAFE)) {
        rc = 0;                        /* checked, not run */
        goto out;
    }
    rc = c->fn(s, a);
    if (rc)
        name_dataset(s);
out:
    free(a);
    return rc;
}

/* ---- lookups shared by handlers ---- */

static const char *suggest_name(tt_session *s, const char *name, int kind)
{
    const char *cands[256];
    int n = 0;
    if (kind == 0)
        for (int i = 0; i < s->n_models && n < 256; i++)
            cands[n++] = s->models[i].def.name;
    else if (kind == 1)
        for (int i = 0; i < s->n_towers && n < 256; i++)
            cands[n++] = s->towers[i].name;
    return tt_suggest(name, cands, n);
}

tt_modelent *tt_need_model(tt_session *s, const tt_tok *t)
{
    tt_modelent *m = tt_session_model(s, t->s);
    if (m)
        return m;
    const char *sug = suggest_name(s, t->s, 0);
    if (sug)
        tt_fail(s, 0, "no model '%s': did you mean '%s'?", t->s, sug);
    else if (s->n_models == 0)
        tt_fail(s, 0, "no model '%s' (no models defined yet: see 'help model')", t->s);
    else
        tt_fail(s, 0, "no model '%s' (see 'list models')", t->s);
    return NULL;
}

tt_tower_def *tt_need_tower(tt_session *s, const tt_tok *t)
{
    tt_tower_def *d = tt_session_tower(s, t->s);
    if (d)
        return d;
    const char *sug = suggest_name(s, t->s, 1);
    if (sug)
        tt_fail(s, t->col, "no tower '%s': did you mean '%s'?", t->s, sug);
    else if (s->n_towers == 0)
        tt_fail(s, t->col, "no tower '%s' (no towers defined yet: see 'help tower')", t->s);
    else
        tt_fail(s, t->col, "no tower '%s' (see 'list towers')", t->s);
    return NULL;
}

int tt_need_data(tt_session *s, tt_modelent *me, tt_dsent **out, int need_split)
{
    tt_dsent *d = tt_use_data(s, tt_session_dataset(s, me->dataset));
    if (!d)
        return tt_fail(s, 0, "model '%s' was built for dataset '%s', which is no longer loaded",
                       me->def.name, me->dataset);
    if (need_split && !d->has_split)
        return tt_fail(s, 0, "dataset '%s' has no split yet: run 'split l2o' first", d->name);
    *out = d;
    return 0;
}

int tt_check_name(tt_session *s, const tt_tok *t, const char *what)
{
    const char *p = t->s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return tt_fail(s, t->col, "bad %s name '%s': names start with an ASCII letter (a-z, A-Z)",
                       what, t->s);
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return tt_fail(s, t->col,
                           "bad %s name '%s': use ASCII letters, digits, '_', '-' and '.'", what,
                           t->s);
    if (strlen(t->s) >= TT_NAME_MAX)
        return tt_fail(s, t->col, "%s name '%s' is too long (at most %d characters)", what,
                       t->s, TT_NAME_MAX - 1);
    return 0;
}

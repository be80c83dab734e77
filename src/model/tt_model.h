/* tt_model: tower and model definitions (plain data the session parses and
 * prints) and the runtime two-tower / popularity models built from them. */
#ifndef TT_MODEL_H
#define TT_MODEL_H

#include <signal.h>
#include <stdint.h>
#include "tt_dataset.h"
#include "tt_split.h"
#include "tt_layers.h"

#define TT_NAME_MAX 64
#define TT_MAX_FIELDS 32
#define TT_MAX_CHAN 4
#define TT_MAX_LAYERS 8

enum tt_chan_kind { TT_CH_MLP = 0, TT_CH_FM = 1, TT_CH_CROSS = 2 };

/* One channel of a tower, over the (re-weighted) field embeddings.
 * MLP: concat -> dense widths[0] -> relu -> ... -> dense widths[n-1] (linear).
 * FM: vector-form FM, output size = embedding dim.
 * CROSS: n_layers cross layers over the concat, then dense to `out`. */
typedef struct tt_chan_def {
    enum tt_chan_kind kind;
    int n_widths;
    int widths[TT_MAX_LAYERS];  /* MLP */
    int n_layers;               /* CROSS */
    int out;                    /* CROSS projection size; output size of any channel */
} tt_chan_def;

/* The re-weighting stage of a tower (at most one): none, SENet, or Light-SE
 * (IntTower). Both give one weight per field that `weights`, the dashboard
 * and the plots read out (tt_model_senet_*). */
enum tt_reweight { TT_RW_NONE = 0, TT_RW_SENET = 1, TT_RW_LIGHTSE = 2 };
/* The stage's name ("senet", "lightse") and its title ("SENet", "Light-SE"),
 * NULL for TT_RW_NONE. Inline: the dashboard reads them without the model. */
static inline const char *tt_reweight_name(int rw)
{
    return rw == TT_RW_SENET ? "senet" : rw == TT_RW_LIGHTSE ? "lightse" : NULL;
}
static inline const char *tt_reweight_title(int rw)
{
    return rw == TT_RW_SENET ? "SENet" : rw == TT_RW_LIGHTSE ? "Light-SE" : NULL;
}

/* A tower: embed dim=K [fields=a,b] | [senet ...|lightse] | mlp ... | [l2norm]
 * or with several channels: ... | channels (mlp 64 32) (fm) (cross 2 out=16) */
typedef struct tt_tower_def {
    char name[TT_NAME_MAX];
    int dim;                                  /* embedding dim for every field */
    int n_fields;                             /* 0 = all fields of the side */
    char fields[TT_MAX_FIELDS][TT_NAME_MAX];
    int senet;                                /* the re-weighting stage: TT_RW_* */
    int se_r;                                 /* reduction ratio (default 2) */
    enum tt_squeeze se_squeeze;
    enum tt_gate se_gate;
    int se_groups;                            /* 0 field-wise, G bit-wise */
    int n_chan;
    tt_chan_def chan[TT_MAX_CHAN];
    int l2norm;                               /* explicit l2norm stage */
    /* The interests stage (user tower, instead of mlp/channels): K vectors
     * per user from the history field, by ComiRec-SA attention or MIND
     * routing, each projected to mi_out (tt_tower_mi.c). */
    int interests;                            /* 1: the tower has the stage */
    int mi_via;                               /* TT_MI_ATTENTION or TT_MI_ROUTING */
    int mi_k;                                 /* K (default 4) */
    int mi_out;                               /* width of each interest vector */
    int mi_hidden;                            /* attention's hidden width (0: 4 * dim) */
    float mi_pow;                             /* training's interest per target: 0 the hard
                                                 pick, p > 0 label-aware attention */
    int mi_proj;                              /* TT_MI_PROJ_LINEAR or TT_MI_PROJ_NONE */
    int mi_iters;                             /* routing iterations (default 3, MIND's) */
} tt_tower_def;
enum tt_mi_via { TT_MI_ATTENTION = 0, TT_MI_ROUTING = 1 };
/* proj=none: no routing map S, no projection: the interests stay in the
 * item embedding space (the history's own item_id vectors, combined). */
enum tt_mi_proj { TT_MI_PROJ_LINEAR = 0, TT_MI_PROJ_NONE = 1 };
#define TT_MI_MAXK 16
#define TT_MI_MAXITERS 16

/* The kinds of model, in the order of the kind table (tt_mkind.h). Model
 * files store a kind's code (tt_mkind.code), not this number. */
enum tt_model_kind { TT_MODEL_POP = 0, TT_MODEL_TWOTOWER = 1, TT_MODEL_EASE = 2,
                     TT_MODEL_ITEMKNN = 3, TT_MODEL_IALS = 4, TT_MODEL_NKINDS = 5 };
#define TT_KOPT_MAX 8             /* options of a baseline kind (tt_mkind.h) */
/* The values of these enums (and of tt_model_kind above) are stored in model
 * files (tt_modelfile.c, DEFS): fixed codes, never renumbered, new ones appended. */
enum tt_sim { TT_SIM_COS = 0, TT_SIM_DOT = 1 };
enum tt_fusion { TT_FUSE_SUM = 0, TT_FUSE_CONCAT = 1 };
/* A loss is a row of the loss table (tt_losses.h); its id is the row's
 * place. The first rows have names here for code and tests; a row added
 * later needs none (tt_loss_by_name). */
enum tt_loss_kind { TT_LOSS_SOFTMAX = 0, TT_LOSS_INBATCH = 1, TT_LOSS_SAMPLED = 2,
                    TT_LOSS_BCE = 3, TT_LOSS_BPR = 4 };
enum tt_sampler { TT_SAMPLE_UNIFORM = 0, TT_SAMPLE_POP = 1 };
/* DAT (Yu et al., "A Dual Augmented Two-tower Model for Online Large-scale
 * Recommendation", DLP-KDD 2021): a learned augmented vector a_u per user_id
 * and a_v per item_id, each concatenated to its own tower's MLP input; the
 * adaptive-mimic loss pulls a_u towards the item tower's output p_v of the
 * user's positive and a_v towards the user tower's output p_u (p held
 * constant), so each side carries information from the other. */
enum tt_augment { TT_AUG_NONE = 0, TT_AUG_DAT = 1 };
/* IntTower's FE-Block (Li et al., CIKM 2022), interact=fe heads=H: the user
 * tower's output q (D) is read as H heads q_h of width dh = D / H; the item
 * tower's output p (D) is projected into G vectors v_g = W_g p + b_g (G = the
 * item tower's fields, one vector per field; L2-normalised under sim=cos),
 * and s(u, i) = sum_h max_g <q_h, v_g>. The item vectors depend on the item
 * alone: they are precomputed per item, and retrieval stays two-tower. */
enum tt_interact { TT_INTERACT_NONE = 0, TT_INTERACT_FE = 1 };

/* model NAME = twotower U I sim=cos temp=0.05 loss=softmax ... */
typedef struct tt_model_def {
    char name[TT_NAME_MAX];
    enum tt_model_kind kind;
    char user_tower[TT_NAME_MAX], item_tower[TT_NAME_MAX];
    enum tt_sim sim;          /* cos: every channel output is L2-normalised */
    float temp;               /* default 0.05 */
    enum tt_fusion fusion;    /* channels: sum of per-channel scores or concat */
    enum tt_loss_kind loss;
    int logq;                 /* in-batch / sampled: logQ correction */
    int mask_hits;            /* in-batch / sampled: mask accidental hits (default 1) */
    int neg;                  /* sampled / bce / bpr: negatives per example;
                                 0 = the loss's default (tt_model_negatives) */
    enum tt_sampler sampler;
    float alpha;              /* popularity^alpha sampler exponent (default 0.75) */
    enum tt_augment augment;  /* none, or dat (needs user_id / item_id fields
                                 and one mlp stage per tower) */
    float dat_w;              /* weight of the adaptive-mimic loss (default 0.5) */
    enum tt_interact interact; /* none, or fe (loss=softmax or inbatch) */
    int heads;                /* interact=fe: user heads H, dividing the width (default 4) */
    float cir;                /* weight of IntTower's contrastive interaction
                                 regulariser (0 off): in-batch softmax of the
                                 user output against the positives' item outputs */
    float dat_ca;             /* weight of DAT's category alignment loss (0 off) */
    char dat_cat[TT_NAME_MAX];/* its item category field ("" = a field named category) */
    double kopt[TT_KOPT_MAX]; /* a baseline kind's options, in its table's order */
} tt_model_def;

/* The defaults of a tower's stages (embed dim 16; senet r=2, squeeze mean,
 * gate sigmoid, groups 0), the one place they are written: `tower` takes
 * them from here through its option table. */
void tt_tower_def_init(tt_tower_def *t);
/* A plain tower built in code (tests, benches): the defaults above, named
 * name, embed dim, one mlp channel of widths w[0..n) (n <= TT_MAX_LAYERS),
 * l2norm when l2norm is set: `embed dim=D | mlp W.. [| l2norm]`. */
void tt_tower_def_mlp(tt_tower_def *t, const char *name, int dim, const int *w, int n,
                      int l2norm);
/* A channel of kind k with its defaults (cross: projection out=32). */
void tt_chan_def_init(tt_chan_def *c, enum tt_chan_kind k);
void tt_model_def_init(tt_model_def *m);   /* defaults above, loss softmax, sim cos */
/* Negatives the loss uses: neg, or by default its row's (sampled 128, bce 4,
 * bpr 4, others 0). */
int tt_model_negatives(const tt_model_def *m);

typedef struct tt_model tt_model;          /* opaque runtime model */

/* Build a model for dataset d: resolves fields by name (error names the
 * unknown field and the side's fields), checks channel sizes match between
 * towers, initialises parameters as PyTorch's defaults with the seed
 * (dense U(+-1/sqrt(fan_in)), embeddings N(0,1)). u and i unused for POP. */
int tt_model_create(const tt_model_def *md, const tt_tower_def *u,
                    const tt_tower_def *i, const tt_dataset *d, uint64_t seed,
                    tt_model **out, tt_err *err);
void tt_model_free(tt_model *m);

const tt_model_def *tt_model_get_def(const tt_model *m);
const tt_tower_def *tt_model_get_tower(const tt_model *m, int side); /* 0 user, 1 item */
int64_t tt_model_param_count(const tt_model *m);
/* All parameters are one contiguous block (for save/open and NaN checks). */
float *tt_model_params(tt_model *m);
int tt_model_dim(const tt_model *m);       /* width of query and item vectors */
/* FE-Block models (interact=fe) score a query (H heads of width dh, the
 * query vector of tt_model_dim = H dh) against G vectors per item: returns 1
 * and sets *H, *G, *dh; 0 for every other model (one vector each side). */
int tt_model_fe_shape(const tt_model *m, int *H, int *G, int *dh);

/* Fit a model whose kind is fitted rather than trained by gradient steps
 * (popularity, EASE, ItemKNN, iALS: tt_kind_fitted) on sp's training part,
 * with n_threads threads (stop, when not NULL and set, ends an iterative fit
 * early at an iteration boundary). The one place any such model is fitted. */
int tt_model_fit(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
                 volatile sig_atomic_t *stop, tt_err *err);
/* 1 when the model's kind is fitted by tt_model_fit, 0 when it is trained by
 * gradient steps (the two-tower). */
int tt_model_fitted_kind(const tt_model *m);
/* 1 when the model scores items (users) it never saw in training, from
 * their features (the two-tower); 0 for the kinds that score from training
 * interactions (popularity, EASE, ItemKNN, iALS). */
int tt_model_scores_cold(const tt_model *m);
/* 1 once a fitted kind has been fitted (or its parameters opened). */
int tt_model_is_fitted(const tt_model *m);
/* Make the model's derived state from its parameters (after open). */
int tt_model_prepare(tt_model *m, tt_err *err);

/* Evaluation encodings: V (n_items, dim), Q (ex->n, dim). Scores are Q V^T
 * (for cos models, per-channel normalised and summed or concatenated, scaled
 * or not by temperature: ranking is the same). */
int tt_model_encode_items(tt_model *m, const tt_dataset *d, float *V, tt_err *err);
/* The item vectors of an FE-Block model, V (n_items, G, dh) (tt_model_fe_shape);
 * tt_model_encode_items refuses such a model (it has no single item vector). */
int tt_model_encode_item_vectors(tt_model *m, const tt_dataset *d, float *V, tt_err *err);
int tt_model_encode_queries(tt_model *m, const tt_dataset *d,
                            const tt_examples *ex, float *Q, tt_err *err);

/* Multi-interest user towers: vectors per query (the interests stage's K,
 * else 1). With nq > 1, tt_model_encode_queries refuses; encode with
 * tt_model_encode_queries_multi: Q (ex->n, nq, dim), qn (ex->n) the active
 * interests of each example (MIND's K'u; every interest for attention, one
 * for an empty history), inactive ones written as zeros. qn may be NULL. */
int tt_model_query_vectors(const tt_model *m);
int tt_model_encode_queries_multi(tt_model *m, const tt_dataset *d,
                                  const tt_examples *ex, float *Q, int32_t *qn,
                                  tt_err *err);

/* Query vectors of part p's examples, Q (sp->part[p].n, dim), from what is
 * known before the targets: for the baselines, the user's items in the parts
 * before p (train for valid, train + valid for test). */
int tt_model_encode_part(tt_model *m, const tt_dataset *d, const tt_split *sp,
                         enum tt_part p, float *Q, tt_err *err);
/* 1 when the model scores by tiles of the history (tt_model_score_tile)
 * rather than by query and item vectors. */
int tt_model_scores_tiles(const tt_model *m);
/* Scores of items [base, base + w) for the examples idx[0..n) of part p:
 * tile (n, w). Deterministic (the same call gives the same bits) and
 * reentrant (the evaluator calls it from several threads). */
void tt_model_score_tile(const tt_model *m, const tt_split *sp, enum tt_part p,
                         const int64_t *idx, int n, int64_t base, int w, float *tile);

/* Ablation for encode_*: feature (dataset index) zeroed (its embedding output
 * replaced by zeros) or shuffled across rows with seed; feat = -1 clears. */
enum tt_ablate_mode { TT_ABLATE_ZERO = 0, TT_ABLATE_SHUFFLE = 1 };
void tt_model_set_ablation(tt_model *m, int feat, enum tt_ablate_mode mode,
                           uint64_t seed);

/* Re-weighting stage read-out (SENet or Light-SE). Returns the number of
 * fields f of the tower (0 if it has no such stage) and their dataset feature
 * names in names (may be NULL). Weights W: (n, f) field-wise weights: SENet's
 * gate a (for the bit-wise variant, the mean of each field's element
 * weights), Light-SE's softmax a (the field is scaled by 1 + a). For side 1
 * (item) ex is NULL and n = n_items. tt_model_reweight gives the stage kind
 * (TT_RW_*) of a side. */
int tt_model_reweight(const tt_model *m, int side);
int tt_model_senet_fields(const tt_model *m, int side, const char **names);
int tt_model_senet_weights(tt_model *m, int side, const tt_dataset *d,
                           const tt_examples *ex, float *W, tt_err *err);
/* The excitation MLP's shape: returns f (0: no SENet) and sets *hidden (its
 * hidden width, max(1, f / r), f the fields) and *r (the reduction ratio). */
int tt_model_senet_shape(const tt_model *m, int side, int *hidden, int *r);
/* The hidden activations (after the ReLU) of the same rows as
 * tt_model_senet_weights: H (n, hidden). */
int tt_model_senet_hidden(tt_model *m, int side, const tt_dataset *d,
                          const tt_examples *ex, float *H, tt_err *err);

/* ---- Training-side access (tt_train and the gradient-check tests) ---- */

/* One parameter tensor inside the parameter block. Embedding tables have
 * table = 1 and rows x cols = card x dim; dense weights are (out, in). */
typedef struct tt_param_info {
    char name[48];         /* "user.mlp.0.W", "emb.item_id" */
    char desc[96];         /* "user tower mlp layer 1 weights" */
    int64_t off, n;        /* offset and size in the parameter block */
    int64_t rows;
    int cols;
    int table;
} tt_param_info;
int tt_model_n_tensors(const tt_model *m);
const tt_param_info *tt_model_tensor(const tt_model *m, int i);
/* The gradient block: same layout and size as the parameter block. */
float *tt_model_grads(tt_model *m);
void tt_model_zero_grad(tt_model *m);

/* Size every buffer for training batches of `batch` examples (and for
 * evaluation chunks), build the negative sampler and logQ tables from sp's
 * training frequencies. tt_train calls it once; batch_loss calls it itself
 * when a batch is larger than what was reserved. */
int tt_model_reserve(tt_model *m, const tt_dataset *d, const tt_split *sp,
                     int batch, tt_err *err);
/* Threads of a training step (the caller plus n - 1 workers; 1 = none).
 * Work is split by fixed row ranges, so a given n is deterministic; BLAS
 * should run single-threaded meanwhile (tt_train arranges it). */
int tt_model_set_threads(tt_model *m, int n, tt_err *err);
int tt_model_get_threads(const tt_model *m);
/* The model's step threads, for running fn(ctx, part, nt) parts on them
 * (tt_par.h); NULL when single-threaded. */
struct tt_pool *tt_model_pool(tt_model *m);
/* on != 0: batch_loss splits each batch's tower rows over the ranks of the
 * MPI job (tt_dist.h) and gathers the outputs, so every rank holds the same
 * loss and the gradient of its own rows; the caller sums the gradients
 * across ranks (tt_train does). A collective: every rank calls batch_loss
 * with the same batch. No effect with one rank. */
void tt_model_set_dist(tt_model *m, int on);
/* Seed of the negative sampler (sampled softmax, BCE, BPR). */
void tt_model_seed(tt_model *m, uint64_t seed);
/* Loss of the training examples idx[0..n) (indices into sp->part[TT_TRAIN]),
 * the mean over the batch as the model's loss defines it. With backward != 0
 * the gradient is ACCUMULATED into the gradient block (zero it first).
 * Returns NAN with err set on an allocation failure. */
double tt_model_batch_loss(tt_model *m, const tt_dataset *d, const tt_split *sp,
                           const int64_t *idx, int n, int backward, tt_err *err);

/* Lazy updates: when tracking is on, batch_loss (with backward) records which
 * rows of each embedding table it touched; they accumulate until cleared.
 * rows: the touched rows of tensor i (a table), valid until the next
 * batch_loss or clear. Returns their count (-1: tensor is not a table). */
void tt_model_track_rows(tt_model *m, int on);
int64_t tt_model_touched_rows(const tt_model *m, int i, const int32_t **rows);
void tt_model_clear_touched(tt_model *m);

/* Running mean of the SENet excitation weight per field of a side over the
 * training batches since the last reset (the snapshot's se_mean). Returns f. */
int tt_model_senet_running(const tt_model *m, int side, float *mean);
/* Over the same batches: std[f], the pooled within-batch standard deviation
 * of field f's weight (spread across the examples of a batch, free of the
 * drift of the parameters between batches), and *inactive, the share of rows
 * whose every hidden unit was 0. Returns f. */
int tt_model_senet_running_spread(const tt_model *m, int side, float *std,
                                  float *inactive);
void tt_model_senet_reset(tt_model *m);
/* Across the ranks of an MPI job (a collective): the running sums above
 * become the sums over every rank's rows (each rank accumulates the rows it
 * ran), so the means are the whole batches'; the spread stays pooled within
 * each rank's share of a batch. No effect with one rank. */
void tt_model_senet_dist_sum(tt_model *m);

#endif

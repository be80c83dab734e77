/* tt_model_impl: the runtime model's internals, shared by tt_model.c (create,
 * parameters), tt_model_read.c (encodings, ablation, SENet read-out),
 * tt_tower.c (tower forward/backward), tt_model_loss.c (the training step)
 * and tt_losses.c (the loss table). Not a public header. */
#ifndef TT_MODEL_IMPL_H
#define TT_MODEL_IMPL_H

#include "tt_model.h"
#include "tt_losses.h"
#include "tt_rng.h"
#include "tt_par.h"

#define TT_MAX_TENSORS 160
#define TT_MAX_THREADS 16

/* Where a field's value for a row comes from. */
enum { SRC_USER = 0, SRC_ITEM = 1, SRC_INTER = 2, SRC_HIST = 3 };

typedef struct tw_field {
    int feat;            /* dataset feature index */
    int bag;             /* 1: mean of a set of ids (SET, SEQ) */
    int src;             /* SRC_* */
    int table;           /* tensor index of its embedding table */
    int maxlen;          /* bag capacity per row */
    float *T, *dT;       /* table and its gradient */
    int32_t *ids;        /* (cap) single ids */
    int64_t *off;        /* (cap + 1) bag offsets */
    int32_t *vals;       /* (cap * maxlen) bag values */
} tw_field;

typedef struct tw_dense {
    int in, out;
    int pW;              /* tensor index of W; b is pW + 1 */
    float *W, *b, *dW, *db;
    float *act;          /* (cap, out) output (after ReLU if not last) */
    float *dact;         /* (cap, out) gradient of act */
} tw_dense;

enum { CH_IDENT = -1 };

typedef struct tw_chan {
    int kind;            /* TT_CH_MLP, TT_CH_FM, TT_CH_CROSS, CH_IDENT */
    int out;             /* output width */
    int col;             /* first column in the tower output */
    int nl;              /* dense layers (MLP) or 1 (CROSS projection) */
    tw_dense l[TT_MAX_LAYERS];
    int cl;              /* cross layers */
    int pcW;             /* tensor index of cross W (L, D, D); b is pcW + 1 */
    float *cW, *cb, *dcW, *dcb;
    float *xs;           /* (cl + 1, cap, F) */
    float *pre;          /* (cl, cap, F) */
    float *dxl;          /* (cap, F) gradient of xs[cl] */
    float *cscr;         /* (2 * cap * F) cross backward scratch */
    float *y;            /* (cap, out) raw output (alias of the last act) */
    float *dy;           /* (cap, out) its gradient */
} tw_chan;

/* Buffers carved from one block in two passes: count (base NULL), then
 * place; every piece starts on a 64-byte boundary. */
typedef struct tw_carve {
    char *base;
    size_t used;
} tw_carve;
static inline void *tw_take(tw_carve *c, size_t bytes)
{
    void *p = c->base ? c->base + c->used : NULL;
    c->used += (bytes + 63) & ~(size_t)63;
    return p;
}

/* The interests stage of a user tower (tt_tower_mi.c): the history field's
 * items H (cap, L, d) -> K interests V (cap, K, d) by attention or routing ->
 * X = [V_k | the other fields' embeddings] (cap*K, d + Fo) -> projection
 * Y (cap*K, out) -> [L2 norm] -> I (cap, K, out). The tower's out holds one
 * interest per row: interest 0 after forward, the training target's pick
 * after tower_mi_pick. Buffers in one block of their own (buf). */
typedef struct tw_mi {
    int on;              /* the tower has the stage */
    int via;             /* TT_MI_ATTENTION, TT_MI_ROUTING */
    int K, L, d, h, out; /* interests, history capacity, dim, hidden, width */
    int hist_fi;         /* the history field */
    int Fo, Dx;          /* other fields' width, d + Fo */
    float pw;            /* label-aware attention's p (0: the hard pick) */
    int proj;            /* TT_MI_PROJ_LINEAR, TT_MI_PROJ_NONE (no S, W, b) */
    int T;               /* routing iterations */
    int pa;              /* tensor index: W1 (h, d), W2 (K, h) | S (d, d) (-1: none) */
    int pW;              /* projection W (out, Dx); b is pW + 1 (-1: none) */
    float *W1, *W2, *S, *dW1, *dW2, *dS, *W, *b, *dW, *db;
    float *b0;           /* (L, K) routing's fixed initial logits */
    float *H, *dH, *V, *dV, *X, *Y, *nrm, *I;
    float *Xs, *dXs, *dYs, *ns;       /* (cap, Dx), (cap, Dx), (cap, out), (cap):
                                         the picked interests' rows for backward */
    float *aw, *dI, *dY, *dX;         /* pw > 0: (cap, K) weights, (cap, K, out) twice,
                                         (cap, K, Dx): every interest gets a gradient */
    float *P, *A, *aS, *aP;                  /* attention keep / scratch */
    float *C, *Wr, *Z, *U, *fs, *dC, *rs;    /* routing keep / scratch */
    int32_t *len, *kk, *sel;
    int64_t *trow;
    void *buf;
    int64_t cap;
} tw_mi;

typedef struct tower {
    int side;                         /* 0 user, 1 item */
    tt_tower_def def;
    int nf, k, F;                     /* fields, dim, nf * k */
    tw_field fld[TT_MAX_FIELDS];
    char fname[TT_MAX_FIELDS][TT_NAME_MAX];
    const char *fname_p[TT_MAX_FIELDS];
    /* re-weighting stage: TT_RW_SENET or TT_RW_LIGHTSE (0 none). Light-SE
     * keeps its z (cap, f) and a (cap, f) in z and a, scratch in sescr, its
     * one weight (f, f) in W1 (S = A = f). */
    int senet;
    tt_senet_cfg se;
    int S, A, pse;                    /* widths; tensor index of W1 (b1, W2, b2 follow) */
    float *W1, *b1, *W2, *b2, *dW1, *db1, *dW2, *db2;
    /* DAT: the augmented vector of the row's id (field aug_fi), (card, Da)
     * table paug, concatenated after the field embeddings into X, the input
     * of the single mlp channel */
    int aug, aug_fi, paug, Da;
    float *Ta, *dTa;
    float *X, *dX;                    /* (cap, F + Da) */
    /* channels */
    int nch;
    tw_chan ch[TT_MAX_CHAN];
    int D;                            /* output width */
    int norm;                         /* 0 none, 1 per channel, 2 whole output */
    /* buffers for cap rows */
    int64_t cap;
    float *E, *dE;                    /* (cap, nf, k) field embeddings */
    float *Es, *dEs;                  /* (cap, nf, k) after SENet (alias E without) */
    float *z, *hid, *pre, *a, *sescr; /* SENet keep-for-backward and scratch */
    float *cat;                       /* (cap, D) concatenated raw channel outputs */
    float *nrm;                       /* (cap, nch) norms */
    float *out, *dout;                /* (cap, D) tower output and its gradient */
    float *dcat;                      /* (cap, D) */
    float *fbuf;
    void *ibuf;
    tw_mi mi;                         /* interests stage (mi.on 0: none) */
} tower;

/* IntTower's FE-Block, CIR and DAT's category alignment (tt_interact.c). */
typedef struct fe_state {
    int on;                           /* interact=fe */
    int H, G, dh;                     /* heads, item vectors, their width */
    int norm;                         /* item vectors L2-normalised (sim=cos) */
    int pW;                           /* tensor index of W (G dh, D); b follows */
    float *W, *b, *dW, *db;
    int ca_fi;                        /* item tower field of dat_ca's categories, -1 */
    int64_t cap_v, cap_b, cap_c;      /* item rows, batch rows, score columns held */
    float *Vr, *V, *nrm;              /* (cap_v, G dh) projections, normalised (alias
                                         Vr without), (cap_v, G) norms */
    float *dV, *dVr;                  /* (cap_v, G dh) gradients */
    float *P;                         /* (cap_v G dh + TT_MAX_THREADS fe_pad) item
                                         vectors by coordinate, each thread's
                                         items at G dh j0 + tid fe_pad */
    uint8_t *arg;                     /* (cap_b, cap_c, H) winners */
    float *dQp;                       /* (TT_MAX_THREADS, cap_b, D) each thread's dQ */
    float *Pg, *dPg, *Sc, *dSc;       /* CIR: (cap_b, D) positives, (cap_b, cap_b) scores */
    uint8_t *mk;                      /* (cap_b, cap_b) CIR hit mask */
    int32_t *tg, *cat, *ord;          /* (cap_b) targets, categories; (2 cap_b) order */
    int64_t *rows;                    /* (cap_b) positives' item rows */
    float *scr;                       /* (3 D D + 2 D) category alignment scratch */
} fe_state;

struct tt_model {
    tt_model_def def;
    const struct tt_mkind *K;          /* the model's row of the kind table */
    int fitted;                       /* a fitted kind: fitted or opened */
    void *kst;                        /* a kind's derived state (its prepare/release) */
    tt_tower_def tdef[2];
    int32_t n_items, n_users, n_feat;
    int nt;
    tt_param_info par[TT_MAX_TENSORS];
    int64_t fan_in[TT_MAX_TENSORS];
    int64_t n_param;
    float *param, *grad;
    tower tw[2];
    int D;
    /* loss buffers */
    int64_t cap_b;                    /* batch capacity */
    int neg;                          /* negatives in use */
    float *S, *dS, *logq_m;           /* (cap_b, ncols) */
    uint8_t *mask;                    /* (cap_b, ncols) */
    float *lab, *pos, *negs, *dpos, *dneg; /* pointwise / pairwise */
    int32_t *target, *irow;           /* (cap_b), item rows fed to the item tower */
    int64_t *urow;                    /* (cap_b) example rows fed to the user tower */
    int64_t *irow64;
    float *lbuf;
    void *libuf;
    double *xstat;                    /* (3 ranks B) the item-sharded softmax's row
                                         statistics, grown by its first step */
    int64_t xstat_cap;
    int64_t irows_cap;
    /* The training corpus: the items a loss may score, as a positive, a
     * negative or a column of the full softmax. Every item, except on a cold
     * split: there only the items with training interactions, so that a
     * held-out item's rows are never touched and it keeps the
     * out-of-vocabulary vector (tt_model_cold_ids). */
    int32_t n_corpus;
    int32_t *corpus;                  /* (n_corpus) item ids; NULL: every item, j -> j */
    int32_t *corpus_col;              /* (n_items) an item's place in corpus, -1 held
                                         out; NULL with corpus */
    /* sampler and logQ from training frequencies */
    float *logq_item;                 /* (n_items) log q(item) = log(freq / n_train) */
    float *logq_samp;                 /* (n_items) log of the sampler's probability */
    float *alias_p;                   /* (n_corpus) alias table over corpus places */
    int32_t *alias_j;
    const tt_split *sp_seen;          /* split the sampler tables were built from, */
    uint64_t sp_gen;                  /* and its generation (tt_split.gen) */
    int full_items_loaded;            /* item tower inputs hold the whole corpus */
    tt_rng rng;
    /* threads: the pool and each worker's private dense-gradient block */
    tt_pool *pool;
    float *gw[TT_MAX_THREADS];
    int64_t poff[TT_MAX_TENSORS];     /* offset of a dense tensor in gw, -1 tables */
    int64_t n_dense;
    float *Qs;                        /* (cap_b, D) queries scaled for dV */
    /* lazy updates */
    int track;
    uint8_t *mark;                    /* (sum of table rows) */
    int32_t *trow;                    /* (sum of table rows) touched rows per table */
    int64_t tbase[TT_MAX_TENSORS];    /* start of each table in mark/trow */
    int64_t ntouched[TT_MAX_TENSORS];
    /* SENet running means */
    double se_sum[2][TT_MAX_FIELDS];
    double se_cnt[2];
    double se_dev[2][TT_MAX_FIELDS];  /* within-batch squared deviations */
    double se_dead[2];                /* rows with every hidden unit at 0 */
    int dist;                         /* steps split over the MPI ranks */
    int dist_whole;                   /* ... but the loss not split (TTLAB_DIST_LOSS=whole) */
    /* ablation */
    int abl_feat, abl_mode;
    uint64_t abl_seed;
    fe_state fe;                      /* FE-Block, CIR, category alignment */
};

/* "user" for side 0, "item" for side 1. */
static inline const char *side_name(int side) { return side ? "item" : "user"; }

/* One batch of a loss (tt_losses.h), shared by its steps and by the phases
 * that run on the model's threads over fixed row ranges. */
struct tt_loss_step {
    int B;                      /* examples in the batch */
    int64_t nv, nc;             /* item rows of the item tower, score columns */
    int neg;                    /* negatives in use (m->neg) */
    int logq, mask;             /* logQ / hit masking asked for and applicable */
    int32_t *tgt;               /* (B) positives' item ids, then target columns */
    int64_t *ir;                /* (nv) item rows of the item tower */
    const float *lq;            /* (B, nc) logQ per score, or NULL */
    const uint8_t *mk;          /* (B, nc) masked scores, or NULL */
    int inbatch;                /* ph_softmax fills lq / mk rows from ir */
    double part_loss[TT_MAX_THREADS];
    int64_t lo[2], hi[2];       /* the rows of each tower (0 user, 1 item) this
                                   process runs: all, or its rank's share */
    int shard;                  /* TT_SHARD_* the loss runs with this step */
    int64_t lr0, lr1;           /* the score rows (batch rows) this process
                                   computes: [0, B), or its share (rows, items) */
    tt_model *m;
};

/* One draw of the negative sampler over the training corpus: uniform, or
 * popularity^alpha through the alias table (tt_model_loss.c builds both).
 * Returns an item id; never a held-out item. */
static inline int32_t model_draw(tt_model *m)
{
    int32_t i = (int32_t)tt_rng_below(&m->rng, (uint32_t)m->n_corpus);
    if (m->def.sampler != TT_SAMPLE_UNIFORM && !(tt_rng_uniform(&m->rng) < m->alias_p[i]))
        i = m->alias_j[i];
    return m->corpus ? m->corpus[i] : i;
}

/* tt_model.c: sequence fields hold at least H entries per row. */
int model_ensure_hist(tt_model *m, int32_t H, tt_err *err);

/* tt_tower.c */
int tower_reserve(tt_model *m, tower *t, int64_t cap, tt_err *err);
void tower_free_bufs(tower *t);
/* Fill the field inputs for R rows. rows: example indices into ex (user side)
 * or item indices (item side, ex may be NULL). rows2 (may be NULL) replaces rows for
 * the feature abl (shuffle ablation). */
void tower_inputs(tt_model *m, tower *t, const tt_dataset *d,
                  const tt_examples *ex, const int64_t *rows,
                  const int64_t *rows2, int abl, int64_t R);
/* Forward over the loaded inputs: t->out (R, D). zero_feat >= 0 zeroes the
 * embeddings of that dataset feature (ablation). */
void tower_forward(tower *t, int64_t R, int zero_feat);
/* Backward from t->dout (R, D), accumulating parameter gradients: the dense
 * part (everything but the embedding tables, per-row buffers only) and the
 * scatter into the tables. tower_backward does both. */
void tower_backward(tower *t, int64_t R);
void tower_backward_dense(tower *t, int64_t R);
void tower_backward_embed(tower *t, int64_t R);
/* DAT: dX's augmented columns into the augmented-vector table (part of
 * tower_backward_embed). */
void tower_aug_scatter(tower *t, int64_t R);
/* Rows [r0, ...) of t as a tower of their own (for threads). */
void tower_view(const tower *t, tower *v, int64_t r0);
void tower_view_grads(tower *v, float *gw, const int64_t *poff);
/* Add the rows' excitation weights to the running means (tt_model_read.c). */
void tower_senet_accumulate(tt_model *m, tower *t, int64_t R);
/* Mark the table rows the loaded inputs use (lazy updates). */
void tower_mark_rows(tt_model *m, tower *t, int64_t R);

/* tt_interact.c: IntTower's FE-Block between the towers and the loss, and
 * the auxiliary losses CIR and DAT's category alignment.
 * build: checks the options (heads divide the width, a loss that scores
 * every column by the FE score, the category field) and declares fe's
 * tensors; after the towers, before the parameter block. bind: its pointers
 * into the blocks. reserve: buffers for B examples, nv item rows, nc score
 * columns (grown, never shrunk). */
int interact_build(tt_model *m, const tt_dataset *d, tt_err *err);
void interact_bind(tt_model *m);
int interact_reserve(tt_model *m, int64_t B, int64_t nv, int64_t nc, tt_err *err);
void interact_free(tt_model *m);
/* out (R, G dh) = the FE item vectors of item tower outputs X (R, D);
 * nrm (R, G) their norms before normalising. */
void interact_project(const tt_model *m, const float *X, int64_t R, float *Vr, float *out,
                      float *nrm);
/* fe.V from the item tower's outputs (nv rows); backward: fe.dV into the
 * item tower's dout (written); both by rows on the model's threads (the
 * workers' parameter gradients in their own blocks, folded after backward). */
void interact_items_forward(tt_model *m, int64_t nv);
/* the item rows [r0, r1): this rank's across MPI ranks (its share of the
 * projection's parameter gradients), all of them alone */
void interact_items_backward(tt_model *m, int64_t r0, int64_t r1);
/* The softmax phases' FE parts (tt_losses.c), thread tid: scores of columns
 * [j0, j1); backward of columns [j0, j1) (interact_dv): fe.dV of those
 * items from the scaled queries m->Qs, and the thread's part of dQ (its
 * items' sum) into fe.dQp; then interact_dq: dQ rows [r0, r1) = alpha times
 * the sum of the nt threads' parts. */
void interact_scores(tt_model *m, const tt_loss_step *c, int tid, long j0, long j1);
void interact_dv(tt_model *m, const tt_loss_step *c, int tid, long j0, long j1);
void interact_dq(tt_model *m, long r0, long r1, float alpha, int nt);
/* Auxiliary losses (tt_model_loss.c runs them after the main loss's
 * backward): the weighted value; with backward, the gradient ACCUMULATED
 * into the towers' output gradients. rows_first: the loss put the
 * positives first in the item tower (else row = the positive's item id). */
double interact_cir(tt_model *m, const tt_loss_step *c, int rows_first, int backward);
double interact_catalign(tt_model *m, const tt_loss_step *c, int rows_first, int backward);
/* tt_tower_mi.c: the interests stage. build: its checks and tensors (the
 * tower's fields resolved); bind: pointers into the parameter block;
 * reserve/free: its buffers for cap rows (the history field's maxlen known);
 * forward/backward_dense: after the field embeddings / before the
 * re-weighting, as tower_forward and tower_backward_dense call them; scatter:
 * dH into the item_id table (with the embedding scatter); view/view_grads as
 * tower_view. pick: each training row's interest by its target's vector in
 * the item tower's out (rows_first: target b is item row b, else row
 * tgt[b]), into the user tower's out. */
int tower_mi_build(tt_model *m, tower *t, tt_err *err);
void tower_mi_bind(tt_model *m, tower *t);
int tower_mi_reserve(tower *t, int64_t cap, tt_err *err);
void tower_mi_free(tower *t);
void tower_mi_forward(tower *t, int64_t R, int zero_hist);
void tower_mi_backward_dense(tower *t, int64_t R);
void tower_mi_scatter(tower *t, int64_t R);
void tower_mi_view(const tower *t, tower *v, int64_t r0);
void tower_mi_view_grads(tower *v, float *gw, const int64_t *poff);
void tower_mi_pick(tower *tu, const tower *ti, const int32_t *tgt, int rows_first, int64_t B);
/* After the loss's backward, before the towers': label-aware attention's
 * gradient into the interests and the target rows of ti->dout (a no-op
 * for the hard pick). */
void tower_mi_pick_backward(tower *tu, tower *ti, int64_t B);

/* Declare a parameter tensor of rows x cols (table: an embedding table;
 * fan_in: for the dense initialisation). Returns its index or -1. Kinds call
 * it from their build function. */
/* On a cold split, give the users and items it holds out (no training
 * interactions) the out-of-vocabulary id's rows: row 0 of the user_id and
 * item_id tables (and of DAT's augmented vectors) copied into theirs. Training
 * never touches either (the corpus above excludes held-out items; held-out
 * users are in no batch), so they stay equal bit for bit.
 * tt_model_reserve calls it. */
void tt_model_cold_ids(tt_model *m, const tt_dataset *d, const tt_split *sp);
int tt_model_add_tensor(tt_model *m, const char *name, const char *desc, int64_t rows,
                        int cols, int table, int64_t fan_in, tt_err *err);

#endif

/* tt_dataset: the in-memory dataset: users, items, timestamped interactions
 * and feature columns. No terminal I/O; loaders report errors as values. */
#ifndef TT_DATASET_H
#define TT_DATASET_H

#include <stdint.h>
#include "tt_util.h"

/* What a feature column holds. NUM columns are bucketed into ids at load time,
 * so the model sees CAT, NUM and the OOV id the same way. */
enum tt_kind { TT_CAT = 0, TT_SET = 1, TT_NUM = 2, TT_SEQ = 3 };
/* Whose feature it is. CTX (context of one interaction: hour, device) goes to
 * the user side of the model, one value per interaction. */
enum tt_side { TT_USER = 0, TT_ITEM = 1, TT_CTX = 2 };

const char *tt_kind_name(enum tt_kind k);   /* "categorical", "set", "numeric", "sequence" */
const char *tt_side_name(enum tt_side s);   /* "user", "item", "context" */

/* One feature column. Id 0 is always "unknown": out of vocabulary, missing, or
 * (SEQ) padding; real values are 1..card-1. */
typedef struct tt_feature {
    char *name;
    enum tt_kind kind;
    enum tt_side side;
    int32_t card;        /* ids in [0, card) */
    char **vocab;        /* card labels, vocab[0] = "<unk>"; NULL for SEQ */
    int64_t n_rows;      /* n_users, n_items or n_inter, by side; 0 for SEQ */
    int32_t *ids;        /* CAT/NUM: (n_rows) */
    int64_t *off;        /* SET: (n_rows + 1) offsets into vals */
    int32_t *vals;       /* SET: ids in [1, card) */
    int n_edges;         /* NUM: bucket id = 1 + #{edges <= value}; 0 missing */
    double *edges;       /* NUM: (n_edges) ascending */
    int32_t share;       /* SEQ: index of the feature whose table it shares
                            (item_id); its ids are item index + 1 */
    int64_t *freq;       /* (card) how many rows hold each id (SET: each value) */
    int label_like;      /* a context column named like the interaction's label
                            (rating, score, click...), used because allow_label=
                            named it: `features` flags it */
} tt_feature;

/* Interactions are stored sorted by (user, time, item). Items are indexed in
 * the order of their original ids (numeric order when every id is a number,
 * byte order otherwise), so "ties go to the lower item id" is "ties go to the
 * lower index" everywhere. Users likewise. */
typedef struct tt_dataset {
    char *name;          /* "ml-100k", "ml-1m", "synthetic", or the file's base name */
    char *source;        /* path or generator description */
    int32_t n_users, n_items;
    char **user_key;     /* (n_users) original ids */
    char **item_key;     /* (n_items) original ids */
    char **item_title;   /* (n_items) display titles (UTF-8) or NULL */
    int64_t n_inter;
    int32_t *iu;         /* (n_inter) user index */
    int32_t *ii;         /* (n_inter) item index */
    int64_t *it;         /* (n_inter) timestamp */
    int n_feat;
    tt_feature *feat;    /* user_id and item_id are features too (ids = index + 1);
                            hist is a SEQ feature sharing item_id's table */
    /* Synthetic only: what the generator planted, per feature (NULL else):
       "id", "history", "informative", "informative-weak", "informative-context",
       "noise-user", "noise-item", "noise-context" (datasets/README.md). */
    char **planted;      /* (n_feat) or NULL */
    struct tt_strmap *names; /* feature name -> index, built by tt_dsb_add_feature
                            once there are many features (loaders with
                            thousands of context columns); NULL otherwise */
    char *notes;         /* what the loader wants the user to know (ignored
                            columns, users without interactions): lines ending
                            in '\n', or NULL. `load` prints them once and frees
                            them. */
} tt_dataset;

void tt_dataset_free(tt_dataset *d);                 /* frees members, not d */
int tt_dataset_find(const tt_dataset *d, const char *name); /* feature index or -1 */
/* Append one line to *notes (a dataset's notes). -1 on OOM (notes kept). */
int tt_dataset_note(char **notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Note users and items that have no interaction (listed only in a user or
 * item file, as ML-1M's users.dat lists users without ratings). They are
 * kept: they have nothing to train or test on, evaluation skips them.
 * user_src/item_src name the files that list them, for the note. */
int tt_dataset_note_unused(tt_dataset *d, const char *user_src, const char *item_src);
/* 1 when a column name reads like the label of an interaction (rating,
 * score, label, click, target, reward...; alone or as a '_'/'-' separated
 * word, any case): known only after the recommendation, so a feature of it
 * leaks the target. */
int tt_dataset_label_like(const char *name);
/* Add the standard id features (user_id, item_id) and hist (SEQ, sharing
 * item_id) if missing, and order the features: user_id, user features, hist,
 * context features, item_id, item features. Loaders call it last. */
int tt_dataset_add_id_features(tt_dataset *d, tt_err *err);
/* Sort interactions by (user, time, item; file order last), permuting the
 * context features' rows along, and recompute feature frequencies (SEQ: how
 * many interactions hold each item). */
int tt_dataset_finish(tt_dataset *d, tt_err *err);

/* Loaders: on error *out is untouched and err says "file:line: what was
 * expected, what was found". On success *out is overwritten without being
 * freed first: load into a fresh struct, then swap it in. */

/* A MovieLens folder: ML-100K (u.data, u.user, u.item) or ML-1M (ratings.dat,
 * users.dat, movies.dat), recognised by the files present. */
int tt_load_movielens(const char *dir, tt_dataset *out, tt_err *err);

/* Generic delimited text. */
typedef struct tt_csv_opts {
    const char *inter_path;     /* interactions file with a header */
    const char *user_path;      /* optional: user features, first column = user key */
    const char *item_path;      /* optional: item features, first column = item key */
    const char *user_col, *item_col, *time_col; /* names in the interactions header
                                   (defaults "user", "item"; time_col NULL = "time"
                                   when the header has it, else file order; "" = file
                                   order; a name given but absent is an error).
                                   Time: numbers or ISO-8601 dates/date-times (UTC). */
    char sep;                   /* ',' default; '\t', ';', '|' ... */
    char multi_sep;             /* splits set-valued cells; '|' default */
    const char *context;        /* comma list of interaction columns to use as
                                   context features; NULL or "" none. Naming the
                                   user, item or time column, or an unknown one,
                                   is an error; the other columns are ignored and
                                   listed in d->notes */
    const char *allow_label;    /* comma list: label-like columns (see
                                   tt_dataset_label_like) that context may name
                                   anyway; they are flagged label_like */
    const char *kinds;          /* overrides: "age:numeric,genres:set,zip:categorical" */
    int num_buckets;            /* quantile buckets for numeric columns (default 10) */
} tt_csv_opts;
void tt_csv_opts_init(tt_csv_opts *o);
/* Kinds are inferred per column: a value holding multi_sep -> set; every value
 * a number and more than 2 * num_buckets distinct values -> numeric (quantile
 * buckets); else categorical. An item-file column named "title" becomes the
 * display titles, not a feature. Files must be UTF-8 (a BOM is skipped). */
int tt_load_csv(const tt_csv_opts *o, tt_dataset *out, tt_err *err);

/* The embedded default: a generated dataset with latent structure and planted
 * informative and noise features (datasets/README.md documents it). */
typedef struct tt_synth_opts {
    int32_t users, items;       /* default 2000, 1000 */
    int32_t clusters;           /* latent clusters, default 8 */
    int32_t per_user;           /* interactions per user, default 40 */
    uint64_t seed;              /* default 42 */
    /* Structures for the models after SENet (datasets/README.md), off by
     * default (the data above is then unchanged, draw for draw): */
    int32_t tastes;             /* taste clusters per user (1; multi-interest) */
    int32_t cross;              /* G > 0: user mood x item style decides within
                                   a cluster (early interaction); 0 off */
    int32_t tails;              /* N long-tailed noise fields per interaction
                                   (SE blocks); 0 off */
    int32_t cast;               /* G > 0: G item fields over one shared
                                   vocabulary, a user's favourite value in any
                                   of them (early interaction); 0 off */
} tt_synth_opts;
void tt_synth_opts_init(tt_synth_opts *o);
/* Estimated bytes the dataset needs, so absurd sizes are refused before any
 * allocation. */
double tt_synth_bytes(const tt_synth_opts *o);
/* Refuses (before allocating) sizes out of range or whose tt_synth_bytes
 * exceed tt_alloc_limit or most of the physical memory. */
int tt_synth_generate(const tt_synth_opts *o, tt_dataset *out, tt_err *err);
/* Named presets ("tiny", "small", "default", "large"; datasets/README.md):
 * fills *o and returns 0, or -1 for an unknown name (o untouched). */
int tt_synth_preset(const char *name, tt_synth_opts *o);
/* Preset k (0, 1, ...) for help and completion: its name, and its one-line
 * summary in *summary (may be NULL); NULL past the last preset. */
const char *tt_synth_preset_info(int k, const char **summary);

#endif

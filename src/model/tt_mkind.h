/* tt_mkind: the table of model kinds. A kind is one row: its name, its
 * options with their defaults and ranges, and the functions that size, fit
 * and score it; the model (tt_model.c), the command language, help, model
 * files and export read the table instead of switching on the kind. A new
 * baseline is one file with its functions and one row here. */
#ifndef TT_KIND_H
#define TT_KIND_H

#include "tt_model.h"

/* One option of a kind: `name=value`, a number in [min, max] (above min
 * when min_open), a whole number when integer. */
typedef struct tt_kopt {
    const char *name;
    double def, min, max;
    int integer, min_open;
    const char *help;        /* one line: what it sets */
} tt_kopt;

typedef struct tt_mkind {
    const char *name;        /* the word after '=' in `model NAME = KIND` */
    int code;                /* what model files store for the kind: fixed for
                                good and never reused, so the table's order is
                                free (0 popularity, 1 twotower, 2 ease,
                                3 itemknn, 4 ials: their places in the table
                                when files stored the place) */
    const char *summary;     /* one line for help and `list` */
    tt_kopt opts[TT_KOPT_MAX];   /* options (name NULL ends the list); model files store
                                  * md->kopt by this order: append, never reorder */
    int fitted;              /* 1: fitted in one call (tt_model_fit), 0: trained by tt_train */
    int iterative;           /* 1: the fit iterates (time per iteration is reported) */
    int cold;                /* 1: scores items never seen in training (from features) */
    int auto_fit;            /* 1: eval fits it when it was not trained (cheap) */
    /* Declare the parameter tensors for dataset d (tt_model_add_tensor) and
     * set m->D; refuse, with the reason and what to use instead, a model
     * that cannot fit in memory. NULL for the two-tower (built from towers). */
    int (*build)(tt_model *m, const tt_dataset *d, tt_err *err);
    /* Fit on sp's training part (fitted kinds). */
    int (*fit)(tt_model *m, const tt_dataset *d, const tt_split *sp, int n_threads,
               volatile sig_atomic_t *stop, tt_err *err);
    /* Derived state from the parameters (after fit and after open); NULL: none. */
    int (*prepare)(tt_model *m, tt_err *err);
    void (*release)(tt_model *m);           /* frees the derived state; NULL: none */
    /* Scoring, either by vectors (encode_items and encode_part: score = q.v)
     * or by tiles of the history (score_tile, see tt_model_score_tile). */
    int (*encode_items)(tt_model *m, const tt_dataset *d, float *V, tt_err *err);
    int (*encode_part)(tt_model *m, const tt_dataset *d, const tt_split *sp,
                       enum tt_part p, float *Q, tt_err *err);
    void (*score_tile)(const tt_model *m, const tt_split *sp, enum tt_part p,
                       const int64_t *idx, int n, int64_t base, int w, float *tile);
    /* Queries from examples alone, outside any split (recommend for one
     * user); NULL: the kind needs the split's history (encode_part). */
    int (*encode_examples)(tt_model *m, const tt_dataset *d, const tt_examples *ex, float *Q,
                           tt_err *err);
} tt_mkind;

/* The row of kind k, or NULL when k is not a kind. */
const tt_mkind *tt_mkind_get(int k);
/* The kind named name, or -1. */
int tt_mkind_find(const char *name);
/* The kind whose row has code (tt_mkind.code, what model files store), or -1. */
int tt_mkind_by_code(int code);
int tt_mkind_count(void);
/* The names of all kinds, for suggestions and completion (n written). */
int tt_mkind_names(const char **names, int max);
/* Index of option name in kind k, or -1. */
int tt_mkind_opt(int k, const char *name);
/* The kind's defaults into md->kopt. */
void tt_mkind_defaults(tt_model_def *md);
/* Check value v for option i of md's kind (range, whole number); returns 0
 * or -1 with "lambda=0 must be > 0" in *err. */
int tt_mkind_check_opt(const tt_model_def *md, int i, double v, tt_err *err);
/* The value of md's option name (its default when the kind has it but it
 * was not set); NAN when the kind has no such option. */
double tt_mkind_val(const tt_model_def *md, const char *name);
/* "ease lambda=100" style text of md's kind and options; returns buf. */
const char *tt_mkind_format(const tt_model_def *md, char *buf, int n);

/* The history a baseline scores from: the distinct items user u has in the
 * parts before p (train for valid, train + valid for test; for p = TT_TRAIN
 * (fitting) the training items themselves), in ascending order:
 *   tt_hist h; tt_hist_init(&h, sp, p, u); for (j; (j = tt_hist_next(&h)) >= 0;) */
typedef struct tt_hist {
    const int32_t *a[3], *e[3];
    int n;
} tt_hist;
void tt_hist_init(tt_hist *h, const tt_split *sp, enum tt_part p, int32_t u);
/* The next distinct item, or -1 at the end. */
static inline int32_t tt_hist_next(tt_hist *h)
{
    int32_t best = -1;
    for (int q = 0; q < h->n; q++)
        if (h->a[q] < h->e[q] && (best < 0 || *h->a[q] < best))
            best = *h->a[q];
    for (int q = 0; q < h->n && best >= 0; q++)
        while (h->a[q] < h->e[q] && *h->a[q] == best)
            h->a[q]++;
    return best;
}
/* Number of distinct items (walks a copy). */
int64_t tt_hist_count(const tt_hist *h);

/* The rows of the table (one file each). */
extern const tt_mkind tt_mkind_pop, tt_mkind_twotower, tt_mkind_ease, tt_mkind_itemknn,
    tt_mkind_ials;

#endif

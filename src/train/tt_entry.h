/* tt_entry: what the session keeps of a defined model: its definitions, its
 * runtime model once trained or opened, and the record of each training run.
 * Model files (store) save and restore exactly this; the session (lang)
 * holds an array of them. */
#ifndef TT_ENTRY_H
#define TT_ENTRY_H

#include <stdint.h>

#include "tt_eval.h"
#include "tt_model.h"
#include "tt_train.h"
#include "tt_util.h"

#define TT_MAX_RUNS 16          /* seeds kept per model for mean ± std */

/* One finished training run (or a fitted baseline) of a model. */
typedef struct tt_run {
    uint64_t seed;
    tt_metrics test;            /* test metrics at the kept epoch */
    double seconds, ex_per_s;
    int epochs, best_epoch;
    int threads;                /* threads it was trained with (0: not recorded) */
    tt_history h;               /* per-epoch record (owned; h.n 0: none, e.g. a
                                   model file saved before histories were kept) */
} tt_run;


/* What a model was trained (or fitted, or opened) on, recorded then: two
 * models compare only when these agree. */
typedef struct tt_dataref {
    char name[TT_NAME_MAX];     /* the dataset's name in the session */
    char source[256];           /* its path, or the generator and its parameters */
    char split[96];             /* "l2o hist=20", "random valid=0.1 test=0.1 seed=1 hist=20" */
    char protocol[96];          /* the label tables print ("ml100k-l2o") */
} tt_dataref;

typedef struct tt_modelent {
    tt_model_def def;
    tt_tower_def u, i;          /* copies taken when the model was defined */
    char dataset[TT_NAME_MAX];  /* dataset the model is built for */
    tt_model *m;                /* runtime model, NULL until trained/opened */
    int split_gen;              /* split the model was trained or fitted on */
    int trained;                /* 1 trained, 2 opened from a file */
    char origin[256];           /* file it was opened from, or "" */
    int no_history;             /* opened from a file saved before model files
                                   kept training history */
    tt_dataref data;            /* dataset and split it was trained on ("" until then) */
    tt_train_result *res;       /* last training run, NULL if none */
    int n_runs;
    tt_run runs[TT_MAX_RUNS];   /* per seed (several with seeds=) */
    int has_eval;
    tt_metrics last_eval;       /* last `eval` result */
    char last_eval_split[8];
} tt_modelent;

/* Free what the entry owns (runtime model, last result, runs' histories);
 * the definitions stay. */
void tt_entry_free(tt_modelent *me);
/* Free the runs' histories; n_runs becomes 0. */
void tt_entry_clear_runs(tt_modelent *me);
/* The history of the entry's last run, or NULL when it has none. */
const tt_history *tt_entry_history(const tt_modelent *me);

#endif

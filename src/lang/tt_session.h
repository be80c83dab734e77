/* tt_session: everything a ttlab session holds (datasets, towers, models,
 * settings) and the position used to report errors. The host (main.c, the
 * REPL) owns one; commands change it only through tt_cmd_run. */
#ifndef TT_SESSION_H
#define TT_SESSION_H

#include <signal.h>
#include <stdint.h>

#include "tt_dataset.h"
#include "tt_entry.h"
#include "tt_eval.h"
#include "tt_index.h"
#include "tt_model.h"
#include "tt_output.h"
#include "tt_split.h"
#include "tt_train.h"
#include "tt_util.h"

#define TT_SOURCE_DEPTH 16      /* nesting limit of `source` */

typedef struct tt_dsent {
    char name[TT_NAME_MAX];
    tt_dataset d;
    int has_split;
    int split_gen;              /* bumped by every `split` */
    tt_split sp;
} tt_dsent;

/* A variable of the language (let NAME = VALUE; -D NAME=VALUE). */
typedef struct tt_var {
    char name[TT_NAME_MAX];
    char *value;
} tt_var;

typedef struct tt_session {
    tt_out out;
    /* settings (`set`) */
    uint64_t seed;
    int threads;                /* 0 = OpenBLAS default */
    int dashboard;              /* 1 on (terminals only) */
    int plot_term;              /* the plot setting: its place in auto|window|dumb|file,
                                   which is enum tt_plot_term's order (ui/tt_plot.h;
                                   tests/unit/test_options checks) */
    char plot_file[512];
    int hist;                   /* history length used by `split` */
    int n_k;
    int ks[TT_MAX_K];           /* default cut-offs for eval */
    int progress;               /* plain progress lines on stderr without a dashboard */
    /* invocation */
    int keep_going;
    int sandbox;                /* fuzzing: commands are parsed and checked, but
                                   those that read or write files, load data,
                                   train or evaluate stop before their handler */
    int tty;                    /* stdin and stdout are terminals */
    /* objects */
    int n_ds, cur_ds;
    tt_dsent *ds;
    int n_towers;
    tt_tower_def *towers;
    int n_models;
    tt_modelent *models;
    int n_vars;
    tt_var *vars;
    int n_indexes;
    tt_indexent *indexes;       /* `index NAME = MODEL ...` */
    /* where we are, for error messages */
    const char *file;           /* script name, "<command line>", or NULL at the prompt */
    int line;
    int depth;                  /* source nesting */
    int interactive;            /* reading from the prompt */
    const char *cur_text;       /* the line being run (for carets at the prompt) */
    const char *raw_text;       /* note/echo/pause: the rest of the line, verbatim */
    int prompt_width;
    tt_err err;
    int err_col;                /* column of the error in the line, 0 none */
    char err_ds[TT_NAME_MAX];   /* the dataset the running command works on:
                                   its error names it when several are loaded
                                   (tt_cmd_run; set by tt_use_data) */
    int n_errors;
    int quit;
    volatile sig_atomic_t stop; /* training stop flag (Ctrl-C, dashboard) */
    volatile sig_atomic_t training;
    int interrupted;            /* Ctrl-C ended a script: exit status 130 */
    int out_failed;             /* writing results failed (reported once); 2: the
                                 * reader went away (EPIPE), which ends quietly */
    /* The host's input loop, for `source`: runs the file at path as a
     * script, returns 0 or -1 (errors reported). Set by the input loop. */
    int (*run_file)(struct tt_session *s, const char *path);
} tt_session;

/* Defaults: seed 1, output table to stdout, dashboard on, k=10,20,50. */
void tt_session_init(tt_session *s);
void tt_session_free(tt_session *s);

/* Report s->err at the current position: "FILE:LINE: error: msg" (with a
 * column "FILE:LINE:COL:" when s->err_col is set) on stderr, at the prompt
 * "error: msg" under a caret, and in JSON mode an "error" event on stdout.
 * Counts the error. */
void tt_session_report(tt_session *s);
/* In an MPI job (a collective; every rank calls it at the same point):
 * failed says whether this rank failed the step at hand. Returns the lowest
 * failing rank, or -1 when none failed; when one did, a rank that did not
 * fail gets that rank's message as its error, "rank R: MESSAGE", so that
 * rank 0 reports it. One process: failed ? 0 : -1, the error untouched. */
int tt_session_dist_failure(tt_session *s, int failed);
/* Set s->err (and the column, 0: none) and return -1: how the input loop and
 * the command handlers fail. */
int tt_fail(tt_session *s, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* After a command: 0 when its results reached s->out.f (flushed). A
 * failed write or flush (disk full, a closed stdout) is noted once: -1
 * with "cannot write results to standard output: reason" in s->err, which
 * the caller reports like a failed command; EPIPE (`| head -1`) sets quit
 * and out_failed = 2 and returns 0: no message, the host exits 141. */
int tt_session_check_output(tt_session *s);
/* The dataset a message about the running command should name and does not
 * (s->err_ds, when several datasets are loaded and msg lacks 'NAME'), or
 * NULL: errors and warnings then start with "dataset 'NAME': ". */
const char *tt_session_unnamed_ds(const tt_session *s, const char *msg);
/* A warning at the current position (stderr; JSON: "warning" event); named
 * by dataset as tt_session_unnamed_ds says. */
void tt_session_warn(tt_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Lookups by name; NULL when absent. */
tt_dsent *tt_session_dataset(tt_session *s, const char *name);
tt_dsent *tt_session_current(tt_session *s);        /* current dataset */
tt_tower_def *tt_session_tower(tt_session *s, const char *name);
tt_modelent *tt_session_model(tt_session *s, const char *name);
tt_indexent *tt_session_index(tt_session *s, const char *name);
/* Variables: the session's, then the environment's; NULL when unset. */
const char *tt_session_var(tt_session *s, const char *name);
/* Define or change a session variable (value copied). -1 on OOM. */
int tt_session_set_var(tt_session *s, const char *name, const char *value);

/* Remove a model entry (frees its runtime). */
void tt_session_drop_model(tt_session *s, int idx);

#endif

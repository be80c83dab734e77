/* tt_cmd: the command table (commands are data: help, completion, argument
 * checks and the man page test all read it) and the option parser. */
#ifndef TT_CMD_H
#define TT_CMD_H

#include <stddef.h>
#include <stdint.h>
#include "tt_lex.h"
#include "tt_session.h"

/* TT_O_NAMES: a comma list of names where an empty value and "none" both
 * mean none (the value is then ""). */
enum tt_opt_type { TT_O_INT = 0, TT_O_NUM, TT_O_ENUM, TT_O_INTS, TT_O_STR,
                   TT_O_BOOL, TT_O_NAMES };

/* A struct that options fill (tt_opts_apply): its size and the engine's
 * *_init function, which holds the defaults of the options bound to it. */
typedef struct tt_optbind {
    const char *name;         /* "tt_train_opts" */
    size_t size;
    void (*init)(void *);
} tt_optbind;
extern const tt_optbind tt_bind_train, tt_bind_model, tt_bind_synth, tt_bind_csv,
    tt_bind_tower, tt_bind_cross, tt_bind_session;
/* Every struct options fill, for the tests (a new bind is a row here). */
extern const tt_optbind *const tt_optbinds[];
extern const int tt_n_optbinds;

/* One key=value option. A bound option (bind set) is a field of bind's struct
 * at off, of size bytes: its default is the field's value after bind->init
 * (one source: the engine's *_init, used by tests and bench too), and
 * tt_opts_apply writes it there. INT fields are int32/int64/uint64 by size,
 * NUM fields float/double, ENUM and BOOL fields int-sized enums or ints, STR
 * fields const char * or a char array longer than a pointer (the value is
 * copied in; its default, which lives in init's struct, reads as NULL, and
 * applying NULL leaves the field as init made it), INTS fields an int count
 * followed by its int array (TT_BIND_INTS). */
typedef struct tt_optspec {
    const char *key;
    enum tt_opt_type type;
    const char *def;          /* default as it would be typed; NULL: none (or bound) */
    const char *values;       /* ENUM: "a|b|c", or "@loss" (tt_opt_values) */
    double min, max;          /* INT, NUM, INTS: allowed range (inclusive) */
    const char *sub;          /* only valid after this first word ("synthetic") */
    const char *help;
    const tt_optbind *bind;   /* the struct the option fills, or NULL */
    size_t off, size;         /* its field */
} tt_optspec;
/* The row fields of an option bound to field F of struct T through B. */
#define TT_BIND(B, T, F) &(B), offsetof(T, F), sizeof(((T *)0)->F)
/* An INTS option bound to count N and the array A right after it. */
#define TT_BIND_INTS(B, T, N, A) &(B), offsetof(T, N), \
    (offsetof(T, A) + sizeof(((T *)0)->A) - offsetof(T, N))

/* The default of o as it would be typed ("0.001", "adam", "on"), into buf;
 * NULL when o has none. */
const char *tt_opt_default(const tt_optspec *o, char *buf, size_t n);

/* The value of bound option o in the struct at p (o->bind's) as it would be
 * typed, into buf: how `tower` prints a stage back and `show` a setting. */
const char *tt_opt_text(const tt_optspec *o, const void *p, char *buf, size_t n);

/* The value list of an ENUM option: values, or for "@loss" the names of the
 * loss table's rows (tt_loss_names): lists that grow come from their table. */
const char *tt_opt_values(const tt_optspec *o);

#define TT_LIST_MAX 16
typedef struct tt_optval {
    int set;                  /* given on the command line */
    int64_t i;                /* INT, BOOL, ENUM (index into values) */
    double d;                 /* NUM (and INT as double) */
    const char *s;            /* STR; ENUM text (points into the token or def;
                                 NULL for the default of a bound ENUM) */
    int n;
    int64_t list[TT_LIST_MAX];/* INTS */
    int col;
} tt_optval;

/* Write the bound options of specs whose bind is b into dst (a b struct):
 * every one when all, else only those given on the command line. */
void tt_opts_apply(const tt_optspec *specs, const tt_optval *vals, const tt_optbind *b,
                   void *dst, int all);
/* Write v into bound option o's field of the struct at dst. */
void tt_opt_store(const tt_optspec *o, const tt_optval *v, void *dst);

#define TT_POS_MAX 64
#define TT_OPT_MAX 40
typedef struct tt_cmd tt_cmd;
typedef struct tt_args {
    const tt_cmd *cmd;
    tt_tok *tok;              /* the command's tokens, tok[0] is its name */
    int n;
    int npos;
    tt_tok *pos[TT_POS_MAX];  /* positional words (not key=value) */
    tt_optval opt[TT_OPT_MAX];/* by index in cmd->opts */
} tt_args;

/* A handler returns 0 on success, -1 on failure with s->err (and s->err_col)
 * set, or -2 on a failure already reported (an error inside `source`). */
typedef int (*tt_cmd_fn)(tt_session *s, tt_args *a);

struct tt_cmd {
    const char *name;
    tt_cmd_fn fn;
    int min, max;             /* positional words; max -1 = any */
    const char *usage;        /* "train MODEL [key=value ...]" */
    const char *summary;      /* one line for `help` */
    const tt_optspec *opts;   /* NULL-key terminated, or NULL */
    const char *args;         /* completion of positionals: "@model @file",
                                 "movielens|csv|synthetic @file", ... */
    int raw;                  /* handler reads key=value words itself */
    const char *help;         /* extra text for `help CMD` (may be NULL) */
    unsigned flags;           /* TT_CMD_* */
};
/* Command flags. TT_CMD_SAFE: the command only reads or changes the session's
 * own state (no files, no engine, no waiting on the terminal), so a sandboxed
 * session (fuzzing) runs it; every other command is checked (name, arity,
 * options) but not run there. A new command without it is skipped. */
enum { TT_CMD_SAFE = 1u << 0 };

extern const tt_cmd tt_cmds[];
extern const int tt_n_cmds;
/* The settings of `set`/`show`, as options bound to tt_session's fields
 * (their defaults: tt_session_init). */
extern const tt_optspec tt_settings[];
/* Tower stages and their options (for help, completion and the parser): the
 * table is in tt_cmd_model.c, beside the stages' functions. A stage of
 * key=value options only is one row (its options bound to tt_tower_def, and
 * has naming the field that says the tower has it); a stage that parses or
 * prints more adds its function(s). */
typedef struct tt_stagespec tt_stagespec;
enum tt_stage_how { TT_STAGE_NEW = 0,   /* a stage of a definition */
                    TT_STAGE_WITH,      /* in a `with` list: given options only */
                    TT_STAGE_DROP };    /* `no NAME` in a `with` list */
/* Apply stage tokens st[0..sn) (st[0] is its name) to d; errors at col. */
typedef int (*tt_stage_fn)(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn,
                           int col, tt_tower_def *d, enum tt_stage_how how);
/* One channel inside channels ( ... ): t[0] is its name. */
typedef int (*tt_chan_fn)(tt_session *s, const tt_stagespec *sp, tt_tok *t, int n,
                          tt_chan_def *c);
/* Write the stage as typed (" | senet r=2") into buf (n bytes) when tower t
 * has it; return what snprintf returns (0: t does not have it). */
typedef int (*tt_stage_fmt)(const tt_tower_def *t, char *buf, int n);
/* The has fields of a stage row: the tower has the stage when its int field F
 * holds V (V != 0). */
#define TT_HAS(F, V) offsetof(tt_tower_def, F), (V)
struct tt_stagespec {
    const char *name;
    const char *usage;
    const tt_optspec *opts;   /* bound to tt_tower_def (tt_bind_tower); a
                                 channel's to tt_chan_def */
    const char *summary;
    const char *help;         /* more lines for `help STAGE`, or NULL */
    int order;                /* place in a tower, stages of one order are
                                 alternatives; 0: only a channel */
    tt_stage_fn parse;        /* as a stage of a tower; NULL: the generic one
                                 (key=value options, then has set) */
    tt_chan_fn channel;       /* as a channel; NULL: not a channel */
    tt_stage_fmt format;      /* printed back (tt_tower_format); NULL: the
                                 generic one (name, then options that differ
                                 from their default or are named in shown) */
    size_t has_off;           /* TT_HAS: see above (generic parse and format) */
    int has_val;
    const char *shown;        /* options printed even at their default: "r" */
    /* A channel row: the kind its channel function makes, and what follows
     * its name inside channels ( ... ) when printed back (NULL: nothing). */
    enum tt_chan_kind chan_kind;
    int (*chan_args)(const tt_chan_def *c, char *buf, int n);
};
extern const tt_stagespec tt_stages[];
extern const int tt_n_stages;
/* Options of `model NAME = twotower ...` (also used by `with`). */
extern const tt_optspec tt_model_opts[];

/* Exact name, else NULL. */
const tt_cmd *tt_cmd_find(const char *name);
/* The command closest to a mistyped name (tt_suggest), or NULL. */
const char *tt_cmd_suggest(const char *name);
int tt_optspec_count(const tt_optspec *o);
const tt_optspec *tt_optspec_find(const tt_optspec *o, const char *key);

/* Run one command made of toks[0..n). Checks the name (with a suggestion),
 * the positional arity and the options against the table, then calls the
 * handler. Returns the handler's status. */
int tt_cmd_run(tt_session *s, tt_tok *toks, int n);

/* Parse one option value for spec o from text into v; -1 with s->err set
 * ("epochs must be >= 1, got -1", "unknown optimizer 'adamw': did you mean
 * 'adam'?") */
int tt_opt_parse_value(tt_session *s, const tt_optspec *o, const char *text,
                       tt_optval *v);
/* Parse key=value tokens tok[0..n) against specs into vals (defaults for the
 * others). first: the command's first positional word (for `sub`), may be
 * NULL. Positional words are skipped. */
int tt_opts_parse(tt_session *s, const char *what, const tt_optspec *specs,
                  tt_tok *tok, int n, const char *first, tt_optval *vals);
/* The value of option key in a (by spec). A key not in the command's table
 * is a bug in the handler: it is reported on stderr and the program aborts. */
const tt_optval *tt_arg(const tt_args *a, const char *key);
/* tt_opts_apply of a's given options bound to b, into dst. */
void tt_args_apply(const tt_args *a, const tt_optbind *b, void *dst);

/* Help text: all commands, or the commands/stage/setting matching topic. */
int tt_help(tt_session *s, FILE *f, const char *topic);

/* Completion: candidates for the word being typed, given the text of the
 * line before it. Returns a malloc'd NULL-terminated array of malloc'd
 * strings (empty when nothing fits); *files is set to 1 when file names
 * should be completed instead. */
char **tt_complete(tt_session *s, const char *before, const char *word,
                   int *files);
void tt_complete_free(char **c);

#endif

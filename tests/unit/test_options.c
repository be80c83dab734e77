/* test_options: the option tables of the command table against the code.
 * Every ENUM option's value list matches the enum its handler reads (each
 * value of every list needs an expectation here, so a new value or enum fails
 * until it is named); bound options take their defaults from the engine's
 * *_init and write the fields they name; tt_arg with a key the command lacks
 * aborts; commands with effects are not marked safe for the sandbox. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tt_cmd_int.h"
#include "tt_index.h"
#include "tt_losses.h"
#include "tt_output.h"
#include "tt_plot.h"
#include "tt_score.h"
#include "tt_check.h"

/* What each ENUM value must parse to: the enum constant its handler uses. */
static const struct { const char *key, *value; int want; } expect[] = {
    {"sim", "cos", TT_SIM_COS}, {"sim", "dot", TT_SIM_DOT},
    {"loss", "softmax", TT_LOSS_SOFTMAX}, {"loss", "inbatch", TT_LOSS_INBATCH},
    {"loss", "sampled", TT_LOSS_SAMPLED}, {"loss", "bce", TT_LOSS_BCE}, {"loss", "bpr", TT_LOSS_BPR},
    {"sampler", "uniform", TT_SAMPLE_UNIFORM}, {"sampler", "pop", TT_SAMPLE_POP},
    {"fusion", "sum", TT_FUSE_SUM}, {"fusion", "concat", TT_FUSE_CONCAT},
    {"augment", "none", TT_AUG_NONE}, {"augment", "dat", TT_AUG_DAT},
    {"interact", "none", TT_INTERACT_NONE}, {"interact", "fe", TT_INTERACT_FE},
    {"opt", "sgd", TT_OPT_SGD}, {"opt", "adagrad", TT_OPT_ADAGRAD}, {"opt", "adam", TT_OPT_ADAM},
    {"squeeze", "mean", TT_SQ_MEAN}, {"squeeze", "max", TT_SQ_MAX},
    {"squeeze", "meanmax", TT_SQ_MEANMAX},
    {"gate", "sigmoid", TT_GATE_SIGMOID}, {"gate", "relu", TT_GATE_RELU},
    {"via", "attention", TT_MI_ATTENTION}, {"via", "routing", TT_MI_ROUTING},
    {"proj", "linear", TT_MI_PROJ_LINEAR}, {"proj", "none", TT_MI_PROJ_NONE},
    {"mode", "zero", TT_ABLATE_ZERO}, {"mode", "shuffle", TT_ABLATE_SHUFFLE},
    {"term", "auto", TT_PLOT_AUTO}, {"term", "window", TT_PLOT_WINDOW},
    {"term", "dumb", TT_PLOT_DUMB}, {"term", "file", TT_PLOT_FILE},
    {"plot", "auto", TT_PLOT_AUTO}, {"plot", "window", TT_PLOT_WINDOW},
    {"plot", "dumb", TT_PLOT_DUMB}, {"plot", "file", TT_PLOT_FILE},
    {"output", "table", TT_OUT_TABLE}, {"output", "csv", TT_OUT_CSV},
    {"output", "json", TT_OUT_JSON},
    /* split=valid|test: handlers read index 0 as valid; train|valid|test is enum tt_part */
    {"split", "valid", -1}, {"split", "test", -1}, {"split", "train", -1},
    /* by=item_pop|user_activity (eval, rank): enum tt_slice_by */
    {"by", "item_pop", TT_SLICE_ITEM_POP}, {"by", "user_activity", TT_SLICE_USER_ACTIVITY},
    /* tower=user|item|both: the side (tt_weights_args.side: 0, 1, 2) */
    {"tower", "user", 0}, {"tower", "item", 1}, {"tower", "both", 2},
    {"kind", "flat", TT_ANN_FLAT}, {"kind", "ivf", TT_ANN_IVF}, {"kind", "hnsw", TT_ANN_HNSW},
    {"kind", "ivfpq", TT_ANN_IVFPQ},
    {"metric", "ip", TT_IM_IP}, {"metric", "l2", TT_IM_L2}, {"metric", "ip2l2", TT_IM_IP2L2},
    {"metric", "auto", TT_IM_AUTO},
};

static int find_expect(const char *key, const char *value)
{
    for (size_t i = 0; i < TT_ARRAY_LEN(expect); i++)
        if (!strcmp(expect[i].key, key) && !strcmp(expect[i].value, value))
            return (int)i;
    return -1;
}

static void check_enums(const char *where, const tt_optspec *o, tt_session *s)
{
    for (; o && o->key; o++) {
        if (o->type != TT_O_ENUM)
            continue;
        const char *vals = tt_opt_values(o);
        CHECK(vals && *vals, "%s: ENUM option '%s' has no values", where, o->key);
        if (!vals)
            continue;
        char w[64];
        for (int k = 0; strcmp(tt_enum_word(vals, k, w, sizeof w), "?"); k++) {
            int e = find_expect(o->key, w);
            if (!CHECK(e >= 0, "%s: %s=%s has no expectation in test_options.c: name its enum constant",
                       where, o->key, w))
                continue;
            tt_optval v;
            memset(&v, 0, sizeof v);
            CHECK(tt_opt_parse_value(s, o, w, &v) == 0 && v.i == k, "%s: %s=%s parses to %lld", where,
                  o->key, w, (long long)v.i);
            if (expect[e].want >= 0)
                CHECK(expect[e].want == k, "%s: %s=%s is value %d of the list but enum constant %d",
                      where, o->key, w, k, expect[e].want);
        }
    }
}

/* Bound options: defaults equal the struct's init, applying every value
 * writes nothing else, and each printed default parses back. */
static void check_binds(const char *where, const tt_optspec *specs, tt_session *s)
{
    tt_optval v[TT_OPT_MAX];
    int n = tt_optspec_count(specs);
    CHECK(n <= TT_OPT_MAX, "%s: %d options", where, n);
    if (tt_opts_parse(s, where, specs, NULL, 0, NULL, v)) {
        FAIL("%s: defaults do not parse: %s", where, s->err.msg);
        return;
    }
    const tt_optbind *const *binds = tt_optbinds;
    for (int b = 0; b < tt_n_optbinds; b++) {
        unsigned char *x = calloc(1, binds[b]->size), *y = calloc(1, binds[b]->size);
        binds[b]->init(x);
        binds[b]->init(y);
        tt_opts_apply(specs, v, binds[b], y, 1);
        CHECK(memcmp(x, y, binds[b]->size) == 0, "%s: defaults applied to %s differ from its init",
              where, binds[b]->name);
        free(x);
        free(y);
    }
    for (int i = 0; i < n; i++) {
        char buf[64];
        const char *d = tt_opt_default(&specs[i], buf, sizeof buf);
        if (!d)
            continue;
        tt_optval p;
        memset(&p, 0, sizeof p);
        CHECK(tt_opt_parse_value(s, &specs[i], d, &p) == 0, "%s: default %s=%s does not parse: %s",
              where, specs[i].key, d, s->err.msg);
        if (specs[i].bind)
            CHECK(specs[i].def == NULL, "%s: bound option '%s' also has a default in the table",
                  where, specs[i].key);
    }
}

static const tt_optspec *opts_of(const char *cmd)
{
    const tt_cmd *c = tt_cmd_find(cmd);
    return c ? c->opts : NULL;
}

/* A stage's usage line ("senet [r=2] ...") names each option's default as
 * the table gives it. */
static void check_stage_usage(void)
{
    for (int i = 0; i < tt_n_stages; i++)
        for (const tt_optspec *o = tt_stages[i].opts; o && o->key; o++) {
            char want[96], def[64];
            const char *d = tt_opt_default(o, def, sizeof def);
            if (!d)
                continue;
            snprintf(want, sizeof want, "[%s=%s]", o->key, d);
            CHECK(strstr(tt_stages[i].usage, want) != NULL, "stage %s: usage '%s' lacks %s",
                  tt_stages[i].name, tt_stages[i].usage, want);
        }
}

/* Given values reach their fields. */
static void check_apply(tt_session *s)
{
    tt_toks t;
    tt_optval v[TT_OPT_MAX];
    int col;
    memset(&t, 0, sizeof t);
    const tt_optspec *to = opts_of("train");
    if (!CHECK(tt_lex("lr=0.5 opt=sgd epochs=3", 1, &t, &s->err, &col) == 0 && t.n == 3, "lex") ||
        !CHECK(to && tt_opts_parse(s, "train", to, t.v, t.n, NULL, v) == 0, "parse: %s", s->err.msg)) {
        tt_toks_free(&t);
        return;
    }
    tt_toks_free(&t);
    tt_train_opts o;
    tt_train_opts_init(&o);
    tt_opts_apply(to, v, &tt_bind_train, &o, 0);
    CHECK(o.lr == 0.5f && o.opt == TT_OPT_SGD && o.epochs == 3, "lr %g opt %d epochs %d",
          (double)o.lr, (int)o.opt, o.epochs);
    CHECK(o.batch == 256, "batch %d: untouched when not given", o.batch);
}

/* tt_arg with a key the command's table lacks aborts (in a child). */
static void check_arg_unknown(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        tt_args a;
        memset(&a, 0, sizeof a);
        a.cmd = tt_cmd_find("train");
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2);
        tt_arg(&a, "no_such_option");
        _exit(0);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "tt_arg with an unknown key: status %d", st);
}

/* Commands that read or write files, run the engine or wait on the terminal
 * never carry TT_CMD_SAFE (a sandboxed session would run them). */
static void check_flags(void)
{
    static const char *unsafe[] = {"load", "split", "features", "train", "eval", "weights",
                                   "ablate", "compare", "plot", "save", "open", "export",
                                   "source", "pause"};
    for (size_t i = 0; i < TT_ARRAY_LEN(unsafe); i++) {
        const tt_cmd *c = tt_cmd_find(unsafe[i]);
        CHECK(c && !(c->flags & TT_CMD_SAFE), "%s is marked TT_CMD_SAFE", unsafe[i]);
    }
    CHECK(tt_cmd_find("let")->flags & TT_CMD_SAFE);
}

int main(void)
{
    tt_session s;
    FILE *null = fopen("/dev/null", "w");
    tt_session_init(&s);
    s.out.f = null;
    for (int i = 0; i < tt_n_cmds; i++) {
        check_enums(tt_cmds[i].name, tt_cmds[i].opts, &s);
        check_binds(tt_cmds[i].name, tt_cmds[i].opts, &s);
    }
    check_enums("model", tt_model_opts, &s);
    check_binds("model", tt_model_opts, &s);
    check_enums("set", tt_settings, &s);
    check_binds("set", tt_settings, &s);
    for (int i = 0; i < tt_n_stages; i++) {
        check_enums(tt_stages[i].name, tt_stages[i].opts, &s);
        check_binds(tt_stages[i].name, tt_stages[i].opts, &s);
    }
    check_stage_usage();
    CHECK(tt_loss_count() >= 5, "%d losses", tt_loss_count());
    check_apply(&s);
    check_flags();
    check_arg_unknown();
    tt_session_free(&s);
    fclose(null);
    return tt_check_done("test_options");
}

/* test_session_lex: the tokenizer, suggestions, option parsing, tower
 * definitions printed back, and the three output modes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_cmd.h"
#include "tt_cmd_int.h"
#include "tt_lex.h"
#include "tt_output.h"
#include "tt_repl.h"
#include "tt_session.h"
#include "tt_check.h"


static void test_lex(void)
{
    tt_toks t = {0, 0, NULL};
    tt_err err;
    int col = 0;
    CHECK(tt_lex("tower u = embed dim=16|mlp 64 32 | l2norm # comment", 1, &t, &err, &col) == 0);
    CHECK(t.n == 11);
    CHECK_STR(t.v[0].s, "tower");
    CHECK_STR(t.v[2].s, "=");
    CHECK(!tt_tok_is_kv(&t.v[2]));
    CHECK(tt_tok_is_kv(&t.v[4]));
    CHECK(t.v[4].col == 17);
    CHECK(t.v[5].kind == TT_TOK_PIPE && t.v[5].col == 23);
    CHECK_STR(t.v[6].s, "mlp");
    CHECK(t.v[6].col == 24);
    char k[32];
    CHECK_STR(tt_tok_key(&t.v[4], k, sizeof k), "dim");
    CHECK_STR(tt_tok_val(&t.v[4]), "16");
    tt_toks_free(&t);

    CHECK(tt_lex("note \"a; b | c\" 'x y'; echo hi", 1, &t, &err, &col) == 0);
    CHECK(t.n == 6);
    CHECK_STR(t.v[1].s, "a; b | c");
    CHECK(t.v[1].quoted);
    CHECK_STR(t.v[2].s, "x y");
    CHECK(t.v[3].kind == TT_TOK_SEMI);
    tt_toks_free(&t);

    CHECK(tt_lex("title=\"A b\" k=10,20", 1, &t, &err, &col) == 0);
    CHECK(t.n == 2 && tt_tok_is_kv(&t.v[0]));
    CHECK_STR(tt_tok_val(&t.v[0]), "A b");
    tt_toks_free(&t);

    CHECK(tt_lex("echo \"open", 1, &t, &err, &col) == -1);
    CHECK(col == 6);
    CHECK(strstr(err.msg, "unterminated") != NULL);
    tt_toks_free(&t);

    CHECK(tt_lex_incomplete("echo \"open"));
    CHECK(tt_lex_incomplete("tower u = embed \\"));
    CHECK(!tt_lex_incomplete("echo done # it's fine"));
    CHECK(!tt_lex_incomplete("echo 'a'"));

    char q[64];
    CHECK_STR(tt_lex_quote("plain", q, sizeof q), "plain");
    CHECK_STR(tt_lex_quote("a b\"c", q, sizeof q), "\"a b\\\"c\"");
}

static const char *vars(void *ud, const char *name)
{
    (void)ud;
    if (!strcmp(name, "A"))
        return "alpha";
    if (!strcmp(name, "E"))
        return "";
    if (!strcmp(name, "DIM_2"))
        return "16";
    return NULL;
}

static void test_expand(void)
{
    static const char *const ok[][3] = {
        /* text, quotes, want */
        {"echo $A", "1", "echo alpha"},
        {"echo ${A}x", "0", "echo alphax"},
        {"dim=${DIM_2}", "1", "dim=16"},
        {"${NO:-../shared/data} ${E:-empty}", "1", "../shared/data empty"},
        {"cost $$5 and $ alone and $1", "1", "cost $5 and $ alone and $1"},
        {"'$A' \"$A\" \"\\\"$A\"", "1", "'$A' \"alpha\" \"\\\"alpha\""},
        {"it's $A", "0", "it's alpha"},
        {"load ${NO:-synthetic $A dim=$DIM_2}", "1", "load synthetic alpha dim=16"},
        {"${A:-never $NOPE}", "1", "alpha"},
    };
    tt_err err;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *r = tt_lex_expand(ok[i][0], ok[i][1][0] == '1', vars, NULL, &err);
        if (!r || strcmp(r, ok[i][2])) {
            FAIL("expand '%s' = '%s', want '%s'", ok[i][0], r ? r : err.msg, ok[i][2]);
        }
        free(r);
    }
    char *r = tt_lex_expand("echo $NOPE", 1, vars, NULL, &err);
    CHECK(r == NULL && strstr(err.msg, "undefined variable 'NOPE'"));
    r = tt_lex_expand("echo ${NO:-x $NOPE}", 1, vars, NULL, &err);
    CHECK(r == NULL && strstr(err.msg, "undefined variable 'NOPE'"));
    r = tt_lex_expand("echo ${A", 1, vars, NULL, &err);
    CHECK(r == NULL && strstr(err.msg, "missing '}'"));
    r = tt_lex_expand("echo ${A B}", 1, vars, NULL, &err);
    CHECK(r == NULL && strstr(err.msg, "bad variable reference"));
}

static void test_suggest(void)
{
    const char *c[] = {"epochs", "batch", "lr", "opt", "momentum", "seeds", "seed"};
    CHECK_STR(tt_suggest("lrr", c, 7), "lr");
    CHECK_STR(tt_suggest("epoch", c, 7), "epochs");
    CHECK_STR(tt_suggest("bacth", c, 7), "batch");
    CHECK(tt_suggest("xyzzy", c, 7) == NULL);
    CHECK(tt_suggest("", c, 7) == NULL);
    char b[32];
    CHECK_STR(tt_suggest_list("adamw", "sgd|adagrad|adam", b, sizeof b), "adam");
    CHECK(tt_suggest_list("rmsprop", "sgd|adagrad|adam", b, sizeof b) == NULL);
}

/* Run one line in a session whose output goes to a memory buffer. */
static char outbuf[65536];
static int run(tt_session *s, const char *line)
{
    FILE *f = fmemopen(outbuf, sizeof outbuf, "w");
    FILE *err = stderr;
    s->out.f = f;
    stderr = fopen("/dev/null", "w");
    int rc = tt_repl_line(s, line, 1);
    fclose(stderr);
    stderr = err;
    fclose(f);
    s->out.f = stdout;
    return rc;
}

static void test_options(void)
{
    tt_session s;
    tt_session_init(&s);
    CHECK(run(&s, "set seed 7") == 0 && s.seed == 7);
    CHECK(run(&s, "set seed=8") == 0 && s.seed == 8);
    CHECK(run(&s, "set output csv") == 0 && s.out.mode == TT_OUT_CSV);
    CHECK(run(&s, "set output xml") == -1);
    CHECK(strstr(s.err.msg, "unknown output 'xml'") != NULL);
    CHECK(run(&s, "set k 50,10,20,10") == 0 && s.n_k == 3 && s.ks[0] == 10 && s.ks[2] == 50);
    CHECK(run(&s, "set dashbaord off") == -1);
    CHECK(strstr(s.err.msg, "did you mean 'dashboard'?") != NULL);
    CHECK(run(&s, "set output table") == 0);
    /* train's checks run before any model is looked at? No: the model comes
     * first; with no model the error names it. */
    CHECK(run(&s, "train nope epochs=5") == -1);
    CHECK(strstr(s.err.msg, "no model 'nope'") != NULL);
    CHECK(run(&s, "train nope epochs=-1") == -1);
    CHECK(strstr(s.err.msg, "epochs must be at least 1 (got -1)") != NULL);
    CHECK(run(&s, "train nope batch=0") == -1);
    CHECK(strstr(s.err.msg, "batch must be at least 1 (got 0)") != NULL);
    CHECK(run(&s, "train nope opt=adamw") == -1);
    CHECK(strstr(s.err.msg, "did you mean 'adam'?") != NULL);
    CHECK(run(&s, "train nope lrr=0.1") == -1);
    CHECK(strstr(s.err.msg, "unknown option 'lrr' for train: did you mean 'lr'?") != NULL);
    CHECK(run(&s, "train nope lr=0") == -1);
    CHECK(strstr(s.err.msg, "lr must be greater than 0") != NULL);
    CHECK(run(&s, "train nope lr=abc") == -1);
    CHECK(strstr(s.err.msg, "lr needs a number") != NULL);
    CHECK(run(&s, "train nope epochs=2 epochs=3") == -1);
    CHECK(strstr(s.err.msg, "given twice") != NULL);
    CHECK(run(&s, "eval x k=10,,20") == -1);
    CHECK(run(&s, "load synthetic users=10 user_file=x") == -1);
    CHECK(strstr(s.err.msg, "applies to 'load csv' only") != NULL);
    CHECK(run(&s, "load synthetic users=1000000000") == -1);
    CHECK(strstr(s.err.msg, "users must be at most") != NULL);
    CHECK(run(&s, "trian m") == -1);
    CHECK(strstr(s.err.msg, "did you mean 'train'?") != NULL);
    CHECK(run(&s, "train") == -1);
    CHECK(strstr(s.err.msg, "usage: train MODEL") != NULL);
    CHECK(run(&s, "quit now") == -1);
    CHECK(strstr(s.err.msg, "too many arguments") != NULL);
    tt_session_free(&s);
}

static void test_towers(void)
{
    tt_session s;
    tt_session_init(&s);
    static const char *const ok[][2] = {
        {"tower u = embed dim=16 | mlp 64 32 | l2norm", "embed dim=16 | mlp 64 32 | l2norm"},
        {"tower u = embed | senet r=4 gate=relu | mlp 8", "embed dim=16 | senet r=4 gate=relu | mlp 8"},
        {"tower u = embed dim=8 fields=user_id,age | channels (mlp 64 32) (fm) (cross 2 out=16) | l2norm",
         "embed dim=8 fields=user_id,age | channels (mlp 64 32) (fm) (cross 2 out=16) | l2norm"},
        {"tower u = embed dim=16 | senet groups=4 | mlp 32", "embed dim=16 | senet r=2 groups=4 | mlp 32"},
        {"tower u = embed dim=16|mlp 64 32|l2norm", "embed dim=16 | mlp 64 32 | l2norm"},
    };
    char line[1024];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK(run(&s, ok[i][0]) == 0);
        tt_tower_def *t = tt_session_tower(&s, "u");
        CHECK(t != NULL);
        if (t)
            CHECK_STR(tt_tower_format(t, line, sizeof line), ok[i][1]);
    }
    CHECK(run(&s, "tower u = embed dim=16 | mlp 64 32 | l2norm") == 0);
    CHECK(run(&s, "tower us = u with senet r=2") == 0);
    CHECK_STR(tt_tower_format(tt_session_tower(&s, "us"), line, sizeof line),
              "embed dim=16 | senet r=2 | mlp 64 32 | l2norm");
    CHECK(run(&s, "tower u3 = us with no senet | mlp 128 32 | embed dim=32") == 0);
    CHECK_STR(tt_tower_format(tt_session_tower(&s, "u3"), line, sizeof line),
              "embed dim=32 | mlp 128 32 | l2norm");
    /* errors, with the column of the offending stage */
    static const struct { const char *line; int col; const char *msg; } bad[] = {
        {"tower x = embed dim=16 | mlpp 64 | l2norm", 26, "unknown stage 'mlpp': did you mean 'mlp'?"},
        {"tower x = embed dim=0 | mlp 8", 11, "dim must be at least 1 (got 0)"},
        {"tower x = embed dim=1000000000 | mlp 8", 11, "dim must be at most 4096"},
        {"tower x = embed dm=16 | mlp 8", 11, "unknown option 'dm' for embed: did you mean 'dim'?"},
        {"tower x = embed | senet r=2 sqeeze=max | mlp 8", 19, "did you mean 'squeeze'?"},
        {"tower x = embed | senet gate=tanh", 19, "unknown gate 'tanh' (expected sigmoid or relu)"},
        {"tower x = embed | mlp 64 -3", 26, "mlp width must be between 1 and 65536, got -3"},
        {"tower x = embed | mlp", 19, "mlp needs at least one width"},
        {"tower x = mlp 64", 11, "a tower starts with embed"},
        {"tower x = embed | l2norm | mlp 8", 28, "'mlp' comes too late"},
        {"tower x = embed | channels (mlp 8) (fm", 36, "missing ')'"},
        {"tower x = embed | channels (mlp 8) (rnn 3)", 37, "unknown channel 'rnn'"},
        {"tower x = embed | channels (cross 99)", 35, "cross layers must be between 1 and 8"},
        {"tower x = embed |", 17, "nothing after the last '|'"},
        {"tower x = embed | | mlp 8", 19, "empty stage"},
        {"tower x = embed | fm", 19, "'fm' is a channel"},
        {"tower x embed", 9, "expected '=' after the tower name"},
        {"tower 9x = embed", 7, "bad tower name '9x'"},
        {"tower x = nothere with senet", 11, "no tower 'nothere'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run(&s, bad[i].line);
        CHECK(rc == -1);
        if (!strstr(s.err.msg, bad[i].msg) || s.err_col != bad[i].col) {
            FAIL("'%s': got col %d '%s', want col %d '%s'", bad[i].line,
                    s.err_col, s.err.msg, bad[i].col, bad[i].msg);
        }
    }
    /* models */
    CHECK(run(&s, "model dssm = twotower u us temp=0.05 loss=softmax") == 0);
    CHECK(run(&s, "model m2 = dssm with temp=0.1 loss=inbatch logq=on") == 0);
    CHECK_STR(tt_model_format(&tt_session_model(&s, "m2")->def, line, sizeof line),
              "model m2 = twotower u us sim=cos temp=0.1 loss=inbatch logq=on");
    CHECK(run(&s, "model m3 = dssm with user=us loss=sampled neg=50 sampler=pop") == 0);
    CHECK_STR(tt_model_format(&tt_session_model(&s, "m3")->def, line, sizeof line),
              "model m3 = twotower us us sim=cos temp=0.05 loss=sampled neg=50 sampler=pop alpha=0.75");
    CHECK(run(&s, "model m4 = twotower u nope") == -1);
    CHECK(strstr(s.err.msg, "no tower 'nope'") != NULL);
    CHECK(run(&s, "model m4 = twotower u us tmp=0.1") == -1);
    CHECK(strstr(s.err.msg, "did you mean 'temp'?") != NULL);
    CHECK(run(&s, "model m4 = twotower u us temp=0") == -1);
    CHECK(run(&s, "model m4 = twotower u us loss=softmax logq=on") == -1);
    CHECK(run(&s, "model m4 = twotowr u us") == -1);
    CHECK(strstr(s.err.msg, "did you mean 'twotower'?") != NULL);
    CHECK(run(&s, "model p = popularity") == 0);
    CHECK(run(&s, "model m5 = p with temp=1") == -1);
    /* state survives errors */
    CHECK(s.n_towers == 3 && s.n_models == 4);
    CHECK(run(&s, "drop model m3; drop tower u3") == 0);
    CHECK(s.n_towers == 2 && s.n_models == 3);
    tt_session_free(&s);
}

static void test_output(void)
{
    tt_rec r[2];
    char buf[4096];
    for (int i = 0; i < 2; i++) {
        tt_rec_init(&r[i]);
        tt_rec_str(&r[i], "model", i ? "dssm" : "pop");
        tt_rec_num(&r[i], "recall@10", i ? 0.0921 : 0.04984, 4);
        tt_rec_int(&r[i], "params", i ? 123456 : 0);
    }
    FILE *f = fmemopen(buf, sizeof buf, "w");
    tt_out o = {TT_OUT_TABLE, f, 0, 0};
    tt_out_rows(&o, "eval", r, 2, "protocol: x");
    fclose(f);
    CHECK_STR(buf, "model  recall@10  params\npop       0.0498       0\ndssm      0.0921  123456\nprotocol: x\n");
    f = fmemopen(buf, sizeof buf, "w");
    o.mode = TT_OUT_CSV;
    o.f = f;
    tt_out_rows(&o, "eval", r, 2, NULL);
    fclose(f);
    CHECK_STR(buf, "model,recall@10,params\npop,0.04984,0\ndssm,0.0921,123456\n");
    f = fmemopen(buf, sizeof buf, "w");
    o.mode = TT_OUT_JSON;
    o.f = f;
    tt_out_rows(&o, "eval", r, 2, "ignored");
    fclose(f);
    CHECK_STR(buf, "{\"event\":\"eval\",\"model\":\"pop\",\"recall@10\":0.04984,\"params\":0}\n"
                   "{\"event\":\"eval\",\"model\":\"dssm\",\"recall@10\":0.0921,\"params\":123456}\n");
    tt_rec_free(&r[0]);
    tt_rec_free(&r[1]);
    tt_rec_init(&r[0]);
    tt_rec_str(&r[0], "text", "a \"q\"\n\tb\\");
    tt_rec_num(&r[0], "x", 0.0 / 0.0, 4);
    f = fmemopen(buf, sizeof buf, "w");
    tt_json_rec(f, "note", &r[0]);
    fclose(f);
    CHECK_STR(buf, "{\"event\":\"note\",\"text\":\"a \\\"q\\\"\\n\\tb\\\\\",\"x\":null}\n");
    tt_rec_free(&r[0]);
}

int main(void)
{
    test_lex();
    test_expand();
    test_suggest();
    test_options();
    test_towers();
    test_output();
    return tt_check_done("test_session_lex");
}

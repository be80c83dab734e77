/* fuzz_cmd: the command language (tokenizer, command table, option parser,
 * tower and model definitions, settings) through the input loop's
 * tt_repl_line, on a session holding a tiny synthetic dataset. An input is a
 * script; each command runs unless it would touch files, spawn programs or
 * train (load, save, open, export, source, plot, train, ...): those are
 * skipped, so a fuzzer can never write outside its scratch folder. Invariant
 * (issue 7, "nothing lost"): a command that fails leaves every dataset,
 * tower and model in place. */
#include "fuzz.h"
#include "tt_cmd.h"
#include "tt_repl.h"
#include "tt_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const safe_cmds[] = {"tower", "model", "set", "show", "help", "list",
                                        "drop", "echo", "note", "features", "split", "eval",
                                        "compare", "quit", NULL};

static FILE *devnull(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w")))
        abort();
    return f;
}

/* 1 when the command text seg may run in a fuzzer. */
static int safe(const char *seg)
{
    tt_toks t;
    tt_err err;
    int col, ok = 1;
    memset(&t, 0, sizeof t);
    if (tt_lex(seg, 1, &t, &err, &col) == 0 && t.n > 0 && t.v[0].kind == TT_TOK_WORD &&
        tt_cmd_find(t.v[0].s)) {
        ok = 0;
        for (int k = 0; safe_cmds[k]; k++)
            if (!strcmp(t.v[0].s, safe_cmds[k]))
                ok = 1;
        /* threads=256 would start 256 BLAS threads for every evaluation */
        if (!strcmp(t.v[0].s, "set") && strstr(seg, "threads"))
            ok = 0;
    }
    tt_toks_free(&t);
    return ok;
}

static void check_kept(const tt_session *s, int nd, int nt, int nm, const char *seg)
{
    if (s->n_ds < nd || s->n_towers < nt || s->n_models < nm) {
        fprintf(stderr, "fuzz: invariant: the failed command '%s' lost state: datasets %d->%d, "
                "towers %d->%d, models %d->%d\n", seg, nd, s->n_ds, nt, s->n_towers, nm,
                s->n_models);
        abort();
    }
}

int tt_fuzz_cmd(const uint8_t *data, size_t size)
{
    if (size > 4096)  /* long inputs only slow the search down */
        return 0;
    char *text = tt_fuzz_text(data, size);
    tt_alloc_limit = (size_t)1 << 30;
    tt_session s;
    tt_session_init(&s);
    s.out.f = devnull();
    s.keep_going = 1;
    s.dashboard = 0;
    s.progress = 0;
    s.file = "fuzz.tt";
    s.line = 0;
    if (tt_repl_line(&s, "load synthetic users=60 items=40 clusters=4 per_user=12; split l2o", 1))
        abort();
    int ln = 0;
    for (char *line = text, *next; line && !s.quit; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        s.line = ++ln;
        const char *p = line;
        while (*p && !s.quit) {
            while (*p == ' ' || *p == '\t' || *p == ';')
                p++;
            if (!*p || *p == '#')
                break;
            int textlen, open;
            const char *e = tt_lex_command_end(p, &textlen, &open);
            if (e <= p)
                break;
            char *seg = strndup(p, (size_t)(e - p));
            if (!seg)
                abort();
            if (safe(seg)) {
                int nd = s.n_ds, nt = s.n_towers, nm = s.n_models;
                if (tt_repl_line(&s, seg, (int)(p - line) + 1) != 0) {
                    check_kept(&s, nd, nt, nm, seg);
                }
            }
            free(seg);
            p = e;
        }
    }
    tt_session_free(&s);
    free(text);
    return 0;
}

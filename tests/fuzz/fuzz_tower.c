/* fuzz_tower: the tower-definition parser (tt_tower_parse, what follows
 * "tower NAME =") and model creation from the result. Properties: a refused
 * definition gives a message; an accepted one prints back
 * (tt_tower_format) as a definition that parses to the same printout; and
 * building a two-tower model from it on a tiny dataset either works or is
 * refused with a message, never a crash or an allocation past the limit. */
#include "fuzz.h"
#include "tt_cmd_int.h"
#include "tt_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse text as a tower definition into d; 0 or -1 (message checked). */
static int parse(tt_session *s, const char *text, tt_tower_def *d)
{
    tt_toks t;
    tt_err err;
    int col, rc = -1;
    memset(&t, 0, sizeof t);
    memset(d, 0, sizeof *d);
    err.msg[0] = 0;
    if (tt_lex(text, 1, &t, &err, &col) == 0) {
        s->err.msg[0] = 0;
        rc = tt_tower_parse(s, t.v, t.n, d);
        /* Not tt_fuzz_check_message: these messages may quote a word with a
         * newline; tt_session_report, which prints them, makes them one line. */
        if (rc && !s->err.msg[0]) {
            fprintf(stderr, "fuzz: invariant: a tower refused without a message\n");
            abort();
        }
    } else {
        tt_fuzz_check_message(err.msg);
    }
    tt_toks_free(&t);
    return rc;
}

int tt_fuzz_tower(const uint8_t *data, size_t size)
{
    if (size > 2048)
        return 0;
    char *text = tt_fuzz_text(data, size);
    char *nl = strchr(text, '\n');   /* one line, as the REPL hands it over */
    if (nl)
        *nl = 0;
    tt_session *s = tt_fuzz_session();
    tt_tower_def d, d2;
    static char f1[16384], f2[16384];
    if (parse(s, text, &d) == 0) {
        tt_tower_format(&d, f1, sizeof f1);
        if (parse(s, f1, &d2) != 0) {
            fprintf(stderr, "fuzz: invariant: '%s' parsed, its printout '%s' does not: %s\n",
                    text, f1, s->err.msg);
            abort();
        }
        tt_tower_format(&d2, f2, sizeof f2);
        if (strcmp(f1, f2)) {
            fprintf(stderr, "fuzz: invariant: '%s' prints as '%s', which prints as '%s'\n",
                    text, f1, f2);
            abort();
        }
        /* Build it: both towers the same definition (channel sizes match). */
        tt_model_def md;
        tt_model *m = NULL;
        tt_err err;
        tt_model_def_init(&md);
        md.kind = TT_MODEL_TWOTOWER;
        snprintf(md.name, sizeof md.name, "m");
        snprintf(d.name, sizeof d.name, "t");
        size_t old = tt_alloc_limit;
        tt_alloc_limit = (size_t)64 << 20;
        err.msg[0] = 0;
        if (tt_model_create(&md, &d, &d, &tt_session_current(s)->d, 1, &m, &err) == 0)
            tt_model_free(m);
        else if (!err.msg[0])
            abort();  /* refused without a message (names may hold \n: see parse) */
        tt_alloc_limit = old;
    }
    free(text);
    return 0;
}

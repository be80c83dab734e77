/* test_session_complete: the completion generator behind Tab at the prompt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_cmd.h"
#include "tt_repl.h"
#include "tt_session.h"
#include "tt_check.h"


/* The candidates for word after before, joined by spaces ("" if none;
 * "<files>" when file names are to be completed). */
static const char *comp(tt_session *s, const char *before, const char *word)
{
    static char buf[4096];
    int files = 0;
    char **c = tt_complete(s, before, word, &files);
    buf[0] = 0;
    if (files)
        snprintf(buf, sizeof buf, "<files>");
    for (char **p = c; p && *p; p++) {
        if (buf[0])
            strncat(buf, " ", sizeof buf - strlen(buf) - 1);
        strncat(buf, *p, sizeof buf - strlen(buf) - 1);
    }
    tt_complete_free(c);
    return buf;
}

static void expect(tt_session *s, const char *before, const char *word, const char *want)
{
    const char *got = comp(s, before, word);
    if (strcmp(got, want)) {
        FAIL("complete('%s', '%s') = '%s', want '%s'", before, word, got, want);
    }
}

int main(void)
{
    tt_session s;
    tt_session_init(&s);
    FILE *null = fopen("/dev/null", "w");
    s.out.f = null;
    tt_repl_line(&s, "tower u = embed | mlp 8; tower us = u with senet; model dssm = twotower u us", 1);
    expect(&s, "", "tr", "train");
    expect(&s, "", "s", "split sweep similar save set show source");
    expect(&s, "", "zz", "");
    expect(&s, "train ", "", "dssm epochs= batch= lr= opt= momentum= wd= clip= lazy= patience= keep_best= valid= seed= seeds= threads=");
    expect(&s, "train dssm ", "ep", "epochs=");
    expect(&s, "train dssm ", "opt=a", "opt=adagrad opt=adam");
    expect(&s, "train dssm ", "lazy=", "lazy=on lazy=off");
    expect(&s, "eval ", "d", "dssm");
    expect(&s, "eval dssm ", "split=", "split=valid split=test");
    expect(&s, "load ", "", "movielens csv synthetic as=");
    expect(&s, "load ", "s", "synthetic");
    expect(&s, "load synthetic ", "u", "users=");
    expect(&s, "load synthetic ", "ti", "tiny");
    expect(&s, "load synthetic ", "ta", "tastes tails tastes= tails=");
    expect(&s, "load csv ", "us", "<files> user_file= user=");
    expect(&s, "load movielens ", "", "<files> as=");
    expect(&s, "source ", "", "<files>");
    expect(&s, "save dssm ", "", "<files>");
    expect(&s, "export dssm ", "", "items users metrics index");
    expect(&s, "export dssm items ", "", "<files>");
    expect(&s, "export dssm users ", "", "<files> split=");
    expect(&s, "set ", "da", "dashboard");
    expect(&s, "set output ", "", "table csv json");
    expect(&s, "set dashboard ", "o", "on off");
    expect(&s, "show tower ", "", "u us");
    expect(&s, "show model ", "", "dssm");
    expect(&s, "help ", "se", "set senet");
    expect(&s, "tower x ", "", "=");
    expect(&s, "tower x = ", "", "embed senet lightse mlp channels interests l2norm u us");
    expect(&s, "tower x = ", "u", "u us");
    expect(&s, "tower x = embed dim=16 | ", "", "embed senet lightse mlp channels interests l2norm");
    /* `no STAGE` only where it means something: in a derivation */
    expect(&s, "tower y = u with senet | ", "", "embed senet lightse mlp channels interests l2norm no");
    /* show: settings by name, never the table's @setting placeholder */
    expect(&s, "show ", "ou", "output");
    expect(&s, "show ", "@", "");
    expect(&s, "tower x = embed ", "", "dim= fields=");
    expect(&s, "tower x = embed | senet ", "ga", "gate=");
    expect(&s, "tower x = embed | senet ", "squeeze=m", "squeeze=mean squeeze=max squeeze=meanmax");
    expect(&s, "tower x = embed | channels (", "", "mlp fm cross");
    expect(&s, "tower x = u with ", "", "embed senet lightse mlp channels interests l2norm no");
    expect(&s, "model m = ", "", "popularity twotower ease itemknn ials dssm");
    expect(&s, "model m = ease ", "", "lambda=");
    expect(&s, "model m = itemknn ", "", "k= shrink=");
    expect(&s, "model m = twotower ", "", "u us");
    expect(&s, "model m = twotower u us ", "lo", "loss= logq=");
    expect(&s, "model m = twotower u us ", "loss=", "loss=softmax loss=inbatch loss=sampled loss=bce loss=bpr");
    expect(&s, "model m = dssm ", "", "with");
    expect(&s, "model m = dssm with ", "user=", "user=u user=us");
    expect(&s, "echo hi; ", "tr", "train");
    expect(&s, "echo hi; ", "qu", "quit");
    expect(&s, "drop ", "", "dataset tower model index");
    expect(&s, "list ", "i", "indexes");
    expect(&s, "compare dssm ", "", "dssm split= k= datasets= beyond=");
    tt_repl_line(&s, "let EPOCHS = 3; let EXTRA = x", 1);
    expect(&s, "train dssm ", "epochs=$E", "epochs=$EPOCHS epochs=$EXTRA");
    expect(&s, "train dssm ", "epochs=${EP", "epochs=${EPOCHS}");
    /* with a dataset: feature names */
    if (tt_repl_line(&s, "load synthetic tiny", 1) == 0) {
        expect(&s, "tower x = embed ", "fields=ta", "fields=taste fields=tags");
        expect(&s, "tower x = embed ", "fields=taste,ag", "fields=taste,age");
        expect(&s, "weights dssm ", "by=ac", "by=activity");
        /* hist (a sequence) has no values to group by: weights refuses it,
         * so completion does not offer it (issue 11) */
        expect(&s, "weights dssm ", "by=h", "");
        expect(&s, "tower x = embed ", "fields=h", "fields=hist");
        expect(&s, "ablate dssm ", "ta", "taste tags");
    } else {
        FAIL("load synthetic tiny failed: feature completion not checked");
    }
    tt_session_free(&s);
    fclose(null);
    return tt_check_done("test_session_complete");
}

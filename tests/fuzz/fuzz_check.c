/* fuzz_check: invariants a loaded dataset must keep, checked after every
 * accepted fuzz input (a loader that says yes must mean it), and the session
 * the targets over definitions and model files share. */
#include "fuzz.h"
#include "tt_dataset.h"
#include "tt_repl.h"
#include "tt_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz: invariant: " __VA_ARGS__); \
    fputc('\n', stderr); abort(); } } while (0)

tt_session *tt_fuzz_session(void)
{
    static tt_session s;
    static int ready;
    if (!ready) {
        FILE *null = fopen("/dev/null", "w");
        if (!null)
            abort();
        tt_session_init(&s);
        s.out.f = null;
        s.file = "fuzz";
        if (tt_repl_line(&s, "load synthetic users=60 items=40 clusters=4 per_user=12; split l2o", 1))
            abort();
        ready = 1;
    }
    return &s;
}

void tt_fuzz_check_message(const char *msg)
{
    REQUIRE(msg[0], "an error without a message");
    REQUIRE(!strchr(msg, '\n'), "a message over several lines: %s", msg);
}

void tt_fuzz_check_dataset(const tt_dataset *d)
{
    REQUIRE(d->name && d->source, "no name or source");
    REQUIRE(d->n_users > 0 && d->n_items > 0 && d->n_inter > 0, "empty dataset accepted: "
            "%d users, %d items, %lld interactions", d->n_users, d->n_items, (long long)d->n_inter);
    for (int32_t u = 0; u < d->n_users; u++)
        REQUIRE(d->user_key[u], "user %d has no key", u);
    for (int32_t i = 0; i < d->n_items; i++)
        REQUIRE(d->item_key[i], "item %d has no key", i);
    for (int64_t k = 0; k < d->n_inter; k++) {
        REQUIRE(d->iu[k] >= 0 && d->iu[k] < d->n_users, "interaction %lld: user %d", (long long)k, d->iu[k]);
        REQUIRE(d->ii[k] >= 0 && d->ii[k] < d->n_items, "interaction %lld: item %d", (long long)k, d->ii[k]);
        if (k) {
            int64_t a = d->iu[k - 1], b = d->iu[k];
            REQUIRE(a < b || (a == b && (d->it[k - 1] < d->it[k] ||
                    (d->it[k - 1] == d->it[k] && d->ii[k - 1] <= d->ii[k]))),
                    "interactions not sorted at %lld", (long long)k);
        }
    }
    int has[2] = {0, 0};
    for (int f = 0; f < d->n_feat; f++) {
        const tt_feature *x = &d->feat[f];
        REQUIRE(x->name && x->name[0], "feature %d has no name", f);
        for (int g = 0; g < f; g++)
            REQUIRE(strcmp(d->feat[g].name, x->name), "two features named '%s'", x->name);
        if (!strcmp(x->name, "user_id"))
            has[0] = 1;
        if (!strcmp(x->name, "item_id"))
            has[1] = 1;
        REQUIRE(x->card >= 1, "%s: card %d", x->name, x->card);
        if (x->kind == TT_SEQ) {
            REQUIRE(x->share >= 0 && x->share < d->n_feat, "%s: shares %d", x->name, x->share);
            continue;
        }
        int64_t want = x->side == TT_USER ? d->n_users : x->side == TT_ITEM ? d->n_items : d->n_inter;
        REQUIRE(x->n_rows == want, "%s: %lld rows, want %lld", x->name, (long long)x->n_rows,
                (long long)want);
        REQUIRE(x->vocab, "%s: no vocabulary", x->name);
        for (int32_t k = 0; k < x->card; k++)
            REQUIRE(x->vocab[k], "%s: vocab[%d] missing", x->name, k);
        if (x->kind == TT_SET) {
            REQUIRE(x->off && x->off[0] == 0, "%s: offsets", x->name);
            for (int64_t r = 0; r < x->n_rows; r++) {
                REQUIRE(x->off[r] <= x->off[r + 1], "%s: offsets decrease at %lld", x->name, (long long)r);
                for (int64_t j = x->off[r]; j < x->off[r + 1]; j++)
                    REQUIRE(x->vals[j] >= 1 && x->vals[j] < x->card, "%s: value %d", x->name, x->vals[j]);
            }
        } else {
            REQUIRE(x->ids, "%s: no ids", x->name);
            for (int64_t r = 0; r < x->n_rows; r++)
                REQUIRE(x->ids[r] >= 0 && x->ids[r] < x->card, "%s: row %lld id %d of %d", x->name,
                        (long long)r, x->ids[r], x->card);
        }
        if (x->kind == TT_NUM)
            for (int e = 1; e < x->n_edges; e++)
                REQUIRE(x->edges[e - 1] <= x->edges[e], "%s: edges not ascending", x->name);
        REQUIRE(x->freq, "%s: no frequencies", x->name);
    }
    REQUIRE(has[0] && has[1], "no user_id or item_id feature");
}

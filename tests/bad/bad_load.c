/* bad_load: runs one dataset loader on the command line and prints its error,
 * so the bad-input corpus (tests/bad/run.sh) can check loader messages before
 * and besides the session. Exit 0 loaded, 1 refused, 2 bad usage.
 *   bad_load movielens DIR
 *   bad_load csv INTER [users=F] [items=F] [sep=C] [multi=C] [user=COL] [item=COL]
 *                [time=COL] [context=LIST] [allow_label=LIST] [kinds=LIST] [buckets=N]
 *   bad_load synthetic [users=N] [items=N] [clusters=N] [per_user=N] [preset=NAME]
 *   ... [limit=BYTES] lowers tt_alloc_limit first. */
#include "tt_dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *opt(const char *arg, const char *key)
{
    size_t n = strlen(key);
    return strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

/* "\t" -> tab; else the first byte. */
static char sep_of(const char *v)
{
    return strcmp(v, "\\t") == 0 ? '\t' : v[0];
}

int main(int argc, char **argv)
{
    tt_dataset d;
    tt_err err;
    int rc;
    const char *v;
    memset(&d, 0, sizeof d);
    err.msg[0] = 0;
    if (argc < 2)
        goto usage;
    for (int a = 2; a < argc; a++)
        if ((v = opt(argv[a], "limit")))
            tt_alloc_limit = (size_t)strtoull(v, NULL, 10);
    if (strcmp(argv[1], "movielens") == 0 && argc >= 3) {
        rc = tt_load_movielens(argv[2], &d, &err);
    } else if (strcmp(argv[1], "csv") == 0 && argc >= 3) {
        tt_csv_opts o;
        tt_csv_opts_init(&o);
        o.inter_path = argv[2];
        for (int a = 3; a < argc; a++) {
            if ((v = opt(argv[a], "users"))) o.user_path = v;
            else if ((v = opt(argv[a], "items"))) o.item_path = v;
            else if ((v = opt(argv[a], "sep"))) o.sep = sep_of(v);
            else if ((v = opt(argv[a], "multi"))) o.multi_sep = sep_of(v);
            else if ((v = opt(argv[a], "user"))) o.user_col = v;
            else if ((v = opt(argv[a], "item"))) o.item_col = v;
            else if ((v = opt(argv[a], "time"))) o.time_col = v;
            else if ((v = opt(argv[a], "context"))) o.context = v;
            else if ((v = opt(argv[a], "allow_label"))) o.allow_label = v;
            else if ((v = opt(argv[a], "kinds"))) o.kinds = v;
            else if ((v = opt(argv[a], "buckets"))) o.num_buckets = atoi(v);
            else if (!opt(argv[a], "limit")) goto usage;
        }
        rc = tt_load_csv(&o, &d, &err);
    } else if (strcmp(argv[1], "synthetic") == 0) {
        tt_synth_opts o;
        tt_synth_opts_init(&o);
        for (int a = 2; a < argc; a++) {
            if ((v = opt(argv[a], "users"))) o.users = atoi(v);
            else if ((v = opt(argv[a], "items"))) o.items = atoi(v);
            else if ((v = opt(argv[a], "clusters"))) o.clusters = atoi(v);
            else if ((v = opt(argv[a], "per_user"))) o.per_user = atoi(v);
            else if ((v = opt(argv[a], "preset"))) {
                if (tt_synth_preset(v, &o)) {
                    printf("unknown preset '%s'\n", v);
                    return 1;
                }
            } else if (!opt(argv[a], "limit")) goto usage;
        }
        rc = tt_synth_generate(&o, &d, &err);
    } else {
        goto usage;
    }
    if (rc) {
        printf("%s\n", err.msg);
        return 1;
    }
    printf("loaded %s: %d users, %d items, %lld interactions, %d features\n", d.name,
           d.n_users, d.n_items, (long long)d.n_inter, d.n_feat);
    tt_dataset_free(&d);
    return 0;
usage:
    fprintf(stderr, "usage: bad_load movielens DIR | csv INTER [key=value...] | synthetic "
            "[key=value...]\n");
    return 2;
}

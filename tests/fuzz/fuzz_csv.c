/* fuzz_csv: the delimited-text loader (tt_load_csv). The first 4 bytes of an
 * input choose the options (any byte value is valid, 0 gives the defaults);
 * the rest is up to three parts separated by TT_FUZZ_SEP: interactions,
 * users, items (an absent part is no file). */
#include "fuzz.h"
#include "tt_dataset.h"

#include <string.h>

int tt_fuzz_csv(const uint8_t *data, size_t size)
{
    static const char seps[] = {',', '\t', ';', '|'};
    static const char multis[] = {'|', ';', ' ', ','};
    static const char *const time_cols[] = {NULL, "", "time", "ts"};
    static const char *const contexts[] = {NULL, "", "device,hour", "nope"};
    static const char *const kinds[] = {NULL, "hour:numeric",
                                        "age:numeric,genres:set,city:categorical",
                                        "age:vector", "labels:set,hour:categorical",
                                        "user:numeric", ":", "hour:numeric,hour:set"};
    static const char *const cols[][2] = {{NULL, NULL}, {"uid", "iid"}, {"item", "user"},
                                          {"user", "user"}};
    uint8_t o[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < 4 && k < size; k++)
        o[k] = data[k];
    data += size < 4 ? size : 4;
    size -= size < 4 ? size : 4;

    tt_csv_opts opts;
    tt_csv_opts_init(&opts);
    opts.sep = seps[o[0] & 3];
    opts.multi_sep = multis[(o[0] >> 2) & 3];
    opts.time_col = time_cols[(o[0] >> 4) & 3];
    opts.context = contexts[(o[0] >> 6) & 3];
    opts.kinds = kinds[o[1] & 7];
    if (cols[(o[1] >> 3) & 3][0]) {
        opts.user_col = cols[(o[1] >> 3) & 3][0];
        opts.item_col = cols[(o[1] >> 3) & 3][1];
    }
    /* 0 keeps the default; otherwise 1..255, past any sensible count. */
    if (o[2])
        opts.num_buckets = o[2];
    (void)o[3]; /* reserved: keeps old corpus files meaningful when options grow */

    const uint8_t *p[3];
    size_t len[3];
    int n = tt_fuzz_split(data, size, p, len, 3);
    tt_alloc_limit = (size_t)1 << 30;
    opts.inter_path = tt_fuzz_file(0, "inter.csv", p[0], len[0]);
    opts.user_path = n > 1 ? tt_fuzz_file(1, "users.csv", p[1], len[1]) : NULL;
    opts.item_path = n > 2 ? tt_fuzz_file(2, "items.csv", p[2], len[2]) : NULL;
    tt_dataset d;
    tt_err err;
    memset(&d, 0, sizeof d);
    err.msg[0] = 0;
    if (tt_load_csv(&opts, &d, &err) == 0) {
        tt_fuzz_check_dataset(&d);
        tt_dataset_free(&d);
    } else {
        tt_fuzz_check_message(err.msg);
    }
    return 0;
}

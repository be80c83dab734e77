/* fuzz_ml: the MovieLens loader (tt_load_movielens). An input is up to three
 * parts separated by TT_FUZZ_SEP: ratings, users, items (u.data, u.user,
 * u.item for ML-100K; ratings.dat, users.dat, movies.dat for ML-1M). A part
 * that is absent makes its file absent. */
#include "fuzz.h"
#include "tt_dataset.h"

#include <string.h>

static int run(const uint8_t *data, size_t size, int is_1m)
{
    static const char *const names[2][3] = {{"u.data", "u.user", "u.item"},
                                            {"ratings.dat", "users.dat", "movies.dat"}};
    const uint8_t *p[3];
    size_t len[3];
    int n = tt_fuzz_split(data, size, p, len, 3);
    tt_alloc_limit = (size_t)1 << 30;
    /* The other format's files go, or the loader would see them (the replay
     * driver runs both targets in one folder). */
    for (int k = 0; k < 3; k++) {
        tt_fuzz_file(k, names[!is_1m][k], NULL, 0);
        tt_fuzz_file(k, names[is_1m][k], k < n ? p[k] : NULL, k < n ? len[k] : 0);
    }
    tt_dataset d;
    tt_err err;
    memset(&d, 0, sizeof d);
    err.msg[0] = 0;
    if (tt_load_movielens(tt_fuzz_dir(), &d, &err) == 0) {
        tt_fuzz_check_dataset(&d);
        tt_dataset_free(&d);
    } else {
        tt_fuzz_check_message(err.msg);
    }
    return 0;
}

int tt_fuzz_ml100k(const uint8_t *data, size_t size) { return run(data, size, 0); }
int tt_fuzz_ml1m(const uint8_t *data, size_t size) { return run(data, size, 1); }

/* tt_ann_none: the tt_ann interface in a build without Faiss: every index
 * operation fails with the message saying what to install. */
#include "tt_ann.h"

#define MISSING "this ttlab was built without Faiss: install the Debian package " \
                "libfaiss-dev, then rerun ./quickstart (configure finds it)"

int tt_ann_available(void) { return 0; }
const char *tt_ann_missing(void) { return MISSING; }

int tt_ann_build(const tt_ann_params *p, const float *X, int64_t n, int d, uint64_t seed,
                 tt_ann **out, tt_err *err)
{
    (void)p, (void)X, (void)n, (void)d, (void)seed;
    *out = NULL;
    return tt_err_set(err, "%s", MISSING);
}
void tt_ann_free(tt_ann *a) { (void)a; }
void tt_ann_set_search(tt_ann *a, int nprobe, int efSearch, int refine)
{
    (void)a, (void)nprobe, (void)efSearch, (void)refine;
}
int tt_ann_search(tt_ann *a, const float *Q, int64_t nq, int k, float *dist, int64_t *ids,
                  tt_err *err)
{
    (void)a, (void)Q, (void)nq, (void)k, (void)dist, (void)ids;
    return tt_err_set(err, "%s", MISSING);
}
void tt_ann_set_threads(int n) { (void)n; }
int tt_ann_max_threads(void) { return 1; }
int64_t tt_ann_bytes(const tt_ann *a) { (void)a; return -1; }
int tt_ann_write(const tt_ann *a, const char *path, tt_err *err)
{
    (void)a, (void)path;
    return tt_err_set(err, "%s", MISSING);
}

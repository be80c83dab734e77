/* fuzz_modelfile: the model-file reader of `open` (tt_modelfile_read, on a
 * buffer: what tt_modelfile_open runs on the file's bytes) against
 * a tiny synthetic dataset. The first input byte is a flag, the rest is the
 * file: flag bit 0 rewrites the trailing CRC-32 to match the mutated bytes,
 * bit 1 the payload length, so the search gets past the integrity checks to
 * the section parser. An accepted file must give a usable model (it encodes
 * every item); a refused one a one-line message. */
#include "fuzz.h"
#include "tt_modelfile.h"
#include "tt_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tt_fuzz_modelfile(const uint8_t *data, size_t size)
{
    if (size < 1 || size > ((size_t)1 << 20))
        return 0;
    uint8_t flag = data[0];
    size_t n = size - 1;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        abort();
    memcpy(b, data + 1, n);
    if ((flag & 2) && n >= 28) {
        uint64_t p = (uint64_t)(n - 28);
        for (int k = 0; k < 8; k++)
            b[16 + k] = (uint8_t)(p >> (8 * k));
    }
    if ((flag & 1) && n >= 4) {
        uint32_t crc = tt_crc32(0, b, n - 4);
        for (int k = 0; k < 4; k++)
            b[n - 4 + k] = (uint8_t)(crc >> (8 * k));
    }
    tt_session *s = tt_fuzz_session();
    const tt_dataset *d = &tt_session_current(s)->d;
    tt_modelent me;
    tt_err err;
    memset(&me, 0, sizeof me);
    err.msg[0] = 0;
    size_t old = tt_alloc_limit;
    tt_alloc_limit = (size_t)256 << 20;
    int rc = tt_modelfile_read(b, n, "model.ttm", d, &me, &err);
    free(b);
    if (rc == 0) {
        if (!me.m) {
            fprintf(stderr, "fuzz: invariant: open succeeded without a model\n");
            abort();
        }
        float *V = malloc((size_t)d->n_items * (size_t)tt_model_dim(me.m) * sizeof *V);
        if (!V)
            abort();
        if (tt_model_encode_items(me.m, d, V, &err) != 0)
            tt_fuzz_check_message(err.msg);
        free(V);
        tt_model_free(me.m);
        free(me.res);
    } else {
        tt_fuzz_check_message(err.msg);
        if (me.m) {
            fprintf(stderr, "fuzz: invariant: a refused file left a model behind (leak)\n");
            abort();
        }
    }
    tt_alloc_limit = old;
    return 0;
}

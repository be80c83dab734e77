/* tt_export: .npy and TSV (written through tt_file's atomic writes). */
#include "tt_export.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *tt_export_ext(const char *path)
{
    static char ext[16];
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    ext[0] = 0;
    if (!dot || strlen(dot + 1) >= sizeof ext)
        return ext;
    int i = 0;
    for (const char *p = dot + 1; *p; p++)
        ext[i++] = (char)tolower((unsigned char)*p);
    ext[i] = 0;
    return ext;
}

int tt_export_npy(const char *path, const float *X, int64_t rows, int cols, tt_err *err)
{
    tt_wfile a;
    char hdr[256];
    /* The header dict, padded with spaces so that magic + length + header
     * is a multiple of 64 bytes and ends in '\n' (format version 1.0). */
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %d), }",
                     (long long)rows, cols);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    memset(hdr + n, ' ', (size_t)pad);
    n += pad;
    hdr[n++] = '\n';
    if (tt_file_begin(&a, path, err))
        return -1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(n & 0xff), (unsigned char)(n >> 8)};
    fwrite(pre, 1, sizeof pre, a.f);
    fwrite(hdr, 1, (size_t)n, a.f);
    /* float32 little-endian: the machine's order on every platform ttlab
     * builds on (checked at compile time below). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tt_export_npy assumes a little-endian machine"
#endif
    fwrite(X, sizeof(float), (size_t)rows * (size_t)cols, a.f);
    return tt_file_commit(&a, err);
}

void tt_export_meta_path(const char *path, char *buf, size_t n)
{
    const char *ext = tt_export_ext(path);
    size_t l = strlen(path);
    if (*ext && l > strlen(ext) + 1)
        snprintf(buf, n, "%.*s.meta.%s", (int)(l - strlen(ext) - 1), path, ext);
    else
        snprintf(buf, n, "%s.meta.tsv", path);
}

static void tsv_cell(FILE *f, const char *s)
{
    /* TSV has no quoting: tabs and newlines inside labels become spaces. */
    for (; s && *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

int tt_export_tsv(const char *path, const float *X, int64_t rows, int cols,
                  const char *meta_path, const char *const *header, int ncol,
                  const char *const *labels, tt_err *err)
{
    tt_wfile a, m;
    if (tt_file_begin(&a, path, err))
        return -1;
    for (int64_t r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            fprintf(a.f, c + 1 < cols ? "%.7g\t" : "%.7g\n", (double)X[r * cols + c]);
    if (meta_path) {
        if (tt_file_begin(&m, meta_path, err)) {
            tt_file_abort(&a);
            return -1;
        }
        /* The projector reads a header line only when there are several columns. */
        if (ncol > 1)
            for (int c = 0; c < ncol; c++) {
                tsv_cell(m.f, header[c]);
                fputc(c + 1 < ncol ? '\t' : '\n', m.f);
            }
        for (int64_t r = 0; r < rows; r++)
            for (int c = 0; c < ncol; c++) {
                tsv_cell(m.f, labels[r * ncol + c]);
                fputc(c + 1 < ncol ? '\t' : '\n', m.f);
            }
        if (tt_file_commit(&m, err)) {
            tt_file_abort(&a);
            return -1;
        }
    }
    return tt_file_commit(&a, err);
}

/* tt_export: files other programs read: embeddings as NumPy .npy or TSV
 * (TensorBoard projector: vectors + metadata), metrics as CSV or JSON; and
 * every one written atomically through tt_file. */
#ifndef TT_EXPORT_H
#define TT_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "tt_file.h"

/* X (rows, cols) float32 row-major as .npy version 1.0 ('<f4', C order). */
int tt_export_npy(const char *path, const float *X, int64_t rows, int cols, tt_err *err);
/* X as tab-separated rows, and labels (rows of a metadata TSV with the given
 * header of ncol columns; labels[r*ncol + c]) into meta_path. */
int tt_export_tsv(const char *path, const float *X, int64_t rows, int cols,
                  const char *meta_path, const char *const *header, int ncol,
                  const char *const *labels, tt_err *err);
/* The metadata file name that goes with a vectors file: x.tsv -> x.meta.tsv */
void tt_export_meta_path(const char *path, char *buf, size_t n);
/* Lowercase extension without the dot ("npy"), or "" */
const char *tt_export_ext(const char *path);

#endif

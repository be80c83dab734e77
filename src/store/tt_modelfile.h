/* tt_modelfile: the versioned binary model file of `save` and `open`.
 *
 * Layout (little-endian):
 *   0   "TTLABMOD"                 magic (8 bytes)
 *   8   u32 version (1)            refused when different
 *   12  u32 0                      reserved
 *   16  u64 P                      payload length (truncation check)
 *   24  payload: sections, each u32 tag, u64 length, bytes
 *         DEFS  model and tower definitions; the kind as its code
 *               (tt_mkind.code, fixed per kind), not its place in the table
 *         SCHM  dataset name, sizes, every feature's name, kind, side,
 *               cardinality, vocabulary and bucket edges, user and item keys
 *         PARM  u64 count, then count float32 parameters
 *         RUNS  per-seed training results (for compare)
 *         HIST  per run of RUNS: threads, then per epoch loss, training
 *               seconds, valid metrics and SENet mean weights; smoothed-loss
 *               samples (files from before HIST open with no history)
 *         EVOL  model options added by issue 13: i32 augment, f32 dat_w
 *               (after DEFS; files without it keep the defaults)
 *         MINT  the interests stage of the user, then the item tower: i32
 *               interests, via, k, out, hidden each, then f32 pow of each
 *               (absent in older files: 0) (after DEFS; written only when a
 *               tower has the stage)
 *         DSID  the dataset and split the model was trained on: its name
 *               in the session, source, split, protocol label
 *   24+P u32 CRC-32 (IEEE) of bytes [0, 24+P)
 * Unknown sections are skipped, so version 1 can grow sections. */
#ifndef TT_MODELFILE_H
#define TT_MODELFILE_H

#include <stddef.h>
#include <stdint.h>
#include "tt_entry.h"

#define TT_MODELFILE_VERSION 1

/* CRC-32 (IEEE 802.3), continuing from crc (start with 0). */
uint32_t tt_crc32(uint32_t crc, const void *buf, size_t n);

/* Write model entry me (its runtime model m, built for dataset d) to path
 * atomically. */
int tt_modelfile_save(const char *path, const tt_modelent *me, tt_model *m,
                      const tt_dataset *d, tt_err *err);

/* Read path, check magic, version, length, checksum, definitions and that
 * d has the same schema and vocabularies, then build the model. On success
 * out holds def, towers, runs (with their histories) and a runtime model
 * (out->m), all owned by out (tt_entry_free); its name is the saved one; on
 * failure out owns nothing. Each failure has its own message: "not a ttlab model file",
 * "truncated", "checksum mismatch", "version N", "schema mismatch: ...". */
int tt_modelfile_open(const char *path, const tt_dataset *d, tt_modelent *out,
                      tt_err *err);
/* The dataset the model in path was trained on, without a dataset at hand
 * (for the message that asks for it): its name and, in files that record it,
 * source, split and protocol ("" otherwise). 0, or -1 with err set as
 * tt_modelfile_open would (not a model file, truncated, ...). */
int tt_modelfile_dataset(const char *path, tt_dataref *out, tt_err *err);
/* The same on the n bytes of buf (a file's contents; name is used in the
 * messages). buf is not kept. For fuzzing and tests. */
int tt_modelfile_read(const unsigned char *buf, size_t n, const char *name,
                      const tt_dataset *d, tt_modelent *out, tt_err *err);

#endif

/* fuzz.h: shared pieces of the fuzz targets (tests/fuzz/fuzz_*.c). Each target
 * defines tt_fuzz_<name>(data, size); fuzz_entry.c turns one of them into
 * libFuzzer's LLVMFuzzerTestOneInput, and replay.c calls them all. */
#ifndef TT_FUZZ_H
#define TT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Parts of an input are separated by this byte (ASCII record separator): rare
 * in text, and it leaves NUL free for the fuzzer to put inside a file. */
#define TT_FUZZ_SEP 0x1e

/* Split data into at most max parts at TT_FUZZ_SEP; part k is p[k], len[k].
 * Returns the number of parts (>= 1). */
int tt_fuzz_split(const uint8_t *data, size_t size, const uint8_t **p, size_t *len, int max);

/* The process's scratch folder (created on first use, removed with its files
 * at exit). Files are rewritten for every input: no temp file per input. */
const char *tt_fuzz_dir(void);
/* Write (or, with data == NULL, remove) name in the scratch folder; returns
 * the full path in a static buffer slot k (0..3). Aborts on I/O failure: a
 * harness error is not a finding. */
const char *tt_fuzz_file(int k, const char *name, const uint8_t *data, size_t size);

/* A NUL-terminated malloc'd copy of data (the caller frees it). */
char *tt_fuzz_text(const uint8_t *data, size_t size);

struct tt_session;
/* The session the tower and model-file targets share: output to /dev/null,
 * a small generated dataset loaded and split (made on first use). */
struct tt_session *tt_fuzz_session(void);

struct tt_dataset;
/* Abort unless a loaded dataset keeps the invariants of tt_dataset.h (ids in
 * range, interactions sorted, offsets monotone, vocabularies complete): a
 * loader that accepts an input must hand back a usable dataset. */
void tt_fuzz_check_dataset(const struct tt_dataset *d);
/* The message of a refused input must be one non-empty line. */
void tt_fuzz_check_message(const char *msg);

/* Targets: 0 always (libFuzzer's convention); problems abort or trip a sanitizer. */
int tt_fuzz_ml100k(const uint8_t *data, size_t size);
int tt_fuzz_ml1m(const uint8_t *data, size_t size);
int tt_fuzz_csv(const uint8_t *data, size_t size);
int tt_fuzz_cmd(const uint8_t *data, size_t size);
int tt_fuzz_tower(const uint8_t *data, size_t size);
int tt_fuzz_modelfile(const uint8_t *data, size_t size);


#endif

/* tt_dsb: internal building blocks shared by the dataset loaders and the
 * generator. Three files implement it, one role each: tt_dsb.c (text and
 * encoding: UTF-8, numbers, fields, dates), tt_strmap.c
 * (the string map and key ordering) and tt_colb.c (column builders and the
 * interaction list). Not a contract for other areas: only the loaders
 * (tt_load_*.c), tt_synth.c and tt_dataset.c include it. */
#ifndef TT_DSB_H
#define TT_DSB_H

#include <stddef.h>
#include <stdint.h>
#include "tt_dataset.h"
#include "tt_file.h"

/* First invalid UTF-8 position in buf, or -1 when all valid. *line gets the
 * 1-based line of the bad byte. */
int64_t tt_dsb_utf8_check(const char *buf, size_t len, int64_t *line);

/* A value from a data file made safe to show in a message: at most 40 bytes,
 * control bytes and invalid UTF-8 as \xNN, "..." when cut. Returns buf. */
const char *tt_dsb_show(const char *s, char *buf, size_t n);
#define TT_SHOW(s) tt_dsb_show((s), (char[200]){0}, 200)

/* Latin-1 -> UTF-8 copy (malloc'd, NULL on OOM). */
char *tt_dsb_latin1_to_utf8(const char *s, size_t len);

/* String interning: keys keep their insertion index 0..n-1. */
typedef struct tt_strmap {
    char **keys;          /* (n) owned, insertion order */
    int32_t n, cap;       /* keys used / allocated */
    uint32_t *hash;       /* (cap) hash of each key */
    int32_t *slot;        /* (nslot) index+1, 0 empty */
    uint32_t nslot;       /* power of two */
} tt_strmap;
void tt_strmap_free(tt_strmap *m);
/* Index of (s, len) or -1. */
int32_t tt_strmap_get(const tt_strmap *m, const char *s, size_t len);
/* Index of (s, len), inserted if new (*added = 1). -1 on OOM. */
int32_t tt_strmap_put(tt_strmap *m, const char *s, size_t len, int *added, tt_err *err);

/* 1 if s[0..len) is a whole number (strtod syntax, finite), value in *v. */
int tt_dsb_parse_num(const char *s, size_t len, double *v);
/* 1 if s[0..len) is a decimal integer, value in *v. */
int tt_dsb_parse_int(const char *s, size_t len, int64_t *v);

/* Order of keys: numeric when every key is a number, byte order otherwise
 * (ties in value broken by bytes). rank[i] = final position of keys[i]. */
int tt_dsb_rank_keys(char *const *keys, int32_t n, int32_t *rank, tt_err *err);

/* Rank the user and item keys (tt_dsb_rank_keys) into ur and ir (each of
 * n + 1 entries) and move the keys into d->user_key / d->item_key at their
 * final positions, setting n_users and n_items; the maps keep their rows but
 * lose their keys. */
int tt_dsb_take_keys(tt_strmap *users, tt_strmap *items, tt_dataset *d, int32_t *ur,
                     int32_t *ir, tt_err *err);

/* A feature column being built, rows addressed by a temporary row index that
 * is mapped to the final one at the end (keys are ordered only then). */
typedef struct tt_colb {
    enum tt_kind kind;
    tt_strmap map;        /* CAT/SET labels */
    int64_t n_rows, cap;  /* rows touched so far / allocated */
    int32_t *ids;         /* CAT: (cap) label index + 1, 0 unknown */
    double *num;          /* NUM: (cap) value, NaN missing */
    int64_t n_pairs, cap_pairs;
    int64_t *prow;        /* SET: (n_pairs) row of each value */
    int32_t *pval;        /* SET: (n_pairs) label index + 1 */
} tt_colb;
void tt_colb_init(tt_colb *b, enum tt_kind kind);
void tt_colb_free(tt_colb *b);
/* CAT: set row's value; SET: add one value to row. Empty string = unknown. */
int tt_colb_add_str(tt_colb *b, int64_t row, const char *s, size_t len, tt_err *err);
int tt_colb_add_num(tt_colb *b, int64_t row, double v, tt_err *err);
/* Append the finished feature to d. rowmap (may be NULL = identity) maps
 * temporary rows to final rows in [0, n_rows). NUM: edges given (n_edges > 0)
 * or quantile edges for nb buckets computed from the values. Vocabulary is in
 * key order (tt_dsb_rank_keys). */
int tt_colb_finish(tt_colb *b, tt_dataset *d, const char *name, enum tt_side side,
                   const int32_t *rowmap, int64_t n_rows, const double *edges,
                   int n_edges, int nb, const char *planted, tt_err *err);
/* Rebuilds d->names (the feature-name index, see tt_dataset) after the
 * features were reordered; 0, or -1 with a message. */
int tt_dsb_reindex_names(tt_dataset *d, tt_err *err);

/* Append an empty feature to d (grows feat and planted). Returns it or NULL. */
tt_feature *tt_dsb_add_feature(tt_dataset *d, const char *name, enum tt_kind kind,
                               enum tt_side side, const char *planted, tt_err *err);
/* Labels of NUM buckets: "<e0", "[e0,e1)", ..., ">=e_last". */
int tt_dsb_num_vocab(tt_feature *f, tt_err *err);
/* Bucket of v: 1 + #{edges <= v}; 0 for NaN. */
int32_t tt_dsb_bucket(double v, const double *edges, int n_edges);

/* Growable interaction list. */
typedef struct tt_interb {
    int64_t n, cap;
    int32_t *u, *i;
    int64_t *t;
} tt_interb;
int tt_interb_push(tt_interb *b, int32_t u, int32_t i, int64_t t, tt_err *err);
void tt_interb_free(tt_interb *b);

/* Split a line (no newline) into fields on sep (1 or 2 chars, e.g. "::").
 * Fields point into line, which is NUL-split in place. Returns the count
 * (which may exceed max: only the first max are stored). */
int tt_dsb_split(char *line, const char *sep, char **f, int max);

/* Seconds since 1970-01-01 UTC of an ISO-8601 date or date-time
 * ("2024-03-01", "2024-03-01T12:30:00Z", "2024-03-01 12:30", offsets +hh:mm). */
int tt_dsb_parse_iso8601(const char *s, size_t len, int64_t *t);

#endif

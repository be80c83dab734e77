/* tt_output: results as aligned tables for people, CSV or JSON lines for
 * machines. Handlers build records; this module alone decides the format. */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

enum tt_outmode { TT_OUT_TABLE = 0, TT_OUT_CSV = 1, TT_OUT_JSON = 2 };
const char *tt_outmode_name(enum tt_outmode m);

enum tt_val_kind { TT_V_STR = 0, TT_V_INT, TT_V_NUM, TT_V_NULL, TT_V_BOOL };

typedef struct tt_field {
    char key[40];
    enum tt_val_kind kind;
    char *s;          /* owned */
    int64_t i;
    double d;
    int prec;         /* decimals in tables and CSV */
} tt_field;

#define TT_REC_MAX 48
/* One result row: ordered key/value fields. */
typedef struct tt_rec {
    int n;
    tt_field f[TT_REC_MAX];
} tt_rec;

void tt_rec_init(tt_rec *r);
void tt_rec_free(tt_rec *r);            /* frees strings; r can be reused */
void tt_rec_str(tt_rec *r, const char *key, const char *s);
void tt_rec_int(tt_rec *r, const char *key, int64_t v);
void tt_rec_num(tt_rec *r, const char *key, double v, int prec);
void tt_rec_null(tt_rec *r, const char *key);
/* A yes/no: "yes"/"no" in tables and CSV, true/false in JSON. */
void tt_rec_bool(tt_rec *r, const char *key, int v);
/* Field by key or NULL. */
const tt_field *tt_rec_get(const tt_rec *r, const char *key);

typedef struct tt_out {
    enum tt_outmode mode;
    FILE *f;          /* results: stdout */
    int quiet;        /* suppress info lines (results still print) */
    int width;        /* columns tables may use; 0: the terminal's width, or no
                         limit when f is a file or pipe */
} tt_out;

/* Rows of results sharing the keys of rows[0]. TABLE: an aligned table with
 * a header, then footer (if any) on its own line; CSV: a header line and one
 * line per row (footer as a "# " comment); JSON: one object per row, with
 * "event":event first. */
void tt_out_rows(const tt_out *o, const char *event, const tt_rec *rows, int n,
                 const char *footer);
/* An informational result: JSON prints rec as an event; TABLE prints human
 * (a full line, newline added), CSV prints it as a "# " comment. Suppressed
 * by quiet except in JSON mode (machines asked for everything). */
void tt_out_info(const tt_out *o, const char *event, const tt_rec *rec,
                 const char *human);
/* Write s as a JSON string literal (quotes included). */
void tt_json_str(FILE *f, const char *s);
/* Write one record as a JSON object, event first when non-NULL. */
void tt_json_rec(FILE *f, const char *event, const tt_rec *r);
/* Break s in place at spaces so that no line is longer than width (a word
 * longer than width keeps a line of its own): footers that fit 80 columns. */
void tt_wrap_words(char *s, int width);
/* Format a field's value for a table or CSV cell into buf. */
const char *tt_field_text(const tt_field *fl, char *buf, int n);

#endif

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
    int prio;         /* table column priority (enum tt_col_prio) */
} tt_field;

/* Which columns a table keeps when it does not fit its width: optional ones
 * go first, then normal ones, then wanted ones (each from the right); key
 * columns (what a row is about, and the headline figure) never go. When the
 * key columns alone do not fit, the table is printed vertically, one block
 * per row. A table whose header marks no key column keeps its first. */
enum tt_col_prio { TT_COL_KEY = 0, TT_COL_WANT = 1, TT_COL_NORMAL = 2, TT_COL_OPTIONAL = 3 };

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
/* Set the table priority of r's field key (if present): marks on the first
 * row of a table decide for all rows. */
void tt_rec_prio(tt_rec *r, const char *key, enum tt_col_prio prio);
/* Field by key or NULL. */
const tt_field *tt_rec_get(const tt_rec *r, const char *key);

typedef struct tt_out {
    enum tt_outmode mode;
    FILE *f;          /* results: stdout */
    int quiet;        /* suppress info lines (results still print) */
    int width;        /* columns tables and lines may use; 0: the terminal's
                         width when f is a terminal, else 80 */
} tt_out;

/* The columns o's tables, footers and info lines fit (see width). */
int tt_out_cols(const tt_out *o);
/* Columns lines written to f fit: width when > 0, else the terminal's when f
 * is a terminal, else 80. */
int tt_cols_of(FILE *f, int width);
/* Write s (lines separated by '\n') broken at blanks so that no line is
 * wider than width; lines a break starts begin with indent. A word wider
 * than the line keeps a line of its own, whole. A line's leading blanks are
 * kept; the blanks at a break are dropped. */
void tt_put_words(FILE *f, const char *s, int width, const char *indent);

/* Rows of results sharing the keys of rows[0]. TABLE: an aligned table with
 * a header that fits tt_out_cols (columns left out by priority and named on
 * a line under it; a long text column last wraps at words inside its column;
 * vertical blocks when the key columns alone do not fit), then footer (if
 * any), wrapped at words; CSV: a header line and one line per row, every
 * column (footer as a "# " comment); JSON: one object per row, with
 * "event":event first. */
void tt_out_rows(const tt_out *o, const char *event, const tt_rec *rows, int n,
                 const char *footer);
/* An informational result: JSON prints rec as an event; TABLE prints human
 * (newline added) broken at words into lines that fit tt_out_cols, the
 * later ones indented by two blanks; CSV prints it as a "# " comment. Suppressed
 * by quiet except in JSON mode (machines asked for everything). */
void tt_out_info(const tt_out *o, const char *event, const tt_rec *rec,
                 const char *human);
/* tt_out_info for a line that must stay whole (a definition a user may paste
 * back as a command): never broken. */
void tt_out_line(const tt_out *o, const char *event, const tt_rec *rec,
                 const char *human);
/* Write s as a JSON string literal (quotes included). */
void tt_json_str(FILE *f, const char *s);
/* Write one record as a JSON object, event first when non-NULL. */
void tt_json_rec(FILE *f, const char *event, const tt_rec *r);
/* Format a field's value for a table or CSV cell into buf. */
const char *tt_field_text(const tt_field *fl, char *buf, int n);

#endif

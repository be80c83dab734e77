/* tt_lex: the one quote-aware tokenizer of the command language, key=value
 * options and "did you mean" suggestions. */
#ifndef TT_LEX_H
#define TT_LEX_H

#include "tt_util.h"

/* Token kinds. Words carry text; the punctuation of tower definitions and the
 * command separator are tokens of their own even without spaces around them. */
enum tt_tok_kind { TT_TOK_WORD = 0, TT_TOK_PIPE, TT_TOK_LPAREN, TT_TOK_RPAREN,
                   TT_TOK_SEMI };

typedef struct tt_tok {
    enum tt_tok_kind kind;
    char *s;          /* word text after quote removal; "|", "(", ")", ";" else */
    int col;          /* 1-based column of the token's first character */
    int quoted;       /* some part of the word was quoted */
    int eq;           /* offset of the first unquoted '=' in s, or -1 */
} tt_tok;

typedef struct tt_toks {
    int n, cap;
    tt_tok *v;
} tt_toks;

/* Split line into tokens, appending to out (which must be zeroed or hold
 * earlier tokens). Unquoted '|', '(', ')' and ';' are tokens; '#' at the
 * start of a word starts a comment to the end of the line. Single quotes are
 * literal; double quotes know \" \\ \n \t. Columns count bytes of line, plus
 * col0 - 1. Returns 0, or -1 with err and *errcol set (unterminated quote). */
int tt_lex(const char *line, int col0, tt_toks *out, tt_err *err, int *errcol);
void tt_toks_free(tt_toks *t);
/* 1 if the line ends inside a quote or with a backslash continuation: the
 * input loop then reads another line. */
int tt_lex_incomplete(const char *line);

/* The end of the command that starts at p (after blanks): the ';' that ends
 * it or the end of the line. Quotes are skipped, a '#' starting a word ends
 * the line. Commands of free text (note, echo, pause: *text is set to the
 * length of their name, else 0) end at the first ';' whatever their quotes,
 * unless the whole text is quoted ("a; b"). *open is set when the line
 * ends inside a quote. */
const char *tt_lex_command_end(const char *p, int *text, int *open);

/* Variables: $NAME, ${NAME} and ${NAME:-default} in text are replaced by
 * lookup(ud, NAME) (NULL: undefined, then the default or an error); $$ is a
 * '$'. With quotes set, text inside single quotes is left alone (and double
 * quotes and their escapes are passed through for tt_lex). Returns a malloc'd
 * string, or NULL with err ("undefined variable 'X'"). */
typedef const char *(*tt_lookup_fn)(void *ud, const char *name);
char *tt_lex_expand(const char *text, int quotes, tt_lookup_fn lookup, void *ud,
                    tt_err *err);

/* A word that is an option: "key=value" with a non-empty key. */
int tt_tok_is_kv(const tt_tok *t);
/* Copy the key of a kv token into buf (truncated); returns buf. */
const char *tt_tok_key(const tt_tok *t, char *buf, int n);
/* Pointer to the value part of a kv token (after '='). */
const char *tt_tok_val(const tt_tok *t);

/* The candidate closest to word by edit distance, if close enough to be a
 * plausible typo (distance <= 2 and less than half the word), or a candidate
 * the word is a prefix of; NULL otherwise. cands may contain NULLs (skipped). */
const char *tt_suggest(const char *word, const char *const *cands, int n);
/* Same over a '|'-separated list ("sgd|adagrad|adam"): copies into buf. */
const char *tt_suggest_list(const char *word, const char *list, char *buf, int n);

/* Quote s for printing back as one word: unchanged when it needs no quotes,
 * else in double quotes with escapes. Returns buf. */
const char *tt_lex_quote(const char *s, char *buf, int n);

#endif

/* tt_lex: the one quote-aware tokenizer (after Redis's sdssplitargs), option
 * words and "did you mean" suggestions. */
#include "tt_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(tt_toks *t, enum tt_tok_kind kind, char *s, int col, int quoted,
                int eq)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        tt_tok *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (tt_tok){kind, s, col, quoted, eq};
    return 0;
}

void tt_toks_free(tt_toks *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->v[i].s);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static int is_punct(char c)
{
    return c == '|' || c == '(' || c == ')' || c == ';';
}

int tt_lex(const char *line, int col0, tt_toks *out, tt_err *err, int *errcol)
{
    size_t len = strlen(line);
    const char *p = line;
    char *buf = malloc(len + 1);
    if (!buf)
        return tt_err_set(err, "out of memory");
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p || *p == '#')
            break;
        int col = (int)(p - line) + col0;
        if (is_punct(*p)) {
            static const enum tt_tok_kind k[] = {TT_TOK_PIPE, TT_TOK_LPAREN,
                                                 TT_TOK_RPAREN, TT_TOK_SEMI};
            const char *at = strchr("|();", *p);
            char s[2] = {*p, 0};
            char *d = tt_strdup(s);
            if (!d || push(out, k[at - "|();"], d, col, 0, -1)) {
                free(d);
                free(buf);
                return tt_err_set(err, "out of memory");
            }
            p++;
            continue;
        }
        size_t n = 0;
        int quoted = 0, eq = -1;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
               !is_punct(*p)) {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                int qcol = (int)(p - line) + col0 - 1;
                quoted = 1;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && p[1]) {
                        p++;
                        buf[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
                        p++;
                    } else {
                        buf[n++] = *p++;
                    }
                }
                if (!*p) {
                    free(buf);
                    if (errcol)
                        *errcol = qcol;
                    return tt_err_set(err, "unterminated %s quote",
                                      q == '"' ? "double" : "single");
                }
                p++;
                continue;
            }
            if (*p == '=' && eq < 0)
                eq = (int)n;
            buf[n++] = *p++;
        }
        buf[n] = 0;
        char *d = tt_strdup(buf);
        if (!d || push(out, TT_TOK_WORD, d, col, quoted, eq)) {
            free(d);
            free(buf);
            return tt_err_set(err, "out of memory");
        }
    }
    free(buf);
    return 0;
}

static int text_name(const char *p)
{
    static const char *const names[] = {"note", "echo", "pause"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        if (!strncmp(p, names[i], n) && (p[n] == 0 || p[n] == ' ' || p[n] == '\t' ||
                                         p[n] == ';' || p[n] == '\n' || p[n] == '\r'))
            return (int)n;
    }
    return 0;
}

/* Skip a quoted string starting at the quote p; returns the character after
 * the closing quote, or NULL when the line ends inside it. */
static const char *skip_quote(const char *p)
{
    char q = *p++;
    for (; *p; p++) {
        if (q == '"' && *p == '\\' && p[1])
            p++;
        else if (*p == q)
            return p + 1;
    }
    return NULL;
}

const char *tt_lex_command_end(const char *p, int *text, int *open)
{
    const char *start = p;
    *open = 0;
    *text = text_name(p);
    if (*text) {
        const char *t = p + *text;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t == '"' || *t == '\'') {
            const char *e = skip_quote(t);
            if (!e) {
                *open = 1;
                return t + strlen(t);
            }
            t = e;
        }
        while (*t && *t != ';')
            t++;
        return t;
    }
    while (*p) {
        if (*p == '\'' || *p == '"') {
            const char *e = skip_quote(p);
            if (!e) {
                *open = 1;
                return p + strlen(p);
            }
            p = e;
            continue;
        }
        if (*p == '#' && (p == start || p[-1] == ' ' || p[-1] == '\t'))
            return p + strlen(p);
        if (*p == ';')
            return p;
        p++;
    }
    return p;
}

int tt_lex_incomplete(const char *line)
{
    const char *p = line, *last = NULL;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ';' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (*p == '#')
            return 0;
        int text, open;
        const char *e = tt_lex_command_end(p, &text, &open);
        if (open)
            return 1;
        /* a comment ends the line: no continuation after it */
        for (const char *q = p; q < e; q++)
            if (*q == '#' && !text && (q == p || q[-1] == ' ' || q[-1] == '\t'))
                return 0;
        for (const char *q = p; q < e; q++)
            if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
                last = q;
        if (!*e)
            break;
        p = e + 1;
    }
    return last && *last == '\\';
}

int tt_tok_is_kv(const tt_tok *t)
{
    return t->kind == TT_TOK_WORD && t->eq > 0;
}

const char *tt_tok_key(const tt_tok *t, char *buf, int n)
{
    int m = t->eq < 0 ? (int)strlen(t->s) : t->eq;
    if (m > n - 1)
        m = n - 1;
    memcpy(buf, t->s, (size_t)m);
    buf[m] = 0;
    return buf;
}

const char *tt_tok_val(const tt_tok *t)
{
    return t->eq < 0 ? "" : t->s + t->eq + 1;
}

/* 1 if b is a with two neighbouring letters swapped ("tset" for "test"):
 * one slip of the fingers, counted as distance 1. */
static int swapped(const char *a, const char *b)
{
    size_t n = strlen(a), i = 0;
    if (n != strlen(b) || n < 2)
        return 0;
    while (i < n && a[i] == b[i])
        i++;
    return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] && !strcmp(a + i + 2, b + i + 2);
}

const char *tt_suggest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int bestd = 1 << 30;
    size_t wl = strlen(word);
    if (wl == 0)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        int d = tt_levenshtein(word, cands[i]);
        if (d == 2 && swapped(word, cands[i]))
            d = 1;
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    if (best && (bestd == 1 ? wl >= 2 : bestd == 2 && wl > 4))
        return best;
    /* A typed prefix of exactly one candidate is also a good guess. */
    const char *pre = NULL;
    for (int i = 0; i < n; i++) {
        if (cands[i] && strncmp(cands[i], word, wl) == 0) {
            if (pre)
                return NULL;
            pre = cands[i];
        }
    }
    return pre;
}

const char *tt_suggest_list(const char *word, const char *list, char *buf, int n)
{
    const char *cands[64];
    char tmp[512];
    int k = 0;
    snprintf(tmp, sizeof tmp, "%s", list);
    for (char *s = strtok(tmp, "|"); s && k < 64; s = strtok(NULL, "|"))
        cands[k++] = s;
    const char *b = tt_suggest(word, cands, k);
    if (!b)
        return NULL;
    snprintf(buf, (size_t)n, "%s", b);
    return buf;
}

const char *tt_lex_quote(const char *s, char *buf, int n)
{
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (strchr(" \t\r\n\"'#|();\\", *p))
            plain = 0;
    if (plain) {
        snprintf(buf, (size_t)n, "%s", s);
        return buf;
    }
    int j = 0;
    if (n < 3) {
        if (n > 0)
            buf[0] = 0;
        return buf;
    }
    buf[j++] = '"';
    for (const char *p = s; *p && j < n - 3; p++) {
        if (*p == '"' || *p == '\\') {
            buf[j++] = '\\';
            buf[j++] = *p;
        } else if (*p == '\n') {
            buf[j++] = '\\';
            buf[j++] = 'n';
        } else if (*p == '\t') {
            buf[j++] = '\\';
            buf[j++] = 't';
        } else {
            buf[j++] = *p;
        }
    }
    buf[j++] = '"';
    buf[j] = 0;
    return buf;
}

/* ---- variables ---- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sput(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static int name_char(char c, int first)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (!first && c >= '0' && c <= '9');
}

char *tt_lex_expand(const char *text, int quotes, tt_lookup_fn lookup, void *ud,
                    tt_err *err)
{
    sbuf b = {NULL, 0, 0};
    char q = 0;
    const char *p = text;
    if (sput(&b, "", 0))
        goto oom;
    while (*p) {
        if (quotes && q != '"' && *p == '\'') {
            /* single quotes: copied as they are, no expansion inside */
            const char *e = strchr(p + 1, '\'');
            size_t n = e ? (size_t)(e - p + 1) : strlen(p);
            if (sput(&b, p, n))
                goto oom;
            p += n;
            continue;
        }
        if (quotes && *p == '"') {
            q = q ? 0 : '"';
        } else if (quotes && q == '"' && *p == '\\' && p[1]) {
            if (sput(&b, p, 2))
                goto oom;
            p += 2;
            continue;
        }
        if (*p != '$') {
            if (sput(&b, p, 1))
                goto oom;
            p++;
            continue;
        }
        char name[128];
        const char *def = NULL;
        size_t deflen = 0, nl = 0;
        if (p[1] == '$') {
            if (sput(&b, "$", 1))
                goto oom;
            p += 2;
            continue;
        } else if (p[1] == '{') {
            const char *e = strchr(p + 2, '}');
            const char *n0 = p + 2;
            if (!e) {
                free(b.p);
                tt_err_set(err, "missing '}' after '${'");
                return NULL;
            }
            while (n0 + nl < e && name_char(n0[nl], nl == 0))
                nl++;
            if (n0 + nl + 1 < e + 1 && n0[nl] == ':' && n0[nl + 1] == '-') {
                def = n0 + nl + 2;
                deflen = (size_t)(e - def);
            } else if (n0 + nl != e || nl == 0) {
                free(b.p);
                tt_err_set(err, "bad variable reference '%.*s': use ${NAME} or ${NAME:-default}",
                           (int)(e - p + 1), p);
                return NULL;
            }
            if (nl >= sizeof name)
                nl = sizeof name - 1;
            memcpy(name, n0, nl);
            name[nl] = 0;
            p = e + 1;
        } else if (name_char(p[1], 1)) {
            const char *n0 = p + 1;
            while (name_char(n0[nl], nl == 0))
                nl++;
            if (nl >= sizeof name)
                nl = sizeof name - 1;
            memcpy(name, n0, nl);
            name[nl] = 0;
            p = n0 + nl;
        } else {
            if (sput(&b, p, 1))       /* a lone '$' is itself */
                goto oom;
            p++;
            continue;
        }
        const char *v = lookup ? lookup(ud, name) : NULL;
        if (v && !*v && def)
            v = NULL;                 /* ${X:-d}: empty counts as unset, as in sh */
        if (v) {
            if (sput(&b, v, strlen(v)))
                goto oom;
        } else if (def) {
            /* The default may name other variables (${DATA:-synthetic $SIZE}),
             * expanded as in sh; '}' ends it, so they take the $NAME form. */
            char *d = strndup(def, deflen), *dx;
            if (!d)
                goto oom;
            dx = tt_lex_expand(d, 0, lookup, ud, err);
            free(d);
            if (!dx) {
                free(b.p);
                return NULL;
            }
            int bad = sput(&b, dx, strlen(dx));
            free(dx);
            if (bad)
                goto oom;
        } else {
            free(b.p);
            tt_err_set(err, "undefined variable '%s' (define it with 'let %s = VALUE', or in the environment)",
                       name, name);
            return NULL;
        }
    }
    return b.p;
oom:
    free(b.p);
    tt_err_set(err, "out of memory");
    return NULL;
}

/* tt_dsb: text and encoding for the loaders (UTF-8 and Latin-1, safe
 * display of data values, numbers, field splitting, ISO-8601 dates; whole
 * files are read by tt_file). The string map is in tt_strmap.c, the column
 * builders in tt_colb.c; all three share tt_dsb.h. */
#include "tt_dsb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t tt_dsb_utf8_check(const char *buf, size_t len, int64_t *line)
{
    const unsigned char *s = (const unsigned char *)buf;
    int64_t ln = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        uint32_t cp;
        if (c < 0x80) {
            ln += c == '\n';
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
        else goto bad;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= len || (s[i + j] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += k + 1;
    }
    return -1;
bad:
    *line = ln;
    return (int64_t)i;
}

const char *tt_dsb_show(const char *s, char *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, shown = 0;
    while (*p && shown < 40 && w + 8 < n) {
        size_t k = 1;
        if (*p >= 0x80) {
            int64_t line;
            size_t len = 1;
            while (len < 4 && p[len] && (p[len] & 0xC0) == 0x80)
                len++;
            /* the longest valid prefix starting here, if any */
            for (k = len; k > 0; k--)
                if (tt_dsb_utf8_check((const char *)p, k, &line) < 0)
                    break;
        }
        if (k == 0 || *p < 0x20 || *p == 0x7F) {
            w += (size_t)snprintf(buf + w, n - w, "\\x%02X", *p);
            p++;
        } else {
            memcpy(buf + w, p, k);
            w += k;
            p += k;
        }
        shown++;
    }
    buf[w] = 0;
    if (*p && w + 4 < n)
        memcpy(buf + w, "...", 4);
    return buf;
}

char *tt_dsb_latin1_to_utf8(const char *s, size_t len)
{
    char *o = malloc(2 * len + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            *p++ = (char)c;
        } else {
            *p++ = (char)(0xC0 | (c >> 6));
            *p++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *p = 0;
    return o;
}

/* ---- numbers ---- */

int tt_dsb_parse_num(const char *s, size_t len, double *v)
{
    char tmp[64], *end;
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    /* strtod accepts "inf", "nan", hex and leading spaces: data means decimals. */
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", tmp[i]))
            return 0;
    errno = 0;
    double x = strtod(tmp, &end);
    if (end != tmp + len || errno == ERANGE || !isfinite(x))
        return 0;
    *v = x;
    return 1;
}

int tt_dsb_parse_int(const char *s, size_t len, int64_t *v)
{
    char tmp[32], *end;
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    if (!(tmp[0] == '-' || tmp[0] == '+' || (tmp[0] >= '0' && tmp[0] <= '9')))
        return 0;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    if (end != tmp + len || errno == ERANGE)
        return 0;
    *v = x;
    return 1;
}

/* ---- key ordering ---- */

/* ---- fields and dates ---- */

int tt_dsb_split(char *line, const char *sep, char **f, int max)
{
    size_t sl = strlen(sep);
    int n = 0;
    char *p = line;
    for (;;) {
        char *q = sl == 1 ? strchr(p, sep[0]) : strstr(p, sep);
        if (n < max)
            f[n] = p;
        n++;
        if (!q)
            break;
        *q = 0;
        p = q + sl;
    }
    return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t len, size_t at, int n, int *v)
{
    int x = 0;
    if (at + (size_t)n > len)
        return 0;
    for (int k = 0; k < n; k++) {
        char c = s[at + (size_t)k];
        if (c < '0' || c > '9')
            return 0;
        x = x * 10 + (c - '0');
    }
    *v = x;
    return 1;
}

int tt_dsb_parse_iso8601(const char *s, size_t len, int64_t *t)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    size_t p = 10;
    if (!digits(s, len, 0, 4, &y) || len < 10 || s[4] != '-' || s[7] != '-' ||
        !digits(s, len, 5, 2, &mo) || !digits(s, len, 8, 2, &d))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return 0;
    if (p < len) {
        if ((s[p] != 'T' && s[p] != ' ') || !digits(s, len, p + 1, 2, &h) ||
            p + 3 >= len || s[p + 3] != ':' || !digits(s, len, p + 4, 2, &mi))
            return 0;
        p += 6;
        if (p < len && s[p] == ':') {
            if (!digits(s, len, p + 1, 2, &se))
                return 0;
            p += 3;
            if (p < len && s[p] == '.') {
                p++;
                while (p < len && s[p] >= '0' && s[p] <= '9')
                    p++;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return 0;
        if (p < len && s[p] == 'Z') {
            p++;
        } else if (p < len && (s[p] == '+' || s[p] == '-')) {
            sign = s[p] == '-' ? -1 : 1;
            if (!digits(s, len, p + 1, 2, &oh))
                return 0;
            p += 3;
            if (p < len && s[p] == ':')
                p++;
            if (p < len) {
                if (!digits(s, len, p, 2, &om))
                    return 0;
                p += 2;
            }
        }
        if (p != len)
            return 0;
    }
    *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
         sign * (oh * 3600 + om * 60);
    return 1;
}

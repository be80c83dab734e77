/* tt_tui_draw: the dashboard's panels. Each panel draws from the dashboard's
 * copy of the snapshots into a rectangle it is given; the layout drops panels
 * that do not fit, and every write is clipped to the screen. */
#include "config.h"
#include "tt_tui_draw.h"
#include "tt_inspect.h"

#ifdef HAVE_NCURSESW_CURSES_H
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_utf8, s_color;

/* Write at most w columns of s at (y, x), never outside the screen and never
 * in the bottom-right cell (writing there would scroll some terminals).
 * Control bytes become '?', and so does any non-ASCII byte when the terminal
 * is not UTF-8. Every character is taken as one column wide. */
/* TT_TUI_CUTLOG=FILE (tests): every text that put() had to cut inside a
 * word is appended to FILE, so that a test can require that no panel ever
 * does (fields are dropped whole instead, see fit_fields). */
static void log_cut(const char *s, int w)
{
    static FILE *f;
    static int tried;
    if (!tried) {
        const char *path = getenv("TT_TUI_CUTLOG");
        tried = 1;
        f = path && *path ? fopen(path, "a") : NULL;
    }
    if (f) {
        fprintf(f, "%d|%s\n", w, s);
        fflush(f);
    }
}

/* 1 if showing only the first w columns of s cuts a word: a letter or digit
 * on both sides of the cut. */
static int cuts_word(const char *s, int w)
{
    int col = 0;
    const unsigned char *u = (const unsigned char *)s, *prev = NULL;
    for (; *u; u++) {
        if ((*u & 0xC0) == 0x80)
            continue;
        if (col == w)
            return prev && isalnum(*prev) && isalnum(*u);
        prev = u;
        col++;
    }
    return 0;
}

/* TT_TUI_WORDLOG=FILE (tests): each frame, FILE is replaced by what that
 * frame meant to draw, for a test that compares it with the captured screen
 * (tests/tty/screen_words.c), in drawing order: "T y x N TEXT" for each
 * text put() was asked to draw (whole, before clipping; N columns of it
 * drawn), "G y x N" for each drawing of N columns (curves, bars, sparklines:
 * no words), "F TEXT" for each field a fitter considered, kept or dropped.
 * Built in memory, written once per frame. */
static char *s_wlog;
static size_t s_wlen, s_wcap;
static int s_wlog_on = -1, s_graphic;

static void wlog(const char *fmt, ...)
{
    if (s_wlog_on < 0) {
        const char *path = getenv("TT_TUI_WORDLOG");
        s_wlog_on = path && *path;
    }
    if (!s_wlog_on)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    if (s_wlen + (size_t)n + 2 > s_wcap) {
        size_t cap = s_wcap ? s_wcap * 2 : 65536;
        while (cap < s_wlen + (size_t)n + 2)
            cap *= 2;
        char *p = realloc(s_wlog, cap);
        if (!p)
            return;
        s_wlog = p;
        s_wcap = cap;
    }
    memcpy(s_wlog + s_wlen, line, (size_t)n);
    s_wlen += (size_t)n;
    s_wlog[s_wlen++] = '\n';
}

/* The frame's log into TT_TUI_WORDLOG, by rename (a reader never sees half). */
static void wlog_flush(void)
{
    if (s_wlog_on <= 0)
        return;
    const char *path = getenv("TT_TUI_WORDLOG");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        if (s_wlen)
            fwrite(s_wlog, 1, s_wlen, f);
        if (fclose(f) == 0)
            rename(tmp, path);
    }
    s_wlen = 0;
}

static int put(int y, int x, int w, const char *s)
{
    char buf[1024];
    if (y < 0 || y >= LINES || x < 0 || x >= COLS || w <= 0)
        return 0;

    if (w > COLS - x)
        w = COLS - x;
    if (y == LINES - 1 && x + w >= COLS)
        w = COLS - 1 - x;
    if (w > 0 && cuts_word(s, w))
        log_cut(s, w);
    int cols = 0;
    size_t b = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (*u && cols < w && b + 4 < sizeof buf) {
        if (*u < 0x20 || *u == 0x7f || (*u >= 0x80 && !s_utf8)) {
            buf[b++] = '?';
            u++;
        } else {
            buf[b++] = (char)*u++;
            while (s_utf8 && (*u & 0xC0) == 0x80 && b + 1 < sizeof buf)
                buf[b++] = (char)*u++;
        }
        cols++;
    }
    if (b > 0)
        mvaddnstr(y, x, buf, (int)b);
    if (s_graphic)
        wlog("G %d %d %d", y, x, cols);
    else
        wlog("T %d %d %d %s", y, x, cols, s);
    return cols;
}

/* put() for a drawing (a curve, a bar, a sparkline): no words in it. */
static int put_g(int y, int x, int w, const char *s)
{
    s_graphic = 1;
    int n = put(y, x, w, s);
    s_graphic = 0;
    return n;
}

/* Display columns of s (UTF-8: one per character). */
static int text_cols(const char *s)
{
    int n = 0;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++)
        n += (*u & 0xC0) != 0x80;
    return n;
}

/* Join fields[0..n) with sep into out, leaving out every field that would
 * not fit w columns whole (fields are in priority order: a later, shorter
 * one may still fit after a longer one was left out). Never cuts a word. */
static const char *fit_fields(char *out, size_t cap, int w, const char *const *fields, int n,
                              const char *sep)
{
    size_t b = 0;
    int cols = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (!fields[i] || !fields[i][0])
            continue;
        wlog("F %s", fields[i]);
        int add = text_cols(fields[i]) + (b ? text_cols(sep) : 0);
        if (cols + add > w || b + strlen(fields[i]) + strlen(sep) + 1 > cap)
            continue;
        b += (size_t)snprintf(out + b, cap - b, "%s%s", b ? sep : "", fields[i]);
        cols += add;
    }
    return out;
}

/* Like fit_fields, but fields are chosen by prio (0 first, then 1, ...)
 * and drawn in their own order: the header keeps the model and the ETA and
 * drops the batch counter first. */
static const char *fit_prio(char *out, size_t cap, int w, const char *const *fields,
                            const int *prio, int n, const char *sep)
{
    int take[32] = { 0 }, cols = 0, count = 0;
    n = TT_MIN(n, 32);
    for (int p = 0; p <= 9; p++)
        for (int i = 0; i < n; i++) {
            if (prio[i] != p || !fields[i] || !fields[i][0])
                continue;
            int add = text_cols(fields[i]) + (count ? text_cols(sep) : 0);
            if (cols + add > w)
                continue;
            take[i] = 1;
            cols += add;
            count++;
        }
    const char *pick[32];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (take[i])
            pick[m++] = fields[i];
    return fit_fields(out, cap, w, pick, m, sep);
}

/* text when it fits w columns; else its words up to the last space that
 * leaves room for "...", then "..." (spacing kept: help lines are aligned);
 * "" when not even the first word fits. */
static const char *fit_words(char *out, size_t cap, int w, const char *text)
{
    wlog("F %s", text);
    snprintf(out, cap, "%s", text);
    if (text_cols(out) <= w)
        return out;
    int col = 0, cut = -1;
    for (size_t b = 0; out[b]; b++) {
        if (((unsigned char)out[b] & 0xC0) == 0x80)
            continue;
        if (col > w - 4)
            break;
        if (out[b] == ' ' && b > 0 && out[b - 1] != ' ')
            cut = (int)b;
        col++;
    }
    if (cut < 0 || w < 4) {
        out[0] = 0;
        return out;
    }
    snprintf(out + cut, cap - (size_t)cut, " ...");
    return out;
}

/* A full-width bar (header, panel titles): reverse video, or coloured. */
static void bar_row(int y, int x, int w, int pair, const char *s)
{
    if (y < 0 || y >= LINES || w <= 0)
        return;
    attr_t a = s_color ? COLOR_PAIR(pair) : A_REVERSE;
    attron(a);
    char blank[256];
    memset(blank, ' ', sizeof blank - 1);
    blank[sizeof blank - 1] = 0;
    for (int c = 0; c < w; c += (int)sizeof blank - 1)
        put(y, x + c, w - c, blank);
    put(y, x, w, s);
    attroff(a);
}

static const char *fmt_time(double sec, char *buf, size_t n)
{
    if (!(sec >= 0) || sec > 1e7) {
        snprintf(buf, n, "--");
        return buf;
    }
    long s = (long)(sec + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

static const char *fmt_rate(double r, char *buf, size_t n)
{
    if (r >= 1e6)
        snprintf(buf, n, "%.1fM", r / 1e6);
    else if (r >= 1e4)
        snprintf(buf, n, "%.1fk", r / 1e3);
    else
        snprintf(buf, n, "%.0f", r > 0 ? r : 0);
    return buf;
}

static void draw_header(const tt_tui *t, int w)
{
    const tt_snapshot *s = &t->snap;
    char line[512], a[32], b[32], c[32];
    int room = w - 1 - (t->paused ? 11 : 0);   /* [PAUSED] has its own place */
    if (!t->have_snap) {
        const char *f[] = { " ttlab", "waiting for training to start" };
        static const int pr[] = { 0, 1 };
        fit_prio(line, sizeof line, room, f, pr, 2, " | ");
    } else {
        char model[TT_NAME_MAX + 8], epoch[48], batch[64], rate[48], el[48], eta[48], seed[64];
        snprintf(model, sizeof model, "model %s", t->model);
        snprintf(epoch, sizeof epoch, "epoch %d/%d", s->epoch, s->epochs);
        snprintf(batch, sizeof batch, "batch %lld/%lld", (long long)s->batch, (long long)s->batches);
        snprintf(rate, sizeof rate, "%s ex/s", fmt_rate(s->ex_per_s, a, sizeof a));
        snprintf(el, sizeof el, "elapsed %s", fmt_time(s->elapsed, b, sizeof b));
        snprintf(eta, sizeof eta, "ETA %s", fmt_time(s->eta, c, sizeof c));
        seed[0] = 0;
        if (t->runs > 1)
            snprintf(seed, sizeof seed, "seed %llu (run %d/%d)", (unsigned long long)t->seed,
                     t->run, t->runs);
        else if (t->runs == 1)
            snprintf(seed, sizeof seed, "seed %llu", (unsigned long long)t->seed);
        /* drawn in this order; kept by priority: the model, the epoch, the
         * ETA and the seed first, the batch counter last */
        const char *f[] = { " ttlab", model, seed, epoch, batch, rate, el, eta };
        static const int pr[] = { 0, 0, 2, 1, 5, 4, 3, 1 };
        fit_prio(line, sizeof line, room, f, pr, 8, " | ");
    }
    bar_row(0, 0, w, TT_C_HEAD, line);
    if (t->paused && w > 12) {
        attron(A_BOLD | (s_color ? COLOR_PAIR(TT_C_HEAD) : A_REVERSE));
        put(0, w - 10, 10, " [PAUSED] ");
        attroff(A_BOLD | (s_color ? COLOR_PAIR(TT_C_HEAD) : A_REVERSE));
    }
}

static void draw_status(const tt_tui *t, int y, int w, int sigint)
{
    char line[512], msg[256];
    const char *keys[] = { t->paused ? " PAUSED: p resume" : " p pause", "s/q stop", "w weights",
                           "g gnuplot", "? help" };
    static const int pr[] = { 0, 0, 1, 2, 1 };
    fit_prio(line, sizeof line, w - 1, keys, pr, 5, "  ");
    if (t->stopping || sigint)
        fit_words(line, sizeof line, w - 1, " stopping after this batch (the model is kept)...");
    move(y, 0);
    clrtoeol();
    attron(A_BOLD);
    int used = 0;
    /* a message wins over the keys when both do not fit */
    int mcols = t->msg[0] ? text_cols(t->msg) : 0;
    if (!t->msg[0] || text_cols(line) + 2 + mcols <= w - 1)
        used = put(y, 0, w, line);
    attroff(A_BOLD);
    if (t->msg[0]) {
        int x0 = used ? used + 2 : 1;
        fit_words(msg, sizeof msg, w - 1 - x0, t->msg);
        put(y, x0, w - x0, msg);
    }
}

/* ---- curves --------------------------------------------------------------- */

#define GRID_W 400
#define GRID_H 200
static unsigned char g_cell[GRID_H][GRID_W];   /* braille masks or ASCII chars */
static unsigned char g_pair[GRID_H][GRID_W];

static void fmt_axis(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%7.4g", v);
}

/* The loss history as a line: braille dots (2x4 per cell) on a UTF-8
 * terminal, '*' otherwise. Values are averaged per dot column. */
static void draw_loss(const tt_tui *t, int y, int x, int h, int w)
{
    char title[256];
    const tt_snapshot *s = &t->snap;
    const tt_hist *hi = &t->loss;
    /* The whole range is drawn. When the top is more than four times the
     * bottom (a start far above the plateau), the axis is logarithmic, so the
     * start does not flatten the rest; with a loss <= 0 that cannot be: when
     * the first 10% of the run then spans three times the rest, it is
     * clipped, and the title says so. */
    double lo = INFINITY, up = -INFINITY, up_rest = -INFINITY;
    int skip = hi->n >= 20 ? hi->n / 10 : 0;
    for (int i = 0; i < hi->n; i++)
        if (isfinite(hi->v[i])) {
            lo = fmin(lo, hi->v[i]);
            up = fmax(up, hi->v[i]);
            if (i >= skip)
                up_rest = fmax(up_rest, hi->v[i]);
        }
    int logy = 0, clipped = 0;
    if (isfinite(lo) && isfinite(up_rest) && up_rest > lo) {
        if (lo > 0 && up > 4 * lo)
            logy = 1;   /* a start several times the bottom: log scale */
        else if (lo <= 0 && up - lo > 3 * (up_rest - lo)) {
            clipped = 1;
            up = up_rest;
        }
    }
    char a1[64], a2[64], a3[64], a4[64];
    snprintf(a1, sizeof a1, " loss (smoothed) %.4g", s->loss_smooth);
    snprintf(a2, sizeof a2, "batch %.4g", s->loss);
    snprintf(a3, sizeof a3, "step %lld", (long long)s->step);
    snprintf(a4, sizeof a4, "%s", logy ? "log scale" : clipped ? "first 10% off-scale above" : "");
    const char *tf[] = { a1, a4, a2, a3 };
    static const int tp[] = { 0, 0, 2, 1 };
    if (t->have_snap)
        fit_prio(title, sizeof title, w - 1, tf, tp, 4, "  ");
    else
        snprintf(title, sizeof title, " training loss (smoothed)");
    bar_row(y, x, w, TT_C_TITLE, title);
    int ph = TT_MIN(h - 1, GRID_H), pw = TT_MIN(w - 9, GRID_W);
    if (ph < 1 || pw < 2)
        return;
    if (hi->n < 2) {
        put(y + 1, x + 1, w - 1, "waiting for batches...");
        return;
    }
    if (!isfinite(lo) || !isfinite(up)) {
        put(y + 1, x + 1, w - 1, "no finite loss yet");
        return;
    }
    if (up - lo < 1e-12) {
        up += 0.5;
        lo -= 0.5;
    }
    /* positions are computed on g(v): v, or log v */
    double glo = logy ? log(lo) : lo, gup = logy ? log(up) : up;
    int sx = s_utf8 ? 2 : 1, sy = s_utf8 ? 4 : 1;
    int cols = pw * sx, rows = ph * sy;
    memset(g_cell, 0, sizeof g_cell);
    int prev = -1;
    for (int c = 0; c < cols; c++) {
        int i0 = (int)((long)c * hi->n / cols), i1 = (int)((long)(c + 1) * hi->n / cols);
        if (i1 <= i0)
            i1 = i0 + 1;
        double acc = 0;
        int k = 0;
        for (int i = i0; i < i1 && i < hi->n; i++)
            if (isfinite(hi->v[i])) {
                acc += hi->v[i];
                k++;
            }
        if (!k) {
            prev = -1;
            continue;
        }
        double gv = logy ? log(acc / k) : acc / k;
        int r = (int)lround((gup - gv) / (gup - glo) * (rows - 1));
        r = TT_MAX(0, TT_MIN(rows - 1, r));
        int a = prev < 0 ? r : prev, b = r;
        if (a > b) {
            int tmp = a;
            a = b;
            b = tmp;
        }
        for (int rr = a; rr <= b; rr++) {
            if (s_utf8) {
                static const unsigned char bit[2][4] = {
                    { 0x01, 0x02, 0x04, 0x40 }, { 0x08, 0x10, 0x20, 0x80 } };
                g_cell[rr / 4][c / 2] |= bit[c % 2][rr % 4];
            } else {
                g_cell[rr][c] = '*';
            }
        }
        prev = r;
    }
    char line[GRID_W * 3 + 16], lab[32];
    for (int r = 0; r < ph; r++) {
        lab[0] = 0;
        if (r == 0)
            fmt_axis(up, lab, sizeof lab);
        else if (r == ph - 1)
            fmt_axis(lo, lab, sizeof lab);
        else if (ph >= 5 && r == ph / 2) {
            double g = gup - (gup - glo) * r / (ph - 1);
            fmt_axis(logy ? exp(g) : g, lab, sizeof lab);
        }
        put(y + 1 + r, x, 8, lab);
        put_g(y + 1 + r, x + 7, 1, "|");
        size_t b = 0;
        for (int c = 0; c < pw; c++) {
            unsigned char m = g_cell[r][c];
            if (!m) {
                line[b++] = ' ';
            } else if (s_utf8) {   /* U+2800 + mask */
                line[b++] = (char)0xE2;
                line[b++] = (char)(0xA0 | (m >> 6));
                line[b++] = (char)(0x80 | (m & 0x3F));
            } else {
                line[b++] = (char)m;
            }
        }
        line[b] = 0;
        if (s_color)
            attron(COLOR_PAIR(TT_C_CURVE));
        put_g(y + 1 + r, x + 8, pw, line);
        if (s_color)
            attroff(COLOR_PAIR(TT_C_CURVE));
    }
}

static const char k_marks[] = "ox+#@%&=";

/* Valid Recall@20 per epoch: the live model ('*') over every earlier model of
 * the session (one marker each), points joined by dots. */
static void draw_recall(const tt_tui *t, int y, int x, int h, int w)
{
    const tt_snapshot *s = &t->snap;
    int n_live = t->have_snap ? s->n_done : 0;
    int n_ser = 1 + t->n_past;
    char title[128];
    double last = -1;
    for (int e = 0; e < n_live; e++)
        if (s->valid_recall20[e] >= 0)
            last = s->valid_recall20[e];
    char now[48], best[48];
    snprintf(now, sizeof now, "now %.4f", last);
    snprintf(best, sizeof best, "best epoch %d", s->best_epoch);
    const char *tf[] = { " valid Recall@20 per epoch", last >= 0 ? now : NULL,
                         last >= 0 ? best : NULL };
    static const int tp[] = { 0, 1, 2 };
    fit_prio(title, sizeof title, w - 1, tf, tp, 3, "  ");
    bar_row(y, x, w, TT_C_TITLE, title);
    /* legend: every curve drawn has its entry; a curve whose entry does not
     * fit is not drawn, and the legend says how many were left out */
    int lx = x + 1, drawn = 0;
    for (int i = 0; i < n_ser; i++) {
        char item[TT_NAME_MAX + 16], more[32];
        if (i == 0)
            snprintf(item, sizeof item, "* %s (now)", t->have_snap ? t->model : "?");
        else
            snprintf(item, sizeof item, "%c %s", k_marks[(i - 1) % 8], t->past[i - 1].name);
        int left = n_ser - i - 1;
        snprintf(more, sizeof more, "+%d not shown", left);
        int need = text_cols(item) + (left > 0 ? 2 + text_cols(more) : 0);
        if (lx + need > x + w - 1 && !(left == 0 && lx + text_cols(item) <= x + w - 1)) {
            snprintf(more, sizeof more, "+%d not shown", n_ser - i);
            if (lx + text_cols(more) <= x + w - 1)
                put(y + 1, lx, x + w - lx, more);
            break;
        }
        if (s_color)
            attron(COLOR_PAIR(i == 0 ? TT_C_CURVE : TT_C_S0 + (i - 1) % 4));
        lx += put(y + 1, lx, x + w - lx, item) + 2;
        if (s_color)
            attroff(COLOR_PAIR(i == 0 ? TT_C_CURVE : TT_C_S0 + (i - 1) % 4));
        drawn++;
    }
    n_ser = drawn;
    int ph = TT_MIN(h - 3, GRID_H), pw = TT_MIN(w - 9, GRID_W);
    if (ph < 2 || pw < 4)
        return;
    int E = t->have_snap ? TT_MAX(s->epochs, n_live) : 1;
    double ymax = 0;
    for (int e = 0; e < n_live; e++)
        ymax = fmax(ymax, s->valid_recall20[e]);
    for (int i = 0; i < t->n_past; i++) {
        E = TT_MAX(E, t->past[i].n);
        for (int e = 0; e < t->past[i].n; e++)
            if (isfinite(t->past[i].r[e]))
                ymax = fmax(ymax, t->past[i].r[e]);
    }
    E = TT_MAX(E, 2);
    ymax = ymax > 0 ? ymax * 1.1 : 0.1;
    memset(g_cell, 0, sizeof g_cell);
    memset(g_pair, 0, sizeof g_pair);
    /* Earlier models first, so that the live one is drawn on top. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = n_ser - 1; i >= 0; i--) {
            const double *v = i == 0 ? s->valid_recall20 : t->past[i - 1].r;
            int n = i == 0 ? n_live : t->past[i - 1].n;
            int pc = -1, pr = -1;
            for (int e = 0; e < n; e++) {
                if (!(v[e] >= 0) || !isfinite(v[e]))
                    continue;
                int c = (int)lround((double)e * (pw - 1) / (E - 1));
                int r = (int)lround((ymax - v[e]) / ymax * (ph - 1));
                c = TT_MAX(0, TT_MIN(pw - 1, c));
                r = TT_MAX(0, TT_MIN(ph - 1, r));
                unsigned char pair = (unsigned char)(i == 0 ? TT_C_CURVE : TT_C_S0 + (i - 1) % 4);
                if (pass == 0 && pc >= 0) {   /* join with dots */
                    for (int cc = pc + 1; cc < c; cc++) {
                        int rr = (int)lround(pr + (double)(r - pr) * (cc - pc) / (c - pc));
                        if (!g_cell[rr][cc]) {
                            g_cell[rr][cc] = '.';
                            g_pair[rr][cc] = pair;
                        }
                    }
                }
                if (pass == 1) {
                    g_cell[r][c] = (unsigned char)(i == 0 ? '*' : k_marks[(i - 1) % 8]);
                    g_pair[r][c] = pair;
                }
                pc = c;
                pr = r;
            }
        }
    char lab[32];
    for (int r = 0; r < ph; r++) {
        lab[0] = 0;
        if (r == 0)
            fmt_axis(ymax, lab, sizeof lab);
        else if (r == ph - 1)
            fmt_axis(0, lab, sizeof lab);
        put(y + 2 + r, x, 8, lab);
        put_g(y + 2 + r, x + 7, 1, "|");
        for (int c = 0; c < pw; c++) {
            if (!g_cell[r][c])
                continue;
            char ch[2] = { (char)g_cell[r][c], 0 };
            if (s_color)
                attron(COLOR_PAIR(g_pair[r][c]));
            put_g(y + 2 + r, x + 8 + c, 1, ch);
            if (s_color)
                attroff(COLOR_PAIR(g_pair[r][c]));
        }
    }
    char axis[64];
    snprintf(axis, sizeof axis, "epoch 1..%d", E);
    put(y + 2 + ph, x + 8, pw, axis);
}

/* ---- SENet ---------------------------------------------------------------- */

static int senet_rows(const tt_tui *t)
{
    int rows = 0;
    for (int side = 0; side < 2; side++)
        if (t->snap.n_se[side] > 0)
            rows += 1 + t->snap.n_se[side];
    return rows;
}

static void sparkline(const tt_hist *h, int w, char *out, size_t cap)
{
    static const char *blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
                                     "\u2585", "\u2586", "\u2587", "\u2588" };
    static const char ascii[] = "_.,-=+*#";
    size_t b = 0;
    out[0] = 0;
    if (h->n < 1 || w < 1)
        return;
    double lo = INFINITY, up = -INFINITY;
    for (int i = 0; i < h->n; i++) {
        lo = fmin(lo, h->v[i]);
        up = fmax(up, h->v[i]);
    }
    /* at least 0.05 of range, so that jitter does not look like a trend */
    if (up - lo < 0.05) {
        double mid = 0.5 * (up + lo);
        lo = mid - 0.025;
        up = mid + 0.025;
    }
    int n = TT_MIN(w, h->n);
    for (int c = 0; c < n && b + 4 < cap; c++) {
        int i0 = (int)((long)c * h->n / n), i1 = (int)((long)(c + 1) * h->n / n);
        double acc = 0;
        int k = 0;
        for (int i = i0; i < TT_MAX(i1, i0 + 1) && i < h->n; i++, k++)
            acc += h->v[i];
        int lvl = (int)lround((acc / k - lo) / (up - lo) * 7);
        lvl = TT_MAX(0, TT_MIN(7, lvl));
        if (s_utf8) {
            memcpy(out + b, blocks[lvl], 3);
            b += 3;
        } else {
            out[b++] = ascii[lvl];
        }
    }
    out[b] = 0;
}

/* One row per feature: name, bar of the current mean weight, value,
 * sparkline of its history, and "S" when suppressed (tt_inspect's rule). */
static void draw_senet(const tt_tui *t, int y, int x, int h, int w)
{
    int any_const = 0;
    for (int side = 0; side < 2; side++) {
        double mn[TT_MAX_FIELDS], sd[TT_MAX_FIELDS];
        for (int f = 0; f < t->snap.n_se[side]; f++) {
            mn[f] = t->snap.se_mean[side][f];
            sd[f] = t->snap.se_std[side][f];
        }
        any_const |= tt_inspect_constant(mn, sd, t->snap.n_se[side], t->snap.se_inactive[side]);
    }
    /* the stage's own name: SENet, Light-SE, or both when the towers differ */
    int k0 = t->snap.n_se[0] > 0 ? t->snap.se_kind[0] : t->snap.se_kind[1];
    int k1 = t->snap.n_se[1] > 0 ? t->snap.se_kind[1] : k0;
    const char *n0 = tt_reweight_title(k0), *n1 = tt_reweight_title(k1);
    char stage[64], long_t[96], short_t[80], title[160];
    snprintf(stage, sizeof stage, "%s%s%s", n0 ? n0 : "SENet", k1 != k0 && n1 ? " / " : "",
             k1 != k0 && n1 ? n1 : "");
    snprintf(long_t, sizeof long_t, " %s excitation weights", stage);
    snprintf(short_t, sizeof short_t, " %s weights", stage);
    const char *tparts[] = { text_cols(long_t) + 34 <= w ? long_t : short_t, "S = suppressed",
                             any_const ? "C = constant" : NULL, "(running mean)" };
    bar_row(y, x, w, TT_C_TITLE, fit_fields(title, sizeof title, w, tparts, 4, "  "));
    int row = y + 1, end = y + h;
    int nw = 4;
    for (int side = 0; side < 2; side++)
        for (int f = 0; f < t->snap.n_se[side]; f++)
            nw = TT_MAX(nw, (int)strlen(t->se_name[side][f]));
    nw = TT_MIN(nw, TT_MAX(6, w / 2));   /* names whole: the bars give way */
    int rest = w - nw - 1 - 1 - 5 - 1 - 2 - 1;   /* gaps, "0.00 ", " S" */
    int bw = rest, sw = 0;
    if (rest >= 16) {
        bw = rest / 2;
        sw = TT_MIN(rest - bw, 40);
        bw = rest - sw;
        bw = TT_MIN(bw, 40);
    }
    if (bw < 3)
        bw = 0;
    for (int side = 0; side < 2 && row < end; side++) {
        int n = t->snap.n_se[side];
        if (n <= 0)
            continue;
        double mean[TT_MAX_FIELDS], scale = 1;
        int supp[TT_MAX_FIELDS];
        for (int f = 0; f < n; f++) {
            mean[f] = t->snap.se_mean[side][f];
            if (isfinite(mean[f]))
                scale = fmax(scale, mean[f]);   /* relu gates exceed 1 */
        }
        tt_inspect_suppressed(mean, n, supp);
        /* A constant excitation says so on its tower's title row, in words,
         * dropping the least needed phrases when narrow. */
        double sd[TT_MAX_FIELDS];
        for (int f = 0; f < n; f++)
            sd[f] = t->snap.se_std[side][f];
        int constant = tt_inspect_constant(mean, sd, n, t->snap.se_inactive[side]);
        char sub[256], width[64], off[64], same[64];
        const char *rows = side ? "item" : "example";
        snprintf(width, sizeof width, "hidden width %d", t->snap.se_hidden[side]);
        snprintf(off, sizeof off, "off for %.0f%% of %ss", 100.0 * t->snap.se_inactive[side], rows);
        snprintf(same, sizeof same, "same for every %s", rows);
        const char *parts[] = { side ? "item tower" : "user tower",
                                constant ? "CONSTANT" : NULL,
                                constant ? width : NULL,
                                constant && t->snap.se_inactive[side] > 0.5 ? off : NULL,
                                constant ? same : NULL,
                                constant ? "a fixed scale, not a gate" : NULL };
        fit_fields(sub, sizeof sub, w - 1, parts, 6, " - ");
        attron(A_BOLD);
        if (row == end - 1) {   /* a title with no room for its fields */
            attroff(A_BOLD);
            char more[64];
            char fit[64];
            snprintf(more, sizeof more, "... %d more (enlarge the window)", n);
            put(row++, x + 2, w - 2, fit_words(fit, sizeof fit, w - 3, more));
            return;
        }
        put(row++, x + 1, w - 1, sub);
        attroff(A_BOLD);
        for (int f = 0; f < n; f++) {
            if (row >= end)
                break;
            /* rows still wanted after this one: the rest of this side, and
             * the other side's title and fields */
            int after = n - f - 1, fields_left = n - f;
            if (side == 0 && t->snap.n_se[1] > 0) {
                after += 1 + t->snap.n_se[1];
                fields_left += t->snap.n_se[1];
            }
            if (row == end - 1 && after > 0) {
                char more[64];
                char fit[64];
                snprintf(more, sizeof more, "... %d more (enlarge the window)", fields_left);
                put(row++, x + 2, w - 2, fit_words(fit, sizeof fit, w - 3, more));
                return;
            }
            char buf[512];
            int cx = x + 1;
            if (supp[f] && s_color)
                attron(COLOR_PAIR(TT_C_SUPP));
            put(row, cx, nw, t->se_name[side][f]);
            if (supp[f] && s_color)
                attroff(COLOR_PAIR(TT_C_SUPP));
            cx += nw + 1;
            if (bw > 0) {
                double frac = isfinite(mean[f]) ? fmax(0, mean[f]) / scale : 0;
                int eighths = (int)lround(frac * bw * 8);
                size_t b = 0;
                for (int c = 0; c < bw && b + 4 < sizeof buf; c++) {
                    int e = TT_MAX(0, TT_MIN(8, eighths - c * 8));
                    if (s_utf8) {
                        static const char *part[9] = { "\u00b7", "\u258f", "\u258e", "\u258d",
                            "\u258c", "\u258b", "\u258a", "\u2589", "\u2588" };
                        size_t l = strlen(part[e]);
                        memcpy(buf + b, part[e], l);
                        b += l;
                    } else {
                        buf[b++] = e >= 4 ? '#' : '.';
                    }
                }
                buf[b] = 0;
                attron(s_color ? COLOR_PAIR(supp[f] ? TT_C_SUPP : TT_C_BAR) : 0);
                put_g(row, cx, bw, buf);
                attroff(s_color ? COLOR_PAIR(supp[f] ? TT_C_SUPP : TT_C_BAR) : 0);
                cx += bw + 1;
            }
            snprintf(buf, sizeof buf, "%4.2f", mean[f]);
            put(row, cx, 5, buf);
            cx += 5;
            if (sw > 0) {
                sparkline(&t->se_hist[side][f], sw, buf, sizeof buf);
                put_g(row, cx, sw, buf);
                cx += sw + 1;
            }
            if (supp[f] || constant) {
                attron(A_BOLD);
                put(row, cx, x + w - cx,
                    constant ? "C" : "S");
                attroff(A_BOLD);
            }
            row++;
        }
    }
}

static void draw_help(int y, int h, int w)
{
    static const char *lines[] = {
        " keys",
        "   p      pause / resume training (the process waits in the dashboard)",
        "   s, q   stop after this batch; the model keeps what it has learnt",
        "   w      show / hide the SENet weights panel (a model without SENet says so)",
        "   g      open / close a live gnuplot window of the loss",
        "   ?      this help (any of ? h Esc closes it)",
        "   Ctrl-C stops after this batch, as s does",
        "",
        " panels",
        "   loss: exponential moving average of the batch loss, whole run",
        "   Recall@20: valid, per epoch; '*' this model, others earlier ones",
        "   SENet: mean excitation weight per feature; sparkline = its history;",
        "   S = suppressed: mean < 0.5 x the median of the tower's features",
        "   C = constant: the same weights for every row (a fixed scale, not a gate)",
    };
    char buf[256];
    for (int i = 0; i < (int)TT_ARRAY_LEN(lines) && i < h; i++)
        put(y + i, 0, w, fit_words(buf, sizeof buf, w - 1, lines[i]));
}

void tui_draw(const tt_tui *t, int sigint)
{
    s_utf8 = t->utf8;
    s_color = t->color;
    erase();
    s_wlen = 0;
    int H = LINES, W = COLS;
    if (H < 1 || W < 1) {
        wlog_flush();
        refresh();
        return;
    }
    draw_header(t, W);
    if (H >= 2)
        draw_status(t, H - 1, W, sigint);
    int top = 1, bh = H - 2;
    if (bh < 1) {
        wlog_flush();
        refresh();
        return;
    }
    if (t->show_help) {
        draw_help(top, bh, W);
        wlog_flush();
        refresh();
        return;
    }
    /* Layout: the SENet panel on the right when wide, else at the bottom;
     * the loss and recall curves share what is left, side by side when wide,
     * stacked when tall, recall dropped first, then any panel too small. */
    int se_rows = senet_rows(t);
    int show_se = t->show_w && se_rows > 0;
    int cy = top, cx = 0, ch = bh, cw = W;
    if (show_se) {
        int se_h = se_rows + 1;
        if (W >= 100) {
            int se_w = TT_MIN(W / 2, 64);
            draw_senet(t, top, W - se_w, bh, se_w);
            cw = W - se_w - 1;
        } else {
            int keep = bh >= 14 ? 8 : bh >= 8 ? 4 : 0;   /* room for the loss */
            int sh = TT_MIN(se_h, bh - keep);
            if (sh >= 2 && W >= 24) {
                draw_senet(t, top + bh - sh, 0, sh, W);
                ch = bh - sh;
            }
        }
    }
    if (ch >= 3 && cw >= 20) {
        if (cw >= 90 && ch >= 6) {
            int lw = cw * 3 / 5;
            draw_loss(t, cy, cx, ch, lw - 1);
            draw_recall(t, cy, cx + lw, ch, cw - lw);
        } else if (ch >= 12) {
            int lh = ch - ch * 2 / 5;
            draw_loss(t, cy, cx, lh, cw);
            draw_recall(t, cy + lh, cx, ch - lh, cw);
        } else {
            draw_loss(t, cy, cx, ch, cw);
        }
    }
    wlog_flush();
    refresh();
}

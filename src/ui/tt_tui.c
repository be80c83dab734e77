/* tt_tui: the live training dashboard: a header, the smoothed loss curve,
 * valid Recall@20 of every model of the session, the SENet weight bars with
 * their sparklines and a key line. The only module that sets up curses (as
 * htop's CRT.c); it reads the snapshots training publishes and nothing else.
 * Key handlers change state and return flags; only tui_draw draws. */
#include "config.h"
#include "tt_tui.h"
#include "tt_tui_draw.h"
#include "tt_plot.h"
#include "tt_term.h"

#ifdef HAVE_NCURSESW_CURSES_H
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The open dashboard and what is needed to put the terminal back from the
 * exit and signal paths. Only one dashboard is open at a time. */
static tt_tui *g_open;
static SCREEN *g_screen;
static volatile sig_atomic_t g_sigint;
static int g_atexit_done;

static void hist_push(tt_hist *h, double x)
{
    h->acc += x;
    if (++h->pend < h->stride)
        return;
    h->v[h->n++] = h->acc / h->pend;
    h->acc = 0;
    h->pend = 0;
    if (h->n == TT_HIST_MAX) {  /* keep the whole run: halve the resolution */
        for (int i = 0; i < TT_HIST_MAX / 2; i++)
            h->v[i] = 0.5 * (h->v[2 * i] + h->v[2 * i + 1]);
        h->n = TT_HIST_MAX / 2;
        h->stride *= 2;
    }
}

/* SIGINT while the dashboard is open. The dashboard always notes it (so a
 * paused dashboard wakes up and returns TT_TUI_STOP), then:
 * - when the host had a handler (the session's, which sets its stop flag),
 *   that handler runs too, and its rules for a second Ctrl-C apply;
 * - when nobody handled SIGINT (SIG_DFL), the first asks for a stop at the
 *   next batch (the model is kept) and a second one puts the terminal back
 *   with async-signal-safe calls only and dies as SIGINT would;
 * - when it was ignored, it stays ignored (no handler is installed). */
static struct sigaction g_prev_int;

static void on_sigint(int sig, siginfo_t *info, void *ctx)
{
    int first = !g_sigint;
    g_sigint = 1;
    if (g_prev_int.sa_flags & SA_SIGINFO) {
        if (g_prev_int.sa_sigaction)
            g_prev_int.sa_sigaction(sig, info, ctx);
        return;
    }
    if (g_prev_int.sa_handler != SIG_DFL && g_prev_int.sa_handler != SIG_IGN) {
        g_prev_int.sa_handler(sig);
        return;
    }
    if (first)
        return;
    tt_term_restore();
    tt_term_leave_screen();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void restore_terminal(tt_tui *t)
{
    if (!t->curses_on)
        return;
    t->curses_on = 0;
    endwin();
    tt_term_restore();
    if (t->own_sigint)
        sigaction(SIGINT, &t->old_sigint, NULL);
    t->own_sigint = 0;
}

void tt_tui_emergency_restore(void)
{
    if (g_open)
        restore_terminal(g_open);
}

tt_tui *tt_tui_open(const tt_curve *past, int n_past)
{
    const char *term = getenv("TERM");
    if (g_open || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
        !term || !*term || !strcmp(term, "dumb"))
        return NULL;
    tt_tui *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (n_past > 0 && past) {
        t->past = calloc((size_t)n_past, sizeof *t->past);
        if (!t->past) {
            free(t);
            return NULL;
        }
        for (int i = 0; i < n_past; i++) {
            tt_tui_curve *c = &t->past[t->n_past];
            if (past[i].n <= 0 || !past[i].recall20)
                continue;
            c->r = malloc((size_t)past[i].n * sizeof *c->r);
            if (!c->r)
                continue;
            memcpy(c->r, past[i].recall20, (size_t)past[i].n * sizeof *c->r);
            c->n = past[i].n;
            snprintf(c->name, sizeof c->name, "%s", past[i].model ? past[i].model : "?");
            t->n_past++;
        }
    }
    t->loss.stride = 1;
    for (int s = 0; s < 2; s++)
        for (int f = 0; f < TT_MAX_FIELDS; f++)
            t->se_hist[s][f].stride = 1;
    t->show_w = 1;

    /* The terminal's own locale for line drawing (UTF-8 braille and blocks);
     * only LC_CTYPE, and put back at close. */
    const char *old = setlocale(LC_CTYPE, NULL);
    t->old_ctype = old ? strdup(old) : NULL;
    setlocale(LC_CTYPE, "");
    t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");

    /* Ctrl-C: see on_sigint. Installed before newterm: with SIGINT at
     * SIG_DFL ncurses would install its own handler, which ends the process
     * with exit(1) on the first Ctrl-C. */
    g_sigint = 0;
    if (sigaction(SIGINT, NULL, &g_prev_int) == 0 &&
        !(!(g_prev_int.sa_flags & SA_SIGINFO) && g_prev_int.sa_handler == SIG_IGN)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigint;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, &t->old_sigint) == 0)
            t->own_sigint = 1;
    }
    tt_term_save();
    /* newterm, not initscr: initscr exits the process when it fails. */
    g_screen = newterm(NULL, stdout, stdin);
    if (!g_screen) {
        if (t->own_sigint)
            sigaction(SIGINT, &t->old_sigint, NULL);
        if (t->old_ctype)
            setlocale(LC_CTYPE, t->old_ctype);
        free(t->old_ctype);
        for (int i = 0; i < t->n_past; i++)
            free(t->past[i].r);
        free(t->past);
        free(t);
        return NULL;
    }
    set_term(g_screen);
    t->curses_on = 1;
    g_open = t;
    if (!g_atexit_done) {
        atexit(tt_tui_emergency_restore);
        g_atexit_done = 1;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    leaveok(stdscr, TRUE);
    t->color = has_colors() && getenv("NO_COLOR") == NULL;
    if (t->color) {
        start_color();
        use_default_colors();
        init_pair(TT_C_HEAD, COLOR_BLACK, COLOR_CYAN);
        init_pair(TT_C_TITLE, COLOR_BLACK, COLOR_GREEN);
        init_pair(TT_C_CURVE, COLOR_GREEN, -1);
        init_pair(TT_C_SUPP, COLOR_RED, -1);
        init_pair(TT_C_BAR, COLOR_CYAN, -1);
        init_pair(TT_C_S0, COLOR_YELLOW, -1);
        init_pair(TT_C_S0 + 1, COLOR_MAGENTA, -1);
        init_pair(TT_C_S0 + 2, COLOR_BLUE, -1);
        init_pair(TT_C_S0 + 3, COLOR_RED, -1);
    }

    t->dirty = 1;
    return t;
}

double tt_tui_paused(const tt_tui *t)
{
    return t ? t->paused_s : 0;
}

void tt_tui_set_stop(tt_tui *t, volatile sig_atomic_t *stop)
{
    if (t)
        t->stop_flag = stop;
}

void tt_tui_set_run(tt_tui *t, uint64_t seed, int run, int runs)
{
    if (!t)
        return;
    t->seed = seed;
    t->run = run;
    t->runs = runs;
}

void tt_tui_close(tt_tui *t)
{
    if (!t)
        return;
    restore_terminal(t);
    if (g_open == t) {
        if (g_screen)
            delscreen(g_screen);
        g_screen = NULL;
        g_open = NULL;
    }
    if (t->live)
        tt_plot_live_close(t->live);
    if (t->old_ctype)
        setlocale(LC_CTYPE, t->old_ctype);
    free(t->old_ctype);
    for (int i = 0; i < t->n_past; i++)
        free(t->past[i].r);
    free(t->past);
    free(t);
}

/* Copy what the dashboard shows: the snapshot never points into model memory,
 * but its strings belong to the caller, so they are copied too. */
static void ingest(tt_tui *t, const tt_snapshot *s)
{
    int new_step = !t->have_snap || s->step != t->snap.step;
    t->snap = *s;
    t->have_snap = 1;
    snprintf(t->model, sizeof t->model, "%s", s->model ? s->model : "?");
    t->snap.model = t->model;
    for (int side = 0; side < 2; side++) {
        int n = s->n_se[side];
        if (n < 0 || n > TT_MAX_FIELDS)
            n = t->snap.n_se[side] = 0;
        for (int f = 0; f < n; f++) {
            snprintf(t->se_name[side][f], sizeof t->se_name[side][f], "%s",
                     s->se_name[side][f] ? s->se_name[side][f] : "?");
            t->snap.se_name[side][f] = t->se_name[side][f];
        }
    }
    if (!new_step)
        return;
    double l = s->loss_smooth == s->loss_smooth ? s->loss_smooth : s->loss;
    hist_push(&t->loss, l);
    for (int side = 0; side < 2; side++)
        for (int f = 0; f < t->snap.n_se[side]; f++)
            hist_push(&t->se_hist[side][f], s->se_mean[side][f]);
}

enum { F_NONE = 0, F_REDRAW = 1, F_RESIZE = 2, F_STOP = 4, F_PLOT = 8 };

static void say(tt_tui *t, const char *msg)
{
    snprintf(t->msg, sizeof t->msg, "%s", msg);
    t->msg_until = tt_now() + 4.0;
}

/* Keys: change the state, say what must happen; never draw. */
static int handle_key(tt_tui *t, int ch)
{
    switch (ch) {
    case 'p': case 'P': case ' ':
        t->paused = !t->paused;
        return F_REDRAW;
    case 's': case 'S': case 'q': case 'Q':
        t->stopping = 1;
        t->paused = 0;
        return F_STOP | F_REDRAW;
    case 'w': case 'W':
        if (t->have_snap && t->snap.n_se[0] == 0 && t->snap.n_se[1] == 0) {
            say(t, "w: this model has no SENet stage, so there are no weights to show");
            return F_REDRAW;
        }
        t->show_w = !t->show_w;
        return F_REDRAW;
    case 'g': case 'G':
        return F_PLOT | F_REDRAW;
    case '?': case 'h': case 'H':
        t->show_help = !t->show_help;
        return F_REDRAW;
    case 27:
        t->show_help = 0;
        return F_REDRAW;
    case KEY_RESIZE:
        return F_RESIZE | F_REDRAW;
    case 12:   /* Ctrl-L */
        return F_RESIZE | F_REDRAW;
    default:
        return F_NONE;
    }
}


static void live_send(tt_tui *t)
{
    double *x = malloc((size_t)t->loss.n * 2 * sizeof *x);
    if (!x)
        return;
    double *y = x + t->loss.n;
    for (int i = 0; i < t->loss.n; i++) {
        x[i] = (i + 1.0) * t->loss.stride;
        y[i] = t->loss.v[i];
    }
    char title[128];
    snprintf(title, sizeof title, "%s: training loss (smoothed)", t->model);
    tt_series ser = { t->model, t->loss.n, x, y, 1, 1 };
    tt_plot_req r = { .title = title, .xlabel = "step", .ylabel = "loss", .term = TT_PLOT_WINDOW,
                      .n_series = 1, .series = &ser };
    if (tt_plot_live_update(t->live, &r) != 0) {
        tt_plot_live_close(t->live);
        t->live = NULL;
        say(t, "the gnuplot window has gone");
    }
    free(x);
    t->live_last = tt_now();
}

static void toggle_live(tt_tui *t)
{
    if (t->live) {
        tt_plot_live_close(t->live);
        t->live = NULL;
        say(t, "gnuplot window closed");
        return;
    }
    tt_err err = { "" };
    t->live = tt_plot_live_open(&err);
    if (!t->live) {
        say(t, err.msg);
        return;
    }
    say(t, "gnuplot window open (g closes it)");
    live_send(t);
}

static int apply(tt_tui *t, int fl)
{
    if (fl & F_RESIZE)
        t->resized = 1;
    if (fl & F_PLOT)
        toggle_live(t);
    if (fl & F_REDRAW)
        t->dirty = 1;
    return fl;
}

/* The terminal's size, asked directly: ncurses only learns of a resize from
 * its own SIGWINCH handler, which it does not install when the host (readline)
 * already has one, so KEY_RESIZE alone is not enough. */
static void check_size(tt_tui *t)
{
    int rows, cols;
    if (tt_term_size(STDOUT_FILENO, &rows, &cols) && (rows != LINES || cols != COLS)) {
        resize_term(rows, cols);
        t->resized = 1;
        t->dirty = 1;
    }
}

static int stop_asked(const tt_tui *t)
{
    return t->stopping || g_sigint || (t->stop_flag && *t->stop_flag);
}

static void frame(tt_tui *t)
{
    if (t->resized) {
        clearok(curscr, TRUE);
        t->resized = 0;
    }
    if (t->msg[0] && tt_now() > t->msg_until)
        t->msg[0] = 0;
    tui_draw(t, g_sigint);
    t->last_draw = tt_now();
    t->dirty = 0;
}

int tt_tui_update(tt_tui *t, const tt_snapshot *s)
{
    if (!t || !t->curses_on)
        return TT_TUI_GO;
    if (s)
        ingest(t, s);
    int ch;
    while ((ch = getch()) != ERR)
        apply(t, handle_key(t, ch));
    check_size(t);
    double now = tt_now();
    if (t->dirty || (s && s->epoch_end) || now - t->last_draw >= 1.0 / 15)
        frame(t);
    if (t->live && ((s && s->epoch_end) || now - t->live_last >= 1.0))
        live_send(t);
    /* Paused: training waits inside this call; keys and resizes still work.
     * The time is counted so that training can leave it out. */
    double pause0 = tt_now();
    int was_paused = t->paused;
    while (t->paused && !stop_asked(t)) {
        if (t->dirty)
            frame(t);
        timeout(100);
        ch = getch();
        nodelay(stdscr, TRUE);
        if (ch != ERR)
            apply(t, handle_key(t, ch));
        else if (t->msg[0] && tt_now() > t->msg_until)
            t->dirty = 1;
        check_size(t);
    }
    if (was_paused)
        t->paused_s += tt_now() - pause0;
    if (stop_asked(t)) {
        if (!t->stop_drawn) {
            t->stopping = 1;
            frame(t);
            t->stop_drawn = 1;
        }
        return TT_TUI_STOP;
    }
    return TT_TUI_GO;
}

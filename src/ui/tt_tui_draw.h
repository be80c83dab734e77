/* tt_tui_draw: the dashboard's state and its panels (internal to tt_tui). */
#ifndef TT_TUI_DRAW_H
#define TT_TUI_DRAW_H

#include <signal.h>
#include "tt_tui.h"

/* A history that keeps the whole run in at most TT_HIST_MAX points: when
 * full, neighbours are averaged and each point then stands for twice as many
 * steps (stride). */
#define TT_HIST_MAX 512
typedef struct tt_hist {
    double v[TT_HIST_MAX];
    int n, stride, pend;
    double acc;
} tt_hist;

typedef struct tt_tui_curve {
    char name[TT_NAME_MAX];
    int n;
    double *r;                 /* (n) valid Recall@20, < 0 = not evaluated */
} tt_tui_curve;

enum { TT_C_HEAD = 1, TT_C_TITLE, TT_C_CURVE, TT_C_SUPP, TT_C_BAR, TT_C_S0 };

struct tt_plot_live;
struct tt_tui {
    int n_past;
    tt_tui_curve *past;
    tt_snapshot snap;          /* the last one, strings pointing into t */
    int have_snap;
    char model[TT_NAME_MAX];
    char se_name[2][TT_MAX_FIELDS][TT_NAME_MAX];
    tt_hist loss;              /* smoothed loss per step */
    tt_hist se_hist[2][TT_MAX_FIELDS];
    double last_draw, live_last, msg_until;
    int paused, stopping, stop_drawn, show_w, show_help, dirty, resized;
    double paused_s;           /* seconds held paused so far (excluded from training time) */
    int utf8, color, curses_on, own_sigint;
    char msg[160];
    uint64_t seed;             /* the run's seed (tt_tui_set_run) */
    int run, runs;             /* run r of R (seeds=), runs 0 when unknown */
    struct tt_plot_live *live;
    volatile sig_atomic_t *stop_flag;
    struct sigaction old_sigint;
    char *old_ctype;
};

/* Draw every panel that fits the current screen size and refresh. */
void tui_draw(const tt_tui *t, int sigint);

#endif

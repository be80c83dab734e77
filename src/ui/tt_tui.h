/* tt_tui: the live training dashboard (ncurses). The only module that sets up
 * curses. It reads snapshots and never touches model memory. */
#ifndef TT_TUI_H
#define TT_TUI_H

#include <signal.h>
#include "tt_train.h"

/* A finished model's valid Recall@20 per epoch, overlaid on the live one. */
typedef struct tt_curve {
    const char *model;
    int n;
    const double *recall20;   /* (n) */
} tt_curve;

typedef struct tt_tui tt_tui;

/* Start the dashboard on the controlling terminal. Returns NULL (and does
 * nothing to the terminal) when stdin/stdout is not a terminal or curses
 * cannot start. past: curves of models trained earlier in the session. */
tt_tui *tt_tui_open(const tt_curve *past, int n_past);

enum { TT_TUI_GO = 0, TT_TUI_STOP = 1 };
/* Handle pending keys and redraw (at most ~15 frames/s, and always at epoch
 * ends). Blocks while paused ('p'). Returns TT_TUI_STOP after 's' (or when
 * *stop became nonzero). Usable directly as the body of a tt_train_cb. */
int tt_tui_update(tt_tui *t, const tt_snapshot *s);
/* Seconds training has been held paused ('p') in this dashboard so far. */
double tt_tui_paused(const tt_tui *t);
/* A stop flag of the host: the dashboard returns TT_TUI_STOP once *stop is
 * nonzero, also while paused. Optional: while open, the dashboard also
 * notes SIGINT itself and then calls the handler the host had installed (so
 * the host's flag is set as usual); when SIGINT had no handler, the first
 * Ctrl-C stops after this batch and a second restores the terminal and dies
 * of SIGINT. The previous handler is put back at close. */
void tt_tui_set_stop(tt_tui *t, volatile sig_atomic_t *stop);
/* The seed of this run, and which run of how many (seeds=1,2,3 trains three
 * runs); the header names them. */
void tt_tui_set_run(tt_tui *t, uint64_t seed, int run, int runs);
/* Restore the terminal and free t (NULL: nothing). Restoring is idempotent:
 * after tt_tui_emergency_restore, close only frees. */
void tt_tui_close(tt_tui *t);
/* Restores the terminal if a dashboard is open (for exit and error paths;
 * tt_tui_open registers it with atexit). It calls endwin, which is not
 * async-signal-safe: call it from the main flow or atexit, not inside a
 * signal handler (the dashboard's own SIGINT path restores with tcsetattr). */
void tt_tui_emergency_restore(void);

#endif

/* tt_plot: plots through gnuplot, fed through a pipe (popen); nothing is left
 * on disk but the requested output file. */
#ifndef TT_PLOT_H
#define TT_PLOT_H

#include <stdio.h>
#include "tt_util.h"

enum tt_plot_term { TT_PLOT_AUTO = 0, TT_PLOT_WINDOW, TT_PLOT_DUMB, TT_PLOT_FILE };

typedef struct tt_series {
    const char *label;        /* legend entry (model name, or feature name) */
    int n;
    const double *x;          /* (n) or NULL for 1..n */
    const double *y;          /* (n) */
    int color;                /* 1.. : one colour per model (0: by position) */
    int dash;                 /* 1.. : one dash type per seed (0: solid) */
} tt_series;

typedef struct tt_plot_req {
    const char *title, *xlabel, *ylabel;
    enum tt_plot_term term;   /* AUTO: a window when DISPLAY/WAYLAND_DISPLAY is
                                 set, else dumb in the terminal */
    const char *file;         /* TT_PLOT_FILE: .png (pngcairo), .svg, .pdf (pdfcairo) */
    int bars;                 /* 1: one bar per series' single value (weights);
                                 in a dumb terminal drawn as text, one
                                 horizontal bar per line with its label */
    int has_line;             /* 1: draw a horizontal line at y = line_y */
    double line_y;
    const char *line_label;   /* its legend entry ("suppressed below 0.21") */
    int n_series;
    const tt_series *series;
} tt_plot_req;

/* 1 if a gnuplot is on PATH. */
int tt_plot_available(void);
/* Draw. Without gnuplot: -1 with "gnuplot not found on PATH: install it with
 * 'apt-get install gnuplot-nox' (or gnuplot-qt for windows)". With
 * TT_PLOT_DUMB the picture goes to out (stdout if NULL). */
int tt_plot(const tt_plot_req *r, FILE *out, tt_err *err);

/* A live window updated during training (TT_PLOT_WINDOW terminals only). */
typedef struct tt_plot_live tt_plot_live;
tt_plot_live *tt_plot_live_open(tt_err *err);
int tt_plot_live_update(tt_plot_live *p, const tt_plot_req *r);
void tt_plot_live_close(tt_plot_live *p);

#endif

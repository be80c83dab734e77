/* plot_driver: draws a line plot (two series) or a bar plot (weights) through
 * tt_plot, for tests/script/plot.sh.
 *   plot_driver lines|bars FILE|-dumb|-capture|-window|-auto|-live
 * FILE: .png/.svg/.pdf; -dumb: dumb picture on stdout; -capture: dumb picture
 * through a memory stream, then printed; -window / -auto: TT_PLOT_WINDOW /
 * TT_PLOT_AUTO; -live: a live window updated three times, then closed.
 * Errors go to stderr, exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_plot.h"

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "lines") && strcmp(argv[1], "bars"))) {
        fprintf(stderr, "usage: plot_driver lines|bars FILE|-dumb|-capture\n");
        return 2;
    }
    static const double a[] = { 0.05, 0.09, 0.12, 0.14, 0.15 };
    static const double b[] = { 0.04, 0.10, 0.13, 0.15, 0.16 };
    static const double w[] = { 0.91, 0.51, 0.46, 0.39, 0.35, 0.28, 0.07 };
    static const char *wn[] = { "hist", "user_id", "zip3", "gender", "occupation", "age",
                                "ctx \"noise\"" };
    tt_series s[7];
    tt_plot_req r = { 0 };
    if (!strcmp(argv[1], "lines")) {
        s[0] = (tt_series){ "dssm", 5, NULL, a, 0, 0 };
        s[1] = (tt_series){ "senet_r2", 5, NULL, b, 0, 0 };
        r.title = "valid Recall@20";
        r.xlabel = "epoch";
        r.ylabel = "Recall@20";
        r.n_series = 2;
    } else {
        for (int i = 0; i < 7; i++)
            s[i] = (tt_series){ wn[i], 1, NULL, &w[i], 0, 0 };
        r.title = "SENet weights, user tower";
        r.xlabel = "feature";
        r.ylabel = "mean excitation weight";
        r.bars = 1;
        r.n_series = 7;
    }
    r.series = s;
    tt_err err = { "" };
    int rc;
    if (!strcmp(argv[2], "-dumb")) {
        r.term = TT_PLOT_DUMB;
        rc = tt_plot(&r, NULL, &err);
    } else if (!strcmp(argv[2], "-capture")) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        r.term = TT_PLOT_DUMB;
        rc = m ? tt_plot(&r, m, &err) : -1;
        if (m)
            fclose(m);
        if (rc == 0)
            printf("captured %zu bytes\n%s", len, buf);
        free(buf);
    } else if (!strcmp(argv[2], "-window") || !strcmp(argv[2], "-auto")) {
        r.term = argv[2][1] == 'w' ? TT_PLOT_WINDOW : TT_PLOT_AUTO;
        rc = tt_plot(&r, NULL, &err);
    } else if (!strcmp(argv[2], "-live")) {
        tt_plot_live *p = tt_plot_live_open(&err);
        rc = p ? 0 : -1;
        for (int i = 0; p && i < 3 && rc == 0; i++)
            rc = tt_plot_live_update(p, &r);
        if (p && rc)
            snprintf(err.msg, sizeof err.msg, "live update failed");
        tt_plot_live_close(p);
    } else {
        r.term = TT_PLOT_FILE;
        r.file = argv[2];
        rc = tt_plot(&r, NULL, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "plot_driver: %s\n", err.msg);
        return 1;
    }
    return 0;
}

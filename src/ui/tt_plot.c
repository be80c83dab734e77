/* tt_plot: plots through gnuplot. The script and its data go down a pipe
 * (inline '-' data blocks), so nothing is written to disk but the requested
 * output file; gnuplot is found on PATH at run time, never needed to build. */
#include "config.h"
#include "tt_plot.h"
#include "tt_file.h"
#include "tt_term.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char k_missing[] =
    "gnuplot not found on PATH: install it with 'apt-get install gnuplot-nox'"
    " (or gnuplot-qt for windows)";

int tt_plot_available(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return 0;
    char *dup = tt_strdup(path), *save = NULL;
    int found = 0;
    if (!dup)
        return 0;
    for (char *dir = strtok_r(dup, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char full[4096];
        struct stat st;
        snprintf(full, sizeof full, "%s/gnuplot", *dir ? dir : ".");
        found = stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0;
    }
    free(dup);
    return found;
}

/* The first window terminal this gnuplot was built with (qt, wxt, x11), or
 * "" when it has none (gnuplot-nox). Asked once per process. */
static const char *window_terminal(void)
{
    static char term[8];
    static int asked;
    if (asked)
        return term;
    asked = 1;
    /* GPVAL_TERMINALS is printed on stderr; the list is short. */
    FILE *p = popen("gnuplot -e 'print GPVAL_TERMINALS' 2>&1 </dev/null", "r");
    if (!p)
        return term;
    char buf[4096] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    pclose(p);
    static const char *want[] = { "qt", "wxt", "x11" };
    for (size_t i = 0; i < TT_ARRAY_LEN(want) && !term[0]; i++) {
        const char *s = buf;
        while (*s) {
            size_t l = strcspn(s, " \t\n");
            if (l == strlen(want[i]) && !strncmp(s, want[i], l)) {
                snprintf(term, sizeof term, "%s", want[i]);
                break;
            }
            s += l;
            if (*s)
                s++;
        }
    }
    return term;
}

static int have_display(void)
{
    const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    return (d && *d) || (w && *w);
}

/* A gnuplot double-quoted string: backslash and quote escaped, a newline
 * kept as gnuplot's \n (two-line titles), other control characters dropped
 * (labels come from feature and model names). */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\n') {   /* a line break in a title */
            fputs("\\n", f);
            continue;
        }
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        if ((unsigned char)*p >= 0x20)
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("NaN", f);   /* gnuplot leaves a gap there */
}

/* The body of a plot: labels, style, the plot command, the inline data.
 * char_points: markers drawn as characters (SVG: gnuplot's point symbols
 * there are <use> references coloured through currentColor, which several
 * SVG renderers draw in no colour at all; text always shows). */
static int write_body(FILE *f, const tt_plot_req *r, int char_points, tt_err *err)
{
    int any = 0;
    for (int i = 0; i < r->n_series; i++)
        any |= r->series[i].n > 0 && r->series[i].y;
    if (!any)
        return tt_err_set(err, "nothing to plot: every series is empty");
    fputs("set termoption noenhanced\n", f);   /* user_id is not user subscript id */
    if (r->title) {
        fputs("set title ", f);
        put_str(f, r->title);
        fputc('\n', f);
    }
    if (r->xlabel) {
        fputs("set xlabel ", f);
        put_str(f, r->xlabel);
        fputc('\n', f);
    }
    if (r->ylabel) {
        fputs("set ylabel ", f);
        put_str(f, r->ylabel);
        fputc('\n', f);
    }
    fputs("set grid\n", f);
    /* bars are named on the axis: the key holds only the threshold line */
    fputs(r->bars ? "set key inside right top opaque\n" : "set key outside right top\n", f);
    if (r->bars) {
        /* One box per series at x = 1..n, labelled on the axis and in the key. */
        fputs("set style fill solid 0.7 border -1\nset boxwidth 0.8\n"
              "set yrange [0:*]\nset xtics rotate by -30 nomirror\n", f);
        fprintf(f, "set xrange [0.4:%d.6]\nset xtics (", r->n_series);
        for (int i = 0; i < r->n_series; i++) {
            if (i)
                fputs(", ", f);
            put_str(f, r->series[i].label);
            fprintf(f, " %d", i + 1);
        }
        fputs(")\n", f);
    } else {
        /* Epochs are whole numbers: with few of them gnuplot would label
         * 1.5, 2.5, ... between them. */
        int nmax = 0, counted = 1;
        for (int i = 0; i < r->n_series; i++) {
            counted &= r->series[i].x == NULL;
            nmax = TT_MAX(nmax, r->series[i].n);
        }
        if (counted && nmax > 0 && nmax <= 12)
            fputs("set xtics 1\n", f);
    }
    fputs("plot ", f);
    int first = 1;
    for (int i = 0; i < r->n_series; i++) {
        const tt_series *s = &r->series[i];
        if (s->n <= 0 || !s->y)
            continue;
        if (!first)
            fputs(", ", f);
        first = 0;
        /* colour by model, dash type by seed, a marker of the model's own
         * (drawn as a path, so SVG and PDF keep it) */
        int color = s->color > 0 ? s->color : i + 1, dash = s->dash > 0 ? s->dash : 1;
        if (r->bars)
            fprintf(f, "'-' using 1:2 with boxes linecolor %d notitle", color);
        else if (char_points)
            fprintf(f, "'-' using 1:2 with %s linecolor %d dashtype %d pointtype \"%c\" title ",
                    s->n <= 60 ? "linespoints" : "lines", color, dash, "ox+*#@%&"[(color - 1) % 8]);
        else
            fprintf(f, "'-' using 1:2 with %s linecolor %d dashtype %d pointtype %d title ",
                    s->n <= 60 ? "linespoints" : "lines", color, dash, 4 + 2 * ((color - 1) % 5));
        if (!r->bars)
            put_str(f, s->label ? s->label : "");
    }
    if (r->has_line && isfinite(r->line_y)) {
        fputs(", ", f);
        put_num(f, r->line_y);
        fputs(" with lines linecolor rgb 'red' dashtype 2 linewidth 2 title ", f);
        put_str(f, r->line_label ? r->line_label : "");
    }
    fputc('\n', f);
    for (int i = 0; i < r->n_series; i++) {
        const tt_series *s = &r->series[i];
        if (s->n <= 0 || !s->y)
            continue;
        if (r->bars) {
            fprintf(f, "%d ", i + 1);
            put_num(f, s->y[0]);
            fputc('\n', f);
        } else {
            for (int j = 0; j < s->n; j++) {
                put_num(f, s->x ? s->x[j] : j + 1);
                fputc(' ', f);
                put_num(f, s->y[j]);
                fputc('\n', f);
            }
        }
        fputs("e\n", f);
    }
    return 0;
}

static int file_terminal(const char *file, char *term, size_t n, tt_err *err)
{
    const char *dot = file ? strrchr(file, '.') : NULL;
    if (!file || !*file)
        return tt_err_set(err, "plot to a file needs a file name (.png, .svg or .pdf)");
    if (dot && !strcasecmp(dot, ".png"))
        snprintf(term, n, "pngcairo size 900,600");
    else if (dot && !strcasecmp(dot, ".svg"))
        snprintf(term, n, "svg size 900,600 dynamic");
    else if (dot && !strcasecmp(dot, ".pdf"))
        snprintf(term, n, "pdfcairo size 6in,4in");
    else
        return tt_err_set(err, "%s: a plot file must end in .png, .svg or .pdf", file);
    return 0;
}

static void put_file_name(FILE *f, const char *file)
{
    /* single quotes: no escapes inside except '' for a quote */
    fputc('\'', f);
    for (const char *p = file; *p; p++) {
        if (*p == '\'')
            fputc('\'', f);
        fputc(*p, f);
    }
    fputc('\'', f);
}

/* Run gnuplot on a script with its standard output captured into out (for a
 * dumb picture going to a stream without a file descriptor). */
static int run_captured(const char *script, size_t len, FILE *out, tt_err *err)
{
    int in[2], op[2];
    if (pipe(in) != 0)
        return tt_err_set(err, "gnuplot: pipe: %s", strerror(errno));
    if (pipe(op) != 0) {
        close(in[0]);
        close(in[1]);
        return tt_err_set(err, "gnuplot: pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]); close(in[1]); close(op[0]); close(op[1]);
        return tt_err_set(err, "gnuplot: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(op[1], 1);
        close(in[0]); close(in[1]); close(op[0]); close(op[1]);
        execlp("gnuplot", "gnuplot", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(op[1]);
    /* A dumb picture is a few kilobytes, far below a pipe's buffer, so the
     * whole script can be written before the output is read. */
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(in[1], script + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(in[1]);
    char buf[4096];
    ssize_t got;
    while ((got = read(op[0], buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        fwrite(buf, 1, (size_t)got, out);
    }
    close(op[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return tt_err_set(err, "gnuplot failed (exit status %d)",
                          WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

/* Write the whole script down a popen'd gnuplot; SIGPIPE is ignored for the
 * time of the write so that a gnuplot that dies early is an error, not a
 * killed ttlab. */
static int run_popen(const char *cmd, const char *script, size_t len, tt_err *err)
{
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    fflush(NULL);
    FILE *gp = popen(cmd, "w");
    if (!gp) {
        sigaction(SIGPIPE, &old, NULL);
        return tt_err_set(err, "cannot start gnuplot: %s", strerror(errno));
    }
    int werr = fwrite(script, 1, len, gp) != len || fflush(gp) != 0 ? errno : 0;
    int st = pclose(gp);
    sigaction(SIGPIPE, &old, NULL);
    if (st == -1)
        return tt_err_set(err, "gnuplot: %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return tt_err_set(err, "%s", k_missing);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return tt_err_set(err, "gnuplot failed (exit status %d): see its message above",
                          WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    /* gnuplot said it succeeded, but did not read the whole script. */
    if (werr)
        return tt_err_set(err, "cannot write to gnuplot: %s", strerror(werr));
    return 0;
}

static void dumb_size(FILE *out, int *w, int *h)
{
    int rows, cols;
    *w = 79;
    *h = 24;
    if (out && tt_term_size(fileno(out), &rows, &cols) && cols >= 20 && rows >= 8) {
        *w = TT_MIN(cols - 1, 200);
        *h = TT_MIN(rows - 2, 60);
    }
}

/* A bar chart in a terminal: one horizontal bar per line, its label in
 * front of it (gnuplot's dumb boxes run their labels together), the value
 * after it, and the line's value marked with '|' on every bar. */
static int text_bars(const tt_plot_req *r, FILE *out, tt_err *err)
{
    int lw = 4, width, h;
    double top = 0;
    dumb_size(out, &width, &h);
    for (int i = 0; i < r->n_series; i++) {
        const tt_series *s = &r->series[i];
        if (s->n < 1 || !s->y)
            continue;
        lw = TT_MAX(lw, (int)strlen(s->label ? s->label : ""));
        if (isfinite(s->y[0]))
            top = fmax(top, s->y[0]);
    }
    if (top <= 0)
        return tt_err_set(err, "nothing to plot: no positive value");
    lw = TT_MIN(lw, 24);
    int bw = TT_MAX(10, TT_MIN(60, width - lw - 10));
    if (r->title)
        fprintf(out, "%s\n", r->title);
    for (int i = 0; i < r->n_series; i++) {
        const tt_series *s = &r->series[i];
        if (s->n < 1 || !s->y)
            continue;
        double v = isfinite(s->y[0]) ? fmax(0, s->y[0]) : 0;
        int len = (int)lround(v / top * bw);
        int mark = r->has_line && isfinite(r->line_y) ? (int)lround(r->line_y / top * bw) : -1;
        char bar[128];
        for (int c = 0; c < bw && c < (int)sizeof bar - 1; c++)
            bar[c] = c == mark ? '|' : c < len ? '#' : ' ';
        bar[TT_MIN(bw, (int)sizeof bar - 1)] = 0;
        fprintf(out, "  %-*.*s %s %.3f\n", lw, lw, s->label ? s->label : "", bar, s->y[0]);
    }
    if (r->has_line && r->line_label)
        fprintf(out, "  %*s '|' = %s\n", lw, "", r->line_label);
    fflush(out);
    return 0;
}

int tt_plot(const tt_plot_req *r, FILE *out, tt_err *err)
{
    if (!tt_plot_available())
        return tt_err_set(err, "%s", k_missing);
    enum tt_plot_term term = r->term;
    if (term == TT_PLOT_AUTO)
        term = r->file ? TT_PLOT_FILE
             : have_display() && window_terminal()[0] ? TT_PLOT_WINDOW : TT_PLOT_DUMB;
    if (!out)
        out = stdout;
    char tline[128];
    if (term == TT_PLOT_FILE) {
        if (file_terminal(r->file, tline, sizeof tline, err) != 0)
            return -1;
    } else if (term == TT_PLOT_WINDOW) {
        if (!have_display())
            return tt_err_set(err, "no display for a gnuplot window (DISPLAY and"
                              " WAYLAND_DISPLAY are unset): plot to a file instead");
        const char *wt = window_terminal();
        if (!wt[0])
            return tt_err_set(err, "this gnuplot has no window terminal (qt, wxt or x11):"
                              " install gnuplot-qt, or plot to a file (.png, .svg, .pdf)");
        snprintf(tline, sizeof tline, "%s", wt);
    } else {
        if (r->bars)
            return text_bars(r, out, err);
        int w, h;
        dumb_size(out, &w, &h);
        snprintf(tline, sizeof tline, "dumb size %d,%d", w, h);
    }

    /* A plot file is written like every file of ttlab (tt_file): gnuplot
     * draws into the temporary file, which replaces the target only when
     * gnuplot succeeded. Begun first: when gnuplot cannot open its output
     * it draws to its stdout, which is sent to /dev/null for that reason. */
    tt_wfile w;
    if (term == TT_PLOT_FILE) {
        if (tt_file_begin(&w, r->file, err))
            return -1;
        fclose(w.f);
        w.f = NULL;
    }
    char *script = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);
    if (!f) {
        if (term == TT_PLOT_FILE)
            tt_file_abort(&w);
        return tt_err_set(err, "out of memory for a gnuplot script");
    }
    fprintf(f, "set terminal %s\n", tline);
    if (term == TT_PLOT_FILE) {
        fputs("set output ", f);
        put_file_name(f, w.tmp);
        fputc('\n', f);
    }
    const char *dot = term == TT_PLOT_FILE ? strrchr(r->file, '.') : NULL;
    int rc = write_body(f, r, dot && !strcasecmp(dot, ".svg"), err);
    if (term == TT_PLOT_FILE)
        fputs("unset output\n", f);   /* closes the file before gnuplot exits */
    fclose(f);
    if (rc != 0) {
        if (term == TT_PLOT_FILE)
            tt_file_abort(&w);
        free(script);
        return -1;
    }
    if (term == TT_PLOT_FILE) {
        rc = run_popen("exec gnuplot >/dev/null", script, len, err);
        struct stat st;
        if (rc == 0 && (stat(w.tmp, &st) != 0 || st.st_size == 0))
            rc = tt_err_set(err, "%s: gnuplot wrote nothing", r->file);
        if (rc == 0)
            rc = tt_file_commit(&w, err);
        else
            tt_file_abort(&w);   /* no file left by a failed plot */
    } else if (term == TT_PLOT_WINDOW) {
        rc = run_popen("exec gnuplot -persist", script, len, err);
    } else if (out == stdout) {
        rc = run_popen("exec gnuplot", script, len, err);
    } else if (fileno(out) >= 0) {
        char cmd[64];
        fflush(out);
        snprintf(cmd, sizeof cmd, "exec gnuplot >&%d", fileno(out));
        rc = run_popen(cmd, script, len, err);
    } else {
        fflush(out);
        rc = run_captured(script, len, out, err);
    }
    free(script);
    return rc;
}

struct tt_plot_live {
    FILE *gp;
    struct sigaction old_pipe;
};

tt_plot_live *tt_plot_live_open(tt_err *err)
{
    if (!tt_plot_available()) {
        tt_err_set(err, "%s", k_missing);
        return NULL;
    }
    if (!have_display()) {
        tt_err_set(err, "no display for a live gnuplot window (DISPLAY and"
                   " WAYLAND_DISPLAY are unset)");
        return NULL;
    }
    const char *wt = window_terminal();
    if (!wt[0]) {
        tt_err_set(err, "this gnuplot has no window terminal (qt, wxt or x11):"
                   " install gnuplot-qt for a live window");
        return NULL;
    }
    tt_plot_live *p = calloc(1, sizeof *p);
    if (!p) {
        tt_err_set(err, "out of memory");
        return NULL;
    }
    /* gnuplot's own messages would land on the dashboard's screen */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &p->old_pipe);
    p->gp = popen("exec gnuplot >/dev/null 2>&1", "w");
    if (!p->gp) {
        sigaction(SIGPIPE, &p->old_pipe, NULL);
        tt_err_set(err, "cannot start gnuplot: %s", strerror(errno));
        free(p);
        return NULL;
    }
    fprintf(p->gp, "set terminal %s noraise\n", wt);
    fflush(p->gp);
    return p;
}

int tt_plot_live_update(tt_plot_live *p, const tt_plot_req *r)
{
    tt_err err;
    if (!p || !p->gp)
        return -1;
    fputs("reset\n", p->gp);
    if (write_body(p->gp, r, 0, &err) != 0)
        return 0;   /* nothing to draw yet is not a broken window */
    return fflush(p->gp) == 0 && !ferror(p->gp) ? 0 : -1;
}

void tt_plot_live_close(tt_plot_live *p)
{
    if (!p)
        return;
    if (p->gp) {
        fputs("exit\n", p->gp);
        pclose(p->gp);
    }
    sigaction(SIGPIPE, &p->old_pipe, NULL);
    free(p);
}

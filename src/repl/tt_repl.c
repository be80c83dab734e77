/* tt_repl: the one input loop (after the SQLite shell's process_input):
 * prompt, scripts, -c and `source` all go through tt_repl_line, which
 * carries the position used in error messages. */
#include "config.h"
#include "tt_repl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "tt_cmd.h"
#include "tt_file.h"
#include "tt_lex.h"
#include "tt_term.h"
#include "tt_dist.h"

static tt_session *g_s;
static volatile sig_atomic_t g_int, g_at_prompt, g_busy_int;

static const char *lookup(void *ud, const char *name)
{
    return tt_session_var(ud, name);
}

/* In an MPI job the ranks run the same commands and must stay together:
 * after each command they agree whether any of them failed and whether
 * any was interrupted. When some rank failed, every rank fails with the
 * lowest failing rank's message ("rank 1: cannot open ..."; rank 0 prints
 * it), and when not every rank failed the script stops even under
 * --keep-going (the ranks no longer hold the same state). A rank's own
 * status (1: failed and already reported) is kept. */
static int dist_agree(tt_session *s, int r)
{
    int failed = r != 0;
    int all = tt_dist_max_int(!failed) == 0;
    if (tt_dist_max_int(g_int))
        g_int = 1;
    if (tt_session_dist_failure(s, failed) < 0)
        return r;
    if (!all)
        s->quit = 1;
    return failed ? r : -1;
}

static int run_tokens(tt_session *s, const char *seg, size_t n, int col)
{
    tt_toks tk = {0, 0, NULL};
    int ec = 0, r;
    char *raw = strndup(seg, n);
    if (!raw)
        return tt_fail(s, 0, "out of memory");
    /* Variables first ($NAME, ${NAME:-default}); quotes keep their meaning. */
    char *text = tt_lex_expand(raw, 1, lookup, s, &s->err);
    free(raw);
    if (!text) {
        s->err_col = 0;
        return -1;
    }
    if (tt_lex(text, col, &tk, &s->err, &ec)) {
        s->err_col = ec;
        r = -1;
    } else {
        r = tk.n ? tt_cmd_run(s, tk.v, tk.n) : 0;
    }
    tt_toks_free(&tk);
    free(text);
    return r;
}

int tt_repl_line(tt_session *s, const char *line, int col0)
{
    int rc = 0;
    const char *p = line;
    s->err_col = 0;
    s->run_file = tt_repl_file;     /* `source` comes back here */
    while (*p && !s->quit) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        if (!*p || *p == '#')
            break;
        int text, open;
        const char *e = tt_lex_command_end(p, &text, &open), *t = p + text;
        int r;
        if (text) {
            /* one separator after the command word goes; further leading
             * blanks are the text's own (indented formulas and lists) */
            if (*t == ' ' || *t == '\t')
                t++;
            char *rt = strndup(t, (size_t)(e - t));
            /* Free text is expanded whatever its apostrophes, unless it is
             * all in single quotes ('costs $5'). */
            size_t rl = rt ? strlen(rt) : 0;
            while (rl && (rt[rl - 1] == ' ' || rt[rl - 1] == '\t'))
                rl--;
            int literal = rl >= 2 && rt[0] == '\'' && rt[rl - 1] == '\'' &&
                          !memchr(rt + 1, '\'', rl - 2);
            s->raw_text = !rt ? NULL : literal ? tt_strdup(rt) : tt_lex_expand(rt, 0, lookup, s, &s->err);
            if (!rt)
                r = tt_fail(s, 0, "out of memory");
            else if (!s->raw_text)
                r = -1, s->err_col = 0;
            else
                r = run_tokens(s, p, (size_t)text, (int)(p - line) + col0);
            free(rt);
            free((char *)s->raw_text);
            s->raw_text = NULL;
        } else {
            r = run_tokens(s, p, (size_t)(e - p), (int)(p - line) + col0);
        }
        if (r == 0 && tt_session_check_output(s))
            r = -1;
        if (tt_dist_size() > 1)
            r = dist_agree(s, r);
        if (r == -1)
            tt_session_report(s);
        if (r != 0) {
            rc = -1;
            if (!s->keep_going)
                break;
        }
        if (g_int && !s->interactive) {
            /* Ctrl-C in a script stopped a training run: leave. */
            s->interrupted = 1;
            s->quit = 1;
        }
        p = e;
    }
    return rc;
}

/* ---- logical lines: the continuation rules, once for the prompt and scripts ---- */

/* A logical line being put together from physical lines. */
typedef struct logical {
    char *s;        /* the text so far, NUL-terminated */
    size_t len;
} logical;

/* Add one physical line (n bytes, its line end taken off). Returns 1 when
 * l->s is a whole command line, 0 when it continues on the next physical
 * line, -1 when out of memory. The rule: an unfinished line (a trailing '\'
 * or an open quote, tt_lex_incomplete) continues; the trailing '\' and the
 * blanks before it become one blank, while inside quotes the newline
 * stays part of the text. */
static int logical_add(logical *l, const char *ln, size_t n)
{
    char *na = realloc(l->s, l->len + n + 2);
    if (!na)
        return -1;
    l->s = na;
    memcpy(l->s + l->len, ln, n);
    l->len += n;
    l->s[l->len] = 0;
    if (!tt_lex_incomplete(l->s))
        return 1;
    size_t e = l->len;
    while (e && (l->s[e - 1] == ' ' || l->s[e - 1] == '\t'))
        e--;
    if (e && l->s[e - 1] == '\\') {
        e--;
        while (e && (l->s[e - 1] == ' ' || l->s[e - 1] == '\t'))
            e--;
        l->s[e] = ' ';
        l->len = e + 1;
    } else {
        l->s[l->len++] = '\n';
    }
    l->s[l->len] = 0;
    return 0;
}

enum { PHYS_EOF = -1, PHYS_NUL = -2, PHYS_OOM = -3 };

/* Double a line buffer (256 bytes at first). */
static int grow(char **buf, size_t *cap)
{
    size_t nc = *cap ? *cap * 2 : 256;
    char *nb = realloc(*buf, nc);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = nc;
    return 0;
}

/* One physical line of a script into *buf (*cap bytes, grown as needed),
 * without its end. "\n", "\r\n" and a lone "\r" (old Mac files, or a
 * mixture) all end a line, so that line numbers match what an editor shows.
 * Returns the length, PHYS_EOF at the end of input, PHYS_NUL when the line
 * holds a NUL byte (*col: its column; the rest of the line is skipped: a
 * command cut at the NUL would run as something else), PHYS_OOM. */
static ssize_t physical_line(FILE *f, char **buf, size_t *cap, int *col)
{
    size_t n = 0;
    int c, nul = 0;
    while ((c = getc(f)) != EOF) {
        if (c == '\n')
            break;
        if (c == '\r') {
            int d = getc(f);
            if (d != '\n' && d != EOF)
                ungetc(d, f);
            break;
        }
        if (c == 0 && !nul)
            nul = (int)n + 1;
        if (n + 1 >= *cap && grow(buf, cap))
            return PHYS_OOM;
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return PHYS_EOF;
    if (nul) {
        *col = nul;
        return PHYS_NUL;
    }
    if (!*cap && grow(buf, cap))
        return PHYS_OOM;
    (*buf)[n] = 0;
    return (ssize_t)n;
}

/* Read one logical line of a script into *out (free it). Returns 1, 0 at the
 * end of input, PHYS_NUL (line *lineno, column *col) or PHYS_OOM. */
static int read_logical(FILE *f, int *lineno, char **out, int *col)
{
    logical l = {NULL, 0};
    char *ln = NULL;
    size_t cap = 0;
    ssize_t r;
    int done = 0;
    while (!done && (r = physical_line(f, &ln, &cap, col)) >= 0) {
        (*lineno)++;
        done = logical_add(&l, ln, (size_t)r);
        if (done < 0)
            r = PHYS_OOM;
        if (done < 0)
            break;
    }
    free(ln);
    if (r == PHYS_NUL) {
        (*lineno)++;
        free(l.s);
        return PHYS_NUL;
    }
    if (r == PHYS_OOM) {
        free(l.s);
        return PHYS_OOM;
    }
    *out = l.s;
    return l.s != NULL;
}

int tt_repl_stream(tt_session *s, FILE *f, const char *name)
{
    const char *ofile = s->file;
    int oline = s->line, ointer = s->interactive, rc = 0, lineno = 0;
    s->file = name;
    s->interactive = 0;
    char *line = NULL;
    while (!s->quit) {
        int start = lineno + 1, col = 0;
        int got = read_logical(f, &lineno, &line, &col);
        if (got == 0)
            break;
        if (got < 0) {
            s->line = lineno;
            s->err_col = got == PHYS_NUL ? col : 0;
            if (got == PHYS_NUL)
                tt_err_set(&s->err, "found a NUL byte: a script is text (is this a binary file?)");
            else
                tt_err_set(&s->err, "out of memory reading the script");
            tt_session_report(s);
            rc = -1;
            if (!s->keep_going || got == PHYS_OOM) {
                s->quit = s->depth > 0 ? s->quit : 1;
                break;
            }
            continue;
        }
        s->line = start;
        if (lineno > start && tt_lex_incomplete(line)) {
            /* The file ended inside a quote opened lines ago: running what
             * was read would swallow the rest of the script into one
             * command. (On its last line alone, the command's own parser
             * reports the quote, with its column.) */
            tt_fail(s, 0, "a quote opened on this line is never closed (or a '\\' continues "
                          "it past the end of the file)");
            tt_session_report(s);
            free(line);
            rc = -1;
            if (!s->keep_going)
                s->quit = s->depth > 0 ? s->quit : 1;
            break;
        }
        if (tt_repl_line(s, line, 1)) {
            rc = -1;
            if (!s->keep_going)
                s->quit = s->depth > 0 ? s->quit : 1;
        }
        free(line);
        line = NULL;
        if (rc && !s->keep_going)
            break;
    }
    if (ferror(f) && !s->quit) {
        /* A read error is not the end of the script. */
        s->line = 0;
        s->err_col = 0;
        tt_err_set(&s->err, "cannot read %s: %s", name, strerror(errno));
        tt_session_report(s);
        rc = -1;
    }
    s->file = ofile;
    s->line = oline;
    s->interactive = ointer;
    return rc;
}

int tt_repl_file(tt_session *s, const char *path)
{
    FILE *f = strcmp(path, "-") ? tt_file_open_read(path, &s->err) : stdin;
    if (tt_dist_size() > 1 && tt_session_dist_failure(s, !f) >= 0 && f) {
        /* another rank cannot read it: nobody runs it */
        if (f != stdin)
            fclose(f);
        f = NULL;
    }
    if (!f) {
        s->err_col = 0;
        tt_session_report(s);
        return -1;
    }
    s->depth++;
    int quit = s->quit;
    int rc = tt_repl_stream(s, f, strcmp(path, "-") ? path : "<stdin>");
    s->depth--;
    /* A failing sourced file stops the outer script the same way (unless
     * keep_going), but at the prompt only the command fails. */
    if (s->depth > 0 || s->interactive)
        s->quit = quit || (s->quit && !rc);
    if (f != stdin)
        fclose(f);
    return rc;
}

int tt_repl_string(tt_session *s, const char *text)
{
    const char *ofile = s->file;
    int oline = s->line, rc = 0;
    s->file = "<command line>";
    s->line = 1;
    /* Lines of -c text are numbered like a script when there are several. */
    if (strchr(text, '\n')) {
        FILE *f = fmemopen((void *)text, strlen(text), "r");
        if (f) {
            rc = tt_repl_stream(s, f, "<command line>");
            fclose(f);
        }
    } else {
        rc = tt_repl_line(s, text, 1);
    }
    s->file = ofile;
    s->line = oline;
    return rc;
}

/* ---- the prompt ---- */

static char **g_matches;
static int g_match_i;

static char *gen(const char *text, int state)
{
    (void)text;
    if (state == 0)
        g_match_i = 0;
    if (!g_matches || !g_matches[g_match_i])
        return NULL;
    return strdup(g_matches[g_match_i++]);
}

static char **attempt(const char *text, int start, int end)
{
    (void)end;
    char *before = strndup(rl_line_buffer, (size_t)start);
    int files = 0;
    if (!before)
        return NULL;
    tt_complete_free(g_matches);
    g_matches = tt_complete(g_s, before, text, &files);
    free(before);
    if (files) {
        rl_attempted_completion_over = 0;      /* readline completes file names */
        return NULL;
    }
    rl_attempted_completion_over = 1;
    if (!g_matches || !g_matches[0])
        return NULL;
    if (!g_matches[1]) {
        size_t l = strlen(g_matches[0]);
        rl_completion_append_character = l && g_matches[0][l - 1] == '=' ? '\0' : ' ';
    }
    return rl_completion_matches(text, gen);
}

static void history_path(char *buf, size_t n)
{
    const char *h = getenv("TTLAB_HISTORY"), *home = getenv("HOME");
    if (h)
        snprintf(buf, n, "%s", h);
    else if (home)
        snprintf(buf, n, "%s/.ttlab_history", home);
    else
        buf[0] = 0;
}

static volatile sig_atomic_t g_prompt_int;

/* readline's input: a plain read() that SIGINT interrupts (the handler is
 * installed without SA_RESTART). A Ctrl-C at the prompt clears the line and
 * shows a fresh prompt here, in normal context, where readline may be
 * called. */
static int prompt_getc(FILE *f)
{
    unsigned char c;
    for (;;) {
        ssize_t r = read(fileno(f), &c, 1);
        if (r == 1)
            return c;
        if (r == 0)
            return EOF;
        if (errno != EINTR)
            return EOF;
        if (g_prompt_int) {
            g_prompt_int = 0;
            fputc('\n', stdout);
            fflush(stdout);
            rl_on_new_line();
            rl_replace_line("", 0);
            rl_redisplay();
        }
    }
}

int tt_repl_interactive(tt_session *s)
{
    char hist[1024];
    int rc = 0;
    g_s = s;
    rl_readline_name = "ttlab";
    rl_attempted_completion_function = attempt;
    rl_basic_word_break_characters = " \t\n\"';|()";
    rl_catch_signals = 0;                 /* our SIGINT handler clears the line */
    rl_getc_function = prompt_getc;
    history_path(hist, sizeof hist);
    using_history();
    stifle_history(2000);
    if (hist[0]) {
        /* readline would block on a FIFO there, and replace a link or a
         * device: the file is checked and written like every other. */
        tt_err herr;
        FILE *hf = tt_file_open_read(hist, &herr);
        if (hf) {
            fclose(hf);
            read_history(hist);
        } else if (access(hist, F_OK) == 0) {
            fprintf(stderr, "ttlab: history not kept: %s\n", herr.msg);
            hist[0] = 0;
        }
    }
    fprintf(stderr, "ttlab %s: type 'help' for commands, 'quit' or Ctrl-D to leave.\n",
            PACKAGE_VERSION);
    s->interactive = 1;
    s->file = NULL;
    s->prompt_width = 7;
    while (!s->quit) {
        g_at_prompt = 1;
        char *line = readline("ttlab> ");
        g_at_prompt = 0;
        g_int = 0;
        if (!line) {
            fputc('\n', stderr);
            break;
        }
        /* A line may continue (trailing '\' or an open quote): the same
         * rule as in scripts. */
        logical l = {NULL, 0};
        int more = logical_add(&l, line, strlen(line));
        free(line);
        while (more == 0) {
            g_at_prompt = 1;
            char *next = readline("   ...> ");
            g_at_prompt = 0;
            if (!next)
                break;
            more = logical_add(&l, next, strlen(next));
            free(next);
        }
        line = l.s;
        if (!line)
            continue;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p) {
            add_history(line);
            s->cur_text = line;
            s->line = 0;
            if (tt_repl_line(s, line, 1))
                rc = -1;
            s->cur_text = NULL;
        }
        free(line);
    }
    if (hist[0]) {
        tt_wfile w;
        tt_err herr;
        if (tt_file_begin(&w, hist, &herr) == 0) {
            fclose(w.f);
            w.f = NULL;
            if (write_history(w.tmp) != 0)
                tt_file_abort(&w);
            else if (tt_file_commit(&w, &herr) != 0)
                fprintf(stderr, "ttlab: history not saved: %s\n", herr.msg);
        } else {
            fprintf(stderr, "ttlab: history not saved: %s\n", herr.msg);
        }
    }
    tt_complete_free(g_matches);
    g_matches = NULL;
    rl_clear_history();
    return rc;
}

/* ---- signals ---- */

/* Leaving from a signal handler: the terminal's settings as saved when
 * ttlab started (base/tt_term; curses and readline may have changed them),
 * with async-signal-safe calls only. */
static void restore_tty_async(void)
{
    if (!tt_term_saved())
        return;
    tt_term_restore();
    /* Training on a terminal: the dashboard's alternate screen may be up. */
    if (g_s && g_s->training && g_s->tty)
        tt_term_leave_screen();
}

static volatile sig_atomic_t g_mpi_job;   /* more than one rank */

static void on_sigint(int sig)
{
    (void)sig;
    g_int = 1;
    if (g_s && g_s->training) {
        if (g_s->stop) {
            /* Second Ctrl-C: leave now, with the terminal restored. */
            restore_tty_async();
            _exit(130);
        }
        g_s->stop = 1;
        return;
    }
    if (g_at_prompt) {
        /* Only note it: readline is not async-signal-safe. read() in
         * prompt_getc returns EINTR (no SA_RESTART) and clears the line
         * there, outside the handler. */
        g_prompt_int = 1;
        return;
    }
    if (g_s && g_s->interactive && !g_busy_int) {
        g_busy_int = 1;            /* busy at the prompt: a second one quits */
        return;
    }
    restore_tty_async();
    _exit(130);
}

/* SIGTERM and SIGHUP: the terminal back as it was, then the usual status.
 * In an MPI job SIGTERM during training is how mpirun passes on a Ctrl-C
 * typed at it (SIGCONT, then SIGTERM odls_base_sigkill_timeout seconds
 * later, then SIGKILL as long again): the same request as Ctrl-C, so that
 * the ranks stop together at a batch boundary and end with 130 if they can
 * within that time (mpirun itself still exits 1: man ttlab, MPI). */
static void on_term(int sig)
{
    if (sig == SIGTERM && g_mpi_job && g_s && g_s->training && !g_s->stop) {
        on_sigint(SIGINT);
        return;
    }
    restore_tty_async();
    _exit(128 + sig);
}

void tt_repl_signals(tt_session *s)
{
    struct sigaction sa;
    g_s = s;
    tt_term_save();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    /* In an MPI job mpirun ends the job on Ctrl-C itself (Open MPI cannot
     * forward SIGINT) but forwards SIGUSR1 to every rank: there it is the
     * same request as Ctrl-C (kill -USR1 MPIRUN_PID). */
    g_mpi_job = tt_dist_size() > 1;
    if (g_mpi_job)
        sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int tt_repl_interrupted(void)
{
    int v = g_int;
    g_int = 0;
    g_busy_int = 0;
    return v;
}

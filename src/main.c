/* ttlab: the thin binary. Parses the invocation, then hands everything to
 * the session and its input loop (libttlab). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tt_blas.h"
#include "tt_cmd.h"
#include "tt_dist.h"
#include "tt_file.h"
#include "tt_lex.h"
#include "tt_repl.h"
#include "tt_session.h"
#include "tt_tui.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ttlab [--json] [--keep-going] [--quiet] [FILE.tt ...]\n"
            "       ttlab [flags] -c 'command; command ...'\n"
            "       ttlab [flags] < FILE.tt\n"
            "       ttlab --version | --help\n"
            "\n"
            "Without FILE or -c on a terminal, ttlab starts a prompt (type 'help').\n"
            "  -c TEXT        run the commands of TEXT ('-' as FILE reads stdin)\n"
            "  -D NAME=VALUE  define a variable ($NAME in commands; see 'help let')\n"
            "  --json         results as JSON lines on stdout (set output json)\n"
            "  --keep-going   do not stop a script at its first error\n"
            "  --quiet        no informational lines, only results and errors\n"
            "  --version      print the version and exit\n"
            "  --help         print this help and exit\n"
            "Exit status: 0 when every command succeeded, 1 when one failed,\n"
            "2 for a bad invocation, 130 when interrupted. See ttlab(1).\n");
}

static int bad_flag(const char *arg)
{
    static const char *flags[] = {"--json", "--keep-going", "--quiet", "--version", "--help", "-c", "-D"};
    const char *sug = tt_suggest(arg, flags, (int)TT_ARRAY_LEN(flags));
    if (sug)
        fprintf(stderr, "ttlab: unknown option '%s': did you mean '%s'?\n", arg, sug);
    else
        fprintf(stderr, "ttlab: unknown option '%s'\n", arg);
    fprintf(stderr, "Try 'ttlab --help'.\n");
    return 2;
}

static void restore_terminal(void)
{
    tt_tui_emergency_restore();
}

/* What the command line asks for. */
typedef struct invocation {
    const char *cmd;          /* -c TEXT */
    char **files;             /* (nfiles) scripts, "-" for stdin */
    int nfiles;
    char **defs;              /* (ndefs) -D NAME=VALUE */
    int ndefs;
    int json, keep, quiet;
} invocation;

/* Parse argv into inv. Returns -1 to go on, or the exit status (0 after
 * --version and --help, 2 for a bad invocation). */
static int parse_args(int argc, char **argv, invocation *inv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            inv->json = 1;
        } else if (!strcmp(a, "--keep-going")) {
            inv->keep = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            inv->quiet = 1;
        } else if (!strcmp(a, "--version")) {
            printf("ttlab %s (%s)\n", PACKAGE_VERSION, tt_blas_info());
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-c")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ttlab: -c needs the commands to run: ttlab -c 'help'\n");
                return 2;
            }
            if (inv->cmd) {
                fprintf(stderr, "ttlab: -c given twice (separate commands with ';')\n");
                return 2;
            }
            inv->cmd = argv[++i];
        } else if (!strcmp(a, "-D")) {
            if (i + 1 >= argc || !strchr(argv[i + 1], '=') || argv[i + 1][0] == '=') {
                fprintf(stderr, "ttlab: -D needs NAME=VALUE: ttlab -D EPOCHS=2 FILE.tt\n");
                return 2;
            }
            inv->defs[inv->ndefs++] = argv[++i];
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                inv->files[inv->nfiles++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            return bad_flag(a);
        } else {
            inv->files[inv->nfiles++] = argv[i];
        }
    }
    /* Files are checked before anything runs: a typo in a name is a bad
     * invocation, not a half-run experiment. */
    for (int i = 0; i < inv->nfiles; i++) {
        tt_err err;
        FILE *f = strcmp(inv->files[i], "-") ? tt_file_open_read(inv->files[i], &err) : stdin;
        if (!f || tt_file_check_stream(f, "standard input", &err)) {
            fprintf(stderr, "ttlab: %s\n", err.msg);
            return 2;
        }
        if (f != stdin)
            fclose(f);
    }
    if (!inv->cmd && inv->nfiles == 0) {
        tt_err err;
        if (tt_file_check_stream(stdin, "standard input", &err)) {
            fprintf(stderr, "ttlab: %s\n", err.msg);
            return 2;
        }
    }
    return -1;
}

/* Run what inv asks for in session s; returns the exit status. */
static int run(tt_session *s, const invocation *inv)
{
    int rc = 0;
    for (int i = 0; i < inv->ndefs; i++) {
        char name[TT_NAME_MAX];
        const char *eq = strchr(inv->defs[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - inv->defs[i]), inv->defs[i]);
        if (tt_session_set_var(s, name, eq + 1))
            return 2;
    }
    if (inv->cmd && tt_repl_string(s, inv->cmd))
        rc = 1;
    for (int i = 0; i < inv->nfiles && !s->quit; i++) {
        if (tt_repl_file(s, inv->files[i]))
            rc = 1;
        if (rc && !inv->keep)
            break;
    }
    if (!inv->cmd && inv->nfiles == 0) {
        if (s->tty)
            tt_repl_interactive(s);
        else
            tt_repl_stream(s, stdin, "<stdin>");
    }
    /* Output written outside a command (or not flushed yet) counts too. */
    if (tt_session_check_output(s)) {
        fprintf(stderr, "ttlab: %s\n", s->err.msg);
        rc = 1;
    }
    if (s->n_errors)
        rc = 1;
    if (s->out_failed == 2)
        rc = 128 + SIGPIPE;     /* as if SIGPIPE had ended it, but quietly */
    if (s->interrupted)
        rc = 130;
    return rc;
}

/* In an MPI job (mpirun -np N ttlab SCRIPT) every rank runs the same
 * commands; only rank 0 prints (the others' standard output and error go to
 * /dev/null; an error on one of them reaches rank 0's output through the
 * input loop, naming the rank) and only rank 0 writes files (tt_file). */
static int dist_start(int *argc, char ***argv)
{
    tt_err err;
    if (tt_dist_init(argc, argv, &err)) {
        fprintf(stderr, "ttlab: %s\n", err.msg);
        return 1;
    }
    if (tt_dist_rank() > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    tt_session s;
    invocation inv;
    if (dist_start(&argc, &argv))
        return 1;
    atexit(tt_dist_finalize);
    memset(&inv, 0, sizeof inv);
    inv.files = calloc((size_t)argc + 1, sizeof *inv.files);
    inv.defs = calloc((size_t)argc + 1, sizeof *inv.defs);
    int rc = inv.files && inv.defs ? parse_args(argc, argv, &inv) : 2;
    if (rc < 0 && tt_dist_size() > 1 && !inv.cmd && inv.nfiles == 0) {
        /* mpirun gives standard input to rank 0 only */
        fprintf(stderr, "ttlab: under mpirun give the commands as a FILE or with -c "
                        "(standard input reaches rank 0 only)\n");
        rc = 2;
    }
    if (rc < 0) {
        tt_session_init(&s);
        s.keep_going = inv.keep;
        s.out.quiet = inv.quiet;
        if (inv.json)
            s.out.mode = TT_OUT_JSON;
        s.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && tt_dist_size() == 1;
        atexit(restore_terminal);
        tt_repl_signals(&s);
        rc = run(&s, &inv);
        tt_session_free(&s);
    }
    free(inv.files);
    free(inv.defs);
    return rc;
}

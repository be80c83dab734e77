/* ttlab: the thin binary. Parses the invocation, then hands everything to
 * the session and its input loop (libttlab). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tt_blas.h"
#include "tt_cmd.h"
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

int main(int argc, char **argv)
{
    tt_session s;
    const char *cmd = NULL;
    int nfiles = 0, json = 0, keep = 0, quiet = 0, rc = 0;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    char **defs = calloc((size_t)argc + 1, sizeof *defs);
    int ndefs = 0;
    if (!files || !defs) {
        free(files);
        free(defs);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--keep-going"))
            keep = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            quiet = 1;
        else if (!strcmp(a, "--version")) {
            printf("ttlab %s (%s)\n", PACKAGE_VERSION, tt_blas_info());
            free(files);
            free(defs);
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(files);
            free(defs);
            return 0;
        } else if (!strcmp(a, "-c")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ttlab: -c needs the commands to run: ttlab -c 'help'\n");
                free(files);
                free(defs);
                return 2;
            }
            if (cmd) {
                fprintf(stderr, "ttlab: -c given twice (separate commands with ';')\n");
                free(files);
                free(defs);
                return 2;
            }
            cmd = argv[++i];
        } else if (!strcmp(a, "-D")) {
            if (i + 1 >= argc || !strchr(argv[i + 1], '=') || argv[i + 1][0] == '=') {
                fprintf(stderr, "ttlab: -D needs NAME=VALUE: ttlab -D EPOCHS=2 FILE.tt\n");
                free(files);
                free(defs);
                return 2;
            }
            defs[ndefs++] = argv[++i];
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                files[nfiles++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            free(files);
            free(defs);
            return bad_flag(a);
        } else {
            files[nfiles++] = argv[i];
        }
    }
    /* Files are checked before anything runs: a typo in a name is a bad
     * invocation, not a half-run experiment. */
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i], "-") && access(files[i], R_OK) != 0) {
            fprintf(stderr, "ttlab: cannot read '%s': %s\n", files[i], strerror(errno));
            free(files);
            free(defs);
            return 2;
        }

    tt_session_init(&s);
    s.keep_going = keep;
    s.out.quiet = quiet;
    if (json)
        s.out.mode = TT_OUT_JSON;
    s.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    for (int i = 0; i < ndefs; i++) {
        char name[TT_NAME_MAX];
        const char *eq = strchr(defs[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - defs[i]), defs[i]);
        if (tt_session_set_var(&s, name, eq + 1)) {
            tt_session_free(&s);
            free(files);
            free(defs);
            return 2;
        }
    }
    atexit(restore_terminal);
    tt_repl_signals(&s);

    if (cmd && tt_repl_string(&s, cmd))
        rc = 1;
    for (int i = 0; i < nfiles && !s.quit; i++) {
        if (tt_repl_file(&s, files[i]))
            rc = 1;
        if (rc && !keep)
            break;
    }
    if (!cmd && nfiles == 0) {
        if (s.tty)
            tt_repl_interactive(&s);
        else
            tt_repl_stream(&s, stdin, "<stdin>");
    }
    if (s.n_errors)
        rc = 1;
    if (s.interrupted)
        rc = 130;
    tt_session_free(&s);
    free(files);
    free(defs);
    return rc;
}

/* tt_repl: the one input loop. It serves the prompt (readline, history in
 * ~/.ttlab_history, completion), scripts given as files or on stdin,
 * `-c` strings and `source`, and carries file:line for error messages. */
#ifndef TT_REPL_H
#define TT_REPL_H

#include <stdio.h>
#include "tt_session.h"

/* Run every command of one line (commands separated by ';'). col0 is the
 * column of line[0] in the user's text. Returns 0 when every command
 * succeeded, else -1 (errors already reported). Stops at the first failing
 * command unless keep_going. */
int tt_repl_line(tt_session *s, const char *line, int col0);

/* Run a stream as a script named name ("FILE", "<stdin>"). Lines ending in
 * '\' or inside quotes continue on the next line. Stops at the first error
 * unless s->keep_going. Returns 0 or -1. */
int tt_repl_stream(tt_session *s, FILE *f, const char *name);
/* Open and run a file (also `source`, which nests up to TT_SOURCE_DEPTH). */
int tt_repl_file(tt_session *s, const char *path);
/* Run the text of -c (name "<command line>"). */
int tt_repl_string(tt_session *s, const char *text);
/* The interactive prompt on a terminal: readline, history, completion,
 * Ctrl-C clears the line. Returns when the user quits or at end of input. */
int tt_repl_interactive(tt_session *s);

/* Signal handling: Ctrl-C sets s->stop during training (twice: exit 130),
 * exits 130 in scripts, clears the line at the prompt. SIGTERM and SIGHUP
 * restore the terminal and exit with 128 + the signal. */
void tt_repl_signals(tt_session *s);
/* 1 when a Ctrl-C arrived since the last call (and clears the mark). */
int tt_repl_interrupted(void);

#endif

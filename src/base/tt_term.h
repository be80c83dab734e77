/* tt_term: the one owner of the terminal's saved state (as linenoise owns
 * it): the saved settings, their restore from any path (signal handlers
 * included), the escape sequence that leaves a full-screen display, and the
 * terminal's size. The prompt (repl/tt_repl.c), the dashboard (ui/tt_tui.c),
 * plots and tables (lang/tt_output.c) use it; nothing else keeps a termios
 * or asks the terminal its size. Does no I/O until asked. */
#ifndef TT_TERM_H
#define TT_TERM_H

/* Remember the terminal's current settings when stdin is a terminal (a later
 * call replaces them). Returns 1 when saved. Not for signal handlers. */
int tt_term_save(void);

/* Whether settings are saved (async-signal-safe). */
int tt_term_saved(void);

/* Put the saved settings back on stdin, if any (async-signal-safe: one
 * tcsetattr). */
void tt_term_restore(void);

/* Leave the alternate screen, show the cursor, reset colours and start a new
 * line on stdout (async-signal-safe: one write). */
void tt_term_leave_screen(void);

/* The size of the terminal on fd: 1 with *rows and *cols set (both > 0)
 * when fd is a terminal that knows its size, else 0 and both left alone. */
int tt_term_size(int fd, int *rows, int *cols);

#endif

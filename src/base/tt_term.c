/* tt_term: the saved terminal settings and their async-signal-safe restore,
 * and the terminal's size. */
#include "tt_term.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios g_tio;
static volatile sig_atomic_t g_saved;

int tt_term_save(void)
{
    struct termios t;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t) != 0)
        return 0;
    g_saved = 0;                /* a handler running now sees no half-copied state */
    g_tio = t;
    g_saved = 1;
    return 1;
}

int tt_term_saved(void)
{
    return g_saved != 0;
}

void tt_term_restore(void)
{
    if (g_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &g_tio);
}

void tt_term_leave_screen(void)
{
    static const char seq[] = "\033[?1049l\033[?25h\033[0m\r\n";
    if (write(STDOUT_FILENO, seq, sizeof seq - 1) < 0) {
        /* nothing more can be done from a handler */
    }
}

int tt_term_size(int fd, int *rows, int *cols)
{
    struct winsize ws;
    if (fd < 0 || !isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 ||
        ws.ws_col == 0)
        return 0;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 1;
}

/* screen_words: compare a captured dashboard screen (tmux capture-pane -p)
 * with the words the dashboard meant to draw (its TT_TUI_WORDLOG of the same
 * frame, see src/ui/tt_tui_draw.c), for tests/tty/tui_fit.sh.
 *   screen_words SCREEN LOG
 * The drawings the log names (G: curves, bars, sparklines) are blanked on the
 * screen; what is left is text. Then every word on the screen must be a whole
 * word of some text or field the dashboard meant to draw (a word cut by the
 * screen's edge or a panel's width is not), and every field the dashboard
 * considered (F) is on the screen whole or not at all: a field whose first
 * two words are shown must show all of its words. Exit 0 when so; else each
 * fault on stdout and exit 1 (2: unreadable input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 200
#define COLS 400
#define MAXW 8192

/* screen cells: one UTF-8 character each (every character one column);
 * graphic: the last thing drawn there was a drawing */
static char cell[ROWS][COLS][5];
static unsigned char graphic[ROWS][COLS];
static int ncols[ROWS], nrows;

static char *words[MAXW];
static int nwords;
static char *fields[MAXW];
static int nfields;

static void add_word(const char *w, size_t n)
{
    for (int i = 0; i < nwords; i++)
        if (strlen(words[i]) == n && !memcmp(words[i], w, n))
            return;
    if (nwords == MAXW)
        return;
    char *c = malloc(n + 1);
    if (!c)
        exit(2);
    memcpy(c, w, n);
    c[n] = 0;
    words[nwords++] = c;
}

static void add_words(const char *s)
{
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if (s > w)
            add_word(w, (size_t)(s - w));
    }
}

static int is_word(const char *w)
{
    for (int i = 0; i < nwords; i++)
        if (!strcmp(words[i], w))
            return 1;
    return 0;
}

static int read_screen(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    if (!f)
        return -1;
    while (nrows < ROWS && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        int c = 0;
        for (const unsigned char *p = (const unsigned char *)line; *p && c < COLS; c++) {
            int len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
            int k = 0;
            for (; k < len && p[k]; k++)
                cell[nrows][c][k] = (char)p[k];
            cell[nrows][c][k] = 0;
            p += k;
        }
        ncols[nrows++] = c;
    }
    fclose(f);
    return 0;
}

static int read_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        int y, x, k, off = 0;
        if (line[0] == 'G' && sscanf(line, "G %d %d %d", &y, &x, &k) == 3) {
            for (int c = x; c < x + k && y >= 0 && y < ROWS && c < COLS; c++)
                if (c >= 0)
                    graphic[y][c] = 1;
        } else if (line[0] == 'T' && sscanf(line, "T %d %d %d %n", &y, &x, &k, &off) == 3 &&
                   off > 0) {
            add_words(line + off);
            for (int c = x; c < x + k && y >= 0 && y < ROWS && c < COLS; c++)
                if (c >= 0)
                    graphic[y][c] = 0;
        } else if (line[0] == 'F' && line[1] == ' ') {
            add_words(line + 2);
            if (nfields < MAXW && (fields[nfields] = strdup(line + 2)) != NULL)
                nfields++;
        }
        n++;
    }
    fclose(f);
    for (int y = 0; y < nrows; y++)   /* drawings have no words: blank them */
        for (int c = 0; c < ncols[y]; c++)
            if (graphic[y][c])
                strcpy(cell[y][c], " ");
    return n;
}

/* The words of row y: their text and first column. */
static int row_tokens(int y, char tok[][256], int *col, int max)
{
    int n = 0, c = 0;
    while (c < ncols[y] && n < max) {
        while (c < ncols[y] && !strcmp(cell[y][c], " "))
            c++;
        if (c >= ncols[y])
            break;
        col[n] = c;
        size_t b = 0;
        while (c < ncols[y] && strcmp(cell[y][c], " ")) {
            size_t l = strlen(cell[y][c]);
            if (b + l < 256) {
                memcpy(tok[n] + b, cell[y][c], l);
                b += l;
            }
            c++;
        }
        tok[n][b] = 0;
        n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    static char tok[COLS][256];
    int col[COLS], bad = 0;
    if (argc != 3) {
        fprintf(stderr, "usage: screen_words SCREEN LOG\n");
        return 2;
    }
    if (read_screen(argv[1]) < 0) {
        printf("cannot read the screen %s\n", argv[1]);
        return 2;
    }
    int n = read_log(argv[2]);
    if (n <= 0) {
        printf("no word log in %s\n", argv[2]);
        return 2;
    }
    int shown = 0;
    for (int y = 0; y < nrows; y++) {
        int nt = row_tokens(y, tok, col, COLS);
        for (int i = 0; i < nt; i++) {
            shown++;
            if (!is_word(tok[i])) {
                printf("row %d col %d: '%s' is not a whole word the dashboard meant to draw\n", y,
                       col[i], tok[i]);
                bad++;
            }
        }
        /* fields: shown whole or not at all */
        for (int f = 0; f < nfields; f++) {
            char fw[64][256];
            int nf = 0;
            for (const char *s = fields[f]; *s && nf < 64;) {
                while (*s == ' ')
                    s++;
                const char *w = s;
                while (*s && *s != ' ')
                    s++;
                if (s > w && (size_t)(s - w) < 256) {
                    memcpy(fw[nf], w, (size_t)(s - w));
                    fw[nf++][s - w] = 0;
                }
            }
            if (nf < 3)
                continue;   /* two words: the word check already sees a cut */
            for (int i = 0; i + 1 < nt; i++) {
                if (strcmp(tok[i], fw[0]) || strcmp(tok[i + 1], fw[1]))
                    continue;
                int k = 2;
                while (k < nf && i + k < nt && !strcmp(tok[i + k], fw[k]))
                    k++;
                if (k < nf) {
                    printf("row %d col %d: the field '%s' shows only its first %d words\n", y,
                           col[i], fields[f], k);
                    bad++;
                }
            }
        }
    }
    if (shown == 0) {
        printf("no words on the screen\n");
        return 1;
    }
    if (bad)
        return 1;
    printf("ok: %d words on the screen, each whole; %d fields whole or left out\n", shown, nfields);
    return 0;
}

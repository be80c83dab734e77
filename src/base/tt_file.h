/* tt_file: every file ttlab writes or reads goes through here, so that the
 * rules about what a path may name are written once.
 *
 * Writes are atomic and respect the target:
 *  - the data goes to a temporary file beside the target (same folder, so
 *    the final rename cannot cross file systems), which replaces the target
 *    only when everything was written, flushed and synced; until then the
 *    old file is intact, and on every failure path the temporary is removed;
 *  - a path that exists and is not a regular file (directory, character or
 *    block device, FIFO, socket) is refused, naming what it is: a rename
 *    would replace the node by a plain file (it once replaced /dev/full);
 *  - a symbolic link is followed (up to 32 links, relative links resolved
 *    from the link's folder): its final target is replaced atomically and
 *    the link stays a link; a dangling link creates its target. The target
 *    is then held to the rule above;
 *  - an existing file keeps its permission bits (and, as root, its owner);
 *    a new one gets 0666 less the umask, as fopen would give it.
 *
 * Reads never block and never take a folder for an empty file: the path is
 * opened with O_NONBLOCK (a FIFO without a writer would block a plain
 * open), then fstat'ed; anything but a regular file is refused with the
 * same message everywhere. */
#ifndef TT_FILE_H
#define TT_FILE_H

#include <stdio.h>
#include <sys/types.h>
#include "tt_util.h"

/* What a file mode names, for messages: "a directory", "a FIFO (named
 * pipe)", "a character device", "a block device", "a socket", "a symbolic
 * link", "a regular file", or "not a regular file". */
const char *tt_file_kind(mode_t mode);

/* An atomic write in progress. Write to f between begin and commit. */
typedef struct tt_wfile {
    FILE *f;                 /* the temporary file, open for writing */
    char tmp[4096 + 16];     /* its name (beside path) */
    char path[4096];         /* what commit replaces: the link's target */
    char name[1024];         /* the name as given, for messages */
    int pending;             /* 1 while tmp exists and is ours to remove */
} tt_wfile;

/* 0 when path may be written by tt_file_begin (it does not exist, or is a
 * regular file, or is a link that ends at one or at nothing); else -1 with
 * "cannot write 'PATH': it is a directory, not a regular file" (or the
 * kind it is). When real is not NULL it receives the path a write would
 * replace (links resolved). */
int tt_file_check_write(const char *path, char *real, size_t nreal, tt_err *err);

/* Start an atomic write of path (the checks above, then the temporary file
 * with the permissions of the file it replaces). -1 with a message
 * ("cannot write 'PATH': reason") and nothing left behind on failure. */
int tt_file_begin(tt_wfile *w, const char *path, tt_err *err);
/* Flush, sync, close and rename into place. On failure the temporary is
 * removed, the old file is untouched, and -1 comes with "cannot write
 * 'PATH': reason". w->f may have been closed by the caller (set to NULL),
 * for a file another program filled under w->tmp (gnuplot's output). */
int tt_file_commit(tt_wfile *w, tt_err *err);
/* Give up: close and remove the temporary. Safe after a failed begin. */
void tt_file_abort(tt_wfile *w);

/* Open path for reading ("rb") without blocking on it: regular files only.
 * NULL with "cannot open 'PATH': reason" or "cannot read 'PATH': it is a
 * FIFO (named pipe), not a regular file" (the kind named). */
FILE *tt_file_open_read(const char *path, tt_err *err);
/* The whole of a regular file into *buf (NUL-terminated, length *len),
 * with the checks of tt_file_open_read; the size is checked against
 * tt_alloc_limit. Free *buf with free(). */
int tt_file_read_all(const char *path, char **buf, size_t *len, tt_err *err);

/* Standard input (or another stream ttlab reads to its end) may be a pipe,
 * a terminal, a device such as /dev/null or a file, but not a directory,
 * which reads as an error or as nothing: -1 with "cannot read NAME: it is
 * a directory, not a regular file". */
int tt_file_check_stream(FILE *f, const char *name, tt_err *err);

#endif

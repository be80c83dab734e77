/* tt_file: atomic writes that respect the target, reads that never block. */
#include "tt_file.h"
#include "tt_dist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TT_FILE_MAX_LINKS 32

const char *tt_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

/* The one message for a path that is not a regular file: "cannot write
 * 'x': it is a FIFO (named pipe), not a regular file". */
static int not_regular(tt_err *err, const char *verb, const char *path, mode_t mode)
{
    return tt_err_set(err, "cannot %s '%s': it is %s, not a regular file", verb, path,
                      tt_file_kind(mode));
}

/* Follow path's symbolic links to the name a write replaces (into out).
 * *st and *exists describe that final name. */
static int resolve(const char *path, char *out, size_t n, struct stat *st, int *exists,
                   tt_err *err)
{
    char link[4096];
    if (strlen(path) + 16 > n)
        return tt_err_set(err, "cannot write '%s': file name too long", path);
    snprintf(out, n, "%s", path);
    for (int hop = 0;; hop++) {
        if (lstat(out, st) != 0) {
            if (errno != ENOENT)
                return tt_err_set(err, "cannot write '%s': %s", path, strerror(errno));
            *exists = 0;      /* a missing folder is reported by mkstemp */
            return 0;
        }
        if (!S_ISLNK(st->st_mode)) {
            *exists = 1;
            return 0;
        }
        if (hop == TT_FILE_MAX_LINKS)
            return tt_err_set(err, "cannot write '%s': %s", path, strerror(ELOOP));
        ssize_t k = readlink(out, link, sizeof link - 1);
        if (k < 0)
            return tt_err_set(err, "cannot write '%s': %s", path, strerror(errno));
        link[k] = 0;
        /* A relative link is read from the link's own folder. */
        const char *slash = link[0] == '/' ? NULL : strrchr(out, '/');
        size_t dir = slash ? (size_t)(slash - out) + 1 : 0;
        if (dir + (size_t)k + 16 > n)
            return tt_err_set(err, "cannot write '%s': file name too long", path);
        memcpy(out + dir, link, (size_t)k + 1);
    }
}

int tt_file_check_write(const char *path, char *real, size_t nreal, tt_err *err)
{
    char buf[4096];
    struct stat st;
    int exists;
    if (!real) {
        real = buf;
        nreal = sizeof buf;
    }
    if (resolve(path, real, nreal, &st, &exists, err))
        return -1;
    if (exists && !S_ISREG(st.st_mode))
        return not_regular(err, "write", path, st.st_mode);
    return 0;
}

int tt_file_begin(tt_wfile *w, const char *path, tt_err *err)
{
    struct stat st;
    int exists;
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", path);
    if (resolve(path, w->path, sizeof w->path, &st, &exists, err))
        return -1;
    if (exists && !S_ISREG(st.st_mode))
        return not_regular(err, "write", path, st.st_mode);
    snprintf(w->tmp, sizeof w->tmp, "%s.tmp.XXXXXX", w->path);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno;
        return tt_err_set(err, "cannot write '%s': %s", path, strerror(e));
    }
    w->pending = 1;
    /* mkstemp makes the file 0600: an existing file keeps its mode (and,
     * where allowed, its owner); a new one gets what fopen would give. */
    if (exists) {
        if (fchmod(fd, st.st_mode & 07777) != 0) {
            /* harmless: the file stays private */
        }
        if (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) != 0) {
            /* harmless: root owns the new file */
        }
    } else {
        mode_t um = umask(0);
        umask(um);
        if (fchmod(fd, 0666 & ~um) != 0) {
            /* harmless: the file stays private */
        }
    }
    w->f = fdopen(fd, "wb");
    if (!w->f) {
        int e = errno;
        close(fd);
        unlink(w->tmp);
        w->pending = 0;
        return tt_err_set(err, "cannot write '%s': %s", path, strerror(e));
    }
    return 0;
}

int tt_file_commit(tt_wfile *w, tt_err *err)
{
    int bad = 0, e = 0;
    if (tt_dist_rank() > 0) {
        /* In an MPI job only rank 0 writes files; the others ran the same
         * code into their own temporary, which goes. */
        tt_file_abort(w);
        return 0;
    }
    if (w->f) {
        /* After a failed fwrite, errno still names its cause. */
        bad = ferror(w->f) || fflush(w->f) != 0 || fsync(fileno(w->f)) != 0;
        e = errno ? errno : EIO;
        if (fclose(w->f) != 0 && !bad) {
            bad = 1;
            e = errno;
        }
        w->f = NULL;
    }
    if (bad) {
        tt_file_abort(w);
        return tt_err_set(err, "cannot write '%s': %s", w->name, strerror(e));
    }
    /* The target is looked at again just before it is replaced: something
     * may have been put there while the data was written. */
    struct stat st;
    if (lstat(w->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        tt_file_abort(w);
        return not_regular(err, "write", w->name, st.st_mode);
    }
    if (rename(w->tmp, w->path) != 0) {
        e = errno;
        tt_file_abort(w);
        return tt_err_set(err, "cannot write '%s': %s", w->name, strerror(e));
    }
    w->pending = 0;
    return 0;
}

void tt_file_abort(tt_wfile *w)
{
    if (w->f)
        fclose(w->f);
    w->f = NULL;
    if (w->pending)
        unlink(w->tmp);
    w->pending = 0;
}

/* A descriptor of path open for reading, or -1 with the message. */
static int open_regular(const char *path, struct stat *st, tt_err *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return tt_err_set(err, "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return tt_err_set(err, "cannot read '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return not_regular(err, "read", path, st->st_mode);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

FILE *tt_file_open_read(const char *path, tt_err *err)
{
    struct stat st;
    int fd = open_regular(path, &st, err);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        tt_err_set(err, "cannot read '%s': %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int tt_file_read_all(const char *path, char **buf, size_t *len, tt_err *err)
{
    struct stat st;
    int fd = open_regular(path, &st, err);
    if (fd < 0)
        return -1;
    char *b = tt_alloc((size_t)st.st_size + 1, 1, path, err);
    if (!b) {
        close(fd);
        return tt_err_prefix(err, "%s", path);
    }
    /* Up to the size fstat gave: a file growing meanwhile is read as it was. */
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, b + n, (size_t)st.st_size - n);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            free(b);
            return tt_err_set(err, "cannot read '%s': %s", path, strerror(e));
        }
        n += (size_t)r;
    }
    close(fd);
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

int tt_file_check_stream(FILE *f, const char *name, tt_err *err)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        return tt_err_set(err, "cannot read %s: it is %s, not a regular file", name,
                          tt_file_kind(st.st_mode));
    return 0;
}

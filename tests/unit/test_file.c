/* test_file: tt_file's contract. Writes refuse a directory, a device, a FIFO
 * and a socket by name and leave the node as it was; a symbolic link is
 * followed (the link stays a link, its target is replaced); an existing
 * file keeps its permissions; no temporary file survives a failure. Reads
 * of a FIFO, a device or a directory return at once with one message.
 * Every node is made in a temporary folder, never a real system device. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "tt_check.h"
#include "tt_file.h"

static char dir[256];

static const char *at(const char *name)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int slurp_is(const char *path, const char *want)
{
    char b[256] = "";
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = 0;
    return strcmp(b, want) == 0;
}

/* Entries of dir whose name holds ".tmp." (left-over temporaries). */
static int temporaries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* A write of path must fail with exactly want, leaving the node's type. */
static void refused(const char *path, const char *want, mode_t type)
{
    tt_wfile w;
    tt_err err;
    struct stat st;
    CHECK(tt_file_begin(&w, path, &err) == -1, "%s was accepted", path);
    CHECK_STR(err.msg, want);
    CHECK(lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type, "%s changed type", path);
    CHECK(temporaries() == 0, "a temporary was left for %s", path);
}

static void read_refused(const char *path, const char *want)
{
    tt_err err;
    char *buf = NULL;
    size_t len;
    double t0 = tt_now();
    FILE *f = tt_file_open_read(path, &err);
    CHECK(f == NULL, "%s opened", path);
    if (f)
        fclose(f);
    CHECK_STR(err.msg, want);
    CHECK(tt_file_read_all(path, &buf, &len, &err) == -1, "%s read", path);
    CHECK_STR(err.msg, want);
    free(buf);
    CHECK(tt_now() - t0 < 1.0, "reading %s took %.1f s", path, tt_now() - t0);
}

static void test_kinds(void)
{
    char want[1024];
    mkdir(at("d"), 0755);
    snprintf(want, sizeof want, "cannot write '%s': it is a directory, not a regular file", at("d"));
    refused(at("d"), want, S_IFDIR);
    CHECK(mkfifo(at("fifo"), 0644) == 0, "mkfifo: %s", strerror(errno));
    snprintf(want, sizeof want, "cannot write '%s': it is a FIFO (named pipe), not a regular file",
             at("fifo"));
    refused(at("fifo"), want, S_IFIFO);
    /* /dev/full's numbers (1, 7), made here: only root can. */
    if (mknod(at("dev"), S_IFCHR | 0666, makedev(1, 7)) == 0) {
        snprintf(want, sizeof want, "cannot write '%s': it is a character device, not a regular file",
                 at("dev"));
        refused(at("dev"), want, S_IFCHR);
        snprintf(want, sizeof want, "cannot read '%s': it is a character device, not a regular file",
                 at("dev"));
        read_refused(at("dev"), want);
    } else {
        fprintf(stderr, "test_file: mknod not permitted, device case skipped\n");
    }
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
    CHECK(sfd >= 0 && bind(sfd, (struct sockaddr *)&sa, sizeof sa) == 0, "socket: %s", strerror(errno));
    snprintf(want, sizeof want, "cannot write '%s': it is a socket, not a regular file", at("sock"));
    refused(at("sock"), want, S_IFSOCK);
    if (sfd >= 0)
        close(sfd);
    /* Reads: a FIFO without a writer returns at once, a folder too. */
    snprintf(want, sizeof want, "cannot read '%s': it is a FIFO (named pipe), not a regular file",
             at("fifo"));
    read_refused(at("fifo"), want);
    snprintf(want, sizeof want, "cannot read '%s': it is a directory, not a regular file", at("d"));
    read_refused(at("d"), want);
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", at("nope"));
    read_refused(at("nope"), want);
}

static void test_writes(void)
{
    tt_wfile w;
    tt_err err;
    struct stat st;
    char *buf;
    size_t len;
    /* new file: the mode fopen would give */
    mode_t um = umask(022);
    CHECK(tt_file_begin(&w, at("new.txt"), &err) == 0, "%s", err.msg);
    fputs("one", w.f);
    CHECK(tt_file_commit(&w, &err) == 0, "%s", err.msg);
    CHECK(stat(at("new.txt"), &st) == 0 && (st.st_mode & 07777) == 0644, "new mode %o",
          (unsigned)(st.st_mode & 07777));
    CHECK(tt_file_read_all(at("new.txt"), &buf, &len, &err) == 0 && len == 3 &&
          strcmp(buf, "one") == 0, "read back");
    free(buf);
    /* an existing file keeps its permissions */
    chmod(at("new.txt"), 0604);
    CHECK(tt_file_begin(&w, at("new.txt"), &err) == 0, "%s", err.msg);
    fputs("two", w.f);
    CHECK(tt_file_commit(&w, &err) == 0, "%s", err.msg);
    CHECK(stat(at("new.txt"), &st) == 0 && (st.st_mode & 07777) == 0604, "kept mode %o",
          (unsigned)(st.st_mode & 07777));
    CHECK(slurp_is(at("new.txt"), "two"), "contents");
    umask(um);
    /* abort: the old file intact, the temporary gone */
    CHECK(tt_file_begin(&w, at("new.txt"), &err) == 0, "%s", err.msg);
    fputs("three", w.f);
    tt_file_abort(&w);
    CHECK(slurp_is(at("new.txt"), "two"), "abort changed the file");
    CHECK(access(w.tmp, F_OK) != 0 && temporaries() == 0, "abort left %s", w.tmp);
    /* a node put in place while the data is written is not replaced */
    CHECK(tt_file_begin(&w, at("late"), &err) == 0, "%s", err.msg);
    mkfifo(at("late"), 0644);
    fputs("x", w.f);
    CHECK(tt_file_commit(&w, &err) == -1, "late FIFO replaced");
    CHECK(lstat(at("late"), &st) == 0 && S_ISFIFO(st.st_mode), "late FIFO changed");
    CHECK(temporaries() == 0, "failed commit left a temporary");
    /* a folder that does not exist */
    CHECK(tt_file_begin(&w, at("no/such/x.txt"), &err) == -1, "missing folder accepted");
    CHECK(strstr(err.msg, "No such file or directory") != NULL, "%s", err.msg);
}

static void test_links(void)
{
    tt_wfile w;
    tt_err err;
    struct stat st;
    char want[1024];
    /* a link to a regular file: the target is replaced, the link stays */
    mkdir(at("sub"), 0755);
    spit(at("sub/target.txt"), "old");
    CHECK(symlink("sub/target.txt", at("link.txt")) == 0, "symlink");
    CHECK(tt_file_begin(&w, at("link.txt"), &err) == 0, "%s", err.msg);
    fputs("new", w.f);
    CHECK(tt_file_commit(&w, &err) == 0, "%s", err.msg);
    CHECK(lstat(at("link.txt"), &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
    CHECK(slurp_is(at("sub/target.txt"), "new"), "the target was not written");
    /* a chain of links, a relative one inside a folder */
    CHECK(symlink("target.txt", at("sub/rel")) == 0 && symlink("sub/rel", at("chain")) == 0, "symlink");
    CHECK(tt_file_begin(&w, at("chain"), &err) == 0, "%s", err.msg);
    fputs("chained", w.f);
    CHECK(tt_file_commit(&w, &err) == 0, "%s", err.msg);
    CHECK(slurp_is(at("sub/target.txt"), "chained"), "chain not followed");
    CHECK(lstat(at("chain"), &st) == 0 && S_ISLNK(st.st_mode), "chain replaced");
    /* a dangling link creates its target */
    CHECK(symlink("sub/made.txt", at("dangling")) == 0, "symlink");
    CHECK(tt_file_begin(&w, at("dangling"), &err) == 0, "%s", err.msg);
    fputs("made", w.f);
    CHECK(tt_file_commit(&w, &err) == 0, "%s", err.msg);
    CHECK(slurp_is(at("sub/made.txt"), "made"), "dangling link target not made");
    /* a link to a FIFO is refused like the FIFO, naming the link */
    CHECK(symlink("fifo", at("tofifo")) == 0, "symlink");
    snprintf(want, sizeof want, "cannot write '%s': it is a FIFO (named pipe), not a regular file",
             at("tofifo"));
    refused(at("tofifo"), want, S_IFLNK);
    /* a loop */
    CHECK(symlink("loop", at("loop")) == 0, "symlink");
    CHECK(tt_file_begin(&w, at("loop"), &err) == -1, "a link loop was accepted");
    CHECK(strstr(err.msg, "symbolic links") != NULL, "%s", err.msg);
    CHECK(temporaries() == 0, "links left a temporary");
}

static void test_stream(void)
{
    tt_err err;
    FILE *f = fopen(dir, "r");
    CHECK(f && tt_file_check_stream(f, "standard input", &err) == -1, "a folder as a stream");
    if (f) {
        CHECK_STR(err.msg, "cannot read standard input: it is a directory, not a regular file");
        fclose(f);
    }
    f = fopen(at("new.txt"), "r");
    CHECK(f && tt_file_check_stream(f, "x", &err) == 0, "a file as a stream");
    if (f)
        fclose(f);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/ttfile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 99;
    }
    test_kinds();
    test_writes();
    test_links();
    test_stream();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_file: could not remove %s\n", dir);
    return tt_check_done("test_file");
}

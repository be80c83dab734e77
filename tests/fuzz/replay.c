/* replay: feeds every file of the checked-in fuzz corpora to its target, with
 * the ordinary compiler and (in CI) the sanitizers, so `make check` replays
 * what the fuzzers found. Usage: replay [TARGET [FILE|DIR]...]; with no
 * argument every target replays $top_srcdir/tests/fuzz/corpus/TARGET/. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*target_fn)(const uint8_t *, size_t);
static const struct { const char *name; target_fn fn; } targets[] = {
    {"ml100k", tt_fuzz_ml100k},
    {"ml1m", tt_fuzz_ml1m},
    {"csv", tt_fuzz_csv},
    {"cmd", tt_fuzz_cmd},
    {"tower", tt_fuzz_tower},
    {"modelfile", tt_fuzz_modelfile},
};

static int replay_file(target_fn fn, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    fn(buf, n);  /* a finding aborts the process: the test fails with its report */
    free(buf);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays path (a file, or every file of a folder, in name order); returns
 * the number of inputs or -1. */
static long replay_path(const char *name, target_fn fn, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(fn, path) ? -1 : 1;
    DIR *d = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    long count = 0;
    if (!d) {
        perror(path);
        return -1;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                abort();
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            abort();
        snprintf(names[n++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t k = 0; k < n; k++) {
        if (count >= 0 && replay_file(fn, names[k]) == 0)
            count++;
        else
            count = -1;
        free(names[k]);
    }
    free(names);
    if (count == 0)
        fprintf(stderr, "%s: %s: empty corpus\n", name, path);
    return count > 0 ? count : -1;
}

int main(int argc, char **argv)
{
    const char *top = getenv("top_srcdir");
    char dir[4096];
    int status = 0, found = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        if (argc > 1 && strcmp(argv[1], targets[t].name))
            continue;
        found = 1;
        long n = 0, k;
        if (argc > 2) {
            for (int a = 2; a < argc && n >= 0; a++)
                n = (k = replay_path(targets[t].name, targets[t].fn, argv[a])) < 0 ? -1 : n + k;
        } else {
            snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", targets[t].name);
            n = replay_path(targets[t].name, targets[t].fn, dir);
        }
        if (n < 0)
            status = 1;
        else
            printf("%s: %ld inputs replayed\n", targets[t].name, n);
    }
    if (!found) {
        fprintf(stderr, "replay: unknown target '%s'\n", argv[1]);
        return 2;
    }
    return status;
}

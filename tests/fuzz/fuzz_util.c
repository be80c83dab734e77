/* fuzz_util: input splitting and the scratch folder of the fuzz targets. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tt_fuzz_split(const uint8_t *data, size_t size, const uint8_t **p, size_t *len, int max)
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && n < max; i++) {
        /* The last part takes the rest, separators included. */
        if (i == size || (data[i] == TT_FUZZ_SEP && n < max - 1)) {
            p[n] = data + start;
            len[n] = i - start;
            n++;
            start = i + 1;
            if (i == size)
                break;
        }
    }
    return n;
}

char *tt_fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = 0;
    return text;
}

static char dir[64];

/* Remove folder d and the files in it. */
static void remove_dir(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    char path[512];
    if (!dp)
        return;
    while ((e = readdir(dp)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            unlink(path);
        }
    closedir(dp);
    rmdir(d);
}

static void cleanup(void)
{
    remove_dir(dir);
}

/* A crash (abort) skips atexit: the folders of dead fuzz processes are
 * removed by the next one. Folders are named ttfuzz.PID. */
static void remove_stale(const char *base)
{
    DIR *dp = opendir(base);
    struct dirent *e;
    char path[512];
    if (!dp)
        return;
    while ((e = readdir(dp))) {
        char *end;
        if (strncmp(e->d_name, "ttfuzz.", 7))
            continue;
        long pid = strtol(e->d_name + 7, &end, 10);
        if (*end || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            snprintf(path, sizeof path, "%s/%s", base, e->d_name);
            remove_dir(path);
        }
    }
    closedir(dp);
}

const char *tt_fuzz_dir(void)
{
    if (!dir[0]) {
        /* tmpfs when there is one: the fuzzer rewrites these files thousands
         * of times a second. */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        remove_stale(base);
        snprintf(dir, sizeof dir, "%s/ttfuzz.%ld", base, (long)getpid());
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            perror("fuzz: mkdir");
            abort();
        }
        atexit(cleanup);
    }
    return dir;
}

const char *tt_fuzz_file(int k, const char *name, const uint8_t *data, size_t size)
{
    static char path[4][512];
    snprintf(path[k], sizeof path[k], "%s/%s", tt_fuzz_dir(), name);
    if (!data) {
        unlink(path[k]);
        return path[k];
    }
    FILE *f = fopen(path[k], "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror("fuzz: writing the scratch file");
        abort();
    }
    return path[k];
}

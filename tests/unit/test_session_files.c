/* test_session_files: .npy bytes, CRC-32, atomic writes, and the model file
 * reader refusing bad files (each with its own message) before it needs
 * the engine. The full save/open round trip is in test_session_errors.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tt_export.h"
#include "tt_mkind.h"
#include "tt_modelfile.h"
#include "tt_repl.h"
#include "tt_check.h"


static long slurp(const char *path, unsigned char *buf, long n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long r = (long)fread(buf, 1, (size_t)n, f);
    fclose(f);
    return r;
}

static void spit(const char *path, const unsigned char *buf, long n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, (size_t)n, f);
        fclose(f);
    }
}

static void test_npy(const char *dir)
{
    char path[512];
    unsigned char b[4096];
    float X[6] = {1, 2, 3, 4, 5, 6.5f};
    tt_err err;
    snprintf(path, sizeof path, "%s/x.npy", dir);
    CHECK(tt_export_npy(path, X, 3, 2, &err) == 0);
    long n = slurp(path, b, sizeof b);
    CHECK(n == 128 + 24);
    CHECK(memcmp(b, "\x93NUMPY\x01\x00", 8) == 0);
    int hl = b[8] | b[9] << 8;
    CHECK(10 + hl == 128);                          /* aligned to 64 */
    CHECK(b[10 + hl - 1] == '\n');
    CHECK(memmem(b, 128, "'descr': '<f4'", 14) != NULL);
    CHECK(memmem(b, 128, "'fortran_order': False", 22) != NULL);
    CHECK(memmem(b, 128, "'shape': (3, 2)", 15) != NULL);
    float back[6];
    memcpy(back, b + 128, sizeof back);
    CHECK(memcmp(back, X, sizeof X) == 0);
    /* no temporary file left behind */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", dir);
    CHECK(system(cmd) != 0);

    char meta[512];
    const char *hdr[2] = {"item", "title"};
    const char *labels[6] = {"1", "A\tB", "2", "C", "3", ""};
    snprintf(path, sizeof path, "%s/x.tsv", dir);
    tt_export_meta_path(path, meta, sizeof meta);
    CHECK(strstr(meta, "x.meta.tsv") != NULL);
    CHECK(tt_export_tsv(path, X, 3, 2, meta, hdr, 2, labels, &err) == 0);
    n = slurp(path, b, sizeof b);
    CHECK(n > 0 && strncmp((char *)b, "1\t2\n3\t4\n5\t6.5\n", (size_t)n) == 0);
    n = slurp(meta, b, sizeof b);
    CHECK(n > 0 && strncmp((char *)b, "item\ttitle\n1\tA B\n2\tC\n3\t\n", (size_t)n) == 0);
}

static void test_atomic(const char *dir)
{
    char path[512];
    unsigned char b[64];
    tt_wfile a;
    tt_err err;
    snprintf(path, sizeof path, "%s/keep.txt", dir);
    spit(path, (const unsigned char *)"old", 3);
    CHECK(tt_file_begin(&a, path, &err) == 0);
    fputs("new contents", a.f);
    tt_file_abort(&a);                        /* a crash before the rename */
    CHECK(slurp(path, b, sizeof b) == 3 && memcmp(b, "old", 3) == 0);
    CHECK(access(a.tmp, F_OK) != 0);
    CHECK(tt_file_begin(&a, path, &err) == 0);
    fputs("new", a.f);
    CHECK(tt_file_commit(&a, &err) == 0);
    CHECK(slurp(path, b, sizeof b) == 3 && memcmp(b, "new", 3) == 0);
    snprintf(path, sizeof path, "%s/no/such/dir/x.npy", dir);
    CHECK(tt_file_begin(&a, path, &err) == -1);
    CHECK(strstr(err.msg, "cannot write") != NULL);
}

/* A well-formed file with payload p (n bytes), version v. */
static long make_file(unsigned char *b, uint32_t v, const unsigned char *p, uint64_t n)
{
    memcpy(b, "TTLABMOD", 8);
    for (int k = 0; k < 4; k++) {
        b[8 + k] = (unsigned char)(v >> (8 * k));
        b[12 + k] = 0;
    }
    for (int k = 0; k < 8; k++)
        b[16 + k] = (unsigned char)(n >> (8 * k));
    memcpy(b + 24, p, n);
    uint32_t c = tt_crc32(0, b, 24 + n);
    for (int k = 0; k < 4; k++)
        b[24 + n + k] = (unsigned char)(c >> (8 * k));
    return (long)(28 + n);
}

static void expect_refused(const char *path, const unsigned char *b, long n, const char *msg)
{
    tt_dataset d;
    tt_modelent e;
    tt_err err;
    memset(&d, 0, sizeof d);
    spit(path, b, n);
    int rc = tt_modelfile_open(path, &d, &e, &err);
    if (rc != -1 || !strstr(err.msg, msg)) {
        FAIL("open gave %d '%s', want '%s'", rc, rc ? err.msg : "", msg);
    }
}

/* Model files store a kind's code, never its place in the kind table: each
 * kind keeps the code it was first saved with (the places of the table when
 * files stored places, so those files read the same), and no two share one. */
static void test_kind_codes(void)
{
    static const struct { const char *name; int code; } fixed[] = {
        {"popularity", 0}, {"twotower", 1}, {"ease", 2}, {"itemknn", 3}, {"ials", 4},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        int k = tt_mkind_find(fixed[i].name);
        CHECK(k >= 0 && tt_mkind_get(k)->code == fixed[i].code && tt_mkind_by_code(fixed[i].code) == k,
              "kind %s: code %d", fixed[i].name, k >= 0 ? tt_mkind_get(k)->code : -1);
    }
    for (int a = 0; a < tt_mkind_count(); a++)
        for (int b = a + 1; b < tt_mkind_count(); b++)
            CHECK(tt_mkind_get(a)->code != tt_mkind_get(b)->code, "kinds %s and %s share code %d",
                  tt_mkind_get(a)->name, tt_mkind_get(b)->name, tt_mkind_get(a)->code);
    CHECK(tt_mkind_by_code(99) == -1 && tt_mkind_by_code(-1) == -1);
}

static void test_modelfile(const char *dir)
{
    char path[512];
    unsigned char b[256], p[32];
    snprintf(path, sizeof path, "%s/m.ttm", dir);
    CHECK(tt_crc32(0, "123456789", 9) == 0xCBF43926u);
    /* one unknown section: skipped, and then the file is incomplete */
    memset(p, 0, sizeof p);
    memcpy(p, "ZZZZ", 4);
    p[4] = 4;
    long n = make_file(b, 1, p, 16);
    expect_refused(path, b, n, "incomplete: missing the definitions section");
    expect_refused(path, b, n - 5, "truncated");
    expect_refused(path, b, 20, "truncated");
    unsigned char c[256];
    memcpy(c, b, (size_t)n);
    c[30] ^= 0x10;                               /* one flipped bit */
    expect_refused(path, c, n, "checksum mismatch");
    memcpy(c, b, (size_t)n);
    c[n] = 0;
    expect_refused(path, c, n + 1, "garbage after the end");
    n = make_file(b, 2, p, 16);
    expect_refused(path, b, n, "version 2 model file; this ttlab reads version 1");
    expect_refused(path, (const unsigned char *)"PK\x03\x04 not a model", 16, "not a ttlab model file");
    expect_refused(path, (const unsigned char *)"", 0, "not a ttlab model file");
    /* a section that claims to run past the end (valid checksum) */
    memset(p, 0, sizeof p);
    memcpy(p, "DEFS", 4);
    p[4] = 200;
    n = make_file(b, 1, p, 16);
    expect_refused(path, b, n, "runs past the end");
    /* a definitions section with nonsense values */
    memset(p, 0xff, sizeof p);
    memcpy(p, "DEFS", 4);
    memset(p + 4, 0, 8);
    p[4] = 20;
    n = make_file(b, 1, p, 32);
    expect_refused(path, b, n, "bad model definition");
    tt_dataset d;
    tt_modelent e;
    tt_err err;
    memset(&d, 0, sizeof d);
    /* the same checks on a buffer (what a fuzzer feeds) */
    CHECK(tt_modelfile_read(b, (size_t)n, "buf", &d, &e, &err) == -1);
    CHECK(strstr(err.msg, "'buf' is corrupted: bad model definition") != NULL);
    CHECK(tt_modelfile_read(b, 3, "buf", &d, &e, &err) == -1);
    CHECK(strstr(err.msg, "not a ttlab model file") != NULL);
    CHECK(tt_modelfile_open("/nonexistent/file.ttm", &d, &e, &err) == -1);
    CHECK(strstr(err.msg, "cannot open") != NULL);
    /* a kind code no ttlab row has (DEFS: name "m", then the code 99) */
    memset(p, 0, sizeof p);
    memcpy(p, "DEFS", 4);
    p[4] = 9;                                    /* section length */
    p[12] = 1;                                   /* name: length 1, "m" */
    p[16] = 'm';
    p[17] = 99;                                  /* i32 kind code */
    n = make_file(b, 1, p, 21);
    expect_refused(path, b, n, "holds a model of kind code 99, which this ttlab does not know");
}

/* A sandboxed session (fuzzing) checks commands but runs none that touch
 * files, data or the CPU. */
static void test_sandbox(const char *dir)
{
    char line[2048], path[400];
    tt_session s;
    tt_session_init(&s);
    s.sandbox = 1;
    FILE *null = fopen("/dev/null", "w");
    s.out.f = null;
    snprintf(path, sizeof path, "%s/never.ttm", dir);
    snprintf(line, sizeof line, "load synthetic users=9000000 items=9000000; tower u = embed | mlp 8; "
             "model m = twotower u u; train m epochs=256; save m %s; export m items %s; source %s",
             path, path, path);
    FILE *err = stderr;
    stderr = null;
    int rc = tt_repl_line(&s, line, 1);
    stderr = err;
    CHECK(rc == 0);
    CHECK(access(path, F_OK) != 0);
    CHECK(s.n_ds == 0 && s.n_towers == 1 && s.n_models == 1);
    stderr = null;
    rc = tt_repl_line(&s, "train m epochs=-1", 1);       /* still checked */
    stderr = err;
    CHECK(rc == -1);
    tt_session_free(&s);
    fclose(null);
}

int main(void)
{
    char dir[] = "/tmp/ttlab-files-XXXXXX";
    if (!mkdtemp(dir))
        return 99;
    test_npy(dir);
    test_atomic(dir);
    test_modelfile(dir);
    test_kind_codes();
    test_sandbox(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    return tt_check_done("test_session_files");
}

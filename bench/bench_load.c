/* bench_load: time of `load csv` on wide headers (issue 16: a header of n
 * columns took 0.56 s at 10,000, 2.1 s at 20,000 and 15.2 s at 40,000 when
 * repeats were found by comparing every pair). The file is generated in a
 * temporary folder: a header of n columns and 100 rows; loaded once with no
 * context column (the others are noted as not used), once with every extra
 * column named in context= (n context features). Best of 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tt_dataset.h"
#include "tt_util.h"

static double time_load(const tt_csv_opts *o, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        tt_dataset d;
        tt_err err;
        memset(&d, 0, sizeof d);
        double t0 = tt_now();
        if (tt_load_csv(o, &d, &err)) {
            fprintf(stderr, "bench_load: %s\n", err.msg);
            exit(1);
        }
        double t = tt_now() - t0;
        best = t < best ? t : best;
        tt_dataset_free(&d);
    }
    return best;
}

int main(void)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/ttbench.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/wide.csv", dir);
    printf("%-8s %14s %14s\n", "columns", "no context s", "all context s");
    static const int sizes[] = {10000, 20000, 40000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int n = sizes[k];
        FILE *f = fopen(path, "w");
        /* context= lists every extra column: c2,c3,... */
        char *ctx = malloc((size_t)n * 8 + 1);
        if (!f || !ctx) {
            fprintf(stderr, "bench_load: cannot write %s\n", path);
            return 1;
        }
        size_t cl = 0;
        fputs("user,item", f);
        for (int c = 2; c < n; c++) {
            fprintf(f, ",c%d", c);
            cl += (size_t)sprintf(ctx + cl, "%sc%d", c > 2 ? "," : "", c);
        }
        fputc('\n', f);
        for (int r = 0; r < 100; r++) {
            fprintf(f, "u%d,i%d", r % 10, r % 7);
            for (int c = 2; c < n; c++)
                fputs(",1", f);
            fputc('\n', f);
        }
        fclose(f);
        tt_csv_opts o;
        tt_csv_opts_init(&o);
        o.inter_path = path;
        double none = time_load(&o, 3);
        if (n <= 20000) {
            o.context = ctx;
            printf("%-8d %14.3f %14.3f\n", n, none, time_load(&o, 1));
        } else {
            printf("%-8d %14.3f %14s\n", n, none, "-");
        }
        free(ctx);
    }
    unlink(path);
    rmdir(dir);
    return 0;
}

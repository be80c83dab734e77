/* tt_load_ml: MovieLens-100K and MovieLens-1M folders, with the features of
 * the ML-100K protocol (../shared/PROTOCOL.md). */
#include "tt_dataset.h"
#include "tt_dsb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Age buckets of the protocol; ML-1M's age codes (1, 18, 25, ...) fall into
 * the same 7 buckets. */
static const double age_edges[] = {18, 25, 35, 45, 50, 56};

/* ML-100K: the 19 genre flags of u.item, in column order (as u.genre names them). */
static const char *const genres_100k[19] = {
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western"};

/* ML-1M: occupation codes of users.dat, named as in its README. */
static const char *const occupations_1m[21] = {
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer",
    "homemaker", "K-12 student", "lawyer", "programmer", "retired", "sales/marketing",
    "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer"};

typedef struct ml {
    const char *dir;
    char path[3][4096];     /* users, items, interactions */
    tt_strmap users, items; /* canonical numeric keys, file order */
    tt_colb age, gender, occ, zip3, genres, decade;
    char **title;           /* (items.n) in file order */
    int32_t title_cap;
    tt_interb inter;
} ml;

static void ml_free(ml *m)
{
    for (int32_t i = 0; i < TT_MIN(m->items.n, m->title_cap); i++)
        free(m->title[i]);
    free(m->title);
    tt_strmap_free(&m->users);
    tt_strmap_free(&m->items);
    tt_colb_free(&m->age);
    tt_colb_free(&m->gender);
    tt_colb_free(&m->occ);
    tt_colb_free(&m->zip3);
    tt_colb_free(&m->genres);
    tt_colb_free(&m->decade);
    tt_interb_free(&m->inter);
}

/* Iterate the lines of a buffer: NUL-terminates each line. A line ends at LF,
 * CRLF or a lone CR (old Mac files), the same line ends the scripts accept. */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *s = *p, *e = s;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    char *next = e;
    if (next < end && *next == '\r')
        next++;
    if (next < end && *next == '\n') /* LF, or the LF of a CRLF */
        next++;
    *p = next;
    *e = 0; /* at end: the terminator tt_file_read_all leaves after the data */
    return s;
}

static int read_nonempty(const char *path, char **buf, size_t *len, const char *what,
                         tt_err *err)
{
    if (tt_file_read_all(path, buf, len, err))
        return -1;
    /* Lines are C strings below: a NUL would silently cut a line short (and a
     * file of NUL lines would load as an empty dataset). */
    const char *nul = memchr(*buf, 0, *len);
    if (nul) {
        int64_t ln = 1;
        for (const char *q = *buf; q < nul; q++)
            ln += *q == '\n' || (*q == '\r' && q + 1 < nul && q[1] != '\n');
        free(*buf);
        return tt_err_set(err, "%s:%lld: expected text, found a NUL byte", path, (long long)ln);
    }
    size_t k = 0;
    while (k < *len && ((*buf)[k] == '\n' || (*buf)[k] == '\r' || (*buf)[k] == ' '))
        k++;
    if (k == *len) {
        free(*buf);
        return tt_err_set(err, "%s:1: expected %s, found an empty file", path, what);
    }
    return 0;
}

/* A numeric id as its canonical key ("007" and "7" are the same movie). */
static int id_key(const char *s, char *key, size_t n)
{
    int64_t v;
    if (!tt_dsb_parse_int(s, strlen(s), &v) || v < 0)
        return 0;
    snprintf(key, n, "%lld", (long long)v);
    return 1;
}

/* The non-empty lines of one file, each split into a fixed number of fields:
 * the loop the three readers share, with its "file:line" errors. */
typedef struct ml_rows {
    const char *path, *sep, *sep_name;
    char *buf, *p, *end;
    int64_t ln;
} ml_rows;

static int rows_open(ml_rows *r, const char *path, const char *sep, const char *sep_name,
                     const char *what, tt_err *err)
{
    size_t len;
    memset(r, 0, sizeof *r);
    if (read_nonempty(path, &r->buf, &len, what, err))
        return -1;
    r->path = path;
    r->sep = sep;
    r->sep_name = sep_name;
    r->p = r->buf;
    r->end = r->buf + len;
    return 0;
}

/* The next line's fields into f (room for max): 1, 0 at the end, -1 with a
 * message when the line does not have `want` fields. */
static int rows_next(ml_rows *r, char **f, int max, int want, tt_err *err)
{
    char *line;
    while ((line = next_line(&r->p, r->end))) {
        r->ln++;
        if (!*line)
            continue;
        int nf = tt_dsb_split(line, r->sep, f, max);
        if (nf != want)
            return tt_err_set(err, "%s:%lld: expected %d fields separated by '%s', found %d",
                              r->path, (long long)r->ln, want, r->sep_name, nf);
        return 1;
    }
    return 0;
}

/* A numeric id field as a key ("what" names it in the message). */
static int rows_id(const ml_rows *r, const char *field, const char *what, char *key,
                   size_t n, tt_err *err)
{
    if (id_key(field, key, n))
        return 0;
    return tt_err_set(err, "%s:%lld: expected a numeric %s id, found '%s'", r->path,
                      (long long)r->ln, what, TT_SHOW(field));
}

/* A new key of a map: its row, or -1 when it was already there ("each user once"). */
static int32_t rows_put(const ml_rows *r, tt_strmap *map, const char *key, const char *what,
                        tt_err *err)
{
    int added;
    int32_t row = tt_strmap_put(map, key, strlen(key), &added, err);
    if (row >= 0 && !added)
        return tt_err_set(err, "%s:%lld: expected each %s once, found %s %s again", r->path,
                          (long long)r->ln, what, what, key);
    return row;
}

/* Users: ML-100K "id|age|gender|occupation|zip", ML-1M "id::gender::age::occ::zip". */
static int read_users(ml *m, int is_1m, tt_err *err)
{
    const char *sep = is_1m ? "::" : "|";
    char *f[6], key[32];
    ml_rows rows;
    int more;
    if (rows_open(&rows, m->path[0], sep, sep, "user rows", err))
        return -1;
    const char *path = rows.path;
    while ((more = rows_next(&rows, f, 6, 5, err)) > 0) {
        int64_t ln = rows.ln;
        int32_t r;
        if (rows_id(&rows, f[0], "user", key, sizeof key, err) ||
            (r = rows_put(&rows, &m->users, key, "user", err)) < 0)
            goto fail;
        const char *age = is_1m ? f[2] : f[1], *gender = is_1m ? f[1] : f[2];
        const char *occ = f[3];
        double a;
        if (!tt_dsb_parse_num(age, strlen(age), &a)) {
            tt_err_set(err, "%s:%lld: expected a numeric age, found '%s'",
                       path, (long long)ln, TT_SHOW(age));
            goto fail;
        }
        if (is_1m) {
            int64_t c;
            if (!tt_dsb_parse_int(occ, strlen(occ), &c) || c < 0 || c > 20) {
                tt_err_set(err, "%s:%lld: expected an occupation code 0-20, found '%s'",
                           path, (long long)ln, TT_SHOW(occ));
                goto fail;
            }
            occ = occupations_1m[c];
        }
        if (tt_colb_add_num(&m->age, r, a, err) ||
            tt_colb_add_str(&m->gender, r, gender, strlen(gender), err) ||
            tt_colb_add_str(&m->occ, r, occ, strlen(occ), err) ||
            tt_colb_add_str(&m->zip3, r, f[4], TT_MIN(strlen(f[4]), (size_t)3), err))
            goto fail;
    }
    if (more < 0)
        goto fail;
    free(rows.buf);
    return 0;
fail:
    free(rows.buf);
    return -1;
}

static int add_title(ml *m, int32_t r, const char *s, tt_err *err)
{
    if (r >= m->title_cap) {
        int32_t nc = m->title_cap ? m->title_cap * 2 : 1024;
        char **t = realloc(m->title, (size_t)nc * sizeof *t);
        if (!t)
            return tt_err_set(err, "out of memory for titles");
        memset(t + m->title_cap, 0, (size_t)(nc - m->title_cap) * sizeof *t);
        m->title = t;
        m->title_cap = nc;
    }
    /* Both releases store titles in latin-1. */
    if (!(m->title[r] = tt_dsb_latin1_to_utf8(s, strlen(s))))
        return tt_err_set(err, "out of memory for titles");
    return 0;
}

static int add_decade(ml *m, int32_t r, int year, tt_err *err)
{
    char lab[16];
    if (year < 0)
        snprintf(lab, sizeof lab, "unknown");
    else
        snprintf(lab, sizeof lab, "%d", year / 10 * 10);
    return tt_colb_add_str(&m->decade, r, lab, strlen(lab), err);
}

/* Year in a trailing "(1995)" of an ML-1M title, or -1. */
static int title_year(const char *t)
{
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == ' ')
        n--;
    if (n < 6 || t[n - 1] != ')' || t[n - 6] != '(')
        return -1;
    int y = 0;
    for (size_t k = n - 5; k < n - 1; k++) {
        if (t[k] < '0' || t[k] > '9')
            return -1;
        y = y * 10 + (t[k] - '0');
    }
    return y;
}

static int read_items(ml *m, int is_1m, tt_err *err)
{
    const char *sep = is_1m ? "::" : "|";
    char *f[25], key[32];
    ml_rows rows;
    int more;
    if (rows_open(&rows, m->path[1], sep, sep, "item rows", err))
        return -1;
    const char *path = rows.path;
    while ((more = rows_next(&rows, f, 25, is_1m ? 3 : 24, err)) > 0) {
        int64_t ln = rows.ln;
        int32_t r;
        if (rows_id(&rows, f[0], "movie", key, sizeof key, err) ||
            (r = rows_put(&rows, &m->items, key, "movie", err)) < 0)
            goto fail;
        if (add_title(m, r, f[1], err))
            goto fail;
        int year = -1;
        if (is_1m) {
            year = title_year(f[1]);
            if (*f[2]) {
                char *g[64];
                int ng = tt_dsb_split(f[2], "|", g, 64);
                for (int k = 0; k < ng && k < 64; k++)
                    if (tt_colb_add_str(&m->genres, r, g[k], strlen(g[k]), err))
                        goto fail;
            }
        } else {
            /* Release date "01-Jan-1995", or empty when unknown. */
            const char *date = f[2];
            size_t dl = strlen(date);
            if (dl > 0) {
                int64_t y;
                const char *dash = strrchr(date, '-');
                if (!dash || !tt_dsb_parse_int(dash + 1, strlen(dash + 1), &y) ||
                    y < 1000 || y > 9999) {
                    tt_err_set(err, "%s:%lld: expected a release date like 01-Jan-1995, "
                               "found '%s'", path, (long long)ln, TT_SHOW(date));
                    goto fail;
                }
                year = (int)y;
            }
            for (int k = 0; k < 19; k++) {
                const char *fl = f[5 + k];
                if (strcmp(fl, "0") != 0 && strcmp(fl, "1") != 0) {
                    tt_err_set(err, "%s:%lld: expected genre flag 0 or 1 in field %d, "
                               "found '%s'", path, (long long)ln, 6 + k, TT_SHOW(fl));
                    goto fail;
                }
                if (fl[0] == '1' &&
                    tt_colb_add_str(&m->genres, r, genres_100k[k], strlen(genres_100k[k]), err))
                    goto fail;
            }
        }
        if (add_decade(m, r, year, err))
            goto fail;
    }
    if (more < 0)
        goto fail;
    free(rows.buf);
    return 0;
fail:
    free(rows.buf);
    return -1;
}

static int read_ratings(ml *m, int is_1m, tt_err *err)
{
    char *f[5], key[32];
    ml_rows rows;
    int more;
    if (rows_open(&rows, m->path[2], is_1m ? "::" : "\t", is_1m ? "::" : "\\t",
                  "rating rows", err))
        return -1;
    const char *path = rows.path;
    while ((more = rows_next(&rows, f, 5, 4, err)) > 0) {
        int64_t ln = rows.ln;
        int32_t u, i;
        int64_t t;
        if (rows_id(&rows, f[0], "user", key, sizeof key, err))
            goto fail;
        if ((u = tt_strmap_get(&m->users, key, strlen(key))) < 0) {
            tt_err_set(err, "%s:%lld: expected a user listed in %s, found user %s",
                       path, (long long)ln, m->path[0], key);
            goto fail;
        }
        if (rows_id(&rows, f[1], "movie", key, sizeof key, err))
            goto fail;
        if ((i = tt_strmap_get(&m->items, key, strlen(key))) < 0) {
            tt_err_set(err, "%s:%lld: expected a movie listed in %s, found movie %s",
                       path, (long long)ln, m->path[1], key);
            goto fail;
        }
        if (!tt_dsb_parse_int(f[3], strlen(f[3]), &t)) {
            tt_err_set(err, "%s:%lld: expected a numeric timestamp, found '%s'",
                       path, (long long)ln, TT_SHOW(f[3]));
            goto fail;
        }
        if (tt_interb_push(&m->inter, u, i, t, err))
            goto fail;
    }
    if (more < 0)
        goto fail;
    free(rows.buf);
    return 0;
fail:
    free(rows.buf);
    return -1;
}

/* Order users and items by numeric id, move everything into d. */
static int build(ml *m, int is_1m, tt_dataset *d, tt_err *err)
{
    int32_t nu = m->users.n, ni = m->items.n;
    int32_t *ur = tt_alloc((size_t)nu + 1, sizeof *ur, "user order", err);
    int32_t *ir = tt_alloc((size_t)ni + 1, sizeof *ir, "item order", err);
    int rc = -1;
    if (!ur || !ir || tt_dsb_take_keys(&m->users, &m->items, d, ur, ir, err))
        goto out;
    d->item_title = tt_alloc((size_t)ni + 1, sizeof *d->item_title, "titles", err);
    if (!d->item_title)
        goto out;
    for (int32_t i = 0; i < ni; i++) {
        d->item_title[ir[i]] = m->title[i];
        m->title[i] = NULL;
    }
    int64_t n = m->inter.n;
    d->n_inter = n;
    d->iu = m->inter.u;
    d->ii = m->inter.i;
    d->it = m->inter.t;
    memset(&m->inter, 0, sizeof m->inter);
    for (int64_t r = 0; r < n; r++) {
        d->iu[r] = ur[d->iu[r]];
        d->ii[r] = ir[d->ii[r]];
    }
    if (tt_colb_finish(&m->age, d, "age", TT_USER, ur, nu, age_edges,
                       (int)TT_ARRAY_LEN(age_edges), 0, NULL, err) ||
        tt_colb_finish(&m->gender, d, "gender", TT_USER, ur, nu, NULL, 0, 0, NULL, err) ||
        tt_colb_finish(&m->occ, d, "occupation", TT_USER, ur, nu, NULL, 0, 0, NULL, err) ||
        tt_colb_finish(&m->zip3, d, "zip3", TT_USER, ur, nu, NULL, 0, 0, NULL, err) ||
        tt_colb_finish(&m->genres, d, "genres", TT_ITEM, ir, ni, NULL, 0, 0, NULL, err) ||
        tt_colb_finish(&m->decade, d, "decade", TT_ITEM, ir, ni, NULL, 0, 0, NULL, err) ||
        tt_dataset_add_id_features(d, err) || tt_dataset_finish(d, err))
        goto out;
    if (tt_dataset_note_unused(d, m->path[0], m->path[1])) {
        tt_err_set(err, "out of memory");
        goto out;
    }
    if (!(d->name = tt_strdup(is_1m ? "ml-1m" : "ml-100k")) || !(d->source = tt_strdup(m->dir))) {
        tt_err_set(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(ur);
    free(ir);
    return rc;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

int tt_load_movielens(const char *dir, tt_dataset *out, tt_err *err)
{
    static const char *const names[2][3] = {{"u.user", "u.item", "u.data"},
                                            {"users.dat", "movies.dat", "ratings.dat"}};
    ml m;
    tt_dataset d;
    int is_1m, rc = -1;
    char probe[4096];
    memset(&m, 0, sizeof m);
    memset(&d, 0, sizeof d);
    m.dir = dir;
    snprintf(probe, sizeof probe, "%s/u.data", dir);
    if (exists(probe)) {
        is_1m = 0;
    } else {
        snprintf(probe, sizeof probe, "%s/ratings.dat", dir);
        if (!exists(probe)) {
            if (!exists(dir))
                return tt_err_set(err, "%s: cannot open: no such folder", dir);
            return tt_err_set(err, "%s: expected a MovieLens folder with u.data (ML-100K) "
                              "or ratings.dat (ML-1M), found neither", dir);
        }
        is_1m = 1;
    }
    for (int k = 0; k < 3; k++)
        snprintf(m.path[k], sizeof m.path[k], "%s/%s", dir, names[is_1m][k]);
    tt_colb_init(&m.age, TT_NUM);
    tt_colb_init(&m.gender, TT_CAT);
    tt_colb_init(&m.occ, TT_CAT);
    tt_colb_init(&m.zip3, TT_CAT);
    tt_colb_init(&m.genres, TT_SET);
    tt_colb_init(&m.decade, TT_CAT);
    /* ML-100K's genre vocabulary is the fixed list of 19, used or not. */
    for (int k = 0; !is_1m && k < 19; k++)
        if (tt_strmap_put(&m.genres.map, genres_100k[k], strlen(genres_100k[k]), NULL, err) < 0)
            goto out;
    if (read_users(&m, is_1m, err) || read_items(&m, is_1m, err) ||
        read_ratings(&m, is_1m, err) || build(&m, is_1m, &d, err))
        goto out;
    *out = d;
    rc = 0;
out:
    if (rc)
        tt_dataset_free(&d);
    ml_free(&m);
    return rc;
}

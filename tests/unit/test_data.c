/* test_data: every loader on its hand-written fixtures, every bad input with
 * its file:line message, and load atomicity. */
#include "tt_dataset.h"
#include "tt_split.h"
#include "tt_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const tt_feature *feat(const tt_dataset *d, const char *name)
{
    int f = tt_dataset_find(d, name);
    CHECK(f >= 0, "no feature %s", name);
    return f >= 0 ? &d->feat[f] : NULL;
}

/* Label of row r's value of a CAT/NUM feature. */
static const char *label(const tt_dataset *d, const char *name, int64_t r)
{
    const tt_feature *f = feat(d, name);
    return f ? f->vocab[f->ids[r]] : "";
}

/* Row r's set as "a,b,c". */
static const char *set_str(const tt_dataset *d, const char *name, int64_t r)
{
    static char buf[512];
    const tt_feature *f = feat(d, name);
    buf[0] = 0;
    if (!f)
        return buf;
    for (int64_t k = f->off[r]; k < f->off[r + 1]; k++) {
        if (k > f->off[r])
            strcat(buf, ",");
        strcat(buf, f->vocab[f->vals[k]]);
    }
    return buf;
}

/* Load the MovieLens fixture name into d; 0, or -1 with a failed check. */
static int load_fixture(const char *name, tt_dataset *d)
{
    tt_err err;
    memset(d, 0, sizeof *d);
    if (tt_load_movielens(fixture(name), d, &err)) {
        CHECK(0, "load %s: %s", name, err.msg);
        return -1;
    }
    return 0;
}

static void test_ml100k_tiny(void)
{
    tt_dataset d;
    if (load_fixture("ml100k-tiny", &d))
        return;
    CHECK_STR(d.name, "ml-100k");
    CHECK(d.n_users == 5 && d.n_items == 6 && d.n_inter == 19, "%d %d %lld", d.n_users,
          d.n_items, (long long)d.n_inter);
    static const char *order[] = {"user_id", "age", "gender", "occupation", "zip3", "hist",
                                  "item_id", "genres", "decade"};
    CHECK(d.n_feat == 9, "%d features", d.n_feat);
    for (int f = 0; f < 9 && f < d.n_feat; f++)
        CHECK_STR(d.feat[f].name, order[f]);
    /* Numeric id order: user 10 comes after 4, item 12 last. */
    static const char *ukeys[] = {"1", "2", "3", "4", "10"};
    static const char *ikeys[] = {"1", "2", "3", "4", "5", "12"};
    for (int u = 0; u < 5; u++)
        CHECK_STR(d.user_key[u], ukeys[u]);
    for (int i = 0; i < 6; i++)
        CHECK_STR(d.item_key[i], ikeys[i]);
    CHECK_STR(d.item_title[2], "Caf\xc3\xa9 Imaginaire (1962)");
    /* Ages 17, 30, 56, 25, 44 against edges 18, 25, 35, 45, 50, 56. */
    static const int32_t age[] = {1, 3, 7, 3, 4};
    const tt_feature *fa = feat(&d, "age");
    CHECK(fa->card == 8 && fa->kind == TT_NUM && fa->n_edges == 6, "age card %d", fa->card);
    for (int u = 0; u < 5; u++)
        CHECK(fa->ids[u] == age[u], "user %d age id %d", u, fa->ids[u]);
    CHECK_STR(fa->vocab[1], "<18");
    CHECK_STR(fa->vocab[2], "[18,25)");
    CHECK_STR(fa->vocab[7], ">=56");
    CHECK_STR(label(&d, "gender", 0), "F");
    CHECK_STR(label(&d, "gender", 4), "M");
    CHECK(feat(&d, "gender")->card == 3, "gender card");
    CHECK_STR(label(&d, "occupation", 0), "student");
    CHECK_STR(label(&d, "occupation", 4), "engineer");
    CHECK(feat(&d, "occupation")->card == 5, "occupation card");
    static const char *zip3[] = {"021", "941", "T8H", "021", "943"};
    for (int u = 0; u < 5; u++)
        CHECK_STR(label(&d, "zip3", u), zip3[u]);
    CHECK(feat(&d, "zip3")->card == 5, "zip3 card %d", feat(&d, "zip3")->card);
    CHECK(feat(&d, "zip3")->freq[1] == 2, "zip3 021 freq");
    /* The 19 genres are the vocabulary whether used or not. */
    CHECK(feat(&d, "genres")->card == 20, "genres card %d", feat(&d, "genres")->card);
    CHECK_STR(set_str(&d, "genres", 0), "Action,Comedy");
    CHECK_STR(set_str(&d, "genres", 3), "Action,Adventure,Sci-Fi,Thriller");
    CHECK_STR(set_str(&d, "genres", 4), "unknown");
    CHECK_STR(set_str(&d, "genres", 5), "Animation,Children's,Comedy");
    static const char *dec[] = {"1990", "1980", "1960", "1990", "unknown", "1990"};
    for (int i = 0; i < 6; i++)
        CHECK_STR(label(&d, "decade", i), dec[i]);
    CHECK(feat(&d, "decade")->card == 5, "decade card %d", feat(&d, "decade")->card);
    /* Sorted by (user, time, item): user 1's two ratings at time 200 go item 2, item 3. */
    static const int32_t iu[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4};
    static const int32_t ii[] = {0, 1, 2, 3, 5, 0, 1, 4, 3, 5, 0, 3, 5, 0, 2, 3, 4, 0, 1};
    for (int r = 0; r < 19; r++)
        CHECK(d.iu[r] == iu[r] && d.ii[r] == ii[r], "row %d: %d %d", r, d.iu[r], d.ii[r]);
    CHECK(d.it[1] == 200 && d.it[2] == 200, "times");
    const tt_feature *h = feat(&d, "hist"), *id = feat(&d, "item_id");
    CHECK(h->kind == TT_SEQ && h->card == 7 && d.feat[h->share].name == id->name, "hist");
    CHECK(h->freq[1] == 5 && h->freq[6] == 3, "hist freq %lld %lld", (long long)h->freq[1],
          (long long)h->freq[6]);
    CHECK(id->ids[5] == 6 && feat(&d, "user_id")->ids[4] == 5, "id features");
    CHECK(d.planted == NULL, "no planted");
    tt_dataset_free(&d);
}


/* The ML files with CRLF and with lone-CR line ends load the same data as
 * with LF: each fixture file is copied with its LFs rewritten. */
static void test_ml100k_line_ends(void)
{
    static const char *files[] = {"u.data", "u.user", "u.item", "u.genre", "u.occupation"};
    static const char *ends[] = {"\r\n", "\r"};
    tt_dataset ref, d;
    tt_err err;
    if (load_fixture("ml100k-tiny", &ref))
        return;
    for (int e = 0; e < 2; e++) {
        char dir[] = "/tmp/tt_mlends.XXXXXX", path[4200];
        if (!mkdtemp(dir)) {
            CHECK(0, "mkdtemp");
            break;
        }
        for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
            snprintf(path, sizeof path, "%s/%s", fixture("ml100k-tiny"), files[f]);
            FILE *in = fopen(path, "rb");
            if (!in)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, files[f]);
            FILE *out = fopen(path, "wb");
            CHECK(out != NULL, "%s", path);
            for (int c; out && (c = fgetc(in)) != EOF;)
                c == '\n' ? fputs(ends[e], out) : fputc(c, out);
            fclose(in);
            if (out)
                fclose(out);
        }
        memset(&d, 0, sizeof d);
        int rc = tt_load_movielens(dir, &d, &err);
        CHECK(rc == 0, "%s line ends: %s", e ? "CR" : "CRLF", rc ? err.msg : "");
        if (rc == 0) {
            CHECK(d.n_users == ref.n_users && d.n_items == ref.n_items && d.n_inter == ref.n_inter &&
                  d.n_feat == ref.n_feat, "%s line ends: %d %d %lld", e ? "CR" : "CRLF", d.n_users,
                  d.n_items, (long long)d.n_inter);
            for (int64_t r = 0; r < d.n_inter && r < ref.n_inter; r++)
                CHECK(d.iu[r] == ref.iu[r] && d.ii[r] == ref.ii[r] && d.it[r] == ref.it[r], "row %lld",
                      (long long)r);
            for (int i = 0; i < d.n_items && i < ref.n_items; i++)
                CHECK_STR(d.item_title[i], ref.item_title[i]);
            tt_dataset_free(&d);
        }
        for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[f]);
            remove(path);
        }
        rmdir(dir);
    }
    tt_dataset_free(&ref);
}

static void test_ml1m_tiny(void)
{
    tt_dataset d;
    if (load_fixture("ml1m-tiny", &d))
        return;
    CHECK_STR(d.name, "ml-1m");
    CHECK(d.n_users == 4 && d.n_items == 4 && d.n_inter == 11, "%d %d %lld", d.n_users,
          d.n_items, (long long)d.n_inter);
    CHECK_STR(d.user_key[3], "5");
    CHECK_STR(d.item_key[3], "10");
    /* age codes 1, 56, 25, 45 fall into the protocol's buckets */
    static const int32_t age[] = {1, 7, 3, 5};
    for (int u = 0; u < 4; u++)
        CHECK(feat(&d, "age")->ids[u] == age[u], "age %d", feat(&d, "age")->ids[u]);
    CHECK_STR(label(&d, "gender", 0), "F");
    CHECK_STR(label(&d, "occupation", 0), "K-12 student");
    CHECK_STR(label(&d, "occupation", 1), "self-employed");
    CHECK_STR(label(&d, "occupation", 3), "other");
    CHECK_STR(label(&d, "zip3", 2), "551");
    CHECK_STR(label(&d, "zip3", 3), "T8H");
    CHECK(feat(&d, "genres")->card == 8, "genres card %d", feat(&d, "genres")->card);
    CHECK_STR(set_str(&d, "genres", 0), "Animation,Children's,Comedy");
    CHECK_STR(set_str(&d, "genres", 2), "Drama,Romance");
    static const char *dec[] = {"1990", "1990", "unknown", "1970"};
    for (int i = 0; i < 4; i++)
        CHECK_STR(label(&d, "decade", i), dec[i]);
    CHECK_STR(d.item_title[3], "L\xc3\xa9gende Fictive (1972)");
    static const int32_t ii[] = {2, 0, 1, 3, 0, 1, 3, 2, 0, 1, 3};
    for (int r = 0; r < 11; r++)
        CHECK(d.ii[r] == ii[r], "row %d item %d", r, d.ii[r]);
    tt_dataset_free(&d);
}

static void test_csv(void)
{
    tt_csv_opts o;
    tt_dataset d;
    tt_err err;
    tt_csv_opts_init(&o);
    o.inter_path = fixture("csv/interactions.csv");
    o.user_path = fixture("csv/users.csv");
    o.item_path = fixture("csv/items.csv");
    o.context = "device, hour,labels";   /* only named columns are features */
    memset(&d, 0, sizeof d);
    if (tt_load_csv(&o, &d, &err)) {
        CHECK(0, "load: %s", err.msg);
        return;
    }
    CHECK_STR(d.name, "interactions");
    /* users.csv lists u4, who has no interaction: kept, and noted */
    CHECK(d.notes && strstr(d.notes, "users.csv lists 1 of the 4 users without any interaction: kept"),
          "notes: %s", d.notes ? d.notes : "(none)");
    CHECK(d.n_users == 4 && d.n_items == 5 && d.n_inter == 9, "%d %d %lld", d.n_users,
          d.n_items, (long long)d.n_inter);
    static const char *order[] = {"user_id", "age", "city", "favourite genres", "hist",
                                  "device", "hour", "labels", "item_id", "genres", "year",
                                  "price"};
    CHECK(d.n_feat == 12, "%d features", d.n_feat);
    for (int f = 0; f < 12 && f < d.n_feat; f++)
        CHECK_STR(d.feat[f].name, order[f]);
    CHECK_STR(d.user_key[3], "u4");
    CHECK_STR(d.item_key[4], "m5");
    /* Times: ISO dates, date-times with Z / offset / space, and plain numbers. */
    static const int64_t t[] = {1704067200, 1704184200, 1704499200, 1704153600, 1704283200,
                                1704585600, 1704319200, 1704412800, 1704672000};
    static const int32_t ii[] = {0, 1, 2, 0, 2, 3, 1, 3, 0};
    for (int r = 0; r < 9; r++)
        CHECK(d.it[r] == t[r] && d.ii[r] == ii[r], "row %d: t %lld item %d", r,
              (long long)d.it[r], d.ii[r]);
    /* Context columns went along with the sort. */
    CHECK(feat(&d, "device")->side == TT_CTX && feat(&d, "device")->kind == TT_CAT, "device");
    CHECK_STR(label(&d, "device", 1), "desktop");
    CHECK_STR(label(&d, "device", 4), "tablet");
    CHECK(feat(&d, "hour")->kind == TT_CAT && feat(&d, "hour")->card == 9, "hour: few values");
    CHECK_STR(label(&d, "hour", 0), "9");
    CHECK_STR(feat(&d, "hour")->vocab[1], "7"); /* numeric order */
    CHECK_STR(feat(&d, "hour")->vocab[3], "10");
    CHECK(feat(&d, "labels")->kind == TT_SET && feat(&d, "labels")->card == 4, "labels");
    CHECK_STR(set_str(&d, "labels", 1), "new,promo");
    CHECK_STR(set_str(&d, "labels", 3), "");
    CHECK_STR(set_str(&d, "labels", 7), "promo,sale");
    /* User file: quoted separators, UTF-8, "" escapes, a user without interactions. */
    CHECK_STR(label(&d, "city", 0), "Paris, France");
    CHECK_STR(label(&d, "city", 2), "Saint-\xc3\x89tienne");
    CHECK(feat(&d, "age")->kind == TT_CAT, "age: 4 values stay categorical");
    CHECK_STR(set_str(&d, "favourite genres", 0), "Comedy,Drama");
    CHECK_STR(set_str(&d, "favourite genres", 3), "\"Art house\",Action");
    /* Item file: titles are not a feature; a newline inside quotes; repeats in a set. */
    CHECK(tt_dataset_find(&d, "title") < 0, "title is not a feature");
    CHECK_STR(d.item_title[0], "The \"Quoted\" Film");
    CHECK_STR(d.item_title[1], "Multi\r\nline title");
    CHECK_STR(set_str(&d, "genres", 3), "Action,Comedy");
    CHECK_STR(label(&d, "price", 2), "<unk>");
    CHECK(feat(&d, "hist")->card == 6, "hist card");
    tt_dataset_free(&d);

    /* Overrides: hour numeric in 4 quantile buckets; only device as context. */
    o.kinds = "hour:numeric";
    o.num_buckets = 4;
    o.user_path = o.item_path = NULL;
    if (tt_load_csv(&o, &d, &err) == 0) {
        const tt_feature *h = feat(&d, "hour");
        CHECK(h->kind == TT_NUM && h->n_edges == 3 && h->card == 5, "hour edges %d", h->n_edges);
        CHECK(h->n_edges == 3 && h->edges[0] == 9 && h->edges[1] == 11 && h->edges[2] == 14,
              "quantile edges");
        static const int32_t hb[] = {2, 4, 4, 4, 1, 2, 2, 3, 3}; /* hours 9 14 18 22 7 10 9 13 11 */
        for (int r = 0; r < 9; r++)
            CHECK(h->ids[r] == hb[r], "row %d hour bucket %d", r, h->ids[r]);
        tt_dataset_free(&d);
    } else {
        CHECK(0, "kinds: %s", err.msg);
    }
    o.kinds = NULL;
    o.context = "device";
    if (tt_load_csv(&o, &d, &err) == 0) {
        CHECK(d.n_feat == 4 && tt_dataset_find(&d, "device") >= 0, "context=device: %d", d.n_feat);
        tt_dataset_free(&d);
    } else {
        CHECK(0, "context: %s", err.msg);
    }
    o.context = "";
    if (tt_load_csv(&o, &d, &err) == 0) {
        CHECK(d.n_feat == 3, "context none: %d features", d.n_feat);
        tt_dataset_free(&d);
    } else {
        CHECK(0, "context none: %s", err.msg);
    }
    /* No context= at all: none either, and the unused columns are noted once. */
    o.context = NULL;
    if (tt_load_csv(&o, &d, &err) == 0) {
        CHECK(d.n_feat == 3, "context default: %d features", d.n_feat);
        CHECK(d.notes && strstr(d.notes, "interactions.csv: device, hour, labels not used (name them in "
                                         "context= to use them as context features of the user tower)"),
              "notes: %s", d.notes ? d.notes : "(none)");
        tt_dataset_free(&d);
    } else {
        CHECK(0, "context default: %s", err.msg);
    }
    /* The key and time columns are not context; neither is a label, unless allowed. */
    o.context = "time";
    CHECK(tt_load_csv(&o, &d, &err) == -1, "context=time accepted");
    CHECK_ERR(err.msg, "found 'time' (the time column) in context=");
    o.context = "user";
    CHECK(tt_load_csv(&o, &d, &err) == -1, "context=user accepted");
    CHECK_ERR(err.msg, "found 'user' (the user column) in context=");
    CHECK(tt_dataset_label_like("rating") && tt_dataset_label_like("Rating") &&
          tt_dataset_label_like("user_rating") && tt_dataset_label_like("is-click") &&
          tt_dataset_label_like("score") && !tt_dataset_label_like("device") &&
          !tt_dataset_label_like("ratingsystem") && !tt_dataset_label_like("hour") &&
          !tt_dataset_label_like("labels"),
          "label-like names");

    /* Tab separator, own column names, numeric keys ordered as numbers. */
    tt_csv_opts_init(&o);
    o.inter_path = fixture("csv/interactions.tsv");
    o.sep = '\t';
    o.user_col = "uid";
    o.item_col = "iid";
    o.time_col = "ts";
    if (tt_load_csv(&o, &d, &err) == 0) {
        CHECK(d.n_users == 2 && d.n_items == 3 && d.n_feat == 3, "tsv sizes");
        CHECK_STR(d.user_key[1], "12");
        static const int32_t ii[] = {0, 1, 2, 2};
        for (int r = 0; r < 4; r++)
            CHECK(d.ii[r] == ii[r], "tsv row %d item %d", r, d.ii[r]);
        tt_dataset_free(&d);
    } else {
        CHECK(0, "tsv: %s", err.msg);
    }

    /* No time column: file order. */
    tt_csv_opts_init(&o);
    o.inter_path = fixture("csv/notime.csv");
    o.sep = ';';
    if (tt_load_csv(&o, &d, &err) == 0) {
        static const int64_t t[] = {1, 3, 0, 2};
        static const int32_t ii[] = {0, 2, 1, 0};
        for (int r = 0; r < 4; r++)
            CHECK(d.it[r] == t[r] && d.ii[r] == ii[r], "notime row %d", r);
        tt_dataset_free(&d);
    } else {
        CHECK(0, "notime: %s", err.msg);
    }

    /* Many distinct numbers: inferred numeric, 10 quantile buckets. */
    tt_csv_opts_init(&o);
    o.inter_path = fixture("csv/scores.csv");
    /* "score" reads like a label: refused as context unless allowed, then flagged */
    o.context = "score";
    CHECK(tt_load_csv(&o, &d, &err) == -1, "a label-like context column accepted");
    CHECK_ERR(err.msg, "'score' looks like the label of the interaction", "allow_label=score");
    o.allow_label = "score";
    if (tt_load_csv(&o, &d, &err) == 0) {
        const tt_feature *f = feat(&d, "score");
        CHECK(f->label_like == 1, "score not flagged label-like");
        CHECK(f->kind == TT_NUM && f->n_edges == 9 && f->card == 11, "score %d edges", f->n_edges);
        int64_t tot = 0;
        for (int k = 1; k < f->card; k++) {
            CHECK(f->freq[k] == 3, "bucket %d holds %lld", k, (long long)f->freq[k]);
            tot += f->freq[k];
        }
        CHECK(tot == 30 && f->freq[0] == 0, "score freq");
        tt_dataset_free(&d);
    } else {
        CHECK(0, "scores: %s", err.msg);
    }
}

/* One bad CSV load: fails, leaves *d alone, message holds every needle. */
static void bad_csv(const char *inter, const char *users, const char *items, const char *kinds,
                    const char *user_col, const char *n1, const char *n2)
{
    tt_csv_opts o;
    tt_dataset d, before;
    tt_err err;
    tt_csv_opts_init(&o);
    o.inter_path = fixture(inter);
    o.user_path = users ? fixture(users) : NULL;
    o.item_path = items ? fixture(items) : NULL;
    o.kinds = kinds;
    if (user_col)
        o.user_col = user_col;
    memset(&d, 0xAB, sizeof d);
    before = d;
    err.msg[0] = 0;
    int rc = tt_load_csv(&o, &d, &err);
    CHECK(rc == -1, "%s loaded", inter);
    if (rc == 0) {
        tt_dataset_free(&d);
        return;
    }
    CHECK(memcmp(&d, &before, sizeof d) == 0, "%s: *out touched on failure", inter);
    CHECK_ERR(err.msg, n1, n2);
}

static void bad_ml(const char *dir, const char *n1, const char *n2)
{
    tt_dataset d, before;
    tt_err err;
    memset(&d, 0xCD, sizeof d);
    before = d;
    err.msg[0] = 0;
    int rc = tt_load_movielens(fixture(dir), &d, &err);
    CHECK(rc == -1, "%s loaded", dir);
    if (rc == 0) {
        tt_dataset_free(&d);
        return;
    }
    CHECK(memcmp(&d, &before, sizeof d) == 0, "%s: *out touched on failure", dir);
    CHECK_ERR(err.msg, n1, n2);
}

static void test_bad_inputs(void)
{
    bad_csv("bad/nonexistent.csv", NULL, NULL, NULL, NULL, "cannot open '",
            "bad/nonexistent.csv': No such file");
    bad_csv("bad/empty.csv", NULL, NULL, NULL, NULL, "empty.csv:1: ", "expected a header line");
    bad_csv("bad/header_only.csv", NULL, NULL, NULL, NULL, "header_only.csv:2: ",
            "expected interaction rows");
    bad_csv("bad/wrong_count.csv", NULL, NULL, NULL, NULL, "wrong_count.csv:3: ",
            "expected 3 fields as in the header, found 2");
    bad_csv("bad/bad_time.csv", NULL, NULL, NULL, NULL, "bad_time.csv:4: ",
            "expected a numeric time or an ISO-8601 date in column 'time', found 'yesterday'");
    bad_csv("bad/dup_header.csv", NULL, NULL, NULL, NULL, "dup_header.csv:1: ",
            "expected distinct column names, found 'user' twice");
    bad_csv("bad/latin1.csv", NULL, NULL, NULL, NULL, "latin1.csv:3: ",
            "expected UTF-8 text, found the byte 0xC9");
    bad_csv("bad/open_quote.csv", NULL, NULL, NULL, NULL, "open_quote.csv:2: ",
            "expected a closing quote");
    bad_csv("bad/junk_after_quote.csv", NULL, NULL, NULL, NULL, "junk_after_quote.csv:2: ",
            "expected a separator after a closing quote, found 'y'");
    bad_csv("bad/empty_name.csv", NULL, NULL, NULL, NULL, "empty_name.csv:1: ",
            "expected a name for column 2");
    bad_csv("bad/empty_item.csv", NULL, NULL, NULL, NULL, "empty_item.csv:2: ",
            "expected an item id in column 'item', found an empty field");
    bad_csv("csv/interactions.csv", "bad/dup_users.csv", NULL, NULL, NULL, "dup_users.csv:4: ",
            "expected each user once, found 'u1' again (first on line 2)");
    bad_csv("csv/interactions.csv", NULL, "bad/items_text.csv", "score:numeric", NULL,
            "items_text.csv:2: ", "expected a number in numeric column 'score', found 'high'");
    bad_csv("csv/interactions.csv", NULL, "bad/reserved.csv", NULL, NULL, "reserved.csv:1: ",
            "found 'hist'");
    bad_csv("csv/interactions.csv", NULL, NULL, NULL, "usr", "interactions.csv:1: ",
            "expected a column named 'usr' (the user column), found columns user, item");
    bad_csv("csv/interactions.csv", NULL, NULL, NULL, "usr", "did you mean 'user'?", "labels");
    bad_csv("csv/interactions.csv", "csv/users.csv", NULL, "agee:numeric", NULL,
            "kinds: expected the name of a feature column, found 'agee'", "did you mean 'age'?");
    bad_csv("csv/interactions.csv", "csv/users.csv", NULL, "age:vector", NULL,
            "kinds: expected categorical, set or numeric", "found 'vector'");
    bad_csv("csv/interactions.csv", "csv/users.csv", "csv/users.csv", NULL, NULL,
            "users.csv:1: ", "expected a new feature name, found 'age'");
    {
        /* an explicit time column that is not there */
        tt_csv_opts o;
        tt_dataset d;
        tt_err err;
        tt_csv_opts_init(&o);
        o.inter_path = fixture("csv/notime.csv");
        o.sep = ';';
        o.time_col = "time";
        CHECK(tt_load_csv(&o, &d, &err) == -1, "missing time column loaded");
        CHECK_ERR(err.msg, "notime.csv:1: ", "expected a column named 'time' (the time column)");
    }
    {
        /* sizes that do not fit: the allocation limit refuses before malloc */
        tt_csv_opts o;
        tt_dataset d;
        tt_err err;
        size_t keep = tt_alloc_limit;
        tt_csv_opts_init(&o);
        o.inter_path = fixture("csv/interactions.csv");
        tt_alloc_limit = 100;
        CHECK(tt_load_csv(&o, &d, &err) == -1, "loaded over the limit");
        tt_alloc_limit = keep;
        CHECK_ERR(err.msg, "interactions.csv", "refusing to allocate");
    }
    bad_ml("ml100k-nonexistent", "ml100k-nonexistent: cannot open", "no such folder");
    bad_ml("bad/not-movielens", "not-movielens: expected a MovieLens folder", "found neither");
    bad_ml("bad/ml100k-bad-id", "ml100k-bad-id/u.data:2: ",
           "expected a numeric user id, found 'x12'");
    bad_ml("bad/ml100k-bad-time", "ml100k-bad-time/u.data:3: ",
           "expected a numeric timestamp, found 'later'");
    bad_ml("bad/ml100k-bad-fields", "ml100k-bad-fields/u.user:2: ",
           "expected 5 fields separated by '|', found 4");
    bad_ml("bad/ml100k-empty", "ml100k-empty/u.data:1: ", "found an empty file");
    bad_ml("bad/ml100k-unknown-user", "ml100k-unknown-user/u.data:2: ",
           "expected a user listed in");
    bad_ml("bad/ml100k-missing-item", "cannot open '",
           "ml100k-missing-item/u.item': No such file");
    bad_ml("bad/ml100k-bad-date", "ml100k-bad-date/u.item:1: ",
           "expected a release date like 01-Jan-1995, found 'sometime'");
    bad_ml("bad/ml100k-bad-age", "ml100k-bad-age/u.user:2: ",
           "expected a numeric age, found '3\\xE9\\x01'"); /* bytes shown safely */
    bad_ml("bad/ml1m-bad", "ml1m-bad/ratings.dat:2: ", "expected 4 fields separated by '::', found 3");
}

/* A successful load into a struct that holds a dataset, then a failing one:
 * the dataset is still there, whole. */
static void test_atomic(void)
{
    tt_dataset d, keep;
    tt_err err;
    tt_synth_opts so;
    tt_csv_opts o;
    memset(&d, 0, sizeof d);
    tt_synth_preset("tiny", &so);
    if (tt_synth_generate(&so, &d, &err)) {
        CHECK(0, "synth: %s", err.msg);
        return;
    }
    keep = d;
    tt_csv_opts_init(&o);
    o.inter_path = fixture("bad/wrong_count.csv");
    CHECK(tt_load_csv(&o, &d, &err) == -1, "bad csv loaded");
    CHECK(tt_load_movielens(fixture("bad/ml100k-bad-id"), &d, &err) == -1, "bad ml loaded");
    so.users = 1000000000;
    CHECK(tt_synth_generate(&so, &d, &err) == -1, "absurd synth generated");
    CHECK(memcmp(&d, &keep, sizeof d) == 0, "dataset touched by failed loads");
    CHECK(d.n_inter == 300 * 20 && d.iu[d.n_inter - 1] == 299, "dataset still whole");
    tt_dataset_free(&d);
}

/* Every feature's ids equal in two datasets. */
static int same_data(const tt_dataset *a, const tt_dataset *b)
{
    if (a->n_inter != b->n_inter || a->n_feat != b->n_feat || a->n_items != b->n_items)
        return 0;
    if (memcmp(a->iu, b->iu, (size_t)a->n_inter * 4) || memcmp(a->ii, b->ii, (size_t)a->n_inter * 4) ||
        memcmp(a->it, b->it, (size_t)a->n_inter * 8))
        return 0;
    for (int f = 0; f < a->n_feat; f++) {
        const tt_feature *x = &a->feat[f], *y = &b->feat[f];
        if (x->kind == TT_SEQ)
            continue;
        if (x->kind == TT_SET) {
            if (memcmp(x->off, y->off, (size_t)(x->n_rows + 1) * 8) ||
                memcmp(x->vals, y->vals, (size_t)x->off[x->n_rows] * 4))
                return 0;
        } else if (memcmp(x->ids, y->ids, (size_t)x->n_rows * 4)) {
            return 0;
        }
    }
    return 1;
}

static void test_synth(void)
{
    tt_synth_opts o;
    tt_dataset a, b;
    tt_err err;
    tt_synth_opts_init(&o);
    CHECK(o.users == 2000 && o.items == 1000 && o.clusters == 8 && o.per_user == 40 &&
          o.seed == 42, "defaults");
    CHECK(tt_synth_preset("nonesuch", &o) == -1 && o.users == 2000, "unknown preset");
    CHECK(tt_synth_preset("large", &o) == 0 && (int64_t)o.users * o.per_user == 1000000 &&
          o.items == 100000, "large preset");
    CHECK(tt_synth_preset_info(0, NULL) != NULL && tt_synth_preset_info(99, NULL) == NULL,
          "preset info");
    tt_synth_opts_init(&o);
    double t0 = tt_now();
    if (tt_synth_generate(&o, &a, &err)) {
        CHECK(0, "default: %s", err.msg);
        return;
    }
    double dt = tt_now() - t0;
    CHECK(dt < 2.0, "default took %.2f s", dt); /* ~0.01 s; generous for sanitizers */
    CHECK(a.n_users == 2000 && a.n_items == 1000 && a.n_inter == 80000, "default sizes");
    CHECK_STR(a.name, "synthetic");
    static const char *names[] = {"user_id", "taste", "age", "region", "zip", "hist", "mode",
                                  "slot", "item_id", "category", "color", "tags"};
    static const char *planted[] = {"id", "informative", "informative-weak", "noise-user",
                                    "noise-user", "history", "informative-context",
                                    "noise-context", "id", "informative", "noise-item",
                                    "informative"};
    CHECK(a.n_feat == 12 && a.planted, "%d features", a.n_feat);
    for (int f = 0; f < 12 && f < a.n_feat && a.planted; f++) {
        CHECK_STR(a.feat[f].name, names[f]);
        CHECK_STR(a.planted[f], planted[f]);
    }
    CHECK(feat(&a, "zip")->card == 1501 && feat(&a, "slot")->card == 51 &&
          feat(&a, "slot")->side == TT_CTX && feat(&a, "slot")->n_rows == 80000, "cards");
    /* zip is long-tailed: its most common value is far above the median one */
    const tt_feature *z = feat(&a, "zip");
    CHECK(z->freq[1] > 100 && z->freq[750] <= 2, "zip head %lld tail %lld",
          (long long)z->freq[1], (long long)z->freq[750]);
    /* timestamps strictly increase per user (no ties for leave-last-two-out) */
    for (int64_t r = 1; r < a.n_inter; r++)
        if (a.iu[r] == a.iu[r - 1] && a.it[r] <= a.it[r - 1]) {
            CHECK(0, "tie or disorder at row %lld", (long long)r);
            break;
        }
    /* every user's items are distinct */
    int32_t *seen = calloc((size_t)a.n_items, sizeof *seen);
    for (int64_t r = 0; r < a.n_inter; r++) {
        if (seen[a.ii[r]] == a.iu[r] + 1) {
            CHECK(0, "user %d repeats item %d", a.iu[r], a.ii[r]);
            break;
        }
        seen[a.ii[r]] = a.iu[r] + 1;
    }
    free(seen);
    /* determinism by seed */
    if (tt_synth_generate(&o, &b, &err) == 0) {
        CHECK(same_data(&a, &b), "same seed, different data");
        tt_dataset_free(&b);
    }
    o.seed = 7;
    if (tt_synth_generate(&o, &b, &err) == 0) {
        CHECK(!same_data(&a, &b), "different seeds, same data");
        tt_dataset_free(&b);
    }
    tt_dataset_free(&a);
    /* absurd sizes are refused before allocating */
    tt_synth_opts_init(&o);
    o.users = 1000000000;
    CHECK(tt_synth_bytes(&o) > 1e12, "estimate %g", tt_synth_bytes(&o));
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "1e9 users generated");
    CHECK_ERR(err.msg, "synthetic: ", "refusing");
    tt_synth_opts_init(&o);
    o.items = 100000000;
    o.users = 100000000;
    o.per_user = 1;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "1e8 x 1e8 generated");
    CHECK_ERR(err.msg, "refusing", "");
    tt_synth_opts_init(&o);
    o.per_user = 2000;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "per_user > items");
    CHECK_ERR(err.msg, "expected per_user <= items", "found per_user=2000 items=1000");
    tt_synth_opts_init(&o);
    o.clusters = 0;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "0 clusters");
    CHECK_ERR(err.msg, "clusters >= 1", "found");
}

/* The item's latent cluster, read back from its title "item 17 (cluster 3)". */
static int item_cluster(const tt_dataset *d, int32_t i)
{
    const char *p = strstr(d->item_title[i], "(cluster ");
    return p ? atoi(p + 9) : -1;
}

static int cmp_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

/* Mean over users of the share of their interactions in their k-th most
 * frequent item cluster (k = 1, 2, ...). */
static double kth_cluster_share(const tt_dataset *d, int C, int k)
{
    int *cnt = calloc((size_t)C, sizeof *cnt);
    double sum = 0;
    int64_t r = 0;
    for (int32_t u = 0; u < d->n_users; u++) {
        int n = 0;
        memset(cnt, 0, (size_t)C * sizeof *cnt);
        for (; r < d->n_inter && d->iu[r] == u; r++, n++)
            cnt[item_cluster(d, d->ii[r])]++;
        qsort(cnt, (size_t)C, sizeof *cnt, cmp_desc);
        sum += n ? (double)cnt[k - 1] / n : 0;
    }
    free(cnt);
    return sum / d->n_users;
}

static int gen(const char *preset, tt_synth_opts *o, tt_dataset *d)
{
    tt_err err;
    if (preset)
        tt_synth_preset(preset, o);
    if (tt_synth_generate(o, d, &err)) {
        CHECK(0, "%s: %s", preset ? preset : "synthetic", err.msg);
        return -1;
    }
    return 0;
}

/* The protocol label of d under l2o (the structures' letters after the seed). */
static void check_label(tt_dataset *d, const char *want)
{
    tt_split sp;
    tt_err err;
    int rc = tt_split_l2o(d, 20, &sp, &err);
    CHECK(rc == 0, "l2o: %s", rc ? err.msg : "");
    if (rc == 0) {
        CHECK_STR(sp.protocol, want);
        tt_split_free(&sp);
    }
}

/* The structures planted for the models after SENet (datasets/README.md),
 * each present in the data it is asked for, absent otherwise (fixed seeds). */
static void test_synth_structures(void)
{
    tt_synth_opts o;
    tt_dataset a, b;
    tt_err err;
    tt_split sp;

    /* Off by default: no new feature, the source line and label of today. */
    tt_synth_opts_init(&o);
    CHECK(o.tastes == 1 && o.cross == 0 && o.tails == 0, "structures on by default");
    if (gen(NULL, &o, &a))
        return;
    CHECK(a.n_feat == 12 && tt_dataset_find(&a, "mood") < 0 && tt_dataset_find(&a, "tail1") < 0,
          "default has %d features", a.n_feat);
    CHECK_STR(a.source, "synthetic users=2000 items=1000 clusters=8 per_user=40 seed=42");
    tt_dataset_free(&a);

    /* (a) tastes=4: the 4th most frequent cluster of a user holds a real share
     * of their items (measured 0.119; 4 tastes drawn uniformly, about 4 of a
     * user's 20 items each), where with one taste it holds only the spill of
     * the 20% drawn from all items (0.050). The first holds 0.467 with one
     * taste, not 0.8: 20 distinct items per user exhaust a cluster of 10. */
    if (gen("tastes", &o, &a))
        return;
    CHECK(o.tastes == 4 && o.clusters == 64, "tastes preset");
    double s1 = kth_cluster_share(&a, 64, 1), s4 = kth_cluster_share(&a, 64, 4);
    double top4 = s1 + kth_cluster_share(&a, 64, 2) + kth_cluster_share(&a, 64, 3) + s4;
    o.tastes = 1;
    if (gen(NULL, &o, &b))
        return;
    double one1 = kth_cluster_share(&b, 64, 1), one4 = kth_cluster_share(&b, 64, 4);
    printf("tastes=4: cluster shares 1st %.3f 4th %.3f top-4 %.3f; tastes=1: 1st %.3f 4th %.3f\n",
           s1, s4, top4, one1, one4);
    CHECK(s4 > 0.10 && top4 > 0.7 && s1 < 0.35, "tastes=4: 4th %.3f top-4 %.3f 1st %.3f", s4, top4, s1);
    CHECK(one1 > 0.4 && one4 < 0.07, "tastes=1: 1st %.3f 4th %.3f", one1, one4);
    if (tt_split_l2o(&a, 20, &sp, &err) == 0) {
        CHECK_STR(sp.protocol, "synthetic-2000x640-c64-p20-s42-t4-l2o");
        tt_split_free(&sp);
    }
    tt_dataset_free(&a);
    tt_dataset_free(&b);

    /* (b) cross=4: an interaction's item has style (mood + cluster) mod 4 far
     * more often than 1/4 (measured 0.493: each user's distinct items exhaust
     * the right style of their cluster, so less than 0.8 x 0.8), while mood alone says nothing about the style
     * (every style about 1/4 of each mood's interactions). */
    if (gen("cross", &o, &a))
        return;
    const tt_feature *mood = feat(&a, "mood"), *style = feat(&a, "style");
    if (!mood || !style)
        return;
    CHECK_STR(a.planted[tt_dataset_find(&a, "mood")], "cross-user");
    CHECK_STR(a.planted[tt_dataset_find(&a, "style")], "cross-item");
    CHECK(mood->side == TT_USER && style->side == TT_ITEM && mood->card == 5, "mood/style");
    int64_t match = 0, ms[4][4] = {{0}}, mn[4] = {0};
    for (int64_t r = 0; r < a.n_inter; r++) {
        int m = mood->ids[a.iu[r]] - 1, y = style->ids[a.ii[r]] - 1;
        match += y == (m + item_cluster(&a, a.ii[r])) % 4;
        ms[m][y]++;
        mn[m]++;
    }
    double pm = (double)match / a.n_inter, dev = 0;
    for (int m = 0; m < 4; m++)
        for (int y = 0; y < 4; y++)
            dev = fmax(dev, fabs((double)ms[m][y] / mn[m] - 0.25));
    printf("cross=4: style = (mood + cluster) mod 4 in %.3f of interactions; "
           "mood alone: largest deviation from 1/4 %.3f\n", pm, dev);
    CHECK(pm > 0.4, "cross: match share %.3f", pm);
    CHECK(dev < 0.06, "cross: mood alone informative (%.3f)", dev);
    check_label(&a, "synthetic-1000x500-c8-p30-s42-x4-l2o");
    tt_dataset_free(&a);

    /* (c) tails=4: context fields tail1..tail4, long-tailed (Zipf over 1000
     * values: the head value about 18% of the rows, dozens of values seen
     * at most 5 times), and independent of the item (the head value's share is the same
     * in every item cluster). */
    if (gen("tails", &o, &a))
        return;
    for (int k = 1; k <= 4; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "tail%d", k);
        const tt_feature *t = feat(&a, nm);
        if (!t)
            return;
        CHECK(t->side == TT_CTX && t->card == 1001 && t->n_rows == a.n_inter, "%s shape", nm);
        CHECK_STR(a.planted[tt_dataset_find(&a, nm)], "noise-context-tail");
        int64_t head = 0, rare = 0, hc[8] = {0}, nc[8] = {0};
        for (int v = 1; v < t->card; v++)
            rare += t->freq[v] <= 5;
        for (int64_t r = 0; r < a.n_inter; r++) {
            int c = item_cluster(&a, a.ii[r]);
            head += t->ids[r] == 1;
            hc[c] += t->ids[r] == 1;
            nc[c]++;
        }
        double share = (double)head / a.n_inter, dev1 = 0;
        for (int c = 0; c < 8; c++)
            dev1 = fmax(dev1, fabs((double)hc[c] / nc[c] - share));
        if (k == 1)
            printf("tails=4: tail1 head value %.3f of rows, %lld values seen <= 5 times, "
                   "largest deviation by item cluster %.3f\n", share, (long long)rare, dev1);
        CHECK(share > 0.15 && share < 0.21 && rare > 20, "%s: head %.3f rare %lld", nm, share,
              (long long)rare);
        CHECK(dev1 < 0.02, "%s depends on the item cluster (%.3f)", nm, dev1);
    }
    if (tt_split_l2o(&a, 20, &sp, &err) == 0) {
        CHECK_STR(sp.protocol, "synthetic-2000x1000-c8-p40-s42-n4-l2o");
        tt_split_free(&sp);
    }
    tt_dataset_free(&a);

    /* Bad values, before anything is allocated. */
    tt_synth_opts_init(&o);
    o.tastes = 9;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "tastes > clusters");
    CHECK_ERR(err.msg, "synthetic: expected 1 <= tastes <= clusters", "found tastes=9 clusters=8");
    tt_synth_opts_init(&o);
    o.cross = 1;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "cross=1");
    CHECK_ERR(err.msg, "expected cross = 0 (off) or >= 2", "found cross=1 tails=0");
    tt_synth_opts_init(&o);
    o.tails = 17;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "tails=17");
    CHECK_ERR(err.msg, "0 <= tails <= 16", "found cross=0 tails=17");
}

/* cast=4 (datasets/README.md): users take items that hold their favourite
 * value (fan) in any of the four cast fields, far above chance (4 of 100
 * values; measured 0.720, below 0.8 because a user exhausts the 80 or so
 * items of a value), and no field is special: each holds about a quarter of the
 * matches (the OR over fields that the FE-Block's max reads). Off by default:
 * no feature. */
static void test_synth_cast(void)
{
    tt_synth_opts o;
    tt_dataset a;
    tt_err err;

    tt_synth_opts_init(&o);
    CHECK(o.cast == 0, "cast on by default");
    if (gen("cast", &o, &a))
        return;
    CHECK(o.cast == 4 && o.users == 2000 && o.items == 2000, "cast preset");
    const tt_feature *fan = feat(&a, "fan"), *cf[4];
    if (!fan)
        return;
    CHECK_STR(a.planted[tt_dataset_find(&a, "fan")], "cast-user");
    CHECK(fan->side == TT_USER && fan->card == 101, "fan: side %d card %d", fan->side, fan->card);
    for (int k = 0; k < 4; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "cast%d", k + 1);
        if (!(cf[k] = feat(&a, nm)))
            return;
        CHECK_STR(a.planted[tt_dataset_find(&a, nm)], "cast-item");
        CHECK(cf[k]->side == TT_ITEM && cf[k]->card == 101, "%s shape", nm);
    }
    CHECK(tt_dataset_find(&a, "cast5") < 0, "cast5 with cast=4");
    int dups = 0;
    for (int32_t i = 0; i < a.n_items; i++)
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < k; j++)
                dups += cf[k]->ids[i] == cf[j]->ids[i];
    CHECK(dups == 0, "cast: %d items hold a value twice", dups);
    int64_t match = 0, by[4] = {0};
    for (int64_t r = 0; r < a.n_inter; r++) {
        int32_t f = fan->ids[a.iu[r]], i = a.ii[r];
        for (int k = 0; k < 4; k++)
            if (cf[k]->ids[i] == f) {
                match++;
                by[k]++;
            }
    }
    double pm = (double)match / a.n_inter, dev = 0;
    for (int k = 0; k < 4; k++)
        dev = fmax(dev, fabs((double)by[k] / (double)match - 0.25));
    printf("cast=4: the fan value in some cast field in %.3f of interactions; "
           "largest deviation of a field's share of them from 1/4 %.3f\n", pm, dev);
    CHECK(pm > 0.6, "cast: match share %.3f", pm);
    CHECK(dev < 0.02, "cast: one field holds the matches (%.3f)", dev);
    check_label(&a, "synthetic-2000x2000-c8-p30-s42-a4-l2o");
    tt_dataset_free(&a);

    tt_synth_opts_init(&o);
    o.cast = 17;
    CHECK(tt_synth_generate(&o, &a, &err) == -1, "cast=17");
    CHECK_ERR(err.msg, "synthetic: expected 0 <= cast <= 16", "found cast=17");
}

int main(void)
{
    test_ml100k_tiny();
    test_ml100k_line_ends();
    test_ml1m_tiny();
    test_csv();
    test_bad_inputs();
    test_atomic();
    test_synth();
    test_synth_structures();
    test_synth_cast();
    return tt_check_done("test_data");
}

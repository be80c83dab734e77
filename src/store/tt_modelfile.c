/* tt_modelfile: save and open model files (format in tt_modelfile.h). */
#include "tt_modelfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tt_file.h"
#include "tt_losses.h"
#include "tt_mkind.h"

static const char MAGIC[8] = {'T', 'T', 'L', 'A', 'B', 'M', 'O', 'D'};
#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_DEFS TAG('D', 'E', 'F', 'S')
#define TAG_SCHM TAG('S', 'C', 'H', 'M')
#define TAG_PARM TAG('P', 'A', 'R', 'M')
#define TAG_RUNS TAG('R', 'U', 'N', 'S')
#define TAG_HIST TAG('H', 'I', 'S', 'T')
#define TAG_EVOL TAG('E', 'V', 'O', 'L')
#define TAG_MINT TAG('M', 'I', 'N', 'T')
#define TAG_KOPT TAG('K', 'O', 'P', 'T')
#define TAG_DSID TAG('D', 'S', 'I', 'D')
#define TAG_INTR TAG('I', 'N', 'T', 'R')
#define HEADER 24

uint32_t tt_crc32(uint32_t crc, const void *buf, size_t n)
{
    static uint32_t table[256];
    static int init;
    if (!init) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        init = 1;
    }
    const unsigned char *p = buf;
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- a growing byte buffer for writing ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *x, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, x, n);
    b->n += n;
}
/* Little-endian integers regardless of the host (the file is portable). */
static void put_u32(wbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, c, 4);
}
static void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}
static void put_i32(wbuf *b, int32_t v) { put_u32(b, (uint32_t)v); }
static void put_f32(wbuf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}
static void put_f64(wbuf *b, double f)
{
    uint64_t u;
    memcpy(&u, &f, 8);
    put_u64(b, u);
}
static void put_str(wbuf *b, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : 0;
    put_u32(b, n);
    put(b, s, n);
}

/* ---- a bounds-checked reader ---- */

typedef struct rbuf {
    const unsigned char *p, *end;
    int bad;
} rbuf;

static const unsigned char *take(rbuf *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = r->p;
    r->p += n;
    return q;
}
static uint32_t get_u32(rbuf *r)
{
    const unsigned char *c = take(r, 4);
    return c ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24 : 0;
}
static uint64_t get_u64(rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}
static int32_t get_i32(rbuf *r) { return (int32_t)get_u32(r); }
static float get_f32(rbuf *r)
{
    uint32_t u = get_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double get_f64(rbuf *r)
{
    uint64_t u = get_u64(r);
    double f;
    memcpy(&f, &u, 8);
    return f;
}
/* A string into buf (n bytes); returns its length, or -1 (bad or too long). */
static int get_str(rbuf *r, char *buf, size_t n)
{
    uint32_t l = get_u32(r);
    const unsigned char *c = take(r, l);
    if (!c || l >= n) {
        r->bad = 1;
        return -1;
    }
    memcpy(buf, c, l);
    buf[l] = 0;
    return (int)l;
}
/* Compare a stored string to s without copying. */
static int str_eq(rbuf *r, const char *s)
{
    uint32_t l = get_u32(r);
    const unsigned char *c = take(r, l);
    size_t sl = s ? strlen(s) : 0;
    return c && l == sl && memcmp(c, s ? s : "", l) == 0;
}

/* ---- definitions ---- */

static void put_tower(wbuf *b, const tt_tower_def *t)
{
    put_str(b, t->name);
    put_i32(b, t->dim);
    put_i32(b, t->n_fields);
    for (int i = 0; i < t->n_fields; i++)
        put_str(b, t->fields[i]);
    put_i32(b, t->senet);
    put_i32(b, t->se_r);
    put_i32(b, (int32_t)t->se_squeeze);
    put_i32(b, (int32_t)t->se_gate);
    put_i32(b, t->se_groups);
    put_i32(b, t->n_chan);
    for (int c = 0; c < t->n_chan; c++) {
        const tt_chan_def *ch = &t->chan[c];
        put_i32(b, (int32_t)ch->kind);
        put_i32(b, ch->n_widths);
        for (int i = 0; i < ch->n_widths; i++)
            put_i32(b, ch->widths[i]);
        put_i32(b, ch->n_layers);
        put_i32(b, ch->out);
    }
    put_i32(b, t->l2norm);
}

static int get_tower(rbuf *r, tt_tower_def *t)
{
    memset(t, 0, sizeof *t);
    get_str(r, t->name, sizeof t->name);
    t->dim = get_i32(r);
    t->n_fields = get_i32(r);
    if (t->n_fields < 0 || t->n_fields > TT_MAX_FIELDS)
        return r->bad = 1, -1;
    for (int i = 0; i < t->n_fields; i++)
        get_str(r, t->fields[i], TT_NAME_MAX);
    t->senet = get_i32(r);
    t->se_r = get_i32(r);
    t->se_squeeze = (enum tt_squeeze)get_i32(r);
    t->se_gate = (enum tt_gate)get_i32(r);
    t->se_groups = get_i32(r);
    t->n_chan = get_i32(r);
    if (t->n_chan < 0 || t->n_chan > TT_MAX_CHAN || (unsigned)t->se_squeeze > 2 ||
        (unsigned)t->se_gate > 1 || t->se_r < 0 || t->se_groups < 0 ||
        (unsigned)t->senet > TT_RW_LIGHTSE)
        return r->bad = 1, -1;
    for (int c = 0; c < t->n_chan; c++) {
        tt_chan_def *ch = &t->chan[c];
        ch->kind = (enum tt_chan_kind)get_i32(r);
        ch->n_widths = get_i32(r);
        if ((unsigned)ch->kind > 2 || ch->n_widths < 0 || ch->n_widths > TT_MAX_LAYERS)
            return r->bad = 1, -1;
        for (int i = 0; i < ch->n_widths; i++)
            ch->widths[i] = get_i32(r);
        ch->n_layers = get_i32(r);
        ch->out = get_i32(r);
    }
    t->l2norm = get_i32(r);
    return r->bad || t->dim < 1 || t->dim > 4096 ? -1 : 0;
}

static void put_metrics(wbuf *b, const tt_metrics *m)
{
    put_i32(b, m->n_k);
    for (int i = 0; i < m->n_k; i++) {
        put_i32(b, m->k[i]);
        put_f64(b, m->recall[i]);
        put_f64(b, m->hitrate[i]);
        put_f64(b, m->ndcg[i]);
    }
    put_f64(b, m->mrr);
    put_u64(b, (uint64_t)m->n_examples);
    put_i32(b, m->n_users);
}

static int get_metrics(rbuf *r, tt_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->n_k = get_i32(r);
    if (m->n_k < 0 || m->n_k > TT_MAX_K)
        return -1;
    for (int i = 0; i < m->n_k; i++) {
        m->k[i] = get_i32(r);
        m->recall[i] = get_f64(r);
        m->hitrate[i] = get_f64(r);
        m->ndcg[i] = get_f64(r);
    }
    m->mrr = get_f64(r);
    m->n_examples = (int64_t)get_u64(r);
    m->n_users = get_i32(r);
    return r->bad ? -1 : 0;
}

/* HIST: per run of RUNS, in order: its thread count and its history. */
static void put_hist(wbuf *b, const tt_modelent *me)
{
    put_i32(b, me->n_runs);
    for (int k = 0; k < me->n_runs; k++) {
        const tt_run *ru = &me->runs[k];
        const tt_history *h = &ru->h;
        put_i32(b, ru->threads);
        put_i32(b, h->n);
        put_i32(b, h->n_se[0]);
        put_i32(b, h->n_se[1]);
        for (int e = 0; e < h->n; e++) {
            put_f64(b, h->loss[e]);
            put_f64(b, h->seconds[e]);
            put_metrics(b, &h->valid[e]);
            for (int side = 0; side < 2; side++)
                for (int f = 0; f < h->n_se[side]; f++)
                    put_f32(b, h->se[side][(size_t)e * TT_MAX_FIELDS + f]);
        }
        put_i32(b, h->n_smooth);
        put_u64(b, (uint64_t)h->smooth_stride);
        for (int j = 0; j < h->n_smooth; j++)
            put_f32(b, h->smooth[j]);
    }
}

static void section(wbuf *out, uint32_t tag, const wbuf *body)
{
    put_u32(out, tag);
    put_u64(out, body->n);
    put(out, body->p, body->n);
}

int tt_modelfile_save(const char *path, const tt_modelent *me, tt_model *m,
                      const tt_dataset *d, tt_err *err)
{
    wbuf all = {0}, s = {0};
    int rc = -1;
    /* header; the payload length is patched in below */
    put(&all, MAGIC, 8);
    put_u32(&all, TT_MODELFILE_VERSION);
    put_u32(&all, 0);
    put_u64(&all, 0);

    const tt_model_def *md = &me->def;
    put_str(&s, md->name);
    put_i32(&s, (int32_t)tt_mkind_get(md->kind)->code);   /* stable, not the table's place */
    put_str(&s, md->user_tower);
    put_str(&s, md->item_tower);
    put_i32(&s, (int32_t)md->sim);
    put_f32(&s, md->temp);
    put_i32(&s, (int32_t)md->fusion);
    put_i32(&s, (int32_t)md->loss);
    put_i32(&s, md->logq);
    put_i32(&s, md->mask_hits);
    put_i32(&s, md->neg);
    put_i32(&s, (int32_t)md->sampler);
    put_f32(&s, md->alpha);
    put_tower(&s, &me->u);
    put_tower(&s, &me->i);
    section(&all, TAG_DEFS, &s);

    if (md->kind != TT_MODEL_TWOTOWER) {
        /* A baseline's options, in its kind's table order. */
        s.n = 0;
        put_i32(&s, TT_KOPT_MAX);
        for (int k = 0; k < TT_KOPT_MAX; k++)
            put_f64(&s, md->kopt[k]);
        section(&all, TAG_KOPT, &s);
    }

    s.n = 0;
    put_i32(&s, (int32_t)md->augment);
    put_f32(&s, md->dat_w);
    section(&all, TAG_EVOL, &s);

    if (me->u.interests || me->i.interests) {   /* the interests stage of each tower */
        s.n = 0;
        for (int t = 0; t < 2; t++) {
            const tt_tower_def *td = t ? &me->i : &me->u;
            put_i32(&s, td->interests);
            put_i32(&s, td->mi_via);
            put_i32(&s, td->mi_k);
            put_i32(&s, td->mi_out);
            put_i32(&s, td->mi_hidden);
        }
        put_f32(&s, me->u.mi_pow);
        put_f32(&s, me->i.mi_pow);
        put_i32(&s, me->u.mi_proj);
        put_i32(&s, me->i.mi_proj);
        put_i32(&s, me->u.mi_iters);
        put_i32(&s, me->i.mi_iters);
        section(&all, TAG_MINT, &s);
    }

    s.n = 0;
    put_i32(&s, (int32_t)md->interact);
    put_i32(&s, md->heads);
    put_f32(&s, md->cir);
    put_f32(&s, md->dat_ca);
    put_str(&s, md->dat_cat);
    section(&all, TAG_INTR, &s);

    s.n = 0;
    put_str(&s, d->name);
    put_i32(&s, d->n_users);
    put_i32(&s, d->n_items);
    put_i32(&s, d->n_feat);
    for (int f = 0; f < d->n_feat; f++) {
        const tt_feature *ft = &d->feat[f];
        put_str(&s, ft->name);
        put_i32(&s, (int32_t)ft->kind);
        put_i32(&s, (int32_t)ft->side);
        put_i32(&s, ft->card);
        put_i32(&s, ft->vocab != NULL);
        for (int32_t v = 0; ft->vocab && v < ft->card; v++)
            put_str(&s, ft->vocab[v]);
        put_i32(&s, ft->n_edges);
        for (int e = 0; e < ft->n_edges; e++)
            put_f64(&s, ft->edges[e]);
    }
    for (int32_t u = 0; u < d->n_users; u++)
        put_str(&s, d->user_key ? d->user_key[u] : "");
    for (int32_t i = 0; i < d->n_items; i++)
        put_str(&s, d->item_key ? d->item_key[i] : "");
    section(&all, TAG_SCHM, &s);

    s.n = 0;
    int64_t np = tt_model_param_count(m);
    put_u64(&s, (uint64_t)np);
    const float *P = tt_model_params(m);
    for (int64_t k = 0; k < np; k++)
        put_f32(&s, P[k]);
    section(&all, TAG_PARM, &s);

    s.n = 0;
    put_i32(&s, me->n_runs);
    for (int k = 0; k < me->n_runs; k++) {
        const tt_run *r = &me->runs[k];
        put_u64(&s, r->seed);
        put_f64(&s, r->seconds);
        put_f64(&s, r->ex_per_s);
        put_i32(&s, r->epochs);
        put_i32(&s, r->best_epoch);
        put_metrics(&s, &r->test);
    }
    section(&all, TAG_RUNS, &s);

    s.n = 0;
    put_hist(&s, me);
    section(&all, TAG_HIST, &s);

    s.n = 0;
    put_str(&s, me->data.name);
    put_str(&s, me->data.source);
    put_str(&s, me->data.split);
    put_str(&s, me->data.protocol);
    section(&all, TAG_DSID, &s);

    if (all.oom || s.oom) {
        tt_err_set(err, "out of memory while writing '%s'", path);
        goto out;
    }
    uint64_t P64 = all.n - HEADER;
    for (int k = 0; k < 8; k++)
        all.p[16 + k] = (unsigned char)(P64 >> (8 * k));
    put_u32(&all, tt_crc32(0, all.p, all.n));
    if (all.oom) {
        tt_err_set(err, "out of memory while writing '%s'", path);
        goto out;
    }
    tt_wfile a;
    if (tt_file_begin(&a, path, err))
        goto out;
    fwrite(all.p, 1, all.n, a.f);
    rc = tt_file_commit(&a, err);
out:
    free(all.p);
    free(s.p);
    return rc;
}

/* Compare the SCHM section with dataset d. Every mismatch names both
 * datasets: the model's (name, from the file) and d. */
static int check_schema(rbuf *r, const tt_dataset *d, tt_err *err)
{
    char name[256], buf[1024];
    const char *dn = d->name ? d->name : "?";
    get_str(r, name, sizeof name);
    int32_t nu = get_i32(r), ni = get_i32(r), nf = get_i32(r);
    if (r->bad)
        return tt_err_set(err, "corrupt model file: bad schema section");
    if (nu != d->n_users || ni != d->n_items)
        return tt_err_set(err, "schema mismatch: the model was saved from dataset '%s' (%d users, %d items); "
                          "the current dataset '%s' has %d users and %d items",
                          name, nu, ni, dn, d->n_users, d->n_items);
    if (nf != d->n_feat)
        return tt_err_set(err, "schema mismatch: the model's dataset '%s' had %d features, the current dataset '%s' has %d",
                          name, nf, dn, d->n_feat);
    for (int f = 0; f < nf; f++) {
        const tt_feature *ft = &d->feat[f];
        if (get_str(r, buf, sizeof buf) < 0)
            return tt_err_set(err, "corrupt model file: bad schema section");
        if (strcmp(buf, ft->name))
            return tt_err_set(err, "schema mismatch: feature %d is '%s' in the model's dataset '%s' and '%s' in dataset '%s'",
                              f + 1, buf, name, ft->name, dn);
        int32_t kind = get_i32(r), side = get_i32(r), card = get_i32(r), hv = get_i32(r);
        if (r->bad)
            return tt_err_set(err, "corrupt model file: bad schema section");
        if (kind != (int32_t)ft->kind || side != (int32_t)ft->side)
            return tt_err_set(err, "schema mismatch: feature '%s' is a %s %s feature in the model's dataset '%s' and a %s %s one in dataset '%s'",
                              ft->name, tt_side_name((enum tt_side)(side & 3)), tt_kind_name((enum tt_kind)(kind & 3)),
                              name, tt_side_name(ft->side), tt_kind_name(ft->kind), dn);
        if (card != ft->card)
            return tt_err_set(err, "schema mismatch: feature '%s' has %d values in the model's dataset '%s' and %d in dataset '%s'",
                              ft->name, card, name, ft->card, dn);
        if (hv != (ft->vocab != NULL))
            return tt_err_set(err, "schema mismatch: feature '%s' has a vocabulary in only one of the model's dataset '%s' and dataset '%s'",
                              ft->name, name, dn);
        for (int32_t v = 0; hv && v < card; v++)
            if (!str_eq(r, ft->vocab[v]))
                return r->bad ? tt_err_set(err, "corrupt model file: bad schema section")
                              : tt_err_set(err, "schema mismatch: feature '%s' value %d is '%s' in dataset '%s' but not in the model's dataset '%s' (vocabularies differ)",
                                           ft->name, v, ft->vocab[v], dn, name);
        int32_t ne = get_i32(r);
        if (ne != ft->n_edges)
            return tt_err_set(err, "schema mismatch: feature '%s' has other bucket edges in the model's dataset '%s' than in dataset '%s'",
                              ft->name, name, dn);
        for (int e = 0; e < ne; e++)
            if (get_f64(r) != ft->edges[e])
                return tt_err_set(err, "schema mismatch: feature '%s' has other bucket edges in the model's dataset '%s' than in dataset '%s'",
                                  ft->name, name, dn);
    }
    for (int32_t u = 0; u < nu; u++)
        if (!str_eq(r, d->user_key ? d->user_key[u] : ""))
            return r->bad ? tt_err_set(err, "corrupt model file: bad schema section")
                          : tt_err_set(err, "schema mismatch: user %d is '%s' in dataset '%s' but not in the model's dataset '%s' (user ids differ)",
                                       u + 1, d->user_key ? d->user_key[u] : "", dn, name);
    for (int32_t i = 0; i < ni; i++)
        if (!str_eq(r, d->item_key ? d->item_key[i] : ""))
            return r->bad ? tt_err_set(err, "corrupt model file: bad schema section")
                          : tt_err_set(err, "schema mismatch: item %d is '%s' in dataset '%s' but not in the model's dataset '%s' (item ids differ)",
                                       i + 1, d->item_key ? d->item_key[i] : "", dn, name);
    return 0;
}

int tt_modelfile_open(const char *path, const tt_dataset *d, tt_modelent *out, tt_err *err)
{
    char *buf;
    size_t size;
    if (tt_file_read_all(path, &buf, &size, err))
        return -1;
    int rc = tt_modelfile_read((const unsigned char *)buf, size, path, d, out, err);
    free(buf);
    return rc;
}

/* ---- reading: the header, then one function per section ---- */

/* Magic, version, length and checksum; *P = payload length. */
static int read_header(const unsigned char *buf, size_t n, const char *path, uint64_t *P,
                       tt_err *err)
{
    long size = (long)n;
    if (size < 8 || memcmp(buf, MAGIC, 8))
        return tt_err_set(err, "'%s' is not a ttlab model file (no TTLABMOD magic)", path);
    if (size < HEADER)
        return tt_err_set(err, "'%s' is truncated: %ld bytes, shorter than the header", path, size);
    rbuf r = {buf + 8, buf + size, 0};
    uint32_t version = get_u32(&r);
    get_u32(&r);
    *P = get_u64(&r);
    if (version != TT_MODELFILE_VERSION)
        return tt_err_set(err, "'%s' is a version %u model file; this ttlab reads version %d", path,
                          version, TT_MODELFILE_VERSION);
    if (*P > (uint64_t)size || (uint64_t)size < HEADER + *P + 4)
        return tt_err_set(err, "'%s' is truncated: %ld bytes, the header says %llu", path, size,
                          (unsigned long long)(HEADER + *P + 4));
    if ((uint64_t)size > HEADER + *P + 4)
        return tt_err_set(err, "'%s' is corrupted: %llu bytes of garbage after the end", path,
                          (unsigned long long)((uint64_t)size - HEADER - *P - 4));
    rbuf cr = {buf + HEADER + *P, buf + size, 0};
    if (get_u32(&cr) != tt_crc32(0, buf, HEADER + *P))
        return tt_err_set(err, "'%s' is corrupted: checksum mismatch (the file was changed or damaged after saving)",
                          path);
    return 0;
}

/* DEFS: the model's definition and its two towers. */
static int read_defs(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    tt_model_def *md = &out->def;
    tt_model_def_init(md);
    get_str(sr, md->name, sizeof md->name);
    int32_t code = get_i32(sr);   /* the kind's code, not its place in the table */
    int kind = tt_mkind_by_code(code);
    if (!sr->bad && kind < 0)
        return tt_err_set(err, "'%s' holds a model of kind code %d, which this ttlab does not know (a newer ttlab wrote it?)",
                          path, (int)code);
    md->kind = (enum tt_model_kind)(kind < 0 ? 0 : kind);
    get_str(sr, md->user_tower, sizeof md->user_tower);
    get_str(sr, md->item_tower, sizeof md->item_tower);
    md->sim = (enum tt_sim)get_i32(sr);
    md->temp = get_f32(sr);
    md->fusion = (enum tt_fusion)get_i32(sr);
    md->loss = (enum tt_loss_kind)get_i32(sr);
    md->logq = get_i32(sr);
    md->mask_hits = get_i32(sr);
    md->neg = get_i32(sr);
    md->sampler = (enum tt_sampler)get_i32(sr);
    md->alpha = get_f32(sr);
    /* A fitted kind (popularity, the baselines) has no towers: theirs are
     * stored empty; its options follow in KOPT (defaults until then). */
    int pop = md->kind != TT_MODEL_TWOTOWER;
    int bad_u = get_tower(sr, &out->u), bad_i = get_tower(sr, &out->i);
    tt_mkind_defaults(md);
    if (sr->bad || (unsigned)md->kind >= TT_MODEL_NKINDS || (unsigned)md->sim > 1 || !tt_loss_by_id(md->loss) ||
        (unsigned)md->fusion > 1 || (unsigned)md->sampler > 1 || (!pop && (bad_u || bad_i)))
        return tt_err_set(err, "'%s' is corrupted: bad model definition", path);
    return 0;
}

/* EVOL: model options of issue 13 (augment, dat_w), after DEFS; files
 * without it keep the defaults. */
static int read_evol(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    tt_model_def *md = &out->def;
    md->augment = (enum tt_augment)get_i32(sr);
    md->dat_w = get_f32(sr);
    if (sr->bad || (unsigned)md->augment > TT_AUG_DAT || !(md->dat_w >= 0))
        return tt_err_set(err, "'%s' is corrupted: bad model options (EVOL)", path);
    return 0;
}

/* MINT: each tower's interests stage (after DEFS); files without it have
 * none. The two pow values at its end came later: without them, the hard
 * pick (pow 0) that such files were trained with; the two proj values after
 * them later still: without them, the linear projection; then the two
 * routing iteration counts: without them, 3. */
static int read_mint(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    for (int t = 0; t < 2; t++) {
        tt_tower_def *td = t ? &out->i : &out->u;
        td->interests = get_i32(sr);
        td->mi_via = get_i32(sr);
        td->mi_k = get_i32(sr);
        td->mi_out = get_i32(sr);
        td->mi_hidden = get_i32(sr);
        if (sr->bad || (unsigned)td->interests > 1 || (unsigned)td->mi_via > TT_MI_ROUTING ||
            (td->interests && (td->mi_k < 1 || td->mi_k > TT_MI_MAXK)) || td->mi_out < 0 ||
            td->mi_out > 4096 || td->mi_hidden < 0 || td->mi_hidden > 4096)
            return tt_err_set(err, "'%s' is corrupted: bad interests stage (MINT)", path);
    }
    for (int t = 0; t < 2; t++) {
        tt_tower_def *td = t ? &out->i : &out->u;
        td->mi_pow = sr->p < sr->end ? get_f32(sr) : 0.0f;
        if (sr->bad || !(td->mi_pow >= 0 && td->mi_pow <= 1000))
            return tt_err_set(err, "'%s' is corrupted: bad interests stage (MINT)", path);
    }
    for (int t = 0; t < 2; t++) {
        tt_tower_def *td = t ? &out->i : &out->u;
        td->mi_proj = sr->p < sr->end ? get_i32(sr) : TT_MI_PROJ_LINEAR;
        if (sr->bad || (unsigned)td->mi_proj > TT_MI_PROJ_NONE)
            return tt_err_set(err, "'%s' is corrupted: bad interests stage (MINT)", path);
    }
    for (int t = 0; t < 2; t++) {
        tt_tower_def *td = t ? &out->i : &out->u;
        td->mi_iters = sr->p < sr->end ? get_i32(sr) : TT_ROUTE_ITERS;
        if (sr->bad || td->mi_iters < 1 || td->mi_iters > TT_MI_MAXITERS)
            return tt_err_set(err, "'%s' is corrupted: bad interests stage (MINT)", path);
    }
    return 0;
}

/* INTR: IntTower's FE-Block and CIR, DAT's category alignment (interact,
 * heads, cir, dat_ca, dat_cat), after DEFS; files without it keep the
 * defaults (none of them). */
static int read_intr(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    tt_model_def *md = &out->def;
    md->interact = (enum tt_interact)get_i32(sr);
    md->heads = get_i32(sr);
    md->cir = get_f32(sr);
    md->dat_ca = get_f32(sr);
    get_str(sr, md->dat_cat, sizeof md->dat_cat);
    if (sr->bad || (unsigned)md->interact > TT_INTERACT_FE || md->heads < 1 || md->heads > 64 ||
        !(md->cir >= 0) || !(md->dat_ca >= 0))
        return tt_err_set(err, "'%s' is corrupted: bad model options (INTR)", path);
    return 0;
}

/* KOPT: a baseline's options (after DEFS). */
static int read_kopt(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    int n = get_i32(sr);
    if (n != TT_KOPT_MAX)
        return tt_err_set(err, "'%s' is corrupted: bad options section", path);
    for (int k = 0; k < n; k++)
        out->def.kopt[k] = get_f64(sr);
    if (sr->bad)
        return tt_err_set(err, "'%s' is corrupted: bad options section", path);
    return 0;
}

/* PARM: where the parameters start and how many there are (read later,
 * once the model they belong to is built). */
static int read_parm(rbuf *sr, uint64_t len, const char *path, const unsigned char **params,
                     uint64_t *n_params, tt_err *err)
{
    *n_params = get_u64(sr);
    if (sr->bad || *n_params > len / 4)
        return tt_err_set(err, "'%s' is corrupted: bad parameter section", path);
    *params = sr->p;
    return 0;
}

/* RUNS: per seed, its scalar results and test metrics. */
static int read_runs(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    int n = get_i32(sr);
    if (n < 0 || n > TT_MAX_RUNS)
        return tt_err_set(err, "'%s' is corrupted: bad runs section", path);
    for (int k = 0; k < n; k++) {
        tt_run *ru = &out->runs[k];
        ru->seed = get_u64(sr);
        ru->seconds = get_f64(sr);
        ru->ex_per_s = get_f64(sr);
        ru->epochs = get_i32(sr);
        ru->best_epoch = get_i32(sr);
        if (get_metrics(sr, &ru->test))
            return tt_err_set(err, "'%s' is corrupted: bad runs section", path);
    }
    out->n_runs = n;
    return 0;
}

/* HIST: per run, its thread count and per-epoch history (files written
 * before this section existed have none: their runs' histories stay empty). */
static int read_hist(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    tt_err_set(err, "'%s' is corrupted: bad history section", path);
    int n = get_i32(sr);
    if (sr->bad || n != out->n_runs)
        return -1;
    for (int k = 0; k < n; k++) {
        tt_run *ru = &out->runs[k];
        tt_history *h = &ru->h;
        ru->threads = get_i32(sr);
        int ne = get_i32(sr), se0 = get_i32(sr), se1 = get_i32(sr);
        /* every epoch takes at least 40 bytes: no allocation a file cannot back */
        if (sr->bad || ne < 0 || (size_t)ne > (size_t)(sr->end - sr->p) / 40 || se0 < 0 ||
            se0 > TT_MAX_FIELDS || se1 < 0 || se1 > TT_MAX_FIELDS ||
            tt_history_reserve(h, ne, err))
            return tt_err_set(err, "'%s' is corrupted: bad history section", path);
        h->n_se[0] = se0;
        h->n_se[1] = se1;
        for (int e = 0; e < ne; e++) {
            tt_metrics m;
            double loss = get_f64(sr), sec = get_f64(sr);
            if (get_metrics(sr, &m))
                return tt_err_set(err, "'%s' is corrupted: bad history section", path);
            tt_history_add_epoch(h, loss, m.n_k ? &m : NULL, sec);
            for (int side = 0; side < 2; side++)
                for (int f = 0; f < h->n_se[side]; f++)
                    h->se[side][(size_t)e * TT_MAX_FIELDS + f] = get_f32(sr);
        }
        int ns = get_i32(sr);
        uint64_t stride = get_u64(sr);
        if (sr->bad || ns < 0 || ns >= TT_HISTORY_SMOOTH || stride < 1 || stride > ((uint64_t)1 << 62))
            return tt_err_set(err, "'%s' is corrupted: bad history section", path);
        h->smooth_stride = (int64_t)stride;
        for (int j = 0; j < ns; j++)
            h->smooth[j] = get_f32(sr);
        h->n_smooth = ns;
        if (sr->bad)
            return tt_err_set(err, "'%s' is corrupted: bad history section", path);
    }
    return 0;
}

/* DSID: the dataset and split the model was trained on (files from before
 * it have none: the session fills in the dataset it opens against). */
static int read_dsid(rbuf *sr, const char *path, tt_modelent *out, tt_err *err)
{
    tt_dataref *r = &out->data;
    get_str(sr, r->name, sizeof r->name);
    get_str(sr, r->source, sizeof r->source);
    get_str(sr, r->split, sizeof r->split);
    get_str(sr, r->protocol, sizeof r->protocol);
    if (sr->bad) {
        memset(r, 0, sizeof *r);
        return tt_err_set(err, "'%s' is corrupted: bad dataset section", path);
    }
    return 0;
}

/* The parameters of PARM into the model built from DEFS. */
static int read_params(const unsigned char *params, uint64_t n_params, const char *path,
                       const tt_dataset *d, tt_modelent *out, tt_err *err)
{
    tt_model *m = NULL;
    if (tt_model_create(&out->def, &out->u, &out->i, d, 1, &m, err)) {
        tt_err_prefix(err, "cannot open '%s'", path);
        return -1;
    }
    if ((uint64_t)tt_model_param_count(m) != n_params) {
        tt_err_set(err, "cannot open '%s': it holds %llu parameters, the model it defines has %lld",
                   path, (unsigned long long)n_params, (long long)tt_model_param_count(m));
        tt_model_free(m);
        return -1;
    }
    float *Pm = tt_model_params(m);
    rbuf pr = {params, params + n_params * 4, 0};
    for (uint64_t k = 0; k < n_params; k++) {
        Pm[k] = get_f32(&pr);
        /* Training never keeps non-finite parameters, so save never writes
         * them: a file that holds one was made or damaged elsewhere. */
        if (!isfinite(Pm[k])) {
            tt_err_set(err, "'%s' is corrupted: parameter %llu is not a finite number", path,
                       (unsigned long long)k);
            tt_model_free(m);
            return -1;
        }
    }
    if (tt_model_prepare(m, err)) {   /* a baseline's derived state */
        tt_err_prefix(err, "cannot open '%s'", path);
        tt_model_free(m);
        return -1;
    }
    out->m = m;
    return 0;
}

int tt_modelfile_dataset(const char *path, tt_dataref *out, tt_err *err)
{
    char *buf;
    size_t size;
    uint64_t P = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (tt_file_read_all(path, &buf, &size, err))
        return -1;
    const unsigned char *b = (const unsigned char *)buf;
    if (read_header(b, size, path, &P, err))
        goto out;
    rbuf r = {b + HEADER, b + HEADER + P, 0};
    while (r.p < r.end) {
        uint32_t tag = get_u32(&r);
        uint64_t len = get_u64(&r);
        const unsigned char *body = take(&r, (size_t)len);
        if (!body || r.bad) {
            tt_err_set(err, "'%s' is corrupted: a section runs past the end", path);
            goto out;
        }
        rbuf sr = {body, body + len, 0};
        if (tag == TAG_SCHM && !out->name[0]) {   /* older files: the name alone */
            get_str(&sr, out->name, sizeof out->name);
            if (sr.bad)
                out->name[0] = 0;
        } else if (tag == TAG_DSID) {
            tt_modelent e;
            memset(&e, 0, sizeof e);
            if (read_dsid(&sr, path, &e, err))
                goto out;
            *out = e.data;
        }
    }
    if (!out->name[0]) {
        tt_err_set(err, "'%s' is incomplete: missing the schema section", path);
        goto out;
    }
    for (char *q = out->name; *q; q++)   /* names from a damaged file */
        if ((unsigned char)*q < 0x20)
            *q = '?';
    for (char *q = out->source; *q; q++)
        if ((unsigned char)*q < 0x20)
            *q = '?';
    rc = 0;
out:
    free(buf);
    return rc;
}

int tt_modelfile_read(const unsigned char *buf, size_t n, const char *path,
                      const tt_dataset *d, tt_modelent *out, tt_err *err)
{
    uint64_t P = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (read_header(buf, n, path, &P, err))
        goto out;
    rbuf r = {buf + HEADER, buf + HEADER + P, 0};
    int have_defs = 0, have_schema = 0, have_params = 0, have_hist = 0;
    const unsigned char *params = NULL;
    uint64_t n_params = 0;
    while (r.p < r.end) {
        uint32_t tag = get_u32(&r);
        uint64_t len = get_u64(&r);
        const unsigned char *body = take(&r, (size_t)len);
        if (!body || len > (uint64_t)(r.end - buf)) {
            tt_err_set(err, "'%s' is corrupted: a section runs past the end", path);
            goto out;
        }
        rbuf sr = {body, body + len, 0};
        int bad = 0;
        if (tag == TAG_DEFS) {
            bad = read_defs(&sr, path, out, err);
            have_defs = 1;
        } else if (tag == TAG_KOPT && have_defs) {
            bad = read_kopt(&sr, path, out, err);
        } else if (tag == TAG_SCHM) {
            bad = check_schema(&sr, d, err);
            if (bad)
                tt_err_prefix(err, "cannot open '%s'", path);
            have_schema = 1;
        } else if (tag == TAG_PARM) {
            bad = read_parm(&sr, len, path, &params, &n_params, err);
            have_params = 1;
        } else if (tag == TAG_RUNS) {
            bad = read_runs(&sr, path, out, err);
        } else if (tag == TAG_HIST) {
            bad = read_hist(&sr, path, out, err);
            have_hist = 1;
        } else if (tag == TAG_EVOL && have_defs) {
            bad = read_evol(&sr, path, out, err);
        } else if (tag == TAG_MINT && have_defs) {
            bad = read_mint(&sr, path, out, err);
        } else if (tag == TAG_INTR && have_defs) {
            bad = read_intr(&sr, path, out, err);
        } else if (tag == TAG_DSID) {
            bad = read_dsid(&sr, path, out, err);
        }
        /* unknown sections: skipped */
        if (bad)
            goto out;
    }
    if (!have_defs || !have_schema || !have_params) {
        tt_err_set(err, "'%s' is incomplete: missing the %s section", path,
                   !have_defs ? "definitions" : !have_schema ? "schema" : "parameters");
        goto out;
    }
    if (read_params(params, n_params, path, d, out, err))
        goto out;
    out->no_history = !have_hist;
    rc = 0;
out:
    if (rc)
        tt_entry_free(out);
    /* Names read from a damaged file may hold control bytes: keep the
     * message on one line. */
    for (char *q = rc && err ? err->msg : NULL; q && *q; q++)
        if ((unsigned char)*q < 0x20)
            *q = '?';
    return rc;
}

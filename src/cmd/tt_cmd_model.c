/* tt_cmd_model: tower and model definitions: parsing (with the column of
 * the offending stage), deriving variants with `with`, and printing a
 * definition back as the line that recreates it. */
#include "tt_cmd_int.h"
#include "tt_losses.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- tower stages ---- */

static const tt_stagespec *stage_find(const char *name)
{
    for (int i = 0; i < tt_n_stages; i++)
        if (!strcmp(tt_stages[i].name, name))
            return &tt_stages[i];
    return NULL;
}

static int stage_unknown(tt_session *s, const tt_tok *t, int in_channels)
{
    char names[256], cands[300], sug[64], words[300];
    const char *what = in_channels ? "channel" : "stage";
    tt_stage_names(in_channels, names, sizeof names);
    snprintf(cands, sizeof cands, in_channels ? "%s" : "%s|no", names);
    if (tt_suggest_list(t->s, cands, sug, sizeof sug))
        return tt_fail(s, t->col, "unknown %s '%s': did you mean '%s'?", what, t->s, sug);
    return tt_fail(s, t->col, "unknown %s '%s' (expected %s)", what, t->s,
                   tt_list_words(names, words, sizeof words));
}

/* "embed | senet | mlp or channels | l2norm": the stages by their order. */
/* The stages of place `order`, joined by mid with " or " before the last
 * ("mlp, channels or interests"); appended at buf + j; returns the new j. */
static int stage_alternatives(char *buf, int n, int j, int order, const char *mid)
{
    int na = 0, a = 0;
    for (int i = 0; i < tt_n_stages; i++)
        na += tt_stages[i].order == order;
    for (int i = 0; i < tt_n_stages && j < n; i++)
        if (tt_stages[i].order == order) {
            a++;
            j += snprintf(buf + j, (size_t)(n - j), "%s%s", a == 1 ? "" : a == na ? " or " : mid,
                          tt_stages[i].name);
        }
    return j;
}

/* The stage order as "embed | senet or lightse | ...". */
static const char *stage_order_text(char *buf, int n)
{
    int j = 0;
    buf[0] = 0;
    for (int o = 1; o < 100 && j < n; o++) {
        int any = 0;
        for (int i = 0; i < tt_n_stages; i++)
            any |= tt_stages[i].order == o;
        if (!any)
            continue;
        if (j)
            j += snprintf(buf + j, (size_t)(n - j), " | ");
        j = stage_alternatives(buf, n, j, o, " or ");
    }
    return buf;
}

/* The options of stage sp (tokens t[0..n), positional words skipped) into
 * the struct at dst (tt_tower_def, or a channel's tt_chan_def): every option
 * when all (given ones only otherwise). Errors point at the stage (col). */
static int stage_opts(tt_session *s, const tt_stagespec *sp, tt_tok *t, int n, int col,
                      void *dst, int all, tt_optval *v)
{
    if (tt_opts_parse(s, sp->name, sp->opts, t, n, NULL, v)) {
        s->err_col = col;
        return -1;
    }
    if (sp->opts)
        tt_opts_apply(sp->opts, v, sp->opts[0].bind, dst, all);
    return 0;
}

/* A stage that takes key=value options only ("r=2 squeeze=mean ..." from
 * the defaults when example is NULL), or no arguments when it has none. */
static int stage_kv_only(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn, int col,
                         const char *example)
{
    char ex[256], def[64];
    if (!sp->opts && sn > 1)
        return tt_fail(s, col, "%s takes no arguments, got '%s'", sp->name, st[1].s);
    if (!example) {
        int j = 0;
        ex[0] = 0;
        for (const tt_optspec *o = sp->opts; o && o->key && j < (int)sizeof ex; o++)
            j += snprintf(ex + j, sizeof ex - (size_t)j, "%s%s=%s", j ? " " : "", o->key,
                          tt_opt_default(o, def, sizeof def));
        example = ex;
    }
    for (int k = 1; k < sn; k++)
        if (!tt_tok_is_kv(&st[k]))
            return tt_fail(s, col, "%s takes key=value options (%s), got '%s'", st[0].s,
                           example, st[k].s);
    return 0;
}

static int *stage_has(const tt_stagespec *sp, tt_tower_def *d)
{
    return (int *)(void *)((unsigned char *)d + sp->has_off);
}

/* The stage of a row without a parse function: key=value options (all of
 * them, so a stage given again starts from its defaults), then has set. */
static int stage_generic(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn, int col,
                         tt_tower_def *d, enum tt_stage_how how)
{
    tt_optval v[TT_OPT_MAX];
    int *has = stage_has(sp, d);
    if (how == TT_STAGE_DROP) {
        if (*has == sp->has_val)
            *has = 0;
        return 0;
    }
    /* In a `with` list a stage the tower already has keeps the options not
     * given; a stage it gets anew starts from the defaults. */
    int all = !(how == TT_STAGE_WITH && *has == sp->has_val);
    if (stage_kv_only(s, sp, st, sn, col, NULL) ||
        stage_opts(s, sp, st + 1, sn - 1, col, d, all, v))
        return -1;
    *has = sp->has_val;
    return 0;
}

/* Word w is one of list "a|b|c". */
static int in_list(const char *list, const char *w)
{
    size_t l = strlen(w);
    for (const char *p = list; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
        if (!strncmp(p, w, l) && (p[l] == '|' || !p[l]))
            return 1;
    return 0;
}

#define PUT(...) do { if (j < n) j += snprintf(buf + j, (size_t)(n - j), __VA_ARGS__); } while (0)

/* The stage of a row without a format function: " | name", then each option
 * that differs from its default or is named in the row's shown list. */
static int stage_generic_fmt(const tt_stagespec *sp, const tt_tower_def *t, char *buf, int n)
{
    char val[64], def[64];
    int j = 0;
    if (*stage_has(sp, (tt_tower_def *)(uintptr_t)t) != sp->has_val)
        return 0;
    PUT(" | %s", sp->name);
    for (const tt_optspec *o = sp->opts; o && o->key; o++) {
        const char *v = tt_opt_text(o, t, val, sizeof val), *dv = tt_opt_default(o, def, sizeof def);
        int shown = sp->shown && in_list(sp->shown, o->key);
        if (v && (shown || !dv || strcmp(v, dv)))
            PUT(" %s=%s", o->key, v);
    }
    return j;
}

static int parse_widths(tt_session *s, tt_tok *t, int n, int col, const char *what,
                        int *w, int *nw)
{
    *nw = 0;
    for (int i = 0; i < n; i++) {
        char *end;
        long v = strtol(t[i].s, &end, 10);
        if (t[i].kind != TT_TOK_WORD || tt_tok_is_kv(&t[i]) || !*t[i].s || *end)
            return tt_fail(s, t[i].col, "%s takes layer widths (whole numbers), got '%s'",
                           what, t[i].s);
        if (v < 1 || v > 65536)
            return tt_fail(s, t[i].col, "%s width must be between 1 and 65536, got %ld", what, v);
        if (*nw == TT_MAX_LAYERS)
            return tt_fail(s, t[i].col, "%s has at most %d layers", what, TT_MAX_LAYERS);
        w[(*nw)++] = (int)v;
    }
    if (*nw == 0)
        return tt_fail(s, col, "%s needs at least one width: %s 64 32", what, what);
    return 0;
}

/* ---- channels: (mlp W ...) (fm) (cross L [out=32]) ---- */

static int chan_mlp(tt_session *s, const tt_stagespec *sp, tt_tok *t, int n, tt_chan_def *c)
{
    tt_chan_def_init(c, sp->chan_kind);
    if (parse_widths(s, t + 1, n - 1, t[0].col, "mlp", c->widths, &c->n_widths))
        return -1;
    c->out = c->widths[c->n_widths - 1];
    return 0;
}

static int chan_fm(tt_session *s, const tt_stagespec *sp, tt_tok *t, int n, tt_chan_def *c)
{
    tt_chan_def_init(c, sp->chan_kind);
    if (n > 1)
        return tt_fail(s, t[1].col, "fm takes no arguments, got '%s'", t[1].s);
    return 0;
}

static int chan_cross(tt_session *s, const tt_stagespec *sp, tt_tok *t, int n, tt_chan_def *c)
{
    tt_optval v[TT_OPT_MAX];
    tt_chan_def_init(c, sp->chan_kind);
    int npos = 0;
    for (int i = 1; i < n; i++) {
        if (tt_tok_is_kv(&t[i]))
            continue;
        char *end;
        long L = strtol(t[i].s, &end, 10);
        if (npos++ || !*t[i].s || *end)
            return tt_fail(s, t[i].col, "cross takes its number of layers then out=N: (cross 2 out=32)");
        if (L < 1 || L > TT_MAX_LAYERS)
            return tt_fail(s, t[i].col, "cross layers must be between 1 and %d, got %ld",
                           TT_MAX_LAYERS, L);
        c->n_layers = (int)L;
    }
    if (!npos)
        return tt_fail(s, t[0].col, "cross needs its number of layers: (cross 2 out=32)");
    return stage_opts(s, sp, t + 1, n - 1, t[0].col, c, 1, v);
}

/* One channel inside parentheses: t[0] is its name. */
static int parse_channel(tt_session *s, tt_tok *t, int n, tt_chan_def *c)
{
    const tt_stagespec *sp = stage_find(t[0].s);
    memset(c, 0, sizeof *c);
    if (!sp || !sp->channel)
        return stage_unknown(s, &t[0], 1);
    return sp->channel(s, sp, t, n, c);
}

/* ---- the stages of a tower that parse or print more than options ---- */

static int stage_embed(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn, int col,
                       tt_tower_def *d, enum tt_stage_how how)
{
    tt_optval v[TT_OPT_MAX];
    int with = how == TT_STAGE_WITH;
    if (how == TT_STAGE_DROP)
        return tt_fail(s, col, "a tower always has its embed stage");
    if (stage_kv_only(s, sp, st, sn, col, "dim=16 fields=a,b") ||
        stage_opts(s, sp, st + 1, sn - 1, col, d, !with, v))
        return -1;
    /* fields= is a list: not a field the option table can fill. */
    const tt_optval *fv = &v[tt_optspec_find(sp->opts, "fields") - sp->opts];
    if (fv->set) {
        char tmp[TT_MAX_FIELDS * TT_NAME_MAX];
        char *save = NULL;
        snprintf(tmp, sizeof tmp, "%s", fv->s);
        d->n_fields = 0;
        for (char *f = strtok_r(tmp, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
            if (d->n_fields == TT_MAX_FIELDS)
                return tt_fail(s, col, "at most %d fields", TT_MAX_FIELDS);
            if (strlen(f) >= TT_NAME_MAX)
                return tt_fail(s, col, "field name '%s' too long", f);
            for (int q = 0; q < d->n_fields; q++)
                if (!strcmp(d->fields[q], f))
                    return tt_fail(s, col, "field '%s' listed twice", f);
            snprintf(d->fields[d->n_fields++], TT_NAME_MAX, "%s", f);
        }
        if (d->n_fields == 0)
            return tt_fail(s, col, "fields needs a comma list of features");
    } else if (!with) {
        d->n_fields = 0;
    }
    return 0;
}

static int stage_mlp(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn, int col,
                     tt_tower_def *d, enum tt_stage_how how)
{
    tt_chan_def c;
    (void)sp;
    if (how == TT_STAGE_DROP) {
        d->n_chan = 0;
        return 0;
    }
    tt_chan_def_init(&c, TT_CH_MLP);
    if (parse_widths(s, st + 1, sn - 1, col, "mlp", c.widths, &c.n_widths)) {
        if (!s->err_col)
            s->err_col = col;
        return -1;
    }
    c.out = c.widths[c.n_widths - 1];
    d->n_chan = 1;
    d->chan[0] = c;
    d->interests = 0;   /* mlp and interests are alternatives */
    return 0;
}

/* channels (..) (..) */
static int stage_channels(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn, int col,
                          tt_tower_def *d, enum tt_stage_how how)
{
    int k = 1, nc = 0;
    tt_chan_def ch[TT_MAX_CHAN];
    (void)sp;
    if (how == TT_STAGE_DROP) {
        d->n_chan = 0;
        return 0;
    }
    while (k < sn) {
        if (st[k].kind != TT_TOK_LPAREN)
            return tt_fail(s, st[k].col, "channels are in parentheses: channels (mlp 64 32) (fm)");
        int e = k + 1;
        while (e < sn && st[e].kind != TT_TOK_RPAREN) {
            if (st[e].kind == TT_TOK_LPAREN)
                return tt_fail(s, st[e].col, "channels do not nest");
            e++;
        }
        if (e == sn)
            return tt_fail(s, st[k].col, "missing ')'");
        if (e == k + 1)
            return tt_fail(s, st[k].col, "empty channel '()'");
        if (nc == TT_MAX_CHAN)
            return tt_fail(s, st[k].col, "at most %d channels", TT_MAX_CHAN);
        if (parse_channel(s, st + k + 1, e - k - 1, &ch[nc]))
            return -1;
        nc++;
        k = e + 1;
    }
    if (nc == 0)
        return tt_fail(s, col, "channels needs at least one channel: channels (mlp 64 32) (fm)");
    d->n_chan = nc;
    d->interests = 0;
    memcpy(d->chan, ch, sizeof ch[0] * (size_t)nc);
    return 0;
}

/* interests: its key=value options as any generic stage; it takes the
 * place of mlp or channels (the interests are the tower's output). */
static int stage_interests(tt_session *s, const tt_stagespec *sp, tt_tok *st, int sn, int col,
                           tt_tower_def *d, enum tt_stage_how how)
{
    if (stage_generic(s, sp, st, sn, col, d, how))
        return -1;
    if (how != TT_STAGE_DROP)
        d->n_chan = 0;
    return 0;
}

/* ---- printed back, so that the printout recreates the tower ---- */

static int fmt_embed(const tt_tower_def *t, char *buf, int n)
{
    int j = snprintf(buf, (size_t)n, "embed dim=%d", t->dim);
    if (t->n_fields) {
        /* Quoted when a name needs it (a CSV column "favourite genres"), so
         * the printout recreates the tower. */
        char list[TT_MAX_FIELDS * (TT_NAME_MAX + 1)], q[2 * sizeof list + 3];
        int l = 0;
        list[0] = 0;
        for (int i = 0; i < t->n_fields && l < (int)sizeof list; i++)
            l += snprintf(list + l, sizeof list - (size_t)l, "%s%s", i ? "," : "", t->fields[i]);
        PUT(" fields=%s", tt_lex_quote(list, q, (int)sizeof q));
    }
    return j;
}

static int fmt_widths(const tt_chan_def *c, char *buf, int n)
{
    int j = 0;
    for (int i = 0; i < c->n_widths; i++)
        PUT(" %d", c->widths[i]);
    return j;
}

static int fmt_mlp(const tt_tower_def *t, char *buf, int n)
{
    int j = 0;
    if (t->n_chan != 1 || t->chan[0].kind != TT_CH_MLP)
        return 0;
    PUT(" | mlp");
    if (j < n)
        j += fmt_widths(&t->chan[0], buf + j, n - j);
    return j;
}

static int fmt_cross(const tt_chan_def *c, char *buf, int n)
{
    return snprintf(buf, (size_t)n, " %d out=%d", c->n_layers, c->out);
}

/* Each channel as "(NAME ARGS)", from the row of its kind in the stage
 * table (the rows with a channel function: a new kind is a row). */
static int fmt_channels(const tt_tower_def *t, char *buf, int n)
{
    int j = 0;
    if (t->n_chan == 0 || (t->n_chan == 1 && t->chan[0].kind == TT_CH_MLP))
        return 0;   /* none, or the plain mlp stage */
    PUT(" | channels");
    for (int c = 0; c < t->n_chan; c++)
        for (int k = 0; k < tt_n_stages; k++) {
            const tt_stagespec *sp = &tt_stages[k];
            if (!sp->channel || sp->chan_kind != t->chan[c].kind)
                continue;
            PUT(" (%s", sp->name);
            if (sp->chan_args && j < n)
                j += sp->chan_args(&t->chan[c], buf + j, n - j);
            PUT(")");
        }
    return j;
}

#undef PUT

/* ---- the stage table ---- */

/* Rows leave out the fields they do not use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define TOWER(F) TT_BIND(tt_bind_tower, tt_tower_def, F)
static const tt_optspec embed_opts[] = {
    {"dim", TT_O_INT, NULL, NULL, 1, 4096, NULL, "embedding dimension of every field", TOWER(dim)},
    {"fields", TT_O_STR, NULL, NULL, 0, 0, NULL, "comma list of features (default: all of the side)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};
static const tt_optspec senet_opts[] = {
    {"r", TT_O_INT, NULL, NULL, 1, 1024, NULL, "reduction ratio: hidden size max(1, fields/r)", TOWER(se_r)},
    {"squeeze", TT_O_ENUM, NULL, "mean|max|meanmax", 0, 0, NULL, "how each field is squeezed", TOWER(se_squeeze)},
    {"gate", TT_O_ENUM, NULL, "sigmoid|relu", 0, 0, NULL, "excitation gate (relu: FiBiNET)", TOWER(se_gate)},
    {"groups", TT_O_INT, NULL, NULL, 0, 4096, NULL, "bit-wise variant with G groups per field (0: field-wise)", TOWER(se_groups)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};
static const tt_optspec interests_opts[] = {
    {"k", TT_O_INT, NULL, NULL, 1, TT_MI_MAXK, NULL, "interest vectors per user (MIND: at most; K'u by history length)", TOWER(mi_k)},
    {"via", TT_O_ENUM, NULL, "attention|routing", 0, 0, NULL, "ComiRec-SA self-attention or MIND dynamic routing", TOWER(mi_via)},
    {"out", TT_O_INT, NULL, NULL, 0, 4096, NULL, "width of each interest vector, the item tower's output width (0: dim)", TOWER(mi_out)},
    {"hidden", TT_O_INT, NULL, NULL, 0, 4096, NULL, "attention: hidden width of W1 (0: 4 dim, as ComiRec)", TOWER(mi_hidden)},
    {"pow", TT_O_NUM, NULL, NULL, 0, 1000, NULL, "training's interest per target: 0 the best one (hard), p > 0 MIND's label-aware attention softmax(p s)", TOWER(mi_pow)},
    {"iters", TT_O_INT, NULL, NULL, 1, TT_MI_MAXITERS, NULL, "routing: iterations of dynamic routing (MIND: 3)", TOWER(mi_iters)},
    {"proj", TT_O_ENUM, NULL, "linear|none", 0, 0, NULL, "linear: [interest | other fields] projected to out= (routing through MIND's map S); none: no map, no projection, the interests stay in the item embedding space (history field alone, out = dim)", TOWER(mi_proj)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};
static const tt_optspec cross_opts[] = {
    {"out", TT_O_INT, NULL, NULL, 1, 65536, NULL, "size of the projection after the cross layers",
     TT_BIND(tt_bind_cross, tt_chan_def, out)},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL}};
#undef TOWER

const tt_stagespec tt_stages[] = {
    {"embed", "embed [dim=16] [fields=a,b,...]", embed_opts, "field embeddings (first stage)", NULL,
     1, stage_embed, NULL, fmt_embed},
    {"senet", "senet [r=2] [squeeze=mean] [gate=sigmoid] [groups=0]", senet_opts, "SENet re-weighting of the field embeddings",
     "The hidden width rule: the excitation MLP squeezes each of the tower's F fields to\n"
     "one number, then z -> W1 -> ReLU -> W2 -> gate, with hidden width max(1, F / r),\n"
     "rounded down. With few fields it is tiny: the ML-100K item tower has F = 3, so\n"
     "r=2 gives ONE hidden unit, which must carry every difference between items.\n"
     "When the hidden units are 0 (inactive ReLU) for nearly every row, the weights\n"
     "stop varying and the block is a fixed per-field scale, not a gate: `weights`,\n"
     "the dashboard and `plot weights` then say `constant` on that tower's rows, with\n"
     "the reason. For a tower of few fields use r=1 (hidden width F).",
     2, NULL, NULL, NULL, TT_HAS(senet, TT_RW_SENET), "r"},
    {"lightse", "lightse", NULL, "Light-SE (IntTower): e_i (1 + softmax(W mean(e))_i), instead of senet", NULL,
     2, NULL, NULL, NULL, TT_HAS(senet, TT_RW_LIGHTSE)},
    {"mlp", "mlp W1 W2 ...", NULL, "dense layers with ReLU between them; the last is linear", NULL,
     3, stage_mlp, chan_mlp, fmt_mlp, .chan_kind = TT_CH_MLP, .chan_args = fmt_widths},
    {"channels", "channels (mlp W ...) (fm) (cross L [out=32])", NULL, "parallel channels, scored per channel", NULL,
     3, stage_channels, NULL, fmt_channels},
    {"interests", "interests [k=4] [via=attention] [out=0] [hidden=0] [pow=0] [iters=3] [proj=linear]", interests_opts,
     "K interest vectors per user from the history (ComiRec-SA, MIND), instead of mlp",
     "The user tower's output becomes K vectors; an item scores by its best interest.\n"
     "attention (ComiRec-SA): A = softmax over the history of W2 tanh(W1 H^T), V = A H.\n"
     "routing (MIND): iters= (3) iterations of dynamic routing through a shared map S, with\n"
     "K'u = max(1, min(K, floor(log2 |history|))) active interests per user.\n"
     "Each interest is concatenated with the other fields' embeddings and projected to\n"
     "out= (the item tower's width). Training uses, per target, the interest that\n"
     "scores it best (pow=0), or MIND's label-aware attention: the interests mixed by\n"
     "softmax(pow s_k), s_k their scores of the target (pow=P > 0), which trains every\n"
     "interest, not only the winner. proj=none drops the map S and the projection: each\n"
     "interest is a weighted sum of the history's item_id embeddings, scored against\n"
     "the same table (the tower reads the history alone; out = dim); with k=1 and\n"
     "routing it is the mean-pool tower `embed fields=hist | l2norm` exactly.\n"
     "`interests MODEL` shows the active interests and their top items.",
     3, stage_interests, NULL, NULL, TT_HAS(interests, 1), "k|via"},
    {"fm", "(fm)", NULL, "channel: factorization machine in vector form (size dim)",
     "1/2 ((sum_f e_f)^2 - sum_f e_f^2), element-wise: the sum of the pairwise products\n"
     "of the fields. It has no parameters of its own: an FM-only tower learns only by\n"
     "turning its embeddings (normal(0, 1) at the start), and Adam moves each number\n"
     "by about lr per step, so at lr 0.001-0.003 it is slow: measured in 03-parallel.tt\n"
     "(users=1000 items=500, threads=1), training loss 6.55 > log 500 after 5 epochs at\n"
     "lr 0.003, 4.91 at lr 0.03. An FM-only tower wants lr about 0.03.",
     0, NULL, chan_fm, .chan_kind = TT_CH_FM},
    {"cross", "(cross L [out=32])", cross_opts, "channel: L DCN cross layers, then a projection to out", NULL,
     0, NULL, chan_cross, .chan_kind = TT_CH_CROSS, .chan_args = fmt_cross},
    {"l2norm", "l2norm", NULL, "L2 normalisation of the output", NULL,
     4, NULL, NULL, NULL, TT_HAS(l2norm, 1)},
};
const int tt_n_stages = (int)TT_ARRAY_LEN(tt_stages);

#pragma GCC diagnostic pop

const char *tt_stage_names(int channels, char *buf, int n)
{
    int j = 0;
    buf[0] = 0;
    for (int i = 0; i < tt_n_stages && j < n; i++)
        if (channels ? tt_stages[i].channel != NULL : tt_stages[i].order > 0)
            j += snprintf(buf + j, (size_t)(n - j), "%s%s", j ? "|" : "", tt_stages[i].name);
    return buf;
}

/* Stages of one definition (or of a `with` list when with = 1): split at
 * '|', each applied by its row's parse function, in the rows' order. */
static int parse_stages(tt_session *s, tt_tok *t, int n, tt_tower_def *d, int with)
{
    int i = 0, order = 0;
    const char *prev = "";   /* the stage that set order */
    if (n == 0)
        return tt_fail(s, 0, with ? "nothing after 'with': tower NAME = TOWER with senet r=2"
                                  : "empty tower: tower NAME = embed dim=16 | mlp 64 32 | l2norm");
    while (i < n) {
        int j = i;
        while (j < n && t[j].kind != TT_TOK_PIPE)
            j++;
        if (j == i)
            return tt_fail(s, t[i < n ? i : n - 1].col, "empty stage between '|'");
        tt_tok *st = &t[i];
        int sn = j - i, col = st->col;
        enum tt_stage_how how = with ? TT_STAGE_WITH : TT_STAGE_NEW;
        if (st->kind != TT_TOK_WORD)
            return tt_fail(s, col, "expected a stage name, got '%s'", st->s);
        if (with && !strcmp(st->s, "no")) {
            if (sn != 2)
                return tt_fail(s, col, "'no' takes one stage: no senet, no l2norm");
            how = TT_STAGE_DROP;
            st++;
            sn--;
        }
        const tt_stagespec *sp = stage_find(st->s);
        if (!sp || sp->order == 0) {
            if (sp)
                return tt_fail(s, col, "'%s' is a channel: use channels (%s ...)", st->s, st->s);
            return stage_unknown(s, st, 0);
        }
        if (how == TT_STAGE_NEW) {
            char text[256];
            if (order == 0 && sp->order != 1) {
                const char *first = "?";
                for (int k = 0; k < tt_n_stages; k++)
                    if (tt_stages[k].order == 1) {
                        first = tt_stages[k].name;
                        break;
                    }
                return tt_fail(s, col, "a tower starts with %s (got '%s')", first, st->s);
            }
            if (sp->order == order && !strcmp(prev, st->s))
                return tt_fail(s, col, "a second '%s' stage", st->s);
            if (sp->order == order) {
                /* alternatives of one place: name both and the choice */
                text[0] = 0;
                stage_alternatives(text, (int)sizeof text, 0, order, ", ");
                return tt_fail(s, col, "'%s' after '%s': a tower takes one of %s", st->s, prev,
                               text);
            }
            if (sp->order < order)
                return tt_fail(s, col, "'%s' comes too late: the order is %s", st->s,
                               stage_order_text(text, sizeof text));
        }
        if (how != TT_STAGE_DROP) {
            order = sp->order;
            prev = sp->name;
        }
        if ((sp->parse ? sp->parse : stage_generic)(s, sp, st, sn, col, d, how))
            return -1;
        i = j + 1;
        if (how != TT_STAGE_DROP && j < n && i >= n)
            return tt_fail(s, t[j].col, "nothing after the last '|'");
    }
    /* Checks that involve several stages. */
    for (int c = 0; c < d->n_chan; c++)
        if (d->chan[c].kind == TT_CH_FM)
            d->chan[c].out = d->dim;
    if (d->senet == TT_RW_SENET && d->se_groups > 0 && d->dim % d->se_groups)
        return tt_fail(s, 0, "senet groups=%d must divide the embedding dim %d", d->se_groups, d->dim);
    if (d->senet == TT_RW_SENET && d->se_groups > 0 && d->se_squeeze != TT_SQ_MEAN)
        return tt_fail(s, 0, "the bit-wise senet (groups=%d) squeezes by group mean only", d->se_groups);
    return 0;
}

int tt_tower_parse(tt_session *s, tt_tok *t, int n, tt_tower_def *out)
{
    tt_tower_def d;
    tt_tower_def_init(&d);
    if (parse_stages(s, t, n, &d, 0))
        return -1;
    memcpy(d.name, out->name, sizeof d.name);
    *out = d;
    return 0;
}

/* The stages by their order, each printing itself when the tower has it. */
const char *tt_tower_format(const tt_tower_def *t, char *buf, int n)
{
    int j = 0, top = 0;
    buf[0] = 0;
    for (int i = 0; i < tt_n_stages; i++)
        top = TT_MAX(top, tt_stages[i].order);
    for (int o = 1; o <= top; o++)
        for (int i = 0; i < tt_n_stages && j < n; i++) {
            const tt_stagespec *sp = &tt_stages[i];
            if (sp->order == o)
                j += sp->format ? sp->format(t, buf + j, n - j)
                                : stage_generic_fmt(sp, t, buf + j, n - j);
        }
    return buf;
}

static int name_eq(tt_session *s, tt_args *a, const char *what)
{
    if (a->npos < 2 || a->pos[1]->kind != TT_TOK_WORD || strcmp(a->pos[1]->s, "=")) {
        if (a->pos[0]->eq > 0)
            return tt_fail(s, a->pos[0]->col, "put spaces around '=': %s NAME = ...", what);
        return tt_fail(s, a->npos > 1 ? a->pos[1]->col : 0, "expected '=' after the %s name: %s",
                       what, a->cmd->usage);
    }
    if (a->pos[0]->kind != TT_TOK_WORD)
        return tt_fail(s, a->pos[0]->col, "expected a %s name", what);
    if (tt_check_name(s, a->pos[0], what))
        return -1;
    if (a->npos < 3)
        return tt_fail(s, 0, "nothing after '=': %s", a->cmd->usage);
    return 0;
}

static void defined_info(tt_session *s, const char *event, const char *name, const char *line)
{
    tt_rec r;
    tt_rec_init(&r);
    tt_rec_str(&r, "name", name);
    tt_rec_str(&r, "definition", line);
    /* One line that confirms the definition as ttlab understood it (every
     * default spelt out), for people and for JSON consumers alike. */
    char human[TT_DEF_MAX + 300];
    snprintf(human, sizeof human, "%s", line);
    tt_out_line(&s->out, event, &r, human);   /* runnable: never broken */
    tt_rec_free(&r);
}

int tt_cmd_tower(tt_session *s, tt_args *a)
{
    tt_tower_def d;
    char line[TT_DEF_MAX], full[TT_DEF_MAX + 200 + TT_NAME_MAX];
    if (name_eq(s, a, "tower"))
        return -1;
    tt_tok *rest = a->pos[2];
    int nrest = a->npos - 2;
    /* `tower NAME = TOWER with ...` or a plain copy `tower NAME = TOWER` */
    int derive = rest[0].kind == TT_TOK_WORD && !stage_find(rest[0].s) &&
                 (nrest == 1 || (rest[1].kind == TT_TOK_WORD && !strcmp(rest[1].s, "with")));
    if (derive) {
        tt_tower_def *base = tt_need_tower(s, &rest[0]);
        if (!base)
            return -1;
        d = *base;
        if (nrest > 1 && parse_stages(s, rest + 2, nrest - 2, &d, 1))
            return -1;
    } else {
        memset(&d, 0, sizeof d);
        if (tt_tower_parse(s, rest, nrest, &d))
            return -1;
    }
    snprintf(d.name, sizeof d.name, "%s", a->pos[0]->s);
    tt_tower_def *old = tt_session_tower(s, d.name);
    if (old) {
        *old = d;
    } else {
        tt_tower_def *nt = realloc(s->towers, (size_t)(s->n_towers + 1) * sizeof *nt);
        if (!nt)
            return tt_fail(s, 0, "out of memory");
        s->towers = nt;
        nt[s->n_towers++] = d;
    }
    snprintf(full, sizeof full, "tower %s = %s", d.name, tt_tower_format(&d, line, sizeof line));
    defined_info(s, "tower", d.name, full);
    return 0;
}

/* ---- models ---- */

const char *tt_model_format(const tt_model_def *m, char *buf, int n)
{
    char w[32];
    int j;
    if (m->kind != TT_MODEL_TWOTOWER) {
        char k[TT_DEF_MAX];
        return snprintf(buf, (size_t)n, "model %s = %s", m->name,
                        tt_mkind_format(m, k, sizeof k)), buf;
    }
    j = snprintf(buf, (size_t)n, "model %s = twotower %s %s sim=%s temp=%g loss=%s", m->name,
                 m->user_tower, m->item_tower,
                 tt_enum_word(tt_model_opts[0].values, m->sim, w, sizeof w), (double)m->temp,
                 tt_enum_word(tt_loss_names(), m->loss, (char[32]){0}, 32));
#define PUT(...) do { if (j < n) j += snprintf(buf + j, (size_t)(n - j), __VA_ARGS__); } while (0)
    const tt_loss_op *op = tt_loss_by_id(m->loss);
    int neg = op && op->default_neg > 0;
    if (m->logq)
        PUT(" logq=on");
    if (!m->mask_hits && op && op->mask)
        PUT(" mask=off");
    if (neg && m->neg)
        PUT(" neg=%d", m->neg);
    if (neg && m->sampler != TT_SAMPLE_UNIFORM)
        PUT(" sampler=pop alpha=%g", (double)m->alpha);
    if (m->fusion != TT_FUSE_SUM)
        PUT(" fusion=concat");
    if (m->augment == TT_AUG_DAT)
        PUT(" augment=dat dat_w=%g", (double)m->dat_w);
    if (m->interact == TT_INTERACT_FE)
        PUT(" interact=fe heads=%d", m->heads);
    if (m->cir > 0)
        PUT(" cir=%g", (double)m->cir);
    if (m->dat_ca > 0)
        PUT(" dat_ca=%g", (double)m->dat_ca);
    if (m->dat_ca > 0 && m->dat_cat[0])
        PUT(" dat_cat=%s", m->dat_cat);
#undef PUT
    return buf;
}

/* The losses logQ applies to, from the loss table: "loss=a or loss=b". */
static const char *logq_losses(char *buf, int n)
{
    int k = 0, j = 0;
    for (int i = 0; i < tt_loss_count(); i++)
        k += tt_loss_by_id(i)->logq;
    buf[0] = 0;
    for (int i = 0, seen = 0; i < tt_loss_count() && j < n; i++) {
        if (!tt_loss_by_id(i)->logq)
            continue;
        seen++;
        j += snprintf(buf + j, (size_t)(n - j), "%sloss=%s",
                      seen == 1 ? "" : seen == k ? " or " : ", ", tt_loss_by_id(i)->name);
    }
    return buf;
}

/* The place of model option key in tt_model_opts (and so in its values):
 * found by name, so that rows may be added anywhere in the table. */
static int model_opt(const char *key)
{
    return (int)(tt_optspec_find(tt_model_opts, key) - tt_model_opts);
}

/* Apply model options (only those given when only_set). */
static int apply_model_opts(tt_session *s, tt_model_def *d, tt_optval *v, int only_set)
{
    char buf[256];
    tt_opts_apply(tt_model_opts, v, &tt_bind_model, d, !only_set);
    const tt_optval *cat = &v[model_opt("dat_cat")];
    if (cat->set) {
        if (strlen(cat->s) >= sizeof d->dat_cat)
            return tt_fail(s, 0, "dat_cat=%s: a field name is at most %d characters", cat->s,
                           (int)sizeof d->dat_cat - 1);
        snprintf(d->dat_cat, sizeof d->dat_cat, "%s", cat->s);
    }
    if (d->logq && !tt_loss_by_id(d->loss)->logq)
        return tt_fail(s, 0, "logq applies to %s only", logq_losses(buf, sizeof buf));
    return 0;
}

int tt_model_with_opts(tt_session *s, tt_modelent *e, tt_tok *t, int n)
{
    tt_optval v[TT_OPT_MAX];
    if (tt_opts_parse(s, "model", tt_model_opts, t, n, NULL, v) ||
        apply_model_opts(s, &e->def, v, 1))
        return -1;
    for (int side = 0; side < 2; side++) {
        const tt_optval *tv = &v[model_opt(side ? "item" : "user")];
        if (!tv->set)
            continue;
        tt_tok tk = {TT_TOK_WORD, (char *)tv->s, 0, 0, -1};
        tt_tower_def *tw = tt_need_tower(s, &tk);
        if (!tw)
            return -1;
        *(side ? &e->i : &e->u) = *tw;
        snprintf(side ? e->def.item_tower : e->def.user_tower, TT_NAME_MAX, "%s", tw->name);
    }
    return 0;
}

/* A baseline's key=value options into d, checked against its row of the
 * kind table (unknown names get a suggestion). */
int tt_mkind_opts_parse(tt_session *s, tt_model_def *d, const tt_tok *t, int n)
{
    const tt_mkind *K = tt_mkind_get(d->kind);
    for (int k = 0; k < n; k++) {
        char key[64];
        if (!tt_tok_is_kv(&t[k]))
            return tt_fail(s, t[k].col, "unexpected '%s': %s options are key=value (%s)", t[k].s,
                           K->name, K->opts[0].name ? K->opts[0].name : "none");
        tt_tok_key(&t[k], key, sizeof key);
        int o = tt_mkind_opt(d->kind, key);
        if (o < 0) {
            const char *names[TT_KOPT_MAX];
            int m = 0;
            for (; m < TT_KOPT_MAX && K->opts[m].name; m++)
                names[m] = K->opts[m].name;
            const char *sug = tt_suggest(key, names, m);
            if (sug)
                return tt_fail(s, t[k].col, "unknown option '%s' for %s: did you mean '%s'?", key,
                               K->name, sug);
            char list[256];
            int j = 0;
            list[0] = 0;
            for (int q = 0; q < m; q++)
                j += snprintf(list + j, sizeof list - (size_t)j, "%s%s", q ? ", " : "", names[q]);
            return tt_fail(s, t[k].col, "unknown option '%s' for %s (it takes %s)", key, K->name,
                           m ? list : "no options");
        }
        const char *v = tt_tok_val(&t[k]);
        char *end;
        double x = strtod(v, &end);
        if (!*v || *end)
            return tt_fail(s, t[k].col, "%s=%s: expected a number", key, v);
        tt_err e;
        if (tt_mkind_check_opt(d, o, x, &e))
            return tt_fail(s, t[k].col, "%s", e.msg);
        d->kopt[o] = x;
    }
    return 0;
}

int tt_cmd_model(tt_session *s, tt_args *a)
{
    tt_modelent e;
    char line[TT_DEF_MAX];
    tt_optval v[TT_OPT_MAX];
    if (name_eq(s, a, "model"))
        return -1;
    memset(&e, 0, sizeof e);
    tt_tok *rest = a->pos[2];
    int nrest = a->npos - 2;
    const char *kind = rest[0].s;
    tt_tok *opt_tok = NULL;
    int n_opt = 0;
    int kk = tt_mkind_find(kind);
    if (kk >= 0 && tt_mkind_get(kk)->fitted) {
        tt_model_def_init(&e.def);
        e.def.kind = (enum tt_model_kind)kk;
        tt_mkind_defaults(&e.def);
        if (!tt_mkind_get(kk)->opts[0].name && nrest > 1)
            return tt_fail(s, 0, "%s takes no arguments, got '%s'", kind, rest[1].s);
        if (tt_mkind_opts_parse(s, &e.def, rest + 1, nrest - 1))
            return -1;
    } else if (!strcmp(kind, "twotower")) {
        if (nrest < 3 || tt_tok_is_kv(&rest[1]) || tt_tok_is_kv(&rest[2]))
            return tt_fail(s, 0, "twotower needs a user tower and an item tower: model NAME = twotower U I [key=value ...]");
        tt_tower_def *u = tt_need_tower(s, &rest[1]), *i = u ? tt_need_tower(s, &rest[2]) : NULL;
        if (!u || !i)
            return -1;
        for (int k = 3; k < nrest; k++)
            if (!tt_tok_is_kv(&rest[k]))
                return tt_fail(s, 0, "unexpected '%s': model options are key=value (temp=0.05)", rest[k].s);
        if (tt_opts_parse(s, "model", tt_model_opts, rest + 3, nrest - 3, NULL, v))
            return -1;
        if (v[model_opt("user")].set || v[model_opt("item")].set)
            return tt_fail(s, 0, "give the towers after twotower: model NAME = twotower U I");
        tt_model_def_init(&e.def);
        e.def.kind = TT_MODEL_TWOTOWER;
        if (apply_model_opts(s, &e.def, v, 0))
            return -1;
        snprintf(e.def.user_tower, TT_NAME_MAX, "%s", u->name);
        snprintf(e.def.item_tower, TT_NAME_MAX, "%s", i->name);
        e.u = *u;
        e.i = *i;
    } else if (nrest >= 2 && !strcmp(rest[1].s, "with")) {
        tt_modelent *base = tt_need_model(s, &rest[0]);
        if (!base)
            return -1;
        opt_tok = rest + 2;
        n_opt = nrest - 2;
        for (int k = 0; k < n_opt; k++)
            if (!tt_tok_is_kv(&opt_tok[k]))
                return tt_fail(s, 0, "after 'with' come key=value options (temp=0.1 loss=inbatch user=us), got '%s'",
                               opt_tok[k].s);
        if (n_opt == 0)
            return tt_fail(s, 0, "nothing after 'with': model NAME = MODEL with temp=0.1");
        e.def = base->def;
        e.u = base->u;
        e.i = base->i;
        if (base->def.kind != TT_MODEL_TWOTOWER) {
            if (!tt_mkind_get(base->def.kind)->opts[0].name)
                return tt_fail(s, 0, "'%s' is a %s model: it has no options to change",
                               base->def.name, tt_mkind_get(base->def.kind)->name);
            if (tt_mkind_opts_parse(s, &e.def, opt_tok, n_opt))
                return -1;
        } else if (tt_model_with_opts(s, &e, opt_tok, n_opt)) {
            return -1;
        }
    } else {
        const char *kinds[TT_MODEL_NKINDS];
        const char *sug = tt_suggest(kind, kinds, tt_mkind_names(kinds, TT_MODEL_NKINDS));
        if (tt_session_model(s, kind))
            return tt_fail(s, 0, "to derive from model '%s' write: model %s = %s with key=value ...",
                           kind, a->pos[0]->s, kind);
        if (sug)
            return tt_fail(s, 0, "unknown model kind '%s': did you mean '%s'?", kind, sug);
        char list[256];
        int j = 0, nk = tt_mkind_names(kinds, TT_MODEL_NKINDS);
        for (int q = 0; q < nk; q++)
            j += snprintf(list + j, sizeof list - (size_t)j, "%s, ", kinds[q]);
        return tt_fail(s, 0, "unknown model kind '%s' (expected %sor MODEL with ...)", kind, list);
    }
    snprintf(e.def.name, TT_NAME_MAX, "%s", a->pos[0]->s);
    tt_dsent *ds = tt_use_data(s, tt_session_current(s));
    if (ds) {
        /* Check fields and channel sizes now, against the current dataset,
         * rather than at train time. */
        tt_model *m = NULL;
        tt_err err;
        if (tt_model_create(&e.def, &e.u, &e.i, &ds->d, s->seed, &m, &err)) {
            s->err = err;
            /* Engine messages about the whole model already name it. */
            char who[TT_NAME_MAX + 8];
            snprintf(who, sizeof who, "model %s", e.def.name);
            if (strncmp(s->err.msg, who, strlen(who)) != 0)
                tt_err_prefix(&s->err, "%s", who);
            s->err_col = 0;
            return -1;
        }
        tt_model_free(m);
        snprintf(e.dataset, sizeof e.dataset, "%s", ds->name);
    }
    tt_modelent *old = tt_session_model(s, e.def.name);
    if (old && old->m && !tt_mkind_get(old->def.kind)->auto_fit)
        return tt_fail(s, 0, "model '%s' is already trained: drop it first ('drop model %s') or use another name",
                       e.def.name, e.def.name);
    if (old) {
        tt_session_drop_model(s, (int)(old - s->models));
    }
    tt_modelent *nm = realloc(s->models, (size_t)(s->n_models + 1) * sizeof *nm);
    if (!nm)
        return tt_fail(s, 0, "out of memory");
    s->models = nm;
    nm[s->n_models++] = e;
    defined_info(s, "model", e.def.name, tt_model_format(&e.def, line, sizeof line));
    return 0;
}

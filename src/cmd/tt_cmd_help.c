/* tt_cmd_help: help, read from the command table (completion is in tt_cmd_complete.c). */
#include "tt_cmd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_hint(const tt_optspec *o, char *buf, int n)
{
    switch (o->type) {
    case TT_O_INT:
        if (o->max >= 1e17)
            snprintf(buf, (size_t)n, "integer >= %.0f", o->min);
        else
            snprintf(buf, (size_t)n, "%.0f..%.0f", o->min, o->max);
        break;
    case TT_O_NUM:
        if (o->min > 0 && o->min < 1e-3)
            snprintf(buf, (size_t)n, "> 0, up to %g", o->max);
        else
            snprintf(buf, (size_t)n, "%g..%g", o->min, o->max);
        break;
    case TT_O_ENUM: snprintf(buf, (size_t)n, "%s", tt_opt_values(o)); break;
    case TT_O_INTS: snprintf(buf, (size_t)n, "comma list"); break;
    case TT_O_STR: snprintf(buf, (size_t)n, "text"); break;
    case TT_O_BOOL: snprintf(buf, (size_t)n, "on|off"); break;
    case TT_O_NAMES: snprintf(buf, (size_t)n, "names|none"); break;
    }
    return buf;
}

static void opts_help(FILE *f, const tt_optspec *o, const char *title)
{
    char kd[96], th[96], def[64];
    if (!o || !o->key)
        return;
    fprintf(f, "%s\n", title);
    const char *sub = NULL;
    for (; o->key; o++) {
        if (o->sub && (!sub || strcmp(sub, o->sub)))
            fprintf(f, " with %s:\n", o->sub);
        sub = o->sub;
        const char *dv = tt_opt_default(o, def, sizeof def);
        snprintf(kd, sizeof kd, "%s=%s", o->key, dv ? dv : "");
        fprintf(f, "  %-18s %s (%s)\n", kd, o->help, type_hint(o, th, sizeof th));
    }
}

static void cmd_help(FILE *f, const tt_cmd *c)
{
    fprintf(f, "usage: %s\n  %s\n", c->usage, c->summary);
    if (c->opts)
        opts_help(f, c->opts, "options (key=default):");
    if (!strcmp(c->name, "set"))
        opts_help(f, tt_settings, "settings (name=default):");
    if (!strcmp(c->name, "tower")) {
        fprintf(f, "stages:\n");
        int w = 0;   /* the widest usage sets the column of the summaries */
        for (int i = 0; i < tt_n_stages; i++)
            if ((int)strlen(tt_stages[i].usage) > w)
                w = (int)strlen(tt_stages[i].usage);
        for (int i = 0; i < tt_n_stages; i++)
            fprintf(f, "  %-*s %s\n", w, tt_stages[i].usage, tt_stages[i].summary);
        for (int i = 0; i < tt_n_stages; i++)
            if (tt_stages[i].opts) {
                char t[64];
                snprintf(t, sizeof t, "%s options:", tt_stages[i].name);
                opts_help(f, tt_stages[i].opts, t);
            }
    }
    if (c->help)
        fprintf(f, "%s\n", c->help);
}

int tt_help(tt_session *s, FILE *f, const char *topic)
{
    if (!topic) {
        fprintf(f, "commands (help CMD shows its options; help PREFIX lists matches):\n");
        for (int i = 0; i < tt_n_cmds; i++)
            fprintf(f, "  %-9s %s\n", tt_cmds[i].name, tt_cmds[i].summary);
        fprintf(f, "Options are key=value; commands on one line are separated by ';'.\n");
        fprintf(f, "Tower stages:");
        for (int i = 0, k = 0; i < tt_n_stages; i++)
            if (tt_stages[i].order > 0)
                fprintf(f, "%s %s", k++ ? "," : "", tt_stages[i].name);
        fprintf(f, " (help tower).\n");
        return 0;
    }
    const tt_cmd *c = tt_cmd_find(topic);
    if (c) {
        cmd_help(f, c);
        return 0;
    }
    for (int i = 0; i < tt_n_stages; i++)
        if (!strcmp(tt_stages[i].name, topic)) {
            fprintf(f, "tower stage: %s\n  %s\n", tt_stages[i].usage, tt_stages[i].summary);
            opts_help(f, tt_stages[i].opts, "options (key=default):");
            if (tt_stages[i].help)
                fprintf(f, "%s\n", tt_stages[i].help);
            return 0;
        }
    const tt_optspec *o = tt_optspec_find(tt_settings, topic);
    if (o) {
        char th[96], def[64];
        fprintf(f, "setting: set %s VALUE (default %s; %s)\n  %s\n", o->key,
                tt_opt_default(o, def, sizeof def),
                type_hint(o, th, sizeof th), o->help);
        return 0;
    }
    int n = 0, last = -1;
    size_t tl = strlen(topic);
    for (int i = 0; i < tt_n_cmds; i++)
        if (!strncmp(tt_cmds[i].name, topic, tl)) {
            n++;
            last = i;
        }
    if (n == 1) {
        cmd_help(f, &tt_cmds[last]);
        return 0;
    }
    if (n > 1) {
        for (int i = 0; i < tt_n_cmds; i++)
            if (!strncmp(tt_cmds[i].name, topic, tl))
                fprintf(f, "  %-9s %s\n", tt_cmds[i].name, tt_cmds[i].summary);
        return 0;
    }
    const char *sug = tt_cmd_suggest(topic);
    if (sug)
        return tt_fail(s, 0, "no help for '%s': did you mean '%s'?", topic, sug);
    return tt_fail(s, 0, "no help for '%s' (type 'help' for the commands)", topic);
}

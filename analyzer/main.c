/*
 * chargecap - offline analyzer for chargeshark's protocols.
 *
 *   chargecap [options] FILE|DIR|- ...
 *
 * Reads captures, reassembles TCP, identifies each session's protocol as
 * the Wireshark plugin does, decodes every PDU through the shared protocol
 * library, and reports (docs/chargecap.md, docs/chargecap-json.md).
 */
#include "extract.h"
#include "reader.h"
#include "run.h"
#include "session.h"

#include "chargeproto.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t got_sigpipe;

static void on_signal(int sig)
{
    if (sig == SIGPIPE)
        got_sigpipe = 1;
    cc_stop = 1;
}

static const char *ftype_name(cs_ftype t)
{
    static const char *n[] = {"none", "bool", "u8", "u16", "u24", "u32", "u64", "i32",
                              "double", "string", "bytes", "ipv4", "abstime", "reltime", "framenum"};
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

/* The flags of field f of p, comma-separated ("-" for none). */
static void field_flags(const cs_proto *p, int f, char *buf, size_t n)
{
    const cs_field_def *d = &p->fields[f];
    buf[0] = '\0';
    static const struct {
        uint32_t flag;
        const char *name;
    } fl[] = {{CS_FF_SUBTREE, "subtree"},   {CS_FF_INFERRED, "inferred"},
              {CS_FF_CHECKSUM, "checksum"}, {CS_FF_GENERATED, "generated"},
              {CS_FF_GARBAGE, "garbage"}};
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        if ((d->flags & fl[i].flag) || (fl[i].flag == CS_FF_GARBAGE && f == p->f_garbage))
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "", fl[i].name);
    for (int k = 0; k < p->n_fields; k++)
        if ((p->fields[k].flags & CS_FF_CHECKSUM) && p->fields[k].link == f)
            snprintf(buf + strlen(buf), n - strlen(buf), "%schecksum_status", buf[0] ? "," : "");
    if (!buf[0])
        snprintf(buf, n, "-");
}

/* --list: the library's definitions, one per line, tab-separated; with
 * "all" or "analyzer" also chargecap's own codes. */
static int list_definitions(const char *which)
{
    int found = 0;
    for (int i = 0; cs_protocols[i]; i++) {
        const cs_proto *p = cs_protocols[i];
        if (strcmp(which, "all") && strcmp(which, p->name))
            continue;
        found = 1;
        printf("protocol\t%s\t%s\t%s\n", p->name, p->long_name, p->short_name);
        for (int f = 0; f < p->n_fields; f++) {
            char flags[96];
            field_flags(p, f, flags, sizeof flags);
            printf("field\t%s\t%s\t%s\t%s\n", p->fields[f].abbrev, ftype_name(p->fields[f].type),
                   p->fields[f].name, flags);
        }
        for (int v = 0; v < p->n_violations; v++)
            printf("violation\t%s\t%s\t%s\n", p->violations[v].code,
                   cs_severity_key(p->violations[v].severity), p->violations[v].summary);
        for (int o = 0; o < p->n_options; o++) {
            const cs_option_def *d = &p->options[o];
            printf("option\t%s.%s\t%s\t%u\t%s\n", p->name, d->name,
                   d->type == CS_OPT_BOOL ? "bool" : d->type == CS_OPT_UINT ? "uint" : "enum", d->def,
                   d->title);
        }
    }
    if (!strcmp(which, "all") || !strcmp(which, "analyzer")) {
        found = 1;
        for (int c = 0; c < CC_A__COUNT; c++)
            printf("analyzer\t%s\t%s\t%s\n", cc_acodes[c].code,
                   cs_severity_key(cc_acodes[c].severity), cc_acodes[c].summary);
    }
    if (!found)
        fprintf(stderr, "chargecap: no protocol '%s' (chargecap --list all)\n", which);
    return found ? CC_EXIT_CLEAN : CC_EXIT_USAGE;
}

/* "64M", "1G", "4096" -> bytes; false when it does not parse. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-')
        return false;
    uint64_t m = 1;
    if (*end == 'k' || *end == 'K')
        m = 1ULL << 10, end++;
    else if (*end == 'M')
        m = 1ULL << 20, end++;
    else if (*end == 'G')
        m = 1ULL << 30, end++;
    if (*end || v > UINT64_MAX / m)
        return false;
    *out = v * m;
    return true;
}

/* ---- inputs ----------------------------------------------------------------------- */

typedef struct inputs {
    GPtrArray *paths;
} inputs;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The captures in a folder and its subfolders, in name order. */
static void add_dir(inputs *in, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "chargecap: %s: %s\n", dir, strerror(errno));
        return;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            g_ptr_array_add(names, g_strdup(e->d_name));
    closedir(d);
    qsort(names->pdata, names->len, sizeof(char *), cmp_str);
    for (guint i = 0; i < names->len; i++) {
        char *p = g_build_filename(dir, (char *)names->pdata[i], NULL);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (depth < 16)
                add_dir(in, p, depth + 1);
            g_free(p);
        } else if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && cc_sniff_capture(p) > 0) {
            g_ptr_array_add(in->paths, p);
        } else {
            g_free(p);
        }
    }
    g_ptr_array_free(names, TRUE);
}

/* ---- main --------------------------------------------------------------------------- */

typedef struct cli {
    GOptionContext *oc;
    gboolean version, messages, quiet, payload;
    gchar **files, **ports, **sets;
    gchar *fail_on, *list, *json, *extract, *idle, *max_sessions, *max_pdu, *max_open, *shard_min;
    gint jobs;
} cli;

static int chargecap_main(int argc, char **argv, cli *c);

int main(int argc, char **argv)
{
    cli c = {0};
    int status = chargecap_main(argc, argv, &c);
    if (c.oc)
        g_option_context_free(c.oc);
    g_strfreev(c.files);
    g_strfreev(c.ports);
    g_strfreev(c.sets);
    g_free(c.fail_on);
    g_free(c.list);
    g_free(c.json);
    g_free(c.extract);
    g_free(c.idle);
    g_free(c.max_sessions);
    g_free(c.max_pdu);
    g_free(c.max_open);
    g_free(c.shard_min);
    return status;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("chargecap: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (chargecap --help)\n", stderr);
    va_end(ap);
    return CC_EXIT_USAGE;
}

static int chargecap_main(int argc, char **argv, cli *c)
{
    c->jobs = 1;
    GOptionEntry entries[] = {
        {"messages", 'm', 0, G_OPTION_ARG_NONE, &c->messages,
         "Every message and violation (text, or records with --json)", NULL},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &c->json,
         "Write newline-delimited JSON records to FILE (- for standard output)", "FILE"},
        {"extract", 0, 0, G_OPTION_ARG_FILENAME, &c->extract,
         "Write one pcap per session under DIR/<capture name>/", "DIR"},
        {"payload", 0, 0, G_OPTION_ARG_NONE, &c->payload,
         "With --extract, also each side's reassembled bytes", NULL},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &c->jobs,
         "Threads: files in parallel, large files split by flow (default 1)", "N"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &c->quiet, "No progress bar", NULL},
        {"port", 0, 0, G_OPTION_ARG_STRING_ARRAY, &c->ports,
         "Decode these TCP/UDP ports as PROTO (as Wireshark's Decode As)", "PROTO=PORT[,PORT]"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &c->sets,
         "Set a protocol option (as the plugin's preferences)", "PROTO.OPTION=VALUE"},
        {"fail-on", 0, 0, G_OPTION_ARG_STRING, &c->fail_on,
         "Exit 1 on violations at or above LEVEL: error (default), warning, note, never",
         "LEVEL"},
        {"idle-timeout", 0, 0, G_OPTION_ARG_STRING, &c->idle,
         "End a session after SECONDS of capture time without a packet (default 900, 0: never)",
         "SECONDS"},
        {"max-sessions", 0, 0, G_OPTION_ARG_STRING, &c->max_sessions,
         "Sessions followed at once; the least recently active is ended beyond (default 100000)",
         "N"},
        {"max-pdu", 0, 0, G_OPTION_ARG_STRING, &c->max_pdu,
         "Largest PDU reassembled (default 1M); a longer one is skipped and reported", "BYTES"},
        {"max-open-files", 0, 0, G_OPTION_ARG_STRING, &c->max_open,
         "Files --extract keeps open at once (default 64)", "N"},
        {"shard-min", 0, 0, G_OPTION_ARG_STRING, &c->shard_min,
         "With -j, split plain files of at least BYTES by flow (default 16M)", "BYTES"},
        {"list", 0, 0, G_OPTION_ARG_STRING, &c->list,
         "List the fields, violation codes and options of PROTO (all; analyzer: chargecap's own "
         "codes)",
         "PROTO"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &c->version, "Print the version", NULL},
        /* no arg_description: GLib would print it before the context's own
         * "FILE|DIR|- ..." in the usage line */
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &c->files, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("FILE|DIR|- ... - analyze charging-protocol captures");
    c->oc = oc;
    g_option_context_set_summary(
        oc, "Reports, for every session of every capture, the device, the messages, the "
            "checksum verdicts and the protocol violations, as the chargeshark Wireshark plugin "
            "decodes them.");
    g_option_context_set_description(
        oc, "Exit status: 0 clean, 1 violations at or above --fail-on, 2 usage error, 3 an input "
            "is damaged or unreadable, 4 an output could not be written, 130 interrupted.\n"
            "See chargecap(1) and docs/chargecap.md.");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &gerr)) {
        int rc = usage_error("%s", gerr->message);
        g_error_free(gerr);
        return rc;
    }
    if (c->version) {
        printf("chargecap %s (protocols:", cs_version());
        for (int i = 0; cs_protocols[i]; i++)
            printf(" %s", cs_protocols[i]->name);
        printf("; JSON schema %d; %s)\n", CC_SCHEMA_VERSION, pcap_lib_version());
        return CC_EXIT_CLEAN;
    }
    if (c->list)
        return list_definitions(c->list);

    static cc_config cfg;
    cc_config_init(&cfg);
    cc_run_opts ro = {.cfg = &cfg, .jobs = c->jobs, .shard_min = 16u << 20, .fail_on = CS_SEV_ERROR};
    if (c->jobs < 1 || c->jobs > 256)
        return usage_error("-j takes a number of threads from 1 to 256");
    if (c->fail_on) {
        if (!strcmp(c->fail_on, "error"))
            ro.fail_on = CS_SEV_ERROR;
        else if (!strcmp(c->fail_on, "warning"))
            ro.fail_on = CS_SEV_WARN;
        else if (!strcmp(c->fail_on, "note"))
            ro.fail_on = CS_SEV_NOTE;
        else if (!strcmp(c->fail_on, "never"))
            ro.fail_on = 99;
        else
            return usage_error("--fail-on takes error, warning, note or never");
    }
    uint64_t v;
    if (c->idle) {
        if (!parse_size(c->idle, &v) || v > 100ULL * 365 * 86400)
            return usage_error("--idle-timeout takes a number of seconds");
        cfg.idle_ns = (int64_t)v * 1000000000;
    }
    if (c->max_sessions) {
        if (!parse_size(c->max_sessions, &v) || v < 1 || v > (1u << 30))
            return usage_error("--max-sessions takes a number from 1 to 2^30");
        cfg.max_sessions = (uint32_t)v;
    }
    if (c->max_pdu) {
        if (!parse_size(c->max_pdu, &v) || v < 16 || v > (1u << 30))
            return usage_error("--max-pdu takes a size from 16 bytes to 1G");
        cfg.max_pdu = (uint32_t)v;
    }
    if (c->max_open) {
        if (!parse_size(c->max_open, &v) || v < 1 || v > 100000)
            return usage_error("--max-open-files takes a number from 1 to 100000");
        cfg.fd_budget = (uint32_t)v;
    }
    if (c->shard_min && !parse_size(c->shard_min, &ro.shard_min))
        return usage_error("--shard-min takes a size such as 64M");
    if ((uint32_t)c->jobs > cfg.fd_budget)
        cfg.fd_budget = (uint32_t)c->jobs;
    for (gchar **h = c->ports; h && *h; h++) {
        char *eq = strchr(*h, '=');
        char *name = eq ? g_strndup(*h, (gsize)(eq - *h)) : NULL;
        const cs_proto *p = name ? cs_proto_by_name(name) : NULL;
        g_free(name);
        if (!p)
            return usage_error("--port %s: expected PROTO=PORT[,PORT] with a known protocol", *h);
        uint8_t val = (uint8_t)(cc_proto_index(p) + 1);
        bool ok = true;
        if (p->transports & CS_TR_TCP)
            ok = ok && !cc_ports_parse(eq + 1, cfg.port_tcp, val);
        if (p->transports & CS_TR_UDP)
            ok = ok && !cc_ports_parse(eq + 1, cfg.port_udp, val);
        if (!ok || !eq[1])
            return usage_error("--port %s: '%s' is not a list of ports (8992 or 8000-8010,9000)",
                               *h, eq + 1);
    }
    for (gchar **s = c->sets; s && *s; s++) {
        char *dot = strchr(*s, '.'), *eq = strchr(*s, '=');
        char *pname = dot ? g_strndup(*s, (gsize)(dot - *s)) : NULL;
        const cs_proto *p = pname ? cs_proto_by_name(pname) : NULL;
        g_free(pname);
        char e[160] = "expected PROTO.OPTION=VALUE with a known protocol";
        int bad = !p || !eq || eq < dot;
        if (!bad) {
            char *oname = g_strndup(dot + 1, (gsize)(eq - dot - 1));
            bad = cs_opts_set(p, cfg.opts[cc_proto_index(p)], oname, eq + 1, e, sizeof e);
            g_free(oname);
        }
        if (bad)
            return usage_error("--set %s: %s", *s, e);
    }
    if (!c->files || !c->files[0])
        return usage_error("no capture file given");
    if (c->payload && !c->extract)
        return usage_error("--payload goes with --extract");

    /* inputs: files as given, folders expanded */
    inputs in = {g_ptr_array_new_with_free_func(g_free)};
    int stdin_count = 0;
    for (gchar **f = c->files; *f; f++) {
        struct stat sb;
        if (strcmp(*f, "-") && stat(*f, &sb) == 0 && S_ISDIR(sb.st_mode))
            add_dir(&in, *f, 0);
        else {
            stdin_count += !strcmp(*f, "-");
            g_ptr_array_add(in.paths, g_strdup(*f));
        }
    }
    if (stdin_count > 1) {
        g_ptr_array_free(in.paths, TRUE);
        return usage_error("standard input (-) can be read only once");
    }
    if (!in.paths->len) {
        g_ptr_array_free(in.paths, TRUE);
        fprintf(stderr, "chargecap: no capture file found\n");
        return CC_EXIT_DAMAGED;
    }
    int n = (int)in.paths->len;
    cc_input *inputs = g_new0(cc_input, n);
    GHashTable *stems = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < n; i++) {
        inputs[i].path = in.paths->pdata[i];
        char stem[100];
        cc_extract_stem(inputs[i].path, stem, sizeof stem);
        snprintf(inputs[i].stem, sizeof inputs[i].stem, "%s", stem);
        for (int k = 2; g_hash_table_contains(stems, inputs[i].stem); k++)
            snprintf(inputs[i].stem, sizeof inputs[i].stem, "%s-%d", stem, k);
        g_hash_table_add(stems, g_strdup(inputs[i].stem));
    }

    /* outputs */
    cc_outputs out = {0};
    FILE *json = NULL;
    bool json_stdout = c->json && !strcmp(c->json, "-");
    if (c->json) {
        json = json_stdout ? stdout : fopen(c->json, "w");
        if (!json) {
            fprintf(stderr, "chargecap: --json %s: %s\n", c->json, strerror(errno));
            g_hash_table_destroy(stems);
            g_free(inputs);
            g_ptr_array_free(in.paths, TRUE);
            return CC_EXIT_OUTPUT;
        }
        setvbuf(json, NULL, _IOFBF, 1 << 20);
    }
    out.json = json;
    out.text = json_stdout ? NULL : stdout;
    out.report = !json_stdout;
    if (!json_stdout)
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);

    cfg.json = c->json != NULL;
    cfg.messages = c->messages;
    cfg.text_messages = c->messages && !c->json;
    cfg.want = c->messages ? (CS_WANT_INFO | (c->json ? CS_WANT_ITEMS : 0)) : 0;
    cfg.extract_dir = c->extract;
    cfg.payload = c->payload;
    ro.progress = !c->quiet && isatty(2);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    cc_reader_stop_flag(&cc_stop);

    int status = cc_run(&ro, inputs, n, &out);
    if (json && !json_stdout && fclose(json) && status < CC_EXIT_DAMAGED)
        status = CC_EXIT_OUTPUT;
    if (got_sigpipe)
        status = CC_EXIT_OUTPUT;
    g_hash_table_destroy(stems);
    g_free(inputs);
    g_ptr_array_free(in.paths, TRUE);
    return status;
}

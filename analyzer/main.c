/*
 * chargecap - offline analyzer for chargeshark's protocols.
 *
 *   chargecap [options] FILE...
 *
 * Reads captures with libpcap, reassembles TCP, identifies each session's
 * protocol with the same heuristics as the Wireshark plugin, and decodes
 * every PDU through the shared protocol library.
 */
#include "packet.h"
#include "session.h"

#include "chargeproto.h"

#include <errno.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EXIT_CLEAN = 0, EXIT_VIOLATIONS = 1, EXIT_USAGE = 2, EXIT_DAMAGED = 3 };

typedef struct viol_count {
    const cs_proto *p;
    int code;
    uint64_t count;
    uint64_t first[5];
    int n_first;
} viol_count;

typedef struct run {
    bool messages;
    int fail_on; /* cs_severity */
    const char *file;
    GHashTable *viols; /* "proto\0code" -> viol_count */
    GPtrArray *viol_order;
    GPtrArray *sessions; /* lines, printed at the end */
    uint64_t worst;      /* highest severity seen */
    uint64_t n_messages, n_viols, ck[4];
} run;

static void count_violation(run *r, const cs_proto *p, int code, uint64_t frame)
{
    char key[128];
    snprintf(key, sizeof key, "%s/%d", p->name, code);
    viol_count *vc = g_hash_table_lookup(r->viols, key);
    if (!vc) {
        vc = g_new0(viol_count, 1);
        vc->p = p;
        vc->code = code;
        g_hash_table_insert(r->viols, g_strdup(key), vc);
        g_ptr_array_add(r->viol_order, vc);
    }
    vc->count++;
    if (vc->n_first < 5)
        vc->first[vc->n_first++] = frame;
    r->n_viols++;
    if ((uint64_t)p->violations[code].severity > r->worst)
        r->worst = p->violations[code].severity;
}

static void fmt_time(int64_t ns, char *buf, size_t n)
{
    time_t secs = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    if (k && k < n)
        snprintf(buf + k, n - k, ".%06ldZ", (long)((ns % 1000000000) / 1000));
}

static void on_message(void *ctx, const cc_message *m)
{
    run *r = ctx;
    const cs_out *o = m->out;
    if (!o->garbage) {
        r->n_messages++;
        if (o->cksum < 4)
            r->ck[o->cksum]++;
    }
    if (r->messages) {
        char ts[40];
        fmt_time(m->ts_ns, ts, sizeof ts);
        printf("  %6llu %s #%llu %-6s %-9s %s%s%s\n", (unsigned long long)m->frame, ts,
               (unsigned long long)m->s->id, m->proto->name, cs_dir_key((cs_dir)o->dir), o->info,
               o->cksum == CS_CK_BAD ? " [bad checksum]" : "", "");
    }
    for (uint32_t i = 0; i < o->n_viols; i++) {
        const cs_viol *v = &o->viols[i];
        uint64_t frame = v->frame ? v->frame : m->frame;
        count_violation(r, m->proto, v->code, frame);
        if (r->messages)
            printf("  %6s   %s %s: %s\n", "", cs_severity_key(m->proto->violations[v->code].severity),
                   m->proto->violations[v->code].code,
                   v->msg ? cs_str(o, v->msg) : m->proto->violations[v->code].summary);
    }
}

static void on_late(void *ctx, const cc_late_violation *lv)
{
    run *r = ctx;
    const cs_viol *v = lv->v;
    count_violation(r, lv->proto, v->code, lv->frame);
    if (r->messages)
        printf("  %6llu   %s %s: %s\n", (unsigned long long)lv->frame,
               cs_severity_key(lv->proto->violations[v->code].severity),
               lv->proto->violations[v->code].code,
               v->msg ? cs_str(lv->out, v->msg) : lv->proto->violations[v->code].summary);
}

static void on_session_end(void *ctx, const cc_session *s)
{
    run *r = ctx;
    char a[64], b[64];
    cc_addr_str(&s->addr[0], a, sizeof a);
    cc_addr_str(&s->addr[1], b, sizeof b);
    char *line = g_strdup_printf("  %3llu %-7s %s %s:%u %s %s:%u  %llu msgs%s%s",
                                 (unsigned long long)s->id, s->proto ? s->proto->name : "unknown",
                                 s->l4 == 6 ? "tcp" : "udp", a, s->port[0],
                                 s->handshake ? "->" : "<>", b, s->port[1],
                                 (unsigned long long)s->messages, s->device[0] ? "  " : "",
                                 s->device);
    g_ptr_array_add(r->sessions, line);
}

static int process_file(const char *path, cc_tracker **tp, const cc_sink *sink,
                        const cc_config *cfg)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pc) {
        fprintf(stderr, "chargecap: %s: %s\n", path, err);
        return EXIT_DAMAGED;
    }
    cc_tracker *t = cc_tracker_new(sink, path, cfg);
    *tp = t;
    int linktype = pcap_datalink(pc);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t frame = 0;
    int rc, status = EXIT_CLEAN;
    while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
        cc_packet p = {0};
        p.frame = ++frame;
        p.ts_ns = (int64_t)hdr->ts.tv_sec * 1000000000 + hdr->ts.tv_usec;
        p.caplen = hdr->caplen;
        p.len = hdr->len;
        p.data = data;
        const char *why = NULL;
        if (cc_decode_packet(linktype, &p, &why))
            cc_tracker_packet(t, &p);
    }
    if (rc == -1) {
        fprintf(stderr, "chargecap: %s: damaged after packet %llu: %s\n", path,
                (unsigned long long)frame, pcap_geterr(pc));
        status = EXIT_DAMAGED;
    }
    cc_tracker_finish(t);
    pcap_close(pc);
    printf("%s: %llu packets\n", path, (unsigned long long)frame);
    return status;
}

static const char *ftype_name(cs_ftype t)
{
    static const char *n[] = {"none", "bool", "u8", "u16", "u24", "u32", "u64", "i32",
                              "double", "string", "bytes", "ipv4", "abstime", "reltime", "framenum"};
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

/* --list: the library's definitions, one per line, tab-separated. */
static int list_definitions(const char *which)
{
    int found = 0;
    for (int i = 0; cs_protocols[i]; i++) {
        const cs_proto *p = cs_protocols[i];
        if (which && strcmp(which, "all") && strcmp(which, p->name))
            continue;
        found = 1;
        printf("protocol\t%s\t%s\n", p->name, p->long_name);
        for (int f = 0; f < p->n_fields; f++)
            printf("field\t%s\t%s\t%s\n", p->fields[f].abbrev, ftype_name(p->fields[f].type),
                   p->fields[f].name);
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
    if (!found)
        fprintf(stderr, "chargecap: no protocol '%s'\n", which);
    return found ? EXIT_CLEAN : EXIT_USAGE;
}

/* The command line as parsed; freed by main() whatever path run() takes. */
typedef struct cli {
    GOptionContext *oc;
    gboolean version, messages;
    gchar **files, **ports, **sets;
    gchar *fail_on, *list;
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
    return status;
}

static int chargecap_main(int argc, char **argv, cli *c)
{
    gboolean version = FALSE, messages = FALSE;
    gchar **files = NULL, **ports = NULL, **sets = NULL;
    gchar *fail_on = NULL, *list = NULL;
    GOptionEntry entries[] = {
        {"messages", 'm', 0, G_OPTION_ARG_NONE, &messages, "List every message and violation", NULL},
        {"port", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ports, "Decode PORT[,PORT] as PROTO", "PROTO=PORT"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Set a protocol option", "PROTO.OPTION=VALUE"},
        {"fail-on", 0, 0, G_OPTION_ARG_STRING, &fail_on, "Exit 1 on violations at or above LEVEL (error, warning, note; default error)", "LEVEL"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL},
        {"list", 0, 0, G_OPTION_ARG_STRING, &list, "List the fields, violation codes and options of PROTO (or all)", "PROTO"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE..."},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *oc = g_option_context_new("FILE... - analyze chargeshark protocol captures");
    c->oc = oc;
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    gboolean parsed = g_option_context_parse(oc, &argc, &argv, &gerr);
    c->files = files;
    c->ports = ports;
    c->sets = sets;
    c->fail_on = fail_on;
    c->list = list;
    if (!parsed) {
        fprintf(stderr, "chargecap: %s\n", gerr->message);
        g_error_free(gerr);
        return EXIT_USAGE;
    }
    if (version) {
        printf("chargecap %s (protocols:", cs_version());
        for (int i = 0; cs_protocols[i]; i++)
            printf(" %s", cs_protocols[i]->name);
        printf("; %s)\n", pcap_lib_version());
        return EXIT_CLEAN;
    }
    if (list)
        return list_definitions(list);
    if (!files || !files[0]) {
        fprintf(stderr, "chargecap: no capture file given (chargecap --help)\n");
        return EXIT_USAGE;
    }
    run r = {0};
    r.messages = messages;
    r.fail_on = CS_SEV_ERROR;
    if (fail_on) {
        if (!strcmp(fail_on, "error"))
            r.fail_on = CS_SEV_ERROR;
        else if (!strcmp(fail_on, "warning"))
            r.fail_on = CS_SEV_WARN;
        else if (!strcmp(fail_on, "note"))
            r.fail_on = CS_SEV_NOTE;
        else {
            fprintf(stderr, "chargecap: --fail-on takes error, warning or note\n");
            return EXIT_USAGE;
        }
    }
    static cc_config cfg;
    cc_config_init(&cfg);
    for (gchar **h = ports; h && *h; h++) {
        char *eq = strchr(*h, '=');
        char *name = eq ? g_strndup(*h, (gsize)(eq - *h)) : NULL;
        const cs_proto *p = name ? cs_proto_by_name(name) : NULL;
        g_free(name);
        if (!p) {
            fprintf(stderr, "chargecap: --port %s: expected PROTO=PORT[,PORT] with a known protocol\n", *h);
            return EXIT_USAGE;
        }
        gchar **list = g_strsplit(eq + 1, ",", -1);
        for (gchar **q = list; *q; q++) {
            char *end = NULL;
            long port = strtol(*q, &end, 10);
            if (!**q || *end || port < 1 || port > 65535) {
                fprintf(stderr, "chargecap: --port %s: '%s' is not a port\n", *h, *q);
                g_strfreev(list);
                return EXIT_USAGE;
            }
            cfg.port_hint[port] = p;
        }
        g_strfreev(list);
    }
    for (gchar **s = sets; s && *s; s++) {
        char *dot = strchr(*s, '.'), *eq = strchr(*s, '=');
        char *pname = dot ? g_strndup(*s, (gsize)(dot - *s)) : NULL;
        const cs_proto *p = pname ? cs_proto_by_name(pname) : NULL;
        g_free(pname);
        char e[160] = "expected PROTO.OPTION=VALUE with a known protocol";
        int bad = !p || !eq || eq < dot;
        if (!bad) {
            char *oname = g_strndup(dot + 1, (gsize)(eq - dot - 1));
            bad = cs_opts_set(p, cc_config_opts(&cfg, p), oname, eq + 1, e, sizeof e);
            g_free(oname);
        }
        if (bad) {
            fprintf(stderr, "chargecap: --set %s: %s\n", *s, e);
            return EXIT_USAGE;
        }
    }
    cc_sink sink = {.ctx = &r, .message = on_message, .late = on_late, .session_end = on_session_end};
    int status = EXIT_CLEAN;
    for (gchar **f = files; *f; f++) {
        r.viols = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        r.viol_order = g_ptr_array_new();
        r.sessions = g_ptr_array_new_with_free_func(g_free);
        r.n_messages = r.n_viols = 0;
        memset(r.ck, 0, sizeof r.ck);
        if (messages)
            printf("== %s\n", *f);
        cc_tracker *t = NULL;
        int st = process_file(*f, &t, &sink, &cfg);
        if (t) {
            printf("  %llu messages; checksums: %llu good, %llu bad, %llu unverified, %llu absent\n",
                   (unsigned long long)r.n_messages, (unsigned long long)r.ck[CS_CK_GOOD],
                   (unsigned long long)r.ck[CS_CK_BAD], (unsigned long long)r.ck[CS_CK_UNVERIFIED],
                   (unsigned long long)r.ck[CS_CK_ABSENT]);
            printf("  sessions:\n");
            for (guint i = 0; i < r.sessions->len; i++)
                printf("%s\n", (char *)g_ptr_array_index(r.sessions, i));
            if (r.viol_order->len) {
                printf("  violations:\n");
                for (guint i = 0; i < r.viol_order->len; i++) {
                    viol_count *vc = g_ptr_array_index(r.viol_order, i);
                    const cs_violation_def *d = &vc->p->violations[vc->code];
                    printf("    %-30s %-7s %5llu  frames", d->code, cs_severity_key(d->severity),
                           (unsigned long long)vc->count);
                    for (int k = 0; k < vc->n_first; k++)
                        printf(" %llu", (unsigned long long)vc->first[k]);
                    printf("%s\n", vc->count > (uint64_t)vc->n_first ? " ..." : "");
                }
            }
            cc_tracker_free(t);
        }
        if (st > status)
            status = st;
        g_hash_table_destroy(r.viols);
        g_ptr_array_free(r.viol_order, TRUE);
        g_ptr_array_free(r.sessions, TRUE);
    }
    if (status == EXIT_CLEAN && r.worst >= (uint64_t)r.fail_on)
        status = EXIT_VIOLATIONS;
    return status;
}

/* report.c - one file's output, and the human report (see report.h). */
#include "report.h"

#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEVICES 100000

typedef struct dev_agg {
    cc_device d;
    int proto;
    uint64_t sessions, first_session;
    uint64_t fw_frame, iccid_frame, signal_frame;
} dev_agg;

struct cc_frep {
    const cc_config *cfg;
    cc_outputs *out;
    char *file;
    FILE *sessions; /* the session list, as it comes */
    uint64_t n_sessions;
    GHashTable *devs; /* "proto\tid" -> dev_agg */
    GPtrArray *dev_order;
    uint64_t devs_dropped;
    sbuf line;  /* session lines not yet written to `sessions` */
    sbuf jpend; /* JSON records not yet written to out->json */
};

/* Output gathered in a buffer is written in blocks of about this size: one
 * stdio call per block, not per record. */
#define WRITE_BLOCK (64u * 1024)

cc_frep *cc_frep_new(const cc_config *cfg, cc_outputs *out, const char *file)
{
    cc_frep *r = g_new0(cc_frep, 1);
    r->cfg = cfg;
    r->out = out;
    r->file = g_strdup(file);
    if (out->report && out->text)
        r->sessions = tmpfile();
    r->devs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->dev_order = g_ptr_array_new_with_free_func(g_free);
    return r;
}

static void out_write(cc_outputs *o, FILE *f, const void *p, size_t n)
{
    if (f && n && fwrite(p, 1, n, f) != n)
        o->failed = true;
}

/* What the buffers hold, written out. */
static void frep_flush(cc_frep *r)
{
    out_write(r->out, r->sessions, r->line.p, r->line.n);
    r->line.n = 0;
    out_write(r->out, r->out->json, r->jpend.p, r->jpend.n);
    r->jpend.n = 0;
}

void cc_frep_free(cc_frep *r)
{
    if (!r)
        return;
    frep_flush(r); /* (stopped before the end: what came is written) */
    if (r->sessions)
        fclose(r->sessions);
    g_hash_table_destroy(r->devs);
    g_ptr_array_free(r->dev_order, TRUE);
    sb_free(&r->line);
    sb_free(&r->jpend);
    g_free(r->file);
    g_free(r);
}

static void human_bytes(uint64_t v, char *buf, size_t n)
{
    if (v < 1000 && n >= 8) {
        /* "%.0f B" of a whole number is the number */
        sbuf b = {(uint8_t *)buf, 0, n};
        sb_u64(&b, v);
        memcpy(buf + b.n, " B", 3);
        return;
    }
    cc_human_size((double)v, buf, n);
}

/* "2024-10-27 03:33:20" */
static void human_time(int64_t ts, char *buf, size_t n)
{
    sbuf b = {0};
    sb_iso(&b, ts);
    size_t k = b.n >= 20 ? 19 : b.n;
    snprintf(buf, n, "%.*s", (int)k, (const char *)b.p);
    char *t = strchr(buf, 'T');
    if (t)
        *t = ' ';
    sb_free(&b);
}

/* "address:port", "[address]:port" for IPv6 */
static void sb_endpoint(sbuf *b, const cc_addr *a, uint16_t port)
{
    uint8_t *w = sb_w(b, 80);
    if (a->family == 6) {
        char t[64];
        cc_addr_str(a, t, sizeof t);
        w = w_c(w, '[');
        w = w_s(w, t);
        w = w_s(w, "]:");
    } else {
        w = w_ipv4(w, a->a);
        w = w_c(w, ':');
    }
    sb_wend(b, w_u64(w, port));
}

static void add_device(cc_frep *r, const cc_sess_sum *s, const cc_device *d)
{
    /* "proto\tid" (the id is at most 63 bytes: no truncation) */
    char key[96];
    sbuf k = {(uint8_t *)key, 0, sizeof key};
    sb_i64(&k, s->proto);
    sb_c(&k, '\t');
    sb_put(&k, d->id, strnlen(d->id, sizeof d->id - 1));
    key[k.n] = '\0';
    dev_agg *a = g_hash_table_lookup(r->devs, key);
    if (!a) {
        if (g_hash_table_size(r->devs) >= MAX_DEVICES) {
            r->devs_dropped++;
            return;
        }
        a = g_new0(dev_agg, 1);
        a->d = *d;
        a->proto = s->proto;
        a->first_session = s->id;
        a->fw_frame = a->iccid_frame = a->signal_frame = d->last_frame;
        g_hash_table_insert(r->devs, g_strdup(key), a);
        g_ptr_array_add(r->dev_order, a);
    } else {
        if (d->first_frame < a->d.first_frame) {
            a->d.first_frame = d->first_frame;
            a->d.first_ts = d->first_ts;
        }
        if (d->last_frame > a->d.last_frame) {
            a->d.last_frame = d->last_frame;
            a->d.last_ts = d->last_ts;
        }
        /* what the latest session said wins */
        if (d->firmware[0] && d->last_frame >= a->fw_frame) {
            memcpy(a->d.firmware, d->firmware, sizeof a->d.firmware);
            a->fw_frame = d->last_frame;
        }
        if (d->iccid[0] && d->last_frame >= a->iccid_frame) {
            memcpy(a->d.iccid, d->iccid, sizeof a->d.iccid);
            a->iccid_frame = d->last_frame;
        }
        if (d->signal[0] && d->last_frame >= a->signal_frame) {
            memcpy(a->d.signal, d->signal, sizeof a->d.signal);
            a->signal_frame = d->last_frame;
        }
    }
    a->sessions++;
}

static const char *proto_name(int i) { return i >= 0 && cs_protocols[i] ? cs_protocols[i]->name : "unknown"; }

static void session_line(cc_frep *r, const cc_sess_sum *s)
{
    sbuf *b = &r->line;
    char up[24], down[24];
    human_bytes(s->bytes[0], up, sizeof up);
    human_bytes(s->bytes[1], down, sizeof down);
    /* "%9llu %-8s %s %s %s": the session, protocol, transport, client */
    size_t line0 = b->n; /* where the line starts (the buffer holds earlier ones) */
    sb_pad_u64(b, s->id, 9);
    sb_c(b, ' ');
    const char *pn = proto_name(s->proto);
    size_t pl = strlen(pn);
    sb_put(b, pn, pl);
    for (; pl < 8; pl++)
        sb_c(b, ' ');
    sb_s(b, s->l4 == 6 ? " tcp " : " udp ");
    sb_endpoint(b, &s->addr[0], s->port[0]);
    sb_s(b, s->client_known ? " ->" : " <>");
    sbuf z = {0};
    char zt[80];
    z.p = (uint8_t *)zt;
    z.cap = sizeof zt;
    sb_endpoint(&z, &s->addr[1], s->port[1]);
    if (b->n - line0 + 1 + z.n > 80) {
        sb_s(b, "\n                      "); /* long (IPv6) endpoints: the server below */
        line0 = b->n - 22;
    } else {
        sb_c(b, ' ');
    }
    sb_put(b, z.p, z.n);
    char right[64];
    sbuf rb = {(uint8_t *)right, 0, sizeof right};
    sb_u64(&rb, s->messages);
    sb_s(&rb, " msgs");
    right[rb.n] = '\0';
    if (b->n - line0 + 2 + rb.n <= 80) {
        size_t pad = 80 - rb.n - (b->n - line0);
        uint8_t *w = sb_w(b, pad + rb.n);
        memset(w, ' ', pad);
        sb_wend(b, w_put(w + pad, right, rb.n));
        right[0] = '\0';
    }
    sb_c(b, '\n');
    /* the second line: bytes, how it ended, the device, the findings */
    size_t at = b->n;
    sb_s(b, "          ");
    if (right[0]) {
        sb_s(b, right);
        sb_s(b, ", ");
    }
    sb_s(b, up);
    sb_s(b, " up, ");
    sb_s(b, down);
    sb_s(b, " down");
    if (s->gap) {
        sb_s(b, ", ");
        sb_u64(b, s->gap);
        sb_s(b, " B missing");
    }
    if (s->violations) {
        sb_s(b, ", ");
        sb_u64(b, s->violations);
        sb_s(b, s->violations == 1 ? " violation" : " violations");
    }
    if (s->l4 == 6 && s->state) {
        sb_s(b, ", ");
        sb_s(b, cc_state_name(s->state));
    }
    if (s->end != CC_END_CAPTURE) {
        sb_s(b, ", ended: ");
        sb_s(b, cc_end_names[s->end]);
    }
    for (uint8_t i = 0; i < s->n_dev && i < CC_MAX_DEVICES; i++) {
        if (!s->dev[i].id[0])
            continue;
        sb_s(b, i ? ", " : "; ");
        size_t n = strlen(s->dev[i].id);
        if (b->n - at + n + 1 > 80) {
            sb_s(b, "\n            ");
            at = b->n - 12;
        }
        sb_safe(b, s->dev[i].id, n);
    }
    sb_c(b, '\n');
    if (b->n >= WRITE_BLOCK) {
        out_write(r->out, r->sessions, b->p, b->n);
        b->n = 0;
    }
}

void cc_frep_record(cc_frep *r, uint8_t type, const uint8_t *p, uint32_t len)
{
    switch (type) {
    case CC_R_JSON:
        /* gathered (the JSON goes nowhere else: the text, the session
         * list and other files' JSON are written by other calls) */
        if (r->jpend.n + len > WRITE_BLOCK) {
            out_write(r->out, r->out->json, r->jpend.p, r->jpend.n);
            r->jpend.n = 0;
        }
        if (len >= WRITE_BLOCK)
            out_write(r->out, r->out->json, p, len);
        else if (r->out->json)
            sb_put(&r->jpend, p, len);
        break;
    case CC_R_TEXT:
        out_write(r->out, r->out->text, p, len);
        break;
    case CC_R_SESS: {
        size_t head = offsetof(cc_sess_sum, dev);
        if (len < head)
            break;
        cc_sess_sum s;
        memcpy(&s, p, head);
        if (s.n_dev > CC_MAX_DEVICES || len < head + s.n_dev * sizeof(cc_device))
            break;
        memcpy(s.dev, p + head, s.n_dev * sizeof(cc_device));
        r->n_sessions++;
        for (uint8_t i = 0; i < s.n_dev && i < CC_MAX_DEVICES; i++)
            if (s.dev[i].id[0])
                add_device(r, &s, &s.dev[i]);
        if (r->sessions)
            session_line(r, &s);
        break;
    }
    }
}

void cc_frep_chunk(cc_frep *r, const cc_chunk *c)
{
    const uint8_t *p = c->data.p;
    size_t n = c->data.n, at = 0;
    while (at + 13 <= n) {
        uint32_t len;
        memcpy(&len, p + at + 9, 4);
        cc_frep_record(r, p[at + 8], p + at + 13, len);
        at += 13 + (size_t)len;
    }
}

/* ---- the report ---------------------------------------------------------------------- */

static void pr(cc_frep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pr(cc_frep *r, const char *fmt, ...)
{
    if (!r->out->text)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(r->out->text, fmt, ap) < 0)
        r->out->failed = true;
    va_end(ap);
}

static uint64_t n_protocols(void)
{
    uint64_t n = 0;
    while (cs_protocols[n] && n < CC_MAX_PROTOS)
        n++;
    return n;
}

/* Devices in the order they were first seen. */
static gint dev_cmp(gconstpointer a, gconstpointer b)
{
    const dev_agg *x = *(dev_agg *const *)a, *y = *(dev_agg *const *)b;
    if (x->d.first_frame != y->d.first_frame)
        return x->d.first_frame < y->d.first_frame ? -1 : 1;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return strcmp(x->d.id, y->d.id);
}

static void print_report(cc_frep *r, const cc_stats *st)
{
    sbuf b = {0};
    sb_safe(&b, r->file, strlen(r->file));
    sb_c(&b, '\0');
    pr(r, "== %s\n", (const char *)b.p);
    sb_free(&b);
    if (st->open_error[0]) {
        pr(r, "   cannot read it: %s\n\n", st->open_error);
        return;
    }
    uint64_t np = n_protocols(), sessions = 0, messages = 0;
    for (uint64_t i = 0; i <= np; i++) {
        sessions += st->proto[i].sessions;
        messages += st->proto[i].messages;
    }
    char t0[32] = "-", t1[32] = "-";
    if (st->frames) {
        human_time(st->first_ts, t0, sizeof t0);
        human_time(st->last_ts, t1, sizeof t1);
    }
    pr(r, "   %s, %llu frames, %s to %s UTC\n", st->format, (unsigned long long)st->frames, t0,
       !strncmp(t0, t1, 11) ? t1 + 11 : t1);
    uint64_t ck[4] = {0};
    for (uint64_t i = 0; i < np; i++)
        for (int k = 0; k < 4; k++)
            ck[k] += st->proto[i].ck[k];
    pr(r, "   %llu session%s, %llu violation%s\n", (unsigned long long)sessions,
       sessions == 1 ? "" : "s", (unsigned long long)st->violations, st->violations == 1 ? "" : "s");
    pr(r, "   %llu messages; checksums: %llu good, %llu bad, %llu unverified, %llu absent\n",
       (unsigned long long)messages, (unsigned long long)ck[CS_CK_GOOD],
       (unsigned long long)ck[CS_CK_BAD], (unsigned long long)ck[CS_CK_UNVERIFIED],
       (unsigned long long)ck[CS_CK_ABSENT]);
    if (st->damaged[0])
        pr(r, "   DAMAGED: %s\n", st->damaged);
    if (st->warning[0])
        pr(r, "   warning: %s\n", st->warning);
    static const char *const skip_names[] = {"", "of another link type", "not IP",
                                             "not TCP or UDP", "malformed", "IPv6 fragments"};
    uint64_t nskip = 0;
    for (int i = 1; i < CC_SKIP__COUNT; i++)
        nskip += st->skipped[i];
    if (nskip || st->frag_dropped) {
        pr(r, "   not analysed:");
        const char *sep = " ";
        for (int i = 1; i < CC_SKIP__COUNT; i++)
            if (st->skipped[i]) {
                pr(r, "%s%llu %s", sep, (unsigned long long)st->skipped[i], skip_names[i]);
                sep = ", ";
            }
        if (st->frag_dropped)
            pr(r, "%s%llu incomplete IPv4 datagram%s", sep, (unsigned long long)st->frag_dropped,
               st->frag_dropped == 1 ? "" : "s");
        pr(r, "\n");
    }

    pr(r, "\n   %-12s %9s %9s %9s %9s %9s %9s\n", "protocol", "sessions", "messages", "good", "bad",
       "unverif.", "absent");
    for (uint64_t i = 0; i < np; i++) {
        const cc_pstat *p = &st->proto[i];
        if (!p->sessions)
            continue;
        pr(r, "   %-12s %9llu %9llu %9llu %9llu %9llu %9llu\n", cs_protocols[i]->name,
           (unsigned long long)p->sessions, (unsigned long long)p->messages,
           (unsigned long long)p->ck[CS_CK_GOOD], (unsigned long long)p->ck[CS_CK_BAD],
           (unsigned long long)p->ck[CS_CK_UNVERIFIED], (unsigned long long)p->ck[CS_CK_ABSENT]);
    }
    {
        char u[24];
        human_bytes(st->proto[np].stream, u, sizeof u);
        pr(r, "   %-12s %9llu %9s   (%s of payload)\n", "unidentified",
           (unsigned long long)st->proto[np].sessions, "-", u);
    }

    if (st->violations) {
        pr(r, "\n  violations:%23s %-8s %6s  %s\n", "", "severity", "count", "first frames");
        for (int pass = 0; pass < 2; pass++) {
            for (uint64_t i = 0; pass == 0 ? (i < np) : (i < 1); i++) {
                int nv = pass == 0 ? cs_protocols[i]->n_violations : CC_A__COUNT;
                for (int c = 0; c < nv; c++) {
                    const cc_vstat *v = pass == 0 ? &st->v[i][c] : &st->a[c];
                    const cs_violation_def *d = pass == 0 ? &cs_protocols[i]->violations[c] : &cc_acodes[c];
                    if (!v->count)
                        continue;
                    /* as many first frames as fit in 80 columns */
                    char fr[64] = "", cnt[24];
                    int room = 80 - 4 - 32 - 1 - 8 - 1 -
                               snprintf(cnt, sizeof cnt, "%6llu", (unsigned long long)v->count) - 2 -
                               7 - 4;
                    size_t k = 0;
                    uint8_t shown = 0;
                    for (uint8_t f = 0; f < v->n_first; f++) {
                        char one[24];
                        int n = snprintf(one, sizeof one, "%s%llu", f ? " " : "",
                                         (unsigned long long)v->first[f]);
                        if ((int)k + n > room || k + (size_t)n >= sizeof fr)
                            break;
                        memcpy(fr + k, one, (size_t)n + 1);
                        k += (size_t)n;
                        shown++;
                    }
                    const char *more = v->count > shown ? " ..." : "";
                    if (strlen(d->code) > 32)
                        pr(r, "    %s\n    %-32s %-8s %6llu  frames %s%s\n", d->code, "",
                           cs_severity_key(d->severity), (unsigned long long)v->count, fr, more);
                    else
                        pr(r, "    %-32s %-8s %6llu  frames %s%s\n", d->code,
                           cs_severity_key(d->severity), (unsigned long long)v->count, fr, more);
                }
            }
        }
    }

    if (r->dev_order->len) {
        g_ptr_array_sort(r->dev_order, dev_cmp);
        pr(r, "\n   %-30s %-9s %-19s %s\n", "device", "protocol", "first seen (UTC)", "last seen");
        sbuf l = {0};
        for (guint i = 0; i < r->dev_order->len; i++) {
            const dev_agg *a = g_ptr_array_index(r->dev_order, i);
            char f0[32], f1[32];
            human_time(a->d.first_ts, f0, sizeof f0);
            human_time(a->d.last_ts, f1, sizeof f1);
            l.n = 0;
            sb_safe(&l, a->d.id, strlen(a->d.id));
            sb_c(&l, '\0');
            const char *id = (const char *)l.p;
            if (strlen(id) > 30) {
                pr(r, "   %s\n", id);
                id = "";
            }
            pr(r, "   %-30s %-9s %-19s %s\n", id, proto_name(a->proto), f0,
               !strncmp(f0, f1, 11) ? f1 + 11 : f1);
            l.n = 0;
            const char *sep = "";
            if (a->d.firmware[0]) {
                sb_s(&l, "firmware ");
                sb_safe(&l, a->d.firmware, strlen(a->d.firmware));
                sep = ", ";
            }
            if (a->d.iccid[0]) {
                sb_s(&l, sep);
                sb_s(&l, "ICCID ");
                sb_safe(&l, a->d.iccid, strlen(a->d.iccid));
                sep = ", ";
            }
            if (a->d.signal[0]) {
                sb_s(&l, sep);
                sb_s(&l, "signal ");
                sb_safe(&l, a->d.signal, strlen(a->d.signal));
                sep = ", ";
            }
            sb_s(&l, sep);
            sb_printf(&l, "%llu session%s (first #%llu)", (unsigned long long)a->sessions,
                      a->sessions == 1 ? "" : "s", (unsigned long long)a->first_session);
            sb_c(&l, '\0');
            /* wrap at 80 columns under the device */
            const char *s = (const char *)l.p;
            size_t n = strlen(s);
            while (n) {
                size_t take = n;
                if (take > 74) {
                    take = 74;
                    while (take > 30 && s[take] != ' ')
                        take--;
                    if (take <= 30)
                        take = 74;
                }
                pr(r, "     %.*s\n", (int)take, s);
                s += take;
                n -= take;
                while (*s == ' ') {
                    s++;
                    n--;
                }
            }
        }
        sb_free(&l);
        if (r->devs_dropped)
            pr(r, "   (%llu more device sightings not listed)\n", (unsigned long long)r->devs_dropped);
    }

    if (r->sessions && r->n_sessions) {
        pr(r, "\n   %-6s %-8s %s %s\n", "session", "protocol", "tr", "client -> server");
        fflush(r->sessions);
        rewind(r->sessions);
        char buf[65536];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, r->sessions)) > 0)
            out_write(r->out, r->out->text, buf, k);
    }
    pr(r, "\n");
}

static void json_summary(cc_frep *r, const cc_stats *st)
{
    sbuf b = {0};
    uint64_t np = n_protocols();
    sb_s(&b, "{\"v\":" CC_XSTR(CC_SCHEMA_VERSION) ",\"kind\":\"summary\",\"file\":");
    sb_json_cstr(&b, r->file);
    sb_s(&b, ",\"frame\":");
    sb_u64(&b, st->frames);
    sb_s(&b, ",\"ts\":");
    if (st->frames) {
        sb_c(&b, '"');
        sb_iso(&b, st->last_ts);
        sb_c(&b, '"');
    } else {
        sb_s(&b, "null");
    }
    sb_s(&b, ",\"session\":null,\"proto\":null,\"format\":");
    if (st->format[0])
        sb_json_cstr(&b, st->format);
    else
        sb_s(&b, "null");
    sb_s(&b, ",\"frames\":");
    sb_u64(&b, st->frames);
    sb_s(&b, ",\"link_types\":{");
    for (int k = 0; k < 8 && st->lt_count[k]; k++) {
        if (k)
            sb_c(&b, ',');
        sb_c(&b, '"');
        sb_i64(&b, st->lt_val[k]);
        sb_s(&b, "\":");
        sb_u64(&b, st->lt_count[k]);
    }
    sb_s(&b, "},\"first_ts\":");
    if (st->frames) {
        sb_c(&b, '"');
        sb_iso(&b, st->first_ts);
        sb_c(&b, '"');
    } else {
        sb_s(&b, "null");
    }
    uint64_t tot[4] = {0};
    for (uint64_t i = 0; i <= np; i++) {
        tot[0] += st->proto[i].sessions;
        tot[1] += st->proto[i].messages;
    }
    sb_s(&b, ",\"sessions\":{\"total\":");
    sb_u64(&b, tot[0]);
    sb_s(&b, ",\"by_proto\":{");
    for (uint64_t i = 0; i <= np; i++) {
        if (i)
            sb_c(&b, ',');
        sb_c(&b, '"');
        sb_s(&b, i < np ? cs_protocols[i]->name : "unidentified");
        sb_s(&b, "\":");
        sb_u64(&b, st->proto[i].sessions);
    }
    sb_s(&b, "}},\"messages\":{\"total\":");
    sb_u64(&b, tot[1]);
    sb_s(&b, ",\"by_proto\":{");
    for (uint64_t i = 0; i < np; i++) {
        if (i)
            sb_c(&b, ',');
        sb_c(&b, '"');
        sb_s(&b, cs_protocols[i]->name);
        sb_s(&b, "\":");
        sb_u64(&b, st->proto[i].messages);
    }
    uint64_t ck[4] = {0};
    for (uint64_t i = 0; i < np; i++)
        for (int k = 0; k < 4; k++)
            ck[k] += st->proto[i].ck[k];
    sb_s(&b, "}},\"checksums\":{\"good\":");
    sb_u64(&b, ck[CS_CK_GOOD]);
    sb_s(&b, ",\"bad\":");
    sb_u64(&b, ck[CS_CK_BAD]);
    sb_s(&b, ",\"unverified\":");
    sb_u64(&b, ck[CS_CK_UNVERIFIED]);
    sb_s(&b, ",\"absent\":");
    sb_u64(&b, ck[CS_CK_ABSENT]);
    sb_s(&b, "},\"violations\":{\"total\":");
    sb_u64(&b, st->violations);
    sb_s(&b, ",\"by_code\":{");
    bool first = true;
    for (uint64_t i = 0; i < np; i++)
        for (int c = 0; c < cs_protocols[i]->n_violations; c++)
            if (st->v[i][c].count) {
                if (!first)
                    sb_c(&b, ',');
                first = false;
                sb_json_cstr(&b, cs_protocols[i]->violations[c].code);
                sb_c(&b, ':');
                sb_u64(&b, st->v[i][c].count);
            }
    for (int c = 0; c < CC_A__COUNT; c++)
        if (st->a[c].count) {
            if (!first)
                sb_c(&b, ',');
            first = false;
            sb_json_cstr(&b, cc_acodes[c].code);
            sb_c(&b, ':');
            sb_u64(&b, st->a[c].count);
        }
    static const char *const skip_keys[] = {"", "link_type", "not_ip", "not_tcp_udp", "malformed",
                                            "ipv6_fragment"};
    sb_s(&b, "}},\"skipped_frames\":{");
    for (int i = 1; i < CC_SKIP__COUNT; i++) {
        if (i > 1)
            sb_c(&b, ',');
        sb_c(&b, '"');
        sb_s(&b, skip_keys[i]);
        sb_s(&b, "\":");
        sb_u64(&b, st->skipped[i]);
    }
    sb_s(&b, "},\"ip_fragments_dropped\":");
    sb_u64(&b, st->frag_dropped);
    sb_s(&b, ",\"damaged\":");
    if (st->open_error[0] || st->damaged[0])
        sb_json_cstr(&b, st->open_error[0] ? st->open_error : st->damaged);
    else
        sb_s(&b, "null");
    sb_s(&b, ",\"warning\":");
    if (st->warning[0])
        sb_json_cstr(&b, st->warning);
    else
        sb_s(&b, "null");
    sb_s(&b, "}\n");
    out_write(r->out, r->out->json, b.p, b.n);
    sb_free(&b);
}

void cc_frep_finish(cc_frep *r, const cc_stats *st)
{
    frep_flush(r);
    if (r->out->json)
        json_summary(r, st);
    if (r->out->report && r->out->text)
        print_report(r, st);
}

void cc_totals_add(cc_totals *t, const cc_stats *st)
{
    t->files++;
    t->frames += st->frames;
    for (int i = 0; i <= CC_MAX_PROTOS; i++) {
        t->sessions += st->proto[i].sessions;
        t->messages += st->proto[i].messages;
    }
    t->violations += st->violations;
    if (st->damaged[0] || st->open_error[0])
        t->damaged++;
}

void cc_totals_print(const cc_totals *t, cc_outputs *out)
{
    if (!out->report || !out->text || t->files < 2)
        return;
    if (fprintf(out->text,
                "== total: %llu files, %llu frames, %llu sessions, %llu messages, %llu "
                "violations%s\n",
                (unsigned long long)t->files, (unsigned long long)t->frames,
                (unsigned long long)t->sessions, (unsigned long long)t->messages,
                (unsigned long long)t->violations, t->damaged ? ", damaged input" : "") < 0)
        out->failed = true;
}

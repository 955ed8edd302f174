/*
 * emit.c - records and counters of a shard (see emit.h), and the JSON
 * layout of docs/chargecap-json.md.
 */
#include "emit.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_TARGET (256u * 1024)

struct cc_emit {
    const cc_config *cfg;
    sbuf file_json; /* the file name as a JSON string */
    uint64_t key;
    cc_chunk *cur;
    cc_chunk_fn fn;
    void *fn_ctx;
    cc_stats st;
    sbuf tmp;
    int32_t *ffirst;
    uint32_t fcap;
    struct fentry *fe;
    uint32_t fe_cap;
    size_t rec_start;
    /* each protocol's name ("name") and field abbrevs ("abbrev":) as JSON,
     * made once: names_at[pi][0] is where the name starts in `names`,
     * [1 + f] field f's abbrev, [n_fields + 1] the end */
    sbuf names;
    uint32_t *names_at[CC_MAX_PROTOS];
};

/* Protocol pi's name (k = 0) or field k - 1's abbrev, as JSON. */
static inline uint8_t *w_name(uint8_t *w, const cc_emit *e, int pi, uint32_t k)
{
    const uint32_t *at = e->names_at[pi];
    return w_put(w, e->names.p + at[k], at[k + 1] - at[k]);
}

const char *const cc_end_names[] = {"capture_end", "closed", "idle_timeout", "evicted",
                                    "port_reused"};

/* ---- chunks: buffers handed back by the consumer are used again -------------------
 * A chunk's buffer grows to some CHUNK_TARGET and more; made anew for every
 * chunk, it was grown by doubling (copies) from fresh pages (faults), and
 * freed by the consumer a moment later. */

#define CHUNK_KEEP 4

static pthread_mutex_t chunk_mu = PTHREAD_MUTEX_INITIALIZER;
static cc_chunk *chunk_spare;
static unsigned chunk_n_spare;

cc_chunk *cc_chunk_new(void)
{
    pthread_mutex_lock(&chunk_mu);
    cc_chunk *c = chunk_spare;
    if (c) {
        chunk_spare = c->next;
        chunk_n_spare--;
    }
    pthread_mutex_unlock(&chunk_mu);
    if (c) {
        sbuf data = c->data;
        memset(c, 0, sizeof *c);
        c->data = data;
        return c;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        fputs("chargecap: out of memory\n", stderr);
        abort();
    }
    sb_reserve(&c->data, CHUNK_TARGET + CHUNK_TARGET / 4);
    return c;
}

void cc_chunk_release(cc_chunk *c)
{
    if (!c)
        return;
    if (c->stats) {
        cc_stats_free(c->stats);
        free(c->stats);
        c->stats = NULL;
    }
    c->data.n = 0;
    pthread_mutex_lock(&chunk_mu);
    bool keep = chunk_n_spare < CHUNK_KEEP && c->data.cap <= 2 * CHUNK_TARGET;
    if (keep) {
        c->next = chunk_spare;
        chunk_spare = c;
        chunk_n_spare++;
    }
    pthread_mutex_unlock(&chunk_mu);
    if (!keep) {
        sb_free(&c->data);
        free(c);
    }
}

/* ---- counters ------------------------------------------------------------------ */

void cc_stats_init(cc_stats *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++)
        s->v[i] = calloc(cs_protocols[i]->n_violations ? cs_protocols[i]->n_violations : 1,
                         sizeof(cc_vstat));
}

void cc_stats_free(cc_stats *s)
{
    for (int i = 0; i < CC_MAX_PROTOS; i++)
        free(s->v[i]);
    memset(s, 0, sizeof *s);
}

static void vstat_frame(cc_vstat *v, uint64_t frame)
{
    uint8_t i = 0;
    while (i < v->n_first && v->first[i] < frame)
        i++;
    if (i < v->n_first && v->first[i] == frame)
        return;
    if (i == CC_FIRST_FRAMES)
        return;
    uint8_t n = v->n_first < CC_FIRST_FRAMES ? v->n_first : CC_FIRST_FRAMES - 1;
    memmove(&v->first[i + 1], &v->first[i], (size_t)(n - i) * sizeof v->first[0]);
    v->first[i] = frame;
    if (v->n_first < CC_FIRST_FRAMES)
        v->n_first++;
}

static void vstat_merge(cc_vstat *d, const cc_vstat *s)
{
    d->count += s->count;
    for (uint8_t i = 0; i < s->n_first; i++)
        vstat_frame(d, s->first[i]);
}

void cc_stats_merge(cc_stats *d, const cc_stats *s)
{
    for (int i = 0; i <= CC_MAX_PROTOS; i++) {
        cc_pstat *a = &d->proto[i];
        const cc_pstat *b = &s->proto[i];
        a->sessions += b->sessions;
        a->messages += b->messages;
        a->garbage += b->garbage;
        a->stream += b->stream;
        a->gap += b->gap;
        for (int k = 0; k < 4; k++)
            a->ck[k] += b->ck[k];
    }
    for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++)
        if (d->v[i] && s->v[i])
            for (int c = 0; c < cs_protocols[i]->n_violations; c++)
                vstat_merge(&d->v[i][c], &s->v[i][c]);
    for (int c = 0; c < CC_A__COUNT; c++)
        vstat_merge(&d->a[c], &s->a[c]);
    d->violations += s->violations;
    if (s->worst > d->worst)
        d->worst = s->worst;
    /* only shard 0 counts frames: its counters are the file's (also when
     * none of its frames was TCP or UDP) */
    bool whole = !d->frames && s->frames;
    if (whole) {
        d->frames = s->frames;
        d->first_ts = s->first_ts;
        d->last_ts = s->last_ts;
        d->tcp_packets = s->tcp_packets;
        d->udp_packets = s->udp_packets;
        d->frag_dropped = s->frag_dropped;
        memcpy(d->skipped, s->skipped, sizeof d->skipped);
    }
    if (!d->lt_count[0] && s->lt_count[0]) {
        memcpy(d->lt_val, s->lt_val, sizeof d->lt_val);
        memcpy(d->lt_count, s->lt_count, sizeof d->lt_count);
    }
    if (s->bytes_read > d->bytes_read)
        d->bytes_read = s->bytes_read;
    if (!d->format[0])
        memcpy(d->format, s->format, sizeof d->format);
    if (!d->damaged[0])
        memcpy(d->damaged, s->damaged, sizeof d->damaged);
    if (!d->warning[0])
        memcpy(d->warning, s->warning, sizeof d->warning);
    if (!d->open_error[0])
        memcpy(d->open_error, s->open_error, sizeof d->open_error);
    if (!d->extract_error[0])
        memcpy(d->extract_error, s->extract_error, sizeof d->extract_error);
}

/* ---- chunks ------------------------------------------------------------------- */

cc_emit *cc_emit_new(const cc_config *cfg, const char *file, cc_chunk_fn fn, void *ctx)
{
    cc_emit *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->cfg = cfg;
    e->fn = fn;
    e->fn_ctx = ctx;
    sb_json_cstr(&e->file_json, file);
    cc_stats_init(&e->st);
    for (int i = 0; cs_protocols[i]; i++)
        if (cs_protocols[i]->n_fields > e->fcap)
            e->fcap = cs_protocols[i]->n_fields;
    e->ffirst = calloc(e->fcap + 1, sizeof *e->ffirst);
    for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++) {
        const cs_proto *p = cs_protocols[i];
        uint32_t *at = malloc((p->n_fields + 2u) * sizeof *at);
        if (!at) {
            fputs("chargecap: out of memory\n", stderr);
            abort();
        }
        at[0] = (uint32_t)e->names.n;
        sb_json_cstr(&e->names, p->name);
        for (uint32_t f = 0; f < p->n_fields; f++) {
            at[1 + f] = (uint32_t)e->names.n;
            sb_json_cstr(&e->names, p->fields[f].abbrev);
            sb_c(&e->names, ':');
        }
        at[p->n_fields + 1] = (uint32_t)e->names.n;
        e->names_at[i] = at;
    }
    return e;
}

void cc_emit_free(cc_emit *e)
{
    if (!e)
        return;
    cc_chunk_release(e->cur);
    sb_free(&e->file_json);
    sb_free(&e->tmp);
    cc_stats_free(&e->st);
    free(e->ffirst);
    free(e->fe);
    sb_free(&e->names);
    for (int i = 0; i < CC_MAX_PROTOS; i++)
        free(e->names_at[i]);
    free(e);
}

cc_stats *cc_emit_stats(cc_emit *e) { return &e->st; }

void cc_emit_key(cc_emit *e, uint64_t key) { e->key = key; }

static sbuf *rec_begin(cc_emit *e, uint8_t type)
{
    /* a full chunk goes now: every record before this key is in it (the
     * end of a file ends many sessions between two packets) */
    if (e->cur && e->cur->data.n >= CHUNK_TARGET && e->key)
        cc_emit_flush(e, e->key - 1, true, false, NULL);
    if (!e->cur)
        e->cur = cc_chunk_new();
    sbuf *b = &e->cur->data;
    uint8_t *w = sb_w(b, 13);
    memcpy(w, &e->key, 8);
    w[8] = type;
    memset(w + 9, 0, 4); /* the length, set by rec_end */
    b->n += 13;
    e->rec_start = b->n;
    return b;
}

static void rec_end(cc_emit *e)
{
    sbuf *b = &e->cur->data;
    uint32_t len = (uint32_t)(b->n - e->rec_start);
    memcpy(b->p + e->rec_start - 4, &len, 4);
}

void cc_emit_flush(cc_emit *e, uint64_t watermark, bool force, bool last, cc_stats *stats)
{
    if (!force && !last && (!e->cur || e->cur->data.n < CHUNK_TARGET))
        return;
    cc_chunk *c = e->cur ? e->cur : cc_chunk_new();
    e->cur = NULL;
    c->watermark = watermark;
    c->last = last;
    c->stats = stats;
    e->fn(e->fn_ctx, c);
}

/* ---- JSON ------------------------------------------------------------------------ */

/* ,"key":N or ,"key":null (key: a literal, w: room for it and a number) */
#define W_INT(w, key, has, v) \
    ((w) = w_s((w), ",\"" key "\":"), (w) = (has) ? w_u64((w), (v)) : w_s((w), "null"))

/* ,"key":"text" or ,"key":null (NULL, or empty when empty_is_null) */
static void jk_str(sbuf *b, const char *key, const char *v, bool empty_is_null)
{
    sb_s(b, ",\"");
    sb_s(b, key);
    sb_s(b, "\":");
    if (v && (v[0] || !empty_is_null))
        sb_json_cstr(b, v);
    else
        sb_s(b, "null");
}

/* Room for a record's pieces written directly (sb_w): every literal and
 * number of one block of code below.  The blocks are short; the largest
 * (a session's endpoints and times, IPv6 addresses of up to 63 bytes)
 * needs under 500 bytes: twice that, for the blocks that grow. */
#define W_BLOCK 1024

static void json_head(cc_emit *e, sbuf *b, const char *kind, uint64_t frame, int64_t ts,
                      const cc_session *s)
{
    size_t kl = strlen(kind);
    const uint32_t *pn = s && s->proto ? e->names_at[s->proto_i] : NULL;
    uint8_t *w = sb_w(b, W_BLOCK + kl + e->file_json.n + (pn ? pn[1] - pn[0] : 0));
    w = w_s(w, "{\"v\":" CC_XSTR(CC_SCHEMA_VERSION) ",\"kind\":\"");
    w = w_put(w, kind, kl);
    w = w_s(w, "\",\"file\":");
    w = w_put(w, e->file_json.p, e->file_json.n);
    w = w_s(w, ",\"frame\":");
    w = w_u64(w, frame);
    w = w_s(w, ",\"ts\":\"");
    w = w_iso(w, ts);
    w = w_s(w, "\",\"session\":");
    if (s) {
        w = w_u64(w, s->id);
        w = w_s(w, ",\"proto\":");
        w = s->proto ? w_name(w, e, s->proto_i, 0) : w_s(w, "null");
        sb_wend(b, w);
    } else {
        w = w_s(w, "null,\"proto\":null");
        sb_wend(b, w);
    }
}

static void json_value(sbuf *b, const cs_proto *p, const cs_out *o, const cs_item *it,
                       const cc_pdu *pdu)
{
    const cs_field_def *f = &p->fields[it->field];
    switch (f->type) {
    case CS_FT_NONE:
        sb_s(b, "null");
        return;
    case CS_FT_BOOL:
        sb_s(b, it->v.u ? "true" : "false");
        return;
    case CS_FT_U8:
    case CS_FT_U16:
    case CS_FT_U24:
    case CS_FT_U32:
    case CS_FT_FRAMENUM:
        sb_u64(b, it->v.u & 0xFFFFFFFFu);
        return;
    case CS_FT_U64:
        if (it->v.u <= (1ULL << 53)) {
            sb_u64(b, it->v.u);
        } else {
            sb_c(b, '"');
            sb_u64(b, it->v.u);
            sb_c(b, '"');
        }
        return;
    case CS_FT_I32:
        sb_i64(b, (int32_t)it->v.i);
        return;
    case CS_FT_DOUBLE:
        if (it->v.d == it->v.d && it->v.d < 1e300 && it->v.d > -1e300)
            sb_g17(b, it->v.d);
        else
            sb_s(b, "null");
        return;
    case CS_FT_STRING:
        sb_json_cstr(b, cs_str(o, it->str));
        return;
    case CS_FT_BYTES: {
        const uint8_t *src = (it->flags & CS_IF_DERIVED) ? o->derived : pdu->b;
        uint32_t avail = (it->flags & CS_IF_DERIVED) ? o->derived_len : pdu->len;
        uint32_t off = it->offset < avail ? it->offset : avail;
        uint32_t len = it->length < avail - off ? it->length : avail - off;
        sb_c(b, '"');
        if (src)
            sb_hex(b, src + off, len);
        sb_c(b, '"');
        return;
    }
    case CS_FT_IPV4: {
        uint32_t a = (uint32_t)it->v.u;
        uint8_t q[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
        uint8_t *w = sb_w(b, 17);
        w = w_c(w, '"');
        w = w_ipv4(w, q);
        sb_wend(b, w_c(w, '"'));
        return;
    }
    case CS_FT_ABSTIME:
        sb_c(b, '"');
        sb_iso(b, it->v.i * 1000000000 + (int64_t)it->aux);
        sb_c(b, '"');
        return;
    case CS_FT_RELTIME:
        sb_fixed(b, (double)it->v.i / 1e9, 9);
        return;
    }
    sb_s(b, "null");
}

/* What "fields" shows, in tree order: each item, and after a checksum
 * item its verdict under the status field, as proto_tree_add_checksum()
 * adds it in Wireshark. */
typedef struct fentry {
    uint16_t field;
    bool status;   /* the verdict of item `item`, not its value */
    uint32_t item;
    int32_t next;  /* the next entry of the same field, -1 none */
} fentry;

static void json_fields(cc_emit *e, sbuf *b, int pi, const cs_proto *p, const cs_out *o,
                        const cc_pdu *pdu)
{
    uint32_t n = 0;
    if (e->fe_cap < 2 * o->n_items) {
        free(e->fe);
        e->fe_cap = 2 * o->n_items + 16;
        e->fe = malloc(e->fe_cap * sizeof *e->fe);
        if (!e->fe) {
            fputs("chargecap: out of memory\n", stderr);
            abort();
        }
    }
    for (uint32_t i = 0; i < o->n_items; i++) {
        uint16_t f = o->items[i].field;
        if (f >= p->n_fields || f >= e->fcap)
            continue;
        e->fe[n++] = (fentry){f, false, i, -1};
        int link = p->fields[f].link;
        if ((p->fields[f].flags & CS_FF_CHECKSUM) && link >= 0 && link < p->n_fields &&
            (uint32_t)link < e->fcap)
            e->fe[n++] = (fentry){(uint16_t)link, true, i, -1};
    }
    /* the entries of each field chained in order (from the back: ffirst
     * ends at each field's first entry) */
    for (uint32_t k = 0; k < n; k++)
        e->ffirst[e->fe[k].field] = -1;
    for (uint32_t k = n; k-- > 0;) {
        uint16_t f = e->fe[k].field;
        e->fe[k].next = e->ffirst[f];
        e->ffirst[f] = (int32_t)k;
    }
    sb_s(b, ",\"fields\":{");
    bool first = true;
    for (uint32_t k = 0; k < n; k++) {
        uint16_t f = e->fe[k].field;
        if (e->ffirst[f] != (int32_t)k)
            continue;
        const uint32_t *at = e->names_at[pi];
        uint8_t *w = sb_w(b, 2 + at[f + 2] - at[f + 1]);
        if (!first)
            w = w_c(w, ',');
        first = false;
        w = w_name(w, e, pi, 1 + f); /* "abbrev": */
        bool many = e->fe[k].next >= 0;
        if (many)
            w = w_c(w, '[');
        sb_wend(b, w);
        for (int32_t j = (int32_t)k, c = 0; j >= 0; j = e->fe[j].next) {
            if (c++)
                sb_c(b, ',');
            const cs_item *it = &o->items[e->fe[j].item];
            if (e->fe[j].status)
                sb_u64(b, it->status);
            else
                json_value(b, p, o, it, pdu);
        }
        if (many)
            sb_c(b, ']');
    }
    sb_c(b, '}');
}

/* ---- records ------------------------------------------------------------------------ */

void cc_emit_message(cc_emit *e, const cc_session *s, const cc_pdu *pdu, const cs_out *o)
{
    int pi = s->proto_i;
    cc_pstat *ps = &e->st.proto[pi];
    if (o->garbage) {
        ps->garbage++;
    } else {
        ps->messages++;
        if (o->cksum < 4)
            ps->ck[o->cksum]++;
    }
    if (!e->cfg->messages)
        return;
    const cs_proto *p = s->proto;
    if (e->cfg->json) {
        sbuf *b = rec_begin(e, CC_R_JSON);
        json_head(e, b, "message", pdu->frame, pdu->ts, s);
        uint8_t *w = sb_w(b, W_BLOCK);
        w = w_s(w, ",\"dir\":\"");
        w = w_s(w, cs_dir_key((cs_dir)o->dir));
        w = w_c(w, '"');
        W_INT(w, "cmd", o->cmd >= 0, (uint64_t)o->cmd);
        sb_wend(b, w);
        jk_str(b, "cmd_name", o->garbage ? NULL : o->cmd_name, false);
        w = sb_w(b, W_BLOCK);
        W_INT(w, "len", true, pdu->len);
        W_INT(w, "offset", true, pdu->off);
        w = w_s(w, ",\"checksum\":");
        if (o->cksum < 4) {
            w = w_c(w, '"');
            w = w_s(w, cs_cksum_key((cs_cksum)o->cksum)); /* a plain word */
            w = w_c(w, '"');
        } else {
            w = w_s(w, "null");
        }
        w = w_s(w, o->garbage ? ",\"garbage\":true" : ",\"garbage\":false");
        W_INT(w, "result", o->result >= 0, (uint64_t)o->result);
        sb_wend(b, w);
        jk_str(b, "result_name", o->result >= 0 ? o->result_name : NULL, false);
        sb_s(b, ",\"info\":");
        sb_json_str(b, o->info, o->info_len);
        json_fields(e, b, s->proto_i, p, o, pdu);
        sb_s(b, "}\n");
        rec_end(e);
    }
    if (e->cfg->text_messages) {
        sbuf *b = rec_begin(e, CC_R_TEXT);
        /* "%7llu HH:MM:SS.uuuuuu #%llu %s %s " */
        sb_pad_u64(b, pdu->frame, 7);
        uint8_t iso[CC_ISO_LEN];
        w_iso(iso, pdu->ts);
        uint8_t *w = sb_w(b, W_BLOCK);
        w = w_c(w, ' ');
        w = w_put(w, iso + 11, 15); /* the time of day */
        w = w_s(w, " #");
        w = w_u64(w, s->id);
        w = w_c(w, ' ');
        sb_wend(b, w);
        sb_s(b, p->name);
        sb_c(b, ' ');
        sb_s(b, cs_dir_key((cs_dir)o->dir));
        sb_c(b, ' ');
        if (o->info_len)
            sb_safe(b, o->info, o->info_len);
        else if (o->cmd_name)
            sb_s(b, o->cmd_name);
        if (o->cksum == CS_CK_BAD)
            sb_s(b, " [bad checksum]");
        sb_c(b, '\n'); /* one line per message, however long: grep finds it */
        rec_end(e);
    }
}

void cc_emit_violation(cc_emit *e, const cc_session *s, const cc_vrec *v)
{
    cc_vstat *vs;
    const cs_violation_def *d;
    if (v->p) {
        int pi = cc_proto_index(v->p);
        vs = &e->st.v[pi][v->code];
        d = &v->p->violations[v->code];
    } else {
        vs = &e->st.a[v->code];
        d = &cc_acodes[v->code];
    }
    vs->count++;
    vstat_frame(vs, v->frame);
    e->st.violations++;
    if ((int)d->severity > e->st.worst)
        e->st.worst = (int)d->severity;
    const char *msg = v->msg ? v->msg : d->summary;
    if (e->cfg->json) {
        sbuf *b = rec_begin(e, CC_R_JSON);
        json_head(e, b, "violation", v->frame, v->ts, s);
        sb_s(b, ",\"code\":");
        sb_json_cstr(b, d->code);
        sb_s(b, ",\"severity\":\"");
        sb_s(b, cs_severity_key(d->severity));
        sb_s(b, v->p ? "\",\"source\":\"protocol\"" : "\",\"source\":\"analyzer\"");
        sb_s(b, ",\"message\":");
        sb_json_cstr(b, msg);
        uint8_t *w = sb_w(b, W_BLOCK);
        W_INT(w, "offset", v->has_off, v->off);
        W_INT(w, "len", true, v->len);
        w = w_s(w, ",\"hex\":\"");
        sb_wend(b, w);
        sb_hex(b, v->hex, v->hex_len > 32 ? 32 : v->hex_len);
        sb_s(b, "\"}\n");
        rec_end(e);
    }
    if (e->cfg->text_messages) {
        sbuf *b = rec_begin(e, CC_R_TEXT);
        /* "%7llu   %s %s: " */
        sb_pad_u64(b, v->frame, 7);
        sb_s(b, "   ");
        sb_s(b, cs_severity_key(d->severity));
        sb_c(b, ' ');
        sb_s(b, d->code);
        sb_s(b, ": ");
        sb_safe(b, msg, strlen(msg));
        sb_c(b, '\n');
        rec_end(e);
    }
}

uint8_t cc_session_state(const cc_session *s)
{
    if (s->l4 != 6)
        return 0;
    if (s->rst)
        return 3;
    if (s->d[0].fin && s->d[1].fin)
        return 1;
    if (s->d[0].fin || s->d[1].fin)
        return 2;
    return 0;
}

const char *cc_state_name(uint8_t state)
{
    static const char *const n[] = {"open", "fin", "half_fin", "rst"};
    return state < 4 ? n[state] : "open";
}

/* {"ip":"address","port":N} */
static uint8_t *w_endpoint(uint8_t *w, const cc_addr *a, uint16_t port)
{
    w = w_s(w, "{\"ip\":\"");
    if (a->family == 6) {
        char t[64];
        cc_addr_str(a, t, sizeof t);
        w = w_s(w, t);
    } else {
        w = w_ipv4(w, a->a);
    }
    w = w_s(w, "\",\"port\":");
    w = w_u64(w, port);
    return w_c(w, '}');
}

static uint8_t *w_dir(uint8_t *w, const cc_dir *d)
{
    w = w_s(w, "{\"packets\":");
    w = w_u64(w, d->packets);
    w = w_s(w, ",\"bytes\":");
    w = w_u64(w, d->bytes);
    w = w_s(w, ",\"stream\":");
    w = w_u64(w, d->stream);
    w = w_s(w, ",\"decoded\":");
    w = w_u64(w, d->decoded);
    w = w_s(w, ",\"garbage\":");
    w = w_u64(w, d->garbage);
    w = w_s(w, ",\"unparsed\":");
    w = w_u64(w, d->unparsed);
    w = w_s(w, ",\"gap\":");
    w = w_u64(w, d->gap);
    return w_c(w, '}');
}

static void json_session(cc_emit *e, const cc_session *s, uint8_t state)
{
    sbuf *b = rec_begin(e, CC_R_JSON);
    json_head(e, b, "session", s->first_frame, s->first_ts, s);
    uint8_t *w = sb_w(b, W_BLOCK);
    w = w_s(w, s->l4 == 6 ? ",\"transport\":\"tcp\",\"client\":" : ",\"transport\":\"udp\",\"client\":");
    w = w_endpoint(w, &s->addr[0], s->port[0]);
    w = w_s(w, ",\"server\":");
    w = w_endpoint(w, &s->addr[1], s->port[1]);
    w = w_s(w, s->client_known ? ",\"client_from\":\"handshake\"" : ",\"client_from\":\"first_packet\"");
    w = w_s(w, ",\"start\":\"");
    w = w_iso(w, s->first_ts);
    w = w_s(w, "\",\"end\":\"");
    w = w_iso(w, s->last_ts);
    w = w_s(w, "\",\"first_frame\":");
    w = w_u64(w, s->first_frame);
    w = w_s(w, ",\"last_frame\":");
    w = w_u64(w, s->last_frame);
    w = w_s(w, ",\"frames\":");
    w = w_u64(w, s->frames);
    W_INT(w, "identified_frame", s->proto, s->ident_frame);
    sb_wend(b, w);
    w = sb_w(b, W_BLOCK);
    w = w_s(w, ",\"from_client\":");
    w = w_dir(w, &s->d[0]);
    w = w_s(w, ",\"from_server\":");
    w = w_dir(w, &s->d[1]);
    sb_wend(b, w);
    w = sb_w(b, W_BLOCK);
    w = w_s(w, ",\"messages\":");
    w = w_u64(w, s->messages);
    w = w_s(w, ",\"garbage_runs\":");
    w = w_u64(w, s->garbage_runs);
    w = w_s(w, ",\"violations\":");
    w = w_u64(w, s->violations);
    w = w_s(w, ",\"gap_bytes\":");
    w = w_u64(w, s->d[0].gap + s->d[1].gap);
    w = w_s(w, ",\"device\":");
    sb_wend(b, w);
    if (s->n_dev && s->dev[0].id[0])
        sb_json_cstr(b, s->dev[0].id);
    else
        sb_s(b, "null");
    sb_s(b, ",\"devices\":[");
    for (uint8_t i = 0; i < s->n_dev; i++) {
        const cc_device *d = &s->dev[i];
        if (i)
            sb_c(b, ',');
        sb_s(b, "{\"id\":");
        if (d->id[0])
            sb_json_cstr(b, d->id);
        else
            sb_s(b, "null");
        jk_str(b, "firmware", d->firmware, true);
        jk_str(b, "iccid", d->iccid, true);
        jk_str(b, "signal", d->signal, true);
        w = sb_w(b, W_BLOCK);
        w = w_s(w, ",\"first_frame\":");
        w = w_u64(w, d->first_frame);
        w = w_s(w, ",\"last_frame\":");
        w = w_u64(w, d->last_frame);
        w = w_s(w, ",\"first_seen\":\"");
        w = w_iso(w, d->first_ts);
        w = w_s(w, "\",\"last_seen\":\"");
        w = w_iso(w, d->last_ts);
        w = w_s(w, "\"}");
        sb_wend(b, w);
    }
    w = sb_w(b, W_BLOCK);
    w = w_s(w, "],\"state\":\"");
    w = w_s(w, cc_state_name(state));
    w = w_s(w, "\",\"ended\":\"");
    w = w_s(w, cc_end_names[s->end]);
    w = w_s(w, "\"}\n");
    sb_wend(b, w);
    rec_end(e);
}

void cc_emit_session(cc_emit *e, const cc_session *s)
{
    int pi = s->proto_i;
    cc_pstat *ps = &e->st.proto[pi];
    ps->sessions++;
    ps->stream += s->d[0].stream + s->d[1].stream;
    ps->gap += s->d[0].gap + s->d[1].gap;
    uint8_t state = cc_session_state(s);
    if (e->cfg->json)
        json_session(e, s, state);
    /* the summary without its devices, then only the devices there are
     * (straight from the session: they are the same type) */
    cc_sess_sum sum;
    memset(&sum, 0, offsetof(cc_sess_sum, dev));
    sum.id = s->id;
    sum.first_frame = s->first_frame;
    sum.last_frame = s->last_frame;
    sum.messages = s->messages;
    sum.violations = s->violations;
    sum.gap = s->d[0].gap + s->d[1].gap;
    for (int i = 0; i < 2; i++) {
        sum.bytes[i] = s->d[i].bytes;
        sum.packets[i] = s->d[i].packets;
        sum.addr[i] = s->addr[i];
        sum.port[i] = s->port[i];
    }
    sum.first_ts = s->first_ts;
    sum.last_ts = s->last_ts;
    sum.proto = s->proto ? pi : -1;
    sum.l4 = s->l4;
    sum.end = s->end;
    sum.state = state;
    sum.client_known = s->client_known;
    sum.n_dev = s->n_dev < CC_MAX_DEVICES ? s->n_dev : CC_MAX_DEVICES;
    sbuf *b = rec_begin(e, CC_R_SESS);
    sb_put(b, &sum, offsetof(cc_sess_sum, dev));
    sb_put(b, s->dev, sum.n_dev * sizeof(cc_device));
    rec_end(e);
}

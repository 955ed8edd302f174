/*
 * session.c - sessions, TCP reassembly, identification and decoding.
 *
 * Agreement with the Wireshark plugin is the point of this file:
 *   - a TCP session is identified on the first segment whose payload the
 *     protocol's probe() accepts (as Wireshark's heuristic is tried per
 *     segment), or by a port hint; bytes before that are "unparsed";
 *   - framing runs as each in-order segment arrives, on exactly the bytes
 *     tcp_dissect_pdus() would see, so PDU and garbage boundaries match;
 *   - a PDU belongs to the frame holding its last byte;
 *   - the transport direction is known only when the handshake was seen.
 */
#include "session.h"

#include "cs_impl.h"

#include <stdlib.h>
#include <string.h>

#define OOO_MAX_SEGMENTS 64
#define OOO_MAX_BYTES (256 * 1024)

typedef struct sess_key {
    uint8_t l4;
    cc_addr a, b;
    uint16_t pa, pb;
} sess_key;

typedef struct ooo_seg {
    uint32_t seq;
    uint64_t frame;
    int64_t ts;
    GByteArray *data;
} ooo_seg;

struct cc_tracker {
    cc_sink sink;
    char *file;
    GHashTable *by_key; /* sess_key -> cc_session */
    GPtrArray *all;     /* in id order */
    uint64_t next_id;
    const cc_config *cfg;
    cs_out out;
};

static int addr_cmp(const cc_addr *x, uint16_t px, const cc_addr *y, uint16_t py)
{
    int c = memcmp(x->a, y->a, 16);
    if (c)
        return c;
    return (int)px - (int)py;
}

static guint key_hash(gconstpointer k)
{
    const sess_key *s = k;
    guint h = s->l4 * 31u + s->pa * 65599u + s->pb;
    for (int i = 0; i < 16; i++)
        h = h * 33u + s->a.a[i] + s->b.a[i] * 7u;
    return h;
}

static gboolean key_eq(gconstpointer x, gconstpointer y)
{
    const sess_key *a = x, *b = y;
    return a->l4 == b->l4 && a->pa == b->pa && a->pb == b->pb && !memcmp(a->a.a, b->a.a, 16) &&
           !memcmp(a->b.a, b->b.a, 16);
}

static int proto_index(const cs_proto *p)
{
    for (int i = 0; cs_protocols[i]; i++)
        if (cs_protocols[i] == p)
            return i;
    return 0;
}

void cc_config_init(cc_config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++)
        cs_opts_default(cs_protocols[i], c->opts[i]);
}

uint32_t *cc_config_opts(cc_config *c, const cs_proto *p) { return c->opts[proto_index(p)]; }

static const uint32_t *opts_of(const cc_tracker *t, const cs_proto *p)
{
    return t->cfg->opts[proto_index(p)];
}

cc_tracker *cc_tracker_new(const cc_sink *sink, const char *file, const cc_config *cfg)
{
    cc_tracker *t = g_new0(cc_tracker, 1);
    t->sink = *sink;
    t->file = g_strdup(file);
    t->by_key = g_hash_table_new_full(key_hash, key_eq, g_free, NULL);
    t->all = g_ptr_array_new();
    t->next_id = 1;
    t->cfg = cfg;
    cs_out_init(&t->out, CS_WANT_ITEMS | CS_WANT_INFO);
    return t;
}

static void stream_free(struct cc_stream *st)
{
    if (st->buf)
        g_byte_array_free(st->buf, TRUE);
    for (GList *l = st->ooo; l; l = l->next) {
        ooo_seg *o = l->data;
        g_byte_array_free(o->data, TRUE);
        g_free(o);
    }
    g_list_free(st->ooo);
    st->buf = NULL;
    st->ooo = NULL;
}

static void session_free(gpointer p)
{
    cc_session *s = p;
    if (s->proto && s->sess) {
        if (s->proto->sess_fini)
            s->proto->sess_fini(s->sess);
        g_free(s->sess);
    }
    stream_free(&s->st[0]);
    stream_free(&s->st[1]);
    g_free(s);
}

void cc_tracker_free(cc_tracker *t)
{
    for (guint i = 0; i < t->all->len; i++)
        session_free(g_ptr_array_index(t->all, i));
    g_ptr_array_free(t->all, TRUE);
    g_hash_table_destroy(t->by_key);
    cs_out_free(&t->out);
    g_free(t->file);
    g_free(t);
}

/* ---- decoding ---------------------------------------------------------------- */

static void emit(cc_tracker *t, cc_session *s, int side, uint64_t frame, int64_t ts,
                 uint64_t off, const uint8_t *b, uint32_t len)
{
    cc_message m = {.s = s,
                    .proto = s->proto,
                    .frame = frame,
                    .ts_ns = ts,
                    .stream_off = off,
                    .len = len,
                    .out = &t->out,
                    .bytes = b};
    (void)side;
    if (!t->out.garbage)
        s->messages++;
    for (int i = 0; i < t->out.n_facts; i++)
        if (t->out.facts[i].kind == CS_FACT_DEVICE_ID && !s->device[0])
            g_strlcpy(s->device, cs_str(&t->out, t->out.facts[i].str), sizeof s->device);
    if (t->sink.message)
        t->sink.message(t->sink.ctx, &m);
}

static cs_dir transport_dir(const cc_session *s, int side)
{
    if (!s->handshake || s->l4 != 6 || s->port[0] == s->port[1])
        return CS_DIR_UNKNOWN;
    return side == 0 ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
}

static void decode_pdu(cc_tracker *t, cc_session *s, int side, uint64_t frame, int64_t ts,
                       uint64_t off, const uint8_t *b, uint32_t len, bool udp)
{
    cs_ctx ctx = {0};
    ctx.frame = (uint32_t)frame;
    ctx.ts_ns = ts;
    ctx.side = (uint8_t)side;
    ctx.src_port = s->port[side];
    ctx.dst_port = s->port[side ^ 1];
    ctx.transport_dir = udp ? CS_DIR_PEER : (uint8_t)transport_dir(s, side);
    ctx.udp = udp;
    ctx.whole = udp;
    ctx.tag = (uintptr_t)frame;
    s->proto->decode(s->sess, opts_of(t, s->proto), b, len, &ctx, &t->out);
    s->dir[side].decoded += len;
    emit(t, s, side, frame, ts, off, b, len);
}

static void decode_garbage(cc_tracker *t, cc_session *s, int side, uint64_t frame, int64_t ts,
                           uint64_t off, const uint8_t *b, uint32_t len)
{
    cs_ctx ctx = {0};
    ctx.frame = (uint32_t)frame;
    ctx.ts_ns = ts;
    cs_decode_garbage(s->proto, b, len, &ctx, &t->out);
    s->dir[side].garbage += len;
    emit(t, s, side, frame, ts, off, b, len);
}

/* Frame what is buffered, as tcp_dissect_pdus would on arrival. */
static void frame_stream(cc_tracker *t, cc_session *s, int side, uint64_t frame, int64_t ts)
{
    struct cc_stream *st = &s->st[side];
    const cs_proto *p = s->proto;
    size_t pos = 0;
    while (pos < st->buf->len) {
        size_t avail = st->buf->len - pos, len = 0;
        const uint8_t *b = st->buf->data + pos;
        if (avail < p->frame_min)
            break;
        cs_frame_kind k = p->frame(b, avail, &len);
        if (k == CS_FRAME_NEED)
            break;
        if (k == CS_FRAME_PDU) {
            if (len > avail)
                break;
            decode_pdu(t, s, side, frame, ts, st->consumed + pos, b, (uint32_t)len, false);
        } else {
            if (len == 0)
                len = 1;
            decode_garbage(t, s, side, frame, ts, st->consumed + pos, b, (uint32_t)len);
        }
        pos += len;
    }
    if (pos) {
        g_byte_array_remove_range(st->buf, 0, (guint)pos);
        st->consumed += pos;
    }
}

/* In-order bytes of one direction. */
static void stream_data(cc_tracker *t, cc_session *s, int side, uint64_t frame, int64_t ts,
                        const uint8_t *d, uint32_t n)
{
    struct cc_stream *st = &s->st[side];
    if (!n)
        return;
    if (!st->decoding) {
        s->dir[side].unparsed += n;
        st->consumed += n;
        return;
    }
    if (!st->buf)
        st->buf = g_byte_array_new();
    g_byte_array_append(st->buf, d, n);
    frame_stream(t, s, side, frame, ts);
}

static void identify(cc_tracker *t, cc_session *s, const cs_proto *p)
{
    s->proto = p;
    s->sess = g_malloc0(p->sess_size ? p->sess_size : 1);
    if (p->sess_init)
        p->sess_init(s->sess, opts_of(t, p), s->handshake);
    s->st[0].decoding = s->st[1].decoding = true;
}

static const cs_proto *probe_all(cc_tracker *t, const cc_session *s, const cc_packet *pk)
{
    const cs_proto *h = t->cfg->port_hint[pk->dport] ? t->cfg->port_hint[pk->dport]
                                                     : t->cfg->port_hint[pk->sport];
    if (h)
        return h;
    bool udp = pk->l4 == 17;
    for (int i = 0; cs_protocols[i]; i++) {
        const cs_proto *p = cs_protocols[i];
        if (!(p->transports & (udp ? CS_TR_UDP : CS_TR_TCP)))
            continue;
        if (p->tcp_ports && !udp && *p->tcp_ports) {
            /* registered ports: claimed without a probe (Wireshark's port table) */
            char *end;
            long port = strtol(p->tcp_ports, &end, 10);
            if (!*end && (port == pk->dport || port == pk->sport))
                return p;
        }
        if (pk->payload_len && p->probe(pk->payload, pk->payload_len, udp))
            return p;
    }
    (void)s;
    return NULL;
}

/* Drain out-of-order segments that have become in order. */
static void drain_ooo(cc_tracker *t, cc_session *s, int side)
{
    struct cc_stream *st = &s->st[side];
    bool progress = true;
    while (progress && st->ooo) {
        progress = false;
        for (GList *l = st->ooo; l; l = l->next) {
            ooo_seg *o = l->data;
            int32_t d = (int32_t)(o->seq - st->next_seq);
            if (d > 0)
                continue;
            uint32_t skip = (uint32_t)(-d);
            if (skip < o->data->len) {
                stream_data(t, s, side, o->frame, o->ts, o->data->data + skip, o->data->len - skip);
                st->next_seq += o->data->len - skip;
            }
            st->ooo = g_list_delete_link(st->ooo, l);
            g_byte_array_free(o->data, TRUE);
            g_free(o);
            progress = true;
            break;
        }
    }
}

/* Give up waiting: the bytes between next_seq and the lowest held
 * segment are missing from the capture.  Framing restarts after the gap. */
static void skip_gap(cc_tracker *t, cc_session *s, int side)
{
    struct cc_stream *st = &s->st[side];
    uint32_t lowest = 0;
    bool have = false;
    for (GList *l = st->ooo; l; l = l->next) {
        ooo_seg *o = l->data;
        if (!have || (int32_t)(o->seq - lowest) < 0) {
            lowest = o->seq;
            have = true;
        }
    }
    if (!have)
        return;
    uint32_t gap = lowest - st->next_seq;
    s->dir[side].gap += gap;
    if (st->buf && st->buf->len) {
        s->dir[side].unparsed += st->buf->len;
        st->consumed += st->buf->len;
        g_byte_array_set_size(st->buf, 0);
    }
    st->consumed += gap;
    st->next_seq = lowest;
    drain_ooo(t, s, side);
}

static void tcp_segment(cc_tracker *t, cc_session *s, int side, const cc_packet *pk)
{
    struct cc_stream *st = &s->st[side];
    uint32_t seq = pk->seq;
    const uint8_t *d = pk->payload;
    uint32_t n = pk->payload_len;
    if (pk->tcp_flags & 0x02) { /* SYN */
        st->started = true;
        st->next_seq = seq + 1;
        seq += 1;
    }
    if (!n)
        goto flags;
    if (!st->started) {
        st->started = true;
        st->next_seq = seq;
    }
    int32_t delta = (int32_t)(seq - st->next_seq);
    if (delta < 0) {
        uint32_t old = (uint32_t)(-delta);
        if (old >= n)
            goto flags; /* retransmission */
        d += old;
        n -= old;
        delta = 0;
    }
    if (delta == 0) {
        stream_data(t, s, side, pk->frame, pk->ts_ns, d, n);
        st->next_seq += n;
        drain_ooo(t, s, side);
    } else {
        ooo_seg *o = g_new0(ooo_seg, 1);
        o->seq = seq;
        o->frame = pk->frame;
        o->ts = pk->ts_ns;
        o->data = g_byte_array_sized_new(n);
        g_byte_array_append(o->data, d, n);
        st->ooo = g_list_append(st->ooo, o);
        guint bytes = 0;
        for (GList *l = st->ooo; l; l = l->next)
            bytes += ((ooo_seg *)l->data)->data->len;
        if (g_list_length(st->ooo) > OOO_MAX_SEGMENTS || bytes > OOO_MAX_BYTES)
            skip_gap(t, s, side);
    }
flags:
    if (pk->tcp_flags & 0x01)
        st->fin = true;
    if (pk->tcp_flags & 0x04)
        s->reset = true;
    if (s->st[0].fin && s->st[1].fin)
        s->closed = true;
}

void cc_tracker_packet(cc_tracker *t, const cc_packet *pk)
{
    if (pk->l4 != 6 && pk->l4 != 17)
        return;
    sess_key k = {.l4 = pk->l4};
    bool fwd = addr_cmp(&pk->src, pk->sport, &pk->dst, pk->dport) <= 0;
    k.a = fwd ? pk->src : pk->dst;
    k.b = fwd ? pk->dst : pk->src;
    k.pa = fwd ? pk->sport : pk->dport;
    k.pb = fwd ? pk->dport : pk->sport;
    cc_session *s = g_hash_table_lookup(t->by_key, &k);
    if (!s) {
        s = g_new0(cc_session, 1);
        s->id = t->next_id++;
        s->l4 = pk->l4;
        /* side 0 is the client: the SYN's sender, the SYN-ACK's receiver,
         * or else whoever spoke first */
        bool synack = pk->l4 == 6 && (pk->tcp_flags & 0x12) == 0x12;
        s->addr[0] = synack ? pk->dst : pk->src;
        s->port[0] = synack ? pk->dport : pk->sport;
        s->addr[1] = synack ? pk->src : pk->dst;
        s->port[1] = synack ? pk->sport : pk->dport;
        s->first_frame = pk->frame;
        s->first_ts = pk->ts_ns;
        g_hash_table_insert(t->by_key, g_memdup2(&k, sizeof k), s);
        g_ptr_array_add(t->all, s);
    }
    s->last_frame = pk->frame;
    s->last_ts = pk->ts_ns;
    int side = (addr_cmp(&pk->src, pk->sport, &s->addr[0], s->port[0]) == 0) ? 0 : 1;
    if (pk->l4 == 6 && (pk->tcp_flags & 0x02))
        s->handshake = true;
    s->dir[side].packets++;
    s->dir[side].bytes += pk->payload_len;

    if (!s->proto && pk->payload_len) {
        const cs_proto *p = probe_all(t, s, pk);
        if (p)
            identify(t, s, p);
    }
    if (pk->l4 == 6) {
        tcp_segment(t, s, side, pk);
        return;
    }
    /* UDP: each datagram on its own, its PDUs whole */
    if (!s->proto) {
        s->dir[side].unparsed += pk->payload_len;
        return;
    }
    uint32_t off = 0;
    while (off < pk->payload_len) {
        size_t len = 0, avail = pk->payload_len - off;
        cs_frame_kind kd = s->proto->frame(pk->payload + off, avail, &len);
        if (kd == CS_FRAME_NEED || len == 0 || len > avail)
            len = avail;
        if (kd == CS_FRAME_SKIP)
            decode_garbage(t, s, side, pk->frame, pk->ts_ns, off, pk->payload + off, (uint32_t)len);
        else
            decode_pdu(t, s, side, pk->frame, pk->ts_ns, off, pk->payload + off, (uint32_t)len, true);
        off += (uint32_t)len;
    }
}

static void finish_one(cc_tracker *t, cc_session *s)
{
    if (s->proto && s->l4 == 6) {
        for (int side = 0; side < 2; side++) {
            struct cc_stream *st = &s->st[side];
            while (st->ooo)
                skip_gap(t, s, side);
            if (st->buf && st->buf->len) {
                /* a PDU the stream never finished: analyzer-only report */
                s->dir[side].unparsed += st->buf->len;
                st->consumed += st->buf->len;
                g_byte_array_set_size(st->buf, 0);
            }
        }
    }
    if (s->proto && s->proto->sess_end) {
        s->proto->sess_end(s->sess, &t->out);
        for (uint32_t i = 0; i < t->out.n_viols; i++) {
            cc_late_violation lv = {.s = s,
                                    .proto = s->proto,
                                    .frame = t->out.viols[i].frame,
                                    .out = &t->out,
                                    .v = &t->out.viols[i]};
            if (t->sink.late)
                t->sink.late(t->sink.ctx, &lv);
        }
    }
    if (t->sink.session_end)
        t->sink.session_end(t->sink.ctx, s);
}

void cc_tracker_finish(cc_tracker *t)
{
    for (guint i = 0; i < t->all->len; i++)
        finish_one(t, g_ptr_array_index(t->all, i));
}

/*
 * aicloud_gen.c - AI-Cloud (Ai-Thinker ESP8266 cloud) captures, and the
 * encoder the unit tests check the decoder against.
 *
 * The document has no example frames, so the frames are built here from
 * its layout: the logical frame (head, length, class, command, sequence,
 * extension, status, device ID, token, data), its CRC-16 low byte first,
 * the tail, then every byte between head and tail escaped.
 *
 * aicloud-session: a device in the documented form (CRC-16/MODBUS): login,
 *   configuration reads and writes, heartbeats, data up and down, status
 *   events, group devices, P2P set-up, upgrade, reboot.
 * aicloud-p2p: two devices talking directly over UDP after the P2P
 *   request (CRC-16/XMODEM).
 * aicloud-field: the field dialect of protocol-facts 6.3 (tail 0xAA,
 *   AA/A9 escaped, fixed 8-byte token, the field CRC variant), with the
 *   public server's own example frame.
 * aicloud-faults: every fault the dissector reports, and one device for
 *   each remaining CRC-16 variant.
 */
#include "gen.h"

#include "chargeproto.h"

#include <string.h>

#define SEC 1000000000LL
#define MS 1000000LL

/* ---- the encoder -------------------------------------------------------------- */

static size_t logical_size(const ac_spec *f)
{
    size_t tok = f->dialect == 2 ? 8 : f->token ? 1 + f->token_len : 0;
    return 18 + tok + f->data_len + 3;
}

static void logical_with(gbuf *out, const ac_spec *f, uint16_t len)
{
    static const uint8_t zero[8];
    size_t start = out->n;
    gb_u8(out, 0x55);
    gb_le16(out, len);
    gb_u8(out, f->cls);
    gb_u8(out, f->cmd);
    gb_le16(out, f->seq);
    gb_le16(out, f->ext);
    gb_u8(out, f->status);
    gb_put(out, f->dev, 8);
    if (f->dialect == 2) {
        gb_put(out, f->token ? f->token : zero, 8);
    } else if (f->token) {
        gb_u8(out, (uint8_t)f->token_len);
        gb_put(out, f->token, f->token_len);
    }
    gb_put(out, f->data, f->data_len);
    uint16_t crc = f->crc_forced ? f->crc_stored
                                 : cs_crc16((cs_crc16_variant)f->crc, out->p + start,
                                            out->n - start);
    gb_le16(out, crc);
    gb_u8(out, f->dialect == 2 ? 0xAA : 0x55);
}

static bool must_escape(int dialect, uint8_t c)
{
    return c == 0x55 || c == 0x54 || (dialect == 2 && (c == 0xAA || c == 0xA9));
}

/* raw: the index in p of a byte to leave unescaped, or n for none. */
static void escape_body(gbuf *out, const uint8_t *p, size_t n, int dialect, size_t raw)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (!must_escape(dialect, c) || i == raw) {
            gb_u8(out, c);
            continue;
        }
        gb_u8(out, (c == 0x55 || c == 0x54) ? 0x54 : 0xA9);
        gb_u8(out, (c == 0x55 || c == 0xAA) ? 0x01 : 0x02);
    }
}

/* The length field: the unescaped size, the on-wire size (a fixed point,
 * since the length's own bytes and the CRC may need escaping; when the
 * CRC's escaping flips with the length there is none, and the last value
 * tried is used), or a given value. */
static uint16_t length_field(const ac_spec *f)
{
    if (f->len > 0)
        return (uint16_t)f->len;
    uint16_t len = (uint16_t)logical_size(f);
    if (f->len == 0)
        return len;
    gbuf lg = {0};
    for (int i = 0; i < 8; i++) {
        gb_reset(&lg);
        logical_with(&lg, f, len);
        size_t wire = 2;
        for (size_t k = 1; k + 1 < lg.n; k++)
            wire += must_escape(f->dialect, lg.p[k]) ? 2 : 1;
        if (wire == len)
            break;
        len = (uint16_t)wire;
    }
    gb_free(&lg);
    return len;
}

void aicloud_logical(gbuf *out, const ac_spec *f) { logical_with(out, f, length_field(f)); }

void aicloud_put(gbuf *out, const ac_spec *f)
{
    gbuf lg = {0};
    logical_with(&lg, f, length_field(f));
    size_t raw = lg.n - 2, data = lg.n - 3 - f->data_len;
    for (size_t i = data; f->raw_byte > 0 && i < lg.n - 3; i++)
        if (lg.p[i] == f->raw_byte) {
            raw = i - 1;
            break;
        }
    gb_u8(out, lg.p[0]);
    escape_body(out, lg.p + 1, lg.n - 2, f->dialect, raw);
    if (!f->no_tail)
        gb_u8(out, lg.p[lg.n - 1]);
    gb_free(&lg);
}

/* ---- a conversation ------------------------------------------------------------- */

typedef struct acs {
    gtcp t;
    gbuf w, d;  /* wire bytes to send, data being built */
    ac_spec f;  /* dialect, CRC, device ID and token of the device */
    uint16_t dseq, sseq; /* next sequence of the device's and the server's requests */
} acs;

/* Append one frame to s->w. */
static void put(acs *s, uint8_t cls, uint8_t cmd, uint8_t status, uint16_t seq, const uint8_t *data,
                size_t n)
{
    ac_spec f = s->f;
    f.cls = cls;
    f.cmd = cmd;
    f.status = status;
    f.seq = seq;
    f.data = data;
    f.data_len = n;
    aicloud_put(&s->w, &f);
}

static void flush(acs *s, bool from_dev, const size_t *cuts)
{
    tcp_send(&s->t, from_dev, s->w.p, s->w.n, cuts);
    gb_reset(&s->w);
}

/* A request (status 0x02) and its reply after `think` ns.  req/rsp may
 * be NULL (no data: a generic reply). */
static void ask(acs *s, bool from_dev, uint8_t cls, uint8_t cmd, const gbuf *req, uint8_t status,
                const gbuf *rsp, int64_t think)
{
    uint16_t seq = from_dev ? s->dseq++ : s->sseq++;
    put(s, cls, cmd, 0x02, seq, req ? req->p : NULL, req ? req->n : 0);
    flush(s, from_dev, NULL);
    gen_advance(s->t.cap, think);
    put(s, cls, cmd, status, seq, rsp ? rsp->p : NULL, rsp ? rsp->n : 0);
    flush(s, !from_dev, NULL);
}

/* Read configuration parameter `id`; the device answers with the ID and
 * the value (with_id) or the value alone. */
static void read_config(acs *s, uint16_t id, const char *value_hex, bool with_id)
{
    gbuf req = {0}, rsp = {0};
    gb_le16(&req, id);
    if (with_id)
        gb_le16(&rsp, id);
    gb_hex(&rsp, value_hex);
    ask(s, false, 0xF0, 0xAA, &req, 0x00, &rsp, 35 * MS);
    gb_free(&req);
    gb_free(&rsp);
}

static void write_config(acs *s, uint16_t id, const char *value_hex)
{
    gbuf req = {0};
    gb_le16(&req, id);
    gb_hex(&req, value_hex);
    ask(s, false, 0xF0, 0xAB, &req, 0x00, NULL, 40 * MS);
    gb_free(&req);
}

static void heartbeat(acs *s) { ask(s, true, 0xA0, 0x01, NULL, 0x00, NULL, 45 * MS); }

static void set_dev(ac_spec *f, uint64_t id)
{
    for (int i = 0; i < 8; i++)
        f->dev[i] = (uint8_t)(id >> (56 - 8 * i));
}

/* Login: the password as data.  Documented form: no token in the
 * request, the reply carries it in its header and as its data.  Field
 * dialect: the request's token field is zeros, the reply's holds it. */
static void login(acs *s, const char *password_hex, const char *token)
{
    gbuf pw = {0};
    gb_hex(&pw, password_hex);
    s->f.token = NULL;
    uint16_t seq = s->dseq++;
    put(s, 0xA0, 0x00, 0x02, seq, pw.p, pw.n);
    static const size_t cuts[] = {12, 0};
    flush(s, true, cuts);
    gen_advance(s->t.cap, 60 * MS);
    s->f.token = (const uint8_t *)token;
    s->f.token_len = strlen(token);
    bool doc = s->f.dialect == 1;
    put(s, 0xA0, 0x00, 0x00, seq, doc ? s->f.token : NULL, doc ? s->f.token_len : 0);
    flush(s, false, NULL);
    gb_free(&pw);
}

static void acs_free(acs *s)
{
    gb_free(&s->w);
    gb_free(&s->d);
}

/* GBK text (written as hex so the source stays ASCII). */
#define GBK_WORK_OK "b9a4d7f7d5fdb3a3"     /* 工作正常 */
#define GBK_UPGRADE_OK "c9fdbcb6b3c9b9a6"  /* 升级成功 */
#define GBK_PACKAGE "c9fdbcb6b0fc"         /* 升级包 */

/* A transparent-up frame whose CRC-16/MODBUS is also another variant's:
 * a sensor reading with a 3-byte nonce, the first nonce that collides. */
static void colliding_reading(acs *s, uint16_t seq, gbuf *data)
{
    static const char reading[] = "T=23.5C;";
    gbuf lg = {0};
    for (uint32_t nonce = 0; nonce < (1u << 24); nonce++) {
        gb_reset(data);
        gb_put(data, reading, sizeof reading - 1);
        gb_u8(data, (uint8_t)(nonce >> 16));
        gb_u8(data, (uint8_t)(nonce >> 8));
        gb_u8(data, (uint8_t)nonce);
        ac_spec f = s->f;
        f.cls = 0xAA;
        f.cmd = 0xEE;
        f.status = 0x02;
        f.seq = seq;
        f.data = data->p;
        f.data_len = data->n;
        gb_reset(&lg);
        aicloud_logical(&lg, &f);
        size_t m = lg.n - 3;
        uint16_t mine = cs_crc16((cs_crc16_variant)f.crc, lg.p, m);
        for (int v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++)
            if (v != f.crc && cs_crc16((cs_crc16_variant)v, lg.p, m) == mine) {
                gb_free(&lg);
                return;
            }
    }
    gb_free(&lg);
}

/* ---- aicloud-session ---------------------------------------------------------------- */

int gen_aicloud_session(const char *path, uint64_t seed)
{
    grng r;
    rng_seed(&r, seed);
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1716020000LL * SEC);
    if (!cap)
        return 1;
    acs s = {0};
    s.f.dialect = 1;
    s.f.crc = CS_CRC16_MODBUS;
    set_dev(&s.f, 0x0000ACCF23FED24Aull);
    s.dseq = 1;
    s.sseq = 0x5450; /* passes 0x5454 and 0x5455: sequence bytes that need escaping */
    tcp_init(&s.t, cap, "10.30.0.21", 40001, "198.51.100.20", 9001, 0x1000, 0x50000000);
    tcp_handshake(&s.t);
    /* a token with 'U' and 'T' (0x55, 0x54) in it */
    login(&s, "12 34 56 78 9a bc de f0", "UT5A9QK2");

    gbuf a = {0}, b = {0};
    /* The server reads the configuration; this device repeats the
     * parameter ID before the value. */
    gen_advance(cap, 200 * MS);
    read_config(&s, 0x000C, "1e", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0001, "4857312e3000 5357322e332e3100 424c312e3100", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0005, "2923 01 636c6f75642e61692d7468696e6b65722e636f6d00", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0006, "2a23 00 3139382e35312e3130302e323100", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0007, "72727272", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x000B, "05", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0016, "e807 05 12 08 1e 00 06", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0020, "0a", true);
    gen_advance(cap, 100 * MS);
    read_config(&s, 0x0021, "0a", true);
    /* then sets a shorter heartbeat */
    gen_advance(cap, 300 * MS);
    write_config(&s, 0x000C, "14");

    int64_t next_hb = cap->now_ns + 18 * SEC;
    for (int round = 0; round < 7; round++) {
        gen_advance(cap, next_hb - cap->now_ns);
        heartbeat(&s);
        next_hb += 20 * SEC + (int64_t)rng_range(&r, 0, 600) * MS;
        gen_advance(cap, (int64_t)rng_range(&r, 2, 8) * SEC);
        gb_reset(&a);
        gb_reset(&b);
        switch (round) {
        case 0: /* sensor data up: 55 bytes make the length 0x55 */
            for (int i = 0; i < 55; i++)
                gb_u8(&a, (uint8_t)(i % 3 == 0 ? 0x55 : i % 3 == 1 ? 0x54 : 0x30 + i % 10));
            ask(&s, true, 0xAA, 0xEE, &a, 0x00, NULL, 50 * MS);
            break;
        case 1: /* a command down, and a reading whose CRC two variants give */
            gb_put(&a, "{\"relay\":1}", 11);
            ask(&s, false, 0xAA, 0xFF, &a, 0x00, NULL, 80 * MS);
            gen_advance(cap, 1 * SEC);
            colliding_reading(&s, s.dseq, &b);
            ask(&s, true, 0xAA, 0xEE, &b, 0x00, NULL, 50 * MS);
            break;
        case 2: /* a status event; then a heartbeat and data in one segment */
            gb_u8(&a, 0x20);
            gb_hex(&a, GBK_WORK_OK "00");
            ask(&s, true, 0xF0, 0xF0, &a, 0x00, NULL, 30 * MS);
            gen_advance(cap, 2 * SEC);
            {
                uint16_t s1 = s.dseq++, s2 = s.dseq++;
                put(&s, 0xA0, 0x01, 0x02, s1, NULL, 0);
                gb_reset(&a);
                gb_put(&a, "\x01\x02\x54\x55", 4);
                put(&s, 0xAA, 0xEE, 0x02, s2, a.p, a.n);
                flush(&s, true, NULL);
                gen_advance(cap, 40 * MS);
                put(&s, 0xA0, 0x01, 0x00, s1, NULL, 0);
                put(&s, 0xAA, 0xEE, 0x00, s2, NULL, 0);
                flush(&s, false, NULL);
            }
            break;
        case 3: /* the device's group */
            gb_hex(&b, "0000accf23fe0b1c 08 5a4b38513244574d cb007107 1771"
                       "0000accf23fe5501 08 4c3750325558344e c6336402 1772");
            ask(&s, true, 0xAA, 0x00, NULL, 0x00, &b, 70 * MS);
            break;
        case 4: /* a P2P request, confirmed; then data through the platform */
            gb_hex(&a, "0000accf23fe0b1c");
            gb_hex(&b, "0000accf23fe0b1c 08 5a4b38513244574d cb007107 1771");
            ask(&s, true, 0xA0, 0x55, &a, 0x00, &b, 90 * MS);
            gen_advance(cap, 1 * SEC);
            gb_reset(&a);
            gb_hex(&a, "0000accf23fe0b1c");
            gb_put(&a, "LIGHT=ON", 8);
            ask(&s, true, 0xAA, 0x55, &a, 0x00, NULL, 60 * MS);
            break;
        case 5: { /* an upgrade: the order, then the device fetches a frame */
            gb_hex(&a, GBK_PACKAGE "76322e62696e00 5a"); /* 升级包v2.bin, checksum */
            ask(&s, false, 0xF0, 0x56, &a, 0x00, NULL, 40 * MS);
            gen_advance(cap, 500 * MS);
            gb_reset(&a);
            gb_hex(&a, GBK_PACKAGE "76322e62696e00 0000 0001");
            for (int i = 0; i < 256; i++)
                gb_u8(&b, (uint8_t)(i * 37 + 0x55));
            uint16_t seq = s.dseq++;
            put(&s, 0xF0, 0x57, 0x02, seq, a.p, a.n);
            flush(&s, true, NULL);
            gen_advance(cap, 120 * MS);
            put(&s, 0xF0, 0x57, 0x00, seq, b.p, b.n);
            static const size_t cuts[] = {100, 100, 0};
            flush(&s, false, cuts);
            gen_advance(cap, 3 * SEC);
            gb_reset(&a);
            gb_u8(&a, 0x10);
            gb_hex(&a, GBK_UPGRADE_OK "00");
            ask(&s, true, 0xF0, 0xF0, &a, 0x00, NULL, 30 * MS);
            break;
        }
        default:
            break;
        }
    }
    gen_advance(cap, 5 * SEC);
    ask(&s, false, 0xF0, 0x55, NULL, 0x00, NULL, 30 * MS); /* reboot */
    gen_advance(cap, 200 * MS);
    tcp_close(&s.t, true);

    gb_free(&a);
    gb_free(&b);
    acs_free(&s);
    return gen_close(cap) ? 1 : 0;
}

/* ---- aicloud-p2p ---------------------------------------------------------------------- */

typedef struct peer {
    const char *ip;
    uint16_t port;
    uint8_t id[8];
    const char *token; /* this device's token, sent to it by the others */
    uint16_t seq;
} peer;

/* One datagram from `from` to `to` holding the frames in w. */
static void dgram(gcap *cap, const peer *from, const peer *to, gbuf *w)
{
    udp_send(cap, from->ip, from->port, to->ip, to->port, w->p, w->n);
    gb_reset(w);
}

/* A frame from `from` to `to`: the header names the target and carries
 * its token. */
static void p2p_put(gbuf *w, const peer *to, uint8_t cls, uint8_t cmd, uint8_t status,
                    uint16_t seq, const gbuf *data)
{
    ac_spec f = {0};
    f.dialect = 1;
    f.crc = CS_CRC16_XMODEM;
    memcpy(f.dev, to->id, 8);
    f.token = (const uint8_t *)to->token;
    f.token_len = strlen(to->token);
    f.cls = cls;
    f.cmd = cmd;
    f.status = status;
    f.seq = seq;
    f.data = data ? data->p : NULL;
    f.data_len = data ? data->n : 0;
    aicloud_put(w, &f);
}

/* P2P confirm: `from` sends (status 02), `to` confirms (status 00). */
static void p2p_confirm(gcap *cap, peer *from, peer *to, gbuf *w, gbuf *d)
{
    uint16_t seq = from->seq++;
    gb_reset(d);
    gb_put(d, from->id, 8);
    p2p_put(w, to, 0xA0, 0xEE, 0x02, seq, d);
    dgram(cap, from, to, w);
    gen_advance(cap, 25 * MS);
    gb_reset(d);
    gb_put(d, to->id, 8);
    p2p_put(w, from, 0xA0, 0xEE, 0x00, seq, d);
    dgram(cap, to, from, w);
}

int gen_aicloud_p2p(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1716030000LL * SEC);
    if (!cap)
        return 1;
    peer pa = {"192.168.1.20", 6000, {0, 0, 0xAC, 0xCF, 0x23, 0xFE, 0xD2, 0x4A}, "UT5A9QK2", 1};
    peer pb = {"203.0.113.7", 6001, {0, 0, 0xAC, 0xCF, 0x23, 0xFE, 0x0B, 0x1C}, "ZK8Q2DWM", 1};

    /* Device A asks the server for device B (TCP, mid-connection). */
    acs s = {0};
    s.f.dialect = 1;
    s.f.crc = CS_CRC16_XMODEM;
    memcpy(s.f.dev, pa.id, 8);
    s.f.token = (const uint8_t *)pa.token;
    s.f.token_len = strlen(pa.token);
    s.dseq = 0x40;
    tcp_init(&s.t, cap, "192.168.1.20", 40002, "198.51.100.20", 9001, 0x2000, 0x60000000);
    tcp_handshake(&s.t);
    gbuf w = {0}, d = {0}, rsp = {0};
    gb_put(&d, pb.id, 8);
    gb_put(&rsp, pb.id, 8);
    gb_u8(&rsp, 8);
    gb_put(&rsp, pb.token, 8);
    gb_hex(&rsp, "cb007107 1771"); /* 203.0.113.7:6001 */
    ask(&s, true, 0xA0, 0x55, &d, 0x00, &rsp, 80 * MS);

    /* Then straight to B over UDP. */
    gen_advance(cap, 300 * MS);
    p2p_confirm(cap, &pa, &pb, &w, &d);
    gen_advance(cap, 500 * MS);
    /* A sends B a command; B acknowledges it and reports, in one datagram */
    uint16_t seq = pa.seq++;
    gb_reset(&d);
    gb_put(&d, pa.id, 8);
    gb_put(&d, "LIGHT=ON", 8);
    p2p_put(&w, &pb, 0xAA, 0x66, 0x02, seq, &d);
    dgram(cap, &pa, &pb, &w);
    gen_advance(cap, 30 * MS);
    p2p_put(&w, &pa, 0xAA, 0x66, 0x00, seq, NULL);
    uint16_t bseq = pb.seq++;
    gb_reset(&d);
    gb_put(&d, pb.id, 8);
    gb_put(&d, "TEMP=21.5;HUM=54", 16);
    p2p_put(&w, &pa, 0xAA, 0x66, 0x02, bseq, &d);
    dgram(cap, &pb, &pa, &w);
    gen_advance(cap, 20 * MS);
    p2p_put(&w, &pb, 0xAA, 0x66, 0x00, bseq, NULL);
    dgram(cap, &pa, &pb, &w);
    /* keep-alives, at most a minute apart, from both sides */
    gen_advance(cap, 50 * SEC);
    p2p_confirm(cap, &pa, &pb, &w, &d);
    gen_advance(cap, 7 * SEC);
    p2p_confirm(cap, &pb, &pa, &w, &d);
    gen_advance(cap, 45 * SEC);
    p2p_confirm(cap, &pa, &pb, &w, &d);

    gen_advance(cap, 1 * SEC);
    tcp_close(&s.t, true);
    gb_free(&w);
    gb_free(&d);
    gb_free(&rsp);
    acs_free(&s);
    return gen_close(cap) ? 1 : 0;
}

/* ---- aicloud-field --------------------------------------------------------------------- */

int gen_aicloud_field(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1716040000LL * SEC);
    if (!cap)
        return 1;
    acs s = {0};
    s.f.dialect = 2;
    s.f.crc = CS_CRC16_AICLOUD;
    set_dev(&s.f, 0x0000000C296163D3ull);
    s.dseq = 0x33;
    s.sseq = 0xA8; /* passes 0xA9 and 0xAA: escaped in this dialect */
    tcp_init(&s.t, cap, "10.8.0.5", 51234, "198.51.100.30", 8992, 0x3000, 0x70000000);
    tcp_handshake(&s.t);
    /* the login carries the (still empty) 8-byte token */
    login(&s, "31 32 33 34 35 36 37 38", "H1IN|++3");
    gen_advance(cap, 1 * SEC);
    heartbeat(&s);
    gen_advance(cap, 2 * SEC);
    /* The public server's example frame (seq 0x0035, "123456"). */
    gbuf a = {0}, b = {0};
    s.dseq = 0x35;
    gb_put(&a, "123456", 6);
    ask(&s, true, 0xAA, 0xEE, &a, 0x00, NULL, 40 * MS);
    /* A Modbus request down, with AA and A9 bytes in it */
    gen_advance(cap, 1 * SEC);
    gb_reset(&a);
    gb_hex(&a, "01 06 00aa 00a9 a9aa");
    ask(&s, false, 0xAA, 0xFF, &a, 0x00, NULL, 60 * MS);
    /* 141 bytes up make the length 0xAA */
    gen_advance(cap, 1 * SEC);
    gb_reset(&a);
    for (int i = 0; i < 141; i++)
        gb_u8(&a, (uint8_t)(0x41 + i % 26));
    ask(&s, true, 0xAA, 0xEE, &a, 0x00, NULL, 40 * MS);
    /* the clock (F0/88, a field extra: opaque) */
    gen_advance(cap, 1 * SEC);
    gb_reset(&a);
    gb_hex(&a, "e807 05 12 0b 00 00 06");
    ask(&s, false, 0xF0, 0x88, &a, 0x00, NULL, 40 * MS);
    /* the heartbeat interval, answered with the value alone */
    gen_advance(cap, 1 * SEC);
    read_config(&s, 0x000C, "3c", false);
    gen_advance(cap, 30 * SEC);
    heartbeat(&s);
    gen_advance(cap, 60 * SEC);
    heartbeat(&s);
    gen_advance(cap, 1 * SEC);
    tcp_close(&s.t, true);

    /* A PC client (A0/02, A0/03) of the same deployment. */
    gen_advance(cap, 2 * SEC);
    acs pc = {0};
    pc.f.dialect = 2;
    pc.f.crc = CS_CRC16_AICLOUD;
    set_dev(&pc.f, 0x0000000000000001ull);
    pc.dseq = 1;
    tcp_init(&pc.t, cap, "10.8.0.9", 51240, "198.51.100.30", 8992, 0x4000, 0x71000000);
    tcp_handshake(&pc.t);
    uint16_t seq = pc.dseq++;
    put(&pc, 0xA0, 0x02, 0x02, seq, NULL, 0);
    flush(&pc, true, NULL);
    gen_advance(cap, 50 * MS);
    pc.f.token = (const uint8_t *)"Q0R#W7+x";
    put(&pc, 0xA0, 0x02, 0x00, seq, NULL, 0);
    flush(&pc, false, NULL);
    gen_advance(cap, 10 * SEC);
    ask(&pc, true, 0xA0, 0x03, NULL, 0x00, NULL, 30 * MS);
    gen_advance(cap, 1 * SEC);
    tcp_close(&pc.t, true);

    gb_free(&a);
    gb_free(&b);
    acs_free(&s);
    acs_free(&pc);
    return gen_close(cap) ? 1 : 0;
}

/* ---- aicloud-faults --------------------------------------------------------------------- */

/* The reply to a request of sequence seq (no data), after 40 ms. */
static void reply(acs *s, bool from_dev, uint8_t cls, uint8_t cmd, uint8_t status, uint16_t seq)
{
    gen_advance(s->t.cap, 40 * MS);
    put(s, cls, cmd, status, seq, NULL, 0);
    flush(s, from_dev, NULL);
}

/* The device's template with a command and data, for a fault to be set. */
static ac_spec dev_spec(const acs *s, uint8_t cls, uint8_t cmd, const gbuf *data)
{
    ac_spec f = s->f;
    f.cls = cls;
    f.cmd = cmd;
    f.status = 0x02;
    f.data = data ? data->p : NULL;
    f.data_len = data ? data->n : 0;
    return f;
}

/* A request from the device (its next sequence), sent alone a second
 * after the last, and the server's reply with `status`.  `bytes` goes in
 * front of the frame in the same segment (garbage), `cut` bytes are cut
 * off its end, and then `next` (if any) follows in the same segment. */
static void dev_fault(acs *s, ac_spec f, uint8_t status, const char *bytes, size_t cut,
                      const ac_spec *next)
{
    gen_advance(s->t.cap, 1 * SEC);
    f.seq = s->dseq++;
    if (bytes)
        gb_put(&s->w, bytes, strlen(bytes));
    aicloud_put(&s->w, &f);
    s->w.n -= cut;
    uint16_t answered = f.seq;
    if (next) {
        ac_spec g = *next;
        g.seq = answered = s->dseq++;
        aicloud_put(&s->w, &g);
        f = g;
    }
    flush(s, true, NULL);
    reply(s, false, f.cls, f.cmd, status, answered);
}

/* A request from the server with data given in hex, and the device's
 * reply (status, and data in hex or none). */
static void srv_fault(acs *s, uint8_t cls, uint8_t cmd, const char *garbage, const char *req_hex,
                      uint8_t status, const char *rsp_hex)
{
    gbuf a = {0}, b = {0};
    gen_advance(s->t.cap, 1 * SEC);
    if (garbage)
        gb_put(&s->w, garbage, 6);
    gb_hex(&a, req_hex);
    uint16_t seq = s->sseq++;
    put(s, cls, cmd, 0x02, seq, a.p, a.n);
    flush(s, false, NULL);
    gen_advance(s->t.cap, 30 * MS);
    if (rsp_hex)
        gb_hex(&b, rsp_hex);
    put(s, cls, cmd, status, seq, b.p, b.n);
    flush(s, true, NULL);
    gb_free(&a);
    gb_free(&b);
}

static void set_data(gbuf *a, const char *hex)
{
    gb_reset(a);
    gb_hex(a, hex);
}

int gen_aicloud_faults(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1716050000LL * SEC);
    if (!cap)
        return 1;
    acs s = {0};
    gbuf a = {0};
    s.f.dialect = 1;
    s.f.crc = CS_CRC16_MODBUS;
    set_dev(&s.f, 0x0000ACCF23FE0001ull);
    s.dseq = 1;
    s.sseq = 0x100;
    tcp_init(&s.t, cap, "10.30.0.41", 40101, "198.51.100.20", 9001, 0x5000, 0x80000000);
    tcp_handshake(&s.t);
    login(&s, "01 02 03 04 05 06 07 08", "F4ULT5K9");
    gen_advance(cap, 500 * MS);
    write_config(&s, 0x000C, "14"); /* heartbeat every 20 s */
    gen_advance(cap, 1 * SEC);
    heartbeat(&s);

    /* a corrupted CRC; the server refuses the data */
    gb_put(&a, "T=19.0C", 7);
    ac_spec f = dev_spec(&s, 0xAA, 0xEE, &a);
    f.crc_forced = true;
    f.crc_stored = 0xBEEF;
    dev_fault(&s, f, 0x01, NULL, 0, NULL);
    /* a 0x54 the device forgot to escape: 54 07 on the wire */
    set_data(&a, "0154 07 02");
    f = dev_spec(&s, 0xAA, 0xEE, &a);
    f.raw_byte = 0x54;
    dev_fault(&s, f, 0x00, NULL, 0, NULL);
    /* a length 5 too large */
    f = dev_spec(&s, 0xAA, 0xEE, &a);
    f.len = (int)logical_size(&f) + 5;
    dev_fault(&s, f, 0x00, NULL, 0, NULL);
    /* a length that counts the escaped bytes */
    set_data(&a, "55 54 55 54 30 31");
    f = dev_spec(&s, 0xAA, 0xEE, &a);
    f.len = -1;
    dev_fault(&s, f, 0x00, NULL, 0, NULL);
    /* data cut off (the device reset: 3 data bytes, the CRC and the tail
     * lost), then a heartbeat whole in the same segment */
    gb_reset(&a);
    gb_put(&a, "ABCDEFGH", 8);
    ac_spec hb = dev_spec(&s, 0xA0, 0x01, NULL);
    dev_fault(&s, dev_spec(&s, 0xAA, 0xEE, &a), 0x00, NULL, 6, &hb);
    /* a frame above 1400 bytes */
    gb_reset(&a);
    for (int i = 0; i < 1450; i++)
        gb_u8(&a, (uint8_t)(0x20 + i % 90));
    dev_fault(&s, dev_spec(&s, 0xAA, 0xEE, &a), 0x00, NULL, 0, NULL);
    /* a heartbeat without its token */
    f = dev_spec(&s, 0xA0, 0x01, NULL);
    f.token = NULL;
    dev_fault(&s, f, 0x00, NULL, 0, NULL);
    /* an unknown class and an unknown command: not supported */
    set_data(&a, "0102");
    dev_fault(&s, dev_spec(&s, 0xB0, 0x01, &a), 0x03, NULL, 0, NULL);
    dev_fault(&s, dev_spec(&s, 0xA0, 0x77, NULL), 0x03, NULL, 0, NULL);
    /* a P2P request with a 5-byte target ID */
    set_data(&a, "0000accf23");
    dev_fault(&s, dev_spec(&s, 0xA0, 0x55, &a), 0x01, NULL, 0, NULL);
    /* garbage, then a configuration read in the same segment; the read
     * has two bytes too many */
    srv_fault(&s, 0xF0, 0xAA, "\xde\xad\xbe\xef\x00\x01", "0c00 ffff", 0x00, "0c00 14");
    /* a parameter the table does not list: not supported */
    srv_fault(&s, 0xF0, 0xAA, NULL, "9900", 0x03, NULL);
    /* a status event whose text has no NUL */
    gb_reset(&a);
    gb_u8(&a, 0x20);
    gb_hex(&a, GBK_WORK_OK);
    dev_fault(&s, dev_spec(&s, 0xF0, 0xF0, &a), 0x00, NULL, 0, NULL);
    /* a heartbeat answered with status 0x07 */
    dev_fault(&s, dev_spec(&s, 0xA0, 0x01, NULL), 0x07, NULL, 0, NULL);
    /* a reply to a request nobody sent */
    gen_advance(cap, 1 * SEC);
    reply(&s, false, 0xA0, 0x01, 0x00, 0x7777);
    /* a heartbeat 45 s after the previous one (interval 20 s) */
    gen_advance(cap, 45 * SEC);
    heartbeat(&s);
    /* a reboot order the device never answers */
    gen_advance(cap, 2 * SEC);
    put(&s, 0xF0, 0x55, 0x02, s.sseq++, NULL, 0);
    flush(&s, false, NULL);
    gen_advance(cap, 5 * SEC);
    tcp_close(&s.t, false);

    /* A second connection: the device logs in with a token. */
    gen_advance(cap, 3 * SEC);
    tcp_init(&s.t, cap, "10.30.0.41", 40102, "198.51.100.20", 9001, 0x6000, 0x81000000);
    tcp_handshake(&s.t);
    set_data(&a, "01 02 03 04 05 06 07 08");
    dev_fault(&s, dev_spec(&s, 0xA0, 0x00, &a), 0x00, NULL, 0, NULL);
    gen_advance(cap, 1 * SEC);
    tcp_close(&s.t, true);

    /* A field-dialect device with a corrupted CRC and a bad A9 escape. */
    gen_advance(cap, 2 * SEC);
    acs fd = {0};
    fd.f.dialect = 2;
    fd.f.crc = CS_CRC16_AICLOUD;
    set_dev(&fd.f, 0x0000000C29616400ull);
    fd.f.token = (const uint8_t *)"H1IN|++3";
    fd.dseq = 0x10;
    tcp_init(&fd.t, cap, "10.8.0.6", 51300, "198.51.100.30", 8992, 0x7000, 0x82000000);
    tcp_handshake(&fd.t);
    gb_reset(&a);
    gb_put(&a, "654321", 6);
    f = dev_spec(&fd, 0xAA, 0xEE, &a);
    f.crc_forced = true;
    f.crc_stored = 0x1234;
    dev_fault(&fd, f, 0x01, NULL, 0, NULL);
    set_data(&a, "a9 07");
    f = dev_spec(&fd, 0xAA, 0xEE, &a);
    f.raw_byte = 0xA9;
    dev_fault(&fd, f, 0x00, NULL, 0, NULL);
    gen_advance(cap, 1 * SEC);
    tcp_close(&fd.t, true);

    /* One device for each remaining CRC-16 variant: a heartbeat each. */
    static const int variants[] = {CS_CRC16_CCITT_FALSE, CS_CRC16_KERMIT, CS_CRC16_ARC,
                                   CS_CRC16_X25};
    for (int i = 0; i < 4; i++) {
        gen_advance(cap, 1 * SEC);
        acs v = {0};
        v.f.dialect = 1;
        v.f.crc = variants[i];
        set_dev(&v.f, 0x0000ACCF23FE1000ull + (uint64_t)i);
        v.f.token = (const uint8_t *)"V4R1ANT5";
        v.f.token_len = 8;
        v.dseq = 1;
        char ip[16];
        snprintf(ip, sizeof ip, "10.30.0.%d", 50 + i);
        tcp_init(&v.t, cap, ip, (uint16_t)(40200 + i), "198.51.100.20", 9001,
                 0x8000u + (uint32_t)i * 0x1000u, 0x83000000u + (uint32_t)i * 0x100000u);
        tcp_handshake(&v.t);
        heartbeat(&v);
        gen_advance(cap, 200 * MS);
        tcp_close(&v.t, true);
        acs_free(&v);
    }

    gb_free(&a);
    acs_free(&s);
    acs_free(&fd);
    return gen_close(cap) ? 1 : 0;
}

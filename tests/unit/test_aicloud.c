/*
 * test_aicloud - the AI-Cloud definition through the library interface,
 * checked against the generator's encoder (samples/gen/aicloud_gen.c):
 * escaping edge cases in both dialects, every CRC-16 variant, framing
 * and resynchronisation, the heuristic, the token rules, field values,
 * every violation rule, and the session rules.
 */
#include "check.h"
#include "want_parity.h"

#include "aicloud.h"
#include "chargeproto.h"
#include "gen.h"

#include <stdlib.h>
#include <string.h>

static const cs_proto *P = &aicloud_proto;
static uint32_t opts[CS_MAX_OPTS];
static cs_out o;

static const uint8_t DEV[8] = {0x00, 0x00, 0xAC, 0xCF, 0x23, 0xFE, 0xD2, 0x4A};
static const char *TOKEN = "ZK8Q2DWM";

/* A documented-form frame template (MODBUS, with a token). */
static ac_spec doc_spec(uint8_t cls, uint8_t cmd, uint8_t status, const uint8_t *data, size_t n)
{
    ac_spec f = {0};
    f.dialect = AICLOUD_DIALECT_DOC;
    f.crc = CS_CRC16_MODBUS;
    f.cls = cls;
    f.cmd = cmd;
    f.status = status;
    f.seq = 7;
    memcpy(f.dev, DEV, 8);
    f.token = (const uint8_t *)TOKEN;
    f.token_len = 8;
    f.data = data;
    f.data_len = n;
    return f;
}

static ac_spec field_spec(uint8_t cls, uint8_t cmd, uint8_t status, const uint8_t *data, size_t n)
{
    ac_spec f = doc_spec(cls, cmd, status, data, n);
    f.dialect = AICLOUD_DIALECT_FIELD;
    f.crc = CS_CRC16_AICLOUD;
    return f;
}

static gbuf wire, logical;

static void encode(const ac_spec *f)
{
    gb_reset(&wire);
    gb_reset(&logical);
    aicloud_put(&wire, f);
    aicloud_logical(&logical, f);
}

static void dec(void *sess, const uint8_t *b, size_t n, uint8_t side, int64_t t_ms,
                uint32_t frame_no, bool udp)
{
    cs_ctx ctx = {0};
    ctx.frame = frame_no;
    ctx.ts_ns = t_ms * 1000000LL;
    ctx.side = side;
    ctx.udp = udp;
    ctx.whole = udp;
    ctx.transport_dir = udp ? CS_DIR_PEER : side == 0 ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
    ctx.tag = frame_no;
    P->decode(sess, opts, b, n, &ctx, &o);
}

static int count_code(const char *code)
{
    int c = 0;
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (!strcmp(P->violations[o.viols[i].code].code, code))
            c++;
    return c;
}

static const cs_item *item(int field)
{
    for (uint32_t i = 0; i < o.n_items; i++)
        if (o.items[i].field == field)
            return &o.items[i];
    return NULL;
}

static int count_items(int field)
{
    int c = 0;
    for (uint32_t i = 0; i < o.n_items; i++)
        c += o.items[i].field == field;
    return c;
}

static const char *item_str(int field)
{
    const cs_item *it = item(field);
    return it ? cs_str(&o, it->str) : "(none)";
}

static uint64_t item_u(int field)
{
    const cs_item *it = item(field);
    return it ? it->v.u : 0xDEADBEEF;
}

/* The derived bytes at an item. */
static bool item_bytes(int field, const uint8_t *want, size_t n)
{
    const cs_item *it = item(field);
    return it && (it->flags & CS_IF_DERIVED) && it->length == n && it->offset + n <= o.derived_len &&
           memcmp(o.derived + it->offset, want, n) == 0;
}

/* Frame the wire bytes as one PDU, decode them statelessly, and check
 * that the frame round-trips: the unescaped view is the logical frame,
 * the CRC is good and nothing is flagged. */
static bool roundtrip(const ac_spec *f, const char *what)
{
    encode(f);
    size_t len = 0;
    cs_frame_kind k = P->frame(wire.p, wire.n, &len);
    bool ok = true;
    if (k != CS_FRAME_PDU || len != wire.n) {
        fprintf(stderr, "%s: framed as %d/%zu, expected a %zu-byte PDU\n", what, k, len, wire.n);
        ok = false;
    }
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    if (o.derived_len != logical.n || memcmp(o.derived, logical.p, logical.n) != 0) {
        fprintf(stderr, "%s: the unescaped view differs from the logical frame\n", what);
        ok = false;
    }
    if (o.cksum != CS_CK_GOOD || o.n_viols != 0) {
        fprintf(stderr, "%s: CRC %d, %u violations (first: %s)\n", what, o.cksum, o.n_viols,
                o.n_viols ? cs_str(&o, o.viols[0].msg) : "");
        ok = false;
    }
    if (item_u(AF_SEQ) != f->seq || item_u(AF_CLASS) != f->cls || item_u(AF_CMD) != f->cmd ||
        item_u(AF_DIALECT) != (uint64_t)f->dialect) {
        fprintf(stderr, "%s: header fields differ\n", what);
        ok = false;
    }
    if (f->data_len && !item_bytes(AF_PAYLOAD, f->data, f->data_len) &&
        !item_bytes(AF_DATA, f->data, f->data_len)) {
        fprintf(stderr, "%s: the data differs\n", what);
        ok = false;
    }
    return ok;
}

static bool wire_has(const uint8_t *pat, size_t n)
{
    for (size_t i = 0; i + n <= wire.n; i++)
        if (!memcmp(wire.p + i, pat, n))
            return true;
    return false;
}

/* ---- CRC --------------------------------------------------------------------------- */

static void test_crc_variants(void)
{
    CHECK(cs_crc16(CS_CRC16_AICLOUD, (const uint8_t *)"123456789", 9) == 0xB955,
          "field variant check value");
    uint8_t data[] = {'S', 'E', 'N', 'S', 'O', 'R', 0x00};
    for (int v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++) {
        /* a frame for which exactly this variant matches */
        ac_spec f = doc_spec(0xAA, 0xEE, 0x02, data, sizeof data);
        f.crc = v;
        for (int tries = 0; tries < 256; tries++) {
            data[6] = (uint8_t)tries;
            encode(&f);
            dec(NULL, wire.p, wire.n, 0, 0, 1, false);
            if (count_items(AF_CRC_VARIANT) == 1)
                break;
        }
        CHECK(o.cksum == CS_CK_GOOD, "%s: good CRC",
              cs_vs_name(cs_crc16_variant_vals, (uint32_t)v, "?"));
        CHECK(item_u(AF_CRC_VARIANT) == (uint64_t)v, "%s detected as %s",
              cs_vs_name(cs_crc16_variant_vals, (uint32_t)v, "?"),
              cs_vs_name(cs_crc16_variant_vals, (uint32_t)item_u(AF_CRC_VARIANT), "?"));
        const cs_item *c = item(AF_CRC);
        CHECK(c && (c->flags & CS_IF_LE) && c->status == CS_CK_GOOD &&
                  c->offset == logical.n - 3 && c->length == 2,
              "CRC item placement (%s)", cs_vs_name(cs_crc16_variant_vals, (uint32_t)v, "?"));
        /* the same frame in the field dialect */
        f.dialect = AICLOUD_DIALECT_FIELD;
        encode(&f);
        dec(NULL, wire.p, wire.n, 0, 0, 1, false);
        CHECK(o.cksum == CS_CK_GOOD && item_u(AF_CRC_VARIANT) == (uint64_t)v,
              "%s in the field dialect", cs_vs_name(cs_crc16_variant_vals, (uint32_t)v, "?"));
    }
    /* the preference's choices are the variants' names */
    const cs_vs *choices = P->options[AO_CRC].enum_vals;
    for (uint32_t v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++)
        CHECK(!strcmp(cs_vs_name(choices, v, "?"), cs_vs_name(cs_crc16_variant_vals, v, "")),
              "preference choice %u is named as the variant", v);
    CHECK(!strcmp(cs_vs_name(choices, 0, "?"), "auto"), "and 0 is auto");
    /* pinned: only that variant counts */
    ac_spec f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    f.crc = CS_CRC16_XMODEM;
    encode(&f);
    opts[AO_CRC] = CS_CRC16_XMODEM;
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.cksum == CS_CK_GOOD && item_u(AF_CRC_VARIANT) == CS_CRC16_XMODEM, "pinned xmodem");
    opts[AO_CRC] = CS_CRC16_MODBUS;
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.cksum == CS_CK_BAD && count_code("aicloud.crc.bad") == 1 && !item(AF_CRC_VARIANT),
          "pinned modbus rejects an xmodem frame");
    opts[AO_CRC] = 0;
    /* a corrupted CRC: bad, every variant's value in the message */
    f.crc_forced = true;
    f.crc_stored = 0xBEEF;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.cksum == CS_CK_BAD && count_code("aicloud.crc.bad") == 1, "bad CRC flagged");
    CHECK(o.n_viols && strstr(cs_str(&o, o.viols[0].msg), "x-25 0x"),
          "the message lists every variant: %s", o.n_viols ? cs_str(&o, o.viols[0].msg) : "");
    const cs_item *c = item(AF_CRC);
    CHECK(c && c->v.u == 0xBEEF && c->aux == cs_crc16(CS_CRC16_AICLOUD, logical.p, logical.n - 3),
          "bad CRC: stored and computed (field variant first)");
}

/* The public field server's own example frame (happyjun190/socketserver,
 * CommonUtils.java, a comment in changeReceiveBytesDefine): field dialect,
 * one escape (A9 01 = the class 0xAA), the field CRC variant. */
static void test_public_example(void)
{
    static const char *hex = "55 23 00 A9 01 EE 35 00 00 00 02 00 00 00 0C 29 61 63 D3 48 31 49 4E "
                             "7C 2B 2B 33 31 32 33 34 35 36 C6 38 AA";
    uint8_t b[64];
    size_t n = cs_unhex(hex, b, sizeof b), len = 0;
    CHECK(n == 36, "36 bytes");
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == 36, "framed whole");
    CHECK(P->probe(b, n, false), "recognised by the heuristic");
    dec(NULL, b, n, 0, 0, 1, false);
    CHECK(item_u(AF_DIALECT) == AICLOUD_DIALECT_FIELD, "field dialect");
    CHECK(o.derived_len == 35 && item_u(AF_LEN) == 35 && o.n_viols == 0,
          "length 35 = the unescaped size, no violation (%u)", o.n_viols);
    CHECK(item_u(AF_CLASS) == 0xAA && item_u(AF_CMD) == 0xEE && item_u(AF_SEQ) == 0x35,
          "AA/EE seq 0x35");
    CHECK(!strcmp(item_str(AF_DEVICE_ID), "0000000C296163D3"), "device ID %s",
          item_str(AF_DEVICE_ID));
    CHECK(item_bytes(AF_TOKEN, (const uint8_t *)"H1IN|++3", 8), "token H1IN|++3");
    CHECK(item_bytes(AF_PAYLOAD, (const uint8_t *)"123456", 6), "data 123456");
    CHECK(o.cksum == CS_CK_GOOD && item_u(AF_CRC_VARIANT) == CS_CRC16_AICLOUD,
          "the field CRC variant");
    CHECK(!strcmp(o.info, "Transparent up, 6 bytes"), "info: %s", o.info);
    /* and the encoder writes exactly these bytes */
    ac_spec f = field_spec(0xAA, 0xEE, 0x02, (const uint8_t *)"123456", 6);
    static const uint8_t dev[8] = {0, 0, 0, 0x0C, 0x29, 0x61, 0x63, 0xD3};
    memcpy(f.dev, dev, 8);
    f.seq = 0x35;
    f.token = (const uint8_t *)"H1IN|++3";
    encode(&f);
    CHECK(wire.n == n && !memcmp(wire.p, b, n), "the encoder reproduces the example");
}

/* ---- escaping -------------------------------------------------------------------------- */

static void test_escaping(void)
{
    uint8_t data[300];
    for (int dialect = AICLOUD_DIALECT_DOC; dialect <= AICLOUD_DIALECT_FIELD; dialect++) {
        const char *dn = dialect == AICLOUD_DIALECT_DOC ? "documented" : "field";
        static const uint8_t specials[] = {0x55, 0x54, 0xAA, 0xA9};
        for (size_t si = 0; si < sizeof specials; si++) {
            uint8_t sp = specials[si];
            char what[96];
            /* in the data */
            memset(data, 0x30, sizeof data);
            data[0] = sp;
            data[3] = sp;
            data[4] = sp;
            ac_spec f = doc_spec(0xAA, 0xEE, 0x02, data, 5);
            f.dialect = dialect;
            snprintf(what, sizeof what, "%s: 0x%02X in the data", dn, sp);
            CHECK(roundtrip(&f, what), "%s", what);
            /* in the sequence, both bytes */
            f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
            f.dialect = dialect;
            f.seq = (uint16_t)(sp << 8 | sp);
            snprintf(what, sizeof what, "%s: 0x%02X in the sequence", dn, sp);
            CHECK(roundtrip(&f, what), "%s", what);
            /* in the token (documented form: also as its length) */
            uint8_t tok[8] = {sp, 'A', sp, sp, 'B', 'C', 'D', sp};
            f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
            f.dialect = dialect;
            f.token = tok;
            snprintf(what, sizeof what, "%s: 0x%02X in the token", dn, sp);
            CHECK(roundtrip(&f, what), "%s", what);
            /* as the token's length byte (documented form) */
            if (dialect == AICLOUD_DIALECT_DOC && sp < 0x60) {
                uint8_t longtok[0x60];
                memset(longtok, 'k', sizeof longtok);
                f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
                f.token = longtok;
                f.token_len = sp;
                snprintf(what, sizeof what, "0x%02X as the token length", sp);
                CHECK(roundtrip(&f, what) && item_u(AF_TOKEN_LEN) == sp, "%s", what);
            }
            /* in the device ID */
            f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
            f.dialect = dialect;
            f.dev[7] = sp;
            f.dev[0] = sp;
            snprintf(what, sizeof what, "%s: 0x%02X in the device ID", dn, sp);
            CHECK(roundtrip(&f, what), "%s", what);
            /* in the length, low byte: data sized so the frame is 0x..sp */
            size_t base = 18 + 9 + 3;
            f = doc_spec(0xAA, 0xEE, 0x02, data, 0);
            f.dialect = dialect;
            memset(data, 0x31, sizeof data);
            base = dialect == AICLOUD_DIALECT_FIELD ? 18 + 8 + 3 : base;
            f.data_len = (size_t)sp - base;
            snprintf(what, sizeof what, "%s: 0x%02X as the length", dn, sp);
            CHECK(roundtrip(&f, what), "%s", what);
            CHECK(item_u(AF_LEN) == sp, "%s: length %u", what, (unsigned)item_u(AF_LEN));
            /* in the length, high byte: a 0x55xx-byte frame is too long;
             * the class and command bytes instead (A0/55, AA/55, F0/55) */
            f = doc_spec(sp == 0xAA ? 0xAA : 0xF0, sp, 0x02, NULL, 0);
            f.dialect = dialect;
            snprintf(what, sizeof what, "%s: 0x%02X as the command", dn, sp);
            encode(&f);
            dec(NULL, wire.p, wire.n, 0, 0, 1, false);
            CHECK(o.cksum == CS_CK_GOOD && item_u(AF_CMD) == sp && count_code("aicloud.escape.bad") == 0,
                  "%s", what);
        }
        /* in the CRC: find frames whose CRC has 0x55, 0x54 (and AA, A9) bytes */
        for (size_t si = 0; si < sizeof specials; si++) {
            uint8_t sp = specials[si];
            for (int lo = 0; lo < 2; lo++) {
                bool found = false;
                for (uint32_t x = 0; x < 65536 && !found; x++) {
                    data[0] = (uint8_t)x;
                    data[1] = (uint8_t)(x >> 8);
                    ac_spec f = doc_spec(0xAA, 0xEE, 0x02, data, 2);
                    f.dialect = dialect;
                    gb_reset(&logical);
                    aicloud_logical(&logical, &f);
                    if (logical.p[logical.n - 3 + (lo ? 0 : 1)] != sp)
                        continue;
                    found = true;
                    char what[96];
                    snprintf(what, sizeof what, "%s: 0x%02X as the CRC's %s byte", dn, sp,
                             lo ? "low" : "high");
                    CHECK(roundtrip(&f, what), "%s", what);
                }
                CHECK(found, "a CRC with 0x%02X found", sp);
            }
        }
        /* what goes on the wire */
        memset(data, 0x55, 4);
        data[1] = 0x54;
        data[2] = 0xAA;
        data[3] = 0xA9;
        ac_spec f = doc_spec(0xAA, 0xEE, 0x02, data, 4);
        f.dialect = dialect;
        encode(&f);
        uint8_t run_doc[] = {0x54, 0x01, 0x54, 0x02, 0xAA, 0xA9};
        uint8_t run_field[] = {0x54, 0x01, 0x54, 0x02, 0xA9, 0x01, 0xA9, 0x02};
        if (dialect == AICLOUD_DIALECT_DOC)
            CHECK(wire_has(run_doc, sizeof run_doc), "documented: 55 54 AA A9 -> 54 01 54 02 AA A9");
        else
            CHECK(wire_has(run_field, sizeof run_field),
                  "field: 55 54 AA A9 -> 54 01 54 02 A9 01 A9 02");
        /* the only 0x55 bytes on the wire are the head (and the tail) */
        size_t n55 = 0, nAA = 0;
        for (size_t i = 0; i < wire.n; i++) {
            n55 += wire.p[i] == 0x55;
            nAA += wire.p[i] == 0xAA;
        }
        CHECK(n55 == (dialect == AICLOUD_DIALECT_DOC ? 2u : 1u), "%s: 0x55 only as delimiter",
              dn);
        if (dialect == AICLOUD_DIALECT_FIELD)
            CHECK(nAA == 1, "field: 0xAA only as the tail");
    }
}

/* ---- framing ------------------------------------------------------------------------------ */

static void test_framing(void)
{
    size_t len;
    gbuf s = {0};
    /* three frames back to back: 55 55 between them; each frame split */
    ac_spec a = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    uint8_t d2[] = {0xAA, 0x00, 0xAA, 0x55, 0x54};
    ac_spec b = doc_spec(0xAA, 0xEE, 0x02, d2, sizeof d2); /* raw AA in the documented form */
    ac_spec c = field_spec(0xAA, 0xFF, 0x02, d2, sizeof d2);
    size_t la, lb, lc;
    aicloud_put(&s, &a);
    la = s.n;
    aicloud_put(&s, &b);
    lb = s.n - la;
    aicloud_put(&s, &c);
    lc = s.n - la - lb;
    CHECK(s.p[la - 1] == 0x55 && s.p[la] == 0x55, "back to back: 55 55");
    CHECK(P->frame(s.p, s.n, &len) == CS_FRAME_PDU && len == la, "first frame %zu", len);
    CHECK(P->frame(s.p + la, s.n - la, &len) == CS_FRAME_PDU && len == lb,
          "a documented frame with raw 0xAA bytes (class AA) is one frame: %zu of %zu", len, lb);
    CHECK(P->frame(s.p + la + lb, lc, &len) == CS_FRAME_PDU && len == lc, "the field frame");
    /* every prefix of a frame asks for more, and framing is the same
     * however many bytes follow */
    bool need_ok = true, same = true;
    for (size_t k = 1; k < la; k++) {
        if (P->frame(s.p, k, &len) != CS_FRAME_NEED || len <= k)
            need_ok = false;
    }
    for (size_t k = la + lb; k <= s.n; k++) {
        if (P->frame(s.p + la, k - la, &len) != CS_FRAME_PDU || len != lb)
            same = false;
    }
    CHECK(need_ok, "prefixes of a frame: need more");
    CHECK(same, "the frame end does not depend on the bytes after it");
    for (size_t k = 1; k < lb; k++)
        if (P->frame(s.p + la, k, &len) != CS_FRAME_NEED) {
            CHECK(false, "prefix %zu of the AA frame: %zu", k, len);
            break;
        }
    /* garbage before a frame: skipped to the head */
    gbuf g = {0};
    gb_put(&g, "\x01\x02\x03garbage", 10);
    gb_put(&g, s.p, la);
    CHECK(P->frame(g.p, g.n, &len) == CS_FRAME_SKIP && len == 10, "skip 10, got %zu", len);
    CHECK(P->frame(g.p, 10, &len) == CS_FRAME_SKIP && len == 10, "garbage alone");
    /* a lone 0x55 and short runs between 55s are garbage */
    uint8_t lone[] = {0x55, 0x55, 0x01};
    CHECK(P->frame(lone, 3, &len) == CS_FRAME_SKIP && len == 1, "55 55: the first is garbage");
    uint8_t shortrun[] = {0x55, 0x10, 0x20, 0x30, 0x55};
    CHECK(P->frame(shortrun, 5, &len) == CS_FRAME_SKIP && len == 4, "55 xx xx xx 55: skip 4");
    /* a frame cut off, then the next one: the cut one ends before the
     * next head */
    gb_reset(&g);
    uint8_t data8[] = "ABCDEFGH";
    ac_spec cut = doc_spec(0xAA, 0xEE, 0x02, data8, 8);
    aicloud_put(&g, &cut);
    g.n -= 6;
    size_t lcut = g.n;
    aicloud_put(&g, &a);
    CHECK(P->frame(g.p, g.n, &len) == CS_FRAME_PDU && len == lcut, "cut frame: %zu, want %zu",
          len, lcut);
    dec(NULL, g.p, lcut, 0, 0, 1, false);
    CHECK(count_code("aicloud.tail.missing") == 1 && o.cksum == CS_CK_ABSENT,
          "tail missing, CRC absent");
    CHECK(P->frame(g.p + lcut, g.n - lcut, &len) == CS_FRAME_PDU && len == la, "then the next");
    /* a field frame with a wrong length but a good CRC, then a head */
    gb_reset(&g);
    ac_spec fl = field_spec(0xAA, 0xEE, 0x02, data8, 8);
    fl.len = 99;
    aicloud_put(&g, &fl);
    size_t lfl = g.n;
    aicloud_put(&g, &a);
    CHECK(P->frame(g.p, lfl, &len) == CS_FRAME_NEED, "alone: undecided");
    CHECK(P->frame(g.p, g.n, &len) == CS_FRAME_PDU && len == lfl,
          "field frame with a bad length ends at its tail once a head follows: %zu", len);
    dec(NULL, g.p, lfl, 0, 0, 1, false);
    CHECK(count_code("aicloud.len.mismatch") == 1 && o.cksum == CS_CK_GOOD, "length mismatch");
    /* no tail within the bound: not a frame */
    uint8_t *big = calloc(AICLOUD_MAX_WIRE + 10, 1);
    big[0] = 0x55;
    CHECK(P->frame(big, AICLOUD_MAX_WIRE + 10, &len) == CS_FRAME_SKIP && len == AICLOUD_MAX_WIRE,
          "bounded scan: skip %zu", len);
    CHECK(P->frame(big, 100, &len) == CS_FRAME_NEED, "under the bound: need more");
    free(big);
    /* a frame above 1400 bytes still frames, and is flagged */
    uint8_t *bigd = malloc(1500);
    memset(bigd, 0x41, 1500);
    ac_spec over = doc_spec(0xAA, 0xEE, 0x02, bigd, 1500);
    encode(&over);
    CHECK(P->frame(wire.p, wire.n, &len) == CS_FRAME_PDU && len == wire.n, "1530-byte frame");
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.frame.oversize") == 1 && o.cksum == CS_CK_GOOD, "oversize flagged");
    free(bigd);
    gb_free(&g);
    gb_free(&s);
}

/* ---- heuristic --------------------------------------------------------------------------- */

static void test_probe(void)
{
    ac_spec f = doc_spec(0xA0, 0x00, 0x02, (const uint8_t *)"\x12\x34\x56\x78\x9a\xbc\xde\xf0", 8);
    f.token = NULL;
    encode(&f);
    CHECK(P->probe(wire.p, wire.n, false), "a login is recognised");
    CHECK(P->probe(wire.p, wire.n, true), "and on UDP");
    CHECK(P->probe(wire.p, 12, false), "its first 12 bytes (the rest in the next segment)");
    CHECK(!P->probe(wire.p, 12, true), "but not as a whole datagram");
    CHECK(!P->probe(wire.p, 8, false), "8 bytes are too few");
    gbuf two = {0};
    gb_put(&two, wire.p, wire.n);
    gb_put(&two, wire.p, wire.n);
    CHECK(P->probe(two.p, two.n, true), "two frames in a datagram");
    two.p[wire.n + 3] = 0x11; /* the second frame's class */
    CHECK(!P->probe(two.p, two.n, false), "a bad second frame rejects the payload");
    gb_free(&two);
    ac_spec u = doc_spec(0xB0, 0x01, 0x02, NULL, 0);
    encode(&u);
    CHECK(!P->probe(wire.p, wire.n, false), "unknown class rejected");
    ac_spec st = doc_spec(0xA0, 0x01, 0x09, NULL, 0);
    encode(&st);
    CHECK(!P->probe(wire.p, wire.n, false), "status 9 rejected");
    ac_spec l = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    l.len = 40;
    encode(&l);
    CHECK(!P->probe(wire.p, wire.n, false), "wrong length rejected");
    static const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(!P->probe((const uint8_t *)http, strlen(http), false), "HTTP rejected");
    static const char *user = "USER anonymous\r\nUUUUUUUUUUUUUUUUUUUUUUUUUUU";
    CHECK(!P->probe((const uint8_t *)user, strlen(user), false), "text starting with U rejected");
    uint8_t tls[16] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03};
    CHECK(!P->probe(tls, sizeof tls, false), "TLS rejected");
}

/* ---- fields and token rules -------------------------------------------------------------------- */

static void test_fields(void)
{
    uint8_t pw[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    /* login: no token, the password */
    ac_spec f = doc_spec(0xA0, 0x00, 0x02, pw, 8);
    f.token = NULL;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.n_viols == 0 && !item(AF_TOKEN) && item_bytes(AF_PASSWORD, pw, 8), "login request");
    CHECK(!strcmp(o.info, "Login dev 0000ACCF23FED24A"), "info: %s", o.info);
    CHECK(!strcmp(item_str(AF_DEVICE_ID), "0000ACCF23FED24A") && o.n_facts == 1,
          "device ID as 16 hex digits");
    const cs_item *h = item(AF_HEAD);
    CHECK(h && (h->flags & CS_IF_DERIVED), "fields refer to the unescaped frame");
    CHECK(o.derived_name && !strcmp(o.derived_name, "Unescaped frame"), "data source name");
    /* a token in the login: flagged */
    f.token = (const uint8_t *)TOKEN;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.token.unexpected") == 1 && item_bytes(AF_PASSWORD, pw, 8),
          "token in a login flagged, the password still found");
    /* the login reply: header token and data token; or data only */
    f = doc_spec(0xA0, 0x00, 0x00, (const uint8_t *)TOKEN, 8);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(o.n_viols == 0 && item(AF_TOKEN) && item(AF_LOGIN_TOKEN), "login reply, both tokens");
    CHECK(!strcmp(o.info, "Login \u2192 success, token \"ZK8Q2DWM\""), "info: %s", o.info);
    f.token = NULL;
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(o.n_viols == 0 && !item(AF_TOKEN) && item_bytes(AF_LOGIN_TOKEN, (const uint8_t *)TOKEN, 8),
          "login reply with the token as data only (tolerated)");
    f.data = NULL;
    f.data_len = 0;
    f.token = (const uint8_t *)TOKEN;
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(o.n_viols == 0 && item(AF_TOKEN) && !item(AF_GENERIC_REPLY) && strstr(o.info, "ZK8Q2DWM"),
          "login reply with the header token only: %s", o.info);
    /* heartbeat without token: missing */
    f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    f.token = NULL;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.token.missing") == 1, "heartbeat without token");
    /* P2P request without token (ID starts with 00: a zero-length token
     * would fit, but the 8 bytes are the command's data) */
    f = doc_spec(0xA0, 0x55, 0x02, DEV, 8);
    f.token = NULL;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.token.missing") == 1 && !strcmp(item_str(AF_PEER_ID), "0000ACCF23FED24A"),
          "P2P request without a token: the target still decoded");
    /* P2P confirm reply: the peer's ID, token, IP and port */
    uint8_t peer[23] = {0, 0, 0xAC, 0xCF, 0x23, 0xFE, 0x0B, 0x1C, 8, 'Z', 'K', '8', 'Q',
                        '2', 'D', 'W', 'M', 203, 0, 113, 7, 0x17, 0x71};
    f = doc_spec(0xA0, 0x55, 0x00, peer, sizeof peer);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_PEER_IP) == 0xCB007107u && item_u(AF_PEER_PORT) == 6001,
          "P2P confirm: 203.0.113.7:6001");
    CHECK(!strcmp(o.info, "P2P request \u2192 0000ACCF23FE0B1C at 203.0.113.7:6001"), "info: %s",
          o.info);
    /* field dialect: the same entry without the token length byte */
    uint8_t peer22[22];
    memcpy(peer22, peer, 8);
    memcpy(peer22 + 8, peer + 9, 14);
    f = field_spec(0xA0, 0x55, 0x00, peer22, sizeof peer22);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_PEER_PORT) == 6001 && !item(AF_PEER_TOKEN_LEN),
          "field dialect entry: no token length byte");
    /* group devices: two entries */
    uint8_t group[46];
    memcpy(group, peer, 23);
    memcpy(group + 23, peer, 23);
    group[23 + 7] = 0x55;
    f = doc_spec(0xAA, 0x00, 0x00, group, sizeof group);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(o.n_viols == 0 && count_items(AF_PEER) == 2 && count_items(AF_PEER_IP) == 2,
          "two group entries");
    CHECK(!strcmp(o.info, "Group devices \u2192 2 devices"), "info: %s", o.info);
    /* read config: the heartbeat interval, ID + value */
    uint8_t rc[] = {0x0C, 0x00, 30};
    f = doc_spec(0xF0, 0xAA, 0x00, rc, 3);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_PARAM_ID) == 0x0C && item_u(AF_HEARTBEAT) == 30,
          "read config reply");
    CHECK(!strcmp(o.info, "Read config heartbeat interval \u2192 30 s"), "info: %s", o.info);
    /* version strings, three NUL-terminated */
    static const uint8_t ver[] = "\x01\x00HW1.0\0SW2.3.1\0BL1.1";
    f = doc_spec(0xF0, 0xAA, 0x00, ver, sizeof ver);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && !strcmp(item_str(AF_VERSION_SW), "SW2.3.1") &&
              !strcmp(item_str(AF_VERSION_BOOT), "BL1.1"),
          "versions: %s / %s", item_str(AF_VERSION_SW), item_str(AF_VERSION_BOOT));
    /* or one string with commas and quotes */
    static const uint8_t ver2[] = "\x01\x00\"HW1\",\"SW2\",\"BL3\"";
    f = doc_spec(0xF0, 0xAA, 0x00, ver2, sizeof ver2);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && !strcmp(item_str(AF_VERSION_HW), "HW1") &&
              !strcmp(item_str(AF_VERSION_BOOT), "BL3"),
          "comma versions: %s / %s", item_str(AF_VERSION_HW), item_str(AF_VERSION_BOOT));
    /* server, RTC, DNS */
    static const uint8_t srv[] = "\x05\x00\x29\x23\x01host.example\0";
    f = doc_spec(0xF0, 0xAA, 0x00, srv, sizeof srv - 1);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_SERVER_PORT) == 9001 && item_u(AF_SERVER_TRANSPORT) == 1 &&
              !strcmp(item_str(AF_SERVER_HOST), "host.example"),
          "server: %s", o.info);
    uint8_t rtc[] = {0x16, 0x00, 0xE8, 0x07, 5, 18, 8, 30, 0, 6};
    f = doc_spec(0xF0, 0xAA, 0x00, rtc, sizeof rtc);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_RTC_YEAR) == 2024 && item_u(AF_RTC_MINUTE) == 30 &&
              strstr(o.info, "2024-05-18 08:30:00"),
          "RTC: %s", o.info);
    uint8_t dns[] = {0x07, 0x00, 114, 114, 114, 114};
    f = doc_spec(0xF0, 0xAA, 0x00, dns, sizeof dns);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_DNS) == 0x72727272u, "DNS");
    /* write config */
    uint8_t wc[] = {0x0C, 0x00, 20};
    f = doc_spec(0xF0, 0xAB, 0x02, wc, 3);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 1, false);
    CHECK(o.n_viols == 0 && item_u(AF_HEARTBEAT) == 20 &&
              !strcmp(o.info, "Write config heartbeat interval \u2190 20 s"),
          "write config: %s", o.info);
    /* a generic reply */
    f = doc_spec(0xF0, 0xAB, 0x00, NULL, 0);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.n_viols == 0 && item_u(AF_GENERIC_REPLY) == 1 &&
              !strcmp(o.info, "Write config \u2192 success (generic reply)"),
          "generic reply: %s", o.info);
    /* upgrade, upgrade frame, status event (GBK) */
    static const uint8_t up[] = "\xc9\xfd\xbc\xb6v2.bin\0\x5a";
    f = doc_spec(0xF0, 0x56, 0x02, up, sizeof up - 1);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 1, false);
    CHECK(o.n_viols == 0 && !strcmp(item_str(AF_FILE_NAME), "\\xc9\\xfd\\xbc\\xb6v2.bin") &&
              item_u(AF_FILE_CHECKSUM) == 0x5A,
          "upgrade: %s", item_str(AF_FILE_NAME));
    static const uint8_t uf[] = "fw.bin\0\x03\x00\x00\x02";
    f = doc_spec(0xF0, 0x57, 0x02, uf, sizeof uf - 1);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.n_viols == 0 && item_u(AF_FRAME_NO) == 3 && item_u(AF_FRAME_SIZE) == 512 &&
              !strcmp(o.info, "Upgrade frame fw.bin #3 (512 bytes)"),
          "upgrade frame: %s", o.info);
    static const uint8_t ev[] = "\x20\xb9\xa4\xd7\xf7";
    f = doc_spec(0xF0, 0xF0, 0x02, ev, sizeof ev);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.n_viols == 0 && item_u(AF_EVENT_CODE) == 0x20 &&
              !strcmp(item_str(AF_EVENT_TEXT), "\\xb9\\xa4\\xd7\\xf7"),
          "status event: %s", o.info);
    /* add WiFi terminal, P2P confirm, P2P data, via platform */
    uint8_t wifi[16] = {0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
    f = doc_spec(0xEF, 0x06, 0x02, wifi, 16);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.n_viols == 0 && !strcmp(item_str(AF_WIFI_ID), "0000000000000009"), "add WiFi");
    f = doc_spec(0xA0, 0xEE, 0x02, DEV, 8);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, true);
    CHECK(o.n_viols == 0 && o.dir == CS_DIR_PEER && !strcmp(item_str(AF_SENDER_ID), "0000ACCF23FED24A"),
          "P2P confirm over UDP: %s", o.info);
    uint8_t pd[12] = {0, 0, 0xAC, 0xCF, 0x23, 0xFE, 0xD2, 0x4A, 'O', 'N', 0x55, 0x54};
    f = doc_spec(0xAA, 0x66, 0x02, pd, 12);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, true);
    CHECK(o.n_viols == 0 && item_bytes(AF_PAYLOAD, pd + 8, 4) &&
              !strcmp(o.info, "P2P data, dev 0000ACCF23FED24A, 4 bytes"),
          "P2P data: %s", o.info);
    /* unknown class, unknown command, unknown status, unknown parameter */
    f = doc_spec(0xB0, 0x01, 0x02, NULL, 0);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.class.unknown") == 1 && o.cksum == CS_CK_GOOD, "unknown class");
    f = doc_spec(0xA0, 0x77, 0x02, NULL, 0);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.cmd.unknown") == 1, "unknown command");
    f = doc_spec(0xA0, 0x01, 0x07, NULL, 0);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 2, false);
    CHECK(count_code("aicloud.status.unknown") == 1, "unknown status");
    uint8_t pu[] = {0x99, 0x00};
    f = doc_spec(0xF0, 0xAA, 0x02, pu, 2);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 1, false);
    CHECK(count_code("aicloud.param.unknown") == 1, "unknown parameter");
    /* data too short, trailing, unterminated string */
    f = doc_spec(0xA0, 0x55, 0x02, DEV, 5);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.data.short") == 1, "short P2P request");
    uint8_t tr[] = {0x0C, 0x00, 0xFF, 0xFF};
    f = doc_spec(0xF0, 0xAA, 0x02, tr, 4);
    encode(&f);
    dec(NULL, wire.p, wire.n, 1, 0, 1, false);
    CHECK(count_code("aicloud.data.trailing") == 1 && item(AF_TRAILING), "trailing bytes");
    static const uint8_t ev2[] = "\x20\xb9\xa4";
    f = doc_spec(0xF0, 0xF0, 0x02, ev2, 3);
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.string.unterminated") == 1, "unterminated string");
}

/* ---- frame-level violations ---------------------------------------------------------------- */

static void test_frame_violations(void)
{
    uint8_t data[] = {0x01, 0x54, 0x07, 0x02};
    /* a bad escape: 54 07 on the wire, at its wire offset */
    ac_spec f = doc_spec(0xAA, 0xEE, 0x02, data, 4);
    f.raw_byte = 0x54;
    encode(&f);
    size_t at = 0;
    for (size_t i = 1; i + 1 < wire.n && !at; i++)
        if (wire.p[i] == 0x54 && wire.p[i + 1] == 0x07)
            at = i;
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(at && count_code("aicloud.escape.bad") == 1 && o.n_viols == 1, "bad escape");
    CHECK(o.n_viols && o.viols[0].offset == at && o.viols[0].length == 2 &&
              !(o.viols[0].flags & CS_VF_DERIVED),
          "at its wire offset %zu", at);
    CHECK(o.cksum == CS_CK_GOOD && item_bytes(AF_PAYLOAD, data, 4),
          "the 0x54 kept: data and CRC as sent");
    /* field dialect: A9 07 */
    uint8_t fdata[] = {0xA9, 0x07};
    f = field_spec(0xAA, 0xEE, 0x02, fdata, 2);
    f.raw_byte = 0xA9;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.escape.bad") == 1 && o.cksum == CS_CK_GOOD, "field: A9 07");
    /* an escape byte right before the tail */
    uint8_t t[40];
    f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    encode(&f);
    memcpy(t, wire.p, wire.n);
    t[wire.n - 1] = 0x54;
    t[wire.n] = 0x55;
    dec(NULL, t, wire.n + 1, 0, 0, 1, false);
    CHECK(count_code("aicloud.escape.bad") == 1, "escape byte before the tail");
    /* length mismatch; on-wire length accepted with a note */
    uint8_t e[] = {0x55, 0x54, 0x55, 0x00};
    f = doc_spec(0xAA, 0xEE, 0x02, e, 4);
    f.len = 77;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.len.mismatch") == 1 && o.n_viols == 1, "length mismatch");
    /* the on-wire length is a fixed point the CRC may miss: vary a byte */
    f.len = -1;
    for (e[3] = 0; e[3] < 0xFF; e[3]++) {
        encode(&f);
        if (wire.p[1] == wire.n)
            break;
    }
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(count_code("aicloud.len.escaped") == 1 && o.n_viols == 1 && item_u(AF_LEN) == wire.n,
          "on-wire length: a note");
    size_t len;
    CHECK(P->frame(wire.p, wire.n, &len) == CS_FRAME_PDU && len == wire.n, "and it frames");
    /* head missing, truncated */
    uint8_t bad[] = {0x56, 0x01};
    dec(NULL, bad, 2, 0, 0, 1, false);
    CHECK(count_code("aicloud.head.missing") == 1, "head missing");
    uint8_t tiny[] = {0x55, 0x0A, 0x00, 0xA0, 0x01, 0x55};
    dec(NULL, tiny, sizeof tiny, 0, 0, 1, false);
    CHECK(count_code("aicloud.frame.truncated") == 1, "truncated");
    /* a header and the tail, but no room for the CRC */
    ac_spec hb = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    hb.token = NULL;
    encode(&hb);
    memcpy(t, wire.p, 18);
    t[18] = 0x55;
    dec(NULL, t, 19, 0, 0, 1, false);
    CHECK(count_code("aicloud.frame.truncated") == 1 && o.cksum == CS_CK_ABSENT,
          "no room for the CRC");
    /* forced dialect: a documented frame read as the field dialect has
     * no tail */
    f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    encode(&f);
    opts[AO_DIALECT] = AICLOUD_DIALECT_FIELD;
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(item_u(AF_DIALECT) == AICLOUD_DIALECT_FIELD && count_code("aicloud.tail.missing") == 1,
          "forced field dialect");
    opts[AO_DIALECT] = AICLOUD_DIALECT_DOC;
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(item_u(AF_DIALECT) == AICLOUD_DIALECT_DOC && o.n_viols == 0, "forced documented");
    opts[AO_DIALECT] = AICLOUD_DIALECT_AUTO;
    /* a field frame has its 8-byte token even in the login */
    f = field_spec(0xA0, 0x00, 0x02, (const uint8_t *)"12345678", 8);
    f.token = NULL;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 1, false);
    CHECK(o.n_viols == 0 && item(AF_TOKEN) && item(AF_PASSWORD), "field login: zero token");
}

/* ---- sessions ------------------------------------------------------------------------------- */

static void *new_sess(bool start_seen)
{
    void *s = calloc(1, P->sess_size);
    P->sess_init(s, opts, start_seen);
    return s;
}

static void free_sess(void *s)
{
    P->sess_fini(s);
    free(s);
}

static void test_sessions(void)
{
    void *s = new_sess(true);
    /* request and reply pair on (class, cmd, seq) */
    ac_spec f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    f.seq = 10;
    encode(&f);
    dec(s, wire.p, wire.n, 0, 1000, 1, false);
    CHECK(o.pending, "heartbeat is a request");
    f.seq = 11;
    encode(&f);
    dec(s, wire.p, wire.n, 0, 1100, 2, false);
    f.status = 0;
    encode(&f); /* the reply to 11 */
    dec(s, wire.p, wire.n, 1, 1150, 3, false);
    CHECK(o.req_frame == 2 && item_u(AF_REQUEST_IN) == 2, "reply to seq 11 -> frame 2 (%u)",
          o.req_frame);
    const cs_item *rt = item(AF_RESPONSE_TIME);
    CHECK(rt && rt->v.i == 50000000, "response time 50 ms");
    f.seq = 12;
    encode(&f);
    dec(s, wire.p, wire.n, 1, 1200, 4, false);
    CHECK(count_code("aicloud.response.unsolicited") == 1, "reply to nothing");
    /* a failure (01) and a not-supported (03) reply are replies too */
    for (uint8_t st = 1; st <= 3; st += 2) {
        f = doc_spec(0xAA, 0xEE, 0x02, (const uint8_t *)"x", 1);
        f.seq = (uint16_t)(20 + st);
        encode(&f);
        dec(s, wire.p, wire.n, 0, 1250, 10u + st, false);
        f.status = st;
        f.data = NULL;
        f.data_len = 0;
        encode(&f);
        dec(s, wire.p, wire.n, 1, 1260, 20u + st, false);
        CHECK(!o.pending && o.req_frame == 10u + st && item_u(AF_GENERIC_REPLY) == 1,
              "status %u: a generic reply to frame %u (%u)", st, 10u + st, o.req_frame);
    }
    f = doc_spec(0xA0, 0x01, 0x00, NULL, 0);
    /* a reply from the requester's own side does not answer it */
    f.seq = 10;
    encode(&f);
    dec(s, wire.p, wire.n, 0, 1300, 5, false);
    CHECK(count_code("aicloud.response.unsolicited") == 1, "own side");
    cs_out end;
    cs_out_init(&end, CS_WANT_ITEMS);
    P->sess_end(s, &end);
    CHECK(end.n_viols == 1 && end.viols[0].frame == 1, "frame 1 unanswered at the end");
    cs_out_free(&end);
    free_sess(s);

    /* the heartbeat interval learned from parameter 0x000C */
    s = new_sess(true);
    uint8_t wc[] = {0x0C, 0x00, 20};
    f = doc_spec(0xF0, 0xAB, 0x02, wc, 3);
    encode(&f);
    dec(s, wire.p, wire.n, 1, 0, 1, false);
    f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    encode(&f);
    dec(s, wire.p, wire.n, 0, 1000, 2, false);
    CHECK(item_u(AF_HB_EXPECTED) == 20, "expected 20 s");
    dec(s, wire.p, wire.n, 0, 21000, 3, false);
    CHECK(count_code("aicloud.heartbeat.late") == 0, "20 s: on time");
    dec(s, wire.p, wire.n, 0, 52001, 4, false);
    CHECK(count_code("aicloud.heartbeat.late") == 1, "31 s: late");
    free_sess(s);

    /* a read reply with the value alone: decoded as the request's
     * parameter, and the interval learned from it */
    s = new_sess(true);
    uint8_t rq[] = {0x0C, 0x00};
    f = doc_spec(0xF0, 0xAA, 0x02, rq, 2);
    f.seq = 0x55;
    encode(&f);
    dec(s, wire.p, wire.n, 1, 0, 1, false);
    uint8_t v[] = {60};
    f = doc_spec(0xF0, 0xAA, 0x00, v, 1);
    f.seq = 0x55;
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 10, 2, false);
    CHECK(!item(AF_HEARTBEAT) && item(AF_PARAM_VALUE) && !strcmp(o.info, "Read config \u2192 1-byte value"),
          "stateless: the value only (%s)", o.info);
    dec(s, wire.p, wire.n, 0, 10, 2, false);
    CHECK(item_u(AF_HEARTBEAT) == 60 && item_u(AF_PARAM_ID) == 0x0C, "with the session: 60 s");
    const cs_item *hb = item(AF_HEARTBEAT);
    CHECK(hb && o.items + o.n_items_stateless <= hb, "decoded after the stateless part");
    f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    encode(&f);
    dec(s, wire.p, wire.n, 0, 1000, 3, false);
    CHECK(item_u(AF_HB_EXPECTED) == 60, "expected 60 s");
    free_sess(s);

    /* the learned CRC variant decides between matching variants */
    s = new_sess(true);
    f = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    encode(&f);
    dec(s, wire.p, wire.n, 0, 0, 1, false);
    CHECK(item_u(AF_CRC_VARIANT) == CS_CRC16_MODBUS, "modbus learned");
    uint8_t d[11] = "T=23.5C;";
    bool found = false;
    for (uint32_t x = 0; x < (1u << 24) && !found; x++) {
        d[8] = (uint8_t)(x >> 16);
        d[9] = (uint8_t)(x >> 8);
        d[10] = (uint8_t)x;
        f = doc_spec(0xAA, 0xEE, 0x02, d, 11);
        gb_reset(&logical);
        aicloud_logical(&logical, &f);
        uint16_t m = cs_crc16(CS_CRC16_MODBUS, logical.p, logical.n - 3);
        found = cs_crc16(CS_CRC16_AICLOUD, logical.p, logical.n - 3) == m;
    }
    CHECK(found, "a frame whose CRC modbus and the field variant both give");
    encode(&f);
    dec(NULL, wire.p, wire.n, 0, 0, 2, false);
    CHECK(o.cksum == CS_CK_GOOD && !item(AF_CRC_VARIANT) &&
              !strcmp(item_str(AF_CRC_CANDIDATES), "aicloud-field, modbus"),
          "stateless: both candidates (%s)", item_str(AF_CRC_CANDIDATES));
    dec(s, wire.p, wire.n, 0, 0, 2, false);
    CHECK(item_u(AF_CRC_VARIANT) == CS_CRC16_MODBUS, "the session's variant wins: %s",
          cs_vs_name(cs_crc16_variant_vals, (uint32_t)item_u(AF_CRC_VARIANT), "?"));
    free_sess(s);

    /* P2P over UDP: both sides send requests; replies pair across */
    s = new_sess(false);
    f = doc_spec(0xA0, 0xEE, 0x02, DEV, 8);
    f.seq = 1;
    encode(&f);
    dec(s, wire.p, wire.n, 0, 0, 1, true);
    dec(s, wire.p, wire.n, 1, 10, 2, true); /* B's own request, also seq 1 */
    f.status = 0;
    encode(&f);
    dec(s, wire.p, wire.n, 1, 20, 3, true);
    CHECK(o.req_frame == 1, "B confirms A's request (frame %u)", o.req_frame);
    dec(s, wire.p, wire.n, 0, 30, 4, true);
    CHECK(o.req_frame == 2, "A confirms B's request (frame %u)", o.req_frame);
    free_sess(s);
}

/* ---- without items: the same verdicts ---------------------------------------------------------- */

static void test_no_items(void)
{
    cs_out lean;
    cs_out_init(&lean, 0);
    ac_spec f = doc_spec(0xF0, 0xAA, 0x00, (const uint8_t *)"\x01\x00HW\0SW\0BL\0", 11);
    encode(&f);
    cs_ctx ctx = {0};
    P->decode(NULL, opts, wire.p, wire.n, &ctx, &lean);
    CHECK(lean.n_items == 0 && lean.cksum == CS_CK_GOOD && lean.n_viols == 0, "lean decode");
    cs_out_free(&lean);
}

/* ---- robustness: damaged input never breaks framing or decoding -------------------------- */

static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (uint32_t)((rnd_state * 2685821657736338717ull) >> 32);
}

static void test_robustness(void)
{
    static const uint8_t pick[] = {0x55, 0x54, 0xAA, 0xA9, 0x01, 0x02, 0x00, 0xFF};
    uint8_t buf[600], data[200];
    bool framing_ok = true;
    void *s = new_sess(true);
    cs_out lean;
    cs_out_init(&lean, 0);
    for (int round = 0; round < 20000; round++) {
        /* a valid frame of either dialect, then damage */
        size_t dn = rnd() % sizeof data;
        for (size_t i = 0; i < dn; i++)
            data[i] = rnd() % 4 ? pick[rnd() % sizeof pick] : (uint8_t)rnd();
        static const uint8_t classes[] = {0xA0, 0xAA, 0xF0, 0xEF, 0x12};
        ac_spec f = doc_spec(classes[rnd() % 5], (uint8_t)rnd(), (uint8_t)(rnd() % 5), data, dn);
        if (rnd() % 2)
            f.dialect = AICLOUD_DIALECT_FIELD;
        if (rnd() % 4 == 0)
            f.token = NULL;
        f.crc = (int)(1 + rnd() % 7);
        encode(&f);
        size_t n = wire.n < sizeof buf ? wire.n : sizeof buf;
        memcpy(buf, wire.p, n);
        int damage = (int)(rnd() % 6);
        for (int k = 0; k < damage; k++)
            buf[rnd() % n] = rnd() % 2 ? pick[rnd() % sizeof pick] : (uint8_t)rnd();
        if (rnd() % 3 == 0)
            n = rnd() % (n + 1);
        /* framing: a sane answer, and the same when more bytes follow */
        size_t len = 0;
        if (n) {
            cs_frame_kind k = P->frame(buf, n, &len);
            if ((k == CS_FRAME_SKIP && (len == 0 || len > n)) || (k == CS_FRAME_NEED && len <= n) ||
                (k == CS_FRAME_PDU && (len == 0 || len > n)))
                framing_ok = false;
            P->probe(buf, n, rnd() % 2);
        }
        dec(round % 2 ? s : NULL, buf, n, (uint8_t)(rnd() % 2), round, (uint32_t)round + 1,
            rnd() % 2);
        cs_ctx ctx = {0};
        P->decode(NULL, opts, buf, n, &ctx, &lean);
        if (o.cksum != lean.cksum || o.n_viols_stateless != lean.n_viols)
            framing_ok = false;
    }
    CHECK(framing_ok, "damaged frames: sane framing, and the same verdicts without items");
    cs_out_free(&lean);
    free_sess(s);
}

/* ---- framing against a reference ------------------------------------------------------------ */

/* The framer as it was first written: both dialects unescaped byte by
 * byte while looking for the tail.  Slow and plain; the library's framer
 * skips to delimiters and escape bytes and unescapes only where a
 * decision needs it, and must give the same answer for every input. */
typedef struct ref_unesc {
    uint8_t *out;
    uint32_t n;
    uint8_t pend;
    bool field;
} ref_unesc;

static void ref_feed(ref_unesc *u, uint8_t c)
{
    if (u->pend) {
        uint8_t e = u->pend;
        u->pend = 0;
        if (c == 0x01 || c == 0x02) {
            u->out[u->n++] = c == 0x02 ? e : e == AICLOUD_ESC ? 0x55 : 0xAA;
            return;
        }
        u->out[u->n++] = e;
    }
    if (c == AICLOUD_ESC || (u->field && c == AICLOUD_ESC_FIELD))
        u->pend = c;
    else
        u->out[u->n++] = c;
}

static uint32_t ref_peek(ref_unesc *u)
{
    if (!u->pend)
        return u->n;
    u->out[u->n] = u->pend;
    return u->n + 1;
}

static bool ref_class(uint8_t c) { return c == 0xA0 || c == 0xAA || c == 0xF0 || c == 0xEF; }

static bool ref_crc_ok(const uint8_t *u, uint32_t m)
{
    if (m < 20)
        return false;
    for (int v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++)
        if (cs_crc16((cs_crc16_variant)v, u, m - 2) == (u[m - 2] | u[m - 1] << 8))
            return true;
    return false;
}

static bool ref_field_accept(const uint8_t *u, uint32_t m, uint32_t wire)
{
    if (m < 20)
        return false;
    uint16_t len = (uint16_t)(u[1] | u[2] << 8);
    if (len == m + 1)
        return ref_class(u[3]) || ref_crc_ok(u, m);
    return len == wire && ref_crc_ok(u, m);
}

typedef struct ref_weak {
    uint32_t k, m;
} ref_weak;

static cs_frame_kind ref_delim(size_t j, ref_unesc *ud, const ref_weak *weak, unsigned n_weak,
                               const uint8_t *bf, size_t *len)
{
    if (j) {
        uint32_t m = ref_peek(ud);
        const uint8_t *u = ud->out;
        if (m >= 20) {
            uint16_t l = (uint16_t)(u[1] | u[2] << 8);
            if (((l == m + 1 || l == j + 1) && ref_class(u[3])) || ref_crc_ok(u, m)) {
                *len = j + 1;
                return CS_FRAME_PDU;
            }
        }
        for (unsigned i = 0; i < n_weak; i++)
            if (ref_crc_ok(bf, weak[i].m)) {
                *len = weak[i].k + 1;
                return CS_FRAME_PDU;
            }
        if (m >= 18 && ref_class(u[3])) {
            if ((uint16_t)(u[1] | u[2] << 8) > m + 1) {
                *len = j;
                return CS_FRAME_PDU;
            }
            if (m >= 20) {
                *len = j + 1;
                return CS_FRAME_PDU;
            }
        }
        *len = j;
        return CS_FRAME_SKIP;
    }
    for (unsigned i = 0; i < n_weak; i++)
        if (ref_crc_ok(bf, weak[i].m)) {
            *len = weak[i].k + 1;
            return CS_FRAME_PDU;
        }
    *len = AICLOUD_MAX_WIRE;
    return CS_FRAME_SKIP;
}

static cs_frame_kind ref_frame(const uint8_t *b, size_t avail, size_t *len)
{
    if (!avail) {
        *len = 1;
        return CS_FRAME_NEED;
    }
    if (b[0] != AICLOUD_HEAD) {
        const uint8_t *h = memchr(b + 1, AICLOUD_HEAD, avail - 1);
        *len = h ? (size_t)(h - b) : avail;
        return CS_FRAME_SKIP;
    }
    static uint8_t bd[AICLOUD_MAX_WIRE + 1], bf[AICLOUD_MAX_WIRE + 1];
    ref_unesc ud = {bd, 1, 0, false}, uf = {bf, 1, 0, true};
    bd[0] = bf[0] = AICLOUD_HEAD;
    ref_weak weak[4];
    unsigned n_weak = 0;
    size_t lim = avail < AICLOUD_MAX_WIRE ? avail : AICLOUD_MAX_WIRE;
    for (size_t i = 1; i < lim; i++) {
        uint8_t c = b[i];
        if (c == AICLOUD_HEAD)
            return ref_delim(i, &ud, weak, n_weak, bf, len);
        if (c == AICLOUD_TAIL_FIELD) {
            uint32_t m = ref_peek(&uf);
            if (ref_field_accept(bf, m, (uint32_t)i + 1)) {
                *len = i + 1;
                return CS_FRAME_PDU;
            }
            if (n_weak < 4 && m >= 20)
                weak[n_weak++] = (ref_weak){(uint32_t)i, m};
        }
        ref_feed(&ud, c);
        ref_feed(&uf, c);
    }
    if (lim == AICLOUD_MAX_WIRE)
        return ref_delim(0, &ud, weak, n_weak, bf, len);
    *len = avail + 1;
    return CS_FRAME_NEED;
}

/* One frame for the framing tests: either dialect, any CRC variant, often
 * damaged, cut short or followed by junk; now and then with the length
 * counting the wire bytes, or with the CRC's high byte an escape byte
 * left unescaped right before the tail. */
static void put_test_frame(gbuf *s, int round)
{
    static const uint8_t pick[] = {0x55, 0x54, 0xAA, 0xA9, 0x01, 0x02, 0x00, 0xFF};
    static const uint8_t classes[] = {0xA0, 0xAA, 0xF0, 0xEF, 0x12};
    uint8_t data[300];
    size_t dn = rnd() % 3 == 0 ? rnd() % 3 : rnd() % (round % 10 == 0 ? sizeof data : 40);
    for (size_t i = 0; i < dn; i++)
        data[i] = rnd() % 3 ? pick[rnd() % sizeof pick] : (uint8_t)rnd();
    ac_spec f = doc_spec(classes[rnd() % 5], (uint8_t)rnd(), (uint8_t)(rnd() % 5), data, dn);
    bool field = rnd() % 2;
    if (field)
        f.dialect = AICLOUD_DIALECT_FIELD;
    if (rnd() % 4 == 0)
        f.token = NULL;
    int mode = (int)(rnd() % 6);
    if (mode == 0)
        f.len = -1; /* the on-wire size */
    else if (mode == 1)
        f.len = (int)(rnd() % 2 ? rnd() % 0x10000 : logical.n + rnd() % 3);
    f.crc = (int)(1 + rnd() % 7);
    encode(&f);
    if (mode == 2 && dn >= 2) { /* the CRC's high byte an escape byte, written raw */
        uint8_t esc = field && rnd() % 2 ? AICLOUD_ESC_FIELD : AICLOUD_ESC;
        for (int t = 0; t < 4096 && logical.p[logical.n - 2] != esc; t++) {
            data[0] = (uint8_t)t;
            data[1] = (uint8_t)(t >> 8);
            encode(&f);
        }
        if (wire.n >= 3 && wire.p[wire.n - 3] == esc && wire.p[wire.n - 2] == 0x02) {
            wire.p[wire.n - 2] = wire.p[wire.n - 1];
            wire.n--;
        }
    }
    size_t at = s->n;
    gb_put(s, wire.p, wire.n);
    int damage = mode != 2 && rnd() % 2 ? (int)(rnd() % 4) : 0;
    for (int d = 0; d < damage && s->n > at; d++)
        s->p[at + rnd() % (s->n - at)] = rnd() % 2 ? pick[rnd() % sizeof pick] : (uint8_t)rnd();
    if (rnd() % 6 == 0 && s->n > at + 1)
        s->n -= rnd() % (s->n - at); /* cut short */
    if (rnd() % 4 == 0)
        for (int g = (int)(rnd() % 5); g > 0; g--)
            gb_u8(s, rnd() % 2 ? pick[rnd() % sizeof pick] : (uint8_t)rnd());
}

/* Streams of such frames, cut anywhere: the framer's verdict at every
 * offset and for every amount of data is the reference's, and once it
 * decides, more bytes do not change its answer. */
static void test_framing_reference(void)
{
    gbuf s = {0};
    unsigned diff = 0, moved = 0, checked = 0, pdus = 0;
    for (int round = 0; round < 600; round++) {
        gb_reset(&s);
        for (int k = 1 + (int)(rnd() % 6); k > 0; k--)
            put_test_frame(&s, round);
        if (round % 50 == 0) /* now and then past the scan bound */
            for (int g = 0; g < AICLOUD_MAX_WIRE + 100; g++)
                gb_u8(&s, round % 100 ? 0x41 : (uint8_t)rnd());
        for (size_t off = 0; off < s.n; off++) {
            size_t first = 0;
            cs_frame_kind first_k = CS_FRAME_NEED;
            for (size_t n = 1; off + n <= s.n; n++) {
                size_t l1 = 0, l2 = 0;
                cs_frame_kind k1 = P->frame(s.p + off, n, &l1);
                cs_frame_kind k2 = ref_frame(s.p + off, n, &l2);
                checked++;
                pdus += k1 == CS_FRAME_PDU;
                if (k1 != k2 || l1 != l2) {
                    if (!diff)
                        fprintf(stderr, "round %d offset %zu avail %zu: %d/%zu, reference %d/%zu\n",
                                round, off, n, k1, l1, k2, l2);
                    diff++;
                }
                /* decided: a PDU, or a skip short of the end (a skip of all
                 * that is there grows with the data) */
                if (first_k == CS_FRAME_NEED &&
                    (k1 == CS_FRAME_PDU || (k1 == CS_FRAME_SKIP && l1 < n))) {
                    first_k = k1;
                    first = l1;
                } else if (first_k != CS_FRAME_NEED && (k1 != first_k || l1 != first)) {
                    moved++;
                }
                if (n > 600 && n < AICLOUD_MAX_WIRE - 10)
                    n += 37; /* long runs: sample the lengths */
            }
            if (off > 300)
                off += 13;
        }
    }
    CHECK(checked > 100000 && pdus > 10000 && diff == 0,
          "%u of %u framing answers differ from the reference (%u PDUs)", diff, checked, pdus);
    CHECK(moved == 0, "%u answers changed when more bytes followed", moved);

    /* the smallest remembered field tail: 20 unescaped bytes (no token, no
     * data), an unknown class and a wrong length, so that only its CRC
     * tells, once the next head is there */
    ac_spec f = doc_spec(0x12, 0x01, 0x02, NULL, 0);
    f.token = NULL;
    f.len = 99;
    bool clean = false;
    for (f.seq = 0; f.seq < 1000 && !clean; f.seq++) {
        encode(&f);
        clean = wire.n == 21;
        for (size_t i = 0; i + 1 < wire.n; i++)
            clean = clean && wire.p[i] != 0xAA && wire.p[i] != 0xA9;
    }
    wire.p[wire.n - 1] = AICLOUD_TAIL_FIELD;
    gb_reset(&s);
    gb_put(&s, wire.p, wire.n);
    ac_spec next = doc_spec(0xA0, 0x01, 0x02, NULL, 0);
    encode(&next);
    gb_put(&s, wire.p, wire.n);
    size_t len = 0;
    CHECK(clean && P->frame(s.p, 21, &len) == CS_FRAME_NEED, "a 20-byte field frame alone: undecided");
    CHECK(P->frame(s.p, s.n, &len) == CS_FRAME_PDU && len == 21,
          "then a head: it ends at its tail by its CRC (%zu)", len);
    gb_free(&s);
}

/* want parity on the field dialect's sample too (session and faults are
 * run by wp_test_samples). */
static void test_want_parity_field(void)
{
    wp_state w;
    wp_init(&w, P, opts);
    wp_run_pcap(&w, CS_SAMPLES_DIR "/aicloud-field.pcap", true);
    CHECK(w.pdus >= 10 && w.failures == 0, "aicloud-field.pcap: %u PDUs, %u differences", w.pdus,
          w.failures);
    printf("want parity, aicloud-field.pcap: %u PDUs, %u decodes x %d wants, %u violations compared\n",
           w.pdus, w.decodes, WP_N, w.violations);
    wp_free(&w);
}

int main(void)
{
    cs_opts_default(P, opts);
    cs_out_init(&o, CS_WANT_ITEMS | CS_WANT_INFO);
    test_crc_variants();
    test_public_example();
    test_escaping();
    test_framing();
    test_probe();
    test_fields();
    test_frame_violations();
    test_sessions();
    test_no_items();
    test_robustness();
    test_framing_reference();
    cs_opts_default(P, opts);
    wp_test_samples(P, opts, CS_SAMPLES_DIR, 10);
    test_want_parity_field();
    cs_out_free(&o);
    gb_free(&wire);
    gb_free(&logical);
    return CHECK_DONE();
}

/*
 * test_depgate - the dEpGate "EC" definition through the library
 * interface: framing and resynchronisation, the heuristic, field values,
 * every violation rule, the layout rule, directions and the timing rules.
 */
#include "check.h"
#include "want_parity.h"

#include "chargeproto.h"
#include "depgate.h"

#include <stdlib.h>
#include <string.h>

static const cs_proto *P = &depgate_proto;
static uint32_t opts[CS_MAX_OPTS];
static cs_out o;

/* ---- building PDUs ------------------------------------------------------ */

typedef struct buf {
    uint8_t p[2048];
    size_t n;
} buf;

static void u8(buf *b, uint8_t v) { b->p[b->n++] = v; }
static void u16(buf *b, uint16_t v)
{
    u8(b, (uint8_t)(v >> 8));
    u8(b, (uint8_t)v);
}
static void u32(buf *b, uint32_t v)
{
    u16(b, (uint16_t)(v >> 16));
    u16(b, (uint16_t)v);
}
static void bytes(buf *b, const void *s, size_t n)
{
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
/* u16 length + text; fixed > 0: padded with NULs to that size */
static void str(buf *b, const char *s, size_t fixed)
{
    size_t n = strlen(s);
    u16(b, (uint16_t)n);
    bytes(b, s, n);
    for (size_t i = n; i < fixed; i++)
        u8(b, 0);
}

/* A PDU around a body. */
static size_t pdu(uint8_t *out, uint16_t cmd, const buf *body)
{
    size_t n = body ? body->n : 0;
    out[0] = 0x45;
    out[1] = 0x43;
    out[2] = (uint8_t)((n + 2) >> 8);
    out[3] = (uint8_t)(n + 2);
    out[4] = (uint8_t)(cmd >> 8);
    out[5] = (uint8_t)cmd;
    if (n)
        memcpy(out + 6, body->p, n);
    return n + 6;
}

/* Real-time data head; the points follow. */
static void rt_head(buf *b, const char *pile, size_t fixed, uint8_t gun, uint8_t type,
                    uint16_t count)
{
    b->n = 0;
    u32(b, 1000);
    str(b, pile, fixed);
    u8(b, gun);
    u8(b, type);
    u16(b, count);
}

static void point(buf *b, uint16_t addr, uint8_t type, uint32_t v)
{
    u16(b, addr);
    u8(b, type);
    if (type == 3)
        u16(b, (uint16_t)v);
    else if (type == 4)
        u32(b, v);
    else
        u8(b, (uint8_t)v);
}

static void rec(buf *b, const char *pile, size_t pf, const char *serial, size_t sf, uint32_t start,
                uint32_t end, uint32_t energy, uint32_t amount, uint32_t fee)
{
    b->n = 0;
    u32(b, 1000);
    str(b, pile, pf);
    u8(b, 1);
    str(b, serial, sf);
    u32(b, start);
    u32(b, end);
    u32(b, energy);
    u32(b, amount);
    u32(b, fee);
}

/* ---- inspecting the output ----------------------------------------------- */

static int count_code(const char *code)
{
    int c = 0;
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (!strcmp(P->violations[o.viols[i].code].code, code))
            c++;
    return c;
}

static const cs_item *item_n(int field, int nth)
{
    for (uint32_t i = 0; i < o.n_items; i++)
        if (o.items[i].field == field && nth-- == 0)
            return &o.items[i];
    return NULL;
}
static const cs_item *item(int field) { return item_n(field, 0); }

static int n_items(int field)
{
    int c = 0;
    for (uint32_t i = 0; i < o.n_items; i++)
        c += o.items[i].field == field;
    return c;
}

static const char *text(const cs_item *it) { return it ? cs_str(&o, it->str) : "(missing)"; }

static void dec_ctx(void *sess, const uint8_t *b, size_t n, cs_dir transport, uint8_t side,
                    int64_t t_ms, uint32_t frame_no)
{
    cs_ctx ctx = {0};
    ctx.frame = frame_no;
    ctx.ts_ns = t_ms * 1000000LL;
    ctx.transport_dir = (uint8_t)transport;
    ctx.side = side;
    ctx.src_port = side ? 8003 : 52000;
    ctx.dst_port = side ? 52000 : 8003;
    ctx.tag = frame_no;
    P->decode(sess, opts, b, n, &ctx, &o);
}

/* stateless, from the gateway */
static void dec(const uint8_t *b, size_t n) { dec_ctx(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1); }

/* ---- framing ---------------------------------------------------------------- */

static void test_framing(void)
{
    uint8_t b[256], g[256];
    size_t len, n = pdu(b, 101, NULL);
    CHECK(n == 6 && !memcmp(b, "EC\x00\x02\x00\x65", 6), "heartbeat is 45 43 00 02 00 65");
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == 6, "heartbeat frames as 6 bytes");
    CHECK(P->frame(b, 3, &len) == CS_FRAME_NEED && len == 4, "3 bytes: need 4");
    /* garbage, then a PDU: skip exactly to it */
    memcpy(g, "\xde\xad\xbe\xef\x45\x00\xff", 7);
    memcpy(g + 7, b, n);
    CHECK(P->frame(g, n + 7, &len) == CS_FRAME_SKIP && len == 7, "skip 7, got %zu", len);
    /* a stray "EC" with an unknown command inside garbage is skipped too */
    memcpy(g, "\x01\x45\x43\x00\x10\x12\x34", 7);
    memcpy(g + 7, b, n);
    CHECK(P->frame(g, n + 7, &len) == CS_FRAME_SKIP && len == 7, "skip past a stray EC, got %zu",
          len);
    CHECK(P->frame(g, 5, &len) == CS_FRAME_SKIP && len == 1, "an EC whose command is not in view");
    /* a tail that may begin a header is kept; one that cannot is not */
    memcpy(g, "\x01\x02\x03\x04\x05\x45\x43", 7);
    CHECK(P->frame(g, 7, &len) == CS_FRAME_SKIP && len == 5, "keep 'EC', skip %zu", len);
    memcpy(g, "\x01\x02\x03\x04\x05\x06\x45", 7);
    CHECK(P->frame(g, 7, &len) == CS_FRAME_SKIP && len == 6, "keep 'E', skip %zu", len);
    memcpy(g, "\x01\x02\x03\x04\x05\x45\x44", 7);
    CHECK(P->frame(g, 7, &len) == CS_FRAME_SKIP && len == 7, "nothing kept, skip %zu", len);
    /* lengths: 0 and 1 frame (and are flagged); beyond 4096 is not a header */
    memcpy(g, "\x45\x43\x00\x01\x03", 5);
    CHECK(P->frame(g, 5, &len) == CS_FRAME_PDU && len == 5, "length 1 frames as 5 bytes");
    memcpy(g, "\x45\x43\x10\x01\x00\x65", 6);
    CHECK(P->frame(g, 6, &len) == CS_FRAME_SKIP, "length 4097 is garbage");
    memcpy(g, "\x45\x43\x10\x00\x00\x65", 6);
    CHECK(P->frame(g, 6, &len) == CS_FRAME_PDU && len == 4100, "length 4096 frames");
    /* an unknown command frames on the length alone */
    buf body = {.n = 0};
    u32(&body, 7);
    n = pdu(b, 2002, &body);
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == n, "unknown command frames");
}

/* ---- heuristic --------------------------------------------------------------- */

static void test_probe(void)
{
    uint8_t b[512];
    buf body;
    size_t n = pdu(b, 101, NULL);
    CHECK(P->probe(b, n, false), "heartbeat recognised");
    CHECK(!P->probe(b, n, true), "not on UDP");
    CHECK(!P->probe(b, 5, false), "5 bytes are too few");
    rt_head(&body, "3301020304050607", 0, 1, 14, 2);
    point(&body, 41, 3, 2200);
    point(&body, 1, 4, 123456);
    n = pdu(b, 1001, &body);
    CHECK(P->probe(b, n, false), "real-time data recognised");
    CHECK(P->probe(b, 10, false), "its first 10 bytes (continued later) recognised");
    size_t m = pdu(b + n, 101, NULL);
    CHECK(P->probe(b, n + m, false), "real-time data + heartbeat");
    CHECK(P->probe(b, n + 1, false), "a following PDU's first byte 'E'");
    b[n] = 0x46;
    CHECK(!P->probe(b, n + 1, false), "a following byte that cannot start a PDU");
    b[n] = 0x45;
    b[n + 1] = 0x44;
    CHECK(!P->probe(b, n + m, false), "a bad second PDU rejects the segment");
    /* structure: a point count that does not fit */
    rt_head(&body, "3301020304050607", 0, 1, 14, 3);
    point(&body, 41, 3, 2200);
    n = pdu(b, 1001, &body);
    CHECK(!P->probe(b, n, false), "point count 3 with one point rejected");
    /* the document's layout is accepted */
    rec(&body, "33010203", 16, "1234", 32, 1, 2, 3, 4, 5);
    n = pdu(b, 1005, &body);
    CHECK(P->probe(b, n, false), "fixed-field consumption record recognised");
    rec(&body, "3301020304050607", 0, "1234", 0, 1, 2, 3, 4, 5);
    n = pdu(b, 1005, &body);
    CHECK(P->probe(b, n, false), "consumption record recognised");
    /* heartbeat with a body, unknown command */
    body.n = 0;
    u16(&body, 1);
    n = pdu(b, 101, &body);
    CHECK(!P->probe(b, n, false), "heartbeat with a body rejected");
    n = pdu(b, 2002, &body);
    CHECK(!P->probe(b, n, false), "unknown command rejected");
    /* the vendor's other "EC" frame (port 8002): little-endian length */
    static const uint8_t other[] = {0x45, 0x43, 0x05, 0x00, 0x01, 0x65, 0x00};
    CHECK(!P->probe(other, sizeof other, false), "the 8002 'EC' frame rejected");
    static const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(!P->probe((const uint8_t *)http, strlen(http), false), "HTTP rejected");
    uint8_t tls[16] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03};
    CHECK(!P->probe(tls, sizeof tls, false), "TLS rejected");
}

/* ---- field values -------------------------------------------------------------- */

static void test_realtime(void)
{
    uint8_t b[512];
    buf body;
    rt_head(&body, "3301020304050607", 0, 1, 14, 5);
    point(&body, 1, 1, 1);        /* battery connected */
    point(&body, 1, 3, 3);        /* charger state: working */
    point(&body, 41, 3, 2203);    /* A-phase voltage */
    point(&body, 41, 1, 1);       /* address 41, type 1: not in the table */
    point(&body, 1, 4, 1234567);  /* total active energy */
    size_t n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(o.n_viols == 0, "clean real-time data (%u violations)", o.n_viols);
    CHECK(o.cksum == CS_CK_ABSENT, "checksum verdict absent, got %u", o.cksum);
    CHECK(o.cmd == 1001 && !strcmp(o.cmd_name, "Real-time data"), "cmd");
    CHECK(!strcmp(o.info, "Real-time data pile 3301020304050607 gun 1: 5 points"), "info: %s",
          o.info);
    CHECK(item(DF_LEN) && item(DF_LEN)->v.u == n - 4, "len = bytes after the length field");
    CHECK(item(DF_CMD) && item(DF_CMD)->offset == 4 && item(DF_CMD)->length == 2, "cmd item");
    CHECK(item(DF_ORG) && item(DF_ORG)->v.u == 1000, "org 1000");
    CHECK(!strcmp(text(item(DF_PILE)), "3301020304050607"), "pile code %s", text(item(DF_PILE)));
    CHECK(item(DF_PILE_LEN) && item(DF_PILE_LEN)->v.u == 16, "pile code length");
    CHECK(item(DF_GUN) && item(DF_GUN)->v.u == 1, "gun");
    CHECK(item(DF_PILE_TYPE) && item(DF_PILE_TYPE)->v.u == 14, "pile type");
    CHECK(item(DF_LAYOUT) && item(DF_LAYOUT)->v.u == 0, "length-sized layout");
    CHECK(n_items(DF_POINT) == 5 && n_items(DF_POINT_VALUE) == 5, "5 points");
    CHECK(n_items(DF_POINT_NAME) == 4, "4 points named (address 41 type 1 is not)");
    const cs_item *v = item_n(DF_POINT_VALUE, 2), *nm = item_n(DF_POINT_NAME, 2);
    CHECK(v && v->v.u == 2203 && v->length == 2 && v->depth == 1, "A-phase voltage value");
    CHECK(!strcmp(text(nm), "A-phase voltage"), "name %s", text(nm));
    CHECK(!strcmp(text(item_n(DF_POINT, 2)), "Point 41: A-phase voltage = 2203"), "label %s",
          text(item_n(DF_POINT, 2)));
    CHECK(!strcmp(text(item_n(DF_POINT, 3)),
                  "Point 41: Single-point status (not in the point table) = 1"),
          "label %s", text(item_n(DF_POINT, 3)));
    v = item_n(DF_POINT_VALUE, 4);
    CHECK(v && v->v.u == 1234567 && v->length == 4, "u32 value");
    CHECK(!strcmp(text(item_n(DF_POINT_NAME, 3)), "Total active energy"), "energy named");
    CHECK(!strcmp(text(item_n(DF_POINT_VALUE, 1)), "3 (Working (charging))"), "charger state %s",
          text(item_n(DF_POINT_VALUE, 1)));
    v = item_n(DF_POINT_VALUE, 0);
    CHECK(v && v->length == 1 && v->offset == 6 + 4 + 2 + 16 + 4 + 3, "u8 value placement");

    /* without items or info the same verdicts, no output built */
    cs_out lean;
    cs_out_init(&lean, 0);
    cs_ctx ctx = {.frame = 1, .transport_dir = CS_DIR_TO_SERVER};
    body.n -= 2; /* cut the last point: a count mismatch */
    n = pdu(b, 1001, &body);
    P->decode(NULL, opts, b, n, &ctx, &lean);
    CHECK(lean.n_items == 0 && lean.info_len == 0 && lean.n_viols == 1 &&
              lean.viols[0].code == DV_POINT_COUNT && lean.cksum == CS_CK_ABSENT,
          "lean decode: %u items, %u violations", lean.n_items, lean.n_viols);
    cs_out_free(&lean);
}

static void test_consumption(void)
{
    uint8_t b[512];
    buf body;
    rec(&body, "3301020304050702", 0, "33010203040507020217302962001", 0, 1730296350,
        1730299950, 12345, 2500, 300);
    size_t n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(o.n_viols == 0 && o.cksum == CS_CK_ABSENT, "clean record");
    CHECK(!strcmp(o.info, "Consumption 12.345 kWh \u00a525.00, pile 3301020304050702 gun 1"),
          "info: %s", o.info);
    CHECK(!strcmp(text(item(DF_SERIAL)), "33010203040507020217302962001"), "serial");
    CHECK(item(DF_SERIAL_LEN) && item(DF_SERIAL_LEN)->v.u == 29, "serial length");
    const cs_item *t = item(DF_START);
    CHECK(t && t->v.i == 1730296350 && t->length == 4, "start time");
    t = item(DF_END);
    CHECK(t && t->v.i == 1730299950, "end time");
    t = item(DF_DURATION);
    CHECK(t && t->v.i == 3600LL * 1000000000LL && (t->flags & CS_IF_GENERATED), "duration");
    t = item(DF_ENERGY);
    CHECK(t && t->v.u == 12345 && !strcmp(text(t), "12345 (12.345 kWh)"), "energy raw %s",
          text(t));
    const cs_item *k = item(DF_ENERGY_KWH);
    CHECK(k && k->v.d == 12.345 && (k->flags & CS_IF_GENERATED) && t &&
              k->offset == t->offset && k->length == 4,
          "energy scaled");
    CHECK(item(DF_AMOUNT) && item(DF_AMOUNT)->v.u == 2500 && item(DF_AMOUNT_YUAN)->v.d == 25.0,
          "amount");
    CHECK(!strcmp(text(item(DF_AMOUNT)), "2500 (\u00a525.00)"), "amount text %s",
          text(item(DF_AMOUNT)));
    CHECK(item(DF_FEE) && item(DF_FEE)->v.u == 300 && item(DF_FEE_YUAN)->v.d == 3.0, "fee");
    /* start == end, end before start, zero energy */
    rec(&body, "3301020304050702", 0, "1", 0, 100, 100, 1, 1, 1);
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(count_code("depgate.record.time_order") == 1 && !item(DF_DURATION), "equal times");
    rec(&body, "3301020304050702", 0, "1", 0, 200, 100, 0, 1, 1);
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(count_code("depgate.record.time_order") == 1 &&
              count_code("depgate.record.zero_energy") == 1 && o.n_viols == 2,
          "end before start, zero energy");
}

/* ---- the two layouts -------------------------------------------------------- */

static void test_layouts(void)
{
    uint8_t b[512];
    buf body;
    /* a 10-character pile code in the document's 16-byte field */
    rt_head(&body, "3301020304", 16, 2, 5, 1);
    point(&body, 5, 3, 67);
    size_t n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.layout.fixed") == 1 && o.n_viols == 1, "fixed real-time data");
    CHECK(item(DF_LAYOUT) && item(DF_LAYOUT)->v.u == 1, "layout 1");
    const cs_item *pc = item(DF_PILE), *pad = item(DF_PILE_PAD);
    CHECK(!strcmp(text(pc), "3301020304") && pc->length == 10, "pile code in the fixed field");
    CHECK(pad && pad->offset == 6 + 4 + 2 + 10 && pad->length == 6, "its 6 bytes of padding");
    CHECK(item(DF_GUN) && item(DF_GUN)->v.u == 2 && !strcmp(text(item(DF_POINT_NAME)), "SOC"),
          "fields after the fixed field");
    CHECK(strstr(o.info, "[document layout]") != NULL, "info: %s", o.info);
    /* a record with a 20-character serial in a 32-byte field */
    rec(&body, "3301020304050702", 16, "33010203040507020217", 32, 1, 2, 8800, 1320, 264);
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(count_code("depgate.layout.fixed") == 1 && o.n_viols == 1, "fixed record");
    CHECK(item(DF_SERIAL_PAD) && item(DF_SERIAL_PAD)->length == 12, "serial padding");
    CHECK(item(DF_ENERGY) && item(DF_ENERGY)->v.u == 8800, "energy after the fixed field");
    /* lengths 16 and 32: both readings are the same bytes, no note */
    rec(&body, "3301020304050702", 16, "33010203040507020217302962001234", 32, 1, 2, 3, 4, 5);
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(o.n_viols == 0 && item(DF_LAYOUT)->v.u == 0, "16/32: length-sized, no note");
    /* when neither reading consumes the body, the length-sized reading
     * gives the verdicts */
    rt_head(&body, "3301020304", 16, 2, 5, 2);
    point(&body, 5, 3, 67);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.layout.fixed") == 0 && o.n_viols >= 1,
          "no fixed reading fits: length-sized verdicts");
    /* a pile code longer than the fixed field never reads as fixed */
    rt_head(&body, "33010203040506070809", 0, 1, 14, 0);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(o.n_viols == 0 && item(DF_LAYOUT)->v.u == 0, "20-character pile code");
}

/* ---- structural violations ------------------------------------------------------- */

static void test_violations(void)
{
    uint8_t b[512];
    buf body;
    size_t n;
    /* length 1 / 0 */
    memcpy(b, "\x45\x43\x00\x01\x03", 5);
    dec(b, 5);
    CHECK(count_code("depgate.len.invalid") == 1 && o.cmd == -1 && o.cksum == CS_CK_ABSENT,
          "length 1");
    /* truncated (stream PDU cut by the end of the data) */
    rt_head(&body, "3301020304050607", 0, 1, 14, 1);
    point(&body, 41, 3, 2200);
    n = pdu(b, 1001, &body);
    dec(b, 15);
    CHECK(count_code("depgate.len.truncated") == 1 && o.n_viols == 1, "truncated: %u viols",
          o.n_viols);
    CHECK(strstr(o.info, "[truncated]") != NULL, "info: %s", o.info);
    dec(b, 4);
    CHECK(count_code("depgate.len.truncated") == 1 && o.n_viols == 1, "header only");
    dec(b, 3);
    CHECK(count_code("depgate.len.truncated") == 1, "3 bytes of a PDU");
    /* length shorter than the body needs (a record without its fee) */
    rec(&body, "3301020304050702", 0, "1", 0, 1, 2, 3, 4, 5);
    body.n -= 4;
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(count_code("depgate.body.short") == 1 && o.n_viols == 1, "body short");
    CHECK(!item(DF_FEE) && item(DF_AMOUNT), "stops before the fee");
    /* body bytes left over */
    rec(&body, "3301020304050702", 0, "1", 0, 1, 2, 3, 4, 5);
    u16(&body, 0xAAAA);
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(count_code("depgate.body.trailing") == 1 && o.n_viols == 1, "trailing");
    CHECK(item(DF_TRAILING) && item(DF_TRAILING)->length == 2, "trailing bytes shown");
    /* string overrun */
    rec(&body, "3301020304050702", 0, "1", 0, 1, 2, 3, 4, 5);
    body.p[4 + 2 + 16 + 2] = 200;
    n = pdu(b, 1005, &body);
    dec(b, n);
    CHECK(count_code("depgate.string.len") == 1 && o.n_viols == 1, "serial overrun");
    body.n = 0;
    u32(&body, 1000);
    u16(&body, 40);
    bytes(&body, "3301", 4);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.string.len") == 1 && o.n_viols == 1, "pile code overrun");
    CHECK(item(DF_PILE) && item(DF_PILE)->length == 4, "the bytes present shown");
    /* point count: fewer points */
    rt_head(&body, "3301020304050607", 0, 1, 14, 3);
    point(&body, 41, 3, 2200);
    point(&body, 44, 3, 300);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.point_count.mismatch") == 1 && o.n_viols == 1, "fewer points");
    /* a cut point */
    body.n -= 1;
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.point_count.mismatch") == 1 && o.n_viols == 1 &&
              item(DF_POINTS_REST) && item(DF_POINTS_REST)->length == 4,
          "cut point");
    /* more points than counted: shown, flagged */
    rt_head(&body, "3301020304050607", 0, 1, 14, 1);
    point(&body, 41, 3, 2200);
    point(&body, 44, 3, 300);
    point(&body, 1, 4, 5);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.point_count.mismatch") == 1 && o.n_viols == 1 &&
              n_items(DF_POINT) == 3,
          "extra points (%d shown)", n_items(DF_POINT));
    /* leftover bytes that are not points: trailing, not a count fault */
    rt_head(&body, "3301020304050607", 0, 1, 14, 1);
    point(&body, 41, 3, 2200);
    u8(&body, 0);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.body.trailing") == 1 && o.n_viols == 1, "one leftover byte");
    /* unknown point type */
    rt_head(&body, "3301020304050607", 0, 1, 14, 3);
    point(&body, 41, 3, 2200);
    u16(&body, 42);
    u8(&body, 9);
    u16(&body, 0x1234);
    n = pdu(b, 1001, &body);
    dec(b, n);
    CHECK(count_code("depgate.point.type.unknown") == 1 && o.n_viols == 1, "type 9");
    CHECK(n_items(DF_POINT) == 2 && item(DF_POINTS_REST) && item(DF_POINTS_REST)->length == 2,
          "undecoded rest after the unknown type");
    /* unknown command */
    body.n = 0;
    u32(&body, 0x01020304);
    n = pdu(b, 2002, &body);
    dec(b, n);
    CHECK(count_code("depgate.cmd.unknown") == 1 && o.n_viols == 1 && item(DF_BODY) &&
              item(DF_BODY)->length == 4 && o.cmd == 2002,
          "unknown command");
    CHECK(!strcmp(o.info, "Unknown command 2002 (4-byte body)"), "info: %s", o.info);
    /* heartbeat with a body */
    body.n = 0;
    u16(&body, 0xBEEF);
    n = pdu(b, 101, &body);
    dec(b, n);
    CHECK(count_code("depgate.heartbeat.body") == 1 && o.n_viols == 1, "heartbeat body");
    /* from the server */
    n = pdu(b, 101, NULL);
    dec_ctx(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("depgate.server.heartbeat") == 1 && o.n_viols == 1 &&
              o.dir == CS_DIR_TO_DEVICE,
          "server heartbeat");
    rt_head(&body, "3301020304050607", 0, 1, 14, 0);
    n = pdu(b, 1001, &body);
    dec_ctx(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("depgate.server.unexpected") == 1 && o.n_viols == 1, "server real-time");
    /* not a PDU at all (a whole frame from another caller): garbage */
    dec((const uint8_t *)"XYZ", 3);
    CHECK(o.garbage && count_code("depgate.garbage") == 1, "not EC: garbage");
    /* names */
    for (int i = 0; i < P->n_fields; i++)
        CHECK(P->fields[i].abbrev && !strncmp(P->fields[i].abbrev, "depgate.", 8), "field %d", i);
    for (int i = 0; i < P->n_violations; i++) {
        CHECK(P->violations[i].code && !strncmp(P->violations[i].code, "depgate.", 8),
              "violation %d", i);
        CHECK(cs_field_index(P, P->violations[i].code) < 0, "code %s is a field name",
              P->violations[i].code);
    }
}

/* ---- directions and timing ------------------------------------------------------ */

static void *new_sess(void)
{
    void *s = calloc(1, P->sess_size);
    P->sess_init(s, opts, true);
    return s;
}

static void test_directions(void)
{
    uint8_t hb[8], rt[128];
    buf body;
    size_t nh = pdu(hb, 101, NULL);
    rt_head(&body, "3301020304050607", 0, 1, 14, 0);
    size_t nr = pdu(rt, 1001, &body);
    void *s = new_sess();
    /* no handshake: a heartbeat is judged by the ports, real-time data by
     * its command, and what a side sent is remembered */
    cs_ctx ctx = {.frame = 1, .side = 1, .src_port = 8003, .dst_port = 52000};
    P->decode(s, opts, hb, nh, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_DEVICE && o.dir_source == CS_DS_PORTS &&
              count_code("depgate.server.heartbeat") == 1,
          "server heartbeat by ports");
    ctx = (cs_ctx){.frame = 2, .side = 0, .src_port = 52000, .dst_port = 8003};
    P->decode(s, opts, rt, nr, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.dir_source == CS_DS_SHAPE, "real-time data by shape");
    ctx = (cs_ctx){.frame = 3, .side = 0, .src_port = 52000, .dst_port = 8003};
    P->decode(s, opts, hb, nh, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.dir_source == CS_DS_LEARNED && o.n_viols == 0,
          "gateway heartbeat learned");
    ctx = (cs_ctx){.frame = 4, .side = 1, .src_port = 8003, .dst_port = 52000};
    P->decode(s, opts, rt, nr, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_DEVICE && o.dir_source == CS_DS_LEARNED &&
              count_code("depgate.server.unexpected") == 1,
          "real-time data from the learned server side");
    /* a later pass: the first pass's direction, without a session */
    ctx = (cs_ctx){.frame = 4, .side = 1, .dir_override = CS_DIR_TO_DEVICE,
                   .dir_override_source = CS_DS_LEARNED};
    P->decode(NULL, opts, rt, nr, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_DEVICE && o.dir_source == CS_DS_LEARNED &&
              count_code("depgate.server.unexpected") == 1,
          "override honoured");
    free(s);
}

static void test_timing(void)
{
    uint8_t hb[8], a[128], d[128];
    buf body;
    size_t nh = pdu(hb, 101, NULL);
    rt_head(&body, "3301020304050607", 0, 1, 14, 0);
    size_t na = pdu(a, 1001, &body);
    rt_head(&body, "3301020304050702", 0, 2, 5, 0);
    size_t nd = pdu(d, 1001, &body);
    void *s = new_sess();
    uint32_t f = 1;
    dec_ctx(s, hb, nh, CS_DIR_TO_SERVER, 0, 0, f++);
    CHECK(!item(DF_GW_GAP) && o.n_viols == 0, "first PDU: no gap");
    dec_ctx(s, a, na, CS_DIR_TO_SERVER, 0, 5000, f++);
    CHECK(item(DF_GW_GAP) && item(DF_GW_GAP)->v.i == 5000000000LL && !item(DF_RT_GAP),
          "gap 5 s; first real-time data of the pile");
    dec_ctx(s, d, nd, CS_DIR_TO_SERVER, 0, 6000, f++);
    /* server traffic does not count as gateway traffic */
    dec_ctx(s, hb, nh, CS_DIR_TO_DEVICE, 1, 40000, f++);
    CHECK(!item(DF_GW_GAP), "no gateway gap on a server PDU");
    dec_ctx(s, a, na, CS_DIR_TO_SERVER, 0, 75000, f++); /* 70 s: at the limit */
    CHECK(o.n_viols == 0 && item(DF_RT_GAP) && item(DF_RT_GAP)->v.i == 70000000000LL,
          "70 s is on time (60 + 10)");
    dec_ctx(s, a, na, CS_DIR_TO_SERVER, 0, 145001, f++); /* 70.001 s */
    CHECK(count_code("depgate.realtime.late") == 1 && count_code("depgate.heartbeat.late") == 1 &&
              o.n_viols == 2,
          "70.001 s: real-time late, heartbeat late");
    /* the other pile has its own clock: 139 s since its last report */
    dec_ctx(s, d, nd, CS_DIR_TO_SERVER, 0, 145002, f++);
    CHECK(count_code("depgate.realtime.late") == 1 && o.n_viols == 1 &&
              item(DF_RT_GAP)->v.i == 139002000000LL,
          "the DC gun's own gap");
    dec_ctx(s, hb, nh, CS_DIR_TO_SERVER, 0, 275003, f++); /* 130.001 s silent */
    CHECK(count_code("depgate.heartbeat.late") == 1 && count_code("depgate.link.silence") == 1,
          "130.001 s: heartbeat late and link silence");
    /* options: 0 turns a rule off; the tolerance moves the limit */
    opts[DO_HB_INTERVAL] = 0;
    opts[DO_LINK_TIMEOUT] = 0;
    dec_ctx(s, hb, nh, CS_DIR_TO_SERVER, 0, 575003, f++);
    CHECK(o.n_viols == 0 && item(DF_GW_GAP), "rules off: gap shown, nothing flagged");
    opts[DO_HB_INTERVAL] = 60;
    opts[DO_LINK_TIMEOUT] = 120;
    opts[DO_TOLERANCE] = 0;
    dec_ctx(s, hb, nh, CS_DIR_TO_SERVER, 0, 635004, f++);
    CHECK(count_code("depgate.heartbeat.late") == 1, "60.001 s with no tolerance");
    opts[DO_TOLERANCE] = 10;
    free(s);

    /* the real-time table is bounded: the pile heard from longest ago goes */
    s = new_sess();
    char code[32];
    for (int i = 0; i < 70; i++) {
        snprintf(code, sizeof code, "PILE%04d", i);
        rt_head(&body, code, 0, 1, 14, 0);
        na = pdu(a, 1001, &body);
        dec_ctx(s, a, na, CS_DIR_TO_SERVER, 0, i, (uint32_t)i + 1);
    }
    rt_head(&body, "PILE0069", 0, 1, 14, 0);
    na = pdu(a, 1001, &body);
    dec_ctx(s, a, na, CS_DIR_TO_SERVER, 0, 100000, 71);
    CHECK(count_code("depgate.realtime.late") == 1, "a recent pile is still tracked");
    rt_head(&body, "PILE0000", 0, 1, 14, 0);
    na = pdu(a, 1001, &body);
    dec_ctx(s, a, na, CS_DIR_TO_SERVER, 0, 100001, 72);
    CHECK(count_code("depgate.realtime.late") == 0 && !item(DF_RT_GAP),
          "an evicted pile starts afresh");
    free(s);
}

int main(void)
{
    cs_opts_default(P, opts);
    cs_out_init(&o, CS_WANT_ITEMS | CS_WANT_INFO);
    CHECK(opts[DO_HB_INTERVAL] == 60 && opts[DO_RT_INTERVAL] == 60 &&
              opts[DO_LINK_TIMEOUT] == 120 && opts[DO_TOLERANCE] == 10,
          "option defaults");
    CHECK(!strcmp(P->tcp_ports, "8003"), "port 8003");
    test_framing();
    test_probe();
    test_realtime();
    test_consumption();
    test_layouts();
    test_violations();
    test_directions();
    test_timing();
    wp_test_samples(P, opts, CS_SAMPLES_DIR, 10);
    cs_out_free(&o);
    return CHECK_DONE();
}

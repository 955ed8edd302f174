/*
 * test_evpile - the EV charging pile definition through the library
 * interface: framing and resynchronisation, the heuristic, field values,
 * the violation rules, the session rules, and robustness on every cut and
 * corruption of the seed frames.
 */
#include "check.h"
#include "want_parity.h"
#include "minijson.h"

#include "chargeproto.h"
#include "evpile.h"

#include <stdlib.h>
#include <string.h>

static const cs_proto *P = &evpile_proto;
static uint32_t opts[CS_MAX_OPTS];
static cs_out o;

#define TERM 0x0011201Eu /* 01122334 */

/* A frame: header, data, 0x68, the byte sum. */
static size_t mk(uint8_t *b, uint8_t cmd, uint8_t src, uint8_t type, const char *data_hex)
{
    size_t n = cs_unhex(data_hex, b + 11, 4000);
    size_t total = n + 16;
    b[0] = 0x75;
    b[1] = 0x72;
    b[2] = (uint8_t)(total - 2);
    b[3] = (uint8_t)((total - 2) >> 8);
    b[4] = (uint8_t)TERM;
    b[5] = (uint8_t)(TERM >> 8);
    b[6] = (uint8_t)(TERM >> 16);
    b[7] = (uint8_t)(TERM >> 24);
    b[8] = cmd;
    b[9] = src;
    b[10] = type;
    b[total - 5] = 0x68;
    uint32_t s = cs_sum32(b, total - 4);
    b[total - 4] = (uint8_t)s;
    b[total - 3] = (uint8_t)(s >> 8);
    b[total - 2] = (uint8_t)(s >> 16);
    b[total - 1] = (uint8_t)(s >> 24);
    return total;
}

static void resum(uint8_t *b, size_t total)
{
    uint32_t s = cs_sum32(b, total - 4);
    for (int i = 0; i < 4; i++)
        b[total - 4 + i] = (uint8_t)(s >> (8 * i));
}

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
static const char *istr(int field)
{
    const cs_item *it = item(field);
    return it ? cs_str(&o, it->str) : "(missing)";
}

static void dec_ctx(void *sess, const uint8_t *b, size_t n, cs_dir transport, uint8_t side,
                    int64_t t_ms, uint32_t frame_no, bool whole)
{
    cs_ctx ctx = {0};
    ctx.frame = frame_no;
    ctx.ts_ns = t_ms * 1000000LL;
    ctx.transport_dir = (uint8_t)transport;
    ctx.side = side;
    ctx.tag = frame_no;
    ctx.whole = whole;
    P->decode(sess, opts, b, n, &ctx, &o);
}
static void dec(const uint8_t *b, size_t n) { dec_ctx(NULL, b, n, CS_DIR_UNKNOWN, 0, 0, 1, false); }

/* Seed frames by number (1-19 among the "004" entries). */
static uint8_t seed[20][400];
static size_t seed_n[20];
static int n_seeds;

static void load_seeds(const char *path)
{
    const char *err = NULL;
    mj *root = mj_parse_file(path, &err);
    CHECK(root != NULL, "cannot read %s: %s", path, err ? err : "?");
    if (!root)
        return;
    for (mj *f = root->child; f; f = f->next) {
        const char *sd = mj_str(f, "seed");
        if (!sd || strcmp(sd, "004") || n_seeds >= 19)
            continue;
        n_seeds++;
        seed_n[n_seeds] = cs_unhex(mj_str(f, "hex"), seed[n_seeds], sizeof seed[0]);
    }
    mj_free(root);
    CHECK(n_seeds == 19, "19 seed frames, got %d", n_seeds);
}

/* ---- framing ------------------------------------------------------------ */

static void test_framing(void)
{
    uint8_t b[512];
    size_t len, n = mk(b, 0x01, 0x10, 0x02, "1e 01000000");
    CHECK(n == 21, "heartbeat is 21 bytes");
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == 21, "heartbeat frames as 21 bytes");
    CHECK(P->frame(b, 4, &len) == CS_FRAME_PDU && len == 21, "4 bytes suffice to frame");
    CHECK(P->frame(b, 1, &len) == CS_FRAME_NEED && len == 4, "75: need 4");
    CHECK(P->frame(b, 3, &len) == CS_FRAME_NEED && len == 4, "75 72 13: need 4");
    /* garbage, then a frame: skip exactly to it */
    uint8_t g[600] = {0xde, 0xad, 0x75, 0x00, 0x72, 0x75, 0x72, 0x01, 0x00};
    memcpy(g + 9, b, n);
    CHECK(P->frame(g, n + 9, &len) == CS_FRAME_SKIP && len == 9,
          "skip 9 bytes (a lone 75, and 75 72 with length 1), got %zu", len);
    /* a length beyond 4096 is not a frame start */
    uint8_t big[8] = {0x75, 0x72, 0x01, 0x10, 0, 0, 0, 0};
    CHECK(P->frame(big, 8, &len) == CS_FRAME_SKIP && len == 8, "length 4097 is garbage");
    big[2] = 0x00; /* 4096 */
    CHECK(P->frame(big, 8, &len) == CS_FRAME_PDU && len == 4098, "length 4096 frames");
    /* a possible start at the end is kept */
    uint8_t t1[5] = {1, 2, 3, 4, 0x75};
    CHECK(P->frame(t1, 5, &len) == CS_FRAME_SKIP && len == 4, "keep a trailing 75");
    uint8_t t2[6] = {1, 2, 3, 0x75, 0x72, 0x13};
    CHECK(P->frame(t2, 6, &len) == CS_FRAME_SKIP && len == 3, "keep a trailing 75 72 13");
    uint8_t t3[6] = {1, 2, 3, 4, 5, 6};
    CHECK(P->frame(t3, 6, &len) == CS_FRAME_SKIP && len == 6, "no start: skip everything");
    uint8_t t4[2] = {0x41, 0x75};
    CHECK(P->frame(t4, 2, &len) == CS_FRAME_SKIP && len == 1, "short garbage before a 75");
}

/* ---- heuristic ------------------------------------------------------------ */

static void test_probe(void)
{
    uint8_t b[1024];
    CHECK(P->probe(seed[1], seed_n[1], false), "the seed login is recognised");
    CHECK(!P->probe(seed[1], seed_n[1], true), "not on UDP");
    CHECK(P->probe(seed[1], 20, false), "a login's first segment is recognised");
    CHECK(!P->probe(seed[1], 3, false), "3 bytes are too few");
    /* two frames in one segment, both checked */
    memcpy(b, seed[10], seed_n[10]);
    memcpy(b + seed_n[10], seed[18], seed_n[18]);
    size_t n = seed_n[10] + seed_n[18];
    CHECK(P->probe(b, n, false), "heartbeat + bill");
    CHECK(P->probe(b, seed_n[10] + 1, false), "heartbeat + a lone 75");
    b[seed_n[10] + 1] = 0x73;
    CHECK(!P->probe(b, n, false), "a bad second frame rejects the segment");
    memcpy(b, seed[10], seed_n[10]);
    b[seed_n[10] - 5] = 0x69;
    CHECK(!P->probe(b, seed_n[10], false), "no end marker: rejected");
    memcpy(b, seed[10], seed_n[10]);
    b[seed_n[10]] = 0x00;
    CHECK(!P->probe(b, seed_n[10] + 1, false), "a frame followed by a stray byte: rejected");
    static const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(!P->probe((const uint8_t *)http, strlen(http), false), "HTTP rejected");
    static const char *ur = "urn:ietf:params:xml:ns:xmpp-tls";
    CHECK(!P->probe((const uint8_t *)ur, strlen(ur), false), "text starting with 'ur' rejected");
    uint8_t tls[16] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03};
    CHECK(!P->probe(tls, sizeof tls, false), "TLS rejected");
}

/* ---- fields --------------------------------------------------------------- */

static void test_fields(void)
{
    /* the seed login: terminal, BCD time, the Info column */
    dec_ctx(NULL, seed[1], seed_n[1], CS_DIR_TO_SERVER, 0, 0, 1, true);
    CHECK(o.n_viols == 0 && o.cksum == CS_CK_GOOD, "clean login (%u violations)", o.n_viols);
    CHECK(!strcmp(istr(EF_TERMINAL), "01122334"), "terminal %s", istr(EF_TERMINAL));
    CHECK(!strcmp(istr(EF_LOGIN_TIME), "2017-11-10 14:46:30"), "login time %s",
          istr(EF_LOGIN_TIME));
    CHECK(!strcmp(o.info, "Login 01122334 2017-11-10 14:46:30"), "info: %s", o.info);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.dir_source == CS_DS_DECLARED, "declared direction");
    CHECK(item(EF_LOGIN_EXTRA) && item(EF_LOGIN_EXTRA)->length == 16, "32-byte login: extra 16");
    CHECK(item(EF_LOGIN_UNKNOWN_C) && item(EF_LOGIN_UNKNOWN_C)->v.u == 0x0526, "u16 0x0526");
    CHECK(o.n_facts == 1 && !strcmp(cs_str(&o, o.facts[0].str), "01122334"), "device fact");
    const cs_item *ck = item(EF_CHECKSUM);
    CHECK(ck && ck->offset == 44 && ck->length == 4 && ck->v.u == 0x2F2 && ck->aux == 0x2F2 &&
              (ck->flags & CS_IF_LE),
          "checksum item");
    dec_ctx(NULL, seed[2], seed_n[2], CS_DIR_TO_SERVER, 0, 0, 1, true);
    CHECK(!item(EF_LOGIN_EXTRA) && o.n_viols == 0, "16-byte login: no extra");

    /* the card reply: balance, result, reference */
    dec_ctx(NULL, seed[16], seed_n[16], CS_DIR_TO_DEVICE, 1, 0, 1, true);
    CHECK(!strcmp(o.info, "Card auth 0000000012345678 \u2192 balance 110.00"), "info: %s", o.info);
    CHECK(item(EF_CARD_BALANCE) && item(EF_CARD_BALANCE)->v.u == 11000, "balance");
    CHECK(item(EF_RESULT) && item(EF_RESULT)->offset == 35 && o.result == 0, "result at 35");
    CHECK(item(EF_CARD_REF) && item(EF_CARD_REF)->v.u == 1224, "reference 1224");
    CHECK(item(EF_RESERVED) && item(EF_RESERVED)->length == 16, "16 reserved bytes");

    /* the bill: card string with bytes after its NUL, BCD times, words */
    dec_ctx(NULL, seed[18], seed_n[18], CS_DIR_TO_SERVER, 0, 0, 1, true);
    CHECK(!strcmp(o.info, "Bill upload: 23 items, card 0000000012345678"), "info: %s", o.info);
    CHECK(!strcmp(istr(EF_TLV_STRING), "0000000012345678"), "card %s", istr(EF_TLV_STRING));
    const cs_item *an = item(EF_AFTER_NUL);
    CHECK(an && an->offset == 45 && an->length == 3, "\"000\" after the card's NUL shown");
    CHECK(item_n(EF_TLV_TIME, 1) && !strcmp(cs_str(&o, item_n(EF_TLV_TIME, 1)->str),
                                            "2017-11-10 15:03:54"),
          "end time");
    int words = 0;
    for (uint32_t i = 0; i < o.n_items; i++)
        words += o.items[i].field == EF_TLV_WORD;
    CHECK(words == 20, "0x0117 as 20 words, got %d", words);
    const cs_item *bal = NULL;
    for (uint32_t i = 0; i < o.n_items; i++)
        if (o.items[i].field == EF_TLV_ADDR && o.items[i].v.u == 0x0106)
            bal = &o.items[i + 2];
    CHECK(bal && bal->field == EF_TLV_VALUE && bal->v.u == 11000 && bal->length == 4,
          "0x0106 = 11000");
    const cs_item *tl = item(EF_TLV);
    CHECK(tl && !strcmp(cs_str(&o, tl->str), "0x0101 Bill item = 1") && tl->depth == 1,
          "first item label: %s", tl ? cs_str(&o, tl->str) : "");
    const cs_item *cnt = item(EF_TLVS_COUNT);
    CHECK(cnt && cnt->v.u == 23 && cnt->depth == 1, "TLV count");

    /* points: names, the low nibble of the source byte */
    dec_ctx(NULL, seed[12], seed_n[12], CS_DIR_TO_DEVICE, 1, 0, 1, true);
    CHECK(o.n_viols == 0 && !strcmp(o.info, "Get real-time data: 23 points"), "info: %s", o.info);
    CHECK(item(EF_SRC_LOW) && item(EF_SRC_LOW)->v.u == 1, "source low nibble 1");
    const cs_item *pt = item_n(EF_POINT, 3);
    CHECK(pt && pt->v.u == 0x0B02 && pt->depth == 1 &&
              !strcmp(cs_str(&o, pt->str), "0x0B02 Card or account number? [inferred]"),
          "point name: %s", pt ? cs_str(&o, pt->str) : "");
    dec_ctx(NULL, seed[4], seed_n[4], CS_DIR_TO_DEVICE, 1, 0, 1, true);
    pt = item_n(EF_POINT, 20);
    CHECK(pt && !strcmp(cs_str(&o, pt->str), "0x0015 Tariff period 1 price (0.01/kWh) [inferred]"),
          "tariff name: %s", pt ? cs_str(&o, pt->str) : "");

    /* TLV values by their in-band length; the same address with 2 and 4 bytes */
    uint8_t b[512];
    size_t n = mk(b, 0x04, 0x10, 0x01,
                  "0500 1000 02 3412 1000 04 78563412 0700 03 010203 2a00 05 4142000000"
                  " 2b00 00");
    dec(b, n);
    CHECK(o.n_viols == 0, "clean TLV (%u)", o.n_viols);
    CHECK(item_n(EF_TLV_VALUE, 0)->v.u == 0x1234 && item_n(EF_TLV_VALUE, 1)->v.u == 0x12345678,
          "2 and 4-byte values");
    CHECK(item(EF_TLV_BYTES) && item(EF_TLV_BYTES)->length == 3, "3 bytes as bytes");
    CHECK(!strcmp(istr(EF_TLV_STRING), "AB"), "NUL-padded string");
    CHECK(!item(EF_AFTER_NUL), "zero padding is not shown as bytes after the NUL");
    CHECK(!strcmp(cs_str(&o, item_n(EF_TLV, 4)->str),
                  "0x002B Terminal parameter (empty)"),
          "empty item: %s", cs_str(&o, item_n(EF_TLV, 4)->str));

    /* heartbeat and its ack */
    dec_ctx(NULL, seed[10], seed_n[10], CS_DIR_TO_SERVER, 0, 0, 1, true);
    CHECK(!strcmp(o.info, "Heartbeat, period 30 s") && item(EF_HB_PERIOD)->v.u == 30 &&
              item(EF_HB_COUNTER)->v.u == 1,
          "heartbeat: %s", o.info);
    dec_ctx(NULL, seed[19], seed_n[19], CS_DIR_TO_DEVICE, 1, 0, 1, true);
    CHECK(!strcmp(o.info, "Bill confirm: 23 items, ref 1224, result 0"), "info: %s", o.info);
    CHECK(item(EF_BILL_ACK_VALUE)->v.u == 2, "bill confirm value");

    /* unknown command: data shown as data */
    n = mk(b, 0x33, 0x00, 0x00, "0102");
    dec(b, n);
    CHECK(count_code("evpile.cmd.unknown") == 1 && item(EF_DATA) && item(EF_DATA)->length == 2 &&
              !strcmp(o.info, "Unknown command 0x33"),
          "unknown command: %s", o.info);
}

/* ---- violations ------------------------------------------------------------ */

static void test_violations(void)
{
    uint8_t b[600];
    size_t n;

    /* checksum: bad, and unverified when the option is off */
    memcpy(b, seed[5], seed_n[5]);
    dec(b, seed_n[5]);
    CHECK(count_code("evpile.checksum.bad") == 1 && o.cksum == CS_CK_BAD, "seed #5 bad sum");
    CHECK(item(EF_CHECKSUM)->v.u == 0xC0E && item(EF_CHECKSUM)->aux == 0x614, "stated/computed");
    opts[EO_VERIFY_CHECKSUM] = 0;
    dec(b, seed_n[5]);
    CHECK(count_code("evpile.checksum.bad") == 0 && o.cksum == CS_CK_UNVERIFIED, "unverified");
    opts[EO_VERIFY_CHECKSUM] = 1;

    /* end marker missing (sum still right) */
    n = mk(b, 0x01, 0x00, 0x01, "01");
    b[n - 5] = 0x00;
    resum(b, n);
    dec(b, n);
    CHECK(count_code("evpile.end.missing") == 1 && o.n_viols == 1 && o.cksum == CS_CK_GOOD,
          "end missing only (%u)", o.n_viols);

    /* cut short: no checksum verdict, no data.short */
    dec(seed[18], 100);
    CHECK(count_code("evpile.len.truncated") == 1 && o.n_viols == 1 &&
              o.cksum == CS_CK_UNVERIFIED && !item(EF_CHECKSUM),
          "truncated (%u)", o.n_viols);
    CHECK(strstr(o.info, "[truncated]") != NULL, "info: %s", o.info);
    dec(seed[1], 2);
    CHECK(count_code("evpile.len.truncated") == 1, "2 bytes");
    dec(seed[1], 9);
    CHECK(count_code("evpile.len.truncated") == 1 && !item(EF_CMD) && item(EF_TERMINAL),
          "9 bytes: terminal, no command");

    /* length too large by 2: the frame really ends earlier (stream) */
    n = mk(b, 0x08, 0x10, 0x01, "00");
    b[n] = b[n + 1] = 0;
    b[2] += 2; /* the sum covers the wrong length */
    resum(b, n);
    dec(b, n + 2);
    CHECK(count_code("evpile.len.mismatch") == 1 && o.n_viols == 1 && o.cksum == CS_CK_GOOD,
          "L too large (%u)", o.n_viols);
    const cs_item *tr = item(EF_TRAILING);
    CHECK(tr && tr->offset == n && tr->length == 2, "the 2 bytes after the end shown");
    /* whole frames: more bytes than L, L below 14 */
    n = mk(b, 0x08, 0x10, 0x01, "00");
    b[n] = 0xAA;
    dec_ctx(NULL, b, n + 1, CS_DIR_UNKNOWN, 0, 0, 1, true);
    CHECK(count_code("evpile.len.mismatch") == 1 && o.cksum == CS_CK_GOOD, "whole: 1 more byte");
    n = mk(b, 0x08, 0x10, 0x01, "00");
    b[2] = 10;
    dec_ctx(NULL, b, n, CS_DIR_UNKNOWN, 0, 0, 1, true);
    CHECK(count_code("evpile.len.mismatch") == 1, "whole: L 10");
    /* whole frame shorter than L, with a valid end: L is wrong */
    n = mk(b, 0x08, 0x10, 0x01, "00");
    b[2] += 5;
    resum(b, n);
    dec_ctx(NULL, b, n, CS_DIR_UNKNOWN, 0, 0, 1, true);
    CHECK(count_code("evpile.len.mismatch") == 1 && count_code("evpile.len.truncated") == 0,
          "whole: L too large");

    /* magic (whole frames only: the framer never starts a PDU elsewhere) */
    n = mk(b, 0x08, 0x10, 0x01, "00");
    b[1] = 0x73;
    resum(b, n);
    dec_ctx(NULL, b, n, CS_DIR_UNKNOWN, 0, 0, 1, true);
    CHECK(count_code("evpile.magic.bad") == 1 && o.n_viols == 1, "magic");

    /* one built frame, exactly one violation (NULL: none) */
    static const struct vcase {
        uint8_t cmd, src, type;
        const char *data, *code, *what;
    } cases[] = {
        {0x01, 0x10, 0x07, "", "evpile.type.unknown", "frame type 7"},
        {0x04, 0x10, 0x02, "0000", "evpile.type.unexpected", "pile request on a platform command"},
        {0x01, 0x00, 0x02, "1e01000000", "evpile.type.unexpected", "platform source, pile type"},
        {0x01, 0x10, 0x01, "01", "evpile.type.unexpected", "heartbeat ack from the pile"},
        {0x30, 0x00, 0x01, "3030303030303030313233343536373800000000 f82a0000",
         "evpile.data.short", "card reply cut after the balance"},
        {0x02, 0x10, 0x02, "17201110144630 05 00000000 2605 0000 aabbccdd", "evpile.data.trailing",
         "login with 20 data bytes"},
        {0x01, 0x00, 0x01, "010203", "evpile.data.trailing", "heartbeat ack with 3 bytes"},
        {0x08, 0x00, 0x00, "17201a10144630", "evpile.time.invalid", "month digit A"},
        {0x08, 0x00, 0x00, "17200229120000", "evpile.time.invalid", "2017-02-29"},
        {0x08, 0x00, 0x00, "20200229120000", NULL, "2020-02-29 is a date"},
        {0x08, 0x00, 0x00, "17201110246030", "evpile.time.invalid", "hour 24"},
        {0x06, 0x10, 0x02, "0100 1301 07 17201310150344", "evpile.time.invalid",
         "bill start time in month 13"},
        {0x09, 0x00, 0x00, "0500 0306 0406 010b", "evpile.list.overrun", "5 points, 3 present"},
        {0x09, 0x00, 0x00, "0200 0306 0406 010b", "evpile.list.count_mismatch",
         "2 points, 3 present"},
        {0x09, 0x10, 0x01, "0200 0306 02 0000 0406 05 0000", "evpile.list.overrun",
         "a value overruns"},
        {0x09, 0x10, 0x01, "0200 0306 02 0000 0406", "evpile.list.overrun", "a header overruns"},
        {0x09, 0x10, 0x01, "0300 0306 02 0000 0406 02 0000", "evpile.list.count_mismatch",
         "3 items, 2 present"},
        {0x09, 0x10, 0x01, "0100 0306 02 0000 0406 02 0000", "evpile.list.count_mismatch",
         "1 item, 2 present"},
        {0x05, 0x00, 0x00, "ffff 1500 02 dc00", "evpile.list.count_mismatch", "count 65535"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct vcase *k = &cases[i];
        n = mk(b, k->cmd, k->src, k->type, k->data);
        dec(b, n);
        CHECK(o.n_viols == (k->code ? 1u : 0u) && (!k->code || count_code(k->code) == 1),
              "%s: %u violations, %s expected", k->what, o.n_viols, k->code ? k->code : "none");
    }
    /* the particulars of some of them */
    n = mk(b, 0x01, 0x10, 0x07, "");
    dec(b, n);
    CHECK(!strcmp(o.info, "Heartbeat (frame type 0x07)"), "type 7: %s", o.info);
    n = mk(b, 0x02, 0x10, 0x02, "17201110144630 05 00000000 2605 0000 aabbccdd");
    dec(b, n);
    CHECK(item(EF_TRAILING) && item(EF_TRAILING)->length == 4, "4 trailing login bytes");
    n = mk(b, 0x08, 0x00, 0x00, "17201a10144630");
    dec(b, n);
    CHECK(!strcmp(istr(EF_SYNC_TIME), "2017-1A-10 14:46:30"), "bad digit: %s", istr(EF_SYNC_TIME));
    n = mk(b, 0x09, 0x10, 0x01, "0100 0306 02 0000 0406 02 0000");
    dec(b, n);
    CHECK(item(EF_TRAILING) && item(EF_TRAILING)->length == 5, "the extra item shown");
    n = mk(b, 0x05, 0x00, 0x00, "ffff 1500 02 dc00");
    dec(b, n);
    CHECK(o.n_items < 40, "count 65535: the loop is bounded by the bytes");
    /* an unknown source byte: the transport decides */
    n = mk(b, 0x01, 0x21, 0x02, "1e01000000");
    dec_ctx(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1, false);
    CHECK(count_code("evpile.src.unknown") == 1 && o.n_viols == 1 &&
              o.dir_source == CS_DS_TRANSPORT && o.dir == CS_DIR_TO_SERVER,
          "src 0x21: direction from the transport");
}

/* ---- sessions -------------------------------------------------------------- */

typedef struct sess_h {
    void *s;
} sess_h;

static void *sess_new(bool start_seen)
{
    void *s = calloc(1, P->sess_size);
    P->sess_init(s, opts, start_seen);
    return s;
}
static void sess_free(void *s)
{
    P->sess_fini(s);
    free(s);
}

static int end_codes(void *s, const char *code, uint32_t *frames, int max)
{
    P->sess_end(s, &o);
    int k = 0;
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (!strcmp(P->violations[o.viols[i].code].code, code) && k < max)
            frames[k++] = o.viols[i].frame;
    return k;
}

static void test_session(void)
{
    void *s = sess_new(true);
    uint32_t fr[8];
    /* login -> reply: paired on (0x02, request type 0x02) */
    dec_ctx(s, seed[1], seed_n[1], CS_DIR_TO_SERVER, 0, 1000, 1, false);
    CHECK(o.pending && o.n_viols == 0, "login waits for its reply");
    dec_ctx(s, seed[3], seed_n[3], CS_DIR_TO_DEVICE, 1, 1060, 2, false);
    CHECK(o.req_frame == 1 && o.n_viols == 0, "login reply answers frame 1");
    const cs_item *rt = item(EF_RESPONSE_TIME);
    CHECK(rt && rt->v.i == 60000000, "response time 60 ms");
    /* platform command -> pile response: (0x04, type 0x00) */
    dec_ctx(s, seed[4], seed_n[4], CS_DIR_TO_DEVICE, 1, 2000, 3, false);
    CHECK(o.pending, "get terminal data waits");
    dec_ctx(s, seed[6], seed_n[6], CS_DIR_TO_SERVER, 0, 2200, 4, false);
    CHECK(o.req_frame == 3 && o.n_viols == 0, "reply #1 answers request #1 (%u)", o.n_viols);
    /* set rates: never pending, never unanswered */
    dec_ctx(s, seed[17], seed_n[17], CS_DIR_TO_DEVICE, 1, 3000, 5, false);
    CHECK(!o.pending && o.n_viols == 0, "set rates expects no reply");
    /* the heartbeat ack without a heartbeat: unsolicited */
    dec_ctx(s, seed[11], seed_n[11], CS_DIR_TO_DEVICE, 1, 4000, 6, false);
    CHECK(count_code("evpile.response.unsolicited") == 1, "unsolicited heartbeat ack");
    /* a card auth left unanswered */
    dec_ctx(s, seed[15], seed_n[15], CS_DIR_TO_SERVER, 0, 5000, 7, false);
    CHECK(end_codes(s, "evpile.request.unanswered", fr, 8) == 1 && fr[0] == 7,
          "only the card auth is unanswered at the end");
    sess_free(s);

    /* set rates with a reply after all: linked */
    s = sess_new(true);
    dec_ctx(s, seed[17], seed_n[17], CS_DIR_TO_DEVICE, 1, 0, 1, false);
    uint8_t b[600];
    size_t n = mk(b, 0x05, 0x10, 0x01, "00");
    dec_ctx(s, b, n, CS_DIR_TO_SERVER, 0, 100, 2, false);
    CHECK(o.req_frame == 1 && o.n_viols == 0, "a set rates reply links to its request");
    /* 40 set rates: none reported when the table overflows */
    for (uint32_t i = 0; i < 40; i++) {
        dec_ctx(s, seed[17], seed_n[17], CS_DIR_TO_DEVICE, 1, 200 + i, 3 + i, false);
        CHECK(o.n_viols == 0, "set rates %u: no violation", i);
    }
    CHECK(end_codes(s, "evpile.request.unanswered", fr, 8) == 0, "no set rates unanswered");
    sess_free(s);

    /* the reply's addresses must be the request's points */
    s = sess_new(true);
    dec_ctx(s, seed[4], seed_n[4], CS_DIR_TO_DEVICE, 1, 0, 1, false);
    dec_ctx(s, seed[7], seed_n[7], CS_DIR_TO_SERVER, 0, 100, 2, false);
    CHECK(count_code("evpile.points.mismatch") == 1 && o.req_frame == 1, "42 points, 44 items");
    dec_ctx(s, seed[13], seed_n[13], CS_DIR_TO_DEVICE, 1, 200, 3, false);
    dec_ctx(s, seed[14], seed_n[14], CS_DIR_TO_SERVER, 0, 300, 4, false);
    CHECK(o.n_viols == 0 && o.req_frame == 3, "real-time reply matches");
    sess_free(s);

    /* heartbeat timing: the announced period, or the preference */
    s = sess_new(true);
    dec_ctx(s, seed[1], seed_n[1], CS_DIR_TO_SERVER, 0, 1000, 1, false);
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_SERVER, 0, 31000, 2, false);
    CHECK(count_code("evpile.heartbeat.late") == 0 && item(EF_HB_GAP) &&
              item(EF_HB_GAP)->v.i == 30000000000LL && item(EF_HB_EXPECTED)->v.u == 30,
          "on time after the login");
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_SERVER, 0, 76000, 3, false);
    CHECK(count_code("evpile.heartbeat.late") == 0, "45 s is within 30 s + 50 %%");
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_SERVER, 0, 121001, 4, false);
    CHECK(count_code("evpile.heartbeat.late") == 1, "45.001 s is late");
    n = mk(b, 0x01, 0x10, 0x02, "3c01000000"); /* announces 60 s */
    dec_ctx(s, b, n, CS_DIR_TO_SERVER, 0, 171001, 5, false);
    CHECK(count_code("evpile.heartbeat.late") == 0 && item(EF_HB_EXPECTED)->v.u == 60,
          "50 s within an announced 60 s");
    sess_free(s);
    opts[EO_HB_ANNOUNCED] = 0;
    opts[EO_HB_INTERVAL] = 20;
    s = sess_new(true);
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_SERVER, 0, 1000, 1, false);
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_SERVER, 0, 32000, 2, false);
    CHECK(count_code("evpile.heartbeat.late") == 1 && item(EF_HB_EXPECTED)->v.u == 20,
          "the preference when the announcement is ignored");
    sess_free(s);
    cs_opts_default(P, opts);

    /* direction: a mismatch with the handshake, once per conversation */
    s = sess_new(true);
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_DEVICE, 1, 0, 1, false);
    CHECK(count_code("evpile.direction.mismatch") == 1 && o.dir == CS_DIR_TO_SERVER,
          "the source byte wins, the mismatch is reported");
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_TO_DEVICE, 1, 30000, 2, false);
    CHECK(count_code("evpile.direction.mismatch") == 0, "only once");
    sess_free(s);
    /* learned: a later frame with an unknown source byte from the same side */
    s = sess_new(false);
    dec_ctx(s, seed[10], seed_n[10], CS_DIR_UNKNOWN, 0, 0, 1, false);
    n = mk(b, 0x01, 0x20, 0x02, "1e01000000");
    dec_ctx(s, b, n, CS_DIR_UNKNOWN, 0, 30000, 2, false);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.dir_source == CS_DS_LEARNED, "learned direction");
    /* dir_override (later passes) wins */
    cs_ctx ctx = {0};
    ctx.dir_override = CS_DIR_TO_DEVICE;
    ctx.dir_override_source = CS_DS_LEARNED;
    P->decode(NULL, opts, b, n, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_DEVICE && o.dir_source == CS_DS_LEARNED, "override honoured");
    sess_free(s);
}

/* ---- without items, and robustness ----------------------------------------------- */

/* Without items or Info: the same verdicts (want_parity.h), on every
 * seed frame and every corruption and cut of it. */
static void test_want(void)
{
    wp_state w;
    wp_init(&w, P, opts);
    for (int i = 1; i <= n_seeds; i++) {
        char where[32];
        snprintf(where, sizeof where, "seed %d", i);
        wp_mutate(&w, seed[i], seed_n[i], where);
    }
    CHECK(w.failures == 0 && w.violations > 0, "seeds: %u decodes, %u violations, %u differences",
          w.decodes, w.violations, w.failures);
    wp_free(&w);
}

static void check_bounds(const uint8_t *b, size_t n, const char *what, int k)
{
    (void)b;
    for (uint32_t i = 0; i < o.n_items; i++) {
        const cs_item *it = &o.items[i];
        if (it->offset + (uint64_t)it->length > n) {
            CHECK(0, "%s %d: item %s at %u+%u beyond %zu bytes", what, k,
                  P->fields[it->field].abbrev, it->offset, it->length, n);
            return;
        }
    }
}

static void test_robust(void)
{
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int runs = 0;
    for (int i = 1; i <= n_seeds; i++) {
        /* every cut, stream and whole */
        for (size_t cut = 0; cut <= seed_n[i]; cut++) {
            dec(seed[i], cut);
            check_bounds(seed[i], cut, "cut", (int)cut);
            dec_ctx(NULL, seed[i], cut, CS_DIR_UNKNOWN, 0, 0, 1, true);
            check_bounds(seed[i], cut, "whole cut", (int)cut);
            runs += 2;
        }
        /* random corruption, with a session */
        void *s = sess_new(true);
        for (int k = 0; k < 300; k++) {
            uint8_t b[400];
            memcpy(b, seed[i], seed_n[i]);
            int flips = 1 + (int)(rng % 4);
            for (int f = 0; f < flips; f++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                b[rng % seed_n[i]] = (uint8_t)(rng >> 32);
            }
            dec_ctx(s, b, seed_n[i], (cs_dir)(1 + k % 2), (uint8_t)(k % 2), k * 1000,
                    (uint32_t)k + 1, k % 3 == 0);
            check_bounds(b, seed_n[i], "flip", k);
            runs++;
        }
        P->sess_end(s, &o);
        sess_free(s);
    }
    CHECK(runs > 5000, "%d robustness runs", runs);
}

int main(int argc, char **argv)
{
    cs_opts_default(P, opts);
    cs_out_init(&o, CS_WANT_ITEMS | CS_WANT_INFO);
    load_seeds(argc > 1 ? argv[1] : "seed-frames.json");
    if (n_seeds == 19) {
        test_framing();
        test_probe();
        test_fields();
        test_violations();
        test_session();
        test_want();
        test_robust();
    }
    wp_test_samples(P, opts, CS_SAMPLES_DIR, 10);
    cs_out_free(&o);
    return CHECK_DONE();
}

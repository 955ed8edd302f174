/*
 * test_woshi - the Woshi definition through the library interface:
 * framing and resynchronisation, the heuristic, field values, the
 * violation rules, and the session rules.
 */
#include "check.h"
#include "want_parity.h"

#include "chargeproto.h"
#include "woshi.h"

#include <stdlib.h>
#include <string.h>

static const cs_proto *P = &woshi_proto;
static uint32_t opts[CS_MAX_OPTS];
static cs_out o;

/* Build a frame: header + payload, XOR computed unless ck >= 0. */
static size_t frame(uint8_t *out, uint8_t cmd, const char *payload_hex, int ck, uint32_t token)
{
    uint8_t pl[512];
    size_t n = cs_unhex(payload_hex, pl, sizeof pl);
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= pl[i];
    out[0] = (uint8_t)((n + 7) >> 8);
    out[1] = (uint8_t)(n + 7);
    out[2] = cmd;
    out[3] = 1;
    out[4] = ck >= 0 ? (uint8_t)ck : x;
    out[5] = (uint8_t)(token >> 24);
    out[6] = (uint8_t)(token >> 16);
    out[7] = (uint8_t)(token >> 8);
    out[8] = (uint8_t)token;
    memcpy(out + 9, pl, n);
    return n + 9;
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

static void dec(void *sess, const uint8_t *b, size_t n, cs_dir transport, uint8_t side, int64_t t_s,
                uint32_t frame_no)
{
    cs_ctx ctx = {0};
    ctx.frame = frame_no;
    ctx.ts_ns = t_s * 1000000000LL;
    ctx.transport_dir = (uint8_t)transport;
    ctx.side = side;
    ctx.tag = frame_no;
    P->decode(sess, opts, b, n, &ctx, &o);
}

static void test_framing(void)
{
    uint8_t b[256];
    size_t len, n = frame(b, 0x61, "", -1, 0x11223344);
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == 9, "heartbeat frames as a 9-byte PDU");
    CHECK(P->frame(b, 3, &len) == CS_FRAME_NEED && len == 4, "3 bytes: need 4");
    /* garbage, then a PDU: skip exactly to the PDU */
    uint8_t g[64] = {0xde, 0xad, 0xbe, 0xef, 0xff};
    memcpy(g + 5, b, n);
    CHECK(P->frame(g, n + 5, &len) == CS_FRAME_SKIP && len == 5, "skip 5 garbage bytes, got %zu",
          len);
    /* garbage with no header in view: keep the last 3 bytes */
    uint8_t z[10];
    memset(z, 0xFF, sizeof z);
    CHECK(P->frame(z, sizeof z, &len) == CS_FRAME_SKIP && len == 7, "keep 3 bytes, skip %zu", len);
    /* PacketLen below the header is not a PDU start */
    uint8_t small[9] = {0, 3, 0x61, 1, 0, 0x11, 0x22, 0x33, 0x44};
    CHECK(P->frame(small, 9, &len) == CS_FRAME_SKIP, "PacketLen 3 is garbage");
    /* unknown command with VSN 1 frames (and is flagged when decoded) */
    n = frame(b, 0x99, "0102", -1, 0x11223344);
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == n, "unknown command with VSN 1 frames");
    dec(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("woshi.cmd.unknown") == 1, "unknown command flagged");
}

static void test_probe(void)
{
    uint8_t b[512];
    size_t n = frame(b, 0x60, "55667788 0233 0011 524c3141303331373132303030303135 00", -1,
                     0x11223344);
    CHECK(P->probe(b, n, false), "a login is recognised");
    CHECK(!P->probe(b, n, true), "not on UDP");
    CHECK(P->probe(b, 20, false), "a login's first segment is recognised");
    /* two PDUs in one segment, both checked */
    size_t m = frame(b + n, 0x61, "", -1, 0x11223344);
    CHECK(P->probe(b, n + m, false), "login + heartbeat");
    b[n + 3] = 2; /* the second PDU's VSN */
    CHECK(!P->probe(b, n + m, false), "a bad second PDU rejects the segment");
    /* server with an ASCII token */
    n = frame(b, 0x64, "", 0, 0x31323334);
    CHECK(P->probe(b, n, false), "ASCII token accepted");
    n = frame(b, 0x64, "", 0, 0xdeadbeef);
    CHECK(!P->probe(b, n, false), "random token rejected");
    /* a shape that fits no direction */
    n = frame(b, 0x65, "0102030405", -1, 0x11223344);
    CHECK(!P->probe(b, n, false), "borrow with 5 bytes rejected");
    static const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(!P->probe((const uint8_t *)http, strlen(http), false), "HTTP rejected");
    uint8_t tls[16] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03};
    CHECK(!P->probe(tls, sizeof tls, false), "TLS rejected");
}

static void test_fields(void)
{
    uint8_t b[512];
    /* inventory response, BCD IDs */
    size_t n = frame(b, 0x64, "02 02 534d4248 98001922 04 03 534d4248 98001923 00", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.cksum == CS_CK_GOOD && o.n_viols == 0,
          "clean inventory (%u violations)", o.n_viols);
    const cs_item *t = item(WF_TERMINAL_ID);
    CHECK(t && !strcmp(cs_str(&o, t->str), "SMBH98001922"), "terminal id %s",
          t ? cs_str(&o, t->str) : "missing");
    CHECK(t && t->depth == 1 && t->offset == 11 && t->length == 8, "terminal id placement");
    CHECK(strstr(o.info, "Inventory: 2 power banks") != NULL, "info: %s", o.info);
    /* a RemainNum that disagrees with the entries */
    n = frame(b, 0x64, "03 02 534d4248 98001922 04", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(count_code("woshi.inventory.count") == 1, "count mismatch flagged");
    /* non-BCD terminal ID: hex and a note */
    n = frame(b, 0x66, "01 524c3141 7c000052", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    t = item(WF_TERMINAL_ID);
    CHECK(t && !strcmp(cs_str(&o, t->str), "RL1A7C000052"), "hex id");
    CHECK(count_code("woshi.terminal_id.not_bcd") == 1, "non-BCD note");
    /* strings: length overrun, missing NUL */
    n = frame(b, 0x62, "0009 412e30392e3031", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(count_code("woshi.string.len") == 1, "string overrun");
    n = frame(b, 0x62, "0004 41424344", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(count_code("woshi.string.nul") == 1, "missing NUL");
    const cs_item *sv = item(WF_SOFT_VER);
    CHECK(sv && !strcmp(cs_str(&o, sv->str), "ABCD"), "string value without NUL");
    /* login result names */
    n = frame(b, 0x60, "02", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(o.result == 2 && !strcmp(o.result_name, "Failed: time error"), "login result");
    n = frame(b, 0x60, "07", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("woshi.value.range") == 1, "login result 7 out of range");
    /* network info: CSQ 99 is valid, mode 4 is not */
    n = frame(b, 0x72, "63 00 07", -1, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(o.n_viols == 0, "CSQ 99 accepted");
    /* CSQ 100 and mode 4: each flagged at its own byte, with or without items */
    n = frame(b, 0x72, "64 00 04", -1, 0x11223344);
    cs_out lean;
    cs_out_init(&lean, 0);
    for (int k = 0; k < 2; k++) {
        cs_out *x = k ? &lean : &o;
        cs_ctx ctx = {.frame = 1, .transport_dir = CS_DIR_TO_SERVER};
        P->decode(NULL, opts, b, n, &ctx, x);
        CHECK(x->n_viols == 2 && x->viols[0].offset == 9 && x->viols[1].offset == 11 &&
                  !strcmp(cs_str(x, x->viols[0].msg), "CSQ 100 is outside 0-31 (or 99)"),
              "want %u: CSQ at byte 9 (%u violations, first at %u), mode at byte 11", x->want,
              x->n_viols, x->n_viols ? x->viols[0].offset : 0);
    }
    cs_out_free(&lean);
    /* every command the field names is one the decoder knows */
    for (const cs_vs *v = P->fields[WF_CMD].vals; v->name; v++) {
        n = frame(b, (uint8_t)v->value, "", -1, 0x11223344);
        dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
        CHECK(count_code("woshi.cmd.unknown") == 0 && o.cmd_name == v->name,
              "command 0x%02X is known", v->value);
    }
    for (unsigned c = 0; c < 256; c++) {
        if (cs_vs_find(P->fields[WF_CMD].vals, c))
            continue;
        n = frame(b, (uint8_t)c, "", -1, 0x11223344);
        dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
        CHECK(count_code("woshi.cmd.unknown") == 1, "command 0x%02X is unknown", c);
    }
    /* checksum: server habit vs cabinet fault vs disabled */
    n = frame(b, 0x62, "", 0x01, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("woshi.checksum.server_habit") == 1 && o.cksum == CS_CK_BAD, "server habit");
    n = frame(b, 0x66, "0102", 0x00, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("woshi.checksum.server_habit") == 1, "server-side 0x66 response");
    n = frame(b, 0x66, "01 534d4248 98001922", 0x00, 0x11223344);
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(count_code("woshi.checksum.bad") == 1, "cabinet fault");
    opts[WO_VERIFY_CHECKSUM] = 0;
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(o.cksum == CS_CK_UNVERIFIED && o.n_viols == 0, "verification off");
    opts[WO_VERIFY_CHECKSUM] = 1;
    /* token habits */
    n = frame(b, 0x64, "", -1, 0x34383237);
    dec(NULL, b, n, CS_DIR_TO_DEVICE, 1, 0, 1);
    CHECK(count_code("woshi.token.ascii") == 1 && count_code("woshi.token.unexpected") == 0,
          "ASCII token from the server is a note");
    /* VSN */
    n = frame(b, 0x61, "", -1, 0x11223344);
    b[3] = 2;
    dec(NULL, b, n, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(count_code("woshi.vsn.unexpected") == 1, "VSN 2 flagged");
    /* a stream PDU cut short: truncated, checksum unverified */
    n = frame(b, 0x64, "02 02 534d4248 98001922 04 03 534d4248 98001923 00", -1, 0x11223344);
    dec(NULL, b, 20, CS_DIR_TO_SERVER, 0, 0, 1);
    CHECK(count_code("woshi.len.truncated") == 1 && o.cksum == CS_CK_UNVERIFIED, "cut PDU");
    /* every protocol field and violation is defined */
    for (int i = 0; i < P->n_fields; i++)
        CHECK(P->fields[i].abbrev && !strncmp(P->fields[i].abbrev, "woshi.", 6), "field %d", i);
    for (int i = 0; i < P->n_violations; i++)
        CHECK(P->violations[i].code && !strncmp(P->violations[i].code, "woshi.", 6), "viol %d", i);
}

static void *new_sess(bool start_seen)
{
    void *s = calloc(1, P->sess_size);
    P->sess_init(s, opts, start_seen);
    return s;
}

static void test_sessions(void)
{
    uint8_t b[512];
    size_t n;
    void *s = new_sess(true);
    /* a command before login */
    n = frame(b, 0x61, "", -1, 0x11223344);
    dec(s, b, n, CS_DIR_TO_SERVER, 0, 1, 1);
    CHECK(count_code("woshi.login.missing") == 1, "heartbeat before login");
    dec(s, b, n, CS_DIR_TO_DEVICE, 1, 1, 1);
    CHECK(o.req_frame == 1 && count_code("woshi.login.missing") == 0, "its echo is not flagged");
    n = frame(b, 0x60, "55667788 0233 0003 4142 00", -1, 0x11223344);
    dec(s, b, n, CS_DIR_TO_SERVER, 0, 2, 2);
    CHECK(o.pending && o.n_viols == 0, "login is a pending request");
    n = frame(b, 0x60, "01", -1, 0x11223344);
    dec(s, b, n, CS_DIR_TO_DEVICE, 1, 3, 3);
    CHECK(o.req_frame == 2 && o.n_viols == 0, "login response answers frame 2");
    const cs_item *rt = item(WF_RESPONSE_TIME);
    CHECK(rt && rt->v.i == 1000000000LL, "response time 1 s");
    /* heartbeats: on time, then late */
    n = frame(b, 0x61, "", -1, 0x11223344);
    dec(s, b, n, CS_DIR_UNKNOWN, 0, 33, 4);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.dir_source == CS_DS_LEARNED, "heartbeat direction learned");
    CHECK(count_code("woshi.heartbeat.late") == 0 && count_code("woshi.login.missing") == 0,
          "on time after login");
    dec(s, b, n, CS_DIR_UNKNOWN, 1, 33, 5);
    CHECK(o.req_frame == 4, "echo answers the heartbeat");
    dec(s, b, n, CS_DIR_UNKNOWN, 0, 33 + 46, 6);
    CHECK(count_code("woshi.heartbeat.late") == 1, "46 s is late for 30 s + 50 %%");
    dec(s, b, n, CS_DIR_UNKNOWN, 1, 33 + 46, 7);
    /* the interval learned from 0x6A overrides the preference */
    n = frame(b, 0x6A, "", -1, 0x11223344);
    dec(s, b, n, CS_DIR_TO_DEVICE, 1, 80, 8);
    n = frame(b, 0x6A, "0002 6100 0002 3100 3c", -1, 0x11223344);
    dec(s, b, n, CS_DIR_TO_SERVER, 0, 80, 9);
    CHECK(o.req_frame == 8, "0x6A answered");
    n = frame(b, 0x61, "", -1, 0x11223344);
    dec(s, b, n, CS_DIR_UNKNOWN, 0, 79 + 60, 10);
    CHECK(count_code("woshi.heartbeat.late") == 0, "60 s is on time once 60 s is learned");
    const cs_item *hb = item(WF_HB_EXPECTED);
    CHECK(hb && hb->v.u == 60, "expected interval 60");
    dec(s, b, n, CS_DIR_UNKNOWN, 1, 79 + 60, 11);
    /* borrow with a slot mismatch; a response nobody asked for */
    n = frame(b, 0x65, "02", -1, 0x11223344);
    dec(s, b, n, CS_DIR_UNKNOWN, 1, 150, 12);
    n = frame(b, 0x65, "03 01 534d4248 98001922", -1, 0x11223344);
    dec(s, b, n, CS_DIR_UNKNOWN, 0, 151, 13);
    CHECK(o.req_frame == 12 && count_code("woshi.slot.mismatch") == 1, "slot mismatch");
    n = frame(b, 0x77, "05", -1, 0x11223344);
    dec(s, b, n, CS_DIR_UNKNOWN, 0, 152, 14);
    CHECK(count_code("woshi.response.unsolicited") == 1, "unsolicited volume response");
    /* requests never answered are reported at the end, on their frames */
    n = frame(b, 0x69, "", -1, 0x11223344);
    dec(s, b, n, CS_DIR_UNKNOWN, 1, 160, 15);
    CHECK(o.pending, "ICCID query pending");
    P->sess_end(s, &o);
    CHECK(o.n_viols == 1 && o.viols[0].frame == 15 && o.viols[0].tag == 15,
          "unanswered ICCID query on frame 15");
    free(s);

    /* mid-stream: no login expected; direction guessed from ports */
    s = new_sess(false);
    n = frame(b, 0x61, "", -1, 0x11223344);
    cs_ctx ctx = {.frame = 1, .ts_ns = 1, .side = 0, .src_port = 50002, .dst_port = 8992};
    P->decode(s, opts, b, n, &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_SERVER && o.dir_source == CS_DS_PORTS, "port guess");
    CHECK(count_code("woshi.login.missing") == 0, "mid-stream: no login rule");
    free(s);

    /* a full request table gives up its oldest request */
    s = new_sess(false);
    n = frame(b, 0x62, "", -1, 0x11223344);
    for (uint32_t i = 1; i <= 33; i++)
        dec(s, b, n, CS_DIR_TO_DEVICE, 1, i, i);
    CHECK(count_code("woshi.request.unanswered") == 1 && o.viols[0].frame == 1,
          "the 33rd request evicts frame 1");
    free(s);
}

int main(void)
{
    cs_opts_default(P, opts);
    cs_out_init(&o, CS_WANT_ITEMS | CS_WANT_INFO);
    test_framing();
    test_probe();
    test_fields();
    test_sessions();
    wp_test_samples(P, opts, CS_SAMPLES_DIR, 10);
    cs_out_free(&o);
    return CHECK_DONE();
}

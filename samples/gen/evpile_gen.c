/*
 * evpile_gen.c - EV charging pile (0x75 0x72) captures.
 *
 * evpile-session: one pile's login, time sync, parameter read, rates,
 *   card authentication, real-time data and bill upload, with heartbeats
 *   every 30 s; all frames correct; a frame split across three segments
 *   and several frames in one segment.  Most frames are the seed's own
 *   bytes (seed 004, appendix 7.1), so the pile clock and the capture agree:
 *   the login's BCD time 2017-11-10 14:46:30 (UTC+8) is the capture time.
 * evpile-faults: each fault the dissector reports, one per frame.
 */
#include "gen.h"

#include "chargeproto.h"

#include <string.h>

#define SEC 1000000000LL
#define MS 1000000LL
#define TERMINAL 0x0011201Eu /* 01122334 */
#define T_LOGIN 1510296390LL /* 2017-11-10 06:46:30 UTC = 14:46:30 UTC+8 */

/* The 19 example frames of seed 004 (protocol-facts 5), numbered as in
 * seed-frames.json; #5 carries the seed's bad checksum. */
static const char *const seedhex[20] = {
    /*  1 桩-->平台 登录包 */
    [1] = "75722e001e20110002100217201110144630050000000026050000000000000000000000"
          "0000000000000068f2020000",
    /*  2 桩-->平台 登录包 #2 */
    [2] = "75721e001e20110002100217201110145948050000000026050000680d030000",
    /*  3 平台-->桩 登录包应答 */
    [3] = "757233001e201100020001011c7000000000000000000000000000000000000000000000"
          "0000000000000000000000006861020000",
    /*  4 平台-->桩 获取终端数据 */
    [4] = "757264001e2011000400002a000100020003000400050006000700080009000a000b000c"
          "000d000e000f0010001100120013001400150016001700180019001a001b001c001d001e"
          "001f0020002100220023002400250026002700280029002c0068b9050000",
    /*  5 平台-->桩 获取终端数据 #2 */
    [5] = "757268001e2011000400002c000100020003000400050006000700080009000a000b000c"
          "000d000e000f0010001100120013001400150016001700180019001a001b001c001d001e"
          "001f0020002100220023002400250026002700280029002a002b002c00680e0c0000",
    /*  6 桩-->平台 返回终端数据 */
    [6] = "757212011e2011000410012a000100010002000401000000030004000000000400040000"
          "0000050004000000000600020000070008000000000000000008000100090001010a0001"
          "010b0004000000000c0004000000000d0004000000000e0004000000000f000400000000"
          "100002000011000400000000120004000000001300010014000200001500020000160002"
          "00001700020000180002000019000200001a000200001b000200001c000200001d000200"
          "001e000200001f0002000020000200002100020000220002000023000200002400020000"
          "2500020000260002000027000200002800020000290004000000002c0019303030303030"
          "303100000000000000000000000000000000006881070000",
    /*  7 桩-->平台 返回终端数据 #2 */
    [7] = "757242011e2011000410012c000100010002000401000000030004000000000400040000"
          "0000050004000000000600020000070008000000000000000008000100090001010a0001"
          "010b0004000000000c0004000000000d0004000000000e0004000000000f000400000000"
          "100004000000001100040000000012000400000000130001001400020000150002000016"
          "000200001700020000180002000019000200001a000200001b000200001c000200001d00"
          "0200001e000200001f000200002000020000210002000022000200002300020000240002"
          "00002500020000260002000027000200002800020000290004000000002a001400000000"
          "000000000000000000000000000000002b00140000000000000000000000000000000000"
          "0000002c0019303030303030303100000000000000000000000000000000006832080000",
    /*  8 平台-->桩 校时命令 */
    [8] = "757215001e2011000800001720111014464968b6020000",
    /*  9 桩-->平台 校时命令确认 */
    [9] = "75720f001e2011000810010068c6010000",
    /* 10 桩-->平台 心跳 */
    [10] = "757213001e2011000110021e0100000068e3010000",
    /* 11 平台-->桩 心跳确认 */
    [11] = "75720f001e2011000100010168b0010000",
    /* 12 平台-->桩 获取实时数据 */
    [12] = "75723e001e201100090100170003060406010b020b030b040b050b060b070b080b090b0a"
          "0b0b0b0c0b0d0b0e0b0f0b100b110b120b130b140b150b68de030000",
    /* 13 平台-->桩 获取实时数据 #2 */
    [13] = "75723e001e201100090000170003060406010b020b030b040b050b060b070b080b090b0a"
          "0b0b0b0c0b0d0b0e0b0f0b100b110b120b130b140b150b68dd030000",
    /* 14 桩-->平台 应答实时数据 */
    [14] = "7572bc001e201100091001170003060200000406020000010b0100020b14303030303030"
          "3030313233343536414200020000030b113130313434363332000000000000000000040b"
          "04db030000050b0461000000060b0464000000070b0482201100080b04e9030000090b04"
          "b00400000a0b01000b0b0800000000000000000c0b044c0400000d0b01700e0b01010f0b"
          "0100100b0400000000110b0400000000120b0100130b0440e20100140b0438150000150b"
          "04f72e000068ee100000",
    /* 15 桩-->平台 刷卡鉴权 */
    [15] = "757222001e20110030100230303030303030303132333435363738000000006826050000",
    /* 16 平台-->桩 应答刷卡鉴权 */
    [16] = "75723f001e2011003000013030303030303030313233343536373800000000f82a000000"
          "c80400001e00000000000000000000000000000000000000683e070000",
    /* 17 平台-->桩 设置费率(桩目前没有处理应答) */
    [17] = "757274001e2011000500001400150002dc00160002dc00170002dc00180002dc00190002"
          "dc001a0002dc001b0002dc001c0002dc001d0002dc001e0002dc001f0002000020000201"
          "0021000202002200020300230002040024000206002500020d0026000213002700021600"
          "280002170068aa0d0000",
    /* 18 桩-->平台 上传充电账单 */
    [18] = "75720b011e20110006100217000101010102010100030101700401143030303030303030"
          "3132333435363738003030300501113130313530333533000000000000000000060104f8"
          "2a0000070104db03000008010461000000090104640000000a0104010000000b01040100"
          "00000c0104000000000d0104000000000e0104b00400000f010100100101001101010012"
          "0101001301071720111015034414010717201110150354150104c8040000160104020000"
          "001701500100000001000000020000000200000003000000030000000400000004000000"
          "050000000500000006000000060000000700000007000000080000000800000009000000"
          "090000000a0000000a00000068a00f0000",
    /* 19 平台-->桩 上传充电账单确认 */
    [19] = "75721c001e2011000600011700c8040000020000000000000068a6020000",
};

void evpile_put(gbuf *out, uint32_t terminal, uint8_t cmd, uint8_t src, uint8_t type,
                const uint8_t *data, size_t n)
{
    size_t start = out->n;
    gb_put(out, "\x75\x72", 2);
    gb_le16(out, (uint16_t)(n + 14));
    gb_le32(out, terminal);
    gb_u8(out, cmd);
    gb_u8(out, src);
    gb_u8(out, type);
    gb_put(out, data, n);
    gb_u8(out, 0x68);
    gb_le32(out, cs_sum32(out->p + start, out->n - start));
}

typedef struct esess {
    gtcp t;
    gbuf a, d;
} esess;

/* One frame with data from hex into s->a (appended). */
static void frame_hex(esess *s, uint8_t cmd, uint8_t src, uint8_t type, const char *hex)
{
    gb_reset(&s->d);
    gb_hex(&s->d, hex);
    evpile_put(&s->a, TERMINAL, cmd, src, type, s->d.p, s->d.n);
}

/* Recompute the sum of the frame at s->a.p + start (ending s->a.n), after
 * a byte inside it was changed on purpose. */
static void resum(esess *s, size_t start)
{
    uint32_t sum = cs_sum32(s->a.p + start, s->a.n - start - 4);
    for (int i = 0; i < 4; i++)
        s->a.p[s->a.n - 4 + i] = (uint8_t)(sum >> (8 * i));
}

/* Send what s->a holds (and empty it). */
static void flush(esess *s, bool from_pile, const size_t *cuts)
{
    tcp_send(&s->t, from_pile, s->a.p, s->a.n, cuts);
    gb_reset(&s->a);
}

/* Seed frame k, alone in one send. */
static void send_seed(esess *s, bool from_pile, int k, const size_t *cuts)
{
    gb_reset(&s->a);
    gb_hex(&s->a, seedhex[k]);
    flush(s, from_pile, cuts);
}

static void send_hex(esess *s, bool from_pile, uint8_t cmd, uint8_t src, uint8_t type,
                     const char *hex)
{
    gb_reset(&s->a);
    frame_hex(s, cmd, src, type, hex);
    flush(s, from_pile, NULL);
}

/* Advance the clock to `t` (ns). */
static void at(esess *s, int64_t t) { gen_advance(s->t.cap, t - s->t.cap->now_ns); }

/* Seed frame `req` from one side, `think` ms later seed frame `reply`
 * from the other. */
static void seed_pair(esess *s, bool req_from_pile, int req, int64_t think, int reply)
{
    send_seed(s, req_from_pile, req, NULL);
    gen_advance(s->t.cap, think * MS);
    send_seed(s, !req_from_pile, reply, NULL);
}

/* A platform command `cmd` with data req_hex, 150 ms later the pile's
 * response with data reply_hex. */
static void hex_pair(esess *s, uint8_t cmd, const char *req_hex, const char *reply_hex)
{
    send_hex(s, false, cmd, 0x00, 0x00, req_hex);
    gen_advance(s->t.cap, 150 * MS);
    send_hex(s, true, cmd, 0x10, 0x01, reply_hex);
}

static void heartbeat(esess *s) { seed_pair(s, true, 10, 35, 11); }

/* Seed #5's 44 points, with the checksum the seed should have printed. */
static const char points44[] =
    "2c00 0100 0200 0300 0400 0500 0600 0700 0800 0900 0a00 0b00 0c00 0d00 0e00 0f00 1000"
    " 1100 1200 1300 1400 1500 1600 1700 1800 1900 1a00 1b00 1c00 1d00 1e00 1f00 2000 2100"
    " 2200 2300 2400 2500 2600 2700 2800 2900 2a00 2b00 2c00";

int gen_evpile_session(const char *path, uint64_t seed)
{
    (void)seed; /* fully scripted */
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, T_LOGIN * SEC - 200 * MS);
    if (!cap)
        return 1;
    esess s = {0};
    tcp_init(&s.t, cap, "10.30.0.21", 40321, "47.97.31.5", 8602, 0x5000, 0x6A000000);
    tcp_handshake(&s.t);
    int64_t t0 = T_LOGIN * SEC;
    at(&s, t0);

    /* login (seed #1, 14:46:30) split across two segments, and its reply */
    static const size_t login_cuts[] = {20, 0};
    send_seed(&s, true, 1, login_cuts);
    gen_advance(cap, 60 * MS);
    send_seed(&s, false, 3, NULL);

    /* time sync at 14:46:49 (seed #8) and its confirmation */
    at(&s, t0 + 19 * SEC);
    seed_pair(&s, false, 8, 40, 9);

    /* parameter read #1; the 276-byte reply in three segments */
    at(&s, t0 + 25 * SEC);
    send_seed(&s, false, 4, NULL);
    gen_advance(cap, 180 * MS);
    static const size_t reply_cuts[] = {100, 100, 0};
    send_seed(&s, true, 6, reply_cuts);

    /* rates: the pile does not answer (seed label) */
    at(&s, t0 + 27 * SEC);
    send_seed(&s, false, 17, NULL);

    at(&s, t0 + 30 * SEC);
    heartbeat(&s);

    /* a card is presented: authentication and its reply */
    at(&s, t0 + 38 * SEC);
    seed_pair(&s, true, 15, 120, 16);

    /* real-time data while charging */
    at(&s, t0 + 45 * SEC);
    seed_pair(&s, false, 13, 150, 14);

    at(&s, t0 + 60 * SEC);
    heartbeat(&s);

    /* the other real-time request (source byte 0x01) */
    at(&s, t0 + 70 * SEC);
    seed_pair(&s, false, 12, 150, 14);

    /* heartbeat and bill upload in one segment; ack and confirmation in
     * one segment */
    at(&s, t0 + 90 * SEC);
    gb_reset(&s.a);
    gb_hex(&s.a, seedhex[10]);
    gb_hex(&s.a, seedhex[18]);
    flush(&s, true, NULL);
    gen_advance(cap, 70 * MS);
    gb_hex(&s.a, seedhex[11]);
    gb_hex(&s.a, seedhex[19]);
    flush(&s, false, NULL);

    /* parameter read #2 (seed #5's points, checksum corrected) */
    at(&s, t0 + 100 * SEC);
    send_hex(&s, false, 0x04, 0x00, 0x00, points44);
    gen_advance(cap, 200 * MS);
    send_seed(&s, true, 7, NULL);

    at(&s, t0 + 120 * SEC);
    heartbeat(&s);
    gen_advance(cap, 3 * SEC);
    tcp_close(&s.t, true);

    gb_free(&s.a);
    gb_free(&s.d);
    return gen_close(cap) ? 1 : 0;
}

int gen_evpile_faults(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, (T_LOGIN + 3600) * SEC);
    if (!cap)
        return 1;
    esess s = {0};

    /* 1. A pile captured from its handshake. */
    tcp_init(&s.t, cap, "10.30.0.22", 40500, "47.97.31.5", 8602, 0x7000, 0x7B000000);
    tcp_handshake(&s.t);
    int64_t t0 = cap->now_ns + 100 * MS;
    at(&s, t0);
    seed_pair(&s, true, 2, 60, 3); /* the 16-byte login */

    /* the seed's bad checksum (#5), answered correctly (#7) */
    gen_advance(cap, 2 * SEC);
    seed_pair(&s, false, 5, 200, 7);

    /* garbage (with a 75 72 of length 1 in it) before a heartbeat; the
     * ack has no end marker (its sum is right) */
    at(&s, t0 + 20 * SEC);
    gb_reset(&s.a);
    gb_hex(&s.a, "de ad be ef 75 72 01 00");
    gb_hex(&s.a, seedhex[10]);
    flush(&s, true, NULL);
    gen_advance(cap, 35 * MS);
    gb_hex(&s.a, seedhex[11]);
    s.a.p[s.a.n - 5] = 0x00;
    resum(&s, 0);
    flush(&s, false, NULL);

    /* a time sync whose length is 2 too large, 2 bytes of padding after
     * it in the same segment; then its confirmation */
    gen_advance(cap, 2 * SEC);
    frame_hex(&s, 0x08, 0x00, 0x00, "17 20 11 10 15 47 02");
    s.a.p[2] += 2;
    resum(&s, 0);
    gb_hex(&s.a, "00 00");
    flush(&s, false, NULL);
    gen_advance(cap, 40 * MS);
    send_seed(&s, true, 9, NULL);

    /* an unknown command from the platform */
    gen_advance(cap, 1 * SEC);
    send_hex(&s, false, 0x33, 0x00, 0x00, "01 02");

    /* an impossible time (month 13), confirmed anyway */
    gen_advance(cap, 1 * SEC);
    hex_pair(&s, 0x08, "17 20 13 10 15 47 06", "00");

    /* real-time data whose last item overruns the data */
    gen_advance(cap, 1 * SEC);
    hex_pair(&s, 0x09, "0300 040b 050b 060b",
             "0300 040b 04 db030000 050b 04 61000000 060b 04 6400");

    /* a point list that overruns (count 5, 3 addresses) */
    gen_advance(cap, 1 * SEC);
    hex_pair(&s, 0x09, "0500 040b 050b 060b",
             "0300 040b 04 db030000 050b 04 61000000 060b 04 64000000");

    /* a reply whose count (3) disagrees with its items (2) */
    gen_advance(cap, 1 * SEC);
    hex_pair(&s, 0x04, "0200 1500 1600", "0300 1500 02 dc00 1600 02 dc00");

    /* a reply with other addresses than the request's points */
    gen_advance(cap, 1 * SEC);
    hex_pair(&s, 0x09, "0200 040b 050b", "0200 040b 04 db030000 060b 04 64000000");

    /* a card number cut to 10 bytes; the platform answers it */
    gen_advance(cap, 2 * SEC);
    send_hex(&s, true, 0x30, 0x10, 0x02, "30303030303030303132");
    gen_advance(cap, 120 * MS);
    send_seed(&s, false, 16, NULL);

    /* a heartbeat 65 s after the previous one; an ack with 2 extra bytes */
    at(&s, t0 + 85 * SEC);
    send_seed(&s, true, 10, NULL);
    gen_advance(cap, 35 * MS);
    send_hex(&s, false, 0x01, 0x00, 0x01, "01 00 00");

    /* a heartbeat with frame type 0x07 */
    gen_advance(cap, 2 * SEC);
    send_hex(&s, true, 0x01, 0x10, 0x07, "1e 01000000");

    /* a time sync whose source byte says "pile" though the platform sends
     * it; the pile confirms */
    gen_advance(cap, 2 * SEC);
    send_hex(&s, false, 0x08, 0x10, 0x00, "17 20 11 10 15 47 30");
    gen_advance(cap, 40 * MS);
    send_seed(&s, true, 9, NULL);

    /* a heartbeat with source byte 0x20 (direction from the handshake) */
    at(&s, t0 + 100 * SEC);
    send_hex(&s, true, 0x01, 0x20, 0x02, "1e 01000000");
    gen_advance(cap, 35 * MS);
    send_seed(&s, false, 11, NULL);

    /* a bill confirmation nobody asked for */
    gen_advance(cap, 2 * SEC);
    send_seed(&s, false, 19, NULL);

    /* rates (never answered, by design) and a card authentication that
     * is never answered */
    gen_advance(cap, 2 * SEC);
    send_seed(&s, false, 17, NULL);
    gen_advance(cap, 1 * SEC);
    send_seed(&s, true, 15, NULL);

    /* a heartbeat cut short by the end of the connection */
    gen_advance(cap, 10 * SEC);
    gb_reset(&s.a);
    gb_hex(&s.a, seedhex[10]);
    tcp_send(&s.t, true, s.a.p, 12, NULL);
    gen_advance(cap, 1 * SEC);
    tcp_close(&s.t, true);

    /* 2. A pile captured mid-stream: no handshake; the source byte
     * decides, and a frame with an unknown one takes its side's. */
    gen_advance(cap, 2 * SEC);
    tcp_init(&s.t, cap, "10.30.0.23", 40777, "47.97.31.5", 8602, 0x9000, 0x9C000000);
    heartbeat(&s);
    gen_advance(cap, 30 * SEC);
    send_hex(&s, true, 0x01, 0x30, 0x02, "1e 01000000");
    gen_advance(cap, 35 * MS);
    send_seed(&s, false, 11, NULL);

    gb_free(&s.a);
    gb_free(&s.d);
    return gen_close(cap) ? 1 : 0;
}

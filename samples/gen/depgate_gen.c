/*
 * depgate_gen.c - dEpGate "EC" gateway captures.
 *
 * depgate-session: a gateway on port 8003 pushing a heartbeat, three
 *   minutes of real-time data for an AC pile and a two-gun DC pile, and
 *   consumption records; all PDUs correct and on time, segmentation varied.
 * depgate-faults: every structural fault, garbage and resynchronisation,
 *   server traffic, timing gaps, the document's fixed-field layout, and a
 *   clean gateway on another port found by the heuristic.
 */
#include "gen.h"

#include <string.h>

#define SEC 1000000000LL
#define MS 1000000LL

#define HB 101
#define RT 1001
#define REC 1005

#define AC_PILE "3301020304050607"
#define DC_PILE "3301020304050702"

/* ---- bodies ------------------------------------------------------------ */

/* One PDU: "EC", length, command, body. */
static void dg_put(gbuf *out, uint16_t cmd, const gbuf *body)
{
    size_t n = body ? body->n : 0;
    gb_put(out, "EC", 2);
    gb_be16(out, (uint16_t)(n + 2));
    gb_be16(out, cmd);
    if (n)
        gb_put(out, body->p, n);
}

/* A string as the reference server writes it: u16 length + bytes.  With
 * fixed > 0, the document's layout: the length, then a field of `fixed`
 * bytes padded with NULs. */
static void dg_str(gbuf *b, const char *s, size_t fixed)
{
    size_t n = strlen(s);
    gb_be16(b, (uint16_t)n);
    gb_put(b, s, n);
    for (size_t i = n; i < fixed; i++)
        gb_u8(b, 0);
}

typedef struct pt {
    uint16_t addr;
    uint8_t type;
    uint32_t value;
} pt;

static void dg_point(gbuf *b, const pt *p)
{
    gb_be16(b, p->addr);
    gb_u8(b, p->type);
    if (p->type == 3)
        gb_be16(b, (uint16_t)p->value);
    else if (p->type == 4)
        gb_be32(b, p->value);
    else
        gb_u8(b, (uint8_t)p->value);
}

/* Real-time data; count < 0: the number of points given. */
static void rt_body(gbuf *b, const char *pile, size_t fixed, uint8_t gun, uint8_t type,
                    const pt *pts, size_t n, int count)
{
    gb_reset(b);
    gb_be32(b, 1000);
    dg_str(b, pile, fixed);
    gb_u8(b, gun);
    gb_u8(b, type);
    gb_be16(b, (uint16_t)(count < 0 ? (int)n : count));
    for (size_t i = 0; i < n; i++)
        dg_point(b, &pts[i]);
}

typedef struct rec {
    const char *pile;
    uint8_t gun;
    const char *serial;
    uint32_t start, end, energy, amount, fee;
} rec;

static void rec_body(gbuf *b, const rec *r, size_t pile_fixed, size_t serial_fixed)
{
    gb_reset(b);
    gb_be32(b, 1000);
    dg_str(b, r->pile, pile_fixed);
    gb_u8(b, r->gun);
    dg_str(b, r->serial, serial_fixed);
    gb_be32(b, r->start);
    gb_be32(b, r->end);
    gb_be32(b, r->energy);
    gb_be32(b, r->amount);
    gb_be32(b, r->fee);
}

typedef struct dsess {
    gtcp t;
    gbuf a, body;
} dsess;

/* One PDU from the gateway (from_gw) or the server, cut as `cuts` says. */
static void send_pdu(dsess *s, bool from_gw, uint16_t cmd, const gbuf *body, const size_t *cuts)
{
    gb_reset(&s->a);
    dg_put(&s->a, cmd, body);
    tcp_send(&s->t, from_gw, s->a.p, s->a.n, cuts);
}

/* Wait until `at` seconds after t0. */
static void at(gcap *cap, int64_t t0, int64_t ms)
{
    int64_t target = t0 + ms * MS;
    if (target > cap->now_ns)
        gen_advance(cap, target - cap->now_ns);
}

/* ---- the session ---------------------------------------------------------- */

/* Minute m of real-time data: the AC pile (gun 1) and the DC pile's two
 * guns, values drifting from minute to minute. */
static void rt_round(dsess *s, grng *r, int64_t t0, int64_t ms, int m)
{
    gcap *cap = s->t.cap;
    const pt ac[] = {
        {1, 1, 1},
        {1, 3, 3},
        {41, 3, 2198 + rng_range(r, 0, 9)},
        {44, 3, 318 - (uint32_t)m},
        {1, 4, 1234567 + 60u * (uint32_t)m},
    };
    const pt dc1[] = {
        {1, 1, 1},
        {5, 1, 1},
        {7, 1, 0},
        {2, 2, 1},
        {13, 2, 2},
        {1, 3, 3},
        {2, 3, 0},
        {3, 3, 4105 + rng_range(r, 0, 5)},
        {4, 3, 1250 - 2u * (uint32_t)m},
        {5, 3, 67 + 2u * (uint32_t)m},
        {7, 3, 35 - (uint32_t)m},
        {50, 3, 41},
        {1, 4, 9876543 + 400u * (uint32_t)m},
    };
    const pt dc2[] = {
        {1, 1, 0},
        {1, 3, 2},
        {3, 3, 0},
        {4, 3, 0},
        {5, 3, 0},
        {1, 4, 5550001},
    };
    at(cap, t0, ms);
    rt_body(&s->body, AC_PILE, 0, 1, 14, ac, 5, -1);
    send_pdu(s, true, RT, &s->body, NULL);
    at(cap, t0, ms + 100);
    rt_body(&s->body, DC_PILE, 0, 1, 5, dc1, 13, -1);
    if (m == 1) {
        /* both DC guns in one segment */
        gb_reset(&s->a);
        dg_put(&s->a, RT, &s->body);
        rt_body(&s->body, DC_PILE, 0, 2, 5, dc2, 6, -1);
        dg_put(&s->a, RT, &s->body);
        tcp_send(&s->t, true, s->a.p, s->a.n, NULL);
        return;
    }
    static const size_t cuts[] = {20, 0};
    send_pdu(s, true, RT, &s->body, m == 0 ? cuts : NULL);
    at(cap, t0, ms + 200);
    rt_body(&s->body, DC_PILE, 0, 2, 5, dc2, 6, -1);
    send_pdu(s, true, RT, &s->body, NULL);
}

int gen_depgate_session(const char *path, uint64_t seed)
{
    grng r;
    rng_seed(&r, seed);
    const int64_t t0 = 1730300000LL * SEC;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, t0);
    if (!cap)
        return 1;
    dsess s = {0};
    tcp_init(&s.t, cap, "10.30.0.8", 52011, "47.97.1.10", 8003, 0x5000, 0xB0000000);
    tcp_handshake(&s.t);
    at(cap, t0, 50);
    send_pdu(&s, true, HB, NULL, NULL);

    rt_round(&s, &r, t0, 2000, 0);
    rt_round(&s, &r, t0, 62000, 1);

    /* DC gun 2 finished charging: its record */
    const uint32_t now = 1730300000u;
    rec r1 = {DC_PILE, 2, "33010203040507020217302962001", now - 3650, now - 50, 12345, 2500, 300};
    at(cap, t0, 70000);
    rec_body(&s.body, &r1, 0, 0);
    send_pdu(&s, true, REC, &s.body, NULL);

    /* two earlier records together in one segment */
    rec r2 = {AC_PILE, 1, "3301020304050607011730280001", now - 21600, now - 14400, 7020, 1053,
              210};
    rec r3 = {DC_PILE, 1, "33010203040507020117302880", now - 12000, now - 9000, 30500, 4575,
              915};
    at(cap, t0, 95000);
    gb_reset(&s.a);
    rec_body(&s.body, &r2, 0, 0);
    dg_put(&s.a, REC, &s.body);
    rec_body(&s.body, &r3, 0, 0);
    dg_put(&s.a, REC, &s.body);
    tcp_send(&s.t, true, s.a.p, s.a.n, NULL);

    rt_round(&s, &r, t0, 122000, 2);

    /* a minute without anything to say: a heartbeat */
    at(cap, t0, 182200);
    send_pdu(&s, true, HB, NULL, NULL);
    at(cap, t0, 183000);
    tcp_close(&s.t, true);

    gb_free(&s.a);
    gb_free(&s.body);
    return gen_close(cap) ? 1 : 0;
}

/* ---- the faults ------------------------------------------------------------- */

static const pt five[] = {
    {1, 1, 1}, {1, 3, 3}, {41, 3, 2201}, {44, 3, 316}, {1, 4, 1240000},
};

int gen_depgate_faults(const char *path, uint64_t seed)
{
    (void)seed;
    const int64_t t0 = 1730400000LL * SEC;
    const uint32_t now = 1730400000u;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, t0);
    if (!cap)
        return 1;
    dsess s = {0};

    /* 1. Structure: one fault per PDU, in one connection on port 8003. */
    tcp_init(&s.t, cap, "10.30.0.21", 52101, "47.97.1.10", 8003, 0x6000, 0xC0000000);
    tcp_handshake(&s.t);
    at(cap, t0, 100);
    send_pdu(&s, true, HB, NULL, NULL);
    /* real-time data with 3 bytes after its points */
    at(cap, t0, 1000);
    rt_body(&s.body, AC_PILE, 0, 1, 14, five, 5, -1);
    gb_put(&s.body, "\x00\x01\x03", 3);
    send_pdu(&s, true, RT, &s.body, NULL);
    /* point count 6, five points present */
    at(cap, t0, 2000);
    rt_body(&s.body, AC_PILE, 0, 1, 14, five, 5, 6);
    send_pdu(&s, true, RT, &s.body, NULL);
    /* an unknown point type (9) as the third point */
    at(cap, t0, 3000);
    {
        const pt bad[] = {{1, 1, 1}, {1, 3, 3}, {41, 9, 7}, {44, 3, 316}};
        rt_body(&s.body, DC_PILE, 0, 1, 5, bad, 4, -1);
    }
    send_pdu(&s, true, RT, &s.body, NULL);
    /* a consumption record whose length leaves out the service fee */
    rec good = {DC_PILE, 1, "33010203040507020117304001", now - 5400, now - 60, 20480, 3277, 655};
    at(cap, t0, 4000);
    rec_body(&s.body, &good, 0, 0);
    s.body.n -= 4;
    send_pdu(&s, true, REC, &s.body, NULL);
    /* a serial whose length (200) runs past the body */
    at(cap, t0, 5000);
    rec_body(&s.body, &good, 0, 0);
    s.body.p[4 + 2 + 16 + 1] = 0;
    s.body.p[4 + 2 + 16 + 2] = 200;
    send_pdu(&s, true, REC, &s.body, NULL);
    /* an unknown command with a 4-byte body */
    at(cap, t0, 6000);
    gb_reset(&s.body);
    gb_be32(&s.body, 0x01020304);
    send_pdu(&s, true, 2002, &s.body, NULL);
    /* a heartbeat with a body */
    at(cap, t0, 7000);
    gb_reset(&s.body);
    gb_be16(&s.body, 0xBEEF);
    send_pdu(&s, true, HB, &s.body, NULL);
    /* garbage, then a heartbeat in the same segment */
    at(cap, t0, 8000);
    gb_reset(&s.a);
    gb_hex(&s.a, "de ad be ef 45 00 ff");
    dg_put(&s.a, HB, NULL);
    tcp_send(&s.t, true, s.a.p, s.a.n, NULL);
    /* a length of 1 (no room for the command), then a heartbeat */
    at(cap, t0, 9000);
    gb_reset(&s.a);
    gb_hex(&s.a, "45 43 00 01 03");
    dg_put(&s.a, HB, NULL);
    tcp_send(&s.t, true, s.a.p, s.a.n, NULL);
    /* the server's heartbeat (4.1 d), and real-time data from the server */
    at(cap, t0, 10000);
    send_pdu(&s, false, HB, NULL, NULL);
    at(cap, t0, 11000);
    rt_body(&s.body, AC_PILE, 0, 1, 14, five, 5, -1);
    send_pdu(&s, false, RT, &s.body, NULL);
    /* the document's layout: a 10-character pile code in a 16-byte field */
    at(cap, t0, 12000);
    rt_body(&s.body, "3301020304", 16, 1, 14, five, 5, -1);
    send_pdu(&s, true, RT, &s.body, NULL);
    /* ... and a 20-character serial in a 32-byte field */
    at(cap, t0, 13000);
    {
        rec fx = {DC_PILE, 2, "33010203040507020217", now - 4000, now - 100, 8800, 1320, 264};
        rec_body(&s.body, &fx, 16, 32);
    }
    send_pdu(&s, true, REC, &s.body, NULL);
    /* a record ending before it starts, and one with zero energy */
    at(cap, t0, 14000);
    {
        rec back = {AC_PILE, 1, "3301020304050607011730400002", now - 100, now - 3700, 5000, 750,
                    150};
        rec_body(&s.body, &back, 0, 0);
    }
    send_pdu(&s, true, REC, &s.body, NULL);
    at(cap, t0, 15000);
    {
        rec zero = {AC_PILE, 1, "3301020304050607011730400003", now - 600, now - 30, 0, 0, 0};
        rec_body(&s.body, &zero, 0, 0);
    }
    send_pdu(&s, true, REC, &s.body, NULL);
    /* a PDU cut short by the end of the connection */
    at(cap, t0, 16000);
    rt_body(&s.body, AC_PILE, 0, 1, 14, five, 5, -1);
    gb_reset(&s.a);
    dg_put(&s.a, RT, &s.body);
    tcp_send(&s.t, true, s.a.p, 15, NULL);
    at(cap, t0, 17000);
    tcp_close(&s.t, true);

    /* 2. Timing, on port 8003: a late real-time report, a missing
     *    heartbeat, and a silence the server should have ended. */
    const int64_t t1 = t0 + 30 * SEC;
    tcp_init(&s.t, cap, "10.30.0.22", 52102, "47.97.1.10", 8003, 0x7000, 0xD0000000);
    at(cap, t1, 0);
    tcp_handshake(&s.t);
    static const struct {
        int64_t ms;
        uint16_t cmd;
        const char *pile;
        uint8_t gun, type;
    } timeline[] = {
        {100, HB, NULL, 0, 0},
        {5000, RT, AC_PILE, 1, 14},
        {55000, HB, NULL, 0, 0},
        {65000, RT, AC_PILE, 1, 14},  /* 60 s after the previous: on time */
        {115000, HB, NULL, 0, 0},
        {140000, RT, AC_PILE, 1, 14}, /* 75 s: late */
        {190000, HB, NULL, 0, 0},
        {275000, HB, NULL, 0, 0},     /* 85 s of gateway silence: a heartbeat was due */
        {425000, RT, DC_PILE, 2, 5},  /* 150 s: the server should have closed the link */
    };
    for (size_t i = 0; i < sizeof timeline / sizeof timeline[0]; i++) {
        at(cap, t1, timeline[i].ms);
        if (timeline[i].cmd == HB) {
            send_pdu(&s, true, HB, NULL, NULL);
        } else {
            rt_body(&s.body, timeline[i].pile, 0, timeline[i].gun, timeline[i].type, five, 5,
                    -1);
            send_pdu(&s, true, RT, &s.body, NULL);
        }
    }
    at(cap, t1, 426000);
    tcp_close(&s.t, false);

    /* 3. A clean gateway on port 9100: found by the heuristic. */
    const int64_t t2 = t1 + 430 * SEC;
    tcp_init(&s.t, cap, "10.30.0.23", 52103, "47.97.1.11", 9100, 0x8000, 0xE0000000);
    at(cap, t2, 0);
    tcp_handshake(&s.t);
    at(cap, t2, 100);
    send_pdu(&s, true, HB, NULL, NULL);
    at(cap, t2, 2000);
    rt_body(&s.body, AC_PILE, 0, 1, 14, five, 5, -1);
    send_pdu(&s, true, RT, &s.body, NULL);
    at(cap, t2, 3000);
    rec_body(&s.body, &good, 0, 0);
    send_pdu(&s, true, REC, &s.body, NULL);
    at(cap, t2, 4000);
    tcp_close(&s.t, true);

    /* 4. Mid-stream on port 8003 (no handshake): the server's heartbeat
     *    first, then the gateway. */
    const int64_t t3 = t2 + 10 * SEC;
    tcp_init(&s.t, cap, "10.30.0.24", 52104, "47.97.1.10", 8003, 0x9000, 0xF0000000);
    at(cap, t3, 0);
    send_pdu(&s, false, HB, NULL, NULL);
    at(cap, t3, 1000);
    rt_body(&s.body, DC_PILE, 0, 1, 5, five, 5, -1);
    send_pdu(&s, true, RT, &s.body, NULL);
    at(cap, t3, 2000);
    send_pdu(&s, true, HB, NULL, NULL);

    gb_free(&s.a);
    gb_free(&s.body);
    return gen_close(cap) ? 1 : 0;
}

/*
 * edge_gen.c - captures for chargecap's own tests (not committed samples):
 *
 * tcp-edges: one Woshi cabinet per connection, each connection one TCP
 *   edge case (client port 51001 + n, address 10.30.0.1n):
 *     1 out of order       2 retransmission      3 overlap with other bytes
 *     4 gap inside a PDU   5 picked up mid-stream 6 sequence numbers wrap
 *     7 IPv4 fragments (reversed)                8 reset, then the ports reused
 * garbage-runs: runs of 1, 2, 3 and 5 bytes of garbage between PDUs, and
 *   one run alone in its segment (both tools must call them garbage).
 * hostile-ids: cabinets whose BoxIDs are paths, escapes and long strings.
 * many-sessions: 300 cabinets at once, some of them falling silent.
 */
#include "gen.h"

#include "chargeproto.h"

#include <stdio.h>
#include <string.h>

#define TOKEN 0x11223344u
#define SEC 1000000000LL
#define MS 1000000LL

static void login_pdu(gbuf *b, const char *box)
{
    gbuf pl = {0};
    gb_be32(&pl, 0x55667788);
    gb_be16(&pl, 0x0233);
    gb_lstr(&pl, box);
    woshi_put(b, 0x60, pl.p, pl.n, -1, TOKEN);
    gb_free(&pl);
}

static void empty_pdu(gbuf *b, uint8_t cmd) { woshi_put(b, cmd, NULL, 0, -1, TOKEN); }

static void login_response(gtcp *t, gbuf *b)
{
    static const uint8_t ok = 1;
    gb_reset(b);
    woshi_put(b, 0x60, &ok, 1, -1, TOKEN);
    tcp_send(t, false, b->p, b->n, NULL);
}

static void heartbeat(gtcp *t, gbuf *b, const char *fates)
{
    gb_reset(b);
    empty_pdu(b, 0x61);
    tcp_send_ex(t, true, b->p, b->n, NULL, fates);
    gen_advance(t->cap, 30 * MS);
    gb_reset(b);
    empty_pdu(b, 0x61);
    tcp_send(t, false, b->p, b->n, NULL);
}

static void conn(gtcp *t, gcap *cap, int n, uint32_t cisn, uint32_t sisn)
{
    char cip[32];
    snprintf(cip, sizeof cip, "10.30.0.%d", 10 + n);
    tcp_init(t, cap, cip, (uint16_t)(51000 + n), "47.96.10.20", 8992, cisn, sisn);
}

/* Connection n (with its handshake when `handshake`), a login of `box`
 * sent in segments `cuts` with `fates` (tcp_send_ex), and its answer. */
static void logged_in(gtcp *t, gcap *cap, gbuf *b, int n, uint32_t cisn, uint32_t sisn,
                      bool handshake, const char *box, const size_t *cuts, const char *fates)
{
    conn(t, cap, n, cisn, sisn);
    if (handshake)
        tcp_handshake(t);
    gb_reset(b);
    login_pdu(b, box);
    tcp_send_ex(t, true, b->p, b->n, cuts, fates);
    login_response(t, b);
}

int gen_tcp_edges(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730300000LL * SEC);
    if (!cap)
        return 1;
    gtcp t;
    gbuf b = {0};
    static const size_t three[] = {10, 10, 0};

    /* 1: the login's middle segment is captured after the last one */
    logged_in(&t, cap, &b, 1, 0x1000, 0x5000, true, "EDGE000000000001", three, ".s");
    heartbeat(&t, &b, NULL);
    tcp_close(&t, true);
    gen_advance(cap, 2 * SEC);

    /* 2: a heartbeat retransmitted unchanged */
    logged_in(&t, cap, &b, 2, 0x2000, 0x6000, true, "EDGE000000000002", NULL, NULL);
    heartbeat(&t, &b, "r");
    tcp_close(&t, true);
    gen_advance(cap, 2 * SEC);

    /* 3: a heartbeat retransmitted with a byte altered */
    logged_in(&t, cap, &b, 3, 0x3000, 0x7000, true, "EDGE000000000003", NULL, NULL);
    heartbeat(&t, &b, "a");
    tcp_close(&t, true);
    gen_advance(cap, 2 * SEC);

    /* 4: heartbeat + login + heartbeat in three segments, the middle one
     * (inside the login) never captured */
    logged_in(&t, cap, &b, 4, 0x4000, 0x8000, true, "EDGE000000000004", NULL, NULL);
    gen_advance(cap, 1 * SEC);
    gb_reset(&b);
    empty_pdu(&b, 0x61);
    login_pdu(&b, "EDGE000000000004");
    empty_pdu(&b, 0x61);
    static const size_t gapcuts[] = {9 + 12, 10, 0};
    tcp_send_ex(&t, true, b.p, b.n, gapcuts, ".d");
    gen_advance(cap, 30 * MS);
    gb_reset(&b);
    empty_pdu(&b, 0x61);
    empty_pdu(&b, 0x61);
    tcp_send(&t, false, b.p, b.n, NULL);
    tcp_close(&t, true);
    gen_advance(cap, 2 * SEC);

    /* 5: picked up mid-stream, inside the login */
    conn(&t, cap, 5, 0x5000, 0x9000);
    gb_reset(&b);
    login_pdu(&b, "EDGE000000000005");
    static const size_t midcuts[] = {10, 0};
    tcp_send_ex(&t, true, b.p, b.n, midcuts, "d");
    login_response(&t, &b);
    heartbeat(&t, &b, NULL);
    heartbeat(&t, &b, NULL);
    gen_advance(cap, 2 * SEC);

    /* 6: sequence numbers wrap inside the login */
    logged_in(&t, cap, &b, 6, 0xFFFFFFF0u, 0xFFFFFFFAu, true, "EDGE000000000006", three, NULL);
    heartbeat(&t, &b, NULL);
    heartbeat(&t, &b, NULL);
    tcp_close(&t, false);
    gen_advance(cap, 2 * SEC);

    /* 7: every datagram in fragments of 16 bytes, last first */
    conn(&t, cap, 7, 0x7000, 0xB000);
    gen_writer_opts keep = cap->o;
    cap->o.fragment = 16;
    cap->o.frag_reverse = true;
    tcp_handshake(&t);
    gb_reset(&b);
    login_pdu(&b, "EDGE000000000007");
    tcp_send(&t, true, b.p, b.n, NULL);
    login_response(&t, &b);
    heartbeat(&t, &b, NULL);
    tcp_close(&t, true);
    cap->o = keep;
    gen_advance(cap, 2 * SEC);

    /* 8: a reset, then a new connection on the same ports */
    logged_in(&t, cap, &b, 8, 0x8000, 0xC000, true, "EDGE000000000008", NULL, NULL);
    tcp_segment(&t, true, t.cseq, TCP_RST | TCP_ACK, NULL, 0);
    gen_advance(cap, 1 * SEC);
    logged_in(&t, cap, &b, 8, 0x18000, 0x1C000, true, "EDGE000000000088", NULL, NULL);
    heartbeat(&t, &b, NULL);
    tcp_close(&t, true);

    gb_free(&b);
    return gen_close(cap) ? 1 : 0;
}

int gen_garbage_runs(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730350000LL * SEC);
    if (!cap)
        return 1;
    gtcp t;
    gbuf b = {0};
    logged_in(&t, cap, &b, 30, 0x3000, 0x4000, true, "GARBAGE000000001", NULL, NULL);
    static const uint8_t junk[5] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const size_t runs[] = {1, 2, 3, 5};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        gen_advance(cap, 1 * SEC);
        gb_reset(&b);
        gb_put(&b, junk, runs[i]);
        empty_pdu(&b, 0x61);
        tcp_send(&t, true, b.p, b.n, NULL);
        gen_advance(cap, 30 * MS);
        gb_reset(&b);
        empty_pdu(&b, 0x61);
        tcp_send(&t, false, b.p, b.n, NULL);
    }
    /* two bytes alone, the heartbeat in the next segment */
    gen_advance(cap, 1 * SEC);
    gb_reset(&b);
    gb_put(&b, junk, 2);
    empty_pdu(&b, 0x61);
    static const size_t split[] = {2, 0};
    tcp_send(&t, true, b.p, b.n, split);
    gen_advance(cap, 30 * MS);
    gb_reset(&b);
    empty_pdu(&b, 0x61);
    tcp_send(&t, false, b.p, b.n, NULL);
    tcp_close(&t, true);
    gb_free(&b);
    return gen_close(cap) ? 1 : 0;
}

int gen_hostile_ids(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730400000LL * SEC);
    if (!cap)
        return 1;
    static const char *const ids[] = {
        "../../../../tmp/chargecap-escape",
        "/etc/passwd",
        "a/b/../../c",
        "..",
        "\x1b[31mred\x1b[0m\r\nforged line",
        "DEVICE-ID-OF-A-HUNDRED-CHARACTERS-0123456789-0123456789-0123456789-0123456789-0123456789-012",
    };
    gtcp t;
    gbuf b = {0};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        conn(&t, cap, (int)(20 + i), 0x1000 * (uint32_t)(i + 1), 0x9000 * (uint32_t)(i + 1));
        tcp_handshake(&t);
        gb_reset(&b);
        login_pdu(&b, ids[i]);
        tcp_send(&t, true, b.p, b.n, NULL);
        login_response(&t, &b);
        heartbeat(&t, &b, NULL);
        tcp_close(&t, true);
        gen_advance(cap, 1 * SEC);
    }
    gb_free(&b);
    return gen_close(cap) ? 1 : 0;
}

int gen_many_sessions(const char *path, uint64_t seed)
{
    grng r;
    rng_seed(&r, seed);
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730500000LL * SEC);
    if (!cap)
        return 1;
    enum { N = 300 };
    static gtcp t[N];
    gbuf b = {0};
    char cip[32], box[32];
    for (int i = 0; i < N; i++) {
        snprintf(cip, sizeof cip, "10.40.%d.%d", i / 200, 10 + i % 200);
        tcp_init(&t[i], cap, cip, (uint16_t)(40000 + i), "47.96.10.20", 8992,
                 (uint32_t)rng_next(&r), (uint32_t)rng_next(&r));
        t[i].gap_ns = 100000;
        tcp_handshake(&t[i]);
        snprintf(box, sizeof box, "MANY%012d", i);
        gb_reset(&b);
        login_pdu(&b, box);
        tcp_send(&t[i], true, b.p, b.n, NULL);
        login_response(&t[i], &b);
        gen_advance(cap, 100 * MS);
    }
    /* five rounds of heartbeats a minute apart; every third cabinet falls
     * silent after the first round */
    for (int round = 0; round < 5; round++) {
        gen_advance(cap, 30 * SEC);
        for (int i = 0; i < N; i++) {
            if (round > 0 && i % 3 == 0)
                continue;
            heartbeat(&t[i], &b, NULL);
            gen_advance(cap, 50 * MS);
        }
    }
    for (int i = 0; i < N; i++)
        if (i % 3)
            tcp_close(&t[i], true);
    gb_free(&b);
    return gen_close(cap) ? 1 : 0;
}

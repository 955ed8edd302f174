/*
 * woshi_gen.c - Woshi cabinet captures.
 *
 * woshi-session: one cabinet's day in miniature, every 4.6P command, all
 *   frames correct, segmentation varied (split PDUs, coalesced PDUs).
 * woshi-faults: each fault the dissector must report, in separate
 *   connections so that one fault does not mask the next.
 */
#include "gen.h"

#include "chargeproto.h"

#include <string.h>

#define TOKEN 0x11223344u
#define SEC 1000000000LL

void woshi_put(gbuf *out, uint8_t cmd, const uint8_t *payload, size_t n, int cksum, uint32_t token)
{
    gb_be16(out, (uint16_t)(n + 7));
    gb_u8(out, cmd);
    gb_u8(out, 0x01);
    gb_u8(out, cksum >= 0 ? (uint8_t)cksum : cs_xor8(payload, n));
    gb_be32(out, token);
    gb_put(out, payload, n);
}

/* One PDU into `out`, from a payload built in `pl`. */
static void pdu(gbuf *out, uint8_t cmd, const gbuf *pl)
{
    woshi_put(out, cmd, pl ? pl->p : NULL, pl ? pl->n : 0, -1, TOKEN);
}

static void tid(gbuf *b, const char *prefix, uint32_t bcd)
{
    gb_put(b, prefix, 4);
    gb_be32(b, bcd);
}

/* Send one PDU each way: request from the server, response from the
 * cabinet, with a think time between them. */
typedef struct wsess {
    gtcp t;
    gbuf a, pl;
} wsess;

static void send_pdu(wsess *s, bool from_cabinet, uint8_t cmd, const gbuf *pl, const size_t *cuts)
{
    gb_reset(&s->a);
    pdu(&s->a, cmd, pl);
    tcp_send(&s->t, from_cabinet, s->a.p, s->a.n, cuts);
}

static void heartbeat(wsess *s)
{
    send_pdu(s, true, 0x61, NULL, NULL);
    gen_advance(s->t.cap, 35 * 1000000LL);
    send_pdu(s, false, 0x61, NULL, NULL);
}

static void login(wsess *s, const char *box, uint8_t result, const size_t *cuts)
{
    gb_reset(&s->pl);
    gb_be32(&s->pl, 0x55667788);
    gb_be16(&s->pl, 0x0233);
    gb_lstr(&s->pl, box);
    send_pdu(s, true, 0x60, &s->pl, cuts);
    gen_advance(s->t.cap, 48 * 1000000LL);
    gb_reset(&s->pl);
    gb_u8(&s->pl, result);
    send_pdu(s, false, 0x60, &s->pl, NULL);
}

int gen_woshi_session(const char *path, uint64_t seed)
{
    grng r;
    rng_seed(&r, seed);
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730000000LL * SEC);
    if (!cap)
        return 1;
    wsess s = {0};
    tcp_init(&s.t, cap, "10.20.0.15", 49152, "47.96.10.20", 8992, 0x1000, 0x70000000);
    tcp_handshake(&s.t);
    static const size_t login_cuts[] = {10, 0};
    login(&s, "SMBH081908490256", 1, login_cuts);

    /* After login the server reads the inventory. */
    gen_advance(cap, 120 * 1000000LL);
    send_pdu(&s, false, 0x64, NULL, NULL);
    gen_advance(cap, 60 * 1000000LL);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 3);
    static const uint32_t ids[] = {0x98001922, 0x98001923, 0x98001977};
    for (int i = 0; i < 3; i++) {
        gb_u8(&s.pl, (uint8_t)(i + 2));
        tid(&s.pl, "SMBH", ids[i]);
        gb_u8(&s.pl, (uint8_t)(4 - i));
    }
    static const size_t inv_cuts[] = {5, 9, 0};
    send_pdu(&s, true, 0x64, &s.pl, inv_cuts);

    /* Maintenance queries, answered promptly. */
    gen_advance(cap, 2 * SEC);
    send_pdu(&s, false, 0x62, NULL, NULL);
    gen_advance(cap, 40 * 1000000LL);
    gb_reset(&s.pl);
    gb_lstr(&s.pl, "A.09.01.06");
    send_pdu(&s, true, 0x62, &s.pl, NULL);

    gen_advance(cap, 1 * SEC);
    send_pdu(&s, false, 0x69, NULL, NULL);
    gen_advance(cap, 45 * 1000000LL);
    gb_reset(&s.pl);
    gb_lstr(&s.pl, "89860401101770982839");
    send_pdu(&s, true, 0x69, &s.pl, NULL);

    gen_advance(cap, 1 * SEC);
    send_pdu(&s, false, 0x72, NULL, NULL);
    gen_advance(cap, 30 * 1000000LL);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 23);
    gb_u8(&s.pl, 0);
    gb_u8(&s.pl, 7);
    send_pdu(&s, true, 0x72, &s.pl, NULL);

    /* Heartbeats every 30 s; a borrow and a return between them. */
    int64_t next_hb = cap->now_ns + 25 * SEC;
    for (int round = 0; round < 8; round++) {
        gen_advance(cap, next_hb - cap->now_ns);
        heartbeat(&s);
        next_hb += 30 * SEC + (int64_t)rng_range(&r, 0, 400) * 1000000LL;
        gen_advance(cap, (int64_t)rng_range(&r, 2, 9) * SEC);
        gb_reset(&s.pl);
        switch (round) {
        case 1: /* borrow slot 2: request and its response in separate segments */
            gb_u8(&s.pl, 2);
            send_pdu(&s, false, 0x65, &s.pl, NULL);
            gen_advance(cap, 900 * 1000000LL);
            gb_reset(&s.pl);
            gb_u8(&s.pl, 2);
            gb_u8(&s.pl, 1);
            tid(&s.pl, "SMBH", 0x98001922);
            {
                static const size_t cuts[] = {3, 0};
                send_pdu(&s, true, 0x65, &s.pl, cuts);
            }
            break;
        case 3: /* the power bank comes back to slot 4 */
            gb_u8(&s.pl, 4);
            tid(&s.pl, "SMBH", 0x98001922);
            send_pdu(&s, true, 0x66, &s.pl, NULL);
            gen_advance(cap, 70 * 1000000LL);
            gb_reset(&s.pl);
            gb_u8(&s.pl, 4);
            gb_u8(&s.pl, 1);
            send_pdu(&s, false, 0x66, &s.pl, NULL);
            break;
        case 4: /* volume: query, then set */
            send_pdu(&s, false, 0x77, NULL, NULL);
            gen_advance(cap, 20 * 1000000LL);
            gb_u8(&s.pl, 8);
            send_pdu(&s, true, 0x77, &s.pl, NULL);
            gen_advance(cap, 500 * 1000000LL);
            gb_reset(&s.pl);
            gb_u8(&s.pl, 12);
            send_pdu(&s, false, 0x70, &s.pl, NULL);
            gen_advance(cap, 25 * 1000000LL);
            gb_reset(&s.pl);
            gb_u8(&s.pl, 1);
            send_pdu(&s, true, 0x70, &s.pl, NULL);
            break;
        case 5: /* server address: read, then set (the same one) */
            send_pdu(&s, false, 0x6A, NULL, NULL);
            gen_advance(cap, 30 * 1000000LL);
            gb_lstr(&s.pl, "x.powerpower.net");
            gb_lstr(&s.pl, "8992");
            gb_u8(&s.pl, 30);
            send_pdu(&s, true, 0x6A, &s.pl, NULL);
            gen_advance(cap, 800 * 1000000LL);
            send_pdu(&s, false, 0x63, &s.pl, NULL);
            gen_advance(cap, 30 * 1000000LL);
            send_pdu(&s, true, 0x63, NULL, NULL);
            break;
        case 6: /* force eject slot 3 and a network query in one segment;
                   both responses in one segment too */
            gb_reset(&s.a);
            gb_u8(&s.pl, 3);
            pdu(&s.a, 0x80, &s.pl);
            pdu(&s.a, 0x72, NULL);
            tcp_send(&s.t, false, s.a.p, s.a.n, NULL);
            gen_advance(cap, 600 * 1000000LL);
            gb_reset(&s.a);
            gb_reset(&s.pl);
            gb_u8(&s.pl, 3);
            gb_u8(&s.pl, 1);
            tid(&s.pl, "SMBH", 0x98001923);
            pdu(&s.a, 0x80, &s.pl);
            gb_reset(&s.pl);
            gb_u8(&s.pl, 21);
            gb_u8(&s.pl, 0);
            gb_u8(&s.pl, 7);
            pdu(&s.a, 0x72, &s.pl);
            tcp_send(&s.t, true, s.a.p, s.a.n, NULL);
            break;
        case 7: /* FTP upgrade, then a reboot to apply it */
            gb_lstr(&s.pl, "121.41.60.232");
            gb_lstr(&s.pl, "21");
            gb_lstr(&s.pl, "33.bin");
            gb_lstr(&s.pl, "share");
            gb_lstr(&s.pl, "share345@123");
            {
                static const size_t cuts[] = {30, 0};
                send_pdu(&s, false, 0x68, &s.pl, cuts);
            }
            gen_advance(cap, 40 * 1000000LL);
            send_pdu(&s, true, 0x68, NULL, NULL);
            break;
        default:
            break;
        }
    }
    gen_advance(cap, 5 * SEC);
    send_pdu(&s, false, 0x67, NULL, NULL);
    gen_advance(cap, 30 * 1000000LL);
    send_pdu(&s, true, 0x67, NULL, NULL);
    gen_advance(cap, 200 * 1000000LL);
    tcp_close(&s.t, true);

    gb_free(&s.a);
    gb_free(&s.pl);
    return gen_close(cap) ? 1 : 0;
}

int gen_woshi_faults(const char *path, uint64_t seed)
{
    (void)seed;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730100000LL * SEC);
    if (!cap)
        return 1;
    wsess s = {0};

    /* 1. A logged-in cabinet with checksum faults on both sides, an
     *    unknown command, garbage, a short payload, a late heartbeat, and
     *    a request that is never answered. */
    tcp_init(&s.t, cap, "10.20.0.31", 50001, "47.96.10.20", 8992, 0x2000, 0x80000000);
    tcp_handshake(&s.t);
    login(&s, "SMBH081908490301", 1, NULL);
    gen_advance(cap, 1 * SEC);
    /* server habit: a constant checksum 0x01 on an empty payload */
    gb_reset(&s.a);
    woshi_put(&s.a, 0x64, NULL, 0, 0x01, TOKEN);
    tcp_send(&s.t, false, s.a.p, s.a.n, NULL);
    gen_advance(cap, 50 * 1000000LL);
    /* cabinet fault: the inventory response with a wrong XOR */
    gb_reset(&s.pl);
    gb_u8(&s.pl, 1);
    gb_u8(&s.pl, 2);
    tid(&s.pl, "SMBH", 0x98004411);
    gb_u8(&s.pl, 3);
    gb_reset(&s.a);
    woshi_put(&s.a, 0x64, s.pl.p, s.pl.n, 0x5A, TOKEN);
    tcp_send(&s.t, true, s.a.p, s.a.n, NULL);
    gen_advance(cap, 20 * SEC);
    heartbeat(&s);
    /* an unknown command from the server, then garbage before a query */
    gen_advance(cap, 2 * SEC);
    gb_reset(&s.a);
    woshi_put(&s.a, 0x99, (const uint8_t *)"\x01\x02", 2, -1, TOKEN);
    tcp_send(&s.t, false, s.a.p, s.a.n, NULL);
    gen_advance(cap, 1 * SEC);
    gb_reset(&s.a);
    gb_put(&s.a, "\xde\xad\xbe\xef\xff\xfe", 6);
    woshi_put(&s.a, 0x62, NULL, 0, -1, TOKEN);
    tcp_send(&s.t, false, s.a.p, s.a.n, NULL);
    gen_advance(cap, 40 * 1000000LL);
    gb_reset(&s.pl);
    gb_lstr(&s.pl, "A.09.01.07");
    send_pdu(&s, true, 0x62, &s.pl, NULL);
    /* a borrow response too short for its command (TerminalID cut) */
    gen_advance(cap, 3 * SEC);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 1);
    send_pdu(&s, false, 0x65, &s.pl, NULL);
    gen_advance(cap, 700 * 1000000LL);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 1);
    gb_u8(&s.pl, 1);
    gb_put(&s.pl, "SMBH", 4);
    send_pdu(&s, true, 0x65, &s.pl, NULL);
    /* a late heartbeat: 75 s after the previous one */
    gen_advance(cap, 70 * SEC);
    heartbeat(&s);
    /* the server asks for the ICCID and never hears back */
    gen_advance(cap, 5 * SEC);
    send_pdu(&s, false, 0x69, NULL, NULL);
    gen_advance(cap, 10 * SEC);
    /* a PDU cut short by the end of the connection */
    gb_reset(&s.pl);
    gb_u8(&s.pl, 5);
    tid(&s.pl, "SMBH", 0x98004412);
    gb_reset(&s.a);
    pdu(&s.a, 0x66, &s.pl);
    tcp_send(&s.t, true, s.a.p, 12, NULL);
    gen_advance(cap, 1 * SEC);
    tcp_close(&s.t, true);

    /* 2. A capture that starts mid-stream: no handshake, no login. */
    gen_advance(cap, 2 * SEC);
    tcp_init(&s.t, cap, "10.20.0.32", 50002, "47.96.10.20", 8992, 0x3000, 0x90000000);
    heartbeat(&s);
    gen_advance(cap, 1 * SEC);
    send_pdu(&s, false, 0x77, NULL, NULL);
    gen_advance(cap, 30 * 1000000LL);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 7);
    send_pdu(&s, true, 0x77, &s.pl, NULL);

    /* 3. A cabinet that returns a power bank before logging in, with a
     *    non-BCD ID, and a server that uses an ASCII token. */
    gen_advance(cap, 2 * SEC);
    tcp_init(&s.t, cap, "10.20.0.33", 50003, "47.96.10.20", 8992, 0x4000, 0xA0000000);
    tcp_handshake(&s.t);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 1);
    tid(&s.pl, "RL1A", 0x7C000052);
    send_pdu(&s, true, 0x66, &s.pl, NULL);
    gen_advance(cap, 60 * 1000000LL);
    gb_reset(&s.pl);
    gb_u8(&s.pl, 1);
    gb_u8(&s.pl, 1);
    gb_reset(&s.a);
    woshi_put(&s.a, 0x66, s.pl.p, s.pl.n, -1, 0x34383237); /* "4827" */
    tcp_send(&s.t, false, s.a.p, s.a.n, NULL);
    gen_advance(cap, 1 * SEC);
    tcp_close(&s.t, false);

    gb_free(&s.a);
    gb_free(&s.pl);
    return gen_close(cap) ? 1 : 0;
}

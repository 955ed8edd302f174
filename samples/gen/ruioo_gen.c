/*
 * ruioo_gen.c - Ruioo cabinet captures.
 *
 * ruioo-session: two cabinets, each going through every flow of the
 *   document (status query, borrow, borrow failure, return, return
 *   refused, return failure) with heartbeats between.  Cabinet A uses
 *   CRC-16/MODBUS over the IMEI through the separator, in upper-case hex;
 *   cabinet B uses CRC-16/KERMIT from the `{` up to the separator, in
 *   decimal.  Every frame is canonical; segmentation varies.
 * ruioo-faults: broken flows, a corrupted CRC after the combination was
 *   learned, a bad Luhn digit, an out-of-range slot, malformed frames,
 *   garbage, a cabinet writing every tolerated variant of the form, one
 *   whose CRC matches no known combination, and one captured mid-stream.
 *
 * CRCs are computed with the library's cs_crc16() over the library's own
 * coverage definition (ruioo_coverage_range()).
 */
#include "gen.h"

#include "chargeproto.h"
#include "ruioo.h"

#include <stdarg.h>
#include <string.h>

#define SEC 1000000000LL
#define MS 1000000LL

typedef struct rcab {
    gtcp t;
    const char *imei;
    uint8_t var, cov, enc;
    bool lower;    /* hex CRC in lower case */
    bool unpadded; /* hex CRC without leading zeros */
    gbuf a;
} rcab;

/* The CRC text for the frame text pre[0..n), whose last separator is the
 * one before the CRC, as cabinet c writes it; xor != 0 corrupts it. */
static void crc_text(const rcab *c, const char *pre, size_t n, uint16_t xor, char *out, size_t outn)
{
    size_t sep = n;
    while (sep > 0 && !strchr(",.;", pre[sep - 1]))
        sep--;
    size_t a = 0, z = 0;
    uint16_t crc = 0;
    if (sep && ruioo_coverage_range((const uint8_t *)pre, n, sep - 1, c->cov, &a, &z))
        crc = cs_crc16((cs_crc16_variant)c->var, (const uint8_t *)pre + a, z - a);
    crc ^= xor;
    if (c->enc == RUIOO_ENC_DECIMAL)
        snprintf(out, outn, "%u", crc);
    else if (c->unpadded)
        snprintf(out, outn, c->lower ? "%x" : "%X", crc);
    else
        snprintf(out, outn, c->lower ? "%04x" : "%04X", crc);
}

/* pre + CRC + post into out. */
static void put_raw(gbuf *out, const rcab *c, const char *pre, const char *post, uint16_t xor)
{
    char crc[8];
    crc_text(c, pre, strlen(pre), xor, crc, sizeof crc);
    gb_put(out, pre, strlen(pre));
    gb_put(out, crc, strlen(crc));
    gb_put(out, post, strlen(post));
}

/* A canonical frame: {"IMEI,<body><CRC>"}\r\n, body ending with the
 * separator before the CRC. */
static void vput(gbuf *out, const rcab *c, uint16_t xor, const char *fmt, va_list ap)
{
    char pre[400];
    int k = snprintf(pre, sizeof pre, "{\"%s,", c->imei);
    vsnprintf(pre + k, sizeof pre - (size_t)k, fmt, ap);
    put_raw(out, c, pre, "\"}\r\n", xor);
}

static void put(gbuf *out, const rcab *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vput(out, c, 0, fmt, ap);
    va_end(ap);
}

/* One canonical frame in one segment, from the cabinet or the server;
 * xor != 0 corrupts its CRC. */
static void say_bad(rcab *c, bool from_cabinet, uint16_t xor, const char *fmt, ...)
{
    gb_reset(&c->a);
    va_list ap;
    va_start(ap, fmt);
    vput(&c->a, c, xor, fmt, ap);
    va_end(ap);
    tcp_send(&c->t, from_cabinet, c->a.p, c->a.n, NULL);
}

#define say(c, from_cabinet, ...) say_bad(c, from_cabinet, 0, __VA_ARGS__)

/* Raw bytes in one segment. */
static void raw(rcab *c, bool from_cabinet, const char *s)
{
    tcp_send(&c->t, from_cabinet, (const uint8_t *)s, strlen(s), NULL);
}

static void wait_ms(rcab *c, int64_t ms) { gen_advance(c->t.cap, ms * MS); }

/* One flow for a slot and power bank: words[] ("CC.BW", "MC.BO", ...)
 * sent alternately by each side, the first by the cabinet or the server,
 * gaps_ms[i] before word i + 1. */
static void run_flow(rcab *c, bool cabinet_first, int slot, const char *id,
                     const char *const *words, const int *gaps_ms)
{
    bool from = cabinet_first;
    for (int i = 0; words[i]; i++, from = !from) {
        if (i)
            wait_ms(c, gaps_ms[i - 1]);
        say(c, from, "%s.%d.%s.", words[i], slot, id);
    }
}

/* Every flow of the document, as a clean cabinet runs them.  ids: the
 * power banks in slots 1, 2, 3 and one that comes from elsewhere. */
static void cabinet_day(rcab *c, grng *r, const char *const ids[4])
{
    const bool CAB = true, SRV = false;
    tcp_handshake(&c->t);
    wait_ms(c, 300);
    say(c, CAB, "CH..");
    /* the server reads the slots: CQ -> AQ */
    wait_ms(c, 800);
    say(c, SRV, "CQ..");
    wait_ms(c, 120);
    say(c, CAB, "AQ,1.FU.%s;2.NF.%s;3.EM.%s;;", ids[0], ids[1], ids[2]);

    /* borrow: CC.BW -> MC.BO -> AM.BO, each in its own segment */
    wait_ms(c, (int64_t)rng_range(r, 2000, 4000));
    static const char *const borrow[] = {"CC.BW", "MC.BO", "AM.BO", NULL};
    run_flow(c, SRV, 1, ids[0], borrow, (const int[]){1500, 60});

    wait_ms(c, 30000);
    say(c, CAB, "CH..");

    /* borrow failure: CC.BW -> MR.BF -> AR.BF */
    wait_ms(c, (int64_t)rng_range(r, 2000, 4000));
    static const char *const borrow_fail[] = {"CC.BW", "MR.BF", "AR.BF", NULL};
    run_flow(c, SRV, 2, ids[1], borrow_fail, (const int[]){2500, 50});

    /* return: MQ -> RQ.T -> MC.RO -> AM.RO, the last two in one segment
     * each way with a status query riding along */
    wait_ms(c, 20000);
    say(c, CAB, "MQ.1.%s.", ids[0]);
    wait_ms(c, 70);
    say(c, SRV, "RQ.T.1.%s.", ids[0]);
    wait_ms(c, 900);
    say(c, CAB, "MC.RO.1.%s.", ids[0]);
    wait_ms(c, 40);
    gb_reset(&c->a);
    put(&c->a, c, "AM.RO.1.%s.", ids[0]);
    put(&c->a, c, "CQ..");
    tcp_send(&c->t, SRV, c->a.p, c->a.n, NULL);
    wait_ms(c, 110);
    /* the status report in three segments */
    gb_reset(&c->a);
    put(&c->a, c, "AQ,1.FU.%s;2.NF.%s;3.EM.%s;;", ids[0], ids[1], ids[2]);
    {
        static const size_t cuts[] = {9, 30, 0};
        tcp_send(&c->t, CAB, c->a.p, c->a.n, cuts);
    }

    wait_ms(c, 30000);
    say(c, CAB, "CH..");

    /* a power bank from elsewhere: MQ -> RQ.F */
    wait_ms(c, (int64_t)rng_range(r, 3000, 6000));
    static const char *const refused[] = {"MQ", "RQ.F", NULL};
    run_flow(c, CAB, 3, ids[3], refused, (const int[]){65});

    /* return failure: MQ -> RQ.T -> MR.RF -> AR.RF */
    wait_ms(c, 8000);
    static const char *const return_fail[] = {"MQ", "RQ.T", "MR.RF", "AR.RF", NULL};
    run_flow(c, CAB, 2, ids[1], return_fail, (const int[]){70, 1200, 45});

    wait_ms(c, 30000);
    say(c, CAB, "CH..");
    wait_ms(c, 500);
    tcp_close(&c->t, true);
}

int gen_ruioo_session(const char *path, uint64_t seed)
{
    grng r;
    rng_seed(&r, seed);
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1731000000LL * SEC);
    if (!cap)
        return 1;
    rcab a = {.imei = "866123054876290", .var = CS_CRC16_MODBUS, .cov = RUIOO_COV_IMEI_SEP,
              .enc = RUIOO_ENC_HEX};
    tcp_init(&a.t, cap, "10.30.0.21", 40001, "120.76.10.5", 7070, 0x5000, 0x60000000);
    static const char *const ids_a[4] = {"3021000017", "302100000042", "3021000099", "4400000001"};
    cabinet_day(&a, &r, ids_a);

    gen_advance(cap, 3 * SEC);
    rcab b = {.imei = "867730041182506", .var = CS_CRC16_KERMIT, .cov = RUIOO_COV_BRACE,
              .enc = RUIOO_ENC_DECIMAL};
    tcp_init(&b.t, cap, "10.30.0.22", 40002, "120.76.10.5", 7070, 0x6000, 0x61000000);
    static const char *const ids_b[4] = {"RU20240311", "RU20240312", "RU20240313", "XB00000007"};
    cabinet_day(&b, &r, ids_b);

    gb_free(&a.a);
    gb_free(&b.a);
    return gen_close(cap) ? 1 : 0;
}

int gen_ruioo_faults(const char *path, uint64_t seed)
{
    (void)seed;
    const bool CAB = true, SRV = false;
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1731100000LL * SEC);
    if (!cap)
        return 1;

    /* 1. A MODBUS cabinet and a server that break every rule of the flows,
     *    and frames the parser must reject. */
    rcab c = {.imei = "866123054876316", .var = CS_CRC16_MODBUS, .cov = RUIOO_COV_IMEI_SEP,
              .enc = RUIOO_ENC_HEX};
    tcp_init(&c.t, cap, "10.30.1.11", 41001, "120.76.10.5", 7070, 0x7000, 0x70000000);
    tcp_handshake(&c.t);
    wait_ms(&c, 200);
    say(&c, CAB, "CH..");                            /* the combination is learned here */
    wait_ms(&c, 40);
    say(&c, SRV, "CH..");                            /* a heartbeat answered */
    wait_ms(&c, 2000);
    say(&c, SRV, "CC.BW.1.3021000101.");
    wait_ms(&c, 1400);
    say_bad(&c, CAB, 0x0101, "MC.BO.1.3021000101."); /* corrupted CRC; the flow goes on */
    wait_ms(&c, 50);
    say(&c, SRV, "AM.BO.1.3021000101.");
    wait_ms(&c, 3000);
    say(&c, SRV, "AM.BO.2.3021000102.");             /* an acknowledgement without a report */
    wait_ms(&c, 2000);
    say(&c, CAB, "MC.BO.3.3021000103.");             /* a report without a borrow request */
    wait_ms(&c, 60);
    say(&c, SRV, "AM.BO.3.3021000103.");             /* ... acknowledged: in flow again */
    wait_ms(&c, 2000);
    say(&c, SRV, "CC.BW.4.3021000104.");             /* slot out of range */
    wait_ms(&c, 2000);
    say(&c, CAB, "MR.BF.4.3021000104.");
    wait_ms(&c, 50);
    say(&c, SRV, "AR.BF.4.3021000104.");
    wait_ms(&c, 2000);
    say(&c, SRV, "CQ..");
    wait_ms(&c, 100);
    say(&c, CAB, "AQ,1.FU.3021000101;2.XX.3021000102;3.ER;;"); /* an unknown slot state */
    wait_ms(&c, 100);
    say(&c, CAB, "AQ,1.FU.3021000101;2.NF.3021000102;3.ER;;"); /* answered twice */
    wait_ms(&c, 2000);
    say(&c, CAB, "MQ.2.3021000102.");
    wait_ms(&c, 80);
    say(&c, SRV, "RQ.T.2.3021000102.");
    wait_ms(&c, 1000);
    say(&c, CAB, "MR.BF.2.3021000102.");             /* return failure as template 14 prints it */
    wait_ms(&c, 50);
    say(&c, SRV, "AR.RF.2.3021000102.");
    wait_ms(&c, 2000);
    say(&c, CAB, "XZ.1.2.");                         /* an unknown command word */
    wait_ms(&c, 1000);
    say(&c, SRV, "CC.BO.1.3021000101.");             /* a sub-command CC does not have */
    wait_ms(&c, 1000);
    say(&c, CAB, "MC.BO.1.");                        /* DEVID missing */
    wait_ms(&c, 1000);
    say(&c, SRV, "CC.BW.A.3021000101.");             /* a slot that is not a number */
    wait_ms(&c, 1000);
    say(&c, SRV, "MC.RO.1.3021000101.");             /* the cabinet's message, from the server */
    wait_ms(&c, 1000);
    {
        rcab other = c;
        other.imei = "866123054876290";
        other.a = (gbuf){0};
        say(&other, SRV, "CQ..");                    /* another cabinet's IMEI */
        c.t = other.t;
        gb_free(&other.a);
    }
    wait_ms(&c, 1000);
    raw(&c, CAB, "{\"866123054876316,CH..ZZZZ\"}\r\n"); /* a CRC that is not a number */
    wait_ms(&c, 1000);
    raw(&c, CAB, "{\"866123054876316,CH\"}\r\n");      /* no CRC */
    wait_ms(&c, 1000);
    raw(&c, CAB, "{\"IMEI,CH..CRC16\"}\r\n");           /* the template itself: no IMEI */
    wait_ms(&c, 1000);
    gb_reset(&c.a);                                    /* garbage, then a frame */
    gb_put(&c.a, "\x00\x00GARBAGE", 9);
    put(&c.a, &c, "CH..");
    tcp_send(&c.t, CAB, c.a.p, c.a.n, NULL);
    wait_ms(&c, 1000);
    raw(&c, CAB, "{\"866123054876316,CH..");           /* unterminated, the next frame follows */
    wait_ms(&c, 10);
    say(&c, CAB, "CH..");
    wait_ms(&c, 1000);
    {
        /* an over-long run without a closing brace, then a frame */
        char longrun[700];
        memset(longrun, 'x', sizeof longrun - 1);
        longrun[0] = '{';
        longrun[sizeof longrun - 1] = '\0';
        gb_reset(&c.a);
        gb_put(&c.a, longrun, strlen(longrun));
        put(&c.a, &c, "CH..");
        tcp_send_mss(&c.t, CAB, c.a.p, c.a.n, 400);
    }
    wait_ms(&c, 2000);
    say(&c, SRV, "CC.BW.3.3021000105.");             /* never answered */
    wait_ms(&c, 1000);
    say(&c, CAB, "MQ.1.3021000101.");
    wait_ms(&c, 60);
    say(&c, SRV, "RQ.T.1.3021000101.");              /* the cabinet never reports back */
    wait_ms(&c, 3000);
    tcp_close(&c.t, true);

    /* 2. A cabinet that writes every variant of the form the parser
     *    tolerates: each is a note.  CRC-16/XMODEM over the IMEI up to the
     *    separator, lower-case hex, some without leading zeros. */
    gen_advance(cap, 2 * SEC);
    rcab t = {.imei = "867730041182688", .var = CS_CRC16_XMODEM, .cov = RUIOO_COV_IMEI,
              .enc = RUIOO_ENC_HEX, .lower = true};
    tcp_init(&t.t, cap, "10.30.1.12", 41002, "120.76.10.5", 7070, 0x8000, 0x71000000);
    tcp_handshake(&t.t);
    wait_ms(&t, 200);
    gb_reset(&t.a);
    put_raw(&t.a, &t, "{867730041182688,CH..", "}\r\n", 0); /* no quotes */
    tcp_send(&t.t, CAB, t.a.p, t.a.n, NULL);
    wait_ms(&t, 1000);
    gb_reset(&t.a);
    put_raw(&t.a, &t, "{ \"867730041182688 ,CH .. ", " \" }\r\n", 0); /* as typeset */
    tcp_send(&t.t, CAB, t.a.p, t.a.n, NULL);
    wait_ms(&t, 1000);
    gb_reset(&t.a);
    put_raw(&t.a, &t, "{\xE2\x80\x9C" "867730041182688,CH..", "\xE2\x80\x9D}\r\n", 0);
    tcp_send(&t.t, CAB, t.a.p, t.a.n, NULL);          /* typographic quotes */
    wait_ms(&t, 1000);
    say(&t, SRV, "CC.BW.1.RU20240399.");
    wait_ms(&t, 1000);
    gb_reset(&t.a);
    put_raw(&t.a, &t, "{\"867730041182688,mc;bo;1;RU20240399;", "\"}\n", 0); /* ; lower case LF */
    tcp_send(&t.t, CAB, t.a.p, t.a.n, NULL);
    wait_ms(&t, 50);
    say(&t, SRV, "AM.BO.01.RU20240399.");              /* slot with a leading zero */
    wait_ms(&t, 1000);
    say(&t, SRV, "CQ..");
    wait_ms(&t, 100);
    gb_reset(&t.a);                                     /* dotless records, as printed */
    put_raw(&t.a, &t, "{\"867730041182688,AQ,1.FU.RU20240398;2NF RU20240397;3.ER;;", "\"}", 0);
    tcp_send(&t.t, CAB, t.a.p, t.a.n, NULL);
    wait_ms(&t, 5);
    raw(&t, CAB, "\r\n");                              /* its line end, a segment of its own */
    wait_ms(&t, 1000);
    {
        /* hex without leading zeros: find a DEVID whose frame CRC is below 0x1000 */
        rcab u = t;
        u.unpadded = true;
        char pre[96], crc[8], devid[16] = "";
        for (int i = 0; i < 100000; i++) {
            snprintf(devid, sizeof devid, "RU%08d", 20240000 + i);
            snprintf(pre, sizeof pre, "{\"867730041182688,MQ.2.%s.", devid);
            crc_text(&u, pre, strlen(pre), 0, crc, sizeof crc);
            if (strlen(crc) < 4)
                break;
        }
        gb_reset(&t.a);
        put_raw(&t.a, &u, pre, "\"}\r\n", 0);
        tcp_send(&t.t, CAB, t.a.p, t.a.n, NULL);
        wait_ms(&t, 60);
        say(&t, SRV, "RQ.F.2.%s.", devid);
    }
    wait_ms(&t, 2000);
    tcp_close(&t.t, true);

    /* 3. A cabinet with a wrong IMEI check digit whose CRC matches no
     *    known combination: unverified throughout, never bad. */
    gen_advance(cap, 2 * SEC);
    rcab u = {.imei = "357209110461539", .var = CS_CRC16_MODBUS, .cov = RUIOO_COV_IMEI_SEP,
              .enc = RUIOO_ENC_HEX};
    tcp_init(&u.t, cap, "10.30.1.13", 41003, "120.76.10.5", 7070, 0x9000, 0x72000000);
    tcp_handshake(&u.t);
    wait_ms(&u, 200);
    say_bad(&u, CAB, 0x5A5A, "CH..");
    wait_ms(&u, 1000);
    say_bad(&u, SRV, 0x5A5A, "CQ..");
    wait_ms(&u, 100);
    say_bad(&u, CAB, 0x5A5A, "AQ,1.ER;2.ER;3.ER;;");
    wait_ms(&u, 1000);
    tcp_close(&u.t, true);

    /* 4. Captured mid-stream (no handshake): a borrow whose request came
     *    before the capture, a 16-digit IMEI, and a device that switches
     *    CRC combination. */
    gen_advance(cap, 2 * SEC);
    rcab m = {.imei = "8661230548770091", .var = CS_CRC16_CCITT_FALSE, .cov = RUIOO_COV_QUOTE_SEP,
              .enc = RUIOO_ENC_HEX};
    tcp_init(&m.t, cap, "10.30.1.14", 41004, "120.76.10.5", 7070, 0xA000, 0x73000000);
    say(&m, CAB, "MC.BO.2.3021000201.");
    wait_ms(&m, 50);
    say(&m, SRV, "AM.BO.2.3021000201.");
    wait_ms(&m, 30000);
    m.var = CS_CRC16_ARC;
    say(&m, CAB, "CH..");
    wait_ms(&m, 30000);
    say(&m, CAB, "CH..");
    wait_ms(&m, 1000);

    gb_free(&c.a);
    gb_free(&t.a);
    gb_free(&u.a);
    gb_free(&m.a);
    return gen_close(cap) ? 1 : 0;
}

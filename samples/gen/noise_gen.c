/*
 * noise_gen.c - ordinary TCP traffic that no chargeshark dissector may
 * claim: HTTP requests and responses, TLS handshakes and records, SSH
 * banners, DNS over TCP (a 2-byte length prefix, like several of ours),
 * and random binary in both directions.
 */
#include "gen.h"

#include <stdio.h>
#include <string.h>

#define SEC 1000000000LL

static void random_bytes(grng *r, gbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gb_u8(b, (uint8_t)rng_next(r));
}

int gen_noise(const char *path, uint64_t seed)
{
    grng r;
    rng_seed(&r, seed);
    gcap *cap = gen_open(path, GEN_LINKTYPE_ETHERNET, 1730200000LL * SEC);
    if (!cap)
        return 1;
    gbuf a = {0};
    char cip[32], sip[32];
    for (int conn = 0; conn < 240; conn++) {
        gtcp t;
        snprintf(cip, sizeof cip, "192.168.%u.%u", rng_range(&r, 1, 20), rng_range(&r, 2, 250));
        snprintf(sip, sizeof sip, "172.16.%u.%u", rng_range(&r, 0, 9), rng_range(&r, 1, 250));
        int kind = conn % 6;
        static const uint16_t ports[] = {80, 443, 22, 53, 8992, 9000};
        uint16_t sport = ports[kind];
        if (conn % 5 == 4)
            sport = (uint16_t)rng_range(&r, 1024, 65000); /* any port */
        tcp_init(&t, cap, cip, (uint16_t)rng_range(&r, 32768, 60999), sip, sport,
                 (uint32_t)rng_next(&r), (uint32_t)rng_next(&r));
        if (conn % 7 != 3)
            tcp_handshake(&t);
        for (int round = 0; round < 4; round++) {
            gb_reset(&a);
            switch (kind) {
            case 0: {
                char req[256];
                snprintf(req, sizeof req,
                         "GET /api/v1/item/%u HTTP/1.1\r\nHost: example.net\r\n"
                         "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
                         rng_range(&r, 1, 99999));
                gb_put(&a, req, strlen(req));
                tcp_send(&t, true, a.p, a.n, NULL);
                gb_reset(&a);
                const char *hdr = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                  "Content-Length: 600\r\n\r\n";
                gb_put(&a, hdr, strlen(hdr));
                random_bytes(&r, &a, 600);
                tcp_send_mss(&t, false, a.p, a.n, 536);
                break;
            }
            case 1: /* TLS: a ClientHello-like record, then application data */
                gb_hex(&a, "16 03 01 00 c8 01 00 00 c4 03 03");
                random_bytes(&r, &a, 196);
                tcp_send(&t, true, a.p, a.n, NULL);
                gb_reset(&a);
                gb_hex(&a, "17 03 03 01 00");
                random_bytes(&r, &a, 256);
                tcp_send(&t, false, a.p, a.n, NULL);
                break;
            case 2: /* SSH banner exchange, then binary packets */
                if (round == 0) {
                    const char *b = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
                    gb_put(&a, b, strlen(b));
                } else {
                    gb_be32(&a, 60);
                    random_bytes(&r, &a, 60);
                }
                tcp_send(&t, round % 2 == 0, a.p, a.n, NULL);
                break;
            case 3: /* DNS over TCP: length, id, flags, counts */
                gb_be16(&a, 29);
                gb_be16(&a, (uint16_t)rng_next(&r));
                gb_hex(&a, "01 00 00 01 00 00 00 00 00 00");
                gb_put(&a, "\x07" "example\x03net\x00\x00\x01\x00\x01", 17);
                tcp_send(&t, true, a.p, a.n, NULL);
                break;
            default: /* random binary, sizes from tiny to large */
                random_bytes(&r, &a, rng_range(&r, 1, 1400));
                tcp_send(&t, rng_next(&r) & 1, a.p, a.n, NULL);
                break;
            }
            gen_advance(cap, (int64_t)rng_range(&r, 1, 900) * 1000000LL);
        }
        if (conn % 3 == 0)
            tcp_close(&t, true);
    }
    gb_free(&a);
    return gen_close(cap) ? 1 : 0;
}

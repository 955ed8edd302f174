/*
 * mkcorpus - seed corpora for the protocol fuzzers.
 *
 *   mkcorpus OUTDIR SEED-FRAMES.json PCAP...
 *
 * For each TCP/UDP stream direction of each capture (classic pcap,
 * Ethernet or raw IPv4, as chargegen writes them), the payload bytes in
 * order, prefixed with a control byte, go to OUTDIR/<proto>/ for every
 * protocol whose probe() accepts the stream's first payload.  Each seed
 * frame of seed-frames.json goes to OUTDIR/<proto>/ for the protocols
 * whose probe() accepts it, and to all of them otherwise (the frames are
 * often defective).  Control bytes vary so several segmentations start.
 */
#include "chargeproto.h"
#include "minijson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_STREAMS 4096
#define MAX_BYTES (60 * 1024)

typedef struct stream {
    uint8_t key[13]; /* src ip, dst ip, sport, dport, proto */
    uint8_t data[MAX_BYTES];
    size_t n;
} stream;

static stream *streams[MAX_STREAMS];
static int n_streams;
static int n_written;

static void write_input(const char *dir, const char *proto, const char *tag, uint8_t ctl,
                        const uint8_t *d, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, proto);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s-%02x", dir, proto, tag, ctl);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputc(ctl, f);
    fwrite(d, 1, n, f);
    fclose(f);
    n_written++;
}

static stream *find_stream(const uint8_t key[13])
{
    for (int i = 0; i < n_streams; i++)
        if (!memcmp(streams[i]->key, key, 13))
            return streams[i];
    if (n_streams == MAX_STREAMS)
        return NULL;
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    memcpy(s->key, key, 13);
    streams[n_streams++] = s;
    return s;
}

static void read_pcap(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint32_t gh[6];
    if (fread(gh, 4, 6, f) != 6 || gh[0] != 0xa1b2c3d4) {
        fprintf(stderr, "%s: not a little-endian classic pcap\n", path);
        exit(1);
    }
    uint32_t linktype = gh[5];
    uint32_t rh[4];
    static uint8_t pkt[262144];
    while (fread(rh, 4, 4, f) == 4) {
        if (rh[2] > sizeof pkt || fread(pkt, 1, rh[2], f) != rh[2])
            break;
        const uint8_t *p = pkt;
        size_t n = rh[2];
        if (linktype == 1) {
            if (n < 14 || p[12] != 0x08 || p[13] != 0x00)
                continue;
            p += 14;
            n -= 14;
        }
        if (n < 20 || (p[0] >> 4) != 4)
            continue;
        size_t hl = (size_t)(p[0] & 15) * 4, tot = (size_t)(p[2] << 8 | p[3]);
        if (tot < n)
            n = tot;
        if (hl < 20 || hl > n)
            continue;
        uint8_t proto = p[9];
        uint8_t key[13];
        memcpy(key, p + 12, 8);
        const uint8_t *l4 = p + hl;
        size_t l4n = n - hl, pl;
        if (proto == 6 && l4n >= 20)
            pl = (size_t)(l4[12] >> 4) * 4;
        else if (proto == 17 && l4n >= 8)
            pl = 8;
        else
            continue;
        if (pl > l4n || pl == l4n)
            continue;
        memcpy(key + 8, l4, 4);
        key[12] = proto;
        stream *s = find_stream(key);
        if (!s)
            continue;
        size_t take = l4n - pl;
        if (take > MAX_BYTES - s->n)
            take = MAX_BYTES - s->n;
        memcpy(s->data + s->n, l4 + pl, take);
        s->n += take;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mkcorpus OUTDIR SEED-FRAMES.json PCAP...\n");
        return 2;
    }
    const char *out = argv[1];
    if (mkdir(out, 0755) && errno != EEXIST) {
        perror(out);
        return 1;
    }
    for (int i = 3; i < argc; i++)
        read_pcap(argv[i]);
    for (int i = 0; i < n_streams; i++) {
        stream *s = streams[i];
        for (int k = 0; cs_protocols[k]; k++) {
            const cs_proto *p = cs_protocols[k];
            if (!p->probe(s->data, s->n, s->key[12] == 17))
                continue;
            char tag[32];
            snprintf(tag, sizeof tag, "stream%03d", i);
            static const uint8_t ctls[] = {0x00, 0x5a, 0xb3};
            for (size_t c = 0; c < sizeof ctls; c++)
                write_input(out, p->name, tag, ctls[c], s->data, s->n);
        }
    }
    const char *err = NULL;
    mj *root = mj_parse_file(argv[2], &err);
    if (!root) {
        fprintf(stderr, "%s: %s\n", argv[2], err ? err : "unreadable");
        return 1;
    }
    int idx = 0;
    for (mj *f = root->child; f; f = f->next, idx++) {
        const char *hex = mj_str(f, "hex");
        if (!hex)
            continue;
        uint8_t b[4096];
        size_t n = cs_unhex(hex, b, sizeof b);
        char tag[32];
        snprintf(tag, sizeof tag, "seedframe%02d", idx);
        int claimed = 0;
        for (int k = 0; cs_protocols[k]; k++)
            if (cs_protocols[k]->probe(b, n, false)) {
                write_input(out, cs_protocols[k]->name, tag, 0x00, b, n);
                claimed = 1;
            }
        for (int k = 0; !claimed && cs_protocols[k]; k++)
            write_input(out, cs_protocols[k]->name, tag, 0x00, b, n);
    }
    mj_free(root);
    for (int i = 0; i < n_streams; i++)
        free(streams[i]);
    printf("%d seed inputs written to %s\n", n_written, out);
    return 0;
}

/*
 * ipfrag.h - IPv4 fragment reassembly, bounded: at most CC_FRAG_SLOTS
 * datagrams in progress, each at most 64 KiB; the oldest is given up when
 * a new one needs room, and any is given up after CC_FRAG_TIMEOUT_S of
 * capture time without a fragment.  The datagram belongs to the frame of
 * the fragment that completes it, as in Wireshark.
 */
#ifndef CHARGECAP_IPFRAG_H
#define CHARGECAP_IPFRAG_H

#include "packet.h"
#include "reader.h"
#include "sbuf.h"

#define CC_FRAG_SLOTS 64
#define CC_FRAG_TIMEOUT_S 60

typedef struct cc_frag_table cc_frag_table;

cc_frag_table *cc_frag_new(void);
void cc_frag_free(cc_frag_table *t);
/* A copy of a fragment's capture record, kept for --extract. */
typedef struct cc_raw_hdr {
    uint64_t frame;
    int64_t ts_ns;
    int32_t linktype;
    uint32_t caplen, len, ip_off;
} cc_raw_hdr;

/* Add the fragment in `p`.  True when it completes its datagram: the
 * transport bytes are then in *data and *len (valid until the next call).
 * With `keep`, the records of a datagram's fragments are kept; once it is
 * complete, *raw holds those before the last one (cc_raw_hdr, then its
 * bytes, one after another). */
bool cc_frag_add(cc_frag_table *t, const cc_packet *p, const cc_rec *keep, const uint8_t **data,
                 uint32_t *len, const sbuf **raw);
/* Datagrams given up incomplete so far (and those still pending when
 * `final`). */
uint64_t cc_frag_dropped(const cc_frag_table *t, bool final);

#endif

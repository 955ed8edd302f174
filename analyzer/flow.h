/*
 * flow.h - the table of live flows (TCP connections, UDP peer pairs).
 *
 * Open addressing with linear probing over a power-of-two index that
 * holds each entry's hash beside its number (a probe reads an entry only
 * when the hash matches), entries in fixed slabs (their addresses never
 * move), two intrusive lists in the order flows were last touched
 * (active, and closing after FIN or RST): a lookup is one hash, one
 * index read and usually one key comparison, the idle sweep
 * looks only at the front of each list, and nothing is allocated per
 * packet.  Every decision here depends on packet headers only: with -j,
 * one leader keeps the table for the whole file (session.h).
 */
#ifndef CHARGECAP_FLOW_H
#define CHARGECAP_FLOW_H

#include "packet.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct cc_flow_key {
    uint8_t addr[2][16]; /* the endpoints, lower (address, port) first */
    uint16_t port[2];
    uint8_t l4, family;
    uint8_t pad[2];
} cc_flow_key;
_Static_assert(sizeof(cc_flow_key) == 40, "cc_flow_key is compared as five words");

enum { CC_LIST_ACTIVE = 0, CC_LIST_CLOSING = 1 };

typedef struct cc_flow {
    cc_flow_key key;
    uint64_t id;          /* session number, in order of first packet */
    int64_t last_ts;
    uint32_t idx;         /* this entry's index */
    uint32_t prev, next;  /* list links (entry indices) */
    uint32_t hash;
    uint8_t list;
    uint8_t fin;          /* bit e: endpoint e of the key sent a FIN */
    uint8_t rst;
    uint8_t base_set;     /* bit e: base_seq[e] is known */
    uint32_t base_seq[2]; /* first sequence number seen from each endpoint */
    void *sess;           /* the session, when this shard owns the flow */
    uint16_t owner;       /* the shard that follows the session (with -j) */
} cc_flow;

typedef struct cc_flows cc_flows;

cc_flows *cc_flows_new(uint32_t max_flows);
void cc_flows_free(cc_flows *t);
uint32_t cc_flows_count(const cc_flows *t);

/* The key of a packet's flow, and which key endpoint sent it (0 or 1). */
uint32_t cc_flow_key_of(const cc_packet *p, cc_flow_key *k, int *sender);
cc_flow *cc_flows_find(cc_flows *t, const cc_flow_key *k, uint32_t hash);
/* Insert a new flow (the caller made room); NULL when out of memory. */
cc_flow *cc_flows_insert(cc_flows *t, const cc_flow_key *k, uint32_t hash);
void cc_flows_remove(cc_flows *t, cc_flow *f);
/* Move f to the back of `list` (the most recently touched). */
void cc_flows_touch(cc_flows *t, cc_flow *f, int list);
/* The least recently touched flow of `list`, or NULL. */
cc_flow *cc_flows_oldest(cc_flows *t, int list);
/* Every flow, in session-number order, into *out (caller frees). */
uint32_t cc_flows_all(cc_flows *t, cc_flow ***out);

#endif

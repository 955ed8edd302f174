/*
 * engine.h - registers a protocol of the shared library with Wireshark.
 *
 * Everything here is generic: fields, subtrees, expert items and
 * preferences come from the cs_proto tables; framing, decoding and the
 * session rules come from its functions.  A protocol needs no Wireshark
 * code of its own beyond one CS_WS_PROTOCOL() line in plugin.c.
 */
#ifndef CS_ENGINE_H
#define CS_ENGINE_H

#include "cs_compat.h"

#include "chargeproto.h"

typedef struct cs_ws cs_ws;

/* Heuristic entry points cannot carry user data, so plugin.c gives each
 * protocol two thin wrappers that call these. */
cs_heur_ret cs_ws_heur_tcp(cs_ws *w, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree);
cs_heur_ret cs_ws_heur_udp(cs_ws *w, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree);

cs_ws *cs_ws_new(const cs_proto *p);
void cs_ws_register(cs_ws *w);
void cs_ws_handoff(cs_ws *w, heur_dissector_t heur_tcp, heur_dissector_t heur_udp);

#endif

/*
 * plugin.c - chargeshark.so: Wireshark's entry points, and the list of
 * protocols the plugin registers.  Each protocol is one CS_WS_PROTOCOL()
 * line; everything else comes from the shared library's definitions.
 */
#include "engine.h"

#include "ruioo.h"
#include "woshi.h"
#include "evpile.h"
#include "depgate.h"
#include "aicloud.h"

#ifndef CHARGESHARK_VERSION
#error "CHARGESHARK_VERSION must be defined by the build"
#endif

WS_DLL_PUBLIC_DEF const char plugin_version[] = CHARGESHARK_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

/* Per protocol: its engine instance and the heuristic wrappers that
 * Wireshark's data-less heuristic callbacks need. */
#define CS_WS_PROTOCOL(id)                                                                    \
    static cs_ws *ws_##id;                                                                    \
    static cs_heur_ret heur_tcp_##id(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,     \
                                     void *data)                                              \
    {                                                                                         \
        (void)data;                                                                           \
        return cs_ws_heur_tcp(ws_##id, tvb, pinfo, tree);                                     \
    }                                                                                         \
    static cs_heur_ret heur_udp_##id(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,     \
                                     void *data)                                              \
    {                                                                                         \
        (void)data;                                                                           \
        return cs_ws_heur_udp(ws_##id, tvb, pinfo, tree);                                     \
    }

CS_WS_PROTOCOL(woshi)
CS_WS_PROTOCOL(evpile)
CS_WS_PROTOCOL(depgate)
CS_WS_PROTOCOL(ruioo)
CS_WS_PROTOCOL(aicloud)

static void register_all(void)
{
    ws_woshi = cs_ws_new(&woshi_proto);
    cs_ws_register(ws_woshi);
    ws_evpile = cs_ws_new(&evpile_proto);
    cs_ws_register(ws_evpile);
    ws_depgate = cs_ws_new(&depgate_proto);
    cs_ws_register(ws_depgate);
    ws_ruioo = cs_ws_new(&ruioo_proto);
    cs_ws_register(ws_ruioo);
    ws_aicloud = cs_ws_new(&aicloud_proto);
    cs_ws_register(ws_aicloud);
}

static void handoff_all(void)
{
    cs_ws_handoff(ws_woshi, heur_tcp_woshi, heur_udp_woshi);
    cs_ws_handoff(ws_evpile, heur_tcp_evpile, heur_udp_evpile);
    cs_ws_handoff(ws_depgate, heur_tcp_depgate, heur_udp_depgate);
    cs_ws_handoff(ws_ruioo, heur_tcp_ruioo, heur_udp_ruioo);
    cs_ws_handoff(ws_aicloud, heur_tcp_aicloud, heur_udp_aicloud);
}

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = register_all;
    plug.register_handoff = handoff_all;
    proto_register_plugin(&plug);
}

CS_PLUGIN_DESCRIBE_DISSECTOR

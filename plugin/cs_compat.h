/*
 * cs_compat.h - the only place that knows Wireshark versions differ.
 *
 * Tested with 4.0 (Debian 12), 4.4 (Debian 13) and 4.6 (Debian sid); see
 * docs/compat.md and tests/compat/run.  CMake probes the installed headers
 * (plugin/CMakeLists.txt) and defines the CS_HAVE_* macros used below; no
 * other source file tests a version, a probe or a macro defined here
 * (tests/compat/sources.sh checks).  What differs, and how it is handled:
 *   - heuristic dissectors return bool, not gboolean (4.4, 4.6):
 *     cs_heur_ret, CS_HEUR_TRUE/FALSE;
 *   - boolean preferences are bool, not gboolean (4.4, 4.6): cs_pref_bool;
 *   - wmem user callbacks return bool, not gboolean (4.4, 4.6):
 *     cs_wmem_cb_ret;
 *   - plugins describe themselves with plugin_describe() (4.4, 4.6; 4.0
 *     has no such symbol): CS_PLUGIN_DESCRIBE_DISSECTOR;
 *   - wmem_packet_scope() is gone (4.6): the engine uses pinfo->pool;
 *   - val_to_str() and val_to_str_ext() take a scope (4.6) and
 *     val_to_str_wmem() is gone (4.6): the engine names values with the
 *     library's cs_vs_name();
 *   - hf_/ett_ ids start at -1 and expert fields at EI_INIT: the engine
 *     sets them when it allocates them, which every version accepts.
 * Everything else the engine calls kept its meaning; where glib types gave
 * way to C99 ones (gint -> int, guint -> unsigned, guint32 -> uint32_t)
 * they are the same types.
 */
#ifndef CS_COMPAT_H
#define CS_COMPAT_H

#define WS_BUILD_DLL
#include <wireshark.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h> /* not installed by 4.0 */
#endif

#ifdef CS_HAVE_HEUR_BOOL
typedef bool cs_heur_ret;
#define CS_HEUR_TRUE true
#define CS_HEUR_FALSE false
#else
typedef gboolean cs_heur_ret;
#define CS_HEUR_TRUE TRUE
#define CS_HEUR_FALSE FALSE
#endif

#ifdef CS_HAVE_PREF_BOOL
typedef bool cs_pref_bool;
#else
typedef gboolean cs_pref_bool;
#endif

#ifdef CS_HAVE_WMEM_CB_BOOL
typedef bool cs_wmem_cb_ret;
#else
typedef gboolean cs_wmem_cb_ret;
#endif

/* plugin.c ends with CS_PLUGIN_DESCRIBE_DISSECTOR: the plugin says it
 * holds dissectors where Wireshark asks, and defines nothing where it
 * does not. */
#ifdef WS_PLUGIN_DESC_DISSECTOR
#define CS_PLUGIN_DESCRIBE_DISSECTOR                                                              \
    WS_DLL_PUBLIC uint32_t plugin_describe(void);                                                 \
    uint32_t plugin_describe(void)                                                                \
    {                                                                                             \
        return WS_PLUGIN_DESC_DISSECTOR;                                                          \
    }
#else
#define CS_PLUGIN_DESCRIBE_DISSECTOR
#endif

#endif /* CS_COMPAT_H */

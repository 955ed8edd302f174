/*
 * cs_compat.h - the only place that knows Wireshark versions differ.
 *
 * CMake probes the installed headers (plugin/CMakeLists.txt) and defines
 * the CS_HAVE_* macros below; no other source file tests a version.
 * Known breaks between 4.0 and 4.6:
 *   - heuristic dissectors and boolean preferences take bool, not gboolean;
 *   - plugins describe themselves with plugin_describe() (4.2+);
 *   - wmem_packet_scope() is gone: the engine uses pinfo->pool throughout;
 *   - hf_/ett_ ids start at -1 and expert fields at EI_INIT (done when the
 *     engine allocates them).
 */
#ifndef CS_COMPAT_H
#define CS_COMPAT_H

#define WS_BUILD_DLL
#include <wireshark.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
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

#ifdef WS_PLUGIN_DESC_DISSECTOR
#define CS_PLUGIN_DESCRIBE 1
#endif

#endif /* CS_COMPAT_H */

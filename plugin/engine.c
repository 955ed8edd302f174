/*
 * engine.c - the generic Wireshark side of every chargeshark protocol.
 *
 * Registration: hf/ett/expert arrays and preferences are built from the
 * protocol's tables.  Dissection: tcp_dissect_pdus() with the protocol's
 * frame() as get_pdu_len, the library's decode() for each PDU, and the
 * resulting items and violations turned into a tree and expert items.
 *
 * Sessions: the library's session state lives in the conversation.  On
 * the first pass every PDU is decoded with the session; the stateful part
 * of the output (request/response links, timing, login rules) is kept per
 * PDU in file scope.  Later passes decode statelessly and replay it, so a
 * packet looks the same however often and in whatever order it is shown.
 */
#include "engine.h"

#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/proto_data.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>
#include <epan/unit_strings.h>

#include <stddef.h>
#include <string.h>

#define CS_MAX_DEPTH 16
#define KEY_PDU_COUNTER 0xFFFFFFFFu

/* cs_vs must be usable as a value_string. */
G_STATIC_ASSERT(sizeof(cs_vs) == sizeof(value_string));
G_STATIC_ASSERT(offsetof(cs_vs, name) == offsetof(value_string, strptr));

struct cs_ws {
    const cs_proto *p;
    int proto_id;
    int ett_proto;
    int *hf;
    int *ett;
    expert_field *ei;
    dissector_handle_t h_tcp, h_udp;
    int tap;
    cs_pref_bool desegment;
    guint pref_uint[CS_MAX_OPTS];
    cs_pref_bool pref_bool[CS_MAX_OPTS];
    gint pref_enum[CS_MAX_OPTS];
    uint32_t opts[CS_MAX_OPTS];
    cs_out out; /* scratch; dissection runs on one thread */
};

/* What the stats tree and other taps receive for each PDU. */
typedef struct cs_ws_tap {
    const cs_proto *p;
    int32_t cmd;
    const char *cmd_name;
    uint8_t dir;
    uint8_t cksum;
    bool garbage;
    int32_t result;
    const char *result_name;
} cs_ws_tap;

/* Per conversation. */
typedef struct ws_conv {
    address addr0; /* the endpoint that sent first: side 0 */
    guint32 port0;
    void *sess;
} ws_conv;

/* Per PDU, first-pass results kept for later passes. */
typedef struct pdu_rec {
    uint8_t dir, dir_src;
    uint8_t cksum; /* the first pass's checksum verdict (cs_cksum) */
    bool pending;
    uint32_t resp_frame;
    uint32_t n_items, n_viols;
    cs_item *items;
    cs_viol *viols;
    char *arena;
    uint32_t arena_len;
} pdu_rec;

static cs_ws *all_ws[8];
static unsigned n_ws;

/* ---- registration ---------------------------------------------------------- */

cs_ws *cs_ws_new(const cs_proto *p)
{
    cs_ws *w = g_new0(cs_ws, 1);
    w->p = p;
    w->proto_id = -1;
    w->ett_proto = -1;
    w->tap = -1;
    w->desegment = TRUE;
    cs_out_init(&w->out, CS_WANT_ITEMS | CS_WANT_INFO);
    if (n_ws < G_N_ELEMENTS(all_ws))
        all_ws[n_ws++] = w;
    return w;
}

static enum ftenum ft_of(cs_ftype t)
{
    switch (t) {
    case CS_FT_NONE: return FT_NONE;
    case CS_FT_BOOL: return FT_BOOLEAN;
    case CS_FT_U8: return FT_UINT8;
    case CS_FT_U16: return FT_UINT16;
    case CS_FT_U24: return FT_UINT24;
    case CS_FT_U32: return FT_UINT32;
    case CS_FT_U64: return FT_UINT64;
    case CS_FT_I32: return FT_INT32;
    case CS_FT_DOUBLE: return FT_DOUBLE;
    case CS_FT_STRING: return FT_STRING;
    case CS_FT_BYTES: return FT_BYTES;
    case CS_FT_IPV4: return FT_IPv4;
    case CS_FT_ABSTIME: return FT_ABSOLUTE_TIME;
    case CS_FT_RELTIME: return FT_RELATIVE_TIME;
    case CS_FT_FRAMENUM: return FT_FRAMENUM;
    }
    return FT_NONE;
}

static bool ft_integer(cs_ftype t)
{
    return t == CS_FT_U8 || t == CS_FT_U16 || t == CS_FT_U24 || t == CS_FT_U32 ||
           t == CS_FT_U64 || t == CS_FT_I32;
}

static int display_of(const cs_field_def *f)
{
    if (f->type == CS_FT_ABSTIME)
        return ABSOLUTE_TIME_UTC;
    if (!ft_integer(f->type))
        return BASE_NONE;
    switch (f->base) {
    case CS_BASE_HEX: return BASE_HEX;
    case CS_BASE_DEC_HEX: return BASE_DEC_HEX;
    case CS_BASE_HEX_DEC: return BASE_HEX_DEC;
    default: return BASE_DEC;
    }
}

static void apply_prefs(void)
{
    for (unsigned k = 0; k < n_ws; k++) {
        cs_ws *w = all_ws[k];
        for (int i = 0; i < w->p->n_options && i < CS_MAX_OPTS; i++) {
            switch (w->p->options[i].type) {
            case CS_OPT_BOOL: w->opts[i] = w->pref_bool[i] ? 1 : 0; break;
            case CS_OPT_UINT: w->opts[i] = w->pref_uint[i]; break;
            case CS_OPT_ENUM: w->opts[i] = (uint32_t)w->pref_enum[i]; break;
            }
        }
    }
}

static tap_packet_status st_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt,
                                   const void *data, tap_flags_t flags);
static void st_init(stats_tree *st);
static int dissect_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb);
static int dissect_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb);

void cs_ws_register(cs_ws *w)
{
    const cs_proto *p = w->p;
    w->proto_id = proto_register_protocol(p->long_name, p->short_name, p->name);

    w->hf = g_new(int, p->n_fields);
    w->ett = g_new(int, p->n_fields);
    hf_register_info *hfri = g_new0(hf_register_info, p->n_fields);
    gint **etts = g_new(gint *, p->n_fields + 1);
    etts[0] = &w->ett_proto;
    for (int i = 0; i < p->n_fields; i++) {
        const cs_field_def *f = &p->fields[i];
        int display = display_of(f);
        const void *strings = NULL;
        if (f->type == CS_FT_FRAMENUM)
            strings = FRAMENUM_TYPE((f->flags & CS_FF_FN_REQUEST) ? FT_FRAMENUM_REQUEST
                                    : (f->flags & CS_FF_FN_RESPONSE) ? FT_FRAMENUM_RESPONSE
                                                                      : FT_FRAMENUM_NONE);
        else if (f->vals && ft_integer(f->type))
            strings = VALS((const value_string *)f->vals);
        else if (f->unit && ft_integer(f->type)) {
            unit_name_string *u = g_new0(unit_name_string, 1);
            u->singular = g_strdup_printf(" %s", f->unit);
            strings = u;
            display |= BASE_UNIT_STRING;
        }
        const char *blurb = f->blurb;
        if ((f->flags & CS_FF_INFERRED) && (!blurb || !strstr(blurb, "[inferred]")))
            blurb = g_strdup_printf("%s [inferred]", blurb ? blurb : f->name);
        w->hf[i] = -1;
        w->ett[i] = -1;
        hf_register_info r = {&w->hf[i],
                              {f->name, f->abbrev, ft_of(f->type), display, strings, 0, blurb,
                               HFILL}};
        hfri[i] = r;
        etts[i + 1] = &w->ett[i];
    }
    proto_register_field_array(w->proto_id, hfri, p->n_fields);
    proto_register_subtree_array(etts, p->n_fields + 1);

    w->ei = g_new(expert_field, p->n_violations);
    ei_register_info *eiri = g_new0(ei_register_info, p->n_violations);
    for (int i = 0; i < p->n_violations; i++) {
        const cs_violation_def *v = &p->violations[i];
        static const int groups[] = {
            [CS_GRP_CHECKSUM] = PI_CHECKSUM,   [CS_GRP_MALFORMED] = PI_MALFORMED,
            [CS_GRP_PROTOCOL] = PI_PROTOCOL,   [CS_GRP_SEQUENCE] = PI_SEQUENCE,
            [CS_GRP_RESPONSE] = PI_RESPONSE_CODE, [CS_GRP_UNDECODED] = PI_UNDECODED,
            [CS_GRP_ASSUMPTION] = PI_ASSUMPTION,
        };
        int sev = v->severity == CS_SEV_ERROR ? PI_ERROR
                  : v->severity == CS_SEV_WARN ? PI_WARN
                                               : PI_NOTE;
        expert_field init = EI_INIT;
        w->ei[i] = init;
        ei_register_info r = {&w->ei[i], {v->code, groups[v->group], sev, v->summary, EXPFILL}};
        eiri[i] = r;
    }
    expert_module_t *em = expert_register_protocol(w->proto_id);
    expert_register_field_array(em, eiri, p->n_violations);

    module_t *m = prefs_register_protocol(w->proto_id, apply_prefs);
    if (p->transports & CS_TR_TCP)
        prefs_register_bool_preference(
            m, "desegment", "Reassemble PDUs spanning several TCP segments",
            "Whether a PDU split across TCP segments is reassembled before it is decoded "
            "(TCP's own \"Allow subdissectors to reassemble TCP streams\" must be on too)",
            &w->desegment);
    for (int i = 0; i < p->n_options && i < CS_MAX_OPTS; i++) {
        const cs_option_def *o = &p->options[i];
        switch (o->type) {
        case CS_OPT_BOOL:
            w->pref_bool[i] = o->def != 0;
            prefs_register_bool_preference(m, o->name, o->title, o->desc, &w->pref_bool[i]);
            break;
        case CS_OPT_UINT:
            w->pref_uint[i] = o->def;
            prefs_register_uint_preference(m, o->name, o->title, o->desc, 10, &w->pref_uint[i]);
            break;
        case CS_OPT_ENUM: {
            int n = 0;
            while (o->enum_vals && o->enum_vals[n].name)
                n++;
            enum_val_t *ev = g_new0(enum_val_t, n + 1);
            for (int k = 0; k < n; k++) {
                ev[k].name = o->enum_vals[k].name;
                ev[k].description = o->enum_vals[k].name;
                ev[k].value = (gint)o->enum_vals[k].value;
            }
            w->pref_enum[i] = (gint)o->def;
            prefs_register_enum_preference(m, o->name, o->title, o->desc, &w->pref_enum[i], ev,
                                           FALSE);
            break;
        }
        }
    }
    apply_prefs();

    w->tap = register_tap(p->name);
    char *title = g_strdup_printf("chargeshark/%s", p->short_name);
    stats_tree_register_plugin(p->name, p->name, title, 0, st_packet, st_init, NULL);

    char *name;
    if (p->transports & CS_TR_TCP) {
        name = g_strdup_printf("%s.tcp", p->name);
        w->h_tcp = register_dissector_with_data(name, dissect_tcp, w->proto_id, w);
    }
    if (p->transports & CS_TR_UDP) {
        name = g_strdup_printf("%s.udp", p->name);
        w->h_udp = register_dissector_with_data(name, dissect_udp, w->proto_id, w);
    }
}

void cs_ws_handoff(cs_ws *w, heur_dissector_t heur_tcp, heur_dissector_t heur_udp)
{
    const cs_proto *p = w->p;
    char *internal, *display;
    if (w->h_tcp) {
        dissector_add_uint_range_with_preference("tcp.port", p->tcp_ports, w->h_tcp);
        internal = g_strdup_printf("%s_tcp", p->name);
        display = g_strdup_printf("%s over TCP", p->short_name);
        heur_dissector_add("tcp", heur_tcp, display, internal, w->proto_id, HEURISTIC_ENABLE);
    }
    if (w->h_udp) {
        dissector_add_uint_range_with_preference("udp.port", p->udp_ports, w->h_udp);
        internal = g_strdup_printf("%s_udp", p->name);
        display = g_strdup_printf("%s over UDP", p->short_name);
        heur_dissector_add("udp", heur_udp, display, internal, w->proto_id, HEURISTIC_ENABLE);
    }
}

/* ---- conversations and per-PDU records ----------------------------------- */

typedef struct sess_fini_ctx {
    const cs_proto *p;
    void *sess;
} sess_fini_ctx;

/* Releases a session when file scope is freed; runs once. */
static cs_wmem_cb_ret sess_fini_run(wmem_allocator_t *a, wmem_cb_event_t ev, void *data)
{
    (void)a;
    (void)ev;
    sess_fini_ctx *c = data;
    c->p->sess_fini(c->sess);
    return 0;
}

/* The transport's knowledge of the direction: the client of a TCP
 * connection whose handshake was captured is the device. */
static cs_dir tcp_transport_dir(packet_info *pinfo, bool *start_seen)
{
    struct tcp_analysis *tcpd = get_tcp_conversation_data(NULL, pinfo);
    *start_seen = false;
    if (!tcpd || !tcpd->server_port || pinfo->srcport == pinfo->destport)
        return CS_DIR_UNKNOWN;
    *start_seen = true;
    return pinfo->destport == tcpd->server_port ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
}

static ws_conv *get_conv(cs_ws *w, packet_info *pinfo, bool start_seen)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    ws_conv *c = conversation_get_proto_data(conv, w->proto_id);
    if (!c) {
        c = wmem_new0(wmem_file_scope(), ws_conv);
        copy_address_wmem(wmem_file_scope(), &c->addr0, &pinfo->src);
        c->port0 = pinfo->srcport;
        c->sess = wmem_alloc0(wmem_file_scope(), w->p->sess_size ? w->p->sess_size : 1);
        if (w->p->sess_init)
            w->p->sess_init(c->sess, w->opts, start_seen);
        if (w->p->sess_fini) {
            sess_fini_ctx *fc = wmem_new(wmem_file_scope(), sess_fini_ctx);
            fc->p = w->p;
            fc->sess = c->sess;
            wmem_register_callback(wmem_file_scope(), sess_fini_run, fc);
        }
        conversation_add_proto_data(conv, w->proto_id, c);
    }
    return c;
}

static uint8_t side_of(const ws_conv *c, packet_info *pinfo)
{
    return (addresses_equal(&c->addr0, &pinfo->src) && c->port0 == pinfo->srcport) ? 0 : 1;
}

/* Keep the stateful tail of `o` (items and violations the session added). */
static void rec_save(pdu_rec *r, const cs_out *o)
{
    r->dir = o->dir;
    r->dir_src = o->dir_source;
    r->cksum = o->cksum;
    r->pending = o->pending;
    r->n_items = o->n_items - o->n_items_stateless;
    r->n_viols = 0;
    for (uint32_t i = o->n_viols_stateless; i < o->n_viols; i++)
        if (!o->viols[i].frame)
            r->n_viols++;
    if (!r->n_items && !r->n_viols)
        return;
    /* Strings: copy what the tail refers to into a compact arena. */
    GString *ar = g_string_new("");
    g_string_append_c(ar, '\0');
    r->items = wmem_alloc_array(wmem_file_scope(), cs_item, r->n_items ? r->n_items : 1);
    for (uint32_t i = 0; i < r->n_items; i++) {
        cs_item it = o->items[o->n_items_stateless + i];
        if (it.str) {
            uint32_t off = (uint32_t)ar->len;
            g_string_append(ar, cs_str(o, it.str));
            g_string_append_c(ar, '\0');
            it.str = off;
        }
        r->items[i] = it;
    }
    r->viols = wmem_alloc_array(wmem_file_scope(), cs_viol, r->n_viols ? r->n_viols : 1);
    uint32_t k = 0;
    for (uint32_t i = o->n_viols_stateless; i < o->n_viols; i++) {
        cs_viol v = o->viols[i];
        if (v.frame)
            continue;
        if (v.msg) {
            uint32_t off = (uint32_t)ar->len;
            g_string_append(ar, cs_str(o, v.msg));
            g_string_append_c(ar, '\0');
            v.msg = off;
        }
        /* an item index into the stateless part stays valid; one into the
         * tail is rebased when replayed */
        r->viols[k++] = v;
    }
    r->arena_len = (uint32_t)ar->len;
    r->arena = wmem_memdup(wmem_file_scope(), ar->str, ar->len);
    g_string_free(ar, TRUE);
}

/* Append a saved tail to `o` (after a stateless decode). */
static void rec_replay(const pdu_rec *r, cs_out *o, uint32_t first_pass_stateless_items)
{
    uint32_t base = o->n_items;
    for (uint32_t i = 0; i < r->n_items; i++) {
        cs_item it = r->items[i];
        int idx = cs_item_add(o, it.field, it.offset, it.length, it.v.u);
        if (idx < 0)
            continue;
        cs_item *d = &o->items[idx];
        d->depth = it.depth;
        d->flags = it.flags;
        d->aux = it.aux;
        d->status = it.status;
        d->str = it.str ? cs_arena_printf(o, "%s", r->arena + it.str) : 0;
    }
    for (uint32_t i = 0; i < r->n_viols; i++) {
        cs_viol v = r->viols[i];
        int32_t item = v.item;
        if (item >= (int32_t)first_pass_stateless_items)
            item = (int32_t)(base + (uint32_t)item - first_pass_stateless_items);
        int idx = cs_viol_add(o, v.code, item, v.offset, v.length, v.msg ? "%s" : NULL,
                              r->arena + v.msg);
        if (idx >= 0)
            o->viols[idx].flags = v.flags;
    }
}

/* ---- building the tree ------------------------------------------------------- */

static proto_item *add_item(cs_ws *w, proto_tree *t, tvbuff_t *tvb, packet_info *pinfo,
                            const cs_out *o, const cs_item *it)
{
    const cs_field_def *f = &w->p->fields[it->field];
    int hf = w->hf[it->field];
    const char *txt = it->str ? cs_str(o, it->str) : NULL;
    gint cap = (gint)tvb_captured_length(tvb);
    gint off = (gint)it->offset, len = (gint)it->length;
    if (off > cap)
        off = cap;
    if (len > cap - off)
        len = cap - off;
    proto_item *pi = NULL;

    if (f->flags & CS_FF_CHECKSUM) {
        int width = f->type == CS_FT_U8 ? 1 : f->type == CS_FT_U16 ? 2 : f->type == CS_FT_U24 ? 3 : 4;
        int hf_status = f->link >= 0 ? w->hf[f->link] : -1;
        if (it->status == CS_CK_ABSENT) {
            pi = proto_tree_add_checksum(t, tvb, (guint)off, hf, hf_status, NULL, pinfo, 0,
                                         ENC_NA, PROTO_CHECKSUM_NOT_PRESENT);
        } else if (len == width) {
            guint flags = it->status == CS_CK_UNVERIFIED ? PROTO_CHECKSUM_NO_FLAGS
                                                         : PROTO_CHECKSUM_VERIFY;
            pi = proto_tree_add_checksum(t, tvb, (guint)off, hf, hf_status, NULL, pinfo, it->aux,
                                         (it->flags & CS_IF_LE) ? ENC_LITTLE_ENDIAN
                                                                : ENC_BIG_ENDIAN,
                                         flags);
        } else {
            /* a checksum written as text: value and status by hand */
            pi = proto_tree_add_uint(t, hf, tvb, off, len, (guint32)it->v.u);
            if (txt)
                proto_item_append_text(pi, " (%s)", txt);
            if (hf_status >= 0) {
                proto_item *s = proto_tree_add_uint(t, hf_status, tvb, off, len, it->status);
                proto_item_set_generated(s);
            }
        }
        return pi;
    }

    switch (f->type) {
    case CS_FT_NONE:
        pi = txt ? proto_tree_add_none_format(t, hf, tvb, off, len, "%s", txt)
                 : proto_tree_add_item(t, hf, tvb, off, len, ENC_NA);
        break;
    case CS_FT_BOOL:
        pi = proto_tree_add_boolean(t, hf, tvb, off, len, (guint32)(it->v.u != 0));
        break;
    case CS_FT_U8:
    case CS_FT_U16:
    case CS_FT_U24:
    case CS_FT_U32:
    case CS_FT_FRAMENUM:
        pi = txt ? proto_tree_add_uint_format_value(t, hf, tvb, off, len, (guint32)it->v.u, "%s", txt)
                 : proto_tree_add_uint(t, hf, tvb, off, len, (guint32)it->v.u);
        break;
    case CS_FT_U64:
        pi = txt ? proto_tree_add_uint64_format_value(t, hf, tvb, off, len, it->v.u, "%s", txt)
                 : proto_tree_add_uint64(t, hf, tvb, off, len, it->v.u);
        break;
    case CS_FT_I32:
        pi = txt ? proto_tree_add_int_format_value(t, hf, tvb, off, len, (gint32)it->v.i, "%s", txt)
                 : proto_tree_add_int(t, hf, tvb, off, len, (gint32)it->v.i);
        break;
    case CS_FT_DOUBLE:
        pi = txt ? proto_tree_add_double_format_value(t, hf, tvb, off, len, it->v.d, "%s", txt)
                 : proto_tree_add_double(t, hf, tvb, off, len, it->v.d);
        break;
    case CS_FT_STRING:
        pi = proto_tree_add_string(t, hf, tvb, off, len, txt ? txt : "");
        break;
    case CS_FT_BYTES:
        pi = proto_tree_add_item(t, hf, tvb, off, len, ENC_NA);
        if (txt)
            proto_item_append_text(pi, " (%s)", txt);
        break;
    case CS_FT_IPV4:
        pi = proto_tree_add_ipv4(t, hf, tvb, off, len, g_htonl((guint32)it->v.u));
        break;
    case CS_FT_ABSTIME: {
        nstime_t ts = {(time_t)it->v.i, (int)it->aux};
        pi = txt ? proto_tree_add_time_format_value(t, hf, tvb, off, len, &ts, "%s", txt)
                 : proto_tree_add_time(t, hf, tvb, off, len, &ts);
        break;
    }
    case CS_FT_RELTIME: {
        int64_t ns = it->v.i;
        nstime_t ts = {(time_t)(ns / 1000000000), (int)(ns % 1000000000)};
        pi = proto_tree_add_time(t, hf, tvb, off, len, &ts);
        break;
    }
    }
    if ((it->flags & CS_IF_GENERATED) || (f->flags & CS_FF_GENERATED))
        proto_item_set_generated(pi);
    if (it->flags & CS_IF_HIDDEN)
        proto_item_set_hidden(pi);
    return pi;
}

static void build_tree(cs_ws *w, tvbuff_t *tvb, tvbuff_t *dtvb, packet_info *pinfo,
                       proto_tree *tree, const cs_out *o, gint pdu_len)
{
    proto_item *ti = proto_tree_add_item(tree, w->proto_id, tvb, 0, pdu_len, ENC_NA);
    if (o->info_len)
        proto_item_append_text(ti, ", %s", o->info);
    proto_tree *root = proto_item_add_subtree(ti, w->ett_proto);
    /* trees[d]: where items of depth d go, the subtree of at[d - 1] */
    proto_tree *trees[CS_MAX_DEPTH] = {root};
    proto_item *at[CS_MAX_DEPTH] = {NULL};
    int at_field[CS_MAX_DEPTH] = {0};
    proto_item **pis = wmem_alloc0_array(pinfo->pool, proto_item *, o->n_items ? o->n_items : 1);
    for (uint32_t i = 0; i < o->n_items; i++) {
        const cs_item *it = &o->items[i];
        int d = it->depth < CS_MAX_DEPTH ? it->depth : CS_MAX_DEPTH - 1;
        while (d > 0 && !at[d - 1])
            d--; /* no parent at that depth: attach higher up */
        if (d > 0 && !trees[d]) /* depth 0 is the root, NULL when no tree is built */
            trees[d] = proto_item_add_subtree(at[d - 1], w->ett[at_field[d - 1]]);
        tvbuff_t *src = (it->flags & CS_IF_DERIVED) && dtvb ? dtvb : tvb;
        pis[i] = add_item(w, trees[d], src, pinfo, o, it);
        at[d] = pis[i];
        at_field[d] = it->field;
        for (int k = d + 1; k < CS_MAX_DEPTH; k++) {
            trees[k] = NULL;
            at[k] = NULL;
        }
    }
    for (uint32_t i = 0; i < o->n_viols; i++) {
        const cs_viol *v = &o->viols[i];
        if (v->frame)
            continue; /* about another frame; shown there on a later pass */
        expert_field *ei = &w->ei[v->code];
        const char *msg = v->msg ? cs_str(o, v->msg) : w->p->violations[v->code].summary;
        if (v->item >= 0 && (uint32_t)v->item < o->n_items && pis[v->item]) {
            expert_add_info_format(pinfo, pis[v->item], ei, "%s", msg);
        } else {
            tvbuff_t *src = (v->flags & CS_VF_DERIVED) && dtvb ? dtvb : tvb;
            gint cap = (gint)tvb_captured_length(src);
            gint off = (gint)v->offset > cap ? cap : (gint)v->offset;
            gint len = (gint)v->length > cap - off ? cap - off : (gint)v->length;
            proto_tree_add_expert_format(root, pinfo, ei, src, off, len, "%s", msg);
        }
    }
}

/* ---- dissection ---------------------------------------------------------------- */

static guint32 next_pdu_index(cs_ws *w, packet_info *pinfo)
{
    guint32 *n = p_get_proto_data(pinfo->pool, pinfo, w->proto_id, KEY_PDU_COUNTER);
    if (!n) {
        n = wmem_new0(pinfo->pool, guint32);
        p_add_proto_data(pinfo->pool, pinfo, w->proto_id, KEY_PDU_COUNTER, n);
    }
    return (*n)++;
}

static void set_info(cs_ws *w, packet_info *pinfo, guint32 idx, const cs_out *o)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, w->p->short_name);
    const char *txt = o->info_len ? o->info : (o->cmd_name ? o->cmd_name : w->p->short_name);
    if (idx == 0) {
        col_clear(pinfo->cinfo, COL_INFO);
        col_add_str(pinfo->cinfo, COL_INFO, txt);
    } else {
        col_append_sep_str(pinfo->cinfo, COL_INFO, " | ", txt);
    }
}

static void tap_pdu(cs_ws *w, packet_info *pinfo, const cs_out *o)
{
    if (!have_tap_listener(w->tap))
        return;
    cs_ws_tap *t = wmem_new0(pinfo->pool, cs_ws_tap);
    t->p = w->p;
    t->cmd = o->cmd;
    t->cmd_name = o->cmd_name;
    t->dir = o->dir;
    t->cksum = o->cksum;
    t->garbage = o->garbage;
    t->result = o->result;
    t->result_name = o->result_name;
    tap_queue_packet(w->tap, pinfo, t);
}

/* Decode and show one PDU (or one run of garbage). */
/* Decode and show one PDU, or one run of garbage.  `kind` is what the
 * framer said with all the bytes in view (the PDU's own bytes may not be
 * enough to tell again): SKIP is garbage; PDU, and NEED (the data ended
 * before the framer could tell), are decoded as a PDU, cut short if so. */
static void dissect_one(cs_ws *w, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                        cs_frame_kind kind, cs_dir transport_dir, bool start_seen, bool udp,
                        bool whole)
{
    const cs_proto *p = w->p;
    guint32 idx = next_pdu_index(w, pinfo);
    gint cap = (gint)tvb_captured_length(tvb);
    const guint8 *b = cap ? tvb_get_ptr(tvb, 0, cap) : (const guint8 *)"";
    cs_out *o = &w->out;

    cs_ctx ctx = {0};
    ctx.frame = pinfo->num;
    ctx.ts_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    ctx.transport_dir = (uint8_t)transport_dir;
    ctx.src_port = (uint16_t)pinfo->srcport;
    ctx.dst_port = (uint16_t)pinfo->destport;
    ctx.udp = udp;
    ctx.whole = whole;

    if (kind == CS_FRAME_SKIP) {
        cs_decode_garbage(p, b, (size_t)cap, &ctx, o);
    } else {
        ws_conv *c = get_conv(w, pinfo, start_seen);
        ctx.side = side_of(c, pinfo);
        pdu_rec *r = p_get_proto_data(wmem_file_scope(), pinfo, w->proto_id, idx);
        if (!r) {
            /* first pass: decode with the session and keep its part; the
             * record's address is the PDU's tag, so a later response can
             * point back at it */
            r = wmem_new0(wmem_file_scope(), pdu_rec);
            ctx.tag = (uintptr_t)r;
            p->decode(c->sess, w->opts, b, (size_t)cap, &ctx, o);
            rec_save(r, o);
            p_add_proto_data(wmem_file_scope(), pinfo, w->proto_id, idx, r);
            if (o->req_tag)
                ((pdu_rec *)o->req_tag)->resp_frame = pinfo->num;
        } else {
            ctx.dir_override = r->dir;
            ctx.dir_override_source = r->dir_src;
            p->decode(NULL, w->opts, b, (size_t)cap, &ctx, o);
            /* A stateless decode may add, after its mark, what it can tell
             * without a session (a checksum verdict that the session
             * decides); the first pass's tail replaces it. */
            o->n_items = o->n_items_stateless;
            o->n_viols = o->n_viols_stateless;
            o->cksum = r->cksum;
            uint32_t stateless_items = o->n_items;
            rec_replay(r, o, stateless_items);
        }
        if (r->resp_frame) {
            int it = cs_item_add(o, p->f_response_in, 0, 0, r->resp_frame);
            cs_item_flag(o, it, CS_IF_GENERATED);
        } else if (r->pending && PINFO_FD_VISITED(pinfo)) {
            cs_viol_add(o, p->v_unanswered, -1, 0, 0, NULL);
        }
    }

    tvbuff_t *dtvb = NULL;
    if (o->derived_len) {
        guint8 *copy = (guint8 *)wmem_memdup(pinfo->pool, o->derived, o->derived_len);
        dtvb = tvb_new_child_real_data(tvb, copy, o->derived_len, o->derived_len);
        add_new_data_source(pinfo, dtvb, o->derived_name ? o->derived_name : "Decoded frame");
    }
    set_info(w, pinfo, idx, o);
    build_tree(w, tvb, dtvb, pinfo, tree, o, -1);
    tap_pdu(w, pinfo, o);
}

typedef struct tcp_call {
    cs_ws *w;
    cs_dir transport_dir;
    bool start_seen;
    bool reassembling;       /* desegmentation on and possible */
    cs_frame_kind last_kind; /* get_pdu_len's verdict on the PDU dissect_pdu gets next */
} tcp_call;

static guint get_pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data)
{
    tcp_call *tc = data;
    const cs_proto *p = tc->w->p;
    guint avail = tvb_captured_length_remaining(tvb, offset);
    const guint8 *b = tvb_get_ptr(tvb, offset, avail);
    size_t len = 0;
    (void)pinfo;
    tc->last_kind = p->frame(b, avail, &len);
    switch (tc->last_kind) {
    case CS_FRAME_PDU:
        return (guint)len;
    case CS_FRAME_SKIP:
        /* without reassembly the bytes kept for a header that might
         * continue in the next segment are garbage too */
        if (!tc->reassembling && avail - len < p->frame_min)
            return avail;
        return (guint)len;
    case CS_FRAME_NEED:
        if (tc->reassembling)
            return 0; /* one more segment */
        return avail; /* no reassembly: a PDU cut short */
    }
    return avail;
}

static int dissect_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    tcp_call *tc = data;
    dissect_one(tc->w, tvb, pinfo, tree, tc->last_kind, tc->transport_dir, tc->start_seen, false,
                false);
    return tvb_captured_length(tvb);
}

static int dissect_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb)
{
    (void)data;
    tcp_call tc = {.w = cb};
    tc.transport_dir = tcp_transport_dir(pinfo, &tc.start_seen);
    tc.reassembling = tc.w->desegment && pinfo->can_desegment;
    col_set_str(pinfo->cinfo, COL_PROTOCOL, tc.w->p->short_name);
    tcp_dissect_pdus(tvb, pinfo, tree, tc.w->desegment, 1, get_pdu_len, dissect_pdu, &tc);
    return tvb_captured_length(tvb);
}

/* A datagram: its PDUs one after another, each whole. */
static int dissect_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, void *cb)
{
    (void)data;
    cs_ws *w = cb;
    guint cap = tvb_captured_length(tvb), off = 0;
    col_set_str(pinfo->cinfo, COL_PROTOCOL, w->p->short_name);
    while (off < cap) {
        size_t len = 0;
        const guint8 *b = tvb_get_ptr(tvb, off, cap - off);
        cs_frame_kind k = w->p->frame(b, cap - off, &len);
        if (k == CS_FRAME_NEED || len == 0 || len > cap - off)
            len = cap - off;
        tvbuff_t *sub = tvb_new_subset_length(tvb, off, (gint)len);
        dissect_one(w, sub, pinfo, tree, k, CS_DIR_PEER, false, true, true);
        off += (guint)len;
    }
    return (int)cap;
}

cs_heur_ret cs_ws_heur_tcp(cs_ws *w, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    guint cap = tvb_captured_length(tvb);
    if (!cap || !w->p->probe(tvb_get_ptr(tvb, 0, cap), cap, false))
        return CS_HEUR_FALSE;
    /* claimed from this frame on: the frames before it stay unclaimed on
     * later passes too (chargecap counts their bytes as unparsed) */
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector_from_frame_number(conv, pinfo->num, w->h_tcp);
    dissect_tcp(tvb, pinfo, tree, NULL, w);
    return CS_HEUR_TRUE;
}

cs_heur_ret cs_ws_heur_udp(cs_ws *w, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    guint cap = tvb_captured_length(tvb);
    if (!cap || !w->p->probe(tvb_get_ptr(tvb, 0, cap), cap, true))
        return CS_HEUR_FALSE;
    /* claimed from this frame on: the frames before it stay unclaimed on
     * later passes too (chargecap counts their bytes as unparsed) */
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector_from_frame_number(conv, pinfo->num, w->h_udp);
    dissect_udp(tvb, pinfo, tree, NULL, w);
    return CS_HEUR_TRUE;
}

/* ---- statistics -------------------------------------------------------------- */

static const char st_msgs[] = "Messages by command and direction";
static const char st_cksum[] = "Checksum verdicts";
static const char st_results[] = "Result codes";

static void st_init(stats_tree *st)
{
    stats_tree_create_node(st, st_msgs, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, st_cksum, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, st_results, 0, STAT_DT_INT, TRUE);
}

static tap_packet_status st_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt,
                                   const void *data, tap_flags_t flags)
{
    (void)pinfo;
    (void)edt;
    (void)flags;
    const cs_ws_tap *t = data;
    char cmd[96];
    if (t->garbage)
        g_strlcpy(cmd, "Garbage between PDUs", sizeof cmd);
    else if (t->cmd_name)
        g_snprintf(cmd, sizeof cmd, "%s (0x%02X)", t->cmd_name, (unsigned)t->cmd);
    else if (t->cmd >= 0)
        g_snprintf(cmd, sizeof cmd, "Unknown (0x%02X)", (unsigned)t->cmd);
    else
        g_strlcpy(cmd, "Unparsed", sizeof cmd);

    int root = tick_stat_node(st, st_msgs, 0, TRUE);
    int n = tick_stat_node(st, cmd, root, TRUE);
    tick_stat_node(st, cs_vs_name(cs_dir_vals, t->dir, "Unknown"), n, FALSE);

    if (t->cksum != CS_CK_NONE) {
        root = tick_stat_node(st, st_cksum, 0, TRUE);
        tick_stat_node(st, cs_vs_name(cs_cksum_vals, t->cksum, "Unknown"), root, FALSE);
    }
    if (t->result >= 0) {
        root = tick_stat_node(st, st_results, 0, TRUE);
        n = tick_stat_node(st, cmd, root, TRUE);
        char res[96];
        g_snprintf(res, sizeof res, "%s (%d)", t->result_name ? t->result_name : "?", t->result);
        tick_stat_node(st, res, n, FALSE);
    }
    return TAP_PACKET_REDRAW;
}

/*
 * fuzz_protocol.c - libFuzzer harness for one protocol of the library,
 * built once per protocol (CS_FUZZ_PROTO names it).
 *
 * Input layout: byte 0 chooses how the rest is cut into segments and
 * which side sends each; the rest is the stream.  Each run:
 *   1. probe() on the whole input, as TCP and as UDP;
 *   2. decode() of the whole input as one frame, without a session, for
 *      each direction the transport could claim;
 *   3. the stream path as the plugin and chargecap run it: segments
 *      appended to a per-side buffer, frame() as each arrives, decode()
 *      with a session, garbage through cs_decode_garbage(), sess_end();
 *   4. for every PDU of step 3, decode() again without the session and
 *      with the first pass's direction, as the plugin does on later
 *      passes: the stateless part must be identical (abort otherwise);
 *      only the checksum verdict may differ, since the plugin keeps the
 *      first pass's.
 * Every output is checked: offsets within the bytes (or the derived view),
 * codes and fields within the tables, a terminated Info string.
 */
#include "chargeproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CS_FUZZ_PROTO
#error "CS_FUZZ_PROTO must name the protocol"
#endif

#define MAX_STREAM (64 * 1024)

static const cs_proto *P;
static uint32_t opts[CS_MAX_OPTS];
static cs_out out, again;

#define REQUIRE(cond, what)                                                                   \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s: invariant broken: %s (%s:%d)\n", P->name, what, __FILE__,     \
                    __LINE__);                                                                \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static void check_out(const cs_out *o, size_t len)
{
    REQUIRE(o->n_items <= o->cap_items || o->n_items == 0, "item count");
    for (uint32_t i = 0; i < o->n_items; i++) {
        const cs_item *it = &o->items[i];
        size_t lim = (it->flags & CS_IF_DERIVED) ? o->derived_len : len;
        REQUIRE(it->field < P->n_fields, "item field index");
        REQUIRE((size_t)it->offset <= lim && (size_t)it->length <= lim - it->offset,
                "item within its bytes");
        REQUIRE(it->depth < 32, "item depth");
        REQUIRE(it->str < o->arena_len || it->str == 0, "item string offset");
        if (P->fields[it->field].type == CS_FT_STRING)
            REQUIRE(memchr(cs_str(o, it->str), 0, o->arena_len - it->str + 1) != NULL, "string");
    }
    for (uint32_t i = 0; i < o->n_viols; i++) {
        const cs_viol *v = &o->viols[i];
        size_t lim = (v->flags & CS_VF_DERIVED) ? o->derived_len : len;
        REQUIRE(v->code < P->n_violations, "violation code");
        REQUIRE(v->item < (int32_t)o->n_items, "violation item");
        if (!v->frame)
            REQUIRE((size_t)v->offset <= lim && (size_t)v->length <= lim - v->offset,
                    "violation within its bytes");
        REQUIRE(v->msg < o->arena_len || v->msg == 0, "violation message offset");
    }
    REQUIRE(o->info_len < sizeof o->info && o->info[o->info_len] == '\0', "info terminated");
    REQUIRE(o->n_items_stateless <= o->n_items && o->n_viols_stateless <= o->n_viols,
            "stateless marks");
    REQUIRE(o->cksum <= CS_CK_ABSENT || o->cksum == CS_CK_NONE, "checksum verdict");
    REQUIRE(o->dir <= CS_DIR_PEER, "direction");
}

/* The stateless parts of two outputs of the same PDU are identical. */
static void same_stateless(const cs_out *a, const cs_out *b)
{
    REQUIRE(a->n_items_stateless == b->n_items_stateless, "stateless item count differs");
    REQUIRE(a->n_viols_stateless == b->n_viols_stateless, "stateless violation count differs");
    for (uint32_t i = 0; i < a->n_items_stateless; i++) {
        const cs_item *x = &a->items[i], *y = &b->items[i];
        REQUIRE(x->field == y->field && x->offset == y->offset && x->length == y->length &&
                    x->depth == y->depth && x->v.u == y->v.u && x->status == y->status &&
                    !strcmp(cs_str(a, x->str), cs_str(b, y->str)),
                "stateless item differs between passes");
    }
    for (uint32_t i = 0; i < a->n_viols_stateless; i++) {
        const cs_viol *x = &a->viols[i], *y = &b->viols[i];
        REQUIRE(x->code == y->code && x->offset == y->offset && x->length == y->length &&
                    !strcmp(cs_str(a, x->msg), cs_str(b, y->msg)),
                "stateless violation differs between passes");
    }
    /* the checksum verdict may depend on the session (Ruioo learns its
     * CRC): the plugin carries it over from the first pass */
    REQUIRE(a->cmd == b->cmd && !strcmp(a->info, b->info), "summary differs between passes");
    REQUIRE(a->derived_len == b->derived_len &&
                (!a->derived_len || !memcmp(a->derived, b->derived, a->derived_len)),
            "derived view differs between passes");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    P = cs_proto_by_name(CS_FUZZ_PROTO);
    if (!P) {
        fprintf(stderr, "no protocol %s\n", CS_FUZZ_PROTO);
        abort();
    }
    cs_opts_default(P, opts);
    cs_out_init(&out, CS_WANT_ITEMS | CS_WANT_INFO);
    cs_out_init(&again, CS_WANT_ITEMS | CS_WANT_INFO);
    return 0;
}

static void decode_pdu(void *sess, const uint8_t *b, size_t n, cs_ctx *ctx)
{
    P->decode(sess, opts, b, n, ctx, &out);
    check_out(&out, n);
    /* a later pass: stateless, with the direction decided now */
    cs_ctx c2 = *ctx;
    c2.dir_override = out.dir;
    c2.dir_override_source = out.dir_source;
    P->decode(NULL, opts, b, n, &c2, &again);
    check_out(&again, n);
    same_stateless(&out, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!P)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1 || size > MAX_STREAM)
        return 0;
    uint8_t ctl = data[0];
    const uint8_t *s = data + 1;
    size_t n = size - 1;

    /* 1. the heuristic */
    (void)P->probe(s, n, false);
    (void)P->probe(s, n, true);

    /* 2. one whole frame, each direction the transport could claim */
    for (int d = 0; d <= CS_DIR_PEER; d++) {
        cs_ctx ctx = {.frame = 1, .ts_ns = 1, .transport_dir = (uint8_t)d, .whole = 1,
                      .udp = d == CS_DIR_PEER, .src_port = 40000, .dst_port = 8000};
        P->decode(NULL, opts, s, n, &ctx, &out);
        check_out(&out, n);
    }

    /* 3. the stream path, with a session */
    void *sess = calloc(1, P->sess_size ? P->sess_size : 1);
    if (!sess)
        return 0;
    if (P->sess_init)
        P->sess_init(sess, opts, ctl & 0x80);
    static uint8_t buf[2][MAX_STREAM];
    size_t have[2] = {0, 0};
    uint32_t frame = 0;
    size_t pos = 0;
    uint32_t r = ctl * 2654435761u + 1;
    while (pos < n) {
        r = r * 1103515245u + 12345u;
        size_t seg = 1 + (r >> 16) % (ctl & 0x40 ? 7 : 97);
        if (seg > n - pos)
            seg = n - pos;
        int side = (ctl & 0x20) ? (int)((r >> 8) & 1) : 0;
        memcpy(buf[side] + have[side], s + pos, seg);
        have[side] += seg;
        pos += seg;
        frame++;
        /* frame what is buffered, as tcp_dissect_pdus would */
        size_t off = 0;
        while (off < have[side]) {
            size_t avail = have[side] - off, len = 0;
            if (avail < P->frame_min)
                break;
            cs_frame_kind k = P->frame(buf[side] + off, avail, &len);
            REQUIRE(k == CS_FRAME_PDU || k == CS_FRAME_NEED || k == CS_FRAME_SKIP, "frame kind");
            if (k == CS_FRAME_NEED) {
                REQUIRE(len > avail, "NEED asks for more than is there");
                break;
            }
            REQUIRE(len > 0, "frame() returned an empty PDU or skip");
            if (k == CS_FRAME_SKIP) {
                REQUIRE(len <= avail, "skip within the bytes");
                cs_ctx ctx = {.frame = frame, .ts_ns = (int64_t)frame * 1000000000};
                cs_decode_garbage(P, buf[side] + off, len, &ctx, &out);
                check_out(&out, len);
                off += len;
                continue;
            }
            if (len > avail)
                break; /* wait for the rest */
            cs_ctx ctx = {.frame = frame,
                          .ts_ns = (int64_t)frame * 7000000000LL,
                          .side = (uint8_t)side,
                          .transport_dir = (uint8_t)((ctl & 0x10) ? (side ? CS_DIR_TO_DEVICE
                                                                          : CS_DIR_TO_SERVER)
                                                                  : CS_DIR_UNKNOWN),
                          .src_port = side ? 8000 : 40000,
                          .dst_port = side ? 40000 : 8000,
                          .tag = frame};
            decode_pdu(sess, buf[side] + off, len, &ctx);
            off += len;
        }
        memmove(buf[side], buf[side] + off, have[side] - off);
        have[side] -= off;
    }
    /* what never completed: a cut PDU, decoded as the plugin would
     * without reassembly */
    for (int side = 0; side < 2; side++)
        if (have[side]) {
            cs_ctx ctx = {.frame = frame + 1, .ts_ns = 1, .side = (uint8_t)side, .tag = frame + 1};
            decode_pdu(sess, buf[side], have[side], &ctx);
        }
    if (P->sess_end) {
        P->sess_end(sess, &out);
        for (uint32_t i = 0; i < out.n_viols; i++)
            REQUIRE(out.viols[i].code < P->n_violations && out.viols[i].frame > 0,
                    "session-end violation without its frame");
    }
    if (P->sess_fini)
        P->sess_fini(sess);
    free(sess);
    return 0;
}

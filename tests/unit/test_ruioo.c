/*
 * test_ruioo - the Ruioo definition through the library interface: the
 * seed's 15 templates made concrete, CRC-16 discovery over every variant,
 * coverage and encoding, the CRC verdict rules, the flows, framing, the
 * heuristic, the tolerated forms, and the stateless/stateful split the
 * plugin relies on.
 *
 *   test_ruioo TEMPLATES   (tests/data/ruioo-seed-templates.txt)
 */
#include "check.h"
#include "want_parity.h"

#include "chargeproto.h"
#include "ruioo.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const cs_proto *P = &ruioo_proto;
static uint32_t opts[CS_MAX_OPTS];
static cs_out o;

#define IMEI "866123054876290" /* a valid Luhn digit */

/* ---- helpers ------------------------------------------------------------- */

static int count_code(const char *code)
{
    int c = 0;
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (!strcmp(P->violations[o.viols[i].code].code, code))
            c++;
    return c;
}

/* Violations of severity >= warning. */
static int count_worse_than_note(void)
{
    int c = 0;
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (P->violations[o.viols[i].code].severity > CS_SEV_NOTE)
            c++;
    return c;
}

static const char *codes(void)
{
    static char buf[1024];
    buf[0] = '\0';
    for (uint32_t i = 0; i < o.n_viols; i++) {
        strncat(buf, P->violations[o.viols[i].code].code, sizeof buf - strlen(buf) - 2);
        strncat(buf, " ", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

static const cs_item *item_n(int field, int n)
{
    for (uint32_t i = 0; i < o.n_items; i++)
        if (o.items[i].field == field && n-- == 0)
            return &o.items[i];
    return NULL;
}
static const cs_item *item(int field) { return item_n(field, 0); }

static const char *str_of(int field, int n)
{
    const cs_item *it = item_n(field, n);
    return it ? cs_str(&o, it->str) : "(none)";
}

static void dec(void *sess, const char *s, size_t n, cs_dir transport, uint8_t side, int64_t t_ms,
                uint32_t frame_no)
{
    cs_ctx ctx = {0};
    ctx.frame = frame_no;
    ctx.ts_ns = t_ms * 1000000LL;
    ctx.transport_dir = (uint8_t)transport;
    ctx.side = side;
    ctx.tag = frame_no;
    P->decode(sess, opts, (const uint8_t *)s, n, &ctx, &o);
}

static void decs(void *sess, const char *s, cs_dir transport, uint32_t frame_no)
{
    dec(sess, s, strlen(s), transport, transport == CS_DIR_TO_DEVICE, frame_no * 100, frame_no);
}

/* The CRC as `enc` writes it. */
static void render(char *out, size_t n, uint16_t crc, int enc, bool lower)
{
    if (enc == RUIOO_ENC_DECIMAL)
        snprintf(out, n, "%u", crc);
    else
        snprintf(out, n, lower ? "%04x" : "%04X", crc);
}

/* A frame {"IMEI,<body><CRC>"}\r\n, body ending with the separator before
 * the CRC; the CRC computed here over coverage `cov` (independently of the
 * library's own coverage code: the layout is fixed). */
static const char *frame_crc(char *out, size_t outn, const char *imei, const char *body, int var,
                             int cov, int enc, bool lower, uint16_t xor)
{
    char pre[400];
    snprintf(pre, sizeof pre, "{\"%s,%s", imei, body);
    size_t n = strlen(pre), sep = n - 1, a = 0;
    switch (cov) {
    case RUIOO_COV_IMEI_SEP:
    case RUIOO_COV_IMEI: a = 2; break;
    case RUIOO_COV_QUOTE_SEP:
    case RUIOO_COV_QUOTE: a = 1; break;
    default: a = 0; break;
    }
    bool incl = cov == RUIOO_COV_IMEI_SEP || cov == RUIOO_COV_QUOTE_SEP || cov == RUIOO_COV_BRACE_SEP;
    uint16_t crc = cs_crc16((cs_crc16_variant)var, (const uint8_t *)pre + a, (incl ? sep + 1 : sep) - a);
    char c[8];
    render(c, sizeof c, crc ^ xor, enc, lower);
    snprintf(out, outn, "%s%s\"}\r\n", pre, c);
    return out;
}

/* The sample cabinets' combination: MODBUS over the IMEI through the separator, hex. */
static const char *fr(char *out, size_t outn, const char *body)
{
    return frame_crc(out, outn, IMEI, body, CS_CRC16_MODBUS, RUIOO_COV_IMEI_SEP, RUIOO_ENC_HEX,
                     false, 0);
}

static void *new_sess(bool start_seen)
{
    void *s = calloc(1, P->sess_size);
    P->sess_init(s, opts, start_seen);
    return s;
}

static void free_sess(void *s)
{
    P->sess_fini(s);
    free(s);
}

/* ---- the seed's templates ------------------------------------------------- */

static void replace(char *s, size_t cap, const char *what, const char *with)
{
    char *p;
    while ((p = strstr(s, what))) {
        size_t wl = strlen(what), nl = strlen(with), rest = strlen(p + wl);
        if (strlen(s) - wl + nl + 1 > cap)
            return;
        memmove(p + nl, p + wl, rest + 1);
        memcpy(p, with, nl);
    }
}

typedef struct expect {
    const char *cmd, *sub;
    int slot;
} expect;

static void test_templates(const char *path)
{
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL, "cannot open %s", path);
    if (!fp)
        return;
    static const expect ex[16] = {
        [1] = {"CH", NULL, -1},  [2] = {"CQ", NULL, -1},  [3] = {"AQ", NULL, -1},
        [4] = {"CC", "BW", 2},   [5] = {"MQ", NULL, 2},   [6] = {"RQ", "T", 2},
        [7] = {"RQ", "F", 2},    [8] = {"MC", "BO", 2},   [9] = {"AM", "BO", 2},
        [10] = {"MC", "RO", 2},  [11] = {"AM", "RO", 2},  [12] = {"MR", "BF", 2},
        [13] = {"AR", "BF", 2},  [14] = {"MR", "BF", 2},  [15] = {"AR", "RF", 2},
    };
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        int num = atoi(line);
        char *t = strchr(line, '\t');
        if (!t || num < 1 || num > 15)
            continue;
        seen++;
        char s[512];
        snprintf(s, sizeof s, "%s", t + 1);
        s[strcspn(s, "\r\n")] = '\0';
        /* concrete values for the placeholders */
        replace(s, sizeof s, "IMEI", IMEI);
        replace(s, sizeof s, "STROEID", "2");
        replace(s, sizeof s, "DEVID", "3021000017");
        replace(s, sizeof s, "XXXXXXXXXXXX", "302100000042");
        replace(s, sizeof s, "XXXXXXXXXX", "3021000017");
        /* the CRC: MODBUS from the IMEI through the separator before it */
        char *crc = strstr(s, "CRC16");
        CHECK(crc != NULL, "template %d has a CRC16 placeholder", num);
        if (!crc)
            continue;
        char *sep = crc;
        while (sep > s && !strchr(",.;", sep[-1]))
            sep--;
        const char *imei = strstr(s, IMEI);
        uint16_t v = cs_crc16(CS_CRC16_MODBUS, (const uint8_t *)imei, (size_t)(sep - imei));
        char hex[8];
        snprintf(hex, sizeof hex, "%04X", v);
        replace(s, sizeof s, "CRC16", hex);
        strncat(s, "\r\n", sizeof s - strlen(s) - 1);

        size_t len;
        CHECK(P->frame((const uint8_t *)s, strlen(s), &len) == CS_FRAME_PDU && len == strlen(s),
              "template %d frames as one PDU", num);
        CHECK(P->probe((const uint8_t *)s, strlen(s), false), "template %d passes the heuristic",
              num);
        decs(NULL, s, CS_DIR_UNKNOWN, 1);
        const expect *e = &ex[num];
        CHECK(!strcmp(str_of(RF_CMD, 0), e->cmd), "template %d: command %s", num,
              str_of(RF_CMD, 0));
        CHECK(!strcmp(str_of(RF_IMEI, 0), IMEI), "template %d: IMEI", num);
        if (e->sub)
            CHECK(!strcmp(str_of(RF_SUBCMD, 0), e->sub), "template %d: sub-command %s", num,
                  str_of(RF_SUBCMD, 0));
        if (e->slot > 0) {
            CHECK(item(RF_SLOT) && item(RF_SLOT)->v.u == (uint64_t)e->slot, "template %d: slot",
                  num);
            CHECK(!strcmp(str_of(RF_DEVID, 0), "3021000017"), "template %d: DEVID %s", num,
                  str_of(RF_DEVID, 0));
        }
        CHECK(o.cksum == CS_CK_GOOD, "template %d: CRC good (%d)", num, o.cksum);
        CHECK(item(RF_CRC_VARIANT) && item(RF_CRC_VARIANT)->v.u == CS_CRC16_MODBUS &&
                  item(RF_CRC_COVERAGE)->v.u == RUIOO_COV_IMEI_SEP,
              "template %d: MODBUS over the IMEI through the separator", num);
        /* only notes: the typesetting's whitespace, and the dotless record */
        CHECK(count_worse_than_note() == 0, "template %d: no warning or error (%s)", num, codes());
        CHECK(count_code("ruioo.whitespace") == 1, "template %d: whitespace noted", num);
        CHECK(count_code("ruioo.separator.noncanonical") == 0, "template %d: separators canonical",
              num);
        CHECK(count_code("ruioo.aq.dotless") == (num == 3), "template %d: dotless record", num);
        cs_dir want_dir = strstr("CH AQ MQ MC MR", e->cmd) ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
        CHECK(o.dir == want_dir && o.dir_source == CS_DS_DECLARED,
              "template %d: direction declared by the command word (%d)", num, o.dir);
        if (num == 3) {
            CHECK(item_n(RF_RECORD, 2) && !item_n(RF_RECORD, 3), "AQ: three records");
            CHECK(!strcmp(str_of(RF_STATE, 0), "FU") && !strcmp(str_of(RF_STATE, 1), "NF") &&
                      !strcmp(str_of(RF_STATE, 2), "ER"),
                  "AQ states");
            CHECK(!strcmp(str_of(RF_DEVID, 0), "3021000017") &&
                      !strcmp(str_of(RF_DEVID, 1), "302100000042") && !item_n(RF_DEVID, 2),
                  "AQ DEVIDs (ER without one)");
            CHECK(item_n(RF_SLOT, 1)->v.u == 2 && item_n(RF_SLOT, 1)->depth == 1, "2NF: slot 2");
            CHECK(!strcmp(o.info, "Status: 1 full, 2 not full, 3 fault"), "AQ info: %s", o.info);
        }
        if (num == 4)
            CHECK(!strcmp(o.info, "Borrow request slot 2 power bank 3021000017"), "CC info: %s",
                  o.info);
    }
    fclose(fp);
    CHECK(seen == 15, "15 templates read, got %d", seen);
}

/* ---- CRC discovery ---------------------------------------------------------- */

static const uint8_t variants[] = {CS_CRC16_MODBUS, CS_CRC16_CCITT_FALSE, CS_CRC16_XMODEM,
                                   CS_CRC16_KERMIT, CS_CRC16_ARC,         CS_CRC16_X25,
                                   CS_CRC16_AICLOUD};

static void test_discovery(void)
{
    static const char *const bodies[] = {"CC.BW.1.3021000017.", "AQ,1.FU.RU1;2.ER;;", "CH.."};
    int cases = 0;
    for (size_t vi = 0; vi < sizeof variants; vi++)
        for (int cov = 1; cov < RUIOO_COV__END; cov++)
            for (int e = 0; e < 3; e++) { /* hex upper, hex lower, decimal */
                int enc = e == 2 ? RUIOO_ENC_DECIMAL : RUIOO_ENC_HEX;
                const char *body = bodies[cases % 3];
                char f[256];
                frame_crc(f, sizeof f, IMEI, body, variants[vi], cov, enc, e == 1, 0);
                /* stateless */
                decs(NULL, f, CS_DIR_UNKNOWN, 1);
                const cs_item *v = item(RF_CRC_VARIANT), *c = item(RF_CRC_COVERAGE),
                              *n = item(RF_CRC_ENCODING);
                CHECK(o.cksum == CS_CK_GOOD && v && c && n && v->v.u == variants[vi] &&
                          c->v.u == (uint64_t)cov && n->v.u == (uint64_t)enc,
                      "%s: %s/%s/%s detected as %s/%s/%s", f,
                      cs_vs_name(cs_crc16_variant_vals, variants[vi], "?"),
                      cs_vs_name(ruioo_coverage_vals, (uint32_t)cov, "?"),
                      cs_vs_name(ruioo_encoding_vals, (uint32_t)enc, "?"),
                      v ? cs_vs_name(cs_crc16_variant_vals, (uint32_t)v->v.u, "?") : "-",
                      c ? cs_vs_name(ruioo_coverage_vals, (uint32_t)c->v.u, "?") : "-",
                      n ? cs_vs_name(ruioo_encoding_vals, (uint32_t)n->v.u, "?") : "-");
                CHECK(count_code("ruioo.crc.lowercase") == (e == 1 && strpbrk(f + strlen(f) - 8, "abcdef")),
                      "%s: lower case noted only for lower-case hex", f);
                CHECK(count_code("ruioo.crc.bad") == 0, "%s: never bad without a session", f);
                /* with a session: learned on the first frame, held on the second */
                void *s = new_sess(true);
                decs(s, f, CS_DIR_TO_SERVER, 1);
                CHECK(o.cksum == CS_CK_GOOD && !item(RF_CRC_LEARNED_IN), "learned in frame 1");
                char g[256];
                frame_crc(g, sizeof g, IMEI, "CH..", variants[vi], cov, enc, e == 1, 0);
                decs(s, g, CS_DIR_TO_SERVER, 2);
                CHECK(o.cksum == CS_CK_GOOD && item(RF_CRC_LEARNED_IN) &&
                          item(RF_CRC_LEARNED_IN)->v.u == 1 && count_code("ruioo.crc.changed") == 0,
                      "%s: held to the combination of frame 1", g);
                free_sess(s);
                cases++;
            }
    CHECK(cases == 7 * 6 * 3, "%d combinations", cases);

    /* the CRC item shows the stored value and the computed one */
    char f[256];
    frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_XMODEM, RUIOO_COV_BRACE, RUIOO_ENC_DECIMAL,
              false, 0);
    decs(NULL, f, CS_DIR_UNKNOWN, 1);
    const cs_item *c = item(RF_CRC);
    uint16_t want = cs_crc16(CS_CRC16_XMODEM, (const uint8_t *)f, 21); /* {"IMEI,CH. */
    CHECK(c && c->v.u == want && c->aux == want && c->status == CS_CK_GOOD,
          "decimal CRC: stored %u computed %u", c ? (unsigned)c->v.u : 0, c ? c->aux : 0);
    CHECK(c && c->offset + c->length == strlen(f) - 4, "the CRC item ends before the quote");
}

/* A 2-character CRC token would be read as binary by the plugin (its
 * width is 2): the item takes in the separator before it. */
static void test_two_char_crc(void)
{
    for (int i = 0; i < 100000; i++) {
        char body[64], f[256];
        snprintf(body, sizeof body, "MQ.1.%d.", i);
        frame_crc(f, sizeof f, IMEI, body, CS_CRC16_ARC, RUIOO_COV_IMEI_SEP, RUIOO_ENC_DECIMAL,
                  false, 0);
        const char *crc = strrchr(f, '.') + 1;
        if (strcspn(crc, "\"") != 2)
            continue;
        decs(NULL, f, CS_DIR_UNKNOWN, 1);
        const cs_item *c = item(RF_CRC);
        CHECK(o.cksum == CS_CK_GOOD && c && c->length == 3 &&
                  c->offset == (uint32_t)(crc - f) - 1,
              "%s: a 2-digit CRC's item spans 3 bytes", f);
        return;
    }
    CHECK(0, "no frame with a 2-digit decimal CRC found");
}

static void test_verdicts(void)
{
    char f[256];
    /* nothing matches: unverified, never bad, however long */
    void *s = new_sess(true);
    for (uint32_t i = 1; i <= 5; i++) {
        frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_MODBUS, RUIOO_COV_IMEI_SEP, RUIOO_ENC_HEX,
                  false, 0x5A5A);
        decs(s, f, CS_DIR_TO_SERVER, i);
        CHECK(o.cksum == CS_CK_UNVERIFIED && !item(RF_CRC_VARIANT) && count_code("ruioo.crc.bad") == 0,
              "frame %u: unverified (%d)", i, o.cksum);
    }
    free_sess(s);

    /* discovery stops after 64 frames without any match */
    for (int misses = 63; misses <= 64; misses++) {
        s = new_sess(true);
        for (int i = 1; i <= misses; i++) {
            frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_MODBUS, RUIOO_COV_IMEI_SEP,
                      RUIOO_ENC_HEX, false, 0x5A5A);
            decs(s, f, CS_DIR_TO_SERVER, (uint32_t)i);
        }
        decs(s, fr(f, sizeof f, "CH.."), CS_DIR_TO_SERVER, (uint32_t)misses + 1);
        CHECK(o.cksum == (misses < 64 ? CS_CK_GOOD : CS_CK_UNVERIFIED),
              "after %d frames without a match: %d", misses, o.cksum);
        free_sess(s);
    }

    /* learned, then a corrupted CRC: bad, held to the learned combination */
    s = new_sess(true);
    decs(s, fr(f, sizeof f, "CH.."), CS_DIR_TO_SERVER, 1);
    CHECK(o.cksum == CS_CK_GOOD, "learned");
    frame_crc(f, sizeof f, IMEI, "MC.BO.1.3021000017.", CS_CRC16_MODBUS, RUIOO_COV_IMEI_SEP,
              RUIOO_ENC_HEX, false, 0x0101);
    decs(s, f, CS_DIR_TO_SERVER, 2);
    CHECK(o.cksum == CS_CK_BAD && count_code("ruioo.crc.bad") == 1, "corrupted: bad (%s)", codes());
    CHECK(item(RF_CRC_VARIANT) && item(RF_CRC_VARIANT)->v.u == CS_CRC16_MODBUS &&
              item(RF_CRC_LEARNED_IN) && item(RF_CRC_LEARNED_IN)->v.u == 1,
          "the bad frame names the learned combination and its frame");
    CHECK(item(RF_CRC)->aux != item(RF_CRC)->v.u, "computed differs from stored");
    /* a CRC that is not a number: malformed, bad, without a second error */
    decs(s, "{\"" IMEI ",CH..ZZZZ\"}\r\n", CS_DIR_TO_SERVER, 3);
    CHECK(o.cksum == CS_CK_BAD && count_code("ruioo.crc.malformed") == 1 &&
              count_code("ruioo.crc.bad") == 0,
          "malformed: %s", codes());
    /* the device switches combination: good, flagged once, relearned */
    frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_X25, RUIOO_COV_BRACE_SEP, RUIOO_ENC_HEX, false, 0);
    decs(s, f, CS_DIR_TO_SERVER, 4);
    CHECK(o.cksum == CS_CK_GOOD && count_code("ruioo.crc.changed") == 1 &&
              item(RF_CRC_VARIANT)->v.u == CS_CRC16_X25,
          "changed: %s", codes());
    frame_crc(f, sizeof f, IMEI, "CQ..", CS_CRC16_X25, RUIOO_COV_BRACE_SEP, RUIOO_ENC_HEX, false, 0);
    decs(s, f, CS_DIR_TO_DEVICE, 5);
    CHECK(o.cksum == CS_CK_GOOD && count_code("ruioo.crc.changed") == 0 &&
              item(RF_CRC_LEARNED_IN)->v.u == 4,
          "relearned in frame 4");
    /* the verdict comes after the stateless part */
    CHECK(o.n_items_stateless < o.n_items && item(RF_CRC) >= o.items + o.n_items_stateless,
          "the session's verdict is in the stateful tail");
    free_sess(s);

    /* learned over the quote; a frame without quotes cannot be held to it */
    s = new_sess(true);
    frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_ARC, RUIOO_COV_QUOTE, RUIOO_ENC_HEX, false, 0);
    decs(s, f, CS_DIR_TO_SERVER, 1);
    CHECK(o.cksum == CS_CK_GOOD && item(RF_CRC_COVERAGE)->v.u == RUIOO_COV_QUOTE, "learned: quote");
    decs(s, "{" IMEI ",CH..1234}\r\n", CS_DIR_TO_SERVER, 2);
    CHECK(o.cksum == CS_CK_UNVERIFIED && count_code("ruioo.crc.bad") == 0,
          "no quote, no match: unverified, not bad (%d %s)", o.cksum, codes());
    char q[256];
    size_t qa = 0, qz = 0;
    snprintf(q, sizeof q, "{" IMEI ",CH..");
    CHECK(ruioo_coverage_range((const uint8_t *)q, strlen(q), strlen(q) - 1, RUIOO_COV_IMEI_SEP, &qa, &qz) &&
              qa == 1 && qz == strlen(q),
          "imei-sep without a quote: from 1");
    snprintf(q + strlen(q), sizeof q - strlen(q), "%04X}\r\n",
             cs_crc16(CS_CRC16_ARC, (const uint8_t *)q + qa, qz - qa));
    decs(s, q, CS_DIR_TO_SERVER, 3);
    CHECK(o.cksum == CS_CK_GOOD && count_code("ruioo.crc.changed") == 1 &&
              item(RF_CRC_COVERAGE)->v.u == RUIOO_COV_IMEI_SEP,
          "no quote, another coverage matches: changed (%s)", codes());
    free_sess(s);

    /* without a session the verdict also follows the mark (the plugin
     * replaces it with the first pass's) */
    decs(NULL, fr(f, sizeof f, "CH.."), CS_DIR_UNKNOWN, 1);
    CHECK(item(RF_CRC) >= o.items + o.n_items_stateless, "stateless verdict after the mark");

    /* a pinned combination: good or bad without a session, and stateless */
    cs_opts_default(P, opts);
    char err[160];
    CHECK(!cs_opts_set(P, opts, "crc_variant", "modbus", err, sizeof err) &&
              !cs_opts_set(P, opts, "crc_coverage", "imei-sep", err, sizeof err) &&
              !cs_opts_set(P, opts, "crc_encoding", "hex", err, sizeof err),
          "pin: %s", err);
    decs(NULL, fr(f, sizeof f, "CH.."), CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_GOOD && item(RF_CRC) < o.items + o.n_items_stateless,
          "pinned and matching: good, in the stateless part");
    frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_KERMIT, RUIOO_COV_IMEI_SEP, RUIOO_ENC_HEX,
              false, 0);
    decs(NULL, f, CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_BAD && count_code("ruioo.crc.bad") == 1 && count_code("ruioo.crc.changed") == 0,
          "pinned and not matching: bad (%s)", codes());
    CHECK(!cs_opts_set(P, opts, "crc_coverage", "quote", err, sizeof err), "pin quote");
    decs(NULL, "{" IMEI ",CH..1234}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_UNVERIFIED && count_code("ruioo.crc.bad") == 0,
          "pinned over the quote, a frame without one: unverified");
    /* partly pinned: only the variant; another variant's frame is unverified */
    cs_opts_default(P, opts);
    CHECK(!cs_opts_set(P, opts, "crc_variant", "xmodem", err, sizeof err), "pin variant");
    decs(NULL, fr(f, sizeof f, "CH.."), CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_UNVERIFIED, "variant pinned to xmodem, a MODBUS frame: unverified");
    frame_crc(f, sizeof f, IMEI, "CH..", CS_CRC16_XMODEM, RUIOO_COV_QUOTE, RUIOO_ENC_DECIMAL,
              false, 0);
    decs(NULL, f, CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_GOOD && item(RF_CRC_COVERAGE)->v.u == RUIOO_COV_QUOTE,
          "variant pinned, coverage and encoding found");
    cs_opts_default(P, opts);
    CHECK(cs_opts_set(P, opts, "crc_variant", "crc32", err, sizeof err) == -1, "unknown variant refused");

    /* the option's names are the library's variant names */
    for (const cs_option_def *d = &P->options[RO_CRC_VARIANT]; d; d = NULL)
        for (const cs_vs *v = d->enum_vals; v->name; v++)
            CHECK(v->value == 0 ? !strcmp(v->name, "auto")
                                : !strcmp(v->name, cs_vs_name(cs_crc16_variant_vals, v->value, "")),
                  "option name %s", v->name);

    /* no CRC at all */
    decs(NULL, "{\"" IMEI ",CH\"}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_ABSENT && count_code("ruioo.crc.missing") == 1, "missing CRC");
    decs(NULL, "{\"" IMEI ",CH..\"}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(o.cksum == CS_CK_ABSENT && count_code("ruioo.crc.missing") == 1, "empty CRC");
}

/* ---- flows -------------------------------------------------------------------- */

typedef struct step {
    const char *body;
    cs_dir dir;
} step;

/* Run steps 1..n on session s (frame numbers = step numbers); returns the
 * number of violations of `code` over all of them. */
static int run(void *s, const step *st, int n, const char *code, uint32_t *req, bool *pending)
{
    int c = 0;
    for (int i = 0; i < n; i++) {
        char f[256];
        decs(s, fr(f, sizeof f, st[i].body), st[i].dir, (uint32_t)i + 1);
        c += count_code(code);
        if (req)
            req[i] = o.req_frame;
        if (pending)
            pending[i] = o.pending;
    }
    return c;
}

static int end_count(void *s, uint32_t *frames, int max)
{
    P->sess_end(s, &o);
    int n = 0;
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (!strcmp(P->violations[o.viols[i].code].code, "ruioo.flow.unfinished")) {
            if (n < max)
                frames[n] = o.viols[i].frame;
            n++;
        }
    return n;
}

static void test_flows(void)
{
    const cs_dir D = CS_DIR_TO_SERVER, S = CS_DIR_TO_DEVICE;
    uint32_t req[16], fin[40];
    bool pend[16];
    /* every flow of the document, clean */
    static const step clean[] = {
        {"CH..", D},                 {"CQ..", S},                {"AQ,1.FU.A1;2.NF.A2;3.ER;;", D},
        {"CC.BW.1.A1.", S},          {"MC.BO.1.A1.", D},         {"AM.BO.1.A1.", S},
        {"CC.BW.2.A2.", S},          {"MR.BF.2.A2.", D},         {"AR.BF.2.A2.", S},
        {"MQ.1.A1.", D},             {"RQ.T.1.A1.", S},          {"MC.RO.1.A1.", D},
        {"AM.RO.1.A1.", S},          {"MQ.3.B9.", D},            {"RQ.F.3.B9.", S},
        {"MQ.2.A2.", D},
    };
    static const step clean2[] = {{"RQ.T.2.A2.", S}, {"MR.RF.2.A2.", D}, {"AR.RF.2.A2.", S}};
    void *s = new_sess(true);
    int bad = run(s, clean, 16, "ruioo.flow.unexpected", req, pend);
    CHECK(bad == 0, "no unexpected message in the clean flows");
    static const uint32_t want_req[16] = {0, 0, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 12, 0, 14, 0};
    static const bool want_pend[16] = {0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1};
    for (int i = 0; i < 16; i++) {
        CHECK(req[i] == want_req[i], "step %d (%s) answers frame %u, got %u", i + 1, clean[i].body,
              want_req[i], req[i]);
        CHECK(pend[i] == want_pend[i], "step %d (%s) pending %d", i + 1, clean[i].body, want_pend[i]);
    }
    for (int i = 0; i < 3; i++) {
        char f[256];
        decs(s, fr(f, sizeof f, clean2[i].body), clean2[i].dir, 17 + (uint32_t)i);
        CHECK(o.req_frame == 16u + (uint32_t)i && count_code("ruioo.flow.unexpected") == 0,
              "%s answers %u", clean2[i].body, 16 + i);
        CHECK(!strcmp(str_of(RF_FLOW, 0), "return") && item(RF_FLOW_STEP)->v.u == (uint64_t)i + 2,
              "return flow step %d", i + 2);
    }
    CHECK(end_count(s, fin, 40) == 0, "every flow finished");
    free_sess(s);

    /* an acknowledgement without a report: unexpected; the request is left unfinished */
    s = new_sess(true);
    static const step ack_only[] = {{"CC.BW.1.A1.", S}, {"AM.BO.1.A1.", S}};
    CHECK(run(s, ack_only, 2, "ruioo.flow.unexpected", NULL, NULL) == 1, "AM.BO without MC.BO");
    CHECK(o.n_viols >= 2 && count_code("ruioo.flow.unfinished") == 1, "the CC.BW is given up");
    for (uint32_t i = 0; i < o.n_viols; i++)
        if (o.viols[i].code == RV_FLOW_UNFINISHED)
            CHECK(o.viols[i].frame == 1 && o.viols[i].tag == 1, "on frame 1 (its tag)");
    CHECK(end_count(s, fin, 40) == 0, "nothing open afterwards");
    free_sess(s);

    /* a report without a request; mid-stream the same is accepted */
    static const step rep_only[] = {{"MC.BO.3.A3.", D}, {"AM.BO.3.A3.", S}};
    s = new_sess(true);
    CHECK(run(s, rep_only, 2, "ruioo.flow.unexpected", req, NULL) == 1 && req[1] == 1,
          "MC.BO without CC.BW: flagged, then its acknowledgement links to it");
    free_sess(s);
    s = new_sess(false);
    CHECK(run(s, rep_only, 2, "ruioo.flow.unexpected", NULL, NULL) == 0,
          "mid-stream: the request may predate the capture");
    static const step again[] = {{"AM.BO.3.A3.", S}};
    CHECK(run(s, again, 1, "ruioo.flow.unexpected", NULL, NULL) == 1,
          "mid-stream, a second acknowledgement is out of flow");
    free_sess(s);

    /* unfinished at the end, in frame order */
    static const step open_[] = {{"CC.BW.1.A1.", S}, {"MQ.2.A2.", D}, {"RQ.T.2.A2.", S},
                                 {"CQ..", S}};
    s = new_sess(true);
    run(s, open_, 4, "ruioo.flow.unfinished", NULL, NULL);
    CHECK(end_count(s, fin, 40) == 3 && fin[0] == 1 && fin[1] == 3 && fin[2] == 4,
          "unfinished: frames 1, 3, 4");
    free_sess(s);

    /* the return failure as template 14 prints it */
    static const step ret_bf[] = {{"MQ.2.A2.", D}, {"RQ.T.2.A2.", S}, {"MR.BF.2.A2.", D},
                                  {"AR.RF.2.A2.", S}};
    s = new_sess(true);
    CHECK(run(s, ret_bf, 4, "ruioo.flow.return_bf", req, NULL) == 1 && req[2] == 2 && req[3] == 3,
          "MR.BF after RQ.T: a return failure, noted");
    CHECK(!strcmp(str_of(RF_FLOW, 0), "return"), "AR.RF closes the return flow");
    CHECK(end_count(s, fin, 40) == 0, "finished");
    free_sess(s);

    /* an AQ twice, a status answered twice */
    static const step aq2[] = {{"CQ..", S}, {"AQ,1.ER;;", D}, {"AQ,1.ER;;", D}};
    s = new_sess(true);
    CHECK(run(s, aq2, 3, "ruioo.flow.unexpected", NULL, NULL) == 1, "the second AQ is unexpected");
    free_sess(s);

    /* flows are per slot and power bank */
    static const step two[] = {{"CC.BW.1.A1.", S}, {"CC.BW.2.A2.", S}, {"MC.BO.2.A2.", D},
                               {"MC.BO.1.A1.", D}};
    s = new_sess(true);
    CHECK(run(s, two, 4, "ruioo.flow.unexpected", req, NULL) == 0 && req[2] == 2 && req[3] == 1,
          "two borrows interleaved");
    free_sess(s);

    /* the table is bounded: 40 open borrows keep 32 */
    s = new_sess(true);
    int evicted = 0;
    for (int i = 0; i < 40; i++) {
        char body[64], f[256];
        snprintf(body, sizeof body, "CC.BW.1.P%02d.", i);
        decs(s, fr(f, sizeof f, body), S, (uint32_t)i + 1);
        for (uint32_t k = 0; k < o.n_viols; k++)
            if (o.viols[k].code == RV_FLOW_UNFINISHED) {
                CHECK(o.viols[k].frame == (uint32_t)evicted + 1, "evicted in order");
                evicted++;
            }
    }
    CHECK(evicted == 8, "8 oldest given up, got %d", evicted);
    CHECK(end_count(s, fin, 40) == 32 && fin[0] == 9, "32 left at the end");
    free_sess(s);

    /* a heartbeat answered: by the TCP side, or by the role learned */
    s = new_sess(true);
    char f[256];
    decs(s, fr(f, sizeof f, "CH.."), S, 1);
    CHECK(count_code("ruioo.heartbeat.answered") == 1 && o.dir == CS_DIR_TO_DEVICE &&
              o.dir_source == CS_DS_TRANSPORT && !o.pending,
          "CH from the server (handshake)");
    free_sess(s);
    s = new_sess(false);
    dec(s, fr(f, sizeof f, "CH.."), strlen(f), CS_DIR_UNKNOWN, 0, 0, 1);
    CHECK(count_code("ruioo.heartbeat.answered") == 0 && o.dir_source == CS_DS_DECLARED, "CH");
    dec(s, fr(f, sizeof f, "CH.."), strlen(f), CS_DIR_UNKNOWN, 1, 10, 2);
    CHECK(count_code("ruioo.heartbeat.answered") == 1, "CH from the other side: answered");
    dec(s, fr(f, sizeof f, "CC.BW.1.A1."), strlen(f), CS_DIR_UNKNOWN, 0, 20, 3);
    CHECK(count_code("ruioo.direction.mismatch") == 1, "CC from the cabinet's side");
    dec(s, fr(f, sizeof f, "XY.1."), strlen(f), CS_DIR_UNKNOWN, 1, 30, 4);
    CHECK(o.dir == CS_DIR_TO_DEVICE && o.dir_source == CS_DS_LEARNED && count_code("ruioo.cmd.unknown") == 1,
          "unknown command: direction learned");
    /* a later pass honours the first pass's direction */
    cs_ctx ctx = {.frame = 4, .side = 1, .dir_override = CS_DIR_TO_DEVICE,
                  .dir_override_source = CS_DS_LEARNED};
    P->decode(NULL, opts, (const uint8_t *)f, strlen(f), &ctx, &o);
    CHECK(o.dir == CS_DIR_TO_DEVICE && o.dir_source == CS_DS_LEARNED, "dir_override honoured");
    free_sess(s);

    /* the IMEI changes within a conversation */
    s = new_sess(true);
    decs(s, fr(f, sizeof f, "CH.."), D, 1);
    frame_crc(f, sizeof f, "866123054876316", "CQ..", CS_CRC16_MODBUS, RUIOO_COV_IMEI_SEP,
              RUIOO_ENC_HEX, false, 0);
    decs(s, f, S, 2);
    CHECK(count_code("ruioo.imei.changed") == 1, "IMEI changed");
    free_sess(s);
}

/* ---- framing, heuristic, form ------------------------------------------------------- */

static void test_framing(void)
{
    size_t len;
    char f[256], g[512];
    fr(f, sizeof f, "CH..");
    size_t n = strlen(f);
    const uint8_t *b = (const uint8_t *)f;
    CHECK(P->frame(b, n, &len) == CS_FRAME_PDU && len == n, "a frame with its CRLF");
    CHECK(P->frame(b, n - 2, &len) == CS_FRAME_PDU && len == n - 2, "ending at } (CRLF later)");
    CHECK(P->frame(b, n - 3, &len) == CS_FRAME_NEED && len == n - 2, "no } yet: need more");
    snprintf(g, sizeof g, "%s%s", f, f);
    CHECK(P->frame((const uint8_t *)g, strlen(g), &len) == CS_FRAME_PDU && len == n,
          "two frames: the first");
    CHECK(P->frame((const uint8_t *)"\r\n{", 3, &len) == CS_FRAME_PDU && len == 2,
          "a line end alone");
    CHECK(P->frame((const uint8_t *)"xyz{\"8", 6, &len) == CS_FRAME_SKIP && len == 3,
          "garbage up to the {");
    CHECK(P->frame((const uint8_t *)"xyz", 3, &len) == CS_FRAME_SKIP && len == 3, "garbage");
    CHECK(P->frame((const uint8_t *)"{\"86,CH{\"8", 10, &len) == CS_FRAME_PDU && len == 7,
          "unterminated: cut at the next {");
    CHECK(P->frame((const uint8_t *)"{\"86,CH\n", 8, &len) == CS_FRAME_PDU && len == 7,
          "unterminated: cut at a line end");
    static uint8_t big[700];
    memset(big, 'x', sizeof big);
    big[0] = '{';
    CHECK(P->frame(big, 511, &len) == CS_FRAME_NEED, "511 bytes without }: need more");
    CHECK(P->frame(big, sizeof big, &len) == CS_FRAME_SKIP && len == 512, "over-long: garbage");
    /* LF only, CR only */
    f[n - 2] = '\n';
    CHECK(P->frame(b, n - 1, &len) == CS_FRAME_PDU && len == n - 1, "LF only");

    /* decoding the pieces */
    decs(NULL, "\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(o.garbage && count_code("ruioo.eol.detached") == 1 && item(RF_EOL), "line end alone");
    decs(NULL, "{\"866123054876290,CH", CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.frame.unterminated") == 1 && count_code("ruioo.quote.missing") == 0 &&
              o.cksum == CS_CK_NONE,
          "unterminated: %s", codes());
    decs(NULL, "{\"IMEI,CH..CRC16\"}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.frame.malformed") == 1, "no IMEI");
    decs(NULL, "{\"866123054876290CH..1234\"}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.frame.malformed") == 1, "IMEI not followed by a separator");
    cs_decode_garbage(P, (const uint8_t *)"xyz", 3, &(cs_ctx){0}, &o);
    CHECK(count_code("ruioo.garbage") == 1 && item(RF_GARBAGE), "garbage");
}

static void test_probe(void)
{
    char f[256];
    fr(f, sizeof f, "CC.BW.1.3021000017.");
#define PR(s) P->probe((const uint8_t *)(s), strlen(s), false)
    CHECK(PR(f), "canonical");
    CHECK(!P->probe((const uint8_t *)f, strlen(f), true), "not UDP");
    CHECK(PR("{866123054876290,CH..1234}"), "no quotes");
    CHECK(PR("{ \"866123054876290 , CH .. 1234 \" }"), "typeset with spaces");
    CHECK(PR("{\xE2\x80\x9C" "866123054876290,CH..1234\xE2\x80\x9D}"), "typographic quote");
    CHECK(PR("{\"86612305487629,CH"), "14 digits, a short segment");
    CHECK(PR("{\"86612305487629012,aq,"), "17 digits, lower case");
    CHECK(PR("{\"866123054876290,"), "a segment that ends after the comma");
    CHECK(!PR("{\"8661230548762,CH..1234\"}"), "13 digits");
    CHECK(!PR("{\"866123054876290123,CH..1234\"}"), "18 digits");
    CHECK(!PR("{\"866123054876290.CH..1234\"}"), "no comma");
    CHECK(!PR("{\"866123054876290,C1..1234\"}"), "not a command word");
    CHECK(!PR("{\"866123054876290,CHX..1234\"}"), "three letters");
    CHECK(!PR("{    \"866123054876290,CH..1234\"}"), "more than 3 spaces");
    CHECK(!PR("{\"a\":1,\"b\":[1,2,3]}"), "JSON");
    CHECK(!PR("{\"866123054876290\":\"CH\"}"), "JSON with a number key");
    CHECK(!PR("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP");
#undef PR
}

static void test_form(void)
{
    char f[256];
    /* each tolerated form: its note, nothing worse */
    struct {
        const char *pre, *post, *code;
        int cov;
    } forms[] = {
        {"{866123054876290,CH..", "}\r\n", "ruioo.quote.missing", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,CH..", "}\r\n", "ruioo.quote.missing", RUIOO_COV_IMEI_SEP},
        {"{\xE2\x80\x9C" "866123054876290,CH..", "\xE2\x80\x9D}\r\n", "ruioo.quote.typographic",
         RUIOO_COV_QUOTE_SEP},
        {"{\"866123054876290 ,\tCH .. ", " \"}\r\n", "ruioo.whitespace", RUIOO_COV_IMEI},
        {"{\"866123054876290;CH,.", "\"}\r\n", "ruioo.separator.noncanonical", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,CH.", "\"}\r\n", "ruioo.separator.noncanonical", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,CH..", "\"}\n", "ruioo.eol.noncanonical", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,CH..", "\"}", "ruioo.eol.noncanonical", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,ch..", "\"}\r\n", "ruioo.word.lowercase", RUIOO_COV_IMEI_SEP},
        {"{\"86612305487629,CH..", "\"}\r\n", "ruioo.imei.length", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,AM.BO.01.A1.", "\"}\r\n", "ruioo.slot.padded", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,AQ,1FU A1;2NF;;", "\"}\r\n", "ruioo.aq.dotless", RUIOO_COV_IMEI_SEP},
        {"{\"866123054876290,AQ,1.FU A1;;", "\"}\r\n", "ruioo.aq.dotless", RUIOO_COV_IMEI_SEP},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const char *pre = forms[i].pre;
        size_t sep = strlen(pre);
        while (sep && !strchr(",.;", pre[sep - 1]))
            sep--;
        size_t a = 0, z = 0;
        CHECK(ruioo_coverage_range((const uint8_t *)pre, strlen(pre), sep - 1, forms[i].cov, &a, &z),
              "%s: coverage", pre);
        char c[8];
        snprintf(c, sizeof c, "%04X", cs_crc16(CS_CRC16_MODBUS, (const uint8_t *)pre + a, z - a));
        snprintf(f, sizeof f, "%s%s%s", pre, c, forms[i].post);
        decs(NULL, f, CS_DIR_UNKNOWN, 1);
        CHECK(count_code(forms[i].code) == 1 && count_worse_than_note() == 0 && o.cksum == CS_CK_GOOD,
              "%s: %s only (%s; CRC %d)", f, forms[i].code, codes(), o.cksum);
    }
    decs(NULL, "{\"866123054876290,AQ,1FU A1;2NF;;1234\"}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(!strcmp(str_of(RF_DEVID, 0), "A1") && !item_n(RF_DEVID, 1) &&
              !strcmp(str_of(RF_STATE, 1), "NF"),
          "dotless records read");

    /* values: ranges, Luhn, fields */
    decs(NULL, fr(f, sizeof f, "CC.BW.4.A1."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.slot.range") == 1, "slot 4");
    decs(NULL, fr(f, sizeof f, "CC.BW.0.A1."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.slot.range") == 1, "slot 0");
    decs(NULL, "{\"866123054876291,CH..1234\"}\r\n", CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.imei.luhn") == 1, "bad Luhn digit");
    decs(NULL, fr(f, sizeof f, "CC.BW.1.A1.X."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.fields.count") == 1 && item(RF_DATA), "an extra field");
    decs(NULL, fr(f, sizeof f, "CC.1.A1."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.subcmd.invalid") == 1 && count_code("ruioo.fields.count") == 1,
          "CC without BW: %s", codes());
    decs(NULL, fr(f, sizeof f, "RQ.X.1.A1."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.subcmd.invalid") == 1, "RQ.X");
    decs(NULL, fr(f, sizeof f, "CC.BW.1.0123456789abcdefghijABCDEFGHIJ0123."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.field.invalid") == 1, "a 34-character DEVID");
    decs(NULL, fr(f, sizeof f, "CC.BW.1.A-1."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.field.invalid") == 1, "a DEVID with a dash");
    decs(NULL, fr(f, sizeof f, "AQ,1.FU.A1;2.XY.A2;;"), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.state.unknown") == 1 && !strcmp(str_of(RF_DEVID, 1), "A2"),
          "unknown state, its DEVID still read");
    decs(NULL, fr(f, sizeof f, "QQ.1.2."), CS_DIR_UNKNOWN, 1);
    CHECK(count_code("ruioo.cmd.unknown") == 1 && item_n(RF_DATA, 1), "unknown command: data shown");
    decs(NULL, fr(f, sizeof f, "CH.."), CS_DIR_TO_DEVICE, 1);
    CHECK(count_code("ruioo.heartbeat.answered") == 1, "CH from the server");
    decs(NULL, fr(f, sizeof f, "AM.BO.1.A1."), CS_DIR_TO_SERVER, 1);
    CHECK(count_code("ruioo.direction.mismatch") == 1 && o.dir == CS_DIR_TO_SERVER &&
              o.dir_source == CS_DS_TRANSPORT,
          "AM from the cabinet");
    CHECK(o.n_facts == 1, "IMEI as device fact");
}

/* The plugin shows a PDU on later passes as the stateless decode cut at
 * its mark plus the first pass's tail: that must be the first pass. */
static void test_replay(void)
{
    static const char *const bodies[] = {"CH..", "CQ..", "AQ,1.FU.A1;2.NF.A2;3.ER;;",
                                         "CC.BW.1.A1.", "MC.BO.1.A1.", "AM.BO.2.A2.", "XX.1.",
                                         "CC.BW.9.A9."};
    void *s = new_sess(true);
    cs_out first;
    cs_out_init(&first, CS_WANT_ITEMS | CS_WANT_INFO);
    for (uint32_t i = 0; i < 8; i++) {
        char f[256];
        frame_crc(f, sizeof f, IMEI, bodies[i], CS_CRC16_CCITT_FALSE, RUIOO_COV_BRACE,
                  RUIOO_ENC_HEX, false, i == 4 ? 1 : 0);
        cs_ctx ctx = {.frame = i + 1, .ts_ns = i * 1000000LL, .side = (uint8_t)(i % 2),
                      .transport_dir = i % 2 ? CS_DIR_TO_DEVICE : CS_DIR_TO_SERVER, .tag = i + 1};
        P->decode(s, opts, (const uint8_t *)f, strlen(f), &ctx, &first);
        ctx.dir_override = first.dir;
        ctx.dir_override_source = first.dir_source;
        P->decode(NULL, opts, (const uint8_t *)f, strlen(f), &ctx, &o);
        CHECK(o.n_items_stateless == first.n_items_stateless &&
                  o.n_viols_stateless == first.n_viols_stateless,
              "%s: same stateless part size", f);
        bool same = true;
        for (uint32_t k = 0; k < first.n_items_stateless && same; k++) {
            const cs_item *a = &first.items[k], *b = &o.items[k];
            same = a->field == b->field && a->depth == b->depth && a->offset == b->offset &&
                   a->length == b->length && a->v.u == b->v.u && a->aux == b->aux &&
                   a->status == b->status && !strcmp(cs_str(&first, a->str), cs_str(&o, b->str));
        }
        for (uint32_t k = 0; k < first.n_viols_stateless && same; k++)
            same = first.viols[k].code == o.viols[k].code &&
                   !strcmp(cs_str(&first, first.viols[k].msg), cs_str(&o, o.viols[k].msg));
        CHECK(same, "%s: identical stateless part", f);
        CHECK(!strcmp(first.info, o.info) && first.dir == o.dir && first.cmd == o.cmd,
              "%s: same summary", f);
    }
    cs_out_free(&first);
    free_sess(s);
}

static bool printable(const char *t)
{
    for (; *t; t++)
        if ((unsigned char)*t < 0x20 || (unsigned char)*t >= 0x7F)
            return false;
    return true;
}

/* Mutated frames through the framer and the decoder, with and without a
 * session: nothing crashes (the ASan build runs this too), every PDU the
 * framer cuts is at least a byte, and every item and violation lies
 * within its PDU. */
static void test_robustness(void)
{
    static const char *const seeds[] = {
        "{\"866123054876290,CC.BW.1.3021000017.1A2B\"}\r\n",
        "{\"866123054876290,AQ,1.FU.0000000001;2NF 000000000002;3.ER;;1A2B\"}\r\n",
        "{ \"866123054876290 ,MR.BF.2 .X1. 6699 \" }\n",
        "{866123054876290;ch;;1a2b}",
        ("{\xE2\x80\x9C" "866123054876290,RQ.T.1.A.12\xE2\x80\x9D}\r\n"),
    };
    static const char junk[] = "{}\"\",.;;..  \t\r\n0123456789ABCFUNREMxyz\xE2\x80\x9C\x00\xff";
    uint64_t r = 0x9E3779B97F4A7C15ull;
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
    uint8_t buf[2048];
    int bad = 0;
    cs_out bare;
    cs_out_init(&bare, 0);
    void *s = new_sess(true);
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0;
        int k = 1 + (int)(RND() % 4);
        for (int j = 0; j < k; j++) {
            const char *sd = seeds[RND() % (sizeof seeds / sizeof seeds[0])];
            size_t l = strlen(sd);
            if (n + l < sizeof buf) {
                memcpy(buf + n, sd, l);
                n += l;
            }
        }
        int muts = (int)(RND() % 6);
        for (int m = 0; m < muts && n; m++) {
            size_t at = RND() % n;
            switch (RND() % 4) {
            case 0: buf[at] = (uint8_t)junk[RND() % (sizeof junk - 1)]; break;
            case 1: buf[at] = (uint8_t)RND(); break;
            case 2: n = at + 1; break; /* cut */
            default: /* duplicate a run */
                if (n + 40 < sizeof buf) {
                    memmove(buf + at + 40, buf + at, n - at);
                    n += 40;
                }
            }
        }
        size_t pos = 0;
        while (pos < n) {
            size_t len = 0;
            cs_frame_kind fk = P->frame(buf + pos, n - pos, &len);
            if (fk == CS_FRAME_NEED || len > n - pos)
                len = n - pos;
            if (len == 0) {
                bad++;
                break;
            }
            cs_ctx ctx = {.frame = (uint32_t)iter + 1, .side = (uint8_t)(iter & 1), .tag = 1};
            for (int pass = 0; pass < 2; pass++) {
                if (fk == CS_FRAME_SKIP)
                    cs_decode_garbage(P, buf + pos, len, &ctx, &o);
                else
                    P->decode(pass ? NULL : s, opts, buf + pos, len, &ctx, &o);
                for (uint32_t i = 0; i < o.n_items; i++)
                    if (o.items[i].offset + o.items[i].length > len)
                        bad++;
                for (uint32_t i = 0; i < o.n_viols; i++)
                    if (!o.viols[i].frame && o.viols[i].offset + o.viols[i].length > len)
                        bad++;
                if (o.n_items_stateless > o.n_items || o.oom)
                    bad++;
                /* texts from the wire reach Wireshark as printable ASCII */
                for (uint32_t i = 0; i < o.n_items; i++)
                    bad += !printable(cs_str(&o, o.items[i].str));
                for (uint32_t i = 0; i < o.n_viols; i++)
                    bad += !printable(cs_str(&o, o.viols[i].msg));
                bad += !printable(o.info);
            }
            /* the verdicts do not depend on what the caller wants built */
            if (fk != CS_FRAME_SKIP) {
                P->decode(NULL, opts, buf + pos, len, &ctx, &bare);
                if (bare.n_items || bare.n_viols != o.n_viols || bare.cksum != o.cksum ||
                    bare.dir != o.dir || bare.cmd != o.cmd)
                    bad++;
            }
            pos += len;
        }
        if (iter % 1000 == 999) {
            P->sess_end(s, &o);
            free_sess(s);
            s = new_sess(iter & 1);
        }
    }
    free_sess(s);
    cs_out_free(&bare);
    CHECK(bad == 0, "%d faults in 20000 mutated streams", bad);
#undef RND
}

int main(int argc, char **argv)
{
    cs_out_init(&o, CS_WANT_ITEMS | CS_WANT_INFO);
    cs_opts_default(P, opts);
    CHECK(argc == 2, "usage: test_ruioo TEMPLATES");
    if (argc == 2)
        test_templates(argv[1]);
    test_discovery();
    test_two_char_crc();
    test_verdicts();
    cs_opts_default(P, opts);
    test_flows();
    test_framing();
    test_probe();
    test_form();
    test_replay();
    test_robustness();
    cs_opts_default(P, opts);
    wp_test_samples(P, opts, CS_SAMPLES_DIR, 10);
    cs_out_free(&o);
    return CHECK_DONE();
}

/*
 * ruioo.c - Ruioo power-bank cabinet text protocol.
 *
 * Sources: seed 001 (a machine translation of the vendor document) and
 * protocol-facts sections 2 and 6.4.  docs/protocols/ruioo.md records every
 * decision taken where the document is wrong or silent.
 *
 * A frame is one line of ASCII:
 *   {"IMEI,CMD.data.CRC"}\r\n          e.g. {"860000000000001,CC.BW.1.0000000001.1A2B"}
 *   {"IMEI,AQ,1.FU.X;2.NF.X;3.ER;;CRC"}\r\n
 * read tolerantly: quotes optional, whitespace around tokens, `,` `.` `;`
 * interchangeable after the IMEI, lowercase hex, `2NF X` without its dots.
 * Every deviation from that canonical form is a note.
 *
 * Nobody has published which CRC-16 the cabinets use, what it covers, or
 * how it is written, so the decoder finds out: it tries the catalogued
 * variants over several coverages in two encodings, and once one matches
 * in a conversation it is what later frames are held to.  That verdict
 * depends on the conversation, so it is emitted after cs_mark_stateless().
 */
#include "ruioo.h"

#include "cs_impl.h"

#include <stdio.h>

#define R_MAX_FRAME 512 /* a frame longer than this without its `}` is garbage */
#define R_MAX_GAP 64    /* line-end and whitespace bytes between frames, per PDU */
#define R_MAX_TOK 48    /* tokens after the IMEI kept per frame */
#define R_DEVID_MAX 32  /* protocol-facts 2.5: 1-32 alphanumerics */
#define R_IMEI_MAX 17
#define R_FLOWS 32      /* flows tracked per conversation */
#define R_DISCOVERY 64  /* frames without any match before discovery stops */

/* ---- value names --------------------------------------------------------- */

const cs_vs ruioo_coverage_vals[] = {
    {0, "auto"},
    {RUIOO_COV_IMEI_SEP, "imei-sep"},
    {RUIOO_COV_IMEI, "imei"},
    {RUIOO_COV_BRACE_SEP, "brace-sep"},
    {RUIOO_COV_BRACE, "brace"},
    {RUIOO_COV_QUOTE_SEP, "quote-sep"},
    {RUIOO_COV_QUOTE, "quote"},
    {0, NULL},
};

static const char *const coverage_text[] = {
    [RUIOO_COV_IMEI_SEP] = "from the first IMEI digit through the separator before the CRC",
    [RUIOO_COV_IMEI] = "from the first IMEI digit up to the separator before the CRC",
    [RUIOO_COV_BRACE_SEP] = "from the { through the separator before the CRC",
    [RUIOO_COV_BRACE] = "from the { up to the separator before the CRC",
    [RUIOO_COV_QUOTE_SEP] = "from the opening quote through the separator before the CRC",
    [RUIOO_COV_QUOTE] = "from the opening quote up to the separator before the CRC",
};

const cs_vs ruioo_encoding_vals[] = {
    {0, "auto"},
    {RUIOO_ENC_HEX, "hex"},
    {RUIOO_ENC_DECIMAL, "decimal"},
    {0, NULL},
};

/* The variant option: "auto" and the library's names (a unit test checks
 * that they are the library's). */
static const cs_vs variant_opt_vals[] = {
    {0, "auto"},
    {CS_CRC16_MODBUS, "modbus"},
    {CS_CRC16_CCITT_FALSE, "ccitt-false"},
    {CS_CRC16_XMODEM, "xmodem"},
    {CS_CRC16_KERMIT, "kermit"},
    {CS_CRC16_ARC, "arc"},
    {CS_CRC16_X25, "x-25"},
    {CS_CRC16_AICLOUD, "aicloud-field"},
    {0, NULL},
};

/* The order discovery tries: the common variants first, the field
 * variant of another vendor last. */
static const uint8_t variant_order[] = {
    CS_CRC16_MODBUS, CS_CRC16_CCITT_FALSE, CS_CRC16_XMODEM, CS_CRC16_KERMIT,
    CS_CRC16_ARC,    CS_CRC16_X25,         CS_CRC16_AICLOUD,
};

/* ---- command words, sub-commands, slot states -------------------------- */

enum { SC_BW = 1, SC_BO, SC_RO, SC_BF, SC_RF, SC_T, SC_F };

typedef struct rsub {
    const char *w;
    const char *name;
} rsub;

static const rsub subs[] = {
    [SC_BW] = {"BW", "Borrow (lend) the power bank"},
    [SC_BO] = {"BO", "Borrowed out: the power bank was taken"},
    [SC_RO] = {"RO", "Returned: the power bank is back"},
    [SC_BF] = {"BF", "Borrow failed"},
    [SC_RF] = {"RF", "Return failed"},
    [SC_T] = {"T", "Belongs to the system"},
    [SC_F] = {"F", "Does not belong to the system"},
};
#define N_SUBS ((int)(sizeof subs / sizeof subs[0]))

typedef struct rcmd {
    char w[3];
    uint8_t dir;      /* who sends it (cs_dir) */
    int8_t nfields;   /* data fields; -1: AQ records */
    uint8_t sub[2];   /* allowed sub-commands, 0 = none */
    const char *name; /* "CC: Borrow request"; name + 4 is the plain name */
} rcmd;

static const rcmd cmds[] = {
    {"CH", CS_DIR_TO_SERVER, 0, {0, 0}, "CH: Heartbeat"},
    {"CQ", CS_DIR_TO_DEVICE, 0, {0, 0}, "CQ: Status query"},
    {"AQ", CS_DIR_TO_SERVER, -1, {0, 0}, "AQ: Status report"},
    {"CC", CS_DIR_TO_DEVICE, 3, {SC_BW, 0}, "CC: Borrow request"},
    {"MQ", CS_DIR_TO_SERVER, 2, {0, 0}, "MQ: Return check (does the power bank belong?)"},
    {"RQ", CS_DIR_TO_DEVICE, 3, {SC_T, SC_F}, "RQ: Return check answer"},
    {"MC", CS_DIR_TO_SERVER, 3, {SC_BO, SC_RO}, "MC: Success report"},
    {"AM", CS_DIR_TO_DEVICE, 3, {SC_BO, SC_RO}, "AM: Success acknowledgement"},
    {"MR", CS_DIR_TO_SERVER, 3, {SC_BF, SC_RF}, "MR: Failure report"},
    {"AR", CS_DIR_TO_DEVICE, 3, {SC_BF, SC_RF}, "AR: Failure acknowledgement"},
};
#define N_CMDS ((int)(sizeof cmds / sizeof cmds[0]))
enum { C_CH, C_CQ, C_AQ, C_CC, C_MQ, C_RQ, C_MC, C_AM, C_MR, C_AR };

enum { ST_FU = 1, ST_NF, ST_EM, ST_ER };
static const rsub states[] = {
    [ST_FU] = {"FU", "full"},
    [ST_NF] = {"NF", "not full"},
    [ST_EM] = {"EM", "empty battery"},
    [ST_ER] = {"ER", "fault"},
};
#define N_STATES ((int)(sizeof states / sizeof states[0]))

/* ---- fields --------------------------------------------------------------- */

#define F(abbrev, name, type, base, vals, unit, blurb, flags) \
    {abbrev, name, type, base, vals, unit, blurb, flags, -1}

static const cs_field_def fields[RF__COUNT] = {
    [RF_IMEI] = F("ruioo.imei", "IMEI", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                  "Device number: the IMEI of the cabinet's GPRS module (15 digits, Luhn check digit)",
                  0),
    [RF_CMD] = F("ruioo.cmd", "Command word", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                 "CH, CQ, AQ, CC, MQ, RQ, MC, AM, MR or AR (upper case, as the document writes it)",
                 0),
    [RF_CMD_NAME] = F("ruioo.cmd.name", "Command", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                      "What the command word means", CS_FF_GENERATED),
    [RF_SUBCMD] = F("ruioo.subcmd", "Sub-command", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                    "BW, BO, RO, BF, RF, T or F", 0),
    [RF_SUBCMD_NAME] = F("ruioo.subcmd.name", "Sub-command meaning", CS_FT_STRING, CS_BASE_NONE,
                         NULL, NULL, NULL, CS_FF_GENERATED),
    [RF_SLOT] = F("ruioo.slot", "Slot (STOREID)", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                  "Power-bank slot number, 1-3", 0),
    [RF_DEVID] = F("ruioo.devid", "Power bank ID (DEVID)", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                   "Charging device number: 1-32 letters and digits", 0),
    [RF_RECORD] = F("ruioo.record", "Slot status", CS_FT_NONE, CS_BASE_NONE, NULL, NULL,
                    "One slot of an AQ status report", CS_FF_SUBTREE),
    [RF_STATE] = F("ruioo.state", "Slot state", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                   "FU full, NF not full, EM empty battery, ER fault", 0),
    [RF_STATE_NAME] = F("ruioo.state.name", "Slot state meaning", CS_FT_STRING, CS_BASE_NONE,
                        NULL, NULL, NULL, CS_FF_GENERATED),
    [RF_DATA] = F("ruioo.data", "Data field", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                  "A data field the command does not define, or one that could not be read", 0),
    [RF_CRC] = {"ruioo.crc", "CRC-16", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                "The check code, written as text (4 hex digits or decimal)", CS_FF_CHECKSUM,
                RF_CRC_STATUS},
    [RF_CRC_STATUS] = F("ruioo.crc.status", "CRC-16 status", CS_FT_U8, CS_BASE_NONE,
                        cs_cksum_vals, NULL,
                        "Good: a CRC-16 combination matches; bad: the combination this "
                        "conversation uses (or the one pinned) does not; unverified: none "
                        "has matched yet",
                        CS_FF_GENERATED),
    [RF_CRC_VARIANT] = F("ruioo.crc.variant", "CRC-16 variant", CS_FT_U8, CS_BASE_DEC,
                         cs_crc16_variant_vals, NULL,
                         "The catalogued CRC-16 the frame matches (or was held to)",
                         CS_FF_GENERATED),
    [RF_CRC_COVERAGE] = F("ruioo.crc.coverage", "CRC-16 coverage", CS_FT_U8, CS_BASE_DEC,
                          ruioo_coverage_vals, NULL,
                          "The bytes the CRC covers: from the IMEI, the opening quote or the {, "
                          "through (-sep) or up to the separator before the CRC",
                          CS_FF_GENERATED),
    [RF_CRC_ENCODING] = F("ruioo.crc.encoding", "CRC-16 encoding", CS_FT_U8, CS_BASE_DEC,
                          ruioo_encoding_vals, NULL,
                          "How the CRC is written: hex (1-4 digits, either case) or decimal",
                          CS_FF_GENERATED),
    [RF_CRC_LEARNED_IN] = F("ruioo.crc.learned_in", "CRC-16 combination learned in frame",
                            CS_FT_FRAMENUM, CS_BASE_NONE, NULL, NULL,
                            "The frame where this conversation's CRC combination first matched",
                            CS_FF_GENERATED),
    [RF_DIRECTION] = F("ruioo.direction", "Direction", CS_FT_U8, CS_BASE_DEC, cs_dir_vals, NULL,
                       "Cabinet to server or server to cabinet, and how it was decided",
                       CS_FF_GENERATED),
    [RF_EOL] = F("ruioo.eol", "Line end", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                 "CR/LF or whitespace that arrived apart from its frame", 0),
    [RF_GARBAGE] = F("ruioo.garbage.data", "Garbage", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Bytes between frames that do not start a Ruioo frame", CS_FF_GARBAGE),
    [RF_FLOW] = F("ruioo.flow", "Flow", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                  "The document's flow this message belongs to: borrow, return or status query",
                  CS_FF_GENERATED),
    [RF_FLOW_STEP] = F("ruioo.flow.step", "Flow step", CS_FT_U8, CS_BASE_DEC, NULL,
                       NULL, "The message's step in its flow", CS_FF_GENERATED),
    [RF_REQUEST_IN] = {"ruioo.request_in", "Previous step in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                       NULL, NULL, "The flow's previous message, which this one answers",
                       CS_FF_GENERATED | CS_FF_FN_REQUEST, -1},
    [RF_RESPONSE_IN] = {"ruioo.response_in", "Next step in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                        NULL, NULL, "The flow's next message, which answers this one",
                        CS_FF_GENERATED | CS_FF_FN_RESPONSE, -1},
    [RF_RESPONSE_TIME] = F("ruioo.response_time", "Time since the previous step", CS_FT_RELTIME,
                           CS_BASE_NONE, NULL, NULL, "Time from the flow's previous message",
                           CS_FF_GENERATED),
};

/* ---- violations ----------------------------------------------------------- */

static const cs_violation_def violations[RV__COUNT] = {
    [RV_GARBAGE] = {"ruioo.garbage", CS_SEV_ERROR, CS_GRP_MALFORMED,
                    "Bytes between frames that are not a Ruioo frame"},
    [RV_UNTERMINATED] = {"ruioo.frame.unterminated", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "Frame without its closing brace"},
    [RV_MALFORMED] = {"ruioo.frame.malformed", CS_SEV_ERROR, CS_GRP_MALFORMED,
                      "Frame without an IMEI and a command that can be read"},
    [RV_QUOTE_MISSING] = {"ruioo.quote.missing", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                          "Frame without the quote after { or before }"},
    [RV_QUOTE_TYPOGRAPHIC] = {"ruioo.quote.typographic", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                              "Typographic quotes (U+201C/U+201D) instead of \""},
    [RV_WHITESPACE] = {"ruioo.whitespace", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                       "Whitespace around tokens"},
    [RV_SEPARATOR] = {"ruioo.separator.noncanonical", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                      "Separators other than the canonical form's"},
    [RV_EOL] = {"ruioo.eol.noncanonical", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                "Line end other than CR LF after the closing brace"},
    [RV_EOL_DETACHED] = {"ruioo.eol.detached", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                         "Line end or whitespace apart from its frame"},
    [RV_IMEI_LENGTH] = {"ruioo.imei.length", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                        "IMEI without the document's 15 digits"},
    [RV_IMEI_LUHN] = {"ruioo.imei.luhn", CS_SEV_WARN, CS_GRP_PROTOCOL,
                      "IMEI check digit (Luhn) is wrong"},
    [RV_IMEI_CHANGED] = {"ruioo.imei.changed", CS_SEV_WARN, CS_GRP_PROTOCOL,
                         "IMEI differs from the one this conversation started with"},
    [RV_WORD_LOWERCASE] = {"ruioo.word.lowercase", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                           "Lower-case letters in a command word, sub-command or state"},
    [RV_CMD_UNKNOWN] = {"ruioo.cmd.unknown", CS_SEV_WARN, CS_GRP_UNDECODED,
                        "Unknown command word"},
    [RV_SUBCMD_INVALID] = {"ruioo.subcmd.invalid", CS_SEV_WARN, CS_GRP_PROTOCOL,
                           "Sub-command missing or not defined for its command word"},
    [RV_FIELDS_COUNT] = {"ruioo.fields.count", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "Number of data fields differs from the command's"},
    [RV_FIELD_INVALID] = {"ruioo.field.invalid", CS_SEV_ERROR, CS_GRP_MALFORMED,
                          "Data field with characters or a length its place does not allow"},
    [RV_SLOT_RANGE] = {"ruioo.slot.range", CS_SEV_WARN, CS_GRP_PROTOCOL,
                       "Slot (STOREID) outside 1-3"},
    [RV_SLOT_PADDED] = {"ruioo.slot.padded", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                        "Slot written with a leading zero"},
    [RV_STATE_UNKNOWN] = {"ruioo.state.unknown", CS_SEV_WARN, CS_GRP_PROTOCOL,
                          "Slot state other than FU, NF, EM or ER"},
    [RV_AQ_DOTLESS] = {"ruioo.aq.dotless", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                       "Status record without its dots (2NF X), as the document prints it"},
    [RV_CRC_MISSING] = {"ruioo.crc.missing", CS_SEV_ERROR, CS_GRP_MALFORMED,
                        "Frame without a CRC"},
    [RV_CRC_MALFORMED] = {"ruioo.crc.malformed", CS_SEV_ERROR, CS_GRP_MALFORMED,
                          "CRC is neither 1-4 hex digits nor a decimal number up to 65535"},
    [RV_CRC_LOWERCASE] = {"ruioo.crc.lowercase", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                          "CRC written in lower-case hex"},
    [RV_CRC_UNPADDED] = {"ruioo.crc.unpadded", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                         "CRC written in fewer than 4 hex digits"},
    [RV_CRC_BAD] = {"ruioo.crc.bad", CS_SEV_ERROR, CS_GRP_CHECKSUM,
                    "CRC fails the combination this conversation uses"},
    [RV_CRC_CHANGED] = {"ruioo.crc.changed", CS_SEV_WARN, CS_GRP_CHECKSUM,
                        "CRC matches another combination than the one learned earlier"},
    [RV_DIR_MISMATCH] = {"ruioo.direction.mismatch", CS_SEV_WARN, CS_GRP_PROTOCOL,
                         "Command word sent by the other side than the document says"},
    [RV_HB_ANSWERED] = {"ruioo.heartbeat.answered", CS_SEV_WARN, CS_GRP_SEQUENCE,
                        "Heartbeat answered by the server (CH is never answered)"},
    [RV_FLOW_UNEXPECTED] = {"ruioo.flow.unexpected", CS_SEV_WARN, CS_GRP_SEQUENCE,
                            "Message out of its flow"},
    [RV_FLOW_UNFINISHED] = {"ruioo.flow.unfinished", CS_SEV_WARN, CS_GRP_SEQUENCE,
                            "Flow left unfinished: this message never got its next step"},
    [RV_RETURN_BF] = {"ruioo.flow.return_bf", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                      "Return failure written BF, as the document's template 14 prints it"},
};

/* ---- options --------------------------------------------------------------- */

static const cs_option_def options[RO__COUNT] = {
    [RO_CRC_VARIANT] = {"crc_variant", "CRC-16 variant",
                        "auto: find it per conversation; else hold every frame to this variant",
                        CS_OPT_ENUM, 0, variant_opt_vals},
    [RO_CRC_COVERAGE] = {"crc_coverage", "CRC-16 coverage",
                         "auto: find it per conversation; else the bytes the CRC covers",
                         CS_OPT_ENUM, 0, ruioo_coverage_vals},
    [RO_CRC_ENCODING] = {"crc_encoding", "CRC-16 encoding",
                         "auto: find it per conversation; else hex or decimal", CS_OPT_ENUM, 0,
                         ruioo_encoding_vals},
};

/* ---- characters ------------------------------------------------------------- */

/* One table lookup per byte instead of a chain of comparisons: the
 * decoder walks every byte of a frame several times. */
enum { K_WS = 1, K_GAP = 2, K_SEP = 4, K_DIGIT = 8, K_UPPER = 16, K_LOWER = 32 };
#define K_ALNUM (K_DIGIT | K_UPPER | K_LOWER)
#define K_10(k) k, k, k, k, k, k, k, k, k, k
#define K_26(k) K_10(k), K_10(k), k, k, k, k, k, k
static const uint8_t kind[256] = {
    ['\t'] = K_WS | K_GAP, ['\n'] = K_GAP, ['\r'] = K_GAP, [' '] = K_WS | K_GAP,
    [','] = K_SEP,         ['.'] = K_SEP,   [';'] = K_SEP,
    ['0'] = K_10(K_DIGIT), ['A'] = K_26(K_UPPER), ['a'] = K_26(K_LOWER),
};

static bool is_ws(uint8_t c) { return kind[c] & K_WS; }
static bool is_gap(uint8_t c) { return kind[c] & K_GAP; }
static bool is_sep(uint8_t c) { return kind[c] & K_SEP; }
static bool is_digit(uint8_t c) { return kind[c] & K_DIGIT; }
static bool is_lower(uint8_t c) { return kind[c] & K_LOWER; }
static bool is_alpha(uint8_t c) { return kind[c] & (K_UPPER | K_LOWER); }
static bool is_alnum(uint8_t c) { return kind[c] & K_ALNUM; }
static uint8_t upper(uint8_t c) { return is_lower(c) ? (uint8_t)(c - 32) : c; }

/* A quote at b[i]: ASCII " (1 byte) or U+201C/U+201D in UTF-8 (3 bytes). */
static uint8_t quote_at(const uint8_t *b, size_t end, size_t i, bool *typo)
{
    if (i < end && b[i] == '"') {
        *typo = false;
        return 1;
    }
    if (i + 3 <= end && b[i] == 0xE2 && b[i + 1] == 0x80 && (b[i + 2] == 0x9C || b[i + 2] == 0x9D)) {
        *typo = true;
        return 3;
    }
    return 0;
}

/* ---- framing and heuristic ----------------------------------------------- */

/* `{` ... the first `}`, plus an optional CR and LF.  A run of line-end or
 * whitespace bytes between frames is a PDU of its own (decoded as a line
 * end that arrived apart from its frame).  A `{`, CR or LF before the `}`
 * ends an unterminated frame; R_MAX_FRAME bytes without any is garbage. */
static cs_frame_kind ruioo_frame(const uint8_t *buf, size_t avail, size_t *len)
{
    if (!avail) {
        *len = 1;
        return CS_FRAME_NEED;
    }
    if (is_gap(buf[0])) {
        size_t i = 1;
        while (i < avail && i < R_MAX_GAP && is_gap(buf[i]))
            i++;
        *len = i;
        return CS_FRAME_PDU;
    }
    if (buf[0] != '{') {
        const uint8_t *q = avail > 1 ? memchr(buf + 1, '{', avail - 1) : NULL;
        *len = q ? (size_t)(q - buf) : avail;
        return CS_FRAME_SKIP;
    }
    /* The first of `}`, `{`, CR and LF decides: memchr for each, each
     * search bounded by what the previous ones found. */
    size_t lim = avail < R_MAX_FRAME ? avail : R_MAX_FRAME, end = lim;
    static const char stops[] = "}{\r\n";
    for (int k = 0; k < 4 && end > 1; k++) {
        const uint8_t *q = memchr(buf + 1, stops[k], end - 1);
        if (q)
            end = (size_t)(q - buf);
    }
    if (end < lim) {
        if (buf[end] != '}') {
            *len = end; /* unterminated: decoded and flagged as such */
            return CS_FRAME_PDU;
        }
        size_t e = end + 1;
        if (e < avail && buf[e] == '\r')
            e++;
        if (e < avail && buf[e] == '\n')
            e++;
        *len = e;
        return CS_FRAME_PDU;
    }
    if (avail < R_MAX_FRAME) {
        *len = avail + 1;
        return CS_FRAME_NEED;
    }
    *len = R_MAX_FRAME; /* over-long: garbage; the next call skips to a `{` */
    return CS_FRAME_SKIP;
}

/* Up to 3 spaces or tabs. */
static size_t probe_ws(const uint8_t *b, size_t n, size_t i)
{
    for (int k = 0; k < 3 && i < n && is_ws(b[i]); k++)
        i++;
    return i;
}

/* `{`, an optional quote, 14-17 digits, a comma, then a two-letter command
 * word ended by a separator or whitespace (as far as the segment goes);
 * up to 3 spaces or tabs around each token. */
static bool ruioo_probe(const uint8_t *b, size_t n, bool udp)
{
    if (udp || n < 16 || b[0] != '{')
        return false;
    size_t i = probe_ws(b, n, 1);
    bool typo;
    i += quote_at(b, n, i, &typo);
    i = probe_ws(b, n, i);
    size_t d = i;
    while (i < n && is_digit(b[i]))
        i++;
    if (i - d < 14 || i - d > R_IMEI_MAX || i == n)
        return false;
    i = probe_ws(b, n, i);
    if (i >= n || b[i] != ',')
        return false;
    i = probe_ws(b, n, i + 1);
    if (i < n && !is_alpha(b[i]))
        return false;
    if (i + 1 < n && !is_alpha(b[i + 1]))
        return false;
    if (i + 2 < n && !is_sep(b[i + 2]) && !is_ws(b[i + 2]))
        return false;
    return true;
}

/* ---- the frame's tokens ------------------------------------------------------- */

typedef struct rtok {
    uint32_t off, len; /* the token, whitespace trimmed */
    uint32_t sep;      /* offset of the separator before it */
} rtok;

typedef struct rframe {
    const uint8_t *b;
    uint32_t n;
    uint32_t close; /* offset of the `}`, or n when unterminated */
    bool terminated;
    int32_t qopen, qclose; /* offsets of the quotes, -1 when absent */
    bool typographic;
    bool ws;         /* whitespace around a token */
    uint32_t ws_off; /* the first such whitespace */
    uint32_t imei_off, imei_len;
    const char *error; /* why the frame cannot be read, or NULL */
    uint32_t err_off;
    uint32_t ntok;
    bool too_many; /* more than R_MAX_TOK tokens: the middle ones are dropped */
    rtok tok[R_MAX_TOK];
} rframe;

static uint32_t skip_ws(rframe *f, uint32_t i, uint32_t end)
{
    uint32_t s = i;
    while (i < end && is_ws(f->b[i]))
        i++;
    if (i > s && !f->ws) {
        f->ws = true;
        f->ws_off = s;
    }
    return i;
}

static uint32_t rskip_ws(rframe *f, uint32_t start, uint32_t j)
{
    uint32_t e = j;
    while (j > start && is_ws(f->b[j - 1]))
        j--;
    if (j < e && !f->ws) {
        f->ws = true;
        f->ws_off = j;
    }
    return j;
}

/* The `{`, the opening quote and the IMEI; returns the offset after the
 * IMEI digits.  f->b must be set and b[0] be `{`. */
static uint32_t parse_front(rframe *f, uint32_t end)
{
    bool typo;
    uint32_t i = skip_ws(f, 1, end);
    f->qopen = -1;
    uint8_t ql = quote_at(f->b, end, i, &typo);
    if (ql) {
        f->qopen = (int32_t)i;
        f->typographic |= typo;
        i = skip_ws(f, i + ql, end);
    }
    f->imei_off = i;
    const uint8_t *q = f->b + i, *qe = f->b + end;
    while (q < qe && is_digit(*q))
        q++;
    i = (uint32_t)(q - f->b);
    f->imei_len = i - f->imei_off;
    return i;
}

static void add_tok(rframe *f, uint32_t off, uint32_t len, uint32_t sep)
{
    if (f->ntok == R_MAX_TOK) {
        f->too_many = true;
        f->ntok--; /* the last slot always holds the latest token (the CRC) */
    }
    f->tok[f->ntok++] = (rtok){off, len, sep};
}

static void parse_frame(const uint8_t *b, uint32_t n, rframe *f)
{
    memset(f, 0, offsetof(rframe, tok));
    f->b = b;
    f->n = n;
    f->qclose = -1;
    const uint8_t *c = n > 1 ? memchr(b + 1, '}', n - 1) : NULL;
    f->close = c ? (uint32_t)(c - b) : n;
    f->terminated = c != NULL;
    uint32_t i = parse_front(f, f->close);
    if (!f->imei_len) {
        f->error = "no IMEI after the opening brace";
        f->err_off = i;
        return;
    }
    uint32_t j = rskip_ws(f, i, f->close);
    bool typo;
    if (j > i && b[j - 1] == '"') {
        f->qclose = (int32_t)j - 1;
    } else if (j >= i + 3 && quote_at(b, j, j - 3, &typo) == 3) {
        f->qclose = (int32_t)j - 3;
        f->typographic = true;
    }
    if (f->qclose >= 0)
        j = rskip_ws(f, i, (uint32_t)f->qclose);
    uint32_t k = skip_ws(f, i, j);
    if (k >= j) {
        f->error = "nothing after the IMEI";
        f->err_off = k;
        return;
    }
    if (!is_sep(b[k])) {
        f->error = "the IMEI is not followed by a separator";
        f->err_off = k;
        return;
    }
    while (k < j) { /* b[k] is a separator */
        uint32_t sep = k, a = k + 1;
        const uint8_t *q = b + a, *qe = b + j;
        while (q < qe && !is_sep(*q))
            q++;
        uint32_t z = (uint32_t)(q - b);
        /* whitespace is no separator, so the token's extent is found
         * first and trimmed only when an end is whitespace (rarely) */
        uint32_t e = z;
        if (a < z && is_ws(b[a]))
            a = skip_ws(f, a, z);
        if (e > a && is_ws(b[e - 1]))
            e = rskip_ws(f, a, e);
        add_tok(f, a, e - a, sep);
        k = z;
    }
}

/* Two NUL-terminated words of at most two letters are the same. */
static bool word_eq(const char *a, const char *b) { return a[0] == b[0] && a[1] == b[1]; }

/* Case-insensitive: token t is the word w. */
static bool tok_is(const rframe *f, const rtok *t, const char *w)
{
    size_t n = strlen(w);
    if (t->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (upper(f->b[t->off + i]) != (uint8_t)w[i])
            return false;
    return true;
}

static bool all_of(const uint8_t *p, uint32_t n, bool (*pred)(uint8_t))
{
    for (uint32_t i = 0; i < n; i++)
        if (!pred(p[i]))
            return false;
    return n > 0;
}

static bool has_lower(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (is_lower(p[i]))
            return true;
    return false;
}

/* Bytes from the wire for a message or the Info column: printable ASCII
 * kept, anything else as '?', "..." when cut at bufn - 4 characters. */
static const char *show(char *buf, size_t bufn, const uint8_t *p, uint32_t n)
{
    size_t k = 0, lim = bufn - 4;
    for (uint32_t i = 0; i < n && k < lim; i++)
        buf[k++] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '?';
    if (n > lim) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* Items are built only for the tree and --messages: without CS_WANT_ITEMS
 * every cs_item_* call returns -1, so the decoder skips the calls and the
 * text it would prepare for them (violations are attached to item -1 then,
 * exactly as the calls would have returned). */
static bool want_items(const cs_out *o) { return o->want & CS_WANT_ITEMS; }
static bool want_info(const cs_out *o) { return o->want & CS_WANT_INFO; }

/* ---- coverage, CRC token, discovery ------------------------------------------ */

static bool cov_range(const rframe *f, uint32_t sep, int cov, uint32_t *a, uint32_t *z)
{
    switch (cov) {
    case RUIOO_COV_IMEI_SEP:
    case RUIOO_COV_IMEI: *a = f->imei_off; break;
    case RUIOO_COV_BRACE_SEP:
    case RUIOO_COV_BRACE: *a = 0; break;
    case RUIOO_COV_QUOTE_SEP:
    case RUIOO_COV_QUOTE:
        if (f->qopen < 0)
            return false;
        *a = (uint32_t)f->qopen;
        break;
    default: return false;
    }
    bool incl = cov == RUIOO_COV_IMEI_SEP || cov == RUIOO_COV_BRACE_SEP || cov == RUIOO_COV_QUOTE_SEP;
    *z = sep + (incl ? 1 : 0);
    return *z > *a;
}

bool ruioo_coverage_range(const uint8_t *b, size_t n, size_t sep, int cov, size_t *start,
                          size_t *end)
{
    if (!n || b[0] != '{' || sep >= n || n > UINT32_MAX)
        return false;
    rframe f;
    memset(&f, 0, offsetof(rframe, tok));
    f.b = b;
    f.n = (uint32_t)n;
    parse_front(&f, (uint32_t)sep);
    uint32_t a, z;
    if (!f.imei_len || !cov_range(&f, (uint32_t)sep, cov, &a, &z))
        return false;
    *start = a;
    *end = z;
    return true;
}

typedef struct rcrc {
    uint32_t off, len, sep; /* the token and the separator before it */
    bool hex_ok, dec_ok;
    uint16_t hexv, decv;
} rcrc;

static void crc_token(const rframe *f, const rtok *t, rcrc *c)
{
    memset(c, 0, sizeof *c);
    c->off = t->off;
    c->len = t->len;
    c->sep = t->sep;
    const uint8_t *p = f->b + t->off;
    uint32_t hv = 0, dv = 0;
    bool hex = t->len >= 1 && t->len <= 4, dec = t->len >= 1 && t->len <= 5;
    /* the values count only where their reading is valid: stop when
     * neither is */
    for (uint32_t i = 0; i < t->len && (hex || dec); i++) {
        uint8_t ch = p[i];
        if (is_digit(ch)) {
            hv = hv * 16 + (uint32_t)(ch - '0');
            dv = dv * 10 + (uint32_t)(ch - '0');
            continue;
        }
        dec = false;
        uint8_t u = upper(ch);
        if (u >= 'A' && u <= 'F')
            hv = hv * 16 + (uint32_t)(u - 'A' + 10);
        else
            hex = false;
    }
    c->hex_ok = hex;
    c->dec_ok = dec && dv <= 0xFFFF;
    c->hexv = (uint16_t)hv;
    c->decv = (uint16_t)dv;
}

typedef struct rcombo {
    uint8_t var, cov, enc;
} rcombo;

static bool combo_allowed(const rcombo *c, const uint32_t *opts)
{
    return (!opts[RO_CRC_VARIANT] || opts[RO_CRC_VARIANT] == c->var) &&
           (!opts[RO_CRC_COVERAGE] || opts[RO_CRC_COVERAGE] == c->cov) &&
           (!opts[RO_CRC_ENCODING] || opts[RO_CRC_ENCODING] == c->enc);
}

static bool combo_pinned(const uint32_t *opts)
{
    return opts[RO_CRC_VARIANT] && opts[RO_CRC_COVERAGE] && opts[RO_CRC_ENCODING];
}

static bool crc_value(const rcrc *c, int enc, uint16_t *v)
{
    if (enc == RUIOO_ENC_HEX && c->hex_ok)
        *v = c->hexv;
    else if (enc == RUIOO_ENC_DECIMAL && c->dec_ok)
        *v = c->decv;
    else
        return false;
    return true;
}

/* The CRC combination c computes over the frame; false when c's coverage
 * does not exist in this frame. */
static bool combo_crc(const rframe *f, const rcrc *c, const rcombo *k, uint16_t *crc)
{
    uint32_t a, z;
    if (!cov_range(f, c->sep, k->cov, &a, &z))
        return false;
    *crc = cs_crc16((cs_crc16_variant)k->var, f->b + a, z - a);
    return true;
}

/* The first allowed combination that matches, in the fixed order
 * (coverage, variant, encoding), skipping `skip`. */
static bool crc_search(const rframe *f, const rcrc *c, const uint32_t *opts, const rcombo *skip,
                       rcombo *found, uint16_t *crc)
{
    if (!c->hex_ok && !c->dec_ok)
        return false;
    for (uint8_t cov = 1; cov < RUIOO_COV__END; cov++) {
        for (size_t vi = 0; vi < sizeof variant_order; vi++) {
            rcombo k = {variant_order[vi], cov, 0};
            bool any = false;
            for (uint8_t enc = 1; enc < RUIOO_ENC__END; enc++)
                any = any || combo_allowed(&(rcombo){k.var, cov, enc}, opts);
            if (!any)
                continue;
            uint16_t v;
            if (!combo_crc(f, c, &k, &v))
                continue;
            for (uint8_t enc = 1; enc < RUIOO_ENC__END; enc++) {
                k.enc = enc;
                uint16_t stored;
                if (!combo_allowed(&k, opts) || (skip && !memcmp(&k, skip, sizeof k)))
                    continue;
                if (crc_value(c, enc, &stored) && stored == v) {
                    *found = k;
                    *crc = v;
                    return true;
                }
            }
        }
    }
    return false;
}

/* ---- sessions --------------------------------------------------------------- */

/* Flow states: what the flow waits for.  R_DONE: finished (the entry is
 * kept to tell a late message from one whose flow began before the
 * capture). */
enum {
    R_DONE = 0,
    R_B_REPORT,   /* after CC.BW: MC.BO or MR.BF */
    R_B_ACK_OK,   /* after MC.BO: AM.BO */
    R_B_ACK_FAIL, /* after MR.BF: AR.BF */
    R_R_OWN,      /* after MQ: RQ.T or RQ.F */
    R_R_LATCH,    /* after RQ.T: MC.RO or MR.RF */
    R_R_ACK_OK,   /* after MC.RO: AM.RO */
    R_R_ACK_FAIL, /* after MR.RF: AR.RF */
    R_Q_STATUS    /* after CQ: AQ */
};

static const char *const waiting_for[] = {
    [R_DONE] = "nothing (finished)",
    [R_B_REPORT] = "the cabinet's MC.BO or MR.BF",
    [R_B_ACK_OK] = "the server's AM.BO",
    [R_B_ACK_FAIL] = "the server's AR.BF",
    [R_R_OWN] = "the server's RQ.T or RQ.F",
    [R_R_LATCH] = "the cabinet's MC.RO or MR.RF",
    [R_R_ACK_OK] = "the server's AM.RO",
    [R_R_ACK_FAIL] = "the server's AR.RF",
    [R_Q_STATUS] = "the cabinet's AQ",
};

enum { FL_BORROW = 1, FL_RETURN, FL_STATUS };
static const char *const flow_names[] = {[FL_BORROW] = "borrow", [FL_RETURN] = "return",
                                          [FL_STATUS] = "status query"};

typedef struct rflow {
    char imei[R_IMEI_MAX + 1];
    char devid[R_DEVID_MAX + 1];
    uint8_t slot; /* 0 with an empty DEVID: the status query */
    uint8_t state;
    uint8_t flow;
    uint32_t frame; /* the flow's last message */
    int64_t ts_ns;
    uintptr_t tag;
    uint64_t used;
} rflow;

typedef struct ruioo_sess {
    bool start_seen;
    uint8_t role[2]; /* learned cs_dir of what each side sends */
    char imei[R_IMEI_MAX + 1];
    uint32_t imei_frame;
    rcombo crc;         /* learned combination; var == 0: none */
    uint32_t crc_frame; /* where it was learned */
    uint32_t crc_misses; /* frames in which nothing matched, before any did */
    uint64_t clock;
    uint32_t n_flows;
    rflow flows[R_FLOWS];
} ruioo_sess;

static void ruioo_sess_init(void *sv, const uint32_t *opts, bool start_seen)
{
    ruioo_sess *s = sv;
    (void)opts;
    /* the flow table is not cleared: an entry is cleared when it is
     * taken (flow_new's callers), and only n_flows entries are read */
    memset(s, 0, offsetof(ruioo_sess, flows));
    s->start_seen = start_seen;
}

static void ruioo_sess_fini(void *sv) { (void)sv; }

/* `why` says why the flow ended; NULL: frame `took` took its place. */
static void flow_unfinished(cs_out *o, const rflow *e, const char *why, uint32_t took)
{
    const char *fl = flow_names[e->flow], *wait = waiting_for[e->state];
    const char *of = e->slot ? "this slot and power bank" : "this cabinet";
    if (!why)
        cs_viol_frame(o, RV_FLOW_UNFINISHED, e->frame, e->tag,
                      "%s flow for %s left unfinished (frame %u took its place): it waits for %s",
                      fl, of, took, wait);
    else
        cs_viol_frame(o, RV_FLOW_UNFINISHED, e->frame, e->tag,
                      "%s flow for %s left unfinished%s: it waits for %s", fl, of, why, wait);
}

static void ruioo_sess_end(void *sv, cs_out *o)
{
    ruioo_sess *s = sv;
    cs_out_reset(o);
    /* in frame order, for a stable report */
    for (;;) {
        rflow *first = NULL;
        for (uint32_t i = 0; i < s->n_flows; i++)
            if (s->flows[i].state != R_DONE && (!first || s->flows[i].frame < first->frame))
                first = &s->flows[i];
        if (!first)
            break;
        flow_unfinished(o, first, " at the end of the conversation", 0);
        first->state = R_DONE;
    }
}

/* ---- decoding ------------------------------------------------------------------ */

typedef struct rdec {
    cs_out *o;
    const uint8_t *b;
    rframe *f;
    bool lower_noted;
    /* what the message says, for the Info column and the flows */
    int cmd;      /* index into cmds[], -1 unknown */
    int sub;      /* SC_*, 0 none */
    int slot;     /* -1 none */
    uint32_t devid_off, devid_len;
    bool keyed; /* slot and DEVID read: the message can take part in a flow */
    /* the separators as written, and as the canonical form has them */
    uint32_t ncanon;
    bool canon_valid;
    /* last: not cleared per message (ncanon and devid_len say what is set) */
    char canon[R_MAX_TOK + 8];
    char devid_key[R_DEVID_MAX]; /* the DEVID upper-cased, cut at R_DEVID_MAX */
} rdec;

static void canon_add(rdec *d, char c, uint32_t n)
{
    while (n-- && d->ncanon + 1 < sizeof d->canon)
        d->canon[d->ncanon++] = c;
}

/* A command word, sub-command or state: one note per frame for lower case. */
static void note_lower(rdec *d, const rtok *t)
{
    if (!d->lower_noted && has_lower(d->b + t->off, t->len)) {
        d->lower_noted = true;
        char w[24];
        cs_viol_add(d->o, RV_WORD_LOWERCASE, -1, t->off, t->len, "\"%s\" in lower case",
                    show(w, sizeof w, d->b + t->off, t->len));
    }
}

/* An upper-cased copy of a short word, for items and messages; *lower:
 * the copy met lower-case letters (the callers copy whole words, so then
 * note_lower has something to note). */
static const char *word(const rdec *d, const rtok *t, char *buf, size_t n, bool *lower)
{
    size_t k = 0;
    *lower = false;
    for (; k < t->len && k + 1 < n; k++) {
        uint8_t ch = d->b[t->off + k];
        *lower |= is_lower(ch);
        buf[k] = (char)upper(ch);
    }
    buf[k] = '\0';
    return buf;
}

static int data_item(rdec *d, const rtok *t)
{
    if (!want_items(d->o))
        return -1;
    return cs_item_str(d->o, RF_DATA, t->off, t->len, (const char *)d->b + t->off, t->len);
}

/* STOREID: 1-2 digits. */
static void read_slot(rdec *d, uint32_t off, uint32_t len)
{
    char w[24];
    cs_out *o = d->o;
    const uint8_t *p = d->b + off;
    if (len < 1 || len > 2 || !all_of(p, len, is_digit)) {
        int it = cs_item_str(o, RF_DATA, off, len, (const char *)p, len);
        cs_viol_add(o, RV_FIELD_INVALID, it, off, len,
                    "STOREID \"%s\" is not a number of 1-2 digits", show(w, sizeof w, p, len));
        return;
    }
    int v = len == 2 ? (p[0] - '0') * 10 + (p[1] - '0') : p[0] - '0';
    int it = want_items(o) ? cs_item_add(o, RF_SLOT, off, len, (uint64_t)v) : -1;
    d->slot = v;
    if (len == 2 && p[0] == '0')
        cs_viol_add(o, RV_SLOT_PADDED, it, off, len, "Slot written \"%.2s\"", (const char *)p);
    if (v < 1 || v > 3)
        cs_viol_add(o, RV_SLOT_RANGE, it, off, len, "Slot %d is outside 1-3", v);
}

/* DEVID: 1-32 letters and digits. */
static void read_devid(rdec *d, uint32_t off, uint32_t len)
{
    char w[48];
    const uint8_t *p = d->b + off;
    int it = want_items(d->o) ? cs_item_str(d->o, RF_DEVID, off, len, (const char *)p, len) : -1;
    d->devid_off = off;
    d->devid_len = len;
    /* one pass: the check, and the upper-case key the flows use (a DEVID
     * longer than R_DEVID_MAX is invalid whatever its characters) */
    uint32_t kn = len > R_DEVID_MAX ? R_DEVID_MAX : len;
    bool alnum = true;
    char *key = d->devid_key;
    for (uint32_t i = 0; i < kn; i++) {
        uint8_t c = p[i];
        alnum &= is_alnum(c);
        key[i] = (char)upper(c);
    }
    if (!len || len > R_DEVID_MAX || !alnum)
        cs_viol_add(d->o, RV_FIELD_INVALID, it, off, len,
                    "DEVID \"%s\" is not 1-32 letters and digits", show(w, sizeof w, p, len));
}

static const char *info_phrase(int cmd, int sub)
{
    switch (cmd) {
    case C_CC: return "Borrow request";
    case C_MQ: return "Return check";
    case C_RQ: return sub == SC_T ? "Return allowed" : sub == SC_F ? "Return refused" : "Return check answer";
    case C_MC: return sub == SC_BO ? "Borrowed out" : sub == SC_RO ? "Returned" : "Success report";
    case C_AM:
        return sub == SC_BO ? "Borrow confirmed" : sub == SC_RO ? "Return confirmed" : "Success acknowledged";
    case C_MR: return sub == SC_BF ? "Borrow failed" : sub == SC_RF ? "Return failed" : "Failure report";
    case C_AR:
        return sub == SC_BF ? "Borrow failure acknowledged"
               : sub == SC_RF ? "Return failure acknowledged"
                              : "Failure acknowledged";
    default: return "?";
    }
}

/* CH, CQ and the slot commands: CMD.[SUB.]STOREID.DEVID */
static void decode_simple(rdec *d, uint32_t first, uint32_t last)
{
    cs_out *o = d->o;
    const rframe *f = d->f;
    const rcmd *c = &cmds[d->cmd];
    const rtok *dt[R_MAX_TOK];
    uint32_t nd = 0;
    for (uint32_t i = first; i < last; i++)
        if (f->tok[i].len)
            dt[nd++] = &f->tok[i];
    canon_add(d, ',', 1); /* after the IMEI */
    canon_add(d, '.', nd + 1 > 2 ? nd + 1 : 2);
    d->canon_valid = true;
    bool has_sub = c->sub[0] != 0;
    if (nd != (uint32_t)c->nfields || f->too_many)
        cs_viol_add(o, RV_FIELDS_COUNT, -1, nd ? dt[0]->off : f->tok[0].off,
                    nd ? dt[nd - 1]->off + dt[nd - 1]->len - dt[0]->off : f->tok[0].len,
                    "%s carries %s%u data field%s; the document gives %d (%s)", c->w,
                    f->too_many ? "more than " : "", nd, nd == 1 ? "" : "s", c->nfields,
                    c->nfields == 0 ? "none" : has_sub ? "SUB.STOREID.DEVID" : "STOREID.DEVID");
    uint32_t k = 0;
    if (has_sub) {
        const rtok *t = k < nd ? dt[k] : NULL;
        if (t && t->len <= 2 && all_of(d->b + t->off, t->len, is_alpha)) {
            char w[4];
            bool lower;
            word(d, t, w, sizeof w, &lower);
            if (lower)
                note_lower(d, t);
            int sc = 0;
            for (int s = 1; s < N_SUBS && !sc; s++)
                if (word_eq(subs[s].w, w))
                    sc = s;
            if (want_items(o)) {
                cs_item_strf(o, RF_SUBCMD, t->off, t->len, "%s", w);
                if (sc)
                    cs_item_flag(o,
                                 cs_item_strf(o, RF_SUBCMD_NAME, t->off, t->len, "%s", subs[sc].name),
                                 CS_IF_GENERATED);
            }
            if (sc && (sc == c->sub[0] || sc == c->sub[1])) {
                d->sub = sc;
                o->result = sc;
                o->result_name = subs[sc].name;
            } else {
                cs_viol_add(o, RV_SUBCMD_INVALID, -1, t->off, t->len,
                            "Sub-command \"%s\" is not defined for %s (%s%s%s)", w, c->w,
                            subs[c->sub[0]].w, c->sub[1] ? " or " : "",
                            c->sub[1] ? subs[c->sub[1]].w : "");
            }
            k++;
        } else {
            cs_viol_add(o, RV_SUBCMD_INVALID, -1, t ? t->off : f->tok[0].off,
                        t ? t->len : f->tok[0].len, "%s without its sub-command (%s%s%s)", c->w,
                        subs[c->sub[0]].w, c->sub[1] ? " or " : "",
                        c->sub[1] ? subs[c->sub[1]].w : "");
        }
    }
    if (c->nfields >= 2) {
        if (k < nd) {
            read_slot(d, dt[k]->off, dt[k]->len);
            k++;
        }
        if (k < nd) {
            read_devid(d, dt[k]->off, dt[k]->len);
            k++;
        }
    }
    for (; k < nd; k++)
        data_item(d, dt[k]);
    d->keyed = d->slot >= 0 && d->devid_len > 0;

    if (!want_info(o))
        return;
    if (d->cmd == C_CH)
        cs_info(o, "Heartbeat");
    else if (d->cmd == C_CQ)
        cs_info(o, "Status query");
    else {
        char dv[40];
        cs_info(o, "%s", info_phrase(d->cmd, d->sub));
        if (d->slot >= 0)
            cs_info(o, " slot %d", d->slot);
        if (d->devid_len)
            cs_info(o, " power bank %s", show(dv, sizeof dv, d->b + d->devid_off, d->devid_len));
    }
}

static int state_of(const rdec *d, uint32_t off, uint32_t len)
{
    rtok t = {off, len, 0};
    for (int s = 1; s < N_STATES; s++)
        if (tok_is(d->f, &t, states[s].w))
            return s;
    return 0;
}

/* 1-2 digits followed by two letters (a state): where an AQ record starts. */
static bool record_start(const rdec *d, uint32_t i, uint32_t last)
{
    const rframe *f = d->f;
    const rtok *t = &f->tok[i];
    const uint8_t *p = d->b + t->off;
    uint32_t n = 0;
    while (n < t->len && is_digit(p[n]))
        n++;
    if (n < 1 || n > 2)
        return false;
    if (n < t->len) /* glued: 2NF */
        return t->len - n >= 2 && all_of(p + n, 2, is_alpha);
    return i + 1 < last && f->tok[i + 1].len >= 2 && all_of(d->b + f->tok[i + 1].off, 2, is_alpha);
}

/* AQ,1.FU.X;2.NF.X;3.ER;;CRC - records on `;`, empty ones dropped, `2NF X`
 * accepted. */
static void decode_aq(rdec *d, uint32_t first, uint32_t last)
{
    cs_out *o = d->o;
    const rframe *f = d->f;
    const uint8_t *b = d->b;
    char w[48];
    canon_add(d, ',', 2); /* after the IMEI and after AQ */
    d->canon_valid = true;
    uint32_t nrec = 0;
    bool dotless_noted = false;
    cs_info(o, "Status:");
    uint32_t i = first;
    while (i < last) {
        const rtok *t = &f->tok[i];
        if (!t->len) {
            i++;
            continue;
        }
        if (!record_start(d, i, last)) {
            int it = data_item(d, t);
            cs_viol_add(o, RV_FIELD_INVALID, it, t->off, t->len,
                        "\"%s\" where a status record (slot.state[.DEVID]) should begin",
                        show(w, sizeof w, b + t->off, t->len));
            d->canon_valid = false;
            i++;
            continue;
        }
        /* the record's extent first: slot, state, DEVID tokens */
        const uint8_t *p = b + t->off;
        uint32_t nd = 0;
        while (nd < t->len && is_digit(p[nd]))
            nd++;
        uint32_t rec_off = t->off, rec_end;
        uint32_t st_off, st_len, dv_off = 0, dv_len = 0, dots = 0;
        bool dotless = false;
        const rtok *st;
        if (nd < t->len) { /* 2NF X: slot and state in one token */
            dotless = true;
            st_off = t->off + nd;
            st = t;
            i++;
        } else {
            st = &f->tok[i + 1];
            st_off = st->off;
            dots++;
            i += 2;
        }
        st_len = 2;
        /* the rest of the state token: nothing, or whitespace and a DEVID */
        uint32_t rest = st_off + 2, st_end = st->off + st->len;
        if (rest < st_end) {
            uint32_t a = rest;
            while (a < st_end && is_ws(b[a]))
                a++;
            if (a == rest) { /* the state runs on: NFX is not a state */
                st_len = st_end - st_off;
            } else {
                dotless = true;
                dv_off = a;
                dv_len = st_end - a;
            }
        }
        rec_end = st_off + st_len;
        if (!dv_len && i < last && f->tok[i].len && b[f->tok[i].sep] != ';' && !record_start(d, i, last)) {
            dv_off = f->tok[i].off;
            dv_len = f->tok[i].len;
            dots++;
            i++;
        }
        if (dv_len)
            rec_end = dv_off + dv_len;
        canon_add(d, '.', dots); /* glued parts have none; the dotless note says so */
        canon_add(d, ';', 1);

        int state = st_len == 2 ? state_of(d, st_off, 2) : 0;
        bool items = want_items(o);
        int rit = items ? cs_item_add(o, RF_RECORD, rec_off, rec_end - rec_off, 0) : -1;
        cs_push(o);
        d->slot = -1;
        read_slot(d, rec_off, nd);
        rtok stt = {st_off, st_len, 0};
        note_lower(d, &stt);
        int sit = !items ? -1
                  : state ? cs_item_strf(o, RF_STATE, st_off, st_len, "%s", states[state].w)
                          : cs_item_str(o, RF_STATE, st_off, st_len, (const char *)b + st_off, st_len);
        if (!state)
            cs_viol_add(o, RV_STATE_UNKNOWN, sit, st_off, st_len,
                        "Slot state \"%s\" is none of FU, NF, EM, ER",
                        show(w, sizeof w, b + st_off, st_len));
        else if (items)
            cs_item_flag(o, cs_item_strf(o, RF_STATE_NAME, st_off, st_len, "%s", states[state].name),
                         CS_IF_GENERATED);
        d->devid_len = 0;
        if (dv_len)
            read_devid(d, dv_off, dv_len);
        cs_pop(o);
        if (dotless && !dotless_noted) {
            dotless_noted = true;
            cs_viol_add(o, RV_AQ_DOTLESS, rit, rec_off, rec_end - rec_off,
                        "Record \"%s\" without its dots (read as slot %d, %s)",
                        show(w, sizeof w, b + rec_off, rec_end - rec_off), d->slot,
                        state ? states[state].w : "?");
        }
        const char *sn = state ? states[state].name : "unknown state";
        if (rit < 0) {
            if (d->slot >= 0 && want_info(o))
                cs_info(o, "%s %d %s", nrec ? "," : "", d->slot, sn);
        } else if (d->slot >= 0) {
            if (dv_len)
                cs_item_text(o, rit, "Slot %d: %s, power bank %s", d->slot, sn,
                             show(w, sizeof w, b + dv_off, dv_len));
            else
                cs_item_text(o, rit, "Slot %d: %s", d->slot, sn);
            cs_info(o, "%s %d %s", nrec ? "," : "", d->slot, sn);
        } else {
            cs_item_text(o, rit, "Slot ?: %s", sn);
        }
        nrec++;
    }
    canon_add(d, ';', 1);
    if (!nrec)
        cs_info(o, " no slot records");
    if (f->too_many)
        cs_viol_add(o, RV_FIELDS_COUNT, -1, f->tok[1].off, 0,
                    "More than %d fields: the middle ones are not shown", R_MAX_TOK);
    d->slot = -1;
    d->devid_len = 0;
}

/* The stateless CRC facts: missing, malformed, lower case. */
static bool crc_read(rdec *d, rcrc *c)
{
    char w[40];
    const rframe *f = d->f;
    cs_out *o = d->o;
    const rtok *t = f->ntok >= 2 ? &f->tok[f->ntok - 1] : NULL;
    if (!t || !t->len) {
        uint32_t at = t ? t->sep : f->tok[0].off + f->tok[0].len;
        int it = cs_item_cksum(o, RF_CRC, at, 0, 0, 0, CS_CK_ABSENT, false);
        cs_viol_add(o, RV_CRC_MISSING, it, at, 0,
                    t ? "The frame ends in a separator: the CRC is empty"
                      : "Nothing after the command word: no CRC");
        return false;
    }
    crc_token(f, t, c);
    if (!c->hex_ok && !c->dec_ok)
        cs_viol_add(o, RV_CRC_MALFORMED, -1, t->off, t->len,
                    "CRC \"%s\" is neither 1-4 hex digits nor a decimal number up to 65535",
                    show(w, sizeof w, d->b + t->off, t->len));
    else if (c->hex_ok && has_lower(d->b + t->off, t->len))
        cs_viol_add(o, RV_CRC_LOWERCASE, -1, t->off, t->len, "CRC \"%.*s\" in lower-case hex",
                    (int)t->len, (const char *)d->b + t->off);
    return true;
}

typedef struct rverdict {
    cs_cksum st;
    bool have; /* a combination to show */
    rcombo k;
    uint16_t computed;
    uint32_t learned_in;  /* the combination came from this frame, 0 none */
    bool changed;         /* matches another combination than the learned one */
    rcombo was;
} rverdict;

static void verdict(const rframe *f, const rcrc *c, const uint32_t *opts, const ruioo_sess *s,
                    rverdict *v)
{
    memset(v, 0, sizeof *v);
    uint16_t crc, stored;
    if (combo_pinned(opts)) {
        rcombo k = {(uint8_t)opts[RO_CRC_VARIANT], (uint8_t)opts[RO_CRC_COVERAGE],
                    (uint8_t)opts[RO_CRC_ENCODING]};
        if (!combo_crc(f, c, &k, &crc)) {
            v->st = CS_CK_UNVERIFIED; /* a quote coverage, and the frame has no quote */
            return;
        }
        v->k = k;
        v->have = true;
        v->computed = crc;
        v->st = crc_value(c, k.enc, &stored) && stored == crc ? CS_CK_GOOD : CS_CK_BAD;
        return;
    }
    bool learned = s && s->crc.var;
    /* the learned combination cannot be applied when it covers from a
     * quote this frame does not have */
    bool applies = learned && combo_crc(f, c, &s->crc, &crc);
    if (applies && crc_value(c, s->crc.enc, &stored) && stored == crc) {
        v->k = s->crc;
        v->have = true;
        v->learned_in = s->crc_frame;
        v->computed = crc;
        v->st = CS_CK_GOOD;
        return;
    }
    /* a conversation in which nothing has matched for a long time is not
     * searched any more: each search tries up to 84 combinations */
    bool search = learned || !s || s->crc_misses < R_DISCOVERY;
    if (search && crc_search(f, c, opts, learned ? &s->crc : NULL, &v->k, &v->computed)) {
        v->have = true;
        v->st = CS_CK_GOOD;
        if (learned) {
            v->changed = true;
            v->was = s->crc;
        }
        return;
    }
    if (applies) { /* shown with what the learned combination computes */
        v->k = s->crc;
        v->have = true;
        v->learned_in = s->crc_frame;
        v->computed = crc;
        v->st = CS_CK_BAD;
        return;
    }
    v->st = CS_CK_UNVERIFIED;
}

static const char *variant_name(uint8_t var)
{
    return cs_vs_name(cs_crc16_variant_vals, var, "?");
}

/* The verdict as items and violations. */
static void crc_emit(rdec *d, const rcrc *c, const rverdict *v, uint32_t frame)
{
    cs_out *o = d->o;
    uint16_t stored = 0;
    if (!(v->have && crc_value(c, v->k.enc, &stored)))
        stored = c->hex_ok ? c->hexv : c->dec_ok ? c->decv : 0;
    /* A text checksum as long as the field's width would be read as
     * binary by the plugin: show it with the separator before it. */
    uint32_t off = c->off, len = c->len;
    if (len == 2) {
        off--;
        len++;
    }
    int it = cs_item_cksum(o, RF_CRC, off, len, stored, v->computed, v->st, false);
    char w[48];
    if (it >= 0)
        cs_item_text(o, it, "\"%s\"", show(w, sizeof w, d->b + c->off, c->len));
    if (v->have && want_items(o)) {
        cs_push(o);
        int k = cs_item_add(o, RF_CRC_VARIANT, c->off, 0, v->k.var);
        cs_item_flag(o, k, CS_IF_GENERATED);
        k = cs_item_add(o, RF_CRC_COVERAGE, c->off, 0, v->k.cov);
        cs_item_flag(o, k, CS_IF_GENERATED);
        if (k >= 0) {
            uint32_t a, z;
            if (cov_range(d->f, c->sep, v->k.cov, &a, &z))
                cs_item_text(o, k, "%s: %s (bytes %u-%u)", cs_vs_name(ruioo_coverage_vals, v->k.cov, "?"),
                             coverage_text[v->k.cov], a, z - 1);
        }
        k = cs_item_add(o, RF_CRC_ENCODING, c->off, 0, v->k.enc);
        cs_item_flag(o, k, CS_IF_GENERATED);
        if (v->learned_in && v->learned_in != frame) {
            k = cs_item_add(o, RF_CRC_LEARNED_IN, 0, 0, v->learned_in);
            cs_item_flag(o, k, CS_IF_GENERATED);
        }
        cs_pop(o);
    }
    if (v->st == CS_CK_BAD && (c->hex_ok || c->dec_ok)) { /* else crc.malformed says it */
        if (v->learned_in)
            cs_viol_add(o, RV_CRC_BAD, it, c->off, c->len,
                        "CRC \"%.*s\", but CRC-16/%s %s gives %04X (%s); this conversation's "
                        "frames have matched that since frame %u",
                        (int)c->len, (const char *)d->b + c->off, variant_name(v->k.var),
                        cs_vs_name(ruioo_coverage_vals, v->k.cov, "?"), v->computed,
                        cs_vs_name(ruioo_encoding_vals, v->k.enc, "?"), v->learned_in);
        else
            cs_viol_add(o, RV_CRC_BAD, it, c->off, c->len,
                        "CRC \"%.*s\", but the pinned CRC-16/%s %s gives %04X (%s)", (int)c->len,
                        (const char *)d->b + c->off, variant_name(v->k.var),
                        cs_vs_name(ruioo_coverage_vals, v->k.cov, "?"), v->computed,
                        cs_vs_name(ruioo_encoding_vals, v->k.enc, "?"));
    }
    if (v->changed)
        cs_viol_add(o, RV_CRC_CHANGED, it, c->off, c->len,
                    "CRC matches CRC-16/%s %s %s, not CRC-16/%s %s %s used so far",
                    variant_name(v->k.var), cs_vs_name(ruioo_coverage_vals, v->k.cov, "?"),
                    cs_vs_name(ruioo_encoding_vals, v->k.enc, "?"), variant_name(v->was.var),
                    cs_vs_name(ruioo_coverage_vals, v->was.cov, "?"),
                    cs_vs_name(ruioo_encoding_vals, v->was.enc, "?"));
    if (v->st == CS_CK_GOOD && v->k.enc == RUIOO_ENC_HEX && c->len < 4)
        cs_viol_add(o, RV_CRC_UNPADDED, it, c->off, c->len,
                    "CRC \"%.*s\": %u hex digit%s, the leading zeros left out", (int)c->len,
                    (const char *)d->b + c->off, c->len, c->len == 1 ? "" : "s");
}

/* ---- flows ------------------------------------------------------------------------ */

/* The flow event a message is: its command word and sub-command. */
typedef struct rstep {
    uint8_t flow, step;
    bool opens;       /* starts a new flow */
    uint8_t from[2];  /* the states it continues (R_DONE = none) */
    uint8_t to[2];    /* the state after it, per `from`; to[0] also when out of flow */
} rstep;

static bool step_of(int cmd, int sub, rstep *st)
{
    /* by command word and sub-command; flow 0: not a flow step */
    static const rstep steps[N_CMDS][N_SUBS] = {
        [C_CC][SC_BW] = {FL_BORROW, 1, true, {0, 0}, {R_B_REPORT, 0}},
        [C_MC][SC_BO] = {FL_BORROW, 2, false, {R_B_REPORT, 0}, {R_B_ACK_OK, 0}},
        [C_MR][SC_BF] = {FL_BORROW, 2, false, {R_B_REPORT, R_R_LATCH}, {R_B_ACK_FAIL, R_R_ACK_FAIL}},
        [C_AM][SC_BO] = {FL_BORROW, 3, false, {R_B_ACK_OK, 0}, {R_DONE, 0}},
        [C_AR][SC_BF] = {FL_BORROW, 3, false, {R_B_ACK_FAIL, R_R_ACK_FAIL}, {R_DONE, R_DONE}},
        [C_MQ][0] = {FL_RETURN, 1, true, {0, 0}, {R_R_OWN, 0}},
        [C_RQ][SC_T] = {FL_RETURN, 2, false, {R_R_OWN, 0}, {R_R_LATCH, 0}},
        [C_RQ][SC_F] = {FL_RETURN, 2, false, {R_R_OWN, 0}, {R_DONE, 0}},
        [C_MC][SC_RO] = {FL_RETURN, 3, false, {R_R_LATCH, 0}, {R_R_ACK_OK, 0}},
        [C_AM][SC_RO] = {FL_RETURN, 4, false, {R_R_ACK_OK, 0}, {R_DONE, 0}},
        [C_MR][SC_RF] = {FL_RETURN, 3, false, {R_R_LATCH, 0}, {R_R_ACK_FAIL, 0}},
        [C_AR][SC_RF] = {FL_RETURN, 4, false, {R_R_ACK_FAIL, 0}, {R_DONE, 0}},
        [C_CQ][0] = {FL_STATUS, 1, true, {0, 0}, {R_Q_STATUS, 0}},
        [C_AQ][0] = {FL_STATUS, 2, false, {R_Q_STATUS, 0}, {R_DONE, 0}},
    };
    if (cmd < 0 || cmd >= N_CMDS || sub < 0 || sub >= N_SUBS || !steps[cmd][sub].flow)
        return false;
    *st = steps[cmd][sub];
    return true;
}

/* imei and devid are NUL-terminated; n counts their NULs (the keys are
 * compared as strings, with the lengths already known). */
static rflow *flow_find(ruioo_sess *s, const char *imei, size_t imei_n, int slot,
                        const char *devid, size_t devid_n)
{
    for (uint32_t i = 0; i < s->n_flows; i++) {
        rflow *e = &s->flows[i];
        if (e->slot == slot && !memcmp(e->devid, devid, devid_n) && !memcmp(e->imei, imei, imei_n))
            return e;
    }
    return NULL;
}

/* A new entry: a free one, else the least recently used finished one,
 * else the least recently used waiting one, reported unfinished. */
static rflow *flow_new(ruioo_sess *s, cs_out *o)
{
    if (s->n_flows < R_FLOWS)
        return &s->flows[s->n_flows++];
    rflow *done = NULL, *any = NULL;
    for (uint32_t i = 0; i < R_FLOWS; i++) {
        rflow *e = &s->flows[i];
        if (e->state == R_DONE && (!done || e->used < done->used))
            done = e;
        if (!any || e->used < any->used)
            any = e;
    }
    if (done)
        return done;
    flow_unfinished(o, any, " (given up: more than 32 flows open at once)", 0);
    return any;
}

/* imei: NUL-terminated, imei_n digits. */
static void flows(rdec *d, ruioo_sess *s, const cs_ctx *ctx, const char *imei, uint32_t imei_n)
{
    cs_out *o = d->o;
    rstep st;
    if (d->cmd < 0 || !step_of(d->cmd, d->sub, &st))
        return;
    char devid[R_DEVID_MAX + 1];
    uint32_t devid_n = 0;
    int slot = 0;
    if (st.flow != FL_STATUS) {
        if (!d->keyed)
            return; /* no slot or DEVID to key the flow on */
        devid_n = d->devid_len > R_DEVID_MAX ? R_DEVID_MAX : d->devid_len;
        memcpy(devid, d->devid_key, devid_n);
        slot = d->slot;
    }
    devid[devid_n] = '\0';
    rflow *e = flow_find(s, imei, imei_n + 1, slot, devid, devid_n + 1);
    int cont = -1; /* which `from` state the message continues */
    if (e && !st.opens)
        for (int k = 0; k < 2; k++)
            if (st.from[k] && e->state == st.from[k])
                cont = k;
    uint8_t flow = st.flow, step = st.step;
    if (cont == 1 && st.from[1] == R_R_LATCH) { /* MR.BF after RQ.T: a return failure */
        flow = FL_RETURN;
        step = 3;
    }
    if (cont == 1 && st.from[1] == R_R_ACK_FAIL) { /* AR.BF after MR.BF */
        flow = FL_RETURN;
        step = 4;
    }
    if (cont == 1)
        cs_viol_add(o, RV_RETURN_BF, -1, 0, 0,
                    "%s.BF in a return flow: read as %s.RF (template 14 prints the return "
                    "failure with BF)",
                    cmds[d->cmd].w, cmds[d->cmd].w);

    bool items = want_items(o);
    if (items) {
        int it = cs_item_strf(o, RF_FLOW, 0, 0, "%s", flow_names[flow]);
        cs_item_flag(o, it, CS_IF_GENERATED);
        it = cs_item_add(o, RF_FLOW_STEP, 0, 0, step);
        cs_item_flag(o, it, CS_IF_GENERATED);
    }

    if (cont >= 0) {
        o->req_frame = e->frame;
        o->req_ts_ns = e->ts_ns;
        o->req_tag = e->tag;
        if (items) {
            int it = cs_item_add(o, RF_REQUEST_IN, 0, 0, e->frame);
            cs_item_flag(o, it, CS_IF_GENERATED);
            it = cs_item_add(o, RF_RESPONSE_TIME, 0, 0, 0);
            if (it >= 0) {
                o->items[it].v.i = ctx->ts_ns - e->ts_ns;
                o->items[it].flags |= CS_IF_GENERATED;
            }
        }
    } else {
        bool waiting = e && e->state != R_DONE;
        if (!st.opens && (e || s->start_seen)) {
            const char *cw = cmds[d->cmd].w, *dot = d->sub ? "." : "";
            const char *sw = d->sub ? subs[d->sub].w : "";
            if (!e)
                cs_viol_add(o, RV_FLOW_UNEXPECTED, -1, 0, 0,
                            "%s%s%s out of its flow: no %s flow is open for it", cw, dot, sw,
                            flow_names[flow]);
            else if (waiting)
                cs_viol_add(o, RV_FLOW_UNEXPECTED, -1, 0, 0,
                            "%s%s%s out of its flow: the %s flow of frame %u waits for %s", cw,
                            dot, sw, flow_names[e->flow], e->frame, waiting_for[e->state]);
            else
                cs_viol_add(o, RV_FLOW_UNEXPECTED, -1, 0, 0,
                            "%s%s%s out of its flow: the %s flow ended in frame %u", cw, dot, sw,
                            flow_names[e->flow], e->frame);
        }
        if (waiting)
            flow_unfinished(o, e, NULL, ctx->frame);
    }
    if (!e) {
        e = flow_new(s, o);
        memset(e, 0, sizeof *e);
        memcpy(e->imei, imei, imei_n + 1); /* both fit: the same sizes */
        memcpy(e->devid, devid, devid_n + 1);
        e->slot = (uint8_t)slot;
    }
    e->state = cont >= 0 ? st.to[cont] : st.to[0];
    e->flow = flow;
    e->frame = ctx->frame;
    e->ts_ns = ctx->ts_ns;
    e->tag = ctx->tag;
    e->used = ++s->clock;
    if (e->state != R_DONE)
        o->pending = true;
}

/* ---- decode ------------------------------------------------------------------------ */

static cs_dir opposite(cs_dir d)
{
    return d == CS_DIR_TO_SERVER ? CS_DIR_TO_DEVICE
           : d == CS_DIR_TO_DEVICE ? CS_DIR_TO_SERVER
                                   : CS_DIR_UNKNOWN;
}

/* The device fact "IMEI <digits>": `text` is already that string (the
 * IMEI is digits only, nothing to escape): a copy, without formatting or
 * a per-byte scan. */
static void device_fact(cs_out *o, const char *text)
{
    cs_fact_text(o, CS_FACT_DEVICE_ID, text, strlen(text));
}

/* The Luhn check digit of a 15-digit IMEI: from the right, skipping the
 * check digit, every other digit doubled (digits of the product summed). */
static bool luhn_ok15(const uint8_t *p, char *expect)
{
    /* indexed by the digit character; the plain digits are summed as
     * characters and their '0's taken off once */
    static const uint8_t twice[256] = {['0'] = 0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
    uint32_t sum = 0;
    for (int i = 0; i < 14; i += 2) /* p[13], p[11], ... p[1] doubled */
        sum += (uint32_t)p[i] + twice[p[i + 1]];
    sum -= 7u * '0';
    *expect = (char)('0' + (10 - sum % 10) % 10);
    return p[14] == (uint8_t)*expect;
}

/* Bytes that arrived apart from their frame: CR/LF or whitespace. */
static void decode_gap(const uint8_t *b, size_t n, cs_out *o)
{
    o->garbage = true;
    int it = cs_item_add(o, RF_EOL, 0, (uint32_t)n, 0);
    cs_viol_add(o, RV_EOL_DETACHED, it, 0, (uint32_t)n,
                "%zu line-end or whitespace byte%s after the frame's closing brace, in a "
                "segment of their own",
                n, n == 1 ? "" : "s");
    cs_info(o, "[line end]");
    (void)b;
}

static void ruioo_decode(void *sv, const uint32_t *opts, const uint8_t *b, size_t n_,
                         const cs_ctx *ctx, cs_out *o)
{
    ruioo_sess *s = sv;
    cs_out_reset(o);
    uint32_t n = n_ > R_MAX_FRAME * 4u ? R_MAX_FRAME * 4u : (uint32_t)n_;
    if (!n || is_gap(b[0])) {
        decode_gap(b, n, o);
        cs_mark_stateless(o);
        return;
    }
    if (b[0] != '{') {
        cs_viol_add(o, RV_MALFORMED, -1, 0, n, "The frame does not begin with {");
        cs_info(o, "[malformed frame]");
        cs_mark_stateless(o);
        return;
    }
    rframe f;
    parse_frame(b, n, &f);
    rdec d;
    memset(&d, 0, offsetof(rdec, canon));
    d.o = o;
    d.b = b;
    d.f = &f;
    d.cmd = -1;
    d.slot = -1;

    /* IMEI */
    /* the IMEI (cut at R_IMEI_MAX digits) inside the text of its device fact */
    char fact[5 + R_IMEI_MAX + 1] = "IMEI ";
    char *imei = fact + 5;
    uint32_t imei_n = f.imei_len > R_IMEI_MAX ? R_IMEI_MAX : f.imei_len;
    if (f.imei_len) {
        int it = want_items(o) ? cs_item_str(o, RF_IMEI, f.imei_off, f.imei_len,
                                             (const char *)b + f.imei_off, f.imei_len)
                               : -1;
        memcpy(imei, b + f.imei_off, imei_n);
        char expect;
        if (f.imei_len != 15)
            cs_viol_add(o, RV_IMEI_LENGTH, it, f.imei_off, f.imei_len,
                        "IMEI of %u digits; the document says 15", f.imei_len);
        else if (!luhn_ok15(b + f.imei_off, &expect))
            cs_viol_add(o, RV_IMEI_LUHN, it, f.imei_off + 14, 1,
                        "IMEI check digit %c; the Luhn digit of the first 14 is %c",
                        b[f.imei_off + 14], expect);
        device_fact(o, fact);
    }

    /* Command word */
    const rcmd *c = NULL;
    int cmd_it = -1;
    if (!f.error && f.ntok) {
        const rtok *t = &f.tok[0];
        char w[4];
        if (t->len == 2 && all_of(b + t->off, 2, is_alpha)) {
            bool lower;
            word(&d, t, w, sizeof w, &lower);
            for (int i = 0; i < N_CMDS && d.cmd < 0; i++)
                if (word_eq(cmds[i].w, w))
                    d.cmd = i;
            if (lower)
                note_lower(&d, t);
            if (want_items(o))
                cmd_it = cs_item_strf(o, RF_CMD, t->off, t->len, "%s", w);
        } else if (want_items(o)) {
            cmd_it = cs_item_str(o, RF_CMD, t->off, t->len, (const char *)b + t->off, t->len);
        }
        if (d.cmd >= 0) {
            c = &cmds[d.cmd];
            o->cmd = d.cmd + 1;
            o->cmd_name = c->name;
            if (want_items(o))
                cs_item_flag(o, cs_item_strf(o, RF_CMD_NAME, t->off, t->len, "%s", c->name + 4),
                             CS_IF_GENERATED);
        } else {
            cs_viol_add(o, RV_CMD_UNKNOWN, cmd_it, t->off, t->len, "Unknown command word \"%s\"",
                        show(w, sizeof w, b + t->off, t->len));
        }
    }

    /* Direction: the command word says who sends it; the TCP handshake
     * says who did. */
    cs_dir declared = c ? (cs_dir)c->dir : CS_DIR_UNKNOWN;
    cs_dir tdir = (cs_dir)ctx->transport_dir;
    if (tdir != CS_DIR_TO_SERVER && tdir != CS_DIR_TO_DEVICE)
        tdir = CS_DIR_UNKNOWN;
    cs_dir dir = CS_DIR_UNKNOWN;
    cs_dir_source src = CS_DS_NONE;
    if (ctx->dir_override) {
        dir = (cs_dir)ctx->dir_override;
        src = ctx->dir_override_source ? (cs_dir_source)ctx->dir_override_source : CS_DS_OVERRIDE;
    } else if (declared && tdir && tdir != declared) {
        dir = tdir;
        src = CS_DS_TRANSPORT;
    } else if (declared) {
        dir = declared;
        src = CS_DS_DECLARED;
    } else if (tdir) {
        dir = tdir;
        src = CS_DS_TRANSPORT;
    } else if (s && s->role[ctx->side & 1]) {
        dir = (cs_dir)s->role[ctx->side & 1];
        src = CS_DS_LEARNED;
    } else if ((dir = cs_dir_by_ports(ctx)) != CS_DIR_UNKNOWN) {
        src = CS_DS_PORTS;
    }
    cs_item_direction(o, RF_DIRECTION, dir, src, "Cabinet to server", "Server to cabinet");
    if (declared && tdir && tdir != declared) {
        if (d.cmd == C_CH)
            cs_viol_add(o, RV_HB_ANSWERED, cmd_it, f.tok[0].off, f.tok[0].len,
                        "CH from the server: heartbeats are never answered");
        else
            cs_viol_add(o, RV_DIR_MISMATCH, cmd_it, f.tok[0].off, f.tok[0].len,
                        "%s is sent by the %s, but this one comes from the %s", c->w,
                        declared == CS_DIR_TO_SERVER ? "cabinet" : "server",
                        tdir == CS_DIR_TO_SERVER ? "cabinet" : "server");
    }

    /* Body */
    uint32_t last = f.ntok >= 2 ? f.ntok - 1 : f.ntok; /* the CRC token's index */
    if (f.error) {
        cs_viol_add(o, RV_MALFORMED, -1, f.err_off, n - f.err_off, "Malformed frame: %s",
                    f.error);
        cs_info(o, "[malformed frame]");
    } else if (d.cmd == C_AQ) {
        decode_aq(&d, 1, last);
    } else if (c) {
        decode_simple(&d, 1, last);
    } else {
        for (uint32_t i = 1; i < last; i++)
            if (f.tok[i].len)
                data_item(&d, &f.tok[i]);
        char w[24];
        if (want_info(o))
            cs_info(o, "Unknown command %s", show(w, sizeof w, b + f.tok[0].off, f.tok[0].len));
    }

    /* The form: quotes, whitespace, separators, line end. */
    if (f.imei_len) {
        if (f.qopen < 0 || (f.qclose < 0 && f.terminated))
            cs_viol_add(o, RV_QUOTE_MISSING, -1, f.qopen < 0 ? 1 : f.close, 0,
                        "No quote %s", f.qopen < 0 && f.qclose < 0 ? "after { or before }"
                                       : f.qopen < 0              ? "after {"
                                                                  : "before }");
        if (f.typographic)
            cs_viol_add(o, RV_QUOTE_TYPOGRAPHIC, -1, f.qopen >= 0 ? (uint32_t)f.qopen : 1, 3,
                        "Typographic quotes (U+201C/U+201D, as the document's first line "
                        "prints them) instead of \"");
        if (f.ws)
            cs_viol_add(o, RV_WHITESPACE, -1, f.ws_off, 1,
                        "Whitespace around tokens (as the document's templates are typeset)");
    }
    bool crc_written = f.ntok >= 2 && f.tok[f.ntok - 1].len;
    if (d.canon_valid && !f.too_many && crc_written && f.terminated) {
        /* separators are never NUL: the strings are equal when the
         * lengths and every separator are */
        bool same = f.ntok == d.ncanon;
        for (uint32_t i = 0; i < f.ntok && same; i++)
            same = b[f.tok[i].sep] == (uint8_t)d.canon[i];
        if (!same) {
            char actual[R_MAX_TOK + 1];
            for (uint32_t i = 0; i < f.ntok; i++)
                actual[i] = (char)b[f.tok[i].sep];
            actual[f.ntok] = '\0';
            d.canon[d.ncanon] = '\0';
            cs_viol_add(o, RV_SEPARATOR, -1, f.tok[0].sep, f.close - f.tok[0].sep,
                        "Separators \"%s\" where the canonical form has \"%s\"", actual, d.canon);
        }
    }
    if (!f.terminated) {
        cs_viol_add(o, RV_UNTERMINATED, -1, 0, n,
                    "Frame of %u bytes without its closing brace (cut by a {, a line end or the "
                    "end of the data)",
                    n);
        if (f.ntok >= 2 && f.tok[f.ntok - 1].len)
            data_item(&d, &f.tok[f.ntok - 1]);
        cs_info(o, " [unterminated]");
    } else {
        uint32_t el = n - (f.close + 1);
        const uint8_t *e = b + f.close + 1;
        if (!(el == 2 && e[0] == '\r' && e[1] == '\n'))
            cs_viol_add(o, RV_EOL, -1, f.close + 1, el, "%s after the closing brace",
                        el == 0                      ? "No line end"
                        : el == 1 && e[0] == '\n'   ? "LF without CR"
                        : el == 1 && e[0] == '\r'   ? "CR without LF"
                                                     : "Bytes other than CR LF");
    }

    /* CRC: what the token is, then the verdict.  A pinned combination
     * decides alone; otherwise the verdict depends on what this
     * conversation learned, and comes after the stateless part. */
    rcrc crc;
    bool have_crc = !f.error && f.terminated && crc_read(&d, &crc);
    bool pinned = combo_pinned(opts);
    rverdict v;
    if (have_crc && pinned) {
        verdict(&f, &crc, opts, NULL, &v);
        crc_emit(&d, &crc, &v, ctx->frame);
    }
    if (want_info(o) && !o->info_len)
        cs_info(o, "%s", c ? c->name + 4 : "Ruioo frame");
    cs_mark_stateless(o);

    if (have_crc && !pinned) {
        /* without a session: the first combination that matches, else
         * unverified (the plugin replaces this with the first pass's) */
        verdict(&f, &crc, opts, s, &v);
        crc_emit(&d, &crc, &v, ctx->frame);
        if (s && v.st == CS_CK_GOOD && (!s->crc.var || v.changed)) {
            s->crc = v.k;
            s->crc_frame = ctx->frame;
        } else if (s && v.st == CS_CK_UNVERIFIED && !s->crc.var && s->crc_misses < R_DISCOVERY) {
            s->crc_misses++;
        }
    }
    if (!s)
        return;

    /* ---- session rules ---- */
    unsigned side = ctx->side & 1;
    if (declared && !tdir && s->role[side] && s->role[side] != declared) {
        if (d.cmd == C_CH)
            cs_viol_add(o, RV_HB_ANSWERED, cmd_it, f.tok[0].off, f.tok[0].len,
                        "CH from the side that sends the server's messages: heartbeats are "
                        "never answered");
        else
            cs_viol_add(o, RV_DIR_MISMATCH, cmd_it, f.tok[0].off, f.tok[0].len,
                        "%s is sent by the %s, but this side sent the %s's messages so far", c->w,
                        declared == CS_DIR_TO_SERVER ? "cabinet" : "server",
                        s->role[side] == CS_DIR_TO_SERVER ? "cabinet" : "server");
    }
    if (!s->role[side]) {
        cs_dir r = tdir ? tdir : declared;
        if (r) {
            s->role[side] = (uint8_t)r;
            s->role[side ^ 1] = (uint8_t)opposite(r);
        }
    }
    if (f.error || !f.terminated)
        return;
    if (!s->imei[0]) {
        memcpy(s->imei, imei, sizeof s->imei);
        s->imei_frame = ctx->frame;
    } else if (memcmp(s->imei, imei, imei_n + 1)) { /* both NUL-terminated */
        cs_viol_add(o, RV_IMEI_CHANGED, -1, f.imei_off, f.imei_len,
                    "IMEI %s, but this conversation began with %s (frame %u)", imei, s->imei,
                    s->imei_frame);
    }
    flows(&d, s, ctx, imei, imei_n);
}

const cs_proto ruioo_proto = {
    .name = "ruioo",
    .short_name = "Ruioo",
    .long_name = "Ruioo power-bank cabinet text protocol",
    .fields = fields,
    .n_fields = RF__COUNT,
    .violations = violations,
    .n_violations = RV__COUNT,
    .options = options,
    .n_options = RO__COUNT,
    .transports = CS_TR_TCP,
    .tcp_ports = "",
    .udp_ports = "",
    .f_garbage = RF_GARBAGE,
    .f_request_in = RF_REQUEST_IN,
    .f_response_in = RF_RESPONSE_IN,
    .f_response_time = RF_RESPONSE_TIME,
    .v_garbage = RV_GARBAGE,
    .v_unanswered = RV_FLOW_UNFINISHED,
    .v_truncated = RV_UNTERMINATED,
    .frame_min = 1,
    .frame = ruioo_frame,
    .probe = ruioo_probe,
    .sess_size = sizeof(ruioo_sess),
    .sess_init = ruioo_sess_init,
    .sess_fini = ruioo_sess_fini,
    .decode = ruioo_decode,
    .sess_end = ruioo_sess_end,
};

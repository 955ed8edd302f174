/*
 * ruioo.h - indices into the Ruioo tables (protocols/ruioo.c), for code
 * and tests that name a field, violation or option directly, and the CRC
 * combination a sample generator needs to write frames.
 */
#ifndef CS_RUIOO_H
#define CS_RUIOO_H

#include "chargeproto.h"

extern const cs_proto ruioo_proto;

enum ruioo_field {
    RF_IMEI, RF_CMD, RF_CMD_NAME, RF_SUBCMD, RF_SUBCMD_NAME, RF_SLOT, RF_DEVID,
    RF_RECORD, RF_STATE, RF_STATE_NAME, RF_DATA,
    RF_CRC, RF_CRC_STATUS, RF_CRC_VARIANT, RF_CRC_COVERAGE, RF_CRC_ENCODING, RF_CRC_LEARNED_IN,
    RF_DIRECTION, RF_EOL, RF_GARBAGE,
    RF_FLOW, RF_FLOW_STEP, RF_REQUEST_IN, RF_RESPONSE_IN, RF_RESPONSE_TIME,
    RF__COUNT
};

enum ruioo_violation {
    RV_GARBAGE, RV_UNTERMINATED, RV_MALFORMED,
    RV_QUOTE_MISSING, RV_QUOTE_TYPOGRAPHIC, RV_WHITESPACE, RV_SEPARATOR, RV_EOL, RV_EOL_DETACHED,
    RV_IMEI_LENGTH, RV_IMEI_LUHN, RV_IMEI_CHANGED,
    RV_WORD_LOWERCASE, RV_CMD_UNKNOWN, RV_SUBCMD_INVALID, RV_FIELDS_COUNT, RV_FIELD_INVALID,
    RV_SLOT_RANGE, RV_SLOT_PADDED, RV_STATE_UNKNOWN, RV_AQ_DOTLESS,
    RV_CRC_MISSING, RV_CRC_MALFORMED, RV_CRC_LOWERCASE, RV_CRC_UNPADDED, RV_CRC_BAD,
    RV_CRC_CHANGED,
    RV_DIR_MISMATCH, RV_HB_ANSWERED,
    RV_FLOW_UNEXPECTED, RV_FLOW_UNFINISHED, RV_RETURN_BF,
    RV__COUNT
};

enum ruioo_option {
    RO_CRC_VARIANT, RO_CRC_COVERAGE, RO_CRC_ENCODING,
    RO__COUNT
};

/* What the CRC covers: from the first IMEI digit, the opening quote or
 * the `{`, through the separator before the CRC (_SEP) or up to it.
 * 0 = auto (option value). */
enum ruioo_coverage {
    RUIOO_COV_IMEI_SEP = 1, RUIOO_COV_IMEI, RUIOO_COV_BRACE_SEP, RUIOO_COV_BRACE,
    RUIOO_COV_QUOTE_SEP, RUIOO_COV_QUOTE,
    RUIOO_COV__END
};

/* How the CRC is written: 1-4 hex digits (either case) or 1-5 decimal
 * digits.  0 = auto (option value). */
enum ruioo_encoding {
    RUIOO_ENC_HEX = 1, RUIOO_ENC_DECIMAL,
    RUIOO_ENC__END
};

extern const cs_vs ruioo_coverage_vals[];
extern const cs_vs ruioo_encoding_vals[];

/* The byte range [*start, *end) that coverage `cov` spans in frame
 * b[0..n) whose CRC token begins after the separator at `sep`; false when
 * the frame has no such range (no quote for the quote coverages). */
bool ruioo_coverage_range(const uint8_t *b, size_t n, size_t sep, int cov, size_t *start,
                          size_t *end);

#endif

/*
 * test_core - the protocol-independent library: checksums, options,
 * value names, the output buffer, the registry.
 */
#include "check.h"

#include "chargeproto.h"

#include <string.h>

static void test_crc(void)
{
    const uint8_t *s = (const uint8_t *)"123456789";
    /* catalogue check values (reveng), and the AI-Cloud field variant's
     * value computed by an independent implementation of protocol-facts
     * 6.3 (table for 0x1021 MSB-first, reflected update, init 0) */
    static const struct {
        cs_crc16_variant v;
        uint16_t check;
    } cases[] = {
        {CS_CRC16_AICLOUD, 0xB955}, {CS_CRC16_MODBUS, 0x4B37}, {CS_CRC16_CCITT_FALSE, 0x29B1},
        {CS_CRC16_XMODEM, 0x31C3},  {CS_CRC16_KERMIT, 0x2189}, {CS_CRC16_ARC, 0xBB3D},
        {CS_CRC16_X25, 0x906E},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = cs_crc16(cases[i].v, s, 9);
        CHECK(got == cases[i].check, "%s: %04X, expected %04X",
              cs_vs_name(cs_crc16_variant_vals, cases[i].v, "?"), got, cases[i].check);
    }
    CHECK(cs_xor8((const uint8_t *)"\x01\x02\x04", 3) == 7, "xor");
    CHECK(cs_xor8(NULL, 0) == 0, "xor of nothing");
    CHECK(cs_sum32((const uint8_t *)"\xff\xff\xff", 3) == 765, "sum");
}

static void test_options(void)
{
    const cs_proto *p = cs_proto_by_name("woshi");
    uint32_t o[CS_MAX_OPTS];
    char err[128];
    cs_opts_default(p, o);
    CHECK(o[1] == 30, "heartbeat_interval default");
    CHECK(cs_opts_set(p, o, "heartbeat_interval", "60", err, sizeof err) == 0 && o[1] == 60, "set");
    CHECK(cs_opts_set(p, o, "heartbeat_interval", "-1", err, sizeof err) < 0, "negative");
    CHECK(cs_opts_set(p, o, "heartbeat_interval", "", err, sizeof err) < 0, "empty");
    CHECK(cs_opts_set(p, o, "verify_checksum", "false", err, sizeof err) == 0 && o[0] == 0, "bool");
    CHECK(cs_opts_set(p, o, "verify_checksum", "maybe", err, sizeof err) < 0 && strstr(err, "true"),
          "bool error: %s", err);
    CHECK(cs_opts_set(p, o, "nope", "1", err, sizeof err) < 0 && strstr(err, "no option"),
          "unknown option: %s", err);
}

static void test_out(void)
{
    cs_out o;
    cs_out_init(&o, CS_WANT_INFO);
    CHECK(cs_item_add(&o, 0, 0, 1, 5) == -1 && o.n_items == 0, "items off: not recorded");
    CHECK(cs_viol_add(&o, 0, -1, 0, 0, "v %d", 7) == 0 && !strcmp(cs_str(&o, o.viols[0].msg), "v 7"),
          "violations always recorded");
    cs_out_reset(&o);
    o.want |= CS_WANT_ITEMS;
    int i = cs_item_str(&o, 0, 0, 3, "a\x01\\", 3);
    CHECK(i == 0 && !strcmp(cs_str(&o, o.items[0].str), "a\\x01\\x5c"), "printable: %s",
          cs_str(&o, o.items[0].str));
    /* growth keeps earlier strings addressable by offset */
    uint32_t first = cs_arena_printf(&o, "first");
    for (int k = 0; k < 2000; k++)
        cs_arena_printf(&o, "filler %d", k);
    CHECK(!strcmp(cs_str(&o, first), "first"), "arena offsets survive growth");
    for (int k = 0; k < 100; k++)
        cs_info(&o, "0123456789");
    CHECK(o.info_len == sizeof o.info - 1 && strlen(o.info) == o.info_len, "info is bounded");
    const cs_proto *p = cs_proto_by_name("woshi");
    cs_ctx ctx = {0};
    cs_decode_garbage(p, (const uint8_t *)"xyz", 3, &ctx, &o);
    CHECK(o.garbage && o.n_viols == 1 && o.viols[0].code == p->v_garbage, "garbage");
    CHECK(o.n_items == 1 && o.items[0].field == p->f_garbage && o.items[0].length == 3,
          "garbage item");
    uint8_t *d = cs_derived_alloc(&o, 5000, "Unescaped frame");
    CHECK(d && o.derived_len == 5000 && !strcmp(o.derived_name, "Unescaped frame"), "derived view");
    d[4999] = 1;
    cs_out_reset(&o);
    CHECK(o.derived_len == 0 && o.derived_name == NULL, "reset clears the derived view");
    cs_out_free(&o);
}

static void test_registry(void)
{
    CHECK(cs_protocols[0] != NULL, "at least one protocol");
    for (int i = 0; cs_protocols[i]; i++) {
        const cs_proto *p = cs_protocols[i];
        CHECK(cs_proto_by_name(p->name) == p, "lookup %s", p->name);
        CHECK(p->f_garbage >= 0 && p->fields[p->f_garbage].type == CS_FT_BYTES, "%s garbage", p->name);
        CHECK(p->v_garbage >= 0, "%s generic codes", p->name);
        /* a protocol without requests and responses (dEpGate) has neither the
         * links nor the unanswered code; one that pairs them has all */
        CHECK((p->v_unanswered >= 0) == (p->f_request_in >= 0) &&
                  (p->f_request_in >= 0) == (p->f_response_in >= 0) &&
                  (p->f_request_in >= 0) == (p->f_response_time >= 0),
              "%s request/response fields and code", p->name);
        CHECK(p->n_options <= CS_MAX_OPTS, "%s options", p->name);
        CHECK(p->sess_size <= CS_MAX_SESS_SIZE, "%s state of %zu bytes", p->name, p->sess_size);
        for (int f = 0; f < p->n_fields; f++) {
            const cs_field_def *d = &p->fields[f];
            CHECK(d->abbrev && d->name, "%s field %d named", p->name, f);
            if (d->flags & CS_FF_CHECKSUM)
                CHECK(d->link > 0 && d->link < p->n_fields, "%s checksum status link", p->name);
            for (int g = f + 1; g < p->n_fields; g++)
                CHECK(strcmp(d->abbrev, p->fields[g].abbrev), "%s: %s twice", p->name, d->abbrev);
        }
        for (int v = 0; v < p->n_violations; v++) {
            CHECK(p->violations[v].code && p->violations[v].summary, "%s violation %d", p->name, v);
            CHECK(cs_field_index(p, p->violations[v].code) < 0, "%s: %s is both field and code",
                  p->name, p->violations[v].code);
        }
    }
    CHECK(cs_proto_by_name("nope") == NULL, "unknown protocol");
    CHECK(strlen(cs_version()) > 0, "version");
}

int main(void)
{
    test_crc();
    test_options();
    test_out();
    test_registry();
    return CHECK_DONE();
}

/*
 * test_seed_verdicts - every example frame printed in a vendor document
 * decodes through the library with exactly its listed verdict.
 *
 *   test_seed_verdicts SEED-FRAMES.json SEED PROTO VERDICTS.txt
 *
 * The verdict file format is described at the top of each verdict file
 * (tests/data/<proto>-seed-verdicts.txt).
 */
#include "check.h"
#include "minijson.h"

#include "chargeproto.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 64
#define MAX_LINES 256

typedef struct vline {
    int frame;
    char code[80];   /* "-" for none, "checksum:unverified" */
    char covers[32]; /* "p2", "note", "p2@pair", "" */
} vline;

typedef struct frame {
    uint8_t b[2048];
    size_t n;
    cs_dir dir;
    bool consistent;
    int n_problems;
    const char *section;
} frame;

static void decode(const cs_proto *p, void *sess, const frame *f, int idx, cs_out *o)
{
    uint32_t opts[CS_MAX_OPTS];
    cs_opts_default(p, opts);
    cs_ctx ctx = {0};
    ctx.frame = (uint32_t)idx;
    ctx.ts_ns = (int64_t)idx * 1000000000;
    ctx.transport_dir = (uint8_t)f->dir;
    ctx.side = f->dir == CS_DIR_TO_SERVER ? 0 : 1;
    ctx.whole = 1;
    ctx.tag = (uintptr_t)idx;
    p->decode(sess, opts, f->b, f->n, &ctx, o);
}

static bool has_code(const cs_proto *p, const cs_out *o, const char *code)
{
    for (uint32_t i = 0; i < o->n_viols; i++)
        if (!strcmp(p->violations[o->viols[i].code].code, code))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s SEED-FRAMES.json SEED PROTO VERDICTS.txt\n", argv[0]);
        return 2;
    }
    const char *err = NULL;
    mj *root = mj_parse_file(argv[1], &err);
    const cs_proto *p = cs_proto_by_name(argv[3]);
    if (!root || !p) {
        fprintf(stderr, "cannot read %s (%s) or no protocol %s\n", argv[1], err ? err : "?", argv[3]);
        return 2;
    }

    static frame frames[MAX_FRAMES + 1];
    int nf = 0;
    for (mj *f = root->child; f; f = f->next) {
        const char *seed = mj_str(f, "seed");
        if (!seed || strcmp(seed, argv[2]))
            continue;
        if (++nf > MAX_FRAMES)
            return 2;
        frame *fr = &frames[nf];
        fr->n = cs_unhex(mj_str(f, "hex"), fr->b, sizeof fr->b);
        fr->dir = !strcmp(mj_str(f, "direction"), "to_server") ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
        fr->consistent = mj_get(f, "consistent")->b;
        fr->n_problems = (int)mj_len(mj_get(f, "problems"));
        fr->section = mj_str(f, "section");
    }
    CHECK(nf > 0, "no frames of seed %s", argv[2]);

    static vline lines[MAX_LINES];
    int nl = 0;
    struct {
        int a, b;
        char code[80];
    } pairs[16];
    int np = 0;
    FILE *vf = fopen(argv[4], "r");
    if (!vf) {
        perror(argv[4]);
        return 2;
    }
    char buf[512];
    while (fgets(buf, sizeof buf, vf)) {
        if (buf[0] == '#' || buf[0] == '\n')
            continue;
        if (!strncmp(buf, "pair ", 5)) {
            if (np < 16 && sscanf(buf + 5, "%d>%d %79s", &pairs[np].a, &pairs[np].b, pairs[np].code) == 3)
                np++;
            else
                CHECK(0, "bad pair line: %s", buf);
            continue;
        }
        vline *l = &lines[nl];
        int k = sscanf(buf, "%d %79s %31s", &l->frame, l->code, l->covers);
        CHECK(k >= 2 && l->frame >= 1 && l->frame <= nf, "bad verdict line: %s", buf);
        if (k < 3)
            l->covers[0] = '\0';
        if (k >= 2 && nl < MAX_LINES - 1)
            nl++;
    }
    fclose(vf);

    cs_out o;
    cs_out_init(&o, CS_WANT_ITEMS | CS_WANT_INFO);
    int verdicts_ok = 0;
    for (int i = 1; i <= nf; i++) {
        const frame *fr = &frames[i];
        decode(p, NULL, fr, i, &o);
        bool covered[32] = {false};
        bool want_unverified = false, want_bad_ck = false, any = false;
        int before = check_fails;
        for (int k = 0; k < nl; k++) {
            const vline *l = &lines[k];
            if (l->frame != i)
                continue;
            any = true;
            int pn = 0;
            if (l->covers[0] == 'p' && sscanf(l->covers + 1, "%d", &pn) == 1 && pn > 0 && pn < 32)
                covered[pn] = true;
            if (!strcmp(l->code, "-"))
                continue;
            if (!strcmp(l->code, "checksum:unverified")) {
                want_unverified = true;
                continue;
            }
            int code = cs_violation_index(p, l->code);
            CHECK(code >= 0, "frame %d (%s): %s is not a %s violation code", i, fr->section, l->code,
                  p->name);
            if (code < 0)
                continue;
            if (p->violations[code].group == CS_GRP_CHECKSUM)
                want_bad_ck = true;
            CHECK(has_code(p, &o, l->code), "frame %d (%s): expected %s, not raised", i,
                  fr->section, l->code);
            if (!strcmp(l->covers, "note"))
                CHECK(p->violations[code].severity == CS_SEV_NOTE,
                      "frame %d: %s is listed as a note but has a higher severity", i, l->code);
            else
                CHECK(!fr->consistent, "frame %d (%s) is consistent in the JSON, but %s is listed "
                      "as a problem", i, fr->section, l->code);
        }
        CHECK(any, "frame %d (%s) has no verdict line", i, fr->section);
        /* nothing raised beyond the listed codes */
        for (uint32_t v = 0; v < o.n_viols; v++) {
            const char *code = p->violations[o.viols[v].code].code;
            bool listed = false;
            for (int k = 0; k < nl; k++)
                if (lines[k].frame == i && !strcmp(lines[k].code, code))
                    listed = true;
            CHECK(listed, "frame %d (%s): %s raised but not listed (%s)", i, fr->section, code,
                  o.viols[v].msg ? cs_str(&o, o.viols[v].msg) : "");
        }
        for (int pn = 1; pn <= fr->n_problems; pn++)
            CHECK(covered[pn], "frame %d (%s): problem p%d of the JSON is not covered", i,
                  fr->section, pn);
        cs_cksum want = want_bad_ck ? CS_CK_BAD : want_unverified ? CS_CK_UNVERIFIED : CS_CK_GOOD;
        CHECK(o.cksum == want, "frame %d (%s): checksum verdict %s, expected %s", i, fr->section,
              cs_cksum_key((cs_cksum)o.cksum), cs_cksum_key(want));
        CHECK(o.info_len > 0, "frame %d (%s): empty Info summary", i, fr->section);
        if (check_fails == before)
            verdicts_ok++;
    }

    for (int k = 0; k < np; k++) {
        void *sess = calloc(1, p->sess_size ? p->sess_size : 1);
        uint32_t opts[CS_MAX_OPTS];
        cs_opts_default(p, opts);
        p->sess_init(sess, opts, false);
        decode(p, sess, &frames[pairs[k].a], pairs[k].a, &o);
        decode(p, sess, &frames[pairs[k].b], pairs[k].b, &o);
        CHECK(has_code(p, &o, pairs[k].code), "pair %d>%d: expected %s on frame %d", pairs[k].a,
              pairs[k].b, pairs[k].code, pairs[k].b);
        if (p->sess_fini)
            p->sess_fini(sess);
        free(sess);
    }

    printf("%s seed %s: %d of %d frames have their listed verdict\n", p->name, argv[2],
           verdicts_ok, nf);
    cs_out_free(&o);
    mj_free(root);
    return CHECK_DONE();
}

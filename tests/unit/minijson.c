/* minijson.c - see minijson.h. */
#include "minijson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p; const char *err; } mjp;

static void ws(mjp *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
        s->p++;
}

static mj *val(mjp *s, int depth);

static void put_utf8(char **o, unsigned cp)
{
    if (cp < 0x80) *(*o)++ = (char)cp;
    else if (cp < 0x800) { *(*o)++ = (char)(0xC0 | cp >> 6); *(*o)++ = (char)(0x80 | (cp & 63)); }
    else { *(*o)++ = (char)(0xE0 | cp >> 12); *(*o)++ = (char)(0x80 | ((cp >> 6) & 63)); *(*o)++ = (char)(0x80 | (cp & 63)); }
}

static char *str(mjp *s)
{
    if (*s->p != '"') { s->err = "expected a string"; return NULL; }
    s->p++;
    size_t cap = strlen(s->p) + 1;
    char *out = malloc(cap), *o = out;
    while (*s->p && *s->p != '"') {
        if (*s->p == '\\') {
            s->p++;
            switch (*s->p) {
            case 'n': *o++ = '\n'; break;
            case 't': *o++ = '\t'; break;
            case 'r': *o++ = '\r'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 1; i <= 4; i++) {
                    char c = s->p[i];
                    cp = cp * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
                }
                s->p += 4;
                put_utf8(&o, cp);
                break;
            }
            default: *o++ = *s->p;
            }
            s->p++;
        } else
            *o++ = *s->p++;
    }
    if (*s->p != '"') { s->err = "unterminated string"; free(out); return NULL; }
    s->p++;
    *o = '\0';
    return out;
}

static mj *val(mjp *s, int depth)
{
    ws(s);
    if (depth > 64) { s->err = "nested too deeply"; return NULL; }
    mj *v = calloc(1, sizeof *v);
    if (*s->p == '{' || *s->p == '[') {
        char close = *s->p == '{' ? '}' : ']';
        v->type = close == '}' ? MJ_OBJ : MJ_ARR;
        s->p++;
        ws(s);
        mj **tail = &v->child;
        if (*s->p == close) { s->p++; return v; }
        for (;;) {
            char *key = NULL;
            if (v->type == MJ_OBJ) {
                ws(s);
                key = str(s);
                if (!key) { mj_free(v); return NULL; }
                ws(s);
                if (*s->p != ':') { s->err = "expected ':'"; free(key); mj_free(v); return NULL; }
                s->p++;
            }
            mj *c = val(s, depth + 1);
            if (!c) { free(key); mj_free(v); return NULL; }
            c->key = key;
            *tail = c;
            tail = &c->next;
            ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == close) { s->p++; return v; }
            s->err = "expected ',' or a closing bracket";
            mj_free(v);
            return NULL;
        }
    }
    if (*s->p == '"') {
        v->type = MJ_STR;
        v->str = str(s);
        if (!v->str) { free(v); return NULL; }
        return v;
    }
    if (!strncmp(s->p, "true", 4)) { v->type = MJ_BOOL; v->b = true; s->p += 4; return v; }
    if (!strncmp(s->p, "false", 5)) { v->type = MJ_BOOL; s->p += 5; return v; }
    if (!strncmp(s->p, "null", 4)) { v->type = MJ_NULL; s->p += 4; return v; }
    char *end;
    v->num = strtod(s->p, &end);
    if (end == s->p) { s->err = "unexpected character"; free(v); return NULL; }
    v->type = MJ_NUM;
    s->p = end;
    return v;
}

mj *mj_parse(const char *text, const char **err)
{
    mjp s = {text, NULL};
    mj *v = val(&s, 0);
    if (v) {
        ws(&s);
        if (*s.p) { mj_free(v); v = NULL; s.err = "trailing characters"; }
    }
    if (!v && err)
        *err = s.err;
    return v;
}

mj *mj_parse_file(const char *path, const char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) { if (err) *err = "cannot open file"; return NULL; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    mj *v = mj_parse(buf, err);
    free(buf);
    return v;
}

void mj_free(mj *v)
{
    while (v) {
        mj *n = v->next;
        mj_free(v->child);
        free(v->str);
        free(v->key);
        free(v);
        v = n;
    }
}

mj *mj_get(const mj *obj, const char *key)
{
    if (!obj || obj->type != MJ_OBJ)
        return NULL;
    for (mj *c = obj->child; c; c = c->next)
        if (c->key && !strcmp(c->key, key))
            return c;
    return NULL;
}

const char *mj_str(const mj *obj, const char *key)
{
    mj *v = mj_get(obj, key);
    return v && v->type == MJ_STR ? v->str : NULL;
}

size_t mj_len(const mj *arr)
{
    size_t n = 0;
    for (mj *c = arr ? arr->child : NULL; c; c = c->next)
        n++;
    return n;
}

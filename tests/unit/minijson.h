/*
 * minijson.h - a small JSON reader for the tests (seed frames, chargecap
 * output).  Parses a whole document into a tree; strings are UTF-8.
 */
#ifndef MINIJSON_H
#define MINIJSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { MJ_NULL, MJ_BOOL, MJ_NUM, MJ_STR, MJ_ARR, MJ_OBJ } mj_type;

typedef struct mj {
    mj_type type;
    bool b;
    double num;
    char *str;        /* MJ_STR */
    char *key;        /* member name when inside an object */
    struct mj *child; /* first element / member */
    struct mj *next;  /* next sibling */
} mj;

/* Parse text; NULL with *err set on a syntax error. */
mj *mj_parse(const char *text, const char **err);
mj *mj_parse_file(const char *path, const char **err);
void mj_free(mj *v);
mj *mj_get(const mj *obj, const char *key);
const char *mj_str(const mj *obj, const char *key); /* NULL unless a string */
size_t mj_len(const mj *arr);

#endif

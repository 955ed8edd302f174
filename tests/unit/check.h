/* check.h - assertions for the C unit tests: count, report, keep going. */
#ifndef CS_CHECK_H
#define CS_CHECK_H

#include <stdio.h>

static int check_count, check_fails;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        check_count++;                                                    \
        if (!(cond)) {                                                    \
            check_fails++;                                                \
            fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* Print the tally; the exit status of the test. */
#define CHECK_DONE()                                                      \
    (printf("%d checks, %d failed\n", check_count, check_fails), check_fails ? 1 : 0)

#endif

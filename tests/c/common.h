/*
 * Shared by the C test programs: check macros that report and count instead
 * of aborting (one run shows every failure), the seed order built through
 * the public setters, and the tables that let a test walk every setter.
 */
#ifndef SPREAD_TEST_COMMON_H
#define SPREAD_TEST_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "spread.h"

/* A failed check prints "FAIL file:line: ..." and is counted; see t_report. */
void t_fail(const char *file, int line, const char *fmt, ...);
/* Prints "<n> checks, <m> failed" and returns the process exit code. */
int t_report(void);
extern int t_checks;

#define CHECK(cond) \
    do { t_checks++; if (!(cond)) t_fail(__FILE__, __LINE__, "%s", #cond); } while (0)

/* The call returns status `want`; when `needle` is not NULL, spread_last_error() contains it. */
#define CHECK_STATUS(call, want, needle) t_status((call), (want), (needle), __FILE__, __LINE__, #call)
#define CHECK_OK(call) CHECK_STATUS(call, SPREAD_OK, NULL)
void t_status(int got, int want, const char *needle, const char *file, int line, const char *expr);

/* True when spread_last_error() contains `needle`. */
bool last_error_has(const char *needle);

typedef int (*text_setter)(SpreadOrder *, const char *);
struct text_setter_entry {
    const char *field; /* the data[...] name, also the name the library gives in its messages */
    text_setter set;
};
/* Every spread_order_set_<field>(o, const char *) setter, in the seed's order; NULL-terminated. */
extern const struct text_setter_entry TEXT_SETTERS[];
/* spread_order_add_tag, _del_tag, _add_order_tag, _del_order_tag; NULL-terminated. */
extern const struct text_setter_entry LIST_SETTERS[];
text_setter text_setter_for(const char *field);
text_setter list_setter_for(const char *field);

/* The seed integration's order (tests/fixtures/spread-updateOrder-integration.txt),
 * built field by field; checked as it goes. */
SpreadOrder *seed_order(void);

/* The whole file, NUL-terminated, or NULL; free() it. */
char *read_file(const char *path);

/* Milliseconds on a monotonic clock. */
long long now_ms(void);

#endif

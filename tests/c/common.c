#define _POSIX_C_SOURCE 200809L
#include "common.h"
#include "../../examples/seed_order.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int t_checks = 0;
static int failures = 0;

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    failures++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int t_report(void)
{
    printf("%d checks, %d failed\n", t_checks, failures);
    return failures == 0 ? 0 : 1;
}

bool last_error_has(const char *needle)
{
    const char *msg = spread_last_error();
    return msg != NULL && strstr(msg, needle) != NULL;
}

void t_status(int got, int want, const char *needle, const char *file, int line, const char *expr)
{
    t_checks++;
    if (got != want) {
        t_fail(file, line, "%s returned %s, expected %s (last error: \"%s\")", expr,
               spread_status_name(got), spread_status_name(want), spread_last_error());
    } else if (needle != NULL && !last_error_has(needle)) {
        t_fail(file, line, "%s: last error \"%s\" does not contain \"%s\"", expr, spread_last_error(), needle);
    }
}

const struct text_setter_entry TEXT_SETTERS[] = {
    {"customer_email", spread_order_set_customer_email},
    {"external_id", spread_order_set_external_id},
    {"customer_cookie", spread_order_set_customer_cookie},
    {"customer_name", spread_order_set_customer_name},
    {"customer_firstname", spread_order_set_customer_firstname},
    {"customer_gender", spread_order_set_customer_gender},
    {"customer_address", spread_order_set_customer_address},
    {"customer_address_2", spread_order_set_customer_address_2},
    {"customer_address_3", spread_order_set_customer_address_3},
    {"customer_cp", spread_order_set_customer_cp},
    {"customer_city", spread_order_set_customer_city},
    {"customer_country", spread_order_set_customer_country},
    {"customer_tel", spread_order_set_customer_tel},
    {"customer_mobile", spread_order_set_customer_mobile},
    {"customer_fonction", spread_order_set_customer_fonction},
    {"customer_company", spread_order_set_customer_company},
    {"customer_birthday", spread_order_set_customer_birthday},
    {"customer_lang", spread_order_set_customer_lang},
    {"action", spread_order_set_action},
    {"order_idorder", spread_order_set_order_idorder},
    {"order_amount", spread_order_set_order_amount_str},
    {"order_crea_dt", spread_order_set_order_crea_dt},
    {"order_start_service", spread_order_set_order_start_service},
    {"order_end_service", spread_order_set_order_end_service},
    {NULL, NULL},
};

const struct text_setter_entry LIST_SETTERS[] = {
    {"add_tag", spread_order_add_tag},
    {"del_tag", spread_order_del_tag},
    {"add_order_tag", spread_order_add_order_tag},
    {"del_order_tag", spread_order_del_order_tag},
    {NULL, NULL},
};

static text_setter lookup(const struct text_setter_entry *table, const char *field)
{
    for (; table->field != NULL; table++) {
        if (strcmp(table->field, field) == 0) {
            return table->set;
        }
    }
    return NULL;
}

text_setter text_setter_for(const char *field) { return lookup(TEXT_SETTERS, field); }
text_setter list_setter_for(const char *field) { return lookup(LIST_SETTERS, field); }

SpreadOrder *seed_order(void)
{
    SpreadOrder *o = spread_order_new();
    CHECK(o != NULL);
    CHECK_OK(seed_order_fill(o, "0000001"));
    return o;
}

char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (f == NULL) {
        return NULL;
    }
    do {
        if (cap - len < 4096) {
            char *bigger = realloc(buf, cap = cap * 2 + 4096);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Builds orders from a script on stdin and sends them, so the wire tests can
 * drive arbitrary orders through the C API. One command per line; string
 * arguments are "x" followed by the hex of their bytes ("x" alone is "").
 *
 *   order                  start a new order
 *   set NAME VALUE         spread_order_set_<NAME> (spread_order_set_field when there is none)
 *   field NAME VALUE       spread_order_set_field
 *   state N                spread_order_set_order_state
 *   amount DOUBLE          spread_order_set_order_amount (strtod)
 *   list NAME VALUE        spread_order_add_tag / _del_tag / _add_order_tag / _del_order_tag
 *   custom ID VALUE        spread_order_set_custom_field
 *   consent NAME 0|1       spread_order_set_consent
 *   product                spread_order_add_product
 *   attr VALUE             spread_order_add_product_attribute
 *   send                   prints "body <encoding>", then sends when BASE_URL was given:
 *                          "sent <STATUS> <http>" (+ "error <message>" on failure)
 *
 * usage: send_orders [BASE_URL] < script    (exit 3 when a setter fails)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { MAX_ARGS = 3 };

/* Decodes "x<hex>" in place; returns NULL when malformed. */
static char *unhex(char *s)
{
    if (s == NULL || s[0] != 'x' || strlen(s + 1) % 2 != 0) {
        return NULL;
    }
    char *out = s;
    for (const char *p = s + 1; *p != '\0'; p += 2) {
        unsigned byte;
        if (sscanf(p, "%2x", &byte) != 1) {
            return NULL;
        }
        *out++ = (char)byte;
    }
    *out = '\0';
    return s;
}

static int apply(SpreadOrder *o, const char *cmd, char **arg, int nargs)
{
    if (strcmp(cmd, "product") == 0 && nargs == 0) {
        return spread_order_add_product(o);
    }
    if (strcmp(cmd, "state") == 0 && nargs == 1) {
        return spread_order_set_order_state(o, (int32_t)strtol(arg[0], NULL, 10));
    }
    if (strcmp(cmd, "amount") == 0 && nargs == 1) {
        return spread_order_set_order_amount(o, strtod(arg[0], NULL));
    }
    if (strcmp(cmd, "attr") == 0 && nargs == 1 && unhex(arg[0])) {
        return spread_order_add_product_attribute(o, arg[0]);
    }
    if (strcmp(cmd, "custom") == 0 && nargs == 2 && unhex(arg[1])) {
        return spread_order_set_custom_field(o, (uint32_t)strtoul(arg[0], NULL, 10), arg[1]);
    }
    if (strcmp(cmd, "consent") == 0 && nargs == 2 && unhex(arg[0])) {
        return spread_order_set_consent(o, arg[0], strcmp(arg[1], "1") == 0);
    }
    if (nargs == 2 && unhex(arg[0]) && unhex(arg[1])) {
        text_setter set = NULL;
        if (strcmp(cmd, "set") == 0) {
            set = text_setter_for(arg[0]);
        } else if (strcmp(cmd, "list") == 0) {
            set = list_setter_for(arg[0]);
            if (set == NULL) {
                return -1;
            }
        } else if (strcmp(cmd, "field") != 0) {
            return -1;
        }
        return set != NULL ? set(o, arg[1]) : spread_order_set_field(o, arg[0], arg[1]);
    }
    return -1;
}

int main(int argc, char **argv)
{
    SpreadClient *client = NULL;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [BASE_URL] < script\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        client = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
        if (spread_client_set_base_url(client, argv[1]) != SPREAD_OK) {
            fprintf(stderr, "base url: %s\n", spread_last_error());
            return 2;
        }
    }
    SpreadOrder *o = spread_order_new();
    char *line = NULL;
    size_t cap = 0;
    int exit_code = 0;
    for (long lineno = 1; getline(&line, &cap, stdin) > 0; lineno++) {
        line[strcspn(line, "\r\n")] = '\0';
        char *save = NULL, *cmd = strtok_r(line, " ", &save), *arg[MAX_ARGS + 1];
        int nargs = 0;
        if (cmd == NULL) {
            continue;
        }
        while (nargs <= MAX_ARGS && (arg[nargs] = strtok_r(NULL, " ", &save)) != NULL) {
            nargs++;
        }
        if (strcmp(cmd, "order") == 0) {
            spread_order_free(o);
            o = spread_order_new();
        } else if (strcmp(cmd, "send") == 0) {
            char *body = spread_order_encode(o);
            printf("body %s\n", body != NULL ? body : "(null)");
            spread_string_free(body);
            if (client != NULL) {
                SpreadResponse *r = NULL;
                int status = spread_send(client, o, &r);
                printf("sent %s %u\n", spread_status_name(status), (unsigned)spread_response_status(r));
                if (status != SPREAD_OK) {
                    printf("error %s\n", spread_last_error());
                }
                spread_response_free(r);
            }
        } else {
            int status = apply(o, cmd, arg, nargs);
            if (status != SPREAD_OK) {
                printf("fail %ld %s %s\n", lineno,
                       status < 0 ? "bad command" : spread_status_name(status), status < 0 ? "" : spread_last_error());
                exit_code = 3;
                break;
            }
        }
        fflush(stdout);
    }
    free(line);
    spread_order_free(o);
    spread_client_free(client);
    return exit_code;
}

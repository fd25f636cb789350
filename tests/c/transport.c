/*
 * Sends the seed order once and reports what happened, for the pytest side
 * to compare with the sandbox's log and state (faults are set there).
 *
 * usage: transport BASE_URL [--keys PUBLIC PRIVATE] [--timeout-ms N]
 * prints key=value lines: status, http, body, error, elapsed_ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* One line per value: control characters (the body's newline) become spaces. */
static void print_kv(const char *key, const char *value)
{
    printf("%s=", key);
    for (const char *p = value; *p != '\0'; p++) {
        putchar((unsigned char)*p < 0x20 ? ' ' : *p);
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    const char *public_key = "PUBLIC_KEY", *private_key = "PRIVATE_KEY";
    unsigned long timeout_ms = 10000;
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [--keys PUBLIC PRIVATE] [--timeout-ms N]\n", argv[0]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--keys") == 0 && i + 2 < argc) {
            public_key = argv[++i];
            private_key = argv[++i];
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            timeout_ms = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }

    SpreadClient *client = spread_client_new(public_key, private_key);
    SpreadOrder *order = seed_order();
    CHECK(client != NULL);
    CHECK_OK(spread_client_set_base_url(client, argv[1]));
    CHECK_OK(spread_client_set_timeout_ms(client, (uint32_t)timeout_ms));

    SpreadResponse *resp = NULL;
    long long t0 = now_ms();
    int status = spread_send(client, order, &resp);
    long long elapsed = now_ms() - t0;
    CHECK((status == SPREAD_OK) == (resp != NULL));

    print_kv("status", spread_status_name(status));
    printf("http=%u\n", (unsigned)spread_response_status(resp));
    print_kv("body", spread_response_body(resp));
    print_kv("error", status == SPREAD_OK ? "" : spread_last_error());
    printf("elapsed_ms=%lld\n", elapsed);

    spread_response_free(resp);
    spread_order_free(order);
    spread_client_free(client);
    return t_report();
}

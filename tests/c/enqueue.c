/*
 * spread_enqueue from C: three updates of one order and another order made
 * durable at once, delivered by the background thread; spread_client_free
 * waits for them at most the shutdown timeout.
 *
 * usage: enqueue BASE_URL SPOOL_DIR SHUTDOWN_MS
 * prints: "enqueued: <microseconds per enqueue>", then the counts.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

static SpreadOrder *update(const char *id, int state)
{
    SpreadOrder *o = spread_order_new();
    CHECK_OK(spread_order_set_external_id(o, "enqueue-customer"));
    CHECK_OK(spread_order_set_order_idorder(o, id));
    CHECK_OK(spread_order_set_order_state(o, state));
    CHECK_OK(spread_order_set_order_amount(o, 10.0));
    CHECK_OK(spread_order_set_order_crea_dt(o, "2024-05-04 10:31:00"));
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s BASE_URL SPOOL_DIR SHUTDOWN_MS\n", argv[0]);
        return 2;
    }
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(c, argv[1]));
    CHECK_OK(spread_client_set_shutdown_timeout_ms(c, (uint32_t)atoi(argv[3])));

    /* Without a spool folder, enqueue is a configuration error. */
    SpreadOrder *first = update("E-1", 10);
    CHECK_STATUS(spread_enqueue(c, first), SPREAD_ERR_CONFIG, "spool_dir");
    CHECK_OK(spread_client_set_spool_dir(c, argv[2]));

    /* A validation error is reported at once, as spread_send would. */
    SpreadOrder *invalid = spread_order_new();
    CHECK_STATUS(spread_enqueue(c, invalid), SPREAD_ERR_MISSING_FIELD, "customer_email or external_id");
    spread_order_free(invalid);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(spread_enqueue(c, first) == SPREAD_QUEUED);
    const int states[] = {20, 50};
    for (int i = 0; i < 2; i++) {
        SpreadOrder *o = update("E-1", states[i]);
        CHECK(spread_enqueue(c, o) == SPREAD_QUEUED);
        spread_order_free(o);
    }
    SpreadOrder *other = update("E-2", 100);
    CHECK(spread_enqueue(c, other) == SPREAD_QUEUED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("enqueued: %ld\n", ((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000L) / 4);
    spread_order_free(other);
    spread_order_free(first);
    spread_client_free(c); /* waits for the deliveries, at most SHUTDOWN_MS */
    return t_report();
}

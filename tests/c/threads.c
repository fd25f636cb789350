/*
 * One client shared by 4 threads, each sending 50 orders of its own customer.
 *
 * usage: threads BASE_URL
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

enum { THREADS = 4, ORDERS_PER_THREAD = 50 };

struct worker {
    SpreadClient *client;
    int index;
    int delivered;
    char first_error[256];
};

static void *send_orders(void *arg)
{
    struct worker *w = arg;
    char email[64], id[32];
    snprintf(email, sizeof email, "thread%d@example.com", w->index);
    for (int n = 0; n < ORDERS_PER_THREAD; n++) {
        SpreadOrder *o = spread_order_new();
        snprintf(id, sizeof id, "T%d-%03d", w->index, n);
        int ok = spread_order_set_customer_email(o, email) == SPREAD_OK
                 && spread_order_set_order_idorder(o, id) == SPREAD_OK
                 && spread_order_set_order_state(o, n % 2 ? 20 : 10) == SPREAD_OK
                 && spread_order_set_order_amount(o, n + 0.5) == SPREAD_OK
                 && spread_order_set_order_crea_dt(o, "2024-01-02 03:04:05") == SPREAD_OK
                 && spread_order_add_order_tag(o, email) == SPREAD_OK;
        SpreadResponse *r = NULL;
        if (ok && spread_send(w->client, o, &r) == SPREAD_OK && spread_response_status(r) == 200) {
            w->delivered++;
        } else if (w->first_error[0] == '\0') {
            snprintf(w->first_error, sizeof w->first_error, "%s: %s", id, spread_last_error());
        }
        spread_response_free(r);
        spread_order_free(o);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
        return 2;
    }
    SpreadClient *client = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(client, argv[1]));
    CHECK_OK(spread_client_set_timeout_ms(client, 20000));

    struct worker w[THREADS];
    pthread_t th[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].client = client;
        w[i].index = i;
        CHECK(pthread_create(&th[i], NULL, send_orders, &w[i]) == 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += w[i].delivered;
        t_checks++;
        if (w[i].delivered != ORDERS_PER_THREAD) {
            t_fail(__FILE__, __LINE__, "thread %d delivered %d of %d (first error: %s)", i, w[i].delivered,
                   ORDERS_PER_THREAD, w[i].first_error);
        }
    }
    printf("delivered=%d\n", total);
    spread_client_free(client);
    return t_report();
}

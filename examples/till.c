/*
 * A till that is offline half the day, in C.
 *
 * Each sale is sent to SPREAD as it is rung up. With a spool folder set, a
 * sale that cannot be delivered now (no network, SPREAD down) is kept on disk
 * and spread_send returns SPREAD_QUEUED: the customer is not kept waiting and
 * nothing is lost, even if the till is switched off. At the start of each
 * shift the till flushes the spool, which delivers what was kept, oldest first.
 *
 * usage: till BASE_URL SPOOL_DIR morning|afternoon
 * keys:  SPREAD_PUBLIC_KEY and SPREAD_PRIVATE_KEY (default: the sandbox's)
 * build: cc till.c $(pkg-config --cflags --libs spread) -o till
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spread.h>

struct sale {
    const char *shift;
    const char *receipt; /* order_idorder: sending it again updates the order */
    const char *email;
    const char *amount;  /* as text: sent exactly, no float rounding */
    const char *attributes[3];
};

static const struct sale SALES[] = {
    {"morning", "T-1001", "anna@example.com", "24.90", {"type:coffee beans", "size:1kg", NULL}},
    {"morning", "T-1002", "ben@example.com", "7.50", {"type:croissant", NULL, NULL}},
    {"afternoon", "T-1003", "chloe@example.com", "158.31", {"type:grinder", "color:black", NULL}},
    {"afternoon", "T-1004", "anna@example.com", "3.20", {"type:espresso", NULL, NULL}},
};

static const char *env_or(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : fallback;
}

/* Prints the failure of `what` and returns its status. */
static int report(const char *what, int status)
{
    fprintf(stderr, "%s: %s: %s\n", what, spread_status_name(status), spread_last_error());
    return status;
}

/* The order for one sale, or NULL (reported) when a value is refused. */
static SpreadOrder *ring_up(const struct sale *sale)
{
    char now[20];
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S", gmtime(&t)); /* SPREAD wants UTC */

    SpreadOrder *o = spread_order_new();
    int status = spread_order_set_customer_email(o, sale->email);
    if (status == SPREAD_OK) status = spread_order_set_order_idorder(o, sale->receipt);
    if (status == SPREAD_OK) status = spread_order_set_order_state(o, 20); /* paid at the till */
    if (status == SPREAD_OK) status = spread_order_set_order_amount_str(o, sale->amount);
    if (status == SPREAD_OK) status = spread_order_set_order_crea_dt(o, now);
    if (status == SPREAD_OK) status = spread_order_add_order_tag(o, "till");
    if (status == SPREAD_OK) status = spread_order_add_product(o);
    for (size_t i = 0; status == SPREAD_OK && i < 3 && sale->attributes[i] != NULL; i++) {
        status = spread_order_add_product_attribute(o, sale->attributes[i]);
    }
    if (status != SPREAD_OK) {
        report(sale->receipt, status);
        spread_order_free(o);
        return NULL;
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[3], "morning") != 0 && strcmp(argv[3], "afternoon") != 0)) {
        fprintf(stderr, "usage: %s BASE_URL SPOOL_DIR morning|afternoon\n", argv[0]);
        return 2;
    }
    const char *shift = argv[3];
    printf("libspread %s, %s shift\n", spread_version(), shift);

    SpreadClient *client = spread_client_new(env_or("SPREAD_PUBLIC_KEY", "PUBLIC_KEY"),
                                             env_or("SPREAD_PRIVATE_KEY", "PRIVATE_KEY"));
    if (client == NULL) {
        report("client", spread_last_status());
        return 1;
    }
    int status = spread_client_set_base_url(client, argv[1]);
    if (status == SPREAD_OK) status = spread_client_set_spool_dir(client, argv[2]);
    if (status == SPREAD_OK) status = spread_client_set_timeout_ms(client, 10000); /* a customer is waiting */
    if (status != SPREAD_OK) {
        report("configuration", status);
        spread_client_free(client);
        return 1;
    }

    /* Catch up: deliver what earlier shifts could not. */
    size_t delivered = 0, remaining = 0;
    status = spread_flush(client, &delivered, &remaining);
    if (status == SPREAD_OK) {
        printf("flush: %zu delivered, %zu waiting\n", delivered, remaining);
    } else {
        printf("flush: still offline (%s), %zu delivered, %zu waiting\n", spread_status_name(status), delivered,
               remaining);
    }

    int failures = 0;
    for (size_t i = 0; i < sizeof SALES / sizeof SALES[0]; i++) {
        const struct sale *sale = &SALES[i];
        if (strcmp(sale->shift, shift) != 0) {
            continue;
        }
        SpreadOrder *order = ring_up(sale);
        if (order == NULL) {
            failures++;
            continue;
        }
        SpreadResponse *response = NULL;
        status = spread_send(client, order, &response);
        if (status == SPREAD_OK) {
            printf("sale %s: delivered (HTTP %u)\n", sale->receipt, (unsigned)spread_response_status(response));
        } else if (status == SPREAD_QUEUED) {
            printf("sale %s: kept in the spool, SPREAD is unreachable\n", sale->receipt);
        } else {
            report(sale->receipt, status); /* refused: fix the data, the spool would not help */
            failures++;
        }
        spread_response_free(response);
        spread_order_free(order);
    }

    size_t pending = 0;
    if (spread_spool_pending(client, &pending) == SPREAD_OK) {
        printf("closing: %zu order(s) waiting for SPREAD\n", pending);
    }
    spread_client_free(client);
    return failures == 0 ? 0 : 1;
}

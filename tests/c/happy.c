/*
 * The happy path: the seed order built through every setter encodes to the
 * measured PHP body byte for byte and is stored by the sandbox; a second order
 * uses the setters the seed does not (cookie, consents, amount as text,
 * set_field, external_id alone).
 *
 * usage: happy BASE_URL SEED_BODY_FILE
 * prints: "response1: <status> <body>", "body2: <encoding>", then the counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void check_seed_encoding(const SpreadOrder *seed, const char *expected)
{
    char *body = spread_order_encode(seed);
    CHECK(body != NULL);
    CHECK(expected != NULL);
    if (body != NULL && expected != NULL && strcmp(body, expected) != 0) {
        size_t i = 0;
        while (body[i] != '\0' && body[i] == expected[i]) {
            i++;
        }
        t_fail(__FILE__, __LINE__, "encoding differs from seed_body.txt at byte %zu: \"%.40s\" vs \"%.40s\"",
               i, body + i, expected + i);
    }
    spread_string_free(body);
}

static SpreadOrder *second_order(void)
{
    SpreadOrder *o = spread_order_new();
    CHECK_OK(spread_order_set_external_id(o, "ext-42"));
    CHECK_OK(spread_order_set_customer_cookie(o, "sbt-cookie-value"));
    CHECK_OK(spread_order_set_consent(o, "newsletter", true));
    CHECK_OK(spread_order_set_consent(o, "sms", false));
    CHECK_OK(spread_order_set_order_idorder(o, "0000002"));
    CHECK_OK(spread_order_set_field(o, "order_state", "20")); /* a known field, by name */
    CHECK_OK(spread_order_set_order_amount_str(o, "19.90"));
    CHECK_OK(spread_order_set_order_crea_dt(o, "2024-02-29 23:59:59"));
    CHECK_OK(spread_order_set_field(o, "coupon", "WELCOME10")); /* an extra field, kept as is */
    CHECK_OK(spread_order_validate(o));
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL SEED_BODY_FILE\n", argv[0]);
        return 2;
    }
    char *expected = read_file(argv[2]);
    SpreadOrder *seed = seed_order();
    check_seed_encoding(seed, expected);
    CHECK_OK(spread_order_validate(seed));

    SpreadClient *client = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK(client != NULL);
    CHECK_OK(spread_client_set_base_url(client, argv[1]));
    CHECK_OK(spread_client_set_timeout_ms(client, 10000));

    SpreadResponse *resp = NULL;
    CHECK_OK(spread_send(client, seed, &resp));
    CHECK(resp != NULL);
    CHECK(spread_response_status(resp) == 200);
    CHECK(strstr(spread_response_body(resp), "\"created\":true") != NULL);
    printf("response1: %u %s", (unsigned)spread_response_status(resp), spread_response_body(resp));
    spread_response_free(resp);

    /* Sending again updates the same order; a NULL out is allowed. */
    CHECK_OK(spread_send(client, seed, NULL));
    /* The order is only borrowed by spread_send: it still encodes the same. */
    check_seed_encoding(seed, expected);

    SpreadOrder *second = second_order();
    char *body2 = spread_order_encode(second);
    CHECK(body2 != NULL);
    printf("body2: %s\n", body2 != NULL ? body2 : "(null)");
    spread_string_free(body2);
    resp = NULL;
    CHECK_OK(spread_send(client, second, &resp));
    CHECK(strstr(spread_response_body(resp), "\"order_idorder\":\"0000002\"") != NULL);
    spread_response_free(resp);

    spread_order_free(second);
    spread_order_free(seed);
    spread_client_free(client);
    free(expected);
    return t_report();
}

/*
 * What a C till gets without parsing JSON or ignoring a status: the spool's
 * counts in a struct (spread_spool_status), its application named in the
 * User-Agent (spread_client_set_app_info).
 *
 * usage: idioms SANDBOX_URL CLOSED_URL SPOOL_DIR
 * sends "ua-1" with app_info TillShop/1.0 and "ua-2" without to the sandbox,
 * then queues "q-1" in SPOOL_DIR (CLOSED_URL answers nothing).
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static SpreadOrder *order(const char *id)
{
    SpreadOrder *o = spread_order_new();
    CHECK_OK(spread_order_set_customer_email(o, "till@example.com"));
    CHECK_OK(spread_order_set_order_idorder(o, id));
    CHECK_OK(spread_order_set_order_state(o, 10));
    CHECK_OK(spread_order_set_order_amount(o, 9.5));
    CHECK_OK(spread_order_set_order_crea_dt(o, "2024-05-04 10:31:00"));
    return o;
}

static void send_one(SpreadClient *c, const char *id, int want)
{
    SpreadOrder *o = order(id);
    SpreadResponse *r = NULL;
    CHECK_STATUS(spread_send(c, o, &r), want, NULL);
    spread_response_free(r);
    spread_order_free(o);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s SANDBOX_URL CLOSED_URL SPOOL_DIR\n", argv[0]);
        return 2;
    }
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(c, argv[1]));

    /* app_info: appended to the User-Agent; a bad one is refused and changes nothing. */
    CHECK_OK(spread_client_set_app_info(c, "TillShop/1.0"));
    CHECK_STATUS(spread_client_set_app_info(c, "TillShop/1.0\r\nX-Injected: 1"), SPREAD_ERR_CONFIG, "app_info");
    CHECK(strstr(spread_last_error(), "X-Injected") == NULL);
    send_one(c, "ua-1", SPREAD_OK);
    CHECK_OK(spread_client_set_app_info(c, ""));
    send_one(c, "ua-2", SPREAD_OK);

    /* spread_spool_status: no spool yet, then a bad size. */
    SpreadSpoolStatus st;
    memset(&st, 0x5a, sizeof st);
    st.size = sizeof st;
    CHECK_STATUS(spread_spool_status(c, &st), SPREAD_ERR_CONFIG, "spool_dir");
    st.size = 0;
    CHECK_STATUS(spread_spool_status(c, &st), SPREAD_ERR_INVALID_VALUE, "status.size");
    CHECK(st.pending == (size_t)0x5a5a5a5a5a5a5a5aULL); /* left as it was */

    CHECK_OK(spread_client_set_base_url(c, argv[2]));
    CHECK_OK(spread_client_set_max_attempts(c, 1));
    CHECK_OK(spread_client_set_spool_dir(c, argv[3]));
    SpreadSpoolStatus empty = {sizeof empty, 9, 9, 9, 9, 9, 9, 9, 9};
    CHECK_OK(spread_spool_status(c, &empty));
    CHECK(empty.size == sizeof empty && empty.pending == 0 && empty.rejected == 0 && empty.foreign == 0);
    CHECK(empty.oldest_secs == -1 && empty.stranded == 0 && empty.stranded_oldest_secs == -1);

    send_one(c, "q-1", SPREAD_QUEUED);
    st.size = sizeof st;
    CHECK_OK(spread_spool_status(c, &st));
    CHECK(st.size == sizeof st && st.pending == 1 && st.foreign == 0 && st.legacy == 0);
    CHECK(st.rejected == 0 && st.unreadable == 0 && st.stranded == 0);
    CHECK(st.oldest_secs >= 0 && st.oldest_secs < 60 && st.stranded_oldest_secs == -1);
    char *json = spread_spool_status_json(c); /* the same counts, for the CLI and scripts */
    CHECK(json != NULL && strstr(json, "\"pending\":1") != NULL);
    spread_string_free(json);

    /* A caller's struct from a newer header is larger: only what this library knows is
     * written, and `size` says how much. */
    union {
        SpreadSpoolStatus st;
        unsigned char bytes[sizeof(SpreadSpoolStatus) + 16];
    } newer;
    memset(&newer, 0xab, sizeof newer);
    newer.st.size = sizeof newer;
    CHECK_OK(spread_spool_status(c, &newer.st));
    CHECK(newer.st.size == sizeof(SpreadSpoolStatus) && newer.st.pending == 1);
    for (size_t i = sizeof(SpreadSpoolStatus); i < sizeof newer; i++) {
        CHECK(newer.bytes[i] == 0xab);
    }
    spread_client_free(c);
    printf("pending: %zu\n", st.pending);
    return t_report();
}

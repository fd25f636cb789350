/*
 * Every error path of the C API that needs no server: NULL arguments,
 * invalid UTF-8, each validation rule, missing fields, bad configuration, a
 * closed port, status names, the version and the per-thread last error.
 * Failed setters must leave the order exactly as it was.
 *
 * usage: errors EXPECTED_VERSION CLOSED_PORT_BASE_URL
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* The numbers are ABI: a renumbering must not compile. */
_Static_assert(SPREAD_OK == 0 && SPREAD_QUEUED == 1, "status numbers");
_Static_assert(SPREAD_ERR_NULL_ARGUMENT == 10 && SPREAD_ERR_INVALID_UTF8 == 11 && SPREAD_ERR_INVALID_VALUE == 12
               && SPREAD_ERR_MISSING_FIELD == 13 && SPREAD_ERR_CONFIG == 14, "status numbers");
_Static_assert(SPREAD_ERR_NETWORK == 20 && SPREAD_ERR_TIMEOUT == 21 && SPREAD_ERR_TLS == 22
               && SPREAD_ERR_REDIRECT == 23, "status numbers");
_Static_assert(SPREAD_ERR_AUTH == 30 && SPREAD_ERR_REJECTED == 31 && SPREAD_ERR_SERVER == 32
               && SPREAD_ERR_IO == 40 && SPREAD_ERR_PANIC == 99, "status numbers");

static const char *closed_url;
static char closed_target[64]; /* "127.0.0.1:PORT", as messages name it */

/* Runs `call` on order `o` and checks its status, its message and that the encoding did not change. */
#define CHECK_REJECTED(o, call, want, needle)                                                        \
    do {                                                                                             \
        char *before_ = spread_order_encode(o);                                                      \
        CHECK_STATUS(call, want, needle);                                                            \
        char *after_ = spread_order_encode(o);                                                       \
        t_checks++;                                                                                  \
        if (before_ == NULL || after_ == NULL || strcmp(before_, after_) != 0)                       \
            t_fail(__FILE__, __LINE__, "%s changed the order", #call);                              \
        spread_string_free(before_);                                                                 \
        spread_string_free(after_);                                                                  \
    } while (0)

static char *field_colon(const char *field)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s:", field);
    return buf;
}

/* ------------------------------------------------------------------ NULL arguments */

static char *is_null(const char *field)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s: is NULL", field);
    return buf;
}

static void null_arguments(void)
{
    SpreadOrder *o = seed_order();
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK(c != NULL);

    CHECK(spread_client_new(NULL, "PRIVATE_KEY") == NULL);
    CHECK(last_error_has("public_key: is NULL"));
    CHECK(spread_client_new("PUBLIC_KEY", NULL) == NULL);
    CHECK(last_error_has("private_key: is NULL"));
    CHECK(spread_client_new_from_keys_file(NULL) == NULL);
    CHECK(last_error_has("keys_file: is NULL"));
    /* NULL environ_json stands for the process's environment; an empty one holds no key. */
    CHECK(spread_client_new_from_env("{}") == NULL && spread_last_status() == SPREAD_ERR_CONFIG);
    CHECK(last_error_has("SPREAD_PUBLIC_KEY is not set"));

    CHECK_STATUS(spread_client_set_base_url(NULL, closed_url), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_base_url(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "base_url: is NULL");
    CHECK_STATUS(spread_client_set_timeout_ms(NULL, 1000), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_connect_timeout_ms(NULL, 1000), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_ca_file(NULL, "/dev/null"), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_ca_file(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "ca_file: is NULL");
    CHECK_STATUS(spread_client_set_allow_insecure_http(NULL, true), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_max_attempts(NULL, 3), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_delivery_concurrency(NULL, 8), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_spool_dir(NULL, "/tmp"), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_spool_dir(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "spool_dir: is NULL");
    CHECK_STATUS(spread_client_set_option(NULL, "timeout_ms", "1000"), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_option(c, NULL, "1000"), SPREAD_ERR_NULL_ARGUMENT, "name: is NULL");
    CHECK_STATUS(spread_client_set_option(c, "timeout_ms", NULL), SPREAD_ERR_NULL_ARGUMENT, "timeout_ms: is NULL");
    CHECK_STATUS(spread_client_check(NULL), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    size_t delivered = 7, remaining = 7, pending = 7;
    CHECK_STATUS(spread_flush(NULL, &delivered, &remaining), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK(delivered == 0 && remaining == 0); /* the counts are written also on failure */
    CHECK_STATUS(spread_flush(NULL, NULL, NULL), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_spool_pending(NULL, &pending), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_spool_pending(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "pending: is NULL");

    /* spread_send_many: NULL arrays, and a NULL order inside the array (its own status). */
    const SpreadOrder *batch[2] = {o, NULL};
    int statuses[2] = {-1, -1};
    CHECK_STATUS(spread_send_many(NULL, batch, 2, 2, statuses), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_send_many(c, NULL, 2, 2, statuses), SPREAD_ERR_NULL_ARGUMENT, "orders: is NULL");
    CHECK_STATUS(spread_send_many(c, batch, 2, 2, NULL), SPREAD_ERR_NULL_ARGUMENT, "statuses: is NULL");
    CHECK_OK(spread_send_many(c, NULL, 0, 2, NULL)); /* nothing to send */
    CHECK_STATUS(spread_send_many(c, batch, 2, 0, statuses), SPREAD_ERR_CONFIG, "concurrency: 0 is out of range");
    CHECK_STATUS(spread_send_many(c, batch, 2, 33, statuses), SPREAD_ERR_CONFIG, "concurrency: 33 is out of range");
    CHECK_STATUS(spread_send_many(c, batch, SIZE_MAX, 2, statuses), SPREAD_ERR_INVALID_VALUE, "cannot be an array in memory");
    CHECK(statuses[0] == -1 && statuses[1] == -1); /* untouched by a call that failed early */
    CHECK(spread_client_set_base_url(c, closed_url) == SPREAD_OK);
    CHECK(spread_client_set_max_attempts(c, 1) == SPREAD_OK);
    CHECK_STATUS(spread_send_many(c, batch, 2, 2, statuses), SPREAD_ERR_NETWORK, "orders[0]: ");
    CHECK(statuses[0] == SPREAD_ERR_NETWORK && statuses[1] == SPREAD_ERR_NULL_ARGUMENT);
    CHECK(spread_last_http_status() == 0);

    int dummy;
    SpreadResponse *r = (SpreadResponse *)&dummy; /* must be reset to NULL on failure */
    CHECK_STATUS(spread_send(NULL, o, &r), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK(r == NULL);
    r = (SpreadResponse *)&dummy;
    CHECK_STATUS(spread_send(c, NULL, &r), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK(r == NULL);

    for (const struct text_setter_entry *e = TEXT_SETTERS; e->field != NULL; e++) {
        CHECK_STATUS(e->set(NULL, "x"), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
        CHECK_REJECTED(o, e->set(o, NULL), SPREAD_ERR_NULL_ARGUMENT, is_null(e->field));
    }
    for (const struct text_setter_entry *e = LIST_SETTERS; e->field != NULL; e++) {
        CHECK_STATUS(e->set(NULL, "x"), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
        CHECK_REJECTED(o, e->set(o, NULL), SPREAD_ERR_NULL_ARGUMENT, is_null(e->field));
    }
    CHECK_STATUS(spread_order_set_order_state(NULL, 10), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_STATUS(spread_order_set_order_amount(NULL, 1.0), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_STATUS(spread_order_set_custom_field(NULL, 1, "v"), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_set_custom_field(o, 1, NULL), SPREAD_ERR_NULL_ARGUMENT, "custom_fields: is NULL");
    CHECK_STATUS(spread_order_set_consent(NULL, "newsletter", true), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_set_consent(o, NULL, true), SPREAD_ERR_NULL_ARGUMENT, "consents: is NULL");
    CHECK_STATUS(spread_order_add_product(NULL), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_STATUS(spread_order_add_product_attribute(NULL, "size:xl"), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_add_product_attribute(o, NULL), SPREAD_ERR_NULL_ARGUMENT,
                   "product_attributes: is NULL");
    CHECK_STATUS(spread_order_set_field(NULL, "coupon", "x"), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_set_field(o, NULL, "x"), SPREAD_ERR_NULL_ARGUMENT, "name: is NULL");
    CHECK_REJECTED(o, spread_order_set_field(o, "coupon", NULL), SPREAD_ERR_NULL_ARGUMENT, "coupon: is NULL");
    CHECK_STATUS(spread_order_set_value(NULL, "add_tag", "[\"a\"]"), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_set_value(o, NULL, "[\"a\"]"), SPREAD_ERR_NULL_ARGUMENT, "name: is NULL");
    CHECK_REJECTED(o, spread_order_set_value(o, "add_tag", NULL), SPREAD_ERR_NULL_ARGUMENT, "add_tag: is NULL");
    CHECK_REJECTED(o, spread_order_set_value(o, "consents", "{\"News\":2}"), SPREAD_ERR_INVALID_VALUE,
                   "consents[News]: \"2\" is not 1 (accepted) or 0 (refused)");
    CHECK(spread_order_encode(NULL) == NULL); /* right after the "coupon" error: the message is its own */
    CHECK(last_error_has("order: is NULL"));
    CHECK_STATUS(spread_order_validate(NULL), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK(spread_order_clone(NULL) == NULL);
    CHECK(last_error_has("order: is NULL"));

    /* Round two: the client's new settings, enqueue, logging, batches, the drop-in, the spool. */
    CHECK_STATUS(spread_client_set_proxy(NULL, "http://127.0.0.1:3128"), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_OK(spread_client_set_proxy(c, NULL)); /* NULL: no proxy */
    CHECK_STATUS(spread_client_set_app_info(NULL, "MyShop/2.1"), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_OK(spread_client_set_app_info(c, NULL)); /* NULL: none */
    CHECK_STATUS(spread_client_set_tls_roots(NULL, "system"), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_tls_roots(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "tls_roots: is NULL");
    CHECK_STATUS(spread_client_set_flush_budget_ms(NULL, 1000), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_shutdown_timeout_ms(NULL, 1000), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_client_set_logger(NULL, NULL, NULL, SPREAD_LOG_INFO), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_OK(spread_client_set_logger(c, NULL, NULL, SPREAD_LOG_INFO)); /* NULL callback: logging off */
    CHECK_STATUS(spread_client_set_log_queue(NULL, SPREAD_LOG_INFO), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK(spread_client_next_log(NULL) == NULL);
    CHECK(last_error_has("client: is NULL"));
    spread_client_close(NULL); /* a no-op */
    CHECK_STATUS(spread_enqueue(NULL, o), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_enqueue(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    SpreadBatch *b = (SpreadBatch *)&dummy; /* must be reset to NULL on failure */
    CHECK_STATUS(spread_send_batch(NULL, batch, 2, 2, NULL, NULL, &b), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK(b == NULL);
    CHECK_STATUS(spread_send_batch(c, NULL, 2, 2, NULL, NULL, &b), SPREAD_ERR_NULL_ARGUMENT, "orders: is NULL");
    CHECK_STATUS(spread_send_batch(c, batch, 2, 2, NULL, NULL, NULL), SPREAD_ERR_NULL_ARGUMENT, "out: is NULL");
    CHECK(spread_batch_len(NULL) == 0 && spread_batch_status(NULL, 0) == -1 && spread_batch_http_status(NULL, 0) == 0);
    CHECK(spread_batch_message(NULL, 0) == NULL);
    CHECK(spread_order_from_form(NULL, false) == NULL && spread_last_status() == SPREAD_ERR_NULL_ARGUMENT);
    CHECK(last_error_has("body: is NULL"));
    CHECK(spread_order_from_json(NULL, true) == NULL && spread_last_status() == SPREAD_ERR_NULL_ARGUMENT);
    CHECK(last_error_has("json: is NULL"));
    CHECK(spread_order_warning_count(NULL) == 0);
    CHECK(spread_order_warning(NULL, 0) == NULL);
    CHECK(last_error_has("order: is NULL"));
    CHECK_STATUS(spread_order_add_product_with(NULL, NULL, 0), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_add_product_with(o, NULL, 2), SPREAD_ERR_NULL_ARGUMENT, "product_attributes: is NULL");
    const char *with_null[2] = {"size:xl", NULL};
    CHECK_REJECTED(o, spread_order_add_product_with(o, with_null, 2), SPREAD_ERR_NULL_ARGUMENT, "product_attributes[1]: is NULL");
    CHECK_STATUS(spread_order_add_to_list(NULL, "add_tag", with_null, 1), SPREAD_ERR_NULL_ARGUMENT, "order: is NULL");
    CHECK_REJECTED(o, spread_order_add_to_list(o, NULL, with_null, 1), SPREAD_ERR_NULL_ARGUMENT, "list: is NULL");
    CHECK_REJECTED(o, spread_order_add_to_list(o, "add_tag", with_null, 2), SPREAD_ERR_NULL_ARGUMENT, "add_tag[1]: is NULL");
    CHECK_REJECTED(o, spread_order_add_to_list(o, "tags", with_null, 1), SPREAD_ERR_INVALID_VALUE, "list: \"tags\"");
    CHECK(!spread_response_truncated(NULL) && spread_response_warning_count(NULL) == 0 && spread_response_warning(NULL, 0) == NULL);
    CHECK(spread_spool_status_json(NULL) == NULL);
    CHECK(last_error_has("client: is NULL"));
    SpreadSpoolStatus spool_st = {sizeof spool_st, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_STATUS(spread_spool_status(NULL, &spool_st), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK_STATUS(spread_spool_status(c, NULL), SPREAD_ERR_NULL_ARGUMENT, "status: is NULL");
    CHECK(spread_spool_rejected_json(NULL) == NULL);
    size_t count = 7;
    CHECK_STATUS(spread_spool_requeue(NULL, NULL, &count), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK(count == 0);
    CHECK_STATUS(spread_spool_purge_rejected(NULL, 0, NULL), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    count = 7;
    CHECK_STATUS(spread_spool_adopt(NULL, "https://old.example/api", NULL, &count), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    CHECK(count == 0);
    CHECK_STATUS(spread_spool_adopt(c, "https://old.example/api", NULL, NULL), SPREAD_ERR_CONFIG, "spool_dir");
    CHECK(spread_spool_status_json(c) == NULL && spread_last_status() == SPREAD_ERR_CONFIG); /* no spool folder */
    CHECK(last_error_has("spool_dir"));
    CHECK(spread_class_parent(NULL) == NULL);
    CHECK(last_error_has("stem: is NULL"));
    CHECK(strcmp(spread_class_parent("Timeout"), "Network") == 0);
    CHECK(strcmp(spread_status_class(SPREAD_ERR_ENDPOINT), "Endpoint") == 0);
    CHECK(strcmp(spread_status_parent_class(SPREAD_ERR_ENDPOINT), "Api") == 0);
    CHECK(spread_status_code(0) == SPREAD_OK && spread_status_code(1000) == -1);
    CHECK(spread_abi_version() == SPREAD_ABI_VERSION && spread_max_concurrency() == 32);

    CHECK(spread_response_status(NULL) == 0);
    CHECK(spread_response_body(NULL) != NULL && spread_response_body(NULL)[0] == '\0');
    /* _free(NULL) is a no-op. */
    spread_client_free(NULL);
    spread_order_free(NULL);
    spread_response_free(NULL);
    spread_batch_free(NULL);
    spread_string_free(NULL);
    CHECK(spread_last_error() != NULL);

    spread_client_free(c);
    spread_order_free(o);
}

/* ------------------------------------------------------------------ invalid UTF-8 */

static const char *const BAD_UTF8[] = {
    "\xff",             /* never valid */
    "abc\xc3",          /* truncated sequence */
    "\xc3\x28",         /* bad continuation */
    "\xc0\xaf",         /* overlong '/' */
    "\xed\xa0\x80",     /* UTF-16 surrogate */
    "\xf4\x90\x80\x80", /* above U+10FFFF */
    NULL,
};

static void invalid_utf8(void)
{
    SpreadOrder *o = seed_order();
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    for (const char *const *bad = BAD_UTF8; *bad != NULL; bad++) {
        for (const struct text_setter_entry *e = TEXT_SETTERS; e->field != NULL; e++) {
            CHECK_REJECTED(o, e->set(o, *bad), SPREAD_ERR_INVALID_UTF8, field_colon(e->field));
        }
        for (const struct text_setter_entry *e = LIST_SETTERS; e->field != NULL; e++) {
            CHECK_REJECTED(o, e->set(o, *bad), SPREAD_ERR_INVALID_UTF8, field_colon(e->field));
        }
        CHECK_REJECTED(o, spread_order_set_custom_field(o, 327, *bad), SPREAD_ERR_INVALID_UTF8, "custom_fields");
        CHECK_REJECTED(o, spread_order_set_consent(o, *bad, true), SPREAD_ERR_INVALID_UTF8, "consents");
        CHECK_REJECTED(o, spread_order_add_product_attribute(o, *bad), SPREAD_ERR_INVALID_UTF8, "product_attributes");
        CHECK_REJECTED(o, spread_order_set_field(o, *bad, "x"), SPREAD_ERR_INVALID_UTF8, "name");
        CHECK_REJECTED(o, spread_order_set_field(o, "coupon", *bad), SPREAD_ERR_INVALID_UTF8, "coupon");

        CHECK(spread_client_new(*bad, "PRIVATE_KEY") == NULL);
        CHECK(last_error_has("public_key") && last_error_has("UTF-8"));
        CHECK(spread_client_new("PUBLIC_KEY", *bad) == NULL);
        CHECK(last_error_has("private_key") && last_error_has("UTF-8"));
        CHECK_STATUS(spread_client_set_base_url(c, *bad), SPREAD_ERR_INVALID_UTF8, "base_url");
        CHECK_STATUS(spread_client_set_ca_file(c, *bad), SPREAD_ERR_INVALID_UTF8, "ca_file");
        CHECK_STATUS(spread_client_set_spool_dir(c, *bad), SPREAD_ERR_INVALID_UTF8, "spool_dir");
        CHECK_STATUS(spread_client_set_proxy(c, *bad), SPREAD_ERR_INVALID_UTF8, "proxy");
        CHECK_STATUS(spread_client_set_app_info(c, *bad), SPREAD_ERR_INVALID_UTF8, "app_info");
        CHECK_STATUS(spread_client_set_tls_roots(c, *bad), SPREAD_ERR_INVALID_UTF8, "tls_roots");
        CHECK_STATUS(spread_spool_adopt(c, *bad, NULL, NULL), SPREAD_ERR_INVALID_UTF8, "from_base_url");
        CHECK_STATUS(spread_spool_adopt(c, NULL, *bad, NULL), SPREAD_ERR_INVALID_UTF8, "from_public_key");
        CHECK(spread_order_from_form(*bad, false) == NULL && spread_last_status() == SPREAD_ERR_INVALID_UTF8);
        CHECK(spread_order_from_json(*bad, false) == NULL && spread_last_status() == SPREAD_ERR_INVALID_UTF8);
        const char *attrs[1] = {*bad};
        CHECK_REJECTED(o, spread_order_add_product_with(o, attrs, 1), SPREAD_ERR_INVALID_UTF8, "product_attributes[0]");
        CHECK_REJECTED(o, spread_order_add_to_list(o, "add_tag", attrs, 1), SPREAD_ERR_INVALID_UTF8, "add_tag[0]");
    }
    spread_client_free(c);
    spread_order_free(o);
}

/* ------------------------------------------------------------------ validation rules */

struct bad_value {
    const char *field;
    const char *value;
};

/* One or more violations of each field's rule (control characters are tried on every field below). */
static const struct bad_value BAD_VALUES[] = {
    {"customer_email", ""}, {"customer_email", "john"}, {"customer_email", "@doe.com"},
    {"customer_email", "john@"}, {"customer_email", "jo hn@doe.com"}, {"customer_email", "a@b@c"},
    {"external_id", ""}, {"customer_cookie", ""}, {"action", ""}, {"order_idorder", ""},
    {"order_idorder", "id\t1"}, /* identifiers take no tab or line break, free text does */
    {"customer_gender", "Male"}, {"customer_gender", "other"}, {"customer_gender", ""},
    {"customer_country", "fr"}, {"customer_country", "FRA"}, {"customer_country", "F1"}, {"customer_country", ""},
    {"customer_lang", "fr-FR"}, {"customer_lang", "FR_fr"}, {"customer_lang", "fr_FRA"}, {"customer_lang", ""},
    {"customer_birthday", "2019-02-29"}, {"customer_birthday", "1970-13-01"}, {"customer_birthday", "1970-12-31 "},
    {"order_start_service", "19-06-05"}, {"order_start_service", "2019-04-31"},
    {"order_end_service", "2019-6-5"}, {"order_end_service", "2019-06-00"},
    {"order_crea_dt", "2014-06-21T14:31:08"}, {"order_crea_dt", "2014-06-21 24:00:00"},
    {"order_crea_dt", "2014-06-21"}, {"order_crea_dt", "2014-06-21 14:31"},
    {"order_amount", ""}, {"order_amount", ".5"}, {"order_amount", "-1"}, {"order_amount", "1e3"},
    {"order_amount", "1,5"}, {"order_amount", "abc"}, {"order_amount", "1.2.3"},
    {"order_state", "7"}, {"order_state", "+10"}, {"order_state", "10.0"}, {"order_state", ""},
    {"order_state", "-0"}, {"order_state", " 10"},
    {NULL, NULL},
};

/* Control characters no field takes: BEL, ESC, DEL, U+0085 (C1). */
static const char *const CONTROLS[] = {"a\x07" "b", "\x1b[31m", "x\x7f", "x\xc2\x85", NULL};

/* Values each rule does accept, so the rules are not simply "reject everything". */
static const struct bad_value GOOD_VALUES[] = {
    {"customer_name", "line\nbreak\tand\rtab"}, {"customer_name", ""}, {"customer_email", "j\xc3\xb6hn@d\xc5\x93.fr"},
    {"customer_birthday", "2024-02-29"}, {"order_crea_dt", "2000-02-29 23:59:59"}, {"customer_gender", "female"},
    {"order_amount", "007.50"}, {"order_amount", "0"}, {"customer_lang", "de_DE"},
    {NULL, NULL},
};

/* The same successful changes on a fresh seed and on one that went through every failure. */
static void apply_later_changes(SpreadOrder *o)
{
    CHECK_OK(spread_order_set_customer_cookie(o, "sbt"));
    CHECK_OK(spread_order_set_consent(o, "newsletter", true));
    CHECK_OK(spread_order_set_custom_field(o, 9, "nine"));
    CHECK_OK(spread_order_add_product_attribute(o, "gift:yes"));
    CHECK_OK(spread_order_add_tag(o, "late"));
    CHECK_OK(spread_order_set_field(o, "coupon", "X1"));
    CHECK_OK(spread_order_set_order_state(o, 20));
}

static void validation_rules(void)
{
    SpreadOrder *o = seed_order();

    for (const struct bad_value *b = BAD_VALUES; b->field != NULL; b++) {
        text_setter set = text_setter_for(b->field);
        if (set != NULL) {
            CHECK_REJECTED(o, set(o, b->value), SPREAD_ERR_INVALID_VALUE, field_colon(b->field));
        }
        CHECK_REJECTED(o, spread_order_set_field(o, b->field, b->value), SPREAD_ERR_INVALID_VALUE,
                       field_colon(b->field));
    }
    for (const char *const *bad = CONTROLS; *bad != NULL; bad++) {
        for (const struct text_setter_entry *e = TEXT_SETTERS; e->field != NULL; e++) {
            CHECK_REJECTED(o, e->set(o, *bad), SPREAD_ERR_INVALID_VALUE, field_colon(e->field));
            CHECK_REJECTED(o, spread_order_set_field(o, e->field, *bad), SPREAD_ERR_INVALID_VALUE,
                           field_colon(e->field));
        }
        for (const struct text_setter_entry *e = LIST_SETTERS; e->field != NULL; e++) {
            CHECK_REJECTED(o, e->set(o, *bad), SPREAD_ERR_INVALID_VALUE, field_colon(e->field));
        }
        CHECK_REJECTED(o, spread_order_set_custom_field(o, 327, *bad), SPREAD_ERR_INVALID_VALUE, "custom_fields");
        CHECK_REJECTED(o, spread_order_set_consent(o, *bad, true), SPREAD_ERR_INVALID_VALUE, "consents");
        CHECK_REJECTED(o, spread_order_add_product_attribute(o, *bad), SPREAD_ERR_INVALID_VALUE, "product_attributes");
        CHECK_REJECTED(o, spread_order_set_field(o, "coupon", *bad), SPREAD_ERR_INVALID_VALUE, "coupon:");
        CHECK_REJECTED(o, spread_order_set_field(o, *bad, "x"), SPREAD_ERR_INVALID_VALUE, "field name");
    }
    for (const struct text_setter_entry *e = LIST_SETTERS; e->field != NULL; e++) {
        CHECK_REJECTED(o, e->set(o, ""), SPREAD_ERR_INVALID_VALUE, field_colon(e->field));
        /* A list is not a single value: set_field refuses it and points to the setter. */
        CHECK_REJECTED(o, spread_order_set_field(o, e->field, "x"), SPREAD_ERR_INVALID_VALUE, field_colon(e->field));
    }

    static const int32_t bad_states[] = {7, -1, 1, 11, 101, 1000, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_states / sizeof bad_states[0]; i++) {
        CHECK_REJECTED(o, spread_order_set_order_state(o, bad_states[i]), SPREAD_ERR_INVALID_VALUE, "order_state:");
    }
    CHECK_STATUS(spread_order_set_order_state(o, 7), SPREAD_ERR_INVALID_VALUE,
                 "order_state: 7 is not one of 0, 10, 20, 50, 100");
    const double bad_amounts[] = {-0.01, -1e300, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_amounts / sizeof bad_amounts[0]; i++) {
        CHECK_REJECTED(o, spread_order_set_order_amount(o, bad_amounts[i]), SPREAD_ERR_INVALID_VALUE,
                       "order_amount:");
    }

    CHECK_REJECTED(o, spread_order_set_custom_field(o, 0, "v"), SPREAD_ERR_INVALID_VALUE, "custom_fields");
    static const char *const bad_consents[] = {"", "a[b", "a]b", "news letter\n", NULL};
    for (const char *const *n = bad_consents; *n != NULL; n++) {
        CHECK_REJECTED(o, spread_order_set_consent(o, *n, true), SPREAD_ERR_INVALID_VALUE, "consents");
    }
    static const char *const bad_attributes[] = {"", "size", ":xl", "size:", NULL};
    for (const char *const *a = bad_attributes; *a != NULL; a++) {
        CHECK_REJECTED(o, spread_order_add_product_attribute(o, *a), SPREAD_ERR_INVALID_VALUE, "product_attributes");
    }
    static const char *const bad_names[] = {"", "a[b]", "a]", "[", NULL};
    for (const char *const *n = bad_names; *n != NULL; n++) {
        CHECK_REJECTED(o, spread_order_set_field(o, *n, "x"), SPREAD_ERR_INVALID_VALUE, "field name");
    }
    static const char *const structured[] = {"custom_fields", "consents", "product_attributes", NULL};
    for (const char *const *n = structured; *n != NULL; n++) {
        CHECK_REJECTED(o, spread_order_set_field(o, *n, "x"), SPREAD_ERR_INVALID_VALUE, field_colon(*n));
    }

    /* After all that, the order behaves exactly like a fresh seed (no half-made entries). */
    SpreadOrder *fresh = seed_order();
    apply_later_changes(o);
    apply_later_changes(fresh);
    char *a = spread_order_encode(o), *b = spread_order_encode(fresh);
    CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
    spread_string_free(a);
    spread_string_free(b);
    spread_order_free(fresh);

    /* A copy changes apart from its original, and owns its own memory. */
    SpreadOrder *copy = spread_order_clone(o);
    CHECK(copy != NULL);
    a = spread_order_encode(o);
    CHECK_OK(spread_order_set_customer_name(copy, "Copy"));
    CHECK_OK(spread_order_set_custom_field(copy, 4242, "only in the copy"));
    b = spread_order_encode(o);
    char *changed = spread_order_encode(copy);
    CHECK(a != NULL && b != NULL && changed != NULL && strcmp(a, b) == 0);
    CHECK(strstr(a, "4242") == NULL && strstr(changed, "customer_name%5D=Copy") != NULL &&
          strstr(changed, "4242%5D=only+in+the+copy") != NULL);
    spread_string_free(a);
    spread_string_free(b);
    spread_string_free(changed);
    spread_order_free(copy);

    for (const struct bad_value *g = GOOD_VALUES; g->field != NULL; g++) {
        CHECK_OK(spread_order_set_field(o, g->field, g->value));
    }
    static const int32_t good_states[] = {0, 10, 20, 50, 100};
    for (size_t i = 0; i < sizeof good_states / sizeof good_states[0]; i++) {
        CHECK_OK(spread_order_set_order_state(o, good_states[i]));
    }
    CHECK_OK(spread_order_set_order_amount(o, 0.0));
    spread_order_free(o);
}

/* ------------------------------------------------------------------ missing fields */

enum { HAS_EMAIL = 1, HAS_EXTERNAL_ID = 2, HAS_ID = 4, HAS_STATE = 8, HAS_AMOUNT = 16, HAS_DATE = 32, ALL = 63 };

static SpreadOrder *minimal_order(int parts)
{
    SpreadOrder *o = spread_order_new();
    if (parts & HAS_EMAIL) CHECK_OK(spread_order_set_customer_email(o, "john@doe.com"));
    if (parts & HAS_EXTERNAL_ID) CHECK_OK(spread_order_set_external_id(o, "12345xxx6789"));
    if (parts & HAS_ID) CHECK_OK(spread_order_set_order_idorder(o, "0000009"));
    if (parts & HAS_STATE) CHECK_OK(spread_order_set_order_state(o, 10));
    if (parts & HAS_AMOUNT) CHECK_OK(spread_order_set_order_amount(o, 1.5));
    if (parts & HAS_DATE) CHECK_OK(spread_order_set_order_crea_dt(o, "2014-06-21 14:31:08"));
    CHECK_OK(spread_order_set_customer_name(o, "Doe")); /* optional fields do not stand in for required ones */
    return o;
}

static void missing_fields(void)
{
    static const struct {
        int parts;
        const char *named;
    } cases[] = {
        {0, "customer_email"},
        {ALL & ~(HAS_EMAIL | HAS_EXTERNAL_ID), "external_id"},
        {ALL & ~HAS_ID, "order_idorder"},
        {ALL & ~HAS_STATE, "order_state"},
        {ALL & ~HAS_AMOUNT, "order_amount"},
        {ALL & ~HAS_DATE, "order_crea_dt"},
    };
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    /* If a send got past validation it would fail with SPREAD_ERR_NETWORK instead. */
    CHECK_OK(spread_client_set_base_url(c, closed_url));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SpreadOrder *o = minimal_order(cases[i].parts);
        CHECK_STATUS(spread_order_validate(o), SPREAD_ERR_MISSING_FIELD, cases[i].named);
        int dummy;
        SpreadResponse *r = (SpreadResponse *)&dummy;
        CHECK_STATUS(spread_send(c, o, &r), SPREAD_ERR_MISSING_FIELD, cases[i].named);
        CHECK(r == NULL);
        spread_order_free(o);
    }
    /* Either customer identifier is enough. */
    SpreadOrder *o = minimal_order(ALL & ~HAS_EMAIL);
    CHECK_OK(spread_order_validate(o));
    spread_order_free(o);
    o = minimal_order(ALL & ~HAS_EXTERNAL_ID);
    CHECK_OK(spread_order_validate(o));
    spread_order_free(o);
    /* An empty order encodes to an empty body, as http_build_query(array()) does. */
    o = spread_order_new();
    char *body = spread_order_encode(o);
    CHECK(body != NULL && body[0] == '\0');
    spread_string_free(body);
    spread_order_free(o);
    spread_client_free(c);
}

/* ------------------------------------------------------------------ configuration, closed port */

static void config_errors(void)
{
    CHECK(spread_client_new("", "PRIVATE_KEY") == NULL);
    CHECK(last_error_has("public_key"));
    CHECK(spread_client_new("PUBLIC_KEY", "") == NULL);
    CHECK(last_error_has("private_key"));
    CHECK(spread_client_new("PUB:LIC", "PRIVATE_KEY") == NULL);
    CHECK(last_error_has("public_key"));
    CHECK(spread_client_new("PUBLIC_KEY", "TOPSECRET\x01") == NULL);
    CHECK(last_error_has("private_key") && !last_error_has("TOPSECRET"));

    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(c, closed_url));
    static const char *const bad_urls[] = {
        "ftp://127.0.0.1/api",
        "not a url",
        "",
        "http://",
        "https://social-sb.com/api?debug=1",
        NULL,
    };
    for (const char *const *u = bad_urls; *u != NULL; u++) {
        CHECK_STATUS(spread_client_set_base_url(c, *u), SPREAD_ERR_CONFIG, "base_url");
    }
    CHECK_STATUS(spread_client_set_base_url(c, "http://PUBLIC_KEY:TOPSECRET@127.0.0.1:9/api"), SPREAD_ERR_CONFIG,
                 "base_url");
    /* Plain http off loopback is accepted alone (allow_insecure_http may come after): refused at first use. */
    CHECK_OK(spread_client_set_base_url(c, "http://10.0.0.1/api"));
    CHECK_STATUS(spread_client_check(c), SPREAD_ERR_CONFIG, "base_url: plain http to 10.0.0.1");
    CHECK(last_error_has("allow_insecure_http"));
    CHECK_OK(spread_client_set_base_url(c, closed_url));
    CHECK(!last_error_has("TOPSECRET"));
    CHECK_STATUS(spread_client_set_timeout_ms(c, 0), SPREAD_ERR_CONFIG, "timeout");
    CHECK_STATUS(spread_client_set_connect_timeout_ms(c, 0), SPREAD_ERR_CONFIG, "connect_timeout");
    CHECK_STATUS(spread_client_set_ca_file(c, "/nonexistent/spread-ca.pem"), SPREAD_ERR_CONFIG, "ca_file");
    CHECK_STATUS(spread_client_set_ca_file(c, "/dev/null"), SPREAD_ERR_CONFIG, "ca_file");
    CHECK_STATUS(spread_client_set_max_attempts(c, 0), SPREAD_ERR_CONFIG, "max_attempts");
    CHECK_STATUS(spread_client_set_delivery_concurrency(c, 0), SPREAD_ERR_CONFIG, "delivery_concurrency");
    CHECK_STATUS(spread_client_set_delivery_concurrency(c, 33), SPREAD_ERR_CONFIG, "delivery_concurrency");
    CHECK(spread_client_set_delivery_concurrency(c, 32) == SPREAD_OK);
    size_t delivered = 7, remaining = 7, pending = 7;
    CHECK_STATUS(spread_flush(c, &delivered, &remaining), SPREAD_ERR_CONFIG, "spool_dir"); /* no spool set */
    CHECK(delivered == 0 && remaining == 0);
    CHECK_STATUS(spread_spool_pending(c, &pending), SPREAD_ERR_CONFIG, "spool_dir");

    /* Failed setters left the client as it was: it still sends to the closed port, within its timeout
     * (retries included). */
    SpreadOrder *o = seed_order();
    CHECK_OK(spread_client_set_timeout_ms(c, 3000));
    long long t0 = now_ms();
    CHECK_STATUS(spread_send(c, o, NULL), SPREAD_ERR_NETWORK, closed_target);
    CHECK(now_ms() - t0 < 3500);
    CHECK(!last_error_has("PRIVATE_KEY"));

    static const char *const good_urls[] = {
        "https://social-sb.com/api", "https://social-sb.com/api/", "http://localhost:9/api",
        "http://127.0.0.2:9/api", "http://[::1]:9/api", NULL,
    };
    for (const char *const *u = good_urls; *u != NULL; u++) {
        CHECK_OK(spread_client_set_base_url(c, *u));
    }
    /* Plain http to a remote host before allow_insecure_http: accepted alone, refused at first
     * use naming both options (nothing sent), fine once allowed. */
    CHECK_OK(spread_client_set_base_url(c, "http://example.com/api"));
    CHECK_STATUS(spread_client_check(c), SPREAD_ERR_CONFIG, "allow_insecure_http");
    CHECK_STATUS(spread_send(c, o, NULL), SPREAD_ERR_CONFIG, "base_url: plain http to example.com");
    CHECK(last_error_has("allow_insecure_http"));
    CHECK_OK(spread_client_set_allow_insecure_http(c, true));
    CHECK_OK(spread_client_check(c));
    CHECK_OK(spread_client_set_connect_timeout_ms(c, 100));
    spread_order_free(o);
    spread_client_free(c);
}

/* The option table: names, types and defaults; each default can be set back by name. */
static void option_table(void)
{
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    size_t n = spread_option_count();
    CHECK(n >= 13);
    for (size_t i = 0; i < n; i++) {
        const char *name = spread_option_name(i);
        CHECK(name != NULL && spread_option_type(i) != NULL && spread_option_default(i) != NULL);
        if (name != NULL && strcmp(name, "spool_dir") != 0) {
            CHECK_OK(spread_client_set_option(c, name, spread_option_default(i)));
        }
    }
    CHECK(spread_option_name(n) == NULL && spread_option_type(n) == NULL && spread_option_default(n) == NULL && spread_option_env(n) == NULL);
    CHECK(strcmp(spread_option_env(0), "SPREAD_BASE_URL") == 0 && spread_option_env(2) == NULL); /* base_url, timeout_ms */
    CHECK(strcmp(spread_option_name(0), "base_url") == 0 && strcmp(spread_option_type(0), "string") == 0);
    CHECK_STATUS(spread_client_set_option(c, "timeout", "5"), SPREAD_ERR_CONFIG, "timeout: unknown option; the options are base_url, ");
    CHECK_STATUS(spread_client_set_option(c, "max_attempts", "-1"), SPREAD_ERR_CONFIG, "max_attempts: \"-1\" is not a whole number");
    CHECK_STATUS(spread_client_set_option(c, "spool_dir", ""), SPREAD_ERR_CONFIG, "spool_dir: is empty");
    CHECK_OK(spread_client_set_option(c, "base_url", "http://example.com/api")); /* any order */
    CHECK_OK(spread_client_set_option(c, "allow_insecure_http", "true"));
    CHECK_OK(spread_client_check(c));
    spread_client_free(c);
}

/* ------------------------------------------------------------------ names, version, fields */

static void names_and_version(const char *expected_version)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {SPREAD_OK, "SPREAD_OK"}, {SPREAD_QUEUED, "SPREAD_QUEUED"},
        {SPREAD_ERR_NULL_ARGUMENT, "SPREAD_ERR_NULL_ARGUMENT"}, {SPREAD_ERR_INVALID_UTF8, "SPREAD_ERR_INVALID_UTF8"},
        {SPREAD_ERR_INVALID_VALUE, "SPREAD_ERR_INVALID_VALUE"}, {SPREAD_ERR_MISSING_FIELD, "SPREAD_ERR_MISSING_FIELD"},
        {SPREAD_ERR_CONFIG, "SPREAD_ERR_CONFIG"}, {SPREAD_ERR_NETWORK, "SPREAD_ERR_NETWORK"},
        {SPREAD_ERR_TIMEOUT, "SPREAD_ERR_TIMEOUT"}, {SPREAD_ERR_TLS, "SPREAD_ERR_TLS"},
        {SPREAD_ERR_REDIRECT, "SPREAD_ERR_REDIRECT"}, {SPREAD_ERR_AUTH, "SPREAD_ERR_AUTH"},
        {SPREAD_ERR_REJECTED, "SPREAD_ERR_REJECTED"}, {SPREAD_ERR_SERVER, "SPREAD_ERR_SERVER"},
        {SPREAD_ERR_ENDPOINT, "SPREAD_ERR_ENDPOINT"},
        {SPREAD_ERR_IO, "SPREAD_ERR_IO"}, {SPREAD_ERR_PANIC, "SPREAD_ERR_PANIC"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *got = spread_status_name(names[i].code);
        t_checks++;
        if (got == NULL || strcmp(got, names[i].name) != 0) {
            t_fail(__FILE__, __LINE__, "spread_status_name(%d) = %s, expected %s", names[i].code,
                   got ? got : "NULL", names[i].name);
        }
    }
    static const int unknown[] = {-1, 2, 9, 15, 24, 34, 98, 100, 1000, INT32_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *got = spread_status_name(unknown[i]);
        CHECK(got != NULL && strcmp(got, "SPREAD_UNKNOWN_STATUS") == 0);
    }

    CHECK(spread_version() != NULL && strcmp(spread_version(), expected_version) == 0);
    printf("version: %s\n", spread_version());

    /* Every scalar field the library lists has a setter here, and the other way round. */
    size_t n = 0;
    for (const char *name; (name = spread_field_name(n)) != NULL; n++) {
        t_checks++;
        if (text_setter_for(name) == NULL && strcmp(name, "order_state") != 0) {
            t_fail(__FILE__, __LINE__, "field %s has no setter in TEXT_SETTERS", name);
        }
    }
    size_t with_setters = 0;
    while (TEXT_SETTERS[with_setters].field != NULL) {
        with_setters++;
    }
    CHECK(n == with_setters + 1); /* + order_state, set from an int */
}

/* ------------------------------------------------------------------ thread-local last error */

static pthread_barrier_t both_failed;

struct failing_thread {
    int which;
    char initial[64];
    char seen[256];
};

static void *fail_in_thread(void *arg)
{
    struct failing_thread *t = arg;
    SpreadOrder *o = spread_order_new();
    snprintf(t->initial, sizeof t->initial, "%s", spread_last_error());
    if (t->which == 0) {
        CHECK_STATUS(spread_order_set_order_state(o, 7), SPREAD_ERR_INVALID_VALUE, NULL);
    } else {
        CHECK_STATUS(spread_order_set_customer_email(o, "nope"), SPREAD_ERR_INVALID_VALUE, NULL);
    }
    pthread_barrier_wait(&both_failed); /* both threads have failed before either reads */
    CHECK_OK(spread_order_set_customer_name(o, "Doe")); /* a success does not clear the error */
    snprintf(t->seen, sizeof t->seen, "%s", spread_last_error());
    spread_order_free(o);
    return NULL;
}

static void last_error_per_thread(void)
{
    CHECK_STATUS(spread_client_set_timeout_ms(NULL, 1), SPREAD_ERR_NULL_ARGUMENT, "client: is NULL");
    struct failing_thread t[2] = {{.which = 0}, {.which = 1}};
    pthread_t th[2];
    CHECK(pthread_barrier_init(&both_failed, NULL, 2) == 0);
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_create(&th[i], NULL, fail_in_thread, &t[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_barrier_destroy(&both_failed);
    CHECK(t[0].initial[0] == '\0' && t[1].initial[0] == '\0');
    CHECK(strncmp(t[0].seen, "order_state: 7", 14) == 0);
    CHECK(strncmp(t[1].seen, "customer_email:", 15) == 0);
    CHECK(strcmp(spread_last_error(), "client: is NULL") == 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXPECTED_VERSION CLOSED_PORT_BASE_URL\n", argv[0]);
        return 2;
    }
    closed_url = argv[2];
    if (sscanf(closed_url, "http://%63[^/]", closed_target) != 1) {
        fprintf(stderr, "bad CLOSED_PORT_BASE_URL %s\n", closed_url);
        return 2;
    }
    CHECK(spread_last_error() != NULL && spread_last_error()[0] == '\0'); /* before any failure */
    null_arguments();
    invalid_utf8();
    validation_rules();
    missing_fields();
    config_errors();
    option_table();
    names_and_version(argv[1]);
    last_error_per_thread();
    return t_report();
}

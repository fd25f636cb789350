/*
 * The seed integration's order (the PHP integration guide's $post_data, whose
 * http_build_query is tests/fixtures/seed_body.txt), built through the C API's
 * setters field by field in the seed's order. The one copy in C: the demo
 * (scripts/send_seed_order.c), the C tests (tests/c/common.c) and the
 * benchmark (bench/c_send.c) include it.
 *
 *   #include "spread.h"
 *   #include "seed_order.h"
 *   SpreadOrder *o = spread_order_new();
 *   int status = seed_order_fill(o, "0000001");
 */
#ifndef SPREAD_SEED_ORDER_H
#define SPREAD_SEED_ORDER_H

#include "spread.h"

/* Stops at the first setter that fails: its status, and spread_last_error() says why. */
#define SEED_ORDER_STEP(call)                                                  \
  do {                                                                         \
    int seed_status_ = (call);                                                 \
    if (seed_status_ != SPREAD_OK) return seed_status_;                        \
  } while (0)

/* Sets the seed's fields on `o` with order_idorder `id` (the seed's is "0000001"); no
 * customer_cookie, which the seed sets only when the browser sent one. Returns
 * SPREAD_OK or the first failing setter's status. */
static inline int seed_order_fill(SpreadOrder *o, const char *id) {
  /* Profile. */
  SEED_ORDER_STEP(spread_order_set_customer_email(o, "john@doe.com"));
  SEED_ORDER_STEP(spread_order_set_external_id(o, "12345xxx6789"));
  SEED_ORDER_STEP(spread_order_set_customer_name(o, "Doe"));
  SEED_ORDER_STEP(spread_order_set_customer_firstname(o, "John"));
  SEED_ORDER_STEP(spread_order_set_customer_gender(o, "male"));
  SEED_ORDER_STEP(spread_order_set_customer_address(o, "8, rue de la place"));
  SEED_ORDER_STEP(spread_order_set_customer_address_2(o, "b\xc3\xa2timent A"));
  SEED_ORDER_STEP(spread_order_set_customer_address_3(o, "appartement 23"));
  SEED_ORDER_STEP(spread_order_set_customer_cp(o, "76000"));
  SEED_ORDER_STEP(spread_order_set_customer_city(o, "Rouen"));
  SEED_ORDER_STEP(spread_order_set_customer_country(o, "FR"));
  SEED_ORDER_STEP(spread_order_set_customer_tel(o, "0235000000"));
  SEED_ORDER_STEP(spread_order_set_customer_mobile(o, "060606606"));
  SEED_ORDER_STEP(spread_order_set_customer_fonction(o, "developer"));
  SEED_ORDER_STEP(spread_order_set_customer_company(o, "SPREAD"));
  SEED_ORDER_STEP(spread_order_set_customer_birthday(o, "1970-12-31"));
  SEED_ORDER_STEP(spread_order_set_customer_lang(o, "fr_FR"));
  SEED_ORDER_STEP(spread_order_add_tag(o, "tag1"));
  SEED_ORDER_STEP(spread_order_add_tag(o, "tag2"));
  SEED_ORDER_STEP(spread_order_del_tag(o, "tag3"));
  SEED_ORDER_STEP(spread_order_del_tag(o, "tag4"));
  SEED_ORDER_STEP(spread_order_set_action(o, "order"));
  SEED_ORDER_STEP(spread_order_set_custom_field(o, 327, "value"));
  /* Order. */
  SEED_ORDER_STEP(spread_order_set_order_idorder(o, id));
  SEED_ORDER_STEP(spread_order_set_order_state(o, 10));
  SEED_ORDER_STEP(spread_order_set_order_amount(o, 158.31));
  SEED_ORDER_STEP(spread_order_set_order_crea_dt(o, "2014-06-21 14:31:08"));
  SEED_ORDER_STEP(spread_order_set_order_start_service(o, "2019-06-05"));
  SEED_ORDER_STEP(spread_order_set_order_end_service(o, "2019-06-14"));
  SEED_ORDER_STEP(spread_order_add_product(o));
  SEED_ORDER_STEP(spread_order_add_product_attribute(o, "size:xl"));
  SEED_ORDER_STEP(spread_order_add_product_attribute(o, "type:shirt"));
  SEED_ORDER_STEP(spread_order_add_product(o));
  SEED_ORDER_STEP(spread_order_add_product_attribute(o, "size:s"));
  SEED_ORDER_STEP(spread_order_add_product_attribute(o, "color:blue"));
  SEED_ORDER_STEP(spread_order_add_order_tag(o, "tag_commande_1"));
  SEED_ORDER_STEP(spread_order_add_order_tag(o, "tag_commande_2"));
  SEED_ORDER_STEP(spread_order_del_order_tag(o, "tag_commande_3"));
  SEED_ORDER_STEP(spread_order_del_order_tag(o, "tag_commande_4"));
  return SPREAD_OK;
}

#undef SEED_ORDER_STEP

#endif

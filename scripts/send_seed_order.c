/*
 * The seed integration's order, sent through the C API: what a C or C++
 * point-of-sale system writes instead of the PHP curl block.
 *
 *   cc -Iinclude scripts/send_seed_order.c -Ltarget/release -lspread -o send_seed_order
 *   ./send_seed_order http://127.0.0.1:8080/api
 */
#include <stdio.h>
#include <stdlib.h>

#include "spread.h"

/* Stops at the first failure with the library's own explanation. */
#define TRY(call)                                                              \
  do {                                                                         \
    int status_ = (call);                                                      \
    if (status_ != SPREAD_OK) {                                                \
      fprintf(stderr, "%s: %s\n", spread_status_name(status_),                 \
              spread_last_error());                                            \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

int main(int argc, char **argv) {
  const char *pub = getenv("SPREAD_PUBLIC_KEY");
  const char *priv = getenv("SPREAD_PRIVATE_KEY");
  SpreadClient *client = spread_client_new(pub ? pub : "PUBLIC_KEY", priv ? priv : "PRIVATE_KEY");
  if (client == NULL) {
    fprintf(stderr, "%s\n", spread_last_error());
    return 1;
  }
  if (argc > 1) TRY(spread_client_set_base_url(client, argv[1]));
  TRY(spread_client_set_timeout_ms(client, 10000));

  SpreadOrder *o = spread_order_new();
  TRY(spread_order_set_customer_email(o, "john@doe.com"));
  TRY(spread_order_set_external_id(o, "12345xxx6789"));
  TRY(spread_order_set_customer_name(o, "Doe"));
  TRY(spread_order_set_customer_firstname(o, "John"));
  TRY(spread_order_set_customer_gender(o, "male"));
  TRY(spread_order_set_customer_address(o, "8, rue de la place"));
  TRY(spread_order_set_customer_address_2(o, "bâtiment A"));
  TRY(spread_order_set_customer_address_3(o, "appartement 23"));
  TRY(spread_order_set_customer_cp(o, "76000"));
  TRY(spread_order_set_customer_city(o, "Rouen"));
  TRY(spread_order_set_customer_country(o, "FR"));
  TRY(spread_order_set_customer_tel(o, "0235000000"));
  TRY(spread_order_set_customer_mobile(o, "060606606"));
  TRY(spread_order_set_customer_fonction(o, "developer"));
  TRY(spread_order_set_customer_company(o, "SPREAD"));
  TRY(spread_order_set_customer_birthday(o, "1970-12-31"));
  TRY(spread_order_set_customer_lang(o, "fr_FR"));
  TRY(spread_order_add_tag(o, "tag1"));
  TRY(spread_order_add_tag(o, "tag2"));
  TRY(spread_order_del_tag(o, "tag3"));
  TRY(spread_order_del_tag(o, "tag4"));
  TRY(spread_order_set_action(o, "order"));
  TRY(spread_order_set_custom_field(o, 327, "value"));
  TRY(spread_order_set_order_idorder(o, "0000001"));
  TRY(spread_order_set_order_state(o, 10));
  TRY(spread_order_set_order_amount(o, 158.31));
  TRY(spread_order_set_order_crea_dt(o, "2014-06-21 14:31:08"));
  TRY(spread_order_set_order_start_service(o, "2019-06-05"));
  TRY(spread_order_set_order_end_service(o, "2019-06-14"));
  TRY(spread_order_add_product(o));
  TRY(spread_order_add_product_attribute(o, "size:xl"));
  TRY(spread_order_add_product_attribute(o, "type:shirt"));
  TRY(spread_order_add_product(o));
  TRY(spread_order_add_product_attribute(o, "size:s"));
  TRY(spread_order_add_product_attribute(o, "color:blue"));
  TRY(spread_order_add_order_tag(o, "tag_commande_1"));
  TRY(spread_order_add_order_tag(o, "tag_commande_2"));
  TRY(spread_order_del_order_tag(o, "tag_commande_3"));
  TRY(spread_order_del_order_tag(o, "tag_commande_4"));

  SpreadResponse *response = NULL;
  TRY(spread_send(client, o, &response));
  printf("%u\n%s\n", spread_response_status(response), spread_response_body(response));

  spread_response_free(response);
  spread_order_free(o);
  spread_client_free(client);
  return 0;
}

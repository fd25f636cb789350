/*
 * The seed integration's order (examples/seed_order.h), sent through the C API: what a C or C++
 * point-of-sale system writes instead of the PHP curl block.
 *
 *   cc -Iinclude scripts/send_seed_order.c -Ltarget/release -lspread -o send_seed_order
 *   ./send_seed_order http://127.0.0.1:8080/api
 */
#include <stdio.h>
#include <stdlib.h>

#include "spread.h"
#include "../examples/seed_order.h" /* the order itself, field by field */

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
  TRY(seed_order_fill(o, "0000001"));

  SpreadResponse *response = NULL;
  TRY(spread_send(client, o, &response));
  printf("%u\n%s\n", spread_response_status(response), spread_response_body(response));

  spread_response_free(response);
  spread_order_free(o);
  spread_client_free(client);
  return 0;
}

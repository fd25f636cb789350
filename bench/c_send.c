/*
 * The C side of `make bench` (bench/run.py compiles it against target/release).
 * Sends the seed order (tests/fixtures/spread-updateOrder-integration.txt) through
 * the C API and prints one JSON line of timings.
 *
 *   c_send seq  BASE_URL CA_FILE|- N WARMUP    N sends one after the other (one client,
 *                                              order_idorder 1..N), WARMUP untimed first
 *   c_send bulk BASE_URL CA_FILE|- N CONC      N prepared orders: CONC=0 -> a spread_send
 *                                              loop, else spread_send_many(CONC); fresh
 *                                              process, so connection setup is counted
 *   c_send rss  BASE_URL CA_FILE|- N1 N2       VmRSS after N1 and after N2 sends
 *   c_send encode - - N 0                      N spread_order_encode() of the seed order
 *   c_send durable DIR - N BYTES               no libspread: N durable writes of BYTES into DIR,
 *                                              each what spread_enqueue() does to the disk
 *                                              (write DIR/tmp/x.part, fsync, rename into DIR,
 *                                              fsync DIR), each timed: the floor of enqueue
 *
 * Every send must be delivered with HTTP 200: anything else stops the program
 * (exit 1) with the library's explanation, so a benchmark never times failures.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spread.h"
#include "../examples/seed_order.h"

#define TRY(call)                                                              \
  do {                                                                         \
    int status_ = (call);                                                      \
    if (status_ != SPREAD_OK) {                                                \
      fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__,                    \
              spread_status_name(status_), spread_last_error());               \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The seed's $post_data, field for field, with order_idorder `id`. */
static SpreadOrder *seed_order(const char *id) {
  SpreadOrder *o = spread_order_new();
  TRY(seed_order_fill(o, id));
  return o;
}

static void send_one(SpreadClient *c, SpreadOrder *o, long i) {
  char id[32];
  snprintf(id, sizeof id, "%07ld", i);
  TRY(spread_order_set_order_idorder(o, id));
  SpreadResponse *r = NULL;
  TRY(spread_send(c, o, &r));
  if (spread_response_status(r) != 200) {
    fprintf(stderr, "order %ld: HTTP %u\n", i, spread_response_status(r));
    exit(1);
  }
  spread_response_free(r);
}

/* `n` durable writes of `bytes` into `dir`, as a spool entry is written; each one's
 * seconds printed in "calls". */
static int durable(const char *dir, long n, long bytes) {
  char tmp[2048], part[4096], final[4096];
  char *data = malloc((size_t)bytes);
  memset(data, 'x', (size_t)bytes);
  if (strlen(dir) > 1000) {
    fprintf(stderr, "durable: %s: too long\n", dir);
    return 1;
  }
  snprintf(tmp, sizeof tmp, "%s/tmp", dir);
  if (mkdir(tmp, 0700) != 0) {
    perror(tmp);
    return 1;
  }
  double t0 = now();
  printf("{\"n\": %ld, \"calls\": [", n);
  for (long i = 0; i < n; i++) {
    double t = now();
    snprintf(part, sizeof part, "%s/%016lx.req.part", tmp, i);
    snprintf(final, sizeof final, "%s/%016lx.req", dir, i);
    int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, (size_t)bytes) != bytes || fsync(fd) != 0 || close(fd) != 0 ||
        rename(part, final) != 0) {
      perror(part);
      return 1;
    }
    int dfd = open(dir, O_RDONLY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0 || close(dfd) != 0) {
      perror(dir);
      return 1;
    }
    printf("%s%.9f", i ? ", " : "", now() - t);
  }
  printf("], \"seconds\": %.9f}\n", now() - t0);
  free(data);
  return 0;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: c_send seq|bulk|rss|encode BASE_URL CA_FILE|- A B | c_send durable DIR - N BYTES\n");
    return 2;
  }
  const char *mode = argv[1];
  long a = strtol(argv[4], NULL, 10), b = strtol(argv[5], NULL, 10);
  if (strcmp(mode, "durable") == 0) return durable(argv[2], a, b);

  if (strcmp(mode, "encode") == 0) {
    SpreadOrder *o = seed_order("0000001");
    size_t length = 0;
    double t0 = now();
    for (long i = 0; i < a; i++) {
      char *body = spread_order_encode(o);
      if (body == NULL) {
        fprintf(stderr, "%s\n", spread_last_error());
        return 1;
      }
      length = strlen(body);
      spread_string_free(body);
    }
    double dt = now() - t0;
    spread_order_free(o);
    if (length != 1436) {
      fprintf(stderr, "the seed body is %zu bytes, not 1436\n", length);
      return 1;
    }
    printf("{\"n\": %ld, \"seconds\": %.9f}\n", a, dt);
    return 0;
  }

  SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
  if (c == NULL) {
    fprintf(stderr, "%s\n", spread_last_error());
    return 1;
  }
  if (strcmp(argv[3], "-") != 0) TRY(spread_client_set_ca_file(c, argv[3]));
  TRY(spread_client_set_base_url(c, argv[2]));
  TRY(spread_client_set_max_attempts(c, 1)); /* a retry would hide a failure in the timing */

  if (strcmp(mode, "seq") == 0) {
    SpreadOrder *o = seed_order("0000001");
    for (long i = 0; i < b; i++) send_one(c, o, i + 1);
    double t0 = now();
    for (long i = 0; i < a; i++) send_one(c, o, i + 1);
    double dt = now() - t0;
    printf("{\"n\": %ld, \"seconds\": %.9f}\n", a, dt);
    spread_order_free(o);
  } else if (strcmp(mode, "bulk") == 0) {
    SpreadOrder **orders = calloc((size_t)a, sizeof *orders);
    int *statuses = calloc((size_t)a, sizeof *statuses);
    char id[32];
    for (long i = 0; i < a; i++) {
      snprintf(id, sizeof id, "%07ld", i + 1);
      orders[i] = seed_order(id);
    }
    double t0 = now();
    if (b == 0) {
      for (long i = 0; i < a; i++) {
        SpreadResponse *r = NULL;
        statuses[i] = spread_send(c, orders[i], &r);
        spread_response_free(r);
      }
    } else {
      /* Each order's own status lands in statuses[], checked below. */
      const int batch = spread_send_many(c, (const SpreadOrder *const *)orders, (size_t)a, (uint32_t)b, statuses);
      (void)batch;
    }
    double dt = now() - t0;
    for (long i = 0; i < a; i++) {
      if (statuses[i] != SPREAD_OK) {
        fprintf(stderr, "order %ld: %s (%s)\n", i, spread_status_name(statuses[i]), spread_last_error());
        return 1;
      }
      spread_order_free(orders[i]);
    }
    free(orders);
    free(statuses);
    printf("{\"n\": %ld, \"concurrency\": %ld, \"seconds\": %.9f}\n", a, b, dt);
  } else if (strcmp(mode, "rss") == 0) {
    SpreadOrder *o = seed_order("0000001");
    long i = 0;
    for (; i < a; i++) send_one(c, o, i + 1);
    long first = rss_kib();
    for (; i < b; i++) send_one(c, o, i + 1);
    long last = rss_kib();
    printf("{\"n1\": %ld, \"rss1_kib\": %ld, \"n2\": %ld, \"rss2_kib\": %ld}\n", a, first, b, last);
    spread_order_free(o);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  spread_client_free(c);
  return 0;
}

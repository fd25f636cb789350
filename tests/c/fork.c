/*
 * Fork safety (issue 21), as a C program that calls fork() sees it, against
 * tests/harness/verdicts.py (C… orders refused with 400, S… answered after
 * 400 ms, others 200; each answer names its order; /_verdicts/down: 503).
 *
 * 1. A client that sent once, then used on both sides of fork(): each side
 *    gets the verdict on its own orders, never the other's.
 * 2. A child forked while a flush runs, and one forked while a send is in
 *    flight, sleep and never call libspread: once the parent's flush or
 *    send is over, the next flush delivers and the next send is sent.
 *
 * usage: fork BASE_URL SPOOL_DIR
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { ROUNDS = 30 };

static const char *base_url;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static SpreadOrder *order(const char *id, int state)
{
    SpreadOrder *o = spread_order_new();
    char email[96];
    snprintf(email, sizeof email, "%s@example.com", id);
    if (spread_order_set_customer_email(o, email) != SPREAD_OK || spread_order_set_order_idorder(o, id) != SPREAD_OK
        || spread_order_set_order_state(o, state) != SPREAD_OK || spread_order_set_order_amount(o, 12.5) != SPREAD_OK
        || spread_order_set_order_crea_dt(o, "2024-01-02 03:04:05") != SPREAD_OK) {
        fprintf(stderr, "order %s: %s\n", id, spread_last_error());
        exit(3);
    }
    return o;
}

/* spread_send's status; the answer's body copied into `body` when there is one. */
static int send_one(SpreadClient *c, const char *id, int state, char *body, size_t size)
{
    SpreadOrder *o = order(id, state);
    SpreadResponse *r = NULL;
    int status = spread_send(c, o, &r);
    if (body != NULL) {
        snprintf(body, size, "%s", r != NULL ? spread_response_body(r) : spread_last_error());
    }
    spread_response_free(r);
    spread_order_free(o);
    return status;
}

/* The child's exit code, or -1 when it did not end within `limit_ms` (then it is killed). */
static int wait_child(pid_t pid, long limit_ms)
{
    long long until = now_ms() + limit_ms;
    for (;;) {
        int status = 0;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (now_ms() >= until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        sleep_ms(10);
    }
}

static pid_t sleeping_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        sleep(20); /* never calls libspread */
        _exit(0);
    }
    return pid;
}

static void crossing(void)
{
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(c, base_url));
    CHECK_OK(spread_client_set_max_attempts(c, 1));
    CHECK_OK(spread_client_set_timeout_ms(c, 5000));
    char body[512];
    CHECK_OK(send_one(c, "P-warm", 10, body, sizeof body));
    CHECK(strstr(body, "\"P-warm\"") != NULL);

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int crossed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            char id[32], want[64];
            snprintf(id, sizeof id, "C-%d", round);
            snprintf(want, sizeof want, "refused %s\"", id);
            int status = send_one(c, id, 10, body, sizeof body);
            if (status != SPREAD_ERR_REJECTED || strstr(body, want) == NULL) {
                fprintf(stderr, "child, order %s: status %d, %s\n", id, status, body);
                crossed++;
            }
        }
        _exit(crossed > 100 ? 100 : crossed);
    }
    int crossed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char id[32], want[64];
        snprintf(id, sizeof id, "P-%d", round);
        snprintf(want, sizeof want, "\"%s\"", id);
        int status = send_one(c, id, 10, body, sizeof body);
        if (status != SPREAD_OK || strstr(body, want) == NULL) {
            fprintf(stderr, "parent, order %s: status %d, %s\n", id, status, body);
            crossed++;
        }
    }
    int child_crossed = wait_child(child, 60000);
    printf("crossing: parent got %d other answers, child %d\n", crossed, child_crossed);
    CHECK(crossed == 0);
    CHECK(child_crossed == 0);
    spread_client_free(c);
}

struct flusher {
    SpreadClient *c;
    size_t delivered, remaining;
    int status;
};

static void *flush_thread(void *arg)
{
    struct flusher *f = arg;
    f->status = spread_flush(f->c, &f->delivered, &f->remaining);
    return NULL;
}

struct sender {
    SpreadClient *c;
    int status;
};

static void *send_thread(void *arg)
{
    struct sender *s = arg;
    s->status = send_one(s->c, "S-order", 10, NULL, 0);
    return NULL;
}

static SpreadClient *spool_client(const char *dir)
{
    SpreadClient *c = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(c, base_url));
    CHECK_OK(spread_client_set_max_attempts(c, 1));
    CHECK_OK(spread_client_set_spool_dir(c, dir));
    return c;
}

/* Queues `id` in the spool: the verdict server answers 503 while down. */
static void queue(SpreadClient *c, const char *id)
{
    CHECK_STATUS(send_one(c, id, 10, NULL, 0), SPREAD_QUEUED, NULL);
}

static void locks(const char *dir, SpreadClient *down, SpreadClient *up)
{
    SpreadClient *c = spool_client(dir);

    /* Two entries the flush will take 2 x 400 ms to deliver. */
    CHECK_STATUS(send_one(down, "x", 10, NULL, 0), SPREAD_OK, NULL);
    queue(c, "S-1");
    queue(c, "S-2");
    CHECK_STATUS(send_one(up, "x", 10, NULL, 0), SPREAD_OK, NULL);

    struct flusher f = {c, 0, 0, -1};
    pthread_t th;
    pthread_create(&th, NULL, flush_thread, &f);
    sleep_ms(150); /* the flush holds its lock, waiting for S-1's answer */
    pid_t child = sleeping_child();
    pthread_join(th, NULL);
    CHECK_OK(f.status);
    CHECK(f.delivered == 2 && f.remaining == 0);

    CHECK_STATUS(send_one(down, "x", 10, NULL, 0), SPREAD_OK, NULL);
    queue(c, "F-3");
    CHECK_STATUS(send_one(up, "x", 10, NULL, 0), SPREAD_OK, NULL);
    /* Another client: its own open files, as another process would have. */
    SpreadClient *other = spool_client(dir);
    size_t delivered = 0, remaining = 99;
    long long started = now_ms();
    CHECK_OK(spread_flush(other, &delivered, &remaining));
    printf("flush after the forked flush: delivered %zu, remaining %zu\n", delivered, remaining);
    CHECK(delivered == 1 && remaining == 0); /* not "another flush is running" */
    CHECK(now_ms() - started < 10000);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    /* A send in flight (its order's lock held) when the child is forked. */
    struct sender s = {c, -1};
    pthread_create(&th, NULL, send_thread, &s);
    sleep_ms(150);
    child = sleeping_child();
    pthread_join(th, NULL);
    CHECK_OK(s.status);
    int again = send_one(other, "S-order", 20, NULL, 0);
    printf("send of the same order after the forked send: %d\n", again);
    CHECK_OK(again); /* not queued behind a lock the sleeping child keeps */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    spread_client_free(other);
    spread_client_free(c);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL SPOOL_DIR\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    /* The server's switches: clients whose updateOrder is under /_verdicts/down and /up. */
    char url[512];
    const char *slash = strrchr(base_url, '/');
    snprintf(url, sizeof url, "%.*s/_verdicts/down", (int)(slash - base_url), base_url);
    SpreadClient *down = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(down, url));
    snprintf(url, sizeof url, "%.*s/_verdicts/up", (int)(slash - base_url), base_url);
    SpreadClient *up = spread_client_new("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK_OK(spread_client_set_base_url(up, url));

    crossing();
    locks(argv[2], down, up);
    spread_client_free(down);
    spread_client_free(up);
    return t_report();
}

<?php
/*
 * Fork safety through the PHP binding (issue 21), as a queue worker that
 * calls pcntl_fork() sees it. argv: the base URL of tests/harness/verdicts.py
 * (C… orders refused with 400, S… answered after 400 ms, others 200, each
 * answer naming its order; …/_verdicts/down: 503 for all), a spool folder,
 * and the scenario:
 *
 *   crossing  a client sends once, then both processes send with it: the
 *             orders each side got the other's answer for
 *   locks     the delivery thread is flushing an enqueued order when a child
 *             that only sleeps is forked: does another client then flush,
 *             and send the same order, or find the locks still held?
 *
 * Prints one JSON object.
 */

declare(strict_types=1);

require dirname(__DIR__, 3) . '/bindings/php/autoload.php';

set_error_handler(static function (int $severity, string $message): bool {
    fwrite(STDERR, "PHP error: $message\n");
    exit(3);
});

[, $baseUrl, $spool, $scenario] = $argv;
const ROUNDS = 30;

/** @return array<string, mixed> */
function order(string $id, int $state = 10): array
{
    return ['data' => [
        'customer_email' => "$id@example.com",
        'order_idorder' => $id,
        'order_state' => $state,
        'order_amount' => 12.5,
        'order_crea_dt' => '2024-01-02 03:04:05',
    ]];
}

/** The child's exit code, or null when it did not end within $limit seconds (then it is killed). */
function wait_child(int $pid, float $limit): ?int
{
    $deadline = microtime(true) + $limit;
    while (true) {
        if (pcntl_waitpid($pid, $status, WNOHANG) === $pid) {
            return pcntl_wifexited($status) ? pcntl_wexitstatus($status) : 128 + pcntl_wtermsig($status);
        }
        if (microtime(true) >= $deadline) {
            posix_kill($pid, SIGKILL);
            pcntl_waitpid($pid, $status);
            return null;
        }
        usleep(10000);
    }
}

/** The verdict server's switch: a client whose updateOrder is under /_verdicts/down or /up. */
function switch_server(string $baseUrl, string $to): void
{
    $root = substr($baseUrl, 0, (int)strrpos($baseUrl, '/'));
    (new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', ['base_url' => "$root/_verdicts/$to"]))->updateOrder(order('switch'));
}

if ($scenario === 'crossing') {
    $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', ['base_url' => $baseUrl, 'max_attempts' => 1, 'timeout_ms' => 5000]);
    $warm = $client->updateOrder(order('P-warm'))->body(); // a pooled keep-alive connection now
    $pid = pcntl_fork();
    if ($pid === 0) {
        $crossed = 0;
        for ($n = 0; $n < ROUNDS; $n++) {
            try {
                $body = $client->updateOrder(order("C-$n"))->body();
                fwrite(STDERR, "child, order C-$n: delivered: $body\n");
                $crossed++;
            } catch (Spread\RejectedException $e) {
                if (!str_contains($e->getMessage(), "refused C-$n\"")) {
                    fwrite(STDERR, "child, order C-$n: {$e->getMessage()}\n");
                    $crossed++;
                }
            } catch (Spread\Exception $e) {
                fwrite(STDERR, "child, order C-$n: " . get_class($e) . ": {$e->getMessage()}\n");
                $crossed++;
            }
        }
        exit(min($crossed, 100)); // the client is freed in the child: the parent's stays usable
    }
    $crossed = [];
    for ($n = 0; $n < ROUNDS; $n++) {
        try {
            $response = $client->updateOrder(order("P-$n"));
            if ($response->status() !== 200 || !str_contains($response->body(), "\"P-$n\"")) {
                $crossed[] = "P-$n: {$response->status()} {$response->body()}";
            }
        } catch (Spread\Exception $e) {
            $crossed[] = "P-$n: " . get_class($e) . ": {$e->getMessage()}";
        }
    }
    $childCode = wait_child($pid, 60);
    $after = $client->updateOrder(order('P-after'))->body();
    echo json_encode(['warm' => $warm, 'parent_crossed' => $crossed, 'child_crossed' => $childCode, 'after' => $after]), "\n";
    exit(0);
}

// locks
$options = ['base_url' => $baseUrl, 'max_attempts' => 1, 'timeout_ms' => 5000, 'spool_dir' => $spool];
$client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
$client->enqueue(order('S-1')); // the delivery thread flushes it: 400 ms with the flush and order locks held
usleep(150000);
$pid = pcntl_fork();
if ($pid === 0) {
    sleep(20); // never calls libspread, and leaves without PHP's shutdown (which would)
    posix_kill(posix_getpid(), SIGKILL);
}
$deadline = microtime(true) + 10;
while ($client->pending() > 0 && microtime(true) < $deadline) {
    usleep(20000);
}
$delivered = $client->pending() === 0;

$other = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
switch_server($baseUrl, 'down');
$queued = $other->updateOrder(order('F-3'))->queued();
switch_server($baseUrl, 'up');
// Bounded: a flush finishing in the parent's thread may hold the lock a moment longer.
$flush = ['delivered' => 0, 'remaining' => -1];
$started = microtime(true);
while (microtime(true) - $started < 5) {
    $flush = $other->flush();
    if ($flush['remaining'] === 0) {
        break;
    }
    usleep(50000);
}
$flushSecs = round(microtime(true) - $started, 3);
$again = $other->updateOrder(order('S-1', 50));
posix_kill($pid, SIGKILL);
wait_child($pid, 10);
echo json_encode([
    'background_delivered' => $delivered,
    'queued' => $queued,
    'flush' => $flush,
    'flush_secs' => $flushSecs,
    'send_again_queued' => $again->queued(),
    'send_again_status' => $again->status(),
]), "\n";

<?php
/*
 * Sends N orders (argv[2], default 3000) to the SPREAD sandbox at argv[1] in
 * this one process, after a warm-up, and prints JSON with the VmRSS growth.
 * Each send goes through every owned native allocation the binding frees:
 * the order (drop-in updateOrder, or setters and send), the response, the
 * log records drained to a logger (debug level, one per attempt at least)
 * and the drop-in's warnings; every tenth order also fails a setter.
 * glibc's malloc_trim(0) before each reading gives freed pages back, so the
 * growth is what is still held, not what malloc keeps cached.
 */

declare(strict_types=1);

require dirname(__DIR__, 3) . '/bindings/php/autoload.php';

set_error_handler(static function (int $severity, string $message): bool {
    fwrite(STDERR, "PHP error: $message\n");
    exit(3);
});

final class CountingLogger
{
    public int $records = 0;

    /** @param array<string, mixed> $context */
    public function log(mixed $level, string|\Stringable $message, array $context = []): void
    {
        $this->records++;
    }
}

function rss_kb(): int
{
    static $libc = null;
    $libc ??= FFI::cdef('int malloc_trim(size_t pad);');
    gc_collect_cycles();
    $libc->malloc_trim(0);
    preg_match('/^VmRSS:\s+(\d+) kB/m', file_get_contents('/proc/self/status'), $m);
    return (int)$m[1];
}

function one_send(Spread\Client $client, int $i): int
{
    if ($i % 2 === 0) {
        $response = $client->updateOrder(['data' => [
            'customer_email' => "user$i@example.org",
            'customer_address_2' => 'bâtiment A',
            'customer_country' => 'fr', // a warning: owned strings too
            'order_idorder' => "M-$i",
            'order_state' => 20,
            'order_amount' => $i / 100,
            'order_crea_dt' => '2024-01-31 23:59:59',
            'add_tag' => ['vip'],
            'custom_fields' => [327 => 'value'],
            'product_attributes' => [['size:xl', 'type:shirt']],
        ]]);
    } else {
        $order = $client->newOrder()
            ->customerEmail("user$i@example.org")
            ->orderIdorder("M-$i")
            ->orderState(20)
            ->orderAmount($i / 100)
            ->orderCreaDt('2024-01-31 23:59:59')
            ->consent('NewsEmail', true)
            ->addProduct(['size:xl', 'type:shirt']);
        if ($i % 10 === 1) {
            try {
                $order->orderState(7);
            } catch (Spread\InvalidValueException) {
            }
        }
        $response = $client->send($order);
    }
    if ($response->status() !== 200) {
        fwrite(STDERR, "order $i: HTTP {$response->status()}\n");
        exit(4);
    }
    return strlen($response->body()) + count($response->warnings());
}

[$url, $n] = [$argv[1], (int)($argv[2] ?? 3000)];
$logger = new CountingLogger();
$client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', ['base_url' => $url, 'logger' => $logger, 'log_level' => 'debug']);
for ($i = 0; $i < 300; $i++) {
    one_send($client, $i);
}
$before = rss_kb();
$start = microtime(true);
$bytes = 0;
for ($i = 0; $i < $n; $i++) {
    $bytes += one_send($client, $i);
}
$after = rss_kb();
echo json_encode([
    'sends' => $n,
    'rss_before_kb' => $before,
    'rss_after_kb' => $after,
    'growth_kb' => $after - $before,
    'seconds' => round(microtime(true) - $start, 3),
    'answer_bytes' => $bytes,
    'log_records' => $logger->records,
]), "\n";

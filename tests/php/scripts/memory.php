<?php
/*
 * Builds, encodes and frees N orders (argv[1], default 100000) in this one
 * process after a 1,000-order warm-up; prints JSON with the VmRSS growth.
 * Every tenth order also fails a setter, so the error path is measured too.
 */

declare(strict_types=1);

require dirname(__DIR__, 3) . '/bindings/php/autoload.php';

set_error_handler(static function (int $severity, string $message): bool {
    fwrite(STDERR, "PHP error: $message\n");
    exit(3);
});

function rss_kb(): int
{
    preg_match('/^VmRSS:\s+(\d+) kB/m', file_get_contents('/proc/self/status'), $m);
    return (int)$m[1];
}

function one_order(int $i): int
{
    $order = (new Spread\Order())
        ->customerEmail("user$i@example.org")
        ->customerAddress2('bâtiment A')
        ->orderIdorder((string)$i)
        ->orderState(20)
        ->orderAmount($i / 100)
        ->orderCreaDt('2024-01-31 23:59:59')
        ->addTag('vip')
        ->customField(327, 'value')
        ->consent('NewsEmail', true)
        ->addProduct(['size:xl', 'type:shirt']);
    if ($i % 10 === 0) {
        try {
            $order->orderState(7);
        } catch (Spread\InvalidValueException) {
        }
    }
    return strlen($order->encode());
}

$n = (int)($argv[1] ?? 100000);
$bytes = 0;
for ($i = 0; $i < 1000; $i++) {
    $bytes += one_order($i);
}
gc_collect_cycles();
$before = rss_kb();
$start = microtime(true);
for ($i = 0; $i < $n; $i++) {
    $bytes += one_order($i);
}
gc_collect_cycles();
echo json_encode([
    'orders' => $n,
    'rss_before_kb' => $before,
    'rss_after_kb' => rss_kb(),
    'growth_kb' => rss_kb() - $before,
    'seconds' => round(microtime(true) - $start, 3),
    'bytes_encoded' => $bytes,
]), "\n";

<?php
/*
 * The PHP binding's side of `make bench`: the same $post_data as seed_curl.php,
 * sent with Spread\Client::updateOrder() (the two lines that replace the curl block).
 *
 * stdin: JSON {"base_url", "ca_file"?, "post_data", "n", "warmup", "mode"}
 *   mode "reuse":  one Client, n sends after `warmup` untimed ones (warmup 0: the
 *                  timing includes new Client and opening the connection);
 *   mode "per_order_client": new Spread\Client for each order, as a php-fpm request does
 *                  (clients with the same settings share the process's connections);
 *   mode "many":   Client::sendMany() of n orders with "concurrency" (fresh process:
 *                  opening the connections is counted).
 * stdout: JSON {"n", "seconds"}; exit 1 on any failure.
 */
declare(strict_types=1);

require __DIR__ . '/../bindings/php/autoload.php';

$in = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$post_data = $in['post_data'];
$n = (int)$in['n'];
$warmup = (int)($in['warmup'] ?? 1);
$mode = $in['mode'] ?? 'reuse';
$options = ['base_url' => $in['base_url'], 'max_attempts' => 1]; // a retry would hide a failure in the timing
if (isset($in['ca_file'])) {
    $options['ca_file'] = $in['ca_file'];
}
Spread\Library::get(); // loading the library (FFI::cdef) is per process, preloaded under php-fpm

$order = function (int $i) use (&$post_data): array {
    $post_data["data"]["order_idorder"] = $post_data["request"]["order_idorder"] = sprintf('%07d', $i + 1);
    return $post_data;
};

try {
    if ($mode === 'many') {
        $orders = [];
        for ($i = 0; $i < $n; $i++) {
            $orders[] = $order($i);
        }
        $t0 = hrtime(true);
        $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
        $batch = $client->sendMany($orders, (int)$in['concurrency']);
        $seconds = (hrtime(true) - $t0) / 1e9;
        if (!$batch->ok() || count($batch->delivered()) !== $n) {
            foreach ($batch->failed() as $result) {
                fwrite(STDERR, $result->exception()->getMessage() . "\n");
            }
            exit(1);
        }
    } elseif ($mode === 'per_order_client') {
        for ($i = 0; $i < $warmup + $n; $i++) {
            if ($i === $warmup) {
                $t0 = hrtime(true);
            }
            $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
            $response = $client->updateOrder($order($i));
            if ($response->status() !== 200) {
                throw new RuntimeException("order $i: HTTP " . $response->status());
            }
            unset($client);
        }
        $seconds = (hrtime(true) - $t0) / 1e9;
    } else {
        if ($warmup === 0) {
            $t0 = hrtime(true);
        }
        $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
        for ($i = 0; $i < $warmup + $n; $i++) {
            if ($i === $warmup && $warmup > 0) {
                $t0 = hrtime(true);
            }
            $response = $client->updateOrder($order($i));
            if ($response->status() !== 200) {
                throw new RuntimeException("order $i: HTTP " . $response->status());
            }
        }
        $seconds = (hrtime(true) - $t0) / 1e9;
    }
} catch (Throwable $e) {
    fwrite(STDERR, get_class($e) . ': ' . $e->getMessage() . "\n");
    exit(1);
}
echo json_encode(['n' => $n, 'seconds' => $seconds]), "\n";

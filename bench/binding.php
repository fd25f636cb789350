<?php
/*
 * The PHP binding's side of `make bench`: the same $post_data as seed_curl.php,
 * sent with Spread\Client::updateOrder() (the two lines that replace the curl block).
 *
 * stdin: JSON {"base_url", "ca_file"?, "post_data", "n", "warmup", "mode"}
 *   mode "reuse":  one Client, n sends after `warmup` untimed ones (warmup 0: the
 *                  timing includes new Client and opening the connection);
 *   mode "enqueue": one Client with "spool_dir", `warmup` untimed enqueue()s delivered
 *                  first (the delivery thread started, its connection open), then n
 *                  timed enqueue()s; then waits, polling pending() every "poll_ms", until
 *                  the delivery thread has delivered them all (fails after "wait_s");
 *   mode "per_order_client": new Spread\Client for each order, as a php-fpm request does
 *                  (clients with the same settings share the process's connections);
 *   mode "many":   Client::sendMany() of n orders with "concurrency" (fresh process:
 *                  opening the connections is counted).
 * stdout: JSON {"n", "seconds"}, "calls" (each call's seconds) in modes reuse and
 *   enqueue, "delivery_seconds" (first timed enqueue -> none pending) in mode enqueue;
 *   exit 1 on any failure.
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
    } elseif ($mode === 'enqueue') {
        $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options + ['spool_dir' => $in['spool_dir']]);
        $delivered = function () use ($client, $in): int {
            $deadline = hrtime(true) + (int)($in['wait_s'] * 1e9);
            while ($client->pending() > 0) {
                if (hrtime(true) > $deadline) {
                    throw new RuntimeException($client->pending() . " orders still pending after {$in['wait_s']} s: "
                        . json_encode($client->spoolStatus()));
                }
                usleep((int)($in['poll_ms'] * 1000));
            }
            return hrtime(true);
        };
        for ($i = 0; $i < $warmup; $i++) {
            $client->enqueue($order($i));
        }
        $delivered();
        $calls = [];
        $t0 = hrtime(true);
        for ($i = $warmup; $i < $warmup + $n; $i++) {
            $call = hrtime(true);
            $response = $client->enqueue($order($i));
            $calls[] = (hrtime(true) - $call) / 1e9;
            if (!$response->queued()) {
                throw new RuntimeException("order $i: enqueue() did not queue it");
            }
        }
        $seconds = (hrtime(true) - $t0) / 1e9;
        $deliverySeconds = ($delivered() - $t0) / 1e9;
        if (($status = $client->spoolStatus())['rejected'] !== 0) {
            throw new RuntimeException('orders set aside as rejected: ' . json_encode($status));
        }
    } else {
        if ($warmup === 0) {
            $t0 = hrtime(true);
        }
        $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
        $calls = [];
        for ($i = 0; $i < $warmup + $n; $i++) {
            if ($i === $warmup && $warmup > 0) {
                $t0 = hrtime(true);
            }
            $call = hrtime(true);
            $response = $client->updateOrder($order($i));
            if ($i >= $warmup) {
                $calls[] = (hrtime(true) - $call) / 1e9;
            }
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
$out = ['n' => $n, 'seconds' => $seconds];
if (isset($calls)) {
    $out['calls'] = $calls;
}
if (isset($deliverySeconds)) {
    $out['delivery_seconds'] = $deliverySeconds;
}
echo json_encode($out), "\n";

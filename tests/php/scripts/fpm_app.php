<?php
/*
 * The application script FpmPreloadTest runs inside php-fpm, through the
 * preloaded binding (no require of the binding: the classes come from
 * opcache.preload). ACTION "send" (the default) sends an order, then two more
 * with sendMany(); "enqueue" enqueues it (SPOOL_DIR) and returns; "enqueue-and-die"
 * enqueues it and kills this worker with SIGKILL at once. Reports, as JSON,
 * what happened and whether plain request code may call FFI::cdef (it must
 * not under ffi.enable=preload).
 * FastCGI params: SANDBOX_URL (API base URL), ORDER_ID, ACTION, SPOOL_DIR.
 */

declare(strict_types=1);

require __DIR__ . '/../Support/Seed.php';

header('Content-Type: application/json');
$report = ['sapi' => PHP_SAPI, 'ffi.enable' => ini_get('ffi.enable')];
try {
    $postData = Spread\Tests\Support\Seed::postData();
    $postData['data']['order_idorder'] = $postData['request']['order_idorder'] = $_SERVER['ORDER_ID'];
    $action = $_SERVER['ACTION'] ?? 'send';
    $options = ['base_url' => $_SERVER['SANDBOX_URL']] + (isset($_SERVER['SPOOL_DIR']) ? ['spool_dir' => $_SERVER['SPOOL_DIR']] : []);
    $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY', $options);
    if ($action !== 'send') {
        $start = microtime(true);
        $response = $client->enqueue($postData);
        if ($action === 'enqueue-and-die') {
            posix_kill(getmypid(), 9); // SIGKILL (pcntl, which names it, is CLI-only)
        }
        $report += ['queued' => $response->queued(), 'enqueue_ms' => (int)((microtime(true) - $start) * 1000), 'pid' => getmypid()];
        echo json_encode($report, JSON_UNESCAPED_SLASHES);
        return; // $client is freed after this: with shutdown_timeout_ms 0 under php-fpm, without waiting
    }
    $response = $client->updateOrder($postData);
    $report += ['status' => $response->status(), 'body' => $response->body(), 'library' => Spread\Library::get()->path];
    // sendMany builds its native arrays with FFI::new in the preloaded scope.
    $batch = [];
    foreach (['B1', 'B2'] as $suffix) {
        $postData['data']['order_idorder'] = $postData['request']['order_idorder'] = "{$_SERVER['ORDER_ID']}-$suffix";
        $batch[] = $suffix === 'B1' ? $postData : Spread\Order::fromArray($postData);
    }
    $report['batch'] = $client->sendMany($batch, 2)->statuses();
} catch (Throwable $e) {
    $report['error'] = get_class($e) . ': ' . $e->getMessage();
}
try {
    FFI::cdef('int abs(int);');
    $report['cdef'] = 'allowed';
} catch (Throwable $e) {
    $report['cdef'] = get_class($e) . ': ' . $e->getMessage();
}
$report['preloaded_classes'] = opcache_get_status(false)['preload_statistics']['classes'] ?? [];
echo json_encode($report, JSON_UNESCAPED_SLASHES);

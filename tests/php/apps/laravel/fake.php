<?php
/*
 * Spread::fake() in this application: a test's view. Handles POST /orders and
 * /orders/facade through the HTTP kernel with the fake swapped in, and prints
 * what the fake recorded as JSON.
 */

declare(strict_types=1);

use Spread\Laravel\Facades\Spread;
use Spread\Order;

$app = require __DIR__ . '/bootstrap/app.php';
$kernel = $app->make(Illuminate\Contracts\Http\Kernel::class);
$kernel->bootstrap();
$fake = Spread::fake();
$statuses = [];
foreach (['/orders' => 'F1', '/orders/facade' => 'F2', '/orders/job' => 'F3'] as $path => $id) {
    $request = Illuminate\Http\Request::create($path, 'POST', ['email' => 'fake@shop.fr', 'id' => $id, 'amount' => '12.50', 'created' => '2024-01-02T10:00:00+01:00']);
    $statuses[] = $kernel->handle($request)->getStatusCode();
}
$ids = static fn (array $orders): array => array_map(static fn (Order $o) => $o->toArray()['data']['order_idorder'], $orders);
echo json_encode(['statuses' => $statuses, 'queued' => $ids($fake->queued()), 'sent' => $ids($fake->sent()),
    'crea_dt' => $fake->queued()[0]->toArray()['data']['order_crea_dt'] ?? null]), "\n";

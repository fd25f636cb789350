<?php
/*
 * A SendOrder through Messenger's own PhpSerializer (what an async transport
 * stores), then handled by the bundle's handler from the container: what a
 * `messenger:consume` worker does with it. Prints the handled order's id.
 */

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use Spread\Symfony\Messenger\SendOrder;
use Spread\Symfony\Messenger\SendOrderHandler;
use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Transport\Serialization\PhpSerializer;

$kernel = new App\Kernel('prod', false);
$kernel->boot();
$order = (new Spread\Order())->customerEmail('worker@shop.fr')->orderIdorder($argv[1])->orderState(Spread\OrderState::Paid)
    ->orderAmount(9.99)->orderCreaDt(new DateTimeImmutable('2024-05-01 08:00:00', new DateTimeZone('Europe/Paris')));
$serializer = new PhpSerializer();
$stored = $serializer->encode(new Envelope(new SendOrder($order)));
$message = $serializer->decode($stored)->getMessage();
$kernel->getContainer()->get('test.service_container')->get(SendOrderHandler::class)($message);
echo $message->order->toArray()['data']['order_idorder'], "\n";

<?php

declare(strict_types=1);

namespace Spread\Symfony\Messenger;

use Spread\Order;

/**
 * A Messenger message carrying an order to SPREAD: `$bus->dispatch(new SendOrder($order))`.
 * Route it to an async transport; the order travels serialized as its body
 * (PhpSerializer, Messenger's default) and is checked again by the worker.
 */
final class SendOrder
{
    public function __construct(public readonly Order $order)
    {
    }
}

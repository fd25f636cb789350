<?php

declare(strict_types=1);

namespace Spread\Symfony\Messenger;

use Spread\ClientInterface;

/**
 * Sends a SendOrder's order. What the client throws fails the message, for
 * Messenger's retry strategy (resending is safe: SPREAD updates by
 * order_idorder); with a spool_dir an unreachable SPREAD queues it instead.
 */
final class SendOrderHandler
{
    public function __construct(private readonly ClientInterface $spread)
    {
    }

    public function __invoke(SendOrder $message): void
    {
        $this->spread->send($message->order);
    }
}

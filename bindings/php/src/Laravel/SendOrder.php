<?php

declare(strict_types=1);

namespace Spread\Laravel;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Spread\ClientInterface;
use Spread\Order;

/**
 * A queued job that sends an order from a worker: `SendOrder::dispatch($order)`.
 * The order travels serialized as its body and is checked again on the
 * worker. What the client throws fails the job, for Laravel to retry
 * (resending is safe: SPREAD updates by order_idorder); with a spool_dir
 * an unreachable SPREAD queues it instead.
 */
class SendOrder implements ShouldQueue
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;

    public int $tries = 5;

    /** @var list<int> seconds between attempts */
    public array $backoff = [10, 60, 300];

    public function __construct(public Order $order)
    {
    }

    public function handle(ClientInterface $spread): void
    {
        $spread->send($this->order);
    }
}

<?php

declare(strict_types=1);

namespace Spread\Laravel\Facades;

use Illuminate\Support\Facades\Facade;
use Spread\ClientInterface;
use Spread\Testing\FakeClient;

/**
 * The SPREAD client of the application (Spread\ClientInterface).
 *
 * @method static \Spread\Response send(\Spread\Order $order)
 * @method static \Spread\Response enqueue(\Spread\Order|array $order)
 * @method static \Spread\Response updateOrder(array $postData)
 * @method static \Spread\BatchResult sendMany(array $orders, int $concurrency = 8, ?callable $onProgress = null)
 * @method static array flush()
 * @method static int pending()
 * @method static array spoolStatus()
 * @method static array rejected()
 * @method static \Spread\Order newOrder()
 *
 * @see \Spread\Client
 */
class Spread extends Facade
{
    /**
     * Replaces the client, for the facade and for everything resolved from
     * the container afterwards, with a FakeClient, and returns it for assertions.
     *
     * @param array{spool?: bool} $options
     */
    public static function fake(array $options = []): FakeClient
    {
        static::swap($fake = new FakeClient($options));
        return $fake;
    }

    protected static function getFacadeAccessor(): string
    {
        return ClientInterface::class;
    }
}

<?php

declare(strict_types=1);

namespace Spread;

/**
 * What a SPREAD client does: Spread\Client (libspread) and
 * Spread\Testing\FakeClient (records orders, sends nothing) implement it.
 * Type your services against it to swap the fake in tests (Laravel's
 * Spread::fake() does so).
 *
 * @see Client for what each method does and throws
 */
interface ClientInterface
{
    /**
     * The seed's drop-in: sends $post_data as the seed's curl block did.
     *
     * @param array<array-key, mixed> $postData
     * @throws SpreadException
     */
    public function updateOrder(array $postData): Response;

    /** @throws SpreadException */
    public function send(Order $order): Response;

    /**
     * @param Order|array<array-key, mixed> $order
     * @throws SpreadException
     */
    public function enqueue(Order|array $order): Response;

    /**
     * @param array<array-key, Order|array<array-key, mixed>> $orders
     * @param (callable(int, int): void)|null $onProgress
     * @throws SpreadException
     */
    public function sendMany(array $orders, int $concurrency = 8, ?callable $onProgress = null): BatchResult;

    /**
     * @return array{delivered: int, remaining: int}
     * @throws SpreadException
     */
    public function flush(): array;

    /** @throws SpreadException */
    public function pending(): int;

    /**
     * @return array<string, int|null>
     * @throws SpreadException
     */
    public function spoolStatus(): array;

    /**
     * @return list<array<string, mixed>>
     * @throws SpreadException
     */
    public function rejected(): array;

    /** @throws SpreadException */
    public function requeue(?string $name = null): int;

    /** @throws SpreadException */
    public function purgeRejected(int $olderThanSecs = 0): int;

    /** @throws SpreadException */
    public function adopt(?string $fromBaseUrl = null, ?string $fromPublicKey = null): int;

    /** @throws SpreadException */
    public function newOrder(): Order;

    public function maxConcurrency(): int;
}

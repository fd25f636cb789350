<?php

declare(strict_types=1);

namespace Spread;

/**
 * The outcome of Client::sendMany(): one SendResult per order, keyed and
 * ordered as the orders were given. Iterate it, count() it, or pick:
 *
 *     $batch = $client->sendMany($orders);
 *     foreach ($batch->failed() as $i => $result) {
 *         error_log($result->exception()->getMessage()); // "orders[3]: order_crea_dt: is required..."
 *     }
 *
 * @implements \IteratorAggregate<int|string, SendResult>
 */
final class BatchResult implements \Countable, \IteratorAggregate
{
    /** @param array<int|string, SendResult> $results */
    public function __construct(private readonly array $results)
    {
    }

    /** The result of the order given under $index. @throws \OutOfBoundsException */
    public function get(int|string $index): SendResult
    {
        return $this->results[$index] ?? throw new \OutOfBoundsException("no order orders[$index] in this batch");
    }

    /** @return array<int|string, SendResult> every result, keyed as the orders given */
    public function all(): array
    {
        return $this->results;
    }

    /** @return array<int|string, SendResult> the orders SPREAD accepted, keyed as given */
    public function delivered(): array
    {
        return array_filter($this->results, fn (SendResult $r) => $r->delivered());
    }

    /** @return array<int|string, SendResult> the orders spooled for Client::flush(), keyed as given */
    public function queued(): array
    {
        return array_filter($this->results, fn (SendResult $r) => $r->queued());
    }

    /** @return array<int|string, SendResult> the orders that failed (see SendResult::exception()), keyed as given */
    public function failed(): array
    {
        return array_filter($this->results, fn (SendResult $r) => $r->failed());
    }

    /** True when every order was delivered or queued. */
    public function ok(): bool
    {
        return $this->failed() === [];
    }

    /** @return array<int|string, int> the C status of each order (Exception::OK, Exception::QUEUED or an error code) */
    public function statuses(): array
    {
        return array_map(fn (SendResult $r) => $r->status(), $this->results);
    }

    public function count(): int
    {
        return count($this->results);
    }

    /** @return \ArrayIterator<int|string, SendResult> */
    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->results);
    }
}

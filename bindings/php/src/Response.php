<?php

declare(strict_types=1);

namespace Spread;

/**
 * SPREAD's answer to a delivered order (a 2xx status and its body), or a
 * queued order (queued() true, status 0, empty body): enqueued, or spooled
 * because SPREAD could not take it now; Client::flush() or the background
 * delivery sends it later. A plain value: the native response is copied and
 * freed at once.
 */
final class Response
{
    /** @param list<string> $warnings */
    public function __construct(
        private readonly int $status,
        private readonly string $body,
        private readonly bool $queued = false,
        private readonly bool $truncated = false,
        private readonly array $warnings = [],
    ) {
    }

    /** The HTTP status (2xx); 0 when queued. */
    public function status(): int
    {
        return $this->status;
    }

    /** The body SPREAD answered, such as {"status":"ok",...} (at most 1 MiB, see truncated()); "" when queued. */
    public function body(): string
    {
        return $this->body;
    }

    /** True when the order was spooled (enqueue(), or SPREAD unreachable with spool_dir) instead of delivered now. */
    public function queued(): bool
    {
        return $this->queued;
    }

    /** True when SPREAD's answer was longer than 1 MiB and body() holds its start (the order was delivered all the same). */
    public function truncated(): bool
    {
        return $this->truncated;
    }

    /**
     * What the drop-in (updateOrder, Order::fromArray) sent as is although it
     * breaks a field's rule, such as 'customer_country: "fr" is not ... (sent as is)'.
     *
     * @return list<string>
     */
    public function warnings(): array
    {
        return $this->warnings;
    }
}

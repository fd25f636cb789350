<?php

declare(strict_types=1);

namespace Spread;

/**
 * SPREAD's answer to a delivered order (a 2xx status and its body), or, when
 * a spool directory is set and SPREAD could not be reached, a queued order
 * (queued() true, status 0, empty body) that Client::flush() delivers later.
 * A plain value: the native response is copied and freed at once.
 */
final class Response
{
    public function __construct(
        private readonly int $status,
        private readonly string $body,
        private readonly bool $queued = false,
    ) {
    }

    /** The HTTP status (2xx); 0 when queued. */
    public function status(): int
    {
        return $this->status;
    }

    /** The body SPREAD answered, such as {"status":"ok",...}; "" when queued. */
    public function body(): string
    {
        return $this->body;
    }

    /** True when the order was spooled for a later flush() instead of delivered now. */
    public function queued(): bool
    {
        return $this->queued;
    }
}

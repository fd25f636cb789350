<?php

declare(strict_types=1);

namespace Spread;

/**
 * What became of one order of Client::sendMany(), as libspread reported it:
 * delivered, queued (spooled for Client::flush()) or failed with the
 * exception send() would have thrown (its message, class and HTTP status
 * are the library's for this very order).
 */
final class SendResult
{
    public function __construct(
        private readonly int|string $index,
        private readonly int $status,
        private readonly ?SpreadException $exception = null,
    ) {
    }

    /** The order's key in the array given to sendMany() (its position, for a list). */
    public function index(): int|string
    {
        return $this->index;
    }

    /** The C status: Exception::OK (delivered), Exception::QUEUED, or the failure's code. */
    public function status(): int
    {
        return $this->status;
    }

    /** SPREAD accepted the order (a 2xx). */
    public function delivered(): bool
    {
        return $this->status === Exception::OK;
    }

    /** Not delivered now, but spooled on disk for Client::flush(). */
    public function queued(): bool
    {
        return $this->status === Exception::QUEUED;
    }

    /** Neither delivered nor queued: see exception(). */
    public function failed(): bool
    {
        return $this->exception !== null;
    }

    /** The HTTP status SPREAD answered when this order failed on an answer (401, 422, 503...); 0 otherwise. */
    public function httpStatus(): int
    {
        return $this->exception?->httpStatus() ?? 0;
    }

    /**
     * Why the order failed (null unless failed()): the Exception subclass send()
     * would have thrown, its message starting with "orders[<index>]: ".
     */
    public function exception(): ?SpreadException
    {
        return $this->exception;
    }
}

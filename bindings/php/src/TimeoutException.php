<?php

declare(strict_types=1);

namespace Spread;

/** The time budget (timeout_ms / connect_timeout_ms) ran out. A NetworkException, so it is retried the same way. */
class TimeoutException extends NetworkException
{
    public const STATUS = self::TIMEOUT;
}

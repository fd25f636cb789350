<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD failed (5xx) or asked to slow down (408, 429); the order is kept when a spool is set. */
class ServerException extends ApiException
{
    public const STATUS = self::SERVER;
}

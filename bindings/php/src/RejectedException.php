<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD rejected the request (a 4xx other than 401/403); the message carries its reason. */
class RejectedException extends Exception
{
    public const STATUS = self::REJECTED;
}

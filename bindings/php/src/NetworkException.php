<?php

declare(strict_types=1);

namespace Spread;

/** The connection to SPREAD failed or broke. Resending is safe: SPREAD updates by order_idorder. */
class NetworkException extends Exception
{
    public const STATUS = self::NETWORK;
}

<?php

declare(strict_types=1);

namespace Spread;

/** TLS or certificate verification failed (see the ca_file option). */
class TlsException extends Exception
{
    public const STATUS = self::TLS;
}

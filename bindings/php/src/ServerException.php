<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD failed (5xx). */
class ServerException extends Exception
{
    public const STATUS = self::SERVER;
}

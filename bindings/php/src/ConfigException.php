<?php

declare(strict_types=1);

namespace Spread;

/** The client configuration is wrong (unknown option, URL, keys, CA file, timeout); the message names the option. */
class ConfigException extends Exception
{
    public const STATUS = self::CONFIG;
}

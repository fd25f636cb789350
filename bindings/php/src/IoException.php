<?php

declare(strict_types=1);

namespace Spread;

/** A local file operation failed (the spool directory). */
class IoException extends Exception
{
    public const STATUS = self::IO;
}

<?php

declare(strict_types=1);

namespace Spread;

/** A field SPREAD requires to record an order is not set; the message names it. */
class MissingFieldException extends Exception
{
    public const STATUS = self::MISSING_FIELD;
}

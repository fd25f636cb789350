<?php

declare(strict_types=1);

namespace Spread;

/** A value breaks its field's rule (or cannot be sent as PHP would send it); the message names the field. The order is unchanged. */
class InvalidValueException extends Exception
{
    public const STATUS = self::INVALID_VALUE;
}

<?php

declare(strict_types=1);

namespace Spread;

/**
 * A value breaks its field's rule (or cannot be sent as PHP would send it); the message names the field.
 * The order is unchanged. An \InvalidArgumentException (the caller's value is at fault), so not a
 * Spread\Exception: catch Spread\SpreadException for all.
 */
class InvalidValueException extends \InvalidArgumentException implements SpreadException
{
    use CarriesHttpStatus;

    public const STATUS = Exception::INVALID_VALUE;
}

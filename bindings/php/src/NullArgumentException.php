<?php

declare(strict_types=1);

namespace Spread;

/** A NULL reached libspread where it needs a value: a bug in this binding, please report the message. */
class NullArgumentException extends Exception
{
    public const STATUS = self::NULL_ARGUMENT;
}

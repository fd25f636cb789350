<?php

declare(strict_types=1);

namespace Spread;

/** A bug in libspread or in this binding, caught before it could crash PHP; please report the message. */
class InternalException extends Exception
{
    public const STATUS = self::PANIC;
}

<?php

declare(strict_types=1);

namespace Spread;

/** A string is not valid UTF-8; the message names the field. */
class InvalidUtf8Exception extends InvalidValueException
{
    public const STATUS = Exception::INVALID_UTF8;
}

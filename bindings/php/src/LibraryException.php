<?php

declare(strict_types=1);

namespace Spread;

/**
 * libspread could not be loaded (the message lists every path tried), or its
 * ABI version is not the one this binding is written for (the message names
 * both and the file). This binding's own: not a C status, getCode() is 0.
 */
class LibraryException extends Exception
{
    public const STATUS = 0;
}

<?php

declare(strict_types=1);

namespace Spread;

/**
 * libspread could not be loaded (the message lists every path tried), or it
 * lacks a function this binding needs. Not a C status: getCode() is 0.
 */
class LibraryException extends Exception
{
    public const STATUS = 0;
}

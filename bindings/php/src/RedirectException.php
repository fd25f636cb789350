<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD redirected somewhere libspread refuses to follow (too many, https to http, bad Location). */
class RedirectException extends Exception
{
    public const STATUS = self::REDIRECT;
}

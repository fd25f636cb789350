<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD refused the API keys (401/403). */
class AuthException extends Exception
{
    public const STATUS = self::AUTH;
}

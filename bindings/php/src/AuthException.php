<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD (or the proxy) refused the API keys (401, 403, 407). */
class AuthException extends ApiException
{
    public const STATUS = self::AUTH;
}

<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD refused the order's content (400, 409, 422); a spooled order is then set aside in rejected/. */
class RejectedException extends ApiException
{
    public const STATUS = self::REJECTED;
}

<?php

declare(strict_types=1);

namespace Spread;

/** The endpoint cannot take the request (404, 405, 410, 413...: check base_url) or gave an answer SPREAD never gives (1xx, 300, 304...). The order is kept when a spool is set. */
class EndpointException extends ApiException
{
    public const STATUS = self::ENDPOINT;
}

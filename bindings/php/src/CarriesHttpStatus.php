<?php

declare(strict_types=1);

namespace Spread;

/**
 * The constructor and httpStatus() of every libspread exception: Spread\Exception
 * and the one that cannot extend it (InvalidValueException extends
 * \InvalidArgumentException).
 *
 * @internal
 */
trait CarriesHttpStatus
{
    private int $httpStatus = 0;

    public function __construct(
        string $message = '',
        ?int $code = null,
        ?\Throwable $previous = null,
        int $httpStatus = 0
    ) {
        parent::__construct($message, $code ?? static::STATUS, $previous);
        $this->httpStatus = $httpStatus;
    }

    /**
     * The HTTP status SPREAD answered in this failure: 401/403/407 (AuthException),
     * 400/409/422 (RejectedException), 5xx, 408, 429 (ServerException), 404,
     * 405, 410, 413... (EndpointException), the last attempt's when retried;
     * 0 when the failure was not an answer (network, timeout, validation, configuration).
     */
    public function httpStatus(): int
    {
        return $this->httpStatus;
    }
}

<?php

declare(strict_types=1);

namespace Spread;

/**
 * The constructor and httpStatus() of an exception that cannot extend
 * Spread\Exception (InvalidValueException extends \InvalidArgumentException).
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

    public function httpStatus(): int
    {
        return $this->httpStatus;
    }
}

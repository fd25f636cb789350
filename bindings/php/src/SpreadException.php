<?php

declare(strict_types=1);

namespace Spread;

/**
 * What every exception of this package implements: `catch (Spread\SpreadException $e)`
 * catches them all. Each is also the SPL exception its failure is:
 * InvalidValueException (and InvalidUtf8Exception) an \InvalidArgumentException,
 * every other one a \RuntimeException through the abstract Spread\Exception.
 */
interface SpreadException extends \Throwable
{
    /** The HTTP status SPREAD answered in this failure, 0 when the failure was not an answer. */
    public function httpStatus(): int;
}

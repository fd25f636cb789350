<?php

declare(strict_types=1);

namespace Spread;

/**
 * Base of every libspread failure. getCode() is the C status (SpreadStatus),
 * getMessage() the library's own message naming the field or the cause,
 * httpStatus() the HTTP status SPREAD answered (401, 429, 503...) or 0 when
 * the failure was not an answer. Messages never contain the private key.
 */
abstract class Exception extends \RuntimeException
{
    public const OK = 0;
    public const QUEUED = 1;
    public const NULL_ARGUMENT = 10;
    public const INVALID_UTF8 = 11;
    public const INVALID_VALUE = 12;
    public const MISSING_FIELD = 13;
    public const CONFIG = 14;
    public const NETWORK = 20;
    public const TIMEOUT = 21;
    public const TLS = 22;
    public const REDIRECT = 23;
    public const AUTH = 30;
    public const REJECTED = 31;
    public const SERVER = 32;
    public const IO = 40;
    public const PANIC = 99;

    /** The exception class for each status; a status not listed is an InternalException. */
    private const CLASSES = [
        self::INVALID_UTF8 => InvalidUtf8Exception::class,
        self::INVALID_VALUE => InvalidValueException::class,
        self::MISSING_FIELD => MissingFieldException::class,
        self::CONFIG => ConfigException::class,
        self::NETWORK => NetworkException::class,
        self::TIMEOUT => TimeoutException::class,
        self::TLS => TlsException::class,
        self::REDIRECT => RedirectException::class,
        self::AUTH => AuthException::class,
        self::REJECTED => RejectedException::class,
        self::SERVER => ServerException::class,
        self::IO => IoException::class,
    ];

    /** The C status this class stands for (getCode() unless told otherwise). */
    public const STATUS = self::PANIC;

    private int $httpStatus = 0;

    public function __construct(string $message = '', ?int $code = null, ?\Throwable $previous = null, int $httpStatus = 0)
    {
        parent::__construct($message, $code ?? static::STATUS, $previous);
        $this->httpStatus = $httpStatus;
    }

    /** The exception for a failed libspread call (and the HTTP status SPREAD answered, if any). */
    public static function fromStatus(int $status, string $message, int $httpStatus = 0, ?\Throwable $previous = null): self
    {
        $class = self::CLASSES[$status] ?? InternalException::class;
        return new $class($message, $status, $previous, $httpStatus);
    }

    /**
     * The HTTP status SPREAD answered in this failure: 401/403 (AuthException),
     * 400, 422, 429... (RejectedException), 500, 503... (ServerException), the
     * last attempt's when retried; 0 when the failure was not an answer
     * (network, timeout, validation, configuration).
     */
    public function httpStatus(): int
    {
        return $this->httpStatus;
    }
}

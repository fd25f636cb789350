<?php

declare(strict_types=1);

namespace Spread;

/**
 * Base of every libspread failure. getCode() is the C status (SpreadStatus),
 * getMessage() the library's own message naming the field or the cause.
 * Messages never contain the private key.
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

    public function __construct(string $message = '', ?int $code = null, ?\Throwable $previous = null)
    {
        parent::__construct($message, $code ?? static::STATUS, $previous);
    }

    /** The exception for a failed libspread call. */
    public static function fromStatus(int $status, string $message): self
    {
        $class = self::CLASSES[$status] ?? InternalException::class;
        return new $class($message, $status);
    }
}

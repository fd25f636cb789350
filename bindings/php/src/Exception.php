<?php

declare(strict_types=1);

namespace Spread;

/**
 * Base of every libspread failure. getCode() is the C status (SpreadStatus),
 * getMessage() the library's own message naming the field or the cause,
 * httpStatus() the HTTP status SPREAD answered (401, 429, 503...) or 0 when
 * the failure was not an answer. Messages never contain the private key.
 *
 * The subclasses form the library's one exception tree: the class of each
 * status and the parent of each class, ApiException's included, come from
 * libspread (spread_status_class and spread_class_parent; a test checks
 * every class here against them). The library's root ("Error") is this
 * class, and for InvalidValueException the SpreadException interface, as
 * that one is an \InvalidArgumentException:
 *
 *     SpreadException (interface: catch it for every failure of this package)
 *     ├── InvalidValueException ── InvalidUtf8Exception   (\InvalidArgumentException)
 *     └── Exception                                       (\RuntimeException)
 *         ├── NetworkException ─────── TimeoutException
 *         ├── ApiException ─────────── AuthException, RejectedException, ServerException, EndpointException
 *         ├── NullArgumentException, MissingFieldException, ConfigException, TlsException,
 *         │   RedirectException, IoException, InternalException
 *         └── LibraryException (this binding's own: libspread cannot be loaded)
 *
 * The constants name the C status codes (SpreadStatus); a test checks them
 * against the library's list both ways.
 */
abstract class Exception extends \RuntimeException implements SpreadException
{
    // The constructor (the code from STATUS) and httpStatus(), shared with the one
    // exception that cannot extend this class (InvalidValueException).
    use CarriesHttpStatus;

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
    public const ENDPOINT = 33;
    public const IO = 40;
    public const PANIC = 99;

    /** The C status this class stands for (getCode() unless told otherwise). */
    public const STATUS = self::PANIC;

    /**
     * The exception for a failed libspread call (and the HTTP status SPREAD
     * answered, if any), of the class the default library names for $status.
     *
     * @deprecated use Library::exception(), which asks the library in use
     * @throws LibraryException when the default library cannot be loaded
     */
    public static function fromStatus(
        int $status,
        string $message,
        int $httpStatus = 0,
        ?\Throwable $previous = null
    ): SpreadException {
        return Library::get()->exception($status, $message, $httpStatus, $previous);
    }
}

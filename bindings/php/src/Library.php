<?php

declare(strict_types=1);

namespace Spread;

use FFI;

/**
 * The loaded libspread: one FFI instance per library path, shared by every
 * Client and Order made with it (a handle must never outlive its FFI object,
 * so each holds a reference to its Library).
 *
 * Where the library comes from, first match wins:
 *  1. the preloaded FFI scope "SPREAD" (php-fpm with opcache.preload, see preload.php),
 *     unless a path is given explicitly;
 *  2. the `library` option; 3. env SPREAD_LIBRARY; 4. lib/libspread.so shipped in this
 *     package; 5. target/release/libspread.so of the source checkout.
 * The FFI header is looked up beside the library, then in lib/, then in the checkout.
 */
final class Library
{
    public const SCOPE = 'SPREAD';

    /** @var array<string, self> keyed by the path asked for ("" for the default) and by the resolved file */
    private static array $loaded = [];

    /** @var array<string, string>|null camelCase setter name => data[] field name */
    private ?array $setters = null;

    private function __construct(
        /** @internal the raw FFI object; use the Client and Order classes instead */
        public readonly FFI $ffi,
        /** The library file, or "scope:SPREAD" when it was preloaded. */
        public readonly string $path,
    ) {
    }

    /**
     * The library for an explicit path, or the default one (null). Cached per path.
     *
     * @throws LibraryException when no library can be loaded; the message lists every path tried
     */
    public static function get(?string $path = null): self
    {
        $key = $path ?? '';
        if (isset(self::$loaded[$key])) {
            return self::$loaded[$key];
        }
        if ($path === null && ($scope = self::preloadedScope()) !== null) {
            return self::$loaded[$key] = new self($scope, 'scope:' . self::SCOPE);
        }
        $file = self::locate($path);
        return self::$loaded[$key] = self::$loaded[$file] ??= new self(self::cdef($file), $file);
    }

    /** The library version, such as "0.1.0". */
    public function version(): string
    {
        return $this->ffi->spread_version();
    }

    /**
     * The scalar data[] fields the core knows (spread_field_name), keyed by the
     * camelCase setter name Order accepts: "customerAddress2" => "customer_address_2".
     *
     * @return array<string, string>
     */
    public function setters(): array
    {
        if ($this->setters === null) {
            $this->setters = [];
            for ($i = 0; ($name = $this->ffi->spread_field_name($i)) !== null; $i++) {
                $this->setters[lcfirst(str_replace('_', '', ucwords($name, '_')))] = $name;
            }
        }
        return $this->setters;
    }

    /**
     * Turns a status from a libspread call into an exception carrying the
     * library's own message (spread_last_error); does nothing for OK and QUEUED.
     *
     * @throws Exception
     */
    public function check(int $status): void
    {
        if ($status !== Exception::OK && $status !== Exception::QUEUED) {
            throw $this->lastFailure($status);
        }
    }

    /**
     * The exception for a libspread call that just failed with $status: this
     * thread's message (spread_last_error) and HTTP status (spread_last_http_status).
     * Build it right after the failing call, before any other libspread call.
     */
    public function lastFailure(int $status, string $prefix = ''): Exception
    {
        return Exception::fromStatus($status, $prefix . $this->ffi->spread_last_error(), $this->ffi->spread_last_http_status());
    }

    /**
     * Calls a libspread function that older libraries may lack (the spool
     * functions), turning "undefined function" into a clear LibraryException.
     */
    public function call(string $function, mixed ...$args): mixed
    {
        try {
            return $this->ffi->$function(...$args);
        } catch (\FFI\Exception $e) {
            throw new LibraryException(sprintf(
                'libspread %s at %s has no %s(): %s (update the library and its header)',
                $this->version(), $this->path, $function, $e->getMessage(),
            ), 0, $e);
        }
    }

    /**
     * The FFI header for this library with an absolute FFI_LIB, for php.ini's
     * ffi.preload (or FFI::load). PHP resolves a relative FFI_LIB against the
     * current directory, which under php-fpm is not this package.
     *
     * @throws LibraryException
     */
    public static function preloadHeader(?string $library = null): string
    {
        $file = self::locate($library);
        return sprintf("#define FFI_SCOPE \"%s\"\n#define FFI_LIB \"%s\"\n", self::SCOPE, addcslashes($file, "\"\\"))
            . self::declarations($file);
    }

    /**
     * For preload.php: makes the FFI scope "SPREAD" exist. Nothing to do when
     * php.ini's ffi.preload already loaded it; otherwise FFI::load a generated
     * header (PHP refuses that when a root master switches to opcache.preload_user).
     *
     * @throws LibraryException
     */
    public static function preload(): void
    {
        if (self::preloadedScope() !== null) {
            return;
        }
        $header = tempnam(sys_get_temp_dir(), 'spread-ffi-');
        try {
            file_put_contents($header, self::preloadHeader());
            FFI::load($header);
        } catch (\Throwable $e) {
            throw new LibraryException(
                'preload: cannot load libspread into the FFI scope "SPREAD": ' . $e->getMessage()
                . ' -- write the header once with `php ' . dirname(__DIR__) . '/bin/spread-ffi-header /etc/php/spread_ffi.h`'
                . ' and set ffi.preload=/etc/php/spread_ffi.h in php.ini (needed when php-fpm starts as root)',
                0,
                $e,
            );
        } finally {
            @unlink($header);
        }
        if (self::preloadedScope() === null) {
            throw new LibraryException('preload: FFI::load succeeded but the scope "SPREAD" is missing');
        }
    }

    private static function preloadedScope(): ?FFI
    {
        try {
            return FFI::scope(self::SCOPE);
        } catch (\FFI\Exception) {
            return null; // not preloaded (or FFI restricted here: cdef will say so)
        }
    }

    /** @throws LibraryException listing every path tried */
    private static function locate(?string $explicit): string
    {
        $candidates = [];
        if ($explicit !== null) {
            $candidates['library option'] = $explicit;
        } else {
            $env = getenv('SPREAD_LIBRARY');
            if (is_string($env) && $env !== '') {
                $candidates['env SPREAD_LIBRARY'] = $env;
            }
            $candidates['shipped copy'] = dirname(__DIR__) . '/lib/libspread.so';
            $candidates['source checkout'] = dirname(__DIR__, 3) . '/target/release/libspread.so';
        }
        foreach ($candidates as $path) {
            if (is_file($path)) {
                return realpath($path) ?: $path;
            }
        }
        $tried = implode(', ', array_map(
            fn (string $from, string $path) => "$path ($from)",
            array_keys($candidates),
            $candidates,
        ));
        throw new LibraryException("libspread not found; tried: $tried. Build it with `cargo build --release`, "
            . 'or point the library option or SPREAD_LIBRARY at libspread.so');
    }

    /** The header's declarations, without its FFI_SCOPE/FFI_LIB lines: FFI::cdef takes the library path as an argument. */
    private static function declarations(string $library): string
    {
        $candidates = [
            dirname($library) . '/spread_ffi.h',
            dirname(__DIR__) . '/lib/spread_ffi.h',
            dirname(__DIR__, 3) . '/include/spread_ffi.h',
        ];
        foreach ($candidates as $header) {
            if (is_file($header) && ($text = file_get_contents($header)) !== false) {
                return preg_replace('/^#define FFI_(?:SCOPE|LIB)\b.*\R/m', '', $text);
            }
        }
        throw new LibraryException('spread_ffi.h not found for ' . $library . '; tried: ' . implode(', ', $candidates));
    }

    private static function cdef(string $file): FFI
    {
        try {
            return FFI::cdef(self::declarations($file), $file);
        } catch (\FFI\Exception $e) {
            $hint = str_contains($e->getMessage(), 'ffi.enable')
                ? ' (under php-fpm, preload the binding: see bindings/php/README.md, "php-fpm")'
                : ' (is the header from the same libspread build?)';
            throw new LibraryException("cannot load $file: " . $e->getMessage() . $hint, 0, $e);
        }
    }
}

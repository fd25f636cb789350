<?php

declare(strict_types=1);

namespace Spread;

use FFI;
use FFI\CData;

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
 *
 * Before anything else, the library's ABI version (spread_abi_version) must
 * equal ABI_VERSION: a library built for another binding is refused with a
 * LibraryException naming both versions and the file.
 */
final class Library
{
    public const SCOPE = 'SPREAD';

    /** The C ABI this binding is written for: SPREAD_ABI_VERSION of include/spread_ffi.h. */
    public const ABI_VERSION = 3;

    /** What the ABI check declares: these two functions exist in every libspread with an ABI version. */
    private const PROBE = 'int spread_abi_version(void); const char *spread_version(void);';

    /** @var array<string, self> keyed by the path asked for ("" for the default) and by the resolved file */
    private static array $loaded = [];

    /** @var array<string, string>|null camelCase setter name => data[] field name */
    private ?array $setters = null;

    /** @var array<string, array{type: string, default: string}>|null option name => its type and default */
    private ?array $options = null;

    /** @var array<int, class-string<SpreadException>> status => exception class, as the library names it */
    private array $classes = [];

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
     * @throws LibraryException when no library can be loaded (the message lists every
     *         path tried) or when its ABI version is not ABI_VERSION
     */
    public static function get(?string $path = null): self
    {
        $key = $path ?? '';
        if (isset(self::$loaded[$key])) {
            return self::$loaded[$key];
        }
        if ($path === null && ($scope = self::preloadedScope()) !== null) {
            self::checkAbi($scope, 'scope:' . self::SCOPE);
            return self::$loaded[$key] = new self($scope, 'scope:' . self::SCOPE);
        }
        $file = self::locate($path);
        if (!isset(self::$loaded[$file])) {
            self::checkAbi(self::probe($file), $file);
            self::$loaded[$file] = new self(self::cdef($file), $file);
        }
        return self::$loaded[$key] = self::$loaded[$file];
    }

    /**
     * $library as a Library: itself, or the one at that path (null: the default).
     *
     * @throws LibraryException
     */
    public static function of(self|string|null $library): self
    {
        return $library instanceof self ? $library : self::get($library);
    }

    /** The library version, such as "0.1.0". */
    public function version(): string
    {
        return $this->ffi->spread_version();
    }

    /** The most threads one Client::sendMany() may use (spread_max_concurrency). */
    public function maxConcurrency(): int
    {
        return $this->ffi->spread_max_concurrency();
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
     * The client options libspread knows (spread_option_name), in its order:
     * name => its type ("string", "bool", "integer", "milliseconds", "path",
     * "choice"), its default as text ("" for none) and the environment
     * variable Client::fromEnv() reads it from (null for none). Client takes
     * these names as its options.
     *
     * @return array<string, array{type: string, default: string, env: ?string}>
     */
    public function options(): array
    {
        if ($this->options === null) {
            $this->options = [];
            $count = $this->ffi->spread_option_count();
            for ($i = 0; $i < $count; $i++) {
                $this->options[$this->ffi->spread_option_name($i)] = [
                    'type' => $this->ffi->spread_option_type($i),
                    'default' => $this->ffi->spread_option_default($i),
                    'env' => $this->ffi->spread_option_env($i),
                ];
            }
        }
        return $this->options;
    }

    /**
     * Every status code the library knows (spread_status_code), in increasing order.
     *
     * @return list<int>
     */
    public function statusCodes(): array
    {
        $codes = [];
        for ($i = 0; ($code = $this->ffi->spread_status_code($i)) !== -1; $i++) {
            $codes[] = $code;
        }
        return $codes;
    }

    /**
     * The Spread\ exception class for a class stem the library names
     * (spread_status_class / spread_status_parent_class): "Timeout" gives
     * TimeoutException, "Error" (the root) gives Exception itself.
     *
     * @return class-string<SpreadException>
     */
    public static function exceptionClassOf(string $stem): string
    {
        return $stem === 'Error' ? Exception::class : __NAMESPACE__ . "\\{$stem}Exception";
    }

    /**
     * The parent of an exception class given by its stem, as the library
     * says (spread_class_parent): "Timeout" => "Network", "Api" => "Error"
     * (a class no status names, that only groups others), "Error" => "" (the
     * root); null for a stem that is no class of the library's.
     */
    public function classParent(string $stem): ?string
    {
        return $this->ffi->spread_class_parent($stem);
    }

    /**
     * The exception class for a status, as the library classifies it; for a
     * class this binding lacks (a newer library), the nearest ancestor the
     * library names that this binding can throw, else InternalException.
     *
     * @return class-string<SpreadException>
     */
    public function exceptionClass(int $status): string
    {
        if (!isset($this->classes[$status])) {
            $class = InternalException::class;
            $stem = $this->ffi->spread_status_class($status);
            while ($stem !== null && $stem !== '') {
                $candidate = self::exceptionClassOf($stem);
                if (class_exists($candidate) && !(new \ReflectionClass($candidate))->isAbstract()) {
                    $class = $candidate;
                    break;
                }
                $stem = $this->classParent($stem);
            }
            $this->classes[$status] = $class;
        }
        return $this->classes[$status];
    }

    /** The exception for a failure with $status, of the class the library names for it. */
    public function exception(
        int $status,
        string $message,
        int $httpStatus = 0,
        ?\Throwable $previous = null
    ): SpreadException {
        $class = $this->exceptionClass($status);
        return new $class($message, $status, $previous, $httpStatus);
    }

    /**
     * Turns a status from a libspread call into an exception carrying the
     * library's own message (spread_last_error); does nothing for OK and QUEUED.
     *
     * @throws SpreadException
     */
    public function check(int $status): void
    {
        if ($status !== Exception::OK && $status !== Exception::QUEUED) {
            throw $this->lastFailure($status);
        }
    }

    /**
     * The exception for a libspread call that just failed with $status (by
     * default spread_last_status, for calls that return a pointer): this
     * thread's message (spread_last_error) and HTTP status (spread_last_http_status).
     * Build it right after the failing call, before any other libspread call.
     */
    public function lastFailure(?int $status = null, string $prefix = ''): SpreadException
    {
        $ffi = $this->ffi;
        return $this->exception(
            $status ?? $ffi->spread_last_status(),
            $prefix . $ffi->spread_last_error(),
            $ffi->spread_last_http_status()
        );
    }

    /**
     * Copies a string libspread returned as owned (char *) and frees it;
     * null for a NULL pointer.
     */
    public function ownedString(?CData $pointer): ?string
    {
        if ($pointer === null || FFI::isNull($pointer)) {
            return null;
        }
        try {
            return FFI::string($pointer);
        } finally {
            $this->ffi->spread_string_free($pointer);
        }
    }

    /**
     * The FFI header for this library with an absolute FFI_LIB, for php.ini's
     * ffi.preload (or FFI::load). PHP resolves a relative FFI_LIB against the
     * current directory, which under php-fpm is not this package.
     *
     * @throws LibraryException also when the library's ABI version is not ABI_VERSION
     */
    public static function preloadHeader(?string $library = null): string
    {
        $file = self::locate($library);
        self::checkAbi(self::probe($file), $file);
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
        if (($scope = self::preloadedScope()) !== null) {
            self::checkAbi($scope, 'scope:' . self::SCOPE);
            return;
        }
        $text = self::preloadHeader(); // throws for a wrong ABI before FFI::load sees the full header
        $header = tempnam(sys_get_temp_dir(), 'spread-ffi-');
        try {
            file_put_contents($header, $text);
            FFI::load($header);
        } catch (\Throwable $e) {
            // The path bindings/php/README.md uses: Debian's folder of this PHP version.
            $suggested = '/etc/php/' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . '/spread_ffi.h';
            throw new LibraryException(
                'preload: cannot load libspread into the FFI scope "SPREAD": ' . $e->getMessage()
                . ' -- write the header once with `php ' . dirname(__DIR__) . '/bin/spread-ffi-header '
                . $suggested . '`'
                . ' and set ffi.preload=' . $suggested . ' in php.ini (needed when php-fpm starts as root)',
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

    /**
     * Refuses a library whose ABI version is not the one this binding is written for.
     *
     * @throws LibraryException naming both versions and $where
     */
    private static function checkAbi(FFI $ffi, string $where): void
    {
        $abi = $ffi->spread_abi_version();
        if ($abi !== self::ABI_VERSION) {
            throw new LibraryException(sprintf(
                'libspread at %s (version %s) has ABI version %d, but this PHP binding needs ABI version %d: '
                . 'install the libspread and the binding from the same release',
                $where,
                $ffi->spread_version(),
                $abi,
                self::ABI_VERSION,
            ));
        }
    }

    /**
     * The library with only the two functions the ABI check needs: a full
     * header would fail on the first function an older library lacks.
     *
     * @throws LibraryException
     */
    private static function probe(string $file): FFI
    {
        try {
            return FFI::cdef(self::PROBE, $file);
        } catch (\FFI\Exception $e) {
            throw new LibraryException(
                "cannot check the ABI version of $file: " . $e->getMessage()
                . ' (is it libspread? this PHP binding needs ABI version ' . self::ABI_VERSION . ')'
                . self::restricted($e),
                0,
                $e
            );
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

    /**
     * The header's declarations, without its FFI_SCOPE/FFI_LIB lines: FFI::cdef takes the library path as an argument.
     *
     * @throws LibraryException
     */
    private static function declarations(string $library): string
    {
        $candidates = [
            dirname($library) . '/spread_ffi.h',
            dirname(__DIR__) . '/lib/spread_ffi.h',
            dirname(__DIR__, 3) . '/include/spread_ffi.h',
        ];
        foreach ($candidates as $header) {
            if (is_file($header) && ($text = file_get_contents($header)) !== false) {
                return (string)preg_replace('/^#define FFI_(?:SCOPE|LIB)\b.*\R/m', '', $text);
            }
        }
        throw new LibraryException('spread_ffi.h not found for ' . $library . '; tried: ' . implode(', ', $candidates));
    }

    /** @throws LibraryException */
    private static function cdef(string $file): FFI
    {
        try {
            return FFI::cdef(self::declarations($file), $file);
        } catch (\FFI\Exception $e) {
            throw new LibraryException("cannot load $file: " . $e->getMessage()
                . (self::restricted($e) ?: ' (is the header from the same libspread build?)'), 0, $e);
        }
    }

    /**
     * A hint when FFI itself is off limits here: ffi.enable=preload (PHP's
     * default) allows FFI in the CLI and in preloaded code only, so PHP's
     * built-in server (`php -S`, `php artisan serve`) and php-fpm without
     * preload both refuse it. Says what to do for each.
     */
    private static function restricted(\FFI\Exception $e): string
    {
        if (!str_contains($e->getMessage(), 'ffi.enable')) {
            return '';
        }
        $server = 'for PHP\'s built-in server (php -S, php artisan serve), '
            . 'start it with `php -d ffi.enable=1 -S …` (development only)';
        $fpm = 'under php-fpm, preload the binding (opcache.preload, see bindings/php/README.md, "php-fpm")';
        $first = PHP_SAPI === 'cli-server' ? "$server; $fpm" : "$fpm; $server";
        return " ($first; `php vendor/bin/spread-doctor` checks the whole set-up)";
    }
}

<?php

declare(strict_types=1);

namespace Spread;

use FFI\CData;

/**
 * A SPREAD client: the API keys and the settings, over one native client
 * (with its pool of connections). Make one per process (or per request
 * under php-fpm: connections and the delivery thread are the process's).
 *
 *     $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY');
 *     $client->updateOrder($post_data);
 *
 * The private key goes straight to libspread: it is kept in no PHP property
 * and hidden from stack traces (#[\SensitiveParameter]).
 *
 * With a 'logger', libspread's records (attempts, retries, redirects,
 * queued, flushed, rejected orders, drop-in warnings) reach it on this PHP
 * thread: the binding drains libspread's log queue after each call that
 * can log, including the constructor and the destructor.
 *
 * @psalm-type Options = array{
 *     base_url?: string, timeout_ms?: int, connect_timeout_ms?: int, max_attempts?: int,
 *     spool_dir?: string, flush_budget_ms?: int, shutdown_timeout_ms?: int, delivery_concurrency?: int,
 *     ca_file?: string, tls_roots?: string, proxy?: string|null, allow_insecure_http?: bool, app_info?: string,
 *     logger?: object, log_level?: string, strict?: bool, library?: string
 * }
 */
final class Client implements ClientInterface
{
    /**
     * The options this binding handles itself; the others are libspread's
     * (Library::options(), its option table).
     */
    private const PHP_OPTIONS = ['library', 'logger', 'log_level', 'strict'];

    /** The PHP type each type of libspread's option table takes. */
    private const PHP_TYPES = ['bool' => 'bool', 'integer' => 'uint32', 'milliseconds' => 'uint32'];

    /** PSR-3 level names => the libspread level (SpreadLogLevel) that lets them through. */
    private const LOG_LEVELS = [
        'emergency' => 'SPREAD_LOG_ERROR', 'alert' => 'SPREAD_LOG_ERROR', 'critical' => 'SPREAD_LOG_ERROR',
        'error' => 'SPREAD_LOG_ERROR', 'warning' => 'SPREAD_LOG_WARN', 'notice' => 'SPREAD_LOG_INFO',
        'info' => 'SPREAD_LOG_INFO', 'debug' => 'SPREAD_LOG_DEBUG',
    ];

    /** libspread's level names in its records => PSR-3's. */
    private const PSR_LEVELS = ['error' => 'error', 'warn' => 'warning', 'info' => 'info', 'debug' => 'debug'];

    /** What the log_level option defaults to: the customer's e-mail appears at debug level only. */
    public const DEFAULT_LOG_LEVEL = 'info';

    private readonly Library $lib;
    private readonly CData $handle;
    private readonly ?object $logger;
    private readonly bool $strict;

    /** @var array<string, mixed> the options given, for __debugInfo (nothing secret: a proxy's password is masked) */
    private readonly array $shown;

    /** What fromEnv() passes to libspread, which reads the keys file and the secrets (spread_client_new_from_env). */
    private const SECRET_VARIABLES = [
        'SPREAD_KEYS_FILE',
        'CREDENTIALS_DIRECTORY',
        'SPREAD_PUBLIC_KEY',
        'SPREAD_PRIVATE_KEY',
        'SPREAD_PROXY',
    ];

    /**
     * @param Options $options
     * @throws ConfigException naming the option or the key at fault
     * @throws LibraryException when libspread cannot be loaded, or is not the ABI this binding needs
     * @throws Exception another subclass if libspread fails otherwise (IoException for a spool folder it cannot make)
     */
    public function __construct(string $publicKey, #[\SensitiveParameter] string $privateKey, array $options = [])
    {
        $this->open($options, static function (\FFI $ffi) use ($publicKey, $privateKey): ?CData {
            foreach (['public_key' => $publicKey, 'private_key' => $privateKey] as $name => $key) {
                if (str_contains($key, "\0")) {
                    throw new ConfigException("$name: contains a NUL byte");
                }
            }
            return $ffi->spread_client_new($publicKey, $privateKey);
        });
    }

    /**
     * Checks the options, makes the native client with $make and configures it.
     *
     * @param Options $options
     * @param \Closure(\FFI): ?CData $make
     */
    private function open(array $options, #[\SensitiveParameter] \Closure $make): void
    {
        $this->lib = Library::get(self::option($options, 'library', 'string'));
        // libspread's option table: the options it takes, and the type of each.
        $native = $this->lib->options();
        foreach ($options as $name => $_) {
            if (!isset($native[$name]) && !in_array($name, self::PHP_OPTIONS, true)) {
                throw new ConfigException("$name: unknown option; the options are "
                    . implode(', ', [...self::PHP_OPTIONS, ...array_keys($native)]));
            }
        }
        $this->shown = self::shownOptions($options);
        $this->logger = self::loggerOption($options);
        $this->strict = self::option($options, 'strict', 'bool') ?? false;
        $logLevel = $this->logLevel(self::option($options, 'log_level', 'string') ?? self::DEFAULT_LOG_LEVEL);
        if (PHP_SAPI === 'fpm-fcgi') {
            // The delivery thread outlives the request in the worker: waiting for it would only delay the page.
            $options += ['shutdown_timeout_ms' => 0];
        }
        // Every value checked for its type before any is set; libspread checks each
        // alone as it is set, then the rules between them (any order will do).
        $texts = [];
        foreach ($native as $name => ['type' => $type]) {
            $value = self::option($options, $name, self::PHP_TYPES[$type] ?? 'string');
            if ($value !== null) {
                $texts[$name] = is_bool($value) ? ($value ? 'true' : 'false') : (string)$value;
            }
        }
        $ffi = $this->lib->ffi;
        $handle = $make($ffi);
        if ($handle === null) {
            throw $this->lib->lastFailure();
        }
        try {
            if ($this->logger !== null) {
                $this->lib->check($ffi->spread_client_set_log_queue($handle, $logLevel));
            }
            foreach ($texts as $name => $text) {
                $this->lib->check($ffi->spread_client_set_option($handle, $name, $text));
            }
            $this->lib->check($ffi->spread_client_check($handle));
        } catch (\Throwable $e) {
            // The handle is this object's only once configured: a destructor (fromEnv()'s
            // object has one; a constructor that throws has none) must not free it again.
            try {
                $this->drainLog($handle);
            } finally {
                $ffi->spread_client_free($handle);
            }
            throw $e;
        }
        $this->handle = $handle;
        $this->drainLog();
    }

    /**
     * A client configured as the `spread` command is: the keys from the keys
     * file (SPREAD_KEYS_FILE: `SPREAD_PUBLIC_KEY=…` lines, mode 0600 or 0640,
     * yours or root's), then systemd credentials (CREDENTIALS_DIRECTORY),
     * then the environment, for the keys and SPREAD_PROXY: libspread reads
     * them (spread_client_new_from_env), so the private key never enters PHP;
     * SPREAD_BASE_URL, SPREAD_SPOOL (spool_dir) and SPREAD_APP_INFO from the environment.
     * $options win over all of them.
     *
     * @param Options $options
     * @param array<string, string>|null $env the variables to read (default: the process's, getenv())
     * @throws ConfigException naming the missing variable or the keys file at fault (never quoting it)
     * @throws LibraryException
     */
    public static function fromEnv(array $options = [], ?array $env = null): self
    {
        $env ??= getenv();
        // The secrets (keys file, systemd credentials, SPREAD_*_KEY, SPREAD_PROXY) are read
        // by libspread, as the CLI reads them: one reader, and the private key stays in it.
        $secrets = [];
        foreach (self::SECRET_VARIABLES as $name) {
            if (is_string($env[$name] ?? null)) {
                $secrets[$name] = $env[$name];
            }
        }
        // The options read from the environment are libspread's (its table's `env`), as the
        // `spread` command reads them.
        foreach (Library::get(self::option($options, 'library', 'string'))->options() as $option => $spec) {
            $value = $spec['env'] === null ? '' : (string)($env[$spec['env']] ?? '');
            if ($value !== '' && !array_key_exists($option, $options)) {
                $options[$option] = $value;
            }
        }
        $flags = JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE;
        $json = json_encode((object)$secrets, $flags);
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->open($options, static fn (\FFI $ffi): ?CData => $ffi->spread_client_new_from_env($json));
        return $client;
    }

    /**
     * The seed's drop-in: sends $post_data (whole, or its "data" part) as the
     * seed's curl block did: the body is PHP's own http_build_query($postData).
     * A field SPREAD does not require that breaks its rule is sent as is and
     * reported in Response::warnings() (and to the logger), unless the client
     * is 'strict'. One round trip.
     *
     * @param array<array-key, mixed> $postData
     * @throws InvalidValueException|MissingFieldException for the order (nothing is sent)
     * @throws NetworkException|TlsException|RedirectException|ApiException when it could not be delivered
     *     (without spool_dir)
     * @throws Exception another subclass naming the cause
     */
    public function updateOrder(array $postData): Response
    {
        return $this->send(Order::fromArray($postData, $this->lib, $this->strict));
    }

    /**
     * Validates the order and sends it to SPREAD's updateOrder, blocking for
     * at most timeout_ms. Resending the same order_idorder updates the order.
     * With spool_dir, an order that cannot be delivered now for a reason that
     * is not about its content is queued instead (Response::queued()).
     *
     * @throws InvalidValueException|MissingFieldException for the order (nothing is sent)
     * @throws NetworkException|TlsException|RedirectException|ApiException when it could not be delivered
     * @throws ConfigException for an Order made with another library
     * @throws Exception another subclass naming the cause
     */
    public function send(Order $order): Response
    {
        $ffi = $this->lib->ffi;
        $out = $ffi->new('SpreadResponse *');
        try {
            $status = $ffi->spread_send($this->handle, $order->handle($this->lib), \FFI::addr($out));
            $this->lib->check($status);
            if ($status === Exception::QUEUED) {
                return new Response(0, '', true, false, $order->warnings()); // spooled: $out stays NULL
            }
            try {
                return new Response(
                    $ffi->spread_response_status($out),
                    $ffi->spread_response_body($out),
                    false,
                    $ffi->spread_response_truncated($out),
                    $order->warnings(),
                );
            } finally {
                $ffi->spread_response_free($out);
            }
        } finally {
            $this->drainLog();
        }
    }

    /**
     * Makes the order durable in spool_dir and returns at once (a queued
     * Response): a delivery thread of this process sends it in the
     * background, oldest first, with the usual retries. The order is checked
     * first, exactly as send() checks it. An order reported queued is never
     * lost: if the process dies, the next enqueue, flush() or the cron
     * `spread flush` delivers it.
     *
     * @param Order|array<array-key, mixed> $order an Order, or the seed's $post_data (as updateOrder() takes it)
     * @throws InvalidValueException|MissingFieldException for the order (nothing is queued)
     * @throws ConfigException without spool_dir, or for an Order made with another library
     * @throws IoException when the spool folder cannot be written
     * @throws Exception another subclass naming the cause
     */
    public function enqueue(Order|array $order): Response
    {
        if (is_array($order)) {
            $order = Order::fromArray($order, $this->lib, $this->strict);
        }
        try {
            $this->lib->check($this->lib->ffi->spread_enqueue($this->handle, $order->handle($this->lib)));
        } finally {
            $this->drainLog();
        }
        return new Response(0, '', true, false, $order->warnings());
    }

    /**
     * Sends several orders at once, on up to $concurrency threads (1 to
     * maxConcurrency()), and blocks until each one is delivered, queued (with
     * spool_dir) or failed. Each goes as send() would send it (validation,
     * retries, spool); updates of one order_idorder go one after the other,
     * in array order; when SPREAD asks to wait (429/503 with Retry-After) all
     * the senders wait together.
     *
     * $orders holds Spread\Order objects and/or seed-shaped $post_data arrays
     * (as updateOrder() takes them). A failed order stops nothing and throws
     * nothing: the BatchResult gives, for each key of $orders, a SendResult
     * with libspread's own status, HTTP status and message for that order
     * (prefixed "orders[<key>]: "). An entry that is neither an Order nor an
     * array, an array fromArray() refuses, or an Order of another library
     * fails alone, unsent.
     *
     * $onProgress(int $done, int $total) is called on this thread at most
     * every 100 ms and once at the end; what it throws is rethrown after the
     * batch (it cannot stop the batch).
     *
     * @param array<array-key, Order|array<array-key, mixed>> $orders
     * @param (callable(int, int): void)|null $onProgress
     * @throws ConfigException for a concurrency libspread refuses (nothing is sent)
     * @throws Exception another subclass if the batch itself fails before looking at the orders
     */
    public function sendMany(array $orders, int $concurrency = 8, ?callable $onProgress = null): BatchResult
    {
        $results = []; // the caller's key => SendResult
        $keys = [];    // position in the native batch => the caller's key
        $sent = [];    // position in the native batch => the Order (kept alive until libspread is done)
        foreach ($orders as $key => $order) {
            try {
                if (is_array($order)) {
                    $order = Order::fromArray($order, $this->lib, $this->strict);
                } elseif (!$order instanceof Order) {
                    throw new InvalidValueException(
                        'expected a ' . Order::class . ' or a $post_data array, got ' . get_debug_type($order)
                    );
                }
                $order->handle($this->lib); // an Order of another library fails here, alone
            } catch (SpreadException $e) {
                $message = "orders[$key]: " . $e->getMessage();
                $error = $this->lib->exception($e->getCode(), $message, $e->httpStatus(), $e);
                $results[$key] = new SendResult($key, $e->getCode(), $error);
                continue;
            }
            $keys[] = $key;
            $sent[] = $order;
        }
        if ($sent !== []) {
            $this->sendBatch($keys, $sent, self::uint32('concurrency', $concurrency), $onProgress, $results);
        }
        $ordered = [];
        foreach (array_keys($orders) as $key) {
            $ordered[$key] = $results[$key];
        }
        return new BatchResult($ordered);
    }

    /**
     * One spread_send_batch call; fills $results for each key of $keys from the SpreadBatch.
     *
     * @param list<array-key> $keys
     * @param list<Order> $orders
     * @param (callable(int, int): void)|null $onProgress
     * @param array<array-key, SendResult> $results
     * @throws Exception when the call fails before looking at the orders
     */
    private function sendBatch(
        array $keys,
        array $orders,
        int $concurrency,
        ?callable $onProgress,
        array &$results
    ): void {
        $ffi = $this->lib->ffi;
        $n = count($orders);
        $handles = $ffi->new("const SpreadOrder *[$n]");
        foreach ($orders as $i => $order) {
            $handles[$i] = $order->handle($this->lib);
        }
        $thrown = null;
        $progress = null;
        if ($onProgress !== null) {
            $progress = static function ($userData, int $done, int $total) use ($onProgress, &$thrown): void {
                try {
                    if ($thrown === null) {
                        $onProgress($done, $total);
                    }
                } catch (\Throwable $e) { // PHP aborts the process on an exception thrown out of an FFI callback
                    $thrown = $e;
                }
            };
        }
        $out = $ffi->new('SpreadBatch *');
        try {
            $status = $ffi->spread_send_batch(
                $this->handle,
                $handles,
                $n,
                $concurrency,
                $progress,
                null,
                \FFI::addr($out)
            );
            if (\FFI::isNull($out)) {
                throw $this->lib->lastFailure($status);
            }
            try {
                foreach ($keys as $i => $key) {
                    $code = $ffi->spread_batch_status($out, $i);
                    $e = null;
                    if ($code !== Exception::OK && $code !== Exception::QUEUED) {
                        // libspread names the order by its place in the native batch: name it by the caller's key.
                        $native = (string)$ffi->spread_batch_message($out, $i);
                        $message = (string)preg_replace('/^orders\[\d+\]: /', '', $native);
                        $httpStatus = $ffi->spread_batch_http_status($out, $i);
                        $e = $this->lib->exception($code, "orders[$key]: $message", $httpStatus);
                    }
                    $results[$key] = new SendResult($key, $code, $e);
                }
            } finally {
                $ffi->spread_batch_free($out);
            }
        } finally {
            $this->drainLog();
        }
        if ($thrown !== null) {
            throw $thrown;
        }
    }

    /**
     * Sends this client's orders waiting in the spool (spool_dir), oldest
     * first, within flush_budget_ms. An order SPREAD refuses for its content
     * is set aside in rejected/ and the flush goes on; any other failure
     * stops it and is thrown, every entry left pending.
     *
     * @return array{delivered: int, remaining: int}
     * @throws ConfigException without spool_dir
     * @throws NetworkException|TlsException|RedirectException|ApiException when SPREAD could not take them
     * @throws Exception another subclass naming the cause
     */
    public function flush(): array
    {
        $ffi = $this->lib->ffi;
        $delivered = $ffi->new('size_t');
        $remaining = $ffi->new('size_t');
        try {
            $this->lib->check($ffi->spread_flush($this->handle, \FFI::addr($delivered), \FFI::addr($remaining)));
        } finally {
            $this->drainLog();
        }
        return ['delivered' => $delivered->cdata, 'remaining' => $remaining->cdata];
    }

    /**
     * How many of this client's orders wait in the spool.
     *
     * @throws ConfigException without spool_dir
     * @throws IoException when the spool folder cannot be read
     */
    public function pending(): int
    {
        $pending = $this->lib->ffi->new('size_t');
        $this->lib->check($this->lib->ffi->spread_spool_pending($this->handle, \FFI::addr($pending)));
        return $pending->cdata;
    }

    /**
     * The spool's counts from this client's point of view: pending (its own
     * entries), foreign (other destinations', left alone), legacy, rejected,
     * unreadable, and oldest_secs (the oldest pending entry's age, null when
     * none waits): what a monitoring check reads.
     *
     * @return array{pending: int, foreign: int, legacy: int, rejected: int, unreadable: int, oldest_secs: int|null}
     * @throws ConfigException without spool_dir
     * @throws IoException when the spool folder cannot be read
     */
    public function spoolStatus(): array
    {
        return $this->json($this->lib->ffi->spread_spool_status_json($this->handle));
    }

    /**
     * The orders SPREAD refused for their content, kept in rejected/, oldest first.
     *
     * @return list<array{name: string, order_id: string|null, answer: string, age_secs: int, base_url: string}>
     * @throws ConfigException without spool_dir
     * @throws IoException when the spool folder cannot be read
     */
    public function rejected(): array
    {
        return $this->json($this->lib->ffi->spread_spool_rejected_json($this->handle));
    }

    /**
     * Puts the rejected entry $name (see rejected()), or every rejected entry
     * of this client's destination (null), back in the queue; returns how many.
     *
     * @throws InvalidValueException for a name that is not a rejected entry
     * @throws ConfigException without spool_dir
     * @throws IoException
     */
    public function requeue(?string $name = null): int
    {
        $count = $this->lib->ffi->new('size_t');
        $this->lib->check($this->lib->ffi->spread_spool_requeue($this->handle, $name, \FFI::addr($count)));
        return $count->cdata;
    }

    /**
     * Deletes the rejected entries set aside at least $olderThanSecs seconds
     * ago (0: all); returns how many.
     *
     * @throws ConfigException without spool_dir
     * @throws IoException
     */
    public function purgeRejected(int $olderThanSecs = 0): int
    {
        if ($olderThanSecs < 0) {
            throw new InvalidValueException("older_than_secs: $olderThanSecs is negative");
        }
        $count = $this->lib->ffi->new('size_t');
        $this->lib->check(
            $this->lib->ffi->spread_spool_purge_rejected($this->handle, $olderThanSecs, \FFI::addr($count))
        );
        return $count->cdata;
    }

    /**
     * Moves the spooled orders of an old base URL ($fromBaseUrl) or an old
     * public key ($fromPublicKey) to this client's destination, each keeping
     * its place in the queue; returns how many. spoolStatus()['stranded']
     * counts those of this key under another base URL. Never automatic.
     *
     * @throws InvalidValueException when neither is given
     * @throws ConfigException without spool_dir
     * @throws IoException
     */
    public function adopt(?string $fromBaseUrl = null, ?string $fromPublicKey = null): int
    {
        $count = $this->lib->ffi->new('size_t');
        $this->lib->check(
            $this->lib->ffi->spread_spool_adopt($this->handle, $fromBaseUrl, $fromPublicKey, \FFI::addr($count))
        );
        return $count->cdata;
    }

    /**
     * A new empty order made with this client's library (what send() requires).
     *
     * @throws LibraryException
     */
    public function newOrder(): Order
    {
        return new Order($this->lib);
    }

    /** The most threads one sendMany() may use: libspread's limit (spread_max_concurrency). */
    public function maxConcurrency(): int
    {
        return $this->lib->maxConcurrency();
    }

    /**
     * Frees the native client. If this client enqueued orders, libspread
     * first waits up to shutdown_timeout_ms for their background delivery
     * (not under php-fpm, where the option defaults to 0: the delivery thread
     * lives on in the worker), the client still valid (spread_client_close):
     * the records logged until then, those of that wait included, are
     * forwarded before it is freed.
     */
    public function __destruct()
    {
        if (isset($this->handle)) { // unset only when construction was bypassed (unserialize, reflection)
            $ffi = $this->lib->ffi;
            try {
                $ffi->spread_client_close($this->handle);
                $this->drainLog();
            } finally {
                $ffi->spread_client_free($this->handle);
            }
        }
    }

    /** A copy would free the native client twice. */
    private function __clone()
    {
    }

    /**
     * var_dump()/print_r(): the library and the options given; nothing
     * secret lives in PHP (a proxy's password is masked).
     *
     * @return array{library: string, options: array<string, mixed>}
     */
    public function __debugInfo(): array
    {
        return ['library' => $this->lib->path, 'options' => $this->shown];
    }

    /**
     * @param array<string, mixed> $options
     * @return array<string, mixed>
     */
    private static function shownOptions(array $options): array
    {
        $shown = [];
        foreach ($options as $name => $value) {
            $shown[$name] = match (true) {
                is_object($value) => $value::class,
                // The proxy URL's user:password@ is masked.
                $name === 'proxy' && is_string($value)
                    => (string)preg_replace('#^([a-z][a-z0-9+.-]*://)?[^/@?\#]*@#i', '$1***@', $value),
                default => $value,
            };
        }
        return $shown;
    }

    /**
     * Forwards libspread's queued log records to the logger, oldest first,
     * as $logger->log($level, $message, $context + ['event' => $event]).
     * A logger that throws (Monolog does when its file cannot be opened)
     * changes no outcome: this runs in `finally` blocks, where its exception
     * would replace the call's result. It is reported once, and the call's
     * other records are dropped.
     */
    private function drainLog(?CData $handle = null): void
    {
        if ($this->logger === null) {
            return;
        }
        $handle ??= $this->handle;
        $failed = false;
        while (($json = $this->lib->ownedString($this->lib->ffi->spread_client_next_log($handle))) !== null) {
            if ($failed) {
                continue; // drained all the same: they must not reach the next call
            }
            $record = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
            try {
                $this->logger->log(
                    self::PSR_LEVELS[$record['level']] ?? 'error',
                    $record['message'],
                    ($record['context'] ?? []) + ['event' => $record['event']],
                );
            } catch (\Throwable $e) {
                $failed = true;
                self::loggerFailed($e);
            }
        }
    }

    /**
     * Reports a logger's exception as a PHP warning; when the application's error
     * handler throws it back (ErrorException, as frameworks do), through error_log.
     */
    private static function loggerFailed(\Throwable $e): void
    {
        $message = sprintf(
            'Spread\\Client: the logger threw %s: %s; libspread\'s other records of this call were dropped',
            get_class($e),
            $e->getMessage()
        );
        try {
            trigger_error($message, E_USER_WARNING);
        } catch (\Throwable) {
            error_log($message);
        }
    }

    /**
     * An owned JSON string from libspread, decoded.
     *
     * @return array<array-key, mixed>
     * @throws Exception the call's failure, when it returned NULL
     */
    private function json(?CData $pointer): array
    {
        $json = $this->lib->ownedString($pointer) ?? throw $this->lib->lastFailure();
        return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * The libspread level for a PSR-3 level name.
     *
     * @throws ConfigException
     */
    private function logLevel(string $level): int
    {
        $name = self::LOG_LEVELS[$level] ?? throw new ConfigException("log_level: \"$level\" is not a PSR-3 level ("
            . implode(', ', array_keys(self::LOG_LEVELS)) . ')');
        return $this->lib->ffi->$name;
    }

    /**
     * The 'logger' option: anything with a PSR-3 compatible log($level, $message, array $context).
     *
     * @param array<string, mixed> $options
     * @throws ConfigException
     */
    private static function loggerOption(array $options): ?object
    {
        $logger = $options['logger'] ?? null;
        if ($logger !== null && (!is_object($logger) || !method_exists($logger, 'log'))) {
            throw new ConfigException('logger: expected a PSR-3 logger (Psr\Log\LoggerInterface, or any object with '
                . 'log($level, $message, array $context)), got ' . get_debug_type($logger));
        }
        return $logger;
    }

    /**
     * An option's value of the type it takes (null when not set); strings
     * without NUL bytes, ints within uint32_t for the C setters.
     *
     * @param array<string, mixed> $options
     * @param 'string'|'bool'|'uint32' $type
     * @throws ConfigException naming the option
     */
    private static function option(array $options, string $name, string $type): string|bool|int|null
    {
        $value = $options[$name] ?? null;
        if ($value === null) {
            return null;
        }
        $expected = ['string' => 'is_string', 'bool' => 'is_bool', 'uint32' => 'is_int'][$type];
        if (!$expected($value)) {
            $wanted = $type === 'uint32' ? 'an int' : "a $type";
            throw new ConfigException(sprintf('%s: expected %s, got %s', $name, $wanted, get_debug_type($value)));
        }
        return match ($type) {
            'string' => str_contains($value, "\0") ? throw new ConfigException("$name: contains a NUL byte") : $value,
            'uint32' => self::uint32($name, $value),
            'bool' => $value,
        };
    }

    /**
     * $value when a C uint32_t can hold it (the library checks the range that makes sense).
     *
     * @throws ConfigException
     */
    private static function uint32(string $name, int $value): int
    {
        if ($value < 0 || $value > 0xFFFFFFFF) {
            throw new ConfigException("$name: $value is out of range (0 to 4294967295)");
        }
        return $value;
    }
}

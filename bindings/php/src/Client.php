<?php

declare(strict_types=1);

namespace Spread;

use FFI\CData;

/**
 * A SPREAD client: the API keys and the settings, over one native client
 * (with its pool of connections). Make one per process and reuse it.
 *
 *     $client = new Spread\Client('PUBLIC_KEY', 'PRIVATE_KEY');
 *     $client->updateOrder($post_data);
 *
 * The private key goes straight to libspread: it is kept in no PHP property
 * and hidden from stack traces (#[\SensitiveParameter]).
 */
final class Client
{
    /**
     * The options, in the order they are applied: allow_insecure_http must
     * come before a plain-http base_url, the timeouts before the spool.
     */
    private const OPTIONS = [
        'library', 'allow_insecure_http', 'ca_file', 'timeout_ms', 'connect_timeout_ms',
        'base_url', 'max_attempts', 'spool_dir',
    ];

    /** The most threads one sendMany() may use (libspread's limit). */
    public const MAX_CONCURRENCY = 32;

    private readonly Library $lib;
    private readonly CData $handle;

    /**
     * @param array{base_url?: string, timeout_ms?: int, connect_timeout_ms?: int, spool_dir?: string,
     *              ca_file?: string, allow_insecure_http?: bool, max_attempts?: int, library?: string} $options
     * @throws ConfigException naming the option or the key at fault
     * @throws LibraryException when libspread cannot be loaded
     */
    public function __construct(string $publicKey, #[\SensitiveParameter] string $privateKey, array $options = [])
    {
        foreach ($options as $name => $_) {
            if (!in_array($name, self::OPTIONS, true)) {
                throw new ConfigException("$name: unknown option; the options are " . implode(', ', self::OPTIONS));
            }
        }
        $this->lib = Library::get(self::stringOption($options, 'library'));
        $ffi = $this->lib->ffi;
        foreach (['public_key' => $publicKey, 'private_key' => $privateKey] as $name => $key) {
            if (str_contains($key, "\0")) {
                throw new ConfigException("$name: contains a NUL byte");
            }
        }
        $handle = $ffi->spread_client_new($publicKey, $privateKey);
        if ($handle === null || \FFI::isNull($handle)) {
            throw $this->lib->lastFailure($ffi->spread_last_status());
        }
        $this->handle = $handle;
        try {
            $this->configure($options);
        } catch (\Throwable $e) {
            // PHP runs no destructor when a constructor throws.
            $ffi->spread_client_free($handle);
            throw $e;
        }
    }

    /**
     * Sends the seed's $post_data (whole, or its "data" part) as it is: the
     * body is http_build_query($post_data), byte for byte. One round trip.
     *
     * @param array<mixed> $postData
     * @throws Exception a subclass naming the field or the cause
     */
    public function updateOrder(array $postData): Response
    {
        return $this->send(Order::fromArray($postData, $this->lib));
    }

    /**
     * Validates the order and sends it to SPREAD's updateOrder, blocking for
     * at most timeout_ms. Resending the same order_idorder updates the order.
     *
     * @throws Exception a subclass naming the field or the cause
     */
    public function send(Order $order): Response
    {
        $ffi = $this->lib->ffi;
        $out = $ffi->new('SpreadResponse *');
        $status = $ffi->spread_send($this->handle, $order->handle($this->lib), \FFI::addr($out));
        $this->lib->check($status);
        if ($status === Exception::QUEUED) {
            return new Response(0, '', true); // spooled: $out stays NULL
        }
        try {
            return new Response($ffi->spread_response_status($out), $ffi->spread_response_body($out));
        } finally {
            $ffi->spread_response_free($out);
        }
    }

    /**
     * Sends several orders at once, on up to $concurrency threads (1 to 32), and
     * blocks until each one is delivered, queued (with spool_dir) or failed. Each
     * goes as send() would send it (validation, retries, spool); when SPREAD asks
     * to wait (429/503 with Retry-After) all the senders wait together.
     *
     * $orders holds Spread\Order objects and/or seed-shaped $post_data arrays (as
     * updateOrder() takes them). A failed order stops nothing and throws nothing:
     * the BatchResult gives, for each key of $orders, a SendResult (delivered,
     * queued, or failed with the exception send() would have thrown, its message
     * starting with "orders[<key>]: "). An array that Order::fromArray() refuses is
     * not sent and fails alone. libspread details the first failed order only
     * (message and httpStatus()); a later failure has its status, a missing
     * field's message, and otherwise the status name.
     *
     * @param array<int|string, Order|array<mixed>> $orders
     * @throws \TypeError for an element that is neither an Order nor an array (nothing is sent)
     * @throws ConfigException for a concurrency out of range, or an Order built with another library
     */
    public function sendMany(array $orders, int $concurrency = 8): BatchResult
    {
        if ($concurrency < 1 || $concurrency > self::MAX_CONCURRENCY) {
            throw new ConfigException("concurrency: $concurrency is out of range (1 to " . self::MAX_CONCURRENCY . ')');
        }
        foreach ($orders as $key => $order) {
            if (!$order instanceof Order && !is_array($order)) {
                throw new \TypeError(sprintf('%s::sendMany(): orders[%s] must be of type %s|array, %s given', self::class, $key, Order::class, get_debug_type($order)));
            }
        }
        $results = []; // the caller's key => SendResult
        $keys = [];    // position in the native batch => the caller's key
        $handles = []; // position in the native batch => the order's handle
        $built = [];   // orders made here from arrays: kept alive until libspread is done with them
        foreach ($orders as $key => $order) {
            if (is_array($order)) {
                try {
                    $order = $built[] = Order::fromArray($order, $this->lib);
                } catch (Exception $e) { // bad data in this one: it fails alone
                    $results[$key] = new SendResult($key, $e->getCode(), Exception::fromStatus($e->getCode(), "orders[$key]: " . $e->getMessage(), $e->httpStatus(), $e));
                    continue;
                }
            }
            $keys[] = $key;
            $handles[] = $order->handle($this->lib);
        }
        if ($handles !== []) {
            $this->sendBatch($keys, $handles, $concurrency, $results);
        }
        $ordered = [];
        foreach (array_keys($orders) as $key) {
            $ordered[$key] = $results[$key];
        }
        return new BatchResult($ordered);
    }

    /**
     * One spread_send_many call; fills $results for each key of $keys.
     *
     * @param list<int|string> $keys
     * @param list<CData> $handles
     * @param array<int|string, SendResult> $results
     */
    private function sendBatch(array $keys, array $handles, int $concurrency, array &$results): void
    {
        $ffi = $this->lib->ffi;
        $n = count($handles);
        $batch = $ffi->new("const SpreadOrder *[$n]");
        $statuses = $ffi->new("int[$n]");
        foreach ($handles as $k => $handle) {
            $batch[$k] = $handle;
            $statuses[$k] = -1; // not written: the call itself failed
        }
        $status = $this->lib->call('spread_send_many', $this->handle, $batch, $n, $concurrency, $statuses);
        $detail = null; // libspread's message and HTTP status for the first failed order
        if ($status !== Exception::OK && $status !== Exception::QUEUED) {
            $detail = [$ffi->spread_last_error(), $ffi->spread_last_http_status()];
        }
        $first = null;
        foreach ($keys as $k => $key) {
            $code = $statuses[$k];
            if ($code === Exception::OK || $code === Exception::QUEUED) {
                $results[$key] = new SendResult($key, $code);
                continue;
            }
            if ($code < 0) {
                $code = $status;
            }
            if ($first === null && $detail !== null) {
                $first = $key;
                [$message, $httpStatus] = $detail;
                $own = "orders[$k]: "; // libspread's index is into the native batch
                if (str_starts_with($message, $own)) {
                    $message = substr($message, strlen($own));
                }
                $e = Exception::fromStatus($code, "orders[$key]: $message", $httpStatus);
            } elseif ($code === Exception::MISSING_FIELD && $ffi->spread_order_validate($handles[$k]) === Exception::MISSING_FIELD) {
                $e = $this->lib->lastFailure($code, "orders[$key]: ");
            } else {
                $e = Exception::fromStatus($code, sprintf(
                    'orders[%s]: %s (libspread details the first failed order only: orders[%s])',
                    $key,
                    $ffi->spread_status_name($code),
                    $first,
                ));
            }
            $results[$key] = new SendResult($key, $code, $e);
        }
        if ($detail !== null && $first === null) { // a failure of the call, not of an order
            throw Exception::fromStatus($status, $detail[0], $detail[1]);
        }
    }

    /**
     * Sends the orders waiting in the spool (spool_dir), oldest first.
     *
     * @return array{delivered: int, remaining: int}
     * @throws Exception
     */
    public function flush(): array
    {
        $ffi = $this->lib->ffi;
        $delivered = $ffi->new('size_t');
        $remaining = $ffi->new('size_t');
        $this->lib->check($this->lib->call('spread_flush', $this->handle, \FFI::addr($delivered), \FFI::addr($remaining)));
        return ['delivered' => $delivered->cdata, 'remaining' => $remaining->cdata];
    }

    /** How many orders wait in the spool. */
    public function pending(): int
    {
        $pending = $this->lib->ffi->new('size_t');
        $this->lib->check($this->lib->call('spread_spool_pending', $this->handle, \FFI::addr($pending)));
        return $pending->cdata;
    }

    /** A new empty order made with this client's library (what send() requires). */
    public function newOrder(): Order
    {
        return new Order($this->lib);
    }

    public function __destruct()
    {
        if (isset($this->handle)) { // unset only when construction was bypassed (unserialize, reflection)
            $this->lib->ffi->spread_client_free($this->handle);
        }
    }

    /** A copy would free the native client twice. */
    private function __clone()
    {
    }

    /** Nothing secret lives in PHP, but say so for var_dump()/print_r(). */
    public function __debugInfo(): array
    {
        return ['library' => $this->lib->path];
    }

    private function configure(array $options): void
    {
        if (($allow = $options['allow_insecure_http'] ?? null) !== null) {
            if (!is_bool($allow)) {
                throw new ConfigException('allow_insecure_http: expected a bool, got ' . get_debug_type($allow));
            }
            $this->lib->check($this->lib->ffi->spread_client_set_allow_insecure_http($this->handle, $allow));
        }
        $this->setString($options, 'ca_file', 'spread_client_set_ca_file');
        $this->setUint32($options, 'timeout_ms', 'spread_client_set_timeout_ms');
        $this->setUint32($options, 'connect_timeout_ms', 'spread_client_set_connect_timeout_ms');
        $this->setString($options, 'base_url', 'spread_client_set_base_url');
        $this->setUint32($options, 'max_attempts', 'spread_client_set_max_attempts');
        $this->setString($options, 'spool_dir', 'spread_client_set_spool_dir');
    }

    private static function stringOption(array $options, string $name): ?string
    {
        $value = $options[$name] ?? null;
        if ($value !== null && !is_string($value)) {
            throw new ConfigException("$name: expected a string, got " . get_debug_type($value));
        }
        if ($value !== null && str_contains($value, "\0")) {
            throw new ConfigException("$name: contains a NUL byte");
        }
        return $value;
    }

    private function setString(array $options, string $name, string $function): void
    {
        $value = self::stringOption($options, $name);
        if ($value !== null) {
            $this->lib->check($this->lib->call($function, $this->handle, $value));
        }
    }

    private function setUint32(array $options, string $name, string $function): void
    {
        $value = $options[$name] ?? null;
        if ($value === null) {
            return;
        }
        if (!is_int($value)) {
            throw new ConfigException("$name: expected an int, got " . get_debug_type($value));
        }
        if ($value < 0 || $value > 0xFFFFFFFF) {
            throw new ConfigException("$name: $value is out of range (0 to 4294967295)");
        }
        $this->lib->check($this->lib->call($function, $this->handle, $value));
    }
}

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
            throw Exception::fromStatus($ffi->spread_last_status(), $ffi->spread_last_error());
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

<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/**
 * The SPREAD sandbox (sandbox/router.php under `php -S`) on a free loopback
 * port with its own SQLite file; stopped by stop() or at the end of the process.
 */
final class Sandbox
{
    public const PUBLIC_KEY = 'PUBLIC_KEY';
    public const PRIVATE_KEY = 'PRIVATE_KEY';

    private static ?self $shared = null;

    /** @var resource|null */
    private $process = null;
    private string $dir;
    public readonly int $port;

    /** The sandbox shared by the whole test run, started on first use. */
    public static function shared(): self
    {
        return self::$shared ??= new self();
    }

    public function __construct()
    {
        $this->dir = Php::tempDir('spread-php-sandbox-');
        $router = dirname(__DIR__, 3) . '/sandbox/router.php';
        $env = ['SPREAD_SANDBOX_DB' => "$this->dir/sandbox.sqlite", 'PATH' => getenv('PATH') ?: '/usr/bin:/bin'];
        for ($attempt = 0; $attempt < 5; $attempt++) { // the port may be taken between probe and bind
            $port = Php::freePort();
            $this->process = proc_open(
                [PHP_BINARY, '-S', "127.0.0.1:$port", '-t', $this->dir, $router],
                [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$this->dir/server.log", 'a'], 2 => ['file', "$this->dir/server.log", 'a']],
                $pipes,
                $this->dir,
                $env,
            );
            $deadline = microtime(true) + 10;
            while (microtime(true) < $deadline && proc_get_status($this->process)['running']) {
                if (@fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2)) {
                    $this->port = $port;
                    register_shutdown_function([$this, 'stop']);
                    return;
                }
                usleep(20_000);
            }
            $this->stop();
        }
        throw new \RuntimeException('sandbox did not start: ' . @file_get_contents("$this->dir/server.log"));
    }

    public function stop(): void
    {
        if ($this->process !== null) {
            proc_terminate($this->process, SIGTERM);
            proc_close($this->process);
            $this->process = null;
        }
    }

    /** The API base URL for Spread\Client's base_url option. */
    public function baseUrl(): string
    {
        return "http://127.0.0.1:$this->port/api";
    }

    public function reset(): void
    {
        $this->call('POST', '/_sandbox/reset');
    }

    /** @param array<string, mixed> $fault such as ['mode' => 'slow', 'delay_ms' => 3000, 'times' => 1] */
    public function fault(array $fault): void
    {
        $this->call('POST', '/_sandbox/fault', json_encode($fault));
    }

    /** @return array{orders: array<string, mixed>, profiles: array<string, mixed>} */
    public function state(): array
    {
        return json_decode($this->call('GET', '/_sandbox/state'), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return list<array<string, mixed>> every /api/ request, oldest first, 'raw' holding the exact body */
    public function requests(): array
    {
        $rows = json_decode($this->call('GET', '/_sandbox/requests'), true, 512, JSON_THROW_ON_ERROR);
        foreach ($rows as &$r) {
            $r['raw'] = base64_decode($r['body_b64'], true);
        }
        return $rows;
    }

    private function call(string $method, string $path, ?string $body = null): string
    {
        $ch = curl_init("http://127.0.0.1:$this->port$path");
        curl_setopt_array($ch, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 10,
            CURLOPT_POSTFIELDS => $body ?? '',
        ]);
        $out = curl_exec($ch);
        $code = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        if ($out === false || $code !== 200) {
            throw new \RuntimeException("sandbox $method $path failed ($code): " . var_export($out, true));
        }
        return $out;
    }
}

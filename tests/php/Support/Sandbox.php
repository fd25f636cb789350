<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/**
 * The SPREAD sandbox on a free loopback port with its own SQLite file, started
 * through sandbox/serve.php (the launcher every language's tests share); stopped
 * by stop() or at the end of the process (or by itself, should this process die).
 */
final class Sandbox
{
    public const PUBLIC_KEY = 'PUBLIC_KEY';
    public const PRIVATE_KEY = 'PRIVATE_KEY';

    private static ?self $shared = null;

    /** @var resource|null sandbox/serve.php, leader of the process group that holds php -S */
    private $launcher = null;
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
        $env = [
            'PATH' => getenv('PATH') ?: '/usr/bin:/bin',
            'SPREAD_SANDBOX_PUBLIC_KEY' => self::PUBLIC_KEY,
            'SPREAD_SANDBOX_PRIVATE_KEY' => self::PRIVATE_KEY,
        ];
        $this->launcher = proc_open(
            [PHP_BINARY, Php::repo() . '/sandbox/serve.php', '--dir', $this->dir],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w']],
            $pipes,
            null,
            $env,
        );
        // One line: the port once the sandbox answers, or "error: ..." and the reason.
        $line = (string)fgets($pipes[1]);
        if (preg_match('/^\d+$/', trim($line)) !== 1) {
            $reason = $line . stream_get_contents($pipes[1]);
            fclose($pipes[1]);
            $this->stop();
            throw new \RuntimeException("sandbox did not start: $reason");
        }
        fclose($pipes[1]);
        $this->port = (int)$line;
        register_shutdown_function([$this, 'stop']);
    }

    public function stop(): void
    {
        if ($this->launcher !== null) {
            // The whole group: php -S and, with workers, its children.
            posix_kill(-proc_get_status($this->launcher)['pid'], SIGKILL);
            proc_close($this->launcher);
            $this->launcher = null;
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

<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/**
 * The SPREAD sandbox (sandbox/router.php under `php -S`) on a free loopback
 * port with its own SQLite file; stopped by stop() or at the end of the process.
 *
 * It runs behind tests/php/scripts/sandbox_router.php, which can hold back
 * the requests whose body contains a given text (slowWhen()): a delay aimed
 * at one update, where the sandbox's own "slow" fault takes whichever request
 * comes first; or answer them itself (answerWhen()), with what SPREAD never
 * sends, such as a 2 MiB body. With $workers > 1, that many PHP processes answer at once
 * (PHP_CLI_SERVER_WORKERS); the server runs in its own process group, so
 * that stopping it stops them all.
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

    /**
     * @param bool $stateless each request with a fresh in-memory database: the sandbox still
     *        checks auth and the order and answers as always, ten times faster, but keeps
     *        nothing (state(), requests() and fault() have nothing to work on)
     */
    public function __construct(int $workers = 1, bool $stateless = false)
    {
        $this->dir = Php::tempDir('spread-php-sandbox-');
        $router = dirname(__DIR__) . '/scripts/sandbox_router.php';
        $db = $stateless ? ':memory:' : "$this->dir/sandbox.sqlite";
        $env = ['SPREAD_SANDBOX_DB' => $db, 'PATH' => getenv('PATH') ?: '/usr/bin:/bin'];
        if ($workers > 1) {
            $env['PHP_CLI_SERVER_WORKERS'] = (string)$workers;
        }
        for ($attempt = 0; $attempt < 5; $attempt++) { // the port may be taken between probe and bind
            $port = Php::freePort();
            // setsid: the server leads its own process group (its pid is the group's id).
            $this->process = proc_open(
                ['setsid', PHP_BINARY, '-S', "127.0.0.1:$port", '-t', $this->dir, $router],
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
            $pid = proc_get_status($this->process)['pid'];
            posix_kill(-$pid, SIGTERM); // the server and its workers
            proc_close($this->process);
            $this->process = null;
        }
    }

    /** Holds back every request to /api/ whose raw body contains $needle by $ms before the sandbox sees it. */
    public function slowWhen(string $needle, int $ms): void
    {
        $this->hook(['needle' => $needle, 'ms' => $ms]);
    }

    /** Answers every request to /api/ whose raw body contains $needle with $status and a JSON body of $bytes bytes, instead of the sandbox. */
    public function answerWhen(string $needle, int $status, int $bytes): void
    {
        $this->hook(['needle' => $needle, 'status' => $status, 'bytes' => $bytes]);
    }

    /** @param array<string, mixed> $rule one more rule for sandbox_router.php */
    private function hook(array $rule): void
    {
        $rules = is_file("$this->dir/hooks.json") ? json_decode(file_get_contents("$this->dir/hooks.json"), true) : [];
        $rules[] = $rule;
        file_put_contents("$this->dir/hooks.json.tmp", json_encode($rules));
        rename("$this->dir/hooks.json.tmp", "$this->dir/hooks.json");
    }

    /** The API base URL for Spread\Client's base_url option. */
    public function baseUrl(): string
    {
        return "http://127.0.0.1:$this->port/api";
    }

    /** Forgets orders, requests, faults and slowWhen()/answerWhen() rules. */
    public function reset(): void
    {
        @unlink("$this->dir/hooks.json");
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

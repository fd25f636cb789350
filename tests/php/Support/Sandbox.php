<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/**
 * The SPREAD sandbox on a free loopback port with its own SQLite file, started
 * through sandbox/serve.php (the launcher every language's tests share); stopped
 * by stop() or at the end of the process (or by itself, should this process die).
 *
 * It runs behind tests/php/scripts/sandbox_router.php, which can hold back
 * the requests whose body contains a given text (slowWhen()): a delay aimed
 * at one update, where the sandbox's own "slow" fault takes whichever request
 * comes first; hold back only their answers (slowAnswerWhen()); or answer them itself (answerWhen()), with what SPREAD never
 * sends, such as a 2 MiB body. With $workers > 1, that many PHP processes
 * answer at once (PHP_CLI_SERVER_WORKERS).
 */
final class Sandbox
{
    public const PUBLIC_KEY = 'PUBLIC_KEY';
    public const PRIVATE_KEY = 'PRIVATE_KEY';

    private static ?self $shared = null;

    /** @var resource|null the launcher, which leads the sandbox's process group */
    private $launcher = null;
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
        $env = [
            'PATH' => getenv('PATH') ?: '/usr/bin:/bin',
            'SPREAD_SANDBOX_PUBLIC_KEY' => self::PUBLIC_KEY,
            'SPREAD_SANDBOX_PRIVATE_KEY' => self::PRIVATE_KEY,
        ];
        $command = [
            PHP_BINARY, Php::repo() . '/sandbox/serve.php', '--dir', $this->dir,
            '--router', dirname(__DIR__) . '/scripts/sandbox_router.php', '--workers', (string)$workers,
        ];
        if ($stateless) {
            array_push($command, '--db', ':memory:');
        }
        $this->launcher = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w']], $pipes, null, $env);
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

    /** Holds back every request to /api/ whose raw body contains $needle by $ms before the sandbox sees it. */
    public function slowWhen(string $needle, int $ms): void
    {
        $this->hook(['needle' => $needle, 'ms' => $ms]);
    }

    /** Lets the sandbox handle (and log, with its arrival time) every request to /api/ whose raw body contains $needle at once, but holds back its answer by $ms. */
    public function slowAnswerWhen(string $needle, int $ms): void
    {
        $this->hook(['needle' => $needle, 'answer_ms' => $ms]);
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

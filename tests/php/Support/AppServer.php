<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/**
 * A framework application under tests/php/apps/ served by `php -S` on a free
 * loopback port (one PHP process per request, as php-fpm's worker would
 * handle it; ffi.enable=1, as php -S is no CLI: in production preload, see
 * bindings/php/README.md), stopped by stop() or at the end of the test process.
 */
final class AppServer
{
    /** @var resource|null */
    private $process;
    public readonly int $port;
    private string $log;

    /** @param array<string, string> $env */
    public function __construct(string $router, array $env)
    {
        $this->port = Php::freePort();
        $this->log = Php::tempDir('spread-php-app-log-') . '/server.log';
        $this->process = proc_open(
            [PHP_BINARY, '-d', 'error_reporting=-1', '-d', 'display_errors=stderr', '-d', 'log_errors=0', '-d', 'ffi.enable=1', '-S', "127.0.0.1:$this->port", $router],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->log, 'a'], 2 => ['file', $this->log, 'a']],
            $pipes, dirname($router), $env + ['PATH' => getenv('PATH') ?: '/usr/bin:/bin'],
        );
        register_shutdown_function([$this, 'stop']);
        for ($deadline = microtime(true) + 10; microtime(true) < $deadline; usleep(20_000)) {
            if (($socket = @fsockopen('127.0.0.1', $this->port, $errno, $errstr, 0.2)) !== false) {
                fclose($socket);
                return;
            }
        }
        throw new \RuntimeException("the application did not start:\n" . $this->output());
    }

    /**
     * POSTs a form; returns [HTTP status, body].
     *
     * @param array<string, string> $form
     * @return array{int, string}
     */
    public function post(string $path, array $form): array
    {
        $ch = curl_init("http://127.0.0.1:$this->port$path");
        curl_setopt_array($ch, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => http_build_query($form), CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 20, CURLOPT_HTTPHEADER => ['Accept: application/json']]);
        $body = curl_exec($ch);
        $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        return [$status, is_string($body) ? $body : ''];
    }

    /** What the server and the application wrote (PHP errors, the request log). */
    public function output(): string
    {
        return (string)@file_get_contents($this->log);
    }

    public function stop(): void
    {
        if ($this->process !== null) {
            proc_terminate($this->process, SIGKILL);
            proc_close($this->process);
            $this->process = null;
        }
    }
}

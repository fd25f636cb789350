<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/** Subprocesses, temporary directories and ports for the tests. */
final class Php
{
    /** @var list<string> */
    private static array $tempDirs = [];

    public static function repo(): string
    {
        return dirname(__DIR__, 3);
    }

    /** The libspread these tests load (SPREAD_LIBRARY, else the checkout's release build), resolved. */
    public static function library(): string
    {
        $path = (string)(getenv('SPREAD_LIBRARY') ?: self::repo() . '/target/release/libspread.so');
        return realpath($path) ?: $path;
    }

    public static function freePort(): int
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        $name = stream_socket_get_name($server, false);
        fclose($server);
        return (int)substr($name, strrpos($name, ':') + 1);
    }

    /** A fresh directory, removed at the end of the process. */
    public static function tempDir(string $prefix): string
    {
        $dir = sys_get_temp_dir() . '/' . $prefix . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        if (self::$tempDirs === []) {
            register_shutdown_function(static function (): void {
                foreach (self::$tempDirs as $d) {
                    exec('rm -rf ' . escapeshellarg($d));
                }
            });
        }
        self::$tempDirs[] = $dir;
        return $dir;
    }

    /**
     * Copies of $paths (files or folders of the checkout, relative to it) that
     * another user (php-fpm's nobody or www-data) can read, in a fresh 0755
     * folder laid out as the checkout is, with the library these tests load at
     * target/release/libspread.so. The checkout may sit where that user cannot
     * enter (a clone under /root is 0700), so whatever runs as another user
     * runs from here.
     *
     * @return string the copy's root (a checkout of just those paths)
     */
    public static function reachableCopy(string ...$paths): string
    {
        $root = self::tempDir('spread-reachable-');
        for ($up = dirname($root); ; $up = dirname($up)) {
            if ((fileperms($up) & 0o001) === 0) {
                throw new \RuntimeException("$up is closed to other users: set TMPDIR to a folder they can reach");
            }
            if ($up === '/') {
                break;
            }
        }
        $copies = ['target/release/libspread.so' => self::library()];
        foreach ($paths as $path) {
            $copies[$path] = self::repo() . "/$path";
        }
        foreach ($copies as $to => $from) {
            @mkdir(dirname("$root/$to"), 0755, true);
            [$code, , $err] = self::run(['cp', '-R', $from, "$root/$to"]);
            if ($code !== 0) {
                throw new \RuntimeException("copying $from: $err");
            }
        }
        [$code, , $err] = self::run(['chmod', '-R', 'a+rX', $root]);
        if ($code !== 0) {
            throw new \RuntimeException("chmod $root: $err");
        }
        return $root;
    }

    /**
     * Runs a command, feeding $stdin; returns [exit code, stdout, stderr].
     *
     * @param list<string> $command
     * @param array<string, string>|null $env null: inherit
     * @return array{0: int, 1: string, 2: string}
     */
    public static function run(array $command, string $stdin = '', ?array $env = null, int $timeout = 60): array
    {
        $proc = proc_open($command, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        fwrite($pipes[0], $stdin);
        fclose($pipes[0]);
        $out = $err = '';
        $deadline = time() + $timeout;
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        while (!feof($pipes[1]) || !feof($pipes[2])) {
            if (time() > $deadline) {
                proc_terminate($proc, SIGKILL);
                throw new \RuntimeException('timed out: ' . implode(' ', $command));
            }
            $read = [$pipes[1], $pipes[2]];
            $w = $e = null;
            if (stream_select($read, $w, $e, 1) > 0) {
                foreach ($read as $r) {
                    $chunk = (string)fread($r, 65536);
                    $r === $pipes[1] ? $out .= $chunk : $err .= $chunk;
                }
            }
        }
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($proc), $out, $err];
    }

    /**
     * Runs a PHP script (a file) with the binding's autoloader; the script
     * fails on any warning or notice.
     *
     * @param list<string> $args
     * @param list<string> $ini -d settings
     */
    public static function script(string $file, array $args = [], array $ini = [], ?array $env = null, string $stdin = ''): array
    {
        $cmd = [PHP_BINARY, '-d', 'error_reporting=-1', '-d', 'display_errors=stderr'];
        foreach ($ini as $setting) {
            array_push($cmd, '-d', $setting);
        }
        return self::run([...$cmd, $file, ...$args], $stdin, $env);
    }
}

<?php
/*
 * The one way programs start the sandbox (the Rust, Python and PHP test launchers,
 * the demo): `php -S 127.0.0.1:PORT sandbox/router.php` in a process group of its own,
 * the port printed once the sandbox answers, and stopped by itself when whoever started
 * it is gone.
 *
 *   php sandbox/serve.php [--port N] [--workers N] [--dir DIR] [--db PATH] [--router FILE] [--max-lifetime SECONDS]
 *
 *   --port N          listen on 127.0.0.1:N (default: a free port, chosen here)
 *   --workers N       N PHP processes answer at once (PHP_CLI_SERVER_WORKERS)
 *   --dir DIR         the SQLite file (DIR/sandbox.sqlite) and php -S's log (DIR/server.log);
 *                     default: a new temporary folder, removed when the sandbox stops itself
 *   --db PATH         the SQLite database (default DIR/sandbox.sqlite; ":memory:" keeps nothing
 *                     between requests: faster, but state, requests and faults are not kept)
 *   --router FILE     a router script in front of sandbox/router.php (test hooks; it must
 *                     end by requiring the sandbox's router); document root: DIR
 *   --max-lifetime S  stop after S seconds in any case (default 3600; 0: no limit)
 *
 * Keys: SPREAD_SANDBOX_PUBLIC_KEY / SPREAD_SANDBOX_PRIVATE_KEY from the environment,
 * default PUBLIC_KEY / PRIVATE_KEY. Clients use http://127.0.0.1:PORT/api.
 *
 * stdout: one line, the port, once GET /_sandbox/fault answers 200; or, when the sandbox
 * could not start, "error: " and the reason (with the end of php -S's log), exit 1.
 *
 * Stopping: kill the process group, `kill -KILL -- -PID` with PID this process's id
 * (it leads the group; php -S and its workers are in it). It also stops by itself, with
 * everything in its group, when its parent process exits, when php -S exits, after
 * --max-lifetime, and on SIGTERM, SIGINT or SIGHUP. Started from a terminal (stdin a
 * TTY) it stays in the terminal's group, so that Ctrl-C stops it.
 */
declare(strict_types=1);

ini_set('display_errors', 'stderr');

const ROUTER = __DIR__ . '/router.php';
const START_TIMEOUT_S = 10;
const ATTEMPTS = 5; // a free port may be taken between the probe and php -S's bind

function fail(string $message): never
{
    echo "error: $message\n";
    exit(1);
}

/** @return array{port: int, workers: int, dir: ?string, db: ?string, router: string, max_lifetime: int} */
function options(array $argv): array
{
    $usage = 'usage: php sandbox/serve.php [--port N] [--workers N] [--dir DIR] [--db PATH] [--router FILE] [--max-lifetime SECONDS]';
    $given = [];
    for ($i = 1; $i < count($argv); $i++) {
        $arg = $argv[$i];
        [$name, $value] = str_contains($arg, '=') ? explode('=', $arg, 2) : [$arg, $argv[++$i] ?? null];
        if (!in_array($name, ['--port', '--workers', '--dir', '--db', '--router', '--max-lifetime'], true) || $value === null) {
            fail("$usage (at $arg)");
        }
        $given[substr($name, 2)] = $value;
    }
    $int = static function (string $name, int $default, int $min, int $max) use ($given): int {
        if (!isset($given[$name])) {
            return $default;
        }
        $value = filter_var($given[$name], FILTER_VALIDATE_INT, ['options' => ['min_range' => $min, 'max_range' => $max]]);
        return $value === false ? fail("--$name: expected a whole number from $min to $max") : $value;
    };
    return [
        'port' => $int('port', 0, 1, 65535),
        'workers' => $int('workers', 0, 0, 64),
        'dir' => $given['dir'] ?? null,
        'db' => $given['db'] ?? null,
        'router' => $given['router'] ?? ROUTER,
        'max_lifetime' => $int('max-lifetime', 3600, 0, PHP_INT_MAX),
    ];
}

function free_port(): int
{
    $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr) ?: fail("no free port: $errstr");
    $name = stream_socket_get_name($server, false);
    fclose($server);
    return (int)substr($name, strrpos($name, ':') + 1);
}

/** The sandbox answers its control API (so the router, PHP's SQLite and the folder work). */
function answers(int $port): bool
{
    $socket = @fsockopen('127.0.0.1', $port, $errno, $errstr, 1.0);
    if ($socket === false) {
        return false;
    }
    stream_set_timeout($socket, 2);
    fwrite($socket, "GET /_sandbox/fault HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n\r\n");
    $status = fgets($socket);
    fclose($socket);
    return is_string($status) && preg_match('#^HTTP/1\.[01] 200 #', $status) === 1;
}

/** SIGKILL to $pid and its descendants (php -S's workers are children of its master). */
function kill_tree(int $pid): void
{
    foreach (glob("/proc/$pid/task/*/children") ?: [] as $file) {
        foreach (preg_split('/\s+/', trim((string)@file_get_contents($file)), -1, PREG_SPLIT_NO_EMPTY) as $child) {
            kill_tree((int)$child);
        }
    }
    posix_kill($pid, SIGKILL);
}

function remove_tree(string $dir): void
{
    foreach (scandir($dir) ?: [] as $name) {
        if ($name !== '.' && $name !== '..') {
            is_dir("$dir/$name") && !is_link("$dir/$name") ? remove_tree("$dir/$name") : @unlink("$dir/$name");
        }
    }
    @rmdir($dir);
}

$options = options($argv);
$parent = posix_getppid();
$started = microtime(true);

// The group: whoever started us kills all of php -S (master and workers) by killing it.
if (!posix_isatty(STDIN)) {
    @posix_setpgid(0, 0);
    if (posix_getpgrp() !== posix_getpid()) {
        fail('could not start a process group: ' . posix_strerror(posix_get_last_error()));
    }
}
$leader = posix_getpgrp() === posix_getpid();

$stop = false;
pcntl_async_signals(true);
foreach ([SIGTERM, SIGINT, SIGHUP] as $signal) {
    pcntl_signal($signal, static function () use (&$stop): void {
        $stop = true;
    });
}

$ownDir = $options['dir'] === null;
$dir = $options['dir'] ?? sys_get_temp_dir() . '/spread-sandbox-' . bin2hex(random_bytes(6));
if (!is_dir($dir) && !@mkdir($dir, 0700, true)) {
    fail("cannot create $dir");
}
$dir = realpath($dir);

$env = getenv();
$env['SPREAD_SANDBOX_DB'] = $options['db'] ?? "$dir/sandbox.sqlite";
$env['SPREAD_SANDBOX_PUBLIC_KEY'] ??= 'PUBLIC_KEY';
$env['SPREAD_SANDBOX_PRIVATE_KEY'] ??= 'PRIVATE_KEY';
unset($env['PHP_CLI_SERVER_WORKERS']);
if ($options['workers'] > 1) {
    $env['PHP_CLI_SERVER_WORKERS'] = (string)$options['workers'];
}
$log = "$dir/server.log";

$server = null;
for ($attempt = 0; $server === null && $attempt < ($options['port'] ? 1 : ATTEMPTS); $attempt++) {
    $port = $options['port'] ?: free_port();
    // Document root and working folder: the sandbox's own folder (nothing to serve statically).
    $process = proc_open(
        [PHP_BINARY, '-S', "127.0.0.1:$port", '-t', $dir, $options['router']],
        [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']],
        $pipes,
        $dir,
        $env,
    );
    $deadline = microtime(true) + START_TIMEOUT_S;
    while (!$stop && microtime(true) < $deadline && proc_get_status($process)['running']) {
        if (answers($port)) {
            $server = $process;
            break;
        }
        usleep(20_000);
    }
    if ($server === null) {
        kill_tree(proc_get_status($process)['pid']);
        proc_close($process);
    }
}
if ($server === null) {
    $tail = substr((string)@file_get_contents($log), -2000);
    $ownDir && remove_tree($dir);
    fail("php -S did not answer on 127.0.0.1:$port ({$options['router']})\n$tail");
}

echo "$port\n";
fclose(STDOUT);

while (!$stop
    && posix_getppid() === $parent
    && ($options['max_lifetime'] === 0 || microtime(true) - $started < $options['max_lifetime'])
    && proc_get_status($server)['running']) {
    usleep(100_000);
}

$ownDir && remove_tree($dir);
if ($leader) {
    posix_kill(0, SIGKILL); // the whole group, this process included
}
kill_tree(proc_get_status($server)['pid']);
exit(0);

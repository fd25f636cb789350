<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Tests\Support\Php;
use Spread\Tests\Support\SandboxTestCase;

/**
 * The binding under a real php-fpm with PHP's default ffi.enable=preload,
 * loaded by opcache.preload=bindings/php/preload.php, driven with cgi-fcgi:
 * sends, and enqueue with the delivery thread living on in the worker.
 */
final class FpmPreloadTest extends SandboxTestCase
{
    /** The uid an unprivileged php-fpm master runs as when the tests run as root ("nobody"). */
    private const UNPRIVILEGED_UID = 65534;

    /** @var list<resource> */
    private array $processes = [];
    private string $fpm;
    private string $lastDir = '';

    protected function setUp(): void
    {
        $version = PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        $this->fpm = self::which("php-fpm$version", "/usr/sbin/php-fpm$version", 'php-fpm')
            ?? $this->fail("php-fpm is not installed (apt-get install php$version-fpm, see .ci/setup)");
        self::which('cgi-fcgi') ?? $this->fail('cgi-fcgi is not installed (apt-get install libfcgi-bin, see .ci/setup)');
        parent::setUp();
    }

    protected function tearDown(): void
    {
        foreach ($this->processes as $p) {
            proc_terminate($p, SIGQUIT);
            proc_close($p);
        }
        $this->processes = [];
    }

    /** A master started as root: ffi.preload with the generated header (absolute FFI_LIB) + opcache.preload_user. */
    public function testRootMasterWithFfiPreloadHeader(): void
    {
        $port = $this->startRootStyleFpm();
        $header = file_get_contents("$this->lastDir/spread_ffi.h");
        $this->assertStringContainsString('#define FFI_LIB "' . Php::library() . '"', $header);
        $this->assertAppSendsThroughThePreloadedBinding($port, 'FPM-ROOT');
    }

    /**
     * A master started as an ordinary user: preload.php FFI::load()s a header it generates itself.
     * As root, the master is nobody, which runs a copy of the binding, library and app it can
     * read (the checkout may be in a 0700 home).
     */
    public function testUnprivilegedMasterWithoutFfiPreload(): void
    {
        $root = Php::repo();
        $env = null;
        if (posix_geteuid() === 0) {
            $root = Php::reachableCopy('bindings/php', 'include/spread_ffi.h', 'tests/php/scripts/fpm_app.php', 'tests/php/Support/Seed.php');
            $env = ['SPREAD_LIBRARY' => "$root/target/release/libspread.so"] + getenv();
        }
        $dir = $this->workDir();
        $port = $this->startFpm($dir, [], unprivileged: true, root: $root, env: $env);
        $this->assertAppSendsThroughThePreloadedBinding($port, 'FPM-USER', $root);
    }

    /** As root without ffi.preload, PHP refuses FFI::load in preload: php-fpm must not start, and say what to set. */
    public function testRootMasterWithoutFfiPreloadFailsLoudly(): void
    {
        if (posix_geteuid() !== 0) {
            $this->markTestSkipped('needs root');
        }
        $dir = $this->workDir();
        [$code, $out, $err] = Php::run($this->fpmCommand($dir, ['opcache.preload_user' => 'root']), timeout: 20);
        $this->assertNotSame(0, $code);
        $this->assertStringContainsString('Spread\LibraryException: preload: cannot load libspread', $err);
        // The header path the README uses (Debian's folder of this PHP version).
        $this->assertStringContainsString(sprintf('set ffi.preload=/etc/php/%d.%d/spread_ffi.h', PHP_MAJOR_VERSION, PHP_MINOR_VERSION), $err);
    }

    /**
     * The request that enqueues returns before SPREAD answers (held back
     * 1.5 s): the worker's delivery thread sends the order after the
     * request, and it arrives.
     */
    public function testEnqueueReturnsBeforeDeliveryAndTheWorkerDeliversAfterTheRequest(): void
    {
        $port = $this->startRootStyleFpm();
        $spool = Php::tempDir('spread-php-fpm-spool-');
        $this->sandbox->fault(['mode' => 'slow', 'delay_ms' => 1500, 'times' => 1]);
        $start = microtime(true);
        $report = $this->request($port, ['ACTION' => 'enqueue', 'ORDER_ID' => 'FPM-Q', 'SPOOL_DIR' => $spool]);
        $elapsed = microtime(true) - $start;

        $this->assertArrayNotHasKey('error', $report, json_encode($report));
        $this->assertTrue($report['queued']);
        $this->assertLessThan(0.75, $elapsed, "the request took {$elapsed}s: it waited for SPREAD");
        $this->assertLessThan(200, $report['enqueue_ms']);
        $this->assertSame('10', $this->waitForOrder('FPM-Q')['order_state'], 'the worker delivered it after the request');
        $this->assertSame(0, $this->spoolClient($spool)->pending());
    }

    /** A worker killed right after enqueue loses nothing: the entry is on disk, and a later flush delivers it. */
    public function testAWorkerKilledRightAfterEnqueueLosesNothing(): void
    {
        $port = $this->startRootStyleFpm();
        $spool = Php::tempDir('spread-php-fpm-spool-');
        $this->sandbox->fault(['mode' => 'status', 'code' => 503]); // the worker's thread cannot deliver it
        $raw = $this->request($port, ['ACTION' => 'enqueue-and-die', 'ORDER_ID' => 'FPM-K', 'SPOOL_DIR' => $spool], raw: true);
        $this->assertStringNotContainsString('"sapi"', $raw, 'the worker died before answering');
        $this->assertSame([], $this->sandbox->state()['orders']);

        $this->sandbox->fault(['mode' => 'none']);
        $client = $this->spoolClient($spool);
        $this->assertSame(1, $client->pending(), 'the enqueued order is on disk');
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $client->flush());
        $this->assertSame('10', $this->storedOrder('FPM-K')['order_state']);
        $this->assertStringContainsString('exited on signal 9 (SIGKILL)', $this->fpmLog('exited on signal'), 'the worker was killed');
    }

    private function assertAppSendsThroughThePreloadedBinding(int $port, string $orderId, ?string $root = null): void
    {
        $report = $this->request($port, ['ORDER_ID' => $orderId], root: $root);
        $body = json_encode($report);

        $this->assertSame('fpm-fcgi', $report['sapi']);
        $this->assertSame('preload', $report['ffi.enable']);
        $this->assertArrayNotHasKey('error', $report, $body);
        $this->assertSame(200, $report['status']);
        $this->assertSame('scope:SPREAD', $report['library'], 'the preloaded FFI scope is used');
        $this->assertContains('Spread\Client', $report['preloaded_classes']);
        $this->assertContains('Spread\Library', $report['preloaded_classes']);
        $this->assertSame('FFI\Exception: FFI API is restricted by "ffi.enable" configuration directive', $report['cdef'],
            'request code may not use FFI: only the preloaded binding can');
        $this->assertSame('10', $this->storedOrder($orderId)['order_state']);
        $this->assertSame([0, 0], $report['batch'], 'sendMany works in the preloaded scope');
        $this->storedOrder("$orderId-B1");
        $this->storedOrder("$orderId-B2");
    }

    /**
     * One request to fpm_app.php; its JSON report (or, with $raw, what cgi-fcgi printed).
     *
     * @param array<string, string> $params FastCGI params
     * @param string|null $root the checkout (or reachable copy) whose fpm_app.php to run
     * @return ($raw is true ? string : array<string, mixed>)
     */
    private function request(int $port, array $params, bool $raw = false, ?string $root = null): array|string
    {
        $env = $params + [
            'SCRIPT_FILENAME' => ($root ?? Php::repo()) . '/tests/php/scripts/fpm_app.php',
            'REQUEST_METHOD' => 'GET',
            'SANDBOX_URL' => $this->sandbox->baseUrl(),
            'PATH' => getenv('PATH') ?: '/usr/bin:/bin',
        ];
        [$code, $out, $err] = Php::run(['cgi-fcgi', '-bind', '-connect', "127.0.0.1:$port"], env: $env, timeout: 20);
        if ($raw) {
            return $out . $err;
        }
        $this->assertSame(0, $code, $err);
        [, $body] = explode("\r\n\r\n", $out, 2) + [1 => ''];
        $report = json_decode($body, true);
        $this->assertIsArray($report, $out);
        return $report;
    }

    /** php-fpm as a root-started master runs it (ffi.preload + preload_user), or as this user. */
    private function startRootStyleFpm(): int
    {
        $dir = $this->workDir();
        [$code, , $err] = Php::run([PHP_BINARY, Php::repo() . '/bindings/php/bin/spread-ffi-header', "$dir/spread_ffi.h"]);
        $this->assertSame(0, $code, $err);
        $ini = ['ffi.preload' => "$dir/spread_ffi.h"];
        if (posix_geteuid() === 0) {
            $ini['opcache.preload_user'] = 'root';
        }
        return $this->startFpm($dir, $ini);
    }

    /** A client of the same destination and spool as the app's, in this process. */
    private function spoolClient(string $spool): \Spread\Client
    {
        return $this->client(['spool_dir' => $spool, 'max_attempts' => 1]);
    }

    /** @return array<string, mixed> the stored order, once it is there (at most 15 s) */
    private function waitForOrder(string $id): array
    {
        $deadline = microtime(true) + 15;
        while (!isset($this->sandbox->state()['orders'][$id]) && microtime(true) < $deadline) {
            usleep(100_000);
        }
        return $this->storedOrder($id);
    }

    /** php-fpm's log, once it mentions $waitFor (at most 5 s). */
    private function fpmLog(string $waitFor): string
    {
        $deadline = microtime(true) + 5;
        do {
            $log = (string)@file_get_contents("$this->lastDir/fpm.log");
        } while (!str_contains($log, $waitFor) && microtime(true) < $deadline && usleep(50_000) === null);
        return $log;
    }

    private function workDir(): string
    {
        $dir = $this->lastDir = Php::tempDir('spread-php-fpm-');
        chmod($dir, 0777); // the unprivileged master writes its logs here
        return $dir;
    }

    /**
     * Starts php-fpm in the foreground on a free port; returns the port once it accepts connections.
     *
     * @param string|null $root the checkout (or reachable copy) whose preload.php to preload
     * @param array<string, string>|null $env null: inherit
     */
    private function startFpm(string $dir, array $ini, bool $unprivileged = false, ?string $root = null, ?array $env = null): int
    {
        $port = Php::freePort();
        $command = $this->fpmCommand($dir, $ini, $port, $root);
        if ($unprivileged && posix_geteuid() === 0) {
            $command = ['setpriv', '--reuid=' . self::UNPRIVILEGED_UID, '--regid=' . self::UNPRIVILEGED_UID, '--clear-groups', ...$command];
        }
        $proc = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$dir/fpm.out", 'a'], 2 => ['file', "$dir/fpm.out", 'a']], $pipes, null, $env);
        $this->processes[] = $proc;
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline && proc_get_status($proc)['running']) {
            if ($sock = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2)) {
                fclose($sock);
                return $port;
            }
            usleep(20_000);
        }
        $this->fail("php-fpm did not start:\n" . @file_get_contents("$dir/fpm.out") . @file_get_contents("$dir/fpm.log"));
    }

    /** @param array<string, string> $ini */
    private function fpmCommand(string $dir, array $ini, int $port = 0, ?string $root = null): array
    {
        file_put_contents("$dir/fpm.conf", <<<CONF
            [global]
            error_log = $dir/fpm.log
            daemonize = no

            [app]
            listen = 127.0.0.1:$port
            pm = static
            pm.max_children = 1
            catch_workers_output = yes
            php_admin_value[error_log] = $dir/php.log

            CONF);
        chmod("$dir/fpm.conf", 0644);
        $ini += [
            'ffi.enable' => 'preload',
            'opcache.enable' => '1',
            'opcache.preload' => ($root ?? Php::repo()) . '/bindings/php/preload.php',
        ];
        $command = [$this->fpm, '-F', '-y', "$dir/fpm.conf"];
        if (posix_geteuid() === 0) {
            $command[] = '-R';
        }
        foreach ($ini as $k => $v) {
            array_push($command, '-d', "$k=$v");
        }
        return $command;
    }

    /** The first of $candidates that is an executable (a path, or a name looked up in PATH). */
    private static function which(string ...$candidates): ?string
    {
        foreach ($candidates as $c) {
            $path = str_contains($c, '/') ? $c : trim((string)shell_exec('command -v ' . escapeshellarg($c) . ' 2>/dev/null'));
            if ($path !== '' && is_executable($path)) {
                return $path;
            }
        }
        return null;
    }
}

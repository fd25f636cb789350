<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Tests\Support\Php;
use Spread\Tests\Support\SandboxTestCase;

/**
 * The binding under a real php-fpm with PHP's default ffi.enable=preload,
 * loaded by opcache.preload=bindings/php/preload.php, driven with cgi-fcgi.
 */
final class FpmPreloadTest extends SandboxTestCase
{
    /** The uid an unprivileged php-fpm master runs as when the tests run as root ("nobody"). */
    private const UNPRIVILEGED_UID = 65534;

    /** @var list<resource> */
    private array $processes = [];
    private string $fpm;

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
        $dir = $this->workDir();
        [$code, $out, $err] = Php::run([PHP_BINARY, Php::repo() . '/bindings/php/bin/spread-ffi-header', "$dir/spread_ffi.h"]);
        $this->assertSame(0, $code, $err);
        $header = file_get_contents("$dir/spread_ffi.h");
        $this->assertStringContainsString('#define FFI_LIB "' . realpath(Php::repo() . '/target/release/libspread.so') . '"', $header);

        $ini = ['ffi.preload' => "$dir/spread_ffi.h"];
        if (posix_geteuid() === 0) {
            $ini['opcache.preload_user'] = 'root';
        }
        $this->assertAppSendsThroughThePreloadedBinding($this->startFpm($dir, $ini), 'FPM-ROOT');
    }

    /** A master started as an ordinary user: preload.php FFI::load()s a header it generates itself. */
    public function testUnprivilegedMasterWithoutFfiPreload(): void
    {
        if (posix_geteuid() === 0) {
            $files = [Php::repo() . '/bindings/php/preload.php', realpath(Php::repo() . '/target/release/libspread.so'), Php::repo() . '/include/spread_ffi.h'];
            [$code] = Php::run(['setpriv', '--reuid=' . self::UNPRIVILEGED_UID, '--regid=' . self::UNPRIVILEGED_UID, '--clear-groups',
                PHP_BINARY, '-r', 'foreach (array_slice($argv, 1) as $f) { is_readable($f) || exit(1); }', ...$files]);
            if ($code !== 0) {
                $this->markTestSkipped('the checkout is not readable by uid ' . self::UNPRIVILEGED_UID);
            }
        }
        $dir = $this->workDir();
        $this->assertAppSendsThroughThePreloadedBinding($this->startFpm($dir, [], unprivileged: true), 'FPM-USER');
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
        $this->assertStringContainsString('set ffi.preload=', $err);
    }

    private function assertAppSendsThroughThePreloadedBinding(int $port, string $orderId): void
    {
        $env = [
            'SCRIPT_FILENAME' => Php::repo() . '/tests/php/scripts/fpm_app.php',
            'REQUEST_METHOD' => 'GET',
            'SANDBOX_URL' => $this->sandbox->baseUrl(),
            'ORDER_ID' => $orderId,
            'PATH' => getenv('PATH') ?: '/usr/bin:/bin',
        ];
        [$code, $out, $err] = Php::run(['cgi-fcgi', '-bind', '-connect', "127.0.0.1:$port"], env: $env, timeout: 20);
        $this->assertSame(0, $code, $err);
        [, $body] = explode("\r\n\r\n", $out, 2) + [1 => ''];
        $report = json_decode($body, true);
        $this->assertIsArray($report, $out);

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

    private function workDir(): string
    {
        $dir = Php::tempDir('spread-php-fpm-');
        chmod($dir, 0777); // the unprivileged master writes its logs here
        return $dir;
    }

    /** Starts php-fpm in the foreground on a free port; returns the port once it accepts connections. */
    private function startFpm(string $dir, array $ini, bool $unprivileged = false): int
    {
        $port = Php::freePort();
        $command = $this->fpmCommand($dir, $ini, $port);
        if ($unprivileged && posix_geteuid() === 0) {
            $command = ['setpriv', '--reuid=' . self::UNPRIVILEGED_UID, '--regid=' . self::UNPRIVILEGED_UID, '--clear-groups', ...$command];
        }
        $proc = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$dir/fpm.out", 'a'], 2 => ['file', "$dir/fpm.out", 'a']], $pipes);
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
    private function fpmCommand(string $dir, array $ini, int $port = 0): array
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
            'opcache.preload' => Php::repo() . '/bindings/php/preload.php',
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

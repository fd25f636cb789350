<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Client;
use Spread\ConfigException;
use Spread\Library;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/**
 * The client options are libspread's option table (spread_option_name), checked
 * both ways against what the binding writes down (its Options type, the README's
 * option list); and they may be given in any order.
 */
final class OptionTableTest extends SandboxTestCase
{
    /** The options Client handles itself, not libspread's. */
    private const PHP_OPTIONS = ['library', 'logger', 'log_level', 'strict'];

    /** @var resource|null the CONNECT tunnel (tests/harness/tunnel.py) */
    private $tunnel = null;
    /** @var array<int, resource> */
    private array $pipes = [];

    protected function tearDown(): void
    {
        if ($this->tunnel !== null) {
            fclose($this->pipes[0]); // the tunnel stops when its stdin closes
            proc_terminate($this->tunnel);
            proc_close($this->tunnel);
        }
    }

    /** @return list<string> libspread's option names */
    private static function table(): array
    {
        return array_keys(Library::get()->options());
    }

    public function testTheOptionsTypeIsTheTableBothWays(): void
    {
        $doc = (string)(new \ReflectionClass(Client::class))->getDocComment();
        $this->assertSame(1, preg_match('/@psalm-type Options = array\{(.*?)\}\s*\*\//s', $doc, $m), $doc);
        preg_match_all('/(\w+)\?:/', $m[1], $keys);
        $this->assertEqualsCanonicalizing([...self::PHP_OPTIONS, ...self::table()], $keys[1]);
    }

    /** fromEnv() reads the variables libspread's table names (as the `spread` command does), and only those. */
    public function testFromEnvReadsTheTablesVariables(): void
    {
        $named = [];
        foreach (Library::get()->options() as $name => ['env' => $env]) {
            if ($env !== null) {
                $named[$env] = $name;
            }
        }
        $this->assertSame(['SPREAD_BASE_URL' => 'base_url', 'SPREAD_APP_INFO' => 'app_info', 'SPREAD_SPOOL' => 'spool_dir'], $named);
        $spool = sys_get_temp_dir() . '/spread-env-spool-' . getmypid();
        @mkdir($spool, 0700);
        // Each is taken (a bad value fails naming its option), the option given wins.
        foreach ($named as $variable => $option) {
            $bad = $option === 'spool_dir' ? '/dev/null' : "\x01bad";
            $env = ['SPREAD_PUBLIC_KEY' => 'PUBLIC_KEY', 'SPREAD_PRIVATE_KEY' => 'PRIVATE_KEY', $variable => $bad];
            try {
                Client::fromEnv(env: $env);
                $this->fail("$variable was not read");
            } catch (ConfigException $e) {
                $this->assertStringStartsWith("$option: ", $e->getMessage(), $variable);
            }
            $value = ['spool_dir' => $spool, 'base_url' => $this->sandbox->baseUrl(), 'app_info' => 'shop/1.0'][$option];
            $this->assertInstanceOf(Client::class, Client::fromEnv([$option => $value], $env));
        }
    }

    public function testTheReadmeListsEveryOptionWithLibspreadsDefault(): void
    {
        $readme = (string)file_get_contents(Php::repo() . '/bindings/php/README.md');
        $this->assertSame(1, preg_match('/## Client options.*?```php\n(.*?)```/s', $readme, $m));
        preg_match_all("/^\s*'(\w+)' => (.*?),\s*(?:\/\/.*)?$/m", $m[1], $rows, PREG_SET_ORDER);
        $shown = array_column($rows, 2, 1);
        $this->assertEqualsCanonicalizing([...self::PHP_OPTIONS, ...self::table()], array_keys($shown));
        foreach (Library::get()->options() as $name => ['default' => $default]) {
            if ($default !== '') { // options that are none by default show an example
                $this->assertSame($default, trim($shown[$name], "'"), $name);
            }
        }
    }

    public function testAnUnknownOptionListsTheTable(): void
    {
        try {
            new Client('PUBLIC_KEY', 'PRIVATE_KEY', ['timeout' => 5]);
            $this->fail('an unknown option was accepted');
        } catch (ConfigException $e) {
            $this->assertSame('timeout: unknown option; the options are '
                . implode(', ', [...self::PHP_OPTIONS, ...self::table()]), $e->getMessage());
        }
    }

    public function testBaseUrlBeforeAllowInsecureHttpSends(): void
    {
        $client = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, [
            'base_url' => $this->remoteBaseUrl(), 'proxy' => $this->tunnel(), 'max_attempts' => 1,
            'allow_insecure_http' => true,
        ]);
        $this->assertSame(200, $client->updateOrder(Seed::postData())->status());
        $this->assertCount(1, $this->sandbox->requests());
    }

    public function testNeverAllowedIsRefusedNamingBothOptions(): void
    {
        try {
            new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, ['base_url' => $this->remoteBaseUrl(), 'proxy' => $this->tunnel()]);
            $this->fail('plain http to a remote host was accepted without allow_insecure_http');
        } catch (ConfigException $e) {
            $this->assertStringStartsWith('base_url: plain http to spread-sandbox.test', $e->getMessage());
            $this->assertStringContainsString('allow_insecure_http', $e->getMessage());
        }
        $this->assertSame([], $this->sandbox->requests());
    }

    /** The sandbox under a name that is not loopback (the plain-http rule applies), reached through the tunnel. */
    private function remoteBaseUrl(): string
    {
        return 'http://spread-sandbox.test:' . $this->sandbox->port . '/api';
    }

    /** A CONNECT proxy on 127.0.0.1 that tunnels to the sandbox, whatever host is asked for. */
    private function tunnel(): string
    {
        $this->tunnel = proc_open(['python3', Php::repo() . '/tests/harness/tunnel.py', (string)$this->sandbox->port],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $this->pipes);
        $port = (int)trim((string)fgets($this->pipes[1]));
        $this->assertGreaterThan(0, $port, 'tunnel.py did not start');
        return "http://127.0.0.1:$port";
    }
}

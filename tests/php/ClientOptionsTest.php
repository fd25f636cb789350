<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Client;
use Spread\Exception;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/** The options that reach libspread and what they change: proxy, tls_roots, budgets; truncated answers. */
final class ClientOptionsTest extends SandboxTestCase
{
    /** An address that is not loopback and routes nowhere (TEST-NET-3, RFC 5737). */
    private const REMOTE = 'http://203.0.113.7/api';

    public function testAppInfoIsAppendedToTheUserAgent(): void
    {
        $client = $this->client(['app_info' => 'MyShop/2.1']);
        $this->assertSame(200, $client->updateOrder(Seed::postData())->status());
        $agent = $this->sandbox->requests()[0]['user_agent'];
        $this->assertMatchesRegularExpression('~^libspread/\d+\.\d+\.\d+ MyShop/2\.1$~', $agent);
        try {
            $this->client(['app_info' => "MyShop\r\nX-Evil: 1"]);
            $this->fail('a line break in app_info must be refused');
        } catch (\Spread\ConfigException $e) {
            $this->assertStringStartsWith('app_info: ', $e->getMessage());
        }
    }

    public function testTheProxyOptionCarriesRequestsToOtherHosts(): void
    {
        [$seen, $proxy] = $this->standInProxy();
        $client = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, [
            'proxy' => $proxy, 'allow_insecure_http' => true, 'base_url' => self::REMOTE, 'max_attempts' => 1, 'timeout_ms' => 3000,
        ]);
        try {
            $client->updateOrder(Seed::postData());
            $this->fail('a 502 from the proxy was taken for a delivery');
        } catch (Exception $e) {
            $this->assertStringContainsString('502', $e->getMessage());
        }
        $this->assertStringContainsString('203.0.113.7', $this->waitFor($seen), 'the request went through the proxy');
    }

    /** httpoxy: HTTP_PROXY in the environment (which a CGI client can set) is never read. */
    public function testProxyVariablesInTheEnvironmentAreIgnored(): void
    {
        [$seen, $proxy] = $this->standInProxy(wait: 2);
        putenv("HTTP_PROXY=$proxy");
        putenv("http_proxy=$proxy");
        putenv("ALL_PROXY=$proxy");
        try {
            $client = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, [
                'allow_insecure_http' => true, 'base_url' => self::REMOTE, 'max_attempts' => 1, 'timeout_ms' => 500, 'connect_timeout_ms' => 500,
            ]);
            try {
                $client->updateOrder(Seed::postData());
            } catch (Exception) {
                // nothing answers at 203.0.113.7
            }
            $this->assertSame(200, $this->client()->updateOrder(Seed::postData())->status(), 'the sandbox, directly');
        } finally {
            putenv('HTTP_PROXY');
            putenv('http_proxy');
            putenv('ALL_PROXY');
        }
        $this->assertSame('', $this->waitFor($seen, 1.0), 'nothing reached the proxy of the environment');
    }

    public function testTrustStoresAndBudgetsAreAccepted(): void
    {
        foreach ([['tls_roots' => 'system'], ['tls_roots' => 'bundled'], ['proxy' => null], ['proxy' => ''],
            ['flush_budget_ms' => 60000, 'shutdown_timeout_ms' => 0], ['delivery_concurrency' => 1], ['delivery_concurrency' => 32],
            ['log_level' => 'debug'], ['strict' => false]] as $options) {
            $this->assertSame(200, $this->client($options)->updateOrder(Seed::postData())->status(), json_encode($options));
        }
    }

    public function testAnAnswerOverOneMebibyteIsADeliveryMarkedTruncated(): void
    {
        $this->sandbox->answerWhen('order_idorder%5D=BIG&', 200, 2 * 1024 * 1024);
        $postData = Seed::postData();
        $postData['data']['order_idorder'] = $postData['request']['order_idorder'] = 'BIG';
        $response = $this->client()->updateOrder($postData);
        $this->assertSame(200, $response->status());
        $this->assertTrue($response->truncated());
        $this->assertStringStartsWith('{"status":"ok","padding":"xxx', $response->body());
        $this->assertSame(1024 * 1024, strlen($response->body()));

        $normal = $this->client()->updateOrder(Seed::postData());
        $this->assertFalse($normal->truncated());
        $this->assertStringEndsWith('}', trim($normal->body()));
    }

    /** @return array{0: string, 1: string} the file the stand-in proxy writes what it got to, and its URL */
    private function standInProxy(int $wait = 10): array
    {
        $port = Php::freePort();
        $seen = Php::tempDir('spread-php-proxy-') . '/seen';
        $proc = proc_open([PHP_BINARY, __DIR__ . '/scripts/first_request.php', (string)$port, $seen, (string)$wait], [1 => ['pipe', 'w']], $pipes);
        $this->assertSame("ready\n", fgets($pipes[1]));
        register_shutdown_function(fn () => proc_close($proc));
        return [$seen, "http://127.0.0.1:$port"];
    }

    /** What the stand-in proxy wrote, once it wrote something (or after $seconds). */
    private function waitFor(string $file, float $seconds = 5): string
    {
        $deadline = microtime(true) + $seconds;
        while (($text = (string)file_get_contents($file)) === '' && microtime(true) < $deadline) {
            usleep(50_000);
        }
        return $text;
    }
}

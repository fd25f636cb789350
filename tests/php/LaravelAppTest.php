<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Tests\Support\AppServer;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;

/**
 * Issue 26: the Laravel service provider in a minimal real application
 * (tests/php/apps/laravel, Debian's php-laravel-framework 8.83) served by
 * `php -S`: a controller enqueues an order and it reaches the sandbox.
 */
final class LaravelAppTest extends SandboxTestCase
{
    private const APP = __DIR__ . '/apps/laravel';

    private string $storage;

    /** @return array<string, string> */
    private function env(): array
    {
        $this->storage = Php::tempDir('spread-php-laravel-');
        mkdir("$this->storage/spool", 0700);
        return [
            'SPREAD_PUBLIC_KEY' => Sandbox::PUBLIC_KEY, 'SPREAD_PRIVATE_KEY' => Sandbox::PRIVATE_KEY,
            'SPREAD_BASE_URL' => $this->sandbox->baseUrl(), 'SPREAD_SPOOL' => "$this->storage/spool",
            'SPREAD_APP_STORAGE' => $this->storage,
            'SPREAD_LIBRARY' => (string)(getenv('SPREAD_LIBRARY') ?: Php::repo() . '/target/release/libspread.so'),
        ];
    }

    public function testAControllerEnqueuesAndTheOrderReachesTheSandbox(): void
    {
        $app = new AppServer(self::APP . '/public/index.php', $this->env());
        [$status, $body] = $app->post('/orders', ['email' => 'laravel@shop.fr', 'id' => 'L-1', 'amount' => '42.10', 'created' => '2024-03-01T12:00:00+01:00']);
        $this->assertSame([202, '{"queued":true}'], [$status, $body], $app->output());
        $order = $this->waitForOrder('L-1');
        $this->assertSame('42.10', $order['order_amount']);
        $this->assertSame('2024-03-01 11:00:00', $order['order_crea_dt'], 'the DateTimeImmutable, in UTC');
        $log = (string)file_get_contents("$this->storage/logs/laravel.log");
        $this->assertMatchesRegularExpression('/testing\.INFO: .*"delivered":1,.*"event":"flushed"/', $log, 'libspread\'s records on the default channel');
        $this->assertStringNotContainsString(Sandbox::PRIVATE_KEY, $log);
    }

    public function testTheFacadeAndAQueuedJob(): void
    {
        $app = new AppServer(self::APP . '/public/index.php', $this->env());
        $this->assertSame([202, '{"queued":true}'], $app->post('/orders/facade', ['email' => 'laravel@shop.fr', 'id' => 'L-2', 'amount' => '1', 'created' => '2024-03-01T12:00:00Z']), $app->output());
        // The sync queue serializes the job (its payload) and runs it from that, as a worker would.
        $this->assertSame([202, '{"dispatched":true}'], $app->post('/orders/job', ['email' => 'laravel@shop.fr', 'id' => 'L-3', 'amount' => '2', 'created' => '2024-03-01T12:00:00Z']), $app->output());
        $this->assertSame('2', $this->waitForOrder('L-3')['order_amount']);
        $this->waitForOrder('L-2');
    }

    public function testSpreadFakeReplacesTheClient(): void
    {
        $env = $this->env();
        $env['SPREAD_BASE_URL'] = 'http://127.0.0.1:1/api'; // nothing may be sent
        [$code, $out, $err] = Php::script(self::APP . '/fake.php', [], [], $env + ['PATH' => getenv('PATH') ?: '/usr/bin:/bin']);
        $this->assertSame(0, $code, $out . $err);
        $this->assertSame(['statuses' => [202, 202, 202], 'queued' => ['F1', 'F2'], 'sent' => ['F3'], 'crea_dt' => '2024-01-02 09:00:00'],
            json_decode($out, true), $err);
        $this->assertSame([], $this->sandbox->requests());
    }

    /** @return array<string, mixed> the stored order, once the background delivery has brought it */
    private function waitForOrder(string $id): array
    {
        for ($deadline = microtime(true) + 15; microtime(true) < $deadline; usleep(100_000)) {
            $orders = $this->sandbox->state()['orders'];
            if (isset($orders[$id])) {
                return $orders[$id];
            }
        }
        $this->fail("order $id never reached the sandbox");
    }
}

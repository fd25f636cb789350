<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Tests\Support\AppServer;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;

/**
 * Issue 26: SpreadBundle in a minimal real Symfony application
 * (tests/php/apps/symfony, Debian's symfony/framework-bundle and messenger
 * 5.4) served by `php -S`: a controller enqueues an order and it reaches the
 * sandbox; a Messenger message is handled by the bundle's handler.
 */
final class SymfonyAppTest extends SandboxTestCase
{
    private const APP = __DIR__ . '/apps/symfony';

    private string $storage;

    /** @return array<string, string> */
    private function env(): array
    {
        $this->storage = Php::tempDir('spread-php-symfony-');
        mkdir("$this->storage/spool", 0700);
        return [
            'SPREAD_PUBLIC_KEY' => Sandbox::PUBLIC_KEY, 'SPREAD_PRIVATE_KEY' => Sandbox::PRIVATE_KEY,
            'SPREAD_BASE_URL' => $this->sandbox->baseUrl(), 'SPREAD_SPOOL' => "$this->storage/spool",
            'SPREAD_APP_STORAGE' => $this->storage, 'PATH' => getenv('PATH') ?: '/usr/bin:/bin',
            'SPREAD_LIBRARY' => (string)(getenv('SPREAD_LIBRARY') ?: Php::repo() . '/target/release/libspread.so'),
        ];
    }

    public function testAControllerEnqueuesAndTheOrderReachesTheSandbox(): void
    {
        $app = new AppServer(self::APP . '/public/index.php', $this->env());
        [$status, $body] = $app->post('/orders', ['email' => 'symfony@shop.fr', 'id' => 'S-1', 'amount' => '19.90', 'created' => '2024-03-01T12:00:00-05:00']);
        $this->assertSame([202, '{"queued":true}'], [$status, $body], $app->output());
        $order = $this->waitForOrder('S-1');
        $this->assertSame(['50', '19.90', '2024-03-01 17:00:00'], [$order['order_state'], $order['order_amount'], $order['order_crea_dt']]);
        $log = (string)@file_get_contents("$this->storage/log/spread.log");
        $this->assertMatchesRegularExpression('/spread\.INFO: .*"delivered":1,.*"event":"flushed"/', $log, 'libspread\'s records on the "spread" channel');

        $this->assertSame([202, '{"dispatched":true}'], $app->post('/orders/message', ['email' => 'symfony@shop.fr', 'id' => 'S-2', 'amount' => '5', 'created' => '2024-03-01T12:00:00Z']), $app->output());
        $this->assertSame('5', $this->waitForOrder('S-2')['order_amount'], 'sent by the bundle\'s Messenger handler');
    }

    public function testAMessageSurvivesMessengersSerializer(): void
    {
        [$code, $out, $err] = Php::script(self::APP . '/messenger.php', ['S-3'], [], $this->env());
        $this->assertSame([0, "S-3\n"], [$code, $out], $err);
        $this->assertSame('2024-05-01 06:00:00', $this->waitForOrder('S-3')['order_crea_dt']);
    }

    public function testTheClientServiceIsTaggedForMonologsSpreadChannel(): void
    {
        $code = 'require "' . self::APP . '/bootstrap.php"; $k = new App\Kernel("prod", false); $k->boot();'
            . '$c = $k->getContainer(); $t = $c->get("test.service_container");'
            . 'echo get_class($c->get("spread.client")), " ", get_class($t->get(Spread\ClientInterface::class)), " ";'
            . '$k2 = new App\Kernel("tags", false);'
            . '(new ReflectionMethod($k2, "initializeBundles"))->invoke($k2); $b = (new ReflectionMethod($k2, "buildContainer"))->invoke($k2); $b->compile();'
            . 'echo json_encode($b->getDefinition("spread.client")->getTag("monolog.logger"));';
        [$exit, $out, $err] = Php::run([PHP_BINARY, '-r', $code], '', $this->env());
        $this->assertSame([0, 'Spread\Client Spread\Client [{"channel":"spread"}]'], [$exit, $out], $err);
    }

    /** @return array<string, mixed> */
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

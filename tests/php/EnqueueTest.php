<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\ConfigException;
use Spread\InvalidValueException;
use Spread\MissingFieldException;
use Spread\Order;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/** Client::enqueue() in the CLI: durable at once, delivered by the process's background thread (php-fpm: FpmPreloadTest). */
final class EnqueueTest extends SandboxTestCase
{
    /** @return array<string, mixed> the stored order, once it is there (at most 15 s) */
    private function waitForOrder(string $id): array
    {
        $deadline = microtime(true) + 15;
        while (!isset($this->sandbox->state()['orders'][$id]) && microtime(true) < $deadline) {
            usleep(50_000);
        }
        return $this->storedOrder($id);
    }

    public function testEnqueueReturnsAtOnceAndTheOrderIsDeliveredInTheBackground(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-')]);
        $this->sandbox->fault(['mode' => 'slow', 'delay_ms' => 1500, 'times' => 1]);
        $start = microtime(true);
        $response = $client->enqueue(Seed::postData());
        $elapsed = microtime(true) - $start;

        $this->assertTrue($response->queued());
        $this->assertSame([0, '', false, []], [$response->status(), $response->body(), $response->truncated(), $response->warnings()]);
        $this->assertLessThan(0.5, $elapsed, 'enqueue does not wait for SPREAD');
        $this->assertSame('10', $this->waitForOrder('0000001')['order_state']);
        $this->assertSame([Seed::body()], $this->receivedBodies());
        $deadline = microtime(true) + 5;
        while ($client->pending() > 0 && microtime(true) < $deadline) {
            usleep(50_000);
        }
        $this->assertSame(0, $client->pending(), 'the delivered entry left the spool');
    }

    public function testAnOrderObjectAndDropInWarnings(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-')]);
        $order = (new Order())->customerEmail('a@b.c')->orderIdorder('E-1')->orderState(20)->orderAmount('9.90')->orderCreaDt('2024-01-31 23:59:59');
        $this->assertTrue($client->enqueue($order)->queued());
        $postData = Seed::postData();
        $postData['data']['order_idorder'] = $postData['request']['order_idorder'] = 'E-2';
        $postData['data']['customer_birthday'] = '0000-00-00';
        $this->assertSame(['customer_birthday'], array_map(fn ($w) => strstr($w, ':', true), $client->enqueue($postData)->warnings()));
        $this->assertSame('20', $this->waitForOrder('E-1')['order_state']);
        $this->waitForOrder('E-2');
        $this->assertSame('0000-00-00', $this->storedProfile('john@doe.com')['customer_birthday'], 'sent as the seed would');
    }

    public function testUpdatesOfOneOrderArriveInTheOrderEnqueued(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-')]);
        foreach (['10', '20', '50', '100'] as $state) {
            $postData = Seed::postData();
            $postData['data']['order_state'] = $state;
            $client->enqueue($postData);
        }
        $deadline = microtime(true) + 15;
        while (($this->sandbox->state()['orders']['0000001']['updates'] ?? 0) < 4 && microtime(true) < $deadline) {
            usleep(50_000);
        }
        $this->assertSame('100', $this->storedOrder('0000001')['order_state']);
        $states = array_map(fn ($b) => preg_replace('/.*order_state%5D=(\d+)&.*/', '$1', $b), $this->receivedBodies());
        $this->assertSame(['10', '20', '50', '100'], $states);
    }

    public function testABadOrderIsRefusedAtOnceAndNothingIsQueued(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-')]);
        $postData = Seed::postData();
        $postData['data']['order_state'] = 7;
        try {
            $client->enqueue($postData);
            $this->fail('no exception');
        } catch (InvalidValueException $e) {
            $this->assertSame('order_state: 7 is not one of 0, 10, 20, 50, 100', $e->getMessage());
        }
        $this->expectException(MissingFieldException::class);
        try {
            $client->enqueue(new Order());
        } finally {
            $this->assertSame(0, $client->pending());
        }
    }

    public function testWithoutASpoolFolderEnqueueIsAConfigError(): void
    {
        $this->expectException(ConfigException::class);
        $this->expectExceptionMessageMatches('/spool/');
        $this->client()->enqueue(Seed::postData());
    }

    /**
     * A CLI process that enqueued waits for the delivery when it ends, but
     * no longer than shutdown_timeout_ms; what is left stays in the spool.
     */
    public function testAProcessThatEndsWaitsAtMostTheShutdownTimeout(): void
    {
        $spool = Php::tempDir('spread-php-spool-');
        $this->sandbox->fault(['mode' => 'slow', 'delay_ms' => 3000, 'times' => 1]);
        $script = Php::tempDir('spread-php-script-') . '/enqueue.php';
        file_put_contents($script, '<?php require ' . var_export(Php::repo() . '/bindings/php/autoload.php', true) . ";\n"
            . '$c = new Spread\Client("PUBLIC_KEY", "PRIVATE_KEY", ["base_url" => $argv[1], "spool_dir" => $argv[2], "shutdown_timeout_ms" => 300]);' . "\n"
            . 'echo json_encode($c->enqueue(["customer_email" => "a@b.c", "order_idorder" => "SHUT", "order_state" => 10, "order_amount" => 1, "order_crea_dt" => "2024-01-31 23:59:59"])->queued());' . "\n");
        $start = microtime(true);
        [$code, $out, $err] = Php::script($script, [$this->sandbox->baseUrl(), $spool]);
        $elapsed = microtime(true) - $start;
        $this->assertSame(0, $code, $err);
        $this->assertSame('true', $out);
        $this->assertLessThan(2.0, $elapsed, 'the process did not wait for the 3 s answer');
        $this->assertGreaterThan(0.3, $elapsed, 'it waited the shutdown timeout');
        // The entry stayed (the answer never reached the process): a flush delivers it (again: an update is idempotent).
        $client = new \Spread\Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, ['base_url' => $this->sandbox->baseUrl(), 'spool_dir' => $spool]);
        $this->assertSame(1, $client->pending());
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $client->flush());
        $this->assertSame('10', $this->storedOrder('SHUT')['order_state']);
    }
}

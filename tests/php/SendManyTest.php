<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\AuthException;
use Spread\BatchResult;
use Spread\Client;
use Spread\ConfigException;
use Spread\Exception;
use Spread\InvalidValueException;
use Spread\MissingFieldException;
use Spread\Order;
use Spread\SendResult;
use Spread\ServerException;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/** Client::sendMany(): Orders and seed arrays sent by spread_send_many, one SendResult per order, against the sandbox. */
final class SendManyTest extends SandboxTestCase
{
    /** The smallest data SPREAD accepts for an order, plus $extra. */
    private static function data(string $id, array $extra = []): array
    {
        return array_replace([
            'customer_email' => 'john@doe.com',
            'order_idorder' => $id,
            'order_state' => 20,
            'order_amount' => 158.31,
            'order_crea_dt' => '2014-06-21 14:31:08',
        ], $extra);
    }

    public function testFiftyOrdersAreAllStored(): void
    {
        $orders = [];
        for ($i = 0; $i < 50; $i++) {
            $id = sprintf('B-%02d', $i);
            // Orders and seed-shaped arrays, mixed.
            $orders[] = $i % 2 ? Order::fromArray(self::data($id)) : ['data' => self::data($id, ['external_id' => "c-$i"]), 'request' => ['order_idorder' => $id]];
        }
        $batch = $this->client()->sendMany($orders, 8);

        $this->assertInstanceOf(BatchResult::class, $batch);
        $this->assertCount(50, $batch);
        $this->assertTrue($batch->ok());
        $this->assertSame(range(0, 49), array_keys($batch->delivered()));
        $this->assertSame([], $batch->queued());
        $this->assertSame([], $batch->failed());
        $this->assertSame(array_fill(0, 50, Exception::OK), $batch->statuses());
        foreach ($batch as $i => $result) {
            $this->assertSame($i, $result->index());
            $this->assertTrue($result->delivered());
            $this->assertFalse($result->queued() || $result->failed());
            $this->assertNull($result->exception());
        }
        $stored = $this->sandbox->state()['orders'];
        $this->assertCount(50, $stored);
        foreach ($stored as $order) {
            $this->assertSame(1, $order['updates']);
        }
    }

    public function testABatchWithBadOrdersSendsTheGoodOnes(): void
    {
        $noDate = self::data('M-1');
        unset($noDate['order_crea_dt']);
        $noCustomer = self::data('M-4');
        unset($noCustomer['customer_email']);
        $batch = $this->client()->sendMany([
            Order::fromArray(self::data('M-0')),     // delivered
            $noDate,                                 // missing field: the failure libspread details
            self::data('M-2'),                       // delivered
            self::data('M-3', ['order_state' => 7]), // refused by Order::fromArray: never sent
            $noCustomer,                             // missing field: message re-derived
        ]);

        $this->assertFalse($batch->ok());
        $this->assertSame([0, 13, 0, 12, 13], $batch->statuses());
        $this->assertSame([0, 2], array_keys($batch->delivered()));
        $this->assertSame([1, 3, 4], array_keys($batch->failed()));
        $this->assertInstanceOf(MissingFieldException::class, $batch->get(1)->exception());
        $this->assertSame('orders[1]: order_crea_dt: is required to send an order', $batch->get(1)->exception()->getMessage());
        $this->assertInstanceOf(InvalidValueException::class, $batch->get(3)->exception());
        $this->assertSame(12, $batch->get(3)->exception()->getCode());
        $this->assertSame('orders[3]: order_state: 7 is not one of 0, 10, 20, 50, 100', $batch->get(3)->exception()->getMessage());
        $this->assertInstanceOf(MissingFieldException::class, $batch->get(4)->exception());
        $this->assertStringStartsWith('orders[4]: customer_email: customer_email or external_id is required', $batch->get(4)->exception()->getMessage());
        foreach ($batch->failed() as $result) {
            $this->assertSame(0, $result->exception()->httpStatus());
        }
        $this->assertSame(['M-0', 'M-2'], array_keys($this->sandbox->state()['orders']));
        $this->assertCount(2, $this->sandbox->requests());
    }

    public function testKeysOfTheCallersArrayAreKept(): void
    {
        $batch = $this->client()->sendMany(['K-A' => self::data('K-A'), 'K-B' => self::data('K-B', ['order_amount' => null])]);
        $this->assertSame(['K-A', 'K-B'], array_keys($batch->all()));
        $this->assertSame(['K-A'], array_keys($batch->delivered()));
        $this->assertSame('K-B', $batch->get('K-B')->index());
        $this->assertSame('orders[K-B]: order_amount: is required to send an order', $batch->get('K-B')->exception()->getMessage());
        $this->expectException(\OutOfBoundsException::class);
        $batch->get(0);
    }

    public function testAServerFaultGivesItsHttpStatusForTheFirstFailure(): void
    {
        $this->sandbox->fault(['mode' => 'status', 'code' => 503]); // permanent
        $batch = $this->client(['max_attempts' => 1])->sendMany([self::data('F-0'), self::data('F-1'), self::data('F-2')], 2);
        $this->sandbox->fault(['mode' => 'none']);

        $this->assertSame([32, 32, 32], $batch->statuses());
        $first = $batch->get(0)->exception();
        $this->assertInstanceOf(ServerException::class, $first);
        $this->assertStringStartsWith('orders[0]: SPREAD failed (HTTP 503)', $first->getMessage());
        $this->assertSame(503, $first->httpStatus());
        foreach ([1, 2] as $i) { // libspread only details the first failure: the status is all there is
            $e = $batch->get($i)->exception();
            $this->assertInstanceOf(ServerException::class, $e);
            $this->assertSame("orders[$i]: SPREAD_ERR_SERVER (libspread details the first failed order only: orders[0])", $e->getMessage());
            $this->assertSame(0, $e->httpStatus());
        }
        $this->assertSame([], $this->sandbox->state()['orders']);
    }

    public function testWrongKeysFailEveryOrderWith401OnTheFirst(): void
    {
        $client = new Client(Sandbox::PUBLIC_KEY, 'WRONG-KEY', ['base_url' => $this->sandbox->baseUrl()]);
        $batch = $client->sendMany([self::data('W-0'), self::data('W-1')], 1);
        $this->assertSame([30, 30], $batch->statuses());
        $this->assertInstanceOf(AuthException::class, $batch->get(0)->exception());
        $this->assertSame(401, $batch->get(0)->exception()->httpStatus());
        $this->assertStringNotContainsString('WRONG-KEY', $batch->get(0)->exception()->getMessage());
    }

    public function testWithASpoolAnUnreachableServerQueuesAllThenFlushDelivers(): void
    {
        $spool = Php::tempDir('spread-php-spool-');
        $offline = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, [
            'base_url' => 'http://127.0.0.1:' . Php::freePort() . '/api',
            'spool_dir' => $spool,
            'max_attempts' => 1,
        ]);
        $orders = array_map(fn ($i) => self::data("S-$i"), range(0, 5));
        $batch = $offline->sendMany($orders, 3);
        $this->assertTrue($batch->ok());
        $this->assertSame(range(0, 5), array_keys($batch->queued()));
        $this->assertSame(array_fill(0, 6, Exception::QUEUED), $batch->statuses());
        $this->assertSame(6, $offline->pending());

        $online = $this->client(['spool_dir' => $spool]);
        $this->assertSame(['delivered' => 6, 'remaining' => 0], $online->flush());
        $ids = array_keys($this->sandbox->state()['orders']);
        sort($ids);
        $this->assertSame(array_map(fn ($i) => "S-$i", range(0, 5)), $ids);
    }

    public function testRetryAfterIsWaitedOut(): void
    {
        $this->sandbox->fault(['mode' => 'retry_after', 'code' => 429, 'retry_after' => '1', 'times' => 1]);
        $start = microtime(true);
        $batch = $this->client()->sendMany(array_map(fn ($i) => self::data("RA-$i"), range(0, 9)), 4);
        $elapsed = microtime(true) - $start;
        $this->assertTrue($batch->ok());
        $this->assertCount(10, $batch->delivered());
        $this->assertGreaterThanOrEqual(1.0, $elapsed);
        $this->assertCount(10, $this->sandbox->state()['orders']);
        $this->assertSame(1, count(array_filter(array_column($this->sandbox->requests(), 'status'), fn ($s) => $s === 429)));
    }

    public function testOneOrderTwiceAndTheSeedItself(): void
    {
        $order = Order::fromArray(Seed::postData());
        $batch = $this->client()->sendMany([$order, $order, Seed::postData()]);
        $this->assertSame([0, 0, 0], $batch->statuses());
        $this->assertSame(3, $this->storedOrder('0000001')['updates']);
        $this->assertSame([Seed::body(), Seed::body(), Seed::body()], $this->receivedBodies());
    }

    public function testAnEmptyBatchSendsNothing(): void
    {
        $batch = $this->client()->sendMany([]);
        $this->assertCount(0, $batch);
        $this->assertTrue($batch->ok());
        $this->assertSame([], $this->sandbox->requests());
    }

    /** @dataProvider badArguments */
    public function testBadArgumentsAreRefusedBeforeAnythingIsSent(array $orders, int $concurrency, string $class, string $message): void
    {
        try {
            $this->client()->sendMany($orders, $concurrency);
            $this->fail('nothing was thrown');
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e);
            $this->assertStringStartsWith($message, $e->getMessage());
        }
        $this->assertSame([], $this->sandbox->requests());
    }

    public static function badArguments(): array
    {
        $ok = self::data('X-0');
        return [
            'a string' => [[$ok, 'X-1'], 8, \TypeError::class, 'Spread\Client::sendMany(): orders[1] must be of type Spread\Order|array, string given'],
            'null' => [[$ok, null], 8, \TypeError::class, 'Spread\Client::sendMany(): orders[1] must be of type Spread\Order|array, null given'],
            'another object' => [['a' => $ok, 'b' => new \stdClass()], 8, \TypeError::class, 'Spread\Client::sendMany(): orders[b] must be of type Spread\Order|array, stdClass given'],
            'concurrency 0' => [[$ok], 0, ConfigException::class, 'concurrency: 0 is out of range (1 to 32)'],
            'concurrency 33' => [[$ok], 33, ConfigException::class, 'concurrency: 33 is out of range (1 to 32)'],
            'concurrency -1' => [[$ok], -1, ConfigException::class, 'concurrency: -1 is out of range (1 to 32)'],
        ];
    }

    public function testAnOrderOfAnotherLibraryIsRefused(): void
    {
        $dir = Php::tempDir('spread-php-other-');
        copy(Php::repo() . '/target/release/libspread.so', "$dir/libspread.so");
        copy(Php::repo() . '/include/spread_ffi.h', "$dir/spread_ffi.h");
        $foreign = Order::fromArray(self::data('L-0'), "$dir/libspread.so");
        $this->expectException(ConfigException::class);
        $this->expectExceptionMessage('order: built with libspread at');
        $this->client()->sendMany([self::data('L-1'), $foreign]);
    }

    public function testConcurrencyMustBeAnInt(): void
    {
        $this->expectException(\TypeError::class);
        $this->client()->sendMany([], '8'); // @phpstan-ignore-line: strict_types
    }

    public function testResultsAreValues(): void
    {
        $result = new SendResult(3, Exception::QUEUED);
        $this->assertSame([3, 1, false, true, false, null], [$result->index(), $result->status(), $result->delivered(), $result->queued(), $result->failed(), $result->exception()]);
        $this->assertSame(Client::MAX_CONCURRENCY, 32);
    }
}

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
use Spread\RejectedException;
use Spread\ServerException;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/**
 * Client::sendMany() over spread_send_batch: Orders and seed arrays, one
 * SendResult per order with the status, HTTP status and message libspread
 * gave for that very order, against the sandbox.
 */
final class SendManyTest extends SandboxTestCase
{
    /** A sandbox answering 4 requests at once, for the tests about concurrency. */
    private static ?Sandbox $parallel = null;

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

    private function parallelSandbox(): Sandbox
    {
        self::$parallel ??= new Sandbox(workers: 4);
        self::$parallel->reset();
        return self::$parallel;
    }

    public function testFiftyOrdersAreAllStoredWithProgress(): void
    {
        $orders = [];
        for ($i = 0; $i < 50; $i++) {
            $id = sprintf('B-%02d', $i);
            // Orders and seed-shaped arrays, mixed.
            $orders[] = $i % 2 ? Order::fromArray(self::data($id)) : ['data' => self::data($id, ['external_id' => "c-$i"]), 'request' => ['order_idorder' => $id]];
        }
        $calls = [];
        $batch = $this->client()->sendMany($orders, 8, function (int $done, int $total) use (&$calls): void {
            $calls[] = [$done, $total];
        });

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
            $this->assertSame(0, $result->httpStatus());
        }
        $stored = $this->sandbox->state()['orders'];
        $this->assertCount(50, $stored);
        foreach ($stored as $order) {
            $this->assertSame(1, $order['updates']);
        }
        // Progress: from this thread, (done, total), never backwards, ending with (50, 50).
        $this->assertNotEmpty($calls);
        $this->assertSame([50, 50], end($calls));
        $this->assertSame(array_fill(0, count($calls), 50), array_column($calls, 1));
        $done = array_column($calls, 0);
        $sorted = $done;
        sort($sorted);
        $this->assertSame($sorted, $done);
    }

    /** Several distinct failures in one batch, each with libspread's own class, message and HTTP status. */
    public function testEachFailedOrderHasItsOwnStatusMessageAndHttpStatus(): void
    {
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]); // the first request to arrive: orders[0]
        $this->sandbox->fault(['mode' => 'strict']); // SPREAD refusing what the lenient drop-in sends with a warning
        $noDate = (new Order())->customerEmail('a@b.c')->orderIdorder('M-2')->orderState(10)->orderAmount(1); // built with setters
        $batch = $this->client(['max_attempts' => 1])->sendMany([
            self::data('M-0'),                                             // 503: ServerException, HTTP 503
            self::data('M-1'),                                             // delivered
            $noDate,                                                       // missing field, found by libspread in the batch
            self::data('M-3', ['customer_birthday' => '31/12/1970']),      // lenient drop-in sends it; the strict sandbox answers 400
            'M-4',                                                         // neither an Order nor an array: fails alone
            self::data('M-5', ['order_state' => 7]),                       // refused by the drop-in: never sent
            self::data('M-6'),                                             // delivered
        ], 1);

        $this->assertFalse($batch->ok());
        $this->assertSame([32, 0, 13, 31, 12, 12, 0], $batch->statuses());
        $this->assertSame([0, 2, 3, 4, 5], array_keys($batch->failed()));
        $expected = [
            0 => [ServerException::class, 503, 'orders[0]: SPREAD failed (HTTP 503)'],
            2 => [MissingFieldException::class, 0, 'orders[2]: order_crea_dt: is required to send an order'],
            3 => [RejectedException::class, 400, 'orders[3]: SPREAD rejected the order (HTTP 400)'],
            4 => [InvalidValueException::class, 0, 'orders[4]: expected a Spread\Order or a $post_data array, got string'],
            5 => [InvalidValueException::class, 0, 'orders[5]: order_state: 7 is not one of 0, 10, 20, 50, 100'],
        ];
        foreach ($expected as $i => [$class, $http, $message]) {
            $e = $batch->get($i)->exception();
            $this->assertInstanceOf($class, $e, "orders[$i]");
            $this->assertSame($batch->get($i)->status(), $e->getCode());
            $this->assertSame($http, $e->httpStatus(), "orders[$i]");
            $this->assertSame($http, $batch->get($i)->httpStatus(), "orders[$i]");
            $this->assertStringStartsWith($message, $e->getMessage());
        }
        $this->assertStringContainsString('invalid field: customer_birthday', $batch->get(3)->exception()->getMessage(), "SPREAD's answer for that order");
        $this->assertSame(['M-1', 'M-6'], array_keys($this->sandbox->state()['orders']));
        $this->assertCount(4, $this->sandbox->requests(), 'M-0 (503), M-1, M-3 (400), M-6');
    }

    public function testKeysOfTheCallersArrayAreKept(): void
    {
        $batch = $this->client()->sendMany(['K-A' => self::data('K-A'), 'K-B' => (new Order())->externalId('x')->orderIdorder('K-B')]);
        $this->assertSame(['K-A', 'K-B'], array_keys($batch->all()));
        $this->assertSame(['K-A'], array_keys($batch->delivered()));
        $this->assertSame('K-B', $batch->get('K-B')->index());
        // libspread named it orders[1] (its place in the native batch); the binding names it by the caller's key.
        $this->assertSame('orders[K-B]: order_state: is required to send an order', $batch->get('K-B')->exception()->getMessage());
        $this->expectException(\OutOfBoundsException::class);
        $batch->get(0);
    }

    public function testAServerFaultGivesEveryOrderItsHttpStatus(): void
    {
        $this->sandbox->fault(['mode' => 'status', 'code' => 503]); // permanent
        $batch = $this->client(['max_attempts' => 1])->sendMany([self::data('F-0'), self::data('F-1'), self::data('F-2')], 2);
        $this->sandbox->fault(['mode' => 'none']);

        $this->assertSame([32, 32, 32], $batch->statuses());
        foreach ([0, 1, 2] as $i) { // every order's own details: no "first failure only"
            $e = $batch->get($i)->exception();
            $this->assertInstanceOf(ServerException::class, $e);
            $this->assertStringStartsWith("orders[$i]: SPREAD failed (HTTP 503)", $e->getMessage());
            $this->assertSame(503, $e->httpStatus());
        }
        $this->assertSame([], $this->sandbox->state()['orders']);
    }

    public function testWrongKeysFailEveryOrderWith401(): void
    {
        $client = new Client(Sandbox::PUBLIC_KEY, 'WRONG-KEY', ['base_url' => $this->sandbox->baseUrl()]);
        $batch = $client->sendMany([self::data('W-0'), self::data('W-1')], 1);
        $this->assertSame([30, 30], $batch->statuses());
        foreach ([0, 1] as $i) {
            $this->assertInstanceOf(AuthException::class, $batch->get($i)->exception());
            $this->assertSame(401, $batch->get($i)->httpStatus());
            $this->assertStringNotContainsString('WRONG-KEY', $batch->get($i)->exception()->getMessage());
        }
    }

    public function testWithASpoolAFailingServerQueuesAllThenFlushDelivers(): void
    {
        $spool = Php::tempDir('spread-php-spool-');
        $client = $this->client(['spool_dir' => $spool, 'max_attempts' => 1]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 503]); // permanent
        $batch = $client->sendMany(array_map(fn ($i) => self::data("S-$i"), range(0, 5)), 3);
        $this->sandbox->fault(['mode' => 'none']);
        $this->assertTrue($batch->ok());
        $this->assertSame(range(0, 5), array_keys($batch->queued()));
        $this->assertSame(array_fill(0, 6, Exception::QUEUED), $batch->statuses());
        $this->assertSame(6, $client->pending());

        $this->assertSame(['delivered' => 6, 'remaining' => 0], $client->flush());
        $ids = array_keys($this->sandbox->state()['orders']);
        sort($ids);
        $this->assertSame(array_map(fn ($i) => "S-$i", range(0, 5)), $ids);
    }

    /**
     * A 429 with Retry-After: 1 pauses every sender, not only the one that
     * met it. RA-1, RA-2 and RA-3 are held back 300 ms by the sandbox, so
     * the four senders' first requests (RA-0 to RA-3) are surely all in
     * flight when one of them takes the 429 (php -S does not always hand
     * RA-0 to a free worker first); the others are answered, then must wait
     * out the second too: no later order (RA-4 on) may reach the sandbox within it.
     *
     * The sandbox logs when a request arrived, not when the client read the
     * 429: a sender answered just before the 429 reached the client may still
     * start its next order. GRACE allows for that (CI once saw RA-4 arrive
     * 4 ms after the 429). The later orders' answers are held back 300 ms, so
     * senders that did not share the pause would each send another order
     * well inside the second, after the grace: the test still fails for them.
     */
    public function testRetryAfterPausesEverySender(): void
    {
        $grace = 0.2;
        $sandbox = $this->parallelSandbox();
        foreach ([1, 2, 3] as $i) {
            $sandbox->slowWhen("order_idorder%5D=RA-$i&", 300);
        }
        foreach (range(4, 11) as $i) {
            $sandbox->slowAnswerWhen("order_idorder%5D=RA-$i&", 300);
        }
        $sandbox->fault(['mode' => 'retry_after', 'code' => 429, 'retry_after' => '1', 'times' => 1]);
        $client = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, ['base_url' => $sandbox->baseUrl()]);
        $start = microtime(true);
        $batch = $client->sendMany(array_map(fn ($i) => self::data("RA-$i"), range(0, 11)), 4);
        $elapsed = microtime(true) - $start;
        $this->assertTrue($batch->ok());
        $this->assertCount(12, $batch->delivered());
        $this->assertGreaterThanOrEqual(1.0, $elapsed);
        $this->assertCount(12, $sandbox->state()['orders']);

        $log = $sandbox->requests();
        $this->assertCount(13, $log, '12 orders and one retry');
        $id = fn (array $r) => preg_match('/order_idorder%5D=(RA-\d+)&/', $r['raw'], $m) ? $m[1] : '?';
        $throttled = array_values(array_filter($log, fn ($r) => $r['status'] === 429));
        $this->assertCount(1, $throttled);
        $first = ['RA-0', 'RA-1', 'RA-2', 'RA-3'];
        $this->assertContains($id($throttled[0]), $first, 'the 429 went to one of the first four');
        $t429 = $throttled[0]['time'];
        $during = array_map($id, array_filter($log, fn ($r) => $r['time'] > $t429 + $grace && $r['time'] < $t429 + 0.95));
        $this->assertSame([], array_values(array_diff($during, array_diff($first, [$id($throttled[0])]))),
            'only requests already in flight reached the sandbox during the pause: '
            . json_encode(array_map(fn ($r) => [$id($r), round($r['time'] - $t429, 3)], $log)));
    }

    /**
     * Two updates of one order in a batch land in the order given, even when
     * the older one is slow (held back 1 s, deterministically: the sandbox
     * delays the body with state 10) and four senders are free to overtake it.
     */
    public function testUpdatesOfOneOrderLandInTheOrderGiven(): void
    {
        $sandbox = $this->parallelSandbox();
        $sandbox->slowWhen('order_state%5D=10&', 1000);
        $older = Order::fromArray(self::data('SAME', ['order_state' => 10]));
        $newer = self::data('SAME', ['order_state' => 50]);
        $client = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, ['base_url' => $sandbox->baseUrl()]);
        $batch = $client->sendMany([$older, self::data('OTHER'), $newer, Seed::postData()], 4);

        $this->assertSame([0, 0, 0, 0], $batch->statuses());
        $state = $sandbox->state()['orders'];
        $this->assertSame('50', $state['SAME']['order_state'], 'the newer update is the one kept');
        $this->assertSame(2, $state['SAME']['updates']);
        $bodies = array_column($sandbox->requests(), 'raw');
        $same = array_values(array_filter($bodies, fn ($b) => str_contains($b, 'order_idorder%5D=SAME')));
        $this->assertSame([$older->encode(), Order::fromArray($newer)->encode()], $same, 'older first, then newer');
        $this->assertContains(Seed::body(), $bodies);
    }

    public function testAnEmptyBatchSendsNothing(): void
    {
        $batch = $this->client()->sendMany([]);
        $this->assertCount(0, $batch);
        $this->assertTrue($batch->ok());
        $this->assertSame([], $this->sandbox->requests());
    }

    /** @dataProvider badConcurrency */
    public function testAConcurrencyLibspreadRefusesFailsTheCallBeforeAnythingIsSent(int $concurrency, string $message): void
    {
        try {
            $this->client()->sendMany([self::data('X-0')], $concurrency);
            $this->fail('nothing was thrown');
        } catch (ConfigException $e) {
            $this->assertStringStartsWith($message, $e->getMessage());
        }
        $this->assertSame([], $this->sandbox->requests());
    }

    public static function badConcurrency(): array
    {
        return [
            '0' => [0, 'concurrency: 0 is out of range (1 to 32)'],
            '33' => [33, 'concurrency: 33 is out of range (1 to 32)'],
            '-1' => [-1, 'concurrency: -1 is out of range (0 to 4294967295)'], // before the C uint32_t: PHP's check
        ];
    }

    public function testAnOrderOfAnotherLibraryFailsAlone(): void
    {
        $dir = Php::tempDir('spread-php-other-');
        copy(Php::repo() . '/target/release/libspread.so', "$dir/libspread.so");
        copy(Php::repo() . '/include/spread_ffi.h', "$dir/spread_ffi.h");
        $foreign = Order::fromArray(self::data('L-0'), "$dir/libspread.so");
        $batch = $this->client()->sendMany([self::data('L-1'), $foreign]);
        $this->assertSame([0, 14], $batch->statuses());
        $this->assertInstanceOf(ConfigException::class, $batch->get(1)->exception());
        $this->assertStringStartsWith('orders[1]: order: built with libspread at', $batch->get(1)->exception()->getMessage());
        $this->assertSame(['L-1'], array_keys($this->sandbox->state()['orders']));
    }

    public function testWhatTheProgressCallbackThrowsIsRethrownAfterTheBatch(): void
    {
        try {
            $this->client()->sendMany([self::data('P-0'), self::data('P-1')], 2, function (int $done, int $total): void {
                throw new \LogicException("stop at $done/$total");
            });
            $this->fail('nothing was thrown');
        } catch (\LogicException $e) {
            $this->assertStringStartsWith('stop at ', $e->getMessage());
        }
        $this->assertCount(2, $this->sandbox->state()['orders'], 'the batch went on');
    }

    public function testConcurrencyMustBeAnInt(): void
    {
        $this->expectException(\TypeError::class);
        $this->client()->sendMany([], '8'); // @phpstan-ignore-line: strict_types
    }
}

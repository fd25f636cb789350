<?php

declare(strict_types=1);

namespace Spread\Tests;

use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\TestCase;
use Spread\ClientInterface;
use Spread\ConfigException;
use Spread\MissingFieldException;
use Spread\NetworkException;
use Spread\Order;
use Spread\OrderState;
use Spread\RejectedException;
use Spread\Testing\FakeClient;
use Spread\TimeoutException;
use Spread\Tests\Support\Seed;

/** Issue 26: Spread\Testing\FakeClient, the test double of Spread\ClientInterface. */
final class FakeClientTest extends TestCase
{
    private static function order(string $id, OrderState $state = OrderState::Paid): Order
    {
        return (new Order())->customerEmail('john@doe.com')->orderIdorder($id)->orderState($state)
            ->orderAmount(10)->orderCreaDt(new \DateTimeImmutable('2014-06-21 14:31:08Z'));
    }

    /** A shop service typed against the interface, as a shop writes it. */
    private static function checkout(ClientInterface $spread, string $id): void
    {
        $spread->enqueue(self::order($id));
    }

    public function testItRecordsWhatIsSentAndQueued(): void
    {
        $fake = new FakeClient();
        $fake->assertNothingSent();
        self::checkout($fake, 'A1');
        $this->assertTrue($fake->send(self::order('B2'))->status() === 200);
        $this->assertTrue($fake->updateOrder(Seed::postData())->status() === 200);
        $fake->assertQueued(fn (Order $o, array $data) => $data['order_idorder'] === 'A1', 1);
        $fake->assertSent(fn (Order $o, array $data) => $data['order_state'] === '20', 1);
        $fake->assertSent(null, 2);
        $fake->assertNotSent(fn (Order $o, array $data) => $data['order_idorder'] === 'A1');
        $this->assertSame(1, $fake->pending());
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $fake->flush());
        $fake->assertSent(fn (Order $o, array $data) => $data['order_idorder'] === 'A1');
        $this->assertSame(Seed::body(), $fake->sent()[1]->encode(), 'the order as it would go');
    }

    public function testAssertionsFailWhenTheyShould(): void
    {
        $fake = new FakeClient();
        $fake->send(self::order('B2'));
        foreach ([
            fn () => $fake->assertNothingSent(),
            fn () => $fake->assertSent(fn (Order $o, array $d) => $d['order_idorder'] === 'nope'),
            fn () => $fake->assertSent(null, 2),
            fn () => $fake->assertQueued(),
            fn () => $fake->assertNotSent(),
        ] as $i => $assertion) {
            try {
                $assertion();
                $this->fail("assertion $i passed");
            } catch (AssertionFailedError $e) {
                $this->assertStringStartsWith('expected ', $e->getMessage());
            }
        }
    }

    public function testOrdersAreCheckedByTheRealLibrary(): void
    {
        $fake = new FakeClient();
        $this->expectException(MissingFieldException::class);
        $this->expectExceptionMessage('order_amount');
        $fake->send((new Order())->customerEmail('john@doe.com')->orderIdorder('1')->orderState(20)->orderCreaDt('2014-06-21 14:31:08'));
    }

    public function testRefusals(): void
    {
        $fake = (new FakeClient())->refuse('{"status":"error","message":"unknown product"}', 422, fn (Order $o, array $d) => $d['order_idorder'] === 'BAD');
        $this->assertSame(200, $fake->send(self::order('OK'))->status());
        try {
            $fake->send(self::order('BAD'));
            $this->fail('not refused');
        } catch (RejectedException $e) {
            $this->assertSame(422, $e->httpStatus());
            $this->assertStringContainsString('unknown product', $e->getMessage());
        }
        $fake->enqueue(self::order('BAD'));
        $this->assertSame(['delivered' => 0, 'remaining' => 0], $fake->flush());
        $this->assertSame('BAD', $fake->rejected()[0]['order_id']);
        $fake->restore();
        $this->assertSame(1, $fake->requeue());
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $fake->flush());
        $batch = (new FakeClient())->refuse()->sendMany(['x' => self::order('X')]);
        $this->assertInstanceOf(RejectedException::class, $batch->get('x')->exception());
        $this->assertStringStartsWith('orders[x]: ', $batch->get('x')->exception()->getMessage());
    }

    public function testOutages(): void
    {
        $spooled = (new FakeClient())->outage();
        $this->assertTrue($spooled->send(self::order('A'))->queued(), 'with a spool, kept');
        $this->expectExceptionThrown(NetworkException::class, fn () => $spooled->flush());
        $spooled->assertNotSent();
        $spooled->restore()->flush();
        $spooled->assertSent(fn (Order $o, array $d) => $d['order_idorder'] === 'A', 1);

        $direct = (new FakeClient(['spool' => false]))->outage(new TimeoutException('no answer within 30000 ms'));
        $this->expectExceptionThrown(TimeoutException::class, fn () => $direct->send(self::order('A')));
        $this->expectExceptionThrown(ConfigException::class, fn () => $direct->enqueue(self::order('A')));
        $this->expectExceptionThrown(ConfigException::class, fn () => new FakeClient(['spool_dir' => '/tmp']));
    }

    private function expectExceptionThrown(string $class, callable $f): void
    {
        try {
            $f();
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e);
            return;
        }
        $this->fail("no $class");
    }
}

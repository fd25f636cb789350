<?php

declare(strict_types=1);

namespace Spread\Testing;

use Spread\BatchResult;
use Spread\ClientInterface;
use Spread\ConfigException;
use Spread\Exception;
use Spread\InvalidValueException;
use Spread\NetworkException;
use Spread\Order;
use Spread\RejectedException;
use Spread\Response;
use Spread\SendResult;
use Spread\SpreadException;

/**
 * A Spread\ClientInterface for tests: sends nothing, records the orders,
 * and can answer as SPREAD does when it refuses an order (refuse()) or
 * cannot be reached (outage()). Orders are checked by the real libspread
 * (a missing or bad field throws as with Spread\Client), so a test that
 * passes with the fake does not hide an order SPREAD would never take.
 *
 *     $spread = new Spread\Testing\FakeClient();
 *     (new Checkout($spread))->pay($cart);
 *     $spread->assertQueued(fn (Order $o, array $data) => $data['order_state'] === '20');
 *
 * With ['spool' => true] (the default) it behaves as a client with a
 * spool_dir: enqueue() queues, an outage queues what send() could not
 * deliver, flush() delivers the queue. Without, enqueue() is a
 * ConfigException and an outage is thrown, as with the real client.
 */
final class FakeClient implements ClientInterface
{
    /** @var list<Order> delivered, oldest first */
    private array $sent = [];
    /** @var list<Order> waiting in the (pretend) spool, oldest first */
    private array $queue = [];
    /** @var array<string, array{order: Order, answer: string, age_secs: int}> refused by flush(), by entry name */
    private array $rejectedEntries = [];
    /** @var list<array{\Closure|null, string, int}> refusal rules: which orders, the answer, the HTTP status */
    private array $refusals = [];
    private ?SpreadException $outage = null;
    private int $entry = 0;
    private readonly bool $spool;

    /** @param array{spool?: bool} $options */
    public function __construct(array $options = [])
    {
        foreach (array_keys($options) as $name) {
            if ($name !== 'spool') {
                throw new ConfigException("$name: unknown option of the fake client; the options are spool");
            }
        }
        $this->spool = (bool)($options['spool'] ?? true);
    }

    /**
     * From now on, SPREAD refuses the orders $when accepts (every order when
     * null): send() throws a RejectedException with $httpStatus, flush() sets
     * them aside in rejected().
     *
     * @param (callable(Order, array<array-key, mixed>): bool)|null $when given the order and its data[] fields
     */
    public function refuse(
        string $answer = '{"status":"error","message":"refused by the fake"}',
        int $httpStatus = 422,
        ?callable $when = null
    ): self {
        $this->refusals[] = [$when === null ? null : \Closure::fromCallable($when), $answer, $httpStatus];
        return $this;
    }

    /** From now on SPREAD cannot be reached: $failure (a NetworkException by default) until restore(). */
    public function outage(?SpreadException $failure = null): self
    {
        $this->outage = $failure ?? new NetworkException('connection refused (an outage of Spread\Testing\FakeClient)');
        return $this;
    }

    /** Ends outage() and refuse(). */
    public function restore(): self
    {
        $this->outage = null;
        $this->refusals = [];
        return $this;
    }

    public function updateOrder(array $postData): Response
    {
        return $this->send(Order::fromArray($postData));
    }

    public function send(Order $order): Response
    {
        $order->validate();
        if ($this->outage !== null) {
            if (!$this->spool) {
                throw $this->outage;
            }
            $this->queue[] = clone $order;
            return new Response(0, '', true, false, $order->warnings());
        }
        $this->deliver($order);
        return new Response(200, '{"status":"ok"}', false, false, $order->warnings());
    }

    public function enqueue(Order|array $order): Response
    {
        $order = is_array($order) ? Order::fromArray($order) : $order;
        $order->validate();
        if (!$this->spool) {
            throw new ConfigException(
                'spool_dir: enqueue needs a spool folder (the fake client was made with spool => false)'
            );
        }
        $this->queue[] = clone $order; // as the real one: later changes to $order are not what was queued
        return new Response(0, '', true, false, $order->warnings());
    }

    public function sendMany(array $orders, int $concurrency = 8, ?callable $onProgress = null): BatchResult
    {
        $results = [];
        $done = 0;
        foreach ($orders as $key => $order) {
            try {
                if (!$order instanceof Order && !is_array($order)) {
                    throw new InvalidValueException(
                        'expected a ' . Order::class . ' or a $post_data array, got ' . get_debug_type($order)
                    );
                }
                $response = is_array($order) ? $this->updateOrder($order) : $this->send($order);
                $results[$key] = new SendResult($key, $response->queued() ? Exception::QUEUED : Exception::OK);
            } catch (SpreadException $e) {
                $class = $e::class;
                $error = new $class("orders[$key]: " . $e->getMessage(), $e->getCode(), $e, $e->httpStatus());
                $results[$key] = new SendResult($key, $e->getCode(), $error);
            }
            if ($onProgress !== null) {
                $onProgress(++$done, count($orders));
            }
        }
        return new BatchResult($results);
    }

    public function flush(): array
    {
        if (!$this->spool) {
            throw new ConfigException(
                'spool_dir: flush needs a spool folder (the fake client was made with spool => false)'
            );
        }
        if ($this->outage !== null) {
            throw $this->outage;
        }
        $delivered = 0;
        while (($order = array_shift($this->queue)) !== null) {
            try {
                $this->deliver($order);
                $delivered++;
            } catch (RejectedException $e) {
                $this->rejectedEntries[sprintf('fake-%06d', ++$this->entry)] = [
                    'order' => $order,
                    'answer' => $e->getMessage(),
                    'age_secs' => 0,
                ];
            }
        }
        return ['delivered' => $delivered, 'remaining' => 0];
    }

    public function pending(): int
    {
        return count($this->queue);
    }

    public function spoolStatus(): array
    {
        return [
            'pending' => count($this->queue),
            'foreign' => 0,
            'legacy' => 0,
            'rejected' => count($this->rejectedEntries),
            'unreadable' => 0,
            'stranded' => 0,
            'oldest_secs' => $this->queue === [] ? null : 0,
        ];
    }

    public function rejected(): array
    {
        $list = [];
        foreach ($this->rejectedEntries as $name => $entry) {
            $id = $entry['order']->toArray()['data']['order_idorder'] ?? null;
            $list[] = [
                'name' => $name,
                'order_id' => is_string($id) ? $id : null,
                'answer' => $entry['answer'],
                'age_secs' => $entry['age_secs'],
                'base_url' => 'fake:',
            ];
        }
        return $list;
    }

    public function requeue(?string $name = null): int
    {
        if ($name !== null && !isset($this->rejectedEntries[$name])) {
            throw new InvalidValueException("name: \"$name\" is not a rejected entry");
        }
        $names = $name === null ? array_keys($this->rejectedEntries) : [$name];
        foreach ($names as $n) {
            $this->queue[] = $this->rejectedEntries[$n]['order'];
            unset($this->rejectedEntries[$n]);
        }
        return count($names);
    }

    public function purgeRejected(int $olderThanSecs = 0): int
    {
        $count = count($this->rejectedEntries);
        $this->rejectedEntries = [];
        return $count;
    }

    public function adopt(?string $fromBaseUrl = null, ?string $fromPublicKey = null): int
    {
        if ($fromBaseUrl === null && $fromPublicKey === null) {
            throw new InvalidValueException('adopt: give the old base URL or the old public key');
        }
        return 0;
    }

    public function newOrder(): Order
    {
        return new Order();
    }

    public function maxConcurrency(): int
    {
        return 32;
    }

    /** @return list<Order> the orders SPREAD took, oldest first */
    public function sent(): array
    {
        return $this->sent;
    }

    /** @return list<Order> the orders waiting in the spool (enqueued, or kept during an outage), oldest first */
    public function queued(): array
    {
        return $this->queue;
    }

    /**
     * Asserts that SPREAD took an order $match accepts ($times of them when given).
     *
     * @param (callable(Order, array<array-key, mixed>): bool)|null $match given the order and its data[] fields
     */
    public function assertSent(?callable $match = null, ?int $times = null): void
    {
        self::assertCount($this->sent, $match, $times, 'sent');
    }

    /** @param (callable(Order, array<array-key, mixed>): bool)|null $match */
    public function assertQueued(?callable $match = null, ?int $times = null): void
    {
        self::assertCount($this->queue, $match, $times, 'queued');
    }

    /** @param (callable(Order, array<array-key, mixed>): bool)|null $match */
    public function assertNotSent(?callable $match = null): void
    {
        self::assertCount($this->sent, $match, 0, 'sent');
    }

    /** Asserts that no order was sent nor queued. */
    public function assertNothingSent(): void
    {
        self::assertCount([...$this->sent, ...$this->queue], null, 0, 'sent or queued');
    }

    /** @throws RejectedException when a refusal rule takes the order */
    private function deliver(Order $order): void
    {
        $data = $order->toArray()['data'] ?? [];
        foreach ($this->refusals as [$when, $answer, $status]) {
            if ($when === null || $when($order, $data)) {
                throw new RejectedException("SPREAD refused the order (HTTP $status): $answer", null, null, $status);
            }
        }
        $this->sent[] = clone $order;
    }

    /**
     * @param list<Order> $orders
     * @param (callable(Order, array<array-key, mixed>): bool)|null $match
     */
    private static function assertCount(array $orders, ?callable $match, ?int $times, string $what): void
    {
        $matches = static fn (Order $o): bool => $match === null || (bool)$match($o, $o->toArray()['data'] ?? []);
        $found = count(array_filter($orders, $matches));
        $ok = $times === null ? $found > 0 : $found === $times;
        $message = sprintf(
            'expected %s order%s %s%s, found %d (of %d %s)',
            $times === null ? 'an' : (string)$times,
            $times === 1 || $times === null ? '' : 's',
            $what,
            $match === null ? '' : ' matching',
            $found,
            count($orders),
            $what
        );
        if (class_exists(\PHPUnit\Framework\Assert::class)) {
            \PHPUnit\Framework\Assert::assertTrue($ok, $message); // counted as an assertion, failed as one
        } elseif (!$ok) {
            throw new \AssertionError($message);
        }
    }
}

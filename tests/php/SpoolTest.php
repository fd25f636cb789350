<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Client;
use Spread\ConfigException;
use Spread\InvalidValueException;
use Spread\ServerException;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/**
 * spool_dir / max_attempts, queued responses, flush(), pending() and the
 * rejected/ management: store and forward through the sandbox. A library
 * without these functions fails here (the ABI check refuses it), never skips.
 */
final class SpoolTest extends SandboxTestCase
{
    public function testAnUnreachableServerQueuesThenFlushDelivers(): void
    {
        $spool = Php::tempDir('spread-php-spool-');
        $client = $this->client(['spool_dir' => $spool, 'max_attempts' => 1, 'timeout_ms' => 5000]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);

        $response = $client->updateOrder(Seed::postData());
        $this->assertTrue($response->queued());
        $this->assertSame(0, $response->status());
        $this->assertSame('', $response->body());
        $this->assertSame(1, $client->pending());
        $this->assertSame([], $this->sandbox->state()['orders']);
        $spooled = implode('', array_map('file_get_contents', array_filter(glob("$spool/**") ?: [], 'is_file')));
        $this->assertStringNotContainsString(Sandbox::PRIVATE_KEY, $spooled, 'no secret in the spool');

        $this->assertSame(['delivered' => 1, 'remaining' => 0], $client->flush());
        $this->assertSame(0, $client->pending());
        $this->assertSame('10', $this->storedOrder('0000001')['order_state']);
        $this->assertSame(Seed::body(), $this->receivedBodies()[1]);
    }

    public function testQueuedOrdersKeepTheirOrderAndAFailingFlushThrows(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-'), 'max_attempts' => 1]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 2]);
        $first = Seed::postData();
        $second = Seed::postData();
        $second['data']['order_idorder'] = $second['request']['order_idorder'] = '0000002';

        $this->assertTrue($client->updateOrder($first)->queued());
        // 0000001 waits: sending 0000002 first retries it (503 again), and 0000002 must not overtake it.
        $this->assertTrue($client->updateOrder($second)->queued());
        $this->assertSame(2, $client->pending());

        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        try {
            $client->flush();
            $this->fail('no exception');
        } catch (ServerException $e) {
            $this->assertStringContainsString('503', $e->getMessage());
        }
        $this->assertSame(2, $client->pending());

        $this->assertSame(['delivered' => 2, 'remaining' => 0], $client->flush());
        $this->assertSame(['0000001', '0000002'], array_keys($this->sandbox->state()['orders']));
        $ids = array_map(fn ($body) => preg_replace('/.*request%5Border_idorder%5D=/', '', $body), $this->receivedBodies());
        $this->assertSame(['0000001', '0000001', '0000001', '0000001', '0000002'], $ids, 'three 503s, then both in order');
    }

    public function testNetworkFailureIsQueuedToo(): void
    {
        $client = new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, [
            'base_url' => 'http://127.0.0.1:' . Php::freePort() . '/api',
            'spool_dir' => Php::tempDir('spread-php-spool-'),
            'max_attempts' => 1,
        ]);
        $this->assertTrue($client->updateOrder(Seed::postData())->queued());
        $this->assertSame(1, $client->pending());
    }

    public function testARefusedOrderIsSetAsideThenRequeuedOrPurged(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-'), 'max_attempts' => 1]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 2]);
        $this->assertTrue($client->updateOrder(Seed::postData())->queued());
        $other = Seed::postData();
        $other['data']['order_idorder'] = $other['request']['order_idorder'] = 'R-2';
        $this->assertTrue($client->updateOrder($other)->queued());
        $this->assertSame(['pending' => 2, 'foreign' => 0, 'legacy' => 0, 'rejected' => 0, 'unreadable' => 0, 'stranded' => 0, 'stranded_oldest_secs' => null],
            array_diff_key($client->spoolStatus(), ['oldest_secs' => 0]));
        $this->assertIsInt($client->spoolStatus()['oldest_secs']);

        // SPREAD refuses the first for its content: set aside, and the flush goes on.
        $this->sandbox->fault(['mode' => 'status', 'code' => 422, 'times' => 1]);
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $client->flush());
        $this->assertSame(['R-2'], array_keys($this->sandbox->state()['orders']));
        $status = $client->spoolStatus();
        $this->assertSame([0, 1, null], [$status['pending'], $status['rejected'], $status['oldest_secs']]);
        $rejected = $client->rejected();
        $this->assertCount(1, $rejected);
        $this->assertSame('0000001', $rejected[0]['order_id']);
        $this->assertStringContainsString('422', $rejected[0]['answer']);
        $this->assertSame($this->sandbox->baseUrl(), $rejected[0]['base_url']);

        // Fixed on SPREAD's side: requeue it, by name, and flush.
        $this->assertSame(1, $client->requeue($rejected[0]['name']));
        $this->assertSame([], $client->rejected());
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $client->flush());
        $this->assertSame('10', $this->storedOrder('0000001')['order_state']);

        // Refused again, and purged.
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        $this->assertTrue($client->updateOrder(Seed::postData())->queued());
        $this->sandbox->fault(['mode' => 'status', 'code' => 400, 'times' => 1]);
        $this->assertSame(['delivered' => 0, 'remaining' => 0], $client->flush());
        $this->assertSame(0, $client->purgeRejected(3600), 'nothing that old');
        $this->assertSame(1, $client->purgeRejected());
        $this->assertSame([], $client->rejected());
        $this->expectException(InvalidValueException::class);
        $client->requeue('no-such-entry');
    }

    public function testOrdersOfAnOldBaseUrlAreStrandedUntilAdopted(): void
    {
        $spool = Php::tempDir('spread-php-stranded-');
        $oldUrl = str_replace('127.0.0.1', 'localhost', $this->sandbox->baseUrl());
        $before = $this->client(['spool_dir' => $spool, 'max_attempts' => 1, 'base_url' => $oldUrl]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        $this->assertTrue($before->updateOrder(Seed::postData())->queued());
        unset($before);

        $after = $this->client(['spool_dir' => $spool, 'max_attempts' => 1]);
        $status = $after->spoolStatus();
        $this->assertSame([0, 1], [$status['pending'], $status['stranded']]);
        try {
            $after->adopt();
            $this->fail('an adoption naming nothing must be refused');
        } catch (InvalidValueException $e) {
            $this->assertStringContainsString('from', $e->getMessage());
        }
        $this->assertSame(1, $after->adopt($oldUrl));
        $this->assertSame(0, $after->spoolStatus()['stranded']);
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $after->flush());
        $this->assertSame('10', $this->storedOrder('0000001')['order_state']);
    }

    public function testSpoolFunctionsNeedASpoolDir(): void
    {
        $client = $this->client();
        foreach ([fn () => $client->pending(), fn () => $client->flush(), fn () => $client->spoolStatus(), fn () => $client->rejected(),
            fn () => $client->requeue(), fn () => $client->purgeRejected(), fn () => $client->enqueue(Seed::postData())] as $call) {
            try {
                $call();
                $this->fail('no exception');
            } catch (ConfigException $e) {
                $this->assertSame(14, $e->getCode());
            }
        }
        $this->assertSame([], $this->sandbox->requests(), 'nothing was sent, not even by enqueue');
    }

    public function testADeliveredOrderIsNotQueued(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-')]);
        $response = $client->updateOrder(Seed::postData());
        $this->assertFalse($response->queued());
        $this->assertSame(200, $response->status());
        $this->assertSame(0, $client->pending());
        $this->assertSame(['delivered' => 0, 'remaining' => 0], $client->flush());
    }

    public function testMaxAttemptsMustBeAnInt(): void
    {
        $this->expectException(ConfigException::class);
        $this->expectExceptionMessage('max_attempts: expected an int, got string');
        new Client('PUBLIC_KEY', 'PRIVATE_KEY', ['max_attempts' => '3']);
    }
}

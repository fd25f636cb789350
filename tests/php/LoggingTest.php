<?php

declare(strict_types=1);

namespace Spread\Tests;

use Psr\Log\LoggerInterface;
use Psr\Log\LogLevel;
use Spread\Client;
use Spread\RejectedException;
use Spread\Tests\Support\CollectingLogger;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/**
 * The 'logger' option: libspread's records reach a real PSR-3 logger
 * (Psr\Log\AbstractLogger from php-psr-log) on the PHP thread, with context
 * arrays, and never carry a secret or the body.
 */
final class LoggingTest extends SandboxTestCase
{
    private CollectingLogger $logger;

    /** Every record of this class's tests, checked for secrets at the end. */
    private static array $all = [];

    protected function setUp(): void
    {
        parent::setUp();
        $this->logger = new CollectingLogger();
        $this->assertInstanceOf(LoggerInterface::class, $this->logger);
    }

    protected function tearDown(): void
    {
        self::$all = [...self::$all, ...$this->logger->records];
    }

    private function logged(array $options = []): Client
    {
        return $this->client($options + ['logger' => $this->logger, 'log_level' => 'debug']);
    }

    public function testARetried503(): void
    {
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        $this->assertSame(200, $this->logged()->updateOrder(Seed::postData())->status());

        [$retry] = $this->logger->event('retry');
        $this->assertSame(LogLevel::WARNING, $retry['level']);
        $this->assertStringStartsWith('SPREAD failed (HTTP 503)', $retry['message']);
        $this->assertSame(['0000001', 503, 2, 'retry'], [$retry['context']['order_id'], $retry['context']['status'], $retry['context']['attempt'], $retry['context']['event']]);
        $this->assertIsInt($retry['context']['wait_ms']);
        $attempts = $this->logger->event('attempt');
        $this->assertSame([503, 200], array_column(array_column($attempts, 'context'), 'status'));
        $this->assertSame([LogLevel::DEBUG, LogLevel::DEBUG], array_column($attempts, 'level'));
        $this->assertSame('POST', $attempts[0]['context']['method']);
        $this->assertSame('http://127.0.0.1:' . $this->sandbox->port, $attempts[0]['context']['host']);
        $this->assertIsInt($attempts[0]['context']['elapsed_ms']);
    }

    public function testA429WithRetryAfter(): void
    {
        $this->sandbox->fault(['mode' => 'retry_after', 'code' => 429, 'retry_after' => '1', 'times' => 1]);
        $this->logged()->updateOrder(Seed::postData());
        [$retry] = $this->logger->event('retry');
        $this->assertSame(LogLevel::WARNING, $retry['level']);
        $this->assertSame(429, $retry['context']['status']);
        $this->assertSame(1000, $retry['context']['wait_ms'], 'the Retry-After it was told');
        $this->assertStringContainsString('trying again in 1000 ms', $retry['message']);
    }

    public function testARedirect(): void
    {
        $this->sandbox->fault(['mode' => 'redirect', 'code' => 307, 'location' => '/api/updateOrder2', 'times' => 1]);
        $this->logged()->updateOrder(Seed::postData());
        [$redirect] = $this->logger->event('redirect');
        $origin = 'http://127.0.0.1:' . $this->sandbox->port;
        $this->assertSame(LogLevel::INFO, $redirect['level']);
        $this->assertSame(['order_id' => '0000001', 'status' => 307, 'from' => $origin, 'to' => $origin, 'event' => 'redirect'], $redirect['context']);
    }

    public function testASpooledOrder(): void
    {
        $this->sandbox->fault(['mode' => 'status', 'code' => 503]);
        $client = $this->logged(['spool_dir' => Php::tempDir('spread-php-spool-'), 'max_attempts' => 1]);
        $this->assertTrue($client->updateOrder(Seed::postData())->queued());
        $this->sandbox->fault(['mode' => 'none']);
        [$queued] = $this->logger->event('queued');
        $this->assertSame(LogLevel::INFO, $queued['level']);
        $this->assertStringStartsWith('order queued in the spool: SPREAD failed (HTTP 503)', $queued['message']);
        $this->assertSame('0000001', $queued['context']['order_id']);
        $this->assertStringStartsWith('SPREAD failed (HTTP 503)', $queued['context']['why']);

        $client->flush();
        [$flushed] = $this->logger->event('flushed');
        $this->assertSame(['delivered' => 1, 'rejected' => 0, 'remaining' => 0, 'event' => 'flushed'], $flushed['context']);
    }

    public function testARejectedOrder(): void
    {
        $client = $this->logged(['spool_dir' => Php::tempDir('spread-php-spool-'), 'max_attempts' => 1]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        $this->assertTrue($client->updateOrder(Seed::postData())->queued());
        $this->sandbox->fault(['mode' => 'status', 'code' => 422, 'times' => 1]);
        $client->flush();
        [$rejected] = $this->logger->event('rejected');
        $this->assertSame(LogLevel::ERROR, $rejected['level']);
        $this->assertSame(['order_id' => '0000001', 'status' => 422, 'event' => 'rejected'], $rejected['context']);
        $this->assertStringContainsString('SPREAD rejected the order (HTTP 422)', $rejected['message']);

        // Sent directly, the refusal is the exception; the attempt is logged.
        $this->sandbox->fault(['mode' => 'status', 'code' => 422, 'times' => 1]);
        try {
            $this->logged()->updateOrder(Seed::postData());
            $this->fail('no exception');
        } catch (RejectedException $e) {
            $this->assertSame(422, end($this->logger->records)['context']['status']);
        }
    }

    public function testDropInWarningsGoToTheLoggerAndTheResponse(): void
    {
        $postData = Seed::postData();
        $postData['data']['customer_country'] = 'fr';
        $response = $this->logged()->updateOrder($postData);
        $this->assertSame(['customer_country: "fr" is not an ISO 3166-1 alpha-2 code such as "FR" (sent as is)'], $response->warnings());
        [$warning] = $this->logger->event('warning');
        $this->assertSame([LogLevel::WARNING, $response->warnings()[0], ['order_id' => '0000001', 'event' => 'warning']],
            [$warning['level'], $warning['message'], $warning['context']]);
    }

    public function testTheLevelFiltersAndInfoIsTheDefault(): void
    {
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        $this->client(['logger' => $this->logger])->updateOrder(Seed::postData());
        $this->assertSame([LogLevel::WARNING], array_unique(array_column($this->logger->records, 'level')), 'no debug record by default');

        $this->logger->records = [];
        $this->sandbox->fault(['mode' => 'redirect', 'code' => 307, 'location' => '/api/updateOrder2', 'times' => 1]);
        $this->client(['logger' => $this->logger, 'log_level' => 'warning'])->updateOrder(Seed::postData());
        $this->assertSame([], $this->logger->records, 'a redirect is info');
    }

    public function testTheConstructorForwardsWhatConfiguringLogged(): void
    {
        $spool = Php::tempDir('spread-php-spool-') . '/not-yet';
        $this->logged(['spool_dir' => $spool]);
        [$created] = $this->logger->event('spool_created');
        $this->assertSame(LogLevel::WARNING, $created['level']);
        $this->assertStringContainsString($spool, $created['message']);
    }

    /** What the delivery thread logged after the last call is forwarded by the destructor. */
    public function testTheDestructorForwardsTheBackgroundDeliverysRecords(): void
    {
        $client = $this->logged(['spool_dir' => Php::tempDir('spread-php-spool-')]);
        $this->assertTrue($client->enqueue(Seed::postData())->queued());
        $this->assertSame(['queued'], array_column(array_column($this->logger->records, 'context'), 'event'));
        $deadline = microtime(true) + 15;
        while (($this->sandbox->state()['orders'] === [] || $client->pending() > 0) && microtime(true) < $deadline) {
            usleep(50_000); // pending() does not log, and forwards nothing
        }
        usleep(500_000); // the thread logs "flushed" once the entry is gone
        $this->assertCount(1, $this->logger->records, 'nothing is forwarded between calls');
        unset($client);
        $this->assertSame(['queued', 'attempt', 'flushed'], array_column(array_column($this->logger->records, 'context'), 'event'));
    }

    /**
     * The destructor waits for the background delivery (spread_client_close)
     * before it drains the queue: a delivery that finishes during that wait
     * (SPREAD answers after 300 ms) is logged before the client is freed.
     */
    public function testTheDestructorForwardsWhatTheShutdownWaitLogged(): void
    {
        $this->sandbox->fault(['mode' => 'slow', 'delay_ms' => 300, 'times' => 1]);
        $client = $this->logged(['spool_dir' => Php::tempDir('spread-php-spool-'), 'shutdown_timeout_ms' => 2000]);
        $this->assertTrue($client->enqueue(Seed::postData())->queued());
        $this->assertSame(['queued'], array_column(array_column($this->logger->records, 'context'), 'event'), 'nothing delivered yet');
        unset($client);
        $attempts = $this->logger->event('attempt');
        $this->assertSame([[200, '0000001']], array_map(fn (array $r) => [$r['context']['status'], $r['context']['order_id']], $attempts),
            'the delivery of the shutdown wait, forwarded: ' . json_encode($this->logger->records));
        $this->storedOrder('0000001');
    }

    /** Runs last in this class: every record above, checked. */
    public function testNoRecordHoldsASecretTheBodyOrANonDebugEmail(): void
    {
        $this->assertGreaterThan(20, count(self::$all));
        $secrets = [
            Sandbox::PRIVATE_KEY,
            base64_encode(Sandbox::PUBLIC_KEY . ':' . Sandbox::PRIVATE_KEY),
            'Authorization',
            'Basic ',
            Seed::body(),
            'data%5B',             // any part of a body
            'appartement 23',      // a customer's data as sent
        ];
        $levels = (new \ReflectionClass(LogLevel::class))->getConstants();
        foreach (self::$all as $record) {
            $json = json_encode($record, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
            foreach ($secrets as $secret) {
                $this->assertStringNotContainsString($secret, $json);
            }
            $this->assertContains($record['level'], $levels);
            $this->assertIsString($record['context']['event']);
            if ($record['level'] !== LogLevel::DEBUG) {
                $this->assertStringNotContainsString('john@doe.com', $json, 'the e-mail at debug level only');
            }
        }
    }
}

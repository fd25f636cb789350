<?php

declare(strict_types=1);

namespace Spread\Tests;

use Psr\Log\AbstractLogger;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/**
 * Issue 21 item 6: a PSR-3 logger whose log() throws (Monolog does when its file cannot be
 * opened) changes no outcome: the order is delivered or queued as without a logger, the
 * failure is reported once (trigger_error, or error_log when an error handler throws),
 * and the logger is not called again in that call.
 */
final class ThrowingLoggerTest extends SandboxTestCase
{
    private const WHY = 'The stream or file "/var/log/shop.log" could not be opened in append mode';

    private object $logger;

    /** @var list<array{int, string}> */
    private array $reported = [];

    protected function setUp(): void
    {
        parent::setUp();
        $this->logger = new class (self::WHY) extends AbstractLogger {
            public int $calls = 0;

            public function __construct(private readonly string $why)
            {
            }

            public function log($level, $message, array $context = []): void
            {
                $this->calls++;
                throw new \UnexpectedValueException($this->why);
            }
        };
    }

    /** Runs $call with an error handler that records what is reported (and swallows it). */
    private function reporting(callable $call): mixed
    {
        set_error_handler(function (int $level, string $message): bool {
            $this->reported[] = [$level, $message];
            return true;
        });
        try {
            return $call();
        } finally {
            restore_error_handler();
        }
    }

    public function testUpdateOrderIsDeliveredAndTheFailureReportedOnce(): void
    {
        $client = $this->reporting(fn () => $this->client(['logger' => $this->logger, 'log_level' => 'debug']));
        $this->reported = [];
        $this->logger->calls = 0;
        // A retried 503: an attempt, a retry and another attempt, three records in one call.
        $this->sandbox->fault(['mode' => 'status', 'code' => 503, 'times' => 1]);
        $response = $this->reporting(fn () => $client->updateOrder(Seed::postData()));
        $this->assertSame(200, $response->status());
        $this->storedOrder('0000001');
        $this->assertSame(1, $this->logger->calls, 'the logger is skipped for the rest of the call');
        $this->assertCount(1, $this->reported);
        [$level, $message] = $this->reported[0];
        $this->assertSame(E_USER_WARNING, $level);
        $this->assertStringContainsString('UnexpectedValueException', $message);
        $this->assertStringContainsString(self::WHY, $message);

        // The next call tries the logger again, and reports again.
        $this->reporting(fn () => $client->updateOrder(Seed::postData()));
        $this->assertSame(2, $this->logger->calls);
        $this->assertCount(2, $this->reported);
        $this->reporting(function () use (&$client): void {
            $client = null; // its destructor drains the log too
        });
    }

    public function testEnqueueQueuesAndDoesNotThrow(): void
    {
        $spool = Php::tempDir('spread-php-spool-');
        $client = $this->reporting(fn () => $this->client([
            'logger' => $this->logger, 'log_level' => 'debug', 'spool_dir' => $spool, 'max_attempts' => 1,
        ]));
        $this->sandbox->fault(['mode' => 'status', 'code' => 503]);
        $response = $this->reporting(fn () => $client->enqueue(Seed::postData()));
        $this->assertTrue($response->queued());
        $this->assertCount(1, $this->reported);
        $this->reporting(function () use (&$client): void {
            $client = null; // its destructor waits for the delivery thread, whose records fail too
        });
    }

    /**
     * PHPUnit's own error handler turns the warning into an exception, as frameworks do
     * (ErrorException): that must not escape either; the report goes to error_log.
     */
    public function testAnErrorHandlerThatThrowsFallsBackToErrorLog(): void
    {
        $client = $this->reporting(fn () => $this->client(['logger' => $this->logger, 'log_level' => 'debug']));
        $log = Php::tempDir('spread-php-errlog-') . '/php_errors.log';
        $saved = ini_set('error_log', $log);
        try {
            $this->assertSame(200, $client->updateOrder(Seed::postData())->status());
        } finally {
            ini_set('error_log', (string)$saved);
        }
        $written = (string)@file_get_contents($log);
        $this->assertSame(1, substr_count($written, self::WHY), $written);
    }
}

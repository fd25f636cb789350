<?php

declare(strict_types=1);

namespace Spread\Tests;

use PHPUnit\Framework\TestCase;
use Spread\Tests\Support\Php;

/** Native handles and owned strings are all freed: 100,000 orders in one process keep RSS flat. */
final class MemoryTest extends TestCase
{
    private const ORDERS = 100_000;
    private const MAX_GROWTH_KB = 2048;

    public function testHundredThousandOrdersDoNotGrowRss(): void
    {
        [$code, $out, $err] = Php::script(__DIR__ . '/scripts/memory.php', [(string)self::ORDERS]);
        $this->assertSame(0, $code, $err);
        $this->assertSame('', $err);
        $result = json_decode($out, true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame(self::ORDERS, $result['orders']);
        $this->assertGreaterThan(self::ORDERS * 400, $result['bytes_encoded'], 'the orders were really encoded');
        $this->assertLessThan(self::MAX_GROWTH_KB, $result['growth_kb'], "RSS grew by {$result['growth_kb']} kB: $out");
    }
}

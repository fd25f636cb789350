<?php

declare(strict_types=1);

namespace Spread\Tests;

use PHPUnit\Framework\TestCase;
use Spread\Tests\Support\Php;

/**
 * Fork safety (issue 21) as a queue worker that calls pcntl_fork() sees it:
 * scripts/fork.php against tests/harness/verdicts.py, a keep-alive server
 * that refuses C… orders (400), answers the others 200, and names the order
 * in every answer. The forking runs in that script, not in PHPUnit's process.
 */
final class ForkTest extends TestCase
{
    /** @var resource|null */
    private $server = null;
    /** @var array<int, resource> */
    private array $pipes = [];
    private string $baseUrl = '';

    protected function setUp(): void
    {
        $this->assertTrue(function_exists('pcntl_fork'), 'php-cli has pcntl (Debian builds it in)');
        $this->server = proc_open(['python3', Php::repo() . '/tests/harness/verdicts.py'],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $this->pipes);
        $port = (int)trim((string)fgets($this->pipes[1]));
        if ($port === 0) { // its stderr says why (read only then: it blocks until the server ends)
            $this->fail('verdicts.py did not start: ' . stream_get_contents($this->pipes[2]));
        }
        $this->baseUrl = "http://127.0.0.1:$port/api";
    }

    protected function tearDown(): void
    {
        if ($this->server !== null) {
            fclose($this->pipes[0]); // the server stops when its stdin closes
            proc_terminate($this->server);
            proc_close($this->server);
        }
    }

    /** @return array<string, mixed> */
    private function runScenario(string $scenario): array
    {
        [$code, $out, $err] = Php::script(__DIR__ . '/scripts/fork.php', [$this->baseUrl, Php::tempDir('spread-php-fork-') . '/spool', $scenario]);
        $this->assertSame(0, $code, "fork.php $scenario: $out\n$err");
        return json_decode($out, true, 512, JSON_THROW_ON_ERROR) + ['stderr' => $err];
    }

    public function testAnswersDoNotCrossBetweenParentAndChild(): void
    {
        $r = $this->runScenario('crossing');
        $this->assertStringContainsString('"P-warm"', $r['warm']);
        $this->assertSame([], $r['parent_crossed'], "the parent got the child's answers\n{$r['stderr']}");
        $this->assertSame(0, $r['child_crossed'], "the child got the parent's answers (count), or did not finish\n{$r['stderr']}");
        $this->assertStringContainsString('"P-after"', $r['after'], 'the parent still sends after its child freed its copy');
    }

    public function testASleepingChildKeepsNoSpoolLock(): void
    {
        $r = $this->runScenario('locks');
        $this->assertTrue($r['background_delivered'], 'the delivery thread delivered the enqueued order');
        $this->assertTrue($r['queued']);
        $this->assertSame(['delivered' => 1, 'remaining' => 0], $r['flush'], 'another client flushes: the child keeps no flush lock');
        $this->assertFalse($r['send_again_queued'], 'the same order is sent again: the child keeps no order lock');
        $this->assertSame(200, $r['send_again_status']);
    }
}

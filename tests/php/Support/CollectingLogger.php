<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

use Psr\Log\AbstractLogger;

/** A real PSR-3 logger (Debian's php-psr-log) that keeps every record it is given. */
final class CollectingLogger extends AbstractLogger
{
    /** @var list<array{level: string, message: string, context: array<string, mixed>}> */
    public array $records = [];

    /** @param array<string, mixed> $context */
    public function log($level, $message, array $context = []): void
    {
        $this->records[] = ['level' => $level, 'message' => (string)$message, 'context' => $context];
    }

    /**
     * The records of one event ("retry", "queued"...).
     *
     * @return list<array{level: string, message: string, context: array<string, mixed>}>
     */
    public function event(string $event): array
    {
        return array_values(array_filter($this->records, fn (array $r) => ($r['context']['event'] ?? null) === $event));
    }
}

<?php
// Fault configuration (POST /_sandbox/fault), persisted in SQLite so that it
// holds across requests and across PHP_CLI_SERVER_WORKERS workers.
declare(strict_types=1);

const SANDBOX_REDIRECT_CODES = [301, 302, 303, 307, 308];

/**
 * Validates a fault JSON document and returns [slot, normalised config].
 * Throws InvalidArgumentException with a message meant for the caller.
 */
function fault_normalise(array $cfg): array
{
    $mode = $cfg['mode'] ?? null;
    $times = $cfg['times'] ?? null;
    if ($times !== null && (!is_int($times) || $times < 1)) {
        throw new InvalidArgumentException('times must be a positive integer (omit it for "forever")');
    }
    $out = ['mode' => $mode, 'times' => $times];
    switch ($mode) {
        case 'none':
            return [null, $out];
        case 'status':
            $out['code'] = fault_int($cfg, 'code', 503, 100, 599);
            break;
        case 'retry_after':
            $out['code'] = fault_int($cfg, 'code', 429, 100, 599);
            $ra = $cfg['retry_after'] ?? null;
            if (is_int($ra)) {
                $ra = (string)$ra;
            }
            if (!is_string($ra) || $ra === '' || preg_match('/[\r\n]/', $ra)) {
                throw new InvalidArgumentException('retry_after must be delay-seconds or an HTTP-date string');
            }
            $out['retry_after'] = $ra;
            break;
        case 'slow':
            $out['delay_ms'] = fault_int($cfg, 'delay_ms', 2000, 0, 600000);
            break;
        case 'drop':
            break;
        case 'redirect':
            $out['code'] = fault_int($cfg, 'code', 302, 301, 308);
            if (!in_array($out['code'], SANDBOX_REDIRECT_CODES, true)) {
                throw new InvalidArgumentException('redirect code must be one of 301, 302, 303, 307, 308');
            }
            $loc = $cfg['location'] ?? '/api/updateOrder2';
            if (!is_string($loc) || $loc === '' || preg_match('/[\r\n]/', $loc)) {
                throw new InvalidArgumentException('location must be a relative path or an absolute URL');
            }
            $out['location'] = $loc;
            break;
        case 'digest':
            $alg = $cfg['algorithm'] ?? 'MD5';
            if (!in_array($alg, ['MD5', 'SHA-256'], true)) {
                throw new InvalidArgumentException('algorithm must be "MD5" or "SHA-256"');
            }
            // Digest-only auth is a property of the server: it lasts until reset / mode none.
            return ['auth', ['mode' => 'digest', 'algorithm' => $alg]];
        case 'strict':
            // Not a fault: the lenient rules refused (400) until cleared (sandbox/README.md).
            return ['rules', ['mode' => 'strict']];
        default:
            throw new InvalidArgumentException(
                'mode must be one of none, status, retry_after, slow, drop, redirect, digest, strict');
    }
    return ['response', $out];
}

function fault_int(array $cfg, string $key, int $default, int $min, int $max): int
{
    $v = $cfg[$key] ?? $default;
    if (!is_int($v) || $v < $min || $v > $max) {
        throw new InvalidArgumentException("$key must be an integer in [$min, $max]");
    }
    return $v;
}

/** Stores a fault (or clears every fault for mode "none"); returns the active faults. */
function fault_configure(array $cfg): array
{
    [$slot, $norm] = fault_normalise($cfg);
    sandbox_tx(function (PDO $db) use ($slot, $norm) {
        if ($slot === null) {
            $db->exec('DELETE FROM faults');
            return;
        }
        $db->prepare('INSERT OR REPLACE INTO faults (slot, config, remaining) VALUES (?, ?, ?)')
           ->execute([$slot, json_encode($norm), $norm['times'] ?? null]);
    });
    return fault_list();
}

function fault_list(): array
{
    $out = [];
    foreach (sandbox_db()->query('SELECT slot, config, remaining FROM faults ORDER BY slot') as $row) {
        $out[$row['slot']] = json_decode($row['config'], true) + ['remaining' => $row['remaining']];
    }
    return $out;
}

/**
 * Returns the response fault to apply to this request, consuming one of its
 * "times" atomically (two workers never both take the last one), or null.
 */
function fault_take_response(): ?array
{
    return sandbox_tx(function (PDO $db) {
        $row = $db->query("SELECT config, remaining FROM faults WHERE slot = 'response'")->fetch();
        if (!$row) {
            return null;
        }
        if ($row['remaining'] !== null) {
            $left = (int)$row['remaining'] - 1;
            if ($left <= 0) {
                $db->exec("DELETE FROM faults WHERE slot = 'response'");
            } else {
                $db->prepare("UPDATE faults SET remaining = ? WHERE slot = 'response'")->execute([$left]);
            }
        }
        return json_decode($row['config'], true);
    });
}

/** The Digest algorithm when Digest-only auth is on, else null (Basic). */
function fault_digest_algorithm(): ?string
{
    $cfg = sandbox_db()->query("SELECT config FROM faults WHERE slot = 'auth'")->fetchColumn();
    return $cfg === false ? null : json_decode($cfg, true)['algorithm'];
}

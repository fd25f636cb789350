<?php
// SQLite storage shared by every request (and every PHP_CLI_SERVER_WORKERS worker).
declare(strict_types=1);

function sandbox_db(): PDO
{
    static $pdo = null;
    if ($pdo !== null) {
        return $pdo;
    }
    $path = getenv('SPREAD_SANDBOX_DB') ?: (sys_get_temp_dir() . '/spread-sandbox.sqlite');
    $pdo = new PDO('sqlite:' . $path, null, null, [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
    ]);
    // busy_timeout first: switching to WAL and creating the schema both take locks
    // that a concurrent worker may be holding.
    $pdo->exec('PRAGMA busy_timeout = 10000');
    $pdo->exec('PRAGMA journal_mode = WAL');
    $pdo->exec('PRAGMA synchronous = NORMAL');
    $pdo->exec(<<<'SQL'
        CREATE TABLE IF NOT EXISTS orders (
            idorder  TEXT PRIMARY KEY,
            doc      TEXT NOT NULL            -- JSON, see orders.php
        );
        CREATE TABLE IF NOT EXISTS profiles (
            pkey     TEXT PRIMARY KEY,
            doc      TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS requests (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            time         REAL NOT NULL,
            method       TEXT NOT NULL,
            path         TEXT NOT NULL,
            query        TEXT NOT NULL,
            content_type TEXT,
            body         BLOB NOT NULL,
            auth_scheme  TEXT NOT NULL,    -- "none", "Basic", "Digest" or the scheme sent; never credentials
            user_agent   TEXT,
            status       INTEGER NOT NULL,
            fault        TEXT               -- fault mode applied to this request, if any
        );
        -- One row per slot: "auth" (digest) and "response" (everything else),
        -- so Digest-only auth can be combined with e.g. a redirect.
        CREATE TABLE IF NOT EXISTS faults (
            slot      TEXT PRIMARY KEY,
            config    TEXT NOT NULL,         -- the JSON posted to /_sandbox/fault
            remaining INTEGER                -- NULL = forever
        );
        SQL);
    return $pdo;
}

/** Runs $fn inside BEGIN IMMEDIATE (write lock taken up front: no upgrade deadlocks between workers). */
function sandbox_tx(callable $fn): mixed
{
    $db = sandbox_db();
    $db->exec('BEGIN IMMEDIATE');
    try {
        $result = $fn($db);
        $db->exec('COMMIT');
        return $result;
    } catch (Throwable $e) {
        $db->exec('ROLLBACK');
        throw $e;
    }
}

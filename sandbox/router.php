<?php
/*
 * SPREAD API sandbox: a local stand-in for https://social-sb.com/api, for tests and demos.
 *
 *   SPREAD_SANDBOX_DB=/tmp/sandbox.sqlite php -S 127.0.0.1:8080 sandbox/router.php
 *   clients use the base URL http://127.0.0.1:8080/api
 *
 * Environment: SPREAD_SANDBOX_DB (SQLite file, created on first use),
 * SPREAD_SANDBOX_PUBLIC_KEY / SPREAD_SANDBOX_PRIVATE_KEY (default PUBLIC_KEY / PRIVATE_KEY).
 * Works with PHP_CLI_SERVER_WORKERS > 1: all state, faults included, lives in SQLite.
 *
 * API (every request under /api/ is logged, see /_sandbox/requests):
 *   POST /api/updateOrder   form body parsed by PHP's own $_POST; HTTP Basic with the keys.
 *                           200 {"status":"ok","order_idorder":"…","created":true|false}
 *                           400/401/404/405 {"status":"error","message":"…"}
 *   POST /api/…updateOrder… (e.g. /api/updateOrder2, /api/v2/updateOrder): same, never faulted;
 *                           handy as a redirect target.
 * Control:
 *   GET  /_sandbox/state     canonical JSON of the stored orders and profiles
 *   GET  /_sandbox/requests  the request log, oldest first
 *   GET  /_sandbox/fault     the active faults
 *   POST /_sandbox/fault     JSON fault config (see lib/faults.php), e.g. {"mode":"status","code":503,"times":2}
 *   POST /_sandbox/reset     forget orders, profiles, requests and faults
 */
declare(strict_types=1);

require __DIR__ . '/lib/db.php';
require __DIR__ . '/lib/faults.php';
require __DIR__ . '/lib/auth.php';
require __DIR__ . '/lib/orders.php';

function send_json(int $status, mixed $doc, array $headers = []): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    foreach ($headers as $h) {
        header($h);
    }
    echo is_string($doc) ? $doc : json_encode($doc, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
}

function send_error(int $status, string $message, array $headers = []): void
{
    send_json($status, ['status' => 'error', 'message' => $message], $headers);
}

function handle_control(string $method, string $path): void
{
    $route = "$method $path";
    switch ($route) {
        case 'GET /_sandbox/state':
            send_json(200, sandbox_state_json());
            return;
        case 'GET /_sandbox/requests':
            $rows = sandbox_db()->query('SELECT * FROM requests ORDER BY id')->fetchAll();
            foreach ($rows as &$r) {
                // Raw bytes in base64 for exact comparisons; a text copy when the body is UTF-8.
                $r['body_b64'] = base64_encode($r['body']);
                $r['body'] = mb_check_encoding($r['body'], 'UTF-8') ? $r['body'] : null;
                $r['id'] = (int)$r['id'];
                $r['status'] = (int)$r['status'];
                $r['time'] = (float)$r['time'];
            }
            send_json(200, $rows);
            return;
        case 'GET /_sandbox/fault':
            send_json(200, (object)fault_list());
            return;
        case 'POST /_sandbox/fault':
            $cfg = json_decode(file_get_contents('php://input'), true);
            if (!is_array($cfg)) {
                send_error(400, 'body must be a JSON object');
                return;
            }
            try {
                send_json(200, (object)fault_configure($cfg));
            } catch (InvalidArgumentException $e) {
                send_error(400, $e->getMessage());
            }
            return;
        case 'POST /_sandbox/reset':
            sandbox_tx(function (PDO $db) {
                foreach (['orders', 'profiles', 'requests', 'faults'] as $t) {
                    $db->exec("DELETE FROM $t");
                }
            });
            send_json(200, ['status' => 'ok']);
            return;
    }
    send_error(404, "no such control endpoint: $route");
}

function handle_api(string $method, string $path, array &$log): void
{
    if (!preg_match('#^/api/(?:.*/)?updateOrder[^/]*$#', $path)) {
        send_error(404, "unknown API method: $path");
        return;
    }
    // Faults act like a proxy in front of the API: before auth, and only on the
    // canonical path so that a redirect target is always reachable.
    $fault = $path === '/api/updateOrder' ? fault_take_response() : null;
    $log['fault'] = $fault['mode'] ?? null;
    switch ($fault['mode'] ?? null) {
        case 'status':
            send_error($fault['code'], "sandbox fault: status {$fault['code']}");
            return;
        case 'retry_after':
            send_error($fault['code'], "sandbox fault: retry after {$fault['retry_after']}",
                ['Retry-After: ' . $fault['retry_after']]);
            return;
        case 'redirect':
            send_error($fault['code'], "sandbox fault: redirect to {$fault['location']}",
                ['Location: ' . $fault['location']]);
            return;
        case 'drop':
            // php -S cannot reset a socket, but it sends our Content-Length verbatim and then
            // closes the connection (it always answers "Connection: close"). Announcing more
            // bytes than we send breaks the exchange: the client gets a 200 status line and
            // headers, then EOF mid-body. curl fails with exit 18 / CURLE_PARTIAL_FILE
            // ("transfer closed with N bytes remaining to read"); PHP curl_exec returns false.
            // Nothing is stored.
            http_response_code(200);
            header('Content-Type: application/json');
            header('Content-Length: 1000');
            echo '{"status":';
            return;
        case 'slow':
            usleep($fault['delay_ms'] * 1000);
            break; // then answer normally
    }
    if ($method !== 'POST') {
        send_error(405, "method $method not allowed, use POST", ['Allow: POST']);
        return;
    }
    $denied = auth_check(fault_digest_algorithm());
    if ($denied !== null) {
        [$status, $headers, $message] = $denied;
        send_error($status, $message, $headers);
        return;
    }
    try {
        [$data, $warnings] = order_validate($_POST);
    } catch (BadRequest $e) {
        send_error(400, $e->getMessage());
        return;
    }
    $created = order_upsert($_POST, $data, $warnings);
    send_json(200, ['status' => 'ok', 'order_idorder' => $data['order_idorder'], 'created' => $created]
        + ($warnings ? ['warnings' => $warnings] : []));
}

$method = $_SERVER['REQUEST_METHOD'];
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/';

if (str_starts_with($path, '/_sandbox/')) {
    handle_control($method, $path);
} elseif (str_starts_with($path, '/api/')) {
    $log = [
        'time' => microtime(true),
        'method' => $method,
        'path' => $path,
        'query' => (string)($_SERVER['QUERY_STRING'] ?? ''),
        'content_type' => $_SERVER['CONTENT_TYPE'] ?? null,
        'body' => file_get_contents('php://input'),
        'auth_scheme' => auth_scheme(),
        'user_agent' => $_SERVER['HTTP_USER_AGENT'] ?? null,
        'fault' => null,
    ];
    // Logged at shutdown so that the final status is known whatever path was taken
    // (including uncaught errors, logged as 500).
    register_shutdown_function(function () use (&$log) {
        $status = http_response_code();
        $err = error_get_last();
        if ($err !== null && in_array($err['type'], [E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR], true)) {
            $status = 500;
        }
        $stmt = sandbox_db()->prepare('INSERT INTO requests (time, method, path, query, content_type, body,
            auth_scheme, user_agent, status, fault) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
        $stmt->bindValue(1, $log['time']);
        foreach (['method', 'path', 'query', 'content_type'] as $i => $k) {
            $stmt->bindValue($i + 2, $log[$k]);
        }
        $stmt->bindValue(6, $log['body'], PDO::PARAM_LOB);
        $stmt->bindValue(7, $log['auth_scheme']);
        $stmt->bindValue(8, $log['user_agent']);
        $stmt->bindValue(9, $status === false ? 200 : $status, PDO::PARAM_INT);
        $stmt->bindValue(10, $log['fault']);
        $stmt->execute();
    });
    handle_api($method, $path, $log);
} else {
    send_error(404, "not found: $path (the API lives under /api/, the sandbox controls under /_sandbox/)");
}

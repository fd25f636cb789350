<?php
/*
 * The sandbox (sandbox/router.php) behind test hooks: a request to /api/
 * whose raw body contains a rule's "needle" (hooks.json in the server's
 * document root, written by Support\Sandbox::slowWhen()/answerWhen()) is
 * held back "ms" milliseconds before the sandbox handles it, handled at once
 * but its answer held back "answer_ms" milliseconds (the request log keeps the
 * time it arrived), or answered here with "status" and a JSON body of "bytes"
 * bytes, e.g. [{"needle":"order_state%5D=10&","ms":1000},
 * {"needle":"RA-5&","answer_ms":300}, {"needle":"BIG","status":200,"bytes":2097152}].
 */

declare(strict_types=1);

$hooks = $_SERVER['DOCUMENT_ROOT'] . '/hooks.json';
if (str_starts_with($_SERVER['REQUEST_URI'] ?? '', '/api/') && is_file($hooks)) {
    $body = (string)file_get_contents('php://input');
    foreach (json_decode((string)file_get_contents($hooks), true) ?: [] as $rule) {
        if (!str_contains($body, $rule['needle'])) {
            continue;
        }
        if (isset($rule['ms'])) {
            usleep($rule['ms'] * 1000);
        }
        if (isset($rule['answer_ms'])) {
            // php -S writes output as it comes: buffer it, and sleep in a shutdown
            // function, which PHP runs before it flushes the buffer.
            ob_start();
            register_shutdown_function('usleep', $rule['answer_ms'] * 1000);
        }
        if (isset($rule['status'])) {
            http_response_code($rule['status']);
            header('Content-Type: application/json');
            $head = '{"status":"ok","padding":"';
            echo $head, str_repeat('x', max(0, $rule['bytes'] - strlen($head) - 2)), '"}';
            return true;
        }
    }
}
return require dirname(__DIR__, 3) . '/sandbox/router.php';

<?php
/*
 * The sandbox (sandbox/router.php) behind one more test hook: a request to
 * /api/ whose raw body contains a text listed in slow.json (in the server's
 * document root, written by Support\Sandbox::slowWhen()) is held back that long
 * before the sandbox handles it, e.g. [{"needle":"order_state%5D=10&","ms":1000}].
 */

declare(strict_types=1);

$rules = $_SERVER['DOCUMENT_ROOT'] . '/slow.json';
if (str_starts_with($_SERVER['REQUEST_URI'] ?? '', '/api/') && is_file($rules)) {
    $body = (string)file_get_contents('php://input');
    foreach (json_decode((string)file_get_contents($rules), true) ?: [] as $rule) {
        if (str_contains($body, $rule['needle'])) {
            usleep($rule['ms'] * 1000);
        }
    }
}
return require dirname(__DIR__, 3) . '/sandbox/router.php';

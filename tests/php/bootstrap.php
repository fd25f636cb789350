<?php
/*
 * PHPUnit bootstrap: the binding through its plain autoloader (as a shop
 * without Composer uses it), the PSR-3 interfaces from Debian's php-psr-log
 * (.ci/setup installs it), the test support classes, and every PHP warning,
 * notice or deprecation turned into a failure.
 */

declare(strict_types=1);

error_reporting(E_ALL);
set_error_handler(static function (int $severity, string $message, string $file, int $line): bool {
    if (!(error_reporting() & $severity)) {
        return false; // silenced with @ on purpose (probing a port)
    }
    throw new ErrorException($message, 0, $severity, $file, $line);
});

require dirname(__DIR__, 2) . '/bindings/php/autoload.php';
require 'Psr/Log/autoload.php'; // php-psr-log, from the include path (/usr/share/php)
require __DIR__ . '/Support/Php.php';
require __DIR__ . '/Support/Sandbox.php';
require __DIR__ . '/Support/Seed.php';
require __DIR__ . '/Support/SandboxTestCase.php';
require __DIR__ . '/Support/CollectingLogger.php';
require __DIR__ . '/Support/AppServer.php';

<?php

declare(strict_types=1);

// Debian's Symfony and Monolog packages, from the include path; the binding; this app.
require_once 'Symfony/Bundle/FrameworkBundle/autoload.php';
require_once 'Symfony/Component/Messenger/autoload.php';
require_once 'Monolog/autoload.php';
require_once dirname(__DIR__, 4) . '/bindings/php/autoload.php';
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        require __DIR__ . '/src/' . str_replace('\\', '/', substr($class, 4)) . '.php';
    }
});

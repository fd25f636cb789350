<?php

/*
 * For shops without Composer: `require '/path/to/bindings/php/autoload.php';`
 * then use Spread\Client and Spread\Order. A PSR-4 autoloader for Spread\ -> src/.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Spread\\')) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, 7)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

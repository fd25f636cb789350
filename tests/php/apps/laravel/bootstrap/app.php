<?php
/*
 * A minimal Laravel 8 application (Debian's php-laravel-framework) with the
 * Spread service provider registered, as a shop has it: config/app.php lists
 * the provider and the facade. Its storage is $SPREAD_APP_STORAGE.
 */

declare(strict_types=1);

require_once 'Illuminate/autoload.php'; // Debian's php-laravel-framework, from the include path
require_once dirname(__DIR__, 5) . '/bindings/php/autoload.php';
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        require dirname(__DIR__) . '/app/' . str_replace('\\', '/', substr($class, 4)) . '.php';
    }
});

$app = new Illuminate\Foundation\Application(dirname(__DIR__));
$storage = getenv('SPREAD_APP_STORAGE') ?: sys_get_temp_dir() . '/spread-laravel-app';
foreach (['', '/framework', '/logs', '/cache'] as $dir) {
    is_dir($storage . $dir) || mkdir($storage . $dir, 0700, true);
}
$app->useStoragePath($storage);
// bootstrap/cache is not writable in a checkout: the caches go to the storage.
$_ENV['APP_SERVICES_CACHE'] = $_SERVER['APP_SERVICES_CACHE'] = "$storage/cache/services.php";
$_ENV['APP_PACKAGES_CACHE'] = $_SERVER['APP_PACKAGES_CACHE'] = "$storage/cache/packages.php";

$app->singleton(Illuminate\Contracts\Http\Kernel::class, App\Http\Kernel::class);
$app->singleton(Illuminate\Contracts\Debug\ExceptionHandler::class, Illuminate\Foundation\Exceptions\Handler::class);

return $app;

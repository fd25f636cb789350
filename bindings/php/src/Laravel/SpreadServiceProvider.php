<?php

declare(strict_types=1);

namespace Spread\Laravel;

use Illuminate\Contracts\Foundation\Application;
use Illuminate\Support\ServiceProvider;
use Spread\Client;
use Spread\ClientInterface;

/**
 * libspread in a Laravel application (tested with laravel/framework 8.83):
 * the client as a singleton behind Spread\ClientInterface (and 'spread'),
 * configured by config/spread.php, its log records on a Laravel log
 * channel; the Spread facade, with Spread::fake(); Spread\Laravel\SendOrder,
 * a queued job carrying an order.
 *
 * Register it in config/app.php's providers (Composer's package discovery
 * does it for you: see composer.json's extra.laravel).
 */
class SpreadServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/config/spread.php', 'spread');
        $this->app->singleton(
            ClientInterface::class,
            static fn (Application $app): ClientInterface => self::client($app)
        );
        $this->app->alias(ClientInterface::class, 'spread');
    }

    public function boot(): void
    {
        if ($this->app->runningInConsole()) {
            $this->publishes([__DIR__ . '/config/spread.php' => $this->app->configPath('spread.php')], 'spread-config');
        }
    }

    /** @throws \Spread\SpreadException naming the setting at fault */
    private static function client(Application $app): Client
    {
        /** @var array<string, mixed> $config */
        $config = $app->make('config')->get('spread', []);
        $options = array_filter((array)($config['options'] ?? []), static fn ($v) => $v !== null);
        foreach (['base_url' => 'base_url', 'spool_dir' => 'spool_dir'] as $key => $option) {
            if (($config[$key] ?? null) !== null && $config[$key] !== '') {
                $options[$option] ??= $config[$key];
            }
        }
        if (($config['log_channel'] ?? null) !== false && !isset($options['logger'])) {
            $options['logger'] = $app->make('log')->channel($config['log_channel'] ?? null);
        }
        // fromEnv() reads the keys as the CLI does; the configured ones go first.
        $env = array_filter([
            'SPREAD_PUBLIC_KEY' => $config['public_key'] ?? null,
            'SPREAD_PRIVATE_KEY' => $config['private_key'] ?? null,
            'SPREAD_KEYS_FILE' => $config['keys_file'] ?? null,
        ], static fn ($v) => is_string($v) && $v !== '') + getenv();
        return Client::fromEnv($options, $env);
    }
}

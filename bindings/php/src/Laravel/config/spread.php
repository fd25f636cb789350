<?php

/*
 * libspread for Laravel: `php artisan vendor:publish --tag=spread-config`
 * copies this file to config/spread.php. The keys come from .env (or a keys
 * file, mode 0600: SPREAD_KEYS_FILE), never from the code.
 */

return [
    // null: read by Spread\Client::fromEnv() from the keys file, systemd credentials or the environment.
    'public_key' => env('SPREAD_PUBLIC_KEY'),
    'private_key' => env('SPREAD_PRIVATE_KEY'),
    'keys_file' => env('SPREAD_KEYS_FILE'),

    // SPREAD's API (the default: https://social-sb.com/api); the sandbox's for tests.
    'base_url' => env('SPREAD_BASE_URL'),

    // The spool folder: what SPREAD cannot take now waits there (enqueue() needs it); flush it with
    // the `spread flush` timer or cron, as the web server's user.
    'spool_dir' => env('SPREAD_SPOOL'),

    // The log channel libspread's records go to: null for the default channel, false for none.
    'log_channel' => env('SPREAD_LOG_CHANNEL'),

    // Any other Spread\Client option: timeout_ms, connect_timeout_ms, max_attempts, log_level, strict...
    'options' => [],
];

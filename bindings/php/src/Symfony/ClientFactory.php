<?php

declare(strict_types=1);

namespace Spread\Symfony;

use Spread\Client;

/** @internal builds the bundle's client from its configuration */
final class ClientFactory
{
    /**
     * @param array{
     *     public_key: ?string,
     *     private_key: ?string,
     *     keys_file: ?string,
     *     base_url: ?string,
     *     spool_dir: ?string,
     *     options: array<string, mixed>
     * } $config
     * @throws \Spread\SpreadException naming the setting at fault
     */
    public static function create(array $config, ?object $logger = null): Client
    {
        $options = $config['options'];
        foreach (['base_url', 'spool_dir'] as $name) {
            if (($config[$name] ?? '') !== '' && !isset($options[$name])) {
                $options[$name] = $config[$name];
            }
        }
        if ($logger !== null && !isset($options['logger'])) {
            $options['logger'] = $logger;
        }
        $env = array_filter([
            'SPREAD_PUBLIC_KEY' => $config['public_key'],
            'SPREAD_PRIVATE_KEY' => $config['private_key'],
            'SPREAD_KEYS_FILE' => $config['keys_file'],
        ], static fn ($v) => is_string($v) && $v !== '') + getenv();
        return Client::fromEnv($options, $env);
    }
}

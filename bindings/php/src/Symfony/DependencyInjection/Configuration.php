<?php

declare(strict_types=1);

namespace Spread\Symfony\DependencyInjection;

use Symfony\Component\Config\Definition\Builder\TreeBuilder;
use Symfony\Component\Config\Definition\ConfigurationInterface;

/**
 * `spread:` in config/packages/spread.yaml. Every key may be left out: the
 * keys, base URL and spool folder then come from the environment or the keys
 * file, as for the `spread` command (Spread\Client::fromEnv()).
 *
 *     spread:
 *         public_key: '%env(SPREAD_PUBLIC_KEY)%'
 *         private_key: '%env(SPREAD_PRIVATE_KEY)%'
 *         spool_dir: '%kernel.project_dir%/var/spread-spool'
 *         options: { timeout_ms: 10000 }
 */
final class Configuration implements ConfigurationInterface
{
    public function getConfigTreeBuilder(): TreeBuilder
    {
        $tree = new TreeBuilder('spread');
        $tree->getRootNode()
            ->children()
                ->scalarNode('public_key')->defaultNull()->end()
                ->scalarNode('private_key')->defaultNull()->end()
                ->scalarNode('keys_file')->defaultNull()->info('SPREAD_PUBLIC_KEY=… lines, mode 0600')->end()
                ->scalarNode('base_url')->defaultNull()->end()
                ->scalarNode('spool_dir')->defaultNull()->end()
                ->scalarNode('logger')->defaultValue('logger')
                    ->info('the PSR-3 logger service (with MonologBundle: the "spread" channel); null for none')->end()
                ->arrayNode('options')
                    ->info('any other Spread\Client option: timeout_ms, max_attempts, log_level, strict...')
                    ->variablePrototype()->end()->end()
            ->end();
        return $tree;
    }
}

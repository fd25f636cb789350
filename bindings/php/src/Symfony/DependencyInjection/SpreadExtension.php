<?php

declare(strict_types=1);

namespace Spread\Symfony\DependencyInjection;

use Spread\Client;
use Spread\ClientInterface;
use Spread\Symfony\ClientFactory;
use Spread\Symfony\Messenger\SendOrder;
use Spread\Symfony\Messenger\SendOrderHandler;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\DependencyInjection\ContainerInterface;
use Symfony\Component\DependencyInjection\Definition;
use Symfony\Component\DependencyInjection\Extension\Extension;
use Symfony\Component\DependencyInjection\Reference;

/** The services of SpreadBundle. */
final class SpreadExtension extends Extension
{
    /** @param array<array-key, mixed> $configs */
    public function load(array $configs, ContainerBuilder $container): void
    {
        $config = $this->processConfiguration(new Configuration(), $configs);
        $logger = $config['logger'];
        unset($config['logger']);

        $client = (new Definition(Client::class))
            ->setFactory([ClientFactory::class, 'create'])
            ->setArguments([
                $config,
                $logger === null ? null : new Reference($logger, ContainerInterface::IGNORE_ON_INVALID_REFERENCE),
            ])
            ->setPublic(true)
            // MonologBundle's LoggerChannelPass gives this service monolog.logger.spread in place of "logger".
            ->addTag('monolog.logger', ['channel' => 'spread']);
        $container->setDefinition('spread.client', $client);
        $container->setAlias(ClientInterface::class, 'spread.client')->setPublic(true);
        $container->setAlias(Client::class, 'spread.client')->setPublic(true);

        if (interface_exists(\Symfony\Component\Messenger\MessageBusInterface::class)) {
            $container->setDefinition(SendOrderHandler::class, (new Definition(SendOrderHandler::class))
                ->setArguments([new Reference(ClientInterface::class)])
                ->addTag('messenger.message_handler', ['handles' => SendOrder::class]));
        }
    }

    public function getAlias(): string
    {
        return 'spread';
    }
}

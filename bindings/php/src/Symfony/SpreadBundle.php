<?php

declare(strict_types=1);

namespace Spread\Symfony;

use Spread\Symfony\DependencyInjection\SpreadExtension;
use Symfony\Component\DependencyInjection\Extension\ExtensionInterface;
use Symfony\Component\HttpKernel\Bundle\Bundle;

/**
 * libspread in a Symfony application (tested with symfony/framework-bundle
 * and symfony/messenger 5.4): the client as a service (Spread\ClientInterface,
 * autowirable), configured under `spread:`, logging on the Monolog channel
 * "spread", and a Messenger handler for Spread\Symfony\Messenger\SendOrder.
 * Add `Spread\Symfony\SpreadBundle::class => ['all' => true]` to config/bundles.php.
 */
class SpreadBundle extends Bundle
{
    public function getContainerExtension(): ?ExtensionInterface
    {
        return new SpreadExtension();
    }
}

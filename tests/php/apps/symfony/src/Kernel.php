<?php

declare(strict_types=1);

namespace App;

use Monolog\Handler\StreamHandler;
use Monolog\Logger;
use Spread\Symfony\Messenger\SendOrder;
use Spread\Symfony\SpreadBundle;
use Symfony\Bundle\FrameworkBundle\FrameworkBundle;
use Symfony\Bundle\FrameworkBundle\Kernel\MicroKernelTrait;
use Symfony\Component\DependencyInjection\Loader\Configurator\ContainerConfigurator;
use Symfony\Component\HttpKernel\Kernel as BaseKernel;
use Symfony\Component\Routing\Loader\Configurator\RoutingConfigurator;

/**
 * A minimal Symfony 5.4 application (Debian's php-symfony-framework-bundle and
 * -messenger) with SpreadBundle: the client autowired into a controller, a
 * Messenger bus routing SendOrder, a Monolog logger for the "spread" channel.
 */
final class Kernel extends BaseKernel
{
    use MicroKernelTrait;

    public function registerBundles(): iterable
    {
        return [new FrameworkBundle(), new SpreadBundle()];
    }

    public function getProjectDir(): string
    {
        return dirname(__DIR__);
    }

    public function getCacheDir(): string
    {
        return (getenv('SPREAD_APP_STORAGE') ?: sys_get_temp_dir() . '/spread-symfony-app') . '/cache/' . $this->environment;
    }

    public function getLogDir(): string
    {
        return (getenv('SPREAD_APP_STORAGE') ?: sys_get_temp_dir() . '/spread-symfony-app') . '/log';
    }

    protected function configureContainer(ContainerConfigurator $c): void
    {
        $c->extension('framework', [
            'secret' => 'not-a-secret', 'http_method_override' => false, 'test' => true,
            'router' => ['utf8' => true],
            'messenger' => ['transports' => ['sync' => 'sync://'], 'routing' => [SendOrder::class => 'sync']],
        ]);
        // The keys, base URL and spool come from the environment (Client::fromEnv); the log to MonologBundle's channel.
        $c->extension('spread', ['logger' => 'monolog.logger.spread', 'options' => ['timeout_ms' => 10000]]);
        $services = $c->services()->defaults()->autowire()->autoconfigure();
        $services->set(Controller\OrderController::class)->public()->tag('controller.service_arguments');
        // What MonologBundle makes of a "spread" channel (it is not in Debian): a Logger named so.
        $services->set('monolog.logger.spread', Logger::class)->args(['spread'])
            ->call('pushHandler', [new \Symfony\Component\DependencyInjection\Loader\Configurator\InlineServiceConfigurator(
                (new \Symfony\Component\DependencyInjection\Definition(StreamHandler::class))->setArguments(['%kernel.logs_dir%/spread.log']),
            )]);
    }

    protected function configureRoutes(RoutingConfigurator $routes): void
    {
        $routes->add('orders', '/orders')->controller([Controller\OrderController::class, 'store'])->methods(['POST']);
        $routes->add('orders_message', '/orders/message')->controller([Controller\OrderController::class, 'dispatchMessage'])->methods(['POST']);
    }
}

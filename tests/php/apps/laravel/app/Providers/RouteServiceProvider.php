<?php

declare(strict_types=1);

namespace App\Providers;

use App\Http\Controllers\OrderController;
use Illuminate\Support\ServiceProvider;

class RouteServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        $router = $this->app->make('router');
        $router->post('/orders', [OrderController::class, 'store']);
        $router->post('/orders/job', [OrderController::class, 'dispatchJob']);
        $router->post('/orders/facade', [OrderController::class, 'viaFacade']);
    }
}

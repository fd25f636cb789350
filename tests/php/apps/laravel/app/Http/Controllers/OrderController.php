<?php

declare(strict_types=1);

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller;
use Spread\ClientInterface;
use Spread\Laravel\Facades\Spread;
use Spread\Laravel\SendOrder;
use Spread\Order;
use Spread\OrderState;

/** A shop's checkout: the order goes to SPREAD in the background. */
class OrderController extends Controller
{
    /** Through the client injected by its interface: enqueued, delivered by the delivery thread. */
    public function store(Request $request, ClientInterface $spread): JsonResponse
    {
        $response = $spread->enqueue($this->order($request));
        return new JsonResponse(['queued' => $response->queued()], 202);
    }

    /** Through a queued job: the order travels serialized. */
    public function dispatchJob(Request $request): JsonResponse
    {
        SendOrder::dispatch($this->order($request));
        return new JsonResponse(['dispatched' => true], 202);
    }

    /** Through the facade. */
    public function viaFacade(Request $request): JsonResponse
    {
        return new JsonResponse(['queued' => Spread::enqueue($this->order($request))->queued()], 202);
    }

    private function order(Request $request): Order
    {
        return (new Order())
            ->customerEmail((string)$request->input('email'))
            ->orderIdorder((string)$request->input('id'))
            ->orderState(OrderState::Paid)
            ->orderAmount((string)$request->input('amount'))
            ->orderCreaDt(new \DateTimeImmutable((string)$request->input('created')));
    }
}

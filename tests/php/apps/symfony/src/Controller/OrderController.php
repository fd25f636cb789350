<?php

declare(strict_types=1);

namespace App\Controller;

use Spread\ClientInterface;
use Spread\Order;
use Spread\OrderState;
use Spread\Symfony\Messenger\SendOrder;
use Symfony\Component\HttpFoundation\JsonResponse;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\Messenger\MessageBusInterface;

/** A shop's checkout: the order goes to SPREAD in the background. */
final class OrderController
{
    /** Through the client service, autowired by its interface: enqueued, delivered by the delivery thread. */
    public function store(Request $request, ClientInterface $spread): JsonResponse
    {
        return new JsonResponse(['queued' => $spread->enqueue(self::order($request))->queued()], 202);
    }

    /** Through Messenger: SpreadBundle's handler sends it. */
    public function dispatchMessage(Request $request, MessageBusInterface $bus): JsonResponse
    {
        $bus->dispatch(new SendOrder(self::order($request)));
        return new JsonResponse(['dispatched' => true], 202);
    }

    private static function order(Request $request): Order
    {
        return (new Order())
            ->customerEmail((string)$request->request->get('email'))
            ->orderIdorder((string)$request->request->get('id'))
            ->orderState(OrderState::Shipped)
            ->orderAmount((string)$request->request->get('amount'))
            ->orderCreaDt(new \DateTimeImmutable((string)$request->request->get('created')));
    }
}

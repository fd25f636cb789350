<?php

declare(strict_types=1);

namespace Spread;

/**
 * data[order_state]: SPREAD's order states. Accepted wherever a state is
 * (Order::orderState, Order::field, Order::fromArray); the int value is what is sent.
 *
 *     $order->orderState(Spread\OrderState::Paid);   // data[order_state]=20
 */
enum OrderState: int
{
    /** Cancelled. */
    case Cancelled = 0;
    /** Taken, not paid yet. */
    case Taken = 10;
    /** Paid. */
    case Paid = 20;
    /** Shipped. */
    case Shipped = 50;
    /** Completed (delivered, closed). */
    case Completed = 100;

    /** SPREAD's meaning of the state, in English: "paid", "taken (unpaid)"... */
    public function label(): string
    {
        return match ($this) {
            self::Cancelled => 'cancelled',
            self::Taken => 'taken (unpaid)',
            self::Paid => 'paid',
            self::Shipped => 'shipped',
            self::Completed => 'completed',
        };
    }
}

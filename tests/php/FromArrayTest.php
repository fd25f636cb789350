<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\MissingFieldException;
use Spread\Order;
use Spread\RejectedException;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/** Order::fromArray and Client::updateOrder on the seed's $post_data and its variants. */
final class FromArrayTest extends SandboxTestCase
{
    public function testTheSeedArrayEncodesToTheSeedBody(): void
    {
        $postData = Seed::postData();
        $this->assertSame(Seed::body(), Order::fromArray($postData)->encode());
        $this->assertSame(http_build_query($postData), Order::fromArray($postData)->encode());
    }

    public function testUpdateOrderSendsTheSeedArrayOnceAndItIsStored(): void
    {
        $response = $this->client()->updateOrder(Seed::postData());

        $this->assertSame(200, $response->status());
        $requests = $this->sandbox->requests();
        $this->assertCount(1, $requests, 'one round trip, credentials sent up front');
        $this->assertSame('Basic', $requests[0]['auth_scheme']);
        $this->assertSame('application/x-www-form-urlencoded', $requests[0]['content_type']);
        $this->assertSame(Seed::body(), $requests[0]['raw']);

        $order = $this->storedOrder('0000001');
        $this->assertSame('10', $order['order_state']);
        $this->assertSame('158.31', $order['order_amount']);
        $this->assertSame([['size:xl', 'type:shirt'], ['size:s', 'color:blue']], $order['product_attributes']);
        $this->assertSame(['tag_commande_1', 'tag_commande_2'], $order['tags']);
        $this->assertSame([], $order['extra']);
        $this->assertArrayNotHasKey('extra_post', $order);
        $profile = $this->storedProfile('john@doe.com');
        $this->assertSame('bâtiment A', $profile['customer_address_2']);
        $this->assertSame(['327' => 'value'], $profile['custom_fields']);
        $this->assertSame(['tag1', 'tag2'], $profile['tags']);
    }

    public function testTheDataPartAloneIsEnough(): void
    {
        $postData = Seed::postData();
        $this->assertSame(Seed::body(), Order::fromArray($postData['data'])->encode());
        $this->client()->updateOrder($postData['data']);
        $this->assertSame([Seed::body()], $this->receivedBodies());
    }

    public function testPhpTypesAsShopsWriteThem(): void
    {
        $postData = ['data' => [
            'external_id' => 12345,
            'customer_cp' => 76000,
            'order_idorder' => 42,
            'order_state' => 20,
            'order_amount' => 100.0,
            'order_crea_dt' => '2014-06-21 14:31:08',
            'custom_fields' => [7 => 3.5, 327 => true, 9 => null],
            'consents' => ['A' => 1, 'B' => 0, 'C' => true, 'D' => false, 'E' => '1', 'F' => '0'],
            'add_tag' => [1, 'two'],
            'customer_name' => null,
            'del_order_tag' => [],
        ], 'request' => ['order_idorder' => '42']];
        $order = Order::fromArray($postData);
        $this->assertSame(http_build_query($postData), $order->encode());

        $this->client()->send($order);
        $stored = $this->storedOrder('42');
        $this->assertSame('20', $stored['order_state']);
        $this->assertSame('100', $stored['order_amount']);
        $profile = $this->storedProfile('12345');
        $this->assertSame('76000', $profile['customer_cp']);
        $this->assertArrayNotHasKey('customer_name', $profile);
        $this->assertSame(['327' => '1', '7' => '3.5'], $profile['custom_fields']);
        $this->assertSame(['A' => 1, 'B' => 0, 'C' => 1, 'D' => 0, 'E' => 1, 'F' => 0], $profile['consents']);
        $this->assertSame(['1', 'two'], $profile['tags']);
    }

    public function testUnknownDataKeysAreKeptAndSent(): void
    {
        $postData = Seed::postData();
        $postData['data']['coupon'] = 'WELCOME10';
        $postData['data']['channel'] = 3;
        $postData['data']['gift'] = false;
        $this->assertSame(http_build_query($postData), Order::fromArray($postData)->encode());

        $this->client()->updateOrder($postData);
        $this->assertSame(['channel' => '3', 'coupon' => 'WELCOME10', 'gift' => '0'], $this->storedOrder('0000001')['extra']);
    }

    public function testTheCallersKeyOrderIsKept(): void
    {
        $data = Seed::postData()['data'];
        $keys = array_keys($data);
        mt_srand(7);
        for ($i = 0; $i < 5; $i++) {
            shuffle($keys);
            $shuffled = ['data' => [], 'request' => ['order_idorder' => '0000001']];
            foreach ($keys as $k) {
                $shuffled['data'][$k] = $data[$k];
            }
            $this->assertSame(http_build_query($shuffled), Order::fromArray($shuffled)->encode());
        }
    }

    /**
     * The drop-in does not second-guess what the seed code would have sent:
     * a request part that disagrees with data, or a top-level key the seed
     * never had, goes out as http_build_query writes it, and SPREAD answers.
     *
     * @dataProvider oddRequests
     */
    public function testOddRequestPartsAreSentAsTheSeedWouldAndSpreadAnswers(array $postData, ?int $httpStatus): void
    {
        $client = $this->client(['max_attempts' => 1]);
        if ($httpStatus === null) {
            $this->assertSame(200, $client->updateOrder($postData)->status());
        } else {
            try {
                $client->updateOrder($postData);
                $this->fail('the sandbox took it');
            } catch (RejectedException $e) {
                $this->assertSame($httpStatus, $e->httpStatus());
            }
        }
        $this->assertSame([http_build_query($postData)], $this->receivedBodies());
    }

    public static function oddRequests(): array
    {
        $seed = Seed::postData();
        $other = $seed;
        $other['request']['order_idorder'] = '0000002';
        $int = $seed;
        $int['request']['order_idorder'] = 1; // "0000001" !== "1"
        $extraKey = $seed;
        $extraKey['request']['customer_email'] = 'x@y.z';
        $extraTop = $seed;
        $extraTop['options'] = ['a' => 1];
        $noRequest = $seed;
        unset($noRequest['request']);
        return [
            'different id: the sandbox refuses it' => [$other, 400],
            'int that prints differently: refused' => [$int, 400],
            'unknown request key: sent' => [$extraKey, null],
            'unknown top-level key: sent' => [$extraTop, null],
            'no request part: sent as is' => [$noRequest, null],
        ];
    }

    public function testARequiredFieldMissingFromDataIsRefusedBeforeSending(): void
    {
        $postData = Seed::postData();
        unset($postData['data']['order_idorder']);
        try {
            $this->client()->updateOrder($postData);
            $this->fail('no exception');
        } catch (MissingFieldException $e) {
            $this->assertSame('order_idorder: is required to send an order', $e->getMessage());
        }
        $this->assertSame([], $this->sandbox->requests());
    }

    public function testAnIntRequestIdThatPrintsTheSameIsAccepted(): void
    {
        $postData = Seed::postData();
        $postData['data']['order_idorder'] = '77';
        $postData['request']['order_idorder'] = 77;
        $this->assertSame(http_build_query($postData), Order::fromArray($postData)->encode());
        $this->assertSame(200, $this->client()->updateOrder($postData)->status());
    }
}

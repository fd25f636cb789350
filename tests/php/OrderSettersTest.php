<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Library;
use Spread\Order;
use Spread\Tests\Support\SandboxTestCase;

/** Every Order setter, sent to the sandbox, with what it stored checked. */
final class OrderSettersTest extends SandboxTestCase
{
    /** A valid value for each scalar field of the core's list; a new field fails testEveryScalarFieldHasASetter until added. */
    private const SAMPLES = [
        'customer_email' => 'jane@example.org',
        'external_id' => 'ext-42',
        'customer_cookie' => 'sbt-cookie-1',
        'customer_name' => 'Dœ',
        'customer_firstname' => 'Jane',
        'customer_gender' => 'female',
        'customer_address' => "8, rue de la place\nbâtiment A",
        'customer_address_2' => 'bât. B',
        'customer_address_3' => 'appt 4',
        'customer_cp' => '76000',
        'customer_city' => 'Rouen',
        'customer_country' => 'FR',
        'customer_tel' => '+33 2 35 00 00 00',
        'customer_mobile' => '0606066060',
        'customer_fonction' => 'CTO',
        'customer_company' => 'ACME & Co',
        'customer_birthday' => '1980-02-29',
        'customer_lang' => 'fr_FR',
        'action' => 'order',
        'order_idorder' => 'A-0001',
        'order_state' => '20',
        'order_amount' => '99.90',
        'order_crea_dt' => '2024-01-31 23:59:59',
        'order_start_service' => '2024-02-01',
        'order_end_service' => '2024-02-29',
    ];

    public function testEveryScalarFieldHasASetter(): void
    {
        $fields = array_values(Library::get()->setters());
        $this->assertSame(array_keys(self::SAMPLES), $fields, 'the core field list changed: update SAMPLES');
        $this->assertSame('customerAddress2', array_search('customer_address_2', Library::get()->setters(), true));
    }

    public function testDocblockListsExactlyTheCoreSetters(): void
    {
        $doc = (new \ReflectionClass(Order::class))->getDocComment();
        preg_match_all('/@method self (\w+)\(/', $doc, $m);
        $generated = array_filter(array_keys(Library::get()->setters()), fn ($name) => !method_exists(Order::class, $name));
        $this->assertSame(array_values($generated), $m[1]);
        $this->assertTrue(method_exists(Order::class, 'orderState') && method_exists(Order::class, 'orderAmount'));
    }

    public function testEveryScalarSetterIsStored(): void
    {
        $order = new Order();
        foreach (Library::get()->setters() as $method => $field) {
            $this->assertSame($order, $order->$method(self::SAMPLES[$field]), "$method is fluent");
        }
        $response = $this->client()->send($order);

        $this->assertSame(200, $response->status());
        $this->assertFalse($response->queued());
        $this->assertSame(['status' => 'ok', 'order_idorder' => 'A-0001', 'created' => true], json_decode($response->body(), true));
        $stored = $this->storedOrder('A-0001');
        $profile = $this->storedProfile('jane@example.org');
        foreach (self::SAMPLES as $field => $value) {
            $where = str_starts_with($field, 'customer_') || $field === 'external_id' ? $profile : $stored;
            $this->assertSame($value, $where[$field], $field);
        }
        $this->assertSame(1, $stored['updates']);
    }

    public function testTagsAreAddedThenRemoved(): void
    {
        $client = $this->client();
        $client->send($this->minimal()->addTag('vip')->addTag('newsletter')->addOrderTag('gift')->addOrderTag('rush'));
        $client->send($this->minimal()->delTag('newsletter')->addTag(2024)->delOrderTag('rush'));

        $this->assertSame(['2024', 'vip'], $this->storedProfile('jane@example.org')['tags']);
        $this->assertSame(['gift'], $this->storedOrder('A-0001')['tags']);
        $this->assertStringContainsString('data%5Bdel_tag%5D%5B0%5D=newsletter&data%5Badd_tag%5D%5B0%5D=2024', $this->receivedBodies()[1]);
    }

    public function testFieldTakesListsOfTags(): void
    {
        $tags = ['add_tag' => ['vip', 2024, 'été'], 'del_tag' => ['old'], 'add_order_tag' => [], 'del_order_tag' => ['a', 'b']];
        $order = new Order();
        foreach ($tags as $list => $values) {
            $order->field($list, $values)->field($list, ['again', 'twice']);
            $tags[$list] = [...$values, 'again', 'twice'];
        }
        $this->assertSame(http_build_query(['data' => $tags], '', '&'), $order->encode());
    }

    public function testCustomFieldsConsentsAndProducts(): void
    {
        $order = $this->minimal()
            ->customField(327, 'value')
            ->customField('12', 42)
            ->consent('NewsEmail', true)
            ->consent('NewsSms', false)
            ->consent('Partners', '1')
            ->addProduct(['size:xl', 'type:shirt'])
            ->addProduct()
            ->addProduct(['size:s', 'color:blue']);
        $this->client()->send($order);

        $profile = $this->storedProfile('jane@example.org');
        $this->assertSame(['12' => '42', '327' => 'value'], $profile['custom_fields']);
        $this->assertSame(['NewsEmail' => 1, 'NewsSms' => 0, 'Partners' => 1], $profile['consents']);
        // An empty product is left out of the body, as http_build_query leaves out empty arrays.
        $this->assertSame([['size:xl', 'type:shirt'], ['size:s', 'color:blue']], $this->storedOrder('A-0001')['product_attributes']);
        $this->assertStringContainsString(
            '&' . http_build_query(['data' => ['product_attributes' => [['size:xl', 'type:shirt'], [], ['size:s', 'color:blue']]]]) . '&',
            $order->encode(),
        );
    }

    /** @dataProvider amounts */
    public function testOrderAmountAcceptsFloatsIntsAndDecimalStrings(mixed $amount, string $stored): void
    {
        $this->client()->send($this->minimal()->orderAmount($amount));
        $this->assertSame($stored, $this->storedOrder('A-0001')['order_amount']);
    }

    public static function amounts(): array
    {
        return [
            'float' => [158.31, '158.31'],
            'float 0.1+0.2' => [0.1 + 0.2, '0.3'],
            'float 100.0' => [100.0, '100'],
            'int' => [158, '158'],
            'int zero' => [0, '0'],
            'decimal string' => ['12.50', '12.50'],
        ];
    }

    /** @dataProvider states */
    public function testOrderStateAcceptsIntsAndStrings(int|string $state): void
    {
        $this->client()->send($this->minimal()->orderState($state));
        $this->assertSame((string)$state, $this->storedOrder('A-0001')['order_state']);
    }

    public static function states(): array
    {
        return array_map(fn ($s) => [$s], ['0' => 0, '10' => 10, '"20"' => '20', '50' => 50, '"100"' => '100']);
    }

    public function testFieldSetsKnownAndExtraKeys(): void
    {
        $order = $this->minimal()
            ->field('customer_city', 'Rouen')
            ->field('order_state', '50')
            ->field('source', 'web shop')
            ->field('campaign_id', 77)
            ->field('ignored', null);
        $this->client()->send($order);

        $stored = $this->storedOrder('A-0001');
        $this->assertSame('50', $stored['order_state']);
        $this->assertSame(['campaign_id' => '77', 'source' => 'web shop'], $stored['extra']);
        $this->assertSame('Rouen', $this->storedProfile('jane@example.org')['customer_city']);
    }

    public function testSettingAgainReplacesInPlace(): void
    {
        $order = (new Order())->customerName('Doe')->customerCity('Rouen')->customerName('Dupont');
        $this->assertSame('data%5Bcustomer_name%5D=Dupont&data%5Bcustomer_city%5D=Rouen', $order->encode());
    }

    public function testAnOrderCanBeSentAgainAndUpdates(): void
    {
        $client = $this->client();
        $order = $this->minimal();
        $this->assertTrue(json_decode($client->send($order)->body(), true)['created']);
        $order->orderState(50);
        $this->assertFalse(json_decode($client->send($order)->body(), true)['created']);
        $stored = $this->storedOrder('A-0001');
        $this->assertSame('50', $stored['order_state']);
        $this->assertSame(2, $stored['updates']);
    }

    public function testClientNewOrderUsesTheClientsLibrary(): void
    {
        $client = $this->client(['library' => Library::get()->path]);
        $order = $client->newOrder()->externalId('x-1')->orderIdorder('B-1')->orderState(10)
            ->orderAmount('1.00')->orderCreaDt('2024-01-01 00:00:00');
        $this->assertSame(200, $client->send($order)->status());
        $this->assertSame('x-1', $this->storedOrder('B-1')['profile']);
    }

    public function testUnknownMethodsAndArgumentCounts(): void
    {
        try {
            (new Order())->customerEmal('x@y.z');
            $this->fail('no exception');
        } catch (\BadMethodCallException $e) {
            $this->assertStringContainsString('customerEmal', $e->getMessage());
        }
        $this->expectException(\ArgumentCountError::class);
        (new Order())->customerEmail();
    }

    public function testACloneChangesApartFromItsOriginal(): void
    {
        $order = $this->minimal()->addProduct(['size:xl']);
        $before = $order->encode();
        $copy = clone $order;
        $copy->customerName('Copy')->addProduct(['color:blue']);
        unset($copy); // frees the copy's native order only
        $this->assertSame($before, $order->encode());
        $copy = (clone $order)->customerName('Copy');
        $this->assertStringContainsString('data%5Bcustomer_name%5D=Copy', $copy->encode());
        $this->assertStringNotContainsString('customer_name', $order->encode());
    }

    private function minimal(): Order
    {
        return (new Order())
            ->customerEmail('jane@example.org')
            ->orderIdorder('A-0001')
            ->orderState(10)
            ->orderAmount(10.5)
            ->orderCreaDt('2024-01-31 23:59:59');
    }
}

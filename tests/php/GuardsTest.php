<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Order;
use Spread\Tests\Support\CollectingLogger;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;

/**
 * Guards for behaviours that had no test (issue 27), through the PHP binding:
 * PHP's falsy values (false, 0, 0.0, '', '0') go as http_build_query sends them,
 * never dropped like null; and a Digest exchange after a redirect leaves no
 * Authorization value, nor a part of one, in any record the PSR-3 logger gets.
 */
final class GuardsTest extends SandboxTestCase
{
    public function testFalsyValuesAreSentAsHttpBuildQuerySendsThem(): void
    {
        $postData = ['data' => [
            'customer_email' => 'falsy@example.com',
            'external_id' => '0',
            'customer_name' => '',
            'customer_company' => false,
            'customer_firstname' => 0,
            'order_idorder' => 'F-1',
            'order_state' => 0,
            'order_amount' => 0.0,
            'order_crea_dt' => '2014-06-21 14:31:08',
            'custom_fields' => [1 => false, 2 => 0, 3 => '', 4 => 0.0, 5 => null, 6 => '0'],
            'consents' => ['a' => false, 'b' => 0, 'c' => '0', 'd' => 0.0],
            'add_tag' => ['', 0, false],
            'product_attributes' => [[0, false, ''], []],
            'del_tag' => [],
        ], 'request' => ['order_idorder' => 'F-1']];
        $php = http_build_query($postData);
        foreach (['customer_name%5D=&', 'customer_company%5D=0&', 'order_state%5D=0&', 'custom_fields%5D%5B3%5D=&', 'consents%5D%5Ba%5D=0&'] as $piece) {
            $this->assertStringContainsString($piece, $php, 'the falsy values this test is about are in PHP\'s bytes');
        }
        $order = Order::fromArray($postData);
        $this->assertSame($php, $order->encode());

        $this->assertSame(200, $this->client()->updateOrder($postData)->status());
        $this->assertSame([$php], $this->receivedBodies());
        $stored = $this->storedOrder('F-1');
        $this->assertSame(['0', '0'], [$stored['order_state'], $stored['order_amount']]);
        $profile = $this->storedProfile('falsy@example.com');
        $this->assertSame(['a' => 0, 'b' => 0, 'c' => 0, 'd' => 0], $profile['consents']);
        $this->assertSame(['1' => '0', '2' => '0', '3' => '', '4' => '0', '6' => '0'], $profile['custom_fields']);
        $this->assertSame(['0', '0'], [$profile['customer_company'], $profile['customer_firstname']]);
    }

    /** @return iterable<string, array{string}> */
    public static function algorithms(): iterable
    {
        yield 'MD5' => ['MD5'];
        yield 'SHA-256' => ['SHA-256'];
    }

    /** @dataProvider algorithms */
    public function testADigestExchangeAfterARedirectLogsNoAuthorizationValue(string $algorithm): void
    {
        $this->sandbox->fault(['mode' => 'digest', 'algorithm' => $algorithm]);
        $this->sandbox->fault(['mode' => 'redirect', 'code' => 307, 'location' => '/api/updateOrder2', 'times' => 1]);
        $logger = new CollectingLogger();
        $postData = ['data' => [
            'customer_email' => 'digest@example.com',
            'order_idorder' => 'DG-1',
            'order_state' => 10,
            'order_amount' => 12.5,
            'order_crea_dt' => '2014-06-21 14:31:08',
        ]];
        $client = $this->client(['logger' => $logger, 'log_level' => 'debug']);
        $this->assertSame(200, $client->updateOrder($postData)->status());
        unset($client);

        $this->assertContains('Digest', array_column($this->sandbox->requests(), 'auth_scheme'), 'the exchange this test is about took place');
        $this->assertNotEmpty($logger->event('redirect'));
        $this->assertNotEmpty($logger->event('digest'));
        $forms = [
            Sandbox::PRIVATE_KEY,
            base64_encode(Sandbox::PUBLIC_KEY . ':' . Sandbox::PRIVATE_KEY),
            'Authorization',
            'authorization',
            'Digest username',
            'username=',
            'response=',
            'cnonce=',
            '"' . Sandbox::PUBLIC_KEY . '"',
        ];
        foreach ($logger->records as $record) {
            $text = print_r($record, true); // quotes as they are (JSON would escape them)
            foreach ($forms as $form) {
                $this->assertStringNotContainsString($form, $text);
            }
        }
    }
}

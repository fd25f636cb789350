<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\InvalidValueException;
use Spread\Order;
use Spread\Tests\Support\SandboxTestCase;

/**
 * The drop-in on legacy arrays as real shops build them (nulls, booleans,
 * ints, floats under precision 14 and 17, empty strings, unknown keys, empty
 * arrays, zero dates, a lower-case country, an empty gender, int or string
 * order ids and custom-field keys): SPREAD receives exactly
 * http_build_query($postData) as computed in this process, and a field
 * SPREAD does not require never refuses the order (a warning instead),
 * unless the client is strict.
 */
final class DropInTest extends SandboxTestCase
{
    private const GENERATED = 24;

    /**
     * Fields set to a value that breaks their rule: each must give a warning
     * starting with its name (and a refusal in strict mode).
     */
    private const RULE_BREAKERS = [
        'customer_birthday' => '0000-00-00',
        'order_start_service' => '0000-00-00',
        'customer_country' => 'fr',
        'customer_gender' => '',
        'customer_lang' => 'fr-FR',
    ];

    private string|false $precision;

    protected function setUp(): void
    {
        parent::setUp();
        $this->precision = ini_get('precision');
    }

    protected function tearDown(): void
    {
        ini_set('precision', (string)$this->precision);
    }

    /** @dataProvider legacyArrays */
    public function testWhatSpreadReceivesIsHttpBuildQueryOfTheArray(array $postData, array $breakers, int $precision): void
    {
        ini_set('precision', (string)$precision);
        $whole = isset($postData['data']);
        // What the seed's curl block would have sent, computed here, under this precision.
        $expected = http_build_query($whole ? $postData : ['data' => $postData, 'request' => ['order_idorder' => $postData['order_idorder']]]);

        $response = $this->client(['max_attempts' => 1])->updateOrder($postData);
        $this->assertSame(200, $response->status(), $response->body());
        $this->assertSame([$expected], $this->receivedBodies(), 'byte for byte what http_build_query gives');
        $this->assertSame($expected, Order::fromArray($postData)->encode());

        $warned = array_map(fn (string $w) => strstr($w, ':', true), $response->warnings());
        foreach ($breakers as $field) {
            $this->assertContains($field, $warned, "a warning for $field: " . json_encode($response->warnings()));
        }
        foreach ($response->warnings() as $warning) {
            $this->assertStringEndsWith('(sent as is)', $warning);
        }

        // Strict: refused exactly when the lenient path warned; nothing sent.
        $this->sandbox->reset();
        try {
            $strict = $this->client(['strict' => true])->updateOrder($postData);
            $this->assertSame([], $response->warnings(), 'strict sent what lenient warned about');
            $this->assertSame([], $strict->warnings());
            $this->assertSame([$expected], $this->receivedBodies());
        } catch (InvalidValueException $e) {
            $this->assertNotSame([], $response->warnings(), 'strict refused what lenient did not warn about: ' . $e->getMessage());
            $this->assertSame(str_replace(' (sent as is)', '', $response->warnings()[0]), $e->getMessage(), 'the first warning is the refusal');
            $this->assertSame([], $this->sandbox->requests());
        }
    }

    public static function legacyArrays(): iterable
    {
        mt_srand(20261202);
        for ($i = 0; $i < self::GENERATED; $i++) {
            foreach ([14, 17] as $precision) {
                [$postData, $breakers] = self::legacy($i);
                yield "#$i precision $precision" => [$postData, $breakers, $precision];
            }
        }
    }

    public function testAStringAmountIsSentAsWrittenAndAnOddOneRefused(): void
    {
        $data = ['customer_email' => 'a@b.c', 'order_idorder' => 'A-1', 'order_state' => 20, 'order_amount' => '158.310', 'order_crea_dt' => '2014-06-21 14:31:08'];
        $this->client()->updateOrder($data);
        $this->assertStringContainsString('order_amount%5D=158.310&', $this->receivedBodies()[0]);
        $data['order_amount'] = 1e20; // 1.0E+20: a required field keeps its rule
        $this->expectException(InvalidValueException::class);
        $this->expectExceptionMessage('order_amount: "1.0E+20" is not a plain decimal amount');
        $this->client()->updateOrder($data);
    }

    /**
     * A legacy $post_data (whole or its data part, keys shuffled) and the
     * fields in it that break their rule.
     *
     * @return array{0: array<array-key, mixed>, 1: list<string>}
     */
    private static function legacy(int $n): array
    {
        $id = [mt_rand(1, 999999), "L-$n", (string)mt_rand(1, 999)][mt_rand(0, 2)];
        $data = [
            'customer_email' => "legacy$n@example.org",
            'external_id' => [null, mt_rand(1, 99999), "ext-$n", null, ''][mt_rand(0, 4)],
            'order_idorder' => $id,
            'order_state' => [0, 10, 20, 50, 100, '10', '100'][mt_rand(0, 6)],
            'order_amount' => [158.31, 0.1 + 0.2, 100.0, 42, '19.90', 1 / 3, 0.0][mt_rand(0, 6)],
            'order_crea_dt' => gmdate('Y-m-d H:i:s', mt_rand(0, 2_000_000_000)),
        ];
        $optional = [
            'customer_name' => [null, '', 'Dœ', true][mt_rand(0, 3)],
            'customer_firstname' => [null, 'Jean-Éric', false][mt_rand(0, 2)],
            'customer_company' => [true, false, 0, ''][mt_rand(0, 3)],
            'customer_cp' => [76000, '07600', 7.6e4, null][mt_rand(0, 3)],
            'customer_tel' => [0.1 + 0.2, 1 / 3, 1e20, 100.0, -0.0, 123456789012345678][mt_rand(0, 5)],
            'customer_mobile' => ['', null, 33606066060][mt_rand(0, 2)],
            'customer_address_2' => ['', 'bâtiment A', null][mt_rand(0, 2)],
            'add_tag' => [[], ['vip', 3, 2.5, true], null][mt_rand(0, 2)],
            'del_order_tag' => [[], ['old']][mt_rand(0, 1)],
            'custom_fields' => [[], [327 => 'value', '12' => 1.5, 7 => false, 8 => null], ['3' => '', 44 => 0.1]][mt_rand(0, 2)],
            'consents' => [[], ['NewsEmail' => true, 'Sms' => 0, 'Post' => '1'], ['NewsEmail' => null]][mt_rand(0, 2)],
            'product_attributes' => [[], [['size:xl', 'type:shirt']], [[], ['color:blue']]][mt_rand(0, 2)],
            'coupon' => ['WELCOME10', 10, 0.5, true, null][mt_rand(0, 4)],       // unknown keys: kept
            'legacy_flags' => [[], ['a' => 1, 'b' => [true, null, 2.5]]][mt_rand(0, 1)],
            'action' => ['order', null][mt_rand(0, 1)],
        ];
        $breakers = [];
        foreach (self::RULE_BREAKERS as $field => $value) {
            if (mt_rand(0, 5) === 0) {
                $optional[$field] = $value;
                $breakers[] = $field;
            }
        }
        $all = $data + $optional;
        $keys = array_keys($all);
        shuffle($keys);
        $shuffled = [];
        foreach ($keys as $key) {
            $shuffled[$key] = $all[$key];
        }
        $postData = mt_rand(0, 1) ? ['data' => $shuffled, 'request' => ['order_idorder' => $id]] : $shuffled;
        return [$postData, $breakers];
    }
}

<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Order;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/**
 * The body the binding sends equals, byte for byte, the body the seed's own
 * curl block sends for the same $post_data (both captured by the sandbox),
 * and http_build_query($post_data); the sandbox stores the same state.
 */
final class ConformanceTest extends SandboxTestCase
{
    private const PUNCTUATION = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private const GENERATED = 24;

    /** @dataProvider postDataCases */
    public function testSameBodyAndStateAsTheSeedCurlBlock(array $postData): void
    {
        $expected = http_build_query($postData);
        $this->assertSame($expected, Order::fromArray($postData)->encode(), 'encode() vs http_build_query');

        $response = $this->client()->updateOrder($postData);
        $this->assertSame(200, $response->status(), $response->body());
        $viaBinding = $this->sandbox->requests();
        $stateViaBinding = $this->sandbox->state();

        $this->sandbox->reset();
        $seed = Seed::send($this->sandbox->baseUrl() . '/updateOrder', $postData);
        $this->assertSame(200, $seed['http_code'], (string)$seed['body']);
        $viaSeed = array_values(array_filter($this->sandbox->requests(), fn ($r) => $r['status'] === 200));

        $this->assertCount(1, $viaBinding);
        $this->assertCount(1, $viaSeed, 'the seed probes without credentials first (401), then sends');
        $this->assertSame($viaSeed[0]['raw'], $viaBinding[0]['raw'], 'binding body vs seed curl body');
        $this->assertSame($expected, $viaBinding[0]['raw'], 'binding body vs http_build_query');
        $this->assertSame($viaSeed[0]['content_type'], $viaBinding[0]['content_type']);
        $this->assertSame($this->sandbox->state(), $stateViaBinding, 'what SPREAD stores');
    }

    public static function postDataCases(): iterable
    {
        yield 'seed' => [Seed::postData()];
        yield 'seed, data part only' => [['data' => Seed::postData()['data']] + ['request' => ['order_idorder' => '0000001']]];
        yield 'floats' => [self::withAmount(0.1 + 0.2, ['customer_cp' => 1.5e-7, 'custom_fields' => [3 => 1e15, 1 => -0.5]])];
        yield 'float 1e20 (not an amount: SPREAD requires a plain decimal there)' => [self::withAmount(158.0, ['customer_tel' => 123456789012345678.0, 'customer_mobile' => 1e20])];
        yield 'float 100.0' => [self::withAmount(100.0, ['customer_mobile' => PHP_FLOAT_EPSILON])];
        yield 'ints' => [self::withAmount(158, ['external_id' => 987654321, 'custom_fields' => [99999 => 0, 2 => PHP_INT_MAX]])];
        yield 'punctuation everywhere' => [self::withAmount('0.99', [
            'customer_name' => self::PUNCTUATION,
            'customer_address' => "tab\tnew\nline\r\nend",
            'add_tag' => str_split(self::PUNCTUATION),
            'custom_fields' => [5 => self::PUNCTUATION],
            'product_attributes' => [['a:' . self::PUNCTUATION, self::PUNCTUATION . ':b']],
            'consents' => [str_replace(['[', ']'], '', 'x' . self::PUNCTUATION . 'y') => true], // brackets would nest
        ])];
        mt_srand(20240601);
        for ($i = 0; $i < self::GENERATED; $i++) {
            yield "generated #$i" => [self::generated($i)];
        }
    }

    private static function withAmount(int|float|string $amount, array $more): array
    {
        $data = Seed::postData();
        $data['data']['order_amount'] = $amount;
        foreach ($more as $k => $v) {
            $data['data'][$k] = $v;
        }
        return $data;
    }

    /** A random but valid $post_data: unicode, punctuation, floats, int keys, random key order. */
    private static function generated(int $n): array
    {
        $id = "G-$n-" . self::text(3, false);
        $email = mt_rand(0, 1) === 1;
        $data = [
            $email ? 'customer_email' : 'external_id' => $email ? self::token() . '@' . self::token() . '.fr' : self::text(12, false),
            'order_idorder' => mt_rand(0, 1) ? $id : mt_rand(1, 1_000_000_000),
            'order_state' => [0, 10, 20, 50, 100, '0', '10', '20', '50', '100'][mt_rand(0, 9)],
            'order_amount' => self::amount(),
            'order_crea_dt' => sprintf('%04d-%02d-%02d %02d:%02d:%02d', mt_rand(2000, 2030), mt_rand(1, 12), mt_rand(1, 28), mt_rand(0, 23), mt_rand(0, 59), mt_rand(0, 59)),
            'customer_name' => self::text(mt_rand(0, 30), true),
            'customer_firstname' => self::text(mt_rand(1, 10), false),
            'customer_city' => self::scalar(),
            'customer_cp' => mt_rand(0, 1) ? mt_rand(1000, 99999) : self::text(5, false),
            'customer_birthday' => sprintf('%04d-%02d-%02d', mt_rand(1900, 2020), mt_rand(1, 12), mt_rand(1, 28)),
            'customer_gender' => mt_rand(0, 1) ? 'male' : 'female',
            'customer_country' => chr(mt_rand(65, 90)) . chr(mt_rand(65, 90)),
            'customer_lang' => ['fr_FR', 'en_GB', 'de_DE'][mt_rand(0, 2)],
            'add_tag' => self::many(fn () => self::scalarToken()),
            'del_order_tag' => self::many(fn () => self::token()),
            'custom_fields' => self::keyed(fn () => mt_rand(1, 100_000), fn () => self::scalar()),
            'consents' => self::keyed(fn () => self::token(), fn () => [1, 0, true, false, '1', '0'][mt_rand(0, 5)]),
            'product_attributes' => self::many(fn () => self::many(fn () => self::token() . ':' . self::text(mt_rand(1, 8), false), 4), 3),
            'extra_' . self::token() => self::scalar(),
            self::token() . 'é' => self::scalar(),
        ];
        $keys = array_keys($data);
        shuffle($keys);
        $shuffled = [];
        foreach ($keys as $k) {
            if (mt_rand(0, 5) > 0 || !in_array($k, ['customer_name', 'customer_city', 'add_tag', 'consents'], true)) {
                $shuffled[$k] = $data[$k];
            }
        }
        return ['data' => $shuffled, 'request' => ['order_idorder' => (string)$data['order_idorder']]];
    }

    /** An amount as shops write it; printed by PHP as a plain decimal (SPREAD requires one: 1.0E+20 is refused). */
    private static function amount(): int|float|string
    {
        return match (mt_rand(0, 6)) {
            0 => 0.1 + 0.2,
            1 => mt_rand() / mt_getrandmax() * 10 ** mt_rand(0, 10),
            2 => (float)mt_rand(0, 1000),
            3 => mt_rand(0, PHP_INT_MAX),
            4 => mt_rand(0, 99999) . '.' . str_pad((string)mt_rand(0, 99), 2, '0', STR_PAD_LEFT),
            5 => round(mt_rand(0, 1_000_000) / 100, 2),
            6 => mt_rand(1, 9) * 10 ** -mt_rand(1, 4),
        };
    }

    /** Random UTF-8 text: ASCII punctuation, letters, accents, Greek, CJK, emoji; line breaks when $multiline. */
    private static function text(int $length, bool $multiline): string
    {
        $ranges = [[0x20, 0x7E], [0xA0, 0xFF], [0x391, 0x3C9], [0x4E00, 0x4FFF], [0x1F600, 0x1F64F], [0x0430, 0x044F]];
        $out = '';
        for ($i = 0; $i < $length; $i++) {
            if ($multiline && mt_rand(0, 15) === 0) {
                $out .= ["\n", "\r\n", "\t"][mt_rand(0, 2)];
                continue;
            }
            [$lo, $hi] = $ranges[mt_rand(0, count($ranges) - 1)];
            $out .= mb_chr(mt_rand($lo, $hi), 'UTF-8');
        }
        return $out;
    }

    /** Non-empty, without whitespace, '@', ':' or brackets: an e-mail part, a tag, a consent name. */
    private static function token(): string
    {
        return str_replace([' ', '@', ':', '[', ']', "\u{A0}"], ['_', '-', '-', '(', ')', '-'], self::text(mt_rand(1, 10), false));
    }

    private static function scalarToken(): string|int|float
    {
        return [fn () => self::token(), fn () => mt_rand(0, 9999), fn () => mt_rand() / 7][mt_rand(0, 2)]();
    }

    private static function scalar(): string|int|float|bool
    {
        return [
            fn () => self::text(mt_rand(1, 20), false),
            fn () => mt_rand(-1000, 1000),
            fn () => (mt_rand() - mt_getrandmax() / 2) / 3,
            fn () => mt_rand(0, 1) === 1,
            fn () => str_repeat(self::PUNCTUATION[mt_rand(0, 32)], mt_rand(1, 4)),
        ][mt_rand(0, 4)]();
    }

    private static function many(callable $make, int $max = 5): array
    {
        $out = [];
        for ($i = mt_rand(0, $max); $i > 0; $i--) {
            $out[] = $make();
        }
        return $out;
    }

    private static function keyed(callable $key, callable $value): array
    {
        $out = [];
        for ($i = mt_rand(0, 5); $i > 0; $i--) {
            $out[$key()] = $value();
        }
        return $out;
    }
}

<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

/** The seed integration (tests/fixtures/spread-updateOrder-integration.txt) for tests. */
final class Seed
{
    /** The seed's $post_data, built as the seed builds it (no sbt cookie in a test). */
    public static function postData(): array
    {
        $post_data = [];
        $post_data['data']['customer_email'] = 'john@doe.com';
        $post_data['data']['external_id'] = '12345xxx6789';
        $post_data['data']['customer_name'] = 'Doe';
        $post_data['data']['customer_firstname'] = 'John';
        $post_data['data']['customer_gender'] = 'male';
        $post_data['data']['customer_address'] = '8, rue de la place';
        $post_data['data']['customer_address_2'] = 'bâtiment A';
        $post_data['data']['customer_address_3'] = 'appartement 23';
        $post_data['data']['customer_cp'] = '76000';
        $post_data['data']['customer_city'] = 'Rouen';
        $post_data['data']['customer_country'] = 'FR';
        $post_data['data']['customer_tel'] = '0235000000';
        $post_data['data']['customer_mobile'] = '060606606';
        $post_data['data']['customer_fonction'] = 'developer';
        $post_data['data']['customer_company'] = 'SPREAD';
        $post_data['data']['customer_birthday'] = '1970-12-31';
        $post_data['data']['customer_lang'] = 'fr_FR';
        $post_data['data']['add_tag'] = ['tag1', 'tag2'];
        $post_data['data']['del_tag'] = ['tag3', 'tag4'];
        $post_data['data']['action'] = 'order';
        $post_data['data']['custom_fields'][327] = 'value';
        $post_data['data']['order_idorder'] = '0000001';
        $post_data['data']['order_state'] = '10';
        $post_data['data']['order_amount'] = 158.31;
        $post_data['data']['order_crea_dt'] = '2014-06-21 14:31:08';
        $post_data['data']['order_start_service'] = '2019-06-05';
        $post_data['data']['order_end_service'] = '2019-06-14';
        $post_data['data']['product_attributes'] = [['size:xl', 'type:shirt'], ['size:s', 'color:blue']];
        $post_data['data']['add_order_tag'] = ['tag_commande_1', 'tag_commande_2'];
        $post_data['data']['del_order_tag'] = ['tag_commande_3', 'tag_commande_4'];
        $post_data['request']['order_idorder'] = '0000001';
        return $post_data;
    }

    /** The body the seed sends, as measured (tests/fixtures/seed_body.txt). */
    public static function body(): string
    {
        return file_get_contents(Php::repo() . '/tests/fixtures/seed_body.txt');
    }

    /**
     * Sends $postData with the seed's own curl block (tests/harness/seed_client.php).
     * The array travels as JSON, which keeps strings, ints, floats (100.0 too),
     * booleans, key order and int keys as PHP built them.
     *
     * @return array{http_code: int, body: ?string, errno: int, error: string}
     */
    public static function send(string $url, array $postData): array
    {
        $payload = json_encode(
            ['url' => $url, 'userpwd' => Sandbox::PUBLIC_KEY . ':' . Sandbox::PRIVATE_KEY, 'post_data' => $postData, 'timeout' => 20],
            JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR,
        );
        [$code, $out, $err] = Php::run([PHP_BINARY, Php::repo() . '/tests/harness/seed_client.php'], $payload);
        if ($code !== 0) {
            throw new \RuntimeException("seed_client.php failed ($code): $err");
        }
        return json_decode($out, true, 512, JSON_THROW_ON_ERROR);
    }
}

<?php

/*
 * Sends the seed integration's order (tests/fixtures/spread-updateOrder-integration.txt)
 * with libspread instead of the curl block, and prints SPREAD's answer.
 *
 *   # the sandbox (a local SPREAD), then the order to it:
 *   SPREAD_SANDBOX_DB=/tmp/sandbox.sqlite php -S 127.0.0.1:8080 sandbox/router.php &
 *   SPREAD_BASE_URL=http://127.0.0.1:8080/api php bindings/php/examples/send_seed_order.php
 *
 * The API base URL: argv[1], else env SPREAD_BASE_URL, else production
 * (https://social-sb.com/api), but only with real keys: from env SPREAD_PUBLIC_KEY /
 * SPREAD_PRIVATE_KEY (default the sandbox's PUBLIC_KEY / PRIVATE_KEY, which are never
 * sent to SPREAD itself: exit 2).
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

// ---- the seed's $post_data, unchanged ----
$post_data = array();
$post_data["data"]["customer_email"] = "john@doe.com";
$post_data["data"]["external_id"] = "12345xxx6789";
if (isset($_COOKIE['sbt'])) {
    $post_data["data"]["customer_cookie"] = $_COOKIE['sbt'];
}
$post_data["data"]["customer_name"] = "Doe";
$post_data["data"]["customer_firstname"] = "John";
$post_data["data"]["customer_gender"] = "male";
$post_data["data"]["customer_address"] = "8, rue de la place";
$post_data["data"]["customer_address_2"] = "bâtiment A";
$post_data["data"]["customer_address_3"] = "appartement 23";
$post_data["data"]["customer_cp"] = "76000";
$post_data["data"]["customer_city"] = "Rouen";
$post_data["data"]["customer_country"] = "FR";
$post_data["data"]["customer_tel"] = "0235000000";
$post_data["data"]["customer_mobile"] = "060606606";
$post_data["data"]["customer_fonction"] = "developer";
$post_data["data"]["customer_company"] = "SPREAD";
$post_data["data"]["customer_birthday"] = "1970-12-31";
$post_data["data"]["customer_lang"] = "fr_FR";
$post_data["data"]["add_tag"] = array("tag1", "tag2");
$post_data["data"]["del_tag"] = array("tag3", "tag4");
$post_data["data"]["action"] = "order";
$post_data["data"]["custom_fields"][327] = "value";
$post_data["data"]["order_idorder"] = "0000001";
$post_data["data"]["order_state"] = "10";
$post_data["data"]["order_amount"] = 158.31;
$post_data["data"]["order_crea_dt"] = "2014-06-21 14:31:08";
$post_data["data"]["order_start_service"] = "2019-06-05";
$post_data["data"]["order_end_service"] = "2019-06-14";
$post_data["data"]["product_attributes"] = array(
    array("size:xl", "type:shirt"),
    array("size:s", "color:blue"),
);
$post_data["data"]["add_order_tag"] = array("tag_commande_1", "tag_commande_2");
$post_data["data"]["del_order_tag"] = array("tag_commande_3", "tag_commande_4");
$post_data["request"]["order_idorder"] = "0000001";

// ---- instead of the curl block ----
$baseUrl = $argv[1] ?? (getenv('SPREAD_BASE_URL') ?: null);
$options = $baseUrl !== null ? ['base_url' => $baseUrl] : [];
if ($baseUrl === null && getenv('SPREAD_PUBLIC_KEY') === false) {
    fwrite(STDERR, "no base URL (argv[1] or SPREAD_BASE_URL) and no SPREAD_PUBLIC_KEY: "
        . "the sandbox's keys are never sent to SPREAD itself\n");
    exit(2);
}
try {
    $client = new Spread\Client(
        getenv('SPREAD_PUBLIC_KEY') ?: 'PUBLIC_KEY',
        getenv('SPREAD_PRIVATE_KEY') ?: 'PRIVATE_KEY',
        $options,
    );
    $response = $client->updateOrder($post_data);
} catch (Spread\SpreadException $e) {
    fwrite(STDERR, sprintf("SPREAD: %s (%s)\n", $e->getMessage(), get_class($e)));
    exit(1);
}
echo "status: ", $response->queued() ? 'queued for a later flush' : $response->status(), "\n";
echo "body: ", $response->body(), "\n";
foreach ($response->warnings() as $warning) {
    echo "warning: $warning\n";
}

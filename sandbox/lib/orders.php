<?php
// updateOrder: validation and upsert of orders and profiles, and the JSON state dump.
declare(strict_types=1);

const ORDER_STATES = ['0', '10', '20', '50', '100'];

// Profile attributes copied as sent (a later send overwrites the ones it carries).
const PROFILE_FIELDS = [
    'customer_email', 'external_id', 'customer_cookie', 'customer_name', 'customer_firstname',
    'customer_gender', 'customer_address', 'customer_address_2', 'customer_address_3', 'customer_cp',
    'customer_city', 'customer_country', 'customer_tel', 'customer_mobile', 'customer_fonction',
    'customer_company', 'customer_birthday', 'customer_lang',
];
// Order attributes copied as sent.
const ORDER_FIELDS = [
    'order_idorder', 'order_state', 'order_amount', 'order_crea_dt',
    'order_start_service', 'order_end_service', 'action',
];
// data[...] keys with their own handling; anything else lands in the order's "extra".
const STRUCTURED_FIELDS = [
    'add_tag', 'del_tag', 'custom_fields', 'consents',
    'product_attributes', 'add_order_tag', 'del_order_tag',
];

class BadRequest extends RuntimeException {}

/** Validates the parsed form ($_POST); returns its data[] part. Throws BadRequest. */
function order_validate(array $post): array
{
    $data = $post['data'] ?? null;
    if (!is_array($data)) {
        throw new BadRequest('missing field: data');
    }
    foreach (array_merge(PROFILE_FIELDS, ORDER_FIELDS) as $k) {
        if (isset($data[$k]) && !is_string($data[$k])) {
            throw new BadRequest("invalid field: $k (expected a scalar)");
        }
    }
    if (($data['customer_email'] ?? '') === '' && ($data['external_id'] ?? '') === '') {
        throw new BadRequest('missing field: customer_email or external_id');
    }
    foreach (['order_idorder', 'order_state', 'order_amount', 'order_crea_dt'] as $k) {
        if (($data[$k] ?? '') === '') {
            throw new BadRequest("missing field: $k");
        }
    }
    if (!in_array($data['order_state'], ORDER_STATES, true)) {
        throw new BadRequest('invalid field: order_state (must be one of ' . implode(', ', ORDER_STATES) . ')');
    }
    if (!is_numeric($data['order_amount'])) {
        throw new BadRequest('invalid field: order_amount (not a number)');
    }
    if (!preg_match('/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/', $data['order_crea_dt'])) {
        throw new BadRequest('invalid field: order_crea_dt (expected Y-m-d H:i:s)');
    }
    foreach (['order_start_service', 'order_end_service', 'customer_birthday'] as $k) {
        if (($data[$k] ?? '') !== '' && !preg_match('/^\d{4}-\d\d-\d\d$/', $data[$k])) {
            throw new BadRequest("invalid field: $k (expected Y-m-d)");
        }
    }
    $req = is_array($post['request'] ?? null) ? ($post['request']['order_idorder'] ?? null) : null;
    if ($req !== null && $req !== $data['order_idorder']) {
        throw new BadRequest('invalid field: request[order_idorder] differs from data[order_idorder]');
    }
    foreach (['custom_fields', 'consents'] as $k) {
        if (isset($data[$k]) && !is_array($data[$k])) {
            throw new BadRequest("invalid field: $k (expected {$k}[key]=value)");
        }
    }
    foreach ($data['consents'] ?? [] as $name => $v) {
        if (!is_string($v) || order_consent($v) === null) {
            throw new BadRequest("invalid field: consents[$name] (expected 1, 0, true or false)");
        }
    }
    return $data;
}

function order_consent(string $v): ?int
{
    return match (strtolower($v)) { '1', 'true' => 1, '0', 'false' => 0, default => null };
}

/** A tag field may be sent as tags[0]=a&tags[1]=b or as a single tags=a. */
function order_tag_list(mixed $v): array
{
    return array_values(array_map('strval', is_array($v) ? $v : [$v]));
}

function order_apply_tags(array $tags, array $data, string $add, string $del): array
{
    $set = array_fill_keys($tags, true);
    foreach (order_tag_list($data[$add] ?? []) as $t) {
        $set[$t] = true;
    }
    foreach (order_tag_list($data[$del] ?? []) as $t) {
        unset($set[$t]);
    }
    $tags = array_map('strval', array_keys($set)); // int-like tags became int keys
    sort($tags, SORT_STRING);
    return $tags;
}

/** Upserts the order and its profile; returns true when the order was created. */
function order_upsert(array $post, array $data): bool
{
    return sandbox_tx(function (PDO $db) use ($post, $data) {
        $id = $data['order_idorder'];
        $pkey = ($data['customer_email'] ?? '') !== '' ? $data['customer_email'] : $data['external_id'];

        // --- profile
        $stmt = $db->prepare('SELECT doc FROM profiles WHERE pkey = ?');
        $stmt->execute([$pkey]);
        $profile = ($doc = $stmt->fetchColumn()) !== false ? json_decode($doc, true)
            : ['tags' => [], 'custom_fields' => [], 'consents' => [], 'orders' => []];
        foreach (PROFILE_FIELDS as $k) {
            if (isset($data[$k])) {
                $profile[$k] = $data[$k];
            }
        }
        $profile['tags'] = order_apply_tags($profile['tags'], $data, 'add_tag', 'del_tag');
        foreach ($data['custom_fields'] ?? [] as $fid => $v) {
            $profile['custom_fields'][(string)$fid] = $v;
        }
        foreach ($data['consents'] ?? [] as $name => $v) {
            $profile['consents'][(string)$name] = order_consent($v);
        }
        if (!in_array($id, $profile['orders'], true)) {
            $profile['orders'][] = $id;
            sort($profile['orders'], SORT_STRING);
        }
        $db->prepare('INSERT OR REPLACE INTO profiles (pkey, doc) VALUES (?, ?)')
           ->execute([$pkey, json_encode($profile)]);

        // --- order
        $stmt = $db->prepare('SELECT doc FROM orders WHERE idorder = ?');
        $stmt->execute([$id]);
        $existing = $stmt->fetchColumn();
        $order = $existing !== false ? json_decode($existing, true)
            : ['tags' => [], 'product_attributes' => [], 'extra' => [], 'updates' => 0];
        foreach (ORDER_FIELDS as $k) {
            if (isset($data[$k])) {
                $order[$k] = $data[$k];
            }
        }
        $order['profile'] = $pkey;
        $order['tags'] = order_apply_tags($order['tags'], $data, 'add_order_tag', 'del_order_tag');
        if (array_key_exists('product_attributes', $data)) {
            // Replaced as a whole when present; kept in the order received (keys ignored), so a
            // client that reorders or flattens them shows up in the state.
            $pa = $data['product_attributes'];
            $order['product_attributes'] = $pa === '' ? [] : array_values(array_map(
                fn($p) => is_array($p) ? array_values($p) : $p, is_array($pa) ? $pa : [$pa]));
        }
        foreach ($data as $k => $v) {
            if (!in_array($k, PROFILE_FIELDS, true) && !in_array($k, ORDER_FIELDS, true)
                && !in_array($k, STRUCTURED_FIELDS, true)) {
                $order['extra'][(string)$k] = $v;
            }
        }
        // Top-level keys other than data[] and request[order_idorder], so nothing goes unseen.
        foreach ($post as $k => $v) {
            if ($k === 'data') {
                continue;
            }
            if ($k === 'request' && is_array($v)) {
                unset($v['order_idorder']);
                if (!$v) {
                    continue;
                }
            }
            $order['extra_post'][(string)$k] = $v;
        }
        $order['updates']++;
        $db->prepare('INSERT OR REPLACE INTO orders (idorder, doc) VALUES (?, ?)')
           ->execute([$id, json_encode($order)]);
        return $existing === false;
    });
}

/** Everything stored, with sorted keys so equal inputs give byte-equal JSON. */
function sandbox_state(): array
{
    $db = sandbox_db();
    $state = ['orders' => [], 'profiles' => []];
    foreach ($db->query('SELECT idorder, doc FROM orders') as $r) {
        $state['orders'][$r['idorder']] = json_decode($r['doc'], true);
    }
    foreach ($db->query('SELECT pkey, doc FROM profiles') as $r) {
        $state['profiles'][$r['pkey']] = json_decode($r['doc'], true);
    }
    return $state;
}

/** Generic JSON canonicalisation: lists keep their order, maps get sorted keys. */
function sandbox_canonical(mixed $v): mixed
{
    if (!is_array($v)) {
        return $v;
    }
    return array_is_list($v) ? array_map('sandbox_canonical', $v) : sandbox_map($v);
}

/** A map as a JSON object with sorted keys, even when empty or list-like ({"0": ...}). */
function sandbox_map(array $v, array $mapKeys = []): stdClass
{
    ksort($v, SORT_STRING);
    $out = new stdClass();
    foreach ($v as $k => $x) {
        $out->{$k} = in_array($k, $mapKeys, true) && is_array($x) ? sandbox_map($x) : sandbox_canonical($x);
    }
    return $out;
}

/** The state as a canonical JSON document. */
function sandbox_state_json(): string
{
    $state = sandbox_state();
    $docs = fn(array $all, array $mapKeys) => sandbox_map(array_map(fn($d) => sandbox_map($d, $mapKeys), $all));
    return json_encode([
        'orders' => $docs($state['orders'], ['extra', 'extra_post']),
        'profiles' => $docs($state['profiles'], ['custom_fields', 'consents']),
    ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
}

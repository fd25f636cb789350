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

// The sandbox's rules in one table (sandbox/README.md lists it, with each rule's source):
// field => [level, rule]. 'required': refused (400) in every mode. 'lenient': accepted and
// recorded as a warning on the order (and in the answer), refused in strict mode
// (SPREAD_SANDBOX_STRICT=1, or the control {"mode":"strict"}): libspread's drop-in sends
// exactly these with a warning, and refuses the required ones itself.
const SANDBOX_RULES = [
    'order_idorder' => ['required', 'id'],
    'order_state' => ['required', 'state'],
    'order_amount' => ['required', 'amount'],
    'order_crea_dt' => ['required', 'datetime'],
    'customer_email' => ['lenient', 'email'], // beside a valid external_id; alone, required
    'external_id' => ['lenient', 'id'],       // beside a valid customer_email; alone, required
    'customer_cookie' => ['lenient', 'id'],
    'action' => ['lenient', 'id'],
    'customer_gender' => ['lenient', 'gender'],
    'customer_country' => ['lenient', 'country'],
    'customer_lang' => ['lenient', 'lang'],
    'customer_birthday' => ['lenient', 'date'],
    'order_start_service' => ['lenient', 'date'],
    'order_end_service' => ['lenient', 'date'],
];

/** Why $v breaks $rule, or null. The same rules as libspread's src/order/validate.rs. */
function rule_problem(string $rule, string $v): ?string
{
    $control = fn(bool $ws) => preg_match($ws ? '/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/' : '/[\x00-\x1f\x7f]/', $v);
    $date = function (string $d): bool {
        return (bool)preg_match('/^(\d{4})-(\d\d)-(\d\d)$/', $d, $m) && (int)$m[1] >= 1 && checkdate((int)$m[2], (int)$m[3], (int)$m[1]);
    };
    return match ($rule) {
        'text' => $control(true) ? 'a control character' : null,
        'id' => $v === '' ? 'empty' : ($control(false) ? 'a control character' : null),
        'email' => preg_match('/^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$/u', $v) ? null : 'not an e-mail address',
        'state' => in_array($v, ORDER_STATES, true) ? null : 'must be one of ' . implode(', ', ORDER_STATES),
        'amount' => preg_match('/^-?\d+(\.\d+)?$/', $v) ? null : 'not a plain decimal amount',
        'datetime' => preg_match('/^(\S+) (\d\d):(\d\d):(\d\d)$/', $v, $m) && $date($m[1]) && $m[2] < 24 && $m[3] < 60 && $m[4] < 60
            ? null : 'expected Y-m-d H:i:s',
        'date' => $date($v) ? null : 'expected Y-m-d',
        'gender' => in_array($v, ['male', 'female'], true) ? null : 'expected male or female',
        'country' => preg_match('/^[A-Z]{2}$/', $v) ? null : 'expected an ISO 3166-1 alpha-2 code',
        'lang' => preg_match('/^[a-z]{2}_[A-Z]{2}$/', $v) ? null : 'expected a locale such as fr_FR',
        'consent' => in_array($v, ['0', '1'], true) ? null : 'expected 1 or 0',
        'attribute' => preg_match('/^[^:]+:.+$/s', $v) && !$control(false) ? null : 'expected key:value',
    };
}

function sandbox_strict(): bool
{
    return getenv('SPREAD_SANDBOX_STRICT') === '1' || isset(fault_list()['rules']);
}

/**
 * Validates the parsed form ($_POST); returns [its data[] part, the warnings]. Throws
 * BadRequest for a required field, and in strict mode for a lenient one.
 */
function order_validate(array $post): array
{
    $data = $post['data'] ?? null;
    if (!is_array($data)) {
        throw new BadRequest('missing field: data');
    }
    $strict = sandbox_strict();
    $warnings = [];
    $lenient = function (string $message) use ($strict, &$warnings): void {
        if ($strict) {
            throw new BadRequest($message);
        }
        $warnings[] = $message;
    };
    $problem = fn(string $k) => is_string($data[$k]) ? rule_problem(SANDBOX_RULES[$k][1], $data[$k]) : 'expected a scalar';
    if (($data['customer_email'] ?? '') === '' && ($data['external_id'] ?? '') === '') {
        throw new BadRequest('missing field: customer_email or external_id');
    }
    $ids = array_filter(['customer_email', 'external_id'], fn($k) => isset($data[$k]));
    if (!array_filter($ids, fn($k) => $problem($k) === null)) {
        $k = reset($ids);
        throw new BadRequest("invalid field: $k ({$problem($k)})");
    }
    foreach (['order_idorder', 'order_state', 'order_amount', 'order_crea_dt'] as $k) {
        if (($data[$k] ?? '') === '') {
            throw new BadRequest("missing field: $k");
        }
        if (($why = $problem($k)) !== null) {
            throw new BadRequest("invalid field: $k ($why)");
        }
    }
    if (preg_match('/^(-|0+(\.0+)?$)/', $data['order_amount'])) {
        $lenient("invalid field: order_amount ({$data['order_amount']} is not above zero)");
    }
    foreach (SANDBOX_RULES as $k => [$level, $rule]) {
        if ($level === 'lenient' && isset($data[$k]) && ($why = $problem($k)) !== null) {
            $lenient("invalid field: $k ($why)");
        }
    }
    foreach (array_merge(PROFILE_FIELDS, ORDER_FIELDS) as $k) {
        if (!isset(SANDBOX_RULES[$k]) && isset($data[$k]) && ($why = is_string($data[$k]) ? rule_problem('text', $data[$k]) : 'expected a scalar') !== null) {
            $lenient("invalid field: $k ($why)");
        }
    }
    $req = is_array($post['request'] ?? null) ? ($post['request']['order_idorder'] ?? null) : null;
    if ($req !== null && $req !== $data['order_idorder']) {
        throw new BadRequest('invalid field: request[order_idorder] differs from data[order_idorder]');
    }
    $each = function (string $k, string $rule) use ($data, $lenient): void {
        if (!isset($data[$k])) {
            return;
        }
        if (!is_array($data[$k])) {
            $lenient("invalid field: $k (expected {$k}[key]=value)");
            return;
        }
        foreach ($data[$k] as $key => $v) {
            if (!is_string($v)) {
                $lenient("invalid field: {$k}[$key] (a nested list)");
            } elseif (($why = rule_problem($rule, $v)) !== null) {
                $lenient("invalid field: {$k}[$key] ($why)");
            }
        }
    };
    $each('custom_fields', 'text');
    $each('consents', 'consent');
    foreach (['add_tag', 'del_tag', 'add_order_tag', 'del_order_tag'] as $k) {
        $each($k, 'id');
    }
    if (isset($data['product_attributes'])) {
        if (!is_array($data['product_attributes'])) {
            $lenient('invalid field: product_attributes (expected product_attributes[n][]=key:value)');
        } else {
            foreach ($data['product_attributes'] as $n => $product) {
                $each2 = is_array($product) ? $product : [$product];
                foreach ($each2 as $i => $v) {
                    if (!is_string($v) || ($why = rule_problem('attribute', $v)) !== null) {
                        $lenient("invalid field: product_attributes[$n][$i] (" . ($why ?? 'a nested list') . ')');
                    }
                }
            }
        }
    }
    return [$data, $warnings];
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
function order_upsert(array $post, array $data, array $warnings = []): bool
{
    return sandbox_tx(function (PDO $db) use ($post, $data, $warnings) {
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
        foreach (is_array($data['custom_fields'] ?? null) ? $data['custom_fields'] : [] as $fid => $v) {
            $profile['custom_fields'][(string)$fid] = $v;
        }
        foreach (is_array($data['consents'] ?? null) ? $data['consents'] : [] as $name => $v) {
            $profile['consents'][(string)$name] = is_string($v) ? order_consent($v) : null;
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
        // What this send carried that a strict SPREAD would refuse (the latest send's).
        if ($warnings) {
            $order['warnings'] = $warnings;
        } else {
            unset($order['warnings']);
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

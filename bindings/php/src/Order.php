<?php

declare(strict_types=1);

namespace Spread;

use FFI\CData;

/**
 * An order with its customer profile, built with fluent setters or from the
 * seed's $post_data array. Every setter is checked at once by libspread and
 * leaves the order unchanged when it throws. Fields keep the order in which
 * they were first set, as PHP arrays do, so encode() equals
 * http_build_query($post_data) byte for byte.
 *
 * Field values of the wrong PHP type (an array for customer_name, a string for
 * a consent...) throw InvalidValueException naming the field, like a value
 * breaking its rule, so one catch handles bad shop data however it is bad.
 * A null value leaves the field out, as http_build_query does.
 *
 * The scalar setters are generated from libspread's own field list
 * (spread_field_name), the names in camelCase:
 *
 * @method self customerEmail(string $email)
 * @method self externalId(string|int $id)
 * @method self customerCookie(string $sbt)
 * @method self customerName(string $name)
 * @method self customerFirstname(string $firstname)
 * @method self customerGender(string $gender) "male" or "female"
 * @method self customerAddress(string $line)
 * @method self customerAddress2(string $line)
 * @method self customerAddress3(string $line)
 * @method self customerCp(string|int $postcode)
 * @method self customerCity(string $city)
 * @method self customerCountry(string $iso2) such as "FR"
 * @method self customerTel(string $tel)
 * @method self customerMobile(string $mobile)
 * @method self customerFonction(string $jobTitle)
 * @method self customerCompany(string $company)
 * @method self customerBirthday(string $ymd) Y-m-d
 * @method self customerLang(string $locale) such as "fr_FR"
 * @method self action(string $action) "order"
 * @method self orderIdorder(string|int $id) the shop's unique order id
 * @method self orderCreaDt(string $utc) Y-m-d H:i:s, UTC
 * @method self orderStartService(string $ymd) Y-m-d
 * @method self orderEndService(string $ymd) Y-m-d
 */
final class Order
{
    private readonly Library $lib;
    private readonly CData $handle;

    /** @param Library|string|null $library libspread.so's path, or null for the default (see Library) */
    public function __construct(Library|string|null $library = null)
    {
        $this->lib = $library instanceof Library ? $library : Library::get($library);
        $this->handle = $this->lib->ffi->spread_order_new();
    }

    /**
     * An order from the seed's whole $post_data (with its "data" and "request"
     * parts) or from its "data" part alone. Values may be strings, ints, floats
     * or booleans as PHP code builds them; null values and empty arrays are left
     * out, as http_build_query does; unknown data[] keys are kept as extra text.
     * request[order_idorder], when given, must equal data[order_idorder].
     *
     * @param array<mixed> $postData
     * @throws InvalidValueException naming the field
     */
    public static function fromArray(array $postData, Library|string|null $library = null): self
    {
        if (!is_array($postData['data'] ?? null)) {
            $postData = ['data' => $postData]; // the "data" part alone
        }
        foreach ($postData as $key => $part) {
            if ($key !== 'data' && $key !== 'request') {
                throw new InvalidValueException("$key: unknown top-level key; \$post_data has only \"data\" and \"request\"");
            }
        }
        $request = $postData['request'] ?? [];
        if (!is_array($request)) {
            throw new InvalidValueException('request: expected an array such as ["order_idorder" => "0000001"]');
        }
        $id = $postData['data']['order_idorder'] ?? null;
        foreach ($request as $key => $value) {
            if ($key !== 'order_idorder') {
                throw new InvalidValueException("request[$key]: unknown key; request has only order_idorder");
            }
            // libspread writes request[order_idorder] from data[order_idorder]: they must agree.
            if ($value !== null && ($id === null || self::text('request[order_idorder]', $value) !== self::text('order_idorder', $id))) {
                throw new InvalidValueException(sprintf(
                    'request[order_idorder]: %s differs from data[order_idorder] (%s)',
                    self::describe($value),
                    $id === null ? 'not set' : self::describe($id),
                ));
            }
        }
        $order = new self($library);
        foreach ($postData['data'] as $name => $value) {
            $order->field((string)$name, $value);
        }
        return $order;
    }

    /**
     * Sets data[$name]: a scalar field by its rule, a structured one (tags,
     * custom_fields, consents, product_attributes) from its array as in the
     * seed, any other name as extra text sent as is. null leaves it out.
     */
    public function field(string $name, mixed $value): self
    {
        if ($value === null) {
            return $this;
        }
        switch ($name) {
            case 'order_state':
                return $this->orderState($value);
            case 'order_amount':
                return $this->orderAmount($value);
            case 'add_tag':
            case 'del_tag':
            case 'add_order_tag':
            case 'del_order_tag':
                foreach (self::listOf($name, $value, 'a list of tags such as ["tag1", "tag2"]') as $tag) {
                    $this->tag($name, $tag);
                }
                return $this;
            case 'custom_fields':
                foreach (self::mapOf($name, $value, '[327 => "value"]') as $id => $v) {
                    if ($v !== null) {
                        $this->customField($id, $v);
                    }
                }
                return $this;
            case 'consents':
                foreach (self::mapOf($name, $value, '["NewsEmail" => true]') as $tech => $v) {
                    if ($v !== null) {
                        $this->consent((string)$tech, $v);
                    }
                }
                return $this;
            case 'product_attributes':
                $products = self::listOf($name, $value, 'a list of products such as [["size:xl", "type:shirt"]]');
                foreach ($products as $n => $attributes) {
                    $this->addProduct(self::listOf("{$name}[$n]", $attributes, 'a list of "key:value" strings'));
                }
                return $this;
        }
        return $this->set($name, self::text($name, $value));
    }

    /** Sets a scalar field by its camelCase name (customerEmail, orderIdorder, ...). */
    public function __call(string $method, array $args): self
    {
        $field = $this->lib->setters()[$method] ?? null;
        if ($field === null) {
            throw new \BadMethodCallException(sprintf('Call to undefined method %s::%s()', self::class, $method));
        }
        if (count($args) !== 1) {
            throw new \ArgumentCountError(sprintf('%s::%s() takes exactly 1 argument, %d given', self::class, $method, count($args)));
        }
        return $this->field($field, $args[0]);
    }

    /** data[order_state]: 0 cancelled, 10 taken (unpaid), 20 paid, 50 shipped, 100 completed; 20 or "20". */
    public function orderState(mixed $state): self
    {
        if (is_int($state) && $state >= -2 ** 31 && $state < 2 ** 31) {
            return $this->check($this->lib->ffi->spread_order_set_order_state($this->handle, $state));
        }
        if (!is_int($state) && !is_string($state)) {
            throw self::wrongType('order_state', $state, 'one of 0, 10, 20, 50, 100 (int or string)');
        }
        return $this->set('order_state', self::text('order_state', $state));
    }

    /**
     * data[order_amount]: a float (printed as PHP prints it: 158.31, 100, 1.0E+20),
     * an int, or a decimal string such as "158.31" (sent as written, no rounding).
     */
    public function orderAmount(mixed $amount): self
    {
        if (is_float($amount)) {
            return $this->check($this->lib->ffi->spread_order_set_order_amount($this->handle, $amount));
        }
        if (!is_int($amount) && !is_string($amount)) {
            throw self::wrongType('order_amount', $amount, 'a float, an int or a decimal string');
        }
        $amount = self::text('order_amount', $amount);
        return $this->check($this->lib->ffi->spread_order_set_order_amount_str($this->handle, $amount));
    }

    /** Adds a customer tag (data[add_tag][]). */
    public function addTag(mixed $tag): self
    {
        return $this->tag('add_tag', $tag);
    }

    /** Removes a customer tag (data[del_tag][]). */
    public function delTag(mixed $tag): self
    {
        return $this->tag('del_tag', $tag);
    }

    /** Adds an order tag (data[add_order_tag][]). */
    public function addOrderTag(mixed $tag): self
    {
        return $this->tag('add_order_tag', $tag);
    }

    /** Removes an order tag (data[del_order_tag][]). */
    public function delOrderTag(mixed $tag): self
    {
        return $this->tag('del_order_tag', $tag);
    }

    /** data[custom_fields][$id]; the ids (> 0) are in SPREAD's back office, "Paramétrage > Tracker". */
    public function customField(mixed $id, mixed $value): self
    {
        if (is_string($id) && $id === (string)(int)$id) {
            $id = (int)$id; // "327", as PHP itself turns such array keys into ints
        }
        if (!is_int($id) || $id < 0 || $id > 0xFFFFFFFF) {
            // A key such as "007" stays a string in PHP and would be sent as written: only ints are ids.
            throw new InvalidValueException('custom_fields: key ' . self::describe($id) . ' is not a custom field id (a positive integer)');
        }
        $value = self::text("custom_fields[$id]", $value);
        return $this->check($this->lib->ffi->spread_order_set_custom_field($this->handle, $id, $value));
    }

    /** data[consents][$techName]: accepted (true, 1, "1") or refused (false, 0, "0"). */
    public function consent(string $techName, mixed $accepted): self
    {
        $accepted = match ($accepted) {
            true, 1, '1' => true,
            false, 0, '0' => false,
            default => throw self::wrongType("consents[$techName]", $accepted, 'true/false, 1/0 or "1"/"0"'),
        };
        $techName = self::text('consents', $techName);
        return $this->check($this->lib->ffi->spread_order_set_consent($this->handle, $techName, $accepted));
    }

    /**
     * Adds a product (data[product_attributes][n]) described by "key:value"
     * strings such as ["size:xl", "type:shirt"].
     *
     * @param list<string> $attributes
     */
    public function addProduct(array $attributes = []): self
    {
        $attributes = self::listOf('product_attributes', $attributes, 'a list of "key:value" strings');
        foreach ($attributes as $i => $attribute) {
            if (!is_string($attribute)) {
                throw self::wrongType("product_attributes[$i]", $attribute, 'a "key:value" string such as "size:xl"');
            }
            self::text("product_attributes[$i]", $attribute);
        }
        $ffi = $this->lib->ffi;
        if ($attributes !== []) {
            // libspread checks attributes one by one: try them on a scratch order first,
            // so that a bad one leaves this order unchanged rather than with half a product.
            $scratch = $ffi->spread_order_new();
            try {
                foreach ($attributes as $attribute) {
                    $this->check($ffi->spread_order_add_product_attribute($scratch, $attribute));
                }
            } finally {
                $ffi->spread_order_free($scratch);
            }
        }
        $this->check($ffi->spread_order_add_product($this->handle));
        foreach ($attributes as $attribute) {
            $this->check($ffi->spread_order_add_product_attribute($this->handle, $attribute));
        }
        return $this;
    }

    /**
     * Checks that the fields SPREAD requires are set (customer_email or
     * external_id, order_idorder, order_state, order_amount, order_crea_dt).
     *
     * @throws MissingFieldException naming the first missing field
     */
    public function validate(): self
    {
        return $this->check($this->lib->ffi->spread_order_validate($this->handle));
    }

    /** The exact body Client::send posts: http_build_query() of the same $post_data. */
    public function encode(): string
    {
        $ffi = $this->lib->ffi;
        $body = $ffi->spread_order_encode($this->handle);
        if ($body === null || \FFI::isNull($body)) {
            throw Exception::fromStatus(Exception::PANIC, $ffi->spread_last_error());
        }
        try {
            return \FFI::string($body);
        } finally {
            $ffi->spread_string_free($body);
        }
    }

    /** @internal for Client::send: the native handle, valid while this Order lives */
    public function handle(Library $lib): CData
    {
        if ($lib !== $this->lib) {
            throw new ConfigException("order: built with libspread at {$this->lib->path} but the client uses {$lib->path}; "
                . 'build it with the same library option (or with $client->updateOrder())');
        }
        return $this->handle;
    }

    public function __destruct()
    {
        if (isset($this->handle)) { // unset only when construction was bypassed (unserialize, reflection)
            $this->lib->ffi->spread_order_free($this->handle);
        }
    }

    /** A copy would free the native order twice. */
    private function __clone()
    {
    }

    private function set(string $name, string $value): self
    {
        return $this->check($this->lib->ffi->spread_order_set_field($this->handle, $name, $value));
    }

    private function tag(string $list, mixed $tag): self
    {
        $tag = self::text($list, $tag);
        return $this->check($this->lib->ffi->{"spread_order_$list"}($this->handle, $tag));
    }

    private function check(int $status): self
    {
        $this->lib->check($status);
        return $this;
    }

    /**
     * A scalar as http_build_query writes it: strings as they are, ints and
     * floats as PHP prints them, booleans as 1/0. A NUL byte would cut the C
     * string short, so it is refused rather than silently dropped.
     */
    private static function text(string $field, mixed $value): string
    {
        $text = match (true) {
            is_string($value) => $value,
            is_int($value), is_float($value) => (string)$value,
            is_bool($value) => $value ? '1' : '0',
            default => throw self::wrongType($field, $value, 'a string or a number'),
        };
        if (str_contains($text, "\0")) {
            throw new InvalidValueException("$field: contains a NUL byte");
        }
        return $text;
    }

    /**
     * A PHP list (keys 0..n-1): libspread numbers list items itself, so other
     * keys (or a null item) would be renumbered and the body would differ from
     * http_build_query's.
     *
     * @return list<mixed>
     */
    private static function listOf(string $field, mixed $value, string $expected): array
    {
        if (!is_array($value) || !array_is_list($value)) {
            throw self::wrongType($field, $value, $expected);
        }
        foreach ($value as $i => $item) {
            if ($item === null) {
                throw new InvalidValueException("{$field}[$i]: null inside a list (remove the item instead)");
            }
        }
        return $value;
    }

    /** @return array<mixed> */
    private static function mapOf(string $field, mixed $value, string $example): array
    {
        if (!is_array($value)) {
            throw self::wrongType($field, $value, "an array such as $example");
        }
        return $value;
    }

    private static function wrongType(string $field, mixed $value, string $expected): InvalidValueException
    {
        return new InvalidValueException("$field: expected $expected, got " . self::describe($value));
    }

    /** A short description of a bad value for an error message. */
    private static function describe(mixed $value): string
    {
        return match (true) {
            is_array($value) => array_is_list($value) ? 'a list' : 'an array with keys ' . implode(', ', array_keys($value)),
            is_object($value) => 'an object of class ' . $value::class,
            is_string($value) && strlen($value) > 60 => 'a string of ' . strlen($value) . ' bytes',
            is_string($value) => 'string "' . addcslashes($value, "\0..\37\"\\") . '"',
            default => get_debug_type($value) . ' ' . var_export($value, true),
        };
    }
}

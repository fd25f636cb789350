<?php

declare(strict_types=1);

namespace Spread;

use FFI\CData;

/**
 * An order with its customer profile, built with fluent setters or from the
 * seed's $post_data array (fromArray, the drop-in). Every setter is checked
 * at once by libspread and leaves the order unchanged when it throws; fields
 * keep the order in which they were first set, as PHP arrays do, so encode()
 * equals http_build_query($post_data) byte for byte.
 *
 * The setters are strict: a value that breaks its field's rule is an
 * InvalidValueException naming the field, a value of a PHP type the field
 * cannot take a \TypeError. A null value leaves the field out, as
 * http_build_query does. fromArray() takes whatever the seed code took.
 *
 * The scalar setters are generated from libspread's own field list
 * (spread_field_name), the names in camelCase:
 *
 * @method self customerEmail(string|null $email)
 * @method self externalId(string|int|null $id)
 * @method self customerCookie(string|null $sbt)
 * @method self customerName(string|null $name)
 * @method self customerFirstname(string|null $firstname)
 * @method self customerGender(string|null $gender) "male" or "female"
 * @method self customerAddress(string|null $line)
 * @method self customerAddress2(string|null $line)
 * @method self customerAddress3(string|null $line)
 * @method self customerCp(string|int|null $postcode)
 * @method self customerCity(string|null $city)
 * @method self customerCountry(string|null $iso2) such as "FR"
 * @method self customerTel(string|int|null $tel)
 * @method self customerMobile(string|int|null $mobile)
 * @method self customerFonction(string|null $jobTitle)
 * @method self customerCompany(string|null $company)
 * @method self customerBirthday(string|\DateTimeInterface|null $ymd) Y-m-d, or the day a DateTimeInterface names
 * @method self customerLang(string|null $locale) such as "fr_FR"
 * @method self action(string|null $action) "order"
 * @method self orderIdorder(string|int|null $id) the shop's unique order id
 * @method self orderCreaDt(string|\DateTimeInterface|null $utc) Y-m-d H:i:s in UTC, a DateTimeInterface
 *         (converted to UTC) or ISO 8601 with an offset ("2014-06-21T16:31:08+02:00")
 * @method self orderStartService(string|\DateTimeInterface|null $ymd) Y-m-d, or the day a DateTimeInterface names
 * @method self orderEndService(string|\DateTimeInterface|null $ymd) Y-m-d, or the day a DateTimeInterface names
 *
 * Each of them @throws InvalidValueException (InvalidUtf8Exception) naming the field.
 *
 * An Order serializes (serialize(), Laravel jobs, Messenger messages) as the
 * body it encodes, and is rebuilt from it with the default library.
 */
final class Order
{
    /**
     * The date fields and the format SPREAD wants: order_crea_dt is an
     * instant (converted to UTC), the others calendar days, taken as the
     * DateTimeInterface writes them in its own time zone (a birthday or a
     * service day does not move with the time zone).
     */
    private const DATE_FIELDS = [
        'order_crea_dt' => 'Y-m-d H:i:s',
        'customer_birthday' => 'Y-m-d',
        'order_start_service' => 'Y-m-d',
        'order_end_service' => 'Y-m-d',
    ];

    private readonly Library $lib;
    /** The native order. */
    private CData $handle;

    /** @var list<string> what the lenient drop-in sent as is although it breaks a rule */
    private array $warnings = [];

    /**
     * @param Library|string|null $library libspread.so's path, or null for the default (see Library)
     * @throws LibraryException
     */
    public function __construct(Library|string|null $library = null)
    {
        $this->lib = Library::of($library);
        $this->handle = $this->lib->ffi->spread_order_new();
    }

    /**
     * The drop-in: an order from the seed's whole $post_data (with its "data"
     * and "request" parts) or from its "data" part alone, whatever a shop's
     * code put in it. PHP's own http_build_query($postData) makes the body,
     * so SPREAD receives exactly what the seed's curl block sent (nulls and
     * empty arrays left out, booleans 1/0, floats under the current
     * `precision`, unknown keys kept); libspread reads that body to check it.
     *
     * Only what SPREAD requires is strict (customer_email or external_id,
     * order_idorder, order_state, order_amount, order_crea_dt). Any other
     * field that breaks its rule (a 0000-00-00 birthday, a country "fr", an
     * empty gender) is sent as is and listed in warnings() (and on the
     * Response, and to the client's logger), unless $strict: then it throws.
     *
     * @param array<array-key, mixed> $postData
     * @throws InvalidValueException naming the field (a required one, or any with $strict)
     * @throws MissingFieldException naming the missing required field
     * @throws LibraryException
     */
    public static function fromArray(array $postData, Library|string|null $library = null, bool $strict = false): self
    {
        $lib = Library::of($library);
        $ffi = $lib->ffi;
        // '&' whatever arg_separator.output says: SPREAD parses '&' only.
        $handle = $ffi->spread_order_from_form(http_build_query(self::plain($postData), '', '&'), $strict);
        if ($handle === null) {
            throw $lib->lastFailure();
        }
        $order = self::adopt($lib, $handle);
        for ($i = 0, $n = $ffi->spread_order_warning_count($handle); $i < $n; $i++) {
            $order->warnings[] = (string)$lib->ownedString($ffi->spread_order_warning($handle, $i));
        }
        return $order;
    }

    /**
     * What fromArray() sent as is although it breaks a field's rule, such as
     * 'customer_birthday: "0000-00-00" is not a date ... (sent as is)'; always
     * empty for an order built with setters.
     *
     * @return list<string>
     */
    public function warnings(): array
    {
        return $this->warnings;
    }

    /**
     * Sets data[$name]: a scalar field by its rule, a structured one (tags,
     * custom_fields, consents, product_attributes) from its array as in the
     * seed, any other name as extra text sent as is. null leaves it out.
     *
     * A date field also takes a DateTimeInterface, order_crea_dt an ISO 8601
     * text with an offset, order_state an OrderState.
     *
     * @param string|int|float|bool|array<array-key, mixed>|\DateTimeInterface|OrderState|null $value
     * @throws InvalidValueException naming the field
     */
    public function field(string $name, string|int|float|bool|array|\DateTimeInterface|OrderState|null $value): self
    {
        if ($value === null) {
            return $this;
        }
        if (is_array($value) && !in_array($name, $this->lib->setters(), true)) {
            // Tags, custom_fields, consents, product_attributes (a scalar field's is a type
            // error below): libspread's rule accepts or refuses it, as for Python's Order.set().
            return $this->setValue($name, $value);
        }
        $value = self::idiom($name, $value);
        switch ($name) {
            case 'order_state':
            case 'order_amount':
                if (is_array($value) || is_bool($value) || ($name === 'order_state' && is_float($value))) {
                    throw self::wrongType($name, $value, 'a number or a numeric string');
                }
                return $name === 'order_state' ? $this->orderState($value) : $this->orderAmount($value);
        }
        return $this->set($name, self::text($name, $value));
    }

    /**
     * Sets a scalar field by its camelCase name (customerEmail, orderIdorder, ...).
     *
     * @param array<int, mixed> $args
     * @throws InvalidValueException naming the field
     * @throws \BadMethodCallException for a name that is no field's
     */
    public function __call(string $method, array $args): self
    {
        $field = $this->lib->setters()[$method] ?? null;
        if ($field === null) {
            throw new \BadMethodCallException(sprintf('Call to undefined method %s::%s()', self::class, $method));
        }
        if (count($args) !== 1) {
            throw new \ArgumentCountError(
                sprintf('%s::%s() takes exactly 1 argument, %d given', self::class, $method, count($args))
            );
        }
        $value = $args[0];
        $date = isset(self::DATE_FIELDS[$field]);
        if ($value !== null && !is_scalar($value) && !($value instanceof \DateTimeInterface && $date)) {
            $types = $date ? 'DateTimeInterface|string|int|float|bool|null' : 'string|int|float|bool|null';
            throw new \TypeError(sprintf(
                '%s::%s(): Argument #1 must be of type %s, %s given',
                self::class,
                $method,
                $types,
                get_debug_type($value)
            ));
        }
        return $this->field($field, $value);
    }

    /**
     * data[order_state]: OrderState::Paid, or 0 cancelled, 10 taken (unpaid), 20 paid, 50 shipped,
     * 100 completed; 20 or "20".
     *
     * @throws InvalidValueException
     */
    public function orderState(int|string|OrderState $state): self
    {
        if ($state instanceof OrderState) {
            $state = $state->value;
        }
        if (is_int($state) && $state >= -2 ** 31 && $state < 2 ** 31) {
            return $this->check($this->lib->ffi->spread_order_set_order_state($this->handle, $state));
        }
        return $this->set('order_state', self::text('order_state', $state));
    }

    /**
     * data[order_amount]: a float (printed as PHP prints it: 158.31, 100, 1.0E+20),
     * an int, or a decimal string such as "158.31" (sent as written, no rounding).
     *
     * @throws InvalidValueException
     */
    public function orderAmount(float|int|string $amount): self
    {
        if (is_float($amount)) {
            return $this->check($this->lib->ffi->spread_order_set_order_amount($this->handle, $amount));
        }
        $amount = self::text('order_amount', $amount);
        return $this->check($this->lib->ffi->spread_order_set_order_amount_str($this->handle, $amount));
    }

    /**
     * Adds a customer tag (data[add_tag][]).
     *
     * @throws InvalidValueException
     */
    public function addTag(string|int $tag): self
    {
        return $this->tag('add_tag', $tag);
    }

    /**
     * Removes a customer tag (data[del_tag][]).
     *
     * @throws InvalidValueException
     */
    public function delTag(string|int $tag): self
    {
        return $this->tag('del_tag', $tag);
    }

    /**
     * Adds an order tag (data[add_order_tag][]).
     *
     * @throws InvalidValueException
     */
    public function addOrderTag(string|int $tag): self
    {
        return $this->tag('add_order_tag', $tag);
    }

    /**
     * Removes an order tag (data[del_order_tag][]).
     *
     * @throws InvalidValueException
     */
    public function delOrderTag(string|int $tag): self
    {
        return $this->tag('del_order_tag', $tag);
    }

    /**
     * data[custom_fields][$id]; the ids (> 0) are in SPREAD's back office, "Paramétrage > Tracker".
     * $id may be "327" (PHP itself turns such array keys into ints).
     *
     * @throws InvalidValueException
     */
    public function customField(int|string $id, string|int|float|bool $value): self
    {
        if (is_string($id) && $id === (string)(int)$id) {
            $id = (int)$id;
        }
        if (!is_int($id) || $id < 0 || $id > 0xFFFFFFFF) {
            // A key such as "007" stays a string in PHP and would be sent as written: only ints are ids.
            throw new InvalidValueException(
                'custom_fields: key ' . self::describe($id) . ' is not a custom field id (a positive integer)'
            );
        }
        $value = self::text("custom_fields[$id]", $value);
        return $this->check($this->lib->ffi->spread_order_set_custom_field($this->handle, $id, $value));
    }

    /**
     * data[consents][$techName]: accepted (true, 1, "1") or refused (false, 0, "0").
     *
     * @throws InvalidValueException
     */
    public function consent(string $techName, bool|int|string $accepted): self
    {
        // libspread's rule (the drop-in's: 1 or 0 as PHP sends it), not one of ours.
        return $this->setValue('consents', [self::text('consents', $techName) => $accepted]);
    }

    /**
     * Adds a product (data[product_attributes][n]) described by "key:value"
     * strings such as ["size:xl", "type:shirt"]: all of them, or none when
     * one is refused (spread_order_add_product_with is atomic).
     *
     * @param list<string> $attributes
     * @throws InvalidValueException naming the attribute
     */
    public function addProduct(array $attributes = []): self
    {
        $attributes = self::listOf('product_attributes', $attributes, 'a list of "key:value" strings');
        foreach ($attributes as $i => $attribute) {
            if (!is_string($attribute)) {
                throw self::wrongType("product_attributes[$i]", $attribute, 'a "key:value" string such as "size:xl"');
            }
            self::text("product_attributes[$i]", $attribute); // no NUL: it would cut the C string
        }
        [$strings, $copies] = $this->cStrings($attributes);
        $n = count($attributes);
        return $this->check($this->lib->ffi->spread_order_add_product_with($this->handle, $strings, $n));
    }

    /**
     * Checks that the fields SPREAD requires are set (customer_email or
     * external_id, order_idorder, order_state, order_amount, order_crea_dt),
     * and that SPREAD's PHP would read the whole body (at most 1,001
     * variables: its max_input_vars drops the rest).
     *
     * @throws MissingFieldException naming the first missing field
     * @throws InvalidValueException for a body PHP would cut short
     */
    public function validate(): self
    {
        return $this->check($this->lib->ffi->spread_order_validate($this->handle));
    }

    /**
     * The exact body Client::send posts: http_build_query() of the same $post_data.
     *
     * @throws Exception (InternalException) should libspread fail to encode it
     */
    public function encode(): string
    {
        return $this->lib->ownedString($this->lib->ffi->spread_order_encode($this->handle))
            ?? throw $this->lib->lastFailure();
    }

    /**
     * The order as the seed's $post_data: ['data' => [...], 'request' => [...]],
     * every value the text that is sent (parse_str of encode()), so
     * Order::fromArray($order->toArray()) sends the same bytes.
     *
     * @return array<array-key, mixed>
     * @throws SpreadException should libspread fail to encode it
     */
    public function toArray(): array
    {
        parse_str($this->encode(), $postData);
        return $postData;
    }

    /**
     * serialize(): the encoded body (the native order cannot travel).
     *
     * @return array{body: string}
     */
    public function __serialize(): array
    {
        return ['body' => $this->encode()];
    }

    /**
     * unserialize(): the order again from its body, checked again, with the
     * default library (that of the process that reads it: a queue worker).
     *
     * @param array<array-key, mixed> $data
     * @throws SpreadException naming the field when the body was changed into something libspread refuses
     */
    public function __unserialize(array $data): void
    {
        $body = $data['body'] ?? null;
        if (!is_string($body) || str_contains($body, "\0")) {
            throw new InvalidValueException('order: not a serialized Spread\Order (no body)');
        }
        $this->lib = Library::get();
        $ffi = $this->lib->ffi;
        $handle = $ffi->spread_order_from_form($body, false);
        if ($handle === null) {
            $e = $this->lib->lastFailure();
            if ($e->getCode() !== Exception::MISSING_FIELD) {
                throw $e;
            }
            // An order still being built (no e-mail yet...): the drop-in wants a
            // complete one, so its fields go back through the setters, checked.
            $this->handle = $ffi->spread_order_new();
            parse_str($body, $postData);
            foreach ((array)($postData['data'] ?? []) as $name => $value) {
                $this->field((string)$name, $value);
            }
            return;
        }
        $this->handle = $handle;
        for ($i = 0, $n = $ffi->spread_order_warning_count($handle); $i < $n; $i++) {
            $this->warnings[] = (string)$this->lib->ownedString($ffi->spread_order_warning($handle, $i));
        }
    }

    /**
     * var_dump()/print_r(): the fields as they will be sent, the drop-in's
     * warnings and the library, rather than the FFI internals.
     *
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        try {
            $postData = $this->toArray();
        } catch (\Throwable $e) {
            $postData = ['error' => $e->getMessage()];
        }
        return ['data' => $postData['data'] ?? $postData, 'warnings' => $this->warnings, 'library' => $this->lib->path];
    }

    /**
     * @internal for Client: the native handle, valid while this Order lives
     * @throws ConfigException for an order made with another library than $lib
     */
    public function handle(Library $lib): CData
    {
        if ($lib !== $this->lib) {
            throw new ConfigException(
                "order: built with libspread at {$this->lib->path} but the client uses {$lib->path}; "
                . 'build it with the same library option (or with $client->updateOrder())'
            );
        }
        return $this->handle;
    }

    public function __destruct()
    {
        // unset only when construction was bypassed (unserialize, reflection) or a clone failed
        if (isset($this->handle)) {
            $this->lib->ffi->spread_order_free($this->handle);
        }
    }

    /**
     * `clone $order`: a copy that changes apart from the original (a
     * template order copied per sale), with its own native order.
     *
     * @throws Exception when libspread cannot copy it
     */
    public function __clone()
    {
        $copy = $this->lib->ffi->spread_order_clone($this->handle);
        if ($copy === null) {
            $e = $this->lib->lastFailure();
            unset($this->handle); // still the original's: the destructor must not free it
            throw $e;
        }
        $this->handle = $copy;
    }

    /**
     * The PHP idioms a field takes, as the text SPREAD wants: a
     * DateTimeInterface for a date field, an ISO 8601 text with an offset for
     * order_crea_dt, an OrderState for order_state. Anything else unchanged.
     */
    private static function idiom(string $name, mixed $value): mixed
    {
        $format = self::DATE_FIELDS[$name] ?? null;
        if ($format !== null && $value instanceof \DateTimeInterface) {
            return $name === 'order_crea_dt'
                ? \DateTimeImmutable::createFromInterface($value)
                    ->setTimezone(new \DateTimeZone('UTC'))
                    ->format($format)
                : $value->format($format);
        }
        if (
            $name === 'order_crea_dt' && is_string($value)
            && preg_match('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)$/', $value) === 1
        ) {
            // Whole seconds get ".0": one format (with microseconds) reads both.
            $withFraction = preg_replace('/(:\d\d)(?=[Z+-])/', '$1.0', $value, 1) ?? '';
            $parsed = \DateTimeImmutable::createFromFormat('Y-m-d\TH:i:s.uP', $withFraction);
            $errors = \DateTimeImmutable::getLastErrors();
            if ($parsed !== false && ($errors === false || $errors['warning_count'] === 0)) {
                return $parsed->setTimezone(new \DateTimeZone('UTC'))->format(self::DATE_FIELDS[$name]);
            }
            // 2014-02-30T...: left as written, for libspread to refuse naming the field.
        }
        if ($name === 'order_state' && $value instanceof OrderState) {
            return $value->value;
        }
        return $value;
    }

    /**
     * fromArray()'s $postData (whole, or its "data" part) with the idioms of
     * idiom() turned into the text http_build_query would have been given.
     *
     * @param array<array-key, mixed> $postData
     * @return array<array-key, mixed>
     */
    private static function plain(array $postData): array
    {
        $convert = static function (array $data): array {
            foreach ($data as $name => $value) {
                if (is_object($value)) {
                    $data[$name] = self::idiom((string)$name, $value);
                }
            }
            return $data;
        };
        if (isset($postData['data']) && is_array($postData['data'])) {
            $postData['data'] = $convert($postData['data']);
            return $postData;
        }
        return $convert($postData);
    }

    /** An Order owning a handle libspread made (spread_order_from_form). */
    private static function adopt(Library $lib, CData $handle): self
    {
        static $class = null;
        $order = ($class ??= new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $order->lib = $lib;
        $order->handle = $handle;
        return $order;
    }

    /**
     * data[$name] = $value as fromArray() takes it, checked by libspread
     * (spread_order_set_value): all or nothing.
     *
     * @throws InvalidValueException
     */
    private function setValue(string $name, mixed $value): self
    {
        try {
            $json = json_encode($value, JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            throw $e->getCode() === JSON_ERROR_UTF8
                ? new InvalidUtf8Exception("$name: not valid UTF-8")
                : new InvalidValueException("$name: " . $e->getMessage());
        }
        return $this->check($this->lib->ffi->spread_order_set_value($this->handle, self::text('name', $name), $json));
    }

    /** @throws InvalidValueException */
    private function set(string $name, string $value): self
    {
        return $this->check($this->lib->ffi->spread_order_set_field($this->handle, $name, $value));
    }

    /** @throws InvalidValueException also for a $tag of the wrong type (field() passes list items as they come) */
    private function tag(string $list, mixed $tag): self
    {
        $tag = self::text($list, $tag);
        return $this->check($this->lib->ffi->{"spread_order_$list"}($this->handle, $tag));
    }

    /**
     * $texts (without NUL bytes) as a C array of strings, and the C copies it
     * points to: keep both until the call that reads them has returned.
     *
     * @param list<string> $texts
     * @return array{CData, list<CData>}
     */
    private function cStrings(array $texts): array
    {
        $ffi = $this->lib->ffi;
        $strings = $ffi->new('const char *[' . max(count($texts), 1) . ']');
        $copies = [];
        foreach ($texts as $i => $text) {
            $copies[$i] = $ffi->new('char[' . (strlen($text) + 1) . ']'); // zeroed: the last byte ends the string
            \FFI::memcpy($copies[$i], $text, strlen($text));
            $strings[$i] = $ffi->cast('const char *', $copies[$i]);
        }
        return [$strings, $copies];
    }

    /** @throws Exception for any status but OK */
    private function check(int $status): self
    {
        $this->lib->check($status);
        return $this;
    }

    /**
     * A scalar as http_build_query writes it: strings as they are, ints and
     * floats as PHP prints them, booleans as 1/0. A NUL byte would cut the C
     * string short, so it is refused rather than silently dropped.
     *
     * @throws InvalidValueException
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
     * @throws InvalidValueException
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

    private static function wrongType(string $field, mixed $value, string $expected): InvalidValueException
    {
        return new InvalidValueException("$field: expected $expected, got " . self::describe($value));
    }

    /** A short description of a bad value for an error message. */
    private static function describe(mixed $value): string
    {
        return match (true) {
            is_array($value) => array_is_list($value)
                ? 'a list'
                : 'an array with keys ' . implode(', ', array_keys($value)),
            is_object($value) => 'an object of class ' . $value::class,
            is_string($value) && strlen($value) > 60 => 'a string of ' . strlen($value) . ' bytes',
            is_string($value) => 'string "' . addcslashes($value, "\0..\37\"\\") . '"',
            default => get_debug_type($value) . ' ' . var_export($value, true),
        };
    }
}

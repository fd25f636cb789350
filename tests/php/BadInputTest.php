<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\AuthException;
use Spread\Client;
use Spread\ConfigException;
use Spread\EndpointException;
use Spread\Exception;
use Spread\SpreadException;
use Spread\InvalidUtf8Exception;
use Spread\InvalidValueException;
use Spread\MissingFieldException;
use Spread\NetworkException;
use Spread\Order;
use Spread\RedirectException;
use Spread\RejectedException;
use Spread\ServerException;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;
use Spread\TimeoutException;

/**
 * Bad input and failing servers: always a Spread\SpreadException whose
 * message names the field or the cause, the C status as its code, never a
 * PHP warning (PHPUnit turns those into failures) and never the private key.
 */
final class BadInputTest extends SandboxTestCase
{
    private const SECRET = 'PRIV-s3cr3t-do-not-print';
    private const URL_PASSWORD = 'url-pw-do-not-print';

    /** @var list<\Throwable> every exception seen, checked for the secret at the end */
    private static array $seen = [];

    /** @dataProvider invalidValues */
    public function testInvalidValuesNameTheFieldAndChangeNothing(callable $set, string $class, string $message): void
    {
        $order = (new Order())->customerName('Doe')->addTag('first')->delTag('first')->addOrderTag('first')->delOrderTag('first');
        $before = $order->encode();
        $e = $this->thrownBy(fn () => $set($order));
        $this->assertInstanceOf($class, $e);
        $this->assertSame($class::STATUS, $e->getCode());
        $this->assertStringStartsWith($message, $e->getMessage());
        $this->assertSame($before, $order->encode(), 'the order is unchanged');
    }

    public static function invalidValues(): array
    {
        $invalid = InvalidValueException::class;
        return [
            'state 7' => [fn (Order $o) => $o->orderState(7), $invalid, 'order_state: 7 is not one of 0, 10, 20, 50, 100'],
            'state "7"' => [fn (Order $o) => $o->orderState('7'), $invalid, 'order_state: 7 is not one of'],
            'state out of int32' => [fn (Order $o) => $o->orderState(2 ** 40), $invalid, 'order_state: 1099511627776 is not one of'],
            'bad email' => [fn (Order $o) => $o->customerEmail('john.doe.com'), $invalid, 'customer_email: "john.doe.com" is not an e-mail address'],
            'bad birthday' => [fn (Order $o) => $o->customerBirthday('31/12/1970'), $invalid, 'customer_birthday: "31/12/1970" is not a date'],
            'bad crea_dt' => [fn (Order $o) => $o->orderCreaDt('2014-06-21T14:31:08'), $invalid, 'order_crea_dt: '],
            'impossible date' => [fn (Order $o) => $o->orderStartService('2023-02-29'), $invalid, 'order_start_service: '],
            'gender' => [fn (Order $o) => $o->customerGender('m'), $invalid, 'customer_gender: "m" is not "male" or "female"'],
            'country' => [fn (Order $o) => $o->customerCountry('fr'), $invalid, 'customer_country: "fr" is not an ISO 3166-1'],
            'lang' => [fn (Order $o) => $o->customerLang('fr-FR'), $invalid, 'customer_lang: "fr-FR" is not a locale'],
            'negative amount' => [fn (Order $o) => $o->orderAmount(-1.5), $invalid, 'order_amount: -1.5 is negative'],
            'negative int amount' => [fn (Order $o) => $o->orderAmount(-3), $invalid, 'order_amount: -3 is negative'],
            'NaN amount' => [fn (Order $o) => $o->orderAmount(NAN), $invalid, 'order_amount: "NAN" is not a plain decimal amount'],
            'INF amount' => [fn (Order $o) => $o->orderAmount(INF), $invalid, 'order_amount: "INF" is not a plain decimal amount'],
            'float 1e20 amount (PHP prints 1.0E+20)' => [fn (Order $o) => $o->orderAmount(1e20), $invalid, 'order_amount: "1.0E+20" is not a plain decimal amount'],
            'comma amount' => [fn (Order $o) => $o->orderAmount('158,31'), $invalid, 'order_amount: "158,31" is not a plain decimal'],
            'empty tag' => [fn (Order $o) => $o->addTag(''), $invalid, 'add_tag: must not be empty'],
            'empty order tag' => [fn (Order $o) => $o->delOrderTag(''), $invalid, 'del_order_tag: must not be empty'],
            // Several tags at once are added all or none (spread_order_add_to_list): a bad one in the middle changes nothing.
            'tags, an empty one in the middle' => [fn (Order $o) => $o->field('add_tag', ['a', '', 'b']), $invalid, 'add_tag[1]: must not be empty'],
            'tags, a control character in the middle' => [fn (Order $o) => $o->field('del_tag', ['a', "b\nc", 'd']), $invalid, 'del_tag[1]: contains the control character'],
            'tags, invalid UTF-8 in the middle' => [fn (Order $o) => $o->field('add_order_tag', ['a', "\xE9t\xE9", 'b']), InvalidUtf8Exception::class, 'add_order_tag: not valid UTF-8'],
            'tags, a NUL byte in the middle' => [fn (Order $o) => $o->field('del_order_tag', ['a', "b\0c", 'd']), $invalid, 'del_order_tag[1]: contains the control character'],
            'tags, an array in the middle' => [fn (Order $o) => $o->field('add_tag', ['a', ['b'], 'c']), $invalid, 'add_tag[1]: is a nested list, not a single value'],
            // field() with several custom fields, consents or products: all or none too
            // (spread_order_set_value: libspread's rule and words, the same as Python's Order.set()).
            'custom fields, a bad one after a good one' => [fn (Order $o) => $o->field('custom_fields', [1 => 'ok', 2 => "b\x07"]), $invalid, 'custom_fields[2]: contains the control character'],
            'custom fields, an array after a good one' => [fn (Order $o) => $o->field('custom_fields', [1 => 'ok', 2 => ['v']]), $invalid, 'custom_fields[2]: is a nested list, not a single value'],
            'consents, a bad name after a good one' => [fn (Order $o) => $o->field('consents', ['A' => true, 'b[c]' => true]), $invalid, 'consents: "b[c]" must not contain'],
            'consents, a bad value after a good one' => [fn (Order $o) => $o->field('consents', ['A' => true, 'B' => 'yes']), $invalid, 'consents[B]: "yes" is not 1 (accepted) or 0 (refused)'],
            'products, a bad one after a good one' => [fn (Order $o) => $o->field('product_attributes', [['size:xl'], ['xl']]), $invalid, 'product_attributes[1][0]: "xl" is not written "key:value"'],
            'custom field id 0' => [fn (Order $o) => $o->customField(0, 'v'), $invalid, 'custom_fields: id 0 is not a custom field id'],
            'custom field id -1' => [fn (Order $o) => $o->customField(-1, 'v'), $invalid, 'custom_fields: key int -1 is not a custom field id'],
            'custom field id "007"' => [fn (Order $o) => $o->customField('007', 'v'), $invalid, 'custom_fields: key string "007" is not'],
            'custom field id 2^32' => [fn (Order $o) => $o->customField(2 ** 32, 'v'), $invalid, 'custom_fields: key int 4294967296'],
            'product attribute' => [fn (Order $o) => $o->addProduct(['size:xl', 'xl']), $invalid, 'product_attributes[1]: "xl" is not written "key:value"'],
            'product attribute empty value' => [fn (Order $o) => $o->addProduct(['size:']), $invalid, 'product_attributes[0]: "size:"'],
            'product attribute NUL' => [fn (Order $o) => $o->addProduct(['size:xl', "a:b\0c"]), $invalid, 'product_attributes[1]: contains a NUL byte'],
            'product attribute not UTF-8' => [fn (Order $o) => $o->addProduct(["size:\xE9"]), InvalidUtf8Exception::class, 'product_attributes[0]: '],
            'consent name with brackets' => [fn (Order $o) => $o->consent('a[b]', true), $invalid, 'consents: "a[b]" must not contain'],
            'control character' => [fn (Order $o) => $o->customerName("Doe\x07"), $invalid, 'customer_name: contains the control character'],
            'NUL byte' => [fn (Order $o) => $o->customerCity("Rou\0en"), $invalid, 'customer_city: contains a NUL byte'],
            'invalid UTF-8' => [fn (Order $o) => $o->customerCity("Rou\xE9n"), InvalidUtf8Exception::class, 'customer_city: not valid UTF-8'],
            'structured name in field()' => [fn (Order $o) => $o->field('add_tag', 'x'), $invalid, 'add_tag: is not a single value: use its own setter'],
            'empty field name' => [fn (Order $o) => $o->field('', 'x'), $invalid, 'field name: must not be empty'],
        ];
    }

    /** @dataProvider wrongTypes */
    public function testWrongPhpTypesInsideArraysAreInvalidValues(callable $set, string $message): void
    {
        $e = $this->thrownBy(fn () => $set(new Order()));
        $this->assertInstanceOf(InvalidValueException::class, $e);
        $this->assertSame(12, $e->getCode());
        $this->assertStringStartsWith($message, $e->getMessage());
    }

    public static function wrongTypes(): array
    {
        return [
            'string for a consent' => [fn (Order $o) => $o->consent('NewsEmail', 'yes'), 'consents[NewsEmail]: "yes" is not 1 (accepted) or 0 (refused)'],
            'int 2 for a consent' => [fn (Order $o) => $o->consent('NewsEmail', 2), 'consents[NewsEmail]: "2" is not 1 (accepted) or 0 (refused)'],
            'int for a product' => [fn (Order $o) => $o->addProduct([42]), 'product_attributes[0]: expected a "key:value" string'],
            'map for a product' => [fn (Order $o) => $o->addProduct(['size' => 'xl']), 'product_attributes: expected a list of "key:value" strings, got an array with keys size'],
            'field(): array for a string' => [fn (Order $o) => $o->field('customer_name', ['Doe']), 'customer_name: expected a string or a number, got a list'],
            'field(): array for a state' => [fn (Order $o) => $o->field('order_state', [10]), 'order_state: expected a number or a numeric string, got a list'],
            'field(): bool for an amount' => [fn (Order $o) => $o->field('order_amount', true), 'order_amount: expected a number or a numeric string, got bool true'],
            'field(): string tags' => [fn (Order $o) => $o->field('add_tag', 'tag1'), 'add_tag: is not a single value: use its own setter'],
            'field(): keyed tags' => [fn (Order $o) => $o->field('del_tag', [3 => 'x']), 'del_tag: is not a list such as ["tag1", "tag2"]'],
            'field(): null in a list' => [fn (Order $o) => $o->field('add_order_tag', ['a', null]), 'add_order_tag[1]: null inside a list'],
            'field(): array in a list' => [fn (Order $o) => $o->field('add_tag', [['a']]), 'add_tag[0]: is a nested list, not a single value'],
            'field(): product not a list' => [fn (Order $o) => $o->field('product_attributes', ['size:xl']), 'product_attributes[0]: is not a list such as ["size:xl"]'],
            'field(): custom_fields scalar' => [fn (Order $o) => $o->field('custom_fields', 'v'), 'custom_fields: is not a single value: use its own setter'],
            'field(): custom field array' => [fn (Order $o) => $o->field('custom_fields', [3 => ['v']]), 'custom_fields[3]: is a nested list, not a single value'],
            'field(): nested unknown' => [fn (Order $o) => $o->field('extra', ['a' => 1]), 'extra: is a list, not a single value'],
        ];
    }

    /** @dataProvider typeErrors */
    public function testPhpTypesTheSettersCannotTakeAreTypeErrors(callable $set, string $message): void
    {
        try {
            $set(new Order());
            $this->fail('nothing was thrown');
        } catch (\TypeError $e) {
            $this->assertStringContainsString($message, $e->getMessage());
        }
    }

    public static function typeErrors(): array
    {
        return [
            'array for a string' => [fn (Order $o) => $o->customerName(['Doe']), 'Spread\Order::customerName(): Argument #1 must be of type string|int|float|bool|null, array given'],
            'object for a string' => [fn (Order $o) => $o->customerEmail(new \stdClass()), 'Spread\Order::customerEmail(): Argument #1 must be of type string|int|float|bool|null, stdClass given'],
            'float for a state' => [fn (Order $o) => $o->orderState(10.0), 'orderState(): Argument #1 ($state) must be of type Spread\OrderState|string|int, float given'],
            'array for a state' => [fn (Order $o) => $o->orderState([10]), 'must be of type Spread\OrderState|string|int, array given'],
            'bool for an amount' => [fn (Order $o) => $o->orderAmount(true), 'orderAmount(): Argument #1 ($amount) must be of type string|int|float, bool given'],
            'array for a tag' => [fn (Order $o) => $o->addTag(['a']), 'addTag(): Argument #1 ($tag) must be of type string|int, array given'],
            'float for a consent' => [fn (Order $o) => $o->consent('NewsEmail', 1.0), 'consent(): Argument #2 ($accepted) must be of type string|int|bool, float given'],
        ];
    }

    public function testMissingFieldsAreNamedAndNothingIsSent(): void
    {
        $client = $this->client();
        $cases = [
            'customer_email: customer_email or external_id is required' => fn (Order $o) => $o,
            'order_idorder: is required' => fn (Order $o) => $o->externalId('x'),
            'order_state: is required' => fn (Order $o) => $o->externalId('x')->orderIdorder('1'),
            'order_amount: is required' => fn (Order $o) => $o->externalId('x')->orderIdorder('1')->orderState(10),
            'order_crea_dt: is required' => fn (Order $o) => $o->externalId('x')->orderIdorder('1')->orderState(10)->orderAmount(1),
        ];
        foreach ($cases as $message => $build) {
            foreach ([fn (Order $o) => $o->validate(), fn (Order $o) => $client->send($o)] as $call) {
                $e = $this->thrownBy(fn () => $call($build(new Order())));
                $this->assertInstanceOf(MissingFieldException::class, $e);
                $this->assertSame(13, $e->getCode());
                $this->assertStringStartsWith($message, $e->getMessage());
            }
        }
        $e = $this->thrownBy(fn () => $client->updateOrder(['data' => ['customer_email' => 'a@b.c'], 'request' => []]));
        $this->assertInstanceOf(MissingFieldException::class, $e);
        $this->assertStringStartsWith('order_idorder: is required', $e->getMessage());
        $e = $this->thrownBy(fn () => $client->enqueue(['customer_email' => 'a@b.c', 'order_idorder' => 1, 'order_state' => 7]));
        $this->assertInstanceOf(InvalidValueException::class, $e, 'enqueue checks the order as send does, without a spool even');
        $this->assertSame([], $this->sandbox->requests(), 'nothing reached SPREAD');
    }

    public function testUnreachableServerIsANetworkError(): void
    {
        $port = Php::freePort(); // nothing listens there
        $client = new Client(Sandbox::PUBLIC_KEY, self::SECRET, ['base_url' => "http://127.0.0.1:$port/api", 'timeout_ms' => 3000]);
        $e = $this->thrownBy(fn () => $client->updateOrder(Seed::postData()));
        $this->assertInstanceOf(NetworkException::class, $e);
        $this->assertNotInstanceOf(TimeoutException::class, $e);
        $this->assertSame(20, $e->getCode());
        $this->assertSame(0, $e->httpStatus(), 'no answer at all');
        $this->assertStringContainsString("127.0.0.1:$port", $e->getMessage());
    }

    public function testWrongKeysAreAnAuthError(): void
    {
        $client = new Client('PUBLIC_KEY', self::SECRET, ['base_url' => $this->sandbox->baseUrl()]);
        $e = $this->thrownBy(fn () => $client->updateOrder(Seed::postData()));
        $this->assertInstanceOf(AuthException::class, $e);
        $this->assertSame(30, $e->getCode());
        $this->assertSame(401, $e->httpStatus());
        $this->assertStringContainsString('401', $e->getMessage());
        $this->assertSame([], $this->sandbox->state()['orders']);
    }

    public function testSlowServerTimesOutWithinTheBudget(): void
    {
        // php -S serves one request at a time: keep the delay short, the next test waits for it.
        $this->sandbox->fault(['mode' => 'slow', 'delay_ms' => 2000, 'times' => 1]);
        $client = new Client(Sandbox::PUBLIC_KEY, self::SECRET, ['base_url' => $this->sandbox->baseUrl(), 'timeout_ms' => 1000]);
        $start = microtime(true);
        $e = $this->thrownBy(fn () => $client->updateOrder(Seed::postData()));
        $elapsed = microtime(true) - $start;
        $this->assertInstanceOf(TimeoutException::class, $e);
        $this->assertInstanceOf(NetworkException::class, $e, 'a timeout is a network failure');
        $this->assertSame(21, $e->getCode());
        $this->assertSame(0, $e->httpStatus());
        $this->assertLessThan(1.5, $elapsed, "gave up after {$elapsed}s");
        $this->assertGreaterThan(0.9, $elapsed);
    }

    public function testServerAndRejectedAnswers(): void
    {
        $client = $this->client();
        $this->sandbox->fault(['mode' => 'status', 'code' => 501, 'times' => 1]); // not retryable
        $e = $this->thrownBy(fn () => $client->updateOrder(Seed::postData()));
        $this->assertInstanceOf(ServerException::class, $e);
        $this->assertSame(501, $e->httpStatus());
        $this->assertStringContainsString('501', $e->getMessage());

        $this->sandbox->fault(['mode' => 'status', 'code' => 422, 'times' => 1]);
        $e = $this->thrownBy(fn () => $client->updateOrder(Seed::postData()));
        $this->assertInstanceOf(RejectedException::class, $e);
        $this->assertSame(31, $e->getCode());
        $this->assertSame(422, $e->httpStatus());
        $this->assertStringContainsString('422', $e->getMessage());
    }

    /** @dataProvider httpFaults */
    public function testHttpStatusOfEachAnswer(array $fault, array $options, string $class, int $httpStatus, int $requests): void
    {
        $this->sandbox->fault($fault);
        $e = $this->thrownBy(fn () => $this->client($options)->updateOrder(Seed::postData()));
        $this->sandbox->fault(['mode' => 'none']);
        $this->assertInstanceOf($class, $e);
        $this->assertSame($httpStatus, $e->httpStatus());
        $this->assertStringContainsString("(HTTP $httpStatus)", $e->getMessage());
        $this->assertCount($requests, $this->sandbox->requests());
    }

    public static function httpFaults(): array
    {
        return [
            'permanent 503, retried' => [['mode' => 'status', 'code' => 503], [], ServerException::class, 503, 3],
            '400' => [['mode' => 'status', 'code' => 400], [], RejectedException::class, 400, 1],
            '403' => [['mode' => 'status', 'code' => 403], [], AuthException::class, 403, 1],
            'permanent 429' => [['mode' => 'retry_after', 'code' => 429, 'retry_after' => '0'], ['max_attempts' => 2], ServerException::class, 429, 2],
            '408, retried' => [['mode' => 'status', 'code' => 408], ['max_attempts' => 2], ServerException::class, 408, 2],
            '422' => [['mode' => 'status', 'code' => 422], [], RejectedException::class, 422, 1],
            '409' => [['mode' => 'status', 'code' => 409], [], RejectedException::class, 409, 1],
            '404' => [['mode' => 'status', 'code' => 404], [], EndpointException::class, 404, 1],
            '413' => [['mode' => 'status', 'code' => 413], [], EndpointException::class, 413, 1],
            '407' => [['mode' => 'status', 'code' => 407], [], AuthException::class, 407, 1],
        ];
    }

    public function testHttpStatusOfAFailingFlush(): void
    {
        $client = $this->client(['spool_dir' => Php::tempDir('spread-php-spool-'), 'max_attempts' => 1]);
        $this->sandbox->fault(['mode' => 'status', 'code' => 502]);
        $this->assertTrue($client->updateOrder(Seed::postData())->queued());
        $e = $this->thrownBy(fn () => $client->flush());
        $this->sandbox->fault(['mode' => 'none']);
        $this->assertInstanceOf(ServerException::class, $e);
        $this->assertSame(502, $e->httpStatus());
    }

    public function testFailuresThatAreNoAnswerHaveNoHttpStatus(): void
    {
        $e = $this->thrownBy(fn () => (new Order())->orderState(7));
        $this->assertSame(0, $e->httpStatus());
        $e = $this->thrownBy(fn () => new Client('PUBLIC_KEY', self::SECRET, ['base_url' => 'not a url']));
        $this->assertSame(0, $e->httpStatus());
        $this->assertSame(0, (new \Spread\InternalException('x'))->httpStatus());
        $this->assertSame(504, \Spread\Library::get()->exception(32, 'x', 504)->httpStatus());
    }

    public function testRefusedRedirectIsARedirectError(): void
    {
        $this->sandbox->fault(['mode' => 'redirect', 'code' => 307, 'location' => 'http://spread.invalid/api/updateOrder', 'times' => 1]);
        $client = new Client(Sandbox::PUBLIC_KEY, self::SECRET, ['base_url' => $this->sandbox->baseUrl()]);
        $e = $this->thrownBy(fn () => $client->updateOrder(Seed::postData()));
        $this->assertInstanceOf(RedirectException::class, $e);
        $this->assertSame(23, $e->getCode());
        $this->assertStringContainsString('spread.invalid', $e->getMessage());
    }

    /** @dataProvider badOptions */
    public function testBadClientOptionsAreConfigErrors(array $options, string $message): void
    {
        $e = $this->thrownBy(fn () => new Client(Sandbox::PUBLIC_KEY, self::SECRET, $options));
        $this->assertInstanceOf(ConfigException::class, $e);
        $this->assertSame(14, $e->getCode());
        $this->assertStringStartsWith($message, $e->getMessage());
        $this->assertStringNotContainsString(self::URL_PASSWORD, $e->getMessage());
    }

    public static function badOptions(): array
    {
        return [
            'unknown option' => [['timeout' => 5], 'timeout: unknown option; the options are library, logger, log_level, strict, base_url, allow_insecure_http'],
            'not a URL' => [['base_url' => 'not a url'], 'base_url: not a URL'],
            'plain http to a remote host' => [['base_url' => 'http://social-sb.com/api'], 'base_url: plain http to social-sb.com'],
            'credentials in the URL' => [['base_url' => 'https://u:' . self::URL_PASSWORD . '@social-sb.com/api'], 'base_url: must not contain credentials'],
            'timeout as a string' => [['timeout_ms' => '1s'], 'timeout_ms: expected an int, got string'],
            'negative timeout' => [['timeout_ms' => -1], 'timeout_ms: -1 is out of range'],
            'zero timeout' => [['timeout_ms' => 0], 'timeout: '],
            'allow_insecure_http as a string' => [['allow_insecure_http' => 'yes'], 'allow_insecure_http: expected a bool, got string'],
            'missing CA file' => [['ca_file' => '/nonexistent/ca.pem'], 'ca_file: cannot read /nonexistent/ca.pem'],
            'library not a string' => [['library' => 42], 'library: expected a string, got int'],
            'tls_roots: a missing file' => [['tls_roots' => '/nonexistent/roots.pem'], 'tls_roots: cannot read the CA file /nonexistent/roots.pem'],
            'proxy not a URL' => [['proxy' => 'not a proxy'], 'proxy: '],
            'proxy with credentials, bad' => [['proxy' => 'ftp://u:' . self::URL_PASSWORD . '@proxy.invalid:3128'], 'proxy: '],
            'log_level unknown' => [['log_level' => 'verbose', 'logger' => new \Psr\Log\NullLogger()], 'log_level: "verbose" is not a PSR-3 level'],
            'logger without log()' => [['logger' => new \stdClass()], 'logger: expected a PSR-3 logger'],
            'strict as a string' => [['strict' => 'yes'], 'strict: expected a bool, got string'],
            'flush budget zero' => [['flush_budget_ms' => 0], 'flush_budget'],
            'delivery concurrency zero' => [['delivery_concurrency' => 0], 'delivery_concurrency: 0 is out of range'],
            'delivery concurrency over 32' => [['delivery_concurrency' => 33], 'delivery_concurrency: 33 is out of range'],
            'shutdown timeout too big' => [['shutdown_timeout_ms' => 2 ** 32], 'shutdown_timeout_ms: 4294967296 is out of range'],
            'world-writable spool' => [['spool_dir' => self::worldWritable()], 'spool_dir: '],
        ];
    }

    private static function worldWritable(): string
    {
        $dir = Php::tempDir('spread-php-ww-');
        chmod($dir, 0777);
        return $dir;
    }

    public function testEmptyKeysAreConfigErrors(): void
    {
        $e = $this->thrownBy(fn () => new Client('', self::SECRET));
        $this->assertInstanceOf(ConfigException::class, $e);
        $this->assertSame('public_key: must not be empty', $e->getMessage());
        $e = $this->thrownBy(fn () => new Client('PUBLIC_KEY', "PRIV\0"));
        $this->assertInstanceOf(ConfigException::class, $e);
        $this->assertSame('private_key: contains a NUL byte', $e->getMessage());
    }

    public function testAKeyThatIsNotUtf8IsInvalidUtf8AsLibspreadSays(): void
    {
        // spread_client_new returns NULL for every failure: spread_last_status tells which.
        $e = $this->thrownBy(fn () => new Client('PUBLIC_KEY', self::SECRET . "\xFF"));
        $this->assertInstanceOf(InvalidUtf8Exception::class, $e);
        $this->assertSame(11, $e->getCode());
        $this->assertStringStartsWith('private_key: not valid UTF-8', $e->getMessage());
        $e = $this->thrownBy(fn () => new Client("\xC3", self::SECRET));
        $this->assertInstanceOf(InvalidUtf8Exception::class, $e);
        $this->assertStringStartsWith('public_key: not valid UTF-8', $e->getMessage());
    }

    public function testPlainHttpToARemoteHostNeedsTheOptIn(): void
    {
        $client = new Client('PUBLIC_KEY', 'PRIVATE_KEY', ['allow_insecure_http' => true, 'base_url' => 'http://spread.invalid/api']);
        $this->assertInstanceOf(Client::class, $client);
    }

    /** Runs last in this class (PHPUnit keeps declaration order). */
    public function testNoMessageOrTraceContainsThePrivateKey(): void
    {
        $this->assertGreaterThan(10, count(self::$seen));
        foreach (self::$seen as $e) {
            for ($x = $e; $x !== null; $x = $x->getPrevious()) {
                $this->assertStringNotContainsString(self::SECRET, $x->getMessage(), get_class($x));
                $this->assertStringNotContainsString(self::SECRET, $this->bindingFrames($x), get_class($x));
                $this->assertStringNotContainsString(self::SECRET, (string)$x, get_class($x));
            }
        }
        ob_start();
        var_dump(new Client('PUBLIC_KEY', self::SECRET));
        $this->assertStringNotContainsString(self::SECRET, ob_get_clean());
    }

    /** The binding's own stack frames with their arguments (the tests' frames hold the secret, of course). */
    private function bindingFrames(\Throwable $e): string
    {
        $frames = array_filter($e->getTrace(), fn ($f) => str_starts_with($f['class'] ?? '', 'Spread\\') && !str_starts_with($f['class'], 'Spread\\Tests\\'));
        $this->assertNotEmpty($frames);
        return print_r($frames, true);
    }

    /** Runs $f, returns what it threw (failing when nothing was thrown), and keeps it for the secret check. */
    private function thrownBy(callable $f): \Throwable
    {
        try {
            $f();
        } catch (\Throwable $e) {
            self::$seen[] = $e;
            $this->assertInstanceOf(SpreadException::class, $e, 'a Spread\SpreadException, not ' . get_class($e) . ': ' . $e->getMessage());
            // The bad-value ones are \InvalidArgumentExceptions, every other one a Spread\Exception (\RuntimeException).
            $this->assertInstanceOf($e instanceof InvalidValueException ? \InvalidArgumentException::class : Exception::class, $e);
            return $e;
        }
        $this->fail('nothing was thrown');
    }
}

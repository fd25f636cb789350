<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Client;
use Spread\ClientInterface;
use Spread\ConfigException;
use Spread\Exception;
use Spread\InvalidUtf8Exception;
use Spread\InvalidValueException;
use Spread\Library;
use Spread\NetworkException;
use Spread\Order;
use Spread\OrderState;
use Spread\SpreadException;
use Spread\Tests\Support\Php;
use Spread\Tests\Support\Sandbox;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/** Issue 26: PHP's own idioms (dates, the state enum, fromEnv, toArray, serialization, __debugInfo, the exception interface). */
final class IdiomsTest extends SandboxTestCase
{
    /** A complete order built with setters; $dt for order_crea_dt. */
    private static function order(mixed $created = '2014-06-21 14:31:08'): Order
    {
        return (new Order())->customerEmail('john@doe.com')->orderIdorder('0000001')
            ->orderState(OrderState::Taken)->orderAmount(158.31)->orderCreaDt($created);
    }

    private static function data(Order $order): array
    {
        parse_str($order->encode(), $post);
        return $post['data'];
    }

    // 1. Dates: DateTimeInterface for every date, converted to UTC in the seed's format.

    public function testOrderCreaDtTakesADateTimeConvertedToUtc(): void
    {
        $paris = new \DateTimeImmutable('2014-06-21 16:31:08', new \DateTimeZone('Europe/Paris'));
        $this->assertSame('2014-06-21 14:31:08', self::data(self::order($paris))['order_crea_dt']);
        $mutable = new \DateTime('2014-06-21 10:31:08.999', new \DateTimeZone('America/New_York'));
        $this->assertSame('2014-06-21 14:31:08', self::data(self::order($mutable))['order_crea_dt'], 'DateTime too; microseconds dropped');
        $this->assertSame('America/New_York', $mutable->getTimezone()->getName(), 'the caller\'s DateTime is not changed');
        $this->assertSame('2014-06-21 14:31:08', self::data((new Order())->field('order_crea_dt', $paris))['order_crea_dt'], 'field() too');
    }

    public function testOrderCreaDtTakesIso8601WithAnOffset(): void
    {
        foreach (['2014-06-21T16:31:08+02:00', '2014-06-21T14:31:08Z', '2014-06-21T14:31:08.250Z', '2014-06-21T09:31:08-0500'] as $iso) {
            $this->assertSame('2014-06-21 14:31:08', self::data(self::order($iso))['order_crea_dt'], $iso);
        }
        // Without an offset the instant is unknown: refused, naming the field.
        $e = $this->thrown(fn () => self::order('2014-06-21T14:31:08'));
        $this->assertInstanceOf(InvalidValueException::class, $e);
        $this->assertStringStartsWith('order_crea_dt: ', $e->getMessage());
    }

    public function testDayFieldsTakeADateTimeAsTheDayItNames(): void
    {
        $day = new \DateTimeImmutable('2019-06-05 00:30:00', new \DateTimeZone('Europe/Paris'));
        $order = self::order()->customerBirthday(new \DateTimeImmutable('1970-12-31'))
            ->orderStartService($day)->orderEndService($day->modify('+9 days'));
        $data = self::data($order);
        $this->assertSame(['1970-12-31', '2019-06-05', '2019-06-14'], [$data['customer_birthday'], $data['order_start_service'], $data['order_end_service']],
            'a calendar day is the one written, not shifted to UTC');
    }

    public function testADateTimeForANonDateFieldIsRefused(): void
    {
        $e = $this->thrown(fn () => (new Order())->customerCity(new \DateTimeImmutable()));
        $this->assertInstanceOf(\TypeError::class, $e);
        $e = $this->thrown(fn () => (new Order())->field('customer_city', new \DateTimeImmutable()));
        $this->assertInstanceOf(InvalidValueException::class, $e);
        $this->assertStringStartsWith('customer_city: expected a string or a number, got an object of class DateTimeImmutable', $e->getMessage());
    }

    public function testFromArrayTakesDatesAndStates(): void
    {
        $post = Seed::postData();
        $post['data']['order_crea_dt'] = new \DateTimeImmutable('2014-06-21 16:31:08', new \DateTimeZone('Europe/Paris'));
        $post['data']['order_state'] = OrderState::Taken;
        $post['data']['order_start_service'] = new \DateTimeImmutable('2019-06-05');
        $this->assertSame(Seed::body(), Order::fromArray($post)->encode());
    }

    // 2. Order states: an int-backed enum with SPREAD's meanings.

    public function testOrderStateIsAnIntBackedEnumWithSpreadsValues(): void
    {
        $this->assertSame([0, 10, 20, 50, 100], array_map(fn (OrderState $s) => $s->value, OrderState::cases()));
        $this->assertSame(OrderState::Paid, OrderState::from(20));
        $this->assertSame('10', self::data(self::order())['order_state']);
        foreach (OrderState::cases() as $state) {
            $this->assertSame((string)$state->value, self::data((new Order())->orderState($state))['order_state']);
            $this->assertSame((string)$state->value, self::data((new Order())->field('order_state', $state))['order_state']);
            $this->assertNotSame('', $state->label());
        }
    }

    // 3. Client::fromEnv(): the CLI's variables and its keys file.

    public function testFromEnvReadsTheCliVariables(): void
    {
        $spool = Php::tempDir('spread-php-fromenv-');
        $env = ['SPREAD_PUBLIC_KEY' => Sandbox::PUBLIC_KEY, 'SPREAD_PRIVATE_KEY' => Sandbox::PRIVATE_KEY,
            'SPREAD_BASE_URL' => $this->sandbox->baseUrl(), 'SPREAD_SPOOL' => $spool, 'SPREAD_APP_INFO' => 'EnvShop/1'];
        $client = Client::fromEnv(env: $env);
        $this->assertInstanceOf(ClientInterface::class, $client);
        $this->assertSame(200, $client->send(self::order())->status());
        $this->assertSame('10', $this->storedOrder('0000001')['order_state']);
        $this->assertSame(0, $client->pending(), 'the spool folder came from SPREAD_SPOOL');
        // As Python's from_env() and the CLI read it (PHP's did not).
        $this->assertStringEndsWith(' EnvShop/1', $this->sandbox->requests()[0]['user_agent']);
    }

    public function testFromEnvReadsTheKeysFileFirst(): void
    {
        $dir = Php::tempDir('spread-php-keys-');
        file_put_contents("$dir/keys", "# the shop's keys\nSPREAD_PUBLIC_KEY=" . Sandbox::PUBLIC_KEY . "\nSPREAD_PRIVATE_KEY=\"" . Sandbox::PRIVATE_KEY . "\"\n");
        chmod("$dir/keys", 0600);
        $env = ['SPREAD_KEYS_FILE' => "$dir/keys", 'SPREAD_PRIVATE_KEY' => 'WRONG', 'SPREAD_BASE_URL' => $this->sandbox->baseUrl()];
        $this->assertSame(200, Client::fromEnv(env: $env)->send(self::order())->status(), 'the file wins over the environment, as in the CLI');

        chmod("$dir/keys", 0644);
        $e = $this->thrown(fn () => Client::fromEnv(env: $env));
        $this->assertInstanceOf(ConfigException::class, $e);
        $this->assertStringContainsString("keys file $dir/keys: mode 0644", $e->getMessage());
        $this->assertStringNotContainsString(Sandbox::PRIVATE_KEY, $e->getMessage());
    }

    public function testTheKeysFileIsReadByTheLibraryAsTheCliReadsIt(): void
    {
        // libspread reads it (spread_client_new_from_env): this binding's own reader took
        // `export` lines the CLI refuses, and quoted a "name" that held the key.
        $dir = Php::tempDir('spread-php-keys-');
        foreach (["export SPREAD_PUBLIC_KEY=P\n" => 'line 1: not NAME=value',
                  "SPREAD_PUBLIC_KEY=P\nSPREAD_PRIVATE_KEY " . Sandbox::PRIVATE_KEY . "==\n" => 'line 2: not NAME=value',
                  "SPREAD_PUBLIC_KEY=P\xE9\n" => 'is not UTF-8 text'] as $text => $cause) {
            file_put_contents("$dir/keys", $text);
            chmod("$dir/keys", 0600);
            $e = $this->thrown(fn () => Client::fromEnv(env: ['SPREAD_KEYS_FILE' => "$dir/keys"]));
            $this->assertInstanceOf(ConfigException::class, $e);
            $this->assertSame("keys file $dir/keys: $cause", $e->getMessage());
        }
    }

    public function testFromEnvNamesAMissingKeyAndOptionsWin(): void
    {
        $e = $this->thrown(fn () => Client::fromEnv(env: ['SPREAD_PUBLIC_KEY' => 'P']));
        $this->assertInstanceOf(ConfigException::class, $e);
        $this->assertStringStartsWith('SPREAD_PRIVATE_KEY is not set', $e->getMessage());
        $env = ['SPREAD_PUBLIC_KEY' => Sandbox::PUBLIC_KEY, 'SPREAD_PRIVATE_KEY' => Sandbox::PRIVATE_KEY, 'SPREAD_BASE_URL' => 'http://127.0.0.1:1/api'];
        $this->assertSame(200, Client::fromEnv(['base_url' => $this->sandbox->baseUrl()], $env)->send(self::order())->status());
    }

    public function testFromEnvReadsTheProcessEnvironmentByDefault(): void
    {
        [$code, $out, $err] = Php::run([PHP_BINARY, '-r', 'require "' . Php::repo() . '/bindings/php/autoload.php"; '
            . 'echo Spread\Client::fromEnv()->send((new Spread\Order())->customerEmail("a@b.fr")->orderIdorder("9")->orderState(20)->orderAmount(1)->orderCreaDt("2014-06-21 14:31:08"))->status();'],
            '', ['SPREAD_PUBLIC_KEY' => Sandbox::PUBLIC_KEY, 'SPREAD_PRIVATE_KEY' => Sandbox::PRIVATE_KEY, 'SPREAD_BASE_URL' => $this->sandbox->baseUrl()] + getenv());
        $this->assertSame([0, '200'], [$code, $out], $err);
    }

    /**
     * A bad value from the environment, or a bad option given to fromEnv(), is a
     * ConfigException naming it: the handle freed on that failure was freed again by
     * the half-made object's destructor (PHP aborted, "double free", or hung on the
     * freed client's lock). In a child process, so that a crash fails this test only.
     */
    public function testABadValueForFromEnvIsAnErrorNotACrash(): void
    {
        $code = 'require "' . Php::repo() . '/bindings/php/autoload.php"; '
            . 'try { Spread\Client::fromEnv(json_decode($argv[1], true)); } catch (Spread\ConfigException $e) { echo $e->getMessage(); }';
        $keys = ['SPREAD_PUBLIC_KEY' => 'P', 'SPREAD_PRIVATE_KEY' => 'K'];
        foreach ([
            [[], ['SPREAD_BASE_URL' => 'not a url'], 'base_url: not a URL'],
            [[], ['SPREAD_APP_INFO' => "Shop\x01"], 'app_info: must be printable ASCII'],
            [['max_attempts' => 0], [], 'max_attempts: '],
        ] as [$options, $env, $want]) {
            [$status, $out, $err] = Php::run([PHP_BINARY, '-r', $code, json_encode($options)], '', $keys + $env + getenv(), 20);
            $this->assertSame(0, $status, "$want: $err");
            $this->assertStringStartsWith($want, $out, $err);
        }
    }

    // 4. toArray() and serialization through the encoded body.

    public function testToArrayIsTheSeedShapedPostData(): void
    {
        $order = Order::fromArray(Seed::postData());
        $array = $order->toArray();
        $this->assertSame('john@doe.com', $array['data']['customer_email']);
        $this->assertSame(['tag1', 'tag2'], $array['data']['add_tag']);
        $this->assertSame('value', $array['data']['custom_fields'][327]);
        $this->assertSame(Seed::body(), http_build_query($array, '', '&'));
        $this->assertSame(Seed::body(), Order::fromArray($array)->encode());
    }

    public function testAnOrderSurvivesSerialization(): void
    {
        $order = self::order(new \DateTimeImmutable('2014-06-21T14:31:08Z'))->addTag('vip')->customField(327, 'value');
        $copy = unserialize(serialize($order));
        $this->assertInstanceOf(Order::class, $copy);
        $this->assertSame($order->encode(), $copy->encode());
        $copy->customerCity('Rouen');
        $this->assertStringNotContainsString('Rouen', $order->encode(), 'the copy has its own native order');
        $this->assertSame(200, $this->client()->send($copy)->status());
        $this->assertSame('Rouen', $this->storedProfile('john@doe.com')['customer_city']);

        $lenient = Order::fromArray(['data' => ['customer_country' => 'fr'] + Seed::postData()['data']]);
        $this->assertSame($lenient->warnings(), unserialize(serialize($lenient))->warnings(), 'warnings travel too');
        $this->assertStringNotContainsString('FFI', serialize($order));
    }

    public function testATamperedSerializedOrderIsRefused(): void
    {
        $text = str_replace('customer_email%5D=john', 'customer_email%5D=not+an+email+john', serialize(self::order()));
        $text = preg_replace_callback('/s:(\d+):"(data%5B[^"]*)"/', fn ($m) => 's:' . strlen($m[2]) . ':"' . $m[2] . '"', $text);
        $e = $this->thrown(fn () => unserialize($text));
        $this->assertInstanceOf(InvalidValueException::class, $e);
        $this->assertStringStartsWith('customer_email: ', $e->getMessage());
    }

    // 5. __debugInfo shows the order, not the library alone.

    public function testVarDumpShowsTheOrder(): void
    {
        ob_start();
        var_dump(self::order()->addTag('vip'));
        $dump = (string)ob_get_clean();
        $this->assertStringContainsString('"0000001"', $dump);
        $this->assertStringContainsString('"vip"', $dump);
        $this->assertStringContainsString('["order_state"]=>', $dump);
        $this->assertStringNotContainsString('FFI', $dump);

        ob_start();
        var_dump($this->client(['timeout_ms' => 1234]));
        $dump = (string)ob_get_clean();
        $this->assertStringContainsString($this->sandbox->baseUrl(), $dump);
        $this->assertStringContainsString('1234', $dump);
        $this->assertStringNotContainsString(Sandbox::PRIVATE_KEY, $dump);
    }

    // 6. One marker interface; the bad-value exception is an \InvalidArgumentException.

    public function testEveryExceptionImplementsSpreadException(): void
    {
        foreach (glob(Php::repo() . '/bindings/php/src/*Exception.php') as $file) {
            $class = 'Spread\\' . basename($file, '.php');
            if ($class !== SpreadException::class) {
                $this->assertTrue(is_subclass_of($class, SpreadException::class), "$class implements SpreadException");
            }
        }
        $e = $this->thrown(fn () => (new Order())->orderState(7));
        $this->assertInstanceOf(SpreadException::class, $e);
        $this->assertInstanceOf(\InvalidArgumentException::class, $e);
        $this->assertInstanceOf(InvalidValueException::class, $e);
        $this->assertSame(Exception::INVALID_VALUE, $e->getCode());
        $this->assertInstanceOf(\InvalidArgumentException::class, $this->thrown(fn () => (new Order())->customerCity("Rou\xE9n")));
        $this->assertInstanceOf(InvalidUtf8Exception::class, $this->thrown(fn () => (new Order())->customerCity("Rou\xE9n")));
        $network = Library::get()->exception(Exception::NETWORK, 'down');
        $this->assertInstanceOf(NetworkException::class, $network);
        $this->assertInstanceOf(SpreadException::class, $network);
        $this->assertNotInstanceOf(\InvalidArgumentException::class, $network);
    }

    public function testSendManyStillReportsABadOrderAlone(): void
    {
        $bad = Seed::postData();
        $bad['data']['order_state'] = 7;
        $batch = $this->client()->sendMany(['bad' => $bad, 'good' => self::order()]);
        $this->assertInstanceOf(InvalidValueException::class, $batch->get('bad')->exception());
        $this->assertStringStartsWith('orders[bad]: ', $batch->get('bad')->exception()->getMessage());
        $this->assertNull($batch->get('good')->exception());
    }

    private function thrown(callable $f): \Throwable
    {
        try {
            $f();
        } catch (\Throwable $e) {
            return $e;
        }
        $this->fail('nothing was thrown');
    }
}

<?php

declare(strict_types=1);

namespace Spread\Tests;

use Spread\Tests\Support\Php;
use Spread\Tests\Support\SandboxTestCase;
use Spread\Tests\Support\Seed;

/** Deliveries the sandbox makes harder (Digest, redirects, a dropped answer), and the shipped example. */
final class DeliveryTest extends SandboxTestCase
{
    public function testDigestOnlyServer(): void
    {
        $this->sandbox->fault(['mode' => 'digest', 'algorithm' => 'SHA-256']);
        $response = $this->client()->updateOrder(Seed::postData());
        $this->sandbox->fault(['mode' => 'none']);
        $this->assertSame(200, $response->status());
        // Basic goes up front (one round trip with the real SPREAD); a Digest challenge is then answered.
        $this->assertSame(['Basic', 'Digest'], array_column($this->sandbox->requests(), 'auth_scheme'));
        $this->assertSame('10', $this->storedOrder('0000001')['order_state']);
    }

    public function testRedirectKeepsPostAndBody(): void
    {
        $this->sandbox->fault(['mode' => 'redirect', 'code' => 303, 'location' => '/api/updateOrder2', 'times' => 1]);
        $this->assertSame(200, $this->client()->updateOrder(Seed::postData())->status());
        $requests = $this->sandbox->requests();
        $this->assertSame(['/api/updateOrder', '/api/updateOrder2'], array_column($requests, 'path'));
        $this->assertSame(['POST', 'POST'], array_column($requests, 'method'));
        $this->assertSame([Seed::body(), Seed::body()], array_column($requests, 'raw'));
    }

    public function testADroppedAnswerIsRetried(): void
    {
        $this->sandbox->fault(['mode' => 'drop', 'times' => 1]);
        $response = $this->client()->updateOrder(Seed::postData());
        $this->assertSame(200, $response->status());
        $this->assertSame(['drop', null], array_column($this->sandbox->requests(), 'fault'));
        $this->assertSame(1, $this->storedOrder('0000001')['updates']);
    }

    public function testTheExampleSendsTheSeedOrder(): void
    {
        [$code, $out, $err] = Php::script(Php::repo() . '/bindings/php/examples/send_seed_order.php', [$this->sandbox->baseUrl()]);
        $this->assertSame(0, $code, $err);
        $this->assertSame('', $err);
        $this->assertStringStartsWith("status: 200\nbody: {\"status\":\"ok\",\"order_idorder\":\"0000001\",\"created\":true}", $out);
        $this->assertSame([Seed::body()], $this->receivedBodies());
    }

    public function testTheExampleTakesTheBaseUrlFromTheEnvironment(): void
    {
        $env = ['SPREAD_BASE_URL' => $this->sandbox->baseUrl(), 'PATH' => getenv('PATH') ?: '/usr/bin:/bin'];
        [$code, $out, $err] = Php::script(Php::repo() . '/bindings/php/examples/send_seed_order.php', env: $env);
        $this->assertSame(0, $code, $err);
        $this->assertStringStartsWith("status: 200\n", $out);
        $this->assertSame([Seed::body()], $this->receivedBodies());
    }

    public function testTheExampleReportsFailuresOnStderr(): void
    {
        [$code, $out, $err] = Php::script(Php::repo() . '/bindings/php/examples/send_seed_order.php', ['http://127.0.0.1:' . Php::freePort() . '/api']);
        $this->assertSame(1, $code);
        $this->assertSame('', $out);
        $this->assertMatchesRegularExpression('/^SPREAD: .+ \(Spread\\\\NetworkException\)$/', trim($err));
    }
}

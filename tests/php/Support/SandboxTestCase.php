<?php

declare(strict_types=1);

namespace Spread\Tests\Support;

use PHPUnit\Framework\TestCase;
use Spread\Client;

/** A test that talks to the shared sandbox, reset before each test. */
abstract class SandboxTestCase extends TestCase
{
    protected Sandbox $sandbox;

    protected function setUp(): void
    {
        $this->sandbox = Sandbox::shared();
        $this->sandbox->reset();
    }

    /** @param array<string, mixed> $options */
    protected function client(array $options = []): Client
    {
        return new Client(Sandbox::PUBLIC_KEY, Sandbox::PRIVATE_KEY, $options + ['base_url' => $this->sandbox->baseUrl()]);
    }

    /** The one stored order. */
    protected function storedOrder(string $id): array
    {
        $state = $this->sandbox->state();
        $this->assertArrayHasKey($id, $state['orders'], 'order not stored: ' . json_encode($state));
        return $state['orders'][$id];
    }

    protected function storedProfile(string $key): array
    {
        $state = $this->sandbox->state();
        $this->assertArrayHasKey($key, $state['profiles'], 'profile not stored: ' . json_encode($state));
        return $state['profiles'][$key];
    }

    /** The raw bodies the sandbox received, oldest first. */
    protected function receivedBodies(): array
    {
        return array_column($this->sandbox->requests(), 'raw');
    }
}

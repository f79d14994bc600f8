<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The wiring every entry point shares (ServerModule, MetricProvider, Hooks,
 * AdminEndpoint): a Guard around the Logger, and the Config loader each
 * call's Client is built from. Config::load by default; tests pass their own.
 */
trait CallsStaas
{
    private readonly Guard $guard;
    /** @var \Closure(array<string, mixed>): Config */
    private readonly \Closure $loadConfig;

    /** @param (\Closure(array<string, mixed>): Config)|null $loadConfig Config::load by default */
    private function wire(?\Closure $loadConfig, ?Logger $logger): void
    {
        $this->guard = new Guard($logger ?? new Logger());
        $this->loadConfig = $loadConfig ?? static fn (array $params): Config => Config::load($params);
    }

    /** @param array<string, mixed> $params the server entry's params; [] outside a module function */
    private function client(array $params = []): Client
    {
        return new Client(($this->loadConfig)($params), $this->guard->logger());
    }
}

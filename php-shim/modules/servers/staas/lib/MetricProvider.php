<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;
use WHMCS\UsageBilling\Metrics\Metric;
use WHMCS\UsageBilling\Metrics\Units\GigaBytes;
use WHMCS\UsageBilling\Metrics\Units\WholeNumber;
use WHMCS\UsageBilling\Metrics\Usage;

/**
 * WHMCS usage billing (staas_MetricProvider): the metrics staas bills
 * by, and each service's figures from staas's `metrics` module call.
 *
 * WHMCS constructs it with the SERVER's params and calls it from cron
 * ("Tenant Usage Metrics") and the admin's "Refresh Now". WHMCS matches
 * a tenant to a service by the service's domain (WHMCS/developer-docs
 * issue #163), so figures are keyed by tblhosting's domain, which create
 * set to the S3 user's email. Nothing is thrown out of here: a failure
 * is logged (module log and Activity Log) and answered with no figures.
 */
final class MetricProvider implements \WHMCS\UsageBilling\Contracts\Metrics\ProviderInterface
{
    use CallsStaas;

    /** The metric names staas answers (whmcsbridge/metrics.go): never renamed once released. */
    public const GB_METRICS = ['storage', 'storage_gbmonth', 'egress', 'ingress'];
    public const COUNT_METRICS = ['requests_get', 'requests_put', 'requests_list', 'requests_other'];

    /**
     * @param array<string, mixed>                                $params    the server's params
     * @param (\Closure(array<string, mixed>): Config)|null $loadConfig Config::load by default
     */
    public function __construct(
        private readonly array $params,
        ?\Closure $loadConfig = null,
        ?Logger $logger = null,
        private readonly HostingTable $hosting = new HostingTable(),
    ) {
        $this->wire($loadConfig, $logger);
    }

    /**
     * The metrics, without usage: no call to staas, never fails.
     *
     * @return list<Metric>
     */
    public function metrics(): array
    {
        $month = MetricInterface::TYPE_PERIOD_MONTH;
        $requests = static fn (): WholeNumber => new WholeNumber('Requests', 'Request', 'Requests');

        return [
            new Metric('storage', 'Storage', MetricInterface::TYPE_SNAPSHOT, new GigaBytes('Storage')),
            new Metric(
                'storage_gbmonth',
                'Storage (GB-months)',
                $month,
                new GigaBytes('Storage (GB-months)', 'GB-month', 'GB-months', null, 'GB-months'),
            ),
            new Metric('egress', 'Download (egress)', $month, new GigaBytes('Bandwidth')),
            new Metric('ingress', 'Upload (ingress)', $month, new GigaBytes('Bandwidth')),
            new Metric('requests_get', 'GET requests', $month, $requests()),
            new Metric('requests_put', 'PUT requests', $month, $requests()),
            new Metric('requests_list', 'LIST requests', $month, $requests()),
            new Metric('requests_other', 'Other requests', $month, $requests()),
        ];
    }

    /**
     * Every Active and Suspended service of this server: domain => its
     * metrics with usage. Services staas has no S3 user for are absent.
     *
     * @return array<string, list<Metric>>
     */
    public function usage(): array
    {
        return $this->guard->call(
            Entry::reported(
                'metrics',
                $this->summary(),
                'MetricProvider usage',
                'fetching usage figures (MetricProvider usage)',
            ),
            function (): array {
                $serverId = $this->serverId();
                $domains = $this->hosting->billedServices($serverId);
                if ($domains === []) {
                    return [];
                }
                $client = $this->client($this->params);
                $out = [];
                $failures = [];
                $missed = 0;
                foreach (array_chunk(array_keys($domains), ServerModule::USAGE_CHUNK) as $chunk) {
                    try {
                        $request = Payload::usage($serverId, $chunk, $this->params);
                        $answer = $client->call('/shim/v1/module/metrics', $request, 'metrics');
                    } catch (StaasException $e) {
                        // The other chunks still count; this one is reported below.
                        $failures[] = $e;
                        $missed += count($chunk);
                        continue;
                    }
                    $out += $this->tenants($answer, $domains);
                }
                if ($failures !== []) {
                    $what = 'fetching the usage of ' . $missed . ' of the ' . count($domains) . ' services on server '
                        . $serverId . ' (' . count($failures) . ' call(s) to staas)';
                    $entry = Entry::reported('metrics', $this->summary(), 'MetricProvider usage', $what);
                    $this->guard->failed($entry, $failures[0]);
                }

                return $out;
            },
            static fn (string $message): array => [],
        );
    }

    /**
     * The metrics with usage of the service on this server whose domain is
     * $tenant; [] for a tenant this server has no service for.
     *
     * @return list<Metric>
     */
    public function tenantUsage($tenant): array
    {
        return $this->guard->call(
            Entry::reported(
                'metrics',
                $this->summary(),
                'MetricProvider tenantUsage',
                'fetching usage figures (MetricProvider tenantUsage)',
            ),
            function () use ($tenant): array {
                if (!is_string($tenant) || $tenant === '') {
                    return [];
                }
                $serverId = $this->serverId();
                $services = $this->hosting->billedServices($serverId);
                $domains = array_filter($services, static fn (string $d): bool => $d === $tenant);
                if ($domains === []) {
                    return [];
                }
                $request = Payload::usage($serverId, array_keys($domains), $this->params);
                $answer = $this->client($this->params)->call('/shim/v1/module/metrics', $request, 'metrics');

                return $this->tenants($answer, $domains)[$tenant] ?? [];
            },
            static fn (string $message): array => [],
        );
    }

    private function serverId(): int
    {
        $serverId = Payload::id($this->params['serverid'] ?? 0);
        if ($serverId <= 0) {
            throw new StaasException('The MetricProvider was called without a server id.', StaasException::LOCAL);
        }

        return $serverId;
    }

    /** @return array<string, int> what the module log shows of the server's params */
    private function summary(): array
    {
        return ['serverid' => Payload::id($this->params['serverid'] ?? 0)];
    }

    /**
     * staas's MetricsResponse as WHMCS takes it: the domain WHMCS has for
     * each service asked => its metrics with usage.
     *
     * @param array<string, mixed> $answer
     * @param array<int, string>   $domains id => domain of the services asked
     *
     * @return array<string, list<Metric>>
     */
    private function tenants(array $answer, array $domains): array
    {
        $collectedAt = Payload::id($answer['collected_at'] ?? 0);
        if ($collectedAt <= 0) {
            $collectedAt = time();
        }
        $out = [];
        foreach (is_array($answer['services'] ?? null) ? $answer['services'] : [] as $s) {
            $id = is_array($s) ? Payload::id($s['service_id'] ?? 0) : 0;
            if ($id <= 0 || !isset($domains[$id]) || !is_array($s['metrics'] ?? null)) {
                continue;
            }
            $domain = $domains[$id];
            $tenant = is_string($s['tenant'] ?? null) ? $s['tenant'] : '';
            if ($domain === '' || isset($out[$domain])) {
                $this->guard->logger()->moduleCall(
                    'metrics',
                    ['service_id' => $id, 'tenant' => $tenant],
                    ['domain' => $domain],
                    'Service ' . $id . ($domain === '' ? ' has no domain' : ' shares its domain with another service')
                    . ', so WHMCS cannot match its usage; it was left out.'
                );
                continue;
            }
            if ($tenant !== $domain) {
                $this->guard->logger()->moduleCall(
                    'metrics',
                    ['service_id' => $id, 'tenant' => $tenant],
                    ['domain' => $domain],
                    'Service ' . $id . '\'s domain is not its S3 user\'s email; '
                    . 'its usage is filed under the domain WHMCS has.'
                );
            }
            $out[$domain] = $this->withUsage($s['metrics'], $collectedAt);
        }

        return $out;
    }

    /**
     * @param array<mixed> $values
     *
     * @return list<Metric>
     */
    private function withUsage(array $values, int $collectedAt): array
    {
        $out = [];
        foreach ($this->metrics() as $metric) {
            $name = $metric->systemName();
            $v = $values[$name] ?? 0;
            $v = is_int($v) || is_float($v) ? $v : 0;
            $v = in_array($name, self::COUNT_METRICS, true) ? max(0, (int) $v) : max(0.0, (float) $v);
            $out[] = $metric->withUsage(new Usage($v, $collectedAt));
        }

        return $out;
    }
}

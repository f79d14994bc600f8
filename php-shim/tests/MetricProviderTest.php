<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Database\Capsule;
use WHMCS\Module\Server\Staas\MetricProvider;
use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;
use WHMCS\UsageBilling\Contracts\Metrics\ProviderInterface;
use WHMCS\UsageBilling\Metrics\Metric;
use WHMCS\UsageBilling\Metrics\Units\GigaBytes;
use WHMCS\UsageBilling\Metrics\Units\WholeNumber;
use WHMCS\UsageBilling\Metrics\Usage;

/**
 * WHMCS usage billing: staas_MetricProvider against the real staas, keyed
 * by tblhosting's domain as WHMCS matches tenants.
 */
final class MetricProviderTest extends StaasTestCase
{
    private const TYPES = [
        'storage' => MetricInterface::TYPE_SNAPSHOT,
        'storage_gbmonth' => MetricInterface::TYPE_PERIOD_MONTH,
        'egress' => MetricInterface::TYPE_PERIOD_MONTH,
        'ingress' => MetricInterface::TYPE_PERIOD_MONTH,
        'requests_get' => MetricInterface::TYPE_PERIOD_MONTH,
        'requests_put' => MetricInterface::TYPE_PERIOD_MONTH,
        'requests_list' => MetricInterface::TYPE_PERIOD_MONTH,
        'requests_other' => MetricInterface::TYPE_PERIOD_MONTH,
    ];

    public function testMetricsListsTheContractsNamesWithoutCallingStaas(): void
    {
        $this->staasDown();
        $provider = staas_MetricProvider($this->serverParams(61));
        $this->assertInstanceOf(ProviderInterface::class, $provider);

        $metrics = $provider->metrics();
        $this->assertSame(
            array_keys(self::TYPES),
            array_map(static fn (Metric $m): string => $m->systemName(), $metrics),
        );
        foreach ($metrics as $m) {
            $name = $m->systemName();
            $this->assertSame(self::TYPES[$name], $m->type(), $name);
            $this->assertNull($m->usage(), $name);
            $this->assertNotSame('', (string) $m->displayName(), $name);
            if (str_starts_with($name, 'requests_')) {
                $this->assertInstanceOf(WholeNumber::class, $m->units(), $name);
                $this->assertNotInstanceOf(GigaBytes::class, $m->units(), $name);
            } else {
                $this->assertInstanceOf(GigaBytes::class, $m->units(), $name);
            }
        }
        $this->assertSame([], \WhmcsStub::$moduleLog, 'metrics() must not call staas');
    }

    public function testUsageKeysEveryServiceByItsDomain(): void
    {
        [$a, $emailA] = $this->createdService(62);
        [$b, $emailB] = $this->createdService(62);
        $this->assertSame($emailA, Capsule::$tables['tblhosting'][$a]['domain']);
        // 2 objects of 1,000,000 bytes: 0.002 GB once staas has sampled them.
        $this->control()->addBucket($emailA, 'metrics-' . $a, 2, 1000000);
        // Neither a terminated service nor another server's is asked about.
        $gone = $this->newServiceId();
        Capsule::$tables['tblhosting'][$gone] = [
            'id' => $gone,
            'server' => 62,
            'domain' => 'gone@example.com',
            'domainstatus' => 'Terminated',
        ];
        $other = $this->newServiceId();
        Capsule::$tables['tblhosting'][$other] = [
            'id' => $other,
            'server' => 63,
            'domain' => 'other@example.com',
            'domainstatus' => 'Active',
        ];

        $provider = staas_MetricProvider($this->serverParams(62));
        $deadline = microtime(true) + 15;
        do {
            \WhmcsStub::$moduleLog = [];
            $usage = $provider->usage();
            $storage = isset($usage[$emailA]) ? $this->values($usage[$emailA])['storage'] : null;
            if ($storage !== null && $storage > 0) {
                break;
            }
            usleep(250000);
        } while (microtime(true) < $deadline);

        $this->assertSame([$emailA, $emailB], array_keys($usage));
        $answer = $this->lastAnswer();
        $this->assertEqualsCanonicalizing([$a, $b], $this->lastRequest()['service_ids']);
        $this->assertSame(62, $this->lastRequest()['server_id']);
        $bySid = array_column($answer['services'], null, 'service_id');
        foreach ([$a => $emailA, $b => $emailB] as $sid => $email) {
            $this->assertSame($email, $bySid[$sid]['tenant']);
            $this->assertMetrics($usage[$email], $bySid[$sid]['metrics'], $answer['collected_at']);
        }
        $this->assertSame(0.002, $this->values($usage[$emailA])['storage'], 'the sampled storage in GB');
        $this->assertSame(0.0, $this->values($usage[$emailB])['storage']);
        // The harness's staas collects traffic hourly from a wall-clock
        // simulator, so the month figures here are zero; their values and
        // types still come from staas's answer.
        $this->assertSame(0, $this->values($usage[$emailA])['requests_get']);
        $this->assertNotLogged($this->secret(), 'the shared secret');
    }

    public function testTenantUsageAnswersOneServiceAndNothingForAStranger(): void
    {
        [$a, $emailA] = $this->createdService(64);
        [, $emailB] = $this->createdService(64);
        $provider = staas_MetricProvider($this->serverParams(64));

        $metrics = $provider->tenantUsage($emailA);
        $this->assertSame([$a], $this->lastRequest()['service_ids'], 'one call for the one service');
        $this->assertSame($emailA, $this->lastAnswer()['services'][0]['tenant']);
        $this->assertMetrics(
            $metrics,
            $this->lastAnswer()['services'][0]['metrics'],
            $this->lastAnswer()['collected_at'],
        );
        $this->assertCount(8, $provider->tenantUsage($emailB));

        \WhmcsStub::$moduleLog = [];
        $this->assertSame([], $provider->tenantUsage('nobody@example.com'));
        $this->assertSame([], $provider->tenantUsage(''));
        $this->assertSame([], \WhmcsStub::$moduleLog, 'an unknown tenant needs no call');
        $this->assertSame(
            [],
            staas_MetricProvider($this->serverParams(65))->tenantUsage($emailA),
            'another server\'s tenant',
        );
    }

    public function testStaasDownIsNoFiguresAndALogEntryWithoutTheSecret(): void
    {
        [, $email] = $this->createdService(66);
        \WhmcsStub::$moduleLog = [];
        $this->staasDown();
        $provider = staas_MetricProvider($this->serverParams(66));

        $this->assertSame([], $provider->usage());
        $this->assertSame([], $provider->tenantUsage($email));
        $this->assertCount(2, \WhmcsStub::$moduleLog);
        foreach (\WhmcsStub::$moduleLog as $e) {
            $this->assertSame('metrics', $e['action']);
            $this->assertStringContainsString('unreachable', (string) $e['processed']);
        }
        $this->assertCount(
            2,
            \WhmcsStub::$activity,
            'the module log is off unless an admin turns it on: the Activity Log says why figures are missing',
        );
        $this->assertStringContainsString(
            'staas: fetching the usage of 1 of the 1 services on server 66 (1 call(s) to staas) failed: '
            . 'staas is unreachable',
            \WhmcsStub::activityText(),
        );
        $this->assertStringContainsString(
            'staas: fetching usage figures (MetricProvider tenantUsage) failed: staas is unreachable',
            \WhmcsStub::activityText(),
        );
        $this->assertNotLogged($this->secret(), 'the shared secret');
    }

    public function testAServerEntrysAccessHashIsMaskedWhenStaasIsDown(): void
    {
        $sid = $this->newServiceId();
        Capsule::$tables['tblhosting'][$sid] = [
            'id' => $sid,
            'server' => 67,
            'domain' => 'x@example.com',
            'domainstatus' => 'Active',
        ];
        $hash = 'access-hash-' . bin2hex(random_bytes(16));
        $params = $this->serverParams(67);
        $params['serveraccesshash'] = $hash;
        $params['serverhostname'] = parse_url(self::env('STAAS_DOWN_URL'), PHP_URL_HOST) . ':' . parse_url(
            self::env('STAAS_DOWN_URL'),
            PHP_URL_PORT,
        );
        $params['serversecure'] = false;

        $this->assertSame([], staas_MetricProvider($params)->usage());
        $this->assertNotSame([], \WhmcsStub::$moduleLog);
        $this->assertNotLogged($hash, 'the server\'s access hash');
    }

    public function testADatabaseFailureIsNoFigures(): void
    {
        Capsule::$failWith = new \RuntimeException('SQLSTATE[HY000] [2002] Connection refused');
        $provider = staas_MetricProvider($this->serverParams(68));
        $this->assertSame([], $provider->usage());
        $this->assertSame([], $provider->tenantUsage('a@example.com'));
        $this->assertCount(8, $provider->metrics());
        $this->assertStringContainsString('Connection refused', \WhmcsStub::moduleLogText());
    }

    public function testAChangedDomainIsTheKey(): void
    {
        [$a, $email] = $this->createdService(69);
        $renamed = 'renamed-' . $a . '@example.com';
        Capsule::$tables['tblhosting'][$a]['domain'] = $renamed;
        \WhmcsStub::$moduleLog = [];
        $provider = staas_MetricProvider($this->serverParams(69));

        $usage = $provider->usage();
        $this->assertSame([$renamed], array_keys($usage));
        $this->assertSame($email, $this->lastAnswer()['services'][0]['tenant'], 'staas still knows the S3 email');
        $this->assertCount(8, $usage[$renamed]);
        $this->assertStringContainsString('filed under the domain WHMCS has', \WhmcsStub::moduleLogText());
        $this->assertCount(8, $provider->tenantUsage($renamed));
        $this->assertSame([], $provider->tenantUsage($email), 'WHMCS knows the service by its current domain only');
    }

    public function testUsageAsksInChunks(): void
    {
        for ($i = 1; $i <= 2500; $i++) {
            Capsule::$tables['tblhosting'][800000 + $i] = [
                'id' => 800000 + $i,
                'server' => 70,
                'domain' => 'd' . $i . '@example.com',
                'domainstatus' => $i % 2 ? 'Active' : 'Suspended',
            ];
        }
        $this->assertSame(
            [],
            staas_MetricProvider($this->serverParams(70))->usage(),
            'staas has no S3 user for any of them',
        );
        $calls = array_values(
            array_filter(\WhmcsStub::$moduleLog, static fn (array $e): bool => $e['action'] === 'metrics'),
        );
        $this->assertSame(
            [1000, 1000, 500],
            array_map(static fn (array $e): int => count($e['request']['body']['service_ids']), $calls),
        );
    }

    public function testAServerWithoutServicesCallsNothing(): void
    {
        $this->assertSame([], staas_MetricProvider($this->serverParams(71))->usage());
        $this->assertSame([], staas_MetricProvider([])->usage(), 'no server id');
        $this->assertSame(
            [],
            array_filter(\WhmcsStub::$moduleLog, static fn (array $e): bool => isset($e['request']['url'])),
        );
    }

    /** @return array<string, mixed> the server params WHMCS passes staas_MetricProvider */
    private function serverParams(int $serverId): array
    {
        return [
            'serverid' => (string) $serverId, 'serverip' => '', 'serverhostname' => '', 'serverusername' => '',
            'serverpassword' => 'server-password-never-sent', 'serveraccesshash' => '', 'serversecure' => true,
            'serverport' => '',
        ];
    }

    /** @return array{0: int, 1: string} a service created through the module, Active on $serverId */
    private function createdService(int $serverId): array
    {
        $client = $this->newClient('metrics');
        $sid = $this->newServiceId();
        $this->assertSame('success', staas_CreateAccount($this->moduleParams($client, $sid, [], 'Pending', $serverId)));
        Capsule::$tables['tblhosting'][$sid]['domainstatus'] = 'Active';

        return [$sid, $this->s3Email($client, $sid)];
    }

    /**
     * @param list<Metric> $metrics
     *
     * @return array<string, mixed> name => usage value
     */
    private function values(array $metrics): array
    {
        $out = [];
        foreach ($metrics as $m) {
            $this->assertInstanceOf(Usage::class, $m->usage());
            $out[$m->systemName()] = $m->usage()->value();
        }

        return $out;
    }

    /** @param list<Metric> $metrics */
    private function assertMetrics(array $metrics, array $wire, int $collectedAt): void
    {
        $this->assertSame(
            array_keys(self::TYPES),
            array_map(static fn (Metric $m): string => $m->systemName(), $metrics),
        );
        foreach ($metrics as $m) {
            $name = $m->systemName();
            $this->assertSame(self::TYPES[$name], $m->type(), $name);
            $this->assertSame($collectedAt, $m->usage()->collectedAt(), $name);
            $value = $m->usage()->value();
            if (str_starts_with($name, 'requests_')) {
                $this->assertIsInt($value, $name);
                $this->assertSame($wire[$name], $value, $name);
            } else {
                $this->assertIsFloat($value, $name);
                $this->assertSame((float) $wire[$name], $value, $name);
            }
        }
        $this->assertGreaterThan(time() - 40 * 86400, $collectedAt);
        $this->assertLessThanOrEqual(time() + 5, $collectedAt);
    }

    /** @return array<string, mixed> the body of the last metrics call */
    private function lastRequest(): array
    {
        return $this->lastCall()['request']['body'];
    }

    /** @return array<string, mixed> staas's answer to the last metrics call */
    private function lastAnswer(): array
    {
        return $this->lastCall()['response']['body'];
    }

    private function lastCall(): array
    {
        foreach (array_reverse(\WhmcsStub::$moduleLog) as $e) {
            if ($e['action'] === 'metrics' && isset($e['request']['body'])) {
                return $e;
            }
        }
        $this->fail('no metrics call');
    }
}

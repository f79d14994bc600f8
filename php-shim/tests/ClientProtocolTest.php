<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Module\Server\Staas\Client;
use WHMCS\Module\Server\Staas\Config;
use WHMCS\Module\Server\Staas\Logger;
use WHMCS\Module\Server\Staas\ServerModule;
use WHMCS\Module\Server\Staas\StaasException;
use WHMCS\Module\Server\Staas\Whmcs;

/**
 * What goes over the wire, checked by Go's verifier on a fake staas, and
 * what the shim makes of answers a real staas never gives.
 */
final class ClientProtocolTest extends StaasTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        $this->useServer(self::env('STAAS_FAKE_URL'));
        $this->control()->fake(200, '{"result":"success"}');
    }

    private function client(?int $timeout = null): Client
    {
        $config = Config::load(
            [],
            null,
            ['STAAS_URL' => self::env('STAAS_FAKE_URL'), 'STAAS_SHIM_SECRET' => $this->secret()],
        );
        if ($timeout !== null) {
            $dir = sys_get_temp_dir() . '/staas-timeout-' . bin2hex(random_bytes(4));
            mkdir($dir);
            $file = $dir . '/config.php';
            file_put_contents(
                $file,
                "<?php\nreturn " . var_export(
                    [
                        'url' => self::env('STAAS_FAKE_URL'),
                        'secret' => $this->secret(),
                        'timeout' => $timeout,
                        'connect_timeout' => 1,
                    ],
                    true,
                ) . ";\n",
            );
            $config = Config::load([], $file, []);
            unlink($file);
            rmdir($dir);
        }

        return new Client($config, new Logger());
    }

    private function refusal(callable $call): StaasException
    {
        try {
            $call();
        } catch (StaasException $e) {
            return $e;
        }
        $this->fail('the call did not fail');
    }

    public function testRequestsAreSignedAsGoVerifiesThem(): void
    {
        $client = $this->newClient('zoë');
        $params = $this->moduleParams(
            $client,
            $this->newServiceId(),
            ['ops_get' => '100', 'email_template' => 'ünï-{service_id}+{local}@{domain}'],
        );
        $this->assertSame('success', staas_SuspendAccount($params + ['suspendreason' => 'Grüße — ✓ 日本 🚀']));
        $last = $this->control()->fakeLast();
        $this->assertSame('ok', $last['signature'], 'Go\'s verifier refused the PHP signature');
        $this->assertSame('POST', $last['method']);
        $this->assertSame('/shim/v1/module/suspend', $last['uri']);
        $this->assertSame('application/json', $last['content_type']);
        $this->assertEquals(
            ['X-Staas-Timestamp' => 1, 'X-Staas-Nonce' => 1, 'X-Staas-Signature' => 1],
            $last['header_counts'],
        );
        $body = json_decode($last['body'], true);
        $this->assertSame('Grüße — ✓ 日本 🚀', $body['params']['suspend_reason']);
        $this->assertSame($client['email'], $body['client_email']);
    }

    /**
     * Every module call and usage call names the cluster of the WHMCS
     * server entry it runs for: its Username, trimmed, as "cluster"; ""
     * (staas's default cluster) when the entry leaves Username empty.
     */
    public function testModuleAndUsageCallsNameTheServerEntrysCluster(): void
    {
        $sid = $this->newServiceId();
        $params = ['serverusername' => " eu-2\t"] + $this->moduleParams(
            $this->newClient('cluster'),
            $sid,
            [],
            'Active',
            77,
        );
        \WHMCS\Database\Capsule::$tables['tblhosting'][$sid]['domain'] = 'tenant@example.com';
        $this->loginAdmin();
        $calls = [
            'create' => static fn () => staas_CreateAccount($params),
            'suspend' => static fn () => staas_SuspendAccount($params),
            'unsuspend' => static fn () => staas_UnsuspendAccount($params),
            'terminate' => static fn () => staas_TerminateAccount($params),
            'change-package' => static fn () => staas_ChangePackage($params),
            'test-connection' => static fn () => staas_TestConnection($params),
            'services-tab' => static fn () => staas_AdminServicesTabFields($params),
            'client-area' => static fn () => staas_ClientArea($params),
            'client-action/generate-key' => function () use ($params) {
                $this->post([]);

                return staas_generatekey($params);
            },
            'usage-update' => static fn () => staas_UsageUpdate($params),
            'metrics' => static fn () => staas_MetricProvider($params)->tenantUsage('tenant@example.com'),
        ];
        foreach ($calls as $path => $call) {
            $before = $this->control()->fakeLast()['requests'] ?? 0;
            $call();
            $last = $this->control()->fakeLast();
            $this->assertSame($before + 1, $last['requests'], "{$path} called staas once");
            $this->assertSame('/shim/v1/module/' . $path, $last['uri']);
            $this->assertSame(
                'eu-2',
                json_decode($last['body'], true)['cluster'] ?? null,
                "{$path} names the server entry's cluster",
            );
        }

        $params['serverusername'] = '';
        staas_UsageUpdate($params);
        $this->assertSame(
            '',
            json_decode($this->control()->fakeLast()['body'], true)['cluster'] ?? null,
            'no Username: the default cluster',
        );
        staas_SuspendAccount($params);
        $this->assertSame(
            '',
            json_decode($this->control()->fakeLast()['body'], true)['cluster'] ?? null,
            'no Username: the default cluster',
        );
    }

    public function testEveryCallGetsANewNonce(): void
    {
        $c = $this->client();
        $c->call('/shim/v1/module/test-connection', ['service_id' => 0], 'test');
        $c->call('/shim/v1/module/test-connection', ['service_id' => 0], 'test');
        // The fake's verifier remembers nonces: a reused one would say "replayed".
        $this->assertSame('ok', $this->control()->fakeLast()['signature']);
    }

    public function testAProxysHtmlPageIsNamedAsSuch(): void
    {
        $this->control()->fake(502, '<html><body>Bad Gateway</body></html>');
        $e = $this->refusal(fn () => $this->client()->call('/shim/v1/module/create', [], 'create'));
        $this->assertSame(StaasException::PROTOCOL, $e->kind);
        $this->assertStringContainsString(
            'answered HTTP 502 without the shim protocol\'s JSON answer',
            $e->getMessage(),
        );
        $this->assertSame(502, $e->httpStatus);
    }

    public function testA404HintsAtAnOlderStaas(): void
    {
        $this->control()->fake(404, '{"message":"Not Found"}');
        $e = $this->refusal(fn () => $this->client()->call('/shim/v1/module/create', [], 'create'));
        $this->assertStringContainsString('as new as this shim', $e->getMessage());
    }

    public function testStaasRefusalsPassThroughScrubbed(): void
    {
        $secret = $this->secret();
        $this->control()->fake(
            409,
            json_encode([
                'result' => 'error',
                'code' => 'conflict',
                'message' => "The S3 user owns buckets:\n a, b. key={$secret}",
            ]),
        );
        $e = $this->refusal(fn () => $this->client()->call('/shim/v1/module/terminate', [], 'terminate'));
        $this->assertSame(StaasException::REFUSED, $e->kind);
        $this->assertSame('conflict', $e->staasCode);
        $this->assertSame(409, $e->httpStatus);
        $this->assertStringContainsString('The S3 user owns buckets: a, b.', $e->getMessage());
        $this->assertStringNotContainsString($secret, $e->getMessage());
        $this->assertStringNotContainsString("\n", $e->getMessage());

        // The module function returns it as WHMCS's error string.
        $r = staas_TerminateAccount($this->moduleParams($this->newClient(), $this->newServiceId()));
        $this->assertStringStartsWith('The S3 user owns buckets', $r);
        $this->assertStringNotContainsString($secret, $r);
        $this->assertNotLogged($secret, 'the shared secret');
    }

    public function testAnErrorWithoutMessageStillSaysSomething(): void
    {
        $this->control()->fake(500, '{"result":"error"}');
        $r = staas_CreateAccount($this->moduleParams($this->newClient(), $this->newServiceId()));
        $this->assertStringContainsString('staas refused the call (HTTP 500) without saying why', $r);
    }

    public function testOddEnvelopes(): void
    {
        $answers = [
            [200, '{"result":"maybe"}'], [500, '{"result":"success"}'], [200, '[1,2]'], [200, ''], [200, 'null'],
        ];
        foreach ($answers as [$status, $body]) {
            $this->control()->fake($status, $body);
            $e = $this->refusal(fn () => $this->client()->call('/shim/v1/module/create', [], 'create'));
            $this->assertSame(StaasException::PROTOCOL, $e->kind, $body);
        }
    }

    public function testAHugeAnswerIsCutOff(): void
    {
        $this->control()->fake(200, str_repeat('x', 1024), 0, 9 * 1024);
        $e = $this->refusal(fn () => $this->client()->call('/shim/v1/module/client-area', [], 'client-area'));
        $this->assertSame(StaasException::PROTOCOL, $e->kind);
        $this->assertStringContainsString('more than 8 MiB', $e->getMessage());
    }

    public function testASlowStaasTimesOut(): void
    {
        $this->control()->fake(200, '{"result":"success"}', 2500);
        $start = microtime(true);
        $e = $this->refusal(fn () => $this->client(1)->call('/shim/v1/module/create', [], 'create'));
        $this->assertLessThan(2.4, microtime(true) - $start, 'the timeout from config.php was not applied');
        $this->assertSame(StaasException::UNREACHABLE, $e->kind);
        $this->assertStringContainsString('timed out', $e->getMessage());
        $this->control()->fake(200, '{"result":"success"}');
    }

    public function testUnreachableCoreFunctionsPointAtTheModuleQueue(): void
    {
        $this->staasDown();
        $client = $this->newClient();
        $sid = $this->newServiceId();
        $params = $this->moduleParams($client, $sid);
        \WHMCS\Database\Capsule::$tables['tblhosting'][$sid]['domainstatus'] = 'Active';
        $down = self::env('STAAS_DOWN_URL');
        $functions = [
            'staas_CreateAccount',
            'staas_SuspendAccount',
            'staas_UnsuspendAccount',
            'staas_TerminateAccount',
            'staas_ChangePackage',
        ];
        foreach ($functions as $fn) {
            $r = $fn($params);
            $this->assertStringStartsWith("staas is unreachable at {$down}: ", $r, $fn);
            $this->assertStringEndsWith('; WHMCS keeps the action in its Module Queue to retry.', $r, $fn);
        }
        $t = staas_TestConnection($params);
        $this->assertFalse($t['success']);
        $this->assertStringStartsWith("staas is unreachable at {$down}", $t['error']);
        $this->assertStringStartsWith("staas is unreachable at {$down}", staas_UsageUpdate($params));
        $tab = staas_AdminServicesTabFields($params);
        $this->assertStringContainsString('staas is unreachable', $tab['staas']);
    }

    public function testAMissingConfigurationIsAMessageNotACrash(): void
    {
        putenv('STAAS_URL=');
        putenv('STAAS_SHIM_SECRET=');
        $module = new ServerModule(
            new Whmcs(),
            static fn (array $p): Config => Config::load($p, '/nonexistent/config.php'),
        );
        $r = $module->createAccount($this->moduleParams($this->newClient(), $this->newServiceId()));
        $this->assertStringContainsString('staas is not configured', $r);
        $this->assertStringContainsString('config.example.php', $r);
        $this->assertStringContainsString(
            'staas is not configured',
            \WhmcsStub::moduleLogText(),
            'the module log shows why',
        );
    }

    public function testAPhpWarningBecomesAMessage(): void
    {
        $module = new ServerModule(new Whmcs(), static function (array $p): Config {
            $x = [];

            return Config::load([], null, ['STAAS_URL' => (string) $x['missing'], 'STAAS_SHIM_SECRET' => 'x']);
        });
        $r = $module->createAccount([]);
        $this->assertStringContainsString('the staas shim failed in create: Undefined array key "missing"', $r);
    }
}

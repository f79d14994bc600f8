<?php

declare(strict_types=1);

namespace StaasShimTests;

use PHPUnit\Framework\TestCase;
use WHMCS\Module\Server\Staas\Payload;
use WHMCS\Module\Server\Staas\ProductSettings;
use WHMCS\Module\Server\Staas\Signer;

/**
 * The shared fixtures of whmcsbridge/testdata/shim, which the Go side
 * tests against too: the PHP must reproduce every signature, and what it
 * builds for a request must decode to the fixture's value.
 */
final class ProtocolFixturesTest extends TestCase
{
    private static function fixture(string $name): mixed
    {
        $path = StaasTestCase::env('STAAS_FIXTURES') . '/' . $name;
        $raw = file_get_contents($path);
        if ($raw === false) {
            throw new \RuntimeException("fixture {$path} is missing");
        }

        return json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return array<string, array{0: array<string, mixed>}> */
    public static function signingVectors(): array
    {
        $out = [];
        foreach (self::fixture('signing.json')['vectors'] as $v) {
            $out[$v['name']] = [$v];
        }

        return $out;
    }

    /**
     * @dataProvider signingVectors
     *
     * @param array<string, mixed> $v
     */
    #[\PHPUnit\Framework\Attributes\DataProvider('signingVectors')]
    public function testSigningVector(array $v): void
    {
        $this->assertSame($v['body_sha256'], hash('sha256', $v['body']));
        $this->assertSame(
            $v['canonical'],
            Signer::canonical($v['method'], $v['request_uri'], $v['timestamp'], $v['nonce'], $v['body']),
        );
        $this->assertSame(
            $v['signature'],
            Signer::sign($v['secret'], $v['method'], $v['request_uri'], $v['timestamp'], $v['nonce'], $v['body']),
        );
        $headers = Signer::headers(
            $v['secret'],
            $v['method'],
            $v['request_uri'],
            $v['body'],
            $v['timestamp'],
            $v['nonce'],
        );
        $this->assertSame([
            'X-Staas-Timestamp: ' . $v['timestamp'],
            'X-Staas-Nonce: ' . $v['nonce'],
            'X-Staas-Signature: ' . $v['signature'],
        ], $headers);
    }

    public function testEveryVectorIsCovered(): void
    {
        $this->assertGreaterThanOrEqual(4, count(self::signingVectors()), 'signing.json lost vectors');
    }

    public function testNoncesAreFreshAndValid(): void
    {
        $seen = [];
        for ($i = 0; $i < 200; $i++) {
            $n = Signer::nonce();
            $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $n);
            $this->assertArrayNotHasKey($n, $seen);
            $seen[$n] = true;
        }
    }

    /** What the PHP sends, decoded as staas decodes it (JSON, not PHP arrays). */
    private function wire(array $payload): mixed
    {
        return json_decode(
            json_encode($payload, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE),
            true,
            512,
            JSON_THROW_ON_ERROR,
        );
    }

    public function testAdminRequest(): void
    {
        $want = self::fixture('admin_request.json');
        $got = Payload::admin(
            1,
            ['View Clients Summary', 'Perform Server Operations'],
            42,
            'addonmodules.php?module=staas&action=act',
            '1c2b3a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
            'Zoë Admin (zadmin)',
        );
        $this->assertSame($want, $this->wire($got));
    }

    public function testAdminRequestPermissionsAreAListEvenWhenFiltered(): void
    {
        // array_filter leaves holes, which json_encode would turn into an
        // object ({"0":…,"3":…}); the shim sends a list.
        $filtered = array_filter([0 => 'View Clients Summary', 1 => '', 2 => '', 3 => 'Perform Server Operations']);
        $got = json_encode(
            Payload::admin(1, $filtered, 42, 'addonmodules.php?module=staas&action=act', 'x'),
            JSON_THROW_ON_ERROR,
        );
        $this->assertStringContainsString('"permissions":["View Clients Summary","Perform Server Operations"]', $got);
    }

    public function testActionRequest(): void
    {
        $want = self::fixture('action_request.json');
        $got = Payload::action(7, ['View Clients Summary', 'Perform Server Operations'], 42, [
            'email' => 'zoë@example.com', 'limit-name' => 'ops:get', 'value_1' => '3600',
        ], "Zoë\tAdmin\u{85} (zadmin)\n");
        $this->assertSame($want, $this->wire($got), 'the name is one printable line');
    }

    public function testResellerRequest(): void
    {
        $want = self::fixture('reseller_request.json');
        $token = '1c2b3a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
        $link = 'addonmodules.php?module=staas_resellers';
        $perms = ['View Clients Summary', 'staas: Manage Resellers'];
        $got = Payload::resellers(7, $perms, $link, $token, $token, 'add', [
            'email' => 'ops@acme.example', 'name' => 'Acme Reselling', 'password' => '',
            'source-kind' => 'group', 'source-value' => '3',
        ], 'Zoë Admin (zadmin)');
        $this->assertSame($want, $this->wire($got));
        $page = Payload::resellers(7, ['staas: Manage Resellers'], $link, $token, '', '', []);
        $this->assertEquals(self::fixture('reseller_request_page.json'), $this->wire($page));
    }

    public function testAnAdminWithoutANameSendsNone(): void
    {
        // As shims before the name sent it, which staas keeps accepting.
        $got = Payload::action(7, ['Perform Server Operations'], 42, [], " \n ");
        $this->assertArrayNotHasKey('name', $got['admin']);
        $this->assertSame(['id' => 7, 'permissions' => ['Perform Server Operations']], $got['admin']);
        $long = Payload::admin(1, [], 42, 'x', 't', str_repeat('é', 200));
        $this->assertSame(254, strlen($long['admin']['name']), 'cut to 255 bytes, at a character boundary');
    }

    public function testActionRequestWithoutParamsSendsAnEmptyParams(): void
    {
        $want = self::fixture('action_request_no_params.json');
        $got = Payload::action(7, ['Perform Server Operations'], 42, []);
        $this->assertEquals($want, $this->wire($got));
        $this->assertStringContainsString('"params":[]', json_encode($got, JSON_THROW_ON_ERROR));
    }

    public function testActionParamsDropWhatTheProtocolRefuses(): void
    {
        $got = Payload::params(
            ['ok' => 'v', 'Bad Key' => 'x', 'nested' => ['a'], 'n' => 5, 'long' => str_repeat('é', 600)],
        );
        $this->assertSame(['ok', 'n', 'long'], array_keys($got));
        $this->assertSame('5', $got['n']);
        $this->assertLessThanOrEqual(1024, strlen($got['long']));
        $this->assertSame(1, preg_match('//u', $got['long']), 'a cut value must stay valid UTF-8');
    }

    /** @return array<string, mixed> WHMCS's $params for the fixtures' service */
    private function fixtureParams(string $status, string $template): array
    {
        return [
            'serviceid' => '1234', 'userid' => '42', 'pid' => '3', 'serverid' => '1', 'status' => $status,
            'clientsdetails' => ['email' => 'zoë@example.com', 'firstname' => 'Zoë'],
            'configoption1' => '', 'configoption2' => '100', 'configoption3' => '50.5', 'configoption4' => '',
            'configoption5' => '', 'configoption6' => '2048', 'configoption7' => '100', 'configoption8' => 'fail',
            'configoption9' => $template,
            'serverpassword' => 'never sent', 'serveraccesshash' => '',
        ];
    }

    public function testModuleRequest(): void
    {
        $want = self::withCluster(self::fixture('module_request.json'));
        $got = Payload::module($this->fixtureParams('Pending', '{local}+s3-{service_id}@{domain}'), 0);
        $this->assertEquals($want, $this->wire($got));
        $this->assertSame(ProductSettings::names(), array_keys($got['config']), 'config keys in configoption order');
    }

    public function testModuleRequestOfAClientAction(): void
    {
        $want = self::withCluster(self::fixture('module_request_client_action.json'));
        $got = Payload::module($this->fixtureParams('Active', ''), 0, [
            'token' => '5f0e2a7c9b1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f', 'access_key' => '6b2f0a9c1d3e4f50ABCD',
        ]);
        $this->assertEquals($want, $this->wire($got));
    }

    public function testEventRequests(): void
    {
        $this->assertEquals(
            self::fixture('event_request_client_edit.json'),
            $this->wire(Payload::event(42, 1, 'zoë@example.net', 'zoë@example.com')),
        );
        $this->assertEquals(self::fixture('event_request_daily_cron.json'), $this->wire(Payload::event(0, 0)));
    }

    public function testUsageRequest(): void
    {
        $this->assertEquals(
            self::withCluster(self::fixture('usage_request.json')),
            $this->wire(Payload::usage(1, [1234, 1235, 1240])),
        );
    }

    /**
     * The fixtures' requests come from a server entry without a Username,
     * so they are for the default cluster: "cluster" is "" when a fixture
     * leaves it out.
     *
     * @param array<string, mixed> $fixture
     *
     * @return array<string, mixed>
     */
    private static function withCluster(array $fixture): array
    {
        return $fixture + ['cluster' => ''];
    }

    public function testTheClusterIsTheServerEntrysUsername(): void
    {
        $params = $this->fixtureParams('Active', '');
        foreach (['' => '', 'eu-2' => 'eu-2', "  eu-2 \n" => 'eu-2', 'EU 2' => 'EU 2'] as $username => $cluster) {
            $params['serverusername'] = $username;
            $this->assertSame(
                $cluster,
                Payload::module($params, 0)['cluster'],
                'trimmed, otherwise as given: staas checks the name',
            );
            $this->assertSame($cluster, Payload::server($params, 0)['cluster']);
            $this->assertSame($cluster, Payload::usage(1, [1234], $params)['cluster']);
        }
        unset($params['serverusername']);
        $this->assertSame('', Payload::module($params, 0)['cluster'], 'no server entry: the default cluster');
        $this->assertSame('', Payload::usage(1, [1234])['cluster']);
    }
}

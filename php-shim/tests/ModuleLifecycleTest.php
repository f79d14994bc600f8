<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Database\Capsule;

/**
 * The server module's functions as WHMCS calls them, against a real staas
 * and gateway: each outcome is checked on the gateway itself.
 */
final class ModuleLifecycleTest extends StaasTestCase
{
    private const CONFIG = [
        'ops_default' => '10', 'ops_get' => '100', 'ops_put' => '50.5', 'ops_list' => '', 'ops_delete' => '',
        'bandwidth_out' => '2048', 'quota_gb' => '100',
    ];

    public function testMetaDataAndSettings(): void
    {
        $meta = staas_MetaData();
        $this->assertSame('staas S3 Storage', $meta['DisplayName']);
        $this->assertSame('1.1', $meta['APIVersion']);
        $this->assertTrue($meta['RequiresServer']);

        $options = staas_ConfigOptions();
        $this->assertSame([
            'Ops limit: default (ops/s)', 'Ops limit: GET (ops/s)', 'Ops limit: PUT (ops/s)',
            'Ops limit: LIST (ops/s)', 'Ops limit: DELETE (ops/s)', 'Bandwidth limit: out (KB/s)',
            'User quota (GB)', 'Buckets left at termination', 'S3 user email template',
        ], array_values(array_column($options, 'FriendlyName')), 'configoption1…9 in this order');
        $names = [
            'ops_default',
            'ops_get',
            'ops_put',
            'ops_list',
            'ops_delete',
            'bandwidth_out',
            'quota_gb',
            'terminate_buckets',
            'email_template',
        ];
        $this->assertSame($names, array_keys($options), 'the wire names staas decodes, in configoption order');
        $this->assertSame($names, \WHMCS\Module\Server\Staas\ProductSettings::names());
        $this->assertSame('dropdown', $options['terminate_buckets']['Type']);
        $this->assertSame(
            ['fail' => 'Fail with a message', 'purge' => 'Purge: delete every object and bucket'],
            $options['terminate_buckets']['Options'],
        );
        $this->assertSame('{local}+s3-{service_id}@{domain}', $options['email_template']['Default']);
        $this->assertSame(
            ['generatekey', 'revokekey', 'revealsecret', 'hidesecret'],
            array_values(staas_ClientAreaAllowedFunctions()),
        );
        $this->assertSame(
            array_keys(\WHMCS\Module\Server\Staas\ServerModule::CLIENT_ACTIONS),
            array_values(staas_ClientAreaAllowedFunctions()),
        );
        foreach (staas_ClientAreaAllowedFunctions() as $fn) {
            $this->assertTrue(function_exists('staas_' . $fn), "staas_{$fn} is allowed but missing");
        }
    }

    public function testTheWholeLifeOfAService(): void
    {
        $client = $this->newClient('zoe');
        $sid = $this->newServiceId();
        $email = $this->s3Email($client, $sid);
        $params = $this->moduleParams($client, $sid, self::CONFIG);

        // Create, then WHMCS retrying it (Module Queue, a double click).
        for ($i = 0; $i < 2; $i++) {
            $this->assertSame('success', staas_CreateAccount($params), "create #{$i}");
        }
        $u = $this->gatewayUser($email);
        $this->assertTrue($u['exists'], "no S3 user {$email} on the gateway");
        $this->assertSame('enabled', $u['state']);
        $this->assertCount(1, $u['keys']);
        $this->assertEquals(10, $u['limits']['ops_default']);
        $this->assertEquals(100, $u['limits']['ops_get']);
        $this->assertEquals(50.5, $u['limits']['ops_put']);
        $this->assertEquals(0, $u['limits']['ops_list']);
        $this->assertEquals(2048, $u['limits']['bandwidth_out']);
        $this->assertEquals(100, $u['quota_gb']);
        $this->assertCount(
            1,
            array_filter($this->control()->users(), static fn (array $x): bool => $x['email'] === $email),
            'a retry made a second user',
        );
        // The service shows the S3 user: domain = its email, username = its id.
        $row = Capsule::$tables['tblhosting'][$sid];
        $this->assertSame($email, $row['domain']);
        $this->assertSame($u['id'], $row['username']);

        // The admin's services tab.
        $tab = staas_AdminServicesTabFields($params);
        $this->assertNotEmpty($tab);
        $tabHtml = implode("\n", $tab);
        $this->assertStringContainsString($u['id'], $tabHtml);
        $this->assertStringContainsString($u['keys'][0]['access_key'], $tabHtml);
        $this->assertStringNotContainsString(
            $u['keys'][0]['secret_key'],
            $tabHtml,
            'the services tab must mask secrets',
        );

        $params['status'] = 'Active';
        for ($i = 0; $i < 2; $i++) {
            $this->assertSame(
                'success',
                staas_SuspendAccount($params + ['suspendreason' => 'Overdue on Payment']),
                "suspend #{$i}",
            );
            $this->assertSame('disabled', $this->gatewayUser($email)['state']);
        }
        $this->assertSame('Overdue on Payment', $this->lastRequest('suspend')['params']['suspend_reason']);

        $params['status'] = 'Suspended';
        for ($i = 0; $i < 2; $i++) {
            $this->assertSame('success', staas_UnsuspendAccount($params), "unsuspend #{$i}");
            $this->assertSame('enabled', $this->gatewayUser($email)['state']);
        }

        $params['status'] = 'Active';
        $upgraded = $this->moduleParams(
            $client,
            $sid,
            ['ops_get' => '200', 'ops_put' => '', 'ops_default' => '', 'bandwidth_out' => '', 'quota_gb' => '250'],
            'Active',
        );
        for ($i = 0; $i < 2; $i++) {
            $this->assertSame('success', staas_ChangePackage($upgraded), "change package #{$i}");
        }
        $u = $this->gatewayUser($email);
        $this->assertEquals(200, $u['limits']['ops_get']);
        $this->assertEquals(0, $u['limits']['ops_put']);
        $this->assertEquals(0, $u['limits']['bandwidth_out']);
        $this->assertEquals(250, $u['quota_gb']);

        for ($i = 0; $i < 2; $i++) {
            $this->assertSame('success', staas_TerminateAccount($upgraded), "terminate #{$i}");
            $this->assertFalse($this->gatewayUser($email)['exists'], 'the S3 user outlived Terminate');
        }

        // Ids went as WHMCS gave them, and the admin is 0: WHMCS acted.
        $sent = $this->lastRequest('terminate');
        $this->assertSame($sid, $sent['service_id']);
        $this->assertSame($client['id'], $sent['client_id']);
        $this->assertSame(0, $sent['admin_id']);
        $this->assertNotLogged($this->secret(), 'the shared secret');
        $this->assertNotLogged($u['keys'][0]['secret_key'], 'the S3 secret key');
    }

    public function testTheAdminWhoClickedIsNamed(): void
    {
        $client = $this->newClient();
        $sid = $this->newServiceId();
        $this->loginAdmin(7);
        $this->assertSame('success', staas_CreateAccount($this->moduleParams($client, $sid)));
        $this->assertSame(7, $this->lastRequest('create')['admin_id']);
    }

    public function testABadProductSettingIsNamedAndTheGatewayUntouched(): void
    {
        $client = $this->newClient('badcfg');
        $before = count($this->control()->users());
        $settings = [
            ['ops_get' => 'fast'],
            ['quota_gb' => '-3'],
            ['bandwidth_out' => '1.5'],
            ['terminate_buckets' => 'delete'],
            ['email_template' => 'everyone@example.com'],
        ];
        foreach ($settings as $bad) {
            $sid = $this->newServiceId();
            $result = staas_CreateAccount($this->moduleParams($client, $sid, $bad));
            $name = staas_ConfigOptions()[array_key_first($bad)]['FriendlyName'];
            $this->assertNotSame('success', $result, json_encode($bad));
            $this->assertStringContainsString($name, $result, 'the message must name the setting');
            $this->assertFalse($this->gatewayUser($this->s3Email($client, $sid))['exists']);
            $this->assertSame('', Capsule::$tables['tblhosting'][$sid]['domain']);
        }
        $this->assertCount($before, $this->control()->users(), 'a bad product setting reached the gateway');
    }

    public function testTerminateWithBucketsFailsListingThem(): void
    {
        $client = $this->newClient('keeper');
        $sid = $this->newServiceId();
        $email = $this->s3Email($client, $sid);
        $params = $this->moduleParams($client, $sid);
        $this->assertSame('success', staas_CreateAccount($params));
        $this->control()->addBucket($email, 'keep-photos-' . $sid, 2, 1024);
        $this->control()->addBucket($email, 'keep-logs-' . $sid);

        $result = staas_TerminateAccount($params);
        $this->assertNotSame('success', $result);
        $this->assertStringContainsString('keep-photos-' . $sid, $result);
        $this->assertStringContainsString('keep-logs-' . $sid, $result);
        $this->assertStringContainsString('Buckets left at termination', $result);
        $this->assertTrue($this->gatewayUser($email)['exists'], 'the user went despite "fail"');
        $this->assertTrue($this->control()->bucketExists('keep-photos-' . $sid));
    }

    public function testTerminateWithPurgeEmptiesAndDeletesTheBuckets(): void
    {
        $client = $this->newClient('purger');
        $sid = $this->newServiceId();
        $email = $this->s3Email($client, $sid);
        $params = $this->moduleParams($client, $sid, ['terminate_buckets' => 'purge']);
        $this->assertSame('success', staas_CreateAccount($params));
        $this->control()->addBucket($email, 'purge-a-' . $sid, 3, 2048);
        $this->control()->addBucket($email, 'purge-b-' . $sid);
        // Suspended services are terminated too, after being overdue.
        $this->assertSame('success', staas_SuspendAccount($params));

        $this->assertSame('success', staas_TerminateAccount($params));
        $this->assertFalse($this->gatewayUser($email)['exists']);
        $this->assertFalse($this->control()->bucketExists('purge-a-' . $sid));
        $this->assertFalse($this->control()->bucketExists('purge-b-' . $sid));
        $this->assertSame('success', staas_TerminateAccount($params), 'a retry after purging');
    }

    public function testTerminateOfAServiceNeverCreatedSucceeds(): void
    {
        $client = $this->newClient();
        $this->assertSame('success', staas_TerminateAccount($this->moduleParams($client, $this->newServiceId())));
    }

    public function testEveryFunctionReturnsWhmcsTypesEvenOnEmptyParams(): void
    {
        // As WHMCS's sample module test: the types WHMCS expects, whatever
        // comes in; never an exception or a PHP warning.
        $functions = [
            'staas_CreateAccount', 'staas_SuspendAccount', 'staas_UnsuspendAccount', 'staas_TerminateAccount',
            'staas_ChangePackage', 'staas_UsageUpdate', 'staas_generatekey', 'staas_revokekey',
            'staas_revealsecret', 'staas_hidesecret',
        ];
        foreach ($functions as $fn) {
            $r = $fn([]);
            $this->assertIsString($r, $fn);
            $this->assertNotSame('', $r, $fn);
            $this->assertNotSame('success', $r, $fn);
        }
        $t = staas_TestConnection([]);
        $this->assertSame(['success' => true, 'error' => ''], $t);
        $this->assertIsArray(staas_AdminServicesTabFields([]));
        $this->assertIsArray(staas_ClientArea([]));
    }

    public function testTestConnection(): void
    {
        $this->assertSame(['success' => true, 'error' => ''], staas_TestConnection(['serverid' => '1']));
        putenv('STAAS_SHIM_SECRET=' . str_repeat('x', 40));
        $r = staas_TestConnection(['serverid' => '1']);
        $this->assertFalse($r['success']);
        $this->assertStringContainsString('bad signature', $r['error']);
    }

    public function testTheServerEntryCanCarryTheUrlAndSecret(): void
    {
        $client = $this->newClient();
        $sid = $this->newServiceId();
        // Neither environment nor config.php knows staas: the server entry does.
        putenv('STAAS_URL=');
        putenv('STAAS_SHIM_SECRET=');
        $parts = parse_url(self::env('STAAS_URL'));
        $params = $this->moduleParams($client, $sid) + [];
        $params['serverhostname'] = $parts['host'];
        $params['serverport'] = (string) $parts['port'];
        $params['serversecure'] = false;
        $params['serveraccesshash'] = $this->secret();
        $this->assertSame('success', staas_CreateAccount($params));
        $this->assertTrue($this->gatewayUser($this->s3Email($client, $sid))['exists']);
        $this->assertSame(['success' => true, 'error' => ''], staas_TestConnection($params));
        $this->assertNotLogged($this->secret(), 'the Access Hash');
    }

    /** The body of the last request the module sent for $function. */
    private function lastRequest(string $function): array
    {
        foreach (array_reverse(\WhmcsStub::$moduleLog) as $entry) {
            if ($entry['action'] === $function) {
                return $entry['request']['body'];
            }
        }
        $this->fail("no {$function} call in the module log");
    }
}

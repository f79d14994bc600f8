<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Database\Capsule;

/**
 * The daily UsageUpdate into tblhosting, and the module when the gateway
 * behind staas fails and comes back.
 */
final class UsageAndGatewayTest extends StaasTestCase
{
    public function testUsageUpdateWritesMegabytesIntoTblhosting(): void
    {
        $client = $this->newClient('usage');
        $sid = $this->newServiceId();
        $params = $this->moduleParams($client, $sid, ['quota_gb' => '2'], 'Pending', 41);
        $this->assertSame('success', staas_CreateAccount($params));
        Capsule::$tables['tblhosting'][$sid]['domainstatus'] = 'Active';
        // 3 objects of 1 MiB + 1 byte: 3 MiB + 3 bytes, which is 4 MB rounded up.
        $this->control()->addBucket($this->s3Email($client, $sid), 'usage-' . $sid, 3, (1 << 20) + 1);

        // Other rows the update must leave alone: another server's service,
        // a terminated one, and an active one staas has no S3 user for.
        $other = $this->newServiceId();
        Capsule::$tables['tblhosting'][$other] = [
            'id' => $other,
            'server' => 42,
            'domainstatus' => 'Active',
            'diskusage' => 7,
            'disklimit' => 7,
            'bwusage' => 7,
            'bwlimit' => 7,
            'lastupdate' => 'then',
        ];
        $gone = $this->newServiceId();
        Capsule::$tables['tblhosting'][$gone] = [
            'id' => $gone,
            'server' => 41,
            'domainstatus' => 'Terminated',
            'diskusage' => 7,
            'disklimit' => 7,
            'bwusage' => 7,
            'bwlimit' => 7,
            'lastupdate' => 'then',
        ];
        $unknown = $this->newServiceId();
        Capsule::$tables['tblhosting'][$unknown] = [
            'id' => $unknown,
            'server' => 41,
            'domainstatus' => 'Suspended',
            'diskusage' => 7,
            'disklimit' => 7,
            'bwusage' => 7,
            'bwlimit' => 7,
            'lastupdate' => 'then',
        ];

        // staas samples bucket sizes every second here; wait for the sample.
        $deadline = microtime(true) + 15;
        do {
            $this->assertSame(
                'success',
                staas_UsageUpdate(['serverid' => '41', 'serverhostname' => '', 'serveraccesshash' => '']),
            );
            $row = Capsule::$tables['tblhosting'][$sid];
            if ($row['diskusage'] === 4) {
                break;
            }
            usleep(250000);
        } while (microtime(true) < $deadline);

        $this->assertSame(4, $row['diskusage'], 'MB of the sampled storage, rounded up');
        $this->assertSame(2048, $row['disklimit'], 'the quota of 2 GB in MB');
        $this->assertSame(0, $row['bwusage']);
        $this->assertSame(0, $row['bwlimit']);
        $this->assertSame('raw:now()', $row['lastupdate']);

        foreach ([$other, $gone, $unknown] as $id) {
            $this->assertSame(7, Capsule::$tables['tblhosting'][$id]['diskusage'], "row {$id} was touched");
            $this->assertSame('then', Capsule::$tables['tblhosting'][$id]['lastupdate'], "row {$id} was touched");
        }
        $asked = $this->lastUsageRequest();
        $this->assertSame(41, $asked['server_id']);
        $this->assertEqualsCanonicalizing(
            [$sid, $unknown],
            $asked['service_ids'],
            'the server\'s Active and Suspended services',
        );
        // Every write names the service and the server.
        foreach (Capsule::$updates as $u) {
            if (isset($u['values']['diskusage'])) {
                $this->assertSame([['id', $sid], ['server', 41]], $u['where']);
            }
        }
    }

    public function testUsageUpdateAsksInChunks(): void
    {
        for ($i = 1; $i <= 2500; $i++) {
            Capsule::$tables['tblhosting'][900000 + $i] = [
                'id' => 900000 + $i,
                'server' => 43,
                'domainstatus' => $i % 2 ? 'Active' : 'Suspended',
            ];
        }
        $this->assertSame('success', staas_UsageUpdate(['serverid' => 43]));
        $calls = array_values(
            array_filter(\WhmcsStub::$moduleLog, static fn (array $e): bool => $e['action'] === 'usage-update'),
        );
        $this->assertSame(
            [1000, 1000, 500],
            array_map(static fn (array $e): int => count($e['request']['body']['service_ids']), $calls),
        );
    }

    public function testUsageUpdateWithoutServicesCallsNothing(): void
    {
        $this->assertSame('success', staas_UsageUpdate(['serverid' => 44]));
        $this->assertSame([], \WhmcsStub::$moduleLog);
    }

    public function testADatabaseFailureIsAMessage(): void
    {
        Capsule::$failWith = new \RuntimeException('SQLSTATE[HY000] [2002] Connection refused');
        $r = staas_UsageUpdate(['serverid' => 41]);
        $this->assertStringContainsString('Connection refused', $r);
    }

    public function testTheGatewayDownIsAClearMessageAndARetryCompletes(): void
    {
        $client = $this->newClient('flaky');
        $sid = $this->newServiceId();
        $email = $this->s3Email($client, $sid);
        $params = $this->moduleParams($client, $sid, ['quota_gb' => '5']);

        $this->control()->gatewayDown();
        $r = staas_CreateAccount($params);
        $t = staas_TestConnection($params);
        $this->control()->gatewayUp();

        $this->assertNotSame('success', $r);
        $this->assertNotSame('', trim($r));
        $this->assertStringNotContainsString($this->secret(), $r);
        $this->assertFalse($t['success'], 'TestConnection must check the gateway behind staas');
        $this->assertNotSame('', $t['error']);
        $this->assertSame(
            '',
            Capsule::$tables['tblhosting'][$sid]['domain'],
            'a failed create must not write the service',
        );

        // The Module Queue's retry, once the gateway is back.
        $this->assertSame('success', staas_CreateAccount($params));
        $u = $this->gatewayUser($email);
        $this->assertTrue($u['exists']);
        $this->assertEquals(5, $u['quota_gb']);
        $this->assertCount(
            1,
            array_filter($this->control()->users(), static fn (array $x): bool => $x['email'] === $email),
        );
        $this->assertSame($email, Capsule::$tables['tblhosting'][$sid]['domain']);

        $this->control()->gatewayDown();
        $r = staas_SuspendAccount($params);
        $this->control()->gatewayUp();
        $this->assertNotSame('success', $r);
        $this->assertSame('enabled', $this->gatewayUser($email)['state']);
        $this->assertSame('success', staas_SuspendAccount($params));
        $this->assertSame('disabled', $this->gatewayUser($email)['state']);
    }

    private function lastUsageRequest(): array
    {
        foreach (array_reverse(\WhmcsStub::$moduleLog) as $e) {
            if ($e['action'] === 'usage-update') {
                return $e['request']['body'];
            }
        }
        $this->fail('no usage-update call');
    }
}

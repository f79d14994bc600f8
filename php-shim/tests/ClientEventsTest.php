<?php

declare(strict_types=1);

namespace StaasShimTests;

/**
 * The client and cron hooks, as WHMCS runs them, against two real staas
 * servers: A with the default policies, B creating S3 users on ClientAdd
 * and deleting deleted clients' users.
 */
final class ClientEventsTest extends StaasTestCase
{
    /** ClientAdd's $vars as WHMCS passes them (a subset). */
    private function clientAddVars(array $client): array
    {
        return [
            'client_id' => $client['id'], 'user_id' => 9000 + $client['id'], 'userid' => $client['id'],
            'firstname' => 'Test', 'lastname' => 'Tester', 'email' => $client['email'],
            'password' => 'Client-Password-123!', 'country' => 'DE',
        ];
    }

    /** A service with its S3 user, created through the module. */
    private function service(array $client): array
    {
        $sid = $this->newServiceId();
        $params = $this->moduleParams($client, $sid);
        $this->assertSame('success', staas_CreateAccount($params));

        return ['params' => $params, 'email' => $this->s3Email($client, $sid), 'id' => $sid];
    }

    /** The body of the event the hooks sent last. */
    private function sent(string $event): array
    {
        foreach (array_reverse(\WhmcsStub::$moduleLog) as $e) {
            if ($e['action'] === 'event ' . $event && isset($e['request']['body'])) {
                return $e['request']['body'];
            }
        }
        $this->fail("no {$event} event was sent");
    }

    private function assertNoFailureLogged(): void
    {
        $this->assertDoesNotMatchRegularExpression('/ event( for client \d+)? failed:/', \WhmcsStub::activityText());
    }

    public function testClientAddWithoutAutoCreateLeavesTheGatewayAlone(): void
    {
        $client = $this->newClient('plain');
        $this->assertSame([], $this->runHook('ClientAdd', $this->clientAddVars($client)));
        $this->assertFalse($this->gatewayUser($client['email'])['exists']);
        $this->assertNoFailureLogged();
        $this->assertSame(
            ['client_id' => $client['id'], 'admin_id' => 0, 'email' => $client['email']],
            $this->sent('client-add'),
            'the password and the rest stay in WHMCS',
        );
    }

    public function testClientAddWithAutoCreateMakesOneUser(): void
    {
        $this->useServerB();
        $client = $this->newClient('auto');
        $this->runHook('ClientAdd', $this->clientAddVars($client));
        $this->runHook('ClientAdd', $this->clientAddVars($client));
        $u = $this->gatewayUser($client['email']);
        $this->assertTrue($u['exists'], 'ClientAdd did not create the S3 user');
        $this->assertCount(
            1,
            array_filter($this->control()->users(), static fn (array $x): bool => $x['email'] === $client['email']),
        );
        $this->assertStringContainsString('created for new client ' . $client['id'], \WhmcsStub::activityText());
        $this->assertSame(
            $client['id'],
            \WhmcsStub::$activity[0]['client_id'],
            'the Activity Log line belongs to the client',
        );
        $this->assertStringNotContainsString('staas: staas:', \WhmcsStub::activityText());
        $this->assertCount(1, $this->control()->notes($client['id']));
        $this->assertNoFailureLogged();
        $this->assertNotLogged($u['keys'][0]['secret_key'], 'the new user\'s secret key');
        $this->assertNotLogged('Client-Password-123!', 'the client\'s password');
    }

    public function testAnEmailChangeKeepsTheS3User(): void
    {
        $client = $this->newClient('mover');
        $svc = $this->service($client);
        $new = $this->uniqueEmail('moved');
        $this->control()->setClientEmail($client['id'], $new);
        $this->loginAdmin(3);
        $this->runHook(
            'ClientEdit',
            [
                'userid' => $client['id'],
                'email' => $new,
                'firstname' => 'Test',
                'olddata' => ['email' => $client['email'], 'firstname' => 'Test'],
            ],
        );
        $this->assertSame(
            ['client_id' => $client['id'], 'admin_id' => 3, 'email' => $new, 'old_email' => $client['email']],
            $this->sent('client-edit'),
        );
        $u = $this->gatewayUser($svc['email']);
        $this->assertTrue($u['exists']);
        $this->assertSame('enabled', $u['state']);
        $this->assertFalse(
            $this->gatewayUser($this->s3Email(['email' => $new], $svc['id']))['exists'],
            'no second user for the new address',
        );
        $this->assertSame('success', staas_SuspendAccount($svc['params']), 'the service still finds its user');
        $this->assertNoFailureLogged();
    }

    public function testAProfileSaveWithoutEmailChangeSendsNothing(): void
    {
        $client = $this->newClient('same');
        $this->runHook(
            'ClientEdit',
            ['userid' => $client['id'], 'email' => $client['email'], 'olddata' => ['email' => $client['email']]],
        );
        $this->assertSame([], \WhmcsStub::$moduleLog);
    }

    public function testClientCloseDisablesEveryS3User(): void
    {
        $client = $this->newClient('closer');
        $a = $this->service($client);
        $b = $this->service($client);
        $this->runHook('ClientClose', ['userid' => $client['id']]);
        $this->assertSame('disabled', $this->gatewayUser($a['email'])['state']);
        $this->assertSame('disabled', $this->gatewayUser($b['email'])['state']);
        $this->assertNoFailureLogged();
    }

    public function testClientDeleteWithTheDisablePolicyKeepsOrphans(): void
    {
        $client = $this->newClient('leaver');
        $svc = $this->service($client);
        $this->runHook('PreDeleteClient', ['userid' => $client['id']]);
        $u = $this->gatewayUser($svc['email']);
        $this->assertTrue($u['exists'], 'policy disable must keep the user');
        $this->assertSame('disabled', $u['state']);
        $this->assertNoFailureLogged();

        // The daily cron reports the orphan to the Activity Log.
        \WhmcsStub::reset();
        $this->runHook('DailyCronJob', []);
        $this->assertStringContainsString($u['id'], \WhmcsStub::activityText());
        $this->assertStringContainsString('Orphaned', \WhmcsStub::activityText());
        $this->assertNoFailureLogged();
    }

    public function testClientDeleteWithTheDeletePolicy(): void
    {
        $this->useServerB();
        $client = $this->newClient('gone');
        $empty = $this->service($client);
        $full = $this->service($client);
        $this->control()->addBucket($full['email'], 'left-behind-' . $full['id'], 1, 10);
        $this->runHook('PreDeleteClient', ['userid' => $client['id']]);
        $this->assertFalse($this->gatewayUser($empty['email'])['exists'], 'a user without buckets is deleted');
        $kept = $this->gatewayUser($full['email']);
        $this->assertTrue($kept['exists'], 'a user with buckets is kept');
        $this->assertSame('disabled', $kept['state']);
        $this->assertTrue($this->control()->bucketExists('left-behind-' . $full['id']));
        $log = \WhmcsStub::activityText();
        $this->assertStringContainsString('left-behind-' . $full['id'], $log, 'the Activity Log says what was kept');
        $this->assertNoFailureLogged();
    }

    public function testDailyCronRunsStaasDailyWork(): void
    {
        $this->assertSame([], $this->runHook('DailyCronJob', []));
        $this->assertSame(['client_id' => 0, 'admin_id' => 0], $this->sent('daily-cron'));
        $this->assertNotEmpty(\WhmcsStub::$activity, 'the daily work reports to the Activity Log');
        $this->assertNoFailureLogged();
    }

    public function testHooksNeverThrowWhenStaasIsDown(): void
    {
        $client = $this->newClient('offline');
        $this->staasDown();
        $this->runHook('ClientAdd', $this->clientAddVars($client));
        $this->runHook(
            'ClientEdit',
            [
                'userid' => $client['id'],
                'email' => 'new-' . $client['email'],
                'olddata' => ['email' => $client['email']],
            ],
        );
        $this->runHook('ClientClose', ['userid' => $client['id']]);
        $this->runHook('PreDeleteClient', ['userid' => $client['id']]);
        $this->runHook('DailyCronJob', []);
        $this->assertCount(5, \WhmcsStub::$activity, 'each failure is one Activity Log line');
        foreach (['client-add', 'client-edit', 'client-close', 'client-delete'] as $i => $event) {
            $line = \WhmcsStub::$activity[$i];
            $this->assertStringContainsString(
                "the {$event} event for client {$client['id']} failed: staas is unreachable",
                $line['description'],
            );
            $this->assertSame($client['id'], $line['client_id']);
        }
        $this->assertStringContainsString('the daily-cron event failed', \WhmcsStub::$activity[4]['description']);
        $this->assertCount(
            5,
            array_filter(
                \WhmcsStub::$moduleLog,
                static fn (array $e): bool => str_contains((string) print_r($e['response'], true), 'curl_error'),
            ),
            'each failure is in the module log',
        );
    }

    public function testHooksTakeWhateverWhmcsPasses(): void
    {
        $this->staasDown();
        foreach (\WhmcsStub::$hooks as $h) {
            foreach ([[], [null], [['userid' => 'x']]] as $args) {
                $r = ($h['fn'])(...$args);
                $this->assertContains($r, [null, [], ''], $h['point']);
            }
        }
        $this->assertNotEmpty(\WhmcsStub::$activity);
    }

    public function testAHookWithoutClientIdIsLoggedNotSent(): void
    {
        $this->runHook('ClientClose', []);
        $this->assertSame(
            [],
            array_filter(\WhmcsStub::$moduleLog, static fn (array $e): bool => isset($e['request']['url'])),
        );
        $this->assertStringContainsString('WHMCS passed no client id', \WhmcsStub::activityText());
    }
}

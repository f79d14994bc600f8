<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Module\Server\Staas\AdminEndpoint;
use WHMCS\Module\Server\Staas\Whmcs;

/**
 * The client summary page (two hooks) and the addon page its forms post
 * to, against a real staas and gateway.
 */
final class AdminAreaTest extends StaasTestCase
{
    /** @return list<string> the links every hook returned, flattened */
    private function links(int $clientId): array
    {
        $out = [];
        foreach ($this->runHook('AdminAreaClientSummaryActionLinks', ['userid' => $clientId]) as $r) {
            $this->assertIsArray($r);
            foreach ($r as $link) {
                $this->assertIsString($link);
                $out[] = $link;
            }
        }

        return $out;
    }

    private function panels(int $clientId): string
    {
        $r = $this->runHook('AdminAreaClientSummaryPage', ['userid' => $clientId]);

        return implode("\n", array_map(static fn ($h): string => (string) $h, $r));
    }

    private function endpoint(): AdminEndpoint
    {
        return AdminEndpoint::fromWhmcs();
    }

    public function testEveryHookIsRegisteredOnce(): void
    {
        $points = array_count_values(array_column(\WhmcsStub::$hooks, 'point'));
        $expected = [
            'AdminAreaClientSummaryActionLinks',
            'AdminAreaClientSummaryPage',
            'ClientAdd',
            'ClientEdit',
            'ClientClose',
            'PreDeleteClient',
            'DailyCronJob',
        ];
        foreach ($expected as $point) {
            $this->assertSame(1, $points[$point] ?? 0, $point);
        }
        $this->assertCount(7, \WhmcsStub::$hooks);
        foreach (\WhmcsStub::$hooks as $h) {
            $this->assertIsCallable($h['fn']);
        }
    }

    public function testTheSummaryPageShowsStaasLinksWithTheSessionToken(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $links = $this->links($client['id']);
        $this->assertNotEmpty($links, 'no S3 links on the client summary page');
        $all = implode("\n", $links);
        $this->assertStringContainsString('addonmodules.php?module=staas', $all);
        $this->assertStringContainsString(\WhmcsStub::$sessionToken, $all, 'the forms must carry WHMCS\'s CSRF token');
        $this->assertStringContainsString('create-user', $all, 'a client without S3 user is offered Create User');

        // staas was told who is looking, from WHMCS's session and role.
        $sent = \WhmcsStub::$moduleLog[0]['request']['body'];
        $this->assertSame(['id' => 1, 'permissions' => self::PERMS_ALL], $sent['admin']);
        $this->assertSame($client['id'], $sent['client_id']);
        $this->assertSame('addonmodules.php?module=staas', $sent['action_url']);
    }

    public function testPermissionsComeFromWhmcsNotTheBrowser(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(2, ['View Clients Summary', 'List Clients']);
        $_GET['permissions'] = 'Perform Server Operations';
        $_REQUEST['permissions'] = 'Perform Server Operations';
        $this->links($client['id']);
        $this->assertSame(
            ['View Clients Summary'],
            \WhmcsStub::$moduleLog[0]['request']['body']['admin']['permissions'],
        );
        $this->assertSame(['View Clients Summary'], (new Whmcs())->adminPermissions());
    }

    public function testNoAdminSessionShowsNothingAndCallsNothing(): void
    {
        $client = $this->newClient();
        $this->assertSame([], $this->runHook('AdminAreaClientSummaryActionLinks', ['userid' => $client['id']]));
        $this->assertSame([], $this->runHook('AdminAreaClientSummaryPage', ['userid' => $client['id']]));
        $this->assertSame([], \WhmcsStub::$moduleLog, 'staas was called without an admin');
    }

    public function testAnAdminActionChangesTheGatewayAndReturnsToTheSummary(): void
    {
        $client = $this->newClient('erin');
        $this->loginAdmin(1);
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id'], 'module' => 'staas']);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertTrue($r->isRedirect(), 'want a redirect; got: ' . $r->body);
        $this->assertSame(303, $r->status);
        // The admin lands on staas's message, not the top of the page.
        $this->assertSame('clientssummary.php?userid=' . $client['id'] . '#staas-result', $r->location());
        $this->assertContains('WHMCS.admin.default', \WhmcsStub::$tokenChecks);

        $u = $this->gatewayUser($client['email']);
        $this->assertTrue($u['exists'], 'Create User did not reach the gateway');
        $this->assertSame('enabled', $u['state']);
        $notes = $this->control()->notes($client['id']);
        $this->assertNotEmpty($notes);
        $this->assertStringContainsString('UserId: ' . $u['id'], implode("\n", $notes));

        // The summary page now says so (staas's flash) and shows the user.
        $panels = $this->panels($client['id']);
        $this->assertStringContainsString($u['id'], $panels);

        // Neither the shared secret nor the S3 secret key reached a log.
        $this->assertNotLogged($this->secret(), 'the shared secret');
        $this->assertNotLogged($u['keys'][0]['secret_key'], 'the S3 secret key');
    }

    public function testABadTokenChangesNothing(): void
    {
        $client = $this->newClient('mallory-target');
        $this->loginAdmin(1);
        foreach (['wrong-token-value', ''] as $token) {
            $this->post(['action' => 'create-user', 'userid' => (string) $client['id']], $token);
            $r = $this->endpoint()->handle('POST', $_POST);
            $this->assertFalse($r->isRedirect());
            $this->assertSame(403, $r->status);
            $this->assertStringContainsString('security token', $r->body);
            $this->assertStringContainsString('clientssummary.php?userid=' . $client['id'], $r->body, 'a way back');
        }
        $this->assertSame([], \WhmcsStub::$moduleLog, 'a request with a bad token was forwarded');
        $this->assertFalse($this->gatewayUser($client['email'])['exists']);
    }

    public function testNoAdminSessionIsRefused(): void
    {
        $client = $this->newClient();
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertSame(403, $r->status);
        $this->assertSame([], \WhmcsStub::$moduleLog);
        $this->assertFalse($this->gatewayUser($client['email'])['exists']);
    }

    public function testMalformedFormsAreRefusedHere(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $forms = [
            ['action' => '../links', 'userid' => (string) $client['id']],
            ['action' => 'Create-User', 'userid' => (string) $client['id']],
            ['action' => str_repeat('a', 65), 'userid' => (string) $client['id']],
            ['action' => ['create-user'], 'userid' => (string) $client['id']],
            ['action' => 'create-user', 'userid' => '0'],
            ['action' => 'create-user', 'userid' => 'x1'],
        ];
        foreach ($forms as $fields) {
            $this->post($fields);
            $r = $this->endpoint()->handle('POST', $_POST);
            $this->assertSame(400, $r->status, json_encode($fields));
        }
        $this->assertSame([], \WhmcsStub::$moduleLog);
    }

    public function testARoleWithoutServerOperationsIsRefusedByStaas(): void
    {
        $client = $this->newClient('viewer');
        $this->loginAdmin(2, ['View Clients Summary']);
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        // staas refused and keeps the reason for the summary page, where
        // the redirect takes the admin.
        $this->assertSame('clientssummary.php?userid=' . $client['id'] . '#staas-result', $r->location());
        $this->assertFalse($this->gatewayUser($client['email'])['exists']);
        $this->assertStringContainsString('Perform Server Operations', $this->panels($client['id']));
    }

    public function testTheRedirectNeverFollowsTheReferer(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $_SERVER['HTTP_REFERER'] = 'https://evil.example/phish';
        $this->post(['action' => 'toggle-users', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertSame('clientssummary.php?userid=' . $client['id'] . '#staas-panel-users', $r->location());
        unset($_SERVER['HTTP_REFERER']);
    }

    public function testTheAuditLogNamesTheAdminAsWhmcsNamesThem(): void
    {
        $client = $this->newClient('named');
        $this->loginAdmin(1, self::PERMS_ALL, 'Jane', 'Doe', 'jdoe');
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id']]);
        $this->endpoint()->handle('POST', $_POST);
        $sent = \WhmcsStub::$moduleLog[0]['request']['body']['admin'];
        $this->assertSame('Jane Doe (jdoe)', $sent['name'], 'the name comes from WHMCS\'s admin model');

        $this->post(['action' => 'toggle-audit', 'userid' => (string) $client['id']]);
        $this->endpoint()->handle('POST', $_POST);
        $audit = $this->panels($client['id']);
        $this->assertMatchesRegularExpression('#<td class="staas-actor">Jane Doe \(jdoe\) \(admin 1\)</td>#', $audit);
    }

    public function testTheRedirectLandsOnThePanelThatOpened(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $this->post(['action' => 'toggle-users', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertSame('clientssummary.php?userid=' . $client['id'] . '#staas-panel-users', $r->location());
        $this->assertStringContainsString(
            'id="staas-panel-users"',
            $this->panels($client['id']),
            'the anchor names an element of the page',
        );

        // Toggled off, the panel is gone: back to the links that open it.
        $this->post(['action' => 'toggle-users', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertSame('clientssummary.php?userid=' . $client['id'] . '#staas-links-user', $r->location());
    }

    public function testAConfirmationIsWhereTheRedirectLands(): void
    {
        $client = $this->newClient('confirm');
        $this->loginAdmin(1);
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id']]);
        $this->endpoint()->handle('POST', $_POST);
        $this->panels($client['id']); // the flash is read
        $this->post(['action' => 'disable-user', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertSame('clientssummary.php?userid=' . $client['id'] . '#staas-confirm', $r->location());
        // The question is in the "Other Actions" group whose button asked,
        // and only there.
        $links = implode("\n", $this->links($client['id']));
        $this->assertMatchesRegularExpression(
            '/id="staas-links-user".*id="staas-confirm"/s',
            $links,
            'the question is inside the group that asked',
        );
        $this->assertSame(1, substr_count($links, 'id="staas-confirm"'));
        $this->assertStringNotContainsString('staas-confirm', $this->panels($client['id']));
    }

    /** @return iterable<string, array{mixed}> */
    public static function hostileAnchors(): iterable
    {
        yield 'another site' => ['https://evil.example/'];
        yield 'a path' => ['/../admin/logout.php'];
        yield 'a header' => ["x\r\nLocation: https://evil.example/"];
        yield 'a query' => ['x?userid=1'];
        yield 'a second fragment' => ['a#b'];
        yield 'upper case' => ['Staas-Result'];
        yield 'too long' => [str_repeat('a', 65)];
        yield 'a trailing newline' => ["staas-result\n"];
        yield 'not a string' => [['staas-result']];
        yield 'empty' => [''];
    }

    /** @dataProvider hostileAnchors */
    #[\PHPUnit\Framework\Attributes\DataProvider('hostileAnchors')]
    public function testAnAnchorThatIsNotAPlainIdIsNotUsed(mixed $anchor): void
    {
        $this->useServer(self::env('STAAS_FAKE_URL'));
        $answers = [
            [200, ['result' => 'success', 'anchor' => $anchor]],
            [400, ['result' => 'error', 'message' => 'No.', 'code' => 'invalid', 'anchor' => $anchor]],
        ];
        foreach ($answers as [$status, $body]) {
            $this->control()->fake($status, json_encode($body));
            $this->loginAdmin(1);
            $this->post(['action' => 'toggle-users', 'userid' => '42']);
            $r = (new AdminEndpoint(new Whmcs()))->handle('POST', $_POST);
            $this->assertSame('clientssummary.php?userid=42#staas-result', $r->location(), json_encode($body));
        }
    }

    /**
     * @return iterable<string, array{array<string, mixed>, string}> the
     *         form's fields a browser controls, and the one place they may lead
     */
    public static function hostileForms(): iterable
    {
        $go = 'clientssummary.php?userid=42#staas-result';
        yield 'an anchor field' => [['action' => 'toggle-users', 'userid' => '42', 'anchor' => '//evil.example/'], $go];
        yield 'a fragment field' => [
            ['action' => 'toggle-users', 'userid' => '42', 'fragment' => 'x', '_anchor' => 'x'],
            $go,
        ];
        yield 'a return URL' => [
            ['action' => 'toggle-users', 'userid' => '42', 'return' => 'https://evil.example/', 'redirect' => '/x'],
            $go,
        ];
        yield 'userid and client_id disagree' => [
            ['action' => 'toggle-users', 'userid' => '42', 'client_id' => '7'],
            $go,
        ];
        yield 'userid with spaces' => [['action' => 'toggle-users', 'userid' => ' 42 '], $go];
        yield 'userid with a fragment' => [['action' => 'toggle-users', 'userid' => '42#evil'], ''];
        yield 'userid with a query' => [['action' => 'toggle-users', 'userid' => '42&userid=1'], ''];
        yield 'userid with a header' => [
            ['action' => 'toggle-users', 'userid' => "42\r\nLocation: https://evil.example/"],
            '',
        ];
        yield 'userid as a URL' => [['action' => 'toggle-users', 'userid' => 'https://evil.example/'], ''];
        yield 'userid as a list' => [['action' => 'toggle-users', 'userid' => ['42']], ''];
        yield 'userid negative' => [['action' => 'toggle-users', 'userid' => '-42'], ''];
        yield 'userid of 19 digits' => [['action' => 'toggle-users', 'userid' => '9223372036854775807'], ''];
        yield 'an action with a path' => [['action' => '../module/test-connection', 'userid' => '42'], ''];
        yield 'an action with a newline' => [['action' => "toggle-users\n", 'userid' => '42'], ''];
    }

    /**
     * Whatever a browser posts, the admin page redirects only to the
     * client's summary with a plain element id as the fragment, or not
     * at all (an error page): no field of the form names another place.
     *
     * @param array<string, mixed> $form
     *
     * @dataProvider hostileForms
     */
    #[\PHPUnit\Framework\Attributes\DataProvider('hostileForms')]
    public function testNoFormFieldSteersTheRedirect(array $form, string $want): void
    {
        $this->useServer(self::env('STAAS_FAKE_URL'));
        $this->control()->fake(200, '{"result":"success"}');
        $this->loginAdmin(1);
        $this->post($form);
        $r = (new AdminEndpoint(new Whmcs()))->handle('POST', $_POST);
        if ($want === '') {
            $this->assertFalse($r->isRedirect(), 'redirected to ' . $r->location());
            $this->assertGreaterThanOrEqual(400, $r->status);
        } else {
            $this->assertSame($want, $r->location());
        }
        if ($r->isRedirect()) {
            $this->assertMatchesRegularExpression(
                '/^clientssummary\.php\?userid=[1-9][0-9]{0,17}#[a-z0-9-]{1,64}$/D',
                $r->location(),
            );
        }
    }

    public function testAPlainAnchorFromStaasIsUsedOnSuccessAndError(): void
    {
        $this->useServer(self::env('STAAS_FAKE_URL'));
        $this->control()->fake(200, '{"result":"success","anchor":"staas-panel-quotas"}');
        $this->loginAdmin(1);
        $this->post(['action' => 'quota-get', 'userid' => '42']);
        $r = (new AdminEndpoint(new Whmcs()))->handle('POST', $_POST);
        $this->assertSame('clientssummary.php?userid=42#staas-panel-quotas', $r->location());

        $this->control()->fake(
            400,
            '{"result":"error","message":"Quota: a whole number.","code":"invalid","anchor":"staas-links-quota"}',
        );
        $this->post(['action' => 'quota-set', 'userid' => '42']);
        $r = (new AdminEndpoint(new Whmcs()))->handle('POST', $_POST);
        $this->assertSame('clientssummary.php?userid=42#staas-links-quota', $r->location());
    }

    public function testTheFormFieldsBecomeTheActionsParams(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $this->post([
            'action' => 'users-page',
            'userid' => (string) $client['id'],
            'module' => 'staas',
            'q' => 'zoë',
            'page' => '2',
            'Weird Key' => 'x',
            'arr' => ['a'],
        ]);
        $this->endpoint()->handle('POST', $_POST);
        $this->assertCount(1, \WhmcsStub::$moduleLog);
        $body = \WhmcsStub::$moduleLog[0]['request']['body'];
        $this->assertSame(['q' => 'zoë', 'page' => '2'], $body['params']);
        $this->assertSame(1, $body['admin']['id']);
        $this->assertStringEndsWith('/shim/v1/admin/actions/users-page', \WhmcsStub::$moduleLog[0]['request']['url']);
    }

    public function testOnlyTheActionsOwnFieldsAreForwarded(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $fields = [
            'action' => 'quota-delete',
            'userid' => (string) $client['id'],
            'module' => 'staas',
            'quota-of' => 'bucket:photos',
            'bucket' => 'photos',
            'confirm' => 'yes',
            'access_key' => 'x',
            'q' => 'x',
        ];
        for ($i = 0; $i < 40; $i++) {
            $fields['pad-' . $i] = str_repeat("\x01", 1024);
        }
        $this->post($fields);
        $this->endpoint()->handle('POST', $_POST);
        $this->assertCount(1, \WhmcsStub::$moduleLog);
        $this->assertSame(
            ['quota-of' => 'bucket:photos', 'confirm' => 'yes'],
            \WhmcsStub::$moduleLog[0]['request']['body']['params'],
        );

        // An action staas does not list gets no parameters at all.
        \WhmcsStub::$moduleLog = [];
        $this->post(['action' => 'format-disk', 'userid' => (string) $client['id'], 'disk' => 'sda']);
        $this->endpoint()->handle('POST', $_POST);
        $this->assertSame([], \WhmcsStub::$moduleLog[0]['request']['body']['params']);
    }

    public function testTheForwardedFieldsAreStaassList(): void
    {
        $path = self::env('STAAS_FIXTURES') . '/admin/action_params.json';
        $raw = file_get_contents($path);
        $this->assertIsString($raw, "fixture {$path} is missing");
        $want = json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
        $got = AdminEndpoint::ACTION_FIELDS;
        foreach ($got as &$fields) {
            sort($fields);
        }
        unset($fields);
        ksort($got);
        ksort($want);
        $this->assertSame(
            $want,
            $got,
            'AdminEndpoint::ACTION_FIELDS differs from staas\'s list (handlers/admin_params.go)',
        );
    }

    public function testTheStatusPageChangesNothing(): void
    {
        $this->loginAdmin(1);
        $r = $this->endpoint()->handle('GET', []);
        $this->assertSame(200, $r->status);
        $this->assertFalse($r->isRedirect());
        $this->assertStringContainsString('answers', $r->body);
        $this->assertStringContainsString(self::env('STAAS_URL'), $r->body);
        $this->assertSame([], \WhmcsStub::$tokenChecks);
    }

    public function testTheAddonEntryPrintsTheStatusPage(): void
    {
        $this->loginAdmin(1);
        $_SERVER['REQUEST_METHOD'] = 'GET';
        ob_start();
        staas_output(['modulelink' => 'addonmodules.php?module=staas']);
        $html = (string) ob_get_clean();
        $this->assertStringContainsString('alert-success', $html);
        $this->assertSame('staas', staas_config()['name']);
        $this->assertSame([], staas_config()['fields']);
        $this->assertSame('success', staas_activate()['status']);
        $this->assertSame('success', staas_deactivate()['status']);
    }

    public function testStaasDownShowsANoticeNeverABrokenPage(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        $this->staasDown();
        $links = $this->links($client['id']);
        $this->assertCount(1, $links);
        $this->assertStringContainsString('staas: staas is unreachable at ' . self::env('STAAS_DOWN_URL'), $links[0]);
        $panels = $this->panels($client['id']);
        $this->assertStringContainsString('alert', $panels);
        $this->assertStringContainsString('staas is unreachable', $panels);
        $this->assertStringContainsString(
            'failed',
            \WhmcsStub::activityText(),
            'the failure must reach the Activity Log',
        );

        // The addon page: an escaped error and a way back, nothing lost silently.
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertFalse($r->isRedirect());
        $this->assertStringContainsString('staas is unreachable', $r->body);
        $this->assertStringContainsString('href="clientssummary.php?userid=' . $client['id'] . '"', $r->body);
        $status = $this->endpoint()->handle('GET', []);
        $this->assertStringContainsString('alert-danger', $status->body);
    }

    public function testAWrongSecretIsShownNotSwallowed(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        putenv('STAAS_SHIM_SECRET=' . str_repeat('w', 40));
        $this->post(['action' => 'create-user', 'userid' => (string) $client['id']]);
        $r = $this->endpoint()->handle('POST', $_POST);
        $this->assertFalse(
            $r->isRedirect(),
            'a refused signature leaves no flash in staas: the admin must see it here',
        );
        $this->assertStringContainsString('bad signature', $r->body);
        $this->assertStringNotContainsString(str_repeat('w', 40), $r->body);
        $this->assertFalse($this->gatewayUser($client['email'])['exists']);
        $links = $this->links($client['id']);
        $this->assertStringContainsString('bad signature', $links[0]);
    }

    public function testStaasMarkupInTheNoticeIsEscaped(): void
    {
        $client = $this->newClient();
        $this->loginAdmin(1);
        putenv('STAAS_URL=https://<script>alert(1)</script>.example');
        $links = $this->links($client['id']);
        $this->assertStringNotContainsString('<script>', $links[0]);
        $this->assertStringContainsString('staas:', $links[0]);
    }
}

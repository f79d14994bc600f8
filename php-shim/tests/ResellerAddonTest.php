<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Module\Server\Staas\ResellerPage;

/**
 * The "staas resellers" addon page, through its WHMCS entry functions,
 * against a real staas: the page staas renders, the actions, WHMCS's CSRF
 * token, and passwords kept out of WHMCS's logs.
 */
final class ResellerAddonTest extends StaasTestCase
{
    private const LINK = 'addonmodules.php?module=staas_resellers';

    /** What staas_resellers_output prints, as WHMCS would show it. */
    private function output(): string
    {
        ob_start();
        try {
            staas_resellers_output(['modulelink' => self::LINK, 'version' => '1.0']);
        } finally {
            $html = (string) ob_get_clean();
        }

        return $html;
    }

    /** @param array<string, string> $fields */
    private function submit(string $action, array $fields, ?string $token = null): string
    {
        $this->post(['action' => $action] + $fields, $token);

        return $this->output();
    }

    public function testTheEntryFunctionsDescribeTheAddon(): void
    {
        $this->assertSame('staas resellers', staas_resellers_config()['name']);
        $this->assertSame([], staas_resellers_config()['fields']);
        $this->assertSame('success', staas_resellers_activate()['status']);
        $this->assertSame('success', staas_resellers_deactivate()['status']);
    }

    public function testThePageIsStaasesWithFormsPostingBackWithTheToken(): void
    {
        $this->loginAdmin(1, self::PERMS_ALL, 'Zoë', 'Admin', 'zadmin');
        $html = $this->output();
        $this->assertStringContainsString('id="staas-resellers"', $html);
        $this->assertStringContainsString('Add a reseller', $html);
        $this->assertStringContainsString('action="' . htmlspecialchars(self::LINK) . '"', $html);
        $this->assertStringContainsString('name="token" value="' . \WhmcsStub::$sessionToken . '"', $html);
        $this->assertSame([], \WhmcsStub::$tokenChecks, 'showing the page checks no token and changes nothing');
        $sent = \WhmcsStub::$moduleLog[0]['request']['body'] ?? [];
        $this->assertSame([ResellerPage::PERMISSION], array_values(array_diff(
            $sent['admin']['permissions'] ?? [],
            self::PERMS_ALL,
        )), 'the shim tells staas WHMCS let the admin in');
    }

    public function testAddShowsTheGeneratedPasswordOnceAndNeverLogsIt(): void
    {
        $this->loginAdmin(1);
        $email = $this->uniqueEmail('seller');
        $html = $this->submit('add', [
            'name' => 'Acme Reselling', 'email' => $email, 'source-kind' => 'group', 'source-value' => '3',
            'password' => '', 'userid' => '5', 'evil' => 'x',
        ]);
        $this->assertSame(['WHMCS.admin.default'], \WhmcsStub::$tokenChecks);
        $this->assertStringContainsString('Reseller ' . $email . ' added', $html);
        $this->assertSame(1, preg_match('#Password of [^<]+</dt>\s*<dd><code>([^<]+)</code>#', $html, $m), $html);
        $this->assertGreaterThanOrEqual(20, strlen($m[1]));
        $this->assertNotLogged($m[1], 'the generated password');
        $sent = \WhmcsStub::$moduleLog[0]['request']['body']['params'] ?? [];
        $this->assertSame(['email', 'name', 'password', 'source-kind', 'source-value'], array_keys($sent));

        // A chosen password goes to staas and nowhere else.
        $chosen = 'a chosen password ' . bin2hex(random_bytes(4));
        \WhmcsStub::reset();
        $this->loginAdmin(1);
        $html = $this->submit('add', [
            'name' => 'Beta', 'email' => $this->uniqueEmail('seller'), 'source-kind' => 'ids',
            'source-value' => '1,2', 'password' => $chosen,
        ]);
        $this->assertStringContainsString('added', $html);
        $this->assertStringNotContainsString($chosen, $html);
        $this->assertNotLogged($chosen, 'the chosen password');
        // The next page lists the new resellers and shows no password.
        $_POST = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $page = $this->output();
        $this->assertStringContainsString($email, $page);
        $this->assertStringNotContainsString($m[1], $page);
    }

    public function testABadEmailIsAFieldErrorAndNothingIsAdded(): void
    {
        $this->loginAdmin(1);
        $name = 'Nobody ' . bin2hex(random_bytes(4));
        $html = $this->submit('add', [
            'name' => $name, 'email' => 'not-an-address', 'source-kind' => 'group', 'source-value' => '3',
            'password' => '',
        ]);
        $this->assertStringContainsString('The email is not an address.', $html);
        $this->assertStringContainsString('Nothing was changed', $html);
        $this->assertStringContainsString('value="' . $name . '"', $html, 'the input is kept');
        $_POST = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $this->assertStringNotContainsString($name, $this->output());
    }

    public function testABadTokenSendsNothing(): void
    {
        $this->loginAdmin(1);
        $email = $this->uniqueEmail('seller');
        $html = $this->submit('add', [
            'name' => 'X', 'email' => $email, 'source-kind' => 'group', 'source-value' => '3', 'password' => '',
        ], 'not-the-session-token');
        $this->assertStringContainsString('security token is missing or has expired', $html);
        $r = ResellerPage::fromWhmcs()->handle('POST', $_POST, self::LINK);
        $this->assertSame(403, $r->status);
        $this->assertSame([], \WhmcsStub::$moduleLog, 'nothing was sent to staas');
    }

    public function testNoAdminAndUnknownActionsAreRefusedHere(): void
    {
        $r = ResellerPage::fromWhmcs()->handle('GET', [], self::LINK);
        $this->assertSame(403, $r->status);
        $this->assertStringContainsString('No WHMCS admin is logged in', $r->body);
        $this->loginAdmin(1);
        $this->post(['action' => 'drop-everything']);
        $r = ResellerPage::fromWhmcs()->handle('POST', $_POST, self::LINK);
        $this->assertSame(400, $r->status);
        $this->assertSame([], \WhmcsStub::$moduleLog);
    }

    public function testAWrongSecretIsShown(): void
    {
        $this->loginAdmin(1);
        putenv('STAAS_SHIM_SECRET=' . str_repeat('w', 40));
        $r = ResellerPage::fromWhmcs()->handle('GET', [], self::LINK);
        $this->assertSame(401, $r->status);
        $this->assertStringContainsString('bad signature', $r->body);
        $this->assertStringNotContainsString(str_repeat('w', 40), $r->body);
    }

    public function testTheForwardedFieldsAreStaassList(): void
    {
        $path = self::env('STAAS_FIXTURES') . '/admin/reseller_params.json';
        $want = json_decode((string) file_get_contents($path), true, 8, JSON_THROW_ON_ERROR);
        $got = ResellerPage::ACTION_FIELDS;
        ksort($want);
        ksort($got);
        $this->assertSame($want, $got, 'ResellerPage::ACTION_FIELDS differs from whmcsbridge.ResellerActionFields');
    }
}

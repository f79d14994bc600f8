<?php

declare(strict_types=1);

namespace StaasShimTests;

/**
 * The client's service page: staas's keys and buckets, and the client's
 * own buttons (custom functions behind WHMCS's client-area CSRF token).
 */
final class ClientAreaTest extends StaasTestCase
{
    /** @return array{0: array<string, mixed>, 1: string, 2: array<string, mixed>} params, S3 email, gateway user */
    private function activeService(string $local = 'owner'): array
    {
        $client = $this->newClient($local);
        $sid = $this->newServiceId();
        $params = $this->moduleParams($client, $sid);
        $this->assertSame('success', staas_CreateAccount($params));
        $params['status'] = 'Active';
        $email = $this->s3Email($client, $sid);

        return [$params, $email, $this->gatewayUser($email)];
    }

    private function page(array $params): string
    {
        $r = staas_ClientArea($params);
        $this->assertSame('templates/clientarea.tpl', $r['tabOverviewModuleOutputTemplate']);
        $this->assertFileExists(dirname(__DIR__) . '/modules/servers/staas/' . $r['tabOverviewModuleOutputTemplate']);
        $this->assertSame('', $r['templateVariables']['staasError']);

        return $r['templateVariables']['staasHtml'];
    }

    /** Posts the client's button as WHMCS's product details page would. */
    private function click(string $function, array $params, string $accessKey = '', ?string $token = null): string
    {
        $fields = ['modop' => 'custom', 'a' => $function, 'id' => $params['serviceid']];
        if ($accessKey !== '') {
            $fields['access_key'] = $accessKey;
        }
        $this->post($fields, $token);
        $fn = 'staas_' . $function;

        return $fn($params);
    }

    public function testTheServicePageShowsKeysAndButtonsWithTheToken(): void
    {
        [$params, $email, $u] = $this->activeService();
        $this->control()->addBucket($email, 'photos-' . $params['serviceid'], 1, 4096);
        $html = $this->page($params);
        $this->assertStringContainsString($u['keys'][0]['access_key'], $html);
        $this->assertStringNotContainsString($u['keys'][0]['secret_key'], $html, 'secrets are masked until revealed');
        $this->assertStringContainsString('photos-' . $params['serviceid'], $html);
        $this->assertStringContainsString('clientarea.php?action=productdetails&amp;id=' . $params['serviceid'], $html);
        $this->assertStringContainsString('value="' . \WhmcsStub::$sessionToken . '"', $html);
        foreach (array_values(staas_ClientAreaAllowedFunctions()) as $fn) {
            if ($fn !== 'hidesecret') {
                $this->assertStringContainsString('value="' . $fn . '"', $html, "no {$fn} button");
            }
        }
    }

    public function testTheTemplatePrintsStaasHtmlAndEscapesErrors(): void
    {
        $tpl = (string) file_get_contents(dirname(__DIR__) . '/modules/servers/staas/templates/clientarea.tpl');
        $this->assertMatchesRegularExpression('/\{\$staasHtml\}/', $tpl);
        $this->assertMatchesRegularExpression('/\{\$staasError\|escape:\'html\'\}/', $tpl);
        $this->assertDoesNotMatchRegularExpression('/\{\$staasError\}/', $tpl, 'an error must never print unescaped');
    }

    public function testGenerateRevealHideRevoke(): void
    {
        [$params, $email, $u] = $this->activeService('keys');
        $first = $u['keys'][0];

        $this->assertSame('success', $this->click('generatekey', $params));
        $this->assertContains('WHMCS.default', \WhmcsStub::$tokenChecks);
        $u = $this->gatewayUser($email);
        $this->assertCount(2, $u['keys']);
        $second = array_values(array_filter(
            $u['keys'],
            static fn (array $k): bool => $k['access_key'] !== $first['access_key'],
        ))[0];
        $this->assertStringContainsString($second['secret_key'], $this->page($params), 'a new secret shows once');
        $this->assertStringNotContainsString($second['secret_key'], $this->page($params), 'and only once');

        $this->assertSame('success', $this->click('revealsecret', $params, $first['access_key']));
        // The key went to staas, and the module log masks it like a secret.
        $this->assertSame('[redacted]', $this->lastClientAction()['params']['access_key']);
        $this->assertStringNotContainsString($first['access_key'], \WhmcsStub::moduleLogText());
        $this->assertStringContainsString($first['secret_key'], $this->page($params));

        $this->assertSame('success', $this->click('revealsecret', $params, $first['access_key']));
        $this->assertSame('success', $this->click('hidesecret', $params, $first['access_key']));
        $this->assertStringNotContainsString($first['secret_key'], $this->page($params));

        $this->assertSame('success', $this->click('revokekey', $params, $second['access_key']));
        $keys = array_column($this->gatewayUser($email)['keys'], 'access_key');
        $this->assertSame([$first['access_key']], $keys);

        // The secrets the client saw are in no log.
        $this->assertNotLogged($first['secret_key'], 'a revealed secret key');
        $this->assertNotLogged($second['secret_key'], 'a generated secret key');
        $this->assertNotLogged(\WhmcsStub::$sessionToken, 'the CSRF token');
        $this->assertNotLogged($this->secret(), 'the shared secret');
    }

    public function testWithoutAValidTokenNothingHappens(): void
    {
        [$params, $email, $u] = $this->activeService('csrf');
        $key = $u['keys'][0]['access_key'];
        foreach (['forged-token', ''] as $token) {
            $this->assertStringContainsString('expired', $this->click('generatekey', $params, '', $token));
            $this->assertStringContainsString('expired', $this->click('revokekey', $params, $key, $token));
            $this->assertStringContainsString('expired', $this->click('revealsecret', $params, $key, $token));
        }
        $sent = array_filter(
            \WhmcsStub::$moduleLog,
            static fn (array $e): bool => isset($e['request']['url']) && str_starts_with($e['action'], 'client-action'),
        );
        $this->assertSame([], $sent, 'forwarded without a valid token');
        $this->assertSame([$key], array_column($this->gatewayUser($email)['keys'], 'access_key'));
        $this->assertStringNotContainsString($u['keys'][0]['secret_key'], $this->page($params));
    }

    public function testAnotherClientsServiceIsRefused(): void
    {
        [$params, $email, $u] = $this->activeService('victim');
        $intruder = $this->newClient('intruder');
        $forged = $params;
        $forged['userid'] = (string) $intruder['id'];
        $forged['clientsdetails']['email'] = $intruder['email'];
        $result = $this->click('revokekey', $forged, $u['keys'][0]['access_key']);
        $this->assertNotSame('success', $result);
        $this->assertStringContainsString('another client', $result);
        $this->assertCount(1, $this->gatewayUser($email)['keys']);
    }

    public function testStaasDownGivesTheClientAPlainMessage(): void
    {
        [$params] = $this->activeService('down');
        $this->staasDown();
        $r = staas_ClientArea($params);
        $this->assertSame('', $r['templateVariables']['staasHtml']);
        $error = $r['templateVariables']['staasError'];
        $this->assertStringContainsString('cannot be reached', $error);
        $this->assertStringNotContainsString('127.0.0.1', $error, 'no internal address for clients');
        $click = $this->click('generatekey', $params);
        $this->assertStringContainsString('cannot be reached', $click);
        $this->assertStringNotContainsString('127.0.0.1', $click);
        // Staff still find the cause in the module log.
        $this->assertStringContainsString(
            'staas is unreachable at ' . self::env('STAAS_DOWN_URL'),
            \WhmcsStub::moduleLogText(),
        );
    }

    private function lastClientAction(): array
    {
        foreach (array_reverse(\WhmcsStub::$moduleLog) as $e) {
            if (str_starts_with($e['action'], 'client-action') && isset($e['request']['body'])) {
                return $e['request']['body'];
            }
        }
        $this->fail('no client action was sent');
    }
}

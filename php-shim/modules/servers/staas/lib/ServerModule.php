<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The server module's functions behind modules/servers/staas/staas.php.
 *
 * Each one turns WHMCS's call into one signed request to staas and
 * returns what WHMCS expects: "success" or a message for staff (core
 * functions), an array (TestConnection, tabs, client area). Nothing is
 * thrown out of here and no PHP warning escapes.
 */
final class ServerModule
{
    use CallsStaas;

    /** Module functions whose failures WHMCS keeps in its Module Queue. */
    private const QUEUED = ['create', 'suspend', 'unsuspend', 'terminate', 'change-package'];
    /** Client-area functions (ClientAreaAllowedFunctions) → staas's client actions. */
    public const CLIENT_ACTIONS = [
        'generatekey' => 'generate-key',
        'revokekey' => 'revoke-key',
        'revealsecret' => 'reveal-secret',
        'hidesecret' => 'hide-secret',
    ];
    /** What ClientAreaAllowedFunctions returns: label => function, the shape of WHMCS's sample modules. */
    public const CLIENT_FUNCTIONS = [
        'Generate key pair' => 'generatekey',
        'Revoke key pair' => 'revokekey',
        'Reveal secret key' => 'revealsecret',
        'Hide secret key' => 'hidesecret',
    ];
    /** How many service ids one usage-update call carries. */
    public const USAGE_CHUNK = 1000;

    /**
     * @param (\Closure(array<string, mixed>): Config)|null $loadConfig Config::load by default
     */
    public function __construct(
        private readonly Whmcs $whmcs,
        ?\Closure $loadConfig = null,
        ?Logger $logger = null,
        private readonly HostingTable $hosting = new HostingTable(),
    ) {
        $this->wire($loadConfig, $logger);
    }

    public static function fromWhmcs(): self
    {
        return new self(new Whmcs());
    }

    /** @return array<string, mixed> */
    public static function metaData(): array
    {
        return [
            'DisplayName' => 'staas S3 Storage',
            'APIVersion' => '1.1',
            'RequiresServer' => true,
        ];
    }

    /**
     * The product's Module Settings (ProductSettings); WHMCS passes them
     * back as configoption1…9 in this order.
     *
     * @return array<string, array<string, mixed>>
     */
    public static function configOptions(): array
    {
        return ProductSettings::fields();
    }

    /** @param array<string, mixed> $params */
    public function createAccount(array $params): string
    {
        return $this->core('create', $params, function (Client $client) use ($params): void {
            $request = Payload::module($params, $this->whmcs->adminId());
            $answer = $client->call('/shim/v1/module/create', $request, 'create');
            $fields = $answer['service_fields'] ?? null;
            if (is_array($fields)) {
                $this->hosting->writeServiceFields(Payload::id($params['serviceid'] ?? 0), $fields);
            }
        });
    }

    /** @param array<string, mixed> $params */
    public function suspendAccount(array $params): string
    {
        $reason = is_scalar($params['suspendreason'] ?? null) ? (string) $params['suspendreason'] : '';

        return $this->simple('suspend', $params, $reason !== '' ? ['suspend_reason' => $reason] : []);
    }

    /** @param array<string, mixed> $params */
    public function unsuspendAccount(array $params): string
    {
        return $this->simple('unsuspend', $params);
    }

    /** @param array<string, mixed> $params */
    public function terminateAccount(array $params): string
    {
        return $this->simple('terminate', $params);
    }

    /** @param array<string, mixed> $params */
    public function changePackage(array $params): string
    {
        return $this->simple('change-package', $params);
    }

    /**
     * @param array<string, mixed> $params
     *
     * @return array{success: bool, error: string}
     */
    public function testConnection(array $params): array
    {
        return $this->guard->call(
            Entry::staff('test-connection', $this->summary($params), 'TestConnection'),
            function () use ($params): array {
                $client = $this->client($params);
                $request = Payload::server($params, $this->whmcs->adminId());
                $client->call('/shim/v1/module/test-connection', $request, 'test-connection');

                return ['success' => true, 'error' => ''];
            },
            static fn (string $message): array => ['success' => false, 'error' => $message],
        );
    }

    /**
     * The admin's service tab: label => HTML that staas escaped.
     *
     * @param array<string, mixed> $params
     *
     * @return array<string, string>
     */
    public function adminServicesTabFields(array $params): array
    {
        return $this->guard->call(
            Entry::staff('services-tab', $this->summary($params), 'AdminServicesTabFields'),
            function () use ($params): array {
                $request = Payload::module($params, $this->whmcs->adminId());
                $answer = $this->client($params)->call('/shim/v1/module/services-tab', $request, 'services-tab');
                $out = [];
                foreach (is_array($answer['fields'] ?? null) ? $answer['fields'] : [] as $field) {
                    if (!is_array($field) || !is_string($field['label'] ?? null)) {
                        continue;
                    }
                    if (!is_string($field['html'] ?? null)) {
                        continue;
                    }
                    $label = Text::html($field['label']);
                    for ($n = 2; isset($out[$label]); $n++) {
                        $label = Text::html($field['label']) . ' (' . $n . ')';
                    }
                    $out[$label] = $field['html'];
                }

                return $out;
            },
            static fn (string $message): array => [
                'staas' => '<span class="text-danger">' . Text::html('staas: ' . $message) . '</span>',
            ],
        );
    }

    /**
     * The client's service page: staas's HTML in templates/clientarea.tpl,
     * shown below WHMCS's own overview.
     *
     * @param array<string, mixed> $params
     *
     * @return array<string, mixed>
     */
    public function clientArea(array $params): array
    {
        $page = static fn (string $html, string $error): array => [
            'tabOverviewModuleOutputTemplate' => 'templates/clientarea.tpl',
            'templateVariables' => ['staasHtml' => $html, 'staasError' => $error],
        ];

        return $this->guard->call(
            Entry::client('client-area', $this->summary($params), 'ClientArea'),
            function () use ($params, $page): array {
                $request = Payload::module($params, $this->whmcs->adminId(), ['token' => $this->whmcs->token()]);
                $answer = $this->client($params)->call('/shim/v1/module/client-area', $request, 'client-area');

                return $page(is_string($answer['html'] ?? null) ? $answer['html'] : '', '');
            },
            static fn (string $message): array => $page('', $message),
        );
    }

    /**
     * A client's button on their service page (ClientAreaAllowedFunctions):
     * checked against WHMCS's client-area CSRF token, then forwarded with
     * the form's access key.
     *
     * @param array<string, mixed> $params
     */
    public function clientAction(string $function, array $params): string
    {
        $action = self::CLIENT_ACTIONS[$function] ?? '';

        return $this->guard->call(
            Entry::client('client-action ' . $function, $this->summary($params), $function),
            function () use ($function, $action, $params): string {
                if ($action === '') {
                    throw new StaasException('Unknown action.', StaasException::LOCAL);
                }
                if (!$this->whmcs->checkToken('WHMCS.default')) {
                    throw new StaasException('This page has expired; reload it and try again.', StaasException::LOCAL);
                }
                $extra = [];
                $token = $_POST['token'] ?? ($_REQUEST['token'] ?? '');
                if (is_string($token) && $token !== '') {
                    $extra['token'] = $token;
                }
                $key = $_POST['access_key'] ?? '';
                if (is_string($key) && $key !== '') {
                    $extra['access_key'] = $key;
                }
                $request = Payload::module($params, $this->whmcs->adminId(), $extra);
                $path = '/shim/v1/module/client-action/' . $action;
                $this->client($params)->call($path, $request, 'client-action ' . $function);

                return 'success';
            },
            static fn (string $message): string => $message,
        );
    }

    /**
     * The daily cron's usage figures for one server's services, written
     * into tblhosting (MB) with lastupdate = now.
     *
     * @param array<string, mixed> $params
     */
    public function usageUpdate(array $params): string
    {
        return $this->guard->call(
            Entry::staff('usage-update', $this->summary($params), 'UsageUpdate'),
            function () use ($params): string {
                $serverId = Payload::id($params['serverid'] ?? 0);
                if ($serverId <= 0) {
                    throw new StaasException('UsageUpdate was called without a server id.', StaasException::LOCAL);
                }
                $client = $this->client($params);
                $ids = array_keys($this->hosting->billedServices($serverId));
                $failures = [];
                $missed = 0;
                foreach (array_chunk($ids, self::USAGE_CHUNK) as $chunk) {
                    try {
                        $request = Payload::usage($serverId, $chunk, $params);
                        $answer = $client->call('/shim/v1/module/usage-update', $request, 'usage-update');
                    } catch (StaasException $e) {
                        $failures[] = $e->getMessage();
                        $missed += count($chunk);
                        continue;
                    }
                    $this->hosting->writeUsage($serverId, $chunk, $answer['services'] ?? []);
                }
                if ($failures !== []) {
                    throw new StaasException(
                        rtrim($failures[0], '. ') . '; the usage of ' . $missed . ' of the ' . count($ids)
                        . ' services on server ' . $serverId . ' was not updated ('
                        . count($failures) . ' failed call(s) to staas).',
                        StaasException::REFUSED,
                    );
                }

                return 'success';
            },
            static fn (string $message): string => $message,
        );
    }

    /**
     * A module function on one service whose answer is only a result.
     *
     * @param array<string, mixed> $params
     * @param array<string, string> $extra
     */
    private function simple(string $function, array $params, array $extra = []): string
    {
        return $this->core($function, $params, function (Client $client) use ($function, $params, $extra): void {
            $request = Payload::module($params, $this->whmcs->adminId(), $extra);
            $client->call('/shim/v1/module/' . $function, $request, $function);
        });
    }

    /**
     * Runs a core function (Create, Suspend, …): "success" or the message
     * WHMCS shows staff and keeps in its Module Queue.
     *
     * @param array<string, mixed>   $params
     * @param callable(Client): void $work
     */
    private function core(string $function, array $params, callable $work): string
    {
        return $this->guard->call(
            Entry::staff($function, $this->summary($params), $function, in_array($function, self::QUEUED, true)),
            function () use ($params, $work): string {
                $work($this->client($params));

                return 'success';
            },
            static fn (string $message): string => $message,
        );
    }

    /**
     * What the module log shows of $params when a call fails before it
     * reaches staas: ids only, never the server password or access hash.
     *
     * @param array<string, mixed> $params
     *
     * @return array<string, int>
     */
    private function summary(array $params): array
    {
        return [
            'serviceid' => Payload::id($params['serviceid'] ?? 0),
            'userid' => Payload::id($params['userid'] ?? 0),
            'pid' => Payload::id($params['pid'] ?? 0),
            'serverid' => Payload::id($params['serverid'] ?? 0),
        ];
    }
}

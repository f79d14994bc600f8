<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * Builds the request payloads of shim protocol v1 from what WHMCS hands
 * the module, the hooks and the addon (docs/shim-protocol.md, "Payloads",
 * "Module calls", "Events").
 */
final class Payload
{
    private const MAX_PARAMS = 64;
    private const MAX_PARAM_VALUE = 1024;
    private const MAX_CONFIG_VALUE = 1024;
    private const MAX_EMAIL = 255;
    private const MAX_PERMISSIONS = 512;
    private const MAX_PERMISSION = 128;
    private const MAX_ADMIN_NAME = 255;

    /**
     * ModuleRequest for a module function or client-area action on one
     * service.
     *
     * @param array<string, mixed> $params WHMCS's module $params
     * @param array<string, mixed> $extra  the call's params (suspend_reason, token, access_key)
     *
     * @return array<string, mixed>
     */
    public static function module(array $params, int $adminId, array $extra = []): array
    {
        $client = is_array($params['clientsdetails'] ?? null) ? $params['clientsdetails'] : [];
        $config = [];
        foreach (ProductSettings::fromParams($params) as $name => $value) {
            $config[$name] = Text::cut(Text::utf8($value), self::MAX_CONFIG_VALUE);
        }

        return [
            'service_id' => self::id($params['serviceid'] ?? ($params['accountid'] ?? 0)),
            'client_id' => self::id($params['userid'] ?? 0),
            'client_email' => Text::cut(Text::utf8(trim(self::str($client['email'] ?? ''))), self::MAX_EMAIL),
            'product_id' => self::id($params['pid'] ?? ($params['packageid'] ?? 0)),
            'server_id' => self::id($params['serverid'] ?? 0),
            'status' => Text::cut(Text::utf8(self::str($params['status'] ?? '')), 64),
            'admin_id' => max(0, $adminId),
            'config' => $config,
            'params' => self::params($extra),
            'cluster' => self::cluster($params),
        ];
    }

    /**
     * ModuleRequest for test-connection: a server, no service, no product.
     *
     * @param array<string, mixed> $params
     *
     * @return array<string, mixed>
     */
    public static function server(array $params, int $adminId): array
    {
        return [
            'service_id' => 0,
            'client_id' => 0,
            'client_email' => '',
            'product_id' => 0,
            'server_id' => self::id($params['serverid'] ?? 0),
            'status' => '',
            'admin_id' => max(0, $adminId),
            'params' => [],
            'cluster' => self::cluster($params),
        ];
    }

    /**
     * AdminRequest for the client summary page's links and panels.
     *
     * @param list<string> $permissions
     *
     * @return array<string, mixed>
     */
    public static function admin(
        int $adminId,
        array $permissions,
        int $clientId,
        string $actionUrl,
        string $token,
        string $adminName = '',
    ): array {
        return [
            'admin' => self::adminOf($adminId, $permissions, $adminName),
            'client_id' => $clientId,
            'action_url' => $actionUrl,
            'token' => $token,
        ];
    }

    /**
     * The admin object of AdminRequest and ActionRequest: id, permissions
     * and, when WHMCS has one, the admin's name for the audit log (left
     * out when empty, as shims before the field sent it).
     *
     * @param list<string> $permissions
     *
     * @return array<string, mixed>
     */
    private static function adminOf(int $adminId, array $permissions, string $adminName): array
    {
        $admin = ['id' => $adminId, 'permissions' => self::permissions($permissions)];
        $name = Text::cut(Text::printable($adminName), self::MAX_ADMIN_NAME);
        if ($name !== '') {
            $admin['name'] = $name;
        }

        return $admin;
    }

    /**
     * ActionRequest for one admin action.
     *
     * @param list<string>         $permissions
     * @param array<string, mixed> $params      the form's fields, token and routing fields already removed
     *
     * @return array<string, mixed>
     */
    public static function action(
        int $adminId,
        array $permissions,
        int $clientId,
        array $params,
        string $adminName = '',
    ): array {
        return [
            'admin' => self::adminOf($adminId, $permissions, $adminName),
            'client_id' => $clientId,
            'params' => self::params($params),
        ];
    }

    /**
     * ResellerRequest for the staas resellers addon page: showing it
     * ($action '') or one action with its form's fields.
     *
     * @param list<string>          $permissions
     * @param array<string, string> $params      the action's own fields (ResellerPage::ACTION_FIELDS)
     *
     * @return array<string, mixed>
     */
    public static function resellers(
        int $adminId,
        array $permissions,
        string $actionUrl,
        string $token,
        string $formToken,
        string $action,
        array $params,
        string $adminName = '',
    ): array {
        return [
            'admin' => self::adminOf($adminId, $permissions, $adminName),
            'action_url' => $actionUrl,
            'token' => $token,
            'form_token' => Text::cut(Text::printable($formToken), 256),
            'action' => $action,
            'params' => self::params($params),
        ];
    }

    /**
     * EventRequest for a client or cron hook.
     *
     * @return array<string, mixed>
     */
    public static function event(int $clientId, int $adminId, string $email = '', string $oldEmail = ''): array
    {
        $out = ['client_id' => max(0, $clientId), 'admin_id' => max(0, $adminId)];
        if ($email !== '') {
            $out['email'] = Text::cut(Text::utf8(trim($email)), self::MAX_EMAIL);
        }
        if ($oldEmail !== '') {
            $out['old_email'] = Text::cut(Text::utf8(trim($oldEmail)), self::MAX_EMAIL);
        }

        return $out;
    }

    /**
     * UsageRequest: a server's service ids, and the server's cluster.
     *
     * @param list<int>            $serviceIds
     * @param array<string, mixed> $params     the server's params (serverusername)
     *
     * @return array<string, mixed>
     */
    public static function usage(int $serverId, array $serviceIds, array $params = []): array
    {
        return [
            'server_id' => max(0, $serverId),
            'service_ids' => array_values($serviceIds),
            'cluster' => self::cluster($params),
        ];
    }

    /**
     * The staas cluster a call is for: the WHMCS server entry's Username
     * (serverusername), trimmed; '' (the default cluster) when the entry
     * leaves it empty or there is no server entry. staas checks the name
     * and refuses one it does not know, saying so.
     *
     * @param array<string, mixed> $params WHMCS's module or server $params
     */
    public static function cluster(array $params): string
    {
        return Text::utf8(trim(self::str($params['serverusername'] ?? '')));
    }

    /**
     * A positive id from what WHMCS hands over (ints, numeric strings);
     * 0 for anything else.
     */
    public static function id(mixed $v): int
    {
        if (is_int($v)) {
            return max(0, $v);
        }
        if (is_string($v) && preg_match('/^\s*[0-9]{1,18}\s*$/', $v)) {
            return (int) trim($v);
        }
        if (is_float($v) && $v >= 0 && $v < 1e18 && floor($v) === $v) {
            return (int) $v;
        }

        return 0;
    }

    /**
     * params as the protocol takes them: keys of a-z 0-9 _ -, values
     * strings of at most 1024 bytes of UTF-8; anything else is left out.
     * An empty set is [] (PHP's way; staas takes it).
     *
     * @param array<mixed> $in
     *
     * @return array<string, string>
     */
    public static function params(array $in): array
    {
        $out = [];
        foreach ($in as $k => $v) {
            if (count($out) >= self::MAX_PARAMS) {
                break;
            }
            if (!is_string($k) || !preg_match('/^[a-z0-9_-]{1,64}$/', $k) || !is_scalar($v)) {
                continue;
            }
            $out[$k] = Text::cut(Text::utf8((string) $v), self::MAX_PARAM_VALUE);
        }

        return $out;
    }

    /**
     * @param array<mixed> $permissions
     *
     * @return list<string>
     */
    private static function permissions(array $permissions): array
    {
        $out = [];
        foreach ($permissions as $p) {
            if (!is_string($p) || $p === '' || strlen($p) > self::MAX_PERMISSION) {
                continue;
            }
            if (count($out) < self::MAX_PERMISSIONS) {
                $out[] = $p;
            }
        }

        return $out;
    }

    private static function str(mixed $v): string
    {
        return is_scalar($v) ? (string) $v : '';
    }
}

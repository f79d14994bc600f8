<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The product's nine Module Settings, declared once: their wire names
 * (what staas's ProductConfig decodes, docs/shim-protocol.md), their
 * order (WHMCS hands them back as configoption1…9), and the fields WHMCS
 * shows on the product's Module Settings tab. Adding or reordering a
 * setting is a protocol change: staas refuses a config with a setting
 * it does not know or without one it requires.
 */
final class ProductSettings
{
    /**
     * The Module Settings tab: wire name => WHMCS's field, in
     * configoption1…9 order (staas_ConfigOptions).
     *
     * @return array<string, array<string, mixed>>
     */
    public static function fields(): array
    {
        $ops = static fn (string $name, string $what): array => [
            'FriendlyName' => $name,
            'Type' => 'text',
            'Size' => '10',
            'Default' => '',
            'Description' => $what . ' operations per second, up to 2 decimals; empty or 0 is unlimited',
        ];

        return [
            'ops_default' => $ops('Ops limit: default (ops/s)', 'Any other'),
            'ops_get' => $ops('Ops limit: GET (ops/s)', 'GET'),
            'ops_put' => $ops('Ops limit: PUT (ops/s)', 'PUT'),
            'ops_list' => $ops('Ops limit: LIST (ops/s)', 'LIST'),
            'ops_delete' => $ops('Ops limit: DELETE (ops/s)', 'DELETE'),
            'bandwidth_out' => [
                'FriendlyName' => 'Bandwidth limit: out (KB/s)',
                'Type' => 'text',
                'Size' => '10',
                'Default' => '',
                'Description' => 'Download speed in KB/s, a whole number; empty or 0 is unlimited',
            ],
            'quota_gb' => [
                'FriendlyName' => 'User quota (GB)',
                'Type' => 'text',
                'Size' => '10',
                'Default' => '',
                'Description' => 'Storage quota of the S3 user in GB, a whole number; empty or 0 is none',
            ],
            'terminate_buckets' => [
                'FriendlyName' => 'Buckets left at termination',
                'Type' => 'dropdown',
                'Options' => [
                    'fail' => 'Fail with a message',
                    'purge' => 'Purge: delete every object and bucket',
                ],
                'Default' => 'fail',
                'Description' => 'What Terminate does when the S3 user still owns buckets',
            ],
            'email_template' => [
                'FriendlyName' => 'S3 user email template',
                'Type' => 'text',
                'Size' => '40',
                'Default' => '{local}+s3-{service_id}@{domain}',
                'Description' => 'The S3 user\'s email from the client\'s: {email}, {local}, {domain}, {service_id}, '
                    . '{client_id}; must contain {service_id}',
            ],
        ];
    }

    /**
     * The wire names in configoption1…9 order.
     *
     * @return list<string>
     */
    public static function names(): array
    {
        return array_keys(self::fields());
    }

    /**
     * The settings as WHMCS hands them to a module function
     * (configoption1…9), by wire name; what is not a scalar is ''.
     *
     * @param array<string, mixed> $params WHMCS's module $params
     *
     * @return array<string, string>
     */
    public static function fromParams(array $params): array
    {
        $out = [];
        foreach (self::names() as $i => $name) {
            $v = $params['configoption' . ($i + 1)] ?? '';
            $out[$name] = is_scalar($v) ? (string) $v : '';
        }

        return $out;
    }
}

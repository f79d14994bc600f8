<?php

declare(strict_types=1);

namespace StaasShimTests;

use PHPUnit\Framework\TestCase;
use WHMCS\Database\Capsule;
use WHMCS\Module\Server\Staas\ProductSettings;
use WHMCS\User\Admin;

/**
 * A test against the real staas servers the Go harness started: a fresh
 * WHMCS runtime (session, logs, tblhosting) per test, and helpers that
 * build what WHMCS hands the module.
 */
abstract class StaasTestCase extends TestCase
{
    public const PERMS_ALL = ['View Clients Summary', 'Perform Server Operations'];

    private static int $nextServiceId = 0;
    private static ?Control $control = null;

    protected function setUp(): void
    {
        \WhmcsStub::reset();
        Capsule::reset();
        Admin::$current = null;
        $_SESSION = [];
        $_POST = [];
        $_GET = [];
        $_REQUEST = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $this->useServer(self::env('STAAS_URL'));
        putenv('STAAS_SHIM_SECRET=' . self::env('STAAS_SHIM_SECRET'));
    }

    protected function tearDown(): void
    {
        $this->useServer(self::env('STAAS_URL'));
        putenv('STAAS_SHIM_SECRET=' . self::env('STAAS_SHIM_SECRET'));
        if (self::$control !== null) {
            self::$control->gatewayUp();
        }
    }

    /** A variable the Go harness set; its absence fails the test loudly. */
    public static function env(string $name): string
    {
        $v = $_ENV['STAAS_HARNESS'][$name] ?? getenv($name);
        if (!is_string($v) || $v === '') {
            throw new \RuntimeException(
                "{$name} is not set: run this suite through `go test ./php-shim` (the harness starts staas)",
            );
        }

        return $v;
    }

    /** Points the shim at another staas (STAAS_URL, as an operator would). */
    protected function useServer(string $url): void
    {
        putenv('STAAS_URL=' . $url);
    }

    /** Server B: S3 users on ClientAdd, deleted clients' S3 users deleted. */
    protected function useServerB(): void
    {
        $this->useServer(self::env('STAAS_URL_B'));
    }

    protected function staasDown(): void
    {
        $this->useServer(self::env('STAAS_DOWN_URL'));
    }

    protected function control(): Control
    {
        return self::$control ??= new Control(self::env('STAAS_CONTROL_URL'));
    }

    protected function secret(): string
    {
        return self::env('STAAS_SHIM_SECRET');
    }

    /** A unique address for a new client. */
    protected function uniqueEmail(string $local = 'client'): string
    {
        return $local . '-' . bin2hex(random_bytes(4)) . '@example.com';
    }

    /** @return array{id: int, email: string} a new WHMCS client */
    protected function newClient(string $local = 'client'): array
    {
        return $this->control()->addClient($this->uniqueEmail($local));
    }

    protected function newServiceId(): int
    {
        if (self::$nextServiceId === 0) {
            self::$nextServiceId = 1000 + random_int(0, 100) * 1000;
        }

        return ++self::$nextServiceId;
    }

    /** The S3 user's email for the default template. */
    protected function s3Email(array $client, int $serviceId): string
    {
        [$local, $domain] = explode('@', $client['email'], 2);

        return $local . '+s3-' . $serviceId . '@' . $domain;
    }

    /**
     * The module $params WHMCS passes for a service, its row added to
     * tblhosting.
     *
     * @param array{id: int, email: string} $client
     * @param array<string, string>         $config by wire name
     *
     * @return array<string, mixed>
     */
    protected function moduleParams(
        array $client,
        int $serviceId,
        array $config = [],
        string $status = 'Pending',
        int $serverId = 1,
    ): array {
        // Each setting as a new product has it (its Default), then $config.
        $settings = array_merge(
            array_map(static fn (array $field): string => $field['Default'], ProductSettings::fields()),
            $config,
        );
        $params = [
            'serviceid' => (string) $serviceId,
            'accountid' => (string) $serviceId,
            'userid' => (string) $client['id'],
            'pid' => '3',
            'packageid' => '3',
            'serverid' => (string) $serverId,
            'domain' => '',
            'username' => 'abcdefgh',
            'password' => 'WhmcsGeneratedPw1',
            'producttype' => 'other',
            'moduletype' => 'staas',
            'status' => $status,
            'server' => true,
            'serverip' => '',
            'serverhostname' => '',
            'serverusername' => '',
            'serverpassword' => 'server-password-never-sent',
            'serveraccesshash' => '',
            'serversecure' => true,
            'serverport' => '',
            'clientsdetails' => [
                'id' => $client['id'],
                'userid' => $client['id'],
                'email' => $client['email'],
                'firstname' => 'Test',
                'lastname' => 'Tester',
            ],
            'customfields' => [],
            'configoptions' => [],
        ];
        foreach (ProductSettings::names() as $i => $name) {
            $params['configoption' . ($i + 1)] = $settings[$name];
        }
        Capsule::$tables['tblhosting'][$serviceId] ??= [
            'id' => $serviceId, 'userid' => $client['id'], 'server' => $serverId, 'packageid' => 3,
            'domain' => '', 'username' => 'abcdefgh', 'domainstatus' => $status,
            'diskusage' => 0, 'disklimit' => 0, 'bwusage' => 0, 'bwlimit' => 0, 'lastupdate' => '0000-00-00 00:00:00',
        ];

        return $params;
    }

    /** A WHMCS admin logged in with the given permissions. */
    protected function loginAdmin(
        int $id = 1,
        array $permissions = self::PERMS_ALL,
        string $first = '',
        string $last = '',
        string $username = '',
    ): void {
        $_SESSION['adminid'] = $id;
        Admin::$current = new Admin($id, $permissions, $first, $last, $username);
    }

    /** A form post carrying WHMCS's token (valid unless $token is given). */
    protected function post(array $fields, ?string $token = null): void
    {
        $fields['token'] = $token ?? \WhmcsStub::$sessionToken;
        $_POST = $fields;
        $_REQUEST = $fields;
        $_SERVER['REQUEST_METHOD'] = 'POST';
    }

    /**
     * Runs every callback registered for a hook point, as WHMCS's
     * run_hook does, and returns their truthy results.
     *
     * @return list<mixed>
     */
    protected function runHook(string $point, array $vars): array
    {
        $out = [];
        $found = false;
        foreach (\WhmcsStub::$hooks as $h) {
            if ($h['point'] === $point) {
                $found = true;
                $r = ($h['fn'])($vars);
                if ($r) {
                    $out[] = $r;
                }
            }
        }
        $this->assertTrue($found, "no hook registered for {$point}");

        return $out;
    }

    /** The gateway's state of a user, read through the control API. */
    protected function gatewayUser(string $email): array
    {
        return $this->control()->user($email);
    }

    /** Asserts that no log WHMCS keeps holds $secret. */
    protected function assertNotLogged(string $secret, string $what): void
    {
        $this->assertNotSame('', $secret);
        $this->assertStringNotContainsString($secret, \WhmcsStub::moduleLogText(), "{$what} reached the module log");
        $this->assertStringNotContainsString($secret, \WhmcsStub::activityText(), "{$what} reached the activity log");
        foreach (\WhmcsStub::$moduleLog as $entry) {
            $raw = print_r([$entry['request'], $entry['response'], $entry['processed']], true);
            $this->assertStringNotContainsString($secret, $raw, "{$what} was handed to logModuleCall unscrubbed");
        }
    }
}

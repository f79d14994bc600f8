<?php

declare(strict_types=1);

/*
 * staas: WHMCS addon module. Its page (addonmodules.php?module=staas) takes
 * the forms of staas's S3 links and panels on the client summary page; the
 * work is in WHMCS\Module\Server\Staas\AdminEndpoint. Give access to the
 * admin roles that may use the S3 actions (Addon Modules > staas >
 * Configure > Access Control).
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/../../servers/staas/lib/autoload.php';

use WHMCS\Module\Server\Staas\AdminEndpoint;

function staas_config(): array
{
    return [
        'name' => 'staas',
        'description' => 'Takes the S3 actions of the client summary page to staas, '
            . 'the service behind the staas S3 Storage server module.',
        'version' => '1.0',
        'author' => 'staas',
        'fields' => [],
    ];
}

function staas_activate(): array
{
    return [
        'status' => 'success',
        'description' => 'staas is active. Grant access to the admin roles that may use the S3 actions, '
            . 'and configure modules/servers/staas/config.php.',
    ];
}

function staas_deactivate(): array
{
    return [
        'status' => 'success',
        'description' => 'staas is deactivated; the S3 actions on client summary pages '
            . 'stop working until it is activated again.',
    ];
}

function staas_output(array $vars): void
{
    $method = is_string($_SERVER['REQUEST_METHOD'] ?? null) ? $_SERVER['REQUEST_METHOD'] : 'GET';
    $response = AdminEndpoint::fromWhmcs()->handle($method, $_POST);
    $response->send();
    if ($response->isRedirect()) {
        exit;
    }
}

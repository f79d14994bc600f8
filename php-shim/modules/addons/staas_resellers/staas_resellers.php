<?php

declare(strict_types=1);

/*
 * staas resellers: WHMCS addon module. Its page
 * (addonmodules.php?module=staas_resellers) lists and manages the
 * resellers of staas's reseller portal; staas renders it, the work is in
 * WHMCS\Module\Server\Staas\ResellerPage. Give access only to the admin
 * roles that may manage resellers (Addon Modules > staas resellers >
 * Configure > Access Control): staas takes that access as the permission.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/../../servers/staas/lib/autoload.php';

use WHMCS\Module\Server\Staas\ResellerPage;

function staas_resellers_config(): array
{
    return [
        'name' => 'staas resellers',
        'description' => 'Manages the resellers of staas\'s reseller portal: add, assign clients, '
            . 'reset passwords, disable, and enrol a second factor.',
        'version' => '1.0',
        'author' => 'staas',
        'fields' => [],
    ];
}

function staas_resellers_activate(): array
{
    return [
        'status' => 'success',
        'description' => 'staas resellers is active. Grant access only to the admin roles that may manage '
            . 'resellers; it uses modules/servers/staas/config.php.',
    ];
}

function staas_resellers_deactivate(): array
{
    return [
        'status' => 'success',
        'description' => 'staas resellers is deactivated; the resellers and their portal stay as they are.',
    ];
}

function staas_resellers_output(array $vars): void
{
    $method = is_string($_SERVER['REQUEST_METHOD'] ?? null) ? $_SERVER['REQUEST_METHOD'] : 'GET';
    $link = is_string($vars['modulelink'] ?? null) && $vars['modulelink'] !== ''
        ? $vars['modulelink']
        : 'addonmodules.php?module=staas_resellers';
    ResellerPage::fromWhmcs()->handle($method, $_POST, $link)->send();
}

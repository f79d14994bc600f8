<?php

declare(strict_types=1);

/*
 * staas S3 Storage: WHMCS hooks. Each hook hands over to
 * WHMCS\Module\Server\Staas\Hooks, which never lets a failure break the
 * page or action it runs in.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/../../modules/servers/staas/lib/autoload.php';

use WHMCS\Module\Server\Staas\Hooks;

// The client summary page: staas's S3 action links and panels.
add_hook('AdminAreaClientSummaryActionLinks', 1, static function ($vars = []): array {
    return Hooks::fromWhmcs()->actionLinks(is_array($vars) ? $vars : []);
});
add_hook('AdminAreaClientSummaryPage', 1, static function ($vars = []): string {
    return Hooks::fromWhmcs()->summaryPage(is_array($vars) ? $vars : []);
});

// Client events: staas keeps its S3 users in step with WHMCS's clients.
add_hook('ClientAdd', 1, static function ($vars = []): void {
    Hooks::fromWhmcs()->clientAdd(is_array($vars) ? $vars : []);
});
add_hook('ClientEdit', 1, static function ($vars = []): void {
    Hooks::fromWhmcs()->clientEdit(is_array($vars) ? $vars : []);
});
add_hook('ClientClose', 1, static function ($vars = []): void {
    Hooks::fromWhmcs()->clientClose(is_array($vars) ? $vars : []);
});
add_hook('PreDeleteClient', 1, static function ($vars = []): void {
    Hooks::fromWhmcs()->clientDelete(is_array($vars) ? $vars : []);
});

// The end of WHMCS's daily cron: staas's daily work, reported in the Activity Log.
add_hook('DailyCronJob', 1, static function ($vars = []): void {
    Hooks::fromWhmcs()->dailyCron(is_array($vars) ? $vars : []);
});

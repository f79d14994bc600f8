<?php

declare(strict_types=1);

/*
 * staas S3 Storage: WHMCS server module.
 *
 * A thin entry file: each function hands WHMCS's call to
 * WHMCS\Module\Server\Staas\ServerModule (lib/), which signs one request
 * to staas and returns what WHMCS expects. Configuration: config.php next
 * to this file (see config.example.php) or the server entry.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/autoload.php';

use WHMCS\Module\Server\Staas\ServerModule;

function staas_MetaData(): array
{
    return ServerModule::metaData();
}

function staas_ConfigOptions(): array
{
    return ServerModule::configOptions();
}

function staas_CreateAccount(array $params): string
{
    return ServerModule::fromWhmcs()->createAccount($params);
}

function staas_SuspendAccount(array $params): string
{
    return ServerModule::fromWhmcs()->suspendAccount($params);
}

function staas_UnsuspendAccount(array $params): string
{
    return ServerModule::fromWhmcs()->unsuspendAccount($params);
}

function staas_TerminateAccount(array $params): string
{
    return ServerModule::fromWhmcs()->terminateAccount($params);
}

function staas_ChangePackage(array $params): string
{
    return ServerModule::fromWhmcs()->changePackage($params);
}

function staas_TestConnection(array $params): array
{
    return ServerModule::fromWhmcs()->testConnection($params);
}

function staas_AdminServicesTabFields(array $params): array
{
    return ServerModule::fromWhmcs()->adminServicesTabFields($params);
}

function staas_ClientArea(array $params): array
{
    return ServerModule::fromWhmcs()->clientArea($params);
}

function staas_ClientAreaAllowedFunctions(): array
{
    return ServerModule::CLIENT_FUNCTIONS;
}

function staas_generatekey(array $params): string
{
    return ServerModule::fromWhmcs()->clientAction('generatekey', $params);
}

function staas_revokekey(array $params): string
{
    return ServerModule::fromWhmcs()->clientAction('revokekey', $params);
}

function staas_revealsecret(array $params): string
{
    return ServerModule::fromWhmcs()->clientAction('revealsecret', $params);
}

function staas_hidesecret(array $params): string
{
    return ServerModule::fromWhmcs()->clientAction('hidesecret', $params);
}

function staas_UsageUpdate(array $params): string
{
    return ServerModule::fromWhmcs()->usageUpdate($params);
}

/**
 * WHMCS usage billing: the metrics staas bills by, per tenant (the
 * service's domain). $params are the server's.
 */
function staas_MetricProvider(array $params): \WHMCS\Module\Server\Staas\MetricProvider
{
    return new \WHMCS\Module\Server\Staas\MetricProvider($params);
}

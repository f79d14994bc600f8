<?php

declare(strict_types=1);

/*
 * PHPUnit bootstrap: WHMCS's runtime stubbed, then the shim loaded the way
 * WHMCS loads it (the server module, the addon module, the hook file).
 * The suite runs against real staas servers started by the Go harness
 * (`go test ./php-shim`); without them it fails, it never skips.
 */

error_reporting(E_ALL);
ini_set('display_errors', '1');

if (!extension_loaded('curl')) {
    fwrite(STDERR, "PHP's curl extension is missing: apt-get install php-curl\n");
    exit(1);
}
// The harness's values, kept before the tests point STAAS_URL elsewhere.
$_ENV['STAAS_HARNESS'] = [];
$harness = [
    'STAAS_URL', 'STAAS_URL_B', 'STAAS_SHIM_SECRET', 'STAAS_CONTROL_URL',
    'STAAS_DOWN_URL', 'STAAS_FAKE_URL', 'STAAS_FIXTURES',
];
foreach ($harness as $name) {
    $value = getenv($name);
    if ($value === false || $value === '') {
        fwrite(
            STDERR,
            "{$name} is not set: run this suite through `go test ./php-shim`, which starts staas and sets it\n",
        );
        exit(1);
    }
    $_ENV['STAAS_HARNESS'][$name] = $value;
}

define('WHMCS', true);

require __DIR__ . '/support/whmcs_stubs.php';
require __DIR__ . '/support/Control.php';
require __DIR__ . '/support/StaasTestCase.php';

$root = dirname(__DIR__);
require $root . '/modules/servers/staas/staas.php';
require $root . '/modules/addons/staas/staas.php';
require $root . '/modules/addons/staas_resellers/staas_resellers.php';
require $root . '/includes/hooks/staas.php';

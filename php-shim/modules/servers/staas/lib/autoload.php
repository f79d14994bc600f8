<?php

declare(strict_types=1);

/*
 * Loads the classes of WHMCS\Module\Server\Staas from this directory.
 *
 * WHMCS registers the same namespace for a server module's lib/ folder by
 * itself, but only where it loads the module; the hooks, the addon module
 * and the tests require this file so they do not depend on that.
 */

if (!defined('STAAS_SHIM_AUTOLOAD')) {
    define('STAAS_SHIM_AUTOLOAD', true);
    spl_autoload_register(static function (string $class): void {
        $prefix = 'WHMCS\\Module\\Server\\Staas\\';
        if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
            return;
        }
        $relative = substr($class, strlen($prefix));
        if (!preg_match('/^[A-Za-z][A-Za-z0-9]*$/', $relative)) {
            return;
        }
        $file = __DIR__ . '/' . $relative . '.php';
        if (is_file($file)) {
            require_once $file;
        }
    });
}

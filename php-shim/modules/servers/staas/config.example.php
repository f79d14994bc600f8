<?php

declare(strict_types=1);

/*
 * staas shim configuration. Copy this file to config.php in the same
 * folder and set url and secret. config.php holds a secret: keep it
 * readable by the web server's user only (chmod 640) and out of backups
 * you share.
 *
 * A WHMCS server entry of the module may set the URL (Hostname, Secure,
 * Port) and the secret (Access Hash) instead, for the module functions;
 * the hooks and the addon page always read this file. The environment
 * variables STAAS_URL and STAAS_SHIM_SECRET, when set, come before this
 * file (and after the server entry).
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

return [
    // staas's address: scheme, host and port only, no path. https://, or
    // http:// to 127.0.0.1/localhost when staas runs on this machine.
    'url' => 'https://staas.example.com',

    // The same value as staas's STAAS_SHIM_SECRET (at least 32 characters;
    // `openssl rand -hex 32` makes one).
    'secret' => '',

    // Seconds one call to staas may take in all, and to connect.
    'timeout' => 15,
    'connect_timeout' => 5,

    // A CA bundle for staas's certificate when it is not signed by a CA
    // the system trusts; empty uses the system's.
    'ca_file' => '',
];

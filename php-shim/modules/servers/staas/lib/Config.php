<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * Where staas is and the secret shared with it, read once per call.
 *
 * Each setting is taken from the first of these that sets it:
 *
 *  1. the WHMCS server entry the module function runs for (server module
 *     functions only): Hostname, "Secure" and Port make the URL, the
 *     Access Hash is the secret;
 *  2. the environment: STAAS_URL, STAAS_SHIM_SECRET (meant for tests and
 *     containers);
 *  3. modules/servers/staas/config.php, which returns an array with url,
 *     secret, timeout and connect_timeout (see config.example.php).
 *
 * The hooks and the addon module have no server entry: they use 2 and 3.
 */
final class Config
{
    public const DEFAULT_TIMEOUT = 15;
    public const DEFAULT_CONNECT_TIMEOUT = 5;
    /** staas refuses shorter secrets (STAAS_SHIM_SECRET). */
    public const MIN_SECRET_LENGTH = 32;

    private function __construct(
        public readonly string $url,
        public readonly string $secret,
        public readonly int $timeout,
        public readonly int $connectTimeout,
        public readonly string $caFile,
        /** Where the URL came from, for messages: "server entry", "environment" or a file. */
        public readonly string $urlSource,
    ) {
    }

    /** The default place of the file an admin edits. */
    public static function defaultFile(): string
    {
        return dirname(__DIR__) . '/config.php';
    }

    /**
     * Loads the configuration.
     *
     * @param array<string, mixed>       $params module $params (server entry), or [] outside a module function
     * @param string|null                $file   config.php; null for the default place
     * @param array<string, string>|null $env    the environment; null for getenv()
     *
     * @throws StaasException when staas is not configured or a setting is wrong
     */
    public static function load(array $params = [], ?string $file = null, ?array $env = null): self
    {
        $file ??= self::defaultFile();
        $fromFile = self::readFile($file);
        $envUrl = self::envValue($env, 'STAAS_URL');
        $envSecret = self::envValue($env, 'STAAS_SHIM_SECRET');

        $url = '';
        $urlSource = '';
        $serverUrl = self::serverUrl($params);
        if ($serverUrl !== '') {
            [$url, $urlSource] = [$serverUrl, 'the WHMCS server entry'];
        } elseif ($envUrl !== '') {
            [$url, $urlSource] = [$envUrl, 'STAAS_URL'];
        } elseif (self::stringSetting($fromFile, 'url') !== '') {
            [$url, $urlSource] = [self::stringSetting($fromFile, 'url'), $file];
        }

        $secret = trim(self::scalarString($params['serveraccesshash'] ?? ''));
        $secretSource = 'the Access Hash of the WHMCS server entry';
        if ($secret === '') {
            [$secret, $secretSource] = [$envSecret, 'STAAS_SHIM_SECRET'];
        }
        if ($secret === '') {
            [$secret, $secretSource] = [self::stringSetting($fromFile, 'secret'), $file];
        }

        if ($url === '' || $secret === '') {
            $missing = $url === '' ? ($secret === '' ? 'URL and shared secret' : 'URL') : 'shared secret';
            throw new StaasException(
                "staas is not configured: its {$missing} is not set. Copy modules/servers/staas/config.example.php "
                . 'to config.php and set url and secret (the secret is staas\'s STAAS_SHIM_SECRET).',
                StaasException::CONFIG,
            );
        }
        $url = self::checkUrl($url, $urlSource);
        if (strlen($secret) < self::MIN_SECRET_LENGTH) {
            throw new StaasException(
                "The shared secret from {$secretSource} is shorter than " . self::MIN_SECRET_LENGTH
                . ' characters; use the value of staas\'s STAAS_SHIM_SECRET.',
                StaasException::CONFIG,
            );
        }

        return new self(
            $url,
            $secret,
            self::seconds($fromFile, 'timeout', self::DEFAULT_TIMEOUT, $file),
            self::seconds($fromFile, 'connect_timeout', self::DEFAULT_CONNECT_TIMEOUT, $file),
            self::stringSetting($fromFile, 'ca_file'),
            $urlSource,
        );
    }

    /** A copy that calls another URL (tests, the status page). */
    public function withUrl(string $url): self
    {
        return new self(
            self::checkUrl($url, 'the caller'),
            $this->secret,
            $this->timeout,
            $this->connectTimeout,
            $this->caFile,
            'the caller',
        );
    }

    /** @return array<string, mixed> */
    private static function readFile(string $file): array
    {
        if (!is_file($file)) {
            return [];
        }
        $data = (static function (string $f) {
            return include $f;
        })($file);
        if (!is_array($data)) {
            throw new StaasException("{$file} must return an array (see config.example.php).", StaasException::CONFIG);
        }

        return $data;
    }

    /** @param array<string, string>|null $env */
    private static function envValue(?array $env, string $name): string
    {
        if ($env !== null) {
            return trim((string) ($env[$name] ?? ''));
        }
        $v = getenv($name);

        return $v === false ? '' : trim($v);
    }

    /** @param array<string, mixed> $data */
    private static function stringSetting(array $data, string $key): string
    {
        return trim(self::scalarString($data[$key] ?? ''));
    }

    private static function scalarString(mixed $v): string
    {
        return is_scalar($v) ? (string) $v : '';
    }

    /** @param array<string, mixed> $data */
    private static function seconds(array $data, string $key, int $default, string $file): int
    {
        if (!isset($data[$key]) || $data[$key] === '') {
            return $default;
        }
        $v = $data[$key];
        if (is_string($v) && ctype_digit($v)) {
            $v = (int) $v;
        }
        if (!is_int($v) || $v < 1 || $v > 600) {
            throw new StaasException(
                "{$key} in {$file} must be a whole number of seconds from 1 to 600.",
                StaasException::CONFIG,
            );
        }

        return $v;
    }

    /**
     * The URL of the server entry: only when the entry sets a hostname,
     * so an entry left empty defers to the environment and config.php.
     *
     * @param array<string, mixed> $params
     */
    private static function serverUrl(array $params): string
    {
        $host = trim(self::scalarString($params['serverhostname'] ?? ''));
        if ($host === '') {
            return '';
        }
        $secure = $params['serversecure'] ?? false;
        $https = $secure === true
            || $secure === 1
            || (is_string($secure) && in_array(strtolower($secure), ['1', 'on', 'true', 'yes'], true));
        $ipv6 = filter_var($host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6);
        if (str_contains($host, ':') && !str_starts_with($host, '[') && $ipv6) {
            $host = '[' . $host . ']';
        }
        $url = ($https ? 'https' : 'http') . '://' . $host;
        $port = trim(self::scalarString($params['serverport'] ?? ''));
        if ($port !== '' && $port !== '0') {
            $url .= ':' . $port;
        }

        return $url;
    }

    /**
     * staas's URL is scheme, host and port only: the protocol signs the
     * path, so a prefix would break every signature. Plain http is
     * allowed only to this machine.
     */
    private static function checkUrl(string $url, string $source): string
    {
        $url = rtrim($url, '/');
        $parts = parse_url($url);
        $bad = "The staas URL from {$source} (" . self::shown($url) . ')';
        if (!is_array($parts) || !isset($parts['scheme'], $parts['host'])) {
            throw new StaasException(
                "{$bad} is not a URL; want https://staas.example.com or https://host:port.",
                StaasException::CONFIG,
            );
        }
        $scheme = strtolower($parts['scheme']);
        if ($scheme !== 'https' && $scheme !== 'http') {
            throw new StaasException("{$bad} must start with https://.", StaasException::CONFIG);
        }
        $extra = isset($parts['user']) || isset($parts['pass']) || isset($parts['query']) || isset($parts['fragment']);
        if ($extra || (isset($parts['path']) && $parts['path'] !== '')) {
            throw new StaasException(
                "{$bad} must be only scheme, host and port: staas signs the path, so it cannot sit under a prefix.",
                StaasException::CONFIG,
            );
        }
        if (isset($parts['port']) && ($parts['port'] < 1 || $parts['port'] > 65535)) {
            throw new StaasException("{$bad} has a port outside 1 to 65535.", StaasException::CONFIG);
        }
        $host = strtolower(trim($parts['host'], '[]'));
        if ($scheme === 'http' && !in_array($host, ['127.0.0.1', 'localhost', '::1'], true)) {
            throw new StaasException(
                "{$bad} must use https://; plain http:// is allowed only to 127.0.0.1 or localhost.",
                StaasException::CONFIG,
            );
        }

        return $url;
    }

    /** A URL as messages show it: printable and short. */
    private static function shown(string $url): string
    {
        $url = preg_replace('/[^\x21-\x7e]/', '?', $url) ?? '';
        $url = preg_replace('#^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@#', '$1***@', $url) ?? '';

        return strlen($url) > 200 ? substr($url, 0, 200) . '…' : $url;
    }
}

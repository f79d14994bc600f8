<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * WHMCS's module log and activity log, with secrets kept out of both.
 *
 * logModuleCall masks by VALUE: each entry of its last argument is
 * replaced by asterisks wherever it appears. So the logger gathers the
 * values to hide (the shared secret, CSRF tokens, S3 access and secret
 * keys seen in requests and answers), passes them to WHMCS, and also removes
 * them itself before handing anything over, so nothing depends on WHMCS's
 * masking alone.
 */
final class Logger
{
    public const MODULE = 'staas';
    public const REDACTED = '[redacted]';
    /** Shorter values are never treated as secrets: masking "1" would ruin a log. */
    private const MIN_SECRET = 8;
    /** Keys whose values are secret wherever they appear. */
    private const SECRET_KEYS = '/(secret|token|password|passwd|signature|access_?key|accesskeyid|accesshash)/i';
    /** How an S3 secret key looks in free text (HTML): 40 characters of base64. */
    private const SECRET_KEY_TEXT = '#(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])#';
    /** How an ostor access key id looks: the user id (16 hex digits) and 4 more characters. */
    private const ACCESS_KEY_TEXT = '#(?<![A-Za-z0-9])[0-9a-f]{16}[0-9A-Z]{4}(?![A-Za-z0-9])#';

    /** @var array<string, true> */
    private array $secrets = [];

    public function __construct(string ...$secrets)
    {
        foreach ($secrets as $s) {
            $this->addSecret($s);
        }
    }

    public function addSecret(string $value): void
    {
        if (strlen($value) >= self::MIN_SECRET) {
            $this->secrets[$value] = true;
        }
    }

    /**
     * Remembers the secret values found in $data: the values of secret
     * keys, and anything shaped like an S3 access or secret key in text.
     */
    public function collect(mixed $data, string $key = ''): void
    {
        if (is_array($data)) {
            foreach ($data as $k => $v) {
                $this->collect($v, is_string($k) ? $k : $key);
            }

            return;
        }
        if (!is_string($data)) {
            return;
        }
        if ($key !== '' && preg_match(self::SECRET_KEYS, $key)) {
            $this->addSecret($data);
        }
        foreach ([self::SECRET_KEY_TEXT, self::ACCESS_KEY_TEXT] as $shape) {
            if (preg_match_all($shape, $data, $m)) {
                foreach ($m[0] as $found) {
                    $this->addSecret($found);
                }
            }
        }
    }

    /** @return list<string> the values to mask, longest first */
    public function secrets(): array
    {
        $list = array_map('strval', array_keys($this->secrets));
        usort($list, static fn (string $a, string $b): int => strlen($b) <=> strlen($a));

        return $list;
    }

    /** $data with every known secret replaced, strings inside arrays included. */
    public function scrub(mixed $data): mixed
    {
        if (is_array($data)) {
            $out = [];
            foreach ($data as $k => $v) {
                $out[$k] = $this->scrub($v);
            }

            return $out;
        }
        if (!is_string($data) || $this->secrets === []) {
            return $data;
        }

        return str_replace($this->secrets(), self::REDACTED, $data);
    }

    public function scrubText(string $text): string
    {
        return (string) $this->scrub($text);
    }

    /**
     * One entry in WHMCS's module log (Configuration > System Logs >
     * Module Log, when enabled). Logging never fails the caller.
     */
    public function moduleCall(string $action, mixed $request, mixed $response, mixed $processed = ''): void
    {
        $this->collect($request);
        $this->collect($response);
        $this->collect($processed);
        if (!function_exists('logModuleCall')) {
            return;
        }
        try {
            logModuleCall(
                self::MODULE,
                $action,
                $this->scrub($request),
                $this->scrub($response),
                $this->scrub($processed),
                $this->secrets(),
            );
        } catch (\Throwable) {
            // The module log is a debugging aid; losing an entry must not
            // turn a call that worked into one that failed.
            return;
        }
    }

    /** One line in WHMCS's Activity Log, for the client when given. */
    public function activity(string $message, int $clientId = 0): void
    {
        if (!function_exists('logActivity')) {
            return;
        }
        try {
            logActivity($this->scrubText($message), $clientId);
        } catch (\Throwable) {
            // As above: the activity log must not break the page or action.
            return;
        }
    }
}

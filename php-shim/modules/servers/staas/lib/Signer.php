<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * Signs requests to staas (docs/shim-protocol.md, "Canonical string").
 */
final class Signer
{
    public const HEADER_TIMESTAMP = 'X-Staas-Timestamp';
    public const HEADER_NONCE = 'X-Staas-Nonce';
    public const HEADER_SIGNATURE = 'X-Staas-Signature';

    /** The five fields the signature covers, joined by a line feed. */
    public static function canonical(
        string $method,
        string $requestUri,
        int $timestamp,
        string $nonce,
        string $body,
    ): string {
        return implode("\n", [$method, $requestUri, (string) $timestamp, $nonce, hash('sha256', $body)]);
    }

    /** Lowercase hex HMAC-SHA256 of the canonical string under the shared secret. */
    public static function sign(
        string $secret,
        string $method,
        string $requestUri,
        int $timestamp,
        string $nonce,
        string $body,
    ): string {
        return hash_hmac('sha256', self::canonical($method, $requestUri, $timestamp, $nonce, $body), $secret);
    }

    /** 32 hex digits from the CSPRNG; never reused. */
    public static function nonce(): string
    {
        return bin2hex(random_bytes(16));
    }

    /**
     * The three protocol headers for one request, as "Name: value" lines.
     *
     * @return list<string>
     */
    public static function headers(
        string $secret,
        string $method,
        string $requestUri,
        string $body,
        ?int $timestamp = null,
        ?string $nonce = null,
    ): array {
        $timestamp ??= time();
        $nonce ??= self::nonce();

        return [
            self::HEADER_TIMESTAMP . ': ' . $timestamp,
            self::HEADER_NONCE . ': ' . $nonce,
            self::HEADER_SIGNATURE . ': ' . self::sign($secret, $method, $requestUri, $timestamp, $nonce, $body),
        ];
    }
}

<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * Calls staas: one signed JSON POST per call, answered with the protocol's
 * envelope (docs/shim-protocol.md). Every failure becomes a
 * StaasException whose message an admin may read.
 */
final class Client
{
    public const USER_AGENT = 'staas-whmcs-shim/1.0';
    /** Answers are a few kilobytes; anything far larger is not staas. */
    private const MAX_ANSWER = 8 << 20;
    private const MAX_MESSAGE = 2000;

    public function __construct(
        private readonly Config $config,
        private readonly Logger $logger,
    ) {
        $this->logger->addSecret($config->secret);
    }

    public function url(): string
    {
        return $this->config->url;
    }

    /**
     * POSTs $payload to $path and returns staas's successful answer.
     *
     * @param array<string, mixed> $payload
     *
     * @return array<string, mixed>
     *
     * @throws StaasException
     */
    public function call(string $path, array $payload, string $logAction): array
    {
        if (!preg_match('#^/shim/v1/[a-z0-9-]+(/[a-z0-9-]+)*$#', $path)) {
            throw new StaasException('The shim asked for a malformed staas endpoint.', StaasException::LOCAL);
        }
        try {
            $body = json_encode($payload, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
        } catch (\JsonException $e) {
            throw new StaasException(
                'The request to staas could not be encoded as JSON: ' . $e->getMessage(),
                StaasException::LOCAL,
            );
        }
        $url = $this->config->url . $path;
        $this->logger->collect($payload);
        $logRequest = ['url' => $url, 'body' => $payload];

        [$status, $raw, $errno, $error] = $this->post($url, $path, $body);

        if ($errno !== 0) {
            $message = $raw === null
                ? 'staas answered more than ' . (self::MAX_ANSWER >> 20) . ' MiB at ' . $this->config->url
                    . '; that is not staas.'
                : 'staas is unreachable at ' . $this->config->url . ': ' . $this->oneLine($error);
            $kind = $raw === null ? StaasException::PROTOCOL : StaasException::UNREACHABLE;
            $this->logger->moduleCall($logAction, $logRequest, ['curl_error' => $error], $message);
            throw new StaasException($this->logger->scrubText($message), $kind);
        }

        $answer = json_decode((string) $raw, true, 64);
        if (!is_array($answer) || !isset($answer['result']) || !is_string($answer['result'])) {
            $message = 'staas at ' . $this->config->url . ' answered HTTP ' . $status
                . ' without the shim protocol\'s JSON answer';
            $message .= $status === 404
                ? ' (is that address staas, and is staas as new as this shim?).'
                : '.';
            $logAnswer = ['http_status' => $status, 'body' => substr((string) $raw, 0, 4096)];
            $this->logger->moduleCall($logAction, $logRequest, $logAnswer, $message);
            throw new StaasException($this->logger->scrubText($message), StaasException::PROTOCOL, '', $status);
        }
        $this->logger->moduleCall($logAction, $logRequest, ['http_status' => $status, 'body' => $answer]);

        if ($answer['result'] === 'success' && $status >= 200 && $status < 300) {
            return $answer;
        }
        if ($answer['result'] !== 'error') {
            $result = $this->oneLine(substr($answer['result'], 0, 40));
            throw new StaasException(
                'staas answered HTTP ' . $status . ' with result "' . $result . '".',
                StaasException::PROTOCOL,
                '',
                $status,
            );
        }
        $message = is_string($answer['message'] ?? null) ? $this->oneLine($answer['message']) : '';
        if ($message === '') {
            $message = 'staas refused the call (HTTP ' . $status . ') without saying why.';
        }
        $code = is_string($answer['code'] ?? null) ? $answer['code'] : '';
        $anchor = is_string($answer['anchor'] ?? null) ? $answer['anchor'] : '';
        throw new StaasException($this->logger->scrubText($message), StaasException::REFUSED, $code, $status, $anchor);
    }

    /**
     * @return array{0: int, 1: string|null, 2: int, 3: string} HTTP status,
     *         body (null when it was too large), curl errno and error
     */
    private function post(string $url, string $path, string $body): array
    {
        if (!function_exists('curl_init')) {
            return [0, '', -1, 'PHP\'s curl extension is not installed (php-curl)'];
        }
        $ch = curl_init($url);
        if ($ch === false) {
            return [0, '', -1, 'curl_init failed'];
        }
        $raw = '';
        $tooLarge = false;
        $headers = array_merge(
            ['Content-Type: application/json', 'Accept: application/json', 'Expect:'],
            Signer::headers($this->config->secret, 'POST', $path, $body),
        );
        $options = [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_CONNECTTIMEOUT => $this->config->connectTimeout,
            CURLOPT_TIMEOUT => $this->config->timeout,
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_NOPROXY => '127.0.0.1,localhost,::1',
            CURLOPT_USERAGENT => self::USER_AGENT,
            CURLOPT_WRITEFUNCTION => static function ($ch, string $chunk) use (&$raw, &$tooLarge): int {
                if (strlen($raw) + strlen($chunk) > self::MAX_ANSWER) {
                    $tooLarge = true;

                    return -1;
                }
                $raw .= $chunk;

                return strlen($chunk);
            },
        ];
        if ($this->config->caFile !== '') {
            $options[CURLOPT_CAINFO] = $this->config->caFile;
        }
        curl_setopt_array($ch, $options);
        curl_exec($ch);
        $errno = curl_errno($ch);
        $error = curl_error($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        if ($tooLarge) {
            return [$status, null, $errno ?: -1, 'answer too large'];
        }

        return [$status, $raw, $errno, $error];
    }

    private function oneLine(string $s): string
    {
        return Text::oneLine($s, self::MAX_MESSAGE);
    }
}

<?php

declare(strict_types=1);

namespace StaasShimTests;

/**
 * The Go harness's control API (php-shim/control_test.go): seeds WHMCS
 * clients, makes buckets, injects gateway faults and reads the gateway's
 * and WHMCS's state.
 */
final class Control
{
    public function __construct(private readonly string $url)
    {
    }

    /** @return array{id: int, email: string} */
    public function addClient(string $email, string $firstName = 'Test'): array
    {
        $r = $this->call('POST', '/clients', ['email' => $email, 'firstname' => $firstName]);

        return ['id' => (int) $r['id'], 'email' => $email];
    }

    public function setClientEmail(int $id, string $email): void
    {
        $this->call('POST', '/clients/' . $id, ['email' => $email]);
    }

    /** @return list<string> */
    public function notes(int $clientId): array
    {
        return $this->call('GET', '/clients/' . $clientId . '/notes')['notes'];
    }

    /** @return array<string, mixed> the gateway's user: exists, id, state, keys, limits, quota_gb, buckets */
    public function user(string $email): array
    {
        return $this->call('GET', '/gateway/user?email=' . rawurlencode($email));
    }

    /** @return list<array{email: string, id: string, state: string}> */
    public function users(): array
    {
        return $this->call('GET', '/gateway/users')['users'];
    }

    public function addBucket(string $ownerEmail, string $name, int $objects = 0, int $bytes = 0): void
    {
        $this->call(
            'POST',
            '/gateway/buckets',
            ['email' => $ownerEmail, 'name' => $name, 'objects' => $objects, 'bytes' => $bytes],
        );
    }

    public function bucketExists(string $name): bool
    {
        return (bool) $this->call('GET', '/gateway/bucket?name=' . rawurlencode($name))['exists'];
    }

    public function gatewayDown(float $errorRate = 1.0): void
    {
        $this->call('POST', '/gateway/faults', ['error_rate' => $errorRate]);
    }

    public function gatewayUp(): void
    {
        $this->call('DELETE', '/gateway/faults');
    }

    /** How the fake staas (STAAS_FAKE_URL) answers from now on: $body repeated $repeat times. */
    public function fake(int $status, string $body, int $delayMs = 0, int $repeat = 1): void
    {
        $this->call(
            'POST',
            '/fake',
            ['status' => $status, 'body' => $body, 'delay_ms' => $delayMs, 'repeat' => $repeat],
        );
    }

    /**
     * @return array<string, mixed> the fake's last request: method, uri, body,
     *                              signature (Go's verdict), header_counts
     */
    public function fakeLast(): array
    {
        return $this->call('GET', '/fake/last');
    }

    /**
     * @param array<string, mixed>|null $body
     *
     * @return array<string, mixed>
     */
    private function call(string $method, string $path, ?array $body = null): array
    {
        $ch = curl_init($this->url . $path);
        curl_setopt_array($ch, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 30,
            CURLOPT_NOPROXY => '*',
            CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
        ]);
        if ($body !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($body, JSON_THROW_ON_ERROR));
        }
        $raw = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $error = curl_error($ch);
        curl_close($ch);
        if (!is_string($raw)) {
            throw new \RuntimeException("control {$method} {$path}: {$error}");
        }
        $data = json_decode($raw, true);
        if ($status !== 200 || !is_array($data)) {
            throw new \RuntimeException("control {$method} {$path}: HTTP {$status}: {$raw}");
        }

        return $data;
    }
}

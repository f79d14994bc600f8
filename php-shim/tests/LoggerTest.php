<?php

declare(strict_types=1);

namespace StaasShimTests;

use PHPUnit\Framework\TestCase;
use WHMCS\Module\Server\Staas\Logger;

/**
 * The module log and activity log never hold a secret: the logger hands
 * WHMCS the values to mask (WHMCS masks by value) and removes them itself.
 */
final class LoggerTest extends TestCase
{
    private const SHARED = 'shared-secret-0123456789abcdef-0123456789';
    private const S3_SECRET = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/ab';
    private const ACCESS_KEY = '6b2f0a9c1d3e4f50ABCD';
    private const TOKEN = '1c2b3a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';

    protected function setUp(): void
    {
        \WhmcsStub::reset();
    }

    public function testSecretsAreMaskedByValueAndRemovedBeforehand(): void
    {
        $log = new Logger(self::SHARED);
        $log->moduleCall(
            'client-area',
            [
                'url' => 'https://staas.example.com/shim/v1/module/client-area',
                'body' => ['params' => ['token' => self::TOKEN, 'access_key' => self::ACCESS_KEY]],
            ],
            ['http_status' => 200, 'body' => ['html' => '<code>' . self::S3_SECRET . '</code> shared=' . self::SHARED]],
            'done',
        );
        $entry = \WhmcsStub::$moduleLog[0];
        $this->assertSame('staas', $entry['module']);
        $this->assertSame('client-area', $entry['action']);
        foreach ([self::SHARED, self::S3_SECRET, self::ACCESS_KEY, self::TOKEN] as $secret) {
            $this->assertContains($secret, $entry['mask'], 'WHMCS must be given the value to mask');
            $this->assertStringNotContainsString(
                $secret,
                print_r([$entry['request'], $entry['response'], $entry['processed']], true),
            );
            $this->assertStringNotContainsString($secret, $entry['logged']);
        }
        $this->assertStringContainsString(Logger::REDACTED, print_r($entry['response'], true));
        $this->assertStringContainsString(
            'https://staas.example.com/shim/v1/module/client-area',
            $entry['logged'],
            'the rest stays readable',
        );
    }

    public function testSecretsSeenEarlierStayMaskedLater(): void
    {
        $log = new Logger();
        $log->moduleCall('reveal', ['body' => ['params' => ['secret_key' => self::S3_SECRET]]], '');
        $log->moduleCall('other', 'the key was ' . substr(self::S3_SECRET, 0, 40), '');
        $this->assertStringNotContainsString(self::S3_SECRET, \WhmcsStub::moduleLogText());
    }

    public function testShortValuesAreNotMasked(): void
    {
        $log = new Logger('1', 'abc');
        $log->addSecret('short');
        $this->assertSame([], $log->secrets(), 'masking "1" would ruin every log line');
        $log->moduleCall('x', ['token' => 'yes'], 'id 1 abc');
        $this->assertStringContainsString('id 1 abc', \WhmcsStub::moduleLogText());
    }

    public function testTheActivityLogIsScrubbedToo(): void
    {
        $log = new Logger(self::SHARED);
        $log->activity('staas: failed with ' . self::SHARED, 42);
        $this->assertSame(
            [['description' => 'staas: failed with ' . Logger::REDACTED, 'client_id' => 42]],
            \WhmcsStub::$activity,
        );
    }

    public function testLongerSecretsAreReplacedFirst(): void
    {
        $log = new Logger('abcdefgh', 'abcdefgh-ijklmnop');
        $this->assertSame('x ' . Logger::REDACTED . ' y', $log->scrubText('x abcdefgh-ijklmnop y'));
    }
}

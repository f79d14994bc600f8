<?php

declare(strict_types=1);

namespace StaasShimTests;

use PHPUnit\Framework\TestCase;
use WHMCS\Module\Server\Staas\Config;
use WHMCS\Module\Server\Staas\StaasException;

/**
 * Where the shim finds staas: the server entry, then the environment,
 * then config.php; and what it refuses.
 */
final class ConfigTest extends TestCase
{
    private const SECRET = '0123456789abcdef0123456789abcdef-file';
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/staas-config-' . bin2hex(random_bytes(4));
        mkdir($this->dir);
    }

    protected function tearDown(): void
    {
        foreach (glob($this->dir . '/*') ?: [] as $f) {
            unlink($f);
        }
        rmdir($this->dir);
    }

    /** @param array<string, mixed> $values */
    private function file(array $values): string
    {
        $path = $this->dir . '/config.php';
        file_put_contents($path, "<?php\nreturn " . var_export($values, true) . ";\n");

        return $path;
    }

    private function refused(callable $load, string $fragment): void
    {
        try {
            $load();
            $this->fail("the configuration was accepted; want a refusal mentioning {$fragment}");
        } catch (StaasException $e) {
            $this->assertSame(StaasException::CONFIG, $e->kind);
            $this->assertStringContainsString($fragment, $e->getMessage());
        }
    }

    public function testTheFileIsUsedWhenNothingElseIsSet(): void
    {
        $file = $this->file([
            'url' => 'https://staas.example.com/',
            'secret' => self::SECRET,
            'timeout' => 20,
            'connect_timeout' => '3',
        ]);
        $c = Config::load([], $file, []);
        $this->assertSame('https://staas.example.com', $c->url);
        $this->assertSame(self::SECRET, $c->secret);
        $this->assertSame(20, $c->timeout);
        $this->assertSame(3, $c->connectTimeout);
    }

    public function testDefaults(): void
    {
        $c = Config::load([], $this->file(['url' => 'https://s.example.com', 'secret' => self::SECRET]), []);
        $this->assertSame(Config::DEFAULT_TIMEOUT, $c->timeout);
        $this->assertSame(Config::DEFAULT_CONNECT_TIMEOUT, $c->connectTimeout);
    }

    public function testTheEnvironmentComesBeforeTheFile(): void
    {
        $file = $this->file(['url' => 'https://file.example.com', 'secret' => self::SECRET]);
        $envSecret = str_repeat('e', 40);
        $c = Config::load([], $file, ['STAAS_URL' => 'https://env.example.com', 'STAAS_SHIM_SECRET' => $envSecret]);
        $this->assertSame('https://env.example.com', $c->url);
        $this->assertSame($envSecret, $c->secret);
    }

    public function testTheServerEntryComesFirst(): void
    {
        $file = $this->file(['url' => 'https://file.example.com', 'secret' => self::SECRET]);
        $hash = str_repeat('h', 48);
        $params = [
            'serverhostname' => 'staas.internal.example',
            'serversecure' => true,
            'serverport' => '8443',
            'serveraccesshash' => " {$hash}\n",
        ];
        $c = Config::load(
            $params,
            $file,
            ['STAAS_URL' => 'https://env.example.com', 'STAAS_SHIM_SECRET' => str_repeat('e', 40)],
        );
        $this->assertSame('https://staas.internal.example:8443', $c->url);
        $this->assertSame($hash, $c->secret);
    }

    public function testAServerEntryWithoutHostnameDefersToTheFile(): void
    {
        $file = $this->file(['url' => 'https://file.example.com', 'secret' => self::SECRET]);
        $c = Config::load(
            ['serverhostname' => '', 'serverip' => '203.0.113.7', 'serveraccesshash' => '', 'serversecure' => true],
            $file,
            [],
        );
        $this->assertSame('https://file.example.com', $c->url);
        $this->assertSame(self::SECRET, $c->secret);
    }

    public function testPlainHttpOnlyToThisMachine(): void
    {
        foreach (['http://127.0.0.1:8080', 'http://localhost:8080'] as $ok) {
            $this->assertSame($ok, Config::load([], $this->file(['url' => $ok, 'secret' => self::SECRET]), [])->url);
        }
        $this->refused(
            fn () => Config::load([], $this->file(['url' => 'http://staas.example.com', 'secret' => self::SECRET]), []),
            'must use https://',
        );
        $this->refused(
            fn () => Config::load(
                ['serverhostname' => 'staas.example.com', 'serversecure' => false],
                $this->file(['secret' => self::SECRET]),
                [],
            ),
            'must use https://',
        );
    }

    public function testAPathWouldBreakTheSignature(): void
    {
        $this->refused(
            fn () => Config::load(
                [],
                $this->file(['url' => 'https://example.com/staas', 'secret' => self::SECRET]),
                [],
            ),
            'scheme, host and port',
        );
        $this->refused(
            fn () => Config::load([], $this->file(['url' => 'https://example.com?x=1', 'secret' => self::SECRET]), []),
            'scheme, host and port',
        );
    }

    public function testCredentialsInTheUrlAreRefusedAndNotShown(): void
    {
        try {
            Config::load(
                [],
                $this->file(['url' => 'https://admin:hunter2-secret@example.com', 'secret' => self::SECRET]),
                [],
            );
            $this->fail('accepted');
        } catch (StaasException $e) {
            $this->assertStringNotContainsString('hunter2-secret', $e->getMessage());
        }
    }

    public function testNothingConfiguredSaysWhatToDo(): void
    {
        $this->refused(fn () => Config::load([], $this->dir . '/missing.php', []), 'config.example.php');
        $this->refused(
            fn () => Config::load([], $this->file(['url' => 'https://staas.example.com']), []),
            'shared secret',
        );
    }

    public function testAShortSecretIsRefusedWithoutShowingIt(): void
    {
        try {
            Config::load([], $this->file(['url' => 'https://staas.example.com', 'secret' => 'short-secret-value']), []);
            $this->fail('accepted');
        } catch (StaasException $e) {
            $this->assertStringContainsString('shorter than 32', $e->getMessage());
            $this->assertStringNotContainsString('short-secret-value', $e->getMessage());
        }
    }

    public function testBadTimeouts(): void
    {
        $this->refused(
            fn () => Config::load(
                [],
                $this->file(['url' => 'https://s.example.com', 'secret' => self::SECRET, 'timeout' => 0]),
                [],
            ),
            'timeout',
        );
        $this->refused(
            fn () => Config::load(
                [],
                $this->file(['url' => 'https://s.example.com', 'secret' => self::SECRET, 'connect_timeout' => 'soon']),
                [],
            ),
            'connect_timeout',
        );
    }

    public function testAFileThatReturnsNoArray(): void
    {
        $path = $this->dir . '/config.php';
        file_put_contents($path, "<?php\n\$url = 'x';\n");
        $this->refused(fn () => Config::load([], $path, []), 'must return an array');
    }

    public function testTheShippedExampleLoads(): void
    {
        $example = dirname(__DIR__) . '/modules/servers/staas/config.example.php';
        $values = include $example;
        $this->assertIsArray($values);
        $this->assertSame(['url', 'secret', 'timeout', 'connect_timeout', 'ca_file'], array_keys($values));
        $this->assertSame('', $values['secret'], 'the example must not ship a secret');
        $this->refused(fn () => Config::load([], $example, []), 'shared secret');
        $values['secret'] = self::SECRET;
        $c = Config::load([], $this->file($values), []);
        $this->assertSame('https://staas.example.com', $c->url);
    }

    public function testTheDefaultFileIsNextToTheModule(): void
    {
        $this->assertSame(
            realpath(dirname(__DIR__) . '/modules/servers/staas'),
            realpath(dirname(Config::defaultFile())),
        );
        $this->assertSame('config.php', basename(Config::defaultFile()));
    }
}

<?php

declare(strict_types=1);

namespace StaasShimTests;

use WHMCS\Database\Capsule;
use WHMCS\Module\Server\Staas\AdminEndpoint;
use WHMCS\Module\Server\Staas\Config;
use WHMCS\Module\Server\Staas\Hooks;
use WHMCS\Module\Server\Staas\MetricProvider;
use WHMCS\Module\Server\Staas\ServerModule;
use WHMCS\Module\Server\Staas\Whmcs;

/**
 * Guard::call is the one place a failure is caught, logged and worded:
 * the same failure (here a PHP error while the shim reads its
 * configuration) reaches every entry point, and each answers it the one
 * way its kind says — staff's message, the client's general one, or
 * staff's message and an Activity Log line — with one module log entry
 * of the same form.
 */
final class GuardTest extends StaasTestCase
{
    private const CAUSE = 'the disk is on fire';
    private const CLIENT_MESSAGE = 'The storage service cannot be reached right now. '
        . 'Please try again in a few minutes.';

    /** @return \Closure(array<string, mixed>): Config */
    private static function broken(): \Closure
    {
        return static function (array $params): Config {
            throw new \RuntimeException(self::CAUSE);
        };
    }

    private static function staff(string $where): string
    {
        return 'the staas shim failed in ' . $where . ': ' . self::CAUSE;
    }

    /**
     * Each entry point: what it answers WHMCS, how the answer shows the
     * message, the module log's action and where, and the Activity Log's
     * "what" (null when the kind writes none).
     *
     * @return array<string, array{
     *     0: \Closure(self): mixed, 1: \Closure(mixed): string, 2: string, 3: string, 4: string, 5: ?string
     * }>
     */
    public static function entries(): array
    {
        $module = static fn (): ServerModule => new ServerModule(new Whmcs(), self::broken());
        $hooks = static fn (): Hooks => new Hooks(new Whmcs(), self::broken());
        $text = static fn (mixed $answer): string => (string) $answer;
        $notice = static fn (mixed $answer): string => self::unwrap(
            is_array($answer) ? implode('', $answer) : (string) $answer,
        );
        $service = static fn (self $t): array => $t->serviceParams();
        $on = static fn (string $function): \Closure => static fn (self $t) => $module()->{$function}($service($t));

        return [
            'CreateAccount' => [$on('createAccount'), $text, 'staff', 'create', 'create', null],
            'SuspendAccount' => [$on('suspendAccount'), $text, 'staff', 'suspend', 'suspend', null],
            'UnsuspendAccount' => [$on('unsuspendAccount'), $text, 'staff', 'unsuspend', 'unsuspend', null],
            'TerminateAccount' => [$on('terminateAccount'), $text, 'staff', 'terminate', 'terminate', null],
            'ChangePackage' => [$on('changePackage'), $text, 'staff', 'change-package', 'change-package', null],
            'TestConnection' => [
                static fn (self $t) => $module()->testConnection($service($t)),
                static fn (mixed $a): string => is_array($a) && $a['success'] === false ? $a['error'] : 'not a failure',
                'staff', 'test-connection', 'TestConnection', null,
            ],
            'AdminServicesTabFields' => [
                static fn (self $t) => $module()->adminServicesTabFields($service($t)),
                static fn (mixed $a): string => is_array($a) ? self::unwrap($a['staas'] ?? '') : '',
                'staff', 'services-tab', 'AdminServicesTabFields', null,
            ],
            'UsageUpdate' => [$on('usageUpdate'), $text, 'staff', 'usage-update', 'UsageUpdate', null],
            'ClientArea' => [
                static fn (self $t) => $module()->clientArea($service($t)),
                static fn (mixed $a): string => is_array($a) ? $a['templateVariables']['staasError'] : '',
                'client', 'client-area', 'ClientArea', null,
            ],
            'client action' => [
                static function (self $t) use ($module, $service) {
                    $t->post(['access_key' => '']);

                    return $module()->clientAction('generatekey', $service($t));
                },
                $text, 'client', 'client-action generatekey', 'generatekey', null,
            ],
            'admin links hook' => [
                static fn (self $t) => $hooks()->actionLinks($t->summaryVars()),
                $notice, 'reported', 'admin links', 'admin links hook', 'the client summary\'s admin links',
            ],
            'admin panels hook' => [
                static fn (self $t) => $hooks()->summaryPage($t->summaryVars()),
                $notice, 'reported', 'admin panels', 'admin panels hook', 'the client summary\'s admin panels',
            ],
            'ClientAdd hook' => [
                static fn (self $t) => $hooks()->clientAdd(['client_id' => 42, 'email' => 'a@example.com']),
                $text, 'reported', 'event client-add', 'client-add hook', 'the client-add event for client 42',
            ],
            'ClientEdit hook' => [
                static fn (self $t) => $hooks()->clientEdit(
                    ['userid' => 42, 'email' => 'b@example.com', 'olddata' => ['email' => 'a@example.com']],
                ),
                $text, 'reported', 'event client-edit', 'client-edit hook', 'the client-edit event for client 42',
            ],
            'ClientClose hook' => [
                static fn (self $t) => $hooks()->clientClose(['userid' => 42]),
                $text, 'reported', 'event client-close', 'client-close hook', 'the client-close event for client 42',
            ],
            'PreDeleteClient hook' => [
                static fn (self $t) => $hooks()->clientDelete(['userid' => 42]),
                $text, 'reported', 'event client-delete', 'client-delete hook', 'the client-delete event for client 42',
            ],
            'DailyCronJob hook' => [
                static fn (self $t) => $hooks()->dailyCron(),
                $text, 'reported', 'event daily-cron', 'daily-cron hook', 'the daily-cron event',
            ],
            'addon page (GET)' => [
                static fn (self $t) => (new AdminEndpoint(new Whmcs(), self::broken()))->handle('GET', []),
                static fn (mixed $a): string => $a->status === 500 ? self::unwrap($a->body) : 'not a failure',
                'staff', 'admin action page', 'the addon page', null,
            ],
            'addon page (POST)' => [
                static function (self $t) {
                    $t->loginAdmin();
                    $t->post(['action' => 'create-user', 'userid' => '42']);

                    return (new AdminEndpoint(new Whmcs(), self::broken()))->handle('POST', $_POST);
                },
                static fn (mixed $a): string => $a->status === 500 ? self::unwrap($a->body) : 'not a failure',
                'staff', 'admin action page', 'the addon page', null,
            ],
            'MetricProvider usage' => [
                static fn (self $t) => (new MetricProvider($t->serverParams(), self::broken()))->usage(),
                static fn (mixed $a): string => $a === [] ? '' : 'figures',
                'reported', 'metrics', 'MetricProvider usage', 'fetching usage figures (MetricProvider usage)',
            ],
            'MetricProvider tenantUsage' => [
                static fn (self $t) => (new MetricProvider($t->serverParams(), self::broken()))
                    ->tenantUsage('s3@example.com'),
                static fn (mixed $a): string => $a === [] ? '' : 'figures',
                'reported',
                'metrics',
                'MetricProvider tenantUsage',
                'fetching usage figures (MetricProvider tenantUsage)',
            ],
        ];
    }

    /**
     * @dataProvider entries
     *
     * @param \Closure(self): mixed  $call
     * @param \Closure(mixed): string $shown
     */
    #[\PHPUnit\Framework\Attributes\DataProvider('entries')]
    public function testAFailureIsAnsweredTheOneWayOfItsKind(
        \Closure $call,
        \Closure $shown,
        string $kind,
        string $action,
        string $where,
        ?string $what,
    ): void {
        $answer = $call($this);
        $staff = self::staff($where);

        $text = $shown($answer);
        if ($kind === 'client') {
            $this->assertSame(self::CLIENT_MESSAGE, $text, 'a client sees the general message, never the cause');
        } elseif ($kind === 'reported' && $text === '') {
            $this->assertNull(null, 'a hook or usage call shows nothing: the logs have it');
        } else {
            $this->assertSame($staff, $text, 'staff see the one message');
        }

        $this->assertCount(1, \WhmcsStub::$moduleLog, 'one module log entry');
        $entry = \WhmcsStub::$moduleLog[0];
        $this->assertSame($action, $entry['action']);
        $this->assertSame(\RuntimeException::class, $entry['response']);
        $this->assertSame($staff, $entry['processed'], 'the module log has the staff message, also for a client entry');

        if ($what === null) {
            $this->assertSame([], \WhmcsStub::$activity, 'no Activity Log line');
        } else {
            $this->assertSame(
                ['staas: ' . $what . ' failed: ' . $staff],
                array_column(\WhmcsStub::$activity, 'description'),
            );
        }
    }

    public function testEveryKindIsCovered(): void
    {
        $kinds = array_unique(array_column(self::entries(), 2));
        sort($kinds);
        $this->assertSame(['client', 'reported', 'staff'], $kinds);
    }

    public function testUnreachableIsQueuedOnlyForCoreFunctions(): void
    {
        $this->staasDown();
        $params = $this->serviceParams();
        $module = new ServerModule(new Whmcs());
        $this->assertStringEndsWith(
            '; WHMCS keeps the action in its Module Queue to retry.',
            $module->suspendAccount($params),
        );
        $this->assertStringNotContainsString('Module Queue', $module->usageUpdate($params));
        $this->assertStringNotContainsString('Module Queue', $module->testConnection($params)['error']);
    }

    /** The text of an HTML notice, without its "staas: " label. */
    private static function unwrap(string $html): string
    {
        $text = html_entity_decode(strip_tags($html), ENT_QUOTES);

        return str_starts_with($text, 'staas: ') ? substr($text, strlen('staas: ')) : $text;
    }

    /** @return array<string, mixed> */
    private function serviceParams(): array
    {
        return $this->moduleParams(
            ['id' => 42, 'email' => 'guard@example.com'],
            $this->newServiceId(),
            [],
            'Active',
            90,
        );
    }

    /** @return array<string, mixed> */
    private function serverParams(): array
    {
        Capsule::$tables['tblhosting'][9001] = [
            'id' => 9001, 'server' => 91, 'domain' => 's3@example.com', 'domainstatus' => 'Active',
        ];

        return ['serverid' => '91', 'serverhostname' => '', 'serverusername' => '', 'serveraccesshash' => ''];
    }

    /** @return array<string, mixed> */
    private function summaryVars(): array
    {
        $this->loginAdmin();

        return ['userid' => 42];
    }
}

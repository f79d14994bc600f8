<?php

declare(strict_types=1);

/*
 * Stand-ins for the parts of WHMCS's runtime the shim uses. They record
 * what the shim does (hooks registered, module log, activity log, token
 * checks, tblhosting writes) so the tests can assert on it, and behave as
 * WHMCS does where it matters: logModuleCall masks by value, check_token
 * compares the request's token with the session's.
 */

namespace {
    final class WhmcsStub
    {
        /** @var list<array{point: string, priority: int, fn: callable}> */
        public static array $hooks = [];
        /**
         * @var list<array{module: string, action: string, request: mixed, response: mixed,
         *                 processed: mixed, mask: array, logged: string}>
         */
        public static array $moduleLog = [];
        /** @var list<array{description: string, client_id: int}> */
        public static array $activity = [];
        /** @var list<string> namespaces check_token was asked for */
        public static array $tokenChecks = [];
        /** @var list<array{command: string, values: array}> */
        public static array $localApi = [];
        public static string $sessionToken = '';

        public static function reset(): void
        {
            self::$moduleLog = [];
            self::$activity = [];
            self::$tokenChecks = [];
            self::$localApi = [];
            self::$sessionToken = bin2hex(random_bytes(20));
        }

        /** Everything the module log holds, as WHMCS would store it. */
        public static function moduleLogText(): string
        {
            return implode("\n", array_column(self::$moduleLog, 'logged'));
        }

        public static function activityText(): string
        {
            return implode("\n", array_column(self::$activity, 'description'));
        }
    }

    function add_hook(string $hookPoint, int $priority, callable $function): void
    {
        WhmcsStub::$hooks[] = ['point' => $hookPoint, 'priority' => $priority, 'fn' => $function];
    }

    /**
     * As WHMCS's: arrays are print_r'd, and each value to mask is
     * replaced by as many asterisks wherever it appears.
     */
    function logModuleCall(
        $module,
        $action,
        $requestString,
        $responseData,
        $processedData = '',
        $replaceVars = [],
    ): void {
        $text = static fn ($v): string => is_array($v) || is_object($v) ? print_r($v, true) : (string) $v;
        $logged = $module . ' ' . $action . "\n" . $text($requestString) . "\n" . $text($responseData) . "\n" . $text(
            $processedData,
        );
        foreach ((array) $replaceVars as $secret) {
            if (is_string($secret) && $secret !== '') {
                $logged = str_replace($secret, str_repeat('*', strlen($secret)), $logged);
            }
        }
        WhmcsStub::$moduleLog[] = [
            'module' => $module, 'action' => $action, 'request' => $requestString, 'response' => $responseData,
            'processed' => $processedData, 'mask' => (array) $replaceVars, 'logged' => $logged,
        ];
    }

    function logActivity($description, $userId = 0): void
    {
        WhmcsStub::$activity[] = ['description' => (string) $description, 'client_id' => (int) $userId];
    }

    function localAPI($command, $values = [], $adminUser = ''): array
    {
        WhmcsStub::$localApi[] = ['command' => (string) $command, 'values' => (array) $values];

        return ['result' => 'success'];
    }

    function generate_token($type = 'form'): string
    {
        $t = WhmcsStub::$sessionToken;

        return match ($type) {
            'plain' => $t,
            'link' => '&token=' . $t,
            default => '<input type="hidden" name="token" value="' . $t . '" />',
        };
    }

    function check_token($namespace = 'WHMCS.default', $token = null): bool
    {
        WhmcsStub::$tokenChecks[] = (string) $namespace;
        $got = $token ?? ($_REQUEST['token'] ?? ($_POST['token'] ?? ''));

        return is_string($got) && $got !== '' && hash_equals(WhmcsStub::$sessionToken, $got);
    }
}

namespace WHMCS\User {
    /** WHMCS's admin model, as far as the shim asks it. */
    class Admin
    {
        public static ?Admin $current = null;

        /** @param list<string> $permissions */
        public function __construct(
            public int $id,
            private array $permissions,
            public string $firstname = '',
            public string $lastname = '',
            public string $username = '',
        ) {
        }

        public static function getAuthenticatedUser(): ?Admin
        {
            return self::$current;
        }

        public function hasPermission($permission): bool
        {
            return in_array($permission, $this->permissions, true);
        }
    }
}

namespace WHMCS\Database {
    /** Laravel's raw expression. */
    final class Expression
    {
        public function __construct(public readonly string $value)
        {
        }

        public function getValue(): string
        {
            return $this->value;
        }
    }

    /** The part of Laravel's Collection that pluck() returns. */
    final class Collection
    {
        /** @param list<mixed> $items */
        public function __construct(private array $items)
        {
        }

        /** @return list<mixed> */
        public function all(): array
        {
            return $this->items;
        }
    }

    /** An in-memory table query: where, whereIn, pluck, get, first, update. */
    final class Query
    {
        /** @var list<callable(array): bool> */
        private array $filters = [];
        /** @var list<array{0: string, 1: mixed}> */
        private array $wheres = [];

        public function __construct(private readonly string $table)
        {
        }

        public function where(string $column, mixed $operator, mixed $value = null): self
        {
            if (func_num_args() === 2) {
                [$operator, $value] = ['=', $operator];
            }
            if ($operator !== '=') {
                throw new \LogicException('the Capsule stub knows only =');
            }
            $this->wheres[] = [$column, $value];
            $this->filters[] = static fn (array $row): bool => array_key_exists($column, $row)
                && (string) $row[$column] === (string) $value;

            return $this;
        }

        /** @param array<mixed> $values */
        public function whereIn(string $column, array $values): self
        {
            $values = array_map('strval', $values);
            $this->filters[] = static fn (array $row): bool => array_key_exists($column, $row) && in_array(
                (string) $row[$column],
                $values,
                true,
            );

            return $this;
        }

        /** @return array<int, array<string, mixed>> */
        private function rows(): array
        {
            $out = [];
            foreach (Capsule::$tables[$this->table] ?? [] as $id => $row) {
                foreach ($this->filters as $f) {
                    if (!$f($row)) {
                        continue 2;
                    }
                }
                $out[$id] = $row;
            }

            return $out;
        }

        public function pluck(string $column): Collection
        {
            return new Collection(array_values(array_map(static fn (array $r) => $r[$column] ?? null, $this->rows())));
        }

        /** @return list<object> */
        public function get(): array
        {
            return array_values(array_map(static fn (array $r): object => (object) $r, $this->rows()));
        }

        public function first(): ?object
        {
            $rows = $this->get();

            return $rows[0] ?? null;
        }

        /** @param array<string, mixed> $values */
        public function update(array $values): int
        {
            Capsule::$updates[] = ['table' => $this->table, 'where' => $this->wheres, 'values' => $values];
            $n = 0;
            foreach (array_keys($this->rows()) as $id) {
                foreach ($values as $k => $v) {
                    Capsule::$tables[$this->table][$id][$k] = $v instanceof Expression ? 'raw:' . $v->getValue() : $v;
                }
                $n++;
            }

            return $n;
        }
    }

    /** WHMCS's Capsule over in-memory tables, keyed by id. */
    final class Capsule
    {
        /** @var array<string, array<int, array<string, mixed>>> */
        public static array $tables = [];
        /** @var list<array{table: string, where: list<array{0: string, 1: mixed}>, values: array<string, mixed>}> */
        public static array $updates = [];
        public static ?\Throwable $failWith = null;

        public static function reset(): void
        {
            self::$tables = ['tblhosting' => []];
            self::$updates = [];
            self::$failWith = null;
        }

        public static function table(string $name): Query
        {
            if (self::$failWith !== null) {
                throw self::$failWith;
            }

            return new Query($name);
        }

        public static function raw(string $sql): Expression
        {
            return new Expression($sql);
        }
    }
}

namespace WHMCS\UsageBilling\Contracts\Metrics {
    /** WHMCS's metric: a name, a type, units and (once collected) usage. */
    interface MetricInterface
    {
        public const TYPE_SNAPSHOT = 'snapshot';
        public const TYPE_PERIOD_MONTH = 'month';

        public function systemName();

        public function displayName();

        public function type();

        public function units();

        public function usage();

        public function withUsage($usage = null);
    }

    /** What a server module's MetricProvider returns. */
    interface ProviderInterface
    {
        public function metrics();

        public function usage();

        public function tenantUsage($tenant);
    }
}

namespace WHMCS\UsageBilling\Metrics {
    use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;

    /** WHMCS's Metric: immutable, withUsage() answers a copy. */
    final class Metric implements MetricInterface
    {
        public function __construct(
            private $systemName,
            private $displayName = null,
            private $type = null,
            private $units = null,
            private $usage = null,
        ) {
        }

        public function systemName()
        {
            return $this->systemName;
        }

        public function displayName()
        {
            return $this->displayName;
        }

        public function type()
        {
            return $this->type;
        }

        public function units()
        {
            return $this->units;
        }

        public function usage()
        {
            return $this->usage;
        }

        public function withUsage($usage = null)
        {
            $copy = clone $this;
            $copy->usage = $usage;

            return $copy;
        }
    }

    /** WHMCS's Usage; a numeric collectedAt is a Unix timestamp (WHMCS makes a Carbon of it). */
    final class Usage
    {
        public function __construct(
            private $value,
            private $collectedAt = null,
            private $startAt = null,
            private $endAt = null,
        ) {
        }

        public function value()
        {
            return $this->value;
        }

        public function collectedAt()
        {
            return $this->collectedAt;
        }

        public function startAt()
        {
            return $this->startAt;
        }

        public function endAt()
        {
            return $this->endAt;
        }
    }
}

namespace WHMCS\UsageBilling\Metrics\Units {
    /** WHMCS's base unit for counts. */
    class WholeNumber
    {
        public function __construct(
            public $name = 'Whole Number',
            public $singlePerUnitName = null,
            public $pluralPerUnitName = null,
            public $prefix = null,
            public $suffix = null,
        ) {
        }

        public function name()
        {
            return $this->name;
        }

        public function suffix()
        {
            return $this->suffix;
        }
    }

    /** WHMCS's base unit for decimals. */
    class FloatingPoint extends WholeNumber
    {
    }

    class GigaBytes extends FloatingPoint
    {
        // Not useless: WHMCS's GigaBytes has its own defaults (name, suffix).
        // phpcs:ignore Generic.CodeAnalysis.UselessOverridingMethod.Found
        public function __construct(
            $name = 'Gigabytes',
            $singlePerUnitName = null,
            $pluralPerUnitName = null,
            $prefix = null,
            $suffix = 'GB',
        ) {
            parent::__construct($name, $singlePerUnitName, $pluralPerUnitName, $prefix, $suffix);
        }
    }
}

<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

use WHMCS\Database\Capsule;

/**
 * WHMCS's tblhosting (one row a service), as the shim reads and writes it:
 * the only class that touches the table. Create writes the S3 user's
 * email and id into the service, UsageUpdate its disk and bandwidth
 * figures; UsageUpdate and usage billing read a server's billable
 * services.
 */
final class HostingTable
{
    /** The statuses whose services are billed and whose usage is updated. */
    public const BILLED = ['Active', 'Suspended'];
    /** The largest figure written into a usage column (a signed 32-bit int). */
    public const MAX_USAGE_MB = 2147483647;

    /**
     * The server's Active and Suspended services: id => domain (trimmed,
     * '' when none).
     *
     * @return array<int, string>
     */
    public function billedServices(int $serverId): array
    {
        $rows = Capsule::table('tblhosting')
            ->where('server', $serverId)
            ->whereIn('domainstatus', self::BILLED)
            ->get();
        if (is_object($rows) && method_exists($rows, 'all')) {
            $rows = $rows->all();
        }
        $out = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $row = (array) $row;
            $id = Payload::id($row['id'] ?? 0);
            if ($id > 0) {
                $out[$id] = is_scalar($row['domain'] ?? null) ? trim((string) $row['domain']) : '';
            }
        }

        return $out;
    }

    /**
     * Writes the S3 user's email and id into the service (domain and
     * username), so staff see them and usage billing keys by domain.
     * Fields that are missing or empty are left as they are.
     *
     * @param array<mixed> $fields staas's service_fields
     */
    public function writeServiceFields(int $serviceId, array $fields): void
    {
        $update = [];
        foreach (['domain', 'username'] as $name) {
            if (is_string($fields[$name] ?? null) && $fields[$name] !== '') {
                $update[$name] = Text::cut(Text::utf8($fields[$name]), 255);
            }
        }
        if ($serviceId <= 0 || $update === []) {
            return;
        }
        Capsule::table('tblhosting')->where('id', $serviceId)->update($update);
    }

    /**
     * Writes staas's usage figures (MB) of the services asked into their
     * rows on this server, with lastupdate = now; an answer for a service
     * not asked, or on another server, is ignored.
     *
     * @param list<int> $asked
     *
     * @return int how many services were updated
     */
    public function writeUsage(int $serverId, array $asked, mixed $services): int
    {
        $asked = array_flip($asked);
        $n = 0;
        foreach (is_array($services) ? $services : [] as $s) {
            $id = is_array($s) ? Payload::id($s['service_id'] ?? 0) : 0;
            if ($id <= 0 || !isset($asked[$id])) {
                continue;
            }
            Capsule::table('tblhosting')
                ->where('id', $id)
                ->where('server', $serverId)
                ->update([
                    'diskusage' => self::mb($s['disk_mb'] ?? 0),
                    'disklimit' => self::mb($s['disk_limit_mb'] ?? 0),
                    'bwusage' => self::mb($s['bw_mb'] ?? 0),
                    'bwlimit' => self::mb($s['bw_limit_mb'] ?? 0),
                    'lastupdate' => Capsule::raw('now()'),
                ]);
            $n++;
        }

        return $n;
    }

    private static function mb(mixed $v): int
    {
        if (is_float($v)) {
            $v = is_nan($v) || $v < 0 ? 0 : ($v >= self::MAX_USAGE_MB ? self::MAX_USAGE_MB : (int) ceil($v));
        }
        $n = is_int($v) ? $v : Payload::id($v);

        return max(0, min(self::MAX_USAGE_MB, $n));
    }
}

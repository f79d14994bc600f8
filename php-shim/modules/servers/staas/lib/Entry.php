<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * One entry point's answer to "what if it fails?", for Guard::call: what
 * the module log files the failure under, whose words the message is in,
 * and whether an Activity Log line goes with it.
 *
 * Three kinds, one constructor each:
 *
 *  - staff(): a module function an admin runs (Create, TestConnection,
 *    the services tab, UsageUpdate, the addon page): staff's message, in
 *    the module log;
 *  - client(): a client's own page or button: the client's message, the
 *    staff's one in the module log;
 *  - reported(): hooks and usage billing, which no admin watches as they
 *    run: staff's message in the module log and one Activity Log line.
 */
final class Entry
{
    /**
     * @param string               $action   the module log's action
     * @param array<string, mixed> $request  what the module log shows of the call (ids, never secrets)
     * @param string               $where    names the entry in a message about a PHP failure
     *                                         ("the staas shim failed in …")
     * @param string               $activity '' for none, else "staas: $activity failed: …" goes to the Activity Log
     * @param bool                 $queued   WHMCS keeps the function in its Module Queue: an unreachable staas says so
     */
    private function __construct(
        public readonly string $action,
        public readonly array $request,
        public readonly string $where,
        public readonly bool $forClient = false,
        public readonly string $activity = '',
        public readonly int $clientId = 0,
        public readonly bool $queued = false,
    ) {
    }

    /** @param array<string, mixed> $request */
    public static function staff(string $action, array $request, string $where, bool $queued = false): self
    {
        return new self($action, $request, $where, queued: $queued);
    }

    /** @param array<string, mixed> $request */
    public static function client(string $action, array $request, string $where): self
    {
        return new self($action, $request, $where, forClient: true);
    }

    /** @param array<string, mixed> $request */
    public static function reported(
        string $action,
        array $request,
        string $where,
        string $what,
        int $clientId = 0,
    ): self {
        return new self($action, $request, $where, activity: $what, clientId: $clientId);
    }
}

<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The one place where failures are caught and turned into words.
 *
 * Every entry point (module function, hook, addon page, usage billing)
 * runs its work through call(): PHP warnings become exceptions for the
 * duration, and any Throwable is logged as the Entry says and becomes one
 * message. Staff see staas's own message, or what went wrong on the way
 * to staas; clients see staas's refusal or a general one.
 */
final class Guard
{
    public function __construct(private readonly Logger $logger)
    {
    }

    public function logger(): Logger
    {
        return $this->logger;
    }

    /**
     * Runs one entry point's work and answers what WHMCS expects of it:
     * $work's answer, or, when anything in it fails (a refusal of staas,
     * an unreachable staas, a PHP warning or error), the failure logged as
     * $entry says and $fallback's answer made of the one message. Every
     * module function, hook, addon page and usage call goes through here,
     * so a failure is caught, logged and worded in one place.
     *
     * @template T
     *
     * @param callable(): T       $work
     * @param callable(string): T $fallback what WHMCS gets instead, from the message
     *
     * @return T
     */
    public function call(Entry $entry, callable $work, callable $fallback): mixed
    {
        try {
            return $this->run($work);
        } catch (\Throwable $e) {
            return $fallback($this->failed($entry, $e));
        }
    }

    /**
     * Logs $e as $entry says (module log, and the Activity Log for a
     * reported entry) and returns the message for whoever sees it: staff
     * or, for a client entry, the client. call() uses it for what escapes
     * an entry's work; an entry that goes on after a failure of its own
     * (one usage chunk of many, an admin action staas did not answer)
     * words that failure here too.
     */
    public function failed(Entry $entry, \Throwable $e): string
    {
        $this->logFailure($entry->action, $entry->request, $e, $entry->where);
        $message = $this->staffMessage($e, $entry->where);
        if ($entry->activity !== '') {
            $this->logger->activity('staas: ' . $entry->activity . ' failed: ' . $message, $entry->clientId);
        }
        if ($entry->forClient) {
            return $this->clientMessage($e);
        }
        if ($entry->queued && $e instanceof StaasException && $e->kind === StaasException::UNREACHABLE) {
            $message = rtrim($message, '. ') . '; WHMCS keeps the action in its Module Queue to retry.';
        }

        return $message;
    }

    /**
     * Runs $work with warnings turned into exceptions.
     *
     * @template T
     *
     * @param callable(): T $work
     *
     * @return T
     */
    private function run(callable $work): mixed
    {
        // Warnings and notices only: a deprecation (a newer PHP than this
        // code knows) must not fail a provisioning call, so it goes to
        // WHMCS's own handling as before.
        set_error_handler(static function (int $severity, string $message, string $file = '', int $line = 0): bool {
            if ((error_reporting() & $severity) === 0) {
                return false;
            }
            throw new \ErrorException($message, 0, $severity, $file, $line);
        }, E_WARNING | E_NOTICE | E_USER_WARNING | E_USER_NOTICE | E_RECOVERABLE_ERROR);
        try {
            return $work();
        } finally {
            restore_error_handler();
        }
    }

    /** The message for staff: never empty, one line, no secret. */
    public function staffMessage(\Throwable $e, string $where): string
    {
        if ($e instanceof StaasException) {
            $message = $e->getMessage();
        } else {
            $message = 'the staas shim failed in ' . $where . ': ' . $e->getMessage();
        }
        $message = Text::oneLine($this->logger->scrubText($message));

        return $message !== '' ? $message : 'the staas shim failed in ' . $where . ' without a message';
    }

    /**
     * The message for a client on their service page: staas's own answer
     * (written for whoever clicked) or the shim's own refusal, otherwise a
     * general one, so no internal address or error reaches a client.
     */
    private function clientMessage(\Throwable $e): string
    {
        $forClients = [StaasException::REFUSED, StaasException::LOCAL];
        if ($e instanceof StaasException && in_array($e->kind, $forClients, true)) {
            return Text::oneLine($this->logger->scrubText($e->getMessage()));
        }

        return 'The storage service cannot be reached right now. Please try again in a few minutes.';
    }

    /** Logs a failure that happened outside a call to staas (configuration, PHP). */
    private function logFailure(string $action, mixed $request, \Throwable $e, string $where): void
    {
        $loggedByClient = [StaasException::UNREACHABLE, StaasException::PROTOCOL, StaasException::REFUSED];
        if ($e instanceof StaasException && in_array($e->kind, $loggedByClient, true)) {
            return; // Client has logged the call already.
        }
        $this->logger->moduleCall($action, $request, get_class($e), $this->staffMessage($e, $where));
    }
}

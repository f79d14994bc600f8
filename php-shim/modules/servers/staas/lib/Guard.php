<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The one place where failures are caught and turned into words.
 *
 * Every entry point (module function, hook, addon page) runs its work
 * through run(): PHP warnings become exceptions for the duration, and any
 * Throwable becomes a message. Staff see staas's own message, or what
 * went wrong on the way to staas; clients see a general one.
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
     * Runs $work with warnings turned into exceptions.
     *
     * @template T
     *
     * @param callable(): T $work
     *
     * @return T
     */
    public function run(callable $work): mixed
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
    public function clientMessage(\Throwable $e): string
    {
        if ($e instanceof StaasException && ($e->kind === StaasException::REFUSED || $e->kind === StaasException::LOCAL)) {
            return Text::oneLine($this->logger->scrubText($e->getMessage()));
        }

        return 'The storage service cannot be reached right now. Please try again in a few minutes.';
    }

    /** Logs a failure that happened outside a call to staas (configuration, PHP). */
    public function logFailure(string $action, mixed $request, \Throwable $e, string $where): void
    {
        if ($e instanceof StaasException && in_array($e->kind, [StaasException::UNREACHABLE, StaasException::PROTOCOL, StaasException::REFUSED], true)) {
            return; // Client has logged the call already.
        }
        $this->logger->moduleCall($action, $request, get_class($e), $this->staffMessage($e, $where));
    }

    /**
     * Logs a failure where an admin will see it: the module log as
     * logFailure does, and one Activity Log line "staas: $what failed: …",
     * since the module log is off unless an admin turns it on.
     *
     * @return string the staff message
     */
    public function report(string $action, mixed $request, \Throwable $e, string $where, string $what, int $clientId = 0): string
    {
        $this->logFailure($action, $request, $e, $where);
        $message = $this->staffMessage($e, $where);
        $this->logger->activity('staas: ' . $what . ' failed: ' . $message, $clientId);

        return $message;
    }
}

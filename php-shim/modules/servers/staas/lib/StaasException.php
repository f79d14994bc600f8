<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * Every failure of a call to staas, with a message an admin may read.
 *
 * The message never carries a secret: Client scrubs the shared secret and
 * any key it saw out of it before it throws.
 */
final class StaasException extends \RuntimeException
{
    /** The shim is not configured, or configured wrongly. */
    public const CONFIG = 'config';
    /** staas could not be reached (connection, TLS, timeout). */
    public const UNREACHABLE = 'unreachable';
    /** staas answered something that is not the protocol's envelope. */
    public const PROTOCOL = 'protocol';
    /** staas answered result=error: its message is for the admin. */
    public const REFUSED = 'refused';
    /** The shim itself refused (a bad token, a malformed form). */
    public const LOCAL = 'local';

    public function __construct(
        string $message,
        public readonly string $kind,
        /** staas's error code (invalid, not_found, conflict, …) when it answered one. */
        public readonly string $staasCode = '',
        /** The HTTP status of staas's answer; 0 when there was none. */
        public readonly int $httpStatus = 0,
        /**
         * Where on the client's summary page an admin action's failure
         * shows (the answer's "anchor"), as staas sent it: unchecked, so
         * AdminEndpoint::back checks it before using it.
         */
        public readonly string $anchor = '',
    ) {
        parent::__construct($message);
    }

    /** Whether staas answered in the protocol's envelope (it may have recorded the failure). */
    public function staasAnswered(): bool
    {
        return $this->kind === self::REFUSED;
    }
}

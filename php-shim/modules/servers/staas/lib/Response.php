<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * What the addon module page answers: a redirect or HTML for WHMCS's admin
 * page. Built by AdminEndpoint and sent by the entry function, so tests
 * can look at it without sending headers or exiting.
 */
final class Response
{
    /** @param array<string, string> $headers */
    private function __construct(
        public readonly int $status,
        public readonly array $headers,
        public readonly string $body,
    ) {
    }

    /** A 303 See Other to a URL the shim built (never the Referer). */
    public static function redirect(string $location): self
    {
        return new self(303, ['Location' => $location], '');
    }

    /** HTML shown inside WHMCS's admin page. */
    public static function page(string $html, int $status = 200): self
    {
        return new self($status, [], $html);
    }

    public function isRedirect(): bool
    {
        return isset($this->headers['Location']);
    }

    public function location(): string
    {
        return $this->headers['Location'] ?? '';
    }

    /** Sends the answer; the caller exits after a redirect. */
    public function send(): void
    {
        if ($this->isRedirect() && headers_sent()) {
            // Too late for a Location header: a link still gets the admin back.
            echo '<p><a href="' . Text::html($this->location()) . '">Continue</a></p>';

            return;
        }
        if (!headers_sent()) {
            http_response_code($this->status);
            foreach ($this->headers as $name => $value) {
                header($name . ': ' . $value);
            }
        }
        echo $this->body;
    }
}

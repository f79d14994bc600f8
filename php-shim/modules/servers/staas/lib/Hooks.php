<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The hooks behind includes/hooks/staas.php.
 *
 * The two admin page hooks put staas's links and panels on the client
 * summary page; the client and cron hooks tell staas about events and
 * write what it answers into the Activity Log. A hook never breaks the
 * WHMCS page or action it runs in: every failure is logged (Activity Log
 * and module log), and the page hooks show a short notice instead.
 */
final class Hooks
{
    use CallsStaas;

    /** The addon module page that takes the forms' posts. */
    public const ACTION_URL = 'addonmodules.php?module=staas';

    /**
     * @param (\Closure(array<string, mixed>): Config)|null $loadConfig Config::load by default
     */
    public function __construct(
        private readonly Whmcs $whmcs,
        ?\Closure $loadConfig = null,
        ?Logger $logger = null,
    ) {
        $this->wire($loadConfig, $logger);
    }

    public static function fromWhmcs(): self
    {
        return new self(new Whmcs());
    }

    /**
     * AdminAreaClientSummaryActionLinks: staas's links, HTML it escaped.
     *
     * @param array<string, mixed> $vars
     *
     * @return list<string>
     */
    public function actionLinks(array $vars): array
    {
        return $this->guard->call(
            $this->pageEntry('admin links', $vars),
            function () use ($vars): array {
                $request = $this->adminRequest($vars);
                if ($request === null) {
                    return [];
                }
                $answer = $this->client()->call('/shim/v1/admin/links', $request, 'admin links');
                $links = [];
                foreach (is_array($answer['links'] ?? null) ? $answer['links'] : [] as $link) {
                    if (is_string($link) && $link !== '') {
                        $links[] = $link;
                    }
                }

                return $links;
            },
            static fn (string $message): array => [self::notice($message, 'span')],
        );
    }

    /**
     * AdminAreaClientSummaryPage: staas's panels, HTML it escaped.
     *
     * @param array<string, mixed> $vars
     */
    public function summaryPage(array $vars): string
    {
        return $this->guard->call(
            $this->pageEntry('admin panels', $vars),
            function () use ($vars): string {
                $request = $this->adminRequest($vars);
                if ($request === null) {
                    return '';
                }
                $answer = $this->client()->call('/shim/v1/admin/panels', $request, 'admin panels');

                return is_string($answer['html'] ?? null) ? $answer['html'] : '';
            },
            static fn (string $message): string => self::notice($message, 'div'),
        );
    }

    /** @param array<string, mixed> $vars ClientAdd: client_id (userid before 8.0), email */
    public function clientAdd(array $vars): void
    {
        $clientId = Payload::id($vars['client_id'] ?? ($vars['userid'] ?? 0));
        $email = $this->str($vars['email'] ?? '');
        $payload = fn (): array => Payload::event($clientId, $this->whmcs->adminId(), $email);
        $this->event('client-add', $clientId, $payload);
    }

    /**
     * ClientEdit: tells staas about an email change (its S3 users keep
     * their addresses); other edits concern staas not.
     *
     * @param array<string, mixed> $vars userid, email, olddata
     */
    public function clientEdit(array $vars): void
    {
        $clientId = Payload::id($vars['userid'] ?? ($vars['client_id'] ?? 0));
        $email = trim($this->str($vars['email'] ?? ''));
        $old = is_array($vars['olddata'] ?? null) ? trim($this->str($vars['olddata']['email'] ?? '')) : '';
        if ($email === '' || $old === '' || $email === $old) {
            return;
        }
        $payload = fn (): array => Payload::event($clientId, $this->whmcs->adminId(), $email, $old);
        $this->event('client-edit', $clientId, $payload);
    }

    /** @param array<string, mixed> $vars ClientClose: userid */
    public function clientClose(array $vars): void
    {
        $clientId = Payload::id($vars['userid'] ?? ($vars['client_id'] ?? 0));
        $this->event('client-close', $clientId, fn (): array => Payload::event($clientId, $this->whmcs->adminId()));
    }

    /** @param array<string, mixed> $vars PreDeleteClient: userid */
    public function clientDelete(array $vars): void
    {
        $clientId = Payload::id($vars['userid'] ?? ($vars['client_id'] ?? 0));
        $this->event('client-delete', $clientId, fn (): array => Payload::event($clientId, $this->whmcs->adminId()));
    }

    /** @param array<string, mixed> $vars DailyCronJob: none */
    public function dailyCron(array $vars = []): void
    {
        $this->event('daily-cron', 0, fn (): array => Payload::event(0, 0));
    }

    /**
     * The AdminRequest of the summary page, or null when no admin is
     * logged in (then the hooks show nothing).
     *
     * @param array<string, mixed> $vars
     *
     * @return array<string, mixed>|null
     */
    private function adminRequest(array $vars): ?array
    {
        $adminId = $this->whmcs->adminId();
        $clientId = Payload::id($vars['userid'] ?? 0);
        if ($adminId <= 0 || $clientId <= 0) {
            return null;
        }

        return Payload::admin(
            $adminId,
            $this->whmcs->adminPermissions(),
            $clientId,
            self::ACTION_URL,
            $this->whmcs->token(),
            $this->whmcs->adminName(),
        );
    }

    /**
     * Sends one event; staas's messages go to the Activity Log, and so
     * does a failure, which never leaves the hook.
     *
     * @param callable(): array<string, mixed> $payload
     */
    private function event(string $event, int $clientId, callable $payload): void
    {
        $what = 'the ' . $event . ' event' . ($clientId > 0 ? ' for client ' . $clientId : '');
        $this->guard->call(
            Entry::reported('event ' . $event, ['client_id' => $clientId], $event . ' hook', $what, $clientId),
            function () use ($event, $clientId, $payload): void {
                if ($event !== 'daily-cron' && $clientId <= 0) {
                    throw new StaasException('WHMCS passed no client id.', StaasException::LOCAL);
                }
                $answer = $this->client()->call('/shim/v1/events/' . $event, $payload(), 'event ' . $event);
                foreach (is_array($answer['messages'] ?? null) ? $answer['messages'] : [] as $message) {
                    if (is_string($message) && trim($message) !== '') {
                        $line = Text::oneLine($message);
                        $line = str_starts_with($line, 'staas:') ? $line : 'staas: ' . $line;
                        $this->guard->logger()->activity($line, $clientId);
                    }
                }
            },
            static function (string $message): void {
                // Logged where admins look; the hook's action goes on.
            },
        );
    }

    /**
     * How a failure of a page hook is logged: module log and Activity Log.
     *
     * @param array<string, mixed> $vars
     */
    private function pageEntry(string $action, array $vars): Entry
    {
        $clientId = Payload::id($vars['userid'] ?? 0);

        $what = 'the client summary\'s ' . $action;

        return Entry::reported($action, ['client_id' => $clientId], $action . ' hook', $what, $clientId);
    }

    /** A short escaped notice in place of staas's links or panels. */
    private static function notice(string $message, string $tag): string
    {
        $class = $tag === 'div' ? 'alert alert-warning staas-notice' : 'text-danger staas-notice';

        return '<' . $tag . ' class="' . $class . '">' . Text::html('staas: ' . $message) . '</' . $tag . '>';
    }

    private function str(mixed $v): string
    {
        return is_scalar($v) ? (string) $v : '';
    }
}

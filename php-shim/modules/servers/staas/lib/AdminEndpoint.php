<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The addon module page (addonmodules.php?module=staas) that takes the
 * forms of staas's links and panels on the client summary page.
 *
 * POST: an admin session and WHMCS's admin CSRF token are required; the
 * action goes to staas with the admin's id and permissions as WHMCS's
 * session has them, then the admin is sent back to the client's summary
 * page, where staas shows how it went. GET shows whether staas answers
 * and changes nothing.
 */
final class AdminEndpoint
{
    use CallsStaas;

    /**
     * The form fields each staas action takes; nothing else is forwarded,
     * so padding fields can neither reach staas nor swell its audit log.
     * staas keeps the same list (handlers/admin_params.go) and drops
     * anything else too; both are tested against
     * whmcsbridge/testdata/shim/admin/action_params.json. An action not
     * listed here gets no parameters.
     */
    public const ACTION_FIELDS = [
        'audit-page' => ['before'],
        'billing-unit' => ['unit'],
        'bucket-limits-delete' => ['bandwidth-name', 'bandwidth-value', 'bucket', 'confirm', 'ops-name', 'ops-value'],
        'bucket-limits-get' => ['bandwidth-name', 'bandwidth-value', 'bucket', 'ops-name', 'ops-value'],
        'bucket-limits-set' => ['bandwidth-name', 'bandwidth-value', 'bucket', 'ops-name', 'ops-value'],
        'buckets-page' => ['page'],
        'cancel' => [],
        'create-user' => ['cluster'],
        'delete-user' => ['confirm'],
        'disable-user' => ['confirm'],
        'enable-user' => [],
        'generate-key' => [],
        'hide-panel' => ['panel'],
        'purge-bucket' => ['bucket', 'confirm', 'confirm-name'],
        'quota-delete' => ['confirm', 'quota-gb', 'quota-of'],
        'quota-get' => ['quota-gb', 'quota-of'],
        'quota-set' => ['quota-gb', 'quota-of'],
        'retry-intent' => ['intent'],
        'reveal-secret' => ['access_key'],
        'revoke-key' => ['access_key', 'confirm'],
        'stats-delete' => ['confirm', 'from', 'object', 'scope'],
        'stats-get' => ['object', 'scope'],
        'stats-page' => ['after'],
        'toggle-audit' => [],
        'toggle-billing' => [],
        'toggle-buckets' => [],
        'toggle-stats' => [],
        'toggle-usage' => [],
        'toggle-user' => [],
        'toggle-users' => [],
        'usage-days' => ['days'],
        'user-limits-delete' => ['bandwidth-name', 'bandwidth-value', 'confirm', 'ops-name', 'ops-value'],
        'user-limits-get' => ['bandwidth-name', 'bandwidth-value', 'ops-name', 'ops-value'],
        'user-limits-set' => ['bandwidth-name', 'bandwidth-value', 'ops-name', 'ops-value'],
        'users-page' => ['cluster', 'page', 'q'],
    ];

    /** The id of staas's flashes on the summary page: where a result shows when staas names no other place. */
    private const RESULT_ANCHOR = 'staas-result';

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

    /** @param array<string, mixed> $post the request's form fields ($_POST) */
    public function handle(string $method, array $post): Response
    {
        return $this->guard->call(
            Entry::staff('admin action page', [], 'the addon page'),
            fn (): Response => strtoupper($method) === 'POST' ? $this->post($post) : $this->status(),
            fn (string $message): Response => $this->error($message, 0, 500),
        );
    }

    /** @param array<string, mixed> $post */
    private function post(array $post): Response
    {
        $adminId = $this->whmcs->adminId();
        if ($adminId <= 0) {
            return $this->error('No WHMCS admin is logged in; nothing was changed.', 0, 403);
        }
        $clientId = Payload::id($post['userid'] ?? ($post['client_id'] ?? 0));
        if (!$this->whmcs->checkToken('WHMCS.admin.default')) {
            return $this->error(
                'The form\'s security token is missing or has expired, so nothing was changed. '
                . 'Reload the client\'s page and try again.',
                $clientId,
                403,
            );
        }
        $action = $post['action'] ?? '';
        if (!is_string($action) || !preg_match('/^[a-z0-9-]{1,64}$/', $action)) {
            return $this->error('The form names no valid staas action; nothing was changed.', $clientId, 400);
        }
        if ($clientId <= 0) {
            return $this->error('The form names no client; nothing was changed.', 0, 400);
        }
        $params = [];
        $takes = self::ACTION_FIELDS[$action] ?? [];
        foreach ($post as $key => $value) {
            if (is_string($key) && in_array($key, $takes, true) && is_string($value)) {
                $params[$key] = $value;
            }
        }
        $permissions = $this->whmcs->adminPermissions();
        $request = Payload::action($adminId, $permissions, $clientId, $params, $this->whmcs->adminName());
        try {
            $answer = $this->client()->call('/shim/v1/admin/actions/' . $action, $request, 'admin action ' . $action);
        } catch (StaasException $e) {
            // staas answered and, for a refused action, shows the admin why
            // on the summary page. A refused signature (401) or no answer
            // at all leaves nothing there, so say it here.
            if ($e->staasAnswered() && $e->httpStatus !== 401) {
                return self::back($clientId, $e->anchor);
            }
            $entry = Entry::reported(
                'admin action ' . $action,
                ['client_id' => $clientId],
                'the addon page',
                'the admin action ' . $action,
                $clientId,
            );

            return $this->error($this->guard->failed($entry, $e), $clientId, 502);
        }

        return self::back($clientId, $answer['anchor'] ?? null);
    }

    /**
     * The redirect back to the client's summary page, with the place that
     * shows the action's outcome as the fragment (staas's answer names it:
     * the flash, the confirmation, the panel that opened), so the admin
     * lands on the result instead of the top of the page. The anchor is
     * used only when it is a plain element id (a-z 0-9 -, at most 64):
     * nothing staas or the browser sends can change more than the
     * fragment of a URL the shim builds.
     */
    private static function back(int $clientId, mixed $anchor): Response
    {
        if (!is_string($anchor) || !preg_match('/^[a-z0-9-]{1,64}$/D', $anchor)) {
            $anchor = self::RESULT_ANCHOR;
        }

        return Response::redirect('clientssummary.php?userid=' . $clientId . '#' . $anchor);
    }

    private function status(): Response
    {
        $html = '<p>staas\'s S3 actions and panels appear on each client\'s summary page; their forms post here.</p>';
        try {
            $client = $this->client();
            $request = Payload::server([], $this->whmcs->adminId());
            $answer = $client->call('/shim/v1/module/test-connection', $request, 'test-connection');
            $version = is_string($answer['version'] ?? null) && $answer['version'] !== ''
                ? ' (version ' . $answer['version'] . ')'
                : '';
            $said = 'staas at ' . $client->url() . $version
                . ' answers, and the shared secret matches; its store and the gateway respond.';
            $html .= '<div class="alert alert-success">' . Text::html($said) . '</div>';
        } catch (StaasException $e) {
            $said = 'staas: ' . $this->guard->staffMessage($e, 'the addon page');
            $html .= '<div class="alert alert-danger">' . Text::html($said) . '</div>';
        }

        return Response::page($html);
    }

    private function error(string $message, int $clientId, int $status): Response
    {
        $html = '<div class="alert alert-danger">' . Text::html('staas: ' . $message) . '</div>';
        if ($clientId > 0) {
            $back = Text::html('clientssummary.php?userid=' . $clientId);
            $html .= '<p><a class="btn btn-default" href="' . $back . '">Back to the client</a></p>';
        }

        return Response::page($html, $status);
    }
}

<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * The "staas resellers" addon page (addonmodules.php?module=staas_resellers):
 * staas's resellers, listed and managed (add, assign clients, reset a
 * password, disable or enable, enrol or remove a second factor). staas
 * renders the page; this class forwards each GET and POST to it, signed.
 *
 * What is enforced where: WHMCS runs the addon's page only for the admin
 * roles its access control lists (Addon Modules > staas resellers >
 * Configure > Access Control), so reaching this class is the permission,
 * and the shim tells staas so with PERMISSION; staas refuses a request
 * without it. On a POST, WHMCS's CSRF token is checked here (check_token)
 * before anything is sent, and sent along with the session's token for
 * staas to compare again. Passwords and new second-factor secrets are
 * masked in WHMCS's module log (the request's "password" field, the
 * answer's "secrets").
 */
final class ResellerPage
{
    use CallsStaas;

    /** What the shim adds to the admin's permissions: WHMCS's addon access let them in. */
    public const PERMISSION = 'staas: Manage Resellers';

    /**
     * The form fields each action takes; nothing else is forwarded.
     * staas keeps the same list (whmcsbridge.ResellerActionFields); both
     * are tested against whmcsbridge/testdata/shim/admin/reseller_params.json.
     */
    public const ACTION_FIELDS = [
        'add' => ['email', 'name', 'password', 'source-kind', 'source-value'],
        'assign' => ['id', 'source-kind', 'source-value'],
        'disable' => ['id'],
        'enable' => ['id'],
        'reset-password' => ['id', 'password'],
        'totp-enrol' => ['id'],
        'totp-remove' => ['id'],
    ];

    private const WHERE = 'the staas resellers page';

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
     * @param array<string, mixed> $post       the request's form fields ($_POST)
     * @param string               $moduleLink the page's address ($vars['modulelink']), which its forms post to
     */
    public function handle(string $method, array $post, string $moduleLink): Response
    {
        return $this->guard->call(
            Entry::staff('reseller page', [], self::WHERE),
            fn (): Response => $this->page(strtoupper($method) === 'POST', $post, $moduleLink),
            fn (string $message): Response => self::error($message, 500),
        );
    }

    /** @param array<string, mixed> $post */
    private function page(bool $isPost, array $post, string $moduleLink): Response
    {
        $adminId = $this->whmcs->adminId();
        if ($adminId <= 0) {
            return self::error('No WHMCS admin is logged in; nothing was changed.', 403);
        }
        $action = '';
        $formToken = '';
        $params = [];
        if ($isPost) {
            if (!$this->whmcs->checkToken('WHMCS.admin.default')) {
                return self::error(
                    'The form\'s security token is missing or has expired, so nothing was changed. '
                    . 'Reload the page and try again.',
                    403,
                );
            }
            $action = $post['action'] ?? '';
            if (!is_string($action) || !array_key_exists($action, self::ACTION_FIELDS)) {
                return self::error('The form names no reseller action; nothing was changed.', 400);
            }
            foreach (self::ACTION_FIELDS[$action] as $field) {
                if (is_string($post[$field] ?? null)) {
                    $params[$field] = $post[$field];
                }
            }
            $formToken = is_string($post['token'] ?? null) ? $post['token'] : '';
        }
        $permissions = $this->whmcs->adminPermissions();
        $permissions[] = self::PERMISSION;
        $request = Payload::resellers(
            $adminId,
            $permissions,
            $moduleLink,
            $this->whmcs->token(),
            $formToken,
            $action,
            $params,
            $this->whmcs->adminName(),
        );
        try {
            $answer = $this->client()->call(
                '/shim/v1/admin/resellers',
                $request,
                $action === '' ? 'reseller page' : 'reseller ' . $action,
            );
        } catch (StaasException $e) {
            $status = $e->httpStatus >= 400 && $e->httpStatus < 500 ? $e->httpStatus : 502;

            return self::error($this->guard->staffMessage($e, self::WHERE), $status);
        }
        $html = $answer['html'] ?? null;
        if (!is_string($html) || $html === '') {
            return self::error('staas answered without the page.', 502);
        }

        return Response::page($html);
    }

    private static function error(string $message, int $status): Response
    {
        $html = '<div class="alert alert-danger">' . Text::html('staas: ' . $message) . '</div>';

        return Response::page($html, $status);
    }
}

<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * What the shim reads of the WHMCS request it runs in: the admin's
 * session and permissions, the CSRF token. Identity and permissions come
 * from WHMCS's session, never from the browser.
 */
final class Whmcs
{
    /** The WHMCS permissions staas decides with. */
    public const PERMISSIONS = ['View Clients Summary', 'Perform Server Operations'];

    /** The logged-in admin ($_SESSION['adminid']), 0 when none. */
    public function adminId(): int
    {
        $id = $_SESSION['adminid'] ?? 0;

        return Payload::id(is_scalar($id) ? $id : 0);
    }

    /**
     * Those of PERMISSIONS the logged-in admin's role has, asked of WHMCS's
     * admin model one by one.
     *
     * @return list<string>
     */
    public function adminPermissions(): array
    {
        if ($this->adminId() <= 0 || !self::canAskAdmin()) {
            return [];
        }
        $admin = \WHMCS\User\Admin::getAuthenticatedUser();
        if (!is_object($admin) || !method_exists($admin, 'hasPermission')) {
            return [];
        }
        $out = [];
        foreach (self::PERMISSIONS as $name) {
            if ($admin->hasPermission($name) === true) {
                $out[] = $name;
            }
        }

        return $out;
    }

    /**
     * How WHMCS names the logged-in admin, for staas's audit log: "First
     * Last (username)", or whichever of the two WHMCS has; '' when none.
     * One line of printable UTF-8, at most 255 bytes.
     */
    public function adminName(): string
    {
        if ($this->adminId() <= 0 || !self::canAskAdmin()) {
            return '';
        }
        $admin = \WHMCS\User\Admin::getAuthenticatedUser();
        if (!is_object($admin)) {
            return '';
        }
        $attr = static function (string $name) use ($admin): string {
            try {
                $v = $admin->{$name} ?? '';
            } catch (\Throwable) {
                return '';
            }

            return is_scalar($v) ? Text::printable((string) $v) : '';
        };
        $full = Text::printable($attr('firstname') . ' ' . $attr('lastname'));
        $user = $attr('username');
        if ($full === '' || $user === '' || $user === $full) {
            $name = $full !== '' ? $full : $user;
        } else {
            $name = $full . ' (' . $user . ')';
        }

        return Text::cut($name, 255);
    }

    /** Whether this WHMCS has the admin model the shim asks. */
    private static function canAskAdmin(): bool
    {
        return class_exists('\WHMCS\User\Admin') && method_exists('\WHMCS\User\Admin', 'getAuthenticatedUser');
    }

    /** WHMCS's CSRF token of this session, bare. */
    public function token(): string
    {
        if (!function_exists('generate_token')) {
            throw new StaasException('WHMCS\'s generate_token is not available here.', StaasException::LOCAL);
        }
        $token = generate_token('plain');
        if (!is_string($token) || $token === '') {
            throw new StaasException('WHMCS gave no CSRF token.', StaasException::LOCAL);
        }

        return $token;
    }

    /**
     * WHMCS's check_token on the request's "token" field. A check that
     * cannot run, or throws (WHMCS's admin area throws on a mismatch),
     * counts as failed.
     */
    public function checkToken(string $namespace): bool
    {
        if (!function_exists('check_token')) {
            return false;
        }
        try {
            return check_token($namespace) === true;
        } catch (\Throwable) {
            return false;
        }
    }
}

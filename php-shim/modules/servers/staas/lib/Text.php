<?php

declare(strict_types=1);

namespace WHMCS\Module\Server\Staas;

/**
 * Text helpers on PHP's core functions only (no mbstring).
 */
final class Text
{
    /** HTML-escapes $s for element content and quoted attributes. */
    public static function html(string $s): string
    {
        return htmlspecialchars($s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    }

    /** $s as valid UTF-8: invalid bytes become U+FFFD. */
    public static function utf8(string $s): string
    {
        if (preg_match('//u', $s) === 1) {
            return $s;
        }

        return htmlspecialchars_decode(htmlspecialchars($s, ENT_NOQUOTES | ENT_SUBSTITUTE, 'UTF-8'), ENT_NOQUOTES);
    }

    /** At most $bytes bytes of valid UTF-8 $s, never cutting a character in two. */
    public static function cut(string $s, int $bytes): string
    {
        if (strlen($s) <= $bytes) {
            return $s;
        }
        $cut = substr($s, 0, $bytes);
        // A UTF-8 character is at most 4 bytes: at most 3 to drop.
        for ($i = 0; $i < 3; $i++) {
            if ($cut === '' || preg_match('//u', $cut) === 1) {
                break;
            }
            $cut = substr($cut, 0, -1);
        }

        return $cut;
    }

    /**
     * $s as one line of printable UTF-8: every run of white space and
     * control characters (C0, DEL and C1, which staas refuses in names)
     * becomes one space, and the ends are trimmed.
     */
    public static function printable(string $s): string
    {
        return trim(preg_replace('/[\s\x{0000}-\x{001f}\x{007f}-\x{009f}]+/u', ' ', self::utf8($s)) ?? '');
    }

    /** A message on one line: valid UTF-8, no control characters, at most $bytes bytes. */
    public static function oneLine(string $s, int $bytes = 2000): string
    {
        $s = trim(preg_replace('/\s*[\x00-\x1f\x7f]+\s*/', ' ', self::utf8($s)) ?? '');
        if (strlen($s) <= $bytes) {
            return $s;
        }

        return self::cut($s, $bytes) . '…';
    }
}

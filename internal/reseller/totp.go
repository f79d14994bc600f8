package reseller

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" // RFC 6238's default, what authenticator apps compute; HMAC-SHA1 stands as a MAC
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP (RFC 6238) in the form every authenticator app takes by default:
// HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch. It is a few
// lines over the standard library, checked against the RFC's test
// vectors, rather than a module: the one kept library (pquerna/otp)
// would bring a barcode package for QR images staas does not draw.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of now a code may be from:
	// one, for a phone's clock a little off and a code typed at a step's
	// end.
	TOTPSkew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new random secret of 20 bytes (RFC 4226's
// recommended length), in base32 without padding as apps take it.
func NewTOTPSecret() (string, error) {
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return b32.EncodeToString(raw[:]), nil
}

// TOTPURI is the otpauth:// URI an authenticator app reads (as a QR
// code or pasted): issuer and account label the entry.
func TOTPURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(TOTPDigits))
	q.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// hotp is RFC 4226's HOTP of key at counter, digits long.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// totpStep is the time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

func decodeSecret(secret string) ([]byte, error) {
	return b32.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
}

// TOTPCode is the code of secret at t (for tests and the CLI's check).
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(totpStep(t)), TOTPDigits), nil
}

// matchTOTP finds the step within TOTPSkew of now whose code is code;
// ok is false when none is (or code is not 6 digits).
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return 0, false
	}
	cur := totpStep(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		if hmac.Equal([]byte(hotp(key, uint64(s), TOTPDigits)), []byte(code)) {
			return s, true
		}
	}
	return 0, false
}

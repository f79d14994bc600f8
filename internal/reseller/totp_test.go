package reseller

import (
	"context"
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"staas"
	"staas/internal/store"
)

// RFC 6238 appendix B, the SHA-1 rows: the key is the ASCII
// "12345678901234567890", codes are 8 digits.
func TestTOTP_RFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := hotp(key, uint64(totpStep(time.Unix(v.unix, 0))), 8); got != v.code {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.code)
		}
	}
	// The 6-digit code apps show is the last 6 digits of the same value.
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
	if got, err := TOTPCode(secret, time.Unix(59, 0)); err != nil || got != "287082" {
		t.Fatalf("6 digits at 59: %q %v", got, err)
	}
}

func TestTOTP_SecretAndURI(t *testing.T) {
	s, err := NewTOTPSecret()
	if err != nil || len(s) != 32 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("secret %q %v", s, err)
	}
	if s2, _ := NewTOTPSecret(); s2 == s {
		t.Fatal("two secrets alike")
	}
	u, err := url.Parse(TOTPURI("staas", "a@acme.example", s))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/staas:a@acme.example" ||
		u.Query().Get("secret") != s || u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" {
		t.Fatalf("uri %v %v", u, err)
	}
}

func TestTOTP_Window(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	now := time.Unix(1_800_000_015, 0)
	code := func(d time.Duration) string { c, _ := TOTPCode(secret, now.Add(d)); return c }
	for d, ok := range map[time.Duration]bool{0: true, -30 * time.Second: true, 30 * time.Second: true, -60 * time.Second: false, 60 * time.Second: false} {
		if _, got := matchTOTP(secret, code(d), now); got != ok {
			t.Errorf("code of now%+v: accepted %v, want %v", d, got, ok)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12a456"} {
		if _, ok := matchTOTP(secret, bad, now); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A reseller with a second factor: the password alone asks for the code
// (not a failure), a right code logs in once, its replay and an older
// code are refused and count towards the lockout, as wrong codes do.
func TestAuthenticate_TOTP(t *testing.T) {
	ctx := context.Background()
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	rs := fakeResellers{"a@acme.example": {ID: 1, Email: "a@acme.example", PasswordHash: string(hash), State: store.ResellerActive, TOTPSecret: secret}}
	a := NewAuth(rs, nil)
	now := time.Unix(1_800_000_015, 0)
	a.now = func() time.Time { return now }
	code := func(d time.Duration) string { c, _ := TOTPCode(secret, now.Add(d)); return c }
	login := func(code, ip string) error {
		_, err := a.Authenticate(ctx, "a@acme.example", "correct horse battery", code, ip)
		return err
	}

	for range MaxFailures + 1 {
		if err := login("", "192.0.2.1"); err != ErrNeedCode {
			t.Fatalf("no code: %v, want ErrNeedCode every time (it is no failure)", err)
		}
	}
	if _, err := a.Authenticate(ctx, "a@acme.example", "wrong password here", code(0), "192.0.2.1"); staas.ErrorCode(err) != staas.EUNAUTHORIZED || err == ErrNeedCode {
		t.Fatalf("wrong password with a right code: %v", err)
	}
	if err := login(code(0), "192.0.2.1"); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := login(code(0), "192.0.2.1"); staas.ErrorCode(err) != staas.EUNAUTHORIZED || !strings.Contains(err.Error(), "used already") {
		t.Fatalf("replayed code: %v", err)
	}
	if err := login(code(-30*time.Second), "192.0.2.1"); staas.ErrorCode(err) != staas.EUNAUTHORIZED {
		t.Fatalf("an older code after a newer one: %v", err)
	}
	if err := login(code(30*time.Second), "192.0.2.1"); err != nil {
		t.Fatalf("the next step's code (clock skew): %v", err)
	}
	// Wrong codes lock the email out, the right password notwithstanding.
	now = now.Add(5 * time.Minute)
	for range MaxFailures {
		if err := login("000000", "198.51.100.7"); staas.ErrorCode(err) != staas.EUNAUTHORIZED {
			t.Fatalf("wrong code: %v", err)
		}
	}
	if err := login(code(0), "203.0.113.9"); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Fatalf("after %d wrong codes: %v, want the lockout", MaxFailures, err)
	}
}

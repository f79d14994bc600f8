package reseller

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"staas"
	"staas/internal/store"
)

// Resellers is what Auth needs of the store.
type Resellers interface {
	ResellerByEmail(ctx context.Context, email string) (store.Reseller, error)
	UseResellerTOTPStep(ctx context.Context, id int64, secret string, lastStep, step int64) error
}

// Lockout: MaxFailures failed logins for one email, or from one IP, lock
// it for LockFor; failures older than LockFor are forgotten.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
)

// Auth checks resellers' logins.
type Auth struct {
	resellers Resellers
	now       func() time.Time
	dummy     []byte // a hash compared for unknown emails, so they take as long

	mu    sync.Mutex
	fails map[string]*failures // "email:…" and "ip:…"
}

type failures struct {
	n           int
	first       time.Time
	lockedUntil time.Time
}

// NewAuth returns an Auth over the store's resellers.
func NewAuth(resellers Resellers) *Auth {
	dummy, err := bcrypt.GenerateFromPassword([]byte("staas: no reseller has this email"), store.BcryptCost)
	if err != nil {
		panic("reseller: bcrypt: " + err.Error()) // only for a cost out of range
	}
	return &Auth{resellers: resellers, now: time.Now, dummy: dummy, fails: map[string]*failures{}}
}

// errLogin is the one answer for a wrong email or password: which of the
// two was wrong is not told.
func errLogin() error {
	return staas.Errorf(staas.EUNAUTHORIZED, "The email or password is wrong.")
}

// ErrNeedCode answers a right email and password of a reseller with a
// second factor when no code came with them: the login form then asks
// for the code. It is not a failure for the lockout.
var ErrNeedCode = staas.Errorf(staas.EUNAUTHORIZED, "Enter the 6-digit code from your authenticator app.")

// Authenticate checks a reseller's email and password (and, when the
// reseller has enrolled a second factor, the TOTP code), from the client
// address ip. A code is taken within one 30-second step either side of
// now, once: a code whose step is not after the last one accepted is
// refused. A wrong or replayed code counts as a failed login. An unknown email costs the same bcrypt comparison as a
// known one. MaxFailures failures for the email or from ip lock both out
// for LockFor (EFORBIDDEN, with no password checked); a disabled reseller
// is refused (EFORBIDDEN) even with the right password.
func (a *Auth) Authenticate(ctx context.Context, email, password, code, ip string) (store.Reseller, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := []string{"email:" + email, "ip:" + ip}
	if a.locked(keys) {
		return store.Reseller{}, staas.Errorf(staas.EFORBIDDEN, "Too many failed logins: try again in %d minutes.", int(LockFor/time.Minute))
	}
	r, err := a.resellers.ResellerByEmail(ctx, email)
	switch code := staas.ErrorCode(err); code {
	case "":
	case staas.ENOTFOUND, staas.EINVALID:
		// Spend bcrypt's time on a dummy hash so an unknown email takes as
		// long as a wrong password; the answer is known to be no.
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		a.fail(keys)
		return store.Reseller{}, errLogin()
	default:
		return store.Reseller{}, err // the store is away: not the caller's failure
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		a.fail(keys)
		return store.Reseller{}, errLogin()
	}
	if r.State != store.ResellerActive {
		return store.Reseller{}, staas.Errorf(staas.EFORBIDDEN, "This reseller account is disabled.")
	}
	if r.TOTPSecret != "" {
		code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
		if code == "" {
			return store.Reseller{}, ErrNeedCode
		}
		step, ok := matchTOTP(r.TOTPSecret, code, a.now())
		if !ok {
			a.fail(keys)
			return store.Reseller{}, staas.Errorf(staas.EUNAUTHORIZED, "The code is wrong: enter the 6 digits your authenticator app shows now.")
		}
		switch err := a.resellers.UseResellerTOTPStep(ctx, r.ID, r.TOTPSecret, r.TOTPLastStep, step); staas.ErrorCode(err) {
		case "":
		case staas.ECONFLICT:
			a.fail(keys)
			return store.Reseller{}, staas.Errorf(staas.EUNAUTHORIZED, "That code has been used already: wait for the next one.")
		default:
			return store.Reseller{}, err
		}
	}
	a.mu.Lock()
	delete(a.fails, keys[0])
	a.mu.Unlock()
	return r, nil
}

func (a *Auth) locked(keys []string) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		if f := a.fails[k]; f != nil && now.Before(f.lockedUntil) {
			return true
		}
	}
	return false
}

func (a *Auth) fail(keys []string) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, f := range a.fails { // forget what no longer counts
		if now.Sub(f.first) >= LockFor && !now.Before(f.lockedUntil) {
			delete(a.fails, k)
		}
	}
	for _, k := range keys {
		f := a.fails[k]
		if f == nil {
			f = &failures{first: now}
			a.fails[k] = f
		}
		f.n++
		if f.n >= MaxFailures {
			f.lockedUntil = now.Add(LockFor)
			f.n = 0
			f.first = now
		}
	}
}

// Login is Authenticate answering with the reseller's id alone, for the
// portal's handlers.
func (a *Auth) Login(ctx context.Context, email, password, code, ip string) (int64, error) {
	r, err := a.Authenticate(ctx, email, password, code, ip)
	return r.ID, err
}

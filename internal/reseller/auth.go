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

// Lockouts is where Auth counts failed logins by lock key ("email:…",
// "ip:…"). The store keeps them, so every replica behind a load balancer
// counts the same failures; MemoryLockouts serves one process alone.
type Lockouts interface {
	LoginLocked(ctx context.Context, keys []string, now time.Time) (bool, error)
	RecordLoginFailure(ctx context.Context, keys []string, now time.Time, maxFailures int, lockFor time.Duration) error
	ClearLoginFailures(ctx context.Context, key string) error
}

// Auth checks resellers' logins.
type Auth struct {
	resellers Resellers
	lockouts  Lockouts
	now       func() time.Time
	dummy     []byte // a hash compared for unknown emails, so they take as long
}

// NewAuth returns an Auth over the store's resellers, counting failures
// in lockouts (nil: in this process's memory).
func NewAuth(resellers Resellers, lockouts Lockouts) *Auth {
	dummy, err := bcrypt.GenerateFromPassword([]byte("staas: no reseller has this email"), store.BcryptCost)
	if err != nil {
		panic("reseller: bcrypt: " + err.Error()) // only for a cost out of range
	}
	if lockouts == nil {
		lockouts = NewMemoryLockouts()
	}
	return &Auth{resellers: resellers, lockouts: lockouts, now: time.Now, dummy: dummy}
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
	locked, err := a.lockouts.LoginLocked(ctx, keys, a.now())
	if err != nil {
		return store.Reseller{}, err // the store is away: no login without the count
	}
	if locked {
		return store.Reseller{}, staas.Errorf(staas.EFORBIDDEN, "Too many failed logins: try again in %d minutes.", int(LockFor/time.Minute))
	}
	r, err := a.resellers.ResellerByEmail(ctx, email)
	switch code := staas.ErrorCode(err); code {
	case "":
	case staas.ENOTFOUND, staas.EINVALID:
		// Spend bcrypt's time on a dummy hash so an unknown email takes as
		// long as a wrong password; the answer is known to be no.
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		return store.Reseller{}, a.fail(ctx, keys, errLogin())
	default:
		return store.Reseller{}, err // the store is away: not the caller's failure
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		return store.Reseller{}, a.fail(ctx, keys, errLogin())
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
			return store.Reseller{}, a.fail(ctx, keys, staas.Errorf(staas.EUNAUTHORIZED, "The code is wrong: enter the 6 digits your authenticator app shows now."))
		}
		switch err := a.resellers.UseResellerTOTPStep(ctx, r.ID, r.TOTPSecret, r.TOTPLastStep, step); staas.ErrorCode(err) {
		case "":
		case staas.ECONFLICT:
			return store.Reseller{}, a.fail(ctx, keys, staas.Errorf(staas.EUNAUTHORIZED, "That code has been used already: wait for the next one."))
		default:
			return store.Reseller{}, err
		}
	}
	if err := a.lockouts.ClearLoginFailures(ctx, keys[0]); err != nil {
		return store.Reseller{}, err
	}
	return r, nil
}

// fail counts a failed login for keys and answers refusal, or the
// store's error when the failure could not be counted: a login is never
// let through, and an attacker never gets an uncounted try.
func (a *Auth) fail(ctx context.Context, keys []string, refusal error) error {
	if err := a.lockouts.RecordLoginFailure(ctx, keys, a.now(), MaxFailures, LockFor); err != nil {
		return err
	}
	return refusal
}

// MemoryLockouts counts failed logins in one process's memory: for tests
// and a single staas.
type MemoryLockouts struct {
	mu    sync.Mutex
	fails map[string]*failures
}

type failures struct {
	n           int
	first       time.Time
	lockedUntil time.Time
}

// NewMemoryLockouts returns an empty count.
func NewMemoryLockouts() *MemoryLockouts { return &MemoryLockouts{fails: map[string]*failures{}} }

// LoginLocked reports whether any of keys is locked at now.
func (m *MemoryLockouts) LoginLocked(_ context.Context, keys []string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if f := m.fails[k]; f != nil && now.Before(f.lockedUntil) {
			return true, nil
		}
	}
	return false, nil
}

// RecordLoginFailure counts one failure at now for each key, as the
// store's does.
func (m *MemoryLockouts) RecordLoginFailure(_ context.Context, keys []string, now time.Time, maxFailures int, lockFor time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, f := range m.fails { // forget what no longer counts
		if now.Sub(f.first) >= lockFor && !now.Before(f.lockedUntil) {
			delete(m.fails, k)
		}
	}
	for _, k := range keys {
		f := m.fails[k]
		if f == nil {
			f = &failures{first: now}
			m.fails[k] = f
		}
		f.n++
		if f.n >= maxFailures {
			f.lockedUntil = now.Add(lockFor)
			f.n = 0
			f.first = now
		}
	}
	return nil
}

// ClearLoginFailures forgets key's failures.
func (m *MemoryLockouts) ClearLoginFailures(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.fails, key)
	return nil
}

// Login is Authenticate answering with the reseller's id alone, for the
// portal's handlers.
func (a *Auth) Login(ctx context.Context, email, password, code, ip string) (int64, error) {
	r, err := a.Authenticate(ctx, email, password, code, ip)
	return r.ID, err
}

package reseller

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"staas"
	"staas/internal/store"
)

// AccountStore is what Manager needs of the store (*store.Store).
type AccountStore interface {
	Resellers(ctx context.Context) ([]store.Reseller, error)
	ResellerByID(ctx context.Context, id int64) (store.Reseller, error)
	ResellerByEmail(ctx context.Context, email string) (store.Reseller, error)
	AddReseller(ctx context.Context, r store.Reseller, password string) (int64, error)
	AssignReseller(ctx context.Context, id int64, src store.ResellerSource) error
	SetResellerPassword(ctx context.Context, id int64, password string) error
	SetResellerState(ctx context.Context, id int64, state string) error
	SetResellerTOTP(ctx context.Context, id int64, secret string) error
	AddAudit(ctx context.Context, e staas.AuditEntry) (int64, error)
	FinishAudit(ctx context.Context, id int64, result, message string) error
}

// Manager manages resellers: the one service behind both `staas
// reseller …` and the WHMCS addon page, so both check, write and audit
// alike. Every change is audited (before it runs, finished with its
// outcome); input that fails its checks is refused field by field with
// nothing written, not even an audit row.
type Manager struct {
	Store AccountStore
	// Issuer names staas in authenticator apps ("staas" when empty).
	Issuer string
}

// Actor is who manages resellers: a WHMCS admin on the addon page, or the
// operator at the command line (Operator).
type Actor struct {
	AdminID int64
	Name    string
}

// Operator is the command line's actor in the audit log.
var Operator = Actor{Name: "operator (staas reseller)"}

// Account is a reseller as the managers see it: never a hash or a
// second-factor secret.
type Account struct {
	ID        int64
	Name      string
	Email     string
	State     string // store.ResellerActive or store.ResellerDisabled
	Source    string // "group:3", "ids:1,2", "field:Reseller=acme"
	TOTP      bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FieldErrors are a refused form's messages, by field name ("name",
// "email", "source", "password"). Nothing was written.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = f[k]
	}
	return strings.Join(parts, " ")
}

// refuse wraps field errors as EINVALID; errors.As finds the fields.
func refuse(f FieldErrors) error {
	return &staas.Error{Code: staas.EINVALID, Message: f.Error(), Err: f}
}

// AsFieldErrors returns the field errors inside err, if any.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var f FieldErrors
	ok := errors.As(err, &f)
	return f, ok
}

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func checkName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "Give the reseller's name."
	case strings.TrimSpace(name) != name:
		return "The name must not begin or end with a space."
	case utf8.RuneCountInString(name) > 255 || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "The name must be at most 255 printable characters."
	}
	return ""
}

func checkEmail(email string) string {
	if email == "" {
		return "Give the reseller's login email."
	}
	if len(email) > 255 || !emailPattern.MatchString(email) {
		return "The email is not an address."
	}
	return ""
}

// ParseSource reads a source as "group:3", "ids:1,2,3" or
// "field:NAME=VALUE", its error worded for the source field.
func ParseSource(s string) (store.ResellerSource, string) {
	src, err := store.ParseResellerSource(strings.TrimSpace(s))
	if err != nil {
		// The store's words after its "store: reseller source: " prefix,
		// which names the store, not the field.
		why := strings.TrimPrefix(staas.ErrorMessage(err), "store: reseller source: ")
		return src, "The clients must be a client group id (group:3), client ids (ids:1,2,3) or a custom field (field:NAME=VALUE): " + why + "."
	}
	return src, ""
}

// GeneratePassword is a new random password: 18 random bytes, 24
// characters of URL-safe base64.
func GeneratePassword() (string, error) {
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// choosePassword is password when given (and fit), else a generated
// one; generated says which.
func choosePassword(password string) (pw string, generated bool, msg string, err error) {
	if password == "" {
		pw, err = GeneratePassword()
		return pw, true, "", err
	}
	if err := store.CheckPassword(password); err != nil {
		return "", false, "The password must be 12 characters to 72 bytes of UTF-8.", nil
	}
	return password, false, "", nil
}

func account(r store.Reseller) Account {
	return Account{ID: r.ID, Name: r.Name, Email: r.Email, State: r.State, Source: r.Source.String(), TOTP: r.TOTPSecret != "",
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// List returns every reseller, by email.
func (a *Manager) List(ctx context.Context) ([]Account, error) {
	list, err := a.Store.Resellers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, r := range list {
		out[i] = account(r)
	}
	return out, nil
}

// ByEmail finds a reseller by login email (ENOTFOUND when none).
func (a *Manager) ByEmail(ctx context.Context, email string) (Account, error) {
	r, err := a.Store.ResellerByEmail(ctx, email)
	return account(r), err
}

// audited writes the audit row of action, runs do, and finishes the row
// with do's outcome. A row that cannot be written stops the action.
func (a *Manager) audited(ctx context.Context, who Actor, action string, params map[string]string, do func() error) error {
	id, err := a.Store.AddAudit(ctx, staas.AuditEntry{AdminID: who.AdminID, AdminName: who.Name, Actor: staas.AuditActorAdmin,
		Action: action, Params: params, Result: "pending"})
	if err != nil {
		return err
	}
	err = do()
	result, msg := "ok", "done"
	if err != nil {
		result, msg = staas.ErrorCode(err), staas.ErrorMessage(err)
	}
	if ferr := a.Store.FinishAudit(ctx, id, result, msg); ferr != nil && err == nil {
		return ferr
	}
	return err
}

// NewAccount is the add form.
type NewAccount struct {
	Name, Email, Source string
	// Password is the reseller's first password; "" generates one.
	Password string
}

// Added says what Add did. Password is the generated password, to show
// once; "" when the caller gave one.
type Added struct {
	ID       int64
	Email    string
	Source   string
	Password string
}

// Add registers a reseller. Bad fields (and an email in use) are
// FieldErrors, with nothing written.
func (a *Manager) Add(ctx context.Context, who Actor, in NewAccount) (Added, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	fields := FieldErrors{}
	if m := checkName(in.Name); m != "" {
		fields["name"] = m
	}
	if m := checkEmail(in.Email); m != "" {
		fields["email"] = m
	}
	src, m := ParseSource(in.Source)
	if m != "" {
		fields["source"] = m
	}
	pw, generated, m, err := choosePassword(in.Password)
	if err != nil {
		return Added{}, err
	}
	if m != "" {
		fields["password"] = m
	}
	if fields["email"] == "" {
		switch _, err := a.Store.ResellerByEmail(ctx, in.Email); staas.ErrorCode(err) {
		case "":
			fields["email"] = "A reseller with this email is registered already."
		case staas.ENOTFOUND:
		default:
			return Added{}, err
		}
	}
	if len(fields) > 0 {
		return Added{}, refuse(fields)
	}
	var id int64
	err = a.audited(ctx, who, "reseller-add", map[string]string{"name": in.Name, "email": in.Email, "source": src.String()}, func() error {
		var err error
		id, err = a.Store.AddReseller(ctx, store.Reseller{Name: in.Name, Email: in.Email, Source: src}, pw)
		return err
	})
	if staas.ErrorCode(err) == staas.ECONFLICT {
		return Added{}, refuse(FieldErrors{"email": "A reseller with this email is registered already."})
	}
	if err != nil {
		return Added{}, err
	}
	out := Added{ID: id, Email: in.Email, Source: src.String()}
	if generated {
		out.Password = pw
	}
	return out, nil
}

// find reads the reseller of id, for the audit row's email.
func (a *Manager) find(ctx context.Context, id int64) (store.Reseller, error) {
	if id <= 0 {
		return store.Reseller{}, staas.Errorf(staas.ENOTFOUND, "No such reseller.")
	}
	return a.Store.ResellerByID(ctx, id)
}

// Assign replaces how reseller id's clients are found. A bad source is
// FieldErrors{"source"}, with nothing written.
func (a *Manager) Assign(ctx context.Context, who Actor, id int64, source string) (Account, error) {
	src, m := ParseSource(source)
	if m != "" {
		return Account{}, refuse(FieldErrors{"source": m})
	}
	r, err := a.find(ctx, id)
	if err != nil {
		return Account{}, err
	}
	err = a.audited(ctx, who, "reseller-assign", map[string]string{"email": r.Email, "source": src.String()}, func() error {
		return a.Store.AssignReseller(ctx, id, src)
	})
	r.Source = src
	return account(r), err
}

// ResetPassword gives reseller id a new password: password, or a
// generated one returned to show once ("" when password was given).
func (a *Manager) ResetPassword(ctx context.Context, who Actor, id int64, password string) (Account, string, error) {
	pw, generated, m, err := choosePassword(password)
	if err != nil {
		return Account{}, "", err
	}
	if m != "" {
		return Account{}, "", refuse(FieldErrors{"password": m})
	}
	r, err := a.find(ctx, id)
	if err != nil {
		return Account{}, "", err
	}
	err = a.audited(ctx, who, "reseller-reset-password", map[string]string{"email": r.Email, "generated": strconv.FormatBool(generated)}, func() error {
		return a.Store.SetResellerPassword(ctx, id, pw)
	})
	if err != nil || !generated {
		return account(r), "", err
	}
	return account(r), pw, nil
}

// SetState disables (store.ResellerDisabled) or enables
// (store.ResellerActive) reseller id; a disabled reseller's logins are
// refused and its open sessions end at their next page.
func (a *Manager) SetState(ctx context.Context, who Actor, id int64, state string) (Account, error) {
	if state != store.ResellerActive && state != store.ResellerDisabled {
		return Account{}, staas.Errorf(staas.EINVALID, "A reseller is %q or %q.", store.ResellerActive, store.ResellerDisabled)
	}
	r, err := a.find(ctx, id)
	if err != nil {
		return Account{}, err
	}
	action := "reseller-disable"
	if state == store.ResellerActive {
		action = "reseller-enable"
	}
	err = a.audited(ctx, who, action, map[string]string{"email": r.Email}, func() error {
		return a.Store.SetResellerState(ctx, id, state)
	})
	r.State = state
	return account(r), err
}

// Enrolment is a new second factor, to show once: the secret and the
// otpauth URI holding it.
type Enrolment struct {
	Secret string
	URI    string
}

// EnrolTOTP gives reseller id a new TOTP secret (replacing any earlier
// one): from then on its logins need a code.
func (a *Manager) EnrolTOTP(ctx context.Context, who Actor, id int64) (Account, Enrolment, error) {
	r, err := a.find(ctx, id)
	if err != nil {
		return Account{}, Enrolment{}, err
	}
	secret, err := NewTOTPSecret()
	if err != nil {
		return Account{}, Enrolment{}, err
	}
	err = a.audited(ctx, who, "reseller-totp-enrol", map[string]string{"email": r.Email}, func() error {
		return a.Store.SetResellerTOTP(ctx, id, secret)
	})
	if err != nil {
		return Account{}, Enrolment{}, err
	}
	issuer := a.Issuer
	if issuer == "" {
		issuer = "staas"
	}
	r.TOTPSecret = secret
	return account(r), Enrolment{Secret: secret, URI: TOTPURI(issuer, r.Email, secret)}, nil
}

// RemoveTOTP takes reseller id's second factor away (a lost phone).
func (a *Manager) RemoveTOTP(ctx context.Context, who Actor, id int64) (Account, error) {
	r, err := a.find(ctx, id)
	if err != nil {
		return Account{}, err
	}
	err = a.audited(ctx, who, "reseller-totp-remove", map[string]string{"email": r.Email}, func() error {
		return a.Store.SetResellerTOTP(ctx, id, "")
	})
	r.TOTPSecret = ""
	return account(r), err
}

// A reseller's states, for callers that do not name the store.
const (
	StateActive   = store.ResellerActive
	StateDisabled = store.ResellerDisabled
)

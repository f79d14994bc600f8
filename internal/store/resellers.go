package store

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"staas"
)

// Reseller is one row of staas_resellers: someone who sells storage to
// their own customers through the provider's WHMCS, with a read-only view
// of those customers' storage. The password is never kept, only its
// bcrypt hash.
type Reseller struct {
	ID           int64
	Name         string
	Email        string // lower-case; unique
	PasswordHash string // bcrypt
	TOTPSecret   string // base32; "" until a second factor is enrolled
	// TOTPLastStep is the time step of the last code accepted, so that
	// code (and any older one) is refused when offered again; 0 for none.
	TOTPLastStep int64
	State        string // ResellerActive or ResellerDisabled
	Source       ResellerSource
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ResellerSource says how a reseller's clients are found in WHMCS.
type ResellerSource struct {
	Kind  string // SourceGroup, SourceIDs or SourceField
	Value string // a group id; a comma list of client ids; "fieldname=value"
}

// String is the source as the CLI writes it: "group:3", "ids:1,2,3",
// "field:Reseller=acme".
func (s ResellerSource) String() string { return s.Kind + ":" + s.Value }

// States of a reseller, and kinds of source.
const (
	ResellerActive   = "active"
	ResellerDisabled = "disabled"

	SourceGroup = "group"
	SourceIDs   = "ids"
	SourceField = "field"
)

// BcryptCost is the work factor of every reseller password hash.
const BcryptCost = 12

const (
	minPasswordLen = 12 // characters
	maxPasswordLen = 72 // bytes: bcrypt reads no further
	maxSourceLen   = 1024
	maxNameLen     = 255
)

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)

const resellerColumns = `id, name, email, password_hash, totp_secret, state, source_kind, source_value, created_at, updated_at`

// ParseResellerSource reads a source as the CLI writes it ("group:3",
// "ids:1,2,3", "field:Reseller=acme") and checks it. The ids are kept
// sorted and without duplicates.
func ParseResellerSource(s string) (ResellerSource, error) {
	kind, value, ok := strings.Cut(s, ":")
	if !ok {
		return ResellerSource{}, invalid("reseller source", "%q is not group:ID, ids:ID,ID,… or field:NAME=VALUE", truncate(s))
	}
	src := ResellerSource{Kind: kind, Value: value}
	if err := checkResellerSource("reseller source", &src); err != nil {
		return ResellerSource{}, err
	}
	return src, nil
}

// checkResellerSource checks src and writes its value in canonical form.
func checkResellerSource(op string, src *ResellerSource) error {
	if err := checkText(op, "source value", src.Value, 1, maxSourceLen); err != nil {
		return err
	}
	switch src.Kind {
	case SourceGroup:
		id, err := strconv.ParseInt(src.Value, 10, 64)
		if err != nil || id <= 0 {
			return invalid(op, "group source %q is not a positive client group id", truncate(src.Value))
		}
		src.Value = strconv.FormatInt(id, 10)
	case SourceIDs:
		ids, err := ParseClientIDs(src.Value)
		if err != nil {
			return invalid(op, "%v", err)
		}
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = strconv.FormatInt(id, 10)
		}
		src.Value = strings.Join(parts, ",")
	case SourceField:
		name, value, ok := strings.Cut(src.Value, "=")
		if !ok || strings.TrimSpace(name) == "" || value == "" {
			return invalid(op, "field source %q is not NAME=VALUE with both parts given", truncate(src.Value))
		}
		if strings.TrimSpace(name) != name {
			return invalid(op, "field source name %q must not begin or end with a space", truncate(name))
		}
	default:
		return invalid(op, "source kind %q is not %q, %q or %q", truncate(src.Kind), SourceGroup, SourceIDs, SourceField)
	}
	return nil
}

// ParseClientIDs reads an "ids" source value: a comma list of positive
// client ids, returned sorted and without duplicates.
func ParseClientIDs(s string) ([]int64, error) {
	seen := map[int64]bool{}
	var ids []int64
	for part := range strings.SplitSeq(s, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil || id <= 0 {
			return nil, staas.Errorf(staas.EINVALID, "client id %q in %q is not a positive number", truncate(part), truncate(s))
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func normEmail(email string) string { return strings.ToLower(email) }

func checkEmail(op, email string) error {
	if err := checkKey(op, "email", email, maxEmailLen); err != nil {
		return err
	}
	if !emailPattern.MatchString(email) {
		return invalid(op, "email %q is not an address", truncate(email))
	}
	return nil
}

// CheckPassword says whether password is fit to be a reseller's: 12 or
// more characters and at most 72 bytes (bcrypt reads no further).
func CheckPassword(password string) error {
	const op = "reseller password"
	if !utf8.ValidString(password) {
		return invalid(op, "the password is not valid UTF-8")
	}
	if utf8.RuneCountInString(password) < minPasswordLen {
		return invalid(op, "the password must be at least %d characters", minPasswordLen)
	}
	if len(password) > maxPasswordLen {
		return invalid(op, "the password must be at most %d bytes", maxPasswordLen)
	}
	return nil
}

// hashPassword hashes with bcrypt, a kept library's, rather than anything
// written here.
func hashPassword(op, password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", staas.Errorf(staas.EINTERNAL, "store: %s: hashing the password failed", op)
	}
	return string(h), nil
}

// AddReseller registers a reseller with password (hashed here, never
// kept); r.ID, PasswordHash, CreatedAt and UpdatedAt are ignored, an empty
// State is active. It returns the new id; an email in use is ECONFLICT.
func (s *Store) AddReseller(ctx context.Context, r Reseller, password string) (int64, error) {
	const op = "add reseller"
	r.Email = normEmail(r.Email)
	if r.State == "" {
		r.State = ResellerActive
	}
	if err := checkKey(op, "name", r.Name, maxNameLen); err != nil {
		return 0, err
	}
	if err := checkEmail(op, r.Email); err != nil {
		return 0, err
	}
	if r.State != ResellerActive && r.State != ResellerDisabled {
		return 0, invalid(op, "state %q is not %q or %q", truncate(r.State), ResellerActive, ResellerDisabled)
	}
	if err := checkResellerSource(op, &r.Source); err != nil {
		return 0, err
	}
	if r.TOTPSecret != "" {
		if err := checkKey(op, "TOTP secret", r.TOTPSecret, 255); err != nil {
			return 0, err
		}
	}
	hash, err := hashPassword(op, password)
	if err != nil {
		return 0, err
	}
	now := s.dialect.timeArg(storedTime(time.Now()))
	var totp any
	if r.TOTPSecret != "" {
		totp = r.TOTPSecret
	}
	var id int64
	err = s.inTx(ctx, nil, "add the reseller", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO staas_resellers (name, email, password_hash, totp_secret, state, source_kind, source_value, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Name, r.Email, hash, totp, r.State, r.Source.Kind, r.Source.Value, now, now)
		if duplicateKey(err) {
			return staas.Errorf(staas.ECONFLICT, "A reseller with the email %q is registered already.", r.Email)
		}
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

func scanReseller(row interface{ Scan(...any) error }) (Reseller, error) {
	var r Reseller
	var totp sql.NullString
	err := row.Scan(&r.ID, &r.Name, &r.Email, &r.PasswordHash, &totp, &r.State, &r.Source.Kind, &r.Source.Value,
		dbTime{&r.CreatedAt}, dbTime{&r.UpdatedAt})
	r.TOTPSecret, r.TOTPLastStep = splitTOTP(totp.String)
	return r, err
}

// The totp_secret column holds "SECRET" or "SECRET;STEP": the base32
// secret and the time step of the last code accepted. Keeping the step
// in the same column needs no migration, and lets UseResellerTOTPStep
// compare and set both in one UPDATE that any replica can run. Base32
// has no ';'.
func splitTOTP(col string) (secret string, step int64) {
	secret, stepText, ok := strings.Cut(col, ";")
	if ok {
		step, _ = strconv.ParseInt(stepText, 10, 64)
	}
	return secret, step
}

func joinTOTP(secret string, step int64) string {
	if step <= 0 {
		return secret
	}
	return secret + ";" + strconv.FormatInt(step, 10)
}

var base32Secret = regexp.MustCompile(`^[A-Z2-7]{16,128}$`)

// SetResellerTOTP enrols secret (base32, 16 to 128 characters) as the
// reseller's second factor, forgetting any earlier one and its last step;
// "" removes the second factor. ENOTFOUND when there is no reseller of
// id.
func (s *Store) SetResellerTOTP(ctx context.Context, id int64, secret string) error {
	const op = "set reseller TOTP"
	if secret == "" {
		return s.updateReseller(ctx, op, id, `totp_secret = ?`, nil)
	}
	if !base32Secret.MatchString(secret) {
		return invalid(op, "the TOTP secret must be 16 to 128 characters of base32 (A-Z, 2-7)")
	}
	return s.updateReseller(ctx, op, id, `totp_secret = ?`, secret)
}

// UseResellerTOTPStep records that the code of time step step was
// accepted for the reseller whose row had secret and lastStep as read. It
// is one compare-and-set UPDATE: a step not after the last one, or a row
// changed since it was read (another login used a code at the same time,
// the secret was replaced), is ECONFLICT and the code must be refused.
func (s *Store) UseResellerTOTPStep(ctx context.Context, id int64, secret string, lastStep, step int64) error {
	const op = "use reseller TOTP step"
	if id <= 0 || secret == "" {
		return invalid(op, "a reseller id and its TOTP secret are required")
	}
	if step <= lastStep {
		return staas.Errorf(staas.ECONFLICT, "That code has been used already.")
	}
	res, err := s.db.ExecContext(ctx, `UPDATE staas_resellers SET totp_secret = ? WHERE id = ? AND totp_secret = ?`,
		joinTOTP(secret, step), id, joinTOTP(secret, lastStep))
	if err != nil {
		return dbError(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(op, err)
	}
	if n == 0 {
		return staas.Errorf(staas.ECONFLICT, "That code has been used already.")
	}
	return nil
}

// Resellers returns every reseller, by email.
func (s *Store) Resellers(ctx context.Context) ([]Reseller, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+resellerColumns+` FROM staas_resellers ORDER BY email`)
	if err != nil {
		return nil, dbError("list resellers", err)
	}
	defer rows.Close()
	var out []Reseller
	for rows.Next() {
		r, err := scanReseller(rows)
		if err != nil {
			return nil, dbError("list resellers", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list resellers", err)
	}
	return out, nil
}

// ResellerByEmail returns the reseller of email (compared without case);
// ENOTFOUND when there is none.
func (s *Store) ResellerByEmail(ctx context.Context, email string) (Reseller, error) {
	const op = "reseller by email"
	email = normEmail(email)
	if err := checkKey(op, "email", email, maxEmailLen); err != nil {
		return Reseller{}, err
	}
	return s.oneReseller(ctx, op, `email = ?`, email)
}

// ResellerByID returns the reseller of id; ENOTFOUND when there is none.
func (s *Store) ResellerByID(ctx context.Context, id int64) (Reseller, error) {
	const op = "reseller by id"
	if id <= 0 {
		return Reseller{}, invalid(op, "reseller id must be positive (got %d)", id)
	}
	return s.oneReseller(ctx, op, `id = ?`, id)
}

func (s *Store) oneReseller(ctx context.Context, op, where string, arg any) (Reseller, error) {
	r, err := scanReseller(s.db.QueryRowContext(ctx, `SELECT `+resellerColumns+` FROM staas_resellers WHERE `+where, arg))
	if err == sql.ErrNoRows {
		return Reseller{}, staas.Errorf(staas.ENOTFOUND, "No such reseller.")
	}
	if err != nil {
		return Reseller{}, dbError(op, err)
	}
	return r, nil
}

// SetResellerPassword replaces the reseller's password (hashed here);
// ENOTFOUND when there is no reseller of id.
func (s *Store) SetResellerPassword(ctx context.Context, id int64, password string) error {
	const op = "set reseller password"
	hash, err := hashPassword(op, password)
	if err != nil {
		return err
	}
	return s.updateReseller(ctx, op, id, `password_hash = ?`, hash)
}

// SetResellerState makes the reseller active or disabled; ENOTFOUND when
// there is no reseller of id.
func (s *Store) SetResellerState(ctx context.Context, id int64, state string) error {
	const op = "set reseller state"
	if state != ResellerActive && state != ResellerDisabled {
		return invalid(op, "state %q is not %q or %q", truncate(state), ResellerActive, ResellerDisabled)
	}
	return s.updateReseller(ctx, op, id, `state = ?`, state)
}

// AssignReseller replaces how the reseller's clients are found; ENOTFOUND
// when there is no reseller of id.
func (s *Store) AssignReseller(ctx context.Context, id int64, src ResellerSource) error {
	const op = "assign reseller"
	if err := checkResellerSource(op, &src); err != nil {
		return err
	}
	return s.updateReseller(ctx, op, id, `source_kind = ?, source_value = ?`, src.Kind, src.Value)
}

// updateReseller sets (a fixed column list of the callers above) on the
// reseller of id, and its updated_at.
func (s *Store) updateReseller(ctx context.Context, op string, id int64, set string, args ...any) error {
	if id <= 0 {
		return invalid(op, "reseller id must be positive (got %d)", id)
	}
	args = append(args, s.dialect.timeArg(storedTime(time.Now())), id)
	return s.inTx(ctx, nil, op, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_resellers WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return staas.Errorf(staas.ENOTFOUND, "No reseller has the id %d.", id)
		}
		_, err := tx.ExecContext(ctx, `UPDATE staas_resellers SET `+set+`, updated_at = ? WHERE id = ?`, args...)
		return err
	})
}

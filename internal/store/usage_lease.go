package store

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"time"

	"staas"
)

// A lease lets one staas replica at a time do a job (collect usage,
// sample storage). It is a row: its name, its owner and when it expires.
// The owner renews it while working; a replica that dies lets it expire.
// Expiry is judged by the clocks of the replicas, which must agree to well
// within the lease's length (NTP).

var leaseNamePattern = regexp.MustCompile(`^[a-z0-9_.:-]{1,64}$`)

func checkLease(op, name, owner string, ttl time.Duration) error {
	if !leaseNamePattern.MatchString(name) {
		return invalid(op, "lease name %q must be 1 to 64 characters of a-z, 0-9, '_', '.', ':' and '-'", truncate(name))
	}
	if err := checkKey(op, "lease owner", owner, 128); err != nil {
		return err
	}
	if ttl < time.Second {
		return invalid(op, "a lease lasts at least a second (got %s)", ttl)
	}
	return nil
}

// AcquireLease takes the lease name for owner until now+ttl, or renews it
// when owner holds it already. It reports false, with the current owner,
// when another owner holds an unexpired lease.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, string, error) {
	const op = "acquire lease"
	if err := checkLease(op, name, owner, ttl); err != nil {
		return false, "", err
	}
	if err := checkTime(op, "time", now); err != nil {
		return false, "", err
	}
	now = storedTime(now)
	expires := storedTime(now.Add(ttl))
	d := s.dialect
	var got bool
	var holder string
	err := s.inTx(ctx, nil, "take the lease", func(tx *sql.Tx) error {
		// Insert the row if it is missing; a concurrent insert makes
		// this one fail on the key, and the update below decides.
		_, err := tx.ExecContext(ctx, `INSERT INTO staas_leases (name, owner, expires_at, renewals) VALUES (?, ?, ?, 0)`,
			name, owner, d.timeArg(expires))
		if err == nil {
			got, holder = true, owner
			return nil
		}
		if !duplicateKey(err) {
			return err
		}
		// renewals changes on every success, so MySQL's "rows affected"
		// (rows changed, not rows matched) counts it.
		res, err := tx.ExecContext(ctx, `UPDATE staas_leases SET owner = ?, expires_at = ?, renewals = renewals + 1
			WHERE name = ? AND (owner = ? OR expires_at <= ?)`, owner, d.timeArg(expires), name, owner, d.timeArg(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			got, holder = true, owner
			return nil
		}
		return tx.QueryRowContext(ctx, `SELECT owner FROM staas_leases WHERE name = ?`, name).Scan(&holder)
	})
	if err != nil {
		return false, "", err
	}
	return got, holder, nil
}

// ReleaseLease gives the lease up if owner holds it, so that another
// replica need not wait for it to expire.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	const op = "release lease"
	if err := checkLease(op, name, owner, time.Second); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staas_leases WHERE name = ? AND owner = ?`, name, owner); err != nil {
		return dbError("release the lease", err)
	}
	return nil
}

// LeaseHolder returns who holds the lease and until when; ENOTFOUND when
// nobody ever took it or it was released.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	if !leaseNamePattern.MatchString(name) {
		return "", time.Time{}, invalid("read lease", "lease name %q is not valid", truncate(name))
	}
	var owner string
	var expires time.Time
	err := s.db.QueryRowContext(ctx, `SELECT owner, expires_at FROM staas_leases WHERE name = ?`, name).Scan(&owner, dbTime{&expires})
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, staas.Errorf(staas.ENOTFOUND, "store: nobody holds the lease %q", name)
	}
	if err != nil {
		return "", time.Time{}, dbError("read the lease", err)
	}
	return owner, expires, nil
}

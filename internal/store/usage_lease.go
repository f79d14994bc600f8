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
	// The row exists from the first try on, expired and owned by nobody,
	// so that taking the lease is one UPDATE of one row: competitors
	// queue on its lock and each sees the winner's write, where racing
	// INSERTs would deadlock on MySQL's key locks.
	err := s.inTx(ctx, nil, "take the lease", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.ensureLeaseSQL(), name, d.timeArg(minTime))
		return err
	})
	if err != nil {
		return false, "", err
	}
	var got bool
	var holder string
	err = s.inTx(ctx, nil, "take the lease", func(tx *sql.Tx) error {
		// renewals changes on every success, so MySQL's "rows affected"
		// (rows changed, not rows matched) counts a renewal too.
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

func (d *dialect) ensureLeaseSQL() string {
	if d.name == driverMySQL {
		return `INSERT INTO staas_leases (name, owner, expires_at, renewals) VALUES (?, '', ?, 0) ON DUPLICATE KEY UPDATE name = name`
	}
	return `INSERT INTO staas_leases (name, owner, expires_at, renewals) VALUES (?, '', ?, 0) ON CONFLICT (name) DO NOTHING`
}

// ReleaseLease gives the lease up if owner holds it, so that another
// replica need not wait for it to expire.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	const op = "release lease"
	if err := checkLease(op, name, owner, time.Second); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE staas_leases SET owner = '', expires_at = ? WHERE name = ? AND owner = ?`, s.dialect.timeArg(minTime), name, owner); err != nil {
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
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner == "") {
		return "", time.Time{}, staas.Errorf(staas.ENOTFOUND, "store: nobody holds the lease %q", name)
	}
	if err != nil {
		return "", time.Time{}, dbError("read the lease", err)
	}
	return owner, expires, nil
}

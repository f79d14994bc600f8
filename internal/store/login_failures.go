package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Failed logins, counted per lock key ("email:…", "ip:…") in the store so
// that every replica sees the same count and the same lockout.

// maxLockKey bounds a lock key: "email:" and a 254-byte address, or "ip:"
// and an address; anything longer is cut, which only merges keys no real
// login has.
const maxLockKey = 330

// lockKey is k as the column holds it: valid UTF-8 (a login form can send
// any bytes, and MySQL refuses invalid ones, which would turn a wrong
// login into a database error) cut to maxLockKey bytes at a character's
// end.
func lockKey(k string) string {
	k = strings.ToValidUTF8(k, "\uFFFD")
	if len(k) > maxLockKey {
		return strings.ToValidUTF8(k[:maxLockKey], "")
	}
	return k
}

// LoginLocked reports whether any of keys is locked at now.
func (s *Store) LoginLocked(ctx context.Context, keys []string, now time.Time) (bool, error) {
	for _, k := range keys {
		var until time.Time
		err := s.db.QueryRowContext(ctx, `SELECT locked_until FROM staas_login_failures WHERE lock_key = ?`, lockKey(k)).Scan(dbTime{&until})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, dbError("read failed logins", err)
		}
		if now.Before(until) {
			return true, nil
		}
	}
	return false, nil
}

// RecordLoginFailure counts one failed login at now for each of keys.
// maxFailures of them within lockFor lock the key for lockFor, and its
// count starts again; a count older than lockFor, not locked, is
// forgotten first. Rows nobody needs any more are deleted on the way.
func (s *Store) RecordLoginFailure(ctx context.Context, keys []string, now time.Time, maxFailures int, lockFor time.Duration) error {
	now = storedTime(now)
	return s.inTx(ctx, nil, "record a failed login", func(tx *sql.Tx) error {
		for _, k := range keys {
			k = lockKey(k)
			var n int
			var first, until time.Time
			err := tx.QueryRowContext(ctx, `SELECT failures, first_at, locked_until FROM staas_login_failures WHERE lock_key = ?`+s.dialect.forUpdate(), k).
				Scan(&n, dbTime{&first}, dbTime{&until})
			exists := err == nil
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if !exists || now.Sub(first) >= lockFor && !now.Before(until) {
				n, first, until = 0, now, now
			}
			n++
			if n >= maxFailures {
				n, first, until = 0, now, now.Add(lockFor)
			}
			if exists {
				_, err = tx.ExecContext(ctx, `UPDATE staas_login_failures SET failures = ?, first_at = ?, locked_until = ? WHERE lock_key = ?`,
					n, s.dialect.timeArg(first), s.dialect.timeArg(until), k)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO staas_login_failures (lock_key, failures, first_at, locked_until) VALUES (?, ?, ?, ?)`,
					k, n, s.dialect.timeArg(first), s.dialect.timeArg(until))
			}
			if err != nil {
				return err
			}
		}
		stale := s.dialect.timeArg(storedTime(now.Add(-lockFor)))
		_, err := tx.ExecContext(ctx, `DELETE FROM staas_login_failures WHERE first_at < ? AND locked_until < ?`, stale, s.dialect.timeArg(now))
		return err
	})
}

// ClearLoginFailures forgets key's failures (its login succeeded).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staas_login_failures WHERE lock_key = ?`, lockKey(key)); err != nil {
		return dbError("clear failed logins", err)
	}
	return nil
}

package store

import (
	"context"
	"time"

	"staas"
)

// RememberNonce records a shim request's nonce until expires. ECONFLICT
// ("replayed request") when the nonce is already known, expired or not
// yet purged. The nonce is the table's primary key and this is a single
// INSERT, so of several staas replicas sharing one MySQL database exactly
// one accepts a nonce.
func (s *Store) RememberNonce(ctx context.Context, nonce string, expires time.Time) error {
	const op = "remember nonce"
	if err := checkNonce(op, nonce); err != nil {
		return err
	}
	if err := checkTime(op, "expiry", expires); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO staas_nonces (nonce, expires_at) VALUES (?, ?)`,
		nonce, s.dialect.timeArg(storedTime(expires)))
	if duplicateKey(err) {
		return &staas.Error{Code: staas.ECONFLICT, Message: "replayed request", Err: err}
	}
	if err != nil {
		return dbError("remember the nonce", err)
	}
	return nil
}

// PurgeNonces forgets the nonces that expired at or before now and
// returns how many.
func (s *Store) PurgeNonces(ctx context.Context, now time.Time) (int64, error) {
	const op = "purge nonces"
	if err := checkTime(op, "now", now); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM staas_nonces WHERE expires_at <= ?`, s.dialect.timeArg(storedTime(now)))
	if err != nil {
		return 0, dbError("purge the nonces", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("purge the nonces", err)
	}
	return n, nil
}

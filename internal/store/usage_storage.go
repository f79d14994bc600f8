package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
)

// StorageSample is a bucket's size block as ostor-buckets reported it at
// a sampling time. Only Current is documented (bytes stored); HMax,
// HIntegral and LastTS are kept as reported, for the inferred readings
// docs/usage.md describes.
type StorageSample struct {
	UserID    string // the bucket's owner
	Bucket    string
	At        time.Time // when staas sampled, whole seconds
	Epoch     uint64
	Current   uint64 // bytes
	HMax      uint64
	HIntegral uint64
	LastTS    uint64
}

// RecordStorageSamples stores one sampling run of a cluster taken at at:
// every bucket listed, plus a zero sample for each bucket that had bytes
// at its previous sample and is no longer listed (deleted), so that its
// last size is not held forever. A second run at the same second replaces
// the first.
func (s *Store) RecordStorageSamples(ctx context.Context, cluster string, at time.Time, samples []StorageSample) (gone int, err error) {
	const op = "record storage samples"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return 0, err
	}
	if err := checkTime(op, "sampling time", at); err != nil {
		return 0, err
	}
	ts := at.Unix()
	seen := make(map[[2]string]bool, len(samples))
	for i := range samples {
		sm := &samples[i]
		if err := checkKey(op, "user id", sm.UserID, maxUserIDLen); err != nil {
			return 0, err
		}
		if err := checkKey(op, "bucket", sm.Bucket, maxBucketLen); err != nil {
			return 0, err
		}
		seen[[2]string{sm.UserID, sm.Bucket}] = true
	}
	d := s.dialect
	err = s.inTx(ctx, nil, "record storage samples", func(tx *sql.Tx) error {
		gone = 0
		// Buckets whose last sample had bytes and that are gone now.
		zeros, err := goneBuckets(ctx, tx, `SELECT user_id, bucket, current FROM staas_storage_last WHERE cluster = ? AND at < ?`+d.forUpdate(), cluster, ts, seen)
		if err != nil {
			return err
		}
		gone = len(zeros)
		all := slices.Concat(zeros, samples)
		for start := 0; start < len(all); start += usageRowsPerStatement {
			chunk := all[start:min(start+usageRowsPerStatement, len(all))]
			args := make([]any, 0, len(chunk)*9)
			last := make([]any, 0, len(chunk)*5)
			for _, sm := range chunk {
				args = append(args, cluster, sm.UserID, sm.Bucket, ts, d.u64(sm.Epoch), d.u64(sm.Current),
					d.u64(sm.HMax), d.u64(sm.HIntegral), d.u64(sm.LastTS))
				last = append(last, cluster, sm.UserID, sm.Bucket, ts, d.u64(sm.Current))
			}
			if _, err := tx.ExecContext(ctx, d.upsertSamples(len(chunk)), args...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, d.upsertLast(len(chunk)), last...); err != nil {
				return err
			}
		}
		return nil
	})
	return gone, err
}

func rowsOf(n, cols int) string {
	row := "(" + placeholders(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func (d *dialect) upsertSamples(n int) string {
	q := `INSERT INTO staas_storage_samples (cluster, user_id, bucket, at, epoch, current, hmax, h_integral, last_ts) VALUES ` + rowsOf(n, 9)
	if d.name == driverMySQL {
		return q + ` ON DUPLICATE KEY UPDATE epoch = VALUES(epoch), current = VALUES(current), hmax = VALUES(hmax),
			h_integral = VALUES(h_integral), last_ts = VALUES(last_ts)`
	}
	return q + ` ON CONFLICT (cluster, user_id, bucket, at) DO UPDATE SET epoch = excluded.epoch, current = excluded.current,
		hmax = excluded.hmax, h_integral = excluded.h_integral, last_ts = excluded.last_ts`
}

func (d *dialect) upsertLast(n int) string {
	q := `INSERT INTO staas_storage_last (cluster, user_id, bucket, at, current) VALUES ` + rowsOf(n, 5)
	if d.name == driverMySQL {
		return q + ` ON DUPLICATE KEY UPDATE at = VALUES(at), current = VALUES(current)`
	}
	return q + ` ON CONFLICT (cluster, user_id, bucket) DO UPDATE SET at = excluded.at, current = excluded.current`
}

// StorageSamples returns a user's samples taken from from to to, both
// included (a sample at to closes the period's h_integral), and for each
// bucket the last sample before from, which tells the size the bucket had
// when the period began. They are ordered by
// bucket, then time.
func (s *Store) StorageSamples(ctx context.Context, cluster, userID string, from, to time.Time) ([]StorageSample, error) {
	if err := checkKey("read storage samples", "user id", userID, maxUserIDLen); err != nil {
		return nil, err
	}
	// One query, the batched one's (StorageSamplesOfUsers), so the two
	// cannot come to disagree.
	byUser, err := s.StorageSamplesOfUsers(ctx, cluster, []string{userID}, from, to)
	if err != nil {
		return nil, err
	}
	if out := byUser[userID]; out != nil {
		return out, nil
	}
	return []StorageSample{}, nil
}

// LastStorageSampleTime returns when the cluster was last sampled; the
// zero time when never.
func (s *Store) LastStorageSampleTime(ctx context.Context, cluster string) (time.Time, error) {
	if err := checkKey("read storage samples", "cluster", cluster, maxClusterLen); err != nil {
		return time.Time{}, err
	}
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(at) FROM staas_storage_last WHERE cluster = ?`, cluster).Scan(&at); err != nil {
		return time.Time{}, dbError("read the storage samples", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return time.Unix(at.Int64, 0).UTC(), nil
}

// goneBuckets reads, with query, the buckets whose last sample had bytes
// and that are not in seen: each as a zero sample to record. Its rows are
// closed when it returns, before the transaction's next statement.
func goneBuckets(ctx context.Context, tx *sql.Tx, query, cluster string, ts int64, seen map[[2]string]bool) ([]StorageSample, error) {
	rows, err := tx.QueryContext(ctx, query, cluster, ts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var zeros []StorageSample
	for rows.Next() {
		var z StorageSample
		var cur uint64
		if err := rows.Scan(&z.UserID, &z.Bucket, dbU64{&cur}); err != nil {
			return nil, err
		}
		if cur != 0 && !seen[[2]string{z.UserID, z.Bucket}] {
			zeros = append(zeros, z)
		}
	}
	return zeros, rows.Err()
}

// StorageSamplesOfUsers returns what StorageSamples returns for each of
// userIDs (a user without samples is absent), in one query per 500
// users.
func (s *Store) StorageSamplesOfUsers(ctx context.Context, cluster string, userIDs []string, from, to time.Time) (map[string][]StorageSample, error) {
	const op = "read storage samples"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	f, t := from.Unix(), to.Unix()
	out := make(map[string][]StorageSample, len(userIDs))
	for start := 0; start < len(userIDs); start += batchReadIDs {
		chunk := userIDs[start:min(start+batchReadIDs, len(userIDs))]
		ids := make([]any, len(chunk))
		for i, id := range chunk {
			if err := checkKey(op, "user id", id, maxUserIDLen); err != nil {
				return nil, err
			}
			ids[i] = id
		}
		in := placeholders(len(chunk))
		// The outer query names the users too: without them SQLite
		// joined every sample of the cluster against the batch's latest
		// ones, a scan of the whole table per batch.
		args := make([]any, 0, 3*len(chunk)+5)
		args = append(args, cluster)
		args = append(args, ids...)
		args = append(args, f, t, cluster)
		args = append(args, ids...)
		args = append(args, f, cluster)
		args = append(args, ids...)
		err := func() error {
			rows, err := s.db.QueryContext(ctx, `SELECT user_id, bucket, at, epoch, current, hmax, h_integral, last_ts FROM staas_storage_samples
				WHERE cluster = ? AND user_id IN (`+in+`) AND at >= ? AND at <= ?
				UNION ALL
				SELECT s.user_id, s.bucket, s.at, s.epoch, s.current, s.hmax, s.h_integral, s.last_ts FROM staas_storage_samples s
				JOIN (SELECT user_id, bucket, MAX(at) AS at FROM staas_storage_samples WHERE cluster = ? AND user_id IN (`+in+`) AND at < ?
					GROUP BY user_id, bucket) p
				ON s.user_id = p.user_id AND s.bucket = p.bucket AND s.at = p.at
				WHERE s.cluster = ? AND s.user_id IN (`+in+`)
				ORDER BY 1, 2, 3`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var sm StorageSample
				var at int64
				if err := rows.Scan(&sm.UserID, &sm.Bucket, &at, dbU64{&sm.Epoch}, dbU64{&sm.Current}, dbU64{&sm.HMax}, dbU64{&sm.HIntegral}, dbU64{&sm.LastTS}); err != nil {
					return err
				}
				sm.At = time.Unix(at, 0).UTC()
				out[sm.UserID] = append(out[sm.UserID], sm)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, dbError("read the storage samples", err)
		}
	}
	return out, nil
}

package store

// The usage ledger: traffic per (cluster, S3 user, bucket, hour) and the
// names of the statistics objects whose counters it holds. The SQL lives
// here, with the rest of staas's SQL, so that it runs through the same
// dialects and the same two-backend test suite; internal/usage decides
// what to collect and when.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"staas"
)

// ErrOverflow is wrapped by the error of any sum of counters that would
// exceed 2^64−1. The store never wraps around and never saturates: the sum
// is refused and nothing is written.
var ErrOverflow = errors.New("a usage counter would exceed 2^64-1")

// UsageCounters are the traffic counters of one ledger cell.
type UsageCounters struct {
	Put, Get, List, Other uint64 // operations
	Uploaded, Downloaded  uint64 // bytes received and sent by the gateway
}

// Add adds o to c. On overflow it returns an error wrapping ErrOverflow
// and leaves c unchanged.
func (c *UsageCounters) Add(o UsageCounters) error {
	var sum UsageCounters
	var carry, any uint64
	sum.Put, carry = bits.Add64(c.Put, o.Put, 0)
	any |= carry
	sum.Get, carry = bits.Add64(c.Get, o.Get, 0)
	any |= carry
	sum.List, carry = bits.Add64(c.List, o.List, 0)
	any |= carry
	sum.Other, carry = bits.Add64(c.Other, o.Other, 0)
	any |= carry
	sum.Uploaded, carry = bits.Add64(c.Uploaded, o.Uploaded, 0)
	any |= carry
	sum.Downloaded, carry = bits.Add64(c.Downloaded, o.Downloaded, 0)
	any |= carry
	if any != 0 {
		return ErrOverflow
	}
	*c = sum
	return nil
}

// IsZero reports whether every counter is zero.
func (c UsageCounters) IsZero() bool { return c == UsageCounters{} }

// UsageCell says whose traffic a ledger row holds: an S3 user, a bucket
// ("" for user-level operations such as listing buckets) and an hour.
type UsageCell struct {
	UserID string
	Bucket string
	Hour   int64 // hours since the Unix epoch, UTC
}

// Time is the start of the cell's hour.
func (c UsageCell) Time() time.Time { return time.Unix(c.Hour*3600, 0).UTC() }

// UsageRow is one row of the ledger.
type UsageRow struct {
	UsageCell
	UsageCounters
}

// UsageObjectRecord describes a collected statistics object.
type UsageObjectRecord struct {
	Name         string
	ServiceID    string // every digit, as the gateway sent it
	StartTS      uint64
	Period       uint64
	Items        uint64 // items counted
	UnknownItems uint64 // of which staas knows no client for the user
	CollectedAt  time.Time
}

const (
	maxUsageNameLen = 255
	maxBucketLen    = 255
	maxServiceIDLen = 64
	// usageRowsPerStatement bounds a multi-row statement: 10 values a row
	// stays far below SQLite's 32766 and MySQL's 65535 placeholders.
	usageRowsPerStatement = 500
)

// ledgerColumns are the counter columns, in UsageCounters order.
const ledgerColumns = `ops_put, ops_get, ops_list, ops_other, bytes_uploaded, bytes_downloaded`

// u64 binds a uint64: MySQL's BIGINT UNSIGNED takes it as it is; SQLite's
// signed INTEGER keeps its bits.
func (d *dialect) u64(v uint64) any {
	if d.name == driverSQLite {
		return int64(v)
	}
	return v
}

// dbU64 scans a counter column of either backend: SQLite's int64 bits, or
// MySQL's unsigned value in whatever form the driver hands it.
type dbU64 struct{ v *uint64 }

func (d dbU64) Scan(src any) error {
	switch x := src.(type) {
	case int64:
		*d.v = uint64(x)
	case uint64:
		*d.v = x
	case []byte:
		return d.parse(string(x))
	case string:
		return d.parse(x)
	default:
		return fmt.Errorf("store: unexpected counter value %T", src)
	}
	return nil
}

func (d dbU64) parse(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("store: counter %q: %w", s, err)
	}
	*d.v = v
	return nil
}

func (c *UsageCounters) scanDest() []any {
	return []any{dbU64{&c.Put}, dbU64{&c.Get}, dbU64{&c.List}, dbU64{&c.Other}, dbU64{&c.Uploaded}, dbU64{&c.Downloaded}}
}

func checkUsageCell(op, cluster string, c UsageCell) error {
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return err
	}
	if err := checkKey(op, "user id", c.UserID, maxUserIDLen); err != nil {
		return err
	}
	if c.Bucket != "" {
		if err := checkKey(op, "bucket", c.Bucket, maxBucketLen); err != nil {
			return err
		}
	}
	if c.Hour < 0 || c.Hour > maxTime.Unix()/3600 {
		return invalid(op, "hour %d is outside 1970..%d", c.Hour, maxTime.Year()-1)
	}
	return nil
}

// UsageObjectCollected reports whether a cluster's statistics object's
// counters are in the ledger already. Names are the cluster's own: two
// clusters may both have an object of that name.
func (s *Store) UsageObjectCollected(ctx context.Context, cluster, name string) (bool, error) {
	if err := checkObjectKey(cluster, name); err != nil {
		return false, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_usage_objects WHERE cluster = ? AND name = ?`, cluster, name).Scan(&n); err != nil {
		return false, dbError("read the collected usage objects", err)
	}
	return n > 0, nil
}

// checkObjectKey checks the key of a collected object: its cluster and name.
func checkObjectKey(cluster, name string) error {
	const op = "read usage object"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return err
	}
	return checkKey(op, "object name", name, maxUsageNameLen)
}

// UsageObject returns the record of a cluster's collected object;
// ENOTFOUND when it has not been collected.
func (s *Store) UsageObject(ctx context.Context, cluster, name string) (*UsageObjectRecord, error) {
	if err := checkObjectKey(cluster, name); err != nil {
		return nil, err
	}
	var r UsageObjectRecord
	err := s.db.QueryRowContext(ctx, `SELECT name, service_id, start_ts, period, items, unknown_items, collected_at
		FROM staas_usage_objects WHERE cluster = ? AND name = ?`, cluster, name).Scan(&r.Name, &r.ServiceID, dbU64{&r.StartTS}, dbU64{&r.Period},
		dbU64{&r.Items}, dbU64{&r.UnknownItems}, dbTime{&r.CollectedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, staas.Errorf(staas.ENOTFOUND, "store: usage object %q has not been collected", truncate(name))
	}
	if err != nil {
		return nil, dbError("read the usage object", err)
	}
	return &r, nil
}

// S3UserIDs returns the set of S3 user ids on a cluster that belong to a
// WHMCS client, for telling the collector which users staas knows.
func (s *Store) S3UserIDs(ctx context.Context, cluster string) (map[string]bool, error) {
	if err := checkKey("list S3 user ids", "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT user_id FROM staas_s3_users WHERE cluster = ?`, cluster)
	if err != nil {
		return nil, dbError("list the S3 user ids", err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbError("list the S3 user ids", err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list the S3 user ids", err)
	}
	return ids, nil
}

// UsageObjectTx adds the counters of one or more statistics objects to the
// ledger in a single transaction that also records the objects' names, so
// that each object counts once or not at all. It is used by one goroutine.
type UsageObjectTx struct {
	s       *Store
	tx      *sql.Tx
	cluster string
	name    string // the one object of BeginUsageObject; "" for BeginUsageObjects
	done    bool
	// Statements for full chunks, prepared once per transaction (MySQL's
	// driver would otherwise prepare, execute and close each: three round
	// trips; SQLite would parse each 500-row statement again).
	readFull, upsertFull *sql.Stmt
}

// BeginUsageObject starts the transaction of one object. The caller must
// end it with Commit or Rollback. While it is open on SQLite it holds the
// database's only connection: use the transaction, not the Store.
func (s *Store) BeginUsageObject(ctx context.Context, cluster, name string) (*UsageObjectTx, error) {
	const op = "collect usage object"
	if err := checkKey(op, "object name", name, maxUsageNameLen); err != nil {
		return nil, err
	}
	t, err := s.BeginUsageObjects(ctx, cluster)
	if err != nil {
		return nil, err
	}
	t.name = name
	return t, nil
}

// BeginUsageObjects starts a transaction for several objects, whose names
// CommitObjects records. The caller must end it with CommitObjects or
// Rollback. While it is open on SQLite it holds the database's only
// connection: use the transaction, not the Store.
func (s *Store) BeginUsageObjects(ctx context.Context, cluster string) (*UsageObjectTx, error) {
	const op = "collect usage object"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbError("begin collecting a usage object", err)
	}
	return &UsageObjectTx{s: s, tx: tx, cluster: cluster}, nil
}

// Add adds counters to their ledger cells: it reads the cells (locking
// them on MySQL), adds in Go, refusing any overflow with an error wrapping
// ErrOverflow, and writes the sums back with multi-row upserts. A
// failed Add leaves the transaction fit only for Rollback.
func (t *UsageObjectTx) Add(ctx context.Context, add map[UsageCell]UsageCounters) error {
	const op = "collect usage object"
	if t.done {
		return staas.Errorf(staas.EINTERNAL, "store: %s: the transaction has ended", op)
	}
	if len(add) == 0 {
		return nil
	}
	cells := make([]UsageCell, 0, len(add))
	for c := range add {
		if err := checkUsageCell(op, t.cluster, c); err != nil {
			return err
		}
		cells = append(cells, c)
	}
	// A fixed order, so that two writers lock rows in the same order.
	slices.SortFunc(cells, func(a, b UsageCell) int {
		return cmp.Or(cmp.Compare(a.Hour, b.Hour), strings.Compare(a.UserID, b.UserID), strings.Compare(a.Bucket, b.Bucket))
	})
	w := chunkWork{
		sums:  make([]UsageCounters, 0, usageRowsPerStatement),
		index: make(map[UsageCell]int, usageRowsPerStatement),
		args:  make([]any, 0, usageRowsPerStatement*10),
	}
	for start := 0; start < len(cells); start += usageRowsPerStatement {
		chunk := cells[start:min(start+usageRowsPerStatement, len(cells))]
		if err := t.addChunk(ctx, chunk, add, &w); err != nil {
			return err
		}
	}
	return nil
}

// chunkWork is the scratch space of addChunk, reused across chunks.
type chunkWork struct {
	sums  []UsageCounters
	index map[UsageCell]int
	args  []any
	dest  [8]any
}

// usageRead reads what the ledger holds for one hour's users (n of them).
func (d *dialect) usageRead(n int) string {
	return `SELECT user_id, bucket, ` + ledgerColumns + ` FROM staas_usage_ledger
		WHERE cluster = ? AND hour_ts = ? AND user_id IN (` + placeholders(n) + `)` + d.forUpdate()
}

func (t *UsageObjectTx) stmt(ctx context.Context, p **sql.Stmt, q string) (*sql.Stmt, error) {
	if *p == nil {
		st, err := t.tx.PrepareContext(ctx, q) //nolint:sqlclosecheck // a Tx closes its statements when it ends; this one serves the whole transaction
		if err != nil {
			return nil, err
		}
		*p = st
	}
	return *p, nil
}

func (t *UsageObjectTx) addChunk(ctx context.Context, cells []UsageCell, add map[UsageCell]UsageCounters, w *chunkWork) error {
	d := t.s.dialect
	w.sums = w.sums[:0]
	clear(w.index)
	for i, c := range cells {
		w.sums = append(w.sums, add[c])
		w.index[c] = i
	}
	if d.name == driverMySQL {
		return t.addChunkMySQL(ctx, cells, w)
	}
	if err := t.readChunk(ctx, cells, w); err != nil {
		return err
	}
	return t.writeChunk(ctx, cells, w)
}

// addChunkMySQL adds in the database: one multi-row upsert whose update
// adds to the stored counters, without reading them first. The read
// (SELECT … FOR UPDATE, then the upsert) was half the round trips and
// most of InnoDB's work on the sparse shape, where every cell is its own
// row. A sum past 2^64−1 fails the statement as a whole (MariaDB refuses
// BIGINT UNSIGNED overflow, error 1690, whatever the sql_mode) and
// changes nothing; the chunk is then read as the other dialect reads it
// to name the cell, and the caller rolls the transaction back.
func (t *UsageObjectTx) addChunkMySQL(ctx context.Context, cells []UsageCell, w *chunkWork) error {
	err := t.writeChunk(ctx, cells, w)
	var myErr *mysql.MySQLError
	if err == nil || !errors.As(err, &myErr) || myErr.Number != erDataOutOfRange {
		return err
	}
	if rerr := t.readChunk(ctx, cells, w); rerr != nil {
		return rerr
	}
	return &staas.Error{Code: staas.EINVALID, Err: errors.Join(ErrOverflow, err),
		Message: "store: a usage ledger counter would exceed 2^64-1: refused"}
}

// readChunk adds what the ledger holds for cells to w.sums, refusing an
// overflow.
func (t *UsageObjectTx) readChunk(ctx context.Context, cells []UsageCell, w *chunkWork) error {
	d := t.s.dialect
	// Read what the ledger holds for these cells, one query per hour
	// (cells are sorted by hour, so a chunk has one or two hours). A
	// chunk's users are distinct per hour and sorted; the list is padded
	// with its last user to the full size so that one prepared statement
	// serves every read.
	for lo := 0; lo < len(cells); {
		hi := lo
		for hi < len(cells) && cells[hi].Hour == cells[lo].Hour {
			hi++
		}
		w.args = append(w.args[:0], t.cluster, cells[lo].Hour)
		last := ""
		for _, c := range cells[lo:hi] {
			if len(w.args) == 2 || c.UserID != last {
				w.args = append(w.args, c.UserID)
				last = c.UserID
			}
		}
		var st *sql.Stmt
		var err error
		if len(w.args)-2 > usageRowsPerStatement/4 {
			for len(w.args)-2 < usageRowsPerStatement {
				w.args = append(w.args, last)
			}
			st, err = t.stmt(ctx, &t.readFull, d.usageRead(usageRowsPerStatement))
		} else {
			st, err = t.tx.PrepareContext(ctx, d.usageRead(len(w.args)-2))
			if st != nil {
				defer st.Close()
			}
		}
		if err != nil {
			return dbError("read the usage ledger", err)
		}
		if err := t.readCells(ctx, st, w, cells[lo].Hour); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// writeChunk writes w.sums to cells' rows: on SQLite replacing what they
// hold (the sums include it), on MySQL adding to it.
func (t *UsageObjectTx) writeChunk(ctx context.Context, cells []UsageCell, w *chunkWork) error {
	d := t.s.dialect
	w.args = w.args[:0]
	for i, c := range cells {
		s := w.sums[i]
		w.args = append(w.args, t.cluster, c.Hour, c.UserID, c.Bucket,
			d.u64(s.Put), d.u64(s.Get), d.u64(s.List), d.u64(s.Other), d.u64(s.Uploaded), d.u64(s.Downloaded))
	}
	var err error
	if len(cells) == usageRowsPerStatement {
		var st *sql.Stmt
		if st, err = t.stmt(ctx, &t.upsertFull, d.upsertLedger(usageRowsPerStatement)); err == nil { //nolint:sqlclosecheck // closed with the transaction (stmt)
			_, err = st.ExecContext(ctx, w.args...)
		}
	} else {
		_, err = t.tx.ExecContext(ctx, d.upsertLedger(len(cells)), w.args...)
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == erDataOutOfRange {
		return err // addChunkMySQL names it
	}
	if err != nil {
		return dbError("write the usage ledger", err)
	}
	return nil
}

func (t *UsageObjectTx) readCells(ctx context.Context, st *sql.Stmt, w *chunkWork, hour int64) error {
	rows, err := st.QueryContext(ctx, w.args...)
	if err != nil {
		return dbError("read the usage ledger", err)
	}
	defer rows.Close()
	var c UsageCell
	var have UsageCounters
	c.Hour = hour
	dest := append(w.dest[:0], &c.UserID, &c.Bucket)
	dest = append(dest, have.scanDest()...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return dbError("read the usage ledger", err)
		}
		i, ok := w.index[c]
		if !ok {
			continue // another bucket of the same user
		}
		if err := w.sums[i].Add(have); err != nil {
			return &staas.Error{Code: staas.EINVALID, Err: err, Message: fmt.Sprintf(
				"store: the ledger of user %s, bucket %q, hour %s would exceed 2^64-1: refused",
				truncate(c.UserID), truncate(c.Bucket), c.Time().Format(time.RFC3339))}
		}
	}
	if err := rows.Err(); err != nil {
		return dbError("read the usage ledger", err)
	}
	return nil
}

// Commit records the object of BeginUsageObject and commits its counters
// with it. An object recorded already (by another collector that got there
// first) makes the transaction roll back and Commit return ECONFLICT:
// nothing counted twice.
func (t *UsageObjectTx) Commit(ctx context.Context, rec UsageObjectRecord) error {
	const op = "collect usage object"
	if !t.done && rec.Name != t.name {
		t.done = true
		t.tx.Rollback()
		return invalid(op, "record of %q in the transaction of %q", truncate(rec.Name), truncate(t.name))
	}
	return t.CommitObjects(ctx, []UsageObjectRecord{rec})
}

// CommitObjects records the objects whose counters the transaction holds
// and commits them all at once. If any of them was recorded already (by
// another collector that got there first) the whole transaction rolls
// back and CommitObjects returns ECONFLICT: nothing counted twice.
func (t *UsageObjectTx) CommitObjects(ctx context.Context, recs []UsageObjectRecord) error {
	const op = "collect usage object"
	if t.done {
		return staas.Errorf(staas.EINTERNAL, "store: %s: the transaction has ended", op)
	}
	t.done = true
	fail := func(err error) error {
		t.tx.Rollback()
		return err
	}
	if len(recs) == 0 {
		return fail(invalid(op, "no object to record"))
	}
	d := t.s.dialect
	now := time.Now()
	const cols = 8
	for start := 0; start < len(recs); start += usageRowsPerStatement {
		chunk := recs[start:min(start+usageRowsPerStatement, len(recs))]
		args := make([]any, 0, len(chunk)*cols)
		for _, rec := range chunk {
			if err := checkKey(op, "object name", rec.Name, maxUsageNameLen); err != nil {
				return fail(err)
			}
			if t.name != "" && rec.Name != t.name {
				return fail(invalid(op, "record of %q in the transaction of %q", truncate(rec.Name), truncate(t.name)))
			}
			if err := checkText(op, "service id", rec.ServiceID, 0, maxServiceIDLen); err != nil {
				return fail(err)
			}
			at := rec.CollectedAt
			if at.IsZero() {
				at = now
			}
			args = append(args, rec.Name, t.cluster, rec.ServiceID, d.u64(rec.StartTS), d.u64(rec.Period),
				d.u64(rec.Items), d.u64(rec.UnknownItems), d.timeArg(storedTime(at)))
		}
		q := `INSERT INTO staas_usage_objects (name, cluster, service_id, start_ts, period, items, unknown_items, collected_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
			t.tx.Rollback()
			if duplicateKey(err) {
				if len(recs) == 1 {
					return staas.Errorf(staas.ECONFLICT, "store: usage object %q was collected already", truncate(recs[0].Name))
				}
				return staas.Errorf(staas.ECONFLICT, "store: one of %d usage objects from %q was collected already", len(recs), truncate(recs[0].Name))
			}
			return dbError("record the usage object", err)
		}
	}
	if err := t.tx.Commit(); err != nil {
		return dbError("commit the usage object", err)
	}
	return nil
}

// Rollback abandons the object: nothing of it is written. It is safe to
// call after Commit (it does nothing then).
func (t *UsageObjectTx) Rollback() {
	if t.done {
		return
	}
	t.done = true
	t.tx.Rollback()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (d *dialect) forUpdate() string {
	if d.name == driverMySQL {
		return ` FOR UPDATE`
	}
	return "" // BEGIN IMMEDIATE holds the write lock already
}

func (d *dialect) upsertLedger(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO staas_usage_ledger (cluster, hour_ts, user_id, bucket, ` + ledgerColumns + `) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	// MySQL adds to what a row holds (addChunkMySQL); SQLite's rows get
	// the sums Go computed, as SQLite's signed integers cannot add two
	// unsigned counters and tell an overflow.
	switch {
	case d.name == driverMySQL:
		b.WriteString(` ON DUPLICATE KEY UPDATE ops_put = ops_put + VALUES(ops_put), ops_get = ops_get + VALUES(ops_get),
			ops_list = ops_list + VALUES(ops_list), ops_other = ops_other + VALUES(ops_other),
			bytes_uploaded = bytes_uploaded + VALUES(bytes_uploaded), bytes_downloaded = bytes_downloaded + VALUES(bytes_downloaded)`)
	default:
		b.WriteString(` ON CONFLICT (cluster, hour_ts, user_id, bucket) DO UPDATE SET ops_put = excluded.ops_put,
			ops_get = excluded.ops_get, ops_list = excluded.ops_list, ops_other = excluded.ops_other,
			bytes_uploaded = excluded.bytes_uploaded, bytes_downloaded = excluded.bytes_downloaded`)
	}
	return b.String()
}

// UsageRows returns a user's ledger rows of the hours from..to-1, ordered
// by hour and bucket.
func (s *Store) UsageRows(ctx context.Context, cluster, userID string, from, to int64) ([]UsageRow, error) {
	const op = "read usage"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	if err := checkKey(op, "user id", userID, maxUserIDLen); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT hour_ts, bucket, `+ledgerColumns+` FROM staas_usage_ledger
		WHERE cluster = ? AND user_id = ? AND hour_ts >= ? AND hour_ts < ? ORDER BY hour_ts, bucket`, cluster, userID, from, to)
	if err != nil {
		return nil, dbError("read the usage ledger", err)
	}
	defer rows.Close()
	out := []UsageRow{}
	for rows.Next() {
		r := UsageRow{UsageCell: UsageCell{UserID: userID}}
		if err := rows.Scan(append([]any{&r.Hour, &r.Bucket}, r.scanDest()...)...); err != nil {
			return nil, dbError("read the usage ledger", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("read the usage ledger", err)
	}
	return out, nil
}

// EachUsageRow calls fn with every ledger row of a cluster, by hour, user
// and bucket: for reconciliation and tests. An error from fn stops it.
func (s *Store) EachUsageRow(ctx context.Context, cluster string, fn func(UsageRow) error) error {
	if err := checkKey("read usage", "cluster", cluster, maxClusterLen); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT hour_ts, user_id, bucket, `+ledgerColumns+` FROM staas_usage_ledger
		WHERE cluster = ? ORDER BY hour_ts, user_id, bucket`, cluster)
	if err != nil {
		return dbError("read the usage ledger", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r UsageRow
		if err := rows.Scan(append([]any{&r.Hour, &r.UserID, &r.Bucket}, r.scanDest()...)...); err != nil {
			return dbError("read the usage ledger", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return dbError("read the usage ledger", err)
	}
	return nil
}

// UnmappedUsageUsers lists the user ids with traffic in the hours
// from..to-1 that no WHMCS client is mapped to: usage staas keeps but
// cannot bill until someone maps the user.
func (s *Store) UnmappedUsageUsers(ctx context.Context, cluster string, from, to int64) ([]string, error) {
	if err := checkKey("read usage", "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT l.user_id FROM staas_usage_ledger l
		WHERE l.cluster = ? AND l.hour_ts >= ? AND l.hour_ts < ?
		AND NOT EXISTS (SELECT 1 FROM staas_s3_users u WHERE u.cluster = l.cluster AND u.user_id = l.user_id)
		ORDER BY l.user_id`, cluster, from, to)
	if err != nil {
		return nil, dbError("list the unmapped usage users", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbError("list the unmapped usage users", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list the unmapped usage users", err)
	}
	return out, nil
}

// batchReadIDs is how many ids one batched read names in its IN list.
const batchReadIDs = 500

// UsageRowsOfUsers returns what UsageRows returns for each of userIDs
// (a user without rows is absent), in one query per 500 users: the usage
// update reads a whole server's services.
func (s *Store) UsageRowsOfUsers(ctx context.Context, cluster string, userIDs []string, from, to int64) (map[string][]UsageRow, error) {
	const op = "read usage"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	out := make(map[string][]UsageRow, len(userIDs))
	for start := 0; start < len(userIDs); start += batchReadIDs {
		chunk := userIDs[start:min(start+batchReadIDs, len(userIDs))]
		args := make([]any, 0, len(chunk)+3)
		args = append(args, cluster)
		for _, id := range chunk {
			if err := checkKey(op, "user id", id, maxUserIDLen); err != nil {
				return nil, err
			}
			args = append(args, id)
		}
		args = append(args, from, to)
		err := func() error {
			// +hour_ts: the hours are no index key here. Offered the
			// primary key (cluster, hour_ts, …) for a month, SQLite chose
			// it and read every user's rows of the month for each batch.
			rows, err := s.db.QueryContext(ctx, `SELECT user_id, hour_ts, bucket, `+ledgerColumns+` FROM staas_usage_ledger
				WHERE cluster = ? AND user_id IN (`+placeholders(len(chunk))+`) AND +hour_ts >= ? AND +hour_ts < ?
				ORDER BY user_id, hour_ts, bucket`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r UsageRow
				if err := rows.Scan(append([]any{&r.UserID, &r.Hour, &r.Bucket}, r.scanDest()...)...); err != nil {
					return err
				}
				out[r.UserID] = append(out[r.UserID], r)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, dbError("read the usage ledger", err)
		}
	}
	return out, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"staas"
)

const s3UserColumns = `client_id, service_id, cluster, user_id, email, created_at, updated_at, orphaned_at`

// SaveS3User records which S3 user belongs to a client (ServiceID 0) or to
// one of its services, inserting the mapping or updating its cluster, user
// id, email and UpdatedAt. An update keeps the stored CreatedAt. Zero
// CreatedAt and UpdatedAt mean now. OrphanedAt is not written: only
// MarkOrphaned sets it, so saving an orphan again keeps it one.
func (s *Store) SaveS3User(ctx context.Context, u staas.S3User) error {
	const op = "save S3 user"
	if err := checkS3User(op, u); err != nil {
		return err
	}
	now := storedTime(time.Now())
	created, updated := now, now
	if !u.CreatedAt.IsZero() {
		created = storedTime(u.CreatedAt)
	}
	if !u.UpdatedAt.IsZero() {
		updated = storedTime(u.UpdatedAt)
	}
	_, err := s.db.ExecContext(ctx, s.dialect.upsertS3User,
		u.ClientID, u.ServiceID, u.Cluster, u.UserID, u.Email,
		s.dialect.timeArg(created), s.dialect.timeArg(updated))
	if err != nil {
		return dbError("save the S3 user", err)
	}
	return nil
}

// S3User returns the S3 user of a client (serviceID 0) or of one of its
// services; ENOTFOUND when there is none.
func (s *Store) S3User(ctx context.Context, clientID, serviceID int64) (*staas.S3User, error) {
	const op = "read S3 user"
	if err := checkS3UserKey(op, clientID, serviceID); err != nil {
		return nil, err
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+s3UserColumns+` FROM staas_s3_users WHERE client_id = ? AND service_id = ?`,
		clientID, serviceID)
	u, err := scanS3User(row)
	if errors.Is(err, sql.ErrNoRows) {
		if serviceID == 0 {
			return nil, staas.Errorf(staas.ENOTFOUND, "store: client %d has no S3 user", clientID)
		}
		return nil, staas.Errorf(staas.ENOTFOUND, "store: service %d of client %d has no S3 user", serviceID, clientID)
	}
	if err != nil {
		return nil, dbError("read the S3 user", err)
	}
	return u, nil
}

// S3UserByUserID returns the mapping of an ostor user id on a cluster;
// ENOTFOUND when staas has none. Ids are compared exactly, case included.
// Should several mappings name the same user, the one of the lowest
// client and service id is returned.
func (s *Store) S3UserByUserID(ctx context.Context, cluster, userID string) (*staas.S3User, error) {
	const op = "read S3 user"
	if err := checkKey(op, "cluster", cluster, maxClusterLen); err != nil {
		return nil, err
	}
	if err := checkKey(op, "user id", userID, maxUserIDLen); err != nil {
		return nil, err
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+s3UserColumns+` FROM staas_s3_users WHERE cluster = ? AND user_id = ?
		ORDER BY client_id, service_id LIMIT 1`, cluster, userID)
	u, err := scanS3User(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, staas.Errorf(staas.ENOTFOUND, "store: no client has S3 user %q on cluster %q", truncate(userID), truncate(cluster))
	}
	if err != nil {
		return nil, dbError("read the S3 user", err)
	}
	return u, nil
}

// S3UsersOfClient returns every S3 user of a client, the client-level one
// first, then by service id; an empty slice when there are none.
func (s *Store) S3UsersOfClient(ctx context.Context, clientID int64) ([]staas.S3User, error) {
	const op = "list S3 users"
	if clientID <= 0 {
		return nil, invalid(op, "client id must be positive (got %d)", clientID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+s3UserColumns+` FROM staas_s3_users WHERE client_id = ? ORDER BY service_id`, clientID)
	if err != nil {
		return nil, dbError("list the S3 users", err)
	}
	defer rows.Close()
	users := []staas.S3User{}
	for rows.Next() {
		u, err := scanS3User(rows)
		if err != nil {
			return nil, dbError("list the S3 users", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list the S3 users", err)
	}
	return users, nil
}

// DeleteS3User forgets the S3 user of a client or service. Forgetting one
// that is not there is not an error.
func (s *Store) DeleteS3User(ctx context.Context, clientID, serviceID int64) error {
	const op = "delete S3 user"
	if err := checkS3UserKey(op, clientID, serviceID); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staas_s3_users WHERE client_id = ? AND service_id = ?`, clientID, serviceID); err != nil {
		return dbError("delete the S3 user", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanS3User(row scanner) (*staas.S3User, error) {
	var u staas.S3User
	err := row.Scan(&u.ClientID, &u.ServiceID, &u.Cluster, &u.UserID, &u.Email,
		dbTime{&u.CreatedAt}, dbTime{&u.UpdatedAt}, nullTime{&u.OrphanedAt})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// S3UserByService returns the S3 user of a WHMCS service, whichever client
// it is mapped to (WHMCS can move a service to another client); ENOTFOUND
// when the service has none. Should two clients' rows name the service,
// the lowest client id's is returned.
func (s *Store) S3UserByService(ctx context.Context, serviceID int64) (*staas.S3User, error) {
	const op = "read S3 user"
	if serviceID <= 0 {
		return nil, invalid(op, "service id must be positive (got %d)", serviceID)
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+s3UserColumns+` FROM staas_s3_users WHERE service_id = ?
		ORDER BY client_id LIMIT 1`, serviceID)
	u, err := scanS3User(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, staas.Errorf(staas.ENOTFOUND, "store: service %d has no S3 user", serviceID)
	}
	if err != nil {
		return nil, dbError("read the S3 user", err)
	}
	return u, nil
}

// MoveService gives a service's S3 user to another client, as WHMCS does
// when an admin moves the service, and sets its UpdatedAt to at.
// ENOTFOUND when the service has no S3 user; ECONFLICT when the other
// client already has a row for this service id.
func (s *Store) MoveService(ctx context.Context, serviceID, toClientID int64, at time.Time) error {
	const op = "move service"
	if serviceID <= 0 {
		return invalid(op, "service id must be positive (got %d)", serviceID)
	}
	if toClientID <= 0 {
		return invalid(op, "client id must be positive (got %d)", toClientID)
	}
	if err := checkTime(op, "time", at); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE staas_s3_users SET client_id = ?, updated_at = ? WHERE service_id = ?`,
		toClientID, s.dialect.timeArg(storedTime(at)), serviceID)
	if duplicateKey(err) {
		return staas.Errorf(staas.ECONFLICT, "store: client %d already has an S3 user row for service %d", toClientID, serviceID)
	}
	if err != nil {
		return dbError("move the service", err)
	}
	return s.foundRows(ctx, res, "move the service", `SELECT COUNT(*) FROM staas_s3_users WHERE service_id = ?`,
		func() error { return staas.Errorf(staas.ENOTFOUND, "store: service %d has no S3 user", serviceID) }, serviceID)
}

// MarkOrphaned records that the client of an S3 user was deleted at at.
// Marking an orphan again keeps the first time. ENOTFOUND when there is no
// such user.
func (s *Store) MarkOrphaned(ctx context.Context, clientID, serviceID int64, at time.Time) error {
	const op = "mark S3 user orphaned"
	if err := checkS3UserKey(op, clientID, serviceID); err != nil {
		return err
	}
	if err := checkTime(op, "time", at); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE staas_s3_users SET orphaned_at = ? WHERE client_id = ? AND service_id = ? AND orphaned_at IS NULL`,
		s.dialect.timeArg(storedTime(at)), clientID, serviceID)
	if err != nil {
		return dbError("mark the S3 user orphaned", err)
	}
	return s.foundRows(ctx, res, "mark the S3 user orphaned", `SELECT COUNT(*) FROM staas_s3_users WHERE client_id = ? AND service_id = ?`,
		func() error {
			return staas.Errorf(staas.ENOTFOUND, "store: service %d of client %d has no S3 user", serviceID, clientID)
		}, clientID, serviceID)
}

// foundRows turns an UPDATE that changed no row into the error notFound
// returns, unless count (a COUNT(*) query over args) finds the row: MySQL
// reports the rows an UPDATE changed, not those it matched.
func (s *Store) foundRows(ctx context.Context, res sql.Result, what, count string, notFound func() error, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(what, err)
	}
	if n > 0 {
		return nil
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, count, args...).Scan(&rows); err != nil {
		return dbError(what, err)
	}
	if rows == 0 {
		return notFound()
	}
	return nil
}

// Orphans returns every S3 user whose WHMCS client was deleted, the
// longest orphaned first; an empty slice when there are none.
func (s *Store) Orphans(ctx context.Context) ([]staas.S3User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+s3UserColumns+` FROM staas_s3_users WHERE orphaned_at IS NOT NULL
		ORDER BY orphaned_at, client_id, service_id`)
	if err != nil {
		return nil, dbError("list the orphaned S3 users", err)
	}
	defer rows.Close()
	users := []staas.S3User{}
	for rows.Next() {
		u, err := scanS3User(rows)
		if err != nil {
			return nil, dbError("list the orphaned S3 users", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list the orphaned S3 users", err)
	}
	return users, nil
}

// nullTime scans a nullable time column: NULL is the zero time.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(v any) error {
	if v == nil {
		*n.t = time.Time{}
		return nil
	}
	return dbTime(n).Scan(v)
}

// S3UsersOfCluster returns every S3 user mapped on a cluster, by client
// then service: what the reconciler compares with the gateway. The
// default cluster's mappings may name it as "" (made before there were
// several), so isDefault says whether cluster is the default one.
func (s *Store) S3UsersOfCluster(ctx context.Context, cluster string, isDefault bool) ([]staas.S3User, error) {
	q := `SELECT ` + s3UserColumns + ` FROM staas_s3_users WHERE cluster = ? ORDER BY client_id, service_id`
	args := []any{cluster}
	if isDefault {
		q = `SELECT ` + s3UserColumns + ` FROM staas_s3_users WHERE cluster = ? OR cluster = '' ORDER BY client_id, service_id`
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError("list the S3 users of a cluster", err)
	}
	defer rows.Close()
	users := []staas.S3User{}
	for rows.Next() {
		u, err := scanS3User(rows)
		if err != nil {
			return nil, dbError("list the S3 users of a cluster", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list the S3 users of a cluster", err)
	}
	return users, nil
}

// S3UsersByServices returns, for each of serviceIDs that has an S3 user,
// what S3UserByService returns, in one query per 500 ids: WHMCS's usage
// update asks for all of a server's services at once.
func (s *Store) S3UsersByServices(ctx context.Context, serviceIDs []int64) (map[int64]*staas.S3User, error) {
	const op = "read S3 user"
	out := make(map[int64]*staas.S3User, len(serviceIDs))
	for start := 0; start < len(serviceIDs); start += batchReadIDs {
		chunk := serviceIDs[start:min(start+batchReadIDs, len(serviceIDs))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			if id <= 0 {
				return nil, invalid(op, "service id must be positive (got %d)", id)
			}
			args[i] = id
		}
		err := func() error {
			rows, err := s.db.QueryContext(ctx, `SELECT `+s3UserColumns+` FROM staas_s3_users WHERE service_id IN (`+
				placeholders(len(chunk))+`) ORDER BY service_id, client_id`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				u, err := scanS3User(rows)
				if err != nil {
					return err
				}
				if out[u.ServiceID] == nil { // the lowest client id's, as S3UserByService
					out[u.ServiceID] = u
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, dbError("read the S3 users", err)
		}
	}
	return out, nil
}

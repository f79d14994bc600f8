package store

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"time"

	"staas"
)

// Cluster is one row of the cluster registry: a storage cluster staas
// provisions on. Credentials is a reference to where the admin
// credentials are, never the secret itself: "env:PREFIX" (the variables
// PREFIX_ACCESS_KEY and PREFIX_SECRET_KEY) or "file:/path".
type Cluster struct {
	ID            int64
	Name          string // ^[a-z0-9][a-z0-9-]{0,31}$, as WHMCS server entries name it
	Kind          string // ClusterOstor (ClusterECS next)
	AdminEndpoint string // the admin API's root URL
	DataEndpoint  string // the S3 data endpoint; "" means AdminEndpoint
	Signature     string // "v2" or "v4"
	Region        string
	Credentials   string // "env:PREFIX" or "file:/path"
	IsDefault     bool
	CreatedAt     time.Time
}

// Kinds of cluster.
const (
	ClusterOstor = "ostor"
	ClusterECS   = "ecs"
)

// ClusterName is what a cluster may be called: the WHMCS server entry's
// Username field carries it.
var ClusterName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

const clusterColumns = `id, name, kind, admin_endpoint, data_endpoint, signature, region, credentials, is_default, created_at`

func checkCluster(op string, c Cluster) error {
	if !ClusterName.MatchString(c.Name) {
		return invalid(op, "cluster name %q must be 1 to 32 lower-case letters, digits and '-', starting with a letter or digit", truncate(c.Name))
	}
	switch c.Kind {
	case ClusterOstor, ClusterECS:
	default:
		return invalid(op, "cluster kind %q is not %q or %q", truncate(c.Kind), ClusterOstor, ClusterECS)
	}
	if err := checkText(op, "admin endpoint", c.AdminEndpoint, 1, 255); err != nil {
		return err
	}
	if err := checkText(op, "data endpoint", c.DataEndpoint, 0, 255); err != nil {
		return err
	}
	if c.Signature != "v2" && c.Signature != "v4" {
		return invalid(op, "signature %q is not v2 or v4", truncate(c.Signature))
	}
	if err := checkText(op, "region", c.Region, 0, 64); err != nil {
		return err
	}
	if err := checkText(op, "credentials", c.Credentials, 1, 512); err != nil {
		return err
	}
	if !strings.HasPrefix(c.Credentials, "env:") && !strings.HasPrefix(c.Credentials, "file:") {
		return invalid(op, "credentials must be a reference, env:PREFIX or file:/path, never the secret itself")
	}
	return nil
}

// Clusters returns every registered cluster, by name.
func (s *Store) Clusters(ctx context.Context) ([]Cluster, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+clusterColumns+` FROM staas_clusters ORDER BY name`)
	if err != nil {
		return nil, dbError("list clusters", err)
	}
	defer rows.Close()
	var out []Cluster
	for rows.Next() {
		var c Cluster
		if err := rows.Scan(&c.ID, &c.Name, &c.Kind, &c.AdminEndpoint, &c.DataEndpoint, &c.Signature, &c.Region,
			&c.Credentials, &c.IsDefault, dbTime{&c.CreatedAt}); err != nil {
			return nil, dbError("list clusters", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list clusters", err)
	}
	return out, nil
}

// AddCluster registers a cluster; a new default takes the mark from the
// old one. A name in use is ECONFLICT.
func (s *Store) AddCluster(ctx context.Context, c Cluster) error {
	_, err := s.addCluster(ctx, c, false)
	return err
}

// SeedCluster registers c (the cluster of STAAS_OSTOR_*) unless a
// cluster of its name is registered, in one transaction (several replicas
// may start at once); it is the default unless another cluster is. added
// says whether it was registered.
func (s *Store) SeedCluster(ctx context.Context, c Cluster) (added bool, err error) {
	return s.addCluster(ctx, c, true)
}

func (s *Store) addCluster(ctx context.Context, c Cluster, seed bool) (added bool, err error) {
	const op = "add cluster"
	if err := checkCluster(op, c); err != nil {
		return false, err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	err = s.inTx(ctx, nil, "add the cluster", func(tx *sql.Tx) error {
		isDefault := c.IsDefault
		if seed {
			var named, defaults int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_clusters WHERE name = ?`, c.Name).Scan(&named); err != nil {
				return err
			}
			if named > 0 {
				return nil
			}
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_clusters WHERE is_default <> 0`).Scan(&defaults); err != nil {
				return err
			}
			isDefault = defaults == 0
		}
		if isDefault {
			if _, err := tx.ExecContext(ctx, `UPDATE staas_clusters SET is_default = 0 WHERE is_default <> 0`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO staas_clusters (name, kind, admin_endpoint, data_endpoint, signature, region, credentials, is_default, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Name, c.Kind, c.AdminEndpoint, c.DataEndpoint, c.Signature, c.Region, c.Credentials, isDefault,
			s.dialect.timeArg(storedTime(c.CreatedAt)))
		if duplicateKey(err) {
			return staas.Errorf(staas.ECONFLICT, "A cluster named %q is registered already.", c.Name)
		}
		added = err == nil
		return err
	})
	return added, err
}

// RemoveCluster unregisters a cluster. It is refused (ECONFLICT) while
// any mapping names it, or while it is the default and others remain;
// ENOTFOUND when there is none by that name.
func (s *Store) RemoveCluster(ctx context.Context, name string) error {
	const op = "remove cluster"
	if err := checkKey(op, "cluster", name, maxClusterLen); err != nil {
		return err
	}
	return s.inTx(ctx, nil, "remove the cluster", func(tx *sql.Tx) error {
		var isDefault bool
		err := tx.QueryRowContext(ctx, `SELECT is_default FROM staas_clusters WHERE name = ?`, name).Scan(&isDefault)
		if err == sql.ErrNoRows {
			return staas.Errorf(staas.ENOTFOUND, "No cluster named %q is registered.", name)
		}
		if err != nil {
			return err
		}
		var users int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_s3_users WHERE cluster = ?`, name).Scan(&users); err != nil {
			return err
		}
		if users > 0 {
			return staas.Errorf(staas.ECONFLICT, "Cluster %q still holds %s: move or terminate them first.", name, staas.Count(users, "mapped S3 user", "mapped S3 users"))
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_clusters WHERE name <> ?`, name).Scan(&others); err != nil {
			return err
		}
		if isDefault && others > 0 {
			return staas.Errorf(staas.ECONFLICT, "Cluster %q is the default: make another cluster the default first.", name)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM staas_clusters WHERE name = ?`, name)
		return err
	})
}

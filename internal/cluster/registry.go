// Package cluster is the registry of the storage clusters staas
// provisions on: it loads them from the store (table staas_clusters),
// resolves each one's credentials reference (env:PREFIX or file:/path;
// the store never holds a secret), builds one backend client per cluster
// when first asked, and reports readiness per cluster. A Registry is the
// provision.Clusters that routes every mapping to its own cluster.
package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"staas"
	"staas/internal/ecs"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/s3data"
	"staas/internal/store"
	"staas/internal/usage"
)

// The ostor client is the backend of an ostor cluster for provisioning
// and for usage collection alike.
var (
	_ provision.Backend = (*ostor.Client)(nil)
	_ usage.Backend     = (*ostor.Client)(nil)
	_ Backend           = (*ecs.Client)(nil)

	_ provision.BucketBillingBackend = ecsBackend{}
	_ provision.UserBucketPurger     = ecsBackend{}
	_ provision.Clusters             = (*Registry)(nil)
)

// Backend is one cluster's client, whatever its kind: what provisioning
// and usage collection need of it (Ping is the readiness probe).
type Backend interface {
	provision.Backend
	usage.Backend
}

// Store is where the registry lives (*store.Store).
type Store interface {
	Clusters(ctx context.Context) ([]store.Cluster, error)
}

// Config configures a Registry.
type Config struct {
	// Lookup reads an environment variable (env: references); default
	// os.LookupEnv.
	Lookup func(string) (string, bool)
	// ReadFile reads a credentials file (file: references); default
	// os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Ostor is the template of every ostor cluster's client: timeout,
	// retries, unsigned-payload header, HTTP client, clock and metrics
	// hook. Endpoint, keys, signature and region come from the cluster.
	Ostor ostor.Config
	// Adjust, when set, adjusts one cluster's client configuration before
	// it is built (tests: each simulator has its own clock).
	Adjust func(name string, c *ostor.Config)
	// ECS is the template of every ECS cluster's client: timeout,
	// concurrency, namespace mode, HTTP client and clock. Endpoint and
	// the management login come from the cluster.
	ECS ecs.Config
	// AdjustECS is Adjust for ECS clusters.
	AdjustECS func(name string, c *ecs.Config)
}

// Registry holds the registered clusters and their clients. It is safe
// for concurrent use.
type Registry struct {
	cfg      Config
	clusters map[string]store.Cluster
	names    []string // sorted
	def      string

	mu      sync.Mutex
	clients map[string]Backend
	purgers map[string]*s3data.Client
}

// Load reads the registry from st. It fails when no cluster is
// registered. Default is "" when none is marked the default (serve always
// has one: it seeds "default" from STAAS_OSTOR_*).
func Load(ctx context.Context, st Store, cfg Config) (*Registry, error) {
	list, err := st.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	return New(list, cfg)
}

// New is a Registry of the given clusters (Load reads them from the store).
func New(list []store.Cluster, cfg Config) (*Registry, error) {
	if cfg.Lookup == nil {
		cfg.Lookup = os.LookupEnv
	}
	if cfg.ReadFile == nil {
		cfg.ReadFile = os.ReadFile
	}
	r := &Registry{cfg: cfg, clusters: map[string]store.Cluster{}, clients: map[string]Backend{}, purgers: map[string]*s3data.Client{}}
	for _, c := range list {
		r.clusters[c.Name] = c
		r.names = append(r.names, c.Name)
		if c.IsDefault {
			r.def = c.Name
		}
	}
	slices.Sort(r.names)
	if len(list) == 0 {
		return nil, staas.Errorf(staas.EINVALID, "No storage cluster is registered: set STAAS_OSTOR_* or run staas cluster add.")
	}
	return r, nil
}

// Default is the name of the default cluster.
func (r *Registry) Default() string { return r.def }

// Names are the registered clusters' names, sorted.
func (r *Registry) Names() []string { return slices.Clone(r.names) }

// Cluster returns the registry row of a cluster.
func (r *Registry) Cluster(name string) (store.Cluster, bool) {
	c, ok := r.clusters[name]
	return c, ok
}

// Backend returns the named cluster's backend ("" is the default),
// building its client on first use. An unknown name is EINVALID.
func (r *Registry) Backend(name string) (provision.Backend, error) {
	c, err := r.Client(name)
	if err != nil {
		return nil, err
	}
	if e, ok := c.(*ecs.Client); ok {
		return ecsBackend{e}, nil
	}
	return c, nil
}

// Quota reads a quota on the named cluster ("" the default): what the
// usage figures need to file a service's disk limit on its own cluster.
func (r *Registry) Quota(ctx context.Context, cluster string, subject staas.QuotaSubject) (*staas.Quota, error) {
	c, err := r.Client(cluster)
	if err != nil {
		return nil, err
	}
	return c.Quota(ctx, subject)
}

// row is the registry row of the named cluster ("" the default), with
// its name; an unknown name is provision's NoCluster error.
func (r *Registry) row(name string) (string, store.Cluster, error) {
	if name == "" {
		name = r.def
	}
	c, ok := r.clusters[name]
	if !ok {
		return name, store.Cluster{}, provision.NoCluster(name)
	}
	return name, c, nil
}

// Client is the named cluster's client as both provisioning and usage
// collection use it, built on first use.
func (r *Registry) Client(name string) (Backend, error) {
	name, c, err := r.row(name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cl, ok := r.clients[name]; ok {
		return cl, nil
	}
	access, secret, err := Credentials(c.Credentials, r.cfg.Lookup, r.cfg.ReadFile)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	var cl Backend
	switch c.Kind {
	case store.ClusterOstor:
		oc := r.cfg.Ostor
		oc.Endpoint, oc.AccessKey, oc.SecretKey, oc.Signature, oc.Region = c.AdminEndpoint, access, secret, c.Signature, c.Region
		if r.cfg.Adjust != nil {
			r.cfg.Adjust(name, &oc)
		}
		cl, err = ostor.New(oc)
	case store.ClusterECS:
		// An ECS cluster's credentials are its management login: the
		// reference's access key is the user name, its secret the
		// password (GET /login with basic auth).
		ec := r.cfg.ECS
		ec.Endpoint, ec.Username, ec.Password = c.AdminEndpoint, access, secret
		if r.cfg.AdjustECS != nil {
			r.cfg.AdjustECS(name, &ec)
		}
		cl, err = ecs.New(ec)
	default:
		return nil, staas.Errorf(staas.EINVALID, "Cluster %q is of kind %q, which this staas cannot speak to.", name, c.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	r.clients[name] = cl
	return cl, nil
}

// Purger returns the bucket purger of the named cluster's S3 data
// endpoint (its admin endpoint when it has none).
func (r *Registry) Purger(name string) (provision.BucketPurger, error) {
	name, c, err := r.row(name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.purgers[name]; ok {
		return p, nil
	}
	endpoint := c.DataEndpoint
	if endpoint == "" {
		endpoint = c.AdminEndpoint
	}
	p, err := s3data.New(s3data.Config{Endpoint: endpoint, Region: c.Region})
	if err != nil {
		return nil, fmt.Errorf("cluster %q data endpoint: %w", name, err)
	}
	r.purgers[name] = p
	return p, nil
}

// Check is one cluster's readiness probe.
type Check struct {
	Cluster string
	Ping    func(ctx context.Context) error
}

// Checks are a readiness probe per cluster, by name. A cluster whose
// client cannot be built (a credentials file gone) fails its probe with
// that error.
func (r *Registry) Checks() []Check {
	out := make([]Check, 0, len(r.names))
	for _, name := range r.names {
		out = append(out, Check{Cluster: name, Ping: func(ctx context.Context) error {
			cl, err := r.Client(name)
			if err != nil {
				return err
			}
			return cl.Ping(ctx)
		}})
	}
	return out
}

// Test builds the named cluster's client and makes its cheapest
// authenticated call (staas cluster test).
func (r *Registry) Test(ctx context.Context, name string) error {
	cl, err := r.Client(name)
	if err != nil {
		return err
	}
	return cl.Ping(ctx)
}

// Credentials resolves a credentials reference to an access key and a
// secret key:
//
//   - env:PREFIX reads the variables PREFIX_ACCESS_KEY and
//     PREFIX_SECRET_KEY (env:STAAS_OSTOR is the seeded default cluster's);
//   - file:/path reads a file of "access_key = …" and "secret_key = …"
//     lines ('#' starts a comment).
//
// Errors name the reference, never a value.
func Credentials(ref string, lookup func(string) (string, bool), readFile func(string) ([]byte, error)) (access, secret string, err error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		prefix := strings.TrimPrefix(ref, "env:")
		if prefix == "" {
			return "", "", staas.Errorf(staas.EINVALID, "Credentials reference %q names no variable prefix.", ref)
		}
		a, _ := lookup(prefix + "_ACCESS_KEY")
		s, _ := lookup(prefix + "_SECRET_KEY")
		if a == "" || s == "" {
			return "", "", staas.Errorf(staas.EINVALID, "Credentials reference %q: set %s_ACCESS_KEY and %s_SECRET_KEY.", ref, prefix, prefix)
		}
		return a, s, nil
	case strings.HasPrefix(ref, "file:"):
		path := strings.TrimPrefix(ref, "file:")
		b, err := readFile(path)
		if err != nil {
			return "", "", staas.Errorf(staas.EINVALID, "Credentials file %s cannot be read: %v", path, pathError(err))
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return "", "", staas.Errorf(staas.EINVALID, "Credentials file %s: each line is key = value (access_key, secret_key).", path)
			}
			switch strings.TrimSpace(k) {
			case "access_key":
				access = strings.TrimSpace(v)
			case "secret_key":
				secret = strings.TrimSpace(v)
			}
		}
		if access == "" || secret == "" {
			return "", "", staas.Errorf(staas.EINVALID, "Credentials file %s needs both access_key and secret_key.", path)
		}
		return access, secret, nil
	}
	return "", "", staas.Errorf(staas.EINVALID, "Credentials must be a reference, env:PREFIX or file:/path.")
}

// pathError is a file error without the path repeated.
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ecsBackend is an ECS client as provisioning sees it: a Backend that
// also reports bucket billing info (provision.BucketBillingBackend).
type ecsBackend struct{ *ecs.Client }

// UserBucketBilling is ECS's Get Bucket Billing Info of each of the
// user's buckets, in staas's terms.
func (e ecsBackend) UserBucketBilling(ctx context.Context, ref staas.UserRef, unit string) ([]staas.BucketBilling, error) {
	infos, err := e.Client.UserBucketBilling(ctx, ref, unit)
	if err != nil {
		return nil, err
	}
	out := make([]staas.BucketBilling, 0, len(infos))
	for _, b := range infos {
		var tags []staas.BucketTag
		for _, t := range b.Tags {
			tags = append(tags, staas.BucketTag{Key: t.Key, Value: t.Value})
		}
		out = append(out, staas.BucketBilling{Name: b.Name, Namespace: b.Namespace, ReplicationGroup: b.VpoolID,
			TotalSize: b.TotalSize, Unit: b.TotalSizeUnit, Objects: b.TotalObjects, SampleTime: b.SampleTime,
			UptodateTill: b.UptodateTill, MPUSize: b.TotalMPUSize, MPUParts: b.TotalMPUParts,
			Tags: tags, SizeDeleted: b.TotalSizeDeleted, ObjectsDeleted: b.TotalObjectsDeleted})
	}
	return out, nil
}

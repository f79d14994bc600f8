package provision

import (
	"context"
	"fmt"
	"sort"

	"staas"
	"staas/whmcsbridge"
)

// Backend is what provision needs from the storage of one cluster, in
// staas's own words: users and their keys, enabling and disabling them,
// buckets and their sizes, quotas, limits where the backend has them, and
// usage statistics. *ostor.Client is one; the next backend (ECS) is
// another. Capabilities says which optional parts work.
type Backend interface {
	CreateUser(ctx context.Context, email string) (*staas.UserKeys, error)
	User(ctx context.Context, ref staas.UserRef) (*staas.StorageUser, error)
	Users(ctx context.Context) ([]staas.StorageUser, error)
	EnableUser(ctx context.Context, email string) error
	DisableUser(ctx context.Context, email string) error
	DeleteUser(ctx context.Context, ref staas.UserRef) error
	GenerateKey(ctx context.Context, email string) (*staas.KeyPair, error)
	RevokeKey(ctx context.Context, email, accessKeyID string) error
	BucketsOf(ctx context.Context, ref staas.UserRef) ([]staas.Bucket, error)

	SetOpsLimit(ctx context.Context, subject staas.LimitSubject, resource string, perSecond float64) error
	SetBandwidthLimit(ctx context.Context, subject staas.LimitSubject, kbPerSecond uint64) error
	Limits(ctx context.Context, subject staas.LimitSubject) (*staas.Limits, error)
	DeleteLimits(ctx context.Context, subject staas.LimitSubject) error

	SetQuota(ctx context.Context, subject staas.QuotaSubject, gb uint64) error
	Quota(ctx context.Context, subject staas.QuotaSubject) (*staas.Quota, error)
	DeleteQuota(ctx context.Context, subject staas.QuotaSubject) error

	UsagePage(ctx context.Context, after string, limit int) (*staas.UsageList, error)
	UsageObject(ctx context.Context, name string) (*staas.UsageObject, error)
	DeleteUsageObject(ctx context.Context, name string) error

	// CheckUsageObjectName refuses a name that is no statistics object
	// name of this backend, without a request.
	CheckUsageObjectName(name string) error

	// Ping makes the cheapest authenticated call (WHMCS's Test Connection).
	Ping(ctx context.Context) error
	// Capabilities says which optional features the backend has.
	Capabilities() staas.Capabilities
}

// Gateway is Backend's older name, kept for Config.Gateway.
type Gateway = Backend

// Clusters finds the backend of a cluster by name. *cluster.Registry is
// one; provision configured with a single Gateway builds its own.
type Clusters interface {
	// Backend returns the named cluster's backend; an unknown name is
	// EINVALID, naming the cluster (NoCluster).
	Backend(name string) (Backend, error)
	// Default is the cluster of module calls and mappings that name none.
	Default() string
	// Names are every cluster's name, sorted: the admin panel's choice
	// of where a client-level S3 user is made.
	Names() []string
}

// DefaultCluster is the name of the cluster an install with one cluster
// has, and the cluster of every mapping made before there were several.
const DefaultCluster = "default"

// single is the Clusters of provision given one Gateway.
type single struct {
	name string
	gw   Backend
}

func (c single) Backend(name string) (Backend, error) {
	if name == "" || name == c.name {
		return c.gw, nil
	}
	return nil, NoCluster(name)
}

func (c single) Default() string { return c.name }

func (c single) Names() []string { return []string{c.name} }

// NoCluster is the error of a cluster name nobody configured.
func NoCluster(name string) error {
	return staas.Errorf(staas.EINVALID, "There is no cluster named %q in staas: the WHMCS server's Username must name one of staas's clusters (staas cluster list), or be empty for the default cluster.", name)
}

// at is the backend of the named cluster ("" is the default). An unknown
// cluster gives a backend whose every call fails with that error, so that
// call sites read as one expression: s.at(m.Cluster).User(ctx, ref).
func (s *core) at(cluster string) Backend {
	if cluster == "" {
		cluster = s.clusters.Default()
	}
	b, err := s.clusters.Backend(cluster)
	if err != nil {
		return broken{err}
	}
	return b
}

// requireCapability refuses an admin action the backend cannot do, naming
// it, before anything is sent.
func requireCapability(cluster string, ok bool, what string) error {
	if ok {
		return nil
	}
	return staas.Errorf(staas.EINVALID, "%s is not supported by the storage of cluster %q: clear it, or move the product to a cluster that has it.", what, cluster)
}

// refuseUnsupported checks a product's settings against the capabilities
// of the cluster's backend: a setting the backend cannot enforce, set to
// anything but unlimited, is refused naming the setting as WHMCS shows it.
func refuseUnsupported(cluster string, caps staas.Capabilities, p product) error {
	settings := whmcsbridge.ProductSettingNames()
	var problems []string
	if !caps.OpsLimits {
		for i, v := range p.ops {
			if v != 0 {
				problems = append(problems, fmt.Sprintf("Module setting %q", settings[i].WHMCS))
			}
		}
	}
	if !caps.BandwidthLimits && p.bandwidth != 0 {
		problems = append(problems, fmt.Sprintf("Module setting %q", settings[5].WHMCS))
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return staas.Errorf(staas.EINVALID, "%s: not supported by the storage of cluster %q (it has no such limits); leave it empty or use a cluster that has it.", joinAnd(problems), cluster)
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " and " + xs[1]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == len(xs)-1:
			out += ", and " + x
		case i > 0:
			out += ", " + x
		default:
			out = x
		}
	}
	return out
}

// broken is the backend of a cluster that could not be found or built.
type broken struct{ err error }

func (b broken) CreateUser(context.Context, string) (*staas.UserKeys, error) { return nil, b.err }
func (b broken) User(context.Context, staas.UserRef) (*staas.StorageUser, error) {
	return nil, b.err
}
func (b broken) Users(context.Context) ([]staas.StorageUser, error)          { return nil, b.err }
func (b broken) EnableUser(context.Context, string) error                    { return b.err }
func (b broken) DisableUser(context.Context, string) error                   { return b.err }
func (b broken) DeleteUser(context.Context, staas.UserRef) error             { return b.err }
func (b broken) GenerateKey(context.Context, string) (*staas.KeyPair, error) { return nil, b.err }
func (b broken) RevokeKey(context.Context, string, string) error             { return b.err }
func (b broken) BucketsOf(context.Context, staas.UserRef) ([]staas.Bucket, error) {
	return nil, b.err
}
func (b broken) SetOpsLimit(context.Context, staas.LimitSubject, string, float64) error { return b.err }
func (b broken) SetBandwidthLimit(context.Context, staas.LimitSubject, uint64) error    { return b.err }
func (b broken) Limits(context.Context, staas.LimitSubject) (*staas.Limits, error) {
	return nil, b.err
}
func (b broken) DeleteLimits(context.Context, staas.LimitSubject) error          { return b.err }
func (b broken) SetQuota(context.Context, staas.QuotaSubject, uint64) error      { return b.err }
func (b broken) Quota(context.Context, staas.QuotaSubject) (*staas.Quota, error) { return nil, b.err }
func (b broken) DeleteQuota(context.Context, staas.QuotaSubject) error           { return b.err }
func (b broken) UsagePage(context.Context, string, int) (*staas.UsageList, error) {
	return nil, b.err
}
func (b broken) UsageObject(context.Context, string) (*staas.UsageObject, error) {
	return nil, b.err
}
func (b broken) DeleteUsageObject(context.Context, string) error { return b.err }
func (b broken) CheckUsageObjectName(string) error               { return b.err }
func (b broken) Ping(context.Context) error                      { return b.err }
func (b broken) Capabilities() staas.Capabilities                { return staas.Capabilities{} }

// purgerOf is the bucket purger of a cluster's S3 data endpoint.
func (s *core) purgerOf(cluster string) (BucketPurger, error) {
	if s.purgers != nil {
		return s.purgers(cluster)
	}
	if s.purger == nil {
		return nil, staas.Errorf(staas.EINVALID, "Purging buckets is not configured on this staas (see README).")
	}
	return s.purger, nil
}

// Capabilities says what the named cluster's backend ("" the default)
// can do, so panels and product settings offer only what works; an
// unknown cluster can do nothing.
func (s *core) Capabilities(cluster string) staas.Capabilities {
	return s.at(cluster).Capabilities()
}

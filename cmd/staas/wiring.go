package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"staas"
	"staas/handlers"
	"staas/internal/cluster"
	"staas/internal/config"
	"staas/internal/daily"
	"staas/internal/ecs"
	"staas/internal/metrics"
	"staas/internal/provision"
	"staas/internal/reconcile"
	"staas/internal/reseller"
	"staas/internal/store"
	usagecol "staas/internal/usage"
	"staas/internal/whmcs"
	"staas/whmcsbridge"
)

// wiring is what staas is assembled from: serve gives the real store,
// WHMCS and clusters; the demo gives its stand-ins. Both build the product
// with buildProduct, so the demo runs the code serve runs.
type wiring struct {
	Log      *slog.Logger
	Metrics  *metrics.Metrics // nil: no metrics
	Store    *store.Store
	WHMCS    provision.WHMCS
	Clusters *cluster.Registry

	// Now is provision's clock (nil: time.Now): when queued client
	// events are due. Tests run it on simulated time.
	Now func() time.Time

	ShimSecret         []byte
	NotesWithoutSecret bool
	KeepObjects        bool
	UsageSchedule      string

	MonitorToken      string
	ReadyCache        time.Duration
	TrustedProxies    []*net.IPNet
	CreateOnClientAdd bool
	ClientDelete      provision.DeletePolicy
	// Daily wires WHMCS's daily cron to staas's daily work.
	Daily bool
	// ResellerKey (64 bytes) serves the reseller portal, whose clients
	// WHMCS lists (reseller.Clients); ResellerTTL is how
	// long a reseller's client list is reused (0: the default).
	ResellerKey []byte
	ResellerTTL time.Duration
}

// clusterJobs are one cluster's usage collector and bucket sampler.
type clusterJobs struct {
	Name      string
	Collector *usagecol.Collector
	Sampler   *usagecol.Sampler
	// Reconciler compares WHMCS with the cluster; nil when WHMCS is
	// reached by its API (the reconciler reads its database).
	Reconciler *reconcile.Reconciler
}

// product is staas assembled: provisioning over every cluster, each
// cluster's usage jobs, and the HTTP handler.
type product struct {
	Handler   http.Handler
	Provision *provision.Services
	Clusters  []clusterJobs
	// Daily is WHMCS's daily cron's work (wired when wiring.Daily).
	Daily daily.Work
	// Usage is the usage figures the handlers read.
	Usage *usagecol.Figures
}

// buildProduct assembles staas from w.
func buildProduct(w wiring) (*product, error) {
	reg := w.Clusters
	svc := provision.New(provision.Config{Clusters: reg, Store: w.Store, WHMCS: w.WHMCS, Logger: w.Log,
		Purgers: reg.Purger, NotesWithoutSecret: w.NotesWithoutSecret, Now: w.Now})
	p := &product{Provision: svc}
	for _, name := range reg.Names() {
		ucfg := usagecol.Config{Gateway: lazyUsage{reg, name}, Store: w.Store, Cluster: name, KeepObjects: w.KeepObjects, Logger: w.Log}
		if w.Metrics != nil {
			m := w.Metrics
			ucfg.Observe = func(r usagecol.Report) { m.ObserveUsageRun(usageRunMetrics(r)) }
		}
		col, err := usagecol.New(ucfg)
		if err != nil {
			return nil, err
		}
		smp, err := usagecol.NewSampler(ucfg)
		if err != nil {
			return nil, err
		}
		jobs := clusterJobs{Name: name, Collector: col, Sampler: smp}
		if statuses, ok := any(w.WHMCS).(reconcile.WHMCS); ok {
			jobs.Reconciler = newReconciler(reg, w.Store, statuses, w.Log, name)
		}
		p.Clusters = append(p.Clusters, jobs)
	}
	checks := clusterChecks(reg)
	checks = append(checks, handlers.ReadinessCheck{Name: "store", Ping: w.Store.Ping})
	reader := &usagecol.Reader{Store: w.Store, Cluster: reg.Default()}
	p.Daily = daily.Work{Notes: svc.Notes, Log: w.Log, Intents: func(ctx context.Context) (string, error) {
		run, err := svc.Events.RetryIntents(ctx)
		if err != nil {
			return "", err
		}
		return provision.RetryLine(run), nil
	}}
	for _, c := range p.Clusters {
		p.Daily.Clusters = append(p.Daily.Clusters, daily.Cluster{Name: c.Name, Collector: c.Collector, Sampler: c.Sampler})
		if c.Reconciler != nil {
			p.Daily.Clusters[len(p.Daily.Clusters)-1].Reconciler = c.Reconciler
		}
	}
	p.Usage = &usagecol.Figures{Reader: reader, Services: w.Store, Quotas: reg, Log: w.Log}
	d := handlers.Deps{
		Logger:    w.Log,
		Checks:    checks,
		Shim:      &whmcsbridge.Verifier{Secret: w.ShimSecret, Nonces: w.Store},
		Provision: svc,
		Panels:    w.Store,

		MonitorToken:   w.MonitorToken,
		ReadyCache:     w.ReadyCache,
		TrustedProxies: w.TrustedProxies,

		Usage:         p.Usage,
		UsageSchedule: w.UsageSchedule,
		Audit:         w.Store,

		Services:          w.Store,
		CreateOnClientAdd: w.CreateOnClientAdd,
		ClientDelete:      w.ClientDelete,
	}
	if w.Metrics != nil {
		d.Metrics = w.Metrics
	}
	// The addon page manages the resellers in staas's own store, whether
	// or not this staas serves their portal.
	d.ResellerAdmin = &reseller.Manager{Store: w.Store}
	if len(w.ResellerKey) > 0 {
		// Both WHMCS bridges read a reseller's clients: from WHMCS's
		// database (mysql mode) or its External API (api mode).
		clients, ok := w.WHMCS.(reseller.Clients)
		if !ok {
			return nil, errors.New("the reseller portal (STAAS_RESELLER_SESSION_KEY): this WHMCS cannot list a reseller's clients")
		}
		portal := &reseller.Portal{Accounts: w.Store, Members: reseller.NewMembers(clients, w.ResellerTTL), Mappings: w.Store, Figures: p.Usage,
			// Requests by class come from statistics objects; a cluster
			// whose backend has none (ECS) does not report them.
			RequestsReported: func(cluster string) bool {
				b, err := reg.Backend(cluster)
				return err == nil && b.Capabilities().Statistics
			}}
		if names, ok := w.WHMCS.(reseller.Names); ok {
			portal.Names = names
		}
		// Over the API, names come from the client list the sources
		// already read, not from a GetClientsDetails call per row.
		if api, ok := w.WHMCS.(*whmcs.APIBridge); ok {
			portal.Names = api.PortalNames()
		}
		if plans, ok := w.WHMCS.(reseller.Plans); ok {
			portal.Plans = plans
		}
		d.ResellerPortal = portal
		d.ResellerAuth = reseller.NewAuth(w.Store, w.Store)
		d.ResellerSessionKey = w.ResellerKey
	}
	// The demo's collection and sampling run on their own timers.
	d.Daily = func(context.Context) []string { return nil }
	if w.Daily {
		d.Daily = p.Daily.Run
	}
	h, err := handlers.New(d)
	if err != nil {
		return nil, err
	}
	p.Handler = h
	return p, nil
}

// clusterChecks are /readyz's probes of the clusters. The cluster named
// "default" keeps the check name "ostor" that monitoring knows; others
// are "ostor:NAME", and an ECS cluster's is "ecs:NAME". With several clusters, one down leaves staas ready
// for the others (handlers.ReadinessCheck.Group).
func clusterChecks(reg *cluster.Registry) []handlers.ReadinessCheck {
	var out []handlers.ReadinessCheck
	list := reg.Checks()
	for _, c := range list {
		name := "ostor"
		if row, ok := reg.Cluster(c.Cluster); ok && row.Kind == store.ClusterECS {
			name = "ecs"
		}
		if c.Cluster != provision.DefaultCluster || name != "ostor" {
			name += ":" + c.Cluster
		}
		chk := handlers.ReadinessCheck{Name: name, Ping: c.Ping}
		if len(list) > 1 {
			chk.Group = "clusters"
		}
		out = append(out, chk)
	}
	return out
}

// lazyUsage is one cluster's usage backend, its client built on first
// use: a cluster whose credentials cannot be read fails its own runs and
// no other's.
type lazyUsage struct {
	reg  *cluster.Registry
	name string
}

func (l lazyUsage) client() (cluster.Backend, error) { return l.reg.Client(l.name) }

func (l lazyUsage) EachUsageObject(ctx context.Context, fn func(name string) error) error {
	c, err := l.client()
	if err != nil {
		return err
	}
	return c.EachUsageObject(ctx, fn)
}

func (l lazyUsage) StreamUsageObject(ctx context.Context, name string, fn func(staas.UsageItem) error) (*staas.UsageHeader, error) {
	c, err := l.client()
	if err != nil {
		return nil, err
	}
	return c.StreamUsageObject(ctx, name, fn)
}

func (l lazyUsage) DeleteUsageObject(ctx context.Context, name string) error {
	c, err := l.client()
	if err != nil {
		return err
	}
	return c.DeleteUsageObject(ctx, name)
}

func (l lazyUsage) Buckets(ctx context.Context) ([]staas.Bucket, error) {
	c, err := l.client()
	if err != nil {
		return nil, err
	}
	return c.Buckets(ctx)
}

// envCluster is the cluster today's STAAS_OSTOR_* variables describe:
// the registry's seed, named "default", whose credentials stay in those
// variables (env:STAAS_OSTOR).
func envCluster(c config.Cluster) store.Cluster {
	return store.Cluster{Name: provision.DefaultCluster, Kind: store.ClusterOstor, AdminEndpoint: c.Endpoint, DataEndpoint: c.S3Endpoint,
		Signature: c.Signature, Region: c.Region, Credentials: envCredentials, IsDefault: true}
}

// envCredentials is the seeded cluster's credentials reference.
const envCredentials = "env:STAAS_OSTOR"

// loadClusters seeds the registry from STAAS_OSTOR_* when it is empty (so
// an install with one cluster starts as it always did) and loads it. The
// cluster whose credentials are env:STAAS_OSTOR follows the variables on
// every start: its endpoints, signature and region are theirs, and its
// keys are read as config reads them (NAME_FILE twins included).
func loadClusters(ctx context.Context, st *store.Store, cfg config.Config, lookup func(string) (string, bool), observe func(string, int, time.Duration, error)) (*cluster.Registry, error) {
	if _, err := st.SeedCluster(ctx, envCluster(cfg.Ostor)); err != nil {
		return nil, fmt.Errorf("cluster registry: %w", err)
	}
	list, err := st.Clusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster registry: %w", err)
	}
	env := envCluster(cfg.Ostor)
	for i, c := range list {
		if c.Credentials == envCredentials && c.Kind == store.ClusterOstor {
			list[i].AdminEndpoint, list[i].DataEndpoint, list[i].Signature, list[i].Region = env.AdminEndpoint, env.DataEndpoint, env.Signature, env.Region
		}
	}
	template := ostorConfig(cfg.Ostor)
	template.Observe = observe
	reg, err := cluster.New(list, cluster.Config{Lookup: clusterLookup(cfg, lookup), Ostor: template, ECS: ecs.Config{Timeout: template.Timeout}})
	if err != nil {
		return nil, fmt.Errorf("cluster registry: %w", err)
	}
	if reg.Default() == "" {
		return nil, errors.New("cluster registry: no cluster is the default: add one with staas cluster add -default")
	}
	return reg, nil
}

// openClusters is the setup the one-shot cluster commands (collect,
// reconcile) share: the store, the registry as serve loads it, and the
// clusters to run on, every one or the one -cluster names (only). The
// caller closes the store.
func openClusters(ctx context.Context, cmd string, cfg config.Config, lookup func(string) (string, bool), only string) (*store.Store, *cluster.Registry, []string, error) {
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, nil, nil, err
	}
	reg, err := loadClusters(ctx, st, cfg, lookup, nil)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	names := reg.Names()
	if only != "" {
		if _, ok := reg.Cluster(only); !ok {
			st.Close()
			return nil, nil, nil, fmt.Errorf("%s: no cluster named %q (registered: %s)", cmd, only, strings.Join(names, ", "))
		}
		names = []string{only}
	}
	return st, reg, names, nil
}

// clusterLookup answers env: credentials references: STAAS_OSTOR_* as
// config read them, anything else from the environment.
func clusterLookup(cfg config.Config, lookup func(string) (string, bool)) func(string) (string, bool) {
	return func(name string) (string, bool) {
		switch name {
		case "STAAS_OSTOR_ACCESS_KEY":
			return cfg.Ostor.AccessKey, cfg.Ostor.AccessKey != ""
		case "STAAS_OSTOR_SECRET_KEY":
			return cfg.Ostor.SecretKey.Reveal(), cfg.Ostor.SecretKey != ""
		}
		return lookup(name)
	}
}

// Package usage turns the ostor gateway's statistics objects and bucket
// sizes into a ledger staas can bill from: traffic per S3 user, bucket and
// hour, counted exactly once, and bucket sizes sampled over time. It also
// answers what a user used over a period (Reader). How the figures are
// made, and which of the gateway's fields are documented and which are
// inferred, is in docs/usage.md.
package usage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/store"
)

// Gateway is what the collector and the sampler need of the ostor client.
type Gateway interface {
	EachUsageObject(ctx context.Context, fn func(name string) error) error
	StreamUsageObject(ctx context.Context, name string, fn func(ostor.UsageItem) error) (*ostor.UsageHeader, error)
	DeleteUsageObject(ctx context.Context, name string) error
	Buckets(ctx context.Context) ([]ostor.Bucket, error)
}

// Point names a place in the handling of one object where a test can make
// the collector stop as if the process had died there.
type Point string

const (
	// PointStreaming: part of the object's counters are in the open
	// transaction (after each batch written).
	PointStreaming Point = "streaming"
	// PointFetched: the whole object is in the open transaction, not
	// yet committed.
	PointFetched Point = "fetched"
	// PointCommitted: the counters and the object's name are committed;
	// the object is still on the gateway.
	PointCommitted Point = "committed"
	// PointDeleted: the object has been deleted from the gateway.
	PointDeleted Point = "deleted"
)

// Config configures a Collector. Gateway and Store are required.
type Config struct {
	Gateway Gateway
	Store   *store.Store
	// Cluster names the gateway's cluster in the store, as in the S3 user
	// mapping; default "default".
	Cluster string
	// KeepObjects leaves collected objects on the gateway. By default
	// they are deleted once their counters are committed, as the vendor
	// asks.
	KeepObjects bool
	// Owner identifies this process in the lease; default host-pid-random.
	Owner string
	// LeaseTTL is how long the lease lasts unless renewed; it is renewed
	// every third of it while the collector works. Default 2 minutes.
	LeaseTTL time.Duration
	// BatchCells is how many ledger cells are added up in memory before
	// they are written to the open transaction; it bounds the memory an
	// object of any size takes. Default 1000.
	BatchCells int
	// ObjectAttempts is how often an object whose read broke off is read
	// again within one run; default 3.
	ObjectAttempts int
	Logger         *slog.Logger
	// Now replaces time.Now (tests).
	Now func() time.Time
	// Inject, when set, is called at each Point of each object; an error
	// stops the run there with that error, as a crash would (tests).
	Inject func(p Point, object string) error
}

// Collector collects statistics objects into the ledger.
type Collector struct {
	cfg Config
	log *slog.Logger
}

// LeaseCollector is the name of the collector's lease.
const LeaseCollector = "usage-collector"

// New checks cfg and fills its defaults.
func New(cfg Config) (*Collector, error) {
	if cfg.Gateway == nil || cfg.Store == nil {
		return nil, errors.New("usage: a collector needs a gateway and a store")
	}
	fillDefaults(&cfg)
	return &Collector{cfg: cfg, log: cfg.Logger}, nil
}

func fillDefaults(cfg *Config) {
	if cfg.Cluster == "" {
		cfg.Cluster = "default"
	}
	if cfg.Owner == "" {
		cfg.Owner = DefaultOwner()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 2 * time.Minute
	}
	if cfg.BatchCells <= 0 {
		cfg.BatchCells = 1000
	}
	if cfg.ObjectAttempts <= 0 {
		cfg.ObjectAttempts = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// DefaultOwner names this process for leases: host, pid and a random part
// (two collectors in one process are two owners).
func DefaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	owner := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	if len(owner) > 100 {
		owner = owner[len(owner)-100:]
	}
	return owner
}

// Result says what one run did.
type Result struct {
	// LeaseHeldBy is set when another collector holds the lease: this
	// run did nothing.
	LeaseHeldBy string
	Listed      int    // objects listed
	Collected   int    // objects whose counters were committed in this run
	Skipped     int    // objects listed that had been collected before
	Deleted     int    // objects deleted from the gateway
	Failed      int    // objects left for the next run after an error
	Items       uint64 // items counted
	// UnknownItems counts items of S3 users that no WHMCS client is
	// mapped to. They are in the ledger like any other; UnknownUsers
	// names up to 20 of those users.
	UnknownItems uint64
	UnknownUsers []string
}

const maxUnknownNamed = 20

// Run collects every statistics object listed once: each object's counters
// and its name are committed in one transaction, then (unless KeepObjects)
// the object is deleted. An object already recorded is not counted again;
// it is only deleted. Errors of single objects do not stop the run: they
// are joined into the error returned, and the objects stay on the gateway
// for the next run. When another collector holds the lease, Run returns at
// once with Result.LeaseHeldBy set and no error.
func (c *Collector) Run(ctx context.Context) (Result, error) {
	var res Result
	ctx, release, holder, err := holdLease(ctx, c.cfg.Store, LeaseCollector, c.cfg.Owner, c.cfg.LeaseTTL, c.cfg.Now, c.log)
	if err != nil {
		return res, err
	}
	if release == nil {
		res.LeaseHeldBy = holder
		return res, nil
	}
	defer release()

	known, err := c.cfg.Store.S3UserIDs(ctx, c.cfg.Cluster)
	if err != nil {
		return res, err
	}
	var errs []error
	unknown := map[string]bool{}
	err = c.cfg.Gateway.EachUsageObject(ctx, func(name string) error {
		res.Listed++
		err := c.object(ctx, name, known, unknown, &res)
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if err != nil {
			res.Failed++
			errs = append(errs, err)
			c.log.Error("usage object not collected; it stays on the gateway for the next run", "object", name, "err", err)
		}
		return nil
	})
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		errs = append(errs, err)
	}
	for id := range unknown {
		res.UnknownUsers = append(res.UnknownUsers, id)
	}
	slices.Sort(res.UnknownUsers)
	if len(res.UnknownUsers) > maxUnknownNamed {
		res.UnknownUsers = res.UnknownUsers[:maxUnknownNamed]
	}
	if res.UnknownItems > 0 {
		c.log.Warn("usage of S3 users no WHMCS client is mapped to: kept in the ledger, not billed until mapped",
			"items", res.UnknownItems, "users", res.UnknownUsers)
	}
	return res, errors.Join(errs...)
}

// stopError ends the run (an injected crash, a cancelled context, a store
// that is gone) rather than just one object.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }

func (c *Collector) inject(p Point, name string) error {
	if c.cfg.Inject == nil {
		return nil
	}
	if err := c.cfg.Inject(p, name); err != nil {
		return &stopError{err}
	}
	return nil
}

// object handles one listed object.
func (c *Collector) object(ctx context.Context, name string, known, unknown map[string]bool, res *Result) error {
	st := c.cfg.Store
	done, err := st.UsageObjectCollected(ctx, name)
	if err != nil {
		return c.fatal(ctx, err)
	}
	if done {
		res.Skipped++
		return c.remove(ctx, name, res)
	}
	hour, err := objectHour(name)
	if err != nil {
		return err
	}
	var header *ostor.UsageHeader
	var n, unknownN uint64
	for attempt := 1; ; attempt++ {
		header, n, unknownN, err = c.ingest(ctx, name, hour, known, unknown)
		if err == nil || attempt >= c.cfg.ObjectAttempts || staas.ErrorCode(err) != staas.EUNAVAILABLE || ctx.Err() != nil {
			break
		}
		var stop *stopError
		if errors.As(err, &stop) {
			break
		}
		c.log.Warn("reading a usage object broke off; reading it again", "object", name, "attempt", attempt, "err", err)
	}
	if staas.ErrorCode(err) == staas.ECONFLICT {
		res.Skipped++ // another collector got there first
		return c.remove(ctx, name, res)
	}
	if err != nil {
		return err
	}
	res.Collected++
	res.Items += n
	res.UnknownItems += unknownN
	if h := header.Start(); !h.IsZero() && h.Unix()/3600 != hour {
		c.log.Warn("a usage object's start_ts is in another hour than its name says; counted in the name's hour",
			"object", name, "start_ts", header.StartTS)
	}
	if err := c.inject(PointCommitted, name); err != nil {
		return err
	}
	return c.remove(ctx, name, res)
}

// ingest reads one object into one transaction and commits it. It returns
// ECONFLICT when another collector recorded the object first.
func (c *Collector) ingest(ctx context.Context, name string, hour int64, known, unknown map[string]bool) (*ostor.UsageHeader, uint64, uint64, error) {
	tx, err := c.cfg.Store.BeginUsageObject(ctx, c.cfg.Cluster, name)
	if err != nil {
		return nil, 0, 0, c.fatal(ctx, err)
	}
	defer tx.Rollback()
	batch := make(map[store.UsageCell]store.UsageCounters, c.cfg.BatchCells)
	var n, unknownN uint64
	flush := func() error {
		if err := tx.Add(ctx, batch); err != nil {
			return err
		}
		clear(batch)
		return c.inject(PointStreaming, name)
	}
	header, err := c.cfg.Gateway.StreamUsageObject(ctx, name, func(it ostor.UsageItem) error {
		n++
		if !known[it.Key.UserID] {
			unknownN++
			if len(unknown) < 1000 {
				unknown[it.Key.UserID] = true
			}
		}
		cell := store.UsageCell{UserID: it.Key.UserID, Bucket: it.Key.Bucket, Hour: hour}
		sum := batch[cell]
		add := store.UsageCounters{Put: it.Ops.Put, Get: it.Ops.Get, List: it.Ops.List, Other: it.Ops.Other,
			Uploaded: it.Uploaded, Downloaded: it.Downloaded}
		if err := sum.Add(add); err != nil {
			return &staas.Error{Code: staas.EINVALID, Err: err, Message: fmt.Sprintf(
				"usage: object %s: the counters of user %s, bucket %q would exceed 2^64-1: refused", name, it.Key.UserID, it.Key.Bucket)}
		}
		batch[cell] = sum
		if len(batch) >= c.cfg.BatchCells {
			return flush()
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	if err := flush(); err != nil {
		return nil, 0, 0, err
	}
	if err := c.inject(PointFetched, name); err != nil {
		return nil, 0, 0, err
	}
	err = tx.Commit(ctx, store.UsageObjectRecord{Name: name, ServiceID: header.ServiceID, StartTS: header.StartTS,
		Period: header.Period, Items: n, UnknownItems: unknownN, CollectedAt: c.cfg.Now()})
	if err != nil {
		return nil, 0, 0, err
	}
	return header, n, unknownN, nil
}

// remove deletes a collected object from the gateway unless objects are
// kept. A failure leaves it for the next run, which finds it recorded and
// only deletes it.
func (c *Collector) remove(ctx context.Context, name string, res *Result) error {
	if c.cfg.KeepObjects {
		return nil
	}
	if err := c.cfg.Gateway.DeleteUsageObject(ctx, name); err != nil {
		if ctx.Err() != nil {
			return &stopError{err}
		}
		return fmt.Errorf("usage: object %s is collected but could not be deleted (the next run deletes it): %w", name, err)
	}
	res.Deleted++
	return c.inject(PointDeleted, name)
}

// fatal turns an error that makes going on pointless (the run's context
// ended, the lease is lost) into one that stops the run.
func (c *Collector) fatal(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &stopError{err}
	}
	return err
}

// objectNamePattern is the documented name of a statistics object:
// s3-usage-<service id>-<start, ms precision, UTC>-<period in seconds>.
var objectNamePattern = regexp.MustCompile(`^s3-usage-[0-9A-Za-z]+-([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)-([0-9]+)$`)

// objectHour is the hour (since the Unix epoch) an object's counters are
// booked in: the hour its name's start time falls in. The name is known
// before the object is read; the header's start_ts may come after the
// items.
func objectHour(name string) (int64, error) {
	m := objectNamePattern.FindStringSubmatch(name)
	if m == nil {
		return 0, staas.Errorf(staas.EINVALID, "usage: object name %q is not s3-usage-<service id>-<start>-<period>: left on the gateway", name)
	}
	t, err := time.Parse("2006-01-02T15:04:05.000Z", m[1])
	if err != nil || t.Unix() < 0 {
		return 0, staas.Errorf(staas.EINVALID, "usage: object name %q has no valid start time: left on the gateway", name)
	}
	if _, err := strconv.ParseUint(m[2], 10, 64); err != nil {
		return 0, staas.Errorf(staas.EINVALID, "usage: object name %q has no valid period: left on the gateway", name)
	}
	return t.Unix() / 3600, nil
}

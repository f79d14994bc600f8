// Package usage turns a storage cluster's statistics objects and bucket
// sizes (ostor's today) into a ledger staas can bill from: traffic per S3 user, bucket and
// hour, counted exactly once, and bucket sizes sampled over time. It also
// answers what a user used over a period (Reader). How the figures are
// made, and which of the gateway's fields are documented and which are
// inferred, is in docs/usage.md.
package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"time"

	"staas"
	"staas/internal/schedule"
	"staas/internal/store"
)

// Backend is what the collector and the sampler need of one cluster's
// storage, in staas's words: its statistics objects, streamed and then
// deleted, and every bucket with its size. *ostor.Client is one.
type Backend interface {
	EachUsageObject(ctx context.Context, fn func(name string) error) error
	StreamUsageObject(ctx context.Context, name string, fn func(staas.UsageItem) error) (*staas.UsageHeader, error)
	DeleteUsageObject(ctx context.Context, name string) error
	Buckets(ctx context.Context) ([]staas.Bucket, error)
}

// Gateway is Backend's older name, kept for Config.Gateway.
type Gateway = Backend

// leaseName is the lease of one cluster's collector or sampler: each
// cluster has its own, so that a slow or unreachable cluster holds up
// nobody else. The default cluster keeps the name it always had.
func leaseName(base, cluster string) string {
	if cluster == "" || cluster == "default" {
		return base
	}
	return base + ":" + cluster
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
	// Owner identifies this process in the lease; default schedule.Owner().
	Owner string
	// LeaseTTL is how long the lease lasts unless renewed; it is renewed
	// every third of it while the collector works. Default 2 minutes.
	LeaseTTL time.Duration
	// BatchCells is how many ledger cells are added up in memory before
	// they are written to the open transaction; it bounds the memory a
	// run takes however large its objects are (roughly 150 bytes a cell).
	// Default 20,000.
	BatchCells int
	// GroupObjects is how many objects at most share one transaction.
	// Their items are added up in memory first, so the cells they share
	// (one user and bucket in one hour, seen by several gateway services
	// and periods) are read and written once. A group that fails is
	// rolled back whole and its objects collected one by one. Default 50;
	// 1 gives every object its own transaction.
	GroupObjects int
	// ObjectAttempts is how often an object whose read broke off is read
	// again within one run; default 3.
	ObjectAttempts int
	Logger         *slog.Logger
	// Observe, when set, is told of every run when it ends (metrics).
	Observe func(Report)
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
		cfg.Owner = schedule.Owner()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 2 * time.Minute
	}
	if cfg.BatchCells <= 0 {
		cfg.BatchCells = 20000
	}
	if cfg.GroupObjects <= 0 {
		cfg.GroupObjects = 50
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
	// Overflows counts the objects refused (and left on the gateway)
	// because a sum would exceed 2^64-1; they are among Failed.
	Overflows int
	// Undated counts the objects left on the gateway, neither booked nor
	// deleted, because neither their name nor their start_ts carries a
	// real time (a name dated 1970: see undatedBefore). UndatedObjects
	// names up to 20 of them. An operator decides what they are worth.
	Undated        int
	UndatedObjects []string
}

// Report is what Config.Observe is told at the end of every run.
type Report struct {
	Result
	Err     error
	Started time.Time     // by Config.Now
	Elapsed time.Duration // by the monotonic clock
}

const maxUnknownNamed = 20

// listBatch is how many listed names are gathered, and sorted by hour,
// before they are collected: objects of one hour from several gateway
// services then share transactions and ledger cells.
const listBatch = 1000

// Run collects every statistics object listed once: each object's counters
// and its name are committed in one transaction, then (unless KeepObjects)
// the object is deleted. Several objects may share a transaction (see
// Config.GroupObjects); they are then committed, or not, together. An
// object already recorded is not counted again; it is only deleted. Errors
// of single objects do not stop the run: they are joined into the error
// returned, and the objects stay on the gateway for the next run. When
// another collector holds the lease, Run returns at once with
// Result.LeaseHeldBy set and no error.
func (c *Collector) Run(ctx context.Context) (res Result, err error) {
	if c.cfg.Observe != nil {
		started, t0 := c.cfg.Now(), time.Now()
		defer func() {
			c.cfg.Observe(Report{Result: res, Err: err, Started: started, Elapsed: time.Since(t0)})
		}()
	}
	ctx, release, holder, err := schedule.Lease{Store: c.cfg.Store, Name: leaseName(schedule.LeaseCollector, c.cfg.Cluster), Owner: c.cfg.Owner, TTL: c.cfg.LeaseTTL, Now: c.cfg.Now, Log: c.log}.Hold(ctx)
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
	r := &run{c: c, known: known, unknown: map[string]bool{}, res: &res,
		agg: make(map[store.UsageCell]store.UsageCounters)}
	var stopped error
	err = c.cfg.Gateway.EachUsageObject(ctx, func(name string) error {
		res.Listed++
		r.pending = append(r.pending, name)
		if len(r.pending) >= listBatch {
			stopped = r.process(ctx)
		}
		return stopped
	})
	if stopped == nil {
		// The names listed before the end (or a listing error).
		if stop := r.process(ctx); stop != nil {
			if err == nil {
				err = stop
			} else {
				r.errs = append(r.errs, stop)
			}
		}
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		r.errs = append(r.errs, err)
	}
	for id := range r.unknown {
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
	return res, errors.Join(r.errs...)
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

// run is the state of one Run.
type run struct {
	c              *Collector
	known, unknown map[string]bool
	res            *Result
	errs           []error
	pending        []string // listed, not yet handled
	// agg adds up the cells of the objects being read; at most
	// Config.BatchCells entries.
	agg map[store.UsageCell]store.UsageCounters
}

// object is a listed object not collected yet.
type object struct {
	name string
	hour int64
}

// member is an object read into a transaction.
type member struct {
	object
	header   *staas.UsageHeader
	items    uint64
	unknownN uint64
}

// fail accounts for an error of one object. A stopError's cause is
// returned, to end the run; any other error is recorded and nil returned.
func (r *run) fail(name string, err error) error {
	if err == nil {
		return nil
	}
	var stop *stopError
	if errors.As(err, &stop) {
		return stop.err
	}
	r.res.Failed++
	if errors.Is(err, store.ErrOverflow) {
		r.res.Overflows++
	}
	r.errs = append(r.errs, err)
	r.c.log.Error("usage object not collected; it stays on the gateway for the next run", "object", name, "err", err)
	return nil
}

// process collects the pending names: those recorded already are only
// deleted; the others are sorted by hour and read in groups.
func (r *run) process(ctx context.Context) error {
	c, st := r.c, r.c.cfg.Store
	names := r.pending
	r.pending = nil
	objs := make([]object, 0, len(names))
	for _, name := range names {
		done, err := st.UsageObjectCollected(ctx, c.cfg.Cluster, name)
		if err != nil {
			if stop := r.fail(name, c.fatal(ctx, err)); stop != nil {
				return stop
			}
			continue
		}
		if done {
			r.res.Skipped++
			if stop := r.fail(name, c.remove(ctx, name, r.res)); stop != nil {
				return stop
			}
			continue
		}
		hour, err := objectHour(name)
		if errors.Is(err, errUndatedName) {
			// The name has no real time: take the hour from start_ts, or
			// leave the object where it is.
			o, stop := r.dateFromHeader(ctx, name)
			if stop != nil {
				return stop
			}
			if o != nil {
				objs = append(objs, *o)
			}
			continue
		}
		if err != nil {
			if stop := r.fail(name, err); stop != nil {
				return stop
			}
			continue
		}
		objs = append(objs, object{name, hour})
	}
	// Names come sorted by service, then time: sorting by hour puts
	// the objects whose items fall in the same cells side by side.
	slices.SortStableFunc(objs, func(a, b object) int { return cmp.Compare(a.hour, b.hour) })
	for len(objs) > 0 {
		members, n, err := r.group(ctx, objs, c.cfg.GroupObjects)
		var stop *stopError
		switch {
		case err == nil:
			if stop := r.committed(ctx, members); stop != nil {
				return stop
			}
		case errors.As(err, &stop):
			return stop.err
		case n == 1:
			if stop := r.single(ctx, objs[0], err); stop != nil {
				return stop
			}
		default:
			// Something went wrong with one of the group's objects:
			// nothing of the group is written. Collect them one by one,
			// so that only the faulty one is left for the next run.
			c.log.Info("collecting a group of usage objects failed; collecting them one by one", "objects", n, "err", err)
			for _, o := range objs[:n] {
				if stop := r.single(ctx, o, nil); stop != nil {
					return stop
				}
			}
		}
		objs = objs[n:]
	}
	return nil
}

// dateFromHeader reads an object whose name carries no real time (dated
// before undatedBefore, in practice the Unix epoch: a gateway service that
// named it before it knew the time) without booking anything, for its
// start_ts. A real start_ts gives the hour to book the object in; without
// one the object is left on the gateway, unbooked and undeleted, and
// reported in Result.Undated. It returns the object to collect, or nil.
func (r *run) dateFromHeader(ctx context.Context, name string) (*object, error) {
	c := r.c
	h, err := c.cfg.Gateway.StreamUsageObject(ctx, name, func(staas.UsageItem) error { return nil })
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, r.fail(name, fmt.Errorf("usage: object %s (its name has no real date): reading its start_ts: %w", name, err))
	}
	if start := h.Start(); !start.Before(undatedBefore) {
		c.log.Warn("a usage object's name has no real date; booked in the hour of its start_ts",
			"object", name, "start_ts", h.StartTS)
		return &object{name, start.Unix() / 3600}, nil
	}
	r.res.Undated++
	if len(r.res.UndatedObjects) < maxUnknownNamed {
		r.res.UndatedObjects = append(r.res.UndatedObjects, name)
	}
	c.log.Warn("a usage object has no real date in its name or its start_ts: left on the gateway, not booked, not deleted",
		"object", name, "start_ts", h.StartTS, "items", h.Count)
	return nil, nil
}

// single collects one object in a transaction of its own, reading it
// again when the read broke off. err, when not nil, is the outcome of a
// first attempt made already.
func (r *run) single(ctx context.Context, o object, err error) error {
	c := r.c
	attempt := 0
	if err != nil {
		attempt = 1
	} else {
		done, err := c.cfg.Store.UsageObjectCollected(ctx, c.cfg.Cluster, o.name)
		if err != nil {
			return r.fail(o.name, c.fatal(ctx, err))
		}
		if done {
			r.res.Skipped++
			return r.fail(o.name, c.remove(ctx, o.name, r.res))
		}
	}
	for {
		if err != nil {
			var stop *stopError
			if errors.As(err, &stop) {
				return stop.err
			}
			if attempt >= c.cfg.ObjectAttempts || staas.ErrorCode(err) != staas.EUNAVAILABLE || ctx.Err() != nil {
				break
			}
			c.log.Warn("reading a usage object broke off; reading it again", "object", o.name, "attempt", attempt, "err", err)
		}
		attempt++
		var members []member
		members, _, err = r.group(ctx, []object{o}, 1)
		if err == nil {
			return r.committed(ctx, members)
		}
	}
	if staas.ErrorCode(err) == staas.ECONFLICT {
		r.res.Skipped++ // another collector got there first
		return r.fail(o.name, c.remove(ctx, o.name, r.res))
	}
	return r.fail(o.name, err)
}

// group reads up to max objects from objs into one transaction and
// commits their counters and names together. It returns the objects
// committed, or how many it tried (n) and why it failed: then nothing of
// them is written. Cells are added up in memory and written when
// BatchCells of them are held (the group then ends with the object being
// read, so that a large object keeps its transaction to itself) and at
// the end.
func (r *run) group(ctx context.Context, objs []object, max int) (members []member, n int, err error) {
	c := r.c
	var tx *store.UsageObjectTx
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	clear(r.agg)
	write := func() error {
		if tx == nil {
			if tx, err = c.cfg.Store.BeginUsageObjects(ctx, c.cfg.Cluster); err != nil {
				return c.fatal(ctx, err)
			}
		}
		if err := tx.Add(ctx, r.agg); err != nil {
			return c.fatal(ctx, err)
		}
		clear(r.agg)
		return nil
	}
	for _, o := range objs[:min(max, len(objs))] {
		n++
		m, err := r.read(ctx, o, func() error {
			if err := write(); err != nil {
				return err
			}
			return c.inject(PointStreaming, o.name)
		})
		if err != nil {
			return nil, n, err
		}
		members = append(members, m)
		if tx != nil {
			break
		}
	}
	if err := write(); err != nil {
		return nil, n, err
	}
	recs := make([]store.UsageObjectRecord, len(members))
	for i, m := range members {
		if err := c.inject(PointFetched, m.name); err != nil {
			return nil, n, err
		}
		recs[i] = store.UsageObjectRecord{Name: m.name, ServiceID: m.header.ServiceID, StartTS: m.header.StartTS,
			Period: m.header.Period, Items: m.items, UnknownItems: m.unknownN, CollectedAt: c.cfg.Now()}
	}
	err = tx.CommitObjects(ctx, recs)
	tx = nil
	if err != nil {
		return nil, n, c.fatal(ctx, err)
	}
	return members, n, nil
}

// read streams one object's items into r.agg, calling spill whenever it
// holds BatchCells cells.
func (r *run) read(ctx context.Context, o object, spill func() error) (member, error) {
	c := r.c
	m := member{object: o}
	var err error
	m.header, err = c.cfg.Gateway.StreamUsageObject(ctx, o.name, func(it staas.UsageItem) error {
		m.items++
		if !r.known[it.Key.UserID] {
			m.unknownN++
			if len(r.unknown) < 1000 {
				r.unknown[it.Key.UserID] = true
			}
		}
		cell := store.UsageCell{UserID: it.Key.UserID, Bucket: it.Key.Bucket, Hour: o.hour}
		sum := r.agg[cell]
		add := store.UsageCounters{Put: it.Ops.Put, Get: it.Ops.Get, List: it.Ops.List, Other: it.Ops.Other,
			Uploaded: it.Uploaded, Downloaded: it.Downloaded}
		if err := sum.Add(add); err != nil {
			return &staas.Error{Code: staas.EINVALID, Err: err, Message: fmt.Sprintf(
				"usage: object %s: the counters of user %s, bucket %q would exceed 2^64-1: refused", o.name, it.Key.UserID, it.Key.Bucket)}
		}
		r.agg[cell] = sum
		if len(r.agg) >= c.cfg.BatchCells {
			return spill()
		}
		return nil
	})
	return m, err
}

// committed accounts for objects whose counters are committed, then
// deletes them from the gateway.
func (r *run) committed(ctx context.Context, members []member) error {
	c, res := r.c, r.res
	for _, m := range members {
		res.Collected++
		res.Items += m.items
		res.UnknownItems += m.unknownN
		if h := m.header.Start(); !h.Before(undatedBefore) && h.Unix()/3600 != m.hour {
			c.log.Warn("a usage object's start_ts is in another hour than its name says; counted in the name's hour",
				"object", m.name, "start_ts", m.header.StartTS)
		}
	}
	for _, m := range members {
		if err := c.inject(PointCommitted, m.name); err != nil {
			return r.fail(m.name, err)
		}
		if stop := r.fail(m.name, c.remove(ctx, m.name, res)); stop != nil {
			return stop
		}
	}
	return nil
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

// undatedBefore: a start time before it is no real time. Names dated
// 1970-01-01 (the Unix epoch, a clock that was not set) are listed by real
// gateways; a public client stops reading the listing at the first of
// them (docs/usage.md, "Objects dated 1970"). ostor's statistics objects
// appear in 2016; 2000 leaves a wide margin.
var undatedBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// errUndatedName: the name is well formed but its start time is before
// undatedBefore.
var errUndatedName = errors.New("usage: the object's name has no real date")

// objectHour is the hour (since the Unix epoch) an object's counters are
// booked in: the hour its name's start time falls in. The name is known
// before the object is read; the header's start_ts may come after the
// items. A name dated before undatedBefore is errUndatedName.
func objectHour(name string) (int64, error) {
	m := objectNamePattern.FindStringSubmatch(name)
	if m == nil {
		return 0, staas.Errorf(staas.EINVALID, "usage: object name %q is not s3-usage-<service id>-<start>-<period>: left on the gateway", name)
	}
	t, err := time.Parse("2006-01-02T15:04:05.000Z", m[1])
	if err != nil {
		return 0, staas.Errorf(staas.EINVALID, "usage: object name %q has no valid start time: left on the gateway", name)
	}
	if t.Before(undatedBefore) {
		return 0, errUndatedName
	}
	if _, err := strconv.ParseUint(m[2], 10, 64); err != nil {
		return 0, staas.Errorf(staas.EINVALID, "usage: object name %q has no valid period: left on the gateway", name)
	}
	return t.Unix() / 3600, nil
}

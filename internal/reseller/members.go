// Package reseller is the domain logic of the reseller portal (issue 12):
// who a reseller's clients are (Members, resolved in WHMCS from the
// reseller's source and cached a short while) and who may log in
// (Auth.Authenticate, with lockout). It reads resellers from the store and
// WHMCS through Clients, declared here and implemented by internal/whmcs.
package reseller

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"staas"
	"staas/internal/store"
)

// Clients is what the portal needs of WHMCS to find a reseller's
// clients. internal/whmcs implements it in both modes: DB and DBBridge
// over WHMCS's database, APIBridge over its External API.
type Clients interface {
	// ClientsInGroup returns the ids of the clients in client group
	// groupID (tblclients.groupid).
	ClientsInGroup(ctx context.Context, groupID int64) ([]int64, error)
	// ClientsWithField returns the ids of the clients whose client
	// custom field named field (or numbered: over the API, only its id
	// names a field) holds value.
	ClientsWithField(ctx context.Context, field, value string) ([]int64, error)
}

// DefaultTTL is how long a reseller's set of clients is used before it
// is read from WHMCS again.
const DefaultTTL = 60 * time.Second

// Set is a reseller's clients as last read from WHMCS. When Stale is
// true, reading them again failed: IDs is the last set read, At says how
// old it is, and it must not be shown as current.
type Set struct {
	IDs   []int64 // sorted
	At    time.Time
	Stale bool
}

// Has says whether clientID is in the set.
func (s Set) Has(clientID int64) bool {
	for _, id := range s.IDs {
		if id == clientID {
			return true
		}
	}
	return false
}

// Age is how old the set is at now.
func (s Set) Age(now time.Time) time.Duration { return now.Sub(s.At) }

// Members resolves resellers' clients, caching each reseller's set for
// TTL so that a client moved out of the group is gone at the next read.
type Members struct {
	clients Clients
	ttl     time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[int64]cached
}

type cached struct {
	source string // the source the set was read for
	set    Set
}

// NewMembers returns a Members over clients; ttl <= 0 is DefaultTTL.
func NewMembers(clients Clients, ttl time.Duration) *Members {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Members{clients: clients, ttl: ttl, now: time.Now, cache: map[int64]cached{}}
}

// Of returns r's clients. A set younger than the TTL is answered from the
// cache; otherwise it is read again. When that read fails, the error is
// returned (EUNAVAILABLE for an outage) together with the last set read
// for the same source, marked Stale with its age in At, or an empty set
// when there is none: never old data as current.
func (m *Members) Of(ctx context.Context, r store.Reseller) (Set, error) {
	now := m.now()
	src := r.Source.String()
	m.mu.Lock()
	c, ok := m.cache[r.ID]
	m.mu.Unlock()
	if ok && c.source == src && now.Sub(c.set.At) < m.ttl {
		return c.set, nil
	}
	ids, err := m.resolve(ctx, r.Source)
	if err != nil {
		if ok && c.source == src {
			last := c.set
			last.Stale = true
			return last, err
		}
		return Set{At: now, Stale: true}, err
	}
	set := Set{IDs: ids, At: now}
	m.mu.Lock()
	m.cache[r.ID] = cached{source: src, set: set}
	m.mu.Unlock()
	return set, nil
}

// Forget drops r's cached set (after its source changed, or it was
// disabled).
func (m *Members) Forget(resellerID int64) {
	m.mu.Lock()
	delete(m.cache, resellerID)
	m.mu.Unlock()
}

func (m *Members) resolve(ctx context.Context, src store.ResellerSource) ([]int64, error) {
	var ids []int64
	var err error
	switch src.Kind {
	case store.SourceIDs:
		return store.ParseClientIDs(src.Value)
	case store.SourceGroup:
		group, perr := strconv.ParseInt(src.Value, 10, 64)
		if perr != nil || group <= 0 {
			return nil, staas.Errorf(staas.EINVALID, "The reseller's group source %q is not a client group id.", src.Value)
		}
		ids, err = m.clients.ClientsInGroup(ctx, group)
	case store.SourceField:
		field, value, ok := strings.Cut(src.Value, "=")
		if !ok || field == "" || value == "" {
			return nil, staas.Errorf(staas.EINVALID, "The reseller's field source %q is not NAME=VALUE.", src.Value)
		}
		ids, err = m.clients.ClientsWithField(ctx, field, value)
	default:
		return nil, staas.Errorf(staas.EINVALID, "The reseller's source kind %q is unknown.", src.Kind)
	}
	if err != nil {
		var se *staas.Error
		if !errors.As(err, &se) {
			err = &staas.Error{Code: staas.EUNAVAILABLE, Message: "WHMCS could not be asked for the reseller's clients; try again in a moment.", Err: err}
		}
		return nil, err
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

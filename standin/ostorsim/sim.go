// Package ostorsim is a stateful, in-memory simulator of the admin API of an
// Acronis/Virtuozzo "ostor" S3 gateway, as described in docs/ostor-api.md,
// and of its S3 data plane: the calls staas makes to purge a bucket
// (s3.go) and, through gofakes3, what real S3 tools need (s3plane.go).
//
// It exists so that the staas clients (internal/ostor, internal/s3data) can
// be tested end to end without a cluster. It deliberately shares no code
// with them: both sides are written from the same document, so a test of
// one against the other is a real cross-check of that document's reading.
//
// Use it as an http.Handler:
//
//	sim, err := ostorsim.New(ostorsim.Options{Seed: 1})
//	srv := httptest.NewServer(sim)     // or http.Server{Handler: sim}
//	creds := sim.SystemCredentials()   // sign requests with these
//
// Besides the HTTP API, the simulator has a driving API (traffic.go, buckets.go,
// objects.go, faults.go) through which tests create buckets, put objects,
// grow buckets, record S3 traffic, move the clock and inject faults.
package ostorsim

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultUsagePeriod = 30 * time.Minute
	DefaultServiceID   = "80000000000000065"
	DefaultRegion      = "us-east-1"
	DefaultSystemEmail = "system@ostorsim.invalid"
)

// DefaultStart is the clock's start when Options.Start is zero and the
// simulator does not follow the wall clock: a fixed date keeps test output
// (names of usage objects, creation dates) reproducible.
var DefaultStart = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// MaxClockSkew is how far a request's Date / X-Amz-Date may be from the
// simulator's clock (S3's RequestTimeTooSkewed window).
const MaxClockSkew = 15 * time.Minute

// Options configure a Sim. The zero value is usable.
type Options struct {
	// Seed makes generated ids, keys and fault decisions reproducible.
	// Zero means "seed from crypto/rand".
	Seed uint64

	// Start sets the simulator's clock. Zero means DefaultStart, or, with
	// WallClock, the wall clock.
	Start time.Time

	// WallClock makes the clock follow time.Now: before each HTTP request the
	// simulator advances itself to the wall clock (closing usage periods on
	// the way). Meant for the standalone `staas sim` server, where real
	// clients sign requests with the real time. The clock never goes back.
	WallClock bool

	// UsagePeriod is the length of a usage-statistics period
	// (DefaultUsagePeriod if zero). Periods start at Start.
	UsagePeriod time.Duration

	// ServiceIDs are the ids of the gateway services that write usage
	// objects; decimal digits only, because the object JSON prints the id as
	// a bare number (lowercase hex digits too with ServiceIDAsString).
	// Default: one service, DefaultServiceID.
	ServiceIDs []string

	// EmptyUsageObjects makes a service write a usage object for a period in
	// which it saw no traffic. By default such periods leave no object.
	EmptyUsageObjects bool

	// Region is the only SigV4 region accepted (DefaultRegion if empty).
	Region string

	// SystemEmail, SystemAccessKey and SystemSecretKey fix the first system
	// user (so that a standalone simulator keeps its keys across restarts);
	// empty fields are generated. A fixed access key need not have the
	// generated shape, only no spaces, ':' or '/', which would break the
	// Authorization header.
	SystemEmail     string
	SystemAccessKey string
	SystemSecretKey string

	// ListUsersWrapped makes GET ?ostor-users answer {"Users":[...]} instead
	// of a bare array (both shapes exist in the wild).
	ListUsersWrapped bool

	// UserSpaceAsSize makes GET ?ostor-users&space answer each user's
	// space as "space":{"current","hmax","h_integral","last_ts"} (a bucket's
	// size block) instead of the default "SpaceStat":{"LastTs","SizeCurr",
	// "SizeHMax","SizeHInt"}, the names a public client decodes from real
	// gateways (docs/ostor-api.md, "ostor-users").
	UserSpaceAsSize bool

	// ServiceIDAsString makes usage objects carry "service_id" as a JSON
	// string ("80000000000000065") instead of the guide's bare number; a
	// public client types the field as a string.
	ServiceIDAsString bool

	// GenKeyAnswer says which pairs a genKey answer lists: the new pair
	// only (the guide's example, the default), or all of the user's (or
	// account's) pairs with the new one first or last, as a gateway might.
	GenKeyAnswer KeyAnswer

	// LimitsDisabled makes GET ?ostor-limits answer 400 "Limits are disabled",
	// as a cluster without limits enabled does.
	LimitsDisabled bool
}

// KeyAnswer is the shape of a genKey answer (Options.GenKeyAnswer).
type KeyAnswer int

const (
	KeyAnswerNewOnly     KeyAnswer = iota // the new pair only
	KeyAnswerAllNewFirst                  // every pair, the new one first
	KeyAnswerAllNewLast                   // every pair, the new one last
)

// Credentials identify a user and one of its key pairs.
type Credentials struct {
	Email     string
	UserID    string
	AccessKey string
	SecretKey string
}

// Sim is the simulator. It is safe for concurrent use; all state lives in
// one struct behind one mutex.
type Sim struct {
	opts     Options
	requests atomic.Int64
	reqSeq   atomic.Uint64

	mu     sync.Mutex
	st     state
	faults faultState
}

// state is everything the simulated cluster knows. Guarded by Sim.mu.
type state struct {
	now time.Time
	rng *mrand.Rand

	users     map[string]*user    // by user id
	userOrder []string            // ids in creation order, the listing order
	byEmail   map[string]string   // email → user id
	keys      map[string]keyOwner // access key id → owner
	buckets   map[string]*bucket  // by name
	epochs    map[string]uint64   // bucket name → epoch of its next creation

	bucketLimits  map[string]*limits            // by bucket name
	bucketQuotas  map[string]uint64             // by bucket name, GB
	defaultQuotas map[string]uint64             // "user"/"bucket" → GB
	settings      map[string]uint64             // ostor-settings by name
	replication   map[string]*replicationConfig // by bucket name

	usage  usageState
	system Credentials
}

// New returns a simulator with one system user (see Options).
func New(opts Options) (*Sim, error) {
	if opts.UsagePeriod < 0 {
		return nil, errors.New("ostorsim: negative UsagePeriod")
	}
	if opts.UsagePeriod == 0 {
		opts.UsagePeriod = DefaultUsagePeriod
	}
	if opts.UsagePeriod%time.Second != 0 {
		// Object names carry the period in whole seconds.
		return nil, errors.New("ostorsim: UsagePeriod must be whole seconds")
	}
	if len(opts.ServiceIDs) == 0 {
		opts.ServiceIDs = []string{DefaultServiceID}
	}
	seen := map[string]bool{}
	for _, id := range opts.ServiceIDs {
		// A bare JSON number holds decimal digits only; as a string the id
		// may have the hex letters the guide's object names show.
		if !isDigits(id) && !(opts.ServiceIDAsString && isLowerHex(id)) {
			return nil, fmt.Errorf("ostorsim: service id %q is not decimal digits (or hex digits with ServiceIDAsString)", id)
		}
		if seen[id] {
			return nil, fmt.Errorf("ostorsim: duplicate service id %q", id)
		}
		seen[id] = true
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.SystemEmail == "" {
		opts.SystemEmail = DefaultSystemEmail
	}
	if opts.Start.IsZero() {
		opts.Start = DefaultStart
		if opts.WallClock {
			opts.Start = time.Now()
		}
	}
	opts.Start = opts.Start.UTC()

	seed := opts.Seed
	if seed == 0 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		seed = binary.LittleEndian.Uint64(b[:])
	}

	s := &Sim{opts: opts}
	s.st = state{
		now:           opts.Start,
		rng:           mrand.New(mrand.NewPCG(seed, 0x6f73746f72)), // "ostor"
		users:         map[string]*user{},
		byEmail:       map[string]string{},
		keys:          map[string]keyOwner{},
		buckets:       map[string]*bucket{},
		epochs:        map[string]uint64{},
		bucketLimits:  map[string]*limits{},
		bucketQuotas:  map[string]uint64{},
		defaultQuotas: map[string]uint64{},
		settings:      defaultSettings(),
		replication:   map[string]*replicationConfig{},
	}
	s.st.usage.init(opts.Start)
	// A separate stream for faults, so that injecting faults does not change
	// the ids and keys a seeded test sees.
	s.faults.rng = mrand.New(mrand.NewPCG(seed, 0x6661756c7473)) // "faults"

	creds, err := s.addSystemUser(opts.SystemEmail, opts.SystemAccessKey, opts.SystemSecretKey)
	if err != nil {
		return nil, err
	}
	s.st.system = creds
	return s, nil
}

// MustNew is New for tests and fixed options: it panics on invalid options.
func MustNew(opts Options) *Sim {
	s, err := New(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// SystemCredentials returns the first system user, created by New.
func (s *Sim) SystemCredentials() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.system
}

// AddSystemUser creates another user with the system flag and one key pair.
func (s *Sim) AddSystemUser(email string) (Credentials, error) {
	return s.addSystemUser(email, "", "")
}

func (s *Sim) addSystemUser(email, accessKey, secretKey string) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.st.createUser(email, true)
	if err != nil {
		return Credentials{}, err
	}
	if accessKey != "" || secretKey != "" {
		if err := s.st.replaceOnlyKey(u, accessKey, secretKey); err != nil {
			return Credentials{}, err
		}
	}
	return Credentials{Email: u.email, UserID: u.id, AccessKey: u.keys[0].AccessKeyID, SecretKey: u.keys[0].SecretAccessKey}, nil
}

// Now returns the simulator's clock.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.now
}

// Advance moves the clock forward by d (negative d is ignored), integrating
// bucket sizes and closing every usage period whose end it passes.
func (s *Sim) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceTo(s.st.now.Add(d))
}

// advanceTo walks the clock period by period so that each closed usage
// object and each bucket integral sees the clock at the period's end.
// Caller holds s.mu.
func (s *Sim) advanceTo(target time.Time) {
	for {
		end := s.st.usage.periodStart.Add(s.opts.UsagePeriod)
		if end.After(target) {
			break
		}
		s.st.moveClock(end)
		s.closePeriod(end)
	}
	s.st.moveClock(target)
}

// followWallClock implements Options.WallClock. Caller holds s.mu.
func (s *Sim) followWallClock() {
	if !s.opts.WallClock {
		return
	}
	if now := time.Now().UTC(); now.After(s.st.now) {
		s.advanceTo(now)
	}
}

// Requests returns how many HTTP requests reached the handler, whatever
// their fate; tests use it to prove that bad input sent nothing.
func (s *Sim) Requests() int64 { return s.requests.Load() }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

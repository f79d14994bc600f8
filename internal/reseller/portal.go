package reseller

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"staas"
	"staas/internal/store"
	"staas/internal/usage"
)

// Accounts is what the portal reads of the store's resellers.
type Accounts interface {
	ResellerByID(ctx context.Context, id int64) (store.Reseller, error)
}

// Mappings lists a client's S3 users (the store's mappings).
type Mappings interface {
	S3UsersOfClient(ctx context.Context, clientID int64) ([]staas.S3User, error)
}

// ServiceFigures are the figures staas already files per service and
// shows in the admin panel's usage history (*usage.Figures), read per S3
// user so that a client-level user, which no service names, has them too.
type ServiceFigures interface {
	UserUpdate(ctx context.Context, u staas.S3User, month time.Time) (*usage.ServiceUpdate, error)
	UserDaily(ctx context.Context, cluster, userID string, from, to time.Time) ([]usage.Day, error)
	UserTotals(ctx context.Context, cluster, userID string, from, to time.Time) (*usage.Totals, error)
}

// Plans reads the WHMCS product name of each service, in one batch
// (internal/whmcs's DBBridge or APIBridge); a service WHMCS has no product for is
// absent from the map.
type Plans interface {
	ServicePlans(ctx context.Context, serviceIDs []int64) (map[int64]string, error)
}

// Names reads a client's name in WHMCS (internal/whmcs's DBBridge, or
// APIBridge.PortalNames over the API).
type Names interface {
	Client(ctx context.Context, id int64) (*staas.Client, error)
}

// Portal answers the reseller portal's pages, read-only, and only ever
// about the reseller's own clients: anything else is ENOTFOUND, never
// data.
type Portal struct {
	Accounts Accounts
	Members  *Members
	Mappings Mappings
	Figures  ServiceFigures
	Names    Names            // nil: rows carry no client name
	Plans    Plans            // nil: rows carry no plan name
	Now      func() time.Time // nil: time.Now
	// RequestsReported says whether a cluster's backend reports requests
	// by class (ostor's statistics objects do, ECS does not); nil: all do.
	RequestsReported func(cluster string) bool
}

// Row is one S3 service of one of the reseller's clients.
type Row struct {
	ClientID     int64
	ClientName   string // the company, or first and last name; "" when WHMCS could not say
	ServiceID    int64
	Status       string    // "active" or "orphaned" (the WHMCS client was deleted)
	StoredBytes  uint64    // at the latest sampling
	QuotaGB      uint64    // 0: none, or the gateway could not say
	EgressBytes  uint64    // the calendar month asked for (UTC)
	IngressBytes uint64    // the same month
	Buckets      int       // buckets with usage in the month
	SampledAt    time.Time // the latest sampling of StoredBytes; zero: never
	Failed       bool      // the figures could not be read
	// Plan is the service's WHMCS product name; "" for a client-level
	// user (ServiceID 0) or when WHMCS could not say.
	Plan string
	// Requests are the month's requests by class; RequestsReported is
	// false when the user's cluster does not count them (then they are
	// zero, and not a figure).
	Requests         usage.Traffic
	RequestsReported bool
	GBMonths         float64           // the month's storage, decimal GB-months
	BucketsNow       []usage.BucketNow // each bucket's size at the latest sampling

	user staas.S3User // whose figures these are, for the client page
}

// ClientLevel says whether the row is the client's client-level S3 user
// (created in the admin panel), which no WHMCS service names.
func (r Row) ClientLevel() bool { return r.ServiceID == 0 }

// TopBucket is one of the reseller's largest buckets.
type TopBucket struct {
	ClientID   int64
	ClientName string
	ServiceID  int64 // 0: the client-level user's
	Bucket     string
	Bytes      uint64 // at the latest sampling
}

// TopBuckets is how many buckets the summary's top list has.
const TopBuckets = 10

// Summary is the reseller's page: its clients' services. When WHMCS
// could not be asked, Stale is set, Err says why and Since is the age of
// the client set the rows come from.
type Summary struct {
	Name    string
	Email   string
	Clients []int64
	Rows    []Row
	Top     []TopBucket // the largest buckets of all rows, at most TopBuckets
	Stale   bool
	Since   time.Time
	Err     error
}

func (p *Portal) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// account reads the reseller of a session: a disabled or deleted one is
// EFORBIDDEN, so its session ends at its next request.
func (p *Portal) account(ctx context.Context, resellerID int64) (store.Reseller, error) {
	r, err := p.Accounts.ResellerByID(ctx, resellerID)
	if staas.ErrorCode(err) == staas.ENOTFOUND || (err == nil && r.State != store.ResellerActive) {
		return store.Reseller{}, staas.Errorf(staas.EFORBIDDEN, "This reseller account is disabled.")
	}
	return r, err
}

// Summary returns the reseller's clients' S3 services and their figures
// for the current calendar month (UTC).
func (p *Portal) Summary(ctx context.Context, resellerID int64) (Summary, error) {
	return p.SummaryOf(ctx, resellerID, p.Month(0))
}

// Month is the first instant (UTC) of the calendar month back months
// before the current one: 0 this month, 1 last month.
func (p *Portal) Month(back int) time.Time {
	now := p.now().UTC()
	return time.Date(now.Year(), now.Month()-time.Month(back), 1, 0, 0, 0, 0, time.UTC)
}

// SummaryOf is Summary with the egress of the calendar month that begins
// at month (UTC).
func (p *Portal) SummaryOf(ctx context.Context, resellerID int64, month time.Time) (Summary, error) {
	r, err := p.account(ctx, resellerID)
	if err != nil {
		return Summary{}, err
	}
	set, merr := p.Members.Of(ctx, r)
	s := Summary{Name: r.Name, Email: r.Email, Clients: set.IDs, Stale: set.Stale, Since: set.At, Err: merr}
	s.Rows = make([]Row, 0, len(set.IDs)) // most clients have one user
	for _, client := range set.IDs {
		rows, err := p.clientRows(ctx, client, month)
		if err != nil {
			return Summary{}, err
		}
		s.Rows = append(s.Rows, rows...)
	}
	p.plans(ctx, s.Rows)
	s.Top = topBuckets(s.Rows, TopBuckets)
	return s, nil
}

// topBuckets are the n largest buckets of rows, largest first (ties by
// client, service and name, so the list is stable); empty buckets are
// left out.
func topBuckets(rows []Row, n int) []TopBucket {
	// A bounded selection: the n best so far, kept sorted; a bucket
	// not larger than the last of them is passed over at once.
	less := func(a, b TopBucket) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.ServiceID, b.ServiceID), cmp.Compare(a.Bucket, b.Bucket))
	}
	top := make([]TopBucket, 0, n+1)
	for _, r := range rows {
		for _, b := range r.BucketsNow {
			if b.Bytes == 0 || (len(top) == n && b.Bytes < top[n-1].Bytes) {
				continue
			}
			t := TopBucket{ClientID: r.ClientID, ClientName: r.ClientName, ServiceID: r.ServiceID, Bucket: b.Bucket, Bytes: b.Bytes}
			i, _ := slices.BinarySearchFunc(top, t, less)
			if i >= n {
				continue
			}
			top = slices.Insert(top, i, t)
			if len(top) > n {
				top = top[:n]
			}
		}
	}
	return top
}

// plans names each row's WHMCS product in one batch; a failed read
// leaves the names empty (shown as unknown), never stops the page.
func (p *Portal) plans(ctx context.Context, rows []Row) {
	if p.Plans == nil {
		return
	}
	var ids []int64
	for _, r := range rows {
		if r.ServiceID > 0 {
			ids = append(ids, r.ServiceID)
		}
	}
	if len(ids) == 0 {
		return
	}
	names, err := p.Plans.ServicePlans(ctx, ids)
	if err != nil {
		return
	}
	for i := range rows {
		rows[i].Plan = names[rows[i].ServiceID]
	}
}

// Client returns one client's services, ENOTFOUND unless the client is
// the reseller's by a current (not stale) set.
func (p *Portal) Client(ctx context.Context, resellerID, clientID int64) ([]Row, error) {
	_, rows, err := p.client(ctx, resellerID, clientID)
	return rows, err
}

func (p *Portal) client(ctx context.Context, resellerID, clientID int64) (store.Reseller, []Row, error) {
	r, err := p.owns(ctx, resellerID, clientID)
	if err != nil {
		return store.Reseller{}, nil, err
	}
	rows, err := p.clientRows(ctx, clientID, p.Month(0))
	if err != nil {
		return store.Reseller{}, nil, err
	}
	p.plans(ctx, rows)
	return r, rows, nil
}

// UserUsage is one S3 user's figures over a client page's period: each
// day and the totals with their per-bucket breakdown, as the admin
// panel's usage history reads them.
type UserUsage struct {
	Row
	Days   []usage.Day
	Totals *usage.Totals
}

// ClientDetail is a client's page: its services with their usage over
// [From, To).
type ClientDetail struct {
	Reseller   string // the reseller's name
	ClientID   int64
	ClientName string
	From, To   time.Time
	Users      []UserUsage
}

// ClientUsage returns a client's services with their daily usage over
// [from, to), ENOTFOUND unless the client is the reseller's by a current
// set; with serviceID >= 0 only that service (0: the client-level user),
// ENOTFOUND when the client has no such service.
func (p *Portal) ClientUsage(ctx context.Context, resellerID, clientID, serviceID int64, from, to time.Time) (ClientDetail, error) {
	r, rows, err := p.client(ctx, resellerID, clientID)
	if err != nil {
		return ClientDetail{}, err
	}
	d := ClientDetail{Reseller: r.Name, ClientID: clientID, From: from, To: to}
	for _, r := range rows {
		d.ClientName = r.ClientName
		if serviceID >= 0 && r.ServiceID != serviceID {
			continue
		}
		uu := UserUsage{Row: r}
		if !r.Failed {
			if uu.Days, err = p.Figures.UserDaily(ctx, r.user.Cluster, r.user.UserID, from, to); err != nil {
				return ClientDetail{}, err
			}
			if uu.Totals, err = p.Figures.UserTotals(ctx, r.user.Cluster, r.user.UserID, from, to); err != nil {
				return ClientDetail{}, err
			}
		}
		d.Users = append(d.Users, uu)
	}
	if serviceID >= 0 && len(d.Users) == 0 {
		return ClientDetail{}, notFound()
	}
	return d, nil
}

// Service returns one service, ENOTFOUND unless it belongs to one of the
// reseller's clients by a current set.
func (p *Portal) Service(ctx context.Context, resellerID, clientID, serviceID int64) (Row, error) {
	rows, err := p.Client(ctx, resellerID, clientID)
	if err != nil {
		return Row{}, err
	}
	for _, row := range rows {
		if row.ServiceID == serviceID {
			return row, nil
		}
	}
	return Row{}, notFound()
}

func notFound() error { return staas.Errorf(staas.ENOTFOUND, "Not found.") }

func (p *Portal) owns(ctx context.Context, resellerID, clientID int64) (store.Reseller, error) {
	r, err := p.account(ctx, resellerID)
	if err != nil {
		return store.Reseller{}, err
	}
	set, err := p.Members.Of(ctx, r)
	if err != nil {
		return store.Reseller{}, err // stale: no answer from an old set
	}
	if clientID <= 0 || !set.Has(clientID) {
		return store.Reseller{}, notFound()
	}
	return r, nil
}

func (p *Portal) clientRows(ctx context.Context, clientID int64, month time.Time) ([]Row, error) {
	users, err := p.Mappings.S3UsersOfClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	name := p.clientName(ctx, clientID)
	var rows []Row
	// The client-level user (ServiceID 0, created in the admin panel)
	// is the client's storage as much as a service's: a reseller whose
	// provider provisions from the admin panel sees it too, with the same
	// figures the admin panel's usage history shows.
	for _, u := range users {
		row := Row{ClientID: clientID, ClientName: name, ServiceID: u.ServiceID, Status: "active", user: u,
			RequestsReported: p.RequestsReported == nil || p.RequestsReported(u.Cluster)}
		if !u.OrphanedAt.IsZero() {
			row.Status = "orphaned"
		}
		f, err := p.Figures.UserUpdate(ctx, u, month)
		switch {
		case err != nil:
			row.Failed = true
		case f != nil:
			row.StoredBytes, row.QuotaGB, row.EgressBytes = f.StoredBytes, f.QuotaGB, f.DownloadedBytes
			row.IngressBytes, row.Buckets, row.SampledAt = f.UploadedBytes, f.Buckets, f.SampledAt
			row.Requests, row.GBMonths, row.BucketsNow = f.Requests, f.GBMonths, f.BucketsNow
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// clientName is the client's company, or its first and last name; ""
// without Names or when WHMCS could not say (the id is still shown).
func (p *Portal) clientName(ctx context.Context, clientID int64) string {
	if p.Names == nil {
		return ""
	}
	c, err := p.Names.Client(ctx, clientID)
	if err != nil || c == nil {
		return ""
	}
	if c.CompanyName != "" {
		return c.CompanyName
	}
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

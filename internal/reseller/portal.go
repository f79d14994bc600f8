package reseller

import (
	"context"
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

// ServiceFigures are the figures staas already files per service
// (*usage.Figures).
type ServiceFigures interface {
	ServiceUpdate(ctx context.Context, serviceID int64, month time.Time) (*usage.ServiceUpdate, error)
}

// Names reads a client's name in WHMCS (internal/whmcs's DBBridge).
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
	Now      func() time.Time // nil: time.Now
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
}

// Summary is the reseller's page: its clients' services. When WHMCS
// could not be asked, Stale is set, Err says why and Since is the age of
// the client set the rows come from.
type Summary struct {
	Name    string
	Email   string
	Clients []int64
	Rows    []Row
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
	for _, client := range set.IDs {
		rows, err := p.clientRows(ctx, client, month)
		if err != nil {
			return Summary{}, err
		}
		s.Rows = append(s.Rows, rows...)
	}
	return s, nil
}

// Client returns one client's services, ENOTFOUND unless the client is
// the reseller's by a current (not stale) set.
func (p *Portal) Client(ctx context.Context, resellerID, clientID int64) ([]Row, error) {
	if err := p.owns(ctx, resellerID, clientID); err != nil {
		return nil, err
	}
	return p.clientRows(ctx, clientID, p.Month(0))
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

func (p *Portal) owns(ctx context.Context, resellerID, clientID int64) error {
	r, err := p.account(ctx, resellerID)
	if err != nil {
		return err
	}
	set, err := p.Members.Of(ctx, r)
	if err != nil {
		return err // stale: no answer from an old set
	}
	if clientID <= 0 || !set.Has(clientID) {
		return notFound()
	}
	return nil
}

func (p *Portal) clientRows(ctx context.Context, clientID int64, month time.Time) ([]Row, error) {
	users, err := p.Mappings.S3UsersOfClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	name := p.clientName(ctx, clientID)
	var rows []Row
	for _, u := range users {
		if u.ServiceID == 0 { // the admin panel's client-level user: no service
			continue
		}
		row := Row{ClientID: clientID, ClientName: name, ServiceID: u.ServiceID, Status: "active"}
		if !u.OrphanedAt.IsZero() {
			row.Status = "orphaned"
		}
		f, err := p.Figures.ServiceUpdate(ctx, u.ServiceID, month)
		switch {
		case err != nil:
			row.Failed = true
		case f != nil:
			row.StoredBytes, row.QuotaGB, row.EgressBytes = f.StoredBytes, f.QuotaGB, f.DownloadedBytes
			row.IngressBytes, row.Buckets, row.SampledAt = f.UploadedBytes, f.Buckets, f.SampledAt
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

package reseller

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/store"
	"staas/internal/usage"
)

type fakeAccounts map[int64]store.Reseller

func (f fakeAccounts) ResellerByID(_ context.Context, id int64) (store.Reseller, error) {
	if r, ok := f[id]; ok {
		return r, nil
	}
	return store.Reseller{}, staas.Errorf(staas.ENOTFOUND, "No such reseller.")
}

type fakeMappings map[int64][]staas.S3User

func (f fakeMappings) S3UsersOfClient(_ context.Context, client int64) ([]staas.S3User, error) {
	return f[client], nil
}

type fakeFigures map[int64]usage.ServiceUpdate

func (f fakeFigures) UserUpdate(_ context.Context, su staas.S3User, _ time.Time) (*usage.ServiceUpdate, error) {
	if u, ok := f[su.ServiceID]; ok {
		return &u, nil
	}
	return nil, nil
}

func (f fakeFigures) UserDaily(_ context.Context, _, user string, from, to time.Time) ([]usage.Day, error) {
	return []usage.Day{{Date: from, Traffic: usage.Traffic{Downloaded: uint64(len(user))}}}, nil
}

func (f fakeFigures) UserTotals(_ context.Context, _, user string, from, to time.Time) (*usage.Totals, error) {
	return &usage.Totals{UserID: user, From: from, To: to, Buckets: []usage.BucketTotals{{Bucket: user + "-bucket"}}}, nil
}

// portalWorld: reseller 1 has clients 1 and 2 (services 11, 21), reseller
// 2 has client 3 (service 31); client 4 (service 41) is nobody's.
func portalWorld() (*Portal, *fakeClients, fakeAccounts) {
	acc := fakeAccounts{
		1: {ID: 1, Name: "Acme", Email: "a@acme.example", State: store.ResellerActive, Source: store.ResellerSource{Kind: store.SourceGroup, Value: "5"}},
		2: {ID: 2, Name: "Beta", Email: "b@beta.example", State: store.ResellerActive, Source: store.ResellerSource{Kind: store.SourceIDs, Value: "3"}},
	}
	wc := &fakeClients{groups: map[int64][]int64{5: {1, 2}}}
	maps := fakeMappings{
		1: {{ClientID: 1, ServiceID: 11, UserID: "u11"}, {ClientID: 1, ServiceID: 0, UserID: "panel"}},
		2: {{ClientID: 2, ServiceID: 21, UserID: "u21", OrphanedAt: time.Unix(1, 0)}},
		3: {{ClientID: 3, ServiceID: 31, UserID: "u31"}},
		4: {{ClientID: 4, ServiceID: 41, UserID: "u41"}},
	}
	figs := fakeFigures{11: {ServiceID: 11, StoredBytes: 100, QuotaGB: 5, DownloadedBytes: 7, BucketsNow: []usage.BucketNow{{Bucket: "b11", Bytes: 100}}},
		31: {ServiceID: 31, StoredBytes: 300}, 0: {StoredBytes: 50, BucketsNow: []usage.BucketNow{{Bucket: "panel-b", Bytes: 50}, {Bucket: "empty"}}}}
	return &Portal{Accounts: acc, Members: NewMembers(wc, 0), Mappings: maps, Figures: figs}, wc, acc
}

func TestPortalSummary(t *testing.T) {
	ctx := context.Background()
	p, wc, acc := portalWorld()
	s, err := p.Summary(ctx, 1)
	if err != nil || s.Err != nil || s.Stale || len(s.Rows) != 3 {
		t.Fatalf("summary %+v %v", s, err)
	}
	if r := s.Rows[0]; r.ServiceID != 11 || r.StoredBytes != 100 || r.QuotaGB != 5 || r.EgressBytes != 7 || r.Status != "active" {
		t.Fatalf("row %+v", r)
	}
	// The client-level user of the admin panel is the client's storage
	// too: a row without a service.
	if r := s.Rows[1]; !r.ClientLevel() || r.ClientID != 1 || r.StoredBytes != 50 {
		t.Fatalf("row %+v", r)
	}
	if r := s.Rows[2]; r.ServiceID != 21 || r.Status != "orphaned" {
		t.Fatalf("row %+v", r)
	}
	// Top buckets: largest first, empty ones left out.
	if len(s.Top) != 2 || s.Top[0].Bucket != "b11" || s.Top[1].Bucket != "panel-b" || s.Top[1].ServiceID != 0 {
		t.Fatalf("top buckets %+v", s.Top)
	}

	// WHMCS away after the TTL: the last set, flagged stale, and the
	// error; single clients are not answered from it.
	now := time.Now().Add(2 * DefaultTTL)
	p.Members.now = func() time.Time { return now }
	wc.err = context.DeadlineExceeded
	s, err = p.Summary(ctx, 1)
	if err != nil || s.Err == nil || !s.Stale || len(s.Rows) != 3 {
		t.Fatalf("stale summary %+v %v", s, err)
	}
	if _, err := p.Client(ctx, 1, 1); err == nil {
		t.Fatal("a client was answered from a stale set")
	}
	wc.err = nil

	// A disabled reseller's session ends.
	r := acc[1]
	r.State = store.ResellerDisabled
	acc[1] = r
	if _, err := p.Summary(ctx, 1); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Fatalf("disabled: %v", err)
	}
	if _, err := p.Summary(ctx, 99); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Fatalf("unknown reseller: %v", err)
	}
}

// TestPortalIsolation: each reseller asks for every client and service
// of the other and of nobody: not found, never data.
func TestPortalIsolation(t *testing.T) {
	ctx := context.Background()
	p, _, _ := portalWorld()
	own := map[int64][]int64{1: {1, 2}, 2: {3}}
	services := map[int64]int64{1: 11, 2: 21, 3: 31, 4: 41}
	for reseller, clients := range own {
		mine := map[int64]bool{}
		for _, c := range clients {
			mine[c] = true
		}
		for client, service := range services {
			rows, cerr := p.Client(ctx, reseller, client)
			row, serr := p.Service(ctx, reseller, client, service)
			if mine[client] {
				if cerr != nil || serr != nil || row.ServiceID != service {
					t.Errorf("reseller %d, own client %d: %v %v %+v", reseller, client, cerr, serr, row)
				}
				continue
			}
			if staas.ErrorCode(cerr) != staas.ENOTFOUND || rows != nil || staas.ErrorCode(serr) != staas.ENOTFOUND || row.ClientID != 0 {
				t.Errorf("reseller %d saw client %d: %v %+v / %v %+v", reseller, client, cerr, rows, serr, row)
			}
		}
		// Someone else's service under one's own client id.
		for _, svc := range []int64{31, 41, 11} {
			row, err := p.Service(ctx, reseller, clients[0], svc)
			if owned := (reseller == 1 && svc == 11) || (reseller == 2 && svc == 31); !owned && (staas.ErrorCode(err) != staas.ENOTFOUND || row.ClientID != 0) {
				t.Errorf("reseller %d saw service %d under client %d: %v %+v", reseller, svc, clients[0], err, row)
			}
		}
		// The client page with its usage, whole or one service.
		for client, service := range services {
			for _, svc := range []int64{-1, 0, service, 31, 41, 999} {
				d, err := p.ClientUsage(ctx, reseller, client, svc, time.Now().Add(-time.Hour), time.Now())
				own := mine[client] && (svc == -1 || svc == service || (client == 1 && svc == 0))
				if own != (err == nil) || (!own && (d.ClientID != 0 || d.Users != nil)) {
					t.Errorf("reseller %d, client %d, service %d: %v %+v", reseller, client, svc, err, d)
				}
			}
		}
		s, err := p.Summary(ctx, reseller)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range s.Top {
			if !mine[r.ClientID] {
				t.Errorf("reseller %d's top buckets hold client %d", reseller, r.ClientID)
			}
		}
		for _, r := range s.Rows {
			if !mine[r.ClientID] {
				t.Errorf("reseller %d's summary holds client %d", reseller, r.ClientID)
			}
		}
	}
}

// topBuckets keeps the n largest, largest first, ties in client, service
// and name order, empty buckets out — whatever order the rows come in.
func TestTopBuckets(t *testing.T) {
	var rows []Row
	for c := int64(30); c >= 1; c-- {
		rows = append(rows, Row{ClientID: c, ServiceID: c * 10, BucketsNow: []usage.BucketNow{
			{Bucket: "b", Bytes: uint64(c%7) * 100}, {Bucket: "a", Bytes: uint64(c%7) * 100}, {Bucket: "zero"}}})
	}
	got := topBuckets(rows, 10)
	var names []string
	for _, b := range got {
		names = append(names, strconv.FormatInt(b.ClientID, 10)+b.Bucket+":"+strconv.FormatUint(b.Bytes, 10))
	}
	want := "6a:600 6b:600 13a:600 13b:600 20a:600 20b:600 27a:600 27b:600 5a:500 5b:500"
	if strings.Join(names, " ") != want {
		t.Errorf("top %s\nwant %s", strings.Join(names, " "), want)
	}
	if len(topBuckets(rows[:1], 10)) != 2 || len(topBuckets(nil, 10)) != 0 {
		t.Error("fewer buckets than the list's length")
	}
}

package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// seedLedger adds downloaded bytes to a user's ledger cells, one object.
func seedLedger(t *testing.T, st *store.Store, name string, cells map[store.UsageCell]uint64) {
	t.Helper()
	ctx := context.Background()
	tx, err := st.BeginUsageObject(ctx, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	add := map[store.UsageCell]store.UsageCounters{}
	for c, down := range cells {
		add[c] = store.UsageCounters{Get: 1, Downloaded: down, Uploaded: 7 << 20}
	}
	if err := tx.Add(ctx, add); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(ctx, store.UsageObjectRecord{Name: name, ServiceID: "1", Period: 3600, CollectedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// usageCall posts a UsageRequest for ids, signed, to fn (usage-update or
// metrics) and decodes the answer into res.
func (a *app) usageCall(fn string, res any, ids ...int64) int {
	a.t.Helper()
	body, _ := json.Marshal(whmcsbridge.UsageRequest{ServerID: 1, ServiceIDs: ids})
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+whmcsbridge.ModulePath(fn), bytes.NewReader(body))
	if err := whmcsbridge.SignRequest(req, testSecret, time.Now(), body); err != nil {
		a.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, res); err != nil {
		a.t.Fatalf("%s: %v", raw, err)
	}
	return resp.StatusCode
}

// usageUpdate posts usage-update and returns the figures by service id.
func (a *app) usageUpdate(ids ...int64) (int, map[int64]whmcsbridge.ServiceUsage, []int64) {
	a.t.Helper()
	var res whmcsbridge.UsageResponse
	status := a.usageCall(whmcsbridge.FuncUsageUpdate, &res, ids...)
	out := map[int64]whmcsbridge.ServiceUsage{}
	var order []int64
	for _, s := range res.Services {
		out[s.ServiceID] = s
		order = append(order, s.ServiceID)
	}
	return status, out, order
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestUsageUpdate_FiguresFromTheLedger seeds known storage samples and
// traffic and checks each figure WHMCS files: MB rounded up, the month's
// egress only, the quota, the 2^31-1 cap, unknown services left out.
func TestUsageUpdate_FiguresFromTheLedger(t *testing.T) {
	logs := &syncBuffer{}
	a := newModuleApp(t, func(w *testworld.World, d *handlers.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(logs, nil))
		d.Usage = &usage.Figures{Reader: &usage.Reader{Store: w.Store}, Services: w.Store, Quotas: w.Registry, Log: d.Logger}
	})
	ctx := context.Background()
	alice := a.create()
	bobReq := moduleReq(nil)
	bobReq.ServiceID, bobReq.ClientID, bobReq.ClientEmail = 77, 2, "bob@example.com"
	bobReq.Config.QuotaGB = ""
	a.module(whmcsbridge.FuncCreate, bobReq)
	bob := a.s3User("bob+s3-77@example.com")

	// Storage: Alice's two buckets sum to 5 GiB and 1 byte at the
	// latest run (an older, larger sample does not count); Bob holds
	// more than 2^31-1 MB.
	now := time.Now().UTC()
	earlier, latest := now.Add(-2*time.Hour).Truncate(time.Second), now.Add(-time.Hour).Truncate(time.Second)
	if _, err := a.Store.RecordStorageSamples(ctx, "default", earlier, []store.StorageSample{
		{UserID: alice.ID, Bucket: "a-one", Current: 50 << 30},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.RecordStorageSamples(ctx, "default", latest, []store.StorageSample{
		{UserID: alice.ID, Bucket: "a-one", Current: 4 << 30},
		{UserID: alice.ID, Bucket: "a-two", Current: 1<<30 + 1},
		{UserID: bob.ID, Bucket: "b-big", Current: 1 << 62},
	}); err != nil {
		t.Fatal(err)
	}
	// Traffic: this month's egress counts, last month's does not.
	thisHour := now.Unix() / 3600
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	lastMonth := month.Add(-time.Hour).Unix() / 3600
	seedLedger(t, a.Store, "obj-1", map[store.UsageCell]uint64{
		{UserID: alice.ID, Bucket: "a-one", Hour: thisHour}:            3 << 20,
		{UserID: alice.ID, Bucket: "a-two", Hour: month.Unix() / 3600}: 1,
		{UserID: alice.ID, Bucket: "a-one", Hour: lastMonth}:           900 << 20,
		{UserID: bob.ID, Bucket: "b-big", Hour: thisHour}:              1 << 60,
	})

	status, got, order := a.usageUpdate(aliceService, 999, 77, aliceService)
	if status != http.StatusOK {
		t.Fatalf("usage-update: %d", status)
	}
	if len(got) != 2 || len(order) != 2 || order[0] != aliceService || order[1] != 77 {
		t.Errorf("services answered %v, want 1234 and 77 once each, in the order asked, and not the unknown 999", order)
	}
	want := whmcsbridge.ServiceUsage{ServiceID: aliceService, DiskMB: 5*1024 + 1, DiskLimitMB: 100 * 1024, BWMB: 3 + 1}
	if got[aliceService] != want {
		t.Errorf("Alice's figures %+v, want %+v", got[aliceService], want)
	}
	wantBob := whmcsbridge.ServiceUsage{ServiceID: 77, DiskMB: whmcsbridge.MaxUsageMB, DiskLimitMB: 0, BWMB: whmcsbridge.MaxUsageMB}
	if got[77] != wantBob {
		t.Errorf("Bob's figures %+v, want %+v (capped, no quota)", got[77], wantBob)
	}

	// A quota the gateway cannot read leaves disk_limit_mb 0, logged;
	// the ledger's figures are still filed.
	a.Sim.SetFaults(ostorsim.Faults{Burst5xx: 4})
	status, got, _ = a.usageUpdate(aliceService)
	if status != http.StatusOK || got[aliceService].DiskMB != 5*1024+1 || got[aliceService].DiskLimitMB != 0 {
		t.Errorf("with the gateway failing: %d %+v", status, got)
	}
	if !strings.Contains(logs.String(), "quota not read") {
		t.Errorf("the failed quota read is not logged:\n%s", logs.String())
	}

	// Only quota reads reach the gateway: one per known service.
	a.Sim.SetFaults(ostorsim.Faults{})
	before := a.Sim.Requests()
	a.usageUpdate(aliceService, 77, 555)
	if n := a.Sim.Requests() - before; n != 2 {
		t.Errorf("%d gateway requests for two known services, want 2 quota reads", n)
	}

	// Nothing known, nothing answered; a bad id is refused.
	if status, got, _ := a.usageUpdate(555); status != http.StatusOK || len(got) != 0 {
		t.Errorf("unknown services only: %d %v", status, got)
	}
	if status, _, _ := a.usageUpdate(0); status != http.StatusBadRequest {
		t.Errorf("service id 0: %d", status)
	}
	if _, err := a.Gateway.User(ctx, ostor.ByEmail(aliceS3Email)); err != nil {
		t.Fatal(err)
	}
}

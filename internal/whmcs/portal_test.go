package whmcs

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/standin/whmcssim"
)

// portalReads is what the reseller portal reads of WHMCS (reseller.Clients
// and reseller.Plans), which both bridges answer.
type portalReads interface {
	ClientsInGroup(ctx context.Context, groupID int64) ([]int64, error)
	ClientsWithField(ctx context.Context, field, value string) ([]int64, error)
	ServicePlans(ctx context.Context, ids []int64) (map[int64]string, error)
}

var (
	_ portalReads = (*DBBridge)(nil)
	_ portalReads = (*APIBridge)(nil)
)

// portalModes are the two ways staas reaches WHMCS, over one stand-in
// database opened by open: its tables (mysql mode) and its External API
// (api mode), the stand-in's API served on 127.0.0.1 over the same
// tables.
func portalModes(open func(*testing.T) *sql.DB) map[string]func(*testing.T) (portalReads, *sql.DB) {
	return map[string]func(*testing.T) (portalReads, *sql.DB){
		ModeMySQL: func(t *testing.T) (portalReads, *sql.DB) {
			db := open(t)
			return NewDBBridge(NewDB(db)), db
		},
		ModeAPI: func(t *testing.T) (portalReads, *sql.DB) {
			db := open(t)
			srv := httptest.NewServer(whmcssim.NewAPI(db, whmcssim.Credentials{Identifier: testIdentifier, Secret: testAPISecret, AccessKey: testAccessKey}))
			t.Cleanup(srv.Close)
			return NewAPIBridge(testAPIClient(t, srv.URL+whmcssim.APIPath, nil)), db
		},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The reseller portal's sources read the same clients and plans in both
// modes, and a client moved out of a group is gone at the next read; on
// SQLite (the demo's WHMCS) and on MariaDB (a real WHMCS's).
func TestPortalReads_BothModes(t *testing.T) { testPortalReads(t, whmcsDB) }

func TestPortalReads_BothModesMariaDB(t *testing.T) {
	testPortalReads(t, func(t *testing.T) *sql.DB { return openMariaDB(t).db })
}

func testPortalReads(t *testing.T, openDB func(*testing.T) *sql.DB) {
	ctx := context.Background()
	for mode, open := range portalModes(openDB) {
		t.Run(mode, func(t *testing.T) {
			b, db := open(t)
			must(t, whmcssim.SetClientGroup(ctx, db, 7, 3))
			must(t, whmcssim.SetClientGroup(ctx, db, 1, 3))
			must(t, whmcssim.SetClientGroup(ctx, db, 2, 4))
			must(t, whmcssim.SetClientField(ctx, db, 2, "Reseller|Reseller name", "acme"))
			must(t, whmcssim.SetClientField(ctx, db, 7, "Reseller|Reseller name", "beta"))
			var fieldID int64
			must(t, db.QueryRowContext(ctx, `SELECT id FROM tblcustomfields WHERE fieldname = 'Reseller|Reseller name'`).Scan(&fieldID))
			field := strconv.FormatInt(fieldID, 10)

			if ids, err := b.ClientsInGroup(ctx, 3); err != nil || fmt.Sprint(ids) != "[1 7]" {
				t.Fatalf("group 3: %v %v", ids, err)
			}
			if ids, err := b.ClientsInGroup(ctx, 9); err != nil || len(ids) != 0 {
				t.Fatalf("group 9: %v %v", ids, err)
			}
			must(t, whmcssim.SetClientGroup(ctx, db, 7, 0))
			if ids, err := b.ClientsInGroup(ctx, 3); err != nil || fmt.Sprint(ids) != "[1]" {
				t.Fatalf("group 3 after client 7 left it: %v %v", ids, err)
			}
			if ids, err := b.ClientsWithField(ctx, field, "acme"); err != nil || fmt.Sprint(ids) != "[2]" {
				t.Fatalf("field %s=acme: %v %v", field, ids, err)
			}
			if ids, err := b.ClientsWithField(ctx, field, "gamma"); err != nil || len(ids) != 0 {
				t.Fatalf("field %s=gamma: %v %v", field, ids, err)
			}
			_, err := b.ClientsInGroup(ctx, 0)
			wantCode(t, err, staas.EINVALID)

			for _, q := range []string{
				`INSERT INTO tblhosting (id, userid, packageid, server, domain, username, domainstatus) VALUES (10, 1, 5, 0, '', '', 'Active'), (12, 2, 6, 0, '', '', 'Suspended')`,
				`INSERT INTO tblproducts (id, name, configoption1, configoption2, configoption3, configoption4, configoption5, configoption6, configoption7, configoption8, configoption9) VALUES (5, 'S3 Basic', '', '', '', '', '', '', '', '', ''), (6, 'S3 Pro', '', '', '', '', '', '', '', '', '')`,
			} {
				_, err := db.ExecContext(ctx, q)
				must(t, err)
			}
			// A few services are read one by one, many in one scan: the
			// same names either way.
			many := []int64{10, 12, 99}
			for i := int64(100); i < 100+planLookups; i++ {
				many = append(many, i)
			}
			for _, ids := range [][]int64{{10, 12, 99}, many} {
				p, err := b.ServicePlans(ctx, ids)
				if err != nil || p[10] != "S3 Basic" || p[12] != "S3 Pro" {
					t.Fatalf("plans of %d services: %v %v", len(ids), p, err)
				}
				if _, ok := p[99]; ok {
					t.Fatalf("a service WHMCS does not have has a plan: %v", p)
				}
			}
		})
	}
}

// Over the API: a field named rather than numbered is refused saying
// why; names come from the client scan; an unreachable WHMCS is
// EUNAVAILABLE; a refresh costs ceil(N/250) GetClients calls for a group,
// plus one GetClientsDetails per client for a field.
func TestAPIBridge_PortalReads(t *testing.T) {
	ctx := context.Background()
	env := newSimEnv(t, nil)
	b := NewAPIBridge(env.client)

	_, err := b.ClientsWithField(ctx, "Reseller", "acme")
	wantCode(t, err, staas.EINVALID)
	wantMessage(t, err, "by id only")

	c, err := b.PortalNames().Client(ctx, 1)
	if err != nil || c.CompanyName != "Analytical Engines" || c.FirstName != "Ada" {
		t.Fatalf("name of client 1: %+v %v", c, err)
	}
	env.sim.ResetRequests()
	if c, err := b.PortalNames().Client(ctx, 7); err != nil || c.LastName != "Hopper" {
		t.Fatalf("name of client 7: %+v %v", c, err)
	}
	_, err = b.PortalNames().Client(ctx, 99)
	wantCode(t, err, staas.ENOTFOUND)
	if n := len(env.sim.Requests()); n != 0 {
		t.Fatalf("names within a minute of the scan made %d calls, want 0", n)
	}

	// 600 more clients in group 5: 603 in all, three GetClients pages.
	var more []staas.Client
	for i := int64(100); i < 700; i++ {
		more = append(more, staas.Client{ID: i, Email: fmt.Sprintf("c%d@example.com", i), FirstName: "C", LastName: strconv.FormatInt(i, 10)})
	}
	must(t, whmcssim.SeedClients(ctx, env.db, more))
	for i := int64(100); i < 700; i++ {
		must(t, whmcssim.SetClientGroup(ctx, env.db, i, 5))
	}
	env.sim.ResetRequests()
	ids, err := b.ClientsInGroup(ctx, 5)
	if err != nil || len(ids) != 600 || ids[0] != 100 || ids[599] != 699 {
		t.Fatalf("group 5: %d ids, %v", len(ids), err)
	}
	if n := env.sim.CountRequests("GetClients"); n != 3 {
		t.Fatalf("GetClients calls for 603 clients: %d, want 3", n)
	}
	must(t, whmcssim.SetClientField(ctx, env.db, 650, "Reseller", "acme"))
	var fieldID int64
	must(t, env.db.QueryRowContext(ctx, `SELECT id FROM tblcustomfields WHERE fieldname = 'Reseller'`).Scan(&fieldID))
	env.sim.ResetRequests()
	ids, err = b.ClientsWithField(ctx, strconv.FormatInt(fieldID, 10), "acme")
	if err != nil || fmt.Sprint(ids) != "[650]" {
		t.Fatalf("field: %v %v", ids, err)
	}
	if g, d := env.sim.CountRequests("GetClients"), env.sim.CountRequests("GetClientsDetails"); g != 3 || d != 603 {
		t.Fatalf("field refresh: %d GetClients, %d GetClientsDetails; want 3 and 603", g, d)
	}

	env.sim.SetDown(true)
	_, err = b.ClientsInGroup(ctx, 5)
	wantCode(t, err, staas.EUNAVAILABLE)
	_, err = b.ClientsWithField(ctx, strconv.FormatInt(fieldID, 10), "acme")
	wantCode(t, err, staas.EUNAVAILABLE)
	_, err = b.ServicePlans(ctx, []int64{1})
	wantCode(t, err, staas.EUNAVAILABLE)

	// Names a minute after the last scan, WHMCS down: a page of 600
	// rows makes one scan attempt (its retries), not one per row, and
	// the last scan's names still label the rows.
	later := time.Now().Add(2 * portalTTL)
	b.now = func() time.Time { return later }
	env.sim.ResetRequests()
	for id := int64(100); id < 700; id++ {
		if c, err := b.PortalNames().Client(ctx, id); err != nil || c.LastName != strconv.FormatInt(id, 10) {
			t.Fatalf("name of client %d with WHMCS down: %+v %v", id, c, err)
		}
	}
	if n := len(env.sim.Requests()); n > readAttempts {
		t.Fatalf("600 names with WHMCS down made %d calls, want at most %d", n, readAttempts)
	}
}

// A WHMCS that answers GetClients with fewer clients than limitnum asks
// (a cap of its own, 100 here) is still read to the end: the next page
// starts after what came.
func TestAPIBridge_ClientScanUnderACap(t *testing.T) {
	ctx := context.Background()
	capped := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			must(t, r.ParseForm())
			if n, _ := strconv.Atoi(r.PostForm.Get("limitnum")); n > 100 {
				r.PostForm.Set("limitnum", "100")
			}
			body := r.PostForm.Encode()
			r.Body = io.NopCloser(strings.NewReader(body))
			r.ContentLength = int64(len(body))
			r.PostForm, r.Form = nil, nil
			next.ServeHTTP(w, r)
		})
	}
	env := newSimEnv(t, capped)
	var more []staas.Client
	for i := int64(100); i < 450; i++ {
		more = append(more, staas.Client{ID: i, Email: fmt.Sprintf("c%d@example.com", i)})
	}
	must(t, whmcssim.SeedClients(ctx, env.db, more))
	must(t, whmcssim.SetClientGroup(ctx, env.db, 449, 5))
	must(t, whmcssim.SetClientGroup(ctx, env.db, 1, 5))
	ids, err := NewAPIBridge(env.client).ClientsInGroup(ctx, 5)
	if err != nil || fmt.Sprint(ids) != "[1 449]" {
		t.Fatalf("group 5 under a cap of 100: %v %v", ids, err)
	}
	if n := env.sim.CountRequests("GetClients"); n != 4 {
		t.Fatalf("%d GetClients calls for 353 clients 100 at a time, want 4", n)
	}
}

package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"staas"
)

func testAudit(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)

	none, err := s.Audit(ctx, AuditFilter{})
	mustNil(t, err)
	if none == nil || len(none) != 0 {
		t.Fatalf("Audit of an empty log = %#v, want an empty slice", none)
	}

	before := storedTime(time.Now())
	e := staas.AuditEntry{AdminID: 7, ClientID: 1, Action: "create_user", Params: map[string]string{"email": "a@example.com", "cluster": "default"}, Result: "ok", Message: "User created."}
	id, err := s.AddAudit(ctx, e)
	mustNil(t, err)
	after := storedTime(time.Now())
	if id <= 0 {
		t.Fatalf("AddAudit returned id %d", id)
	}
	at := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	id2, err := s.AddAudit(ctx, staas.AuditEntry{At: at, AdminID: 7, ClientID: 1, Action: "set_quota", Params: nil, Result: staas.EUNAVAILABLE, Message: "The gateway did not answer."})
	mustNil(t, err)
	id3, err := s.AddAudit(ctx, staas.AuditEntry{AdminID: 0, ClientID: 0, Action: "purge", Params: map[string]string{}, Result: "ok"})
	mustNil(t, err)
	if id2 <= id || id3 <= id2 {
		t.Errorf("ids %d, %d, %d do not grow", id, id2, id3)
	}

	got, err := s.Audit(ctx, AuditFilter{})
	mustNil(t, err)
	if len(got) != 3 || got[0].ID != id3 || got[1].ID != id2 || got[2].ID != id {
		t.Fatalf("Audit = %+v, want ids %d, %d, %d (newest first)", got, id3, id2, id)
	}
	first := got[2]
	if first.At.Before(before) || first.At.After(after) || first.At.Location() != time.UTC {
		t.Errorf("At %v: want now, in UTC, in [%v, %v]", first.At, before, after)
	}
	// Written without an actor: an admin's, as every entry before actors.
	e.ID, e.At, e.Actor = id, first.At, staas.AuditActorAdmin
	if !reflect.DeepEqual(first, e) {
		t.Errorf("read back %+v\nwant        %+v", first, e)
	}
	if !got[1].At.Equal(at) || got[1].Params != nil || got[1].Result != staas.EUNAVAILABLE {
		t.Errorf("second entry %+v: want At %v kept, nil Params", got[1], at)
	}
	if got[0].Params == nil || len(got[0].Params) != 0 || got[0].Message != "" {
		t.Errorf("third entry %+v: want empty (not nil) Params and no message", got[0])
	}
}

// testAuditPaging walks the log page by page with the Before cursor,
// filtered and not, and checks every page against what was written.
func testAuditPaging(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	var all []staas.AuditEntry // oldest first
	for i := range 60 {
		e := staas.AuditEntry{
			AdminID: int64(7 + i%2), ClientID: int64(1 + i%3),
			Action: "action", Params: map[string]string{"i": fmt.Sprint(i)}, Result: "ok",
		}
		id, err := s.AddAudit(ctx, e)
		mustNil(t, err)
		e.ID = id
		all = append(all, e)
	}
	want := func(f AuditFilter) []int64 {
		var ids []int64
		for i := len(all) - 1; i >= 0; i-- {
			e := all[i]
			if (f.ClientID == 0 || e.ClientID == f.ClientID) && (f.AdminID == 0 || e.AdminID == f.AdminID) {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	for _, f := range []AuditFilter{
		{Limit: 7},
		{Limit: 7, ClientID: 2},
		{Limit: 4, AdminID: 8},
		{Limit: 3, AdminID: 8, ClientID: 3},
		{Limit: 1, ClientID: 99},
	} {
		t.Run(fmt.Sprintf("client %d admin %d by %d", f.ClientID, f.AdminID, f.Limit), func(t *testing.T) {
			var ids []int64
			for pages := 0; ; pages++ {
				if pages > len(all) {
					t.Fatal("the cursor never reaches the end")
				}
				page, err := s.Audit(ctx, f)
				mustNil(t, err)
				if len(page) > f.Limit {
					t.Fatalf("page of %d entries, limit %d", len(page), f.Limit)
				}
				for _, e := range page {
					ids = append(ids, e.ID)
					if e.Params["i"] == "" {
						t.Errorf("entry %d lost its params", e.ID)
					}
				}
				if len(page) < f.Limit {
					break
				}
				f.Before = page[len(page)-1].ID
			}
			f.Before = 0
			if w := want(f); !reflect.DeepEqual(ids, w) && (len(ids) != 0 || len(w) != 0) {
				t.Errorf("paged ids %v\nwant       %v", ids, w)
			}
		})
	}
	// A cursor in the middle: only older entries.
	mid := all[30].ID
	page, err := s.Audit(ctx, AuditFilter{Before: mid, Limit: 500})
	mustNil(t, err)
	if len(page) != 30 || page[0].ID != all[29].ID {
		t.Errorf("Before %d: %d entries starting at %d; want 30 starting at %d", mid, len(page), page[0].ID, all[29].ID)
	}
}

func testAuditLimits(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	for i := range maxAudit + 1 {
		_, err := s.AddAudit(ctx, staas.AuditEntry{AdminID: 1, ClientID: 1, Action: "a", Result: "ok", Message: fmt.Sprint(i)})
		mustNil(t, err)
	}
	for _, c := range []struct{ limit, want int }{{0, defaultAudit}, {1, 1}, {maxAudit, maxAudit}, {maxAudit + 1, maxAudit}, {100000, maxAudit}} {
		got, err := s.Audit(ctx, AuditFilter{Limit: c.limit})
		mustNil(t, err)
		if len(got) != c.want {
			t.Errorf("Limit %d: %d entries, want %d", c.limit, len(got), c.want)
		}
		if len(got) > 0 && got[0].Message != fmt.Sprint(maxAudit) {
			t.Errorf("Limit %d: first entry %q, want the newest", c.limit, got[0].Message)
		}
	}
}

func testAuditInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	ok := staas.AuditEntry{AdminID: 1, ClientID: 1, Action: "create_user", Result: "ok"}
	with := func(f func(*staas.AuditEntry)) staas.AuditEntry { e := ok; f(&e); return e }
	cases := map[string]staas.AuditEntry{
		"no action":               with(func(e *staas.AuditEntry) { e.Action = "" }),
		"action too long":         with(func(e *staas.AuditEntry) { e.Action = strings.Repeat("a", maxActionLen+1) }),
		"action not UTF-8":        with(func(e *staas.AuditEntry) { e.Action = "\xff" }),
		"negative admin":          with(func(e *staas.AuditEntry) { e.AdminID = -1 }),
		"negative client":         with(func(e *staas.AuditEntry) { e.ClientID = -7 }),
		"result too long":         with(func(e *staas.AuditEntry) { e.Result = strings.Repeat("r", maxResultLen+1) }),
		"message too long":        with(func(e *staas.AuditEntry) { e.Message = strings.Repeat("m", maxTextBytes+1) }),
		"message not UTF-8":       with(func(e *staas.AuditEntry) { e.Message = "ok \xc3(" }),
		"param key not UTF-8":     with(func(e *staas.AuditEntry) { e.Params = map[string]string{"\xff": "v"} }),
		"param not UTF-8":         with(func(e *staas.AuditEntry) { e.Params = map[string]string{"k": "\xff"} }),
		"params too long":         with(func(e *staas.AuditEntry) { e.Params = map[string]string{"k": strings.Repeat("v", maxTextBytes)} }),
		"time before 1970":        with(func(e *staas.AuditEntry) { e.At = time.Unix(-1, 0) }),
		"time after 2199":         with(func(e *staas.AuditEntry) { e.At = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"params too long as JSON": with(func(e *staas.AuditEntry) { e.Params = map[string]string{"k": strings.Repeat("\x01", maxTextBytes/4)} }),
		"unknown actor":           with(func(e *staas.AuditEntry) { e.Actor = "root" }),
		"actor in capitals":       with(func(e *staas.AuditEntry) { e.Actor = "WHMCS" }),
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := s.AddAudit(ctx, e)
			wantCode(t, err, staas.EINVALID)
		})
	}
	for name, f := range map[string]AuditFilter{
		"negative limit":  {Limit: -1},
		"negative cursor": {Before: -1},
		"negative client": {ClientID: -1},
		"negative admin":  {AdminID: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Audit(ctx, f)
			wantCode(t, err, staas.EINVALID)
		})
	}
	wantNothingWritten(t, s)
}

// testAuditActors: each actor reads back as written, and the WHMCS
// automation's entries keep the admin who clicked (or none).
func testAuditActors(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	written := []staas.AuditEntry{
		{AdminID: 7, ClientID: 1, Actor: staas.AuditActorAdmin, Action: "create-user", Result: "ok"},
		{AdminID: 0, ClientID: 1, Actor: staas.AuditActorClient, Action: "client-reveal-secret", Result: "ok"},
		{AdminID: 0, ClientID: 1, Actor: staas.AuditActorWHMCS, Action: "service-create", Result: "ok"},
		{AdminID: 7, ClientID: 1, Actor: staas.AuditActorWHMCS, Action: "service-suspend", Result: staas.ENOTFOUND},
	}
	for _, e := range written {
		_, err := s.AddAudit(ctx, e)
		mustNil(t, err)
	}
	got, err := s.Audit(ctx, AuditFilter{ClientID: 1})
	mustNil(t, err)
	if len(got) != len(written) {
		t.Fatalf("%d entries, want %d", len(got), len(written))
	}
	for i, e := range written {
		g := got[len(got)-1-i]
		if g.Actor != e.Actor || g.AdminID != e.AdminID || g.Action != e.Action {
			t.Errorf("entry %d read back as actor %q admin %d action %q; want %q, %d, %q", i, g.Actor, g.AdminID, g.Action, e.Actor, e.AdminID, e.Action)
		}
	}
}

// testAuditFinish: an action's row is written before it runs (result
// "started") and completed with its outcome; the largest row the admin
// actions can write (a handful of parameters of at most 256 bytes, all
// control characters, which JSON escapes to six bytes each) is kept.
func testAuditFinish(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	id, err := s.AddAudit(ctx, staas.AuditEntry{AdminID: 7, ClientID: 1, Action: "reveal-secret",
		Params: map[string]string{"access_key": "AKID"}, Result: "started"})
	mustNil(t, err)
	other, err := s.AddAudit(ctx, staas.AuditEntry{AdminID: 7, ClientID: 1, Action: "disable-user", Result: "started"})
	mustNil(t, err)
	mustNil(t, s.FinishAudit(ctx, id, "ok", "The secret of access key AKID was shown."))
	got, err := s.Audit(ctx, AuditFilter{ClientID: 1})
	mustNil(t, err)
	if len(got) != 2 || got[1].ID != id || got[1].Result != "ok" || got[1].Message != "The secret of access key AKID was shown." ||
		got[1].Params["access_key"] != "AKID" {
		t.Fatalf("finished entry = %+v", got)
	}
	if got[0].ID != other || got[0].Result != "started" {
		t.Errorf("another entry changed: %+v", got[0])
	}
	// Finishing twice keeps the last outcome (MySQL reports no change
	// when the values are the same; that is no error).
	mustNil(t, s.FinishAudit(ctx, id, "ok", "The secret of access key AKID was shown."))

	for name, call := range map[string]func() error{
		"zero id":       func() error { return s.FinishAudit(ctx, 0, "ok", "") },
		"empty result":  func() error { return s.FinishAudit(ctx, id, "", "") },
		"long result":   func() error { return s.FinishAudit(ctx, id, strings.Repeat("r", maxResultLen+1), "") },
		"long message":  func() error { return s.FinishAudit(ctx, id, "ok", strings.Repeat("m", maxTextBytes+1)) },
		"invalid UTF-8": func() error { return s.FinishAudit(ctx, id, "ok", "\xff") },
	} {
		if err := call(); staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}

	worst := map[string]string{}
	for _, k := range []string{"bucket", "ops-name", "ops-value", "bandwidth-name", "bandwidth-value", "confirm"} {
		worst[k] = strings.Repeat("\x01", 255) + "…"
	}
	wid, err := s.AddAudit(ctx, staas.AuditEntry{AdminID: 7, ClientID: 1, Action: "bucket-limits-delete", Params: worst, Result: "started"})
	mustNil(t, err)
	mustNil(t, s.FinishAudit(ctx, wid, staas.EINVALID, strings.Repeat("é", 1000)))
	got, err = s.Audit(ctx, AuditFilter{ClientID: 1, Limit: 1})
	mustNil(t, err)
	if !reflect.DeepEqual(got[0].Params, worst) || got[0].Result != staas.EINVALID {
		t.Errorf("the largest row did not come back whole: result %q, %d params", got[0].Result, len(got[0].Params))
	}
}

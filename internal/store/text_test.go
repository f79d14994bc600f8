package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"staas"
)

// hostile are strings that break SQL built by concatenation, HTML output
// built without escaping, or a database that is not really UTF-8.
var hostile = []string{
	`x'); DROP TABLE staas_audit; --`,
	`x"); DROP TABLE staas_s3_users; --`,
	`' OR '1'='1`,
	`\'; DELETE FROM staas_panels; -- \`,
	`<script>alert("x")</script>&amp;`,
	"Zoë Ŝtrøm 日本語 🪣🔑 \u200b",
	"% _ %% \\% \\_", // LIKE wildcards
	"back`tick` and $1 and ? and :name",
}

// Every text the store keeps reads back byte for byte, and no table is
// harmed.
func testHostileText(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	for i, h := range hostile {
		client := int64(i + 1)
		u := staas.S3User{ClientID: client, ServiceID: 0, Cluster: h, UserID: h, Email: h}
		mustNil(t, s.SaveS3User(ctx, u))
		got, err := s.S3User(ctx, client, 0)
		mustNil(t, err)
		if got.Cluster != h || got.UserID != h || got.Email != h {
			t.Errorf("S3 user read back %q / %q / %q, want %q", got.Cluster, got.UserID, got.Email, h)
		}
		byID, err := s.S3UserByUserID(ctx, h, h)
		if err != nil || byID.ClientID != client {
			t.Errorf("S3UserByUserID(%q) = %+v, %v; want client %d", h, byID, err, client)
		}

		mustNil(t, s.SetPanel(ctx, 1, client, "usage", h))
		panels, err := s.Panels(ctx, 1, client)
		mustNil(t, err)
		if panels["usage"] != h {
			t.Errorf("panel params read back %q, want %q", panels["usage"], h)
		}

		mustNil(t, s.AddFlash(ctx, 1, client, staas.Flash{Kind: staas.FlashError, Message: h}))
		flashes, err := s.TakeFlashes(ctx, 1, client)
		mustNil(t, err)
		if len(flashes) != 1 || flashes[0].Message != h {
			t.Errorf("flash read back %v, want %q", flashes, h)
		}

		params := map[string]string{h: h, "email": h}
		_, err = s.AddAudit(ctx, staas.AuditEntry{AdminID: 1, ClientID: client, Action: h, Params: params, Result: "ok", Message: h})
		mustNil(t, err)
		entries, err := s.Audit(ctx, AuditFilter{ClientID: client})
		mustNil(t, err)
		if len(entries) != 1 || entries[0].Action != h || entries[0].Message != h || !reflect.DeepEqual(entries[0].Params, params) {
			t.Errorf("audit entry read back %+v, want action, message and params %q", entries, h)
		}
	}
	// All tables are still there, with every row.
	counts := rowCounts(t, s)
	want := map[string]int{"staas_s3_users": len(hostile), "staas_panels": len(hostile), "staas_flashes": 0, "staas_audit": len(hostile), "staas_nonces": 0, "staas_resellers": 0}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("row counts %v, want %v", counts, want)
	}
	// A wildcard in a lookup matches only itself.
	if _, err := s.S3UserByUserID(ctx, "%", "%"); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("S3UserByUserID(%%, %%): %v; want not found", err)
	}
}

// Times go in in any zone and come back in UTC, the same instant to the
// microsecond, on both backends.
func testTimesUTC(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	zone := time.FixedZone("UTC+05:30", 5*3600+1800)
	in := time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone)
	want := time.Date(2024, 2, 29, 18, 29, 59, 123456000, time.UTC)

	mustNil(t, s.SaveS3User(ctx, staas.S3User{ClientID: 1, Cluster: "c", UserID: "u", Email: "e", CreatedAt: in, UpdatedAt: in.Add(time.Hour)}))
	u, err := s.S3User(ctx, 1, 0)
	mustNil(t, err)
	_, err = s.AddAudit(ctx, staas.AuditEntry{At: in, AdminID: 1, ClientID: 1, Action: "a", Result: "ok"})
	mustNil(t, err)
	entries, err := s.Audit(ctx, AuditFilter{})
	mustNil(t, err)

	for name, got := range map[string]time.Time{
		"S3User.CreatedAt": u.CreatedAt, "S3User.UpdatedAt": u.UpdatedAt.Add(-time.Hour), "AuditEntry.At": entries[0].At,
	} {
		if got != want { // == compares the location too
			t.Errorf("%s = %v (%s), want %v", name, got, got.Location(), want)
		}
	}

	// Nonce expiry compares instants, not wall clocks: an expiry given
	// in another zone purges at the right moment.
	mustNil(t, s.RememberNonce(ctx, "zone-nonce-00000", in))
	if n, _ := s.PurgeNonces(ctx, want.Add(-time.Microsecond)); n != 0 {
		t.Errorf("purged a nonce a microsecond before it expired")
	}
	if n, _ := s.PurgeNonces(ctx, want); n != 1 {
		t.Errorf("did not purge a nonce at its expiry")
	}
}

// A request given up by its caller fails as EUNAVAILABLE, which callers
// treat as "may or may not have happened", never as a bug.
func testCancelled(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.S3User(ctx, 1, 0)
	wantCode(t, err, staas.EUNAVAILABLE)
	wantCode(t, s.AddFlash(ctx, 1, 1, staas.Flash{Kind: staas.FlashInfo, Message: "x"}), staas.EUNAVAILABLE)
	_, err = s.TakeFlashes(ctx, 1, 1)
	wantCode(t, err, staas.EUNAVAILABLE)
	wantCode(t, s.Ping(ctx), staas.EUNAVAILABLE)
}

package s3data_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"staas"
	"staas/internal/ostor"
	"staas/internal/s3data"
	"staas/standin/ostorsim"
)

func TestPurgeThousandsOfObjects(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "alice-photos", 2500)
	w.bucket("alice@example.com", "alice-docs", 3)
	w.user("bob@example.com")
	w.bucket("bob@example.com", "bob-data", 5)

	n, err := w.purge(owner, "alice-photos")
	if err != nil || n != 2500 {
		t.Fatalf("purge: %d, %v; want 2500 objects", n, err)
	}
	if w.sim.HasBucket("alice-photos") {
		t.Fatal("the bucket is still there")
	}
	seen := w.wire.attempts()
	if got := count(seen, "ListObjectVersions"); got != 4 { // 3 pages, then the check that it is empty
		t.Errorf("%d version listings, want 4", got)
	}
	if got := count(seen, "DeleteObjects"); got != 3 {
		t.Errorf("%d DeleteObjects, want 3", got)
	}
	for _, a := range seen {
		if a.op == "DeleteObjects" && (a.objects > 1000 || a.objects == 0 || !a.contentMD5) {
			t.Errorf("DeleteObjects with %d objects, Content-MD5 %v", a.objects, a.contentMD5)
		}
	}
	// The owner's other bucket and another user's bucket are untouched.
	if got := len(w.versions("alice-docs")); got != 3 {
		t.Errorf("alice-docs holds %d versions", got)
	}
	if got := len(w.versions("bob-data")); got != 5 {
		t.Errorf("bob-data holds %d versions", got)
	}

	// The admin API no longer lists it; once the other bucket is purged
	// too, the user can be deleted.
	bs, err := w.admin.BucketsOf(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil || len(bs) != 1 || bs[0].Name != "alice-docs" {
		t.Fatalf("buckets of alice after the purge: %+v %v", bs, err)
	}
	if err := w.admin.DeleteUser(ctx, ostor.ByEmail("alice@example.com")); staas.ErrorCode(err) != staas.ECONFLICT {
		t.Fatalf("delete user who still owns a bucket: %v", err)
	}
	if n, err := w.purge(owner, "alice-docs"); err != nil || n != 3 {
		t.Fatalf("purge alice-docs: %d %v", n, err)
	}
	if err := w.admin.DeleteUser(ctx, ostor.ByEmail("alice@example.com")); err != nil {
		t.Fatalf("delete user after the purge: %v", err)
	}
}

func TestPurgeVersionsAndDeleteMarkers(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	if err := w.sim.CreateBucket("alice@example.com", "versioned"); err != nil {
		t.Fatal(err)
	}
	// Written unversioned first: null versions under what follows.
	w.put("versioned", "old", 50)
	if err := w.sim.SetVersioning("versioned", true); err != nil {
		t.Fatal(err)
	}
	// 450 keys × 3 versions, every third key deleted (a marker on top):
	// 1350 versions and 150 markers, so that pages end inside a key's
	// versions.
	for range 3 {
		w.put("versioned", "doc", 450)
	}
	for i := 0; i < 450; i += 3 {
		if _, err := w.sim.DeleteObject("versioned", fmt.Sprintf("doc-%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Suspended versioning: a null version on top of versioned ones.
	if err := w.sim.SetVersioning("versioned", false); err != nil {
		t.Fatal(err)
	}
	w.put("versioned", "doc", 10)
	if _, err := w.sim.DeleteObject("versioned", "old-00001"); err != nil { // a null marker replacing a null version
		t.Fatal(err)
	}

	var data, markers int64
	for _, v := range w.versions("versioned") {
		if v.DeleteMarker {
			markers++
		} else {
			data++
		}
	}
	if markers != 151 || data != 50-1+1350+10 {
		t.Fatalf("set-up: %d versions, %d markers", data, markers)
	}

	n, err := w.purge(owner, "versioned")
	if err != nil || n != data {
		t.Fatalf("purge: %d, %v; want %d versions", n, err, data)
	}
	if w.sim.HasBucket("versioned") {
		t.Fatal("the bucket is still there")
	}
	if err := w.admin.DeleteUser(context.Background(), ostor.ByEmail("alice@example.com")); err != nil {
		t.Fatalf("delete user after the purge: %v", err)
	}
}

func TestPurgeAbortsMultipartUploads(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "uploads", 10)
	for i := range 1200 { // more than a page of uploads
		if _, err := w.sim.StartMultipartUpload("uploads", fmt.Sprintf("big-%d", i%7)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := w.purge(owner, "uploads")
	if err != nil || n != 10 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if w.sim.HasBucket("uploads") {
		t.Fatal("the bucket is still there")
	}
	seen := w.wire.attempts()
	if got := count(seen, "AbortMultipartUpload"); got != 1200 {
		t.Errorf("%d uploads aborted, want 1200", got)
	}
	if got := count(seen, "ListMultipartUploads"); got != 2 {
		t.Errorf("%d upload listings, want 2", got)
	}
}

func TestPurgeIsIdempotent(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "twice", 20)
	if n, err := w.purge(owner, "twice"); err != nil || n != 20 {
		t.Fatalf("first purge: %d %v", n, err)
	}
	w.wire.attempts()
	if n, err := w.purge(owner, "twice"); err != nil || n != 0 {
		t.Fatalf("second purge: %d %v", n, err)
	}
	if seen := w.wire.attempts(); len(seen) != 1 {
		t.Errorf("the second purge sent %d requests; NoSuchBucket on the first should end it", len(seen))
	}
	if n, err := w.purge(owner, "never-was"); err != nil || n != 0 {
		t.Fatalf("purge of a bucket that never existed: %d %v", n, err)
	}
}

// A bucket that disappears halfway (another purge, an admin) is purged.
func TestPurgeBucketGoneMidway(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "vanishing", 1500)
	w.wire.setBefore(func(op string) {
		if op == "DeleteObjects" {
			if err := w.sim.DeleteBucket("vanishing"); err != nil {
				t.Error(err)
			}
		}
	})
	if n, err := w.purge(owner, "vanishing"); err != nil || n != 0 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

func TestPurgeDisabledOwnerIsForbidden(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "locked-out", 30)
	if _, err := w.sim.StartMultipartUpload("locked-out", "big"); err != nil {
		t.Fatal(err)
	}
	if err := w.admin.DisableUser(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	n, err := w.purge(owner, "locked-out")
	mustFail(t, err, staas.EFORBIDDEN, "locked-out", owner)
	if n != 0 || !strings.Contains(staas.ErrorMessage(err), "refused the bucket owner's key pair") ||
		!strings.Contains(staas.ErrorDetail(err), "the owner's key was refused while listing multipart uploads (") {
		t.Errorf("%d deleted, message %q, detail %q", n, staas.ErrorMessage(err), staas.ErrorDetail(err))
	}
	if got := len(w.versions("locked-out")); got != 30 {
		t.Errorf("%d versions left of 30", got)
	}
	if ups, _ := w.sim.MultipartUploads("locked-out"); len(ups) != 1 {
		t.Errorf("uploads: %v", ups)
	}
	// A refusal is the gateway's answer: not retried.
	if seen := w.wire.attempts(); len(seen) != 1 {
		t.Errorf("%d attempts, want 1", len(seen))
	}

	// Enabled again, the same key purges.
	if err := w.admin.EnableUser(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if n, err := w.purge(owner, "locked-out"); err != nil || n != 30 {
		t.Fatalf("after enabling: %d %v", n, err)
	}
}

func TestPurgeWithSomeoneElsesKeyIsRefused(t *testing.T) {
	w := newWorld(t)
	w.user("alice@example.com")
	w.bucket("alice@example.com", "alice-only", 5)
	bob := w.user("bob@example.com")
	sys := w.sim.SystemCredentials()
	alice, err := w.admin.User(context.Background(), ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	wrongSecret := ostor.KeyPair{AccessKeyID: alice.Keys[0].AccessKeyID, SecretAccessKey: "not-the-secret-0123456789abcdefghijklmno"}
	for name, key := range map[string]ostor.KeyPair{
		"another user": bob,
		"system user":  {AccessKeyID: sys.AccessKey, SecretAccessKey: sys.SecretKey},
		"wrong secret": wrongSecret,
		"unknown key":  {AccessKeyID: "0123456789abcdefZZZZ", SecretAccessKey: "whatever"},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := w.purge(key, "alice-only")
			mustFail(t, err, staas.EFORBIDDEN, "alice-only", key)
			if n != 0 || len(w.versions("alice-only")) != 5 || !w.sim.HasBucket("alice-only") {
				t.Fatalf("deleted %d; bucket changed", n)
			}
		})
	}
}

func TestPurgeWithRevokedKey(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first := w.user("alice@example.com")
	w.bucket("alice@example.com", "rotated", 5)
	second, err := w.admin.GenerateKey(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.admin.RevokeKey(ctx, "alice@example.com", first.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	_, err = w.purge(first, "rotated")
	mustFail(t, err, staas.EFORBIDDEN, "rotated", first)
	if n, err := w.purge(*second, "rotated"); err != nil || n != 5 {
		t.Fatalf("with the current key: %d %v", n, err)
	}
}

func TestPurgeRetriesFaults(t *testing.T) {
	cases := []struct {
		name   string
		at     string // the operation whose first attempt arms the faults; "" from the start
		faults ostorsim.Faults
	}{
		{"5xx burst on listing", "ListObjectVersions", ostorsim.Faults{Burst5xx: 4}},
		{"5xx burst on deleting", "DeleteObjects", ostorsim.Faults{Burst5xx: 4}},
		{"dropped connections on deleting", "DeleteObjects", ostorsim.Faults{DropNext: 4}},
		{"dropped connections on aborting", "AbortMultipartUpload", ostorsim.Faults{DropNext: 4}},
		{"lost answers on deleting", "DeleteObjects", ostorsim.Faults{LoseAnswerNext: 4}},
		{"lost answers on aborting", "AbortMultipartUpload", ostorsim.Faults{LoseAnswerNext: 4}},
		{"flaky gateway", "", ostorsim.Faults{ErrorRate: 0.15, DropRate: 0.15, LoseAnswerRate: 0.15}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			owner := w.user("alice@example.com")
			w.bucket("alice@example.com", "flaky", 2100)
			if _, err := w.sim.StartMultipartUpload("flaky", "big"); err != nil {
				t.Fatal(err)
			}
			armed := false
			arm := func(op string) {
				if !armed && (c.at == "" || op == c.at) {
					armed = true
					w.sim.SetFaults(c.faults)
				}
			}
			w.wire.setBefore(arm)
			n, err := w.purge(owner, "flaky")
			if err != nil || n != 2100 {
				t.Fatalf("purge: %d %v", n, err)
			}
			if w.sim.HasBucket("flaky") {
				t.Fatal("the bucket is still there")
			}
			seen := w.wire.attempts()
			// Without faults: 1 upload listing, 1 abort, 4 version
			// listings, 3 batches, 1 bucket delete. The 4 faults cost 4
			// retries of the call they hit.
			switch {
			case c.at == "" && len(seen) <= 10:
				t.Errorf("%d attempts: no fault was met", len(seen))
			case c.at != "" && len(seen) != 14:
				t.Errorf("%d attempts, want 14", len(seen))
			}
		})
	}
}

// A lost answer to the last call: the bucket went, the retry finds it gone.
func TestPurgeLostAnswerToDeleteBucket(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "last-word", 3)
	lost := false
	w.wire.setBefore(func(op string) {
		if op == "DeleteBucket" && !lost {
			lost = true
			w.sim.SetFaults(ostorsim.Faults{LoseAnswerNext: 1})
		}
	})
	if n, err := w.purge(owner, "last-word"); err != nil || n != 3 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if got := count(w.wire.attempts(), "DeleteBucket"); got != 2 {
		t.Errorf("%d DeleteBucket attempts, want 2", got)
	}
}

func TestPurgeGatewayDown(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "down", 3)
	w.sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	n, err := w.purge(owner, "down")
	mustFail(t, err, staas.EUNAVAILABLE, "down", owner)
	if n != 0 || len(w.versions("down")) != 3 {
		t.Fatalf("deleted %d", n)
	}
	if got := len(w.wire.attempts()); got != 5 {
		t.Errorf("%d attempts, want 5 (the first and 4 retries)", got)
	}

	w.sim.SetFaults(ostorsim.Faults{DropRate: 1})
	_, err = w.purge(owner, "down")
	mustFail(t, err, staas.EUNAVAILABLE, "down", owner)
}

func TestPurgeTimeout(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "slow", 3)
	purger, err := s3data.New(s3data.Config{Endpoint: w.srv.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	purger.SetMaxBackoff(time.Millisecond)
	w.sim.SetFaults(ostorsim.Faults{Latency: 10 * time.Second})
	_, err = purger.PurgeBucket(context.Background(), owner, "slow")
	mustFail(t, err, staas.EUNAVAILABLE, "slow", owner)

	// The caller's context ends the purge too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = purger.PurgeBucket(ctx, owner, "slow")
	mustFail(t, err, staas.EUNAVAILABLE, "slow", owner)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation not kept as the cause: %v", err)
	}
}

func TestPurgeRetriesKeysThatFailed(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "hiccup", 1200)
	w.sim.SetFaults(ostorsim.Faults{FailDeleteKeys: 7})
	n, err := w.purge(owner, "hiccup")
	if err != nil || n != 1200 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if w.sim.HasBucket("hiccup") {
		t.Fatal("the bucket is still there")
	}
}

func TestPurgeStopsAtLockedObjects(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	noErr(t, w.sim.CreateBucket("alice@example.com", "held"))
	noErr(t, w.sim.SetVersioning("held", true))
	w.put("held", "obj", 40)
	if err := w.sim.SetLegalHold("held", "obj-00007", true); err != nil {
		t.Fatal(err)
	}
	n, err := w.purge(owner, "held")
	mustFail(t, err, staas.ECONFLICT, "held", owner)
	if !strings.Contains(staas.ErrorMessage(err), `1 object version could not be deleted. The storage cluster kept them`) ||
		!strings.Contains(staas.ErrorDetail(err), `1 object version could not be deleted (key "obj-00007": AccessDenied`) {
		t.Errorf("message %q, detail %q", staas.ErrorMessage(err), staas.ErrorDetail(err))
	}
	if n != 39 {
		t.Errorf("%d deleted, want 39", n)
	}
	if vs := w.versions("held"); len(vs) != 1 || vs[0].Key != "obj-00007" {
		t.Errorf("left: %+v", vs)
	}
	// Lifted, the purge finishes.
	noErr(t, w.sim.SetLegalHold("held", "obj-00007", false))
	if n, err := w.purge(owner, "held"); err != nil || n != 1 {
		t.Fatalf("after the hold: %d %v", n, err)
	}
}

// A long key named in an error is cut at a character boundary.
func TestPurgeKeyInMessageStaysUTF8(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "held", 0)
	key := strings.Repeat("é", 60) // "x"+key: byte 80 is inside an "é"
	if _, err := w.sim.PutObject("held", "x"+key, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.SetLegalHold("held", "x"+key, true); err != nil {
		t.Fatal(err)
	}
	_, err := w.purge(owner, "held")
	mustFail(t, err, staas.ECONFLICT, "held", owner)
	if msg := staas.ErrorDetail(err); !utf8.ValidString(msg) || !strings.Contains(msg, `"x`+strings.Repeat("é", 39)+`…"`) {
		t.Errorf("message %q", msg)
	}
}

func TestPurgeRacedByNewObjects(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	w.bucket("alice@example.com", "busy", 10)
	w.wire.setBefore(func(op string) {
		if op == "DeleteBucket" {
			if _, err := w.sim.PutObject("busy", "late-arrival", 1); err != nil {
				t.Error(err)
			}
		}
	})
	n, err := w.purge(owner, "busy")
	mustFail(t, err, staas.ECONFLICT, "busy", owner)
	if n != 10 || !strings.Contains(staas.ErrorMessage(err), "objects were added meanwhile") {
		t.Fatalf("%d deleted; %q", n, staas.ErrorMessage(err))
	}
	w.wire.setBefore(nil)
	if n, err := w.purge(owner, "busy"); err != nil || n != 1 {
		t.Fatalf("again: %d %v", n, err)
	}
}

func TestPurgeRefusesBadInputWithoutSending(t *testing.T) {
	w := newWorld(t)
	owner := w.user("alice@example.com")
	before := w.sim.Requests()
	for _, name := range []string{
		"", "ab", strings.Repeat("a", 64), "Photos", "my_bucket", "-photos", "photos-", "a..b",
		"192.168.1.1", "a/b", "../x", "x?versions", "x%2Fy", "photos--x-s3", "bücket",
	} {
		n, err := w.purge(owner, name)
		if staas.ErrorCode(err) != staas.EINVALID || n != 0 {
			t.Errorf("bucket %q: %d %v", name, n, err)
		}
	}
	for _, key := range []ostor.KeyPair{
		{}, {AccessKeyID: owner.AccessKeyID}, {SecretAccessKey: owner.SecretAccessKey},
		{AccessKeyID: "with space", SecretAccessKey: owner.SecretAccessKey},
	} {
		_, err := w.purge(key, "photos")
		mustFail(t, err, staas.EINVALID, "photos", key)
	}
	if got := w.sim.Requests() - before; got != 0 {
		t.Fatalf("%d requests reached the gateway", got)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, c := range []s3data.Config{
		{},
		{Endpoint: "s3.example.com"},
		{Endpoint: "ftp://s3.example.com"},
		{Endpoint: "https://"},
		{Endpoint: "https://user:pw@s3.example.com"},
		{Endpoint: "https://s3.example.com/prefix"},
		{Endpoint: "https://s3.example.com/?x=1"},
		{Endpoint: "https://s3.example.com", Timeout: -time.Second},
	} {
		if _, err := s3data.New(c); staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := s3data.New(s3data.Config{Endpoint: "https://s3.example.com/"}); err != nil {
		t.Errorf("root path: %v", err)
	}
}

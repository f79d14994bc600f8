package ostor

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"staas"
	"staas/standin/ostorsim"
)

func testReplication() Replication {
	return Replication{
		Endpoint:          "s3.region2.example.com",
		Remote:            KeyPair{AccessKeyID: "850b4943d62191a5ABCD", SecretAccessKey: strings.Repeat("r", 40)},
		UserID:            "850b4943d62191a5",
		DestinationBucket: "copies",
		Enabled:           true,
	}
}

// Set, read back (XML and x-amz-geo-* headers), replace and delete a
// bucket's replication, signed with v2 and v4, by a system user and by the
// bucket's owner with its own key.
func TestReplication(t *testing.T) {
	ctx := context.Background()
	for _, sig := range []string{"v2", "v4"} {
		for _, as := range []string{"system", "owner"} {
			t.Run(sig+" "+as, func(t *testing.T) {
				e := newSimEnv(t, ostorsim.Options{}, func(c *Config) { c.Signature = sig })
				w := e.seed(t)
				c := e.c
				if as == "owner" {
					c = simClient(t, e.sim, e.srv.URL, func(cfg *Config) {
						cfg.Signature = sig
						cfg.AccessKey, cfg.SecretKey = w.user.Keys[0].AccessKeyID, w.user.Keys[0].SecretAccessKey
					})
				}
				if _, err := c.Replication(ctx, w.bucket); staas.ErrorCode(err) != staas.ENOTFOUND {
					t.Fatalf("before any: %v, want ENOTFOUND", err)
				}
				r := testReplication()
				if err := c.SetReplication(ctx, w.bucket, r); err != nil {
					t.Fatal(err)
				}
				got, err := c.Replication(ctx, w.bucket)
				if err != nil {
					t.Fatal(err)
				}
				if *got != r {
					t.Fatalf("read back %+v, want %+v", *got, r)
				}
				if ep, ak, id, dest, ok := e.sim.Replication(w.bucket); !ok || ep != r.Endpoint || ak != r.Remote.AccessKeyID || id != r.UserID || dest != "copies" {
					t.Fatalf("on the gateway: %s %s %s %s %v", ep, ak, id, dest, ok)
				}
				r.Enabled, r.DeleteMarkers, r.DestinationBucket = false, true, "other-copies"
				if err := c.SetReplication(ctx, w.bucket, r); err != nil {
					t.Fatal(err)
				}
				if got, err = c.Replication(ctx, w.bucket); err != nil || *got != r {
					t.Fatalf("replaced: %+v, %v", got, err)
				}
				if err := c.DeleteReplication(ctx, w.bucket); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Replication(ctx, w.bucket); staas.ErrorCode(err) != staas.ENOTFOUND {
					t.Fatalf("after delete: %v", err)
				}
				if err := c.SetReplication(ctx, "no-such-bucket", testReplication()); staas.ErrorCode(err) != staas.ENOTFOUND {
					t.Fatalf("unknown bucket: %v", err)
				}
			})
		}
	}
}

// Another user's key may not touch the bucket's replication.
func TestReplicationOtherUser(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, ostorsim.Options{})
	w := e.seed(t)
	other, err := e.c.CreateUser(ctx, "other@example.com")
	if err != nil {
		t.Fatal(err)
	}
	c := simClient(t, e.sim, e.srv.URL, func(cfg *Config) {
		cfg.AccessKey, cfg.SecretKey = other.Keys[0].AccessKeyID, other.Keys[0].SecretAccessKey
	})
	if err := c.SetReplication(ctx, w.bucket, testReplication()); staas.ErrorCode(err) != staas.EUNAUTHORIZED {
		t.Fatalf("another user's key: %v, want EUNAUTHORIZED", err)
	}
	if _, _, _, _, ok := e.sim.Replication(w.bucket); ok {
		t.Fatal("set by another user")
	}
}

// Bad input is refused before anything is sent, and the secret never
// shows in an error or in %v.
func TestReplicationBadInput(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, ostorsim.Options{})
	w := e.seed(t)
	before := e.sim.Requests()
	for name, mod := range map[string]func(*Replication){
		"no endpoint":         func(r *Replication) { r.Endpoint = "" },
		"endpoint with space": func(r *Replication) { r.Endpoint = "a b" },
		"header injection":    func(r *Replication) { r.Endpoint = "x\r\nX-Evil: 1" },
		"no access key":       func(r *Replication) { r.Remote.AccessKeyID = "" },
		"no secret":           func(r *Replication) { r.Remote.SecretAccessKey = "" },
		"bad user id":         func(r *Replication) { r.UserID = "XYZ" },
		"bad destination":     func(r *Replication) { r.DestinationBucket = "Bad_Bucket" },
	} {
		r := testReplication()
		mod(&r)
		if err := e.c.SetReplication(ctx, w.bucket, r); staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if err := e.c.SetReplication(ctx, "../x", testReplication()); staas.ErrorCode(err) != staas.EINVALID {
		t.Errorf("bad bucket: %v", err)
	}
	if n := e.sim.Requests() - before; n != 0 {
		t.Errorf("bad input sent %d requests", n)
	}
	r := testReplication()
	if s := fmt.Sprintf("%v %+v", r, r); strings.Contains(s, r.Remote.SecretAccessKey) {
		t.Errorf("the remote secret shows: %s", s)
	}
}

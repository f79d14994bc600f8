package ecs_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"staas"
	"staas/internal/ecs"
)

var descRE = regexp.MustCompile(`"description":"([^"]+)"|<description>([^<]+)</description>`)

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		ctype     string
		body      string
		code      string
		temporary bool
	}{
		{"bad body", 400, "application/json", `{"code":1013,"description":"Bad request body","retryable":false}`, staas.EINVALID, false},
		{"param missing", 400, "application/json", `{"code":"1004","description":"Request parameter cannot be found","retryable":false}`, staas.EINVALID, false},
		{"not found", 404, "application/json", `{"code":1019,"description":"Resource not found","retryable":false}`, staas.ENOTFOUND, false},
		{"not found on 400", 400, "application/json", `{"code":1019,"description":"Resource not found","retryable":false}`, staas.ENOTFOUND, false},
		{"exists", 400, "application/json", `{"code":1015,"description":"Resource already exists","retryable":false}`, staas.ECONFLICT, false},
		{"forbidden", 403, "application/json", `{"code":3000,"description":"Forbidden","retryable":false}`, staas.EFORBIDDEN, false},
		{"permission on 500", 500, "application/json", `{"code":6401,"description":"Insufficient permissions","retryable":false}`, staas.EFORBIDDEN, false},
		{"final 500", 500, "application/json", `{"code":7000,"description":"An error occurred in the API Service","retryable":false}`, staas.EINTERNAL, false},
		{"retryable 500", 500, "application/json", `{"code":6000,"description":"Service unavailable","retryable":true}`, staas.EUNAVAILABLE, true},
		{"retryable 400", 400, "application/json", `{"code":7000,"description":"try later","retryable":"true"}`, staas.EUNAVAILABLE, true},
		{"xml not found", 404, "application/xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><error><code>1019</code><description>Resource not found</description><details>no user</details><retryable>false</retryable></error>`, staas.ENOTFOUND, false},
		{"bare 503", 503, "text/html", `<html>busy</html>`, staas.EUNAVAILABLE, true},
		{"bare 404", 404, "text/plain", ``, staas.ENOTFOUND, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.route("GET /user/whoami", func(w http.ResponseWriter, r *http.Request) {
				writeRaw(w, tc.status, tc.ctype, tc.body)
			})
			err := f.client(t).Ping(context.Background())
			if got := staas.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q, want %q (%v)", got, tc.code, err)
			}
			if ecs.Temporary(err) != tc.temporary {
				t.Fatalf("temporary = %v, want %v", ecs.Temporary(err), tc.temporary)
			}
			if m := descRE.FindStringSubmatch(tc.body); m != nil {
				d := m[1] + m[2]
				if !strings.Contains(err.Error(), d) {
					t.Fatalf("ECS's description %q not in %q", d, err.Error())
				}
			}
		})
	}
}

func TestNoCallsRefusedLocally(t *testing.T) {
	f := newFake(t)
	c := f.client(t)
	ctx := context.Background()
	for name, err := range map[string]error{
		"ops":       c.SetOpsLimit(ctx, staas.UserLimits(staas.ByEmail("a@b.example")), "get", 1),
		"bandwidth": c.SetBandwidthLimit(ctx, staas.UserLimits(staas.ByEmail("a@b.example")), 1),
		"delete":    c.DeleteLimits(ctx, staas.UserLimits(staas.ByEmail("a@b.example"))),
		"default":   c.SetQuota(ctx, staas.DefaultQuota("user"), 5),
	} {
		if staas.ErrorCode(err) != staas.EINVALID {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := c.Limits(ctx, staas.UserLimits(staas.ByEmail("a@b.example"))); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
	shared := f.client(t, func(c *ecs.Config) { c.Namespace = "shared" })
	if err := shared.SetQuota(ctx, staas.UserQuota(staas.ByEmail("a@b.example")), 5); staas.ErrorCode(err) != staas.EINVALID || !strings.Contains(err.Error(), "not supported by ECS") {
		t.Fatal(err)
	}
	if n := f.requests.Load(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	if c.Capabilities() != (staas.Capabilities{}) {
		t.Fatal("capabilities")
	}
}

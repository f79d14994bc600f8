package ecs_test

import (
	"context"
	"net/http"
	"testing"

	"staas"
	"staas/internal/ecs"
)

func TestBucketsOfAndUserBucketBilling(t *testing.T) {
	f := newFake(t)
	ns := ecs.NamespaceFor(email)
	f.route("GET /object/bucket", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("namespace") != ns {
			t.Errorf("namespace %q", r.URL.Query().Get("namespace"))
		}
		if r.URL.Query().Get("marker") == "" {
			writeJSON(w, 200, map[string]any{"object_bucket": []map[string]any{{"name": "one", "owner": email, "created": "2026-12-01T10:00:00.000Z"}}, "NextMarker": "n"})
			return
		}
		writeJSON(w, 200, map[string]any{"object_bucket": []map[string]any{{"name": "two", "owner": email}, {"name": "theirs", "owner": "other@example.com"}}})
	})
	f.route("GET /object/billing/namespace/"+ns+"/info", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("include_bucket_detail") != "true" || r.URL.Query().Get("sizeunit") != "BYTE" {
			t.Errorf("query %v", r.URL.Query())
		}
		if r.URL.Query().Get("marker") == "" {
			writeJSON(w, 200, map[string]any{"namespace": ns, "next_marker": "m", "bucket_billing_info": []map[string]any{{"name": "one", "total_size": "1234", "total_size_unit": "BYTE"}}})
			return
		}
		writeJSON(w, 200, map[string]any{"namespace": ns, "bucket_billing_info": []map[string]any{{"name": "two", "total_size": 5.0, "total_size_unit": "BYTE"}}})
	})
	for _, b := range []string{"one", "two"} {
		f.route("GET /object/billing/buckets/"+ns+"/"+b+"/info", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"name": b, "namespace": ns, "total_size": "2", "total_size_unit": r.URL.Query().Get("sizeunit")})
		})
	}
	c := f.client(t)
	ctx := context.Background()
	bs, err := c.BucketsOf(ctx, staas.ByEmail(email))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Name != "one" || bs[0].Size.Current != 1234 || bs[1].Size.Current != 5 || bs[0].CreationDate.IsZero() || bs[1].OwnerID != email {
		t.Fatalf("%+v", bs)
	}
	infos, err := c.UserBucketBilling(ctx, staas.ByID(email), "MB")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[1].Name != "two" || infos[1].Bytes() != 2<<20 {
		t.Fatalf("%+v", infos)
	}
}

package ecs_test

import (
	"context"
	"net/http"
	"os"
	"reflect"
	"testing"

	"staas"
	"staas/internal/ecs"
)

// The same billing answer as XML (the reference's example) and as JSON
// with quoted numbers gives the same result through the client.
func TestBucketBillingInfoJSONAndXMLAnswers(t *testing.T) {
	xmlBody, err := os.ReadFile("testdata/bucket_billing_info.xml")
	if err != nil {
		t.Fatal(err)
	}
	jsonBody := `{"namespace":"s3","name":"standalone-bucket","vpool_id":"urn:storageos:ReplicationGroupInfo:b3bf2d47-d732-457c-bb9b-d260eb53a76b:global","total_size":"12.4549","total_size_unit":"KB","total_objects":"12","sample_time":"2017-10-02T01:25:51Z","total_mpu_size":"0.0","total_mpu_parts":0,"uptodate_till":"2017-10-02T01:20:51Z","total_size_deleted":0,"total_objects_deleted":"0"}`
	var got []*ecs.BucketBillingInfo
	for _, ans := range []struct{ ctype, body string }{{"application/xml", string(xmlBody)}, {"application/json", jsonBody}} {
		f := newFake(t)
		f.route("GET /object/billing/buckets/s3/standalone-bucket/info", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("sizeunit") != "KB" {
				t.Errorf("sizeunit %q", r.URL.Query().Get("sizeunit"))
			}
			writeRaw(w, 200, ans.ctype, ans.body)
		})
		info, err := f.client(t).BucketBillingInfo(context.Background(), "s3", "standalone-bucket", "KB")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, info)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("xml %+v\njson %+v", got[0], got[1])
	}
	if got[0].Bytes() != 12754 || got[0].TotalObjects != 12 {
		t.Fatalf("%+v", got[0])
	}
}

func TestUsersPagesAndFilters(t *testing.T) {
	f := newFake(t)
	a, b := "a@example.com", "b@example.com"
	f.route("GET /object/users", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("marker") {
		case "":
			writeJSON(w, 200, map[string]any{"blobuser": []map[string]string{{"userid": a, "namespace": ecs.NamespaceFor(a)}, {"userid": "admin", "namespace": "s3"}}, "NextMarker": "p2"})
		case "p2":
			writeJSON(w, 200, map[string]any{"blobuser": []map[string]string{{"userid": b, "namespace": ecs.NamespaceFor(b)}, {"userid": "x@example.com", "namespace": ecs.NamespaceFor(b)}}})
		default:
			t.Errorf("marker %q", r.URL.Query().Get("marker"))
		}
	})
	for _, u := range []string{a, b} {
		locked := u == b
		f.route("GET /object/users/lock/"+u, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"user_name": u, "isLocked": locked})
		})
	}
	users, err := f.client(t).Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []staas.StorageUser{{Email: a, ID: a, State: "enabled"}, {Email: b, ID: b, State: "disabled"}}
	if !reflect.DeepEqual(users, want) {
		t.Fatalf("%+v", users)
	}
}

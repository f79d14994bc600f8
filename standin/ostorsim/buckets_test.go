package ostorsim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

func TestBucketSizeIntegration(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newHarness(t, ostorsim.Options{Start: start})
	owner := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "o@example.com")).body)
	h.must(200, "PUT", q("ostor-users", "emailAddress", "other@example.com"))
	if err := h.sim.CreateBucket("o@example.com", "photos"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.CreateBucket("other@example.com", "zzz"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.CreateBucket("o@example.com", "photos"); err == nil {
		t.Error("duplicate bucket accepted")
	}
	if err := h.sim.CreateBucket("ghost@example.com", "x"); err == nil {
		t.Error("bucket of an unknown user accepted")
	}
	if err := h.sim.SetBucketSize("photos", 1000); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(2 * time.Hour) // 2000 byte-hours
	if err := h.sim.GrowBucket("photos", -400); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.GrowBucket("photos", -601); err == nil {
		t.Error("shrinking below zero accepted")
	}
	h.sim.Advance(30 * time.Minute) // + 600 × 0.5 = 300

	startHour := start.Unix() / 3600
	want := fmt.Sprintf(`{"Buckets":[{"name":"photos","epoch":0,"creation_date":"2025-01-01T00:00:00.000Z","owner_id":"%s",`+
		`"size":{"current":600,"hmax":1000,"h_integral":2300,"last_ts":%d}}]}`, owner.UserId, startHour+2)
	if got := h.must(200, "GET", q("ostor-buckets", "emailAddress", "o@example.com")).body; got != want {
		t.Errorf("buckets of owner\n got %s\nwant %s", got, want)
	}
	if got := h.must(200, "GET", q("ostor-buckets", "id", owner.UserId)).body; got != want {
		t.Errorf("by id: %s", got)
	}
	all := h.must(200, "GET", "ostor-buckets").body
	if !strings.Contains(all, `"name":"photos"`) || !strings.Contains(all, `"name":"zzz"`) || strings.Index(all, "photos") > strings.Index(all, "zzz") {
		t.Errorf("all buckets, sorted: %s", all)
	}
	// storage_class=DEFAULT, as a public client sends it, changes nothing;
	// another class holds no bucket.
	if got := h.must(200, "GET", q("ostor-buckets", "emailAddress", "o@example.com", "storage_class", "DEFAULT")).body; got != want {
		t.Errorf("storage_class=DEFAULT: %s", got)
	}
	if got := h.must(200, "GET", q("ostor-buckets", "storage_class", "COLD")).body; got != `{"Buckets":[]}` {
		t.Errorf("storage_class=COLD: %s", got)
	}
	h.mustErr(404, "User not found", "GET", q("ostor-buckets", "emailAddress", "ghost@example.com"))
	h.mustErr(400, "", "PUT", q("ostor-buckets"))

	// The user's space is the sum over their buckets, by default under the
	// names a public client reads from real gateways.
	list := h.must(200, "GET", q("ostor-users", "space", flag)).body
	wantSpace := fmt.Sprintf(`"SpaceStat":{"LastTs":%d,"SizeCurr":600,"SizeHMax":1000,"SizeHInt":2300}`, startHour+2)
	if !strings.Contains(list, wantSpace) || strings.Contains(list, `"space"`) {
		t.Errorf("users with space: %s\nwant %s", list, wantSpace)
	}
	if body := h.must(200, "GET", "ostor-users").body; strings.Contains(body, `"space"`) || strings.Contains(body, `"SpaceStat"`) {
		t.Error("space shown without the flag")
	}

	// A re-created name gets the next epoch.
	if err := h.sim.DeleteBucket("photos"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.CreateBucket("o@example.com", "photos"); err != nil {
		t.Fatal(err)
	}
	if got := h.must(200, "GET", q("ostor-buckets", "emailAddress", "o@example.com")).body; !strings.Contains(got, `"epoch":1,`) || !strings.Contains(got, `"current":0,`) {
		t.Errorf("re-created bucket: %s", got)
	}
}

func TestBucketIntegralIndependentOfStepSize(t *testing.T) {
	// 7 bytes for one hour is 7 byte-hours whether the clock moves in one
	// step or in 3600; fractions must not be lost on the way.
	integral := func(steps int) string {
		sim := ostorsim.MustNew(ostorsim.Options{Seed: 1})
		creds := sim.SystemCredentials()
		if err := sim.CreateBucket(creds.Email, "b"); err != nil {
			t.Fatal(err)
		}
		noErr(t, sim.SetBucketSize("b", 7))
		for range steps {
			sim.Advance(time.Hour / time.Duration(steps))
		}
		return bucketSize(t, sim, "b")
	}
	one, many := integral(1), integral(3600)
	if one != many || !strings.Contains(one, `"h_integral":7,`) {
		t.Fatalf("one step %s, 3600 steps %s", one, many)
	}
}

// bucketSize reads a bucket's size block through the HTTP API.
func bucketSize(t *testing.T, sim *ostorsim.Sim, name string) string {
	t.Helper()
	h := &harness{t: t, sim: sim, creds: sim.SystemCredentials()}
	h.srv = newServer(t, sim)
	body := h.must(200, "GET", "ostor-buckets").body
	i := strings.Index(body, `"name":"`+name+`"`)
	if i < 0 {
		t.Fatalf("bucket %s not in %s", name, body)
	}
	j := strings.Index(body[i:], `"size":`)
	k := strings.Index(body[i+j:], "}")
	return body[i+j : i+j+k+1]
}

// With UserSpaceAsSize the space block has a bucket's size names.
func TestUserSpaceAsSize(t *testing.T) {
	h := newHarness(t, ostorsim.Options{UserSpaceAsSize: true})
	h.must(200, "PUT", q("ostor-users", "emailAddress", "o@example.com"))
	if err := h.sim.CreateBucket("o@example.com", "photos"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.SetBucketSize("photos", 1000); err != nil {
		t.Fatal(err)
	}
	list := h.must(200, "GET", q("ostor-users", "space", flag)).body
	if !strings.Contains(list, `"space":{"current":1000,"hmax":1000,"h_integral":0,`) || strings.Contains(list, "SpaceStat") {
		t.Errorf("users with space: %s", list)
	}
}

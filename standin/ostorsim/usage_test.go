package ostorsim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

type usageList struct {
	NrItems   int `json:"nr_items"`
	Truncated bool
	Items     []string
}

type usageObject struct {
	FmtVersion int         `json:"fmt_version"`
	ServiceID  json.Number `json:"service_id"`
	StartTS    int64       `json:"start_ts"`
	Period     int64
	NrItems    int `json:"nr_items"`
	Items      []struct {
		Key struct {
			Bucket string
			Epoch  uint64
			UserID string `json:"user_id"`
			Tag    string
		}
		Counters struct {
			Ops   struct{ Put, Get, List, Other uint64 }
			NetIO struct{ Uploaded, Downloaded uint64 } `json:"net_io"`
		}
	}
}

func decodeUsageObject(t *testing.T, body string) usageObject {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var o usageObject
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return o
}

func TestUsageObjects(t *testing.T) {
	start := time.Date(2025, 2, 1, 16, 0, 0, 0, time.UTC)
	h := newHarness(t, ostorsim.Options{Start: start})
	u := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "u@example.com")).body)
	if err := h.sim.CreateBucket("u@example.com", "data"); err != nil {
		t.Fatal(err)
	}
	add := func(tr ostorsim.Traffic) {
		t.Helper()
		if err := h.sim.AddTraffic(tr); err != nil {
			t.Fatal(err)
		}
	}
	add(ostorsim.Traffic{Email: "u@example.com", Bucket: "data", Put: 1, Get: 3, Uploaded: 41258, Downloaded: 45511311})
	add(ostorsim.Traffic{UserID: u.UserId, Bucket: "data", Get: 2, Downloaded: 10})
	add(ostorsim.Traffic{Email: "u@example.com", List: 4})        // user level: bucket ""
	add(ostorsim.Traffic{Email: "u@example.com", Bucket: "data"}) // all zero: no item
	if err := h.sim.AddTraffic(ostorsim.Traffic{Email: "u@example.com", Bucket: "nope", Get: 1}); err == nil {
		t.Error("traffic to an unknown bucket accepted")
	}
	if err := h.sim.AddTraffic(ostorsim.Traffic{Email: "x@example.com", Get: 1}); err == nil {
		t.Error("traffic of an unknown user accepted")
	}

	if got := h.must(200, "GET", "ostor-usage").body; got != `{"nr_items":0,"truncated":false,"items":[]}` {
		t.Fatalf("before the period closes: %s", got)
	}
	h.sim.Advance(29 * time.Minute)
	if l := decode[usageList](t, h.must(200, "GET", "ostor-usage").body); l.NrItems != 0 {
		t.Fatalf("period closed early: %+v", l)
	}
	h.sim.Advance(2 * time.Hour) // closes three periods; only the first had traffic
	l := decode[usageList](t, h.must(200, "GET", "ostor-usage").body)
	wantName := "s3-usage-80000000000000065-2025-02-01T16:00:00.000Z-1800"
	if l.NrItems != 1 || l.Truncated || len(l.Items) != 1 || l.Items[0] != wantName {
		t.Fatalf("list %+v, want [%s]", l, wantName)
	}

	body := h.must(200, "GET", q("ostor-usage", "obj", wantName)).body
	// A public client sends limit with obj; the object is the answer.
	if got := h.must(200, "GET", q("ostor-usage", "obj", wantName, "limit", "1000")).body; got != body {
		t.Errorf("obj with limit: %s", got)
	}
	if !strings.Contains(body, `"service_id":80000000000000065,`) {
		t.Errorf("service_id not written with all digits: %s", body)
	}
	obj := decodeUsageObject(t, body)
	if obj.FmtVersion != 1 || obj.ServiceID != "80000000000000065" || obj.StartTS != start.Unix() || obj.Period != 1800 || obj.NrItems != 2 || len(obj.Items) != 2 {
		t.Fatalf("object %+v", obj)
	}
	userLevel, data := obj.Items[0], obj.Items[1] // sorted by bucket: "" first
	if userLevel.Key.Bucket != "" || userLevel.Key.UserID != u.UserId || userLevel.Counters.Ops.List != 4 {
		t.Errorf("user-level item %+v", userLevel)
	}
	if data.Key.Bucket != "data" || data.Key.UserID != u.UserId || data.Counters.Ops.Put != 1 || data.Counters.Ops.Get != 5 ||
		data.Counters.NetIO.Uploaded != 41258 || data.Counters.NetIO.Downloaded != 45511321 {
		t.Errorf("bucket item %+v", data)
	}

	truth := h.sim.UsageGroundTruth()
	if got := truth[ostorsim.UsageKey{UserID: u.UserId, Bucket: "data"}]; got != (ostorsim.Counters{Put: 1, Get: 5, Uploaded: 41258, Downloaded: 45511321}) {
		t.Errorf("ground truth %+v", got)
	}

	if res := h.must(204, "DELETE", q("ostor-usage", "obj", wantName)); res.body != "" {
		t.Errorf("delete body %q", res.body)
	}
	h.mustErr(404, "Statistics object not found", "GET", q("ostor-usage", "obj", wantName))
	h.mustErr(404, "Statistics object not found", "DELETE", q("ostor-usage", "obj", wantName))
	h.mustErr(400, "obj is required", "DELETE", "ostor-usage")
	h.mustErr(400, "", "GET", q("ostor-usage", "obj", wantName, "limit", "x"))
	// Deleting the object does not change what happened.
	if len(h.sim.UsageGroundTruth()) != 2 {
		t.Errorf("ground truth after delete: %+v", h.sim.UsageGroundTruth())
	}
}

func TestUsageListingPaging(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	var names []string
	for i := range 5 {
		name := fmt.Sprintf("s3-usage-80000000000000065-2025-01-01T0%d:00:00.000Z-1800", i)
		names = append(names, name)
	}
	for i := len(names) - 1; i >= 0; i-- { // stored out of order
		h.sim.PutUsageObject(names[i], []byte(`{}`))
	}
	list := func(kv ...string) usageList {
		t.Helper()
		return decode[usageList](t, h.must(200, "GET", q("ostor-usage", kv...)).body)
	}
	if l := list(); l.NrItems != 5 || l.Truncated || strings.Join(l.Items, ",") != strings.Join(names, ",") {
		t.Fatalf("all: %+v", l)
	}
	if l := list("limit", "2"); l.NrItems != 2 || !l.Truncated || l.Items[0] != names[0] || l.Items[1] != names[1] {
		t.Fatalf("first page: %+v", l)
	}
	if l := list("after", names[1], "limit", "2"); l.NrItems != 2 || !l.Truncated || l.Items[0] != names[2] || l.Items[1] != names[3] {
		t.Fatalf("second page: %+v", l)
	}
	if l := list("after", names[3], "limit", "2"); l.NrItems != 1 || l.Truncated || l.Items[0] != names[4] {
		t.Fatalf("last page: %+v", l)
	}
	if l := list("after", names[4]); l.NrItems != 0 || l.Truncated || l.Items == nil {
		t.Fatalf("after the last: %+v", l)
	}
	// after need not be an existing name.
	if l := list("after", "s3-usage-80000000000000065-2025-01-01T01:30"); l.NrItems != 3 || l.Items[0] != names[2] {
		t.Fatalf("after a non-name: %+v", l)
	}
	if l := list("limit", "5"); l.Truncated {
		t.Fatalf("limit equal to the count: %+v", l)
	}
	for _, bad := range []string{"0", "-1", "x", ""} {
		h.mustErr(400, "", "GET", q("ostor-usage", "limit", bad))
	}
	for _, big := range []string{"1000", "1001", "18446744073709551615"} {
		if l := list("limit", big); l.NrItems != 5 {
			t.Fatalf("limit %s: %+v", big, l)
		}
	}

	// A hand-made object is served byte for byte, even if it is not JSON.
	h.sim.PutUsageObject("broken", []byte(`{"fmt_version":1,"items":[`))
	if got := h.must(200, "GET", q("ostor-usage", "obj", "broken")).body; got != `{"fmt_version":1,"items":[` {
		t.Errorf("raw object %q", got)
	}
}

func TestUsageDefaultLimitIs1000(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	for i := range 1001 {
		h.sim.PutUsageObject(fmt.Sprintf("s3-usage-1-%05d", i), nil)
	}
	l := decode[usageList](t, h.must(200, "GET", "ostor-usage").body)
	if l.NrItems != 1000 || !l.Truncated || l.Items[999] != "s3-usage-1-00999" {
		t.Fatalf("nr_items %d truncated %v", l.NrItems, l.Truncated)
	}
}

func TestUsageSeveralServices(t *testing.T) {
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	sids := []string{"80000000000000065", "80000000000000067"}
	h := newHarness(t, ostorsim.Options{Start: start, ServiceIDs: sids, UsagePeriod: time.Hour, EmptyUsageObjects: true})
	h.must(200, "PUT", q("ostor-users", "emailAddress", "m@example.com"))
	noErr(t, h.sim.CreateBucket("m@example.com", "b"))
	for range 3 {
		if err := h.sim.AddTraffic(ostorsim.Traffic{Email: "m@example.com", Bucket: "b", Get: 10, Downloaded: 100}); err != nil {
			t.Fatal(err)
		}
	}
	h.sim.Advance(2 * time.Hour) // the second period is empty but still written

	l := decode[usageList](t, h.must(200, "GET", "ostor-usage").body)
	want := []string{
		"s3-usage-80000000000000065-2025-03-01T00:00:00.000Z-3600",
		"s3-usage-80000000000000065-2025-03-01T01:00:00.000Z-3600",
		"s3-usage-80000000000000067-2025-03-01T00:00:00.000Z-3600",
		"s3-usage-80000000000000067-2025-03-01T01:00:00.000Z-3600",
	}
	if strings.Join(l.Items, "\n") != strings.Join(want, "\n") {
		t.Fatalf("objects:\n%s", strings.Join(l.Items, "\n"))
	}
	var total uint64
	for _, name := range l.Items {
		obj := decodeUsageObject(t, h.must(200, "GET", q("ostor-usage", "obj", name)).body)
		if !strings.Contains(name, string(obj.ServiceID)) {
			t.Errorf("%s holds service %s", name, obj.ServiceID)
		}
		for _, it := range obj.Items {
			total += it.Counters.Ops.Get
		}
	}
	// Split 2 + 1 across the services; together exactly what was added.
	if total != 30 {
		t.Errorf("sum over services %d, want 30", total)
	}
	if _, err := ostorsim.New(ostorsim.Options{ServiceIDs: []string{"8000000000000006a"}}); err == nil {
		t.Error("a non-decimal service id was accepted")
	}
}

// With ServiceIDAsString the object carries the id as a JSON string, hex
// letters allowed, as a public client reads it.
func TestUsageServiceIDAsString(t *testing.T) {
	h := newHarness(t, ostorsim.Options{ServiceIDs: []string{"800000000000006a"}, ServiceIDAsString: true})
	h.must(200, "PUT", q("ostor-users", "emailAddress", "u@example.com"))
	if err := h.sim.AddTraffic(ostorsim.Traffic{Email: "u@example.com", Get: 1}); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(ostorsim.DefaultUsagePeriod)
	names := h.sim.UsageObjectNames()
	if len(names) != 1 || !strings.HasPrefix(names[0], "s3-usage-800000000000006a-") {
		t.Fatalf("names %v", names)
	}
	body := h.must(200, "GET", q("ostor-usage", "obj", names[0])).body
	if !strings.Contains(body, `"service_id":"800000000000006a",`) {
		t.Errorf("service_id not a string: %s", body)
	}
}

func TestSeedDemo(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	before := h.sim.Now()
	if err := h.sim.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	if !h.sim.Now().Equal(before) {
		t.Errorf("SeedDemo moved the clock from %s to %s", before, h.sim.Now())
	}
	if !strings.Contains(h.must(200, "GET", "ostor-buckets").body, before.Add(-24*time.Hour).Format("2006-01-02T15:04:05.000Z")) {
		t.Error("demo buckets were not created a day back")
	}
	if err := h.sim.SeedDemo(); err == nil {
		t.Error("second SeedDemo succeeded")
	}
	if users := decode[[]userJSON](t, h.must(200, "GET", "ostor-users").body); len(users) != 4 {
		t.Errorf("%d users", len(users))
	}
	buckets := h.must(200, "GET", "ostor-buckets").body
	if strings.Count(buckets, `"name"`) != 4 || strings.Contains(buckets, `"h_integral":0`) {
		t.Errorf("buckets %s", buckets)
	}
	l := decode[usageList](t, h.must(200, "GET", "ostor-usage").body)
	if l.NrItems != 48 {
		t.Errorf("%d usage objects after a simulated day", l.NrItems)
	}
	if got := h.must(200, "GET", q("ostor-limits", "emailAddress", "alice@example.com")).body; !strings.Contains(got, `"ops:get":"3600.00"`) {
		t.Errorf("alice limits %s", got)
	}
	obj := h.must(200, "GET", q("ostor-usage", "obj", l.Items[0])).body
	if !bytes.Contains([]byte(obj), []byte(`"bucket":"alice-photos"`)) {
		t.Errorf("first object %s", obj)
	}
}

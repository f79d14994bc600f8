package ecssim

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// xmlChildren lists the element names directly under the root, in order.
func xmlChildren(t *testing.T, doc string) (string, []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	depth := 0
	root := ""
	var names []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%v in %s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				root = el.Name.Local
			}
			if depth == 2 {
				names = append(names, el.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
	return root, names
}

// The seed's example request, answered with the seed's elements in its order.
func TestBucketBillingInfoMatchesSeedExample(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("s3"))
	mustOK(t, e.s.CreateBucket("s3", "standalone-bucket", "root"))
	for i := 0; i < 12; i++ {
		mustOK(t, e.s.PutObject("s3", "standalone-bucket", 1063))
	}
	a := e.do("GET", "/object/billing/buckets/s3/standalone-bucket/info?sizeunit=KB", "xml", "")
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	root, names := xmlChildren(t, a.body)
	want := "namespace name vpool_id total_size total_size_unit total_objects sample_time total_mpu_size total_mpu_parts TagSet uptodate_till total_size_deleted total_objects_deleted"
	if root != "bucket_billing_info" || strings.Join(names, " ") != want {
		t.Errorf("root %s elements %v\nwant %s", root, names, want)
	}
	for _, frag := range []string{
		"<namespace>s3</namespace>", "<name>standalone-bucket</name>", "<total_size>12.45703125</total_size>",
		"<total_size_unit>KB</total_size_unit>", "<total_objects>12</total_objects>",
		"<sample_time>2026-01-01T10:00:00Z</sample_time>", "<total_mpu_size>0.0</total_mpu_size>",
		"<total_mpu_parts>0</total_mpu_parts>", "<TagSet/>", "<uptodate_till>2026-01-01T09:50:00Z</uptodate_till>",
		"<total_size_deleted>0.0</total_size_deleted>", "<total_objects_deleted>0</total_objects_deleted>",
	} {
		if !strings.Contains(a.body, frag) {
			t.Errorf("missing %s in %s", frag, a.body)
		}
	}
	m := e.json("GET", "/object/billing/buckets/s3/standalone-bucket/info?sizeunit=BYTE", "", 200)
	if m["total_size"] != "12756.0" || m["total_size_unit"] != "BYTE" || m["total_objects"] != "12" {
		t.Errorf("JSON %v", m)
	}
	m = e.json("GET", "/object/billing/buckets/s3/standalone-bucket/info", "", 200)
	if m["total_size_unit"] != "GB" {
		t.Errorf("default unit %v", m)
	}
	e.errCode("GET", "/object/billing/buckets/s3/standalone-bucket/info?sizeunit=TB", "", 400, "1008")
	e.errCode("GET", "/object/billing/buckets/s3/none/info", "", 404, "1019")
	e.errCode("GET", "/object/billing/buckets/none/standalone-bucket/info", "", 404, "1019")
}

func TestBucketBillingTagsMPUAndBulk(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateBucket("ns", "a", "u"))
	mustOK(t, e.s.CreateBucket("ns", "b", "u"))
	mustOK(t, e.s.SetBucketTags("ns", "a", map[string]string{"plan": "gold"}))
	mustOK(t, e.s.SetMPU("ns", "a", 2048, 3))
	mustOK(t, e.s.PutObject("ns", "a", 4096))
	mustOK(t, e.s.DeleteObject("ns", "a", 1024))
	a := e.do("GET", "/object/billing/buckets/ns/a/info?sizeunit=KiB", "xml", "")
	for _, frag := range []string{"<TagSet><Tag><Key>plan</Key><Value>gold</Value></Tag></TagSet>", "<total_mpu_size>2.0</total_mpu_size>",
		"<total_mpu_parts>3</total_mpu_parts>", "<total_size>3.0</total_size>", "<total_objects>0</total_objects>",
		"<total_size_deleted>1.0</total_size_deleted>", "<total_objects_deleted>1</total_objects_deleted>"} {
		if !strings.Contains(a.body, frag) {
			t.Errorf("missing %s in %s", frag, a.body)
		}
	}
	bulk := e.json("POST", "/object/billing/buckets/ns/info?sizeunit=BYTE", `{"id":["a","b"]}`, 200)
	if l := bulk["bucket_billing_info"].([]any); len(l) != 2 || l[1].(map[string]any)["name"] != "b" {
		t.Errorf("bulk %v", bulk)
	}
	e.errCode("POST", "/object/billing/buckets/ns/info", `{"id":[]}`, 400, "1004")
}

func TestNamespaceBillingInfoPagesBucketDetail(t *testing.T) {
	e := newEnv(t, Options{BillingPageSize: 2})
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateNamespace("other"))
	for _, n := range []string{"a", "b", "c"} {
		mustOK(t, e.s.CreateBucket("ns", n, "u"))
		mustOK(t, e.s.PutObject("ns", n, 1<<20))
	}
	m := e.json("GET", "/object/billing/namespace/ns/info?sizeunit=MB", "", 200)
	if m["total_size"] != "3.0" || m["total_objects"] != "3" || m["bucket_billing_info"] != nil {
		t.Errorf("summary %v", m)
	}
	m = e.json("GET", "/object/billing/namespace/ns/info?sizeunit=MB&include_bucket_detail=true", "", 200)
	if m["next_marker"] != "b" || len(m["bucket_billing_info"].([]any)) != 2 {
		t.Fatalf("page 1 %v", m)
	}
	m = e.json("GET", "/object/billing/namespace/ns/info?sizeunit=MB&include_bucket_detail=true&marker=b", "", 200)
	if m["next_marker"] != nil || len(m["bucket_billing_info"].([]any)) != 1 {
		t.Errorf("page 2 %v", m)
	}
	a := e.do("POST", "/object/billing/namespace/info", "xml", `<namespace_list><id>ns</id><id>other</id></namespace_list>`)
	root, names := xmlChildren(t, a.body)
	if a.status != 200 || root != "namespace_billing_infos" || strings.Join(names, " ") != "namespace_billing_info namespace_billing_info" {
		t.Errorf("bulk XML %d %s", a.status, a.body)
	}
	j := e.json("POST", "/object/billing/namespace/info", `{"id":["ns"]}`, 200)
	if l := j["namespace_billing_info"].([]any); len(l) != 1 {
		t.Errorf("bulk JSON %v", j)
	}
	e.errCode("POST", "/object/billing/namespace/info", `{"id":["ghost"]}`, 404, "1019")
	s := newEnv(t, Options{BulkRootPlural: Bool(false)})
	mustOK(t, s.s.CreateNamespace("ns"))
	if root, _ := xmlChildren(t, s.do("POST", "/object/billing/namespace/info", "xml", `<namespace_list><id>ns</id></namespace_list>`).body); root != "namespace_billing_info" {
		t.Errorf("singular root %s", root)
	}
}

func TestSampleWindowsAggregateFiveMinuteTraffic(t *testing.T) {
	e := newEnv(t, Options{}) // clock 10:00
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateBucket("ns", "b", "u"))
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustOK(t, e.s.RecordTraffic("ns", "b", Traffic{At: day.Add(9 * time.Hour), ObjectsCreated: 2, BytesDelta: 100, Ingress: 100}))
	mustOK(t, e.s.RecordTraffic("ns", "b", Traffic{At: day.Add(10*time.Hour + 3*time.Minute), Ingress: 1, Egress: 7, ObjectsCreated: 1, BytesDelta: 1}))
	mustOK(t, e.s.RecordTraffic("ns", "b", Traffic{At: day.Add(10*time.Hour + 5*time.Minute), ObjectsDeleted: 1, BytesDelta: -50, BytesDeleted: 50}))
	e.s.Advance(time.Hour) // 11:00, metering up to date till 10:50
	get := func(from, to string) map[string]any {
		return e.json("GET", "/object/billing/buckets/ns/b/sample?sizeunit=BYTE&start_time=2026-01-01T"+from+"&end_time=2026-01-01T"+to, "", 200)
	}
	m := get("10:00", "10:05")
	if m["ingress"] != "1" || m["egress"] != "7" || m["objects_created"] != "1" || m["bytes_delta"] != "1" ||
		m["total_size"] != "101.0" || m["total_objects"] != "3" || m["sample_start_time"] != "2026-01-01T10:00Z" || m["uptodate_till"] != "2026-01-01T10:50:00Z" {
		t.Errorf("[10:00,10:05) %v", m)
	}
	m = get("10:00", "11:00")
	if m["ingress"] != "1" || m["objects_created"] != "1" || m["objects_deleted"] != "1" || m["bytes_delta"] != "-49" || m["total_size"] != "51.0" || m["total_objects"] != "2" {
		t.Errorf("[10:00,11:00) %v", m)
	}
	m = get("10:05", "10:10")
	if m["ingress"] != "0" || m["objects_deleted"] != "1" {
		t.Errorf("[10:05,10:10) %v", m)
	}
	m = get("09:55", "10:00") // end exclusive
	if m["ingress"] != "0" || m["total_size"] != "100.0" {
		t.Errorf("[09:55,10:00) %v", m)
	}
	ns := e.json("GET", "/object/billing/namespace/ns/sample?sizeunit=BYTE&include_bucket_detail=true&start_time=2026-01-01T10:00&end_time=2026-01-01T11:00", "", 200)
	if ns["ingress"] != "1" || len(ns["bucket_billing_sample"].([]any)) != 1 {
		t.Errorf("namespace sample %v", ns)
	}
	for _, bad := range []string{"start_time=2026-01-01T10:03&end_time=2026-01-01T10:10", "start_time=2026-01-01T10:00&end_time=2026-01-01T10:00",
		"start_time=yesterday&end_time=2026-01-01T10:10", "start_time=2026-01-01T10:10&end_time=2026-01-01T10:05"} {
		e.errCode("GET", "/object/billing/buckets/ns/b/sample?"+bad, "", 400, "1008")
	}
	e.errCode("GET", "/object/billing/buckets/ns/b/sample?end_time=2026-01-01T10:10", "", 400, "1004")
}

func TestUptodateLagHidesRecentTraffic(t *testing.T) {
	e := newEnv(t, Options{UptodateLag: 15 * time.Minute}) // clock 10:00
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateBucket("ns", "b", "u"))
	e.s.Advance(3 * time.Minute)
	mustOK(t, e.s.PutObject("ns", "b", 1)) // 10:03
	url := "/object/billing/buckets/ns/b/sample?sizeunit=BYTE&start_time=2026-01-01T10:00&end_time=2026-01-01T10:05"
	e.s.Advance(14 * time.Minute) // 10:17: up to date till 10:00
	if m := e.json("GET", url, "", 200); m["ingress"] != "0" || m["uptodate_till"] != "2026-01-01T10:00:00Z" {
		t.Errorf("before the lag passes %v", m)
	}
	e.s.Advance(3 * time.Minute) // 10:20: up to date till 10:05
	if m := e.json("GET", url, "", 200); m["ingress"] != "1" || m["uptodate_till"] != "2026-01-01T10:05:00Z" {
		t.Errorf("after %v", m)
	}
	if got := e.s.UptodateTill(); !got.Equal(time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("UptodateTill %v", got)
	}
}

func TestDemoSeedsTraffic(t *testing.T) {
	e := newEnv(t, Options{Demo: true})
	l := e.json("GET", "/object/namespaces", "", 200)
	if len(l["namespace"].([]any)) != 2 {
		t.Fatalf("demo namespaces %v", l)
	}
	m := e.json("GET", "/object/billing/namespace/acme/sample?start_time=2026-01-01T00:00&end_time=2026-01-01T09:00&sizeunit=MB", "", 200)
	if m["ingress"] == "0" || m["objects_created"] == "0" {
		t.Errorf("demo traffic %v", m)
	}
	b := e.json("GET", "/object/bucket?namespace=acme", "", 200)
	if len(b["object_bucket"].([]any)) != 4 {
		t.Errorf("demo buckets %v", b)
	}
}

// A .json suffix chooses JSON, as some clients of the bulk billing call do.
func TestJSONSuffixChoosesJSON(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	a := e.do("POST", "/object/billing/namespace/info.json", "xml", `{"id":["ns"]}`)
	if a.status != 200 || !strings.HasPrefix(a.body, `{"namespace_billing_info":[{"namespace":"ns"`) {
		t.Errorf("%d %s", a.status, a.body)
	}
}

func TestBulkSamplesByIDList(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateBucket("ns", "a", "u"))
	mustOK(t, e.s.CreateBucket("ns", "b", "u"))
	mustOK(t, e.s.RecordTraffic("ns", "a", Traffic{At: time.Date(2026, 1, 1, 9, 1, 0, 0, time.UTC), Ingress: 5}))
	q := "?sizeunit=BYTE&start_time=2026-01-01T09:00&end_time=2026-01-01T09:30"
	m := e.json("POST", "/object/billing/buckets/ns/sample"+q, `{"id":["a","b"]}`, 200)
	if l := m["bucket_billing_sample_info"].([]any); len(l) != 2 || l[0].(map[string]any)["ingress"] != "5" {
		t.Errorf("bucket samples %v", m)
	}
	a := e.do("POST", "/object/billing/namespace/sample"+q, "xml", `<namespace_list><id>ns</id></namespace_list>`)
	root, names := xmlChildren(t, a.body)
	if a.status != 200 || root != "namespace_billing_samples" || len(names) != 1 || !strings.Contains(a.body, "<ingress>5</ingress>") {
		t.Errorf("namespace samples %d %s", a.status, a.body)
	}
	e.errCode("POST", "/object/billing/namespace/sample?start_time=2026-01-01T09:01&end_time=2026-01-01T09:30", `{"id":["ns"]}`, 400, "1008")
}

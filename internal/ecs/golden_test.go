package ecs

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ctypeOf(name string) string {
	if strings.HasSuffix(name, ".xml") {
		return "application/xml"
	}
	return "application/json"
}

func decodeFile(t *testing.T, name string, out any) {
	t.Helper()
	if err := decodeBytes(ctypeOf(name), readTestdata(t, name), out, name); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenLoggedIn(t *testing.T) {
	var v loggedIn
	decodeFile(t, "loggedIn.xml", &v)
	if v.User != "root" {
		t.Fatalf("%+v", v)
	}
}

func TestGoldenUsers(t *testing.T) {
	var v userList
	decodeFile(t, "users.json", &v)
	if len(v.Users) != 1 || v.Users[0].UserID != "zmvodjnrbmjxagvwcxf5cg==" || v.Users[0].Namespace != "small-operator-acceptance" {
		t.Fatalf("%+v", v)
	}
	var info userInfo
	decodeFile(t, "userinfo.json", &info)
	if info.Name != "zmvodjnrbmjxagvwcxf5cg==" || bool(info.Locked) {
		t.Fatalf("%+v", info)
	}
}

func TestGoldenSecretKeys(t *testing.T) {
	var k secretKeys
	decodeFile(t, "secretkeys.json", &k)
	if got := k.existing(); len(got) != 1 || got[0] != "cmowa2dxeXZrM2U1NWptdHdrdTB6a3B4YnRub3RwZHY=" {
		t.Fatalf("%v", got)
	}
	var n newKey
	decodeFile(t, "newkey.json", &n)
	if n.SecretKey != "aaaaaa" || n.KeyTimestamp != "2020-03-12 19:45:00.333" {
		t.Fatalf("%+v", n)
	}
}

func TestGoldenBuckets(t *testing.T) {
	var v bucketList
	decodeFile(t, "buckets.xml", &v)
	if len(v.Buckets) != 18 {
		t.Fatalf("%d buckets", len(v.Buckets))
	}
	last := v.Buckets[len(v.Buckets)-1]
	if last.Name != "vxflex-os" || last.Owner != "130820808912778549@ecstestdrive.emc.com" || last.Namespace != "130820808912778549" {
		t.Fatalf("%+v", last)
	}
	if b := toBucket(v.Buckets[0], 5); b.CreationDate.IsZero() || b.OwnerID == "" || b.Size.Current != 5 {
		t.Fatalf("%+v", b)
	}
}

func TestGoldenBucketQuota(t *testing.T) {
	var q quotaDetails
	decodeFile(t, "bucketquota.xml", &q)
	if q.BucketName != "standalone-bucket" || q.Namespace != "s3" || q.BlockSize != -1 || q.NotificationSize != -1 {
		t.Fatalf("%+v", q)
	}
}

func TestGoldenBulkBilling(t *testing.T) {
	var w bulkNamespaceBilling
	decodeFile(t, "billing_bulk.json", &w)
	got := w.infos()
	if len(got) != 1 {
		t.Fatalf("%d", len(got))
	}
	n := got[0]
	if n.Namespace != "s3" || n.TotalSize != 107 || n.TotalSizeUnit != "KB" || n.TotalObjects != 8 || n.TotalMPUSize != 10 || n.TotalMPUParts != 2 ||
		!n.SampleTime.Equal(time.Date(2026, 6, 10, 8, 25, 0, 0, time.UTC)) {
		t.Fatalf("%+v", n)
	}
	if n.Bytes() != 107*1024 {
		t.Fatalf("bytes %d", n.Bytes())
	}
}

// The seed's XML answer and the same answer as JSON with quoted numbers
// decode alike.
func TestGoldenBucketBillingXMLAndJSON(t *testing.T) {
	var x bucketBillingWire
	decodeFile(t, "bucket_billing_info.xml", &x)
	js := `{"namespace":"s3","name":"standalone-bucket","vpool_id":"urn:storageos:ReplicationGroupInfo:b3bf2d47-d732-457c-bb9b-d260eb53a76b:global",
	"total_size":"12.4549","total_size_unit":"KB","total_objects":"12","sample_time":"2017-10-02T01:25:51Z","total_mpu_size":0.0,"total_mpu_parts":"0",
	"TagSet":[],"uptodate_till":"2017-10-02T01:20:51Z","total_size_deleted":"0.0","total_objects_deleted":0}`
	var j bucketBillingWire
	if err := decodeBytes("application/json; charset=utf-8", []byte(js), &j, "json"); err != nil {
		t.Fatal(err)
	}
	xi, ji := x.info(), j.info()
	if len(ji.Tags) == 0 {
		ji.Tags = nil
	}
	if !reflect.DeepEqual(xi, ji) {
		t.Fatalf("xml %+v\njson %+v", xi, ji)
	}
	want := BucketBillingInfo{Name: "standalone-bucket", Namespace: "s3", VpoolID: "urn:storageos:ReplicationGroupInfo:b3bf2d47-d732-457c-bb9b-d260eb53a76b:global",
		TotalSize: 12.4549, TotalSizeUnit: "KB", TotalObjects: 12, SampleTime: time.Date(2017, 10, 2, 1, 25, 51, 0, time.UTC),
		UptodateTill: time.Date(2017, 10, 2, 1, 20, 51, 0, time.UTC)}
	if !reflect.DeepEqual(xi, want) {
		t.Fatalf("got %+v\nwant %+v", xi, want)
	}
	// KB is KiB: 12.4549 × 1024 = 12753.8 → 12754 bytes.
	if xi.Bytes() != 12754 {
		t.Fatalf("bytes = %d", xi.Bytes())
	}
}

func TestFlexNumbers(t *testing.T) {
	type v struct {
		N flexNumber `json:"n" xml:"n"`
		I flexInt    `json:"i" xml:"i"`
		B flexBool   `json:"b" xml:"b"`
	}
	for _, js := range []string{`{"n":1.5,"i":7,"b":true}`, `{"n":"1.5","i":"7","b":"true"}`, `{"n":"1.5","i":"7.0","b":"TRUE"}`} {
		var got v
		if err := json.Unmarshal([]byte(js), &got); err != nil {
			t.Fatal(err)
		}
		if got.N != 1.5 || got.I != 7 || !bool(got.B) {
			t.Fatalf("%s: %+v", js, got)
		}
	}
	var x v
	if err := decodeBytes("text/xml", []byte(`<r><n> 1.5 </n><i>7</i><b>true</b></r>`), &x, "x"); err != nil || x.N != 1.5 || x.I != 7 || !bool(x.B) {
		t.Fatalf("%+v %v", x, err)
	}
	var e v
	if err := json.Unmarshal([]byte(`{"n":"","i":null}`), &e); err != nil || e.N != 0 || e.I != 0 {
		t.Fatalf("%+v %v", e, err)
	}
	if err := json.Unmarshal([]byte(`{"n":"abc"}`), &e); err == nil {
		t.Fatal("abc decoded")
	}
}

func TestBothBulkRootKeys(t *testing.T) {
	for _, key := range []string{"namespace_billing_info", "namespace_billing_infos"} {
		var w bulkNamespaceBilling
		body := `{"` + key + `":[{"namespace":"a","total_size":1,"total_size_unit":"GB"},{"namespace":"b","total_size":"2","total_size_unit":"GB"}]}`
		if err := decodeBytes("application/json", []byte(body), &w, key); err != nil {
			t.Fatal(err)
		}
		got := w.infos()
		if len(got) != 2 || got[1].Namespace != "b" || got[1].Bytes() != 2<<30 {
			t.Fatalf("%s: %+v", key, got)
		}
	}
	for _, key := range []string{"bucket_billing_info", "bucket_billing_infos"} {
		var w bulkBucketBilling
		if err := decodeBytes("application/json", []byte(`{"`+key+`":[{"name":"x","total_size":"3","total_size_unit":"MB"}]}`), &w, key); err != nil {
			t.Fatal(err)
		}
		if got := w.infos(); len(got) != 1 || got[0].Name != "x" || got[0].Bytes() != 3<<20 {
			t.Fatalf("%s: %+v", key, got)
		}
	}
}

func TestNamespaceFor(t *testing.T) {
	a, b := NamespaceFor("Alice.Smith+s3@Example.com"), NamespaceFor("alice.smith+s3@example.com")
	if a == b {
		t.Fatal("two emails share a namespace")
	}
	if !strings.HasPrefix(a, "alice-smith-s3-example-com-") || !ourNamespace.MatchString(a) {
		t.Fatal(a)
	}
	long := NamespaceFor(strings.Repeat("x", 100) + "@example.com")
	if len(long) != 40+1+8 || !ourNamespace.MatchString(long) {
		t.Fatal(long, len(long))
	}
}

// namespaceBilling10000 is a namespace info answer with n buckets.
func namespaceBilling(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"namespace":"ns","total_size":"1024.0","total_size_unit":"BYTE","total_objects":"99","sample_time":"2026-12-06T01:00:00Z","uptodate_till":"2026-12-06T01:00:00Z","next_marker":"","bucket_billing_info":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"bucket-%05d","namespace":"ns","vpool_id":"urn:storageos:ReplicationGroupInfo:b3bf2d47:global","total_size":"%d.0","total_size_unit":"BYTE","total_objects":%d,"sample_time":"2026-12-06T01:00:00Z","uptodate_till":"2026-12-06T01:00:00Z","TagSet":[{"Key":"staas-email","Value":"u%d@example.com"}],"total_mpu_size":"0.0","total_mpu_parts":0,"total_size_deleted":"0.0","total_objects_deleted":"0"}`, i, i*1000, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkDecodeNamespaceBilling10000(b *testing.B) {
	data := namespaceBilling(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var w namespaceBillingWire
		if err := decodeBytes("application/json", data, &w, "bench"); err != nil {
			b.Fatal(err)
		}
		info := w.info()
		if len(info.Buckets) != 10000 {
			b.Fatal(len(info.Buckets))
		}
	}
}

package ostor

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// fastAgrees fails t when the quick bucket decoder accepts data and
// reads it otherwise than the general one (or accepts what it refuses).
func fastAgrees(t *testing.T, data []byte) (fastOK bool) {
	t.Helper()
	fast, ok := decodeBucketsFast(data)
	if !ok {
		return false
	}
	slow, err := DecodeBuckets(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the quick decoder accepts %q, which DecodeBuckets refuses: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: quick %+v, general %+v", data, fast, slow)
	}
	return true
}

// TestDecodeBucketsFastAgrees: the gateway's answers (the guide's, a
// simulator-shaped one) take the quick path and read as DecodeBuckets
// reads them; what it cannot read the same way it leaves to DecodeBuckets.
func TestDecodeBucketsFastAgrees(t *testing.T) {
	for _, n := range []string{"user-buckets.json", "all-buckets.json"} {
		if !fastAgrees(t, guide(t, n)) {
			t.Errorf("the guide's %s does not take the quick path", n)
		}
	}
	quick := []string{
		`{"Buckets":[]}`,
		` {"Buckets" : [ ] } `,
		`{"Buckets":[{}]}`,
		`{"Buckets":[{"name":"a","epoch":3,"creation_date":"2026-12-06T04:13:31.000Z","owner_id":"u1","size":{"current":18446744073709551615,"hmax":0,"h_integral":5,"last_ts":493000}},{"name":"b","size":{}}]}`,
		`{"Buckets":[{"name":"a","name":"b"}]}`,
	}
	for _, s := range quick {
		if !fastAgrees(t, []byte(s)) {
			t.Errorf("%s does not take the quick path", s)
		}
	}
	general := []string{
		``, `null`, `{}`, `[]`, `{"Buckets":null}`, `{"Buckets":[]}x`, "{\"Buckets\":[]}\x00", "{\"Buckets\":[\x00]}", `{"Buckets":[],"x":1}`,
		`{"buckets":[]}`, `{"Buckets":[{"Name":"a"}]}`, `{"Buckets":[{"name":"a\u0062"}]}`, `{"Buckets":[{"name":"é"}]}`,
		`{"Buckets":[{"epoch":"3"}]}`, `{"Buckets":[{"epoch":01}]}`, `{"Buckets":[{"epoch":1.0}]}`, `{"Buckets":[{"epoch":-1}]}`,
		`{"Buckets":[{"epoch":18446744073709551616}]}`, `{"Buckets":[{"epoch":null}]}`, `{"Buckets":[{"owner":"x"}]}`,
		`{"Buckets":[{"creation_date":"yesterday"}]}`, `{"Buckets":[{},]}`, `{"Buckets":[{"size":{"current":1,}}]}`,
		`{"Buckets":[{"name":"a"}`, `{"Buckets":[{"size":{"x":1}}]}`,
	}
	for _, s := range general {
		if fastAgrees(t, []byte(s)) {
			t.Errorf("%s takes the quick path", s)
		}
	}
}

func FuzzDecodeBucketsFast(f *testing.F) {
	seedGuide(f, "user-buckets.json", "all-buckets.json")
	f.Add([]byte(`{"Buckets":[{"name":"a","epoch":3,"creation_date":"2026-12-06T04:13:31.000Z","owner_id":"u1","size":{"current":1,"hmax":0,"h_integral":5,"last_ts":493000}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fastAgrees(t, data) })
}

// BenchmarkDecodeBuckets1000 decodes a user's 1,000 buckets both ways, to
// keep decodeBucketsFast honest: it stays only while it is clearly quicker.
func BenchmarkDecodeBuckets1000(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"Buckets":[`)
	for i := range 1000 {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"name":"bucket-%04d","epoch":%d,"creation_date":"2026-12-06T04:13:31.000Z","owner_id":"a1b2c3d4e5f60718","size":{"current":%d,"hmax":%d,"h_integral":%d,"last_ts":493000}}`,
			i, i+1, i*4096, i*8192, i*1000003)
	}
	buf.WriteString(`]}`)
	data := buf.Bytes()
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if got, ok := decodeBucketsFast(data); !ok || len(got) != 1000 {
				b.Fatal("quick path refused")
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if got, err := DecodeBuckets(bytes.NewReader(data)); err != nil || len(got) != 1000 {
				b.Fatal(err)
			}
		}
	})
}

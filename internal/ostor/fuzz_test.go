package ostor

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// Every decoder is fuzzed: it must never panic, and whatever it accepts
// must satisfy the invariants its callers rely on. Where it is cheap, the
// invariant is a round trip: re-encoding the result in the wire shape and
// decoding again gives the same value.

func seedGuide(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(guide(f, n))
	}
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"a":`, `"x"`, `{"Users":null}`, `[{}]`, `{"items":null}`} {
		f.Add([]byte(s))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("re-encoding: %v", err)
	}
	return b
}

func keysJSON(keys []KeyPair) []map[string]string {
	if keys == nil {
		return nil
	}
	out := []map[string]string{}
	for _, k := range keys {
		out = append(out, map[string]string{"AWSAccessKeyId": k.AccessKeyID, "AWSSecretAccessKey": k.SecretAccessKey})
	}
	return out
}

func sizeJSON(s Size) map[string]uint64 {
	return map[string]uint64{"current": s.Current, "hmax": s.HMax, "h_integral": s.HIntegral, "last_ts": s.LastTS}
}

func userJSON(u User) map[string]any {
	m := map[string]any{
		"UserEmail": u.Email, "UserId": u.ID, "State": u.State, "OwnerId": u.OwnerID,
		"Flags": u.Flags, "AWSAccessKeys": keysJSON(u.Keys), "AccountCount": strconv.FormatUint(u.AccountCount, 10),
	}
	if u.Accounts != nil {
		var accts []map[string]any
		for _, a := range u.Accounts {
			accts = append(accts, map[string]any{"Name": a.Name, "AWSAccessKeys": keysJSON(a.Keys)})
		}
		m["Accounts"] = accts
	}
	if u.Space != nil {
		m["space"] = sizeJSON(*u.Space)
	}
	return m
}

func FuzzDecodeUsers(f *testing.F) {
	seedGuide(f, "list-users.json")
	f.Add([]byte(`{"Users":[{"UserEmail":"a@b.c","UserId":"0123456789abcdef","SpaceStat":{"LastTs":465442,"SizeCurr":1,"SizeHMax":"2","SizeHInt":3},"space":{"current":9}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := DecodeUsers(bytes.NewReader(data))
		if err != nil {
			return
		}
		var wire []map[string]any
		for _, u := range users {
			// Any last_ts, however absurd, gives a time at or after the
			// epoch or the zero time, never a panic or a negative hour.
			if u.Space != nil {
				if lu := u.Space.LastUpdate(); !lu.IsZero() && lu.Before(time.Unix(0, 0)) {
					t.Fatalf("last_ts %d gave %v", u.Space.LastTS, lu)
				}
			}
			wire = append(wire, userJSON(u))
		}
		if wire == nil {
			wire = []map[string]any{}
		}
		again, err := DecodeUsers(bytes.NewReader(mustJSON(t, wire)))
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !reflect.DeepEqual(again, users) {
			t.Fatalf("round trip changed\n %#v\nto\n %#v", users, again)
		}
	})
}

func FuzzDecodeUser(f *testing.F) {
	seedGuide(f, "query-user.json", "create-user.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := DecodeUser(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := DecodeUser(bytes.NewReader(mustJSON(t, userJSON(*u))))
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !reflect.DeepEqual(again, u) {
			t.Fatalf("round trip changed\n %#v\nto\n %#v", u, again)
		}
	})
}

func FuzzDecodeUserKeys(f *testing.F) {
	seedGuide(f, "create-user.json", "gen-key.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := DecodeUserKeys(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := DecodeUserKeys(bytes.NewReader(mustJSON(t, map[string]any{"UserEmail": k.Email, "UserId": k.ID, "AWSAccessKeys": keysJSON(k.Keys)})))
		if err != nil || !reflect.DeepEqual(again, k) {
			t.Fatalf("round trip: %v\n %#v\n %#v", err, k, again)
		}
	})
}

func FuzzDecodeAccount(f *testing.F) {
	f.Add([]byte(`{"Name":"account1","AWSAccessKeys":[{"AWSAccessKeyId":"0123456789abcdefAAAA","AWSSecretAccessKey":"s"}]}`))
	seedGuide(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeAccount(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := DecodeAccount(bytes.NewReader(mustJSON(t, map[string]any{"Name": a.Name, "AWSAccessKeys": keysJSON(a.Keys)})))
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("round trip: %v\n %#v\n %#v", err, a, again)
		}
	})
}

func FuzzDecodeBuckets(f *testing.F) {
	seedGuide(f, "user-buckets.json", "all-buckets.json", "all-buckets.guide.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		buckets, err := DecodeBuckets(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, b := range buckets {
			if lu := b.Size.LastUpdate(); !lu.IsZero() && lu.Location() != nil && lu.Unix() != int64(b.Size.LastTS)*3600 {
				t.Fatalf("LastUpdate %v for last_ts %d", lu, b.Size.LastTS)
			}
			if !b.CreationDate.IsZero() && b.CreationDate.Location().String() != "UTC" {
				t.Fatalf("creation date not in UTC: %v", b.CreationDate)
			}
		}
	})
}

func FuzzDecodeLimits(f *testing.F) {
	seedGuide(f, "user-limits.json", "bucket-limits.json")
	f.Add([]byte(`{"ops:get":3600.5,"bandwidth:out":18446744073709551615}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := DecodeLimits(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, v := range []float64{l.OpsDefault, l.OpsGet, l.OpsPut, l.OpsList, l.OpsDelete} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("limit %v accepted", v)
			}
		}
		wire := map[string]string{
			"ops:default": strconv.FormatFloat(l.OpsDefault, 'g', -1, 64), "ops:get": strconv.FormatFloat(l.OpsGet, 'g', -1, 64),
			"ops:put": strconv.FormatFloat(l.OpsPut, 'g', -1, 64), "ops:list": strconv.FormatFloat(l.OpsList, 'g', -1, 64),
			"ops:delete": strconv.FormatFloat(l.OpsDelete, 'g', -1, 64), "bandwidth:out": strconv.FormatUint(l.BandwidthOut, 10),
		}
		again, err := DecodeLimits(bytes.NewReader(mustJSON(t, wire)))
		if err != nil || *again != *l {
			t.Fatalf("round trip: %v\n %#v\n %#v", err, l, again)
		}
	})
}

func FuzzDecodeQuota(f *testing.F) {
	f.Add([]byte(`{"version":"1","type":"user","size":"1024"}`))
	f.Add([]byte(`{"version":"1","type":"0","size":"1024"}`))
	f.Add([]byte(`{"version":1,"type":1,"size":0}`))
	seedGuide(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := DecodeQuota(bytes.NewReader(data))
		if err != nil {
			return
		}
		if q.Type != "user" && q.Type != "bucket" {
			t.Fatalf("type %q accepted", q.Type)
		}
		again, err := DecodeQuota(bytes.NewReader(mustJSON(t, map[string]string{"version": q.Version, "type": q.Type, "size": strconv.FormatUint(q.SizeGB, 10)})))
		if err != nil || *again != *q {
			t.Fatalf("round trip: %v\n %#v\n %#v", err, q, again)
		}
	})
}

func FuzzDecodeUsageList(f *testing.F) {
	seedGuide(f, "usage-list.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := DecodeUsageList(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := DecodeUsageList(bytes.NewReader(mustJSON(t, map[string]any{"nr_items": l.Count, "truncated": l.Truncated, "items": l.Items})))
		if err != nil || !reflect.DeepEqual(again, l) {
			t.Fatalf("round trip: %v\n %#v\n %#v", err, l, again)
		}
	})
}

func FuzzDecodeUsageObject(f *testing.F) {
	seedGuide(f, "usage-object.json", "usage-object.guide.txt")
	f.Add([]byte(`{"service_id":"8000000000000006a","items":[{"key":{"bucket":""},"counters":{"ops":{"put":"18446744073709551615"}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := DecodeUsageObject(bytes.NewReader(data))
		var streamed []UsageItem
		h, serr := DecodeUsageStream(bytes.NewReader(data), func(it UsageItem) error {
			streamed = append(streamed, it)
			return nil
		})
		if (err == nil) != (serr == nil) {
			t.Fatalf("whole decoder says %v, streaming says %v", err, serr)
		}
		if err != nil {
			return
		}
		if *h != obj.UsageHeader || !reflect.DeepEqual(streamed, obj.Items) {
			t.Fatalf("streaming and whole decoders disagree")
		}
		if obj.ServiceID == "" {
			t.Fatal("empty service id accepted")
		}
		for _, c := range obj.ServiceID {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				t.Fatalf("service id %q accepted", obj.ServiceID)
			}
		}
		if st := obj.Start(); !st.IsZero() && st.Before(time.Unix(0, 0)) {
			t.Fatalf("start_ts %d gave %v", obj.StartTS, st)
		}
		if obj.PeriodDuration() < 0 {
			t.Fatalf("period %d gave a negative duration", obj.Period)
		}
	})
}

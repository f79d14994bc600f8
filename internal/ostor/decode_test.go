package ostor

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

func guide(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "guide", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equal(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n %#v\nwant\n %#v", got, want)
	}
}

var (
	guideKey1 = KeyPair{AccessKeyID: "ca55631f9f3d59dcDF4M", SecretAccessKey: "QCb17BzeepyvUAdJeFNFYW9fCzbq0uFa16e5pGm"}
	guideKey2 = KeyPair{AccessKeyID: "ca55631f9f3d59dcZMDX", SecretAccessKey: "ffWvn0cNiH0jkQod4huv51BMYBuSWS4zRLFVwd4d"}
)

func TestGuideCreateUser(t *testing.T) {
	k, err := DecodeUserKeys(bytes.NewReader(guide(t, "create-user.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, k, &UserKeys{Email: "client@example.com", ID: "ca55631f9f3d59dc", Keys: []KeyPair{guideKey1}})
}

func TestGuideGenKey(t *testing.T) {
	k, err := DecodeUserKeys(bytes.NewReader(guide(t, "gen-key.json")))
	if err != nil {
		t.Fatal(err)
	}
	// The guide prints this secret with "ws" where query-user.json has
	// "WS"; the fixture keeps the guide's text.
	equal(t, k, &UserKeys{Email: "client@example.com", ID: "ca55631f9f3d59dc", Keys: []KeyPair{
		{AccessKeyID: "ca55631f9f3d59dcZMDX", SecretAccessKey: "ffWvn0cNiH0jkQod4huv51BMYBuSws4zRLFVwd4d"},
	}})
}

func TestGuideListUsers(t *testing.T) {
	users, err := DecodeUsers(bytes.NewReader(guide(t, "list-users.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, users, []User{
		{Email: "user@example.com", ID: "a14040e0b2ef8b28", State: "enabled", OwnerID: "000000000000000000"},
		{Email: "client@example.com", ID: "ca55631f9f3d59dc", State: "enabled", OwnerID: "000000000000000000"},
	})
	if !users[0].Enabled() {
		t.Error("Enabled() = false for state enabled")
	}
}

func TestDecodeUsersWrapped(t *testing.T) {
	for _, body := range []string{
		`{"Users":[{"UserEmail":"a@b.c","UserId":"0123456789abcdef","State":"disabled","OwnerId":"0","Flags":["system"]}]}`,
		`{"users":[{"UserEmail":"a@b.c","UserId":"0123456789abcdef","State":"disabled","OwnerId":"0","Flags":"system"}]}`,
	} {
		users, err := DecodeUsers(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, users, []User{{Email: "a@b.c", ID: "0123456789abcdef", State: "disabled", OwnerID: "0", Flags: []string{"system"}}})
	}
	users, err := DecodeUsers(strings.NewReader(`{"Users":[]}`))
	if err != nil || len(users) != 0 {
		t.Fatalf("empty wrapped list: %v %v", users, err)
	}
}

func TestDecodeUsersWithSpace(t *testing.T) {
	users, err := DecodeUsers(strings.NewReader(`[{"UserEmail":"a@b.c","UserId":"0123456789abcdef","space":{"current":"5","hmax":7,"h_integral":18446744073709551615,"last_ts":424241}}]`))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, users[0].Space, &Size{Current: 5, HMax: 7, HIntegral: 18446744073709551615, LastTS: 424241})
}

// The SpaceStat shape, as a public client (Luzilla/acronis-s3-usage,
// pkg/ostor/types.go UserSpaceStat) decodes it from real gateways.
func TestDecodeUsersWithSpaceStat(t *testing.T) {
	users, err := DecodeUsers(strings.NewReader(`{"Users":[{"UserEmail":"a@b.c","UserId":"0123456789abcdef","SpaceStat":{"LastTs":465442,"SizeCurr":139658698,"SizeHMax":"139658699","SizeHInt":1345907736733}},` +
		`{"UserEmail":"d@b.c","UserId":"1123456789abcdef"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, users[0].Space, &Size{Current: 139658698, HMax: 139658699, HIntegral: 1345907736733, LastTS: 465442})
	if users[1].Space != nil {
		t.Errorf("a user without a space block got %+v", users[1].Space)
	}
}

func TestGuideQueryUser(t *testing.T) {
	u, err := DecodeUser(bytes.NewReader(guide(t, "query-user.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, u, &User{
		Email: "client@example.com", ID: "ca55631f9f3d59dc", State: "enabled", OwnerID: "000000000000000000",
		Flags: []string{}, Keys: []KeyPair{guideKey1, guideKey2},
	})
}

// The API reference's query answer adds AccountCount as a string.
func TestDecodeUserAccounts(t *testing.T) {
	u, err := DecodeUser(strings.NewReader(`{"UserEmail":"a@b.c","UserId":"0123456789abcdef","State":"enabled","OwnerId":"0000000000000000","Flags":[],
		"AWSAccessKeys":[],"AccountCount":"3","Accounts":[{"Name":"account1","AWSAccessKeys":[{"AWSAccessKeyId":"0123456789abcdefAAAA","AWSSecretAccessKey":"s"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.AccountCount != 3 || len(u.Accounts) != 1 || u.Accounts[0].Name != "account1" ||
		u.Accounts[0].Keys[0] != (KeyPair{AccessKeyID: "0123456789abcdefAAAA", SecretAccessKey: "s"}) {
		t.Fatalf("got %#v", u)
	}
}

func TestGuideUserBuckets(t *testing.T) {
	b, err := DecodeBuckets(bytes.NewReader(guide(t, "user-buckets.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, b, []Bucket{{
		Name: "data", Epoch: 0, OwnerID: "ba7eba06129464c5",
		CreationDate: time.Date(2018, 5, 25, 17, 12, 0, 0, time.UTC),
		Size:         Size{Current: 12288, HIntegral: 7360512, HMax: 12288, LastTS: 424241},
	}})
	// 424241 hours after the epoch is the hour in which the bucket was made.
	if got, want := b[0].Size.LastUpdate(), time.Date(2018, 5, 25, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("LastUpdate = %v, want %v", got, want)
	}
}

func TestGuideAllBuckets(t *testing.T) {
	b, err := DecodeBuckets(bytes.NewReader(guide(t, "all-buckets.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, b, []Bucket{
		{Name: "bucket1", OwnerID: "ba7eba06129464c5", CreationDate: time.Date(2018, 5, 25, 17, 12, 0, 0, time.UTC),
			Size: Size{Current: 12288, HIntegral: 7360512, HMax: 12288, LastTS: 424241}},
		{Name: "bucket2", OwnerID: "ccbec013d9fd3918", CreationDate: time.Date(2018, 5, 25, 13, 51, 55, 0, time.UTC),
			Size: Size{Current: 46700160, HIntegral: 28160196480, HMax: 46700160, LastTS: 424237}},
		{Name: "bucket3", OwnerID: "9d80d59edbe2862a", CreationDate: time.Date(2018, 5, 23, 10, 30, 49, 0, time.UTC),
			Size: Size{Current: 12288, HIntegral: 8036352, HMax: 12288, LastTS: 424186}},
	})
	for _, bk := range b {
		if lu := bk.Size.LastUpdate(); lu.After(bk.CreationDate) || bk.CreationDate.Sub(lu) >= time.Hour {
			t.Errorf("%s: last_ts hour %v does not hold creation %v", bk.Name, lu, bk.CreationDate)
		}
	}
	if _, err := DecodeBuckets(bytes.NewReader(guide(t, "all-buckets.guide.txt"))); err == nil {
		t.Error("the guide's broken text decoded")
	}
}

func TestGuideLimits(t *testing.T) {
	for _, name := range []string{"user-limits.json", "bucket-limits.json"} {
		l, err := DecodeLimits(bytes.NewReader(guide(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, l, &Limits{OpsGet: 3600, BandwidthOut: 100})
	}
}

func TestGuideUsageList(t *testing.T) {
	l, err := DecodeUsageList(bytes.NewReader(guide(t, "usage-list.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, l, &UsageList{Count: 7, Truncated: false, Items: []string{
		"s3-usage-80000000000000065-2017-02-01T16:31:54.000Z-1800",
		"s3-usage-80000000000000067-2017-02-01T16:30:51.000Z-1800",
		"s3-usage-80000000000000068-2017-02-01T16:27:25.000Z-1800",
		"s3-usage-80000000000000069-2017-02-01T16:27:24.000Z-1800",
		"s3-usage-80000000000000069-2017-02-01T16:31:07.000Z-1800",
		"s3-usage-8000000000000006a-2017-02-01T16:27:24.000Z-1800",
		"s3-usage-8000000000000006a-2017-02-01T16:31:08.000Z-1800",
	}})
	for _, name := range l.Items {
		if err := validUsageName("test", name); err != nil {
			t.Errorf("guide name rejected: %v", err)
		}
	}
}

var guideUsageObject = &UsageObject{
	UsageHeader: UsageHeader{FmtVersion: 1, ServiceID: "80000000000000065", StartTS: 1485966714, Period: 1390, Count: 1},
	Items: []UsageItem{{
		Key:        UsageKey{Bucket: "client", Epoch: 98309, UserID: "b81d6c5f895a8c86", Tag: ""},
		Ops:        OpsCounters{Put: 1, Get: 3, List: 0, Other: 0},
		Uploaded:   41258,
		Downloaded: 45511311,
	}},
}

func TestGuideUsageObject(t *testing.T) {
	obj, err := DecodeUsageObject(bytes.NewReader(guide(t, "usage-object.json")))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, obj, guideUsageObject)
	if obj.ServiceID != "80000000000000065" { // all 17 digits, no float rounding
		t.Errorf("service_id = %q", obj.ServiceID)
	}
	if got := obj.Start(); !got.Equal(time.Date(2017, 2, 1, 16, 31, 54, 0, time.UTC)) {
		t.Errorf("Start = %v", got) // the time in the object's name
	}
	if obj.PeriodDuration() != 1390*time.Second {
		t.Errorf("PeriodDuration = %v", obj.PeriodDuration())
	}

	var items []UsageItem
	h, err := DecodeUsageStream(bytes.NewReader(guide(t, "usage-object.json")), func(it UsageItem) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, h, &guideUsageObject.UsageHeader)
	equal(t, items, guideUsageObject.Items)

	if _, err := DecodeUsageObject(bytes.NewReader(guide(t, "usage-object.guide.txt"))); err == nil {
		t.Error("the guide's broken text decoded")
	}
}

// The repaired fixtures differ from the guide's text only by the lines
// testdata/guide/README.md lists.
func TestGuideRepairs(t *testing.T) {
	lines := func(b []byte) []string {
		l := strings.SplitAfter(string(b), "\n")
		if l[len(l)-1] == "" {
			l = l[:len(l)-1]
		}
		return l
	}
	removeAfter := func(t *testing.T, l []string, anchor string, removed []string) []string {
		t.Helper()
		for i, s := range l {
			if s == anchor+"\n" {
				for j, r := range removed {
					if l[i+1+j] != r+"\n" {
						t.Fatalf("line %d after %q is %q, README says %q", j+1, anchor, l[i+1+j], r)
					}
				}
				return append(append([]string{}, l[:i+1]...), l[i+1+len(removed):]...)
			}
		}
		t.Fatalf("anchor %q not found", anchor)
		return nil
	}

	t.Run("all-buckets", func(t *testing.T) {
		g := lines(guide(t, "all-buckets.guide.txt"))
		fixed := removeAfter(t, g, `      "epoch": 0,`, []string{"    }", "  ]", "}", "```", "", "```", ""})
		if got, want := strings.Join(fixed, ""), string(guide(t, "all-buckets.json")); got != want {
			t.Fatalf("repair differs from README:\n%s", got)
		}
		if d := removedChars(guide(t, "all-buckets.guide.txt"), guide(t, "all-buckets.json")); d != "}]}``````" {
			t.Fatalf("non-space characters removed: %q", d)
		}
	})
	t.Run("usage-object", func(t *testing.T) {
		g := lines(guide(t, "usage-object.guide.txt"))
		fixed := removeAfter(t, g, `    {`, []string{"```", "", "", "", "```", ""})
		n := len(fixed)
		if fixed[n-3] != "}\n" || fixed[n-2] != "]\n" {
			t.Fatalf("the extra brace is not before the final ]: %q", fixed[n-3:])
		}
		fixed = append(fixed[:n-3], fixed[n-2:]...)
		if got, want := strings.Join(fixed, ""), string(guide(t, "usage-object.json")); got != want {
			t.Fatalf("repair differs from README:\n%s", got)
		}
		if d := removedChars(guide(t, "usage-object.guide.txt"), guide(t, "usage-object.json")); d != "``````}" {
			t.Fatalf("non-space characters removed: %q", d)
		}
	})
}

// removedChars returns the non-space characters of guide that fixed lacks,
// in order, checking that fixed's are a subsequence of guide's.
func removedChars(guide, fixed []byte) string {
	strip := func(b []byte) []rune {
		var out []rune
		for _, r := range string(b) {
			if !unicode.IsSpace(r) {
				out = append(out, r)
			}
		}
		return out
	}
	g, f := strip(guide), strip(fixed)
	var removed []rune
	j := 0
	for _, r := range g {
		if j < len(f) && f[j] == r {
			j++
			continue
		}
		removed = append(removed, r)
	}
	if j != len(f) {
		return "<fixed has characters the guide lacks>"
	}
	return string(removed)
}

func TestDecodeQuota(t *testing.T) {
	for body, want := range map[string]Quota{
		`{"version":"1","type":"user","size":"1024"}`: {Version: "1", Type: "user", SizeGB: 1024},
		`{"version":"1","type":"0","size":"1024"}`:    {Version: "1", Type: "user", SizeGB: 1024},
		`{"version":1,"type":1,"size":0}`:             {Version: "1", Type: "bucket", SizeGB: 0},
		`{"version":"1","type":"bucket","size":"5"}`:  {Version: "1", Type: "bucket", SizeGB: 5},
	} {
		q, err := DecodeQuota(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		equal(t, *q, want)
	}
	for _, body := range []string{`{"type":"2","size":"1"}`, `{"type":"user","size":"-1"}`, `{"type":"user","size":"1.5"}`, `[]`, ``} {
		if _, err := DecodeQuota(strings.NewReader(body)); err == nil {
			t.Errorf("%s decoded", body)
		}
	}
}

func TestFlexibleNumbers(t *testing.T) {
	obj, err := DecodeUsageObject(strings.NewReader(`{"fmt_version":"1","service_id":"80000000000000065","start_ts":"1","period":1,"nr_items":"1",
		"items":[{"key":{"bucket":"b","epoch":"2","user_id":"u","tag":"t"},"counters":{"ops":{"put":"18446744073709551615","get":18446744073709551615,"list":"0","other":0},
		"net_io":{"uploaded":"9007199254740993","downloaded":9007199254740993}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	it := obj.Items[0]
	if it.Ops.Put != 18446744073709551615 || it.Ops.Get != 18446744073709551615 {
		t.Errorf("max uint64 not exact: %+v", it.Ops)
	}
	// 2^53+1 is the first integer a float64 cannot hold.
	if it.Uploaded != 9007199254740993 || it.Downloaded != 9007199254740993 {
		t.Errorf("2^53+1 not exact: %d %d", it.Uploaded, it.Downloaded)
	}
	for _, bad := range []string{
		`{"service_id":1,"items":[{"counters":{"ops":{"put":-1}}}]}`,
		`{"service_id":1,"items":[{"counters":{"ops":{"put":1.5}}}]}`,
		`{"service_id":1,"items":[{"counters":{"ops":{"put":18446744073709551616}}}]}`,
		`{"service_id":1,"items":[{"counters":{"ops":{"put":true}}}]}`,
		`{"service_id":1e3}`,
		`{"service_id":-5}`,
		`{"service_id":"12x"}`,
		`{"period":1}`,
		`{"service_id":1,"items":[],"items":[]}`,
		`{"service_id":1} {}`,
		`{"service_id":1,"items":{}}`,
		``,
	} {
		if _, err := DecodeUsageObject(strings.NewReader(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
	h, err := DecodeUsageStream(strings.NewReader(`{"items":null,"service_id":"8000000000000006a"}`), func(UsageItem) error { return nil })
	if err != nil || h.ServiceID != "8000000000000006a" {
		t.Fatalf("%v %v", h, err)
	}
}

func TestDecodeUsageStreamStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	_, err := DecodeUsageStream(bytes.NewReader(guide(t, "usage-object.json")), func(UsageItem) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("err = %v, calls = %d", err, calls)
	}
}

func TestDecodeRejectsOtherShapes(t *testing.T) {
	for name, dec := range map[string]func(string) error{
		"users":   func(s string) error { _, err := DecodeUsers(strings.NewReader(s)); return err },
		"user":    func(s string) error { _, err := DecodeUser(strings.NewReader(s)); return err },
		"buckets": func(s string) error { _, err := DecodeBuckets(strings.NewReader(s)); return err },
		"limits":  func(s string) error { _, err := DecodeLimits(strings.NewReader(s)); return err },
		"list":    func(s string) error { _, err := DecodeUsageList(strings.NewReader(s)); return err },
	} {
		for _, body := range []string{``, `null`, `"x"`, `12`, `{`, `{} {}`, `<Error/>`} {
			err := dec(body)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("%s: %q: err = %v, want a *DecodeError", name, body, err)
			}
		}
	}
	if _, err := DecodeLimits(strings.NewReader(`{"ops:get":"NaN"}`)); err == nil {
		t.Error("NaN limit decoded")
	}
	if _, err := DecodeBuckets(strings.NewReader(`{"Buckets":[{"name":"a","creation_date":"yesterday"}]}`)); err == nil {
		t.Error("bad creation_date decoded")
	}
}

func TestParseDigits(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "7": 7, "18446744073709551615": 18446744073709551615, "00012": 12} {
		if v, ok := parseDigits([]byte(in)); !ok || v != want {
			t.Errorf("parseDigits(%q) = %d, %t", in, v, ok)
		}
	}
	for _, in := range []string{"", "18446744073709551616", "99999999999999999999", "-1", "1.0", `"1"`, "123456789012345678901"} {
		if _, ok := parseDigits([]byte(in)); ok {
			t.Errorf("parseDigits(%q) accepted", in)
		}
	}
}

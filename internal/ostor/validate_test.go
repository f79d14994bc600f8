package ostor

import (
	"math"
	"strings"
	"testing"

	"staas"
)

func TestValidators(t *testing.T) {
	type check func(string) error
	email := func(s string) error { return validEmail("op", s) }
	bucket := func(s string) error { return validBucket("op", s) }
	for _, tc := range []struct {
		name      string
		fn        check
		good, bad []string
	}{
		{"email", email,
			[]string{"client@example.com", "a&b=c#d@example.com", "a+b@x.io", "o'neil@example.com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"},
			[]string{"", "no-at", "Name <a@b.c>", "<a@b.c>", "a@b.c ", " a@b.c", "a@b.c\n", "a\x00@b.c", "a@b.c, d@e.f", `"a b"@c.d`,
				strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"}},
		{"user id", func(s string) error { return validUserID("op", s) },
			[]string{"ca55631f9f3d59dc", "0000000000000000"},
			[]string{"", "CA55631F9F3D59DC", "ca55631f9f3d59d", "ca55631f9f3d59dcc", "ca55631f9f3d59dg"}},
		{"access key id", func(s string) error { return validAccessKeyID("op", s) },
			[]string{"ca55631f9f3d59dcDF4M", "a14040e0b2ef8b28FZZ8"},
			[]string{"", "ca55631f9f3d59dcdf4m", "ca55631f9f3d59dcDF4", "ca55631f9f3d59dcDF4MX", "ca55631f9f3d59dc&F4M"}},
		{"account name", func(s string) error { return validAccountName("op", s) },
			[]string{"account1", "A", "a.b_c-d", strings.Repeat("a", 64)},
			[]string{"", "-a", ".a", "a b", "a&b", "a/b", strings.Repeat("a", 65)}},
		{"bucket", bucket,
			[]string{"abc", "client-data", "a.b.c", "1bucket", strings.Repeat("a", 63)},
			[]string{"", "ab", strings.Repeat("a", 64), "Bucket", "a_b", "-ab", "ab-", ".ab", "ab.", "a..b", "192.168.1.1", "a b", "a&b=c"}},
		{"usage name", func(s string) error { return validUsageName("op", s) },
			[]string{"s3-usage-80000000000000065-2017-02-01T16:31:54.000Z-1800", "s3-usage-8000000000000006a-2017-02-01T16:27:24.000Z-1800"},
			[]string{"", "s3-usage-", "s3-usage-8-2017-02-01T16:31:54Z-1800", "s3-usage-8-2017-02-01T16:31:54.000Z-", "s3-usage-g-2017-02-01T16:31:54.000Z-1",
				"s3-usage-8-2017-02-01T16:31:54.000Z-1800&obj=x", "../s3-usage-8-2017-02-01T16:31:54.000Z-1800"}},
		{"ops resource", func(s string) error { return validOpsResource("op", s) },
			[]string{"default", "get", "put", "list", "delete"},
			[]string{"", "GET", "out", "head"}},
	} {
		for _, s := range tc.good {
			if err := tc.fn(s); err != nil {
				t.Errorf("%s %q refused: %v", tc.name, s, err)
			}
		}
		for _, s := range tc.bad {
			err := tc.fn(s)
			if staas.ErrorCode(err) != staas.EINVALID {
				t.Errorf("%s %q accepted (%v)", tc.name, s, err)
			} else if !strings.Contains(staas.ErrorDetail(err), "ostor: op: ") {
				t.Errorf("the log's detail %q lacks the operation", staas.ErrorDetail(err))
			} else if msg := staas.ErrorMessage(err); strings.HasPrefix(msg, "ostor:") || !strings.HasSuffix(msg, ".") {
				t.Errorf("an admin reads %q: want a sentence without staas's internals", msg)
			}
		}
	}
}

func TestValidNumbers(t *testing.T) {
	for _, v := range []float64{0, 0.01, 3600, 1e9} {
		if err := validOpsValue("op", v); err != nil {
			t.Errorf("%v refused: %v", v, err)
		}
	}
	for _, v := range []float64{-0.01, math.NaN(), math.Inf(1), math.Inf(-1), 1e10} {
		if err := validOpsValue("op", v); err == nil {
			t.Errorf("%v accepted", v)
		}
	}
	if validQuotaGB("op", maxQuotaGB) != nil || validQuotaGB("op", maxQuotaGB+1) == nil {
		t.Error("quota bound wrong")
	}
	for _, n := range []int{0, 1, 1000} {
		if validPageLimit("op", n) != nil {
			t.Errorf("page limit %d refused", n)
		}
	}
	for _, n := range []int{-1, 1001} {
		if validPageLimit("op", n) == nil {
			t.Errorf("page limit %d accepted", n)
		}
	}
}

func TestSubjects(t *testing.T) {
	// A subject naming both a user and a bucket, or a reference naming
	// both an email and an id, cannot be built outside package staas.
	for _, s := range []LimitSubject{{}, UserLimits(UserRef{}), UserLimits(ByEmail("not an email"))} {
		if validateLimitSubject(s, "op") == nil {
			t.Errorf("limit subject %+v accepted", s)
		}
	}
	for _, s := range []QuotaSubject{{}, DefaultQuota("1"), DefaultQuota("USER"), BucketQuota("A b")} {
		if validateQuotaSubject(s, "op") == nil {
			t.Errorf("quota subject %+v accepted", s)
		}
	}
	if got := limitQuery(UserLimits(ByID("0123456789abcdef"))).String(); got != "ostor-limits&id=0123456789abcdef" {
		t.Errorf("query %q", got)
	}
	if got := quotaQuery(DefaultQuota("bucket")).set("quota-size", "5").String(); got != "ostor-quotas&default=bucket&quota-size=5" {
		t.Errorf("query %q", got)
	}
}

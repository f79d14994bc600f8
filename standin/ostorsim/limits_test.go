package ostorsim_test

import (
	"strings"
	"testing"

	"staas/standin/ostorsim"
)

const zeroLimits = `{"ops:default":"0.00","ops:get":"0.00","ops:put":"0.00","ops:list":"0.00","ops:delete":"0.00","bandwidth:out":"0"}`

func TestLimitsRoundTrip(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	user := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "l@example.com")).body)
	if err := h.sim.CreateBucket("l@example.com", "lb"); err != nil {
		t.Fatal(err)
	}

	for _, sel := range [][]string{{"emailAddress", "l@example.com"}, {"bucket", "lb"}} {
		get := q("ostor-limits", sel...)
		if got := h.must(200, "GET", get).body; got != zeroLimits {
			t.Errorf("%v before any set: %s", sel, got)
		}
		set := func(typ, res, val string) string {
			return q("ostor-limits", append(sel, "limit-type", typ, "limit-resource", res, "limit-value", val)...)
		}
		h.must(200, "PUT", set("ops", "get", "3600"))
		h.must(200, "PUT", set("bandwidth", "out", "100"))
		want := `{"ops:default":"0.00","ops:get":"3600.00","ops:put":"0.00","ops:list":"0.00","ops:delete":"0.00","bandwidth:out":"100"}`
		if got := h.must(200, "GET", get).body; got != want {
			t.Errorf("%v\n got %s\nwant %s", sel, got, want)
		}
		h.must(200, "PUT", set("ops", "put", "1.5"))
		h.must(200, "PUT", set("ops", "default", "0.125"))
		want = `{"ops:default":"0.13","ops:get":"3600.00","ops:put":"1.50","ops:list":"0.00","ops:delete":"0.00","bandwidth:out":"100"}`
		if got := h.must(200, "GET", get).body; got != want {
			t.Errorf("%v decimals\n got %s\nwant %s", sel, got, want)
		}

		for _, bad := range [][3]string{
			{"ops", "post", "1"}, {"iops", "get", "1"}, {"ops", "get", "-1"}, {"ops", "get", "NaN"},
			{"ops", "get", "ten"}, {"bandwidth", "in", "1"}, {"bandwidth", "out", "1.5"}, {"bandwidth", "out", "-3"},
		} {
			h.mustErr(400, "", "PUT", set(bad[0], bad[1], bad[2]))
		}
		if got := h.must(200, "GET", get).body; got != want {
			t.Errorf("%v: refused values changed the limits: %s", sel, got)
		}
		h.mustErr(400, "limit-value is required", "PUT", q("ostor-limits", append(sel, "limit-type", "ops", "limit-resource", "get")...))

		if res := h.must(204, "DELETE", get); res.body != "" {
			t.Errorf("delete body %q", res.body)
		}
		if got := h.must(200, "GET", get).body; got != zeroLimits {
			t.Errorf("%v after delete: %s", sel, got)
		}
	}

	// By id reads the same limits as by email.
	h.must(200, "PUT", q("ostor-limits", "id", user.UserId, "limit-type", "ops", "limit-resource", "list", "limit-value", "7"))
	if got := h.must(200, "GET", q("ostor-limits", "emailAddress", "l@example.com")).body; got != `{"ops:default":"0.00","ops:get":"0.00","ops:put":"0.00","ops:list":"7.00","ops:delete":"0.00","bandwidth:out":"0"}` {
		t.Errorf("by id: %s", got)
	}

	h.mustErr(404, "User not found", "GET", q("ostor-limits", "emailAddress", "ghost@example.com"))
	h.mustErr(404, "Bucket not found", "GET", q("ostor-limits", "bucket", "ghost"))
	h.mustErr(404, "Bucket not found", "PUT", q("ostor-limits", "bucket", "ghost", "limit-type", "ops", "limit-resource", "get", "limit-value", "1"))
	h.mustErr(400, "", "GET", q("ostor-limits", "emailAddress", "l@example.com", "bucket", "lb"))
	h.mustErr(400, "", "GET", q("ostor-limits"))
	h.mustErr(400, "", "POST", q("ostor-limits", "bucket", "lb"))
}

func TestLimitsDisabled(t *testing.T) {
	h := newHarness(t, ostorsim.Options{LimitsDisabled: true})
	h.must(200, "PUT", q("ostor-users", "emailAddress", "l@example.com"))
	h.mustErr(400, "Limits are disabled", "GET", q("ostor-limits", "emailAddress", "l@example.com"))
}

func TestQuotas(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	user := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "qq@example.com")).body)
	if err := h.sim.CreateBucket("qq@example.com", "qb"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sel  []string
		kind string
	}{
		{[]string{"emailAddress", "qq@example.com"}, "user"},
		{[]string{"bucket", "qb"}, "bucket"},
		{[]string{"default", "user"}, "user"},
		{[]string{"default", "bucket"}, "bucket"},
	}
	for i, c := range cases {
		get := q("ostor-quotas", c.sel...)
		if got, want := h.must(200, "GET", get).body, `{"version":"1","type":"`+c.kind+`","size":"0"}`; got != want {
			t.Errorf("%v never set: %s, want %s", c.sel, got, want)
		}
		size := []string{"1024", "5", "77", "0"}[i]
		h.must(200, "PUT", q("ostor-quotas", append(c.sel, "quota-size", size)...))
		if got, want := h.must(200, "GET", get).body, `{"version":"1","type":"`+c.kind+`","size":"`+size+`"}`; got != want {
			t.Errorf("%v: %s, want %s", c.sel, got, want)
		}
		for _, bad := range []string{"-1", "1.5", "", "1GB"} {
			h.mustErr(400, "", "PUT", q("ostor-quotas", append(c.sel, "quota-size", bad)...))
		}
		h.must(204, "DELETE", get)
		if got, want := h.must(200, "GET", get).body, `{"version":"1","type":"`+c.kind+`","size":"0"}`; got != want {
			t.Errorf("%v after delete: %s", c.sel, got)
		}
	}
	// Quotas are kept apart: a user quota does not show on the default.
	h.must(200, "PUT", q("ostor-quotas", "id", user.UserId, "quota-size", "9"))
	// The reference's sample request #1, stray ops flag and all.
	h.must(200, "PUT", q("ostor-quotas", "emailAddress", "qq@example.com", "ops", flag, "quota-size", "1024"))
	if got := h.must(200, "GET", q("ostor-quotas", "id", user.UserId)).body; !strings.Contains(got, `"size":"1024"`) {
		t.Errorf("quota after the reference's example: %s", got)
	}
	h.must(200, "PUT", q("ostor-quotas", "id", user.UserId, "quota-size", "9"))
	if got := h.must(200, "GET", q("ostor-quotas", "default", "user")).body; got != `{"version":"1","type":"user","size":"0"}` {
		t.Errorf("default user after setting one user: %s", got)
	}
	h.mustErr(400, "", "GET", q("ostor-quotas", "default", "group"))
	h.mustErr(400, "", "GET", q("ostor-quotas", "bucket", "qb", "default", "user"))
	h.mustErr(400, "quota-size is required", "PUT", q("ostor-quotas", "bucket", "qb"))
	h.mustErr(404, "Bucket not found", "GET", q("ostor-quotas", "bucket", "ghost"))
	h.mustErr(404, "User not found", "DELETE", q("ostor-quotas", "emailAddress", "ghost@example.com"))
}

// The older syntax of the API reference (Acronis Storage 2.4 Object Storage
// Orchestration API Reference, PUT Service ostor-limits, sample request #4):
// "PUT /?ostor-limits&bucket=testbucket&ops&default=60&put=3600&list=30 —
// the new PUT operations limit is 60 ops/s, LIST limit is 0.5 ops/s, GET and
// DELETE limits are 1 ops/s".
func TestLegacyLimits(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.must(200, "PUT", q("ostor-users", "emailAddress", "l@example.com"))
	if err := h.sim.CreateBucket("l@example.com", "testbucket"); err != nil {
		t.Fatal(err)
	}
	get := q("ostor-limits", "bucket", "testbucket")
	h.must(200, "PUT", q("ostor-limits", "bucket", "testbucket", "bandwidth", flag, "out", "100"))
	h.must(200, "PUT", q("ostor-limits", "bucket", "testbucket", "ops", flag, "default", "60", "put", "3600", "list", "30"))
	want := `{"ops:default":"1.00","ops:get":"1.00","ops:put":"60.00","ops:list":"0.50","ops:delete":"1.00","bandwidth:out":"100"}`
	if got := h.must(200, "GET", get).body; got != want {
		t.Errorf("guide's example\n got %s\nwant %s", got, want)
	}
	// Without default, unspecified operations go to 0; bandwidth stays.
	h.must(200, "PUT", q("ostor-limits", "emailAddress", "l@example.com", "ops", flag, "get", "90"))
	h.must(200, "PUT", q("ostor-limits", "bucket", "testbucket", "ops", flag, "get", "90"))
	want = `{"ops:default":"0.00","ops:get":"1.50","ops:put":"0.00","ops:list":"0.00","ops:delete":"0.00","bandwidth:out":"100"}`
	if got := h.must(200, "GET", get).body; got != want {
		t.Errorf("get only\n got %s\nwant %s", got, want)
	}
	for _, bad := range []string{
		q("ostor-limits", "bucket", "testbucket", "ops", flag, "bandwidth", flag, "get", "1"),
		q("ostor-limits", "bucket", "testbucket", "ops", flag, "get", "1.5"),
		q("ostor-limits", "bucket", "testbucket", "ops", flag, "out", "1"),
		q("ostor-limits", "bucket", "testbucket", "bandwidth", flag, "out", "-1"),
		q("ostor-limits", "bucket", "testbucket", "bandwidth", flag, "get", "1"),
		q("ostor-limits", "bucket", "testbucket", "ops", flag, "limit-type", "ops"),
	} {
		h.mustErr(400, "", "PUT", bad)
	}
	if got := h.must(200, "GET", get).body; got != want {
		t.Errorf("refused requests changed the limits: %s", got)
	}
	// DELETE …&ops resets the operations only, …&bandwidth the bandwidth.
	h.must(204, "DELETE", q("ostor-limits", "bucket", "testbucket", "ops", flag))
	if got := h.must(200, "GET", get).body; got != `{"ops:default":"0.00","ops:get":"0.00","ops:put":"0.00","ops:list":"0.00","ops:delete":"0.00","bandwidth:out":"100"}` {
		t.Errorf("after DELETE ops: %s", got)
	}
	h.must(204, "DELETE", q("ostor-limits", "bucket", "testbucket", "bandwidth", flag))
	if got := h.must(200, "GET", get).body; got != zeroLimits {
		t.Errorf("after DELETE bandwidth: %s", got)
	}
	h.mustErr(404, "", "PUT", q("ostor-limits", "bucket", "nope", "ops", flag, "get", "1"))
}

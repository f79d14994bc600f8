package ostor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas"
	"staas/standin/ostorsim"
)

// These tests run every client call against the simulator, which was
// written from the same contract (docs/ostor-api.md) without sharing code:
// they cross-check both readings of it.

const customer = "client@example.com"

type simEnv struct {
	sim *ostorsim.Sim
	srv *httptest.Server
	c   *Client
}

func newSimEnv(t testing.TB, opts ostorsim.Options, mod ...func(*Config)) *simEnv {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	sim := ostorsim.MustNew(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &simEnv{sim: sim, srv: srv, c: simClient(t, sim, srv.URL, mod...)}
}

func simClient(t testing.TB, sim *ostorsim.Sim, endpoint string, mod ...func(*Config)) *Client {
	t.Helper()
	creds := sim.SystemCredentials()
	cfg := Config{Endpoint: endpoint, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Now: sim.Now, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase, c.backoffMax = time.Millisecond, 5*time.Millisecond
	return c
}

// world is the state most cases start from: a customer with one bucket,
// one closed usage period with traffic.
type world struct {
	user    *UserKeys
	bucket  string
	objects []string
}

// hasSpace checks the customer's space block as the seeded world sets it.
func hasSpace(users []User, err error) error {
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Email == customer && u.Space != nil && u.Space.Current == 12288 && u.Space.HMax == 12288 && u.Space.LastTS != 0 {
			return nil
		}
	}
	return errors.New("customer's space missing")
}

func (e *simEnv) seed(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	u, err := e.c.CreateUser(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	w := world{user: u, bucket: "client-data"}
	if err := e.sim.CreateBucket(customer, w.bucket); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetBucketSize(w.bucket, 12288); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddTraffic(ostorsim.Traffic{Email: customer, Bucket: w.bucket, Put: 1, Get: 3, Uploaded: 41258, Downloaded: 45511311}); err != nil {
		t.Fatal(err)
	}
	e.sim.Advance(ostorsim.DefaultUsagePeriod)
	w.objects = e.sim.UsageObjectNames()
	if len(w.objects) != 1 {
		t.Fatalf("usage objects: %v", w.objects)
	}
	return w
}

func TestSimEveryCall(t *testing.T) {
	type check func(t *testing.T, e *simEnv, w world)
	bg := context.Background()
	for _, tc := range []struct {
		name string
		opts ostorsim.Options
		run  func(e *simEnv, w world) error
		code string // "" = success
		// sent is false for input the client must refuse without a request.
		unsent bool
		check  check
	}{
		// ostor-users
		{name: "create user", run: func(e *simEnv, w world) error {
			k, err := e.c.CreateUser(bg, "new@example.com")
			if err == nil && (len(k.Keys) != 1 || !userIDPattern.MatchString(k.ID) || !strings.HasPrefix(k.Keys[0].AccessKeyID, k.ID) || k.Email != "new@example.com") {
				return errors.New("bad answer")
			}
			return err
		}},
		{name: "create user: duplicate", run: func(e *simEnv, w world) error { _, err := e.c.CreateUser(bg, customer); return err }, code: staas.ECONFLICT},
		{name: "create user: bad email", run: func(e *simEnv, w world) error { _, err := e.c.CreateUser(bg, "Client <c@example.com>"); return err }, code: staas.EINVALID, unsent: true},
		{name: "create user: injection-proof email", run: func(e *simEnv, w world) error {
			k, err := e.c.CreateUser(bg, "a&b=c#d@example.com")
			if err == nil && k.Email != "a&b=c#d@example.com" {
				return errors.New("email changed on the way: " + k.Email)
			}
			return err
		}},
		{name: "list users", run: func(e *simEnv, w world) error { return hasUser(e.c.Users(bg)) }},
		{name: "list users wrapped", opts: ostorsim.Options{ListUsersWrapped: true}, run: func(e *simEnv, w world) error { return hasUser(e.c.Users(bg)) }},
		{name: "list users with space (SpaceStat)", run: func(e *simEnv, w world) error { return hasSpace(e.c.UsersWithSpace(bg)) }},
		{name: "list users with space (size names)", opts: ostorsim.Options{UserSpaceAsSize: true}, run: func(e *simEnv, w world) error { return hasSpace(e.c.UsersWithSpace(bg)) }},
		{name: "get user by email", run: func(e *simEnv, w world) error {
			u, err := e.c.User(bg, ByEmail(customer))
			if err == nil && (u.ID != w.user.ID || len(u.Keys) != 1 || u.Keys[0] != w.user.Keys[0] || !u.Enabled()) {
				return errors.New("wrong user")
			}
			return err
		}},
		{name: "get user by id", run: func(e *simEnv, w world) error {
			u, err := e.c.User(bg, ByID(w.user.ID))
			if err == nil && u.Email != customer {
				return errors.New("wrong user")
			}
			return err
		}},
		{name: "get user: not found", run: func(e *simEnv, w world) error { _, err := e.c.User(bg, ByEmail("nobody@example.com")); return err }, code: staas.ENOTFOUND},
		{name: "get user: bad id", run: func(e *simEnv, w world) error { _, err := e.c.User(bg, ByID("XYZ")); return err }, code: staas.EINVALID, unsent: true},
		{name: "get user: empty ref", run: func(e *simEnv, w world) error { _, err := e.c.User(bg, UserRef{}); return err }, code: staas.EINVALID, unsent: true},
		{name: "disable and enable user", run: func(e *simEnv, w world) error {
			if err := e.c.DisableUser(bg, customer); err != nil {
				return err
			}
			if u, err := e.c.User(bg, ByEmail(customer)); err != nil || u.State != "disabled" {
				return errors.New("not disabled")
			}
			if err := e.c.EnableUser(bg, customer); err != nil {
				return err
			}
			if u, err := e.c.User(bg, ByEmail(customer)); err != nil || u.State != "enabled" {
				return errors.New("not enabled")
			}
			return nil
		}},
		{name: "disable user: not found", run: func(e *simEnv, w world) error { return e.c.DisableUser(bg, "nobody@example.com") }, code: staas.ENOTFOUND},
		{name: "enable user: bad email", run: func(e *simEnv, w world) error { return e.c.EnableUser(bg, "no-at-sign") }, code: staas.EINVALID, unsent: true},
		{name: "delete user: owns buckets", run: func(e *simEnv, w world) error { return e.c.DeleteUser(bg, ByEmail(customer)) }, code: staas.ECONFLICT},
		{name: "delete user", run: func(e *simEnv, w world) error {
			if err := e.sim.DeleteBucket(w.bucket); err != nil {
				return err
			}
			if err := e.c.DeleteUser(bg, ByID(w.user.ID)); err != nil {
				return err
			}
			_, err := e.c.User(bg, ByEmail(customer))
			return err
		}, code: staas.ENOTFOUND},
		{name: "delete user: not found", run: func(e *simEnv, w world) error { return e.c.DeleteUser(bg, ByEmail("nobody@example.com")) }, code: staas.ENOTFOUND},
		{name: "generate key", run: func(e *simEnv, w world) error {
			k, err := e.c.GenerateKey(bg, customer)
			if err != nil {
				return err
			}
			u, err := e.c.User(bg, ByEmail(customer))
			if err == nil && (len(u.Keys) != 2 || u.Keys[1] != *k) {
				return errors.New("new key not listed")
			}
			return err
		}},
		{name: "generate key: limit of two", run: func(e *simEnv, w world) error {
			if _, err := e.c.GenerateKey(bg, customer); err != nil {
				return err
			}
			_, err := e.c.GenerateKey(bg, customer)
			return err
		}, code: staas.EKEYLIMIT},
		{name: "generate key: not found", run: func(e *simEnv, w world) error { _, err := e.c.GenerateKey(bg, "nobody@example.com"); return err }, code: staas.ENOTFOUND},
		{name: "revoke key", run: func(e *simEnv, w world) error {
			if err := e.c.RevokeKey(bg, customer, w.user.Keys[0].AccessKeyID); err != nil {
				return err
			}
			u, err := e.c.User(bg, ByEmail(customer))
			if err == nil && len(u.Keys) != 0 {
				return errors.New("key still listed")
			}
			return err
		}},
		{name: "revoke key: unknown key", run: func(e *simEnv, w world) error { return e.c.RevokeKey(bg, customer, w.user.ID+"ZZZZ") }, code: staas.ENOTFOUND},
		{name: "revoke key: bad key id", run: func(e *simEnv, w world) error { return e.c.RevokeKey(bg, customer, "key&x=1") }, code: staas.EINVALID, unsent: true},

		// ostor-accounts and account keys
		{name: "create account, its keys, delete it", run: func(e *simEnv, w world) error {
			a, err := e.c.CreateAccount(bg, customer, "account1")
			if err != nil {
				return err
			}
			if a.Name != "account1" || len(a.Keys) != 1 {
				return errors.New("bad account answer")
			}
			k, err := e.c.GenerateAccountKey(bg, customer, "account1")
			if err != nil {
				return err
			}
			u, err := e.c.User(bg, ByEmail(customer))
			if err != nil || u.AccountCount != 1 || len(u.Accounts) != 1 || len(u.Accounts[0].Keys) != 2 || u.Accounts[0].Keys[1] != *k {
				return errors.New("account not listed with its keys")
			}
			if err := e.c.RevokeAccountKey(bg, customer, "account1", k.AccessKeyID); err != nil {
				return err
			}
			return e.c.DeleteAccount(bg, customer, "account1")
		}},
		{name: "create account: duplicate", run: func(e *simEnv, w world) error {
			if _, err := e.c.CreateAccount(bg, customer, "account1"); err != nil {
				return err
			}
			_, err := e.c.CreateAccount(bg, customer, "account1")
			return err
		}, code: staas.ECONFLICT},
		{name: "generate account key: limit of two", run: func(e *simEnv, w world) error {
			if _, err := e.c.CreateAccount(bg, customer, "account1"); err != nil {
				return err
			}
			if _, err := e.c.GenerateAccountKey(bg, customer, "account1"); err != nil {
				return err
			}
			_, err := e.c.GenerateAccountKey(bg, customer, "account1")
			return err
		}, code: staas.EKEYLIMIT},
		{name: "delete account: not found", run: func(e *simEnv, w world) error { return e.c.DeleteAccount(bg, customer, "nope") }, code: staas.ENOTFOUND},
		{name: "revoke account key: not found", run: func(e *simEnv, w world) error {
			return e.c.RevokeAccountKey(bg, customer, "nope", w.user.Keys[0].AccessKeyID)
		}, code: staas.ENOTFOUND},
		{name: "create account: bad name", run: func(e *simEnv, w world) error { _, err := e.c.CreateAccount(bg, customer, "a&b"); return err }, code: staas.EINVALID, unsent: true},

		// ostor-buckets
		{name: "list buckets", run: func(e *simEnv, w world) error {
			b, err := e.c.Buckets(bg)
			if err == nil && (len(b) != 1 || b[0].Name != w.bucket || b[0].OwnerID != w.user.ID || b[0].Size.Current != 12288 ||
				!b[0].CreationDate.Equal(ostorsim.DefaultStart) || b[0].Size.LastUpdate().After(e.sim.Now())) {
				return errors.New("wrong buckets")
			}
			return err
		}},
		{name: "list user buckets", run: func(e *simEnv, w world) error {
			b, err := e.c.BucketsOf(bg, ByEmail(customer))
			if err == nil && len(b) != 1 {
				return errors.New("wrong buckets")
			}
			if b, err = e.c.BucketsOf(bg, ByID(w.user.ID)); err == nil && len(b) != 1 {
				return errors.New("wrong buckets by id")
			}
			return err
		}},
		{name: "list user buckets: not found", run: func(e *simEnv, w world) error { _, err := e.c.BucketsOf(bg, ByEmail("nobody@example.com")); return err }, code: staas.ENOTFOUND},

		// ostor-limits
		{name: "limits of a user, by email and by id", run: func(e *simEnv, w world) error {
			s := UserLimits(ByEmail(customer))
			if err := e.c.SetOpsLimit(bg, s, "get", 3600); err != nil {
				return err
			}
			if err := e.c.SetOpsLimit(bg, UserLimits(ByID(w.user.ID)), "put", 0.5); err != nil {
				return err
			}
			if err := e.c.SetBandwidthLimit(bg, s, 100); err != nil {
				return err
			}
			l, err := e.c.Limits(bg, UserLimits(ByID(w.user.ID)))
			if err != nil {
				return err
			}
			if *l != (Limits{OpsGet: 3600, OpsPut: 0.5, BandwidthOut: 100}) {
				return errors.New("limits read back differ")
			}
			if err := e.c.DeleteLimits(bg, s); err != nil {
				return err
			}
			if l, err = e.c.Limits(bg, s); err == nil && *l != (Limits{}) {
				return errors.New("limits not reset")
			}
			return err
		}},
		{name: "limits of a bucket", run: func(e *simEnv, w world) error {
			s := BucketLimits(w.bucket)
			for _, r := range OpsResources {
				if err := e.c.SetOpsLimit(bg, s, r, 12.25); err != nil {
					return err
				}
			}
			l, err := e.c.Limits(bg, s)
			if err == nil && *l != (Limits{OpsDefault: 12.25, OpsGet: 12.25, OpsPut: 12.25, OpsList: 12.25, OpsDelete: 12.25}) {
				return errors.New("limits read back differ")
			}
			if err == nil {
				err = e.c.DeleteLimits(bg, s)
			}
			return err
		}},
		{name: "limits: disabled", opts: ostorsim.Options{LimitsDisabled: true}, run: func(e *simEnv, w world) error {
			_, err := e.c.Limits(bg, UserLimits(ByEmail(customer)))
			return err
		}, code: staas.ELIMITSOFF},
		{name: "limits: bucket not found", run: func(e *simEnv, w world) error { _, err := e.c.Limits(bg, BucketLimits("no-such-bucket")); return err }, code: staas.ENOTFOUND},
		{name: "limits: bad resource", run: func(e *simEnv, w world) error { return e.c.SetOpsLimit(bg, BucketLimits(w.bucket), "head", 1) }, code: staas.EINVALID, unsent: true},
		{name: "limits: NaN", run: func(e *simEnv, w world) error {
			return e.c.SetOpsLimit(bg, BucketLimits(w.bucket), "get", zero()/zero())
		}, code: staas.EINVALID, unsent: true},
		{name: "limits: negative", run: func(e *simEnv, w world) error { return e.c.SetOpsLimit(bg, BucketLimits(w.bucket), "get", -1) }, code: staas.EINVALID, unsent: true},
		{name: "limits: bad bucket name", run: func(e *simEnv, w world) error { return e.c.DeleteLimits(bg, BucketLimits("192.168.1.1")) }, code: staas.EINVALID, unsent: true},

		// ostor-quotas
		{name: "quotas of user, bucket and defaults", run: func(e *simEnv, w world) error {
			for _, tc := range []struct {
				s    QuotaSubject
				kind string
			}{
				{UserQuota(ByEmail(customer)), "user"},
				{UserQuota(ByID(w.user.ID)), "user"},
				{BucketQuota(w.bucket), "bucket"},
				{DefaultQuota("user"), "user"},
				{DefaultQuota("bucket"), "bucket"},
			} {
				if err := e.c.SetQuota(bg, tc.s, 1024); err != nil {
					return err
				}
				q, err := e.c.Quota(bg, tc.s)
				if err != nil {
					return err
				}
				if *q != (Quota{Version: "1", Type: tc.kind, SizeGB: 1024}) {
					return errors.New("quota read back differs")
				}
				if err := e.c.DeleteQuota(bg, tc.s); err != nil {
					return err
				}
				if q, err = e.c.Quota(bg, tc.s); err != nil || q.SizeGB != 0 {
					return errors.New("quota not deleted")
				}
			}
			return nil
		}},
		{name: "quota: bucket not found", run: func(e *simEnv, w world) error { return e.c.SetQuota(bg, BucketQuota("no-such-bucket"), 1) }, code: staas.ENOTFOUND},
		{name: "quota: bad default kind", run: func(e *simEnv, w world) error { _, err := e.c.Quota(bg, DefaultQuota("0")); return err }, code: staas.EINVALID, unsent: true},
		{name: "quota: too large", run: func(e *simEnv, w world) error { return e.c.SetQuota(bg, DefaultQuota("user"), 1<<62) }, code: staas.EINVALID, unsent: true},

		// ostor-usage
		{name: "usage: service_id as a string with hex digits", opts: ostorsim.Options{ServiceIDs: []string{"800000000000006a"}, ServiceIDAsString: true}, run: func(e *simEnv, w world) error {
			obj, err := e.c.UsageObject(bg, w.objects[0])
			if err == nil && (obj.ServiceID != "800000000000006a" || len(obj.Items) != 1) {
				return errors.New("wrong object")
			}
			return err
		}},
		{name: "usage: list, read, stream, delete", run: func(e *simEnv, w world) error {
			page, err := e.c.UsagePage(bg, "", 10)
			if err != nil {
				return err
			}
			if page.Truncated || !slices.Equal(page.Items, w.objects) {
				return errors.New("wrong page")
			}
			obj, err := e.c.UsageObject(bg, w.objects[0])
			if err != nil {
				return err
			}
			want := UsageItem{Key: UsageKey{Bucket: w.bucket, UserID: w.user.ID}, Ops: OpsCounters{Put: 1, Get: 3}, Uploaded: 41258, Downloaded: 45511311}
			if obj.ServiceID != ostorsim.DefaultServiceID || len(obj.Items) != 1 || obj.Items[0] != want || obj.PeriodDuration() != ostorsim.DefaultUsagePeriod {
				return errors.New("wrong object")
			}
			var streamed []UsageItem
			h, err := e.c.StreamUsageObject(bg, w.objects[0], func(it UsageItem) error { streamed = append(streamed, it); return nil })
			if err != nil {
				return err
			}
			if *h != obj.UsageHeader || !slices.Equal(streamed, obj.Items) {
				return errors.New("streamed object differs")
			}
			if err := e.c.DeleteUsageObject(bg, w.objects[0]); err != nil {
				return err
			}
			_, err = e.c.UsageObject(bg, w.objects[0])
			return err
		}, code: staas.ENOTFOUND},
		{name: "usage: walk pages", run: func(e *simEnv, w world) error {
			for range 7 {
				if err := e.sim.AddTraffic(ostorsim.Traffic{Email: customer, Get: 1}); err != nil {
					return err
				}
				e.sim.Advance(ostorsim.DefaultUsagePeriod)
			}
			var names []string
			if err := e.c.EachUsageObject(bg, func(n string) error { names = append(names, n); return nil }); err != nil {
				return err
			}
			if !slices.Equal(names, e.sim.UsageObjectNames()) || len(names) != 8 {
				return errors.New("walk missed names")
			}
			page, err := e.c.UsagePage(bg, names[2], 3)
			if err == nil && (!page.Truncated || !slices.Equal(page.Items, names[3:6])) {
				return errors.New("wrong page after a name")
			}
			return err
		}},
		{name: "usage: bad object name", run: func(e *simEnv, w world) error { _, err := e.c.UsageObject(bg, "../etc/passwd"); return err }, code: staas.EINVALID, unsent: true},
		{name: "usage: bad page limit", run: func(e *simEnv, w world) error { _, err := e.c.UsagePage(bg, "", 1001); return err }, code: staas.EINVALID, unsent: true},
		{name: "usage: delete not found", run: func(e *simEnv, w world) error {
			return e.c.DeleteUsageObject(bg, "s3-usage-1-2000-01-01T00:00:00.000Z-1800")
		}, code: staas.ENOTFOUND},
		{name: "ping", run: func(e *simEnv, w world) error { return e.c.Ping(bg) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSimEnv(t, tc.opts)
			w := e.seed(t)
			before := e.sim.Requests()
			err := tc.run(e, w)
			if got := staas.ErrorCode(err); got != tc.code {
				t.Fatalf("error %v (code %q), want code %q", err, got, tc.code)
			}
			if tc.unsent && e.sim.Requests() != before {
				t.Fatalf("bad input sent %d requests", e.sim.Requests()-before)
			}
			if err != nil && strings.Contains(err.Error(), e.sim.SystemCredentials().SecretKey) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func zero() float64 { return 0 }

func hasUser(users []User, err error) error {
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Email == customer && u.Enabled() {
			return nil
		}
	}
	return errors.New("customer not listed")
}

func TestSimSignatures(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"v2", func(*Config) {}},
		{"v2 with unsigned-payload header", func(c *Config) { c.UnsignedPayloadHeader = true }},
		{"v4", func(c *Config) { c.Signature = "v4" }},
		{"v4 default region spelled out", func(c *Config) { c.Signature = "v4"; c.Region = ostorsim.DefaultRegion }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSimEnv(t, ostorsim.Options{}, tc.mod)
			ctx := context.Background()
			if err := e.c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			// A parameter that needs escaping, on a signed call.
			if _, err := e.c.CreateUser(ctx, "a+b&c=d@example.com"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.User(ctx, ByEmail("a+b&c=d@example.com")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSimUnauthorized(t *testing.T) {
	e := newSimEnv(t, ostorsim.Options{})
	for name, mod := range map[string]func(*Config){
		"wrong secret":      func(c *Config) { c.SecretKey = "wrong" },
		"unknown key":       func(c *Config) { c.AccessKey = "0123456789abcdefAAAA" },
		"wrong v4 region":   func(c *Config) { c.Signature = "v4"; c.Region = "eu-west-1" },
		"clock skew":        func(c *Config) { c.Now = func() time.Time { return e.sim.Now().Add(time.Hour) } },
		"v4 wrong secret":   func(c *Config) { c.Signature = "v4"; c.SecretKey = "wrong" },
		"v2 unsigned wrong": func(c *Config) { c.UnsignedPayloadHeader = true; c.SecretKey = "wrong" },
	} {
		t.Run(name, func(t *testing.T) {
			c := simClient(t, e.sim, e.srv.URL, mod)
			before := e.sim.Requests()
			err := c.Ping(context.Background())
			wantCode(t, err, staas.EUNAUTHORIZED)
			if e.sim.Requests()-before != 1 {
				t.Errorf("a refused call was retried: %d requests", e.sim.Requests()-before)
			}
		})
	}
	// A user without the system flag is refused too.
	ctx := context.Background()
	k, err := e.c.CreateUser(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	c := simClient(t, e.sim, e.srv.URL, func(c *Config) { c.AccessKey, c.SecretKey = k.Keys[0].AccessKeyID, k.Keys[0].SecretAccessKey })
	wantCode(t, c.Ping(ctx), staas.EUNAUTHORIZED)
}

func TestSimRetries(t *testing.T) {
	ctx := context.Background()

	t.Run("5xx burst is retried", func(t *testing.T) {
		e := newSimEnv(t, ostorsim.Options{})
		e.sim.SetFaults(ostorsim.Faults{Burst5xx: 2})
		before := e.sim.Requests()
		if _, err := e.c.Users(ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.sim.Requests() - before; n != 3 {
			t.Fatalf("%d requests, want 3", n)
		}
	})
	t.Run("persistent 503 is unavailable", func(t *testing.T) {
		e := newSimEnv(t, ostorsim.Options{})
		e.sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
		before := e.sim.Requests()
		_, err := e.c.Users(ctx)
		wantCode(t, err, staas.EUNAVAILABLE)
		var ge *GatewayError
		if !errors.As(err, &ge) || ge.Status != http.StatusServiceUnavailable {
			t.Fatalf("err = %v", err)
		}
		if n := e.sim.Requests() - before; n != 1+defaultMaxRetries {
			t.Fatalf("%d requests, want %d", n, 1+defaultMaxRetries)
		}
	})
	t.Run("dropped connections are retried", func(t *testing.T) {
		e := newSimEnv(t, ostorsim.Options{})
		e.sim.SetFaults(ostorsim.Faults{DropNext: 2})
		if _, err := e.c.Buckets(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("create user dropped before the gateway acted", func(t *testing.T) {
		e := newSimEnv(t, ostorsim.Options{})
		e.sim.SetFaults(ostorsim.Faults{DropNext: 1})
		_, err := e.c.CreateUser(ctx, customer)
		wantCode(t, err, staas.EUNAVAILABLE)
		if !strings.Contains(err.Error(), "not created") {
			t.Errorf("message = %q", err)
		}
		// Nothing was created, so trying again is safe and works.
		if _, err := e.c.CreateUser(ctx, customer); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("create user whose answer was lost", func(t *testing.T) {
		e := newSimEnv(t, ostorsim.Options{})
		c := e.c
		e.sim.SetFaults(ostorsim.Faults{LoseAnswerNext: 1})
		k, err := c.CreateUser(ctx, customer)
		if err != nil {
			t.Fatalf("CreateUser after a lost answer: %v", err)
		}
		users, err := c.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, u := range users {
			if u.Email == customer {
				n++
			}
		}
		u, err := c.User(ctx, ByEmail(customer))
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || k.ID != u.ID || len(k.Keys) != 1 || k.Keys[0] != u.Keys[0] {
			t.Fatalf("%d users; returned %+v, gateway has %+v", n, k, u)
		}
	})
	t.Run("delete whose answer was lost", func(t *testing.T) {
		e := newSimEnv(t, ostorsim.Options{})
		c := e.c
		if _, err := c.CreateUser(ctx, customer); err != nil {
			t.Fatal(err)
		}
		e.sim.SetFaults(ostorsim.Faults{LoseAnswerNext: 1})
		if err := c.DeleteUser(ctx, ByEmail(customer)); err != nil {
			t.Fatalf("DeleteUser after a lost answer: %v", err)
		}
		_, err := c.User(ctx, ByEmail(customer))
		wantCode(t, err, staas.ENOTFOUND)
	})
	t.Run("generate key is not retried", func(t *testing.T) {
		sim, c, posts := postFaultEnv(t, func(w http.ResponseWriter, r *http.Request, sim *ostorsim.Sim) {
			w.WriteHeader(http.StatusInternalServerError)
		})
		if _, err := c.CreateUser(ctx, customer); err != nil {
			t.Fatal(err)
		}
		posts.Store(0)
		_, err := c.GenerateKey(ctx, customer)
		wantCode(t, err, staas.EUNAVAILABLE)
		if n := posts.Load(); n != 1 {
			t.Fatalf("%d genKey requests, want 1", n)
		}
		if !strings.Contains(staas.ErrorMessage(err), "No key pair was created") {
			t.Errorf("message %q: the pairs read afterwards show none was created", staas.ErrorMessage(err))
		}
		if u, _ := userOf(sim, c); len(u.Keys) != 1 {
			t.Errorf("keys %v", u.Keys)
		}
	})
	t.Run("generate key: a lost answer is recovered from the user's pairs", func(t *testing.T) {
		sim, c, posts := postFaultEnv(t, func(w http.ResponseWriter, r *http.Request, sim *ostorsim.Sim) {
			sim.ServeHTTP(httptest.NewRecorder(), r) // the gateway acts…
			panic(http.ErrAbortHandler)              // …and the answer is lost
		})
		if _, err := c.CreateUser(ctx, customer); err != nil {
			t.Fatal(err)
		}
		posts.Store(0)
		k, err := c.GenerateKey(ctx, customer)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := userOf(sim, c)
		if posts.Load() != 1 || len(u.Keys) != 2 || *k != u.Keys[1] {
			t.Errorf("%d genKey requests; got %v, user has %v", posts.Load(), k, u.Keys)
		}
	})
}

// Observe hears of every call once, with the attempts it took, so metrics
// can count retries and failures per operation.
func TestObserve(t *testing.T) {
	type seen struct {
		op       string
		attempts int
		code     string
	}
	var got []seen
	e := newSimEnv(t, ostorsim.Options{}, func(c *Config) {
		c.Observe = func(op string, attempts int, elapsed time.Duration, err error) {
			if elapsed <= 0 {
				t.Errorf("%s: elapsed %v", op, elapsed)
			}
			got = append(got, seen{op, attempts, staas.ErrorCode(err)})
		}
	})
	ctx := context.Background()

	e.sim.SetFaults(ostorsim.Faults{Burst5xx: 2})
	if _, err := e.c.Users(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.User(ctx, ByEmail("nobody@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("User of nobody: %v", err)
	}
	// Bad input is refused before any call: nothing to observe.
	if _, err := e.c.User(ctx, ByEmail("not an email")); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatalf("User with a bad email: %v", err)
	}
	want := []seen{{"list users", 3, ""}, {"get user", 1, staas.ENOTFOUND}}
	if !slices.Equal(got, want) {
		t.Fatalf("observed %+v, want %+v", got, want)
	}
}

// postFaultEnv serves the simulator but hands the first POST after
// posts.Store(0) to fault instead.
func postFaultEnv(t *testing.T, fault func(http.ResponseWriter, *http.Request, *ostorsim.Sim)) (*ostorsim.Sim, *Client, *atomic.Int32) {
	t.Helper()
	sim := ostorsim.MustNew(ostorsim.Options{Seed: 1})
	var posts atomic.Int32
	posts.Store(-1 << 20) // no fault until armed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			fault(w, r, sim)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return sim, simClient(t, sim, srv.URL), &posts
}

func userOf(_ *ostorsim.Sim, c *Client) (*User, error) {
	return c.User(context.Background(), ByEmail(customer))
}

// A gateway that answers genKey with all of the user's pairs, the new one
// not last: the client returns the pair that was not there before.
func TestGenerateKeyPicksTheNewPair(t *testing.T) {
	ctx := context.Background()
	for _, order := range []ostorsim.KeyAnswer{ostorsim.KeyAnswerAllNewFirst, ostorsim.KeyAnswerAllNewLast} {
		e := newSimEnv(t, ostorsim.Options{GenKeyAnswer: order})
		first, err := e.c.CreateUser(ctx, customer)
		if err != nil {
			t.Fatal(err)
		}
		k, err := e.c.GenerateKey(ctx, customer)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.c.User(ctx, ByEmail(customer))
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Keys) != 2 || *k == first.Keys[0] || *k != u.Keys[1] {
			t.Errorf("order %v: got %v; user had %v, now %v", order, k, first.Keys, u.Keys)
		}
		// The same for an account.
		if _, err := e.c.CreateAccount(ctx, customer, "team"); err != nil {
			t.Fatal(err)
		}
		ak, err := e.c.GenerateAccountKey(ctx, customer, "team")
		if err != nil {
			t.Fatal(err)
		}
		if u, err = e.c.User(ctx, ByEmail(customer)); err != nil {
			t.Fatal(err)
		}
		if len(u.Accounts) != 1 || len(u.Accounts[0].Keys) != 2 || *ak != u.Accounts[0].Keys[1] {
			t.Errorf("order %v: account key %v; account has %v", order, ak, u.Accounts)
		}
	}
}

// An answer whose pairs were all there before is refused, not guessed at.
func TestGenerateKeyRefusesAnOldPair(t *testing.T) {
	old := `{"AWSAccessKeyId":"0123456789abcdefAAAA","AWSSecretAccessKey":"` + strings.Repeat("s", 40) + `"}`
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"UserEmail":"a@b.c","UserId":"0123456789abcdef","AWSAccessKeys":[` + old + `]}`))
	})
	_, err := c.GenerateKey(context.Background(), "a@b.c")
	wantCode(t, err, staas.EINTERNAL)
	if !strings.Contains(staas.ErrorDetail(err), "no new key pair") {
		t.Errorf("detail %q", staas.ErrorDetail(err))
	}
}
